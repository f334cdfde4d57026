"""Timers: the task's processing-time service and the keyed timer service.

* :class:`ProcessingTimeService` is one per task. Operators register
  wall-clock callbacks; the task thread fires the due ones between batches
  (and wakes up for them when idle), so callbacks never race with record
  processing, like Flink's mailbox.
* :class:`InternalTimerService` is one per keyed operator instance. It keeps
  event-time and processing-time timers per (timestamp, key), deduplicated as
  in Flink, and calls the operator back with the timer's key as the current
  key. Event-time timers fire when :meth:`InternalTimerService.advance_watermark`
  passes them; a bounded input ends with the maximum watermark, so all of
  them fire at its end; timers of one timestamp fire in the order of Flink's
  timer heap (:mod:`.timer_queue`). A *namespaced* service (the window operator's) scopes
  its timers by ``(key, namespace)`` pairs, Flink's key and namespace: a
  timer belongs to its key's key group, the namespace only travels with it.
  The service snapshots and restores its own timers
  (:meth:`InternalTimerService.snapshot_timers`, :meth:`~InternalTimerService.restore_timers`).
* :class:`NonKeyedTimerService` tells the time on non-keyed streams and
  refuses timers, as Flink does.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any, Protocol

from flink_py.datastream.timerservice import TimerService
from flink_py.taskmanager.operators.timer_queue import TimerHeap

__all__ = [
    "LONG_MAX",
    "LONG_MIN",
    "InternalTimerService",
    "NonKeyedTimerService",
    "ProcessingTimeService",
    "TimerTarget",
]

#: Flink's Long.MIN_VALUE: the watermark before the first one.
LONG_MIN = -(1 << 63)
#: Flink's Long.MAX_VALUE: the watermark at the end of a bounded input.
LONG_MAX = (1 << 63) - 1


def _now_ms() -> int:
    return int(time.time() * 1000)


class ProcessingTimeService:
    """Wall-clock callbacks of one task, fired on the task thread.

    Attributes:
        next_due: epoch seconds of the earliest registered callback, or None.
    """

    def __init__(self, clock: Callable[[], int] = _now_ms) -> None:
        self._clock = clock
        self._heap: list[tuple[int, int, Callable[[int], None]]] = []
        self._seq = itertools.count()
        self.next_due: float | None = None

    def current_processing_time(self) -> int:
        """Epoch milliseconds."""
        return self._clock()

    def register_timer(self, timestamp: int, callback: Callable[[int], None]) -> None:
        """Call ``callback(timestamp)`` once the clock reaches ``timestamp`` (ms)."""
        heapq.heappush(self._heap, (timestamp, next(self._seq), callback))
        self.next_due = self._heap[0][0] / 1000.0

    def fire_due(self) -> bool:
        """Run every callback whose time has come; True if any ran."""
        heap = self._heap
        fired = False
        while heap and heap[0][0] <= self._clock():
            timestamp, _, callback = heapq.heappop(heap)
            fired = True
            callback(timestamp)
        self.next_due = heap[0][0] / 1000.0 if heap else None
        return fired


class TimerTarget(Protocol):
    """The operator a keyed timer service calls back."""

    def on_event_time(self, timestamp: int, key: Any) -> None:
        """An event-time timer of ``key`` fired."""

    def on_processing_time(self, timestamp: int, key: Any) -> None:
        """A processing-time timer of ``key`` fired."""


class InternalTimerService(TimerService):
    """Keyed timers of one operator instance.

    Args:
        key_context: has ``current_key`` (the keyed state backend); timers
            are registered for it.
        processing_time_service: the task's service, or None when the
            operator runs outside a task (processing-time timers then fail).
        target: the operator to call back.
        namespaced: the key context's current key is a ``(key, namespace)``
            pair (a window operator's key and window); timers are scoped by
            both and the target is called back with the pair.
        batch: BATCH execution (Flink's BatchExecutionInternalTimeService):
            processing-time timers do not follow the clock; they fire after
            the event-time timers once the input has ended.
    """

    def __init__(self, key_context: Any, processing_time_service: ProcessingTimeService | None,
                 target: TimerTarget, namespaced: bool = False, batch: bool = False) -> None:
        self._keys = key_context
        self._pts = processing_time_service
        self._target = target
        self.namespaced = namespaced
        self.batch = batch
        self._event = TimerHeap()  # Flink's heap order (timer_queue)
        self._processing = TimerHeap()
        self._scheduled: set[int] = set()
        self.current_watermark_value = LONG_MIN

    # -- TimerService ----------------------------------------------------------
    def current_processing_time(self) -> int:  # noqa: D102
        return self._pts.current_processing_time() if self._pts is not None else _now_ms()

    def current_watermark(self) -> int:  # noqa: D102
        return self.current_watermark_value

    def register_event_time_timer(self, timestamp: int) -> None:  # noqa: D102
        self._event.add(int(timestamp), self._keys.current_key)

    def delete_event_time_timer(self, timestamp: int) -> None:  # noqa: D102
        self._event.delete(int(timestamp), self._keys.current_key)

    def register_processing_time_timer(self, timestamp: int) -> None:  # noqa: D102
        self._add_processing_time_timer(int(timestamp), self._keys.current_key)

    def delete_processing_time_timer(self, timestamp: int) -> None:  # noqa: D102
        self._processing.delete(int(timestamp), self._keys.current_key)

    def _add_processing_time_timer(self, timestamp: int, scope: Any) -> None:
        if self.batch:
            self._processing.add(timestamp, scope)  # fires at the end of input
            return
        if self._pts is None:
            raise RuntimeError("processing-time timers need a running task")
        if self._processing.add(timestamp, scope) and timestamp not in self._scheduled:
            self._scheduled.add(timestamp)
            self._pts.register_timer(timestamp, self._on_processing_time)

    # -- checkpoints ---------------------------------------------------------------
    def snapshot_timers(self) -> dict[str, list[tuple[Any, ...]]]:
        """The pending timers, for a checkpoint: ``{"event": [...], "processing": [...]}``.

        Each list is sorted by timestamp. An entry is ``(timestamp, key)``,
        or ``(timestamp, key, namespace)`` for a namespaced service: its
        second field is always the timer's key, whose key group owns the
        timer (a rescaled restore hands it to the subtask holding that key's
        state, ``task_checkpoints.redistribute``).
        """
        def entries(queue: TimerHeap) -> list[tuple[Any, ...]]:
            timers = sorted(queue.live, key=lambda t: t[0])
            if not self.namespaced:
                return timers
            return [(ts, scope[0], scope[1]) for ts, scope in timers]

        return {"event": entries(self._event), "processing": entries(self._processing)}

    def restore_timers(self, state: dict[str, list[tuple[Any, ...]]]) -> None:
        """Re-register the timers of :meth:`snapshot_timers` (after the operator opened).

        Every timer comes back under its own key (and namespace), whatever
        the key context's current key is; processing-time timers are
        scheduled on the task's service (past ones fire at once). A
        two-field entry of a namespaced service (an older snapshot) carries
        the ``(key, namespace)`` pair itself.
        """
        for entry in state.get("event", ()):
            self._event.add(int(entry[0]), _scope(entry))
        for entry in state.get("processing", ()):
            self._add_processing_time_timer(int(entry[0]), _scope(entry))

    # -- firing ------------------------------------------------------------------
    def advance_watermark(self, watermark: int) -> None:
        """Fire every event-time timer at or before ``watermark`` (in timestamp order)."""
        self.current_watermark_value = max(self.current_watermark_value, watermark)
        queue, target = self._event, self._target
        while True:
            timer = queue.pop_due(watermark)
            if timer is None:
                break
            target.on_event_time(*timer)
        if self.batch and watermark >= LONG_MAX:  # the input ended: processing time too
            processing = self._processing
            while (timer := processing.pop_due(LONG_MAX)) is not None:
                target.on_processing_time(*timer)

    def _on_processing_time(self, timestamp: int) -> None:
        self._scheduled.discard(timestamp)
        queue, target = self._processing, self._target
        while True:
            timer = queue.pop_due(timestamp)
            if timer is None:
                return
            target.on_processing_time(*timer)

    def num_event_time_timers(self) -> int:
        """Pending event-time timers."""
        return len(self._event)

    def num_processing_time_timers(self) -> int:
        """Pending processing-time timers."""
        return len(self._processing)


def _scope(entry: tuple[Any, ...]) -> Any:
    """The key (or ``(key, namespace)`` pair) a snapshotted timer entry is scoped by."""
    return entry[1] if len(entry) == 2 else (entry[1], entry[2])


class NonKeyedTimerService(TimerService):
    """The timer service of a function on a non-keyed stream: time only."""

    _MESSAGE = "Setting timers is only supported on a keyed streams."

    def __init__(self, processing_time_service: ProcessingTimeService | None) -> None:
        self._pts = processing_time_service
        self.current_watermark_value = LONG_MIN

    def current_processing_time(self) -> int:  # noqa: D102
        return self._pts.current_processing_time() if self._pts is not None else _now_ms()

    def current_watermark(self) -> int:  # noqa: D102
        return self.current_watermark_value

    def advance_watermark(self, watermark: int) -> None:
        """The operator's input watermark advanced (no timers to fire here)."""
        if watermark > self.current_watermark_value:
            self.current_watermark_value = watermark

    def register_processing_time_timer(self, timestamp: int) -> None:  # noqa: D102
        raise RuntimeError(self._MESSAGE)

    def register_event_time_timer(self, timestamp: int) -> None:  # noqa: D102
        raise RuntimeError(self._MESSAGE)

    def delete_processing_time_timer(self, timestamp: int) -> None:  # noqa: D102
        raise RuntimeError(self._MESSAGE)

    def delete_event_time_timer(self, timestamp: int) -> None:  # noqa: D102
        raise RuntimeError(self._MESSAGE)
