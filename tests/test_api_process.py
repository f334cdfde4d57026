"""DataStream.process, side outputs, function forms, generators and the open/close lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flink_py.client.cluster_client import JobExecutionException
from flink_py.common import Types
from flink_py.datastream import (
    FlatMapFunction,
    KeyedProcessFunction,
    MapFunction,
    OutputTag,
    ProcessFunction,
    StreamExecutionEnvironment,
)
from flink_py.datastream.output_tag import OutputTag as OutputTagFromModule
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)

pytestmark = pytest.mark.usefixtures("cluster_env")

LONG_MIN = -(1 << 63)
ODD = OutputTag("odd", Types.INT())
NAMES = OutputTag("names", Types.STRING())


def _env(parallelism: int = 2) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


class Splitter(ProcessFunction):
    """Even numbers to the main output; odd ones to a side output both ways."""

    def process_element(self, value: int, ctx: ProcessFunction.Context) -> Any:
        assert ctx.timestamp() == -(1 << 63)  # no timestamp: Long.MIN_VALUE, as PyFlink
        assert ctx.timer_service().current_watermark() == LONG_MIN
        if value % 2 == 0:
            yield value * 10
        elif value % 4 == 1:
            yield ODD, value
        else:
            ctx.output(ODD, value)
            yield NAMES, f"n{value}"


def test_side_outputs_by_yield_and_ctx_output() -> None:
    assert OutputTag is OutputTagFromModule
    env = _env()
    main = env.from_collection(list(range(1, 11)), type_info=Types.INT()).process(
        Splitter(), output_type=Types.INT())
    odd = main.get_side_output(OutputTag("odd", Types.INT()))  # same id: same side output
    names = main.get_side_output(NAMES)
    assert odd.get_type() == Types.INT() and names.get_type() == Types.STRING()
    tagged = (main.map(lambda v: ("main", v))
              .union(odd.map(lambda v: ("odd", v)), names.map(lambda v: ("names", v))))
    results = sorted(tagged.execute_and_collect())
    assert results == sorted([("main", v * 10) for v in (2, 4, 6, 8, 10)]
                             + [("odd", v) for v in (1, 3, 5, 7, 9)]
                             + [("names", f"n{v}") for v in (3, 7)])


def test_side_output_of_a_chained_operator_and_unused_side_outputs() -> None:
    env = _env(1)
    main = env.from_collection([1, 2, 3]).process(Splitter())
    # The main output stays chained (Process -> Map -> Collect); the side output is a
    # separate edge; the NAMES side output has no consumer and is dropped.
    odd = main.get_side_output(ODD)
    out = sorted(main.map(lambda v: v + 1).union(odd.map(lambda v: -v)).execute_and_collect())
    assert out == [-3, -1, 21]


def test_side_output_errors() -> None:
    env = _env()
    ds = env.from_collection([1]).process(Splitter())
    ds.get_side_output(ODD)
    with pytest.raises(ValueError, match="already used with the type INT"):
        ds.get_side_output(OutputTag("odd", Types.STRING()))
    with pytest.raises(ValueError, match="needs the result of an operator"):
        env.from_collection([1]).key_by(lambda v: v).get_side_output(ODD)
    with pytest.raises(TypeError, match="needs an OutputTag"):
        ds.get_side_output("odd")  # type: ignore[arg-type]


class KeyedSplitter(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        if value < 0:
            ctx.output(NAMES, f"negative {value} for key {ctx.get_current_key()}")
        else:
            yield value


def test_keyed_process_function_side_output() -> None:
    env = _env()
    main = env.from_collection([1, -2, 3]).key_by(lambda v: abs(v) % 2).process(
        KeyedSplitter())
    side = main.get_side_output(NAMES)
    assert sorted(main.execute_and_collect()) == [1, 3]
    env = _env()
    main = env.from_collection([1, -2, 3]).key_by(lambda v: abs(v) % 2).process(
        KeyedSplitter())
    assert list(main.get_side_output(NAMES).execute_and_collect()) == [
        "negative -2 for key 0"]
    assert side.get_type() == Types.STRING()


def test_process_function_forms_and_return_values() -> None:
    env = _env()
    ds = env.from_collection(["a b", "c"], type_info=Types.STRING())
    generator = ds.process(lambda v, ctx: (w for w in v.split()), Types.STRING())
    returning_list = ds.process(lambda v, ctx: [v.upper()], Types.STRING())
    nothing = ds.process(lambda v, ctx: None, Types.STRING())
    out = sorted(generator.union(returning_list, nothing).execute_and_collect())
    assert out == ["A B", "C", "a", "b", "c"]


def test_process_returning_a_non_iterable_fails_with_a_clear_message() -> None:
    env = _env(1)
    ds = env.from_collection([1]).process(lambda v, ctx: v + 1).name("Adder")
    with pytest.raises(JobExecutionException,
                       match=r"'Adder' process_element must yield or return an iterable of "
                             r"outputs, got int: 2"):
        ds.execute_and_collect(limit=1)


def test_timers_on_a_non_keyed_stream_are_refused() -> None:
    env = _env(1)
    ds = env.from_collection([1]).process(
        lambda v, ctx: ctx.timer_service().register_event_time_timer(10)).name("Timed")
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Timed'.*Setting timers is only supported on a "
                             r"keyed streams"):
        ds.execute_and_collect(limit=1)


class Words(FlatMapFunction):
    """A generator flat map with open/close: open sets a prefix, close writes a marker."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.prefix = ""

    def open(self, runtime_context: Any) -> None:
        self.prefix = f"{runtime_context.get_index_of_this_subtask()}:"

    def flat_map(self, value: str) -> Any:
        for word in value.split():
            yield self.prefix + word

    def close(self) -> None:
        Path(self.directory, f"closed-{self.prefix}").touch()


def test_function_lifecycle_open_before_records_close_after(tmp_path: Path) -> None:
    env = _env(2)
    out = list(env.from_collection(["a b", "c d", "e"]).rebalance()
               .flat_map(Words(str(tmp_path)), output_type=Types.STRING())
               .execute_and_collect())
    assert sorted(w.split(":")[1] for w in out) == ["a", "b", "c", "d", "e"]
    assert {w.split(":")[0] for w in out} == {"0", "1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["closed-0:", "closed-1:"]


class Upper(MapFunction):
    def map(self, value: str) -> str:
        return value.upper()


def test_every_function_accepts_a_callable_or_the_class_form() -> None:
    from flink_py.datastream import FilterFunction, ReduceFunction

    class Long(FilterFunction):
        def filter(self, value: str) -> bool:
            return len(value) > 1

    class Concat(ReduceFunction):
        def reduce(self, a: str, b: str) -> str:
            return a + b

    env = _env()
    ds = env.from_collection(["ab", "c", "de"], type_info=Types.STRING())
    by_class = ds.map(Upper()).filter(Long()).key_by(len).reduce(Concat())
    by_callable = ds.map(str.upper).filter(lambda s: len(s) > 1).key_by(len).reduce(
        lambda a, b: a + b)
    final = {}
    for tag, value in by_class.map(lambda v: ("class", v)).union(
            by_callable.map(lambda v: ("callable", v))).execute_and_collect():
        final[tag] = value
    assert final["class"] in ("ABDE", "DEAB") and final["callable"] == final["class"]
    with pytest.raises(TypeError, match="neither a callable nor an object with a 'map'"):
        ds.map(42)
