"""Common API (``pyflink.common`` with ``flink_py`` in its place)."""

from flink_py.common.completable_future import CompletableFuture
from flink_py.common.configuration import Configuration
from flink_py.common.execution_config import ExecutionConfig
from flink_py.common.job_status import JobStatus
from flink_py.common.restart_strategy import RestartStrategies, RestartStrategyConfiguration
from flink_py.common.config_options import ConfigOption, ConfigOptions
from flink_py.common.input_dependency_constraint import InputDependencyConstraint
from flink_py.common.job_id import JobID
from flink_py.common.serialization import (
    ByteArraySchema,
    DeserializationSchema,
    Encoder,
    SerializationSchema,
    SimpleStringSchema,
)
from flink_py.common.serializer import TypeSerializer
from flink_py.common.time import Duration, Instant, Time
from flink_py.common.typeinfo import TypeInformation, Types
from flink_py.common.types import Row, RowKind
from flink_py.common.watermark_strategy import (
    TimestampAssigner,
    Watermark,
    WatermarkGenerator,
    WatermarkOutput,
    WatermarkStrategy,
)

__all__ = ["ByteArraySchema", "CompletableFuture", "ConfigOption", "ConfigOptions", "Configuration",
           "DeserializationSchema", "Duration", "Encoder", "ExecutionConfig",
           "InputDependencyConstraint", "Instant", "JobID", "JobStatus", "SerializationSchema",
           "SimpleStringSchema",
           "RestartStrategies", "RestartStrategyConfiguration", "Row", "RowKind", "Time",
           "TimestampAssigner", "TypeInformation", "TypeSerializer", "Types", "Watermark", "WatermarkGenerator",
           "WatermarkOutput", "WatermarkStrategy"]


def __getattr__(name: str) -> object:
    """``JobClient`` and ``JobExecutionResult`` live with the environment (imported lazily:
    the datastream package imports this one)."""
    if name in ("JobClient", "JobExecutionResult"):
        from flink_py.datastream import stream_execution_environment as env

        return getattr(env, name)
    raise AttributeError(f"module 'flink_py.common' has no attribute {name!r}")
