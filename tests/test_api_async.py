"""Async I/O (``AsyncDataStream``): ordering, capacity, timeouts, failures and retries.

The operator is driven directly where exact interleavings matter (watermarks,
barriers), and through jobs on the module's cluster otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flink_py.client.cluster_client import JobExecutionException
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Configuration, Encoder, Row, Time, Types, WatermarkStrategy
from flink_py.common.watermark_strategy import (
    Watermark,
    WatermarkGenerator,
    WatermarkOutput,
)
from flink_py.datastream import (
    AsyncDataStream,
    AsyncFunction,
    AsyncRetryStrategy,
    CheckpointingMode,
    RuntimeContext,
    StreamExecutionEnvironment,
    async_retry_predicates,
)
from flink_py.datastream.async_retry_strategies import (
    NO_RETRY_STRATEGY,
    ExponentialBackoffDelayRetryStrategy,
    FixedDelayRetryStrategy,
)
from flink_py.datastream.connectors.file_system import (
    FileSink,
    OutputFileConfig,
    RollingPolicy,
)
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.datastream.window import TumblingEventTimeWindows
from flink_py.taskmanager.operators.async_wait import AsyncWaitOperator
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.timers import ProcessingTimeService

from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    committed_lines,
    completed_checkpoints,
    remote_environment,
    session_cluster,  # noqa: F401 - fixture
    two_taskmanagers_cluster,
)
from tests.conftest import ProcessCluster

by_value(__name__)


def _env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


class Delayed(AsyncFunction):
    """Outputs ``value * 10`` after ``delays[value]`` seconds (default 0)."""

    def __init__(self, delays: dict[int, float] | None = None) -> None:
        self.delays = delays or {}

    async def async_invoke(self, value: int) -> list[int]:
        await asyncio.sleep(self.delays.get(value, 0))
        return [value * 10]


class Concurrency(AsyncFunction):
    """Tags each output with the most requests it has seen in flight at once."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self.active = self.most = 0
        self.subtask = runtime_context.get_index_of_this_subtask()

    async def async_invoke(self, value: int) -> list[tuple[int, int, int]]:
        self.active += 1
        self.most = max(self.most, self.active)
        await asyncio.sleep(0.02)
        self.active -= 1
        return [(value, self.most, self.subtask)]


# -- the operator, driven directly -----------------------------------------------------------

class Log:
    """An Output recording records and watermarks in one sequence."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        ts = timestamps or [None] * len(values)
        self.events += [("record", v, t) for v, t in zip(values, ts)]

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        raise AssertionError("no side outputs expected")

    def emit_watermark(self, watermark: int) -> None:
        self.events.append(("watermark", watermark, None))

    def emit_watermark_status(self, idle: bool) -> None:
        self.events.append(("status", idle, None))


@pytest.fixture
def opened() -> Iterator[Any]:
    ops: list[AsyncWaitOperator] = []

    def open_op(func: Any, ordered: bool, capacity: int = 100, timeout_ms: int = 5000,
                retry: Any = NO_RETRY_STRATEGY) -> tuple[AsyncWaitOperator, Log]:
        op = AsyncWaitOperator(func, timeout_ms, capacity, retry, ordered)
        log = Log()
        ctx = OperatorContext("task", "async wait operator", 0, 1, 128, 0, "job", {},
                              processing_time_service=ProcessingTimeService())
        op.setup(ctx, log)
        op.open()
        ops.append(op)
        return op, log

    yield open_op
    for op in ops:
        op.close()


def test_unordered_results_never_cross_a_watermark(opened: Any) -> None:
    op, log = opened(Delayed({1: 0.3, 2: 0.01, 3: 0.01}), ordered=False)
    op.process_batch([1, 2], [100, 200])
    op.process_watermark(250)
    op.process_batch([3], [300])
    op.end_input()
    # 2 overtakes 1; 3 finished before 1 but waits for the watermark, which waits for 1.
    assert log.events == [("record", 20, 200), ("record", 10, 100), ("watermark", 250, None),
                          ("record", 30, 300)]


def test_ordered_results_and_watermarks_keep_input_order(opened: Any) -> None:
    op, log = opened(Delayed({1: 0.3, 2: 0.01, 3: 0.01}), ordered=True)
    op.process_batch([1, 2], None)
    op.process_watermark(250)
    op.process_batch([3], None)
    op.end_input()
    assert log.events == [("record", 10, None), ("record", 20, None),
                          ("watermark", 250, None), ("record", 30, None)]


def test_an_idle_operator_forwards_watermarks_at_once(opened: Any) -> None:
    op, log = opened(Delayed(), ordered=False)
    op.process_watermark(5)
    assert log.events == [("watermark", 5, None)]


def test_requests_stay_in_flight_across_batches_until_the_barrier(opened: Any) -> None:
    op, log = opened(Delayed({v: 0.2 for v in range(4)}), ordered=True)
    started = time.monotonic()
    for v in range(4):  # one record per batch: all four requests run at once
        op.process_batch([v], None)
    assert time.monotonic() - started < 0.15, "process_batch waited for its requests"
    assert log.events == []
    op.prepare_snapshot_pre_barrier(1)  # nothing may be in flight when the barrier leaves
    assert [e[1] for e in log.events] == [0, 10, 20, 30]
    assert time.monotonic() - started < 0.6
    assert not op._in_flight and op._size == 0


def test_completed_results_are_emitted_by_the_processing_time_poll(opened: Any) -> None:
    op, log = opened(Delayed(), ordered=False)
    op.process_batch([1, 2], None)
    pts = op.ctx.processing_time_service
    deadline = time.monotonic() + 5
    while len(log.events) < 2 and time.monotonic() < deadline:
        pts.fire_due()  # what the task thread does between batches and while idle
        time.sleep(0.001)
    assert sorted(e[1] for e in log.events) == [10, 20]


def test_ordered_capacity_counts_the_entries_behind_a_slow_head(opened: Any) -> None:
    started: dict[int, float] = {}

    class Record(AsyncFunction):
        async def async_invoke(self, value: int) -> list[int]:
            started[value] = time.monotonic()
            await asyncio.sleep(0.3 if value == 0 else 0)
            return [value]

    op, log = opened(Record(), ordered=True, capacity=3)
    op.process_batch([0, 1, 2, 3], None)  # 1 and 2 complete at once, yet 3 waits for 0
    assert [e[1] for e in log.events][:3] == [0, 1, 2]
    op.end_input()
    assert [e[1] for e in log.events] == [0, 1, 2, 3]
    assert started[3] - started[0] >= 0.25


def test_user_code_runs_on_the_operators_event_loop_thread(opened: Any) -> None:
    class Where(AsyncFunction):
        def open(self, runtime_context: RuntimeContext) -> None:
            self.loop = asyncio.get_running_loop()  # e.g. to create an aiohttp session
            self.thread = threading.get_ident()

        async def async_invoke(self, value: int) -> list[bool]:
            return [asyncio.get_running_loop() is self.loop
                    and threading.get_ident() == self.thread != threading.main_thread().ident]

    op, log = opened(Where(), ordered=True)
    op.process_batch([1, 2], None)
    op.end_input()
    assert [e[1] for e in log.events] == [True, True]


# -- jobs ---------------------------------------------------------------------------------------

@pytest.mark.usefixtures("cluster_env")
def test_ordered_mode_restores_input_order() -> None:
    env = _env()
    ds = env.from_collection(list(range(10)), type_info=Types.INT())
    delays = {v: (10 - v) * 0.03 for v in range(10)}  # later inputs complete first
    out = AsyncDataStream.ordered_wait(ds, Delayed(delays), Time.seconds(5), 100, Types.INT())
    assert list(out.execute_and_collect()) == [v * 10 for v in range(10)]


@pytest.mark.usefixtures("cluster_env")
def test_unordered_mode_emits_everything_in_completion_order() -> None:
    env = _env()
    ds = env.from_collection(list(range(10)), type_info=Types.INT())
    delays = {v: (10 - v) * 0.03 for v in range(10)}
    out = AsyncDataStream.unordered_wait(ds, Delayed(delays), Time.seconds(5), 100, Types.INT())
    results = list(out.execute_and_collect())
    assert sorted(results) == [v * 10 for v in range(10)]
    assert results != sorted(results), "requests did not overlap"


@pytest.mark.usefixtures("cluster_env")
@pytest.mark.parametrize("wait", ["unordered_wait", "ordered_wait"])
def test_capacity_bounds_the_requests_in_flight(wait: str) -> None:
    env = _env()
    ds = env.from_collection(list(range(30)), type_info=Types.INT())
    out = getattr(AsyncDataStream, wait)(ds, Concurrency(), Time.seconds(5), capacity=3)
    results = list(out.execute_and_collect())
    assert sorted(r[0] for r in results) == list(range(30))
    assert max(r[1] for r in results) == 3


class SlowOdd(AsyncFunction):
    async def async_invoke(self, value: int) -> list[tuple[str, int]]:
        await asyncio.sleep(30 if value % 2 else 0)
        return [("ok", value)]

    def timeout(self, value: int) -> list[tuple[str, int]]:
        return [("timeout", value)]


@pytest.mark.usefixtures("cluster_env")
def test_a_timed_out_request_gets_the_outputs_of_timeout() -> None:
    env = _env()
    ds = env.from_collection(list(range(6)))
    started = time.monotonic()
    results = list(AsyncDataStream.unordered_wait(
        ds, SlowOdd(), Time.milliseconds(300)).execute_and_collect())
    assert sorted(results) == [("ok", 0), ("ok", 2), ("ok", 4),
                               ("timeout", 1), ("timeout", 3), ("timeout", 5)]
    assert time.monotonic() - started < 20


class NeverAnswers(AsyncFunction):
    async def async_invoke(self, value: int) -> list[int]:
        await asyncio.sleep(30)
        return [value]


@pytest.mark.usefixtures("cluster_env")
def test_the_default_timeout_fails_the_job_naming_the_operator() -> None:
    env = _env()
    ds = AsyncDataStream.ordered_wait(env.from_collection([7]), NeverAnswers(),
                                      Time.milliseconds(200)).name("Slow lookup")
    with pytest.raises(JobExecutionException) as err:
        list(ds.execute_and_collect())
    assert err.value.state == "FAILED"
    assert "failed in operator 'Slow lookup'" in err.value.cause
    assert "TimeoutError: Async function call has timed out for input: 7" in err.value.cause


class Explodes(AsyncFunction):
    async def async_invoke(self, value: int) -> list[int]:
        await asyncio.sleep(0.01)
        if value == 3:
            raise ValueError(f"remote service rejected {value}")
        return [value]


@pytest.mark.usefixtures("cluster_env")
def test_an_exception_in_async_invoke_fails_the_job_with_the_users_traceback() -> None:
    env = _env()
    ds = AsyncDataStream.unordered_wait(env.from_collection(list(range(6))), Explodes(),
                                        Time.seconds(5)).name("Lookup")
    with pytest.raises(JobExecutionException) as err:
        list(ds.execute_and_collect())
    exc = err.value
    assert "failed in operator 'Lookup': ValueError: remote service rejected 3" in exc.cause
    assert "test_api_async.py" in exc.user_traceback
    assert "in async_invoke" in exc.user_traceback
    if sys.version_info >= (3, 11):  # PyFlink's context, as an exception note
        assert "Error happens inside the class" in exc.user_traceback


class Bad(AsyncFunction):
    def __init__(self, result: Any) -> None:
        self.result = result

    async def async_invoke(self, value: int) -> Any:
        return self.result


@pytest.mark.usefixtures("cluster_env")
@pytest.mark.parametrize(("result", "message"), [
    (5, "The result of AsyncFunction should be of list type"),
    (None, "The result of AsyncFunction cannot be none"),
])
def test_a_result_that_is_no_collection_fails_the_job(result: Any, message: str) -> None:
    ds = AsyncDataStream.unordered_wait(_env().from_collection([1]), Bad(result),
                                        Time.seconds(5))
    with pytest.raises(JobExecutionException, match=message):
        list(ds.execute_and_collect())


class Flaky(AsyncFunction):
    """Fails the first ``failures`` attempts of every input, then succeeds."""

    def __init__(self, failures: int, empty_first: bool = False) -> None:
        self.failures = failures
        self.empty_first = empty_first
        self.attempts: dict[int, int] = {}

    async def async_invoke(self, value: int) -> list[tuple[int, int]]:
        n = self.attempts[value] = self.attempts.get(value, 0) + 1
        await asyncio.sleep(0.005)
        if n <= self.failures:
            raise ConnectionError(f"attempt {n} of {value} failed")
        if self.empty_first and n == self.failures + 1:
            return []
        return [(value, n)]


@pytest.mark.usefixtures("cluster_env")
def test_fixed_delay_retries_a_request_failing_twice() -> None:
    strategy = AsyncRetryStrategy.fixed_delay(
        max_attempts=3, backoff_time_millis=20, result_predicate=None,
        exception_predicate=functools.partial(async_retry_predicates.exception_type_predicate,
                                              expected_error_type=ConnectionError))
    assert isinstance(strategy, FixedDelayRetryStrategy)
    ds = AsyncDataStream.ordered_wait_with_retry(
        _env().from_collection(list(range(5))), Flaky(failures=2), Time.seconds(10), strategy)
    assert list(ds.execute_and_collect()) == [(v, 3) for v in range(5)]


@pytest.mark.usefixtures("cluster_env")
def test_exponential_backoff_retries_on_results_and_exceptions() -> None:
    strategy = AsyncRetryStrategy.exponential_backoff(
        max_attempts=5, initial_delay=5, max_retry_delay=40, multiplier=2.0,
        result_predicate=async_retry_predicates.empty_result_predicate,
        exception_predicate=async_retry_predicates.has_exception_predicate)
    assert isinstance(strategy, ExponentialBackoffDelayRetryStrategy)
    ds = AsyncDataStream.unordered_wait_with_retry(
        _env().from_collection(list(range(4))), Flaky(failures=1, empty_first=True),
        Time.seconds(10), strategy)
    assert sorted(ds.execute_and_collect()) == [(v, 3) for v in range(4)]


@pytest.mark.usefixtures("cluster_env")
def test_exhausted_retries_fail_the_job_with_the_last_exception() -> None:
    strategy = AsyncRetryStrategy.fixed_delay(2, 10, None,
                                              async_retry_predicates.has_exception_predicate)
    ds = AsyncDataStream.unordered_wait_with_retry(
        _env().from_collection([1]), Flaky(failures=5), Time.seconds(10), strategy)
    with pytest.raises(JobExecutionException,
                       match=r"ConnectionError: attempt 3 of 1 failed"):
        list(ds.execute_and_collect())


class Lifecycle(AsyncFunction):
    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.opened = False

    def open(self, runtime_context: RuntimeContext) -> None:
        self.opened = runtime_context.get_task_name()

    async def async_invoke(self, value: int) -> list[Any]:
        return [(value, self.opened)]

    def close(self) -> None:
        Path(self.marker).write_text("closed")


@pytest.mark.usefixtures("cluster_env")
def test_open_and_close_are_called(tmp_path: Path) -> None:
    marker = tmp_path / "closed"
    ds = AsyncDataStream.ordered_wait(_env().from_collection([1, 2]), Lifecycle(str(marker)),
                                      Time.seconds(5))
    results = list(ds.execute_and_collect())
    assert [r[0] for r in results] == [1, 2]
    assert all(r[1] for r in results), "open() was not called before async_invoke"
    assert marker.read_text() == "closed"


@pytest.mark.usefixtures("cluster_env")
def test_parallelism_two_uses_both_subtasks() -> None:
    env = _env(2)
    ds = env.from_collection(list(range(60)), type_info=Types.INT()).rebalance()
    results = list(AsyncDataStream.unordered_wait(ds, Concurrency(), Time.seconds(5), 4)
                   .execute_and_collect())
    assert sorted(r[0] for r in results) == list(range(60))
    assert {r[2] for r in results} == {0, 1}
    assert max(r[1] for r in results) <= 4


def test_pyflinks_checks_reject_invalid_arguments(local_env: None) -> None:
    env = _env()
    ds = env.from_collection([1])

    class NotAsync(AsyncFunction):
        def async_invoke(self, value: int) -> list[int]:  # type: ignore[override]
            return [value]

    with pytest.raises(Exception, match="should be declared as 'async def'"):
        AsyncDataStream.unordered_wait(ds, NotAsync(), Time.seconds(1))
    strategy = AsyncRetryStrategy.fixed_delay(2, 10, None, lambda e: True)
    with pytest.raises(Exception, match="Timeout should be configured when do async with retry"):
        AsyncDataStream.ordered_wait_with_retry(ds, Delayed(), Time.seconds(0), strategy)
    with pytest.raises(Exception, match="Async retry strategy should not be None"):
        AsyncDataStream.ordered_wait_with_retry(ds, Delayed(), Time.seconds(1), None)
    with pytest.raises(Exception, match="max_attempts should be greater than zero"):
        AsyncRetryStrategy.fixed_delay(0, 10, None, None)
    assert AsyncRetryStrategy.no_restart() is NO_RETRY_STRATEGY
    out = AsyncDataStream.unordered_wait(ds, Delayed(), Time.seconds(1), output_type=Types.INT())
    assert out.get_name() == "async wait operator" and out.get_type() == Types.INT()


def test_exponential_backoff_delays_grow_to_the_maximum() -> None:
    strategy = ExponentialBackoffDelayRetryStrategy(5, 100, 500, 2.0, None, None)
    assert [strategy.get_backoff_time_millis(n) for n in range(1, 6)] == [100, 200, 400, 500, 500]
    assert strategy.can_retry(5) and not strategy.can_retry(6)


class PerElementWatermarks(WatermarkGenerator):
    """A watermark right behind every record (PyFlink's PerElementWatermarkGenerator)."""

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        output.emit_watermark(Watermark(event_timestamp - 1))

    def on_periodic_emit(self, output: WatermarkOutput) -> None:
        return


class Jittered(AsyncFunction):
    async def async_invoke(self, value: int) -> list[int]:
        await asyncio.sleep(random.uniform(0, 0.02))
        return [value]


@pytest.mark.usefixtures("cluster_env")
def test_unordered_results_are_never_late_for_event_time_windows() -> None:
    """A result emitted after a watermark past its timestamp would be dropped as late."""
    env = _env()
    ds = (env.from_collection(list(range(120)), type_info=Types.INT())
          .assign_timestamps_and_watermarks(
              WatermarkStrategy.for_generator(PerElementWatermarks)
              .with_timestamp_assigner(lambda v, ts: v * 10)))
    counts = (AsyncDataStream.unordered_wait(ds, Jittered(), Time.seconds(5), 16, Types.INT())
              .map(lambda v: (v // 10, 1),
                   output_type=Types.TUPLE([Types.INT(), Types.INT()]))
              .key_by(lambda t: 0)
              .window(TumblingEventTimeWindows.of(Time.milliseconds(100)))
              .reduce(lambda a, b: (a[0], a[1] + b[1])))
    assert sorted(counts.execute_and_collect()) == [(w, 10) for w in range(12)]


def test_checkpoints_complete_while_requests_are_in_flight(cluster_env: LocalCluster,  # noqa: F811
                                                          tmp_path: Path) -> None:
    config = (Configuration()
              .set_string("execution.checkpointing.dir", str(tmp_path))
              .set_string("execution.checkpointing.externalized-checkpoint-retention",
                          "RETAIN_ON_CANCELLATION"))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    env.enable_checkpointing(50)
    ds = env.from_source(NumberSequenceSource(1, 400), None, "numbers")
    out = AsyncDataStream.ordered_wait(ds, Jittered(), Time.seconds(5), 8, Types.LONG())
    results = out.execute_and_collect()
    assert list(results) == list(range(1, 401))
    assert completed_checkpoints(cluster_env.address, results.job_id) > 0, \
        "no checkpoint completed"


# -- PyFlink's remote_model_inference example, with a collection as its source -------------------

class AsyncLLMRequest(AsyncFunction[Row, str]):

    def __init__(self) -> None:
        self.retried_keys: dict[int, bool] = {}

    def open(self, runtime_context: RuntimeContext) -> None:
        # create model inference client here
        pass

    def close(self) -> None:
        # close the model inference client here
        pass

    async def async_invoke(self, value: Row) -> list[str]:
        # issue the asynchronous request (the example waits 1-2 s)
        await asyncio.sleep(random.uniform(0.01, 0.05))

        if value.user_id not in self.retried_keys and random.randint(1, 10) % 3 == 0:
            self.retried_keys[value.user_id] = True
            # remote model inference request may time out
            raise TimeoutError
        if value.user_id in self.retried_keys:
            del self.retried_keys[value.user_id]
        result = {
            "user_id": value.user_id,
            "comments": value.comments,
            "analysis_result": "positive",
        }
        return [json.dumps(result)]

    def timeout(self, value: Row) -> list[str]:
        # return a default value in case timeout
        result = {
            "user_id": value.user_id,
            "comments": value.comments,
            "analysis_result": None,
        }
        return [json.dumps(result)]


@pytest.mark.usefixtures("cluster_env")
def test_remote_model_inference_example(tmp_path: Path) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.enable_checkpointing(30000, CheckpointingMode.EXACTLY_ONCE)
    rows = [Row(user_id=i, comments=f"comment {i}") for i in range(200)]
    ds = env.from_collection(rows, type_info=Types.ROW_NAMED(["user_id", "comments"],
                                                            [Types.INT(), Types.STRING()]))

    # create an async retry strategy via utility class or a user defined strategy
    async_retry_strategy = AsyncRetryStrategy.fixed_delay(
        max_attempts=100,
        backoff_time_millis=20,  # the example: 1000
        result_predicate=None,
        exception_predicate=functools.partial(async_retry_predicates.exception_type_predicate,
                                              expected_error_type=TimeoutError))

    result_stream = AsyncDataStream.unordered_wait_with_retry(
        data_stream=ds,
        async_function=AsyncLLMRequest(),
        timeout=Time.seconds(10),
        async_retry_strategy=async_retry_strategy,
        capacity=1000,
        output_type=Types.STRING())

    output_path = tmp_path / "out"
    result_stream.sink_to(
        sink=FileSink.for_row_format(
            base_path=str(output_path),
            encoder=Encoder.simple_string_encoder())
        .with_output_file_config(
            OutputFileConfig.builder()
            .with_part_prefix("prefix")
            .with_part_suffix(".ext")
            .build())
        .with_rolling_policy(RollingPolicy.default_rolling_policy())
        .build()
    )
    env.execute()

    lines = committed_lines(output_path)
    expected = {json.dumps({"user_id": i, "comments": f"comment {i}",
                            "analysis_result": "positive"}) for i in range(200)}
    assert set(lines) == expected and all(n == 1 for n in lines.values())
    assert all(p.name.startswith("prefix") and p.name.endswith(".ext")
               for p in output_path.rglob("*") if p.is_file() and not p.name.startswith("."))


# -- a real cluster: a JobManager and two TaskManagers -------------------------------------------

@pytest.mark.slow
def test_async_io_across_two_taskmanagers(tmp_path: Path) -> None:
    with two_taskmanagers_cluster(tmp_path) as cluster, \
            remote_environment(cluster.address, parallelism=2) as env:
        ds = env.from_collection(list(range(80)), type_info=Types.INT()).rebalance()
        ordered = AsyncDataStream.ordered_wait(ds, Concurrency(), Time.seconds(10), 5)
        results = list(ordered.execute_and_collect())
        assert sorted(r[0] for r in results) == list(range(80))
        assert {r[2] for r in results} == {0, 1}
        _both_taskmanagers_used(cluster)


def _both_taskmanagers_used(cluster: ProcessCluster) -> None:
    client = cluster.client
    assert client is not None
    job = max(client.list_jobs(), key=lambda j: j.start_time_ms)
    details = client.get_job(job.job_id)
    assert details.info.state == "FINISHED"
    assert len({t.tm_id for t in details.tasks}) == 2
