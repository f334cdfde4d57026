"""``flink-py`` against a real cluster: detached runs, ``list``, refused submissions,
slot-worker crashes and the cancellation watchdog.

One JobManager and one TaskManager with two slots serve the whole module; every
test starts from an idle cluster (all slots free, no running job).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import grpc
import pytest

from flink_py.client.context import set_context
from flink_py.common import Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.proto.flinkpy.v1 import jobmanager_pb2
from tests.conftest import REPO, ProcessCluster, remote_env, wait_until

TERMINAL = ("FINISHED", "FAILED", "CANCELED")
CANCEL_TIMEOUT_MS = 1000


def _line(job_id: str, name: str, state: str) -> str:
    """Flink's ``list`` line: ``dd.MM.yyyy HH:mm:ss : <job id> : <name> (<STATE>)``."""
    return rf"\d{{2}}\.\d{{2}}\.\d{{4}} \d{{2}}:\d{{2}}:\d{{2}} : {job_id} : {re.escape(name)} \({state}\)"


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def _job_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture(scope="module")
def module_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    cluster = ProcessCluster(tmp_path_factory.mktemp("cli-cluster"),
                             ["heartbeat.interval=200 ms", "heartbeat.timeout=2 s"])
    try:
        cluster.start_jobmanager()
        cluster.start_taskmanager("tm", 2, f"task.cancellation.timeout={CANCEL_TIMEOUT_MS} ms")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster(module_cluster: ProcessCluster) -> ProcessCluster:
    """The module's cluster, idle: both slots free and no job running."""
    client = module_cluster.client
    assert client is not None

    def idle() -> bool:
        overview = client.overview()
        return (overview.slots_total == 2 and overview.slots_available == 2
                and all(j.state in TERMINAL for j in client.list_jobs()))

    wait_until(idle, timeout=30, describe=module_cluster.logs)
    return module_cluster


def _endless_job(address: str, name: str, parallelism: int, stuck: bool = False) -> str:
    """Submit a job that runs until cancelled; returns its id."""
    from flink_py.datastream import StreamExecutionEnvironment
    from flink_py.datastream.connectors import NumberSequenceSource

    def hang(x: int) -> int:
        time.sleep(3600)  # ignores cancellation, like user code stuck in a call
        return x

    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(parallelism)
        ds = env.from_source(NumberSequenceSource(0, 10**12), None, "numbers")
        ds = ds.map(hang).name("Hang") if stuck else ds.map(lambda x: x + 1)
        ds.add_sink(lambda v, ctx: None)
        return env.execute_async(name).get_job_id()
    finally:
        set_context(None)


def _word_count_runs(address: str) -> None:
    """The cluster accepts and finishes a parallelism-2 job."""
    from flink_py.datastream import StreamExecutionEnvironment

    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(2)
        lines = ["a b a", "b a c"] * 20
        out = (env.from_collection(lines, type_info=Types.STRING())
               .flat_map(str.split, output_type=Types.STRING())
               .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
               .key_by(lambda t: t[0])
               .reduce(lambda a, b: (a[0], a[1] + b[1]))
               .execute_and_collect(limit=10_000))
    finally:
        set_context(None)
    final: dict[str, int] = {}
    for word, count in out:
        final[word] = max(final.get(word, 0), count)
    assert final == {"a": 60, "b": 40, "c": 20}


# -- refused submissions -----------------------------------------------------------------


@pytest.mark.slow
def test_version_mismatch_is_refused_by_the_jobmanager(cluster: ProcessCluster,
                                                       tmp_path: Path) -> None:
    client = cluster.client
    assert client is not None
    jobs_before = len(client.list_jobs())
    job = _job_file(tmp_path, "old_pickle.py", """
        import cloudpickle
        cloudpickle.__version__ = "0.0.1"  # pretend the client has another cloudpickle

        from flink_py.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1, 2]).print()
        env.execute("mismatch")
    """)
    res = _cli("run", "-m", cluster.address, str(job))
    assert res.returncode != 0
    assert (f"ValueError: cloudpickle version mismatch: the client has 0.0.1, the cluster has "
            f"{cloudpickle.__version__}; install the same version") in res.stderr
    assert "Traceback" not in res.stderr
    # A client on another Python version, straight at the gRPC API.
    req = jobmanager_pb2.SubmitJobRequest(job_graph=b"", python_version="2.7",
                                          cloudpickle_version=cloudpickle.__version__,
                                          job_name="py27")
    with pytest.raises(grpc.RpcError) as err:
        client.stub.SubmitJob(req, timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert err.value.details() == (  # type: ignore[attr-defined]
        f"Python version mismatch: the client runs Python 2.7, the cluster runs Python {here}; "
        "use the same version on both")
    assert len(client.list_jobs()) == jobs_before  # nothing was accepted


# -- run -d and list -----------------------------------------------------------------------


@pytest.mark.slow
def test_run_detached_returns_after_submission_and_list_shows_running_then_finished(
        cluster: ProcessCluster, tmp_path: Path) -> None:
    client = cluster.client
    assert client is not None
    flag = tmp_path / "go"
    job = _job_file(tmp_path, "gated.py", """
        import os
        import sys
        import time

        from flink_py.datastream import StreamExecutionEnvironment

        flag = sys.argv[1]

        def wait_for_flag(x):
            while not os.path.exists(flag):
                time.sleep(0.02)
            return x

        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1, 2, 3]).map(wait_for_flag).add_sink(lambda v, ctx: None)
        env.execute("gated job")
    """)
    res = _cli("run", "-m", cluster.address, "-d", str(job), str(flag))
    assert res.returncode == 0, res.stderr
    match = re.fullmatch(r"Job has been submitted with JobID ([0-9a-f]{32})\n", res.stdout)
    assert match, res.stdout
    job_id = match.group(1)
    # The CLI returned while the job cannot have finished: it waits for the flag file.
    assert client.get_job(job_id).info.state not in TERMINAL
    wait_until(lambda: client.get_job(job_id).info.state == "RUNNING")

    listing = _cli("list", "-m", cluster.address, "-a")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    running = _line(job_id, "gated job", "RUNNING")
    assert lines[:3] == ["Waiting for response...",
                         "------------------ Running/Restarting Jobs -------------------",
                         lines[2]]
    assert re.fullmatch(running, lines[2]), lines
    assert lines[3] == "-" * 62
    assert lines[4] == "No scheduled jobs."
    start = time.strftime("%d.%m.%Y %H:%M:%S",
                          time.localtime(client.get_job(job_id).info.start_time_ms / 1000))
    assert lines[2].startswith(start)

    flag.touch()
    wait_until(lambda: client.get_job(job_id).info.state == "FINISHED")
    listing = _cli("list", "-m", cluster.address, "-a")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[1:3] == ["No running jobs.", "No scheduled jobs."]
    assert lines[3] == "---------------------- Terminated Jobs -----------------------"
    finished = _line(job_id, "gated job", "FINISHED")
    assert any(re.fullmatch(finished, line) for line in lines[4:-1]), lines
    assert lines[-1] == "-" * 62
    # Without -a, Flink lists only running and scheduled jobs.
    plain = _cli("list", "-m", cluster.address)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines() == ["Waiting for response...", "No running jobs.",
                                         "No scheduled jobs."]


# -- process failures ----------------------------------------------------------------------


@pytest.mark.slow
def test_slot_worker_crash_fails_the_job_and_the_worker_is_replaced(
        cluster: ProcessCluster) -> None:
    client = cluster.client
    assert client is not None
    workers = cluster.slot_worker_pids("tm")
    assert len(workers) == 2
    job_id = _endless_job(cluster.address, "crash", parallelism=2)
    wait_until(lambda: [t.state for t in client.get_job(job_id).tasks] == ["RUNNING"] * 2)
    victim = workers[0]
    cluster_pid = cluster.procs["tm"].pid
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: client.get_job(job_id).info.state == "FAILED", timeout=15)
    cause = client.get_job(job_id).failure_cause
    assert re.fullmatch(r"The slot worker process of TaskManager tm-[0-9a-f]+ slot [01] exited "
                        r"with code -9 \(killed by SIGKILL\)", cause), cause
    # The TaskManager (still the same process) replaced the worker and offers the slot again.
    wait_until(lambda: (len(cluster.slot_worker_pids("tm")) == 2
                        and victim not in cluster.slot_worker_pids("tm")), timeout=30)
    assert cluster.procs["tm"].pid == cluster_pid and cluster.procs["tm"].poll() is None
    wait_until(lambda: client.overview().slots_available == 2, timeout=30)
    _word_count_runs(cluster.address)


@pytest.mark.slow
def test_task_ignoring_cancellation_gets_its_worker_killed_after_the_timeout(
        cluster: ProcessCluster) -> None:
    client = cluster.client
    assert client is not None
    job_id = _endless_job(cluster.address, "stuck", parallelism=1, stuck=True)
    wait_until(lambda: [t.state for t in client.get_job(job_id).tasks] == ["RUNNING"])
    before = set(cluster.slot_worker_pids("tm"))
    cancelled_at = time.monotonic()
    res = _cli("cancel", "-m", cluster.address, job_id)
    assert res.returncode == 0, res.stderr
    assert f"Cancelled job {job_id}." in res.stdout
    # The task sleeps in user code: only the watchdog can end it.
    wait_until(lambda: client.get_job(job_id).info.state == "CANCELED", timeout=20,
               describe=cluster.logs)
    assert time.monotonic() - cancelled_at >= CANCEL_TIMEOUT_MS / 1000 * 0.9
    assert re.search(r"Task 'Source: numbers -> Hang -> Sink: Unnamed \(1/1\)' did not stop "
                     r"within task\.cancellation\.timeout \(1000 ms\) after it was cancelled; "
                     r"killed slot worker [01] of TaskManager tm-[0-9a-f]+", cluster.logs())
    # Exactly the stuck worker was replaced.
    wait_until(lambda: (len(cluster.slot_worker_pids("tm")) == 2
                        and len(set(cluster.slot_worker_pids("tm")) - before) == 1), timeout=30)
    assert len(before - set(cluster.slot_worker_pids("tm"))) == 1
    wait_until(lambda: client.overview().slots_available == 2, timeout=30)
    _word_count_runs(cluster.address)


def test_task_cancellation_timeout_option_has_flinks_default() -> None:
    assert FlinkConfig().get("task.cancellation.timeout") == 180_000
    assert FlinkConfig.from_dict({"task.cancellation.timeout": "1 s"}).get(
        "task.cancellation.timeout") == 1000


# -- bad input that needs no cluster -----------------------------------------------------


def test_run_unpicklable_function_prints_one_line_naming_the_operator(tmp_path: Path) -> None:
    job = _job_file(tmp_path, "locked.py", """
        import threading

        from flink_py.datastream import StreamExecutionEnvironment

        lock = threading.Lock()
        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1]).map(lambda x: (lock, x)).name("Locker").print()
        env.execute()
    """)
    res = _cli("run", str(job))
    assert res.returncode != 0
    errors = [line.strip() for line in res.stderr.splitlines()
              if line.strip() and "-----" not in line]
    assert errors[0] == "The program finished with the following exception:"
    assert len(errors) == 2, res.stderr
    assert errors[1].startswith("GraphError: ") and "'Locker'" in errors[1]
    assert "cannot pickle '_thread.lock'" in errors[1]


def test_run_keeps_the_traceback_of_errors_raised_by_the_job_itself(tmp_path: Path) -> None:
    job = _job_file(tmp_path, "raises.py", """
        def build():
            raise ValueError("the job's own bad argument")

        build()
    """)
    res = _cli("run", str(job))
    assert res.returncode != 0
    assert "Traceback (most recent call last):" in res.stderr
    assert "raises.py" in res.stderr and "ValueError: the job's own bad argument" in res.stderr


@pytest.mark.parametrize("verb", [["list"], ["cancel", "0" * 32], ["run", "examples/word_count.py"]])
def test_unreachable_jobmanager_fails_fast_with_one_line(verb: list[str]) -> None:
    started = time.monotonic()
    res = _cli(verb[0], "-m", "127.0.0.1:1", *verb[1:])
    assert res.returncode != 0
    errors = [line.strip() for line in res.stderr.splitlines()
              if line.strip() and "-----" not in line]
    assert errors == ["The program finished with the following exception:",
                      "Could not connect to the JobManager at 127.0.0.1:1: Connection refused; "
                      "is it running?"], res.stderr
    assert time.monotonic() - started < 8  # refused at once, not after the 10 s connect timeout


@pytest.mark.slow
def test_run_detached_without_a_cluster_runs_attached_on_the_embedded_one() -> None:
    res = _cli("run", "-d", "examples/word_count.py")
    assert res.returncode == 0, res.stderr
    assert "Detached mode needs a running cluster" in res.stderr
    assert "(to,6)" in res.stdout.splitlines()
    assert "Program execution finished" in res.stdout
