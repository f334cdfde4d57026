"""A task's part of a checkpoint: snapshot, upload, notify, restore (Flink §6.2, §7.2).

Per operator of the chain (keyed by its uid, else ``node-<id>``; see
``jobmanager.checkpoint_coordinator.operator_key``):

* keyed state -- the operator's keyed backend snapshots itself
  (:meth:`KeyedStateBackend.snapshot`: synchronous copy, asynchronous write);
* operator state -- a source's splits with positions
  (``snapshot_source``), a sink's writer state and pending committables
  (``snapshot_sink``), and the keyed timers -- pickled into one file
  ``chk-<n>/op-<key>-<subtask>-<attempt>``.

The acknowledgement carries ``{key: {"keyed": handle JSON or None, "state":
path or None}}``. A restore hands the same back (the keyed handles of every
subtask, since a backend keeps only its key groups) before the operators open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import cloudpickle

from flink_py.common.runtime.checkpoint_storage import CheckpointStorage
from flink_py.common.runtime.deployment import TaskDeploymentDescriptor
from flink_py.jobmanager.checkpoint_coordinator import operator_key
from flink_py.taskmanager.operators.timers import InternalTimerService
from flink_py.taskmanager.state.backend import KeyedStateBackend
from flink_py.taskmanager.state.snapshot import KeyedStateHandle, PendingSnapshot

__all__ = [
    "OperatorSnapshot",
    "apply_restore",
    "checkpoint_storage",
    "notify_checkpoint_complete",
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


def _timer_state(service: InternalTimerService) -> dict[str, list[tuple[int, Any]]]:
    return {"event": sorted(service._event.live, key=lambda t: t[0]),  # noqa: SLF001
            "processing": sorted(service._processing.live, key=lambda t: t[0])}  # noqa: SLF001


def snapshot_operators(tdd: TaskDeploymentDescriptor, specs: list[Any], ops: list[Any],
                       checkpoint_id: int, storage: CheckpointStorage) -> list[OperatorSnapshot]:
    """Take the synchronous part of every operator's snapshot (on the task thread)."""
    out = []
    for spec, op in zip(specs, ops):
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


def apply_restore(tdd: TaskDeploymentDescriptor, specs: list[Any], ops: list[Any],
                  storage: CheckpointStorage | None) -> list[tuple[Any, dict[str, Any]]]:
    """Hand the restored state to the operators (before they open).

    Returns:
        ``(operator, timer state)`` pairs for :func:`restore_timers` after open.

    Raises:
        CheckpointCorruptError: a state file is missing or unreadable (path named).
    """
    restore = tdd.restore
    if not restore or storage is None:
        if tdd.attempt > 0:  # a restart without a checkpoint: sinks clean up earlier attempts
            for op in ops:
                if hasattr(op, "restore_sink"):
                    op.restore_sink({})
        return []
    timers = []
    by_key = restore.get("operators", {})
    for spec, op in zip(specs, ops):
        entry = by_key.get(operator_key(spec.uid, spec.node_id))
        if not entry:
            if hasattr(op, "restore_sink"):
                op.restore_sink({})
            continue
        handles = [KeyedStateHandle.from_json(h) for h in entry.get("keyed") or []]
        if handles and hasattr(op, "create_keyed_state_backend"):
            op.create_keyed_state_backend = _restoring_factory(op.create_keyed_state_backend,
                                                               handles, storage)
        if entry.get("state"):
            path = entry["state"]
            try:
                state = cloudpickle.loads(storage.read_file(path))
            except Exception as exc:
                from flink_py.common.runtime.checkpoint_storage import CheckpointCorruptError

                if isinstance(exc, CheckpointCorruptError):
                    raise
                raise CheckpointCorruptError(path, f"cannot decode ({exc})") from None
            if "source" in state and hasattr(op, "restore_source"):
                op.restore_source(state["source"])
            if "sink" in state and hasattr(op, "restore_sink"):
                op.restore_sink(state["sink"])
            if "timers" in state:
                timers.append((op, state["timers"]))
    return timers


def _restoring_factory(factory: Callable[[], KeyedStateBackend], handles: list[KeyedStateHandle],
                       storage: CheckpointStorage) -> Callable[[], KeyedStateBackend]:
    def create() -> KeyedStateBackend:
        backend = factory()
        backend.restore(handles, storage)
        return backend

    return create


def restore_timers(pairs: list[tuple[Any, dict[str, Any]]]) -> None:
    """Re-register restored keyed timers (after the operators opened)."""
    for op, state in pairs:
        service = getattr(op, "timer_service", None)
        if not isinstance(service, InternalTimerService):
            continue
        backend = op.backend
        for ts, key in state.get("event", []):
            service._event.add(ts, key)  # noqa: SLF001
        for ts, key in state.get("processing", []):
            backend.set_current_key(key)
            service.register_processing_time_timer(ts)


def notify_checkpoint_complete(ops: list[Any], checkpoint_id: int) -> None:
    """Checkpoint ``n`` completed: sinks commit, sources and backends clean up."""
    for op in ops:
        hook = getattr(op, "notify_checkpoint_complete", None)
        if hook is not None:
            hook(checkpoint_id)
        backend = getattr(op, "backend", None)
        if isinstance(backend, KeyedStateBackend):
            backend.notify_checkpoint_complete(checkpoint_id)
