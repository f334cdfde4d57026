"""One-expression functions written into operator loops (``common.runtime.inline``).

The generated code must do exactly what calling the function does, and the
facts inferred about its results must hold for every input that satisfies
the facts about the arguments -- an output type check relies on them.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from flink_py.common import Types
from flink_py.common.runtime.arrow_codec import BatchCodec
from flink_py.common.runtime.inline import inline_expression, join_facts, result_fact
from flink_py.common.typeinfo import TypeMismatchError
from flink_py.taskmanager.operators.basic import (
    FilterOperator,
    FlatMapOperator,
    MapOperator,
)
from flink_py.taskmanager.operators.keyed import ReduceOperator
from flink_py.taskmanager.output_types import fast_check, type_fact
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_api_operators import _open

PAIR = Types.TUPLE([Types.STRING(), Types.INT()])


def _evaluate(func: Any, arity: int, *args: Any) -> Any:
    expr = inline_expression(func, arity)
    assert expr is not None, func
    namespace: dict[str, Any] = {}
    expr.bind(namespace)
    names = [f"p{i}" for i in range(arity)]
    namespace.update(zip(names, args))
    return eval(expr.render(*names), namespace)


INLINABLE = [
    (lambda t: t[0], 1, [((3, 4),), (("a", "b"),), ([7],)]),
    (lambda w: (w, 1), 1, [("x",), (None,), (2.5,)]),
    (lambda a, b: (a[0], a[1] + b[1]), 2, [(("k", 1), ("k", 2)), ((1, "a"), (2, "b"))]),
    (lambda x: -x * 2.5 < -3, 1, [(1,), (2,), (-4,)]),
    (lambda x: not x, 1, [(0,), ("",), ([1],)]),
    (lambda x: x.split(",", 1)[1].strip(), 1, [("a, b ",), ("k,v,w",)]),
    (lambda s: s.upper().replace("A", "-"), 1, [("banana",)]),
    (lambda x: [x, ~x, x // 3, x % 3, x ** 2, x << 1, x & 6, x | 1, x ^ 5], 1, [(7,), (-9,)]),
    (lambda x: (x,), 1, [("a",)]),
    (lambda x: (x * 1e400, x + 1e400), 1, [(2.0,)]),  # non-literal constants: inf
    (lambda x: ("{a}", x), 1, [(1,)]),  # braces in a constant survive rendering
    (lambda r: r.real, 1, [(3,), (2.5,)]),
    (lambda: (1, "two", None), 0, [()]),
]


@pytest.mark.parametrize(("func", "arity", "cases"), INLINABLE)
def test_inlined_expression_computes_what_the_function_does(func: Any, arity: int,
                                                           cases: list[tuple]) -> None:
    for args in cases:
        expected = func(*args)
        got = _evaluate(func, arity, *args)
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(got)
        else:
            assert got == expected and type(got) is type(expected), args


def test_inlined_expression_raises_what_the_function_raises() -> None:
    func = lambda t: t[5]
    with pytest.raises(IndexError, match="tuple index out of range"):
        _evaluate(func, 1, (1, 2))


def _global_len(x: Any) -> int:
    return len(x)


def _with_local(x: Any) -> Any:
    y = x + 1
    return y


def _generator(x: Any) -> Any:
    yield x


def _make_closure() -> Any:
    n = 3
    return lambda x: x + n


NOT_INLINABLE = [
    (lambda x: len(x), 1),  # a global
    (_global_len, 1),
    (_with_local, 1),  # a statement
    (_generator, 1),
    (_make_closure(), 1),
    (lambda x, y=1: x + y, 1),  # a default
    (lambda *xs: xs, 0),
    (lambda x: x.split(sep=","), 1),  # keyword arguments
    (lambda x: 1 < x < 3, 1),  # chained comparison: stack juggling
    (lambda x: x if x else 0, 1),  # control flow
    (lambda x: x in (1, 2), 1),
    (lambda x: x.__class__, 1),  # dunder attribute
    (lambda a, b: a, 1),  # arity differs from the operator's
    (max, 2),  # not a Python function
]


@pytest.mark.parametrize(("func", "arity"), NOT_INLINABLE)
def test_anything_but_a_plain_expression_is_called(func: Any, arity: int) -> None:
    assert inline_expression(func, arity) is None


def _not_inlinable(func: Any) -> Any:
    return lambda *args: func(*args) if True else None


def test_operators_give_the_same_results_inlined_or_called() -> None:
    lines = ["a b", "", "c a b", "b"]
    for make, func, data in [
        (MapOperator, lambda w: (w, 1), ["x", "y"]),
        (FlatMapOperator, lambda line: line.split(), lines),
        (FilterOperator, lambda x: x % 3 != 0, list(range(10))),
    ]:
        assert inline_expression(func, 1) is not None
        results = []
        for f in (func, _not_inlinable(func)):
            op = make(f)
            out = _open(op)
            op.process_batch(list(data), None)
            results.append(out.main)
        assert results[0] == results[1], make


def test_reduce_gives_the_same_results_inlined_or_called() -> None:
    key = lambda t: t[0]
    add = lambda a, b: (a[0], a[1] + b[1])
    records = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5), ("a", 6)]
    results = []
    for k, r in [(key, add), (_not_inlinable(key), _not_inlinable(add))]:
        op = ReduceOperator(k, r)
        out = _open(op)
        op.process_batch(records[:4], None)
        op.process_batch(records[4:], None)
        results.append(out.main)
    assert results[0] == results[1]
    assert [v for values, _ in results[0] for v in values] == [
        ("a", 1), ("b", 2), ("a", 4), ("c", 4), ("b", 7), ("a", 10)]


def test_reduce_treats_a_stored_none_as_no_value() -> None:
    # Flink's reducing state: updating it with null clears it.
    op = ReduceOperator(lambda t: t[0], lambda a, b: None)
    out = _open(op)
    op.process_batch([("a", 1), ("a", 2), ("a", 3)], None)
    assert out.main == [([("a", 1), None, ("a", 3)], None)]


# -- facts ------------------------------------------------------------------------

def test_reduce_output_fact_is_the_fixed_point_over_its_own_outputs() -> None:
    op = ReduceOperator(lambda t: t[0], lambda a, b: (a[0], a[1] + b[1]))
    op.input_fact = type_fact(PAIR)
    # The first field passes through; the sum may leave INT's range.
    assert op.output_fact() == ("tuple", (("str",), ("int", None, None)))
    swap = ReduceOperator(lambda t: t[0], lambda a, b: (b[1], a[0]))
    swap.input_fact = type_fact(PAIR)
    # A str and an int trade places: only the shape (an exact 2-tuple) is known.
    assert swap.output_fact() == ("tuple", (None, None))


def test_map_output_fact_knows_constants_and_checked_inputs() -> None:
    op = MapOperator(lambda w: (w, 1))
    assert op.output_fact() == ("tuple", (None, ("int", 1, 1)))
    op.input_fact = ("str",)
    assert op.output_fact() == ("tuple", (("str",), ("int", 1, 1)))


def test_a_fact_check_checks_only_what_the_fact_leaves_open() -> None:
    unknown_key = fast_check(PAIR, ("tuple", (None, ("int", 1, 1))))
    assert unknown_key is not None
    assert unknown_key([("a", 1)])
    assert not unknown_key([(7, 1)])  # the first field is still checked
    unbounded = fast_check(PAIR, ("tuple", (("str",), ("int", None, None))))
    assert unbounded is not None
    assert unbounded([("a", 2**31 - 1)])
    assert not unbounded([("a", 2**31)])  # the range is still checked


_SMALL_INTS = st.integers(min_value=-(2**31), max_value=2**31 - 1)
_PAIRS = st.tuples(st.text(max_size=3), _SMALL_INTS)
_EXPRESSIONS = [
    lambda a, b: (a[0], a[1] + b[1]),
    lambda a, b: (b[0], a[1] * b[1] - 7),
    lambda a, b: (a[0], a[1] // 3 + b[1] % 5),
    lambda a, b: (a[0], 1),
    lambda a, b: (b[0], a[1] + 0.5),
]


def _satisfies(value: Any, fact: Any) -> bool:
    if fact is None:
        return True
    kind = fact[0]
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return (type(value) is int and (fact[1] is None or fact[1] <= value)
                and (fact[2] is None or value <= fact[2]))
    if kind in ("float", "bool"):
        return type(value) is {"float": float, "bool": bool}[kind]
    return (type(value) is tuple and len(value) == len(fact[1])
            and all(_satisfies(v, f) for v, f in zip(value, fact[1])))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(_EXPRESSIONS))), _PAIRS, _PAIRS)
def test_inferred_facts_hold_for_every_input_that_satisfies_the_argument_facts(
        index: int, a: tuple, b: tuple) -> None:
    func = _EXPRESSIONS[index]
    expr = inline_expression(func, 2)
    assert expr is not None
    fact = result_fact(expr, (type_fact(PAIR), type_fact(PAIR)))
    assert _satisfies(func(a, b), fact)
    joined = join_facts(type_fact(PAIR), fact)
    assert _satisfies(a, joined) and _satisfies(func(a, b), joined)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.text(max_size=2), st.integers(), st.none()),
                          st.integers(min_value=-(2**40), max_value=2**40)),
                min_size=1, max_size=5))
def test_a_fact_check_never_accepts_what_the_encoding_rejects(records: list) -> None:
    # The producer guarantees exact 2-tuples with an exact int second field.
    check = fast_check(PAIR, ("tuple", (None, ("int", None, None))))
    assert check is not None
    if check(records):
        try:
            BatchCodec(PAIR).encode(records)
        except TypeMismatchError:
            pytest.fail(f"accepted {records}")


def test_str_methods_are_known_only_on_exact_strs() -> None:
    split = inline_expression(lambda line: line.split(), 1)
    assert split is not None
    assert result_fact(split, (("xstr",),)) == ("list", ("xstr",))
    # A str subclass may override split: nothing is known.
    assert result_fact(split, (("str",),)) is None
    assert result_fact(split, (None,)) is None


class _Shouty(str):
    def split(self, *args: Any) -> Any:  # type: ignore[override]
        return [1, 2]


def test_a_str_subclass_overriding_a_method_still_fails_the_type_check() -> None:
    # Its records are not exact strs, so flat_map's output is checked in full.
    op = FlatMapOperator(lambda line: line.split())
    assert op.output_fact() is None
    check = fast_check(Types.STRING(), op.output_fact())
    assert check is not None and not check(_Shouty("a b").split())


def test_facts_flow_along_a_text_file_chain() -> None:
    # read_text_file -> flat_map(split) -> map((w, 1)): the pairs need no check at all.
    flat = FlatMapOperator(lambda line: line.split())
    flat.input_fact = ("xstr",)
    pair = MapOperator(lambda w: (w, 1))
    pair.input_fact = flat.output_fact()
    assert pair.output_fact() == ("tuple", (("xstr",), ("int", 1, 1)))
    check = fast_check(PAIR, pair.output_fact())
    assert check is not None and check([("a", 1)]) and check([])
    keep = FilterOperator(lambda t: t[0] != "x")
    keep.input_fact = pair.output_fact()
    assert keep.output_fact() == pair.output_fact()


def test_only_fully_proven_records_skip_the_check() -> None:
    from flink_py.taskmanager.output_types import fully_known

    assert fully_known(PAIR, ("tuple", (("xstr",), ("int", 1, 1))))
    assert fully_known(PAIR, ("tuple", (("str",), ("int", -(2**31), 2**31 - 1))))
    assert not fully_known(PAIR, ("tuple", (("xstr",), ("int", None, None))))  # range open
    assert not fully_known(PAIR, ("tuple", (None, ("int", 1, 1))))
    assert not fully_known(PAIR, None)
    assert fully_known(Types.STRING(), ("xstr",))
    assert not fully_known(Types.INT(), ("float",))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=4), _SMALL_INTS), min_size=1, max_size=8))
def test_unchecked_encoding_gives_the_checked_encodings_batch(records: list) -> None:
    codec = BatchCodec(PAIR)
    known = codec.encode_known(records)
    assert known.equals(codec.encode(records))
    assert codec.decode(known) == records


def test_a_text_file_word_count_is_exact_across_processes(local_env: None, tmp_path: Any) -> None:
    # Two slot workers: pairs proven by facts cross to the other process unchecked.
    from collections import Counter

    from flink_py.datastream import StreamExecutionEnvironment

    rng = __import__("random").Random(7)
    lines = [" ".join(rng.choice(["a", "bb", "ccc", "dé", "e"]) for _ in range(6))
             for _ in range(3000)]
    path = tmp_path / "words.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    counts = (env.read_text_file(str(path))
              .flat_map(lambda line: line.split(), output_type=Types.STRING())
              .map(lambda w: (w, 1), output_type=PAIR)
              .key_by(lambda t: t[0])
              .reduce(lambda a, b: (a[0], a[1] + b[1])))
    final: dict[str, int] = {}
    for word, n in counts.execute_and_collect():
        final[word] = max(final.get(word, 0), n)
    assert final == dict(Counter(w for line in lines for w in line.split()))


def test_constants_that_look_like_template_slots_stay_constants() -> None:
    key = lambda t: t[0] + "{store}"
    add = lambda a, b: (a[0], a[1] + b[1], "{store}", "{call}")
    assert inline_expression(key, 1) is not None and inline_expression(add, 2) is not None
    op = ReduceOperator(key, add)
    out = _open(op)
    op.process_batch([("x", 1), ("x", 2)], None)
    assert out.main == [([("x", 1), ("x", 3, "{store}", "{call}")], None)]
    mapped = MapOperator(lambda d: (d, "{call}"))
    out = _open(mapped)
    mapped.process_batch([5], None)
    assert out.main == [([(5, "{call}")], None)]
