"""Final checkpoints and checkpoints after tasks finished (Flink FLIP-147) in running jobs.

With periodic checkpoints a task that reached the end of its data waits for
one more checkpoint before it finishes, and two-phase-commit sinks commit
their last part only through it: a failure after one sink subtask ended
changes nothing in the committed output. ``stop`` without ``--drain`` does
not end the operators' input.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flink_py.common import Configuration, Encoder, Types
from flink_py.datastream import (
    KeyedProcessFunction,
    MapFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.connectors.file_system import FileSink
from flink_py.datastream.connectors.number_seq import NumberSequenceSource

from tests.api_support import by_value, committed_lines
from tests.conftest import wait_until

by_value(__name__)

N = 400  # numbers 0..N-1; the upper half is slow


class _SlowUpperHalf(MapFunction):
    """The upper half of the numbers is slow; fails once (attempt 0) at ``fail_at``."""

    def __init__(self, fail_at: int | None) -> None:
        self.fail_at = fail_at
        self.attempt = 0

    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def map(self, value: int) -> str:
        if value >= N // 2:
            time.sleep(0.006)
        if value == self.fail_at and self.attempt == 0:
            raise ValueError(f"injected failure at {value}")
        return str(value)


def _config(tmp: Path, interval: str) -> Configuration:
    return (Configuration()
            .set_string("execution.checkpointing.interval", interval)
            .set_string("execution.checkpointing.dir", str(tmp / "checkpoints"))
            .set_string("restart-strategy.type", "fixed-delay")
            .set_string("restart-strategy.fixed-delay.attempts", "3")
            .set_string("restart-strategy.fixed-delay.delay", "200 ms")
            .set_string("taskmanager.network.batch.max-rows", "20"))


def _numbers_to_files(env: StreamExecutionEnvironment, out: Path, fail_at: int | None) -> None:
    env.set_parallelism(2)
    (env.from_source(NumberSequenceSource(0, N - 1), None, "numbers")
     .map(_SlowUpperHalf(fail_at), Types.STRING())
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()))


@pytest.mark.slow
def test_a_failure_after_one_sink_subtask_ended_keeps_the_output_exact(local_env: None,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment(_config(tmp_path, "300 ms"))
    # The subtask reading the lower half ends at once; the other fails near its end.
    _numbers_to_files(env, out, fail_at=N - 30)
    job = env.execute_async("final checkpoint")
    details = job._client.wait(job.get_job_id(), timeout=60)
    job.get_job_execution_result().result()
    assert details.info.state == "FINISHED"
    assert details.num_restarts == 1 and "injected failure" in details.failure_cause
    assert committed_lines(out) == Counter(str(n) for n in range(N))


@pytest.mark.slow
def test_a_bounded_job_with_checkpointing_finishes_promptly(local_env: None,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment(_config(tmp_path, "1 min"))
    env.set_parallelism(2)
    (env.from_source(NumberSequenceSource(0, N - 1), None, "numbers")
     .map(str, Types.STRING())
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()))
    start = time.monotonic()
    job = env.execute_async("prompt")
    details = job._client.wait(job.get_job_id(), timeout=50)
    took = time.monotonic() - start
    assert details.info.state == "FINISHED"
    assert took < 30, f"waited {took:.1f} s: the final checkpoint waited for the interval"
    assert details.completed_checkpoints >= 1  # the final checkpoint committed the output
    assert committed_lines(out) == Counter(str(n) for n in range(N))


class _TimerAtTheEndOfTime(KeyedProcessFunction):
    """Emits every value; a far event-time timer fires only when the input ends (drain)."""

    def process_element(self, value: int, ctx: KeyedProcessFunction.Context) -> Any:
        ctx.timer_service().register_event_time_timer(10**12)
        yield str(value)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        yield f"timer-{ctx.get_current_key()}"


class _Slow(MapFunction):
    def map(self, value: int) -> int:
        time.sleep(0.002)
        return value


@pytest.mark.slow
def test_stop_without_drain_does_not_end_the_operators_input(local_env: None,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment(_config(tmp_path, "200 ms"))
    env.set_parallelism(1)
    (env.from_source(NumberSequenceSource(0, 10**9), None, "numbers")
     .map(_Slow(), Types.LONG())
     .key_by(lambda n: n % 3)
     .process(_TimerAtTheEndOfTime(), Types.STRING())
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()))
    job = env.execute_async("stop without drain")
    client = job._client
    job_id = job.get_job_id()
    wait_until(lambda: client.get_job(job_id).completed_checkpoints >= 1, timeout=40)
    client.stop_with_savepoint(job_id, str(tmp_path / "savepoints"), drain=False, timeout=60)
    assert client.wait(job_id, timeout=30).info.state == "FINISHED"
    committed = committed_lines(out)
    assert committed, "nothing was committed"
    assert not [line for line in committed if line.startswith("timer-")]
