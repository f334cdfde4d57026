"""A TaskManager that loses its JobManager cancels its tasks and frees its slots.

Flink: when the JobManager's heartbeat times out, the TaskManager fails every
task of that JobManager's jobs, releases their partitions and slots, and only
then offers its slots again. Without that, orphaned tasks keep running (and
writing) after a JobManager crash, next to whatever a new JobManager deploys
into the "free" slot.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
from flink_py.client.cluster_client import ClusterClient
from flink_py.common import Types, WatermarkStrategy
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.taskmanager.server import JobManagerMonitor, describe_rpc_error

from tests.api_support import by_value
from tests.conftest import ProcessCluster, remote_env, wait_until

by_value(__name__)


# -- the liveness rule, without sockets ---------------------------------------
def test_monitor_declares_the_jobmanager_lost_once_after_the_timeout() -> None:
    mon = JobManagerMonitor(timeout_s=2.0, now=10.0)
    assert mon.connected
    assert not mon.failed(11.0)  # silent for 1 s: not yet
    assert not mon.failed(11.9)
    assert mon.failed(12.1)  # silent for more than heartbeat.timeout: lost, once
    assert not mon.connected and mon.silence_ms(12.1) == 2100
    assert not mon.failed(13.0)  # already lost
    mon.contact(20.0)  # registered again
    assert mon.connected and not mon.failed(21.0)
    assert mon.failed(22.5)


def test_a_successful_heartbeat_restarts_the_timeout() -> None:
    mon = JobManagerMonitor(timeout_s=2.0, now=0.0)
    assert not mon.failed(1.5)
    mon.contact(1.8)
    assert not mon.failed(3.5)
    assert mon.failed(3.9)


def test_rpc_errors_are_described_on_one_line() -> None:
    import grpc

    class _Err(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.UNAVAILABLE

        def details(self) -> str:
            return "failed to connect to all addresses;\n last error: Connection refused"

    text = describe_rpc_error(_Err())
    assert "\n" not in text
    assert text.startswith("UNAVAILABLE") and "Connection refused" in text


# -- real processes ------------------------------------------------------------
def _endless_job(out: Path, name: str) -> StreamExecutionEnvironment:
    path = str(out)

    def slow(x: int) -> int:
        time.sleep(0.05)
        with open(path, "a") as f:
            f.write(f"{os.getpid()} {x}\n")
        return x

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.from_source(NumberSequenceSource(0, 10**9), WatermarkStrategy.no_watermarks(), name)
     .map(slow, output_type=Types.LONG())
     .filter(lambda x: x < 0)
     .print())
    return env


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _all_slots_free(client: ClusterClient, slots: int) -> bool:
    """One TaskManager registered, offering ``slots`` slots, all free."""
    ov = client.overview()
    return len(ov.taskmanagers) == 1 and ov.slots_total == slots == ov.slots_available


class _Stalled:
    """Truthy once ``path`` has not grown for ``quiet_s`` (observed by polling)."""

    def __init__(self, path: Path, quiet_s: float) -> None:
        self.path, self.quiet_s = path, quiet_s
        self.size, self.since = _size(path), time.monotonic()

    def __call__(self) -> bool:
        size, now = _size(self.path), time.monotonic()
        if size != self.size:
            self.size, self.since = size, now
        return now - self.since >= self.quiet_s


@pytest.mark.slow
def test_tasks_stop_when_the_jobmanager_dies_and_slots_come_back_free(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 1)
    client = cluster.client
    assert client is not None
    out = tmp_path / "orphan.txt"
    remote_env(cluster.address)
    try:
        job_id = _endless_job(out, "endless").execute_async("endless").get_job_id()
        wait_until(lambda: _size(out) > 0 and client.get_job(job_id).info.state == "RUNNING",
                   timeout=60, describe=cluster.logs)
        wait_until(lambda: out.read_text().count("\n") >= 5, timeout=30, describe=cluster.logs)
        workers = cluster.slot_worker_pids("tm")

        cluster.kill("jobmanager", signal.SIGKILL)
        killed_at = time.monotonic()
        # The task stops: after heartbeat.timeout (2 s) the TaskManager cancels it.
        stalled = _Stalled(out, quiet_s=1.5)
        wait_until(stalled, timeout=20, interval=0.1,
                   describe=lambda: f"{_size(out)} bytes\n{cluster.logs()}")
        assert stalled.since - killed_at < 8.0, "the task ran on well past heartbeat.timeout"
        tm_log = (tmp_path / "tm.log").read_text()
        lost = re.findall(r"JobManager \S+ lost \(no heartbeat for (\d+) ms\): "
                          r"cancelling (\d+) tasks?", tm_log)
        assert len(lost) == 1, tm_log[-4000:]
        assert int(lost[0][0]) >= 2000 and int(lost[0][1]) >= 1
        assert "Traceback" not in tm_log and "debug_error_string" not in tm_log
        # Cooperative cancellation: the slot worker was not killed.
        assert cluster.slot_worker_pids("tm") == workers
        stopped_size = _size(out)

        # A new JobManager on the same port: the TaskManager offers its (free) slot again.
        cluster.restart_jobmanager()
        client = cluster.client
        assert client is not None

        wait_until(lambda: _all_slots_free(client, 1), timeout=30,
                   describe=lambda: f"{client.overview()}\n{cluster.logs()}")

        # A new job runs in that slot, alone.
        remote_env(cluster.address)
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        with env.from_collection([1, 2, 3], Types.INT()).map(
                lambda x: x * 10, Types.INT()).execute_and_collect() as results:
            assert sorted(results) == [10, 20, 30]
        assert _size(out) == stopped_size, "the orphaned task wrote again"
        assert cluster.slot_worker_pids("tm") == workers
    finally:
        from flink_py.client.context import set_context

        set_context(None)


def _stuck_job(out: Path) -> StreamExecutionEnvironment:
    path = str(out)

    def stuck(x: int) -> int:
        with open(path, "a") as f:
            f.write(f"{os.getpid()} {x}\n")
        time.sleep(3600)  # ignores cancellation
        return x

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.from_source(NumberSequenceSource(0, 10**9), WatermarkStrategy.no_watermarks(), "stuck")
     .map(stuck, output_type=Types.LONG())
     .filter(lambda x: x < 0)
     .print())
    return env


@pytest.mark.slow
def test_a_task_ignoring_cancellation_after_jobmanager_loss_gets_its_worker_replaced(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 1, "task.cancellation.timeout=2 s")
    client = cluster.client
    assert client is not None
    out = tmp_path / "stuck.txt"
    remote_env(cluster.address)
    try:
        job_id = _stuck_job(out).execute_async("stuck").get_job_id()
        wait_until(lambda: _size(out) > 0 and client.get_job(job_id).info.state == "RUNNING",
                   timeout=60, describe=cluster.logs)
        workers = cluster.slot_worker_pids("tm")
        assert len(workers) == 1 and str(workers[0]) in out.read_text()

        cluster.kill("jobmanager", signal.SIGKILL)
        # heartbeat.timeout (2 s), then task.cancellation.timeout (2 s): the worker is
        # killed and replaced although no JobManager is there to register with.
        def replaced() -> bool:
            pids = cluster.slot_worker_pids("tm")
            return len(pids) == 1 and pids != workers

        wait_until(replaced, timeout=30, interval=0.1, describe=cluster.logs)
        tm_log = (tmp_path / "tm.log").read_text()
        assert "cancelling 1 task" in tm_log
        assert "did not stop within task.cancellation.timeout" in tm_log

        cluster.restart_jobmanager()
        client = cluster.client
        assert client is not None
        wait_until(lambda: _all_slots_free(client, 1), timeout=30, describe=cluster.logs)
        remote_env(cluster.address)
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        with env.from_collection([1, 2], Types.INT()).map(
                lambda x: x + 1, Types.INT()).execute_and_collect() as results:
            assert sorted(results) == [2, 3]
    finally:
        from flink_py.client.context import set_context

        set_context(None)


@pytest.mark.slow
def test_a_jobmanager_restarted_within_the_timeout_also_orphans_the_tasks(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    """The new JobManager answers "unknown TaskManager" before heartbeat.timeout."""
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 1, "heartbeat.timeout=60 s")
    client = cluster.client
    assert client is not None
    out = tmp_path / "orphan.txt"
    remote_env(cluster.address)
    try:
        job_id = _endless_job(out, "endless").execute_async("endless").get_job_id()
        wait_until(lambda: _size(out) > 0 and client.get_job(job_id).info.state == "RUNNING",
                   timeout=60, describe=cluster.logs)
        cluster.kill("jobmanager", signal.SIGKILL)
        cluster.restart_jobmanager()
        client = cluster.client
        assert client is not None
        wait_until(_Stalled(out, quiet_s=1.5), timeout=30, interval=0.1, describe=cluster.logs)
        assert "does not know this TaskManager (it restarted or timed it out): cancelling 1 task" \
            in (tmp_path / "tm.log").read_text()
        wait_until(lambda: _all_slots_free(client, 1), timeout=30, describe=cluster.logs)
        stopped_size = _size(out)
        remote_env(cluster.address)
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        with env.from_collection([5], Types.INT()).map(
                lambda x: x * 2, Types.INT()).execute_and_collect() as results:
            assert list(results) == [10]
        assert _size(out) == stopped_size
    finally:
        from flink_py.client.context import set_context

        set_context(None)
