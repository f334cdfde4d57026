"""PyFlink's environment surface: state backends, checkpoint storage, dependencies, plan.

``env.set_state_backend`` really selects the keyed backend (the operators'
state handles and the checkpoint files show it), the checkpoint storage and a
deprecated backend's path decide where checkpoints go, ``add_python_file``
makes a module importable on TaskManagers of separate processes, and
``get_execution_plan`` is Flink's JSON plan with resolved parallelism and
ship strategies.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from flink_py.client.cluster_client import JobExecutionException
from flink_py.common import Configuration, ExecutionConfig, Types
from flink_py.common.runtime.checkpoint_storage import read_metadata, resolve_filesystem
from flink_py.datastream import (
    CheckpointConfig,
    CustomStateBackend,
    EmbeddedRocksDBStateBackend,
    ExternalizedCheckpointCleanup,
    FileSystemCheckpointStorage,
    FsStateBackend,
    HashMapStateBackend,
    JobManagerCheckpointStorage,
    KeyedProcessFunction,
    MapFunction,
    MemorySize,
    MemoryStateBackend,
    PredefinedOptions,
    RocksDBStateBackend,
    SlotSharingGroup,
    StreamExecutionEnvironment,
    TimeCharacteristic,
    ValueStateDescriptor,
)
from flink_py.datastream.connectors.number_seq import NumberSequenceSource

from tests.api_support import (
    HoldOpen,
    by_value,
    cluster_env,  # noqa: F401 - fixture
    collect_then_cancel,
    remote_environment,
    session_cluster,  # noqa: F401 - fixture
    two_taskmanagers_cluster,
)
from tests.conftest import wait_until

by_value(__name__)

TUPLE3 = Types.TUPLE([Types.INT(), Types.STRING(), Types.DOUBLE()])


def _env(parallelism: int = 2, config: Configuration | None = None
         ) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(parallelism)
    return env


class _Count(KeyedProcessFunction):
    """Counts per key; emits (key, count, the class name of the state handle)."""

    def open(self, runtime_context: Any) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))

    def process_element(self, value: Any, ctx: Any) -> Any:
        n = (self.count.value() or 0) + 1
        self.count.update(n)
        yield ctx.get_current_key(), n, type(self.count).__name__


def _run_counting_job(env: StreamExecutionEnvironment, keep_checkpoints: bool = False
                      ) -> list[Any]:
    """Count 40 records over 4 keys. ``keep_checkpoints``: the source then stays open
    until a checkpoint completed after the 40th result and the job is canceled, which
    keeps its checkpoints (RETAIN_ON_CANCELLATION; a finished job's are discarded)."""
    records = [f"k{i % 4}" for i in range(40)]
    if keep_checkpoints:
        source = env.add_source(HoldOpen(records), type_info=Types.STRING())
    else:
        source = env.from_collection(records, Types.STRING())
    counted = source.key_by(lambda r: r).process(_Count())
    if keep_checkpoints:
        return collect_then_cancel(counted, len(records))
    return list(counted.execute_and_collect())


def _keyed_handles(checkpoint_root: Path) -> list[dict[str, Any]]:
    """The keyed state handles of the latest retained checkpoint below ``checkpoint_root``."""
    metas = sorted(checkpoint_root.glob("*/chk-*/_metadata"),
                   key=lambda p: int(p.parent.name.split("-")[1]))
    assert metas, f"no completed checkpoint below {checkpoint_root}"
    fs, path = resolve_filesystem(str(metas[-1]))
    meta = read_metadata(fs, path)
    return [s["keyed"] for op in meta["operators"].values()
            for s in op["subtasks"].values() if s.get("keyed")]


@pytest.mark.parametrize(("module", "names"), [
    ("flink_py.datastream.state_backend", [
        "StateBackend", "HashMapStateBackend", "EmbeddedRocksDBStateBackend",
        "MemoryStateBackend", "FsStateBackend", "RocksDBStateBackend", "CustomStateBackend",
        "PredefinedOptions"]),
    ("flink_py.datastream.checkpoint_storage", [
        "CheckpointStorage", "JobManagerCheckpointStorage", "FileSystemCheckpointStorage",
        "CustomCheckpointStorage"]),
    ("flink_py.datastream.checkpoint_config", ["CheckpointConfig",
                                               "ExternalizedCheckpointCleanup"]),
    ("flink_py.datastream.slot_sharing_group", ["SlotSharingGroup", "MemorySize"]),
    ("flink_py.datastream.time_characteristic", ["TimeCharacteristic"]),
])
def test_pyflink_module_paths(module: str, names: list[str]) -> None:
    import importlib

    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []


# -- state backends ------------------------------------------------------------------------

def test_state_backend_classes_keep_pyflink_signatures() -> None:
    rocks = EmbeddedRocksDBStateBackend()
    assert rocks.is_incremental_checkpoints_enabled()  # flink-py's RocksDB default
    assert not EmbeddedRocksDBStateBackend(False).is_incremental_checkpoints_enabled()
    with pytest.raises(TypeError, match="enable_incremental_checkpointing"):
        EmbeddedRocksDBStateBackend(enable_incremental_checkpointing="yes")  # type: ignore[arg-type]
    assert rocks.get_predefined_options() is PredefinedOptions.DEFAULT
    rocks.set_predefined_options(PredefinedOptions.SPINNING_DISK_OPTIMIZED_HIGH_MEM)
    assert rocks.get_predefined_options() is PredefinedOptions.SPINNING_DISK_OPTIMIZED_HIGH_MEM
    rocks.set_db_storage_paths("/tmp/a", "/tmp/b")
    assert rocks.get_db_storage_paths() == ["/tmp/a", "/tmp/b"]
    assert rocks.get_number_of_transfer_threads() == 4
    rocks.set_number_of_transfer_threads(2)
    assert rocks.get_number_of_transfer_threads() == 2
    assert rocks.get_options() is None

    with pytest.raises(ValueError, match="checkpoint_directory_uri"):
        FsStateBackend()
    fs = FsStateBackend("file:///tmp/chk/", "file:///tmp/sp")
    assert fs.get_checkpoint_path() == "file:///tmp/chk"
    assert (fs.get_min_file_size_threshold(), fs.get_write_buffer_size()) == (20480, 4096)
    assert fs.is_using_asynchronous_snapshots()
    mem = MemoryStateBackend()
    assert mem.get_max_state_size() == MemoryStateBackend.DEFAULT_MAX_STATE_SIZE
    legacy = RocksDBStateBackend("file:///tmp/rocks", True)
    assert isinstance(legacy.get_checkpoint_backend(), FsStateBackend)
    assert legacy.get_checkpoint_backend().get_checkpoint_path() == "file:///tmp/rocks"
    assert legacy.is_incremental_checkpoints_enabled()
    assert legacy.get_number_of_transfering_threads() == 4


def test_set_state_backend_writes_the_options_the_job_ships() -> None:
    env = _env()
    backend = EmbeddedRocksDBStateBackend(enable_incremental_checkpointing=False)
    assert env.set_state_backend(backend) is env
    backend.set_db_storage_paths("/tmp/rocks-a", "/tmp/rocks-b")  # after set: still applies
    assert env.get_state_backend() is backend
    env.from_collection([1]).print()
    config = env.get_stream_graph_job().config
    assert config["state.backend.type"] == "rocksdb"
    assert config["execution.checkpointing.incremental"] == "false"
    assert config["state.backend.rocksdb.localdir"] == "/tmp/rocks-a"

    # A deprecated backend's path is the checkpoint directory...
    env = _env()
    env.set_state_backend(RocksDBStateBackend("/tmp/legacy-chk"))
    env.from_collection([1]).print()
    config = env.get_stream_graph_job().config
    assert (config["state.backend.type"], config["execution.checkpointing.dir"]) == \
        ("rocksdb", "/tmp/legacy-chk")
    assert "execution.checkpointing.incremental" not in config
    # ... unless the checkpoint storage is set explicitly.
    env = _env()
    env.set_state_backend(FsStateBackend("/tmp/legacy-chk", "/tmp/legacy-sp"))
    env.get_checkpoint_config().set_checkpoint_storage_dir("/tmp/explicit")
    env.from_collection([1]).print()
    config = env.get_stream_graph_job().config
    assert config["state.backend.type"] == "hashmap"
    assert config["execution.checkpointing.dir"] == "/tmp/explicit"
    assert config["execution.checkpointing.savepoint-dir"] == "/tmp/legacy-sp"
    assert env.get_default_savepoint_directory() == "/tmp/legacy-sp"

    with pytest.raises(TypeError, match="StateBackend"):
        env.set_state_backend("rocksdb")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="custom"):
        env.set_state_backend(CustomStateBackend(object()))


@pytest.mark.usefixtures("cluster_env")
def test_set_state_backend_selects_the_keyed_backend_of_a_running_job(tmp_path: Path) -> None:
    # The configuration says rocksdb; the program's HashMapStateBackend wins.
    env = _env(config=Configuration().set_string("state.backend.type", "rocksdb"))
    env.set_state_backend(HashMapStateBackend())
    assert {r[2] for r in _run_counting_job(env)} == {"HeapValueState"}

    runs = {"incremental": EmbeddedRocksDBStateBackend(True),
            "full": EmbeddedRocksDBStateBackend(enable_incremental_checkpointing=False)}
    for label, backend in runs.items():
        env = _env()
        env.set_state_backend(backend)
        env.enable_checkpointing(100)
        cc = env.get_checkpoint_config()
        cc.set_checkpoint_storage(FileSystemCheckpointStorage(f"file://{tmp_path / label}"))
        cc.set_externalized_checkpoint_cleanup(
            ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION)
        out = _run_counting_job(env, keep_checkpoints=True)
        assert {r[2] for r in out} == {"RocksDBValueState"}, label
        assert max(r[1] for r in out if r[0] == "k0") == 10
        handles = _keyed_handles(tmp_path / label)
        assert handles and {h["backend"] for h in handles} == {"rocksdb"}, label
        ssts_shared = [f for h in handles for f in h["shared"] if f.endswith(".sst")]
        ssts_private = [f for h in handles for f in h["private"] if f.endswith(".sst")]
        if label == "incremental":  # SST files go to <dir>/<job>/shared/
            assert ssts_shared and not ssts_private
            assert list((tmp_path / label).glob("*/shared/*.sst"))
        else:  # every file is private to chk-<n>/
            assert ssts_private and not ssts_shared


@pytest.mark.usefixtures("cluster_env")
def test_a_deprecated_backend_path_receives_the_checkpoints(tmp_path: Path) -> None:
    env = _env()
    env.set_state_backend(RocksDBStateBackend(str(tmp_path / "legacy"), True))
    env.enable_checkpointing(100)
    env.get_checkpoint_config().set_externalized_checkpoint_cleanup(
        ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION)
    assert {r[2] for r in _run_counting_job(env, keep_checkpoints=True)} == {"RocksDBValueState"}
    handles = _keyed_handles(tmp_path / "legacy")
    assert {h["backend"] for h in handles} == {"rocksdb"}


# -- checkpoint storage ----------------------------------------------------------------------

def test_checkpoint_storage_is_the_checkpoint_directory_configuration() -> None:
    env = _env()
    cc = env.get_checkpoint_config()
    assert isinstance(cc, CheckpointConfig)
    assert cc.get_checkpoint_storage() is None
    storage = FileSystemCheckpointStorage("file:///tmp/cp/", file_state_size_threshold=100)
    assert cc.set_checkpoint_storage(storage) is cc
    assert env.get_checkpoint_config().get_checkpoint_storage() is storage
    assert storage.get_min_file_size_threshold() == 100
    assert cc.get_checkpoint_storage_dir() == "file:///tmp/cp"
    cc.set_checkpoint_storage_dir("/tmp/other")
    again = cc.get_checkpoint_storage()
    assert isinstance(again, FileSystemCheckpointStorage)
    assert again.get_checkpoint_path() == "/tmp/other"
    # configure() with the old key is the same storage
    env2 = _env(config=Configuration().set_string("state.checkpoints.dir", "/tmp/via-config"))
    got = env2.get_checkpoint_config().get_checkpoint_storage()
    assert isinstance(got, FileSystemCheckpointStorage)
    assert got.get_checkpoint_path() == "/tmp/via-config"

    cc.set_checkpoint_storage(JobManagerCheckpointStorage("/tmp/jm"))
    jm = cc.get_checkpoint_storage()
    assert isinstance(jm, JobManagerCheckpointStorage)
    assert (jm.get_checkpoint_path(), jm.get_max_state_size()) == ("/tmp/jm", 5 * 1024 * 1024)
    env.from_collection([1]).print()
    config = env.get_stream_graph_job().config
    assert config["execution.checkpointing.storage"] == "jobmanager"
    assert config["execution.checkpointing.dir"] == "/tmp/jm"
    with pytest.raises(ValueError, match="checkpoint_path"):
        FileSystemCheckpointStorage()
    with pytest.raises(TypeError, match="set_checkpoint_storage"):
        cc.set_checkpoint_storage("/tmp/x")  # type: ignore[arg-type]


# -- environment getters and recorded options ----------------------------------------------

def test_environment_getters_and_recorded_dependencies(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    env = _env()
    assert env.is_chaining_enabled()
    env.disable_operator_chaining()
    assert not env.is_chaining_enabled()
    assert env.get_buffer_timeout() == 100
    env.set_buffer_timeout(5)
    assert env.get_buffer_timeout() == 5
    env.set_buffer_timeout(-1)
    assert env.get_buffer_timeout() == -1
    assert not env.is_unaligned_checkpoints_enabled()
    assert not env.is_force_unaligned_checkpoints()

    assert env.get_stream_time_characteristic() is TimeCharacteristic.EventTime
    env.set_stream_time_characteristic(TimeCharacteristic.ProcessingTime)
    assert env.get_stream_time_characteristic() is TimeCharacteristic.ProcessingTime
    assert env.get_config().get_auto_watermark_interval() == 0  # Flink's side effect

    env.set_default_savepoint_directory("/tmp/savepoints")
    assert env.get_default_savepoint_directory() == "/tmp/savepoints"

    with caplog.at_level(logging.INFO, "flink_py.datastream.stream_execution_environment"):
        env.add_jars("file:///a.jar", "file:///b.jar")
        env.add_classpaths("file:///c")
    assert "no JVM" in caplog.text
    env.add_python_file("/deps/a.py")
    env.add_python_file("/deps/b")
    env.add_python_archive("venv.zip", "venv")
    env.add_python_archive("data.zip")
    env.set_python_requirements("requirements.txt", "cache")
    env.set_python_executable("venv/bin/python")
    env.register_cached_file("/data/x.txt", "x", executable=True)
    config = env._config  # noqa: SLF001
    assert config.get("pipeline.jars") == ("file:///a.jar", "file:///b.jar")
    assert config.get("pipeline.classpaths") == ("file:///c",)
    assert config.get("python.files") == "/deps/b,/deps/a.py"  # PyFlink prepends
    assert config.get("python.archives") == "venv.zip#venv,data.zip"
    assert config.get("python.requirements") == "requirements.txt#cache"
    assert config.get("python.executable") == "venv/bin/python"
    assert config.get("pipeline.cached-files") == ("name:x,path:'/data/x.txt',executable:true",)
    assert config.get("execution.checkpointing.savepoint-dir") == "/tmp/savepoints"


def test_default_local_parallelism_applies_to_later_local_environments(local_env: None) -> None:
    old = StreamExecutionEnvironment._default_local_parallelism  # noqa: SLF001
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        assert env.get_default_local_parallelism() == (os.cpu_count() or 1)
        assert env.get_parallelism() == 1  # parallelism.default
        env.set_default_local_parallelism(3)
        assert env.get_default_local_parallelism() == 3
        later = StreamExecutionEnvironment.get_execution_environment()
        assert later.get_parallelism() == 3
        later.from_collection([1]).map(lambda x: x).print()
        assert {v.parallelism for v in later.get_stream_graph_job().vertices} == {1, 3}
        explicit = StreamExecutionEnvironment.get_execution_environment(
            Configuration().set_string("parallelism.default", "2"))
        assert explicit.get_parallelism() == 2
    finally:
        StreamExecutionEnvironment._default_local_parallelism = old  # noqa: SLF001


class _Slow(MapFunction):
    def map(self, value: Any) -> Any:
        import time

        time.sleep(0.002)
        return value


@pytest.mark.usefixtures("cluster_env")
def test_default_savepoint_directory_receives_savepoints(tmp_path: Path) -> None:
    env = _env(1, Configuration()  # little in flight: the savepoint barrier is quick
               .set_string("taskmanager.network.batch.max-rows", "20")
               .set_string("taskmanager.network.memory.max-buffers-per-channel", "2"))
    env.enable_checkpointing(10_000)
    env.get_checkpoint_config().set_checkpoint_storage_dir(str(tmp_path / "chk"))
    env.set_default_savepoint_directory(str(tmp_path / "savepoints"))
    (env.from_source(NumberSequenceSource(0, 10**9), None, "numbers")
     .key_by(lambda n: n % 3).map(_Slow(), Types.LONG()).print())
    job = env.execute_async("savepoint-dir")
    client = job._client  # noqa: SLF001

    def savepoint() -> str | None:
        try:
            return client.trigger_savepoint(job.get_job_id(), timeout=30)
        except ValueError:  # not running yet
            return None

    try:
        path = wait_until(savepoint, timeout=60)
        assert Path(path).parent == tmp_path / "savepoints"
        assert (Path(path) / "_metadata").exists()
    finally:
        job.cancel()
    with pytest.raises(JobExecutionException):
        job.get_job_execution_result().result()


# -- execution plan ------------------------------------------------------------------------

def test_execution_plan_lists_operators_parallelism_and_ship_strategies() -> None:
    env = _env(2)
    src = env.from_collection([(1, "a", 1.0)], TUPLE3)
    (src.map(lambda t: t, TUPLE3).name("to-tuple").set_description("keeps the tuple")
     .key_by(lambda t: t[1]).process(_Count()).set_parallelism(3)
     .rebalance().map(lambda r: r).set_parallelism(3)
     .print().name("out").set_description("prints").set_parallelism(3))
    plan = json.loads(env.get_execution_plan())
    nodes = plan["nodes"]
    assert [n["type"] for n in nodes] == ["Source: Collection Source", "to-tuple",
                                          "KeyedProcess", "Map", "Sink: out"]
    by_type = {n["type"]: n for n in nodes}
    assert [n["pact"] for n in nodes] == ["Data Source", "Operator", "Operator", "Operator",
                                          "Data Sink"]
    assert [n["parallelism"] for n in nodes] == [1, 2, 3, 3, 3]
    assert "predecessors" not in by_type["Source: Collection Source"]
    assert by_type["to-tuple"]["contents"] == "keeps the tuple"
    assert by_type["Sink: out"]["contents"] == "prints"
    assert by_type["Map"]["contents"] == "Map"
    edges = {n["type"]: [(p["id"], p["ship_strategy"], p["side"]) for p in n["predecessors"]]
             for n in nodes if "predecessors" in n}
    ids = {n["type"]: n["id"] for n in nodes}
    assert edges == {
        "to-tuple": [(ids["Source: Collection Source"], "REBALANCE", "second")],
        "KeyedProcess": [(ids["to-tuple"], "HASH", "second")],
        "Map": [(ids["KeyedProcess"], "REBALANCE", "second")],
        "Sink: out": [(ids["Map"], "FORWARD", "second")],
    }
    # the plan does not consume the program
    assert len(env.get_stream_graph_job().vertices) == 4  # Map -> out chained


# -- DataStream and DataStreamSink surface -------------------------------------------------

def test_stream_surface_methods() -> None:
    env = _env(2)
    ds = env.from_collection([(1, "a", 1.0)], TUPLE3)
    assert ds.get_execution_environment() is env
    assert isinstance(ds.get_execution_config(), ExecutionConfig)
    assert ds.get_name() == "Collection Source"
    assert ds.get_type() == TUPLE3

    m = ds.map(lambda t: t, TUPLE3).force_non_parallel()
    with pytest.raises(ValueError, match="non-parallel"):
        m.set_parallelism(2)
    assert m.set_buffer_timeout(5) is m and m.set_description("d") is m
    keyed = ds.key_by(lambda t: t[0])
    for call in (keyed.force_non_parallel, lambda: keyed.set_buffer_timeout(1),
                 lambda: keyed.set_uid_hash("0" * 32)):
        with pytest.raises(TypeError, match="KeyedStream"):
            call()
    with pytest.raises(TypeError, match="Only Tuple DataStreams can be projected"):
        env.from_collection([1, 2]).project(0)
    with pytest.raises(IndexError):
        ds.project(3)

    group = (SlotSharingGroup.builder("heavy").set_cpu_cores(1.0)
             .set_task_heap_memory_mb(100).build())
    sink = m.slot_sharing_group(group).print()
    assert sink.set_uid_hash("ab" * 16) is sink
    with pytest.raises(ValueError, match="32 character"):
        sink.set_uid_hash("xyz")
    assert sink.set_description("sink").slot_sharing_group("other") is sink
    assert env._slot_sharing_groups["heavy"] is group  # noqa: SLF001 - registered
    plan = {n["type"]: n for n in json.loads(env.get_execution_plan())["nodes"]}
    assert plan["Map"]["parallelism"] == 1 and plan["Map"]["contents"] == "d"
    graph = env.get_stream_graph_job()
    groups = {op.name: v.slot_sharing_group for v in graph.vertices for op in v.operators}
    assert groups["Map"] == "heavy" and groups["Sink: Print to Std. Out"] == "other"
    sink_op = next(op for v in graph.vertices for op in v.operators
                   if op.name == "Sink: Print to Std. Out")
    assert sink_op.uid_hash == "ab" * 16


def test_slot_sharing_group_builder_validates_like_flink() -> None:
    group = (SlotSharingGroup.builder("g").set_cpu_cores(1.5).set_task_heap_memory_mb(100)
             .set_managed_memory(MemorySize.of_mebi_bytes(50)).set_external_resource("gpu", 1)
             .build())
    assert group.get_name() == "g" and group.get_cpu_cores() == 1.5
    assert group.get_task_heap_memory() == MemorySize.of_mebi_bytes(100)
    assert group.get_task_off_heap_memory() == MemorySize(bytes_size=0)
    assert group.get_managed_memory().get_mebi_bytes() == 50
    assert group.get_external_resources() == {"gpu": 1.0}
    assert SlotSharingGroup.builder("plain").build().get_cpu_cores() is None
    with pytest.raises(ValueError, match="cpu cores and task heap memory are required"):
        SlotSharingGroup.builder("g").set_cpu_cores(1).build()
    with pytest.raises(ValueError, match="positive"):
        SlotSharingGroup.builder("g").set_cpu_cores(0)
    assert str(MemorySize.of_mebi_bytes(100)) == "100 mb"
    env = _env()
    assert env.register_slot_sharing_group(group) is env


@pytest.mark.usefixtures("cluster_env")
def test_project_keeps_the_selected_fields_as_a_typed_tuple() -> None:
    env = _env(2)
    rows = [(i, f"s{i}", i / 2) for i in range(10)]
    out = (env.from_collection(rows, TUPLE3).project(2, 0)
           .map(lambda t: (t[0] * 2, t[1] + 1), Types.TUPLE([Types.DOUBLE(), Types.INT()]))
           .execute_and_collect())
    assert sorted(out) == sorted((i / 2 * 2, i + 1) for i in range(10))


# -- add_python_file on a cluster of separate processes ------------------------------------

class _UsesShippedModules(MapFunction):
    """Imports modules that exist only in the shipped python files."""

    def __init__(self, dir_module: str, file_module: str) -> None:
        self.dir_module = dir_module
        self.file_module = file_module

    def map(self, value: int) -> str:
        import importlib

        helper = importlib.import_module(self.dir_module)
        single = importlib.import_module(self.file_module)
        return f"{helper.triple(value)}:{single.TAG}:{helper.__file__ is not None}"


@pytest.mark.slow
def test_add_python_file_makes_modules_importable_on_two_taskmanagers(tmp_path: Path) -> None:
    suffix = os.urandom(4).hex()
    dir_module, file_module = f"shipped_helper_{suffix}", f"shipped_single_{suffix}"
    deps = tmp_path / "deps"
    (deps / dir_module).mkdir(parents=True)
    (deps / dir_module / "__init__.py").write_text("from .impl import triple\n")
    (deps / dir_module / "impl.py").write_text("def triple(x):\n    return 3 * x\n")
    single = tmp_path / "single" / f"{file_module}.py"
    single.parent.mkdir()
    single.write_text("TAG = 'single'\n\n\ndef same(value):\n    return value\n\n\n"
                      "def exclaim(text):\n    return text + '!'\n")

    with two_taskmanagers_cluster(tmp_path) as cluster, \
            remote_environment(cluster.address, parallelism=2) as env:
        # Without the files the TaskManagers cannot import the modules.
        env.from_collection(list(range(4))).map(_UsesShippedModules(dir_module, file_module)) \
            .print()
        with pytest.raises(JobExecutionException, match="ModuleNotFoundError"):
            env.execute("no python files")

        env.add_python_file(str(deps))
        env.add_python_file(str(single))
        # A function of a shipped module the client imported is pickled by reference:
        # the worker must install the files before it loads the operator.
        sys.path.insert(0, str(single.parent))
        try:
            mod = __import__(file_module)
            out = (env.from_collection(list(range(20))).rebalance()
                   .map(mod.same)  # the chain head: loaded first on the worker
                   .map(_UsesShippedModules(dir_module, file_module), Types.STRING())
                   .map(mod.exclaim, Types.STRING())
                   .execute_and_collect())
        finally:
            sys.path.remove(str(single.parent))
            del sys.modules[file_module]
        assert sorted(out) == sorted(f"{3 * i}:single:True!" for i in range(20))
        assert dir_module not in sys.modules  # the package was only imported on the workers


def test_changelog_state_backend_choice_is_recorded() -> None:
    """PyFlink's test_enable_changelog_state_backend."""
    env = _env()
    assert env.is_changelog_state_backend_enabled() is None
    env.enable_changelog_state_backend(True)
    assert env.is_changelog_state_backend_enabled() is True
    env.enable_changelog_state_backend(False)
    assert env.is_changelog_state_backend_enabled() is False
    env.from_collection([1]).print()
    assert env.get_stream_graph_job().config["state.changelog.enabled"] == "false"
