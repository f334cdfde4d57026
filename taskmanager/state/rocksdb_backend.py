"""Keyed state in RocksDB through rocksdict (``state.backend.type: rocksdb``).

Layout: one column family per state (``s:<state name>``); every RocksDB key
starts with the key group, so key-group ranges are contiguous and can be cut::

    key group (2 bytes, big-endian) | u32-BE len | pickled key | u32-BE len | namespace
    [ | pickled map key ]                                   (map state entries only)

Values are cloudpickled: the value (value state), the whole list (list
state), the reduced value or the accumulator; map entries store
``(map key, value)``. The namespace is empty (reserved for windows).

Memory is bounded by a block cache and per-column-family write buffers
(``state.backend.rocksdb.block.cache-size``, ``.writebuffer.size``,
``.writebuffer.count``); everything else lives on disk, so state larger than
memory works.

Snapshots: the synchronous part is a RocksDB checkpoint (hard links of the
immutable SST files plus MANIFEST/CURRENT/OPTIONS) in the local working
directory; the asynchronous part uploads it. Incremental (the default): an
SST file already uploaded by the last *completed* checkpoint is referenced,
not uploaded again; new SST files go to ``<dir>/<job-id>/shared/``, the other
files to ``chk-<n>/``. Without incremental snapshots every file goes to
``chk-<n>/``. The checkpoint storage's ``SharedStateRegistry`` counts the
references to shared files.

State TTL (:mod:`.ttl`): rocksdict exposes no compaction-filter hook, so the
``cleanup_in_rocksdb_compact_filter`` strategy (on by default while cleanup in
background is on) is emulated by a sweep on the task thread: after every
``query_time_after_num_entries`` accesses of a TTL state, the next
``query_time_after_num_entries`` entries of its column family (a cursor that
wraps around) are checked and expired ones deleted or, for lists, rewritten
without their expired elements; RocksDB's own compactions then drop the
tombstones. ``cleanup_full_snapshot`` applies to full (non-incremental)
snapshots, as in Flink: the asynchronous part deletes expired entries from the
checkpoint copy and compacts it before uploading. Incremental snapshots upload
SST files as they are, and ``cleanup_incrementally`` has no effect on RocksDB
(both as in Flink).

Restore: a single handle with exactly this backend's key-group range is
downloaded and opened as the database (and its SST files stay referenced by
later incremental checkpoints); otherwise (rescaling) each overlapping
snapshot is downloaded to a temporary database and the key groups of this
backend's range are copied over.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import struct
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import cloudpickle
import pyarrow.fs as pafs
import rocksdict

from flink_py.common.runtime.checkpoint_storage import CheckpointCorruptError
from flink_py.common.runtime.keygroups import KeyGroupRange
from flink_py.datastream.functions import resolve
from flink_py.datastream.state import (
    AggregatingState,
    AggregatingStateDescriptor,
    ListState,
    MapState,
    ReducingState,
    ReducingStateDescriptor,
    StateDescriptor,
    ValueState,
)
from flink_py.taskmanager.state.backend import KeyedStateBackend
from flink_py.taskmanager.state.snapshot import KeyedStateHandle, PendingSnapshot
from flink_py.taskmanager.state.ttl import ttl_transformer

if TYPE_CHECKING:
    from flink_py.common.runtime.checkpoint_storage import CheckpointStorage
    from flink_py.common.runtime.config import FlinkConfig
    from flink_py.taskmanager.state.ttl import TtlSettings, TtlTimeProvider

__all__ = ["RocksDBKeyedStateBackend", "RocksDBOptions"]

_LEN = struct.Struct(">I")
_EMPTY_NAMESPACE = _LEN.pack(0)
_CF_PREFIX = "s:"
_MEMO_LIMIT = 100_000


def _dumps(value: Any) -> bytes:
    return cloudpickle.dumps(value, protocol=5)  # type: ignore[no-any-return]


_loads = pickle.loads


def _map_key(key: Any) -> bytes:
    """Deterministic bytes of a map key (equal keys, equal bytes)."""
    return pickle.dumps(key, protocol=4)


@dataclasses.dataclass(frozen=True)
class RocksDBOptions:
    """Memory settings of one RocksDB instance.

    Attributes:
        block_cache_size: bytes of the block cache (shared by all column families).
        write_buffer_size: bytes of one memtable.
        write_buffer_count: memtables per column family.
    """

    block_cache_size: int = 8 << 20
    write_buffer_size: int = 64 << 20
    write_buffer_count: int = 2

    @classmethod
    def from_config(cls, config: FlinkConfig) -> RocksDBOptions:
        """The ``state.backend.rocksdb.*`` memory settings of ``config``."""
        from flink_py.common.runtime import config as cfg

        return cls(config.get(cfg.ROCKSDB_BLOCK_CACHE_SIZE),
                   config.get(cfg.ROCKSDB_WRITEBUFFER_SIZE),
                   config.get(cfg.ROCKSDB_WRITEBUFFER_COUNT))

    def to_rocksdict(self) -> rocksdict.Options:
        """rocksdict options in raw (bytes) mode."""
        opts = rocksdict.Options(raw_mode=True)
        opts.create_if_missing(True)
        opts.create_missing_column_families(True)
        table = rocksdict.BlockBasedOptions()
        table.set_block_cache(rocksdict.Cache(self.block_cache_size))
        opts.set_block_based_table_factory(table)
        opts.set_write_buffer_size(self.write_buffer_size)
        opts.set_max_write_buffer_number(self.write_buffer_count)
        return opts


def _group_bytes(group: int) -> bytes:
    return group.to_bytes(2, "big")


class RocksDBKeyedStateBackend(KeyedStateBackend):
    """Keyed state in a local RocksDB instance (see the module doc).

    Args:
        max_parallelism: number of key groups M.
        key_group_range: the key groups this instance owns (default: all).
        local_dir: parent of the working directory (``state.backend.rocksdb.localdir``;
            default: the system temp directory).
        options: memory settings.
        incremental: upload only new SST files in snapshots.
        ttl_time_provider: the clock of state TTL (default: the wall clock).
    """

    def __init__(self, max_parallelism: int, key_group_range: KeyGroupRange | None = None,
                 local_dir: str | None = None, options: RocksDBOptions | None = None,
                 incremental: bool = True, ttl_time_provider: TtlTimeProvider | None = None
                 ) -> None:
        super().__init__(max_parallelism, key_group_range, ttl_time_provider)
        if local_dir:
            os.makedirs(local_dir, exist_ok=True)
        self._dir = tempfile.mkdtemp(prefix="flink-py-rocksdb-", dir=local_dir or None)
        self._db_path = os.path.join(self._dir, "db")
        self.options = options or RocksDBOptions()
        self.incremental = incremental
        self._opts = self.options.to_rocksdict()
        self._uid = uuid.uuid4().hex[:12]
        self._cfs: dict[str, rocksdict.Rdict] = {}
        self._db: rocksdict.Rdict = self._open(self._db_path)
        #: The key of the element or timer being processed.
        self.current_key: Any = None
        self._prefix: bytes | None = None
        self._memo: dict[Any, bytes] = {}
        #: checkpoint id -> (SST name -> shared path) of snapshots not yet confirmed.
        self._pending_ssts: dict[int, dict[str, str]] = {}
        #: SST name -> shared path of the last completed checkpoint (incremental base).
        self._confirmed_ssts: dict[str, str] = {}
        #: state name -> transformer of stored values, for full-snapshot TTL cleanup.
        self._snapshot_filters: dict[str, Callable[[Any, int], Any]] = {}

    # -- database ----------------------------------------------------------------
    def _open(self, path: str) -> rocksdict.Rdict:
        names = []
        if os.path.exists(os.path.join(path, "CURRENT")):
            names = [n for n in rocksdict.Rdict.list_cf(path, self._opts) if n != "default"]
        db = rocksdict.Rdict(path, self._opts, column_families={n: self._opts for n in names})
        self._cfs = {n[len(_CF_PREFIX):]: db.get_column_family(n)
                     for n in names if n.startswith(_CF_PREFIX)}
        return db

    def _cf(self, name: str) -> rocksdict.Rdict:
        cf = self._cfs.get(name)
        if cf is None:
            cf = self._cfs[name] = self._db.create_column_family(_CF_PREFIX + name, self._opts)
        return cf

    @property
    def working_directory(self) -> str:
        """The local directory holding the database and snapshot checkpoints."""
        return self._dir

    # -- keys --------------------------------------------------------------------
    def set_current_key(self, key: Any) -> None:  # noqa: D102
        self.current_key = key
        self._prefix = None

    def get_current_key(self) -> Any:  # noqa: D102
        return self.current_key

    def prefix_of(self, key: Any) -> bytes:
        """The RocksDB key prefix of ``key``: key group, key, (empty) namespace."""
        t = type(key)
        memoise = t is str or t is int
        if memoise:
            found = self._memo.get(key)
            if found is not None:
                return found
        kb = pickle.dumps(key, protocol=4)
        prefix = (_group_bytes(self.key_group_of(key)) + _LEN.pack(len(kb))
                  + kb + _EMPTY_NAMESPACE)
        if memoise:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = prefix
        return prefix

    def current_prefix(self) -> bytes:
        """The prefix of the current key (computed once per key change)."""
        prefix = self._prefix
        if prefix is None:
            if self.current_key is None:
                raise RuntimeError("no current key is set for keyed state access")
            prefix = self._prefix = self.prefix_of(self.current_key)
        return prefix

    @staticmethod
    def key_of(db_key: bytes) -> Any:
        """The user key encoded in a RocksDB key."""
        (n,) = _LEN.unpack_from(db_key, 2)
        return _loads(db_key[6:6 + n])

    @staticmethod
    def entry_prefix_length(db_key: bytes) -> int:
        """Length of the key-group/key/namespace prefix of a RocksDB key."""
        (n,) = _LEN.unpack_from(db_key, 2)
        (ns,) = _LEN.unpack_from(db_key, 6 + n)
        return 10 + n + ns

    # -- handles -------------------------------------------------------------------
    def _create_state(self, kind: type, descriptor: StateDescriptor) -> Any:
        return _KINDS[kind](self, descriptor, self._cf(descriptor.name))

    def _register_ttl_state(self, name: str, kind: str, settings: TtlSettings
                            ) -> Callable[[], None] | None:
        """Full-snapshot filtering and the compaction-filter sweep (see the module doc)."""
        transform = _stored_transformer(kind, settings.ttl)
        if settings.full_snapshot:
            self._snapshot_filters[name] = transform
        if settings.rocksdb_sweep <= 0:
            return None
        sweeper = _TtlSweeper(self._cf(name), transform, settings.rocksdb_sweep,
                             lambda: self.ttl_time_provider.current_timestamp())
        return sweeper.on_access

    def get_keys(self, state_name: str) -> Iterable[Any]:  # noqa: D102
        cf = self._cfs.get(state_name)
        if cf is None:
            return []
        keys: list[Any] = []
        last = None
        for db_key in cf.keys():
            prefix = db_key[:self.entry_prefix_length(db_key)]
            if prefix != last:
                keys.append(self.key_of(db_key))
                last = prefix
        return keys

    # -- snapshots ---------------------------------------------------------------
    def snapshot(self, checkpoint_id: int, storage: CheckpointStorage,
                 name: str | None = None) -> PendingSnapshot:
        """A RocksDB checkpoint now (hard links); upload in ``run()``."""
        local = os.path.join(self._dir, f"chk-{checkpoint_id}-{uuid.uuid4().hex[:6]}")
        rocksdict.Checkpoint(self._db).create_checkpoint(local)
        kinds = self.state_kinds()
        ttl_states = self.ttl_state_names()
        filters = {} if self.incremental else dict(self._snapshot_filters)
        now = self.ttl_time_provider.current_timestamp() if filters else 0
        filter_options = self.options
        base = dict(self._confirmed_ssts) if self.incremental else {}
        private_dir = f"{storage.checkpoint_path(checkpoint_id)}/rocksdb-{name or self._uid}"
        m, kg_range, uid, incremental = (self.max_parallelism, self.key_group_range, self._uid,
                                         self.incremental)

        def body() -> KeyedStateHandle:
            shared: dict[str, str] = {}
            private: dict[str, str] = {}
            sizes: dict[str, int] = {}
            if filters:
                _drop_expired(local, filter_options, filters, now)
            for fname in sorted(os.listdir(local)):
                local_file = os.path.join(local, fname)
                sizes[fname] = os.path.getsize(local_file)
                if incremental and fname.endswith(".sst"):
                    target = base.get(fname)
                    if target is None:
                        target = f"{storage.shared_path}/{uid}-{uuid.uuid4().hex[:12]}-{fname}"
                        storage.upload(local_file, target)
                    shared[fname] = target
                else:
                    target = f"{private_dir}/{fname}"
                    storage.upload(local_file, target)
                    private[fname] = target
            self._pending_ssts[checkpoint_id] = shared
            return KeyedStateHandle("rocksdb", m, kg_range, kinds, shared=shared,
                                    private=private, sizes=sizes, checkpoint_id=checkpoint_id,
                                    ttl_states=ttl_states)

        return PendingSnapshot(body, lambda: shutil.rmtree(local, ignore_errors=True))

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        """Later incremental snapshots reference the SST files of checkpoint ``n``."""
        ssts = self._pending_ssts.get(checkpoint_id)
        if ssts is None:
            return
        self._confirmed_ssts = ssts
        for old in [c for c in self._pending_ssts if c <= checkpoint_id]:
            del self._pending_ssts[old]

    def _download(self, handle: KeyedStateHandle, storage: CheckpointStorage, target: str
                  ) -> None:
        os.makedirs(target, exist_ok=True)
        local_fs = pafs.LocalFileSystem()
        for fname, remote in {**handle.shared, **handle.private}.items():
            local_file = os.path.join(target, fname)
            try:
                pafs.copy_files(remote, local_file, source_filesystem=storage.fs,
                                destination_filesystem=local_fs)
            except FileNotFoundError:
                raise CheckpointCorruptError(remote, "missing") from None
            except OSError as exc:
                raise CheckpointCorruptError(remote, f"unreadable ({exc})") from None
            expected = handle.sizes.get(fname)
            if expected is not None and os.path.getsize(local_file) != expected:
                raise CheckpointCorruptError(
                    remote, f"size {os.path.getsize(local_file)} != expected {expected}")

    def restore(self, handles: Iterable[KeyedStateHandle], storage: CheckpointStorage) -> None:
        """Load this backend's key groups from ``rocksdb`` or ``hashmap`` handles."""
        relevant = []
        for handle in handles:
            groups = self._check_handle(handle)
            if len(groups):
                relevant.append((handle, groups))
        if (len(relevant) == 1 and relevant[0][0].backend == "rocksdb"
                and relevant[0][0].key_group_range == self.key_group_range):
            handle = relevant[0][0]
            self._db.close()
            shutil.rmtree(self._db_path, ignore_errors=True)
            self._download(handle, storage, self._db_path)
            self._db = self._open(self._db_path)
            # Build on the restored SSTs only when they are this job's own shared files: a
            # savepoint or another job's checkpoint must not be referenced (and later
            # deleted) by this job's incremental checkpoints.
            own = storage.shared_path + "/"
            self._confirmed_ssts = {f: p for f, p in handle.shared.items() if p.startswith(own)}
            return
        for i, (handle, groups) in enumerate(relevant):
            if handle.backend == "hashmap":
                self._restore_heap(handle, groups, storage)
                continue
            tmp = os.path.join(self._dir, f"restore-{i}")
            self._download(handle, storage, tmp)
            src = rocksdict.Rdict(tmp, self._opts, column_families={
                _CF_PREFIX + n: self._opts for n in handle.states})
            try:
                lo, hi = _group_bytes(groups.start), _group_bytes(groups.end + 1)
                for state_name in handle.states:
                    src_cf = src.get_column_family(_CF_PREFIX + state_name)
                    dst_cf = self._cf(state_name)
                    it = src_cf.iter()
                    it.seek(lo)
                    while it.valid():
                        k = it.key()
                        if k[:2] >= hi:
                            break
                        dst_cf[k] = it.value()
                        it.next()
                    del it
            finally:
                src.close()
                shutil.rmtree(tmp, ignore_errors=True)

    def _restore_heap(self, handle: KeyedStateHandle, groups: KeyGroupRange,
                      storage: CheckpointStorage) -> None:
        """Load a ``hashmap`` snapshot (switching backends)."""
        from flink_py.taskmanager.state.snapshot import open_checkpoint_file, read_key_group_block

        assert handle.path is not None
        f = open_checkpoint_file(storage.fs, handle.path)
        try:
            for group, (offset, length) in sorted(handle.offsets.items()):
                if group not in groups:
                    continue
                for state_name, entries in read_key_group_block(f, handle.path, offset,
                                                                length).items():
                    cf = self._cf(state_name)
                    is_map = handle.states[state_name] == "map"
                    for key, value in entries:
                        prefix = self.prefix_of(key)
                        if is_map:
                            for uk, uv in value.items():
                                cf[prefix + _map_key(uk)] = _dumps((uk, uv))
                        else:
                            cf[prefix] = _dumps(value)
        finally:
            f.close()

    def close(self) -> None:  # noqa: D102
        super().close()
        self._snapshot_filters.clear()
        if self._db is not None:
            self._cfs.clear()
            self._db.close()
            self._db = None  # type: ignore[assignment]
        shutil.rmtree(self._dir, ignore_errors=True)


def _stored_transformer(kind: str, ttl: int) -> Callable[[Any, int], Any]:
    """The TTL transformer of one stored RocksDB value (map entries: ``(key, ttl value)``)."""
    if kind == "map":
        entry = ttl_transformer("value", ttl)

        def transform_entry(stored: Any, now: int) -> Any:
            return None if entry(stored[1], now) is None else stored
        return transform_entry
    return ttl_transformer(kind, ttl)


def _sweep(cf: rocksdict.Rdict, transform: Callable[[Any, int], Any], now: int,
           start: bytes | None, limit: int | None) -> bytes | None:
    """Check up to ``limit`` entries of ``cf`` from ``start``; the key to resume at, or None."""
    deletes: list[bytes] = []
    rewrites: list[tuple[bytes, bytes]] = []
    it = cf.iter()
    if start is None:
        it.seek_to_first()
    else:
        it.seek(start)
    done = 0
    while it.valid() and (limit is None or done < limit):
        raw = it.value()
        stored = _loads(raw)
        new = transform(stored, now)
        if new is None:
            deletes.append(it.key())
        elif new is not stored:
            rewrites.append((it.key(), _dumps(new)))
        done += 1
        it.next()
    resume = it.key() if it.valid() else None
    del it
    for k in deletes:
        cf.delete(k)
    for k, v in rewrites:
        cf[k] = v
    return resume


class _TtlSweeper:
    """The compaction-filter equivalent of one TTL column family (see the module doc).

    Args:
        cf: the state's column family.
        transform: the transformer of stored values.
        chunk: accesses between sweeps, and entries checked per sweep.
        now: the TTL clock.
    """

    def __init__(self, cf: rocksdict.Rdict, transform: Callable[[Any, int], Any], chunk: int,
                 now: Callable[[], int]) -> None:
        self._cf = cf
        self._transform = transform
        self._chunk = chunk
        self._now = now
        self._accesses = 0
        self._cursor: bytes | None = None

    def on_access(self) -> None:
        """Count an access; sweep the next chunk every ``chunk`` accesses."""
        self._accesses += 1
        if self._accesses >= self._chunk:
            self._accesses = 0
            self.sweep()

    def sweep(self) -> None:
        """Check the next ``chunk`` entries (the current time is read once)."""
        self._cursor = _sweep(self._cf, self._transform, self._now(), self._cursor, self._chunk)


def _drop_expired(path: str, options: RocksDBOptions,
                  filters: dict[str, Callable[[Any, int], Any]], now: int) -> None:
    """Delete expired entries from the RocksDB checkpoint at ``path`` and compact it.

    The checkpoint's SST files are hard links; RocksDB never changes a file in
    place, so the live database is unaffected.
    """
    opts = options.to_rocksdict()
    names = [n for n in rocksdict.Rdict.list_cf(path, opts) if n != "default"]
    db = rocksdict.Rdict(path, opts, column_families={n: opts for n in names})
    try:
        for state_name, transform in filters.items():
            if _CF_PREFIX + state_name not in names:
                continue
            cf = db.get_column_family(_CF_PREFIX + state_name)
            _sweep(cf, transform, now, None, None)
            cf.compact_range(None, None)
            del cf
    finally:
        db.close()


class _RocksState:
    """Shared parts of the RocksDB state handles (one column family each)."""

    def __init__(self, backend: RocksDBKeyedStateBackend, descriptor: StateDescriptor,
                 cf: rocksdict.Rdict) -> None:
        self._backend = backend
        self._descriptor = descriptor
        self._cf = cf

    def _get(self) -> Any:
        raw = self._cf.get(self._backend.current_prefix())
        return None if raw is None else _loads(raw)

    def _put(self, value: Any) -> None:
        self._cf[self._backend.current_prefix()] = _dumps(value)

    # explicit-key access for built-in operators
    def get_internal(self, key: Any, default: Any = None) -> Any:
        """The value of ``key`` or ``default``."""
        raw = self._cf.get(self._backend.prefix_of(key))
        return default if raw is None else _loads(raw)

    def put_internal(self, key: Any, value: Any) -> None:
        """Set the value of ``key``."""
        self._cf[self._backend.prefix_of(key)] = _dumps(value)

    def batch_accessors(self) -> tuple[Any, Any]:
        """``(get_internal, put_internal)``: RocksDB has no faster per-batch path."""
        return self.get_internal, self.put_internal

    def batch_table(self) -> dict[Any, Any] | None:
        """None: the values live in RocksDB, not in a dict."""
        return None

    def items_internal(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) pair."""
        key_of = self._backend.key_of
        return iter([(key_of(k), _loads(v)) for k, v in self._cf.items()])

    def clear(self) -> None:
        """Remove the current key's value."""
        self._cf.delete(self._backend.current_prefix())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._descriptor.name!r})"


class RocksDBValueState(_RocksState, ValueState):
    """ValueState in RocksDB."""

    def value(self) -> Any:  # noqa: D102
        return self._get()

    def update(self, value: Any) -> None:  # noqa: D102
        if value is None:
            self.clear()
        else:
            self._put(value)


class RocksDBListState(_RocksState, ListState):
    """ListState in RocksDB: the list is one value (read-modify-write on add)."""

    def get(self) -> list[Any]:  # noqa: D102
        return self._get() or []

    def add(self, value: Any) -> None:  # noqa: D102
        if value is None:
            raise ValueError("You cannot add null to a ListState.")
        values = self._get() or []
        values.append(value)
        self._put(values)

    def add_all(self, values: list[Any]) -> None:  # noqa: D102
        if not values:
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        current = self._get() or []
        current.extend(values)
        self._put(current)

    def update(self, values: list[Any]) -> None:  # noqa: D102
        if not values:
            self.clear()
            return
        if any(v is None for v in values):
            raise ValueError("You cannot add null to a ListState.")
        self._put(list(values))


class RocksDBMapState(_RocksState, MapState):
    """MapState in RocksDB: one entry per map key, after the current key's prefix."""

    def _entries(self) -> Iterator[tuple[bytes, Any, Any]]:
        prefix = self._backend.current_prefix()
        it = self._cf.iter()
        it.seek(prefix)
        while it.valid():
            k = it.key()
            if not k.startswith(prefix):
                break
            uk, uv = _loads(it.value())
            yield k, uk, uv
            it.next()

    def get(self, key: Any) -> Any:  # noqa: D102
        raw = self._cf.get(self._backend.current_prefix() + _map_key(key))
        return None if raw is None else _loads(raw)[1]

    def put(self, key: Any, value: Any) -> None:  # noqa: D102
        self._cf[self._backend.current_prefix() + _map_key(key)] = _dumps((key, value))

    def put_all(self, dict_value: dict[Any, Any]) -> None:  # noqa: D102
        for k, v in dict_value.items():
            self.put(k, v)

    def remove(self, key: Any) -> None:  # noqa: D102
        self._cf.delete(self._backend.current_prefix() + _map_key(key))

    def contains(self, key: Any) -> bool:  # noqa: D102
        return self._cf.get(self._backend.current_prefix() + _map_key(key)) is not None

    def items(self) -> Iterable[tuple[Any, Any]]:  # noqa: D102
        return [(uk, uv) for _, uk, uv in self._entries()]

    def keys(self) -> Iterable[Any]:  # noqa: D102
        return [uk for _, uk, _ in self._entries()]

    def values(self) -> Iterable[Any]:  # noqa: D102
        return [uv for _, _, uv in self._entries()]

    def is_empty(self) -> bool:  # noqa: D102
        return next(self._entries(), None) is None

    def clear(self) -> None:  # noqa: D102
        prefix = self._backend.current_prefix()
        self._cf.delete_range(prefix, prefix + b"\xff")

    def get_internal(self, key: Any, default: Any = None) -> Any:  # noqa: D102
        raise TypeError("map state has no explicit-key value access")

    put_internal = get_internal  # type: ignore[assignment]

    def items_internal(self) -> Iterator[tuple[Any, Any]]:  # noqa: D102
        raise TypeError("map state has no explicit-key value access")


class RocksDBReducingState(_RocksState, ReducingState):
    """ReducingState in RocksDB."""

    def __init__(self, backend: RocksDBKeyedStateBackend, descriptor: StateDescriptor,
                 cf: rocksdict.Rdict) -> None:
        super().__init__(backend, descriptor, cf)
        assert isinstance(descriptor, ReducingStateDescriptor)
        self._reduce, _ = resolve(descriptor.get_reduce_function(), "reduce")

    def get(self) -> Any:  # noqa: D102
        return self._get()

    def add(self, value: Any) -> None:  # noqa: D102
        current = self._get()
        self._put(value if current is None else self._reduce(current, value))


class RocksDBAggregatingState(_RocksState, AggregatingState):
    """AggregatingState in RocksDB: the accumulator is the stored value."""

    def __init__(self, backend: RocksDBKeyedStateBackend, descriptor: StateDescriptor,
                 cf: rocksdict.Rdict) -> None:
        super().__init__(backend, descriptor, cf)
        assert isinstance(descriptor, AggregatingStateDescriptor)
        self._agg = descriptor.get_agg_function()

    def get(self) -> Any:  # noqa: D102
        raw = self._cf.get(self._backend.current_prefix())
        return None if raw is None else self._agg.get_result(_loads(raw))

    def add(self, value: Any) -> None:  # noqa: D102
        raw = self._cf.get(self._backend.current_prefix())
        acc = self._agg.create_accumulator() if raw is None else _loads(raw)
        self._put(self._agg.add(value, acc))


_KINDS: dict[type, type] = {
    ValueState: RocksDBValueState,
    ListState: RocksDBListState,
    MapState: RocksDBMapState,
    ReducingState: RocksDBReducingState,
    AggregatingState: RocksDBAggregatingState,
}
