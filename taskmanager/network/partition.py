"""Producer side of the data plane: result partitions and subpartitions.

A producing subtask writes one :class:`ResultPartition` per outgoing job edge,
with one :class:`Subpartition` per consuming channel. A subpartition queues
buffers and events and hands them to its *view* -- the consumer -- only
against credit (:class:`~.credit.SenderCredit`). The producer blocks once
``max_buffers`` buffers wait in one subpartition: that is back-pressure.

Views:

* :class:`RemoteView` sends frames over a shared TCP connection; credit comes
  back in CREDIT frames.
* a local view (:class:`~.gate.LocalInputChannel`) puts Python lists straight
  into the consumer's input queue; the consumer returns credit after
  processing. No serialization happens for local channels.
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any, Protocol

from flink_py.taskmanager.network.credit import SenderCredit
from flink_py.taskmanager.network.frames import DATA, DATA_TS, EVENT, FrameConnection
from flink_py.taskmanager.network.record_timestamps import TimestampedBuffer

__all__ = [
    "PartitionKey",
    "PartitionRegistry",
    "RemoteView",
    "ResultPartition",
    "Subpartition",
    "SubpartitionView",
]

#: (job id, edge id, producer subtask index, attempt)
PartitionKey = tuple[str, str, int, int]


class SubpartitionView(Protocol):
    """The consumer of one subpartition."""

    subpartition: Subpartition | None

    def deliver(self, is_data: bool, element: Any, backlog: int) -> None:
        """Take one element that the credit rules allow to be sent now."""


class RemoteView:
    """Delivers a subpartition's elements as frames on a TCP connection."""

    def __init__(self, conn: FrameConnection, channel_id: int) -> None:
        self.conn = conn
        self.channel_id = channel_id
        #: Set when the view is attached to its subpartition.
        self.subpartition: Subpartition | None = None

    def deliver(self, is_data: bool, element: Any, backlog: int) -> None:
        """Send a DATA(_TS) frame (Arrow IPC bytes) or an EVENT frame (pickled)."""
        if is_data:
            if element.__class__ is TimestampedBuffer:
                self.conn.send(DATA_TS, self.channel_id, backlog, element.buffer)
            else:
                self.conn.send(DATA, self.channel_id, backlog, element)
        else:
            self.conn.send(EVENT, self.channel_id, backlog, pickle.dumps(element))


class Subpartition:
    """One logical channel of a result partition."""

    def __init__(self, max_buffers: int) -> None:
        self.max_buffers = max_buffers
        self._cond = threading.Condition()
        self._credit = SenderCredit()
        self._view: SubpartitionView | None = None
        self.released = False
        self.failure: BaseException | None = None

    # -- consumer side -------------------------------------------------------
    def attach(self, view: SubpartitionView, initial_credit: int) -> None:
        """Connect the consumer and grant its initial credit."""
        view.subpartition = self
        with self._cond:
            self._view = view
            self._credit.add_credit(initial_credit)
            self._pump()

    def add_credit(self, credit: int) -> None:
        """AddCredit from the consumer."""
        with self._cond:
            self._credit.add_credit(credit)
            self._pump()

    def release(self) -> None:
        """The consumer is gone: drop queued data and unblock the producer."""
        with self._cond:
            self.released = True
            self._view = None
            self._credit = SenderCredit()
            self._cond.notify_all()

    # -- producer side -------------------------------------------------------
    def add_data(self, buffer: Any, cancelled: threading.Event | None = None) -> float:
        """Queue one buffer, blocking while the subpartition is full.

        Returns:
            Seconds spent blocked (back-pressured).
        """
        blocked = 0.0
        with self._cond:
            if len(self._credit) >= self.max_buffers and not self.released:
                start = time.perf_counter()
                while len(self._credit) >= self.max_buffers and not self.released:
                    if cancelled is not None and cancelled.is_set():
                        raise InterruptedError("task cancelled while back-pressured")
                    self._cond.wait(0.2)
                blocked = time.perf_counter() - start
            if self.released:
                return blocked
            self._credit.add_data(buffer)
            self._pump()
        return blocked

    def add_event(self, event: Any) -> None:
        """Queue an in-band event (needs no credit)."""
        with self._cond:
            if self.released:
                return
            self._credit.add_event(event)
            self._pump()

    def queued(self) -> int:
        """Elements waiting for credit or for a consumer."""
        with self._cond:
            return len(self._credit)

    def credit(self) -> int:
        """Credit currently held by the sender."""
        with self._cond:
            return self._credit.credit

    def _pump(self) -> None:
        view = self._view
        if view is None:
            return
        sent = False
        for is_data, element, backlog in self._credit.drain():
            try:
                view.deliver(is_data, element, backlog)
            except OSError as exc:
                self.failure = exc
                self.released = True
                break
            sent = True
        if sent:
            self._cond.notify_all()


class ResultPartition:
    """All subpartitions one producer subtask writes for one job edge."""

    def __init__(self, key: PartitionKey, max_buffers: list[int]) -> None:
        self.key = key
        #: one per consumer subtask; ``max_buffers[i]`` queued batches block the producer
        self.subpartitions = [Subpartition(m) for m in max_buffers]


class PartitionRegistry:
    """The result partitions of one slot-worker process.

    A consumer's request may arrive before the producer has registered its
    partition; such requests wait here and attach on registration.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._partitions: dict[PartitionKey, ResultPartition] = {}
        self._pending: dict[PartitionKey, list[tuple[int, SubpartitionView, int]]] = {}

    def register(self, partition: ResultPartition) -> None:
        """Make a partition available to consumers; attach waiting requests."""
        with self._lock:
            self._partitions[partition.key] = partition
            waiting = self._pending.pop(partition.key, [])
        for index, view, credit in waiting:
            partition.subpartitions[index].attach(view, credit)

    def request(self, key: PartitionKey, index: int, view: SubpartitionView,
                credit: int) -> Subpartition | None:
        """Attach ``view`` to subpartition ``index`` now or once registered."""
        with self._lock:
            partition = self._partitions.get(key)
            if partition is None:
                self._pending.setdefault(key, []).append((index, view, credit))
                return None
        sub = partition.subpartitions[index]
        sub.attach(view, credit)
        return sub

    def unregister(self, key: PartitionKey) -> None:
        """Drop one partition (its producer failed or was cancelled) and release it."""
        with self._lock:
            partition = self._partitions.pop(key, None)
        if partition is not None:
            for sub in partition.subpartitions:
                sub.release()

    def lookup(self, key: PartitionKey) -> ResultPartition | None:
        """The registered partition for ``key``, if any."""
        with self._lock:
            return self._partitions.get(key)

    def cancel_pending(self, view: SubpartitionView) -> None:
        """Forget requests made by ``view`` that never attached."""
        with self._lock:
            for key in list(self._pending):
                self._pending[key] = [p for p in self._pending[key] if p[1] is not view]
                if not self._pending[key]:
                    del self._pending[key]

    def release_job(self, job_id: str) -> None:
        """Drop every partition and pending request of a job."""
        with self._lock:
            keys = [k for k in self._partitions if k[0] == job_id]
            parts = [self._partitions.pop(k) for k in keys]
            for k in [k for k in self._pending if k[0] == job_id]:
                del self._pending[k]
        for part in parts:
            for sub in part.subpartitions:
                sub.release()
