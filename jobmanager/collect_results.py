"""The JobManager's side of ``execute_and_collect``: which results the client may see.

One :class:`CollectResults` per collect sink of a job (Flink's collect sink
coordinator plus its result buffers), a state machine without I/O. The sink
subtask pushes pickled batches, each tagged with the id of the last checkpoint
it took part in (``tag``); the client takes *visible* batches. As in Flink
(``CollectResultIterator``), what becomes visible when depends on checkpointing:

* ``EXACTLY_ONCE`` -- checkpointing on in EXACTLY_ONCE mode (streaming): a batch
  becomes visible once a completed checkpoint covers it (checkpoint ``c``
  covers the batches emitted before the sink's barrier ``c``: ``tag < c``), or
  when the job finishes. A restart (from the latest completed checkpoint)
  drops the batches no checkpoint covers: the new attempt emits them again.
  The client sees every result exactly once, at checkpoint pace.
* ``AT_LEAST_ONCE`` -- checkpointing on in AT_LEAST_ONCE mode: batches are
  visible at once; after a restart the results since the last checkpoint
  come again (duplicates, nothing lost).
* ``NONE`` -- no checkpointing (or BATCH): visible at once. A restart replays
  the job from the start: if the client has taken nothing yet the buffer
  starts over, otherwise results cannot be taken back and the collection
  fails ("Job restarted", as Flink's iterator does without failure tolerance).

Batches of an attempt older than the current one (a cancelled subtask still
flushing) are dropped, and only the current attempt's end counts.
"""

from __future__ import annotations

import collections
import enum

__all__ = ["CollectResults", "Guarantee"]


class Guarantee(enum.Enum):
    """What the client of a collect sink is promised across restarts."""

    EXACTLY_ONCE = "EXACTLY_ONCE"
    AT_LEAST_ONCE = "AT_LEAST_ONCE"
    NONE = "NONE"

    @classmethod
    def of(cls, checkpointing: bool, mode: str, streaming: bool) -> Guarantee:
        """The guarantee of a job with these checkpoint settings."""
        if not checkpointing or not streaming:
            return cls.NONE
        return cls.EXACTLY_ONCE if mode == "EXACTLY_ONCE" else cls.AT_LEAST_ONCE


class CollectResults:
    """Results of one execute_and_collect sink, between its subtasks and the client.

    Args:
        producers: the sink's parallelism (1: Flink's collect sink is not parallel).
        guarantee: see the module docs.
    """

    def __init__(self, producers: int, guarantee: Guarantee) -> None:
        self.producers = producers
        self.guarantee = guarantee
        #: batches the client may take, oldest first
        self.visible: collections.deque[bytes] = collections.deque()
        #: ``(tag, batch)`` waiting for a checkpoint to cover them (EXACTLY_ONCE)
        self.pending: list[tuple[int, bytes]] = []
        self.attempt = 0
        #: checkpoint the current attempt started from (0: from scratch)
        self.base = 0
        self.ended: set[int] = set()
        self.taken = False
        #: why the collection cannot go on (the client raises it), or None
        self.error: str | None = None

    def push(self, attempt: int, subtask: int, payload: bytes, end: bool, tag: int) -> None:
        """A batch (possibly empty) of ``subtask``; ``end``: its input ended."""
        if attempt < self.attempt:
            return  # a subtask of an attempt that was cancelled
        if attempt > self.attempt:  # pushed before the JobManager saw the restart
            self.restart(attempt, self.base)
        if payload:
            if self.guarantee is Guarantee.EXACTLY_ONCE:
                self.pending.append((max(tag, self.base), payload))
            else:
                self.visible.append(payload)
        if end:
            self.ended.add(subtask)

    def checkpoint_completed(self, checkpoint_id: int) -> None:
        """Checkpoint ``checkpoint_id`` completed: what it covers becomes visible."""
        if not self.pending:
            return
        covered = [p for tag, p in self.pending if tag < checkpoint_id]
        if covered:
            self.visible.extend(covered)
            self.pending = [(tag, p) for tag, p in self.pending if tag >= checkpoint_id]

    def restart(self, attempt: int, restored_checkpoint: int) -> None:
        """The job was redeployed as ``attempt`` from ``restored_checkpoint`` (0: none)."""
        if attempt <= self.attempt:
            return
        self.attempt = attempt
        self.base = restored_checkpoint
        self.ended = set()
        self.pending = []
        if self.guarantee is Guarantee.NONE:
            if self.taken:
                self.error = ("Job restarted: execute_and_collect cannot take back the "
                              "results it already returned; enable checkpointing to collect "
                              "across restarts")
            self.visible.clear()

    def job_finished(self) -> None:
        """The job FINISHED: every result is final."""
        if self.pending:
            self.visible.extend(p for _, p in self.pending)
            self.pending = []

    def job_ended_otherwise(self) -> None:
        """The job FAILED or was CANCELED: what no checkpoint covered is void."""
        self.pending = []

    def take(self, max_batches: int) -> list[bytes]:
        """Up to ``max_batches`` visible batches, oldest first."""
        n = min(max_batches, len(self.visible))
        if n:
            self.taken = True
        return [self.visible.popleft() for _ in range(n)]

    @property
    def all_ended(self) -> bool:
        """Every sink subtask of the current attempt reached the end of its input."""
        return len(self.ended) >= self.producers
