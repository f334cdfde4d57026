"""Keyed state snapshots: handles, the two-phase snapshot, and the heap file format.

A keyed backend snapshot has a short *synchronous* part (taken on the task
thread, between records) and an *asynchronous* part (serialising and
uploading, on any thread): :meth:`KeyedStateBackend.snapshot` does the first
and returns a :class:`PendingSnapshot` whose :meth:`~PendingSnapshot.run`
does the second and yields a :class:`KeyedStateHandle`.

Handles are JSON-serialisable (:meth:`KeyedStateHandle.to_json`) so the
checkpoint coordinator can put them into ``_metadata``.

Heap key-group file format (``hashmap`` backend), one file per snapshot::

    b"FPYKEYED" u32-BE version (=1)
    per key group g (ascending):  u32-BE crc32(payload)  u64-BE len  payload
        payload = cloudpickle of {state name: [(key, value), ...]}
    footer JSON (UTF-8) {"format": "flink-py-keyed-heap", "version": 1,
        "max_parallelism": M, "key_group_range": [start, end],
        "states": {name: kind}, "key_groups": {g: [offset, length]}}
    u64-BE footer length, b"FPYKEYED"

The handle repeats the per-key-group offsets, so a restore reads only the
key groups it owns (random access), and every block is checksummed.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle
import pyarrow.fs as pafs

from flink_py.common.runtime.checkpoint_storage import CheckpointCorruptError
from flink_py.common.runtime.keygroups import KeyGroupRange
from flink_py.datastream.state import (
    AggregatingState,
    ListState,
    MapState,
    ReducingState,
    ValueState,
)

__all__ = [
    "HEAP_MAGIC",
    "KIND_NAMES",
    "KeyedStateHandle",
    "PendingSnapshot",
    "read_key_group_block",
    "write_key_group_file",
]

HEAP_MAGIC = b"FPYKEYED"
_HEAP_VERSION = 1
_BLOCK = struct.Struct(">IQ")
_U64 = struct.Struct(">Q")

#: State interface -> the kind name stored in snapshots.
KIND_NAMES: dict[type, str] = {
    ValueState: "value",
    ListState: "list",
    MapState: "map",
    ReducingState: "reducing",
    AggregatingState: "aggregating",
}


@dataclasses.dataclass(frozen=True)
class KeyedStateHandle:
    """The snapshot of one keyed backend: what restore needs to find its data.

    Attributes:
        backend: ``hashmap`` or ``rocksdb``.
        max_parallelism: number of key groups M (a restore must use the same M).
        key_group_range: the key groups the snapshotting backend owned.
        states: state name -> kind (``value``, ``list``...).
        path: hashmap: the key-group file.
        offsets: hashmap: key group -> (offset, length) in ``path``.
        shared: rocksdb: local file name -> path under ``shared/`` (SST files).
        private: rocksdb: local file name -> path under ``chk-<n>/``.
        sizes: rocksdb: local file name -> size in bytes (checked on restore).
        checkpoint_id: the checkpoint the snapshot belongs to.
        ttl_states: names of the states whose values carry TTL timestamps.
    """

    backend: str
    max_parallelism: int
    key_group_range: KeyGroupRange
    states: dict[str, str]
    path: str | None = None
    offsets: dict[int, tuple[int, int]] = dataclasses.field(default_factory=dict)
    shared: dict[str, str] = dataclasses.field(default_factory=dict)
    private: dict[str, str] = dataclasses.field(default_factory=dict)
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    checkpoint_id: int = 0
    ttl_states: list[str] = dataclasses.field(default_factory=list)

    def shared_files(self) -> list[str]:
        """Paths under ``shared/`` this handle references (for reference counting)."""
        return sorted(self.shared.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (inverse: :meth:`from_json`)."""
        return {
            "backend": self.backend,
            "max_parallelism": self.max_parallelism,
            "key_group_range": [self.key_group_range.start, self.key_group_range.end],
            "states": dict(self.states),
            "path": self.path,
            "offsets": {str(g): list(o) for g, o in self.offsets.items()},
            "shared": dict(self.shared),
            "private": dict(self.private),
            "sizes": dict(self.sizes),
            "checkpoint_id": self.checkpoint_id,
            "ttl_states": list(self.ttl_states),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> KeyedStateHandle:
        """The handle written by :meth:`to_json`."""
        start, end = doc["key_group_range"]
        return cls(
            backend=doc["backend"], max_parallelism=int(doc["max_parallelism"]),
            key_group_range=KeyGroupRange(int(start), int(end)), states=dict(doc["states"]),
            path=doc.get("path"),
            offsets={int(g): (int(o[0]), int(o[1])) for g, o in doc.get("offsets", {}).items()},
            shared=dict(doc.get("shared", {})), private=dict(doc.get("private", {})),
            sizes={k: int(v) for k, v in doc.get("sizes", {}).items()},
            checkpoint_id=int(doc.get("checkpoint_id", 0)),
            ttl_states=list(doc.get("ttl_states", [])))


class PendingSnapshot:
    """The asynchronous part of a snapshot, run once (on any thread).

    Args:
        body: produces the handle (serialise, upload).
        release: always called after ``body`` (success, failure or cancel).
    """

    def __init__(self, body: Callable[[], KeyedStateHandle],
                 release: Callable[[], None] = lambda: None) -> None:
        self._body = body
        self._release = release
        self._lock = threading.Lock()
        self._done = False

    def run(self) -> KeyedStateHandle:
        """Write the snapshot; the handle describing it."""
        with self._lock:
            if self._done:
                raise RuntimeError("this snapshot was already run or cancelled")
            self._done = True
        try:
            return self._body()
        finally:
            self._release()

    def cancel(self) -> None:
        """Drop the snapshot without writing it."""
        with self._lock:
            if self._done:
                return
            self._done = True
        self._release()


def write_key_group_file(fs: pafs.FileSystem, path: str, max_parallelism: int,
                         key_group_range: KeyGroupRange, states: dict[str, str],
                         blocks: Iterable[tuple[int, dict[str, list[tuple[Any, Any]]]]]
                         ) -> dict[int, tuple[int, int]]:
    """Write the heap key-group file; the per-key-group (offset, length)."""
    parent = path.rsplit("/", 1)[0]
    if parent:
        fs.create_dir(parent, recursive=True)
    offsets: dict[int, tuple[int, int]] = {}
    with fs.open_output_stream(path) as out:
        pos = out.write(HEAP_MAGIC + struct.pack(">I", _HEAP_VERSION))
        for group, content in blocks:
            payload = cloudpickle.dumps(content, protocol=5)
            block = _BLOCK.pack(zlib.crc32(payload), len(payload)) + payload
            offsets[group] = (pos, len(block))
            pos += out.write(block)
        footer = json.dumps({
            "format": "flink-py-keyed-heap", "version": _HEAP_VERSION,
            "max_parallelism": max_parallelism,
            "key_group_range": [key_group_range.start, key_group_range.end],
            "states": states, "key_groups": {str(g): list(o) for g, o in offsets.items()},
        }).encode()
        out.write(footer + _U64.pack(len(footer)) + HEAP_MAGIC)
    return offsets


def read_key_group_block(f: Any, path: str, offset: int, length: int
                         ) -> dict[str, list[tuple[Any, Any]]]:
    """Read and verify one key-group block of an open heap file.

    Raises:
        CheckpointCorruptError: short read, checksum mismatch or bad payload.
    """
    try:
        data = bytes(f.read_at(length, offset))
    except OSError as exc:
        raise CheckpointCorruptError(path, f"unreadable ({exc})") from None
    if len(data) != length or length < _BLOCK.size:
        raise CheckpointCorruptError(path, f"truncated at offset {offset}")
    crc, size = _BLOCK.unpack_from(data)
    payload = data[_BLOCK.size:]
    if size != len(payload) or zlib.crc32(payload) != crc:
        raise CheckpointCorruptError(path, f"checksum mismatch in block at offset {offset}")
    try:
        content: dict[str, list[tuple[Any, Any]]] = cloudpickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is corruption here
        raise CheckpointCorruptError(path, f"cannot decode block at offset {offset}: {exc}"
                                     ) from None
    return content


def open_checkpoint_file(fs: pafs.FileSystem, path: str) -> Any:
    """A random-access reader of ``path``; missing raises :class:`CheckpointCorruptError`."""
    try:
        return fs.open_input_file(path)
    except FileNotFoundError:
        raise CheckpointCorruptError(path, "missing") from None
    except OSError as exc:
        raise CheckpointCorruptError(path, f"unreadable ({exc})") from None
