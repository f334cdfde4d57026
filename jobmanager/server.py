"""The JobManager process: dispatcher, resource manager and job masters.

:class:`JobManager` owns the pure cores (:class:`ResourceManager`, one
:class:`JobMaster` per job) behind one lock, serves them over gRPC, runs a
ticker for heartbeat and slot-request timeouts, and carries out the effects
the cores return (deploy / cancel / release RPCs to TaskManagers, run on a
small thread pool so no RPC is made while holding the lock).
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
import sys
import threading
import time
from concurrent import futures
from typing import Any

import cloudpickle
import grpc
import pyarrow.fs as pafs

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.checkpoint_storage import (
    METADATA_FILE,
    CheckpointCorruptError,
    CheckpointStorage,
    SharedStateRegistry,
    dispose_savepoint,
    re_safe,
    read_snapshot,
    write_savepoint,
)
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.jobgraph import JobGraph, new_id
from flink_py.common.runtime.rpc import channel_options, server_options
from flink_py.jobmanager.checkpoint_coordinator import (
    CheckpointCoordinator,
    CompletedCheckpoint,
    SavepointOptions,
    StateMappingError,
    operator_key,
    unmapped_state,
)
from flink_py.jobmanager.collect_results import CollectResults, Guarantee
from flink_py.jobmanager.job_master import (
    CancelTask,
    CheckpointNotification,
    DeployTask,
    JobMaster,
    ReleaseJob,
    ReleaseSlots,
    TriggerTaskCheckpoint,
    WriteCheckpoint,
)
from flink_py.jobmanager.resource_manager import ResourceManager
from flink_py.proto.flinkpy.v1 import common_pb2, jobmanager_pb2, jobmanager_pb2_grpc
from flink_py.proto.flinkpy.v1 import taskmanager_pb2, taskmanager_pb2_grpc

__all__ = ["JobManager"]

log = logging.getLogger("flink_py.jobmanager")

_COLLECT_BUFFER = 64  # batches buffered per collect sink before back-pressure


def python_version() -> str:
    """``major.minor`` of this interpreter."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


class CollectError(RuntimeError):
    """The results of a collect sink cannot be delivered any more (the client raises it)."""


class JobManager:
    """A JobManager serving gRPC on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, config: FlinkConfig, host: str | None = None, port: int | None = None) -> None:
        self.config = config
        self.host = host or config.get("jobmanager.bind-host")
        self.requested_port = config.get("jobmanager.rpc.port") if port is None else port
        self.heartbeat_interval_ms = int(config.get("heartbeat.interval"))
        self.heartbeat_timeout_ms = int(config.get("heartbeat.timeout"))
        self.slot_timeout_ms = int(config.get("slot.request.timeout"))
        self.rm = ResourceManager()
        self.jobs: dict[str, JobMaster] = {}
        self.collect: dict[tuple[str, str], CollectResults] = {}
        #: job id -> (storage, shared-state registry) of its checkpoints
        self._checkpoint_stores: dict[str, tuple[CheckpointStorage, SharedStateRegistry]] = {}
        self._cond = threading.Condition()
        self._pool = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="jm-rpc")
        self._tm_stubs: dict[str, Any] = {}
        self._stopped = threading.Event()
        self._server: grpc.Server | None = None
        self._ticker = threading.Thread(target=self._tick_loop, name="jm-ticker", daemon=True)
        self.port = 0

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> JobManager:
        """Start serving; ``self.port`` is the bound port afterwards."""
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=32,
                                                        thread_name_prefix="jm-grpc"),
                             options=server_options())
        jobmanager_pb2_grpc.add_JobManagerServiceServicer_to_server(_Servicer(self), server)
        self.port = server.add_insecure_port(f"{self.host}:{self.requested_port}")
        if self.port == 0:
            msg = f"Could not bind the JobManager to {self.host}:{self.requested_port}"
            raise OSError(msg)
        server.start()
        self._server = server
        self._ticker.start()
        log.info("JobManager listening on %s:%d", self.host, self.port)
        return self

    @property
    def address(self) -> str:
        """``host:port`` clients and TaskManagers use."""
        return f"{self.host}:{self.port}"

    def stop(self, grace: float = 1.0) -> None:
        """Cancel running jobs, stop serving and release resources."""
        with self._cond:
            effects = []
            for jm in self.jobs.values():
                effects += jm.on_cancel(time.time())
        self._run_effects(effects)
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.stop(grace).wait(grace + 1)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- TaskManagers ----------------------------------------------------------
    def register_taskmanager(self, tm_id: str, rpc_address: str, slots: list[tuple[int, str]]) -> None:
        """A TaskManager offers its slots."""
        now = time.time()
        with self._cond:
            affected = self.rm.register(tm_id, rpc_address, slots, now)
            effects: list[Any] = []
            for job_id, indices in affected.items():
                jm = self.jobs.get(job_id)
                if jm is not None:
                    names = ", ".join(str(i) for i in sorted(indices))
                    effects += jm.on_taskmanager_lost(
                        tm_id, f"TaskManager {tm_id} lost slot {names}: its slot worker "
                        f"process was replaced", now, indices)
            effects += self._schedule_waiting(now)
            self._cond.notify_all()
        log.info("TaskManager %s registered from %s with %d slot(s)", tm_id, rpc_address, len(slots))
        self._run_effects(effects)

    def heartbeat(self, tm_id: str) -> bool:
        """Record a TaskManager heartbeat; False if it is unknown."""
        with self._cond:
            return self.rm.heartbeat(tm_id, time.time())

    # -- jobs ----------------------------------------------------------------
    def submit(self, graph_bytes: bytes, client_python: str, client_cloudpickle: str) -> str:
        """Accept a job; returns its id. Raises ValueError for a bad submission."""
        if client_python != python_version():
            msg = (f"Python version mismatch: the client runs Python {client_python}, "
                   f"the cluster runs Python {python_version()}; use the same version on both")
            raise ValueError(msg)
        if client_cloudpickle != cloudpickle.__version__:
            msg = (f"cloudpickle version mismatch: the client has {client_cloudpickle}, "
                   f"the cluster has {cloudpickle.__version__}; install the same version")
            raise ValueError(msg)
        try:
            graph = pickle.loads(graph_bytes)
        except Exception as exc:
            msg = f"Cannot read the submitted job graph: {type(exc).__name__}: {exc}"
            raise ValueError(msg) from exc
        if not isinstance(graph, JobGraph):
            raise ValueError("the submission is not a JobGraph")
        restore = self._initial_restore(graph)
        now = time.time()
        with self._cond:
            if not graph.job_id or graph.job_id in self.jobs:
                graph.job_id = new_id()
            jm = JobMaster(graph, now, self.config, restore)
            self.jobs[graph.job_id] = jm
            cp = jm.checkpoints
            guarantee = Guarantee.of(cp is not None and cp.config.enabled,
                                     cp.config.mode if cp is not None else "",
                                     graph.runtime_mode != "BATCH")
            for cid, producers in graph.collect_ids.items():
                self.collect[(graph.job_id, cid)] = CollectResults(producers, guarantee)
            effects = self._schedule_waiting(now)
            self._cond.notify_all()
        log.info("Job %s (%s) submitted: needs %d slot(s)", graph.job_id, graph.name,
                 jm.slots_needed())
        self._run_effects(effects)
        return graph.job_id

    def _initial_restore(self, graph: JobGraph) -> CompletedCheckpoint | None:
        """The savepoint/checkpoint of ``execution.savepoint.path`` (``run -s``), checked
        against the job's operators. Raises ValueError naming the path and operator."""
        config = FlinkConfig.from_dict({**self.config.to_dict(), **graph.config},
                                       warn_unknown=False)
        path = config.get(cfg.STATE_RECOVERY_PATH)
        if not path:
            return None
        if graph.runtime_mode == "BATCH":
            raise ValueError(f"Cannot restore {path}: BATCH jobs do not restore state")
        try:
            doc = read_snapshot(str(path))
        except (CheckpointCorruptError, ValueError) as exc:
            raise ValueError(f"Cannot restore the savepoint/checkpoint {path}: {exc}") from None
        ops = {v.id: [(operator_key(o.uid, o.node_id), v.parallelism, v.max_parallelism)
                      for o in v.operators] for v in graph.vertices}
        try:
            skipped = unmapped_state(doc.get("operators", {}), ops, str(path),
                                     bool(config.get(cfg.STATE_RECOVERY_IGNORE_UNCLAIMED)))
        except StateMappingError as exc:
            raise ValueError(str(exc)) from None
        if skipped:
            log.info("Restoring %s skips the state of operators %s (allowNonRestoredState)",
                     path, ", ".join(skipped))
        log.info("Job %s restores from %s (checkpoint %s)", graph.name, path,
                 doc.get("checkpoint_id"))
        return CompletedCheckpoint(int(doc.get("checkpoint_id", 0)), doc.get("operators", {}),
                                   str(path))

    # -- savepoints ------------------------------------------------------------
    def trigger_savepoint(self, job_id: str, target_directory: str, stop: bool, drain: bool,
                          timeout_s: float | None = None) -> str:
        """Take a savepoint (and stop the job after it); returns its path.

        Raises:
            KeyError: unknown job.
            ValueError: no target directory, the job is not running, or the savepoint failed.
        """
        with self._cond:
            jm = self.jobs[job_id]
            target = target_directory or jm.config.get(cfg.SAVEPOINT_DIR)
            if not target:
                raise ValueError("No savepoint directory: give one (flink-py savepoint JOBID "
                                 "DIR) or set execution.checkpointing.savepoint-dir")
            cid, effects = jm.trigger_savepoint(SavepointOptions(str(target), stop, drain),
                                                time.time())
            self._cond.notify_all()
        log.info("Triggering %s %d for job %s to %s", "stop-with-savepoint" if stop
                 else "savepoint", cid, job_id, target)
        self._run_effects(effects)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while True:
                result = jm.savepoint_result(cid)
                if result is not None:
                    break
                if self._stopped.is_set():
                    raise ValueError("the JobManager is shutting down")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise ValueError(f"Savepoint {cid} of job {job_id} did not complete in time")
                self._cond.wait(0.5 if remaining is None else min(0.5, remaining))
        path, error = result
        if error:
            raise ValueError(f"Savepoint {cid} of job {job_id} failed: {error}")
        return path

    # -- manual checkpoints ------------------------------------------------------------
    def trigger_checkpoint(self, job_id: str, full: bool = False,
                           timeout_s: float | None = None) -> tuple[int, str]:
        """Take a manual checkpoint (``flink-py checkpoint``); its id and ``chk-<n>`` directory.

        A regular checkpoint: the next checkpoint id, the same barriers, retained
        (``num-retained``), counted and expired like a periodic one. It works with
        periodic checkpointing off too, as in Flink, if ``execution.checkpointing.dir``
        is set. While ``max-concurrent-checkpoints`` checkpoints are in flight it waits,
        as a periodic one would. ``full``: the checkpoint references no file of an earlier
        one (:func:`_self_contained`); the task snapshots are the configured ones.

        Raises:
            KeyError: unknown job.
            ValueError: BATCH job, no checkpoint directory, the job is not running, or the
                checkpoint failed (declined, expired, abandoned) or did not complete in time.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            jm = self.jobs[job_id]
            while True:
                cp = _manual_checkpoint_coordinator(jm)
                if len(cp.pending) < cp.config.max_concurrent:
                    break
                self._wait(deadline, f"Checkpoint of job {job_id} could not be triggered in "
                                     f"time: {len(cp.pending)} checkpoint(s) in flight "
                                     f"(execution.checkpointing.max-concurrent-checkpoints "
                                     f"{cp.config.max_concurrent})")
            now = time.time()
            cid, effects = cp.trigger_manual(now, full)
            effects = jm._checkpoint_effects(effects, now)  # noqa: SLF001
            self._cond.notify_all()
        log.info("Triggering %s checkpoint %d for job %s", "full" if full else "manual", cid,
                 job_id)
        self._run_effects(effects)
        with self._cond:
            while True:
                result = cp.manual_results.pop(cid, None)
                if result is not None:
                    break
                if jm.is_terminal:
                    result = ("", f"the job reached {jm.state} before the checkpoint completed")
                    break
                self._wait(deadline, f"Checkpoint {cid} of job {job_id} did not complete in "
                                     "time")
        path, error = result
        if error:
            raise ValueError(f"Checkpoint {cid} of job {job_id} failed: {error}")
        return cid, path.removesuffix("/" + METADATA_FILE)

    def _wait(self, deadline: float | None, timeout_message: str) -> None:
        """Wait for a state change (caller holds the lock); ValueError at the deadline or
        when the JobManager stops."""
        if self._stopped.is_set():
            raise ValueError("the JobManager is shutting down")
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise ValueError(timeout_message)
        self._cond.wait(0.5 if remaining is None else min(0.5, remaining))

    def cancel(self, job_id: str) -> None:
        """Cancel a job. Raises KeyError if unknown."""
        with self._cond:
            jm = self.jobs[job_id]
            effects = jm.on_cancel(time.time())
            self._cond.notify_all()
        self._run_effects(effects)

    def task_state(self, job_id: str, vertex_id: str, subtask: int, attempt: int, state: str,
                   error: str, tb: str, metrics: dict[str, float] | None = None) -> None:
        """A task reported a state change."""
        with self._cond:
            jm = self.jobs.get(job_id)
            if jm is None:
                return
            effects = jm.on_task_state(vertex_id, subtask, attempt, state, error, tb, time.time(),
                                       metrics)
            self._cond.notify_all()
        self._run_effects(effects)

    def checkpoint_ack(self, job_id: str, vertex_id: str, subtask: int, attempt: int,
                       checkpoint_id: int, state_json: str) -> None:
        """A task acknowledged a checkpoint."""
        try:
            state = json.loads(state_json) if state_json else {}
        except ValueError:
            state = None
        with self._cond:
            jm = self.jobs.get(job_id)
            if jm is None:
                return
            if state is None:
                effects = jm.on_checkpoint_decline(vertex_id, subtask, attempt, checkpoint_id,
                                                   "unreadable acknowledgement", time.time())
            else:
                effects = jm.on_checkpoint_ack(vertex_id, subtask, attempt, checkpoint_id,
                                               state, time.time())
            self._cond.notify_all()
        self._run_effects(effects)

    def checkpoint_decline(self, job_id: str, vertex_id: str, subtask: int, attempt: int,
                           checkpoint_id: int, reason: str) -> None:
        """A task declined a checkpoint."""
        with self._cond:
            jm = self.jobs.get(job_id)
            if jm is None:
                return
            effects = jm.on_checkpoint_decline(vertex_id, subtask, attempt, checkpoint_id,
                                               reason, time.time())
            self._cond.notify_all()
        self._run_effects(effects)

    def _checkpoint_store(self, jm: JobMaster) -> tuple[CheckpointStorage, SharedStateRegistry]:
        store = self._checkpoint_stores.get(jm.job_id)
        if store is None:
            assert jm.checkpoints is not None
            storage = CheckpointStorage(jm.checkpoints.config.directory or "", jm.job_id)
            store = self._checkpoint_stores[jm.job_id] = (storage, SharedStateRegistry(storage))
        return store

    def _write_checkpoint(self, eff: WriteCheckpoint) -> None:
        """Write ``_metadata`` (I/O, on the RPC pool), then complete the checkpoint."""
        with self._cond:
            jm = self.jobs.get(eff.job_id)
        if jm is None or jm.checkpoints is None:
            return
        path, error = "", ""
        try:
            storage, registry = self._checkpoint_store(jm)
            if eff.savepoint is not None:
                path = write_savepoint(storage, eff.savepoint.target_directory,
                                       eff.checkpoint_id, eff.operators)
                _discard_unretained(storage, registry, eff)  # the copy is the savepoint
            else:
                with self._cond:
                    full = bool(jm.checkpoints.manual.get(eff.checkpoint_id))
                operators, listed = eff.operators, eff.shared_files
                if full and eff.shared_files:
                    operators, listed = _self_contained(storage, eff.checkpoint_id,
                                                        eff.operators), ()
                path = storage.write_metadata(eff.checkpoint_id, operators, listed)
        except Exception as exc:  # noqa: BLE001 - a failed write fails the checkpoint
            error = f"{type(exc).__name__}: {exc}"
            log.warning("checkpoint %d of job %s could not be written: %s",
                        eff.checkpoint_id, eff.job_id, error)
        with self._cond:
            effects = jm.on_checkpoint_written(eff.checkpoint_id, path, error, time.time())
            latest = jm.checkpoints.latest if jm.checkpoints is not None else None
            accepted = latest is not None and latest.checkpoint_id == eff.checkpoint_id
            if accepted and eff.savepoint is None:
                for results in self._collect_results(eff.job_id):
                    results.checkpoint_completed(eff.checkpoint_id)
            self._cond.notify_all()
        if not error and eff.savepoint is None:
            # Only a checkpoint the coordinator took subsumes older ones: one abandoned by a
            # failover meanwhile must not delete the checkpoint the restart restores from.
            try:
                if accepted:
                    # A full checkpoint's shared files stay registered to it all the same:
                    # the tasks' next incremental snapshots build on them.
                    registry.retain(eff.checkpoint_id, eff.shared_files,
                                    jm.checkpoints.config.num_retained)
                else:
                    _discard_unretained(storage, registry, eff)
            except OSError as exc:
                log.warning("cleaning up after checkpoint %d of job %s failed: %s",
                            eff.checkpoint_id, eff.job_id, exc)
        if not error:
            log.info("Completed %s %d for job %s: %s", "savepoint" if eff.savepoint
                     else "checkpoint", eff.checkpoint_id, eff.job_id, path)
        self._run_effects(effects)

    def _discard_checkpoints(self, jm: JobMaster) -> None:
        """After the job ended: delete its checkpoints unless retention keeps them."""
        cp = jm.checkpoints
        if cp is None:
            return
        keep = cp.config.retained_after(jm.state)
        store = self._checkpoint_stores.pop(jm.job_id, None)
        if keep or store is None:
            return
        storage, _ = store
        try:
            storage.fs.delete_dir(storage.job_path)
        except (FileNotFoundError, OSError) as exc:
            log.debug("could not delete checkpoints of %s: %s", jm.job_id, exc)

    def _schedule_waiting(self, now: float) -> list[Any]:
        """Give slots to waiting jobs, oldest first (caller holds the lock)."""
        effects: list[Any] = []
        for jm in sorted(self.jobs.values(), key=lambda j: j.start_time):
            if jm.waiting_for_slots:
                slots = self.rm.allocate(jm.job_id, jm.slots_needed())
                if slots is None:
                    continue
                restarting = jm.state == "RESTARTING"
                effects += jm.on_slots(slots, now)
                if restarting:
                    self._collect_restarted(jm)
        return effects

    def _collect_restarted(self, jm: JobMaster) -> None:
        """The job was redeployed (caller holds the lock): tell its collect sinks."""
        attempt = max((ex.attempt for ex in jm.executions.values()), default=0)
        latest = jm.checkpoints.latest if jm.checkpoints is not None else None
        restored = latest.checkpoint_id if latest is not None else 0
        for results in self._collect_results(jm.job_id):
            results.restart(attempt, restored)

    def _collect_results(self, job_id: str) -> list[CollectResults]:
        """The collect sinks' results of ``job_id`` (caller holds the lock)."""
        return [results for (owner, _), results in self.collect.items() if owner == job_id]

    # -- effects -------------------------------------------------------------
    def _run_effects(self, effects: list[Any]) -> None:
        for eff in effects:
            if isinstance(eff, ReleaseJob):
                with self._cond:
                    self.rm.release(eff.job_id)
                    more = self._schedule_waiting(time.time())
                    jm = self.jobs.get(eff.job_id)
                    self._cond.notify_all()
                if jm is not None:
                    # a job that recovered and FINISHED keeps its last failure only in
                    # its details (exception history), not in this line
                    log.info("Job %s reached %s%s", eff.job_id, jm.state,
                             f": {jm.failure_cause}" if jm.failure_cause
                             and jm.state != "FINISHED" else "")
                    try:
                        self._pool.submit(self._discard_checkpoints, jm)
                    except RuntimeError:
                        pass  # shutting down
                for tm_id in eff.tm_ids:
                    self._submit_rpc(tm_id, "ReleaseJob", common_pb2.JobId(job_id=eff.job_id))
                self._run_effects(more)
            elif isinstance(eff, ReleaseSlots):
                with self._cond:
                    self.rm.release(eff.job_id)
                    jm = self.jobs.get(eff.job_id)
                    restart = None if jm is None else jm.num_restarts + 1  # before redeploying
                    more = self._schedule_waiting(time.time())
                    self._cond.notify_all()
                if jm is not None:
                    log.info("Job %s restarts (restart %d): %s", eff.job_id, restart,
                             jm.failure_cause)
                self._run_effects(more)
            elif isinstance(eff, TriggerTaskCheckpoint):
                req = taskmanager_pb2.CheckpointMessage(
                    execution=common_pb2.ExecutionId(job_id=eff.job_id, vertex_id=eff.vertex_id,
                                                     subtask_index=eff.subtask_index,
                                                     attempt=eff.attempt),
                    checkpoint_id=eff.checkpoint_id, timestamp_ms=eff.timestamp_ms,
                    stop=bool(eff.savepoint and eff.savepoint.stop),
                    drain=bool(eff.savepoint and eff.savepoint.drain))
                self._submit_rpc(eff.tm_id, "TriggerCheckpoint", req)
            elif isinstance(eff, CheckpointNotification):
                req = taskmanager_pb2.CheckpointMessage(
                    execution=common_pb2.ExecutionId(job_id=eff.job_id),
                    checkpoint_id=eff.checkpoint_id)
                method = "NotifyCheckpointComplete" if eff.complete else "NotifyCheckpointAborted"
                self._submit_rpc(eff.tm_id, method, req)
            elif isinstance(eff, WriteCheckpoint):
                try:
                    self._pool.submit(self._write_checkpoint, eff)
                except RuntimeError:
                    pass  # shutting down
            elif isinstance(eff, DeployTask):
                tdd = eff.tdd
                req = taskmanager_pb2.DeployTaskRequest(
                    execution=common_pb2.ExecutionId(job_id=tdd.job_id, vertex_id=tdd.vertex_id,
                                                     subtask_index=tdd.subtask_index,
                                                     attempt=tdd.attempt),
                    slot_index=eff.slot_index,
                    descriptor=pickle.dumps(tdd, protocol=5))
                self._submit_rpc(eff.tm_id, "DeployTask", req, on_error=(tdd, "DEPLOYING"))
            elif isinstance(eff, CancelTask):
                req = common_pb2.ExecutionId(job_id=eff.job_id, vertex_id=eff.vertex_id,
                                             subtask_index=eff.subtask_index, attempt=eff.attempt)
                self._submit_rpc(eff.tm_id, "CancelTask", req)

    def _stub(self, tm_id: str) -> Any:
        with self._cond:
            address = self.rm.rpc_address(tm_id)
        if address is None:
            return None
        stub = self._tm_stubs.get(address)
        if stub is None:
            channel = grpc.insecure_channel(address, options=channel_options())
            stub = taskmanager_pb2_grpc.TaskManagerServiceStub(channel)
            self._tm_stubs[address] = stub
        return stub

    def _submit_rpc(self, tm_id: str, method: str, request: Any,
                    on_error: tuple[Any, str] | None = None) -> None:
        def call() -> None:
            stub = self._stub(tm_id)
            try:
                if stub is None:
                    raise ConnectionError(f"TaskManager {tm_id} is not registered")
                getattr(stub, method)(request, timeout=30)
            except Exception as exc:  # noqa: BLE001 - reported as a task failure
                if on_error is not None:
                    tdd, _ = on_error
                    self.task_state(tdd.job_id, tdd.vertex_id, tdd.subtask_index, tdd.attempt,
                                    "FAILED", f"Could not deploy {tdd.task_name_with_subtask} "
                                    f"to TaskManager {tm_id}: {_rpc_error(exc)}", "")
                else:
                    log.debug("%s to %s failed: %s", method, tm_id, _rpc_error(exc))

        try:
            self._pool.submit(call)
        except RuntimeError:
            pass  # shutting down

    # -- ticker --------------------------------------------------------------
    def _tick_loop(self) -> None:
        # Fine enough for checkpoint intervals and restart delays, cheap when idle.
        period = max(0.02, min(0.05, min(self.heartbeat_interval_ms,
                                          self.heartbeat_timeout_ms) / 4000.0))
        while not self._stopped.wait(period):
            try:
                self.tick(time.time())
            except Exception:  # pragma: no cover - keep the ticker alive
                log.exception("JobManager tick failed")

    def tick(self, now: float) -> None:
        """Expire silent TaskManagers and slot requests that waited too long."""
        effects: list[Any] = []
        with self._cond:
            for tm in self.rm.expire(now, self.heartbeat_timeout_ms / 1000.0):
                reason = (f"TaskManager {tm.tm_id} ({tm.rpc_address}) is lost: no heartbeat "
                          f"for more than {self.heartbeat_timeout_ms} ms")
                log.warning(reason)
                self._tm_stubs.pop(tm.rpc_address, None)
                for jm in self.jobs.values():
                    effects += jm.on_taskmanager_lost(tm.tm_id, reason, now)
            for jm in self.jobs.values():
                if jm.waiting_for_slots and \
                        (now - jm.slot_request_time) * 1000 > self.slot_timeout_ms:
                    effects += jm.on_slot_timeout(jm.slots_needed(), self.rm.free_slots(), now)
                if not jm.is_terminal:
                    effects += jm.on_tick(now)
            if effects:
                self._cond.notify_all()
        self._run_effects(effects)

    # -- collect -------------------------------------------------------------
    def push_collect(self, job_id: str, collect_id: str, payload: bytes, end: bool,
                     subtask: int = 0, attempt: int = 0, tag: int = 0) -> bool:
        """Buffer a result batch; False (after a short wait) when full."""
        with self._cond:
            buf = self.collect.get((job_id, collect_id))
            if buf is None:
                return True  # the job is gone: drop
            deadline = time.monotonic() + 1.0
            # Only what the client may take back-pressures the sink: batches waiting for a
            # checkpoint must not block the sink, or its barrier could never pass (Flink
            # keeps them in the client; here they wait in the JobManager)
            while len(buf.visible) >= _COLLECT_BUFFER and attempt >= buf.attempt \
                    and not self._stopped.is_set():
                jm = self.jobs.get(job_id)
                if jm is None or jm.is_terminal:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            buf.push(attempt, subtask, payload, end, tag)
            self._cond.notify_all()
            return True

    def fetch_collect(self, job_id: str, collect_id: str, max_batches: int,
                      wait_s: float) -> tuple[list[bytes], bool, str]:
        """Take buffered results; long-polls up to ``wait_s`` for data."""
        deadline = time.monotonic() + wait_s
        with self._cond:
            while True:
                buf = self.collect.get((job_id, collect_id))
                jm = self.jobs.get(job_id)
                if buf is None or jm is None:
                    raise KeyError(job_id)
                if buf.error is not None:
                    raise CollectError(buf.error)
                if jm.state == "FINISHED":
                    buf.job_finished()
                elif jm.is_terminal:
                    buf.job_ended_otherwise()
                if buf.visible:
                    out = buf.take(max_batches)
                    self._cond.notify_all()
                    return out, False, jm.state
                finished = (buf.all_ended and not buf.pending) or jm.is_terminal
                remaining = deadline - time.monotonic()
                if finished or remaining <= 0 or self._stopped.is_set():
                    return [], finished, jm.state
                self._cond.wait(remaining)


def _manual_checkpoint_coordinator(jm: JobMaster) -> CheckpointCoordinator:
    """The coordinator of a job that can take a manual checkpoint now (caller holds the lock).

    Raises:
        ValueError: BATCH job, the job or some task not running (finished tasks are fine
            where the job takes checkpoints after tasks finish), or no checkpoint directory
            without periodic checkpointing.
    """
    cp = jm.checkpoints
    if cp is None:
        raise ValueError(f"Job {jm.job_id} runs in BATCH mode: it takes no checkpoints")
    if jm.state != "RUNNING":
        raise ValueError(f"Job {jm.job_id} is not running (state {jm.state}): a checkpoint "
                         "needs a RUNNING job")
    allowed = ("RUNNING", "FINISHED") if cp.config.final_checkpoint else ("RUNNING",)
    states = [ex.state for ex in jm.executions.values()]
    running = sum(1 for st in states if st == "RUNNING")
    if not running or any(st not in allowed for st in states):
        raise ValueError(f"Job {jm.job_id} is not running: {running} of {len(states)} tasks "
                         "are RUNNING, a checkpoint needs every task RUNNING")
    if not cp.config.enabled and not jm.config.get(cfg.CHECKPOINTING_DIR):
        raise ValueError(
            f"Checkpointing is not possible for job {jm.job_id}: periodic checkpointing is off "
            "and no checkpoint directory is configured; set execution.checkpointing.dir "
            "(e.g. -D execution.checkpointing.dir=file:///tmp/flink-checkpoints) for the job "
            "or the cluster")
    return cp


def _self_contained(storage: CheckpointStorage, checkpoint_id: int,
                    operators: dict[str, Any]) -> dict[str, Any]:
    """``operators`` for a FULL checkpoint: every file a keyed handle shares with other
    checkpoints (incremental RocksDB SSTs under ``shared/``) is copied next to the
    handle's private files in ``chk-<n>/`` and referenced there, so the checkpoint
    depends on no other one."""
    ops = copy.deepcopy(operators)
    chk = storage.checkpoint_path(checkpoint_id) + "/"
    for key, entry in ops.items():
        for sub, st in entry.get("subtasks", {}).items():
            handle = st.get("keyed")
            if not handle or not handle.get("shared"):
                continue
            private = dict(handle.get("private") or {})
            folders = {p.rsplit("/", 1)[0] for p in private.values()}
            folder = folders.pop() if len(folders) == 1 else ""
            if not folder.startswith(chk) or any(f in private for f in handle["shared"]):
                folder = f"{chk}rocksdb-{re_safe(key)}-{sub}-full"
            storage.fs.create_dir(folder, recursive=True)
            for fname, src in sorted(handle["shared"].items()):
                dst = f"{folder}/{fname}"
                try:
                    pafs.copy_files(src, dst, source_filesystem=storage.fs,
                                    destination_filesystem=storage.fs)
                except FileNotFoundError:
                    raise CheckpointCorruptError(src, "missing") from None
                private[fname] = dst
            handle["private"] = private
            handle["shared"] = {}
    return ops


def _rpc_error(exc: BaseException) -> str:
    if isinstance(exc, grpc.RpcError):
        return f"{exc.code().name}: {exc.details()}"  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {exc}"


class _Servicer(jobmanager_pb2_grpc.JobManagerServiceServicer):
    """gRPC adapter: protobuf in, protobuf out; the logic lives in JobManager."""

    def __init__(self, jm: JobManager) -> None:
        self.jm = jm

    def RegisterTaskManager(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        self.jm.register_taskmanager(request.tm_id, request.rpc_address,
                                     [(s.slot_index, s.data_address) for s in request.slots])
        return jobmanager_pb2.RegisterTaskManagerResponse(
            heartbeat_interval_ms=self.jm.heartbeat_interval_ms,
            heartbeat_timeout_ms=self.jm.heartbeat_timeout_ms)

    def Heartbeat(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        return jobmanager_pb2.HeartbeatResponse(known=self.jm.heartbeat(request.tm_id))

    def UpdateTaskState(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ex = request.execution
        self.jm.task_state(ex.job_id, ex.vertex_id, ex.subtask_index, ex.attempt, request.state,
                           request.error, request.traceback, dict(request.metrics))
        return common_pb2.Empty()

    def AcknowledgeCheckpoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ex = request.execution
        self.jm.checkpoint_ack(ex.job_id, ex.vertex_id, ex.subtask_index, ex.attempt,
                               request.checkpoint_id, request.state_json)
        return common_pb2.Empty()

    def DeclineCheckpoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ex = request.execution
        self.jm.checkpoint_decline(ex.job_id, ex.vertex_id, ex.subtask_index, ex.attempt,
                                   request.checkpoint_id, request.reason)
        return common_pb2.Empty()

    def PushCollectBatch(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ok = self.jm.push_collect(request.job_id, request.collect_id, request.payload, request.end,
                                  request.subtask_index, request.attempt, request.checkpoint_id)
        return jobmanager_pb2.PushCollectResponse(accepted=ok)

    def SubmitJob(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        try:
            job_id = self.jm.submit(request.job_graph, request.python_version,
                                    request.cloudpickle_version)
        except ValueError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return jobmanager_pb2.SubmitJobResponse(job_id=job_id)

    def ListJobs(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        with self.jm._cond:  # noqa: SLF001
            jobs = [_job_info(jm) for jm in self.jm.jobs.values()]
        return jobmanager_pb2.ListJobsResponse(jobs=jobs)

    def GetJob(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        with self.jm._cond:  # noqa: SLF001
            jm = self.jm.jobs.get(request.job_id)
            if jm is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
            return self._details(jm)

    def WaitJob(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        deadline = time.monotonic() + max(0, request.timeout_ms) / 1000.0
        with self.jm._cond:  # noqa: SLF001
            while True:
                jm = self.jm.jobs.get(request.job_id)
                if jm is None:
                    context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
                remaining = deadline - time.monotonic()
                if jm.is_terminal or remaining <= 0 or self.jm._stopped.is_set():  # noqa: SLF001
                    return self._details(jm)
                self.jm._cond.wait(remaining)  # noqa: SLF001

    @staticmethod
    def _details(jm: JobMaster) -> Any:
            tasks = [jobmanager_pb2.TaskInfo(
                vertex_id=ex.vertex_id, vertex_name=ex.vertex_name,
                subtask_index=ex.subtask_index, attempt=ex.attempt, state=ex.state,
                tm_id=ex.slot.tm_id if ex.slot else "", metrics=ex.metrics)
                for ex in jm.executions.values()]
            cp = jm.checkpoints
            latest = cp.latest if cp is not None else None
            return jobmanager_pb2.JobDetails(
                info=_job_info(jm), failure_cause=jm.failure_cause,
                failure_traceback=jm.failure_traceback, tasks=tasks,
                num_restarts=jm.num_restarts,
                completed_checkpoints=cp.num_completed if cp is not None else 0,
                failed_checkpoints=cp.num_failed if cp is not None else 0,
                latest_checkpoint_id=latest.checkpoint_id if latest is not None else 0,
                latest_checkpoint_path=latest.path if latest is not None else "")

    def CancelJob(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        try:
            self.jm.cancel(request.job_id)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
        return common_pb2.Empty()

    def _savepoint(self, request: Any, context: Any, stop: bool) -> Any:
        timeout = request.timeout_ms / 1000.0 if request.timeout_ms > 0 else None
        try:
            path = self.jm.trigger_savepoint(request.job_id, request.target_directory, stop,
                                             request.drain, timeout)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
        except ValueError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return jobmanager_pb2.SavepointResponse(path=path)

    def TriggerSavepoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        return self._savepoint(request, context, stop=False)

    def StopWithSavepoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        return self._savepoint(request, context, stop=True)

    def TriggerCheckpoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        timeout = request.timeout_ms / 1000.0 if request.timeout_ms > 0 else None
        try:
            cid, path = self.jm.trigger_checkpoint(request.job_id, request.full, timeout)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
        except ValueError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return jobmanager_pb2.CheckpointResponse(checkpoint_id=cid, path=path)

    def DisposeSavepoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        try:
            dispose_savepoint(request.path)
        except (CheckpointCorruptError, ValueError, OSError) as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          f"Cannot dispose savepoint '{request.path}': {exc}")
        return common_pb2.Empty()

    def FetchCollectBatches(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        try:
            payloads, finished, state = self.jm.fetch_collect(
                request.job_id, request.collect_id, max(1, request.max_batches),
                min(request.wait_ms, 5000) / 1000.0)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Job {request.job_id} not found")
        except CollectError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return jobmanager_pb2.FetchCollectResponse(payloads=payloads, finished=finished,
                                                   job_state=state)

    def GetClusterOverview(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        with self.jm._cond:  # noqa: SLF001
            tms = [jobmanager_pb2.TaskManagerInfo(
                tm_id=tm.tm_id, rpc_address=tm.rpc_address, slots_total=len(tm.slots),
                slots_free=sum(1 for s in tm.slots if s.job_id is None),
                last_heartbeat_ms=int(tm.last_heartbeat * 1000))
                for tm in self.jm.rm.taskmanagers.values()]
            running = sum(1 for jm in self.jm.jobs.values() if not jm.is_terminal)
            return jobmanager_pb2.ClusterOverview(
                taskmanagers=tms, slots_total=self.jm.rm.total_slots(),
                slots_available=self.jm.rm.free_slots(), jobs_running=running)


def _job_info(jm: JobMaster) -> Any:
    return jobmanager_pb2.JobInfo(
        job_id=jm.job_id, name=jm.graph.name, state=jm.state,
        start_time_ms=int(jm.start_time * 1000),
        end_time_ms=int(jm.end_time * 1000) if jm.end_time else 0)


def _discard_unretained(storage: Any, registry: Any, eff: WriteCheckpoint) -> None:
    """Delete a checkpoint no one keeps: its directory and the new shared files (SSTs)
    no retained checkpoint references."""
    storage.discard_checkpoint(eff.checkpoint_id)
    for f in eff.shared_files:
        if registry.reference_count(f) == 0:
            storage.delete_file(f)
