"""Pure unit tests: keyed/broadcast state, timers, metrics, output tags, aggregations."""

from __future__ import annotations

import pickle
from typing import NamedTuple

import pytest

from flink_py.common import Row, Types
from flink_py.common.metrics import MetricGroup
from flink_py.datastream import (
    AggregateFunction,
    ListStateDescriptor,
    MapStateDescriptor,
    OutputTag,
    ReducingStateDescriptor,
    ValueStateDescriptor,
)
from flink_py.datastream._aggregations import AGGREGATIONS, field_accessor
from flink_py.datastream.functions import RuntimeContext
from flink_py.datastream.state import AggregatingStateDescriptor
from flink_py.taskmanager.operators.timers import (
    LONG_MIN,
    InternalTimerService,
    NonKeyedTimerService,
    ProcessingTimeService,
)
from flink_py.taskmanager.state import BroadcastStateStore, HeapKeyedStateBackend


class Avg(AggregateFunction):
    def create_accumulator(self):  # noqa: ANN201, D102
        return (0, 0)

    def add(self, value, accumulator):  # noqa: ANN001, ANN201, D102
        return accumulator[0] + value, accumulator[1] + 1

    def get_result(self, accumulator):  # noqa: ANN001, ANN201, D102
        return accumulator[0] / accumulator[1]

    def merge(self, a, b):  # noqa: ANN001, ANN201, D102
        return a[0] + b[0], a[1] + b[1]


def test_heap_keyed_state_is_scoped_to_the_current_key() -> None:
    backend = HeapKeyedStateBackend(128)
    value = backend.get_state(ValueStateDescriptor("v", Types.INT()))
    lst = backend.get_list_state(ListStateDescriptor("l", Types.STRING()))
    mp = backend.get_map_state(MapStateDescriptor("m", Types.STRING(), Types.INT()))
    red = backend.get_reducing_state(ReducingStateDescriptor("r", lambda a, b: a + b,
                                                             Types.INT()))
    agg = backend.get_aggregating_state(AggregatingStateDescriptor("a", Avg(), None))

    backend.set_current_key("k1")
    assert value.value() is None and lst.get() == [] and red.get() is None and agg.get() is None
    assert mp.is_empty() and mp.get("x") is None
    value.update(7)
    lst.add("a")
    lst.add_all(["b", "c"])
    mp["x"] = 1
    mp.put_all({"y": 2})
    red.add(3)
    red.add(4)
    agg.add(2)
    agg.add(4)
    backend.set_current_key("k2")
    assert value.value() is None and list(lst) == [] and "x" not in mp and red.get() is None
    value.update(8)
    backend.set_current_key("k1")
    assert value.value() == 7
    assert lst.get() == ["a", "b", "c"]
    assert sorted(mp.items()) == [("x", 1), ("y", 2)] and sorted(mp) == ["x", "y"]
    assert sorted(mp.values()) == [1, 2] and mp.contains("y")
    assert red.get() == 7 and agg.get() == 3.0
    mp.remove("x")
    del mp["y"]
    assert mp.is_empty()
    lst.update(["z"])
    assert lst.get() == ["z"]
    value.update(None)  # None removes the value
    assert value.value() is None
    red.clear()
    assert red.get() is None
    assert sorted(backend.get_keys("v")) == ["k2"]
    with pytest.raises(ValueError, match="cannot add null"):
        lst.add(None)


def test_state_name_keeps_its_kind_and_handles_are_shared() -> None:
    backend = HeapKeyedStateBackend(128)
    a = backend.get_state(ValueStateDescriptor("s", Types.INT()))
    assert backend.get_state(ValueStateDescriptor("s", Types.INT())) is a
    with pytest.raises(ValueError, match="'s' was registered as a ValueState"):
        backend.get_list_state(ListStateDescriptor("s", Types.INT()))
    internal = backend.get_internal_value_state(ValueStateDescriptor("s", None))
    internal.put_internal("k", 1)
    backend.set_current_key("k")
    assert a.value() == 1 and dict(internal.items_internal()) == {"k": 1}


def test_runtime_context_without_keyed_state_explains_key_by() -> None:
    ctx = RuntimeContext("Map", 0, 1, 128, 0)
    with pytest.raises(RuntimeError, match="only be used on a 'keyed stream'.*key_by"):
        ctx.get_state(ValueStateDescriptor("v", Types.INT()))


def test_broadcast_state_store_read_only_view_and_unknown_descriptor() -> None:
    desc = MapStateDescriptor("rules", Types.STRING(), Types.INT())
    store = BroadcastStateStore([desc])
    state = store.get_broadcast_state(desc)
    view = store.get_read_only_broadcast_state(desc)
    state["a"] = 1
    state.put_all({"b": 2})
    assert view.get("a") == 1 and "b" in view and sorted(view.keys()) == ["a", "b"]
    assert sorted(view.items()) == [("a", 1), ("b", 2)] and not view.is_empty()
    assert not hasattr(view, "put")
    with pytest.raises(RuntimeError, match="read-only"):
        view.clear()
    state.remove("a")
    assert view.get("a") is None and sorted(view.values()) == [2]
    with pytest.raises(ValueError, match="'other' does not exist.*broadcast"):
        store.get_broadcast_state(MapStateDescriptor("other", Types.STRING(), Types.INT()))


class _Recorder:
    def __init__(self) -> None:
        self.fired: list[tuple[str, int, object]] = []

    def on_event_time(self, timestamp: int, key: object) -> None:
        self.fired.append(("event", timestamp, key))

    def on_processing_time(self, timestamp: int, key: object) -> None:
        self.fired.append(("proc", timestamp, key))


def test_event_time_timers_fire_in_order_deduplicated_and_deletable() -> None:
    backend = HeapKeyedStateBackend(128)
    target = _Recorder()
    timers = InternalTimerService(backend, ProcessingTimeService(), target)
    assert timers.current_watermark() == LONG_MIN
    for key, ts in [("a", 20), ("b", 10), ("a", 20), ("a", 5), ("c", 30)]:
        backend.set_current_key(key)
        timers.register_event_time_timer(ts)
    backend.set_current_key("c")
    timers.delete_event_time_timer(30)
    assert timers.num_event_time_timers() == 3
    timers.advance_watermark(10)
    assert target.fired == [("event", 5, "a"), ("event", 10, "b")]
    assert timers.current_watermark() == 10
    timers.advance_watermark(100)
    assert target.fired[2:] == [("event", 20, "a")]


def test_processing_time_timers_fire_through_the_task_service() -> None:
    now = [1000]
    pts = ProcessingTimeService(clock=lambda: now[0])
    backend = HeapKeyedStateBackend(128)
    target = _Recorder()
    timers = InternalTimerService(backend, pts, target)
    backend.set_current_key("a")
    timers.register_processing_time_timer(1500)
    timers.register_processing_time_timer(1200)
    backend.set_current_key("b")
    timers.register_processing_time_timer(1200)
    timers.delete_processing_time_timer(1200)
    assert pts.next_due == 1.2
    assert not pts.fire_due()
    now[0] = 1300
    assert pts.fire_due()
    assert target.fired == [("proc", 1200, "a")]
    assert pts.next_due == 1.5
    now[0] = 2000
    pts.fire_due()
    assert target.fired[1:] == [("proc", 1500, "a")] and pts.next_due is None


def test_non_keyed_timer_service_tells_time_but_refuses_timers() -> None:
    service = NonKeyedTimerService(ProcessingTimeService(clock=lambda: 42))
    assert service.current_processing_time() == 42
    assert service.current_watermark() == LONG_MIN
    with pytest.raises(RuntimeError, match="only supported on a keyed streams"):
        service.register_event_time_timer(1)


def test_metric_group_counters_gauges_meters_distributions() -> None:
    group = MetricGroup(["Map", "0"])
    counter = group.counter("records")
    counter.inc()
    counter.inc(4)
    counter.dec()
    assert group.counter("records") is counter and counter.get_count() == 4
    group.gauge("queue", lambda: 17)
    dist = group.distribution("sizes")
    for v in (3, 1, 8):
        dist.update(v)
    assert (dist.get_count(), dist.get_sum(), dist.get_min(), dist.get_max()) == (3, 12, 1, 8)
    sub = group.add_group("source", "kafka")
    assert sub.get_scope_components() == ["Map", "0", "source", "kafka"]
    assert sub.get_all_variables() == {"<source>": "kafka"}
    sub.counter("bytes").inc(2)
    metrics = group.get_metrics()
    assert metrics["Map.0.queue"].get_value() == 17  # type: ignore[attr-defined]
    assert metrics["Map.0.source.kafka.bytes"].get_count() == 2  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="already registered as a Counter"):
        group.meter("records")


def test_meter_rate_over_its_time_span() -> None:
    from flink_py.common.metrics import Meter

    now = [0.0]
    meter = Meter(10, clock=lambda: now[0])
    for second in range(20):
        now[0] = float(second)
        meter.mark_event(5)
    assert meter.get_count() == 100
    assert meter.get_rate() == pytest.approx(5.0)
    now[0] = 100.0  # nothing for a long time
    assert meter.get_rate() == 0.0


def test_output_tag_identity_types_and_pickling() -> None:
    tag = OutputTag("late", Types.INT())
    assert tag == OutputTag("late") and hash(tag) == hash(OutputTag("late"))
    assert pickle.loads(pickle.dumps(tag)).type_info == Types.INT()
    assert OutputTag("r", [Types.STRING(), Types.INT()]).type_info == Types.ROW(
        [Types.STRING(), Types.INT()])
    with pytest.raises(ValueError, match="cannot be None or empty"):
        OutputTag("")


def test_aggregations_keep_first_record_fields_and_first_on_ties() -> None:
    rows = [("a", 3, "x"), ("a", 1, "y"), ("a", 1, "z"), ("a", 5, "w")]

    def run(kind: str, field: int | str, type_info: object = None) -> list[object]:
        reduce = AGGREGATIONS[kind](field_accessor(field, type_info))
        acc, out = None, []
        for r in rows:
            acc = r if acc is None else reduce(acc, r)
            out.append(acc)
        return out

    assert run("min", 1) == [("a", 3, "x"), ("a", 1, "x"), ("a", 1, "x"), ("a", 1, "x")]
    assert run("max", 1) == [("a", 3, "x"), ("a", 3, "x"), ("a", 3, "x"), ("a", 5, "x")]
    assert run("min_by", 1) == [("a", 3, "x"), ("a", 1, "y"), ("a", 1, "y"), ("a", 1, "y")]
    assert run("max_by", 1) == [("a", 3, "x"), ("a", 3, "x"), ("a", 3, "x"), ("a", 5, "w")]
    assert run("sum", "f1", Types.TUPLE([Types.STRING(), Types.INT(), Types.STRING()]))[-1] \
        == ("a", 10, "x")


def test_field_names_resolve_against_the_declared_type_or_the_row() -> None:
    named = Types.ROW_NAMED(["k", "v"], [Types.STRING(), Types.INT()])
    acc = field_accessor("v", named)
    assert acc.get(("a", 2)) == 2  # a tuple travelling as a declared named row
    reduce = AGGREGATIONS["sum"](field_accessor("v", None))  # pickled Rows: by name
    row = reduce(Row(k="a", v=1), Row(k="a", v=2))
    assert row == Row(k="a", v=3)
    with pytest.raises(ValueError, match=r"Unknown field name 'f'; the stream's fields are "
                                         r"\['k', 'v'\]"):
        field_accessor("f", named)
    with pytest.raises(ValueError, match="Unknown field name 'v' in Row"):
        reduce(Row(k="a", x=1), Row(k="a", x=2))
    with pytest.raises(ValueError, match="out of range"):
        field_accessor(2, named)
    with pytest.raises(ValueError, match="only field 0"):
        field_accessor(1, Types.INT())
    with pytest.raises(TypeError, match="must be of int or str type"):
        field_accessor(1.5, None)  # type: ignore[arg-type]
    assert AGGREGATIONS["max"](field_accessor(0, Types.INT()))(3, 9) == 9
    named_tuple = AGGREGATIONS["sum"](field_accessor("v", None))(Pair("a", 1), Pair("b", 2))
    assert named_tuple == Pair("a", 3)


class Pair(NamedTuple):
    k: str
    v: int
