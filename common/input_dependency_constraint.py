"""``InputDependencyConstraint``, as in ``pyflink.common.input_dependency_constraint``.

Recorded only: flink-py deploys all tasks of a job at once (streaming scheduling).
"""

from __future__ import annotations

import enum

__all__ = ["InputDependencyConstraint"]


class InputDependencyConstraint(enum.Enum):
    """When a task may be scheduled with respect to its inputs."""

    ANY = 0
    ALL = 1
