"""State time-to-live: StateTtlConfig, TTL enforcement and cleanup in both keyed backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Configuration, Types
from flink_py.common.runtime.checkpoint_storage import CheckpointStorage
from flink_py.common.time import Duration, Time
from flink_py.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from flink_py.datastream.functions import AggregateFunction
from flink_py.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    StateDescriptor,
    StateTtlConfig,
    ValueStateDescriptor,
)
from flink_py.taskmanager.state import HeapKeyedStateBackend, KeyedStateBackend
from flink_py.taskmanager.state.rocksdb_backend import RocksDBKeyedStateBackend
from tests.api_support import (
    by_value,
    cluster_env,  # noqa: F401 - fixture
    mark_done,
    sequenced,
    session_cluster,  # noqa: F401 - fixture
)

by_value(__name__)

M = 128
TTL = 100
T0 = 1_000_000
BACKENDS = ["hashmap", "rocksdb"]
KINDS = ["value", "list", "map", "reducing", "aggregating"]


class Clock:
    """An injectable TtlTimeProvider."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def current_timestamp(self) -> int:
        return self.now


class _Sum(AggregateFunction):
    def create_accumulator(self) -> list[int]:
        return [0]

    def add(self, value: int, accumulator: list[int]) -> list[int]:
        accumulator[0] += value
        return accumulator

    def get_result(self, accumulator: list[int]) -> int:
        return accumulator[0]

    def merge(self, a: list[int], b: list[int]) -> list[int]:
        return [a[0] + b[0]]


def _backend(kind: str, clock: Clock, incremental: bool = True) -> KeyedStateBackend:
    if kind == "hashmap":
        return HeapKeyedStateBackend(M, ttl_time_provider=clock)
    return RocksDBKeyedStateBackend(M, ttl_time_provider=clock, incremental=incremental)


def _builder(ttl: Any = None) -> StateTtlConfig.Builder:
    return StateTtlConfig.new_builder(Time.milliseconds(TTL) if ttl is None else ttl)


def _descriptor(kind: str, config: StateTtlConfig | None, name: str = "s") -> StateDescriptor:
    desc: StateDescriptor = {
        "value": lambda: ValueStateDescriptor(name, Types.INT()),
        "list": lambda: ListStateDescriptor(name, Types.INT()),
        "map": lambda: MapStateDescriptor(name, Types.STRING(), Types.INT()),
        "reducing": lambda: ReducingStateDescriptor(name, lambda a, b: a + b, Types.INT()),
        "aggregating": lambda: AggregatingStateDescriptor(name, _Sum(), Types.INT()),
    }[kind]()
    if config is not None:
        desc.enable_time_to_live(config)
    return desc


def _state(backend: KeyedStateBackend, kind: str, desc: StateDescriptor) -> Any:
    getter = {"value": backend.get_state, "list": backend.get_list_state,
              "map": backend.get_map_state, "reducing": backend.get_reducing_state,
              "aggregating": backend.get_aggregating_state}[kind]
    return getter(desc)  # type: ignore[operator]


def _write(kind: str, state: Any, n: int = 5) -> None:
    if kind == "value":
        state.update(n)
    elif kind == "map":
        state.put("a", n)
    else:
        state.add(n)


def _read(kind: str, state: Any) -> Any:
    """The visible value: 5 after ``_write``, None when nothing is visible."""
    if kind == "list":
        values = list(state.get())
        return values[0] if values else None
    if kind == "map":
        return state.get("a")
    return state.value() if kind == "value" else state.get()


@pytest.fixture
def storage(tmp_path: Path) -> CheckpointStorage:
    return CheckpointStorage(f"file://{tmp_path}/checkpoints", "job-ttl")


def _snapshot(backend: KeyedStateBackend, storage: CheckpointStorage, n: int) -> Any:
    storage.initialize_checkpoint(n)
    return backend.snapshot(n, storage, "op").run()


# -- configuration -----------------------------------------------------------------
def test_builder_defaults_getters_and_setters() -> None:
    config = StateTtlConfig.new_builder(Time.seconds(10)).build()
    assert config.get_ttl_millis() == 10_000 and config.is_enabled()
    assert config.get_update_type() is StateTtlConfig.UpdateType.OnCreateAndWrite
    assert config.get_state_visibility() is StateTtlConfig.StateVisibility.NeverReturnExpired
    assert (config.get_ttl_time_characteristic()
            is StateTtlConfig.TtlTimeCharacteristic.ProcessingTime)
    strategies = config.get_cleanup_strategies()
    assert strategies.is_cleanup_in_background() and not strategies.in_full_snapshot()
    assert strategies.get_incremental_cleanup_strategy().get_cleanup_size() == 5
    assert strategies.get_rocksdb_compact_filter_cleanup_strategy(
        ).get_query_time_after_num_entries() == 1000

    config = (StateTtlConfig.new_builder(Duration.of_millis(1500))
              .set_update_type(StateTtlConfig.UpdateType.OnReadAndWrite)
              .set_state_visibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
              .set_ttl_time_characteristic(StateTtlConfig.TtlTimeCharacteristic.ProcessingTime)
              .cleanup_full_snapshot().cleanup_incrementally(10, True)
              .cleanup_in_rocksdb_compact_filter(7).disable_cleanup_in_background().build())
    assert config.get_ttl_millis() == 1500
    assert config.get_update_type() is StateTtlConfig.UpdateType.OnReadAndWrite
    strategies = config.get_cleanup_strategies()
    assert strategies.in_full_snapshot() and not strategies.is_cleanup_in_background()
    incremental = strategies.get_incremental_cleanup_strategy()
    assert incremental.get_cleanup_size() == 10 and incremental.run_cleanup_for_every_record()
    assert strategies.get_rocksdb_compact_filter_cleanup_strategy(
        ).get_query_time_after_num_entries() == 7

    shortcuts = (StateTtlConfig.new_builder(Time.seconds(1)).update_ttl_on_read_and_write()
                 .return_expired_if_not_cleaned_up().disable_cleanup_in_background().build())
    assert shortcuts.get_update_type() is StateTtlConfig.UpdateType.OnReadAndWrite
    assert (shortcuts.get_state_visibility()
            is StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
    assert shortcuts.get_cleanup_strategies().get_incremental_cleanup_strategy() is None
    back = (StateTtlConfig.new_builder(Time.seconds(1)).update_ttl_on_read_and_write()
            .update_ttl_on_create_and_write().return_expired_if_not_cleaned_up()
            .never_return_expired().build())
    assert back.get_update_type() is StateTtlConfig.UpdateType.OnCreateAndWrite
    assert back.get_state_visibility() is StateTtlConfig.StateVisibility.NeverReturnExpired

    desc = ValueStateDescriptor("v", Types.INT())
    assert desc.get_ttl_config() is None
    desc.enable_time_to_live(config)
    assert desc.get_ttl_config() is config


def test_builder_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="TTL must be positive"):
        StateTtlConfig.new_builder(Time.seconds(0))
    with pytest.raises(TypeError, match="Time or a Duration"):
        StateTtlConfig.new_builder(10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="UpdateType"):
        _builder().set_update_type("OnReadAndWrite")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="StateVisibility"):
        _builder().set_state_visibility(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ProcessingTime"):
        _builder().set_ttl_time_characteristic("EventTime")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cleanup_size"):
        _builder().cleanup_incrementally(-1, False)
    with pytest.raises(ValueError, match="query_time_after_num_entries"):
        _builder().cleanup_in_rocksdb_compact_filter(0)


@pytest.mark.parametrize("periodic", [None, 0, False, ""])
def test_a_false_periodic_compaction_time_means_the_default_30_days(periodic: Any) -> None:
    """PyFlink's test_explicit_cleanup: any false value selects the default."""
    config = _builder().cleanup_in_rocksdb_compact_filter(17, periodic).build()
    strategy = config.get_cleanup_strategies().get_rocksdb_compact_filter_cleanup_strategy()
    assert strategy.get_query_time_after_num_entries() == 17
    assert strategy.get_periodic_compaction_time() == Duration.of_days(30)
    explicit = Duration.of_hours(2)
    config = _builder().cleanup_in_rocksdb_compact_filter(17, explicit).build()
    assert config.get_cleanup_strategies().get_rocksdb_compact_filter_cleanup_strategy() \
        .get_periodic_compaction_time() is explicit
    with pytest.raises(TypeError, match="state 'v'.*StateTtlConfig"):
        ValueStateDescriptor("v", None).enable_time_to_live(_builder())  # type: ignore[arg-type]


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_states_without_ttl_or_with_disabled_ttl_are_not_wrapped(backend_kind: str) -> None:
    backend = _backend(backend_kind, Clock())
    plain = backend.get_state(ValueStateDescriptor("plain", None))
    disabled = _descriptor("value", _builder().set_update_type(
        StateTtlConfig.UpdateType.Disabled).build(), "disabled")
    off = backend.get_state(disabled)
    assert not type(plain).__name__.startswith("Ttl")
    assert not type(off).__name__.startswith("Ttl")
    if backend_kind == "hashmap":
        # built-in operators keep the dict's own methods: no TTL cost on the hot path
        table = backend._tables["plain"]  # type: ignore[attr-defined]
        assert plain.batch_accessors() == (table.get, table.__setitem__)
    ttl = backend.get_state(_descriptor("value", _builder().build(), "ttl"))
    assert type(ttl).__name__ == "TtlValueState"
    assert "set_current_key" not in vars(backend)  # no per-record listener without asking
    backend.close()


# -- visibility and update type ------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_value_expires_after_ttl_without_read_refresh(backend_kind: str, kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    state = _state(backend, kind, _descriptor(kind, _builder().build()))
    backend.set_current_key("k")
    _write(kind, state)
    backend.set_current_key("other")
    assert _read(kind, state) is None  # scoped to the key
    backend.set_current_key("k")
    clock.now = T0 + TTL - 1
    assert _read(kind, state) == 5  # OnCreateAndWrite: this read does not refresh
    clock.now = T0 + TTL
    assert _read(kind, state) is None
    assert _read(kind, state) is None
    _write(kind, state, 7)  # a fresh value after expiry starts from scratch
    assert _read(kind, state) == 7
    backend.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_on_read_and_write_refreshes_on_read(backend_kind: str, kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    state = _state(backend, kind, _descriptor(kind, _builder().update_ttl_on_read_and_write()
                                              .build()))
    backend.set_current_key("k")
    _write(kind, state)
    clock.now = T0 + TTL - 1
    assert _read(kind, state) == 5  # refreshes the timestamp to T0 + TTL - 1
    clock.now = T0 + 2 * TTL - 2
    assert _read(kind, state) == 5
    clock.now = T0 + 3 * TTL - 2
    assert _read(kind, state) is None
    backend.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_return_expired_if_not_cleaned_up(backend_kind: str, kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    config = _builder().return_expired_if_not_cleaned_up().disable_cleanup_in_background().build()
    state = _state(backend, kind, _descriptor(kind, config))
    backend.set_current_key("k")
    _write(kind, state)
    clock.now = T0 + 5 * TTL
    assert _read(kind, state) == 5  # expired but still there
    assert _read(kind, state) is None  # that read cleaned it up
    assert list(backend.get_keys("s")) == []
    backend.close()


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_reduce_and_aggregate_restart_from_an_expired_value(backend_kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    reducing = _state(backend, "reducing", _descriptor("reducing", _builder().build(), "r"))
    agg = _state(backend, "aggregating", _descriptor("aggregating", _builder().build(), "a"))
    backend.set_current_key("k")
    reducing.add(1)
    agg.add(1)
    clock.now = T0 + TTL // 2
    reducing.add(2)  # a write refreshes the timestamp of the reduced value
    agg.add(2)
    clock.now = T0 + TTL
    assert (reducing.get(), agg.get()) == (3, 3)
    clock.now = T0 + 2 * TTL
    reducing.add(10)  # the expired 3 is dropped, not reduced
    agg.add(10)
    assert (reducing.get(), agg.get()) == (10, 10)
    backend.close()


# -- per-element expiry ---------------------------------------------------------------
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_list_elements_expire_one_by_one(backend_kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    lst = _state(backend, "list", _descriptor("list", _builder().build(), "l"))
    backend.set_current_key("k")
    lst.add(1)
    clock.now = T0 + TTL // 2
    lst.add_all([2, 3])
    assert list(lst.get()) == [1, 2, 3]
    clock.now = T0 + TTL
    assert list(lst.get()) == [2, 3]
    lst.add(4)
    clock.now = T0 + TTL // 2 + TTL
    assert list(lst) == [4]
    lst.update([5, 6])
    assert list(lst.get()) == [5, 6]
    with pytest.raises(ValueError, match="null"):
        lst.add(None)
    with pytest.raises(ValueError, match="null"):
        lst.add_all([1, None])
    clock.now += TTL
    assert list(lst.get()) == [] and list(backend.get_keys("l")) == []
    backend.close()


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_list_read_refresh_restamps_every_element(backend_kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    lst = _state(backend, "list", _descriptor(
        "list", _builder().update_ttl_on_read_and_write().build(), "l"))
    backend.set_current_key("k")
    lst.add(1)
    clock.now = T0 + TTL // 2
    lst.add(2)
    clock.now = T0 + TTL - 1
    assert list(lst.get()) == [1, 2]  # both re-stamped now
    clock.now = T0 + 2 * TTL - 2
    assert list(lst.get()) == [1, 2]
    backend.close()


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_map_entries_expire_one_by_one(backend_kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    m = _state(backend, "map", _descriptor("map", _builder().build(), "m"))
    backend.set_current_key("k")
    m.put("a", 1)
    clock.now = T0 + TTL // 2
    m.put_all({"b": 2, "c": 3})
    assert dict(m.items()) == {"a": 1, "b": 2, "c": 3}
    clock.now = T0 + TTL
    assert dict(m.items()) == {"b": 2, "c": 3}
    assert not m.contains("a") and "b" in m and m["c"] == 3
    assert sorted(m.keys()) == ["b", "c"] and sorted(m.values()) == [2, 3]
    m.remove("b")
    assert list(m) == ["c"] and not m.is_empty()
    clock.now = T0 + TTL // 2 + TTL
    assert m.is_empty() and m.get("c") is None
    assert list(backend.get_keys("m")) == []
    backend.close()


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_map_read_refresh_per_entry(backend_kind: str) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    m = _state(backend, "map", _descriptor(
        "map", _builder().update_ttl_on_read_and_write().build(), "m"))
    backend.set_current_key("k")
    m.put_all({"a": 1, "b": 2})
    clock.now = T0 + TTL - 1
    assert m.get("a") == 1  # only "a" is re-stamped
    clock.now = T0 + TTL
    assert dict(m.items()) == {"a": 1}
    backend.close()


# -- snapshots ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_restore_keeps_timestamps(backend_kind: str, kind: str,
                                  storage: CheckpointStorage) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    state = _state(backend, kind, _descriptor(kind, _builder().build()))
    backend.set_current_key("k")
    _write(kind, state)
    clock.now = T0 + TTL - 1
    handle = _snapshot(backend, storage, 1)
    assert handle.ttl_states == ["s"]
    backend.close()
    restored = _backend(backend_kind, clock)
    restored.restore([type(handle).from_json(handle.to_json())], storage)
    state = _state(restored, kind, _descriptor(kind, _builder().build()))
    restored.set_current_key("k")
    assert _read(kind, state) == 5
    clock.now = T0 + TTL  # the restored timestamp is the original write's
    assert _read(kind, state) is None
    restored.close()


def test_heap_ttl_snapshot_restores_into_rocksdb(storage: CheckpointStorage) -> None:
    clock = Clock()
    heap = _backend("hashmap", clock)
    m = _state(heap, "map", _descriptor("map", _builder().build(), "m"))
    heap.set_current_key("k")
    m.put("a", 1)
    clock.now = T0 + TTL // 2
    m.put("b", 2)
    handle = _snapshot(heap, storage, 1)
    rocks = _backend("rocksdb", clock)
    rocks.restore([handle], storage)
    m = _state(rocks, "map", _descriptor("map", _builder().build(), "m"))
    rocks.set_current_key("k")
    clock.now = T0 + TTL
    assert dict(m.items()) == {"b": 2}
    heap.close()
    rocks.close()


@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_enabling_or_disabling_ttl_on_restore_fails(backend_kind: str,
                                                    storage: CheckpointStorage) -> None:
    clock = Clock()
    backend = _backend(backend_kind, clock)
    backend.set_current_key("k")
    backend.get_state(_descriptor("value", _builder().build(), "with"))
    backend.get_state(_descriptor("value", None, "without")).update(1)
    handle = _snapshot(backend, storage, 1)
    restored = _backend(backend_kind, clock)
    restored.restore([handle], storage)
    with pytest.raises(ValueError, match="'with' was restored with TTL"):
        restored.get_state(_descriptor("value", None, "with"))
    with pytest.raises(ValueError, match="'without' was restored without TTL"):
        restored.get_state(_descriptor("value", _builder().build(), "without"))
    backend.close()
    restored.close()


@pytest.mark.parametrize(("backend_kind", "incremental"), [("hashmap", True),
                                                            ("rocksdb", False)])
@pytest.mark.parametrize("kind", ["value", "list", "map"])
def test_full_snapshot_cleanup_leaves_expired_entries_out(
        backend_kind: str, incremental: bool, kind: str, storage: CheckpointStorage) -> None:
    clock = Clock()
    config = (_builder().cleanup_full_snapshot().return_expired_if_not_cleaned_up()
              .disable_cleanup_in_background().build())
    backend = _backend(backend_kind, clock, incremental=incremental)
    state = _state(backend, kind, _descriptor(kind, config))
    for key in range(8):
        clock.now = T0 if key < 4 else T0 + TTL // 2
        backend.set_current_key(key)
        _write(kind, state, key)
    if kind == "list":  # key 7 also gets an old element: only that element goes
        clock.now = T0
        backend.set_current_key(7)
        state.add(70)
    clock.now = T0 + TTL
    handle = _snapshot(backend, storage, 1)
    # the live state still holds the expired values (returned until cleaned up)
    assert sorted(backend.get_keys("s")) == list(range(8))
    restored = _backend(backend_kind, clock, incremental=incremental)
    restored.restore([handle], storage)
    state = _state(restored, kind, _descriptor(kind, config))
    assert sorted(set(restored.get_keys("s"))) == [4, 5, 6, 7]
    for key in range(4, 8):
        restored.set_current_key(key)
        assert _read(kind, state) == key
    if kind == "list":
        restored.set_current_key(7)
        assert list(state.get()) == [7]
    backend.close()
    restored.close()


def test_incremental_rocksdb_snapshots_keep_expired_entries(storage: CheckpointStorage) -> None:
    """As in Flink, full-snapshot cleanup does not apply to incremental RocksDB snapshots."""
    clock = Clock()
    config = _builder().cleanup_full_snapshot().disable_cleanup_in_background().build()
    backend = _backend("rocksdb", clock, incremental=True)
    state = _state(backend, "value", _descriptor("value", config))
    backend.set_current_key(1)
    state.update(1)
    clock.now = T0 + TTL
    restored = _backend("rocksdb", clock)
    restored.restore([_snapshot(backend, storage, 1)], storage)
    assert list(restored.get_keys("s")) == [1]
    state = _state(restored, "value", _descriptor("value", config))
    restored.set_current_key(1)
    assert state.value() is None  # still never returned
    backend.close()
    restored.close()


# -- background cleanup ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["value", "list", "map"])
def test_heap_incremental_cleanup_on_state_access(kind: str) -> None:
    clock = Clock()
    backend = _backend("hashmap", clock)
    config = (_builder().cleanup_incrementally(2, False).return_expired_if_not_cleaned_up()
              .build())
    state = _state(backend, kind, _descriptor(kind, config))
    for key in range(6):
        backend.set_current_key(key)
        _write(kind, state, key)
    backend.set_current_key("fresh")
    clock.now = T0 + TTL - 1
    _write(kind, state, 9)  # not expired: stays
    clock.now = T0 + TTL
    backend.set_current_key("none")
    assert sorted(map(str, backend.get_keys("s"))) == ["0", "1", "2", "3", "4", "5", "fresh"]
    left = 7
    for _ in range(8):  # each access checks 2 keys, round-robin over all keys
        _read(kind, state)
        now_left = len(list(backend.get_keys("s")))
        assert left - 2 <= now_left <= left
        left = now_left
    assert list(backend.get_keys("s")) == ["fresh"]
    backend.set_current_key("fresh")
    assert _read(kind, state) == 9
    backend.close()


def test_heap_incremental_cleanup_per_record() -> None:
    clock = Clock()
    backend = _backend("hashmap", clock)
    config = _builder().cleanup_incrementally(3, True).return_expired_if_not_cleaned_up().build()
    state = _state(backend, "value", _descriptor("value", config))
    assert "set_current_key" in vars(backend)
    for key in range(6):
        backend.set_current_key(key)
        state.update(key)
    clock.now = T0 + TTL
    backend.set_current_key("a")  # no state access: the key selection runs the cleanup
    backend.set_current_key("b")
    assert list(backend.get_keys("s")) == []
    backend.close()


def test_heap_incremental_cleanup_during_a_snapshot_keeps_the_snapshot(
        storage: CheckpointStorage) -> None:
    clock = Clock()
    backend = _backend("hashmap", clock)
    config = _builder().cleanup_incrementally(10, False).return_expired_if_not_cleaned_up().build()
    state = _state(backend, "list", _descriptor("list", config))
    backend.set_current_key(1)
    state.add(1)
    clock.now = T0 + TTL // 2
    state.add(2)
    pending = backend.snapshot(1, storage, "op")
    clock.now = T0 + TTL
    backend.set_current_key(2)
    state.get()  # cleanup rewrites key 1's list while the snapshot is being written
    storage.initialize_checkpoint(1)
    handle = pending.run()
    restored = _backend("hashmap", Clock(T0))
    restored.restore([handle], storage)
    restored_state = _state(restored, "list", _descriptor("list", config))
    restored.set_current_key(1)
    assert list(restored_state.get()) == [1, 2]
    backend.set_current_key(1)
    assert list(state.get()) == [2]
    backend.close()
    restored.close()


def test_incremental_cleanup_has_no_effect_on_rocksdb() -> None:
    clock = Clock()
    backend = _backend("rocksdb", clock)
    config = (_builder().cleanup_incrementally(100, True).disable_cleanup_in_background()
              .return_expired_if_not_cleaned_up().build())
    state = _state(backend, "value", _descriptor("value", config))
    backend.set_current_key(1)
    state.update(1)
    clock.now = T0 + TTL
    backend.set_current_key(2)
    for _ in range(10):
        state.value()
    assert list(backend.get_keys("s")) == [1]
    backend.close()


@pytest.mark.parametrize("kind", ["value", "list", "map"])
def test_rocksdb_compaction_filter_equivalent_sweeps_expired_entries(kind: str) -> None:
    clock = Clock()
    backend = _backend("rocksdb", clock)
    config = (_builder().cleanup_in_rocksdb_compact_filter(2)
              .return_expired_if_not_cleaned_up().build())
    state = _state(backend, kind, _descriptor(kind, config))
    for key in range(6):
        backend.set_current_key(key)
        _write(kind, state, key)  # 6 accesses: 3 sweeps over nothing expired
    if kind == "list":
        clock.now = T0 + TTL // 2
        backend.set_current_key(5)
        state.add(50)  # 7th access
    clock.now = T0 + TTL
    backend.set_current_key("none")
    assert len(set(backend.get_keys("s"))) == 6
    for _ in range(8 if kind == "list" else 6):
        _read(kind, state)  # every 2nd access sweeps 2 entries
    remaining = sorted(set(backend.get_keys("s")))
    assert remaining == ([5] if kind == "list" else [])
    if kind == "list":
        backend.set_current_key(5)
        assert list(state.get()) == [50]
    backend.close()


# -- a job -----------------------------------------------------------------------------
class _Forgetful(KeyedProcessFunction):
    """Remembers the last value per key for 300 ms of processing time."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def open(self, runtime_context: Any) -> None:
        desc = ValueStateDescriptor("last", Types.STRING())
        desc.enable_time_to_live(StateTtlConfig.new_builder(Time.milliseconds(300)).build())
        self.last = runtime_context.get_state(desc)

    def process_element(self, value: Any, ctx: Any) -> Any:
        seq, name = value
        yield "before", seq, self.last.value()
        self.last.update(name)
        yield "after", seq, self.last.value()
        if seq == 0:
            now = ctx.timer_service().current_processing_time()
            ctx.timer_service().register_processing_time_timer(now + 700)

    def on_timer(self, timestamp: int, ctx: Any) -> Any:
        yield "timer", None, self.last.value()
        mark_done(self.directory, 0, 0)  # releases element 1, after the value expired


@pytest.mark.usefixtures("cluster_env")
@pytest.mark.parametrize("backend_kind", BACKENDS)
def test_ttl_value_state_in_a_keyed_process_function(backend_kind: str, tmp_path: Path) -> None:
    config = Configuration().set_string("state.backend.type", backend_kind)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    (stream,) = sequenced(env, str(tmp_path), [(0, "first"), (0, "second")], [1, 1])
    out = list(stream.key_by(lambda v: "k").process(_Forgetful(str(tmp_path)))
               .execute_and_collect())
    assert out == [("before", 0, None), ("after", 0, "first"), ("timer", None, None),
                   ("before", 1, None), ("after", 1, "second")]
