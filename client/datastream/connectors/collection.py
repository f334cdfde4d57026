"""``CollectionSource``: the non-parallel source behind ``env.from_collection``.

The elements travel with the job; one split whose position is the index of
the next element to emit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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

__all__ = ["CollectionSource", "CollectionSplit"]


@dataclasses.dataclass
class CollectionSplit(SourceSplit):
    """The elements from index ``position`` on."""

    position: int = 0

    def split_id(self) -> str:  # noqa: D102
        return "collection"


class _CollectionReader(SourceReaderBase[CollectionSplit]):
    def __init__(self, context: SourceReaderContext, values: list[Any]) -> None:
        super().__init__(context)
        self.values = values

    def fetch(self, split: CollectionSplit, max_records: int) -> tuple[list[Any], bool]:
        pos = split.position
        records = self.values[pos:pos + max_records]
        split.position = pos + len(records)
        return records, split.position >= len(self.values)


def _as_declared(values: list[Any], type_info: Any) -> list[Any]:
    """The elements as PyFlink hands them to the first operator: converted to the
    declared type (a dict or named ``Row`` mapped to a row's fields by name, a list
    typed ``TUPLE`` as a tuple...), whatever the chaining. A misfit fails here,
    naming the value and the type."""
    from flink_py.common.runtime.arrow_codec import BatchCodec
    from flink_py.taskmanager.output_types import is_typed

    if not values or not is_typed(type_info):
        return values
    codec = BatchCodec(type_info)
    return codec.decode(codec.encode(values))


class CollectionSource(Source[CollectionSplit, dict[int, list[CollectionSplit]]]):
    """Emits ``values`` in order from a single subtask."""

    def __init__(self, values: Sequence[Any], type_info: Any = None) -> None:
        self.values = _as_declared(list(values), type_info)
        self.type_info = type_info

    def get_boundedness(self) -> Boundedness:  # noqa: D102
        return Boundedness.BOUNDED

    def get_produced_type(self) -> Any:  # noqa: D102
        return self.type_info

    def is_parallel(self) -> bool:  # noqa: D102
        return False

    def create_enumerator(self, enum_context: SplitEnumeratorContext[CollectionSplit]
                          ) -> StaticSplitEnumerator[CollectionSplit]:  # noqa: D102
        return StaticSplitEnumerator(enum_context, [CollectionSplit()])

    def restore_enumerator(self, enum_context: SplitEnumeratorContext[CollectionSplit],
                           checkpoint: dict[int, list[CollectionSplit]]
                           ) -> StaticSplitEnumerator[CollectionSplit]:  # noqa: D102
        return StaticSplitEnumerator(enum_context, [], restored=checkpoint)

    def create_reader(self, reader_context: SourceReaderContext) -> _CollectionReader:  # noqa: D102
        return _CollectionReader(reader_context, self.values)
