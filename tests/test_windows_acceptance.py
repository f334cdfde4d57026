"""AT-5..AT-8 (seed catalogue §12) on the window operator, driven record by record."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flink_py.common.time import Time
from flink_py.datastream import AggregateFunction, OutputTag
from flink_py.datastream.window import (
    CountEvictor,
    CountSlidingWindowAssigner,
    CountTrigger,
    CountTumblingWindowAssigner,
    EventTimeSessionWindows,
    GlobalWindows,
    ProcessWindowFunction,
    SlidingEventTimeWindows,
    TimeWindow,
    TumblingEventTimeWindows,
    WindowFunction,
)
from flink_py.taskmanager.operators.window import (
    AggregateContents,
    ListContents,
    WindowOperator,
)
from flink_py.taskmanager.operators.window.namespaced import MISSING

from tests.test_windows_jobs import CountAggregator, WithWindow
from tests.window_support import Harness


@dataclasses.dataclass(frozen=True)
class Event:
    timestamp: int
    user_id: str
    action: str


def _user(e: Event) -> str:
    return e.user_id


def counting(assigner: Any, lateness: int = 0, late: OutputTag | None = None) -> WindowOperator:
    return WindowOperator(_user, assigner, None, AggregateContents(CountAggregator()),
                          WithWindow(), "process", allowed_lateness=lateness, late_tag=late)


AT5_INPUT = [(1000, "u1", "a"), (2000, "u2", "a"), (9000, "u1", "b"), (12000, "u1", "c"),
             (8000, "u1", "d"), (16000, "u2", "e"), (3000, "u1", "f"), (46000, "u1", "g"),
             (4000, "u1", "h")]
LATE = OutputTag("late-events")


def test_at5_tumbling_with_lateness_and_late_side_output() -> None:
    h = Harness(counting(TumblingEventTimeWindows.of(Time.seconds(10)), 30_000, LATE), bound=5000)
    fired = [h.feed(Event(*row), row[0]) for row in AT5_INPUT]
    assert fired[:5] == [[], [], [], [], []]
    assert fired[5] == [("u1", 3, (0, 10000)), ("u2", 1, (0, 10000))]
    assert fired[6] == [("u1", 4, (0, 10000))]  # late firing within the allowed lateness
    assert fired[7] == [("u1", 1, (10000, 20000)), ("u2", 1, (10000, 20000))]
    assert fired[8] == []
    assert h.end() == [("u1", 1, (40000, 50000))]
    assert h.side("late-events") == [Event(4000, "u1", "h")]
    assert h.late_dropped() == 0
    # [0,10000) was purged at W >= 39999: its contents and timers are gone.
    assert h.op.windows.get("u1", TimeWindow(0, 10000)) is MISSING
    assert h.op.timer_service.num_event_time_timers() == 0


def test_at5_without_lateness_sends_7_to_side_output() -> None:
    h = Harness(counting(TumblingEventTimeWindows.of(Time.seconds(10)), 0, LATE), bound=5000)
    for row in AT5_INPUT:
        h.feed(Event(*row), row[0])
    h.end()
    assert h.results() == [("u1", 3, (0, 10000)), ("u2", 1, (0, 10000)),
                           ("u1", 1, (10000, 20000)), ("u2", 1, (10000, 20000)),
                           ("u1", 1, (40000, 50000))]
    assert h.side("late-events") == [Event(3000, "u1", "f"), Event(4000, "u1", "h")]


def test_at5_without_side_output_counts_dropped_records() -> None:
    h = Harness(counting(TumblingEventTimeWindows.of(Time.seconds(10))), bound=5000)
    for row in AT5_INPUT:
        h.feed(Event(*row), row[0])
    h.end()
    assert [r for r in h.results() if r[0] == "u1"][:2] == [("u1", 3, (0, 10000)),
                                                            ("u1", 1, (10000, 20000))]
    assert h.late_dropped() == 2
    assert h.out.side == {}


class EventStatistics(WindowFunction):
    def apply(self, key: str, window: TimeWindow, inputs: Any) -> Any:
        ts = [e.timestamp for e in inputs]
        yield key, len(ts), min(ts), max(ts)


def test_at5_apply_window_function() -> None:
    op = WindowOperator(_user, TumblingEventTimeWindows.of(Time.seconds(10)), None,
                        ListContents(), EventStatistics(), "apply", allowed_lateness=30_000)
    h = Harness(op, bound=5000)
    fired = [h.feed(Event(*row), row[0]) for row in AT5_INPUT[:6]]
    assert fired[5][0] == ("u1", 3, 1000, 9000)


@pytest.mark.parametrize(("size", "slide", "expected"), [
    (30, 10, [((-20000, 10000), 1), ((-10000, 20000), 2), ((0, 30000), 3),
              ((10000, 40000), 2), ((20000, 50000), 1)]),
    (10, 5, [((0, 10000), 1), ((5000, 15000), 1), ((10000, 20000), 1), ((15000, 25000), 1),
             ((20000, 30000), 1), ((25000, 35000), 1)]),
])
def test_at6_sliding(size: int, slide: int, expected: list[Any]) -> None:
    h = Harness(counting(SlidingEventTimeWindows.of(Time.seconds(size), Time.seconds(slide))),
                bound=0)
    for ts in (5000, 15000, 25000):
        h.feed(Event(ts, "u1", "x"), ts)
    h.end()
    assert sorted((w, c) for _, c, w in h.results()) == expected
    assert len(h.results()) == len(expected)


@dataclasses.dataclass
class SessionInfo:
    user_id: str
    start_time: int
    end_time: int
    event_count: int
    actions: list[str]


class SessionAggregator(AggregateFunction):
    def create_accumulator(self) -> SessionInfo:
        return SessionInfo("", 2**62, -(2**62), 0, [])

    def add(self, value: tuple[int, str, str], acc: SessionInfo) -> SessionInfo:
        ts, user, action = value
        return SessionInfo(user, min(acc.start_time, ts), max(acc.end_time, ts),
                           acc.event_count + 1, [*acc.actions, action])

    def get_result(self, acc: SessionInfo) -> SessionInfo:
        return acc

    def merge(self, a: SessionInfo, b: SessionInfo) -> SessionInfo:
        return SessionInfo(a.user_id or b.user_id, min(a.start_time, b.start_time),
                           max(a.end_time, b.end_time), a.event_count + b.event_count,
                           a.actions + b.actions)


class SessionWithWindow(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        w = context.window()
        for info in elements:
            yield (w.start, w.end), info


def sessions(gap_s: int) -> Harness:
    op = WindowOperator(lambda v: v[1], EventTimeSessionWindows.with_gap(Time.seconds(gap_s)),
                        None, AggregateContents(SessionAggregator()), SessionWithWindow(),
                        "process")
    return Harness(op, bound=5000)


def test_at7_sessions_gap_5s() -> None:
    h = sessions(5)
    fired = [h.feed((ts, "u1", a), ts) for ts, a in
             [(1000, "a"), (3000, "b"), (7000, "c"), (20000, "d")]]
    assert fired[:3] == [[], [], []]
    assert fired[3] == [((1000, 12000), SessionInfo("u1", 1000, 7000, 3, ["a", "b", "c"]))]
    assert h.end() == [((20000, 25000), SessionInfo("u1", 20000, 20000, 1, ["d"]))]


def test_at7_sessions_gap_30s() -> None:
    h = sessions(30)
    for ts, a in [(1000, "a"), (3000, "b"), (7000, "c"), (20000, "d")]:
        h.feed((ts, "u1", a), ts)
    assert h.end() == [((1000, 50000), SessionInfo("u1", 1000, 20000, 4, ["a", "b", "c", "d"]))]


def test_at7_out_of_order_element_bridges_two_sessions() -> None:
    h = sessions(5)
    for ts, a in [(1000, "a"), (7000, "c")]:
        h.feed((ts, "u1", a), ts)
    assert sorted(h.op.merging_state.get_internal("u1")) == [TimeWindow(1000, 6000),
                                                            TimeWindow(7000, 12000)]
    h.feed((3000, "u1", "b"), 3000)  # [3000,8000) bridges both
    assert h.op.merging_state.get_internal("u1") == [TimeWindow(1000, 12000)]
    (window, info), = h.end()
    assert window == (1000, 12000)
    assert (info.start_time, info.end_time, info.event_count) == (1000, 7000, 3)
    assert sorted(info.actions) == ["a", "b", "c"]
    # the timers of the merged-away windows were deleted with them
    assert h.op.timer_service.num_event_time_timers() == 0


def _counts(op: WindowOperator) -> dict[str, list[int]]:
    h = Harness(op)
    for i in range(250):
        h.feed(("u1", i))
    for i in range(30):
        h.feed(("u2", i))
    h.end()
    out: dict[str, list[int]] = {"u1": [], "u2": []}
    for key, count in h.results():
        out[key].append(count)
    return out


class KeyCount(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        for c in elements:
            yield key, c


def _count_op(assigner: Any, trigger: Any = None, evictor: Any = None) -> WindowOperator:
    return WindowOperator(lambda v: v[0], assigner, trigger, AggregateContents(CountAggregator()),
                          KeyCount(), "process", evictor=evictor)


def test_at8_count_window_100() -> None:
    assert _counts(_count_op(CountTumblingWindowAssigner.of(100))) == {"u1": [100, 100], "u2": []}


def test_at8_java_count_window_100_10_as_global_trigger_evictor() -> None:
    out = _counts(_count_op(GlobalWindows.create(), CountTrigger.of(10), CountEvictor.of(100)))
    assert out == {"u1": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] + [100] * 15,
                   "u2": [10, 20, 30]}


def test_at8_global_window_count_trigger_100_evictor_50() -> None:
    out = _counts(_count_op(GlobalWindows.create(), CountTrigger.of(100), CountEvictor.of(50)))
    assert out == {"u1": [50, 50], "u2": []}


def test_pyflink_count_window_100_10_fires_only_full_windows() -> None:
    op = _count_op(CountSlidingWindowAssigner.of(100, 10))
    assert _counts(op) == {"u1": [100] * 16, "u2": []}


def test_count_windows_are_dropped_once_complete() -> None:
    op = _count_op(CountSlidingWindowAssigner.of(4, 2))
    h = Harness(op)
    for i in range(100):
        h.feed(("k", i))
    # windows k*2 <= i < k*2+4: only the open ones (at most 2) keep contents
    assert len(op.windows._get("k")) <= 2
    assert [c for _, c in h.results()] == [4] * 49
