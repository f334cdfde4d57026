"""Pure state machines of checkpointing: coordinator, barrier alignment, restart strategies, failover."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import cloudpickle
import pytest

from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.deployment import TaskDeploymentDescriptor
from flink_py.common.runtime.jobgraph import ChainedOperator, JobEdge, JobGraph, JobVertex
from flink_py.common.runtime.partitioners import KeyGroupStreamPartitioner
from flink_py.jobmanager.checkpoint_coordinator import (
    AbortCheckpoint,
    CheckpointConfigValues,
    CheckpointCoordinator,
    FailJobForCheckpoints,
    FinalizeCheckpoint,
    NotifyCheckpoint,
    TriggerCheckpoint,
    restore_assignment,
)
from flink_py.jobmanager.job_master import (
    CancelTask,
    DeployTask,
    JobMaster,
    ReleaseJob,
    ReleaseSlots,
    TriggerTaskCheckpoint,
    WriteCheckpoint,
)
from flink_py.jobmanager.resource_manager import ResourceManager
from flink_py.jobmanager.restart_strategy import (
    ExponentialDelayRestart,
    FailureRateRestart,
    FixedDelayRestart,
    NoRestart,
    restart_strategy_from_config,
)
from flink_py.taskmanager.network.barrier_handler import BarrierHandler
from flink_py.taskmanager.network.events import CheckpointBarrier
from flink_py.taskmanager.task import Task

TASKS = [("src", 0), ("src", 1), ("red", 0), ("red", 1)]
SOURCES = [("src", 0), ("src", 1)]
OPS = {"src": [("node-1", 2, 128)], "red": [("node-2", 2, 128)]}


def _coordinator(**kw: object) -> CheckpointCoordinator:
    cfg = CheckpointConfigValues(**{"interval_ms": 500, "directory": "/tmp/x", **kw})  # type: ignore[arg-type]
    return CheckpointCoordinator(cfg, TASKS, SOURCES, OPS, now=0.0)


def _ack_all(c: CheckpointCoordinator, cid: int) -> list[object]:
    effects: list[object] = []
    for vertex, i in TASKS:
        effects += c.on_ack(cid, (vertex, i), {f"node-{1 if vertex == 'src' else 2}": {
            "keyed": None, "state": f"/s/{vertex}{i}"}})
    return effects


def test_triggers_on_interval_only_when_all_tasks_run_and_none_in_flight() -> None:
    c = _coordinator()
    assert c.on_tick(0.4, all_running=True) == []
    assert c.on_tick(0.6, all_running=False) == []
    (trig,) = c.on_tick(0.6, all_running=True)
    assert trig == TriggerCheckpoint(1, 600, tuple(SOURCES))
    assert c.on_tick(5.0, all_running=True) == []  # max-concurrent-checkpoints = 1


def test_completion_writes_metadata_then_notifies_every_task() -> None:
    c = _coordinator()
    c.on_tick(1.0, True)
    effects = _ack_all(c, 1)
    (fin,) = effects
    assert isinstance(fin, FinalizeCheckpoint) and fin.checkpoint_id == 1
    assert fin.operators["node-1"]["subtasks"]["1"] == {"keyed": None, "state": "/s/src1"}
    assert fin.operators["node-2"]["parallelism"] == 2
    assert c.latest is None  # not complete before _metadata is written
    (note,) = c.on_finalized(1, "/x/chk-1/_metadata", "", 1.2)
    assert note == NotifyCheckpoint(1, tuple(TASKS))
    assert c.latest is not None and c.latest.path.endswith("_metadata")
    restore = c.restore_for("src", 1)
    assert restore == {"checkpoint_id": 1, "path": "/x/chk-1/_metadata",
                       "operators": {"node-1": {"keyed": [], "state": "/s/src1",
                                                "parallelism": 2,
                                                "states": ["/s/src0", "/s/src1"],
                                                "finished": False}},
                       "finished_on_restore": False}


def test_min_pause_counts_from_the_previous_completion() -> None:
    c = _coordinator(min_pause_ms=1000)
    c.on_tick(1.0, True)
    _ack_all(c, 1)
    c.on_finalized(1, "p", "", 1.5)
    assert c.on_tick(2.0, True) == []  # interval passed, pause not
    assert isinstance(c.on_tick(2.6, True)[0], TriggerCheckpoint)


def test_expiry_and_declines_count_and_fail_the_job_beyond_the_tolerance() -> None:
    c = _coordinator(timeout_ms=1000, tolerable_failures=1)
    c.on_tick(1.0, True)
    effects = c.on_tick(2.1, True)
    assert isinstance(effects[0], AbortCheckpoint) and "expired" in effects[0].reason
    assert not any(isinstance(e, FailJobForCheckpoints) for e in effects)
    c.trigger(3.0)
    effects = c.on_decline(2, ("red", 1), "IOError: disk full")
    fail = [e for e in effects if isinstance(e, FailJobForCheckpoints)]
    assert fail and "tolerable failure threshold" in fail[0].cause and "disk full" in fail[0].cause


def test_a_finished_task_aborts_without_counting_and_a_completion_resets_the_count() -> None:
    c = _coordinator(tolerable_failures=0)
    c.trigger(1.0)
    effects = c.on_task_finished(("src", 0))
    assert [type(e) for e in effects] == [AbortCheckpoint]
    c.trigger(2.0)
    _ack_all(c, 2)
    c.on_finalized(2, "p", "", 2.5)
    assert c.consecutive_failures == 0 and c.num_completed == 1 and c.num_failed == 1


def test_retained_checkpoints_and_failed_finalization() -> None:
    c = _coordinator(num_retained=2, tolerable_failures=5)
    for n in (1, 2, 3):
        c.trigger(float(n))
        _ack_all(c, n)
        c.on_finalized(n, f"p{n}", "", float(n))
    assert [cp.checkpoint_id for cp in c.completed] == [2, 3]
    c.trigger(4.0)
    _ack_all(c, 4)
    effects = c.on_finalized(4, "", "OSError: no space", 4.0)
    assert isinstance(effects[0], AbortCheckpoint) and c.latest.checkpoint_id == 3  # type: ignore[union-attr]


# -- barrier alignment -------------------------------------------------------------------
def test_exactly_once_blocks_channels_until_every_channel_delivered_the_barrier() -> None:
    h = BarrierHandler(3, exactly_once=True)
    b1 = CheckpointBarrier(1, 0)
    assert h.on_barrier(0, b1) == [("block", 0)]
    assert h.on_barrier(2, b1) == [("block", 2)]
    assert h.blocked == {0, 2}
    assert h.on_barrier(1, b1) == [("unblock_all", None), ("checkpoint", b1)]
    assert h.blocked == frozenset()
    assert h.on_barrier(0, b1) == []  # stale duplicate


def test_at_least_once_only_counts() -> None:
    h = BarrierHandler(2, exactly_once=False)
    b = CheckpointBarrier(1, 0)
    assert h.on_barrier(1, b) == []
    assert h.blocked == frozenset()
    assert h.on_barrier(0, b) == [("checkpoint", b)]


def test_newer_barrier_aborts_alignment_and_ended_channels_do_not_count() -> None:
    h = BarrierHandler(3)
    h.on_barrier(0, CheckpointBarrier(1, 0))
    b2 = CheckpointBarrier(2, 0)
    assert h.on_barrier(1, b2) == [("unblock_all", None), ("abort", 1), ("block", 1)]
    assert h.on_barrier(0, CheckpointBarrier(1, 0)) == []  # barrier 1 is abandoned
    assert h.on_barrier(0, b2) == [("block", 0)]
    assert h.on_end_of_partition(2) == [("unblock_all", None), ("checkpoint", b2)]
    assert h.on_barrier(0, CheckpointBarrier(3, 0)) == [("block", 0)]
    assert h.abort(3) == [("unblock_all", None), ("abort", 3)]


def test_single_channel_aligns_trivially() -> None:
    h = BarrierHandler(1)
    b = CheckpointBarrier(7, 0)
    assert h.on_barrier(0, b) == [("unblock_all", None), ("checkpoint", b)]


# -- restart strategies ---------------------------------------------------------------------
def test_fixed_delay_allows_attempts_restarts() -> None:
    s = FixedDelayRestart(2, 0.5)
    assert [s.on_failure(t) for t in (0.0, 1.0, 2.0)] == [0.5, 0.5, None]


def test_failure_rate_counts_failures_within_the_interval() -> None:
    s = FailureRateRestart(2, 10.0, 1.0)
    assert s.on_failure(0.0) == 1.0 and s.on_failure(1.0) == 1.0
    assert s.on_failure(2.0) is None
    s2 = FailureRateRestart(1, 10.0, 1.0)
    assert s2.on_failure(0.0) == 1.0 and s2.on_failure(11.0) == 1.0


def test_exponential_delay_grows_caps_and_resets() -> None:
    s = ExponentialDelayRestart(1.0, 5.0, 2.0, 100.0, 0.0, 1000, random.Random(1))
    assert [s.on_failure(t) for t in (0.0, 1.0, 2.0, 3.0, 4.0)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert s.on_failure(200.0) == 1.0
    jittered = ExponentialDelayRestart(1.0, 60.0, 1.5, 3600.0, 0.1, 1000, random.Random(3))
    assert 0.9 <= jittered.on_failure(0.0) <= 1.1  # type: ignore[operator]


def test_defaults_follow_checkpointing_and_keys() -> None:
    assert isinstance(restart_strategy_from_config(FlinkConfig(), False), NoRestart)
    assert isinstance(restart_strategy_from_config(FlinkConfig(), True), ExponentialDelayRestart)
    fixed = restart_strategy_from_config(FlinkConfig({
        "restart-strategy.type": "fixeddelay", "restart-strategy.fixed-delay.attempts": "3",
        "restart-strategy.fixed-delay.delay": "2 s"}), True)
    assert isinstance(fixed, FixedDelayRestart) and (fixed.attempts, fixed.delay_s) == (3, 2.0)
    rate = restart_strategy_from_config(FlinkConfig({"restart-strategy.type": "failure-rate"}), False)
    assert isinstance(rate, FailureRateRestart) and rate.interval_s == 60.0


# -- job master failover ----------------------------------------------------------------------
def _graph() -> JobGraph:
    src = JobVertex("src", "Source", 2, 128, [ChainedOperator(1, "Source", b"")], is_source=True)
    red = JobVertex("red", "Reduce", 2, 128, [ChainedOperator(2, "Reduce", b"", uid="sum")])
    edge = JobEdge("src", 0, "red", 0,
                   cloudpickle.dumps(KeyGroupStreamPartitioner(lambda x: x, 128)), "HASH")
    src.outputs.append(edge)
    red.inputs.append(edge)
    return JobGraph("j1", "job", [src, red], config={
        "execution.checkpointing.interval": "500 ms", "execution.checkpointing.dir": "/tmp/c",
        "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "1",
        "restart-strategy.fixed-delay.delay": "1 s"})


def _running_job() -> tuple[JobMaster, ResourceManager]:
    rm = ResourceManager()
    rm.register("tm1", "h:1", [(0, "d:0")], now=0.0)
    rm.register("tm2", "h:2", [(0, "d:1")], now=0.0)
    rm.register("tm3", "h:3", [(0, "d:2")], now=0.0)
    jm = JobMaster(_graph(), 0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 0.0)
    for (v, i) in TASKS:
        jm.on_task_state(v, i, 0, "RUNNING", "", "", 0.1)
    return jm, rm


def test_job_master_checkpoints_then_restarts_from_the_latest_checkpoint() -> None:
    jm, rm = _running_job()
    triggers = jm.on_tick(1.0)
    assert {(t.vertex_id, t.subtask_index) for t in triggers
            if isinstance(t, TriggerTaskCheckpoint)} == set(SOURCES)
    writes = []
    for v, i in TASKS:
        key = "node-1" if v == "src" else "sum"
        writes += jm.on_checkpoint_ack(v, i, 0, 1, {key: {"keyed": None, "state": f"{v}{i}"}}, 1.1)
    (write,) = writes
    assert isinstance(write, WriteCheckpoint)
    notes = jm.on_checkpoint_written(1, "/tmp/c/j1/chk-1/_metadata", "", 1.2)
    assert {n.tm_id for n in notes} == {"tm1", "tm2", "tm3"} & {s.tm_id for s in jm.slots}
    # A TaskManager is lost: everything is cancelled, the job restarts after the delay.
    lost_tm = jm.executions[("red", 0)].slot.tm_id  # type: ignore[union-attr]
    effects = jm.on_taskmanager_lost(lost_tm, "TaskManager lost", 2.0)
    assert jm.state == "RESTARTING" and all(isinstance(e, CancelTask) for e in effects)
    for ex in jm.executions.values():
        if ex.state == "CANCELING":
            jm.on_task_state(ex.vertex_id, ex.subtask_index, 0, "CANCELED", "", "", 2.1)
    assert jm.on_tick(2.5) == []  # restart delay (1 s) not over
    (release,) = jm.on_tick(3.1)
    assert isinstance(release, ReleaseSlots) and jm.waiting_for_slots
    rm.expire(3.1, 0.5)  # (all heartbeats are old: nothing left) -> register two again
    rm.register("tmA", "h:4", [(0, "d:4")], now=3.2)
    rm.register("tmB", "h:5", [(0, "d:5")], now=3.2)
    deploys = jm.on_slots(rm.allocate("j1", 2) or [], 3.3)
    assert jm.state == "RUNNING" and jm.num_restarts == 1
    assert all(isinstance(d, DeployTask) and d.tdd.attempt == 1 for d in deploys)
    red1 = next(d.tdd for d in deploys if d.tdd.vertex_id == "red" and d.tdd.subtask_index == 1)
    assert red1.restore["checkpoint_id"] == 1
    assert red1.restore["operators"]["sum"]["state"] == "red1"
    assert red1.restore["operators"]["sum"]["keyed"] == []
    # Old attempts' reports are ignored; a second failure exceeds fixed-delay attempts=1.
    assert jm.on_task_state("red", 1, 0, "FAILED", "old", "", 3.4) == []
    jm.on_task_state("red", 1, 1, "FAILED", "boom again", "tb", 4.0)
    assert jm.state == "FAILING"
    for ex in jm.executions.values():
        if ex.state == "CANCELING":
            effects = jm.on_task_state(ex.vertex_id, ex.subtask_index, 1, "CANCELED", "", "", 4.1)
    assert jm.state == "FAILED" and jm.failure_cause == "boom again"
    assert any(isinstance(e, ReleaseJob) for e in effects)


def test_without_checkpointing_the_default_is_no_restart() -> None:
    g = _graph()
    g.config = {}
    jm = JobMaster(g, 0.0)
    # a coordinator exists (for savepoints) but triggers no periodic checkpoints
    assert jm.checkpoints is not None and not jm.checkpoints.config.enabled
    rm = ResourceManager()
    rm.register("tm", "h:1", [(0, "d:0"), (1, "d:1")], now=0.0)
    jm.on_slots(rm.allocate("j1", 2) or [], 0.0)
    jm.on_task_state("src", 0, 0, "FAILED", "bad", "", 1.0)
    assert jm.state == "FAILING"


@pytest.mark.parametrize("mode", ["EXACTLY_ONCE", "AT_LEAST_ONCE"])
def test_checkpoint_config_values_from_flink_keys(mode: str) -> None:
    c = CheckpointConfigValues.from_config(FlinkConfig({
        "execution.checkpointing.interval": "2 s", "execution.checkpointing.mode": mode,
        "state.checkpoints.dir": "/d", "state.checkpoints.num-retained": "3"}))
    assert (c.interval_ms, c.mode, c.directory, c.num_retained, c.timeout_ms) == \
        (2000, mode, "/d", 3, 600_000)


UPSTREAM = {("src", 0): set(), ("src", 1): set(),
            ("red", 0): {("src", 0), ("src", 1)}, ("red", 1): {("src", 0), ("src", 1)}}


def test_checkpoints_go_on_with_finished_tasks_and_restore_deploys_them_finished() -> None:
    c = CheckpointCoordinator(CheckpointConfigValues(interval_ms=500, directory="/tmp/x"),
                              TASKS, SOURCES, OPS, now=0.0, upstream=UPSTREAM)
    assert c.on_task_finished(("src", 0)) == []
    (trig,) = c.on_tick(1.0, True)
    assert isinstance(trig, TriggerCheckpoint) and trig.tasks == (("src", 1),)
    for task in TASKS[1:]:  # the finished task is not waited for
        effects = c.on_ack(1, task, {f"node-{1 if task[0] == 'src' else 2}": {
            "keyed": None, "state": f"/s/{task[0]}{task[1]}"}})
    (fin,) = effects
    assert isinstance(fin, FinalizeCheckpoint)
    assert fin.operators["node-1"]["subtasks"]["0"] == {"keyed": None, "state": None,
                                                         "finished": True}
    assert "fully_finished" not in fin.operators["node-1"]
    c.on_finalized(1, "/x/chk-1/_metadata", "", 1.1)
    restore = c.restore_for("src", 0)
    assert restore is not None and restore["finished_on_restore"]
    assert not c.restore_for("src", 1)["finished_on_restore"]  # type: ignore[index]
    assert c.restore_for("src", 1)["operators"]["node-1"]["state"] == "/s/src1"  # type: ignore[index]
    # Every source finished: the barrier goes to the first running tasks downstream of them.
    c.on_task_finished(("src", 1))
    (trig,) = c.on_tick(2.0, True)
    assert trig.tasks == (("red", 0), ("red", 1))
    c.on_ack(2, ("red", 0), {"node-2": {"keyed": None, "state": "/s/r0"}})
    (fin,) = c.on_ack(2, ("red", 1), {"node-2": {"keyed": None, "state": "/s/r1"}})
    assert fin.operators["node-1"]["fully_finished"] is True
    assert "fully_finished" not in fin.operators["node-2"]
    c.on_finalized(2, "/x/chk-2/_metadata", "", 2.1)
    # A fully finished operator restores as finished at any parallelism.
    assert restore_assignment(c.latest.operators, [("node-1", 3, 128)], 2)[  # type: ignore[union-attr]
        "node-1"]["finished"]
    assert c.restore_for("src", 1)["finished_on_restore"]  # type: ignore[index]
    assert not c.restore_for("red", 0)["finished_on_restore"]  # type: ignore[index]
    # A failover deploys every task again: none counts as finished any more.
    c.on_failover()
    (trig,) = c.on_tick(3.0, True)
    assert trig.tasks == tuple(SOURCES)


def test_end_of_data_triggers_the_final_checkpoint_at_once_and_the_option_off() -> None:
    c = CheckpointCoordinator(CheckpointConfigValues(interval_ms=60_000, directory="/tmp/x"),
                              TASKS, SOURCES, OPS, now=0.0, upstream=UPSTREAM)
    assert c.on_tick(1.0, True) == []  # the interval has not passed
    c.on_end_of_data(("src", 0))
    (trig,) = c.on_tick(1.0, True)
    assert isinstance(trig, TriggerCheckpoint) and trig.checkpoint_id == 1
    assert c.on_tick(1.5, True) == []  # the request was served; the interval applies again
    off = CheckpointCoordinator(
        CheckpointConfigValues(interval_ms=500, directory="/tmp/x", after_tasks_finish=False),
        TASKS, SOURCES, OPS, now=0.0, upstream=UPSTREAM)
    off.on_task_finished(("src", 0))
    off.on_end_of_data(("src", 1))
    assert off.on_tick(5.0, True) == []  # Flink before FLIP-147: no checkpoint once one finished
    assert not off.config.final_checkpoint


def test_job_master_triggers_the_final_checkpoint_when_a_task_ends_its_data() -> None:
    jm, _ = _running_job()
    assert jm.graph.config["execution.checkpointing.checkpoints-after-tasks-finish"] == "true"
    assert jm.on_tick(0.2) == []  # the 500 ms interval has not passed
    effects = jm.on_task_state("src", 0, 0, "END_OF_DATA", "", "", 0.2)
    assert {(t.vertex_id, t.subtask_index) for t in effects
            if isinstance(t, TriggerTaskCheckpoint)} == set(SOURCES)
    assert jm.executions[("src", 0)].state == "RUNNING"  # no state change
    # A finished source is not triggered again; the checkpoint needs only the others.
    jm.on_task_state("src", 0, 0, "FINISHED", "", "", 0.3)  # aborts checkpoint 1 (not counted)
    triggers = jm.on_tick(1.0)
    assert [(t.vertex_id, t.subtask_index) for t in triggers
            if isinstance(t, TriggerTaskCheckpoint)] == [("src", 1)]
    graph = _graph()
    del graph.config["execution.checkpointing.interval"]
    JobMaster(graph, 0.0)
    assert graph.config["execution.checkpointing.checkpoints-after-tasks-finish"] == "false"


def _final_coordinator(**kw: object) -> CheckpointCoordinator:
    cfg = CheckpointConfigValues(**{"interval_ms": 60_000, "directory": "/tmp/x", **kw})  # type: ignore[arg-type]
    return CheckpointCoordinator(cfg, TASKS, SOURCES, OPS, now=0.0, upstream=UPSTREAM)


def _ack(c: CheckpointCoordinator, cid: int, task: tuple[str, int]) -> list[object]:
    key = "node-1" if task[0] == "src" else "node-2"
    return c.on_ack(cid, task, {key: {"keyed": None, "state": f"/s/{task[0]}{task[1]}"}})


def test_a_final_checkpoint_aborted_by_a_finishing_task_is_triggered_again_at_once() -> None:
    """The sources end their data at different times. The second source acknowledges the
    first source's final checkpoint before its own end of data, so the checkpoint after it
    is its final one -- and it is triggered while the first source, whose final checkpoint
    just completed, is still finishing. The first source finishes before acknowledging it
    (checkpoint aborted, not counted): the next one must come at once, not after the
    1-minute interval, or the job waits for it."""
    c = _final_coordinator()
    c.on_end_of_data(("src", 0))
    (trig,) = c.on_tick(1.0, True)
    assert trig.checkpoint_id == 1 and trig.tasks == tuple(SOURCES)
    for task in TASKS:
        effects = _ack(c, 1, task)
    c.on_end_of_data(("src", 1))  # after acknowledging checkpoint 1: not its final one
    assert c.on_tick(1.05, True) == []  # checkpoint 1 is still being written
    (fin,) = effects
    assert isinstance(fin, FinalizeCheckpoint)
    assert c.on_finalized(1, "/x/chk-1/_metadata", "", 1.1)[-1] == NotifyCheckpoint(1, tuple(TASKS))
    (trig,) = c.on_tick(1.15, True)  # the second source's final checkpoint
    assert trig.checkpoint_id == 2 and trig.tasks == tuple(SOURCES)
    _ack(c, 2, ("src", 1))
    (abort,) = c.on_task_finished(("src", 0))  # notified of 1, it finished without taking 2
    assert isinstance(abort, AbortCheckpoint) and abort.checkpoint_id == 2
    assert c.consecutive_failures == 0
    (trig,) = c.on_tick(1.2, True)  # at once: the second source still waits
    assert trig.checkpoint_id == 3 and trig.tasks == (("src", 1),)
    for task in TASKS[1:]:
        effects = _ack(c, 3, task)
    assert isinstance(effects[0], FinalizeCheckpoint)
    c.on_finalized(3, "/x/chk-3/_metadata", "", 1.3)
    assert c.on_tick(1.4, True) == []  # served: the interval applies again
    assert c.awaiting_final == set()


def test_a_declined_final_checkpoint_is_triggered_again_at_once() -> None:
    c = _final_coordinator(tolerable_failures=1)
    c.on_end_of_data(("src", 0))
    (trig,) = c.on_tick(1.0, True)
    (abort,) = c.on_decline(trig.checkpoint_id, ("red", 1), "snapshot failed")
    assert isinstance(abort, AbortCheckpoint)
    (trig,) = c.on_tick(1.05, True)  # not after the interval
    assert trig.checkpoint_id == 2
    for task in TASKS:
        effects = _ack(c, 2, task)
    assert isinstance(effects[0], FinalizeCheckpoint)
    c.on_finalized(2, "/x/chk-2/_metadata", "", 1.1)
    assert c.on_tick(1.2, True) == []
    # A failover forgets the waiting tasks: they are deployed again.
    c.on_end_of_data(("src", 1))
    c.on_failover()
    assert c.on_tick(1.3, True) == []


def test_end_of_data_during_a_pending_checkpoint_gets_the_next_one_at_once() -> None:
    """A checkpoint triggered before a task's end of data is not that task's final one
    (it may have taken it before): the next one follows right after it completes, and a
    finished task waits for nothing."""
    c = _final_coordinator()
    c.on_end_of_data(("src", 0))
    c.on_tick(1.0, True)
    c.on_end_of_data(("src", 1))
    for task in TASKS:
        effects = _ack(c, 1, task)
    assert isinstance(effects[0], FinalizeCheckpoint)
    c.on_finalized(1, "/x/chk-1/_metadata", "", 1.1)
    (trig,) = c.on_tick(1.2, True)
    assert trig.checkpoint_id == 2
    c.on_task_finished(("src", 1))  # its final one was 1 after all: 2 is aborted
    assert c.on_tick(1.3, True) == []  # nobody waits any more
    assert c.awaiting_final == set()


# -- the task's side of the final checkpoint ---------------------------------------------------
def test_a_task_takes_the_next_checkpoint_as_final_when_the_abort_arrives_after_it(
        tmp_path: Path) -> None:
    """Abort notifications and triggers travel separately: the abort of the task's final
    checkpoint 2 can arrive after the trigger of checkpoint 3. Checkpoint 3, taken after the
    end of data too, is then the final one: its completion ends the wait."""
    tdd = TaskDeploymentDescriptor(
        job_id="j1", job_name="job", vertex_id="src", vertex_name="Source", operators=[],
        subtask_index=0, parallelism=1, max_parallelism=128, attempt=0, is_source=True,
        inputs=[], outputs=[], config={
            "execution.checkpointing.dir": str(tmp_path),
            "execution.checkpointing.checkpoints-after-tasks-finish": "true"})
    acks: list[int] = []
    services = SimpleNamespace(ack_checkpoint=lambda _tdd, cid, _doc: acks.append(cid),
                               decline_checkpoint=lambda _tdd, cid, reason: None)
    states: list[str] = []
    task = Task(tdd, SimpleNamespace(services=services),
                lambda _tdd, state, _error, _tb: states.append(state))
    task._end_data(True)  # the source is exhausted
    assert states == ["END_OF_DATA"]
    task.notify_checkpoint(1, complete=True)  # taken before the end of data: not final
    task.trigger_checkpoint(2, 2000)
    task._process_mail()
    task.trigger_checkpoint(3, 3000)
    task.notify_checkpoint(2, complete=False)
    task._process_mail()
    assert task._awaiting_final
    task.notify_checkpoint(3, complete=True)
    task._process_mail()
    assert not task._awaiting_final  # the final checkpoint completed
    assert task._uploader is not None
    task._uploader.shutdown(wait=True)
    assert acks == [2, 3]


@pytest.mark.parametrize(("retention", "kept_when"), [
    ("NO_EXTERNALIZED_CHECKPOINTS", set()),
    ("DELETE_ON_CANCELLATION", {"FAILED"}),
    ("RETAIN_ON_CANCELLATION", {"FAILED", "CANCELED"}),
])
def test_a_finished_job_never_keeps_its_checkpoints(retention: str, kept_when: set[str]) -> None:
    """Flink's CheckpointProperties: discardFinished is true for every retention."""
    values = CheckpointConfigValues(interval_ms=100, retention=retention)
    assert {s for s in ("FINISHED", "CANCELED", "FAILED") if values.retained_after(s)} == kept_when
