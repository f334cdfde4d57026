"""``CompletableFuture``: what PyFlink's ``JobClient`` methods return.

``result()`` blocks until the value is there (or raises what computing it
raised); ``done()`` tells without blocking. A future is either already
complete (``CompletableFuture.completed(value)``) or computed on the first
``result()`` by a blocking call, with an optional non-blocking probe for
``done()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["CompletableFuture"]

T = TypeVar("T")


class CompletableFuture(Generic[T]):
    """A value that may not be there yet (PyFlink's ``pyflink.common.CompletableFuture``).

    Args:
        compute: the blocking call that yields the value (run once, by the first
            ``result()``).
        probe: whether ``compute`` would return at once (for ``done()``).
    """

    def __init__(self, compute: Callable[[], T], probe: Callable[[], bool] | None = None) -> None:
        self._compute: Callable[[], T] | None = compute
        self._probe = probe
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[CompletableFuture[T]], None]] = []

    @classmethod
    def completed(cls, value: T) -> CompletableFuture[T]:
        """A future that already holds ``value``."""
        future: CompletableFuture[T] = cls(lambda: value)
        future.result()
        return future

    def result(self) -> T:
        """The value, waiting for it if need be; raises what computing it raised."""
        with self._lock:
            if not self._done:
                compute, self._compute = self._compute, None
                try:
                    self._value = compute() if compute is not None else None
                except BaseException as exc:  # noqa: BLE001 - kept and re-raised to callers
                    self._exception = exc
                self._done = True
                callbacks, self._callbacks = self._callbacks, []
            else:
                callbacks = []
        for fn in callbacks:
            fn(self)
        if self._exception is not None:
            raise self._exception
        return self._value  # type: ignore[no-any-return]

    def done(self) -> bool:
        """Whether ``result()`` would return (or raise) without waiting."""
        if self._done:
            return True
        return bool(self._probe()) if self._probe is not None else False

    def exception(self) -> BaseException | None:
        """What computing the value raised (after ``result()``), else None."""
        return self._exception

    def cancel(self) -> bool:
        """A job's future cannot be cancelled (cancel the job itself): False."""
        return False

    def cancelled(self) -> bool:
        """Never cancelled: False."""
        return False

    def add_done_callback(self, fn: Callable[[CompletableFuture[T]], None]) -> None:
        """Call ``fn(self)`` once the value is there (at once if it is)."""
        with self._lock:
            if not self._done:
                self._callbacks.append(fn)
                return
        fn(self)

    def __repr__(self) -> str:
        state = "done" if self._done else "pending"
        return f"CompletableFuture({state})"
