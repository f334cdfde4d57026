"""The specialised tuple sum gives exactly the generic aggregation's results."""

from __future__ import annotations

import random
from typing import Any

import pytest

from flink_py.common import Types
from flink_py.datastream._aggregations import AGGREGATIONS, field_accessor
from flink_py.taskmanager.operators.keyed import ReduceOperator, TupleSumOperator
from tests.test_api_operators import _open


def _run(op: Any, batches: list[list[Any]]) -> list[Any]:
    out = _open(op)
    for batch in batches:
        op.process_batch(batch, None)
    return [v for values, _ in out.main for v in values]


@pytest.mark.parametrize(("arity", "position"), [(2, 1), (2, 0), (3, 2), (3, 1)])
def test_tuple_sum_matches_the_generic_reducer(arity: int, position: int) -> None:
    type_info = Types.TUPLE([Types.LONG()] * arity)
    rng = random.Random(arity * 10 + position)
    records = [tuple(rng.randrange(5) for _ in range(arity)) for _ in range(500)]
    # Lists take the generic path inside the specialised loop.
    records[7] = list(records[7])
    batches = [records[i:i + 37] for i in range(0, len(records), 37)]
    key = (position + 1) % arity

    def key_of(t: Any) -> Any:
        return t[key]

    reducer = AGGREGATIONS["sum"](field_accessor(position, type_info))
    generic = _run(ReduceOperator(key_of, reducer), batches)
    fast = _run(TupleSumOperator(key_of, reducer, arity, position), batches)
    assert fast == generic
    assert [type(v) for v in fast] == [type(v) for v in generic]
