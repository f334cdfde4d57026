"""The checkpoint coordinator: a pure state machine owned by the job master (Flink §6).

It decides when to trigger checkpoint *n* (interval, min pause, max
concurrent, all tasks running), collects the tasks' acknowledgements (their
state handles, JSON), asks the runtime to write ``chk-<n>/_metadata``
(:class:`FinalizeCheckpoint`), then notifies every task
(:class:`NotifyCheckpoint`). Declines, expiry and failed finalization abort
the checkpoint (:class:`AbortCheckpoint`); more consecutive counted failures
than ``execution.checkpointing.tolerable-failed-checkpoints`` fail the job
(:class:`FailJobForCheckpoints`).

Tasks are identified by ``(vertex id, subtask index)``; the job master maps
them to TaskManagers. No I/O happens here.

The ``operators`` document of a completed checkpoint (and of ``_metadata``)::

    {operator key: {"vertex": vertex id, "parallelism": p, "max_parallelism": m,
                    "subtasks": {"<i>": {"keyed": handle JSON or None,
                                         "state": path or None}}}}

where the operator key is the operator's uid, else ``node-<stream node id>``.
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
    "TriggerCheckpoint",
    "operator_key",
]

TaskId = tuple[str, int]


def operator_key(uid: str | None, node_id: int) -> str:
    """The key of one operator's state in a checkpoint: its uid, else its node id."""
    return uid if uid else f"node-{node_id}"


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
            retention=str(config.get(cfg.CHECKPOINTING_EXTERNALIZED_RETENTION)))


# -- effects -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TriggerCheckpoint:
    """Effect: send barrier injection for ``checkpoint_id`` to these source tasks."""

    checkpoint_id: int
    timestamp_ms: int
    tasks: tuple[TaskId, ...]


@dataclasses.dataclass(frozen=True)
class FinalizeCheckpoint:
    """Effect: write ``chk-<n>/_metadata`` (then call :meth:`CheckpointCoordinator.on_finalized`)."""

    checkpoint_id: int
    operators: dict[str, Any]
    shared_files: tuple[str, ...]


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


class CheckpointCoordinator:
    """Checkpoints of one job.

    Args:
        config: the job's checkpointing options.
        tasks: every task ``(vertex id, subtask)`` of the job.
        sources: the source tasks (barriers are injected there).
        operators: per vertex id: ``[(operator key, parallelism, max parallelism)]``.
        now: current time (seconds).
    """

    def __init__(self, config: CheckpointConfigValues, tasks: list[TaskId],
                 sources: list[TaskId], operators: dict[str, list[tuple[str, int, int]]],
                 now: float) -> None:
        self.config = config
        self.tasks = tuple(tasks)
        self.sources = tuple(sources)
        self.operators = operators
        self.next_id = 1
        self.pending: dict[int, _Pending] = {}
        self.completed: list[CompletedCheckpoint] = []
        self.num_completed = 0
        self.num_failed = 0
        self.consecutive_failures = 0
        self._last_trigger = now
        self._last_completion: float | None = None

    # -- queries -------------------------------------------------------------------
    @property
    def latest(self) -> CompletedCheckpoint | None:
        """The latest completed checkpoint (restarts restore from it)."""
        return self.completed[-1] if self.completed else None

    def restore_for(self, vertex_id: str, subtask: int) -> dict[str, Any] | None:
        """The ``restore`` part of a deployment descriptor, from the latest checkpoint."""
        latest = self.latest
        if latest is None:
            return None
        ops: dict[str, Any] = {}
        for key, parallelism, _ in self.operators.get(vertex_id, []):
            entry = latest.operators.get(key)
            if entry is None:
                continue
            subtasks = entry.get("subtasks", {})
            keyed = [s["keyed"] for _, s in sorted(subtasks.items(), key=lambda kv: int(kv[0]))
                     if s.get("keyed")]
            own = subtasks.get(str(subtask), {}) if entry.get("parallelism") == parallelism else {}
            ops[key] = {"keyed": keyed, "state": own.get("state")}
        return {"checkpoint_id": latest.checkpoint_id, "operators": ops}

    # -- events --------------------------------------------------------------------
    def on_tick(self, now: float, all_running: bool) -> list[Any]:
        """Expire slow checkpoints and trigger the next one when due."""
        effects: list[Any] = []
        cfgv = self.config
        for cid, p in list(self.pending.items()):
            if not p.finalizing and (now - p.started) * 1000 > cfgv.timeout_ms:
                effects += self._abort(cid, f"Checkpoint {cid} expired before completing "
                                            f"(execution.checkpointing.timeout "
                                            f"{cfgv.timeout_ms} ms)", counted=True)
        if not cfgv.enabled or not all_running or len(self.pending) >= cfgv.max_concurrent:
            return effects
        assert cfgv.interval_ms is not None
        if (now - self._last_trigger) * 1000 < cfgv.interval_ms:
            return effects
        if self._last_completion is not None and \
                (now - self._last_completion) * 1000 < cfgv.min_pause_ms:
            return effects
        if cfgv.min_pause_ms > 0 and self.pending:
            return effects  # a pause is measured from the previous completion
        return effects + self.trigger(now)

    def trigger(self, now: float) -> list[Any]:
        """Start checkpoint ``next_id`` now."""
        cid = self.next_id
        self.next_id += 1
        self._last_trigger = now
        self.pending[cid] = _Pending(cid, now, set(self.tasks))
        return [TriggerCheckpoint(cid, int(now * 1000), self.sources)]

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
        for (vertex_id, subtask), doc in sorted(p.acks.items()):
            for key, op_state in doc.items():
                entry = operators.setdefault(key, {"vertex": vertex_id, "subtasks": {}})
                entry["subtasks"][str(subtask)] = op_state
                keyed = op_state.get("keyed") or {}
                shared.update(keyed.get("shared", {}).values())
        json.dumps(operators)  # the metadata must be JSON: fail here, not when writing
        p.operators = operators
        return [FinalizeCheckpoint(checkpoint_id, operators, tuple(sorted(shared)))]

    def on_finalized(self, checkpoint_id: int, path: str, error: str, now: float) -> list[Any]:
        """The runtime wrote (or failed to write) the checkpoint's ``_metadata``."""
        p = self.pending.get(checkpoint_id)
        if p is None:
            return []
        if error:
            return self._abort(checkpoint_id, f"Checkpoint {checkpoint_id} could not be "
                                              f"written: {error}", counted=True)
        del self.pending[checkpoint_id]
        self.add_completed(CompletedCheckpoint(checkpoint_id, p.operators, path))
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
        if checkpoint_id not in self.pending:
            return []
        return self._abort(checkpoint_id, f"Checkpoint {checkpoint_id} was declined by task "
                                          f"{task[0]} ({task[1] + 1}): {reason}", counted=True)

    def on_task_finished(self, task: TaskId) -> list[Any]:
        """A task finished: checkpoints still waiting for it cannot complete (not counted)."""
        effects: list[Any] = []
        for cid, p in list(self.pending.items()):
            if task in p.waiting:
                effects += self._abort(cid, f"Checkpoint {cid}: task {task[0]} ({task[1] + 1}) "
                                            "finished before acknowledging", counted=False)
        return effects

    def on_failover(self) -> list[Any]:
        """The job restarts: every pending checkpoint is abandoned (not counted)."""
        self.pending.clear()
        return []

    def _abort(self, checkpoint_id: int, reason: str, counted: bool) -> list[Any]:
        self.pending.pop(checkpoint_id, None)
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
