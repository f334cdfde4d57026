"""Broadcast-state operators: ``stream.connect(other.broadcast(descriptor)).process(...)``.

Input 1 is the non-broadcast stream, input 2 the broadcast stream, whose
every element reaches every parallel instance. ``process_broadcast_element``
reads and writes the broadcast state; ``process_element`` only reads it.
On a keyed input 1 (``KeyedBroadcastProcessFunction``), ``process_element``
also has keyed state and timers of the record's key.
"""

from __future__ import annotations

from typing import Any

from flink_py.datastream.functions import (
    BroadcastProcessFunction,
    Function,
    KeyedBroadcastProcessFunction,
)
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.state import BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState
from flink_py.datastream.time_domain import TimeDomain
from flink_py.datastream.timerservice import TimerService
from flink_py.taskmanager.operators.base import TwoInputStreamOperator
from flink_py.taskmanager.operators.co import run_batch
from flink_py.taskmanager.operators.process import Emitter, UserTimersOperator
from flink_py.taskmanager.operators.timers import LONG_MIN as NO_TIMESTAMP
from flink_py.taskmanager.operators.timers import NonKeyedTimerService
from flink_py.taskmanager.state import BroadcastStateStore

__all__ = ["BroadcastProcessOperator", "KeyedBroadcastProcessOperator"]


def _functions(func: Any, keyed: bool) -> tuple[Any, Any, Function | None]:
    cls = KeyedBroadcastProcessFunction if keyed else BroadcastProcessFunction
    other = BroadcastProcessFunction if keyed else KeyedBroadcastProcessFunction
    if isinstance(func, other):
        side = "keyed" if keyed else "non-keyed"
        msg = (f"{other.__name__} cannot be applied to a {side} DataStream; "
               f"use a {cls.__name__}")
        raise TypeError(msg)
    m1 = getattr(func, "process_element", None)
    m2 = getattr(func, "process_broadcast_element", None)
    if not (callable(m1) and callable(m2)):
        raise TypeError(f"The input must be a {cls.__name__}, got {type(func).__name__}")
    return m1, m2, func if isinstance(func, Function) else None


class _Base:
    """What both contexts share: time, timestamp and side outputs."""

    def __init__(self, emitter: Emitter, timers: TimerService,
                 states: BroadcastStateStore) -> None:
        self._emitter = emitter
        self._timers = timers
        self._states = states

    def timestamp(self) -> int:
        """The element's (or firing timer's) timestamp; Long.MIN_VALUE when it has none.

        PyFlink (process mode) hands its functions the Java long: a record without a
        timestamp shows ``-9223372036854775808``, not None.
        """
        ts = self._emitter.timestamp
        return NO_TIMESTAMP if ts is None else ts

    def current_processing_time(self) -> int:
        return self._timers.current_processing_time()

    def current_watermark(self) -> int:
        return self._timers.current_watermark()

    def output(self, output_tag: OutputTag, value: Any) -> None:
        self._emitter.side_output(output_tag, value)


class _Context(_Base, KeyedBroadcastProcessFunction.Context, BroadcastProcessFunction.Context):
    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> BroadcastState:
        return self._states.get_broadcast_state(state_descriptor)


class _ReadOnlyContext(_Base, BroadcastProcessFunction.ReadOnlyContext):
    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> ReadOnlyBroadcastState:
        return self._states.get_read_only_broadcast_state(state_descriptor)


class _KeyedReadOnlyContext(_Base, KeyedBroadcastProcessFunction.OnTimerContext):
    def __init__(self, emitter: Emitter, op: KeyedBroadcastProcessOperator) -> None:
        super().__init__(emitter, op.timer_service, op.broadcast_states)
        self._op = op
        self.domain = TimeDomain.EVENT_TIME

    def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> ReadOnlyBroadcastState:
        return self._states.get_read_only_broadcast_state(state_descriptor)

    def timer_service(self) -> TimerService:
        return self._timers

    def get_current_key(self) -> Any:
        return self._op.backend.get_current_key()

    def time_domain(self) -> TimeDomain:
        return self.domain


class BroadcastProcessOperator(TwoInputStreamOperator):
    """A BroadcastProcessFunction on a non-keyed stream and a broadcast stream."""

    def __init__(self, func: Any, descriptors: list[MapStateDescriptor]) -> None:
        super().__init__()
        self.f1, self.f2, self.user_function = _functions(func, keyed=False)
        self.descriptors = list(descriptors)
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' function")
        self.broadcast_states = BroadcastStateStore(self.descriptors)
        timers = self.timers = NonKeyedTimerService(self.ctx.processing_time_service)
        self.read_only_context = _ReadOnlyContext(self.emitter, timers, self.broadcast_states)
        self.context = _Context(self.emitter, timers, self.broadcast_states)
        super().open()

    def process_watermark(self, watermark: int) -> None:  # noqa: D102
        self.timers.advance_watermark(watermark)
        self.output.emit_watermark(watermark)

    def process_batch1(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f1, self.read_only_context, self.emitter, values, timestamps)

    def process_batch2(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f2, self.context, self.emitter, values, timestamps)


class KeyedBroadcastProcessOperator(UserTimersOperator, TwoInputStreamOperator):
    """A KeyedBroadcastProcessFunction on a keyed stream and a broadcast stream."""

    def __init__(self, key_selector: Any, func: Any,
                 descriptors: list[MapStateDescriptor]) -> None:
        super().__init__(key_selector)
        self.f1, self.f2, self.user_function = _functions(func, keyed=True)
        self.on_timer = getattr(self.user_function, "on_timer", None)
        self.descriptors = list(descriptors)
        self.side_output_types: dict[str, Any] = {}

    def open(self) -> None:  # noqa: D102
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' function")
        self.broadcast_states = BroadcastStateStore(self.descriptors)
        super().open()  # creates the keyed backend and timer service, opens the function
        self.read_only_context = _KeyedReadOnlyContext(self.emitter, self)
        self.timer_context = _KeyedReadOnlyContext(self.emitter, self)
        self.context = _Context(self.emitter, self.timer_service, self.broadcast_states)

    def process_batch1(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f1, self.read_only_context, self.emitter, values, timestamps,
                  self.key_selector, self.backend.set_current_key)

    def process_batch2(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        run_batch(self.f2, self.context, self.emitter, values, timestamps)
