"""WordCount through ``map_batches`` (pyarrow.compute) vs. record-at-a-time, in one run.

Both jobs read the same text file with ``read_text_file`` on the same warm
local cluster (parallelism 1), count words with a keyed rolling sum and
write into a DiscardingSink:

* record-at-a-time: ``flat_map(str.split)`` -> ``map((w, 1))`` -> ``key_by`` -> ``reduce``;
* vectorized: ``map_batches`` splits and counts the words of a whole batch of
  lines with ``pyarrow.compute`` and emits ``(word, count)`` pairs ->
  ``key_by`` -> ``reduce``.

The report is the throughput of each (lines/s, best of ``--repeat``) and
their ratio; the bar is 5x. ``--check`` also verifies that both jobs produce
the same final counts (with a collect sink). ``--batch-rows`` sets
``taskmanager.network.batch.max-rows`` for both jobs (larger batches favour
the vectorized job: fewer per-batch (word, count) pairs reach the keyed sum).

Usage: python bench/map_batches.py [--lines N] [--repeat R] [--check] [--batch-rows N]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time

import pyarrow as pa
import pyarrow.compute as pc

from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors import DiscardingSink

PAIR = Types.TUPLE([Types.STRING(), Types.LONG()])


def write_lines(path: str, n: int, vocab: int = 1000, seed: int = 42) -> None:
    """``n`` lines of 5 words from a vocabulary of ``vocab`` words."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    with open(path, "w") as f:
        for _ in range(n):
            f.write(" ".join(rng.choice(words) for _ in range(5)) + "\n")


def count_words(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The (word, count) pairs of a batch of lines, computed with pyarrow."""
    lines = batch.column(0)
    ascii_only = pc.all(pc.string_is_ascii(lines)).as_py() is not False
    split = pc.ascii_split_whitespace if ascii_only else pc.utf8_split_whitespace
    words = pc.list_flatten(split(lines))
    counts = pc.value_counts(words)
    return pa.RecordBatch.from_arrays([counts.field("values"), counts.field("counts")],
                                      names=["f0", "f1"])


def record_job(env: StreamExecutionEnvironment, path: str) -> object:
    """WordCount one record at a time."""
    return (env.read_text_file(path)
            .flat_map(str.split, output_type=Types.STRING())
            .map(lambda w: (w, 1), output_type=PAIR)
            .key_by(lambda t: t[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1])))


def batch_job(env: StreamExecutionEnvironment, path: str) -> object:
    """WordCount with a vectorized pre-count per batch."""
    return (env.read_text_file(path)
            .map_batches(count_words, output_type=PAIR)
            .key_by(lambda t: t[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1])))


def _env(rows: int) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.configure({"taskmanager.network.batch.max-rows": str(rows)})
    return env


def timed(build: object, path: str, rows: int) -> float:
    env = _env(rows)
    build(env, path).sink_to(DiscardingSink())  # type: ignore[operator]
    start = time.perf_counter()
    env.execute("bench-map-batches")
    return time.perf_counter() - start


def final_counts(build: object, path: str) -> dict[str, int]:
    env = _env(4096)
    out: dict[str, int] = {}
    with build(env, path).execute_and_collect() as it:  # type: ignore[operator]
        for word, count in it:
            out[word] = max(out.get(word, 0), count)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--batch-rows", type=int, default=4096,
                        help="taskmanager.network.batch.max-rows of both jobs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lines.txt")
        write_lines(path, args.lines)
        config = FlinkConfig()
        with LocalCluster(config, slots=1, taskmanagers=1) as cluster:
            set_context(ClientContext(config=config, jobmanager=cluster.address))
            try:
                if args.check:
                    assert final_counts(record_job, path) == final_counts(batch_job, path)
                    print("final counts are equal", flush=True)
                rec = min(timed(record_job, path, args.batch_rows) for _ in range(args.repeat))
                vec = min(timed(batch_job, path, args.batch_rows) for _ in range(args.repeat))
            finally:
                set_context(None)
    n = args.lines
    ratio = rec / vec
    print(f"record-at-a-time  {n / rec / 1e6:6.2f} M lines/s ({rec:.2f} s)")
    print(f"map_batches       {n / vec / 1e6:6.2f} M lines/s ({vec:.2f} s)")
    print(f"ratio {ratio:.1f}x (bar 5x)")


if __name__ == "__main__":
    main()
