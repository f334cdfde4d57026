"""Windows, window assigners, triggers, evictors and window functions.

Mirrors ``pyflink.datastream.window`` (plus the window function classes of
``pyflink.datastream.functions`` and Flink's evictors). A keyed stream is
windowed with ``key_by(...).window(assigner)`` (or ``count_window``), a
non-keyed one with ``window_all(assigner)``; the resulting WindowedStream
(``flink_py.datastream.windowed_stream``) takes a trigger, an evictor,
allowed lateness, a late-data side output and the window function. The
runtime is ``flink_py.taskmanager.operators.window``.

Times are milliseconds; sizes may be given as :class:`~flink_py.common.time.Time`,
:class:`~flink_py.common.time.Duration` or an int of milliseconds.
"""

from __future__ import annotations

import abc
import enum
import struct
from collections.abc import Callable, Collection, Iterable
from io import BytesIO
from typing import Any, Generic, TypeVar

from flink_py.common.serializer import TypeSerializer
from flink_py.common.time import Duration
from flink_py.datastream.functions import Function, KeyedStateStore, RuntimeContext
from flink_py.datastream.state import ReducingState, ReducingStateDescriptor, StateDescriptor
from flink_py.datastream.state import State, ValueStateDescriptor

__all__ = [
    "AllWindowFunction",
    "CountEvictor",
    "CountSlidingWindowAssigner",
    "CountTrigger",
    "CountTumblingWindowAssigner",
    "CountWindow",
    "CountWindowSerializer",
    "ContinuousEventTimeTrigger",
    "ContinuousProcessingTimeTrigger",
    "DynamicEventTimeSessionWindows",
    "DynamicProcessingTimeSessionWindows",
    "EventTimeSessionWindows",
    "EventTimeTrigger",
    "Evictor",
    "GlobalWindow",
    "GlobalWindowSerializer",
    "GlobalWindows",
    "MergingWindowAssigner",
    "NeverTrigger",
    "ProcessAllWindowFunction",
    "ProcessWindowFunction",
    "ProcessingTimeSessionWindows",
    "ProcessingTimeTrigger",
    "PurgingTrigger",
    "SessionWindowTimeGapExtractor",
    "SlidingEventTimeWindows",
    "SlidingProcessingTimeWindows",
    "TimeWindowSerializer",
    "TimeEvictor",
    "TimeWindow",
    "TimestampedValue",
    "Trigger",
    "TriggerResult",
    "TumblingEventTimeWindows",
    "TumblingProcessingTimeWindows",
    "Window",
    "WindowAssigner",
    "WindowFunction",
]

#: Java's Long.MIN_VALUE / MAX_VALUE (no timestamp; end of time).
MIN_LONG_VALUE = -(1 << 63)
MAX_LONG_VALUE = (1 << 63) - 1

T = TypeVar("T")
W = TypeVar("W", bound="Window")
IN = TypeVar("IN")
OUT = TypeVar("OUT")
KEY = TypeVar("KEY")


def _millis(value: Any, what: str) -> int:
    """Milliseconds of a Time, Duration or int."""
    if value is None:
        return 0
    try:
        return Duration.of(value).to_millis()
    except TypeError:
        raise TypeError(f"{what} must be a Time, a Duration or milliseconds, "
                        f"got {value!r}") from None


_NO_TIMESTAMP = ("Record has Java Long.MIN_VALUE timestamp (= no timestamp marker). Is the time "
                 "characteristic set to 'ProcessingTime', or did you forget to call "
                 "'data_stream.assign_timestamps_and_watermarks(...)'?")


# -- windows --------------------------------------------------------------------
class Window(abc.ABC):
    """A finite bucket of elements with a maximum timestamp."""

    __slots__ = ()

    @abc.abstractmethod
    def max_timestamp(self) -> int:
        """The largest timestamp that still belongs to this window."""


class TimeWindow(Window):
    """The interval ``[start, end)`` (milliseconds)."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def max_timestamp(self) -> int:  # noqa: D102
        return self.end - 1

    def intersects(self, other: TimeWindow) -> bool:
        """Whether the windows overlap or touch."""
        return self.start <= other.end and self.end >= other.start

    def cover(self, other: TimeWindow) -> TimeWindow:
        """The smallest window covering both."""
        return TimeWindow(min(self.start, other.start), max(self.end, other.end))

    @staticmethod
    def get_window_start_with_offset(timestamp: int, offset: int, window_size: int) -> int:
        """The start of the window of size ``window_size`` (shifted by ``offset``) holding ``timestamp``."""
        return timestamp - (timestamp - offset + window_size) % window_size

    @staticmethod
    def merge_windows(windows: Iterable[TimeWindow],
                      callback: MergingWindowAssigner.MergeCallback) -> None:
        """Merge overlapping or touching windows (session windows)."""
        merged: list[tuple[TimeWindow, list[TimeWindow]]] = []
        current: TimeWindow | None = None
        members: list[TimeWindow] = []
        for candidate in sorted(windows, key=lambda w: (w.start, w.end)):
            if current is None:
                current, members = candidate, [candidate]
            elif current.intersects(candidate):
                current = current.cover(candidate)
                members.append(candidate)
            else:
                merged.append((current, members))
                current, members = candidate, [candidate]
        if current is not None:
            merged.append((current, members))
        for result, group in merged:
            if len(group) > 1:
                callback.merge(group, result)

    def __eq__(self, other: object) -> bool:
        return (other.__class__ is TimeWindow and self.start == other.start  # type: ignore[attr-defined]
                and self.end == other.end)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __lt__(self, other: TimeWindow) -> bool:
        return (self.start, self.end) < (other.start, other.end)

    def __repr__(self) -> str:
        return f"TimeWindow(start={self.start}, end={self.end})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TimeWindow, (self.start, self.end))


class CountWindow(Window):
    """A count window, identified by a number."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:  # noqa: A002 - PyFlink's name
        self.id = id

    def max_timestamp(self) -> int:  # noqa: D102
        return MAX_LONG_VALUE

    def __eq__(self, other: object) -> bool:
        return other.__class__ is CountWindow and self.id == other.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(("CountWindow", self.id))

    def __repr__(self) -> str:
        return f"CountWindow(id={self.id})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (CountWindow, (self.id,))


class GlobalWindow(Window):
    """The single window of GlobalWindows."""

    __slots__ = ()

    @staticmethod
    def get() -> GlobalWindow:
        """The global window."""
        return _GLOBAL_WINDOW

    def max_timestamp(self) -> int:  # noqa: D102
        return MAX_LONG_VALUE

    def __eq__(self, other: object) -> bool:
        return other.__class__ is GlobalWindow

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "GlobalWindow"

    def __reduce__(self) -> tuple[Any, ...]:
        return (GlobalWindow, ())


_GLOBAL_WINDOW = GlobalWindow()


class TimeWindowSerializer(TypeSerializer[TimeWindow]):
    """A TimeWindow as two big-endian longs (start, end), as PyFlink writes it."""

    def serialize(self, element: TimeWindow, stream: BytesIO) -> None:  # noqa: D102
        stream.write(struct.pack(">qq", element.start, element.end))

    def deserialize(self, stream: BytesIO) -> TimeWindow:  # noqa: D102
        start, end = struct.unpack(">qq", stream.read(16))
        return TimeWindow(start, end)


class CountWindowSerializer(TypeSerializer[CountWindow]):
    """A CountWindow as its id, one big-endian long."""

    def serialize(self, element: CountWindow, stream: BytesIO) -> None:  # noqa: D102
        stream.write(struct.pack(">q", element.id))

    def deserialize(self, stream: BytesIO) -> CountWindow:  # noqa: D102
        return CountWindow(struct.unpack(">q", stream.read(8))[0])


class GlobalWindowSerializer(TypeSerializer[GlobalWindow]):
    """The one GlobalWindow, as one zero byte."""

    def serialize(self, element: GlobalWindow, stream: BytesIO) -> None:  # noqa: D102
        stream.write(b"\x00")

    def deserialize(self, stream: BytesIO) -> GlobalWindow:  # noqa: D102
        stream.read(1)
        return GlobalWindow.get()


class TimestampedValue(Generic[T]):
    """An element with its timestamp, as evictors see it."""

    __slots__ = ("_timestamp", "_value")

    def __init__(self, value: T, timestamp: int | None = None) -> None:
        self._value = value
        self._timestamp = timestamp

    def get_value(self) -> T:
        """The element."""
        return self._value

    def get_timestamp(self) -> int:
        """The timestamp (Long.MIN_VALUE when there is none)."""
        return MIN_LONG_VALUE if self._timestamp is None else self._timestamp

    def has_timestamp(self) -> bool:
        """Whether the element has an event timestamp."""
        return self._timestamp is not None and self._timestamp != MIN_LONG_VALUE

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TimestampedValue) and self._value == other._value
                and self._timestamp == other._timestamp)

    def __repr__(self) -> str:
        return f"TimestampedValue({self._value!r}, {self._timestamp})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TimestampedValue, (self._value, self._timestamp))


# -- triggers -------------------------------------------------------------------
class TriggerResult(enum.Enum):
    """What a trigger decides: CONTINUE, FIRE, PURGE or FIRE_AND_PURGE."""

    CONTINUE = (False, False)
    FIRE_AND_PURGE = (True, True)
    FIRE = (True, False)
    PURGE = (False, True)

    def is_fire(self) -> bool:
        """Whether the window function runs."""
        return self.value[0]  # type: ignore[no-any-return]

    def is_purge(self) -> bool:
        """Whether the window's contents are cleared."""
        return self.value[1]  # type: ignore[no-any-return]


class Trigger(abc.ABC, Generic[T, W]):
    """Decides when a window (of one key) is evaluated or purged.

    A trigger must keep no state in its attributes: it is shared by all keys
    and windows. Use ``ctx.get_partitioned_state`` (scoped to key and window).
    """

    class TriggerContext(abc.ABC):
        """Timers and state of the key and window the trigger is called for."""

        @abc.abstractmethod
        def get_current_processing_time(self) -> int:
            """The current processing time (epoch ms)."""

        @abc.abstractmethod
        def get_metric_group(self) -> Any:
            """The operator's metric group."""

        @abc.abstractmethod
        def get_current_watermark(self) -> int:
            """The current event-time watermark."""

        @abc.abstractmethod
        def register_processing_time_timer(self, time: int) -> None:
            """Call ``on_processing_time`` when the clock reaches ``time``."""

        @abc.abstractmethod
        def register_event_time_timer(self, time: int) -> None:
            """Call ``on_event_time`` when the watermark reaches ``time``."""

        @abc.abstractmethod
        def delete_processing_time_timer(self, time: int) -> None:
            """Delete a processing-time timer of this key and window."""

        @abc.abstractmethod
        def delete_event_time_timer(self, time: int) -> None:
            """Delete an event-time timer of this key and window."""

        @abc.abstractmethod
        def get_partitioned_state(self, state_descriptor: StateDescriptor) -> State:
            """State scoped to the current key and window."""

    class OnMergeContext(TriggerContext):
        """The context of :meth:`Trigger.on_merge`."""

        @abc.abstractmethod
        def merge_partitioned_state(self, state_descriptor: StateDescriptor) -> None:
            """Merge the state of the merged windows into the new window."""

    @abc.abstractmethod
    def on_element(self, element: T, timestamp: int, window: W,
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        """An element was added to ``window``."""

    @abc.abstractmethod
    def on_processing_time(self, time: int, window: W,
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        """A processing-time timer of this trigger fired."""

    @abc.abstractmethod
    def on_event_time(self, time: int, window: W, ctx: Trigger.TriggerContext) -> TriggerResult:
        """An event-time timer of this trigger fired."""

    def can_merge(self) -> bool:
        """Whether the trigger supports merging windows (session windows)."""
        return False

    def on_merge(self, window: W, ctx: Trigger.OnMergeContext) -> None:
        """Windows were merged into ``window``."""
        raise RuntimeError(f"{type(self).__name__} does not support merging windows")

    @abc.abstractmethod
    def clear(self, window: W, ctx: Trigger.TriggerContext) -> None:
        """Drop the trigger's timers and state of ``window``."""


class _EventTimeDomain:
    """The clock (the watermark) and the timers of event-time triggers, which set no
    processing-time timers."""

    def on_processing_time(self, time: int, window: Any,  # noqa: D102
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.CONTINUE

    @staticmethod
    def _now(ctx: Trigger.TriggerContext) -> int:
        return ctx.get_current_watermark()

    @staticmethod
    def _register(ctx: Trigger.TriggerContext, time: int) -> None:
        ctx.register_event_time_timer(time)

    @staticmethod
    def _delete(ctx: Trigger.TriggerContext, time: int) -> None:
        ctx.delete_event_time_timer(time)


class _ProcessingTimeDomain:
    """The clock and the timers of processing-time triggers, which set no event-time
    timers."""

    def on_event_time(self, time: int, window: Any,  # noqa: D102
                      ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.CONTINUE

    @staticmethod
    def _now(ctx: Trigger.TriggerContext) -> int:
        return ctx.get_current_processing_time()

    @staticmethod
    def _register(ctx: Trigger.TriggerContext, time: int) -> None:
        ctx.register_processing_time_timer(time)

    @staticmethod
    def _delete(ctx: Trigger.TriggerContext, time: int) -> None:
        ctx.delete_processing_time_timer(time)


class _TimeDomainTrigger(Trigger[Any, TimeWindow]):
    """A trigger of time windows using the clock and timers of one time domain, which an
    ``_EventTimeDomain`` or ``_ProcessingTimeDomain`` mixed in before it supplies."""

    def _now(self, ctx: Trigger.TriggerContext) -> int:
        raise NotImplementedError

    def _register(self, ctx: Trigger.TriggerContext, time: int) -> None:
        raise NotImplementedError

    def _delete(self, ctx: Trigger.TriggerContext, time: int) -> None:
        raise NotImplementedError


class _WindowEndTrigger(_TimeDomainTrigger):
    """Merging and clearing of a trigger whose one timer is at the window's end."""

    def can_merge(self) -> bool:  # noqa: D102
        return True

    def on_merge(self, window: TimeWindow, ctx: Trigger.OnMergeContext) -> None:  # noqa: D102
        if window.max_timestamp() > self._now(ctx):
            self._register(ctx, window.max_timestamp())

    def clear(self, window: TimeWindow, ctx: Trigger.TriggerContext) -> None:  # noqa: D102
        self._delete(ctx, window.max_timestamp())


class EventTimeTrigger(_EventTimeDomain, _WindowEndTrigger):
    """Fires when the watermark passes the window's end (default of event-time assigners)."""

    def on_element(self, element: Any, timestamp: int, window: TimeWindow,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        if window.max_timestamp() <= ctx.get_current_watermark():
            return TriggerResult.FIRE  # late element within the allowed lateness
        ctx.register_event_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: TimeWindow,  # noqa: D102
                      ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.FIRE if time == window.max_timestamp() else TriggerResult.CONTINUE

    @staticmethod
    def create() -> EventTimeTrigger:
        """A new EventTimeTrigger."""
        return EventTimeTrigger()

    def __repr__(self) -> str:
        return "EventTimeTrigger()"


class ProcessingTimeTrigger(_ProcessingTimeDomain, _WindowEndTrigger):
    """Fires when the clock passes the window's end (default of processing-time assigners)."""

    def on_element(self, element: Any, timestamp: int, window: TimeWindow,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        ctx.register_processing_time_timer(window.max_timestamp())
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: TimeWindow,  # noqa: D102
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.FIRE

    @staticmethod
    def create() -> ProcessingTimeTrigger:
        """A new ProcessingTimeTrigger."""
        return ProcessingTimeTrigger()

    def __repr__(self) -> str:
        return "ProcessingTimeTrigger()"


def _min(a: int, b: int) -> int:
    return a if a <= b else b


class _ContinuousTrigger(_TimeDomainTrigger):
    """Fires every ``interval`` inside a window (state: the next fire time)."""

    def __init__(self, interval: int) -> None:
        if interval <= 0:
            raise ValueError(f"{type(self).__name__} needs a positive interval, got {interval}")
        self.interval = interval
        self.state_desc = ReducingStateDescriptor("fire-time", _min, None)

    def _next(self, time: int, window: TimeWindow, ctx: Trigger.TriggerContext,
              state: ReducingState) -> None:
        fire = min(time + self.interval, window.max_timestamp())
        state.add(fire)
        self._register(ctx, fire)

    def _start(self, time: int, window: TimeWindow, ctx: Trigger.TriggerContext) -> None:
        """Registers the first fire time of the window, on the interval grid after ``time``,
        unless one is registered."""
        state = ctx.get_partitioned_state(self.state_desc)
        if state.get() is None:  # type: ignore[attr-defined]
            self._next(time - (time % self.interval), window, ctx, state)  # type: ignore[arg-type]

    def _fire_if_due(self, time: int, window: TimeWindow,
                     ctx: Trigger.TriggerContext) -> TriggerResult:
        """FIRE if ``time`` is the registered fire time (registering the next one)."""
        state = ctx.get_partitioned_state(self.state_desc)
        if state.get() == time:  # type: ignore[attr-defined]
            state.clear()
            self._next(time, window, ctx, state)  # type: ignore[arg-type]
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:  # noqa: D102
        return True

    def on_merge(self, window: TimeWindow, ctx: Trigger.OnMergeContext) -> None:  # noqa: D102
        ctx.merge_partitioned_state(self.state_desc)
        fire = ctx.get_partitioned_state(self.state_desc).get()  # type: ignore[attr-defined]
        if fire is not None:
            self._register(ctx, fire)

    def clear(self, window: TimeWindow, ctx: Trigger.TriggerContext) -> None:  # noqa: D102
        state = ctx.get_partitioned_state(self.state_desc)
        fire = state.get()  # type: ignore[attr-defined]
        if fire is not None:
            self._delete(ctx, fire)
            state.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.of({self.interval})"


class ContinuousEventTimeTrigger(_EventTimeDomain, _ContinuousTrigger):
    """Fires every ``interval`` of event time, and at the window's end."""

    @staticmethod
    def of(interval: Any) -> ContinuousEventTimeTrigger:
        """A trigger firing every ``interval`` (Time, Duration or ms)."""
        return ContinuousEventTimeTrigger(_millis(interval, "ContinuousEventTimeTrigger interval"))

    def on_element(self, element: Any, timestamp: int, window: TimeWindow,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        if window.max_timestamp() <= ctx.get_current_watermark():
            return TriggerResult.FIRE
        ctx.register_event_time_timer(window.max_timestamp())
        self._start(timestamp, window, ctx)
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: TimeWindow,  # noqa: D102
                      ctx: Trigger.TriggerContext) -> TriggerResult:
        if time == window.max_timestamp():
            return TriggerResult.FIRE
        return self._fire_if_due(time, window, ctx)


class ContinuousProcessingTimeTrigger(_ProcessingTimeDomain, _ContinuousTrigger):
    """Fires every ``interval`` of processing time."""

    @staticmethod
    def of(interval: Any) -> ContinuousProcessingTimeTrigger:
        """A trigger firing every ``interval`` (Time, Duration or ms)."""
        return ContinuousProcessingTimeTrigger(
            _millis(interval, "ContinuousProcessingTimeTrigger interval"))

    def on_element(self, element: Any, timestamp: int, window: TimeWindow,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        self._start(ctx.get_current_processing_time(), window, ctx)
        return TriggerResult.CONTINUE

    def on_processing_time(self, time: int, window: TimeWindow,  # noqa: D102
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        return self._fire_if_due(time, window, ctx)


class PurgingTrigger(Trigger[Any, Any]):
    """Turns every FIRE of the nested trigger into FIRE_AND_PURGE."""

    def __init__(self, nested_trigger: Trigger) -> None:
        if not isinstance(nested_trigger, Trigger):
            raise TypeError(f"PurgingTrigger.of needs a Trigger, got {nested_trigger!r}")
        self.nested_trigger = nested_trigger

    @staticmethod
    def of(nested_trigger: Trigger) -> PurgingTrigger:
        """Wrap ``nested_trigger``."""
        return PurgingTrigger(nested_trigger)

    @staticmethod
    def _purging(result: TriggerResult) -> TriggerResult:
        return TriggerResult.FIRE_AND_PURGE if result.is_fire() else result

    def on_element(self, element: Any, timestamp: int, window: Any,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        return self._purging(self.nested_trigger.on_element(element, timestamp, window, ctx))

    def on_event_time(self, time: int, window: Any,  # noqa: D102
                      ctx: Trigger.TriggerContext) -> TriggerResult:
        return self._purging(self.nested_trigger.on_event_time(time, window, ctx))

    def on_processing_time(self, time: int, window: Any,  # noqa: D102
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        return self._purging(self.nested_trigger.on_processing_time(time, window, ctx))

    def can_merge(self) -> bool:  # noqa: D102
        return self.nested_trigger.can_merge()

    def on_merge(self, window: Any, ctx: Trigger.OnMergeContext) -> None:  # noqa: D102
        self.nested_trigger.on_merge(window, ctx)

    def clear(self, window: Any, ctx: Trigger.TriggerContext) -> None:  # noqa: D102
        self.nested_trigger.clear(window, ctx)

    def __repr__(self) -> str:
        return f"PurgingTrigger({self.nested_trigger!r})"


def _add(a: int, b: int) -> int:
    return a + b


class _TimerlessTrigger(Trigger[Any, Any]):
    """A trigger that sets no timers and can merge windows."""

    def on_processing_time(self, time: int, window: Any,  # noqa: D102
                           ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_event_time(self, time: int, window: Any,  # noqa: D102
                      ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.CONTINUE

    def can_merge(self) -> bool:  # noqa: D102
        return True


class CountTrigger(_TimerlessTrigger):
    """Fires each time the window has received ``window_size`` more elements."""

    def __init__(self, window_size: int) -> None:
        if int(window_size) <= 0:
            raise ValueError(f"CountTrigger needs a positive count, got {window_size}")
        self._window_size = int(window_size)
        self._count_state_descriptor = ReducingStateDescriptor("count", _add, None)

    @staticmethod
    def of(window_size: int) -> CountTrigger:
        """Fire every ``window_size`` elements."""
        return CountTrigger(window_size)

    def on_element(self, element: Any, timestamp: int, window: Any,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        count = ctx.get_partitioned_state(self._count_state_descriptor)
        count.add(1)  # type: ignore[attr-defined]
        if count.get() >= self._window_size:  # type: ignore[attr-defined]
            count.clear()
            return TriggerResult.FIRE
        return TriggerResult.CONTINUE

    def on_merge(self, window: Any, ctx: Trigger.OnMergeContext) -> None:  # noqa: D102
        ctx.merge_partitioned_state(self._count_state_descriptor)

    def clear(self, window: Any, ctx: Trigger.TriggerContext) -> None:  # noqa: D102
        ctx.get_partitioned_state(self._count_state_descriptor).clear()

    def __repr__(self) -> str:
        return f"CountTrigger({self._window_size})"


class NeverTrigger(_TimerlessTrigger):
    """Never fires (the default trigger of GlobalWindows)."""

    def on_element(self, element: Any, timestamp: int, window: Any,  # noqa: D102
                   ctx: Trigger.TriggerContext) -> TriggerResult:
        return TriggerResult.CONTINUE

    def on_merge(self, window: Any, ctx: Trigger.OnMergeContext) -> None:  # noqa: D102
        pass

    def clear(self, window: Any, ctx: Trigger.TriggerContext) -> None:  # noqa: D102
        pass

    @staticmethod
    def create() -> NeverTrigger:
        """A new NeverTrigger."""
        return NeverTrigger()


# -- evictors -------------------------------------------------------------------
class Evictor(abc.ABC, Generic[T, W]):
    """Removes elements from a window before and/or after the window function.

    ``elements`` is the window's list of :class:`TimestampedValue`; remove
    elements from it in place (``del elements[:n]``).
    """

    class EvictorContext(abc.ABC):
        """What an evictor can query."""

        @abc.abstractmethod
        def get_current_processing_time(self) -> int:
            """The current processing time."""

        @abc.abstractmethod
        def get_current_watermark(self) -> int:
            """The current watermark."""

    @abc.abstractmethod
    def evict_before(self, elements: list[TimestampedValue], size: int, window: W,
                     evictor_context: Evictor.EvictorContext) -> None:
        """Evict before the window function runs."""

    @abc.abstractmethod
    def evict_after(self, elements: list[TimestampedValue], size: int, window: W,
                    evictor_context: Evictor.EvictorContext) -> None:
        """Evict after the window function ran."""


class _BeforeOrAfterEvictor(Evictor[Any, Any]):
    """Evicts with ``_evict`` either before the window function or, with
    ``do_evict_after``, after it."""

    do_evict_after: bool

    def _evict(self, elements: list[TimestampedValue], size: int) -> None:
        raise NotImplementedError

    def evict_before(self, elements: list[TimestampedValue], size: int, window: Any,  # noqa: D102
                     evictor_context: Evictor.EvictorContext) -> None:
        if not self.do_evict_after:
            self._evict(elements, size)

    def evict_after(self, elements: list[TimestampedValue], size: int, window: Any,  # noqa: D102
                    evictor_context: Evictor.EvictorContext) -> None:
        if self.do_evict_after:
            self._evict(elements, size)


class CountEvictor(_BeforeOrAfterEvictor):
    """Keeps the last ``max_count`` elements."""

    def __init__(self, max_count: int, do_evict_after: bool = False) -> None:
        if int(max_count) < 0:
            raise ValueError(f"CountEvictor needs a non-negative count, got {max_count}")
        self.max_count = int(max_count)
        self.do_evict_after = do_evict_after

    @staticmethod
    def of(max_count: int, do_evict_after: bool = False) -> CountEvictor:
        """Keep ``max_count`` elements (evicting before the function, or after)."""
        return CountEvictor(max_count, do_evict_after)

    def _evict(self, elements: list[TimestampedValue], size: int) -> None:
        if size > self.max_count:
            del elements[:size - self.max_count]


class TimeEvictor(_BeforeOrAfterEvictor):
    """Keeps the elements within ``window_size`` of the newest element's timestamp."""

    def __init__(self, window_size: int, do_evict_after: bool = False) -> None:
        self.window_size = window_size
        self.do_evict_after = do_evict_after

    @staticmethod
    def of(window_size: Any, do_evict_after: bool = False) -> TimeEvictor:
        """Keep the last ``window_size`` (Time, Duration or ms) of event time."""
        return TimeEvictor(_millis(window_size, "TimeEvictor window_size"), do_evict_after)

    def _evict(self, elements: list[TimestampedValue], size: int) -> None:
        if not elements or not any(e.has_timestamp() for e in elements):
            return
        cutoff = max(e.get_timestamp() for e in elements) - self.window_size
        elements[:] = [e for e in elements if e.get_timestamp() > cutoff]


# -- assigners ------------------------------------------------------------------
class WindowAssigner(abc.ABC, Generic[T, W]):
    """Assigns each element to zero or more windows."""

    class WindowAssignerContext(abc.ABC):
        """What an assigner can query."""

        @abc.abstractmethod
        def get_current_processing_time(self) -> int:
            """The current processing time."""

        @abc.abstractmethod
        def get_runtime_context(self) -> RuntimeContext:
            """The operator's runtime context (keyed state of the element's key)."""

    @abc.abstractmethod
    def assign_windows(self, element: T, timestamp: int,
                       context: WindowAssigner.WindowAssignerContext) -> Collection[W]:
        """The windows of ``element``."""

    @abc.abstractmethod
    def get_default_trigger(self, env: Any = None) -> Trigger[T, W]:
        """The trigger used when none is set."""

    def get_window_serializer(self) -> TypeSerializer[W] | None:
        """The serializer of this assigner's windows (PyFlink's API; flink-py pickles
        windows, so it is never called for records)."""
        return None

    @abc.abstractmethod
    def is_event_time(self) -> bool:
        """Whether windows are based on event time."""


class MergingWindowAssigner(WindowAssigner[T, W]):
    """An assigner whose windows can merge (sessions)."""

    class MergeCallback(abc.ABC, Generic[W]):
        """Told which windows merge into which."""

        @abc.abstractmethod
        def merge(self, to_be_merged: Iterable[W], merge_result: W) -> None:
            """``to_be_merged`` become ``merge_result``."""

    @abc.abstractmethod
    def merge_windows(self, windows: Iterable[W],
                      callback: MergingWindowAssigner.MergeCallback) -> None:
        """Report the windows among ``windows`` that merge."""


class _EventOrProcessingTime:
    """Time handling shared by the tumbling, sliding and session assigners."""

    _event_time = True

    def _element_time(self, timestamp: int | None,
                      context: WindowAssigner.WindowAssignerContext) -> int:
        """The element's event timestamp, or the current processing time."""
        if not self._event_time:
            return context.get_current_processing_time()
        if timestamp is None or timestamp <= MIN_LONG_VALUE:
            raise RuntimeError(_NO_TIMESTAMP)
        return timestamp

    def get_default_trigger(self, env: Any = None) -> Trigger:  # noqa: D102
        return EventTimeTrigger() if self._event_time else ProcessingTimeTrigger()

    def is_event_time(self) -> bool:  # noqa: D102
        return self._event_time


class _TumblingWindows(_EventOrProcessingTime, WindowAssigner[Any, TimeWindow]):

    def __init__(self, size: int, offset: int = 0) -> None:
        if size <= 0 or abs(offset) >= size:
            raise ValueError(f"{type(self).__name__} parameters must satisfy "
                             f"abs(offset) < size and size > 0, got size={size}, offset={offset}")
        self._size = size
        self._offset = offset

    @classmethod
    def of(cls, size: Any, offset: Any = None) -> Any:
        """Windows of ``size`` (Time, Duration or ms), starts shifted by ``offset``."""
        return cls(_millis(size, f"{cls.__name__} size"), _millis(offset, f"{cls.__name__} offset"))

    def assign_windows(self, element: Any, timestamp: int,  # noqa: D102
                       context: WindowAssigner.WindowAssignerContext) -> list[TimeWindow]:
        timestamp = self._element_time(timestamp, context)
        start = timestamp - (timestamp - self._offset + self._size) % self._size
        return [TimeWindow(start, start + self._size)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._size}, {self._offset})"


class TumblingEventTimeWindows(_TumblingWindows):
    """Fixed-size, non-overlapping windows by event time."""


class TumblingProcessingTimeWindows(_TumblingWindows):
    """Fixed-size, non-overlapping windows by processing time."""

    _event_time = False


class _SlidingWindows(_EventOrProcessingTime, WindowAssigner[Any, TimeWindow]):
    def __init__(self, size: int, slide: int, offset: int = 0) -> None:
        if size <= 0 or slide <= 0 or abs(offset) >= slide:
            raise ValueError(f"{type(self).__name__} parameters must satisfy "
                             f"abs(offset) < slide and size > 0 and slide > 0, got size={size}, "
                             f"slide={slide}, offset={offset}")
        self._size = size
        self._slide = slide
        self._offset = offset

    @classmethod
    def of(cls, size: Any, slide: Any, offset: Any = None) -> Any:
        """Windows of ``size`` every ``slide`` (Time, Duration or ms), shifted by ``offset``."""
        name = cls.__name__
        return cls(_millis(size, f"{name} size"), _millis(slide, f"{name} slide"),
                   _millis(offset, f"{name} offset"))

    def assign_windows(self, element: Any, timestamp: int,  # noqa: D102
                       context: WindowAssigner.WindowAssignerContext) -> list[TimeWindow]:
        timestamp = self._element_time(timestamp, context)
        size, slide = self._size, self._slide
        start = timestamp - (timestamp - self._offset + slide) % slide
        windows = []
        while start > timestamp - size:
            windows.append(TimeWindow(start, start + size))
            start -= slide
        return windows

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._size}, {self._slide}, {self._offset})"


class SlidingEventTimeWindows(_SlidingWindows):
    """Windows of a fixed size starting every ``slide``, by event time."""


class SlidingProcessingTimeWindows(_SlidingWindows):
    """Windows of a fixed size starting every ``slide``, by processing time."""

    _event_time = False


class SessionWindowTimeGapExtractor(abc.ABC):
    """Gives the session gap of an element (dynamic session windows)."""

    @abc.abstractmethod
    def extract(self, element: Any) -> int:
        """The gap in milliseconds."""


class _SessionWindows(_EventOrProcessingTime, MergingWindowAssigner[Any, TimeWindow]):
    def __init__(self, gap: int | None = None,
                 extractor: SessionWindowTimeGapExtractor | Callable[[Any], int] | None = None
                 ) -> None:
        if extractor is None and (gap is None or gap <= 0):
            raise ValueError(f"{type(self).__name__} parameters must satisfy 0 < gap, got {gap}")
        self._gap = gap
        self._extractor = (extractor.extract if isinstance(extractor, SessionWindowTimeGapExtractor)
                           else extractor)

    @classmethod
    def with_gap(cls, size: Any) -> Any:
        """Sessions closing after ``size`` (Time, Duration or ms) without elements."""
        return cls(_millis(size, f"{cls.__name__} gap"))

    @classmethod
    def with_dynamic_gap(cls, extractor: SessionWindowTimeGapExtractor | Callable[[Any], int]
                         ) -> Any:
        """Sessions whose gap ``extractor`` computes per element (ms)."""
        if not (isinstance(extractor, SessionWindowTimeGapExtractor) or callable(extractor)):
            raise TypeError("with_dynamic_gap needs a SessionWindowTimeGapExtractor or a "
                            f"callable, got {extractor!r}")
        return cls(None, extractor)

    def assign_windows(self, element: Any, timestamp: int,  # noqa: D102
                       context: WindowAssigner.WindowAssignerContext) -> list[TimeWindow]:
        timestamp = self._element_time(timestamp, context)
        gap = self._gap
        if self._extractor is not None:
            gap = int(self._extractor(element))
            if gap <= 0:
                raise ValueError(f"{type(self).__name__}: the session gap extractor returned "
                                 f"{gap} for {element!r}; gaps must be positive")
        return [TimeWindow(timestamp, timestamp + gap)]  # type: ignore[operator]

    def merge_windows(self, windows: Iterable[TimeWindow],  # noqa: D102
                      callback: MergingWindowAssigner.MergeCallback) -> None:
        TimeWindow.merge_windows(windows, callback)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._gap})"


class EventTimeSessionWindows(_SessionWindows):
    """Session windows by event time."""


class ProcessingTimeSessionWindows(_SessionWindows):
    """Session windows by processing time."""

    _event_time = False


class DynamicEventTimeSessionWindows(EventTimeSessionWindows):
    """Event-time sessions with per-element gaps (``EventTimeSessionWindows.with_dynamic_gap``)."""


class DynamicProcessingTimeSessionWindows(ProcessingTimeSessionWindows):
    """Processing-time sessions with per-element gaps."""


class GlobalWindows(WindowAssigner[Any, GlobalWindow]):
    """Every element of a key in one window; the default trigger never fires."""

    def assign_windows(self, element: Any, timestamp: int,  # noqa: D102
                       context: WindowAssigner.WindowAssignerContext) -> list[GlobalWindow]:
        return [_GLOBAL_WINDOW]

    def get_default_trigger(self, env: Any = None) -> Trigger:  # noqa: D102
        return NeverTrigger()

    def is_event_time(self) -> bool:  # noqa: D102
        return False

    @staticmethod
    def create() -> GlobalWindows:
        """A new GlobalWindows assigner."""
        return GlobalWindows()

    def __repr__(self) -> str:
        return "GlobalWindows()"


class _CountWindows(WindowAssigner[Any, CountWindow]):
    """Count windows numbered by each key's element count (kept in keyed state)."""

    _state_name = ""

    def __init__(self, window_size: int, window_slide: int) -> None:
        if int(window_size) <= 0 or int(window_slide) <= 0:
            raise ValueError(f"{type(self).__name__}: window size and slide must be positive, "
                             f"got {window_size}, {window_slide}")
        self._window_size = int(window_size)
        self._window_slide = int(window_slide)
        self._count_descriptor = ValueStateDescriptor(self._state_name, None)

    def assign_windows(self, element: Any, timestamp: int,  # noqa: D102
                       context: WindowAssigner.WindowAssignerContext) -> list[CountWindow]:
        state = context.get_runtime_context().get_state(self._count_descriptor)
        count = state.value() or 0
        state.update(count + 1)
        self.last_count = count  # scratch for the operator: the element's index in its key
        size, slide = self._window_size, self._window_slide
        lowest = max(0, (count - size) // slide + 1)
        return [CountWindow(i) for i in range(count // slide, lowest - 1, -1)]

    def closes(self, window: CountWindow, element_index: int) -> bool:
        """Whether ``element_index`` (0-based per key) is the last element of ``window``."""
        return element_index == window.id * self._window_slide + self._window_size - 1

    def get_default_trigger(self, env: Any = None) -> Trigger:  # noqa: D102
        return CountTrigger(self._window_size)

    def is_event_time(self) -> bool:  # noqa: D102
        return False


class CountTumblingWindowAssigner(_CountWindows):
    """The i-th element of a key goes to CountWindow(i // size); fires at ``size`` elements."""

    _state_name = "tumble-count-assigner"

    def __init__(self, window_size: int) -> None:
        super().__init__(window_size, window_size)

    @staticmethod
    def of(window_size: int) -> CountTumblingWindowAssigner:
        """Windows of ``window_size`` elements."""
        return CountTumblingWindowAssigner(window_size)

    def __repr__(self) -> str:
        return f"CountTumblingWindowAssigner({self._window_size})"


class CountSlidingWindowAssigner(_CountWindows):
    """The i-th element of a key goes to every CountWindow(k) with k*slide <= i < k*slide+size."""

    _state_name = "slide-count-assigner"

    @staticmethod
    def of(window_size: int, window_slide: int) -> CountSlidingWindowAssigner:
        """Windows of ``window_size`` elements starting every ``window_slide`` elements."""
        return CountSlidingWindowAssigner(window_size, window_slide)

    def __repr__(self) -> str:
        return f"CountSlidingWindowAssigner({self._window_size}, {self._window_slide})"


# -- window functions (pyflink.datastream.functions) ------------------------------
class ProcessWindowFunction(Function, Generic[IN, OUT, KEY, W]):
    """Gets all elements of a window of one key, with a context."""

    class Context(abc.ABC, Generic[W]):
        """The window being evaluated, time and state."""

        @abc.abstractmethod
        def window(self) -> W:
            """The window being evaluated."""

        @abc.abstractmethod
        def current_processing_time(self) -> int:
            """The current processing time."""

        @abc.abstractmethod
        def current_watermark(self) -> int:
            """The current watermark."""

        @abc.abstractmethod
        def window_state(self) -> KeyedStateStore:
            """State of this key and window (cleared with the window by :meth:`clear`)."""

        @abc.abstractmethod
        def global_state(self) -> KeyedStateStore:
            """State of this key across all windows."""

        @abc.abstractmethod
        def output(self, output_tag: Any, value: Any) -> None:
            """Emit ``value`` to a side output."""

    @abc.abstractmethod
    def process(self, key: Any, context: ProcessWindowFunction.Context,
                elements: Iterable[T]) -> Iterable[Any] | None:
        """Evaluate the window; yield (or return) the outputs."""

    def clear(self, context: ProcessWindowFunction.Context) -> None:  # noqa: B027
        """The window is purged: delete its per-window state."""


class ProcessAllWindowFunction(Function, Generic[IN, OUT, W]):
    """``window_all`` form of :class:`ProcessWindowFunction` (no key)."""

    Context = ProcessWindowFunction.Context

    @abc.abstractmethod
    def process(self, context: ProcessWindowFunction.Context,
                elements: Iterable[T]) -> Iterable[Any] | None:
        """Evaluate the window; yield (or return) the outputs."""

    def clear(self, context: ProcessWindowFunction.Context) -> None:  # noqa: B027
        """The window is purged: delete its per-window state."""


class WindowFunction(Function, Generic[IN, OUT, KEY, W]):
    """The legacy window function: ``apply(key, window, inputs)``."""

    @abc.abstractmethod
    def apply(self, key: Any, window: W, inputs: Iterable[T]) -> Iterable[Any] | None:
        """Evaluate the window; yield (or return) the outputs."""


class AllWindowFunction(Function, Generic[IN, OUT, W]):
    """``window_all`` form of :class:`WindowFunction`: ``apply(window, inputs)``."""

    @abc.abstractmethod
    def apply(self, window: W, inputs: Iterable[T]) -> Iterable[Any] | None:
        """Evaluate the window; yield (or return) the outputs."""
