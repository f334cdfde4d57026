"""BATCH mode sorts a keyed operator's input by key and timestamp (Flink's SortingDataInput)
and fires a key's timers right after its records (BatchExecutionInternalTimeService)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flink_py.common import Types, WatermarkStrategy
from flink_py.common.watermark_strategy import TimestampAssigner
from flink_py.datastream import (
    KeyedProcessFunction,
    RuntimeExecutionMode,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from flink_py.datastream.functions import WindowFunction
from flink_py.taskmanager.sorted_input import SortedKeyedInput

from tests.api_support import by_value

by_value(__name__)

LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def process_batch(self, values: list[Any], timestamps: list[Any] | None) -> None:
        self.calls.append(("batch", values, timestamps))

    def end_of_key(self) -> None:
        self.calls.append(("end",))


def test_records_come_key_by_key_in_timestamp_order() -> None:
    op = _Recorder()
    sorted_input = SortedKeyedInput(op, lambda r: r[0])
    sorted_input.add([("b", 1), ("a", 2)], [20, 9])
    sorted_input.add([("a", 3), ("b", 4), ("a", 5)], [5, None, 7])
    sorted_input.drain(threading.Event())
    assert op.calls == [("batch", [("a", 3), ("a", 5), ("a", 2)], [5, 7, 9]), ("end",),
                        ("batch", [("b", 4), ("b", 1)], [None, 20]), ("end",)]
    sorted_input.drain(threading.Event())  # once only
    assert len(op.calls) == 4


def test_keys_that_do_not_order_come_as_first_seen_and_cancel_stops_the_drain() -> None:
    op = _Recorder()
    sorted_input = SortedKeyedInput(op, lambda r: r)
    sorted_input.add(["x", 1, "x", None], None)
    sorted_input.drain(threading.Event())
    assert [c[1] for c in op.calls if c[0] == "batch"] == [["x", "x"], [1], [None]]
    cancelled = threading.Event()
    cancelled.set()
    other = SortedKeyedInput(_Recorder(), lambda r: r)
    other.add([1], None)
    with pytest.raises(InterruptedError):
        other.drain(cancelled)


class _SecondField(TimestampAssigner):
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        return int(value[1])


def _batch_env() -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    env.set_parallelism(1)
    return env


def _timestamped(env: StreamExecutionEnvironment, records: list[tuple[str, int]]) -> Any:
    return env.from_collection(records, type_info=Types.TUPLE([Types.STRING(), Types.INT()])) \
        .assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps()
                                          .with_timestamp_assigner(_SecondField()))


class _Timers(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: Any) -> Any:
        ctx.timer_service().register_event_time_timer(value[1] + 10)
        ctx.timer_service().register_processing_time_timer(1)
        yield f"elem {value[0]} {value[1]} wm={ctx.timer_service().current_watermark()}"

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        yield (f"{ctx.time_domain().name} {ctx.get_current_key()} {timestamp} "
               f"wm={ctx.timer_service().current_watermark()}")


def test_a_keys_timers_fire_right_after_its_records(local_env: None) -> None:
    env = _batch_env()
    out = list(_timestamped(env, [("b", 2), ("a", 5), ("a", 1)])
               .key_by(lambda e: e[0], key_type=Types.STRING())
               .process(_Timers(), Types.STRING()).execute_and_collect())
    assert out == [f"elem a 1 wm={LONG_MIN}", f"elem a 5 wm={LONG_MIN}",
                   f"EVENT_TIME a 11 wm={LONG_MAX}", f"EVENT_TIME a 15 wm={LONG_MAX}",
                   f"PROCESSING_TIME a 1 wm={LONG_MAX}",
                   f"elem b 2 wm={LONG_MIN}",
                   f"EVENT_TIME b 12 wm={LONG_MAX}", f"PROCESSING_TIME b 1 wm={LONG_MAX}"]


class _Previous(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        self.last = runtime_context.get_state(ValueStateDescriptor("last", Types.INT()))

    def process_element(self, value: Any, ctx: Any) -> Any:
        yield value[0], self.last.value(), value[1]
        self.last.update(value[1])


def test_keyed_state_and_count_windows_see_a_keys_records_in_timestamp_order(
        local_env: None) -> None:
    env = _batch_env()
    out = list(_timestamped(env, [("b", 2), ("a", 5), ("a", 1)]).key_by(lambda e: e[0])
               .process(_Previous()).execute_and_collect())
    assert out == [("a", None, 1), ("a", 1, 5), ("b", None, 2)]

    class _Sum(WindowFunction):
        def apply(self, key: Any, window: Any, inputs: Any) -> Any:
            return [(key, sum(i[1] for i in inputs))]

    env = _batch_env()
    sums = (_timestamped(env, [("a", 5), ("a", 1), ("a", 3), ("a", 2)])
            .key_by(lambda e: e[0]).count_window(2)
            .apply(_Sum(), Types.TUPLE([Types.STRING(), Types.INT()])))
    assert list(sums.execute_and_collect()) == [("a", 3), ("a", 8)]
