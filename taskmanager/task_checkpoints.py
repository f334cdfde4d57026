"""A task's part of a checkpoint: snapshot, upload, notify, restore (Flink §6.2, §7.2).

Per operator of the chain (keyed by its operator ID: the uid, else the
``set_uid_hash`` value, else the topology hash the client computed; see
``jobmanager.checkpoint_coordinator.operator_key``):

* keyed state -- the operator's keyed backend snapshots itself
  (:meth:`KeyedStateBackend.snapshot`: synchronous copy, asynchronous write);
* operator state -- a source's splits with positions
  (``snapshot_source``), a sink's writer state and pending committables
  (``snapshot_sink``), and the keyed timers -- pickled into one file
  ``chk-<n>/op-<key>-<subtask>-<attempt>``.

Also in that file: the operator list / union list states of a
``CheckpointedFunction`` (``snapshot_state`` is called first) and broadcast
state.

The acknowledgement carries ``{key: {"keyed": handle JSON or None, "state":
path or None}}``. A restore hands the same back (the keyed handles of every
subtask, since a backend keeps only its key groups) before the operators open.

Restored at another parallelism (savepoint or checkpoint of a rescaled job),
every old subtask's operator state file is read and redistributed
(:func:`redistribute`): keyed timers by key group, list state evenly, union
list state and broadcast state to everyone, source splits dealt anew by the
source's enumerator, pending sink committables round-robin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import cloudpickle

from flink_py.common.runtime.checkpoint_storage import CheckpointCorruptError, CheckpointStorage
from flink_py.common.runtime.deployment import TaskDeploymentDescriptor
from flink_py.common.runtime.keygroups import (
    assign_to_key_group,
    key_group_range_for_operator_index,
    key_hasher,
)
from flink_py.datastream.functions import (
    CheckpointedFunction,
    FunctionInitializationContext,
    FunctionSnapshotContext,
)
from flink_py.jobmanager.checkpoint_coordinator import operator_key
from flink_py.taskmanager.operators.timers import InternalTimerService
from flink_py.taskmanager.state.backend import KeyedStateBackend
from flink_py.taskmanager.state.broadcast import BroadcastStateStore
from flink_py.taskmanager.state.operator_state import (
    DefaultOperatorStateStore,
    redistribute_operator_state,
)
from flink_py.taskmanager.state.snapshot import KeyedStateHandle, PendingSnapshot

__all__ = [
    "OperatorSnapshot",
    "apply_restore",
    "checkpoint_storage",
    "notify_checkpoint_complete",
    "redistribute",
    "restore_timers",
    "snapshot_operators",
    "upload_snapshot",
]


def checkpoint_storage(tdd: TaskDeploymentDescriptor) -> CheckpointStorage | None:
    """The job's checkpoint storage, or None when checkpointing has no directory."""
    directory = tdd.config.get("execution.checkpointing.dir") or \
        tdd.config.get("state.checkpoints.dir")
    return CheckpointStorage(directory, tdd.job_id) if directory else None


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key)


class OperatorSnapshot:
    """The synchronous part of one operator's snapshot."""

    __slots__ = ("blob", "key", "keyed")

    def __init__(self, key: str, keyed: PendingSnapshot | None, blob: bytes | None) -> None:
        self.key = key
        self.keyed = keyed
        self.blob = blob


def _timer_state(service: InternalTimerService) -> dict[str, list[tuple[Any, ...]]]:
    # entries (timestamp, key[, namespace]): the key is always the second field
    return service.snapshot_timers()


def snapshot_operators(tdd: TaskDeploymentDescriptor, specs: list[Any], ops: list[Any],
                       checkpoint_id: int, storage: CheckpointStorage,
                       timestamp_ms: int = 0) -> list[OperatorSnapshot]:
    """Take the synchronous part of every operator's snapshot (on the task thread)."""
    out = []
    for spec, op in zip(specs, ops):
        func = getattr(op, "user_function", None)
        if isinstance(func, CheckpointedFunction):
            func.snapshot_state(FunctionSnapshotContext(checkpoint_id, timestamp_ms))
        key = operator_key(spec.uid, spec.node_id)
        backend = getattr(op, "backend", None)
        keyed = None
        if isinstance(backend, KeyedStateBackend):
            keyed = backend.snapshot(checkpoint_id, storage,
                                     f"{_safe(key)}-{tdd.subtask_index}-{tdd.attempt}")
        state: dict[str, Any] = {}
        if hasattr(op, "snapshot_source") and getattr(op, "reader", None) is not None:
            state["source"] = op.snapshot_source(checkpoint_id)
        if hasattr(op, "snapshot_sink") and getattr(op, "writer", None) is not None:
            state["sink"] = op.snapshot_sink(checkpoint_id)
        timers = getattr(op, "timer_service", None)
        if isinstance(timers, InternalTimerService) and (
                timers.num_event_time_timers() or timers.num_processing_time_timers()):
            state["timers"] = _timer_state(timers)
        store = getattr(op, "operator_state_store", None)
        if isinstance(store, DefaultOperatorStateStore):
            snap = store.snapshot()
            if snap["list"] or snap["union"]:
                state["operator"] = snap
        broadcast = getattr(op, "broadcast_states", None)
        if isinstance(broadcast, BroadcastStateStore):
            state["broadcast"] = broadcast.snapshot()
        blob = cloudpickle.dumps(state, protocol=5) if state else None
        out.append(OperatorSnapshot(key, keyed, blob))
    return out


def upload_snapshot(tdd: TaskDeploymentDescriptor, parts: list[OperatorSnapshot],
                    checkpoint_id: int, storage: CheckpointStorage) -> dict[str, Any]:
    """The asynchronous part: write every file; the acknowledgement document."""
    doc: dict[str, Any] = {}
    try:
        for part in parts:
            entry: dict[str, Any] = {"keyed": None, "state": None}
            if part.keyed is not None:
                entry["keyed"] = part.keyed.run().to_json()
                part.keyed = None
            if part.blob is not None:
                path = (f"{storage.checkpoint_path(checkpoint_id)}/op-{_safe(part.key)}-"
                        f"{tdd.subtask_index}-{tdd.attempt}")
                storage.write_file(path, part.blob)
                entry["state"] = path
            doc[part.key] = entry
    finally:
        for part in parts:
            if part.keyed is not None:
                part.keyed.cancel()
    return doc


def _load(storage: CheckpointStorage, path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        state: dict[str, Any] = cloudpickle.loads(storage.read_file(path))
    except CheckpointCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - an undecodable file is corrupt
        raise CheckpointCorruptError(path, f"cannot decode ({exc})") from None
    return state


def apply_restore(tdd: TaskDeploymentDescriptor, specs: list[Any], ops: list[Any],
                  storage: CheckpointStorage | None) -> list[tuple[Any, dict[str, Any]]]:
    """Hand the restored state to the operators (before they open).

    Also initializes the state of ``CheckpointedFunction`` user functions
    (``initialize_state``, restored or fresh).

    Returns:
        ``(operator, state)`` pairs for :func:`restore_timers` after open
        (keyed timers, broadcast state).

    Raises:
        CheckpointCorruptError: a state file is missing or unreadable (path named).
    """
    restore = tdd.restore
    if not restore or storage is None:
        if tdd.attempt > 0:  # a restart without a checkpoint: sinks clean up earlier attempts
            for op in ops:
                if hasattr(op, "restore_sink"):
                    op.restore_sink({})
        for spec, op in zip(specs, ops):
            _initialize_function(op, spec, None)
        return []
    after_open = []
    by_key = restore.get("operators", {})
    for spec, op in zip(specs, ops):
        entry = by_key.get(operator_key(spec.uid, spec.node_id))
        if not entry:
            if hasattr(op, "restore_sink"):
                op.restore_sink({})
            _initialize_function(op, spec, None)
            continue
        handles = [KeyedStateHandle.from_json(h) for h in entry.get("keyed") or []]
        if handles and hasattr(op, "create_keyed_state_backend"):
            op.create_keyed_state_backend = _restoring_factory(op.create_keyed_state_backend,
                                                               handles, storage)
        old_p = int(entry.get("parallelism") or tdd.parallelism)
        paths = list(entry.get("states") or [])
        if old_p == tdd.parallelism:
            state = _load(storage, entry.get("state"))
            if state.get("operator", {}).get("union"):  # union state: every subtask's part
                others = [_load(storage, p) if i != tdd.subtask_index else state
                          for i, p in enumerate(paths)]
                state["operator"] = {
                    "list": state["operator"].get("list", {}),
                    "union": redistribute_operator_state(
                        [o.get("operator") for o in others], tdd.subtask_index,
                        tdd.parallelism)["union"]}
        else:
            state = redistribute([_load(storage, p) for p in paths], tdd.subtask_index,
                                 tdd.parallelism, tdd.max_parallelism, spec.name,
                                 getattr(op, "key_type", None))
        if "source" in state and hasattr(op, "restore_source"):
            op.restore_source(state["source"])
        if hasattr(op, "restore_sink"):
            op.restore_sink(state.get("sink") or {})
        _initialize_function(op, spec, state.get("operator"), is_restored=True)
        post = {k: state[k] for k in ("timers", "broadcast") if k in state}
        if post:
            after_open.append((op, post))
    return after_open


def _initialize_function(op: Any, spec: Any, restored: dict[str, Any] | None,
                         is_restored: bool = False) -> None:
    """Call ``initialize_state`` of a ``CheckpointedFunction`` with its operator state."""
    func = getattr(op, "user_function", None)
    if not isinstance(func, CheckpointedFunction):
        return
    store = DefaultOperatorStateStore(restored, getattr(op, "broadcast_states", None), spec.name)
    op.operator_state_store = store
    func.initialize_state(FunctionInitializationContext(store, is_restored))


def redistribute(states: list[dict[str, Any]], subtask: int, parallelism: int,
                 max_parallelism: int, operator_name: str = "",
                 key_type: Any = None) -> dict[str, Any]:
    """One new subtask's operator state out of every old subtask's (rescaled restore).

    Raises:
        ValueError: a source whose enumerator state cannot be redistributed.
    """
    out: dict[str, Any] = {}
    if any("source" in s for s in states):
        out["source"] = _redistribute_source([s.get("source") for s in states], parallelism,
                                             operator_name)
    sinks = [s.get("sink") for i, s in enumerate(states) if i % parallelism == subtask]
    if any(sinks):
        out["sink"] = {"committables": [c for sk in sinks if sk
                                        for c in sk.get("committables", [])]}
    timer_states = [s["timers"] for s in states if "timers" in s]
    if timer_states:
        owned = key_group_range_for_operator_index(max_parallelism, parallelism, subtask)
        hasher = key_hasher(key_type)

        # a timer (timestamp, key[, namespace]) belongs to its key's key group
        def mine(entries: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
            return sorted((t for t in entries
                           if assign_to_key_group(t[1], max_parallelism, hasher) in owned),
                          key=lambda t: t[0])

        out["timers"] = {kind: mine([t for ts in timer_states for t in ts.get(kind, [])])
                         for kind in ("event", "processing")}
    if any("operator" in s for s in states):
        out["operator"] = redistribute_operator_state([s.get("operator") for s in states],
                                                      subtask, parallelism)
    broadcast = [s["broadcast"] for s in states if "broadcast" in s]
    if broadcast:  # every old subtask held the same copy
        out["broadcast"] = broadcast[subtask % len(broadcast)]
    return out


def _redistribute_source(sources: list[dict[str, Any] | None], parallelism: int,
                         operator_name: str) -> dict[str, Any]:
    """Hand every old split (in progress or not yet assigned) back to the enumerator,
    which deals them over the new parallelism."""
    from flink_py.datastream.connectors.source import owner_of

    readers = [list((s or {}).get("splits") or []) for s in sources]
    enums = [(s or {}).get("enumerator") for s in sources]
    sample = next((e for e in enums if e is not None), None)
    if isinstance(sample, dict) and "pending" in sample and "processed" in sample:
        processed: set[Any] = set()
        pending: dict[int, list[Any]] = {}
        for i, e in enumerate(enums):
            processed |= set((e or {}).get("processed", ()))
            for split in readers[i] + list((e or {}).get("pending", {}).get(i, [])):
                pending.setdefault(owner_of(split.id, parallelism), []).append(split)
        return {"splits": [], "enumerator": {"processed": processed, "pending": pending}}
    if isinstance(sample, dict) and all(isinstance(k, int) for k in sample):
        # StaticSplitEnumerator: entry i of replica i; more or fewer entries than the new
        # parallelism make it deal the splits round-robin anew.
        merged = {i: readers[i] + list((e or {}).get(i, [])) for i, e in enumerate(enums)}
        return {"splits": [], "enumerator": merged}
    raise ValueError(f"the state of source '{operator_name}' cannot be redistributed to "
                     f"parallelism {parallelism} (enumerator state {type(sample).__name__})")


def _restoring_factory(factory: Callable[[], KeyedStateBackend], handles: list[KeyedStateHandle],
                       storage: CheckpointStorage) -> Callable[[], KeyedStateBackend]:
    def create() -> KeyedStateBackend:
        backend = factory()
        backend.restore(handles, storage)
        return backend

    return create


def restore_timers(pairs: list[tuple[Any, dict[str, Any]]]) -> None:
    """Re-register restored keyed timers and broadcast state (after the operators opened)."""
    for op, post in pairs:
        broadcast = getattr(op, "broadcast_states", None)
        if "broadcast" in post and isinstance(broadcast, BroadcastStateStore):
            broadcast.restore(post["broadcast"])
        state = post.get("timers")
        if state is None:
            continue
        service = getattr(op, "timer_service", None)
        if isinstance(service, InternalTimerService):
            service.restore_timers(state)  # under their own key and namespace


def notify_checkpoint_complete(ops: list[Any], checkpoint_id: int) -> None:
    """Checkpoint ``n`` completed: sinks commit, sources and backends clean up."""
    for op in ops:
        hook = getattr(op, "notify_checkpoint_complete", None)
        if hook is not None:
            hook(checkpoint_id)
        backend = getattr(op, "backend", None)
        if isinstance(backend, KeyedStateBackend):
            backend.notify_checkpoint_complete(checkpoint_id)
