"""DataStream and KeyedStream, as in ``pyflink.datastream.data_stream``."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

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
from flink_py.common.typeinfo import TupleTypeInfo, Types
from flink_py.datastream._transformation import Transformation
from flink_py.datastream.functions import resolve
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.slot_sharing_group import SlotSharingGroup
from flink_py.datastream.state import MapStateDescriptor
from flink_py.taskmanager.operators.basic import (
    FilterOperator,
    FlatMapOperator,
    MapOperator,
)
from flink_py.taskmanager.operators.keyed import (
    KeyedFilterOperator,
    KeyedFlatMapOperator,
    KeyedMapOperator,
    ReduceOperator,
    TupleSumOperator,
)
from flink_py.taskmanager.operators.process import KeyedProcessOperator, ProcessOperator
from flink_py.taskmanager.operators.sinks import PrintSinkOperator, SinkFunctionOperator
from flink_py.taskmanager.operators.watermarks import TimestampsAndWatermarksOperator

if TYPE_CHECKING:
    from flink_py.common.execution_config import ExecutionConfig
    from flink_py.datastream.stream_execution_environment import (
        StreamExecutionEnvironment,
    )

__all__ = [
    "BroadcastConnectedStream",
    "BroadcastStream",
    "ConnectedStreams",
    "DataStream",
    "DataStreamSink",
    "KeyedStream",
]

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


def _output_type(output_type: Any) -> Any:
    """PyFlink's shorthand: a list of field types means a Row of them."""
    if isinstance(output_type, list):
        from flink_py.common.typeinfo import RowTypeInfo

        return RowTypeInfo(output_type)
    return output_type


def _check_uid_hash(uid_hash: Any) -> None:
    if not isinstance(uid_hash, str) or not re.fullmatch(r"[0-9A-Fa-f]{32}", uid_hash):
        msg = ("Node hash must be a 32 character String that describes a hex code. "
               f"Found: {uid_hash}")
        raise ValueError(msg)


def _type_name(type_info: Any) -> str:
    if type_info is None:
        return "PICKLED_BYTE_ARRAY"
    name = getattr(type_info, "type_name", None)
    return name() if callable(name) else str(type_info)


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
        """Set the operator id hash directly (32 hex characters, as Flink requires)."""
        _check_uid_hash(uid_hash)
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

    def slot_sharing_group(self, slot_sharing_group: str | SlotSharingGroup) -> DataStream:
        """Put the operator into a slot-sharing group (a name or a SlotSharingGroup)."""
        if isinstance(slot_sharing_group, SlotSharingGroup):
            self._env.register_slot_sharing_group(slot_sharing_group)
        self._t.slot_sharing_group = getattr(slot_sharing_group, "get_name", lambda: slot_sharing_group)()
        return self

    def get_execution_environment(self) -> StreamExecutionEnvironment:
        """The StreamExecutionEnvironment this stream was created in."""
        return self._env

    def get_execution_config(self) -> ExecutionConfig:
        """The ExecutionConfig of this stream's environment."""
        return self._env.get_config()

    def force_non_parallel(self) -> DataStream:
        """Run this operator with parallelism and max parallelism 1, for good."""
        self._t.parallelism = 1
        self._t.max_parallelism = 1
        self._t.non_parallel = True
        return self

    def set_buffer_timeout(self, timeout_millis: int) -> DataStream:
        """Set the flush timeout of this operator's output (-1: the default).

        Recorded on the operator: flink-py flushes every task's output after
        the job's ``execution.buffer-timeout`` (``env.set_buffer_timeout``).
        """
        if timeout_millis < -1:
            raise ValueError(f"timeout_millis must be -1 or more, got {timeout_millis}")
        self._t.buffer_timeout = timeout_millis
        return self

    def set_description(self, description: str) -> DataStream:
        """Describe the operator (shown in the JSON execution plan; the name stays short)."""
        self._t.operator_description = description
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

    def map_batches(self, func: Any, output_type: Any) -> DataStream:
        """flink-py: apply ``func(pyarrow.RecordBatch) -> RecordBatch`` to whole batches.

        The stream must have a declared type; the batch has one column per
        TUPLE/ROW field (``f0, f1, ...`` or the ROW_NAMED names), else one
        column ``f0``. The result is read as ``output_type`` (columns by name,
        else by position, cast safely). See ``operators.batch_ops``.
        """
        from flink_py.taskmanager.operators.batch_ops import MapBatchesOperator

        op = MapBatchesOperator(func, self._t.output_type, output_type, "MapBatches")
        return self._one_input("MapBatches", op, output_type)

    def filter_batches(self, func: Any) -> DataStream:
        """flink-py: keep the records selected by ``func(pyarrow.RecordBatch)``.

        ``func`` returns a boolean mask (one entry per row; null means drop)
        or a filtered RecordBatch of the same schema.
        """
        from flink_py.taskmanager.operators.batch_ops import FilterBatchesOperator

        op = FilterBatchesOperator(func, self._t.output_type, "FilterBatches")
        return self._one_input("FilterBatches", op, self._t.output_type)

    def key_by(self, key_selector: Any, key_type: Any = None) -> KeyedStream:
        """Partition the stream by key (Flink's key groups)."""
        selector, _ = resolve(key_selector, "get_key")
        part = Transformation("partition", "Partition", [(self._t, 0)],
                              output_type=self._t.output_type,
                              partitioner=KeyGroupStreamPartitioner(selector, 128, key_type),
                              partitioner_name="HASH")
        return KeyedStream(self._env, part, selector, key_type, origin=self)

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

    def broadcast(self, broadcast_state_descriptor: MapStateDescriptor | None = None,
                  *other_broadcast_state_descriptors: MapStateDescriptor) -> Any:
        """Send every record to every downstream subtask.

        With MapStateDescriptors, returns a BroadcastStream for
        ``other.connect(broadcast_stream).process(...)``, whose instances keep
        the described broadcast state.
        """
        if broadcast_state_descriptor is None:
            return self._partition(BroadcastPartitioner(), "BROADCAST")
        from flink_py.datastream.connected_streams import BroadcastStream

        descriptors = [broadcast_state_descriptor, *other_broadcast_state_descriptors]
        for d in descriptors:
            if not isinstance(d, MapStateDescriptor):
                raise TypeError("broadcast_state_descriptor must be MapStateDescriptor")
        return BroadcastStream(self.broadcast(), descriptors)

    def global_(self) -> DataStream:
        """Send every record to the first downstream subtask."""
        return self._partition(GlobalPartitioner(), "GLOBAL")

    def partition_custom(self, partitioner: Any, key_selector: Any) -> DataStream:
        """Choose the channel with ``partitioner.partition(key, n)``."""
        selector, _ = resolve(key_selector, "get_key")
        return self._partition(CustomPartitionerWrapper(partitioner, selector), "CUSTOM")

    def project(self, *field_indexes: int) -> DataStream:
        """Keep the given fields of TUPLE records, in the given order (a "Projection").

        Raises:
            TypeError: If the stream is not declared as a TUPLE.
            IndexError: If an index is not a field of the tuple.
        """
        type_info = self._t.output_type
        if not isinstance(type_info, TupleTypeInfo):
            raise TypeError("Only Tuple DataStreams can be projected.")
        fields = type_info.get_field_types()
        if not field_indexes:
            raise ValueError("project() needs at least one field index")
        for index in field_indexes:
            if not isinstance(index, int) or not 0 <= index < len(fields):
                raise IndexError(f"Projection index {index!r} is out of range for a tuple of "
                                 f"{len(fields)} fields")
        out_type = TupleTypeInfo([fields[i] for i in field_indexes])
        return self._one_input("Projection", MapOperator(_Projection(field_indexes)), out_type)

    def union(self, *streams: DataStream) -> DataStream:
        """Merge streams of the same type.

        Raises:
            ValueError: a stream's type differs (as Flink's IllegalArgumentException).
        """
        mine = _declared(self._t.output_type)
        for s in streams:
            theirs = _declared(s._t.output_type)  # noqa: SLF001
            if theirs != mine:
                raise ValueError(
                    f"Cannot union streams of different types: {mine} and {theirs}")
        t = Transformation("union", "Union", [(self._t, 0)] + [(s._t, 0) for s in streams],
                           output_type=self._t.output_type)
        return DataStream(self._env, t)

    def connect(self, ds: Any) -> Any:
        """Connect with another DataStream (ConnectedStreams) or a BroadcastStream."""
        from flink_py.datastream.connected_streams import (
            BroadcastConnectedStream,
            BroadcastStream,
            ConnectedStreams,
        )

        if isinstance(ds, BroadcastStream):
            return BroadcastConnectedStream(self, ds, ds.broadcast_state_descriptors)
        if not isinstance(ds, DataStream):
            raise TypeError(f"connect() needs a DataStream or a BroadcastStream, got {ds!r}")
        return ConnectedStreams(self, ds)

    def window_all(self, window_assigner: Any) -> Any:
        """Split the whole stream into windows (evaluated by one parallel instance)."""
        from flink_py.datastream.windowed_stream import AllWindowedStream

        return AllWindowedStream(self, window_assigner)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply a ProcessFunction (or a callable ``(value, ctx)``); it yields its outputs."""
        return self._one_input("Process", ProcessOperator(func), _output_type(output_type))

    def assign_timestamps_and_watermarks(self, watermark_strategy: Any) -> DataStream:
        """Assign event timestamps and generate watermarks with a ``WatermarkStrategy``.

        Watermarks from upstream are replaced by the strategy's own (only the
        end-of-input watermark passes through).
        """
        return self._one_input("Timestamps/Watermarks",
                               TimestampsAndWatermarksOperator(watermark_strategy),
                               self._t.output_type)

    def get_side_output(self, output_tag: OutputTag) -> DataStream:
        """The stream of values this operator emitted to the side output ``output_tag``."""
        if not isinstance(output_tag, OutputTag):
            raise TypeError(f"get_side_output() needs an OutputTag, got {output_tag!r}")
        if self._t.kind != "operator":
            msg = (f"get_side_output({output_tag.tag_id!r}) needs the result of an operator "
                   f"such as process(); '{self._t.name}' is a {self._t.kind} transformation")
            raise ValueError(msg)
        op = self._t.operator
        types = getattr(op, "side_output_types", None)
        if types is None:
            types = op.side_output_types = {}
        known = types.get(output_tag.tag_id, output_tag.type_info)
        if known != output_tag.type_info:
            msg = (f"The side output {output_tag.tag_id!r} of '{self._t.name}' is already "
                   f"used with the type {_type_name(known)}, not "
                   f"{_type_name(output_tag.type_info)}")
            raise ValueError(msg)
        types[output_tag.tag_id] = output_tag.type_info
        t = Transformation("side_output", f"SideOutput({output_tag.tag_id})", [(self._t, 0)],
                           output_type=output_tag.type_info, side_tag=output_tag.tag_id)
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
        file_sink = getattr(sink_func, "_file_sink", None)  # a StreamingFileSink
        if file_sink is not None:
            return self.sink_to(file_sink)
        resolve(sink_func, "invoke")
        return self._sink("Unnamed", SinkFunctionOperator(sink_func))

    def sink_to(self, sink: Any) -> DataStreamSink:
        """Write the stream with a Sink (FileSink, DiscardingSink, your own Sink)."""
        import copy

        from flink_py.datastream.connectors.sink import Sink
        from flink_py.taskmanager.operators.sink_writer import SinkOperator

        if not isinstance(sink, Sink) and hasattr(sink, "build"):
            sink = sink.build()
        if not isinstance(sink, Sink):
            msg = (f"sink_to: expected a Sink (see flink_py.datastream.connectors.sink), "
                   f"got {type(sink).__name__}")
            raise TypeError(msg)
        sink = copy.deepcopy(sink)  # one sink object may be attached to several streams
        sink.set_input_type(self._t.output_type)
        return self._sink("Sink: Writer", SinkOperator(sink, self._t.output_type))

    def cache(self) -> CachedDataStream:
        """This stream, marked for caching between jobs of the program (PyFlink 1.16+).

        flink-py computes the stream again in each job that uses it (same records for a
        deterministic bounded source); :meth:`CachedDataStream.invalidate` is accepted.
        """
        return CachedDataStream(self._env, self._t)

    def execute_and_collect(self, job_execution_name: str | None = None,
                            limit: int | None = None) -> Any:
        """Run the job and iterate over this stream's records in the client.

        Returns a closeable iterator (also a context manager), or a list of at
        most ``limit`` records when ``limit`` is given.
        """
        return self._env._execute_and_collect(self, job_execution_name, limit)  # noqa: SLF001


def _declared(type_info: Any) -> Any:
    """A stream's type as Flink sees it: undeclared means pickled bytes."""
    return Types.PICKLED_BYTE_ARRAY() if type_info is None else type_info


class _Projection:
    """The function of ``project``: the selected fields as a new tuple."""

    def __init__(self, field_indexes: tuple[int, ...]) -> None:
        self.field_indexes = tuple(field_indexes)

    def __call__(self, value: Any) -> tuple[Any, ...]:
        return tuple([value[i] for i in self.field_indexes])


class CachedDataStream(DataStream):
    """A stream returned by :meth:`DataStream.cache`."""

    def invalidate(self) -> None:
        """Drop the cached result (nothing is kept between jobs: a no-op)."""


# ``global`` is a Python keyword; PyFlink exposes it as ``global`` via getattr.
setattr(DataStream, "global", DataStream.global_)  # noqa: B010


class KeyedStream(DataStream):
    """A stream partitioned by key: operators on it keep per-key state.

    ``map``/``flat_map``/``filter``/``process`` run with the record's key as
    the current key, so their functions can use keyed state; the built-in
    aggregations (``reduce``, ``sum``, ``min``, ``max``, ``min_by``,
    ``max_by``) emit the updated value per key for every record.
    """

    def __init__(self, env: StreamExecutionEnvironment, transformation: Transformation,
                 key_selector: Any, key_type: Any, origin: DataStream | None = None) -> None:
        super().__init__(env, transformation)
        self._key_selector = key_selector
        self._key_type = key_type
        self._origin = origin

    def execute_and_collect(self, job_execution_name: str | None = None,
                            limit: int | None = None) -> Any:
        """As PyFlink: a keyed stream collects its records with their keys, as
        ``Row(f0=key, f1=record)`` (the form PyFlink's keyed streams carry)."""
        from flink_py.common.types import Row

        key_of, _ = resolve(self._key_selector, "get_key")
        pairs = DataStream.map(self, lambda v: Row(f0=key_of(v), f1=v))
        return pairs.execute_and_collect(job_execution_name, limit)

    # -- keyed operators ---------------------------------------------------------
    def map(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply ``func`` (callable or MapFunction) per record, in the record's key context."""
        resolve(func, "map")
        return self._one_input("Map", KeyedMapOperator(self._key_selector, func),
                               _output_type(output_type))

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply ``func`` (callable, generator or FlatMapFunction) in the record's key context."""
        resolve(func, "flat_map")
        return self._one_input("FlatMap", KeyedFlatMapOperator(self._key_selector, func),
                               _output_type(output_type))

    def filter(self, func: Any) -> DataStream:
        """Keep records for which ``func`` is true, evaluated in the record's key context."""
        resolve(func, "filter")
        return self._one_input("Filter", KeyedFilterOperator(self._key_selector, func),
                               self._t.output_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """Apply a KeyedProcessFunction (or a callable ``(value, ctx)``): keyed state, timers."""
        return self._one_input("KeyedProcess", KeyedProcessOperator(self._key_selector, func),
                               _output_type(output_type))

    def reduce(self, func: Any) -> DataStream:
        """Rolling reduce per key: emits the updated value for every record."""
        resolve(func, "reduce")
        op = ReduceOperator(self._key_selector, func)
        return self._one_input("Keyed Reduce", op, self._t.output_type)

    def _aggregate(self, kind: str, field: int | str) -> DataStream:
        from flink_py.datastream._aggregations import AGGREGATIONS, field_accessor

        where = f"KeyedStream.{kind}({field!r}) at {_call_site()}"
        accessor = field_accessor(field, self._t.output_type, where)
        reducer = AGGREGATIONS[kind](accessor)
        type_info = self._t.output_type
        op: ReduceOperator
        if kind == "sum" and isinstance(type_info, TupleTypeInfo):
            op = TupleSumOperator(self._key_selector, reducer,
                                  len(type_info.get_field_types()), int(accessor.field))
        else:
            op = ReduceOperator(self._key_selector, reducer)
        return self._one_input("Keyed Aggregation", op, type_info)

    def sum(self, position_to_sum: int | str = 0) -> DataStream:
        """Rolling sum of a field (position, or name); other fields keep the first record's."""
        return self._aggregate("sum", position_to_sum)

    def min(self, position_to_min: int | str = 0) -> DataStream:
        """Rolling minimum of a field; other fields keep the first record's values."""
        return self._aggregate("min", position_to_min)

    def max(self, position_to_max: int | str = 0) -> DataStream:
        """Rolling maximum of a field; other fields keep the first record's values."""
        return self._aggregate("max", position_to_max)

    def min_by(self, position_to_min_by: int | str = 0) -> DataStream:
        """The record with the smallest field value so far (the first one on ties)."""
        return self._aggregate("min_by", position_to_min_by)

    def max_by(self, position_to_max_by: int | str = 0) -> DataStream:
        """The record with the largest field value so far (the first one on ties)."""
        return self._aggregate("max_by", position_to_max_by)

    def window(self, window_assigner: Any) -> Any:
        """Split each key's elements into windows (``flink_py.datastream.window``)."""
        from flink_py.datastream.windowed_stream import WindowedStream

        return WindowedStream(self, window_assigner)

    def count_window(self, size: int, slide: int = 0) -> Any:
        """Count windows of ``size`` elements per key, starting every ``slide`` elements.

        PyFlink semantics: the i-th element of a key is in every window k with
        ``k*slide <= i < k*slide + size``; a window fires once, when it holds
        ``size`` elements (Java's countWindow(size, slide) is
        ``window(GlobalWindows.create()).trigger(CountTrigger.of(slide))
        .evictor(CountEvictor.of(size))``).
        """
        from flink_py.datastream.window import (
            CountSlidingWindowAssigner,
            CountTumblingWindowAssigner,
        )

        if size <= 0:
            raise ValueError(f"count_window: size must be greater than 0, got {size}")
        if slide < 0:
            raise ValueError(f"count_window: slide must not be negative, got {slide}")
        if slide == 0:
            return self.window(CountTumblingWindowAssigner.of(size))
        return self.window(CountSlidingWindowAssigner.of(size, slide))

    def key_by(self, key_selector: Any, key_type: Any = None) -> KeyedStream:
        """Re-key the stream before this key_by (the new key replaces the old one)."""
        return (self._origin or DataStream(self._env, self._t.inputs[0][0])).key_by(
            key_selector, key_type)

    # -- not available on a keyed stream -----------------------------------------
    def _no_repartition(self, *args: Any) -> DataStream:
        raise TypeError("Cannot override partitioning for KeyedStream.")

    rebalance = rescale = shuffle = forward = global_ = _no_repartition  # type: ignore[assignment]
    broadcast = partition_custom = _no_repartition  # type: ignore[assignment]

    def _unsupported(self, what: str) -> TypeError:
        return TypeError(f"{what} for KeyedStream is not supported; set it on the operator "
                         "applied to the KeyedStream")

    def set_parallelism(self, parallelism: int) -> DataStream:  # noqa: D102
        raise self._unsupported("Set parallelism")

    def set_max_parallelism(self, max_parallelism: int) -> DataStream:  # noqa: D102
        raise self._unsupported("Set max parallelism")

    def name(self, name: str) -> DataStream:  # noqa: D102
        raise self._unsupported("Set name")

    def uid(self, uid: str) -> DataStream:  # noqa: D102
        raise self._unsupported("Set uid")

    def slot_sharing_group(self, slot_sharing_group: str) -> DataStream:  # noqa: D102
        raise self._unsupported("Setting slot sharing group")

    def disable_chaining(self) -> DataStream:  # noqa: D102
        raise self._unsupported("Disable chaining")

    def start_new_chain(self) -> DataStream:  # noqa: D102
        raise self._unsupported("Start new chain")

    def set_uid_hash(self, uid_hash: str) -> DataStream:  # noqa: D102
        raise self._unsupported("Set uid hash")

    def force_non_parallel(self) -> DataStream:  # noqa: D102
        raise self._unsupported("Set force non-parallel")

    def set_buffer_timeout(self, timeout_millis: int) -> DataStream:  # noqa: D102
        raise self._unsupported("Set buffer timeout")


setattr(KeyedStream, "global", KeyedStream._no_repartition)  # noqa: B010, SLF001


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

    def set_uid_hash(self, uid_hash: str) -> DataStreamSink:
        """Set the sink's operator id hash directly (32 hex characters)."""
        _check_uid_hash(uid_hash)
        self._t.uid_hash = uid_hash
        return self

    def set_description(self, description: str) -> DataStreamSink:
        """Describe the sink (shown in the JSON execution plan)."""
        self._t.operator_description = description
        return self

    def set_parallelism(self, parallelism: int) -> DataStreamSink:
        """Set the sink's parallelism."""
        self._t.parallelism = parallelism
        return self

    def disable_chaining(self) -> DataStreamSink:
        """Never chain the sink."""
        self._t.chaining = "NEVER"
        return self

    def slot_sharing_group(self, slot_sharing_group: str | SlotSharingGroup) -> DataStreamSink:
        """Put the sink into a slot-sharing group (a name or a SlotSharingGroup)."""
        self._t.slot_sharing_group = getattr(slot_sharing_group, "get_name",
                                             lambda: slot_sharing_group)()
        return self


from flink_py.client.cluster_client import CollectIterator as CloseableIterator  # noqa: E402
from flink_py.datastream.connected_streams import (  # noqa: E402 - they build on DataStream
    BroadcastConnectedStream,
    BroadcastStream,
    ConnectedStreams,
)
from flink_py.datastream.windowed_stream import AllWindowedStream, WindowedStream  # noqa: E402
