"""The ``flink-py`` command line (Flink's ``bin/flink`` verbs and flags).

Flags follow Flink per verb (``-p`` is parallelism for ``run`` but the
savepoint path for ``stop``; ``-d`` is detached / dispose / drain), long
options are kebab-case with Flink's camelCase spellings as aliases, and
PyFlink's multi-character short flags (``-py``, ``-pym``, ``-pyfs`` ...) work
for ``run``. Every option also reads an environment variable
``FLINKPY_<VERB>_<OPTION>`` (e.g. ``FLINKPY_RUN_JOBMANAGER``).
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import importlib
import json
import logging
import os
import runpy
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any, NoReturn

import click
from flink_py.client.cluster_client import (
    ClusterClient,
    JobExecutionException,
    JobManagerUnreachable,
)
from flink_py.client.context import ClientContext, set_context
from flink_py.common.runtime.config import ConfigError, FlinkConfig, load_config

__all__ = ["cli", "main"]

_DASHES = "-" * 60
_TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED"})


def _config(conf_dir: str | None, dynamic: tuple[str, ...],
            flags: dict[str, Any] | None = None) -> FlinkConfig:
    """The layered configuration; ``flags`` (options typed as CLI flags) win over ``-D``."""
    try:
        config = load_config(conf_dir, dynamic)
        if flags:
            config = config.with_overrides(flags, source="command-line flags")
        return config
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _jm_address(config: FlinkConfig, jobmanager: str | None) -> str:
    """``host:port`` of the JobManager; fails at once for an address that cannot work."""
    if jobmanager:
        address = jobmanager if ":" in jobmanager else f"{jobmanager}:{config.get('jobmanager.rpc.port')}"
    else:
        address = f"{config.get('jobmanager.rpc.address')}:{config.get('jobmanager.rpc.port')}"
    problem = _address_problem(address)
    if problem:
        _fail(problem)
    return address


#: gRPC target schemes passed through unchecked (gRPC resolves them itself).
_GRPC_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")


def _address_problem(address: str) -> str | None:
    """Why ``address`` cannot name a JobManager (not ``host:port``, unknown host), or None."""
    if address.startswith(_GRPC_SCHEMES):
        return None
    host, sep, port = address.rpartition(":")
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return (f"Invalid JobManager address '{address}': expected HOST:PORT with a port "
                "number, e.g. localhost:6123")
    try:
        socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return f"Could not resolve the JobManager host '{host}' (of {address}): {reason}"
    return None


def _bind_problem(host: str, port: int) -> str | None:
    """Why a server could not listen on ``host:port`` (checked before gRPC tries), or None."""
    if not port:
        return None  # any free port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot resolve the bind host '{host}': {getattr(exc, 'strerror', None) or exc}"
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"address {host}:{port} is already in use"
            return f"cannot bind to {host}:{port}: {exc.strerror or exc}"
    return None


def _logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-5s %(name)s: %(message)s")


def _fail(message: str) -> NoReturn:
    """Flink's client error: a dashed line, the header, the message; exit code 1."""
    click.echo(f"\n{_DASHES}\n The program finished with the following exception:\n", err=True)
    click.echo(message.rstrip("\n"), err=True)
    sys.exit(1)


def _die(message: str) -> NoReturn:
    """One line on stderr, exit code 1 (for the server verbs)."""
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
                                 help="The JobManager to talk to (default "
                                      "jobmanager.rpc.address:jobmanager.rpc.port).")
type_option = click.option("--type", "sp_type", default=None,
                           type=click.Choice(["canonical", "native"], case_sensitive=False),
                           help="Savepoint format; accepted for Flink compatibility (flink-py "
                                "writes one format).")
detached_option = click.option("-detached", "--detached", "detached", is_flag=True,
                               help="Return once the savepoint is triggered; do not wait for it.")


@click.group(context_settings={"auto_envvar_prefix": "FLINKPY"})
@click.version_option(package_name="flink-py")
def cli() -> None:
    """flink-py: Apache Flink's runtime and DataStream API, Python-native.

    Options also read FLINKPY_<VERB>_<OPTION> environment variables, e.g.
    FLINKPY_RUN_JOBMANAGER=host:6123.
    """


# -- servers --------------------------------------------------------------------------------


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
    bind_host = host or str(config.get("jobmanager.bind-host"))
    bind_port = int(config.get("jobmanager.rpc.port") if port is None else port)
    problem = _bind_problem(bind_host, bind_port)
    if problem:
        _die(f"Could not start the JobManager: {problem}")
    _logging("INFO")
    try:
        jm = JobManager(config, host=host, port=port).start()
    except (OSError, RuntimeError):
        problem = _bind_problem(bind_host, bind_port) or f"cannot bind to {bind_host}:{bind_port}"
        _die(f"Could not start the JobManager: {problem}")
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
    address = jm if jm and ":" in jm else None
    if jm and address is None:
        address = f"{jm}:{config.get('jobmanager.rpc.port')}"
    address = address or f"{config.get('jobmanager.rpc.address')}:{config.get('jobmanager.rpc.port')}"
    problem = _address_problem(address)
    if problem:
        _die(f"Could not start the TaskManager: {problem}")
    bind_host = host or str(config.get("taskmanager.bind-host"))
    for key in ("taskmanager.rpc.port", "taskmanager.data.port"):
        problem = _bind_problem(bind_host, int(config.get(key)))
        if problem:
            _die(f"Could not start the TaskManager: {problem} ({key})")
    _logging("INFO")
    try:
        tm = TaskManager(config, address, slots=slots, host=host)
    except ValueError as exc:
        _die(f"Could not start the TaskManager: {exc}")
    try:
        tm.start()
    except (ConnectionError, ValueError, RuntimeError, OSError) as exc:
        tm.stop()  # the slot workers already started
        reason = str(exc)
        if "Failed to bind" in reason:  # gRPC's RuntimeError for the rpc port
            port = int(config.get("taskmanager.rpc.port"))
            reason = _bind_problem(bind_host, port) or f"cannot bind to {bind_host}:{port}"
        _die(f"Could not start the TaskManager: {reason}")
    if ready_file:
        _write_ready(ready_file, tm.tm_id)
    _wait_for_signal(tm.stop)


def _write_ready(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# -- run ------------------------------------------------------------------------------------


class _ProgramCommand(click.Command):
    """``run [OPTIONS] <job> [ARGS]``: options end at the job, the rest is the program's.

    As in Flink, the first non-option word is the job file and everything after
    it belongs to the program, even words that look like options
    (``run job.py --input x``). After ``-py``/``-pym``/``-e`` named the job, an
    unknown option also starts the program's arguments
    (``run -py job.py --input x``); before that it is an error.
    """

    #: Options that name the program (so the positional words are all its arguments).
    PROGRAM_OPTIONS = frozenset({"-py", "--python", "-pym", "--pyModule", "--py-module",
                                 "-e", "--entry"})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._split(ctx, list(args)))

    def _split(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)
        out: list[str] = []
        named = False
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                return out + args[i:]
            if not arg.startswith("-") or arg == "-":
                break
            if arg in takes_value:
                named = named or arg in self.PROGRAM_OPTIONS
                take = 2 if takes_value[arg] else 1
                out += args[i:i + take]
                i += take
                continue
            name = arg.split("=", 1)[0]
            if "=" in arg and takes_value.get(name):
                named = named or name in self.PROGRAM_OPTIONS
                out.append(arg)
                i += 1
                continue
            if not arg.startswith("--") and arg[:2] in takes_value:  # -p4, -Dk=v, -dn
                out.append(arg)
                i += 1
                for pos in range(1, len(arg)):
                    short = f"-{arg[pos]}"
                    if short not in takes_value:
                        break  # click reports it
                    if takes_value[short]:
                        if pos == len(arg) - 1 and i < len(args):
                            out.append(args[i])  # the value is the next word
                            i += 1
                        break
                continue
            if named:
                break  # an option of the program
            out.append(arg)  # unknown before the job: click reports it
            i += 1
        rest = args[i:]
        return [*out, "--", *rest] if rest else out


@dataclasses.dataclass
class _Program:
    """What ``run`` executes: a file, a module (``-pym``) or an entry point (``-e``)."""

    kind: str  # "file" | "module" | "entry"
    target: str
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        return {"file": "The job file", "module": "The module",
                "entry": "The entry point"}[self.kind] + f" '{self.target}'"


@cli.command(cls=_ProgramCommand, options_metavar="[OPTIONS]")
@jobmanager_option
@click.option("-p", "--parallelism", type=int, default=None, help="Default parallelism of the job.")
@click.option("-d", "--detached", "-detached", "detached", is_flag=True,
              help="Return after submission.")
@click.option("-s", "--from-savepoint", "--fromSavepoint", "from_savepoint", default=None,
              metavar="PATH", help="Restore the job from this savepoint or retained checkpoint "
                                   "(execution.state-recovery.path).")
@click.option("-n", "--allow-non-restored-state", "--allowNonRestoredState", "allow_non_restored",
              is_flag=True, help="Skip snapshot state that maps to no operator of the job "
                                 "(execution.state-recovery.ignore-unclaimed-state).")
@click.option("--claim-mode", "--claimMode", "--restoreMode", "claim_mode", default=None,
              type=click.Choice(["CLAIM", "NO_CLAIM", "LEGACY"], case_sensitive=False),
              help="Who owns the restored snapshot's files (execution.state-recovery.claim-mode; "
                   "recorded: flink-py never deletes a restored snapshot).")
@click.option("-t", "--target", default=None,
              type=click.Choice(["local", "remote"], case_sensitive=False),
              help="local: the embedded cluster; remote: the JobManager of -m or the "
                   "configuration.")
@click.option("--name", default=None, help="pipeline.name: the name of a job whose program "
                                           "calls execute() without one.")
@click.option("-py", "--python", "python_file", default=None, metavar="FILE.py",
              help="The job file (instead of the first argument).")
@click.option("-pym", "--pyModule", "--py-module", "py_module", default=None, metavar="MODULE",
              help="Run this module as the job (found on sys.path, e.g. via -pyfs).")
@click.option("-e", "--entry", "entry", default=None, metavar="MODULE:FUNCTION",
              help="Import MODULE (or load FILE.py) and call FUNCTION() as the job.")
@click.option("-pyfs", "--pyFiles", "--py-files", "py_files", multiple=True, metavar="a,b,...",
              help="Python files, package directories or archives for the job "
                   "(python.files, like env.add_python_file); importable by the program too.")
@click.option("-pyreq", "--pyRequirements", "--py-requirements", "py_requirements", default=None,
              metavar="FILE[#DIR]", help="requirements.txt (python.requirements; recorded, "
                                         "nothing is installed).")
@click.option("-pyarch", "--pyArchives", "--py-archives", "py_archives", multiple=True,
              metavar="a[#dir],...", help="Archives (python.archives; recorded, not shipped).")
@click.option("-pyexec", "--pyExecutable", "--py-executable", "py_executable", default=None,
              metavar="PATH", help="Worker interpreter (python.executable; recorded: slot "
                                   "workers run the TaskManager's interpreter).")
@click.option("-pyclientexec", "--pyClientExecutable", "--py-client-executable",
              "py_client_executable", default=None, metavar="PATH",
              help="Client interpreter (python.client.executable; recorded: the client is the "
                   "interpreter running flink-py).")
@click.option("-c", "--class", "entry_class", default=None, metavar="CLASS",
              help="Java entry class: not supported, flink-py runs Python jobs.")
@conf_dir_option
@dynamic_option
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[JOB_FILE] [ARGS]...")
def run(jobmanager: str | None, parallelism: int | None, detached: bool,
        from_savepoint: str | None, allow_non_restored: bool, claim_mode: str | None,
        target: str | None, name: str | None, python_file: str | None, py_module: str | None,
        entry: str | None, py_files: tuple[str, ...], py_requirements: str | None,
        py_archives: tuple[str, ...], py_executable: str | None,
        py_client_executable: str | None, entry_class: str | None, conf_dir: str | None,
        dynamic: tuple[str, ...], args: tuple[str, ...]) -> None:
    """Run a job (on the embedded local cluster unless -m or a configured JobManager).

    The job is JOB_FILE, -py FILE.py, -pym MODULE or -e MODULE:FUNCTION; the
    words after it are the program's arguments (sys.argv[1:]).
    """
    if entry_class:
        _fail(f"flink-py runs Python jobs: -c/--class names a Java entry class "
              f"('{entry_class}'). Give the job as JOB_FILE, -py FILE.py, -pym MODULE or "
              "-e MODULE:FUNCTION.")
    program = _program(python_file, py_module, entry, args)
    if parallelism is not None and parallelism < 1:
        raise click.BadParameter("must be at least 1", param_hint="'-p' / '--parallelism'")
    files = [f.strip() for value in py_files for f in value.split(",") if f.strip()]
    for f in files:
        if not os.path.exists(os.path.expanduser(f.removeprefix("file://"))):
            raise click.BadParameter(f"'{f}' does not exist", param_hint="'-pyfs' / '--pyFiles'")
    flags: dict[str, Any] = {}
    if from_savepoint:
        flags["execution.state-recovery.path"] = from_savepoint
    if allow_non_restored:
        flags["execution.state-recovery.ignore-unclaimed-state"] = "true"
    if claim_mode:
        flags["execution.state-recovery.claim-mode"] = claim_mode.upper()
    if name:
        flags["pipeline.name"] = name
    if files:
        flags["python.files"] = ",".join(files)
    if py_requirements:
        flags["python.requirements"] = py_requirements
    archives = [a.strip() for value in py_archives for a in value.split(",") if a.strip()]
    if archives:
        flags["python.archives"] = ",".join(archives)
    if py_executable:
        flags["python.executable"] = py_executable
    if py_client_executable:
        flags["python.client.executable"] = py_client_executable
    config = _config(conf_dir, dynamic, flags)
    if program.kind == "file":
        if program.target.endswith(".jar"):
            _fail(f"flink-py runs Python jobs, not jars ('{program.target}'). Give the job as "
                  "JOB_FILE.py, -py FILE.py, -pym MODULE or -e MODULE:FUNCTION.")
        if not os.path.isfile(program.target):
            raise click.ClickException(f"Job file '{program.target}' does not exist")
    address = _target_address(config, jobmanager, (target or "").lower() or None)
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
    _run_program(program, ctx, _import_paths(files))
    if not ctx.submitted:
        _fail(f"{program.label} did not submit a job: it never called "
              "env.execute(), execute_async() or execute_and_collect().")
    if not detached:
        click.echo("Program execution finished")
        for job_id in ctx.submitted:
            click.echo(f"Job with JobID {job_id} has finished.")
        click.echo(f"Job Runtime: {int((time.monotonic() - started) * 1000)} ms")


def _program(python_file: str | None, py_module: str | None, entry: str | None,
             args: tuple[str, ...]) -> _Program:
    named = [(kind, value) for kind, value in
             (("file", python_file), ("module", py_module), ("entry", entry)) if value]
    if len(named) > 1:
        raise click.UsageError("Give one job: -py FILE.py, -pym MODULE or -e MODULE:FUNCTION")
    if named:
        kind, value = named[0]
        if kind == "entry":
            module, sep, attr = value.rpartition(":")
            if not sep or not module or not attr.isidentifier():
                raise click.BadParameter(f"'{value}' is not MODULE:FUNCTION",
                                         param_hint="'-e' / '--entry'")
        return _Program(kind, value, args)
    if not args:
        raise click.UsageError("Missing the job: flink-py run [OPTIONS] JOB_FILE [ARGS]... "
                               "(or -py FILE.py, -pym MODULE, -e MODULE:FUNCTION)")
    return _Program("file", args[0], args[1:])


def _target_address(config: FlinkConfig, jobmanager: str | None, target: str | None) -> str | None:
    """The JobManager to submit to; None means the embedded local cluster."""
    configured = config.is_set("jobmanager.rpc.address")
    if target == "local":
        if jobmanager:
            raise click.UsageError("-t local runs the job on the embedded cluster; drop "
                                   "-m/--jobmanager or use -t remote")
        return None
    if target == "remote" and not (jobmanager or configured):
        raise click.UsageError("-t remote needs a JobManager: give -m HOST:PORT or set "
                               "jobmanager.rpc.address")
    if jobmanager or configured:
        return _jm_address(config, jobmanager)
    return None


def _import_paths(files: list[str]) -> list[str]:
    """``sys.path`` entries that make -pyfs files importable in the client (as on workers)."""
    out = []
    for f in files:
        path = os.path.abspath(os.path.expanduser(f.removeprefix("file://")))
        out.append(os.path.dirname(path) if path.endswith(".py") else path)
    return out


def _run_program(program: _Program, ctx: ClientContext, import_paths: list[str]) -> None:
    """Execute the program with ``ctx`` installed; failures end the CLI in Flink's format."""
    set_context(ctx)
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [program.target, *program.args]
    sys.path[:0] = import_paths
    if program.kind == "file":
        sys.path.insert(0, os.path.dirname(os.path.abspath(program.target)))
    else:
        sys.path.insert(0, os.getcwd())
    try:
        if program.kind == "file":
            runpy.run_path(program.target, run_name="__main__")
        elif program.kind == "module":
            runpy.run_module(program.target, run_name="__main__", alter_sys=True)
        else:
            _call_entry(program.target)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    except (JobExecutionException, JobManagerUnreachable) as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the user's program failed
        from flink_py.client.graph import GraphError

        if isinstance(exc, (GraphError, ValueError, ConfigError)) and not _raised_by_user(exc):
            _fail(f"{type(exc).__name__}: {exc}")
        _fail(_user_traceback(exc))
    finally:
        sys.argv = old_argv
        sys.path[:] = old_path
        set_context(None)


def _call_entry(entry: str) -> None:
    """``-e MODULE:FUNCTION`` (or ``FILE.py:FUNCTION``): load it, then call the function."""
    import cloudpickle

    module_name, _, attr = entry.rpartition(":")
    if module_name.endswith(".py"):
        if not os.path.isfile(module_name):
            _fail(f"Entry file '{module_name}' does not exist")
        sys.path.insert(0, os.path.dirname(os.path.abspath(module_name)))
        namespace = runpy.run_path(module_name, run_name="__flink_py_entry__")
        func = namespace.get(attr)
    else:
        module = importlib.import_module(module_name)
        # The job's functions travel by value, as those of a job file do.
        cloudpickle.register_pickle_by_value(module)
        func = getattr(module, attr, None)
    if not callable(func):
        _fail(f"Entry point '{entry}': '{module_name}' has no function '{attr}'")
    func()


def _user_traceback(exc: BaseException) -> str:
    """The traceback without the frames of the CLI and runpy (the user's frames stay)."""
    te = traceback.TracebackException.from_exception(exc)
    kept = [f for f in te.stack if not _launcher_frame(f.filename)]
    te.stack = traceback.StackSummary.from_list(kept)
    return "".join(te.format())


def _launcher_frame(filename: str) -> bool:
    if filename in ("<frozen runpy>", "<frozen importlib._bootstrap>",
                    "<frozen importlib._bootstrap_external>"):
        return True
    path = os.path.abspath(filename)
    return path in (os.path.abspath(__file__), os.path.abspath(runpy.__file__),
                    os.path.abspath(importlib.__file__))


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


# -- client verbs ---------------------------------------------------------------------------


def _client(config: FlinkConfig, jobmanager: str | None) -> ClusterClient:
    address = _jm_address(config, jobmanager)
    try:
        return ClusterClient(address)
    except JobManagerUnreachable as exc:
        _fail(str(exc))


def _fmt_time(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%d.%m.%Y %H:%M:%S")  # noqa: DTZ006


@cli.command(name="list")
@jobmanager_option
@click.option("-r", "--running", is_flag=True, help="Only running jobs.")
@click.option("-s", "--scheduled", is_flag=True, help="Only scheduled jobs (waiting for slots).")
@click.option("-a", "--all", "show_all", is_flag=True, help="All jobs, terminated ones too.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"jobs": [{"jid", "name", "state", "start-time", "end-time"}]} '
                   "(times in epoch ms, end-time -1 while running) instead of the table.")
@conf_dir_option
@dynamic_option
def list_jobs(jobmanager: str | None, running: bool, scheduled: bool, show_all: bool,
              as_json: bool, conf_dir: str | None, dynamic: tuple[str, ...]) -> None:
    """List running and scheduled jobs (with -a also terminated ones)."""
    config = _config(conf_dir, dynamic)
    if not (running or scheduled or show_all):
        running = scheduled = True  # Flink's default: running and scheduled jobs
    with _client(config, jobmanager) as client:
        if not as_json:
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
    if as_json:
        shown = [j for visible, _, selected, _ in sections if visible for j in selected]
        click.echo(json.dumps({"jobs": [
            {"jid": j.job_id, "name": j.name, "state": j.state, "start-time": j.start_time_ms,
             "end-time": j.end_time_ms or -1} for j in shown]}))
        return
    for visible, header, selected, empty in sections:
        if not visible:
            continue
        if selected:
            click.echo(header)
            for j in selected:
                click.echo(f"{_fmt_time(j.start_time_ms)} : {j.job_id} : {j.name} ({j.state})")
            click.echo("-" * len(header))
        elif empty:
            click.echo(empty)


@cli.command()
@jobmanager_option
@conf_dir_option
@dynamic_option
@click.argument("job_id")
def cancel(jobmanager: str | None, conf_dir: str | None, dynamic: tuple[str, ...], job_id: str) -> None:
    """Cancel a job (it ends CANCELED); a job that already ended cannot be cancelled."""
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        click.echo(f"Cancelling job {job_id}.")
        try:
            state = client.get_job(job_id).info.state
            if state not in _TERMINAL:
                client.cancel(job_id)
                after = client.get_job(job_id).info.state
                if after in ("FINISHED", "FAILED"):  # it ended on its own meanwhile
                    state = after
        except KeyError:
            _fail(f"Job {job_id} not found")
        except (JobManagerUnreachable, ValueError) as exc:
            _fail(str(exc))
        if state in _TERMINAL:
            _fail(f"Job {job_id} is already {state}; it cannot be cancelled.")
        click.echo(f"Cancelled job {job_id}.")


@cli.command()
@jobmanager_option
@click.option("-d", "--dispose", "dispose", default=None, metavar="PATH",
              help="Delete the savepoint at PATH instead of taking one.")
@detached_option
@type_option
@conf_dir_option
@dynamic_option
@click.argument("job_id", required=False)
@click.argument("target_directory", required=False)
def savepoint(jobmanager: str | None, dispose: str | None, detached: bool, sp_type: str | None,
              conf_dir: str | None, dynamic: tuple[str, ...], job_id: str | None,
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
        if detached:
            click.echo(f"Triggering savepoint in detached mode for job {job_id}.")
            _detached(client, "TriggerSavepoint", job_id, target_directory, drain=False)
            click.echo("Successfully trigger manual savepoint (flink-py has no trigger ids: "
                       "the savepoint appears in the target directory).")
            return
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
@click.option("-p", "--savepoint-path", "--savepointPath", "savepoint_path", default=None,
              metavar="DIR",
              help="Savepoint directory (default execution.checkpointing.savepoint-dir).")
@click.option("-d", "--drain", is_flag=True,
              help="Emit the maximum watermark before the savepoint (fires all event-time "
                   "windows and timers); only for stopping a job for good.")
@detached_option
@type_option
@conf_dir_option
@dynamic_option
@click.argument("job_id")
def stop(jobmanager: str | None, savepoint_path: str | None, drain: bool, detached: bool,
         sp_type: str | None, conf_dir: str | None, dynamic: tuple[str, ...], job_id: str) -> None:
    """Stop JOB_ID with a savepoint (the job ends FINISHED)."""
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        click.echo(f'Suspending job "{job_id}" with a savepoint.')
        if detached:
            _detached(client, "StopWithSavepoint", job_id, savepoint_path, drain)
            click.echo("Successfully trigger stop with savepoint (flink-py has no trigger ids: "
                       "the savepoint appears in the target directory).")
            return
        try:
            path = client.stop_with_savepoint(job_id, savepoint_path, drain)
        except KeyError:
            _fail(f"Job {job_id} not found")
        except ValueError as exc:
            _fail(str(exc))
        click.echo(f"Savepoint completed. Path: {_uri(path)}")


@cli.command()
@jobmanager_option
@click.option("-full", "--full", "full", is_flag=True,
              help="A full checkpoint (FULL instead of CONFIGURED): it references no file of "
                   "an earlier checkpoint, even with incremental snapshots.")
@conf_dir_option
@dynamic_option
@click.argument("job_id")
def checkpoint(jobmanager: str | None, full: bool, conf_dir: str | None,
               dynamic: tuple[str, ...], job_id: str) -> None:
    """Trigger a checkpoint of JOB_ID and wait for it.

    A regular checkpoint, written to <execution.checkpointing.dir>/<JOB_ID>/chk-<n>
    (restore it with run -s); it also works with periodic checkpointing off, given
    a checkpoint directory.
    """
    config = _config(conf_dir, dynamic)
    with _client(config, jobmanager) as client:
        click.echo(f"Triggering checkpoint for job {job_id}.")
        click.echo("Waiting for response...")
        try:
            checkpoint_id, _ = client.trigger_checkpoint(job_id, full)
        except KeyError:
            _fail(f"Job {job_id} not found")
        except (JobManagerUnreachable, ValueError) as exc:
            _fail(str(exc))
        kind = "FULL" if full else "CONFIGURED"
        click.echo(f"Checkpoint({kind}) {checkpoint_id} for job {job_id} completed.")
        click.echo("You can resume your program from this checkpoint with the run command.")


#: How long a detached savepoint request is watched for an immediate refusal
#: (unknown job, no directory, job not running); the JobManager goes on without us.
_DETACHED_WATCH_S = 1.0


def _detached(client: ClusterClient, method: str, job_id: str, target: str | None,
              drain: bool) -> None:
    import grpc
    from flink_py.proto.flinkpy.v1 import jobmanager_pb2

    req = jobmanager_pb2.SavepointRequest(job_id=job_id, target_directory=target or "",
                                          drain=drain)
    future = getattr(client.stub, method).future(req)
    try:
        future.result(timeout=_DETACHED_WATCH_S)
    except grpc.FutureTimeoutError:
        return  # triggered and still running
    except grpc.RpcError as exc:
        code = exc.code()  # type: ignore[attr-defined]
        if code == grpc.StatusCode.NOT_FOUND:
            _fail(f"Job {job_id} not found")
        _fail(exc.details() or code.name)  # type: ignore[attr-defined]


def _uri(path: str) -> str:
    """A local path as Flink prints it (``file:/...``); URIs unchanged."""
    return path if "://" in path or path.startswith("file:") else f"file:{path}"


def main() -> None:
    """Console entry point."""
    cli(prog_name="flink-py")


if __name__ == "__main__":
    main()
