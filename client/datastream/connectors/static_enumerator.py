"""``StaticSplitEnumerator``: hands out a fixed list of splits, deterministically.

The enumerator of bounded sources whose splits are known up front
(a number range, a collection, a static set of files). Each split gets an
owner subtask when the enumerator starts -- round-robin over the list in its
given order by default -- and a reader's requests are answered from its own
queue; when that queue is empty the reader is told ``no more splits``.
Because the owner depends only on the list, every enumerator replica (one per
source subtask, see :mod:`flink_py.datastream.connectors.source`) makes the
same decisions.

Checkpoint: ``{subtask: [splits not yet handed to that subtask]}``. In a
replica only the entry of its own subtask advances (it answers only its own
reader), so a checkpoint keeps entry ``i`` from the replica of subtask ``i``
(:func:`merge_replica_snapshots`). Restored at the same parallelism the
owners are kept; at another parallelism the splits are dealt round-robin anew.
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable, Sequence
from typing import Generic

from flink_py.datastream.connectors.source import SplitEnumerator, SplitEnumeratorContext, SplitT

__all__ = ["StaticSplitEnumerator", "merge_replica_snapshots", "round_robin"]


def round_robin(index: int, split: object, parallelism: int) -> int:
    """Owner of the ``index``-th split: ``index mod parallelism``."""
    return index % parallelism


def merge_replica_snapshots(snapshots: dict[int, dict[int, list[SplitT]]]
                            ) -> dict[int, list[SplitT]]:
    """The job-wide checkpoint: entry ``i`` of the replica of subtask ``i``."""
    return {i: list(snap.get(i, [])) for i, snap in snapshots.items()}


class StaticSplitEnumerator(SplitEnumerator[SplitT, dict[int, list[SplitT]]], Generic[SplitT]):
    """Assigns a fixed list of splits; its checkpoint is the unassigned rest.

    Args:
        context: the enumerator context.
        splits: every split, in a deterministic order.
        owner: ``(index, split, parallelism) -> subtask``; round-robin by default.
        restored: a checkpoint of this enumerator (``splits`` is then ignored).
    """

    def __init__(self, context: SplitEnumeratorContext[SplitT], splits: Sequence[SplitT],
                 owner: Callable[[int, SplitT, int], int] = round_robin,
                 restored: dict[int, list[SplitT]] | None = None) -> None:
        self.context = context
        self._pending: dict[int, collections.deque[SplitT]] = collections.defaultdict(
            collections.deque)
        p = context.current_parallelism()
        if restored is not None and set(restored) <= set(range(p)) and len(restored) == p:
            for subtask, rest in restored.items():
                self._pending[subtask].extend(rest)
            return
        if restored is not None:
            splits = [s for _, rest in sorted(restored.items()) for s in rest]
            owner = round_robin
        for i, split in enumerate(splits):
            self._pending[owner(i, split, p)].append(split)

    def handle_split_request(self, subtask_id: int, requester_hostname: str | None) -> None:  # noqa: D102
        queue = self._pending.get(subtask_id)
        if queue:
            self.context.assign_split(queue.popleft(), subtask_id)
        else:
            self.context.signal_no_more_splits(subtask_id)

    def add_splits_back(self, splits: list[SplitT], subtask_id: int) -> None:  # noqa: D102
        self._pending[subtask_id].extendleft(reversed(splits))

    def add_reader(self, subtask_id: int) -> None:  # noqa: D102
        return  # splits are handed out on request

    def snapshot_state(self, checkpoint_id: int) -> dict[int, list[SplitT]]:  # noqa: D102
        p = self.context.current_parallelism()
        return {i: [copy.copy(s) for s in self._pending.get(i, ())] for i in range(p)}
