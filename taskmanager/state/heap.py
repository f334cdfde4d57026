"""Keyed state on the Python heap: one dict per state, key -> value.

Values are stored as given (no copies), like Flink's heap backend: a user
who mutates an object after ``update`` mutates the stored state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

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
from flink_py.taskmanager.state.backend import KeyedStateBackend

__all__ = ["HeapKeyedStateBackend"]


class HeapKeyedStateBackend(KeyedStateBackend):
    """Keyed state in dicts, scoped by :attr:`current_key`."""

    def __init__(self, max_parallelism: int) -> None:
        super().__init__(max_parallelism)
        #: The key of the element or timer being processed.
        self.current_key: Any = None
        self._tables: dict[str, dict[Any, Any]] = {}

    def set_current_key(self, key: Any) -> None:  # noqa: D102
        self.current_key = key

    def get_current_key(self) -> Any:  # noqa: D102
        return self.current_key

    def _create_state(self, kind: type, descriptor: StateDescriptor) -> Any:
        table: dict[Any, Any] = {}
        self._tables[descriptor.name] = table
        cls = _KINDS[kind]
        return cls(self, descriptor, table)

    def get_keys(self, state_name: str) -> Iterable[Any]:  # noqa: D102
        return list(self._tables.get(state_name, ()))

    def close(self) -> None:  # noqa: D102
        super().close()
        self._tables.clear()


class _HeapState:
    """Shared parts of the heap state handles."""

    def __init__(self, backend: HeapKeyedStateBackend, descriptor: StateDescriptor,
                 table: dict[Any, Any]) -> None:
        self._backend = backend
        self._descriptor = descriptor
        self._table = table
        # Explicit-key access for built-in operators: the dict's own methods.
        self.get_internal = table.get
        self.put_internal = table.__setitem__

    def items_internal(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) pair."""
        return iter(list(self._table.items()))

    def clear(self) -> None:
        """Remove the current key's value."""
        self._table.pop(self._backend.current_key, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._descriptor.name!r})"


class HeapValueState(_HeapState, ValueState):
    """ValueState: the current key's value."""

    def value(self) -> Any:  # noqa: D102
        return self._table.get(self._backend.current_key)

    def update(self, value: Any) -> None:  # noqa: D102
        if value is None:
            self._table.pop(self._backend.current_key, None)
        else:
            self._table[self._backend.current_key] = value


class HeapListState(_HeapState, ListState):
    """ListState: a Python list per key."""

    def get(self) -> list[Any]:  # noqa: D102
        return list(self._table.get(self._backend.current_key, ()))

    def add(self, value: Any) -> None:  # noqa: D102
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        key = self._backend.current_key
        values = self._table.get(key)
        if values is None:
            self._table[key] = [value]
        else:
            values.append(value)

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        for v in values or ():
            self.add(v)

    def update(self, values: list[Any]) -> None:  # noqa: D102
        key = self._backend.current_key
        if not values:
            self._table.pop(key, None)
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        self._table[key] = list(values)


class HeapMapState(_HeapState, MapState):
    """MapState: a dict per key."""

    def _map(self) -> dict[Any, Any]:
        return self._table.get(self._backend.current_key) or {}

    def get(self, key: Any) -> Any:  # noqa: D102
        return self._map().get(key)

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        current = self._backend.current_key
        m = self._table.get(current)
        if m is None:
            m = self._table[current] = {}
        m[key] = value

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        for k, v in dict_value.items():
            self.put(k, v)

    def remove(self, key: Any) -> None:  # noqa: D102
        current = self._backend.current_key
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
                 table: dict[Any, Any]) -> None:
        super().__init__(backend, descriptor, table)
        assert isinstance(descriptor, ReducingStateDescriptor)
        self._reduce, _ = resolve(descriptor.get_reduce_function(), "reduce")

    def get(self) -> Any:  # noqa: D102
        return self._table.get(self._backend.current_key)

    def add(self, value: Any) -> None:  # noqa: D102
        key = self._backend.current_key
        current = self._table.get(key)
        self._table[key] = value if current is None else self._reduce(current, value)


class HeapAggregatingState(_HeapState, AggregatingState):
    """AggregatingState: an accumulator per key, read through ``get_result``."""

    def __init__(self, backend: HeapKeyedStateBackend, descriptor: StateDescriptor,
                 table: dict[Any, Any]) -> None:
        super().__init__(backend, descriptor, table)
        assert isinstance(descriptor, AggregatingStateDescriptor)
        self._agg = descriptor.get_agg_function()

    def get(self) -> Any:  # noqa: D102
        key = self._backend.current_key
        if key not in self._table:
            return None
        return self._agg.get_result(self._table[key])

    def add(self, value: Any) -> None:  # noqa: D102
        key = self._backend.current_key
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
