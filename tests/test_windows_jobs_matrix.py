"""Every window assigner, trigger, evictor and function form in PyFlink-style jobs.

Two jobs, each with many windowed pipelines over one shared input:

* **event time**: ``from_collection`` + ``assign_timestamps_and_watermarks``
  (a punctuated generator at parallelism 1: a watermark after every record,
  so firing and lateness are exact) and ``from_source`` with a monotonous
  strategy; tumbling / sliding (offset) / session / dynamic-session / global /
  count windows, EventTime / Count / Purging / ContinuousEventTime / user
  triggers, Count and Time evictors before and after the function, reduce /
  aggregate / process / apply and the incremental ``window_function`` forms,
  allowed lateness with a late side output and dropped late records,
  ``window_all``. Expected outputs are worked out by hand in the comments.
* **processing time**: a source releasing bursts of elements, each only
  after every pipeline has emitted the windows of the previous burst (marker
  files), so windows never mix bursts. Sessions give exact counts; tumbling
  and sliding windows are checked by their per-burst totals, which do not
  depend on where a window boundary falls.

Both run in local mode (``execute()`` starts the embedded cluster) and, marked
slow, on a JobManager with two single-slot TaskManagers at parallelism 2,
where the keys ``a`` and ``b`` land on different subtasks, hence different
TaskManagers.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flink_py.common import (
    Time,
    Types,
    Watermark,
    WatermarkGenerator,
    WatermarkStrategy,
)
from flink_py.common.runtime.keygroups import assign_key_to_parallel_operator
from flink_py.datastream import (
    AggregateFunction,
    OutputTag,
    ProcessFunction,
    SourceFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.datastream.state import ValueStateDescriptor
from flink_py.datastream.window import (
    AllWindowFunction,
    ContinuousEventTimeTrigger,
    ContinuousProcessingTimeTrigger,
    CountEvictor,
    CountTrigger,
    EventTimeSessionWindows,
    EventTimeTrigger,
    GlobalWindows,
    ProcessAllWindowFunction,
    ProcessingTimeSessionWindows,
    ProcessingTimeTrigger,
    ProcessWindowFunction,
    PurgingTrigger,
    SessionWindowTimeGapExtractor,
    SlidingEventTimeWindows,
    SlidingProcessingTimeWindows,
    TimeEvictor,
    Trigger,
    TriggerResult,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowFunction,
)

from tests.api_support import by_value, remote_environment, two_taskmanagers_cluster
from tests.conftest import ProcessCluster

by_value(__name__)

LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1
SUBTASK = {"e": 1, "i": 0}  # key -> subtask at parallelism 2 (max parallelism 128)


def test_keys_land_on_both_subtasks() -> None:
    assert {k: assign_key_to_parallel_operator(k, 128, 2) for k in SUBTASK} == SUBTASK
    assert {assign_key_to_parallel_operator(f"k{r}", 128, 2) for r in range(4)} == {0, 1}


# -- functions ---------------------------------------------------------------------------------
class Punctuated(WatermarkGenerator):
    """A watermark ``max_ts - 1`` after every record."""

    def __init__(self) -> None:
        self.max_ts = LONG_MIN + 1

    def on_event(self, event: Any, event_timestamp: int, output: Any) -> None:
        self.max_ts = max(self.max_ts, event_timestamp)
        output.emit_watermark(Watermark(self.max_ts - 1))

    def on_periodic_emit(self, output: Any) -> None:
        pass


class Tag(ProcessFunction):
    """``(name, *result, timestamp)``: a window result's timestamp is its max_timestamp."""

    def __init__(self, name: str) -> None:
        self.name = name

    def process_element(self, value: Any, ctx: ProcessFunction.Context) -> Any:
        yield (self.name, *(value if isinstance(value, tuple) else (value,)), ctx.timestamp())


class CountSum(AggregateFunction):
    """(count, sum) of the values ``e[1]``."""

    def create_accumulator(self) -> tuple[int, int]:
        return 0, 0

    def add(self, value: Any, accumulator: tuple[int, int]) -> tuple[int, int]:
        return accumulator[0] + 1, accumulator[1] + value[1]

    def get_result(self, accumulator: tuple[int, int]) -> tuple[int, int]:
        return accumulator

    def merge(self, acc_a: tuple[int, int], acc_b: tuple[int, int]) -> tuple[int, int]:
        return acc_a[0] + acc_b[0], acc_a[1] + acc_b[1]


class Sum(AggregateFunction):
    def create_accumulator(self) -> int:
        return 0

    def add(self, value: Any, accumulator: int) -> int:
        return accumulator + value[1]

    def get_result(self, accumulator: int) -> int:
        return accumulator

    def merge(self, acc_a: int, acc_b: int) -> int:
        return acc_a + acc_b


def add_values(x: Any, y: Any) -> Any:
    return x[0], x[1] + y[1]


class WindowOfCountSum(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        w = context.window()
        for n, total in elements:
            yield key, w.start, w.end, n, total


class Sessions(ProcessWindowFunction):
    """Session contents, the key's fire count (global state) and this subtask's index."""

    def open(self, runtime_context: Any) -> None:
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process(self, key: str, context: Any, elements: Any) -> Any:
        fires = context.global_state().get_state(ValueStateDescriptor("fires", Types.INT()))
        fires.update((fires.value() or 0) + 1)
        w = context.window()
        yield key, w.start, w.end, sorted(e[1] for e in elements), fires.value(), self.subtask


class GapOf(SessionWindowTimeGapExtractor):
    def extract(self, element: Any) -> int:
        return 1000 * (element[1] % 4 + 1)


class SumApply(WindowFunction):
    def apply(self, key: str, window: Any, inputs: Any) -> Any:
        yield key, window.start, window.end, sum(e[1] for e in inputs)


class StartAndValue(WindowFunction):
    """The pre-aggregated value of ``reduce``/``aggregate`` with the key and window start."""

    def apply(self, key: str, window: Any, inputs: Any) -> Any:
        for v in inputs:
            yield key, window.start, v[1] if isinstance(v, tuple) else v


class Values(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        yield key, context.window().start, sorted(e[1] for e in elements)


class ValuesInOrder(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        yield key, [e[1] for e in elements]


class MultipleOfThree(Trigger):
    """A user trigger: FIRE_AND_PURGE on a value divisible by 3, FIRE at the window's end.

    Per-window state remembers the end-of-window timer; it supports merging.
    """

    def __init__(self) -> None:
        self.registered = ValueStateDescriptor("registered", Types.LONG())

    def _ensure_timer(self, window: Any, ctx: Any) -> None:
        state = ctx.get_partitioned_state(self.registered)
        if state.value() != window.max_timestamp():
            ctx.register_event_time_timer(window.max_timestamp())
            state.update(window.max_timestamp())

    def on_element(self, element: Any, timestamp: int, window: Any, ctx: Any) -> TriggerResult:
        self._ensure_timer(window, ctx)
        return TriggerResult.FIRE_AND_PURGE if element[1] % 3 == 0 else TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: Any, ctx: Any) -> TriggerResult:
        return TriggerResult.FIRE if time == window.max_timestamp() else TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: Any, ctx: Any) -> TriggerResult:
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:
        return True

    def on_merge(self, window: Any, ctx: Any) -> None:
        self._ensure_timer(window, ctx)

    def clear(self, window: Any, ctx: Any) -> None:
        state = ctx.get_partitioned_state(self.registered)
        if state.value() is not None:
            ctx.delete_event_time_timer(state.value())
        state.clear()


class AllCount(ProcessAllWindowFunction):
    def process(self, context: Any, elements: Any) -> Any:
        yield context.window().start, len(list(elements))


class AllSumApply(AllWindowFunction):
    def apply(self, window: Any, inputs: Any) -> Any:
        yield window.start, sum(e[1] for e in inputs)


# -- the event-time job ----------------------------------------------------------------------
#: (timestamp, key, value), in timestamp order: nothing is late.
ORDERED = [(1000, "e", 1), (2000, "i", 2), (3000, "e", 3), (4500, "e", 4), (9000, "i", 5),
           (11000, "e", 6), (12000, "i", 7), (13000, "e", 8), (21000, "e", 9), (22000, "i", 10),
           (35000, "i", 11)]
# watermarks after each record: 999 1999 2999 4499 8999 10999 11999 12999 20999 21999 34999, MAX
#: out of order: (8000, a) is late but within 5 s of lateness; 3000, 4000, 5000 come too late.
LATE = [(1000, "e", 1), (2000, "i", 1), (9000, "e", 1), (12000, "e", 1), (8000, "e", 1),
        (16000, "i", 1), (3000, "i", 1), (14000, "e", 1), (4000, "e", 1), (26000, "i", 1),
        (5000, "i", 1)]


def _stamped(env: StreamExecutionEnvironment, rows: list[tuple[int, str, int]]) -> Any:
    strategy = (WatermarkStrategy.for_generator(Punctuated)
                .with_timestamp_assigner(lambda e, ts: e[0]))
    # parallelism 1 up to the key_by: one generator sees every record in order, and
    # each window subtask gets records and watermarks in that order over one channel
    return (env.from_collection(rows).assign_timestamps_and_watermarks(strategy)
            .set_parallelism(1)
            .map(lambda e: (e[1], e[2])).set_parallelism(1))  # (key, value), keeps the timestamp


def event_time_job(env: StreamExecutionEnvironment) -> list[Any]:
    """Build and run the event-time job; returns every tagged result."""
    s = _stamped(env, ORDERED)
    by_key = s.key_by(lambda e: e[0])
    out = [
        by_key.window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .trigger(EventTimeTrigger.create()).reduce(add_values).process(Tag("tumbling")),
        by_key.window(SlidingEventTimeWindows.of(Time.seconds(10), Time.seconds(5),
                                                 Time.seconds(1)))
        .aggregate(CountSum(), window_function=WindowOfCountSum()).process(Tag("sliding")),
        by_key.window(EventTimeSessionWindows.with_gap(Time.seconds(3)))
        .process(Sessions()).process(Tag("session")),
        by_key.window(EventTimeSessionWindows.with_dynamic_gap(GapOf()))
        .apply(SumApply()).process(Tag("dynamic-session")),
        by_key.window(GlobalWindows.create()).trigger(CountTrigger.of(3))
        .evictor(CountEvictor.of(2)).reduce(add_values).process(Tag("count-evict-before")),
        by_key.window(GlobalWindows.create()).trigger(CountTrigger.of(2))
        .evictor(CountEvictor.of(1, do_evict_after=True)).aggregate(Sum())
        .process(Tag("count-evict-after")),
        by_key.count_window(2).aggregate(Sum()).process(Tag("count-tumbling")),
        by_key.count_window(3, 2).process(ValuesInOrder()).process(Tag("count-sliding")),
        by_key.window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .trigger(ContinuousEventTimeTrigger.of(Time.seconds(4)))
        .aggregate(Sum(), window_function=StartAndValue()).process(Tag("continuous")),
        by_key.window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .trigger(PurgingTrigger.of(CountTrigger.of(2)))
        .reduce(add_values, window_function=StartAndValue()).process(Tag("purging-count")),
        by_key.window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .trigger(MultipleOfThree()).process(Values()).process(Tag("user-trigger")),
        by_key.window(EventTimeSessionWindows.with_gap(Time.seconds(3)))
        .trigger(MultipleOfThree()).apply(SumApply()).process(Tag("user-trigger-sessions")),
        by_key.window(TumblingEventTimeWindows.of(Time.seconds(20)))
        .evictor(TimeEvictor.of(Time.seconds(3))).process(Values()).process(Tag("time-evict")),
        by_key.window(GlobalWindows.create()).trigger(CountTrigger.of(2))
        .evictor(TimeEvictor.of(Time.seconds(3), do_evict_after=True))
        .process(ValuesInOrder()).process(Tag("time-evict-after")),
        s.window_all(TumblingEventTimeWindows.of(Time.seconds(10))).aggregate(Sum())
        .process(Tag("all-tumbling")),
        s.window_all(SlidingEventTimeWindows.of(Time.seconds(20), Time.seconds(10)))
        .process(AllCount()).process(Tag("all-sliding")),
        s.window_all(GlobalWindows.create()).trigger(CountTrigger.of(4)).reduce(add_values)
        .process(Tag("all-count")),
        s.window_all(TumblingEventTimeWindows.of(Time.seconds(20))).apply(AllSumApply())
        .process(Tag("all-apply")),
    ]
    late_tag = OutputTag("late")
    lateness = (_stamped(env, LATE).key_by(lambda e: e[0])
                .window(TumblingEventTimeWindows.of(Time.seconds(10)))
                .allowed_lateness(5000).side_output_late_data(late_tag)
                .aggregate(CountSum(), window_function=WindowOfCountSum()))
    out.append(lateness.process(Tag("lateness")))
    out.append(lateness.get_side_output(late_tag).process(Tag("late")))
    out.append(_stamped(env, LATE).key_by(lambda e: e[0])  # late records dropped, counted
               .window(TumblingEventTimeWindows.of(Time.seconds(10)))
               .reduce(add_values).process(Tag("dropping")))
    numbers = env.from_source(
        NumberSequenceSource(0, 59),
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(
            lambda v, ts: v * 1000), "numbers")
    out.append(numbers.map(lambda v: (f"k{v % 4}", v)).key_by(lambda e: e[0])
               .window(TumblingEventTimeWindows.of(Time.seconds(10))).reduce(add_values)
               .process(Tag("from-source")))
    first, *rest = out
    return list(first.union(*rest).execute_and_collect("event-time windows"))


W = 9999  # max_timestamp of [0, 10000)
EXPECTED_EVENT_TIME: dict[str, list[Any]] = {
    # a: 1 3 4 | 6 8 | 9      b: 2 5 | 7 | 10 | 11
    "tumbling": [("e", 8, W), ("e", 14, W + 10000), ("e", 9, W + 20000),
                 ("i", 7, W), ("i", 7, W + 10000), ("i", 10, W + 20000), ("i", 11, W + 30000)],
    # windows start at 1000 + k * 5000, 10 s long: each element is in two of them
    "sliding": [("e", -4000, 6000, 3, 8, 5999), ("e", 1000, 11000, 3, 8, 10999),
                ("e", 6000, 16000, 2, 14, 15999), ("e", 11000, 21000, 2, 14, 20999),
                ("e", 16000, 26000, 1, 9, 25999), ("e", 21000, 31000, 1, 9, 30999),
                ("i", -4000, 6000, 1, 2, 5999), ("i", 1000, 11000, 2, 7, 10999),
                ("i", 6000, 16000, 2, 12, 15999), ("i", 11000, 21000, 1, 7, 20999),
                ("i", 16000, 26000, 1, 10, 25999), ("i", 21000, 31000, 1, 10, 30999),
                ("i", 26000, 36000, 1, 11, 35999), ("i", 31000, 41000, 1, 11, 40999)],
    # gap 3 s; b's [9000, 12000) and [12000, 15000) touch, so they merge
    "session": [("e", 1000, 7500, [1, 3, 4], 1, 1, 7499), ("e", 11000, 16000, [6, 8], 2, 1, 15999),
                ("e", 21000, 24000, [9], 3, 1, 23999), ("i", 2000, 5000, [2], 1, 0, 4999),
                ("i", 9000, 15000, [5, 7], 2, 0, 14999), ("i", 22000, 25000, [10], 3, 0, 24999),
                ("i", 35000, 38000, [11], 4, 0, 37999)],
    # gap (value % 4 + 1) s: a 1->[1000,3000) 3->[3000,7000) 4->[4500,5500) ...
    "dynamic-session": [("e", 1000, 7000, 8, 6999), ("e", 11000, 14000, 14, 13999),
                        ("e", 21000, 23000, 9, 22999), ("i", 2000, 5000, 2, 4999),
                        ("i", 9000, 11000, 5, 10999), ("i", 12000, 16000, 7, 15999),
                        ("i", 22000, 25000, 10, 24999), ("i", 35000, 39000, 11, 38999)],
    # every 3rd element: the last 2 of everything kept so far
    "count-evict-before": [("e", 7, LONG_MAX), ("e", 17, LONG_MAX), ("i", 12, LONG_MAX)],
    # every 2nd element: the sum, then only the newest element stays
    # (aggregate without window function: the sums alone; a: 4 13 23, b: 7 22)
    "count-evict-after": [(4, LONG_MAX), (13, LONG_MAX), (23, LONG_MAX), (7, LONG_MAX),
                          (22, LONG_MAX)],
    "count-tumbling": [(4, LONG_MAX), (10, LONG_MAX), (17, LONG_MAX), (7, LONG_MAX),
                       (17, LONG_MAX)],  # a: 1+3 4+6 8+9, b: 2+5 7+10 (11 never fills one)
    # PyFlink count_window(3, 2): elements i of window k: 2k <= i < 2k + 3, full windows only
    "count-sliding": [("e", [1, 3, 4], LONG_MAX), ("e", [4, 6, 8], LONG_MAX),
                      ("i", [2, 5, 7], LONG_MAX), ("i", [7, 10, 11], LONG_MAX)],
    # every 4 s of event time from the first element's interval start, and at the end
    "continuous": [("e", 0, 8, W)] * 3 + [("e", 10000, 14, W + 10000)] * 3
    + [("e", 20000, 9, W + 20000)] * 3 + [("i", 0, 2, W), ("i", 0, 7, W), ("i", 0, 7, W)]
    + [("i", 10000, 7, W + 10000)] * 2 + [("i", 20000, 10, W + 20000)] * 3
    + [("i", 30000, 11, W + 30000)] * 2,
    # FIRE_AND_PURGE every 2 elements of a window; leftovers are dropped at cleanup
    "purging-count": [("e", 0, 4, W), ("e", 10000, 14, W + 10000), ("i", 0, 7, W)],
    "user-trigger": [("e", 0, [1, 3], W), ("e", 0, [4], W), ("e", 10000, [6], W + 10000),
                     ("e", 10000, [8], W + 10000), ("e", 20000, [9], W + 20000),
                     ("i", 0, [2, 5], W), ("i", 10000, [7], W + 10000),
                     ("i", 20000, [10], W + 20000), ("i", 30000, [11], W + 30000)],
    "user-trigger-sessions": [("e", 1000, 6000, 4, 5999), ("e", 1000, 7500, 4, 7499),
                              ("e", 11000, 14000, 6, 13999), ("e", 11000, 16000, 8, 15999),
                              ("e", 21000, 24000, 9, 23999), ("i", 2000, 5000, 2, 4999),
                              ("i", 9000, 15000, 12, 14999), ("i", 22000, 25000, 10, 24999),
                              ("i", 35000, 38000, 11, 37999)],
    # keeps elements newer than (newest - 3 s)
    "time-evict": [("e", 0, [6, 8], 19999), ("e", 20000, [9], 39999), ("i", 0, [7], 19999),
                   ("i", 20000, [11], 39999)],
    "time-evict-after": [("e", [1, 3], LONG_MAX), ("e", [1, 3, 4, 6], LONG_MAX),
                         ("e", [6, 8, 9], LONG_MAX), ("i", [2, 5], LONG_MAX),
                         ("i", [5, 7, 10], LONG_MAX)],
    "all-tumbling": [(15, W), (21, W + 10000), (19, W + 20000), (11, W + 30000)],
    "all-sliding": [(-10000, 5, W), (0, 8, W + 10000), (10000, 5, W + 20000),
                    (20000, 3, W + 30000), (30000, 1, W + 40000)],
    "all-count": [("e", 10, LONG_MAX), ("e", 36, LONG_MAX)],  # 1+..+4, 1+..+8 (no purge)
    "all-apply": [(0, 36, 19999), (20000, 30, 39999)],
    # allowed lateness 5 s: (8000, a) re-fires [0, 10000); 3000, 4000, 5000 come after cleanup
    "lateness": [("e", 0, 10000, 2, 2, W), ("e", 0, 10000, 3, 3, W),
                 ("e", 10000, 20000, 2, 2, W + 10000), ("i", 0, 10000, 1, 1, W),
                 ("i", 10000, 20000, 1, 1, W + 10000), ("i", 20000, 30000, 1, 1, W + 20000)],
    "late": [("e", 1, 4000), ("i", 1, 3000), ("i", 1, 5000)],
    # no lateness, no side output: 8000, 3000, 4000, 5000 are dropped
    "dropping": [("e", 2, W), ("e", 2, W + 10000), ("i", 1, W), ("i", 1, W + 10000),
                 ("i", 1, W + 20000)],
    "from-source": sorted((f"k{r}", sum(v for v in range(w * 10, w * 10 + 10) if v % 4 == r),
                           w * 10000 + W) for w in range(6) for r in range(4)),
}


def check_event_time(results: list[Any]) -> None:
    by_name: dict[str, list[Any]] = {}
    for name, *rest in results:
        by_name.setdefault(name, []).append(tuple(rest))
    assert sorted(by_name) == sorted(EXPECTED_EVENT_TIME)
    for name, expected in EXPECTED_EVENT_TIME.items():
        assert sorted(by_name[name]) == sorted(expected), name


# -- the processing-time job ------------------------------------------------------------------
#: bursts of (key, value); a burst is released once the previous one is fully windowed
BURSTS = [[("e", 1), ("e", 2), ("e", 3), ("i", 4), ("i", 5)],
          [("e", 6), ("i", 7), ("i", 8), ("i", 9), ("i", 10)],
          [("e", 11), ("e", 12), ("i", 13)]]
#: processing-time pipelines and how many element-window pairs each emits per element
SPREAD = {"pt-tumbling": 1, "pt-sliding": 2, "pt-session": 1, "pt-dynamic-session": 1,
          "pt-all-tumbling": 1}


def _burst_of(value: int) -> int:
    return next(i for i, burst in enumerate(BURSTS) if any(v == value for _, v in burst))


class Bursts(SourceFunction):
    """Emits each burst as one element; waits for the marker files of its windows."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.running = True

    def _complete(self, burst: int) -> bool:
        counts: Counter[str] = Counter()
        continuous: set[str] = set()
        for name in os.listdir(self.directory):
            pipeline, key, b, n, _ = name.split(".")
            if int(b) == burst:
                if pipeline == "pt-continuous":
                    continuous.add(key)
                else:
                    counts[pipeline] += int(n)
        size = len(BURSTS[burst])
        return continuous == {"e", "i"} and all(counts[p] == k * size for p, k in SPREAD.items())

    def run(self, ctx: Any) -> None:
        deadline = time.monotonic() + 60
        for i, burst in enumerate(BURSTS):
            ctx.collect(burst)
            while self.running and not self._complete(i):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the windows of burst {i} did not fire: "
                                       f"{sorted(os.listdir(self.directory))}")
                time.sleep(0.01)

    def cancel(self) -> None:
        self.running = False


class Mark(ProcessFunction):
    """Leaves ``<pipeline>.<key>.<burst>.<count>.<id>`` for the source, passes the value on."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def process_element(self, value: Any, ctx: Any) -> Any:
        pipeline, key, bursts, count = value[:4]
        # a continuous firing completes a burst once it holds every element up to it
        if pipeline != "pt-continuous" or count == sum(
                1 for b in BURSTS[:bursts[-1] + 1] for k, _ in b if k == key):
            name = f"{pipeline}.{key}.{bursts[-1]}.{count}.{uuid.uuid4().hex}"
            Path(self.directory, name).touch()
        yield value


def _summary(name: str, key: Any, values: list[int]) -> tuple[Any, ...]:
    return name, key, sorted({_burst_of(v) for v in values}), len(values)


class PtValues(ProcessWindowFunction):
    def __init__(self, name: str) -> None:
        self.name = name

    def process(self, key: str, context: Any, elements: Any) -> Any:
        values = [e[1] for e in elements]
        w = context.window()
        length = w.end - w.start if hasattr(w, "end") else None  # a GlobalWindow has no end
        yield (*_summary(self.name, key, values), length)


class PtApply(WindowFunction):
    def apply(self, key: str, window: Any, inputs: Any) -> Any:
        yield (*_summary("pt-dynamic-session", key, [e[1] for e in inputs]),
               window.end - window.start)


class PtAll(ProcessAllWindowFunction):
    def process(self, context: Any, elements: Any) -> Any:
        yield _summary("pt-all-tumbling", "all", [e[1] for e in elements])


class Collect(AggregateFunction):
    """Collects values (an aggregate whose result is the element list)."""

    def create_accumulator(self) -> list[int]:
        return []

    def add(self, value: Any, accumulator: list[int]) -> list[int]:
        return [*accumulator, value[1]]

    def get_result(self, accumulator: list[int]) -> list[int]:
        return accumulator

    def merge(self, acc_a: list[int], acc_b: list[int]) -> list[int]:
        return acc_a + acc_b


class SummaryOfList(ProcessWindowFunction):
    def __init__(self, name: str) -> None:
        self.name = name

    def process(self, key: str, context: Any, elements: Any) -> Any:
        for values in elements:
            yield _summary(self.name, key, values)


def processing_time_job(env: StreamExecutionEnvironment, directory: Path) -> list[Any]:
    d = str(directory)
    s = (env.add_source(Bursts(d), "bursts").set_parallelism(1)
         .flat_map(lambda burst: burst).set_parallelism(1))  # a burst stays one batch
    by_key = s.key_by(lambda e: e[0])
    out = [
        by_key.window(TumblingProcessingTimeWindows.of(Time.milliseconds(300)))
        .trigger(ProcessingTimeTrigger.create())
        .reduce(lambda x, y: (*x, y[1]))  # (key, value, value, ...)
        .map(lambda r: _summary("pt-tumbling", r[0], list(r[1:]))),
        by_key.window(SlidingProcessingTimeWindows.of(Time.milliseconds(400),
                                                      Time.milliseconds(200)))
        .aggregate(Collect(), window_function=SummaryOfList("pt-sliding")),
        by_key.window(ProcessingTimeSessionWindows.with_gap(Time.milliseconds(250)))
        .process(PtValues("pt-session")),
        by_key.window(ProcessingTimeSessionWindows.with_dynamic_gap(
            lambda e: 200 if e[0] == "e" else 300)).apply(PtApply()),
        by_key.window(GlobalWindows.create())
        .trigger(ContinuousProcessingTimeTrigger.of(Time.milliseconds(100)))
        .process(PtValues("pt-continuous")),
        s.window_all(TumblingProcessingTimeWindows.of(Time.milliseconds(300))).process(PtAll()),
    ]
    first, *rest = out
    return list(first.union(*rest).process(Mark(d)).set_parallelism(1)
                .execute_and_collect("processing-time windows"))


def check_processing_time(results: list[Any]) -> None:
    by_name: dict[str, list[Any]] = {}
    for r in results:
        by_name.setdefault(r[0], []).append(r[1:])
    assert sorted(by_name) == sorted([*SPREAD, "pt-continuous"])
    # no window holds elements of two bursts (each burst waits for the previous one's windows)
    assert all(len(r[1]) == 1 for name, rows in by_name.items() if name != "pt-continuous"
               for r in rows), by_name
    per_burst = {(k, b): sum(1 for kk, _ in burst if kk == k)
                 for b, burst in enumerate(BURSTS) for k in "ei"}
    # sessions: exactly one per key and burst, holding the whole burst
    for name, gaps in [("pt-session", {"e": 250, "i": 250}),
                       ("pt-dynamic-session", {"e": 200, "i": 300})]:
        got = sorted((key, bursts[0], n) for key, bursts, n, _ in by_name[name])
        assert got == sorted((k, b, n) for (k, b), n in per_burst.items() if n), name
        assert all(length >= gaps[key] for key, _, _, length in by_name[name]), name
    # tumbling and sliding: where boundaries fall depends on the clock, totals do not
    for name, spread in [("pt-tumbling", 1), ("pt-sliding", 2)]:
        totals: Counter[tuple[str, int]] = Counter()
        for key, bursts, n in by_name[name]:
            totals[key, bursts[0]] += n
        assert totals == Counter({kb: spread * n for kb, n in per_burst.items() if n}), name
    all_totals: Counter[int] = Counter()
    for _, bursts, n in by_name["pt-all-tumbling"]:
        all_totals[bursts[0]] += n
    assert all_totals == Counter({b: len(burst) for b, burst in enumerate(BURSTS)})
    # continuous firing over the global window: cumulative contents, one burst at a time
    fired = {(key, n) for key, _, n, _ in by_name["pt-continuous"]}
    prefix = {(k, sum(per_burst[k, c] for c in range(b + 1))) for k in "ei"
              for b in range(len(BURSTS))}
    assert fired == prefix


# -- concurrent deserialization in one slot worker -------------------------------------------
_CONCURRENT_LOADS = """
import sys, threading
from flink_py.taskmanager.task import _unpickle
assert "flink_py.taskmanager.operators.window" not in sys.modules
blobs = [bytes.fromhex(h) for h in sys.stdin.read().split()]
barrier = threading.Barrier(len(blobs))
errors = []
def load(blob):
    barrier.wait()
    try:
        _unpickle(blob)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=load, args=(b,)) for b in blobs]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
"""


def test_tasks_of_one_worker_deserialize_window_chains_concurrently() -> None:
    """Several task threads unpickling window operators (modules ``window.operator`` and
    ``window.panes``, which import each other through their package) in a fresh process:
    without one lock around deserialization, imports deadlock (half-initialized modules)."""
    import subprocess
    import sys

    import cloudpickle
    from flink_py.taskmanager.operators.window import (
        ListContents,
        ReduceContents,
        window_operator,
    )

    ops = [window_operator(lambda v: v, EventTimeSessionWindows.with_gap(1000),
                           EventTimeTrigger(), ListContents(), None, "pass", True, None, 0, None),
           window_operator(lambda v: v, TumblingEventTimeWindows.of(1000), EventTimeTrigger(),
                           ReduceContents(add_values), None, "pass", True, None, 0, None)]
    assert {type(op).__module__.rsplit(".", 1)[1] for op in ops} == {"operator", "panes"}
    blobs = " ".join(cloudpickle.dumps(op).hex() for op in ops * 4)
    done = subprocess.run([sys.executable, "-c", _CONCURRENT_LOADS], input=blobs, text=True,
                          capture_output=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout


# -- local mode ------------------------------------------------------------------------------
@pytest.fixture
def local(local_env: None) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    return env


def test_event_time_windows_local(local: StreamExecutionEnvironment) -> None:
    check_event_time(event_time_job(local))


def test_processing_time_windows_local(local: StreamExecutionEnvironment,
                                       tmp_path: Path) -> None:
    check_processing_time(processing_time_job(local, tmp_path))


# -- two TaskManagers with one slot each ------------------------------------------------------
@pytest.fixture(scope="module")
def two_taskmanagers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    with two_taskmanagers_cluster(tmp_path_factory.mktemp("window-matrix"), slots=1) as cluster:
        yield cluster


@pytest.fixture
def remote(two_taskmanagers: ProcessCluster) -> Iterator[StreamExecutionEnvironment]:
    with remote_environment(two_taskmanagers.address) as env:
        yield env


def _last_job_tasks(cluster: ProcessCluster, name: str) -> list[Any]:
    assert cluster.client is not None
    (job,) = [j for j in cluster.client.list_jobs() if j.name == name]
    return list(cluster.client.get_job(job.job_id).tasks)


@pytest.mark.slow
def test_event_time_windows_on_two_taskmanagers(remote: StreamExecutionEnvironment,
                                                two_taskmanagers: ProcessCluster) -> None:
    check_event_time(event_time_job(remote))
    tasks = _last_job_tasks(two_taskmanagers, "event-time windows")
    assert len({t.tm_id for t in tasks}) == 2
    dropped = sorted((t.subtask_index, t.metrics["numLateRecordsDropped"]) for t in tasks
                     if t.metrics.get("numLateRecordsDropped"))
    assert dropped == [(0, 2.0), (1, 2.0)]  # b: 3000, 5000 (subtask 0); a: 8000, 4000 (1)


@pytest.mark.slow
def test_processing_time_windows_on_two_taskmanagers(remote: StreamExecutionEnvironment,
                                                     two_taskmanagers: ProcessCluster,
                                                     tmp_path: Path) -> None:
    check_processing_time(processing_time_job(remote, tmp_path))
    assert len({t.tm_id for t in _last_job_tasks(two_taskmanagers,
                                                 "processing-time windows")}) == 2
