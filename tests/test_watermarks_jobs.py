"""Event time in real jobs: watermarks through the data plane, idleness, timers, timestamps.

The same jobs run on the embedded local cluster (2 slot workers, so p=2
channels between them are remote too) and, marked slow, on a JobManager with
two TaskManagers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Duration, Types, WatermarkStrategy
from flink_py.datastream import (
    KeyedProcessFunction,
    ProcessFunction,
    SourceFunction,
    StreamExecutionEnvironment,
    TimeDomain,
)
from tests.api_support import by_value, cluster_env, session_cluster  # noqa: F401 - fixtures
from tests.api_support import remote_environment, two_taskmanagers_cluster
from tests.conftest import ProcessCluster, wait_until

by_value(__name__)

LONG_MAX = (1 << 63) - 1


class HoldOpen(SourceFunction):
    """Emits ``("k", 2000)`` once, then nothing until ``<directory>/stop`` exists."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.running = True

    def run(self, ctx: Any) -> None:
        ctx.collect(("k", 2000))
        stop = Path(self.directory, "stop")
        while self.running and not stop.exists():
            time.sleep(0.01)

    def cancel(self) -> None:
        self.running = False


class Alarms(KeyedProcessFunction):
    """Registers event-time timers at 1500 and 3000; a firing leaves a marker file."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        ctx.timer_service().register_event_time_timer(1500)
        ctx.timer_service().register_event_time_timer(3000)
        yield "element", value[1], ctx.timestamp()

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        assert ctx.time_domain() is TimeDomain.EVENT_TIME
        watermark = ctx.timer_service().current_watermark()
        Path(self.directory, f"fired-{timestamp}").write_text(str(watermark))
        yield "timer", timestamp, ctx.get_current_key()


def _two_inputs(env: StreamExecutionEnvironment, directory: Path, idleness: bool) -> None:
    """Input A: records at 1000 and 5000, then ends (maximum watermark).

    Input B: a record at 2000 (watermark 1999), then silent but running.
    """
    env.configure({"pipeline.auto-watermark-interval": "20 ms"})
    strategy_a = (WatermarkStrategy.for_monotonous_timestamps()
                  .with_timestamp_assigner(lambda v, ts: v[1]))
    strategy_b = (WatermarkStrategy.for_monotonous_timestamps()
                  .with_timestamp_assigner(lambda v, ts: v[1]))
    if idleness:
        strategy_b = strategy_b.with_idleness(Duration.of_millis(100))
    # parallelism 1: chained to the (non-parallel) sources. A parallel assigner instance
    # without records would hold event time back by itself, as in Flink.
    a = (env.from_collection([("k", 1000), ("k", 5000)])
         .assign_timestamps_and_watermarks(strategy_a).set_parallelism(1))
    b = (env.add_source(HoldOpen(str(directory)), "hold-open")
         .assign_timestamps_and_watermarks(strategy_b).set_parallelism(1))
    a.union(b).key_by(lambda v: v[0]).process(Alarms(str(directory))).print()


def _fired(directory: Path, ts: int) -> bool:
    return Path(directory, f"fired-{ts}").exists()


def check_watermark_is_minimum_and_active_input_stalls(env: StreamExecutionEnvironment,
                                                       directory: Path) -> None:
    _two_inputs(env, directory, idleness=False)
    job = env.execute_async("min watermark")
    try:
        # min(A: max watermark, B: 1999) = 1999 fires the 1500 timer ...
        wait_until(lambda: _fired(directory, 1500), timeout=30)
        assert int(Path(directory, "fired-1500").read_text()) == 1999
        # ... but B (active, no idleness) holds event time below 3000 while it runs.
        deadline = time.monotonic() + 1.0  # 50 periodic emissions, 10 idle timeouts
        while time.monotonic() < deadline:
            assert not _fired(directory, 3000), "the active, silent input did not stall"
            time.sleep(0.05)
    finally:
        Path(directory, "stop").touch()
    job.get_job_execution_result().result()
    assert int(Path(directory, "fired-3000").read_text()) == LONG_MAX  # fired at end of input


def check_idle_input_does_not_stall(env: StreamExecutionEnvironment, directory: Path) -> None:
    _two_inputs(env, directory, idleness=True)
    job = env.execute_async("idle input")
    try:
        # B goes idle after 100 ms: only A counts, and A has ended (maximum watermark).
        wait_until(lambda: _fired(directory, 3000), timeout=30)
        assert not Path(directory, "stop").exists()  # while B still runs
        assert int(Path(directory, "fired-1500").read_text()) == 1999
    finally:
        Path(directory, "stop").touch()
    job.get_job_execution_result().result()


class StampOf(ProcessFunction):
    def process_element(self, value: Any, ctx: ProcessFunction.Context) -> Any:
        yield value[0], value[1], ctx.timestamp()


def check_timestamps_survive_the_network(env: StreamExecutionEnvironment) -> None:
    data = [(f"r{i}", i * 10) for i in range(200)]
    tuple_type = Types.TUPLE([Types.STRING(), Types.LONG()])
    stamped = (env.from_collection(data, type_info=tuple_type)
               .assign_timestamps_and_watermarks(
                   WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(1))
                   .with_timestamp_assigner(lambda v, ts: v[1] + 7)))
    typed = stamped.rebalance().process(
        StampOf(), output_type=Types.TUPLE([Types.STRING(), Types.LONG(), Types.LONG()]))
    untyped = stamped.key_by(lambda v: v[0]).process(  # untyped: the pickled column
        lambda v, ctx: [(v[0], v[1], ctx.timestamp())])
    # one more hop: the record timestamps are still there after two shuffles (a union
    # needs one type: the typed branch continues as pickled records)
    out = sorted(typed.map(lambda v: v).union(untyped).rebalance().process(
        lambda v, ctx: [(v[0], v[1], v[2], ctx.timestamp())]).execute_and_collect())
    assert out == sorted([(name, ts, ts + 7, ts + 7) for name, ts in data] * 2)


def check_timestamps_via_from_source(env: StreamExecutionEnvironment) -> None:
    from flink_py.datastream.connectors.number_seq import NumberSequenceSource

    strategy = (WatermarkStrategy.for_monotonous_timestamps()
                .with_timestamp_assigner(lambda v, ts: v * 1000))
    out = sorted(env.from_source(NumberSequenceSource(1, 50), strategy, "numbers")
                 .rebalance().process(StampOf2()).execute_and_collect())
    assert out == [(v, v * 1000) for v in range(1, 51)]


class StampOf2(ProcessFunction):
    def process_element(self, value: Any, ctx: ProcessFunction.Context) -> Any:
        yield value, ctx.timestamp()


# -- local mode (embedded cluster, 2 slot workers) ------------------------------------------
@pytest.fixture
def local(cluster_env: Any) -> StreamExecutionEnvironment:  # noqa: F811
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    return env


def test_watermark_is_the_minimum_of_the_inputs_and_an_active_input_stalls(
        local: StreamExecutionEnvironment, tmp_path: Path) -> None:
    check_watermark_is_minimum_and_active_input_stalls(local, tmp_path)


def test_an_idle_input_does_not_stall_event_time(local: StreamExecutionEnvironment,
                                                 tmp_path: Path) -> None:
    check_idle_input_does_not_stall(local, tmp_path)


def test_timestamps_survive_network_hops(local: StreamExecutionEnvironment) -> None:
    check_timestamps_survive_the_network(local)


def test_from_source_with_a_strategy(local: StreamExecutionEnvironment) -> None:
    check_timestamps_via_from_source(local)


# -- a JobManager and two TaskManagers -------------------------------------------------------
@pytest.fixture(scope="module")
def two_taskmanagers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    with two_taskmanagers_cluster(tmp_path_factory.mktemp("wm-cluster"), slots=2) as cluster:
        yield cluster


@pytest.fixture
def remote(two_taskmanagers: ProcessCluster) -> Iterator[StreamExecutionEnvironment]:
    with remote_environment(two_taskmanagers.address) as env:
        yield env


@pytest.mark.slow
def test_cluster_watermark_minimum_fires_keyed_event_time_timers(
        remote: StreamExecutionEnvironment, tmp_path: Path) -> None:
    check_watermark_is_minimum_and_active_input_stalls(remote, tmp_path)


@pytest.mark.slow
def test_cluster_idle_input_does_not_stall(remote: StreamExecutionEnvironment,
                                           tmp_path: Path) -> None:
    check_idle_input_does_not_stall(remote, tmp_path)


@pytest.mark.slow
def test_cluster_timestamps_survive_taskmanager_hops(remote: StreamExecutionEnvironment) -> None:
    check_timestamps_survive_the_network(remote)
