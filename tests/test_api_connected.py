"""ConnectedStreams (co-map, co-flat-map, co-process, keyed) and broadcast state (AT-11, AT-12)."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from flink_py.common import Types
from flink_py.datastream import (
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
    MapStateDescriptor,
    OutputTag,
    StreamExecutionEnvironment,
    ValueStateDescriptor,
)
from flink_py.datastream.connected_streams import (
    BroadcastConnectedStream,
    BroadcastStream,
    ConnectedStreams,
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


class Event(NamedTuple):
    timestamp: int
    user_id: str
    action: str


class Config(NamedTuple):
    key: str
    value: str
    ts: int


def _env(parallelism: int = 2) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


# -- AT-12 ---------------------------------------------------------------------------------
class StreamNames(CoMapFunction):
    def map1(self, value: Event) -> str:
        return "Stream1: " + value.user_id

    def map2(self, value: Event) -> str:
        return "Stream2: " + value.user_id


def test_at12_connect_co_map() -> None:
    env = _env()
    s1 = env.from_collection([Event(1000, "user_1", "action_3")])
    s2 = env.from_collection([Event(2000, "user_2", "action_7")])
    connected = s1.connect(s2)
    assert isinstance(connected, ConnectedStreams)
    out = connected.map(StreamNames(), output_type=Types.STRING())
    assert out.get_name() == "Co-Map"
    assert sorted(out.execute_and_collect()) == ["Stream1: user_1", "Stream2: user_2"]


def test_at12_union_delivers_every_element_exactly_once() -> None:
    env = _env()
    s1 = env.from_collection([Event(i, "user_1", "a") for i in range(50)])
    s2 = env.from_collection([Event(i, "user_2", "b") for i in range(30)])
    s3 = env.from_collection([Event(i, "user_3", "c") for i in range(20)])
    out = list(s1.union(s2, s3).rebalance().map(lambda e: e).execute_and_collect())
    assert len(out) == 100
    assert collections.Counter(out) == collections.Counter(
        [Event(i, "user_1", "a") for i in range(50)] + [Event(i, "user_2", "b") for i in range(30)]
        + [Event(i, "user_3", "c") for i in range(20)])


class PairUp(KeyedCoProcessFunction):
    """The seed's CoKeyedProcessFunction: pair the latest element of each side per user."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.stream1 = runtime_context.get_state(ValueStateDescriptor("stream1", None))
        self.stream2 = runtime_context.get_state(ValueStateDescriptor("stream2", None))
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element1(self, value: Any, ctx: KeyedCoProcessFunction.Context) -> Any:
        seq, (user, item) = value
        assert ctx.get_current_key() == user
        self.stream1.update(item)
        other = self.stream2.value()
        if other is not None:
            yield item, other
            self.stream2.clear()
        mark_done(self.directory, seq, self.subtask)

    def process_element2(self, value: Any, ctx: KeyedCoProcessFunction.Context) -> Any:
        seq, (user, item) = value
        assert ctx.get_current_key() == user
        self.stream2.update(item)
        other = self.stream1.value()
        if other is not None:
            yield other, item
            self.stream1.clear()
        mark_done(self.directory, seq, self.subtask)


def test_at12_connected_keyed_join(tmp_path: Path) -> None:
    env = _env()
    items = [(0, ("u1", "A")), (1, ("u1", "B")), (0, ("u1", "C")), (1, ("u2", "D"))]
    s1, s2 = sequenced(env, str(tmp_path), items, [1, 1, 1, 1])
    joined = s1.connect(s2).key_by(lambda v: v[1][0], lambda v: v[1][0]).process(
        PairUp(str(tmp_path)))
    assert joined.get_name() == "Keyed Co-Process"
    assert list(joined.execute_and_collect()) == [("A", "B"), ("C", "B")]


# -- other co-functions ---------------------------------------------------------------------
class Explode(CoFlatMapFunction):
    def flat_map1(self, value: str) -> Any:
        yield from value.split()

    def flat_map2(self, value: int) -> Any:
        return [str(value)] * value


class Route(CoProcessFunction):
    TAG = OutputTag("longs", Types.LONG())

    def process_element1(self, value: Any, ctx: CoProcessFunction.Context) -> Any:
        assert ctx.timestamp() == -(1 << 63)  # no timestamp: Long.MIN_VALUE, as PyFlink
        yield f"1:{value}"

    def process_element2(self, value: Any, ctx: CoProcessFunction.Context) -> Any:
        ctx.output(Route.TAG, value)
        yield Route.TAG, value * 100


def test_co_flat_map_and_co_process_with_side_outputs() -> None:
    env = _env()
    words = env.from_collection(["a b", "c"])
    numbers = env.from_collection([2, 1])
    out = words.connect(numbers).flat_map(Explode(), Types.STRING())
    assert sorted(out.execute_and_collect()) == ["1", "2", "2", "a", "b", "c"]

    env = _env()
    words = env.from_collection(["a"])
    numbers = env.from_collection([3])
    routed = words.connect(numbers).process(Route(), Types.STRING())
    longs = routed.get_side_output(Route.TAG)
    out = sorted(routed.union(longs.map(str, Types.STRING())).execute_and_collect())
    assert out == ["1:a", "3", "300"]


class Thresholds(CoFlatMapFunction):
    """Keyed co-flat-map sharing keyed state: input 2 sets the key's threshold."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.threshold = runtime_context.get_state(ValueStateDescriptor("t", Types.INT()))
        self.subtask = runtime_context.get_index_of_this_subtask()

    def flat_map1(self, value: Any) -> Any:
        seq, (key, amount) = value
        limit = self.threshold.value()
        if limit is not None and amount > limit:
            yield key, amount
        mark_done(self.directory, seq, self.subtask)

    def flat_map2(self, value: Any) -> Any:
        seq, (_key, limit) = value
        self.threshold.update(limit)
        mark_done(self.directory, seq, self.subtask)
        return None


def test_keyed_connected_streams_share_keyed_state_between_inputs(tmp_path: Path) -> None:
    env = _env()
    items = [(1, ("a", 10)), (1, ("b", 100)), (0, ("a", 5)), (0, ("a", 50)), (0, ("b", 50)),
             (1, ("a", 60)), (0, ("a", 50)), (0, ("c", 1))]
    amounts, limits = sequenced(env, str(tmp_path), items, [1] * len(items))
    out = amounts.connect(limits).key_by(lambda v: v[1][0], lambda v: v[1][0]).flat_map(
        Thresholds(str(tmp_path)))
    assert list(out.execute_and_collect()) == [("a", 50)]


def test_connected_streams_type_checks() -> None:
    env = _env()
    connected = env.from_collection([1]).connect(env.from_collection([2]))
    with pytest.raises(TypeError, match="must be a CoMapFunction"):
        connected.map(lambda v: v)
    with pytest.raises(TypeError, match="need a CoProcessFunction"):
        connected.process(PairUp("/nonexistent"))
    keyed = connected.key_by(lambda v: v, lambda v: v)
    with pytest.raises(TypeError, match="need a KeyedCoProcessFunction"):
        keyed.process(Route())
    with pytest.raises(TypeError, match="needs a DataStream or a BroadcastStream"):
        env.from_collection([1]).connect([2])


# -- AT-11 broadcast state -------------------------------------------------------------------
CONFIG_STATE = MapStateDescriptor("ConfigBroadcastState", Types.STRING(),
                                  Types.PICKLED_BYTE_ARRAY())


class Enrich(BroadcastProcessFunction):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element(self, value: Any, ctx: BroadcastProcessFunction.ReadOnlyContext) -> Any:
        seq, event = value
        state = ctx.get_broadcast_state(CONFIG_STATE)
        assert not hasattr(state, "put")  # read-only on this side
        yield "ProcessedEvent", event, state.get("default")
        mark_done(self.directory, seq, self.subtask)

    def process_broadcast_element(self, value: Any,
                                  ctx: BroadcastProcessFunction.Context) -> Any:
        seq, config = value
        ctx.get_broadcast_state(CONFIG_STATE).put("default", config)
        yield "stored", config.value, self.subtask
        mark_done(self.directory, seq, self.subtask)


def test_at11_broadcast_state_config_enrichment(tmp_path: Path) -> None:
    env = _env(2)
    items = [(0, Event(0, "u0", "early")),
             (1, Config("threshold", "10", 0)),
             (0, Event(1000, "u1", "a")),
             (1, Config("threshold", "20", 2000)),
             (0, Event(3000, "u2", "b"))]
    # An event is done once one subtask processed it; a config once both have.
    done = [1, 2, 1, 2, 1]
    events, configs = sequenced(env, str(tmp_path), items, done)
    broadcast = configs.broadcast(CONFIG_STATE)
    assert isinstance(broadcast, BroadcastStream)
    connected = events.connect(broadcast)
    assert isinstance(connected, BroadcastConnectedStream)
    results = list(connected.process(Enrich(str(tmp_path))).execute_and_collect())
    # Sequenced processing; outputs of the two subtasks may still reach the client in any order.
    processed = sorted((r[1:] for r in results if r[0] == "ProcessedEvent"),
                       key=lambda r: r[0].timestamp)
    assert processed == [(Event(0, "u0", "early"), None),
                         (Event(1000, "u1", "a"), Config("threshold", "10", 0)),
                         (Event(3000, "u2", "b"), Config("threshold", "20", 2000))]
    stored = sorted(r[1:] for r in results if r[0] == "stored")
    assert stored == [("10", 0), ("10", 1), ("20", 0), ("20", 1)]  # every subtask


class RulesPerUser(KeyedBroadcastProcessFunction):
    """Counts events per user (keyed state) and labels them with a broadcast rule."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element(self, value: Any,
                        ctx: KeyedBroadcastProcessFunction.ReadOnlyContext) -> Any:
        seq, user = value
        assert ctx.get_current_key() == user
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        label = ctx.get_broadcast_state(CONFIG_STATE).get("label")
        ctx.timer_service().register_event_time_timer(500)
        yield ctx.get_current_key(), n, label
        mark_done(self.directory, seq, self.subtask)

    def process_broadcast_element(self, value: Any,
                                  ctx: KeyedBroadcastProcessFunction.Context) -> Any:
        seq, label = value
        ctx.get_broadcast_state(CONFIG_STATE)["label"] = label
        mark_done(self.directory, seq, self.subtask)
        return None

    def on_timer(self, timestamp: int, ctx: KeyedBroadcastProcessFunction.OnTimerContext) -> Any:
        yield "timer", ctx.get_current_key(), self.count.value(), \
            ctx.get_broadcast_state(CONFIG_STATE).get("label")


def test_keyed_broadcast_process_function(tmp_path: Path) -> None:
    env = _env(2)
    items = [(1, "gold"), (0, "u1"), (0, "u2"), (0, "u1"), (1, "silver"), (0, "u1")]
    users, labels = sequenced(env, str(tmp_path), items, [2, 1, 1, 1, 2, 1])
    results = list(users.key_by(lambda v: v[1]).connect(labels.broadcast(CONFIG_STATE))
                   .process(RulesPerUser(str(tmp_path))).execute_and_collect())
    per_user = collections.defaultdict(list)
    for r in results:
        if r[0] != "timer":
            per_user[r[0]].append(r)
    assert per_user == {"u1": [("u1", 1, "gold"), ("u1", 2, "gold"), ("u1", 3, "silver")],
                        "u2": [("u2", 1, "gold")]}
    assert sorted(r for r in results if r[0] == "timer") == [
        ("timer", "u1", 3, "silver"), ("timer", "u2", 1, "silver")]


def test_broadcast_function_kind_must_match_the_stream() -> None:
    env = _env()
    rules = env.from_collection(["r"]).broadcast(CONFIG_STATE)
    with pytest.raises(TypeError, match="BroadcastProcessFunction should be applied to "
                                        "non-keyed DataStream"):
        env.from_collection([1]).key_by(lambda v: v).connect(rules).process(Enrich("/x"))
    with pytest.raises(TypeError, match="KeyedBroadcastProcessFunction should be applied to "
                                        "keyed DataStream"):
        env.from_collection([1]).connect(rules).process(RulesPerUser("/x"))
    with pytest.raises(TypeError, match="must be MapStateDescriptor"):
        env.from_collection([1]).broadcast(ValueStateDescriptor("v", Types.INT()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Cannot override partitioning for KeyedStream"):
        env.from_collection([1]).key_by(lambda v: v).broadcast(CONFIG_STATE)


class Unregistered(BroadcastProcessFunction):
    def process_element(self, value: Any, ctx: Any) -> Any:
        return None

    def process_broadcast_element(self, value: Any, ctx: Any) -> Any:
        ctx.get_broadcast_state(MapStateDescriptor("typo", Types.STRING(), Types.STRING()))


def test_unregistered_broadcast_state_fails_the_task_with_a_hint() -> None:
    from flink_py.client.cluster_client import JobExecutionException

    env = _env(1)
    rules = env.from_collection(["r"]).broadcast(CONFIG_STATE)
    out = env.from_collection([1]).connect(rules).process(Unregistered())
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Co-Process-Broadcast'.*'typo' does not exist.*"
                             r"\['ConfigBroadcastState'\]"):
        list(out.execute_and_collect())


# -- fair alternation of two inputs ----------------------------------------------------------
class _Tag(CoMapFunction):
    def map1(self, value: str) -> str:
        return "1:" + value

    def map2(self, value: str) -> str:
        return "2:" + value


class _SeesRules(BroadcastProcessFunction):
    def process_element(self, value: str, ctx: Any) -> Any:
        yield "elem", value, sorted(ctx.get_broadcast_state(RULES).items())

    def process_broadcast_element(self, value: tuple[str, int], ctx: Any) -> Any:
        ctx.get_broadcast_state(RULES).put(value[0], value[1])
        yield "rule", value[0], []


RULES = MapStateDescriptor("rules", Types.STRING(), Types.INT())


def test_two_inputs_with_records_are_read_in_turn_first_input_first() -> None:
    """Real PyFlink 2.3, parallelism 1, two small collections: the inputs alternate record by
    record, the first input first (Flink's fair input selection), for connect and broadcast."""
    from flink_py.common import Configuration

    # a long buffer timeout: the wait for the other input's first element may take it all
    # on a loaded machine (it ends as soon as that element is here)
    conf = Configuration().set_string("execution.buffer-timeout.interval", "5 s")
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(1)
    left = env.from_collection(["a", "b", "c"], Types.STRING())
    right = env.from_collection(["x", "y"], Types.STRING())
    assert list(left.connect(right).map(_Tag(), Types.STRING()).execute_and_collect()) \
        == ["1:a", "2:x", "1:b", "2:y", "1:c"]
    elems = env.from_collection(["x", "y", "z"], Types.STRING())
    rules = env.from_collection([("x", 1), ("y", 2)], Types.TUPLE([Types.STRING(), Types.INT()]))
    out = list(elems.connect(rules.broadcast(RULES)).process(_SeesRules())
               .execute_and_collect())
    assert out == [("elem", "x", []), ("rule", "x", []), ("elem", "y", [("x", 1)]),
                   ("rule", "y", []), ("elem", "z", [("x", 1), ("y", 2)])]
