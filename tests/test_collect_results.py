"""execute_and_collect across restarts: the JobManager's result buffer (a state machine)
and whole jobs that fail once and restart (Flink's CollectResultIterator guarantees)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from flink_py.common import Configuration, Types
from flink_py.common.restart_strategy import RestartStrategies
from flink_py.datastream import CheckpointingMode, MapFunction, StreamExecutionEnvironment
from flink_py.jobmanager.collect_results import CollectResults, Guarantee

from tests.api_support import by_value

by_value(__name__)


# -- the state machine --------------------------------------------------------------------

def test_exactly_once_shows_what_a_completed_checkpoint_covers() -> None:
    r = CollectResults(1, Guarantee.EXACTLY_ONCE)
    r.push(0, 0, b"a", False, tag=0)
    r.push(0, 0, b"b", False, tag=3)  # emitted after the sink's barrier 3
    assert r.take(10) == []
    r.checkpoint_completed(3)  # covers what came before barrier 3
    assert r.take(10) == [b"a"]
    r.checkpoint_completed(4)
    assert r.take(10) == [b"b"]


def test_exactly_once_restart_drops_what_no_checkpoint_covers_and_stale_attempts() -> None:
    r = CollectResults(1, Guarantee.EXACTLY_ONCE)
    r.push(0, 0, b"a", False, tag=0)
    r.checkpoint_completed(1)
    r.push(0, 0, b"b", False, tag=1)  # lost with the failure: comes again
    r.restart(1, restored_checkpoint=1)
    r.push(0, 0, b"late", True, tag=1)  # the cancelled attempt still flushing
    assert not r.all_ended
    r.push(1, 0, b"b", False, tag=0)  # the new attempt's tags start at the restored one
    r.push(1, 0, b"", True, tag=0)
    assert r.all_ended
    assert r.take(10) == [b"a"]
    r.job_finished()
    assert r.take(10) == [b"b"]


def test_a_push_of_a_newer_attempt_is_a_restart_from_the_known_checkpoint() -> None:
    r = CollectResults(1, Guarantee.EXACTLY_ONCE)
    r.push(0, 0, b"a", False, tag=0)
    r.push(2, 0, b"b", False, tag=0)
    assert r.attempt == 2 and r.pending == [(0, b"b")]


def test_at_least_once_is_visible_at_once_and_keeps_results_over_a_restart() -> None:
    r = CollectResults(1, Guarantee.AT_LEAST_ONCE)
    r.push(0, 0, b"a", False, tag=0)
    r.restart(1, restored_checkpoint=0)
    r.push(1, 0, b"a", False, tag=0)
    assert r.take(10) == [b"a", b"a"]


def test_without_checkpoints_a_restart_starts_over_until_the_client_took_results() -> None:
    r = CollectResults(1, Guarantee.NONE)
    r.push(0, 0, b"a", False, tag=0)
    r.restart(1, restored_checkpoint=0)  # nothing taken yet: the replay brings it again
    assert r.error is None and r.take(10) == []
    r.push(1, 0, b"a", False, tag=0)
    assert r.take(10) == [b"a"]
    r.restart(2, restored_checkpoint=0)
    assert r.error is not None and r.error.startswith("Job restarted")


def test_a_failed_job_voids_what_no_checkpoint_covers() -> None:
    r = CollectResults(1, Guarantee.EXACTLY_ONCE)
    r.push(0, 0, b"a", False, tag=0)
    r.job_ended_otherwise()
    r.job_finished()
    assert r.take(10) == []


@pytest.mark.parametrize(("checkpointing", "mode", "streaming", "expected"), [
    (True, "EXACTLY_ONCE", True, Guarantee.EXACTLY_ONCE),
    (True, "AT_LEAST_ONCE", True, Guarantee.AT_LEAST_ONCE),
    (False, "EXACTLY_ONCE", True, Guarantee.NONE),
    (True, "EXACTLY_ONCE", False, Guarantee.NONE),
])
def test_the_guarantee_follows_the_checkpoint_settings(checkpointing: bool, mode: str,
                                                       streaming: bool,
                                                       expected: Guarantee) -> None:
    assert Guarantee.of(checkpointing, mode, streaming) is expected


# -- whole jobs ---------------------------------------------------------------------------

class _FailOnce(MapFunction):
    """Fails at ``at`` the first time (a marker file remembers it across attempts),
    after the file ``gate`` exists if one is given."""

    def __init__(self, marker: str, at: int, gate: str | None = None) -> None:
        self.marker = marker
        self.at = at
        self.gate = gate

    def map(self, value: Any) -> Any:
        if value == self.at and not os.path.exists(self.marker):
            deadline = time.monotonic() + 30
            while self.gate and not os.path.exists(self.gate) and time.monotonic() < deadline:
                time.sleep(0.01)
            Path(self.marker).touch()
            raise RuntimeError("failing once")
        return value


def _failing_once_job(tmp_path: Path, checkpoint_ms: int | None,
                      mode: CheckpointingMode = CheckpointingMode.EXACTLY_ONCE,
                      gate: str | None = None) -> Any:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    if checkpoint_ms is not None:
        env.enable_checkpointing(checkpoint_ms, mode)
    env.set_restart_strategy(RestartStrategies.fixed_delay_restart(3, 50))
    numbers = env.from_collection(list(range(1, 3001)), Types.LONG())
    return numbers.map(_FailOnce(str(tmp_path / "failed"), 2000, gate), Types.LONG())


def test_collect_is_exactly_once_across_a_restart_with_checkpoints(local_env: None,
                                                                   tmp_path: Path) -> None:
    out = list(_failing_once_job(tmp_path, 20).execute_and_collect())
    assert (tmp_path / "failed").exists()  # the job did restart
    assert out == list(range(1, 3001))


def test_collect_is_at_least_once_across_a_restart_in_at_least_once_mode(
        local_env: None, tmp_path: Path) -> None:
    out = list(_failing_once_job(tmp_path, 20, CheckpointingMode.AT_LEAST_ONCE)
               .execute_and_collect())
    assert (tmp_path / "failed").exists()
    assert set(out) == set(range(1, 3001))


def test_collect_without_checkpoints_fails_on_a_restart_as_flink_does(local_env: None,
                                                                      tmp_path: Path) -> None:
    gate = tmp_path / "taken"
    results = _failing_once_job(tmp_path, None, gate=str(gate)).execute_and_collect()
    assert next(results) == 1  # the client has taken a result: it cannot be taken back
    gate.touch()  # now the job fails and restarts
    with pytest.raises(RuntimeError, match="Job restarted"):
        list(results)


def test_results_waiting_for_a_checkpoint_do_not_block_the_sink(local_env: None) -> None:
    """Thousands of small batches between two checkpoints: if they back-pressured the sink,
    its barrier could never pass and the job would hang."""
    config = Configuration().set_string("taskmanager.network.batch.max-rows", "4")
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    env.enable_checkpointing(300)
    numbers = env.from_collection(list(range(6000)), Types.LONG()).disable_chaining()
    assert list(numbers.map(lambda n: n, Types.LONG()).execute_and_collect()) \
        == list(range(6000))
