"""``ExecutionConfig``, as in ``pyflink.common.execution_config``.

``env.get_config()`` returns a view on the environment: every setter writes
the matching Flink option into the job's configuration (or the environment's
parallelism), so the settings travel with the job graph to the TaskManagers.

Global job parameters are stored as ``pipeline.global-job-parameters.<key>``
entries (the flattened form of Flink's ``pipeline.global-job-parameters``
map); ``RuntimeContext.get_job_parameter(key, default)`` reads them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLOBAL_JOB_PARAMETERS_PREFIX", "ExecutionConfig", "global_job_parameters"]

GLOBAL_JOB_PARAMETERS_PREFIX = "pipeline.global-job-parameters."

_WATERMARK_INTERVAL = "pipeline.auto-watermark-interval"
_OBJECT_REUSE = "pipeline.object-reuse"
_SNAPSHOT_COMPRESSION = "execution.checkpointing.snapshot-compression"
_AUTO_UIDS = "pipeline.auto-generate-uids"
_CLOSURE_CLEANER = "pipeline.closure-cleaner-level"
_LATENCY_INTERVAL = "metrics.latency.interval"
_CANCELLATION_INTERVAL = "task.cancellation.interval"
_CANCELLATION_TIMEOUT = "task.cancellation.timeout"
_GENERIC_TYPES = "pipeline.generic-types"
_FORCE_KRYO = "pipeline.force-kryo"
_FORCE_AVRO = "pipeline.force-avro"


def global_job_parameters(config: dict[str, Any]) -> dict[str, str]:
    """The global job parameters held in a flat job configuration."""
    n = len(GLOBAL_JOB_PARAMETERS_PREFIX)
    return {k[n:]: str(v) for k, v in config.items()
            if k.startswith(GLOBAL_JOB_PARAMETERS_PREFIX)}


class ExecutionConfig:
    """The execution options of one StreamExecutionEnvironment."""

    PARALLELISM_DEFAULT = -1
    PARALLELISM_UNKNOWN = -2

    def __init__(self, env: Any) -> None:
        self._env = env

    # -- helpers -------------------------------------------------------------
    @property
    def _job_config(self) -> dict[str, Any]:
        return self._env._job_config  # noqa: SLF001

    def _get(self, key: str) -> Any:
        return self._env._config.get(key)  # noqa: SLF001

    def _set(self, key: str, value: Any) -> ExecutionConfig:
        self._env.configure({key: value})
        return self

    # -- restarts (PyFlink 1.x kept them here too) ----------------------------
    def set_restart_strategy(self, restart_strategy_configuration: Any) -> ExecutionConfig:
        """The job's restart strategy (as ``env.set_restart_strategy``)."""
        self._env.set_restart_strategy(restart_strategy_configuration)
        return self

    def get_restart_strategy(self) -> Any:
        """The restart strategy set for the job, or None."""
        return self._env.get_restart_strategy()

    # -- parallelism ---------------------------------------------------------
    def get_parallelism(self) -> int:
        """The environment's default parallelism, or ``PARALLELISM_DEFAULT`` when unset."""
        return self._env._parallelism or self.PARALLELISM_DEFAULT  # noqa: SLF001

    def set_parallelism(self, parallelism: int) -> ExecutionConfig:
        """Default parallelism of the program's operators."""
        self._env.set_parallelism(parallelism)
        return self

    def get_max_parallelism(self) -> int:
        """The program's max parallelism (-1: computed per operator)."""
        return int(self._env.get_max_parallelism())

    def set_max_parallelism(self, max_parallelism: int) -> ExecutionConfig:
        """Max parallelism (number of key groups) of the program's operators."""
        self._env.set_max_parallelism(max_parallelism)
        return self

    # -- watermarks and latency ----------------------------------------------
    def set_auto_watermark_interval(self, interval: int) -> ExecutionConfig:
        """Emit periodic watermarks every ``interval`` ms (0 disables them)."""
        if interval < 0:
            raise ValueError(f"auto watermark interval must not be negative, got {interval}")
        return self._set(_WATERMARK_INTERVAL, f"{int(interval)} ms")

    def get_auto_watermark_interval(self) -> int:
        """The periodic watermark interval in ms."""
        return int(self._get(_WATERMARK_INTERVAL))

    def set_latency_tracking_interval(self, interval: int) -> ExecutionConfig:
        """Interval of latency markers in ms (<= 0: off)."""
        return self._set(_LATENCY_INTERVAL, f"{max(0, int(interval))} ms")

    def get_latency_tracking_interval(self) -> int:
        """The latency marker interval in ms."""
        return int(self._get(_LATENCY_INTERVAL))

    # -- task cancellation ---------------------------------------------------
    def set_task_cancellation_interval(self, interval: int) -> ExecutionConfig:
        """Milliseconds between attempts to cancel a running task."""
        return self._set(_CANCELLATION_INTERVAL, f"{int(interval)} ms")

    def get_task_cancellation_interval(self) -> int:
        """Milliseconds between attempts to cancel a running task."""
        return int(self._get(_CANCELLATION_INTERVAL))

    def set_task_cancellation_timeout(self, timeout: int) -> ExecutionConfig:
        """Milliseconds after which a stuck cancellation is fatal (0: never)."""
        return self._set(_CANCELLATION_TIMEOUT, f"{int(timeout)} ms")

    def get_task_cancellation_timeout(self) -> int:
        """Milliseconds after which a stuck cancellation is fatal (0: never)."""
        return int(self._get(_CANCELLATION_TIMEOUT))

    # -- object reuse, uids, closure cleaner -----------------------------------
    def enable_object_reuse(self) -> ExecutionConfig:
        """Allow the runtime to reuse record objects (records are never copied here)."""
        return self._set(_OBJECT_REUSE, "true")

    def disable_object_reuse(self) -> ExecutionConfig:
        """Disallow object reuse (the default)."""
        return self._set(_OBJECT_REUSE, "false")

    def is_object_reuse_enabled(self) -> bool:
        """Whether object reuse is enabled."""
        return bool(self._get(_OBJECT_REUSE))

    # Java serializer choices: recorded for portability (records travel as Arrow columns or
    # pickles, never through Kryo or Avro).
    def enable_generic_types(self) -> ExecutionConfig:
        """Allow generic types (``pipeline.generic-types``, the default)."""
        return self._set(_GENERIC_TYPES, "true")

    def disable_generic_types(self) -> ExecutionConfig:
        """Disallow generic types (recorded)."""
        return self._set(_GENERIC_TYPES, "false")

    def has_generic_types_disabled(self) -> bool:
        """Whether generic types were disabled."""
        return not bool(self._get(_GENERIC_TYPES))

    def enable_force_kryo(self) -> ExecutionConfig:
        """Force Kryo for POJOs (``pipeline.force-kryo``; recorded)."""
        return self._set(_FORCE_KRYO, "true")

    def disable_force_kryo(self) -> ExecutionConfig:
        """Do not force Kryo (the default)."""
        return self._set(_FORCE_KRYO, "false")

    def is_force_kryo_enabled(self) -> bool:
        """Whether Kryo is forced."""
        return bool(self._get(_FORCE_KRYO))

    def enable_force_avro(self) -> ExecutionConfig:
        """Force Avro for POJOs (``pipeline.force-avro``; recorded)."""
        return self._set(_FORCE_AVRO, "true")

    def disable_force_avro(self) -> ExecutionConfig:
        """Do not force Avro (the default)."""
        return self._set(_FORCE_AVRO, "false")

    def is_force_avro_enabled(self) -> bool:
        """Whether Avro is forced."""
        return bool(self._get(_FORCE_AVRO))

    def get_registered_kryo_types(self) -> list[str]:
        """Classes registered with Kryo: none (no Kryo here)."""
        return []

    def get_registered_pojo_types(self) -> list[str]:
        """Registered POJO classes: none (Python records have no POJO serializer)."""
        return []

    def get_default_kryo_serializer_classes(self) -> dict[str, str]:
        """Default Kryo serializers: none."""
        return {}

    def set_use_snapshot_compression(self, use_snapshot_compression: bool) -> ExecutionConfig:
        """Compress state snapshots (``execution.checkpointing.snapshot-compression``;
        recorded: flink-py writes its snapshot files the same way)."""
        return self._set(_SNAPSHOT_COMPRESSION, "true" if use_snapshot_compression else "false")

    def is_use_snapshot_compression(self) -> bool:
        """Whether snapshot compression was asked for."""
        return bool(self._get(_SNAPSHOT_COMPRESSION))

    def enable_auto_generated_uids(self) -> ExecutionConfig:
        """Let the runtime generate operator ids (the default)."""
        return self._set(_AUTO_UIDS, "true")

    def disable_auto_generated_uids(self) -> ExecutionConfig:
        """Require ``uid()`` on every operator."""
        return self._set(_AUTO_UIDS, "false")

    def has_auto_generated_uids_enabled(self) -> bool:
        """Whether operator ids may be generated."""
        return bool(self._get(_AUTO_UIDS))

    def enable_closure_cleaner(self) -> ExecutionConfig:
        """Accepted for compatibility: functions are cloudpickled as they are."""
        return self._set(_CLOSURE_CLEANER, "RECURSIVE")

    def disable_closure_cleaner(self) -> ExecutionConfig:
        """Accepted for compatibility: functions are cloudpickled as they are."""
        return self._set(_CLOSURE_CLEANER, "NONE")

    def is_closure_cleaner_enabled(self) -> bool:
        """Whether the closure cleaner level is not NONE."""
        return str(self._get(_CLOSURE_CLEANER)) != "NONE"

    # -- global job parameters -------------------------------------------------
    def set_global_job_parameters(self, global_job_parameters_dict: dict[Any, Any]
                                  ) -> ExecutionConfig:
        """Replace the user parameters every function reads with ``get_job_parameter``."""
        if not isinstance(global_job_parameters_dict, dict):
            msg = (f"set_global_job_parameters expects a dict, got "
                   f"{type(global_job_parameters_dict).__name__}")
            raise TypeError(msg)
        for key in [k for k in self._job_config if k.startswith(GLOBAL_JOB_PARAMETERS_PREFIX)]:
            del self._job_config[key]
        self._job_config.update({GLOBAL_JOB_PARAMETERS_PREFIX + str(k): str(v)
                                 for k, v in global_job_parameters_dict.items()})
        return self

    def get_global_job_parameters(self) -> dict[str, str]:
        """The current global job parameters."""
        return global_job_parameters(self._env._config.to_dict())  # noqa: SLF001

    def __repr__(self) -> str:
        return f"ExecutionConfig(parallelism={self.get_parallelism()})"
