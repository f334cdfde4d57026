"""Losing and replacing one slot worker, task metrics, peak in-flight buffers: pure state."""

from __future__ import annotations

import cloudpickle
from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.common.runtime.jobgraph import ChainedOperator, JobEdge, JobGraph, JobVertex
from flink_py.common.runtime.partitioners import KeyGroupStreamPartitioner
from flink_py.jobmanager.job_master import CancelTask, JobMaster, ReleaseJob
from flink_py.jobmanager.resource_manager import ResourceManager
from flink_py.taskmanager.network.credit import GateCredits


def _graph(p: int = 2) -> JobGraph:
    src = JobVertex("src", "Source", p, 128, [ChainedOperator(1, "Source", b"")], is_source=True)
    red = JobVertex("red", "Reduce", p, 128, [ChainedOperator(2, "Reduce", b"")])
    edge = JobEdge("src", 0, "red", 0,
                   cloudpickle.dumps(KeyGroupStreamPartitioner(lambda x: x, 128)), "HASH")
    src.outputs.append(edge)
    red.inputs.append(edge)
    return JobGraph("j1", "job", [src, red])


def test_reregistration_without_a_slot_takes_only_that_slot_from_its_job() -> None:
    rm = ResourceManager()
    rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1")], now=0.0)
    assert rm.allocate("a", 1) is not None and rm.allocate("b", 1) is not None
    owner = {s.index: s.job_id for s in rm.taskmanagers["tm"].slots}
    # Slot 0's worker died: the TaskManager withdraws it ...
    lost = rm.register("tm", "h:1", [(1, "d:1")], now=1.0)
    assert lost == {owner[0]: {0}}
    assert [(s.index, s.job_id) for s in rm.taskmanagers["tm"].slots] == [(1, owner[1])]
    assert rm.total_slots() == 1 and rm.free_slots() == 0
    # ... and offers it again with the new worker's data address.
    assert rm.register("tm", "h:1", [(0, "d:0b"), (1, "d:1")], now=2.0) == {}
    assert rm.free_slots() == 1 and rm.taskmanagers["tm"].slots[1].job_id == owner[1]


def test_changed_data_address_or_rpc_address_loses_the_allocation() -> None:
    rm = ResourceManager()
    rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1")], now=0.0)
    rm.allocate("a", 2)
    assert rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1x")], now=1.0) == {"a": {1}}
    rm.release("a")
    rm.allocate("b", 2)
    assert rm.register("tm", "h:2", [(0, "d:0"), (1, "d:1x")], now=2.0) == {"b": {0, 1}}
    assert rm.free_slots() == 2


def test_lost_slot_fails_its_tasks_and_cancels_the_tasks_in_other_slots() -> None:
    rm = ResourceManager()
    rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1")], now=0.0)
    jm = JobMaster(_graph(2), 0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 1.0)
    lost_slot = jm.executions[("src", 0)].slot
    assert lost_slot is not None
    effects = jm.on_taskmanager_lost("tm", "slot worker gone", 2.0, {lost_slot.index})
    assert jm.state == "FAILING" and jm.failure_cause == "slot worker gone"
    in_lost = {k for k, ex in jm.executions.items() if ex.slot is lost_slot}
    assert all(jm.executions[k].state == "FAILED" for k in in_lost)
    cancelled = {(e.vertex_id, e.subtask_index) for e in effects if isinstance(e, CancelTask)}
    assert cancelled == set(jm.executions) - in_lost and cancelled
    for vertex_id, subtask in cancelled:
        effects = jm.on_task_state(vertex_id, subtask, 0, "CANCELED", "", "", 3.0)
    assert jm.state == "FAILED" and effects == [ReleaseJob("j1", ("tm",))]


def test_final_task_metrics_are_kept_per_execution() -> None:
    rm = ResourceManager()
    rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1")], now=0.0)
    jm = JobMaster(_graph(1), 0.0)
    jm.on_slots(rm.allocate("j1", 1) or [], 1.0)
    jm.on_task_state("src", 0, 0, "RUNNING", "", "", 2.0)
    jm.on_task_state("src", 0, 0, "FINISHED", "", "", 3.0, {"numBuffersOut": 7.0})
    jm.on_task_state("red", 0, 0, "FINISHED", "", "", 3.0,
                     {"numRecordsIn": 9.0, "maxInputBuffersInUsePerChannel": 2.0})
    assert jm.executions[("src", 0)].metrics == {"numBuffersOut": 7.0}
    assert jm.executions[("red", 0)].metrics["numRecordsIn"] == 9.0
    # A stale report (another attempt) changes nothing.
    jm.on_task_state("red", 0, 5, "FINISHED", "", "", 4.0, {"numRecordsIn": 1.0})
    assert jm.executions[("red", 0)].metrics["numRecordsIn"] == 9.0


@settings(max_examples=200, deadline=None)
@given(exclusive=st.integers(1, 4), floating=st.integers(0, 6),
       steps=st.lists(st.tuples(st.booleans(), st.integers(0, 10)), max_size=80))
def test_peak_in_use_tracks_held_buffers_and_stays_within_credit(
        exclusive: int, floating: int, steps: list[tuple[bool, int]]) -> None:
    """Receive when the channel has credit, else recycle; the peak is the true maximum."""
    g = GateCredits(1, exclusive, floating)
    announced = g.initial_credit(0)  # credit the sender holds
    held = true_peak = 0
    for receive, backlog in steps:
        if receive and announced > 0:
            announced -= 1
            held += 1
            announced += sum(c for _, c in g.on_buffer_received(0, backlog))
        elif held:
            held -= 1
            announced += sum(c for _, c in g.on_buffer_recycled(0))
        true_peak = max(true_peak, held)
        assert g.channels[0].peak_in_use == true_peak
    assert true_peak <= exclusive + floating
