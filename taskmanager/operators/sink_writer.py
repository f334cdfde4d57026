"""``DataStream.sink_to``: runs a Sink's writer and, for two-phase sinks, its committer.

Flink runs a ``SinkWriterOperator`` followed by a ``CommitterOperator``; here
both live in one operator of the subtask (they would be chained anyway).
Without checkpointing (or in BATCH mode) committables are committed at the end
of input. With periodic checkpoints and final checkpoints (FLIP-147,
``execution.checkpointing.checkpoints-after-tasks-finish``) the end of input
only prepares the last committables (Flink's end-of-input committables): they
join the next checkpoint's snapshot -- the task's final checkpoint -- and are
committed when it completes, so a failure while the job finishes neither loses
nor duplicates them. The checkpointing runtime drives the same pieces per
checkpoint:

* :meth:`SinkOperator.prepare_snapshot_pre_barrier` -- ``flush(False)`` and
  ``prepare_commit()``; the committables are kept under the checkpoint id;
* :meth:`SinkOperator.snapshot_sink` -- writer state plus uncommitted committables;
* :meth:`SinkOperator.notify_checkpoint_complete` -- commit everything up to it;
* :meth:`SinkOperator.restore_sink` -- re-commit restored committables (idempotent),
  then let the writer discard what earlier attempts left uncommitted
  (``discard_in_progress``, e.g. FileSink's in-progress part files).
"""

from __future__ import annotations

import time
from typing import Any

from flink_py.datastream.connectors.sink import CommitRequest, Sink, WriterInitContext
from flink_py.taskmanager.operators.base import StreamOperator

__all__ = ["SinkOperator"]

#: Rounds of ``retry_later`` before a commit counts as failed.
MAX_COMMIT_RETRIES = 10
_RETRY_PAUSE_S = 0.1


class SinkOperator(StreamOperator):
    """Writes batches with the sink's writer; commits through its committer."""

    def __init__(self, sink: Sink[Any], input_type: Any = None) -> None:
        super().__init__()
        self.sink = sink
        self.input_type = input_type
        self.writer: Any = None
        self.committer: Any = None
        self._pending: dict[int, list[Any]] = {}
        self._restored: list[Any] | None = None
        #: committables prepared at end of input, waiting for the final checkpoint
        self._end_of_input: list[Any] = []
        self._commit_on_final_checkpoint = False

    def open(self) -> None:  # noqa: D102
        super().open()
        ctx = self.ctx
        self.writer = self.sink.create_writer(WriterInitContext(
            ctx.subtask_index, ctx.parallelism, ctx.attempt, ctx.job_id,
            dict(ctx.job_parameters or {}), self.input_type,
            getattr(ctx, "processing_time_service", None)))
        self.committer = self.sink.create_committer()
        self._commit_on_final_checkpoint = str((ctx.job_parameters or {}).get(
            "execution.checkpointing.checkpoints-after-tasks-finish", "false")).lower() == "true"
        if self._restored is not None:
            restored, self._restored = self._restored, None
            self._commit(restored)
            discard = getattr(self.writer, "discard_in_progress", None)
            if discard is not None:
                discard({str(getattr(c, "temp", "")) for c in restored})

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        self.writer.write_batch(values, timestamps)

    def end_input(self) -> None:  # noqa: D102
        ctx = self.ctx
        if not getattr(self.sink, "commits_without_checkpoints", True) \
                and ctx.runtime_mode != "BATCH" \
                and not (ctx.job_parameters or {}).get("execution.checkpointing.interval"):
            # Flink's legacy StreamingFileSink publishes files only when a checkpoint
            # completes: a streaming job without checkpoints leaves them in progress
            self.writer.close()
            return
        self.writer.flush(True)
        committables = self.writer.prepare_commit()
        if self._commit_on_final_checkpoint:
            self._end_of_input.extend(committables)  # committed by the final checkpoint
            return
        for cid in sorted(self._pending):
            committables = self._pending.pop(cid) + committables
        self._commit(committables)

    # -- checkpoint hooks --------------------------------------------------------
    def prepare_snapshot_pre_barrier(self, checkpoint_id: int) -> None:
        """Flush and collect the committables that belong to ``checkpoint_id``."""
        self.writer.flush(False)
        pending = self._pending.setdefault(checkpoint_id, [])
        pending.extend(self._end_of_input)
        self._end_of_input = []
        pending.extend(self.writer.prepare_commit())

    def snapshot_sink(self, checkpoint_id: int) -> dict[str, Any]:
        """Writer state and the committables not yet committed."""
        return {"writer": self.writer.snapshot_state(checkpoint_id),
                "committables": [c for cid in sorted(self._pending) for c in self._pending[cid]]}

    def restore_sink(self, state: dict[str, Any]) -> None:
        """Committables of a restored checkpoint are committed again on open."""
        self._restored = list(state.get("committables", []))

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:
        """Commit the committables of every checkpoint up to ``checkpoint_id``."""
        if self.committer is None:
            return
        done = [cid for cid in self._pending if cid <= checkpoint_id]
        committables = [c for cid in sorted(done) for c in self._pending.pop(cid)]
        self._commit(committables)

    # -- committing ----------------------------------------------------------------
    def _commit(self, committables: list[Any]) -> None:
        if not committables or self.committer is None:
            return
        requests = [CommitRequest(c) for c in committables]
        for attempt in range(MAX_COMMIT_RETRIES + 1):
            self.committer.commit(requests)
            for r in requests:
                if r.outcome == "failed":
                    msg = (f"Sink '{self.ctx.operator_name}' could not commit "
                           f"{r.get_committable()!r}: {r.error}")
                    raise RuntimeError(msg) from r.error
            requests = [CommitRequest(r.get_committable(), attempt + 1)
                        for r in requests if r.outcome == "retry"]
            if not requests:
                return
            time.sleep(_RETRY_PAUSE_S)
        msg = (f"Sink '{self.ctx.operator_name}' gave up committing {len(requests)} "
               f"committables after {MAX_COMMIT_RETRIES} retries")
        raise RuntimeError(msg)

    def close(self) -> None:  # noqa: D102
        writer, committer = self.writer, self.committer
        self.writer = self.committer = None
        try:
            if writer is not None:
                writer.close()
        finally:
            if committer is not None:
                committer.close()
            super().close()
