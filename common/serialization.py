"""``Encoder`` and ``BulkWriterFactory``, as in ``pyflink.common.serialization``.

An :class:`Encoder` turns one record into bytes of a row-format file (the
``FileSink.for_row_format`` path); a :class:`BulkWriterFactory` creates a
:class:`BulkWriter` that owns a whole part file (columnar formats such as
Parquet, ``FileSink.for_bulk_format``). Both are plain Python objects that
travel to the TaskManagers pickled with the job.
"""

from __future__ import annotations

import abc
from typing import Any, BinaryIO

__all__ = ["BulkWriter", "BulkWriterFactory", "Encoder", "SimpleStringEncoder"]


class Encoder(abc.ABC):
    """Writes records to a row-format part file, one after the other."""

    #: The declared type of the records (set by the sink when it is attached).
    type_info: Any = None

    def set_input_type(self, type_info: Any) -> None:
        """Called with the stream's declared type when the sink is attached."""
        self.type_info = type_info

    @abc.abstractmethod
    def encode(self, element: Any, stream: BinaryIO) -> None:
        """Write ``element`` to ``stream``."""

    def encode_batch(self, elements: list[Any]) -> bytes:
        """The bytes of several elements at once (override for speed)."""
        import io

        buf = io.BytesIO()
        for e in elements:
            self.encode(e, buf)
        return buf.getvalue()

    @staticmethod
    def simple_string_encoder(charset_name: str = "UTF-8") -> Encoder:
        """Each record as Flink's ``toString()`` would print it, plus a newline."""
        return SimpleStringEncoder(charset_name)


class SimpleStringEncoder(Encoder):
    """Flink's ``SimpleStringEncoder``: ``str(record)`` (Java style) and ``\\n``."""

    def __init__(self, charset_name: str = "UTF-8") -> None:
        "".encode(charset_name)  # an unknown charset fails when the job is defined
        self.charset_name = charset_name

    def _text(self, element: Any) -> str:
        from flink_py.taskmanager.operators.formatting import java_string

        return java_string(element, self.type_info)

    def encode(self, element: Any, stream: BinaryIO) -> None:  # noqa: D102
        stream.write((self._text(element) + "\n").encode(self.charset_name))

    def encode_batch(self, elements: list[Any]) -> bytes:  # noqa: D102
        if self.type_info is None:
            text = "".join([f"{e}\n" for e in elements])
        elif self._is_string():
            text = "".join([f"{e}\n" if e is not None else "null\n" for e in elements])
        else:
            from flink_py.taskmanager.operators.formatting import java_string

            t = self.type_info
            text = "".join([java_string(e, t) + "\n" for e in elements])
        return text.encode(self.charset_name)

    def _is_string(self) -> bool:
        return type(self.type_info).__name__ == "BasicTypeInfo" and \
            self.type_info.type_name() in ("STRING", "CHAR")

    def __repr__(self) -> str:
        return f"SimpleStringEncoder({self.charset_name!r})"


class BulkWriter(abc.ABC):
    """Writes a whole part file; created by a :class:`BulkWriterFactory`."""

    @abc.abstractmethod
    def add_elements(self, elements: list[Any]) -> None:
        """Add a batch of records to the file."""

    @abc.abstractmethod
    def flush(self) -> None:
        """Write out everything buffered so far (not the file's footer)."""

    @abc.abstractmethod
    def finish(self) -> None:
        """Complete the file (footer, metadata); no more elements follow."""


class BulkWriterFactory(abc.ABC):
    """Creates a :class:`BulkWriter` over an open output stream."""

    #: The declared type of the records (set by the sink when it is attached).
    type_info: Any = None

    def set_input_type(self, type_info: Any) -> None:
        """Called with the stream's declared type when the sink is attached."""
        self.type_info = type_info

    @abc.abstractmethod
    def create(self, stream: Any) -> BulkWriter:
        """A writer over ``stream`` (a pyarrow output stream)."""
