"""Operator IDs and savepoint mapping (Flink's StreamGraphHasherV2 and state assignment).

Operators without a uid get an ID hashed from the topology, so the same program maps
its savepoint onto itself (also rescaled) while an unrelated program is refused with
Flink's "Cannot map checkpoint/savepoint state" message, unless allowNonRestoredState.
State mapped onto another kind of operator (two programs of the same shape) is refused
naming the operator instead of crashing inside the task.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flink_py.client.graph import GraphError, murmur3_128
from flink_py.common import Encoder, Types
from flink_py.common.runtime.checkpoint_storage import read_snapshot
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import (
    FileSink,
    FileSource,
    StreamFormat,
)
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.jobmanager.checkpoint_coordinator import (
    CheckpointConfigValues,
    CheckpointCoordinator,
    CompletedCheckpoint,
    StateMappingError,
    mismatched_kinds,
)
from flink_py.jobmanager.job_master import JobMaster

from tests.api_support import (
    by_value,
    checkpointed_env,
    committed_lines,
    expected_running_sums,
    write_keyed_inputs,
)
from tests.conftest import ProcessCluster, remote_env, wait_until
from tests.test_checkpoint_coordinator import _graph
from tests.test_recovery_chaos import _Parse

by_value(__name__)

HEX_ID = re.compile(r"[0-9a-f]{32}")
ROOT = Path(__file__).resolve().parent.parent


# -- the hasher ---------------------------------------------------------------------------
def test_murmur3_matches_guava() -> None:
    def longs(data: str, seed: int = 0) -> tuple[int, int]:
        return struct.unpack("<QQ", murmur3_128(data.encode(), seed))  # type: ignore[return-value]

    assert longs("hell") == (0x629942693E10F867, 0x92DB0B82BAEB5347)
    assert longs("hello", 1) == (0xA78DDFF5ADAE8D10, 0x128900EF20900135)
    assert longs("The quick brown fox jumps over the lazy dog") == (
        0xE34BBC7BBC071B6C, 0x7A433CA9C49A9347)


def _ids(build: Any, parallelism: int = 2) -> dict[str, str]:
    """Operator name -> operator ID (the state key) of the program ``build`` makes."""
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    build(env)
    graph = env.get_stream_graph_job()
    ids = {o.name: o.uid for v in graph.vertices for o in v.operators}
    assert len(ids) == sum(len(v.operators) for v in graph.vertices), "ambiguous names"
    return ids  # type: ignore[return-value]


def _keyed(env: StreamExecutionEnvironment, extra_filter: bool = False,
           sum_uid: str | None = None) -> None:
    ds = env.from_source(NumberSequenceSource(0, 99), None, "numbers")
    if extra_filter:
        ds = ds.filter(lambda n: n >= 0)
    summed = ds.map(lambda n: (n % 3, n)).name("pair").key_by(lambda p: p[0]).reduce(
        lambda a, b: (a[0], a[1] + b[1]))
    if sum_uid:
        summed = summed.uid(sum_uid)
    summed.map(str, Types.STRING()).name("format").print()


def test_same_topology_gets_the_same_ids_at_any_parallelism() -> None:
    first = _ids(_keyed)
    assert all(HEX_ID.fullmatch(i) for i in first.values()) and len(set(first.values())) == 5
    assert _ids(_keyed) == first
    assert _ids(_keyed, parallelism=1) == _ids(_keyed, parallelism=4) == first
    # Flink's ID of a source at traversal position 0 with one chained output
    assert first["Source: numbers"] == "cbc357ccb763df2852fee8c4fc7d55f2"


def test_rescaling_does_not_change_ids_even_when_the_chaining_changes() -> None:
    def build(env: StreamExecutionEnvironment) -> None:
        env.from_collection([1, 2, 3]).map(lambda v: v + 1).print()  # source: parallelism 1

    vertices = {}
    for p in (1, 3):
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(p)
        build(env)
        vertices[p] = len(env.get_stream_graph_job().vertices)
    assert vertices == {1: 1, 3: 2}  # chained at parallelism 1 only
    assert _ids(build, 1) == _ids(build, 3)


def test_a_changed_upstream_changes_the_ids_downstream() -> None:
    plain, filtered = _ids(_keyed), _ids(lambda env: _keyed(env, extra_filter=True))
    for name in ("pair", "Keyed Reduce", "format", "Sink: Print to Std. Out"):
        assert plain[name] != filtered[name], name
    # Same shape, other source: same IDs (Flink hashes the topology, not the functions)
    other = _ids(lambda env: env.from_collection([1]).map(lambda n: (n % 3, n)).name("pair")
                 .key_by(lambda p: p[0]).reduce(lambda a, b: a)
                 .map(str, Types.STRING()).name("format").print())
    assert list(other.values()) == list(plain.values())


def test_uid_and_uid_hash_win() -> None:
    plain = _ids(lambda env: _keyed(env, sum_uid="sum"))
    filtered = _ids(lambda env: _keyed(env, extra_filter=True, sum_uid="sum"))
    assert plain["Keyed Reduce"] == filtered["Keyed Reduce"] == "sum"
    pinned = _ids(lambda env: env.from_collection([1]).map(lambda v: v)
                  .set_uid_hash("AB" * 16).print())
    assert pinned["Map"] == "ab" * 16
    with pytest.raises(GraphError, match='Hash collision on user-specified ID "x"'):
        _ids(lambda env: env.from_collection([1]).uid("x").map(lambda v: v).uid("x").print())
    with pytest.raises(GraphError, match="same operator ID"):
        _ids(lambda env: env.from_collection([1]).set_uid_hash("ab" * 16).map(lambda v: v)
             .set_uid_hash("AB" * 16).print())


def test_kinds_are_recorded_with_the_state_and_checked_on_restore() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    _keyed(env)
    graph = env.get_stream_graph_job()
    kinds = [o.kind for v in graph.vertices for o in v.operators]
    assert kinds[0] == "SourceReaderOperator[NumberSequenceSource]"
    assert "ReduceOperator" in kinds and "PrintSinkOperator" in kinds
    # the coordinator writes the kind into the checkpoint's operators document
    c = CheckpointCoordinator(CheckpointConfigValues(interval_ms=100, directory="/x"),
                              [("v", 0)], [("v", 0)], {"v": [("k", 1, 128)]}, 0.0,
                              kinds={"k": "SourceReaderOperator[CollectionSource]"})
    c.trigger(0.0)
    (fin,) = c.on_ack(1, ("v", 0), {"k": {"keyed": None, "state": "/s"}})
    assert fin.operators["k"]["kind"] == "SourceReaderOperator[CollectionSource]"
    snap = {"k": {"kind": "SourceReaderOperator[NumberSequenceSource]",
                  "subtasks": {"0": {"keyed": None, "state": "/s"}}},
            "stateless": {"kind": "MapOperator", "subtasks": {"0": {"keyed": None,
                                                                     "state": None}}}}
    new = {"k": "SourceReaderOperator[CollectionSource]", "stateless": "FlatMapOperator"}
    with pytest.raises(StateMappingError, match="operator k to operator 'Source: x' .*"
                                                "NumberSequenceSource.*CollectionSource"):
        mismatched_kinds(snap, new, {"k": "Source: x"}, "/sp", allow_non_restored=False)
    assert mismatched_kinds(snap, new, {}, "/sp", allow_non_restored=True) == ["k"]


def test_job_master_refuses_state_of_another_kind_unless_allowed() -> None:
    def graph(allow: bool) -> Any:
        g = _graph()
        src = g.vertices[0].operators[0]
        src.uid, src.kind = "src-id", "SourceReaderOperator[CollectionSource]"
        if allow:
            g.config["execution.state-recovery.ignore-unclaimed-state"] = "true"
        return g

    sp = CompletedCheckpoint(7, {"src-id": {
        "vertex": "src", "parallelism": 2, "max_parallelism": 128,
        "kind": "SourceReaderOperator[NumberSequenceSource]",
        "subtasks": {"0": {"keyed": None, "state": "/sp/0"},
                     "1": {"keyed": None, "state": "/sp/1"}}}}, "/sp")
    with pytest.raises(StateMappingError, match="operator src-id to operator 'Source'"):
        JobMaster(graph(False), 0.0, restore=sp)
    jm = JobMaster(graph(True), 0.0, restore=sp)
    assert jm.checkpoints is not None
    assert jm.checkpoints.restore_for("src", 0)["operators"] == {}  # type: ignore[index]
    with pytest.raises(StateMappingError, match="operator gone to the new program"):
        JobMaster(graph(False), 0.0, restore=CompletedCheckpoint(
            1, {"gone": {"subtasks": {"0": {"keyed": None, "state": "/g"}}}}, "/sp"))


# -- jobs ---------------------------------------------------------------------------------
FILES, LINES, KEYS = 3, 600, 4


_env = checkpointed_env


def _sums(env: StreamExecutionEnvironment, source: Any, parse: Any, out: Path) -> Any:
    """Keyed running sums into a FileSink; no uids anywhere."""
    (env.from_source(source, None, "lines")
     .map(parse)
     .key_by(lambda r: r[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .map(lambda r: f"{r[0]},{r[1]}", Types.STRING())
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build()))
    return env.execute_async("sums")


def _files(src: Path) -> Any:
    return FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(src)).build()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flink_py.client.cli", *args],
                          check=False, capture_output=True, text=True, timeout=120,
                          cwd=str(ROOT))


@pytest.mark.slow
def test_savepoints_map_by_topology_and_unrelated_programs_are_refused(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 3)
    remote_env(cluster.address)
    client = cluster.client
    assert client is not None
    src = write_keyed_inputs(tmp_path, FILES, LINES, KEYS)
    expected = expected_running_sums(FILES, LINES, KEYS)
    try:
        # 1. the same program (no uids) restores from its savepoint, rescaled 2 -> 3
        job = _sums(_env(tmp_path, 2), _files(src), _Parse(delay_s=0.002), tmp_path / "out1")
        wait_until(lambda: client.get_job(job.get_job_id()).completed_checkpoints >= 1,
                   timeout=40, describe=cluster.logs)
        path = client.stop_with_savepoint(job.get_job_id(), str(tmp_path / "sp"), timeout=60)
        assert client.wait(job.get_job_id(), timeout=60).info.state == "FINISHED"
        keys = read_snapshot(path)["operators"]
        assert keys and all(HEX_ID.fullmatch(k) for k in keys), sorted(keys)
        first = committed_lines(tmp_path / "out1")
        assert 0 < sum(first.values()) < sum(expected.values()), "stopped too late"
        _sums(_env(tmp_path, 3, restore=path), _files(src), _Parse(),
              tmp_path / "out2").get_job_execution_result().result()
        assert first + committed_lines(tmp_path / "out2") == expected

        # 2. an unrelated program is refused with Flink's message, as one line of the CLI
        word_count = str(ROOT / "examples" / "word_count.py")
        res = _cli("run", "-m", cluster.address, "-s", path, word_count)
        assert res.returncode != 0
        assert "Traceback" not in res.stderr, res.stderr
        (line,) = [ln for ln in res.stderr.splitlines() if "Cannot map" in ln]
        assert re.search(rf"Failed to rollback to checkpoint/savepoint {re.escape(path)}\. "
                         r"Cannot map checkpoint/savepoint state for operator [0-9a-f]{32} to "
                         r"the new program, because the operator is not available in the new "
                         r"program\. If you want to allow to skip this, you can set the "
                         r"--allowNonRestoredState option on the CLI\.", line), line
        # ... and runs fresh with -n
        res = _cli("run", "-m", cluster.address, "-s", path, "-n", word_count)
        assert res.returncode == 0, res.stderr
        assert "Job has been submitted" in res.stdout

        # 3. a program of the same shape with another source: refused naming the operator
        #    (it used to crash in the task: 'NumberSequenceSplit' object has no attribute ...)
        def numbers(allow: bool, out: str) -> Any:
            return _sums(_env(tmp_path, 2, restore=path, allow_non_restored=allow),
                         NumberSequenceSource(0, 399),
                         lambda n: (f"key{n % KEYS}", 1), tmp_path / out)

        with pytest.raises(ValueError, match=r"Cannot map checkpoint/savepoint state for "
                           r"operator [0-9a-f]{32} to operator 'Source: lines' of the new "
                           r"program: the state was written by a "
                           r"SourceReaderOperator\[FileSource\], the new operator is a "
                           r"SourceReaderOperator\[NumberSequenceSource\]"):
            numbers(False, "out3")
        numbers(True, "out4").get_job_execution_result().result()  # the cluster stays healthy
        sums = committed_lines(tmp_path / "out4")
        assert sum(sums.values()) == 400  # every number once; sums continued from the state
    finally:
        from flink_py.client.context import set_context

        set_context(None)
    assert not os.path.exists(tmp_path / "out3")
