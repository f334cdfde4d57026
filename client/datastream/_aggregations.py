"""Built-in keyed aggregations (``sum``, ``min``, ``max``, ``min_by``, ``max_by``) as reducers.

Flink semantics, per key:

* ``sum``/``min``/``max`` combine one field; every other field keeps the value
  of the *first* record seen for the key (the accumulator).
* ``min_by``/``max_by`` return the whole record holding the smallest/largest
  field value; on ties the earlier record stays.

A field is a position or, for types with field names (``Types.ROW_NAMED``,
``Types.ROW``'s ``f0, f1...``, tuples' ``f0, f1...``), a name. Names are
resolved to positions against the declared type when the program is built,
so an unknown name fails there; on pickled streams of ``Row`` values the
name is looked up per record. A basic value (a number) is its own field 0.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flink_py.common.types import Row

__all__ = ["AGGREGATIONS", "FieldAccessor", "field_accessor"]

_COMPOSITE = (tuple, list, Row)


class FieldAccessor:
    """Reads and replaces one field of tuples, lists, Rows or basic values."""

    def __init__(self, field: int | str) -> None:
        self.field = field

    def get(self, value: Any) -> Any:
        """The field's value."""
        field = self.field
        if isinstance(field, int):
            if isinstance(value, _COMPOSITE):
                return value[field]
            if field != 0:
                msg = (f"The {field} field selected on a basic type. A field expression on a "
                       "basic type can only select the 0th field (which means selecting the "
                       "entire basic type).")
                raise ValueError(msg)
            return value
        try:  # by name: Rows with names, named tuples, objects
            return value[field] if isinstance(value, Row) else getattr(value, field)
        except (AttributeError, KeyError, ValueError):
            raise ValueError(f"Unknown field name '{field}' in {value!r}") from None

    def replace(self, value: Any, new: Any) -> Any:
        """A copy of ``value`` with the field set to ``new``."""
        field = self.field
        if isinstance(field, str):
            if isinstance(value, tuple) and hasattr(value, "_replace"):  # a named tuple
                return value._replace(**{field: new})
            out = copy.copy(value)
            if isinstance(out, Row):
                out[field] = new
            else:
                setattr(out, field, new)
            return out
        if isinstance(value, tuple):
            return (*value[:field], new, *value[field + 1:])
        if isinstance(value, (list, Row)):
            out = list(value) if isinstance(value, list) else copy.copy(value)
            out[field] = new
            return out
        return new


def field_accessor(field: int | str, type_info: Any, where: str = "") -> FieldAccessor:
    """Validate ``field`` against the declared type (when known) and resolve names.

    Args:
        field: a position or a field name.
        type_info: the stream's TypeInformation, or None (pickled values).
        where: the API call and its call site, for error messages.

    Raises:
        TypeError: ``field`` is neither int nor str.
        ValueError: unknown field name or position out of range.
    """
    prefix = f"{where}: " if where else ""
    if isinstance(field, bool) or not isinstance(field, (int, str)):
        msg = (f"{prefix}The field position must be of int or str type to locate the value "
               f"to calculate for min, max, min_by, max_by and sum. The given type is: "
               f"{type(field).__name__}")
        raise TypeError(msg)
    if type_info is None:
        return FieldAccessor(field)
    names_of = getattr(type_info, "get_field_names", None)
    if names_of is None:  # a basic type: only field 0 (or no names at all)
        if isinstance(field, str):
            msg = (f"{prefix}Unknown field name '{field}': the stream's type "
                   f"{_type_name(type_info)} has no named fields")
            raise ValueError(msg)
        if field != 0:
            msg = (f"{prefix}Field position {field} selected on the basic type "
                   f"{_type_name(type_info)}; only field 0 (the whole value) exists")
            raise ValueError(msg)
        return FieldAccessor(0)
    names = list(names_of())
    if isinstance(field, str):
        if field not in names:
            msg = f"{prefix}Unknown field name '{field}'; the stream's fields are {names}"
            raise ValueError(msg)
        return FieldAccessor(names.index(field))
    if not 0 <= field < len(names):
        msg = (f"{prefix}Field position {field} is out of range for "
               f"{_type_name(type_info)} ({len(names)} fields)")
        raise ValueError(msg)
    return FieldAccessor(field)


def _type_name(type_info: Any) -> str:
    name = getattr(type_info, "type_name", None)
    return name() if callable(name) else str(type_info)


def _sum(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    get, replace = acc.get, acc.replace

    def reduce(a: Any, b: Any) -> Any:
        return replace(a, get(a) + get(b))

    return reduce


def _min(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    get, replace = acc.get, acc.replace

    def reduce(a: Any, b: Any) -> Any:
        vb = get(b)
        return replace(a, vb) if vb < get(a) else a

    return reduce


def _max(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    get, replace = acc.get, acc.replace

    def reduce(a: Any, b: Any) -> Any:
        vb = get(b)
        return replace(a, vb) if vb > get(a) else a

    return reduce


def _min_by(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    get = acc.get

    def reduce(a: Any, b: Any) -> Any:
        return b if get(b) < get(a) else a

    return reduce


def _max_by(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    get = acc.get

    def reduce(a: Any, b: Any) -> Any:
        return b if get(b) > get(a) else a

    return reduce


#: Aggregation name -> factory of its reduce function.
AGGREGATIONS: dict[str, Callable[[FieldAccessor], Callable[[Any, Any], Any]]] = {
    "sum": _sum,
    "min": _min,
    "max": _max,
    "min_by": _min_by,
    "max_by": _max_by,
}
