"""Parquet reading and writing through ``pyarrow.parquet`` (``pyflink.datastream.formats.parquet``).

::

    row_type = Types.ROW_NAMED(["id", "name"], [Types.LONG(), Types.STRING()])
    source = FileSource.for_bulk_file_format(
        ParquetColumnarRowInputFormat(row_type, batch_size=2048), path).build()
    sink = FileSink.for_bulk_format(out_dir, ParquetBulkWriters.for_row_type(row_type)).build()

Differences from PyFlink: ``row_type`` is a ``Types.ROW_NAMED`` TypeInformation
(not a Table ``RowType``) and ``hadoop_config`` is accepted but unused.
Columns are selected by name (case-insensitively unless
``is_case_sensitive``) and cast safely to the declared types. A Parquet
file is read whole by one subtask; its position is the number of rows read.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flink_py.common.serialization import BulkWriter, BulkWriterFactory
from flink_py.common.typeinfo import RowTypeInfo, TypeInformation
from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors._file_source import (
    CheckpointedPosition,
    FileFormatReader,
    FileSourceSplit,
)
from flink_py.datastream.connectors.file_system import BulkFormat
from flink_py.taskmanager.operators.arrow_batches import ArrowRecords

__all__ = ["ParquetBulkWriters", "ParquetColumnarRowInputFormat"]


def _row_type(row_type: Any, what: str) -> RowTypeInfo:
    if not isinstance(row_type, RowTypeInfo):
        raise TypeError(f"{what}: row_type must be a Types.ROW_NAMED(...) type, got {row_type!r}")
    return row_type


class _ParquetReader(FileFormatReader):
    def __init__(self, fmt: ParquetColumnarRowInputFormat, split: FileSourceSplit) -> None:
        self._path = split.path
        fs, path = _fs.resolve(split.path)
        self._file = pq.ParquetFile(fs.open_input_file(path))
        names = fmt.row_type.get_field_names()
        available = self._file.schema_arrow.names
        if fmt.is_case_sensitive:
            lookup = {n: n for n in available}
            columns = [lookup.get(n) for n in names]
        else:
            lookup = {n.lower(): n for n in available}
            columns = [lookup.get(n.lower()) for n in names]
        missing = [n for n, c in zip(names, columns) if c is None]
        if missing:
            raise ValueError(f"ParquetColumnarRowInputFormat: {split.path} has no column(s) "
                             f"{missing} (columns: {available})")
        self._names = names
        self._batches = self._file.iter_batches(batch_size=fmt.batch_size, columns=columns)
        self._records = ArrowRecords(fmt.row_type, f"ParquetColumnarRowInputFormat {split.path}")
        self._rows: list[Any] = []
        self._idx = 0
        self._count = 0
        pos = split.reader_position
        skip = pos.records_after_offset if pos is not None else 0
        while skip > 0 and self._load():
            n = min(skip, len(self._rows))
            self._idx = n
            self._count += n
            skip -= n

    def _load(self) -> bool:
        batch = next(self._batches, None)
        if batch is None:
            return False
        batch = pa.RecordBatch.from_arrays(batch.columns, names=self._names)
        self._rows = self._records.to_records(batch)
        self._idx = 0
        return True

    def read_batch(self, max_records: int) -> list[Any] | None:  # noqa: D102
        while self._idx >= len(self._rows):
            if not self._load():
                return None
        i = self._idx
        out = self._rows[i:i + max_records]
        self._idx += len(out)
        self._count += len(out)
        return out

    def position(self) -> CheckpointedPosition:  # noqa: D102
        return CheckpointedPosition(0, self._count)

    def close(self) -> None:  # noqa: D102
        self._file.close()


class ParquetColumnarRowInputFormat(BulkFormat):
    """Reads Parquet files as Rows of ``row_type``."""

    def __init__(self, row_type: TypeInformation, hadoop_config: Any = None,
                 batch_size: int = 2048, is_utc_timestamp: bool = False,
                 is_case_sensitive: bool = True) -> None:
        self.row_type = _row_type(row_type, "ParquetColumnarRowInputFormat")
        if batch_size < 1:
            raise ValueError("ParquetColumnarRowInputFormat: batch_size must be positive")
        self.batch_size = int(batch_size)
        self.is_utc_timestamp = is_utc_timestamp
        self.is_case_sensitive = is_case_sensitive

    def create_reader(self, split: FileSourceSplit) -> FileFormatReader:  # noqa: D102
        return _ParquetReader(self, split)

    def get_produced_type(self) -> Any:  # noqa: D102
        return self.row_type


class _ParquetBulkWriter(BulkWriter):
    def __init__(self, row_type: RowTypeInfo, stream: Any) -> None:
        self._records = ArrowRecords(row_type, "ParquetBulkWriters")
        self._writer = pq.ParquetWriter(stream, self._records.schema)

    def add_elements(self, elements: list[Any]) -> None:
        self._writer.write_batch(self._records.to_batch(elements))

    def flush(self) -> None:
        return

    def finish(self) -> None:
        self._writer.close()


class _ParquetWriterFactory(BulkWriterFactory):
    def __init__(self, row_type: RowTypeInfo) -> None:
        self.row_type = row_type

    def create(self, stream: Any) -> BulkWriter:
        return _ParquetBulkWriter(self.row_type, stream)


class ParquetBulkWriters:
    """Creates a BulkWriterFactory writing Rows into Parquet files."""

    @staticmethod
    def for_row_type(row_type: TypeInformation, hadoop_config: Any = None,
                     utc_timestamp: bool = False) -> BulkWriterFactory:
        """Parquet part files with ``row_type``'s columns (one row group per batch)."""
        return _ParquetWriterFactory(_row_type(row_type, "ParquetBulkWriters"))
