"""Render values the way Flink's Java ``toString`` does, for print sinks."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["java_string"]


def _double(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0 or 1e-3 <= abs(v) < 1e7:
        r = repr(float(v))
        return r if ("." in r or "e" in r) else r + ".0"
    mantissa, exp = f"{v:.17e}".split("e")
    digits = repr(v / 10 ** int(exp)) if abs(v / 10 ** int(exp)) < 10 else mantissa
    if "." not in digits:
        digits += ".0"
    return f"{digits}E{int(exp)}"


def _plain(v: Any) -> str:
    """Java-style rendering of a value whose type is not declared."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return _double(v)
    return str(v)


def java_string(value: Any, type_info: Any) -> str:
    """``value`` as Flink would print it.

    Args:
        value: the record.
        type_info: its declared TypeInformation, or None for untyped
            (pickled) records, which print as Python's ``str``.
    """
    if type_info is None:
        return str(value)
    kind = type(type_info).__name__
    if value is None:
        return "null"
    if kind == "TupleTypeInfo":
        types = type_info.get_field_types()
        return "(" + ",".join(java_string(v, t) for v, t in zip(value, types)) + ")"
    if kind == "RowTypeInfo":
        types = type_info.get_field_types()
        kind_str = "+I"
        get_kind = getattr(value, "get_row_kind", None)
        if get_kind is not None:
            kind_str = get_kind().short_string() if hasattr(get_kind(), "short_string") else "+I"
        return kind_str + "[" + ", ".join(java_string(v, t) for v, t in zip(value, types)) + "]"
    if isinstance(value, (list, tuple)):
        elem = getattr(type_info, "_element_type", None) or getattr(type_info, "element_type", None)
        return "[" + ", ".join(java_string(v, elem) if elem is not None else _plain(v)
                               for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_plain(k)}={_plain(v)}" for k, v in value.items()) + "}"
    return _plain(value)
