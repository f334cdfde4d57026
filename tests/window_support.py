"""Drive a WindowOperator directly: elements with timestamps, watermarks, a fake clock."""

from __future__ import annotations

from typing import Any

from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.timers import LONG_MAX, LONG_MIN, ProcessingTimeService

__all__ = ["Harness"]


class _Collect:
    def __init__(self) -> None:
        self.records: list[tuple[Any, Any]] = []
        self.side: dict[str, list[tuple[Any, Any]]] = {}
        self.watermarks: list[int] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.records.extend(zip(values, timestamps or [None] * len(values)))

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        self.side.setdefault(tag, []).extend(zip(values, timestamps or [None] * len(values)))

    def emit_watermark(self, watermark: int) -> None:
        self.watermarks.append(watermark)

    def emit_watermark_status(self, idle: bool) -> None:
        pass


class Harness:
    """One operator instance; ``bound`` makes ``feed`` emit bounded-out-of-orderness watermarks."""

    def __init__(self, op: Any, bound: int | None = None,
                 job_parameters: dict[str, str] | None = None) -> None:
        self.now = 0
        self.pts = ProcessingTimeService(lambda: self.now)
        self.ctx = OperatorContext("task", "Window", 0, 1, 128, 0, "job", job_parameters or {},
                                   processing_time_service=self.pts)
        self.out = _Collect()
        self.op = op
        op.setup(self.ctx, self.out)
        op.open()
        self.bound = bound
        self.max_ts = LONG_MIN
        self.watermark = LONG_MIN

    def feed(self, value: Any, timestamp: int | None = None) -> list[Any]:
        """Process one element (then its watermark); returns the results it produced."""
        n = len(self.out.records)
        self.op.process_batch([value], None if timestamp is None else [timestamp])
        if self.bound is not None and timestamp is not None:
            self.max_ts = max(self.max_ts, timestamp)
            wm = self.max_ts - self.bound - 1
            if wm > self.watermark:
                self.watermark = wm
                self.op.process_watermark(wm)
        return [v for v, _ in self.out.records[n:]]

    def advance(self, watermark: int) -> list[Any]:
        """Process a watermark; returns the results it produced."""
        n = len(self.out.records)
        self.op.process_watermark(watermark)
        return [v for v, _ in self.out.records[n:]]

    def end(self) -> list[Any]:
        """End of a bounded input (the maximum watermark)."""
        return self.advance(LONG_MAX)

    def tick(self, now: int) -> list[Any]:
        """Move the processing clock to ``now`` and fire due timers."""
        n = len(self.out.records)
        self.now = now
        self.pts.fire_due()
        return [v for v, _ in self.out.records[n:]]

    def results(self) -> list[Any]:
        """Every main-output value so far."""
        return [v for v, _ in self.out.records]

    def side(self, tag: str) -> list[Any]:
        """Every value of side output ``tag`` so far."""
        return [v for v, _ in self.out.side.get(tag, [])]

    def late_dropped(self) -> int:
        """The numLateRecordsDropped counter."""
        return self.ctx.get_metric_group().counter("numLateRecordsDropped").get_count()
