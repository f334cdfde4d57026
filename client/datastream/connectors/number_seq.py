"""``NumberSequenceSource``: a parallel, bounded source of consecutive longs."""

from __future__ import annotations

from typing import Any

from flink_py.taskmanager.operators.sources import NumberSequenceSourceOperator

__all__ = ["NumberSequenceSource"]


class NumberSequenceSource:
    """The numbers ``start..end`` (both inclusive), split over the subtasks."""

    def __init__(self, start: int, end: int) -> None:
        if end < start:
            raise ValueError(f"end ({end}) must not be smaller than start ({start})")
        self.start = start
        self.end = end

    @property
    def type_info(self) -> Any:
        """Records are LONG."""
        from flink_py.common.typeinfo import Types

        return Types.LONG()

    def create_operator(self) -> NumberSequenceSourceOperator:
        """The runtime operator reading this source."""
        return NumberSequenceSourceOperator(self.start, self.end)
