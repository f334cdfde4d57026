"""Operator state of a ``CheckpointedFunction``: list state and union list state.

One :class:`DefaultOperatorStateStore` per operator instance. Its snapshot is
``{"list": {name: [elements]}, "union": {name: [elements]}}`` (pickled into
the operator's state file). Restoring at another parallelism
(:func:`redistribute_operator_state`) splits each list state's elements of all
old subtasks evenly over the new subtasks (Flink's round-robin repartitioner:
contiguous ranges, the first ``n mod p`` subtasks get one more), and gives
every new subtask all elements of a union list state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flink_py.datastream.state import (
    BroadcastState,
    ListState,
    ListStateDescriptor,
    MapStateDescriptor,
    OperatorStateStore,
)

__all__ = ["DefaultOperatorStateStore", "OperatorListState", "redistribute_operator_state"]


class OperatorListState(ListState):
    """A list of elements owned by one operator instance (not scoped to a key)."""

    def __init__(self, name: str, values: list[Any] | None = None) -> None:
        self.name = name
        self._values: list[Any] = list(values or [])

    def get(self) -> list[Any]:  # noqa: D102
        return list(self._values)

    def add(self, value: Any) -> None:  # noqa: D102
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        self._values.append(value)

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        for v in values or ():
            self.add(v)

    def update(self, values: list[Any]) -> None:  # noqa: D102
        if values and any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        self._values = list(values or [])

    def clear(self) -> None:  # noqa: D102
        self._values = []

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._values))

    def __repr__(self) -> str:
        return f"OperatorListState({self.name!r})"


class DefaultOperatorStateStore(OperatorStateStore):
    """The operator states of one operator instance.

    Args:
        restored: a snapshot (:meth:`snapshot`), already redistributed; None: fresh.
        broadcast: the operator's broadcast state store, if it has one.
        operator_name: named in errors.
    """

    def __init__(self, restored: dict[str, dict[str, list[Any]]] | None = None,
                 broadcast: OperatorStateStore | None = None, operator_name: str = "") -> None:
        self._restored = restored or {}
        self._broadcast = broadcast
        self._operator = operator_name
        self._lists: dict[str, OperatorListState] = {}
        self._unions: dict[str, OperatorListState] = {}

    def _get(self, mode: str, descriptor: ListStateDescriptor) -> OperatorListState:
        if not isinstance(descriptor, ListStateDescriptor):
            raise TypeError(f"operator list state needs a ListStateDescriptor, got {descriptor!r}")
        name = descriptor.name
        mine, other = ((self._lists, self._unions) if mode == "list"
                       else (self._unions, self._lists))
        if name in other:
            kinds = {"list": "list state", "union": "union list state"}
            raise ValueError(f"operator state '{name}' of '{self._operator}' is already a "
                             f"{kinds['union' if mode == 'list' else 'list']}, it cannot be "
                             f"used as {kinds[mode]}")
        state = mine.get(name)
        if state is None:
            state = mine[name] = OperatorListState(name, self._restored.get(mode, {}).get(name))
        return state

    def get_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:  # noqa: D102
        return self._get("list", state_descriptor)

    def get_union_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:  # noqa: D102
        return self._get("union", state_descriptor)

    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> BroadcastState:  # noqa: D102
        if self._broadcast is None:
            raise ValueError(f"'{self._operator}' has no broadcast state: broadcast state "
                             "belongs to the function of a broadcast connected stream")
        return self._broadcast.get_broadcast_state(state_descriptor)

    def snapshot(self) -> dict[str, dict[str, list[Any]]]:
        """``{"list": {name: elements}, "union": {name: elements}}`` (copies)."""
        out: dict[str, dict[str, list[Any]]] = {"list": {}, "union": {}}
        # Restored states the function did not ask for again are kept (as in Flink).
        for mode in ("list", "union"):
            for name, values in self._restored.get(mode, {}).items():
                out[mode][name] = list(values)
        out["list"].update({n: s.get() for n, s in self._lists.items()})
        out["union"].update({n: s.get() for n, s in self._unions.items()})
        return out


def redistribute_operator_state(snapshots: Iterable[dict[str, Any] | None], subtask: int,
                                parallelism: int) -> dict[str, dict[str, list[Any]]]:
    """The operator state of new ``subtask`` out of every old subtask's snapshot (in order).

    List state: all elements, in old subtask order, split into ``parallelism``
    contiguous parts of near-equal size; union list state: all elements.
    """
    lists: dict[str, list[Any]] = {}
    unions: dict[str, list[Any]] = {}
    for snap in snapshots:
        for name, values in (snap or {}).get("list", {}).items():
            lists.setdefault(name, []).extend(values)
        for name, values in (snap or {}).get("union", {}).items():
            unions.setdefault(name, []).extend(values)
    out: dict[str, dict[str, list[Any]]] = {"list": {}, "union": unions}
    for name, values in lists.items():
        base, extra = divmod(len(values), parallelism)
        start = subtask * base + min(subtask, extra)
        out["list"][name] = values[start:start + base + (1 if subtask < extra else 0)]
    return out
