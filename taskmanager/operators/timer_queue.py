"""Flink's heap timer queue, operation by operation.

The HashMap state backend's timer service (which PyFlink's Python operators use through
their Java operator) keeps a subtask's timers of one domain in a ``HeapPriorityQueueSet``:
a binary heap ordered by timestamp only, plus a set that drops duplicates. Timers with the
same timestamp therefore fire in the order the heap gives -- not in registration order.
:class:`TimerHeap` repeats Flink's ``siftUp``/``siftDown`` exactly, so a job's output lines
come in PyFlink's order (checked against Flink 2.3's own queue).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["TimerHeap"]


class _Timer:
    __slots__ = ("idx", "scope", "timestamp")

    def __init__(self, timestamp: int, scope: Any) -> None:
        self.timestamp = timestamp
        self.scope = scope
        self.idx = 0


class _Heap:
    """Flink's ``HeapPriorityQueue``: a 1-based array heap whose elements know their index."""

    __slots__ = ("less", "queue", "size")

    def __init__(self, less: Callable[[Any, Any], bool]) -> None:
        self.queue: list[Any] = [None]
        self.size = 0
        self.less = less

    def peek(self) -> Any:
        return self.queue[1] if self.size else None

    def add(self, element: Any) -> bool:
        """``addInternal``; whether ``element`` is the new head."""
        self.size += 1
        if len(self.queue) <= self.size:
            self.queue.append(None)
        self._move(element, self.size)
        self._sift_up(self.size)
        return element.idx == 1

    def remove_at(self, index: int) -> Any:
        """``removeInternal``: the last element takes the place, then is adjusted."""
        queue = self.queue
        removed = queue[index]
        old_size = self.size
        if index != old_size:
            element = queue[old_size]
            self._move(element, index)
            self._adjust_at(element, index)
        queue[old_size] = None
        self.size -= 1
        return removed

    def _adjust_at(self, element: Any, index: int) -> None:
        self._sift_down(index)
        if self.queue[index] is element:
            self._sift_up(index)

    def _move(self, element: Any, index: int) -> None:
        self.queue[index] = element
        element.idx = index

    def _sift_up(self, index: int) -> None:
        queue, less = self.queue, self.less
        current = queue[index]
        parent = index >> 1
        while parent > 0 and less(current, queue[parent]):
            self._move(queue[parent], index)
            index = parent
            parent >>= 1
        self._move(current, index)

    def _sift_down(self, index: int) -> None:
        queue, less, size = self.queue, self.less, self.size
        current = queue[index]
        first = index << 1
        second = first + 1
        if second <= size and less(queue[second], queue[first]):
            first = second
        while first <= size and less(queue[first], current):
            self._move(queue[first], index)
            index = first
            first = index << 1
            second = first + 1
            if second <= size and less(queue[second], queue[first]):
                first = second
        self._move(current, index)


def _earlier(a: _Timer, b: _Timer) -> bool:
    return a.timestamp < b.timestamp


class TimerHeap:
    """The timers of one time domain of a keyed operator instance, in Flink's order.

    Flink's ``HeapPriorityQueueSet``: one binary heap ordered by timestamp only (Flink's
    ``HeapPriorityQueue``), and a set that drops a timer registered twice. A timer is
    ``(timestamp, scope)``; ``scope`` is the key, or the ``(key, namespace)`` pair.
    """

    def __init__(self) -> None:
        self._heap = _Heap(_earlier)
        self._timers: dict[tuple[int, Any], _Timer] = {}

    def add(self, timestamp: int, scope: Any) -> bool:
        """Add a timer; False if it already exists."""
        entry = (timestamp, scope)
        if entry in self._timers:
            return False
        timer = _Timer(timestamp, scope)
        self._timers[entry] = timer
        self._heap.add(timer)
        return True

    def delete(self, timestamp: int, scope: Any) -> None:
        """Remove a timer (no-op if absent)."""
        timer = self._timers.pop((timestamp, scope), None)
        if timer is not None:
            self._heap.remove_at(timer.idx)

    def pop_due(self, time_: int) -> tuple[int, Any] | None:
        """The next timer at or before ``time_`` in Flink's order, removed; or None."""
        head = self._heap.peek()
        if head is None or head.timestamp > time_:
            return None
        self._heap.remove_at(1)
        del self._timers[(head.timestamp, head.scope)]
        return head.timestamp, head.scope

    @property
    def live(self) -> Iterator[tuple[int, Any]]:
        """Every pending ``(timestamp, scope)``."""
        return iter(self._timers)

    def __len__(self) -> int:
        return len(self._timers)
