"""PyFlink module paths that jobs import from exist under flink_py."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(("module", "names"), [
    ("flink_py.common", ["Types", "Row", "Configuration", "Time", "Duration", "Encoder",
                         "WatermarkStrategy", "ExecutionConfig", "RestartStrategies"]),
    ("flink_py.datastream", ["StreamExecutionEnvironment", "DataStream", "KeyedStream",
                             "RuntimeExecutionMode", "OutputTag", "TimeDomain"]),
    ("flink_py.datastream.functions", ["MapFunction", "KeyedProcessFunction",
                                       "ProcessWindowFunction", "AggregateFunction",
                                       "CheckpointedFunction", "RuntimeContext"]),
    ("flink_py.datastream.state", ["ValueStateDescriptor", "MapStateDescriptor",
                                   "StateTtlConfig"]),
    ("flink_py.datastream.window", ["TumblingEventTimeWindows", "CountTrigger"]),
    ("flink_py.datastream.output_tag", ["OutputTag"]),
    ("flink_py.datastream.connectors.file_system", ["FileSource", "FileSink"]),
    ("flink_py.metrics", ["Counter", "Gauge", "Meter", "Distribution", "MetricGroup"]),
])
def test_pyflink_module_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


def test_metrics_path_is_the_runtime_classes() -> None:
    from flink_py.common import metrics as common_metrics
    from flink_py.metrics import Counter

    assert Counter is common_metrics.Counter


def test_window_functions_take_pyflinks_type_parameters() -> None:
    """PyFlink's examples subclass them as ``ProcessWindowFunction[IN, OUT, KEY, W]``."""
    from flink_py.datastream.window import (
        AllWindowFunction,
        CountWindow,
        ProcessAllWindowFunction,
        ProcessWindowFunction,
        TimeWindow,
        WindowFunction,
    )

    class Keyed(ProcessWindowFunction[tuple, tuple, str, TimeWindow]):
        pass

    class Applied(WindowFunction[tuple, tuple, str, CountWindow]):
        pass

    class AllProcess(ProcessAllWindowFunction[tuple, tuple, TimeWindow]):
        pass

    class AllApplied(AllWindowFunction[tuple, tuple, TimeWindow]):
        pass

    assert issubclass(Keyed, ProcessWindowFunction) and issubclass(AllApplied, AllWindowFunction)
    assert issubclass(Applied, WindowFunction) and issubclass(AllProcess, ProcessAllWindowFunction)
