"""Credit-based flow control as pure state machines (Flink §3.2).

One Arrow RecordBatch is one network buffer and costs one credit.

* :class:`SenderCredit` is the producer's view of one logical channel
  (a subpartition): it holds the queue of buffers and events and decides what
  may be sent. Data needs credit; events (end-of-partition, watermarks,
  barriers) never do, but stay in order behind the data queued before them.
* :class:`GateCredits` is the consumer's view of one input gate: every remote
  channel owns ``exclusive`` buffers, the gate shares ``floating`` buffers.
  It turns received buffers (with the sender's piggybacked backlog) and
  recycled buffers into credit announcements.

Neither class does I/O or locking: callers hold their own lock and send what
the methods return.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterator
from typing import Any

__all__ = ["ChannelBuffers", "GateCredits", "SenderCredit"]

_DATA = 0
_EVENT = 1


class SenderCredit:
    """The send queue and credit counter of one subpartition."""

    __slots__ = ("_queue", "backlog", "credit")

    def __init__(self) -> None:
        self._queue: collections.deque[tuple[int, Any]] = collections.deque()
        self.credit = 0
        #: Number of data buffers queued (piggybacked to the receiver).
        self.backlog = 0

    def __len__(self) -> int:
        return len(self._queue)

    def add_credit(self, n: int) -> None:
        """The receiver announced ``n`` more buffers."""
        if n < 0:
            raise ValueError(f"negative credit {n}")
        self.credit += n

    def add_data(self, buffer: Any) -> None:
        """Queue one data buffer."""
        self._queue.append((_DATA, buffer))
        self.backlog += 1

    def add_event(self, event: Any) -> None:
        """Queue one event; it is sendable once everything before it is sent."""
        self._queue.append((_EVENT, event))

    def poll(self) -> tuple[bool, Any, int] | None:
        """Return the next sendable element, or None.

        Returns:
            ``(is_data, element, backlog_after)``. Data is returned only when
            credit is available, and then consumes one credit.
        """
        if not self._queue:
            return None
        kind, element = self._queue[0]
        if kind == _DATA:
            if self.credit <= 0:
                return None
            self.credit -= 1
            self.backlog -= 1
            self._queue.popleft()
            return True, element, self.backlog
        self._queue.popleft()
        return False, element, self.backlog

    def drain(self) -> Iterator[tuple[bool, Any, int]]:
        """Yield every element :meth:`poll` allows now."""
        while True:
            item = self.poll()
            if item is None:
                return
            yield item


@dataclasses.dataclass
class ChannelBuffers:
    """Buffer bookkeeping of one remote input channel."""

    free_exclusive: int
    free_floating: int = 0
    required: int = 0
    in_use: collections.deque[bool] = dataclasses.field(default_factory=collections.deque)
    #: Most buffers ever held at once (received, not yet recycled): the
    #: channel's peak in-flight data, never above exclusive + floating.
    peak_in_use: int = 0

    @property
    def available(self) -> int:
        """Buffers announced to the sender and not yet filled."""
        return self.free_exclusive + self.free_floating


class GateCredits:
    """Exclusive and floating buffers of one input gate.

    Args:
        num_channels: remote channels of the gate.
        exclusive: exclusive buffers per channel (``buffers-per-channel``).
        floating: floating buffers shared by the gate
            (``floating-buffers-per-gate``).

    Every method returns the credit announcements to send as a list of
    ``(channel, credit)`` pairs; a channel never gets credit for buffers it
    does not hold, so the sender can never overrun the receiver.
    """

    def __init__(self, num_channels: int, exclusive: int = 2, floating: int = 8) -> None:
        if exclusive < 1:
            msg = "taskmanager.network.memory.buffers-per-channel must be at least 1"
            raise ValueError(msg)
        if floating < 0:
            raise ValueError("taskmanager.network.memory.floating-buffers-per-gate must be >= 0")
        self.exclusive = exclusive
        self.floating_pool = floating
        self.channels = [ChannelBuffers(free_exclusive=exclusive, required=exclusive)
                         for _ in range(num_channels)]
        self._waiting: collections.deque[int] = collections.deque()

    def initial_credit(self, channel: int) -> int:
        """Credit announced with the partition request: the exclusive buffers."""
        return self.channels[channel].free_exclusive

    def on_buffer_received(self, channel: int, backlog: int) -> list[tuple[int, int]]:
        """A data buffer arrived on ``channel``; the sender has ``backlog`` more."""
        ch = self.channels[channel]
        if ch.free_exclusive > 0:
            ch.free_exclusive -= 1
            ch.in_use.append(True)
        elif ch.free_floating > 0:
            ch.free_floating -= 1
            ch.in_use.append(False)
        else:
            msg = f"channel {channel} received a buffer without credit"
            raise RuntimeError(msg)
        ch.peak_in_use = max(ch.peak_in_use, len(ch.in_use))
        ch.required = backlog + self.exclusive
        return self._request_floating(channel)

    def on_buffer_recycled(self, channel: int) -> list[tuple[int, int]]:
        """The task finished processing the oldest buffer of ``channel``."""
        ch = self.channels[channel]
        exclusive = ch.in_use.popleft()
        if exclusive:
            ch.free_exclusive += 1
            return [(channel, 1)]
        if ch.available < ch.required:
            ch.free_floating += 1
            return [(channel, 1)]
        self.floating_pool += 1
        return self._serve_waiting()

    def release_channel(self, channel: int) -> list[tuple[int, int]]:
        """The channel has ended: return its floating buffers to the pool."""
        ch = self.channels[channel]
        self.floating_pool += ch.free_floating
        ch.free_floating = 0
        ch.required = 0
        return self._serve_waiting()

    def _request_floating(self, channel: int) -> list[tuple[int, int]]:
        ch = self.channels[channel]
        granted = 0
        while ch.available < ch.required and self.floating_pool > 0:
            self.floating_pool -= 1
            ch.free_floating += 1
            granted += 1
        if ch.available < ch.required and channel not in self._waiting:
            self._waiting.append(channel)
        return [(channel, granted)] if granted else []

    def _serve_waiting(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        while self._waiting and self.floating_pool > 0:
            channel = self._waiting.popleft()
            out += self._request_floating(channel)
        return out
