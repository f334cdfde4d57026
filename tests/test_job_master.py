"""JobMaster and ResourceManager state machines, without sockets."""

from __future__ import annotations

import cloudpickle

from flink_py.common.runtime.jobgraph import ChainedOperator, JobEdge, JobGraph, JobVertex
from flink_py.common.runtime.partitioners import KeyGroupStreamPartitioner
from flink_py.jobmanager.job_master import CancelTask, DeployTask, JobMaster, ReleaseJob
from flink_py.jobmanager.resource_manager import ResourceManager


def _graph(p: int = 2) -> JobGraph:
    src = JobVertex("src", "Source", p, 128, [ChainedOperator(1, "Source", b"")], is_source=True)
    red = JobVertex("red", "Reduce", p, 128, [ChainedOperator(2, "Reduce", b"")])
    edge = JobEdge("src", 0, "red", 0,
                   cloudpickle.dumps(KeyGroupStreamPartitioner(lambda x: x, 128)), "HASH")
    src.outputs.append(edge)
    red.inputs.append(edge)
    return JobGraph("j1", "job", [src, red])


def _cluster(tms: int = 2, slots: int = 1) -> ResourceManager:
    rm = ResourceManager()
    for t in range(tms):
        rm.register(f"tm{t}", f"h:{t}", [(i, f"d{t}:{i}") for i in range(slots)], now=0.0)
    return rm


def test_slot_sharing_needs_max_parallelism_slots_and_spreads_over_taskmanagers() -> None:
    rm = _cluster()
    jm = JobMaster(_graph(2), 0.0)
    assert jm.slots_needed() == 2
    slots = rm.allocate("j1", jm.slots_needed())
    assert slots is not None and {s.tm_id for s in slots} == {"tm0", "tm1"}
    effects = jm.on_slots(slots, 1.0)
    deploys = [e for e in effects if isinstance(e, DeployTask)]
    assert len(deploys) == 4 and jm.state == "RUNNING"
    # Subtask i of both vertices share slot i.
    by_sub = {(d.tdd.vertex_id, d.tdd.subtask_index): d.tm_id for d in deploys}
    assert by_sub[("src", 0)] == by_sub[("red", 0)] != by_sub[("src", 1)] == by_sub[("red", 1)]
    red0 = next(d.tdd for d in deploys if d.tdd.vertex_id == "red" and d.tdd.subtask_index == 0)
    assert [c.subpartition_index for c in red0.inputs[0].channels] == [0, 0]
    assert [c.address for c in red0.inputs[0].channels] == ["d0:0", "d1:0"]


def test_job_finishes_when_every_task_finished() -> None:
    rm = _cluster()
    jm = JobMaster(_graph(2), 0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 1.0)
    for v in ("src", "red"):
        for i in range(2):
            assert jm.on_task_state(v, i, 0, "RUNNING", "", "", 2.0) == []
    effects = []
    for v in ("src", "red"):
        for i in range(2):
            effects += jm.on_task_state(v, i, 0, "FINISHED", "", "", 3.0)
    assert jm.state == "FINISHED"
    assert effects == [ReleaseJob("j1", ("tm0", "tm1"))]


def test_task_failure_cancels_the_rest_then_fails_with_the_cause() -> None:
    rm = _cluster()
    jm = JobMaster(_graph(2), 0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 1.0)
    effects = jm.on_task_state("red", 1, 0, "FAILED", "Task 'Reduce' subtask 2/2 failed: boom",
                               "tb", 2.0)
    assert jm.state == "FAILING"
    assert {(e.vertex_id, e.subtask_index) for e in effects if isinstance(e, CancelTask)} == {
        ("src", 0), ("src", 1), ("red", 0)}
    for v, i in [("src", 0), ("src", 1), ("red", 0)]:
        effects = jm.on_task_state(v, i, 0, "CANCELED", "", "", 3.0)
    assert jm.state == "FAILED" and "boom" in jm.failure_cause
    assert jm.failure_traceback == "tb"
    assert isinstance(effects[-1], ReleaseJob)


def test_lost_taskmanager_fails_the_job_and_cancel_of_waiting_job() -> None:
    rm = _cluster()
    jm = JobMaster(_graph(2), 0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 1.0)
    lost = rm.expire(now=100.0, timeout=50.0)
    assert {t.tm_id for t in lost} == {"tm0", "tm1"}
    jm.on_taskmanager_lost("tm0", "TaskManager tm0 is lost", 100.0)
    assert jm.state == "FAILING" and "tm0 is lost" in jm.failure_cause
    waiting = JobMaster(_graph(1), 0.0)
    assert waiting.on_cancel(1.0)[0] == ReleaseJob("j1", ())
    assert waiting.state == "CANCELED"


def test_not_enough_slots_fails_after_timeout_with_counts() -> None:
    rm = _cluster(tms=1, slots=1)
    jm = JobMaster(_graph(3), 0.0)
    assert rm.allocate("j1", 3) is None
    jm.on_slot_timeout(3, rm.free_slots(), 300.0)
    assert jm.state == "FAILED"
    assert "not enough slots: need 3, available 1" in jm.failure_cause


def test_release_frees_slots_and_heartbeat_of_unknown_tm() -> None:
    rm = _cluster(tms=1, slots=2)
    assert rm.allocate("a", 2) is not None and rm.free_slots() == 0
    rm.release("a")
    assert rm.free_slots() == 2
    assert rm.heartbeat("nope", 1.0) is False
