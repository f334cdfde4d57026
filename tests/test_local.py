"""The embedded local cluster and the client's error messages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from flink_py.client.graph import GraphError
from flink_py.common import CompletableFuture, JobStatus, Types
from tests.conftest import REPO


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_make_run_example_prints_counts_on_local_cluster() -> None:
    res = _cli("run", "examples/word_count.py")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "(to,1)" in lines and "(to,6)" in lines and "(be,2)" in lines
    assert lines.index("(to,1)") < lines.index("(to,6)")
    assert res.stdout.startswith("Job has been submitted with JobID ")


@pytest.mark.slow
def test_python_job_py_runs_locally_and_execute_and_collect(local_env: None) -> None:
    from flink_py.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    ds = env.from_collection(["x y", "y"], type_info=Types.STRING()).flat_map(
        str.split, output_type=Types.STRING())
    with ds.execute_and_collect() as it:
        assert sorted(it) == ["x", "y", "y"]


def test_unpicklable_function_fails_in_client_naming_operator(local_env: None) -> None:
    from flink_py.datastream import StreamExecutionEnvironment

    lock = threading.Lock()
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1]).map(lambda x: (lock, x)).name("Locker").print()
    with pytest.raises(GraphError, match="operator 'Locker'.*cannot pickle '_thread.lock'"):
        env.execute()


def test_forward_with_different_parallelism_is_rejected(local_env: None) -> None:
    from flink_py.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1]).forward().map(lambda x: x).set_parallelism(2).print()
    with pytest.raises(GraphError, match="Forward partitioning does not allow change"):
        env.execute()


def test_chaining_and_parallelism_precedence(local_env: None) -> None:
    from flink_py.client.context import current_context
    from flink_py.datastream import StreamExecutionEnvironment

    current_context().parallelism = 3  # flink-py run -p 3
    env = StreamExecutionEnvironment.get_execution_environment()
    ds = env.from_collection(["a"]).map(lambda x: x).map(lambda x: x).set_parallelism(2)
    ds.key_by(lambda x: x).reduce(lambda a, b: a).print()
    graph = env.get_stream_graph_job("j")
    names = [(v.name, v.parallelism) for v in graph.vertices]
    # from_collection is non-parallel; the first map gets -p 3; the second map is set to 2.
    assert names == [("Source: Collection Source", 1), ("Map", 3), ("Map", 2),
                     ("Keyed Reduce -> Sink: Print to Std. Out", 3)]
    env.set_parallelism(4)  # environment beats -p
    env.from_collection(["a"]).map(lambda x: x).map(lambda x: x).print()
    graph = env.get_stream_graph_job("j")
    assert [(v.name, v.parallelism) for v in graph.vertices] == [
        ("Source: Collection Source", 1), ("Map -> Map -> Sink: Print to Std. Out", 4)]
    assert graph.total_slots() == 4


def test_job_file_without_execute_and_unreachable_jobmanager(tmp_path: Path) -> None:
    job = tmp_path / "noexec.py"
    job.write_text(textwrap.dedent("""
        from flink_py.datastream import StreamExecutionEnvironment
        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1, 2]).print()
    """))
    res = _cli("run", str(job))
    assert res.returncode != 0
    assert f"The job file '{job}' did not submit a job" in res.stderr
    res = _cli("run", "-m", "127.0.0.1:1", "examples/word_count.py")
    assert res.returncode != 0
    assert "Could not connect to the JobManager at 127.0.0.1:1" in res.stderr
    res = _cli("run", "-D", "taskmanager.numberOfTaskSlots=abc", "examples/word_count.py")
    assert res.returncode != 0
    assert "taskmanager.numberOfTaskSlots" in res.stderr


def test_batch_pacer_shrinks_calls_of_a_slow_chain_and_grows_back() -> None:
    from flink_py.taskmanager.task import BatchPacer

    pacer = BatchPacer(1024, target_s=0.05)
    assert pacer.rows == 1  # starts small: the first call of a slow chain is short too
    for _ in range(12):
        pacer.record(pacer.rows, 0.001)
    assert pacer.rows == 1024  # fast: full batches
    pacer.record(1024, 1.0)  # ~1 ms per record
    assert pacer.rows == 51  # about 50 ms per call
    pacer.record(51, 0.03)
    assert pacer.rows == 51  # within the target: unchanged


@pytest.mark.slow
@pytest.mark.parametrize("shuffled", [False, True])
def test_cancel_stops_a_slow_chain_between_records(local_env: None, shuffled: bool) -> None:
    """A map that takes 20 ms per record: cancelling must not wait for a whole batch
    of 1024 records (20 s), as Flink cancels between records -- chained to the source or
    behind a channel, and also when the cancellation overtakes the task's deployment."""
    import time

    from flink_py.datastream import StreamExecutionEnvironment
    from tests.conftest import wait_until

    env = StreamExecutionEnvironment.get_execution_environment()
    numbers = env.from_collection(list(range(3000)), type_info=Types.INT())
    if shuffled:
        numbers = numbers.rebalance()
    (numbers.map(lambda v: time.sleep(0.02) or v, output_type=Types.INT())
     .add_sink(lambda v, ctx: None))
    client = env.execute_async("slow chain")
    wait_until(lambda: client.get_job_status().result() is JobStatus.RUNNING)
    started = time.monotonic()
    client.cancel().result()
    wait_until(lambda: client.get_job_status().result() is JobStatus.CANCELED, timeout=15,
               describe=lambda: client.get_job_status().result())
    assert time.monotonic() - started < 5


def test_job_client_calls_return_futures_as_in_pyflink(local_env: None) -> None:
    from flink_py.client.cluster_client import JobExecutionException
    from flink_py.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection(list(range(3000)), type_info=Types.INT()) \
        .map(lambda v: time.sleep(0.02) or v, output_type=Types.INT()).add_sink(lambda v, c: None)
    client = env.execute_async("futures")
    result = client.get_job_execution_result()
    assert isinstance(result, CompletableFuture) and not result.done()
    assert client.get_job_status().result() in (JobStatus.CREATED, JobStatus.RUNNING)
    client.cancel().result()
    with pytest.raises(JobExecutionException, match="canceled"):
        result.result()
    assert result.done() and isinstance(result.exception(), JobExecutionException)
    assert client.get_job_execution_result() is result

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 2], type_info=Types.INT()).add_sink(lambda v, c: None)
    done = env.execute_async("finishes").get_job_execution_result().result()
    assert len(done.get_job_id()) == 32 and done.get_net_runtime() >= 0
