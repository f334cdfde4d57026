"""``env.add_source``: a legacy ``SourceFunction`` (``run(ctx)`` / ``cancel()``).

``run`` blocks until the source is exhausted, so it runs on its own thread
and hands its output to the task thread through a bounded buffer: a full
buffer blocks ``ctx`` calls (back-pressure). An exception in ``run`` fails
the task; cancelling the task calls ``cancel()`` and unblocks ``collect``.

The context follows Flink's event-time source context
(``StreamSourceContexts.ManualWatermarkContext``):

* ``collect(value)`` emits a record without timestamp,
  ``collect_with_timestamp(value, ts)`` one with an event timestamp;
* ``emit_watermark(Watermark(ts))`` sends a watermark in-band: records
  collected before it are emitted before it, later ones after;
* ``mark_as_temporarily_idle()`` sends an IDLE watermark status, so
  downstream operators stop waiting for this source's watermarks; the next
  record or watermark makes the stream ACTIVE again.

When ``run`` returns, the source ends with the maximum watermark (as every
finished source does). Legacy sources cannot be rewound (they have no split
positions); use the Source API (``env.from_source``) for replayable input.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

from flink_py.common.watermark_strategy import Watermark
from flink_py.datastream.functions import Function
from flink_py.taskmanager.operators.base import SourceOperator

__all__ = ["SourceContext", "SourceFunctionOperator"]

_NO_TIMESTAMP = -(1 << 63)


class _SourceCancelled(Exception):
    """Raised inside ``run`` by ``collect`` once the source was cancelled."""


class _Records:
    """A run of records in the buffer (timestamps: None until one has a timestamp)."""

    __slots__ = ("timestamps", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.timestamps: list[int] | None = None


class _WatermarkMark:
    """A watermark in the buffer, between the records before and after it."""

    __slots__ = ("timestamp",)

    def __init__(self, timestamp: int) -> None:
        self.timestamp = timestamp


class _StatusMark:
    """A watermark status change (IDLE or ACTIVE) in the buffer."""

    __slots__ = ("idle",)

    def __init__(self, idle: bool) -> None:
        self.idle = idle


class SourceContext:
    """The ``ctx`` given to ``SourceFunction.run``.

    Args:
        capacity: buffered records and events before ``ctx`` calls block.
        what: names the source in errors.
    """

    def __init__(self, capacity: int, what: str = "add_source") -> None:
        self._capacity = capacity
        self._what = what
        self._cond = threading.Condition()
        #: records and events, in the order the source produced them
        self._items: list[Any] = []
        self._size = 0
        #: the status the source last announced (source thread's view)
        self._idle = False
        self.cancelled = False
        self._lock = threading.RLock()

    # -- the SourceContext API ------------------------------------------------------------
    def collect(self, element: Any) -> None:
        """Emit one record (without timestamp)."""
        self._add(element, None)

    def collect_with_timestamp(self, element: Any, timestamp: int) -> None:
        """Emit one record with an event timestamp (epoch ms)."""
        self._add(element, self._check(timestamp, "collect_with_timestamp needs an int "
                                                  "timestamp (epoch ms)"))

    def emit_watermark(self, watermark: Watermark | int) -> None:
        """Event time of this source has reached ``watermark`` (a ``Watermark`` or epoch ms).

        It follows the records collected before it; an idle source becomes active.
        """
        ts = watermark.get_timestamp() if isinstance(watermark, Watermark) else \
            self._check(watermark, "emit_watermark needs a Watermark or an int (epoch ms)")
        with self._cond:
            self._wait_for_room()
            self._activate()
            self._push(_WatermarkMark(ts))

    def mark_as_temporarily_idle(self) -> None:
        """Downstream operators stop waiting for this source's watermarks until it emits again."""
        with self._cond:
            self._wait_for_room()
            if not self._idle:
                self._idle = True
                self._push(_StatusMark(True))

    def get_checkpoint_lock(self) -> threading.RLock:
        """The lock to hold while emitting and updating state together."""
        return self._lock

    def close(self) -> None:
        """Nothing to release (Flink's ``SourceContext.close``)."""

    # -- the source thread's side -----------------------------------------------------------
    def _check(self, value: Any, message: str) -> int:
        if not isinstance(value, bool):
            try:
                return operator.index(value)
            except TypeError:
                pass
        raise TypeError(f"{self._what}: {message}, got {type(value).__name__} {value!r}")

    def _wait_for_room(self) -> None:
        while self._size >= self._capacity and not self.cancelled:
            self._cond.wait()
        if self.cancelled:
            raise _SourceCancelled

    def _push(self, item: Any) -> None:
        self._items.append(item)
        self._size += 1
        self._cond.notify_all()

    def _activate(self) -> None:
        if self._idle:
            self._idle = False
            self._push(_StatusMark(False))

    def _add(self, element: Any, timestamp: int | None) -> None:
        with self._cond:
            self._wait_for_room()
            self._activate()
            items = self._items
            run = items[-1] if items and items[-1].__class__ is _Records else None
            if run is None:
                run = _Records()
                items.append(run)
            if timestamp is not None and run.timestamps is None:
                run.timestamps = [_NO_TIMESTAMP] * len(run.values)
            run.values.append(element)
            if run.timestamps is not None:
                run.timestamps.append(_NO_TIMESTAMP if timestamp is None else timestamp)
            self._size += 1
            self._cond.notify_all()

    # -- the task thread's side -------------------------------------------------------------
    def take(self, timeout: float) -> list[Any]:
        """Everything buffered, in order (waiting up to ``timeout`` for something)."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            items = self._items
            self._items, self._size = [], 0
            self._cond.notify_all()
            return items

    def cancel(self) -> None:
        """Unblock ``collect`` for good."""
        with self._cond:
            self.cancelled = True
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake a waiting :meth:`take`."""
        with self._cond:
            self._cond.notify_all()


class SourceFunctionOperator(SourceOperator):
    """Runs ``func.run(ctx)`` on a helper thread and emits what it produces, in order."""

    bounded = False  # a legacy source gives no guarantee to end

    def __init__(self, func: Any) -> None:
        super().__init__()
        if not callable(getattr(func, "run", None)):
            msg = (f"add_source: {func!r} is not a SourceFunction (it needs run(ctx) and "
                   "cancel())")
            raise TypeError(msg)
        self.func = func
        self.user_function = func if isinstance(func, Function) else None
        self._ctx: SourceContext | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._done: threading.Event | None = None

    def open(self) -> None:
        super().open()
        self._done = threading.Event()
        self._ctx = SourceContext(4 * 4096, f"Source '{self.ctx.operator_name}'")
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"{self.ctx.operator_name}-source-function")
        self._thread.start()

    def _run(self) -> None:
        ctx, done = self._ctx, self._done
        assert ctx is not None and done is not None
        try:
            self.func.run(ctx)
        except _SourceCancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the task thread
            self._error = exc
        finally:
            done.set()
            ctx.wake()

    def poll_next(self, max_rows: int) -> list[Any] | None:
        ctx = self._ctx
        assert ctx is not None and self._done is not None
        done = self._done.is_set()
        items = ctx.take(0 if done else 0.05)
        if self._error is not None:
            raise self._error
        if not items:
            return None if done else []
        first = items[0]
        if len(items) == 1 and first.__class__ is _Records and first.timestamps is None:
            return first.values  # records only, without timestamps: the task emits them
        output = self.output
        for item in items:
            cls = item.__class__
            if cls is _Records:
                output.emit(item.values, item.timestamps)
            elif cls is _WatermarkMark:
                output.emit_watermark(item.timestamp)
            else:
                output.emit_watermark_status(item.idle)
        return []

    def close(self) -> None:
        ctx = self._ctx
        if ctx is not None and self._done is not None and not self._done.is_set():
            ctx.cancel()
            cancel = getattr(self.func, "cancel", None)
            if callable(cancel):
                cancel()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().close()
