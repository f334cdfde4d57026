"""``JobID``, as in ``pyflink.common.job_id``: a job's id (32 hex characters).

A ``str`` subclass: ``str(job_id)`` is the id as PyFlink prints it, and code that treats
the id as text (the CLI, ``flink-py cancel ID``) keeps working.
"""

from __future__ import annotations

__all__ = ["JobID"]


class JobID(str):
    """The id of a job; ``str(job_id)`` is its 32 hex characters."""

    __slots__ = ()

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"JobID({str.__repr__(self)})"
