"""The cheap output-type check never accepts what the Arrow encoding rejects."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.common import Types
from flink_py.common.runtime.arrow_codec import BatchCodec
from flink_py.common.typeinfo import TypeMismatchError
from flink_py.taskmanager.output_types import fast_check

_VALUES = st.one_of(st.text(max_size=3), st.integers(min_value=-(2**70), max_value=2**70),
                    st.booleans(), st.floats(allow_nan=False), st.none(), st.binary(max_size=2))

_TYPES = [Types.STRING(), Types.INT(), Types.LONG(), Types.SHORT(), Types.BYTE(),
          Types.BOOLEAN(), Types.DOUBLE(),
          Types.TUPLE([Types.STRING(), Types.INT()]),
          Types.TUPLE([Types.LONG(), Types.DOUBLE(), Types.BOOLEAN()])]


def _encodes(codec: BatchCodec, records: list) -> bool:
    try:
        codec.encode(records)
    except TypeMismatchError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(_TYPES))), st.data())
def test_fast_check_is_sufficient(index: int, data: st.DataObject) -> None:
    type_info = _TYPES[index]
    check = fast_check(type_info)
    assert check is not None
    arity = len(type_info.get_field_types()) if hasattr(type_info, "get_field_types") else 0
    if arity:
        record = st.one_of(st.tuples(*[_VALUES] * arity), st.tuples(_VALUES), _VALUES)
    else:
        record = _VALUES
    records = data.draw(st.lists(record, min_size=1, max_size=6))
    if check(records):
        assert _encodes(BatchCodec(type_info), records), records


def test_fast_check_accepts_well_typed_batches() -> None:
    check = fast_check(Types.TUPLE([Types.STRING(), Types.INT()]))
    assert check is not None
    assert check([("a", 1), ("b", -(2**31)), ("c", 2**31 - 1)])
    assert not check([("a", 2**31)])
    assert not check([("a", True)])
    assert not check([("a", None)])
    assert not check([("a", 1, 2)])


def test_local_channels_deliver_what_a_remote_channel_would(local_env: None) -> None:
    from flink_py.common import Row
    from flink_py.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    named = Types.ROW_NAMED(["name", "n"], [Types.STRING(), Types.INT()])
    pairs = env.from_collection([("a", 1), ("b", 2)],
                                type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    rows = pairs.map(lambda x: Row(x[0], x[1]), output_type=named)  # an unnamed Row
    # Two embedded slot workers: some records cross a local channel, some a remote one;
    # either way the consumer sees the declared field names.
    out = rows.rebalance().map(lambda r: f"{r.name}{r.n}", output_type=Types.STRING())
    assert sorted(out.execute_and_collect()) == ["a1", "b2"]
