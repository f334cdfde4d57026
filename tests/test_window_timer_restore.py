"""Window timers survive a restore: at the same parallelism and at another one.

A window operator's timers are scoped by ``(key, window)``: Flink's key and
namespace. On restore they must come back under their own key and window
(not the operator's current ones), and a rescaled restore must hand each
timer to the subtask owning its *key*'s key group, where the window's state is.

The unit tests checkpoint real operator instances through the task's own
snapshot / restore functions (``taskmanager.task_checkpoints``) into a
checkpoint directory, with a fake processing clock; the job tests fail a
running job and restore it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flink_py.common import (
    Configuration,
    Duration,
    Encoder,
    Time,
    Types,
    WatermarkStrategy,
)
from flink_py.common.runtime.checkpoint_storage import CheckpointStorage, read_snapshot
from flink_py.common.runtime.keygroups import assign_key_to_parallel_operator
from flink_py.common.watermark_strategy import TimestampAssigner
from flink_py.datastream import MapFunction, StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import FileSink
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.datastream.window import (
    ContinuousEventTimeTrigger,
    ProcessWindowFunction,
    TimeWindow,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
)
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.timers import (
    InternalTimerService,
    ProcessingTimeService,
)
from flink_py.taskmanager.operators.window import (
    PaneWindowOperator,
    ReduceContents,
    WindowOperator,
    window_operator,
)
from flink_py.taskmanager.task_checkpoints import (
    apply_restore,
    redistribute,
    restore_timers,
    snapshot_operators,
    upload_snapshot,
)

from tests.api_support import by_value, committed_lines
from tests.conftest import wait_until

by_value(__name__)

MAX_P = 128
UID = "win"


def _add(a: Any, b: Any) -> Any:
    return (a[0], a[1] + b[1])


class _Sum(ProcessWindowFunction):
    def process(self, key: Any, context: Any, elements: Any) -> Any:
        w = context.window()
        yield (key, w.start, sum(v for _, v in elements))


class _Out:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.records.extend(values)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        pass

    def emit_watermark(self, watermark: int) -> None:
        pass

    def emit_watermark_status(self, idle: bool) -> None:
        pass


class _Clock:
    def __init__(self, now: int = 0) -> None:
        self.now = now


class _Subtask:
    """One operator instance of subtask ``index`` of ``parallelism``, set up as a task
    does: restored state handed over before ``open``, timers after it."""

    def __init__(self, op: Any, clock: _Clock, index: int = 0, parallelism: int = 1,
                 backend: str = "hashmap", storage: CheckpointStorage | None = None,
                 restore: dict[str, Any] | None = None) -> None:
        self.op, self.clock, self.index = op, clock, index
        self.pts = ProcessingTimeService(lambda: clock.now)
        self.out = _Out()
        self.ctx = OperatorContext("task", "Window", index, parallelism, MAX_P, 0, "job",
                                   {"state.backend.type": backend},
                                   processing_time_service=self.pts)
        op.setup(self.ctx, self.out)
        spec = SimpleNamespace(uid=UID, node_id=1, name="Window")
        tdd = SimpleNamespace(restore=restore, attempt=1 if restore else 0,
                              parallelism=parallelism, subtask_index=index,
                              max_parallelism=MAX_P)
        pairs = apply_restore(tdd, [spec], [op], storage) if restore else []
        op.open()
        restore_timers(pairs)

    def feed(self, *values: Any, ts: int | None = None) -> None:
        self.op.process_batch(list(values), None if ts is None else [ts] * len(values))

    def tick(self, now: int) -> list[Any]:
        n = len(self.out.records)
        self.clock.now = now
        self.pts.fire_due()
        return self.out.records[n:]

    def watermark(self, wm: int) -> list[Any]:
        n = len(self.out.records)
        self.op.process_watermark(wm)
        return self.out.records[n:]

    def end(self) -> list[Any]:
        n = len(self.out.records)
        self.op.end_input()
        return self.out.records[n:]

    def snapshot(self, storage: CheckpointStorage, checkpoint_id: int = 1) -> dict[str, Any]:
        storage.initialize_checkpoint(checkpoint_id)
        tdd = SimpleNamespace(subtask_index=self.index, attempt=0)
        spec = SimpleNamespace(uid=UID, node_id=1, name="Window")
        parts = snapshot_operators(tdd, [spec], [self.op], checkpoint_id, storage)
        return upload_snapshot(tdd, parts, checkpoint_id, storage)[UID]  # type: ignore[no-any-return]


def _restore_doc(docs: list[dict[str, Any]], index: int, parallelism: int) -> dict[str, Any]:
    """What the job master hands subtask ``index`` of the new ``parallelism``."""
    return {"operators": {UID: {
        "keyed": [d["keyed"] for d in docs if d.get("keyed")],
        "state": docs[index]["state"] if len(docs) == parallelism else None,
        "states": [d["state"] for d in docs], "parallelism": len(docs)}}}


def _rescale(build: Any, old: list[_Subtask], parallelism: int, storage: CheckpointStorage,
             backend: str = "hashmap") -> list[_Subtask]:
    docs = [s.snapshot(storage) for s in old]
    clock = old[0].clock
    return [_Subtask(build(), clock, i, parallelism, backend, storage,
                     _restore_doc(docs, i, parallelism)) for i in range(parallelism)]


@pytest.fixture
def storage(tmp_path: Path) -> CheckpointStorage:
    return CheckpointStorage(str(tmp_path / "chk"), "job")


def _pt_process() -> WindowOperator:
    return WindowOperator(lambda v: v[0], TumblingProcessingTimeWindows.of(1000), None,
                          ReduceContents(_add), _Sum(), "process")


def _pt_reduce() -> WindowOperator:
    return window_operator(lambda v: v[0], TumblingProcessingTimeWindows.of(1000), None,
                           ReduceContents(_add))


def _et_process(trigger: Any = None) -> WindowOperator:
    return WindowOperator(lambda v: v[0], TumblingEventTimeWindows.of(1000), trigger,
                          ReduceContents(_add), _Sum(), "process")


def _et_reduce() -> WindowOperator:
    return window_operator(lambda v: v[0], TumblingEventTimeWindows.of(1000), None,
                           ReduceContents(_add))


# -- the timer service -----------------------------------------------------------------------

class _Target:
    def __init__(self) -> None:
        self.fired: list[tuple[str, int, Any]] = []

    def on_event_time(self, timestamp: int, key: Any) -> None:
        self.fired.append(("event", timestamp, key))

    def on_processing_time(self, timestamp: int, key: Any) -> None:
        self.fired.append(("processing", timestamp, key))


def test_namespaced_timers_snapshot_their_key_apart_and_restore_under_their_own_scope() -> None:
    scope = SimpleNamespace(current_key=None)
    clock = _Clock()
    pts = ProcessingTimeService(lambda: clock.now)
    service = InternalTimerService(scope, pts, _Target(), namespaced=True)
    w1, w2 = TimeWindow(0, 100), TimeWindow(100, 200)
    for key, window, t in (("a", w1, 99), ("b", w1, 99), ("a", w2, 199)):
        scope.current_key = (key, window)
        service.register_event_time_timer(t)
        service.register_processing_time_timer(t)
    state = service.snapshot_timers()
    # the second field of every entry is the timer's key: the one its key group follows
    assert state["event"] == state["processing"] == [(99, "a", w1), (99, "b", w1),
                                                      (199, "a", w2)]

    target = _Target()
    pts2 = ProcessingTimeService(lambda: clock.now)
    stale = SimpleNamespace(current_key=("z", TimeWindow(5, 6)))  # whatever came last
    restored = InternalTimerService(stale, pts2, target, namespaced=True)
    restored.restore_timers(state)
    restored.restore_timers({"event": [(50, ("c", w1))]})  # an older snapshot's entry
    assert stale.current_key == ("z", TimeWindow(5, 6))
    clock.now = 150
    pts2.fire_due()
    restored.advance_watermark(150)
    # equal timestamps fire in the order of Flink's timer heap: 50 went to the root and
    # the last element (99 b) took its place when it fired
    assert target.fired == [("processing", 99, ("a", w1)), ("processing", 99, ("b", w1)),
                            ("event", 50, ("c", w1)), ("event", 99, ("b", w1)),
                            ("event", 99, ("a", w1))]
    assert restored.num_event_time_timers() == restored.num_processing_time_timers() == 1


def test_plain_keyed_timers_keep_their_two_field_entries() -> None:
    backend = SimpleNamespace(current_key="k")
    clock = _Clock()
    pts = ProcessingTimeService(lambda: clock.now)
    service = InternalTimerService(backend, pts, _Target())
    service.register_event_time_timer(10)
    service.register_processing_time_timer(20)
    state = service.snapshot_timers()
    assert state == {"event": [(10, "k")], "processing": [(20, "k")]}
    target = _Target()
    backend.current_key = "other"
    restored = InternalTimerService(backend, pts, target)
    restored.restore_timers(state)
    clock.now = 20
    pts.fire_due()
    assert target.fired == [("processing", 20, "k")]


def test_rescaled_timers_follow_the_key_group_of_their_key_not_of_key_and_window() -> None:
    keys = [f"k{i}" for i in range(40)]
    windows = [TimeWindow(s, s + 1000) for s in range(0, 5000, 1000)]
    old = []
    for s in range(2):
        scope = SimpleNamespace(current_key=None)
        service = InternalTimerService(scope, None, _Target(), namespaced=True)
        for i, k in enumerate(keys):
            if assign_key_to_parallel_operator(k, MAX_P, 2) == s:
                for w in windows[i % 3:]:
                    scope.current_key = (k, w)
                    service.register_event_time_timer(w.max_timestamp())
        old.append({"timers": service.snapshot_timers()})
    for new_p in (1, 3):
        parts = [redistribute(old, i, new_p, MAX_P)["timers"]["event"] for i in range(new_p)]
        for i, part in enumerate(parts):
            assert part and all(assign_key_to_parallel_operator(k, MAX_P, new_p) == i
                                for _, k, _ in part)
        assert sum(map(len, parts)) == sum(len(o["timers"]["event"]) for o in old)


# -- window operators restored at the same parallelism -----------------------------------------

@pytest.mark.parametrize("build", [_pt_process, _pt_reduce], ids=["process", "pane-reduce"])
def test_processing_time_windows_fire_after_a_restore(build: Any,
                                                      storage: CheckpointStorage) -> None:
    clock = _Clock(100)
    first = _Subtask(build(), clock)
    first.feed(("a", 1), ("b", 2), ("a", 3))
    doc = first.snapshot(storage)

    second = _Subtask(build(), clock, storage=storage, restore=_restore_doc([doc], 0, 1))
    assert second.tick(998) == []
    fired = second.tick(1500)
    assert sorted(fired) == ([("a", 0, 4), ("b", 0, 2)] if build is _pt_process
                             else [("a", 4), ("b", 2)])
    second.feed(("b", 5), ("a", 10))  # after the restore: into the window of 1500
    fired = second.tick(2000)
    assert sorted(fired) == ([("a", 1000, 10), ("b", 1000, 5)] if build is _pt_process
                             else [("a", 10), ("b", 5)])
    assert second.op.timer_service.num_processing_time_timers() == 0


@pytest.mark.parametrize("build", [_et_process, _et_reduce], ids=["process", "pane-reduce"])
def test_event_time_windows_fire_after_a_restore(build: Any, storage: CheckpointStorage) -> None:
    clock = _Clock()
    first = _Subtask(build(), clock)
    first.feed(("a", 1), ("b", 2), ts=10)
    first.feed(("a", 3), ts=1010)
    assert first.watermark(500) == []
    doc = first.snapshot(storage)
    second = _Subtask(build(), clock, storage=storage, restore=_restore_doc([doc], 0, 1))
    assert sorted(second.watermark(999)) == ([("a", 0, 1), ("b", 0, 2)]
                                             if build is _et_process else [("a", 1), ("b", 2)])
    assert second.end() == ([("a", 1000, 3)] if build is _et_process else [("a", 3)])


def test_trigger_timers_of_a_window_come_back_with_their_window(
        storage: CheckpointStorage) -> None:
    """Timers a trigger registers (not at the window end) are restored with their window."""
    clock = _Clock()
    def build() -> WindowOperator:
        return _et_process(ContinuousEventTimeTrigger.of(250))

    whole, first = _Subtask(build(), clock), _Subtask(build(), clock)
    for sub in (whole, first):
        sub.feed(("a", 1), ts=10)
        sub.feed(("b", 2), ts=600)
        sub.feed(("a", 4), ts=1100)
    doc = first.snapshot(storage)
    second = _Subtask(build(), clock, storage=storage, restore=_restore_doc([doc], 0, 1))
    # the same firings; timers of one timestamp may fire in another order after a restore
    # (a restore rebuilds Flink's timer heap in another order than the registrations did)
    for wm in (499, 999, 1300):
        expected = whole.watermark(wm)
        assert expected and sorted(second.watermark(wm)) == sorted(expected)
    expected = whole.end()
    assert expected and sorted(second.end()) == sorted(expected)
    assert ("a", 0, 1) in second.out.records and ("b", 0, 2) in second.out.records


# -- window operators restored at another parallelism ------------------------------------------

_KEYS = [f"key-{i}" for i in range(30)]


def _et_input(sub: _Subtask, parallelism: int) -> None:
    for t in range(0, 4000, 100):
        for i, k in enumerate(_KEYS):
            if assign_key_to_parallel_operator(k, MAX_P, parallelism) == sub.index:
                sub.feed((k, i + t), ts=t + i)


def _expected_et() -> Counter[Any]:
    sums: Counter[Any] = Counter()
    for t in range(0, 4000, 100):
        for i, k in enumerate(_KEYS):
            sums[(k, (t + i) // 1000 * 1000)] += i + t
    return Counter({(k, s, v): 1 for (k, s), v in sums.items()})


@pytest.mark.parametrize("backend", ["hashmap", "rocksdb"])
@pytest.mark.parametrize(("old_p", "new_p"), [(1, 2), (2, 3), (3, 1)])
def test_event_time_windows_all_fire_once_after_a_rescaled_restore(
        old_p: int, new_p: int, backend: str, storage: CheckpointStorage) -> None:
    clock = _Clock()
    old = [_Subtask(_et_process(), clock, i, old_p, backend) for i in range(old_p)]
    for sub in old:
        _et_input(sub, old_p)
    fired = Counter(r for sub in old for r in sub.watermark(1999))  # two windows per key
    new = _rescale(_et_process, old, new_p, storage, backend)
    for sub in new:
        fired.update(sub.end())
        assert all(assign_key_to_parallel_operator(k, MAX_P, new_p) == sub.index
                   for k, _, _ in sub.out.records)
    assert fired == _expected_et()


@pytest.mark.parametrize("build", [_pt_process, _pt_reduce], ids=["process", "pane-reduce"])
def test_processing_time_windows_all_fire_once_after_a_rescaled_restore(
        build: Any, storage: CheckpointStorage) -> None:
    clock = _Clock(100)
    old = [_Subtask(build(), clock, i, 2) for i in range(2)]
    expected: Counter[Any] = Counter()
    for i, k in enumerate(_KEYS):
        sub = old[assign_key_to_parallel_operator(k, MAX_P, 2)]
        sub.feed((k, i), (k, 100))
        expected[(k, 0, i + 100) if build is _pt_process else (k, i + 100)] += 1
    new = _rescale(build, old, 3, storage)
    fired: Counter[Any] = Counter()
    for sub in new:
        fired.update(sub.tick(5000))
        assert sub.op.timer_service.num_processing_time_timers() == 0
    assert fired == expected


def test_pane_operator_is_picked_for_the_reduce_builders() -> None:
    assert isinstance(_pt_reduce(), PaneWindowOperator)
    assert isinstance(_et_reduce(), PaneWindowOperator)
    assert not isinstance(_pt_process(), PaneWindowOperator)


# -- jobs ------------------------------------------------------------------------------------

class _Control(MapFunction):
    """Paces the numbers; attempt 0 fails at ``fail_at`` or later once the test created
    ``go`` (after a completed checkpoint); a later attempt holds back the last number
    until both keys' windows holding the two before it fired in that attempt (processing-
    time windows still open at the end of the input never fire)."""

    def __init__(self, directory: str, fail_at: int, last: int) -> None:
        self.directory, self.fail_at, self.last = directory, fail_at, last

    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def _fired(self) -> bool:
        names = set(os.listdir(self.directory))
        return all(any(f"fired-{b}-{a}-{m}" in names for a in range(1, self.attempt + 1))
                   for b in "pr" for m in (self.last - 1, self.last - 2))

    def map(self, value: int) -> int:
        time.sleep(0.001)  # the windows span several checkpoints
        if self.attempt == 0 and value >= self.fail_at:
            if os.path.exists(os.path.join(self.directory, "go")):
                raise RuntimeError("injected failure")
            time.sleep(0.004)  # until the test saw a checkpoint
        if value == self.last and self.attempt > 0:
            deadline = time.monotonic() + 30
            while not self._fired() and time.monotonic() < deadline:
                time.sleep(0.01)
        return value


def _mark(directory: str, branch: str, attempt: int, top: int) -> None:
    Path(directory, f"fired-{branch}-{attempt}-{top}").touch()


class _CountSum(ProcessWindowFunction):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def process(self, key: Any, context: Any, elements: Any) -> Any:
        values = list(elements)
        _mark(self.directory, "p", self.attempt, max(values))
        yield f"p,{key},{len(values)},{sum(values)}"


class _MarkReduced(MapFunction):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.attempt = runtime_context.get_attempt_number()

    def map(self, value: Any) -> str:
        key, count, total, top = value
        _mark(self.directory, "r", self.attempt, top)
        return f"r,{key},{count},{total}"


def _merge(a: Any, b: Any) -> Any:
    return (a[0], a[1] + b[1], a[2] + b[2], max(a[3], b[3]))


def test_processing_time_windows_fire_after_a_failover(local_env: None, tmp_path: Path) -> None:
    """The general window operator (process) and the pane path (reduce) fire the windows
    restored from the checkpoint: every number up to the last counted exactly once."""
    n, fail_at = 700, 150
    marks = tmp_path / "marks"
    marks.mkdir()
    config = (Configuration()
              .set_string("execution.checkpointing.interval", "100 ms")
              .set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
              .set_string("restart-strategy.type", "fixed-delay")
              .set_string("restart-strategy.fixed-delay.attempts", "2")
              .set_string("restart-strategy.fixed-delay.delay", "100 ms")
              .set_string("taskmanager.network.batch.max-rows", "1"))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    nums = env.from_source(NumberSequenceSource(1, n), WatermarkStrategy.no_watermarks(),
                           "numbers").map(_Control(str(marks), fail_at, n), Types.LONG())
    windows = TumblingProcessingTimeWindows.of(Time.milliseconds(400))
    by_process = nums.key_by(lambda v: v % 2).window(windows) \
        .process(_CountSum(str(marks)), Types.STRING())
    by_reduce = nums.map(lambda v: (v % 2, 1, v, v)).key_by(lambda t: t[0]).window(windows) \
        .reduce(_merge).map(_MarkReduced(str(marks)), Types.STRING())
    by_process.union(by_reduce).sink_to(
        FileSink.for_row_format(str(tmp_path / "out"), Encoder.simple_string_encoder()).build())
    job = env.execute_async("processing-time windows restored")
    client, job_id = job._client, job.get_job_id()
    wait_until(lambda: client.get_job(job_id).completed_checkpoints >= 1
               or client.get_job(job_id).info.state != "RUNNING", timeout=30)
    (marks / "go").touch()
    details = client.wait(job_id, timeout=90)
    assert details.info.state == "FINISHED", details.failure_cause
    assert details.num_restarts == 1 and "injected failure" in details.failure_cause, \
        details.failure_cause
    totals: dict[str, list[int]] = {"p": [0, 0], "r": [0, 0]}
    for line, times in committed_lines(tmp_path / "out").items():
        assert times == 1, line
        branch, _, count, total = line.split(",")
        totals[branch][0] += int(count)
        totals[branch][1] += int(total)
    for branch, (count, total) in totals.items():
        # 1..n-1 exactly once; n too if its window happened to end before the job did
        assert count in (n - 1, n) and total == count * (count + 1) // 2, (branch, totals)


class _Pace(MapFunction):
    """Marks number ``mark_at`` passed, slowing down from there (or passes all at once)."""

    def __init__(self, directory: str | None = None, mark_at: int = 0) -> None:
        self.directory, self.mark_at = directory, mark_at

    def map(self, value: int) -> int:
        if self.directory is not None:
            if value == self.mark_at:
                Path(self.directory, "passed").touch()
            time.sleep(0.0005 if value < self.mark_at else 0.003)
        return value


class _TenTimes(TimestampAssigner):
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        return int(value) * 10


class _Count(ProcessWindowFunction):
    def process(self, key: Any, context: Any, elements: Any) -> Any:
        yield f"{key},{context.window().start},{len(list(elements))}"


def _event_time_job(tmp: Path, parallelism: int, out: Path, pace: _Pace,
                    restore: str | None = None) -> Any:
    config = (Configuration()
              .set_string("execution.checkpointing.interval", "200 ms")
              .set_string("execution.checkpointing.dir", str(tmp / "chk"))
              .set_string("taskmanager.network.batch.max-rows", "50"))
    if restore:
        config.set_string("execution.savepoint.path", restore)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(parallelism)
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(100)) \
        .with_timestamp_assigner(_TenTimes())
    (env.from_source(NumberSequenceSource(1, 2000), WatermarkStrategy.no_watermarks(),
                     "numbers").uid("numbers")
     .map(pace, Types.LONG()).uid("pace")
     .assign_timestamps_and_watermarks(strategy).uid("timestamps")
     .key_by(lambda v: v % 5)
     .window(TumblingEventTimeWindows.of(Time.seconds(2)))
     .process(_Count(), Types.STRING()).uid("windows")
     .sink_to(FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).build())
     .uid("sink"))
    return env.execute_async("event-time windows")


def test_event_time_windows_pending_in_a_savepoint_fire_at_another_parallelism(
        local_env: None, tmp_path: Path) -> None:
    """Stopped at parallelism 1 with every window pending (100 s out of orderness), restored
    at parallelism 2: every window fires once, from the subtask holding its key. The first
    windows got all their numbers before the stop: only their restored timers fire them."""
    job = _event_time_job(tmp_path, 1, tmp_path / "out1", _Pace(str(tmp_path), 700))
    client, job_id = job._client, job.get_job_id()
    wait_until(lambda: (tmp_path / "passed").exists(), timeout=30)
    path = client.stop_with_savepoint(job_id, str(tmp_path / "sp"), timeout=60)
    assert client.wait(job_id, timeout=60).info.state == "FINISHED"
    state = read_snapshot(path)["operators"]["windows"]["subtasks"]["0"]
    assert state["keyed"] and state["state"]  # window contents and their timers
    job2 = _event_time_job(tmp_path, 2, tmp_path / "out2", _Pace(), restore=path)
    job2.get_job_execution_result().result()
    expected = Counter(f"{v % 5},{v * 10 // 2000 * 2000}" for v in range(1, 2001))
    lines = committed_lines(tmp_path / "out1") + committed_lines(tmp_path / "out2")
    assert lines == Counter(f"{w},{c}" for w, c in expected.items())
