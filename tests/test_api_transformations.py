"""AT-17 transformations: operators, print prefixes, parallelism, partitioners, salting."""

from __future__ import annotations

import collections
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from flink_py.common import Row, Types
from flink_py.datastream import (
    KeyedProcessFunction,
    MapFunction,
    MapStateDescriptor,
    StreamExecutionEnvironment,
)
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    session_cluster,  # noqa: F401 - fixture
)
from tests.conftest import REPO

by_value(__name__)


class Event(NamedTuple):
    timestamp: int
    user_id: str
    action: str

    def get_user_id(self) -> str:
        return self.user_id


EVENTS = [Event(1000, "user_1", "action_3"), Event(2000, "user_1", "action_7")]


def _env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


@pytest.mark.usefixtures("cluster_env")
def test_at17_map_flat_map_and_keyed_reduce() -> None:
    env = _env()
    events = env.from_collection(EVENTS)
    assert list(events.map(Event.get_user_id, Types.STRING()).execute_and_collect()) == [
        "user_1", "user_1"]
    env = _env()
    words = env.from_collection(EVENTS).flat_map(lambda e: e.action.split("_"), Types.STRING())
    assert list(words.execute_and_collect()) == ["action", "3", "action", "7"]
    env = _env(2)
    later = env.from_collection(EVENTS).key_by(Event.get_user_id).reduce(
        lambda a, b: b if b.timestamp > a.timestamp else a)
    assert list(later.execute_and_collect()) == EVENTS


@pytest.mark.slow
def test_at17_print_with_identifier_prefixes_lines(tmp_path: Path) -> None:
    job = tmp_path / "user_names.py"
    job.write_text(textwrap.dedent("""
        from flink_py.common import Types
        from flink_py.datastream import StreamExecutionEnvironment

        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        events = env.from_collection([(1000, "user_1", "action_3"), (2000, "user_1", "action_7")])
        events.map(lambda e: e[1], Types.STRING()).print("UserNames")
        env.execute("print prefixes")
    """))
    res = subprocess.run([sys.executable, "-m", "flink_py.client.cli", "run", str(job)],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert [ln for ln in res.stdout.splitlines() if "user_1" in ln] == [
        "UserNames> user_1", "UserNames> user_1"]


def test_at17_parallelism_pipeline_job_graph(local_env: None) -> None:
    env = _env(1)
    (env.from_collection(["hello world", "hi", "flink streaming"])
     .map(str.upper).set_parallelism(8)
     .filter(lambda s: len(s) > 5).set_parallelism(6)
     .key_by(lambda s: s[0])
     .reduce(lambda a, b: a).set_parallelism(4)
     .print())
    graph = env.get_stream_graph_job("pipeline")
    assert [(v.name, v.parallelism) for v in graph.vertices] == [
        ("Source: Collection Source", 1), ("Map", 8), ("Filter", 6), ("Keyed Reduce", 4),
        ("Sink: Print to Std. Out", 1)]  # the sink takes the environment's parallelism
    # Chaining breaks wherever the parallelism changes or the stream is keyed.
    assert [e.partitioner_name for v in graph.vertices for e in v.outputs] == [
        "REBALANCE", "REBALANCE", "HASH", "REBALANCE"]


class CountPerFirstLetter(KeyedProcessFunction):
    def open(self, runtime_context: Any) -> None:
        from flink_py.datastream import ValueStateDescriptor

        self.count = runtime_context.get_state(ValueStateDescriptor("n", Types.INT()))

    def process_element(self, value: str, ctx: Any) -> Any:
        self.count.update((self.count.value() or 0) + 1)
        ctx.timer_service().register_event_time_timer(10_000)  # the end of a 10 s window

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        yield ctx.get_current_key(), self.count.value()


class Where(MapFunction):
    """Tags each record with the partitioning under test and the receiving subtask."""

    def __init__(self, name: str) -> None:
        self.name = name

    def open(self, runtime_context: Any) -> None:
        self.subtask = runtime_context.get_index_of_this_subtask()

    def map(self, value: Any) -> Any:
        return self.name, self.subtask, value


def _custom_partition(key: int, num_partitions: int) -> int:
    return abs(hash(key)) % num_partitions


@pytest.mark.slow
def test_at17_partitioners_with_four_downstream_subtasks(local_env: None) -> None:
    # The embedded local cluster gets one slot per parallel subtask (4 worker processes).
    env = _env(4)
    source = env.from_collection(list(range(8)))
    parts = [
        source.rebalance().map(Where("rebalance")),
        source.broadcast().map(Where("broadcast")),
        getattr(source, "global")().map(Where("global")),
        source.partition_custom(_custom_partition, lambda v: v * 7919).map(Where("custom")),
        # rescale: 2 upstream subtasks, each feeding its own 2 downstream subtasks
        source.rebalance().map(lambda v: (v, 0)).set_parallelism(2)
        .map(Where("upstream")).set_parallelism(2)
        .rescale().map(Where("rescale")),
        # the partitioned pipeline of AT-17, with a 10 s "window" closed by the end of input
        env.from_collection(["hello world", "hi", "flink streaming"])
        .map(str.upper).filter(lambda s: len(s) > 5).key_by(lambda s: s[0])
        .process(CountPerFirstLetter()).map(lambda kv: ("window", kv[0], kv[1])),
    ]
    first, *rest = parts
    results = list(first.union(*rest).execute_and_collect())
    by_kind: dict[str, list[Any]] = collections.defaultdict(list)
    for kind, subtask, value in results:
        by_kind[kind].append((subtask, value))
    per_subtask = collections.Counter(s for s, _ in by_kind["rebalance"])
    assert sorted(per_subtask.values()) == [2, 2, 2, 2]
    assert len(by_kind["broadcast"]) == 32
    assert sorted(by_kind["broadcast"]) == sorted((s, v) for s in range(4) for v in range(8))
    assert {s for s, _ in by_kind["global"]} == {0} and len(by_kind["global"]) == 8
    assert sorted(by_kind["custom"]) == sorted(
        (_custom_partition(v * 7919, 4), v) for v in range(8))
    for subtask, (_name, upstream, _v) in by_kind["rescale"]:
        assert subtask in ({0, 1} if upstream == 0 else {2, 3})
    assert len(by_kind["rescale"]) == 8
    assert sorted(by_kind["window"]) == [("F", 1), ("H", 1)]


class SaltedTotal(KeyedProcessFunction):
    """Second phase: keeps the latest partial count per salt and emits their sum."""

    def open(self, runtime_context: Any) -> None:
        self.partials = runtime_context.get_map_state(
            MapStateDescriptor("partials", Types.STRING(), Types.LONG()))

    def process_element(self, value: Any, ctx: Any) -> Any:
        salted_key, partial = value
        self.partials.put(salted_key, partial)
        yield ctx.get_current_key(), sum(self.partials.values())


@pytest.mark.usefixtures("cluster_env")
def test_at17_salted_two_phase_aggregation() -> None:
    rng = random.Random(7)
    records = [(f"{rng.randint(0, 9)}_k", 1) for _ in range(1000)]
    env = _env(2)
    totals = (env.from_collection(records)
              .key_by(lambda r: r[0]).sum(1)                    # phase 1: per salted key
              .key_by(lambda r: r[0].split("_", 1)[1])          # phase 2: per original key
              .process(SaltedTotal()))
    out = list(totals.execute_and_collect())
    assert len(out) == 1000
    assert max(total for _, total in out) == 1000 and out[-1] == ("k", 1000)


@pytest.mark.parametrize("parallelism", [1, 2])
def test_from_collection_hands_operators_values_of_the_declared_type(parallelism: int) -> None:
    """As PyFlink converts each element to its type first: a tuple, dict or named Row
    becomes a Row with the declared names, a list typed TUPLE a tuple -- chained or not."""
    env = _env(parallelism)
    rt = Types.ROW_NAMED(["name", "age"], [Types.STRING(), Types.INT()])
    rows = env.from_collection([("T", 4), {"age": 3, "name": "D"}, Row(name="A", age=11)], rt)
    assert sorted(rows.map(lambda r: (r.name, r.age, repr(r))).execute_and_collect()) == [
        ("A", 11, "Row(name='A', age=11)"), ("D", 3, "Row(name='D', age=3)"),
        ("T", 4, "Row(name='T', age=4)")]
    pairs = env.from_collection([["x", 1]], Types.TUPLE([Types.STRING(), Types.INT()]))
    assert list(pairs.map(repr).execute_and_collect()) == ["('x', 1)"]
    with pytest.raises(Exception, match="'oops'"):
        env.from_collection([1, "oops"], Types.INT())


def test_union_of_streams_of_different_types_fails_as_in_flink() -> None:
    env = _env(1)
    ints = env.from_collection([1], Types.INT())
    with pytest.raises(ValueError, match="Cannot union streams of different types: "
                                         "Integer and String"):
        ints.union(env.from_collection(["x"], Types.STRING()))
    with pytest.raises(ValueError, match="different types"):
        ints.union(env.from_collection([2]))  # undeclared: pickled bytes
    untyped = env.from_collection([1]).union(env.from_collection(["x"]))  # both pickled
    assert sorted(untyped.execute_and_collect(), key=str) == [1, "x"]


def test_a_branch_changing_records_in_place_does_not_change_the_other_branch() -> None:
    """In PyFlink each branch of a fan-out deserializes its own records."""
    def mutate(d: dict[str, int]) -> dict[str, int]:
        d["a"] = 100
        return d

    env = _env(1)
    src = env.from_collection([{"a": 1}, {"a": 2}])
    changed = src.map(mutate)
    seen = src.map(lambda d: d["a"])
    assert sorted(changed.union(seen.map(lambda a: {"seen": a})).execute_and_collect(),
                  key=str) == [{"a": 100}, {"a": 100}, {"seen": 1}, {"seen": 2}]
