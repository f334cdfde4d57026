"""The timer heap fires timers of one timestamp in the order Flink's own queue does.

Each expected order below was produced by Flink 2.3's ``HeapPriorityQueueSetFactory``
queue of ``TimerHeapInternalTimer`` objects (through PyFlink's Java gateway), fed the same
operations: ``add``/``del`` a timer ``(timestamp, key, namespace)``, ``poll`` every timer at
or before a time, and at the end poll everything.
"""

from __future__ import annotations

from typing import Any

import pytest
from flink_py.taskmanager.operators.timer_queue import TimerHeap

A4, B4, B9, A9, A14, B14 = ([4999, "a", "w1"], [4999, "b", "w1"], [9999, "b", "w2"],
                            [9999, "a", "w2"], [14999, "a", "w3"], [14999, "b", "w3"])

CASES: list[tuple[list[list[Any]], list[list[Any]]]] = [
    ([["add", *A4], ["add", *B4]], [A4, B4]),
    ([["add", *B4], ["add", *A4]], [B4, A4]),
    ([["add", *A4], ["add", *B4], ["add", *B9], ["add", *A9]], [A4, B4, B9, A9]),
    # one more registration later, and the two 9999 timers swap (heap order, not FIFO)
    ([["add", *A4], ["add", *B4], ["add", *B9], ["add", *A9], ["add", *A14]],
     [A4, B4, A9, B9, A14]),
    ([["add", *A4], ["add", *B4], ["add", *B9], ["add", *A9], ["add", *A14], ["add", *B14]],
     [A4, B4, A9, B9, B14, A14]),
    ([["add", 1000, "e", "w2"], ["add", 2000, "e", "w1"], ["del", 2000, "e", "w1"],
      ["del", 1000, "e", "w2"], ["add", 3000, "d", "w1"], ["del", 2000, "e", "w1"],
      ["add", 1000, "d", "w2"], ["poll", 3000], ["add", 4000, "b", "w1"],
      ["add", 3000, "d", "w2"], ["del", 1000, "d", "w2"], ["add", 4000, "a", "w1"],
      ["add", 1000, "a", "w1"], ["del", 3000, "d", "w2"], ["del", 2000, "e", "w1"]],
     [[1000, "d", "w2"], [3000, "d", "w1"], [1000, "a", "w1"], [4000, "a", "w1"],
      [4000, "b", "w1"]]),
]


@pytest.mark.parametrize(("ops", "expected"), CASES)
def test_firing_order_is_flinks(ops: list[list[Any]], expected: list[list[Any]]) -> None:
    heap = TimerHeap()
    fired: list[list[Any]] = []

    def poll(until: int) -> None:
        while (timer := heap.pop_due(until)) is not None:
            fired.append([timer[0], *timer[1]])

    for op, *args in ops:
        if op == "poll":
            poll(args[0])
        elif op == "add":
            heap.add(args[0], (args[1], args[2]))
        else:
            heap.delete(args[0], (args[1], args[2]))
    poll(1 << 62)
    assert fired == expected
    assert len(heap) == 0


def test_duplicates_are_dropped_and_deletes_of_absent_timers_are_no_ops() -> None:
    heap = TimerHeap()
    assert heap.add(5, "k") and not heap.add(5, "k")
    heap.delete(7, "k")
    assert len(heap) == 1 and list(heap.live) == [(5, "k")]
    assert heap.pop_due(4) is None and heap.pop_due(5) == (5, "k") and heap.pop_due(9) is None
