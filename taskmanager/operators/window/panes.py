"""Pane-based tumbling and sliding time windows: the window operator's fast path.

Flink's WindowOperator adds every element to each of its ``size / slide``
sliding windows. For ``reduce`` and ``aggregate`` with the assigner's
default trigger, no evictor and no per-window ``clear``, this operator
instead adds each element once, to its *pane* (``gcd(size, slide)``
milliseconds; a tumbling window is one pane), and combines a window's panes
when it fires. Results, firing times, result timestamps
(``window.max_timestamp()``), allowed lateness (late firings, late side
output, ``numLateRecordsDropped``) are those of :class:`.WindowOperator`.

Combining panes costs O(1) amortized per window: the time line is cut into
*chunks* of ``size`` (aligned to the offset), so every window is a suffix of
one chunk plus a prefix of the next. Per key the state caches the suffix
aggregates of one chunk and the running prefix of the next; a late element
that changes a cached pane invalidates the cache, and late firings combine
their panes directly.

State, per key, is one :class:`_KeyPanes` value in the keyed state backend
(panes, their ordered starts, the caches, ``due``: the key's next firing),
so snapshots capture it. A key is handled at one time at a time: a new pane
schedules the first firing of its windows unless an earlier one is pending,
and each firing schedules the key's next one (or, with lateness and nothing
left to fire, the cleanup of its last panes). Processing time uses the
timer service, scoped by the key. Event time uses the operator's own
schedule (time -> keys, a heap of times; all keys' windows end at the same
aligned times, and one bucket per time is much cheaper than a timer per key
and window); it is derived from the keys' ``due`` and rebuilt from the keyed
state on first use, so a restored operator fires what the snapshot had due.

Panes combine elements in time order, not in arrival order: with
out-of-order input, results equal the general path's for reduce / merge
functions that are associative and commutative (sums, counts, min, max...).
Tumbling windows are exact for any function. A processing-time element
arriving in the millisecond of a window that already fired makes that window
fire again with only the elements that came after, as in Flink (``extra``).
"""

from __future__ import annotations

import copy
import heapq
import math
from bisect import bisect_left, insort
from typing import Any

from flink_py.datastream.state import ValueStateDescriptor
from flink_py.datastream.window import (
    EventTimeTrigger,
    ProcessAllWindowFunction,
    ProcessingTimeTrigger,
    ProcessWindowFunction,
    TimeWindow,
    Trigger,
    WindowAssigner,
    _SlidingWindows,
    _TumblingWindows,
)
from flink_py.taskmanager.operators.timer_queue import OrderHeap
from flink_py.taskmanager.operators.timers import LONG_MAX, LONG_MIN
from flink_py.taskmanager.operators.window.contents import (
    AggregateContents,
    ReduceContents,
    WindowContents,
)
from flink_py.taskmanager.operators.window.namespaced import MISSING
from flink_py.taskmanager.operators.window.operator import WindowOperator

__all__ = ["PaneWindowOperator", "pane_eligible", "window_operator"]

#: Accumulator types a merge cannot mutate. Others are deep-copied before every merge of
#: panes: AggregateFunction.merge may reuse its arguments, and panes are merged many times.
_IMMUTABLE = frozenset({int, float, bool, str, bytes, complex, tuple, frozenset, type(None)})


class _KeyPanes:
    """The pane state of one key.

    Attributes:
        panes: pane start -> accumulator (reduce: the reduced value).
        order: the pane starts, ascending.
        sfx_chunk: start of the chunk ``sfx`` belongs to, or None.
        sfx: pane start -> combination of the chunk's panes from it to the chunk end.
        pfx_chunk: start of the chunk the prefix belongs to, or None.
        pfx_end: the prefix combines the panes in ``[pfx_chunk, pfx_end)``.
        pfx_has: whether that range held any pane.
        pfx: their combination.
        extra: processing time: window end -> accumulator of the elements that
            arrived after the window fired (it fires again with them).
        due: the key's pending firing timer (a later pane's first firing is
            reached from it), or None.
    """

    __slots__ = ("due", "extra", "order", "panes", "pfx", "pfx_chunk", "pfx_end", "pfx_has", "sfx",
                 "sfx_chunk")

    def __init__(self) -> None:
        self.panes: dict[int, Any] = {}
        self.order: list[int] = []
        self.sfx_chunk: int | None = None
        self.sfx: dict[int, Any] | None = None
        self.pfx_chunk: int | None = None
        self.pfx_end = 0
        self.pfx_has = False
        self.pfx: Any = None
        self.extra: dict[int, Any] | None = None
        self.due: int | None = None

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)

    def invalidate(self, ps: int, size: int) -> None:
        """Pane ``ps`` changed: drop the caches that include it."""
        if self.sfx_chunk is not None and self.sfx_chunk <= ps < self.sfx_chunk + size:
            self.sfx_chunk = self.sfx = None
        if self.pfx_chunk is not None and self.pfx_chunk <= ps < self.pfx_end:
            self.pfx_chunk = None
            self.pfx_has, self.pfx = False, None


def _overrides_clear(function: Any) -> bool:
    clear = getattr(type(function), "clear", None)
    return clear is not None and clear not in (ProcessWindowFunction.clear,
                                               ProcessAllWindowFunction.clear)


def pane_eligible(assigner: WindowAssigner, trigger: Trigger | None, contents: WindowContents,
                  function: Any = None, kind: str = "pass", evictor: Any = None,
                  sliding_panes: bool = False) -> bool:
    """Whether a window operator can run on panes (see the module doc).

    Sliding windows (slide < size) only with ``sliding_panes``
    (``execution.window.sliding-panes``): combining panes calls
    ``AggregateFunction.merge`` and reduces in time order, which Flink never does
    for them.
    """
    if evictor is not None or type(contents) not in (ReduceContents, AggregateContents):
        return False
    if kind == "process" and _overrides_clear(function):
        return False
    cls = type(assigner)
    if isinstance(assigner, _TumblingWindows):
        if cls.assign_windows is not _TumblingWindows.assign_windows:
            return False
    elif isinstance(assigner, _SlidingWindows):
        if cls.assign_windows is not _SlidingWindows.assign_windows or \
                assigner._slide > assigner._size:  # noqa: SLF001 - gaps between windows
            return False
        if assigner._slide < assigner._size and not sliding_panes:  # noqa: SLF001
            return False
    else:
        return False
    if trigger is None:
        return True
    default = EventTimeTrigger if assigner.is_event_time() else ProcessingTimeTrigger
    return type(trigger) is default


def window_operator(key_selector: Any, assigner: WindowAssigner, trigger: Trigger | None,
                    contents: WindowContents, function: Any = None, kind: str = "pass",
                    keyed: bool = True, evictor: Any = None, allowed_lateness: int = 0,
                    late_tag: Any = None, sliding_panes: bool = False) -> WindowOperator:
    """A :class:`PaneWindowOperator` where :func:`pane_eligible`, else a :class:`WindowOperator`.

    Takes the arguments of :class:`WindowOperator`, and ``sliding_panes``.
    """
    cls = PaneWindowOperator if pane_eligible(assigner, trigger, contents, function, kind,
                                              evictor, sliding_panes) else WindowOperator
    return cls(key_selector, assigner, trigger, contents, function, kind, keyed, evictor,
               allowed_lateness, late_tag)


def _in_order(keys: dict[Any, None], flink_order: list[Any] | None) -> dict[Any, None]:
    """``keys`` (due at one time) in Flink's firing order, the others after them."""
    if not flink_order or len(keys) < 2:
        return keys
    ordered = {k: None for k in flink_order if k in keys}
    ordered.update(keys)
    return ordered


class PaneWindowOperator(WindowOperator):
    """Tumbling / sliding time windows with reduce or aggregate, on panes.

    Takes the arguments of :class:`WindowOperator`; raises ValueError where
    :func:`pane_eligible` is false.
    """

    #: Processing-time timers are scoped by the key alone (:meth:`_register`).
    namespaced_timers = False

    def __init__(self, key_selector: Any, assigner: WindowAssigner, trigger: Trigger | None,
                 contents: WindowContents, function: Any = None, kind: str = "pass",
                 keyed: bool = True, evictor: Any = None, allowed_lateness: int = 0,
                 late_tag: Any = None) -> None:
        super().__init__(key_selector, assigner, trigger, contents, function, kind, keyed,
                         evictor, allowed_lateness, late_tag)
        if not pane_eligible(assigner, self.trigger, contents, function, kind, evictor,
                             sliding_panes=True):  # built directly: panes chosen on purpose
            raise ValueError(f"PaneWindowOperator needs a tumbling or sliding time window with "
                             f"its default trigger, reduce or aggregate and no evictor; got "
                             f"{assigner!r}, {self.trigger!r}, {type(contents).__name__}")
        self.size: int = assigner._size  # type: ignore[attr-defined]  # noqa: SLF001
        self.slide: int = getattr(assigner, "_slide", self.size)
        self.offset: int = assigner._offset  # type: ignore[attr-defined]  # noqa: SLF001
        self.pane = math.gcd(self.size, self.slide)
        self.sliding = self.slide != self.size or self.pane != self.size
        self.lateness = self.allowed_lateness if self.event_time else 0

    def open(self) -> None:  # noqa: D102
        super().open()
        self.state = self.backend.get_internal_value_state(ValueStateDescriptor("_panes", None))
        contents = self.contents
        if isinstance(contents, AggregateContents):
            agg = contents.agg
            self._agg_add, self._create = agg.add, agg.create_accumulator
            self._reduce = None
            self._merge = agg.merge
            self._result = agg.get_result
        else:
            assert isinstance(contents, ReduceContents)
            self._reduce = self._merge = contents.func
            self._result = None
        #: Processing time: the last timer time handled.
        self._proc_done = LONG_MIN
        #: Event time: firing time -> keys (insertion ordered), and a heap of those times;
        #: derived from the keys' ``due`` (built on first use).
        self._wheel: dict[int, dict[Any, None]] | None = None
        self._times: list[int] = []
        #: Event time: the timers Flink's WindowOperator would hold (window end and cleanup
        #: time per (key, window start)), only to fire one time's keys in Flink's order.
        self._flink_timers = OrderHeap()
        self._flink_pending: set[tuple[int, Any]] = set()

    # -- window arithmetic ---------------------------------------------------------
    def _align_end(self, t: int) -> int:
        """The smallest window end at or after ``t``."""
        return t + (self.offset + self.size - t) % self.slide

    def _last_end(self, ps: int) -> int:
        """The end of the last window covering the pane starting at ``ps``."""
        return ps - (ps - self.offset) % self.slide + self.size

    # -- elements ------------------------------------------------------------------
    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        em = self.emitter
        em.start(True)
        key_of, set_key = self.key_selector, self.backend.set_current_key
        touched: dict[Any, _KeyPanes] = {}
        if not self.event_time or timestamps is None:
            element = self._element
            for v in values:
                key = key_of(v)
                set_key(key)
                element(key, v, LONG_MIN, touched)
        else:
            get, _ = self.state.batch_accessors()
            wm = self.timer_service.current_watermark_value
            p, off, slide = self.pane, self.offset, self.slide
            end_mod = off + self.size
            agg_add, create, reduce = (None, None, self._reduce) if self._reduce is not None \
                else (self._agg_add, self._create, None)
            self._ensure_wheel()
            wheel, times, heappush = self._wheel, self._times, heapq.heappush
            element, register = self._element, self._register_flink_timers
            # a tumbling window without lateness: one new timer per new pane, never twice
            fast_flink_add = (self._flink_timers.add if not self.sliding and not self.lateness
                              else None)
            last_ms = self.size - 1
            for v, ts in zip(values, timestamps):
                key = key_of(v)
                set_key(key)
                if ts <= wm:  # late (or no timestamp): the general rules
                    if ts != LONG_MIN:
                        register(key, ts)
                    element(key, v, ts, touched)
                    continue
                st = touched.get(key)
                if st is None:
                    st = get(key)
                    if st is None:
                        st = _KeyPanes()
                    touched[key] = st
                ps = ts - (ts - off) % p
                panes = st.panes
                acc = panes.get(ps, MISSING)
                if acc is not MISSING:
                    panes[ps] = agg_add(v, acc) if reduce is None else reduce(acc, v)
                    continue
                panes[ps] = agg_add(v, create()) if reduce is None else v
                if fast_flink_add is not None:  # tumbling, no lateness: the window's end timer
                    fast_flink_add(ps + last_ms, (key, ps))
                else:
                    register(key, ts)
                order = st.order
                if not order or ps > order[-1]:
                    order.append(ps)
                else:
                    insort(order, ps)
                # the first window of the new pane fires at its end (ts > wm: none fired
                # yet); a pending earlier firing of the key chains to it
                e = ps + p
                t = e + (end_mod - e) % slide - 1
                due = st.due
                if due is None or t < due:
                    bucket = wheel.get(t)  # type: ignore[union-attr]
                    if bucket is None:
                        wheel[t] = bucket = {}  # type: ignore[index]
                        heappush(times, t)
                    bucket[key] = None
                    st.due = t
        if touched:
            _, put = self.state.batch_accessors()
            for key, st in touched.items():
                put(key, st)
        em.flush()

    def _element(self, key: Any, value: Any, ts: int, touched: dict[Any, _KeyPanes]) -> None:
        """One element by the general rules: processing time, late elements, no timestamp."""
        size, slide, lateness = self.size, self.slide, self.lateness
        if self.event_time:
            if ts == LONG_MIN:
                self.assigner.assign_windows(value, ts, self.context)  # raises: no timestamp
            wm = self.timer_service.current_watermark_value
        else:
            wm = self._proc_done
            ts = self.timer_service.current_processing_time()
        s_last = ts - (ts - self.offset) % slide
        if self.event_time and s_last + size - 1 + lateness <= wm:  # late for all windows
            if self.late_tag is not None:
                em = self.emitter
                em.timestamp = ts
                em.side_output(self.late_tag, value)
            else:
                self.late_dropped.inc()
            return
        st = touched.get(key)
        if st is None:
            st = self.state.get_internal(key)
            if st is None:
                st = _KeyPanes()
            touched[key] = st
        p = self.pane
        ps = ts - (ts - self.offset) % p
        panes = st.panes
        acc = panes.get(ps, MISSING)
        if self._reduce is not None:
            panes[ps] = value if acc is MISSING else self._reduce(acc, value)
        else:
            panes[ps] = self._agg_add(value, self._create() if acc is MISSING else acc)
        st.invalidate(ps, size)
        if acc is MISSING:
            order = st.order
            if not order or ps > order[-1]:
                order.append(ps)
            else:
                insort(order, ps)
            last_end = s_last + size
            e = self._align_end(max(ps + p, wm + 2))
            t = e - 1 if e <= last_end else min(last_end - 1 + lateness, LONG_MAX)
            if st.due is None or t < st.due:
                self._register(key, t)
                st.due = t
        if ts <= wm:
            s = s_last
            if self.event_time:
                # late firings, in the assigner's order (latest window first)
                while s > ts - size:
                    end = s + size
                    if end - 1 <= wm < end - 1 + lateness:
                        self._emit(key, s, end, self._window_acc(st, s, end, cached=False))
                    s -= slide
                return
            # processing time: windows that already fired start over with this element
            extra = st.extra if st.extra is not None else {}
            while s > ts - size:
                end = s + size
                if end - 1 <= wm:
                    acc = extra.get(end, MISSING)
                    if self._reduce is not None:
                        extra[end] = value if acc is MISSING else self._reduce(acc, value)
                    else:
                        extra[end] = self._agg_add(value,
                                                   self._create() if acc is MISSING else acc)
                    self._register(key, end - 1)
                s -= slide
            st.extra = extra

    def _register(self, key: Any, t: int) -> None:
        """Handle ``key`` again at ``t``."""
        if self.event_time:
            self._schedule(t, key)
        else:
            self.namespace.current_key = key
            self.timer_service.register_processing_time_timer(t)

    # -- firing --------------------------------------------------------------------
    def _combine(self, a: Any, b: Any) -> Any:
        """``a`` merged with ``b`` (``a`` may be MISSING); stored accumulators stay intact."""
        if a is MISSING:
            return b
        imm = _IMMUTABLE
        return self._merge(a if a.__class__ in imm else copy.deepcopy(a),
                           b if b.__class__ in imm else copy.deepcopy(b))

    def _window_acc(self, st: _KeyPanes, s: int, e: int, cached: bool) -> Any:
        """The combination of the panes of ``[s, e)`` (MISSING if it has none).

        ``cached``: an on-time firing, windows of the key in ascending order
        (uses and extends the suffix / prefix caches).
        """
        panes, order = st.panes, st.order
        if not self.sliding:
            return panes.get(s, MISSING)
        combine = self._combine
        if not cached:
            acc = MISSING
            for ps in order[bisect_left(order, s):bisect_left(order, e)]:
                acc = combine(acc, panes[ps])
            return acc
        size = self.size
        chunk = s - (s - self.offset) % size
        chunk_end = chunk + size
        sfx = st.sfx
        if st.sfx_chunk != chunk or sfx is None:
            sfx = {}
            acc = MISSING
            for ps in reversed(order[bisect_left(order, chunk):bisect_left(order, chunk_end)]):
                acc = combine(panes[ps], acc) if acc is not MISSING else panes[ps]
                sfx[ps] = acc
            st.sfx_chunk, st.sfx = chunk, sfx
        result = sfx.get(s, MISSING)
        if result is MISSING:  # no pane at the window start: the first one after it
            i = bisect_left(order, s)
            if i < len(order) and order[i] < chunk_end:
                result = sfx[order[i]]
        if s != chunk:  # the window ends inside the next chunk: add its prefix
            if st.pfx_chunk != chunk_end or st.pfx_end > e:
                st.pfx_chunk, st.pfx_end, st.pfx_has, st.pfx = chunk_end, chunk_end, False, None
            end = st.pfx_end
            if end < e:
                acc = st.pfx if st.pfx_has else MISSING
                get = panes.get
                if (e - end) // self.pane <= 16:
                    for ps in range(end, e, self.pane):
                        v = get(ps, MISSING)
                        if v is not MISSING:
                            acc = combine(acc, v)
                else:
                    for ps in order[bisect_left(order, end):bisect_left(order, e)]:
                        acc = combine(acc, panes[ps])
                if acc is not MISSING:
                    st.pfx_has, st.pfx = True, acc
                st.pfx_end = e
            if st.pfx_has:
                result = combine(result, st.pfx)
        return result

    def _emit(self, key: Any, s: int, e: int, acc: Any) -> None:
        """Emit the result of window ``[s, e)`` whose panes combine to ``acc``."""
        if acc is MISSING:
            return
        if self.kind == "pass":
            em = self.emitter
            em.values.append(acc if self._result is None else self._result(acc))
            em.timestamps.append(e - 1)  # type: ignore[union-attr]
        else:
            self._apply(key, TimeWindow(s, e), self.contents.result(acc))

    # -- Flink's firing order ------------------------------------------------------
    def _register_flink_timers(self, key: Any, ts: int) -> None:
        """The timers Flink's WindowOperator registers for an element of ``key`` at ``ts``
        (called for the first element of a pane, and for late ones): per window, latest
        start first, the end timer (unless the window already ended) and the cleanup timer.
        Elements of a pane the key already has add nothing Flink would not deduplicate."""
        if self.sliding:  # sliding panes are opted into for speed: Flink adds each element
            return        # to size/slide windows, which is what this would cost again
        wm = self.timer_service.current_watermark_value
        size, slide, lateness = self.size, self.slide, self.lateness
        add, pending = self._flink_timers.add, self._flink_pending
        start = ts - (ts - self.offset + slide) % slide
        while start > ts - size:
            end = start + size - 1
            cleanup = min(end + lateness, LONG_MAX)
            if cleanup > wm:  # not late for this window
                for t in ((end, cleanup) if end > wm else (cleanup,)):
                    timer = (t, (key, start))
                    if timer not in pending:  # Flink's set drops a timer registered twice
                        pending.add(timer)
                        add(*timer)
            start -= slide

    def _flink_firing_order(self, watermark: int) -> dict[int, list[Any]]:
        """Pop the timers event time reaching ``watermark`` fires, in Flink's heap order:
        per window end time, the keys whose window ends then, in the order Flink fires them."""
        order: dict[int, list[Any]] = {}
        size, pop, pending = self.size, self._flink_timers.pop_due, self._flink_pending
        while (timer := pop(watermark)) is not None:
            if pending:
                pending.discard(timer)
            t, (key, start) = timer
            if t == start + size - 1:
                order.setdefault(t, []).append(key)
        return order

    # -- event-time schedule -------------------------------------------------------
    def _schedule(self, t: int, key: Any) -> None:
        """Event time: handle ``key`` when the watermark reaches ``t``."""
        bucket = self._wheel.get(t)  # type: ignore[union-attr]
        if bucket is None:
            self._wheel[t] = bucket = {}  # type: ignore[index]
            heapq.heappush(self._times, t)
        bucket[key] = None

    def _ensure_wheel(self) -> None:
        """Build the event-time schedule from the keys' ``due`` (after a restore: from the
        restored state)."""
        if self._wheel is None:
            self._wheel, self._times = {}, []
            if self.event_time:
                for key, st in self.state.items_internal():
                    if st.due is not None:
                        self._schedule(st.due, key)

    def _fire_timers(self, watermark: int) -> None:
        """Fire the windows event time reaching ``watermark`` completes, in time order."""
        if not self.event_time:
            super()._fire_timers(watermark)
            return
        self._ensure_wheel()
        em = self.emitter
        em.start(True)
        self.timer_service.advance_watermark(watermark)
        times, wheel = self._times, self._wheel
        get, put = self.state.batch_accessors()
        flink_order = self._flink_firing_order(watermark)
        if self.kind == "pass":
            fire = self._fire_keys
            while times and times[0] <= watermark:
                t = heapq.heappop(times)
                fire(t, _in_order(wheel.pop(t), flink_order.get(t)), get, put)  # type: ignore[union-attr]
        else:
            due = self._due
            while times and times[0] <= watermark:
                t = heapq.heappop(times)
                for key in _in_order(wheel.pop(t), flink_order.get(t)):  # type: ignore[union-attr]
                    st = get(key)
                    if st is not None and due(t, key, st):
                        put(key, st)
        em.flush()

    def _fire_keys(self, t: int, keys: dict[Any, None], get: Any, put: Any) -> None:
        """:meth:`_due` of every key due at event time ``t``, inlined for ``pass`` windows."""
        size, slide, off, pane = self.size, self.slide, self.offset, self.pane
        e = t + 1
        s = e - size
        aligned = (s - off) % slide == 0
        sliding = self.sliding
        chunk = s - (s - off) % size
        chunk_end = chunk + size
        whole = s == chunk
        x = s - self.lateness
        limit = x - (x - off) % slide + slide
        nxt = t + 2 + (off + size - t - 2) % slide  # the next window end
        nxt_start = nxt - size
        em = self.emitter
        add_value, add_stamp = em.values.append, em.timestamps.append  # type: ignore[union-attr]
        result, merge, imm, deepcopy = self._result, self._merge, _IMMUTABLE, copy.deepcopy
        wheel, times = self._wheel, self._times
        nxt_t = nxt - 1
        next_keys = wheel.get(nxt_t)  # type: ignore[union-attr]
        for key in keys:
            st = get(key)
            if st is None:
                continue
            order = st.order
            if aligned:
                i = 0 if order[0] >= s else bisect_left(order, s)
                if i < len(order) and order[i] < e:
                    if not sliding:
                        acc = st.panes[order[i]]
                    else:
                        sfx = st.sfx
                        if st.sfx_chunk != chunk or sfx is None:
                            self._window_acc(st, s, e, True)
                            sfx = st.sfx
                        acc = sfx.get(order[i], MISSING)  # type: ignore[union-attr]
                        if not whole:  # add the prefix of the next chunk
                            if st.pfx_chunk != chunk_end or st.pfx_end > e:
                                st.pfx_chunk, st.pfx_end = chunk_end, chunk_end
                                st.pfx_has, st.pfx = False, None
                            end = st.pfx_end
                            if e - end == pane:  # one new pane (slide == pane, in order)
                                v = st.panes.get(end, MISSING)
                                if v is not MISSING:
                                    if st.pfx_has:
                                        pacc = st.pfx
                                        st.pfx = merge(
                                            pacc if pacc.__class__ in imm else deepcopy(pacc),
                                            v if v.__class__ in imm else deepcopy(v))
                                    else:
                                        st.pfx_has, st.pfx = True, v
                                st.pfx_end = e
                            elif end < e:
                                if (e - end) // pane <= 16:
                                    get_pane = st.panes.get
                                    pacc = st.pfx if st.pfx_has else MISSING
                                    for ps in range(end, e, pane):
                                        v = get_pane(ps, MISSING)
                                        if v is MISSING:
                                            continue
                                        if pacc is MISSING:
                                            pacc = v
                                        else:
                                            pacc = merge(
                                                pacc if pacc.__class__ in imm else deepcopy(pacc),
                                                v if v.__class__ in imm else deepcopy(v))
                                    if pacc is not MISSING:
                                        st.pfx_has, st.pfx = True, pacc
                                    st.pfx_end = e
                                else:
                                    self._window_acc(st, s, e, True)
                            if st.pfx_has:
                                v = st.pfx
                                if acc is MISSING:
                                    acc = v
                                else:
                                    acc = merge(acc if acc.__class__ in imm else deepcopy(acc),
                                                v if v.__class__ in imm else deepcopy(v))
                    add_value(acc if result is None else result(acc))
                    add_stamp(t)
            if order[0] < limit:  # drop the panes whose last window is cleaned up
                if len(order) > 1 and order[1] >= limit:
                    del st.panes[order[0]]
                    del order[0]
                else:
                    n = bisect_left(order, limit)
                    panes = st.panes
                    for ps in order[:n]:
                        del panes[ps]
                    del order[:n]
                if not order:
                    self._clear_under(self.state, key)
                    continue
            # the next firing of this key, or the cleanup of its remaining panes
            i = 0 if order[0] >= nxt_start else bisect_left(order, nxt_start)
            if i < len(order):
                n = nxt_t if order[i] < nxt else self._align_end(order[i] + pane) - 1
            else:
                n = min(self._last_end(order[0]) - 1 + self.lateness, LONG_MAX)
            if n == nxt_t and next_keys is not None:
                next_keys[key] = None
            else:
                bucket = wheel.get(n)  # type: ignore[union-attr]
                if bucket is None:
                    wheel[n] = bucket = {}  # type: ignore[index]
                    heapq.heappush(times, n)
                    if n == nxt_t:
                        next_keys = bucket
                bucket[key] = None
            due = st.due
            if due is None or due <= t or n < due:
                st.due = n
            put(key, st)

    def end_input(self) -> None:
        """A bounded input ends with the maximum watermark: every window fires."""
        self._ensure_wheel()
        if self._times:
            self.process_watermark(LONG_MAX)
        super().end_input()

    def on_event_time(self, timestamp: int, key: Any) -> None:
        """Unused: event-time firings are scheduled by :meth:`_schedule`."""

    def on_processing_time(self, timestamp: int, key: Any) -> None:  # noqa: D102
        if self.event_time:
            return
        self._proc_done = max(self._proc_done, timestamp)
        st = self.state.get_internal(key)
        if st is None:
            return
        em = self.emitter
        em.start(True)
        if self._due(timestamp, key, st):
            self.state.put_internal(key, st)
        em.flush()

    def _due(self, timestamp: int, key: Any, st: _KeyPanes) -> bool:
        """The key's firing at ``timestamp`` (a window's max timestamp) or pane cleanup.

        Returns False when the key has no state left (it was cleared).
        """
        if self.kind != "pass":
            self.backend.set_current_key(key)
        size, slide, off = self.size, self.slide, self.offset
        e = timestamp + 1
        s = e - size
        order = st.order
        extra = st.extra
        if extra and e in extra:  # processing time: a window firing again
            self._emit(key, s, e, extra.pop(e))
        elif (s - off) % slide == 0:  # a window ends here: its on-time firing
            i = bisect_left(order, s)
            if i < len(order) and order[i] < e:
                acc = self._window_acc(st, s, e, True) if self.sliding else st.panes[order[i]]
                if self.kind == "pass":
                    em = self.emitter
                    em.values.append(acc if self._result is None else self._result(acc))
                    em.timestamps.append(timestamp)  # type: ignore[union-attr]
                else:
                    self._emit(key, s, e, acc)
        # drop the panes whose last window is cleaned up: those before the first
        # window start after ``timestamp + 1 - size - lateness``
        x = s - self.lateness
        limit = x - (x - off) % slide + slide
        if order and order[0] < limit:
            n = bisect_left(order, limit)
            panes = st.panes
            for ps in order[:n]:
                del panes[ps]
            del order[:n]
        if not order:
            if extra:
                return True
            self._clear_under(self.state, key)
            return False
        # the next firing of this key, or the cleanup of its remaining panes (processing
        # time: a window firing again may be handled late, after later windows fired)
        base = timestamp if self.event_time else max(timestamp, self._proc_done)
        e = base + 2 + (off + size - base - 2) % slide
        i = bisect_left(order, e - size)
        if i < len(order):
            ps = order[i]
            if ps >= e:
                e = self._align_end(ps + self.pane)
            t = e - 1
        else:
            t = min(self._last_end(order[0]) - 1 + self.lateness, LONG_MAX)
        self._register(key, t)
        due = st.due
        if due is None or due <= timestamp or t < due:
            st.due = t
        return True
