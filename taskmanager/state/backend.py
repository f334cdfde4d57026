"""The keyed state backend contract.

One backend holds all keyed state of one operator instance (one parallel
subtask of a keyed operator). The operator sets the *current key* before it
calls user code for a record or a timer; every state handle the backend gave
out then reads and writes that key's value.

Backends (``hashmap``: :mod:`.heap`, ``rocksdb``: :mod:`.rocksdb`; chosen by
``state.backend.type`` through :func:`.factory.create_keyed_state_backend`)
implement :class:`KeyedStateBackend`. A backend owns a
:class:`~flink_py.common.runtime.keygroups.KeyGroupRange` and snapshots and
restores its state per key group: :meth:`KeyedStateBackend.snapshot` takes the
short synchronous part and returns a :class:`~.snapshot.PendingSnapshot`
whose ``run()`` writes the data and returns a
:class:`~.snapshot.KeyedStateHandle`; :meth:`KeyedStateBackend.restore`
reads exactly the key groups of its range out of any set of handles (which
is how a job restored at another parallelism redistributes state).

Operators that manage their own per-key values (rolling reduce, built-in
aggregations) use the *internal* access of a value state,
:class:`InternalValueState`, which takes the key explicitly.

A descriptor with state TTL gets its backend state wrapped in a TTL decorator
(:mod:`.ttl`); :attr:`KeyedStateBackend.ttl_time_provider` is the TTL clock.
States without TTL are handed out unwrapped.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from flink_py.common.runtime.keygroups import (
    KeyGroupRange,
    assign_to_key_group,
    key_hash,
    key_hasher,
)
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
from flink_py.taskmanager.state.snapshot import KIND_NAMES, KeyedStateHandle, PendingSnapshot
from flink_py.taskmanager.state.ttl import SystemTtlTimeProvider, TtlTimeProvider, create_ttl_state

if TYPE_CHECKING:
    from flink_py.common.runtime.checkpoint_storage import CheckpointStorage
    from flink_py.taskmanager.state.ttl import TtlSettings

__all__ = ["InternalValueState", "KeyedStateBackend"]


class InternalValueState(Protocol):
    """Per-key values accessed with an explicit key (for built-in operators)."""

    def get_internal(self, key: Any, default: Any = None) -> Any:
        """The value of ``key`` or ``default``."""

    def put_internal(self, key: Any, value: Any) -> None:
        """Set the value of ``key``."""

    def items_internal(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) pair."""

    def batch_accessors(self) -> tuple[Any, Any]:
        """``(get, put)`` valid until the caller's current batch ends.

        Hot loops call this once per batch. A backend may hand out faster
        functions than :meth:`get_internal`/:meth:`put_internal` (the heap
        backend returns the dict's own methods while no snapshot is being
        written); they must not be kept across batches.
        """

    def batch_table(self) -> dict[Any, Any] | None:
        """The dict of every (key, value) pair, to read and write directly
        until the caller's current batch ends -- or None when the backend has
        no such dict at the moment (then use :meth:`batch_accessors`).
        """


class KeyedStateBackend(KeyedStateStore):
    """All keyed state of one operator instance.

    Args:
        max_parallelism: the operator's max parallelism (number of key groups).
        key_group_range: the key groups this instance owns (default: all).
        ttl_time_provider: the clock of state TTL (default: the wall clock).
    """

    def __init__(self, max_parallelism: int, key_group_range: KeyGroupRange | None = None,
                 ttl_time_provider: TtlTimeProvider | None = None) -> None:
        #: The clock of state TTL (epoch milliseconds); tests inject their own.
        self.ttl_time_provider: TtlTimeProvider = (ttl_time_provider if ttl_time_provider
                                                   is not None else SystemTtlTimeProvider())
        self.max_parallelism = max_parallelism
        self.key_group_range = (key_group_range if key_group_range is not None
                                else KeyGroupRange(0, max_parallelism - 1))
        #: how keys hash to key groups (``set_key_type``; by default their pickle)
        self._key_hash: Callable[[Any], int] = key_hash
        if self.key_group_range.end >= max_parallelism:
            raise ValueError(f"{self.key_group_range} exceeds the max parallelism "
                             f"{max_parallelism}")
        self._states: dict[str, tuple[type, StateDescriptor, Any]] = {}
        #: name -> kind of the states found in restored snapshots.
        self._restored_kinds: dict[str, str] = {}
        #: names of the restored states that were written with TTL.
        self._restored_ttl: set[str] = set()
        #: names of the registered states with TTL.
        self._ttl_states: set[str] = set()
        self._key_listeners: list[Callable[[], None]] = []

    # -- key groups ------------------------------------------------------------
    def set_key_type(self, key_type: Any) -> None:
        """Hash keys as ``key_by``'s declared key type (before the first key arrives)."""
        self._key_hash = key_hasher(key_type)

    def key_group_of(self, key: Any) -> int:
        """The key group of ``key`` (the one its records are routed to)."""
        return assign_to_key_group(key, self.max_parallelism, self._key_hash)

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
        ttl = descriptor.get_ttl_config()
        with_ttl = ttl is not None and ttl.is_enabled()
        restored = self._restored_kinds.get(descriptor.name)
        if restored is not None and restored != KIND_NAMES[kind]:
            msg = (f"state '{descriptor.name}' was restored as {restored} state, "
                   f"it cannot be used as a {kind.__name__}")
            raise ValueError(msg)
        if restored is not None and (descriptor.name in self._restored_ttl) != with_ttl:
            was, now = ("with", "without") if not with_ttl else ("without", "with")
            raise ValueError(f"state '{descriptor.name}' was restored {was} TTL, it cannot be "
                             f"used {now} TTL (enabling or disabling TTL changes the state's "
                             "format, as in Flink)")
        if with_ttl:
            assert ttl is not None
            handle = create_ttl_state(self, kind, descriptor, ttl, KIND_NAMES[kind])
            self._ttl_states.add(descriptor.name)
        else:
            handle = self._create_state(kind, descriptor)
        self._states[descriptor.name] = (kind, descriptor, handle)
        return handle

    def _register_ttl_state(self, name: str, kind: str, settings: TtlSettings
                            ) -> Callable[[], None] | None:
        """Set up the cleanup of a new TTL state; the callback to run on every access.

        Backends override this (snapshot filtering, incremental cleanup, sweeps).
        """
        return None

    def add_key_selection_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every :meth:`set_current_key` (per-record TTL cleanup).

        Backends without listeners keep their plain ``set_current_key``: the first
        listener replaces it on this instance by a notifying one.
        """
        self._key_listeners.append(listener)
        if len(self._key_listeners) > 1:
            return
        plain = type(self).set_current_key.__get__(self)
        listeners = self._key_listeners

        def set_current_key(key: Any) -> None:
            plain(key)
            for notify in listeners:
                notify()

        self.set_current_key = set_current_key  # type: ignore[method-assign]

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

    def state_kinds(self) -> dict[str, str]:
        """name -> kind of every state, registered or restored."""
        kinds = dict(self._restored_kinds)
        kinds.update({name: KIND_NAMES[kind] for name, (kind, _, _) in self._states.items()})
        return kinds

    def ttl_state_names(self) -> list[str]:
        """The names of the states (registered or restored) whose values carry TTL timestamps."""
        return sorted(self._ttl_states | (self._restored_ttl - set(self._states)))

    # -- snapshots ---------------------------------------------------------------
    @abc.abstractmethod
    def snapshot(self, checkpoint_id: int, storage: CheckpointStorage,
                 name: str | None = None) -> PendingSnapshot:
        """Take the synchronous part of a snapshot (call between records).

        Args:
            checkpoint_id: the checkpoint's id n (files go to ``chk-<n>/``).
            storage: the job's checkpoint storage.
            name: unique name of this operator instance in the checkpoint.

        Returns:
            The asynchronous part; its ``run()`` returns the handle.
        """

    @abc.abstractmethod
    def restore(self, handles: Iterable[KeyedStateHandle], storage: CheckpointStorage) -> None:
        """Load the key groups of :attr:`key_group_range` found in ``handles``.

        Call on a fresh backend, before any state is used. Handles may come
        from any parallelism with the same max parallelism.

        Raises:
            ValueError: a handle has another max parallelism.
            CheckpointCorruptError: a file is missing or corrupt (the path is named).
        """

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        """Checkpoint ``n`` completed (incremental backends may build on it)."""

    def _check_handle(self, handle: KeyedStateHandle) -> KeyGroupRange:
        """The key groups of ``handle`` this backend restores."""
        if handle.max_parallelism != self.max_parallelism:
            msg = (f"cannot restore keyed state written with max parallelism "
                   f"{handle.max_parallelism} into max parallelism {self.max_parallelism} "
                   "(the max parallelism of a keyed operator cannot change)")
            raise ValueError(msg)
        for name, kind in handle.states.items():
            known = self._restored_kinds.setdefault(name, kind)
            if known != kind:
                raise ValueError(f"state '{name}' is {known} state in one snapshot "
                                 f"and {kind} state in another")
        self._restored_ttl.update(handle.ttl_states)
        return handle.key_group_range.intersection(self.key_group_range)

    def close(self) -> None:
        """Release the backend's resources (state handles become invalid)."""
        self._states.clear()
        self._key_listeners.clear()
