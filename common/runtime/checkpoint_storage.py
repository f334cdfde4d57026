"""Checkpoint storage on any ``pyarrow.fs`` file system (Flink semantics §6).

Layout under ``execution.checkpointing.dir`` (``file://``, ``s3://``,
``hdfs://``... or a plain local path)::

    <dir>/<job-id>/chk-<n>/            private files of checkpoint n
    <dir>/<job-id>/chk-<n>/_metadata   written last: its presence marks n complete
    <dir>/<job-id>/shared/             files several checkpoints share (RocksDB SSTs)

``_metadata`` is a JSON document (UTF-8) preceded by one header line::

    FLINK-PY-CHECKPOINT 1 <crc32 of the JSON bytes, 8 hex digits>\\n
    {"checkpoint_id": n, "job_id": "...", "timestamp_ms": ..., "operators": {...},
     "shared_files": [...]}

``operators`` is opaque to this module (state handles as JSON, written by the
checkpoint coordinator); ``shared_files`` lists every file under ``shared/``
the checkpoint references, which :class:`SharedStateRegistry` counts so that a
shared file is deleted only when no retained checkpoint references it.

Any missing or corrupt file raises :class:`CheckpointCorruptError` naming the
path, so a restore can fall back to the previous retained checkpoint.

Savepoints (:func:`write_savepoint`) are self-contained directories
``<target>/savepoint-<job id prefix>-<random>/``: every file the state
references (operator state, heap key-group files, RocksDB files, shared SSTs
included) is copied in and the paths in the ``_metadata`` point at the copies,
so a savepoint outlives the job's checkpoints and can be moved as a whole.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

__all__ = [
    "METADATA_FILE",
    "CheckpointCorruptError",
    "CheckpointStorage",
    "SharedStateRegistry",
    "dispose_savepoint",
    "read_metadata",
    "read_snapshot",
    "resolve_filesystem",
    "write_savepoint",
]

#: The commit marker of a checkpoint directory.
METADATA_FILE = "_metadata"
_MAGIC = "FLINK-PY-CHECKPOINT"
_VERSION = 1


class CheckpointCorruptError(IOError):
    """A checkpoint file is missing, truncated or fails its checksum.

    Attributes:
        path: the offending file.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"checkpoint file {path}: {problem}")
        self.path = path


def resolve_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The file system and path of a URI or local path.

    Raises:
        ValueError: the URI's scheme has no ``pyarrow.fs`` implementation.
    """
    if uri.startswith("file:") and not uri.startswith("file://"):
        uri = uri[len("file:"):]  # Flink prints local paths as file:/path
    if "://" not in uri:
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise ValueError(f"checkpoint directory {uri!r} is not usable: {exc}") from None
    return fs, path


def _join(*parts: str) -> str:
    return "/".join(p.rstrip("/") for p in parts if p)


class CheckpointStorage:
    """The checkpoints of one job under one base directory.

    Args:
        base_uri: ``execution.checkpointing.dir``.
        job_id: the job's id (a directory level, as in Flink).
    """

    def __init__(self, base_uri: str, job_id: str) -> None:
        self.fs, base = resolve_filesystem(base_uri)
        self.base_uri = base_uri
        self.job_id = job_id
        self.job_path = _join(base, job_id)
        self.shared_path = _join(self.job_path, "shared")

    # -- paths -------------------------------------------------------------------
    def checkpoint_path(self, checkpoint_id: int) -> str:
        """``<dir>/<job-id>/chk-<n>``."""
        return _join(self.job_path, f"chk-{checkpoint_id}")

    def metadata_path(self, checkpoint_id: int) -> str:
        """``<dir>/<job-id>/chk-<n>/_metadata``."""
        return _join(self.checkpoint_path(checkpoint_id), METADATA_FILE)

    def initialize_checkpoint(self, checkpoint_id: int) -> str:
        """Create the directories checkpoint ``n`` writes into; its path."""
        path = self.checkpoint_path(checkpoint_id)
        self.fs.create_dir(path, recursive=True)
        self.fs.create_dir(self.shared_path, recursive=True)
        return path

    # -- files -------------------------------------------------------------------
    def write_file(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` (creating parent directories)."""
        write_file(self.fs, path, data)

    def read_file(self, path: str) -> bytes:
        """The bytes of ``path``; a missing file raises :class:`CheckpointCorruptError`."""
        return read_file(self.fs, path)

    def upload(self, local_path: str, path: str) -> None:
        """Copy a local file to ``path`` (creating parent directories)."""
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        pafs.copy_files(local_path, path, source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=self.fs)

    def delete_file(self, path: str) -> None:
        """Delete ``path`` (missing is fine)."""
        try:
            self.fs.delete_file(path)
        except FileNotFoundError:
            pass

    def list_files(self, path: str) -> list[str]:
        """Every file under ``path`` (recursive), sorted; empty when missing."""
        selector = pafs.FileSelector(path, recursive=True, allow_not_found=True)
        return sorted(i.path for i in self.fs.get_file_info(selector)
                      if i.type == pafs.FileType.File)

    # -- metadata ----------------------------------------------------------------
    def write_metadata(self, checkpoint_id: int, operators: dict[str, Any],
                       shared_files: Iterable[str] = ()) -> str:
        """Complete checkpoint ``n``: write its ``_metadata`` (call after every state file).

        Returns:
            The metadata path.
        """
        path = self.metadata_path(checkpoint_id)
        write_metadata_file(self.fs, path, checkpoint_id, self.job_id, operators, shared_files)
        return path

    def read_metadata(self, checkpoint_id: int) -> dict[str, Any]:
        """The metadata of checkpoint ``n`` (see :func:`read_metadata`)."""
        return read_metadata(self.fs, self.metadata_path(checkpoint_id))

    def completed_checkpoints(self) -> list[int]:
        """Ids of the checkpoints whose ``_metadata`` exists, ascending."""
        selector = pafs.FileSelector(self.job_path, allow_not_found=True)
        ids = []
        for info in self.fs.get_file_info(selector):
            name = info.base_name
            if info.type == pafs.FileType.Directory and name.startswith("chk-") \
                    and name[4:].isdigit():
                meta = self.fs.get_file_info(_join(info.path, METADATA_FILE))
                if meta.type == pafs.FileType.File:
                    ids.append(int(name[4:]))
        return sorted(ids)

    def discard_checkpoint(self, checkpoint_id: int) -> None:
        """Delete checkpoint ``n``'s private directory (shared files: see the registry)."""
        try:
            self.fs.delete_dir(self.checkpoint_path(checkpoint_id))
        except FileNotFoundError:
            pass


def write_metadata_file(fs: pafs.FileSystem, path: str, checkpoint_id: int, job_id: str,
                        operators: dict[str, Any], shared_files: Iterable[str] = (),
                        kind: str = "checkpoint", relative_paths: bool = False) -> None:
    """Write a ``_metadata`` file (header line with checksum, then the JSON document).

    ``relative_paths``: the state files of ``operators`` are named relative to the
    directory of ``path`` (:func:`read_snapshot` resolves them).
    """
    doc: dict[str, Any] = {
        "checkpoint_id": checkpoint_id,
        "job_id": job_id,
        "kind": kind,
        "timestamp_ms": int(time.time() * 1000),
        "operators": operators,
        "shared_files": sorted(set(shared_files)),
    }
    if relative_paths:
        doc["relative_paths"] = True
    body = json.dumps(doc, sort_keys=True).encode()
    header = f"{_MAGIC} {_VERSION} {zlib.crc32(body):08x}\n".encode()
    write_file(fs, path, header + body)


def write_file(fs: pafs.FileSystem, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` on ``fs``, creating parent directories."""
    parent = path.rsplit("/", 1)[0]
    if parent:
        fs.create_dir(parent, recursive=True)
    with fs.open_output_stream(path) as out:
        out.write(data)


def read_file(fs: pafs.FileSystem, path: str) -> bytes:
    """The bytes of ``path`` on ``fs``.

    Raises:
        CheckpointCorruptError: the file is missing or unreadable.
    """
    try:
        with fs.open_input_stream(path) as f:
            return bytes(f.read())
    except FileNotFoundError:
        raise CheckpointCorruptError(path, "missing") from None
    except (OSError, pa.ArrowException) as exc:
        raise CheckpointCorruptError(path, f"unreadable ({exc})") from None


def read_metadata(fs: pafs.FileSystem, path: str) -> dict[str, Any]:
    """Parse and verify a ``_metadata`` file.

    Raises:
        CheckpointCorruptError: missing, bad header, checksum mismatch or bad JSON.
    """
    data = read_file(fs, path)
    newline = data.find(b"\n")
    header = data[:newline].decode("ascii", "replace").split() if newline >= 0 else []
    if len(header) != 3 or header[0] != _MAGIC:
        raise CheckpointCorruptError(path, "not a flink-py checkpoint metadata file")
    if header[1] != str(_VERSION):
        raise CheckpointCorruptError(path, f"unsupported metadata version {header[1]}")
    body = data[newline + 1:]
    if f"{zlib.crc32(body):08x}" != header[2]:
        raise CheckpointCorruptError(path, "checksum mismatch (truncated or corrupt)")
    try:
        doc: dict[str, Any] = json.loads(body)
    except ValueError as exc:
        raise CheckpointCorruptError(path, f"invalid JSON ({exc})") from None
    return doc


class SharedStateRegistry:
    """Reference counts of shared files across retained checkpoints.

    Register each completed checkpoint's shared files; when a checkpoint is
    subsumed or discarded, unregister it: files no retained checkpoint
    references any more are deleted.

    Args:
        storage: where the files live.
    """

    def __init__(self, storage: CheckpointStorage) -> None:
        self._storage = storage
        self._refs: dict[str, int] = {}
        self._by_checkpoint: dict[int, tuple[str, ...]] = {}

    def register(self, checkpoint_id: int, shared_files: Iterable[str]) -> None:
        """Checkpoint ``n`` references ``shared_files``."""
        if checkpoint_id in self._by_checkpoint:
            raise ValueError(f"checkpoint {checkpoint_id} is already registered")
        files = tuple(sorted(set(shared_files)))
        self._by_checkpoint[checkpoint_id] = files
        for f in files:
            self._refs[f] = self._refs.get(f, 0) + 1

    def unregister(self, checkpoint_id: int) -> list[str]:
        """Checkpoint ``n`` is gone: delete the files nobody references; returns them."""
        deleted = []
        for f in self._by_checkpoint.pop(checkpoint_id, ()):
            n = self._refs[f] - 1
            if n:
                self._refs[f] = n
            else:
                del self._refs[f]
                self._storage.delete_file(f)
                deleted.append(f)
        return deleted

    def reference_count(self, path: str) -> int:
        """How many registered checkpoints reference ``path``."""
        return self._refs.get(path, 0)

    def retain(self, checkpoint_id: int, shared_files: Iterable[str], num_retained: int) -> list[int]:
        """Register checkpoint ``n`` and subsume the oldest beyond ``num_retained``.

        Discards the subsumed checkpoints' directories and unreferenced shared files.

        Returns:
            The subsumed checkpoint ids.
        """
        self.register(checkpoint_id, shared_files)
        subsumed = sorted(self._by_checkpoint)[:-max(1, num_retained)]
        for old in subsumed:
            self.unregister(old)
            self._storage.discard_checkpoint(old)
        return subsumed


# -- savepoints ------------------------------------------------------------------------
def _copy(fs: pafs.FileSystem, src: str, dst_fs: pafs.FileSystem, dst: str) -> None:
    parent = dst.rsplit("/", 1)[0]
    if parent:
        dst_fs.create_dir(parent, recursive=True)
    try:
        pafs.copy_files(src, dst, source_filesystem=fs, destination_filesystem=dst_fs)
    except FileNotFoundError:
        raise CheckpointCorruptError(src, "missing") from None
    except OSError as exc:
        raise CheckpointCorruptError(src, f"unreadable ({exc})") from None


def write_savepoint(storage: CheckpointStorage, target_directory: str, checkpoint_id: int,
                    operators: dict[str, Any]) -> str:
    """Copy checkpoint ``n``'s state into a new savepoint directory; its path.

    Args:
        storage: the job's checkpoint storage (where the tasks wrote the files).
        target_directory: the savepoint base directory (a URI or local path).
        checkpoint_id: the savepoint's id (the tasks wrote into ``chk-<n>/``).
        operators: the coordinator's ``operators`` document; paths are rewritten.

    Returns:
        The savepoint directory as given by ``target_directory`` plus its name.

    The ``_metadata`` names every file relative to the savepoint directory
    (``relative_paths``), so the directory can be moved or copied as a whole and
    still be restored (Flink's relocatable savepoints, FLINK-5763).
    """
    import copy as _copy_mod
    import uuid

    dst_fs, base = resolve_filesystem(target_directory)
    name = f"savepoint-{storage.job_id[:6]}-{uuid.uuid4().hex[:12]}"
    root = _join(base, name)
    chk = storage.checkpoint_path(checkpoint_id) + "/"
    ops = _copy_mod.deepcopy(operators)

    def relocate(path: str, fallback_dir: str) -> str:
        rel = path[len(chk):] if path.startswith(chk) else \
            f"{fallback_dir}/{path.rsplit('/', 1)[-1]}"
        _copy(storage.fs, path, dst_fs, _join(root, rel))
        return rel

    for key, entry in ops.items():
        for sub, st in entry.get("subtasks", {}).items():
            if st.get("state"):
                st["state"] = relocate(st["state"], "operator-state")
            handle = st.get("keyed")
            if not handle:
                continue
            if handle.get("path"):
                handle["path"] = relocate(handle["path"], "keyed")
            files = {**handle.get("shared", {}), **handle.get("private", {})}
            folder = f"rocksdb-{re_safe(key)}-{sub}"
            handle["private"] = {f: f"{folder}/{f}" for f in files}
            for f, src in files.items():
                _copy(storage.fs, src, dst_fs, _join(root, folder, f))
            handle["shared"] = {}
    write_metadata_file(dst_fs, _join(root, METADATA_FILE), checkpoint_id, storage.job_id, ops,
                        kind="savepoint", relative_paths=True)
    if "://" in target_directory:
        return target_directory.rstrip("/") + "/" + name
    return root


def re_safe(key: str) -> str:
    """``key`` with every character outside ``[A-Za-z0-9_.-]`` replaced by ``_``."""
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in key)


def read_snapshot(path: str) -> dict[str, Any]:
    """The metadata of a savepoint or retained checkpoint (its directory or ``_metadata``).

    Raises:
        CheckpointCorruptError: missing or corrupt (the path is named).
        ValueError: the URI's file system is not usable.
    """
    fs, p = resolve_filesystem(path)
    if not p.endswith("/" + METADATA_FILE):
        p = _join(p, METADATA_FILE)
    doc = read_metadata(fs, p)
    if doc.pop("relative_paths", False):
        _resolve_relative(doc, p[:-len(METADATA_FILE) - 1])
    return doc


def _resolve_relative(doc: dict[str, Any], root: str) -> None:
    """Turn the state file names of a relocatable savepoint into paths below ``root``."""
    for entry in doc.get("operators", {}).values():
        for st in entry.get("subtasks", {}).values():
            if st.get("state"):
                st["state"] = _join(root, st["state"])
            handle = st.get("keyed")
            if not handle:
                continue
            if handle.get("path"):
                handle["path"] = _join(root, handle["path"])
            handle["private"] = {f: _join(root, rel)
                                 for f, rel in handle.get("private", {}).items()}


def dispose_savepoint(path: str) -> None:
    """Delete a savepoint directory (it must hold a ``_metadata``).

    Raises:
        CheckpointCorruptError: ``path`` holds no savepoint metadata.
    """
    fs, p = resolve_filesystem(path)
    if p.endswith("/" + METADATA_FILE):
        p = p[:-len(METADATA_FILE) - 1]
    if fs.get_file_info(_join(p, METADATA_FILE)).type != pafs.FileType.File:
        raise CheckpointCorruptError(_join(p, METADATA_FILE), "missing: not a savepoint")
    fs.delete_dir(p)
