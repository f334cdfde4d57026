"""Two-input operators of ``ConnectedStreams``: co-map, co-flat-map, co-process.

Input 1 is the stream ``connect`` was called on, input 2 its argument. The
two inputs are not ordered against each other. On keyed connected streams
(``connect(...).key_by(k1, k2)``) each record's key (by its input's key
selector) is the current key, shared by keyed state and timers of both sides.
As in PyFlink, a co-map result of None is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flink_py.datastream.functions import (
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    Function,
    KeyedCoProcessFunction,
)
from flink_py.taskmanager.operators.base import TwoInputStreamOperator
from flink_py.taskmanager.operators.process import (
    ContextMixin,
    Emitter,
    KeyedContextMixin,
    OnTimerContextMixin,
    UserTimersOperator,
)
from flink_py.taskmanager.operators.timers import NonKeyedTimerService

__all__ = [
    "CoProcessOperator",
    "KeyedCoProcessOperator",
    "co_flat_map_functions",
    "co_map_functions",
    "co_process_functions",
    "run_batch",
]

Pair = tuple[Callable[..., Any], Callable[..., Any], Function | None]


def _methods(func: Any, cls: type, names: tuple[str, str]) -> tuple[Any, Any]:
    m1, m2 = (getattr(func, n, None) for n in names)
    if not (callable(m1) and callable(m2)):
        msg = (f"The input must be a {cls.__name__} (or have {names[0]}() and "
               f"{names[1]}() methods), got {type(func).__name__}")
        raise TypeError(msg)
    return m1, m2


def co_map_functions(func: Any) -> Pair:
    """``(value, ctx)`` callables for both inputs of a CoMapFunction."""
    m1, m2 = _methods(func, CoMapFunction, ("map1", "map2"))

    def f1(value: Any, ctx: Any) -> Any:
        r = m1(value)
        return None if r is None else (r,)

    def f2(value: Any, ctx: Any) -> Any:
        r = m2(value)
        return None if r is None else (r,)

    return f1, f2, func if isinstance(func, Function) else None


def co_flat_map_functions(func: Any) -> Pair:
    """``(value, ctx)`` callables for both inputs of a CoFlatMapFunction."""
    m1, m2 = _methods(func, CoFlatMapFunction, ("flat_map1", "flat_map2"))
    return ((lambda v, ctx: m1(v)), (lambda v, ctx: m2(v)),
            func if isinstance(func, Function) else None)


def co_process_functions(func: Any, keyed: bool) -> Pair:
    """The two ``process_element`` methods of a (Keyed)CoProcessFunction."""
    cls = KeyedCoProcessFunction if keyed else CoProcessFunction
    other = CoProcessFunction if keyed else KeyedCoProcessFunction
    if isinstance(func, other):
        kind = "keyed" if keyed else "non-keyed"
        msg = (f"{type(func).__name__} is a {other.__name__}; connected {kind} streams "
               f"need a {cls.__name__}")
        raise TypeError(msg)
    m1, m2 = _methods(func, cls, ("process_element1", "process_element2"))
    return m1, m2, func if isinstance(func, Function) else None


class _CoContext(ContextMixin, CoProcessFunction.Context):
    __slots__ = ()


def run_batch(f: Callable[..., Any], ctx: Any, em: Emitter, values: list[Any],
              timestamps: list[int] | None, key_of: Callable[[Any], Any] | None = None,
              set_key: Callable[[Any], None] | None = None) -> None:
    """Call ``f(value, ctx)`` for a batch (setting each record's key first, if keyed)."""
    em.start(timestamps is not None)
    collect = em.collect
    for i, v in enumerate(values):
        if key_of is not None:
            set_key(key_of(v))  # type: ignore[misc]
        if timestamps is not None:
            em.timestamp = timestamps[i]
        collect(f(v, ctx))
    em.timestamp = None
    em.flush()


class CoProcessOperator(TwoInputStreamOperator):
    """Co-map, co-flat-map and co-process on non-keyed connected streams.

    Args:
        functions: ``(f1, f2, user_function)``: callables ``(value, ctx)`` per
            input, and the Function whose open/close to drive.
    """

    def __init__(self, functions: Pair) -> None:
        super().__init__()
        self.f1, self.f2, self.user_function = functions
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' function")
        self.timers = NonKeyedTimerService(self.ctx.processing_time_service)
        self.context = _CoContext(self.emitter, self.timers)
        super().open()

    def process_watermark(self, watermark: int) -> None:  # noqa: D102
        self.timers.advance_watermark(watermark)
        self.output.emit_watermark(watermark)

    def process_batch1(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f1, self.context, self.emitter, values, timestamps)

    def process_batch2(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f2, self.context, self.emitter, values, timestamps)


class _KeyedCoContext(KeyedContextMixin, KeyedCoProcessFunction.Context):
    __slots__ = ()


class _KeyedCoOnTimerContext(OnTimerContextMixin, _KeyedCoContext,
                             KeyedCoProcessFunction.OnTimerContext):
    __slots__ = ()


class KeyedCoProcessOperator(UserTimersOperator, TwoInputStreamOperator):
    """Co-map, co-flat-map and co-process on keyed connected streams (keyed state, timers)."""

    def __init__(self, key_selector1: Any, key_selector2: Any, functions: Pair) -> None:
        super().__init__(key_selector1, key_selector2)
        self.f1, self.f2, self.user_function = functions
        self.on_timer = getattr(self.user_function, "on_timer", None)
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' function")
        self.context = _KeyedCoContext(self.emitter, self)
        self.timer_context = _KeyedCoOnTimerContext(self.emitter, self)
        super().open()

    def process_batch1(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f1, self.context, self.emitter, values, timestamps,
                  self.key_selectors[0], self.backend.set_current_key)

    def process_batch2(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f2, self.context, self.emitter, values, timestamps,
                  self.key_selectors[1], self.backend.set_current_key)
