"""In-band events of the data plane: event time and checkpoint barriers.

Watermarks and watermark statuses travel in order with the records of a
channel, as credit-free events (like end-of-partition): locally as the
objects themselves, remotely as pickled EVENT frames. They are broadcast to
every channel of every output edge.
"""

from __future__ import annotations

__all__ = ["CancelCheckpointMarker", "CheckpointBarrier", "WatermarkEvent", "WatermarkStatusEvent"]


class WatermarkEvent:
    """Event time on this channel reached ``timestamp`` (epoch ms)."""

    __slots__ = ("timestamp",)

    def __init__(self, timestamp: int) -> None:
        self.timestamp = timestamp

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return WatermarkEvent, (self.timestamp,)

    def __repr__(self) -> str:
        return f"WatermarkEvent({self.timestamp})"


class WatermarkStatusEvent:
    """The channel became IDLE (``idle=True``) or ACTIVE again."""

    __slots__ = ("idle",)

    def __init__(self, idle: bool) -> None:
        self.idle = idle

    def __reduce__(self) -> tuple[type, tuple[bool]]:
        return WatermarkStatusEvent, (self.idle,)

    def __repr__(self) -> str:
        return f"WatermarkStatusEvent({'IDLE' if self.idle else 'ACTIVE'})"


class CheckpointBarrier:
    """Barrier ``checkpoint_id``: everything before it on this channel belongs to the checkpoint.

    Credit-free like every event, but in order behind the data queued before
    it (aligned checkpoints). Sources inject it; tasks forward it to every
    output channel once aligned (Flink semantics §6.2).
    """

    __slots__ = ("checkpoint_id", "timestamp")

    def __init__(self, checkpoint_id: int, timestamp: int) -> None:
        self.checkpoint_id = checkpoint_id
        self.timestamp = timestamp

    def __reduce__(self) -> tuple[type, tuple[int, int]]:
        return CheckpointBarrier, (self.checkpoint_id, self.timestamp)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, CheckpointBarrier) and other.checkpoint_id == self.checkpoint_id
                and other.timestamp == self.timestamp)

    def __hash__(self) -> int:
        return hash((self.checkpoint_id, self.timestamp))

    def __repr__(self) -> str:
        return f"CheckpointBarrier({self.checkpoint_id})"


class CancelCheckpointMarker:
    """Checkpoint ``checkpoint_id`` was aborted upstream: stop aligning it."""

    __slots__ = ("checkpoint_id",)

    def __init__(self, checkpoint_id: int) -> None:
        self.checkpoint_id = checkpoint_id

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return CancelCheckpointMarker, (self.checkpoint_id,)

    def __repr__(self) -> str:
        return f"CancelCheckpointMarker({self.checkpoint_id})"
