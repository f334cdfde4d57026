"""Consumer side of the data plane: input gates and their channels.

A task reads all its input channels through one :class:`InputGate`. Every
element that arrives -- from a remote connection's reader thread or from a
local producer -- goes into the gate's single FIFO queue as
``(channel index, kind, payload)``. The task thread takes elements from it,
processes them, and then recycles the buffer, which returns credit.

Remote channels account buffers with :class:`~.credit.GateCredits`
(exclusive buffers per channel, floating buffers per gate). Local channels
have a fixed window of ``capacity`` credits, by default one: producer and
consumer share one GIL, so a producer running ahead gains nothing and only
pushes both tasks' records out of the CPU cache.
"""

from __future__ import annotations

import pickle
import queue
import threading
from typing import Any

from flink_py.taskmanager.network.credit import GateCredits
from flink_py.taskmanager.network.frames import CLOSE, CREDIT, REQUEST
from flink_py.taskmanager.network.partition import PartitionKey, Subpartition

__all__ = [
    "KIND_DATA",
    "KIND_ERROR",
    "KIND_EVENT",
    "InputChannel",
    "InputGate",
    "LocalInputChannel",
    "RemoteInputChannel",
]

KIND_DATA = 0   # payload: (records, timestamps) (local) or Arrow IPC bytes, possibly
                #          wrapped in a TimestampedBuffer (remote)
KIND_EVENT = 1  # payload: event object (end-of-partition, watermark, watermark status)
KIND_ERROR = 2  # payload: message; the channel broke


class InputChannel:
    """One producer subtask feeding this task."""

    def __init__(self, gate: InputGate, index: int, input_index: int,
                 key: PartitionKey, subpartition: int) -> None:
        self.gate = gate
        self.index = index
        self.input_index = input_index
        self.key = key
        self.subpartition_index = subpartition
        self.ended = False

    @property
    def is_local(self) -> bool:
        """Whether records arrive as Python objects (no decoding)."""
        return False

    def request(self) -> None:
        """Ask the producer for the subpartition."""
        raise NotImplementedError

    def recycle(self) -> None:
        """One data element was processed: return its credit."""
        raise NotImplementedError

    def release(self) -> None:
        """Stop consuming (the task ends or is cancelled)."""


class LocalInputChannel(InputChannel):
    """A channel to a producer in the same process: no serialization."""

    def __init__(self, gate: InputGate, index: int, input_index: int,
                 key: PartitionKey, subpartition: int, registry: Any, capacity: int) -> None:
        super().__init__(gate, index, input_index, key, subpartition)
        self.registry = registry
        self.capacity = capacity
        #: Set when this channel is attached to the producer's subpartition.
        self.subpartition: Subpartition | None = None  # type: ignore[assignment]

    @property
    def is_local(self) -> bool:  # noqa: D102
        return True

    def deliver(self, is_data: bool, element: Any, backlog: int) -> None:
        """Called by the producer's subpartition (under its lock)."""
        self.gate.queue.put((self.index, KIND_DATA if is_data else KIND_EVENT, element))

    def request(self) -> None:  # noqa: D102
        self.registry.request(self.key, self.subpartition_index, self, self.capacity)

    def recycle(self) -> None:  # noqa: D102
        sub = self.subpartition
        if sub is not None:
            sub.add_credit(1)

    def release(self) -> None:  # noqa: D102
        sub = self.subpartition
        if sub is None:
            self.registry.cancel_pending(self)
        elif not self.ended:
            sub.release()


class RemoteInputChannel(InputChannel):
    """A channel to a producer in another process, over a shared connection."""

    def __init__(self, gate: InputGate, index: int, input_index: int,
                 key: PartitionKey, subpartition: int, connections: Any, address: str) -> None:
        super().__init__(gate, index, input_index, key, subpartition)
        self.connections = connections
        self.address = address
        self.conn: Any = None
        self.channel_id = -1
        self.remote_index = -1  # index in the gate's credit table

    def request(self) -> None:  # noqa: D102
        self.conn, self.channel_id = self.connections.open_channel(self.address, self)
        credit = self.gate.credits.initial_credit(self.remote_index)
        payload = pickle.dumps((self.key, self.subpartition_index, credit))
        self.conn.send(REQUEST, self.channel_id, 0, payload)

    def on_data(self, payload: Any, backlog: int) -> None:
        """Reader thread: a DATA (or DATA_TS: wrapped in a TimestampedBuffer) frame arrived."""
        with self.gate.credit_lock:
            grants = self.gate.credits.on_buffer_received(self.remote_index, backlog)
        self.gate.queue.put((self.index, KIND_DATA, payload))
        self.gate.announce(grants)

    def on_event(self, event: Any) -> None:
        """Reader thread: an EVENT frame arrived."""
        self.gate.queue.put((self.index, KIND_EVENT, event))

    def on_error(self, message: str) -> None:
        """Reader thread: the connection or the request failed."""
        if not self.ended:
            self.gate.queue.put((self.index, KIND_ERROR, message))

    def send_credit(self, credit: int) -> None:
        """Send AddCredit to the producer."""
        if self.ended or self.conn is None:
            return
        try:
            self.conn.send(CREDIT, self.channel_id, credit)
        except OSError:
            pass  # the reader thread reports the broken connection

    def recycle(self) -> None:  # noqa: D102
        with self.gate.credit_lock:
            grants = self.gate.credits.on_buffer_recycled(self.remote_index)
        self.gate.announce(grants)

    def release(self) -> None:  # noqa: D102
        if self.conn is not None:
            if not self.ended:
                try:
                    self.conn.send(CLOSE, self.channel_id)
                except OSError:
                    pass
            self.connections.close_channel(self.address, self.channel_id)


class InputGate:
    """All input channels of one task, read in arrival order."""

    def __init__(self, exclusive: int, floating: int, local: int = 1) -> None:
        self.queue: queue.SimpleQueue[tuple[int, int, Any]] = queue.SimpleQueue()
        self.channels: list[InputChannel] = []
        self._exclusive = exclusive
        self._floating = floating
        #: the credit window of a local channel (``taskmanager.network.local-channel.buffers``)
        self._local = local
        self.credits = GateCredits(0, exclusive, floating)
        self.credit_lock = threading.Lock()
        self._remote: list[RemoteInputChannel] = []

    def add_local(self, input_index: int, key: PartitionKey, subpartition: int,
                  registry: Any) -> LocalInputChannel:
        """Add a channel to a producer in this process."""
        ch = LocalInputChannel(self, len(self.channels), input_index, key, subpartition,
                               registry, self._local)
        self.channels.append(ch)
        return ch

    def add_remote(self, input_index: int, key: PartitionKey, subpartition: int,
                   connections: Any, address: str) -> RemoteInputChannel:
        """Add a channel to a producer in another process."""
        ch = RemoteInputChannel(self, len(self.channels), input_index, key, subpartition,
                                connections, address)
        ch.remote_index = len(self._remote)
        self._remote.append(ch)
        self.channels.append(ch)
        return ch

    def start(self) -> None:
        """Size the credit table and request every subpartition."""
        self.credits = GateCredits(len(self._remote), self._exclusive, self._floating)
        for ch in self.channels:
            ch.request()

    def announce(self, grants: list[tuple[int, int]]) -> None:
        """Send credit announcements computed by the credit table."""
        for remote_index, credit in grants:
            self._remote[remote_index].send_credit(credit)

    def channel_ended(self, channel: InputChannel) -> None:
        """End-of-partition arrived on ``channel``."""
        channel.ended = True
        if isinstance(channel, RemoteInputChannel):
            with self.credit_lock:
                grants = self.credits.release_channel(channel.remote_index)
            self.announce(grants)
            channel.release()

    def release(self) -> None:
        """Release every channel (task end or cancellation)."""
        for ch in self.channels:
            ch.release()
