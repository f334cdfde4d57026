"""``map_batches`` / ``filter_batches``: user functions over whole Arrow record batches.

The operator turns each incoming batch of records into one
``pyarrow.RecordBatch`` of the stream's declared type (see
:mod:`~flink_py.taskmanager.operators.arrow_batches` for the column layout),
calls the function once, and turns the result back into records. With
``pyarrow.compute`` inside the function the per-record Python work
disappears; only the conversion at the edges remains.

``filter_batches`` functions return either a boolean mask (a ``pyarrow``
BooleanArray/ChunkedArray, a numpy array or a list; nulls count as False),
which keeps the matching records without decoding anything, or a filtered
RecordBatch, which is decoded as the stream's type.

Event timestamps: a mask keeps them; a ``map_batches`` result with as many
rows as its input keeps them row by row; other results carry none.
"""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow as pa

from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.arrow_batches import ArrowRecords
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["FilterBatchesOperator", "MapBatchesOperator"]


class MapBatchesOperator(StreamOperator):
    """Applies ``func(RecordBatch) -> RecordBatch`` to every batch."""

    def __init__(self, func: Any, input_type: Any, output_type: Any, name: str) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "map_batches")
        self.input_type = input_type
        self.output_type = output_type
        self.name = name
        ArrowRecords(input_type, f"map_batches '{name}' input")  # fail in the client
        ArrowRecords(output_type, f"map_batches '{name}' output_type")
        self._in: ArrowRecords | None = None
        self._out: ArrowRecords | None = None

    def open(self) -> None:  # noqa: D102
        super().open()
        self._in = ArrowRecords(self.input_type, f"map_batches '{self.name}'")
        self._out = ArrowRecords(self.output_type, f"map_batches '{self.name}'")

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        assert self._in is not None and self._out is not None
        result = self.func(self._in.to_batch(values))
        if result is None:
            raise TypeError(f"map_batches '{self.name}': the function returned None, "
                            "expected a pyarrow.RecordBatch")
        records = self._out.to_records(result)
        if timestamps is not None and len(records) == len(values):
            self.output.emit(records, timestamps)
        else:
            self.output.emit(records, None)


class FilterBatchesOperator(StreamOperator):
    """Keeps the records selected by ``func(RecordBatch)`` (a mask or a filtered batch)."""

    def __init__(self, func: Any, input_type: Any, name: str) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "filter_batches")
        self.input_type = input_type
        self.name = name
        ArrowRecords(input_type, f"filter_batches '{name}' input")
        self._in: ArrowRecords | None = None

    def open(self) -> None:  # noqa: D102
        super().open()
        self._in = ArrowRecords(self.input_type, f"filter_batches '{self.name}'")

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        assert self._in is not None
        result = self.func(self._in.to_batch(values))
        if isinstance(result, (pa.RecordBatch, pa.Table)):
            self.output.emit(self._in.to_records(result), None)
            return
        mask = self._mask(result, len(values))
        if timestamps is None:
            self.output.emit(list(itertools.compress(values, mask)), None)
        else:
            self.output.emit(list(itertools.compress(values, mask)),
                             list(itertools.compress(timestamps, mask)))

    def _mask(self, result: Any, n: int) -> list[bool]:
        if isinstance(result, (pa.Array, pa.ChunkedArray)):
            if not pa.types.is_boolean(result.type):
                raise TypeError(f"filter_batches '{self.name}': the mask must be boolean, got "
                                f"{result.type}")
            mask = result.fill_null(False).to_pylist()
        elif hasattr(result, "tolist"):
            mask = [bool(x) for x in result.tolist()]
        elif isinstance(result, (list, tuple)):
            mask = [bool(x) for x in result]
        else:
            raise TypeError(f"filter_batches '{self.name}': expected a boolean mask or a "
                            f"RecordBatch, got {type(result).__name__}")
        if len(mask) != n:
            raise ValueError(f"filter_batches '{self.name}': the mask has {len(mask)} entries "
                             f"for a batch of {n} records")
        return mask
