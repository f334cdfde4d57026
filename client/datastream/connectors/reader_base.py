"""``SourceReaderBase``: a reader that works through its splits one at a time.

Most sources read one split after the other and only differ in how a split
is opened and read. Subclass :class:`SourceReaderBase` and implement
:meth:`~SourceReaderBase.fetch` (and optionally ``open_split`` /
``close_split``); the base class requests splits from the enumerator, keeps
the queue, reports ``END_OF_INPUT`` once no more splits will come, and
snapshots the current split plus the queued ones.

Position contract: after ``fetch`` returned records, the split object must
describe the position *after the last returned record*, because
:meth:`~SourceReaderBase.snapshot_state` may be called between two fetches
and a restored reader continues from there.
"""

from __future__ import annotations

import abc
import collections
import copy
from typing import Any, Generic

from flink_py.datastream.connectors.source import (
    InputStatus,
    ReaderOutput,
    SourceReader,
    SourceReaderContext,
    SplitT,
)

__all__ = ["SourceReaderBase"]


class SourceReaderBase(SourceReader[SplitT], Generic[SplitT], abc.ABC):
    """Reads assigned splits sequentially; subclasses implement :meth:`fetch`."""

    def __init__(self, context: SourceReaderContext) -> None:
        self.context = context
        self._queue: collections.deque[SplitT] = collections.deque()
        self._current: SplitT | None = None
        self._no_more_splits = False
        self._requested = False

    # -- hooks ---------------------------------------------------------------
    def open_split(self, split: SplitT) -> None:  # noqa: B027 - optional hook
        """Prepare reading ``split`` (open a file, seek to its position)."""

    @abc.abstractmethod
    def fetch(self, split: SplitT, max_records: int) -> tuple[list[Any], bool]:
        """Read up to about ``max_records`` records of ``split``.

        Returns:
            The records (possibly none) and whether the split is finished.
            The split's position must be advanced past the returned records.
        """

    def close_split(self, split: SplitT) -> None:  # noqa: B027 - optional hook
        """``split`` is finished or the reader closes."""

    # -- SourceReader ----------------------------------------------------------
    def start(self) -> None:  # noqa: D102
        self._request()

    def _request(self) -> None:
        if not self._requested and not self._no_more_splits:
            self._requested = True
            self.context.send_split_request()

    def add_splits(self, splits: list[SplitT]) -> None:  # noqa: D102
        self._queue.extend(splits)
        self._requested = False

    def notify_no_more_splits(self) -> None:  # noqa: D102
        self._no_more_splits = True

    def poll_next(self, output: ReaderOutput) -> InputStatus:  # noqa: D102
        while True:
            split = self._current
            if split is None:
                if self._queue:
                    split = self._current = self._queue.popleft()
                    self.open_split(split)
                    if not self._queue:
                        self._request()  # ask for the next one while reading this
                elif self._no_more_splits:
                    return InputStatus.END_OF_INPUT
                else:
                    self._request()
                    return InputStatus.NOTHING_AVAILABLE
            records, finished = self.fetch(split, output.capacity())
            if records:
                output.collect_batch(records)
            if finished:
                self.close_split(split)
                self._current = None
            if records:
                return InputStatus.MORE_AVAILABLE
            if not finished:
                return InputStatus.NOTHING_AVAILABLE

    def snapshot_state(self, checkpoint_id: int) -> list[SplitT]:  # noqa: D102
        pending = [copy.copy(self._current)] if self._current is not None else []
        return pending + [copy.copy(s) for s in self._queue]

    def close(self) -> None:  # noqa: D102
        if self._current is not None:
            self.close_split(self._current)
            self._current = None
