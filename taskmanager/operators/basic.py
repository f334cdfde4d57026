"""Stateless record-at-a-time operators: map, flat_map, filter."""

from __future__ import annotations

from typing import Any

from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["FilterOperator", "FlatMapOperator", "MapOperator"]


class MapOperator(StreamOperator):
    """``DataStream.map``: one output per input."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "map")

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f = self.func
        self.output.emit([f(v) for v in values], timestamps)


class FlatMapOperator(StreamOperator):
    """``DataStream.flat_map``: zero or more outputs per input."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "flat_map")

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f = self.func
        out: list[Any] = []
        extend = out.extend
        if timestamps is None:
            for v in values:
                r = f(v)
                if r is not None:
                    extend(r)
            self.output.emit(out, None)
            return
        out_ts: list[int] = []
        for v, ts in zip(values, timestamps):
            r = f(v)
            if r is not None:
                n = len(out)
                extend(r)
                out_ts.extend([ts] * (len(out) - n))
        self.output.emit(out, out_ts)


class FilterOperator(StreamOperator):
    """``DataStream.filter``: keeps values for which the predicate holds."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "filter")

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f = self.func
        if timestamps is None:
            self.output.emit([v for v in values if f(v)], None)
            return
        kept = [(v, t) for v, t in zip(values, timestamps) if f(v)]
        self.output.emit([v for v, _ in kept], [t for _, t in kept])
