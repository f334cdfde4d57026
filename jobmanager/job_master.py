"""The job master: one per job, a pure state machine over the ExecutionGraph.

It expands the JobGraph into one execution per (vertex, subtask), turns the
slots it is given into deployment descriptors, and follows task state
reports to the job's end. Every handler returns *effects* -- what the
runtime must do (deploy, cancel, release) -- and performs no I/O, so the
whole life cycle is testable without sockets.

Job states follow Flink (§7.4): CREATED -> RUNNING -> FINISHED, or
FAILING -> FAILED, or CANCELLING -> CANCELED. With a restart strategy that
allows it, a failure leads to RESTARTING instead: every task is cancelled,
the strategy's delay passes, the job's slots are released and requested
again (the job waits for free slots, e.g. while a lost TaskManager's slots
are replaced), and every subtask is redeployed as a new attempt restored
from the latest completed checkpoint (``checkpoint_coordinator``).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Any

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.deployment import (
    InputChannelDescriptor,
    InputGateDescriptor,
    OutputDescriptor,
    TaskDeploymentDescriptor,
)
from flink_py.common.runtime.jobgraph import JobEdge, JobGraph
from flink_py.common.runtime.partitioners import rescale_sources, rescale_targets
from flink_py.jobmanager.checkpoint_coordinator import (
    AbortCheckpoint,
    CheckpointConfigValues,
    CheckpointCoordinator,
    CompletedCheckpoint,
    FailJobForCheckpoints,
    FinalizeCheckpoint,
    NotifyCheckpoint,
    SavepointOptions,
    TriggerCheckpoint,
    mismatched_kinds,
    operator_key,
    unmapped_state,
)
from flink_py.jobmanager.resource_manager import SlotRecord
from flink_py.jobmanager.restart_strategy import restart_strategy_from_config

__all__ = [
    "END_OF_DATA",
    "CancelTask",
    "CheckpointNotification",
    "DeployTask",
    "Execution",
    "JobMaster",
    "ReleaseJob",
    "ReleaseSlots",
    "TriggerTaskCheckpoint",
    "WriteCheckpoint",
]

TERMINAL_TASK = frozenset({"FINISHED", "CANCELED", "FAILED"})
#: reported by a RUNNING task that processed all its input (it waits for a final checkpoint)
END_OF_DATA = "END_OF_DATA"
TERMINAL_JOB = frozenset({"FINISHED", "CANCELED", "FAILED"})
_POINTWISE = frozenset({"FORWARD", "RESCALE"})


@dataclasses.dataclass(frozen=True)
class DeployTask:
    """Effect: send a deployment descriptor to a TaskManager slot."""

    tm_id: str
    slot_index: int
    tdd: TaskDeploymentDescriptor


@dataclasses.dataclass(frozen=True)
class CancelTask:
    """Effect: ask a TaskManager to cancel one execution."""

    tm_id: str
    job_id: str
    vertex_id: str
    subtask_index: int
    attempt: int


@dataclasses.dataclass(frozen=True)
class ReleaseJob:
    """Effect: the job reached a terminal state; free its slots everywhere."""

    job_id: str
    tm_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ReleaseSlots:
    """Effect: the job restarts; free its slots, then it asks for slots again."""

    job_id: str
    tm_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class TriggerTaskCheckpoint:
    """Effect: a source task injects barrier ``checkpoint_id``."""

    tm_id: str
    job_id: str
    vertex_id: str
    subtask_index: int
    attempt: int
    checkpoint_id: int
    timestamp_ms: int
    #: set for savepoints: whether the source stops (and drains) after the barrier
    savepoint: SavepointOptions | None = None


@dataclasses.dataclass(frozen=True)
class CheckpointNotification:
    """Effect: tell a TaskManager's tasks of the job that a checkpoint completed or aborted."""

    tm_id: str
    job_id: str
    checkpoint_id: int
    complete: bool


@dataclasses.dataclass(frozen=True)
class WriteCheckpoint:
    """Effect: write ``chk-<n>/_metadata``, then call :meth:`JobMaster.on_checkpoint_written`."""

    job_id: str
    checkpoint_id: int
    operators: dict[str, Any]
    shared_files: tuple[str, ...]
    #: set for savepoints (the runtime writes a self-contained copy there)
    savepoint: SavepointOptions | None = None


@dataclasses.dataclass
class Execution:
    """One subtask of one vertex."""

    vertex_id: str
    vertex_name: str
    subtask_index: int
    attempt: int = 0
    state: str = "CREATED"
    slot: SlotRecord | None = None
    #: Final metrics the task reported (Flink names, e.g. numRecordsIn).
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)


def pointwise_sources(edge_name: str, receiver: int, senders: int, receivers: int) -> list[int]:
    """Producer subtasks a pointwise receiver reads from."""
    if edge_name == "FORWARD":
        return [receiver]
    return rescale_sources(receiver, senders, receivers)


def pointwise_targets(edge_name: str, sender: int, senders: int, receivers: int) -> list[int]:
    """Consumer subtasks a pointwise sender writes to."""
    if edge_name == "FORWARD":
        return [sender]
    return rescale_targets(sender, senders, receivers)


class JobMaster:
    """The life cycle of one job."""

    def __init__(self, graph: JobGraph, now: float, config: FlinkConfig | None = None,
                 restore: CompletedCheckpoint | None = None) -> None:
        self.graph = graph
        self.job_id = graph.job_id
        self.state = "CREATED"
        self.start_time = now
        #: When the job last started waiting for slots (``slot.request.timeout``).
        self.slot_request_time = now
        base = config.to_dict() if config is not None else {}
        self.config = FlinkConfig.from_dict({**base, **graph.config}, warn_unknown=False)
        cp = CheckpointConfigValues.from_config(self.config)
        self.checkpoints: CheckpointCoordinator | None = None
        # Streaming jobs always get a coordinator: savepoints work without periodic checkpoints.
        if graph.runtime_mode != "BATCH":
            if cp.directory is None:
                cp = dataclasses.replace(cp, directory=os.path.join(
                    tempfile.gettempdir(), "flink-py-checkpoints"))
            graph.config["execution.checkpointing.dir"] = cp.directory
            ops = {v.id: [(operator_key(o.uid, o.node_id), v.parallelism, v.max_parallelism)
                          for o in v.operators] for v in graph.vertices}
            kinds = {operator_key(o.uid, o.node_id): o.kind for v in graph.vertices
                     for o in v.operators if getattr(o, "kind", None)}
            self.checkpoints = CheckpointCoordinator(
                cp, [(v.id, i) for v in graph.vertices for i in range(v.parallelism)],
                [(v.id, i) for v in graph.vertices if v.is_source for i in range(v.parallelism)],
                ops, now, upstream=self._upstream_tasks(), kinds=kinds)
        # What the tasks see: whether they wait for a final checkpoint at the end of their
        # data (FLIP-147; only with periodic checkpoints in STREAMING mode).
        graph.config[cfg.CHECKPOINTING_AFTER_TASKS_FINISH.key] = (
            "true" if self.checkpoints is not None and cp.final_checkpoint else "false")
        if restore is not None and self.checkpoints is not None:
            self.checkpoints.restore_from_snapshot(self._mapped_restore(restore))
        #: id of the savepoint the job stops with (stop-with-savepoint in flight)
        self.stopping_with: int | None = None
        self.restart_strategy = restart_strategy_from_config(self.config, cp.enabled)
        self.num_restarts = 0
        self.restart_at: float | None = None
        self._awaiting_slots = False
        self.end_time: float | None = None
        self.failure_cause = ""
        self.failure_traceback = ""
        self.executions: dict[tuple[str, int], Execution] = {}
        for v in graph.vertices:
            for i in range(v.parallelism):
                self.executions[(v.id, i)] = Execution(v.id, v.name, i)
        self.slots: list[SlotRecord] = []

    def _mapped_restore(self, restore: CompletedCheckpoint) -> CompletedCheckpoint:
        """The snapshot (``run -s``) checked against the job's operators (Flink's
        operator-ID mapping): state of no operator, or of another kind of operator,
        fails the submission unless ``allowNonRestoredState``; then it is left out.

        Raises:
            StateMappingError: (a ValueError) naming the snapshot and the operator.
        """
        assert self.checkpoints is not None
        allow = bool(self.config.get(cfg.STATE_RECOVERY_IGNORE_UNCLAIMED))
        path = restore.path or "(snapshot)"
        unmapped_state(restore.operators, self.checkpoints.operators, path, allow)
        names = {operator_key(o.uid, o.node_id): o.name for v in self.graph.vertices
                 for o in v.operators}
        skipped = mismatched_kinds(restore.operators, self.checkpoints.kinds, names, path,
                                   allow)
        if not skipped:
            return restore
        return dataclasses.replace(restore, operators={
            k: e for k, e in restore.operators.items() if k not in skipped})

    # -- queries -------------------------------------------------------------
    @property
    def is_terminal(self) -> bool:
        """Whether the job reached FINISHED, CANCELED or FAILED."""
        return self.state in TERMINAL_JOB

    @property
    def waiting_for_slots(self) -> bool:
        """The job is CREATED, or RESTARTING past its delay, and has no slots."""
        return self.state == "CREATED" or (self.state == "RESTARTING" and self._awaiting_slots)

    def slots_needed(self) -> int:
        """Slots the job needs (slot sharing: max parallelism per group)."""
        return self.graph.total_slots()

    # -- events --------------------------------------------------------------
    def on_slots(self, slots: list[SlotRecord], now: float) -> list[Any]:
        """Slots were allocated: deploy every subtask (restored from the latest checkpoint)."""
        if not self.waiting_for_slots:
            return []
        if self.state == "RESTARTING":
            self._awaiting_slots = False
            self.num_restarts += 1
            for ex in self.executions.values():
                ex.attempt += 1
                ex.metrics = {}
        self.slots = list(slots)
        by_group: dict[str, list[SlotRecord]] = {}
        rest = list(slots)
        for group, n in sorted(self.graph.slot_requirements().items()):
            by_group[group], rest = rest[:n], rest[n:]
        for ex in self.executions.values():
            v = self.graph.vertex(ex.vertex_id)
            ex.slot = by_group[v.slot_sharing_group][ex.subtask_index]
            ex.state = "DEPLOYING"
        self.state = "RUNNING"
        effects: list[Any] = []
        for v in self.graph.vertices:
            for i in range(v.parallelism):
                ex = self.executions[(v.id, i)]
                assert ex.slot is not None
                effects.append(DeployTask(ex.slot.tm_id, ex.slot.index, self._descriptor(v.id, i)))
        return effects

    def on_slot_timeout(self, needed: int, available: int, now: float) -> list[Any]:
        """``slot.request.timeout`` expired while waiting for slots."""
        if not self.waiting_for_slots:
            return []
        cause = (f"Could not acquire the minimum required resources: not enough slots: "
                 f"need {needed}, available {available} (NoResourceAvailableException)")
        if self.state == "RESTARTING":
            self._awaiting_slots = False
            delay = self.restart_strategy.on_failure(now)
            if delay is not None:
                self.failure_cause = cause
                self.restart_at = now + delay
                return []
        return self._terminate("FAILED", now, cause)

    def on_task_state(self, vertex_id: str, subtask: int, attempt: int, state: str,
                      error: str, tb: str, now: float,
                      metrics: dict[str, float] | None = None) -> list[Any]:
        """A TaskManager reported a task state change (final ones carry metrics).

        ``END_OF_DATA`` is no state: a RUNNING task processed all its input and waits
        for its final checkpoint, which is triggered right away.
        """
        ex = self.executions.get((vertex_id, subtask))
        if ex is None or ex.attempt != attempt or ex.state in TERMINAL_TASK:
            return []
        if state == END_OF_DATA:
            if self.checkpoints is None or self.state != "RUNNING":
                return []
            self.checkpoints.on_end_of_data((vertex_id, subtask))
            return self.on_tick(now)
        ex.state = state
        if metrics:
            ex.metrics = dict(metrics)
        if self.state == "RESTARTING":
            return self._maybe_restart(now)
        if state == "FAILED":
            cp = self.checkpoints
            if cp is not None and cp.restored_from is not None \
                    and "CheckpointCorruptError" in error:
                # The restore read a corrupt or missing file: fall back to the previous
                # retained checkpoint. Without one the job fails for good: starting
                # over from empty state would silently lose the state it should have.
                failed = cp.restored_from
                if cp.on_restore_failed(failed) is None:
                    return self._fail(f"Cannot restore checkpoint {failed} and no earlier "
                                      f"retained checkpoint is left to fall back to: {error}",
                                      tb, now, restartable=False)
            return self._fail(error or "task failed", tb, now)
        effects: list[Any] = []
        if state == "FINISHED" and self.checkpoints is not None:
            effects += self._checkpoint_effects(
                self.checkpoints.on_task_finished((vertex_id, subtask)), now)
        if state in TERMINAL_TASK:
            return effects + self._maybe_complete(now)
        return effects

    def on_taskmanager_lost(self, tm_id: str, reason: str, now: float,
                            slots: set[int] | None = None) -> list[Any]:
        """A TaskManager holding some of this job's slots is gone.

        With ``slots``, only those slots of the TaskManager are gone (a slot
        worker was replaced): tasks elsewhere are cancelled, not lost.
        """
        if self.is_terminal:
            return []
        lost = [ex for ex in self.executions.values()
                if ex.slot is not None and ex.slot.tm_id == tm_id
                and (slots is None or ex.slot.index in slots)]
        if not lost:
            return []
        for ex in lost:
            if ex.state not in TERMINAL_TASK:
                ex.state = "FAILED"
        return self._fail(reason, "", now)

    def on_cancel(self, now: float) -> list[Any]:
        """The user cancelled the job."""
        if self.is_terminal or self.state == "CANCELLING":
            return []
        if self.state == "CREATED" or (self.state == "RESTARTING" and all(
                ex.state in TERMINAL_TASK for ex in self.executions.values())):
            return self._terminate("CANCELED", now, "")
        self.state = "CANCELLING"
        return self._cancel_running() + self._maybe_complete(now)

    def on_tick(self, now: float) -> list[Any]:
        """Time passes: restart when due; trigger and expire checkpoints."""
        if self.state == "RESTARTING":
            return self._maybe_restart(now)
        if self.state != "RUNNING" or self.checkpoints is None:
            return []
        running = all(ex.state in ("RUNNING", "FINISHED") for ex in self.executions.values())
        return self._checkpoint_effects(self.checkpoints.on_tick(now, running), now)

    # -- savepoints ------------------------------------------------------------
    def trigger_savepoint(self, options: SavepointOptions, now: float) -> tuple[int, list[Any]]:
        """Start a savepoint (``stop``: the sources end after it); its id and the effects.

        Raises:
            ValueError: the job is not running (every task RUNNING), or already stopping.
        """
        if self.checkpoints is None:
            raise ValueError(f"Job {self.job_id} runs in BATCH mode: it takes no savepoints")
        if self.state != "RUNNING" or any(ex.state != "RUNNING"
                                          for ex in self.executions.values()):
            raise ValueError(f"Job {self.job_id} is not running (state {self.state}): "
                             "savepoints need every task RUNNING")
        if self.stopping_with is not None:
            raise ValueError(f"Job {self.job_id} is already stopping with savepoint "
                             f"{self.stopping_with}")
        cid, effects = self.checkpoints.trigger_savepoint(now, options)
        if options.stop:
            self.stopping_with = cid
        return cid, self._checkpoint_effects(effects, now)

    def savepoint_result(self, checkpoint_id: int) -> tuple[str, str] | None:
        """``(path, error)`` of a savepoint once it completed or failed, else None."""
        if self.checkpoints is None:
            return None
        result = self.checkpoints.savepoint_results.get(checkpoint_id)
        if result is None and self.is_terminal:
            return "", f"the job reached {self.state} before the savepoint completed"
        if result is not None and result[1] and self.stopping_with == checkpoint_id:
            self.stopping_with = None  # the job keeps running (the sources resume)
        return result

    # -- checkpoints -----------------------------------------------------------
    def on_checkpoint_ack(self, vertex_id: str, subtask: int, attempt: int, checkpoint_id: int,
                          state: dict[str, Any], now: float) -> list[Any]:
        """A task acknowledged a checkpoint with its state handles."""
        ex = self.executions.get((vertex_id, subtask))
        if self.checkpoints is None or ex is None or ex.attempt != attempt \
                or self.state != "RUNNING":
            return []
        return self._checkpoint_effects(
            self.checkpoints.on_ack(checkpoint_id, (vertex_id, subtask), state), now)

    def on_checkpoint_decline(self, vertex_id: str, subtask: int, attempt: int,
                              checkpoint_id: int, reason: str, now: float) -> list[Any]:
        """A task declined a checkpoint."""
        ex = self.executions.get((vertex_id, subtask))
        if self.checkpoints is None or ex is None or ex.attempt != attempt \
                or self.state != "RUNNING":
            return []
        return self._checkpoint_effects(
            self.checkpoints.on_decline(checkpoint_id, (vertex_id, subtask), reason), now)

    def on_checkpoint_written(self, checkpoint_id: int, path: str, error: str,
                              now: float) -> list[Any]:
        """The runtime wrote (or failed to write) a checkpoint's ``_metadata``."""
        if self.checkpoints is None:
            return []
        effects = self.checkpoints.on_finalized(checkpoint_id, path, error, now)
        if self.state != "RUNNING":
            effects = [e for e in effects if not isinstance(e, NotifyCheckpoint)]
        return self._checkpoint_effects(effects, now)

    def _checkpoint_effects(self, effects: list[Any], now: float) -> list[Any]:
        """Turn the coordinator's effects into RPC effects (TaskManager by task)."""
        out: list[Any] = []
        for eff in effects:
            if isinstance(eff, TriggerCheckpoint):
                for vertex_id, subtask in eff.tasks:
                    ex = self.executions[(vertex_id, subtask)]
                    if ex.slot is not None:
                        out.append(TriggerTaskCheckpoint(
                            ex.slot.tm_id, self.job_id, vertex_id, subtask, ex.attempt,
                            eff.checkpoint_id, eff.timestamp_ms, eff.savepoint))
            elif isinstance(eff, (NotifyCheckpoint, AbortCheckpoint)):
                tms = sorted({ex.slot.tm_id for ex in self.executions.values()
                              if ex.slot is not None and ex.state not in TERMINAL_TASK})
                complete = isinstance(eff, NotifyCheckpoint)
                out += [CheckpointNotification(tm, self.job_id, eff.checkpoint_id, complete)
                        for tm in tms]
            elif isinstance(eff, FinalizeCheckpoint):
                out.append(WriteCheckpoint(self.job_id, eff.checkpoint_id, eff.operators,
                                           eff.shared_files, eff.savepoint))
            elif isinstance(eff, FailJobForCheckpoints):
                out += self._fail(eff.cause, "", now)
        return out

    # -- internals -----------------------------------------------------------
    def _fail(self, cause: str, tb: str, now: float, restartable: bool = True) -> list[Any]:
        if self.state in ("FAILING", "CANCELLING") or self.is_terminal:
            return self._maybe_complete(now)
        if self.state == "RESTARTING" and restartable:
            return self._maybe_restart(now)  # merged into the pending restart
        self.failure_cause = cause
        self.failure_traceback = tb
        delay = None if not restartable or self.state == "CREATED" \
            or self.graph.runtime_mode == "BATCH" else self.restart_strategy.on_failure(now)
        if delay is None:
            self.state = "FAILING"
            return self._cancel_running() + self._maybe_complete(now)
        self.state = "RESTARTING"
        self.restart_at = now + delay
        self.stopping_with = None
        if self.checkpoints is not None:
            self.checkpoints.on_failover(cause)
        return self._cancel_running() + self._maybe_restart(now)

    def _maybe_restart(self, now: float) -> list[Any]:
        """RESTARTING: once every task stopped and the delay passed, ask for slots again."""
        if self.state != "RESTARTING" or self._awaiting_slots:
            return []
        if any(ex.state not in TERMINAL_TASK for ex in self.executions.values()):
            return []
        if self.restart_at is not None and now < self.restart_at:
            return []
        self._awaiting_slots = True
        self.slot_request_time = now
        tms = tuple(sorted({s.tm_id for s in self.slots}))
        self.slots = []
        for ex in self.executions.values():
            ex.slot = None
        return [ReleaseSlots(self.job_id, tms)]

    def _cancel_running(self) -> list[Any]:
        effects: list[Any] = []
        for ex in self.executions.values():
            if ex.state not in TERMINAL_TASK and ex.slot is not None:
                ex.state = "CANCELING"
                effects.append(CancelTask(ex.slot.tm_id, self.job_id, ex.vertex_id,
                                          ex.subtask_index, ex.attempt))
        return effects

    def _maybe_complete(self, now: float) -> list[Any]:
        if any(ex.state not in TERMINAL_TASK for ex in self.executions.values()):
            return []
        if self.state == "FAILING":
            return self._terminate("FAILED", now, self.failure_cause)
        if self.state == "CANCELLING":
            return self._terminate("CANCELED", now, "")
        if all(ex.state == "FINISHED" for ex in self.executions.values()):
            return self._terminate("FINISHED", now, "")
        return self._terminate("FAILED", now, self.failure_cause or "a task was canceled")

    def _terminate(self, state: str, now: float, cause: str) -> list[Any]:
        self.state = state
        self.end_time = now
        if self.checkpoints is not None:
            self.checkpoints.on_failover(f"the job reached {state}")
        if cause:
            self.failure_cause = cause
        tms = tuple(sorted({s.tm_id for s in self.slots}))
        return [ReleaseJob(self.job_id, tms)]

    def _upstream_tasks(self) -> dict[tuple[str, int], set[tuple[str, int]]]:
        """Per task, the producer tasks of its input channels."""
        g = self.graph
        out: dict[tuple[str, int], set[tuple[str, int]]] = {}
        for v in g.vertices:
            for i in range(v.parallelism):
                ups = out.setdefault((v.id, i), set())
                for e in v.inputs:
                    senders = g.vertex(e.source_vertex).parallelism
                    if e.partitioner_name in _POINTWISE:
                        producers = pointwise_sources(e.partitioner_name, i, senders,
                                                      v.parallelism)
                    else:
                        producers = list(range(senders))
                    ups.update((e.source_vertex, s) for s in producers)
        return out

    def _address(self, vertex_id: str, subtask: int) -> str:
        slot = self.executions[(vertex_id, subtask)].slot
        assert slot is not None
        return slot.data_address

    def _descriptor(self, vertex_id: str, subtask: int) -> TaskDeploymentDescriptor:
        g = self.graph
        v = g.vertex(vertex_id)
        attempt = self.executions[(vertex_id, subtask)].attempt
        inputs = []
        for e in v.inputs:
            up = g.vertex(e.source_vertex)
            inputs.append(InputGateDescriptor(e.id, e.target_input, e.type_info,
                                              self._input_channels(e, up.parallelism,
                                                                   v.parallelism, subtask)))
        outputs = []
        for e in v.outputs:
            down = g.vertex(e.target_vertex)
            if e.partitioner_name in _POINTWISE:
                targets = pointwise_targets(e.partitioner_name, subtask, v.parallelism,
                                            down.parallelism)
            else:
                targets = list(range(down.parallelism))
            outputs.append(OutputDescriptor(
                edge_id=e.id, source_operator=e.source_operator, side_output=e.side_output,
                partitioner=e.partitioner, type_info=e.type_info,
                consumer_addresses=[self._address(down.id, t) for t in targets],
                consumer_subtasks=targets))
        return TaskDeploymentDescriptor(
            job_id=g.job_id, job_name=g.name, vertex_id=v.id, vertex_name=v.name,
            operators=v.operators, subtask_index=subtask, parallelism=v.parallelism,
            max_parallelism=v.max_parallelism, attempt=attempt, is_source=v.is_source,
            inputs=inputs, outputs=outputs, config=dict(g.config), runtime_mode=g.runtime_mode,
            restore=(self.checkpoints.restore_for(v.id, subtask)
                     if self.checkpoints is not None else None))

    def _input_channels(self, e: JobEdge, senders: int, receivers: int,
                        subtask: int) -> list[InputChannelDescriptor]:
        channels = []
        if e.partitioner_name in _POINTWISE:
            for s in pointwise_sources(e.partitioner_name, subtask, senders, receivers):
                targets = pointwise_targets(e.partitioner_name, s, senders, receivers)
                attempt = self.executions[(e.source_vertex, s)].attempt
                channels.append(InputChannelDescriptor(
                    (self.job_id, e.id, s, attempt), targets.index(subtask),
                    self._address(e.source_vertex, s)))
        else:
            for s in range(senders):
                attempt = self.executions[(e.source_vertex, s)].attempt
                channels.append(InputChannelDescriptor(
                    (self.job_id, e.id, s, attempt), subtask, self._address(e.source_vertex, s)))
        return channels
