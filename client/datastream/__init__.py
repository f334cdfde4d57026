"""The DataStream API (``pyflink.datastream`` with ``flink_py`` in its place).

The stream classes are loaded on first access: the runtime imports
``flink_py.datastream.functions`` without pulling in the whole API.
"""

from __future__ import annotations

import importlib
from typing import Any

from flink_py.datastream.functions import (
    AggregateFunction,
    AsyncFunction,
    AsyncRetryPredicate,
    AsyncRetryStrategy,
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    FilterFunction,
    FlatMapFunction,
    Function,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
    KeyedProcessFunction,
    KeySelector,
    MapFunction,
    Partitioner,
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    SinkFunction,
    SourceFunction,
)
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    ListState,
    ListStateDescriptor,
    MapState,
    MapStateDescriptor,
    ReducingState,
    ReducingStateDescriptor,
    StateTtlConfig,
    ValueState,
    ValueStateDescriptor,
)
from flink_py.datastream.time_domain import TimeDomain
from flink_py.datastream.timerservice import TimerService

_LAZY = {
    "AsyncDataStream": "flink_py.datastream.async_data_stream",
    "BroadcastConnectedStream": "flink_py.datastream.connected_streams",
    "BroadcastStream": "flink_py.datastream.connected_streams",
    "ConnectedStreams": "flink_py.datastream.connected_streams",
    "DataStream": "flink_py.datastream.data_stream",
    "DataStreamSink": "flink_py.datastream.data_stream",
    "KeyedStream": "flink_py.datastream.data_stream",
    "JobClient": "flink_py.datastream.stream_execution_environment",
    "JobExecutionResult": "flink_py.datastream.stream_execution_environment",
    "RuntimeExecutionMode": "flink_py.datastream.stream_execution_environment",
    "StreamExecutionEnvironment": "flink_py.datastream.stream_execution_environment",
    "WindowedStream": "flink_py.datastream.windowed_stream",
    "CheckpointConfig": "flink_py.datastream.checkpoint_config",
    **{name: "flink_py.datastream.state_backend" for name in (
        "StateBackend", "HashMapStateBackend", "EmbeddedRocksDBStateBackend",
        "MemoryStateBackend", "FsStateBackend", "RocksDBStateBackend", "CustomStateBackend",
        "PredefinedOptions")},
    **{name: "flink_py.datastream.checkpoint_storage" for name in (
        "CheckpointStorage", "JobManagerCheckpointStorage", "FileSystemCheckpointStorage",
        "CustomCheckpointStorage")},
    "SlotSharingGroup": "flink_py.datastream.slot_sharing_group",
    "MemorySize": "flink_py.datastream.slot_sharing_group",
    "TimeCharacteristic": "flink_py.datastream.time_characteristic",
    "CheckpointingMode": "flink_py.common.checkpoint_config",
    "ExternalizedCheckpointCleanup": "flink_py.common.checkpoint_config",
    "ExternalizedCheckpointRetention": "flink_py.common.checkpoint_config",
    "AllWindowedStream": "flink_py.datastream.windowed_stream",
    **{name: "flink_py.datastream.window" for name in (
        "AllWindowFunction", "CountEvictor", "CountSlidingWindowAssigner", "CountTrigger",
        "CountTumblingWindowAssigner", "CountWindow", "ContinuousEventTimeTrigger",
        "ContinuousProcessingTimeTrigger", "EventTimeSessionWindows", "EventTimeTrigger",
        "Evictor", "GlobalWindow", "GlobalWindows", "MergingWindowAssigner", "NeverTrigger",
        "ProcessAllWindowFunction", "ProcessWindowFunction", "ProcessingTimeSessionWindows",
        "ProcessingTimeTrigger", "PurgingTrigger", "SessionWindowTimeGapExtractor",
        "SlidingEventTimeWindows", "SlidingProcessingTimeWindows", "TimeEvictor", "TimeWindow",
        "Trigger", "TriggerResult", "TumblingEventTimeWindows", "TumblingProcessingTimeWindows",
        "Window", "WindowAssigner", "WindowFunction")},
}

__all__ = [
    "AggregateFunction",
    "AsyncDataStream",
    "AsyncFunction",
    "AsyncRetryPredicate",
    "AsyncRetryStrategy",
    "CheckpointConfig",
    "CheckpointStorage",
    "CustomCheckpointStorage",
    "CustomStateBackend",
    "EmbeddedRocksDBStateBackend",
    "FileSystemCheckpointStorage",
    "FsStateBackend",
    "HashMapStateBackend",
    "JobManagerCheckpointStorage",
    "MemorySize",
    "MemoryStateBackend",
    "PredefinedOptions",
    "RocksDBStateBackend",
    "SlotSharingGroup",
    "StateBackend",
    "TimeCharacteristic",
    "CheckpointingMode",
    "ExternalizedCheckpointCleanup",
    "ExternalizedCheckpointRetention",
    "AllWindowFunction",
    "AllWindowedStream",
    "ProcessAllWindowFunction",
    "ProcessWindowFunction",
    "WindowFunction",
    "WindowedStream",
    "AggregatingState",
    "AggregatingStateDescriptor",
    "BroadcastConnectedStream",
    "BroadcastProcessFunction",
    "BroadcastStream",
    "CoFlatMapFunction",
    "CoMapFunction",
    "CoProcessFunction",
    "ConnectedStreams",
    "DataStream",
    "DataStreamSink",
    "FilterFunction",
    "FlatMapFunction",
    "Function",
    "JobClient",
    "JobExecutionResult",
    "KeySelector",
    "KeyedBroadcastProcessFunction",
    "KeyedCoProcessFunction",
    "KeyedProcessFunction",
    "KeyedStream",
    "ListState",
    "ListStateDescriptor",
    "MapFunction",
    "MapState",
    "MapStateDescriptor",
    "OutputTag",
    "Partitioner",
    "ProcessFunction",
    "ReduceFunction",
    "ReducingState",
    "ReducingStateDescriptor",
    "RuntimeContext",
    "RuntimeExecutionMode",
    "SinkFunction",
    "SourceFunction",
    "StateTtlConfig",
    "StreamExecutionEnvironment",
    "TimeDomain",
    "TimerService",
    "ValueState",
    "ValueStateDescriptor",
]


#: Submodules PyFlink's examples import from the package (``from pyflink.datastream
#: import async_retry_predicates``).
_SUBMODULES = frozenset({"async_retry_predicates", "async_retry_strategies"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flink_py.datastream' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
