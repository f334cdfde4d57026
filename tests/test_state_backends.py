"""Keyed state backends: snapshots, restore, rescaling, RocksDB memory and incremental uploads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flink_py.common.runtime.checkpoint_storage import (
    CheckpointCorruptError,
    CheckpointStorage,
    SharedStateRegistry,
)
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.keygroups import (
    KeyGroupRange,
    assign_key_to_parallel_operator,
    key_group_range_for_operator_index,
)
from flink_py.datastream.functions import AggregateFunction
from flink_py.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    ValueStateDescriptor,
)
from flink_py.taskmanager.state import (
    HeapKeyedStateBackend,
    KeyedStateBackend,
    KeyedStateHandle,
    create_keyed_state_backend,
)
from flink_py.taskmanager.state.rocksdb_backend import RocksDBKeyedStateBackend, RocksDBOptions

M = 128
BACKENDS = ["hashmap", "rocksdb"]


class _ListAgg(AggregateFunction):
    """Accumulates into a mutable list (exercises copy-on-write)."""

    def create_accumulator(self) -> list[Any]:
        return []

    def add(self, value: Any, accumulator: list[Any]) -> list[Any]:
        accumulator.append(value)
        return accumulator

    def get_result(self, accumulator: list[Any]) -> int:
        return sum(accumulator)

    def merge(self, a: list[Any], b: list[Any]) -> list[Any]:
        return a + b


def _make(kind: str, kg_range: KeyGroupRange | None = None, **config: Any) -> KeyedStateBackend:
    return create_keyed_state_backend(FlinkConfig({"state.backend.type": kind, **config}), M,
                                      kg_range)


class _States:
    def __init__(self, backend: KeyedStateBackend) -> None:
        self.value = backend.get_state(ValueStateDescriptor("v", None))
        self.list = backend.get_list_state(ListStateDescriptor("l", None))
        self.map = backend.get_map_state(MapStateDescriptor("m", None, None))
        self.reducing = backend.get_reducing_state(
            ReducingStateDescriptor("r", lambda a, b: a + b, None))
        self.agg = backend.get_aggregating_state(AggregatingStateDescriptor("a", _ListAgg(), None))


def _num(key: Any) -> int:
    return key if isinstance(key, int) else len(repr(key))


def _fill(backend: KeyedStateBackend, keys: list[Any]) -> None:
    s = _States(backend)
    for k in keys:
        backend.set_current_key(k)
        s.value.update(f"v{k}")
        s.list.add_all([k, k])
        s.map.put("x", k)
        s.map.put(("t", 1), [k])
        s.reducing.add(_num(k))
        s.reducing.add(1)
        s.agg.add(_num(k))
        s.agg.add(2)


def _check(backend: KeyedStateBackend, keys: list[Any]) -> None:
    s = _States(backend)
    for k in keys:
        backend.set_current_key(k)
        assert s.value.value() == f"v{k}"
        assert list(s.list.get()) == [k, k]
        assert dict(s.map.items()) == {"x": k, ("t", 1): [k]}
        assert s.reducing.get() == _num(k) + 1
        assert s.agg.get() == _num(k) + 2


def _snapshot(backend: KeyedStateBackend, storage: CheckpointStorage, n: int,
              name: str = "op") -> KeyedStateHandle:
    storage.initialize_checkpoint(n)
    return backend.snapshot(n, storage, name).run()


@pytest.fixture
def storage(tmp_path: Any) -> CheckpointStorage:
    return CheckpointStorage(f"file://{tmp_path}/checkpoints", "job-1")


@pytest.mark.parametrize("kind", BACKENDS)
def test_round_trip_all_state_kinds(kind: str, storage: CheckpointStorage) -> None:
    keys: list[Any] = [*range(50), "a", "b", ("tuple", 3)]
    backend = _make(kind)
    _fill(backend, keys)
    handle = KeyedStateHandle.from_json(_snapshot(backend, storage, 1).to_json())
    assert handle.states == {"v": "value", "l": "list", "m": "map", "r": "reducing",
                             "a": "aggregating"}
    backend.close()
    restored = _make(kind)
    restored.restore([handle], storage)
    _check(restored, keys)
    assert sorted(map(repr, restored.get_keys("v"))) == sorted(map(repr, keys))
    restored.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_snapshot_is_a_consistent_cut(kind: str, storage: CheckpointStorage) -> None:
    """Changes after the synchronous part (even in-place ones) are not in the snapshot."""
    backend = _make(kind)
    _fill(backend, [1, 2])
    pending = backend.snapshot(1, storage, "op")
    s = _States(backend)
    backend.set_current_key(1)
    s.list.add(99)
    s.map.get(("t", 1)).append("mutated")  # in-place mutation of a read value
    s.agg.add(100)
    s.value.update("new")
    backend.set_current_key(3)
    s.value.update("v3")
    storage.initialize_checkpoint(1)
    handle = pending.run()
    backend.set_current_key(1)
    assert list(s.list.get()) == [1, 1, 99]
    assert s.agg.get() == 103
    restored = _make(kind)
    restored.restore([handle], storage)
    _check(restored, [1, 2])
    assert sorted(restored.get_keys("v")) == [1, 2]
    restored.close()
    backend.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_internal_access_bound_before_a_snapshot_is_copy_on_write(
        kind: str, storage: CheckpointStorage) -> None:
    """Built-in operators bind get_internal/put_internal once and mutate what they read."""
    backend = _make(kind)
    state = backend.get_internal_value_state(ValueStateDescriptor("windows", None))
    get, put = state.get_internal, state.put_internal
    put("k", {"w1": [1]})
    pending = backend.snapshot(1, storage, "op")
    windows = get("k")
    windows["w1"].append(2)
    windows["w2"] = [3]
    put("k", windows)
    put("other", {"w": [0]})
    storage.initialize_checkpoint(1)
    handle = pending.run()
    assert get("k") == {"w1": [1, 2], "w2": [3]}
    restored = _make(kind)
    restored.restore([handle], storage)
    view = restored.get_internal_value_state(ValueStateDescriptor("windows", None))
    assert dict(view.items_internal()) == {"k": {"w1": [1]}}
    restored.close()
    backend.close()


def test_heap_copy_on_write_ends_with_the_snapshot(storage: CheckpointStorage) -> None:
    backend = HeapKeyedStateBackend(M)
    _fill(backend, [1])
    s = _States(backend)
    pending = backend.snapshot(1, storage, "op")
    assert backend._tables["l"].cow is not None
    storage.initialize_checkpoint(1)
    pending.run()
    assert all(t.cow is None for t in backend._tables.values())
    # without a snapshot in flight, values are shared again (no copies on the hot path)
    backend.set_current_key(1)
    acc = backend._tables["a"][1]
    s.agg.add(5)
    assert backend._tables["a"][1] is acc
    with pytest.raises(RuntimeError, match="already run"):
        pending.run()


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("target", BACKENDS)
def test_rescale_restore_owns_exactly_its_key_groups(kind: str, target: str,
                                                     storage: CheckpointStorage) -> None:
    keys = list(range(400)) + [f"k{i}" for i in range(100)]
    handles = []
    for index in range(2):
        kg_range = key_group_range_for_operator_index(M, 2, index)
        backend = _make(kind, kg_range)
        _fill(backend, [k for k in keys if assign_key_to_parallel_operator(k, M, 2) == index])
        handles.append(_snapshot(backend, storage, 1, f"op-{index}"))
        backend.close()
    if kind == "rocksdb" and target == "hashmap":
        with pytest.raises(ValueError, match="cannot restore a rocksdb snapshot"):
            _make(target).restore(handles, storage)
        return
    for parallelism in (1, 3):
        seen: list[Any] = []
        for index in range(parallelism):
            kg_range = key_group_range_for_operator_index(M, parallelism, index)
            restored = _make(target, kg_range)
            restored.restore(handles, storage)
            owned = list(restored.get_keys("v"))
            assert all(assign_key_to_parallel_operator(k, M, parallelism) == index
                       for k in owned)
            _check(restored, owned)
            seen.extend(owned)
            restored.close()
        assert sorted(map(repr, seen)) == sorted(map(repr, keys))  # every key exactly once


@pytest.mark.parametrize("kind", BACKENDS)
def test_restore_refuses_another_max_parallelism(kind: str, storage: CheckpointStorage) -> None:
    backend = _make(kind)
    _fill(backend, [1])
    handle = _snapshot(backend, storage, 1)
    other = create_keyed_state_backend(FlinkConfig({"state.backend.type": kind}), 256)
    with pytest.raises(ValueError, match="max parallelism 128 into max parallelism 256"):
        other.restore([handle], storage)
    other.close()
    backend.close()


def test_restored_state_keeps_its_kind(storage: CheckpointStorage) -> None:
    backend = HeapKeyedStateBackend(M)
    _fill(backend, [1])
    handle = _snapshot(backend, storage, 1)
    restored = HeapKeyedStateBackend(M)
    restored.restore([handle], storage)
    with pytest.raises(ValueError, match="'v' was restored as value state"):
        restored.get_list_state(ListStateDescriptor("v", None))


def test_heap_corrupt_or_missing_file_names_the_path(storage: CheckpointStorage) -> None:
    backend = HeapKeyedStateBackend(M)
    _fill(backend, list(range(20)))
    handle = _snapshot(backend, storage, 1)
    assert handle.path is not None
    local = handle.path
    data = bytearray(Path(local).read_bytes())
    offset, length = next(iter(handle.offsets.values()))
    data[offset + length - 1] ^= 0xFF
    Path(local).write_bytes(bytes(data))
    with pytest.raises(CheckpointCorruptError, match="checksum mismatch") as err:
        HeapKeyedStateBackend(M).restore([handle], storage)
    assert local in str(err.value)
    os.remove(local)
    with pytest.raises(CheckpointCorruptError, match="missing") as err:
        HeapKeyedStateBackend(M).restore([handle], storage)
    assert err.value.path == local


def _rocks(local_dir: str, **options: int) -> RocksDBKeyedStateBackend:
    return RocksDBKeyedStateBackend(M, local_dir=local_dir, options=RocksDBOptions(**options))


def test_rocksdb_state_larger_than_its_memory(tmp_path: Any, storage: CheckpointStorage) -> None:
    memory = 1 << 20
    backend = _rocks(str(tmp_path / "work"), block_cache_size=memory, write_buffer_size=memory,
                     write_buffer_count=2)
    value = backend.get_state(ValueStateDescriptor("big", None))
    n = 40_000  # ~16 MB of incompressible values: 5x the block cache plus both write buffers
    payloads = [os.urandom(400) for _ in range(n)]
    for i in range(n):
        backend.set_current_key(i)
        value.update((i, payloads[i]))
    def size(path: str) -> int:
        try:
            return os.path.getsize(path)
        except FileNotFoundError:  # a background compaction removed it meanwhile
            return 0

    db_bytes = sum(size(os.path.join(root, f))
                   for root, _, files in os.walk(backend.working_directory) for f in files)
    assert db_bytes > 5 * 3 * memory
    for i in range(0, n, 7):
        backend.set_current_key(i)
        assert value.value() == (i, payloads[i])
    handle = _snapshot(backend, storage, 1)
    backend.close()
    restored = _rocks(str(tmp_path / "work2"))
    restored.restore([handle], storage)
    value = restored.get_state(ValueStateDescriptor("big", None))
    restored.set_current_key(n - 1)
    assert value.value() == (n - 1, payloads[n - 1])
    restored.close()


def _write(backend: KeyedStateBackend, keys: range) -> None:
    state = backend.get_state(ValueStateDescriptor("v", None))
    for k in keys:
        backend.set_current_key(k)
        state.update(f"value-{k}" * 20)


def test_rocksdb_incremental_uploads_only_new_sst_files(tmp_path: Any,
                                                        storage: CheckpointStorage) -> None:
    backend = _rocks(str(tmp_path / "work"))
    _write(backend, range(0, 2000))
    h1 = _snapshot(backend, storage, 1)
    after_first = set(storage.list_files(storage.shared_path))
    assert after_first == set(h1.shared.values()) and after_first
    backend.notify_checkpoint_complete(1)
    _write(backend, range(2000, 2100))
    h2 = _snapshot(backend, storage, 2)
    uploaded = set(storage.list_files(storage.shared_path)) - after_first
    assert uploaded == set(h2.shared.values()) - set(h1.shared.values())
    assert uploaded, "the changed data must be uploaded"
    assert set(h1.shared.values()) <= set(h2.shared.values()), "unchanged SSTs are referenced"
    assert all(p.endswith(".sst") for p in uploaded)
    assert not any(p.endswith(".sst") for p in storage.list_files(storage.checkpoint_path(2)))

    # retention: chk-1 goes, its SST files stay for chk-2, which stays restorable
    registry = SharedStateRegistry(storage)
    registry.retain(1, h1.shared_files(), num_retained=1)
    assert registry.retain(2, h2.shared_files(), num_retained=1) == [1]
    assert storage.list_files(storage.checkpoint_path(1)) == []
    assert set(storage.list_files(storage.shared_path)) == set(h2.shared.values())
    backend.close()
    restored = _rocks(str(tmp_path / "work2"))
    restored.restore([h2], storage)
    state = restored.get_state(ValueStateDescriptor("v", None))
    for k in (0, 1999, 2099):
        restored.set_current_key(k)
        assert state.value() == f"value-{k}" * 20

    # the restored backend keeps referencing the restored SSTs in its next checkpoint
    _write(restored, range(3000, 3010))
    h3 = _snapshot(restored, storage, 3)
    assert set(h2.shared.values()) <= set(h3.shared.values())
    registry.retain(3, h3.shared_files(), num_retained=1)
    assert set(storage.list_files(storage.shared_path)) == set(h3.shared.values())
    restored.close()


def test_rocksdb_unconfirmed_checkpoint_is_not_a_base(tmp_path: Any,
                                                      storage: CheckpointStorage) -> None:
    backend = _rocks(str(tmp_path / "work"))
    _write(backend, range(100))
    h1 = _snapshot(backend, storage, 1)
    h2 = _snapshot(backend, storage, 2)  # checkpoint 1 never completed: upload again
    assert not set(h1.shared.values()) & set(h2.shared.values())
    backend.close()


def test_rocksdb_full_snapshots_when_not_incremental(tmp_path: Any,
                                                     storage: CheckpointStorage) -> None:
    backend = _make("rocksdb", None, **{"state.backend.incremental": "false",
                                        "state.backend.rocksdb.localdir": str(tmp_path / "w")})
    assert isinstance(backend, RocksDBKeyedStateBackend) and not backend.incremental
    _write(backend, range(100))
    handle = _snapshot(backend, storage, 1)
    assert handle.shared == {} and any(n.endswith(".sst") for n in handle.private)
    assert storage.list_files(storage.shared_path) == []
    backend.close()


def test_rocksdb_missing_or_truncated_file_names_the_path(tmp_path: Any,
                                                          storage: CheckpointStorage) -> None:
    backend = _rocks(str(tmp_path / "work"))
    _write(backend, range(100))
    handle = _snapshot(backend, storage, 1)
    backend.close()
    sst = next(iter(handle.shared.values()))
    with open(sst, "r+b") as f:
        f.truncate(10)
    with pytest.raises(CheckpointCorruptError, match="size 10 != expected") as err:
        _rocks(str(tmp_path / "w2")).restore([handle], storage)
    assert sst in str(err.value)
    os.remove(sst)
    with pytest.raises(CheckpointCorruptError, match="missing") as err:
        _rocks(str(tmp_path / "w3")).restore([handle], storage)
    assert err.value.path == sst


def test_backend_type_from_configuration(tmp_path: Any) -> None:
    assert isinstance(_make("hashmap"), HeapKeyedStateBackend)
    assert isinstance(create_keyed_state_backend(None, M), HeapKeyedStateBackend)
    rocks = _make("rocksdb", KeyGroupRange(0, 63), **{
        "state.backend.rocksdb.localdir": str(tmp_path / "rocks"),
        "state.backend.rocksdb.block.cache-size": "2mb",
        "state.backend.rocksdb.writebuffer.size": "1mb"})
    assert isinstance(rocks, RocksDBKeyedStateBackend)
    assert rocks.incremental and rocks.key_group_range == KeyGroupRange(0, 63)
    assert rocks.options == RocksDBOptions(2 << 20, 1 << 20, 2)
    assert rocks.working_directory.startswith(str(tmp_path / "rocks"))
    rocks.close()
    assert not os.path.exists(rocks.working_directory)
    with pytest.raises(ValueError, match="exceeds the max parallelism"):
        HeapKeyedStateBackend(M, KeyGroupRange(0, M))
