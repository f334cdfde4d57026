"""Record batches <-> Arrow: the data plane's record encoding (internal).

Records travel between processes as Arrow ``RecordBatch``es, in one of two encodings:

* **typed** -- an output :class:`~flink_py.common.typeinfo.TypeInformation` is known.
  A TUPLE or ROW stream is *flattened*: one Arrow column per field, named ``f0, f1, ...``
  (TUPLE and unnamed ROW) or by the row's field names (ROW_NAMED); a ROW stream also has a
  trailing nullable ``int8`` column :data:`ROW_KIND_COLUMN` with the ``RowKind`` value of
  each row (all-null while every row is INSERT, which costs nothing). Any other type is a
  single column ``f0`` of that type's Arrow type.
* **untyped** -- no type (``None``) or ``PICKLED_BYTE_ARRAY``: a single ``binary`` column
  ``f0`` holding each record pickled individually (protocol 5; ``cloudpickle`` is used for a
  record that plain pickle cannot handle or that references ``__main__``, whose objects
  plain pickle would only store by reference).

Strictness: values are converted by pyarrow, then cheap whole-column guards reject the
silent coercions pyarrow would otherwise perform (``1.5`` into INT truncates to ``1``,
``b'x'`` into STRING, ``True`` into DOUBLE, ``datetime`` into DATE, aware datetimes into
TIMESTAMP, ``'ab'`` into LIST<STRING>, ...). Per-value validation only runs after a failure,
to find the first offending record and raise a :class:`TypeMismatchError` that names it,
e.g. ``Value 'abc' (str) does not match the declared type INT (record 3 of 4096: ...)``.

Decoding returns what PyFlink hands to the next operator: ``tuple`` for TUPLE, ``Row`` with
field names (``f0, f1, ...`` for unnamed ROW) for ROW, ``int``/``float``/``str``/``bool``/
``bytes``/``Decimal``/``date``/``time``/``datetime``/``list``/``dict`` for the rest.

Wire (IPC) helpers: the schema is sent once per channel (:func:`schema_to_bytes` /
:func:`schema_from_bytes`); each batch is sent as an IPC message without schema
(:func:`serialize` / :func:`deserialize`, zero-copy on the receiving side).
"""

from __future__ import annotations

import datetime
import decimal
import math
import operator
import pickle
from collections.abc import Callable, Sequence
from functools import partial
from itertools import accumulate, chain, repeat
from typing import Any

import cloudpickle
import pyarrow as pa
import pyarrow.compute as pc
from flink_py.common.typeinfo import (
    BasicArrayTypeInfo,
    BasicType,
    BasicTypeInfo,
    DateTypeInfo,
    ListTypeInfo,
    LocalTimeTypeInfo,
    MapTypeInfo,
    ObjectArrayTypeInfo,
    PickledBytesTypeInfo,
    PrimitiveArrayTypeInfo,
    RowTypeInfo,
    TimestampTypeInfo,
    TimeTypeInfo,
    TupleTypeInfo,
    TypeInformation,
    TypeMismatchError,
    _short_repr,
)
from flink_py.common.time import Instant
from flink_py.common.types import Row, RowKind, _rows_from_values

__all__ = [
    "PICKLE_PROTOCOL",
    "ROW_KIND_COLUMN",
    "BatchCodec",
    "deserialize",
    "schema_from_bytes",
    "schema_to_bytes",
    "serialize",
]

#: Pickle protocol used for untyped records and PICKLED_BYTE_ARRAY values.
PICKLE_PROTOCOL = 5
#: Name of the trailing row-kind column of a flattened ROW stream.
ROW_KIND_COLUMN = "__row_kind__"

_Encoder = Callable[[Sequence[Any]], pa.Array]
_Decoder = Callable[[pa.Array], list]
_Guard = Callable[[Sequence[Any], pa.Array], None]

_NoneType = type(None)
_not_none = partial(operator.is_not, None)
_is_none = partial(operator.is_, None)
_get_values = operator.attrgetter("_values")
_get_names = operator.attrgetter("_names")
_get_kind = operator.attrgetter("_row_kind")
_get_tzinfo = operator.attrgetter("tzinfo")
_INSERT = RowKind.INSERT
_ROW_ONLY = frozenset((Row,))
_SEQUENCE_TYPES = frozenset((tuple, list))
_ROW_KINDS = list(RowKind)
_ENCODE_ERRORS = (
    pa.ArrowException,
    TypeError,
    ValueError,
    OverflowError,
    AttributeError,
    IndexError,
    KeyError,
    decimal.DecimalException,
)


class _Reject(Exception):
    """Internal: a whole-column guard found a value pyarrow would silently coerce."""


# ---------------------------------------------------------------------------------------------
# Pickling
# ---------------------------------------------------------------------------------------------

_MAIN_MARKER = b"__main__"


def _dumps_one(value: Any) -> bytes:
    try:
        data = pickle.dumps(value, PICKLE_PROTOCOL)
    except Exception:
        return cloudpickle.dumps(value, PICKLE_PROTOCOL)
    if _MAIN_MARKER in data:
        # Plain pickle stores __main__ classes/functions by reference: not loadable elsewhere.
        return cloudpickle.dumps(value, PICKLE_PROTOCOL)
    return data


def _has_none(values: Sequence[Any]) -> bool:
    """Whether any value is ``None`` (by identity: never calls a value's ``__eq__``)."""
    return any(map(_is_none, values))


def _pickle_values(values: Sequence[Any]) -> list[bytes]:
    """Pickles each value individually (``None`` is pickled too)."""
    try:
        data = list(map(pickle.dumps, values, repeat(PICKLE_PROTOCOL)))
    except Exception:
        return [_dumps_one(v) for v in values]
    if _MAIN_MARKER in b"".join(data):
        return [_dumps_one(v) if _MAIN_MARKER in d else d for d, v in zip(data, values)]
    return data


def _encode_pickled(values: Sequence[Any]) -> pa.Array:
    return pa.array(_pickle_values(values), pa.binary())


def _encode_pickled_nullable(values: Sequence[Any]) -> pa.Array:
    if _has_none(values):
        present = [v for v in values if v is not None]
        data = iter(_pickle_values(present))
        return pa.array([None if v is None else next(data) for v in values], pa.binary())
    return _encode_pickled(values)


def _decode_pickled(arr: pa.Array) -> list:
    loads = pickle.loads
    if arr.null_count:
        return [None if b is None else loads(b) for b in arr.to_pylist()]
    return list(map(loads, arr.to_pylist()))


# ---------------------------------------------------------------------------------------------
# Guards: cheap whole-column checks after a successful pyarrow conversion
# ---------------------------------------------------------------------------------------------


def _check_types(values: Sequence[Any], exact: frozenset, pred: Callable[[type], bool]) -> None:
    types = set(map(type, values))
    if types <= exact:
        return
    for t in types - exact:
        if not pred(t):
            raise _Reject(t)


def _float_pred(t: type) -> bool:
    return issubclass(t, (int, float)) and not issubclass(t, bool)


def _date_pred(t: type) -> bool:
    return issubclass(t, datetime.date) and not issubclass(t, datetime.datetime)


def _guard_int(values: Sequence[Any], arr: pa.Array) -> None:
    # pyarrow already rejected str/bool/out-of-range; it truncates float/Decimal/Fraction.
    try:
        total = sum(values)
    except TypeError:
        total = sum(filter(_not_none, values))
    if type(total) is not int:
        raise _Reject(type(total))


def _guard_str(values: Sequence[Any], arr: pa.Array) -> None:
    # pyarrow accepts utf-8 bytes for string columns; join rejects anything but str.
    try:
        "".join(values)
    except TypeError:
        "".join(filter(_not_none, values))


def _guard_bytes(values: Sequence[Any], arr: pa.Array) -> None:
    # pyarrow accepts str for binary columns; bytes-join rejects str.
    try:
        b"".join(values)
    except TypeError:
        b"".join(filter(_not_none, values))


_FLOAT_EXACT = frozenset((float, int, _NoneType))
_FLOAT32_MAX = 3.4028234663852886e38


def _guard_double(values: Sequence[Any], arr: pa.Array) -> None:
    _check_types(values, _FLOAT_EXACT, _float_pred)


def _guard_float(values: Sequence[Any], arr: pa.Array) -> None:
    _check_types(values, _FLOAT_EXACT, _float_pred)
    if len(arr) and pc.any(pc.is_inf(arr)).as_py():
        for v in values:
            if v is not None and math.isfinite(v) and abs(v) > _FLOAT32_MAX:
                raise _Reject(v)


_DATE_EXACT = frozenset((datetime.date, _NoneType))
_TIME_EXACT = frozenset((datetime.time, _NoneType))
_DATETIME_EXACT = frozenset((datetime.datetime, _NoneType))
_DECIMAL_EXACT = frozenset((decimal.Decimal, int, _NoneType))


def _guard_date(values: Sequence[Any], arr: pa.Array) -> None:
    _check_types(values, _DATE_EXACT, _date_pred)


def _guard_naive(values: Sequence[Any], exact: frozenset, base: type) -> None:
    _check_types(values, exact, lambda t: issubclass(t, base))
    if any(map(_get_tzinfo, filter(_not_none, values))):
        raise _Reject("tzinfo")


def _guard_time(values: Sequence[Any], arr: pa.Array) -> None:
    _guard_naive(values, _TIME_EXACT, datetime.time)


def _guard_timestamp(values: Sequence[Any], arr: pa.Array) -> None:
    _guard_naive(values, _DATETIME_EXACT, datetime.datetime)


def _encode_big_dec(values: Sequence[Any]) -> pa.Array:
    """Java BigDecimals travel as their text: any precision, each value's own scale."""
    _check_types(
        values, _DECIMAL_EXACT, lambda t: issubclass(t, (decimal.Decimal, int)) and t is not bool
    )
    if any(isinstance(v, decimal.Decimal) and not v.is_finite() for v in values):
        raise _Reject("not a finite decimal")
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _guard_none(values: Sequence[Any], arr: pa.Array) -> None:
    return None


_SEQ_EXACT = frozenset((list, tuple, _NoneType))


def _seq_pred(t: type) -> bool:
    return issubclass(t, (list, tuple))


def _make_list_guard(elem_guard: _Guard, allow_null_elements: bool) -> _Guard:
    def guard(values: Sequence[Any], arr: pa.Array) -> None:
        _check_types(values, _SEQ_EXACT, _seq_pred)
        child = arr.flatten()
        if not allow_null_elements and child.null_count:
            raise _Reject("null element")
        elem_guard(list(chain.from_iterable(filter(_not_none, values))), child)

    return guard


_DICT_EXACT = frozenset((dict, _NoneType))


def _make_map_guard(key_guard: _Guard, value_guard: _Guard) -> _Guard:
    def guard(values: Sequence[Any], arr: pa.Array) -> None:
        _check_types(values, _DICT_EXACT, lambda t: issubclass(t, dict))
        present = [v for v in values if v is not None]
        keys = list(chain.from_iterable(map(dict.keys, present)))  # None keys: pyarrow rejects
        key_guard(keys, arr.keys)
        value_guard(list(chain.from_iterable(map(dict.values, present))), arr.items)

    return guard


# ---------------------------------------------------------------------------------------------
# Encoders / decoders per type
# ---------------------------------------------------------------------------------------------

_INT_TYPES = (BasicType.BYTE, BasicType.SHORT, BasicType.INT, BasicType.LONG)


def _temporal_kind(ti: TypeInformation) -> str | None:
    """``date``, ``time`` or ``timestamp`` for the SQL and local time types, else None."""
    if isinstance(ti, LocalTimeTypeInfo):
        tt = ti.get_time_type()
        if tt is LocalTimeTypeInfo.TimeType.LOCAL_DATE:
            return "date"
        if tt is LocalTimeTypeInfo.TimeType.LOCAL_TIME:
            return "time"
        return "timestamp"
    if isinstance(ti, DateTypeInfo):
        return "date"
    if isinstance(ti, TimeTypeInfo):
        return "time"
    if isinstance(ti, TimestampTypeInfo):
        return "timestamp"
    return None


def _direct_guard(ti: TypeInformation) -> _Guard | None:
    """Returns the guard if ``pa.array(values, ti.to_arrow_type())`` + guard encodes ``ti``
    exactly, or ``None`` if values need a Python conversion first."""
    if isinstance(ti, BasicTypeInfo):
        bt = ti.get_basic_type()
        if bt in _INT_TYPES or bt is BasicType.BIG_INT:
            return _guard_int
        if bt is BasicType.STRING or bt is BasicType.CHAR:
            return _guard_str
        if bt is BasicType.BOOLEAN:
            return _guard_none
        if bt is BasicType.DOUBLE:
            return _guard_double
        if bt is BasicType.FLOAT:
            return _guard_float
        return None  # BIG_DEC (as text), INSTANT (Instant-like objects): converted first
    temporal = _temporal_kind(ti)
    if temporal is not None:
        return {"date": _guard_date, "time": _guard_time, "timestamp": _guard_timestamp}[temporal]
    if isinstance(ti, PrimitiveArrayTypeInfo):
        if ti.is_bytes():
            return _guard_bytes
        elem = _direct_guard(ti.get_element_type())
        return None if elem is None else _make_list_guard(elem, allow_null_elements=False)
    if isinstance(ti, (ListTypeInfo, BasicArrayTypeInfo, ObjectArrayTypeInfo)):
        elem = _direct_guard(ti.get_element_type())
        return None if elem is None else _make_list_guard(elem, allow_null_elements=True)
    if isinstance(ti, MapTypeInfo):
        kg = _direct_guard(ti.get_key_type())
        vg = _direct_guard(ti.get_value_type())
        if kg is None or vg is None:
            return None
        return _make_map_guard(kg, vg)
    return None


def _encode_direct(arrow_type: pa.DataType, guard: _Guard, values: Sequence[Any]) -> pa.Array:
    arr = pa.array(values, type=arrow_type)
    guard(values, arr)
    return arr


_UTC = datetime.timezone.utc
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=_UTC)


_NANOS = 1_000_000_000
_MICRO = datetime.timedelta(microseconds=1)


def _instant_nanos(value: Any) -> Any:
    """Nanoseconds since the epoch of an ``Instant``-like object or an aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Reject("naive datetime")
        return (value - _EPOCH_UTC) // _MICRO * 1000
    seconds = getattr(value, "seconds", None)
    nanos = getattr(value, "nanos", None)
    if _is_exact_int(seconds) and _is_exact_int(nanos):
        return seconds * _NANOS + nanos
    raise _Reject(type(value))


def _is_exact_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _encode_instant(arrow_type: pa.DataType, values: Sequence[Any]) -> pa.Array:
    # PyFlink's InstantCoderImpl keeps seconds and nanos: nanoseconds since the epoch.
    return pa.array(list(map(_instant_nanos, values)), type=pa.int64()).cast(arrow_type)


def _decode_pylist(arr: pa.Array) -> list:
    return arr.to_pylist()


def _parse_strings(parse: Callable[[str], Any], strings: list) -> list:
    try:
        return list(map(parse, strings))
    except TypeError:  # nulls
        return [None if s is None else parse(s) for s in strings]


def _make_decode_via_string(parse: Callable[[str], Any]) -> _Decoder:
    """Decoder casting to string in Arrow then parsing in C (much faster than to_pylist,
    which builds a Scalar per temporal/decimal value)."""

    def decode(arr: pa.Array) -> list:
        return _parse_strings(parse, arr.cast(pa.string()).to_pylist())

    return decode


_decode_date = _make_decode_via_string(datetime.date.fromisoformat)
_decode_time = _make_decode_via_string(datetime.time.fromisoformat)
_decode_timestamp = _make_decode_via_string(datetime.datetime.fromisoformat)
_decode_big_dec = _make_decode_via_string(decimal.Decimal)
_decode_big_int = _make_decode_via_string(int)
_NAIVE_US = pa.timestamp("us")


def _decode_instant(arr: pa.Array) -> list:
    # PyFlink hands the next function ``Instant(seconds, nanos)`` objects.
    return [None if n is None else Instant(*divmod(n, _NANOS))
            for n in arr.cast(pa.int64()).to_pylist()]


def _decode_map_native(arr: pa.Array) -> list:
    # to_pylist gives lists of (key, value) pairs (fast); maps_as_pydicts is ~30x slower.
    return [None if pairs is None else dict(pairs) for pairs in arr.to_pylist()]


def _null_mask(values: Sequence[Any]) -> pa.Array | None:
    if _has_none(values):
        return pa.array([v is None for v in values], pa.bool_())
    return None


class _StructCodec:
    """Encodes/decodes a nested ROW or TUPLE column (a ``struct`` array)."""

    def __init__(self, ti: RowTypeInfo | TupleTypeInfo) -> None:
        self.ti = ti
        self.arrow_type = ti.to_arrow_type()
        self.fields = [self.arrow_type.field(i) for i in range(self.arrow_type.num_fields)]
        field_types = ti.get_field_types()
        self.n = len(field_types)
        self.encoders = [_make_encoder(ft) for ft in field_types]
        self.decoders = [_make_decoder(ft) for ft in field_types]
        self.is_row = isinstance(ti, RowTypeInfo)
        # Decoded rows share this list (as in PyFlink); a copy keeps the type info intact.
        self.names = list(ti.get_field_names())
        self.to_values: Callable[[Any], Sequence[Any]] = (
            ti.row_values if isinstance(ti, RowTypeInfo) else ti.tuple_values
        )

    def encode(self, values: Sequence[Any]) -> pa.Array:
        if self.n == 0:
            return pa.array([None if v is None else {} for v in values], self.arrow_type)
        placeholder = (None,) * self.n
        to_values = self.to_values
        seqs = [placeholder if v is None else to_values(v) for v in values]
        if seqs:
            columns = list(zip(*seqs))
        else:
            columns = [()] * self.n
        children = [enc(col) for enc, col in zip(self.encoders, columns)]
        return pa.StructArray.from_arrays(children, fields=self.fields, mask=_null_mask(values))

    def decode(self, arr: pa.Array) -> list:
        n = len(arr)
        if self.n == 0:
            rows_values: Any = ([] for _ in range(n))
        else:
            columns = [dec(child) for dec, child in zip(self.decoders, arr.flatten())]
            rows_values = zip(*columns)
        if self.is_row:
            result: list = _rows_from_values(map(list, rows_values), self.names)
        else:
            result = [tuple(v) for v in rows_values] if self.n == 0 else list(rows_values)
        if arr.null_count:
            for i, is_null in enumerate(arr.is_null().to_pylist()):
                if is_null:
                    result[i] = None
        return result


def _encode_list_general(
    arrow_type: pa.DataType, elem_encoder: _Encoder, values: Sequence[Any]
) -> pa.Array:
    _check_types(values, _SEQ_EXACT, _seq_pred)
    lengths = [0 if v is None else len(v) for v in values]
    offsets = pa.array(list(accumulate(lengths, initial=0)), pa.int32())
    child = elem_encoder(list(chain.from_iterable(filter(_not_none, values))))
    return pa.ListArray.from_arrays(offsets, child, type=arrow_type, mask=_null_mask(values))


def _encode_map_general(
    arrow_type: pa.DataType, key_encoder: _Encoder, value_encoder: _Encoder,
    values: Sequence[Any],
) -> pa.Array:
    _check_types(values, _DICT_EXACT, lambda t: issubclass(t, dict))
    present = [v for v in values if v is not None]
    keys = list(chain.from_iterable(map(dict.keys, present)))
    if _has_none(keys):
        raise _Reject("None key")
    items = list(chain.from_iterable(map(dict.values, present)))
    lengths = [0 if v is None else len(v) for v in values]
    offsets = pa.array(list(accumulate(lengths, initial=0)), pa.int32())
    return pa.MapArray.from_arrays(
        offsets, key_encoder(keys), value_encoder(items), type=arrow_type,
        mask=_null_mask(values),
    )


def _decode_list_general(elem_decoder: _Decoder, arr: pa.Array) -> list:
    offsets = arr.offsets.to_pylist()
    child = elem_decoder(arr.values)
    result = [child[offsets[i]:offsets[i + 1]] for i in range(len(arr))]
    if arr.null_count:
        for i, is_null in enumerate(arr.is_null().to_pylist()):
            if is_null:
                result[i] = None
    return result


def _decode_map_general(key_decoder: _Decoder, value_decoder: _Decoder, arr: pa.Array) -> list:
    offsets = arr.offsets.to_pylist()
    keys = key_decoder(arr.keys)
    items = value_decoder(arr.items)
    result: list = [
        dict(zip(keys[offsets[i]:offsets[i + 1]], items[offsets[i]:offsets[i + 1]]))
        for i in range(len(arr))
    ]
    if arr.null_count:
        for i, is_null in enumerate(arr.is_null().to_pylist()):
            if is_null:
                result[i] = None
    return result


def _make_encoder(ti: TypeInformation) -> _Encoder:
    """Returns a function encoding a sequence of values of ``ti`` into one Arrow array."""
    arrow_type = ti.to_arrow_type()
    guard = _direct_guard(ti)
    if guard is not None:
        return partial(_encode_direct, arrow_type, guard)
    if isinstance(ti, BasicTypeInfo) and ti.get_basic_type() is BasicType.INSTANT:
        return partial(_encode_instant, arrow_type)
    if isinstance(ti, BasicTypeInfo) and ti.get_basic_type() is BasicType.BIG_DEC:
        return _encode_big_dec
    if isinstance(ti, PickledBytesTypeInfo):
        return _encode_pickled_nullable
    if isinstance(ti, (RowTypeInfo, TupleTypeInfo)):
        return _StructCodec(ti).encode
    if isinstance(ti, (ListTypeInfo, BasicArrayTypeInfo, ObjectArrayTypeInfo,
                       PrimitiveArrayTypeInfo)):
        return partial(_encode_list_general, arrow_type, _make_encoder(ti.get_element_type()))
    if isinstance(ti, MapTypeInfo):
        return partial(
            _encode_map_general,
            arrow_type,
            _make_encoder(ti.get_key_type()),
            _make_encoder(ti.get_value_type()),
        )
    raise TypeError("Unsupported type information for Arrow encoding: %r" % (ti,))


def _is_native(ti: TypeInformation) -> bool:
    """Whether ``Array.to_pylist`` already yields the right Python values for ``ti`` fast."""
    if isinstance(ti, BasicTypeInfo):
        return ti.get_basic_type() not in (BasicType.BIG_INT, BasicType.BIG_DEC, BasicType.INSTANT)
    if isinstance(ti, PrimitiveArrayTypeInfo):
        return True
    if isinstance(ti, (ListTypeInfo, BasicArrayTypeInfo, ObjectArrayTypeInfo)):
        return _is_native(ti.get_element_type())
    return False


def _make_decoder(ti: TypeInformation) -> _Decoder:
    """Returns a function decoding one Arrow array of ``ti`` into Python values."""
    if _is_native(ti):
        return _decode_pylist
    if isinstance(ti, BasicTypeInfo):
        bt = ti.get_basic_type()
        if bt is BasicType.BIG_INT:
            return _decode_big_int
        if bt is BasicType.BIG_DEC:
            return _decode_big_dec
        return _decode_instant
    temporal = _temporal_kind(ti)
    if temporal is not None:
        return {"date": _decode_date, "time": _decode_time,
                "timestamp": _decode_timestamp}[temporal]
    if isinstance(ti, PickledBytesTypeInfo):
        return _decode_pickled
    if isinstance(ti, (RowTypeInfo, TupleTypeInfo)):
        return _StructCodec(ti).decode
    if isinstance(ti, (ListTypeInfo, BasicArrayTypeInfo, ObjectArrayTypeInfo)):
        return partial(_decode_list_general, _make_decoder(ti.get_element_type()))
    if isinstance(ti, MapTypeInfo):
        kt, vt = ti.get_key_type(), ti.get_value_type()
        if _is_native(kt) and _is_native(vt):
            return _decode_map_native
        return partial(_decode_map_general, _make_decoder(kt), _make_decoder(vt))
    raise TypeError("Unsupported type information for Arrow decoding: %r" % (ti,))


# ---------------------------------------------------------------------------------------------
# BatchCodec
# ---------------------------------------------------------------------------------------------


def _columns(rows: Sequence[Sequence[Any]], n: int) -> list[list[Any]]:
    """The ``n`` fields of equal-length rows, column by column.

    Column-wise comprehensions: zip(*rows) advances one iterator per row and
    costs several times more on batches of thousands of rows.
    """
    if n == 2:
        return [[r[0] for r in rows], [r[1] for r in rows]]
    return [[r[i] for r in rows] for i in range(n)]


class BatchCodec:
    """Encodes lists of records into Arrow record batches and back.

    Create one codec per channel/type and reuse it; codecs are stateless after construction
    (thread-safe) and cheap to build.

    Example::

        codec = BatchCodec(Types.TUPLE([Types.STRING(), Types.INT()]))
        batch = codec.encode([("a", 1), ("b", 2)])     # columns f0: string, f1: int32
        assert codec.decode(batch) == [("a", 1), ("b", 2)]
    """

    def __init__(self, type_info: TypeInformation | None) -> None:
        """Creates the codec.

        Args:
            type_info: The records' type; ``None`` or ``Types.PICKLED_BYTE_ARRAY()`` selects
                the untyped (pickled) encoding.

        Raises:
            TypeError: ``type_info`` is not a TypeInformation (or None).
            ValueError: A ROW field is named :data:`ROW_KIND_COLUMN`.
        """
        if type_info is not None and not isinstance(type_info, TypeInformation):
            raise TypeError("type_info must be a TypeInformation or None, got %r" % (type_info,))
        self._type_info = type_info
        self._typed = type_info is not None and not isinstance(type_info, PickledBytesTypeInfo)
        self._flat = self._typed and isinstance(type_info, (RowTypeInfo, TupleTypeInfo)) and (
            isinstance(type_info, RowTypeInfo) or type_info.get_arity() > 0
        )
        self._is_row = isinstance(type_info, RowTypeInfo)
        if not self._typed:
            self._schema = pa.schema([pa.field("f0", pa.binary())])
        elif self._flat:
            assert isinstance(type_info, (RowTypeInfo, TupleTypeInfo))
            field_types = type_info.get_field_types()
            self._names: list[str] = list(type_info.get_field_names())
            self._n = len(field_types)
            self._encoders = [_make_encoder(ft) for ft in field_types]
            self._decoders = [_make_decoder(ft) for ft in field_types]
            fields = [
                pa.field(name, ft.to_arrow_type()) for name, ft in zip(self._names, field_types)
            ]
            if self._is_row:
                if ROW_KIND_COLUMN in self._names:
                    raise ValueError("Row field name %r is reserved" % ROW_KIND_COLUMN)
                fields.append(pa.field(ROW_KIND_COLUMN, pa.int8()))
                self._explicit_names = type_info.has_explicit_field_names()  # type: ignore
                self._names_tuple = tuple(self._names)
                # Decoded rows share this list (as in PyFlink); separate from self._names so a
                # user mutating row._fields in place cannot affect encoding.
                self._row_names = list(self._names)
            self._schema = pa.schema(fields)
        else:
            assert type_info is not None
            self._encoder = _make_encoder(type_info)
            self._decoder = _make_decoder(type_info)
            self._schema = pa.schema([pa.field("f0", type_info.to_arrow_type())])

    @property
    def type_info(self) -> TypeInformation | None:
        """The records' type (``None`` when untyped)."""
        return self._type_info

    @property
    def typed(self) -> bool:
        """Whether records are encoded as typed columns (False: pickled)."""
        return self._typed

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of every batch this codec produces/accepts."""
        return self._schema

    # -- encode -------------------------------------------------------------------------------

    def encode(self, records: Sequence[Any]) -> pa.RecordBatch:
        """Encodes records into one record batch.

        Args:
            records: The records (a list; other sequences/iterables are materialized).

        Returns:
            The batch, with :attr:`schema`.

        Raises:
            TypeMismatchError: A record does not match the declared type; the message names
                the offending value, the declared type and the record.
        """
        if not isinstance(records, (list, tuple)):
            records = list(records)
        if not self._typed:
            return pa.RecordBatch.from_arrays([_encode_pickled(records)], schema=self._schema)
        try:
            if self._flat:
                arrays = self._encode_flat(records)
            else:
                arrays = [self._encoder(records)]
        except (*_ENCODE_ERRORS, _Reject) as exc:
            raise self._mismatch(records, exc) from exc
        return pa.RecordBatch.from_arrays(arrays, schema=self._schema)

    def encode_known(self, records: list[Any]) -> pa.RecordBatch:
        """Encodes records that are known to fit exactly (no checks).

        For a producer whose records are proven, field by field, to be what
        the declared type says -- exact tuples of its arity holding strs,
        exact ints in range, floats or bools (``taskmanager.output_types``
        facts) -- the type and arity checks and guards of :meth:`encode` are
        skipped. Any other type is encoded with :meth:`encode`.
        """
        if not self._typed or self._is_row or not records:
            return self.encode(records)
        schema = self._schema
        if not self._flat:
            return pa.RecordBatch.from_arrays([pa.array(records, type=schema.field(0).type)],
                                              schema=schema)
        columns = _columns(records, self._n)
        return pa.RecordBatch.from_arrays(
            [pa.array(col, type=field.type) for col, field in zip(columns, schema)],
            schema=schema)

    def _encode_flat(self, records: Sequence[Any]) -> list[pa.Array]:
        n = self._n
        if not records:
            arrays = [enc(()) for enc in self._encoders]
            if self._is_row:
                arrays.append(pa.nulls(0, pa.int8()))
            return arrays
        kinds: pa.Array | None = None
        types = set(map(type, records))
        if self._is_row:
            if types == _ROW_ONLY:
                rows = self._row_fast_values(records)
                kind_list = list(map(_get_kind, records))
                if kind_list.count(_INSERT) != len(kind_list):
                    kinds = pa.array([k.value for k in kind_list], pa.int8())
            elif types <= _SEQUENCE_TYPES:
                rows = records
            else:
                to_values = self._type_info.row_values  # type: ignore[union-attr]
                rows = [to_values(r) for r in records]
                if Row in types or any(issubclass(t, Row) for t in types):
                    kind_list = [
                        r._row_kind.value if isinstance(r, Row) else 0 for r in records
                    ]
                    if any(kind_list):
                        kinds = pa.array(kind_list, pa.int8())
        elif types <= _SEQUENCE_TYPES:
            rows = records
        else:
            to_values = self._type_info.tuple_values  # type: ignore[union-attr]
            rows = [to_values(r) for r in records]
        if len(set(map(len, rows))) != 1 or len(rows[0]) != n:
            raise _Reject("arity")
        columns = _columns(rows, n)
        arrays = [enc(col) for enc, col in zip(self._encoders, columns)]
        if self._is_row:
            arrays.append(kinds if kinds is not None else pa.nulls(len(records), pa.int8()))
        return arrays

    def _row_fast_values(self, records: Sequence[Row]) -> Sequence[Sequence[Any]]:
        """Field values of ``Row`` records, in declared order."""
        if self._explicit_names:
            name_lists = list(map(_get_names, records))
            first = name_lists[0]
            # list.count compares by identity first: rows decoded from one batch share a list.
            if name_lists.count(first) == len(name_lists):
                positional = first is None or first == self._names
            else:
                distinct = set(map(tuple, filter(None, name_lists)))
                positional = not distinct or distinct == {self._names_tuple}
            if not positional:
                to_values = self._type_info.row_values  # type: ignore[union-attr]
                return [to_values(r) for r in records]
        return list(map(_get_values, records))

    def _mismatch(self, records: Sequence[Any], exc: BaseException) -> TypeMismatchError:
        """Finds the first offending record and builds the error (slow path)."""
        ti = self._type_info
        assert ti is not None
        total = len(records)
        for i, record in enumerate(records):
            try:
                if record is None and self._flat:
                    raise TypeMismatchError.for_value(
                        record, ti, "a %s record must not be None"
                        % ("ROW" if self._is_row else "TUPLE")
                    )
                ti.validate(record)
            except TypeMismatchError as err:
                context = " (record %d of %d: %s)" % (i, total, _short_repr(record))
                return TypeMismatchError(str(err) + context, err.value, err.declared_type)
        return TypeMismatchError(
            "Records do not match the declared type %s: %s: %s"
            % (ti.type_name(), type(exc).__name__, exc),
            None,
            ti,
        )

    # -- decode -------------------------------------------------------------------------------

    def decode(self, batch: pa.RecordBatch) -> list:
        """Decodes a batch produced by :meth:`encode` (possibly after IPC) into records.

        Args:
            batch: The record batch (must have :attr:`schema`'s columns).

        Returns:
            The records, as PyFlink hands them to the next operator.

        Raises:
            ValueError: The batch's schema does not match this codec.
        """
        if batch.num_columns != len(self._schema) or not batch.schema.equals(self._schema):
            raise ValueError(
                "Batch schema %s does not match the codec schema %s" % (batch.schema, self._schema)
            )
        if not self._typed:
            return _decode_pickled(batch.column(0))
        if not self._flat:
            return self._decoder(batch.column(0))
        if batch.num_rows == 0:
            return []
        columns = [dec(batch.column(i)) for i, dec in enumerate(self._decoders)]
        if not self._is_row:
            return list(zip(*columns))
        if self._n:
            rows = _rows_from_values(map(list, zip(*columns)), self._row_names)
        else:
            rows = _rows_from_values(([] for _ in range(batch.num_rows)), self._row_names)
        kind_column = batch.column(self._n)
        if kind_column.null_count != len(kind_column):
            kinds = _ROW_KINDS
            for row, k in zip(rows, kind_column.to_pylist()):
                if k:
                    row._row_kind = kinds[k]
        return rows


# ---------------------------------------------------------------------------------------------
# IPC
# ---------------------------------------------------------------------------------------------


def schema_to_bytes(schema: pa.Schema) -> bytes:
    """Serializes a schema (sent once per channel).

    Args:
        schema: The schema.

    Returns:
        The Arrow IPC schema message.
    """
    return schema.serialize().to_pybytes()


def schema_from_bytes(buf: bytes | bytearray | memoryview | pa.Buffer) -> pa.Schema:
    """Reads a schema written by :func:`schema_to_bytes`.

    Args:
        buf: The serialized schema.

    Returns:
        The schema.
    """
    if not isinstance(buf, pa.Buffer):
        buf = pa.py_buffer(buf)
    return pa.ipc.read_schema(buf)


def serialize(batch: pa.RecordBatch) -> pa.Buffer:
    """Serializes one batch as an IPC message without schema.

    Args:
        batch: The batch.

    Returns:
        A ``pyarrow.Buffer`` (supports the buffer protocol: ``bytes(buf)``, ``memoryview``,
        socket ``sendall``...).
    """
    return batch.serialize()


def deserialize(
    buf: bytes | bytearray | memoryview | pa.Buffer, schema: pa.Schema
) -> pa.RecordBatch:
    """Reads a batch written by :func:`serialize` (zero-copy: the batch references ``buf``).

    Args:
        buf: The serialized batch.
        schema: The channel's schema.

    Returns:
        The record batch.
    """
    if not isinstance(buf, pa.Buffer):
        buf = pa.py_buffer(buf)
    return pa.ipc.read_record_batch(buf, schema)
