"""The Sink API for ``DataStream.sink_to``: a writer per subtask plus an optional committer.

Shaped like Flink's Sink V2 with ``SupportsCommitter`` (two-phase commit):

1. Every parallel subtask creates a :class:`SinkWriter` (:meth:`Sink.create_writer`)
   and receives its records in :meth:`SinkWriter.write_batch`.
2. Before a checkpoint barrier, and at the end of input, the runtime calls
   :meth:`SinkWriter.flush` and then :meth:`SinkWriter.prepare_commit`, which
   returns *committables*: picklable descriptions of work that is durable but
   not yet visible (a closed, still hidden part file; a pre-committed
   transaction).
3. The sink's :class:`Committer` makes them visible (:meth:`Committer.commit`):
   at the end of input in a bounded job and, with checkpointing, once the
   checkpoint that holds them completed. ``commit`` must be idempotent -- after
   a failure the same committables may be committed again.

Without checkpointing, committables are committed at the end of input only.
"""

from __future__ import annotations

import abc
import enum
from typing import Any, Generic, TypeVar

__all__ = [
    "CommitRequest",
    "Committer",
    "DeliveryGuarantee",
    "Sink",
    "SinkWriter",
    "WriterInitContext",
]

CommT = TypeVar("CommT")


class DeliveryGuarantee(enum.Enum):
    """What a sink promises after failures (PyFlink's ``DeliveryGuarantee``)."""

    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1
    NONE = 2


class WriterInitContext:
    """What a writer knows about its subtask."""

    def __init__(self, subtask_id: int, parallelism: int, attempt: int, job_id: str,
                 configuration: dict[str, str], input_type: Any,
                 processing_time_service: Any = None) -> None:
        self._subtask_id = subtask_id
        self._parallelism = parallelism
        self._attempt = attempt
        self._job_id = job_id
        self._configuration = configuration
        self._input_type = input_type
        self._processing_time_service = processing_time_service

    def get_subtask_id(self) -> int:
        """This writer's subtask index."""
        return self._subtask_id

    def get_number_of_parallel_subtasks(self) -> int:
        """The sink's parallelism."""
        return self._parallelism

    def get_attempt_number(self) -> int:
        """The attempt of this subtask (0 on the first run)."""
        return self._attempt

    def get_job_id(self) -> str:
        """The job's id."""
        return self._job_id

    def get_configuration(self) -> dict[str, str]:
        """The job's configuration."""
        return self._configuration

    def get_input_type(self) -> Any:
        """The declared type of the records (None: pickled values)."""
        return self._input_type

    def get_processing_time_service(self) -> Any:
        """The task's timer service (``register_timer(ms, callback)``), or None.

        Callbacks run on the task thread, between batches.
        """
        return self._processing_time_service


class SinkWriter(Generic[CommT], abc.ABC):
    """Writes the records of one subtask."""

    @abc.abstractmethod
    def write(self, element: Any, context: Any) -> None:
        """Write one record (``context.timestamp()`` is its event time or None)."""

    def write_batch(self, elements: list[Any], timestamps: list[int] | None) -> None:
        """Write a batch of records (override for speed; the default calls :meth:`write`)."""
        ctx = _WriteContext()
        if timestamps is None:
            for e in elements:
                self.write(e, ctx)
        else:
            for e, ts in zip(elements, timestamps):
                ctx.ts = ts
                self.write(e, ctx)

    def flush(self, end_of_input: bool) -> None:  # noqa: B027 - optional hook
        """Make everything written so far durable (before a checkpoint or at the end)."""

    def prepare_commit(self) -> list[CommT]:
        """The committables produced since the last call (after :meth:`flush`)."""
        return []

    def snapshot_state(self, checkpoint_id: int) -> list[Any]:
        """Writer state to checkpoint (e.g. in-progress files to resume)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (also called after failures)."""


class CommitRequest(Generic[CommT]):
    """One committable handed to :meth:`Committer.commit`, and its outcome."""

    def __init__(self, committable: CommT, retries: int = 0) -> None:
        self._committable = committable
        self._retries = retries
        self.outcome = "committed"
        self.error: BaseException | None = None

    def get_committable(self) -> CommT:
        """The committable."""
        return self._committable

    def get_number_of_retries(self) -> int:
        """How often this committable was retried already."""
        return self._retries

    def signal_failed_with_known_reason(self, t: BaseException) -> None:
        """Committing failed for a known reason: the job fails with it."""
        self.outcome, self.error = "failed", t

    def signal_failed_with_unknown_reason(self, t: BaseException) -> None:
        """Committing failed unexpectedly: the job fails with it."""
        self.outcome, self.error = "failed", t

    def retry_later(self) -> None:
        """Try this committable again later."""
        self.outcome = "retry"

    def update_and_retry_later(self, committable: CommT) -> None:
        """Try again later with an updated committable."""
        self._committable = committable
        self.outcome = "retry"

    def signal_already_committed(self) -> None:
        """The committable had been committed before (after a restore)."""
        self.outcome = "already_committed"


class Committer(Generic[CommT], abc.ABC):
    """Makes committables visible; must be idempotent."""

    @abc.abstractmethod
    def commit(self, requests: list[CommitRequest[CommT]]) -> None:
        """Commit every request, or mark it retry/failed."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""


class Sink(Generic[CommT], abc.ABC):
    """A sink for ``DataStream.sink_to``; picklable (it travels with the job)."""

    def set_input_type(self, type_info: Any) -> None:  # noqa: B027 - optional hook
        """Called with the stream's declared type when the sink is attached."""

    @abc.abstractmethod
    def create_writer(self, context: WriterInitContext) -> SinkWriter[CommT]:
        """The writer of one subtask."""

    def create_committer(self) -> Committer[CommT] | None:
        """The committer of a two-phase-commit sink, or None."""
        return None


class _WriteContext:
    __slots__ = ("ts",)

    def __init__(self) -> None:
        self.ts: int | None = None

    def timestamp(self) -> int | None:
        return self.ts

    def current_watermark(self) -> int:
        return -(1 << 63)
