"""FileSink internals: buckets, in-progress part files, committables and the committer.

Layout (as Flink's FileSink)::

    <base path>/<bucket id>/part-<uid>-<n><suffix>                       finished
    <base path>/<bucket id>/.part-<uid>-<n><suffix>.inprogress.<uuid>

A writer appends records to one *in-progress* part file per active bucket
(hidden name). When the rolling policy says so, at a checkpoint if the policy
rolls there, and at the end of input the part is closed and becomes
*pending*: a :class:`FileSinkCommittable` handed out by ``prepare_commit``.
The :class:`FileCommitter` renames a pending file to its final name; renaming
is idempotent (a missing source whose target exists counts as committed).
``<uid>`` is a random UUID per bucket of a writer; ``<n>`` counts the parts of
that bucket. The in-progress ``<uuid>`` starts with the subtask index as 8 hex
digits (``0000000N-...``), so a restored subtask finds its own leftovers.

Under checkpointing the sink is exactly-once: every in-progress part is
rolled at each checkpoint (its records then belong to that checkpoint's
committables, committed on ``notify_checkpoint_complete``). Flink resumes
row-format in-progress files instead; flink-py publishes them per
checkpoint, as Flink does for bulk formats. After a restore the restored
committables are committed again (idempotent renames) and the subtask's
uncommitted in-progress files of earlier attempts are deleted
(:meth:`FileWriter.discard_in_progress`): their records are replayed.
"""


from __future__ import annotations

import dataclasses
import re
import time
import uuid
from typing import Any

import pyarrow.fs as pafs

from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors.sink import CommitRequest, Committer, SinkWriter

__all__ = ["FileCommitter", "FileSinkCommittable", "FileWriter", "PartFileInfo"]


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclasses.dataclass(frozen=True)
class FileSinkCommittable:
    """A closed part file to publish: rename ``temp`` to ``target``."""

    bucket_id: str
    temp: str
    target: str
    size: int


@dataclasses.dataclass
class PartFileInfo:
    """What a rolling policy sees of the in-progress part (Flink's ``PartFileInfo``)."""

    bucket_id: str
    creation_time: int
    last_update_time: int
    size: int

    def get_bucket_id(self) -> str:
        """The part's bucket."""
        return self.bucket_id

    def get_creation_time(self) -> int:
        """Epoch ms when the part was opened."""
        return self.creation_time

    def get_last_update_time(self) -> int:
        """Epoch ms of the last write."""
        return self.last_update_time

    def get_size(self) -> int:
        """Bytes written so far."""
        return self.size


class _Part:
    """One in-progress part file."""

    def __init__(self, bucket_id: str, directory: str, name: str, bulk_factory: Any,
                 now: int, subtask: int) -> None:
        self.target = _fs.join(directory, name)
        tag = f"{subtask:08x}{str(uuid.uuid4())[8:]}"
        self.temp = _fs.join(directory, f".{name}.inprogress.{tag}")
        fs, path = _fs.resolve(self.temp)
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        self.stream = fs.open_output_stream(path)
        self.bulk = bulk_factory.create(self.stream) if bulk_factory is not None else None
        self.info = PartFileInfo(bucket_id, now, now, 0)

    def write(self, data: bytes, now: int) -> None:
        self.stream.write(data)
        self.info.size += len(data)
        self.info.last_update_time = now

    def add_elements(self, values: list[Any], now: int) -> None:
        assert self.bulk is not None
        self.bulk.add_elements(values)
        self.info.size = self.stream.tell()
        self.info.last_update_time = now

    def close(self) -> FileSinkCommittable:
        if self.bulk is not None:
            self.bulk.finish()
        self.stream.close()
        return FileSinkCommittable(self.info.bucket_id, self.temp, self.target, self.info.size)

    def abort(self) -> None:
        """Close the stream, leaving the in-progress file (Flink does too)."""
        try:
            self.stream.close()
        except Exception:  # noqa: BLE001 - best effort after a failure
            pass


class _Bucket:
    def __init__(self, bucket_id: str, directory: str) -> None:
        self.bucket_id = bucket_id
        self.directory = directory
        self.part: _Part | None = None
        self.counter = 0
        self.uid = str(uuid.uuid4())


class _BucketContext:
    """The ``context`` given to ``BucketAssigner.get_bucket_id``."""

    __slots__ = ("now", "ts")

    def __init__(self) -> None:
        self.now = 0
        self.ts: int | None = None

    def current_processing_time(self) -> int:
        return self.now

    def current_watermark(self) -> int:
        return -(1 << 63)

    def timestamp(self) -> int | None:
        return self.ts


class FileWriter(SinkWriter[FileSinkCommittable]):
    """The writer of one FileSink subtask (see the module docs)."""

    def __init__(self, base_path: str, encoder: Any, bulk_factory: Any, assigner: Any,
                 rolling_policy: Any, output_config: Any, bucket_check_interval_ms: int,
                 subtask: int, timer_service: Any = None, roll_on_checkpoint: bool = False) -> None:
        self.base_path = base_path
        self.encoder = encoder
        self.bulk_factory = bulk_factory
        self.assigner = assigner
        self.policy = rolling_policy
        self.prefix = output_config.get_part_prefix()
        self.suffix = output_config.get_part_suffix()
        self.check_interval = bucket_check_interval_ms
        self.subtask = subtask
        self.buckets: dict[str, _Bucket] = {}
        self.pending: list[FileSinkCommittable] = []
        self._ctx = _BucketContext()
        self._last_check = _now_ms()
        self._timers = timer_service
        self._closed = False
        if timer_service is not None:
            timer_service.register_timer(self._last_check + self.check_interval, self._on_timer)
        self._size_fast = type(rolling_policy).__name__ == "DefaultRollingPolicy"
        #: exactly-once under checkpointing: every checkpoint closes the in-progress parts
        self.roll_on_checkpoint = roll_on_checkpoint

    # -- buckets and parts ------------------------------------------------------------
    def _bucket(self, bucket_id: str) -> _Bucket:
        b = self.buckets.get(bucket_id)
        if b is None:
            b = self.buckets[bucket_id] = _Bucket(bucket_id, _fs.join(self.base_path, bucket_id))
        return b

    def _open(self, b: _Bucket, now: int) -> _Part:
        name = f"{self.prefix}-{b.uid}-{b.counter}{self.suffix}"
        b.counter += 1
        b.part = _Part(b.bucket_id, b.directory, name, self.bulk_factory, now, self.subtask)
        return b.part

    def _roll(self, b: _Bucket) -> None:
        if b.part is not None:
            self.pending.append(b.part.close())
            b.part = None

    # -- writing ------------------------------------------------------------------------
    def write(self, element: Any, context: Any) -> None:  # noqa: D102
        self.write_batch([element], None if context.timestamp() is None
                         else [context.timestamp()])

    def write_batch(self, elements: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        now = _now_ms()
        if self._timers is None and now - self._last_check >= self.check_interval:
            self._check_time(now)
        for bucket_id, values in self._group(elements, timestamps, now).items():
            b = self._bucket(bucket_id)
            if self.bulk_factory is not None:
                self._write_bulk(b, values, now)
            else:
                self._write_rows(b, values, now)

    def _group(self, elements: list[Any], timestamps: list[int] | None,
               now: int) -> dict[str, list[Any]]:
        assigner = self.assigner
        if type(assigner).__name__ == "BasePathBucketAssigner":
            return {"": elements}
        ctx = self._ctx
        ctx.now = now
        groups: dict[str, list[Any]] = {}
        for i, e in enumerate(elements):
            ctx.ts = timestamps[i] if timestamps is not None else None
            groups.setdefault(str(assigner.get_bucket_id(e, ctx)), []).append(e)
        return groups

    def _write_rows(self, b: _Bucket, values: list[Any], now: int) -> None:
        policy = self.policy
        part = b.part
        if self._size_fast:
            data = self.encoder.encode_batch(values)
            limit = policy.part_size
            if part is not None and part.info.size > limit:
                self._roll(b)
                part = None
            if part is None:
                part = self._open(b, now)
            if part.info.size + len(data) <= limit + 1:
                part.write(data, now)
                return
        for v in values:  # element by element: the policy may roll between any two
            if part is not None and policy.should_roll_on_event(part.info, v):
                self._roll(b)
                part = None
            if part is None:
                part = self._open(b, now)
            part.write(self.encoder.encode_batch([v]), now)

    def _write_bulk(self, b: _Bucket, values: list[Any], now: int) -> None:
        part = b.part
        if part is not None and values and self.policy.should_roll_on_event(part.info, values[0]):
            self._roll(b)
            part = None
        if part is None:
            part = self._open(b, now)
        part.add_elements(values, now)

    # -- time, checkpoints, end -----------------------------------------------------------
    def _check_time(self, now: int) -> None:
        self._last_check = now
        for b in self.buckets.values():
            if b.part is not None and self.policy.should_roll_on_processing_time(b.part.info, now):
                self._roll(b)

    def _on_timer(self, timestamp: int) -> None:
        if self._closed:
            return
        self._check_time(_now_ms())
        self._timers.register_timer(timestamp + self.check_interval, self._on_timer)

    def flush(self, end_of_input: bool) -> None:  # noqa: D102
        for b in self.buckets.values():
            if b.part is not None and (end_of_input or self.roll_on_checkpoint
                                       or self.policy.should_roll_on_checkpoint(b.part.info)):
                self._roll(b)

    def discard_in_progress(self, keep: set[str]) -> list[str]:
        """Delete this subtask's in-progress files left by earlier attempts (after a restore).

        Files in ``keep`` (temp paths of restored, not yet published committables)
        stay. Returns the deleted paths.
        """
        pattern = re.compile(rf"^\.{re.escape(self.prefix)}-[0-9a-f-]{{36}}-\d+"
                             rf"{re.escape(self.suffix)}\.inprogress\.{self.subtask:08x}-")
        fs, base = _fs.resolve(self.base_path)
        try:
            infos = fs.get_file_info(pafs.FileSelector(base, recursive=True,
                                                       allow_not_found=True))
        except OSError:
            return []
        deleted = []
        for info in infos:
            if info.type == pafs.FileType.File and pattern.match(info.base_name) \
                    and info.path not in keep and not any(k.endswith(info.path) for k in keep):
                try:
                    fs.delete_file(info.path)
                    deleted.append(info.path)
                except OSError:
                    pass
        return deleted

    def prepare_commit(self) -> list[FileSinkCommittable]:  # noqa: D102
        out, self.pending = self.pending, []
        return out

    def close(self) -> None:  # noqa: D102
        self._closed = True
        for b in self.buckets.values():
            if b.part is not None:
                b.part.abort()
                b.part = None


class FileCommitter(Committer[FileSinkCommittable]):
    """Publishes pending part files by renaming them (idempotent)."""

    def commit(self, requests: list[CommitRequest[FileSinkCommittable]]) -> None:  # noqa: D102
        for r in requests:
            c = r.get_committable()
            fs, temp = _fs.resolve(c.temp)
            _, target = _fs.resolve(c.target)
            try:
                fs.move(temp, target)
            except (FileNotFoundError, OSError) as exc:
                if fs.get_file_info(target).type == pafs.FileType.File and \
                        fs.get_file_info(temp).type == pafs.FileType.NotFound:
                    r.signal_already_committed()
                else:
                    r.signal_failed_with_known_reason(exc)
