"""Operator state: CheckpointedFunction list / union list state, redistribution on rescale,
broadcast state and keyed timers in a rescaled restore; and a real stop/restore job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Configuration, Types
from flink_py.common.runtime.keygroups import assign_key_to_parallel_operator
from flink_py.datastream import MapFunction, StreamExecutionEnvironment
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.datastream.functions import (
    CheckpointedFunction,
    FunctionInitializationContext,
    FunctionSnapshotContext,
)
from flink_py.datastream.state import ListStateDescriptor
from flink_py.taskmanager.state.operator_state import (
    DefaultOperatorStateStore,
    redistribute_operator_state,
)
from flink_py.taskmanager.task_checkpoints import redistribute
from tests.api_support import by_value
from tests.conftest import ProcessCluster, remote_env, wait_until

by_value(__name__)


def test_list_state_splits_evenly_and_union_state_goes_to_everyone() -> None:
    snaps = [{"list": {"l": [1, 2, 3, 4]}, "union": {"u": ["a"]}},
             {"list": {"l": [5, 6, 7]}, "union": {"u": ["b"]}}]
    parts = [redistribute_operator_state(snaps, i, 3) for i in range(3)]
    assert [p["list"]["l"] for p in parts] == [[1, 2, 3], [4, 5], [6, 7]]
    assert all(p["union"]["u"] == ["a", "b"] for p in parts)
    merged = redistribute_operator_state(snaps, 0, 1)
    assert merged["list"]["l"] == [1, 2, 3, 4, 5, 6, 7]


def test_operator_state_store_keeps_kinds_apart_and_snapshots() -> None:
    store = DefaultOperatorStateStore({"list": {"l": [1]}, "union": {}}, operator_name="op")
    state = store.get_list_state(ListStateDescriptor("l", Types.INT()))
    assert state.get() == [1]
    state.add(2)
    with pytest.raises(ValueError, match="'l' of 'op' is already a list state"):
        store.get_union_list_state(ListStateDescriptor("l", Types.INT()))
    with pytest.raises(ValueError, match="null"):
        state.add(None)
    assert store.snapshot() == {"list": {"l": [1, 2]}, "union": {}}


def test_rescaled_restore_splits_timers_by_key_group_and_copies_broadcast_state() -> None:
    keys = [f"k{i}" for i in range(20)]
    old = [{"timers": {"event": [(10 + i, k) for i, k in enumerate(keys) if i % 2 == s],
                       "processing": []},
            "broadcast": {"rules": {"r": 1}}} for s in range(2)]
    new = [redistribute(old, i, 3, 128) for i in range(3)]
    for i, part in enumerate(new):
        assert part["broadcast"] == {"rules": {"r": 1}}
        assert all(assign_key_to_parallel_operator(k, 128, 3) == i
                   for _, k in part["timers"]["event"])
    assert sorted(k for p in new for _, k in p["timers"]["event"]) == sorted(keys)


def test_rescaled_restore_hands_source_splits_back_to_the_enumerator() -> None:
    old = [{"source": {"splits": ["s0-in-progress"], "enumerator": {0: ["a"], 1: ["stale"]}}},
           {"source": {"splits": [], "enumerator": {0: ["stale"], 1: ["b", "c"]}}}]
    out = redistribute(old, 0, 3, 128)
    assert out["source"] == {"splits": [], "enumerator": {0: ["s0-in-progress", "a"],
                                                          1: ["b", "c"]}}
    with pytest.raises(ValueError, match="source 'src' cannot be redistributed"):
        redistribute([{"source": {"splits": [], "enumerator": "opaque"}}], 0, 2, 128, "src")


class _Counting(MapFunction, CheckpointedFunction):
    """Counts records per subtask in operator list state (one element per count)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s

    def initialize_state(self, context: FunctionInitializationContext) -> None:
        self.state = context.get_operator_state_store().get_list_state(
            ListStateDescriptor("counts", Types.INT()))
        self.restored = context.is_restored()
        self.count = sum(self.state.get())
        self.checkpoints: list[int] = []

    def snapshot_state(self, context: FunctionSnapshotContext) -> None:
        self.checkpoints.append(context.get_checkpoint_id())
        self.state.update([self.count])

    def open(self, runtime_context: Any) -> None:
        self.index = runtime_context.get_index_of_this_subtask()

    def map(self, value: int) -> str:
        import time

        if self.delay_s:
            time.sleep(self.delay_s)
        self.count += 1
        return json.dumps([self.index, self.restored, self.count])


@pytest.mark.slow
def test_checkpointed_function_state_survives_stop_and_rescaled_restore(
        process_cluster: ProcessCluster, tmp_path: Path) -> None:
    cluster = process_cluster
    cluster.start_jobmanager()
    cluster.start_taskmanager("tm", 3)
    remote_env(cluster.address)
    n = 3000

    def env(p: int, restore: str | None = None) -> StreamExecutionEnvironment:
        config = (Configuration().set_string("execution.checkpointing.dir", str(tmp_path / "c"))
                  .set_string("taskmanager.network.batch.max-rows", "50"))
        if restore:
            config.set_string("execution.savepoint.path", restore)
        e = StreamExecutionEnvironment.get_execution_environment(config)
        e.set_parallelism(p)
        return e

    try:
        e1 = env(2)
        e1.from_source(NumberSequenceSource(0, n - 1), None, "numbers").uid("numbers") \
            .map(_Counting(0.002), Types.STRING()).uid("counting").print()
        job = e1.execute_async("counting")
        client = cluster.client
        assert client is not None
        wait_until(lambda: all(t.state == "RUNNING"
                               for t in client.get_job(job.get_job_id()).tasks), timeout=30,
                   describe=lambda: str(client.get_job(job.get_job_id())))
        path = client.stop_with_savepoint(job.get_job_id(), str(tmp_path / "sp"), timeout=60)
        client.wait(job.get_job_id(), timeout=60)
        from flink_py.common.runtime.checkpoint_storage import read_snapshot

        subtasks = read_snapshot(path)["operators"]["counting"]["subtasks"]
        assert len(subtasks) == 2 and all(s["state"] for s in subtasks.values())
        e2 = env(3, path)
        results = list(e2.from_source(NumberSequenceSource(0, n - 1), None, "numbers")
                       .uid("numbers")
                       .map(_Counting(), Types.STRING()).uid("counting")
                       .execute_and_collect("restored"))
    finally:
        from flink_py.client.context import set_context

        set_context(None)
    decoded = [json.loads(r) for r in results]
    assert 0 < len(decoded) < n, "the first run was not stopped mid-way"
    assert all(restored for _, restored, _ in decoded)
    # Each new subtask continued from its share of the old counts (two counts over three
    # subtasks: one each for two of them); the sources resumed where they stopped, so the
    # final counts add up to every record exactly once.
    finals: dict[int, int] = {}
    for index, _, count in decoded:
        finals[index] = max(finals.get(index, 0), count)
    assert sum(finals.values()) == n
