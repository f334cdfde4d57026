"""File-system access for the file connectors, through ``pyarrow.fs``.

A path is a local path (relative paths are made absolute where the job is
defined) or a URI that ``pyarrow.fs.FileSystem.from_uri`` understands
(``file://``, ``s3://``, ``gs://``, ``hdfs://``...). Splits and part files
keep the full location string and resolve it where they are used (URIs are
resolved once per process and location).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from urllib.parse import urlsplit

import pyarrow.fs as pafs

__all__ = ["FileStatus", "absolute", "join", "list_files", "resolve"]

def _is_uri(location: str) -> bool:
    scheme = urlsplit(location).scheme
    return len(scheme) > 1 and "://" in location  # "C:" on Windows is not a scheme


def absolute(location: str) -> str:
    """``location`` with a relative local path made absolute."""
    location = os.fspath(location)
    return location if _is_uri(location) else os.path.abspath(location)


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """The file system of ``location`` and the path inside it."""
    location = os.fspath(location)
    if not _is_uri(location):
        return _LOCAL, os.path.abspath(location)
    return _resolve_uri(location)


_LOCAL = pafs.LocalFileSystem()


@functools.lru_cache(maxsize=256)
def _resolve_uri(location: str) -> tuple[pafs.FileSystem, str]:
    return pafs.FileSystem.from_uri(location)


def join(location: str, *names: str) -> str:
    """``location`` with path components appended (empty names are skipped)."""
    out = location.rstrip("/") if location != "/" else location
    for name in names:
        if name:
            out = f"{out}/{name}" if not out.endswith("/") else f"{out}{name}"
    return out


@dataclasses.dataclass(frozen=True)
class FileStatus:
    """One file found by :func:`list_files`."""

    location: str  # the full location (URI or absolute local path)
    size: int
    mtime_ns: int


def _hidden(name: str) -> bool:
    """Flink's default filter: names starting with ``.`` or ``_`` are skipped."""
    return name.startswith((".", "_"))


def list_files(location: str, what: str) -> list[FileStatus]:
    """The files at ``location``: itself, or every non-hidden file below a directory.

    Args:
        location: a file or directory location.
        what: the caller, named in errors (``"FileSource"``).

    Raises:
        FileNotFoundError: nothing exists at ``location``.
    """
    fs, path = resolve(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"{what}: the path {location} does not exist")
    prefix = location[: len(location) - len(path)] if location.endswith(path) else ""
    if info.type == pafs.FileType.File:
        return [FileStatus(location, int(info.size or 0), int(info.mtime_ns or 0))]
    out = []
    for entry in fs.get_file_info(pafs.FileSelector(path, recursive=True)):
        if entry.type != pafs.FileType.File:
            continue
        rel = entry.path[len(path):].lstrip("/")
        if any(_hidden(part) for part in rel.split("/")):
            continue
        out.append(FileStatus(prefix + entry.path, int(entry.size or 0),
                              int(entry.mtime_ns or 0)))
    out.sort(key=lambda f: f.location)
    return out
