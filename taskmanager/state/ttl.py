"""State time-to-live: TTL decorators over a backend's own states (Flink's ``TtlStateFactory``).

A descriptor with an enabled :class:`~flink_py.datastream.state.StateTtlConfig`
gets a backend state of the same kind that stores *TTL values*, wrapped in a
decorator from this module that hides the timestamps. States without TTL are
never wrapped, so their hot path is unchanged.

Stored layout (the same in both backends and in snapshots, so a restore keeps
the timestamps):

* value, reducing, aggregating: ``(user value, last access ms)``;
* list: ``[(element, last access ms), ...]`` (every element expires on its own);
* map: user key -> ``(user value, last access ms)`` (every entry expires on its own).

A TTL value is expired once ``last access + ttl <= now`` (Flink's ``TtlUtils``),
``now`` coming from the backend's :class:`TtlTimeProvider` (injectable for
tests). Writes stamp ``now``; with ``OnReadAndWrite`` reads re-stamp the values
they return. A read that finds an expired value removes it and returns it only
under ``ReturnExpiredIfNotCleanedUp``.

Cleanup besides reads (wired by the backends): a *transformer* per kind
(:func:`ttl_transformer`) drops expired values from one stored value; the heap
backend applies it when writing full snapshots and, ``cleanup_size`` keys per
state access (and per record if asked), through :class:`IncrementalCleanup`;
the RocksDB backend sweeps column families with it (see ``rocksdb_backend``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from flink_py.datastream.functions import AggregateFunction, resolve
from flink_py.datastream.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    ListState,
    MapState,
    ReducingState,
    ReducingStateDescriptor,
    StateDescriptor,
    StateTtlConfig,
    ValueState,
)

if TYPE_CHECKING:
    from flink_py.taskmanager.state.backend import KeyedStateBackend

__all__ = [
    "IncrementalCleanup",
    "SystemTtlTimeProvider",
    "TtlSettings",
    "TtlTimeProvider",
    "create_ttl_state",
    "ttl_transformer",
]

#: Transforms one stored value at time ``now``: the value without its expired parts,
#: the same object when nothing expired, or None when everything expired.
Transformer = Callable[[Any, int], Any]


class TtlTimeProvider(Protocol):
    """The clock of state TTL (processing time)."""

    def current_timestamp(self) -> int:
        """Now, in epoch milliseconds."""


class SystemTtlTimeProvider:
    """The wall clock (``time.time()``)."""

    def current_timestamp(self) -> int:  # noqa: D102
        return int(time.time() * 1000)


@dataclasses.dataclass(frozen=True)
class TtlSettings:
    """What the runtime needs of a :class:`StateTtlConfig`.

    Attributes:
        ttl: time-to-live in milliseconds.
        update_on_read: reads refresh timestamps (``OnReadAndWrite``).
        return_expired: ``ReturnExpiredIfNotCleanedUp``.
        full_snapshot: leave expired values out of full snapshots.
        incremental_size: heap: keys checked per state access (0: off).
        incremental_per_record: heap: also run the incremental cleanup per record.
        rocksdb_sweep: RocksDB: entries per sweep chunk (0: off).
    """

    ttl: int
    update_on_read: bool
    return_expired: bool
    full_snapshot: bool
    incremental_size: int
    incremental_per_record: bool
    rocksdb_sweep: int

    @classmethod
    def of(cls, config: StateTtlConfig) -> TtlSettings:
        """The settings of an enabled ``config``."""
        strategies = config.get_cleanup_strategies()
        incremental = strategies.get_incremental_cleanup_strategy()
        sweep = strategies.get_rocksdb_compact_filter_cleanup_strategy()
        return cls(
            ttl=config.get_ttl_millis(),
            update_on_read=config.get_update_type() is StateTtlConfig.UpdateType.OnReadAndWrite,
            return_expired=(config.get_state_visibility()
                            is StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp),
            full_snapshot=strategies.in_full_snapshot(),
            incremental_size=incremental.get_cleanup_size() if incremental else 0,
            incremental_per_record=bool(incremental and
                                        incremental.run_cleanup_for_every_record()),
            rocksdb_sweep=sweep.get_query_time_after_num_entries() if sweep else 0)


# -- transformers ------------------------------------------------------------------
def ttl_transformer(kind: str, ttl: int) -> Transformer:
    """The transformer of a stored value of state kind ``kind`` (``value``, ``list``...)."""
    if kind == "list":
        def transform_list(raw: Any, now: int) -> Any:
            live = [e for e in raw if e[1] + ttl > now]
            if not live:
                return None
            return raw if len(live) == len(raw) else live
        return transform_list
    if kind == "map":
        def transform_map(raw: Any, now: int) -> Any:
            live = {k: e for k, e in raw.items() if e[1] + ttl > now}
            if not live:
                return None
            return raw if len(live) == len(raw) else live
        return transform_map

    def transform_value(raw: Any, now: int) -> Any:
        return None if raw[1] + ttl <= now else raw
    return transform_value


class IncrementalCleanup:
    """Checks a few keys of a dict-like table per call, round-robin over all keys.

    Like Flink's heap incremental cleanup, it iterates over a copy of the key set
    taken when the previous round ended (so keys added meanwhile wait a round).

    Args:
        table: key -> stored value (a heap state table).
        transform: the state's transformer.
        size: keys checked per call.
        now: the TTL clock.
        replaced: called with a key whose value is replaced (copy-on-write bookkeeping).
    """

    def __init__(self, table: dict[Any, Any], transform: Transformer, size: int,
                 now: Callable[[], int], replaced: Callable[[Any], None]) -> None:
        self._table = table
        self._transform = transform
        self._size = size
        self._now = now
        self._replaced = replaced
        self._keys: list[Any] = []
        self._pos = 0

    def run(self) -> None:
        """Check the next ``size`` keys; remove what expired."""
        table, keys, pos = self._table, self._keys, self._pos
        if pos >= len(keys):
            keys = self._keys = list(table)
            pos = 0
            if not keys:
                return
        end = min(pos + self._size, len(keys))
        now = self._now()
        transform = self._transform
        for key in keys[pos:end]:
            raw = table.get(key)
            if raw is None:
                continue
            new = transform(raw, now)
            if new is None:
                self._replaced(key)
                del table[key]
            elif new is not raw:
                self._replaced(key)
                table[key] = new
        self._pos = end


# -- decorators ----------------------------------------------------------------------
class _TtlState:
    """Shared parts: the wrapped state, the clock, the access callback."""

    def __init__(self, backend: KeyedStateBackend, original: Any, settings: TtlSettings,
                 on_access: Callable[[], None] | None) -> None:
        self._backend = backend
        self.original = original
        self._settings = settings
        self._ttl = settings.ttl
        self._update_on_read = settings.update_on_read
        self._return_expired = settings.return_expired
        self._on_access = on_access or _noop

    def _now(self) -> int:
        return self._backend.ttl_time_provider.current_timestamp()

    def _checked(self, raw: Any, clear: Callable[[], None],
                 rewrite: Callable[[Any], None]) -> Any:
        """The user value of a stored TTL value, or None (Flink's getWithTtlCheckAndUpdate)."""
        if raw is None:
            return None
        now = self._now()
        if raw[1] + self._ttl <= now:
            clear()
            return raw[0] if self._return_expired else None
        if self._update_on_read:
            rewrite((raw[0], now))
        return raw[0]

    def _get_raw(self) -> Any:
        return self.original.get_internal(self._backend.get_current_key())

    def _put_raw(self, raw: Any) -> None:
        self.original.put_internal(self._backend.get_current_key(), raw)

    def clear(self) -> None:
        """Remove the current key's value."""
        self._on_access()
        self.original.clear()

    def __repr__(self) -> str:
        return f"Ttl{self.original!r}"


def _noop() -> None:
    return None


class TtlValueState(_TtlState, ValueState):
    """ValueState with TTL."""

    def value(self) -> Any:  # noqa: D102
        self._on_access()
        return self._checked(self._get_raw(), self.original.clear, self._put_raw)

    def update(self, value: Any) -> None:  # noqa: D102
        self._on_access()
        if value is None:
            self.original.clear()
        else:
            self.original.update((value, self._now()))


class TtlReducingState(_TtlState, ReducingState):
    """ReducingState with TTL (the wrapped state reduces with :class:`_TtlReduce`)."""

    def get(self) -> Any:  # noqa: D102
        self._on_access()
        return self._checked(self._get_raw(), self.original.clear, self._put_raw)

    def add(self, value: Any) -> None:  # noqa: D102
        self._on_access()
        self.original.add((value, self._now()))


class TtlAggregatingState(_TtlState, AggregatingState):
    """AggregatingState with TTL (the wrapped state aggregates with :class:`_TtlAggregate`)."""

    def __init__(self, backend: KeyedStateBackend, original: Any, settings: TtlSettings,
                 on_access: Callable[[], None] | None, user_function: Any) -> None:
        super().__init__(backend, original, settings, on_access)
        self._function = user_function

    def get(self) -> Any:  # noqa: D102
        self._on_access()
        raw = self._get_raw()
        if raw is None:
            return None
        acc = self._checked(raw, self.original.clear, self._put_raw)
        return None if acc is None else self._function.get_result(acc)

    def add(self, value: Any) -> None:  # noqa: D102
        self._on_access()
        self.original.add(value)


class TtlListState(_TtlState, ListState):
    """ListState with TTL: every element carries its own timestamp."""

    def get(self) -> list[Any]:  # noqa: D102
        self._on_access()
        raw = self.original.get()
        if not raw:
            return []
        now, ttl = self._now(), self._ttl
        live = [e for e in raw if e[1] + ttl > now]
        expired = len(live) != len(raw)
        result = raw if self._return_expired else live
        if self._update_on_read and live:
            live = [(e[0], now) for e in live]
            self.original.update(live)
        elif expired:
            if live:
                self.original.update(live)
            else:
                self.original.clear()
        return [e[0] for e in result]

    def add(self, value: Any) -> None:  # noqa: D102
        self._on_access()
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        self.original.add((value, self._now()))

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        self._on_access()
        if not values:
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        now = self._now()
        self.original.add_all([(v, now) for v in values])

    def update(self, values: list[Any]) -> None:  # noqa: D102
        self._on_access()
        if not values:
            self.original.clear()
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        now = self._now()
        self.original.update([(v, now) for v in values])


class TtlMapState(_TtlState, MapState):
    """MapState with TTL: every entry carries its own timestamp."""

    def get(self, key: Any) -> Any:  # noqa: D102
        self._on_access()
        original = self.original
        return self._checked(original.get(key), lambda: original.remove(key),
                             lambda raw: original.put(key, raw))

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        self._on_access()
        self.original.put(key, (value, self._now()))

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        self._on_access()
        now = self._now()
        self.original.put_all({k: (v, now) for k, v in dict_value.items()})

    def remove(self, key: Any) -> None:  # noqa: D102
        self._on_access()
        self.original.remove(key)

    def contains(self, key: Any) -> bool:  # noqa: D102
        return self.get(key) is not None

    def _visible(self) -> list[tuple[Any, Any]]:
        """The visible entries; expired ones are removed, read ones re-stamped if asked."""
        self._on_access()
        original = self.original
        entries = list(original.items())
        if not entries:
            return []
        now, ttl = self._now(), self._ttl
        visible = []
        for uk, raw in entries:
            if raw[1] + ttl <= now:
                original.remove(uk)
                if self._return_expired:
                    visible.append((uk, raw[0]))
                continue
            if self._update_on_read:
                original.put(uk, (raw[0], now))
            visible.append((uk, raw[0]))
        return visible

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return self._visible()

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return [k for k, _ in self._visible()]

    def values(self) -> Iterable[Any]:  # noqa: D102
        return [v for _, v in self._visible()]

    def is_empty(self) -> bool:  # noqa: D102
        return not self._visible()


# -- wrapped user functions ------------------------------------------------------------
class _TtlReduce:
    """Reduces TTL values: expired inputs are dropped (Flink's ``TtlReduceFunction``)."""

    def __init__(self, reduce: Callable[[Any, Any], Any], settings: TtlSettings,
                 backend: KeyedStateBackend) -> None:
        self._reduce = reduce
        self._settings = settings
        self._backend = backend

    def __call__(self, a: Any, b: Any) -> Any:
        now = self._backend.ttl_time_provider.current_timestamp()
        ua, ub = _unexpired(a, self._settings, now), _unexpired(b, self._settings, now)
        if ua is not None and ub is not None:
            return (self._reduce(ua, ub), now)
        if ua is not None:
            return (ua, now)
        return None if ub is None else (ub, now)


class _TtlAggregate(AggregateFunction):
    """Aggregates into a TTL accumulator (Flink's ``TtlAggregateFunction``)."""

    def __init__(self, function: Any, settings: TtlSettings, backend: KeyedStateBackend
                 ) -> None:
        self._function = function
        self._settings = settings
        self._backend = backend

    def _now(self) -> int:
        return self._backend.ttl_time_provider.current_timestamp()

    def create_accumulator(self) -> Any:  # noqa: D102
        return (self._function.create_accumulator(), self._now())

    def add(self, value: Any, accumulator: Any) -> Any:  # noqa: D102
        now = self._now()
        acc = _unexpired(accumulator, self._settings, now)
        if acc is None:
            acc = self._function.create_accumulator()
        return (self._function.add(value, acc), now)

    def get_result(self, accumulator: Any) -> Any:  # noqa: D102
        return self._function.get_result(accumulator[0])

    def merge(self, a: Any, b: Any) -> Any:  # noqa: D102
        now = self._now()
        ua, ub = _unexpired(a, self._settings, now), _unexpired(b, self._settings, now)
        if ua is not None and ub is not None:
            return (self._function.merge(ua, ub), now)
        if ua is not None:
            return (ua, now)
        return None if ub is None else (ub, now)


def _unexpired(raw: Any, settings: TtlSettings, now: int) -> Any:
    if raw is None or (raw[1] + settings.ttl <= now and not settings.return_expired):
        return None
    return raw[0]


# -- factory -------------------------------------------------------------------------
def create_ttl_state(backend: KeyedStateBackend, kind: type, descriptor: StateDescriptor,
                     config: StateTtlConfig, kind_name: str) -> Any:
    """The TTL decorator of a new backend state for ``descriptor`` (TTL enabled)."""
    settings = TtlSettings.of(config)
    user_function = None
    raw_descriptor: StateDescriptor = descriptor
    if kind is ReducingState:
        assert isinstance(descriptor, ReducingStateDescriptor)
        reduce, _ = resolve(descriptor.get_reduce_function(), "reduce")
        raw_descriptor = ReducingStateDescriptor(
            descriptor.name, _TtlReduce(reduce, settings, backend), None)
    elif kind is AggregatingState:
        assert isinstance(descriptor, AggregatingStateDescriptor)
        user_function = descriptor.get_agg_function()
        raw_descriptor = AggregatingStateDescriptor(
            descriptor.name, _TtlAggregate(user_function, settings, backend), None)
    original = backend._create_state(kind, raw_descriptor)  # noqa: SLF001 - backend's factory
    on_access = backend._register_ttl_state(descriptor.name, kind_name, settings)  # noqa: SLF001
    if kind is AggregatingState:
        return TtlAggregatingState(backend, original, settings, on_access, user_function)
    cls = _DECORATORS[kind]
    return cls(backend, original, settings, on_access)


_DECORATORS: dict[type, type] = {
    ValueState: TtlValueState,
    ListState: TtlListState,
    MapState: TtlMapState,
    ReducingState: TtlReducingState,
}
