"""Built-in sources of the core runtime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flink_py.taskmanager.operators.base import SourceOperator

__all__ = ["CollectionSourceOperator", "NumberSequenceSourceOperator"]


class CollectionSourceOperator(SourceOperator):
    """``from_collection``: a non-parallel source over a list of values."""

    def __init__(self, values: Sequence[Any]) -> None:
        super().__init__()
        self.values = list(values)
        self._pos = 0

    def poll_next(self, max_rows: int) -> list[Any] | None:  # noqa: D102
        if self._pos >= len(self.values):
            return None
        batch = self.values[self._pos:self._pos + max_rows]
        self._pos += len(batch)
        return batch


class NumberSequenceSourceOperator(SourceOperator):
    """The numbers ``start..end`` (inclusive), split evenly across subtasks."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__()
        self.start = start
        self.end = end
        self._next = 0
        self._stop = 0

    def open(self) -> None:  # noqa: D102
        super().open()
        n = self.end - self.start + 1
        p, i = self.ctx.parallelism, self.ctx.subtask_index
        self._next = self.start + n * i // p
        self._stop = self.start + n * (i + 1) // p

    def poll_next(self, max_rows: int) -> list[Any] | None:  # noqa: D102
        if self._next >= self._stop:
            return None
        hi = min(self._next + max_rows, self._stop)
        batch = list(range(self._next, hi))
        self._next = hi
        return batch
