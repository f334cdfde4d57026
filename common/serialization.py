"""Encoders, bulk writers and (de)serialization schemas, as in ``pyflink.common.serialization``.

A :class:`SerializationSchema` turns a record into the bytes of one message and a
:class:`DeserializationSchema` turns a message back into a record (connectors that
exchange messages, such as Kafka or sockets, take them).

An :class:`Encoder` turns one record into bytes of a row-format file (the
``FileSink.for_row_format`` path); a :class:`BulkWriterFactory` creates a
:class:`BulkWriter` that owns a whole part file (columnar formats such as
Parquet, ``FileSink.for_bulk_format``). Both are plain Python objects that
travel to the TaskManagers pickled with the job.
"""

from __future__ import annotations

import abc
from typing import Any, BinaryIO

__all__ = ["BulkWriter", "BulkWriterFactory", "ByteArraySchema", "DeserializationSchema", "Encoder",
           "RowFieldExtractorSchema", "SerializationSchema", "SimpleStringEncoder",
           "SimpleStringSchema"]


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


class SerializationSchema:
    """Turns a record into the bytes of one message (``serialize``)."""

    def open(self, context: Any = None) -> None:
        """Called once before the first record."""

    def serialize(self, element: Any) -> bytes:
        """The message bytes of ``element``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement serialize()")


class DeserializationSchema:
    """Turns the bytes of one message into a record (``deserialize``) of a declared type."""

    def open(self, context: Any = None) -> None:
        """Called once before the first message."""

    def deserialize(self, message: bytes) -> Any:
        """The record of ``message``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement deserialize()")

    def is_end_of_stream(self, next_element: Any) -> bool:
        """Whether ``next_element`` ends the stream (never, by default)."""
        return False

    def get_produced_type(self) -> Any:
        """The type of the records this schema produces."""
        return None


class SimpleStringSchema(SerializationSchema, DeserializationSchema):
    """Strings as their bytes in ``charset`` (UTF-8 by default), and back."""

    def __init__(self, charset: str = "UTF-8") -> None:
        "".encode(charset)  # an unknown charset fails when the job is defined (LookupError)
        self.charset = charset

    def serialize(self, element: Any) -> bytes:  # noqa: D102
        return str(element).encode(self.charset)

    def deserialize(self, message: bytes) -> str:  # noqa: D102
        return bytes(message).decode(self.charset)

    def get_produced_type(self) -> Any:  # noqa: D102
        from flink_py.common.typeinfo import Types

        return Types.STRING()

    def __repr__(self) -> str:
        return f"SimpleStringSchema({self.charset!r})"


class ByteArraySchema(SerializationSchema, DeserializationSchema):
    """Messages as the bytes they are."""

    def serialize(self, element: Any) -> bytes:  # noqa: D102
        return bytes(element)

    def deserialize(self, message: bytes) -> bytes:  # noqa: D102
        return bytes(message)

    def get_produced_type(self) -> Any:  # noqa: D102
        from flink_py.common.typeinfo import Types

        return Types.PRIMITIVE_ARRAY(Types.BYTE())


class RowFieldExtractorSchema(SerializationSchema):
    """The bytes of one field of a Row (e.g. a Kafka message key); the field must be bytes."""

    def __init__(self, field_index: int) -> None:
        if not isinstance(field_index, int) or isinstance(field_index, bool) or field_index < 0:
            raise ValueError(f"Field index must be non-negative, got: {field_index!r}")
        self.field_index = field_index

    def serialize(self, element: Any) -> bytes:  # noqa: D102
        if element is None:
            return b""
        value = element[self.field_index]
        if value is None:
            return b""
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"RowFieldExtractorSchema: field {self.field_index} must be bytes, "
                            f"got {type(value).__name__}")
        return bytes(value)
