"""Tests for flink_py.common.typeinfo (Types, TypeInformation) and flink_py.common.types (Row)."""

from __future__ import annotations

import copy
import datetime
import decimal
import pickle
from typing import Any

import cloudpickle
import pyarrow as pa
import pytest

from flink_py.common.typeinfo import (
    BasicArrayTypeInfo,
    BasicType,
    BasicTypeInfo,
    DateTypeInfo,
    InstantTypeInfo,
    ListTypeInfo,
    LocalTimeTypeInfo,
    MapTypeInfo,
    ObjectArrayTypeInfo,
    PickledBytesTypeInfo,
    PrimitiveArrayTypeInfo,
    RowTypeInfo,
    SqlTimeTypeInfo,
    TimestampTypeInfo,
    TimeTypeInfo,
    TupleTypeInfo,
    TypeInformation,
    TypeMismatchError,
    Types,
)
from flink_py.common.types import Row, RowKind

UTC = datetime.timezone.utc

# (factory result, arrow type, repr, type_name)
BASIC_CASES: list[tuple[TypeInformation, pa.DataType, str, str]] = [
    (Types.STRING(), pa.string(), "String", "STRING"),
    (Types.BYTE(), pa.int8(), "Byte", "BYTE"),
    (Types.BOOLEAN(), pa.bool_(), "Boolean", "BOOLEAN"),
    (Types.SHORT(), pa.int16(), "Short", "SHORT"),
    (Types.INT(), pa.int32(), "Integer", "INT"),
    (Types.LONG(), pa.int64(), "Long", "LONG"),
    (Types.FLOAT(), pa.float32(), "Float", "FLOAT"),
    (Types.DOUBLE(), pa.float64(), "Double", "DOUBLE"),
    (Types.CHAR(), pa.string(), "Char", "CHAR"),
    (Types.BIG_INT(), pa.decimal128(38, 0), "BigInteger", "BIG_INT"),
    (Types.BIG_DEC(), pa.string(), "BigDecimal", "BIG_DEC"),
    (Types.INSTANT(), pa.timestamp("ns", tz="UTC"), "Instant", "INSTANT"),
    (Types.SQL_DATE(), pa.date32(), "DateTypeInfo", "SQL_DATE"),
    (Types.SQL_TIME(), pa.time64("us"), "TimeTypeInfo", "SQL_TIME"),
    (Types.SQL_TIMESTAMP(), pa.timestamp("us"), "TimestampTypeInfo", "SQL_TIMESTAMP"),
    (Types.LOCAL_DATE(), pa.date32(), "LocalTimeTypeInfo<LOCAL_DATE>", "LOCAL_DATE"),
    (Types.LOCAL_TIME(), pa.time64("us"), "LocalTimeTypeInfo<LOCAL_TIME>", "LOCAL_TIME"),
    (Types.LOCAL_DATE_TIME(), pa.timestamp("us"), "LocalTimeTypeInfo<LOCAL_DATE_TIME>",
     "LOCAL_DATE_TIME"),
    (Types.PICKLED_BYTE_ARRAY(), pa.binary(), "PickledByteArrayTypeInfo", "PICKLED_BYTE_ARRAY"),
]


def all_types() -> list[TypeInformation]:
    basics = [c[0] for c in BASIC_CASES]
    return basics + [
        Types.ROW([Types.INT(), Types.STRING()]),
        Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]),
        Types.TUPLE([Types.STRING(), Types.LONG()]),
        Types.PRIMITIVE_ARRAY(Types.INT()),
        Types.PRIMITIVE_ARRAY(Types.BYTE()),
        Types.BASIC_ARRAY(Types.STRING()),
        Types.OBJECT_ARRAY(Types.ROW([Types.INT()])),
        Types.LIST(Types.DOUBLE()),
        Types.MAP(Types.STRING(), Types.LIST(Types.INT())),
    ]


# ---------------------------------------------------------------------------------------------
# Types factory & TypeInformation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ti,arrow_type,text,name", BASIC_CASES, ids=[c[3] for c in BASIC_CASES])
def test_basic_types_arrow_type_repr_and_name(
    ti: TypeInformation, arrow_type: pa.DataType, text: str, name: str
) -> None:
    assert ti.to_arrow_type() == arrow_type
    assert repr(ti) == text
    assert str(ti) == text
    assert ti.type_name() == name


def test_factory_classes_match_pyflink() -> None:
    assert isinstance(Types.STRING(), BasicTypeInfo)
    assert Types.STRING().get_basic_type() is BasicType.STRING
    assert isinstance(Types.INSTANT(), InstantTypeInfo)
    assert isinstance(Types.INSTANT(), BasicTypeInfo)
    assert isinstance(Types.SQL_DATE(), DateTypeInfo)
    assert isinstance(Types.SQL_TIME(), TimeTypeInfo)
    assert isinstance(Types.SQL_TIMESTAMP(), TimestampTypeInfo)
    assert isinstance(Types.SQL_DATE(), SqlTimeTypeInfo)
    assert Types.LOCAL_DATE() == LocalTimeTypeInfo(LocalTimeTypeInfo.TimeType.LOCAL_DATE)
    assert isinstance(Types.PICKLED_BYTE_ARRAY(), PickledBytesTypeInfo)
    assert isinstance(Types.ROW([Types.INT()]), RowTypeInfo)
    assert isinstance(Types.TUPLE([Types.INT()]), TupleTypeInfo)
    assert isinstance(Types.LIST(Types.INT()), ListTypeInfo)
    assert isinstance(Types.MAP(Types.INT(), Types.INT()), MapTypeInfo)
    assert isinstance(Types.PRIMITIVE_ARRAY(Types.INT()), PrimitiveArrayTypeInfo)
    assert isinstance(Types.BASIC_ARRAY(Types.INT()), BasicArrayTypeInfo)
    assert isinstance(Types.OBJECT_ARRAY(Types.INT()), ObjectArrayTypeInfo)
    assert BasicTypeInfo.INT_TYPE_INFO() == Types.INT()
    assert SqlTimeTypeInfo.TIMESTAMP() == Types.SQL_TIMESTAMP()


@pytest.mark.parametrize("ti", all_types(), ids=repr)
def test_every_type_is_picklable_hashable_and_equal_to_a_rebuild(ti: TypeInformation) -> None:
    for dumps in (pickle.dumps, cloudpickle.dumps):
        clone = pickle.loads(dumps(ti))
        assert clone == ti
        assert hash(clone) == hash(ti)
        assert not (clone != ti)
    assert copy.deepcopy(ti) == ti
    assert isinstance(ti.to_arrow_type(), pa.DataType)
    ti.validate(None)


def test_equality_distinguishes_types() -> None:
    types = all_types()
    for i, a in enumerate(types):
        for j, b in enumerate(types):
            assert (a == b) == (i == j), (a, b)
    assert Types.INT() != "Integer"
    assert Types.LIST(Types.INT()) != Types.LIST(Types.LONG())
    assert Types.MAP(Types.INT(), Types.INT()) != Types.MAP(Types.INT(), Types.LONG())
    assert Types.MAP(Types.INT(), Types.INT()) != Types.LIST(Types.INT())
    assert Types.TUPLE([Types.INT()]) != Types.ROW([Types.INT()])
    assert Types.SQL_DATE() != Types.LOCAL_DATE()
    assert len({Types.INT(), Types.INT(), Types.LONG()}) == 2


def test_row_type_names_and_equality() -> None:
    unnamed = Types.ROW([Types.INT(), Types.STRING()])
    assert unnamed.get_field_names() == ["f0", "f1"]
    assert not unnamed.has_explicit_field_names()
    # Same as Java: an unnamed row equals a row named f0, f1 with the same types.
    assert unnamed == Types.ROW_NAMED(["f0", "f1"], [Types.INT(), Types.STRING()])
    assert unnamed != Types.ROW_NAMED(["a", "b"], [Types.INT(), Types.STRING()])
    named = Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()])
    assert named.get_field_names() == ["id", "name"]
    assert named.get_field_types() == [Types.INT(), Types.STRING()]
    assert named.get_field_index("name") == 1
    assert named.get_field_index("missing") == -1
    assert named.get_field_type(0) == Types.INT()
    assert named.get_field_type("name") == Types.STRING()
    assert named.get_arity() == 2
    with pytest.raises(KeyError):
        named.get_field_type("missing")


def test_composite_reprs_match_pyflink() -> None:
    assert repr(Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()])) == (
        "RowTypeInfo(id: Integer, name: String)"
    )
    assert repr(Types.ROW([Types.INT(), Types.STRING()])) == "RowTypeInfo(Integer, String)"
    assert repr(Types.TUPLE([Types.STRING(), Types.LONG()])) == "TupleTypeInfo(String, Long)"
    assert repr(Types.LIST(Types.INT())) == "ListTypeInfo<Integer>"
    assert repr(Types.MAP(Types.STRING(), Types.INT())) == "MapTypeInfo<String, Integer>"
    assert repr(Types.PRIMITIVE_ARRAY(Types.INT())) == "PrimitiveArrayTypeInfo<Integer>"
    assert repr(Types.BASIC_ARRAY(Types.INT())) == "BasicArrayTypeInfo<Integer>"
    assert repr(Types.OBJECT_ARRAY(Types.INT())) == "ObjectArrayTypeInfo<Integer>"


def test_composite_type_names() -> None:
    assert Types.TUPLE([Types.STRING(), Types.INT()]).type_name() == "TUPLE<STRING, INT>"
    assert Types.ROW([Types.INT()]).type_name() == "ROW<INT>"
    assert Types.ROW_NAMED(["a"], [Types.INT()]).type_name() == "ROW<a: INT>"
    assert Types.LIST(Types.MAP(Types.STRING(), Types.BIG_DEC())).type_name() == (
        "LIST<MAP<STRING, BIG_DEC>>"
    )
    assert Types.PRIMITIVE_ARRAY(Types.BYTE()).type_name() == "PRIMITIVE_ARRAY<BYTE>"


def test_composite_arrow_types() -> None:
    assert Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]).to_arrow_type() == (
        pa.struct([("id", pa.int32()), ("name", pa.string())])
    )
    assert Types.ROW([Types.INT()]).to_arrow_type() == pa.struct([("f0", pa.int32())])
    assert Types.TUPLE([Types.STRING(), Types.INT()]).to_arrow_type() == (
        pa.struct([("f0", pa.string()), ("f1", pa.int32())])
    )
    assert Types.LIST(Types.INT()).to_arrow_type() == pa.list_(pa.int32())
    assert Types.BASIC_ARRAY(Types.STRING()).to_arrow_type() == pa.list_(pa.string())
    assert Types.OBJECT_ARRAY(Types.LONG()).to_arrow_type() == pa.list_(pa.int64())
    assert Types.PRIMITIVE_ARRAY(Types.INT()).to_arrow_type() == (
        pa.list_(pa.field("item", pa.int32(), nullable=False))
    )
    assert Types.PRIMITIVE_ARRAY(Types.BYTE()).to_arrow_type() == pa.binary()
    assert Types.MAP(Types.STRING(), Types.INT()).to_arrow_type() == (
        pa.map_(pa.string(), pa.int32())
    )


def test_invalid_constructions() -> None:
    with pytest.raises(TypeError):
        Types.PRIMITIVE_ARRAY(Types.STRING())
    with pytest.raises(TypeError):
        Types.BASIC_ARRAY(Types.LIST(Types.INT()))
    with pytest.raises(TypeError):
        Types.ROW([int])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Types.LIST("INT")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Types.ROW_NAMED(["a"], [Types.INT(), Types.INT()])
    with pytest.raises(ValueError):
        Types.ROW_NAMED(["a", "a"], [Types.INT(), Types.INT()])
    with pytest.raises(TypeError):
        BasicTypeInfo("String")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------

VALID: list[tuple[TypeInformation, Any]] = [
    (Types.STRING(), "héllo ✓"),
    (Types.CHAR(), "x"),
    (Types.BOOLEAN(), False),
    (Types.BYTE(), -128),
    (Types.BYTE(), 127),
    (Types.SHORT(), 2**15 - 1),
    (Types.INT(), -(2**31)),
    (Types.LONG(), 2**63 - 1),
    (Types.FLOAT(), 1.5),
    (Types.FLOAT(), float("inf")),
    (Types.DOUBLE(), 3),
    (Types.DOUBLE(), float("nan")),
    (Types.BIG_INT(), 10**38 - 1),
    (Types.BIG_DEC(), decimal.Decimal("12345678901234567890.123456789012345678")),
    (Types.BIG_DEC(), 7),
    (Types.BIG_DEC(), decimal.Decimal("0.1234567890123456789")),  # any precision and scale
    (Types.BIG_DEC(), decimal.Decimal(10) ** 40),
    (Types.INSTANT(), datetime.datetime(2020, 1, 1, tzinfo=UTC)),
    (Types.SQL_DATE(), datetime.date(2020, 1, 1)),
    (Types.LOCAL_TIME(), datetime.time(1, 2, 3, 4)),
    (Types.LOCAL_DATE_TIME(), datetime.datetime(2020, 1, 1, 1, 2, 3)),
    (Types.PICKLED_BYTE_ARRAY(), object()),
    (Types.TUPLE([Types.STRING(), Types.INT()]), ("a", 1)),
    (Types.TUPLE([Types.STRING(), Types.INT()]), ["a", 1]),
    (Types.TUPLE([Types.STRING(), Types.INT()]), Row("a", 1)),
    (Types.ROW([Types.STRING(), Types.INT()]), Row("a", 1)),
    (Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]), Row(name="a", id=1)),
    (Types.ROW_NAMED(["id", "name"], [Types.INT(), Types.STRING()]), {"id": 1}),
    (Types.LIST(Types.INT()), [1, None, 3]),
    (Types.PRIMITIVE_ARRAY(Types.BYTE()), b"\x00\xff"),
    (Types.MAP(Types.STRING(), Types.INT()), {"a": 1, "b": None}),
]


@pytest.mark.parametrize("ti,value", VALID, ids=[f"{t.type_name()}-{i}" for i, (t, _) in
                                                 enumerate(VALID)])
def test_validate_accepts(ti: TypeInformation, value: Any) -> None:
    ti.validate(value)


INVALID: list[tuple[TypeInformation, Any, str]] = [
    (Types.INT(), "abc", "Value 'abc' (str) does not match the declared type INT"),
    (Types.INT(), 1.5, "Value 1.5 (float) does not match the declared type INT"),
    (Types.INT(), True, "Value True (bool) does not match the declared type INT"),
    (Types.INT(), 2**31, "Value 2147483648 (int) does not match the declared type INT: out of"),
    (Types.BYTE(), 128, "declared type BYTE: out of range [-128, 127]"),
    (Types.STRING(), 5, "Value 5 (int) does not match the declared type STRING"),
    (Types.STRING(), b"x", "Value b'x' (bytes) does not match the declared type STRING"),
    (Types.BOOLEAN(), 1, "Value 1 (int) does not match the declared type BOOLEAN"),
    (Types.DOUBLE(), True, "Value True (bool) does not match the declared type DOUBLE"),
    (Types.DOUBLE(), "1.0", "declared type DOUBLE"),
    (Types.FLOAT(), 1e300, "declared type FLOAT: overflows a 32-bit float"),
    (Types.BIG_INT(), 10**38, "declared type BIG_INT: more than 38 decimal digits"),
    (Types.BIG_INT(), decimal.Decimal(2), "declared type BIG_INT"),
    (Types.BIG_DEC(), 1.5, "Value 1.5 (float) does not match the declared type BIG_DEC"),
    (Types.BIG_DEC(), decimal.Decimal("NaN"), "not a finite decimal"),
    (Types.INSTANT(), datetime.datetime(2020, 1, 1), "timezone-aware"),
    (Types.SQL_DATE(), datetime.datetime(2020, 1, 1), "declared type SQL_DATE"),
    (Types.SQL_TIME(), datetime.time(1, tzinfo=UTC), "naive time"),
    (Types.SQL_TIMESTAMP(), datetime.datetime(2020, 1, 1, tzinfo=UTC), "naive datetime"),
    (Types.LOCAL_DATE_TIME(), datetime.date(2020, 1, 1), "declared type LOCAL_DATE_TIME"),
    (Types.TUPLE([Types.STRING(), Types.INT()]), ("a", 1, 2),
     "Value ('a', 1, 2) (tuple) does not match the declared type TUPLE<STRING, INT>: "
     "expected 2 fields, got 3"),
    (Types.TUPLE([Types.STRING(), Types.INT()]), "ab", "declared type TUPLE<STRING, INT>"),
    (Types.TUPLE([Types.STRING(), Types.INT()]), ("a", "b"),
     "Value 'b' (str) does not match the declared type INT"),
    (Types.ROW([Types.INT()]), Row(1, 2), "expected 1 fields, got 2"),
    (Types.ROW_NAMED(["id"], [Types.INT()]), Row(other=1), "the row has no field 'id'"),
    (Types.LIST(Types.STRING()), "ab", "Value 'ab' (str) does not match the declared type "
                                       "LIST<STRING>"),
    (Types.LIST(Types.INT()), [1, 1.5], "Value 1.5 (float) does not match the declared type INT"),
    (Types.PRIMITIVE_ARRAY(Types.INT()), [1, None], "must not be None"),
    (Types.PRIMITIVE_ARRAY(Types.BYTE()), "ab", "declared type PRIMITIVE_ARRAY<BYTE>"),
    (Types.MAP(Types.STRING(), Types.INT()), {None: 1}, "map keys must not be None"),
    (Types.MAP(Types.STRING(), Types.INT()), [("a", 1)], "declared type MAP<STRING, INT>"),
]


@pytest.mark.parametrize("ti,value,message", INVALID,
                         ids=[f"{t.type_name()}-{i}" for i, (t, _, _) in enumerate(INVALID)])
def test_validate_rejects_with_clear_message(ti: TypeInformation, value: Any, message: str) -> None:
    with pytest.raises(TypeMismatchError) as info:
        ti.validate(value)
    assert message in str(info.value)
    assert isinstance(info.value, TypeError)
    assert info.value.declared_type is not None


def test_type_mismatch_error_pickles() -> None:
    err = TypeMismatchError.for_value("abc", Types.INT())
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == "Value 'abc' (str) does not match the declared type INT"
    assert clone.declared_type == Types.INT()
    assert isinstance(clone, TypeError)


def test_instant_accepts_pyflink_instant_like_objects() -> None:
    class Instant:
        def __init__(self, seconds: int, nanos: int) -> None:
            self.seconds = seconds
            self.nanos = nanos

    Types.INSTANT().validate(Instant(10, 5000))
    with pytest.raises(TypeMismatchError):
        Types.INSTANT().validate(10)


# ---------------------------------------------------------------------------------------------
# Row / RowKind (PyFlink behaviour)
# ---------------------------------------------------------------------------------------------


def test_row_kind_values_and_short_strings() -> None:
    assert [k.value for k in RowKind] == [0, 1, 2, 3]
    assert [str(k) for k in RowKind] == ["+I", "-U", "+U", "-D"]
    assert RowKind.UPDATE_AFTER.short_string() == "+U"
    assert RowKind.from_short_string("-D") is RowKind.DELETE
    with pytest.raises(ValueError):
        RowKind.from_short_string("?")


def test_row_named_fields_keep_their_order_like_pyflink() -> None:
    # Real PyFlink 2.3: Row(name='Alice', age=11) keeps the keyword order (its docstring's
    # "sorted by names" is outdated)
    row = Row(name="Alice", age=11)
    assert repr(row) == "Row(name='Alice', age=11)"
    assert row._fields == ["name", "age"]
    assert row._values == ["Alice", 11]
    assert row["name"] == "Alice" and row["age"] == 11
    assert row.name == "Alice" and row.age == 11
    assert row[0] == "Alice" and row[1] == 11
    assert row[0:1] == ["Alice"]
    assert "name" in row and "wrong_key" not in row
    assert "Alice" not in row  # named rows search the field names (FLINK-35112)
    assert list(row) == ["Alice", 11]
    assert len(row) == 2


def test_row_positional() -> None:
    row = Row(1, "a")
    assert repr(row) == "<Row(1, 'a')>"
    assert not hasattr(row, "_fields")
    assert row._values == [1, "a"]
    assert 1 in row and "a" in row and 2 not in row
    assert row[1] == "a" and row[-1] == "a"
    assert not isinstance(row, tuple)  # PyFlink's Row is a plain (mutable) object
    with pytest.raises(AttributeError):
        _ = row.name
    with pytest.raises(TypeError):
        row.as_dict()
    with pytest.raises(ValueError):
        Row(1, a=2)


def test_row_class_call() -> None:
    Person = Row("name", "age")
    assert repr(Person) == "<Row('name', 'age')>"
    assert "name" in Person and "wrong_key" not in Person
    alice = Person("Alice", 11)
    assert repr(alice) == "Row(name='Alice', age=11)"
    assert alice.name == "Alice" and alice["age"] == 11
    assert alice == Person("Alice", 11)
    assert alice != Row("Alice", 11)
    with pytest.raises(ValueError):
        Person("Alice", 11, "extra")


def test_row_as_dict() -> None:
    assert Row(name="Alice", age=11).as_dict() == {"name": "Alice", "age": 11}
    row = Row(key=1, value=Row(name="a", age=2))
    assert row.as_dict() == {"key": 1, "value": Row(name="a", age=2)}
    assert row.as_dict(True) == {"key": 1, "value": {"name": "a", "age": 2}}
    nested = Row(k=[Row(x=1)], m={"a": Row(y=2)})
    assert nested.as_dict(recursive=True) == {"k": [{"x": 1}], "m": {"a": {"y": 2}}}


def test_row_field_names_and_lookup_errors() -> None:
    row = Row(1, "a")
    row.set_field_names(["id", "name"])
    assert row.id == 1 and row["name"] == "a"
    assert repr(row) == "Row(id=1, name='a')"
    assert row.get_fields_by_names(["name", "id"]) == ["a", 1]
    with pytest.raises(ValueError):
        _ = row["missing"]
    with pytest.raises(AttributeError):
        _ = row.missing
    with pytest.raises(AttributeError):
        _ = row._private


def test_row_mutation() -> None:
    row = Row(id=1, name="a")
    row[0] = 2
    row["name"] = "b"
    assert row.as_dict() == {"id": 2, "name": "b"}
    with pytest.raises(AttributeError):
        row.name = "c"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        row.other = 1  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        Row(1)["x"] = 2
    with pytest.raises(ValueError):
        row["missing"] = 3


def test_row_kind_equality_and_hash() -> None:
    a = Row(1, "a")
    b = Row(1, "a")
    assert a == b and hash(a) == hash(b) == hash((1, "a"))
    assert a.get_row_kind() is RowKind.INSERT
    b.set_row_kind(RowKind.DELETE)
    assert a != b
    assert b._is_retract_msg() and not b._is_accumulate_msg()
    assert a._is_accumulate_msg()
    assert Row.of_kind(RowKind.UPDATE_AFTER, x=1).get_row_kind() is RowKind.UPDATE_AFTER
    assert Row(x=1) != Row(1)  # names vs no names
    assert Row(1) != Row(x=1)
    assert Row(x=1) != Row(y=1)
    assert Row(1) != (1,)
    assert Row(x=1) == Row(x=1)
    assert {Row(1, 2), Row(1, 2)} == {Row(1, 2)}


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_row_pickling_keeps_names_values_and_kind(dumps: Any) -> None:
    rows = [
        Row(1, "a"),
        Row(name="x", nested=Row(1, [Row(z=None)])),
        Row.of_kind(RowKind.UPDATE_BEFORE, 1, 2),
    ]
    for row in rows:
        clone = pickle.loads(dumps(row))
        assert clone == row
        assert clone.get_row_kind() is row.get_row_kind()
        assert hasattr(clone, "_fields") == hasattr(row, "_fields")
    assert copy.copy(rows[1]) == rows[1]
    assert copy.deepcopy(rows[1]) == rows[1]
