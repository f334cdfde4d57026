"""``flink-py checkpoint`` (Flink's manual checkpoint) on a real cluster.

A manual checkpoint is a regular checkpoint: it gets the next checkpoint id, lands in
``<dir>/<job-id>/chk-<n>/_metadata``, is retained like a periodic one and restores
with ``run -s``. It works with periodic checkpointing off (given a checkpoint
directory). ``--full`` writes a checkpoint that references no file of an earlier one,
even with incremental RocksDB snapshots.

The restore jobs are keyed running sums over replayable files into an exactly-once
FileSink that rolls its part files at every checkpoint: the committed output of the
checkpointed run and of the restored run together equal a failure-free run exactly.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flink_py.client import cli as cli_mod
from flink_py.common.runtime.checkpoint_storage import read_snapshot
from flink_py.jobmanager.checkpoint_coordinator import (
    CheckpointConfigValues,
    CheckpointCoordinator,
    FailJobForCheckpoints,
    FinalizeCheckpoint,
    TriggerCheckpoint,
)

from tests.api_support import committed_lines, expected_running_sums, write_keyed_inputs
from tests.conftest import REPO, ProcessCluster, wait_until

FILES, LINES, KEYS = 3, 1000, 4
DASHES = "-" * 60

SUMS_JOB = """
    import sys
    import time

    from flink_py.common import Encoder, Types
    from flink_py.datastream import MapFunction, StreamExecutionEnvironment
    from flink_py.datastream.connectors.file_system import (
        FileSink, FileSource, RollingPolicy, StreamFormat)


    class Parse(MapFunction):
        def __init__(self, delay_s):
            self.delay_s = delay_s

        def map(self, value):
            if self.delay_s:
                time.sleep(self.delay_s)
            key, v = value.split(",")
            return key, int(v)


    src, out, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    env = StreamExecutionEnvironment.get_execution_environment()
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), src).build()
    (env.from_source(source, None, "lines").uid("lines")
     .map(Parse(delay), Types.TUPLE([Types.STRING(), Types.LONG()])).uid("parse")
     .key_by(lambda r: r[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("running-sum")
     .map(lambda r: f"{r[0]},{r[1]}", Types.STRING()).uid("format")
     .sink_to(FileSink.for_row_format(out, Encoder.simple_string_encoder())
              .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy()).build())
     .uid("sink"))
    env.execute("checkpointed sums")
"""

ENDLESS_JOB = """
    import time

    from flink_py.datastream import StreamExecutionEnvironment
    from flink_py.datastream.connectors import NumberSequenceSource


    def slow(x):
        time.sleep(0.0005)
        return x


    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.from_source(NumberSequenceSource(0, 10**12), None, "numbers")
     .map(slow).add_sink(lambda v, ctx: None))
    env.execute("endless")
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=180, check=False)


def _job_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def _submit(cluster: ProcessCluster, *args: str) -> str:
    """``run -d``; the JobID, once every task of the job is RUNNING."""
    res = _cli("run", "-m", cluster.address, "-d", *args)
    assert res.returncode == 0, res.stderr + cluster.logs()
    line = next(ln for ln in res.stdout.splitlines() if "submitted with JobID" in ln)
    job_id = line.rsplit(" ", 1)[1]
    client = cluster.client
    assert client is not None

    def running() -> bool:
        job = client.get_job(job_id)
        return job.info.state == "RUNNING" and all(t.state == "RUNNING" for t in job.tasks)

    wait_until(running, timeout=60, describe=cluster.logs)
    return job_id


def _checkpoint_ok(cluster: ProcessCluster, job_id: str, *flags: str) -> int:
    """``flink-py checkpoint``: exactly Flink's four lines; the checkpoint id."""
    res = _cli("checkpoint", "-m", cluster.address, job_id, *flags)
    assert res.returncode == 0, res.stderr + cluster.logs()
    lines = res.stdout.splitlines()
    assert len(lines) == 4, res.stdout
    assert lines[0] == f"Triggering checkpoint for job {job_id}."
    assert lines[1] == "Waiting for response..."
    kind = "FULL" if "--full" in flags else "CONFIGURED"
    prefix, _, rest = lines[2].partition(" ")
    assert prefix == f"Checkpoint({kind})", lines[2]
    cid, _, tail = rest.partition(" ")
    assert cid.isdigit() and tail == f"for job {job_id} completed.", lines[2]
    assert lines[3] == "You can resume your program from this checkpoint with the run command."
    return int(cid)


def _checkpoint_fails(cluster: ProcessCluster, job_id: str, message: str) -> str:
    """``flink-py checkpoint`` fails in the CLI's error format naming ``message``."""
    res = _cli("checkpoint", "-m", cluster.address, job_id)
    assert res.returncode != 0, res.stdout
    assert DASHES in res.stderr
    assert "The program finished with the following exception:" in res.stderr
    assert message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert "completed." not in res.stdout
    return res.stderr


def _cancel(cluster: ProcessCluster, job_id: str) -> None:
    res = _cli("cancel", "-m", cluster.address, job_id)
    assert res.returncode == 0, res.stderr
    client = cluster.client
    assert client is not None
    wait_until(lambda: client.get_job(job_id).info.state == "CANCELED", timeout=60,
               describe=cluster.logs)


@pytest.mark.slow
def test_checkpoint_without_periodic_checkpoints_then_run_from_it(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 2)
    client = cluster.client
    assert client is not None
    src = write_keyed_inputs(tmp_path, FILES, LINES, KEYS)
    expected = expected_running_sums(FILES, LINES, KEYS)
    job = _job_file(tmp_path, "sums.py", SUMS_JOB)
    checkpoints = tmp_path / "checkpoints"
    conf = ["-D", f"execution.checkpointing.dir={checkpoints}",
            "-D", "execution.checkpointing.externalized-checkpoint-retention="
                  + "RETAIN_ON_CANCELLATION"]
    out1, out2 = tmp_path / "out1", tmp_path / "out2"

    # no execution.checkpointing.interval: periodic checkpointing is off
    job_id = _submit(cluster, "-p", "2", *conf, str(job), str(src), str(out1), "0.01")
    time.sleep(1.5)  # some records reach the sink
    cid = _checkpoint_ok(cluster, job_id)
    assert cid == 1  # the first id of the job's checkpoint sequence
    chk = checkpoints / job_id / f"chk-{cid}"
    assert (chk / "_metadata").is_file()
    details = client.get_job(job_id)
    assert details.completed_checkpoints == 1  # counted and retained like a periodic one
    assert details.latest_checkpoint_id == cid
    assert details.latest_checkpoint_path == str(chk / "_metadata")
    _cancel(cluster, job_id)
    assert (chk / "_metadata").is_file()  # retained on cancellation

    res = _cli("run", "-m", cluster.address, "-p", "2", "-s", str(chk), str(job), str(src),
               str(out2), "0")
    assert res.returncode == 0, res.stderr + cluster.logs()
    first, second = committed_lines(out1), committed_lines(out2)
    assert 0 < sum(first.values()) < sum(expected.values()), "not checkpointed mid-run"
    assert first + second == expected


@pytest.mark.slow
def test_full_checkpoint_of_incremental_rocksdb_is_self_contained(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 2)
    src = write_keyed_inputs(tmp_path, FILES, LINES, KEYS)
    expected = expected_running_sums(FILES, LINES, KEYS)
    job = _job_file(tmp_path, "sums.py", SUMS_JOB)
    checkpoints = tmp_path / "checkpoints"
    conf = ["-D", f"execution.checkpointing.dir={checkpoints}",
            "-D", "execution.checkpointing.externalized-checkpoint-retention="
                  + "RETAIN_ON_CANCELLATION",
            "-D", "execution.checkpointing.interval=10 min",  # on, but none is due
            "-D", "state.backend.type=rocksdb",
            "-D", "execution.checkpointing.incremental=true"]
    out1, out2 = tmp_path / "out1", tmp_path / "out2"

    job_id = _submit(cluster, "-p", "2", *conf, str(job), str(src), str(out1), "0.01")
    time.sleep(1.0)
    first_id = _checkpoint_ok(cluster, job_id)
    incremental = read_snapshot(str(checkpoints / job_id / f"chk-{first_id}"))
    assert incremental["shared_files"], "an incremental RocksDB checkpoint shares its SSTs"
    time.sleep(0.5)
    full_id = _checkpoint_ok(cluster, job_id, "--full")
    assert full_id == first_id + 1
    full = checkpoints / job_id / f"chk-{full_id}"
    doc = read_snapshot(str(full))
    assert doc["shared_files"] == []
    assert "/shared/" not in (full / "_metadata").read_text()
    handles = [s["keyed"] for op in doc["operators"].values()
               for s in op["subtasks"].values() if s.get("keyed")]
    assert handles and all(h["shared"] == {} for h in handles)
    # retained like periodic checkpoints: num-retained 1 subsumed the first one
    assert not (checkpoints / job_id / f"chk-{first_id}").exists()
    _cancel(cluster, job_id)
    # self-contained: the restore does not need the job's shared files
    shutil.rmtree(checkpoints / job_id / "shared")

    res = _cli("run", "-m", cluster.address, "-p", "2", "-s", str(full), *conf, str(job),
               str(src), str(out2), "0")
    assert res.returncode == 0, res.stderr + cluster.logs()
    first, second = committed_lines(out1), committed_lines(out2)
    assert 0 < sum(first.values()) < sum(expected.values()), "not checkpointed mid-run"
    assert first + second == expected


@pytest.mark.slow
def test_checkpoint_errors(process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 2)
    job = _job_file(tmp_path, "endless.py", ENDLESS_JOB)
    checkpoints = tmp_path / "checkpoints"

    unknown = "0123456789abcdef0123456789abcdef"
    _checkpoint_fails(cluster, unknown, f"Job {unknown} not found")

    # periodic checkpointing off and no checkpoint directory: checkpointing is impossible
    no_dir = _submit(cluster, str(job))
    _checkpoint_fails(cluster, no_dir, "no checkpoint directory is configured; set "
                                       "execution.checkpointing.dir")
    _cancel(cluster, no_dir)
    _checkpoint_fails(cluster, no_dir, f"Job {no_dir} is not running (state CANCELED)")

    # a task declines (its state files cannot be written): the checkpoint fails, the job
    # keeps running, and the failed checkpoint used up its id
    job_id = _submit(cluster, "-D", f"execution.checkpointing.dir={checkpoints}",
                     "-D", "execution.checkpointing.tolerable-failed-checkpoints=5", str(job))
    (checkpoints / job_id).mkdir(parents=True, exist_ok=True)
    (checkpoints / job_id / "chk-1").write_text("not a directory")
    err = _checkpoint_fails(cluster, job_id, f"Checkpoint 1 of job {job_id} failed: ")
    assert "declined" in err, err
    assert cluster.client.get_job(job_id).info.state == "RUNNING"
    (checkpoints / job_id / "chk-1").unlink()
    assert _checkpoint_ok(cluster, job_id) == 2
    assert (checkpoints / job_id / "chk-2" / "_metadata").is_file()
    _cancel(cluster, job_id)


# -- without a cluster ----------------------------------------------------------------------


def test_manual_checkpoint_is_a_regular_checkpoint_of_the_coordinator() -> None:
    config = CheckpointConfigValues(directory="/cp", timeout_ms=1000)  # periodic: off
    tasks = [("v", 0)]
    cc = CheckpointCoordinator(config, tasks, tasks, {"v": [("op", 1, 128)]}, now=0.0)
    assert cc.on_tick(100.0, True) == []  # no periodic checkpoint
    cid, effects = cc.trigger_manual(101.0, full=True)
    assert cid == 1 and cc.manual == {1: True}
    assert effects == [TriggerCheckpoint(1, 101_000, (("v", 0),))]
    [finalize] = cc.on_ack(1, ("v", 0), {"op": {"keyed": None, "state": None}})
    assert isinstance(finalize, FinalizeCheckpoint)
    cc.on_finalized(1, "/cp/j/chk-1/_metadata", "", 102.0)
    assert cc.manual_results == {1: ("/cp/j/chk-1/_metadata", "")} and cc.manual == {}
    assert cc.latest is not None and cc.latest.checkpoint_id == 1 and cc.num_completed == 1
    # a manual checkpoint expires like any other, and its failure counts
    assert cc.trigger_manual(103.0)[0] == 2
    effects = cc.on_tick(105.0, True)
    assert cc.manual_results[2][0] == ""
    assert cc.manual_results[2][1].startswith("Checkpoint 2 expired before completing")
    assert any(isinstance(e, FailJobForCheckpoints) for e in effects)
    assert cc.trigger_manual(106.0)[0] == 3
    cc.on_failover("the job failed over")
    assert cc.manual_results[3] == ("", "Checkpoint 3 was abandoned: the job failed over")


class _FakeClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, bool]] = []

    def __enter__(self) -> _FakeClient:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def trigger_checkpoint(self, job_id: str, full: bool = False) -> tuple[int, str]:
        self.calls.append((job_id, full))
        if self.error is not None:
            raise self.error
        return 26, f"/cp/{job_id}/chk-26"


def test_checkpoint_verb_flags_and_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = "cca7bc1061d61cf15238e92312c2fc20"
    client = _FakeClient()
    monkeypatch.setattr(cli_mod, "_client", lambda config, jobmanager: client)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli_mod.cli, ["checkpoint", *args], prog_name="flink-py")

    for flags, kind in (([], "CONFIGURED"), (["--full"], "FULL"), (["-full"], "FULL")):
        res = invoke(*flags, job_id)
        assert res.exit_code == 0, res.output
        assert client.calls[-1] == (job_id, kind == "FULL")
        assert res.stdout.splitlines() == [
            f"Triggering checkpoint for job {job_id}.", "Waiting for response...",
            f"Checkpoint({kind}) 26 for job {job_id} completed.",
            "You can resume your program from this checkpoint with the run command."]
    for error, message in (
            (KeyError(job_id), f"Job {job_id} not found"),
            (ValueError(f"Checkpoint 27 of job {job_id} failed: Checkpoint 27 expired before "
                        "completing (execution.checkpointing.timeout 600000 ms)"),
             (f"Checkpoint 27 of job {job_id} failed: Checkpoint 27 expired before completing "
              "(execution.checkpointing.timeout 600000 ms)"))):
        client.error = error
        res = invoke(job_id)
        assert res.exit_code == 1
        assert [ln.strip() for ln in res.stderr.splitlines() if ln.strip()] == [
            DASHES, "The program finished with the following exception:", message]
