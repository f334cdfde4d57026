"""KeyedStream: aggregations, keyed map/flat_map/filter, KeyedProcessFunction, state, timers."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Row, Types
from flink_py.datastream import (
    FilterFunction,
    ReduceFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    ListStateDescriptor,
    MapFunction,
    MapStateDescriptor,
    ProcessFunction,
    StreamExecutionEnvironment,
    TimeDomain,
    ValueStateDescriptor,
)
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    mark_done,
    sequenced,
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)

pytestmark = pytest.mark.usefixtures("cluster_env")

LONG_MIN = -(1 << 63)


def _env(parallelism: int = 2) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def _by_key(results: list[Any], key: Any = lambda r: r[0]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = collections.defaultdict(list)
    for r in results:
        out[key(r)].append(r)
    return dict(out)


RECORDS = [("a", 3, "x"), ("b", 2, "p"), ("a", 1, "y"), ("a", 1, "z"), ("b", 7, "q"),
           ("a", 5, "w")]


@pytest.mark.parametrize(("kind", "expected_a", "expected_b"), [
    ("sum", [3, 4, 5, 10], [2, 9]),
    ("min", [("a", 3, "x"), ("a", 1, "x"), ("a", 1, "x"), ("a", 1, "x")],
     [("b", 2, "p"), ("b", 2, "p")]),
    ("max", [("a", 3, "x"), ("a", 3, "x"), ("a", 3, "x"), ("a", 5, "x")],
     [("b", 2, "p"), ("b", 7, "p")]),
    ("min_by", [("a", 3, "x"), ("a", 1, "y"), ("a", 1, "y"), ("a", 1, "y")],
     [("b", 2, "p"), ("b", 2, "p")]),
    ("max_by", [("a", 3, "x"), ("a", 3, "x"), ("a", 3, "x"), ("a", 5, "w")],
     [("b", 2, "p"), ("b", 7, "q")]),
])
def test_rolling_aggregations_by_position(kind: str, expected_a: list[Any],
                                          expected_b: list[Any]) -> None:
    env = _env()
    tuple_type = Types.TUPLE([Types.STRING(), Types.INT(), Types.STRING()])
    keyed = env.from_collection(RECORDS, type_info=tuple_type).key_by(lambda r: r[0])
    results = list(getattr(keyed, kind)(1).execute_and_collect())
    per_key = _by_key(results)
    if kind == "sum":  # other fields keep the first record's values
        assert per_key["a"] == [("a", n, "x") for n in expected_a]
        assert per_key["b"] == [("b", n, "p") for n in expected_b]
    else:
        assert per_key["a"] == expected_a and per_key["b"] == expected_b


def test_aggregations_by_field_name_on_named_rows() -> None:
    env = _env()
    row_type = Types.ROW_NAMED(["name", "score", "tag"], [Types.STRING(), Types.INT(),
                                                          Types.STRING()])
    rows = [Row(name=n, score=s, tag=t) for n, s, t in RECORDS]
    ds = env.from_collection(rows, type_info=row_type)
    summed = ds.key_by(lambda r: r["name"]).sum("score")
    best = ds.key_by(lambda r: r.name).max_by("score")
    results = list(summed.map(lambda r: ("sum", r), output_type=None).union(
        best.map(lambda r: ("max_by", r))).execute_and_collect())
    finals = {}
    for kind, row in results:
        assert isinstance(row, Row) and row.as_dict().keys() == {"name", "score", "tag"}
        finals[(kind, row["name"])] = row
    assert finals[("sum", "a")]["score"] == 10 and finals[("sum", "a")]["tag"] == "x"
    assert finals[("sum", "b")]["score"] == 9
    assert finals[("max_by", "a")].as_dict() == {"name": "a", "score": 5, "tag": "w"}
    assert finals[("max_by", "b")].tag == "q"


def test_unknown_field_name_fails_when_the_program_is_built() -> None:
    env = _env()
    row_type = Types.ROW_NAMED(["name", "score"], [Types.STRING(), Types.INT()])
    keyed = env.from_collection([Row(name="a", score=1)], type_info=row_type).key_by(
        lambda r: r[0])
    with pytest.raises(ValueError, match=r"KeyedStream.sum\('f'\) at test_api_keyed.py:\d+: "
                                         r"Unknown field name 'f'; the stream's fields are "
                                         r"\['name', 'score'\]"):
        keyed.sum("f")
    with pytest.raises(ValueError, match="out of range"):
        keyed.min(5)


def test_unknown_field_name_on_pickled_rows_fails_the_task_naming_the_operator() -> None:
    from flink_py.client.cluster_client import JobExecutionException

    env = _env(1)
    ds = env.from_collection([Row(name="a", score=1), Row(name="a", score=2)])
    with pytest.raises(JobExecutionException, match=r"in operator 'Keyed Aggregation'.*"
                                                    r"Unknown field name 'points'"):
        list(ds.key_by(lambda r: r.name).sum("points").execute_and_collect())


class CountPerKey(MapFunction):
    """A map with keyed state: the number of records seen for the key."""

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def map(self, value: Any) -> Any:
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        return value, n


class FirstPerKey(FilterFunction):
    """Keeps the first record of every key (keyed-state deduplication)."""

    def open(self, runtime_context: Any) -> None:
        self.seen = runtime_context.get_state(ValueStateDescriptor("seen", Types.BOOLEAN()))

    def filter(self, value: Any) -> bool:
        if self.seen.value():
            return False
        self.seen.update(True)
        return True


class History(FlatMapFunction):
    """Yields the key's history so far (a generator with ListState)."""

    def open(self, runtime_context: Any) -> None:
        self.history = runtime_context.get_list_state(ListStateDescriptor("h", Types.INT()))

    def flat_map(self, value: Any) -> Any:
        self.history.add(value)
        yield value, list(self.history.get())


def test_keyed_map_filter_flat_map_keep_the_key_context() -> None:
    env = _env()
    ds = env.from_collection([1, 2, 3, 4, 5, 6, 7], type_info=Types.INT())
    keyed = ds.key_by(lambda v: v % 3)
    counted = list(keyed.map(CountPerKey()).execute_and_collect())
    assert sorted(counted) == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 3)]

    env = _env()
    keyed = env.from_collection([1, 2, 3, 4, 5, 6, 7], type_info=Types.INT()).key_by(
        lambda v: v % 3)
    assert sorted(keyed.filter(FirstPerKey()).execute_and_collect()) == [1, 2, 3]

    env = _env()
    keyed = env.from_collection([1, 2, 3, 4, 5, 6, 7], type_info=Types.INT()).key_by(
        lambda v: v % 3)
    histories = dict(keyed.flat_map(History()).execute_and_collect())
    assert histories == {1: [1], 2: [2], 3: [3], 4: [1, 4], 5: [2, 5], 6: [3, 6],
                         7: [1, 4, 7]}


def test_keyed_map_output_type_and_plain_callables() -> None:
    env = _env()
    keyed = env.from_collection(["a", "bb", "a"], type_info=Types.STRING()).key_by(len)
    out = keyed.map(lambda s: (s, len(s)), output_type=[Types.STRING(), Types.INT()])
    assert out.get_type() == Types.ROW([Types.STRING(), Types.INT()])
    assert sorted(tuple(r) for r in out.execute_and_collect()) == [("a", 1), ("a", 1),
                                                                   ("bb", 2)]


class Sessionize(KeyedProcessFunction):
    """Counts per key in ValueState, keeps items in MapState, reports at the end via a timer."""

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))
        self.items = runtime_context.get_map_state(
            MapStateDescriptor("items", Types.STRING(), Types.INT()))

    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        key, item = value
        assert ctx.get_current_key() == key
        assert ctx.timestamp() == -(1 << 63)  # none assigned: Long.MIN_VALUE, as PyFlink
        assert ctx.timer_service().current_watermark() == LONG_MIN
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        self.items.put(item, (self.items.get(item) or 0) + 1)
        ctx.timer_service().register_event_time_timer(1000)  # one timer per key (deduplicated)
        yield key, n

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        assert ctx.time_domain() is TimeDomain.EVENT_TIME
        yield "end", ctx.get_current_key(), timestamp, self.count.value(), dict(self.items.items())


def test_keyed_process_function_with_state_and_event_time_timers_at_end_of_input() -> None:
    env = _env()
    data = [("u1", "x"), ("u2", "y"), ("u1", "x"), ("u1", "z"), ("u2", "y")]
    results = list(env.from_collection(data).key_by(lambda v: v[0]).process(Sessionize())
                   .execute_and_collect())
    running = [r for r in results if r[0] != "end"]
    ends = sorted(r for r in results if r[0] == "end")
    assert _by_key(running) == {"u1": [("u1", 1), ("u1", 2), ("u1", 3)],
                                "u2": [("u2", 1), ("u2", 2)]}
    # The end of the bounded input is the maximum watermark: every event-time timer fires once.
    assert ends == [("end", "u1", 1000, 3, {"x": 2, "z": 1}), ("end", "u2", 1000, 2, {"y": 2})]


class ProcessingTimeAlarm(KeyedProcessFunction):
    """Registers a processing-time timer on the first element; the timer releases the second."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        seq, key = value
        assert ctx.get_current_key() == key
        if seq == 0:
            now = ctx.timer_service().current_processing_time()
            ctx.timer_service().register_processing_time_timer(now + 50)
        yield "element", seq

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        assert ctx.time_domain() is TimeDomain.PROCESSING_TIME
        assert ctx.timestamp() == timestamp
        yield "timer", ctx.get_current_key()
        mark_done(self.directory, 0, 0)  # releases element 1


def test_processing_time_timer_fires_while_the_task_waits_for_input(tmp_path: Path) -> None:
    env = _env(1)
    (stream,) = sequenced(env, str(tmp_path), [(0, "k"), (0, "k")], [1, 1])
    out = list(stream.key_by(lambda v: v[1]).process(ProcessingTimeAlarm(str(tmp_path)))
               .execute_and_collect())
    assert out == [("element", 0), ("timer", "k"), ("element", 1)]


def test_keyed_process_accepts_a_callable_and_rejects_a_process_function() -> None:
    env = _env()
    keyed = env.from_collection(["a", "b", "a"]).key_by(lambda s: s)
    out = keyed.process(lambda v, ctx: [(ctx.get_current_key(), v.upper())])
    assert sorted(out.execute_and_collect()) == [("a", "A"), ("a", "A"), ("b", "B")]

    class NotKeyed(ProcessFunction):
        def process_element(self, value: Any, ctx: Any) -> Any:
            yield value

    with pytest.raises(TypeError, match="KeyedProcessFunction is required"):
        keyed.process(NotKeyed())


def test_keyed_stream_rekeying_and_forbidden_repartitioning() -> None:
    env = _env()
    keyed = env.from_collection([("a", 1), ("b", 2), ("a", 3)]).key_by(lambda t: t[0])
    rekeyed = keyed.key_by(lambda t: t[1] % 2)
    assert sorted(rekeyed.reduce(lambda a, b: (a[0] + b[0], a[1] + b[1]))
                  .execute_and_collect()) == [("a", 1), ("aa", 4), ("b", 2)]
    for method in ("rebalance", "shuffle", "forward", "rescale", "global"):
        with pytest.raises(TypeError, match="Cannot override partitioning for KeyedStream"):
            getattr(keyed, method)()
    with pytest.raises(TypeError, match="Set parallelism for KeyedStream is not supported"):
        keyed.set_parallelism(3)


class Introspect(MapFunction):
    """Reports what its RuntimeContext says, and counts records in a metric."""

    def open(self, runtime_context: Any) -> None:
        self.ctx = runtime_context
        self.records = runtime_context.get_metrics_group().add_group("api").counter("records")

    def map(self, value: Any) -> Any:
        self.records.inc()
        c = self.ctx
        return (c.get_task_name(), c.get_number_of_parallel_subtasks(),
                c.get_max_number_of_parallel_subtasks(), c.get_index_of_this_subtask(),
                c.get_attempt_number(), c.get_job_parameter("my.job.param", "unset"),
                c.get_job_parameter("not.there", "default"), self.records.get_count(),
                c.get_metrics_group().add_group("api").get_metric_identifier("x"))


def test_runtime_context_describes_the_subtask_and_metrics() -> None:
    env = _env(2)
    env.set_max_parallelism(64)
    env.configure({"my.job.param": "42"})
    out = list(env.from_collection(list(range(10))).rebalance().map(Introspect())
               .name("Inspector").execute_and_collect())
    assert len(out) == 10
    assert {r[:3] for r in out} == {("Inspector", 2, 64)}  # the collect sink runs at p=1
    assert {r[3] for r in out} == {0, 1}
    assert {r[4:7] for r in out} == {(0, "42", "default")}
    per_subtask = _by_key(out, key=lambda r: r[3])
    assert sum(max(r[7] for r in rows) for rows in per_subtask.values()) == 10
    assert {r[8] for r in out} == {"Inspector.0.api.x", "Inspector.1.api.x"}


def test_batch_runtime_mode_emits_only_the_final_aggregate_per_key() -> None:
    from flink_py.datastream import RuntimeExecutionMode

    env = _env()
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    keyed = env.from_collection(RECORDS).key_by(lambda r: r[0])
    assert sorted(keyed.sum(1).execute_and_collect()) == [("a", 10, "x"), ("b", 9, "p")]
    env = _env()
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    keyed = env.from_collection(RECORDS).key_by(lambda r: r[0])
    assert sorted(keyed.max_by(1).execute_and_collect()) == [("a", 5, "w"), ("b", 7, "q")]


def test_batch_reduce_emits_the_final_values_in_key_order() -> None:
    """Flink's BATCH mode sorts keyed input by key: the final values come key by key."""
    from flink_py.datastream import RuntimeExecutionMode

    env = _env(1)
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    words = ["pear", "apple", "fig", "apple", "banana", "fig", "apple"]
    out = list(env.from_collection(words).map(lambda w: (w, 1)).key_by(lambda t: t[0])
               .reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert out == [("apple", 3), ("banana", 1), ("fig", 2), ("pear", 1)]


def test_reduce_changing_its_accumulator_in_place_leaves_earlier_outputs_alone() -> None:
    """PyFlink keeps reducing state serialized: a function that updates ``a`` in place
    and returns it still emits 1, 3, 6 -- not three references to the final value."""
    def add_in_place(a: list[Any], b: list[Any]) -> list[Any]:
        a[1] += b[1]
        a[2].append(b[1])
        return a

    env = _env(1)
    out = list(env.from_collection([["a", 1, [1]], ["a", 2, []], ["b", 5, [5]], ["a", 3, []]])
               .key_by(lambda r: r[0]).reduce(add_in_place).execute_and_collect())
    assert out == [["a", 1, [1]], ["a", 3, [1, 2]], ["b", 5, [5]], ["a", 6, [1, 2, 3]]]


class _CountingReduce(ReduceFunction):
    """PyFlink's test_reduce_with_state: the function keeps keyed state of its own."""

    def open(self, runtime_context: Any) -> None:
        self.calls = runtime_context.get_state(ValueStateDescriptor("calls", Types.INT()))

    def reduce(self, a: Any, b: Any) -> Any:
        calls = (self.calls.value() or 0) + 1
        self.calls.update(calls)
        return Row(a[0] + b[0], a[1], calls)


@pytest.mark.parametrize("batch", [False, True])
def test_a_reduce_function_has_keyed_state_of_the_record_key(batch: bool) -> None:
    from flink_py.datastream import RuntimeExecutionMode

    env = _env()
    if batch:
        env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    rows = env.from_collection([("a", 0), ("c", 1), ("b", 0), ("d", 1), ("e", 1)],
                               type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    out = list(rows.map(lambda t: Row(t[0], t[1], 0)).key_by(lambda r: r[1])
               .reduce(_CountingReduce()).execute_and_collect())
    finals = {r[1]: ("".join(sorted(r[0])), r[2]) for r in out}  # arrival order varies at p=2
    assert finals == {0: ("ab", 1), 1: ("cde", 2)}  # each key counts its own calls
