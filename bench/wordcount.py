"""WordCount throughput, reported as a ratio to a plain-Python loop.

The input is a text file of 1 M lines of 5 words (written once per run to a
temporary directory). Each flink-py run reads it with ``read_text_file``
(byte-range splits, one per source subtask), splits lines into words, maps
each word to ``(word, 1)``, keys by word and keeps a rolling count with
``reduce`` -- PyFlink's own WordCount example -- into a ``DiscardingSink``.
The plain loop reads the same file in this process, in the same run, and
counts the words into a dict.

Usage: python bench/wordcount.py [--lines N] [--repeat R] [-D key=value ...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors import DiscardingSink


def write_lines(path: str, n: int, vocab: int = 1000, seed: int = 42) -> int:
    """Write ``n`` lines of 5 words; return the number of words."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            f.write(" ".join(rng.choice(words) for _ in range(5)))
            f.write("\n")
    return 5 * n


def plain_loop(path: str) -> float:
    """Seconds a plain dict-counting loop takes over the file."""
    start = time.perf_counter()
    counts: dict[str, int] = {}
    get = counts.get
    with open(path, encoding="utf-8") as f:
        for line in f:
            for w in line.split():
                counts[w] = get(w, 0) + 1
    return time.perf_counter() - start


def same_functions_loop(path: str, batch: int = 4096) -> float:
    """Seconds the job's own functions take, batch by batch, without any runtime.

    The ceiling for flink-py at parallelism 1: the same split, map, key and
    reduce calls per record that the job makes, in one thread.
    """
    split = lambda line: line.split()
    pair = lambda w: (w, 1)
    key = lambda t: t[0]
    add = lambda a, b: (a[0], a[1] + b[1])
    start = time.perf_counter()
    state: dict[str, tuple[str, int]] = {}
    get = state.get
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for i in range(0, len(lines), batch):
        words: list[str] = []
        for line in lines[i:i + batch]:
            words.extend(split(line))
        out = []
        for v in [pair(w) for w in words]:
            k = key(v)
            cur = get(k)
            cur = v if cur is None else add(cur, v)
            state[k] = cur
            out.append(cur)
    return time.perf_counter() - start


def flink_run(path: str, parallelism: int, slots: int, taskmanagers: int,
              config: FlinkConfig, shuffle: bool = True) -> float:
    """Seconds from ``execute()`` to the finished job on a fresh embedded cluster.

    With ``shuffle=False`` the job stops before ``key_by``: the split/pair chain
    plus a filter, no exchange between subtasks -- what slots give without the
    cost of shipping half the records to the other process.
    """
    with LocalCluster(config, slots=slots, taskmanagers=taskmanagers) as cluster:
        set_context(ClientContext(config=config, jobmanager=cluster.address))
        try:
            env = StreamExecutionEnvironment.get_execution_environment()
            env.set_parallelism(parallelism)
            pairs = (env.read_text_file(path)
                     .flat_map(lambda line: line.split(), output_type=Types.STRING())
                     .map(lambda w: (w, 1),
                          output_type=Types.TUPLE([Types.STRING(), Types.INT()])))
            if shuffle:
                pairs.key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])) \
                    .sink_to(DiscardingSink())
            else:
                pairs.filter(lambda t: t[1] > 0).sink_to(DiscardingSink())
            start = time.perf_counter()
            env.execute("bench-wordcount")
            return time.perf_counter() - start
        finally:
            set_context(None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-D", dest="props", action="append", default=[], metavar="KEY=VALUE",
                        help="configuration for the embedded cluster (repeatable)")
    args = parser.parse_args()
    config = FlinkConfig.from_dict(dict(kv.split("=", 1) for kv in args.props))
    runs = [("p=1, 1 TM x 1 slot", 1, 1, 1), ("p=2, 2 TMs x 1 slot", 2, 1, 2),
            ("p=2, 1 TM x 2 slots", 2, 2, 1)]
    ratios: dict[str, list[float]] = {name: [] for name, *_ in runs}
    with tempfile.TemporaryDirectory(prefix="flink-py-bench-") as tmp:
        path = os.path.join(tmp, "lines.txt")
        words = write_lines(path, args.lines)
        ceiling = min(plain_loop(path) for _ in range(2)) / min(
            same_functions_loop(path) for _ in range(2))
        print(f"the job's functions alone (no runtime, one thread): ratio {ceiling:.3f} "
              "to the plain loop -- the ceiling at parallelism 1", flush=True)
        for _ in range(args.repeat):
            for name, p, slots, tms in runs:
                # The plain loop right before and after the job: this VM's speed drifts
                # within seconds, so each run is compared with the loop around it.
                before = plain_loop(path)
                t = flink_run(path, p, slots, tms, config)
                after = plain_loop(path)
                ratio = (before + after) / 2 / t
                ratios[name].append(ratio)
                print(f"{name:22s} {words / t / 1e6:6.2f} M words/s   plain loop "
                      f"{2 * words / (before + after) / 1e6:6.2f} M words/s   ratio {ratio:.3f}",
                      flush=True)
    p1_runs = ratios["p=1, 1 TM x 1 slot"]

    def scaling(name: str) -> float:
        # p=2 against the p=1 run of the same round (seconds apart: the same machine speed)
        return statistics.median(r / p1 for r, p1 in zip(ratios[name], p1_runs))

    print(f"medians over {args.repeat} rounds: p1 ratio {statistics.median(p1_runs):.3f} "
          f"(bar 0.25); p2 on 2 TMs {scaling('p=2, 2 TMs x 1 slot'):.2f}x p1 (bar 1.6); "
          f"p2 on 1 TM {scaling('p=2, 1 TM x 2 slots'):.2f}x p1 (bar 1.6)", flush=True)
    # The same chain without key_by: what two slots give when no record crosses processes.
    chain: dict[str, list[float]] = {name: [] for name, *_ in runs}
    with tempfile.TemporaryDirectory(prefix="flink-py-bench-") as tmp:
        path = os.path.join(tmp, "lines.txt")
        words = write_lines(path, args.lines)
        for _ in range(args.repeat):
            for name, p, slots, tms in runs:
                chain[name].append(words / flink_run(path, p, slots, tms, config, shuffle=False))
    p1_chain = chain["p=1, 1 TM x 1 slot"]
    print("without the shuffle (split, pair, filter; no key_by): "
          f"p1 {statistics.median(p1_chain) / 1e6:.2f} M words/s; "
          + "; ".join(f"{name} {statistics.median(r / b for r, b in zip(chain[name], p1_chain)):.2f}x"
                      for name, *_ in runs[1:]))


if __name__ == "__main__":
    main()
