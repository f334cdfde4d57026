"""Checkpoints in running jobs: under back-pressure, in AT_LEAST_ONCE mode, config API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from flink_py.client.cluster_client import JobExecutionException
from flink_py.common import Configuration, Duration, Types
from flink_py.common.runtime.checkpoint_storage import read_metadata, resolve_filesystem
from flink_py.datastream import (
    CheckpointingMode,
    ExternalizedCheckpointCleanup,
    MapFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.client.local_cluster import LocalCluster
from tests.api_support import (
    HoldOpen,
    by_value,
    cluster_env,  # noqa: F401 - fixture
    collect_then_cancel,
    completed_checkpoints,
    session_cluster,  # noqa: F401 - fixture
)
from tests.conftest import wait_until

by_value(__name__)


class _Slow(MapFunction):
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def map(self, value: Any) -> Any:
        time.sleep(self.delay_s)
        return value


def test_checkpoint_config_methods_write_flink_keys(local_env: None) -> None:
    env = StreamExecutionEnvironment.get_execution_environment(
        Configuration().set_string("execution.checkpointing.timeout", "30 s"))
    assert env.get_checkpoint_interval() == -1
    assert not env.get_checkpoint_config().is_checkpointing_enabled()
    env.enable_checkpointing(250, CheckpointingMode.AT_LEAST_ONCE)
    cc = env.get_checkpoint_config()
    cc.set_min_pause_between_checkpoints(100)
    cc.set_max_concurrent_checkpoints(2)
    cc.set_tolerable_checkpoint_failure_number(3)
    cc.set_externalized_checkpoint_cleanup(ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION)
    cc.set_checkpoint_storage_dir("/tmp/somewhere")
    assert (cc.get_checkpoint_interval(), cc.get_checkpoint_timeout(),
            cc.get_min_pause_between_checkpoints(), cc.get_max_concurrent_checkpoints(),
            cc.get_tolerable_checkpoint_failure_number()) == (250, 30000, 100, 2, 3)
    assert env.get_checkpointing_mode() is CheckpointingMode.AT_LEAST_ONCE
    assert cc.is_externalized_checkpoints_enabled()
    graph = env.from_collection([1]).print() and env.get_stream_graph_job()
    assert graph.config["execution.checkpointing.interval"] == "250 ms"
    assert graph.config["execution.checkpointing.mode"] == "AT_LEAST_ONCE"
    assert graph.config["execution.checkpointing.dir"] == "/tmp/somewhere"
    with pytest.raises(ValueError, match="10 ms"):
        cc.set_checkpoint_interval(5)
    # unaligned settings are accepted (barriers stay aligned: the same state and results)
    cc.enable_unaligned_checkpoints()
    cc.set_aligned_checkpoint_timeout(Duration.of_seconds(2))
    cc.set_force_unaligned_checkpoints(True)
    assert cc.is_unaligned_checkpoints_enabled() and cc.is_force_unaligned_checkpoints()
    assert cc.get_aligned_checkpoint_timeout() == Duration.of_seconds(2)
    assert env.is_unaligned_checkpoints_enabled() and env.is_force_unaligned_checkpoints()


@pytest.mark.slow
def test_a_checkpoint_completes_while_a_slow_sink_back_pressures(local_env: None,
                                                                 tmp_path: Path) -> None:
    config = (Configuration()
              .set_string("execution.checkpointing.interval", "200 ms")
              .set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
              .set_string("execution.checkpointing.externalized-checkpoint-retention",
                          "RETAIN_ON_CANCELLATION")
              .set_string("taskmanager.network.batch.max-rows", "50")
              .set_string("taskmanager.network.memory.max-buffers-per-channel", "2"))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    env.disable_operator_chaining()
    (env.from_source(NumberSequenceSource(0, 10**9), None, "numbers")
     .key_by(lambda n: n % 7)
     .reduce(lambda a, b: a + b)
     .map(_Slow(0.002), Types.LONG())
     .print())
    job = env.execute_async("back-pressured")
    client = job._client  # noqa: SLF001
    job_id = job.get_job_id()
    try:
        details = wait_until(lambda: (lambda d: d if d.completed_checkpoints >= 2 else None)(
            client.get_job(job_id)), timeout=40)
        assert details.info.state == "RUNNING"
        fs, path = resolve_filesystem(details.latest_checkpoint_path)
        meta = read_metadata(fs, path)
        assert meta["checkpoint_id"] == details.latest_checkpoint_id
        keyed = [s["keyed"] for op in meta["operators"].values()
                 for s in op["subtasks"].values() if s.get("keyed")]
        assert keyed and keyed[0]["backend"] == "hashmap"
        sources = [s["state"] for op in meta["operators"].values()
                   for s in op["subtasks"].values() if s.get("state")]
        assert sources  # the source's split positions are in it
    finally:
        job.cancel()
    with pytest.raises(JobExecutionException):
        job.get_job_execution_result().result()


@pytest.mark.slow
def test_at_least_once_two_input_job_checkpoints_and_is_correct(local_env: None,
                                                                tmp_path: Path) -> None:
    config = (Configuration()
              .set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
              .set_string("execution.checkpointing.externalized-checkpoint-retention",
                          "RETAIN_ON_CANCELLATION")
              .set_string("taskmanager.network.batch.max-rows", "20"))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.enable_checkpointing(100, CheckpointingMode.AT_LEAST_ONCE)
    env.set_parallelism(2)
    a = env.from_source(NumberSequenceSource(1, 300), None, "a").map(_Slow(0.004), Types.LONG())
    b = env.from_source(NumberSequenceSource(1, 300), None, "b").map(_Slow(0.001), Types.LONG())
    # a third input that stays open keeps the job running until it is canceled after a
    # checkpoint (a FINISHED job's checkpoints are discarded, a canceled one's retained)
    held = env.add_source(HoldOpen(), type_info=Types.LONG())
    results = collect_then_cancel(a.union(b, held).map(lambda n: (n % 3, n))
                                  .key_by(lambda r: r[0]).reduce(lambda x, y: (x[0], x[1] + y[1])),
                                  600)
    final: dict[int, int] = {}
    for key, total in results:
        final[key] = max(final.get(key, 0), total)
    assert final == {k: 2 * sum(n for n in range(1, 301) if n % 3 == k) for k in range(3)}
    completed = list((tmp_path / "chk").glob("*/chk-*/_metadata"))
    assert completed, "no checkpoint completed"


def test_a_finished_job_discards_its_checkpoints_a_canceled_one_keeps_them(
        cluster_env: LocalCluster, tmp_path: Path) -> None:  # noqa: F811
    """RETAIN_ON_CANCELLATION keeps a canceled job's checkpoints; a FINISHED job's are
    discarded whatever the retention (Flink's CheckpointProperties)."""
    def env_for(directory: Path) -> StreamExecutionEnvironment:
        env = StreamExecutionEnvironment.get_execution_environment(
            Configuration().set_string("execution.checkpointing.dir", str(directory)))
        env.enable_checkpointing(50)
        env.get_checkpoint_config().set_externalized_checkpoint_cleanup(
            ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION)
        return env

    env = env_for(tmp_path / "finished")
    results = env.from_source(NumberSequenceSource(1, 50), None, "numbers").map(
        _Slow(0.01), Types.LONG()).execute_and_collect()
    assert list(results) == list(range(1, 51))
    assert completed_checkpoints(cluster_env.address, results.job_id) > 0
    assert not list((tmp_path / "finished").glob("*/chk-*"))

    env = env_for(tmp_path / "canceled")
    held = env.add_source(HoldOpen([1, 2, 3]), type_info=Types.LONG())
    assert collect_then_cancel(held.map(lambda n: n * 10, Types.LONG()), 3) == [10, 20, 30]
    assert list((tmp_path / "canceled").glob("*/chk-*/_metadata"))
