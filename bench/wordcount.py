"""WordCount throughput, reported as a ratio to a plain-Python loop.

1 M lines of 5 words. Each flink-py run reads line indices from a parallel
NumberSequenceSource, splits the line, maps to (word, 1), keys by word and
sums with a rolling reduce into a discarding sink. The plain loop does the
same split-and-count over the same lines in this process, in the same run.

Usage: python bench/wordcount.py [--lines N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import time

from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors import NumberSequenceSource


def make_lines(n: int, vocab: int = 1000, seed: int = 42) -> list[str]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    return [" ".join(rng.choice(words) for _ in range(5)) for _ in range(n)]


def plain_loop(lines: list[str]) -> float:
    start = time.perf_counter()
    counts: dict[str, int] = {}
    get = counts.get
    for i in range(len(lines)):
        for w in lines[i].split():
            counts[w] = get(w, 0) + 1
    return time.perf_counter() - start


def flink_run(lines: list[str], parallelism: int, slots: int, taskmanagers: int,
              config: FlinkConfig) -> float:
    with LocalCluster(config, slots=slots, taskmanagers=taskmanagers) as cluster:
        set_context(ClientContext(config=config, jobmanager=cluster.address))
        try:
            env = StreamExecutionEnvironment.get_execution_environment()
            env.set_parallelism(parallelism)
            (env.from_source(NumberSequenceSource(0, len(lines) - 1), None, "lines")
             .flat_map(lambda i: lines[i].split(), output_type=Types.STRING())
             .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
             .key_by(lambda t: t[0])
             .reduce(lambda a, b: (a[0], a[1] + b[1]))
             .add_sink(lambda value, context: None))
            start = time.perf_counter()
            env.execute("bench-wordcount")
            return time.perf_counter() - start
        finally:
            set_context(None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("-D", dest="props", action="append", default=[], metavar="KEY=VALUE",
                        help="configuration for the embedded cluster (repeatable)")
    args = parser.parse_args()
    config = FlinkConfig.from_dict(dict(kv.split("=", 1) for kv in args.props))
    lines = make_lines(args.lines)
    words = 5 * len(lines)
    runs = [("p=1, 1 TM x 1 slot", 1, 1, 1), ("p=2, 2 TMs x 1 slot", 2, 1, 2),
            ("p=2, 1 TM x 2 slots", 2, 2, 1)]
    results: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, p, slots, tms in runs:
            base = min(plain_loop(lines) for _ in range(2))
            t = flink_run(lines, p, slots, tms, config)
            ratio = base / t
            results[name] = max(results.get(name, 0.0), ratio)
            print(f"{name:22s} {words / t / 1e6:6.2f} M words/s   plain loop "
                  f"{words / base / 1e6:6.2f} M words/s   ratio {ratio:.3f}", flush=True)
    p1 = results["p=1, 1 TM x 1 slot"]
    print(f"best ratios: p1 {p1:.3f} (bar 0.25); "
          f"p2 on 2 TMs {results['p=2, 2 TMs x 1 slot'] / p1:.2f}x p1 (bar 1.6); "
          f"p2 on 1 TM {results['p=2, 1 TM x 2 slots'] / p1:.2f}x p1 (bar 1.6)")


if __name__ == "__main__":
    main()
