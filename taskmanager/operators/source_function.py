"""``env.add_source``: a legacy ``SourceFunction`` (``run(ctx)`` / ``cancel()``).

``run`` blocks until the source is exhausted, so it runs on its own thread
and hands records to the task thread through a bounded buffer: a full buffer
blocks ``ctx.collect`` (back-pressure). An exception in ``run`` fails the
task; cancelling the task calls ``cancel()`` and unblocks ``collect``.

Legacy sources cannot be rewound (they have no split positions); use the
Source API (``env.from_source``) for replayable input.
"""

from __future__ import annotations

import threading
from typing import Any

from flink_py.datastream.functions import Function
from flink_py.taskmanager.operators.base import SourceOperator

__all__ = ["SourceFunctionOperator"]

_NO_TIMESTAMP = -(1 << 63)


class _SourceCancelled(Exception):
    """Raised inside ``run`` by ``collect`` once the source was cancelled."""


class SourceContext:
    """The ``ctx`` given to ``SourceFunction.run``."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._cond = threading.Condition()
        self._values: list[Any] = []
        self._timestamps: list[int] | None = None
        self.cancelled = False
        self._lock = threading.RLock()

    def collect(self, element: Any) -> None:
        """Emit one record."""
        self._add(element, None)

    def collect_with_timestamp(self, element: Any, timestamp: int) -> None:
        """Emit one record with an event timestamp (ms)."""
        self._add(element, timestamp)

    def emit_watermark(self, watermark: Any) -> None:
        """Watermarks from legacy sources are not forwarded yet (event-time issue)."""

    def mark_as_temporarily_idle(self) -> None:
        """No effect until watermarks are propagated."""

    def get_checkpoint_lock(self) -> threading.RLock:
        """The lock to hold while emitting and updating state together."""
        return self._lock

    def _add(self, element: Any, timestamp: int | None) -> None:
        with self._cond:
            while len(self._values) >= self._capacity and not self.cancelled:
                self._cond.wait()
            if self.cancelled:
                raise _SourceCancelled
            if timestamp is not None and self._timestamps is None:
                self._timestamps = [_NO_TIMESTAMP] * len(self._values)
            self._values.append(element)
            if self._timestamps is not None:
                self._timestamps.append(_NO_TIMESTAMP if timestamp is None else timestamp)
            self._cond.notify_all()

    def take(self, timeout: float) -> tuple[list[Any], list[int] | None]:
        """Everything buffered (waiting up to ``timeout`` for something)."""
        with self._cond:
            if not self._values:
                self._cond.wait(timeout)
            values, ts = self._values, self._timestamps
            self._values, self._timestamps = [], None
            self._cond.notify_all()
            return values, ts

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
    """Runs ``func.run(ctx)`` on a helper thread and emits what it collects."""

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

    def open(self) -> None:  # noqa: D102
        super().open()
        self._done = threading.Event()
        self._ctx = SourceContext(4 * 4096)
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

    def poll_next(self, max_rows: int) -> list[Any] | None:  # noqa: D102
        ctx = self._ctx
        assert ctx is not None and self._done is not None
        done = self._done.is_set()
        values, timestamps = ctx.take(0 if done else 0.05)
        if self._error is not None:
            raise self._error
        if timestamps is not None:
            self.output.emit(values, timestamps)
            return []
        if not values and done:
            return None
        return values

    def close(self) -> None:  # noqa: D102
        ctx = self._ctx
        if ctx is not None and self._done is not None and not self._done.is_set():
            ctx.cancel()
            cancel = getattr(self.func, "cancel", None)
            if callable(cancel):
                cancel()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().close()
