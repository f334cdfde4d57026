"""Window jobs end to end: PyFlink-style programs on the local cluster and on two TaskManagers.

Event time comes from ``assign_timestamps_and_watermarks`` with a
punctuated generator (a watermark after every record), so lateness is
deterministic; bounded inputs end with the maximum watermark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from flink_py.common import Time, Types, Watermark, WatermarkGenerator, WatermarkStrategy
from flink_py.datastream import AggregateFunction, OutputTag, StreamExecutionEnvironment
from flink_py.common.serializer import TypeSerializer
from flink_py.datastream.window import (
    AllWindowFunction,
    CountEvictor,
    CountTrigger,
    CountWindow,
    CountWindowSerializer,
    EventTimeSessionWindows,
    EventTimeTrigger,
    GlobalWindow,
    GlobalWindows,
    GlobalWindowSerializer,
    ProcessWindowFunction,
    SlidingEventTimeWindows,
    TimeWindow,
    TimeWindowSerializer,
    TumblingEventTimeWindows,
    WindowAssigner,
    WindowFunction,
)
from tests.api_support import by_value, cluster_env, session_cluster  # noqa: F401 - fixtures
from tests.api_support import remote_environment, two_taskmanagers_cluster
from tests.conftest import ProcessCluster

by_value(__name__)

LONG_MIN = -(1 << 63)


@dataclasses.dataclass(frozen=True)
class Event:
    timestamp: int
    user_id: str
    action: str


class Punctuated(WatermarkGenerator):
    """Bounded out-of-orderness, but a watermark after every record."""

    def __init__(self, bound: int = 5000) -> None:
        self.bound = bound
        self.max_ts = LONG_MIN + bound + 1

    def on_event(self, event: Any, event_timestamp: int, output: Any) -> None:
        self.max_ts = max(self.max_ts, event_timestamp)
        output.emit_watermark(Watermark(self.max_ts - self.bound - 1))

    def on_periodic_emit(self, output: Any) -> None:
        pass


def _events(env: StreamExecutionEnvironment, rows: list[tuple[int, str, str]]) -> Any:
    strategy = (WatermarkStrategy.for_generator(Punctuated)
                .with_timestamp_assigner(lambda e, ts: e.timestamp))
    # One generator sees the records in input order (at p > 1 each subtask would
    # see a share and the window would wait for the slowest, as in Flink).
    return (env.from_collection([Event(*r) for r in rows])
            .assign_timestamps_and_watermarks(strategy).set_parallelism(1))


class CountAggregator(AggregateFunction):
    def create_accumulator(self) -> int:
        return 0

    def add(self, value: Any, accumulator: int) -> int:
        return accumulator + 1

    def get_result(self, accumulator: int) -> int:
        return accumulator

    def merge(self, acc_a: int, acc_b: int) -> int:
        return acc_a + acc_b


class WithWindow(ProcessWindowFunction):
    def process(self, key: str, context: ProcessWindowFunction.Context, elements: Any) -> Any:
        w = context.window()
        for count in elements:
            yield key, count, (w.start, w.end)


AT5_INPUT = [(1000, "u1", "a"), (2000, "u2", "a"), (9000, "u1", "b"), (12000, "u1", "c"),
             (8000, "u1", "d"), (16000, "u2", "e"), (3000, "u1", "f"), (46000, "u1", "g"),
             (4000, "u1", "h")]
AT5_MAIN = [("u1", 3, (0, 10000)), ("u2", 1, (0, 10000)), ("u1", 4, (0, 10000)),
            ("u1", 1, (10000, 20000)), ("u2", 1, (10000, 20000)), ("u1", 1, (40000, 50000))]


def _at5(env: StreamExecutionEnvironment) -> tuple[list[Any], list[Any]]:
    late = OutputTag("late-events")
    counts = (_events(env, AT5_INPUT)
              .key_by(lambda e: e.user_id)
              .window(TumblingEventTimeWindows.of(Time.seconds(10)))
              .allowed_lateness(30_000)
              .side_output_late_data(late)
              .aggregate(CountAggregator(), window_function=WithWindow()))
    both = counts.union(counts.get_side_output(late))
    out = list(both.execute_and_collect("AT-5"))
    return ([r for r in out if not isinstance(r, Event)], [r for r in out if isinstance(r, Event)])


def _per_key(records: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in records:
        out.setdefault(r[0], []).append(r)
    return out


def test_at5_job(cluster_env: Any) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    main, side = _at5(env)
    assert main == AT5_MAIN
    assert side == [Event(4000, "u1", "h")]


def test_at6_and_at7_jobs(cluster_env: Any) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    sliding = (_events(env, [(5000, "u1", "x"), (15000, "u1", "y"), (25000, "u1", "z")])
               .key_by(lambda e: e.user_id)
               .window(SlidingEventTimeWindows.of(Time.seconds(30), Time.seconds(10)))
               .aggregate(CountAggregator(), window_function=WithWindow()))
    assert sorted(sliding.execute_and_collect("AT-6"), key=lambda r: r[2]) == [
        ("u1", 1, (-20000, 10000)), ("u1", 2, (-10000, 20000)), ("u1", 3, (0, 30000)),
        ("u1", 2, (10000, 40000)), ("u1", 1, (20000, 50000))]

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    rows = [(1000, "u2", "a"), (1000, "u1", "a"), (7000, "u1", "c"), (3000, "u1", "b"),
            (20000, "u1", "d"), (2000, "u2", "late")]  # the last one is dropped as late
    sessions = (_events(env, rows)
                .key_by(lambda e: e.user_id)
                .window(EventTimeSessionWindows.with_gap(Time.seconds(5)))
                .aggregate(CountAggregator(), window_function=WithWindow()))
    assert sorted(sessions.execute_and_collect("AT-7")) == [
        ("u1", 1, (20000, 25000)), ("u1", 3, (1000, 12000)), ("u2", 1, (1000, 6000))]


class KeyCount(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        yield key, len(list(elements))


def _at8_counts(env: StreamExecutionEnvironment) -> tuple[Any, Any, Any]:
    data = [("u1", i) for i in range(250)] + [("u2", i) for i in range(30)]
    ds = env.from_collection(data)
    tumbling = ds.key_by(lambda v: v[0]).count_window(100).aggregate(
        CountAggregator(), window_function=WithKey())
    java_sliding = (ds.key_by(lambda v: v[0]).window(GlobalWindows.create())
                    .trigger(CountTrigger.of(10)).evictor(CountEvictor.of(100))
                    .process(KeyCount()))
    evicting = (ds.key_by(lambda v: v[0]).window(GlobalWindows.create())
                .trigger(CountTrigger.of(100)).evictor(CountEvictor.of(50))
                .aggregate(CountAggregator(), window_function=WithKey()))
    tagged = (tumbling.map(lambda r: ("tumbling", *r))
              .union(java_sliding.map(lambda r: ("java", *r)),
                     evicting.map(lambda r: ("evicting", *r))))
    out: dict[tuple[str, str], list[int]] = {}
    for kind, key, count in tagged.execute_and_collect("AT-8"):
        out.setdefault((kind, key), []).append(count)
    return out, None, None


class WithKey(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        for c in elements:
            yield key, c


AT8 = {("tumbling", "u1"): [100, 100],
       ("java", "u1"): [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] + [100] * 15,
       ("java", "u2"): [10, 20, 30],
       ("evicting", "u1"): [50, 50]}


def test_at8_job(cluster_env: Any) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    out, _, _ = _at8_counts(env)
    assert out == AT8


class Span(AllWindowFunction):
    def apply(self, window: Any, inputs: Any) -> Any:
        values = list(inputs)
        yield window.start, len(values), sum(e.timestamp for e in values)


def test_window_all_and_reduce(cluster_env: Any) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    rows = [(t, f"u{t % 3}", "x") for t in range(0, 30000, 1000)]
    all_windows = (_events(env, rows).window_all(TumblingEventTimeWindows.of(Time.seconds(10)))
                   .apply(Span()))
    assert sorted(all_windows.execute_and_collect("window_all")) == [
        (0, 10, sum(range(0, 10000, 1000))), (10000, 10, sum(range(10000, 20000, 1000))),
        (20000, 10, sum(range(20000, 30000, 1000)))]

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    reduced = (_events(env, rows)
               .map(lambda e: (e.user_id, 1), output_type=Types.TUPLE([Types.STRING(),
                                                                      Types.INT()]))
               .key_by(lambda t: t[0])
               .window(TumblingEventTimeWindows.of(Time.seconds(15)))
               .reduce(lambda a, b: (a[0], a[1] + b[1])))
    assert sorted(reduced.execute_and_collect("reduce")) == [
        ("u0", 5), ("u0", 5), ("u1", 5), ("u1", 5), ("u2", 5), ("u2", 5)]


@pytest.fixture(scope="module")
def two_taskmanagers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    with two_taskmanagers_cluster(tmp_path_factory.mktemp("windows-cluster")) as cluster:
        yield cluster


@pytest.mark.slow
def test_windows_on_two_taskmanagers(two_taskmanagers: ProcessCluster) -> None:
    with remote_environment(two_taskmanagers.address) as env:
        main, side = _at5(env)
        assert _per_key(main) == _per_key(AT5_MAIN)
        assert side == [Event(4000, "u1", "h")]
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(2)
        out, _, _ = _at8_counts(env)
        assert out == AT8


class MeanWithoutMerge(AggregateFunction):
    """PyFlink users often leave ``merge`` empty: Flink only calls it for session windows."""

    def create_accumulator(self) -> tuple[int, int]:
        return 0, 0

    def add(self, value: Any, accumulator: tuple[int, int]) -> tuple[int, int]:
        return accumulator[0] + int(value.action), accumulator[1] + 1

    def get_result(self, accumulator: tuple[int, int]) -> float:
        return accumulator[0] / accumulator[1]

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        pass


def test_sliding_windows_reduce_in_arrival_order_and_never_merge(cluster_env: Any) -> None:
    rows = [(1000, "u", "1"), (6000, "u", "2"), (2000, "u", "3"), (7000, "u", "4"),
            (30000, "u", "0")]
    env = StreamExecutionEnvironment.get_execution_environment()
    windowed = _events(env, rows).key_by(lambda e: e.user_id).window(
        SlidingEventTimeWindows.of(Time.seconds(10), Time.seconds(5)))
    joined = windowed.reduce(lambda a, b: Event(a.timestamp, a.user_id, a.action + b.action))
    assert [e.action for e in joined.execute_and_collect()] == ["13", "1234", "24", "0", "0"]
    env = StreamExecutionEnvironment.get_execution_environment()
    means = _events(env, rows).key_by(lambda e: e.user_id).window(
        SlidingEventTimeWindows.of(Time.seconds(10), Time.seconds(5))).aggregate(MeanWithoutMerge())
    assert list(means.execute_and_collect()) == [2.0, 2.5, 3.0, 0.0, 0.0]


class CountsWithGlobalState(ProcessWindowFunction):
    """Counts its firings per key in global state; ``clear`` would reset the count."""

    def process(self, key: str, context: ProcessWindowFunction.Context, elements: Any) -> Any:
        from flink_py.datastream.state import ValueStateDescriptor

        fired = context.global_state().get_state(ValueStateDescriptor("fired", Types.INT()))
        fired.update((fired.value() or 0) + 1)
        yield key, fired.value(), [e.action for e in elements]

    def clear(self, context: ProcessWindowFunction.Context) -> None:
        from flink_py.datastream.state import ValueStateDescriptor

        context.global_state().get_state(ValueStateDescriptor("fired", Types.INT())).clear()


def test_count_windows_never_call_clear_as_in_pyflink(cluster_env: Any) -> None:
    """A count window's cleanup time is Long.MAX: Flink never cleans it up."""
    env = StreamExecutionEnvironment.get_execution_environment()
    rows = [(i * 1000, "u", str(i)) for i in range(6)]
    out = list(_events(env, rows).key_by(lambda e: e.user_id).count_window(2)
               .process(CountsWithGlobalState()).execute_and_collect())
    assert out == [("u", 1, ["0", "1"]), ("u", 2, ["2", "3"]), ("u", 3, ["4", "5"])]


class UsesWindowState(ProcessWindowFunction):
    def process(self, key: str, context: ProcessWindowFunction.Context, elements: Any) -> Any:
        context.window_state()
        yield key


def test_window_state_in_merging_windows_fails_as_in_flink(cluster_env: Any) -> None:
    from flink_py.client.cluster_client import JobExecutionException

    env = StreamExecutionEnvironment.get_execution_environment()
    sessions = _events(env, [(1000, "u", "a")]).key_by(lambda e: e.user_id).window(
        EventTimeSessionWindows.with_gap(Time.seconds(5))).process(UsesWindowState())
    with pytest.raises(JobExecutionException,
                       match="Per-window state is not allowed when using merging windows"):
        list(sessions.execute_and_collect())


class Collect(WindowFunction):
    def apply(self, key: str, window: Any, inputs: Any) -> Any:
        yield key, [e.action for e in inputs]


class DocsTumblingAssigner(WindowAssigner):
    """The custom assigner of PyFlink's windows docs: get_default_trigger takes ``env``."""

    def assign_windows(self, element: Any, timestamp: int, context: Any) -> Any:
        start = TimeWindow.get_window_start_with_offset(timestamp, 0, 5000)
        return [TimeWindow(start, start + 5000)]

    def get_default_trigger(self, env: Any) -> Any:
        assert isinstance(env, StreamExecutionEnvironment)
        return EventTimeTrigger()

    def get_window_serializer(self) -> TypeSerializer:
        return TimeWindowSerializer()

    def is_event_time(self) -> bool:
        return True


def test_custom_assigner_written_for_pyflink(cluster_env: Any) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    rows = [(1000, "u", "a"), (2000, "u", "b"), (6000, "u", "c")]
    out = (_events(env, rows).key_by(lambda e: e.user_id).window(DocsTumblingAssigner())
           .apply(Collect()).execute_and_collect())
    assert list(out) == [("u", ["a", "b"]), ("u", ["c"])]


@pytest.mark.parametrize(("serializer", "window"), [
    (TimeWindowSerializer(), TimeWindow(-5, 1 << 40)), (CountWindowSerializer(), CountWindow(7)),
    (GlobalWindowSerializer(), GlobalWindow.get())])
def test_window_serializers_round_trip(serializer: TypeSerializer, window: Any) -> None:
    import io

    stream = io.BytesIO()
    serializer.serialize(window, stream)
    stream.seek(0)
    assert serializer.deserialize(stream) == window
