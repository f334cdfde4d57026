"""Assigners, triggers, evictors, processing time, merging state and errors of the window operator."""

from __future__ import annotations

from typing import Any

import pytest

from flink_py.common.time import Duration, Time
from flink_py.datastream.state import ValueStateDescriptor
from flink_py.datastream.window import (
    ContinuousEventTimeTrigger,
    ContinuousProcessingTimeTrigger,
    CountTrigger,
    EventTimeSessionWindows,
    ProcessingTimeSessionWindows,
    ProcessWindowFunction,
    PurgingTrigger,
    SlidingEventTimeWindows,
    TimeEvictor,
    TimeWindow,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
)
from flink_py.taskmanager.operators.window import ListContents, ReduceContents, WindowOperator
from tests.window_support import Harness


def _add(a: Any, b: Any) -> Any:
    return (a[0], a[1] + b[1])


def _sum_op(assigner: Any, trigger: Any = None, evictor: Any = None) -> WindowOperator:
    return WindowOperator(lambda v: v[0], assigner, trigger, ReduceContents(_add),
                          evictor=evictor)


def test_assigners_follow_flink_formulas() -> None:
    assert TumblingEventTimeWindows.of(Time.seconds(10)).assign_windows(None, -1, None) == [
        TimeWindow(-10000, 0)]
    assert TumblingEventTimeWindows.of(Duration.of_hours(1), Duration.of_minutes(15)) \
        .assign_windows(None, 0, None) == [TimeWindow(-2_700_000, 900_000)]
    assert SlidingEventTimeWindows.of(30_000, 10_000).assign_windows(None, 5000, None) == [
        TimeWindow(0, 30000), TimeWindow(-10000, 20000), TimeWindow(-20000, 10000)]
    with pytest.raises(RuntimeError, match="assign_timestamps_and_watermarks"):
        TumblingEventTimeWindows.of(1000).assign_windows(None, -(1 << 63), None)
    with pytest.raises(ValueError, match="abs\\(offset\\) < size"):
        TumblingEventTimeWindows.of(1000, 1000)


def test_reduce_keeps_one_accumulator_per_window() -> None:
    h = Harness(_sum_op(TumblingEventTimeWindows.of(10)), bound=0)
    for ts in range(0, 30):
        h.feed(("k", 1), ts)
        contents = h.op.windows._get("k")  # noqa: SLF001
        assert all(isinstance(v, tuple) for v in contents.values())  # not element lists
    h.end()
    assert h.results() == [("k", 10)] * 3
    assert [ts for _, ts in h.out.records] == [9, 19, 29]  # window.max_timestamp()
    assert h.out.watermarks[-1] == (1 << 63) - 1


def test_processing_time_tumbling_and_session_windows() -> None:
    h = Harness(_sum_op(TumblingProcessingTimeWindows.of(Time.seconds(1))))
    h.now = 100
    h.feed(("k", 1))
    h.now = 900
    h.feed(("k", 2))
    assert h.tick(998) == []
    assert h.tick(999) == [("k", 3)]
    h.now = 1500
    h.feed(("k", 5))
    assert h.tick(1999) == [("k", 5)]

    s = Harness(_sum_op(ProcessingTimeSessionWindows.with_gap(100)))
    s.now = 0
    s.feed(("k", 1))
    s.now = 50
    s.feed(("k", 1))  # extends the session to [0, 150)
    assert s.tick(120) == []
    assert s.tick(149) == [("k", 2)]


def test_dynamic_gap_sessions() -> None:
    h = Harness(_sum_op(EventTimeSessionWindows.with_dynamic_gap(lambda v: v[1] * 1000)),
                bound=0)
    h.feed(("k", 1), 0)      # [0, 1000)
    h.feed(("k", 5), 900)    # [900, 5900) merges: [0, 5900)
    h.feed(("k", 1), 10000)
    assert h.results() == [("k", 6)]


def test_continuous_event_time_and_purging_triggers() -> None:
    h = Harness(_sum_op(TumblingEventTimeWindows.of(10_000), ContinuousEventTimeTrigger.of(
        Time.seconds(2))), bound=0)
    for ts in (500, 1500, 2500, 4500):
        h.feed(("k", 1), ts)
    # the timer at 2000 fires on W=2499 (after 2500 arrived), the one at 4000 on W=4499
    assert h.results() == [("k", 3), ("k", 4)]
    assert h.end() == [("k", 4)] * 3  # 6000, 8000 and the window end (9999)

    p = Harness(_sum_op(TumblingEventTimeWindows.of(10_000),
                        PurgingTrigger.of(CountTrigger.of(2))), bound=0)
    for ts in range(5):
        p.feed(("k", 1), ts)
    assert p.results() == [("k", 2), ("k", 2)]
    assert p.end() == []  # the purged window holds one element, but the count trigger waits


def test_continuous_processing_time_trigger() -> None:
    h = Harness(_sum_op(TumblingProcessingTimeWindows.of(10_000),
                        ContinuousProcessingTimeTrigger.of(1000)))
    h.now = 100
    h.feed(("k", 1))
    assert h.tick(1000) == [("k", 1)]
    h.feed(("k", 1))
    assert h.tick(2000) == [("k", 2)]


class Listing(ProcessWindowFunction):
    def process(self, key: Any, context: Any, elements: Any) -> Any:
        yield [v[1] for v in elements]


def test_time_evictor_before_and_after() -> None:
    op = WindowOperator(lambda v: v[0], TumblingEventTimeWindows.of(100), CountTrigger.of(3),
                        ListContents(), Listing(), "process", evictor=TimeEvictor.of(10))
    h = Harness(op)
    for i, ts in enumerate((0, 5, 30)):
        h.feed(("k", i), ts)
    assert h.results() == [[2]]  # only elements within 10 ms of the newest (30)

    op = WindowOperator(lambda v: v[0], TumblingEventTimeWindows.of(100), CountTrigger.of(2),
                        ListContents(), Listing(), "process",
                        evictor=TimeEvictor.of(10, do_evict_after=True))
    h = Harness(op)
    for i, ts in enumerate((0, 50, 55, 60)):
        h.feed(("k", i), ts)
    assert h.results() == [[0, 1], [1, 2, 3]]


class StatefulWindows(ProcessWindowFunction):
    """Counts firings per window (window_state) and per key (global_state)."""

    def process(self, key: Any, context: Any, elements: Any) -> Any:
        per_window = context.window_state().get_state(ValueStateDescriptor("fires", None))
        per_key = context.global_state().get_state(ValueStateDescriptor("fires", None))
        per_window.update((per_window.value() or 0) + 1)
        per_key.update((per_key.value() or 0) + 1)
        yield context.window().start, per_window.value(), per_key.value(), \
            context.current_watermark()

    def clear(self, context: Any) -> None:
        context.window_state().get_state(ValueStateDescriptor("fires", None)).clear()


def test_process_window_function_state_and_clear() -> None:
    op = WindowOperator(lambda v: v[0], TumblingEventTimeWindows.of(10), None, ListContents(),
                        StatefulWindows(), "process", allowed_lateness=100)
    h = Harness(op, bound=0)
    h.feed(("k", 1), 1)
    h.feed(("k", 1), 15)      # W=14 fires [0,10)
    h.feed(("k", 1), 2)       # late firing of [0,10)
    h.feed(("k", 1), 200)     # W=199: fires [10,20), cleans up [0,10) and [10,20)
    assert h.results() == [(0, 1, 1, 14), (0, 2, 2, 14), (10, 1, 3, 199)]
    table = op._state_cache[("_window:", "fires", "get_state")]._table  # noqa: SLF001
    assert table.get("k", TimeWindow(0, 10)) is table.get("k", "none")  # cleared by clear()


def test_merging_needs_a_merging_trigger_and_nonnegative_lateness() -> None:
    class NoMerge(CountTrigger):
        def can_merge(self) -> bool:
            return False

    with pytest.raises(TypeError, match="merging"):
        WindowOperator(lambda v: v, EventTimeSessionWindows.with_gap(10), NoMerge(2),
                       ListContents())
    with pytest.raises(ValueError, match="lateness"):
        WindowOperator(lambda v: v, TumblingEventTimeWindows.of(10), None, ListContents(),
                       allowed_lateness=-1)
    with pytest.raises(TypeError, match="WindowAssigner"):
        WindowOperator(lambda v: v, "tumbling", None, ListContents())
