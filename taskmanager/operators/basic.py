"""Stateless record-at-a-time operators: map, flat_map, filter.

A one-expression function (``lambda w: (w, 1)``) is written into the
operator's loop instead of being called per record (see :mod:`flink_py.common.runtime.inline`).
"""

from __future__ import annotations

from typing import Any

from flink_py.common.runtime.inline import (
    compile_loop,
    element_fact,
    inline_expression,
    map_loop,
    result_fact,
)
from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["FilterOperator", "FlatMapOperator", "MapOperator"]


_FLAT_MAP = """\
def loop(values, f):
    out = []
    extend = out.extend
    for v in values:
        extend({call})  # None fails as in PyFlink ('yield from f(value)')
    return out
"""

_FILTER = "def loop(values, f):\n    return [v for v in values if {call}]\n"


class MapOperator(StreamOperator):
    """``DataStream.map``: one output per input."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "map")
        self._loop: Any = None

    def open(self) -> None:
        super().open()
        self._loop = map_loop(self.func)

    def output_fact(self) -> Any:
        expr = inline_expression(self.func, 1)
        return None if expr is None else result_fact(expr, (self.input_fact,))

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.output.emit(self._loop(values, self.func), timestamps)


class FlatMapOperator(StreamOperator):
    """``DataStream.flat_map``: zero or more outputs per input."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "flat_map")
        self._loop: Any = None

    def open(self) -> None:
        super().open()
        self._loop = compile_loop(self.func, "flat_map", _FLAT_MAP)

    def output_fact(self) -> Any:
        expr = inline_expression(self.func, 1)
        return None if expr is None else element_fact(result_fact(expr, (self.input_fact,)))

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        f = self.func
        if timestamps is None:
            self.output.emit(self._loop(values, f), None)
            return
        out: list[Any] = []
        out_ts: list[int] = []
        extend = out.extend
        for v, ts in zip(values, timestamps):
            n = len(out)
            extend(f(v))
            out_ts.extend([ts] * (len(out) - n))
        self.output.emit(out, out_ts)


class FilterOperator(StreamOperator):
    """``DataStream.filter``: keeps values for which the predicate holds."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "filter")
        self._loop: Any = None

    def open(self) -> None:
        super().open()
        self._loop = compile_loop(self.func, "filter", _FILTER)

    def output_fact(self) -> Any:
        return self.input_fact  # the records it keeps

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        f = self.func
        if timestamps is None:
            self.output.emit(self._loop(values, f), None)
            return
        kept = [(v, t) for v, t in zip(values, timestamps) if f(v)]
        self.output.emit([v for v, _ in kept], [t for _, t in kept])
