"""Keyed state scoped by key *and* window (Flink's namespaces), on any keyed backend.

Every window-scoped value is stored under its plain key, in a dict
``{window: value}`` held by one backend value state, so snapshots group it
by the key's key group like any other keyed state. The handles follow the
``flink_py.datastream.state`` interfaces; their :attr:`scope` is the
``(key, window)`` pair the operator sets before handing them out.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    ValueStateDescriptor,
)

__all__ = ["MISSING", "NamespacedTable", "namespaced_state"]

#: No value.
MISSING: Any = object()


class NamespacedTable:
    """``key -> {namespace: value}`` in one backend value state.

    Args:
        backend: the operator's keyed state backend.
        name: the name of the backing value state.
    """

    def __init__(self, backend: Any, name: str) -> None:
        self._backend = backend
        self._state = backend.get_internal_value_state(ValueStateDescriptor(name, None))
        self._get = self._state.get_internal
        self._put = self._state.put_internal

    def get(self, key: Any, namespace: Any, default: Any = MISSING) -> Any:
        """The value of ``(key, namespace)``, or ``default``."""
        windows = self._get(key)
        if not windows:
            return default
        return windows.get(namespace, default)

    def put(self, key: Any, namespace: Any, value: Any) -> None:
        """Set the value of ``(key, namespace)``."""
        windows = self._get(key)
        if windows is None:
            windows = {}
        windows[namespace] = value
        self._put(key, windows)

    def remove(self, key: Any, namespace: Any) -> Any:
        """Delete the value of ``(key, namespace)``; returns it (or MISSING)."""
        windows = self._get(key)
        if not windows or namespace not in windows:
            return MISSING
        value = windows.pop(namespace)
        if windows:
            self._put(key, windows)
        else:
            backend = self._backend
            saved = backend.get_current_key()
            backend.set_current_key(key)
            try:
                self._state.clear()
            finally:
                backend.set_current_key(saved)
        return value


class _NsState:
    def __init__(self, table: NamespacedTable, descriptor: StateDescriptor) -> None:
        self._table = table
        self._descriptor = descriptor
        self.scope: tuple[Any, Any] = (None, None)

    def _value(self, default: Any = None) -> Any:
        return self._table.get(self.scope[0], self.scope[1], default)

    def _set(self, value: Any) -> None:
        self._table.put(self.scope[0], self.scope[1], value)

    def clear(self) -> None:
        """Remove the value of the current key and window."""
        self._table.remove(self.scope[0], self.scope[1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._descriptor.name!r}, {self.scope!r})"


class _NsValueState(_NsState, ValueState):
    def value(self) -> Any:  # noqa: D102
        return self._value()

    def update(self, value: Any) -> None:  # noqa: D102
        if value is None:
            self.clear()
        else:
            self._set(value)


class _NsListState(_NsState, ListState):
    def get(self) -> list[Any]:  # noqa: D102
        return list(self._value(()))

    def add(self, value: Any) -> None:  # noqa: D102
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        self._set([*self._value(()), value])

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        for v in values or ():
            self.add(v)

    def update(self, values: list[Any]) -> None:  # noqa: D102
        if not values:
            self.clear()
        elif any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        else:
            self._set(list(values))


class _NsReducingState(_NsState, ReducingState):
    def __init__(self, table: NamespacedTable, descriptor: StateDescriptor) -> None:
        super().__init__(table, descriptor)
        assert isinstance(descriptor, ReducingStateDescriptor)
        self._reduce, _ = resolve(descriptor.get_reduce_function(), "reduce")

    def get(self) -> Any:  # noqa: D102
        return self._value()

    def add(self, value: Any) -> None:  # noqa: D102
        current = self._value(MISSING)
        self._set(value if current is MISSING else self._reduce(current, value))


class _NsAggregatingState(_NsState, AggregatingState):
    def __init__(self, table: NamespacedTable, descriptor: StateDescriptor) -> None:
        super().__init__(table, descriptor)
        assert isinstance(descriptor, AggregatingStateDescriptor)
        self._agg = descriptor.get_agg_function()

    def get(self) -> Any:  # noqa: D102
        acc = self._value(MISSING)
        return None if acc is MISSING else self._agg.get_result(acc)

    def add(self, value: Any) -> None:  # noqa: D102
        acc = self._value(MISSING)
        self._set(self._agg.add(value, self._agg.create_accumulator() if acc is MISSING else acc))


class _NsMapState(_NsState, MapState):
    def _map(self) -> dict[Any, Any]:
        return self._value(None) or {}

    def get(self, key: Any) -> Any:  # noqa: D102
        return self._map().get(key)

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        m = dict(self._map())
        m[key] = value
        self._set(m)

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        m = dict(self._map())
        m.update(dict_value)
        self._set(m)

    def remove(self, key: Any) -> None:  # noqa: D102
        m = dict(self._map())
        m.pop(key, None)
        if m:
            self._set(m)
        else:
            self.clear()

    def contains(self, key: Any) -> bool:  # noqa: D102
        return key in self._map()

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return list(self._map().items())

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map())

    def values(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map().values())

    def is_empty(self) -> bool:  # noqa: D102
        return not self._map()


_KINDS = {
    "get_state": _NsValueState,
    "get_list_state": _NsListState,
    "get_map_state": _NsMapState,
    "get_reducing_state": _NsReducingState,
    "get_aggregating_state": _NsAggregatingState,
}


def namespaced_state(method: str, table: NamespacedTable, descriptor: StateDescriptor) -> Any:
    """A handle of the kind ``method`` names (``get_state``, ``get_list_state``...)."""
    return _KINDS[method](table, descriptor)
