"""Helpers for the DataStream API tests (tests/test_api_*.py).

* ``session_cluster``: one embedded LocalCluster (2 slots) per test module;
  ``cluster_env`` points ``get_execution_environment()`` at it. Jobs then go
  through the whole client -> JobManager -> TaskManager path without paying
  for a cluster start each.
* ``two_taskmanagers_cluster`` and ``remote_environment``: a JobManager and
  two TaskManagers as real processes, and an environment submitting to them
  (the slow tests that cross process boundaries).
* ``by_value``: test modules register themselves so their functions and
  classes travel inside the job (slot workers cannot import ``tests``).
* Sequencing: two inputs of a two-input operator are not ordered against
  each other. ``sequenced`` builds one single-element source per element,
  each released only after the previous element was processed (the function
  under test calls ``mark_done``), so a test can pin down an interleaving.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from flink_py.client.cluster_client import ClusterClient
from flink_py.client.context import ClientContext, set_context
from flink_py.client.local_cluster import LocalCluster
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.functions import SourceFunction

from tests.conftest import ProcessCluster, remote_env

__all__ = ["HoldOpen", "by_value", "cluster_env", "collect_then_cancel", "completed_checkpoints",
           "mark_done", "remote_environment", "sequenced", "session_cluster",
           "two_taskmanagers_cluster", "wait_for_markers"]


def by_value(module_name: str) -> None:
    """Pickle the functions of ``module_name`` by value (call at import)."""
    cloudpickle.register_pickle_by_value(sys.modules[module_name])
    cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def session_cluster() -> Iterator[LocalCluster]:
    """An embedded JobManager + TaskManager (2 slot workers) for a test module."""
    with LocalCluster(FlinkConfig(), slots=2) as cluster:
        yield cluster


@pytest.fixture
def cluster_env(session_cluster: LocalCluster) -> Iterator[LocalCluster]:
    """Run the jobs of a test on the module's cluster."""
    set_context(ClientContext(config=FlinkConfig(), jobmanager=session_cluster.address))
    try:
        yield session_cluster
    finally:
        set_context(None)


@contextmanager
def two_taskmanagers_cluster(tmp: Path, slots: int = 1) -> Iterator[ProcessCluster]:
    """A JobManager and TaskManagers ``tm1`` and ``tm2`` (``slots`` slots each) as
    processes logging to ``tmp``, with fast heartbeats; stopped on exit."""
    cluster = ProcessCluster(tmp, ["heartbeat.interval=200 ms", "heartbeat.timeout=5 s"])
    try:
        cluster.start_jobmanager()
        cluster.start_taskmanager("tm1", slots)
        cluster.start_taskmanager("tm2", slots)
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def remote_environment(address: str,
                       parallelism: int = 2) -> Iterator[StreamExecutionEnvironment]:
    """An environment at ``parallelism`` submitting to the JobManager at ``address``.

    ``get_execution_environment()`` keeps pointing there until the exit, which resets
    the client context.
    """
    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(parallelism)
        yield env
    finally:
        set_context(None)


def mark_done(directory: str, seq: int, subtask: int) -> None:
    """Record that ``subtask`` has processed element ``seq``."""
    Path(directory, f"done-{seq}-{subtask}").touch()


def wait_for_markers(directory: str, seq: int, count: int, timeout: float = 60.0) -> None:
    """Block until ``count`` subtasks have processed element ``seq``."""
    deadline = time.monotonic() + timeout
    prefix = f"done-{seq}-"
    while sum(1 for n in os.listdir(directory) if n.startswith(prefix)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"element {seq} was not processed by {count} subtask(s) "
                               f"within {timeout} s")
        time.sleep(0.002)


class _Gate:
    """A map that releases element ``seq`` once element ``seq - 1`` is done."""

    def __init__(self, directory: str, seq: int, need: int) -> None:
        self.directory = directory
        self.seq = seq
        self.need = need

    def __call__(self, value: Any) -> Any:
        if self.seq > 0:
            wait_for_markers(self.directory, self.seq - 1, self.need)
        return value


def sequenced(env: Any, directory: str, items: list[tuple[int, Any]],
              done_counts: list[int]) -> list[Any]:
    """One stream per input: ``items`` are ``(input, value)`` in the intended order.

    Element ``i`` is emitted as ``(i, value)`` on stream ``input`` once
    ``done_counts[i - 1]`` subtasks have called ``mark_done(directory, i - 1, ...)``.

    Returns:
        The streams, by input index, each the union of its elements' sources.
    """
    streams: dict[int, list[Any]] = {}
    for seq, (index, value) in enumerate(items):
        need = done_counts[seq - 1] if seq > 0 else 0
        ds = env.from_collection([(seq, value)]).map(_Gate(directory, seq, need))
        streams.setdefault(index, []).append(ds)
    out = []
    for index in sorted(streams):
        first, *rest = streams[index]
        out.append(first.union(*rest) if rest else first)
    return out


# -- retained checkpoints: Flink discards a FINISHED job's checkpoints, so a test that reads
# them keeps its job running (a source held open) and cancels it (RETAIN_ON_CANCELLATION) ---

class HoldOpen(SourceFunction):
    """Emits ``records``, then stays open (emitting nothing) until the job is canceled."""

    def __init__(self, records: list[Any] | None = None) -> None:
        self.records = list(records or [])
        self.running = True

    def run(self, ctx: Any) -> None:
        for r in self.records:
            ctx.collect(r)
        while self.running:
            time.sleep(0.01)

    def cancel(self) -> None:
        self.running = False


def completed_checkpoints(address: str, job_id: str) -> int:
    """Checkpoints the JobManager at ``address`` has completed for ``job_id`` so far."""
    with ClusterClient(address) as client:
        return int(client.get_job(job_id).completed_checkpoints)


def collect_then_cancel(stream: Any, count: int, checkpoints: int = 1,
                        timeout: float = 60.0) -> list[Any]:
    """The first ``count`` records of ``stream``'s (unending) job; then wait until
    ``checkpoints`` more checkpoints completed and cancel the job, keeping them.

    Raises:
        TimeoutError: the checkpoints did not complete within ``timeout`` seconds.
    """
    results = stream.execute_and_collect()
    try:
        out = [next(results) for _ in range(count)]
        def completed() -> int:
            return int(results.client.get_job(results.job_id).completed_checkpoints)

        need = completed() + checkpoints
        deadline = time.monotonic() + timeout
        while completed() < need:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{checkpoints} checkpoint(s) did not complete in {timeout} s")
            time.sleep(0.02)
        results.client.cancel(results.job_id)
        while results.client.get_job(results.job_id).info.state != "CANCELED":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the job was not canceled within {timeout} s")
            time.sleep(0.02)
        return out
    finally:
        results.close()


# -- file-to-file jobs: keyed running sums written by a two-phase-commit sink ---------------

def write_keyed_inputs(root: Path, files: int, lines: int, keys: int) -> Path:
    """``files`` input files under ``root/in`` of ``lines`` lines ``f<f>k<key>,<i>``."""
    src = root / "in"
    src.mkdir()
    for f in range(files):
        (src / f"f{f}.txt").write_text("".join(f"f{f}k{i % keys},{i}\n" for i in range(lines)))
    return src


def expected_running_sums(files: int, lines: int, keys: int) -> Counter[str]:
    """Every ``key,running sum`` line a keyed sum over :func:`write_keyed_inputs` emits once."""
    out: Counter[str] = Counter()
    for f in range(files):
        sums: dict[str, int] = {}
        for i in range(lines):
            key = f"f{f}k{i % keys}"
            sums[key] = sums.get(key, 0) + i
            out[f"{key},{sums[key]}"] += 1
    return out


def committed_lines(out: Path) -> Counter[str]:
    """The lines of the committed (not hidden in-progress) files below ``out``."""
    lines: Counter[str] = Counter()
    for dirpath, _, names in os.walk(out):
        for name in names:
            if not name.startswith("."):
                lines.update(Path(dirpath, name).read_text().splitlines())
    return lines


def checkpointed_env(tmp: Path, parallelism: int, restore: str | None = None,
                     allow_non_restored: bool = False) -> StreamExecutionEnvironment:
    """An environment checkpointing every 300 ms into ``tmp/checkpoints`` (small batches),
    restoring from ``restore`` if given (``allow_non_restored``: as ``run -n``)."""
    from flink_py.common import Configuration

    config = (Configuration()
              .set_string("execution.checkpointing.interval", "300 ms")
              .set_string("execution.checkpointing.dir", str(tmp / "checkpoints"))
              .set_string("taskmanager.network.batch.max-rows", "50"))
    if restore:
        config.set_string("execution.state-recovery.path", restore)
    if allow_non_restored:
        config.set_string("execution.state-recovery.ignore-unclaimed-state", "true")
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(parallelism)
    return env
