"""Shared fixtures: deadline polling and real-process clusters on port 0.

Every process a fixture starts is recorded by PID and stopped in teardown
(SIGTERM, then SIGKILL after a grace period), even when the test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_py.client.cluster_client import ClusterClient

REPO = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05,
               describe: Callable[[], str] | None = None) -> Any:
    """Poll ``predicate`` until truthy; fail with the last observed state."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            state = describe() if describe else repr(value)
            pytest.fail(f"condition not met within {timeout} s; last state: {state}")
        time.sleep(interval)


def child_pids(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc; zombies excluded)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after ')'.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            children.append(int(entry.name))
    return sorted(children)


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


class ProcessCluster:
    """A JobManager and TaskManagers as real ``flink-py`` processes."""

    def __init__(self, tmp: Path, extra: list[str] | None = None) -> None:
        self.tmp = tmp
        self.extra = extra or []
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.address = ""
        self._logs: list[Path] = []
        self.client: ClusterClient | None = None

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        self._logs.append(log)
        out = open(log, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "flink_py.client.cli", *args],
                                stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        out.close()
        self.procs[name] = proc
        return proc

    def _await_file(self, path: Path, proc: subprocess.Popen[bytes], what: str) -> str:
        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with {proc.returncode}:\n{self.logs()}")
            return path.exists()

        wait_until(ready, timeout=60, describe=self.logs)
        return path.read_text()

    def start_jobmanager(self, *dynamic: str) -> str:
        ready = self.tmp / "jm.ready"
        args = ["jobmanager", "--port", "0", "--ready-file", str(ready)]
        for d in (*self.extra, *dynamic):
            args += ["-D", d]
        proc = self._spawn("jobmanager", args)
        self.address = self._await_file(ready, proc, "JobManager")
        self.client = ClusterClient(self.address)
        return self.address

    def restart_jobmanager(self, *dynamic: str) -> str:
        """Start a new JobManager on the port of the (dead) previous one.

        The previous JobManager's log is kept as ``jobmanager-<n>.log``.
        """
        old = self.procs.get("jobmanager")
        if old is None or old.poll() is None:
            raise RuntimeError("restart_jobmanager needs the previous JobManager to be dead")
        port = self.address.rsplit(":", 1)[1]
        old_log = self.tmp / "jobmanager.log"
        if old_log.exists():
            kept = self.tmp / f"jobmanager-{sum(p.name.startswith('jobmanager-') for p in self._logs) + 1}.log"
            old_log.rename(kept)
            self._logs.append(kept)
        ready = self.tmp / "jm.ready"
        ready.unlink(missing_ok=True)
        args = ["jobmanager", "--port", port, "--ready-file", str(ready)]
        for d in (*self.extra, *dynamic):
            args += ["-D", d]
        if self._logs.count(old_log):
            self._logs.remove(old_log)
        proc = self._spawn("jobmanager", args)
        self.address = self._await_file(ready, proc, "JobManager")
        if self.client is not None:
            self.client.close()
        self.client = ClusterClient(self.address)
        return self.address

    def start_taskmanager(self, name: str, slots: int = 1, *dynamic: str) -> str:
        ready = self.tmp / f"{name}.ready"
        args = ["taskmanager", "--jobmanager", self.address, "--slots", str(slots),
                "--ready-file", str(ready)]
        for d in (*self.extra, *dynamic):
            args += ["-D", d]
        proc = self._spawn(name, args)
        return self._await_file(ready, proc, f"TaskManager {name}")

    def slot_worker_pids(self, name: str) -> list[int]:
        """PIDs of the slot-worker processes of TaskManager ``name``."""
        return child_pids(self.procs[name].pid)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self._logs if p.exists())

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        # TaskManagers first, then the JobManager.
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


@pytest.fixture
def process_cluster(tmp_path: Path) -> Iterator[ProcessCluster]:
    """A cluster of real processes; start the parts you need inside the test."""
    cluster = ProcessCluster(tmp_path, ["heartbeat.interval=200 ms", "heartbeat.timeout=2 s"])
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def local_env() -> Iterator[None]:
    """Run jobs built in the test on the embedded local cluster."""
    from flink_py.client.context import ClientContext, set_context
    from flink_py.common.runtime.config import FlinkConfig

    set_context(ClientContext(config=FlinkConfig()))
    try:
        yield
    finally:
        set_context(None)


def remote_env(address: str, parallelism: int | None = None) -> None:
    """Point ``get_execution_environment()`` at a running JobManager."""
    from flink_py.client.context import ClientContext, set_context
    from flink_py.common.runtime.config import FlinkConfig

    set_context(ClientContext(config=FlinkConfig(), jobmanager=address, parallelism=parallelism))
