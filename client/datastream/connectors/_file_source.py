"""FileSource internals: splits, split enumerators and the reader.

* A :class:`FileSourceSplit` is a byte range ``[offset, offset + length)`` of
  one file (the whole file for formats that cannot be split), with the
  :class:`CheckpointedPosition` reached inside it: the offset of a record
  boundary plus the number of records to skip after it (Flink's scheme).
* Static mode lists the paths once when the enumerator starts, cuts each
  splittable file into ranges of about ``total size / parallelism`` bytes
  (at least ``min_split_size``; compressed files stay whole), sorts the
  splits by location and offset, and deals them round-robin to the subtasks.
  Every replica lists on its own, so the files must not change while the
  job starts (use continuous mode for directories that grow).
* Continuous mode lists the paths every discovery interval and hands each
  new file, whole, to the subtask :func:`~flink_py.datastream.connectors.source.owner_of`
  its location. A file counts as processed once seen: write files elsewhere
  and move them in, as with Flink.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors.reader_base import SourceReaderBase
from flink_py.datastream.connectors.source import (
    SourceReaderContext,
    SourceSplit,
    SplitEnumerator,
    SplitEnumeratorContext,
    owner_of,
)
from flink_py.datastream.connectors.static_enumerator import StaticSplitEnumerator

__all__ = [
    "CheckpointedPosition",
    "ContinuousFileSplitEnumerator",
    "FileFormatReader",
    "FileSourceReader",
    "FileSourceSplit",
    "make_splits",
    "static_file_enumerator",
]

#: Byte ranges are not made smaller than this (unless set per source).
DEFAULT_MIN_SPLIT_SIZE = 4 << 20


@dataclasses.dataclass(frozen=True)
class CheckpointedPosition:
    """A record boundary at ``offset`` followed by ``records_after_offset`` read records."""

    offset: int
    records_after_offset: int


@dataclasses.dataclass
class FileSourceSplit(SourceSplit):
    """A byte range of one file and the position reached in it."""

    id: str
    path: str
    offset: int
    length: int
    file_size: int
    modification_time: int = 0
    reader_position: CheckpointedPosition | None = None

    def split_id(self) -> str:  # noqa: D102
        return self.id

    @property
    def end(self) -> int:
        """The end of the range (exclusive)."""
        return self.offset + self.length


class FileFormatReader:
    """Reads the records of one split (what a format's ``create_reader`` returns)."""

    def read_batch(self, max_records: int) -> list[Any] | None:
        """Up to about ``max_records`` records; None at the end of the split."""
        raise NotImplementedError

    def position(self) -> CheckpointedPosition:
        """The position after the last returned record."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file."""


def make_splits(files: Sequence[_fs.FileStatus], splittable: bool, parallelism: int,
                min_split_size: int = DEFAULT_MIN_SPLIT_SIZE) -> list[FileSourceSplit]:
    """Cut files into byte-range splits (whole files when not ``splittable``)."""
    total = sum(f.size for f in files)
    target = max(min_split_size, -(-total // max(1, parallelism)))
    out = []
    from flink_py.datastream.connectors._text_lines import is_compressed

    for f in sorted(files, key=lambda f: f.location):
        if not splittable or f.size <= target or is_compressed(f.location):
            out.append(FileSourceSplit(f"{f.location}@0", f.location, 0, f.size, f.size,
                                       f.mtime_ns))
            continue
        n = -(-f.size // target)
        for i in range(n):
            lo, hi = f.size * i // n, f.size * (i + 1) // n
            out.append(FileSourceSplit(f"{f.location}@{lo}", f.location, lo, hi - lo, f.size,
                                       f.mtime_ns))
    return out


def list_all(paths: Sequence[str], what: str) -> list[_fs.FileStatus]:
    """Every file below ``paths`` (each file once)."""
    seen: dict[str, _fs.FileStatus] = {}
    for p in paths:
        for f in _fs.list_files(p, what):
            seen.setdefault(f.location, f)
    return list(seen.values())


def static_file_enumerator(context: SplitEnumeratorContext[FileSourceSplit], paths: Sequence[str],
                           splittable: bool, min_split_size: int
                           ) -> StaticSplitEnumerator[FileSourceSplit]:
    """The enumerator of ``process_static_file_set`` (lists the paths now)."""
    files = list_all(paths, "FileSource")
    return StaticSplitEnumerator(context, make_splits(files, splittable,
                                                      context.current_parallelism(),
                                                      min_split_size))


class ContinuousFileSplitEnumerator(SplitEnumerator[FileSourceSplit, dict[str, Any]]):
    """The enumerator of ``monitor_continuously``: periodic discovery of new files.

    Checkpoint: ``{"processed": locations seen, "pending": {subtask: splits}}``.
    """

    def __init__(self, context: SplitEnumeratorContext[FileSourceSplit], paths: Sequence[str],
                 interval_ms: int, restored: dict[str, Any] | None = None) -> None:
        self.context = context
        self.paths = list(paths)
        self.interval_ms = interval_ms
        self.processed: set[str] = set(restored["processed"]) if restored else set()
        self.pending: dict[int, collections.deque[FileSourceSplit]] = collections.defaultdict(
            collections.deque)
        if restored:
            for subtask, splits in restored["pending"].items():
                self.pending[subtask].extend(splits)
        self.waiting: set[int] = set()

    def start(self) -> None:  # noqa: D102
        self.context.call_async(lambda: list_all(self.paths, "FileSource"), self._discovered,
                                0, self.interval_ms)

    def _discovered(self, files: list[_fs.FileStatus] | None, error: BaseException | None) -> None:
        if error is not None:
            raise error
        p = self.context.current_parallelism()
        for f in sorted(files or (), key=lambda f: f.location):
            if f.location in self.processed:
                continue
            self.processed.add(f.location)
            split = FileSourceSplit(f"{f.location}@0", f.location, 0, f.size, f.size, f.mtime_ns)
            self.pending[owner_of(split.id, p)].append(split)
        for subtask in list(self.waiting):
            if self.pending.get(subtask):
                self.waiting.discard(subtask)
                self.context.assign_split(self.pending[subtask].popleft(), subtask)

    def handle_split_request(self, subtask_id: int, requester_hostname: str | None) -> None:  # noqa: D102
        queue = self.pending.get(subtask_id)
        if queue:
            self.context.assign_split(queue.popleft(), subtask_id)
        else:
            self.waiting.add(subtask_id)

    def add_splits_back(self, splits: list[FileSourceSplit], subtask_id: int) -> None:  # noqa: D102
        self.pending[subtask_id].extendleft(reversed(splits))

    def add_reader(self, subtask_id: int) -> None:  # noqa: D102
        return

    def snapshot_state(self, checkpoint_id: int) -> dict[str, Any]:  # noqa: D102
        return {"processed": set(self.processed),
                "pending": {i: [copy.copy(s) for s in q] for i, q in self.pending.items() if q}}


class FileSourceReader(SourceReaderBase[FileSourceSplit]):
    """Reads file splits one after the other with the source's format."""

    def __init__(self, context: SourceReaderContext, fmt: Any) -> None:
        super().__init__(context)
        self.format = fmt
        self._reader: FileFormatReader | None = None

    def open_split(self, split: FileSourceSplit) -> None:  # noqa: D102
        self._reader = self.format.create_reader(split)

    def fetch(self, split: FileSourceSplit, max_records: int) -> tuple[list[Any], bool]:  # noqa: D102
        reader = self._reader
        assert reader is not None
        records = reader.read_batch(max_records)
        if records is None:
            return [], True
        split.reader_position = reader.position()
        return records, False

    def close_split(self, split: FileSourceSplit) -> None:  # noqa: D102
        if self._reader is not None:
            self._reader.close()
            self._reader = None
