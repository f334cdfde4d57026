"""Tests for the typed configuration system and the user-facing ``Configuration``."""

from __future__ import annotations

import copy
import logging
import pickle
from datetime import timedelta
from pathlib import Path

import pytest

from flink_py.common.configuration import Configuration
from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import ConfigError, FlinkConfig, load_config

LOGGER = "flink_py.common.runtime.config"


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# Value parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        (0, 0),
        (250, 250),
        ("500", 500),
        ("100 ms", 100),
        ("100ms", 100),
        ("7 millis", 7),
        ("10 s", 10_000),
        ("10s", 10_000),
        ("2 sec", 2_000),
        ("3 seconds", 3_000),
        ("1 min", 60_000),
        ("3min", 180_000),
        ("2 m", 120_000),
        ("1 minutes", 60_000),
        ("1 h", 3_600_000),
        ("2 hours", 7_200_000),
        ("2 d", 172_800_000),
        ("1 day", 86_400_000),
        ("1.5 s", 1_500),
        ("  10 S ", 10_000),
        ("5000 us", 5),
        (timedelta(seconds=2, milliseconds=5), 2_005),
    ],
)
def test_parse_duration(text: object, millis: int) -> None:
    assert cfg.parse_duration_ms(text) == millis


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "is not a duration"),
        ("10 fortnights", "unknown unit 'fortnights'"),
        ("-5 s", "is not a duration"),
        (-5, "must not be negative"),
        ("0.5 ms", "whole milliseconds"),
        (True, "is not a duration"),
        (1.5, "is not a duration"),
        ("", "is not a duration"),
    ],
)
def test_parse_duration_rejects(value: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match="'heartbeat.interval'") as info:
        cfg.parse_duration_ms(value, "heartbeat.interval")
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (512, 512),
        ("512", 512),
        ("100 b", 100),
        ("10 bytes", 10),
        ("32kb", 32 * 1024),
        ("32 kb", 32 * 1024),
        ("32k", 32 * 1024),
        ("64mb", 64 * 1024**2),
        ("1600m", 1600 * 1024**2),
        ("1g", 1024**3),
        ("1gb", 1024**3),
        ("1 GB", 1024**3),
        ("1 tb", 1024**4),
        ("2 kibibytes", 2048),
        ("1.5 kb", 1536),
    ],
)
def test_parse_memory(text: object, size: int) -> None:
    assert cfg.parse_memory_bytes(text) == size


@pytest.mark.parametrize("value", ["1 pb", "mb", "lots", "0.5 b", -1, False, [1]])
def test_parse_memory_rejects(value: object) -> None:
    with pytest.raises(ConfigError, match="'taskmanager.memory.segment-size'"):
        cfg.parse_memory_bytes(value, "taskmanager.memory.segment-size")


def test_scalar_parsers() -> None:
    assert cfg.parse_bool("TRUE") is True
    assert cfg.parse_bool(" false ") is False
    assert cfg.parse_bool(True) is True
    assert cfg.parse_int("-1") == -1
    assert cfg.parse_int(7) == 7
    assert cfg.parse_float("1.5") == 1.5
    assert cfg.parse_float(2) == 2.0
    assert cfg.parse_str(9249) == "9249"
    assert cfg.parse_str(False) == "false"
    assert cfg.parse_enum("exactly_once", ["EXACTLY_ONCE", "AT_LEAST_ONCE"]) == "EXACTLY_ONCE"
    assert cfg.parse_enum("RocksDB", ["hashmap", "rocksdb"]) == "rocksdb"
    assert cfg.parse_list("a; b;;c") == ("a", "b", "c")
    assert cfg.parse_list(["x", 1]) == ("x", "1")
    for parser, value in [
        (cfg.parse_bool, "yes"),
        (cfg.parse_bool, 1),
        (cfg.parse_int, "1.0"),
        (cfg.parse_int, True),
        (cfg.parse_int, 2.0),
        (cfg.parse_float, "x"),
        (cfg.parse_float, True),
        (cfg.parse_str, ["a"]),
        (cfg.parse_list, 3),
    ]:
        with pytest.raises(ConfigError, match="for configuration key 'k'"):
            parser(value, "k")
    with pytest.raises(ConfigError, match="is not one of STREAMING, BATCH"):
        cfg.parse_enum("stream", ["STREAMING", "BATCH"], "execution.runtime-mode")


# Option table and defaults ------------------------------------------------------------------


def test_defaults() -> None:
    config = FlinkConfig()
    expected = {
        "jobmanager.rpc.address": "localhost",
        "jobmanager.rpc.port": 6123,
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "taskmanager.host": None,
        "taskmanager.rpc.port": 0,
        "taskmanager.data.port": 0,
        "taskmanager.numberOfTaskSlots": 1,
        "parallelism.default": 1,
        "pipeline.max-parallelism": -1,
        "pipeline.name": None,
        "pipeline.auto-watermark-interval": 200,
        "pipeline.object-reuse": False,
        "pipeline.operator-chaining.enabled": True,
        "execution.runtime-mode": "STREAMING",
        "execution.buffer-timeout.interval": 100,
        "execution.buffer-timeout.enabled": True,
        "heartbeat.interval": 10_000,
        "heartbeat.timeout": 50_000,
        "slot.request.timeout": 300_000,
        "taskmanager.memory.segment-size": 32 * 1024,
        "taskmanager.network.memory.buffers-per-channel": 2,
        "taskmanager.network.memory.floating-buffers-per-gate": 8,
        "taskmanager.network.memory.max-buffers-per-channel": 10,
        "taskmanager.network.batch.max-rows": 1024,
        "taskmanager.network.batch.max-bytes": 1024**2,
        "rest.port": 8081,
        "rest.address": "localhost",
        "rest.bind-address": "127.0.0.1",
        "metrics.reporter.prom.port": "9249",
        "state.backend.type": "hashmap",
        "execution.checkpointing.interval": None,
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.timeout": 600_000,
        "execution.checkpointing.min-pause": 0,
        "execution.checkpointing.max-concurrent-checkpoints": 1,
        "execution.checkpointing.tolerable-failed-checkpoints": 0,
        "execution.checkpointing.externalized-checkpoint-retention": "NO_EXTERNALIZED_CHECKPOINTS",
        "execution.checkpointing.dir": None,
        "execution.checkpointing.savepoint-dir": None,
        "execution.checkpointing.num-retained": 1,
        "execution.checkpointing.incremental": None,
        "restart-strategy.type": None,
        "restart-strategy.fixed-delay.attempts": 1,
        "restart-strategy.fixed-delay.delay": 1_000,
        "restart-strategy.failure-rate.max-failures-per-interval": 1,
        "restart-strategy.failure-rate.failure-rate-interval": 60_000,
        "restart-strategy.failure-rate.delay": 1_000,
        "restart-strategy.exponential-delay.initial-backoff": 1_000,
        "restart-strategy.exponential-delay.max-backoff": 60_000,
        "restart-strategy.exponential-delay.backoff-multiplier": 1.5,
        "restart-strategy.exponential-delay.reset-backoff-threshold": 3_600_000,
        "restart-strategy.exponential-delay.jitter-factor": 0.1,
        "restart-strategy.exponential-delay.attempts-before-reset-backoff": 2147483647,
        "jobmanager.execution.failover-strategy": "region",
        "python.client.executable": None,
        "python.executable": None,
        "env.pid.dir": None,
        "io.tmp.dirs": None,
        "high-availability.type": "NONE",
        "jobmanager.memory.process.size": None,
        "taskmanager.memory.process.size": None,
    }
    assert {key: config.get(key) for key in expected} == expected
    assert config.to_dict() == {}
    assert config.get(cfg.PARALLELISM_DEFAULT) == 1


def test_option_constants_and_lookup() -> None:
    assert cfg.JOBMANAGER_RPC_PORT.key == "jobmanager.rpc.port"
    assert cfg.JOBMANAGER_RPC_PORT.type is cfg.OptionType.INT
    assert cfg.RUNTIME_MODE.choices == ("STREAMING", "BATCH", "AUTOMATIC")
    assert cfg.get_option("execution.buffer-timeout") is cfg.BUFFER_TIMEOUT_INTERVAL
    assert cfg.get_option("no.such.key") is None
    assert cfg.HEARTBEAT_TIMEOUT in cfg.all_options()
    with pytest.raises(ValueError, match="already registered"):
        cfg.option("parallelism.default", cfg.OptionType.INT, 1)
    with pytest.raises(ValueError, match="already registered"):
        cfg.option("brand.new.key", cfg.OptionType.INT, deprecated_keys=["state.backend"])
    assert cfg.get_option("brand.new.key") is None


# FlinkConfig --------------------------------------------------------------------------------


def test_typed_values_and_raw_dict() -> None:
    config = FlinkConfig.from_dict({
        "taskmanager.numberOfTaskSlots": "4",
        "execution.runtime-mode": "batch",
        "execution.checkpointing.interval": "30 s",
        "taskmanager.memory.segment-size": "64 kb",
        "pipeline.jars": "file:///a.zip;file:///b.zip",
        "restart-strategy.type": "fixed-delay",
    })  # fmt: skip
    assert config.get(cfg.TASKMANAGER_NUM_TASK_SLOTS) == 4
    assert config.get("execution.runtime-mode") == "BATCH"
    assert config.get(cfg.CHECKPOINTING_INTERVAL) == 30_000
    assert config.get("taskmanager.memory.segment-size") == 65_536
    assert config.get(cfg.PIPELINE_JARS) == ("file:///a.zip", "file:///b.zip")
    assert config.get("restart-strategy.type") == "fixed-delay"
    assert config.is_set("execution.runtime-mode")
    assert not config.is_set("parallelism.default")
    assert config.to_dict()["execution.checkpointing.interval"] == "30 s"
    assert config.get("pipeline.name", "my-job") == "my-job"
    assert config.get("taskmanager.numberOfTaskSlots", 99) == 4


def test_flink_config_is_immutable_and_overrides_make_copies() -> None:
    base = FlinkConfig({"parallelism.default": 2})
    changed = base.with_overrides({"parallelism.default": "8", "pipeline.name": "wc"})
    assert base.get("parallelism.default") == 2
    assert changed.get("parallelism.default") == 8
    assert changed.get("pipeline.name") == "wc"
    unset = changed.with_overrides({"pipeline.name": None})
    assert unset.get("pipeline.name") is None
    assert not unset.is_set("pipeline.name")
    with pytest.raises(AttributeError, match="immutable"):
        base.extra = 1  # type: ignore[attr-defined]
    raw = changed.to_dict()
    raw["parallelism.default"] = "1"
    assert changed.get("parallelism.default") == 8


def test_round_trips_through_dict_and_pickle() -> None:
    config = FlinkConfig({
        "heartbeat.interval": timedelta(seconds=3),
        "metrics.reporters": ["prom"],
        "metrics.reporter.prom.factory.class": "x.Factory",
        "state.backend.type": "ROCKSDB",
    })  # fmt: skip
    raw = config.to_dict()
    assert raw == {
        "heartbeat.interval": 3000,
        "metrics.reporters": ["prom"],
        "metrics.reporter.prom.factory.class": "x.Factory",
        "state.backend.type": "ROCKSDB",
    }
    assert FlinkConfig.from_dict(raw) == config
    restored = pickle.loads(pickle.dumps(config))
    assert restored == config
    assert restored.get("state.backend.type") == "rocksdb"
    assert copy.deepcopy(config).get(cfg.METRICS_REPORTERS) == ("prom",)


def test_wrong_type_names_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        FlinkConfig({"taskmanager.numberOfTaskSlots": "abc"})
    assert str(info.value).startswith(
        "Invalid value for configuration key 'taskmanager.numberOfTaskSlots': "
        "'abc' is not an integer"
    )
    with pytest.raises(ConfigError, match="'execution.checkpointing.mode'.*AT_LEAST_ONCE"):
        FlinkConfig().with_overrides({"execution.checkpointing.mode": "twice"})
    with pytest.raises(ConfigError, match="'pipeline.object-reuse'"):
        FlinkConfig({"pipeline.object-reuse": "maybe"})


def test_deprecated_keys_are_translated(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    config = FlinkConfig({
        "execution.buffer-timeout": "5 ms",
        "state.backend": "rocksdb",
        "state.checkpoints.dir": "file:///tmp/cp",
        "restart-strategy": "none",
    })  # fmt: skip
    assert config.get(cfg.BUFFER_TIMEOUT_INTERVAL) == 5
    assert config.get("state.backend.type") == "rocksdb"
    assert config.get("execution.checkpointing.dir") == "file:///tmp/cp"
    assert config.get("restart-strategy") == "none"  # reading the old key works too
    assert config.is_set("state.backend")
    assert "state.backend" not in config.to_dict()
    assert config.to_dict()["execution.checkpointing.dir"] == "file:///tmp/cp"
    messages = [record.getMessage() for record in caplog.records]
    assert any("'state.backend'" in m and "use 'state.backend.type'" in m for m in messages)
    assert len([m for m in messages if "deprecated" in m]) == 4


def test_new_key_wins_within_a_source_and_later_source_wins() -> None:
    same_source = FlinkConfig({
        "pipeline.operator-chaining.enabled": "true",
        "pipeline.operator-chaining": "false",
    })  # fmt: skip
    assert same_source.get(cfg.PIPELINE_OPERATOR_CHAINING) is True
    later = FlinkConfig({"pipeline.operator-chaining.enabled": True}).with_overrides(
        {"pipeline.operator-chaining": False}
    )
    assert later.get(cfg.PIPELINE_OPERATOR_CHAINING) is False


def test_unknown_key_logs_a_warning_but_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    config = FlinkConfig({"x.y": "1", "metrics.reporter.prom.factory.class": "Factory"})
    assert config.get("x.y") == "1"
    assert config.to_dict() == {"x.y": "1", "metrics.reporter.prom.factory.class": "Factory"}
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["Unknown configuration key 'x.y' (ignored)"]
    with pytest.raises(KeyError, match="not.registered"):
        config.get("not.registered")
    assert config.get("not.registered", "fallback") == "fallback"


def test_from_dict_can_skip_unknown_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    config = FlinkConfig.from_dict({"x.y": 1}, warn_unknown=False)
    assert config.get("x.y") == 1
    assert caplog.records == []


def test_with_overrides_accepts_a_user_configuration() -> None:
    user = Configuration().set_integer("parallelism.default", 3)
    user.set_boolean("pipeline.object-reuse", True)
    config = FlinkConfig().with_overrides(user)
    assert config.get(cfg.PARALLELISM_DEFAULT) == 3
    assert config.get(cfg.PIPELINE_OBJECT_REUSE) is True
    assert FlinkConfig().with_overrides(user.to_dict()) == config
    assert FlinkConfig().with_overrides(config).get("parallelism.default") == 3


# Loading ------------------------------------------------------------------------------------


def test_nested_yaml_equals_dotted_keys(tmp_path: Path) -> None:
    nested, dotted = tmp_path / "nested", tmp_path / "dotted"
    nested.mkdir()
    dotted.mkdir()
    _write(nested, "config.yaml", (
        "taskmanager:\n"
        "  numberOfTaskSlots: 2\n"
        "  memory:\n"
        "    process.size: 1728m\n"
        "execution:\n"
        "  checkpointing:\n"
        "    interval: 10 s\n"
        "    mode: at_least_once\n"
        "restart-strategy:\n"
        "  type: off\n"
        "metrics.reporters: [prom, jmx]\n"
    ))  # fmt: skip
    _write(dotted, "config.yaml", (
        "taskmanager.numberOfTaskSlots: 2\n"
        "taskmanager.memory.process.size: 1728m\n"
        "execution.checkpointing.interval: 10 s\n"
        "execution.checkpointing.mode: at_least_once\n"
        "restart-strategy.type: off\n"
        "metrics.reporters:\n"
        "  - prom\n"
        "  - jmx\n"
    ))  # fmt: skip
    from_nested = load_config(nested, env={})
    from_dotted = load_config(dotted, env={})
    assert from_nested == from_dotted
    assert from_nested.get(cfg.TASKMANAGER_NUM_TASK_SLOTS) == 2
    assert from_nested.get(cfg.TASKMANAGER_MEMORY_PROCESS_SIZE) == 1728 * 1024**2
    assert from_nested.get(cfg.CHECKPOINTING_INTERVAL) == 10_000
    assert from_nested.get(cfg.CHECKPOINTING_MODE) == "AT_LEAST_ONCE"
    assert from_nested.get(cfg.RESTART_STRATEGY_TYPE) == "off"  # not YAML 1.1's False
    assert from_nested.get(cfg.METRICS_REPORTERS) == ("prom", "jmx")


def test_precedence_file_then_flink_properties_then_dynamic(tmp_path: Path) -> None:
    _write(tmp_path, "config.yaml", (
        "parallelism.default: 2\n"
        "taskmanager.numberOfTaskSlots: 3\n"
        "rest.port: 9000\n"
        "pipeline.name: from-file\n"
    ))  # fmt: skip
    env = {"FLINK_PROPERTIES": "taskmanager.numberOfTaskSlots: 4\nrest.port: 9100\n\n"}
    config = load_config(tmp_path, ["rest.port=9200"], env=env)
    assert config.get(cfg.PIPELINE_NAME) == "from-file"
    assert config.get(cfg.PARALLELISM_DEFAULT) == 2
    assert config.get(cfg.TASKMANAGER_NUM_TASK_SLOTS) == 4
    assert config.get(cfg.REST_PORT) == 9200
    assert config.get(cfg.HEARTBEAT_INTERVAL) == 10_000
    assert load_config(tmp_path, env={}).get(cfg.REST_PORT) == 9000
    assert load_config(tmp_path, env=env).get(cfg.REST_PORT) == 9100


def test_dynamic_properties_as_mapping_and_dash_d_prefix(tmp_path: Path) -> None:
    config = load_config(tmp_path, {"parallelism.default": 6}, env={})
    assert config.get(cfg.PARALLELISM_DEFAULT) == 6
    config = load_config(None, ["-Dpipeline.name=a=b", "heartbeat.timeout = 1 min"], env={})
    assert config.get(cfg.PIPELINE_NAME) == "a=b"
    assert config.get(cfg.HEARTBEAT_TIMEOUT) == 60_000


def test_parse_dynamic_property() -> None:
    assert cfg.parse_dynamic_property("rest.port=8082") == ("rest.port", "8082")
    assert cfg.parse_dynamic_property("-Dk=") == ("k", "")
    with pytest.raises(ConfigError, match="'rest.port'.*key=value"):
        cfg.parse_dynamic_property("rest.port")
    with pytest.raises(ConfigError, match="key=value"):
        cfg.parse_dynamic_property("=3")
    with pytest.raises(ConfigError, match="'parallelism.default: 2'"):
        load_config(None, ["parallelism.default: 2"], env={})


def test_conf_dir_from_environment(tmp_path: Path) -> None:
    first, second = tmp_path / "py", tmp_path / "flink"
    first.mkdir()
    second.mkdir()
    _write(first, "config.yaml", "parallelism.default: 5\n")
    _write(second, "config.yaml", "parallelism.default: 7\n")
    both = {"FLINK_PY_CONF_DIR": str(first), "FLINK_CONF_DIR": str(second)}
    assert load_config(env=both).get(cfg.PARALLELISM_DEFAULT) == 5
    assert load_config(env={"FLINK_CONF_DIR": str(second)}).get(cfg.PARALLELISM_DEFAULT) == 7
    assert load_config(env={}).to_dict() == {}
    assert load_config(first, env={"FLINK_CONF_DIR": str(second)}).get("parallelism.default") == 5


def test_missing_conf_dir_is_an_error_but_empty_dir_is_fine(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match="nope"):
        load_config(missing, env={})
    with pytest.raises(ConfigError, match=r"\$FLINK_CONF_DIR.*nope"):
        load_config(env={"FLINK_CONF_DIR": str(missing)})
    assert load_config(tmp_path, env={}).to_dict() == {}


def test_legacy_flink_conf_yaml(tmp_path: Path) -> None:
    _write(tmp_path, "flink-conf.yaml", (
        "# Flink 1.x configuration\n"
        "jobmanager.rpc.address: jm-host\n"
        "taskmanager.numberOfTaskSlots: 3   # trailing comment\n"
        "state.checkpoints.dir: s3://bucket/cp\n"
        "pipeline.jars: file:///a.jar;file:///b.jar\n"
        "\n"
        "taskmanager.host:\n"
        "   \n"
    ))  # fmt: skip
    config = load_config(tmp_path, env={})
    assert config.get(cfg.JOBMANAGER_RPC_ADDRESS) == "jm-host"
    assert config.get(cfg.TASKMANAGER_NUM_TASK_SLOTS) == 3
    assert config.get(cfg.CHECKPOINTING_DIR) == "s3://bucket/cp"
    assert config.get(cfg.PIPELINE_JARS) == ("file:///a.jar", "file:///b.jar")
    assert not config.is_set("taskmanager.host")


def test_config_yaml_takes_priority_over_legacy_file(tmp_path: Path) -> None:
    _write(tmp_path, "flink-conf.yaml", "parallelism.default: 3\n")
    _write(tmp_path, "config.yaml", "parallelism.default: 4\n")
    assert load_config(tmp_path, env={}).get(cfg.PARALLELISM_DEFAULT) == 4


def test_malformed_files_name_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "config.yaml", "parallelism.default: [1,\n")
    with pytest.raises(ConfigError, match="config.yaml"):
        load_config(tmp_path, env={})
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="config.yaml.*not a list"):
        load_config(tmp_path, env={})
    path.unlink()
    _write(tmp_path, "flink-conf.yaml", "ok: 1\nno separator here\n")
    with pytest.raises(ConfigError, match="flink-conf.yaml', line 2"):
        load_config(tmp_path, env={})
    with pytest.raises(ConfigError, match="FLINK_PROPERTIES"):
        load_config(None, env={"FLINK_PROPERTIES": "a: [unclosed"})


def test_invalid_value_in_file_names_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "config.yaml", "heartbeat:\n  interval: soon\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={})
    message = str(info.value)
    assert "'heartbeat.interval'" in message
    assert "'soon' is not a duration" in message
    assert str(path) in message


def test_shipped_flink_file_loads_without_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    _write(tmp_path, "config.yaml", (
        "env:\n"
        "  java:\n"
        "    opts:\n"
        "      all: --add-exports=java.base/sun.net.util=ALL-UNNAMED\n"
        "jobmanager:\n"
        "  bind-host: localhost\n"
        "  rpc:\n"
        "    address: localhost\n"
        "    port: 6123\n"
        "  memory:\n"
        "    process:\n"
        "      size: 1600m\n"
        "  execution:\n"
        "    failover-strategy: region\n"
        "taskmanager:\n"
        "  bind-host: localhost\n"
        "  host: localhost\n"
        "  numberOfTaskSlots: 1\n"
        "  memory:\n"
        "    process:\n"
        "      size: 1728m\n"
        "parallelism:\n"
        "  default: 1\n"
        "rest:\n"
        "  address: localhost\n"
        "  bind-address: localhost\n"
    ))  # fmt: skip
    config = load_config(tmp_path, env={})
    assert caplog.records == []
    assert config.get(cfg.JOBMANAGER_MEMORY_PROCESS_SIZE) == 1600 * 1024**2
    assert config.get(cfg.JOBMANAGER_BIND_HOST) == "localhost"


# User-facing Configuration ------------------------------------------------------------------


def test_configuration_typed_round_trips() -> None:
    conf = Configuration()
    assert conf.set_string("pipeline.name", "wc") is conf
    conf.set_integer("parallelism.default", 4)
    conf.set_float("ratio", 0.25)
    conf.set_boolean("pipeline.object-reuse", True)
    conf.set_bytearray("blob", b"\x00\xffdata")
    assert conf.get_string("pipeline.name", "x") == "wc"
    assert conf.get_integer("parallelism.default", 1) == 4
    assert conf.get_float("ratio", 1.0) == 0.25
    assert conf.get_boolean("pipeline.object-reuse", False) is True
    assert conf.get_bytearray("blob", b"") == bytearray(b"\x00\xffdata")
    assert conf.to_dict() == {
        "pipeline.name": "wc",
        "parallelism.default": "4",
        "ratio": "0.25",
        "pipeline.object-reuse": "true",
        "blob": "AP9kYXRh",
    }
    assert conf.get_string("missing", "dflt") == "dflt"
    assert conf.get_integer("missing", 7) == 7
    assert conf.get_boolean("missing", True) is True
    assert conf.get_bytearray("missing", b"ab") == bytearray(b"ab")


def test_configuration_bad_values_name_the_key() -> None:
    conf = Configuration().set_string("parallelism.default", "many")
    with pytest.raises(ConfigError, match="'parallelism.default'.*not an integer"):
        conf.get_integer("parallelism.default", 1)
    with pytest.raises(ConfigError, match="'parallelism.default'"):
        conf.get_boolean("parallelism.default", False)
    with pytest.raises(TypeError):
        conf.set_string("k", 3)  # type: ignore[arg-type]


def test_configuration_keys_copies_and_equality() -> None:
    conf = Configuration().set_string("a", "1").set_string("b", "2")
    other = Configuration().set_string("c", "3")
    copied = Configuration(conf)
    assert copied == conf
    copied.set_string("a", "changed")
    assert conf.get_string("a", "") == "1"
    assert copied != conf
    conf.add_all(other)
    conf.add_all(other, prefix="pre.")
    assert conf.key_set() == {"a", "b", "c", "pre.c"}
    assert conf.contains_key("pre.c")
    assert conf.remove_config("b") is True
    assert conf.remove_config("b") is False
    assert not conf.contains_key("b")
    target: dict[str, str] = {"z": "0"}
    conf.add_all_to_dict(target)
    assert target == {"z": "0", "a": "1", "c": "3", "pre.c": "3"}
    deep = copy.deepcopy(conf)
    assert deep == conf and deep is not conf
    deep.set_string("a", "9")
    assert conf.get_string("a", "") == "1"
    assert repr(conf) == "Configuration({'a': '1', 'c': '3', 'pre.c': '3'})"
    assert conf != {"a": "1"}
