"""Checkpointing cost and TaskManager-loss recovery time (issue 5, Benchmark acceptance).

1. **Overhead.** WordCount with keyed state -- ``read_text_file`` over a
   generated file of 5-word lines, ``flat_map`` to words, ``(word, 1)``,
   ``key_by`` word, a running count per word in keyed state, into a
   ``DiscardingSink`` -- on a fresh embedded ``LocalCluster`` (parallelism 2,
   one TaskManager with 2 slots) with checkpoints every second (EXACTLY_ONCE,
   to a ``file://`` directory) and without. By default the count lives in a
   ``ValueState`` of a ``KeyedProcessFunction`` (``--function process``);
   ``--function reduce`` uses ``KeyedStream.reduce`` instead. Both state
   backends (``hashmap`` and ``rocksdb``) are measured; the runs are
   interleaved (off, on, off, on, ...) and repeated, and the best time of
   each configuration is kept since the machine is noisy. The ratio reported
   is ``throughput(checkpoints every 1 s) / throughput(no checkpoints)``
   (bar: >= 0.85), next to the number of periodic checkpoints the
   checkpointed run completed (``completed_checkpoints`` of ``GetJob`` while
   every task was still RUNNING, i.e. without the final checkpoints of
   finishing tasks), which must be at least 2 for the ratio to mean anything.

2. **Recovery.** A JobManager and 3 TaskManagers (1 slot each) as real
   ``flink-py`` processes with ``heartbeat.interval`` 1 s and
   ``heartbeat.timeout`` 5 s (``--heartbeat-interval`` /
   ``--heartbeat-timeout``), a throttled keyed job at parallelism 2 with
   checkpoints every 500 ms and ``fixed-delay`` restarts (Flink's default
   delay of 1 s unless ``--restart-delay``). A TaskManager holding tasks is
   killed with SIGKILL; ``GetJob`` / ``GetClusterOverview`` are polled every
   20 ms to time (a) the job leaving RUNNING, (a') the JobManager dropping
   the TaskManager, (b) all tasks RUNNING again (new attempts) and (c) the
   first checkpoint completed after the kill. Target: (b) < heartbeat
   timeout + 5 s. The processes are stopped by PID in a ``finally``.

Usage: python bench/checkpoints.py [--lines N] [--repeat R] [--backends hashmap,rocksdb]
           [--function process|reduce] [--skip-overhead] [--skip-recovery] [-D key=value ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flink_py.client.cluster_client import ClusterClient
from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common import Configuration, Types
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import (
    KeyedProcessFunction,
    MapFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.connectors import DiscardingSink
from flink_py.datastream.state import ValueStateDescriptor

REPO = Path(__file__).resolve().parent.parent
WORD_PAIR = Types.TUPLE([Types.STRING(), Types.INT()])


def write_lines(path: str, n: int, vocab: int = 1000, seed: int = 42) -> int:
    """Write ``n`` lines of 5 words from a vocabulary of ``vocab``; return the word count."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            f.write(" ".join(rng.choice(words) for _ in range(5)))
            f.write("\n")
    return 5 * n


class CountWords(KeyedProcessFunction):
    """Running count per word in a ``ValueState``; emits ``(word, count)``."""

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))

    def process_element(self, value: tuple[str, int], ctx: Any) -> Iterator[tuple[str, int]]:
        n = (self.count.value() or 0) + value[1]
        self.count.update(n)
        yield value[0], n


class Throttle(MapFunction):
    """Identity map sleeping ``delay_s`` every ``every`` records (keeps a job running)."""

    def __init__(self, delay_s: float, every: int) -> None:
        self.delay_s = delay_s
        self.every = every
        self.seen = 0

    def map(self, value: str) -> str:
        self.seen += 1
        if self.seen % self.every == 0:
            time.sleep(self.delay_s)
        return value


def job_config(backend: str, checkpoint_dir: str | None, interval: str = "1 s") -> Configuration:
    """Job options: the state backend and, with a directory, checkpoints every ``interval``."""
    config = Configuration().set_string("state.backend.type", backend)
    if checkpoint_dir is not None:
        (config.set_string("execution.checkpointing.interval", interval)
               .set_string("execution.checkpointing.mode", "EXACTLY_ONCE")
               .set_string("execution.checkpointing.dir", Path(checkpoint_dir).as_uri()))
    return config


def build_wordcount(env: StreamExecutionEnvironment, path: str, function: str) -> None:
    """The stateful WordCount pipeline into a DiscardingSink."""
    keyed = (env.read_text_file(path)
             .flat_map(lambda line: line.split(), output_type=Types.STRING())
             .map(lambda w: (w, 1), output_type=WORD_PAIR)
             .key_by(lambda t: t[0]))
    if function == "reduce":
        counts = keyed.reduce(lambda a, b: (a[0], a[1] + b[1]))
    else:
        counts = keyed.process(CountWords(), output_type=WORD_PAIR)
    counts.uid("counts").sink_to(DiscardingSink())


def overhead_run(path: str, function: str, backend: str, checkpoint_dir: str | None,
                 cluster_config: FlinkConfig) -> tuple[float, int, int]:
    """Seconds from submission to FINISHED on a fresh cluster; checkpoints completed while
    every task was still RUNNING (periodic ones, observed by polling ``GetJob`` every
    250 ms), and in all (with the final checkpoints of finishing tasks, FLIP-147)."""
    with LocalCluster(cluster_config, slots=2, taskmanagers=1) as cluster:
        set_context(ClientContext(config=cluster_config, jobmanager=cluster.address))
        try:
            env = StreamExecutionEnvironment.get_execution_environment(
                job_config(backend, checkpoint_dir))
            env.set_parallelism(2)
            build_wordcount(env, path, function)
            with ClusterClient(cluster.address) as client:
                start = time.perf_counter()
                job_id = env.execute_async("bench-checkpoints").get_job_id()
                periodic = 0
                while True:  # a long poll of at most 250 ms: returns at once when finished
                    try:
                        details = client.wait(job_id, timeout=0.25)
                        break
                    except TimeoutError:
                        running = client.get_job(job_id)
                    if all(t.state == "RUNNING" for t in running.tasks):
                        periodic = running.completed_checkpoints
                elapsed = time.perf_counter() - start
            return elapsed, periodic, details.completed_checkpoints
        finally:
            set_context(None)


def measure_overhead(args: argparse.Namespace, cluster_config: FlinkConfig) -> list[str]:
    """Interleaved runs with and without checkpoints; one summary line per backend."""
    best: dict[tuple[str, bool], tuple[float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="flink-py-bench-cp-") as tmp:
        path = os.path.join(tmp, "lines.txt")
        words = write_lines(path, args.lines)
        print(f"input: {args.lines} lines, {words} words; function={args.function}, "
              f"parallelism 2 on 1 TM x 2 slots", flush=True)
        for r in range(args.repeat):
            for backend in args.backends:
                for checkpointed in (False, True):
                    cp_dir = os.path.join(tmp, f"chk-{backend}-{r}") if checkpointed else None
                    t, completed, total = overhead_run(path, args.function, backend, cp_dir,
                                                       cluster_config)
                    label = "checkpoints 1 s" if checkpointed else "no checkpoints "
                    print(f"  run {r + 1} {backend:8s} {label} {t:7.2f} s "
                          f"{words / t / 1e6:6.3f} M words/s  checkpoints completed while "
                          f"running {completed} (in all {total})", flush=True)
                    key = (backend, checkpointed)
                    if key not in best or t < best[key][0]:
                        best[key] = (t, completed)
    lines = []
    for backend in args.backends:
        (t_off, _), (t_on, completed) = best[(backend, False)], best[(backend, True)]
        ratio = t_off / t_on
        verdict = "ok" if ratio >= 0.85 and completed >= 2 else "BELOW BAR"
        lines.append(f"{backend:8s} best no-checkpoint {words / t_off / 1e6:.3f} M words/s, "
                     f"checkpoint-every-1s {words / t_on / 1e6:.3f} M words/s: "
                     f"ratio {ratio:.3f} (bar 0.85), {completed} periodic checkpoints completed "
                     f"(>= 2 needed) -> {verdict}")
    return lines


class Processes:
    """JobManager and TaskManagers as ``flink-py`` processes, stopped by PID."""

    def __init__(self, tmp: Path, dynamic: list[str]) -> None:
        self.tmp = tmp
        self.dynamic = dynamic
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.address = ""

    def _spawn(self, name: str, args: list[str]) -> str:
        ready = self.tmp / f"{name}.ready"
        for d in self.dynamic:
            args += ["-D", d]
        with open(self.tmp / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "flink_py.client.cli", *args,
                                     "--ready-file", str(ready)],
                                    stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        self.procs[name] = proc
        deadline = time.monotonic() + 60
        while not ready.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready within 60 s:\n{self.log(name)}")
            time.sleep(0.05)
        return ready.read_text()

    def start_jobmanager(self) -> str:
        self.address = self._spawn("jobmanager", ["jobmanager", "--port", "0"])
        return self.address

    def start_taskmanager(self, name: str, slots: int = 1) -> str:
        return self._spawn(name, ["taskmanager", "--jobmanager", self.address,
                                  "--slots", str(slots)])

    def kill(self, name: str) -> None:
        """SIGKILL one process (its slot workers notice their parent is gone)."""
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM every process (TaskManagers first), SIGKILL after 10 s."""
        procs = sorted(self.procs.items(), key=lambda kv: kv[0] == "jobmanager")
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def poll(predicate: Callable[[], Any], timeout: float, what: str,
         interval: float = 0.02) -> tuple[Any, float]:
    """Poll until truthy; return the value and the monotonic time it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        now = time.monotonic()
        if value:
            return value, now
        if now > deadline:
            raise RuntimeError(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(interval)


def measure_recovery(args: argparse.Namespace) -> list[str]:
    """Kill a TaskManager holding tasks of a running checkpointed job; time the recovery."""
    hb_interval, hb_timeout = args.heartbeat_interval, args.heartbeat_timeout
    dynamic = [f"heartbeat.interval={hb_interval} s", f"heartbeat.timeout={hb_timeout} s"]
    with tempfile.TemporaryDirectory(prefix="flink-py-bench-rec-") as tmp_s:
        tmp = Path(tmp_s)
        cluster = Processes(tmp, dynamic)
        client: ClusterClient | None = None
        job_id = ""
        try:
            cluster.start_jobmanager()
            names = [f"tm{i}" for i in range(3)]
            tm_ids = {cluster.start_taskmanager(name): name for name in names}
            client = ClusterClient(cluster.address)
            path = str(tmp / "lines.txt")
            write_lines(path, 400_000)
            config = (job_config("hashmap", str(tmp / "checkpoints"), interval="500 ms")
                      .set_string("restart-strategy.type", "fixed-delay")
                      .set_string("restart-strategy.fixed-delay.attempts", "10")
                      .set_string("restart-strategy.fixed-delay.delay", args.restart_delay))
            set_context(ClientContext(config=FlinkConfig(), jobmanager=cluster.address))
            env = StreamExecutionEnvironment.get_execution_environment(config)
            env.set_parallelism(2)
            (env.read_text_file(path)
             .map(Throttle(0.01, 20), output_type=Types.STRING())  # ~2000 lines/s per subtask
             .flat_map(lambda line: line.split(), output_type=Types.STRING())
             .map(lambda w: (w, 1), output_type=WORD_PAIR)
             .key_by(lambda t: t[0])
             .process(CountWords(), output_type=WORD_PAIR).uid("counts")
             .sink_to(DiscardingSink()))
            job_id = env.execute_async("bench-recovery").get_job_id()

            def running_with_checkpoint() -> Any:
                d = client.get_job(job_id)
                if d.info.state in ("FAILED", "CANCELED", "FINISHED"):
                    raise RuntimeError(f"job ended {d.info.state}: {d.failure_cause}")
                ok = (d.info.state == "RUNNING" and d.completed_checkpoints >= 2 and
                      all(t.state == "RUNNING" for t in d.tasks))
                return d if ok else None

            details, _ = poll(running_with_checkpoint, 60, "job running with 2 checkpoints")
            victim_id = next(t.tm_id for t in details.tasks if t.state == "RUNNING")
            checkpoints_before = details.completed_checkpoints
            attempts_before = max(t.attempt for t in details.tasks)
            cluster.kill(tm_ids[victim_id])
            killed = time.monotonic()

            _, left_running = poll(lambda: client.get_job(job_id).info.state != "RUNNING",
                                   60, "job leaves RUNNING")

            def all_running_again() -> Any:
                d = client.get_job(job_id)
                if d.info.state in ("FAILED", "CANCELED", "FINISHED"):
                    raise RuntimeError(f"job ended {d.info.state}: {d.failure_cause}")
                ok = (d.info.state == "RUNNING" and d.num_restarts >= 1 and d.tasks and
                      all(t.state == "RUNNING" and t.attempt > attempts_before
                          for t in d.tasks))
                return d if ok else None

            tm_lost: float | None = None
            again: float | None = None
            recovered: Any = None
            deadline = killed + 120
            while again is None or tm_lost is None:
                now = time.monotonic()
                if now > deadline:
                    raise RuntimeError("recovery not observed within 120 s")
                if tm_lost is None and victim_id not in {
                        t.tm_id for t in client.overview().taskmanagers}:
                    tm_lost = time.monotonic()
                if again is None:
                    recovered = all_running_again()
                    if recovered:
                        again = time.monotonic()
                time.sleep(0.02)
            _, checkpointed = poll(
                lambda: client.get_job(job_id).completed_checkpoints > checkpoints_before,
                60, "a checkpoint after recovery")
        finally:
            set_context(None)
            if client is not None:
                if job_id:
                    with contextlib.suppress(Exception):  # best effort: the processes stop next
                        client.cancel(job_id)
                client.close()
            cluster.stop()
    victim_hosts = {t.tm_id for t in recovered.tasks}
    budget = hb_timeout + 5
    b = again - killed
    return [
        (f"configuration: JobManager + 3 TaskManagers x 1 slot (processes), parallelism 2, "
         f"heartbeat.interval {hb_interval} s, heartbeat.timeout {hb_timeout} s, "
         f"checkpoints every 500 ms (hashmap), fixed-delay restart delay {args.restart_delay}"),
        f"(a)  job left RUNNING        {left_running - killed:6.3f} s after SIGKILL",
        f"(a') TaskManager dropped     {tm_lost - killed:6.3f} s after SIGKILL",
        (f"(b)  all tasks RUNNING again {b:6.3f} s after SIGKILL "
         f"(restarts {recovered.num_restarts}, victim "
         f"{'still' if victim_id in victim_hosts else 'not'} hosting tasks) -> target < "
         f"heartbeat.timeout + 5 s = {budget:.1f} s: {'ok' if b < budget else 'MISSED'}"),
        f"(c)  next checkpoint done    {checkpointed - killed:6.3f} s after SIGKILL",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="hashmap,rocksdb")
    parser.add_argument("--function", choices=["process", "reduce"], default="process")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-recovery", action="store_true")
    parser.add_argument("--heartbeat-interval", type=float, default=1.0, metavar="S")
    parser.add_argument("--heartbeat-timeout", type=float, default=5.0, metavar="S")
    parser.add_argument("--restart-delay", default="1 s")
    parser.add_argument("-D", dest="props", action="append", default=[], metavar="KEY=VALUE",
                        help="configuration for the embedded cluster (repeatable)")
    args = parser.parse_args()
    args.backends = [b for b in args.backends.split(",") if b]
    summary: list[str] = []
    if not args.skip_overhead:
        config = FlinkConfig.from_dict(dict(kv.split("=", 1) for kv in args.props))
        summary += measure_overhead(args, config)
    if not args.skip_recovery:
        summary += measure_recovery(args)
    print("\n".join(["== summary", *summary]), flush=True)


if __name__ == "__main__":
    main()
