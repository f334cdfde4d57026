"""Pane-based windows give the general window operator's results on random inputs.

Both operators get the same batches and watermarks; after every step the
emitted results (value and timestamp), late side output and dropped-late
count must be equal, and each key's results must come in the same order.
"""

from __future__ import annotations

import copy
import pickle
import random
from collections import defaultdict
from typing import Any

import pytest
from flink_py.datastream import AggregateFunction
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.window import (
    ContinuousEventTimeTrigger,
    CountEvictor,
    EventTimeSessionWindows,
    ProcessWindowFunction,
    SlidingEventTimeWindows,
    SlidingProcessingTimeWindows,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
    WindowFunction,
)
from flink_py.taskmanager.operators.window import (
    AggregateContents,
    ListContents,
    PaneWindowOperator,
    ReduceContents,
    WindowOperator,
    window_operator,
)

from tests.window_support import Harness

LATE = OutputTag("late")


class SumCount(AggregateFunction):
    """Sum and count in a *mutable* accumulator (merge reuses its first argument)."""

    def create_accumulator(self) -> list[int]:
        return [0, 0]

    def add(self, value: Any, accumulator: list[int]) -> list[int]:
        accumulator[0] += value[1]
        accumulator[1] += 1
        return accumulator

    def get_result(self, accumulator: list[int]) -> tuple[int, int]:
        return accumulator[0], accumulator[1]

    def merge(self, acc_a: list[int], acc_b: list[int]) -> list[int]:
        acc_a[0] += acc_b[0]
        acc_a[1] += acc_b[1]
        return acc_a


def _add(a: Any, b: Any) -> Any:
    return (a[0], a[1] + b[1])


def _max(a: Any, b: Any) -> Any:
    return a if a[1] >= b[1] else b


class Describe(ProcessWindowFunction):
    def process(self, key: Any, context: Any, elements: Any) -> Any:
        w = context.window()
        yield key, w.start, w.end, list(elements)


class Apply(WindowFunction):
    def apply(self, key: Any, window: Any, inputs: Any) -> Any:
        yield key, window.max_timestamp(), list(inputs)


def _contents(kind: str) -> Any:
    return {"sum": lambda: ReduceContents(_add), "max": lambda: ReduceContents(_max),
            "agg": lambda: AggregateContents(SumCount())}[kind]()


def _pair(assigner: Any, contents: str, lateness: int, function: Any = None,
          kind: str = "pass", backend: str = "hashmap") -> tuple[Harness, Harness]:
    def build(cls: type) -> Any:
        return cls(lambda v: v[0], assigner, None, _contents(contents), function, kind,
                   allowed_lateness=lateness, late_tag=LATE if lateness % 2 == 0 else None)
    general, panes = build(WindowOperator), build(PaneWindowOperator)
    return Harness(general), Harness(panes, job_parameters={"state.backend.type": backend})


def _step(h: Harness, n: int) -> tuple[list[Any], list[Any]]:
    return sorted(map(repr, h.out.records[n:])), sorted(map(repr, h.out.side.get(
        LATE.tag_id, [])))


def _per_key(h: Harness) -> dict[Any, list[Any]]:
    """Results by key (results without their key, from aggregate, as one sequence)."""
    out: dict[Any, list[Any]] = defaultdict(list)
    for v, ts in h.out.records:
        key = v[0] if isinstance(v, tuple) and isinstance(v[0], str) else None
        out[key].append((repr(v), ts))
    if None in out:
        out[None].sort()
    return out


def _run_event_time(seed: int, assigner: Any, contents: str, lateness: int,
                    function: Any = None, kind: str = "pass", backend: str = "hashmap") -> int:
    rng = random.Random(seed)
    general, panes = _pair(assigner, contents, lateness, function, kind, backend)
    t, wm, fired = 0, -(1 << 63), 0
    for _ in range(60):
        batch, stamps = [], []
        for _ in range(rng.randint(1, 12)):
            t += rng.randint(0, 40)
            ts = t - rng.randint(0, 120) if rng.random() < 0.3 else t  # out of order, late
            batch.append((rng.choice("abc"), rng.randint(-5, 9)))
            stamps.append(ts)
        n = len(general.out.records)
        for h in (general, panes):
            h.op.process_batch(batch, stamps)
        assert _step(general, n) == _step(panes, n), (seed, "batch")
        if rng.random() < 0.7:
            wm = max(wm, t - rng.randint(0, 60))
            n = len(general.out.records)
            for h in (general, panes):
                h.op.process_watermark(wm)
            assert _step(general, n) == _step(panes, n), (seed, "watermark", wm)
        fired = len(general.out.records)
    n = len(general.out.records)
    general.end()
    panes.end()
    assert _step(general, n) == _step(panes, n), (seed, "end")
    assert _per_key(general) == _per_key(panes)
    assert general.op.late_dropped.get_count() == panes.op.late_dropped.get_count()
    assert not panes.op._times  # nothing scheduled  # noqa: SLF001
    assert not list(panes.op.state.items_internal())  # every pane cleaned up
    return fired


@pytest.mark.parametrize("size,slide,offset", [(100, 20, 0), (90, 60, 7), (50, 50, 13),
                                               (100, 30, -11), (40, 40, 0)])
@pytest.mark.parametrize("contents", ["sum", "agg"])
@pytest.mark.parametrize("lateness", [0, 1, 50, 250])
def test_event_time_panes_match_the_general_path(size: int, slide: int, offset: int,
                                                 contents: str, lateness: int) -> None:
    assigner = SlidingEventTimeWindows.of(size, slide, offset) if size != slide else \
        TumblingEventTimeWindows.of(size, offset)
    fired = sum(_run_event_time(seed, assigner, contents, lateness) for seed in range(6))
    assert fired > 50  # the inputs do fire windows


def test_tumbling_panes_match_for_order_sensitive_functions() -> None:
    """One pane per window: even a non-commutative reduce sees the arrival order."""
    for seed in range(5):
        _run_event_time(seed, TumblingEventTimeWindows.of(60), "max", 100)


def test_panes_on_the_rocksdb_backend() -> None:
    """State read back from RocksDB is a copy: every change must be written back."""
    for seed in range(3):
        _run_event_time(seed, SlidingEventTimeWindows.of(100, 20), "agg", 50,
                        backend="rocksdb")


@pytest.mark.parametrize("function,kind", [(Describe(), "process"), (Apply(), "apply")])
def test_window_functions_on_panes(function: Any, kind: str) -> None:
    for seed in range(4):
        _run_event_time(seed, SlidingEventTimeWindows.of(100, 25), "agg", 60, function, kind)


@pytest.mark.parametrize("assigner,step", [(SlidingProcessingTimeWindows.of(100, 20, 3), 30),
                                           (SlidingProcessingTimeWindows.of(30, 5), 6),
                                           (TumblingProcessingTimeWindows.of(50), 30)])
def test_processing_time_panes_match_the_general_path(assigner: Any, step: int) -> None:
    """Including elements in the millisecond of a window that already fired."""
    for seed in range(5):
        rng = random.Random(seed)
        general, panes = _pair(assigner, "agg", 0)
        for _ in range(80):
            now = general.now + rng.randint(0, step)
            for h in (general, panes):
                h.tick(now)  # timers due at ``now`` fire before the batch
            n = len(general.out.records)
            batch = [(rng.choice("ab"), rng.randint(0, 9)) for _ in range(rng.randint(1, 5))]
            for h in (general, panes):
                h.op.process_batch(batch, None)
            assert _step(general, n) == _step(panes, n)
        n = len(general.out.records)
        for h in (general, panes):
            h.tick(general.now + 1000)
        assert _step(general, n) == _step(panes, n)
        assert len(general.out.records) > 20
        assert _per_key(general) == _per_key(panes)
        assert not list(panes.op.state.items_internal())


def test_late_elements_go_to_the_side_output_with_their_timestamp() -> None:
    op = window_operator(lambda v: v[0], SlidingEventTimeWindows.of(100, 50), None,
                         ReduceContents(_add), allowed_lateness=10, late_tag=LATE,
                         sliding_panes=True)
    assert isinstance(op, PaneWindowOperator)
    h = Harness(op)
    h.feed(("k", 1), 10)
    h.advance(99)           # fires [-50, 50) and [0, 100)
    assert [r for r in h.out.records] == [(("k", 1), 49), (("k", 1), 99)]
    h.feed(("k", 2), 60)    # [0, 100) is late but within lateness: fires again
    assert h.out.records[-1] == (("k", 3), 99)
    h.advance(110)          # [0, 100) cleaned up
    h.feed(("k", 4), 20)    # late for [0, 100) and [-50, 50): side output
    assert h.out.side[LATE.tag_id] == [(("k", 4), 20)]
    assert h.end() == [("k", 2)]  # [50, 150)


def test_window_operator_picks_panes_only_where_they_apply() -> None:
    def pick(assigner: Any, contents: Any = None, **kw: Any) -> type:
        return type(window_operator(lambda v: v, assigner, kw.pop("trigger", None),
                                    contents or ReduceContents(_add), **kw))

    # sliding windows only when asked for (execution.window.sliding-panes): Flink reduces
    # them in arrival order and never calls AggregateFunction.merge
    assert pick(SlidingEventTimeWindows.of(100, 10)) is WindowOperator
    assert pick(SlidingEventTimeWindows.of(100, 10), sliding_panes=True) is PaneWindowOperator
    assert pick(TumblingEventTimeWindows.of(100)) is PaneWindowOperator
    assert pick(SlidingEventTimeWindows.of(100, 100)) is PaneWindowOperator  # tumbling
    assert pick(SlidingProcessingTimeWindows.of(100, 10), sliding_panes=True) \
        is PaneWindowOperator
    assert pick(SlidingEventTimeWindows.of(10, 100), sliding_panes=True) \
        is WindowOperator  # gaps between windows
    assert pick(EventTimeSessionWindows.with_gap(10)) is WindowOperator
    assert pick(TumblingEventTimeWindows.of(100), ListContents(), function=Describe(),
                kind="process") is WindowOperator
    assert pick(TumblingEventTimeWindows.of(100), evictor=CountEvictor.of(2)) is WindowOperator
    assert pick(TumblingEventTimeWindows.of(100),
                trigger=ContinuousEventTimeTrigger.of(10)) is WindowOperator

    class Clears(Describe):
        def clear(self, context: Any) -> None:
            pass

    assert pick(TumblingEventTimeWindows.of(100), function=Clears(),
                kind="process") is WindowOperator
    with pytest.raises(ValueError, match="PaneWindowOperator needs"):
        PaneWindowOperator(lambda v: v, EventTimeSessionWindows.with_gap(10), None,
                           ReduceContents(_add))


def test_pane_state_is_keyed_state_and_restores() -> None:
    """A new operator given the keyed state of a running one (as a restore does) goes on
    firing as if uninterrupted: the firing schedule is derived from the keyed state."""
    def build() -> Harness:
        return Harness(window_operator(lambda v: v[0], SlidingEventTimeWindows.of(100, 20),
                                       None, AggregateContents(SumCount()),
                                       allowed_lateness=30, late_tag=LATE,
                                       sliding_panes=True))

    rng = random.Random(7)
    stream = [((rng.choice("abcd"), rng.randint(0, 9)), t * 7 + rng.randint(0, 20))
              for t in range(200)]
    whole, first = build(), build()
    for h in (whole, first):
        for v, ts in stream[:100]:
            h.op.process_batch([v], [ts])
        h.op.process_watermark(stream[99][1] - 40)
    second = build()
    for key, value in first.op.state.items_internal():
        second.op.state.put_internal(key, pickle.loads(pickle.dumps(copy.deepcopy(value))))
    n = len(whole.out.records)
    for h in (whole, second):
        for v, ts in stream[100:]:
            h.op.process_batch([v], [ts])
            h.op.process_watermark(ts - 40)
        h.end()
    assert sorted(map(repr, whole.out.records[n:])) == sorted(map(repr, second.out.records))
    assert len(second.out.records) > 50


def test_window_functions_import_from_functions_like_pyflink() -> None:
    from flink_py.datastream import functions, window

    for name in ("ProcessWindowFunction", "ProcessAllWindowFunction", "WindowFunction",
                 "AllWindowFunction"):
        assert getattr(functions, name) is getattr(window, name)
        assert name in functions.__all__
    with pytest.raises(AttributeError, match="NoSuchFunction"):
        functions.NoSuchFunction  # noqa: B018
