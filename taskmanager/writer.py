"""The record writer: the end of a chain that ships batches to the next task.

It partitions each emitted batch into per-channel pending lists and hands a
channel's pending records to its subpartition when they reach
``max_rows`` (or on :meth:`RecordWriter.flush_all`, called when the buffer
timeout expires and at end of input). Records bound for a consumer in this
process travel as the Python list itself; records bound for another process
are encoded into one Arrow RecordBatch and serialized with Arrow IPC, split
further if the batch exceeds ``max_bytes``.
"""

from __future__ import annotations

import threading
from typing import Any

from flink_py.common.runtime.arrow_codec import BatchCodec, serialize
from flink_py.common.runtime.deployment import EndOfPartition
from flink_py.taskmanager.network.partition import ResultPartition, Subpartition

__all__ = ["RecordWriter"]

_EOP = EndOfPartition()


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
        self.back_pressured_s = 0.0
        self.buffers_out = 0
        partitioner.setup(self.n, subtask_index)

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Partition a batch into the pending per-channel lists."""
        if not values:
            return
        pending = self.pending
        if self.n == 1:
            p = pending[0]
            p.extend(values)
            if len(p) >= self.max_rows:
                self._flush(0)
            return
        self.partitioner.partition(values, pending)
        max_rows = self.max_rows
        for i in range(self.n):
            if len(pending[i]) >= max_rows:
                self._flush(i)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        """Side outputs are routed by the chain, never to a plain writer."""
        raise TypeError("record writer has no side outputs")

    def _flush(self, i: int) -> None:
        records = self.pending[i]
        if not records:
            return
        self.pending[i] = []
        if self.local[i]:
            self._send(i, (records, None))
            return
        codec = self.codec
        assert codec is not None
        self._send_encoded(i, records, codec)

    def _send_encoded(self, i: int, records: list[Any], codec: BatchCodec) -> None:
        data = serialize(codec.encode(records))
        if len(data) > self.max_bytes and len(records) > 1:
            half = len(records) // 2
            self._send_encoded(i, records[:half], codec)
            self._send_encoded(i, records[half:], codec)
            return
        self._send(i, data)

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
