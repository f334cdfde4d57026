"""PyFlink 2.3 names and behaviours found by running the same calls on real PyFlink.

Each expectation here was observed on apache-flink 2.3.0 (Java 17): module paths,
builders, recorded Java-only settings, and the values the getters return.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pytest
from flink_py.common import (
    ByteArraySchema,
    ConfigOptions,
    Configuration,
    JobID,
    Row,
    SimpleStringSchema,
    Types,
)
from flink_py.common.serialization import RowFieldExtractorSchema
from flink_py.datastream import (
    CheckpointingMode,
    ExternalizedCheckpointRetention,
    StreamExecutionEnvironment,
)


@pytest.mark.parametrize(("module", "names"), [
    ("flink_py.common.config_options", ["ConfigOptions", "ConfigOption"]),
    ("flink_py.common.job_id", ["JobID"]),
    ("flink_py.common.job_client", ["JobClient"]),
    ("flink_py.common.job_execution_result", ["JobExecutionResult"]),
    ("flink_py.common.input_dependency_constraint", ["InputDependencyConstraint"]),
    ("flink_py.common.serialization", ["SerializationSchema", "DeserializationSchema",
                                       "SimpleStringSchema", "ByteArraySchema",
                                       "RowFieldExtractorSchema", "Encoder"]),
    ("flink_py.datastream.checkpointing_mode", ["CheckpointingMode"]),
    ("flink_py.datastream.execution_mode", ["RuntimeExecutionMode"]),
    ("flink_py.datastream.externalized_checkpoint_retention",
     ["ExternalizedCheckpointRetention"]),
    ("flink_py.datastream.data_stream", ["WindowedStream", "AllWindowedStream",
                                         "CloseableIterator", "KeyedStream"]),
])
def test_pyflink_2_3_module_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []


def test_config_options_builder_and_configuration_helpers() -> None:
    option = ConfigOptions.key("tmp.dir").string_type().default_value("/tmp")
    assert (option.key(), option.default_value(), option.has_default_value()) \
        == ("tmp.dir", "/tmp", True)
    bare = ConfigOptions.key("user.name").int_type().no_default_value()
    assert (bare.default_value(), bare.has_default_value()) == (None, False)
    with pytest.raises(ValueError):
        ConfigOptions.key("")
    conf = Configuration.from_dict({"a": 1, "b": True, "c": "x"})
    assert conf.to_dict() == {"a": "1", "b": "true", "c": "x"}
    assert conf.get_integer("a", 0) == 1 and conf.get_boolean("b", False) is True
    assert Configuration.parse_list_value("[a, b]") == ["a", "b"]
    assert Configuration.parse_list_value("a;b") == ["a", "b"]
    assert Configuration.parse_list_value("") == []
    assert str(JobID("ab" * 16)) == "ab" * 16 and JobID("ab" * 16) == "ab" * 16


def test_serialization_schemas_round_trip() -> None:
    schema = SimpleStringSchema()
    assert schema.serialize("héllo") == "héllo".encode()
    assert schema.deserialize("héllo".encode()) == "héllo"
    assert schema.get_produced_type() == Types.STRING()
    assert SimpleStringSchema("latin-1").serialize("é") == b"\xe9"
    with pytest.raises(LookupError):
        SimpleStringSchema("no-such-charset")
    assert ByteArraySchema().deserialize(bytearray(b"\x00\x01")) == b"\x00\x01"
    key = RowFieldExtractorSchema(1)
    assert key.serialize(Row("k", b"id-7")) == b"id-7"
    assert key.serialize(Row("k", None)) == b""
    with pytest.raises(TypeError, match="field 1 must be bytes"):
        key.serialize(Row("k", "not bytes"))
    with pytest.raises(ValueError):
        RowFieldExtractorSchema(-1)


def test_checkpointing_mode_is_at_least_once_until_checkpointing_is_enabled() -> None:
    # Real PyFlink 2.3: AT_LEAST_ONCE before enable_checkpointing, EXACTLY_ONCE after.
    env = StreamExecutionEnvironment.get_execution_environment()
    assert env.get_checkpointing_mode() is CheckpointingMode.AT_LEAST_ONCE
    assert env.get_checkpoint_config().get_checkpointing_mode() is CheckpointingMode.AT_LEAST_ONCE
    env.enable_checkpointing(1000)
    assert env.get_checkpointing_mode() is CheckpointingMode.EXACTLY_ONCE
    assert env.get_checkpointing_consistency_mode() is CheckpointingMode.EXACTLY_ONCE
    retention = env.get_checkpoint_config().get_externalized_checkpoint_retention()
    assert str(retention) == "ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS"
    assert retention is ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS


def test_java_serializer_settings_are_recorded() -> None:
    config = StreamExecutionEnvironment.get_execution_environment().get_config()
    assert not config.is_force_kryo_enabled() and not config.has_generic_types_disabled()
    config.enable_force_kryo().disable_generic_types().enable_force_avro()
    assert config.is_force_kryo_enabled() and config.has_generic_types_disabled()
    assert config.is_force_avro_enabled()
    config.disable_force_kryo().enable_generic_types().disable_force_avro()
    assert not config.is_force_kryo_enabled() and not config.has_generic_types_disabled()
    assert config.get_registered_kryo_types() == [] and config.get_registered_pojo_types() == []
    assert config.get_default_kryo_serializer_classes() == {}


def test_pyflink_worker_options_are_known_keys(caplog: pytest.LogCaptureFixture) -> None:
    conf = Configuration()
    for key, value in [("python.fn-execution.bundle.size", "1"),
                       ("python.fn-execution.bundle.time", "10"),
                       ("python.state.cache-size", "0"), ("python.execution-mode", "thread"),
                       ("python.fn-execution.arrow.batch.size", "5")]:
        conf.set_string(key, value)
    with caplog.at_level(logging.WARNING):
        env = StreamExecutionEnvironment.get_execution_environment(conf)
        env.from_collection([1]).print()
        env.get_execution_plan()
    assert [r.getMessage() for r in caplog.records if "Unknown configuration key" in
            r.getMessage()] == []


def test_chaining_of_operators_with_different_max_parallelism() -> None:
    def build(conf: Configuration | None) -> int:
        env = StreamExecutionEnvironment.get_execution_environment(conf)
        env.set_parallelism(1)
        (env.from_collection([1, 2], Types.INT()).map(lambda x: x, Types.INT())
         .set_max_parallelism(64).map(lambda x: x + 1, Types.INT()).set_max_parallelism(32)
         .print())
        return len(env.get_stream_graph_job().vertices)

    env = StreamExecutionEnvironment.get_execution_environment()
    assert env.is_chaining_of_operators_with_different_max_parallelism_enabled() is True
    assert build(None) == 1
    conf = Configuration().set_string(
        "pipeline.operator-chaining.chain-operators-with-different-max-parallelism", "false")
    assert StreamExecutionEnvironment.get_execution_environment(
        conf).is_chaining_of_operators_with_different_max_parallelism_enabled() is False
    assert build(conf) == 4  # source | map (64) | map (32) | print (default 128)


def test_cache_returns_the_same_records_and_closeable_iterator_next(local_env: None) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    cached = env.from_collection([1, 2, 3], Types.INT()).map(lambda x: x * 10, Types.INT()).cache()
    with cached.execute_and_collect() as it:
        first = it.next()
        rest: list[Any] = list(it)
    assert [first, *rest] == [10, 20, 30]
    cached.invalidate()
    assert sorted(cached.filter(lambda x: x > 10).execute_and_collect()) == [20, 30]


def test_collected_values_are_what_pyflink_returns(local_env: None) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    one = env.from_collection([1], Types.INT())
    assert list(one.map(lambda x: x / 3, Types.FLOAT()).execute_and_collect()) == [0.33333334]
    assert list(one.map(lambda x: ("a", x / 3), Types.TUPLE([Types.STRING(), Types.FLOAT()]))
                .execute_and_collect()) == [("a", 0.33333334)]
    doubles = list(one.map(lambda x: x, Types.DOUBLE()).execute_and_collect())
    assert doubles == [1.0] and type(doubles[0]) is float
    assert list(one.map(lambda x: b"\x01\xff\x80", Types.PRIMITIVE_ARRAY(Types.BYTE()))
                .execute_and_collect()) == [[1, -1, -128]]  # a Java byte[]: signed bytes
    with pytest.raises(ValueError, match="limit must be greater than 0"):
        one.execute_and_collect(limit=0)


def test_runtime_context_of_a_chain_on_a_non_parallel_source(local_env: None) -> None:
    from flink_py.datastream import MapFunction

    class Describe(MapFunction):
        def open(self, runtime_context: Any) -> None:
            self.ctx = runtime_context

        def map(self, value: int) -> Any:
            c = self.ctx
            return (c.get_task_name(), c.get_task_name_with_subtasks(),
                    c.get_max_number_of_parallel_subtasks())

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    out = list(env.from_collection([1], Types.INT()).map(Describe()).name("ctx-map")
               .execute_and_collect())
    # as real PyFlink 2.3 reports them (the collect sink is chained, max parallelism 1)
    name = "Source: Collection Source -> ctx-map -> Sink: Data stream collect sink"
    assert out == [(name, name + " (1/1)#0", 1)]


def test_job_ids_are_job_id_objects(local_env: None) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.from_collection([1], Types.INT()).print()
    job_id = env.execute("ids").get_job_id()
    assert isinstance(job_id, JobID) and len(str(job_id)) == 32
    int(str(job_id), 16)  # hex, as PyFlink prints it


def test_declared_key_type_places_keys_and_their_state_as_pyflink(local_env: None) -> None:
    from flink_py.datastream import KeyedProcessFunction, ValueStateDescriptor

    class Where(KeyedProcessFunction):
        def open(self, runtime_context: Any) -> None:
            self.index = runtime_context.get_index_of_this_subtask()
            self.seen = runtime_context.get_state(ValueStateDescriptor("seen", Types.INT()))

        def process_element(self, value: str, ctx: Any) -> Any:
            self.seen.update((self.seen.value() or 0) + 1)
            yield value, self.index, self.seen.value()

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    env.enable_checkpointing(50)  # snapshots check each key's group against the subtask's
    out = sorted(env.from_collection(list("abcdefghij") * 2, Types.STRING())
                 .key_by(lambda x: x, key_type=Types.STRING()).process(Where())
                 .execute_and_collect())
    # real PyFlink 2.3 places "a".."j" (key_type STRING) on subtasks 1101110000
    expected = dict(zip("abcdefghij", map(int, "1101110000")))
    assert out == sorted([(k, expected[k], n) for k in expected for n in (1, 2)])
