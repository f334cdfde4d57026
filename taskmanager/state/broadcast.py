"""Broadcast state: maps replicated on every parallel instance of an operator.

The broadcast side of a ``BroadcastProcessFunction`` writes them; the other
side reads them through a read-only view. Every instance receives every
broadcast element, so every instance holds the same maps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flink_py.datastream.state import (
    BroadcastState,
    MapStateDescriptor,
    OperatorStateStore,
    ReadOnlyBroadcastState,
)

__all__ = ["BroadcastStateStore", "HeapBroadcastState", "ReadOnlyBroadcastStateView"]


class HeapBroadcastState(BroadcastState):
    """A broadcast state kept in a dict."""

    def __init__(self, descriptor: MapStateDescriptor) -> None:
        self.descriptor = descriptor
        self._map: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:  # noqa: D102
        return self._map.get(key)

    def contains(self, key: Any) -> bool:  # noqa: D102
        return key in self._map

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return list(self._map.items())

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map)

    def values(self) -> Iterable[Any]:  # noqa: D102
        return list(self._map.values())

    def is_empty(self) -> bool:  # noqa: D102
        return not self._map

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        self._map[key] = value

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        self._map.update(dict_value)

    def remove(self, key: Any) -> None:  # noqa: D102
        self._map.pop(key, None)

    def clear(self) -> None:  # noqa: D102
        self._map.clear()


class ReadOnlyBroadcastStateView(ReadOnlyBroadcastState):
    """The non-broadcast side's view: reads only."""

    def __init__(self, state: HeapBroadcastState) -> None:
        self._state = state

    def get(self, key: Any) -> Any:  # noqa: D102
        return self._state.get(key)

    def contains(self, key: Any) -> bool:  # noqa: D102
        return self._state.contains(key)

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return self._state.items()

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return self._state.keys()

    def values(self) -> Iterable[Any]:  # noqa: D102
        return self._state.values()

    def is_empty(self) -> bool:  # noqa: D102
        return self._state.is_empty()

    def clear(self) -> None:
        """Not allowed: the non-broadcast side cannot modify broadcast state."""
        raise RuntimeError("The broadcast state is read-only on the non-broadcast side "
                           "(process_element); modify it in process_broadcast_element.")


class BroadcastStateStore(OperatorStateStore):
    """The broadcast states of one operator instance, declared up front.

    Args:
        descriptors: the MapStateDescriptors given to ``broadcast(...)``.
    """

    def __init__(self, descriptors: list[MapStateDescriptor]) -> None:
        self._states = {d.name: HeapBroadcastState(d) for d in descriptors}
        self._views = {n: ReadOnlyBroadcastStateView(s) for n, s in self._states.items()}

    def _name(self, descriptor: MapStateDescriptor) -> str:
        name = getattr(descriptor, "name", None)
        if name not in self._states:
            msg = (f"The requested broadcast state {name!r} does not exist; the stream was "
                   f"broadcast with {sorted(self._states)}. Check for typos in the state "
                   "descriptor, or pass it to DataStream.broadcast(...).")
            raise ValueError(msg)
        return name  # type: ignore[return-value]

    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> BroadcastState:
        """The writable broadcast state (broadcast side)."""
        return self._states[self._name(state_descriptor)]

    def get_read_only_broadcast_state(
            self, state_descriptor: MapStateDescriptor) -> ReadOnlyBroadcastState:
        """The read-only view (non-broadcast side)."""
        return self._views[self._name(state_descriptor)]

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        """Every broadcast state's entries (a copy per state)."""
        return {name: dict(state._map) for name, state in self._states.items()}  # noqa: SLF001

    def restore(self, contents: dict[str, dict[Any, Any]]) -> None:
        """Load a :meth:`snapshot` (each subtask restores a full copy)."""
        for name, entries in contents.items():
            state = self._states.get(name)
            if state is not None:
                state._map.update(entries)  # noqa: SLF001
