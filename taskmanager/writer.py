"""The record writer: the end of a chain that ships batches to the next task.

It partitions each emitted batch into per-channel pending lists and hands a
channel's pending records to its subpartition when they reach
``max_rows`` (or on :meth:`RecordWriter.flush_all`, called when the buffer
timeout expires and at end of input). Records bound for a consumer in this
process travel as the Python list itself; records bound for another process
are encoded into one Arrow RecordBatch and serialized with Arrow IPC, split
further if the batch exceeds ``max_bytes``.

Record timestamps travel with their records: in the local list pair, or as
an extra Arrow column (:mod:`~flink_py.taskmanager.network.record_timestamps`).
Watermarks and watermark statuses are broadcast to every channel as in-band
events after the records emitted before them (pending records are flushed
first); the writer never sends a watermark that does not advance.
"""

from __future__ import annotations

import threading
from typing import Any

from flink_py.common.runtime.arrow_codec import BatchCodec, serialize
from flink_py.common.runtime.deployment import EndOfPartition
from flink_py.taskmanager.network.events import WatermarkEvent, WatermarkStatusEvent
from flink_py.taskmanager.network.partition import ResultPartition, Subpartition
from flink_py.taskmanager.network.record_timestamps import (
    TimestampedBuffer,
    attach,
    timestamped_schema,
)

__all__ = ["RecordWriter"]

_EOP = EndOfPartition()
_LONG_MIN = -(1 << 63)


class RecordWriter:
    """Writes one output edge of a subtask."""

    def __init__(self, partition: ResultPartition, partitioner: Any, local: list[bool],
                 type_info: Any, subtask_index: int, max_rows: int, max_bytes: int,
                 cancelled: threading.Event) -> None:
        self.partition = partition
        self.partitioner = partitioner
        self.subs: list[Subpartition] = partition.subpartitions
        self.local = local
        self.n = len(self.subs)
        self.codec = BatchCodec(type_info) if not all(local) else None
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.cancelled = cancelled
        self.pending: list[list[Any]] = [[] for _ in range(self.n)]
        #: Per channel: timestamps of the pending records, or None while none has one.
        self.pending_ts: list[list[Any] | None] = [None] * self.n
        self.ts_schema = timestamped_schema(self.codec.schema) if self.codec is not None else None
        self.back_pressured_s = 0.0
        self.buffers_out = 0
        self.last_watermark = _LONG_MIN
        self.idle = False
        #: The producer proves its records fit ``type_info`` exactly (see
        #: ``output_types.fully_known``): remote batches are encoded unchecked.
        self.known = False
        partitioner.setup(self.n, subtask_index)

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Partition a batch into the pending per-channel lists."""
        if not values:
            return
        if timestamps is not None:
            self._emit_timestamped(values, timestamps)
            return
        pending = self.pending
        if self.n == 1:
            p = pending[0]
            if self.pending_ts[0] is not None:
                self.pending_ts[0].extend([None] * len(values))  # type: ignore[union-attr]
            p.extend(values)
            if len(p) >= self.max_rows:
                self._flush(0)
            return
        if any(ts is not None for ts in self.pending_ts):
            self._emit_timestamped(values, [None] * len(values))  # type: ignore[list-item]
            return
        self.partitioner.partition(values, pending)
        max_rows = self.max_rows
        for i in range(self.n):
            if len(pending[i]) >= max_rows:
                self._flush(i)

    def _emit_timestamped(self, values: list[Any], timestamps: list[Any]) -> None:
        n = self.n
        partitioner = self.partitioner
        if n == 1 or partitioner.is_broadcast:
            targets = range(n)
            for i in targets:
                self._append(i, values, timestamps)
            return
        chans = list(map(partitioner.select_channel, values))
        for i in range(n):
            sel = [k for k, c in enumerate(chans) if c == i]
            if sel:
                self._append(i, [values[k] for k in sel], [timestamps[k] for k in sel])

    def _append(self, i: int, values: list[Any], timestamps: list[Any]) -> None:
        p = self.pending[i]
        ts = self.pending_ts[i]
        if ts is None:
            ts = self.pending_ts[i] = [None] * len(p)
        p.extend(values)
        ts.extend(timestamps)
        if len(p) >= self.max_rows:
            self._flush(i)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        """Side outputs are routed by the chain, never to a plain writer."""
        raise TypeError("record writer has no side outputs")

    def emit_watermark(self, watermark: int) -> None:
        """Broadcast a watermark (after the pending records) if it advances."""
        if watermark <= self.last_watermark:
            return
        self.last_watermark = watermark
        self._broadcast(WatermarkEvent(watermark))

    def emit_watermark_status(self, idle: bool) -> None:
        """Broadcast a change of watermark status (IDLE / ACTIVE)."""
        if idle == self.idle:
            return
        self.idle = idle
        self._broadcast(WatermarkStatusEvent(idle))

    def emit_event(self, event: Any) -> None:
        """Broadcast an in-band event (a checkpoint barrier) behind the pending records."""
        self._broadcast(event)

    def _broadcast(self, event: Any) -> None:
        self.flush_all()
        for sub in self.subs:
            sub.add_event(event)

    def _flush(self, i: int) -> None:
        records = self.pending[i]
        if not records:
            return
        self.pending[i] = []
        timestamps = self.pending_ts[i]
        self.pending_ts[i] = None
        if self.local[i]:
            self._send(i, (records, timestamps))
            return
        codec = self.codec
        assert codec is not None
        self._send_encoded(i, records, timestamps, codec)

    def _send_encoded(self, i: int, records: list[Any], timestamps: list[Any] | None,
                      codec: BatchCodec) -> None:
        batch = codec.encode_known(records) if self.known else codec.encode(records)
        if timestamps is not None:
            batch = attach(batch, timestamps, self.ts_schema)  # type: ignore[arg-type]
        data = serialize(batch)
        if len(data) > self.max_bytes and len(records) > 1:
            half = len(records) // 2
            self._send_encoded(i, records[:half], None if timestamps is None else timestamps[:half],
                               codec)
            self._send_encoded(i, records[half:], None if timestamps is None else timestamps[half:],
                               codec)
            return
        self._send(i, data if timestamps is None else TimestampedBuffer(data))

    def _send(self, i: int, buffer: Any) -> None:
        self.back_pressured_s += self.subs[i].add_data(buffer, self.cancelled)
        self.buffers_out += 1

    def flush_all(self) -> None:
        """Hand every channel's pending records to its subpartition."""
        for i in range(self.n):
            if self.pending[i]:
                self._flush(i)

    def end(self) -> None:
        """Flush and send end-of-partition on every channel."""
        self.flush_all()
        for sub in self.subs:
            sub.add_event(_EOP)
