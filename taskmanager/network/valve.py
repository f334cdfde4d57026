"""Combining the watermarks of several input channels (Flink's ``StatusWatermarkValve``).

A pure state machine: it keeps, per channel, the highest watermark received
and the channel's status (ACTIVE / IDLE), and returns what to emit
downstream.

* The output watermark is the minimum over the *aligned* channels: active
  channels whose watermark has caught up with the last output. An idle
  channel leaves the minimum; when it becomes active again with a lower
  watermark it rejoins only once it catches up, so the output never moves
  back.
* When every channel is idle, the valve first emits the highest watermark
  among the channels (if it advances the output), then goes IDLE itself;
  the first channel to become active makes it ACTIVE again.

The task uses one valve per input over that input's channels and, for
two-input operators, a second valve over the two inputs' outputs (the
minimum of both inputs, an idle input excluded).
"""

from __future__ import annotations

__all__ = ["LONG_MIN", "StatusWatermarkValve", "ValveOutput"]

LONG_MIN = -(1 << 63)

#: ``("watermark", timestamp)`` or ``("status", idle)``.
ValveOutput = tuple[str, int]


class _Channel:
    __slots__ = ("aligned", "idle", "watermark")

    def __init__(self) -> None:
        self.watermark = LONG_MIN
        self.idle = False
        self.aligned = True


class StatusWatermarkValve:
    """The watermark and status of ``num_channels`` channels combined into one."""

    def __init__(self, num_channels: int) -> None:
        self.channels = [_Channel() for _ in range(num_channels)]
        self.last_output_watermark = LONG_MIN
        self.idle = False

    def input_watermark(self, channel: int, watermark: int) -> list[ValveOutput]:
        """A watermark arrived on ``channel``; returns the outputs."""
        ch = self.channels[channel]
        if self.idle or ch.idle or watermark <= ch.watermark:
            return []
        ch.watermark = watermark
        if not ch.aligned and watermark >= self.last_output_watermark:
            ch.aligned = True
        return self._new_min()

    def input_status(self, channel: int, idle: bool) -> list[ValveOutput]:
        """A watermark status arrived on ``channel``; returns the outputs."""
        ch = self.channels[channel]
        out: list[ValveOutput] = []
        if idle and not ch.idle:
            ch.idle = True
            ch.aligned = False
            if all(c.idle for c in self.channels):
                top = max(c.watermark for c in self.channels)
                if top > self.last_output_watermark:
                    self.last_output_watermark = top
                    out.append(("watermark", top))
                self.idle = True
                out.append(("status", True))
            elif ch.watermark == self.last_output_watermark:
                out += self._new_min()
        elif not idle and ch.idle:
            ch.idle = False
            if ch.watermark >= self.last_output_watermark:
                ch.aligned = True
            if self.idle:
                self.idle = False
                out.append(("status", False))
        return out

    def _new_min(self) -> list[ValveOutput]:
        aligned = [c.watermark for c in self.channels if c.aligned]
        if not aligned:
            return []
        low = min(aligned)
        if low > self.last_output_watermark:
            self.last_output_watermark = low
            return [("watermark", low)]
        return []
