"""StreamExecutionEnvironment, as in ``pyflink.datastream``."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from flink_py.client.cluster_client import ClusterClient, CollectIterator
from flink_py.client.context import ClientContext, current_context
from flink_py.datastream._transformation import Transformation
from flink_py.client.graph import build_job_graph
from flink_py.common.execution_config import ExecutionConfig
from flink_py.common.restart_strategy import RestartStrategies, RestartStrategyConfiguration
from flink_py.common.checkpoint_config import CheckpointConfig, CheckpointingMode
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.jobgraph import JobGraph, new_id
from flink_py.datastream.data_stream import DataStream
from flink_py.taskmanager.operators.sinks import CollectSinkOperator
from flink_py.taskmanager.operators.sources import SourceReaderOperator

__all__ = [
    "JobClient",
    "JobExecutionResult",
    "RuntimeExecutionMode",
    "StreamExecutionEnvironment",
]

DEFAULT_JOB_NAME = "Flink Streaming Job"


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

    def get_job_id(self) -> str:
        """The job's id (32 hex characters)."""
        return self._job_id

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
    """A handle on a submitted job (``execute_async``)."""

    def __init__(self, client: ClusterClient, job_id: str, on_done: Any = None) -> None:
        self._client = client
        self._job_id = job_id
        self._on_done = on_done

    def get_job_id(self) -> str:
        """The job's id."""
        return self._job_id

    def get_job_status(self) -> str:
        """The job's current state name."""
        return self._client.get_job(self._job_id).info.state

    def cancel(self) -> None:
        """Cancel the job."""
        self._client.cancel(self._job_id)

    def get_job_execution_result(self) -> JobExecutionResult:
        """Wait for the job to end; raise if it did not finish."""
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
        return self._ctx.config.with_overrides(self._job_config)

    def set_parallelism(self, parallelism: int) -> StreamExecutionEnvironment:
        """Default parallelism of this program's operators."""
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, got {parallelism}")
        self._parallelism = parallelism
        return self

    def get_parallelism(self) -> int:
        """The program's default parallelism after precedence rules."""
        return (self._parallelism or self._ctx.parallelism
                or int(self._config.get("parallelism.default")))

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

    def get_restart_strategy(self) -> RestartStrategyConfiguration | None:
        """The restart strategy the job will run with (None: the cluster's default)."""
        return RestartStrategies.from_config(self._config.to_dict())

    def set_buffer_timeout(self, timeout_millis: int) -> StreamExecutionEnvironment:
        """Flush partly filled output batches after this many ms (-1: only when full)."""
        if timeout_millis < 0:
            self._job_config["execution.buffer-timeout.enabled"] = "false"
        else:
            self._job_config["execution.buffer-timeout.interval"] = str(timeout_millis)
        return self

    def disable_operator_chaining(self) -> StreamExecutionEnvironment:
        """Run every operator in its own task."""
        self._job_config["pipeline.operator-chaining.enabled"] = "false"
        return self

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
        return CheckpointConfig(self._job_config, lambda: self._config)

    def get_checkpoint_interval(self) -> int:
        """The checkpoint interval in ms, or -1 when checkpointing is off."""
        return self.get_checkpoint_config().get_checkpoint_interval()

    def get_checkpointing_mode(self) -> CheckpointingMode:
        """EXACTLY_ONCE or AT_LEAST_ONCE."""
        return self.get_checkpoint_config().get_checkpointing_mode()

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
        job_config = {k: str(v) for k, v in {**self._ctx.config.to_dict(), **self._job_config}.items()
                      if v is not None}
        graph = build_job_graph(self._sinks, name, config, self._parallelism,
                                self._max_parallelism, self._ctx.parallelism, self._mode(),
                                job_config)
        if clear:
            self._sinks = []
        return graph

    def execute(self, job_name: str | None = None) -> JobExecutionResult:
        """Run the program and wait for it (or only submit it with ``-d``)."""
        job_client = self.execute_async(job_name)
        if self._ctx.detached:
            return JobExecutionResult(job_client.get_job_id())
        return job_client.get_job_execution_result()

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
        collect_id = new_id()
        # Flink's CollectStreamSink runs with parallelism 1: records arrive in one order
        sink = Transformation("operator", "Collect Sink", [(stream._t, 0)],  # noqa: SLF001
                              CollectSinkOperator(collect_id), parallelism=1)
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
