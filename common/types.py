"""PyFlink's ``Row`` and ``RowKind`` (``pyflink.common.types``), pure Python.

Behaviour follows ``flink-python/pyflink/common/types.py``:

* ``Row(*args)`` creates a positional row; ``Row(**kwargs)`` creates a named row whose fields
  keep the order they were written in (PyFlink 1.17+; its docstring still says "sorted by
  names", its code and real PyFlink 2.3 keep the order: ``Row(name='Alice', age=11)`` is
  ``Row(name='Alice', age=11)``); mixing both raises ``ValueError``.
* ``Row`` is *not* a tuple subclass in PyFlink (it is a mutable object holding ``_values``,
  ``_fields`` and ``_row_kind``); rows support ``row[i]``, ``row['name']``, ``row.name``,
  item assignment, iteration, ``len``, pickling and ``in`` (field names for named rows,
  values otherwise, FLINK-35112).
* Equality compares the class, field names (presence and value), row kind and values;
  the hash is the hash of the value tuple.

The class uses ``__slots__`` (no per-row ``__dict__``) so the data plane can create rows fast;
setting any attribute other than the internal slots raises ``AttributeError`` just like
PyFlink's ``__setattr__``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable, Iterator

__all__ = ["Row", "RowKind"]


class RowKind(Enum):
    """Kind of change a row describes in a changelog."""

    INSERT = 0
    UPDATE_BEFORE = 1
    UPDATE_AFTER = 2
    DELETE = 3

    def short_string(self) -> str:
        """Returns the short string form: ``+I``, ``-U``, ``+U`` or ``-D``."""
        return _SHORT_STRINGS[self.value]

    def __str__(self) -> str:
        return _SHORT_STRINGS[self.value]

    @staticmethod
    def from_short_string(text: str) -> RowKind:
        """Parses ``+I``/``-U``/``+U``/``-D``.

        Args:
            text: The short string.

        Raises:
            ValueError: Unknown short string.
        """
        try:
            return RowKind(_SHORT_STRINGS.index(text))
        except ValueError:
            raise ValueError("Unknown RowKind short string %r" % (text,)) from None


_SHORT_STRINGS = ("+I", "-U", "+U", "-D")
_INSERT = RowKind.INSERT
_KINDS = tuple(RowKind)


def _create_row(
    fields: list[str] | None, values: Iterable[Any], row_kind: RowKind | int | None = None
) -> Row:
    """Creates a row from field names, values and kind (used for pickling; the kind may be
    given as its int value, which unpickles much faster than the enum)."""
    row = Row(*values)
    if fields is not None:
        row._names = fields
    if row_kind is not None:
        row._row_kind = row_kind if isinstance(row_kind, RowKind) else _KINDS[row_kind]
    return row


class Row:
    """A row in Table / DataStream.

    The fields in it can be accessed:

    * like attributes (``row.key``)
    * like dictionary values (``row[key]``)

    ``key in row`` will search through row keys (named rows) or values (positional rows).

    Row can be used to create a row object by using named arguments; the fields keep the
    order they were given in. It is not allowed to omit a named argument to represent the
    value is None or missing. This should be explicitly set to None in this case.

    ::

        >>> row = Row(name="Alice", age=11)
        >>> row
        Row(name='Alice', age=11)
        >>> row['name'], row['age']
        ('Alice', 11)
        >>> row.name, row.age
        ('Alice', 11)
        >>> 'name' in row
        True
        >>> 'wrong_key' in row
        False

    Row can also be used to create another Row like class, then it could be used to create
    Row objects, such as

    ::

        >>> Person = Row("name", "age")
        >>> Person
        <Row('name', 'age')>
        >>> Person("Alice", 11)
        Row(name='Alice', age=11)
    """

    # ``_names`` is always set (``None`` for a positional row) so the data plane can read it
    # without exceptions; ``_fields`` is PyFlink's attribute, absent when there are no names.
    __slots__ = ("_names", "_values", "_row_kind", "_from_dict")

    _names: list[str] | None
    _values: list[Any]
    _row_kind: RowKind
    _from_dict: bool

    @property
    def _fields(self) -> list[str]:
        names = self._names
        if names is None:
            raise AttributeError("_fields")
        return names

    @_fields.setter
    def _fields(self, names: list[str] | None) -> None:
        self._names = names

    @_fields.deleter
    def _fields(self) -> None:
        self._names = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Creates a row.

        Args:
            *args: Positional field values.
            **kwargs: Named field values (in the order given).

        Raises:
            ValueError: Both positional and named values were given.
        """
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            names = list(kwargs)
            self._names = names
            self._values = [kwargs[n] for n in names]
            self._from_dict = True
        else:
            self._names = None
            self._values = list(args)
        self._row_kind = _INSERT

    @staticmethod
    def of_kind(row_kind: RowKind, *args: Any, **kwargs: Any) -> Row:
        """Creates a row of the given kind.

        Args:
            row_kind: The row kind.
            *args: Positional field values.
            **kwargs: Named field values.
        """
        row = Row(*args, **kwargs)
        row._row_kind = row_kind
        return row

    def as_dict(self, recursive: bool = False) -> dict[str, Any]:
        """Returns the row as a dict.

        Example:
        ::

            >>> Row(name="Alice", age=11).as_dict() == {'name': 'Alice', 'age': 11}
            True
            >>> row = Row(key=1, value=Row(name='a', age=2))
            >>> row.as_dict() == {'key': 1, 'value': Row(age=2, name='a')}
            True
            >>> row.as_dict(True) == {'key': 1, 'value': {'name': 'a', 'age': 2}}
            True

        Args:
            recursive: Turns the nested Rows into dicts too (default: False).

        Raises:
            TypeError: The row has no field names.
        """
        if self._names is None:
            raise TypeError("Cannot convert a Row class into dict")

        if recursive:

            def conv(obj: Any) -> Any:
                if isinstance(obj, Row):
                    return obj.as_dict(True)
                if isinstance(obj, list):
                    return [conv(o) for o in obj]
                if isinstance(obj, dict):
                    return {k: conv(v) for k, v in obj.items()}
                return obj

            return dict(zip(self._names, (conv(o) for o in self._values)))
        return dict(zip(self._names, self._values))

    def get_row_kind(self) -> RowKind:
        """Returns the kind of change this row describes."""
        return self._row_kind

    def set_row_kind(self, row_kind: RowKind) -> None:
        """Sets the kind of change this row describes.

        Args:
            row_kind: The row kind.
        """
        self._row_kind = row_kind

    def set_field_names(self, field_names: list[str]) -> None:
        """Sets (replaces) the field names.

        Args:
            field_names: The names, in field order.
        """
        self._fields = field_names

    def get_fields_by_names(self, names: Iterable[str]) -> list[Any]:
        """Returns the values of the given fields (flink-py extension).

        Args:
            names: Field names.

        Raises:
            ValueError: A name is not a field of this row.
            AttributeError: The row has no field names.
        """
        return [self[name] for name in names]

    def _is_retract_msg(self) -> bool:
        return self._row_kind is RowKind.UPDATE_BEFORE or self._row_kind is RowKind.DELETE

    def _is_accumulate_msg(self) -> bool:
        return self._row_kind is RowKind.UPDATE_AFTER or self._row_kind is RowKind.INSERT

    def __contains__(self, item: Any) -> bool:
        if self._names is not None:
            return item in self._names
        return item in self._values

    # let object act like a class
    def __call__(self, *args: Any) -> Row:
        """Creates a new Row object using this row's values as field names."""
        if len(args) > len(self):
            raise ValueError(
                "Can not create Row with fields %s, expected %d values but got %s"
                % (self, len(self), args)
            )
        return _create_row(self._values, args, self._row_kind)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, slice)):
            return self._values[item]
        names = self._names
        if names is None:
            raise AttributeError("Row has no field names; cannot look up %r" % (item,))
        try:
            # it will be slow when it has many fields,
            # but this will not be used in normal cases
            idx = names.index(item)
            return self._values[idx]
        except IndexError:
            raise KeyError(item) from None
        except ValueError:
            raise ValueError(item) from None

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, (int, slice)):
            self._values[key] = value
            return
        names = self._names
        if names is None:
            raise KeyError(key)
        try:
            # it will be slow when it has many fields,
            # but this will not be used in normal cases
            idx = names.index(key)
            self._values[idx] = value
        except IndexError:
            raise KeyError(key) from None
        except ValueError:
            raise ValueError(value) from None

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            raise AttributeError(item)
        names = self._names
        if names is None:
            raise AttributeError(item)
        try:
            # it will be slow when it has many fields,
            # but this will not be used in normal cases
            idx = names.index(item)
            return self._values[idx]
        except (IndexError, ValueError):
            raise AttributeError(item) from None

    def __reduce__(self) -> tuple[Any, ...]:
        """Returns a tuple so Python knows how to pickle Row."""
        return _create_row, (self._names, tuple(self._values), self._row_kind.value)

    def __repr__(self) -> str:
        """Printable representation of Row used in Python REPL."""
        if self._names is not None:
            return "Row(%s)" % ", ".join(
                "%s=%r" % (k, v) for k, v in zip(self._names, tuple(self._values))
            )
        return "<Row(%s)>" % ", ".join("%r" % field for field in self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return False
        names = self._names
        other_names = other._names
        if names is not None:
            if other_names is None or names != other_names:
                return False
        elif other_names is not None:
            return False
        return (
            self.__class__ == other.__class__
            and self._row_kind == other._row_kind
            and self._values == other._values
        )

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _rows_from_values(value_lists: Iterable[list[Any]], fields: list[str] | None) -> list[Row]:
    """Builds rows fast from value lists (internal, used by the data plane).

    Args:
        value_lists: One ``list`` of field values per row (taken over, not copied).
        fields: Field names shared by all rows, or ``None`` for positional rows.

    Returns:
        The rows, all of kind INSERT.
    """
    new = object.__new__
    cls = Row
    kind = _INSERT
    out: list[Row] = []
    append = out.append
    for values in value_lists:
        row = new(cls)
        row._values = values
        row._names = fields
        row._row_kind = kind
        append(row)
    return out
