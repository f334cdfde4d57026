"""The runtime of the Source API: one reader and one enumerator replica per subtask.

:class:`SourceReaderOperator` is the head of every source task built with
``env.from_source`` (and of ``from_collection``, ``read_text_file`` and
``socket_text_stream``, which are Sources too). It hosts

* the subtask's :class:`~flink_py.datastream.connectors.source.SourceReader`, and
* a replica of the source's split enumerator (see
  :mod:`flink_py.datastream.connectors.source` for why a replica per subtask
  and the determinism contract this needs).

Reader and enumerator talk through a *mailbox* run on the task thread, so a
split request made inside ``poll_next`` is answered before the next poll and
no callback ever re-enters the reader. ``call_async`` work (directory
listings) runs on one helper thread; its handler is queued to the mailbox.

Checkpoint hooks for the checkpointing runtime: :meth:`SourceReaderOperator.snapshot_source`
returns the reader's splits with positions and the enumerator replica's
checkpoint; :meth:`SourceReaderOperator.restore_source` (before ``open``)
makes a new attempt continue exactly there.
"""

from __future__ import annotations

import collections
import concurrent.futures
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

from flink_py.datastream.connectors.source import (
    Boundedness,
    InputStatus,
    ReaderOutput,
    Source,
    SourceReaderContext,
    SplitEnumeratorContext,
)
from flink_py.taskmanager.operators.base import SourceOperator
from flink_py.taskmanager.operators.watermarks import (
    WatermarkEmitter,
    auto_watermark_interval,
)

__all__ = ["NO_TIMESTAMP", "SourceReaderOperator", "SubtaskEnumeratorContext"]

#: Flink's ``Long.MIN_VALUE``: a record without event timestamp.
NO_TIMESTAMP = -(1 << 63)
#: Longest wait when the reader has nothing (the task checks cancellation in between).
_MAX_IDLE_WAIT_S = 0.05


class _Mailbox:
    """Actions to run on the task thread, in order."""

    def __init__(self) -> None:
        self._actions: collections.deque[Callable[[], None]] = collections.deque()

    def put(self, action: Callable[[], None]) -> None:
        self._actions.append(action)

    def __bool__(self) -> bool:
        return bool(self._actions)

    def run_all(self) -> None:
        actions = self._actions
        while actions:
            actions.popleft()()


class _ReaderInfo:
    """What ``registered_readers()`` tells about a reader."""

    def __init__(self, subtask_id: int, location: str = "") -> None:
        self.subtask_id = subtask_id
        self.location = location

    def get_subtask_id(self) -> int:
        """The reader's subtask index."""
        return self.subtask_id

    def get_location(self) -> str:
        """The reader's host."""
        return self.location


class SubtaskEnumeratorContext(SplitEnumeratorContext[Any]):
    """The context of the enumerator replica running in ``subtask``.

    Assignments and signals for other subtasks are dropped: their own
    replicas deliver them.
    """

    def __init__(self, subtask: int, parallelism: int, mailbox: _Mailbox,
                 reader: Callable[[], Any], name: str) -> None:
        self.subtask = subtask
        self.parallelism = parallelism
        self._mailbox = mailbox
        self._reader = reader
        self._name = name
        self._timers: list[tuple[float, int, Callable[[], Any], Callable[..., None], float]] = []
        self._seq = itertools.count()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._running = 0
        self.closed = False

    # -- SplitEnumeratorContext ------------------------------------------------
    def current_parallelism(self) -> int:
        return self.parallelism

    def registered_readers(self) -> dict[int, Any]:
        return {i: _ReaderInfo(i) for i in range(self.parallelism)}

    def _check(self, subtask: int) -> bool:
        if not 0 <= subtask < self.parallelism:
            msg = (f"Source '{self._name}': split assigned to subtask {subtask}, but the "
                   f"parallelism is {self.parallelism}")
            raise ValueError(msg)
        return subtask == self.subtask

    def assign_split(self, split: Any, subtask: int) -> None:
        if self._check(subtask):
            self._mailbox.put(lambda: self._reader().add_splits([split]))

    def assign_splits(self, assignment: Any) -> None:
        mapping = getattr(assignment, "assignment", assignment)
        for subtask, splits in mapping.items():
            if self._check(subtask) and splits:
                chosen = list(splits)
                self._mailbox.put(lambda chosen=chosen: self._reader().add_splits(chosen))

    def signal_no_more_splits(self, subtask: int) -> None:
        if self._check(subtask):
            self._mailbox.put(lambda: self._reader().notify_no_more_splits())

    def send_event_to_source_reader(self, subtask: int, event: Any) -> None:
        if self._check(subtask):
            self._mailbox.put(lambda: self._reader().handle_source_events(event))

    def call_async(self, callable_: Callable[[], Any],
                   handler: Callable[[Any, BaseException | None], None],
                   initial_delay_ms: int = 0, period_ms: int = 0) -> None:
        due = time.monotonic() + max(0, initial_delay_ms) / 1000.0
        heapq.heappush(self._timers, (due, next(self._seq), callable_, handler,
                                      max(0, period_ms) / 1000.0))

    def run_in_coordinator_thread(self, runnable: Callable[[], None]) -> None:
        self._mailbox.put(runnable)

    # -- driven by the operator -------------------------------------------------
    def next_due(self) -> float | None:
        """Monotonic time of the next scheduled ``call_async``, if any."""
        return self._timers[0][0] if self._timers else None

    def fire_due(self, now: float) -> None:
        """Start every scheduled call that is due (on the helper thread)."""
        while self._timers and self._timers[0][0] <= now and not self.closed:
            _, _, fn, handler, period = heapq.heappop(self._timers)
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix=f"{self._name}-enumerator")
            future = self._executor.submit(fn)
            future.add_done_callback(
                lambda f, fn=fn, handler=handler, period=period: self._done(f, fn, handler, period))

    def _done(self, future: concurrent.futures.Future[Any], fn: Callable[[], Any],
              handler: Callable[..., None], period: float) -> None:
        exc = future.exception()
        result = None if exc is not None else future.result()

        def deliver() -> None:
            if self.closed:
                return
            handler(result, exc)
            if period > 0:
                self.call_async(fn, handler, int(period * 1000), int(period * 1000))

        self._mailbox.put(deliver)

    def close(self) -> None:
        """Stop scheduling; pending calls are abandoned."""
        self.closed = True
        self._timers.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


class _ReaderContext(SourceReaderContext):
    def __init__(self, op: SourceReaderOperator) -> None:
        self._op = op

    def get_index_of_subtask(self) -> int:
        return self._op.ctx.subtask_index

    def current_parallelism(self) -> int:
        return self._op.ctx.parallelism

    def send_split_request(self) -> None:
        op = self._op
        op.mailbox.put(lambda: op.enumerator.handle_split_request(op.ctx.subtask_index, None))

    def send_source_event_to_coordinator(self, event: Any) -> None:
        op = self._op
        op.mailbox.put(lambda: op.enumerator.handle_source_event(op.ctx.subtask_index, event))

    def get_configuration(self) -> dict[str, str]:
        return dict(self._op.ctx.job_parameters or {})


class _BatchOutput(ReaderOutput):
    """Collects what the reader emits during one ``poll_next`` of the task."""

    __slots__ = ("limit", "timestamps", "values")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.values: list[Any] = []
        self.timestamps: list[int] | None = None

    def collect(self, record: Any, timestamp: int | None = None) -> None:
        if timestamp is not None and self.timestamps is None:
            self.timestamps = [NO_TIMESTAMP] * len(self.values)
        self.values.append(record)
        if self.timestamps is not None:
            self.timestamps.append(NO_TIMESTAMP if timestamp is None else timestamp)

    def collect_batch(self, records: list[Any], timestamps: list[int] | None = None) -> None:
        if timestamps is not None and self.timestamps is None:
            self.timestamps = [NO_TIMESTAMP] * len(self.values)
        if not self.values and self.timestamps is None:
            self.values = records if isinstance(records, list) else list(records)
        else:
            self.values.extend(records)
        if self.timestamps is not None:
            self.timestamps.extend(timestamps if timestamps is not None
                                   else [NO_TIMESTAMP] * len(records))

    def capacity(self) -> int:
        return max(1, self.limit - len(self.values))


class SourceReaderOperator(SourceOperator):
    """Runs a :class:`~flink_py.datastream.connectors.source.Source` in one subtask."""

    def __init__(self, source: Source[Any, Any], watermark_strategy: Any = None) -> None:
        super().__init__()
        from flink_py.common.watermark_strategy import WatermarkStrategy

        if watermark_strategy is not None and not isinstance(watermark_strategy,
                                                             WatermarkStrategy):
            msg = (f"from_source: the watermark strategy must be a WatermarkStrategy (or None), "
                   f"got {type(watermark_strategy).__name__}")
            raise TypeError(msg)
        self.source = source
        self.watermark_strategy = watermark_strategy
        self.bounded = source.get_boundedness() is Boundedness.BOUNDED
        self.reader: Any = None
        self.enumerator: Any = None
        self.mailbox = _Mailbox()
        self.enum_context: SubtaskEnumeratorContext | None = None
        self._restored: dict[str, Any] | None = None
        self._ended = False
        #: Runs the watermark strategy (None: records pass with the reader's timestamps).
        self.watermarks: WatermarkEmitter | None = None

    def output_fact(self) -> Any:
        """What the source says each of its records is (``Source.record_fact``, if any)."""
        record_fact = getattr(self.source, "record_fact", None)
        return record_fact() if callable(record_fact) else None

    # -- checkpoint hooks --------------------------------------------------------
    def restore_source(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`snapshot_source` of an earlier attempt (call before open)."""
        self._restored = state

    def snapshot_source(self, checkpoint_id: int) -> dict[str, Any]:
        """The reader's splits with positions and the enumerator replica's checkpoint."""
        return {"splits": self.reader.snapshot_state(checkpoint_id),
                "enumerator": self.enumerator.snapshot_state(checkpoint_id)}

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        """Forward to reader and enumerator."""
        if self.reader is None:
            return  # not open (any more)
        self.reader.notify_checkpoint_complete(checkpoint_id)
        self.enumerator.notify_checkpoint_complete(checkpoint_id)

    # -- lifecycle ---------------------------------------------------------------
    def open(self) -> None:
        super().open()
        ctx = self.ctx
        self.enum_context = SubtaskEnumeratorContext(
            ctx.subtask_index, ctx.parallelism, self.mailbox, lambda: self.reader,
            ctx.operator_name)
        restored = self._restored
        if restored is not None and restored.get("enumerator") is not None:
            self.enumerator = self.source.restore_enumerator(self.enum_context,
                                                             restored["enumerator"])
        else:
            self.enumerator = self.source.create_enumerator(self.enum_context)
        self.reader = self.source.create_reader(_ReaderContext(self))
        self.enumerator.start()
        for i in range(ctx.parallelism):
            self.enumerator.add_reader(i)
        if restored is not None and restored.get("splits"):
            self.reader.add_splits(list(restored["splits"]))
        self.reader.start()
        strategy = self.watermark_strategy
        if strategy is not None and (strategy.has_watermarks
                                     or strategy.create_timestamp_assigner() is not None
                                     or strategy.idle_timeout is not None):
            self.watermarks = WatermarkEmitter(strategy, self.output,
                                               f"Source '{ctx.operator_name}'",
                                               batch=ctx.runtime_mode == "BATCH")
            self.watermarks.start(ctx.processing_time_service,
                                  auto_watermark_interval(ctx.job_parameters))

    def poll_next(self, max_rows: int) -> list[Any] | None:
        if self._ended:
            return None
        enum_ctx = self.enum_context
        assert enum_ctx is not None
        mailbox = self.mailbox
        if enum_ctx._timers:
            enum_ctx.fire_due(time.monotonic())
        mailbox.run_all()
        out = _BatchOutput(max_rows)
        reader = self.reader
        status = reader.poll_next(out)
        while status is InputStatus.MORE_AVAILABLE and len(out.values) < max_rows:
            mailbox.run_all()
            status = reader.poll_next(out)
        if status is InputStatus.END_OF_INPUT:
            self._ended = True
        elif status is InputStatus.NOTHING_AVAILABLE and not out.values and not mailbox:
            self._idle(reader, enum_ctx)
        if self.watermarks is not None:
            self.watermarks.process(out.values, out.timestamps)
            return [] if out.values or not self._ended else None
        if out.timestamps is not None:
            self.output.emit(out.values, out.timestamps)
            return [] if out.values or not self._ended else None
        if not out.values and self._ended:
            return None
        return out.values

    def end_of_event_time(self) -> None:
        if self.watermarks is not None:
            self.watermarks.end_of_time()
        else:
            super().end_of_event_time()

    def _idle(self, reader: Any, enum_ctx: SubtaskEnumeratorContext) -> None:
        wait = _MAX_IDLE_WAIT_S
        due = enum_ctx.next_due()
        if due is not None:
            wait = min(wait, max(0.0, due - time.monotonic()))
        if wait > 0:
            reader.wait_available(wait)

    def close(self) -> None:
        reader, enumerator, enum_ctx = self.reader, self.enumerator, self.enum_context
        if reader is None and enumerator is None:
            return  # never opened, or closed already
        self.reader = self.enumerator = None
        try:
            if reader is not None:
                reader.close()
        finally:
            if enumerator is not None:
                enumerator.close()
            if enum_ctx is not None:
                enum_ctx.close()
            super().close()
