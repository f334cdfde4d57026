"""The keyed state backend contract.

One backend holds all keyed state of one operator instance (one parallel
subtask of a keyed operator). The operator sets the *current key* before it
calls user code for a record or a timer; every state handle the backend gave
out then reads and writes that key's value.

Backends (heap today; snapshots and a RocksDB backend come with
checkpointing) implement :class:`KeyedStateBackend`. A checkpointing
backend adds ``snapshot``/``restore`` over the key groups it owns
(``flink_py.common.runtime.keygroups``); it can find the key group of each
stored key with ``assign_to_key_group(key, max_parallelism)``, so the data
path does not pay for key-group bookkeeping.

Operators that manage their own per-key values (rolling reduce, built-in
aggregations) use the *internal* access of a value state,
:class:`InternalValueState`, which takes the key explicitly.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from flink_py.datastream.functions import KeyedStateStore
from flink_py.datastream.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    ListState,
    ListStateDescriptor,
    MapState,
    MapStateDescriptor,
    ReducingState,
    ReducingStateDescriptor,
    StateDescriptor,
    ValueState,
    ValueStateDescriptor,
)

__all__ = ["InternalValueState", "KeyedStateBackend"]


class InternalValueState(Protocol):
    """Per-key values accessed with an explicit key (for built-in operators)."""

    def get_internal(self, key: Any, default: Any = None) -> Any:
        """The value of ``key`` or ``default``."""

    def put_internal(self, key: Any, value: Any) -> None:
        """Set the value of ``key``."""

    def items_internal(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) pair."""


class KeyedStateBackend(KeyedStateStore):
    """All keyed state of one operator instance.

    Args:
        max_parallelism: the operator's max parallelism (number of key groups).
    """

    def __init__(self, max_parallelism: int) -> None:
        self.max_parallelism = max_parallelism
        self._states: dict[str, tuple[type, StateDescriptor, Any]] = {}

    # -- current key -----------------------------------------------------------
    @abc.abstractmethod
    def set_current_key(self, key: Any) -> None:
        """Scope every state handle to ``key`` until the next call."""

    @abc.abstractmethod
    def get_current_key(self) -> Any:
        """The key set last."""

    # -- state handles ---------------------------------------------------------
    @abc.abstractmethod
    def _create_state(self, kind: type, descriptor: StateDescriptor) -> Any:
        """Create the handle of a new state of ``kind`` (ValueState, ListState...)."""

    def _get_or_create(self, kind: type, descriptor: StateDescriptor) -> Any:
        """The handle for ``descriptor``; the same name must keep the same kind."""
        if not isinstance(descriptor, StateDescriptor):
            raise TypeError(f"expected a state descriptor, got {descriptor!r}")
        found = self._states.get(descriptor.name)
        if found is not None:
            if found[0] is not kind:
                msg = (f"state '{descriptor.name}' was registered as a {found[0].__name__}, "
                       f"it cannot be used as a {kind.__name__}")
                raise ValueError(msg)
            return found[2]
        handle = self._create_state(kind, descriptor)
        self._states[descriptor.name] = (kind, descriptor, handle)
        return handle

    def get_state(self, state_descriptor: ValueStateDescriptor) -> ValueState:  # noqa: D102
        return self._get_or_create(ValueState, state_descriptor)  # type: ignore[no-any-return]

    def get_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:  # noqa: D102
        return self._get_or_create(ListState, state_descriptor)  # type: ignore[no-any-return]

    def get_map_state(self, state_descriptor: MapStateDescriptor) -> MapState:  # noqa: D102
        return self._get_or_create(MapState, state_descriptor)  # type: ignore[no-any-return]

    def get_reducing_state(  # noqa: D102
            self, state_descriptor: ReducingStateDescriptor) -> ReducingState:
        return self._get_or_create(ReducingState, state_descriptor)  # type: ignore[no-any-return]

    def get_aggregating_state(  # noqa: D102
            self, state_descriptor: AggregatingStateDescriptor) -> AggregatingState:
        return self._get_or_create(AggregatingState,  # type: ignore[no-any-return]
                                   state_descriptor)

    def get_internal_value_state(self, descriptor: ValueStateDescriptor) -> InternalValueState:
        """The explicit-key view of a value state (built-in operators)."""
        return self._get_or_create(ValueState, descriptor)  # type: ignore[no-any-return]

    # -- introspection -----------------------------------------------------------
    def state_names(self) -> list[str]:
        """The names of the registered states."""
        return list(self._states)

    @abc.abstractmethod
    def get_keys(self, state_name: str) -> Iterable[Any]:
        """The keys that have a value in the state ``state_name``."""

    def close(self) -> None:
        """Release the backend's resources (state handles become invalid)."""
        self._states.clear()
