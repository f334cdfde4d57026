"""Async I/O: Flink's ``AsyncWaitOperator`` for ``AsyncDataStream``.

Each operator instance owns an asyncio event loop running on its own thread;
every call into the user's :class:`~flink_py.datastream.functions.AsyncFunction`
(``open``, ``async_invoke``, ``timeout``, ``close``) runs there, so a client
created in ``open`` belongs to the loop its requests run on.

The task thread keeps Flink's stream element queue: ``process_batch`` starts
one request per input and returns; it blocks only while the queue holds
``capacity`` elements (pending or completed but not yet emitted records, and
watermarks waiting behind them). Results are emitted on the task thread
whenever it comes by: at the next batch or watermark, or from a
processing-time poll while requests are in flight.

* ordered: results and watermarks leave in input order;
* unordered: results leave as their requests complete, but never across a
  watermark (Flink's segments: a watermark waits for every earlier record,
  later records wait for the watermark).

At a checkpoint barrier (``prepare_snapshot_pre_barrier``) and at the end of
input the operator waits for every request and emits its results first, so a
checkpoint never holds requests in flight and none is lost on recovery.

A request's ``timeout`` covers all its attempts: when it expires, the
request is cancelled and ``timeout(value)`` gives the outputs (by default it
raises ``TimeoutError``). Outputs carry their input's timestamp. An exception
from the user's code fails the job with that exception and its traceback.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flink_py.datastream.functions import AsyncRetryStrategy
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["AsyncWaitOperator"]

_PENDING = object()
#: How long ``close`` lets tasks the user's ``close`` started finish.
_CLOSE_GRACE_S = 5.0
#: While requests are in flight, the task thread looks for results every 1 ms, backing off
#: (doubling) up to this many ms while none completes.
_MAX_POLL_MS = 16


class _EventLoopThread:
    """An asyncio event loop running forever on a daemon thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the loop thread (inside the running loop); return its result."""
        async def call() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result()

    def stop(self, requests: set[asyncio.Task[Any]]) -> None:
        """Cancel ``requests``, give other pending tasks a grace period, stop the loop."""
        async def shutdown() -> None:
            for task in requests:
                task.cancel()
            others = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
            if others:
                _, late = await asyncio.wait(others, timeout=_CLOSE_GRACE_S)
                for task in late:
                    task.cancel()
                await asyncio.wait(others | requests, timeout=1.0)
            await self.loop.shutdown_asyncgens()

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(
                    _CLOSE_GRACE_S + 5.0)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(5.0)


class _Record:
    """A record in the queue: its request's outputs once complete."""

    __slots__ = ("results", "timestamp")

    def __init__(self, timestamp: int | None) -> None:
        self.timestamp = timestamp
        self.results: Any = _PENDING


class _Segment:
    """Unordered mode: records between two watermarks, closed by the later one."""

    __slots__ = ("pending", "ready", "watermark")

    def __init__(self) -> None:
        self.pending = 0
        self.ready: list[_Record] = []
        self.watermark: int | None = None


class AsyncWaitOperator(StreamOperator):
    """``AsyncDataStream.unordered_wait`` / ``ordered_wait`` (and ``*_with_retry``).

    Args:
        func: the AsyncFunction (anything with an ``async def async_invoke(value)``).
        timeout_ms: per-request time limit over all attempts; 0 or less: none.
        capacity: the most elements in the queue (see the module docs).
        retry_strategy: an AsyncRetryStrategy; its predicates decide what is retried.
        ordered: emit in input order (else in completion order within watermarks).
    """

    def __init__(self, func: Any, timeout_ms: int, capacity: int,
                 retry_strategy: AsyncRetryStrategy[Any], ordered: bool) -> None:
        super().__init__()
        self.user_function = func
        self.timeout_ms = timeout_ms
        self.capacity = capacity
        self.retry_strategy = retry_strategy
        self.ordered = ordered
        self._runner: _EventLoopThread | None = None
        self._requests: set[asyncio.Task[Any]] = set()  # owned by the loop thread

    # -- lifecycle -----------------------------------------------------------
    def open(self) -> None:
        ctx = self.ctx
        #: (sequence number, ok, outputs or error) of finished requests, for the task thread.
        self._done: queue.SimpleQueue[tuple[int, bool, Any]] = queue.SimpleQueue()
        self._seq = itertools.count()
        self._in_flight: dict[int, tuple[_Record, _Segment | None]] = {}
        self._size = 0  # queued elements: records not yet emitted, and watermarks
        self._entries: collections.deque[_Record | int] = collections.deque()  # ordered
        self._segments: collections.deque[_Segment] = collections.deque([_Segment()])
        self._poll_scheduled = False
        self._poll_ms = 1
        predicate = self.retry_strategy.get_retry_predicate()
        self._retry_on_result = predicate.result_predicate()
        self._retry_on_exception = predicate.exception_predicate()
        self._class_name = str(type(self.user_function))
        self._runner = _EventLoopThread(
            f"async-io {ctx.operator_name} ({ctx.subtask_index + 1}/{ctx.parallelism})")
        user_open = getattr(self.user_function, "open", None)
        if callable(user_open):
            self._runner.call(user_open, self.runtime_context())

    def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:  # never opened, or closed already
            return
        try:
            user_close = getattr(self.user_function, "close", None)
            if callable(user_close):
                runner.call(user_close)
        finally:
            runner.stop(self._requests)

    # -- elements --------------------------------------------------------------
    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        runner = self._runner
        assert runner is not None, "process_batch before open"
        cap, ordered, in_flight = self.capacity, self.ordered, self._in_flight
        segment = None if ordered else self._segments[-1]
        seq = self._seq
        start: list[tuple[int, Any]] = []
        for i, value in enumerate(values):
            if self._size >= cap:
                if start:
                    runner.loop.call_soon_threadsafe(self._start, start)
                    start = []
                self._wait_for_room()
            record = _Record(None if timestamps is None else timestamps[i])
            n = next(seq)
            in_flight[n] = (record, segment)
            if ordered:
                self._entries.append(record)
            else:
                segment.pending += 1  # type: ignore[union-attr]
            self._size += 1
            start.append((n, value))
        if start:
            runner.loop.call_soon_threadsafe(self._start, start)
        self._collect(block=False)
        self._schedule_poll()

    def process_watermark(self, watermark: int) -> None:
        """Forwarded once every earlier record was emitted (it takes a queue slot meanwhile)."""
        if self._size == 0:
            self.output.emit_watermark(watermark)
            return
        if self._size >= self.capacity:
            self._wait_for_room()
            if self._size == 0:
                self.output.emit_watermark(watermark)
                return
        if self.ordered:
            self._entries.append(watermark)
        else:
            self._segments[-1].watermark = watermark
            self._segments.append(_Segment())
        self._size += 1
        self._emit_ready()

    def prepare_snapshot_pre_barrier(self, checkpoint_id: int) -> None:
        """Finish every request and emit its results before the barrier goes downstream."""
        self._drain()

    def end_input(self) -> None:
        """Finish every request and emit its results."""
        self._drain()

    # -- the queue (task thread) -----------------------------------------------
    def _drain(self) -> None:
        while self._size > 0 and self._in_flight:
            self._collect(block=True)

    def _wait_for_room(self) -> None:
        while self._size >= self.capacity and self._in_flight:
            self._collect(block=True)

    def _collect(self, block: bool) -> bool:
        """Take the finished requests (waiting for one if ``block``), then emit what may go.

        Returns:
            Whether a request had finished.
        """
        done, in_flight = self._done, self._in_flight
        try:
            finished = [done.get() if block else done.get_nowait()]
        except queue.Empty:
            return False
        while True:
            try:
                finished.append(done.get_nowait())
            except queue.Empty:
                break
        for n, ok, payload in finished:
            if not ok:
                self._fail(payload)
            record, segment = in_flight.pop(n)
            record.results = payload
            if segment is not None:
                segment.pending -= 1
                segment.ready.append(record)
        self._emit_ready()
        return True

    def _emit_ready(self) -> None:
        out: list[Any] = []
        out_ts: list[Any] = []
        timestamped = False
        emitted = 0
        output = self.output

        def add(record: _Record) -> None:
            nonlocal timestamped
            results = record.results
            out.extend(results)
            if record.timestamp is not None:
                timestamped = True
            out_ts.extend([record.timestamp] * len(results))

        def flush() -> None:
            if out:
                output.emit(out[:], out_ts[:] if timestamped else None)
                out.clear()
                out_ts.clear()

        if self.ordered:
            entries = self._entries
            while entries:
                head = entries[0]
                if head.__class__ is _Record:
                    if head.results is _PENDING:  # type: ignore[union-attr]
                        break
                    add(head)  # type: ignore[arg-type]
                else:
                    flush()
                    output.emit_watermark(head)  # type: ignore[arg-type]
                entries.popleft()
                emitted += 1
        else:
            segments = self._segments
            while True:
                first = segments[0]
                if first.ready:
                    for record in first.ready:
                        add(record)
                    emitted += len(first.ready)
                    first.ready = []
                if first.pending or first.watermark is None:
                    break
                flush()
                output.emit_watermark(first.watermark)
                segments.popleft()
                emitted += 1
        flush()
        self._size -= emitted

    def _schedule_poll(self) -> None:
        """While requests are in flight, come back for their results on the task thread."""
        pts = self.ctx.processing_time_service
        if self._poll_scheduled or not self._in_flight or pts is None:
            return
        self._poll_scheduled = True
        pts.register_timer(pts.current_processing_time() + self._poll_ms, self._on_poll)

    def _on_poll(self, timestamp: int) -> None:
        self._poll_scheduled = False
        if self._runner is None:
            return
        found = self._collect(block=False)
        self._poll_ms = 1 if found else min(2 * self._poll_ms, _MAX_POLL_MS)
        self._schedule_poll()

    def _fail(self, error: BaseException) -> None:
        """Cancel the other requests and fail the task with ``error``."""
        runner = self._runner
        if runner is not None:
            runner.loop.call_soon_threadsafe(self._cancel_requests)
        raise error

    # -- on the loop thread --------------------------------------------------
    def _start(self, requests: list[tuple[int, Any]]) -> None:
        create_task = asyncio.get_running_loop().create_task
        tasks = self._requests
        for n, value in requests:
            tasks.add(create_task(self._request(n, value)))

    def _cancel_requests(self) -> None:
        for task in self._requests:
            task.cancel()

    async def _request(self, n: int, value: Any) -> None:
        """Run the attempts for ``value`` under the timeout; report the outputs or the error."""
        task = asyncio.current_task()
        assert task is not None
        expired = False
        timer = None
        if self.timeout_ms > 0:
            def expire() -> None:
                nonlocal expired
                expired = True
                task.cancel()

            timer = asyncio.get_running_loop().call_later(self.timeout_ms / 1000, expire)
        try:
            try:
                if self._retry_on_result is None and self._retry_on_exception is None:
                    result = await self.user_function.async_invoke(value)
                else:
                    result = await self._attempts(value)
            except asyncio.CancelledError:
                if not expired:  # the operator closes
                    raise
                uncancel = getattr(task, "uncancel", None)  # Python 3.11+
                if uncancel is not None:
                    uncancel()
                result = self._timed_out(value)
            finally:
                if timer is not None:
                    timer.cancel()
            outputs = self._outputs(result)
        except Exception as error:  # noqa: BLE001 - reported to the task thread
            if hasattr(error, "add_note"):
                error.add_note(f"Error happens inside the class '{self._class_name}' "
                               f"during handling input '{value}'")
            self._done.put((n, False, error))
        else:
            self._done.put((n, True, outputs))
        finally:
            self._requests.discard(task)

    def _timed_out(self, value: Any) -> Any:
        """The outputs of ``timeout(value)`` (a TimeoutError the user raises is no timeout)."""
        on_timeout = getattr(self.user_function, "timeout", None)
        if on_timeout is None:
            raise TimeoutError(f"Async function call has timed out for input: {value}")
        return on_timeout(value)

    async def _attempts(self, value: Any) -> Any:
        """``async_invoke(value)``, retried as the retry strategy says."""
        invoke = self.user_function.async_invoke
        on_result, on_exception = self._retry_on_result, self._retry_on_exception
        strategy = self.retry_strategy
        deadline = (time.monotonic() + self.timeout_ms / 1000) if self.timeout_ms > 0 else None
        current_attempts = 1
        while True:
            try:
                result, error = await invoke(value), None
            except Exception as e:  # noqa: BLE001 - may be retried
                result, error = None, e
            retry = ((error is None and result is not None and on_result is not None
                      and on_result(result))
                     or (error is not None and on_exception is not None
                         and on_exception(error)))
            if (retry and (deadline is None or time.monotonic() < deadline)
                    and strategy.can_retry(current_attempts)):
                await asyncio.sleep(strategy.get_backoff_time_millis(current_attempts) / 1000)
                current_attempts += 1
                continue
            if error is not None:
                raise error
            return result

    def _outputs(self, result: Any) -> list[Any]:
        if result is None:
            msg = ("The result of AsyncFunction cannot be none, please check the methods "
                   f"'async_invoke' and 'timeout' of class '{self._class_name}'.")
            raise RuntimeError(msg)
        if not isinstance(result, Iterable):
            msg = ("The result of AsyncFunction should be of list type, please check the "
                   f"methods 'async_invoke' and 'timeout' of class '{self._class_name}'.")
            raise TypeError(msg)
        return list(result)
