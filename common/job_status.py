"""``JobStatus``: the states of a job, as PyFlink's ``pyflink.common.JobStatus``."""

from __future__ import annotations

from enum import Enum

__all__ = ["JobStatus"]


class JobStatus(Enum):
    """A job's state (Flink's ``JobStatus``)."""

    INITIALIZING = 0
    CREATED = 1
    RUNNING = 2
    FAILING = 3
    FAILED = 4
    CANCELLING = 5
    CANCELED = 6
    FINISHED = 7
    RESTARTING = 8
    SUSPENDED = 9
    RECONCILING = 10

    def is_globally_terminal_state(self) -> bool:
        """FINISHED, CANCELED or FAILED: the job will never run again."""
        return self in (JobStatus.FINISHED, JobStatus.CANCELED, JobStatus.FAILED)

    def is_terminal_state(self) -> bool:
        """Globally terminal, or SUSPENDED (locally terminal)."""
        return self.is_globally_terminal_state() or self is JobStatus.SUSPENDED
