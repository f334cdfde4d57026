"""Tests for flink_py.common.runtime.arrow_codec (records <-> Arrow record batches)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import pickle
import sys
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.common.runtime.arrow_codec import (
    ROW_KIND_COLUMN,
    BatchCodec,
    deserialize,
    schema_from_bytes,
    schema_to_bytes,
    serialize,
)
from flink_py.common.time import Instant
from flink_py.common.typeinfo import TypeInformation, TypeMismatchError, Types
from flink_py.common.types import Row, RowKind

UTC = datetime.timezone.utc


@dataclasses.dataclass
class Point:
    """A user record type defined at module level (pickled by reference)."""

    x: int
    label: str
    tags: list[str] = dataclasses.field(default_factory=list)


def roundtrip(ti: TypeInformation | None, records: list[Any], via_ipc: bool = True) -> list[Any]:
    """Encodes, optionally sends through IPC (schema sent separately), decodes."""
    codec = BatchCodec(ti)
    batch = codec.encode(records)
    assert batch.schema.equals(codec.schema)
    assert batch.num_rows == len(records)
    if via_ipc:
        schema = schema_from_bytes(schema_to_bytes(codec.schema))
        batch = deserialize(serialize(batch).to_pybytes(), schema)
    return codec.decode(batch)


def assert_same(decoded: list[Any], expected: list[Any]) -> None:
    """Equality plus exact Python types (1 == 1.0 == True would hide coercions)."""
    assert decoded == expected

    def check(a: Any, b: Any) -> None:
        assert type(a) is type(b), (a, b)
        if isinstance(a, (list, tuple)):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                check(x, y)
        elif isinstance(a, dict):
            for k in a:
                check(a[k], b[k])
        elif isinstance(a, Row):
            assert a.get_row_kind() is b.get_row_kind()
            check(a._values, b._values)

    check(decoded, expected)


# ---------------------------------------------------------------------------------------------
# Round trips: basic types
# ---------------------------------------------------------------------------------------------

BASIC_VALUES: list[tuple[TypeInformation, list[Any]]] = [
    (Types.STRING(), ["", "a", "héllo wörld", "日本語", "emoji 🎉", "\x00nul", None]),
    (Types.CHAR(), ["a", "é", None]),
    (Types.BOOLEAN(), [True, False, None]),
    (Types.BYTE(), [-128, 0, 127, None]),
    (Types.SHORT(), [-(2**15), 2**15 - 1, None]),
    (Types.INT(), [-(2**31), 0, 2**31 - 1, None]),
    (Types.LONG(), [-(2**63), 2**63 - 1, None]),
    (Types.FLOAT(), [1.5, -0.25, float("inf"), 2.0**127, None]),  # float32-exact values
    (Types.DOUBLE(), [0.1, -1e308, 5e-324, float("-inf"), None]),
    (Types.BIG_INT(), [0, -1, 10**38 - 1, -(10**38 - 1), 2**100, None]),
    (Types.BIG_DEC(), [decimal.Decimal("1.500000000000000000"),
                       decimal.Decimal("-12345678901234567890.123456789012345678"),
                       decimal.Decimal("0E-18"), None]),
    (Types.SQL_DATE(), [datetime.date(1, 1, 1), datetime.date(1969, 12, 31),
                        datetime.date(9999, 12, 31), None]),
    (Types.LOCAL_DATE(), [datetime.date(2024, 2, 29), None]),
    (Types.SQL_TIME(), [datetime.time(0), datetime.time(23, 59, 59, 999999), None]),
    (Types.LOCAL_TIME(), [datetime.time(12, 30, 0, 1), None]),
    (Types.SQL_TIMESTAMP(), [datetime.datetime(1, 1, 1),
                             datetime.datetime(1969, 12, 31, 23, 59, 59, 1),
                             datetime.datetime(9999, 12, 31, 23, 59, 59, 999999), None]),
    (Types.LOCAL_DATE_TIME(), [datetime.datetime(2024, 5, 6, 7, 8, 9, 10), None]),
    (Types.INSTANT(), [Instant(1577836800, 0), Instant(-302356800, 5), Instant(0, 999_999_999),
                       None]),
    (Types.PRIMITIVE_ARRAY(Types.BYTE()), [b"", b"\x00\xff", None]),
]


@pytest.mark.parametrize("ti,values", BASIC_VALUES, ids=[t.type_name() for t, _ in BASIC_VALUES])
def test_basic_round_trip_single_column(ti: TypeInformation, values: list[Any]) -> None:
    codec = BatchCodec(ti)
    assert codec.schema == pa.schema([pa.field("f0", ti.to_arrow_type())])
    assert_same(roundtrip(ti, values), values)
    assert roundtrip(ti, []) == []


@pytest.mark.parametrize("ti,values", BASIC_VALUES, ids=[t.type_name() for t, _ in BASIC_VALUES])
def test_basic_round_trip_as_tuple_field_and_in_lists(
    ti: TypeInformation, values: list[Any]
) -> None:
    records = [(i, v) for i, v in enumerate(values)]
    assert_same(roundtrip(Types.TUPLE([Types.INT(), ti]), records), records)
    lists = [values, [], None, values[:1]]
    assert_same(roundtrip(Types.LIST(ti), lists), lists)


def test_int_is_accepted_for_double_and_big_dec() -> None:
    assert_same(roundtrip(Types.DOUBLE(), [1, 2.5]), [1.0, 2.5])
    assert roundtrip(Types.BIG_DEC(), [3]) == [decimal.Decimal(3)]


def test_big_dec_keeps_each_values_scale_and_precision_as_java_bigdecimal() -> None:
    values = [decimal.Decimal("1.50"), decimal.Decimal("1e-19"), decimal.Decimal("-0.000"),
              decimal.Decimal("123456789012345678901234567890.1234567890"), None]
    assert [str(v) for v in roundtrip(Types.BIG_DEC(), values)] == [str(v) for v in values]


def test_instant_decodes_as_pyflink_instant_and_accepts_aware_datetimes_and_lookalikes() -> None:
    class InstantLike:
        def __init__(self, seconds: int, nanos: int) -> None:
            self.seconds = seconds
            self.nanos = nanos

    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    decoded = roundtrip(Types.INSTANT(), [datetime.datetime(2020, 1, 1, 5, 0, 0, 7, tzinfo=plus2),
                                          InstantLike(86400, 1_001), Instant(-1, 5)])
    # PyFlink's InstantCoderImpl: the next function receives Instant(seconds, nanos)
    assert decoded == [Instant(1577847600, 7000), Instant(86400, 1001), Instant(-1, 5)]
    assert all(type(d) is Instant for d in decoded)


# ---------------------------------------------------------------------------------------------
# Flattened TUPLE / ROW streams
# ---------------------------------------------------------------------------------------------


def test_tuple_stream_is_flattened() -> None:
    codec = BatchCodec(Types.TUPLE([Types.STRING(), Types.INT()]))
    assert codec.schema == pa.schema([("f0", pa.string()), ("f1", pa.int32())])
    records = [("a", 1), ("ü", None), (None, -5)]
    batch = codec.encode(records)
    assert batch.column(0).to_pylist() == ["a", "ü", None]
    assert batch.column(1).type == pa.int32()
    assert_same(codec.decode(batch), records)


def test_tuple_accepts_lists_and_rows_and_decodes_tuples() -> None:
    ti = Types.TUPLE([Types.STRING(), Types.LONG()])
    assert_same(roundtrip(ti, [["a", 1], Row("b", 2), ("c", 3)]), [("a", 1), ("b", 2), ("c", 3)])


def test_named_row_stream_schema_and_field_names() -> None:
    ti = Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()])
    codec = BatchCodec(ti)
    assert codec.schema.names == ["id", "name", ROW_KIND_COLUMN]
    assert codec.schema.field("id").type == pa.int32()
    decoded = roundtrip(ti, [Row(id=1, name="a"), Row(2, "b")])
    assert decoded == [Row(id=1, name="a"), Row(id=2, name="b")]
    assert decoded[0]._fields == ["id", "name"]
    assert decoded[1].name == "b"
    assert decoded[0].as_dict() == {"id": 1, "name": "a"}


def test_named_row_maps_fields_by_name() -> None:
    # Row(**kwargs) sorts its fields; the declared order wins, values are matched by name.
    ti = Types.ROW_NAMED(["name", "id"], [Types.STRING(), Types.INT()])
    records = [Row(name="a", id=1), Row(id=2, name="b"), {"name": "c", "id": 3}, ("d", 4)]
    decoded = roundtrip(ti, records)
    assert [r.as_dict() for r in decoded] == [
        {"name": "a", "id": 1}, {"name": "b", "id": 2}, {"name": "c", "id": 3},
        {"name": "d", "id": 4},
    ]
    assert decoded[0]._fields == ["name", "id"]


def test_row_from_objects_with_dict_and_missing_dict_keys() -> None:
    ti = Types.ROW_NAMED(["x", "label"], [Types.INT(), Types.STRING()])
    decoded = roundtrip(ti, [Point(1, "p"), {"x": 2}])
    assert [r.as_dict() for r in decoded] == [{"x": 1, "label": "p"}, {"x": 2, "label": None}]


def test_unnamed_row_decodes_with_default_field_names_like_pyflink() -> None:
    ti = Types.ROW([Types.INT(), Types.STRING()])
    assert BatchCodec(ti).schema.names == ["f0", "f1", ROW_KIND_COLUMN]
    decoded = roundtrip(ti, [Row(1, "a"), (2, "b")])
    assert decoded == [Row(f0=1, f1="a"), Row(f0=2, f1="b")]
    assert decoded[0].f1 == "a"


def test_row_kind_survives_the_wire() -> None:
    ti = Types.ROW_NAMED(["k", "v"], [Types.STRING(), Types.LONG()])
    records = [
        Row.of_kind(RowKind.UPDATE_BEFORE, "a", 1),
        Row("a", 2),
        Row.of_kind(RowKind.DELETE, "b", 3),
        Row.of_kind(RowKind.UPDATE_AFTER, k="c", v=4),
    ]
    codec = BatchCodec(ti)
    batch = codec.encode(records)
    assert batch.column(ROW_KIND_COLUMN).to_pylist() == [1, 0, 3, 2]
    decoded = codec.decode(batch)
    assert [r.get_row_kind() for r in decoded] == [
        RowKind.UPDATE_BEFORE, RowKind.INSERT, RowKind.DELETE, RowKind.UPDATE_AFTER]
    # all-INSERT batches carry an all-null kind column
    assert codec.encode([Row("x", 1)]).column(ROW_KIND_COLUMN).null_count == 1
    # mixed Row / tuple records keep the kinds too
    mixed = codec.decode(codec.encode([("t", 0), Row.of_kind(RowKind.DELETE, "r", 1)]))
    assert [r.get_row_kind() for r in mixed] == [RowKind.INSERT, RowKind.DELETE]


def test_empty_batches() -> None:
    for ti in (None, Types.PICKLED_BYTE_ARRAY(), Types.TUPLE([Types.STRING(), Types.INT()]),
               Types.ROW_NAMED(["a"], [Types.LIST(Types.ROW([Types.INT()]))]),
               Types.MAP(Types.STRING(), Types.INT()), Types.INT()):
        codec = BatchCodec(ti)
        batch = codec.encode([])
        assert batch.num_rows == 0
        assert batch.schema.equals(codec.schema)
        assert roundtrip(ti, []) == []


def test_zero_field_tuple_and_row() -> None:
    assert roundtrip(Types.TUPLE([]), [(), ()]) == [(), ()]
    decoded = roundtrip(Types.ROW([]), [Row(), Row()])
    assert len(decoded) == 2 and all(len(r) == 0 for r in decoded)


# ---------------------------------------------------------------------------------------------
# Nested types
# ---------------------------------------------------------------------------------------------


def test_nested_row_inside_list_map_and_row() -> None:
    inner = Types.ROW_NAMED(["a", "b"], [Types.INT(), Types.STRING()])
    ti = Types.ROW_NAMED(
        ["rows", "by_key", "one", "pair"],
        [Types.LIST(inner), Types.MAP(Types.STRING(), inner), inner,
         Types.TUPLE([Types.LONG(), Types.LIST(Types.STRING())])],
    )
    records = [
        Row(rows=[Row(a=1, b="x"), None, Row(2, None)], by_key={"k": Row(3, "y"), "n": None},
            one=Row(4, "z"), pair=(5, ["s", None])),
        Row(rows=[], by_key={}, one=None, pair=(None, None)),
        Row(rows=None, by_key=None, one=Row(b="q", a=5), pair=[6, []]),
    ]
    decoded = roundtrip(ti, records)
    expected = [
        Row(by_key={"k": Row(a=3, b="y"), "n": None}, one=Row(a=4, b="z"), pair=(5, ["s", None]),
            rows=[Row(a=1, b="x"), None, Row(a=2, b=None)]),
        Row(by_key={}, one=None, pair=(None, None), rows=[]),
        Row(by_key=None, one=Row(a=5, b="q"), pair=(6, []), rows=None),
    ]
    # declared order differs from the sorted kwargs order: compare by name
    assert [r.as_dict() for r in decoded] == [r.as_dict() for r in expected]
    assert decoded[0].rows[0]._fields == ["a", "b"]
    assert isinstance(decoded[2].pair, tuple)


def test_nested_collections() -> None:
    cases: list[tuple[TypeInformation, list[Any]]] = [
        (Types.LIST(Types.LIST(Types.INT())), [[[1, 2], [], None, [None]], None, []]),
        (Types.MAP(Types.STRING(), Types.LIST(Types.DOUBLE())), [{"a": [1.5], "b": None}, {}]),
        (Types.MAP(Types.INT(), Types.MAP(Types.STRING(), Types.BOOLEAN())),
         [{1: {"t": True}, 2: {}}, None]),
        (Types.LIST(Types.MAP(Types.STRING(), Types.SQL_DATE())),
         [[{"d": datetime.date(2020, 1, 2)}, None], []]),
        (Types.MAP(Types.TUPLE([Types.INT(), Types.STRING()]), Types.BIG_INT()),
         [{(1, "a"): 10**30, (2, "b"): None}]),
        (Types.BASIC_ARRAY(Types.STRING()), [["a", None, "ü"], []]),
        (Types.PRIMITIVE_ARRAY(Types.INT()), [[1, 2, 3], []]),
        (Types.PRIMITIVE_ARRAY(Types.DOUBLE()), [[0.5]]),
        (Types.PRIMITIVE_ARRAY(Types.BOOLEAN()), [[True, False]]),
        (Types.LIST(Types.BIG_DEC()), [[decimal.Decimal("1.000000000000000000"), None]]),
        (Types.LIST(Types.INSTANT()), [[Instant(946684800, 0), None]]),
        (Types.LIST(Types.PICKLED_BYTE_ARRAY()), [[Point(1, "a"), None, {1, 2}]]),
        (Types.LIST(Types.PRIMITIVE_ARRAY(Types.BYTE())), [[b"ab", None, b""]]),
    ]
    for ti, records in cases:
        assert_same(roundtrip(ti, records), records)
    # unnamed nested rows come back with PyFlink's default names f0, f1, ...
    decoded = roundtrip(Types.OBJECT_ARRAY(Types.ROW([Types.INT()])), [[Row(1), None], None])
    assert_same(decoded, [[Row(f0=1), None], None])


def test_tuple_of_tuples_and_tuples_in_lists() -> None:
    ti = Types.TUPLE([Types.TUPLE([Types.STRING(), Types.INT()]),
                      Types.LIST(Types.TUPLE([Types.INT(), Types.INT()]))])
    records = [(("a", 1), [(1, 2), (3, 4)]), (("b", None), []), ((None, None), None)]
    assert_same(roundtrip(ti, records), records)


def test_pickled_field_inside_typed_record() -> None:
    ti = Types.TUPLE([Types.STRING(), Types.PICKLED_BYTE_ARRAY()])
    records = [("a", Point(1, "p", ["t"])), ("b", None), ("c", {"any": [1, 2.5]})]
    assert roundtrip(ti, records) == records


def test_decoding_sliced_batches() -> None:
    ti = Types.ROW_NAMED(
        ["id", "tags", "attrs", "inner"],
        [Types.INT(), Types.LIST(Types.ROW_NAMED(["t"], [Types.STRING()])),
         Types.MAP(Types.STRING(), Types.LIST(Types.SQL_DATE())),
         Types.ROW_NAMED(["x"], [Types.BIG_INT()])],
    )
    day = datetime.date(2021, 3, 4)
    records = [Row(id=i, tags=[Row(t=str(i))] * (i % 3), attrs={"d": [day] * i} if i % 2 else None,
                   inner=Row(x=i * 10**20) if i % 4 else None) for i in range(10)]
    codec = BatchCodec(ti)
    batch = codec.encode(records)
    for start, length in [(0, 10), (3, 4), (9, 1), (5, 0)]:
        decoded = codec.decode(batch.slice(start, length))
        assert [r.as_dict(True) for r in decoded] == [
            r.as_dict(True) for r in roundtrip(ti, records[start:start + length])
        ]


# ---------------------------------------------------------------------------------------------
# Type mismatches
# ---------------------------------------------------------------------------------------------

MISMATCHES: list[tuple[TypeInformation, list[Any], str]] = [
    (Types.INT(), [1, "abc"], "Value 'abc' (str) does not match the declared type INT"),
    (Types.INT(), [1, 1.5], "Value 1.5 (float) does not match the declared type INT"),
    (Types.INT(), [None, 2.0], "Value 2.0 (float) does not match the declared type INT"),
    (Types.INT(), [True], "Value True (bool) does not match the declared type INT"),
    (Types.INT(), [decimal.Decimal(1)], "(Decimal) does not match the declared type INT"),
    (Types.INT(), [2**31], "Value 2147483648 (int) does not match the declared type INT"),
    (Types.LONG(), [2**64], "does not match the declared type LONG"),
    (Types.BYTE(), [200], "does not match the declared type BYTE"),
    (Types.STRING(), ["ok", 5], "Value 5 (int) does not match the declared type STRING"),
    (Types.STRING(), [None, b"x"], "Value b'x' (bytes) does not match the declared type STRING"),
    (Types.CHAR(), [1], "does not match the declared type CHAR"),
    (Types.BOOLEAN(), [1], "Value 1 (int) does not match the declared type BOOLEAN"),
    (Types.DOUBLE(), [1.0, True], "Value True (bool) does not match the declared type DOUBLE"),
    (Types.DOUBLE(), ["1.0"], "Value '1.0' (str) does not match the declared type DOUBLE"),
    (Types.FLOAT(), [1e39], "overflows a 32-bit float"),
    (Types.BIG_INT(), [1.0], "Value 1.0 (float) does not match the declared type BIG_INT"),
    (Types.BIG_INT(), [decimal.Decimal(5)], "does not match the declared type BIG_INT"),
    (Types.BIG_INT(), [10**38], "more than 38 decimal digits"),
    (Types.BIG_DEC(), [0.5], "Value 0.5 (float) does not match the declared type BIG_DEC"),
    (Types.BIG_DEC(), ["1.5"], "does not match the declared type BIG_DEC"),
    (Types.BIG_DEC(), [decimal.Decimal("NaN")], "not a finite decimal"),
    (Types.SQL_DATE(), [datetime.datetime(2020, 1, 1, 5)], "declared type SQL_DATE"),
    (Types.SQL_DATE(), [5], "Value 5 (int) does not match the declared type SQL_DATE"),
    (Types.SQL_TIME(), [5], "declared type SQL_TIME"),
    (Types.SQL_TIME(), [datetime.time(1, tzinfo=UTC)], "naive time"),
    (Types.SQL_TIMESTAMP(), [datetime.datetime(2020, 1, 1, tzinfo=UTC)], "naive datetime"),
    (Types.SQL_TIMESTAMP(), [datetime.date(2020, 1, 1)], "declared type SQL_TIMESTAMP"),
    (Types.LOCAL_DATE_TIME(), [0], "declared type LOCAL_DATE_TIME"),
    (Types.INSTANT(), [datetime.datetime(2020, 1, 1)], "timezone-aware"),
    (Types.INSTANT(), ["2020"], "declared type INSTANT"),
    (Types.PRIMITIVE_ARRAY(Types.BYTE()), ["text"], "declared type PRIMITIVE_ARRAY<BYTE>"),
    (Types.PRIMITIVE_ARRAY(Types.INT()), [[1, None]], "must not be None"),
    (Types.LIST(Types.STRING()), ["ab"], "Value 'ab' (str) does not match the declared type "
                                         "LIST<STRING>"),
    (Types.LIST(Types.INT()), [[1], [2, 2.5]], "Value 2.5 (float) does not match the declared "
                                               "type INT"),
    (Types.LIST(Types.LIST(Types.STRING())), [[["a", b"b"]]], "declared type STRING"),
    (Types.LIST(Types.ROW([Types.INT()])), [[Row(1), Row("x")]], "Value 'x' (str)"),
    (Types.MAP(Types.STRING(), Types.INT()), [{"a": 1.5}], "Value 1.5 (float)"),
    (Types.MAP(Types.STRING(), Types.INT()), [{None: 1}], "map keys must not be None"),
    (Types.MAP(Types.STRING(), Types.INT()), [[("a", 1)]], "declared type MAP<STRING, INT>"),
    (Types.MAP(Types.STRING(), Types.ROW([Types.INT()])), [{1: Row(1)}],
     "Value 1 (int) does not match the declared type STRING"),
]


@pytest.mark.parametrize("ti,records,message", MISMATCHES,
                         ids=[f"{t.type_name()}-{i}" for i, (t, _, _) in enumerate(MISMATCHES)])
def test_mismatch_single_column(ti: TypeInformation, records: list[Any], message: str) -> None:
    with pytest.raises(TypeMismatchError) as info:
        BatchCodec(ti).encode(records)
    text = str(info.value)
    assert message in text
    assert "(record %d of %d: " % (len(records) - 1, len(records)) in text


@pytest.mark.parametrize("ti,records,message", MISMATCHES,
                         ids=[f"{t.type_name()}-{i}" for i, (t, _, _) in enumerate(MISMATCHES)])
def test_mismatch_inside_flattened_tuple(ti: TypeInformation, records: list[Any],
                                         message: str) -> None:
    tuples = [(i, v) for i, v in enumerate(records)]
    with pytest.raises(TypeMismatchError) as info:
        BatchCodec(Types.TUPLE([Types.INT(), ti])).encode(tuples)
    assert message in str(info.value)


def test_tuple_arity_mismatch() -> None:
    codec = BatchCodec(Types.TUPLE([Types.STRING(), Types.INT()]))
    for bad, detail in [(("a", 1, 2), "expected 2 fields, got 3"),
                        (("a",), "expected 2 fields, got 1"),
                        ("ab", "does not match the declared type TUPLE<STRING, INT>"),
                        ({"f0": "a", "f1": 1}, "does not match the declared type TUPLE"),
                        (None, "a TUPLE record must not be None")]:
        with pytest.raises(TypeMismatchError) as info:
            codec.encode([("ok", 0), bad])
        assert detail in str(info.value)
        assert "(record 1 of 2: " in str(info.value)


def test_row_mismatches() -> None:
    codec = BatchCodec(Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]))
    with pytest.raises(TypeMismatchError, match="expected 2 fields, got 3"):
        codec.encode([Row(1, "a", "extra")])
    with pytest.raises(TypeMismatchError, match="the row has no field 'id'"):
        codec.encode([Row(ident=1, name="a")])
    with pytest.raises(TypeMismatchError, match="a ROW record must not be None"):
        codec.encode([Row(1, "a"), None])
    with pytest.raises(TypeMismatchError, match=r"Value 'x' \(str\) does not match the declared "
                                                r"type INT"):
        codec.encode([Row(name="a", id="x")])
    with pytest.raises(TypeMismatchError, match="declared type ROW<id: INT, name: STRING>"):
        codec.encode([42])


def test_mismatch_error_is_a_type_error_with_attributes() -> None:
    with pytest.raises(TypeError) as info:
        BatchCodec(Types.INT()).encode(["abc"])
    err = info.value
    assert isinstance(err, TypeMismatchError)
    assert err.value == "abc"
    assert err.declared_type == Types.INT()
    assert str(err).startswith("Value 'abc' (str) does not match the declared type INT")


# ---------------------------------------------------------------------------------------------
# Untyped (pickled) path
# ---------------------------------------------------------------------------------------------


def test_untyped_schema_and_arbitrary_objects() -> None:
    for ti in (None, Types.PICKLED_BYTE_ARRAY()):
        codec = BatchCodec(ti)
        assert codec.schema == pa.schema([pa.field("f0", pa.binary())])
        assert not codec.typed
    records = [Point(1, "a", ["x"]), ("t", 1), None, {"k": {1, 2}}, Row(a=1),
               Row.of_kind(RowKind.DELETE, 2), 3.5, "s", b"b", [Point(2, "b")]]
    decoded = roundtrip(None, records)
    assert decoded == records
    assert decoded[5].get_row_kind() is RowKind.DELETE
    assert roundtrip(Types.PICKLED_BYTE_ARRAY(), records) == records


def test_untyped_falls_back_to_cloudpickle_for_local_objects() -> None:
    @dataclasses.dataclass
    class Local:
        v: int

    with pytest.raises(Exception):
        pickle.dumps(Local(1))
    decoded = roundtrip(None, [Local(1), lambda: 42, Point(3, "p")])
    assert decoded[0].v == 1
    assert decoded[1]() == 42
    assert decoded[2] == Point(3, "p")


def test_untyped_pickles_main_module_classes_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    class Job:
        def __init__(self, v: int) -> None:
            self.v = v

    Job.__module__ = "__main__"
    Job.__qualname__ = "Job"
    monkeypatch.setattr(sys.modules["__main__"], "Job", Job, raising=False)
    codec = BatchCodec(None)
    payload = serialize(codec.encode([Job(7)])).to_pybytes()
    # A receiving process has a different __main__: plain by-reference pickles would fail.
    monkeypatch.delattr(sys.modules["__main__"], "Job")
    decoded = codec.decode(deserialize(payload, codec.schema))
    assert decoded[0].v == 7


# ---------------------------------------------------------------------------------------------
# IPC & misc API
# ---------------------------------------------------------------------------------------------


def test_ipc_round_trip_with_schema_bytes() -> None:
    ti = Types.ROW_NAMED(["s", "l"], [Types.STRING(), Types.LIST(Types.INT())])
    codec = BatchCodec(ti)
    schema_bytes = schema_to_bytes(codec.schema)
    assert isinstance(schema_bytes, bytes)
    schema = schema_from_bytes(schema_bytes)
    assert schema.equals(codec.schema)
    assert schema_from_bytes(pa.py_buffer(schema_bytes)).equals(codec.schema)
    records = [Row(s="héllo", l=[1, 2]), Row(s=None, l=None)]
    buf = serialize(codec.encode(records))
    assert isinstance(buf, pa.Buffer)
    for wire in (buf, buf.to_pybytes(), bytearray(buf.to_pybytes()), memoryview(buf)):
        batch = deserialize(wire, schema)
        assert batch.num_rows == 2
        assert [r.as_dict() for r in codec.decode(batch)] == [
            {"s": "héllo", "l": [1, 2]}, {"s": None, "l": None}]


def test_decode_rejects_foreign_schema() -> None:
    batch = BatchCodec(Types.INT()).encode([1])
    with pytest.raises(ValueError, match="does not match the codec schema"):
        BatchCodec(Types.STRING()).decode(batch)


def test_codec_api() -> None:
    ti = Types.TUPLE([Types.STRING(), Types.INT()])
    codec = BatchCodec(ti)
    assert codec.type_info == ti
    assert codec.typed
    assert codec.encode(iter([("a", 1)])).num_rows == 1  # any iterable
    assert codec.encode((("a", 1),)).num_rows == 1
    with pytest.raises(TypeError):
        BatchCodec("STRING")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reserved"):
        BatchCodec(Types.ROW_NAMED([ROW_KIND_COLUMN], [Types.INT()]))


def test_codec_is_picklable_free_and_reusable() -> None:
    codec = BatchCodec(Types.TUPLE([Types.STRING(), Types.LONG()]))
    for i in range(3):
        records = [(str(j), j) for j in range(i * 10)]
        assert codec.decode(codec.encode(records)) == records


# ---------------------------------------------------------------------------------------------
# Property test
# ---------------------------------------------------------------------------------------------

FIELD_STRATEGIES: list[tuple[TypeInformation, st.SearchStrategy[Any]]] = [
    (Types.STRING(), st.text()),
    (Types.LONG(), st.integers(-(2**63), 2**63 - 1)),
    (Types.INT(), st.integers(-(2**31), 2**31 - 1)),
    (Types.DOUBLE(), st.floats(allow_nan=False)),
    (Types.BOOLEAN(), st.booleans()),
    (Types.BIG_INT(), st.integers(-(10**38) + 1, 10**38 - 1)),
    (Types.SQL_TIMESTAMP(), st.datetimes()),
    (Types.LIST(Types.STRING()), st.lists(st.one_of(st.none(), st.text()), max_size=4)),
    (Types.MAP(Types.STRING(), Types.LONG()),
     st.dictionaries(st.text(max_size=3), st.integers(-(2**63), 2**63 - 1), max_size=3)),
]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_property_round_trip_tuples(data: st.DataObject) -> None:
    picks = data.draw(st.lists(st.integers(0, len(FIELD_STRATEGIES) - 1), min_size=1, max_size=4))
    fields = [FIELD_STRATEGIES[i] for i in picks]
    ti = Types.TUPLE([f[0] for f in fields])
    row = st.tuples(*[st.one_of(st.none(), f[1]) for f in fields])
    records = data.draw(st.lists(row, max_size=20))
    assert_same(roundtrip(ti, records), records)
