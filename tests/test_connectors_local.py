"""Connectors in jobs on a local cluster: file sources and sinks, formats, sockets, batches.

One warm embedded cluster (a JobManager and a TaskManager with two slot
processes) is shared by the module; ``test_local_env_*`` use the default
path where ``execute()`` starts its own embedded cluster.
"""

from __future__ import annotations

import collections
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from flink_py.client.cluster_client import JobExecutionException
from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Duration, Encoder, Row, Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import MapFunction, RuntimeContext, SourceFunction
from flink_py.datastream import StreamExecutionEnvironment as Env
from flink_py.datastream.connectors import DiscardingSink, NumberSequenceSource, _fs
from flink_py.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    OutputFileConfig,
    RollingPolicy,
    StreamFormat,
)
from flink_py.datastream.formats.csv import CsvBulkWriters, CsvReaderFormat, CsvSchema
from flink_py.datastream.formats.parquet import ParquetBulkWriters, ParquetColumnarRowInputFormat
from tests import test_connectors_source_api

pytestmark = pytest.mark.slow

PAIR = Types.TUPLE([Types.STRING(), Types.LONG()])
# Flink's FileSink part names: <prefix>-<uuid of the writer's bucket>-<part counter><suffix>
PART = re.compile(r"^(?P<prefix>.+)-(?P<uid>[0-9a-f-]{36})-(?P<n>\d+)(?P<suffix>.*)$")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    config = FlinkConfig()
    with LocalCluster(config, slots=2) as c:
        yield c


@pytest.fixture
def env(cluster: LocalCluster) -> Iterator[Env]:
    set_context(ClientContext(config=FlinkConfig(), jobmanager=cluster.address))
    try:
        yield Env.get_execution_environment()
    finally:
        set_context(None)


def _files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file())


def _final_counts(values: list[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w, c in values:
        out[w] = max(out.get(w, 0), c)
    return out


class _Tag(MapFunction):
    """(subtask index, value)."""

    def open(self, runtime_context: RuntimeContext) -> None:
        self.index = runtime_context.get_index_of_this_subtask()

    def map(self, value: Any) -> Any:
        return self.index, value


# -- sources -----------------------------------------------------------------------------------


def test_read_text_file_reads_a_large_file_in_parallel(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    lines = [f"line {i} " + "x" * (i % 50) for i in range(220_000)]  # ~10 MB: 2 byte ranges
    path.write_text("\n".join(lines) + "\n")
    env.set_parallelism(2)
    got = env.read_text_file(str(path)).map(_Tag()).execute_and_collect(limit=10**6)
    assert sorted(v for _, v in got) == sorted(lines)
    per_subtask = collections.Counter(i for i, _ in got)
    assert set(per_subtask) == {0, 1} and min(per_subtask.values()) > 50_000


def test_read_text_file_of_a_directory_and_missing_path(env: Env, tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("a1\na2\n")
    (tmp_path / "d" / "sub" / "b.txt").write_text("b1")
    (tmp_path / "d" / "_SUCCESS").write_text("ignored")
    assert sorted(env.read_text_file(str(tmp_path / "d")).execute_and_collect(limit=99)) == [
        "a1", "a2", "b1"]
    env.read_text_file(str(tmp_path / "missing")).sink_to(DiscardingSink())
    with pytest.raises(JobExecutionException, match="the path .*missing does not exist"):
        env.execute()


def test_file_source_word_count_into_file_sink(env: Env, tmp_path: Path) -> None:
    src_dir, out = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    words = [f"w{i % 37}" for i in range(5000)]
    for f in range(3):
        chunk = words[f::3]
        (src_dir / f"f{f}.txt").write_text(
            "\n".join(" ".join(chunk[i:i + 5]) for i in range(0, len(chunk), 5)) + "\n")
    env.set_parallelism(2)
    source = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src_dir))
              .process_static_file_set().set_min_split_size(1000).build())
    sink = (FileSink.for_row_format(str(out), Encoder.simple_string_encoder())
            .with_output_file_config(OutputFileConfig.builder().with_part_prefix("pre")
                                     .with_part_suffix(".txt").build())
            .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build())
    (env.from_source(source, None, "words")
     .flat_map(str.split, output_type=Types.STRING())
     .map(lambda w: (w, 1), output_type=PAIR)
     .key_by(lambda t: t[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .sink_to(sink))
    env.execute("file word count")
    files = _files(out)
    assert files and all(p.parent == out for p in files)
    names = [PART.match(p.name) for p in files]
    assert all(m and m["prefix"] == "pre" and m["suffix"] == ".txt" for m in names)
    assert len({m["uid"] for m in names if m}) >= 2  # a bucket per subtask at least
    assert not list(out.glob(".*"))  # no in-progress file is left
    rows = [line[1:-1].split(",") for p in files for line in p.read_text().splitlines()]
    assert _final_counts([(w, int(c)) for w, c in rows]) == dict(collections.Counter(words))


def test_file_sink_rolls_by_size_and_buckets_by_date_time(env: Env, tmp_path: Path) -> None:
    out = tmp_path / "out"
    values = [f"record-{i:04d}" for i in range(300)]  # 12 bytes per line
    sink = (FileSink.for_row_format(str(out), Encoder.simple_string_encoder())
            .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=100)).build())
    env.from_collection(values, type_info=Types.STRING()).sink_to(sink)
    env.execute()
    files = _files(out)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}--\d{2}", p.parent.name) for p in files)
    assert {p.parent.parent for p in files} == {out}
    assert len(files) >= 25  # rolled every ~9 records
    assert all(p.stat().st_size <= 100 + 12 for p in files)
    ns = sorted(int(PART.match(p.name)["n"]) for p in files)  # type: ignore[index]
    assert ns == list(range(len(files)))
    by_n = sorted(files, key=lambda p: int(PART.match(p.name)["n"]))  # type: ignore[index]
    assert [line for p in by_n for line in p.read_text().splitlines()] == values


def test_csv_to_parquet_and_back(env: Env, tmp_path: Path) -> None:
    csv_path, pq_dir, csv_out = tmp_path / "in.csv", tmp_path / "pq", tmp_path / "csv"
    csv_path.write_text("id,name,price\n" + "".join(f"{i},item{i},{i * 1.5}\n" for i in range(500)))
    schema = (CsvSchema.builder().add_number_column("id", Types.LONG()).add_string_column("name")
              .add_number_column("price", Types.DOUBLE()).set_use_header().build())
    row_type = schema.get_type_info()
    env.set_parallelism(2)
    (env.from_source(FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema),
                                                         str(csv_path)), None, "csv")
     .filter(lambda r: r.id % 2 == 0)
     .rebalance()
     .map(lambda r: r, output_type=row_type)
     .sink_to(FileSink.for_bulk_format(str(pq_dir), ParquetBulkWriters.for_row_type(row_type))
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()))
    env.execute("csv to parquet")
    parts = _files(pq_dir)
    assert len(parts) == 2  # one finished part per subtask, no in-progress file
    fmt = ParquetColumnarRowInputFormat(row_type)
    (env.from_source(FileSource.for_bulk_file_format(fmt, str(pq_dir)), None, "parquet")
     .sink_to(FileSink.for_bulk_format(str(csv_out), CsvBulkWriters.for_schema(schema))
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()))
    env.execute("parquet to csv")
    rows = [line.split(",") for p in _files(csv_out) for line in p.read_text().splitlines()]
    header = ['id', 'name', 'price']  # Jackson quotes only where needed
    assert [r for r in rows if r == header] and all(len(r) == 3 for r in rows)
    got = sorted((int(r[0]), r[1].strip('"'), float(r[2])) for r in rows if r != header)
    assert got == [(i, f"item{i}", i * 1.5) for i in range(0, 500, 2)]


def test_continuously_monitored_directory(env: Env, tmp_path: Path) -> None:
    (tmp_path / "1.txt").write_text("a\nb\n")
    env.set_parallelism(2)
    source = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(tmp_path))
              .monitor_continuously(Duration.of_millis(50)).build())
    seen: list[str] = []
    with env.from_source(source, None, "watch").execute_and_collect() as it:
        for value in it:
            seen.append(value)
            if len(seen) == 2:
                (tmp_path / "2.txt").write_text("c\n")
                (tmp_path / "3.txt").write_text("d\ne\n")
            if len(seen) == 5:
                break
    assert sorted(seen) == ["a", "b", "c", "d", "e"]


def test_socket_text_stream(env: Env) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"hello world\r\nsecond ")
            conn.sendall("line ✓\nno newline at the end".encode())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        got = env.socket_text_stream("127.0.0.1", port).execute_and_collect(limit=10)
    finally:
        server.close()
    assert got == ["hello world", "second line ✓", "no newline at the end"]
    env.socket_text_stream("127.0.0.1", port).sink_to(DiscardingSink())
    with pytest.raises(JobExecutionException, match=f"cannot connect to 127.0.0.1:{port}"):
        env.execute()


def test_socket_text_stream_reconnects_while_attempts_remain(env: Env) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    port = server.getsockname()[1]

    def serve() -> None:
        for data in (b"a\nb", b"c;x\nd\n"):  # the partial "b" continues after reconnecting
            conn, _ = server.accept()
            with conn:
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    try:
        got = env.socket_text_stream("127.0.0.1", port, max_retry=2).execute_and_collect(limit=9)
    finally:
        server.close()
    assert got == ["a", "bc;x", "d"]


class _Counter(SourceFunction):
    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n = n
        self.fail_at = fail_at
        self.running = True

    def run(self, ctx: Any) -> None:
        for i in range(self.n):
            if not self.running:
                return
            if i == self.fail_at:
                raise RuntimeError(f"boom at {i}")
            ctx.collect(i)

    def cancel(self) -> None:
        self.running = False


def test_add_source_with_a_source_function(env: Env) -> None:
    assert sorted(env.add_source(_Counter(20_000), type_info=Types.LONG())
                  .execute_and_collect(limit=10**6)) == list(range(20_000))
    env.add_source(_Counter(100, fail_at=42), "Failing Source").sink_to(DiscardingSink())
    with pytest.raises(JobExecutionException, match="Failing Source.*RuntimeError: boom at 42"):
        env.execute()


def test_discarding_sink_and_number_sequence(env: Env) -> None:
    env.set_parallelism(2)
    env.from_source(NumberSequenceSource(1, 100_000), None, "seq").sink_to(DiscardingSink())
    env.execute("discard")
    assert sorted(env.from_source(NumberSequenceSource(1, 1000), None, "seq")
                  .execute_and_collect(limit=5000)) == list(range(1, 1001))


def test_user_source_runs_in_a_job(env: Env) -> None:
    cloudpickle.register_pickle_by_value(test_connectors_source_api)
    try:
        env.set_parallelism(2)
        source = test_connectors_source_api.CounterSource(5, 100)
        got = env.from_source(source, None, "counters").execute_and_collect(limit=10**4)
    finally:
        cloudpickle.unregister_pickle_by_value(test_connectors_source_api)
    assert sorted(got) == sorted((f"c{i}", n) for i in range(5) for n in range(100))


def test_from_source_and_sink_to_reject_other_objects(env: Env) -> None:
    with pytest.raises(TypeError, match=r"from_source\('x'\): expected a Source.*got int"):
        env.from_source(3, None, "x")
    with pytest.raises(TypeError, match="sink_to: expected a Sink.*got str"):
        env.from_collection([1]).sink_to("nope")


# -- map_batches / filter_batches ----------------------------------------------------------------


def test_map_batches_and_filter_batches(env: Env) -> None:
    rows = Types.ROW_NAMED(["name", "qty", "price"], [Types.STRING(), Types.INT(), Types.DOUBLE()])
    data = [Row(name=f"n{i}", qty=i, price=i * 0.5) for i in range(1000)]

    def total(batch: pa.RecordBatch) -> pa.RecordBatch:
        assert batch.schema.names == ["name", "qty", "price"]
        value = pc.multiply(batch.column("qty").cast(pa.float64()), batch.column("price"))
        return pa.RecordBatch.from_arrays([pc.utf8_upper(batch.column("name")), value],
                                          names=["f0", "f1"])

    out = (env.from_collection(data, type_info=rows)
           .filter_batches(lambda b: pc.greater(b.column("qty"), 990))
           .map_batches(total, output_type=Types.TUPLE([Types.STRING(), Types.DOUBLE()]))
           .execute_and_collect(limit=100))
    assert sorted(out) == [(f"N{i}", i * i * 0.5) for i in range(991, 1000)]
    filtered = (env.from_collection(list(range(100)), type_info=Types.LONG())
                .filter_batches(lambda b: b.filter(pc.equal(pc.bit_wise_and(b.column(0), 1), 0)))
                .map_batches(lambda b: b.column(0), output_type=Types.INT())
                .execute_and_collect(limit=1000))
    assert sorted(filtered) == list(range(0, 100, 2))
    as_list = (env.from_collection(["a", "bb", "ccc"], type_info=Types.STRING())
               .filter_batches(lambda b: [len(s) != 2 for s in b.column(0).to_pylist()])
               .execute_and_collect(limit=10))
    assert sorted(as_list) == ["a", "ccc"]


def test_map_batches_errors(env: Env) -> None:
    with pytest.raises(TypeError, match="map_batches 'MapBatches' input needs a stream with a "
                                        "declared type"):
        env.from_collection([1, 2]).map_batches(lambda b: b, output_type=Types.LONG())
    (env.from_collection([1, 2], type_info=Types.LONG())
     .map_batches(lambda b: pa.RecordBatch.from_arrays([pa.array(["x", "y"])], names=["f0"]),
                  output_type=Types.LONG())
     .sink_to(DiscardingSink()))
    with pytest.raises(JobExecutionException,
                       match="MapBatches.*column 'f0' of type string does not fit the declared int64"):
        env.execute()


# -- the default local path --------------------------------------------------------------------


def test_local_env_file_round_trip(local_env: None, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("to be or not to be\n")
    env = Env.get_execution_environment()
    (env.read_text_file(str(tmp_path / "in.txt"))
     .flat_map(str.split, output_type=Types.STRING())
     .sink_to(FileSink.for_row_format(str(tmp_path / "out"), Encoder.simple_string_encoder())
              .build()))
    env.execute()
    files = _files(tmp_path / "out")
    assert len(files) == 1 and files[0].read_text().split() == "to be or not to be".split()
    assert os.path.basename(files[0]).startswith("part-")


def test_streaming_file_sink_and_the_file_source_providers(env: Env, tmp_path: Path) -> None:
    """PyFlink's legacy StreamingFileSink (add_sink) writes as FileSink does but publishes
    files only at completed checkpoints (PyFlink's test_stream_file_sink: without
    checkpointing they stay in progress); the non-splittable enumerator reads each file
    as one split."""
    from flink_py.datastream.connectors import (
        FileEnumeratorProvider,
        FileSplitAssignerProvider,
        StreamingFileSink,
    )
    from flink_py.datastream.connectors._file_source import make_splits

    src = tmp_path / "in"
    src.mkdir()
    lines = [f"line-{i:04d}" for i in range(900)]
    for f in range(3):
        (src / f"{f}.txt").write_text("\n".join(lines[f::3]) + "\n")

    def source() -> FileSource:
        return (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src))
                .set_min_split_size(64)
                .set_file_enumerator(FileEnumeratorProvider.default_non_splittable_file_enumerator())
                .set_split_assigner(FileSplitAssignerProvider.locality_aware_split_assigner())
                .build())

    files = _fs.list_files(str(src), "test")
    assert len(make_splits(files, source().split_files, 8, 64)) == 3  # one per file
    assert len(make_splits(files, True, 8, 64)) > 3  # the default enumerator cuts them

    def run(out: Path, checkpoint_ms: int | None) -> list[Path]:
        job_env = Env.get_execution_environment()
        if checkpoint_ms:
            job_env.enable_checkpointing(checkpoint_ms)
        with pytest.warns(DeprecationWarning, match="Use FileSink"):
            sink = (StreamingFileSink.for_row_format(str(out), Encoder.simple_string_encoder())
                    .with_output_file_config(OutputFileConfig.builder()
                                             .with_part_prefix("legacy").build()).build())
        job_env.from_source(source(), None, "lines").add_sink(sink)
        job_env.execute("streaming file sink")
        written = _files(out)
        assert sorted(line for p in written for line in p.read_text().splitlines()) == lines
        return written

    in_progress = run(tmp_path / "out", None)
    assert all(p.name.startswith(".legacy-") and ".inprogress." in p.name for p in in_progress)
    published = run(tmp_path / "out-chk", 100)
    assert all(p.name.startswith("legacy-") for p in published)
