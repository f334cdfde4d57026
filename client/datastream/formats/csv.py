"""CSV reading and writing through ``pyarrow.csv`` (``pyflink.datastream.formats.csv``).

::

    schema = (CsvSchema.builder()
              .add_number_column("id", number_type=Types.INT())
              .add_string_column("name")
              .add_array_column("tags", separator="|")
              .set_column_separator(",").set_use_header().build())
    source = FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema), path).build()
    ds = env.from_source(source, WatermarkStrategy.no_watermarks(), "csv")
    # records are Row(id=..., name=..., tags=[...]) of schema.get_type_info()

Differences from PyFlink: column types are TypeInformation (``Types.INT()``)
instead of Table ``DataTypes``. Values: an empty field is null for number and
boolean columns, ``""`` for string columns and ``[]`` for array columns,
unless ``set_null_value`` names the null literal (then that literal is null
in every column). A CSV file is
read whole by one subtask; compressed files (``.gz``, ``.bz2``, ``.xz``,
``.deflate``... as for text lines) are decompressed by extension.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flink_py.common.serialization import BulkWriter, BulkWriterFactory
from flink_py.common.typeinfo import BasicTypeInfo, TypeInformation, Types
from flink_py.datastream.connectors._file_source import (
    CheckpointedPosition,
    FileFormatReader,
    FileSourceSplit,
)
from flink_py.datastream.connectors._text_lines import open_decompressed
from flink_py.datastream.connectors.file_system import StreamFormat
from flink_py.taskmanager.operators.arrow_batches import ArrowRecords
from flink_py.taskmanager.operators.formatting import _java_float

__all__ = ["CsvBulkWriters", "CsvReaderFormat", "CsvSchema", "CsvSchemaBuilder"]

_NUMBER_TYPES = ("BYTE", "SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "BIG_INT", "BIG_DEC")


@dataclasses.dataclass(frozen=True)
class _Column:
    name: str
    type_info: TypeInformation
    kind: str  # "string", "number", "boolean", "array"
    separator: str | None = None


class CsvSchema:
    """Columns and dialect of a CSV file; ``get_type_info()`` is the record type."""

    def __init__(self, columns: list[_Column], options: dict[str, Any]) -> None:
        self._columns = list(columns)
        self._options = dict(options)

    @staticmethod
    def builder() -> CsvSchemaBuilder:
        """A :class:`CsvSchemaBuilder`."""
        return CsvSchemaBuilder()

    def get_type_info(self) -> TypeInformation:
        """``Types.ROW_NAMED`` of the columns."""
        return Types.ROW_NAMED([c.name for c in self._columns],
                               [c.type_info for c in self._columns])

    def size(self) -> int:
        """The number of columns."""
        return len(self._columns)

    def __len__(self) -> int:
        return self.size()

    def __repr__(self) -> str:
        cols = ", ".join(f"{c.name}: {c.type_info}" for c in self._columns)
        return f"CsvSchema({cols})"


class CsvSchemaBuilder:
    """Builds a :class:`CsvSchema` (Jackson's ``CsvSchema.Builder`` names)."""

    def __init__(self) -> None:
        self._columns: list[_Column] = []
        self._opts: dict[str, Any] = {
            "separator": ",", "quote": '"', "escape": None, "null_value": None,
            "use_header": False, "skip_first_data_row": False, "strict_headers": False,
            "allow_comments": False, "array_separator": ";", "line_separator": "\n",
        }

    def build(self) -> CsvSchema:
        """The schema."""
        if not self._columns:
            raise ValueError("CsvSchema: add at least one column")
        return CsvSchema(self._columns, self._opts)

    def _add(self, column: _Column) -> CsvSchemaBuilder:
        if any(c.name == column.name for c in self._columns):
            raise ValueError(f"CsvSchema: duplicate column '{column.name}'")
        self._columns.append(column)
        return self

    def add_array_column(self, name: str, separator: str | None = None,
                         element_type: TypeInformation | None = None) -> CsvSchemaBuilder:
        """A column holding a list, its elements separated by ``separator`` (``;``)."""
        elem = element_type or Types.STRING()
        if not isinstance(elem, BasicTypeInfo):
            raise TypeError(f"CsvSchema: array column '{name}' needs a basic element type")
        return self._add(_Column(name, Types.LIST(elem), "array", separator))

    def add_boolean_column(self, name: str) -> CsvSchemaBuilder:
        """A BOOLEAN column."""
        return self._add(_Column(name, Types.BOOLEAN(), "boolean"))

    def add_number_column(self, name: str, number_type: TypeInformation | None = None
                          ) -> CsvSchemaBuilder:
        """A number column (``Types.LONG()`` by default)."""
        t = number_type or Types.LONG()
        if not isinstance(t, BasicTypeInfo) or t.type_name() not in _NUMBER_TYPES:
            raise TypeError(f"CsvSchema: number column '{name}' needs a numeric type, got {t}")
        return self._add(_Column(name, t, "number"))

    def add_string_column(self, name: str) -> CsvSchemaBuilder:
        """A STRING column."""
        return self._add(_Column(name, Types.STRING(), "string"))

    def add_columns_from(self, schema: CsvSchema) -> CsvSchemaBuilder:
        """Append every column of ``schema``."""
        for c in schema._columns:  # noqa: SLF001
            self._add(c)
        return self

    def clear_columns(self) -> CsvSchemaBuilder:
        """Remove all columns."""
        self._columns.clear()
        return self

    def set_allow_comments(self, allow: bool = True) -> CsvSchemaBuilder:
        """Skip lines starting with ``#``."""
        self._opts["allow_comments"] = allow
        return self

    def set_array_element_separator(self, separator: str) -> CsvSchemaBuilder:
        """The default separator of array elements (``;``)."""
        self._opts["array_separator"] = separator
        return self

    def disable_array_element_separator(self) -> CsvSchemaBuilder:
        """Array columns hold one element per field."""
        self._opts["array_separator"] = ""
        return self

    def set_column_separator(self, char: str) -> CsvSchemaBuilder:
        """The field separator (one character, ``,`` by default)."""
        if len(char) != 1:
            raise ValueError(f"Column separator must be a single char, got {char}")
        self._opts["separator"] = char
        return self

    def set_escape_char(self, char: str) -> CsvSchemaBuilder:
        """The escape character (none by default)."""
        if len(char) != 1:
            raise ValueError(f"Escape char must be a single char, got {char}")
        self._opts["escape"] = char
        return self

    def disable_escape_char(self) -> CsvSchemaBuilder:
        """No escape character."""
        self._opts["escape"] = None
        return self

    def set_quote_char(self, char: str) -> CsvSchemaBuilder:
        """The quote character (``\"`` by default)."""
        if len(char) != 1:
            raise ValueError(f"Quote char must be a single char, got {char}")
        self._opts["quote"] = char
        return self

    def disable_quote_char(self) -> CsvSchemaBuilder:
        """No quoting."""
        self._opts["quote"] = None
        return self

    def set_line_separator(self, separator: str) -> CsvSchemaBuilder:
        """The line separator for writing (reading accepts ``\\n``, ``\\r\\n``, ``\\r``)."""
        self._opts["line_separator"] = separator
        return self

    def set_null_value(self, null_value: str) -> CsvSchemaBuilder:
        """The literal read as null in every column."""
        self._opts["null_value"] = null_value
        return self

    def set_skip_first_data_row(self, skip: bool = True) -> CsvSchemaBuilder:
        """Skip the first data row."""
        self._opts["skip_first_data_row"] = skip
        return self

    def set_strict_headers(self, strict: bool = True) -> CsvSchemaBuilder:
        """With a header: its names must equal the column names."""
        self._opts["strict_headers"] = strict
        return self

    def set_use_header(self, use: bool = True) -> CsvSchemaBuilder:
        """The first line is a header (skipped when reading, written when writing)."""
        self._opts["use_header"] = use
        return self

    def size(self) -> int:
        """The number of columns."""
        return len(self._columns)

    def __len__(self) -> int:
        return self.size()


class _CsvReader(FileFormatReader):
    """All rows of one CSV file (one split), as Rows."""

    def __init__(self, schema: CsvSchema, split: FileSourceSplit) -> None:
        self._schema = schema
        self._path = split.path
        opts = schema._options  # noqa: SLF001
        cols = schema._columns  # noqa: SLF001
        self._records = ArrowRecords(schema.get_type_info(), f"CsvReaderFormat {split.path}")
        stream: Any = open_decompressed(split.path)
        skip = int(opts["use_header"]) + int(opts["skip_first_data_row"])
        if opts["allow_comments"]:
            data = stream.read()
            stream.close()
            kept = [ln for ln in data.splitlines(keepends=True) if not ln.lstrip().startswith(b"#")]
            stream = io.BytesIO(b"".join(kept))
        if opts["use_header"] and opts["strict_headers"]:
            self._check_header(opts)
        string_cols = [c.name for c in cols if c.kind in ("string", "array")]
        null = opts["null_value"]
        convert = pacsv.ConvertOptions(
            column_types={c.name: (pa.string() if c.kind == "array"
                                   else c.type_info.to_arrow_type()) for c in cols},
            null_values=[null] if null is not None else [""],
            strings_can_be_null=null is not None,
            quoted_strings_can_be_null=null is not None)
        parse = pacsv.ParseOptions(delimiter=opts["separator"],
                                   quote_char=opts["quote"] or False,
                                   escape_char=opts["escape"] or False,
                                   newlines_in_values=opts["quote"] is not None)
        read = pacsv.ReadOptions(column_names=[c.name for c in cols], skip_rows=skip,
                                 block_size=1 << 20)
        self._string_cols = string_cols
        try:
            self._reader = pacsv.open_csv(stream, read_options=read, parse_options=parse,
                                          convert_options=convert)
        except pa.ArrowInvalid as exc:
            raise ValueError(f"CsvReaderFormat: {split.path}: {exc}") from None
        self._pending: list[Any] = []
        self._idx = 0
        self._count = 0
        pos = split.reader_position
        skip_records = pos.records_after_offset if pos is not None else 0
        while skip_records > 0:
            batch = self._next_rows()
            if batch is None:
                break
            n = min(skip_records, len(batch))
            self._pending, self._idx = batch, n
            self._count += n
            skip_records -= n

    def _check_header(self, opts: dict[str, Any]) -> None:
        probe = open_decompressed(self._path)
        try:
            first = probe.read(1 << 16).split(b"\n", 1)[0]
        finally:
            probe.close()
        if not first:
            return
        quote = opts["quote"] or ""
        names = [n.strip().strip(quote) for n in
                 first.decode("utf-8").rstrip("\r").split(opts["separator"])]
        want = [c.name for c in self._schema._columns]  # noqa: SLF001
        if names != want:
            raise ValueError(f"CsvReaderFormat: {self._path}: header {names} does not match "
                             f"the schema's columns {want}")

    def _next_rows(self) -> list[Any] | None:
        try:
            batch = self._reader.read_next_batch()
        except StopIteration:
            return None
        except pa.ArrowInvalid as exc:
            raise ValueError(f"CsvReaderFormat: {self._path}: {exc}") from None
        arrays = []
        for c, column in zip(self._schema._columns, batch.columns):  # noqa: SLF001
            if c.kind == "array":
                sep = c.separator if c.separator is not None else \
                    self._schema._options["array_separator"]  # noqa: SLF001
                lists = pc.split_pattern(column, sep) if sep else \
                    pa.ListArray.from_arrays(pa.array(range(len(column) + 1), pa.int32()), column)
                lists = pc.if_else(pc.equal(column, ""), pa.scalar([], lists.type), lists)
                column = lists.cast(c.type_info.to_arrow_type())
            arrays.append(column)
        return self._records.to_records(pa.RecordBatch.from_arrays(
            arrays, names=[c.name for c in self._schema._columns]))  # noqa: SLF001

    def read_batch(self, max_records: int) -> list[Any] | None:  # noqa: D102
        while self._idx >= len(self._pending):
            rows = self._next_rows()
            if rows is None:
                return None
            self._pending, self._idx = rows, 0
        i = self._idx
        out = self._pending[i:i + max_records]
        self._idx += len(out)
        self._count += len(out)
        return out

    def position(self) -> CheckpointedPosition:  # noqa: D102
        return CheckpointedPosition(0, self._count)

    def close(self) -> None:  # noqa: D102
        self._reader.close()


class CsvReaderFormat(StreamFormat):
    """Reads CSV rows as ``schema.get_type_info()`` Rows."""

    def __init__(self, schema: CsvSchema) -> None:
        if not isinstance(schema, CsvSchema):
            raise TypeError(f"CsvReaderFormat: expected a CsvSchema, got {type(schema).__name__}")
        self.schema = schema

    @staticmethod
    def for_schema(schema: CsvSchema) -> CsvReaderFormat:
        """The format for ``schema``."""
        return CsvReaderFormat(schema)

    def create_reader(self, split: FileSourceSplit) -> FileFormatReader:  # noqa: D102
        return _CsvReader(self.schema, split)

    def get_produced_type(self) -> Any:  # noqa: D102
        return self.schema.get_type_info()


#: Strings longer than this (in UTF-16 units) are always quoted (Jackson's ``MAX_QUOTE_CHECK``).
_MAX_QUOTE_CHECK = 24
_INTEGER_TYPES = ("BYTE", "SHORT", "INT", "LONG")
#: Jackson writes BigDecimal (and BigInteger) values through its string path, quoting included.
_DECIMAL_TYPES = ("BIG_DEC", "BIG_INT")


def _quoter(opts: dict[str, Any]) -> Callable[[str], str]:
    """How Jackson's ``CsvEncoder`` writes a string value (default, "loose" quoting).

    With quoting enabled a value is quoted when it is longer than 24 chars,
    holds a char below the "min safe char" (one above the largest of the
    column separator, the quote char and the line separator's chars: with
    ``,`` every char below ``-``, so spaces, quotes and punctuation; with
    ``|`` nearly everything but lower-case letters) or holds the escape char.
    Inside quotes the quote char is doubled, and so is the escape char.
    """
    quote = opts["quote"]
    if not quote:
        return lambda text: text
    escape = opts["escape"] or ""
    min_safe = max([ord(opts["separator"]), ord(quote)]
                   + [ord(c) for c in opts["line_separator"]]) + 1
    unsafe = re.compile(f"[\\x00-{re.escape(chr(min_safe - 1))}{re.escape(escape)}]")

    def write(text: str) -> str:
        n = len(text)
        if n <= _MAX_QUOTE_CHECK and not text.isascii():
            n = len(text.encode("utf-16-le")) // 2
        if n <= _MAX_QUOTE_CHECK and unsafe.search(text) is None:
            return text
        text = text.replace(quote, quote + quote)
        if escape and escape != quote:
            text = text.replace(escape, escape + escape)
        return quote + text + quote

    return write


def _element_text(type_info: TypeInformation, null: str) -> Callable[[Any], str]:
    """``String.valueOf`` of an array element, as Jackson joins them."""
    name = type_info.type_name()
    if name == "FLOAT":
        return lambda v: null if v is None else _java_float(v, single=True)
    if name == "DOUBLE":
        return lambda v: null if v is None else _java_float(v)
    if name == "BOOLEAN":
        return lambda v: null if v is None else ("true" if v else "false")
    return lambda v: null if v is None else str(v)


def _column_writer(column: _Column, opts: dict[str, Any], quoted: Callable[[str], str]
                   ) -> Callable[[list[Any]], list[str]]:
    """Renders a column's values as Jackson's CsvGenerator writes them."""
    null = opts["null_value"] or ""  # written as is (never quoted)
    if column.kind == "array":
        sep = column.separator if column.separator is not None else opts["array_separator"]
        element = _element_text(column.type_info.get_element_type(), null)
        return lambda values: [null if v is None else quoted(sep.join(map(element, v)))
                               for v in values]
    name = column.type_info.type_name()
    if name == "STRING" or name in _DECIMAL_TYPES:
        return lambda values: [null if v is None else quoted(str(v)) for v in values]
    if name in ("FLOAT", "DOUBLE"):
        single = name == "FLOAT"
        return lambda values: [null if v is None else _java_float(v, single) for v in values]
    if name == "BOOLEAN":
        return lambda values: [null if v is None else ("true" if v else "false")
                               for v in values]
    if name in _INTEGER_TYPES:
        return lambda values: [null if v is None else str(v) for v in values]
    raise TypeError(f"CsvBulkWriters: unsupported type {name} of column '{column.name}'")


class _CsvBulkWriter(BulkWriter):
    """Writes Rows as Flink's ``CsvBulkWriter`` (Jackson's ``CsvMapper``) does.

    Numbers are Java's (``Double.toString``: ``3.0E38``, ``1.5``; floats as
    ``Float.toString``), booleans ``true``/``false``, null the schema's null
    value (empty by default); strings, decimals, array columns (elements
    joined by the column's separator) and header names are quoted only as
    :func:`_quoter` describes. The header (``set_use_header``) opens each part
    file; every row ends with the line separator (``\\n``).
    """

    def __init__(self, schema: CsvSchema, stream: Any) -> None:
        self._records = ArrowRecords(schema.get_type_info(), "CsvBulkWriters")
        self._columns = schema._columns  # noqa: SLF001
        opts = schema._options  # noqa: SLF001
        self._opts = opts
        self._stream = stream
        self._quoted = _quoter(opts)
        self._writers = [_column_writer(c, opts, self._quoted) for c in self._columns]
        self._header_pending = bool(opts["use_header"])

    def add_elements(self, elements: list[Any]) -> None:
        if not elements:
            return
        batch = self._records.to_batch(elements)  # checks and coerces to the declared types
        sep, end = self._opts["separator"], self._opts["line_separator"]
        columns = [w(col.to_pylist()) for w, col in zip(self._writers, batch.columns)]
        text = end.join(map(sep.join, zip(*columns))) + end
        if self._header_pending:
            self._header_pending = False
            text = sep.join(self._quoted(c.name) for c in self._columns) + end + text
        self._stream.write(text.encode("utf-8"))

    def flush(self) -> None:
        return

    def finish(self) -> None:
        return


class _CsvBulkWriterFactory(BulkWriterFactory):
    def __init__(self, schema: CsvSchema) -> None:
        self.schema = schema

    def create(self, stream: Any) -> BulkWriter:
        return _CsvBulkWriter(self.schema, stream)


class CsvBulkWriters:
    """Creates a BulkWriterFactory writing Rows as CSV (``FileSink.for_bulk_format``)."""

    @staticmethod
    def for_schema(schema: CsvSchema) -> BulkWriterFactory:
        """CSV part files with ``schema``'s columns and separator."""
        return _CsvBulkWriterFactory(schema)
