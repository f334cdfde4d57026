"""The JobGraph: what a client submits and a JobManager schedules.

A :class:`JobGraph` is the chained form of the user's StreamGraph (Flink
§1.1): each :class:`JobVertex` is one operator chain that runs as one task in
one thread per parallel subtask. Edges between vertices carry a partitioner
and the type of the records that cross them (which decides their Arrow
encoding).

These are plain dataclasses. The operators inside are runtime operator
objects (``flink_py.taskmanager.operators``) that are cloudpickled with the
graph and opened on the TaskManager.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

__all__ = [
    "ChainedOperator",
    "JobEdge",
    "JobGraph",
    "JobVertex",
    "new_id",
]


def new_id() -> str:
    """A Flink-style identifier: 32 lowercase hex characters."""
    return uuid.uuid4().hex


@dataclasses.dataclass
class ChainedOperator:
    """One operator inside a chain.

    Attributes:
        node_id: the StreamGraph node id (stable across chainings).
        name: the operator's display name (``Map``, ``Source: numbers``...).
        operator: the runtime operator object (not yet opened).
        output_type: the declared TypeInformation of its output, or None.
        chained_outputs: indices (within the vertex) of the operators that
            consume this operator's main output inside the same chain.
        uid: the operator ID its state is keyed by in checkpoints and savepoints
            (Flink's OperatorID): the user's ``uid()``, else its ``set_uid_hash``,
            else the hash the client generated from the topology
            (``client.graph.stream_graph_hashes``). None only in hand-built graphs
            (keyed ``node-<node_id>``; see ``checkpoint_coordinator.operator_key``).
        uid_hash: the user-given operator id hash (``set_uid_hash``), or None.
        kind: what kind of state the operator writes -- its runtime class, with the
            source or sink class (``SourceReaderOperator[NumberSequenceSource]``);
            recorded with its state, so a restore into a different kind of operator
            fails naming it. None: not checked.
    """

    node_id: int
    name: str
    operator: Any
    output_type: Any = None
    chained_outputs: list[int] = dataclasses.field(default_factory=list)
    uid: str | None = None
    uid_hash: str | None = None
    kind: str | None = None


@dataclasses.dataclass
class JobEdge:
    """A non-chained connection between two vertices.

    Attributes:
        source_vertex: id of the producing vertex.
        source_operator: index of the producing operator within its chain.
        target_vertex: id of the consuming vertex.
        target_input: which input of the consuming head operator (0 or 1).
        partitioner: a ``flink_py.common.runtime.partitioners.Partitioner``,
            cloudpickled (it may hold user key selectors).
        partitioner_name: FORWARD, RESCALE (pointwise) or HASH, REBALANCE,
            SHUFFLE, BROADCAST, GLOBAL, CUSTOM (all-to-all).
        type_info: TypeInformation of the records on this edge, or None
            (pickled values).
        side_output: name of the side-output tag feeding this edge, or None.
    """

    source_vertex: str
    source_operator: int
    target_vertex: str
    target_input: int
    partitioner: Any
    partitioner_name: str = "FORWARD"
    type_info: Any = None
    side_output: str | None = None
    id: str = dataclasses.field(default_factory=new_id)


@dataclasses.dataclass
class JobVertex:
    """One chain of operators; deployed as ``parallelism`` subtasks."""

    id: str
    name: str
    parallelism: int
    max_parallelism: int
    operators: list[ChainedOperator]
    slot_sharing_group: str = "default"
    is_source: bool = False
    inputs: list[JobEdge] = dataclasses.field(default_factory=list)
    outputs: list[JobEdge] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class JobGraph:
    """The unit of submission.

    Attributes:
        job_id: 32 hex characters.
        name: the job name (``execute(name)``).
        vertices: vertices in topological order (sources first).
        config: job-level configuration (flat ``key -> value`` strings).
        runtime_mode: ``STREAMING`` or ``BATCH``.
        collect_ids: ``execute_and_collect`` sink id -> its parallelism.
    """

    job_id: str
    name: str
    vertices: list[JobVertex]
    config: dict[str, str] = dataclasses.field(default_factory=dict)
    runtime_mode: str = "STREAMING"
    collect_ids: dict[str, int] = dataclasses.field(default_factory=dict)

    def vertex(self, vertex_id: str) -> JobVertex:
        """Return the vertex with this id."""
        for v in self.vertices:
            if v.id == vertex_id:
                return v
        raise KeyError(vertex_id)

    def slot_requirements(self) -> dict[str, int]:
        """Slots needed per slot-sharing group (max parallelism inside each)."""
        need: dict[str, int] = {}
        for v in self.vertices:
            need[v.slot_sharing_group] = max(need.get(v.slot_sharing_group, 0), v.parallelism)
        return need

    def total_slots(self) -> int:
        """Total number of slots the job needs (Flink §1.5)."""
        return sum(self.slot_requirements().values())
