"""``OutputTag``: names a side output (``pyflink.datastream.output_tag``).

A process function emits to a side output with ``yield tag, value`` or
``ctx.output(tag, value)``; ``stream.get_side_output(tag)`` is the stream of
those values. Two tags are the same side output when their ids are equal.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OutputTag"]


class OutputTag:
    """A named, typed tag for the side outputs of an operator.

    Example:
        >>> from flink_py.common import Types
        >>> tag = OutputTag("late-data", Types.TUPLE([Types.STRING(), Types.LONG()]))
        >>> tag.tag_id
        'late-data'
    """

    __slots__ = ("tag_id", "type_info")

    def __init__(self, tag_id: str, type_info: Any = None) -> None:
        """Create a tag.

        Args:
            tag_id: the side output's name (not empty).
            type_info: the TypeInformation of its values; a list means a Row
                of those field types; None means pickled Python objects.

        Raises:
            ValueError: ``tag_id`` is empty.
        """
        if not tag_id or not isinstance(tag_id, str):
            raise ValueError("OutputTag tag_id cannot be None or empty string")
        if isinstance(type_info, list):
            from flink_py.common.typeinfo import RowTypeInfo

            type_info = RowTypeInfo(type_info)
        self.tag_id = tag_id
        self.type_info = type_info

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutputTag) and other.tag_id == self.tag_id

    def __hash__(self) -> int:
        return hash(self.tag_id)

    def __repr__(self) -> str:
        return f"OutputTag({self.tag_id!r}, {self.type_info!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (OutputTag, (self.tag_id, self.type_info))
