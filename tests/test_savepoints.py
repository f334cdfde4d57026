"""Savepoints on a real cluster: stop-with-savepoint, restore at another parallelism (and
from a moved savepoint), ``allowNonRestoredState``, the CLI's savepoint / dispose verbs.

The job: keyed running sums over replayable files into an exactly-once FileSink.
Stopped with a savepoint mid-run and restored (at parallelism 1 or 3), the
committed output of both runs together equals a failure-free run exactly:
every per-key prefix sum once (each key lives in one file, so its order is fixed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flink_py.common import Encoder, Types
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import (
    FileSink,
    FileSource,
    StreamFormat,
)

from tests.api_support import (
    by_value,
    checkpointed_env,
    committed_lines,
    expected_running_sums,
    write_keyed_inputs,
)
from tests.conftest import ProcessCluster, remote_env, wait_until
from tests.test_recovery_chaos import _Parse

by_value(__name__)

FILES, LINES, KEYS = 3, 600, 4


_env = checkpointed_env


def _job(env: StreamExecutionEnvironment, src: Path, out: Path, delay_s: float,
         sum_uid: str = "running-sum") -> Any:
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src)).build()
    (env.from_source(source, None, "lines").uid("lines")
     .map(_Parse(delay_s=delay_s)).uid("parse")
     .key_by(lambda r: r[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1])).uid(sum_uid)
     .map(lambda r: f"{r[0]},{r[1]}", Types.STRING()).uid("format")
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build())
     .uid("sink"))
    return env.execute_async("savepoint-job")


def _stop_mid_run(cluster: ProcessCluster, job: Any, target: Path, drain: bool = False) -> str:
    client = cluster.client
    assert client is not None
    job_id = job.get_job_id()
    wait_until(lambda: client.get_job(job_id).completed_checkpoints >= 1, timeout=40,
               describe=cluster.logs)
    path = client.stop_with_savepoint(job_id, str(target), drain=drain, timeout=60)
    final = client.wait(job_id, timeout=60)
    assert final.info.state == "FINISHED"
    return path


@pytest.mark.slow
def test_stop_with_savepoint_then_restore_at_parallelism_1_and_3(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 3)
    remote_env(cluster.address)
    src = write_keyed_inputs(tmp_path, FILES, LINES, KEYS)
    expected = expected_running_sums(FILES, LINES, KEYS)
    try:
        for new_p in (1, 3):
            out1, out2 = tmp_path / f"out-a{new_p}", tmp_path / f"out-b{new_p}"
            job = _job(_env(tmp_path, 2), src, out1, delay_s=0.002)
            path = _stop_mid_run(cluster, job, tmp_path / "savepoints")
            assert os.path.isfile(os.path.join(path, "_metadata"))
            # self-contained: nothing in the savepoint points into the job's checkpoints
            meta = Path(path, "_metadata").read_text()
            assert str(tmp_path / "checkpoints") not in meta
            first = committed_lines(out1)
            assert 0 < sum(first.values()) < sum(expected.values()), "stopped too late"
            if new_p == 3:  # a savepoint is relocatable: moved as a whole, it still restores
                moved = tmp_path / "moved" / Path(path).name
                moved.parent.mkdir()
                os.rename(path, moved)
                path = str(moved)
            job2 = _job(_env(tmp_path, new_p, restore=path), src, out2, delay_s=0.0)
            job2.get_job_execution_result().result()
            assert first + committed_lines(out2) == expected, f"restored at parallelism {new_p}"
    finally:
        from flink_py.client.context import set_context

        set_context(None)


@pytest.mark.slow
def test_unmapped_state_fails_the_submit_unless_allowed_and_the_cli_verbs(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 2)
    remote_env(cluster.address)
    src = write_keyed_inputs(tmp_path, FILES, LINES, KEYS)
    try:
        job = _job(_env(tmp_path, 2), src, tmp_path / "out1", delay_s=0.002)
        path = _stop_mid_run(cluster, job, tmp_path / "sp")
        with pytest.raises(ValueError, match="Cannot map checkpoint/savepoint state for "
                                             "operator running-sum"):
            _job(_env(tmp_path, 2, restore=path), src, tmp_path / "out2", 0.0, "renamed-sum")
        job2 = _job(_env(tmp_path, 2, restore=path, allow_non_restored=True), src,
                    tmp_path / "out3", 0.004, "renamed-sum")
        cli = [sys.executable, "-m", "flink_py.client.cli"]
        wait_until(lambda: cluster.client.get_job(job2.get_job_id()).info.state == "RUNNING"
                   and all(t.state == "RUNNING"
                           for t in cluster.client.get_job(job2.get_job_id()).tasks),
                   timeout=30, describe=cluster.logs)
        res = subprocess.run([*cli, "savepoint", "-m", cluster.address, job2.get_job_id(),
                              str(tmp_path / "sp2")], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith("Savepoint completed"))
        sp2 = line.split("Path: ", 1)[1]
        assert sp2.startswith("file:") and os.path.isdir(sp2[len("file:"):])
        job2.get_job_execution_result().result()  # a savepoint does not stop the job
        res = subprocess.run([*cli, "savepoint", "-m", cluster.address, "--dispose", sp2],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert f"Savepoint '{sp2}' disposed." in res.stdout
        assert not os.path.exists(sp2[len("file:"):])
    finally:
        from flink_py.client.context import set_context

        set_context(None)
