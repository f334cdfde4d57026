"""PyFlink parity of the environment and stream surface (issue #3 audit).

ExecutionConfig, RestartStrategies, runtime modes (AUTOMATIC picks BATCH for
bounded jobs), typed values of every listed ``Types`` entry, wrong output
types on paths that never leave the worker, chaining and slot sharing.
"""

from __future__ import annotations

import datetime
import decimal
from datetime import timedelta
from typing import Any

import pytest

from flink_py.client.cluster_client import JobExecutionException
from flink_py.client.graph import GraphError
from flink_py.common import (
    Configuration,
    Duration,
    ExecutionConfig,
    RestartStrategies,
    Row,
    Time,
    Types,
)
from flink_py.datastream import (
    KeyedProcessFunction,
    MapFunction,
    OutputTag,
    ProcessFunction,
    RuntimeExecutionMode,
    StreamExecutionEnvironment,
)
from flink_py.datastream.functions import SourceFunction
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)


def _env(parallelism: int = 1) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


# -- every Types entry travels as typed columns ------------------------------------------------

#: name -> (type, values, what the next operator receives)
TYPED_VALUES: dict[str, tuple[Any, list[Any], list[Any]]] = {
    "STRING": (Types.STRING(), ["a", "", "ünï"], ["a", "", "ünï"]),
    "INT": (Types.INT(), [0, -7, 2**31 - 1], [0, -7, 2**31 - 1]),
    "LONG": (Types.LONG(), [2**40, -(2**63)], [2**40, -(2**63)]),
    "FLOAT": (Types.FLOAT(), [1.5, -0.25], [1.5, -0.25]),
    "DOUBLE": (Types.DOUBLE(), [2.125, 1e300], [2.125, 1e300]),
    "BOOLEAN": (Types.BOOLEAN(), [True, False], [True, False]),
    "BYTE": (Types.BYTE(), [-128, 127], [-128, 127]),
    "SHORT": (Types.SHORT(), [300, -32768], [300, -32768]),
    # Java BigDecimal (PyFlink's BigDecimalCoder): each value keeps its scale and precision
    "BIG_DEC": (Types.BIG_DEC(), [decimal.Decimal("1.25"), decimal.Decimal("1.50"),
                                  decimal.Decimal("0.1234567890123456789012345")],
                [decimal.Decimal("1.25"), decimal.Decimal("1.50"),
                 decimal.Decimal("0.1234567890123456789012345")]),
    "SQL_TIMESTAMP": (Types.SQL_TIMESTAMP(), [datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)],
                      [datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)]),
    "PICKLED_BYTE_ARRAY": (Types.PICKLED_BYTE_ARRAY(), [{"any": (1, 2)}, {3}],
                           [{"any": (1, 2)}, {3}]),
    "TUPLE": (Types.TUPLE([Types.STRING(), Types.INT()]), [("a", 1), ("b", 2)],
              [("a", 1), ("b", 2)]),
    "ROW": (Types.ROW([Types.INT(), Types.STRING()]), [Row(1, "a")], [Row(f0=1, f1="a")]),
    "ROW_NAMED": (Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]),
                  [Row(id=1, name="a")], [Row(id=1, name="a")]),
    "LIST": (Types.LIST(Types.INT()), [[1, 2], []], [[1, 2], []]),
    "MAP": (Types.MAP(Types.STRING(), Types.LONG()), [{"a": 1, "b": 2}], [{"a": 1, "b": 2}]),
    "PRIMITIVE_ARRAY": (Types.PRIMITIVE_ARRAY(Types.INT()), [[1, 2, 3]], [[1, 2, 3]]),
    "BASIC_ARRAY": (Types.BASIC_ARRAY(Types.STRING()), [["x", None]], [["x", None]]),
}


def build_types_job(env: StreamExecutionEnvironment) -> Any:
    """One pipeline per type: source -> rebalance -> typed map -> rebalance -> tag with name."""
    streams = []
    for name, (type_info, values, _) in TYPED_VALUES.items():
        streams.append(env.from_collection(values, type_info=type_info).rebalance()
                       .map(lambda v: v, output_type=type_info).rebalance()
                       .map(lambda v, n=name: (n, v)))
    return streams[0].union(*streams[1:])


def check_types_output(out: list[tuple[str, Any]]) -> None:
    got: dict[str, list[Any]] = {}
    for name, value in out:
        got.setdefault(name, []).append(value)
    for name, (_, _, expected) in TYPED_VALUES.items():
        values = got.get(name, [])
        if name == "ROW":  # a record kept in the worker keeps the Row it was built as
            values = [tuple(v) for v in values]
            expected = [tuple(v) for v in expected]
        remaining = list(values)
        for e in expected:  # multiset equality by ==: Decimal('1.25') == Decimal('1.250')
            match = [i for i, v in enumerate(remaining) if v == e and type(v) is type(e)]
            assert match, (name, e, values)
            del remaining[match[0]]
        assert not remaining, (name, values)


@pytest.mark.usefixtures("cluster_env")
def test_every_listed_type_round_trips_through_a_job() -> None:
    assert set(TYPED_VALUES) == {
        "STRING", "INT", "LONG", "FLOAT", "DOUBLE", "BOOLEAN", "BYTE", "SHORT", "BIG_DEC",
        "SQL_TIMESTAMP", "PICKLED_BYTE_ARRAY", "TUPLE", "ROW", "ROW_NAMED", "LIST", "MAP",
        "PRIMITIVE_ARRAY", "BASIC_ARRAY"}
    check_types_output(list(build_types_job(_env(2)).execute_and_collect()))


# -- wrong output types fail on paths that stay inside a worker ----------------------------------

@pytest.mark.usefixtures("cluster_env")
def test_wrong_output_type_into_a_chained_sink_fails_naming_operator_value_and_type() -> None:
    ds = _env(1).from_collection(["1", "x"]).map(lambda v: v, output_type=Types.INT()).name(
        "Caster")
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Caster': TypeMismatchError: Value '1' \(str\) does "
                             r"not match the declared type INT"):
        list(ds.execute_and_collect())


@pytest.mark.usefixtures("cluster_env")
def test_wrong_output_type_on_a_local_channel_fails() -> None:
    env = _env(1)  # one slot: the keyed exchange stays inside the worker
    ds = (env.from_collection(["a b", "c"])
          .flat_map(str.split, output_type=Types.STRING())
          .map(lambda w: (w, "one"), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
          .name("Pair").key_by(lambda t: t[0]).reduce(lambda a, b: a))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Pair': TypeMismatchError: Value 'one' \(str\) does "
                             r"not match the declared type INT"):
        list(ds.execute_and_collect())


class BadSide(ProcessFunction):
    def process_element(self, value: Any, ctx: Any) -> Any:
        yield OutputTag("nums", Types.LONG()), f"not a number: {value}"
        yield value


@pytest.mark.usefixtures("cluster_env")
def test_wrong_side_output_type_fails_naming_the_operator() -> None:
    env = _env(1)
    main = env.from_collection([1, 2]).process(BadSide(), output_type=Types.INT()).name("Splitter")
    side = main.get_side_output(OutputTag("nums", Types.LONG()))
    with pytest.raises(JobExecutionException,
                       match=r"in operator 'Splitter': TypeMismatchError: Value 'not a number: 1'"
                             r" \(str\) does not match the declared type LONG"):
        list(side.execute_and_collect())


@pytest.mark.usefixtures("cluster_env")
def test_correct_types_pass_every_boundary_unchanged() -> None:
    env = _env(1)
    out = (env.from_collection(["to be or not to be"], type_info=Types.STRING())
           .flat_map(str.split, output_type=Types.STRING())
           .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
           .key_by(lambda t: t[0]).sum(1).execute_and_collect())
    assert sorted(out)[-2:] == [("to", 1), ("to", 2)]


# -- ExecutionConfig, global job parameters, restart strategies ---------------------------------

class ReadParams(MapFunction):
    def open(self, runtime_context: Any) -> None:
        self.ctx = runtime_context

    def map(self, value: Any) -> Any:
        return (self.ctx.get_job_parameter("threshold", "unset"),
                self.ctx.get_job_parameter("missing", "fallback"))


def test_execution_config_is_a_live_view_of_the_environment() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    config = env.get_config()
    assert isinstance(config, ExecutionConfig)
    assert config.get_parallelism() == ExecutionConfig.PARALLELISM_DEFAULT
    assert config.set_parallelism(3) is config and env.get_parallelism() == 3
    config.set_max_parallelism(64)
    assert env.get_max_parallelism() == 64 == config.get_max_parallelism()
    assert config.get_auto_watermark_interval() == 200
    config.set_auto_watermark_interval(50)
    assert env.get_config().get_auto_watermark_interval() == 50
    assert not config.is_object_reuse_enabled()
    assert config.enable_object_reuse().is_object_reuse_enabled()
    assert not config.is_use_snapshot_compression()
    assert config.set_use_snapshot_compression(True).is_use_snapshot_compression()
    assert config.disable_closure_cleaner().is_closure_cleaner_enabled() is False
    config.set_task_cancellation_timeout(5000)
    assert config.get_task_cancellation_timeout() == 5000
    config.set_global_job_parameters({"threshold": 5, "name": "x"})
    config.set_global_job_parameters({"threshold": 7})  # replaces, as in PyFlink
    assert config.get_global_job_parameters() == {"threshold": "7"}
    env.from_collection([1]).print()
    graph = env.get_stream_graph_job()
    assert graph.config["pipeline.auto-watermark-interval"] == "50 ms"
    assert graph.config["pipeline.global-job-parameters.threshold"] == "7"
    assert "pipeline.global-job-parameters.name" not in graph.config
    with pytest.raises(TypeError, match="expects a dict"):
        config.set_global_job_parameters([("a", "b")])  # type: ignore[arg-type]


@pytest.mark.usefixtures("cluster_env")
def test_global_job_parameters_reach_get_job_parameter() -> None:
    env = _env(2)
    env.get_config().set_global_job_parameters({"threshold": 10})
    out = env.from_collection(list(range(4))).rebalance().map(ReadParams()).execute_and_collect()
    assert set(out) == {("10", "fallback")}


def test_restart_strategies_become_restart_strategy_options() -> None:
    fixed = RestartStrategies.fixed_delay_restart(3, Time.seconds(10))
    assert fixed.get_restart_attempts() == 3
    assert fixed.get_delay_between_attempts_interval() == timedelta(seconds=10)
    rate = RestartStrategies.failure_rate_restart(3, Time.minutes(5), timedelta(seconds=10))
    assert rate.get_max_failure_rate() == 3 and rate.get_failure_interval() == timedelta(minutes=5)
    expo = RestartStrategies.exponential_delay_restart(
        Duration.of_millis(100), Duration.of_seconds(5), 2.0, Duration.of_minutes(1), 0.1)
    assert expo.get_backoff_multiplier() == 2.0
    cases = [
        (RestartStrategies.no_restart(), {"restart-strategy.type": "none"}),
        (fixed, {"restart-strategy.type": "fixed-delay",
                 "restart-strategy.fixed-delay.attempts": "3",
                 "restart-strategy.fixed-delay.delay": "10000 ms"}),
        (rate, {"restart-strategy.type": "failure-rate",
                "restart-strategy.failure-rate.max-failures-per-interval": "3",
                "restart-strategy.failure-rate.failure-rate-interval": "300000 ms",
                "restart-strategy.failure-rate.delay": "10000 ms"}),
        (expo, {"restart-strategy.type": "exponential-delay",
                "restart-strategy.exponential-delay.initial-backoff": "100 ms",
                "restart-strategy.exponential-delay.max-backoff": "5000 ms",
                "restart-strategy.exponential-delay.backoff-multiplier": "2.0",
                "restart-strategy.exponential-delay.reset-backoff-threshold": "60000 ms",
                "restart-strategy.exponential-delay.jitter-factor": "0.1"}),
    ]
    for strategy, expected in cases:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_restart_strategy(fixed)  # replaced by the next call: no stale keys survive
        env.set_restart_strategy(strategy)
        assert env.get_restart_strategy() == strategy
        env.from_collection([1]).print()
        config = env.get_stream_graph_job().config
        assert {k: v for k, v in config.items() if k.startswith("restart-strategy")} == expected
    with pytest.raises(TypeError, match="milliseconds"):
        RestartStrategies.fixed_delay_restart(1, "10 s")
    with pytest.raises(TypeError, match="set_restart_strategy expects"):
        StreamExecutionEnvironment.get_execution_environment().set_restart_strategy("none")


def test_get_execution_environment_honours_a_configuration() -> None:
    conf = Configuration().set_string("pipeline.name", "configured").set_integer(
        "parallelism.default", 3)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    assert env.get_parallelism() == 3
    env.from_collection([1]).map(lambda v: v).print()
    graph = env.get_stream_graph_job()
    assert graph.name == "configured"
    assert [v.parallelism for v in graph.vertices] == [1, 3]


# -- runtime modes ------------------------------------------------------------------------------

class Forever(SourceFunction):
    def run(self, ctx: Any) -> None:
        ctx.collect(1)

    def cancel(self) -> None:
        pass


def test_automatic_mode_is_batch_when_every_source_is_bounded() -> None:
    def mode(*unbounded: bool, runtime_mode: Any = RuntimeExecutionMode.AUTOMATIC) -> str:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_runtime_mode(runtime_mode)
        ds = env.from_collection([1, 2])
        for flag in unbounded:
            other = env.add_source(Forever()) if flag else env.from_collection([3])
            ds = ds.union(other)
        ds.print()
        return env.get_stream_graph_job().runtime_mode

    assert mode() == "BATCH"
    assert mode(False) == "BATCH"
    assert mode(True) == "STREAMING"
    assert mode(True, runtime_mode=RuntimeExecutionMode.STREAMING) == "STREAMING"
    assert mode(runtime_mode=RuntimeExecutionMode.STREAMING) == "STREAMING"
    env = StreamExecutionEnvironment.get_execution_environment(
        Configuration().set_string("execution.runtime-mode", "AUTOMATIC"))
    env.socket_text_stream("localhost", 9).print()
    assert env.get_stream_graph_job().runtime_mode == "STREAMING"
    with pytest.raises(ValueError, match="Detected an UNBOUNDED source .*'BATCH'"):
        mode(True, runtime_mode=RuntimeExecutionMode.BATCH)
    with pytest.raises(TypeError, match="RuntimeExecutionMode"):
        StreamExecutionEnvironment.get_execution_environment().set_runtime_mode("BATCH")


RECORDS = [("a", 3, "x"), ("b", 9, "p"), ("a", 1, "y"), ("a", 7, "z"), ("b", 2, "q")]


@pytest.mark.usefixtures("cluster_env")
@pytest.mark.parametrize("aggregation", ["reduce", "sum", "min", "max", "min_by", "max_by"])
def test_batch_aggregations_emit_only_the_streaming_run_final_values(aggregation: str) -> None:
    def run(mode: RuntimeExecutionMode) -> list[Any]:
        env = _env(2)
        env.set_runtime_mode(mode)
        keyed = env.from_collection(RECORDS).key_by(lambda r: r[0])
        if aggregation == "reduce":
            ds = keyed.reduce(lambda a, b: (a[0], a[1] + b[1], b[2]))
        else:
            ds = getattr(keyed, aggregation)(1)
        return list(ds.execute_and_collect())

    streaming = run(RuntimeExecutionMode.STREAMING)
    batch = run(RuntimeExecutionMode.BATCH)
    assert len(streaming) == len(RECORDS)
    finals = {}
    for record in streaming:  # per key, the streaming run's last value is its final value
        finals[record[0]] = record
    assert sorted(batch) == sorted(finals.values())
    automatic = run(RuntimeExecutionMode.AUTOMATIC)  # bounded source: BATCH
    assert sorted(automatic) == sorted(batch)


# -- graph properties: chaining, slot sharing, uid hash, partitioner return types ----------------

def _graph(build: Any, parallelism: int = 2) -> Any:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    build(env)
    return env.get_stream_graph_job()


def _chains(graph: Any) -> list[list[str]]:
    return [[op.name for op in v.operators] for v in graph.vertices]


def test_disable_chaining_and_start_new_chain_shape_the_chains_like_flink() -> None:
    def pipeline(env: Any, how: str | None) -> None:
        ds = env.from_collection([1]).map(lambda v: v).name("A")
        b = ds.map(lambda v: v).name("B")
        if how == "disable":
            b.disable_chaining()
        elif how == "new_chain":
            b.start_new_chain()
        b.map(lambda v: v).name("C").print()

    assert _chains(_graph(lambda e: pipeline(e, None), 1)) == [
        ["Source: Collection Source", "A", "B", "C", "Sink: Print to Std. Out"]]
    # disable_chaining: B is chained to neither neighbour.
    assert _chains(_graph(lambda e: pipeline(e, "disable"), 1)) == [
        ["Source: Collection Source", "A"], ["B"], ["C", "Sink: Print to Std. Out"]]
    # start_new_chain: B heads a chain that continues downstream.
    assert _chains(_graph(lambda e: pipeline(e, "new_chain"), 1)) == [
        ["Source: Collection Source", "A"], ["B", "C", "Sink: Print to Std. Out"]]
    graph = _graph(lambda e: e.from_collection([1]).map(lambda v: v).print(), 1)
    assert len(graph.vertices) == 1
    env = StreamExecutionEnvironment.get_execution_environment()
    env.disable_operator_chaining()
    env.from_collection([1]).map(lambda v: v).print()
    assert len(env.get_stream_graph_job().vertices) == 3


def test_slot_sharing_groups_need_the_sum_of_their_max_parallelisms() -> None:
    def build(env: Any) -> None:
        ds = env.from_collection(list(range(10))).map(lambda v: v).set_parallelism(3)
        ds.map(lambda v: v).slot_sharing_group("heavy").set_parallelism(2) \
          .print().slot_sharing_group("heavy")

    graph = _graph(build)
    assert graph.slot_requirements() == {"default": 3, "heavy": 2}
    assert graph.total_slots() == 5
    # The group is inherited downstream, and an unnamed chain splits at a group boundary.
    graph = _graph(lambda env: env.from_collection([1]).map(lambda v: v)
                   .slot_sharing_group("other").map(lambda v: v).print(), 1)
    assert [v.slot_sharing_group for v in graph.vertices] == ["default", "other"]
    assert graph.total_slots() == 2


def test_stream_properties_keep_pyflink_signatures_and_return_types() -> None:
    from flink_py.datastream import DataStream

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(4)
    ds = env.from_collection([1, 2])
    mapped = ds.map(lambda v: v)
    for call in (lambda: mapped.name("M"), lambda: mapped.uid("m-uid"),
                 lambda: mapped.set_uid_hash("0123456789abcdef0123456789abcdef"),
                 lambda: mapped.set_parallelism(2), lambda: mapped.set_max_parallelism(16),
                 lambda: mapped.slot_sharing_group("g"), lambda: mapped.disable_chaining(),
                 lambda: mapped.start_new_chain()):
        assert call() is mapped
    for method in ("rebalance", "rescale", "shuffle", "forward", "global", "broadcast"):
        assert type(getattr(mapped, method)()) is DataStream
    assert mapped.get_name() == "M"
    mapped.print()
    graph = env.get_stream_graph_job()
    vertex = next(v for v in graph.vertices if v.operators[0].name == "M")
    assert (vertex.parallelism, vertex.max_parallelism) == (2, 16)
    op = vertex.operators[0]
    assert (op.uid, op.uid_hash) == ("m-uid", "0123456789abcdef0123456789abcdef")
    with pytest.raises(ValueError, match="max parallelism must be within"):
        mapped.set_max_parallelism(0)


def test_a_program_without_operators_cannot_execute() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    with pytest.raises(GraphError, match="No operators defined in streaming topology"):
        env.execute("empty")


def test_watermark_alignment_and_execution_config_restart_strategy_are_accepted() -> None:
    """PyFlink 1.16+ jobs call ``with_watermark_alignment`` (pacing only: results are the
    same) and 1.x jobs set the restart strategy on the ExecutionConfig."""
    from flink_py.common import WatermarkStrategy

    strategy = WatermarkStrategy.for_monotonous_timestamps().with_watermark_alignment(
        "group", Duration.of_seconds(20)).with_timestamp_assigner(lambda v, ts: v)
    env = _env(1)
    env.get_config().set_restart_strategy(RestartStrategies.fixed_delay_restart(2, 10))
    assert env.get_restart_strategy() == env.get_config().get_restart_strategy()
    assert isinstance(_env(1).get_restart_strategy(),  # nothing set: the cluster's default
                      RestartStrategies.FallbackRestartStrategyConfiguration)
    env.set_restart_strategy(RestartStrategies.fall_back_restart())
    assert env.get_restart_strategy() == RestartStrategies.fall_back_restart()
    ds = env.from_collection([3, 1, 2]).assign_timestamps_and_watermarks(strategy)
    assert sorted(ds.execute_and_collect()) == [1, 2, 3]
    with pytest.raises(ValueError, match="drift"):
        WatermarkStrategy.no_watermarks().with_watermark_alignment("g", Duration.of_millis(-1))


class _LaterTimer(KeyedProcessFunction):
    def process_element(self, value: Any, ctx: KeyedProcessFunction.Context) -> Any:
        # one timer per key, far ahead of the clock (year 2100): a timestamp taken from
        # the clock could differ between a key's two records and make two timers
        ctx.timer_service().register_processing_time_timer(4_102_444_800_000)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Any:
        yield "timer", ctx.get_current_key()


def test_batch_mode_fires_processing_time_timers_at_the_end_of_input() -> None:
    """Flink's BATCH time service: processing-time timers do not wait for the clock; they
    fire (after the event-time ones) once the key's input has ended."""
    from flink_py.datastream.window import TumblingProcessingTimeWindows

    env = _env(1)
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    ds = env.from_collection([("a", 1), ("b", 2), ("a", 3)],
                             type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    assert sorted(ds.key_by(lambda v: v[0]).process(_LaterTimer()).execute_and_collect()) \
        == [("timer", "a"), ("timer", "b")]
    windows = ds.key_by(lambda v: v[0]).window(TumblingProcessingTimeWindows.of(Time.hours(1)))
    assert sorted(windows.reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect()) \
        == [("a", 4), ("b", 2)]


# -- what execute_and_collect hands the client ------------------------------------------------

@pytest.mark.usefixtures("cluster_env")
def test_collected_rows_and_floats_are_what_pyflink_hands_the_client() -> None:
    """``pickled_bytes_to_python_obj`` (PyFlink 1.17+): Rows (nested ones too) carry the
    type's field names and the record's kind; FLOATs are the shortest decimal of the
    float32 (an operator sees the float32 value itself)."""
    env = _env()
    inner = Types.ROW_NAMED(["a"], [Types.FLOAT()])
    row_type = Types.ROW_NAMED(["id", "name", "inner", "f"],
                               [Types.INT(), Types.STRING(), inner, Types.FLOAT()])
    rows = env.from_collection([Row(id=1, name="x", inner=Row(a=1.1), f=2.2)], row_type)
    seen = rows.map(lambda r: r.name + str(r.inner.a), Types.STRING())
    out = list(rows.execute_and_collect())
    assert repr(out) == "[Row(id=1, name='x', inner=Row(a=1.1), f=2.2)]"
    assert out[0].inner.a == 1.1 and out[0].get_row_kind().name == "INSERT"
    assert list(seen.execute_and_collect()) == ["x1.100000023841858"]
    pairs = env.from_collection([(1, 1.1)], Types.TUPLE([Types.INT(), Types.FLOAT()]))
    assert list(pairs.execute_and_collect()) == [(1, 1.1)]


@pytest.mark.usefixtures("cluster_env")
def test_a_keyed_stream_collects_its_records_with_their_keys() -> None:
    """PyFlink's test_execute_and_collect: ``key_by(...).execute_and_collect()`` yields
    ``Row(f0=key, f1=record)``."""
    data = [("pyflink", 1), ("datastream", 2), ("pyflink", 1), ("collect", 2)]
    ds = _env().from_collection(data, type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    with ds.key_by(lambda i: i[0], Types.STRING()).execute_and_collect() as results:
        assert list(results) == [Row(f0=k, f1=(k, n)) for k, n in data]
