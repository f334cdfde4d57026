"""Process functions: ``DataStream.process`` and ``KeyedStream.process``.

A process function yields (or returns) its outputs; a yielded
``(OutputTag, value)`` pair, or ``ctx.output(tag, value)``, goes to that side
output instead. Outputs carry the timestamp of the input record; outputs of
an event-time timer carry the timer's timestamp, those of a processing-time
timer none (as in Flink).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flink_py.datastream.functions import (
    Function,
    KeyedProcessFunction,
    ProcessFunction,
)
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.time_domain import TimeDomain
from flink_py.datastream.timerservice import TimerService
from flink_py.taskmanager.operators.base import Output, StreamOperator
from flink_py.taskmanager.operators.keyed import AbstractKeyedOperator
from flink_py.taskmanager.operators.timers import LONG_MIN as NO_TIMESTAMP
from flink_py.taskmanager.operators.timers import NonKeyedTimerService

__all__ = [
    "ContextMixin",
    "Emitter",
    "KeyedContextMixin",
    "KeyedProcessOperator",
    "OnTimerContextMixin",
    "ProcessOperator",
    "UserTimersOperator",
    "resolve_process",
]


class Emitter:
    """Collects what user calls produce during one batch, then emits it.

    Args:
        output: the operator's output.
        what: names the user method in errors (``'Process' process_element``).
    """

    __slots__ = ("output", "side", "timestamp", "timestamps", "values", "what")

    def __init__(self, output: Output, what: str) -> None:
        self.output = output
        self.what = what
        self.values: list[Any] = []
        self.timestamps: list[Any] | None = None
        self.side: dict[str, tuple[list[Any], list[Any] | None]] = {}
        self.timestamp: int | None = None

    def start(self, timestamped: bool) -> None:
        """Begin a batch (with per-record timestamps or without)."""
        self.values = []
        self.timestamps = [] if timestamped else None
        self.side = {}

    def collect(self, result: Any) -> None:
        """Add the outputs of one user call (None, an iterable or a generator)."""
        if result is None:
            return
        try:
            it = iter(result)
        except TypeError:
            msg = (f"{self.what} must yield or return an iterable of outputs, "
                   f"got {type(result).__name__}: {result!r}")
            raise TypeError(msg) from None
        values = self.values
        n = len(values)
        append = values.append
        for x in it:
            if x.__class__ is tuple and len(x) == 2 and isinstance(x[0], OutputTag):
                self.side_output(x[0], x[1])
            else:
                append(x)
        if self.timestamps is not None:
            self.timestamps.extend([self.timestamp] * (len(values) - n))

    def side_output(self, tag: OutputTag, value: Any) -> None:
        """Add ``value`` to the side output ``tag``."""
        if not isinstance(tag, OutputTag):
            raise TypeError(f"a side output needs an OutputTag, got {tag!r}")
        entry = self.side.get(tag.tag_id)
        if entry is None:
            entry = self.side[tag.tag_id] = ([], [] if self.timestamps is not None else None)
        entry[0].append(value)
        if entry[1] is not None:
            entry[1].append(self.timestamp)

    def flush(self) -> None:
        """Emit the collected outputs."""
        values, timestamps, side = self.values, self.timestamps, self.side
        self.values, self.side = [], {}
        self.timestamps = [] if timestamps is not None else None
        if values:
            self.output.emit(values, timestamps)
        for tag_id, (side_values, side_ts) in side.items():
            self.output.emit_side(tag_id, side_values, side_ts)


def resolve_process(func: Any, cls: type, method: str = "process_element"
                    ) -> tuple[Callable[..., Any], Function | None]:
    """The bound ``method`` of a ``cls`` instance, or a plain callable ``(value, ctx)``.

    Raises:
        TypeError: neither.
    """
    if isinstance(func, cls):
        return getattr(func, method), func
    if isinstance(func, Function):
        msg = f"{cls.__name__} is required here, got {type(func).__name__}"
        raise TypeError(msg)
    if callable(func) and not hasattr(func, method):
        return func, None
    bound = getattr(func, method, None)
    if callable(bound):
        return bound, None
    raise TypeError(f"{func!r} is neither a {cls.__name__} nor a callable (value, ctx)")


class ContextMixin:
    """The non-keyed process-function context shared by one- and two-input operators."""

    __slots__ = ("_emitter", "_timers")

    def __init__(self, emitter: Emitter, timers: TimerService) -> None:
        self._emitter = emitter
        self._timers = timers

    def timestamp(self) -> int:
        """The element's (or firing timer's) timestamp; Long.MIN_VALUE when it has none.

        PyFlink (process mode) hands its functions the Java long: a record without a
        timestamp shows ``-9223372036854775808``, not None.
        """
        ts = self._emitter.timestamp
        return NO_TIMESTAMP if ts is None else ts

    def timer_service(self) -> TimerService:
        """The operator's (non-keyed) timer service."""
        return self._timers

    def output(self, output_tag: OutputTag, value: Any) -> None:
        """Emit ``value`` to the side output ``output_tag``."""
        self._emitter.side_output(output_tag, value)


class _ProcessContext(ContextMixin, ProcessFunction.Context):
    __slots__ = ()


class ProcessOperator(StreamOperator):
    """``DataStream.process(ProcessFunction)``."""

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve_process(func, ProcessFunction)
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' process_element")
        self.timers = NonKeyedTimerService(self.ctx.processing_time_service)
        self.context = _ProcessContext(self.emitter, self.timers)
        super().open()

    def process_watermark(self, watermark: int) -> None:  # noqa: D102
        self.timers.advance_watermark(watermark)
        self.output.emit_watermark(watermark)

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f, ctx, em = self.func, self.context, self.emitter
        em.start(timestamps is not None)
        collect = em.collect
        if timestamps is None:
            for v in values:
                collect(f(v, ctx))
        else:
            for v, ts in zip(values, timestamps):
                em.timestamp = ts
                collect(f(v, ctx))
            em.timestamp = None
        em.flush()


class KeyedContextMixin:
    """The keyed process-function context shared by one- and two-input operators."""

    __slots__ = ("_emitter", "_op")

    def __init__(self, emitter: Emitter, op: AbstractKeyedOperator) -> None:
        self._emitter = emitter
        self._op = op

    def get_current_key(self) -> Any:
        """The key of the element or timer being processed."""
        return self._op.backend.get_current_key()

    def timestamp(self) -> int:
        """The element's (or firing timer's) timestamp; Long.MIN_VALUE when it has none.

        PyFlink (process mode) hands its functions the Java long: a record without a
        timestamp shows ``-9223372036854775808``, not None.
        """
        ts = self._emitter.timestamp
        return NO_TIMESTAMP if ts is None else ts

    def timer_service(self) -> TimerService:
        """The operator's timer service."""
        return self._op.timer_service

    def output(self, output_tag: OutputTag, value: Any) -> None:
        """Emit ``value`` to the side output ``output_tag``."""
        self._emitter.side_output(output_tag, value)


class _KeyedContext(KeyedContextMixin, KeyedProcessFunction.Context):
    __slots__ = ()


class OnTimerContextMixin(KeyedContextMixin):
    """The keyed context of ``on_timer``, which also tells the firing timer's time domain
    (``domain``, set by :class:`UserTimersOperator`)."""

    __slots__ = ("domain",)

    def __init__(self, emitter: Emitter, op: AbstractKeyedOperator) -> None:
        super().__init__(emitter, op)
        self.domain = TimeDomain.EVENT_TIME

    def time_domain(self) -> TimeDomain:
        """Whether the firing timer is an event-time or a processing-time timer."""
        return self.domain


class _OnTimerContext(OnTimerContextMixin, KeyedProcessFunction.OnTimerContext):
    __slots__ = ()


class UserTimersOperator(AbstractKeyedOperator):
    """A keyed operator whose user function has ``on_timer``.

    Subclasses set ``emitter``, ``timer_context`` (with a ``domain``
    attribute) and ``on_timer`` (None: timers fire silently).
    """

    emitter: Emitter
    timer_context: Any
    on_timer: Callable[..., Any] | None = None

    def _fire(self, timestamp: int, key: Any, domain: TimeDomain) -> None:
        if self.on_timer is None:
            return
        em = self.emitter
        self.backend.set_current_key(key)
        self.timer_context.domain = domain
        em.start(domain is TimeDomain.EVENT_TIME)  # processing-time outputs carry no timestamp
        em.timestamp = timestamp
        try:
            em.collect(self.on_timer(timestamp, self.timer_context))
        finally:
            em.timestamp = None
        em.flush()

    def on_event_time(self, timestamp: int, key: Any) -> None:  # noqa: D102
        self._fire(timestamp, key, TimeDomain.EVENT_TIME)

    def on_processing_time(self, timestamp: int, key: Any) -> None:  # noqa: D102
        self._fire(timestamp, key, TimeDomain.PROCESSING_TIME)


class KeyedProcessOperator(UserTimersOperator):
    """``KeyedStream.process(KeyedProcessFunction)``: keyed state and timers."""

    def __init__(self, key_selector: Any, func: Any) -> None:
        super().__init__(key_selector)
        self.func, self.user_function = resolve_process(func, KeyedProcessFunction)
        self.on_timer = getattr(self.user_function, "on_timer", None)
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' process_element")
        self.context = _KeyedContext(self.emitter, self)
        self.timer_context = _OnTimerContext(self.emitter, self)
        super().open()

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f, ctx, em = self.func, self.context, self.emitter
        key_of, set_key = self.key_selector, self.backend.set_current_key
        em.start(timestamps is not None)
        collect = em.collect
        if timestamps is None:
            for v in values:
                set_key(key_of(v))
                collect(f(v, ctx))
        else:
            for v, ts in zip(values, timestamps):
                set_key(key_of(v))
                em.timestamp = ts
                collect(f(v, ctx))
            em.timestamp = None
        em.flush()

