"""Transformations: the lazily built graph behind DataStream calls.

Each DataStream wraps one :class:`Transformation`. Operator transformations
carry a runtime operator; *virtual* ones (partition, union, side output)
only shape the edges of the StreamGraph built at ``execute()``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

__all__ = ["Transformation"]

_ids = itertools.count(1)


@dataclasses.dataclass(eq=False)
class Transformation:
    """One node of the user's program.

    Attributes:
        kind: ``source``, ``operator``, ``partition``, ``union`` or
            ``side_output``.
        inputs: ``(upstream, input index)`` pairs; the index is 0 or 1.
        operator: the runtime operator (source and operator kinds).
        output_type: declared TypeInformation of the output, or None.
        parallelism: explicitly set parallelism, or None.
        non_parallel: the operator can only run with parallelism 1.
        partitioner: for ``partition``: the partitioner and its Flink name.
        side_tag: for ``side_output``: the tag name.
        description: where the program created the operator (``file:line``).
        operator_description: the user's ``set_description`` text.
        buffer_timeout: the user's ``set_buffer_timeout`` (ms; flushing uses the
            job's ``execution.buffer-timeout``).
    """

    kind: str
    name: str
    inputs: list[tuple[Transformation, int]] = dataclasses.field(default_factory=list)
    operator: Any = None
    output_type: Any = None
    parallelism: int | None = None
    max_parallelism: int | None = None
    non_parallel: bool = False
    uid: str | None = None
    uid_hash: str | None = None
    slot_sharing_group: str | None = None
    chaining: str | None = None  # None, "HEAD" (start_new_chain) or "NEVER"
    partitioner: Any = None
    partitioner_name: str | None = None
    side_tag: str | None = None
    description: str = ""
    operator_description: str | None = None  # set_description(); the plan's "contents"
    buffer_timeout: int | None = None  # set_buffer_timeout() (recorded)
    id: int = dataclasses.field(default_factory=lambda: next(_ids))
