"""Record timestamps on remote channels: an extra Arrow column.

A batch whose records carry event timestamps is sent with the codec's
columns plus one nullable int64 column ``__timestamp`` (null: the record has
no timestamp), in a DATA_TS frame; batches without timestamps keep the plain
codec schema and DATA frames, so streams without event time pay nothing.
The record codec itself is unchanged.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

__all__ = ["TIMESTAMP_FIELD", "TimestampedBuffer", "attach", "split", "timestamped_schema"]

TIMESTAMP_FIELD = "__timestamp"


class TimestampedBuffer:
    """A serialized batch that has the timestamp column (sent as DATA_TS)."""

    __slots__ = ("buffer",)

    def __init__(self, buffer: Any) -> None:
        self.buffer = buffer


def timestamped_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` plus the nullable int64 timestamp column."""
    return schema.append(pa.field(TIMESTAMP_FIELD, pa.int64(), nullable=True))


def attach(batch: pa.RecordBatch, timestamps: list[Any], schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with ``timestamps`` appended as the last column (``schema``: timestamped)."""
    column = pa.array(timestamps, type=pa.int64())
    return pa.RecordBatch.from_arrays([*batch.columns, column], schema=schema)


def split(batch: pa.RecordBatch, schema: pa.Schema) -> tuple[pa.RecordBatch, list[Any]]:
    """The codec's batch (with the plain ``schema``) and the timestamps of a timestamped batch."""
    n = batch.num_columns - 1
    timestamps = batch.column(n).to_pylist()
    return pa.RecordBatch.from_arrays(batch.columns[:n], schema=schema), timestamps
