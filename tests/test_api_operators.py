"""Process operators driven directly: timestamps, side outputs, timers and their outputs."""

from __future__ import annotations

from typing import Any

from flink_py.datastream import KeyedProcessFunction, OutputTag, ProcessFunction, TimeDomain
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.co import CoProcessOperator, co_map_functions
from flink_py.taskmanager.operators.process import KeyedProcessOperator, ProcessOperator
from flink_py.taskmanager.operators.timers import ProcessingTimeService

LATE = OutputTag("late")


class Collected:
    """An Output that records what an operator emits."""

    def __init__(self) -> None:
        self.main: list[tuple[list[Any], list[int] | None]] = []
        self.side: list[tuple[str, list[Any], list[int] | None]] = []
        self.watermarks: list[int] = []
        self.statuses: list[bool] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.main.append((values, timestamps))

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        self.side.append((tag, values, timestamps))

    def emit_watermark(self, watermark: int) -> None:
        self.watermarks.append(watermark)

    def emit_watermark_status(self, idle: bool) -> None:
        self.statuses.append(idle)


def _open(op: Any, pts: ProcessingTimeService | None = None) -> Collected:
    out = Collected()
    ctx = OperatorContext("task", "op", 0, 1, 128, 0, "job", {},
                          processing_time_service=pts or ProcessingTimeService())
    op.setup(ctx, out)
    op.open()
    return out


class Stamp(ProcessFunction):
    def process_element(self, value: int, ctx: ProcessFunction.Context) -> Any:
        if value < 0:
            ctx.output(LATE, (value, ctx.timestamp()))
        else:
            yield value, ctx.timestamp()
            yield value


def test_outputs_carry_the_input_timestamp_and_ctx_timestamp_reads_it() -> None:
    op = ProcessOperator(Stamp())
    out = _open(op)
    op.process_batch([1, -2, 3], [100, 200, 300])
    assert out.main == [([(1, 100), 1, (3, 300), 3], [100, 100, 300, 300])]
    assert out.side == [("late", [(-2, 200)], [200])]
    op.process_batch([4], None)
    # no timestamp: ctx.timestamp() is Long.MIN_VALUE (real PyFlink 2.3), the output has none
    assert out.main[-1] == ([(4, -(1 << 63)), 4], None)


class Timers(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        _key, at = value
        ctx.timer_service().register_event_time_timer(at)
        ctx.timer_service().register_processing_time_timer(at)
        return None

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        yield ctx.time_domain().name, ctx.get_current_key(), ctx.timestamp()
        if ctx.time_domain() is TimeDomain.EVENT_TIME:
            yield LATE, timestamp


def test_event_timers_stamp_outputs_processing_timers_do_not() -> None:
    now = [0]
    pts = ProcessingTimeService(clock=lambda: now[0])
    op = KeyedProcessOperator(lambda v: v[0], Timers())
    out = _open(op, pts)
    op.process_batch([("a", 10), ("b", 20), ("a", 10)], None)
    op.process_watermark(15)
    assert out.main == [([("EVENT_TIME", "a", 10)], [10])]
    assert out.watermarks == [15]  # forwarded after the timers fired
    assert out.side == [("late", [10], [10])]
    now[0] = 25
    pts.fire_due()
    assert out.main[1:] == [([("PROCESSING_TIME", "a", 10)], None),
                            ([("PROCESSING_TIME", "b", 20)], None)]
    op.end_input()  # the maximum watermark fires the remaining event-time timer
    assert out.main[-1] == ([("EVENT_TIME", "b", 20)], [20])
    assert op.timer_service.num_event_time_timers() == 0


class Lifecycle(ProcessFunction):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def open(self, runtime_context: Any) -> None:
        self.calls.append(f"open {runtime_context.get_task_name()}")

    def process_element(self, value: Any, ctx: Any) -> Any:
        self.calls.append(f"element {value}")
        return None

    def close(self) -> None:
        self.calls.append("close")


def test_open_and_close_wrap_the_records() -> None:
    fn = Lifecycle()
    op = ProcessOperator(fn)
    _open(op)
    op.process_batch([1, 2], None)
    op.close()
    assert fn.calls == ["open task", "element 1", "element 2", "close"]


def test_co_map_drops_none_like_pyflink_and_keeps_inputs_apart() -> None:
    class Both:
        def map1(self, value: Any) -> Any:
            return None if value == 0 else ("one", value)

        def map2(self, value: Any) -> Any:
            return "two", value

    op = CoProcessOperator(co_map_functions(Both()))
    out = _open(op)
    op.process_batch1([0, 1], None)
    op.process_batch2([2], [7])
    assert out.main == [([("one", 1)], None), ([("two", 2)], [7])]
