"""Real processes: a JobManager and TaskManagers started with port 0."""

from __future__ import annotations

import collections
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flink_py.client.cluster_client import JobExecutionException
from flink_py.client.context import set_context
from flink_py.common import Types
from tests.conftest import REPO, ProcessCluster, remote_env, wait_until

pytestmark = pytest.mark.slow

LINES = ["a b c a", "b a d", "e f a b"] * 50


def _word_count(env, lines):  # noqa: ANN001, ANN202
    return (env.from_collection(lines, type_info=Types.STRING())
            .flat_map(lambda line: line.split(), output_type=Types.STRING())
            .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
            .key_by(lambda t: t[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1])))


def _expected(lines: list[str]) -> dict[str, int]:
    return dict(collections.Counter(w for line in lines for w in line.split()))


def test_word_count_parallelism_2_on_two_taskmanagers(process_cluster: ProcessCluster) -> None:
    from flink_py.datastream import StreamExecutionEnvironment

    address = process_cluster.start_jobmanager()
    process_cluster.start_taskmanager("tm1")
    process_cluster.start_taskmanager("tm2")
    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(2)
        final: dict[str, int] = {}
        with _word_count(env, LINES).execute_and_collect() as results:
            for word, count in results:
                final[word] = max(final.get(word, 0), count)
    finally:
        set_context(None)
    assert final == _expected(LINES)
    client = process_cluster.client
    assert client is not None
    job = client.list_jobs()[0]
    details = client.get_job(job.job_id)
    assert details.info.state == "FINISHED"
    assert {t.tm_id for t in details.tasks} == {t.tm_id for t in client.overview().taskmanagers}
    assert len({t.tm_id for t in details.tasks}) == 2  # both TaskManagers were used
    assert client.overview().slots_available == 2


def test_cancel_frees_slots_and_sigkill_fails_job_within_heartbeat_timeout(
        process_cluster: ProcessCluster) -> None:
    from flink_py.datastream import StreamExecutionEnvironment
    from flink_py.datastream.connectors import NumberSequenceSource

    address = process_cluster.start_jobmanager()
    process_cluster.start_taskmanager("tm1")
    process_cluster.start_taskmanager("tm2")
    client = process_cluster.client
    assert client is not None
    remote_env(address)
    try:
        def endless_job() -> str:
            env = StreamExecutionEnvironment.get_execution_environment()
            env.set_parallelism(2)
            (env.from_source(NumberSequenceSource(0, 10**12), None, "numbers")
             .map(lambda x: x * 2).key_by(lambda x: x % 7).reduce(lambda a, b: a + b)
             .add_sink(lambda v, ctx: None))
            return env.execute_async("endless").get_job_id()

        job_id = endless_job()
        wait_until(lambda: client.get_job(job_id).info.state == "RUNNING"
                   and all(t.state == "RUNNING" for t in client.get_job(job_id).tasks))
        assert client.overview().slots_available == 0
        client.cancel(job_id)
        wait_until(lambda: client.get_job(job_id).info.state == "CANCELED")
        wait_until(lambda: client.overview().slots_available == 2)

        job_id = endless_job()
        wait_until(lambda: all(t.state == "RUNNING" for t in client.get_job(job_id).tasks))
        process_cluster.kill("tm2")
        # heartbeat.timeout is 2 s in this fixture; allow generous scheduling slack.
        wait_until(lambda: client.get_job(job_id).info.state == "FAILED", timeout=15)
        cause = client.get_job(job_id).failure_cause
        assert "lost" in cause, cause
        wait_until(lambda: len(client.overview().taskmanagers) == 1, timeout=15)
        # The cluster accepts the next job on the remaining TaskManager.
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        out = _word_count(env, LINES).execute_and_collect(limit=10_000)
        assert max(c for w, c in out if w == "a") == _expected(LINES)["a"]
    finally:
        set_context(None)


def test_too_few_slots_fails_with_counts(process_cluster: ProcessCluster) -> None:
    from flink_py.datastream import StreamExecutionEnvironment

    address = process_cluster.start_jobmanager("slot.request.timeout=1 s")
    process_cluster.start_taskmanager("tm1")
    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(3)
        _word_count(env, LINES).add_sink(lambda v, c: None)
        with pytest.raises(JobExecutionException, match="not enough slots: need 3, available 1"):
            env.execute("too big")
    finally:
        set_context(None)


def _run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_run_list_cancel_against_cluster(process_cluster: ProcessCluster,
                                             tmp_path: Path) -> None:
    address = process_cluster.start_jobmanager()
    process_cluster.start_taskmanager("tm1", 2)
    res = _run_cli("run", "-m", address, "-p", "2", "examples/word_count.py")
    assert res.returncode == 0, res.stderr
    assert "Job has been submitted with JobID " in res.stdout
    # print() goes to the TaskManager's stdout in cluster mode, like Flink.
    wait_until(lambda: "(to,6)" in process_cluster.logs())
    listing = _run_cli("list", "-m", address, "-a")
    assert listing.returncode == 0, listing.stderr
    assert ": WordCount (FINISHED)" in listing.stdout
    failing = tmp_path / "failing.py"
    failing.write_text(textwrap.dedent("""
        from flink_py.datastream import StreamExecutionEnvironment

        def explode(x):
            if x == 3:
                raise ValueError("bad record 3")
            return x

        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection([1, 2, 3]).map(explode).name("Exploder").print()
        env.execute("failing")
    """))
    res = _run_cli("run", "-m", address, str(failing))
    assert res.returncode != 0
    assert "in operator 'Exploder'" in res.stderr and "subtask 1/1" in res.stderr
    assert "ValueError: bad record 3" in res.stderr and "failing.py" in res.stderr
    res = _run_cli("cancel", "-m", address, "0" * 32)
    assert res.returncode != 0 and "not found" in res.stderr
