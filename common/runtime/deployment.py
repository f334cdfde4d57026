"""What the JobManager sends a TaskManager to run one subtask.

A :class:`TaskDeploymentDescriptor` names the vertex (its chain of
serialized operators), which subtask and attempt this is, where every input
channel's producer lives and where every output subpartition's consumer
lives. The TaskManager needs nothing else to run the subtask.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = [
    "EndOfPartition",
    "InputChannelDescriptor",
    "InputGateDescriptor",
    "OutputDescriptor",
    "TaskDeploymentDescriptor",
]


@dataclasses.dataclass(frozen=True)
class EndOfPartition:
    """In-band event: the producer sent its last record on this channel."""


@dataclasses.dataclass
class InputChannelDescriptor:
    """One producer subtask feeding this subtask."""

    #: (job id, edge id, producer subtask, producer attempt)
    partition_key: tuple[str, str, int, int]
    #: which subpartition of the producer's partition is ours
    subpartition_index: int
    #: data address of the producer's slot worker
    address: str


@dataclasses.dataclass
class InputGateDescriptor:
    """All channels of one input edge."""

    edge_id: str
    input_index: int
    type_info: Any
    channels: list[InputChannelDescriptor]


@dataclasses.dataclass
class OutputDescriptor:
    """One output edge of this subtask: its partition and consumers."""

    edge_id: str
    source_operator: int
    side_output: str | None
    partitioner: bytes  # cloudpickled Partitioner
    type_info: Any
    #: data address of the consumer of each subpartition
    consumer_addresses: list[str]
    #: consumer subtask index of each subpartition
    consumer_subtasks: list[int]


@dataclasses.dataclass
class TaskDeploymentDescriptor:
    """Everything a TaskManager needs to run one subtask."""

    job_id: str
    job_name: str
    vertex_id: str
    vertex_name: str
    operators: list[Any]  # ChainedOperator with cloudpickled ``operator`` bytes
    subtask_index: int
    parallelism: int
    max_parallelism: int
    attempt: int
    is_source: bool
    inputs: list[InputGateDescriptor]
    outputs: list[OutputDescriptor]
    config: dict[str, str]
    runtime_mode: str = "STREAMING"
    #: State to start from: ``{"checkpoint_id": n, "operators": {operator key:
    #: {"keyed": [keyed handle JSON, ...], "state": path of the operator's
    #: pickled state or None}}}`` (see ``jobmanager.checkpoint_coordinator``), or None.
    restore: dict[str, Any] | None = None

    @property
    def task_name_with_subtask(self) -> str:
        """``name (i/n)`` as Flink prints a subtask."""
        return f"{self.vertex_name} ({self.subtask_index + 1}/{self.parallelism})"
