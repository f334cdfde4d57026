"""The TaskManager process: slots, registration, heartbeats, task control.

A :class:`TaskManager` starts one slot-worker process per slot, serves the
``TaskManagerService`` gRPC API (deploy, cancel, release), registers its
slots with the JobManager and heart-beats. A worker that dies is reported
(its tasks FAILED), its slot is withdrawn, and it is replaced; the
TaskManager then re-registers the slot with the new worker's address.

A cancelled task that is still running after ``task.cancellation.timeout``
(user code that ignores cancellation, e.g. an endless loop) gets its slot
worker killed and replaced, so the slot is freed -- Flink's task canceler
watchdog, which kills the whole TaskManager.

When the TaskManager has not reached its JobManager for ``heartbeat.timeout``
(or the JobManager answers that it does not know this TaskManager: it was
restarted, or it timed the TaskManager out), the JobManager is lost: every
task is cancelled (with the cancellation watchdog), every job's partitions are
released, and the TaskManager registers again -- offering only the slots whose
tasks have ended; a slot still busy is offered once it is free.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent import futures
from multiprocessing.connection import Connection
from typing import Any

import grpc

from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.jobgraph import new_id
from flink_py.common.runtime.rpc import channel_options, server_options
from flink_py.proto.flinkpy.v1 import (
    common_pb2,
    jobmanager_pb2,
    jobmanager_pb2_grpc,
    taskmanager_pb2_grpc,
)

__all__ = ["JobManagerMonitor", "TaskManager", "describe_rpc_error"]

log = logging.getLogger("flink_py.taskmanager")


class _Worker:
    """The TaskManager's handle on one slot-worker process."""

    def __init__(self, index: int, proc: subprocess.Popen[bytes], conn: Connection) -> None:
        self.index = index
        self.proc = proc
        self.conn = conn
        self.data_address = ""
        self.running: set[tuple[str, str, int, int]] = set()
        self.jobs: set[str] = set()  # jobs deployed here and not yet released
        self.names: dict[tuple[str, str, int, int], str] = {}  # task names, from the worker
        self.watched: set[tuple[str, str, int, int]] = set()  # cancellations being timed
        self.kill_reason = ""  # why the TaskManager killed this worker, if it did
        self.lock = threading.Lock()

    def send(self, msg: tuple[Any, ...]) -> None:
        with self.lock:
            self.conn.send(msg)


class JobManagerMonitor:
    """The TaskManager's view of its JobManager connection (pure: times are passed in).

    The JobManager is *lost* when nothing reached it for longer than
    ``heartbeat.timeout``; :meth:`failed` says so exactly once, until
    :meth:`contact` (a heartbeat or a registration succeeded) again.
    """

    def __init__(self, timeout_s: float, now: float) -> None:
        self.timeout_s = timeout_s
        self.last_contact = now
        self.connected = True

    def contact(self, now: float) -> None:
        """A heartbeat or a registration reached the JobManager."""
        self.last_contact = now
        self.connected = True

    def silence_ms(self, now: float) -> int:
        """Milliseconds since the JobManager was last reached."""
        return round((now - self.last_contact) * 1000)

    def disconnect(self) -> None:
        """Registration failed: keep registering instead of heart-beating."""
        self.connected = False

    def failed(self, now: float) -> bool:
        """A heartbeat failed at ``now``; True when this makes the JobManager lost."""
        if self.connected and now - self.last_contact > self.timeout_s:
            self.connected = False
            return True
        return False


def describe_rpc_error(exc: BaseException) -> str:
    """One line for a gRPC error: ``CODE: details`` (not the multi-line debug dump)."""
    code = getattr(exc, "code", None)
    details = getattr(exc, "details", None)
    if callable(code) and callable(details):
        try:
            name = code().name
            text = details() or ""
        except Exception:  # noqa: BLE001 - a non-call error: fall back to str()
            name, text = type(exc).__name__, str(exc)
    else:
        name, text = type(exc).__name__, str(exc)
    text = " ".join(str(text).split())
    return f"{name}: {text}" if text else name


class TaskManager:
    """A TaskManager with ``slots`` slot workers, registered at ``jm_address``."""

    def __init__(self, config: FlinkConfig, jm_address: str, slots: int | None = None,
                 host: str | None = None) -> None:
        self.config = config
        self.jm_address = jm_address
        self.num_slots = int(slots if slots is not None else config.get("taskmanager.numberOfTaskSlots"))
        if self.num_slots < 1:
            raise ValueError("taskmanager.numberOfTaskSlots must be at least 1")
        self.bind_host = host or config.get("taskmanager.bind-host")
        self.advertised_host = config.get("taskmanager.host") or self.bind_host
        if self.advertised_host in ("0.0.0.0", "::"):
            self.advertised_host = socket.gethostname()
        self.tm_id = f"tm-{new_id()[:12]}"
        self.workers: list[_Worker] = []
        self._stopped = threading.Event()
        self._server: grpc.Server | None = None
        # Reconnect within a second once a (new) JobManager listens again.
        self._channel = grpc.insecure_channel(
            jm_address, options=[*channel_options(), ("grpc.max_reconnect_backoff_ms", 1000)])
        self.jm = jobmanager_pb2_grpc.JobManagerServiceStub(self._channel)
        self.heartbeat_interval_s = int(config.get("heartbeat.interval")) / 1000.0
        self.heartbeat_timeout_s = int(config.get("heartbeat.timeout")) / 1000.0
        self.monitor = JobManagerMonitor(self.heartbeat_timeout_s, time.monotonic())
        #: slots not offered since the JobManager was lost: their tasks had not ended yet
        self._withheld: set[int] = set()
        #: executions cancelled before their deployment arrived (the two RPCs may overtake
        #: each other): key -> time; such a deployment is cancelled right after it
        self._cancelled_early: dict[tuple[str, str, int, int], float] = {}
        self._early_lock = threading.Lock()
        self.cancel_timeout_ms = int(config.get("task.cancellation.timeout"))
        self.rpc_address = ""
        self._register_lock = threading.Lock()
        self._reoffer = threading.Event()  # a withheld slot became free: offer it
        self._heartbeat_failing = False

    # -- lifecycle -----------------------------------------------------------
    def start(self, register_timeout_s: float = 60.0) -> TaskManager:
        """Start slot workers and the gRPC service, then register."""
        self.workers = [self._spawn(i) for i in range(self.num_slots)]
        for w in self.workers:
            self._await_ready(w)
        for w in self.workers:
            threading.Thread(target=self._watch, args=(w,), name=f"slot-{w.index}",
                             daemon=True).start()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16,
                                                        thread_name_prefix="tm-grpc"),
                             options=server_options())
        taskmanager_pb2_grpc.add_TaskManagerServiceServicer_to_server(_Servicer(self), server)
        port = server.add_insecure_port(f"{self.bind_host}:{self.config.get('taskmanager.rpc.port')}")
        server.start()
        self._server = server
        self.rpc_address = f"{self.advertised_host}:{port}"
        self._register(deadline=time.monotonic() + register_timeout_s)
        self.monitor.contact(time.monotonic())
        threading.Thread(target=self._heartbeat_loop, name="tm-heartbeat", daemon=True).start()
        log.info("TaskManager %s started with %d slot(s), registered at %s",
                 self.tm_id, self.num_slots, self.jm_address)
        return self

    def stop(self) -> None:
        """Stop the workers and the service."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        for w in self.workers:
            try:
                w.send(("shutdown",))
            except OSError:
                pass
        for w in list(self.workers):
            _reap(w, graceful=True)
        if self._server is not None:
            self._server.stop(0.5).wait(2)
        self._channel.close()

    # -- slot workers --------------------------------------------------------
    def _spawn(self, index: int) -> _Worker:
        parent, child = socket.socketpair()
        args = [sys.executable, "-m", "flink_py.taskmanager.worker",
                "--control-fd", str(child.fileno()), "--parent-pid", str(os.getpid()),
                "--jobmanager", self.jm_address, "--tm-id", self.tm_id,
                "--bind-host", self.bind_host, "--advertised-host", self.advertised_host,
                "--log-level", logging.getLevelName(logging.getLogger().level)]
        proc = subprocess.Popen(args, pass_fds=(child.fileno(),))
        child.close()
        return _Worker(index, proc, Connection(parent.detach()))

    def _await_ready(self, w: _Worker) -> None:
        try:
            if not w.conn.poll(60):
                msg = f"slot worker {w.index} did not start within 60 s"
                raise RuntimeError(msg)
            kind, address = w.conn.recv()
        except (EOFError, OSError):
            code = w.proc.wait()
            msg = f"slot worker {w.index} exited with code {code} while starting (see its stderr)"
            raise RuntimeError(msg) from None
        if kind != "ready":
            raise RuntimeError(f"slot worker {w.index} sent {kind!r} instead of ready")
        w.data_address = address

    def _watch(self, w: _Worker) -> None:
        """Follow a slot's worker; when it dies, report its tasks and replace it.

        The replacement is spawned from this thread, which then follows it:
        a worker asks the kernel to kill it when the *thread* that started it
        ends (``PR_SET_PDEATHSIG``), so that thread must outlive it.
        """
        while True:
            self._follow(w)
            if self._stopped.is_set():
                return
            replacement = self._replace(w)
            if replacement is None:
                return
            w = replacement

    def _follow(self, w: _Worker) -> None:
        """Track task states from the worker until its control socket closes."""
        while True:
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                return
            except TypeError:
                # stop() closed the connection while recv() read from it (the handle
                # became None under the read): the worker is being stopped.
                if w.conn.closed:
                    return
                raise
            if msg[0] == "state":
                key, state = tuple(msg[1]), msg[2]
                with w.lock:
                    if state in ("FINISHED", "CANCELED", "FAILED"):
                        w.running.discard(key)
                        w.names.pop(key, None)
                        if not w.running and w.index in self._withheld:
                            # Its last task ended after the JobManager was lost:
                            # offer the slot with the next heartbeat.
                            self._withheld.discard(w.index)
                            self._reoffer.set()
                    elif len(msg) > 3:
                        w.names[key] = msg[3]

    def _replace(self, w: _Worker) -> _Worker | None:
        """Fail the dead worker's tasks, withdraw its slot, start a new worker."""
        code = w.proc.wait()
        cause = w.kill_reason or (f"The slot worker process of TaskManager {self.tm_id} slot "
                                  f"{w.index} exited with code {code}{_signal_name(code)}")
        log.error("slot worker %d exited with code %s; replacing it", w.index, code)
        with w.lock:
            lost = list(w.running)
            w.running.clear()
        for job_id, vertex_id, subtask, attempt in lost:
            self._report_failure(job_id, vertex_id, subtask, attempt, cause)
        replacement: _Worker | None = None
        try:
            # Withdraw the slot until its new worker (with a new data address) is ready.
            # (Without a JobManager, the heartbeat loop offers the slots when it is back.)
            self._register_if_connected(f"withdraw slot {w.index}")
            replacement = self._spawn(w.index)
            self._await_ready(replacement)
        except (RuntimeError, OSError) as exc:
            if not self._stopped.is_set():
                log.error("could not replace slot worker %d: %s", w.index, exc)
            if replacement is not None:
                _reap(replacement, graceful=False)
            return None
        self.workers[w.index] = replacement
        self._withheld.discard(w.index)  # a new worker runs nothing
        if self._stopped.is_set():
            # stop() may already have gone over the workers: stop this one here.
            _reap(replacement, graceful=True)
            return None
        self._register_if_connected(f"re-register slot {w.index}")
        return replacement

    def _report_failure(self, job_id: str, vertex_id: str, subtask: int, attempt: int,
                        cause: str) -> None:
        req = jobmanager_pb2.TaskStateUpdate(
            execution=common_pb2.ExecutionId(job_id=job_id, vertex_id=vertex_id,
                                             subtask_index=subtask, attempt=attempt),
            state="FAILED", error=cause, tm_id=self.tm_id)
        try:
            self.jm.UpdateTaskState(req, timeout=10)
        except grpc.RpcError:
            log.warning("could not report the failure of %s/%d", vertex_id, subtask)

    # -- JobManager ----------------------------------------------------------
    def _register(self, deadline: float) -> int:
        """Offer the free slots to the JobManager; returns how many were offered.

        A slot is offered when its worker is alive and it is not withheld (its
        tasks were still being cancelled after the JobManager was lost).
        """
        delay = 0.05
        with self._register_lock:
            # Built under the lock: a concurrent registration never sends an older view.
            withheld = set(self._withheld)
            req = jobmanager_pb2.RegisterTaskManagerRequest(
                tm_id=self.tm_id, rpc_address=self.rpc_address,
                slots=[common_pb2.SlotInfo(slot_index=w.index, data_address=w.data_address)
                       for w in self.workers
                       if w.proc.poll() is None and w.index not in withheld])
            while True:
                try:
                    self.jm.RegisterTaskManager(req, timeout=5)
                    return len(req.slots)
                except grpc.RpcError as exc:
                    if time.monotonic() > deadline or self._stopped.is_set():
                        msg = (f"Could not register at the JobManager {self.jm_address}: "
                               f"{describe_rpc_error(exc)}")
                        raise ConnectionError(msg) from exc
                    self._stopped.wait(delay)
                    delay = min(delay * 2, 1.0)

    def _register_if_connected(self, what: str) -> None:
        """Register now (slot changes) unless the JobManager is lost."""
        if not self.monitor.connected:
            return
        try:
            self._register(deadline=time.monotonic() + 30)
        except ConnectionError as exc:
            log.error("could not %s: %s", what, exc)

    def _heartbeat_loop(self) -> None:
        while not self._stopped.wait(self.heartbeat_interval_s):
            try:
                self.heartbeat_once()
            except Exception:  # pragma: no cover - keep heart-beating whatever happens
                log.exception("heartbeat to JobManager %s failed unexpectedly", self.jm_address)

    def heartbeat_once(self) -> None:
        """One heartbeat round: heartbeat (or register again once the JobManager is lost)."""
        if not self.monitor.connected:
            self._reconnect()
            return
        try:
            known = self.jm.Heartbeat(jobmanager_pb2.HeartbeatRequest(tm_id=self.tm_id),
                                      timeout=max(1.0, self.heartbeat_interval_s)).known
        except grpc.RpcError as exc:
            now = time.monotonic()
            if self.monitor.failed(now):
                self._jobmanager_lost(f"JobManager {self.jm_address} lost (no heartbeat for "
                                      f"{self.monitor.silence_ms(now)} ms)")
            elif not self._heartbeat_failing:
                self._heartbeat_failing = True
                log.warning("heartbeat to JobManager %s failed: %s (its tasks are cancelled "
                            "after heartbeat.timeout = %d ms without an answer)", self.jm_address,
                            describe_rpc_error(exc), round(self.heartbeat_timeout_s * 1000))
            else:
                log.debug("heartbeat to JobManager %s failed: %s", self.jm_address,
                          describe_rpc_error(exc))
            return
        self.monitor.contact(time.monotonic())
        was_failing, self._heartbeat_failing = self._heartbeat_failing, False
        if was_failing and known:
            log.info("heartbeat to JobManager %s answered again", self.jm_address)
        if not known:
            # A restarted JobManager, or one that timed this TaskManager out: it no
            # longer counts on our tasks, and must not see their slots as free.
            self._jobmanager_lost(f"JobManager {self.jm_address} does not know this "
                                  f"TaskManager (it restarted or timed it out)")
            self._reconnect()
        elif self._reoffer.is_set():
            self._reoffer.clear()
            try:
                self._register(deadline=time.monotonic())
            except ConnectionError as exc:
                self._reoffer.set()
                log.debug("could not offer freed slots: %s", exc)

    def _reconnect(self) -> None:
        """Register again (one attempt), offering the free slots only."""
        self._reoffer.clear()
        try:
            offered = self._register(deadline=time.monotonic())
        except ConnectionError as exc:
            self.monitor.disconnect()
            log.debug("%s", exc)
            return
        self.monitor.contact(time.monotonic())
        self._heartbeat_failing = False
        withheld = sorted(self._withheld)
        log.info("registered at JobManager %s again: offered %d free slot(s)%s",
                 self.jm_address, offered,
                 f"; slot(s) {', '.join(map(str, withheld))} once their tasks ended"
                 if withheld else "")

    def _jobmanager_lost(self, why: str) -> None:
        """Cancel every task, release every job's partitions, withhold busy slots.

        Flink's TaskExecutor on a JobManager heartbeat timeout: fail the tasks of
        its jobs, free their slots, then offer the slots again (:meth:`_reconnect`).
        A task that ignores cancellation gets its slot worker killed and replaced
        after ``task.cancellation.timeout``.
        """
        if self._stopped.is_set():
            return
        doomed: list[tuple[_Worker, list[tuple[str, str, int, int]], set[str]]] = []
        for w in list(self.workers):
            with w.lock:
                keys = sorted(w.running)
                jobs = w.jobs | {k[0] for k in keys}
                w.jobs = set()
                if keys:
                    self._withheld.add(w.index)
            doomed.append((w, keys, jobs))
        n = sum(len(keys) for _, keys, _ in doomed)
        log.error("%s: cancelling %d task%s", why, n, "" if n == 1 else "s")
        for w, keys, jobs in doomed:
            try:
                for job_id in sorted(jobs):
                    w.send(("release", job_id))  # cancels its tasks, drops its partitions
            except OSError:
                continue  # the worker is gone; its watcher replaces it
            for key in keys:
                self._watch_cancellation(w, key)

    # -- commands ------------------------------------------------------------
    def deploy(self, slot_index: int, key: tuple[str, str, int, int], descriptor: bytes) -> None:
        """Hand a task to the slot's worker."""
        w = self.workers[slot_index]
        if w.kill_reason or w.proc.poll() is not None:
            raise BrokenPipeError(f"slot worker {slot_index} has exited")
        if slot_index in self._withheld:
            raise ConnectionRefusedError(f"slot {slot_index} is not offered: the tasks of a "
                                         f"lost JobManager are still being cancelled there")
        with w.lock:
            w.running.add(key)
            w.jobs.add(key[0])
        try:
            w.send(("deploy", descriptor))
        except OSError:
            with w.lock:
                w.running.discard(key)
            raise
        with self._early_lock:
            early = self._cancelled_early.pop(key, None) is not None
        if early:
            self.cancel(key)

    def cancel(self, key: tuple[str, str, int, int]) -> None:
        """Cancel an execution wherever it runs; time the cancellation. One whose
        deployment has not arrived yet is cancelled when it does."""
        found = False
        for w in list(self.workers):
            with w.lock:
                running = key in w.running
            if running:
                found = True
                try:
                    w.send(("cancel", key))
                except OSError:
                    continue  # the worker is gone; its watcher reports the task
                self._watch_cancellation(w, key)
        if not found:
            now = time.monotonic()
            with self._early_lock:
                for old in [k for k, t in self._cancelled_early.items() if now - t > 300]:
                    del self._cancelled_early[old]
                self._cancelled_early[key] = now

    def release(self, job_id: str) -> None:
        """The job ended: drop its tasks and partitions in every slot."""
        for w in list(self.workers):
            with w.lock:
                w.jobs.discard(job_id)
            try:
                w.send(("release", job_id))
            except OSError:
                continue
            with w.lock:
                doomed = [k for k in w.running if k[0] == job_id]
            for key in doomed:
                self._watch_cancellation(w, key)

    def trigger_checkpoint(self, key: tuple[str, str, int, int], checkpoint_id: int,
                           timestamp_ms: int, stop: bool = False, drain: bool = False) -> None:
        """Ask a source task to inject barrier ``checkpoint_id`` (``stop``: then end)."""
        for w in list(self.workers):
            with w.lock:
                running = key in w.running
            if running:
                try:
                    w.send(("checkpoint", "trigger", key, checkpoint_id, timestamp_ms,
                            (stop, drain)))
                except OSError:
                    pass  # the worker is gone; the checkpoint expires or the job restarts
                return

    def notify_checkpoint(self, job_id: str, checkpoint_id: int, complete: bool) -> None:
        """Tell every task of ``job_id`` that a checkpoint completed (or was aborted)."""
        kind = "complete" if complete else "abort"
        for w in list(self.workers):
            with w.lock:
                has_job = any(k[0] == job_id for k in w.running)
            if has_job:
                try:
                    w.send(("checkpoint", kind, job_id, checkpoint_id, 0))
                except OSError:
                    continue

    def _watch_cancellation(self, w: _Worker, key: tuple[str, str, int, int]) -> None:
        """Kill ``w`` if ``key`` still runs after ``task.cancellation.timeout``."""
        if self.cancel_timeout_ms <= 0:
            return
        with w.lock:
            if key in w.watched:
                return
            w.watched.add(key)
        timer = threading.Timer(self.cancel_timeout_ms / 1000.0, self._cancellation_expired,
                                args=(w, key))
        timer.daemon = True
        timer.start()

    def _cancellation_expired(self, w: _Worker, key: tuple[str, str, int, int]) -> None:
        with w.lock:
            w.watched.discard(key)
            if key not in w.running or w.kill_reason or self._stopped.is_set():
                return
            name = w.names.get(key, f"{key[1]} ({key[2] + 1})")
            w.kill_reason = (f"Task '{name}' did not stop within task.cancellation.timeout "
                             f"({self.cancel_timeout_ms} ms) after it was cancelled; killed "
                             f"slot worker {w.index} of TaskManager {self.tm_id}")
        log.error("%s (pid %d)", w.kill_reason, w.proc.pid)
        w.proc.kill()


class _Servicer(taskmanager_pb2_grpc.TaskManagerServiceServicer):
    def __init__(self, tm: TaskManager) -> None:
        self.tm = tm

    def DeployTask(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ex = request.execution
        if not 0 <= request.slot_index < len(self.tm.workers):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"no slot {request.slot_index}")
        try:
            self.tm.deploy(request.slot_index,
                           (ex.job_id, ex.vertex_id, ex.subtask_index, ex.attempt),
                           request.descriptor)
        except ConnectionRefusedError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except OSError:
            context.abort(grpc.StatusCode.UNAVAILABLE,
                          f"the worker of slot {request.slot_index} is being replaced")
        return common_pb2.Empty()

    def CancelTask(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        self.tm.cancel((request.job_id, request.vertex_id, request.subtask_index, request.attempt))
        return common_pb2.Empty()

    def ReleaseJob(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        self.tm.release(request.job_id)
        return common_pb2.Empty()

    def TriggerCheckpoint(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        ex = request.execution
        self.tm.trigger_checkpoint((ex.job_id, ex.vertex_id, ex.subtask_index, ex.attempt),
                                   request.checkpoint_id, request.timestamp_ms,
                                   request.stop, request.drain)
        return common_pb2.Empty()

    def NotifyCheckpointComplete(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        self.tm.notify_checkpoint(request.execution.job_id, request.checkpoint_id, True)
        return common_pb2.Empty()

    def NotifyCheckpointAborted(self, request: Any, context: Any) -> Any:  # noqa: N802, D102
        self.tm.notify_checkpoint(request.execution.job_id, request.checkpoint_id, False)
        return common_pb2.Empty()


def _reap(w: _Worker, graceful: bool) -> None:
    """Stop a slot worker and wait for it (asking it first when ``graceful``)."""
    if graceful:
        try:
            w.send(("shutdown",))
        except OSError:
            pass
        try:
            w.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    if w.proc.poll() is None:
        w.proc.kill()
    w.proc.wait()
    w.conn.close()


def _signal_name(code: int | None) -> str:
    """`` (killed by SIGKILL)`` for a negative exit code, else nothing."""
    if code is None or code >= 0:
        return ""
    try:
        return f" (killed by {signal.Signals(-code).name})"
    except ValueError:
        return ""
