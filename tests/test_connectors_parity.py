"""Connector behaviour that must match PyFlink/Flink: decompression by extension, Java ZoneIds
for date-time buckets, Jackson's CSV output, the bulk-format rolling-policy check."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import cloudpickle
import pyarrow as pa
import pytest

from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Encoder, Row, Types
from flink_py.datastream import StreamExecutionEnvironment as Env
from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors._file_source import (
    CheckpointedPosition,
    FileSourceSplit,
    make_splits,
)
from flink_py.datastream.connectors._text_lines import TextLineReader, is_compressed
from flink_py.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    RollingPolicy,
    StreamFormat,
)
from flink_py.datastream.formats.csv import CsvBulkWriters, CsvReaderFormat, CsvSchema
from flink_py.datastream.formats.parquet import ParquetBulkWriters
from tests.api_support import cluster_env, session_cluster  # noqa: F401 - fixtures

LINES = [f"row {i} é" for i in range(3000)]
DATA = ("\n".join(LINES) + "\n").encode()


def _zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as f:
        f.write(data)
    return sink.getvalue().to_pybytes()


# What Flink's StandardDeCompressors reads, as the Java streams read it.
COMPRESSED = {
    "a.gz": gzip.compress(DATA[:500]) + gzip.compress(DATA[500:]),  # two gzip members
    "b.gzip": gzip.compress(DATA),
    "c.bz2": bz2.compress(DATA),
    "d.xz": lzma.compress(DATA[:700]) + b"\0" * 4 + lzma.compress(DATA[700:]),  # two streams
    "e.deflate": zlib.compress(DATA),  # zlib header: java.util.zip.InflaterInputStream
    "f.zst": _zstd(DATA),
}


def _whole(path: Path) -> FileSourceSplit:
    size = path.stat().st_size
    return FileSourceSplit("s", str(path), 0, size, size)


def _read_all(reader: Any, max_records: int = 999) -> list[Any]:
    out: list[Any] = []
    while (batch := reader.read_batch(max_records)) is not None:
        out += batch
    reader.close()
    return out


# -- 1. decompression by extension ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COMPRESSED))
def test_text_lines_of_every_flink_compression(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(COMPRESSED[name])
    assert is_compressed(str(path))
    split = _whole(path)
    assert _read_all(TextLineReader(split, "utf-8", True, fetch_size=100)) == LINES
    # a restored position re-reads the stream and skips the lines already returned
    r = TextLineReader(split, "utf-8", True, fetch_size=100)
    head = r.read_batch(11)
    pos = r.position()
    r.close()
    assert pos == CheckpointedPosition(0, 11)
    split.reader_position = pos
    assert head + _read_all(TextLineReader(split, "utf-8", True, fetch_size=64)) == LINES


def test_compressed_files_are_not_split_and_others_are(tmp_path: Path) -> None:
    for name, data in COMPRESSED.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "plain.txt").write_bytes(DATA)
    (tmp_path / "upper.GZ").write_bytes(DATA)  # Flink's extension match is case-sensitive
    splits = make_splits(_fs.list_files(str(tmp_path), "T"), splittable=True, parallelism=4,
                         min_split_size=10)
    whole = {s.path.rsplit("/", 1)[1] for s in splits if s.length == s.file_size}
    assert whole == set(COMPRESSED)
    assert not is_compressed(str(tmp_path / "upper.GZ"))
    cut = [s for s in splits if s.path.endswith("upper.GZ")]
    assert len(cut) > 1 and sum(len(_read_all(TextLineReader(s, "utf-8", True))) for s in cut) \
        == len(LINES)


def test_bzip2_reads_only_its_first_stream_as_commons_compress(tmp_path: Path) -> None:
    path = tmp_path / "multi.bz2"
    path.write_bytes(bz2.compress(b"one\ntwo\n") + bz2.compress(b"three\n"))
    assert _read_all(TextLineReader(_whole(path), "utf-8", True)) == ["one", "two"]


def test_corrupt_or_truncated_compressed_files_fail_clearly(tmp_path: Path) -> None:
    raw = tmp_path / "raw.deflate"
    raw.write_bytes(zlib.compress(DATA)[2:])  # raw deflate: no zlib header
    with pytest.raises(OSError, match="raw.deflate: not valid deflate data"):
        _read_all(TextLineReader(_whole(raw), "utf-8", True))
    cut = tmp_path / "cut.xz"
    cut.write_bytes(lzma.compress(DATA)[:-30])
    with pytest.raises(EOFError, match="cut.xz: the xz data ends before its end-of-stream"):
        _read_all(TextLineReader(_whole(cut), "utf-8", True))


def test_csv_reader_decompresses_like_text_lines(tmp_path: Path) -> None:
    schema = (CsvSchema.builder().add_string_column("name").add_number_column("n", Types.INT())
              .set_use_header().set_strict_headers().build())
    text = b"name,n\n" + b"".join(b"x%d,%d\n" % (i, i) for i in range(50))
    for name, data in (("t.csv.xz", lzma.compress(text)), ("t.csv.gzip", gzip.compress(text)),
                       ("t.csv.deflate", zlib.compress(text))):
        path = tmp_path / name
        path.write_bytes(data)
        rows = _read_all(CsvReaderFormat.for_schema(schema).create_reader(_whole(path)))
        assert [tuple(r) for r in rows] == [(f"x{i}", i) for i in range(50)], name


# -- 2. java.time.ZoneId strings -----------------------------------------------------------------


class _Ctx:
    def current_processing_time(self) -> int:
        return 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize("zone, expected", [
    ("GMT-08:00", "2023-11-14T14/13"), ("UTC+8", "2023-11-15T06/13"),
    ("UTC+08:00", "2023-11-15T06/13"), ("+08:00", "2023-11-15T06/13"),
    ("-0530", "2023-11-14T16/43"), ("Z", "2023-11-14T22/13"), ("GMT", "2023-11-14T22/13"),
    ("UTC", "2023-11-14T22/13"), ("UT+1", "2023-11-14T23/13"), ("+5", "2023-11-15T03/13"),
    ("-03:30:15", "2023-11-14T18/43"), ("America/Los_Angeles", "2023-11-14T14/13"),
    ("Etc/GMT+8", "2023-11-14T14/13"),
])
def test_date_time_bucket_assigner_accepts_java_zone_ids(zone: str, expected: str) -> None:
    assigner = BucketAssigner.date_time_bucket_assigner("yyyy-MM-dd'T'HH/mm", zone)
    assert assigner.get_bucket_id("x", _Ctx()) == expected
    assert cloudpickle.loads(cloudpickle.dumps(assigner)).get_bucket_id("x", _Ctx()) == expected


@pytest.mark.parametrize("zone, reason", [
    ("PST", "Unknown time-zone ID: PST"), ("utc", "Unknown time-zone ID: utc"),
    ("+19:00", "hours not in valid range"), ("+18:30", "not in valid range: -18:00 to \\+18:00"),
    ("UTC+08:60", "Invalid ID for offset-based ZoneId: UTC\\+08:60"),
    ("+8:00", "non numeric characters found"), ("", "invalid format"),
    ("GMT+", "Invalid ID for offset-based ZoneId"), ("../x", "region-based ZoneId"),
])
def test_date_time_bucket_assigner_rejects_what_zone_id_of_rejects(zone: str,
                                                                   reason: str) -> None:
    with pytest.raises(ValueError, match=f"unknown time zone '{re.escape(zone)}'.*{reason}"):
        BucketAssigner.date_time_bucket_assigner("yyyy", zone)


# -- 3. CsvBulkWriters writes as Jackson's CsvMapper ----------------------------------------------


def _write(schema: CsvSchema, rows: list[Any]) -> str:
    buf = io.BytesIO()
    writer = CsvBulkWriters.for_schema(schema).create(buf)
    writer.add_elements(rows)
    writer.finish()
    return buf.getvalue().decode()


def _read_then_write(tmp_path: Path, schema: CsvSchema, lines: list[str]) -> list[str]:
    """PyFlink's FileSinkCsvBulkWriterTests: read ``lines`` with the schema, write them back."""
    path = tmp_path / "in.csv"
    path.write_text("".join(lines))
    rows = _read_all(CsvReaderFormat.for_schema(schema).create_reader(_whole(path)))
    return _write(schema, rows).splitlines(keepends=True)


def test_csv_primitive_columns_write_java_numbers(tmp_path: Path) -> None:
    schema = (CsvSchema.builder()
              .add_number_column("tinyint", Types.BYTE()).add_number_column("smallint", Types.SHORT())
              .add_number_column("int", Types.INT()).add_number_column("bigint", Types.LONG())
              .add_number_column("float", Types.FLOAT()).add_number_column("double", Types.DOUBLE())
              .add_boolean_column("boolean").add_string_column("string").build())
    lines = ["127,-32767,2147483647,-9223372036854775808,3e38,2e-308,true,string\n"]
    assert _read_then_write(tmp_path, schema, lines) == [
        "127,-32767,2147483647,-9223372036854775808,3.0E38,2.0E-308,true,string\n"]
    doubles = CsvSchema.builder().add_number_column("d", Types.DOUBLE()) \
        .add_number_column("f", Types.FLOAT()).build()
    assert _write(doubles, [Row(1.5, 1.5), Row(1e7, 0.1), Row(0.001, 1e-4), Row(-0.0, None)]) \
        == "1.5,1.5\n1.0E7,0.1\n0.001,1.0E-4\n-0.0,\n"


def test_csv_array_columns_join_elements_unquoted_when_quoting_is_disabled(tmp_path: Path) -> None:
    schema = (CsvSchema.builder()
              .add_array_column("number_array", separator=";", element_type=Types.INT())
              .add_array_column("boolean_array", separator=":", element_type=Types.BOOLEAN())
              .add_array_column("string_array", separator=",", element_type=Types.STRING())
              .set_column_separator("|").disable_quote_char().build())
    lines = ["1;2;3|true:false|a,b,c\n"]
    assert _read_then_write(tmp_path, schema, lines) == lines
    doubles = CsvSchema.builder().add_array_column("d", ";", Types.DOUBLE()).build()
    assert _write(doubles, [Row([1.0, 2.5e-5])]) == "1.0;2.5E-5\n"


@pytest.mark.parametrize("quote", ['"', "`"])
def test_csv_strings_are_quoted_below_the_min_safe_char(tmp_path: Path, quote: str) -> None:
    # with '|' as the separator every char below '}' may need quotes: Jackson quotes them all
    builder = (CsvSchema.builder().add_string_column("string").add_string_column("string2")
               .set_column_separator("|"))
    if quote != '"':
        builder = builder.set_quote_char(quote)
    lines = [f"{quote}string{quote}|{quote}string2{quote}\n"]
    assert _read_then_write(tmp_path, builder.build(), lines) == lines


def test_csv_escape_char_write(tmp_path: Path) -> None:
    schema = (CsvSchema.builder().add_string_column("string").add_string_column("string2")
              .set_column_separator(",").set_escape_char("\\").build())
    assert _read_then_write(tmp_path, schema, ['string\\,,\\"string2\\"\n']) == \
        ['"string,","""string2"""\n']
    assert _write(schema, [Row("a\\b", "ok")]) == '"a\\\\b",ok\n'


def test_csv_quoting_rules_of_the_default_dialect() -> None:
    schema = (CsvSchema.builder().add_string_column("s").add_number_column("d", Types.BIG_DEC())
              .add_array_column("a", ";", Types.STRING()).set_use_header().build())
    rows = [Row("plain-text_1.x", Decimal("1.5"), ["p", "q"]),
            Row("has space", Decimal(-2), ["p q"]),
            Row('say "hi"', None, None),
            Row("x" * 24, Decimal(0), []),
            Row("y" * 25, Decimal(3), ["a", None]),
            Row("", Decimal(4), [""])]
    assert _write(schema, rows).splitlines() == [
        "s,d,a",
        "plain-text_1.x,1.5,p;q",
        '"has space",-2,"p q"',
        '"say ""hi""",,',
        "x" * 24 + ",0,",
        '"' + "y" * 25 + '",3,a;',
        ",4,",
    ]
    semi = CsvSchema.builder().add_number_column("d", Types.BIG_DEC()) \
        .add_number_column("i", Types.INT()).set_column_separator(";").build()
    # BigDecimal goes through Jackson's string path: digits are below ';' + 1
    assert _write(semi, [Row(Decimal(1), 7)]) == '"1";7\n'
    nulls = CsvSchema.builder().add_string_column("s").add_number_column("i", Types.INT()) \
        .set_null_value("NULL").build()
    assert _write(nulls, [Row(None, None), Row("NULL", 1)]) == "NULL,NULL\nNULL,1\n"


# -- 4. bulk formats only roll on checkpoints -----------------------------------------------------


def test_bulk_format_builder_requires_on_checkpoint_rolling_policy(tmp_path: Path) -> None:
    row = Types.ROW_NAMED(["id"], [Types.LONG()])
    builder = FileSink.for_bulk_format(str(tmp_path), ParquetBulkWriters.for_row_type(row))
    with pytest.raises(ValueError,
                       match="^rolling_policy must be OnCheckpointRollingPolicy for bulk format$"):
        builder.with_rolling_policy(RollingPolicy.default_rolling_policy())
    assert builder.with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy()) is builder
    FileSink.for_row_format(str(tmp_path), Encoder.simple_string_encoder()).with_rolling_policy(
        RollingPolicy.default_rolling_policy())


# -- the job path: compressed sources into a CSV bulk sink ----------------------------------------


@pytest.fixture
def env(cluster_env: LocalCluster) -> Env:
    return Env.get_execution_environment()


def test_job_reads_compressed_files_and_writes_jackson_csv(env: Env, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, data in COMPRESSED.items():
        (src / name).write_bytes(data)
    out = tmp_path / "out"
    schema = CsvSchema.builder().add_string_column("line").add_number_column(
        "half", Types.DOUBLE()).set_column_separator("|").build()
    env.set_parallelism(2)
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src)).build()
    (env.from_source(source, None, "files")
     .map(lambda s: Row(line=s, half=int(s.split()[1]) / 2), output_type=schema.get_type_info())
     .sink_to(FileSink.for_bulk_format(str(out), CsvBulkWriters.for_schema(schema))
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()))
    env.execute("compressed to csv")
    got = sorted(line for p in out.iterdir() for line in p.read_text().splitlines())
    # i / 2 lies in [0, 1500): Python's repr and Java's Double.toString agree there
    want = sorted(f'"row {i} é"|{i / 2!r}' for i in range(3000) for _ in COMPRESSED)
    assert got == want
