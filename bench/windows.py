"""Event-time tumbling window count: the window operator vs. a plain-Python loop, in one run.

The input is ``--events`` records ``(key, 1)`` over ``--keys`` keys with
ascending timestamps (``--per-ms`` records per millisecond); windows are 1 s tumbling event-time
windows counting per key (``aggregate`` with a count AggregateFunction).
The operator is driven directly, batch by batch (``--batch`` records, then
the monotonous watermark ``max_ts - 1``), as a task would; the baseline
buckets the same records into ``dict[(key, window_start)] -> count`` and
emits a window's counts once the watermark passes its end.

Reports events/s of both (best of ``--repeat``) and their ratio.
``--sliding`` also times a 60 s / 1 s sliding window against a 60 s
tumbling window on the same input, for a count (``aggregate``) and a sum
(``reduce``), best of ``--repeat`` each. Both run on panes
(``taskmanager.operators.window.panes``; jobs opt in for sliding windows with
``execution.window.sliding-panes``): each element is added once, to
its 1 s pane, and a firing window combines its panes — where Flink adds
every element to size/slide = 60 windows. ``--general`` adds the general
(element-duplicating) operator on the sliding window, for comparison (slow).

Usage: python bench/windows.py [--events N] [--keys K] [--per-ms M] [--batch B] [--repeat R]
       [--sliding] [--general]
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

from flink_py.datastream import AggregateFunction
from flink_py.datastream.window import SlidingEventTimeWindows, TumblingEventTimeWindows
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.timers import LONG_MAX, ProcessingTimeService
from flink_py.taskmanager.operators.window import (
    AggregateContents,
    ReduceContents,
    WindowOperator,
    window_operator,
)


class Count(AggregateFunction):
    """Counts the elements of a window."""

    def create_accumulator(self) -> int:
        return 0

    def add(self, value: Any, accumulator: int) -> int:
        return accumulator + 1

    def get_result(self, accumulator: int) -> int:
        return accumulator

    def merge(self, acc_a: int, acc_b: int) -> int:
        return acc_a + acc_b


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    def emit(self, values: list[Any], timestamps: Any) -> None:
        self.count += len(values)

    def emit_side(self, tag: str, values: list[Any], timestamps: Any) -> None:
        pass

    def emit_watermark(self, watermark: int) -> None:
        pass

    def emit_watermark_status(self, idle: bool) -> None:
        pass


def _key(v: tuple[int, int]) -> int:
    return v[0]


def _sum(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0], a[1] + b[1]


def run_operator(assigner: Any, batches: list[tuple[list[Any], list[int]]],
                 contents: Any = None, general: bool = False) -> tuple[float, int]:
    """Seconds to push every batch (and watermark) through a fresh window operator.

    ``contents``: AggregateContents(Count()) by default; ``general``: the
    general WindowOperator instead of the pane operator (sliding windows included).
    """
    contents = contents if contents is not None else AggregateContents(Count())
    op = (WindowOperator(_key, assigner, None, contents) if general
          else window_operator(_key, assigner, None, contents, sliding_panes=True))
    ctx = OperatorContext("bench", "Window", 0, 1, 128, 0, "bench", {},
                          processing_time_service=ProcessingTimeService())
    sink = _Sink()
    op.setup(ctx, sink)
    op.open()
    start = time.perf_counter()
    for values, timestamps in batches:
        op.process_batch(values, timestamps)
        op.process_watermark(timestamps[-1] - 1)
    op.process_watermark(LONG_MAX)
    return time.perf_counter() - start, sink.count


def run_plain(batches: list[tuple[list[Any], list[int]]], size: int) -> tuple[float, int]:
    """The same tumbling count as a dict loop: the baseline."""
    start = time.perf_counter()
    counts: dict[tuple[int, int], int] = {}
    emitted = 0
    for values, timestamps in batches:
        for (key, _), ts in zip(values, timestamps):
            bucket = (key, ts - ts % size)
            counts[bucket] = counts.get(bucket, 0) + 1
        watermark = timestamps[-1] - 1
        done = [b for b in counts if b[1] + size - 1 <= watermark]
        for b in done:
            del counts[b]
        emitted += len(done)
    emitted += len(counts)
    return time.perf_counter() - start, emitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-ms", type=int, default=10)
    parser.add_argument("--sliding", action="store_true")
    parser.add_argument("--general", action="store_true")
    args = parser.parse_args()
    # as slot workers run operators (taskmanager.worker._tune_gc)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    records = [((i % args.keys, 1), i // args.per_ms) for i in range(args.events)]
    batches = []
    for i in range(0, len(records), args.batch):
        chunk = records[i:i + args.batch]
        batches.append(([v for v, _ in chunk], [t for _, t in chunk]))
    size = 1000
    best_op = best_plain = float("inf")
    for _ in range(args.repeat):
        t_op, n_op = run_operator(TumblingEventTimeWindows.of(size), batches)
        t_plain, n_plain = run_plain(batches, size)
        assert n_op == n_plain, f"window results differ: {n_op} vs {n_plain}"
        best_op, best_plain = min(best_op, t_op), min(best_plain, t_plain)
    print(f"tumbling event-time count, {args.events} events, {args.keys} keys, "
          f"{n_op} window results")
    print(f"  window operator: {args.events / best_op:12,.0f} events/s")
    print(f"  plain Python:    {args.events / best_plain:12,.0f} events/s")
    print(f"  ratio (plain / operator): {best_op / best_plain:.2f}x")
    if args.sliding:
        tumbling, sliding = TumblingEventTimeWindows.of(60_000), \
            SlidingEventTimeWindows.of(60_000, 1000)
        for what, make in (("count (aggregate)", lambda: AggregateContents(Count())),
                           ("sum (reduce)", lambda: ReduceContents(_sum))):
            best_t = best_s = float("inf")
            for _ in range(args.repeat):  # interleaved: both see the same machine load
                t_t, _ = run_operator(tumbling, batches, make())
                t_s, n_s = run_operator(sliding, batches, make())
                best_t, best_s = min(best_t, t_t), min(best_s, t_s)
            print(f"60 s/1 s sliding {what}: {args.events / best_s:12,.0f} events/s, "
                  f"{n_s} window results; 60 s tumbling: {args.events / best_t:12,.0f} events/s; "
                  f"sliding {best_s / best_t:.2f}x slower")
        if args.general:
            t_g, _ = run_operator(sliding, batches, general=True)
            print(f"60 s/1 s sliding count, general operator (each element in 60 windows): "
                  f"{args.events / t_g:12,.0f} events/s ({t_g / best_s:.1f}x slower than panes)")


if __name__ == "__main__":
    main()
