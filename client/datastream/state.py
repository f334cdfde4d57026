"""State interfaces and descriptors (``pyflink.datastream.state``).

Keyed state is obtained in ``open()`` through the ``RuntimeContext``
(``get_state``, ``get_list_state``, ``get_map_state``,
``get_reducing_state``, ``get_aggregating_state``) of a function applied on a
keyed stream. Every access reads or writes the value of the key of the record
(or timer) being processed. Broadcast state is a map replicated on every
parallel instance; it is described by a :class:`MapStateDescriptor` passed to
``DataStream.broadcast(descriptor)``.

The implementations live in ``flink_py.taskmanager.state``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

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


class MapState(State, Generic[K, V]):
    """A map of user keys to values, per key."""

    @abc.abstractmethod
    def get(self, key: K) -> V | None:
        """The value under ``key``, or None."""

    @abc.abstractmethod
    def put(self, key: K, value: V) -> None:
        """Set the value under ``key``."""

    @abc.abstractmethod
    def put_all(self, dict_value: dict[K, V]) -> None:
        """Copy all mappings of ``dict_value`` into the state."""

    @abc.abstractmethod
    def remove(self, key: K) -> None:
        """Delete the mapping of ``key``."""

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

    def __setitem__(self, key: K, value: V) -> None:
        self.put(key, value)

    def __delitem__(self, key: K) -> None:
        self.remove(key)

    def __contains__(self, key: object) -> bool:
        return self.contains(key)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())


class ReadOnlyBroadcastState(State, Generic[K, V]):
    """A read-only view of a broadcast state (the non-broadcast side's access)."""

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


class BroadcastState(ReadOnlyBroadcastState[K, V]):
    """A map replicated on every parallel instance, written by the broadcast side.

    Every instance receives every broadcast element and must store the same
    mappings: the state of one instance stands for all of them on restore.
    """

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

    def get_name(self) -> str:
        """The state's name."""
        return self.name

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
