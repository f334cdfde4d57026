"""The DataStream API (``pyflink.datastream`` with ``flink_py`` in its place).

The stream classes are loaded on first access: the runtime imports
``flink_py.datastream.functions`` without pulling in the whole API.
"""

from __future__ import annotations

import importlib
from typing import Any

from flink_py.datastream.functions import (
    FilterFunction,
    FlatMapFunction,
    Function,
    KeySelector,
    MapFunction,
    Partitioner,
    ReduceFunction,
    RuntimeContext,
    SinkFunction,
)

_LAZY = {
    "DataStream": "flink_py.datastream.data_stream",
    "DataStreamSink": "flink_py.datastream.data_stream",
    "KeyedStream": "flink_py.datastream.data_stream",
    "JobClient": "flink_py.datastream.stream_execution_environment",
    "JobExecutionResult": "flink_py.datastream.stream_execution_environment",
    "RuntimeExecutionMode": "flink_py.datastream.stream_execution_environment",
    "StreamExecutionEnvironment": "flink_py.datastream.stream_execution_environment",
}

__all__ = [
    "DataStream",
    "DataStreamSink",
    "FilterFunction",
    "FlatMapFunction",
    "Function",
    "JobClient",
    "JobExecutionResult",
    "KeySelector",
    "KeyedStream",
    "MapFunction",
    "Partitioner",
    "ReduceFunction",
    "RuntimeContext",
    "RuntimeExecutionMode",
    "SinkFunction",
    "StreamExecutionEnvironment",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flink_py.datastream' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
