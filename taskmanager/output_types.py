"""Declared output types are enforced wherever records leave an operator chain.

A record crossing to another process is encoded as typed Arrow columns, and
the encoding rejects a value that does not fit (``TypeMismatchError``).
Records that stay in the worker are passed as Python lists, so they get the
same check here, at the same boundaries and nowhere else:

* :class:`CheckedRecordWriter` -- a ``RecordWriter`` whose *local* channels
  encode-check each batch before passing the list (remote channels already
  encode it; each record is checked once). Batches that are not plain basic
  values or tuples of them are passed on as decoded from that encoding, so
  consumers see the same objects as after a remote hop.
* :class:`TypeCheckedOutput` -- in front of a chained sink (an operator with
  no outputs), where the stream ends inside the chain.

Operators chained to further operators exchange plain objects, as Python
functions fused into one PyFlink chain do.

A check only looks at what the producing operator does not already
guarantee: an operator whose function is an inlinable expression knows, say,
that it emits 2-tuples whose first field is a field of its checked input
(:meth:`StreamOperator.output_fact`), so only the second field is checked.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from flink_py.common.runtime.arrow_codec import BatchCodec
from flink_py.common.typeinfo import (
    INT_RANGES,
    BasicType,
    BasicTypeInfo,
    PickledBytesTypeInfo,
    TupleTypeInfo,
)
from flink_py.taskmanager.writer import RecordWriter

__all__ = ["CheckedRecordWriter", "TypeCheckedOutput", "fast_check", "fully_known", "is_typed",
           "type_fact"]


#: array.array typecodes whose range is exactly the Java integer type's.
_INT_CODES = {BasicType.BYTE: "b", BasicType.SHORT: "h", BasicType.INT: "i",
              BasicType.LONG: "q"}

#: A column check: True when every value certainly fits (False: not sure).
_ColumnCheck = Callable[[list[Any]], bool]


def _str_column(col: list[Any]) -> bool:
    try:
        "".join(col)  # C loop; rejects anything but str (None included)
    except TypeError:
        return False
    return True


def _int_range(code: str) -> _ColumnCheck:
    """Range check of a column known to hold exact ints."""
    def check(col: list[Any]) -> bool:
        try:
            array(code, col)  # C range check
        except OverflowError:
            return False
        return True
    return check


def _int_column(code: str) -> _ColumnCheck:
    in_range = _int_range(code)

    def check(col: list[Any]) -> bool:
        # exact int: no bool, float, None
        return list(map(type, col)) == [int] * len(col) and in_range(col)
    return check


def _column_check(type_info: Any) -> _ColumnCheck | None:
    """A C-speed sufficient check for a column of ``type_info``, if there is one."""
    if type(type_info) is not BasicTypeInfo:
        return None
    bt = type_info.get_basic_type()
    if bt is BasicType.STRING:
        return _str_column
    if bt is BasicType.BOOLEAN:
        return lambda col: set(map(type, col)) == {bool}
    if bt is BasicType.DOUBLE:
        # Only floats: an int may not fit a double exactly (the encoding rejects 2**53 + 1).
        return lambda col: set(map(type, col)) == {float}
    code = _INT_CODES.get(bt)
    return None if code is None else _int_column(code)


def type_fact(type_info: Any) -> Any:
    """What a value that passed the check of ``type_info`` is known to be (see
    ``common.runtime.inline``): exact ints in range, floats, bools, strs, exact tuples."""
    if type(type_info) is TupleTypeInfo:
        return ("tuple", tuple(type_fact(t) for t in type_info.get_field_types()))
    if type(type_info) is not BasicTypeInfo:
        return None
    bt = type_info.get_basic_type()
    if bt in _INT_CODES:
        lo, hi = INT_RANGES[bt]
        return ("int", lo, hi)
    return {BasicType.STRING: ("str",), BasicType.BOOLEAN: ("bool",),
            BasicType.DOUBLE: ("float",)}.get(bt)


def _residual(type_info: Any, fact: Any) -> _ColumnCheck | None | bool:
    """The check a value of ``fact`` still needs to fit ``type_info``: True
    (none), a range check, or None (no fact helps)."""
    if fact is None or type(type_info) is not BasicTypeInfo:
        return None
    bt = type_info.get_basic_type()
    if fact == type_fact(type_info) and fact[0] != "int" \
            or bt is BasicType.STRING and fact[0] == "xstr":
        return True
    if fact[0] == "int" and bt in _INT_CODES:
        lo, hi = INT_RANGES[bt]
        if fact[1] is not None and fact[2] is not None and lo <= fact[1] and fact[2] <= hi:
            return True
        return _int_range(_INT_CODES[bt])
    return None


def _field_checks(type_info: Any, fact: Any) -> list[tuple[int, _ColumnCheck]] | None:
    """Per field of a TUPLE, the check ``fact`` leaves open (none listed: nothing to
    check), or None when the fact does not help."""
    fields = type_info.get_field_types()
    if fact is None or fact[0] != "tuple" or len(fact[1]) != len(fields):
        return None
    pairs: list[tuple[int, _ColumnCheck]] = []
    for i, (t, f) in enumerate(zip(fields, fact[1])):
        residual = _residual(t, f)
        if residual is None:
            residual = _column_check(t)
            if residual is None:
                return None
        if residual is not True:
            pairs.append((i, residual))  # type: ignore[arg-type]
    return pairs


def fully_known(type_info: Any, fact: Any) -> bool:
    """Whether records of ``fact`` certainly fit ``type_info`` exactly (no check needed):
    then a remote channel may encode them without checking (``BatchCodec.encode_known``)."""
    if fact is None:
        return False
    if type(type_info) is TupleTypeInfo:
        return _field_checks(type_info, fact) == []
    return _residual(type_info, fact) is True


def _fact_check(type_info: Any, fact: Any) -> Callable[[list[Any]], bool] | None:
    """A check of only what ``fact`` leaves open, or None."""
    if fact is None:
        return None
    if type(type_info) is TupleTypeInfo:
        pairs = _field_checks(type_info, fact)
        if pairs is None:
            return None

        def check_fields(records: list[Any]) -> bool:
            return all(c([r[i] for r in records]) for i, c in pairs)

        return check_fields
    residual = _residual(type_info, fact)
    if residual is None:
        return None
    if residual is True:
        return lambda records: True
    return residual  # type: ignore[return-value]


def fast_check(type_info: Any, fact: Any = None) -> Callable[[list[Any]], bool] | None:
    """A cheap sufficient check that records fit ``type_info``, where one exists.

    It only ever answers True for batches the Arrow encoding accepts; a False
    means "not sure", and the caller falls back to encoding the batch (which
    raises the precise error). Covers basic types and tuples of them. With a
    ``fact`` the producer guarantees about every record, only the rest is checked.
    """
    by_fact = _fact_check(type_info, fact)
    if by_fact is not None:
        return by_fact
    single = _column_check(type_info)
    if single is not None:
        return lambda records: bool(records) and single(records)
    if type(type_info) is not TupleTypeInfo:
        return None
    checks = [_column_check(t) for t in type_info.get_field_types()]
    if not checks or any(c is None for c in checks):
        return None
    n = len(checks)
    pairs = list(enumerate(checks))

    def check(records: list[Any]) -> bool:
        k = len(records)
        if not k or list(map(type, records)) != [tuple] * k or list(map(len, records)) != [n] * k:
            return False
        return all(c([r[i] for r in records]) for i, c in pairs)  # type: ignore[misc]

    return check


def is_typed(type_info: Any) -> bool:
    """Whether records of ``type_info`` travel as typed Arrow columns."""
    return type_info is not None and not isinstance(type_info, PickledBytesTypeInfo)


class CheckedRecordWriter(RecordWriter):
    """A RecordWriter of a typed edge with channels inside this worker."""

    def __init__(self, *args: Any, type_info: Any, fact: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_codec = self.codec or BatchCodec(type_info)
        self.fast_check = fast_check(type_info, fact) or _never

    def _flush(self, i: int) -> None:
        records = self.pending[i]
        if records and self.local[i] and not self.fast_check(records):
            # Encoding raises TypeMismatchError naming the value. Decoding hands
            # the consumer the objects a remote channel would deliver (an
            # unnamed Row gets its declared field names, a list typed TUPLE
            # becomes a tuple, decimals get the declared scale), so a job
            # behaves the same whichever way a channel goes.
            codec = self.check_codec
            self.pending[i] = codec.decode(codec.encode(records))
        super()._flush(i)


class TypeCheckedOutput:
    """Checks each batch against the declared type, then hands it to ``target``."""

    __slots__ = ("codec", "emit_side", "emit_watermark", "emit_watermark_status", "fast_check",
                 "target")

    def __init__(self, target: Any, type_info: Any, fact: Any = None) -> None:
        self.target = target
        self.codec = BatchCodec(type_info)
        self.fast_check = fast_check(type_info, fact) or _never
        self.emit_side = target.emit_side
        self.emit_watermark = target.emit_watermark
        self.emit_watermark_status = target.emit_watermark_status

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Encode-check ``values`` (raising on a misfit), then pass them on."""
        if values and not self.fast_check(values):
            self.codec.encode(values)
        self.target.emit(values, timestamps)


def _never(records: list[Any]) -> bool:
    return False
