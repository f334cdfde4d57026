"""PyFlink's ``pyflink.common.serializer``: the TypeSerializer interface.

flink-py moves records as Arrow columns or pickles and never asks a
serializer for them; the classes exist so that user code written for PyFlink
(a custom ``WindowAssigner.get_window_serializer``, for instance) runs, and
they do serialize for real.
"""

from __future__ import annotations

import abc
from io import BytesIO
from typing import Any, Generic, TypeVar

__all__ = ["TypeSerializer", "VoidNamespaceSerializer"]

T = TypeVar("T")


class TypeSerializer(abc.ABC, Generic[T]):
    """Writes values of one type to a binary stream and reads them back."""

    @abc.abstractmethod
    def serialize(self, element: T, stream: BytesIO) -> None:
        """Write ``element`` to ``stream``."""

    @abc.abstractmethod
    def deserialize(self, stream: BytesIO) -> T:
        """Read one value from ``stream``."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class VoidNamespaceSerializer(TypeSerializer[Any]):
    """The namespace of state that has none (one zero byte)."""

    def serialize(self, element: Any, stream: BytesIO) -> None:  # noqa: D102
        stream.write(b"\x00")

    def deserialize(self, stream: BytesIO) -> Any:  # noqa: D102
        stream.read(1)
        return None
