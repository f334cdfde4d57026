"""DataStream and KeyedStream, as in ``pyflink.datastream.data_stream``."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from flink_py.datastream._transformation import Transformation
from flink_py.common.runtime.partitioners import (
    BroadcastPartitioner,
    CustomPartitionerWrapper,
    ForwardPartitioner,
    GlobalPartitioner,
    KeyGroupStreamPartitioner,
    RebalancePartitioner,
    RescalePartitioner,
    ShufflePartitioner,
)
from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.basic import FilterOperator, FlatMapOperator, MapOperator
from flink_py.taskmanager.operators.keyed import ReduceOperator
from flink_py.taskmanager.operators.sinks import PrintSinkOperator, SinkFunctionOperator

if TYPE_CHECKING:
    from flink_py.datastream.stream_execution_environment import StreamExecutionEnvironment

__all__ = ["DataStream", "DataStreamSink", "KeyedStream"]

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _call_site() -> str:
    """``file:line`` of the user code calling into the API."""
    frame = sys._getframe(1)  # noqa: SLF001
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_HERE) and "flink_py" not in path.split(os.sep)[-2:]:
            return f"{os.path.basename(path)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


class DataStream:
    """A stream of records of one type."""

    def __init__(self, env: StreamExecutionEnvironment, transformation: Transformation) -> None:
        self._env = env
        self._t = transformation

    # -- properties ----------------------------------------------------------
    def get_name(self) -> str:
        """The operator's name."""
        return self._t.name

    def name(self, name: str) -> DataStream:
        """Set the operator's name (shown in logs, errors and the job graph)."""
        self._t.name = name
        return self

    def uid(self, uid: str) -> DataStream:
        """Set a stable operator id (maps savepoint state to this operator)."""
        self._t.uid = uid
        return self

    def set_uid_hash(self, uid_hash: str) -> DataStream:
        """Set the operator id hash directly."""
        self._t.uid_hash = uid_hash
        return self

    def get_type(self) -> Any:
        """The declared output type (None: pickled Python objects)."""
        return self._t.output_type

    def set_parallelism(self, parallelism: int) -> DataStream:
        """Set the operator's parallelism."""
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, got {parallelism}")
        if self._t.non_parallel and parallelism != 1:
            msg = f"The parallelism of non-parallel operator '{self._t.name}' must be 1"
            raise ValueError(msg)
        self._t.parallelism = parallelism
        return self

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:
        """Set the operator's max parallelism (number of key groups)."""
        if not 1 <= max_parallelism <= 32768:
            raise ValueError(f"max parallelism must be within 1..32768, got {max_parallelism}")
        self._t.max_parallelism = max_parallelism
        return self

    def slot_sharing_group(self, slot_sharing_group: str) -> DataStream:
        """Put the operator into a slot-sharing group."""
        self._t.slot_sharing_group = getattr(slot_sharing_group, "get_name", lambda: slot_sharing_group)()
        return self

    def disable_chaining(self) -> DataStream:
        """Never chain this operator with its neighbours."""
        self._t.chaining = "NEVER"
        return self

    def start_new_chain(self) -> DataStream:
        """Start a new chain at this operator."""
        self._t.chaining = "HEAD"
        return self

    # -- transformations -----------------------------------------------------
    def _one_input(self, name: str, operator: Any, output_type: Any = None) -> DataStream:
        t = Transformation("operator", name, [(self._t, 0)], operator, output_type,
                           description=_call_site())
        self._env._add(t)  # noqa: SLF001
        return DataStream(self._env, t)

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply ``func`` (callable or MapFunction) to every record."""
        resolve(func, "map")
        return self._one_input("Map", MapOperator(func), output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply ``func`` (callable, generator or FlatMapFunction) to every record."""
        resolve(func, "flat_map")
        return self._one_input("FlatMap", FlatMapOperator(func), output_type)

    def filter(self, func: Any) -> DataStream:
        """Keep records for which ``func`` (callable or FilterFunction) is true."""
        resolve(func, "filter")
        return self._one_input("Filter", FilterOperator(func), self._t.output_type)

    def key_by(self, key_selector: Any, key_type: Any = None) -> KeyedStream:
        """Partition the stream by key (Flink's key groups)."""
        selector, _ = resolve(key_selector, "get_key")
        part = Transformation("partition", "Partition", [(self._t, 0)],
                              output_type=self._t.output_type,
                              partitioner=KeyGroupStreamPartitioner(selector, 128),
                              partitioner_name="HASH")
        return KeyedStream(self._env, part, selector, key_type)

    def _partition(self, partitioner: Any, name: str) -> DataStream:
        t = Transformation("partition", "Partition", [(self._t, 0)],
                           output_type=self._t.output_type, partitioner=partitioner,
                           partitioner_name=name)
        return DataStream(self._env, t)

    def rebalance(self) -> DataStream:
        """Round-robin records over all downstream subtasks."""
        return self._partition(RebalancePartitioner(), "REBALANCE")

    def rescale(self) -> DataStream:
        """Round-robin records over a local subset of downstream subtasks."""
        return self._partition(RescalePartitioner(), "RESCALE")

    def shuffle(self) -> DataStream:
        """Send each record to a uniformly random downstream subtask."""
        return self._partition(ShufflePartitioner(), "SHUFFLE")

    def forward(self) -> DataStream:
        """Send records of subtask i to subtask i (needs equal parallelism)."""
        return self._partition(ForwardPartitioner(), "FORWARD")

    def broadcast(self) -> DataStream:
        """Send every record to every downstream subtask."""
        return self._partition(BroadcastPartitioner(), "BROADCAST")

    def global_(self) -> DataStream:
        """Send every record to the first downstream subtask."""
        return self._partition(GlobalPartitioner(), "GLOBAL")

    def partition_custom(self, partitioner: Any, key_selector: Any) -> DataStream:
        """Choose the channel with ``partitioner.partition(key, n)``."""
        selector, _ = resolve(key_selector, "get_key")
        return self._partition(CustomPartitionerWrapper(partitioner, selector), "CUSTOM")

    def union(self, *streams: DataStream) -> DataStream:
        """Merge streams of the same type."""
        t = Transformation("union", "Union", [(self._t, 0)] + [(s._t, 0) for s in streams],
                           output_type=self._t.output_type)
        return DataStream(self._env, t)

    # -- sinks ---------------------------------------------------------------
    def _sink(self, name: str, operator: Any) -> DataStreamSink:
        t = Transformation("operator", name, [(self._t, 0)], operator, None,
                           description=_call_site())
        self._env._add(t, sink=True)  # noqa: SLF001
        return DataStreamSink(t)

    def print(self, sink_identifier: str | None = None) -> DataStreamSink:
        """Print every record to the TaskManager's stdout (Flink's prefixes)."""
        return self._sink("Print to Std. Out",
                          PrintSinkOperator(sink_identifier, self._t.output_type))

    def add_sink(self, sink_func: Any) -> DataStreamSink:
        """Write every record with a SinkFunction (or callable(value, context))."""
        resolve(sink_func, "invoke")
        return self._sink("Sink: Unnamed", SinkFunctionOperator(sink_func))

    def execute_and_collect(self, job_execution_name: str | None = None,
                            limit: int | None = None) -> Any:
        """Run the job and iterate over this stream's records in the client.

        Returns a closeable iterator (also a context manager), or a list of at
        most ``limit`` records when ``limit`` is given.
        """
        return self._env._execute_and_collect(self, job_execution_name, limit)  # noqa: SLF001


# ``global`` is a Python keyword; PyFlink exposes it as ``global`` via getattr.
setattr(DataStream, "global", DataStream.global_)  # noqa: B010


class KeyedStream(DataStream):
    """A stream partitioned by key: aggregations keep per-key state."""

    def __init__(self, env: StreamExecutionEnvironment, transformation: Transformation,
                 key_selector: Any, key_type: Any) -> None:
        super().__init__(env, transformation)
        self._key_selector = key_selector
        self._key_type = key_type

    def reduce(self, func: Any) -> DataStream:
        """Rolling reduce per key: emits the updated value for every record."""
        resolve(func, "reduce")
        op = ReduceOperator(self._key_selector, func)
        return self._one_input("Keyed Reduce", op, self._t.output_type)

    def _aggregate(self, name: str, reduce_fn: Any) -> DataStream:
        return self._one_input(name, ReduceOperator(self._key_selector, reduce_fn),
                               self._t.output_type)

    def sum(self, position_to_sum: int | str = 0) -> DataStream:
        """Rolling sum of a field (by position, or by name for Rows)."""
        from flink_py.datastream._aggregations import field_accessor, sum_reducer

        return self._aggregate("Keyed Aggregation",
                               sum_reducer(field_accessor(position_to_sum, self._t.output_type)))


class DataStreamSink:
    """The result of a sink call: only naming and parallelism remain."""

    def __init__(self, transformation: Transformation) -> None:
        self._t = transformation

    def name(self, name: str) -> DataStreamSink:
        """Set the sink's name."""
        self._t.name = name
        return self

    def uid(self, uid: str) -> DataStreamSink:
        """Set the sink's stable id."""
        self._t.uid = uid
        return self

    def set_parallelism(self, parallelism: int) -> DataStreamSink:
        """Set the sink's parallelism."""
        self._t.parallelism = parallelism
        return self

    def disable_chaining(self) -> DataStreamSink:
        """Never chain the sink."""
        self._t.chaining = "NEVER"
        return self

    def slot_sharing_group(self, slot_sharing_group: str) -> DataStreamSink:
        """Put the sink into a slot-sharing group."""
        self._t.slot_sharing_group = slot_sharing_group
        return self
