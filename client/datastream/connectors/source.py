"""The Source API: splits, a split enumerator and per-subtask readers (Flink's FLIP-27).

A :class:`Source` is a factory for two collaborating parts:

* a :class:`SplitEnumerator` discovers the *splits* of the input (a file or a
  byte range of one, a range of numbers, a partition...) and assigns them to
  the parallel readers through its :class:`SplitEnumeratorContext`;
* a :class:`SourceReader` per parallel subtask reads the splits assigned to
  it, emitting records through a :class:`ReaderOutput`, and can at any time
  return its splits *with their current positions* (:meth:`SourceReader.snapshot_state`).

Splits are plain picklable objects implementing :class:`SourceSplit`. A split
returned by ``snapshot_state`` carries the position from which reading it again
continues exactly after the last record emitted; this is what checkpoints store
and what a restarted job hands back to new readers through
:meth:`SourceReader.add_splits` (together with :meth:`Source.restore_enumerator`
for the enumerator's own checkpoint, e.g. the files already discovered).

Where the enumerator runs
-------------------------
In Flink the enumerator runs once, in the JobManager, and readers request
splits over RPC. flink-py runs **one replica of the enumerator inside every
source subtask** (``flink_py.taskmanager.operators.sources.SourceReaderOperator``):
each replica sees every reader registered (``add_reader(0..p-1)``), receives
split requests only from its own reader, and its context delivers only the
assignments addressed to its own subtask. This needs no coordination traffic
and supports dynamic discovery (``FileSource.monitor_continuously`` lists the
directories periodically in every replica). The price is one contract:

    **An enumerator must choose the subtask of a split deterministically** --
    from the split itself and from what ``start()``/periodic discovery sees,
    never from the order in which readers ask. Every replica then makes the
    same decision and each split is read by exactly one subtask.

:func:`owner_of` (stable hash of the split id) and round-robin over a sorted
split list are two such rules; the built-in enumerators use them.

Boundedness
-----------
:meth:`Source.get_boundedness` tells the runtime whether the source ends by
itself (``BOUNDED``); the environment's AUTOMATIC runtime mode picks BATCH
only when every source of the job is bounded. A reader ends once it was told
``notify_no_more_splits`` and has finished all its splits
(:class:`InputStatus` ``END_OF_INPUT``).
"""

from __future__ import annotations

import abc
import enum
import zlib
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = [
    "Boundedness",
    "InputStatus",
    "ReaderOutput",
    "Source",
    "SourceReader",
    "SourceReaderContext",
    "SourceSplit",
    "SplitEnumerator",
    "SplitEnumeratorContext",
    "owner_of",
]

SplitT = TypeVar("SplitT", bound="SourceSplit")
EnumChkT = TypeVar("EnumChkT")


class Boundedness(enum.Enum):
    """Whether a source ends by itself."""

    BOUNDED = 0
    CONTINUOUS_UNBOUNDED = 1


class InputStatus(enum.Enum):
    """What :meth:`SourceReader.poll_next` reports after emitting."""

    #: More records may be available right away: poll again.
    MORE_AVAILABLE = 0
    #: Nothing right now; the runtime waits (:meth:`SourceReader.wait_available`).
    NOTHING_AVAILABLE = 1
    #: This reader is done for good.
    END_OF_INPUT = 2


class SourceSplit(abc.ABC):
    """A piece of the input, with the position reached inside it."""

    @abc.abstractmethod
    def split_id(self) -> str:
        """A unique, stable id of this split."""


def owner_of(split_id: str, parallelism: int) -> int:
    """The subtask owning ``split_id`` by a stable hash (same in every process)."""
    return zlib.crc32(split_id.encode("utf-8")) % parallelism


class ReaderOutput(abc.ABC):
    """Where a :class:`SourceReader` emits records."""

    @abc.abstractmethod
    def collect(self, record: Any, timestamp: int | None = None) -> None:
        """Emit one record (with an optional event timestamp in ms)."""

    @abc.abstractmethod
    def collect_batch(self, records: list[Any], timestamps: list[int] | None = None) -> None:
        """Emit several records at once (flink-py: the fast path)."""

    @abc.abstractmethod
    def capacity(self) -> int:
        """How many more records this poll should emit (a hint; at least 1)."""


class SourceReaderContext(abc.ABC):
    """What a reader knows about its subtask and how it talks to the enumerator."""

    @abc.abstractmethod
    def get_index_of_subtask(self) -> int:
        """This reader's subtask index."""

    @abc.abstractmethod
    def current_parallelism(self) -> int:
        """The number of parallel readers."""

    @abc.abstractmethod
    def send_split_request(self) -> None:
        """Ask the enumerator for (more) splits."""

    @abc.abstractmethod
    def send_source_event_to_coordinator(self, event: Any) -> None:
        """Deliver a custom event to :meth:`SplitEnumerator.handle_source_event`."""

    @abc.abstractmethod
    def get_configuration(self) -> dict[str, str]:
        """The job's configuration."""

    def metric_group(self) -> Any:
        """The reader's metric group (None until metrics are exported)."""
        return None


class SplitEnumeratorContext(Generic[SplitT], abc.ABC):
    """The enumerator's view of the readers, and how it hands out splits."""

    @abc.abstractmethod
    def current_parallelism(self) -> int:
        """The number of parallel readers."""

    @abc.abstractmethod
    def registered_readers(self) -> dict[int, Any]:
        """Subtask index -> reader info of every registered reader."""

    @abc.abstractmethod
    def assign_split(self, split: SplitT, subtask: int) -> None:
        """Give ``split`` to the reader of ``subtask``."""

    def assign_splits(self, assignment: dict[int, Sequence[SplitT]]) -> None:
        """Give several splits to several readers."""
        for subtask, splits in assignment.items():
            for split in splits:
                self.assign_split(split, subtask)

    @abc.abstractmethod
    def signal_no_more_splits(self, subtask: int) -> None:
        """Tell the reader of ``subtask`` that no further splits will come."""

    @abc.abstractmethod
    def send_event_to_source_reader(self, subtask: int, event: Any) -> None:
        """Deliver a custom event to :meth:`SourceReader.handle_source_events`."""

    @abc.abstractmethod
    def call_async(self, callable_: Callable[[], Any],
                   handler: Callable[[Any, BaseException | None], None],
                   initial_delay_ms: int = 0, period_ms: int = 0) -> None:
        """Run ``callable_`` off the coordinator thread, then ``handler(result, error)`` on it.

        With ``period_ms > 0`` this repeats every ``period_ms`` after
        ``initial_delay_ms`` (periodic discovery).
        """

    @abc.abstractmethod
    def run_in_coordinator_thread(self, runnable: Callable[[], None]) -> None:
        """Run ``runnable`` on the thread that calls the enumerator."""

    def metric_group(self) -> Any:
        """The enumerator's metric group (None until metrics are exported)."""
        return None


class SplitEnumerator(Generic[SplitT, EnumChkT], abc.ABC):
    """Discovers splits and assigns them to readers."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Start (e.g. list the input or schedule periodic discovery)."""

    @abc.abstractmethod
    def handle_split_request(self, subtask_id: int, requester_hostname: str | None) -> None:
        """The reader of ``subtask_id`` asks for a split."""

    @abc.abstractmethod
    def add_splits_back(self, splits: list[SplitT], subtask_id: int) -> None:
        """Splits assigned to a failed reader come back (after a restart)."""

    @abc.abstractmethod
    def add_reader(self, subtask_id: int) -> None:
        """A reader registered."""

    @abc.abstractmethod
    def snapshot_state(self, checkpoint_id: int) -> EnumChkT:
        """The enumerator's checkpoint (picklable)."""

    def handle_source_event(self, subtask_id: int, event: Any) -> None:  # noqa: B027
        """A custom event from a reader."""

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:  # noqa: B027
        """Checkpoint ``checkpoint_id`` completed."""

    def close(self) -> None:  # noqa: B027
        """Release resources."""


class SourceReader(Generic[SplitT], abc.ABC):
    """Reads the splits assigned to one subtask."""

    def start(self) -> None:  # noqa: B027 - optional hook
        """Start reading (typically: request a first split)."""

    @abc.abstractmethod
    def poll_next(self, output: ReaderOutput) -> InputStatus:
        """Emit available records (about ``output.capacity()``) and report the status."""

    def wait_available(self, timeout_s: float) -> None:
        """Block at most ``timeout_s`` until :meth:`poll_next` may have data.

        Called after ``NOTHING_AVAILABLE``. The default sleeps ``timeout_s``;
        readers with a blocking resource (a socket) wait on it instead.
        """
        import time

        time.sleep(timeout_s)

    @abc.abstractmethod
    def snapshot_state(self, checkpoint_id: int) -> list[SplitT]:
        """The unfinished splits of this reader, each with its current position."""

    @abc.abstractmethod
    def add_splits(self, splits: list[SplitT]) -> None:
        """New splits to read (or restored splits with positions)."""

    @abc.abstractmethod
    def notify_no_more_splits(self) -> None:
        """No further splits will be assigned to this reader."""

    def handle_source_events(self, event: Any) -> None:  # noqa: B027
        """A custom event from the enumerator."""

    def notify_checkpoint_complete(self, checkpoint_id: int) -> None:  # noqa: B027
        """Checkpoint ``checkpoint_id`` completed."""

    def close(self) -> None:  # noqa: B027
        """Release resources."""


class Source(Generic[SplitT, EnumChkT], abc.ABC):
    """A parallel source: a factory of a split enumerator and of readers.

    Subclasses must be picklable: the source object travels to the
    TaskManagers inside the job graph.
    """

    @abc.abstractmethod
    def get_boundedness(self) -> Boundedness:
        """BOUNDED if the source ends by itself."""

    @abc.abstractmethod
    def create_reader(self, reader_context: SourceReaderContext) -> SourceReader[SplitT]:
        """A reader for one subtask."""

    @abc.abstractmethod
    def create_enumerator(self, enum_context: SplitEnumeratorContext[SplitT]
                          ) -> SplitEnumerator[SplitT, EnumChkT]:
        """A fresh enumerator (a job started without a checkpoint)."""

    @abc.abstractmethod
    def restore_enumerator(self, enum_context: SplitEnumeratorContext[SplitT],
                           checkpoint: EnumChkT) -> SplitEnumerator[SplitT, EnumChkT]:
        """An enumerator restored from :meth:`SplitEnumerator.snapshot_state`."""

    def get_produced_type(self) -> Any:
        """The TypeInformation of the records, or None (pickled values)."""
        return None

    def is_parallel(self) -> bool:
        """False for sources that only run with parallelism 1 (a socket)."""
        return True
