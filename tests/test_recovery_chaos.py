"""Acceptance: failover from checkpoints gives exactly the output of a failure-free run.

A keyed running sum (parallelism 2) over replayable files, checkpointed every
500 ms, written by an exactly-once FileSink. The expected output is what a
failure-free run commits: per key, every prefix sum of its values in file
order (each key lives in one file, so its order is deterministic).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flink_py.client.cluster_client import JobExecutionException
from flink_py.common import Configuration, Encoder, Types
from flink_py.datastream import MapFunction, StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import (
    FileSink,
    FileSource,
    StreamFormat,
)

from tests.api_support import (
    by_value,
    committed_lines,
    expected_running_sums,
    write_keyed_inputs,
)
from tests.conftest import ProcessCluster, remote_env, wait_until

by_value(__name__)

FILES = 4
LINES = 1500  # per file
KEYS = 5  # per file


class _Parse(MapFunction):
    """Parses ``key,value``; slow enough to be killed mid-run; may fail once at record N."""

    def __init__(self, fail_at: str | None = None, delay_s: float = 0.0) -> None:
        self.fail_at = fail_at
        self.delay_s = delay_s
        self.attempt = 0

    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def map(self, value: str) -> tuple[str, int]:
        if self.delay_s:
            time.sleep(self.delay_s)
        if value == self.fail_at and self.attempt == 0:
            raise ValueError(f"injected failure at record {value!r}")
        key, v = value.split(",")
        return key, int(v)


def _job(env: StreamExecutionEnvironment, src: Path, out: Path, parse: _Parse) -> None:
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src)).build()
    (env.from_source(source, None, "numbers")
     .map(parse)
     .key_by(lambda r: r[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("running-sum")
     .map(lambda r: f"{r[0]},{r[1]}", Types.STRING())
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()))


def _config(tmp: Path, backend: str) -> Configuration:
    return (Configuration()
            .set_string("execution.checkpointing.interval", "500 ms")
            .set_string("execution.checkpointing.dir", str(tmp / "checkpoints"))
            .set_string("state.backend.type", backend)
            .set_string("restart-strategy.type", "fixed-delay")
            .set_string("restart-strategy.fixed-delay.attempts", "20")
            .set_string("restart-strategy.fixed-delay.delay", "300 ms")
            .set_string("taskmanager.network.batch.max-rows", "100"))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["hashmap", "rocksdb"])
def test_killing_a_taskmanager_mid_run_changes_nothing_in_the_committed_output(
        process_cluster: ProcessCluster, tmp_path: Path, backend: str) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    tms = {cluster.start_taskmanager(f"tm{i}", 1): f"tm{i}" for i in range(3)}
    src, out = write_keyed_inputs(tmp_path, FILES, LINES, KEYS), tmp_path / "out"
    remote_env(cluster.address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment(_config(tmp_path, backend))
        env.set_parallelism(2)
        _job(env, src, out, _Parse(delay_s=0.0015))
        job = env.execute_async("chaos")
        client = cluster.client
        assert client is not None
        job_id = job.get_job_id()
        # Mid-run: a checkpoint completed and output is committed, the job still runs.
        details = wait_until(lambda: (lambda d: d if d.completed_checkpoints >= 1 and
                                      committed_lines(out) else None)(client.get_job(job_id)),
                             timeout=40, describe=cluster.logs)
        assert details.info.state == "RUNNING", details.failure_cause
        victim = next(t.tm_id for t in details.tasks if t.state == "RUNNING")
        cluster.kill(tms[victim])
        wait_until(lambda: client.get_job(job_id).num_restarts >= 1, timeout=30,
                   describe=cluster.logs)
        final = client.wait(job_id, timeout=90)
        assert final.info.state == "FINISHED"
        assert victim not in {t.tm_id for t in final.tasks}
    finally:
        from flink_py.client.context import set_context

        set_context(None)
    committed = committed_lines(out)
    expected = expected_running_sums(FILES, LINES, KEYS)
    assert sum(committed.values()) == sum(expected.values())
    assert committed == expected


@pytest.mark.slow
def test_an_injected_user_exception_recovers_to_the_exact_output(local_env: None,
                                                                   tmp_path: Path) -> None:
    src, out = write_keyed_inputs(tmp_path, FILES, LINES, KEYS), tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment(_config(tmp_path, "hashmap"))
    env.set_parallelism(2)
    _job(env, src, out, _Parse(fail_at=f"f1k3,{LINES - 2}", delay_s=0.0005))
    job = env.execute_async("injected")
    details = job._client.wait(job.get_job_id(), timeout=60)
    job.get_job_execution_result().result()
    assert details.num_restarts == 1 and details.completed_checkpoints >= 1
    assert "injected failure" in details.failure_cause
    assert committed_lines(out) == expected_running_sums(FILES, LINES, KEYS)


class _AlwaysFails(MapFunction):
    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def map(self, value: int) -> int:
        raise RuntimeError(f"failure in attempt {self.attempt}")


@pytest.mark.slow
@pytest.mark.parametrize("strategy", [
    {"restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "2",
     "restart-strategy.fixed-delay.delay": "100 ms"},
    {"restart-strategy.type": "failure-rate",
     "restart-strategy.failure-rate.max-failures-per-interval": "2",
     "restart-strategy.failure-rate.failure-rate-interval": "1 min",
     "restart-strategy.failure-rate.delay": "100 ms"}])
def test_restart_limits_end_failed_with_the_last_cause(local_env: None,
                                                       strategy: dict[str, str]) -> None:
    config = Configuration()
    for k, v in strategy.items():
        config.set_string(k, v)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.from_collection([1, 2, 3]).map(_AlwaysFails()).print()
    job = env.execute_async("always failing")
    client = job._client
    details = wait_until(lambda: (lambda d: d if d.info.state == "FAILED" else None)(
        client.get_job(job.get_job_id())), timeout=30)
    with pytest.raises(JobExecutionException) as info:
        job.get_job_execution_result().result()
    assert "failure in attempt 2" in str(info.value)
    assert details.num_restarts == 2
