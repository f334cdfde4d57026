"""The slot worker: one process per TaskManager slot.

Python threads share one interpreter lock, so a TaskManager runs each slot in
its own process: two slots use two cores. A slot worker owns its data-plane
endpoint (tasks in the same slot exchange Python lists, tasks elsewhere Arrow
batches), runs the tasks the TaskManager hands it, and reports their states
straight to the JobManager.

The TaskManager talks to it over a socket pair (pickled tuples):

* TM -> worker: ``("deploy", tdd_bytes)``, ``("cancel", key)``,
  ``("release", job_id)``, ``("checkpoint", "trigger", key, id, timestamp_ms[, (stop, drain)])``,
  ``("checkpoint", "complete" | "abort", job_id, id, 0)``, ``("shutdown",)``.
* worker -> TM: ``("ready", data_address)``, ``("state", key, state, task_name)``.

The worker exits when that socket closes: a worker never outlives its
TaskManager (it also asks the kernel to kill it when the parent dies).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import pickle
import signal
import socket
import sys
import traceback
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import grpc

from flink_py.common.runtime.deployment import TaskDeploymentDescriptor
from flink_py.common.runtime.rpc import channel_options
from flink_py.proto.flinkpy.v1 import common_pb2, jobmanager_pb2, jobmanager_pb2_grpc
from flink_py.taskmanager.network.partition import PartitionRegistry
from flink_py.taskmanager.network.server import ConnectionManager, DataServer
from flink_py.taskmanager.task import Task

__all__ = ["WorkerServices", "main"]

log = logging.getLogger("flink_py.taskmanager.worker")

ExecKey = tuple[str, str, int, int]


class WorkerServices:
    """What tasks need from outside the worker: the JobManager."""

    def __init__(self, jm_address: str, tm_id: str) -> None:
        self.tm_id = tm_id
        # Reports are retried for a few seconds only: reconnect at least every
        # second, so a restarted JobManager is reached in time.
        self._channel = grpc.insecure_channel(
            jm_address, options=[*channel_options(), ("grpc.max_reconnect_backoff_ms", 1000)])
        self.jm = jobmanager_pb2_grpc.JobManagerServiceStub(self._channel)

    def report(self, tdd: TaskDeploymentDescriptor, state: str, error: str, tb: str,
               metrics: dict[str, float] | None = None) -> None:
        """Report a task state (and, when final, its metrics) to the JobManager."""
        req = jobmanager_pb2.TaskStateUpdate(
            execution=common_pb2.ExecutionId(job_id=tdd.job_id, vertex_id=tdd.vertex_id,
                                             subtask_index=tdd.subtask_index,
                                             attempt=tdd.attempt),
            state=state, error=error, traceback=tb, tm_id=self.tm_id, metrics=metrics or {})
        for attempt in range(5):
            try:
                self.jm.UpdateTaskState(req, timeout=10)
                return
            except grpc.RpcError as exc:
                log.warning("reporting %s of %s failed (%s), retrying", state,
                            tdd.task_name_with_subtask, exc.code().name)  # type: ignore[attr-defined]
                time.sleep(0.2 * (attempt + 1))

    def ack_checkpoint(self, tdd: TaskDeploymentDescriptor, checkpoint_id: int,
                       state_json: str) -> None:
        """Acknowledge a checkpoint with the task's state handles (JSON)."""
        req = jobmanager_pb2.CheckpointAck(execution=_execution(tdd), checkpoint_id=checkpoint_id,
                                           state_json=state_json)
        self._call("AcknowledgeCheckpoint", req, tdd)

    def decline_checkpoint(self, tdd: TaskDeploymentDescriptor, checkpoint_id: int,
                           reason: str) -> None:
        """Decline a checkpoint (the snapshot failed)."""
        req = jobmanager_pb2.CheckpointDecline(execution=_execution(tdd),
                                               checkpoint_id=checkpoint_id, reason=reason)
        self._call("DeclineCheckpoint", req, tdd)

    def _call(self, method: str, req: Any, tdd: TaskDeploymentDescriptor) -> None:
        for attempt in range(3):
            try:
                getattr(self.jm, method)(req, timeout=10)
                return
            except grpc.RpcError as exc:
                log.warning("%s of %s failed (%s), retrying", method,
                            tdd.task_name_with_subtask, exc.code().name)  # type: ignore[attr-defined]
                time.sleep(0.2 * (attempt + 1))

    def push_collect(self, ctx: Any, collect_id: str, payload: bytes, end: bool,
                     checkpoint_id: int = 0) -> None:
        """Hand results of an execute_and_collect sink to the JobManager."""
        req = jobmanager_pb2.CollectBatch(job_id=ctx.job_id, collect_id=collect_id,
                                          payload=payload, end=end,
                                          subtask_index=ctx.subtask_index, attempt=ctx.attempt,
                                          checkpoint_id=checkpoint_id)
        while True:
            # The JobManager holds the call up to a second while its buffer is
            # full, so this loop is the sink's back-pressure, not a busy wait.
            if self.jm.PushCollectBatch(req, timeout=60).accepted:
                return

    def close(self) -> None:
        """Close the gRPC channel."""
        self._channel.close()


def _execution(tdd: TaskDeploymentDescriptor) -> Any:
    return common_pb2.ExecutionId(job_id=tdd.job_id, vertex_id=tdd.vertex_id,
                                  subtask_index=tdd.subtask_index, attempt=tdd.attempt)


class SlotWorker:
    """Runs the tasks of one slot."""

    def __init__(self, control: Connection, jm_address: str, tm_id: str, bind_host: str,
                 advertised_host: str, data_port: int) -> None:
        self.control = control
        self.registry = PartitionRegistry()
        self.server = DataServer(self.registry, bind_host, data_port, advertised_host)
        self.connections = ConnectionManager()
        self.services = WorkerServices(jm_address, tm_id)
        self.data_address = self.server.address
        self.tasks: dict[ExecKey, Task] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()

    def _send(self, msg: tuple[Any, ...]) -> None:
        with self._send_lock:
            try:
                self.control.send(msg)
            except OSError:
                pass

    def _on_state(self, tdd: TaskDeploymentDescriptor, state: str, error: str, tb: str) -> None:
        key = (tdd.job_id, tdd.vertex_id, tdd.subtask_index, tdd.attempt)
        metrics = None
        if state in ("FINISHED", "CANCELED", "FAILED"):
            with self._lock:
                task = self.tasks.pop(key, None)
            if task is not None:
                metrics = task.metrics()
        self.services.report(tdd, state, error, tb, metrics)
        self._send(("state", key, state, tdd.task_name_with_subtask))

    def _checkpoint(self, kind: str, target: Any, checkpoint_id: int, timestamp_ms: int,
                    stop_drain: tuple[bool, bool] = (False, False)) -> None:
        """Hand a checkpoint trigger or notification to the task(s) it concerns."""
        with self._lock:
            if kind == "trigger":
                task = self.tasks.get(tuple(target))  # type: ignore[arg-type]
                tasks = [task] if task is not None else []
            else:
                tasks = [t for k, t in self.tasks.items() if k[0] == target]
        for t in tasks:
            if kind == "trigger":
                t.trigger_checkpoint(checkpoint_id, timestamp_ms, *stop_drain)
            else:
                t.notify_checkpoint(checkpoint_id, kind == "complete")

    def serve(self) -> None:
        """Handle TaskManager commands until shutdown or the TaskManager dies."""
        self.server.start()
        self._send(("ready", self.data_address))
        try:
            while True:
                try:
                    msg = self.control.recv()
                except (EOFError, OSError):
                    return
                cmd = msg[0]
                if cmd == "deploy":
                    tdd: TaskDeploymentDescriptor = pickle.loads(msg[1])
                    key = (tdd.job_id, tdd.vertex_id, tdd.subtask_index, tdd.attempt)
                    try:
                        task = Task(tdd, self, self._on_state)
                    except Exception as exc:  # e.g. a malformed option: fail the task only
                        log.exception("cannot create task %s", tdd.task_name_with_subtask)
                        self._on_state(tdd, "FAILED",
                                       f"Cannot create task {tdd.task_name_with_subtask}: "
                                       f"{type(exc).__name__}: {exc}", traceback.format_exc())
                        continue
                    with self._lock:
                        self.tasks[key] = task
                    task.start()
                elif cmd == "cancel":
                    with self._lock:
                        task = self.tasks.get(tuple(msg[1]))  # type: ignore[arg-type]
                    if task is not None:
                        task.cancel()
                elif cmd == "release":
                    job_id = msg[1]
                    with self._lock:
                        doomed = [t for k, t in self.tasks.items() if k[0] == job_id]
                    for t in doomed:
                        t.cancel()
                    self.registry.release_job(job_id)
                elif cmd == "checkpoint":
                    self._checkpoint(msg[1], msg[2], int(msg[3]), int(msg[4]),
                                     *(msg[5:6] or [(False, False)]))
                elif cmd == "shutdown":
                    return
        finally:
            with self._lock:
                tasks = list(self.tasks.values())
            for t in tasks:
                t.cancel()
            for t in tasks:
                t.thread.join(timeout=2)
            self.server.close()
            self.connections.close()
            self.services.close()


def _tune_gc() -> None:
    """Make the cyclic garbage collector cheap for record processing.

    Operators allocate millions of short-lived tuples; with CPython's default
    generation-0 threshold (700) the collector runs every few hundred records
    and re-traverses the young objects, costing 30-50% of a simple pipeline.
    Startup objects are frozen (never traversed again) and the young
    generation is collected every 50,000 container allocations instead.
    Reference counting still frees acyclic garbage immediately.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m flink_py.taskmanager.worker``."""
    p = argparse.ArgumentParser(prog="flink-py-slot-worker")
    p.add_argument("--control-fd", type=int, required=True)
    p.add_argument("--parent-pid", type=int, required=True)
    p.add_argument("--jobmanager", required=True)
    p.add_argument("--tm-id", required=True)
    p.add_argument("--bind-host", default="127.0.0.1")
    p.add_argument("--advertised-host", default="127.0.0.1")
    p.add_argument("--data-port", type=int, default=0)
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    _die_with_parent()
    if os.getppid() != args.parent_pid:
        return 1  # the parent died before we could ask
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the TaskManager decides when we stop
    _tune_gc()
    sock = socket.socket(fileno=args.control_fd)
    control = Connection(sock.detach())
    worker = SlotWorker(control, args.jobmanager, args.tm_id, args.bind_host,
                        args.advertised_host, args.data_port)
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
