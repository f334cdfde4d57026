"""Legacy ``SourceFunction`` event time and the watermark metrics of tasks.

* ``ctx.collect_with_timestamp``, ``ctx.emit_watermark`` and
  ``ctx.mark_as_temporarily_idle`` of ``env.add_source``: watermarks flow
  in-band (a record collected after a watermark is late for the windows it
  completed), an idle legacy source does not stall event time, an active
  silent one does.
* Final task metrics: ``currentInputWatermark`` (``currentInput1/2Watermark``
  for two inputs), ``currentOutputWatermark`` and ``numLateRecordsDropped``.

Jobs run on the embedded local cluster (2 slot workers, p=2 channels cross
processes).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flink_py.client.cluster_client import ClusterClient
from flink_py.common import Time, Watermark
from flink_py.common.runtime.keygroups import assign_key_to_parallel_operator
from flink_py.datastream import (
    KeyedCoProcessFunction,
    OutputTag,
    SourceFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.window import ProcessWindowFunction, TumblingEventTimeWindows
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.source_function import (
    SourceContext,
    SourceFunctionOperator,
)
from flink_py.taskmanager.operators.timers import ProcessingTimeService

from tests.api_support import by_value, cluster_env, session_cluster  # noqa: F401 - fixtures
from tests.conftest import wait_until
from tests.test_watermarks import Out

by_value(__name__)

LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1


def _await(path: Path, timeout: float = 30.0) -> bool:
    """(In a source thread.) Whether ``path`` appeared within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


# -- the operator on its own ------------------------------------------------------------------
class _Scripted(SourceFunction):
    """Runs ``script(ctx)``, then signals ``finished``."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.finished = threading.Event()

    def run(self, ctx: Any) -> None:
        try:
            self.script(ctx)
        finally:
            self.finished.set()


def _drain(script: Any) -> list[Any]:
    """Open a SourceFunctionOperator, let ``script`` finish, then poll it to its end."""
    func = _Scripted(script)
    op = SourceFunctionOperator(func)
    out = Out()
    op.setup(OperatorContext("task", "scripted", 0, 1, 128, 0, "job", {},
                             processing_time_service=ProcessingTimeService()), out)
    op.open()
    try:
        assert func.finished.wait(10)
        while (batch := op.poll_next(4096)) is not None:
            if batch:
                out.emit(batch, None)
        op.end_of_event_time()
    finally:
        op.close()
    return out.events


def test_watermarks_and_statuses_follow_the_records_collected_before_them() -> None:
    def script(ctx: Any) -> None:
        ctx.collect_with_timestamp("a", 1)
        ctx.collect("b")  # no timestamp
        ctx.emit_watermark(Watermark(5))
        ctx.collect_with_timestamp("c", 7)
        ctx.mark_as_temporarily_idle()
        ctx.mark_as_temporarily_idle()  # already idle: nothing new
        ctx.emit_watermark(10)  # a watermark makes the source active again
        ctx.mark_as_temporarily_idle()
        ctx.collect("d")  # ... and so does a record

    assert _drain(script) == [
        ("records", ["a", "b"], [1, LONG_MIN]), ("wm", 5), ("records", ["c"], [7]),
        ("idle",), ("active",), ("wm", 10), ("idle",), ("active",), ("records", ["d"], None),
        ("active",), ("wm", LONG_MAX)]  # the finished source ends event time


def test_records_without_timestamps_or_events_take_the_plain_path() -> None:
    def script(ctx: Any) -> None:
        for i in range(5):
            ctx.collect(i)

    assert _drain(script) == [("records", [0, 1, 2, 3, 4], None), ("active",), ("wm", LONG_MAX)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda ctx: ctx.emit_watermark("12"), "emit_watermark needs a Watermark or an int"),
    (lambda ctx: ctx.collect_with_timestamp("x", 1.5), "collect_with_timestamp needs an int"),
    (lambda ctx: ctx.collect_with_timestamp("x", True), "collect_with_timestamp needs an int"),
])
def test_bad_timestamps_and_watermarks_fail_naming_the_source(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=f"Source 'scripted': {message}"):
        _drain(call)


def test_watermarks_and_statuses_count_against_the_buffer() -> None:
    ctx = SourceContext(2, "Source 's'")
    ctx.emit_watermark(1)
    ctx.mark_as_temporarily_idle()
    blocked = threading.Event()
    done = threading.Event()

    def third() -> None:
        blocked.set()
        ctx.emit_watermark(2)  # blocks: the buffer holds two items
        done.set()

    threading.Thread(target=third, daemon=True).start()
    assert blocked.wait(5)
    assert not done.wait(0.1)
    assert [type(i).__name__ for i in ctx.take(0)] == ["_WatermarkMark", "_StatusMark"]
    assert done.wait(5)
    assert [type(i).__name__ for i in ctx.take(0)] == ["_StatusMark", "_WatermarkMark"]


# -- in jobs -----------------------------------------------------------------------------------
class InBand(SourceFunction):
    """Timestamped records, a watermark completing [0, 10000), then a record late for it."""

    def run(self, ctx: Any) -> None:
        ctx.collect_with_timestamp(("e", 1000), 1000)
        ctx.collect_with_timestamp(("i", 2000), 2000)
        ctx.collect_with_timestamp(("e", 3000), 3000)
        ctx.emit_watermark(Watermark(10_000))
        ctx.collect_with_timestamp(("e", 4000), 4000)  # late: its window is complete
        ctx.collect_with_timestamp(("i", 9999), 9999)  # late too
        ctx.collect_with_timestamp(("i", 12000), 12000)


class Contents(ProcessWindowFunction):
    def process(self, key: str, context: Any, elements: Any) -> Any:
        yield key, context.window().start, sorted(e[1] for e in elements)


def test_source_function_watermarks_flow_in_band(cluster_env: Any) -> None:  # noqa: F811
    assert {assign_key_to_parallel_operator(k, 128, 2) for k in "ei"} == {0, 1}
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    late = OutputTag("late")
    windows = (env.add_source(InBand(), "in-band").key_by(lambda v: v[0])
               .window(TumblingEventTimeWindows.of(Time.seconds(10)))
               .side_output_late_data(late).process(Contents()))
    out = list(windows.union(windows.get_side_output(late).map(lambda v: ("late", *v)))
               .execute_and_collect("in-band watermarks"))
    assert sorted(out) == [("e", 0, [1000, 3000]), ("i", 0, [2000]), ("i", 10000, [12000]),
                           ("late", "e", 4000), ("late", "i", 9999)]


class Held(SourceFunction):
    """Emits keyed records and a watermark, then runs on until both windows fired.

    ``idle``: announce idleness instead of staying silent. ``probe``: first check that
    the windows do *not* fire while this source is silent and active.
    """

    def __init__(self, directory: str, records: list[tuple[str, int]], watermark: int,
                 idle: bool = False, probe: bool = False) -> None:
        self.directory = directory
        self.records = records
        self.watermark = watermark
        self.idle = idle
        self.probe = probe

    def run(self, ctx: Any) -> None:
        d = Path(self.directory)
        for key, ts in self.records:
            ctx.collect_with_timestamp((key, ts), ts)
        ctx.emit_watermark(Watermark(self.watermark))
        if self.probe:
            if _await(d / "fired-a", 0.3) or _await(d / "fired-b", 0.0):
                raise AssertionError("a window fired while an active source held event time")
            (d / "stalled").touch()
            ctx.emit_watermark(Watermark(15_000))
        elif self.idle:
            ctx.mark_as_temporarily_idle()
        if not (_await(d / "fired-a") and _await(d / "fired-b")):
            raise AssertionError("the windows did not fire while this source was idle")


class Marking(ProcessWindowFunction):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def process(self, key: str, context: Any, elements: Any) -> Any:
        Path(self.directory, f"fired-{key}").touch()
        yield key, context.window().start, sorted(e[1] for e in elements)


def _held_job(env: StreamExecutionEnvironment, directory: Path, idle: bool) -> list[Any]:
    d = str(directory)
    a = env.add_source(Held(d, [("a", 1000), ("b", 2000)], 15_000), "A")
    b = env.add_source(Held(d, [("a", 500)], 500, idle=idle, probe=not idle), "B")
    return sorted(a.union(b).key_by(lambda v: v[0])
                  .window(TumblingEventTimeWindows.of(Time.seconds(10)))
                  .process(Marking(d)).execute_and_collect("held"))


def test_an_idle_source_function_does_not_stall_event_time(cluster_env: Any,  # noqa: F811
                                                           tmp_path: Path) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    # both sources keep running until the windows of [0, 10000) fired: only B's idleness
    # lets A's watermark (15000) through
    assert _held_job(env, tmp_path, idle=True) == [("a", 0, [500, 1000]), ("b", 0, [2000])]
    assert not (tmp_path / "stalled").exists()


def test_an_active_silent_source_function_holds_event_time(cluster_env: Any,  # noqa: F811
                                                           tmp_path: Path) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    assert _held_job(env, tmp_path, idle=False) == [("a", 0, [500, 1000]), ("b", 0, [2000])]
    assert (tmp_path / "stalled").exists()


# -- watermark metrics ---------------------------------------------------------------------
def _final_metrics(address: str, job_id: str) -> dict[str, list[dict[str, float]]]:
    """Task metrics by vertex name, once every task reported its final state."""
    with ClusterClient(address) as client:
        def final() -> Any:
            tasks = list(client.get_job(job_id).tasks)
            done = all(t.state in ("FINISHED", "CANCELED", "FAILED") for t in tasks)
            return tasks if done and all(t.metrics for t in tasks) else None

        tasks = wait_until(final, timeout=30)
    out: dict[str, list[dict[str, float]]] = {}
    for t in tasks:
        out.setdefault(t.vertex_name, []).append(dict(t.metrics))
    return out


def _one(metrics: dict[str, list[dict[str, float]]], name: str) -> dict[str, float]:
    """The metrics of the one task whose vertex name contains ``name``."""
    (found,) = (v for k, v in metrics.items() if name in k)
    (task,) = found
    return task


class Late(SourceFunction):
    def run(self, ctx: Any) -> None:
        for key, ts in [("e", 1000), ("i", 2000)]:
            ctx.collect_with_timestamp((key, ts), ts)
        ctx.emit_watermark(Watermark(10_000))
        for key, ts in [("e", 4000), ("i", 5000), ("i", 6000), ("e", 11000)]:
            ctx.collect_with_timestamp((key, ts), ts)  # all but the last one are dropped


def test_late_records_dropped_and_watermarks_in_final_metrics(
        cluster_env: Any, tmp_path: Path) -> None:  # noqa: F811
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    (env.add_source(Late(), "late-source").key_by(lambda v: v[0])
     .window(TumblingEventTimeWindows.of(Time.seconds(10)))
     .process(Contents()).print())
    result = env.execute("late metrics")
    metrics = _final_metrics(cluster_env.address, result.get_job_id())
    (window,) = (v for k, v in metrics.items() if k.startswith("Window"))
    assert sorted(m["numLateRecordsDropped"] for m in window) == [1.0, 2.0]  # e: 1, i: 2
    assert all(m["currentInputWatermark"] == m["currentOutputWatermark"] == float(LONG_MAX)
               for m in window)
    source = _one(metrics, "late-source")
    assert source["currentOutputWatermark"] == float(LONG_MAX)
    assert "currentInputWatermark" not in source and "numLateRecordsDropped" not in source


class StopsAt(SourceFunction):
    """A record and a watermark, then silent until cancelled."""

    def __init__(self, key: str, watermark: int) -> None:
        self.key = key
        self.watermark = watermark
        self.running = True

    def run(self, ctx: Any) -> None:
        ctx.collect_with_timestamp((self.key, 1000), 1000)
        ctx.emit_watermark(Watermark(self.watermark))
        while self.running:
            time.sleep(0.01)

    def cancel(self) -> None:
        self.running = False


class TimerAt(KeyedCoProcessFunction):
    """Registers an event-time timer at 3000; its firing leaves a marker file."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def process_element1(self, value: Any, ctx: Any) -> Any:
        ctx.timer_service().register_event_time_timer(3000)
        return []

    def process_element2(self, value: Any, ctx: Any) -> Any:
        return []

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        Path(self.directory, f"fired-{timestamp}").touch()
        return []


def test_two_input_watermark_metrics(cluster_env: Any, tmp_path: Path) -> None:  # noqa: F811
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    first = env.add_source(StopsAt("k", 3000), "first")
    second = env.add_source(StopsAt("k", 7000), "second")
    (first.connect(second).key_by(lambda v: v[0], lambda v: v[0])
     .process(TimerAt(str(tmp_path))).name("timers").print())
    job = env.execute_async("two-input watermarks")
    # the timer at 3000 fires once both inputs passed 3000: input 2 is then at 7000
    wait_until(lambda: (tmp_path / "fired-3000").exists(), timeout=30)
    job.cancel()
    metrics = _final_metrics(cluster_env.address, job.get_job_id())
    co = _one(metrics, "timers")
    assert (co["currentInputWatermark"], co["currentInput1Watermark"],
            co["currentInput2Watermark"]) == (3000.0, 3000.0, 7000.0)
    assert co["currentOutputWatermark"] == 3000.0  # reached the chained print sink
    assert _one(metrics, "first")["currentOutputWatermark"] == 3000.0
    assert _one(metrics, "second")["currentOutputWatermark"] == 7000.0
