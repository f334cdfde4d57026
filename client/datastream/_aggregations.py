"""Built-in keyed aggregations (``sum``, ...) as reduce functions.

Flink semantics: the aggregated field is combined, every other field keeps
the value of the *first* record seen for the key (the accumulator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["FieldAccessor", "field_accessor", "sum_reducer"]


class FieldAccessor:
    """Reads and replaces one field of tuples, lists, Rows or plain values."""

    def __init__(self, field: int | str) -> None:
        self.field = field

    def get(self, value: Any) -> Any:
        """The field's value."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.field not in (0, "0"):
                raise ValueError(f"field {self.field!r} does not exist in a basic value")
            return value
        if isinstance(self.field, str):
            try:
                return value[self.field] if hasattr(value, "as_dict") else getattr(value, self.field)
            except (KeyError, AttributeError, TypeError, ValueError) as exc:
                raise ValueError(f"Unknown field name '{self.field}' in {value!r}") from exc
        return value[self.field]

    def replace(self, value: Any, new: Any) -> Any:
        """A copy of ``value`` with the field set to ``new``."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return new
        if hasattr(value, "as_dict"):  # Row
            from copy import copy

            row = copy(value)
            if isinstance(self.field, str):
                row[self.field] = new
            else:
                row[self.field] = new
            return row
        if isinstance(value, tuple):
            idx = self.field
            return value[:idx] + (new,) + value[idx + 1:]  # type: ignore[operator]
        if isinstance(value, list):
            out = list(value)
            out[self.field] = new  # type: ignore[index]
            return out
        raise TypeError(f"cannot aggregate a field of {type(value).__name__}")


def field_accessor(field: int | str, type_info: Any) -> FieldAccessor:
    """Validate ``field`` against the declared type (when known)."""
    if isinstance(field, str) and type_info is not None:
        names = getattr(type_info, "get_field_names", None)
        if names is not None and field not in names():
            msg = f"Unknown field name '{field}'; the stream's fields are {list(names())}"
            raise ValueError(msg)
    types = getattr(type_info, "get_field_types", None)
    if isinstance(field, int) and types is not None and not 0 <= field < len(types()):
        msg = f"Field position {field} is out of range for {type_info}"
        raise ValueError(msg)
    return FieldAccessor(field)


def sum_reducer(acc: FieldAccessor) -> Callable[[Any, Any], Any]:
    """``reduce(a, b)``: a with the field replaced by ``a.f + b.f``."""
    get, replace = acc.get, acc.replace

    def reduce(a: Any, b: Any) -> Any:
        return replace(a, get(a) + get(b))

    return reduce
