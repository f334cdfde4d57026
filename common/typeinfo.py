"""Type information for flink-py: PyFlink's ``pyflink.common.typeinfo`` without the JVM.

Mirrors the public surface of PyFlink 2.x (``Types`` factory, ``TypeInformation`` classes,
``BasicType`` enum, ``LocalTimeTypeInfo.TimeType``) as pure Python objects. On top of the
PyFlink API every :class:`TypeInformation` exposes:

* :meth:`TypeInformation.to_arrow_type` -- the Arrow type used on the data plane;
* :meth:`TypeInformation.validate` -- a per-value check raising :class:`TypeMismatchError`;
* :meth:`TypeInformation.type_name` -- the ``Types``-style name used in error messages.

Python values per type (what a user function receives / must produce):

==========================  ===========================================  ========================
Type                        Python value                                 Arrow type
==========================  ===========================================  ========================
STRING, CHAR                ``str``                                      ``string``
BOOLEAN                     ``bool``                                     ``bool``
BYTE/SHORT/INT/LONG         ``int`` (range checked)                      ``int8/16/32/64``
FLOAT, DOUBLE               ``float`` (``int`` accepted)                 ``float32/64``
BIG_INT                     ``int`` (at most 38 decimal digits)          ``decimal128(38, 0)``
BIG_DEC                     ``decimal.Decimal`` (``int`` accepted)       ``string`` (the value's text)
SQL_DATE, LOCAL_DATE        ``datetime.date``                            ``date32``
SQL_TIME, LOCAL_TIME        ``datetime.time`` (naive)                    ``time64[us]``
SQL_TIMESTAMP,              ``datetime.datetime`` (naive)                ``timestamp[us]``
LOCAL_DATE_TIME
INSTANT                     ``Instant`` (any object with int ``seconds`` ``timestamp[ns, UTC]``
                            and ``nanos``; an aware ``datetime`` is
                            accepted); decoded as ``Instant``
PICKLED_BYTE_ARRAY          any picklable object                         ``binary``
ROW / ROW_NAMED             ``Row`` (also tuple, list, dict)             ``struct``
TUPLE                       ``tuple`` (also list, ``Row``)               ``struct``
LIST, BASIC_ARRAY,          ``list`` (tuple accepted)                    ``list``
OBJECT_ARRAY,
PRIMITIVE_ARRAY
PRIMITIVE_ARRAY(BYTE)       ``bytes`` (bytearray accepted)               ``binary``
MAP                         ``dict``                                     ``map``
==========================  ===========================================  ========================

``None`` is accepted for every type when nested or as a column value; a top-level ROW or
TUPLE record itself must not be ``None`` (as in PyFlink), and map keys must not be ``None``.
"""

from __future__ import annotations

import datetime
import decimal
from enum import Enum
from typing import Any

import pyarrow as pa

from flink_py.common.types import Row

__all__ = [
    "BasicArrayTypeInfo",
    "BasicType",
    "BasicTypeInfo",
    "DateTypeInfo",
    "InstantTypeInfo",
    "ListTypeInfo",
    "LocalTimeTypeInfo",
    "MapTypeInfo",
    "ObjectArrayTypeInfo",
    "PickledBytesTypeInfo",
    "PrimitiveArrayTypeInfo",
    "RowTypeInfo",
    "SqlTimeTypeInfo",
    "TimeTypeInfo",
    "TimestampTypeInfo",
    "TupleTypeInfo",
    "TypeInformation",
    "TypeMismatchError",
    "Types",
]

#: ``Types.BIG_DEC()`` is Java's BigDecimal (PyFlink's BigDecimalCoder): any precision, and
#: every value keeps its own scale (``1.50`` stays ``1.50``). It travels as its decimal text.
#: ``Types.BIG_INT()`` travels as ``decimal128(38, 0)``: integers of at most 38 digits.
BIG_INT_PRECISION = 38

_MAX_REPR = 200


def _short_repr(value: Any) -> str:
    """Returns ``repr(value)`` truncated to a readable length (never raises)."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - defensive: broken __repr__
        text = "<%s object>" % type(value).__name__
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 3] + "..."
    return text


class TypeMismatchError(TypeError):
    """A value does not fit the declared :class:`TypeInformation`.

    Attributes:
        value: The offending value (not preserved when the error is pickled).
        declared_type: The declared type the value failed to match.
    """

    def __init__(
        self,
        message: str,
        value: Any = None,
        declared_type: TypeInformation | None = None,
    ) -> None:
        super().__init__(message)
        self.value = value
        self.declared_type = declared_type

    @classmethod
    def for_value(
        cls, value: Any, declared_type: TypeInformation, detail: str | None = None
    ) -> TypeMismatchError:
        """Builds the canonical error naming the value and the declared type.

        Args:
            value: The offending value.
            declared_type: The type it was declared as.
            detail: Optional explanation appended after a colon.

        Returns:
            The error, e.g. ``Value 'abc' (str) does not match the declared type INT``.
        """
        message = "Value %s (%s) does not match the declared type %s" % (
            _short_repr(value),
            type(value).__name__,
            declared_type.type_name(),
        )
        if detail:
            message += ": " + detail
        return cls(message, value, declared_type)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (str(self), None, self.declared_type))


class TypeInformation:
    """Core class of Flink's type system (pure-Python flavour of PyFlink's class).

    Subclasses implement :meth:`to_arrow_type`, :meth:`validate`, :meth:`type_name`,
    ``__eq__``/``__hash__``/``__repr__``. Instances are immutable, hashable and picklable.
    """

    def to_arrow_type(self) -> pa.DataType:
        """Returns the Arrow type used to carry values of this type.

        Returns:
            The ``pyarrow.DataType``.
        """
        raise NotImplementedError

    def validate(self, value: Any) -> None:
        """Checks that ``value`` fits this type.

        Args:
            value: A Python value (``None`` is accepted).

        Raises:
            TypeMismatchError: The value (or a nested value) does not fit; the message names
                the innermost offending value and its declared type.
        """
        raise NotImplementedError

    def type_name(self) -> str:
        """Returns the ``Types`` factory style name, e.g. ``INT`` or ``LIST<STRING>``."""
        raise NotImplementedError

    def _key(self) -> tuple[Any, ...]:
        """Returns the identity used by ``__eq__``/``__hash__``."""
        return (type(self),)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TypeInformation):
            return False
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.__repr__()


# ---------------------------------------------------------------------------------------------
# Basic types
# ---------------------------------------------------------------------------------------------


class BasicType(Enum):
    """Kinds of :class:`BasicTypeInfo` (values are PyFlink's Java class names)."""

    STRING = "String"
    BYTE = "Byte"
    BOOLEAN = "Boolean"
    SHORT = "Short"
    INT = "Integer"
    LONG = "Long"
    FLOAT = "Float"
    DOUBLE = "Double"
    CHAR = "Char"
    BIG_INT = "BigInteger"
    BIG_DEC = "BigDecimal"
    INSTANT = "Instant"


#: The value range of each Java integer type.
INT_RANGES: dict[BasicType, tuple[int, int]] = {
    BasicType.BYTE: (-(2**7), 2**7 - 1),
    BasicType.SHORT: (-(2**15), 2**15 - 1),
    BasicType.INT: (-(2**31), 2**31 - 1),
    BasicType.LONG: (-(2**63), 2**63 - 1),
}
_BIG_INT_LIMIT = 10**BIG_INT_PRECISION
_FLOAT32_MAX = 3.4028234663852886e38
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


_BASIC_ARROW_TYPES: dict[BasicType, pa.DataType] = {
    BasicType.STRING: pa.string(),
    BasicType.BYTE: pa.int8(),
    BasicType.BOOLEAN: pa.bool_(),
    BasicType.SHORT: pa.int16(),
    BasicType.INT: pa.int32(),
    BasicType.LONG: pa.int64(),
    BasicType.FLOAT: pa.float32(),
    BasicType.DOUBLE: pa.float64(),
    BasicType.CHAR: pa.string(),
    BasicType.BIG_INT: pa.decimal128(BIG_INT_PRECISION, 0),
    BasicType.BIG_DEC: pa.string(),
    BasicType.INSTANT: pa.timestamp("ns", tz="UTC"),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_basic(ti: BasicTypeInfo, value: Any) -> None:
    bt = ti._basic_type
    if bt is BasicType.STRING or bt is BasicType.CHAR:
        if not isinstance(value, str):
            raise TypeMismatchError.for_value(value, ti)
    elif bt is BasicType.BOOLEAN:
        if not isinstance(value, bool):
            raise TypeMismatchError.for_value(value, ti)
    elif bt in INT_RANGES:
        if not _is_int(value):
            raise TypeMismatchError.for_value(value, ti)
        low, high = INT_RANGES[bt]
        if not low <= value <= high:
            raise TypeMismatchError.for_value(
                value, ti, "out of range [%d, %d]" % (low, high)
            )
    elif bt is BasicType.FLOAT or bt is BasicType.DOUBLE:
        if _is_int(value):
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise TypeMismatchError.for_value(value, ti, "int out of the 64-bit range")
            return
        if not isinstance(value, float):
            raise TypeMismatchError.for_value(value, ti)
        if bt is BasicType.FLOAT and abs(value) > _FLOAT32_MAX and value == value:
            if value not in (float("inf"), float("-inf")):
                raise TypeMismatchError.for_value(value, ti, "overflows a 32-bit float")
    elif bt is BasicType.BIG_INT:
        if not _is_int(value):
            raise TypeMismatchError.for_value(value, ti)
        if not -_BIG_INT_LIMIT < value < _BIG_INT_LIMIT:
            raise TypeMismatchError.for_value(
                value, ti, "more than %d decimal digits" % BIG_INT_PRECISION
            )
    elif bt is BasicType.BIG_DEC:
        if _is_int(value):
            value_dec = decimal.Decimal(value)
        elif isinstance(value, decimal.Decimal):
            value_dec = value
        else:
            raise TypeMismatchError.for_value(value, ti)
        if not value_dec.is_finite():
            raise TypeMismatchError.for_value(value, ti, "not a finite decimal")
    elif bt is BasicType.INSTANT:
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise TypeMismatchError.for_value(
                    value, ti, "a timezone-aware datetime is required"
                )
        elif not _is_instant_like(value):
            raise TypeMismatchError.for_value(value, ti)
    else:  # pragma: no cover - exhaustive
        raise TypeError("Invalid BasicType %s." % bt)


def _is_instant_like(value: Any) -> bool:
    """Whether ``value`` looks like PyFlink's ``Instant`` (``seconds`` + ``nanos``)."""
    return _is_int(getattr(value, "seconds", None)) and _is_int(getattr(value, "nanos", None))


class BasicTypeInfo(TypeInformation):
    """Type information for primitive types (int, long, double, ...), String, BigInteger,
    BigDecimal and Instant."""

    def __init__(self, basic_type: BasicType) -> None:
        """Creates the type information.

        Args:
            basic_type: Which basic type.
        """
        if not isinstance(basic_type, BasicType):
            raise TypeError("Invalid BasicType %s." % (basic_type,))
        self._basic_type = basic_type

    def get_basic_type(self) -> BasicType:
        """Returns the :class:`BasicType`."""
        return self._basic_type

    def to_arrow_type(self) -> pa.DataType:
        return _BASIC_ARROW_TYPES[self._basic_type]

    def validate(self, value: Any) -> None:
        if value is not None:
            _validate_basic(self, value)

    def type_name(self) -> str:
        return self._basic_type.name

    def _key(self) -> tuple[Any, ...]:
        return (BasicTypeInfo, self._basic_type)

    def __repr__(self) -> str:
        return self._basic_type.value

    @staticmethod
    def STRING_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.STRING)

    @staticmethod
    def BOOLEAN_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BOOLEAN)

    @staticmethod
    def BYTE_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BYTE)

    @staticmethod
    def SHORT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.SHORT)

    @staticmethod
    def INT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.INT)

    @staticmethod
    def LONG_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.LONG)

    @staticmethod
    def FLOAT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.FLOAT)

    @staticmethod
    def DOUBLE_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.DOUBLE)

    @staticmethod
    def CHAR_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.CHAR)

    @staticmethod
    def BIG_INT_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BIG_INT)

    @staticmethod
    def BIG_DEC_TYPE_INFO() -> BasicTypeInfo:
        return BasicTypeInfo(BasicType.BIG_DEC)

    @staticmethod
    def INSTANT_TYPE_INFO() -> InstantTypeInfo:
        return InstantTypeInfo(BasicType.INSTANT)


class InstantTypeInfo(BasicTypeInfo):
    """Type information for an instant on the time-line (``Types.INSTANT()``).

    Values are ``flink_py.common.time.Instant`` objects (any object with int ``seconds``
    and ``nanos`` is accepted, and so is a timezone-aware ``datetime.datetime``); the next
    function receives ``Instant(seconds, nanos)``, as in PyFlink.
    """

    def __init__(self, basic_type: BasicType = BasicType.INSTANT) -> None:
        """Creates the type information.

        Args:
            basic_type: Must be ``BasicType.INSTANT`` (kept for PyFlink signature parity).
        """
        if basic_type is not BasicType.INSTANT:
            raise TypeError("InstantTypeInfo requires BasicType.INSTANT, got %s" % basic_type)
        super().__init__(basic_type)


# ---------------------------------------------------------------------------------------------
# Time types
# ---------------------------------------------------------------------------------------------


def _validate_date(ti: TypeInformation, value: Any) -> None:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise TypeMismatchError.for_value(value, ti)


def _validate_time(ti: TypeInformation, value: Any) -> None:
    if not isinstance(value, datetime.time):
        raise TypeMismatchError.for_value(value, ti)
    if value.tzinfo is not None:
        raise TypeMismatchError.for_value(value, ti, "a naive time (no tzinfo) is required")


def _validate_timestamp(ti: TypeInformation, value: Any) -> None:
    if not isinstance(value, datetime.datetime):
        raise TypeMismatchError.for_value(value, ti)
    if value.tzinfo is not None:
        raise TypeMismatchError.for_value(
            value, ti, "a naive datetime (no tzinfo) is required; use Types.INSTANT()"
        )


class SqlTimeTypeInfo(TypeInformation):
    """Factory (and common base class) of the SQL date/time/timestamp type infos."""

    @staticmethod
    def DATE() -> DateTypeInfo:
        return DateTypeInfo()

    @staticmethod
    def TIME() -> TimeTypeInfo:
        return TimeTypeInfo()

    @staticmethod
    def TIMESTAMP() -> TimestampTypeInfo:
        return TimestampTypeInfo()


class _SqlTimeKindTypeInfo(SqlTimeTypeInfo):
    """Common body of the three SQL time types: each sets its Arrow type, its value check
    and its names as class attributes."""

    #: The Arrow type carrying the values.
    _arrow_type: pa.DataType
    #: The ``Types`` factory name, e.g. ``"SQL_DATE"``.
    _type_label: str
    #: What ``repr`` shows, e.g. ``"DateTypeInfo"``.
    _repr_name: str

    @staticmethod
    def _check(ti: TypeInformation, value: Any) -> None:
        """Raises TypeMismatchError if the non-None ``value`` does not fit ``ti``."""
        raise NotImplementedError

    def to_arrow_type(self) -> pa.DataType:
        return self._arrow_type

    def validate(self, value: Any) -> None:
        if value is not None:
            self._check(self, value)

    def type_name(self) -> str:
        return self._type_label

    def __repr__(self) -> str:
        return self._repr_name


class DateTypeInfo(_SqlTimeKindTypeInfo):
    """TypeInformation for ``datetime.date`` (``Types.SQL_DATE()``)."""

    _arrow_type = pa.date32()
    _check = staticmethod(_validate_date)
    _type_label = "SQL_DATE"
    _repr_name = "DateTypeInfo"


class TimeTypeInfo(_SqlTimeKindTypeInfo):
    """TypeInformation for ``datetime.time`` (``Types.SQL_TIME()``), microsecond precision."""

    _arrow_type = pa.time64("us")
    _check = staticmethod(_validate_time)
    _type_label = "SQL_TIME"
    _repr_name = "TimeTypeInfo"


class TimestampTypeInfo(_SqlTimeKindTypeInfo):
    """TypeInformation for naive ``datetime.datetime`` (``Types.SQL_TIMESTAMP()``)."""

    _arrow_type = pa.timestamp("us")
    _check = staticmethod(_validate_timestamp)
    _type_label = "SQL_TIMESTAMP"
    _repr_name = "TimestampTypeInfo"


class LocalTimeTypeInfo(TypeInformation):
    """TypeInformation for ``LocalDate``/``LocalTime``/``LocalDateTime`` (Python ``date``,
    ``time`` and naive ``datetime``)."""

    class TimeType(Enum):
        """Which local time type."""

        LOCAL_DATE = 0
        LOCAL_TIME = 1
        LOCAL_DATE_TIME = 2

    def __init__(self, time_type: LocalTimeTypeInfo.TimeType) -> None:
        """Creates the type information.

        Args:
            time_type: Which local time type.
        """
        if not isinstance(time_type, LocalTimeTypeInfo.TimeType):
            raise TypeError("Invalid TimeType %s." % (time_type,))
        self._time_type = time_type

    def get_time_type(self) -> LocalTimeTypeInfo.TimeType:
        """Returns the :class:`LocalTimeTypeInfo.TimeType`."""
        return self._time_type

    def to_arrow_type(self) -> pa.DataType:
        if self._time_type is LocalTimeTypeInfo.TimeType.LOCAL_DATE:
            return pa.date32()
        if self._time_type is LocalTimeTypeInfo.TimeType.LOCAL_TIME:
            return pa.time64("us")
        return pa.timestamp("us")

    def validate(self, value: Any) -> None:
        if value is None:
            return
        if self._time_type is LocalTimeTypeInfo.TimeType.LOCAL_DATE:
            _validate_date(self, value)
        elif self._time_type is LocalTimeTypeInfo.TimeType.LOCAL_TIME:
            _validate_time(self, value)
        else:
            _validate_timestamp(self, value)

    def type_name(self) -> str:
        return self._time_type.name

    def _key(self) -> tuple[Any, ...]:
        return (LocalTimeTypeInfo, self._time_type)

    def __repr__(self) -> str:
        return "LocalTimeTypeInfo<%s>" % self._time_type.name


# ---------------------------------------------------------------------------------------------
# Pickled bytes
# ---------------------------------------------------------------------------------------------


class PickledBytesTypeInfo(TypeInformation):
    """Values are arbitrary Python objects serialized with pickle (the untyped default)."""

    def to_arrow_type(self) -> pa.DataType:
        return pa.binary()

    def validate(self, value: Any) -> None:
        return None

    def type_name(self) -> str:
        return "PICKLED_BYTE_ARRAY"

    def __repr__(self) -> str:
        return "PickledByteArrayTypeInfo"


# ---------------------------------------------------------------------------------------------
# Composite types
# ---------------------------------------------------------------------------------------------


def _check_type_infos(field_types: Any, what: str) -> list[TypeInformation]:
    if isinstance(field_types, (str, bytes)) or not hasattr(field_types, "__iter__"):
        raise TypeError("%s must be a list of TypeInformation, got %r" % (what, field_types))
    result = list(field_types)
    for ft in result:
        if not isinstance(ft, TypeInformation):
            raise TypeError("%s must be TypeInformation instances, got %r" % (what, ft))
    return result


def _struct_type(field_names: list[str], field_types: list[TypeInformation]) -> pa.DataType:
    """Returns the Arrow struct of the named fields of a row or tuple type."""
    return pa.struct(
        [pa.field(name, ft.to_arrow_type()) for name, ft in zip(field_names, field_types)]
    )


def _check_arity(
    ti: TypeInformation, value: Any, values: list[Any] | tuple[Any, ...], arity: int
) -> None:
    """Raises TypeMismatchError if ``value`` (with field ``values``) has not ``arity`` fields."""
    if len(values) != arity:
        raise TypeMismatchError.for_value(
            value, ti, "expected %d fields, got %d" % (arity, len(values))
        )


class RowTypeInfo(TypeInformation):
    """TypeInformation for :class:`~flink_py.common.types.Row`.

    Unnamed rows (``Types.ROW``) get Flink's default field names ``f0, f1, ...``; decoded
    rows carry these names, exactly like PyFlink. Two row types are equal when field types
    and field names are equal (Java semantics; PyFlink compares the field types only).
    """

    def __init__(
        self, field_types: list[TypeInformation], field_names: list[str] | None = None
    ) -> None:
        """Creates the type information.

        Args:
            field_types: The types of the fields.
            field_names: The names of the fields, or ``None`` for ``f0, f1, ...``.

        Raises:
            TypeError: Bad field types or names.
            ValueError: Names and types differ in length, or names are not unique.
        """
        self._field_types = _check_type_infos(field_types, "Row field types")
        if field_names is not None:
            names = list(field_names)
            for name in names:
                if not isinstance(name, str):
                    raise TypeError("Row field names must be str, got %r" % (name,))
            if len(names) != len(self._field_types):
                raise ValueError(
                    "Number of field names (%d) and field types (%d) differ"
                    % (len(names), len(self._field_types))
                )
            if len(set(names)) != len(names):
                raise ValueError("Row field names must be unique: %r" % (names,))
            self._field_names: list[str] | None = names
        else:
            self._field_names = None
        self._default_names = ["f%d" % i for i in range(len(self._field_types))]

    def get_field_names(self) -> list[str]:
        """Returns the field names (``f0, f1, ...`` for an unnamed row)."""
        if self._field_names is not None:
            return self._field_names
        return self._default_names

    def has_explicit_field_names(self) -> bool:
        """Whether the field names were given (``ROW_NAMED``) rather than defaulted."""
        return self._field_names is not None

    def get_field_index(self, field_name: str) -> int:
        """Returns the index of ``field_name``, or ``-1`` if there is no such field."""
        try:
            return self.get_field_names().index(field_name)
        except ValueError:
            return -1

    def get_field_types(self) -> list[TypeInformation]:
        """Returns the field types."""
        return self._field_types

    def get_field_type(self, field: int | str) -> TypeInformation:
        """Returns the type of a field given by position or name.

        Args:
            field: Field index or field name.

        Raises:
            KeyError: No field with that name.
            IndexError: Index out of range.
        """
        if isinstance(field, str):
            index = self.get_field_index(field)
            if index < 0:
                raise KeyError(field)
            return self._field_types[index]
        return self._field_types[field]

    def get_arity(self) -> int:
        """Returns the number of fields."""
        return len(self._field_types)

    def to_arrow_type(self) -> pa.DataType:
        return _struct_type(self.get_field_names(), self._field_types)

    def row_values(self, value: Any) -> list[Any] | tuple[Any, ...]:
        """Returns the field values of a row-like value in declared field order.

        Accepts ``Row`` (by name when both the row and this type have names, else by
        position), ``tuple``/``list`` (by position), ``dict`` and objects with ``__dict__``
        (by name; a missing name gives ``None`` like PyFlink).

        Args:
            value: The row-like value (not ``None``).

        Raises:
            TypeMismatchError: Not row-like, wrong arity or missing named field.
        """
        if isinstance(value, Row):
            values = value._values
            fields = value._names
            if (
                fields is not None
                and self._field_names is not None
                and fields != self._field_names
                and list(fields) != self._field_names
            ):
                result = []
                for name in self._field_names:
                    try:
                        result.append(values[fields.index(name)])
                    except (ValueError, IndexError):
                        raise TypeMismatchError.for_value(
                            value, self, "the row has no field %r" % name
                        ) from None
                return result
        elif isinstance(value, (tuple, list)):
            values = value
        elif isinstance(value, dict):
            return [value.get(name) for name in self.get_field_names()]
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            attrs = value.__dict__
            return [attrs.get(name) for name in self.get_field_names()]
        else:
            raise TypeMismatchError.for_value(value, self)
        _check_arity(self, value, values, len(self._field_types))
        return values

    def validate(self, value: Any) -> None:
        if value is None:
            return
        for ft, v in zip(self._field_types, self.row_values(value)):
            ft.validate(v)

    def type_name(self) -> str:
        if self._field_names is None:
            return "ROW<%s>" % ", ".join(ft.type_name() for ft in self._field_types)
        return "ROW<%s>" % ", ".join(
            "%s: %s" % (name, ft.type_name())
            for name, ft in zip(self._field_names, self._field_types)
        )

    def _key(self) -> tuple[Any, ...]:
        return (RowTypeInfo, tuple(self._field_types), tuple(self.get_field_names()))

    def __repr__(self) -> str:
        if self._field_names:
            return "RowTypeInfo(%s)" % ", ".join(
                "%s: %s" % (name, ft) for name, ft in zip(self._field_names, self._field_types)
            )
        return "RowTypeInfo(%s)" % ", ".join(str(ft) for ft in self._field_types)


class TupleTypeInfo(TypeInformation):
    """TypeInformation for Python tuples (Flink ``TupleN``); fields are named ``f0, f1, ...``
    on the wire and decoded as ``tuple``."""

    def __init__(self, field_types: list[TypeInformation]) -> None:
        """Creates the type information.

        Args:
            field_types: The types of the tuple fields.
        """
        self._field_types = _check_type_infos(field_types, "Tuple field types")
        self._field_names = ["f%d" % i for i in range(len(self._field_types))]

    def get_field_types(self) -> list[TypeInformation]:
        """Returns the field types."""
        return self._field_types

    def get_field_names(self) -> list[str]:
        """Returns the (wire) field names ``f0, f1, ...``."""
        return self._field_names

    def get_arity(self) -> int:
        """Returns the number of fields."""
        return len(self._field_types)

    def to_arrow_type(self) -> pa.DataType:
        return _struct_type(self._field_names, self._field_types)

    def tuple_values(self, value: Any) -> list[Any] | tuple[Any, ...]:
        """Returns the field values of a tuple-like value (tuple, list or Row).

        Args:
            value: The value (not ``None``).

        Raises:
            TypeMismatchError: Not tuple-like or wrong arity.
        """
        if isinstance(value, (tuple, list)):
            values = value
        elif isinstance(value, Row):
            values = value._values
        else:
            raise TypeMismatchError.for_value(value, self)
        _check_arity(self, value, values, len(self._field_types))
        return values

    def validate(self, value: Any) -> None:
        if value is None:
            return
        for ft, v in zip(self._field_types, self.tuple_values(value)):
            ft.validate(v)

    def type_name(self) -> str:
        return "TUPLE<%s>" % ", ".join(ft.type_name() for ft in self._field_types)

    def _key(self) -> tuple[Any, ...]:
        return (TupleTypeInfo, tuple(self._field_types))

    def __repr__(self) -> str:
        return "TupleTypeInfo(%s)" % ", ".join(str(ft) for ft in self._field_types)


def _validate_sequence(ti: TypeInformation, elem: TypeInformation, value: Any,
                       allow_none_elements: bool = True) -> None:
    if not isinstance(value, (list, tuple)):
        raise TypeMismatchError.for_value(value, ti)
    for v in value:
        if v is None and not allow_none_elements:
            raise TypeMismatchError.for_value(
                value, ti, "elements of a primitive array must not be None"
            )
        elem.validate(v)


_PRIMITIVE_ELEMENT_TYPES = (
    BasicType.BOOLEAN,
    BasicType.BYTE,
    BasicType.SHORT,
    BasicType.INT,
    BasicType.LONG,
    BasicType.FLOAT,
    BasicType.DOUBLE,
    BasicType.CHAR,
)


_BASIC_ARRAY_ELEMENT_TYPES = _PRIMITIVE_ELEMENT_TYPES + (BasicType.STRING,)


def _check_basic_element_type(
    element_type: Any, allowed: tuple[BasicType, ...], array_kind: str
) -> BasicTypeInfo:
    """Returns ``element_type`` if it is a basic type in ``allowed``, else raises TypeError."""
    if not (isinstance(element_type, BasicTypeInfo) and element_type._basic_type in allowed):
        raise TypeError("Invalid element type for a %s: %r" % (array_kind, element_type))
    return element_type


def _check_element_type(element_type: Any) -> TypeInformation:
    """Returns ``element_type`` if it is a TypeInformation, else raises TypeError."""
    if not isinstance(element_type, TypeInformation):
        raise TypeError("element_type must be TypeInformation, got %r" % (element_type,))
    return element_type


class _ElementTypeInfo(TypeInformation):
    """Common base of the containers of one element type (the arrays and ``LIST``).

    Values are Python lists (tuples accepted) carried as an Arrow ``list``; the type is
    named ``<_type_label><element>`` and printed as ``<_repr_name><element>``. Subclasses
    set the two labels, and narrow the element types ``__init__`` accepts.
    """

    #: The ``Types`` factory name, e.g. ``"BASIC_ARRAY"``.
    _type_label: str
    #: The class name shown by ``repr``, e.g. ``"BasicArrayTypeInfo"``.
    _repr_name: str

    def __init__(self, element_type: TypeInformation) -> None:
        """Creates the type information.

        Args:
            element_type: The element type.
        """
        self._element_type = _check_element_type(element_type)

    def get_element_type(self) -> TypeInformation:
        """Returns the element type."""
        return self._element_type

    def to_arrow_type(self) -> pa.DataType:
        return pa.list_(self.get_element_type().to_arrow_type())

    def validate(self, value: Any) -> None:
        if value is not None:
            _validate_sequence(self, self.get_element_type(), value)

    def type_name(self) -> str:
        return "%s<%s>" % (self._type_label, self.get_element_type().type_name())

    def _key(self) -> tuple[Any, ...]:
        return (_ElementTypeInfo, self._type_label, self.get_element_type())

    def __repr__(self) -> str:
        return "%s<%s>" % (self._repr_name, self.get_element_type())


class PrimitiveArrayTypeInfo(_ElementTypeInfo):
    """Arrays of primitive types (``int[]``, ``double[]``, ...): Python lists without
    ``None`` elements. ``PRIMITIVE_ARRAY(BYTE)`` (``byte[]``) is Python ``bytes``."""

    _type_label = "PRIMITIVE_ARRAY"
    _repr_name = "PrimitiveArrayTypeInfo"

    def __init__(self, element_type: TypeInformation) -> None:
        """Creates the type information.

        Args:
            element_type: BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE or CHAR.

        Raises:
            TypeError: Any other element type.
        """
        self._element_type = _check_basic_element_type(
            element_type, _PRIMITIVE_ELEMENT_TYPES, "primitive array"
        )

    def is_bytes(self) -> bool:
        """Whether this is ``byte[]``, carried as Python ``bytes``."""
        return self._element_type._basic_type is BasicType.BYTE  # type: ignore[attr-defined]

    def to_arrow_type(self) -> pa.DataType:
        if self.is_bytes():
            return pa.binary()
        return pa.list_(pa.field("item", self._element_type.to_arrow_type(), nullable=False))

    def validate(self, value: Any) -> None:
        if value is None:
            return
        if self.is_bytes():
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeMismatchError.for_value(value, self)
            return
        _validate_sequence(self, self._element_type, value, allow_none_elements=False)


class BasicArrayTypeInfo(_ElementTypeInfo):
    """Arrays of boxed basic types (``Integer[]``, ``String[]``, ...): Python lists, ``None``
    elements allowed."""

    _type_label = "BASIC_ARRAY"
    _repr_name = "BasicArrayTypeInfo"

    def __init__(self, element_type: TypeInformation) -> None:
        """Creates the type information.

        Args:
            element_type: BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, CHAR or STRING.

        Raises:
            TypeError: Any other element type.
        """
        self._element_type = _check_basic_element_type(
            element_type, _BASIC_ARRAY_ELEMENT_TYPES, "basic array"
        )


class ObjectArrayTypeInfo(_ElementTypeInfo):
    """Arrays of non-primitive types: Python lists, ``None`` elements allowed."""

    _type_label = "OBJECT_ARRAY"
    _repr_name = "ObjectArrayTypeInfo"


class ListTypeInfo(_ElementTypeInfo):
    """A list of elements of one type: Python ``list``."""

    _type_label = "LIST"
    _repr_name = "ListTypeInfo"

    def __init__(self, element_type: TypeInformation) -> None:
        """Creates the type information.

        Args:
            element_type: The element type.
        """
        # PyFlink's attribute name; there is deliberately no ``_element_type`` here (the
        # record printer looks that one up to print array elements the Java way).
        self.elem_type = _check_element_type(element_type)

    def get_element_type(self) -> TypeInformation:
        """Returns the element type."""
        return self.elem_type


class MapTypeInfo(TypeInformation):
    """A map: Python ``dict`` (keys must not be ``None``)."""

    def __init__(self, key_type_info: TypeInformation, value_type_info: TypeInformation) -> None:
        """Creates the type information.

        Args:
            key_type_info: The key type.
            value_type_info: The value type.
        """
        for t in (key_type_info, value_type_info):
            if not isinstance(t, TypeInformation):
                raise TypeError("MAP key/value types must be TypeInformation, got %r" % (t,))
        self._key_type_info = key_type_info
        self._value_type_info = value_type_info

    def get_key_type(self) -> TypeInformation:
        """Returns the key type."""
        return self._key_type_info

    def get_value_type(self) -> TypeInformation:
        """Returns the value type."""
        return self._value_type_info

    def to_arrow_type(self) -> pa.DataType:
        return pa.map_(self._key_type_info.to_arrow_type(), self._value_type_info.to_arrow_type())

    def validate(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise TypeMismatchError.for_value(value, self)
        for k, v in value.items():
            if k is None:
                raise TypeMismatchError.for_value(value, self, "map keys must not be None")
            self._key_type_info.validate(k)
            self._value_type_info.validate(v)

    def type_name(self) -> str:
        return "MAP<%s, %s>" % (self._key_type_info.type_name(), self._value_type_info.type_name())

    def _key(self) -> tuple[Any, ...]:
        return (MapTypeInfo, self._key_type_info, self._value_type_info)

    def __repr__(self) -> str:
        return "MapTypeInfo<%s, %s>" % (self._key_type_info, self._value_type_info)


# ---------------------------------------------------------------------------------------------
# Types factory
# ---------------------------------------------------------------------------------------------


class Types:
    """Access to the type information of the most common types (PyFlink's ``Types``)."""

    @staticmethod
    def STRING() -> TypeInformation:
        """Returns type information for string. Supports a None value."""
        return BasicTypeInfo.STRING_TYPE_INFO()

    @staticmethod
    def BYTE() -> TypeInformation:
        """Returns type information for byte (8-bit int)."""
        return BasicTypeInfo.BYTE_TYPE_INFO()

    @staticmethod
    def BOOLEAN() -> TypeInformation:
        """Returns type information for bool."""
        return BasicTypeInfo.BOOLEAN_TYPE_INFO()

    @staticmethod
    def SHORT() -> TypeInformation:
        """Returns type information for short (16-bit int)."""
        return BasicTypeInfo.SHORT_TYPE_INFO()

    @staticmethod
    def INT() -> TypeInformation:
        """Returns type information for int (32-bit int)."""
        return BasicTypeInfo.INT_TYPE_INFO()

    @staticmethod
    def LONG() -> TypeInformation:
        """Returns type information for long (64-bit int)."""
        return BasicTypeInfo.LONG_TYPE_INFO()

    @staticmethod
    def FLOAT() -> TypeInformation:
        """Returns type information for float (32-bit float)."""
        return BasicTypeInfo.FLOAT_TYPE_INFO()

    @staticmethod
    def DOUBLE() -> TypeInformation:
        """Returns type information for double (64-bit float)."""
        return BasicTypeInfo.DOUBLE_TYPE_INFO()

    @staticmethod
    def CHAR() -> TypeInformation:
        """Returns type information for char (Python ``str``)."""
        return BasicTypeInfo.CHAR_TYPE_INFO()

    @staticmethod
    def BIG_INT() -> TypeInformation:
        """Returns type information for BigInteger (Python ``int`` up to 38 digits)."""
        return BasicTypeInfo.BIG_INT_TYPE_INFO()

    @staticmethod
    def BIG_DEC() -> TypeInformation:
        """Returns type information for BigDecimal (``decimal.Decimal``, DECIMAL(38, 18))."""
        return BasicTypeInfo.BIG_DEC_TYPE_INFO()

    @staticmethod
    def INSTANT() -> TypeInformation:
        """Returns type information for Instant (``flink_py.common.time.Instant``)."""
        return BasicTypeInfo.INSTANT_TYPE_INFO()

    @staticmethod
    def SQL_DATE() -> TypeInformation:
        """Returns type information for Date (``datetime.date``)."""
        return SqlTimeTypeInfo.DATE()

    @staticmethod
    def SQL_TIME() -> TypeInformation:
        """Returns type information for Time (``datetime.time``)."""
        return SqlTimeTypeInfo.TIME()

    @staticmethod
    def SQL_TIMESTAMP() -> TypeInformation:
        """Returns type information for Timestamp (naive ``datetime.datetime``)."""
        return SqlTimeTypeInfo.TIMESTAMP()

    @staticmethod
    def LOCAL_DATE() -> TypeInformation:
        """Returns type information for LocalDate (``datetime.date``)."""
        return LocalTimeTypeInfo(LocalTimeTypeInfo.TimeType.LOCAL_DATE)

    @staticmethod
    def LOCAL_TIME() -> TypeInformation:
        """Returns type information for LocalTime (``datetime.time``)."""
        return LocalTimeTypeInfo(LocalTimeTypeInfo.TimeType.LOCAL_TIME)

    @staticmethod
    def LOCAL_DATE_TIME() -> TypeInformation:
        """Returns type information for LocalDateTime (naive ``datetime.datetime``)."""
        return LocalTimeTypeInfo(LocalTimeTypeInfo.TimeType.LOCAL_DATE_TIME)

    @staticmethod
    def PICKLED_BYTE_ARRAY() -> TypeInformation:
        """Returns type information which uses pickle for serialization/deserialization."""
        return PickledBytesTypeInfo()

    @staticmethod
    def ROW(field_types: list[TypeInformation]) -> RowTypeInfo:
        """Returns type information for Row with fields of the given types (named
        ``f0, f1, ...``). A row itself must not be None.

        Args:
            field_types: The types of the row fields, e.g. ``[Types.STRING(), Types.INT()]``.
        """
        return RowTypeInfo(field_types)

    @staticmethod
    def ROW_NAMED(field_names: list[str], field_types: list[TypeInformation]) -> RowTypeInfo:
        """Returns type information for Row with fields of the given types and names.
        A row itself must not be None.

        Args:
            field_names: Array of field names.
            field_types: Array of field types.
        """
        return RowTypeInfo(field_types, field_names)

    @staticmethod
    def TUPLE(field_types: list[TypeInformation]) -> TupleTypeInfo:
        """Returns type information for Tuple with fields of the given types. A Tuple itself
        must not be None.

        Args:
            field_types: Array of field types.
        """
        return TupleTypeInfo(field_types)

    @staticmethod
    def PRIMITIVE_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """Returns type information for arrays of primitive type (such as ``byte[]``).

        Args:
            element_type: Element type of the array (e.g. ``Types.INT()``).
        """
        return PrimitiveArrayTypeInfo(element_type)

    @staticmethod
    def BASIC_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """Returns type information for arrays of boxed primitive type (such as ``Integer[]``).

        Args:
            element_type: Element type of the array (e.g. ``Types.INT()``).
        """
        return BasicArrayTypeInfo(element_type)

    @staticmethod
    def OBJECT_ARRAY(element_type: TypeInformation) -> TypeInformation:
        """Returns type information for arrays of non-primitive types. None elements are
        supported.

        Args:
            element_type: Element type of the array.
        """
        return ObjectArrayTypeInfo(element_type)

    @staticmethod
    def MAP(key_type_info: TypeInformation, value_type_info: TypeInformation) -> TypeInformation:
        """Returns type information for a map (Python ``dict``).

        Args:
            key_type_info: Type of the keys.
            value_type_info: Type of the values.
        """
        return MapTypeInfo(key_type_info, value_type_info)

    @staticmethod
    def LIST(element_type_info: TypeInformation) -> TypeInformation:
        """Returns type information for a list.

        Args:
            element_type_info: The type of the elements in the list.
        """
        return ListTypeInfo(element_type_info)

