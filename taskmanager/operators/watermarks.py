"""Timestamps and watermarks from a ``WatermarkStrategy``.

:class:`WatermarkEmitter` runs one strategy in one subtask: it assigns each
record's timestamp (the strategy's assigner, else the record's own), feeds
the generator's ``on_event``, and calls ``on_periodic_emit`` every
``pipeline.auto-watermark-interval`` on the task's processing-time service
(the task thread, between batches). A watermark emitted from ``on_event``
(punctuated) follows the record that caused it: the records before it are
emitted first. Watermarks only move forward; idleness is sent as a
watermark status (IDLE), and the next record makes the stream ACTIVE again.

It serves :class:`TimestampsAndWatermarksOperator`
(``DataStream.assign_timestamps_and_watermarks``) and the source operator
(``env.from_source(source, strategy, name)``).
"""

from __future__ import annotations

from typing import Any

from flink_py.common.runtime.config import parse_duration_ms
from flink_py.common.watermark_strategy import Watermark, WatermarkOutput, WatermarkStrategy
from flink_py.taskmanager.operators.base import Output, StreamOperator
from flink_py.taskmanager.operators.timers import LONG_MAX, LONG_MIN

__all__ = ["TimestampsAndWatermarksOperator", "WatermarkEmitter", "auto_watermark_interval"]

_INTERVAL_KEY = "pipeline.auto-watermark-interval"


def auto_watermark_interval(job_parameters: dict[str, Any] | None) -> int:
    """``pipeline.auto-watermark-interval`` in ms (200 by default; 0: no periodic emission)."""
    value = (job_parameters or {}).get(_INTERVAL_KEY, 200)
    return parse_duration_ms(value, _INTERVAL_KEY)


class WatermarkEmitter(WatermarkOutput):
    """One strategy's assigner, generator and watermark output in one subtask.

    Args:
        strategy: the WatermarkStrategy.
        output: the operator's output (records, watermarks, statuses).
        what: names the operator in errors.
    """

    def __init__(self, strategy: WatermarkStrategy, output: Output, what: str,
                 batch: bool = False) -> None:
        if not isinstance(strategy, WatermarkStrategy):
            raise TypeError(f"{what}: expected a WatermarkStrategy, got {strategy!r}")
        self.output = output
        self.what = what
        #: BATCH execution: like Flink, no watermark flows before the final one at the end
        #: of input (nothing is late, event-time timers fire at the end)
        self.batch = batch
        self.assigner = strategy.create_timestamp_assigner()
        self.generator = strategy.create_watermark_generator()
        self.current_watermark = LONG_MIN
        self.idle = False
        self._pts: Any = None
        self._interval = 0
        # records of the batch being processed, not yet emitted
        self._values: list[Any] = []
        self._timestamps: list[int] = []

    # -- periodic emission --------------------------------------------------------------
    def start(self, processing_time_service: Any, interval_ms: int) -> None:
        """Call ``on_periodic_emit`` every ``interval_ms`` (0: never) on the task thread."""
        self._pts = processing_time_service
        self._interval = interval_ms
        if interval_ms > 0 and processing_time_service is not None and not self.batch:
            now = processing_time_service.current_processing_time()
            processing_time_service.register_timer(now + interval_ms, self._on_periodic)

    def _on_periodic(self, timestamp: int) -> None:
        self.on_periodic_emit()
        pts = self._pts
        pts.register_timer(max(timestamp + self._interval,
                               pts.current_processing_time() + 1), self._on_periodic)

    def on_periodic_emit(self) -> None:
        """Run the generator's ``on_periodic_emit`` now."""
        self.generator.on_periodic_emit(self)

    # -- records ------------------------------------------------------------------------
    def process(self, values: list[Any], timestamps: list[Any] | None) -> None:
        """Assign timestamps to a batch, run ``on_event`` per record and emit it."""
        if not values:
            return
        if self.idle:
            self.mark_active()
        assign = self.assigner.extract_timestamp if self.assigner is not None else None
        on_event = self.generator.on_event
        self._values, self._timestamps = [], []
        if timestamps is None:
            timestamps = [LONG_MIN] * len(values)
        for v, rec_ts in zip(values, timestamps):
            if rec_ts is None:
                rec_ts = LONG_MIN
            ts = rec_ts if assign is None else assign(v, rec_ts)
            if ts.__class__ is not int:
                ts = _check_timestamp(ts, v, self.what)
            # (re-read: a punctuated watermark in on_event flushes and replaces the lists)
            self._values.append(v)
            self._timestamps.append(ts)
            on_event(v, ts, self)
        self._flush()

    def _flush(self) -> None:
        values, timestamps = self._values, self._timestamps
        if values:
            self._values, self._timestamps = [], []
            self.output.emit(values, timestamps)

    # -- WatermarkOutput ----------------------------------------------------------------
    def emit_watermark(self, watermark: Watermark | int) -> None:  # noqa: D102
        ts = watermark.get_timestamp() if isinstance(watermark, Watermark) else watermark
        ts = _check_watermark(ts, self.what)
        if ts <= self.current_watermark or self.batch and ts < LONG_MAX:
            return
        self.current_watermark = ts
        self._flush()  # records before the watermark go first
        if self.idle:
            self.mark_active()
        self.output.emit_watermark(ts)

    def mark_idle(self) -> None:  # noqa: D102
        if not self.idle and not self.batch:
            self._flush()
            self.idle = True
            self.output.emit_watermark_status(True)

    def mark_active(self) -> None:  # noqa: D102
        if self.idle:
            self.idle = False
            self.output.emit_watermark_status(False)

    def end_of_time(self) -> None:
        """The input ended: emit the maximum watermark (active again if idle)."""
        self._flush()
        self.mark_active()
        if self.current_watermark < LONG_MAX:
            self.current_watermark = LONG_MAX
            self.output.emit_watermark(LONG_MAX)


def _check_timestamp(ts: Any, value: Any, what: str) -> int:
    if isinstance(ts, bool) or not isinstance(ts, int):
        try:
            import numpy as np  # numpy integers are fine
            if isinstance(ts, np.integer):
                return int(ts)
        except ImportError:  # pragma: no cover
            pass
        msg = (f"{what}: the timestamp assigner must return an int (epoch ms), got "
               f"{type(ts).__name__} {ts!r} for record {value!r}")
        raise TypeError(msg)
    return ts


def _check_watermark(ts: Any, what: str) -> int:
    if isinstance(ts, bool) or not isinstance(ts, int):
        msg = (f"{what}: emit_watermark needs a Watermark or an int (epoch ms), got "
               f"{type(ts).__name__} {ts!r}")
        raise TypeError(msg)
    return ts


class TimestampsAndWatermarksOperator(StreamOperator):
    """``DataStream.assign_timestamps_and_watermarks(strategy)``.

    Upstream watermarks are dropped (this operator makes its own), except the
    end-of-time watermark, which is forwarded so event time still ends.
    Upstream idleness is replaced by this operator's own.
    """

    def __init__(self, strategy: WatermarkStrategy) -> None:
        super().__init__()
        if not isinstance(strategy, WatermarkStrategy):
            msg = ("assign_timestamps_and_watermarks needs a WatermarkStrategy, got "
                   f"{type(strategy).__name__}")
            raise TypeError(msg)
        self.strategy = strategy
        self.emitter: WatermarkEmitter | None = None

    def open(self) -> None:  # noqa: D102
        super().open()
        self.emitter = WatermarkEmitter(self.strategy, self.output,
                                        f"'{self.ctx.operator_name}'",
                                        batch=self.ctx.runtime_mode == "BATCH")
        self.emitter.start(self.ctx.processing_time_service,
                           auto_watermark_interval(self.ctx.job_parameters))

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        self.emitter.process(values, timestamps)  # type: ignore[union-attr]

    def process_watermark(self, watermark: int) -> None:  # noqa: D102
        if watermark == LONG_MAX:
            self.emitter.end_of_time()  # type: ignore[union-attr]

    def process_watermark_status(self, idle: bool) -> None:  # noqa: D102
        return
