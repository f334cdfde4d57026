"""Watermark strategies, generators, the watermark valve and the emitter (no cluster)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from flink_py.common import Duration, TimestampAssigner, Types, WatermarkGenerator, WatermarkStrategy
from flink_py.common.runtime.arrow_codec import BatchCodec, deserialize
from flink_py.common.runtime.partitioners import KeyGroupStreamPartitioner
from flink_py.common.watermark_strategy import (
    LONG_MAX,
    LONG_MIN,
    IngestionTimeAssigner,
    Watermark,
    WatermarkOutput,
)
from flink_py.taskmanager.network.events import WatermarkEvent
from flink_py.taskmanager.network.partition import ResultPartition
from flink_py.taskmanager.network.record_timestamps import (
    TimestampedBuffer,
    split,
    timestamped_schema,
)
from flink_py.taskmanager.network.valve import StatusWatermarkValve
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.timers import ProcessingTimeService
from flink_py.taskmanager.operators.watermarks import TimestampsAndWatermarksOperator
from flink_py.taskmanager.writer import RecordWriter


class Recorded(WatermarkOutput):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def emit_watermark(self, watermark: Watermark | int) -> None:
        self.events.append(watermark.get_timestamp() if isinstance(watermark, Watermark)
                           else watermark)

    def mark_idle(self) -> None:
        self.events.append("idle")

    def mark_active(self) -> None:
        self.events.append("active")


class Out:
    """An operator Output recording records, watermarks and statuses in order."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.events.append(("records", list(values), timestamps))

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        raise AssertionError("no side output expected")

    def emit_watermark(self, watermark: int) -> None:
        self.events.append(("wm", watermark))

    def emit_watermark_status(self, idle: bool) -> None:
        self.events.append(("idle" if idle else "active",))


# -- generators ---------------------------------------------------------------------------
def test_bounded_out_of_orderness_is_max_minus_bound_minus_one() -> None:
    gen = WatermarkStrategy.for_bounded_out_of_orderness(
        Duration.of_seconds(5)).create_watermark_generator()
    out = Recorded()
    gen.on_periodic_emit(out)
    assert out.events == [LONG_MIN]  # before any record
    for ts in (1000, 16000, 12000):
        gen.on_event(None, ts, out)
    gen.on_periodic_emit(out)
    assert out.events[-1] == 10999  # 16000 - 5000 - 1 (late 12000 does not lower it)


def test_monotonous_is_max_minus_one() -> None:
    gen = WatermarkStrategy.for_monotonous_timestamps().create_watermark_generator()
    out = Recorded()
    gen.on_event(None, 41, out)
    gen.on_event(None, 42, out)
    assert out.events == []  # on_event only tracks the maximum
    gen.on_periodic_emit(out)
    assert out.events == [41]


def test_no_watermarks_and_bad_arguments() -> None:
    strategy = WatermarkStrategy.no_watermarks()
    assert not strategy.has_watermarks
    out = Recorded()
    strategy.create_watermark_generator().on_periodic_emit(out)
    assert out.events == []
    with pytest.raises(ValueError, match="negative"):
        WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(-1))
    with pytest.raises(ValueError, match="positive"):
        WatermarkStrategy.for_monotonous_timestamps().with_idleness(Duration.of_millis(0))
    with pytest.raises(TypeError, match="WatermarkGenerator"):
        WatermarkStrategy.for_generator(42)
    with pytest.raises(TypeError, match="TimestampAssigner or a callable"):
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(3)


def test_idleness_marks_idle_after_timeout_in_processing_time() -> None:
    now = [0]
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_idleness(Duration.of_millis(100))
    gen = strategy.create_watermark_generator(clock=lambda: now[0])
    out = Recorded()
    gen.on_event(None, 10, out)
    gen.on_periodic_emit(out)  # activity since the last check
    assert out.events == [9]
    now[0] = 50
    gen.on_periodic_emit(out)  # first check without records starts the inactivity period
    now[0] = 150
    gen.on_periodic_emit(out)  # 100 ms: not yet more than the timeout
    now[0] = 151
    gen.on_periodic_emit(out)
    assert out.events == [9, 9, 9, "idle"]


def test_with_timestamp_assigner_accepts_assigners_and_callables() -> None:
    class Second(TimestampAssigner):
        def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
            return value[1]

    s = WatermarkStrategy.for_monotonous_timestamps()
    assert s.with_timestamp_assigner(Second()) is s  # PyFlink changes and returns the strategy
    assert s.create_timestamp_assigner().extract_timestamp(("a", 7), LONG_MIN) == 7
    s.with_timestamp_assigner(lambda v, ts: v[1] * 2)
    assert s.create_timestamp_assigner().extract_timestamp(("a", 7), LONG_MIN) == 14
    s.with_timestamp_assigner(lambda v: v[1] + 1)
    assert s.create_timestamp_assigner().extract_timestamp(("a", 7), LONG_MIN) == 8
    # with_idleness keeps the assigner
    assert s.with_idleness(Duration.of_seconds(1)).create_timestamp_assigner() is not None
    clock = iter([100, 90, 120])
    ingestion = IngestionTimeAssigner(clock=lambda: next(clock))
    assert [ingestion.extract_timestamp(None, LONG_MIN) for _ in range(3)] == [100, 100, 120]


# -- valve --------------------------------------------------------------------------------
def test_valve_emits_the_minimum_over_channels() -> None:
    v = StatusWatermarkValve(3)
    assert v.input_watermark(0, 10) == []
    assert v.input_watermark(1, 5) == []
    assert v.input_watermark(2, 7) == [("watermark", 5)]
    assert v.input_watermark(1, 20) == [("watermark", 7)]
    assert v.input_watermark(1, 30) == []  # channel 2 (7) still holds it back
    assert v.input_watermark(0, 3) == []  # a channel never goes backwards


def test_valve_idle_channel_leaves_the_minimum_and_rejoins_once_caught_up() -> None:
    v = StatusWatermarkValve(2)
    v.input_watermark(0, 100)
    assert v.input_watermark(1, 10) == [("watermark", 10)]
    # channel 1 idle: the minimum is channel 0 alone
    assert v.input_status(1, True) == [("watermark", 100)]
    assert v.input_watermark(0, 200) == [("watermark", 200)]
    # channel 1 active again below the output: no step back, not part of the minimum yet
    assert v.input_status(1, False) == []
    assert v.input_watermark(1, 150) == []
    assert v.input_watermark(0, 300) == [("watermark", 300)]
    assert v.input_watermark(1, 250) == []  # below the last output: still not aligned
    assert v.input_watermark(1, 320) == []  # caught up: aligned again, min(300, 320) = 300
    assert v.input_watermark(0, 400) == [("watermark", 320)]


def test_valve_all_idle_emits_the_maximum_then_idle() -> None:
    v = StatusWatermarkValve(2)
    v.input_watermark(0, 50)
    v.input_watermark(1, 10)
    assert v.input_status(0, True) == []
    assert v.input_status(1, True) == [("watermark", 50), ("status", True)]
    assert v.input_watermark(1, 60) == []  # idle channels are ignored
    assert v.input_status(1, False) == [("status", False)]
    assert v.input_watermark(1, 60) == [("watermark", 60)]


# -- emitter / operator -------------------------------------------------------------------
def _open(strategy: WatermarkStrategy, now: list[int], interval: int = 200
          ) -> tuple[TimestampsAndWatermarksOperator, Out, ProcessingTimeService]:
    pts = ProcessingTimeService(clock=lambda: now[0])
    op = TimestampsAndWatermarksOperator(strategy)
    out = Out()
    op.setup(OperatorContext("task", "assign", 0, 1, 128, 0, "job",
                             {"pipeline.auto-watermark-interval": f"{interval} ms"},
                             processing_time_service=pts), out)
    op.open()
    return op, out, pts


def test_periodic_emission_every_auto_watermark_interval() -> None:
    now = [1_000]
    op, out, pts = _open(WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(10))
                         .with_timestamp_assigner(lambda v, ts: v), now, interval=200)
    op.process_batch([100, 300, 200], None)
    assert out.events == [("records", [100, 300, 200], [100, 300, 200])]
    now[0] = 1_199
    pts.fire_due()
    assert len(out.events) == 1  # not due yet
    now[0] = 1_200
    pts.fire_due()
    assert out.events[-1] == ("wm", 289)
    op.process_batch([500], None)
    now[0] = 1_400
    pts.fire_due()
    assert out.events[-2:] == [("records", [500], [500]), ("wm", 489)]
    now[0] = 1_600
    pts.fire_due()
    assert out.events[-1] == ("wm", 489)  # not advanced: nothing new emitted
    assert len(out.events) == 4
    op.process_watermark(1234)  # upstream watermarks are replaced ...
    op.process_watermark(LONG_MAX)  # ... except the end of time
    assert out.events[-1] == ("wm", LONG_MAX)


class Punctuated(WatermarkGenerator):
    """Emits a watermark after every record whose value is negative."""

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        if event < 0:
            output.emit_watermark(Watermark(event_timestamp))

    def on_periodic_emit(self, output: WatermarkOutput) -> None:
        return


def test_custom_generator_watermarks_follow_the_record_that_caused_them() -> None:
    op, out, _ = _open(WatermarkStrategy.for_generator(Punctuated)
                       .with_timestamp_assigner(lambda v, ts: abs(v)), [0])
    op.process_batch([1, -2, 3, 4, -5, 6], None)
    assert out.events == [("records", [1, -2], [1, 2]), ("wm", 2),
                          ("records", [3, 4, -5], [3, 4, 5]), ("wm", 5),
                          ("records", [6], [6])]
    # the generator may also be an instance (copied per subtask) or a supplier
    for gen in (Punctuated(), lambda: Punctuated()):
        op, out, _ = _open(WatermarkStrategy.for_generator(gen)
                           .with_timestamp_assigner(lambda v, ts: abs(v)), [0])
        op.process_batch([-7], None)
        assert out.events == [("records", [-7], [7]), ("wm", 7)]


def test_idle_stream_is_marked_idle_and_active_again_with_its_next_record() -> None:
    now = [0]
    strategy = (WatermarkStrategy.for_monotonous_timestamps()
                .with_timestamp_assigner(lambda v, ts: v).with_idleness(Duration.of_millis(100)))
    op, out, pts = _open(strategy, now, interval=100)
    # the idleness timer runs on the monotonic clock; drive it through the generator's clock
    gen = op.emitter.generator  # type: ignore[union-attr]
    idle_now = [0]
    gen._clock = lambda: idle_now[0]  # noqa: SLF001 - injectable clock for the test
    op.process_batch([10], None)
    for step in range(1, 5):
        now[0] = step * 100
        idle_now[0] = step * 100
        pts.fire_due()
    assert ("idle",) in out.events
    assert out.events[:2] == [("records", [10], [10]), ("wm", 9)]
    op.process_batch([20], None)
    assert out.events[-2:] == [("active",), ("records", [20], [20])]


def test_bad_timestamps_fail_naming_the_operator() -> None:
    op, _, _ = _open(WatermarkStrategy.for_monotonous_timestamps()
                     .with_timestamp_assigner(lambda v, ts: "soon"), [0])
    with pytest.raises(TypeError, match="'assign'.*must return an int"):
        op.process_batch([1], None)
    with pytest.raises(TypeError, match="needs a WatermarkStrategy"):
        TimestampsAndWatermarksOperator("nope")  # type: ignore[arg-type]


# -- the writer: timestamps and watermarks on the wire --------------------------------------
def test_writer_sends_timestamps_as_a_column_and_watermarks_after_pending_records() -> None:
    partition = ResultPartition(("job", "edge", 0, 0), [10, 10])
    partitioner = KeyGroupStreamPartitioner(lambda v: v[0], 128)
    type_info = Types.TUPLE([Types.STRING(), Types.INT()])
    writer = RecordWriter(partition, partitioner, [False, False], type_info, 0, 100, 1 << 20,
                          threading.Event())
    received: list[list[Any]] = [[], []]

    class View:
        subpartition = None

        def __init__(self, i: int) -> None:
            self.i = i

        def deliver(self, is_data: bool, element: Any, backlog: int) -> None:
            received[self.i].append((is_data, element))

    for i, sub in enumerate(partition.subpartitions):
        sub.attach(View(i), 100)
    records = [(f"k{i}", i) for i in range(20)]
    writer.emit(records[:10], list(range(1000, 1010)))
    writer.emit(records[10:], None)  # mixed: records without timestamp get null
    writer.emit_watermark(500)
    writer.emit_watermark(400)  # never backwards
    codec = BatchCodec(type_info)
    schema = timestamped_schema(codec.schema)
    got = {}
    for chan in received:
        assert [type(e).__name__ for d, e in chan] == ["TimestampedBuffer", "WatermarkEvent"]
        buf = chan[0][1]
        assert isinstance(buf, TimestampedBuffer)
        batch, ts = split(deserialize(buf.buffer, schema), codec.schema)
        got.update(zip(codec.decode(batch), ts))
        assert isinstance(chan[1][1], WatermarkEvent) and chan[1][1].timestamp == 500
    assert got == {r: (1000 + r[1] if r[1] < 10 else None) for r in records}


def test_batch_execution_emits_no_watermark_before_the_end_of_input() -> None:
    """Flink's BATCH mode: generators run, but only the final watermark flows, so no
    element is late and event-time timers fire at the end."""
    now = [1_000]
    pts = ProcessingTimeService(clock=lambda: now[0])
    op = TimestampsAndWatermarksOperator(
        WatermarkStrategy.for_generator(Punctuated).with_timestamp_assigner(lambda v, ts: abs(v)))
    out = Out()
    op.setup(OperatorContext("task", "assign", 0, 1, 128, 0, "job",
                             {"pipeline.auto-watermark-interval": "200 ms"},
                             processing_time_service=pts, runtime_mode="BATCH"), out)
    op.open()
    op.process_batch([1, -9, 3], None)
    now[0] = 5_000
    pts.fire_due()
    op.emitter.mark_idle()  # type: ignore[union-attr]
    assert out.events == [("records", [1, -9, 3], [1, 9, 3])]
    op.process_watermark(LONG_MAX)
    assert out.events[-1] == ("wm", LONG_MAX)
