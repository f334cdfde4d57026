"""Flink's WindowOperator (and EvictingWindowOperator) for one key-partitioned input.

State, all in the operator's keyed state backend (so it is snapshotted with
the keyed state):

* ``_window_contents``: ``(key, window) -> contents`` (an accumulator, or a
  list of elements; a list of ``TimestampedValue`` with an evictor);
* ``_merging_windows``: ``key -> [window, ...]``, the live session windows
  of merging assigners;
* trigger state (``get_partitioned_state``) and the function's
  ``window_state`` under ``(key, window)``; ``global_state`` under ``key``.

Timers live in the operator's :class:`InternalTimerService`, scoped by
``(key, window)`` (Flink's key and namespace), deduplicated per timestamp;
a timer belongs to its key's key group, the window travels with it.
Every window registers a cleanup timer at ``max_timestamp + allowed
lateness`` (event time) or ``max_timestamp`` (processing time), which purges
its contents and trigger state. Merged windows move their contents and
trigger state into the merge result (Flink keeps a state-window mapping
instead; the observable behaviour is the same).

Results carry the window's ``max_timestamp()`` as timestamp. Elements late
for all their windows go to the late-data side output, or are counted in
``numLateRecordsDropped``.
"""

from __future__ import annotations

from typing import Any

from flink_py.datastream.functions import Function, KeyedStateStore, RuntimeContext
from flink_py.datastream.output_tag import OutputTag
from flink_py.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    ReducingStateDescriptor,
    StateDescriptor,
    ValueStateDescriptor,
)
from flink_py.datastream.window import (
    CountTrigger,
    Evictor,
    MergingWindowAssigner,
    ProcessWindowFunction,
    PurgingTrigger,
    TimestampedValue,
    Trigger,
    WindowAssigner,
)
from flink_py.taskmanager.operators.keyed import AbstractKeyedOperator
from flink_py.taskmanager.operators.process import Emitter
from flink_py.taskmanager.operators.timers import LONG_MAX, LONG_MIN, InternalTimerService
from flink_py.taskmanager.operators.window.contents import WindowContents
from flink_py.taskmanager.operators.window.namespaced import (
    MISSING,
    NamespacedTable,
    namespaced_state,
)

__all__ = ["WindowOperator"]


class _Namespace:
    """The timer service's key context: ``(key, window)`` of the current call."""

    __slots__ = ("current_key",)

    def __init__(self) -> None:
        self.current_key: Any = None


class _ScopedStore(KeyedStateStore):
    """Keyed state under a name prefix and a scope (window state, global state)."""

    def __init__(self, op: WindowOperator, prefix: str, scope: Any) -> None:
        self._op = op
        self._prefix = prefix
        self._scope = scope

    def _get(self, method: str, descriptor: StateDescriptor) -> Any:
        return self._op.scoped_state(method, descriptor, self._prefix, self._scope)

    def get_state(self, state_descriptor: Any) -> Any:  # noqa: D102
        return self._get("get_state", state_descriptor)

    def get_list_state(self, state_descriptor: Any) -> Any:  # noqa: D102
        return self._get("get_list_state", state_descriptor)

    def get_map_state(self, state_descriptor: Any) -> Any:  # noqa: D102
        return self._get("get_map_state", state_descriptor)

    def get_reducing_state(self, state_descriptor: Any) -> Any:  # noqa: D102
        return self._get("get_reducing_state", state_descriptor)

    def get_aggregating_state(self, state_descriptor: Any) -> Any:  # noqa: D102
        return self._get("get_aggregating_state", state_descriptor)


_STATE_METHODS = {
    ValueStateDescriptor: "get_state",
    ListStateDescriptor: "get_list_state",
    ReducingStateDescriptor: "get_reducing_state",
    AggregatingStateDescriptor: "get_aggregating_state",
}


class _WindowContext(Trigger.OnMergeContext, Evictor.EvictorContext,
                     WindowAssigner.WindowAssignerContext, ProcessWindowFunction.Context):
    """One reusable context for triggers, evictors, assigners and window functions."""

    def __init__(self, op: WindowOperator) -> None:
        self._op = op
        self.key: Any = None
        self.win: Any = None
        self.merged: list[Any] = []

    # -- time ----------------------------------------------------------------
    def get_current_processing_time(self) -> int:  # noqa: D102
        return self._op.timer_service.current_processing_time()

    current_processing_time = get_current_processing_time

    def get_current_watermark(self) -> int:  # noqa: D102
        return self._op.timer_service.current_watermark()

    current_watermark = get_current_watermark

    def get_metric_group(self) -> Any:  # noqa: D102
        return self._op.ctx.get_metric_group()

    def get_runtime_context(self) -> RuntimeContext:  # noqa: D102
        return self._op.rc

    # -- timers of (key, window) ---------------------------------------------
    def _timers(self) -> InternalTimerService:
        self._op.namespace.current_key = (self.key, self.win)
        return self._op.timer_service

    def register_processing_time_timer(self, time: int) -> None:  # noqa: D102
        self._timers().register_processing_time_timer(time)

    def register_event_time_timer(self, time: int) -> None:  # noqa: D102
        self._timers().register_event_time_timer(time)

    def delete_processing_time_timer(self, time: int) -> None:  # noqa: D102
        self._timers().delete_processing_time_timer(time)

    def delete_event_time_timer(self, time: int) -> None:  # noqa: D102
        self._timers().delete_event_time_timer(time)

    # -- state -------------------------------------------------------------------
    def get_partitioned_state(self, state_descriptor: StateDescriptor) -> Any:  # noqa: D102
        method = _STATE_METHODS.get(type(state_descriptor), "get_map_state")
        return self._op.scoped_state(method, state_descriptor, "_trigger:",
                                     (self.key, self.win))

    def merge_partitioned_state(self, state_descriptor: StateDescriptor) -> None:  # noqa: D102
        if isinstance(state_descriptor, ReducingStateDescriptor):
            reduce = state_descriptor.get_reduce_function()
            reduce = getattr(reduce, "reduce", reduce)
        elif isinstance(state_descriptor, AggregatingStateDescriptor):
            reduce = state_descriptor.get_agg_function().merge
        elif isinstance(state_descriptor, ListStateDescriptor):
            reduce = list.__add__
        else:
            raise TypeError(f"merge_partitioned_state needs a reducing, aggregating or list "
                            f"state descriptor, got {type(state_descriptor).__name__}")
        table: NamespacedTable = self.get_partitioned_state(state_descriptor)._table  # noqa: SLF001
        key, target = self.key, self.win
        merged = table.get(key, target)
        for window in self.merged:
            if window == target:
                continue
            value = table.remove(key, window)
            if value is not MISSING:
                merged = value if merged is MISSING else reduce(merged, value)
        if merged is not MISSING:
            table.put(key, target, merged)

    # -- window function ---------------------------------------------------------
    def window(self) -> Any:  # noqa: D102
        return self.win

    def window_state(self) -> KeyedStateStore:  # noqa: D102
        if self._op.merging:  # as Flink's MergingWindowStateStore
            raise RuntimeError("Per-window state is not allowed when using merging windows.")
        return _ScopedStore(self._op, "_window:", (self.key, self.win))

    def global_state(self) -> KeyedStateStore:  # noqa: D102
        return _ScopedStore(self._op, "", self.key)

    def output(self, output_tag: Any, value: Any) -> None:  # noqa: D102
        self._op.emitter.side_output(output_tag, value)


class _MergeCollector(MergingWindowAssigner.MergeCallback):
    def __init__(self) -> None:
        self.results: list[tuple[list[Any], Any]] = []

    def merge(self, to_be_merged: Any, merge_result: Any) -> None:
        self.results.append((list(to_be_merged), merge_result))


class WindowOperator(AbstractKeyedOperator):
    """Windows of a keyed stream (or of a whole stream under one key, for ``window_all``).

    Args:
        key_selector: the stream's key selector.
        assigner: the WindowAssigner.
        trigger: the Trigger (the assigner's default when None).
        contents: how windows accumulate (reduce, aggregate, list).
        function: the window function: None (emit the incremental result),
            a ProcessWindowFunction / ProcessAllWindowFunction (``kind``
            ``process``), or a WindowFunction / AllWindowFunction (``apply``).
        kind: ``pass``, ``process`` or ``apply``.
        keyed: False for ``window_all`` (functions get no key).
        evictor: an Evictor, or None.
        allowed_lateness: milliseconds (event time only).
        late_tag: OutputTag for late elements, or None.
    """

    #: Timers are scoped by ``(key, window)`` (the timer service is namespaced): they
    #: snapshot the key apart, so a restore puts them back under their own key and window
    #: and a rescaled restore hands them to the subtask owning the key's key group.
    namespaced_timers = True

    def __init__(self, key_selector: Any, assigner: WindowAssigner, trigger: Trigger | None,
                 contents: WindowContents, function: Any = None, kind: str = "pass",
                 keyed: bool = True, evictor: Evictor | None = None, allowed_lateness: int = 0,
                 late_tag: OutputTag | None = None) -> None:
        super().__init__(key_selector)
        if not isinstance(assigner, WindowAssigner):
            raise TypeError(f"window() needs a WindowAssigner, got {assigner!r}")
        self.assigner = assigner
        self.trigger = trigger if trigger is not None else assigner.get_default_trigger(None)
        self.merging = isinstance(assigner, MergingWindowAssigner)
        if self.merging and not self.trigger.can_merge():
            raise TypeError(f"A merging window assigner ({assigner!r}) cannot be used with a "
                            f"trigger that does not support merging ({self.trigger!r})")
        self.event_time = assigner.is_event_time()
        self.contents = contents
        self.function = function
        self.kind = kind
        self.keyed = keyed
        self.evictor = evictor
        self.allowed_lateness = int(allowed_lateness)
        if self.allowed_lateness < 0:
            raise ValueError(f"The allowed lateness cannot be negative, got {allowed_lateness}")
        self.late_tag = late_tag
        self.side_output_types: dict[str, Any] = {}
        # Count windows are complete after their last element: drop them then.
        nested = self.trigger.nested_trigger if isinstance(self.trigger, PurgingTrigger) else None
        self._closes = getattr(assigner, "closes", None) if (
            isinstance(self.trigger, CountTrigger) or isinstance(nested, CountTrigger)) else None

    # -- lifecycle -----------------------------------------------------------------
    def _functions(self) -> list[Function]:
        found = [self.contents.function, self.function]
        return [f for f in found if isinstance(f, Function)]

    def open(self) -> None:  # noqa: D102
        super().open()
        self.namespace = _Namespace()
        self.timer_service = InternalTimerService(self.namespace,
                                                  self.ctx.processing_time_service, self,
                                                  namespaced=self.namespaced_timers,
                                                  batch=self.ctx.runtime_mode == "BATCH")
        backend = self.backend
        self._state_cache: dict[tuple[str, str, str], Any] = {}
        self.windows = NamespacedTable(backend, "_window_contents")
        self.merging_state = backend.get_internal_value_state(
            ValueStateDescriptor("_merging_windows", None))
        self.emitter = Emitter(self.output, f"'{self.ctx.operator_name}' window function")
        self.context = _WindowContext(self)
        self.rc = self.runtime_context()
        self.late_dropped = self.ctx.get_metric_group().counter("numLateRecordsDropped")
        if self.kind == "process":
            self._call = self.function.process
        elif self.kind == "apply":
            self._call = self.function.apply
        for fn in self._functions():
            fn.open(self.rc)

    def close(self) -> None:  # noqa: D102
        try:
            for fn in self._functions():
                fn.close()
        finally:
            super().close()

    def scoped_state(self, method: str, descriptor: StateDescriptor, prefix: str,
                     scope: Any) -> Any:
        """The handle of ``descriptor``: under ``(key, window)`` with a name prefix, else the key's."""
        if not isinstance(descriptor, StateDescriptor):
            raise TypeError(f"expected a state descriptor, got {descriptor!r}")
        if not prefix:
            return getattr(self.backend, method)(descriptor)
        cache_key = (prefix, descriptor.name, method)
        handle = self._state_cache.get(cache_key)
        if handle is None:
            table = NamespacedTable(self.backend, prefix + descriptor.name)
            handle = namespaced_state(method, table, descriptor)
            self._state_cache[cache_key] = handle
        handle.scope = scope
        return handle

    # -- elements ------------------------------------------------------------------
    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        em = self.emitter
        em.start(True)
        key_of, set_key = self.key_selector, self.backend.set_current_key
        element = self._process_element
        if timestamps is None:
            for v in values:
                key = key_of(v)
                set_key(key)
                element(key, v, LONG_MIN)
        else:
            for v, ts in zip(values, timestamps):
                key = key_of(v)
                set_key(key)
                element(key, v, ts)
        em.flush()

    def _cleanup_time(self, window: Any) -> int:
        if self.event_time:
            t = window.max_timestamp() + self.allowed_lateness
            return t if t <= LONG_MAX else LONG_MAX
        return window.max_timestamp()  # type: ignore[no-any-return]

    def _process_element(self, key: Any, value: Any, ts: int) -> None:
        ctx = self.context
        ctx.key = key
        windows = self.assigner.assign_windows(value, ts, ctx)
        watermark = self.timer_service.current_watermark_value
        event_time = self.event_time
        skipped = True
        if self.merging:
            live = self.merging_state.get_internal(key) or []
            for window in windows:
                actual = self._add_merging_window(key, live, window, watermark)
                if event_time and self._cleanup_time(actual) <= watermark:
                    live.remove(actual)  # late: retire the window
                    continue
                skipped = False
                self._add(key, actual, value, ts)
            if live:
                self.merging_state.put_internal(key, live)
            else:
                self._clear_under(self.merging_state, key)
        else:
            for window in windows:
                if event_time and self._cleanup_time(window) <= watermark:
                    continue
                skipped = False
                self._add(key, window, value, ts)
            if self._closes is not None:
                last = self.assigner.last_count  # type: ignore[attr-defined]
                for window in windows:
                    if self._closes(window, last):
                        self._retire(key, window)
        if skipped and event_time and ts + self.allowed_lateness <= watermark:
            if self.late_tag is not None:
                em = self.emitter
                em.timestamp = ts
                em.side_output(self.late_tag, value)
            else:
                self.late_dropped.inc()

    def _add(self, key: Any, window: Any, value: Any, ts: int) -> None:
        windows = self.windows
        acc = windows.get(key, window)
        if self.evictor is not None:
            item = TimestampedValue(value, None if ts == LONG_MIN else ts)
            if acc is MISSING:
                acc = [item]
            else:
                acc.append(item)
            windows.put(key, window, acc)
        else:
            windows.put(key, window, self.contents.add(acc, value))
        ctx = self.context
        ctx.win = window
        result = self.trigger.on_element(value, ts, window, ctx)
        fire, purge = result.value
        if fire:
            self._emit(key, window, windows.get(key, window))
        if purge:
            self._clear_contents(key, window)
        self._register_cleanup_timer(key, window)

    def _register_cleanup_timer(self, key: Any, window: Any) -> None:
        t = self._cleanup_time(window)
        if t == LONG_MAX:
            return
        self.namespace.current_key = (key, window)
        if self.event_time:
            self.timer_service.register_event_time_timer(t)
        else:
            self.timer_service.register_processing_time_timer(t)

    def _delete_cleanup_timer(self, key: Any, window: Any) -> None:
        t = self._cleanup_time(window)
        if t == LONG_MAX:
            return
        self.namespace.current_key = (key, window)
        if self.event_time:
            self.timer_service.delete_event_time_timer(t)
        else:
            self.timer_service.delete_processing_time_timer(t)

    def _clear_contents(self, key: Any, window: Any) -> None:
        self.windows.remove(key, window)

    def _clear_under(self, state: Any, scope: Any) -> None:
        """Remove the value ``state`` holds under ``scope`` (the backend's own ``clear``)."""
        backend = self.backend
        saved = backend.get_current_key()
        backend.set_current_key(scope)
        try:
            state.clear()
        finally:
            backend.set_current_key(saved)

    # -- merging (session windows) -------------------------------------------------
    def _add_merging_window(self, key: Any, live: list[Any], new_window: Any,
                            watermark: int) -> Any:
        collector = _MergeCollector()
        self.assigner.merge_windows([*live, new_window], collector)  # type: ignore[attr-defined]
        result_window = new_window
        merged_new = False
        for merged, merge_result in collector.results:
            if new_window in merged:
                merged.remove(new_window)
                merged_new = True
                result_window = merge_result
            for w in merged:
                if w in live:
                    live.remove(w)
            live.append(merge_result)
            if not (len(merged) == 1 and merged[0] == merge_result):
                self._merge(key, merge_result, merged, watermark)
        if not collector.results or (result_window == new_window and not merged_new):
            if result_window not in live:
                live.append(result_window)
        return result_window

    def _merge(self, key: Any, result: Any, merged: list[Any], watermark: int) -> None:
        if self.event_time and result.max_timestamp() + self.allowed_lateness <= watermark:
            raise RuntimeError(f"The end timestamp of an event-time window cannot become earlier "
                               f"than the current watermark by merging. Current watermark: "
                               f"{watermark} window: {result}")
        ctx = self.context
        ctx.key, ctx.win, ctx.merged = key, result, merged
        self.trigger.on_merge(result, ctx)
        ctx.merged = []
        for window in merged:
            if window == result:
                continue
            ctx.win = window
            self.trigger.clear(window, ctx)
            self._delete_cleanup_timer(key, window)
        ctx.win = result
        windows = self.windows
        acc = windows.get(key, result)
        merge = self.contents.merge if self.evictor is None else list.__add__
        for window in merged:
            if window == result:
                continue
            value = windows.remove(key, window)
            if value is not MISSING:
                acc = value if acc is MISSING else merge(acc, value)
        if acc is not MISSING:
            windows.put(key, result, acc)

    # -- firing --------------------------------------------------------------------
    def _emit(self, key: Any, window: Any, acc: Any) -> None:
        if acc is MISSING:
            return
        ctx = self.context
        if self.evictor is not None:
            elements: list[TimestampedValue] = acc
            self.evictor.evict_before(elements, len(elements), window, ctx)
            inputs = self.contents.over([e.get_value() for e in elements])
            self._apply(key, window, inputs)
            self.evictor.evict_after(elements, len(elements), window, ctx)
            if elements:
                self.windows.put(key, window, elements)
            else:
                self._clear_contents(key, window)
        else:
            self._apply(key, window, self.contents.result(acc))

    def _apply(self, key: Any, window: Any, inputs: list[Any]) -> None:
        em = self.emitter
        em.timestamp = window.max_timestamp()
        kind = self.kind
        if kind == "pass":
            em.collect(inputs)
        elif kind == "process":
            ctx = self.context
            ctx.key, ctx.win = key, window
            em.collect(self._call(key, ctx, inputs) if self.keyed else self._call(ctx, inputs))
        else:
            em.collect(self._call(key, window, inputs) if self.keyed
                       else self._call(window, inputs))

    def _retire(self, key: Any, window: Any) -> None:
        """A count window got its last element: free its contents and trigger state.
        Its cleanup time is Long.MAX, so, as in Flink, the function's ``clear`` is not
        called (count windows are never cleaned up there)."""
        self._clear_contents(key, window)
        ctx = self.context
        ctx.key, ctx.win = key, window
        self.trigger.clear(window, ctx)

    def _clear_all(self, key: Any, window: Any, live: list[Any] | None) -> None:
        self._clear_contents(key, window)
        ctx = self.context
        ctx.key, ctx.win = key, window
        self.trigger.clear(window, ctx)
        if self.kind == "process":
            clear = getattr(self.function, "clear", None)
            if clear is not None:
                clear(ctx)
        if live is not None and window in live:
            live.remove(window)
            if live:
                self.merging_state.put_internal(key, live)
            else:
                self._clear_under(self.merging_state, key)

    def _on_timer(self, timestamp: int, scoped_key: tuple[Any, Any], event_time: bool) -> None:
        key, window = scoped_key
        self.backend.set_current_key(key)
        ctx = self.context
        ctx.key, ctx.win = key, window
        live = None
        if self.merging:
            live = self.merging_state.get_internal(key)
            if not live or window not in live:
                return  # the window was merged away or already cleaned up
        acc = self.windows.get(key, window)
        if acc is not MISSING:
            if event_time:
                result = self.trigger.on_event_time(timestamp, window, ctx)
            else:
                result = self.trigger.on_processing_time(timestamp, window, ctx)
            fire, purge = result.value
            if fire:
                self._emit(key, window, acc)
            if purge:
                self._clear_contents(key, window)
        if event_time == self.event_time and timestamp == self._cleanup_time(window):
            self._clear_all(key, window, live)

    def on_event_time(self, timestamp: int, key: Any) -> None:  # noqa: D102
        self._on_timer(timestamp, key, True)

    def on_processing_time(self, timestamp: int, key: Any) -> None:  # noqa: D102
        em = self.emitter
        em.start(True)
        self._on_timer(timestamp, key, False)
        em.flush()

    def process_watermark(self, watermark: int) -> None:
        """Fire the windows the watermark completes, emit their results, then forward it."""
        self._fire_timers(watermark)
        forward = getattr(self.output, "emit_watermark", None)
        if forward is not None:
            forward(watermark)

    def _fire_timers(self, watermark: int) -> None:
        """Fire the windows event time reaching ``watermark`` completes; emit their results."""
        em = self.emitter
        em.start(True)
        self.timer_service.advance_watermark(watermark)
        em.flush()
