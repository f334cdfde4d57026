"""StreamExecutionEnvironment, as in ``pyflink.datastream``."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Iterable
from typing import Any

from flink_py.client.cluster_client import TERMINAL, ClusterClient, CollectIterator
from flink_py.client.context import ClientContext, current_context
from flink_py.datastream._transformation import Transformation
from flink_py.client.graph import build_job_graph, execution_plan
from flink_py.common.completable_future import CompletableFuture
from flink_py.common.execution_config import ExecutionConfig
from flink_py.common.job_id import JobID
from flink_py.common.job_status import JobStatus
from flink_py.common.restart_strategy import RestartStrategies, RestartStrategyConfiguration
from flink_py.common.checkpoint_config import CheckpointingMode
from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.jobgraph import JobGraph, new_id
from flink_py.datastream.checkpoint_config import CheckpointConfig
from flink_py.datastream.data_stream import DataStream
from flink_py.datastream.slot_sharing_group import SlotSharingGroup
from flink_py.datastream.state_backend import CustomStateBackend, StateBackend
from flink_py.datastream.time_characteristic import TimeCharacteristic
from flink_py.taskmanager.operators.sinks import CollectSinkOperator
from flink_py.taskmanager.operators.sources import SourceReaderOperator

__all__ = [
    "JobClient",
    "JobExecutionResult",
    "RuntimeExecutionMode",
    "StreamExecutionEnvironment",
]

DEFAULT_JOB_NAME = "Flink Streaming Job"

log = logging.getLogger(__name__)

#: PyFlink's delimiters of ``python.files``/``python.archives`` and of a path's parameter.
_FILE_DELIMITER = ","
_PARAM_DELIMITER = "#"


class RuntimeExecutionMode(enum.Enum):
    """``execution.runtime-mode``."""

    STREAMING = 0
    BATCH = 1
    AUTOMATIC = 2


class JobExecutionResult:
    """The result of a finished (or, detached, submitted) job."""

    def __init__(self, job_id: str, net_runtime_ms: int = 0) -> None:
        self._job_id = job_id
        self._net_runtime = net_runtime_ms

    def get_job_id(self) -> JobID:
        """The job's id (a ``JobID``: 32 hex characters)."""
        return JobID(self._job_id)

    def get_net_runtime(self) -> int:
        """Milliseconds from submission to the end of the job."""
        return self._net_runtime

    def get_accumulator_result(self, name: str) -> Any:
        """Accumulators are not collected yet: always None."""
        return None

    def get_all_accumulator_results(self) -> dict[str, Any]:
        """Accumulators are not collected yet: an empty dict."""
        return {}

    def __repr__(self) -> str:
        return f"JobExecutionResult(job_id={self._job_id})"


class JobClient:
    """A handle on a submitted job (``execute_async``), as PyFlink's ``JobClient``: the
    calls return :class:`CompletableFuture` objects (``.result()`` waits)."""

    def __init__(self, client: ClusterClient, job_id: str, on_done: Any = None) -> None:
        self._client = client
        self._job_id = job_id
        self._on_done = on_done
        self._result: CompletableFuture[JobExecutionResult] | None = None

    def get_job_id(self) -> JobID:
        """The job's id (a ``JobID``)."""
        return JobID(self._job_id)

    def get_job_status(self) -> CompletableFuture[JobStatus]:
        """The job's current state."""
        return CompletableFuture.completed(
            JobStatus[self._client.get_job(self._job_id).info.state])

    def cancel(self) -> CompletableFuture[None]:
        """Cancel the job (the future completes once the JobManager took the request)."""
        self._client.cancel(self._job_id)
        return CompletableFuture.completed(None)

    def trigger_savepoint(self, savepoint_directory: str | None = None,
                          format_type: Any = None) -> CompletableFuture[str]:
        """Take a savepoint; the future holds its path."""
        path = self._client.trigger_savepoint(self._job_id, savepoint_directory)
        return CompletableFuture.completed(path)

    def stop_with_savepoint(self, advance_to_end_of_event_time: bool = False,
                            savepoint_directory: str | None = None,
                            format_type: Any = None) -> CompletableFuture[str]:
        """Take a savepoint and end the job (``advance_to_end_of_event_time``: drain)."""
        path = self._client.stop_with_savepoint(self._job_id, savepoint_directory,
                                                drain=advance_to_end_of_event_time)
        return CompletableFuture.completed(path)

    def get_accumulators(self) -> CompletableFuture[dict[str, Any]]:
        """Accumulators are not collected: an empty dict."""
        return CompletableFuture.completed({})

    def get_job_execution_result(self) -> CompletableFuture[JobExecutionResult]:
        """The job's result: ``.result()`` waits for the end and raises if it did not
        finish (JobExecutionException)."""
        if self._result is None:
            self._result = CompletableFuture(self._wait, self._ended)
        return self._result

    def _ended(self) -> bool:
        return self._client.get_job(self._job_id).info.state in TERMINAL

    def _wait(self) -> JobExecutionResult:
        try:
            details = self._client.wait(self._job_id)
        finally:
            if self._on_done is not None:
                self._on_done()
                self._on_done = None
        info = details.info
        return JobExecutionResult(self._job_id, max(0, info.end_time_ms - info.start_time_ms))


class StreamExecutionEnvironment:
    """Where a streaming program is defined and executed."""

    def __init__(self, configuration: Any = None) -> None:
        self._ctx = current_context()
        base = self._ctx.config
        self._job_config: dict[str, Any] = {}
        self._state_backend: StateBackend | None = None
        self._checkpoint_storage: Any = None  # the CheckpointStorage object last set
        self._time_characteristic = TimeCharacteristic.EventTime
        self._slot_sharing_groups: dict[str, SlotSharingGroup] = {}
        self._local_parallelism = StreamExecutionEnvironment._default_local_parallelism
        if configuration is not None:
            self.configure(configuration)
        self._base_config = base
        self._parallelism: int | None = None
        self._max_parallelism: int | None = None
        self._runtime_mode: RuntimeExecutionMode | None = None
        self._sinks: list[Transformation] = []

    @staticmethod
    def get_execution_environment(configuration: Any = None) -> StreamExecutionEnvironment:
        """The environment for this program (local or the cluster of ``flink-py run``)."""
        return StreamExecutionEnvironment(configuration)

    # -- configuration -------------------------------------------------------
    def configure(self, configuration: Any) -> StreamExecutionEnvironment:
        """Apply job-level options (a Configuration or a dict of strings)."""
        values = configuration.to_dict() if hasattr(configuration, "to_dict") else dict(configuration)
        FlinkConfig().with_overrides(values)  # validate now: a bad value fails here
        self._job_config.update(values)
        return self

    @property
    def _config(self) -> FlinkConfig:
        return self._ctx.config.with_overrides(self._job_overrides())

    def _job_overrides(self) -> dict[str, Any]:
        """The job's options: ``_job_config`` plus what the state backend stands for.

        The backend's own keys (``state.backend.type``...) win; the checkpoint
        locations of the deprecated backends apply only where the job set none
        (an explicit checkpoint storage wins, as in Flink).
        """
        values = dict(self._job_config)
        backend = self._state_backend
        if backend is None:
            return values
        for key, value in backend._default_options().items():  # noqa: SLF001
            option = cfg.get_option(key)
            aliases = (key, *(option.deprecated_keys if option is not None else ()))
            if not any(alias in values for alias in aliases):
                values[key] = value
        for key, value in backend._options().items():  # noqa: SLF001
            option = cfg.get_option(key)
            for alias in option.deprecated_keys if option is not None else ():
                values.pop(alias, None)
            values[key] = value
        return values

    def set_parallelism(self, parallelism: int) -> StreamExecutionEnvironment:
        """Default parallelism of this program's operators."""
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, got {parallelism}")
        self._parallelism = parallelism
        return self

    def get_parallelism(self) -> int:
        """The program's default parallelism after precedence rules."""
        return (self._env_parallelism() or self._ctx.parallelism
                or int(self._config.get("parallelism.default")))

    def _env_parallelism(self) -> int | None:
        """``set_parallelism``, else the default local parallelism if one was set and applies."""
        if self._parallelism:
            return self._parallelism
        local = self._local_parallelism
        if self._ctx.local_parallelism_is_cores and not local:
            # PyFlink's LocalStreamEnvironment: the number of CPU cores
            local = os.cpu_count() or 1
        if (local and self._ctx.jobmanager is None and not self._ctx.parallelism
                and not self._config.is_set("parallelism.default")):
            return local
        return None

    #: ``set_default_local_parallelism`` (None: not set; the getter reports the CPU count).
    _default_local_parallelism: int | None = None

    def get_default_local_parallelism(self) -> int:
        """The default parallelism of environments running on the embedded local cluster.

        Unless set, a program run directly (``python job.py``) uses the number of CPU
        cores on the embedded cluster, as PyFlink's local environment; ``flink-py run``
        keeps ``parallelism.default``, as Flink's CLI.
        """
        return StreamExecutionEnvironment._default_local_parallelism or os.cpu_count() or 1

    def set_default_local_parallelism(self, parallelism: int) -> None:
        """Default parallelism of environments created afterwards that run locally.

        It applies (like Flink's static setting) when such an environment has no
        ``set_parallelism``, no ``-p`` and no ``parallelism.default``.
        """
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, got {parallelism}")
        StreamExecutionEnvironment._default_local_parallelism = int(parallelism)

    def set_max_parallelism(self, max_parallelism: int) -> StreamExecutionEnvironment:
        """Default max parallelism (number of key groups)."""
        if not 1 <= max_parallelism <= 32768:
            raise ValueError(f"max parallelism must be within 1..32768, got {max_parallelism}")
        self._max_parallelism = max_parallelism
        return self

    def get_max_parallelism(self) -> int:
        """The configured max parallelism, or -1 (computed per operator)."""
        return self._max_parallelism or int(self._config.get("pipeline.max-parallelism"))

    def set_runtime_mode(self, execution_mode: RuntimeExecutionMode) -> StreamExecutionEnvironment:
        """STREAMING, BATCH or AUTOMATIC (BATCH when every source is bounded)."""
        if not isinstance(execution_mode, RuntimeExecutionMode):
            msg = f"set_runtime_mode expects a RuntimeExecutionMode, got {execution_mode!r}"
            raise TypeError(msg)
        self._runtime_mode = execution_mode
        return self

    def get_config(self) -> ExecutionConfig:
        """The ExecutionConfig of this environment (a live view: setters apply here)."""
        return ExecutionConfig(self)

    def set_restart_strategy(self, restart_strategy_configuration: RestartStrategyConfiguration
                             ) -> StreamExecutionEnvironment:
        """Set the job's restart strategy (stored as ``restart-strategy.*`` job options)."""
        if not isinstance(restart_strategy_configuration, RestartStrategyConfiguration):
            msg = (f"set_restart_strategy expects a RestartStrategies configuration, got "
                   f"{restart_strategy_configuration!r}")
            raise TypeError(msg)
        for key in [k for k in self._job_config if k.startswith("restart-strategy")]:
            del self._job_config[key]
        self.configure(restart_strategy_configuration.to_config())
        return self

    def get_restart_strategy(self) -> RestartStrategyConfiguration:
        """The restart strategy the job will run with: without one set, PyFlink's
        ``FallbackRestartStrategyConfiguration`` (the cluster's default applies)."""
        return (RestartStrategies.from_config(self._config.to_dict())
                or RestartStrategies.fall_back_restart())

    def set_buffer_timeout(self, timeout_millis: int) -> StreamExecutionEnvironment:
        """Flush partly filled output batches after this many ms (-1: only when full)."""
        if timeout_millis < 0:
            self._job_config["execution.buffer-timeout.enabled"] = "false"
        else:
            self._job_config["execution.buffer-timeout.interval"] = str(timeout_millis)
        return self

    def get_buffer_timeout(self) -> int:
        """The output flush timeout in ms (-1: flush only full batches)."""
        config = self._config
        if not config.get("execution.buffer-timeout.enabled"):
            return -1
        return int(config.get("execution.buffer-timeout.interval"))

    def disable_operator_chaining(self) -> StreamExecutionEnvironment:
        """Run every operator in its own task."""
        self._job_config["pipeline.operator-chaining.enabled"] = "false"
        return self

    def is_chaining_enabled(self) -> bool:
        """Whether operators are chained (``pipeline.operator-chaining.enabled``)."""
        return bool(self._config.get("pipeline.operator-chaining.enabled"))

    def is_chaining_of_operators_with_different_max_parallelism_enabled(self) -> bool:
        """Whether operators of different max parallelism may share a chain (default True)."""
        return bool(self._config.get(
            "pipeline.operator-chaining.chain-operators-with-different-max-parallelism"))

    def register_slot_sharing_group(self, slot_sharing_group: SlotSharingGroup
                                    ) -> StreamExecutionEnvironment:
        """Register a slot-sharing group with its resource profile.

        flink-py's slots are uniform: the profile is kept, scheduling counts
        slots per group (max parallelism of the group's operators).
        """
        if not isinstance(slot_sharing_group, SlotSharingGroup):
            raise TypeError("register_slot_sharing_group expects a SlotSharingGroup, got "
                            f"{slot_sharing_group!r}")
        self._slot_sharing_groups[slot_sharing_group.get_name()] = slot_sharing_group
        return self

    # -- time characteristic (deprecated) --------------------------------------------
    def set_stream_time_characteristic(self, characteristic: TimeCharacteristic) -> None:
        """Deprecated (Flink 1.12): streams use event time when they carry timestamps.

        As in Flink, ProcessingTime sets the periodic watermark interval to 0
        and the other characteristics set it to 200 ms.
        """
        if not isinstance(characteristic, TimeCharacteristic):
            raise TypeError("set_stream_time_characteristic expects a TimeCharacteristic, got "
                            f"{characteristic!r}")
        self._time_characteristic = characteristic
        interval = 0 if characteristic is TimeCharacteristic.ProcessingTime else 200
        self._job_config["pipeline.auto-watermark-interval"] = f"{interval} ms"

    def get_stream_time_characteristic(self) -> TimeCharacteristic:
        """The time characteristic (EventTime unless set)."""
        return self._time_characteristic

    # -- dependencies ----------------------------------------------------------------
    def add_jars(self, *jars_path: str) -> None:
        """Accepted for PyFlink jobs: recorded in ``pipeline.jars``; there is no JVM to load them."""
        log.info("add_jars: flink-py runs no JVM; ignoring %s", ", ".join(jars_path))
        self._append_list("pipeline.jars", jars_path)

    def add_classpaths(self, *classpaths: str) -> None:
        """Accepted for PyFlink jobs: recorded in ``pipeline.classpaths``; there is no JVM."""
        log.info("add_classpaths: flink-py runs no JVM; ignoring %s", ", ".join(classpaths))
        self._append_list("pipeline.classpaths", classpaths)

    def _append_list(self, key: str, items: Iterable[str]) -> None:
        old = str(self._job_config.get(key) or "").strip()
        joined = ";".join(str(i) for i in items)
        self._job_config[key] = f"{old};{joined}" if old else joined

    def add_python_file(self, file_path: str) -> None:
        """Make a Python file, package directory or archive importable by the job's functions.

        Recorded in ``python.files``; the files travel with the job graph and
        are put on ``sys.path`` of the slot workers before the job's functions
        load (a ``.py`` file: its directory; a directory: itself; a ``.zip``:
        its contents; ``.whl``/``.egg``: the archive).
        """
        old = self._config.get("python.files")  # the job's, else `run -pyfs`
        self._job_config["python.files"] = (f"{file_path}{_FILE_DELIMITER}{old}" if old
                                            else str(file_path))

    def set_python_requirements(self, requirements_file_path: str,
                                requirements_cache_dir: str | None = None) -> None:
        """Record a requirements file (``python.requirements``); flink-py installs nothing.

        The TaskManagers run the job with the packages of their own interpreter.
        """
        value = str(requirements_file_path)
        if requirements_cache_dir is not None:
            value = f"{value}{_PARAM_DELIMITER}{requirements_cache_dir}"
        log.info("set_python_requirements: recorded %s; flink-py does not install packages "
                 "on the TaskManagers", value)
        self._job_config["python.requirements"] = value

    def add_python_archive(self, archive_path: str, target_dir: str | None = None) -> None:
        """Record an archive (``python.archives``); flink-py does not extract it on workers."""
        value = str(archive_path)
        if target_dir is not None:
            value = f"{value}{_PARAM_DELIMITER}{target_dir}"
        log.info("add_python_archive: recorded %s; flink-py does not ship archives", value)
        old = self._job_config.get("python.archives")
        self._job_config["python.archives"] = f"{old}{_FILE_DELIMITER}{value}" if old else value

    def set_python_executable(self, python_exec: str) -> None:
        """Record the worker interpreter (``python.executable``); slot workers keep theirs."""
        log.info("set_python_executable: recorded %s; slot workers run the TaskManager's "
                 "interpreter", python_exec)
        self._job_config["python.executable"] = str(python_exec)

    def register_cached_file(self, file_path: str, name: str, executable: bool = False) -> None:
        """Register a file for the distributed cache (recorded in ``pipeline.cached-files``)."""
        entry = f"name:{name},path:'{file_path}',executable:{str(bool(executable)).lower()}"
        self._append_list("pipeline.cached-files", [entry])

    # -- state backend and savepoints -----------------------------------------------
    def enable_changelog_state_backend(self, enabled: bool) -> StreamExecutionEnvironment:
        """Flink's changelog state backend (``state.changelog.enabled``): a checkpoint
        speed-up whose state and results are the same; flink-py records the choice."""
        self._job_config["state.changelog.enabled"] = "true" if enabled else "false"
        return self

    def is_changelog_state_backend_enabled(self) -> bool | None:
        """The ``enable_changelog_state_backend`` choice, or None when not set."""
        value = self._config.get("state.changelog.enabled")
        return None if value is None else bool(value)

    def set_state_backend(self, state_backend: StateBackend) -> StreamExecutionEnvironment:
        """Choose how keyed state is held: ``HashMapStateBackend`` or ``EmbeddedRocksDBStateBackend``.

        The backend becomes job options when the job is built
        (``state.backend.type``, ``execution.checkpointing.incremental``,
        ``state.backend.rocksdb.localdir``; the deprecated ``FsStateBackend`` /
        ``RocksDBStateBackend`` / ``MemoryStateBackend`` also give the
        checkpoint directory unless the checkpoint storage is set).
        """
        if not isinstance(state_backend, StateBackend):
            raise TypeError(f"set_state_backend expects a StateBackend, got {state_backend!r}")
        if isinstance(state_backend, CustomStateBackend):
            raise TypeError("custom (Java) state backends do not exist in flink-py; use "
                            "HashMapStateBackend or EmbeddedRocksDBStateBackend")
        self._state_backend = state_backend
        return self

    def get_state_backend(self) -> StateBackend | None:
        """The state backend given to :meth:`set_state_backend`, or None."""
        return self._state_backend

    def set_default_savepoint_directory(self, directory: str) -> StreamExecutionEnvironment:
        """Where savepoints triggered without a target go (``execution.checkpointing.savepoint-dir``)."""
        self._job_config.pop("state.savepoints.dir", None)
        self._job_config["execution.checkpointing.savepoint-dir"] = str(directory)
        return self

    def get_default_savepoint_directory(self) -> str | None:
        """The default savepoint directory of this job, or None."""
        return self._config.get("execution.checkpointing.savepoint-dir")

    def is_unaligned_checkpoints_enabled(self) -> bool:
        """Whether unaligned checkpoints are enabled (flink-py aligns: False unless configured)."""
        return self.get_checkpoint_config().is_unaligned_checkpoints_enabled()

    def is_force_unaligned_checkpoints(self) -> bool:
        """Whether unaligned checkpoints are forced (``...unaligned.forced``)."""
        value = self._config.get("execution.checkpointing.unaligned.forced", False)
        return str(value).lower() == "true"

    # -- checkpointing -------------------------------------------------------
    def enable_checkpointing(self, interval: int, mode: CheckpointingMode | None = None
                             ) -> StreamExecutionEnvironment:
        """Checkpoint every ``interval`` ms (``execution.checkpointing.interval``) in ``mode``."""
        config = self.get_checkpoint_config()
        config.set_checkpoint_interval(interval)
        if mode is not None:
            config.set_checkpointing_mode(mode)
        return self

    def get_checkpoint_config(self) -> CheckpointConfig:
        """The job's checkpoint settings; setters change this job's configuration."""
        return CheckpointConfig(self._job_config, lambda: self._config, self)

    def get_checkpoint_interval(self) -> int:
        """The checkpoint interval in ms, or -1 when checkpointing is off."""
        return self.get_checkpoint_config().get_checkpoint_interval()

    def get_checkpointing_mode(self) -> CheckpointingMode:
        """EXACTLY_ONCE or AT_LEAST_ONCE."""
        return self.get_checkpoint_config().get_checkpointing_mode()

    def get_checkpointing_consistency_mode(self) -> CheckpointingMode:
        """PyFlink 2.x name of :meth:`get_checkpointing_mode`."""
        return self.get_checkpointing_mode()

    # -- sources -------------------------------------------------------------
    def _add(self, t: Transformation, sink: bool = False) -> None:
        if sink:
            self._sinks.append(t)

    def from_collection(self, collection: Iterable[Any], type_info: Any = None) -> DataStream:
        """A non-parallel source emitting the elements of ``collection``."""
        from flink_py.datastream.connectors.collection import CollectionSource

        return self._from_source(CollectionSource(collection, type_info), None,
                                 "Collection Source", type_info)

    def from_source(self, source: Any, watermark_strategy: Any, source_name: str,
                    type_info: Any = None) -> DataStream:
        """A stream from a Source (NumberSequenceSource, FileSource, your own...).

        A source builder (``FileSource.for_record_stream_format(...)``) is
        built first. ``type_info`` overrides the source's produced type.
        """
        from flink_py.datastream.connectors.source import Source

        if not isinstance(source, Source) and hasattr(source, "build"):
            source = source.build()
        if not isinstance(source, Source):
            msg = (f"from_source('{source_name}'): expected a Source (see "
                   f"flink_py.datastream.connectors.source), got {type(source).__name__}")
            raise TypeError(msg)
        return self._from_source(source, watermark_strategy, source_name,
                                 type_info or source.get_produced_type())

    def _from_source(self, source: Any, watermark_strategy: Any, name: str,
                     type_info: Any) -> DataStream:
        t = Transformation("source", name, [], SourceReaderOperator(source, watermark_strategy),
                           type_info, non_parallel=not source.is_parallel())
        return DataStream(self, t)

    def add_source(self, source_func: Any, source_name: str = "Custom Source",
                   type_info: Any = None) -> DataStream:
        """A non-parallel stream from a legacy SourceFunction (``run(ctx)`` / ``cancel()``)."""
        from flink_py.taskmanager.operators.source_function import SourceFunctionOperator

        t = Transformation("source", source_name, [], SourceFunctionOperator(source_func),
                           type_info, non_parallel=True)
        return DataStream(self, t)

    def read_text_file(self, file_path: str, charset_name: str = "UTF-8") -> DataStream:
        """The lines of a file, or of every file below a directory, as STRING records.

        Large files are cut into byte ranges read in parallel; every line is
        read exactly once (a line belongs to the range holding its first
        byte). A trailing ``\\r`` is removed from each line. Paths may be
        local or any ``pyarrow.fs`` URI (``s3://``, ``hdfs://``...).
        """
        from flink_py.datastream.connectors.file_system import FileSource, StreamFormat

        fmt = StreamFormat.text_line_format(charset_name, split_on_cr=False)
        return self.from_source(FileSource.for_record_stream_format(fmt, file_path).build(),
                                None, "Custom File Source")

    def socket_text_stream(self, hostname: str, port: int, delimiter: str = "\n",
                           max_retry: int = 0) -> DataStream:
        """Lines read from a TCP socket (non-parallel), as Flink's ``socketTextStream``.

        When the peer closes the connection the source reconnects after 500 ms
        while fewer than ``max_retry`` attempts were made (``-1``: forever);
        otherwise it ends, and the job finishes once the rest of it does.
        """
        from flink_py.datastream.connectors.socket import SocketTextSource

        return self.from_source(SocketTextSource(hostname, port, delimiter, max_retry), None,
                                "Socket Stream")

    # -- execution -----------------------------------------------------------
    def _mode(self) -> str:
        """The runtime mode of the job: AUTOMATIC is BATCH when all sources are bounded."""
        mode = self._runtime_mode
        if mode is None:
            mode = RuntimeExecutionMode[str(self._config.get("execution.runtime-mode")).upper()]
        if mode is RuntimeExecutionMode.STREAMING:
            return mode.name
        unbounded = [t.name for t in _sources(self._sinks)
                     if not getattr(t.operator, "bounded", False)]
        if mode is RuntimeExecutionMode.AUTOMATIC:
            return "STREAMING" if unbounded else "BATCH"
        if unbounded:
            msg = (f"Detected an UNBOUNDED source ('{unbounded[0]}') with the "
                   "'execution.runtime-mode' set to 'BATCH'. This combination is not allowed, "
                   "please set the 'execution.runtime-mode' to STREAMING or AUTOMATIC")
            raise ValueError(msg)
        return mode.name

    def get_stream_graph_job(self, job_name: str | None = None, clear: bool = True) -> JobGraph:
        """The JobGraph this program would submit."""
        config = self._config
        name = job_name or (config.get("pipeline.name") if config.is_set("pipeline.name")
                            else DEFAULT_JOB_NAME)
        job_config = {k: str(v) for k, v in {**self._ctx.config.to_dict(),
                                             **self._job_overrides()}.items()
                      if v is not None}
        graph = build_job_graph(self._sinks, name, config, self._env_parallelism(),
                                self._max_parallelism, self._ctx.parallelism, self._mode(),
                                job_config)
        if clear:
            self._sinks = []
        return graph

    def get_execution_plan(self) -> str:
        """The program's StreamGraph as Flink's JSON plan (the program stays defined).

        ``{"nodes": [{"id", "type", "pact", "contents", "parallelism",
        "predecessors": [{"id", "ship_strategy", "side"}]}]}``: one node per
        operator with its resolved parallelism; ``ship_strategy`` is the
        partitioning of the edge (FORWARD, REBALANCE, HASH, ...).
        """
        return execution_plan(self._sinks, self._config, self._env_parallelism(),
                              self._max_parallelism, self._ctx.parallelism)

    def execute(self, job_name: str | None = None) -> JobExecutionResult:
        """Run the program and wait for it (or only submit it with ``-d``)."""
        job_client = self.execute_async(job_name)
        if self._ctx.detached:
            return JobExecutionResult(job_client.get_job_id())
        return job_client.get_job_execution_result().result()

    def execute_async(self, job_name: str | None = None) -> JobClient:
        """Submit the program and return a JobClient without waiting."""
        client, job_id, on_done = self._submit(self.get_stream_graph_job(job_name))
        return JobClient(client, job_id, on_done)

    def _submit(self, graph: JobGraph) -> tuple[ClusterClient, str, Any]:
        """Submit to the context's cluster; returns (client, job id, release callback)."""
        client, on_done = _connect(self._ctx, graph)
        try:
            job_id = client.submit(graph)
        except BaseException:
            on_done()
            raise
        self._ctx.submitted.append(job_id)
        if self._ctx.on_submit is not None:
            self._ctx.on_submit(job_id)
        return client, job_id, on_done

    def _execute_and_collect(self, stream: DataStream, job_name: str | None,
                             limit: int | None) -> Any:
        if limit is not None and (not isinstance(limit, int) or limit <= 0):
            # Flink's executeAndCollect(limit): checkState(limit > 0)
            raise ValueError(f"execute_and_collect: limit must be greater than 0, got {limit!r}")
        collect_id = new_id()
        # Flink's CollectStreamSink runs with parallelism 1: records arrive in one order
        sink = Transformation("operator", "Data stream collect sink",  # Flink's name
                              [(stream._t, 0)],  # noqa: SLF001
                              CollectSinkOperator(collect_id, stream._t.output_type),  # noqa: SLF001
                              parallelism=1)
        self._sinks.append(sink)
        client, job_id, on_done = self._submit(self.get_stream_graph_job(job_name))
        iterator = CollectIterator(client, job_id, collect_id, on_close=on_done)
        if limit is None:
            return iterator
        with iterator:
            out = []
            for value in iterator:
                out.append(value)
                if len(out) >= limit:
                    break
            return out

    def close(self) -> None:
        """Release resources (nothing is held between executions)."""


def _sources(sinks: list[Transformation]) -> list[Transformation]:
    """The source transformations reachable from ``sinks``."""
    seen: set[int] = set()
    found: list[Transformation] = []
    stack = list(sinks)
    while stack:
        t = stack.pop()
        if t.id in seen:
            continue
        seen.add(t.id)
        if t.kind == "source":
            found.append(t)
        stack += [up for up, _ in t.inputs]
    return found


def _connect(ctx: ClientContext, graph: JobGraph) -> tuple[ClusterClient, Any]:
    """A client for the context's cluster; starts an embedded one if needed.

    Returns:
        The client and a callback that releases what was started for it.
    """
    if ctx.jobmanager is not None:
        client = ClusterClient(ctx.jobmanager)
        return client, client.close
    from flink_py.client.local_cluster import LocalCluster

    cluster = LocalCluster(ctx.config, slots=graph.total_slots()).start()
    client = ClusterClient(cluster.address)

    def release() -> None:
        client.close()
        cluster.stop()

    return client, release
