"""Keyed operators: key context, rolling reduce, and map/flat_map/filter on a KeyedStream.

Every keyed operator owns a keyed state backend (``taskmanager.state``) and a
keyed timer service. Before user code sees a record, the operator makes the
record's key the current key, so keyed state (``runtime_context.get_state``)
and timers belong to that key.

Rolling reduce: the current value per key is keyed state. In STREAMING mode
every input emits the updated value; in BATCH mode only the final value per
key is emitted at end of input (Flink's batch execution of keyed reduce).
"""

from __future__ import annotations

from typing import Any

from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.inline import (
    InlineExpression,
    exec_loop,
    inline_expression,
    join_facts,
    result_fact,
)
from flink_py.common.runtime.keygroups import key_group_range_for_operator_index
from flink_py.datastream.functions import Function, RuntimeContext, resolve
from flink_py.datastream.state import ValueStateDescriptor
from flink_py.taskmanager.operators.base import StreamOperator, private_copy
from flink_py.taskmanager.operators.timers import LONG_MAX, LONG_MIN, InternalTimerService
from flink_py.taskmanager.state import KeyedStateBackend, create_keyed_state_backend

__all__ = [
    "AbstractKeyedOperator",
    "KeyedFilterOperator",
    "KeyedFlatMapOperator",
    "KeyedMapOperator",
    "ReduceOperator",
]


class AbstractKeyedOperator(StreamOperator):
    """Base of operators on keyed input: state backend, timers, key selectors.

    Args:
        key_selectors: one key selector per input (callables or KeySelectors).
    """

    def __init__(self, *key_selectors: Any) -> None:
        super().__init__()
        resolved = [resolve(k, "get_key") for k in key_selectors]
        self.key_selectors = [f for f, _ in resolved]
        self.key_selector = self.key_selectors[0]
        self._key_functions = [fn for _, fn in resolved if fn is not None]
        self.backend: KeyedStateBackend = None  # type: ignore[assignment]
        #: ``key_by``'s declared key type (set when the job graph is built): keys are
        #: placed in key groups by it, as the partitioner routes them
        self.key_type: Any = None
        self.timer_service: InternalTimerService = None  # type: ignore[assignment]

    def create_keyed_state_backend(self) -> KeyedStateBackend:
        """The backend holding this instance's keyed state (``state.backend.type``),
        owning this subtask's key-group range."""
        ctx = self.ctx
        config = FlinkConfig.from_dict(ctx.job_parameters or {}, warn_unknown=False)
        key_groups = key_group_range_for_operator_index(ctx.max_parallelism, ctx.parallelism,
                                                        ctx.subtask_index)
        backend = create_keyed_state_backend(config, ctx.max_parallelism, key_groups)
        backend.set_key_type(getattr(self, "key_type", None))  # before a restore reads a key
        return backend

    def runtime_context(self) -> RuntimeContext:
        return self.ctx.runtime_context(keyed_state_store=self.backend)

    def open(self) -> None:
        self.backend = self.create_keyed_state_backend()
        self.timer_service = InternalTimerService(self.backend, self.ctx.processing_time_service,
                                                  self, batch=self.ctx.runtime_mode == "BATCH")
        for fn in self._key_functions:
            fn.open(self.ctx.runtime_context())
        super().open()

    def process_watermark(self, watermark: int) -> None:
        """Event time advanced to ``watermark``: fire the due event-time timers, then forward."""
        self._fire_timers(watermark)
        self.output.emit_watermark(watermark)

    def _fire_timers(self, watermark: int) -> None:
        """Fire what event time reaching ``watermark`` makes due (forwarding nothing)."""
        self.timer_service.advance_watermark(watermark)

    def end_of_key(self) -> None:
        """BATCH with sorted input (``taskmanager.sorted_input``): the current key's
        records ended. Its timers fire -- event time jumps to the end, then processing
        time -- and time starts over for the next key; no watermark goes downstream."""
        if self.timer_service is None:
            return
        self._fire_timers(LONG_MAX)
        self.timer_service.current_watermark_value = LONG_MIN

    def end_input(self) -> None:
        """A bounded input ends with the maximum watermark: every event-time timer fires."""
        if self.timer_service is not None and self.timer_service.num_event_time_timers():
            self.process_watermark(LONG_MAX)

    def on_event_time(self, timestamp: int, key: Any) -> None:
        """An event-time timer fired (operators with user timers override this)."""

    def on_processing_time(self, timestamp: int, key: Any) -> None:
        """A processing-time timer fired (operators with user timers override this)."""

    def close(self) -> None:
        try:
            super().close()
            for fn in self._key_functions:
                fn.close()
        finally:
            if self.backend is not None:
                self.backend.close()


class ReduceOperator(AbstractKeyedOperator):
    """``KeyedStream.reduce`` (also ``sum``/``min``/``max``/``min_by``/``max_by``).

    The record loop is generated once per operator (:func:`_reduce_loop`),
    with a one-expression key selector or reduce function written into it
    (:mod:`flink_py.common.runtime.inline`) instead of called, and the state's dict read and written
    directly while the backend offers it.
    """

    def __init__(self, key_selector: Any, func: Any, batch_mode: bool = False) -> None:
        super().__init__(key_selector)
        self.func, self.user_function = resolve(func, "reduce")
        self.batch_mode = batch_mode
        self._loop: Any = None

    def open(self) -> None:
        super().open()
        self.batch_mode = self.batch_mode or self.ctx.runtime_mode == "BATCH"
        self.state = self.backend.get_internal_value_state(
            ValueStateDescriptor("_reduce_state", None))
        self._loop = self._compile_loop()

    def _compile_loop(self) -> Any:
        return _reduce_loop(inline_expression(self.key_selector, 1),
                            inline_expression(self.func, 2),
                            set_key=isinstance(self.user_function, Function))

    def output_fact(self) -> Any:
        """An output is an input record or ``func(previous output, input)``."""
        expr = inline_expression(self.func, 2)
        if expr is None or self.input_fact is None:
            return None
        known = self.input_fact
        for _ in range(4):  # to a fixed point: bounds widen at most once
            widened = join_facts(known, result_fact(expr, (known, self.input_fact)))
            if widened == known:
                return known
            known = widened
        return None

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        state = self.state
        table = state.batch_table()
        out = self._loop(values, table, None if table is not None else state.batch_accessors(),
                         self.key_selector, self.func, self.backend.set_current_key)
        if not self.batch_mode:
            self.output.emit(out, timestamps)

    def end_input(self) -> None:
        super().end_input()
        if self.batch_mode:
            final = [v for _, v in _in_key_order(self.state.items_internal())]
            if final:
                self.output.emit(final, None)


def _in_key_order(items: Any) -> list[tuple[Any, Any]]:
    """``(key, value)`` pairs sorted by key when the keys are comparable, else as given.

    Flink's BATCH mode sorts a keyed operator's input by key and emits a key's
    final reduce result when its records end, so the results come key by key in
    key order (for String keys, lexicographic).
    """
    pairs = list(items)
    try:
        return sorted(pairs, key=_first)
    except TypeError:  # keys of mixed or unordered types: the backend's order
        return pairs


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


class TupleSumOperator(ReduceOperator):
    """``KeyedStream.sum(i)`` on a typed ``TUPLE`` stream of arity ``n``.

    The same results as the generic field-accessor reducer (which it falls
    back to for any record that is not an ``n``-tuple), with the tuple
    rebuilt inline in a loop specialised for ``(n, i)`` instead of three
    Python calls per record.
    """

    def __init__(self, key_selector: Any, func: Any, arity: int, position: int) -> None:
        super().__init__(key_selector, func)
        self.arity = arity
        self.position = position

    def _compile_loop(self) -> Any:
        n, i = self.arity, self.position
        fields = ", ".join(f"cur[{j}] + v[{j}]" if j == i else f"cur[{j}]" for j in range(n))
        guarded = (f"(({fields},) if type(cur) is tuple and type(v) is tuple "
                   f"and len(v) == {n} and len(cur) == {n} else reduce(cur, v))")
        return _reduce_loop(inline_expression(self.key_selector, 1), None,
                            reduce_source=guarded, name=f"tuple sum {n}/{i}")


def _reduce_loop(key: InlineExpression | None, reduce: InlineExpression | None,
                 reduce_source: str | None = None, name: str = "reduce",
                 set_key: bool = False) -> Any:
    """Generate the record loop of a rolling reduce.

    ``loop(values, table, accessors, key_of, reduce, set_key) -> outputs``: with
    the state's dict as ``table`` it reads and writes it directly, else it uses
    the ``(get, put)`` pair ``accessors``. A stored ``None`` counts as no
    value, as a null does in Flink's reducing state. With ``set_key`` the loop
    makes each record's key the backend's current key before calling the
    function (a ``ReduceFunction`` may use keyed state of its own).
    """
    namespace: dict[str, Any] = {"_private": private_copy}
    key_src = "key_of(v)"
    if key is not None:
        key.bind(namespace, "_kk")
        key_src = key.render("v", prefix="_kk")
    # A user function may change its first argument in place: the state then keeps a
    # private copy of a mutable result, so no output already emitted changes with it
    # (in PyFlink the state is serialized). Inlined expressions change nothing.
    kept = "_private(cur)"
    if reduce_source is None:
        reduce_source = "reduce(cur, v)"
        if reduce is not None:
            reduce.bind(namespace, "_rk")
            reduce_source = reduce.render("cur", "v", prefix="_rk")
            kept = "cur"
    else:
        kept = "cur"
    def body(store: str) -> str:
        return ("        for v in values:\n"
                f"            k = {key_src}\n"
                + ("            set_key(k)\n" if set_key else "")
                + "            cur = get(k)\n"
                f"            cur = v if cur is None else {reduce_source}\n"
                f"            {store.format(kept=kept)}\n"
                "            append(cur)\n")

    src = (
        "def loop(values, table, accessors, key_of, reduce, set_key):\n"
        "    out = []\n"
        "    append = out.append\n"
        "    if table is not None:\n"
        "        get = table.get\n"
        + body("table[k] = {kept}")
        + "    else:\n"
        "        get, put = accessors\n"
        + body("put(k, {kept})")
        + "    return out\n"
    )
    return exec_loop(src, name, namespace, reduce or key)


class _KeyedRecordOperator(AbstractKeyedOperator):
    """A record-at-a-time function on a keyed stream, with its key as current key."""

    method = ""

    def __init__(self, key_selector: Any, func: Any) -> None:
        super().__init__(key_selector)
        self.func, self.user_function = resolve(func, self.method)


class KeyedMapOperator(_KeyedRecordOperator):
    """``KeyedStream.map``: a map that may use keyed state."""

    method = "map"

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        key_of, f, backend = self.key_selector, self.func, self.backend
        out: list[Any] = []
        append = out.append
        for v in values:
            backend.set_current_key(key_of(v))
            append(f(v))
        self.output.emit(out, timestamps)


class KeyedFlatMapOperator(_KeyedRecordOperator):
    """``KeyedStream.flat_map``: a flat map that may use keyed state."""

    method = "flat_map"

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        key_of, f, backend = self.key_selector, self.func, self.backend
        out: list[Any] = []
        out_ts: list[int] | None = None if timestamps is None else []
        for i, v in enumerate(values):
            backend.set_current_key(key_of(v))
            n = len(out)
            out.extend(f(v))  # None fails as in PyFlink ('yield from f(value)')
            if out_ts is not None:
                out_ts.extend([timestamps[i]] * (len(out) - n))  # type: ignore[index]
        self.output.emit(out, out_ts)


class KeyedFilterOperator(_KeyedRecordOperator):
    """``KeyedStream.filter``: a filter that may use keyed state."""

    method = "filter"

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        key_of, f, backend = self.key_selector, self.func, self.backend
        keep = []
        for v in values:
            backend.set_current_key(key_of(v))
            keep.append(bool(f(v)))
        if timestamps is None:
            self.output.emit([v for v, k in zip(values, keep) if k], None)
        else:
            self.output.emit([v for v, k in zip(values, keep) if k],
                             [t for t, k in zip(timestamps, keep) if k])
