"""``JobID``, as in ``pyflink.common.job_id``: a job's id (32 hex characters)."""

from __future__ import annotations

__all__ = ["JobID"]


class JobID:
    """The id of a job; ``str(job_id)`` is its 32 hex characters."""

    def __init__(self, job_id: str) -> None:
        self._id = str(job_id)

    def __str__(self) -> str:
        return self._id

    def __repr__(self) -> str:
        return f"JobID({self._id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobID) and self._id == other._id

    def __hash__(self) -> int:
        return hash(self._id)
