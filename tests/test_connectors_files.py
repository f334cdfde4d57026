"""FileSource internals and formats without a cluster: splits, lines, positions, listing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.common import Duration, Row, Types
from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors._file_source import (
    CheckpointedPosition,
    FileSourceSplit,
    make_splits,
)
from flink_py.datastream.connectors._text_lines import TextLineReader
from flink_py.datastream.connectors.file_system import FileSource, StreamFormat
from flink_py.datastream.connectors.source import Boundedness
from flink_py.datastream.formats.csv import CsvReaderFormat, CsvSchema
from flink_py.datastream.formats.parquet import ParquetColumnarRowInputFormat
from tests.test_connectors_source_api import open_op, poll


def _read(split: FileSourceSplit, split_on_cr: bool = True, fetch: int = 7,
          max_records: int = 3) -> list[str]:
    r = TextLineReader(split, "utf-8", split_on_cr, fetch_size=fetch)
    out: list[str] = []
    while (batch := r.read_batch(max_records)) is not None:
        out += batch
    r.close()
    return out


def _ranges(path: Path, n: int) -> list[FileSourceSplit]:
    size = path.stat().st_size
    cuts = [size * i // n for i in range(n + 1)]
    return [FileSourceSplit(f"s{i}", str(path), cuts[i], cuts[i + 1] - cuts[i], size)
            for i in range(n)]


def _flink_lines(data: bytes) -> list[str]:
    text = data.decode()
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if data else []


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab xé", max_size=12), max_size=25),
       trailing_newline=st.booleans(), n=st.integers(1, 9), fetch=st.integers(1, 40))
def test_byte_ranges_yield_every_line_exactly_once(tmp_path_factory: Any, lines: list[str],
                                                   trailing_newline: bool, n: int,
                                                   fetch: int) -> None:
    path = tmp_path_factory.mktemp("lines") / "f.txt"
    data = "\n".join(lines).encode() + (b"\n" if trailing_newline and lines else b"")
    path.write_bytes(data)
    got = [line for split in _ranges(path, n) for line in _read(split, fetch=fetch)]
    assert got == _flink_lines(data)


def test_line_ends_text_line_format_vs_read_text_file(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"a\r\nb\rc\n\nd\x0be\r")
    split = FileSourceSplit("s", str(path), 0, path.stat().st_size, path.stat().st_size)
    # BufferedReader.readLine: \n, \r and \r\n end lines; \x0b is an ordinary character.
    assert _read(split, split_on_cr=True) == ["a", "b", "c", "", "d\x0be"]
    # readTextFile: only \n ends lines; a trailing \r is removed.
    assert _read(split, split_on_cr=False) == ["a", "b\rc", "", "d\x0be"]


def test_long_line_longer_than_the_fetch_size(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    lines = ["x" * 1000, "short", "y" * 3000]
    path.write_text("\n".join(lines))
    assert [ln for s in _ranges(path, 4) for ln in _read(s, fetch=64)] == lines


@pytest.mark.parametrize("taken", [0, 1, 4, 9, 15])
def test_text_reader_restores_from_its_position(tmp_path: Path, taken: int) -> None:
    path = tmp_path / "f.txt"
    lines = [f"line {i}" for i in range(16)]
    path.write_text("\n".join(lines) + "\n")
    size = path.stat().st_size
    split = FileSourceSplit("s", str(path), 0, size, size)
    r = TextLineReader(split, "utf-8", True, fetch_size=20)
    first: list[str] = []
    while len(first) < taken:
        first += r.read_batch(1) or []
    pos = r.position()
    r.close()
    resumed = FileSourceSplit("s", str(path), 0, size, size, reader_position=pos)
    assert first + _read(resumed) == lines


def test_make_splits_cuts_large_files_and_keeps_small_ones_whole() -> None:
    files = [_fs.FileStatus("/b", 100, 0), _fs.FileStatus("/a", 10, 0)]
    splits = make_splits(files, splittable=True, parallelism=4, min_split_size=20)
    assert [(s.path, s.offset, s.length) for s in splits] == [
        ("/a", 0, 10), ("/b", 0, 25), ("/b", 25, 25), ("/b", 50, 25), ("/b", 75, 25)]
    whole = make_splits(files, splittable=False, parallelism=4, min_split_size=20)
    assert [(s.path, s.length) for s in whole] == [("/a", 10), ("/b", 100)]


def test_listing_recurses_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "_hidden").mkdir()
    for name in ["a.txt", "sub/b.txt", "sub/deeper/c.txt", ".x", "sub/_y", "_hidden/d.txt"]:
        (tmp_path / name).write_text("z")
    found = [os.path.relpath(f.location, tmp_path) for f in _fs.list_files(str(tmp_path), "T")]
    assert found == ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]
    uri = [f.location for f in _fs.list_files(f"file://{tmp_path}/sub", "T")]
    assert uri == [f"file://{tmp_path}/sub/b.txt", f"file://{tmp_path}/sub/deeper/c.txt"]
    with pytest.raises(FileNotFoundError, match=f"FileSource: the path {tmp_path}/nope does"):
        _fs.list_files(str(tmp_path / "nope"), "FileSource")


def test_charset_checks() -> None:
    StreamFormat.text_line_format("latin-1")
    with pytest.raises(ValueError, match="charset 'UTF-16' is not supported"):
        StreamFormat.text_line_format("UTF-16")
    with pytest.raises(ValueError, match="unknown charset 'nope'"):
        StreamFormat.text_line_format("nope")


def test_file_source_boundedness_and_builder_errors(tmp_path: Path) -> None:
    fmt = StreamFormat.text_line_format()
    assert FileSource.for_record_stream_format(fmt, str(tmp_path)).build() \
        .get_boundedness() is Boundedness.BOUNDED
    cont = FileSource.for_record_stream_format(fmt, str(tmp_path)).monitor_continuously(
        Duration.of_seconds(1)).build()
    assert cont.get_boundedness() is Boundedness.CONTINUOUS_UNBOUNDED
    with pytest.raises(ValueError, match="discovery interval must be positive"):
        FileSource.for_record_stream_format(fmt, "x").monitor_continuously(Duration.of_millis(0))
    with pytest.raises(TypeError, match="expected a StreamFormat, got str"):
        FileSource.for_record_stream_format("text", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one path"):
        FileSource.for_record_stream_format(fmt).build()


def test_file_source_subtasks_split_a_directory_and_rewind(tmp_path: Path) -> None:
    expected = []
    for f in range(3):
        lines = [f"f{f}-{i}" for i in range(200)]
        expected += lines
        (tmp_path / f"part{f}.txt").write_text("\n".join(lines) + "\n")
    source = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(tmp_path))
              .set_min_split_size(300).build())
    got: list[str] = []
    for i in range(2):
        op, out = open_op(source, i, 2)
        poll(op, out, max_rows=50, polls=3)
        snap = op.snapshot_source(1)
        assert all(isinstance(s.reader_position, (CheckpointedPosition, type(None)))
                   for s in snap["splits"])
        op.close()
        done = out.values[:150]
        op, out = open_op(source, i, 2, {"splits": snap["splits"],
                                          "enumerator": {i: snap["enumerator"][i],
                                                         1 - i: []}})
        assert poll(op, out)
        op.close()
        assert done and out.values
        got += done + out.values
    assert sorted(got) == sorted(expected)


def test_continuous_file_source_discovers_new_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("1\n2\n")
    source = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(tmp_path))
              .monitor_continuously(Duration.of_millis(30)).build())
    ops = [open_op(source, i, 2) for i in range(2)]

    def seen() -> list[str]:
        for op, out in ops:
            assert not poll(op, out, polls=3)  # never ends by itself
        return sorted(v for _, out in ops for v in out.values)

    from tests.conftest import wait_until

    wait_until(lambda: seen() == ["1", "2"], timeout=20)
    (tmp_path / ".b.tmp").write_text("3\n4\n")  # hidden while written, then moved in
    os.rename(tmp_path / ".b.tmp", tmp_path / "b.txt")
    (tmp_path / "c.txt").write_text("5\n")
    wait_until(lambda: seen() == ["1", "2", "3", "4", "5"], timeout=20)
    snap = ops[0][0].snapshot_source(3)
    assert len(snap["enumerator"]["processed"]) == 3
    for op, _ in ops:
        op.close()


def test_csv_format_reads_rows_with_options_and_rewinds(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id|name|score|ok|tags\n"
                    "# a comment\n"
                    "1|Ann|1.5|true|x;y\n"
                    '2|"B|ob"||false|\n'
                    "3||2.0|true|z\n")
    schema = (CsvSchema.builder().add_number_column("id", Types.INT())
              .add_string_column("name").add_number_column("score", Types.DOUBLE())
              .add_boolean_column("ok").add_array_column("tags")
              .set_column_separator("|").set_use_header().set_strict_headers()
              .set_allow_comments().build())
    assert schema.get_type_info() == Types.ROW_NAMED(
        ["id", "name", "score", "ok", "tags"],
        [Types.INT(), Types.STRING(), Types.DOUBLE(), Types.BOOLEAN(), Types.LIST(Types.STRING())])
    source = FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema),
                                                 str(path)).build()
    op, out = open_op(source, 0, 1)
    assert poll(op, out, max_rows=2)
    person = Row("id", "name", "score", "ok", "tags")
    assert out.values == [person(1, "Ann", 1.5, True, ["x", "y"]),
                          person(2, "B|ob", None, False, []),
                          person(3, "", 2.0, True, ["z"])]
    assert out.values[1].name == "B|ob"
    size = path.stat().st_size
    split = FileSourceSplit("s", str(path), 0, size, size,
                            reader_position=CheckpointedPosition(0, 2))
    reader = CsvReaderFormat.for_schema(schema).create_reader(split)
    assert reader.read_batch(10) == out.values[2:]
    reader.close()


def test_csv_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("1,a\nx,b\n")
    schema = CsvSchema.builder().add_number_column("id").add_string_column("s").build()
    source = FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema),
                                                 str(path)).build()
    op, out = open_op(source, 0, 1)
    with pytest.raises(ValueError, match=f"CsvReaderFormat: {path}: .*"):
        poll(op, out)
    header = tmp_path / "h.csv"
    header.write_text("a,b\n1,x\n")
    strict = (CsvSchema.builder().add_number_column("id").add_string_column("s")
              .set_use_header().set_strict_headers().build())
    src = FileSource.for_record_stream_format(CsvReaderFormat.for_schema(strict),
                                              str(header)).build()
    with pytest.raises(ValueError, match=r"header \['a', 'b'\] does not match .*\['id', 's'\]"):
        open_op(src, 0, 1)[0].poll_next(10)


def test_parquet_format_selects_columns_by_name_and_rewinds(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = pa.table({"extra": list(range(10)), "Name": [f"n{i}" for i in range(10)],
                      "id": pa.array(range(10), pa.int32())})
    pq.write_table(table, path, row_group_size=4)
    row_type = Types.ROW_NAMED(["id", "name"], [Types.LONG(), Types.STRING()])
    fmt = ParquetColumnarRowInputFormat(row_type, batch_size=3, is_case_sensitive=False)
    source = FileSource.for_bulk_file_format(fmt, str(path)).build()
    op, out = open_op(source, 0, 1)
    assert poll(op, out, max_rows=4)
    assert out.values == [Row(id=i, name=f"n{i}") for i in range(10)]
    size = path.stat().st_size
    reader = fmt.create_reader(FileSourceSplit("s", str(path), 0, size, size,
                                               reader_position=CheckpointedPosition(0, 7)))
    rest: list[Any] = []
    while (batch := reader.read_batch(100)) is not None:
        rest += batch
    assert rest == out.values[7:]
    strict = ParquetColumnarRowInputFormat(row_type)
    with pytest.raises(ValueError, match=r"t.parquet has no column\(s\) \['name'\]"):
        strict.create_reader(FileSourceSplit("s", str(path), 0, size, size))
    with pytest.raises(TypeError, match="row_type must be a Types.ROW_NAMED"):
        ParquetColumnarRowInputFormat(Types.STRING())


def test_compressed_text_files_are_decompressed_whole_and_restorable(tmp_path: Path) -> None:
    import bz2
    import gzip

    lines = [f"row {i}" for i in range(5000)]
    gz, bz = tmp_path / "a.txt.gz", tmp_path / "b.txt.bz2"
    gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    bz.write_bytes(bz2.compress("\n".join(lines).encode()))
    files = _fs.list_files(str(tmp_path), "T")
    splits = make_splits(files, splittable=True, parallelism=4, min_split_size=10)
    assert [(s.offset, s.length == s.file_size) for s in splits] == [(0, True), (0, True)]
    for split in splits:
        assert _read(split, fetch=100, max_records=999) == lines
        r = TextLineReader(split, "utf-8", True, fetch_size=100)
        head = r.read_batch(7)
        pos = r.position()
        r.close()
        assert pos == CheckpointedPosition(0, 7) and head == lines[:7]
        split.reader_position = pos
        assert head + _read(split) == lines
