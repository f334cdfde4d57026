"""``flink-py`` flags as Flink and PyFlink users type them.

Parsing-level tests run the click command in-process (``CliRunner``) with the
program execution and the cluster client replaced by fakes; a few tests run
``flink-py`` as a subprocess: ``run -py`` on the embedded local cluster, a
stop-with-savepoint / ``--from-savepoint`` round trip, busy server ports,
syntax errors in the job file.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from flink_py.client import cli as cli_mod
from flink_py.client.cli import cli

from tests.api_support import committed_lines, expected_running_sums, write_keyed_inputs
from tests.conftest import REPO, ProcessCluster, wait_until

JOB_ID = "0123456789abcdef0123456789abcdef"


def _invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="flink-py")


def _errors(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and "-----" not in line]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``run`` records what it would execute instead of executing it."""
    seen: dict[str, Any] = {}

    def fake(program: Any, ctx: Any, import_paths: list[str]) -> None:
        seen.update(program=program, ctx=ctx, paths=import_paths)
        ctx.submitted.append(JOB_ID)

    monkeypatch.setattr(cli_mod, "_run_program", fake)
    return seen


@pytest.fixture
def job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLINK_PROPERTIES", raising=False)
    monkeypatch.delenv("FLINK_PY_CONF_DIR", raising=False)
    monkeypatch.delenv("FLINK_CONF_DIR", raising=False)
    path = tmp_path / "job.py"
    path.write_text("print('never run')\n")
    return path


# -- run: naming the program -------------------------------------------------------------------


def test_py_names_the_job_file_and_p_stays_parallelism(job: Path, captured: dict[str, Any]) -> None:
    res = _invoke("run", "-p", "3", "-py", "job.py", "a", "b")
    assert res.exit_code == 0, res.output
    assert (captured["program"].kind, captured["program"].target) == ("file", "job.py")
    assert captured["program"].args == ("a", "b")
    assert captured["ctx"].parallelism == 3
    assert res.stdout.splitlines()[0] == "Program execution finished"
    for args in (["--python", "job.py"], ["-py=job.py"], ["-p4", "-py", "job.py"]):
        res = _invoke("run", *args)
        assert res.exit_code == 0, (args, res.output)
        assert captured["program"].target == "job.py"


def test_words_after_the_job_belong_to_the_program(job: Path, captured: dict[str, Any]) -> None:
    res = _invoke("run", "-d", "job.py", "--input", "x", "-p", "2")
    assert res.exit_code == 0, res.output
    assert captured["program"].args == ("--input", "x", "-p", "2")
    assert captured["ctx"].parallelism is None
    # after -py, an option flink-py does not know starts the program's arguments too
    res = _invoke("run", "-py", "job.py", "--input", "x", "-p", "2")
    assert res.exit_code == 0, res.output
    assert captured["program"].args == ("--input", "x", "-p", "2")
    # before the job it is a typo, reported as such (not "Job file '--paralelism'")
    res = _invoke("run", "--paralelism", "2", "job.py")
    assert res.exit_code == 2
    assert "No such option '--paralelism'" in res.output


def test_py_module_and_entry_point(job: Path, captured: dict[str, Any]) -> None:
    res = _invoke("run", "-pym", "pkg.job", "x")
    assert res.exit_code == 0, res.output
    assert (captured["program"].kind, captured["program"].target) == ("module", "pkg.job")
    assert captured["program"].args == ("x",)
    res = _invoke("run", "--pyModule", "pkg.job")
    assert captured["program"].kind == "module"
    res = _invoke("run", "-e", "pkg.job:main", "y")
    assert res.exit_code == 0, res.output
    assert (captured["program"].kind, captured["program"].target) == ("entry", "pkg.job:main")
    res = _invoke("run", "-e", "pkg.job")
    assert res.exit_code == 2 and "is not MODULE:FUNCTION" in res.output
    res = _invoke("run", "-py", "job.py", "-pym", "pkg.job")
    assert res.exit_code == 2 and "Give one job" in res.output
    res = _invoke("run")
    assert res.exit_code == 2 and "Missing the job" in res.output


def test_java_class_and_jars_are_refused_clearly(job: Path, captured: dict[str, Any]) -> None:
    res = _invoke("run", "-c", "org.example.Main", "job.jar")
    assert res.exit_code == 1
    assert _errors(res.stderr)[0] == "The program finished with the following exception:"
    assert "flink-py runs Python jobs: -c/--class names a Java entry class" in res.stderr
    res = _invoke("run", "job.jar")
    assert res.exit_code == 1 and "flink-py runs Python jobs, not jars" in res.stderr
    assert "program" not in captured


# -- run: configuration flags ----------------------------------------------------------------


def test_restore_flags_set_the_current_keys_without_deprecation_warnings(
        job: Path, captured: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    spellings = [["-s", "/sp/1", "-n", "--claimMode", "claim"],
                 ["--from-savepoint", "/sp/1", "--allow-non-restored-state",
                  "--claim-mode", "CLAIM"],
                 ["--fromSavepoint", "/sp/1", "--allowNonRestoredState", "--restoreMode",
                  "claim"]]
    for flags in spellings:
        res = _invoke("run", *flags, "job.py")
        assert res.exit_code == 0, (flags, res.output)
        config = captured["ctx"].config
        assert config.to_dict()["execution.state-recovery.path"] == "/sp/1"
        assert config.get("execution.state-recovery.ignore-unclaimed-state") is True
        assert config.get("execution.state-recovery.claim-mode") == "CLAIM"
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]
    res = _invoke("run", "job.py")
    assert not captured["ctx"].config.is_set("execution.state-recovery.path")


def test_python_flags_land_in_the_python_keys(job: Path, captured: dict[str, Any],
                                              tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "helper.py").write_text("X = 1\n")
    res = _invoke("run", "-pyfs", "helper.py,lib", "--py-files", "job.py",
                  "-pyreq", "req.txt#cache", "-pyarch", "venv.zip#venv",
                  "-pyexec", "/opt/py/bin/python", "-pyclientexec", "/usr/bin/python3",
                  "--name", "my pipeline", "job.py")
    assert res.exit_code == 0, res.output
    config = captured["ctx"].config
    assert config.get("python.files") == "helper.py,lib,job.py"
    assert config.get("python.requirements") == "req.txt#cache"
    assert config.get("python.archives") == "venv.zip#venv"
    assert config.get("python.executable") == "/opt/py/bin/python"
    assert config.get("python.client.executable") == "/usr/bin/python3"
    assert config.get("pipeline.name") == "my pipeline"
    assert captured["paths"] == [str(tmp_path), str(tmp_path / "lib"), str(tmp_path)]
    res = _invoke("run", "-pyfs", "missing.py", "job.py")
    assert res.exit_code == 2 and "'missing.py' does not exist" in res.output


def test_target_local_and_remote(job: Path, captured: dict[str, Any]) -> None:
    configured = {"FLINK_PROPERTIES": "jobmanager.rpc.address: 127.0.0.1"}
    res = _invoke("run", "-t", "local", "job.py", env=configured)
    assert res.exit_code == 0, res.output
    assert captured["ctx"].jobmanager is None  # the embedded cluster despite the config
    res = _invoke("run", "job.py", env=configured)
    assert captured["ctx"].jobmanager == "127.0.0.1:6123"
    res = _invoke("run", "--target", "remote", "-m", "127.0.0.1:7000", "job.py")
    assert res.exit_code == 0, res.output
    assert captured["ctx"].jobmanager == "127.0.0.1:7000"
    res = _invoke("run", "-t", "remote", "job.py")
    assert res.exit_code == 2 and "-t remote needs a JobManager" in res.output
    res = _invoke("run", "-t", "local", "-m", "127.0.0.1:7000", "job.py")
    assert res.exit_code == 2 and "-t local runs the job on the embedded cluster" in res.output
    res = _invoke("run", "-t", "yarn-per-job", "job.py")
    assert res.exit_code == 2 and "'yarn-per-job' is not one of 'local', 'remote'" in res.output


def test_options_read_flinkpy_environment_variables(job: Path, captured: dict[str, Any]) -> None:
    res = _invoke("run", "job.py", env={"FLINKPY_RUN_PARALLELISM": "4",
                                        "FLINKPY_RUN_JOBMANAGER": "127.0.0.1:7001"})
    assert res.exit_code == 0, res.output
    assert captured["ctx"].parallelism == 4
    assert captured["ctx"].jobmanager == "127.0.0.1:7001"
    res = _invoke("run", "-p", "2", "job.py", env={"FLINKPY_RUN_PARALLELISM": "4"})
    assert captured["ctx"].parallelism == 2  # the flag wins


# -- client verbs with a fake cluster client ---------------------------------------------------


class _FakeClient:
    def __init__(self, state: str = "RUNNING", state_after_cancel: str = "CANCELED") -> None:
        self.state = state
        self.state_after_cancel = state_after_cancel
        self.calls: list[tuple[Any, ...]] = []

    def __enter__(self) -> _FakeClient:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def get_job(self, job_id: str) -> Any:
        if job_id != JOB_ID:
            raise KeyError(job_id)
        return SimpleNamespace(info=SimpleNamespace(state=self.state))

    def cancel(self, job_id: str) -> None:
        self.calls.append(("cancel", job_id))
        self.state = self.state_after_cancel

    def stop_with_savepoint(self, job_id: str, target: str | None, drain: bool) -> str:
        self.calls.append(("stop", job_id, target, drain))
        return "/sp/savepoint-012345-aaaaaaaaaaaa"

    def trigger_savepoint(self, job_id: str, target: str | None) -> str:
        self.calls.append(("savepoint", job_id, target))
        return "/sp/savepoint-012345-bbbbbbbbbbbb"


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> _FakeClient:
    client = _FakeClient()
    monkeypatch.setattr(cli_mod, "_client", lambda config, jobmanager: client)
    return client


def test_cancel_refuses_a_job_that_already_ended(fake_client: _FakeClient) -> None:
    res = _invoke("cancel", JOB_ID)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [f"Cancelling job {JOB_ID}.", f"Cancelled job {JOB_ID}."]
    for state in ("FINISHED", "FAILED", "CANCELED"):
        fake_client.state = state
        fake_client.calls.clear()
        res = _invoke("cancel", JOB_ID)
        assert res.exit_code == 1
        assert _errors(res.stderr) == [
            "The program finished with the following exception:",
            f"Job {JOB_ID} is already {state}; it cannot be cancelled."]
        assert fake_client.calls == []
    # the job ends on its own between the check and the cancel request
    fake_client.state, fake_client.state_after_cancel = "RUNNING", "FINISHED"
    res = _invoke("cancel", JOB_ID)
    assert res.exit_code == 1 and "is already FINISHED" in res.stderr
    res = _invoke("cancel", "f" * 32)
    assert res.exit_code == 1 and f"Job {'f' * 32} not found" in res.stderr


def test_stop_and_savepoint_flags_per_verb(fake_client: _FakeClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for flags in (["-p", "/sp", "-d"], ["--savepoint-path", "/sp", "--drain"],
                  ["--savepointPath", "/sp", "--drain", "--type", "native"]):
        fake_client.calls.clear()
        res = _invoke("stop", *flags, JOB_ID)
        assert res.exit_code == 0, (flags, res.output)
        assert fake_client.calls == [("stop", JOB_ID, "/sp", True)]
        assert res.stdout.splitlines() == [
            f'Suspending job "{JOB_ID}" with a savepoint.',
            "Savepoint completed. Path: file:/sp/savepoint-012345-aaaaaaaaaaaa"]
    detached: list[tuple[Any, ...]] = []
    monkeypatch.setattr(cli_mod, "_detached", lambda *a, **k: detached.append(a[1:]))
    res = _invoke("stop", "-detached", "-p", "/sp", JOB_ID)
    assert res.exit_code == 0, res.output
    assert detached == [("StopWithSavepoint", JOB_ID, "/sp", False)]
    res = _invoke("savepoint", "--detached", "--type", "canonical", JOB_ID, "/sp2")
    assert res.exit_code == 0, res.output
    assert detached[-1] == ("TriggerSavepoint", JOB_ID, "/sp2")
    assert res.stdout.splitlines()[0] == (
        f"Triggering savepoint in detached mode for job {JOB_ID}.")
    res = _invoke("savepoint", JOB_ID, "/sp2")
    assert res.stdout.splitlines() == [
        f"Triggering savepoint for job {JOB_ID}.", "Waiting for response...",
        "Savepoint completed. Path: file:/sp/savepoint-012345-bbbbbbbbbbbb",
        "You can resume your program from this savepoint with the run command."]


@pytest.mark.parametrize(("address", "message"), [
    ("foo:bar", "Invalid JobManager address 'foo:bar': expected HOST:PORT"),
    ("127.0.0.1:99999", "Invalid JobManager address '127.0.0.1:99999'"),
    ("no-such-host.invalid:6123",
     "Could not resolve the JobManager host 'no-such-host.invalid'"),
])
def test_bad_jobmanager_addresses_fail_at_once(address: str, message: str) -> None:
    started = time.monotonic()
    for verb in (["list"], ["cancel", JOB_ID], ["savepoint", JOB_ID]):
        res = _invoke(verb[0], "-m", address, *verb[1:])
        assert res.exit_code == 1, res.output
        errors = _errors(res.stderr)
        assert errors[0] == "The program finished with the following exception:"
        assert len(errors) == 2 and errors[1].startswith(message), errors
    assert time.monotonic() - started < 8  # not the 10 s connect timeout


# -- subprocesses ------------------------------------------------------------------------------


def _flink_py(*args: str, cwd: Path = REPO, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_syntax_error_in_the_job_file_shows_the_users_line(tmp_path: Path) -> None:
    job = tmp_path / "broken.py"
    job.write_text("x = 1\nprint((x\ny = 2\n")
    res = _flink_py("run", str(job))
    assert res.returncode != 0
    assert "cli.py" not in res.stderr and "runpy" not in res.stderr
    errors = _errors(res.stderr)
    assert errors[0] == "The program finished with the following exception:"
    assert errors[1] == f'File "{job}", line 2'
    assert errors[-1].startswith("SyntaxError: ")
    # a job that fails itself keeps its own frames, without the CLI's
    job.write_text("def build():\n    raise KeyError('own')\n\nbuild()\n")
    res = _flink_py("run", "-py", str(job))
    assert res.returncode != 0
    assert "cli.py" not in res.stderr and "runpy" not in res.stderr
    assert f'File "{job}", line 4, in <module>' in res.stderr
    assert res.stderr.rstrip().endswith("KeyError: 'own'")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_servers_on_a_busy_port_fail_with_one_line(busy_port: int) -> None:
    res = _flink_py("jobmanager", "--port", str(busy_port), timeout=60)
    assert res.returncode != 0
    assert res.stderr.strip() == (f"Could not start the JobManager: address "
                                  f"127.0.0.1:{busy_port} is already in use")
    for key in ("taskmanager.rpc.port", "taskmanager.data.port"):
        res = _flink_py("taskmanager", "--jobmanager", "127.0.0.1:1", "-D",
                        f"{key}={busy_port}", timeout=60)
        assert res.returncode != 0
        assert res.stderr.strip() == (f"Could not start the TaskManager: address "
                                      f"127.0.0.1:{busy_port} is already in use ({key})")


@pytest.mark.slow
def test_run_py_with_py_files_on_the_embedded_cluster(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "shout.py").write_text("def shout(s):\n    return s.upper() + '!'\n")
    (tmp_path / "job.py").write_text(textwrap.dedent("""
        import sys

        from shout import shout
        from flink_py.common import Types
        from flink_py.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection(sys.argv[1:], type_info=Types.STRING()).map(
            shout, output_type=Types.STRING()).print()
        env.execute()
    """))
    res = _flink_py("run", "-pyfs", "lib/shout.py", "-py", "job.py", "hello", "--world",
                    cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert re.fullmatch(r"Job has been submitted with JobID [0-9a-f]{32}", lines[0]), lines
    assert sorted(lines[1:3]) == ["--WORLD!", "HELLO!"]
    assert lines[3] == "Program execution finished"


_ROUND_TRIP_JOB = """
import sys
import time

from flink_py.common import Configuration, Encoder, Types
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import FileSink, FileSource, StreamFormat

src, out, checkpoints, delay, sum_uid = sys.argv[1:6]
delay = float(delay)


def parse(line):
    if delay:
        time.sleep(delay)
    key, value = line.split(",")
    return key, int(value)


config = (Configuration()
          .set_string("execution.checkpointing.interval", "300 ms")
          .set_string("execution.checkpointing.dir", checkpoints)
          .set_string("taskmanager.network.batch.max-rows", "50"))
env = StreamExecutionEnvironment.get_execution_environment(config)
env.set_parallelism(2)
source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), src).build()
(env.from_source(source, None, "lines").uid("lines")
 .map(parse).uid("parse")
 .key_by(lambda r: r[0])
 .reduce(lambda a, b: (a[0], a[1] + b[1])).uid(sum_uid)
 .map(lambda r: f"{r[0]},{r[1]}", Types.STRING()).uid("format")
 .sink_to(FileSink.for_row_format(out, Encoder.simple_string_encoder()).build()).uid("sink"))
env.execute()
"""


@pytest.mark.slow
def test_stop_with_savepoint_then_run_from_savepoint_on_the_embedded_cluster(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 2)
    client = cluster.client
    assert client is not None
    files, lines, keys = 3, 600, 4
    src = write_keyed_inputs(tmp_path, files, lines, keys)
    job = tmp_path / "job.py"
    job.write_text(_ROUND_TRIP_JOB)
    chk = str(tmp_path / "chk")

    res = _flink_py("run", "-m", cluster.address, "-d", "--name", "round trip", "-py", str(job),
                    str(src), str(tmp_path / "out1"), chk, "0.002", "running-sum")
    assert res.returncode == 0, res.stderr
    job_id = res.stdout.split("JobID ")[1].strip()
    wait_until(lambda: client.get_job(job_id).completed_checkpoints >= 1, timeout=60,
               describe=cluster.logs)
    listing = _flink_py("list", "-m", cluster.address, "--json")
    assert listing.returncode == 0, listing.stderr
    assert json.loads(listing.stdout)["jobs"][0] == {  # --name: execute() names no job
        "jid": job_id, "name": "round trip", "state": "RUNNING",
        "start-time": client.get_job(job_id).info.start_time_ms, "end-time": -1}
    res = _flink_py("stop", "-m", cluster.address, "--savepointPath", str(tmp_path / "sp"), job_id)
    assert res.returncode == 0, res.stderr
    path = res.stdout.split("Path: file:", 1)[1].strip()
    wait_until(lambda: client.get_job(job_id).info.state == "FINISHED", timeout=60)

    res = _flink_py("cancel", "-m", cluster.address, job_id)  # a finished job
    assert res.returncode != 0
    assert f"Job {job_id} is already FINISHED; it cannot be cancelled." in res.stderr

    # state of an operator the new program lacks: refused unless -n
    res = _flink_py("run", "-m", cluster.address, "-d", "-s", path, "-py", str(job), str(src),
                    str(tmp_path / "out-x"), chk, "0", "renamed-sum")
    assert res.returncode != 0
    assert "Cannot map checkpoint/savepoint state for operator running-sum" in res.stderr
    assert "deprecated" not in res.stderr

    first = committed_lines(tmp_path / "out1")
    expected = expected_running_sums(files, lines, keys)
    assert 0 < sum(first.values()) < sum(expected.values()), "stopped too late"
    # the embedded cluster (no -m) restores the savepoint and finishes the input
    res = _flink_py("run", "--from-savepoint", path, "--allow-non-restored-state",
                    "--claim-mode", "NO_CLAIM", "-py", str(job), str(src),
                    str(tmp_path / "out2"), chk, "0", "running-sum")
    assert res.returncode == 0, res.stderr
    assert "deprecated" not in res.stderr
    assert first + committed_lines(tmp_path / "out2") == expected
