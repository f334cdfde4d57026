"""Talking to a JobManager: submit, wait, list, cancel, collect results."""

from __future__ import annotations

import pickle
import queue
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import cloudpickle
import grpc

from flink_py.common.runtime.jobgraph import JobGraph
from flink_py.common.runtime.rpc import channel_options
from flink_py.proto.flinkpy.v1 import common_pb2, jobmanager_pb2, jobmanager_pb2_grpc

__all__ = [
    "ClusterClient",
    "CollectIterator",
    "JobExecutionException",
    "JobInfo",
    "JobStatus",
    "JobManagerUnreachable",
]

TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED"})


class JobExecutionException(RuntimeError):
    """The job did not finish successfully.

    Attributes:
        job_id: the job.
        state: its terminal state.
        cause: the one-line cause (failing operator and subtask).
        user_traceback: the user's Python traceback, if a function failed.
    """

    def __init__(self, job_id: str, state: str, cause: str, user_traceback: str = "") -> None:
        text = f"Job {job_id} {state.lower()}: {cause}" if cause else f"Job {job_id} {state.lower()}"
        if user_traceback:
            text += "\n" + user_traceback.rstrip()
        super().__init__(text)
        self.job_id = job_id
        self.state = state
        self.cause = cause
        self.user_traceback = user_traceback


class JobManagerUnreachable(ConnectionError):
    """No JobManager answers at the given address."""


class JobStatus:
    """Job state names (Flink's JobStatus)."""

    CREATED = "CREATED"
    RUNNING = "RUNNING"
    FAILING = "FAILING"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELED = "CANCELED"
    FINISHED = "FINISHED"


class JobInfo:
    """One line of ``flink-py list``."""

    def __init__(self, pb: Any) -> None:
        self.job_id: str = pb.job_id
        self.name: str = pb.name
        self.state: str = pb.state
        self.start_time_ms: int = pb.start_time_ms
        self.end_time_ms: int = pb.end_time_ms

    def __repr__(self) -> str:
        return f"JobInfo({self.job_id}, {self.name!r}, {self.state})"


class ClusterClient:
    """A gRPC client of one JobManager."""

    def __init__(self, address: str, connect_timeout: float = 10.0) -> None:
        self.address = address
        _probe(address, connect_timeout)
        self._channel = grpc.insecure_channel(address, options=channel_options())
        self.stub = jobmanager_pb2_grpc.JobManagerServiceStub(self._channel)
        # A first call that waits for the connection. (grpc.channel_ready_future
        # would leave a connectivity poller behind that makes close() block
        # for ~200 ms.)
        try:
            self.stub.GetClusterOverview(common_pb2.Empty(), timeout=connect_timeout,
                                         wait_for_ready=True)
        except grpc.RpcError as exc:
            self._channel.close()
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED:  # type: ignore[attr-defined]
                raise JobManagerUnreachable(
                    f"JobManager at {address} failed: {exc.details()}") from exc  # type: ignore[attr-defined]
            msg = (f"Could not connect to the JobManager at {address} "
                   f"(no answer within {connect_timeout:g} s); is it running?")
            raise JobManagerUnreachable(msg) from exc

    def close(self) -> None:
        """Close the connection."""
        self._channel.close()

    def __enter__(self) -> ClusterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, request: Any, timeout: float = 30.0) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
            details = exc.details()  # type: ignore[attr-defined]
            if code == grpc.StatusCode.UNAVAILABLE:
                msg = f"The JobManager at {self.address} is unreachable: {details}"
                raise JobManagerUnreachable(msg) from None
            if code == grpc.StatusCode.NOT_FOUND:
                raise KeyError(details) from None
            if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
                raise ValueError(details) from None
            raise

    def submit(self, graph: JobGraph) -> str:
        """Submit a job; returns its id."""
        req = jobmanager_pb2.SubmitJobRequest(
            job_graph=cloudpickle.dumps(graph),
            python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
            cloudpickle_version=cloudpickle.__version__, job_name=graph.name)
        return self._call("SubmitJob", req, timeout=60).job_id

    def list_jobs(self) -> list[JobInfo]:
        """All jobs the JobManager knows."""
        return [JobInfo(j) for j in self._call("ListJobs", common_pb2.Empty()).jobs]

    def get_job(self, job_id: str) -> Any:
        """Job details (protobuf JobDetails)."""
        return self._call("GetJob", common_pb2.JobId(job_id=job_id))

    def cancel(self, job_id: str) -> None:
        """Cancel a job."""
        self._call("CancelJob", common_pb2.JobId(job_id=job_id))

    def trigger_savepoint(self, job_id: str, target_directory: str | None = None,
                          timeout: float = 600.0) -> str:
        """Take a savepoint of a running job; its path (``run -s PATH`` restores it).

        Raises:
            KeyError: unknown job.
            ValueError: no directory, job not running, or the savepoint failed.
        """
        req = jobmanager_pb2.SavepointRequest(job_id=job_id, target_directory=target_directory
                                              or "", timeout_ms=int(timeout * 1000))
        return self._call("TriggerSavepoint", req, timeout=timeout + 30).path

    def stop_with_savepoint(self, job_id: str, target_directory: str | None = None,
                            drain: bool = False, timeout: float = 600.0) -> str:
        """Take a savepoint, then end the job (FINISHED); ``drain`` emits the maximum
        watermark first (event-time windows and timers fire). Returns the path."""
        req = jobmanager_pb2.SavepointRequest(job_id=job_id, target_directory=target_directory
                                              or "", drain=drain,
                                              timeout_ms=int(timeout * 1000))
        return self._call("StopWithSavepoint", req, timeout=timeout + 30).path

    def trigger_checkpoint(self, job_id: str, full: bool = False,
                           timeout: float = 600.0) -> tuple[int, str]:
        """Take a manual checkpoint of a running job (``full``: self-contained, even with
        incremental snapshots); its id and ``chk-<n>`` directory (``run -s PATH`` restores it).

        Raises:
            KeyError: unknown job.
            ValueError: job not running, no checkpoint directory, or the checkpoint failed
                (declined, expired) or did not complete within ``timeout``.
        """
        req = jobmanager_pb2.CheckpointRequest(job_id=job_id, full=full,
                                               timeout_ms=int(timeout * 1000))
        resp = self._call("TriggerCheckpoint", req, timeout=timeout + 30)
        return resp.checkpoint_id, resp.path

    def dispose_savepoint(self, path: str) -> None:
        """Delete a savepoint directory."""
        self._call("DisposeSavepoint", jobmanager_pb2.DisposeSavepointRequest(path=path))

    def overview(self) -> Any:
        """Cluster overview (TaskManagers and slots)."""
        return self._call("GetClusterOverview", common_pb2.Empty())

    def wait(self, job_id: str, timeout: float | None = None) -> Any:
        """Wait until the job is terminal; raise if it did not finish.

        Uses the JobManager's long-poll, so the answer comes as soon as the
        job ends.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 30.0 if deadline is None else max(0.0, min(30.0, deadline - time.monotonic()))
            req = jobmanager_pb2.WaitJobRequest(job_id=job_id, timeout_ms=int(step * 1000))
            details = self._call("WaitJob", req, timeout=step + 30)
            if details.info.state in TERMINAL:
                if details.info.state != "FINISHED":
                    raise JobExecutionException(job_id, details.info.state,
                                                details.failure_cause, details.failure_traceback)
                return details
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {job_id} still {details.info.state}")

    def fetch_collect(self, job_id: str, collect_id: str, wait_ms: int = 500) -> Any:
        """One long-poll for results of an execute_and_collect sink."""
        req = jobmanager_pb2.FetchCollectRequest(job_id=job_id, collect_id=collect_id,
                                                 max_batches=16, wait_ms=wait_ms)
        return self._call("FetchCollectBatches", req, timeout=wait_ms / 1000 + 30)


def _probe(address: str, timeout: float) -> None:
    """Fail fast when nothing listens at ``host:port``.

    gRPC would keep retrying a refused connection until the timeout.
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return  # a gRPC target URI rather than host:port: let gRPC resolve it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        msg = f"Could not connect to the JobManager at {address}: {reason}; is it running?"
        raise JobManagerUnreachable(msg) from None


#: ``close`` of iterators dropped unclosed, run by one long-lived thread: a
#: finalizer may run inside any code (even while the threading module holds
#: its own locks), so it must neither block nor start a thread itself.
_unclosed: queue.SimpleQueue[Any] = queue.SimpleQueue()
_closer_lock = threading.Lock()
_closer: threading.Thread | None = None


def _close_dropped() -> None:
    while True:
        close = _unclosed.get()
        try:
            close()
        except Exception:  # noqa: BLE001, S110 - nobody is left to tell
            pass


def _start_closer() -> None:
    global _closer  # one thread per process
    with _closer_lock:
        if _closer is None:
            _closer = threading.Thread(target=_close_dropped, name="collect-closer", daemon=True)
            _closer.start()


class CollectIterator:
    """Records of an ``execute_and_collect`` job, streamed to the client.

    Iterate over it, or use it as a context manager; :meth:`close` cancels
    the job if it is still running. When the job fails, iteration raises
    :class:`JobExecutionException`. An iterator dropped without being closed
    is closed in the background.
    """

    def __init__(self, client: ClusterClient, job_id: str, collect_id: str,
                 on_close: Any = None) -> None:
        _start_closer()
        self.client = client
        self.job_id = job_id
        self.collect_id = collect_id
        self._on_close = on_close
        self._buffer: list[Any] = []
        self._pos = 0
        self._done = False
        self._closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def next(self) -> Any:
        """The next record (PyFlink's ``CloseableIterator.next``); StopIteration at the end."""
        return self.__next__()

    def __next__(self) -> Any:
        while self._pos >= len(self._buffer):
            if self._done or self._closed:
                raise StopIteration
            self._fill()
        value = self._buffer[self._pos]
        self._pos += 1
        return value

    def _fill(self) -> None:
        try:
            resp = self.client.fetch_collect(self.job_id, self.collect_id)
        except ValueError as exc:  # the results cannot be delivered (a restart without
            self.close()           # checkpointing after results were returned): as Flink
            raise RuntimeError(f"Collecting the results of job {self.job_id} failed: "
                               f"{exc}") from None
        if resp.payloads:
            self._buffer = [v for p in resp.payloads for v in pickle.loads(p)]
            self._pos = 0
            return
        if resp.finished:
            self._done = True
            try:  # surface a failure; a finished job simply ends the iteration
                self.client.wait(self.job_id)
            finally:
                self.close()

    def close(self) -> None:
        """Stop consuming; cancel the job if it still runs."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._done:
                try:
                    state = self.client.get_job(self.job_id).info.state
                    if state not in TERMINAL:
                        self.client.cancel(self.job_id)
                except (KeyError, JobManagerUnreachable):
                    pass
        finally:
            if self._on_close is not None:
                self._on_close()

    def __enter__(self) -> CollectIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not self._closed and self._on_close is not None:
            _unclosed.put(self.close)  # SimpleQueue.put is safe in a finalizer
