"""Flink's heap timer queue, operation by operation.

The HashMap state backend's timer service (which PyFlink's Python operators use through
their Java operator) keeps a subtask's timers of one domain in a ``HeapPriorityQueueSet``:
a binary heap ordered by timestamp only, plus a set that drops duplicates. Timers with the
same timestamp therefore fire in the order the heap gives -- not in registration order.
:class:`TimerHeap` repeats Flink's ``siftUp``/``siftDown`` exactly, so a job's output lines
come in PyFlink's order (checked against Flink 2.3's own queue).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["TimerHeap"]


class _Timer:
    __slots__ = ("idx", "scope", "timestamp")

    def __init__(self, timestamp: int, scope: Any) -> None:
        self.timestamp = timestamp
        self.scope = scope
        self.idx = 0


class _Heap:
    """Flink's ``HeapPriorityQueue`` of timers: a 1-based array heap ordered by timestamp
    only, whose timers know their index (the same steps as Flink's, written out inline)."""

    __slots__ = ("queue", "size")

    def __init__(self) -> None:
        self.queue: list[Any] = [None]
        self.size = 0

    def peek(self) -> Any:
        return self.queue[1] if self.size else None

    def add(self, timer: _Timer) -> None:
        """``addInternal``: append, then ``siftUp``."""
        self.size += 1
        index = self.size
        queue = self.queue
        if len(queue) <= index:
            queue.append(None)
        self._sift_up(timer, index)

    def remove_at(self, index: int) -> _Timer:
        """``removeInternal``: the last timer takes the place, then is adjusted."""
        queue = self.queue
        removed = queue[index]
        old_size = self.size
        if index != old_size:
            last = queue[old_size]
            queue[index] = last
            last.idx = index
            self._sift_down(last, index)  # adjustElementAtIndex: down, then up if it stayed
            if queue[index] is last:
                self._sift_up(last, index)
        queue[old_size] = None
        self.size = old_size - 1
        return removed

    def _sift_up(self, current: _Timer, index: int) -> None:
        queue = self.queue
        ts = current.timestamp
        parent = index >> 1
        while parent > 0:
            above = queue[parent]
            if not ts < above.timestamp:
                break
            queue[index] = above
            above.idx = index
            index = parent
            parent >>= 1
        queue[index] = current
        current.idx = index

    def _sift_down(self, current: _Timer, index: int) -> None:
        # size is the heap's before a removal finishes (Flink lowers it afterwards)
        queue, size = self.queue, self.size
        ts = current.timestamp
        first = index << 1
        second = first + 1
        if second <= size and queue[second].timestamp < queue[first].timestamp:
            first = second
        while first <= size:
            child = queue[first]
            if not child.timestamp < ts:
                break
            queue[index] = child
            child.idx = index
            index = first
            first = index << 1
            second = first + 1
            if second <= size and queue[second].timestamp < queue[first].timestamp:
                first = second
        queue[index] = current
        current.idx = index


class TimerHeap:
    """The timers of one time domain of a keyed operator instance, in Flink's order.

    Flink's ``HeapPriorityQueueSet``: one binary heap ordered by timestamp only (Flink's
    ``HeapPriorityQueue``), and a set that drops a timer registered twice. A timer is
    ``(timestamp, scope)``; ``scope`` is the key, or the ``(key, namespace)`` pair.
    """

    def __init__(self) -> None:
        self._heap = _Heap()
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


class OrderHeap:
    """:class:`TimerHeap`'s order without its set or deletes, for timers known to be new.

    Two parallel 1-based arrays (timestamps, items) sifted exactly as Flink's
    ``HeapPriorityQueue``: the window operator on panes feeds it the timers Flink's
    WindowOperator would register, only to learn the order in which Flink fires them.
    """

    __slots__ = ("items", "stamps")

    def __init__(self) -> None:
        self.stamps: list[int] = [0]
        self.items: list[Any] = [None]

    def add(self, timestamp: int, item: Any) -> None:
        """Add a timer (``addInternal``: append, ``siftUp``)."""
        stamps, items = self.stamps, self.items
        index = len(stamps)
        stamps.append(timestamp)
        items.append(item)
        parent = index >> 1
        while parent > 0 and timestamp < stamps[parent]:
            stamps[index] = stamps[parent]
            items[index] = items[parent]
            index = parent
            parent >>= 1
        stamps[index] = timestamp
        items[index] = item

    def pop_due(self, time_: int) -> tuple[int, Any] | None:
        """The head if it is due (``poll``: the last takes its place, ``siftDown``)."""
        stamps, items = self.stamps, self.items
        size = len(stamps) - 1
        if size == 0 or stamps[1] > time_:
            return None
        head = stamps[1], items[1]
        ts, item = stamps[size], items[size]
        if size > 1:
            # siftDown over the full size (Flink lowers the size after adjusting)
            index, first = 1, 2
            if 3 <= size and stamps[3] < stamps[2]:
                first = 3
            while first <= size and stamps[first] < ts:
                stamps[index] = stamps[first]
                items[index] = items[first]
                index = first
                first = index << 1
                if first + 1 <= size and stamps[first + 1] < stamps[first]:
                    first += 1
            stamps[index] = ts
            items[index] = item
            # (siftUp after a siftDown that did not move it: the root has no parent)
        stamps.pop()
        items.pop()
        return head
