"""Keyed state on the Python heap (``state.backend.type: hashmap``).

One dict per state, key -> value. Values are stored as given (no copies),
like Flink's heap backend: a user who mutates an object after ``update``
mutates the stored state. The record path does not compute key groups; a
snapshot groups its entries by key group (``key_group_of``).

Snapshots are copy-on-write, like Flink's ``CopyOnWriteStateMap``: the
synchronous part only takes a shallow copy of each table (one C-level dict
copy) and marks the table; until the asynchronous part has written the copy,
the first access to a key through a state handle replaces the stored value
with a deep copy, so the snapshot's objects are never mutated.

State TTL (:mod:`.ttl`): snapshots leave out the expired values of states with
``cleanup_full_snapshot`` (checked at the time of the synchronous part), and
``cleanup_incrementally`` (default: 5 keys per access while cleanup in
background is on) checks keys round-robin on every access of the state, and
after every ``set_current_key`` when ``run_cleanup_for_every_record``.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flink_py.datastream.functions import resolve
from flink_py.datastream.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    ListState,
    MapState,
    ReducingState,
    ReducingStateDescriptor,
    StateDescriptor,
    ValueState,
)
from flink_py.common.runtime.keygroups import KeyGroupRange
from flink_py.taskmanager.state.backend import KeyedStateBackend
from flink_py.taskmanager.state.snapshot import (
    KeyedStateHandle,
    PendingSnapshot,
    open_checkpoint_file,
    read_key_group_block,
    write_key_group_file,
)
from flink_py.taskmanager.state.ttl import IncrementalCleanup, ttl_transformer

if TYPE_CHECKING:
    from flink_py.common.runtime.checkpoint_storage import CheckpointStorage
    from flink_py.taskmanager.state.ttl import TtlSettings, TtlTimeProvider

__all__ = ["HeapKeyedStateBackend"]


class _Table(dict):  # type: ignore[type-arg]
    """One state's entries; ``cow`` is the set of keys made private since the
    last snapshot began (None: no snapshot is being written)."""

    __slots__ = ("cow",)

    def __init__(self) -> None:
        super().__init__()
        self.cow: set[Any] | None = None

    def own(self, key: Any) -> None:
        """Make ``key``'s value private to the live table (deep copy once per snapshot)."""
        cow = self.cow
        if cow is not None and key not in cow:
            cow.add(key)
            if key in self:
                self[key] = copy.deepcopy(self[key])


class HeapKeyedStateBackend(KeyedStateBackend):
    """Keyed state in dicts, scoped by :attr:`current_key`.

    Args:
        max_parallelism: number of key groups M.
        key_group_range: the key groups this instance owns (default: all).
        ttl_time_provider: the clock of state TTL (default: the wall clock).
    """

    def __init__(self, max_parallelism: int, key_group_range: KeyGroupRange | None = None,
                 ttl_time_provider: TtlTimeProvider | None = None) -> None:
        super().__init__(max_parallelism, key_group_range, ttl_time_provider)
        #: The key of the element or timer being processed.
        self.current_key: Any = None
        self._tables: dict[str, _Table] = {}
        #: state name -> transformer dropping expired values from snapshots.
        self._snapshot_filters: dict[str, Callable[[Any, int], Any]] = {}
        self._pending = 0
        self._lock = threading.Lock()
        self._uid = uuid.uuid4().hex[:12]

    def set_current_key(self, key: Any) -> None:  # noqa: D102
        self.current_key = key

    def get_current_key(self) -> Any:  # noqa: D102
        return self.current_key

    def _table(self, name: str) -> _Table:
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = _Table()
        return table

    def _create_state(self, kind: type, descriptor: StateDescriptor) -> Any:
        table = self._table(descriptor.name)
        cls = _KINDS[kind]
        return cls(self, descriptor, table)

    def get_keys(self, state_name: str) -> Iterable[Any]:  # noqa: D102
        return list(self._tables.get(state_name, ()))

    def _register_ttl_state(self, name: str, kind: str, settings: TtlSettings
                            ) -> Callable[[], None] | None:
        """Snapshot filtering and incremental cleanup of a TTL state (see the module doc)."""
        transform = ttl_transformer(kind, settings.ttl)
        if settings.full_snapshot:
            self._snapshot_filters[name] = transform
        if settings.incremental_size <= 0:
            return None
        table = self._table(name)

        def replaced(key: Any) -> None:
            cow = table.cow
            if cow is not None:
                cow.add(key)  # replaced or removed, never mutated: no copy needed

        cleanup = IncrementalCleanup(table, transform, settings.incremental_size,
                                     lambda: self.ttl_time_provider.current_timestamp(),
                                     replaced)
        if settings.incremental_per_record:
            self.add_key_selection_listener(cleanup.run)
        return cleanup.run

    # -- snapshots ---------------------------------------------------------------
    def _set_cow(self, active: bool) -> None:
        # list(): the async thread may release while the task thread registers a state
        for table in list(self._tables.values()):
            table.cow = set() if active else None

    def snapshot(self, checkpoint_id: int, storage: CheckpointStorage,
                 name: str | None = None) -> PendingSnapshot:
        """Shallow-copy every table and start copy-on-write (see the module doc)."""
        copies = {n: dict(t) for n, t in self._tables.items()}
        kinds = self.state_kinds()
        ttl_states = self.ttl_state_names()
        filters = dict(self._snapshot_filters)
        now = self.ttl_time_provider.current_timestamp() if filters else 0
        with self._lock:
            self._pending += 1
            self._set_cow(True)  # a fresh set: keys copied for an older snapshot are shared again
        path = f"{storage.checkpoint_path(checkpoint_id)}/keyed-{name or self._uid}"
        m, kg_range = self.max_parallelism, self.key_group_range

        def body() -> KeyedStateHandle:
            groups: dict[int, dict[str, list[tuple[Any, Any]]]] = {}
            for state_name, entries in copies.items():
                keep = filters.get(state_name)
                for key, value in entries.items():
                    if keep is not None:
                        value = keep(value, now)
                        if value is None:
                            continue
                    group = self.key_group_of(key)
                    if group not in kg_range:
                        raise RuntimeError(f"key {key!r} of state '{state_name}' is in key group "
                                           f"{group}, outside this backend's {kg_range}")
                    groups.setdefault(group, {}).setdefault(state_name, []).append((key, value))
            offsets = write_key_group_file(storage.fs, path, m, kg_range, kinds,
                                           sorted(groups.items()))
            return KeyedStateHandle("hashmap", m, kg_range, kinds, path=path, offsets=offsets,
                                    checkpoint_id=checkpoint_id, ttl_states=ttl_states)

        def release() -> None:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._set_cow(False)

        return PendingSnapshot(body, release)

    def restore(self, handles: Iterable[KeyedStateHandle], storage: CheckpointStorage) -> None:
        """Load the key groups of this backend's range from heap (``hashmap``) handles."""
        for handle in handles:
            groups = self._check_handle(handle)
            if handle.backend != "hashmap" or handle.path is None:
                raise ValueError(f"cannot restore a {handle.backend} snapshot into the hashmap "
                                 "state backend")
            wanted = [(g, o) for g, o in sorted(handle.offsets.items()) if g in groups]
            if not wanted:
                continue
            f = open_checkpoint_file(storage.fs, handle.path)
            try:
                for _, (offset, length) in wanted:
                    for state_name, entries in read_key_group_block(
                            f, handle.path, offset, length).items():
                        self._table(state_name).update(entries)
            finally:
                f.close()

    def close(self) -> None:  # noqa: D102
        super().close()
        self._tables.clear()
        self._snapshot_filters.clear()


class _HeapState:
    """Shared parts of the heap state handles."""

    def __init__(self, backend: HeapKeyedStateBackend, descriptor: StateDescriptor,
                 table: _Table) -> None:
        self._backend = backend
        self._descriptor = descriptor
        self._table = table
        # Explicit-key access for built-in operators. Callers may bind these once
        # (window tables do), so they stay the same functions and check for a
        # snapshot in flight themselves.
        get, cow_of = table.get, table

        def get_internal(key: Any, default: Any = None) -> Any:
            if cow_of.cow is not None:
                cow_of.own(key)
            return get(key, default)

        def put_internal(key: Any, value: Any) -> None:
            cow = cow_of.cow
            if cow is not None:
                cow.add(key)  # replaced, not mutated: no copy needed
            cow_of[key] = value

        self.get_internal = get_internal
        self.put_internal = put_internal
        self._raw = (table.get, table.__setitem__)

    def batch_accessors(self) -> tuple[Any, Any]:
        """The dict's own methods while no snapshot is in flight (see the protocol)."""
        if self._table.cow is None:
            return self._raw
        return self.get_internal, self.put_internal

    def batch_table(self) -> dict[Any, Any] | None:
        """The table itself while no snapshot is in flight (see the protocol)."""
        table = self._table
        return table if table.cow is None else None

    def _own(self) -> Any:
        """The current key, its value made private if a snapshot is being written."""
        key = self._backend.current_key
        if self._table.cow is not None:
            self._table.own(key)
        return key

    def items_internal(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) pair."""
        return iter(list(self._table.items()))

    def clear(self) -> None:
        """Remove the current key's value."""
        self._table.pop(self._own(), None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._descriptor.name!r})"


class HeapValueState(_HeapState, ValueState):
    """ValueState: the current key's value."""

    def value(self) -> Any:  # noqa: D102
        return self._table.get(self._own())

    def update(self, value: Any) -> None:  # noqa: D102
        key = self._backend.current_key
        table = self._table
        if table.cow is not None:
            table.cow.add(key)  # replaced, not mutated: no copy needed
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


class HeapListState(_HeapState, ListState):
    """ListState: a Python list per key."""

    def get(self) -> list[Any]:  # noqa: D102
        return list(self._table.get(self._own(), ()))

    def add(self, value: Any) -> None:  # noqa: D102
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        key = self._own()
        values = self._table.get(key)
        if values is None:
            self._table[key] = [value]
        else:
            values.append(value)

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        for v in values or ():
            self.add(v)

    def update(self, values: list[Any]) -> None:  # noqa: D102
        key = self._own()
        if not values:
            self._table.pop(key, None)
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        self._table[key] = list(values)


class HeapMapState(_HeapState, MapState):
    """MapState: a dict per key."""

    def _map(self) -> dict[Any, Any]:
        return self._table.get(self._own()) or {}

    def get(self, key: Any) -> Any:  # noqa: D102
        return self._map().get(key)

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        current = self._own()
        m = self._table.get(current)
        if m is None:
            m = self._table[current] = {}
        m[key] = value

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        for k, v in dict_value.items():
            self.put(k, v)

    def remove(self, key: Any) -> None:  # noqa: D102
        current = self._own()
        m = self._table.get(current)
        if m is not None:
            m.pop(key, None)
            if not m:
                del self._table[current]

    def contains(self, key: Any) -> bool:  # noqa: D102
        return key in self._map()

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return list(self._map().items())

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map().keys())

    def values(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map().values())

    def is_empty(self) -> bool:  # noqa: D102
        return not self._map()


class HeapReducingState(_HeapState, ReducingState):
    """ReducingState: values combined with the descriptor's reduce function."""

    def __init__(self, backend: HeapKeyedStateBackend, descriptor: StateDescriptor,
                 table: _Table) -> None:
        super().__init__(backend, descriptor, table)
        assert isinstance(descriptor, ReducingStateDescriptor)
        self._reduce, _ = resolve(descriptor.get_reduce_function(), "reduce")

    def get(self) -> Any:  # noqa: D102
        return self._table.get(self._own())

    def add(self, value: Any) -> None:  # noqa: D102
        key = self._own()
        current = self._table.get(key)
        self._table[key] = value if current is None else self._reduce(current, value)


class HeapAggregatingState(_HeapState, AggregatingState):
    """AggregatingState: an accumulator per key, read through ``get_result``."""

    def __init__(self, backend: HeapKeyedStateBackend, descriptor: StateDescriptor,
                 table: _Table) -> None:
        super().__init__(backend, descriptor, table)
        assert isinstance(descriptor, AggregatingStateDescriptor)
        self._agg = descriptor.get_agg_function()

    def get(self) -> Any:  # noqa: D102
        key = self._own()
        if key not in self._table:
            return None
        return self._agg.get_result(self._table[key])

    def add(self, value: Any) -> None:  # noqa: D102
        key = self._own()
        acc = self._table.get(key)
        if acc is None:
            acc = self._agg.create_accumulator()
        self._table[key] = self._agg.add(value, acc)


_KINDS: dict[type, type] = {
    ValueState: HeapValueState,
    ListState: HeapListState,
    MapState: HeapMapState,
    ReducingState: HeapReducingState,
    AggregatingState: HeapAggregatingState,
}
