"""Python records <-> user-facing Arrow record batches of a declared type.

``map_batches``, ``filter_batches`` and the CSV/Parquet formats show users a
``pyarrow.RecordBatch`` whose columns follow the stream's type: a TUPLE or
ROW stream has one column per field (``f0, f1, ...`` or the ROW_NAMED
names), any other type a single column ``f0``. The internal row-kind column
of the data plane's encoding is never shown.

Batches coming back from users are accepted leniently: columns are matched
by name (else by position), and cast *safely* to the declared Arrow types
(``int64`` counts into an INT column work; a value that does not fit fails).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from flink_py.common.runtime.arrow_codec import ROW_KIND_COLUMN, BatchCodec
from flink_py.common.typeinfo import RowTypeInfo, TupleTypeInfo

__all__ = ["ArrowRecords"]


def _string_array(values: list[Any]) -> pa.Array | None:
    """A string array of ``values`` built in C++ from one joined string.

    Several times faster than ``pa.array(values)``; None when a value is not a
    ``str`` or contains a newline (the caller then takes the general path).
    """
    if not values:
        return None
    try:
        joined = "\n".join(values)
    except TypeError:
        return None
    if joined.count("\n") != len(values) - 1:
        return None
    if len(joined) > (1 << 29):  # int32 offsets might overflow: take the general path
        return None
    return pc.list_flatten(pc.split_pattern(pa.array([joined], pa.string()), "\n"))


class ArrowRecords:
    """Converts between record lists and record batches of one type.

    Args:
        type_info: the declared TypeInformation (must not be None or pickled).
        what: how errors name the caller (``"map_batches 'Tokenize'"``).
    """

    def __init__(self, type_info: Any, what: str) -> None:
        self.codec = BatchCodec(type_info)
        if not self.codec.typed:
            raise TypeError(f"{what} needs a stream with a declared type, not pickled values")
        self.what = what
        self.type_info = type_info
        self._is_row = isinstance(type_info, RowTypeInfo)
        full = self.codec.schema
        self.schema = pa.schema([f for f in full if f.name != ROW_KIND_COLUMN]) \
            if self._is_row else full
        self._flat = isinstance(type_info, (RowTypeInfo, TupleTypeInfo))
        self._string = not self._flat and self.schema.field(0).type == pa.string()

    def to_batch(self, records: list[Any]) -> pa.RecordBatch:
        """The records as a batch with :attr:`schema`."""
        if self._string:
            array = _string_array(records)
            if array is not None:
                return pa.RecordBatch.from_arrays([array], schema=self.schema)
        batch = self.codec.encode(records)
        if self._is_row:
            return pa.RecordBatch.from_arrays(batch.columns[:-1], schema=self.schema)
        return batch

    def to_records(self, data: Any) -> list[Any]:
        """Records from a RecordBatch, a Table, or (single-column types) an Array.

        Raises:
            TypeError: ``data`` has another shape or types that do not fit.
        """
        columns = self._columns(data)
        n = len(columns[0]) if columns else 0
        arrays = []
        for field, column in zip(self.schema, columns):
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks()
            if not column.type.equals(field.type):
                try:
                    column = column.cast(field.type, safe=True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    msg = (f"{self.what}: column '{field.name}' of type {column.type} does not fit "
                           f"the declared {field.type}: {exc}")
                    raise TypeError(msg) from exc
            arrays.append(column)
        if self._is_row:
            arrays.append(pa.nulls(n, pa.int8()))
        return self.codec.decode(pa.RecordBatch.from_arrays(arrays, schema=self.codec.schema))

    def _columns(self, data: Any) -> list[Any]:
        want = self.schema.names
        if isinstance(data, (pa.Array, pa.ChunkedArray)):
            if len(want) != 1:
                raise TypeError(f"{self.what}: returned an Array, but the declared type has "
                                f"{len(want)} fields; return a RecordBatch")
            return [data]
        if isinstance(data, (pa.RecordBatch, pa.Table)):
            names = data.schema.names
            if names == want or set(want) <= set(names):
                return [data.column(name) for name in want]
            if data.num_columns == len(want):
                return list(data.columns)
            raise TypeError(f"{self.what}: returned columns {names}, expected {want}")
        raise TypeError(f"{self.what}: expected a pyarrow.RecordBatch, got {type(data).__name__}")
