"""How a window accumulates its elements.

Incremental functions (``reduce``, ``aggregate``) keep one accumulator per
key and window; everything else (``process``, ``apply``, any window with an
evictor) keeps the elements in a list. ``MISSING`` marks an empty window.
"""

from __future__ import annotations

import functools
from typing import Any

from flink_py.datastream.functions import AggregateFunction, Function, resolve
from flink_py.taskmanager.operators.window.namespaced import MISSING

__all__ = ["MISSING", "AggregateContents", "ListContents", "ReduceContents", "WindowContents"]


class WindowContents:
    """The accumulation strategy of a window operator.

    Attributes:
        function: the user Function to open/close, if any.
    """

    function: Function | None = None

    def add(self, acc: Any, value: Any) -> Any:
        """``acc`` (or MISSING) with ``value`` added; returns the new contents."""
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        """The contents of two merged windows."""
        raise NotImplementedError

    def result(self, acc: Any) -> list[Any]:
        """What the window function receives for the contents ``acc``."""
        raise NotImplementedError

    def over(self, values: list[Any]) -> list[Any]:
        """What the window function receives for ``values`` (windows with an evictor)."""
        raise NotImplementedError


class ReduceContents(WindowContents):
    """``reduce``: the reduced value."""

    def __init__(self, func: Any) -> None:
        self.func, self.function = resolve(func, "reduce")

    def add(self, acc: Any, value: Any) -> Any:  # noqa: D102
        return value if acc is MISSING else self.func(acc, value)

    def merge(self, a: Any, b: Any) -> Any:  # noqa: D102
        return self.func(a, b)

    def result(self, acc: Any) -> list[Any]:  # noqa: D102
        return [acc]

    def over(self, values: list[Any]) -> list[Any]:  # noqa: D102
        return [functools.reduce(self.func, values)] if values else []


class AggregateContents(WindowContents):
    """``aggregate``: the AggregateFunction's accumulator."""

    def __init__(self, agg: AggregateFunction) -> None:
        for method in ("create_accumulator", "add", "get_result", "merge"):
            if not callable(getattr(agg, method, None)):
                raise TypeError(f"aggregate() needs an AggregateFunction (create_accumulator, "
                                f"add, get_result, merge), got {type(agg).__name__} "
                                f"without {method}")
        self.agg = agg
        self.function = agg if isinstance(agg, Function) else None

    def add(self, acc: Any, value: Any) -> Any:  # noqa: D102
        agg = self.agg
        return agg.add(value, agg.create_accumulator() if acc is MISSING else acc)

    def merge(self, a: Any, b: Any) -> Any:  # noqa: D102
        return self.agg.merge(a, b)

    def result(self, acc: Any) -> list[Any]:  # noqa: D102
        return [self.agg.get_result(acc)]

    def over(self, values: list[Any]) -> list[Any]:  # noqa: D102
        agg = self.agg
        acc = agg.create_accumulator()
        for v in values:
            acc = agg.add(v, acc)
        return [agg.get_result(acc)]


class ListContents(WindowContents):
    """``process`` / ``apply``: every element, in arrival order."""

    def add(self, acc: Any, value: Any) -> Any:  # noqa: D102
        if acc is MISSING:
            return [value]
        acc.append(value)
        return acc

    def merge(self, a: Any, b: Any) -> Any:  # noqa: D102
        return a + b

    def result(self, acc: Any) -> list[Any]:  # noqa: D102
        return acc  # type: ignore[no-any-return]

    def over(self, values: list[Any]) -> list[Any]:  # noqa: D102
        return values
