"""State interfaces and descriptors (``pyflink.datastream.state``).

Keyed state is obtained in ``open()`` through the ``RuntimeContext``
(``get_state``, ``get_list_state``, ``get_map_state``,
``get_reducing_state``, ``get_aggregating_state``) of a function applied on a
keyed stream. Every access reads or writes the value of the key of the record
(or timer) being processed. Broadcast state is a map replicated on every
parallel instance; it is described by a :class:`MapStateDescriptor` passed to
``DataStream.broadcast(descriptor)``.

A descriptor may enable state time-to-live with
:meth:`StateDescriptor.enable_time_to_live` and a :class:`StateTtlConfig`
(built with ``StateTtlConfig.new_builder(Time.seconds(n))``): values then
expire ``ttl`` after their last write (or read, with ``OnReadAndWrite``),
measured in processing time.

The implementations live in ``flink_py.taskmanager.state``.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

from flink_py.common.time import Duration, Time

__all__ = [
    "AggregatingState",
    "AggregatingStateDescriptor",
    "AppendingState",
    "BroadcastState",
    "ListState",
    "ListStateDescriptor",
    "MapState",
    "MapStateDescriptor",
    "MergingState",
    "OperatorStateStore",
    "ReadOnlyBroadcastState",
    "ReducingState",
    "ReducingStateDescriptor",
    "State",
    "StateDescriptor",
    "StateTtlConfig",
    "ValueState",
    "ValueStateDescriptor",
]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
IN = TypeVar("IN")
OUT = TypeVar("OUT")


# -- state interfaces ---------------------------------------------------------
class State(abc.ABC):
    """A partitioned state: its value belongs to the current key."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove the value of the current key."""


class ValueState(State, Generic[T]):
    """A single value per key."""

    @abc.abstractmethod
    def value(self) -> T | None:
        """The current key's value, or None."""

    @abc.abstractmethod
    def update(self, value: T | None) -> None:
        """Set the current key's value; None removes it."""


class AppendingState(State, Generic[IN, OUT]):
    """State to which values are added."""

    @abc.abstractmethod
    def get(self) -> OUT:
        """The current key's accumulated value."""

    @abc.abstractmethod
    def add(self, value: IN) -> None:
        """Add ``value`` to the current key's state."""


class MergingState(AppendingState[IN, OUT]):
    """Appending state whose instances can be merged (windows)."""


class ReducingState(MergingState[T, T]):
    """Values added are combined with the descriptor's reduce function."""


class AggregatingState(MergingState[IN, OUT]):
    """Values added are aggregated with the descriptor's AggregateFunction."""


class ListState(MergingState[T, Iterable[T]]):
    """A list of values per key."""

    @abc.abstractmethod
    def update(self, values: list[T]) -> None:
        """Replace the current key's list."""

    @abc.abstractmethod
    def add_all(self, values: list[T]) -> None:
        """Append all ``values`` to the current key's list."""

    def __iter__(self) -> Iterator[T]:
        return iter(self.get())


class _MapReads(abc.ABC, Generic[K, V]):
    """The reads of a map-shaped state (map state, broadcast state), with the
    ``dict``-style ones built on them."""

    @abc.abstractmethod
    def get(self, key: K) -> V | None:
        """The value under ``key``, or None."""

    @abc.abstractmethod
    def contains(self, key: K) -> bool:
        """Whether ``key`` has a mapping."""

    @abc.abstractmethod
    def items(self) -> Iterable[tuple[K, V]]:
        """All mappings."""

    @abc.abstractmethod
    def keys(self) -> Iterable[K]:
        """All keys."""

    @abc.abstractmethod
    def values(self) -> Iterable[V]:
        """All values."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """Whether there is no mapping."""

    def __getitem__(self, key: K) -> V | None:
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return self.contains(key)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())


class _MapWrites(abc.ABC, Generic[K, V]):
    """The writes of a map-shaped state, with the ``dict``-style ones built on them."""

    @abc.abstractmethod
    def put(self, key: K, value: V) -> None:
        """Set the value under ``key``."""

    @abc.abstractmethod
    def put_all(self, dict_value: dict[K, V]) -> None:
        """Copy all mappings of ``dict_value`` into the state."""

    @abc.abstractmethod
    def remove(self, key: K) -> None:
        """Delete the mapping of ``key``."""

    def __setitem__(self, key: K, value: V) -> None:
        self.put(key, value)

    def __delitem__(self, key: K) -> None:
        self.remove(key)


class MapState(State, _MapReads[K, V], _MapWrites[K, V]):
    """A map of user keys to values, per key."""


class ReadOnlyBroadcastState(State, _MapReads[K, V]):
    """A read-only view of a broadcast state (the non-broadcast side's access)."""


class BroadcastState(ReadOnlyBroadcastState[K, V], _MapWrites[K, V]):
    """A map replicated on every parallel instance, written by the broadcast side.

    Every instance receives every broadcast element and must store the same
    mappings: the state of one instance stands for all of them on restore.
    """


class OperatorStateStore(abc.ABC):
    """Operator (non-keyed) state: broadcast state, and the list states of a
    ``CheckpointedFunction`` (``initialize_state(context)``)."""

    @abc.abstractmethod
    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> BroadcastState:
        """The broadcast state described by ``state_descriptor``."""

    def get_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:
        """Operator list state: on restore at another parallelism the elements of every
        subtask are split evenly over the new subtasks."""
        raise NotImplementedError(f"{type(self).__name__} has no operator list state")

    def get_union_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:
        """Union list state: on restore every subtask gets the elements of all subtasks."""
        raise NotImplementedError(f"{type(self).__name__} has no union list state")


# -- descriptors ---------------------------------------------------------------
class StateDescriptor(abc.ABC):  # noqa: B024 - abstract base without abstract methods, as in PyFlink
    """Names a state and the type of its values.

    Attributes:
        name: the state's name, unique within the operator.
        type_info: the TypeInformation of the stored value (None: any object).
    """

    def __init__(self, name: str, type_info: Any) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a state descriptor needs a non-empty name")
        self.name = name
        self.type_info = type_info
        self._ttl_config: StateTtlConfig | None = None

    def get_name(self) -> str:
        """The state's name."""
        return self.name

    def enable_time_to_live(self, ttl_config: StateTtlConfig) -> None:
        """Let the state's values expire as ``ttl_config`` says (see :class:`StateTtlConfig`).

        Raises:
            TypeError: ``ttl_config`` is not a StateTtlConfig.
        """
        if not isinstance(ttl_config, StateTtlConfig):
            raise TypeError(f"state '{self.name}': enable_time_to_live expects a StateTtlConfig "
                            f"(StateTtlConfig.new_builder(ttl).build()), got {ttl_config!r}")
        self._ttl_config = ttl_config

    def get_ttl_config(self) -> StateTtlConfig | None:
        """The TTL configuration set by :meth:`enable_time_to_live`, or None."""
        return getattr(self, "_ttl_config", None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class ValueStateDescriptor(StateDescriptor):
    """Describes a :class:`ValueState`."""

    def __init__(self, name: str, value_type_info: Any) -> None:
        super().__init__(name, value_type_info)


class ListStateDescriptor(StateDescriptor):
    """Describes a :class:`ListState` of ``elem_type_info`` elements."""

    def __init__(self, name: str, elem_type_info: Any) -> None:
        super().__init__(name, _list_type(elem_type_info))
        self.elem_type_info = elem_type_info


class MapStateDescriptor(StateDescriptor):
    """Describes a :class:`MapState` (or a broadcast state)."""

    def __init__(self, name: str, key_type_info: Any, value_type_info: Any) -> None:
        super().__init__(name, _map_type(key_type_info, value_type_info))
        self.key_type_info = key_type_info
        self.value_type_info = value_type_info


class ReducingStateDescriptor(StateDescriptor):
    """Describes a :class:`ReducingState` combining values with ``reduce_function``."""

    def __init__(self, name: str, reduce_function: Any, type_info: Any) -> None:
        super().__init__(name, type_info)
        from flink_py.datastream.functions import ReduceFunction

        if not isinstance(reduce_function, ReduceFunction) and not callable(reduce_function):
            raise TypeError("The input must be a ReduceFunction or a callable function!")
        self._reduce_function = reduce_function

    def get_reduce_function(self) -> Any:
        """The ReduceFunction (or callable) combining two values."""
        return self._reduce_function


class AggregatingStateDescriptor(StateDescriptor):
    """Describes an :class:`AggregatingState`; ``state_type_info`` is the accumulator's type."""

    def __init__(self, name: str, agg_function: Any, state_type_info: Any) -> None:
        super().__init__(name, state_type_info)
        from flink_py.datastream.functions import AggregateFunction

        if not isinstance(agg_function, AggregateFunction):
            raise TypeError("The input must be a flink_py.datastream.functions.AggregateFunction!")
        self._agg_function = agg_function

    def get_agg_function(self) -> Any:
        """The AggregateFunction."""
        return self._agg_function


def _list_type(elem: Any) -> Any:
    if elem is None:
        return None
    from flink_py.common.typeinfo import Types

    return Types.LIST(elem)


def _map_type(key: Any, value: Any) -> Any:
    if key is None or value is None:
        return None
    from flink_py.common.typeinfo import Types

    return Types.MAP(key, value)


# -- state time-to-live ----------------------------------------------------------
class StateTtlConfig:
    """Time-to-live of keyed state values (``pyflink.datastream.state.StateTtlConfig``).

    Every stored value (every list element, every map entry) carries the
    processing time of its last access; it is *expired* once
    ``last access + ttl <= now``. Expired values are removed when a read finds
    them and by the configured cleanup strategies; the state visibility says
    whether a read that finds an expired value not yet removed returns it.

    Build one with :meth:`new_builder`.
    """

    class UpdateType(enum.Enum):
        """When the last-access timestamp is refreshed."""

        #: TTL is disabled: the state never expires.
        Disabled = 0
        #: On creation and on every write.
        OnCreateAndWrite = 1
        #: As OnCreateAndWrite, and also on every read.
        OnReadAndWrite = 2

    class StateVisibility(enum.Enum):
        """Whether an expired value that is not cleaned up yet can be returned."""

        #: Return an expired value if it is still there (the read then removes it).
        ReturnExpiredIfNotCleanedUp = 0
        #: Never return an expired value.
        NeverReturnExpired = 1

    class TtlTimeCharacteristic(enum.Enum):
        """The time scale of TTL (only processing time, as in Flink)."""

        ProcessingTime = 0

    class CleanupStrategies:
        """When expired state is removed besides reads that find it.

        By default (cleanup in background) the heap backend checks 5 entries on
        every state access and RocksDB sweeps expired entries in the background
        (see :meth:`StateTtlConfig.Builder.cleanup_in_rocksdb_compact_filter`).
        """

        class Strategies(enum.Enum):
            """Fixed strategy ordinals."""

            FULL_STATE_SCAN_SNAPSHOT = 0
            INCREMENTAL_CLEANUP = 1
            ROCKSDB_COMPACTION_FILTER = 2

        class CleanupStrategy:
            """Base of the cleanup strategy settings."""

        class EmptyCleanupStrategy(CleanupStrategy):
            """A strategy without settings (full snapshot)."""

        class IncrementalCleanupStrategy(CleanupStrategy):
            """Check ``cleanup_size`` entries per state access (and per record if asked)."""

            def __init__(self, cleanup_size: int, run_cleanup_for_every_record: bool) -> None:
                if not isinstance(cleanup_size, int) or isinstance(cleanup_size, bool) \
                        or cleanup_size < 0:
                    raise ValueError("StateTtlConfig.cleanup_incrementally: cleanup_size must be "
                                     f"a non-negative int, got {cleanup_size!r}")
                self._cleanup_size = cleanup_size
                self._run_cleanup_for_every_record = bool(run_cleanup_for_every_record)

            def get_cleanup_size(self) -> int:
                """Entries checked per state access."""
                return self._cleanup_size

            def run_cleanup_for_every_record(self) -> bool:
                """Whether cleanup also runs for every processed record."""
                return self._run_cleanup_for_every_record

        class RocksdbCompactFilterCleanupStrategy(CleanupStrategy):
            """Background sweep of expired RocksDB entries (the compaction-filter equivalent)."""

            def __init__(self, query_time_after_num_entries: int,
                         periodic_compaction_time: Duration | None = None) -> None:
                if not isinstance(query_time_after_num_entries, int) \
                        or isinstance(query_time_after_num_entries, bool) \
                        or query_time_after_num_entries <= 0:
                    raise ValueError("StateTtlConfig.cleanup_in_rocksdb_compact_filter: "
                                     "query_time_after_num_entries must be a positive int, "
                                     f"got {query_time_after_num_entries!r}")
                self._query_time_after_num_entries = query_time_after_num_entries
                # as PyFlink: any false value (None, 0, '') means the default of 30 days
                if not periodic_compaction_time:
                    periodic_compaction_time = Duration.of_days(30)
                elif not isinstance(periodic_compaction_time, Duration):
                    periodic_compaction_time = Duration.of(periodic_compaction_time)
                self._periodic_compaction_time = periodic_compaction_time

            def get_query_time_after_num_entries(self) -> int:
                """Entries swept between two reads of the current time."""
                return self._query_time_after_num_entries

            def get_periodic_compaction_time(self) -> Duration:
                """Kept for PyFlink compatibility (RocksDB periodic compaction)."""
                return self._periodic_compaction_time

        EMPTY_STRATEGY: StateTtlConfig.CleanupStrategies.EmptyCleanupStrategy

        def __init__(self, strategies: dict[Any, Any], is_cleanup_in_background: bool) -> None:
            self._strategies = dict(strategies)
            self._is_cleanup_in_background = is_cleanup_in_background

        def is_cleanup_in_background(self) -> bool:
            """Whether the default background cleanup is on."""
            return self._is_cleanup_in_background

        def in_full_snapshot(self) -> bool:
            """Whether expired entries are left out of full snapshots."""
            return self.Strategies.FULL_STATE_SCAN_SNAPSHOT in self._strategies

        def get_incremental_cleanup_strategy(
                self) -> StateTtlConfig.CleanupStrategies.IncrementalCleanupStrategy | None:
            """The incremental cleanup settings (default 5 entries, not per record)."""
            default = (self.IncrementalCleanupStrategy(5, False)
                       if self._is_cleanup_in_background else None)
            return self._strategies.get(  # type: ignore[no-any-return]
                self.Strategies.INCREMENTAL_CLEANUP, default)

        def get_rocksdb_compact_filter_cleanup_strategy(
                self) -> StateTtlConfig.CleanupStrategies.RocksdbCompactFilterCleanupStrategy | None:
            """The RocksDB sweep settings (default: time queried every 1000 entries)."""
            default = (self.RocksdbCompactFilterCleanupStrategy(1000)
                       if self._is_cleanup_in_background else None)
            return self._strategies.get(  # type: ignore[no-any-return]
                self.Strategies.ROCKSDB_COMPACTION_FILTER, default)

    def __init__(self, update_type: StateTtlConfig.UpdateType,
                 state_visibility: StateTtlConfig.StateVisibility,
                 ttl_time_characteristic: StateTtlConfig.TtlTimeCharacteristic,
                 ttl: Time | Duration,
                 cleanup_strategies: StateTtlConfig.CleanupStrategies) -> None:
        self._update_type = update_type
        self._state_visibility = state_visibility
        self._ttl_time_characteristic = ttl_time_characteristic
        self._ttl = ttl
        self._cleanup_strategies = cleanup_strategies

    @staticmethod
    def new_builder(ttl: Time | Duration) -> StateTtlConfig.Builder:
        """A builder for a TTL of ``ttl`` (a :class:`Time` or a :class:`Duration`)."""
        return StateTtlConfig.Builder(ttl)

    def get_update_type(self) -> StateTtlConfig.UpdateType:
        """When the last-access timestamp is refreshed."""
        return self._update_type

    def get_state_visibility(self) -> StateTtlConfig.StateVisibility:
        """Whether expired values not cleaned up yet are returned."""
        return self._state_visibility

    def get_ttl(self) -> Time | Duration:
        """The time-to-live, as given to the builder."""
        return self._ttl

    def get_ttl_millis(self) -> int:
        """The time-to-live in milliseconds."""
        return _ttl_millis(self._ttl)

    def get_ttl_time_characteristic(self) -> StateTtlConfig.TtlTimeCharacteristic:
        """The time scale (processing time)."""
        return self._ttl_time_characteristic

    def is_enabled(self) -> bool:
        """Whether values expire (the update type is not Disabled)."""
        return self._update_type is not StateTtlConfig.UpdateType.Disabled

    def get_cleanup_strategies(self) -> StateTtlConfig.CleanupStrategies:
        """The configured cleanup strategies."""
        return self._cleanup_strategies

    def __repr__(self) -> str:
        return (f"StateTtlConfig<update_type={self._update_type}, "
                f"state_visibility={self._state_visibility}, "
                f"ttl_time_characteristic={self._ttl_time_characteristic}, ttl={self._ttl!r}>")

    class Builder:
        """Builds a :class:`StateTtlConfig` (defaults: OnCreateAndWrite, NeverReturnExpired,
        processing time, cleanup in background)."""

        def __init__(self, ttl: Time | Duration) -> None:
            _ttl_millis(ttl)
            self._ttl = ttl
            self._update_type = StateTtlConfig.UpdateType.OnCreateAndWrite
            self._state_visibility = StateTtlConfig.StateVisibility.NeverReturnExpired
            self._ttl_time_characteristic = StateTtlConfig.TtlTimeCharacteristic.ProcessingTime
            self._is_cleanup_in_background = True
            self._strategies: dict[Any, Any] = {}

        def set_update_type(self, update_type: StateTtlConfig.UpdateType
                            ) -> StateTtlConfig.Builder:
            """When the last-access timestamp is refreshed."""
            if not isinstance(update_type, StateTtlConfig.UpdateType):
                raise TypeError("StateTtlConfig.Builder.set_update_type expects a "
                                f"StateTtlConfig.UpdateType, got {update_type!r}")
            self._update_type = update_type
            return self

        def update_ttl_on_create_and_write(self) -> StateTtlConfig.Builder:
            """Refresh the timestamp on creation and writes."""
            return self.set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)

        def update_ttl_on_read_and_write(self) -> StateTtlConfig.Builder:
            """Refresh the timestamp on reads too."""
            return self.set_update_type(StateTtlConfig.UpdateType.OnReadAndWrite)

        def set_state_visibility(self, state_visibility: StateTtlConfig.StateVisibility
                                 ) -> StateTtlConfig.Builder:
            """Whether expired values not cleaned up yet are returned."""
            if not isinstance(state_visibility, StateTtlConfig.StateVisibility):
                raise TypeError("StateTtlConfig.Builder.set_state_visibility expects a "
                                f"StateTtlConfig.StateVisibility, got {state_visibility!r}")
            self._state_visibility = state_visibility
            return self

        def return_expired_if_not_cleaned_up(self) -> StateTtlConfig.Builder:
            """Return expired values until they are cleaned up."""
            return self.set_state_visibility(
                StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)

        def never_return_expired(self) -> StateTtlConfig.Builder:
            """Never return expired values."""
            return self.set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)

        def set_ttl_time_characteristic(
                self, ttl_time_characteristic: StateTtlConfig.TtlTimeCharacteristic
        ) -> StateTtlConfig.Builder:
            """The time scale of TTL (only ``ProcessingTime`` exists)."""
            if not isinstance(ttl_time_characteristic, StateTtlConfig.TtlTimeCharacteristic):
                raise TypeError("StateTtlConfig.Builder.set_ttl_time_characteristic expects "
                                "StateTtlConfig.TtlTimeCharacteristic.ProcessingTime, got "
                                f"{ttl_time_characteristic!r}")
            self._ttl_time_characteristic = ttl_time_characteristic
            return self

        def use_processing_time(self) -> StateTtlConfig.Builder:
            """Measure TTL in processing time (the only option)."""
            return self.set_ttl_time_characteristic(
                StateTtlConfig.TtlTimeCharacteristic.ProcessingTime)

        def cleanup_full_snapshot(self) -> StateTtlConfig.Builder:
            """Leave expired entries out of full snapshots (heap snapshots, and RocksDB
            snapshots when they are not incremental)."""
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.FULL_STATE_SCAN_SNAPSHOT] = \
                strategies.EMPTY_STRATEGY
            return self

        def cleanup_incrementally(self, cleanup_size: int,
                                  run_cleanup_for_every_record: bool) -> StateTtlConfig.Builder:
            """Check ``cleanup_size`` entries for expiry on every access of the state (and for
            every record if ``run_cleanup_for_every_record``). Heap backend only, as in Flink:
            it has no effect on RocksDB."""
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.INCREMENTAL_CLEANUP] = \
                strategies.IncrementalCleanupStrategy(cleanup_size, run_cleanup_for_every_record)
            return self

        def cleanup_in_rocksdb_compact_filter(
                self, query_time_after_num_entries: int,
                periodic_compaction_time: Duration | None = None) -> StateTtlConfig.Builder:
            """Sweep expired entries out of RocksDB in the background.

            rocksdict has no compaction-filter hook, so the RocksDB backend runs the
            equivalent itself: a resumable sweep over the state's column family that
            deletes expired entries, ``query_time_after_num_entries`` entries at a time
            (the current time is read once per chunk), one chunk after every
            ``query_time_after_num_entries`` accesses of the state. No effect on the heap
            backend.
            """
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.ROCKSDB_COMPACTION_FILTER] = \
                strategies.RocksdbCompactFilterCleanupStrategy(query_time_after_num_entries,
                                                               periodic_compaction_time)
            return self

        def disable_cleanup_in_background(self) -> StateTtlConfig.Builder:
            """Turn the default background cleanup off (explicitly configured strategies stay)."""
            self._is_cleanup_in_background = False
            return self

        def set_ttl(self, ttl: Time | Duration) -> StateTtlConfig.Builder:
            """Set the time-to-live."""
            _ttl_millis(ttl)
            self._ttl = ttl
            return self

        def build(self) -> StateTtlConfig:
            """The configuration."""
            return StateTtlConfig(
                self._update_type, self._state_visibility, self._ttl_time_characteristic,
                self._ttl, StateTtlConfig.CleanupStrategies(self._strategies,
                                                            self._is_cleanup_in_background))


StateTtlConfig.CleanupStrategies.EMPTY_STRATEGY = \
    StateTtlConfig.CleanupStrategies.EmptyCleanupStrategy()


def _ttl_millis(ttl: Any) -> int:
    """Milliseconds of a TTL given as Time or Duration; it must be positive."""
    if isinstance(ttl, Time):
        millis = ttl.to_milliseconds()
    elif isinstance(ttl, Duration):
        millis = ttl.to_millis()
    else:
        raise TypeError(f"StateTtlConfig.new_builder expects a Time or a Duration "
                        f"(e.g. Time.seconds(10)), got {ttl!r}")
    if millis <= 0:
        raise ValueError(f"StateTtlConfig: the TTL must be positive, got {ttl!r}")
    return millis
