"""Typed, validated configuration: Flink's option keys, value syntax and loading rules.

The module has four parts:

* **Value parsers** (:func:`parse_duration_ms`, :func:`parse_memory_bytes`, ...):
  pure functions turning user input (YAML scalars, ``-D`` strings, Python values)
  into typed values, raising :class:`ConfigError` with a message naming the key.
* **The option table**: one :class:`ConfigOption` constant per Flink key
  (``PARALLELISM_DEFAULT``, ``HEARTBEAT_INTERVAL``...), registered by :func:`option`.
* :class:`FlinkConfig`: an immutable set of explicitly set keys, each validated
  once when the object is built; :meth:`FlinkConfig.get` returns typed values
  (or the option's default).
* :func:`load_config`: built-in defaults < ``<conf_dir>/config.yaml`` (or the
  legacy ``flink-conf.yaml``) < ``$FLINK_PROPERTIES`` < ``-D key=value``.

Typed values: durations are ``int`` milliseconds, memory sizes ``int`` bytes,
enums the canonical spelling listed in the option's ``choices``, lists
``tuple[str, ...]``.

Example:
    >>> config = FlinkConfig.from_dict({"heartbeat.interval": "5 s"})
    >>> config.get(HEARTBEAT_INTERVAL), config.get("parallelism.default")
    (5000, 1)
"""

from __future__ import annotations

import enum
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, Union

import yaml

__all__ = [
    # Errors, parsers, option table, config object, loading.
    "ConfigError",
    "parse_bool", "parse_duration_ms", "parse_enum", "parse_float", "parse_int", "parse_list",
    "parse_memory_bytes", "parse_str",
    "ConfigOption", "OptionType", "all_options", "get_option", "option",
    "ConfigSource", "FlinkConfig",
    "CONFIG_FILE", "ENV_CONF_DIRS", "ENV_FLINK_PROPERTIES", "LEGACY_CONFIG_FILE",
    "load_config", "parse_dynamic_property", "read_config_file",
    # Option constants.
    "BATCH_MAX_BYTES", "BATCH_MAX_ROWS", "BLOB_SERVER_PORT", "BUFFERS_PER_CHANNEL",
    "BUFFER_DEBLOAT_ENABLED", "BUFFER_DEBLOAT_PERIOD", "BUFFER_DEBLOAT_TARGET",
    "BUFFER_TIMEOUT_ENABLED", "BUFFER_TIMEOUT_INTERVAL", "CHECKPOINTING_AFTER_TASKS_FINISH",
    "CHECKPOINTING_ALIGNED_TIMEOUT", "CHECKPOINTING_CREATE_SUBDIR", "CHECKPOINTING_DIR",
    "CHECKPOINTING_EXTERNALIZED_RETENTION", "CHECKPOINTING_INCREMENTAL", "CHECKPOINTING_INTERVAL",
    "CHECKPOINTING_LOCAL_BACKUP", "CHECKPOINTING_MAX_CONCURRENT", "CHECKPOINTING_MIN_PAUSE",
    "CHECKPOINTING_MODE", "CHECKPOINTING_NUM_RETAINED", "CHECKPOINTING_STORAGE",
    "CHECKPOINTING_TIMEOUT", "CHECKPOINTING_TOLERABLE_FAILURES", "CHECKPOINTING_UNALIGNED",
    "CHECKPOINTING_UNALIGNED_FORCED", "CHECKPOINTING_UNALIGNED_MAX_SUBTASKS", "ENV_LOG_DIR", "ENV_PID_DIR", "EXECUTION_ATTACHED",
    "EXECUTION_TARGET", "EXPONENTIAL_ATTEMPTS", "EXPONENTIAL_BACKOFF_MULTIPLIER",
    "EXPONENTIAL_INITIAL_BACKOFF", "EXPONENTIAL_JITTER_FACTOR", "EXPONENTIAL_MAX_BACKOFF",
    "EXPONENTIAL_RESET_THRESHOLD", "FAILOVER_STRATEGY", "FAILURE_RATE_DELAY",
    "FAILURE_RATE_INTERVAL", "FAILURE_RATE_MAX_FAILURES", "FIXED_DELAY_ATTEMPTS",
    "FIXED_DELAY_DELAY", "FLOATING_BUFFERS_PER_GATE", "HA_CLUSTER_ID", "HA_STORAGE_DIR", "HA_TYPE",
    "HA_ZOOKEEPER_QUORUM", "HA_ZOOKEEPER_ROOT", "HEARTBEAT_INTERVAL", "HEARTBEAT_TIMEOUT",
    "HISTORYSERVER_ARCHIVE_DIRS", "HISTORYSERVER_WEB_PORT", "IO_TMP_DIRS",
    "JOBMANAGER_ARCHIVE_DIR", "JOBMANAGER_BIND_HOST", "JOBMANAGER_MEMORY_PROCESS_SIZE",
    "JOBMANAGER_RPC_ADDRESS", "JOBMANAGER_RPC_PORT", "MAX_BUFFERS_PER_CHANNEL",
    "MEMORY_SEGMENT_SIZE", "METRICS_REPORTERS", "NETWORK_MEMORY_FRACTION", "NETWORK_MEMORY_MAX",
    "NETWORK_MEMORY_MIN", "PARALLELISM_DEFAULT", "PIPELINE_AUTO_WATERMARK_INTERVAL",
    "PIPELINE_CLASSPATHS", "PIPELINE_JARS", "PIPELINE_MAX_PARALLELISM", "PIPELINE_NAME",
    "PIPELINE_OBJECT_REUSE", "PIPELINE_OPERATOR_CHAINING", "PROMETHEUS_PORT", "PYTHON_ARCHIVES",
    "PYTHON_CLIENT_EXECUTABLE", "PYTHON_EXECUTABLE", "PYTHON_FILES", "PYTHON_REQUIREMENTS",
    "RESTART_STRATEGY_TYPE", "REST_ADDRESS", "REST_BIND_ADDRESS", "REST_BIND_PORT", "REST_PORT",
    "RUNTIME_MODE", "SAVEPOINT_DIR", "SLOT_REQUEST_TIMEOUT", "STATE_BACKEND_ROCKSDB_LOCALDIR",
    "STATE_BACKEND_TYPE", "STATE_RECOVERY_CLAIM_MODE", "STATE_RECOVERY_IGNORE_UNCLAIMED",
    "STATE_RECOVERY_PATH", "TASKMANAGER_BIND_HOST", "TASKMANAGER_DATA_PORT", "TASKMANAGER_HOST",
    "TASKMANAGER_MEMORY_PROCESS_SIZE", "TASKMANAGER_NUM_TASK_SLOTS", "TASKMANAGER_RPC_PORT",
    "WEB_CANCEL_ENABLE", "WEB_SUBMIT_ENABLE",
]  # fmt: skip

_LOG = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
"""The configuration file (Flink 1.19+): standard YAML, nested maps allowed."""

LEGACY_CONFIG_FILE = "flink-conf.yaml"
"""The legacy flat ``key: value`` file, read only if ``config.yaml`` is absent."""

ENV_CONF_DIRS = ("FLINK_PY_CONF_DIR", "FLINK_CONF_DIR")
"""Environment variables naming the configuration directory, in order of preference."""

ENV_FLINK_PROPERTIES = "FLINK_PROPERTIES"
"""Environment variable with YAML ``key: value`` lines (as in Flink's Docker image)."""


class ConfigError(ValueError):
    """An invalid configuration value, key, file, directory or dynamic property."""


# ----------------------------------------------------------------------------------------
# Value parsers
# ----------------------------------------------------------------------------------------


def _invalid(key: str | None, value: Any, problem: str) -> ConfigError:
    """Builds the error for an invalid value, naming the key when it is known."""
    where = f" for configuration key {key!r}" if key else ""
    return ConfigError(f"Invalid value{where}: {value!r} {problem}")


def _unit_table(groups: Iterable[tuple[Sequence[str], Decimal]]) -> dict[str, Decimal]:
    """Maps every spelling of every unit to its factor."""
    return {name: factor for names, factor in groups for name in names}


# Flink's TimeUtils spellings (plus plurals), as factors to milliseconds.
_DURATION_UNITS = _unit_table([
    (("ns", "nano", "nanos", "nanosecond", "nanoseconds"), Decimal("0.000001")),
    (("us", "µs", "micro", "micros", "microsecond", "microseconds"), Decimal("0.001")),
    (("ms", "milli", "millis", "millisecond", "milliseconds"), Decimal(1)),
    (("s", "sec", "secs", "second", "seconds"), Decimal(1000)),
    (("m", "min", "mins", "minute", "minutes"), Decimal(60_000)),
    (("h", "hour", "hours"), Decimal(3_600_000)),
    (("d", "day", "days"), Decimal(86_400_000)),
])  # fmt: skip

# Flink's MemorySize spellings, as factors to bytes (powers of 1024).
_MEMORY_UNITS = _unit_table([
    (("b", "byte", "bytes"), Decimal(1)),
    (("k", "kb", "kib", "kibibyte", "kibibytes"), Decimal(1024)),
    (("m", "mb", "mib", "mebibyte", "mebibytes"), Decimal(1024**2)),
    (("g", "gb", "gib", "gibibyte", "gibibytes"), Decimal(1024**3)),
    (("t", "tb", "tib", "tebibyte", "tebibytes"), Decimal(1024**4)),
])  # fmt: skip

_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([^\d\s.]*)\s*$")
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")


def _parse_amount(
    value: Any, units: Mapping[str, Decimal], base: str, what: str, key: str | None
) -> int:
    """Parses ``"<number> <unit>"`` (unit defaults to ``base``) into whole base units."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _invalid(key, value, f"is not a {what}")
    if isinstance(value, int):
        if value < 0:
            raise _invalid(key, value, f"is not a {what} (must not be negative)")
        return value
    match = _AMOUNT.match(value)
    if match is None:
        raise _invalid(key, value, f"is not a {what}")
    unit = match.group(2).lower() or base
    factor = units.get(unit)
    if factor is None:
        hint = "b, kb, mb, gb, tb" if base == "b" else "ms, s, min, h, d"
        raise _invalid(key, value, f"is not a {what} (unknown unit {unit!r}; use {hint})")
    amount = Decimal(match.group(1)) * factor
    if amount != amount.to_integral_value():
        whole = "bytes" if base == "b" else "milliseconds"
        raise _invalid(key, value, f"is not a {what} in whole {whole}")
    return int(amount)


def parse_duration_ms(value: Any, key: str | None = None) -> int:
    """Parses a duration into milliseconds, using Flink's ``TimeUtils`` syntax.

    Args:
        value: An ``int`` (milliseconds), a :class:`datetime.timedelta`, or a string
            such as ``"100 ms"``, ``"10s"``, ``"1 min"``, ``"3min"``, ``"1 h"``,
            ``"2 d"``, ``"1.5 s"`` or ``"500"`` (a bare number means milliseconds).
        key: The configuration key, named in error messages.

    Returns:
        The duration in milliseconds.

    Raises:
        ConfigError: If the value is not a non-negative whole number of milliseconds.
    """
    if isinstance(value, timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        if micros < 0 or micros % 1000:
            raise _invalid(key, value, "is not a non-negative whole number of milliseconds")
        return micros // 1000
    return _parse_amount(value, _DURATION_UNITS, "ms", "duration", key)


def parse_memory_bytes(value: Any, key: str | None = None) -> int:
    """Parses a memory size into bytes, using Flink's ``MemorySize`` syntax.

    Args:
        value: An ``int`` (bytes) or a string such as ``"32kb"``, ``"64 mb"``,
            ``"1600m"``, ``"1g"``, ``"1 tb"`` or ``"512"`` (a bare number means bytes).
            Units are powers of 1024.
        key: The configuration key, named in error messages.

    Returns:
        The size in bytes.

    Raises:
        ConfigError: If the value is not a non-negative whole number of bytes.
    """
    return _parse_amount(value, _MEMORY_UNITS, "b", "memory size", key)


def parse_bool(value: Any, key: str | None = None) -> bool:
    """Parses ``True``/``False`` or ``"true"``/``"false"`` in any case.

    Raises:
        ConfigError: For anything else (as in Flink, neither ``yes`` nor ``1``).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _invalid(key, value, "is not a boolean (use true or false)")


def parse_int(value: Any, key: str | None = None) -> int:
    """Parses an ``int`` or a decimal integer string such as ``"-1"``.

    Raises:
        ConfigError: For booleans, floats and other strings.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise _invalid(key, value, "is not an integer")


def parse_float(value: Any, key: str | None = None) -> float:
    """Parses an ``int``, a ``float`` or a numeric string such as ``"1.5"``.

    Raises:
        ConfigError: For booleans and non-numeric strings.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _invalid(key, value, "is not a number")


def parse_str(value: Any, key: str | None = None) -> str:
    """Parses a string; other YAML scalars (numbers, booleans) become their text.

    Raises:
        ConfigError: For lists, maps and other non-scalar values.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise _invalid(key, value, "is not a string")


def parse_enum(value: Any, choices: Sequence[str], key: str | None = None) -> str:
    """Parses an enum value case-insensitively into its canonical spelling.

    Args:
        value: A string, or an :class:`enum.Enum` member (its name is used).
        choices: The allowed values, spelled canonically (e.g. ``"EXACTLY_ONCE"``).
        key: The configuration key, named in error messages.

    Returns:
        The matching entry of ``choices``.

    Raises:
        ConfigError: If the value matches none of the choices.
    """
    text = value.name if isinstance(value, enum.Enum) else value
    if isinstance(text, str):
        for choice in choices:
            if choice.lower() == text.strip().lower():
                return choice
    raise _invalid(key, value, f"is not one of {', '.join(choices)}")


def parse_list(value: Any, key: str | None = None) -> tuple[str, ...]:
    """Parses a list of strings: a YAML list, or a string separated by ``;``.

    Raises:
        ConfigError: For values that are neither a list nor a string.
    """
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(";") if item.strip())
    if isinstance(value, (list, tuple)):
        return tuple(parse_str(item, key) for item in value)
    raise _invalid(key, value, "is not a list (use a YAML list or a ';'-separated string)")


# ----------------------------------------------------------------------------------------
# Option table
# ----------------------------------------------------------------------------------------


class OptionType(str, enum.Enum):
    """The value type of a :class:`ConfigOption`; it selects the parser."""

    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DURATION = "duration"
    MEMORY = "memory"
    ENUM = "enum"
    LIST = "list"


_PARSERS = {
    OptionType.STRING: parse_str,
    OptionType.INT: parse_int,
    OptionType.FLOAT: parse_float,
    OptionType.BOOL: parse_bool,
    OptionType.DURATION: parse_duration_ms,
    OptionType.MEMORY: parse_memory_bytes,
    OptionType.LIST: parse_list,
}


@dataclass(frozen=True)
class ConfigOption:
    """One configuration key: its type, typed default and deprecated spellings.

    Attributes:
        key: The current Flink key, e.g. ``"execution.buffer-timeout.interval"``.
        type: The value type.
        default: The typed default (ms for durations, bytes for memory) or ``None``.
        description: One line for humans.
        deprecated_keys: Older keys that are read as ``key``.
        choices: The canonical spellings of an :attr:`OptionType.ENUM` option.
    """

    key: str
    type: OptionType
    default: Any = None
    description: str = ""
    deprecated_keys: tuple[str, ...] = ()
    choices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "deprecated_keys", tuple(self.deprecated_keys))
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if (self.type is OptionType.ENUM) != (self.choices is not None):
            raise ValueError(f"option {self.key!r}: ENUM options, and only they, need choices")

    def parse(self, value: Any) -> Any:
        """Parses a raw value into this option's type.

        Raises:
            ConfigError: If the value is invalid; the message names :attr:`key`.
        """
        if self.choices is not None:
            return parse_enum(value, self.choices, self.key)
        return _PARSERS[self.type](value, self.key)


_OPTIONS: dict[str, ConfigOption] = {}
_DEPRECATED: dict[str, str] = {}  # deprecated key -> current key

# Open-ended key families (per-reporter settings, JVM flags, plugins...): passed
# through without an "unknown key" warning.
_PASSTHROUGH_PREFIXES = (
    "metrics.reporter.", "metrics.scope.", "env.java.", "kubernetes.", "security.",
    "state.backend.rocksdb.", "table.", "s3.", "s3a.", "fs.", "yarn.", "containerized.",
    "akka.", "pekko.", "pipeline.global-job-parameters.",
)  # fmt: skip


def option(
    key: str,
    type: OptionType,
    default: Any = None,
    description: str = "",
    *,
    deprecated_keys: Iterable[str] = (),
    choices: Iterable[str] | None = None,
) -> ConfigOption:
    """Creates a :class:`ConfigOption` and registers it in the option table.

    Args:
        key: The current Flink key.
        type: The value type.
        default: The default in any syntax the parser accepts (e.g. ``"200 ms"``).
        description: One line for humans.
        deprecated_keys: Older keys that are read as ``key``.
        choices: The canonical spellings of an enum option.

    Returns:
        The registered option, with a typed default.

    Raises:
        ValueError: If the key or one of its deprecated keys is already registered.
    """
    spec = ConfigOption(
        key, type, None, description, tuple(deprecated_keys),
        tuple(choices) if choices is not None else None,
    )  # fmt: skip
    if default is not None:
        object.__setattr__(spec, "default", spec.parse(default))
    for name in (key, *spec.deprecated_keys):
        if name in _OPTIONS or name in _DEPRECATED:
            raise ValueError(f"configuration key {name!r} is already registered")
    _OPTIONS[key] = spec
    _DEPRECATED.update(dict.fromkeys(spec.deprecated_keys, key))
    return spec


def get_option(key: str) -> ConfigOption | None:
    """Returns the registered option for a current or deprecated key, or ``None``."""
    return _OPTIONS.get(_DEPRECATED.get(key, key))


def all_options() -> tuple[ConfigOption, ...]:
    """Returns every registered option, in registration order."""
    return tuple(_OPTIONS.values())


_S, _I, _F, _B = OptionType.STRING, OptionType.INT, OptionType.FLOAT, OptionType.BOOL
_D, _M, _E, _L = OptionType.DURATION, OptionType.MEMORY, OptionType.ENUM, OptionType.LIST

# fmt: off
# Cluster, RPC, REST ------------------------------------------------------------------------
JOBMANAGER_RPC_ADDRESS = option(
    "jobmanager.rpc.address", _S, "localhost", "Host TaskManagers and clients use to reach the JM.")
JOBMANAGER_RPC_PORT = option("jobmanager.rpc.port", _I, 6123, "JobManager gRPC port.")
JOBMANAGER_BIND_HOST = option(
    "jobmanager.bind-host", _S, "127.0.0.1", "JobManager bind interface (0.0.0.0 in containers).")
TASKMANAGER_BIND_HOST = option(
    "taskmanager.bind-host", _S, "127.0.0.1", "TaskManager bind interface (0.0.0.0 in containers).")
TASKMANAGER_HOST = option("taskmanager.host", _S, None, "Address a TaskManager advertises (auto).")
TASKMANAGER_RPC_PORT = option("taskmanager.rpc.port", _I, 0, "TaskManager gRPC port (0 = random).")
TASKMANAGER_DATA_PORT = option("taskmanager.data.port", _I, 0, "Arrow data port (0 = random).")
TASKMANAGER_NUM_TASK_SLOTS = option("taskmanager.numberOfTaskSlots", _I, 1, "Slots per TM.")
BLOB_SERVER_PORT = option("blob.server.port", _S, "0", "Blob server port or range (0 = random).")
REST_PORT = option("rest.port", _I, 8081, "REST API and Web UI port.")
REST_ADDRESS = option("rest.address", _S, "localhost", "Address clients use to reach REST.")
REST_BIND_ADDRESS = option("rest.bind-address", _S, "127.0.0.1", "REST bind interface.")
REST_BIND_PORT = option("rest.bind-port", _S, None, "REST bind port or range (default rest.port).")
WEB_SUBMIT_ENABLE = option("web.submit.enable", _B, True, "Allow job submission from the Web UI.")
WEB_CANCEL_ENABLE = option("web.cancel.enable", _B, True, "Allow job cancellation from the Web UI.")
HEARTBEAT_INTERVAL = option("heartbeat.interval", _D, "10 s", "JM/TM heartbeat interval.")
HEARTBEAT_TIMEOUT = option("heartbeat.timeout", _D, "50 s", "Silence before a peer is lost.")
SLOT_REQUEST_TIMEOUT = option(
    "slot.request.timeout", _D, "5 min", "Wait for slots before NoResourceAvailableException.")
TASK_CANCELLATION_TIMEOUT = option(
    "task.cancellation.timeout", _D, "180000 ms",
    "A cancelled task still running after this is killed with its slot worker (0 = never).")
ENV_PID_DIR = option("env.pid.dir", _S, None, "Daemon PID file directory (system temp dir).")
ENV_LOG_DIR = option("env.log.dir", _S, None, "Daemon log directory.")
IO_TMP_DIRS = option("io.tmp.dirs", _S, None, "Spill and working directories (system temp dir).")
HISTORYSERVER_WEB_PORT = option("historyserver.web.port", _I, 8082, "History server UI port.")
HISTORYSERVER_ARCHIVE_DIRS = option(
    "historyserver.archive.fs.dir", _S, None, "Directories the history server reads.")
JOBMANAGER_ARCHIVE_DIR = option(
    "jobmanager.archive.fs.dir", _S, None, "Directory finished jobs are archived to.")

# Execution and pipeline --------------------------------------------------------------------
PARALLELISM_DEFAULT = option("parallelism.default", _I, 1, "Default operator parallelism.")
PIPELINE_MAX_PARALLELISM = option(
    "pipeline.max-parallelism", _I, -1, "Max parallelism (-1 = computed, 128..32768).")
PIPELINE_NAME = option("pipeline.name", _S, None, "Job name (default: the name given to execute).")
PIPELINE_AUTO_WATERMARK_INTERVAL = option(
    "pipeline.auto-watermark-interval", _D, "200 ms", "Periodic watermark interval.")
PIPELINE_OBJECT_REUSE = option("pipeline.object-reuse", _B, False, "Reuse records in chains.")
PIPELINE_GENERIC_TYPES = option(
    "pipeline.generic-types", _B, True, "Allow generic (Kryo) types (recorded: no Kryo here).")
PIPELINE_FORCE_KRYO = option(
    "pipeline.force-kryo", _B, False, "Force Kryo for POJOs (recorded: no Kryo here).")
PIPELINE_FORCE_AVRO = option(
    "pipeline.force-avro", _B, False, "Force Avro for POJOs (recorded: no Avro here).")
SNAPSHOT_COMPRESSION = option(
    "execution.checkpointing.snapshot-compression", _B, False,
    "Compress keyed state snapshots (recorded: flink-py's snapshot files are the same).")
PIPELINE_AUTO_GENERATE_UIDS = option(
    "pipeline.auto-generate-uids", _B, True, "Generate operator ids when uid() is not set.")
PIPELINE_CLOSURE_CLEANER_LEVEL = option(
    "pipeline.closure-cleaner-level", _E, "RECURSIVE", "Accepted: functions are cloudpickled.",
    choices=["NONE", "TOP_LEVEL", "RECURSIVE"])
METRICS_LATENCY_INTERVAL = option(
    "metrics.latency.interval", _D, "0 ms", "Latency marker interval (0 = off).")
TASK_CANCELLATION_INTERVAL = option(
    "task.cancellation.interval", _D, "30000 ms", "Time between task cancellation attempts.")
PIPELINE_OPERATOR_CHAINING = option(
    "pipeline.operator-chaining.enabled", _B, True, "Chain operators into tasks.",
    deprecated_keys=["pipeline.operator-chaining"])
CHAIN_DIFFERENT_MAX_PARALLELISM = option(
    "pipeline.operator-chaining.chain-operators-with-different-max-parallelism", _B, True,
    "Chain operators whose max parallelism differs.")
PIPELINE_JARS = option("pipeline.jars", _L, None, "Artifacts shipped with the job.")
PIPELINE_CLASSPATHS = option("pipeline.classpaths", _L, None, "Extra class paths (accepted).")
PIPELINE_CACHED_FILES = option(
    "pipeline.cached-files", _L, None, "Distributed-cache files (name:...,path:'...'; recorded).")
RUNTIME_MODE = option(
    "execution.runtime-mode", _E, "STREAMING", "Execution mode.",
    choices=["STREAMING", "BATCH", "AUTOMATIC"])
BUFFER_TIMEOUT_INTERVAL = option(
    "execution.buffer-timeout.interval", _D, "100 ms", "Max wait before a batch is flushed.",
    deprecated_keys=["execution.buffer-timeout"])
BUFFER_TIMEOUT_ENABLED = option(
    "execution.buffer-timeout.enabled", _B, True, "Flush output batches on a timer.")
EXECUTION_TARGET = option("execution.target", _S, None, "Deployment target (remote, local...).")
EXECUTION_ATTACHED = option("execution.attached", _B, False, "Wait for the job result.")
STATE_RECOVERY_PATH = option(
    "execution.state-recovery.path", _S, None, "Savepoint or checkpoint to restore from.",
    deprecated_keys=["execution.savepoint.path"])
STATE_RECOVERY_IGNORE_UNCLAIMED = option(
    "execution.state-recovery.ignore-unclaimed-state", _B, False, "Allow unmatched state.",
    deprecated_keys=["execution.savepoint.ignore-unclaimed-state"])
STATE_RECOVERY_CLAIM_MODE = option(
    "execution.state-recovery.claim-mode", _E, "NO_CLAIM", "Who owns restored snapshot files.",
    deprecated_keys=["execution.savepoint-restore-mode"], choices=["CLAIM", "NO_CLAIM", "LEGACY"])

# Checkpointing -----------------------------------------------------------------------------
_CP = "execution.checkpointing."
CHECKPOINTING_INTERVAL = option(_CP + "interval", _D, None, "Checkpoint interval (unset: off).")
CHECKPOINTING_MODE = option(
    _CP + "mode", _E, "EXACTLY_ONCE", "Checkpointing guarantee.",
    choices=["EXACTLY_ONCE", "AT_LEAST_ONCE"])
CHECKPOINTING_TIMEOUT = option(_CP + "timeout", _D, "10 min", "Abort slower checkpoints.")
CHECKPOINTING_MIN_PAUSE = option(_CP + "min-pause", _D, "0 ms", "Pause between checkpoints.")
CHECKPOINTING_MAX_CONCURRENT = option(
    _CP + "max-concurrent-checkpoints", _I, 1, "Checkpoints in flight at once.")
CHECKPOINTING_TOLERABLE_FAILURES = option(
    _CP + "tolerable-failed-checkpoints", _I, 0, "Failed checkpoints before the job fails.")
CHECKPOINTING_EXTERNALIZED_RETENTION = option(
    _CP + "externalized-checkpoint-retention", _E, "NO_EXTERNALIZED_CHECKPOINTS",
    "Keep checkpoints after the job ends.",
    choices=["NO_EXTERNALIZED_CHECKPOINTS", "DELETE_ON_CANCELLATION", "RETAIN_ON_CANCELLATION"])
CHECKPOINTING_UNALIGNED = option(
    _CP + "unaligned.enabled", _B, False, "Unaligned checkpoints.",
    deprecated_keys=[_CP + "unaligned"])
CHECKPOINTING_ALIGNED_TIMEOUT = option(
    _CP + "aligned-checkpoint-timeout", _D, "0 ms", "Alignment time before going unaligned.",
    deprecated_keys=[_CP + "alignment-timeout"])
CHECKPOINTING_UNALIGNED_FORCED = option(
    _CP + "unaligned.forced", _B, False, "Unaligned even with iterations / unsupported edges.")
CHECKPOINTING_UNALIGNED_MAX_SUBTASKS = option(
    _CP + "unaligned.max-subtasks-per-channel-state-file", _I, 5, "Subtasks per state file.")
CHECKPOINTING_AFTER_TASKS_FINISH = option(
    _CP + "checkpoints-after-tasks-finish", _B, True, "Checkpoint after some tasks finished.",
    deprecated_keys=[_CP + "checkpoints-after-tasks-finish.enabled"])
CHECKPOINTING_STORAGE = option(
    _CP + "storage", _E, None, "Checkpoint storage kind.",
    deprecated_keys=["state.checkpoint-storage"], choices=["jobmanager", "filesystem"])
CHECKPOINTING_DIR = option(
    _CP + "dir", _S, None, "Checkpoint directory URI.", deprecated_keys=["state.checkpoints.dir"])
SAVEPOINT_DIR = option(
    _CP + "savepoint-dir", _S, None, "Default savepoint directory URI.",
    deprecated_keys=["state.savepoints.dir"])
CHECKPOINTING_NUM_RETAINED = option(
    _CP + "num-retained", _I, 1, "Completed checkpoints kept.",
    deprecated_keys=["state.checkpoints.num-retained"])
CHECKPOINTING_INCREMENTAL = option(
    _CP + "incremental", _B, None, "Incremental checkpoints (unset: the backend decides).",
    deprecated_keys=["state.backend.incremental"])
CHECKPOINTING_LOCAL_BACKUP = option(
    _CP + "local-backup.enabled", _B, False, "Keep a local state copy for fast recovery.",
    deprecated_keys=["state.backend.local-recovery"])
CHECKPOINTING_CREATE_SUBDIR = option(
    _CP + "create-subdir", _B, True, "Put checkpoints under <dir>/<job-id>/.")
STATE_CHANGELOG_ENABLED = option(
    "state.changelog.enabled", _B, None,
    "Flink's changelog state backend (faster checkpoints of the same state); recorded "
    "only: flink-py's snapshots are the same with it on or off.")

# State backend -----------------------------------------------------------------------------
STATE_BACKEND_TYPE = option(
    "state.backend.type", _E, "hashmap", "Keyed state backend.",
    deprecated_keys=["state.backend"], choices=["hashmap", "rocksdb"])
STATE_BACKEND_ROCKSDB_LOCALDIR = option(
    "state.backend.rocksdb.localdir", _S, None, "RocksDB working directory.")
ROCKSDB_BLOCK_CACHE_SIZE = option(
    "state.backend.rocksdb.block.cache-size", _M, "8mb", "RocksDB block cache per backend.")
ROCKSDB_WRITEBUFFER_SIZE = option(
    "state.backend.rocksdb.writebuffer.size", _M, "64mb", "RocksDB memtable size.")
ROCKSDB_WRITEBUFFER_COUNT = option(
    "state.backend.rocksdb.writebuffer.count", _I, 2, "RocksDB memtables per column family.")

# Restart and failover ----------------------------------------------------------------------
_RS = "restart-strategy."
RESTART_STRATEGY_TYPE = option(
    _RS + "type", _E, None, "Restart strategy (unset: none; exponential-delay with checkpoints).",
    deprecated_keys=["restart-strategy"],
    choices=["none", "off", "disable", "fixed-delay", "fixeddelay", "failure-rate", "failurerate",
             "exponential-delay", "exponentialdelay"])
FIXED_DELAY_ATTEMPTS = option(_RS + "fixed-delay.attempts", _I, 1, "Restarts before failing.")
FIXED_DELAY_DELAY = option(_RS + "fixed-delay.delay", _D, "1 s", "Delay between restarts.")
FAILURE_RATE_MAX_FAILURES = option(
    _RS + "failure-rate.max-failures-per-interval", _I, 1, "Failures allowed per interval.")
FAILURE_RATE_INTERVAL = option(
    _RS + "failure-rate.failure-rate-interval", _D, "1 min", "Failure-rate measuring interval.")
FAILURE_RATE_DELAY = option(_RS + "failure-rate.delay", _D, "1 s", "Delay between restarts.")
_EXP = _RS + "exponential-delay."
EXPONENTIAL_INITIAL_BACKOFF = option(_EXP + "initial-backoff", _D, "1 s", "First restart delay.")
EXPONENTIAL_MAX_BACKOFF = option(_EXP + "max-backoff", _D, "1 min", "Largest restart delay.")
EXPONENTIAL_BACKOFF_MULTIPLIER = option(_EXP + "backoff-multiplier", _F, 1.5, "Delay growth.")
EXPONENTIAL_RESET_THRESHOLD = option(
    _EXP + "reset-backoff-threshold", _D, "1 h", "Failure-free time that resets the delay.")
EXPONENTIAL_JITTER_FACTOR = option(_EXP + "jitter-factor", _F, 0.1, "Jitter relative to delay.")
EXPONENTIAL_ATTEMPTS = option(
    _EXP + "attempts-before-reset-backoff", _I, 2147483647, "Restarts before failing.")
FAILOVER_STRATEGY = option(
    "jobmanager.execution.failover-strategy", _E, "region", "Tasks restarted on a failure.",
    choices=["region", "full"])

# Network buffers and Arrow batches ---------------------------------------------------------
_NET = "taskmanager.network.memory."
MEMORY_SEGMENT_SIZE = option("taskmanager.memory.segment-size", _M, "32kb", "Network buffer size.")
BUFFERS_PER_CHANNEL = option(_NET + "buffers-per-channel", _I, 2, "Exclusive credits per channel.")
FLOATING_BUFFERS_PER_GATE = option(_NET + "floating-buffers-per-gate", _I, 8, "Floating credits.")
MAX_BUFFERS_PER_CHANNEL = option(
    _NET + "max-buffers-per-channel", _I, 10, "Max queued batches per channel.")
LOCAL_CHANNEL_BUFFERS = option(
    "taskmanager.network.local-channel.buffers", _I, 1,
    "flink-py: batches a producer may hand to a consumer in the same slot worker before it "
    "waits for the consumer (they share one GIL: a small window keeps records in cache).")
WINDOW_SLIDING_PANES = option(
    "execution.window.sliding-panes", _B, False,
    "flink-py: run sliding reduce/aggregate windows on panes (each element added once). "
    "Exact only for associative and commutative functions with a working "
    "AggregateFunction.merge; read when the window is defined. Tumbling windows always "
    "run on panes (exact for any function).")
BUFFER_DEBLOAT_ENABLED = option(_NET + "buffer-debloat.enabled", _B, False, "Buffer debloating.")
BUFFER_DEBLOAT_TARGET = option(
    _NET + "buffer-debloat.target", _D, "1 s", "Target time to drain in-flight data.")
BUFFER_DEBLOAT_PERIOD = option(_NET + "buffer-debloat.period", _D, "200 ms", "Debloat period.")
BATCH_MAX_ROWS = option(
    "taskmanager.network.batch.max-rows", _I, 1024,
    "flink-py: max records per Arrow batch (about one 32 KiB Flink buffer of small records).")
BATCH_MAX_BYTES = option(
    "taskmanager.network.batch.max-bytes", _M, "1mb", "flink-py: max bytes per Arrow batch.")

# JVM memory keys: validated so that Flink config files load cleanly, otherwise unused.
_JVM = "JVM memory setting (accepted, unused)."
JOBMANAGER_MEMORY_PROCESS_SIZE = option("jobmanager.memory.process.size", _M, None, _JVM)
TASKMANAGER_MEMORY_PROCESS_SIZE = option("taskmanager.memory.process.size", _M, None, _JVM)
for _name in (
    "jobmanager.memory.flink.size", "jobmanager.memory.heap.size",
    "jobmanager.memory.off-heap.size",
    "jobmanager.memory.jvm-metaspace.size", "jobmanager.memory.jvm-overhead.min",
    "jobmanager.memory.jvm-overhead.max", "taskmanager.memory.flink.size",
    "taskmanager.memory.task.heap.size", "taskmanager.memory.task.off-heap.size",
    "taskmanager.memory.framework.heap.size", "taskmanager.memory.framework.off-heap.size",
    "taskmanager.memory.managed.size", "taskmanager.memory.jvm-metaspace.size",
    "taskmanager.memory.jvm-overhead.min", "taskmanager.memory.jvm-overhead.max",
):
    option(_name, _M, None, _JVM)
for _name in (
    "jobmanager.memory.jvm-overhead.fraction", "taskmanager.memory.jvm-overhead.fraction",
    "taskmanager.memory.managed.fraction",
):
    option(_name, _F, None, _JVM)
NETWORK_MEMORY_FRACTION = option("taskmanager.memory.network.fraction", _F, 0.1, _JVM)
NETWORK_MEMORY_MIN = option("taskmanager.memory.network.min", _M, "64mb", _JVM)
NETWORK_MEMORY_MAX = option("taskmanager.memory.network.max", _M, "1gb", _JVM)

# Python ------------------------------------------------------------------------------------
PYTHON_CLIENT_EXECUTABLE = option("python.client.executable", _S, None, "Client interpreter.")
PYTHON_EXECUTABLE = option("python.executable", _S, None, "TaskManager worker interpreter.")
PYTHON_FILES = option("python.files", _S, None, "Python files shipped with the job (a,b,...).")
PYTHON_REQUIREMENTS = option("python.requirements", _S, None, "requirements.txt for the job.")
PYTHON_ARCHIVES = option("python.archives", _S, None, "Archives shipped with the job (a,b,...).")
#: PyFlink's tuning of its JVM-to-Python worker hop (Beam bundles, state caches, Arrow batches,
#: process or thread mode): flink-py runs Python operators natively, so these are accepted for
#: job portability and have no effect.
_PYFLINK = "PyFlink worker setting (accepted; flink-py runs Python natively, no effect)."
for _name, _type, _default in (
    ("python.fn-execution.bundle.size", _I, 100000),
    ("python.fn-execution.bundle.time", _I, 1000),
    ("python.fn-execution.arrow.batch.size", _I, 10000),
    ("python.fn-execution.memory.managed", _B, True),
    ("python.state.cache-size", _I, 1000),
    ("python.map-state.read-cache-size", _I, 1000),
    ("python.map-state.write-cache-size", _I, 1000),
    ("python.map-state.iterate-response-batch-size", _I, 1000),
    ("python.metric.enabled", _B, True),
    ("python.profile.enabled", _B, False),
    ("python.operator-chaining.enabled", _B, True),
    ("python.systemenv.enabled", _B, True),
    ("python.execution-mode", _S, "process"),
    ("python.pythonpath", _S, None),
):
    option(_name, _type, _default, _PYFLINK)

# Metrics and high availability -------------------------------------------------------------
METRICS_REPORTERS = option("metrics.reporters", _L, None, "Reporters to start (unset: all).")
PROMETHEUS_PORT = option("metrics.reporter.prom.port", _S, "9249", "Prometheus port or range.")
HA_TYPE = option(
    "high-availability.type", _S, "NONE", "NONE, zookeeper or kubernetes.",
    deprecated_keys=["high-availability"])
HA_STORAGE_DIR = option("high-availability.storageDir", _S, None, "HA metadata directory URI.")
HA_CLUSTER_ID = option("high-availability.cluster-id", _S, "/default", "Isolates HA clusters.")
HA_ZOOKEEPER_QUORUM = option("high-availability.zookeeper.quorum", _S, None, "ZooKeeper hosts.")
HA_ZOOKEEPER_ROOT = option("high-availability.zookeeper.path.root", _S, "/flink", "ZK root node.")
# fmt: on
del _name


# ----------------------------------------------------------------------------------------
# FlinkConfig
# ----------------------------------------------------------------------------------------


class _HasToDict(Protocol):
    """Anything with ``to_dict()``: a ``Configuration`` or another ``FlinkConfig``."""

    def to_dict(self) -> Mapping[str, Any]: ...  # pragma: no cover - protocol


ConfigSource = Union[Mapping[str, Any], _HasToDict]
"""What :class:`FlinkConfig` is built from: a mapping, or an object with ``to_dict()``."""

_UNSET: Any = object()


def _flatten(values: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Flattens nested maps into dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    flat: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = prefix + str(raw_key).strip()
        if isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def _normalize(values: Mapping[Any, Any], source: str, warn_unknown: bool) -> dict[str, Any]:
    """Flattens one source and translates its deprecated keys (the current key wins)."""
    flat = _flatten(values)
    result = {key: value for key, value in flat.items() if key not in _DEPRECATED}
    for key, value in flat.items():
        current = _DEPRECATED.get(key)
        if current is None:
            if warn_unknown and key not in _OPTIONS and not key.startswith(_PASSTHROUGH_PREFIXES):
                _LOG.warning("Unknown configuration key '%s' (ignored)", key)
        elif current in result:
            _LOG.warning(
                "Configuration key '%s' (in %s) is deprecated and ignored: '%s' is also set",
                key, source, current,
            )  # fmt: skip
        else:
            _LOG.warning(
                "Configuration key '%s' (in %s) is deprecated, use '%s' instead",
                key, source, current,
            )  # fmt: skip
            result[current] = value
    return result


def _to_raw(value: Any) -> Any:
    """Turns Python-only values into plain wire values (str, numbers, bools, lists)."""
    if isinstance(value, timedelta):
        return parse_duration_ms(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_to_raw(item) for item in value]
    return value


class FlinkConfig:
    """An immutable, validated set of configuration values.

    Only explicitly set keys are stored: raw (for :meth:`to_dict`) and parsed (for
    :meth:`get`); an unset registered key reads as its option's default. Deprecated
    keys are stored under their current key; unknown keys are kept and passed
    through. Every value is parsed once, when the object is built.
    """

    _raw: dict[str, Any]
    _parsed: dict[str, Any]

    def __init__(self, values: ConfigSource | None = None) -> None:
        """Builds a configuration from explicitly set values.

        Args:
            values: Dotted keys (or nested maps) to raw values; ``None`` means unset.

        Raises:
            ConfigError: If a value is invalid for its key.
        """
        self.__dict__.update(_raw={}, _parsed={})
        if values is not None:
            self._apply(values, "configuration", warn_unknown=True)

    @classmethod
    def from_dict(cls, values: ConfigSource, *, warn_unknown: bool = True) -> FlinkConfig:
        """Builds a configuration from a dict, such as the output of :meth:`to_dict`.

        Args:
            values: Keys to raw values.
            warn_unknown: Log unregistered keys (turn off for dicts that were already
                validated, e.g. received from the JobManager).

        Raises:
            ConfigError: If a value is invalid for its key.
        """
        config = cls()
        config._apply(values, "configuration", warn_unknown=warn_unknown)
        return config

    def with_overrides(self, values: ConfigSource, *, source: str = "overrides") -> FlinkConfig:
        """Returns a new configuration with ``values`` layered over this one.

        Args:
            values: A mapping, or an object with ``to_dict()`` (e.g. a user-facing
                ``Configuration``). A ``None`` value unsets the key.
            source: Where the values come from, for log and error messages.

        Raises:
            ConfigError: If a value is invalid for its key.
        """
        config = FlinkConfig()
        config.__dict__.update(_raw=dict(self._raw), _parsed=dict(self._parsed))
        config._apply(values, source, warn_unknown=True)
        return config

    def _apply(self, values: ConfigSource, source: str, *, warn_unknown: bool) -> None:
        """Validates ``values`` and merges them in (only before the object is shared)."""
        mapping = values if isinstance(values, Mapping) else values.to_dict()
        for key, value in _normalize(mapping, source, warn_unknown).items():
            if value is None:
                self._raw.pop(key, None)
                self._parsed.pop(key, None)
                continue
            spec = _OPTIONS.get(key)
            if spec is not None:
                try:
                    self._parsed[key] = spec.parse(value)
                except ConfigError as exc:
                    raise ConfigError(f"{exc} (in {source})") from None
            self._raw[key] = _to_raw(value)

    def get(self, key: str | ConfigOption, default: Any = _UNSET) -> Any:
        """Returns the typed value of a key, or its default when the key is unset.

        Args:
            key: A current or deprecated key, or a :class:`ConfigOption`.
            default: Returned instead of the option's own default when unset.

        Returns:
            The parsed value of a registered key; the raw value of an unknown key.

        Raises:
            KeyError: If the key is neither registered nor set, and no default is given.
        """
        spec = key if isinstance(key, ConfigOption) else get_option(key)
        name = spec.key if spec is not None else str(key)
        if name in self._parsed:
            return self._parsed[name]
        if name in self._raw:
            return spec.parse(self._raw[name]) if spec is not None else self._raw[name]
        if default is not _UNSET:
            return default
        if spec is None:
            raise KeyError(f"Configuration key {name!r} is neither registered nor set")
        return spec.default

    def is_set(self, key: str | ConfigOption) -> bool:
        """Returns whether a key (current or deprecated spelling) was set explicitly."""
        name = key.key if isinstance(key, ConfigOption) else key
        return _DEPRECATED.get(name, name) in self._raw

    def to_dict(self) -> dict[str, Any]:
        """Returns the explicitly set keys with their raw, validated values.

        Values are plain (str, int, float, bool, lists of str), so the dict can be
        pickled or sent over the wire and read back with :meth:`from_dict`.
        """
        return {
            key: list(value) if isinstance(value, list) else value
            for key, value in self._raw.items()
        }

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FlinkConfig is immutable; use with_overrides()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlinkConfig) and self._raw == other._raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FlinkConfig({self._raw!r})"


# ----------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------


class _Yaml12Loader(yaml.SafeLoader):
    """A safe YAML loader with YAML 1.2 scalars, like Flink's snakeyaml-engine.

    PyYAML follows YAML 1.1, where ``off``/``no``/``yes`` are booleans and
    ``2024-01-01`` is a date. Here only ``true``/``false`` are booleans and dates
    stay strings, so ``restart-strategy.type: off`` stays the string ``off``.
    """


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parses YAML text holding a map (or nothing) into flattened dotted keys."""
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"Cannot parse {source}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise ConfigError(f"Cannot parse {source}: expected 'key: value' lines, not a {kind}")
    return _flatten(data)


def _parse_legacy(text: str, source: str) -> dict[str, str]:
    """Parses the legacy flat format: ``key: value`` lines, ``#`` starts a comment."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        key, sep, value = content.partition(":")
        if not sep or not key.strip():
            raise ConfigError(
                f"Cannot parse {source}, line {number}: expected 'key: value', got {content!r}"
            )
        if value.strip():
            values[key.strip()] = value.strip()
    return values


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads one configuration file into dotted keys and raw (unvalidated) values.

    A file named ``flink-conf.yaml`` is read in the legacy flat format, any other
    file as standard YAML with nested maps flattened to dotted keys.

    Raises:
        ConfigError: If the file cannot be read or parsed; the message names it.
    """
    file = Path(path)
    source = f"configuration file '{file}'"
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {source}: {exc}") from None
    if file.name == LEGACY_CONFIG_FILE:
        return _parse_legacy(text, source)
    return _parse_yaml(text, source)


def parse_dynamic_property(text: str) -> tuple[str, str]:
    """Splits one ``-D`` property ``"key=value"`` (a leading ``-D`` is allowed).

    Raises:
        ConfigError: If there is no ``=`` or the key is empty.
    """
    body = text[2:] if text.startswith("-D") else text
    key, sep, value = body.partition("=")
    if not sep or not key.strip():
        raise ConfigError(
            f"Invalid dynamic property {text!r}: expected key=value, e.g. -D parallelism.default=2"
        )
    return key.strip(), value.strip()


def _resolve_conf_dir(
    conf_dir: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> Path | None:
    """Picks the configuration directory (argument, then environment) and checks it exists."""
    origin = "Configuration directory"
    if conf_dir is None:
        variable = next((name for name in ENV_CONF_DIRS if env.get(name)), None)
        if variable is None:
            return None
        conf_dir, origin = env[variable], f"Configuration directory ${variable}"
    directory = Path(conf_dir)
    if not directory.is_dir():
        raise ConfigError(f"{origin} '{directory}' does not exist or is not a directory")
    return directory


def load_config(
    conf_dir: str | os.PathLike[str] | None = None,
    dynamic_properties: Sequence[str] | Mapping[str, Any] = (),
    env: Mapping[str, str] | None = None,
) -> FlinkConfig:
    """Loads the configuration from its layered sources.

    Precedence, lowest to highest: built-in defaults < ``<conf_dir>/config.yaml``
    (or, if absent, the legacy ``flink-conf.yaml``) < ``$FLINK_PROPERTIES`` <
    ``dynamic_properties`` (``-D`` flags).

    Args:
        conf_dir: The configuration directory; defaults to ``$FLINK_PY_CONF_DIR``,
            else ``$FLINK_CONF_DIR``, else none. A directory without a file is fine.
        dynamic_properties: ``"key=value"`` strings, or a mapping.
        env: The environment to read; defaults to :data:`os.environ`.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: For a missing directory, an unreadable or malformed file, a
            malformed ``FLINK_PROPERTIES`` or ``-D`` entry, or an invalid value.
    """
    env = os.environ if env is None else env
    config = FlinkConfig()
    directory = _resolve_conf_dir(conf_dir, env)
    if directory is not None:
        path = next((directory / name for name in (CONFIG_FILE, LEGACY_CONFIG_FILE)
                     if (directory / name).is_file()), None)  # fmt: skip
        if path is not None:
            config = config.with_overrides(read_config_file(path), source=str(path))
    properties = env.get(ENV_FLINK_PROPERTIES, "")
    if properties.strip():
        values = _parse_yaml(properties, f"${ENV_FLINK_PROPERTIES}")
        config = config.with_overrides(values, source=f"${ENV_FLINK_PROPERTIES}")
    if isinstance(dynamic_properties, Mapping):
        dynamic = dict(dynamic_properties)
    else:
        items = [dynamic_properties] if isinstance(dynamic_properties, str) else dynamic_properties
        dynamic = dict(parse_dynamic_property(item) for item in items)
    if dynamic:
        config = config.with_overrides(dynamic, source="-D properties")
    return config
