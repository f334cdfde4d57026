"""Pure parts of savepoints and restores: uid mapping, savepoint life cycle in the job
master, corrupt-checkpoint fallback, self-contained savepoint copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flink_py.common.runtime.checkpoint_storage import (
    CheckpointCorruptError,
    CheckpointStorage,
    dispose_savepoint,
    read_snapshot,
    write_savepoint,
)
from flink_py.jobmanager.checkpoint_coordinator import (
    CompletedCheckpoint,
    SavepointOptions,
    StateMappingError,
    restore_assignment,
    unmapped_state,
)
from flink_py.jobmanager.job_master import (
    CheckpointNotification,
    JobMaster,
    TriggerTaskCheckpoint,
    WriteCheckpoint,
)
from tests.test_checkpoint_coordinator import TASKS, _graph, _running_job

SNAP = {"sum": {"vertex": "red", "parallelism": 2, "max_parallelism": 128,
                "subtasks": {"0": {"keyed": {"h": 0}, "state": "/s/0"},
                             "1": {"keyed": {"h": 1}, "state": "/s/1"}}},
        "gone": {"vertex": "x", "parallelism": 1, "max_parallelism": 128,
                 "subtasks": {"0": {"keyed": None, "state": "/s/g"}}},
        "empty": {"vertex": "y", "parallelism": 1, "subtasks": {"0": {"keyed": None,
                                                                       "state": None}}}}
OPS = {"red": [("sum", 3, 128)]}


def test_state_without_operator_fails_unless_allowed() -> None:
    with pytest.raises(StateMappingError, match="operator gone to the new program.*"
                                                "--allowNonRestoredState"):
        unmapped_state(SNAP, OPS, "/sp", allow_non_restored=False)
    assert unmapped_state(SNAP, OPS, "/sp", allow_non_restored=True) == ["gone"]


def test_keyed_state_needs_the_same_max_parallelism() -> None:
    with pytest.raises(StateMappingError, match="max parallelism 64 of operator sum"):
        unmapped_state(SNAP, {"red": [("sum", 2, 64)], "x": [("gone", 1, 128)]}, "/sp", False)


def test_restore_assignment_hands_every_keyed_handle_and_all_state_files_when_rescaled() -> None:
    (entry,) = restore_assignment(SNAP, [("sum", 3, 128)], 2).values()
    assert entry == {"keyed": [{"h": 0}, {"h": 1}], "state": None, "parallelism": 2,
                     "states": ["/s/0", "/s/1"], "finished": False}
    same = restore_assignment(SNAP, [("sum", 2, 128)], 1)["sum"]
    assert same["state"] == "/s/1"


def _complete(jm: JobMaster, cid: int, now: float) -> None:
    for v, i in TASKS:
        key = "node-1" if v == "src" else "sum"
        jm.on_checkpoint_ack(v, i, jm.executions[(v, i)].attempt, cid,
                             {key: {"keyed": None, "state": f"{v}{i}-{cid}"}}, now)
    jm.on_checkpoint_written(cid, f"/c/chk-{cid}/_metadata", "", now)


def test_savepoint_completes_without_notifying_tasks_and_stop_notifies() -> None:
    jm, _ = _running_job()
    cid, effects = jm.trigger_savepoint(SavepointOptions("/sp"), 1.0)
    assert {(e.vertex_id, e.subtask_index) for e in effects} == {("src", 0), ("src", 1)}
    assert all(isinstance(e, TriggerTaskCheckpoint) and e.savepoint.target_directory == "/sp"
               for e in effects)
    writes = []
    for v, i in TASKS:
        key = "node-1" if v == "src" else "sum"
        writes += jm.on_checkpoint_ack(v, i, 0, cid, {key: {"keyed": None, "state": "f"}}, 1.1)
    (write,) = writes
    assert isinstance(write, WriteCheckpoint) and write.savepoint is not None
    assert jm.savepoint_result(cid) is None
    # a plain savepoint commits no side effects and is not used for failover
    assert jm.on_checkpoint_written(cid, "/sp/savepoint-x", "", 1.2) == []
    assert jm.savepoint_result(cid) == ("/sp/savepoint-x", "")
    assert jm.checkpoints is not None and jm.checkpoints.latest is None
    sid, _ = jm.trigger_savepoint(SavepointOptions("/sp", stop=True, drain=True), 2.0)
    assert jm.stopping_with == sid
    with pytest.raises(ValueError, match="already stopping"):
        jm.trigger_savepoint(SavepointOptions("/sp"), 2.1)
    for v, i in TASKS:
        key = "node-1" if v == "src" else "sum"
        jm.on_checkpoint_ack(v, i, 0, sid, {key: {"keyed": None, "state": "f"}}, 2.2)
    notes = jm.on_checkpoint_written(sid, "/sp/savepoint-y", "", 2.3)
    assert notes and all(isinstance(n, CheckpointNotification) and n.complete for n in notes)


def test_a_failed_savepoint_reports_its_cause_and_does_not_fail_the_job() -> None:
    jm, _ = _running_job()
    cid, _ = jm.trigger_savepoint(SavepointOptions("/sp", stop=True), 1.0)
    jm.on_checkpoint_decline("red", 0, 0, cid, "disk full", 1.1)
    path, error = jm.savepoint_result(cid)  # type: ignore[misc]
    assert path == "" and "disk full" in error
    assert jm.state == "RUNNING" and jm.stopping_with is None


def test_a_corrupt_checkpoint_falls_back_to_the_previous_retained_one() -> None:
    jm, rm = _running_job()
    jm.graph.config["execution.checkpointing.num-retained"] = "2"
    assert jm.checkpoints is not None
    jm.checkpoints.config = type(jm.checkpoints.config)(
        **{**jm.checkpoints.config.__dict__, "num_retained": 2})
    jm.on_tick(1.0)
    _complete(jm, 1, 1.1)
    jm.on_tick(2.0)
    _complete(jm, 2, 2.1)
    assert [c.checkpoint_id for c in jm.checkpoints.completed] == [1, 2]

    def fail_and_restart(now: float, error: str) -> dict[str, object]:
        attempt = jm.executions[("red", 0)].attempt
        jm.on_task_state("red", 0, attempt, "FAILED", error, "", now)
        for ex in jm.executions.values():
            if ex.state == "CANCELING":
                jm.on_task_state(ex.vertex_id, ex.subtask_index, ex.attempt, "CANCELED", "", "",
                                 now)
        jm.on_tick(now + 1.5)
        rm.release("j1")
        deploys = jm.on_slots(rm.allocate("j1", 2) or [], now + 1.6)
        tdd = next(d.tdd for d in deploys if d.tdd.vertex_id == "red")
        return tdd.restore  # type: ignore[no-any-return]

    jm.restart_strategy.attempts = 10  # type: ignore[attr-defined]
    assert fail_and_restart(3.0, "boom")["checkpoint_id"] == 2
    restore = fail_and_restart(6.0, "Task 'Reduce' subtask 1/2 failed: CheckpointCorruptError: "
                                    "checkpoint file /c/chk-2/red0-2: missing")
    assert restore["checkpoint_id"] == 1
    assert restore["operators"]["sum"]["state"] == "red0-1"  # type: ignore[index]


def test_restore_from_a_savepoint_continues_its_checkpoint_ids() -> None:
    sp = CompletedCheckpoint(41, {"sum": {"vertex": "red", "parallelism": 1,
                                          "max_parallelism": 128,
                                          "subtasks": {"0": {"keyed": None, "state": "/sp/s"}}}},
                             "/sp")
    jm = JobMaster(_graph(), 0.0, restore=sp)
    assert jm.checkpoints is not None and jm.checkpoints.next_id == 42
    restore = jm.checkpoints.restore_for("red", 1)
    assert restore is not None and restore["operators"]["sum"]["states"] == ["/sp/s"]


def test_savepoint_copies_every_referenced_file_and_rewrites_paths(tmp_path: Path) -> None:
    storage = CheckpointStorage(str(tmp_path / "chk"), "abcdef123456")
    chk = storage.checkpoint_path(3)
    storage.write_file(f"{chk}/op-a-0-0", b"op")
    storage.write_file(f"{chk}/keyed-a-0-0", b"heap")
    storage.write_file(f"{storage.shared_path}/x-000001.sst", b"sst")
    storage.write_file(f"{chk}/rocksdb-b/MANIFEST", b"m")
    ops = {"a": {"subtasks": {"0": {"state": f"{chk}/op-a-0-0",
                                    "keyed": {"path": f"{chk}/keyed-a-0-0"}}}},
           "b": {"subtasks": {"0": {"state": None, "keyed": {
               "shared": {"000001.sst": f"{storage.shared_path}/x-000001.sst"},
               "private": {"MANIFEST": f"{chk}/rocksdb-b/MANIFEST"}}}}}}
    path = write_savepoint(storage, str(tmp_path / "sp"), 3, ops)
    assert os.path.basename(path).startswith("savepoint-abcdef-")
    doc = read_snapshot(path)
    assert doc["checkpoint_id"] == 3 and doc["kind"] == "savepoint"
    storage.fs.delete_dir(storage.job_path)  # the job's checkpoints are gone
    a = doc["operators"]["a"]["subtasks"]["0"]
    b = doc["operators"]["b"]["subtasks"]["0"]["keyed"]
    assert Path(a["state"]).read_bytes() == b"op"
    assert Path(a["keyed"]["path"]).read_bytes() == b"heap"
    assert b["shared"] == {} and Path(b["private"]["000001.sst"]).read_bytes() == b"sst"
    assert read_snapshot(f"file:{path}")["checkpoint_id"] == 3
    dispose_savepoint(path)
    assert not os.path.exists(path)
    with pytest.raises(CheckpointCorruptError, match="_metadata: missing"):
        read_snapshot(path)


def test_a_corrupt_checkpoint_with_nothing_to_fall_back_to_fails_the_job() -> None:
    """Starting over from empty state would silently lose the state: the job fails, the
    cause naming the checkpoint and the file, whatever the restart strategy allows."""
    jm, rm = _running_job()
    assert jm.checkpoints is not None
    jm.on_tick(1.0)
    _complete(jm, 1, 1.1)
    jm.restart_strategy.attempts = 10  # type: ignore[attr-defined]
    attempt = jm.executions[("red", 0)].attempt
    jm.on_task_state("red", 0, attempt, "FAILED", "boom", "", 2.0)  # restarts from chk-1
    for ex in jm.executions.values():
        if ex.state == "CANCELING":
            jm.on_task_state(ex.vertex_id, ex.subtask_index, ex.attempt, "CANCELED", "", "", 2.0)
    jm.on_tick(3.5)
    rm.release("j1")
    deploys = jm.on_slots(rm.allocate("j1", 2) or [], 3.6)
    assert next(d.tdd for d in deploys if d.tdd.vertex_id == "red").restore["checkpoint_id"] == 1
    error = "CheckpointCorruptError: checkpoint file /c/chk-1/red0-1: truncated at offset 12"
    jm.on_task_state("red", 0, attempt + 1, "FAILED", error, "", 4.0)
    for ex in jm.executions.values():
        if ex.state == "CANCELING":
            jm.on_task_state(ex.vertex_id, ex.subtask_index, ex.attempt, "CANCELED", "", "", 4.0)
    assert jm.state == "FAILED"
    assert jm.failure_cause.startswith("Cannot restore checkpoint 1 and no earlier retained "
                                       "checkpoint is left to fall back to: CheckpointCorrupt")
