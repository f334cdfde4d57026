"""In-band events of the data plane: event time, checkpoint barriers, end of data.

Watermarks and watermark statuses travel in order with the records of a
channel, as credit-free events (like end-of-partition): locally as the
objects themselves, remotely as pickled EVENT frames. They are broadcast to
every channel of every output edge.
"""

from __future__ import annotations

__all__ = ["CancelCheckpointMarker", "CheckpointBarrier", "EndOfData", "WatermarkEvent",
           "WatermarkStatusEvent"]


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


class EndOfData:
    """The producer sent its last record on this channel (Flink's ``EndOfData``).

    ``drain`` is Flink's ``StopMode``: DRAIN (``True``: the input ended, or
    ``stop --drain``) makes the consumer end its operators' input once every
    channel delivered it; NO_DRAIN (``False``: ``stop`` without ``--drain``)
    ends the task without calling ``end_input`` (operators keep their open
    state, e.g. windows, in the savepoint). The producer may still send
    checkpoint barriers after it (its final checkpoint), then end-of-partition.
    """

    __slots__ = ("drain",)

    def __init__(self, drain: bool) -> None:
        self.drain = drain

    def __reduce__(self) -> tuple[type, tuple[bool]]:
        return EndOfData, (self.drain,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EndOfData) and other.drain == self.drain

    def __hash__(self) -> int:
        return hash(("EndOfData", self.drain))

    def __repr__(self) -> str:
        return f"EndOfData({'DRAIN' if self.drain else 'NO_DRAIN'})"
