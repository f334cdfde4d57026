"""Connectors on a real cluster: a JobManager and two TaskManagers (one slot each) as processes.

With parallelism 2 every job spreads over both TaskManagers, so keyed and
rebalanced edges cross processes as Arrow batches, and each TaskManager's
slot worker reads its own file splits and writes its own part files.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from flink_py.common import Encoder, Types
from flink_py.datastream import MapFunction, RuntimeContext
from flink_py.datastream import StreamExecutionEnvironment as Env
from flink_py.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    StreamFormat,
)
from flink_py.datastream.formats.csv import CsvReaderFormat, CsvSchema
from flink_py.datastream.formats.parquet import ParquetBulkWriters, ParquetColumnarRowInputFormat
from tests.api_support import remote_environment, two_taskmanagers_cluster
from tests.conftest import REPO, ProcessCluster, wait_until
from tests.test_connectors_examples import at1_files, check_at1_parallel

pytestmark = pytest.mark.slow

PAIR = Types.TUPLE([Types.STRING(), Types.LONG()])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    with two_taskmanagers_cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


@pytest.fixture
def env(cluster: ProcessCluster) -> Iterator[Env]:
    with remote_environment(cluster.address) as e:
        yield e


class _Tag(MapFunction):
    def open(self, runtime_context: RuntimeContext) -> None:
        self.index = runtime_context.get_index_of_this_subtask()

    def map(self, value: Any) -> Any:
        return self.index, value


def _tms_used(cluster: ProcessCluster) -> int:
    client = cluster.client
    assert client is not None
    job = max(client.list_jobs(), key=lambda j: j.start_time_ms)
    return len({t.tm_id for t in client.get_job(job.job_id).tasks})


def test_parallel_text_file_reading_across_taskmanagers(env: Env, cluster: ProcessCluster,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    lines = [f"{i:07d} " + "y" * (i % 40) for i in range(250_000)]  # ~10 MB: two byte ranges
    path.write_text("\n".join(lines) + "\n")
    got = env.read_text_file(str(path)).map(_Tag()).execute_and_collect(limit=10**6)
    assert sorted(v for _, v in got) == lines
    assert set(collections.Counter(i for i, _ in got)) == {0, 1}
    assert _tms_used(cluster) == 2


def test_file_word_count_with_file_sink_on_two_taskmanagers(env: Env, tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    words = [f"k{i % 53}" for i in range(20_000)]
    for f in range(4):
        chunk = words[f::4]
        (src / f"{f}.txt").write_text(
            "\n".join(" ".join(chunk[i:i + 7]) for i in range(0, len(chunk), 7)) + "\n")
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src)).build()
    (env.from_source(source, None, "words")
     .flat_map(str.split, output_type=Types.STRING())
     .map(lambda w: (w, 1), output_type=PAIR)
     .key_by(lambda t: t[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder())
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()))
    env.execute("cluster file word count")
    parts = sorted(out.iterdir())
    # one part per subtask (a bucket uuid each), named as Flink's FileSink names them
    assert len({re.fullmatch(r"part-([0-9a-f-]{36})-0", p.name)[1] for p in parts}) == 2  # type: ignore[index]
    final: dict[str, int] = {}
    for p in parts:
        for line in p.read_text().splitlines():
            w, c = line.strip("()").split(",")
            final[w] = max(final.get(w, 0), int(c))
    assert final == dict(collections.Counter(words))


def test_csv_rebalanced_to_parquet_and_read_back(env: Env, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("".join(f"{i};n{i};{i % 3 == 0}\n" for i in range(3000)))
    schema = (CsvSchema.builder().add_number_column("id").add_string_column("name")
              .add_boolean_column("flag").set_column_separator(";").build())
    row_type = schema.get_type_info()
    out = tmp_path / "pq"
    (env.from_source(FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema),
                                                         str(csv)), None, "csv")
     .rebalance()
     .map(lambda r: r, output_type=row_type)
     .sink_to(FileSink.for_bulk_format(str(out), ParquetBulkWriters.for_row_type(row_type))
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()))
    env.execute("csv to parquet")
    assert len(list(out.iterdir())) == 2
    back = (env.from_source(FileSource.for_bulk_file_format(
        ParquetColumnarRowInputFormat(row_type), str(out)), None, "parquet")
        .rebalance().execute_and_collect(limit=10**5))
    assert sorted((r.id, r.name, r.flag) for r in back) == [
        (i, f"n{i}", i % 3 == 0) for i in range(3000)]


def _count(batch: pa.RecordBatch) -> pa.RecordBatch:
    counts = pc.value_counts(pc.list_flatten(pc.utf8_split_whitespace(batch.column(0))))
    return pa.RecordBatch.from_arrays([counts.field("values"), counts.field("counts")],
                                      names=["f0", "f1"])


def test_map_batches_word_count_across_taskmanagers(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    lines = [" ".join(f"v{(i * 7 + j) % 101}" for j in range(6)) for i in range(30_000)]
    path.write_text("\n".join(lines) + "\n")
    final: dict[str, int] = {}
    stream = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(path))
              .set_min_split_size(64 << 10).build())
    with (env.from_source(stream, None, "text")
          .map_batches(_count, output_type=PAIR)
          .filter_batches(lambda b: pc.not_equal(b.column("f0"), "v0"))
          .key_by(lambda t: t[0])
          .reduce(lambda a, b: (a[0], a[1] + b[1]))
          .execute_and_collect()) as it:
        for word, count in it:
            final[word] = max(final.get(word, 0), count)
    expected = collections.Counter(w for line in lines for w in line.split())
    del expected["v0"]
    assert final == dict(expected)


def test_at1_print_with_subtask_prefixes_on_the_cluster(cluster: ProcessCluster,
                                                         tmp_path: Path) -> None:
    job, data = at1_files(tmp_path)
    res = subprocess.run([sys.executable, "-m", "flink_py.client.cli", "run", "-m",
                          cluster.address, "-p", "2", str(job), str(data)], cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr

    def printed() -> list[str]:
        logs = "".join(p.read_text(errors="replace") for p in cluster.tmp.glob("tm*.log"))
        return [ln for ln in logs.splitlines() if re.fullmatch(r"\d> \(\w+,\d+\)", ln)]

    wait_until(lambda: len(printed()) >= 5, timeout=20, describe=lambda: str(printed()))
    check_at1_parallel(printed())


def test_at3_batch_word_count_on_the_cluster(cluster: ProcessCluster, tmp_path: Path) -> None:
    from tests.test_connectors_examples import at3_output

    lines = at3_output(2, tmp_path, jobmanager=cluster.address)
    assert sorted(lines) == ["(flink,1)", "(hello,3)", "(world,1)"]
