"""From the user's transformations to a submittable JobGraph.

1. **StreamGraph**: one node per operator transformation; virtual
   transformations (partition, union, side output) become edge properties.
   Parallelism is resolved (operator > environment > ``flink-py run -p`` >
   ``parallelism.default``), and edges without a partitioner become FORWARD
   (equal parallelism) or REBALANCE.
2. **Chaining** (Flink §1.4): an edge is chained when chaining is enabled,
   the target has that single input, the partitioner is FORWARD, both sides
   have the same parallelism and slot-sharing group, and the chaining
   strategies allow it.
3. **Serialization**: every operator and partitioner is cloudpickled on its
   own, so an unpicklable function fails here, naming its operator. The
   job's ``python.files`` (``env.add_python_file``) travel inside each pickle
   and are installed on the slot worker before the operator is loaded
   (``datastream._python_files``).
4. **Operator IDs** (Flink's ``StreamGraphHasherV2``, :func:`stream_graph_hashes`):
   an operator without ``uid()`` gets an ID that is a deterministic hash of
   the topology -- its position in a breadth-first traversal from the
   sources, its chainable outputs and its inputs' hashes -- so the same
   program gets the same IDs in every submission and an unrelated program
   gets other ones. State in checkpoints and savepoints is keyed by it
   (``ChainedOperator.uid``): the user's ``uid()``, else ``set_uid_hash``,
   else the generated hash. Chainability counts for the hash as if every
   operator ran at the same parallelism, so rescaling (``-p``, or only some
   operators) never changes an ID.

:func:`execution_plan` renders the StreamGraph as Flink's JSON plan.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import struct
import sys
from collections import deque
from typing import Any

import cloudpickle
from flink_py.common.runtime.jobgraph import (
    ChainedOperator,
    JobEdge,
    JobGraph,
    JobVertex,
    new_id,
)
from flink_py.common.runtime.keygroups import default_max_parallelism
from flink_py.common.runtime.partitioners import (
    ForwardPartitioner,
    KeyGroupStreamPartitioner,
    RebalancePartitioner,
)
from flink_py.datastream._python_files import PythonFiles, ShipWith
from flink_py.datastream._python_files import pack as pack_python_files
from flink_py.datastream._transformation import Transformation

__all__ = ["GraphError", "build_job_graph", "execution_plan", "murmur3_128",
           "stream_graph_hashes"]


class GraphError(ValueError):
    """The program cannot be turned into a job (bad parallelism, unpicklable function...)."""


@dataclasses.dataclass(eq=False)
class _Node:
    t: Transformation
    parallelism: int
    max_parallelism: int
    group: str
    inputs: list[_Edge] = dataclasses.field(default_factory=list)
    outputs: list[_Edge] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class _Edge:
    source: _Node
    target: _Node
    input_index: int
    partitioner: Any
    partitioner_name: str
    side_tag: str | None
    type_info: Any
    #: no partitioner was given: FORWARD at equal parallelism, else REBALANCE
    defaulted: bool = False


def _operator_label(t: Transformation) -> str:
    return f"'{t.name}'" + (f" ({t.description})" if t.description else "")


def _register_job_modules() -> None:
    """Pickle modules from the job's own directory by value.

    TaskManagers do not have the user's helper modules on their path; their
    functions must travel inside the job graph.
    """
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if not main_file:
        return
    job_dir = os.path.dirname(os.path.abspath(main_file)) + os.sep
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if (path and name != "__main__" and "." not in name
                and os.path.abspath(path).startswith(job_dir)
                and "site-packages" not in path and not name.startswith("flink_py")):
            try:
                cloudpickle.register_pickle_by_value(mod)
            except ValueError:
                pass


def _dumps(obj: Any, what: str, files: PythonFiles | None = None) -> bytes:
    """Cloudpickle ``obj``; with ``python.files``, unpickling first installs them."""
    try:
        return cloudpickle.dumps(obj if files is None else ShipWith(files, obj))
    except Exception as exc:
        msg = f"Cannot serialize {what}: {type(exc).__name__}: {exc}"
        raise GraphError(msg) from exc


def _build_stream_graph(sinks: list[Transformation], config: Any, env_parallelism: int | None,
                        env_max_parallelism: int | None, client_parallelism: int | None
                        ) -> list[_Node]:
    """The StreamGraph of everything reachable from ``sinks``, in topological order."""
    default_p = env_parallelism or client_parallelism or int(config.get("parallelism.default"))
    configured_max = env_max_parallelism or int(config.get("pipeline.max-parallelism"))

    nodes: dict[int, _Node] = {}
    order: list[_Node] = []

    def resolve_inputs(t: Transformation, index: int, partitioner: Any = None,
                       pname: str | None = None, tag: str | None = None
                       ) -> list[tuple[_Node, int, Any, str | None, str | None, Any]]:
        """Upstream real nodes of ``t`` with the edge properties collected on the way."""
        if t.kind in ("source", "operator"):
            node = visit(t)
            type_info = t.output_type if tag is None else _tag_type(t, tag)
            return [(node, index, partitioner, pname, tag, type_info)]
        out = []
        for up, _ in t.inputs:
            if t.kind == "partition":
                out += resolve_inputs(up, index, t.partitioner, t.partitioner_name, tag)
            elif t.kind == "side_output":
                out += resolve_inputs(up, index, partitioner, pname, t.side_tag)
            else:  # union
                out += resolve_inputs(up, index, partitioner, pname, tag)
        return out

    def visit(t: Transformation) -> _Node:
        if t.id in nodes:
            return nodes[t.id]
        ups = [r for up, idx in t.inputs for r in resolve_inputs(up, idx)]
        if t.non_parallel:
            p = 1
        else:
            p = t.parallelism or default_p
        groups = {n.group for n, *_ in ups}
        group = t.slot_sharing_group or (groups.pop() if len(groups) == 1 else "default")
        # a non-parallel source (from_collection, add_source) has max parallelism 1, as
        # Flink's: so have the operators chained to it (real PyFlink 2.3 shows 1 there)
        max_p = t.max_parallelism or (1 if t.non_parallel and t.kind == "source" else (
            configured_max if configured_max > 0 else default_max_parallelism(p)))
        if p > max_p:
            msg = (f"Vertex {_operator_label(t)}'s parallelism ({p}) is higher than the max "
                   f"parallelism ({max_p}). Please lower the parallelism or increase the max "
                   "parallelism.")
            raise GraphError(msg)
        node = _Node(t, p, max_p, group)
        nodes[t.id] = node
        for up, idx, partitioner, pname, tag, type_info in ups:
            defaulted = partitioner is None
            if partitioner is None:
                if up.parallelism == p:
                    partitioner, pname = ForwardPartitioner(), "FORWARD"
                else:
                    partitioner, pname = RebalancePartitioner(), "REBALANCE"
            elif pname == "FORWARD" and up.parallelism != p:
                msg = (f"Forward partitioning does not allow change of parallelism. Upstream "
                       f"operation: {_operator_label(up.t)} parallelism: {up.parallelism}, "
                       f"downstream operation: {_operator_label(t)} parallelism: {p}. "
                       "You must use another partitioning strategy, such as rebalance().")
                raise GraphError(msg)
            else:
                partitioner = copy.copy(partitioner)
                if isinstance(partitioner, KeyGroupStreamPartitioner):
                    partitioner.configure(max_p)
                    key_type = getattr(partitioner, "key_type", None)
                    if key_type is not None and getattr(t.operator, "key_type", "") is None:
                        # the keyed operator's state follows the routing of its keys
                        t.operator.key_type = key_type
            edge = _Edge(up, node, idx, partitioner, pname or "FORWARD", tag, type_info,
                         defaulted)
            up.outputs.append(edge)
            node.inputs.append(edge)
        order.append(node)
        return node

    for sink in sinks:
        visit(sink)
    if not order:
        raise GraphError("No operators defined in streaming topology. Cannot execute.")
    return order


def execution_plan(sinks: list[Transformation], config: Any, env_parallelism: int | None,
                   env_max_parallelism: int | None, client_parallelism: int | None) -> str:
    """The StreamGraph as Flink's JSON plan (``getStreamingPlanAsJSON``).

    One node per operator (``id``, ``type``, ``pact``, ``contents``,
    ``parallelism``), non-sources with their ``predecessors`` (``id``,
    ``ship_strategy``, ``side``); sinks last, as Flink's JSONGenerator orders them.
    """
    order = _build_stream_graph(sinks, config, env_parallelism, env_max_parallelism,
                                client_parallelism)
    sink_ids = {t.id for t in sinks}
    out = []
    for node in sorted(order, key=lambda n: (n.t.id in sink_ids, n.t.id)):
        t = node.t
        name = _display_name(t)
        entry: dict[str, Any] = {
            "id": t.id, "type": name,
            "pact": ("Data Source" if t.kind == "source"
                     else "Data Sink" if t.id in sink_ids else "Operator"),
            "contents": t.operator_description or name, "parallelism": node.parallelism}
        if t.kind != "source":
            entry["predecessors"] = [{"id": e.source.t.id, "ship_strategy": e.partitioner_name,
                                      "side": "second"} for e in node.inputs]
        out.append(entry)
    return json.dumps({"nodes": out}, indent=2)


def build_job_graph(sinks: list[Transformation], job_name: str, config: Any,
                    env_parallelism: int | None, env_max_parallelism: int | None,
                    client_parallelism: int | None, runtime_mode: str,
                    job_config: dict[str, str]) -> JobGraph:
    """Build the JobGraph for everything reachable from ``sinks``."""
    chaining_enabled = bool(config.get("pipeline.operator-chaining.enabled"))
    chain_different_max = bool(config.get(
        "pipeline.operator-chaining.chain-operators-with-different-max-parallelism"))
    order = _build_stream_graph(sinks, config, env_parallelism, env_max_parallelism,
                                client_parallelism)
    try:
        files = pack_python_files(job_config.get("python.files"))
    except FileNotFoundError as exc:
        raise GraphError(str(exc)) from exc

    def chainable(e: _Edge) -> bool:
        return (_chain_compatible(e, chaining_enabled) and e.partitioner_name == "FORWARD"
                and e.source.parallelism == e.target.parallelism
                and (chain_different_max or e.source.max_parallelism == e.target.max_parallelism))

    operator_ids = _operator_ids(order, chaining_enabled)
    _register_job_modules()
    job_id = new_id()
    vertex_of: dict[int, tuple[JobVertex, int]] = {}
    vertices: list[JobVertex] = []
    for node in order:
        if node.inputs and chainable(node.inputs[0]):
            continue  # not a chain head
        vertex = JobVertex(id=new_id(), name="", parallelism=node.parallelism,
                           max_parallelism=node.max_parallelism, operators=[],
                           slot_sharing_group=node.group, is_source=node.t.kind == "source")
        stack = [node]
        while stack:
            n = stack.pop(0)
            index = len(vertex.operators)
            vertex_of[n.t.id] = (vertex, index)
            name = _display_name(n.t)
            vertex.operators.append(ChainedOperator(
                node_id=n.t.id, name=name,
                operator=_dumps(n.t.operator, f"the function of operator {_operator_label(n.t)}",
                                files),
                output_type=n.t.output_type, uid=operator_ids[n.t.id], uid_hash=n.t.uid_hash,
                kind=_operator_kind(n.t.operator)))
            stack += [e.target for e in n.outputs if chainable(e)]
        vertex.name = " -> ".join(op.name for op in vertex.operators)
        vertices.append(vertex)
    # Chained outputs and job edges.
    for node in order:
        vertex, index = vertex_of[node.t.id]
        for e in node.outputs:
            tv, ti = vertex_of[e.target.t.id]
            if tv is vertex and chainable(e):
                vertex.operators[index].chained_outputs.append(ti)
                continue
            job_edge = JobEdge(
                source_vertex=vertex.id, source_operator=index, target_vertex=tv.id,
                target_input=e.input_index,
                partitioner=_dumps(e.partitioner, f"the partitioner into operator "
                                   f"{_operator_label(e.target.t)}", files),
                partitioner_name=e.partitioner_name, type_info=e.type_info,
                side_output=e.side_tag)
            vertex.outputs.append(job_edge)
            tv.inputs.append(job_edge)
    collect_ids = {}
    for node in order:
        cid = getattr(node.t.operator, "collect_id", None)
        if cid is not None:
            collect_ids[cid] = node.parallelism
    return JobGraph(job_id=job_id, name=job_name, vertices=vertices, config=job_config,
                    runtime_mode=runtime_mode, collect_ids=collect_ids)


def _tag_type(t: Transformation, tag: str) -> Any:
    types = getattr(t.operator, "side_output_types", {}) or {}
    return types.get(tag)


# -- operator IDs (Flink's StreamGraphHasherV2) ----------------------------------------------
_M64 = (1 << 64) - 1
_C1, _C2 = 0x87C37B91114253D5, 0x4CF5AD432745937F


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    return k ^ (k >> 33)


def murmur3_128(data: bytes, seed: int = 0) -> bytes:
    """MurmurHash3 x64 128 (Guava's ``Hashing.murmur3_128(seed)``, ``asBytes()``)."""
    h1 = h2 = seed & _M64
    n = len(data)
    end = n - n % 16
    for i in range(0, end, 16):
        k1, k2 = struct.unpack_from("<QQ", data, i)
        h1 ^= (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
        h1 = ((_rotl(h1, 27) + h2) * 5 + 0x52DCE729) & _M64
        h2 ^= (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
        h2 = ((_rotl(h2, 31) + h1) * 5 + 0x38495AB5) & _M64
    tail = data[end:]
    if len(tail) > 8:
        h2 ^= (_rotl((int.from_bytes(tail[8:], "little") * _C2) & _M64, 33) * _C1) & _M64
    if tail:
        h1 ^= (_rotl((int.from_bytes(tail[:8], "little") * _C1) & _M64, 31) * _C2) & _M64
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return struct.pack("<QQ", h1, h2)


def _chain_compatible(e: _Edge, chaining_enabled: bool) -> bool:
    """Everything of chainability except the partitioner and the parallelisms."""
    up, down = e.source, e.target
    return (chaining_enabled and len(down.inputs) == 1 and e.side_tag is None
            and up.group == down.group and up.t.chaining != "NEVER"
            and down.t.chaining is None and down.t.kind != "source"
            and getattr(down.t.operator, "chaining_strategy", "ALWAYS") == "ALWAYS")


def _hash_chainable(e: _Edge, chaining_enabled: bool) -> bool:
    """Chainable for the hash: as if both sides had the same parallelism (a defaulted
    partitioner is then FORWARD), so rescaling leaves the IDs alone."""
    return _chain_compatible(e, chaining_enabled) and (
        e.partitioner_name == "FORWARD" or e.defaulted)


def stream_graph_hashes(order: list[_Node], chaining_enabled: bool) -> dict[int, bytes]:
    """Flink's ``StreamGraphHasherV2``: a 16-byte hash per node (by transformation id).

    Breadth-first from the sources (in creation order); a node is hashed once all its
    inputs are. With ``uid()``: murmur3_128 of the uid. Else murmur3_128 of its
    traversal position (an int, once plus once per chainable output), then mixed
    with every input's hash (``h[i] = h[i] * 37 ^ input[i]``).

    Raises:
        GraphError: two operators have the same ``uid()``.
    """
    hashes: dict[int, bytes] = {}
    sources = sorted((n for n in order if not n.inputs), key=lambda n: n.t.id)
    visited = {n.t.id for n in sources}
    remaining = deque(sources)
    while remaining:
        node = remaining.popleft()
        t = node.t
        if t.uid:
            h = murmur3_128(t.uid.encode("utf-8"))
            if h in hashes.values():
                msg = (f"Hash collision on user-specified ID \"{t.uid}\". Most likely cause "
                       "is a non-unique ID. Please check that all IDs specified via "
                       "`uid(String)` are unique.")
                raise GraphError(msg)
        elif all(e.source.t.id in hashes for e in node.inputs):
            position = struct.pack("<i", len(hashes))
            chained = sum(1 for e in node.outputs if _hash_chainable(e, chaining_enabled))
            h = murmur3_128(position * (1 + chained))
            for e in node.inputs:
                other = hashes[e.source.t.id]
                h = bytes(((a * 37) ^ b) & 0xFF for a, b in zip(h, other))
        else:
            visited.discard(t.id)  # queued again once its other inputs are hashed
            continue
        hashes[t.id] = h
        for e in node.outputs:
            if e.target.t.id not in visited:
                visited.add(e.target.t.id)
                remaining.append(e.target)
    return hashes


def _operator_ids(order: list[_Node], chaining_enabled: bool) -> dict[int, str]:
    """The state key of every node: its uid, else its ``set_uid_hash``, else its hash.

    Raises:
        GraphError: two operators would share an ID.
    """
    hashes = stream_graph_hashes(order, chaining_enabled)
    ids: dict[int, str] = {}
    owner: dict[str, _Node] = {}
    for node in order:
        t = node.t
        if not t.uid and not t.uid_hash and t.id not in hashes:
            raise GraphError(f"Cannot generate an operator ID for {_operator_label(t)}: it is "
                             "not reachable from a source")
        op_id = t.uid or (t.uid_hash.lower() if t.uid_hash else hashes[t.id].hex())
        if op_id in owner:
            msg = (f"Operators {_operator_label(owner[op_id].t)} and {_operator_label(t)} "
                   f"have the same operator ID {op_id} (uid / set_uid_hash): operator IDs "
                   "must be unique within a job")
            raise GraphError(msg)
        owner[op_id] = node
        ids[t.id] = op_id
    return ids


def _operator_kind(operator: Any) -> str:
    """What state an operator writes: its class, with its source or sink class."""
    kind = type(operator).__name__
    inner = getattr(operator, "source", None) or getattr(operator, "sink", None)
    if inner is None and kind == "SourceFunctionOperator":
        inner = getattr(operator, "func", None)
    return f"{kind}[{type(inner).__name__}]" if inner is not None else kind


def _display_name(t: Any) -> str:
    """The operator's name in task names, logs and errors, as Flink shows it: sources
    as ``Source: <name>``, legacy sinks (``print``, ``add_sink``) as ``Sink: <name>``."""
    if t.kind == "source":
        return f"Source: {t.name}"
    return getattr(t.operator, "display_prefix", "") + t.name
