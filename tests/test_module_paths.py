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
