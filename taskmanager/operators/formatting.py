"""Render values the way Flink prints them.

``java_string`` is Java's ``toString`` of the value a typed record becomes in
Flink (what ``SimpleStringEncoder`` writes); ``print_string`` is what
PyFlink's ``DataStream.print()`` shows, which first maps pickled records to
``str(value)`` and rows to ``+I[f0,f1]`` with Python's ``str`` of each field.
"""

from __future__ import annotations

import datetime
import math
import struct
from decimal import Decimal
from typing import Any

from flink_py.common.runtime.keygroups import java_hash

__all__ = ["float32", "java_string", "print_string", "shortest_decimal"]


def float32(v: float) -> float:
    """``v`` rounded to the nearest float32 (Java's ``(float) v``)."""
    return struct.unpack("f", struct.pack("f", v))[0]


def shortest_decimal(v: float, single: bool) -> Decimal:
    """The shortest decimal that reads back as ``v`` (a float32 when ``single``)."""
    if not single:
        return Decimal(repr(v))
    for digits in range(1, 10):
        text = f"{v:.{digits - 1}e}"
        if float32(float(text)) == v:
            return Decimal(text)
    return Decimal(repr(v))  # pragma: no cover - 9 digits always suffice


def _java_float(v: float, single: bool = False) -> str:
    """Java's ``Double.toString`` (``Float.toString`` when ``single``), JDK 19+ rules:
    the shortest decimal that reads back as the value, plain between 1e-3 and 1e7,
    else ``d.dddE±n``; a one-digit result gets a second digit (``4.9E-324``)."""
    if single:
        v = float32(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    d = shortest_decimal(v, single)
    if 1e-3 <= abs(v) < 1e7:
        text = format(d, "f")
        return text if "." in text else text + ".0"
    sign, digits, exponent = d.as_tuple()
    if len(digits) == 1:  # Java picks the closest two-digit decimal instead
        d = Decimal(f"{v:.1e}")
        sign, digits, exponent = d.as_tuple()
    exp10 = int(exponent) + len(digits) - 1
    text = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{exp10}"


def _plain(v: Any) -> str:
    """Java-style rendering of a value whose type is not declared."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return _java_float(v)
    return str(v)


def _nanos_fraction(microsecond: int) -> str:
    """``java.sql.Timestamp``'s fraction: nanoseconds without trailing zeros, at least one digit."""
    return f"{microsecond * 1000:09d}".rstrip("0") or "0"


def _iso_fraction(microsecond: int) -> str:
    """``java.time``'s fraction: none, or 3/6 digits as needed."""
    if microsecond == 0:
        return ""
    if microsecond % 1000 == 0:
        return f".{microsecond // 1000:03d}"
    return f".{microsecond:06d}"


def _local_time(t: datetime.time) -> str:
    """``LocalTime.toString``: seconds only when not zero (or a fraction exists)."""
    text = f"{t.hour:02d}:{t.minute:02d}"
    if t.second or t.microsecond:
        text += f":{t.second:02d}{_iso_fraction(t.microsecond)}"
    return text


def _temporal(value: Any, type_info: Any) -> str | None:
    """Java's rendering of date/time values by declared type, or None."""
    label = getattr(type_info, "_type_label", None)
    if label == "SQL_TIMESTAMP" and isinstance(value, datetime.datetime):
        # PyFlink hands Java a Timestamp of whole milliseconds: .123456 prints as .123
        return value.strftime("%Y-%m-%d %H:%M:%S.") + _nanos_fraction(
            value.microsecond // 1000 * 1000)
    if label == "SQL_TIME" and isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    if label == "SQL_DATE" and isinstance(value, datetime.date):
        return value.isoformat()
    if type(type_info).__name__ == "LocalTimeTypeInfo":
        if isinstance(value, datetime.datetime):
            return value.date().isoformat() + "T" + _local_time(value.time())
        if isinstance(value, datetime.time):
            return _local_time(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
    if type(type_info).__name__ == "InstantTypeInfo":
        if isinstance(value, datetime.datetime):
            utc = value.astimezone(datetime.timezone.utc)
            return _instant_text((utc - _EPOCH) // _SECOND, utc.microsecond * 1000)
        seconds, nanos = getattr(value, "seconds", None), getattr(value, "nanos", None)
        if isinstance(seconds, int) and isinstance(nanos, int):
            return _instant_text(seconds, nanos)
    return None


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_SECOND = datetime.timedelta(seconds=1)


def _instant_text(seconds: int, nanos: int) -> str:
    """``Instant.toString`` (ISO-8601 in UTC): seconds always, the fraction in 3-digit groups."""
    seconds += nanos // 1_000_000_000
    nanos %= 1_000_000_000
    try:
        utc = _EPOCH + datetime.timedelta(seconds=seconds)
    except OverflowError:  # beyond datetime's years 1..9999
        return f"Instant<{seconds}, {nanos}>"
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        digits = f"{nanos:09d}"
        while digits.endswith("000"):
            digits = digits[:-3]
        text += "." + digits
    return text + "Z"


def _key_hash(key: Any, type_info: Any) -> int:
    """The key's Java ``hashCode`` for its declared type (Integer/Short/Byte hash as the int)."""
    bt = getattr(type_info, "get_basic_type", None)
    if bt is not None and bt().name in ("INT", "SHORT", "BYTE") and type(key) is int:
        return key
    return java_hash(key)


def _hash_map_order(items: list[tuple[Any, Any]], key_type: Any) -> list[tuple[Any, Any]]:
    """The iteration order of the ``java.util.HashMap`` Flink's MapSerializer builds
    (``new HashMap<>(size)``, then one put per entry)."""
    n = len(items)
    capacity = 1
    while capacity < n:
        capacity <<= 1
    capacity = max(capacity, 1)
    if n > capacity * 0.75:
        capacity <<= 1

    def bucket(entry: tuple[Any, Any]) -> int:
        h = _key_hash(entry[0], key_type) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(items, key=bucket)  # stable: insertion order within a bucket


def java_string(value: Any, type_info: Any) -> str:
    """``value`` as Flink's Java ``toString`` renders it.

    Args:
        value: the record.
        type_info: its declared TypeInformation, or None for untyped
            (pickled) records, which render as Python's ``str``.
    """
    if type_info is None:
        return str(value)
    kind = type(type_info).__name__
    if kind == "PickledBytesTypeInfo":
        return str(value)
    if value is None:
        return "null"
    if kind == "TupleTypeInfo":
        types = type_info.get_field_types()
        return "(" + ",".join(java_string(v, t) for v, t in zip(value, types)) + ")"
    if kind == "RowTypeInfo":
        types = type_info.get_field_types()
        return _row_kind(value) + "[" + ", ".join(
            java_string(v, t) for v, t in zip(value, types)) + "]"
    bt = getattr(type_info, "get_basic_type", None)
    if bt is not None and isinstance(value, float):
        return _java_float(value, single=bt().name == "FLOAT")
    if bt is not None and type(value) is int and bt().name in ("DOUBLE", "FLOAT"):
        return _java_float(float(value), single=bt().name == "FLOAT")  # a Java Double: 1 -> 1.0
    temporal = _temporal(value, type_info)
    if temporal is not None:
        return temporal
    if isinstance(value, (list, tuple)):
        get_element = getattr(type_info, "get_element_type", None)
        elem = get_element() if get_element is not None else None
        return "[" + ", ".join(java_string(v, elem) if elem is not None else _plain(v)
                               for v in value) + "]"
    if isinstance(value, dict):
        if kind == "MapTypeInfo":
            kt, vt = type_info.get_key_type(), type_info.get_value_type()
            return "{" + ", ".join(f"{java_string(k, kt)}={java_string(v, vt)}"
                                   for k, v in _hash_map_order(list(value.items()), kt)) + "}"
        return "{" + ", ".join(f"{_plain(k)}={_plain(v)}" for k, v in value.items()) + "}"
    return _plain(value)


def _row_kind(value: Any) -> str:
    get_kind = getattr(value, "get_row_kind", None)
    return str(get_kind()) if get_kind is not None else "+I"


def print_string(value: Any, type_info: Any) -> str:
    """``value`` as PyFlink's ``DataStream.print()`` shows it.

    PyFlink maps a pickled stream through ``str`` and a row stream through
    ``'{}[{}]'.format(row_kind, ','.join(str(f) for f in fields))`` before
    Java's print sink; every other type prints with Java's ``toString``.
    """
    kind = type(type_info).__name__
    if type_info is None or kind == "PickledBytesTypeInfo":
        return value if isinstance(value, str) else str(value)
    if kind == "RowTypeInfo" and value is not None:
        fields = value._values if hasattr(value, "_values") else value
        return _row_kind(value) + "[" + ",".join(str(f) for f in fields) + "]"
    return java_string(value, type_info)
