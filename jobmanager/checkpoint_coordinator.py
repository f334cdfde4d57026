"""The checkpoint coordinator: a pure state machine owned by the job master (Flink §6).

It decides when to trigger checkpoint *n* (interval, min pause, max
concurrent, all tasks running), collects the tasks' acknowledgements (their
state handles, JSON), asks the runtime to write ``chk-<n>/_metadata``
(:class:`FinalizeCheckpoint`), then notifies every task
(:class:`NotifyCheckpoint`). Declines, expiry and failed finalization abort
the checkpoint (:class:`AbortCheckpoint`); more consecutive counted failures
than ``execution.checkpointing.tolerable-failed-checkpoints`` fail the job
(:class:`FailJobForCheckpoints`). Manual checkpoints (``flink checkpoint``,
:meth:`CheckpointCoordinator.trigger_manual`) are regular checkpoints triggered
on request, also with periodic checkpointing off; their outcome is recorded.

Tasks are identified by ``(vertex id, subtask index)``; the job master maps
them to TaskManagers. No I/O happens here.

Checkpoints after tasks finished (Flink FLIP-147,
``execution.checkpointing.checkpoints-after-tasks-finish``, default true):
checkpoints go on while some tasks are FINISHED. The barrier is injected at
the running tasks whose upstream tasks all finished (the running sources, or
the first running tasks downstream of finished ones); the checkpoint waits
for every task not finished, and records the finished ones as finished
(``"finished": true`` per subtask, ``"fully_finished": true`` per operator
once every subtask finished -- Flink's ``FinishedOperatorSubtaskState`` and
``FullyFinishedOperatorState``), so a restore deploys them as finished
instead of running them again. A task that reached the end of its data
(:meth:`CheckpointCoordinator.on_end_of_data`) waits for one more checkpoint,
its *final checkpoint*; one is triggered at once rather than after the
interval. The task keeps waiting until a checkpoint triggered after its report
completes or it finished: when that checkpoint is aborted (declined, expired,
or a task finished before acknowledging it), the next one is triggered at once
too. With the option off, no checkpoint is triggered once a task finished
(Flink before 1.14).

The ``operators`` document of a completed checkpoint (and of ``_metadata``)::

    {operator key: {"vertex": vertex id, "parallelism": p, "max_parallelism": m,
                    "kind": the operator's kind (``ChainedOperator.kind``), if known,
                    "subtasks": {"<i>": {"keyed": handle JSON or None,
                                         "state": path or None,
                                         "finished": true (only when finished)}},
                    "fully_finished": true (only when every subtask finished)}}

where the operator key is the operator's ID (Flink's OperatorID): its ``uid()``,
else its ``set_uid_hash``, else the hash of its place in the topology that the
client generated (``client.graph.stream_graph_hashes``); all of them travel as
``ChainedOperator.uid``. A restore maps state by that key (:func:`unmapped_state`)
and refuses state written by another kind of operator (:func:`mismatched_kinds`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig

__all__ = [
    "AbortCheckpoint",
    "CheckpointConfigValues",
    "CheckpointCoordinator",
    "CompletedCheckpoint",
    "FailJobForCheckpoints",
    "FinalizeCheckpoint",
    "NotifyCheckpoint",
    "SavepointOptions",
    "StateMappingError",
    "TriggerCheckpoint",
    "finished_on_restore",
    "mismatched_kinds",
    "operator_key",
    "restore_assignment",
    "unmapped_state",
]

TaskId = tuple[str, int]


def operator_key(uid: str | None, node_id: int) -> str:
    """The key of one operator's state in a checkpoint: its operator ID.

    ``uid`` is ``ChainedOperator.uid``: the user's uid, set_uid_hash or the generated
    topology hash in every graph the client builds; ``node-<node_id>`` only serves
    hand-built graphs without one.
    """
    return uid if uid else f"node-{node_id}"


class StateMappingError(ValueError):
    """Snapshot state cannot be mapped onto the job's operators."""


def _has_state(entry: dict[str, Any]) -> bool:
    return any(s.get("keyed") or s.get("state") for s in entry.get("subtasks", {}).values())


def unmapped_state(snapshot_ops: dict[str, Any], operators: dict[str, list[tuple[str, int, int]]],
                   path: str, allow_non_restored: bool) -> list[str]:
    """Check that a snapshot's state maps onto a job's operators (Flink's uid matching).

    Args:
        snapshot_ops: the ``operators`` document of the snapshot.
        operators: per vertex id: ``[(operator key, parallelism, max parallelism)]``.
        path: the snapshot's path (named in errors).
        allow_non_restored: skip state of operators missing from the job.

    Returns:
        The keys of the skipped operators' state.

    Raises:
        StateMappingError: state without an operator (unless allowed), or keyed
            state whose max parallelism differs from the operator's.
    """
    known = {key: maxp for ops in operators.values() for key, _, maxp in ops}
    skipped = []
    for key, entry in sorted(snapshot_ops.items()):
        if not _has_state(entry):
            continue
        if key not in known:
            if not allow_non_restored:
                raise StateMappingError(
                    f"Failed to rollback to checkpoint/savepoint {path}. Cannot map "
                    f"checkpoint/savepoint state for operator {key} to the new program, because "
                    "the operator is not available in the new program. If you want to allow to "
                    "skip this, you can set the --allowNonRestoredState option on the CLI.")
            skipped.append(key)
            continue
        keyed = any(s.get("keyed") for s in entry.get("subtasks", {}).values())
        old_max = entry.get("max_parallelism")
        if keyed and old_max is not None and int(old_max) != known[key]:
            raise StateMappingError(
                f"Failed to rollback to checkpoint/savepoint {path}. The max parallelism "
                f"{known[key]} of operator {key} differs from the max parallelism {old_max} "
                "of its keyed state (the max parallelism of a keyed operator cannot change).")
    return skipped


def _carries_restore(entry: dict[str, Any]) -> bool:
    """The entry would change the restored operator: state, or finished subtasks."""
    return _has_state(entry) or bool(entry.get("fully_finished")) or any(
        s.get("finished") for s in entry.get("subtasks", {}).values())


def mismatched_kinds(snapshot_ops: dict[str, Any], kinds: dict[str, str],
                     names: dict[str, str], path: str, allow_non_restored: bool
                     ) -> list[str]:
    """Check that state mapped to an operator was written by the same kind of operator.

    Operators without a uid get their ID from their place in the topology, so two
    programs of the same shape share IDs; a source's splits restored into another
    source (or a sink's state into another sink) would break it. Entries without a
    recorded kind (or operators without one) are not checked.

    Args:
        snapshot_ops: the ``operators`` document of the snapshot.
        kinds: operator key -> the job's operator kind.
        names: operator key -> the job's operator name (for the error).
        path: the snapshot's path (named in errors).
        allow_non_restored: skip such state like state without an operator.

    Returns:
        The keys whose state is skipped (only with ``allow_non_restored``).

    Raises:
        StateMappingError: naming the first such operator (unless allowed).
    """
    skipped = []
    for key, entry in sorted(snapshot_ops.items()):
        old, new = entry.get("kind"), kinds.get(key)
        if not old or not new or old == new or not _carries_restore(entry):
            continue
        if not allow_non_restored:
            raise StateMappingError(
                f"Failed to rollback to checkpoint/savepoint {path}. Cannot map "
                f"checkpoint/savepoint state for operator {key} to operator "
                f"'{names.get(key, key)}' of the new program: the state was written by a "
                f"{old}, the new operator is a {new}. Give the operators distinct uids, or "
                "set the --allowNonRestoredState option on the CLI to skip this state.")
        skipped.append(key)
    return skipped


def restore_assignment(snapshot_ops: dict[str, Any], own_ops: list[tuple[str, int, int]],
                       subtask: int) -> dict[str, Any]:
    """The restored state of one subtask's operators.

    Per operator key: ``keyed`` (the keyed handles of every old subtask: a
    backend keeps the key groups of its range), ``state`` (the old operator
    state file of the same subtask when the parallelism is unchanged, else
    None), ``states`` (every old subtask's operator state file, by old index,
    for redistribution), ``parallelism`` (the old parallelism) and ``finished``
    (the operator finished: fully, or this very subtask at an unchanged
    parallelism).
    """
    ops: dict[str, Any] = {}
    for key, parallelism, _ in own_ops:
        entry = snapshot_ops.get(key)
        if entry is None:
            continue
        subtasks = sorted(entry.get("subtasks", {}).items(), key=lambda kv: int(kv[0]))
        keyed = [s["keyed"] for _, s in subtasks if s.get("keyed")]
        old_p = int(entry.get("parallelism") or len(subtasks))
        by_index = {int(i): s.get("state") for i, s in subtasks}
        own = by_index.get(subtask) if old_p == parallelism else None
        finished = bool(entry.get("fully_finished")) or (
            old_p == parallelism
            and bool(entry.get("subtasks", {}).get(str(subtask), {}).get("finished")))
        ops[key] = {"keyed": keyed, "state": own, "parallelism": old_p,
                    "states": [by_index.get(i) for i in range(old_p)], "finished": finished}
    return ops


def finished_on_restore(assignment: dict[str, Any], own_ops: list[tuple[str, int, int]]) -> bool:
    """Whether a subtask is deployed as finished: every operator of its chain finished."""
    return bool(own_ops) and all(assignment.get(key, {}).get("finished")
                                 for key, _, _ in own_ops)


@dataclasses.dataclass(frozen=True)
class SavepointOptions:
    """A savepoint request: where to write it; whether the job stops (and drains) after it."""

    target_directory: str
    stop: bool = False
    drain: bool = False


@dataclasses.dataclass(frozen=True)
class CheckpointConfigValues:
    """The checkpointing options of one job (``execution.checkpointing.*``)."""

    interval_ms: int | None = None
    mode: str = "EXACTLY_ONCE"
    timeout_ms: int = 600_000
    min_pause_ms: int = 0
    max_concurrent: int = 1
    tolerable_failures: int = 0
    num_retained: int = 1
    directory: str | None = None
    retention: str = "NO_EXTERNALIZED_CHECKPOINTS"
    #: ``checkpoints-after-tasks-finish``: checkpoint on with finished tasks; final checkpoint
    after_tasks_finish: bool = True

    @property
    def enabled(self) -> bool:
        """Checkpointing is on when an interval is set (Flink: off by default)."""
        return self.interval_ms is not None and self.interval_ms > 0

    @classmethod
    def from_config(cls, config: FlinkConfig) -> CheckpointConfigValues:
        """Read the options (validated by the config layer)."""
        interval = config.get(cfg.CHECKPOINTING_INTERVAL)
        return cls(
            interval_ms=None if interval is None else int(interval),
            mode=str(config.get(cfg.CHECKPOINTING_MODE)),
            timeout_ms=int(config.get(cfg.CHECKPOINTING_TIMEOUT)),
            min_pause_ms=int(config.get(cfg.CHECKPOINTING_MIN_PAUSE)),
            max_concurrent=max(1, int(config.get(cfg.CHECKPOINTING_MAX_CONCURRENT))),
            tolerable_failures=int(config.get(cfg.CHECKPOINTING_TOLERABLE_FAILURES)),
            num_retained=max(1, int(config.get(cfg.CHECKPOINTING_NUM_RETAINED))),
            directory=config.get(cfg.CHECKPOINTING_DIR),
            retention=str(config.get(cfg.CHECKPOINTING_EXTERNALIZED_RETENTION)),
            after_tasks_finish=bool(config.get(cfg.CHECKPOINTING_AFTER_TASKS_FINISH)))

    @property
    def final_checkpoint(self) -> bool:
        """Tasks wait for a final checkpoint at the end of their data (FLIP-147)."""
        return self.enabled and self.after_tasks_finish

    def retained_after(self, job_state: str) -> bool:
        """Whether the job's checkpoints outlive it when it ends in ``job_state``.

        Flink's ``CheckpointProperties``: a FINISHED job's checkpoints are always
        discarded; RETAIN_ON_CANCELLATION keeps them when the job is canceled or
        failed, DELETE_ON_CANCELLATION (retain on failure) only when it failed, and
        NO_EXTERNALIZED_CHECKPOINTS never.
        """
        if self.retention == "RETAIN_ON_CANCELLATION":
            return job_state in ("CANCELED", "FAILED")
        if self.retention == "DELETE_ON_CANCELLATION":
            return job_state == "FAILED"
        return False


# -- effects -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TriggerCheckpoint:
    """Effect: send barrier injection for ``checkpoint_id`` to these tasks (the running
    sources, and running tasks whose upstream tasks all finished)."""

    checkpoint_id: int
    timestamp_ms: int
    tasks: tuple[TaskId, ...]
    savepoint: SavepointOptions | None = None


@dataclasses.dataclass(frozen=True)
class FinalizeCheckpoint:
    """Effect: write ``chk-<n>/_metadata`` (then call :meth:`CheckpointCoordinator.on_finalized`).

    For a savepoint, the runtime copies every file the state references into
    a new directory under ``savepoint.target_directory`` (self-contained) and
    writes the ``_metadata`` there.
    """

    checkpoint_id: int
    operators: dict[str, Any]
    shared_files: tuple[str, ...]
    savepoint: SavepointOptions | None = None


@dataclasses.dataclass(frozen=True)
class NotifyCheckpoint:
    """Effect: tell every task that ``checkpoint_id`` completed."""

    checkpoint_id: int
    tasks: tuple[TaskId, ...]


@dataclasses.dataclass(frozen=True)
class AbortCheckpoint:
    """Effect: tell the tasks that ``checkpoint_id`` was aborted (they stop aligning it)."""

    checkpoint_id: int
    reason: str
    tasks: tuple[TaskId, ...]


@dataclasses.dataclass(frozen=True)
class FailJobForCheckpoints:
    """Effect: too many consecutive checkpoint failures; the job must fail over."""

    cause: str


@dataclasses.dataclass
class CompletedCheckpoint:
    """A checkpoint whose ``_metadata`` was written."""

    checkpoint_id: int
    operators: dict[str, Any]
    path: str = ""


@dataclasses.dataclass
class _Pending:
    checkpoint_id: int
    started: float
    waiting: set[TaskId]
    acks: dict[TaskId, dict[str, Any]] = dataclasses.field(default_factory=dict)
    finalizing: bool = False
    operators: dict[str, Any] = dataclasses.field(default_factory=dict)
    savepoint: SavepointOptions | None = None
    #: tasks already finished when the checkpoint was triggered
    finished: frozenset[TaskId] = frozenset()
    #: tasks waiting for their final checkpoint when it was triggered (it is theirs)
    final_for: frozenset[TaskId] = frozenset()


class CheckpointCoordinator:
    """Checkpoints of one job.

    Args:
        config: the job's checkpointing options.
        tasks: every task ``(vertex id, subtask)`` of the job.
        sources: the source tasks (barriers are injected there).
        operators: per vertex id: ``[(operator key, parallelism, max parallelism)]``.
        now: current time (seconds).
        upstream: per task, the tasks feeding it (default: every non-source task is
            fed by every source).
        kinds: operator key -> operator kind, recorded with the state (restores check it).
    """

    def __init__(self, config: CheckpointConfigValues, tasks: list[TaskId],
                 sources: list[TaskId], operators: dict[str, list[tuple[str, int, int]]],
                 now: float, upstream: dict[TaskId, set[TaskId]] | None = None,
                 kinds: dict[str, str] | None = None) -> None:
        self.config = config
        self.tasks = tuple(tasks)
        self.sources = tuple(sources)
        self.operators = operators
        self.kinds = dict(kinds or {})
        source_set = frozenset(sources)
        self.upstream: dict[TaskId, frozenset[TaskId]] = {
            t: frozenset((upstream or {}).get(t, ()) if upstream is not None
                         else (() if t in source_set else source_set))
            for t in self.tasks}
        #: tasks FINISHED in the running attempt (cleared on failover)
        self.finished: set[TaskId] = set()
        #: tasks that reported the end of their data and still wait for their final
        #: checkpoint: one triggered after the report must complete (or the task finish)
        self.awaiting_final: set[TaskId] = set()
        self.next_id = 1
        self.pending: dict[int, _Pending] = {}
        self.completed: list[CompletedCheckpoint] = []
        self.num_completed = 0
        self.num_failed = 0
        self.consecutive_failures = 0
        self._last_trigger = now
        self._last_completion: float | None = None
        #: savepoint id -> (path, error) once it completed or failed
        self.savepoint_results: dict[int, tuple[str, str]] = {}
        #: manual checkpoints (``flink checkpoint``) in flight: id -> full (not CONFIGURED)
        self.manual: dict[int, bool] = {}
        #: manual checkpoint id -> (path, error) once it completed or failed
        self.manual_results: dict[int, tuple[str, str]] = {}
        #: id of the checkpoint the running attempt was restored from (None: fresh start)
        self.restored_from: int | None = None

    # -- queries -------------------------------------------------------------------
    @property
    def latest(self) -> CompletedCheckpoint | None:
        """The latest completed checkpoint (restarts restore from it)."""
        return self.completed[-1] if self.completed else None

    def restore_for(self, vertex_id: str, subtask: int) -> dict[str, Any] | None:
        """The ``restore`` part of a deployment descriptor, from the latest checkpoint."""
        latest = self.latest
        self.restored_from = latest.checkpoint_id if latest is not None else None
        if latest is None:
            return None
        own = self.operators.get(vertex_id, [])
        assignment = restore_assignment(latest.operators, own, subtask)
        return {"checkpoint_id": latest.checkpoint_id, "path": latest.path,
                "operators": assignment,
                "finished_on_restore": finished_on_restore(assignment, own)}

    def restore_from_snapshot(self, checkpoint: CompletedCheckpoint) -> None:
        """Start from a savepoint or retained checkpoint (``run -s``): restores use it
        until a newer checkpoint completes; new ids continue after its id."""
        self.completed = [checkpoint]
        self.next_id = max(self.next_id, checkpoint.checkpoint_id + 1)

    def on_restore_failed(self, checkpoint_id: int) -> CompletedCheckpoint | None:
        """Restoring ``checkpoint_id`` failed (a file is corrupt or missing): drop it, so
        the next restore falls back to the previous retained checkpoint (returned)."""
        self.completed = [c for c in self.completed if c.checkpoint_id != checkpoint_id]
        return self.latest

    def savepoint_pending(self) -> list[int]:
        """Ids of the savepoints in flight."""
        return [cid for cid, p in self.pending.items() if p.savepoint is not None]

    # -- events --------------------------------------------------------------------
    def tasks_to_trigger(self) -> tuple[TaskId, ...]:
        """Running tasks whose upstream tasks all finished (Flink's checkpoint plan)."""
        done = self.finished
        return tuple(t for t in self.tasks
                     if t not in done and all(u in done for u in self.upstream[t]))

    def on_end_of_data(self, task: TaskId) -> None:
        """``task`` processed all its input and waits for its final checkpoint: the next
        checkpoint is triggered as soon as it may be, not after the interval."""
        if self.config.final_checkpoint and task not in self.finished:
            self.awaiting_final.add(task)

    def final_checkpoint_due(self) -> bool:
        """A task waits for its final checkpoint and no pending checkpoint is one
        triggered after its end of data (none yet, or it was aborted)."""
        covered: set[TaskId] = set()
        for p in self.pending.values():
            if p.savepoint is None:
                covered |= p.final_for
        return bool(self.awaiting_final - covered)

    def on_tick(self, now: float, all_running: bool) -> list[Any]:
        """Expire slow checkpoints and trigger the next one when due.

        ``all_running``: every task is RUNNING or FINISHED (none is being deployed).
        """
        effects: list[Any] = []
        cfgv = self.config
        for cid, p in list(self.pending.items()):
            if not p.finalizing and (now - p.started) * 1000 > cfgv.timeout_ms:
                effects += self._abort(cid, f"Checkpoint {cid} expired before completing "
                                            f"(execution.checkpointing.timeout "
                                            f"{cfgv.timeout_ms} ms)", counted=True)
        if not cfgv.enabled or not all_running or len(self.pending) >= cfgv.max_concurrent:
            return effects
        if self.finished and not cfgv.after_tasks_finish:
            return effects  # Flink before FLIP-147: no checkpoints once a task finished
        if len(self.finished) >= len(self.tasks):
            return effects
        assert cfgv.interval_ms is not None
        if (now - self._last_trigger) * 1000 < cfgv.interval_ms \
                and not self.final_checkpoint_due():
            return effects
        if self._last_completion is not None and \
                (now - self._last_completion) * 1000 < cfgv.min_pause_ms:
            return effects
        if cfgv.min_pause_ms > 0 and self.pending:
            return effects  # a pause is measured from the previous completion
        return effects + self.trigger(now)

    def trigger(self, now: float, savepoint: SavepointOptions | None = None) -> list[Any]:
        """Start checkpoint ``next_id`` now (a savepoint when ``savepoint`` is given)."""
        cid = self.next_id
        self.next_id += 1
        if savepoint is None:
            self._last_trigger = now
        finished = frozenset(self.finished)
        waiting = {t for t in self.tasks if t not in finished}
        final_for = frozenset(self.awaiting_final) if savepoint is None else frozenset()
        self.pending[cid] = _Pending(cid, now, waiting, savepoint=savepoint, finished=finished,
                                     final_for=final_for)
        return [TriggerCheckpoint(cid, int(now * 1000), self.tasks_to_trigger(), savepoint)]

    def trigger_savepoint(self, now: float, options: SavepointOptions) -> tuple[int, list[Any]]:
        """Start a savepoint (not bound by interval, pause or max concurrent); its id."""
        effects = self.trigger(now, options)
        return effects[0].checkpoint_id, effects

    def trigger_manual(self, now: float, full: bool = False) -> tuple[int, list[Any]]:
        """Start a manual checkpoint (``flink checkpoint``) now; its id and the effects.

        It is a regular checkpoint -- same barriers, next id, retained, counted and
        expired like a periodic one -- also when periodic checkpointing is off; its
        outcome is kept in :attr:`manual_results`. ``full``: the runtime writes it
        without references to files of earlier checkpoints (read back from
        :attr:`manual` when finalizing). The caller checks the job's state and that
        fewer than ``max-concurrent-checkpoints`` are pending.
        """
        effects = self.trigger(now)
        cid = effects[0].checkpoint_id
        self.manual[cid] = full
        return cid, effects

    def on_ack(self, checkpoint_id: int, task: TaskId, state: dict[str, Any]) -> list[Any]:
        """A task acknowledged ``checkpoint_id`` with its operators' state handles."""
        p = self.pending.get(checkpoint_id)
        if p is None or task not in p.waiting:
            return []
        p.waiting.discard(task)
        p.acks[task] = state
        if p.waiting:
            return []
        p.finalizing = True
        operators: dict[str, Any] = {}
        shared: set[str] = set()
        for vertex_id, ops in self.operators.items():
            for key, parallelism, max_parallelism in ops:
                operators[key] = {"vertex": vertex_id, "parallelism": parallelism,
                                  "max_parallelism": max_parallelism, "subtasks": {}}
                if key in self.kinds:
                    operators[key]["kind"] = self.kinds[key]
        for (vertex_id, subtask), doc in sorted(p.acks.items()):
            for key, op_state in doc.items():
                entry = operators.setdefault(key, {"vertex": vertex_id, "subtasks": {}})
                entry["subtasks"][str(subtask)] = op_state
                keyed = op_state.get("keyed") or {}
                shared.update(keyed.get("shared", {}).values())
        for vertex_id, subtask in sorted(p.finished):  # FinishedOperatorSubtaskState
            for key, _, _ in self.operators.get(vertex_id, []):
                operators[key]["subtasks"][str(subtask)] = {"keyed": None, "state": None,
                                                             "finished": True}
        for entry in operators.values():
            subs = entry["subtasks"].values()
            if subs and len(subs) == entry.get("parallelism") and all(
                    s.get("finished") for s in subs):
                entry["fully_finished"] = True  # FullyFinishedOperatorState
        json.dumps(operators)  # the metadata must be JSON: fail here, not when writing
        p.operators = operators
        return [FinalizeCheckpoint(checkpoint_id, operators, tuple(sorted(shared)), p.savepoint)]

    def on_finalized(self, checkpoint_id: int, path: str, error: str, now: float) -> list[Any]:
        """The runtime wrote (or failed to write) the checkpoint's ``_metadata``."""
        p = self.pending.get(checkpoint_id)
        if p is None:
            return []
        if error:
            return self._abort(checkpoint_id, f"Checkpoint {checkpoint_id} could not be "
                                              f"written: {error}",
                               counted=p.savepoint is None)
        del self.pending[checkpoint_id]
        if p.savepoint is not None:
            # Savepoints are not used for failover and commit side effects only when the
            # job stops with them (Flink FLIP-193).
            self.savepoint_results[checkpoint_id] = (path, "")
            return [NotifyCheckpoint(checkpoint_id, self.tasks)] if p.savepoint.stop else []
        self.add_completed(CompletedCheckpoint(checkpoint_id, p.operators, path))
        if self.manual.pop(checkpoint_id, None) is not None:
            self.manual_results[checkpoint_id] = (path, "")
        self.awaiting_final -= p.final_for  # their final checkpoint completed
        self.num_completed += 1
        self.consecutive_failures = 0
        self._last_completion = now
        effects: list[Any] = []
        for older in [c for c in self.pending if c < checkpoint_id]:
            effects += self._abort(older, f"Checkpoint {older} was subsumed by "
                                          f"{checkpoint_id}", counted=False)
        return effects + [NotifyCheckpoint(checkpoint_id, self.tasks)]

    def add_completed(self, checkpoint: CompletedCheckpoint) -> None:
        """Record a completed checkpoint (kept: ``num-retained``)."""
        self.completed.append(checkpoint)
        del self.completed[:-self.config.num_retained]

    def on_decline(self, checkpoint_id: int, task: TaskId, reason: str) -> list[Any]:
        """A task could not take its part of ``checkpoint_id``."""
        p = self.pending.get(checkpoint_id)
        if p is None:
            return []
        return self._abort(checkpoint_id, f"Checkpoint {checkpoint_id} was declined by task "
                                          f"{task[0]} ({task[1] + 1}): {reason}",
                           counted=p.savepoint is None)

    def on_task_finished(self, task: TaskId) -> list[Any]:
        """A task finished: checkpoints still waiting for it cannot complete (not counted);
        later checkpoints record it as finished. Tasks still waiting for their final
        checkpoint get another one at once (:meth:`final_checkpoint_due`)."""
        self.finished.add(task)
        self.awaiting_final.discard(task)
        effects: list[Any] = []
        for cid, p in list(self.pending.items()):
            if task in p.waiting:
                effects += self._abort(cid, f"Checkpoint {cid}: task {task[0]} ({task[1] + 1}) "
                                            "finished before acknowledging", counted=False)
        return effects

    def on_failover(self, reason: str = "the job failed over") -> list[Any]:
        """The job restarts or ends: every pending checkpoint is abandoned (not counted)."""
        for cid, p in self.pending.items():
            if p.savepoint is not None:
                self.savepoint_results[cid] = ("", f"Savepoint {cid} was abandoned: {reason}")
            if self.manual.pop(cid, None) is not None:
                self.manual_results[cid] = ("", f"Checkpoint {cid} was abandoned: {reason}")
        self.pending.clear()
        self.finished.clear()  # every task is deployed again (finished ones as finished)
        self.awaiting_final.clear()
        return []

    def _abort(self, checkpoint_id: int, reason: str, counted: bool) -> list[Any]:
        p = self.pending.pop(checkpoint_id, None)
        if p is not None and p.savepoint is not None:
            self.savepoint_results[checkpoint_id] = ("", reason)
            counted = False
        if self.manual.pop(checkpoint_id, None) is not None:
            self.manual_results[checkpoint_id] = ("", reason)
        self.num_failed += 1
        effects: list[Any] = [AbortCheckpoint(checkpoint_id, reason, self.tasks)]
        if counted:
            self.consecutive_failures += 1
            if self.consecutive_failures > self.config.tolerable_failures:
                self.consecutive_failures = 0
                effects.append(FailJobForCheckpoints(
                    f"Exceeded checkpoint tolerable failure threshold "
                    f"({self.config.tolerable_failures}): {reason}"))
        return effects
