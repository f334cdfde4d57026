"""Barrier alignment of one task's input channels, as a pure state machine (Flink §6.2, §6.3).

* ``EXACTLY_ONCE`` (aligned): a channel that delivered barrier *n* is
  **blocked** -- the task stops taking its elements (they stay unprocessed, so
  no credit returns to the producer) -- until barrier *n* arrived on every
  open channel; then the checkpoint is taken and every channel unblocked.
* ``AT_LEAST_ONCE``: barriers are only counted; nothing is ever blocked.

A barrier of a newer checkpoint arriving while an older one aligns aborts the
older one. A channel that ends (end-of-partition) no longer needs to deliver
the barrier. :meth:`BarrierHandler.abort` (the coordinator aborted the
checkpoint, or a cancel marker arrived) stops aligning it.

Every method returns what the task must do: ``("block", channel)``,
``("unblock_all", None)``, ``("checkpoint", barrier)``, ``("abort", id)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BarrierHandler"]

Action = tuple[str, Any]


class BarrierHandler:
    """Tracks barriers over ``num_channels`` input channels."""

    def __init__(self, num_channels: int, exactly_once: bool = True) -> None:
        self.num_channels = num_channels
        self.exactly_once = exactly_once
        self.ended: set[int] = set()
        #: the checkpoint being aligned (or counted), or None
        self.current: int | None = None
        self.current_barrier: Any = None
        self.seen: set[int] = set()
        #: the newest checkpoint completed or aborted here; older barriers are ignored
        self.last_done = 0

    @property
    def blocked(self) -> frozenset[int]:
        """Channels currently blocked (exactly-once alignment only)."""
        return frozenset(self.seen) if self.exactly_once and self.current is not None \
            else frozenset()

    def on_barrier(self, channel: int, barrier: Any) -> list[Action]:
        """Barrier ``barrier.checkpoint_id`` arrived on ``channel``."""
        cid = barrier.checkpoint_id
        if cid <= self.last_done or channel in self.ended:
            return []
        actions: list[Action] = []
        if self.current is not None and cid > self.current:
            actions += self._reset(abort=True)
        if self.current is not None and cid < self.current:
            return []  # a barrier of an already abandoned checkpoint
        if self.current is None:
            self.current = cid
            self.current_barrier = barrier
            self.seen = set()
        if channel in self.seen:
            return actions
        self.seen.add(channel)
        if self._complete():
            return actions + self._finish()
        if self.exactly_once:
            actions.append(("block", channel))
        return actions

    def on_end_of_partition(self, channel: int) -> list[Action]:
        """``channel`` ended; it no longer takes part in alignment."""
        self.ended.add(channel)
        self.seen.discard(channel)
        if self.current is not None and self._complete():
            return self._finish()
        return []

    def abort(self, checkpoint_id: int) -> list[Action]:
        """Checkpoint ``checkpoint_id`` was aborted: stop aligning it (and anything older)."""
        if self.current is not None and self.current <= checkpoint_id:
            return self._reset(abort=True)
        self.last_done = max(self.last_done, checkpoint_id)
        return []

    def _complete(self) -> bool:
        return len(self.seen) + len(self.ended) >= self.num_channels

    def _finish(self) -> list[Action]:
        barrier = self.current_barrier
        actions: list[Action] = [("unblock_all", None)] if self.exactly_once else []
        self.last_done = max(self.last_done, self.current or 0)
        self.current = None
        self.current_barrier = None
        self.seen = set()
        return actions + [("checkpoint", barrier)]

    def _reset(self, abort: bool) -> list[Action]:
        cid = self.current
        actions: list[Action] = [("unblock_all", None)] if self.exactly_once else []
        if abort and cid is not None:
            actions.append(("abort", cid))
            self.last_done = max(self.last_done, cid)
        self.current = None
        self.current_barrier = None
        self.seen = set()
        return actions
