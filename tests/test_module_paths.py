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
    ("flink_py.datastream", ["AsyncDataStream", "AsyncFunction", "AsyncRetryStrategy",
                             "async_retry_predicates", "async_retry_strategies"]),
    ("flink_py.datastream.async_data_stream", ["AsyncDataStream"]),
    ("flink_py.datastream.functions", ["AsyncFunction", "AsyncFunctionDescriptor",
                                       "AsyncRetryPredicate", "AsyncRetryStrategy"]),
    ("flink_py.datastream.async_retry_strategies", [
        "RetryPredicate", "NoRetryStrategy", "FixedDelayRetryStrategy",
        "ExponentialBackoffDelayRetryStrategy", "NO_RETRY_STRATEGY"]),
    ("flink_py.datastream.async_retry_predicates", [
        "empty_result_predicate", "has_exception_predicate", "exception_type_predicate"]),
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


def test_async_function_takes_pyflinks_type_parameters() -> None:
    """PyFlink's async example subclasses ``AsyncFunction[Row, str]``."""
    from flink_py.common import Row
    from flink_py.datastream import AsyncFunction

    class Request(AsyncFunction[Row, str]):
        async def async_invoke(self, value: Row) -> list[str]:
            return [str(value)]

    assert issubclass(Request, AsyncFunction)
