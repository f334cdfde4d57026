"""Every job in examples/ runs with ``flink-py run`` and does what its docstring says.

Also the spec's AT-1 (streaming WordCount over ``readTextFile`` with
``print()``) as a PyFlink-style job file, at parallelism 1 (exact output
order) and 2 (``N> `` prefixes, per-key order).
"""

from __future__ import annotations

import collections
import re
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

EXAMPLES = REPO / "examples"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([sys.executable, "-m", "flink_py.client.cli", "run", *args], cwd=REPO,
                         capture_output=True, text=True, timeout=180, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_there_are_at_least_five_examples_and_each_is_tested() -> None:
    names = sorted(p.stem for p in EXAMPLES.glob("*.py"))
    assert len(names) >= 5
    tested = "".join(p.read_text() for p in (REPO / "tests").glob("test_*.py"))
    assert all(f"{n}.py" in tested for n in names), names


def test_file_word_count_example(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Hello World\nhello Flink, hello!\n")
    (tmp_path / "in" / "b.txt").write_text("world peace\n")
    _run(str(EXAMPLES / "file_word_count.py"), "--input", str(tmp_path / "in"),
         "--output", str(tmp_path / "out"))
    parts = sorted((tmp_path / "out").iterdir())
    assert parts and all(re.fullmatch(r"wc-[0-9a-f-]{36}-\d+\.txt", p.name) for p in parts)
    final: dict[str, int] = {}
    for line in "".join(p.read_text() for p in parts).splitlines():
        word, count = line.strip("()").split(",")
        final[word] = max(final.get(word, 0), int(count))
    assert final == {"hello": 3, "world": 2, "flink": 1, "peace": 1}


def test_csv_to_parquet_example(tmp_path: Path) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_text("region,product,amount\nnorth,a,5\nnorth,b,12\nsouth,c,30\nnorth,d,10\n")
    res = _run(str(EXAMPLES / "csv_to_parquet.py"), "--input", str(csv),
               "--output", str(tmp_path / "pq"))
    assert "north: 22" in res.stdout and "south: 30" in res.stdout
    table = pq.read_table(next((tmp_path / "pq").iterdir()))
    assert table.column_names == ["region", "product", "amount"] and table.num_rows == 3


def test_map_batches_word_count_example(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("The cat and the dog\nA cat\n")
    res = _run(str(EXAMPLES / "map_batches_word_count.py"), "--input", str(text))
    lines = res.stdout.splitlines()
    assert "cat: 2" in lines and "dog: 1" in lines
    assert not any(line.startswith(("the:", "a:", "and:")) for line in lines)


def test_socket_word_count_example() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"to be or\nnot to be\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        res = _run(str(EXAMPLES / "socket_word_count.py"), "--host", "127.0.0.1",
                   "--port", str(server.getsockname()[1]))
    finally:
        server.close()
    out = [ln for ln in res.stdout.splitlines() if ln.startswith("(")]
    assert out == ["(to,1)", "(be,1)", "(or,1)", "(not,1)", "(to,2)", "(be,2)"]


AT1_JOB = textwrap.dedent("""
    import re
    import sys

    from flink_py.common import Types
    from flink_py.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    (env.read_text_file(sys.argv[1])
     .flat_map(lambda line: [w for w in re.split(r"\\W+", line.lower()) if w],
               output_type=Types.STRING())
     .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
     .key_by(lambda t: t[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .print())
    env.execute("Streaming WordCount")
""")


def at1_files(tmp_path: Path) -> tuple[Path, Path]:
    job = tmp_path / "at1.py"
    job.write_text(AT1_JOB)
    data = tmp_path / "input.txt"
    data.write_text("Hello World\nhello Flink, hello!\n")
    return job, data


def check_at1_parallel(lines: list[str]) -> None:
    """AT-1 at parallelism 2: ``N> `` prefixes and per-key order only."""
    by_key: dict[str, list[int]] = collections.defaultdict(list)
    for line in lines:
        m = re.fullmatch(r"([12])> \((\w+),(\d+)\)", line)
        assert m, line
        by_key[m[2]].append(int(m[3]))
    assert dict(by_key) == {"hello": [1, 2, 3], "world": [1], "flink": [1]}


def test_at1_streaming_word_count_parallelism_1(tmp_path: Path) -> None:
    job, data = at1_files(tmp_path)
    res = _run("-p", "1", str(job), str(data))
    out = [ln for ln in res.stdout.splitlines() if ln.startswith("(")]
    assert out == ["(hello,1)", "(world,1)", "(hello,2)", "(flink,1)", "(hello,3)"]


def test_at1_streaming_word_count_parallelism_2(tmp_path: Path) -> None:
    job, data = at1_files(tmp_path)
    res = _run("-p", "2", str(job), str(data))
    check_at1_parallel([ln for ln in res.stdout.splitlines() if re.match(r"\d> ", ln)])


AT3_JOB = textwrap.dedent("""
    import re
    import sys

    from flink_py.common import Encoder, Types
    from flink_py.datastream import RuntimeExecutionMode, StreamExecutionEnvironment
    from flink_py.datastream.connectors.file_system import BucketAssigner, FileSink

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    (env.read_text_file(sys.argv[1])
     .flat_map(lambda line: [w for w in re.split(r"\\W+", line.lower()) if w],
               output_type=Types.STRING())
     .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
     .key_by(lambda t: t[0])
     .sum(1)
     .sink_to(FileSink.for_row_format(sys.argv[2], Encoder.simple_string_encoder())
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
              .build()))
    env.execute("Batch WordCount")
""")


def at3_output(parallelism: int, tmp_path: Path, jobmanager: str | None = None) -> list[str]:
    """AT-3 (the DataSet WordCount, as a BATCH-mode job): the lines written."""
    job, data = at1_files(tmp_path)
    job.write_text(AT3_JOB)
    out = tmp_path / "output"
    args = ["-m", jobmanager] if jobmanager else []
    _run(*args, "-p", str(parallelism), str(job), str(data), str(out))
    parts = sorted(out.iterdir())
    assert parts and not [p for p in parts if p.name.startswith(".")]
    return [line for p in parts for line in p.read_text().splitlines()]


@pytest.mark.parametrize("parallelism", [1, 2])
def test_at3_batch_word_count_writes_only_final_counts(parallelism: int, tmp_path: Path) -> None:
    assert sorted(at3_output(parallelism, tmp_path)) == ["(flink,1)", "(hello,3)", "(world,1)"]


def test_map_batches_benchmark_runs_and_checks_equal_results() -> None:
    res = subprocess.run([sys.executable, "bench/map_batches.py", "--lines", "20000",
                          "--repeat", "1", "--check"], cwd=REPO, capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    assert "final counts are equal" in res.stdout
    assert re.search(r"^ratio \d+\.\dx \(bar 5x\)$", res.stdout, re.M)
