"""The ``flink-py`` command line (Flink's ``bin/flink`` verbs and flags)."""

from __future__ import annotations

import datetime
import logging
import os
import runpy
import signal
import sys
import threading
import time
import traceback
from typing import Any

import click

from flink_py.client.cluster_client import (
    ClusterClient,
    JobExecutionException,
    JobManagerUnreachable,
)
from flink_py.client.context import ClientContext, set_context
from flink_py.common.runtime.config import ConfigError, FlinkConfig, load_config

__all__ = ["main"]

_DASHES = "-" * 60


def _config(conf_dir: str | None, dynamic: tuple[str, ...]) -> FlinkConfig:
    try:
        return load_config(conf_dir, dynamic)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _jm_address(config: FlinkConfig, jobmanager: str | None) -> str:
    if jobmanager:
        return jobmanager if ":" in jobmanager else f"{jobmanager}:{config.get('jobmanager.rpc.port')}"
    return f"{config.get('jobmanager.rpc.address')}:{config.get('jobmanager.rpc.port')}"


def _logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-5s %(name)s: %(message)s")


def _fail(message: str) -> None:
    click.echo(f"\n{_DASHES}\n The program finished with the following exception:\n", err=True)
    click.echo(message, err=True)
    sys.exit(1)


def _wait_for_signal(stop: Any) -> None:
    done = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not done.wait(0.5):
        pass
    stop()


conf_dir_option = click.option("--conf-dir", envvar="FLINK_PY_CONF_DIR", default=None,
                               help="Directory with config.yaml (default $FLINK_PY_CONF_DIR).")
dynamic_option = click.option("-D", "dynamic", multiple=True, metavar="key=value",
                              help="A configuration option; repeatable.")
jobmanager_option = click.option("-m", "--jobmanager", default=None, metavar="HOST:PORT",
                                 help="The JobManager to talk to.")


@click.group()
@click.version_option(package_name="flink-py")
def cli() -> None:
    """flink-py: Apache Flink's runtime and DataStream API, Python-native."""


@cli.command()
@click.option("--host", default=None, help="Address to bind (default jobmanager.bind-host).")
@click.option("--port", type=int, default=None, help="gRPC port (default jobmanager.rpc.port; 0 = any).")
@click.option("--ready-file", default=None, help="Write host:port here once serving.")
@conf_dir_option
@dynamic_option
def jobmanager(host: str | None, port: int | None, ready_file: str | None, conf_dir: str | None,
               dynamic: tuple[str, ...]) -> None:
    """Run a JobManager in the foreground."""
    from flink_py.jobmanager.server import JobManager

    config = _config(conf_dir, dynamic)
    _logging("INFO")
    try:
        jm = JobManager(config, host=host, port=port).start()
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    if ready_file:
        _write_ready(ready_file, jm.address)
    _wait_for_signal(jm.stop)


@cli.command()
@click.option("--jobmanager", "jm", default=None, metavar="HOST:PORT",
              help="JobManager address (default jobmanager.rpc.address:port).")
@click.option("--slots", type=int, default=None, help="Slots (default taskmanager.numberOfTaskSlots).")
@click.option("--host", default=None, help="Address to bind (default taskmanager.bind-host).")
@click.option("--ready-file", default=None, help="Write the TaskManager id here once registered.")
@conf_dir_option
@dynamic_option
def taskmanager(jm: str | None, slots: int | None, host: str | None, ready_file: str | None,
                conf_dir: str | None, dynamic: tuple[str, ...]) -> None:
    """Run a TaskManager in the foreground."""
    from flink_py.taskmanager.server import TaskManager

    config = _config(conf_dir, dynamic)
    _logging("INFO")
    try:
        tm = TaskManager(config, _jm_address(config, jm), slots=slots, host=host).start()
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    if ready_file:
        _write_ready(ready_file, tm.tm_id)
    _wait_for_signal(tm.stop)


def _write_ready(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


@cli.command(context_settings={"ignore_unknown_options": True})
@jobmanager_option
@click.option("-p", "--parallelism", type=int, default=None, help="Default parallelism of the job.")
@click.option("-d", "--detached", is_flag=True, help="Return after submission.")
@click.option("-s", "--fromSavepoint", "from_savepoint", default=None, metavar="PATH",
              help="Restore the job from this savepoint (or retained checkpoint).")
@click.option("-n", "--allowNonRestoredState", "allow_non_restored", is_flag=True,
              help="Skip savepoint state that maps to no operator of the job.")
@conf_dir_option
@dynamic_option
@click.argument("job_file", type=click.Path(dir_okay=False))
@click.argument("job_args", nargs=-1, type=click.UNPROCESSED)
def run(jobmanager: str | None, parallelism: int | None, detached: bool,
        from_savepoint: str | None, allow_non_restored: bool, conf_dir: str | None,
        dynamic: tuple[str, ...], job_file: str, job_args: tuple[str, ...]) -> None:
    """Run a job file (on the embedded local cluster unless -m is given)."""
    restore_opts = []
    if from_savepoint:
        restore_opts.append(f"execution.savepoint.path={from_savepoint}")
    if allow_non_restored:
        restore_opts.append("execution.savepoint.ignore-unclaimed-state=true")
    config = _config(conf_dir, (*dynamic, *restore_opts))
    if parallelism is not None and parallelism < 1:
        raise click.BadParameter("must be at least 1", param_hint="-p")
    if not os.path.isfile(job_file):
        raise click.ClickException(f"Job file '{job_file}' does not exist")
    address = None
    if jobmanager or config.is_set("jobmanager.rpc.address"):
        address = _jm_address(config, jobmanager)
    if detached and address is None:
        # The embedded cluster lives in this process: returning early would kill the job.
        click.echo("Detached mode needs a running cluster (-m HOST:PORT or "
                   "jobmanager.rpc.address); running attached on the embedded local cluster.",
                   err=True)
        detached = False
    started = time.monotonic()

    def on_submit(job_id: str) -> None:
        click.echo(f"Job has been submitted with JobID {job_id}")

    ctx = ClientContext(config=config, jobmanager=address, parallelism=parallelism,
                        detached=detached, from_cli=True, on_submit=on_submit)
    set_context(ctx)
    old_argv = sys.argv
    sys.argv = [job_file, *job_args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(job_file)))
    try:
        runpy.run_path(job_file, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    except JobExecutionException as exc:
        _fail(str(exc))
    except JobManagerUnreachable as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the user's program failed
        from flink_py.client.graph import GraphError

        if isinstance(exc, (GraphError, ValueError, ConfigError)) and not _raised_by_user(exc):
            _fail(f"{type(exc).__name__}: {exc}")
        _fail("".join(traceback.format_exception(exc)))
    finally:
        sys.argv = old_argv
        set_context(None)
    if not ctx.submitted:
        _fail(f"The job file '{job_file}' did not submit a job: it never called "
              "env.execute(), execute_async() or execute_and_collect().")
    if not detached:
        click.echo("Program execution finished")
        for job_id in ctx.submitted:
            click.echo(f"Job with JobID {job_id} has finished.")
        click.echo(f"Job Runtime: {int((time.monotonic() - started) * 1000)} ms")


def _raised_by_user(exc: BaseException) -> bool:
    """Whether the exception was raised outside flink-py (in the job's own code).

    flink-py's own rejections (bad graph, bad config, refused submission)
    print as one line; anything the user's code raised keeps its traceback.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    return not os.path.abspath(frames[-1].filename).startswith(_FLINK_PY_ROOTS)


def _flink_py_roots() -> tuple[str, ...]:
    import flink_py.client
    import flink_py.common
    import flink_py.jobmanager
    import flink_py.taskmanager

    return tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep  # type: ignore[arg-type]
                 for m in (flink_py.client, flink_py.common, flink_py.jobmanager,
                           flink_py.taskmanager))


_FLINK_PY_ROOTS = _flink_py_roots()


def _client(config: FlinkConfig, jobmanager: str | None) -> ClusterClient:
    try:
        return ClusterClient(_jm_address(config, jobmanager))
    except JobManagerUnreachable as exc:
        _fail(str(exc))
        raise


def _fmt_time(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%d.%m.%Y %H:%M:%S")  # noqa: DTZ006


@cli.command(name="list")
@jobmanager_option
@click.option("-r", "--running", is_flag=True, help="Only running jobs.")
@click.option("-s", "--scheduled", is_flag=True, help="Only scheduled jobs (waiting for slots).")
@click.option("-a", "--all", "show_all", is_flag=True, help="All jobs, terminated ones too.")
@conf_dir_option
@dynamic_option
def list_jobs(jobmanager: str | None, running: bool, scheduled: bool, show_all: bool,
              conf_dir: str | None, dynamic: tuple[str, ...]) -> None:
    """List running and scheduled jobs (with -a also terminated ones)."""
    config = _config(conf_dir, dynamic)
    if not (running or scheduled or show_all):
        running = scheduled = True  # Flink's default: running and scheduled jobs
    with _client(config, jobmanager) as client:
        click.echo("Waiting for response...")
        try:
            jobs = sorted(client.list_jobs(), key=lambda j: j.start_time_ms)
        except JobManagerUnreachable as exc:
            _fail(str(exc))
    sections = [
        (running or show_all, "------------------ Running/Restarting Jobs -------------------",
         [j for j in jobs if j.state not in _TERMINAL and j.state != "CREATED"],
         "No running jobs."),
        (scheduled or show_all, "----------------------- Scheduled Jobs -----------------------",
         [j for j in jobs if j.state == "CREATED"], "No scheduled jobs."),
        (show_all, "---------------------- Terminated Jobs -----------------------",
         [j for j in jobs if j.state in _TERMINAL], None),
    ]
    for shown, header, selected, empty in sections:
        if not shown:
            continue
        if selected:
            click.echo(header)
            for j in selected:
                click.echo(f"{_fmt_time(j.start_time_ms)} : {j.job_id} : {j.name} ({j.state})")
            click.echo("-" * len(header))
        elif empty:
            click.echo(empty)


_TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED"})


@cli.command()
@jobmanager_option
@conf_dir_option
@dynamic_option
@click.argument("job_id")
def cancel(jobmanager: str | None, conf_dir: str | None, dynamic: tuple[str, ...], job_id: str) -> None:
    """Cancel a job."""
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        click.echo(f"Cancelling job {job_id}.")
        try:
            client.cancel(job_id)
        except KeyError:
            _fail(f"Job {job_id} not found")
        click.echo(f"Cancelled job {job_id}.")


@cli.command()
@jobmanager_option
@click.option("-d", "--dispose", "dispose", default=None, metavar="PATH",
              help="Delete the savepoint at PATH instead of taking one.")
@conf_dir_option
@dynamic_option
@click.argument("job_id", required=False)
@click.argument("target_directory", required=False)
def savepoint(jobmanager: str | None, dispose: str | None, conf_dir: str | None,
              dynamic: tuple[str, ...], job_id: str | None,
              target_directory: str | None) -> None:
    """Trigger a savepoint of JOB_ID (into TARGET_DIRECTORY), or --dispose PATH."""
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        if dispose:
            click.echo(f"Disposing savepoint '{dispose}'.")
            click.echo("Waiting for response...")
            try:
                client.dispose_savepoint(dispose)
            except ValueError as exc:
                _fail(str(exc))
            click.echo(f"Savepoint '{dispose}' disposed.")
            return
        if not job_id:
            raise click.UsageError("Missing JobID: flink-py savepoint JOBID [DIR]")
        click.echo(f"Triggering savepoint for job {job_id}.")
        click.echo("Waiting for response...")
        try:
            path = client.trigger_savepoint(job_id, target_directory)
        except KeyError:
            _fail(f"Job {job_id} not found")
        except ValueError as exc:
            _fail(str(exc))
        click.echo(f"Savepoint completed. Path: {_uri(path)}")
        click.echo("You can resume your program from this savepoint with the run command.")


@cli.command()
@jobmanager_option
@click.option("-p", "--savepointPath", "savepoint_path", default=None, metavar="DIR",
              help="Savepoint directory (default execution.checkpointing.savepoint-dir).")
@click.option("-d", "--drain", is_flag=True,
              help="Emit the maximum watermark before the savepoint (fires all event-time "
                   "windows and timers).")
@conf_dir_option
@dynamic_option
@click.argument("job_id")
def stop(jobmanager: str | None, savepoint_path: str | None, drain: bool, conf_dir: str | None,
         dynamic: tuple[str, ...], job_id: str) -> None:
    """Stop JOB_ID with a savepoint (the job ends FINISHED)."""
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        click.echo(f'Suspending job "{job_id}" with a savepoint.')
        try:
            path = client.stop_with_savepoint(job_id, savepoint_path, drain)
        except KeyError:
            _fail(f"Job {job_id} not found")
        except ValueError as exc:
            _fail(str(exc))
        click.echo(f"Savepoint completed. Path: {_uri(path)}")


def _uri(path: str) -> str:
    """A local path as Flink prints it (``file:/...``); URIs unchanged."""
    return path if "://" in path or path.startswith("file:") else f"file:{path}"


def main() -> None:
    """Console entry point."""
    cli(prog_name="flink-py")


if __name__ == "__main__":
    main()
