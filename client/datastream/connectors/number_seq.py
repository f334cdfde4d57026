"""``NumberSequenceSource``: a parallel, bounded source of consecutive longs.

As in Flink, the range is cut into one split per parallel reader (subtask
``i`` reads the ``i``-th sub-range, in order). A split's position is the next
number to emit, so a restored reader continues exactly after the last
emitted number.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flink_py.datastream.connectors.reader_base import SourceReaderBase
from flink_py.datastream.connectors.source import (
    Boundedness,
    Source,
    SourceReaderContext,
    SourceSplit,
    SplitEnumeratorContext,
)
from flink_py.datastream.connectors.static_enumerator import StaticSplitEnumerator

__all__ = ["NumberSequenceSource", "NumberSequenceSplit"]


@dataclasses.dataclass
class NumberSequenceSplit(SourceSplit):
    """The numbers ``current..to`` (inclusive) still to emit of sub-range ``id``."""

    id: str
    current: int
    to: int

    def split_id(self) -> str:  # noqa: D102
        return self.id


class _NumberSequenceReader(SourceReaderBase[NumberSequenceSplit]):
    def fetch(self, split: NumberSequenceSplit, max_records: int) -> tuple[list[Any], bool]:
        hi = min(split.current + max_records, split.to + 1)
        records = list(range(split.current, hi))
        split.current = hi
        return records, hi > split.to


class NumberSequenceSource(Source[NumberSequenceSplit, dict[int, list[NumberSequenceSplit]]]):
    """The numbers ``start..end`` (both inclusive), split over the subtasks.

    Args:
        start: the first number.
        end: the last number (inclusive).
    """

    def __init__(self, start: int, end: int) -> None:
        if end < start:
            raise ValueError(f"NumberSequenceSource: end ({end}) must not be smaller than "
                             f"start ({start})")
        self.start = start
        self.end = end

    def get_boundedness(self) -> Boundedness:  # noqa: D102
        return Boundedness.BOUNDED

    def get_produced_type(self) -> Any:
        """Records are LONG."""
        from flink_py.common.typeinfo import Types

        return Types.LONG()

    @property
    def type_info(self) -> Any:
        """Alias of :meth:`get_produced_type`."""
        return self.get_produced_type()

    def splits(self, parallelism: int) -> list[NumberSequenceSplit]:
        """The range cut into ``parallelism`` splits (empty ones omitted)."""
        n = self.end - self.start + 1
        out = []
        for i in range(parallelism):
            lo = self.start + n * i // parallelism
            hi = self.start + n * (i + 1) // parallelism - 1
            if lo <= hi:
                out.append(NumberSequenceSplit(str(i), lo, hi))
        return out

    def create_enumerator(self, enum_context: SplitEnumeratorContext[NumberSequenceSplit]
                          ) -> StaticSplitEnumerator[NumberSequenceSplit]:  # noqa: D102
        p = enum_context.current_parallelism()
        return StaticSplitEnumerator(enum_context, self.splits(p),
                                     owner=lambda i, split, p: int(split.id) % p)

    def restore_enumerator(self, enum_context: SplitEnumeratorContext[NumberSequenceSplit],
                           checkpoint: dict[int, list[NumberSequenceSplit]]
                           ) -> StaticSplitEnumerator[NumberSequenceSplit]:  # noqa: D102
        return StaticSplitEnumerator(enum_context, [], restored=checkpoint)

    def create_reader(self, reader_context: SourceReaderContext) -> _NumberSequenceReader:  # noqa: D102
        return _NumberSequenceReader(reader_context)

    def __repr__(self) -> str:
        return f"NumberSequenceSource({self.start}, {self.end})"
