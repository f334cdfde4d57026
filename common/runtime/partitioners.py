"""Stream partitioners: which downstream channel(s) each record goes to.

Flink semantics §1.3. Records travel between tasks in Python lists
("batches"); a partitioner splits one batch over the output channels of a
sender subtask::

    out = [[] for _ in range(num_channels)]
    partitioner.partition(batch, out)   # out[c] now holds channel c's records

Every partitioner keeps the order of records within each channel.

Lifecycle: a partitioner is created on the client, travels inside the job
graph (cloudpickle), and is :meth:`Partitioner.setup` once per sender subtask
with the number of channels that subtask writes to. Use
:meth:`Partitioner.copy` to get an independent instance per sender.
Pointwise partitioners (forward, rescale) are given only the sender's local
channels; :func:`rescale_targets` / :func:`rescale_sources` compute that
subset exactly like Flink's POINTWISE distribution pattern.
"""

from __future__ import annotations

import abc
import copy as _copy
import random
from collections.abc import Callable
from typing import Any, ClassVar

from flink_py.common.runtime.inline import compile_loop
from flink_py.common.runtime.keygroups import KeyGroupCache, check_max_parallelism

#: Key types whose Python equality agrees with their Java hash equality.
_EXACT_KEY_TYPES: frozenset[type] = frozenset({str, int, bytes})

__all__ = [
    "BroadcastPartitioner",
    "CustomPartitionerWrapper",
    "ForwardPartitioner",
    "GlobalPartitioner",
    "KeyGroupStreamPartitioner",
    "Partitioner",
    "RebalancePartitioner",
    "RescalePartitioner",
    "ShufflePartitioner",
    "rescale_sources",
    "rescale_targets",
]


def _check_pointwise_args(index: int, own_count: int, num_senders: int, num_receivers: int) -> None:
    if num_senders < 1 or num_receivers < 1:
        raise ValueError(
            f"parallelism must be positive (senders={num_senders}, receivers={num_receivers})"
        )
    if not 0 <= index < own_count:
        raise ValueError(f"subtask index {index} not within [0, {own_count})")


def rescale_targets(sender_index: int, num_senders: int, num_receivers: int) -> list[int]:
    """Receivers that sender ``sender_index`` is connected to on a POINTWISE edge.

    Matches Flink's ``EdgeManagerBuildUtil.connectPointwise`` /
    ``VertexInputInfoComputationUtils.computeVertexInputInfoForPointwise``:

    * ``S >= R``: receiver ``j`` consumes senders ``[j*S//R, (j+1)*S//R)``,
      so each sender feeds exactly one receiver.
    * ``S < R``: sender ``i`` feeds receivers
      ``[ceil(i*R/S), ceil((i+1)*R/S))``.

    Args:
        sender_index: the sender subtask index, in ``[0, S)``.
        num_senders: upstream parallelism S.
        num_receivers: downstream parallelism R.

    Returns:
        The receiver subtask indices, ascending (never empty).

    Raises:
        ValueError: on out-of-range arguments.
    """
    s, r = num_senders, num_receivers
    _check_pointwise_args(sender_index, s, s, r)
    if s >= r:
        # The unique j with j*S//R <= i < (j+1)*S//R.
        return [((sender_index + 1) * r - 1) // s]
    start = (sender_index * r + s - 1) // s
    end = ((sender_index + 1) * r + s - 1) // s
    return list(range(start, end))


def rescale_sources(receiver_index: int, num_senders: int, num_receivers: int) -> list[int]:
    """Senders that receiver ``receiver_index`` is connected to on a POINTWISE edge.

    The inverse of :func:`rescale_targets`.

    Args:
        receiver_index: the receiver subtask index, in ``[0, R)``.
        num_senders: upstream parallelism S.
        num_receivers: downstream parallelism R.

    Returns:
        The sender subtask indices, ascending (never empty).

    Raises:
        ValueError: on out-of-range arguments.
    """
    s, r = num_senders, num_receivers
    _check_pointwise_args(receiver_index, r, s, r)
    if s >= r:
        return list(range(receiver_index * s // r, (receiver_index + 1) * s // r))
    # The unique i with ceil(i*R/S) <= j < ceil((i+1)*R/S).
    return [receiver_index * s // r]


class Partitioner(abc.ABC):
    """Base class of all stream partitioners (Flink's ``StreamPartitioner``).

    Subclasses implement :meth:`partition`, the hot path, and
    :meth:`select_channel` for single records. All state is picklable, so a
    partitioner can be shipped with cloudpickle before or after setup.
    """

    #: Flink's display name of the partitioner (``toString()``).
    name: ClassVar[str] = "PARTITIONER"

    def __init__(self) -> None:
        self._num_channels: int = 0
        self._sender_index: int = 0

    def setup(self, num_channels: int, sender_index: int = 0) -> None:
        """Prepare for a sender subtask.

        Args:
            num_channels: how many output channels this sender writes to.
            sender_index: the sender's subtask index.

        Raises:
            ValueError: if ``num_channels < 1``.
        """
        if num_channels < 1:
            raise ValueError(f"a partitioner needs at least one channel, got {num_channels}")
        self._num_channels = num_channels
        self._sender_index = sender_index

    @property
    def num_channels(self) -> int:
        """Number of channels set by :meth:`setup` (0 before)."""
        return self._num_channels

    @property
    def sender_index(self) -> int:
        """Sender subtask index set by :meth:`setup`."""
        return self._sender_index

    @abc.abstractmethod
    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Append every record of ``batch`` to its channel's list in ``out``.

        Args:
            batch: the records, in order.
            out: one list per channel (``len(out) == num_channels``).
        """

    @abc.abstractmethod
    def select_channel(self, record: Any) -> int:
        """Channel of one record (same sequence as :meth:`partition`).

        Args:
            record: the record.

        Returns:
            The channel index.
        """

    @property
    def is_broadcast(self) -> bool:
        """Whether every record goes to every channel."""
        return False

    @property
    def is_pointwise(self) -> bool:
        """Whether the edge is POINTWISE (each sender sees a local subset)."""
        return False

    def copy(self) -> Partitioner:
        """An independent instance (per sender), not yet set up."""
        new = _copy.copy(self)
        new._reset()
        return new

    def _reset(self) -> None:
        """Forget per-sender runtime state (called by :meth:`copy`)."""
        self._num_channels = 0
        self._sender_index = 0

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class ForwardPartitioner(Partitioner):
    """Subtask i sends to subtask i: the writer gives it one channel."""

    name: ClassVar[str] = "FORWARD"

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Append the whole batch to channel 0."""
        out[0].extend(batch)

    def select_channel(self, record: Any) -> int:
        """Always channel 0."""
        return 0

    @property
    def is_pointwise(self) -> bool:
        """Forward is POINTWISE."""
        return True


class GlobalPartitioner(Partitioner):
    """Every record goes to downstream subtask 0."""

    name: ClassVar[str] = "GLOBAL"

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Append the whole batch to channel 0."""
        out[0].extend(batch)

    def select_channel(self, record: Any) -> int:
        """Always channel 0."""
        return 0


class BroadcastPartitioner(Partitioner):
    """Every record goes to every channel."""

    name: ClassVar[str] = "BROADCAST"

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Append the whole batch to every channel."""
        for o in out:
            o.extend(batch)

    def select_channel(self, record: Any) -> int:
        """Unsupported, as in Flink.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("Broadcast partitioner does not support select channels.")

    @property
    def is_broadcast(self) -> bool:
        """Broadcast sends each record to all channels."""
        return True


class _RoundRobin(Partitioner):
    """Round robin over all channels, starting after ``_next``."""

    def __init__(self) -> None:
        super().__init__()
        #: the last channel sent to
        self._next: int = -1

    def _reset(self) -> None:
        super()._reset()
        self._next = -1

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Deal the batch over the channels, continuing the rotation."""
        n = self._num_channels
        if n == 1:
            out[0].extend(batch)
            return
        size = len(batch)
        if not size:
            return
        first = self._next + 1  # channel of batch[0]
        # Record i goes to (first + i) % n, so channel c receives the slice
        # starting at (c - first) % n with stride n: C-speed, order kept.
        for c in range(min(n, size)):
            ch = (first + c) % n
            out[ch].extend(batch[c::n])
        self._next = (self._next + size) % n

    def select_channel(self, record: Any) -> int:
        """The next channel in the rotation."""
        self._next = (self._next + 1) % self._num_channels
        return self._next


class RebalancePartitioner(_RoundRobin):
    """Round robin over all channels, starting at a random channel per sender."""

    name: ClassVar[str] = "REBALANCE"

    def setup(self, num_channels: int, sender_index: int = 0) -> None:
        """Pick the random start channel for this sender."""
        super().setup(num_channels, sender_index)
        # Flink: nextChannelToSendTo = random.nextInt(n); the first record
        # then goes to the channel after it.
        self._next = random.Random().randrange(num_channels)


class RescalePartitioner(_RoundRobin):
    """Round robin over the sender's local channels (see :func:`rescale_targets`)."""

    name: ClassVar[str] = "RESCALE"

    def setup(self, num_channels: int, sender_index: int = 0) -> None:
        """Start the rotation at local channel 0, as Flink does."""
        super().setup(num_channels, sender_index)
        self._next = -1

    @property
    def is_pointwise(self) -> bool:
        """Rescale is POINTWISE."""
        return True


class ShufflePartitioner(Partitioner):
    """Uniformly random channel per record.

    Args:
        seed: optional seed; each sender then uses the deterministic stream
            ``Random(f"{seed}:{sender_index}")``. Without a seed every sender
            draws from fresh OS entropy.
    """

    name: ClassVar[str] = "SHUFFLE"

    def __init__(self, seed: int | None = None) -> None:
        super().__init__()
        self._seed = seed
        self._random: random.Random = self._make_random(0)

    def _make_random(self, sender_index: int) -> random.Random:
        if self._seed is None:
            return random.Random()
        return random.Random(f"{self._seed}:{sender_index}")

    def _reset(self) -> None:
        super()._reset()
        self._random = self._make_random(0)

    def setup(self, num_channels: int, sender_index: int = 0) -> None:
        """Create this sender's random stream."""
        super().setup(num_channels, sender_index)
        self._random = self._make_random(sender_index)

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Send each record to a random channel."""
        n = self._num_channels
        if n == 1:
            out[0].extend(batch)
            return
        rnd = self._random.random
        appends = [o.append for o in out]
        for rec in batch:
            appends[int(rnd() * n)](rec)

    def select_channel(self, record: Any) -> int:
        """A random channel."""
        return int(self._random.random() * self._num_channels)


#: The record loop of key_by routing. Exact str/int/bytes keys may use the
#: memo directly (a bool or float key could equal an int entry with a
#: different Java hash); the others go through ``channel_for``.
_ROUTE = """\
def loop(values, f, memo_get, channel_for, appends, exact):
    for v in values:
        k = {call}
        c = memo_get(k) if type(k) in exact else None
        if c is None:
            c = channel_for(k)
        appends[c](v)
"""


class KeyGroupStreamPartitioner(Partitioner):
    """``keyBy``: key → key group → subtask (Flink semantics §2).

    Args:
        key_selector: extracts the key of a record.
        max_parallelism: the downstream max parallelism M (number of key
            groups), in ``1..32768``.
    """

    name: ClassVar[str] = "HASH"

    def __init__(self, key_selector: Callable[[Any], Any], max_parallelism: int,
                 key_type: Any = None) -> None:
        super().__init__()
        self.key_selector: Callable[[Any], Any] = key_selector
        #: ``key_by``'s declared key type: keys are placed by its Java hash (see keygroups)
        self.key_type: Any = key_type
        self._max_parallelism: int = check_max_parallelism(max_parallelism)
        self._cache: KeyGroupCache | None = None
        #: the generated routing loop (``_ROUTE``), the key selector inlined if it can be
        self._route: Callable[..., None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_route"] = None  # generated code: made again after unpickling
        return state

    @property
    def max_parallelism(self) -> int:
        """The number of key groups M."""
        return self._max_parallelism

    def configure(self, max_parallelism: int) -> None:
        """Set M once it is known (Flink's ``ConfigurableStreamPartitioner``).

        Args:
            max_parallelism: the downstream max parallelism.
        """
        self._max_parallelism = check_max_parallelism(max_parallelism)
        self._cache = None
        if self._num_channels:
            self.setup(self._num_channels, self._sender_index)

    def _reset(self) -> None:
        super()._reset()
        self._cache = None
        self._route = None

    def setup(self, num_channels: int, sender_index: int = 0) -> None:
        """Create the key → channel cache for ``num_channels`` receivers.

        Raises:
            ValueError: if ``num_channels`` exceeds the max parallelism.
        """
        super().setup(num_channels, sender_index)
        self._cache = KeyGroupCache(self._max_parallelism, num_channels,
                                    key_type=getattr(self, "key_type", None))

    def _require_cache(self) -> KeyGroupCache:
        cache = self._cache
        if cache is None:
            raise RuntimeError("KeyGroupStreamPartitioner used before setup()")
        return cache

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Route each record to the subtask owning its key's key group.

        Raises:
            ValueError: if a key is None.
        """
        cache = self._require_cache()
        n = self._num_channels
        if n == 1:
            out[0].extend(batch)
            return
        if not batch:
            return
        route = self._route
        if route is None:
            route = self._route = compile_loop(self.key_selector, "key_by", _ROUTE)
        route(batch, self.key_selector, cache.memo.get, cache.channel_for,
              [o.append for o in out], _EXACT_KEY_TYPES)

    def select_channel(self, record: Any) -> int:
        """Subtask index for one record."""
        return self._require_cache().channel_for(self.key_selector(record))


class CustomPartitionerWrapper(Partitioner):
    """``partitionCustom``: ``channel = partitioner.partition(key, n)``.

    Args:
        partitioner: either a callable ``(key, num_partitions) -> int`` or an
            object with a ``partition(key, num_partitions)`` method (PyFlink's
            ``Partitioner``).
        key_selector: extracts the key of a record.

    Raises:
        TypeError: if ``partitioner`` is neither.
    """

    name: ClassVar[str] = "CUSTOM"

    def __init__(self, partitioner: Any, key_selector: Callable[[Any], Any]) -> None:
        super().__init__()
        if not callable(getattr(partitioner, "partition", None)) and not callable(partitioner):
            raise TypeError(
                "partitioner must be a callable (key, num_partitions) -> int or have a "
                f"partition(key, num_partitions) method, got {type(partitioner).__qualname__}"
            )
        self.partitioner: Any = partitioner
        self.key_selector: Callable[[Any], Any] = key_selector

    def _partition_fn(self) -> Callable[[Any, int], int]:
        p = self.partitioner
        fn = getattr(p, "partition", None)
        return fn if callable(fn) else p

    def _bad_channel(self, ch: Any, key: Any) -> ValueError:
        return ValueError(
            f"custom partitioner returned channel {ch!r} for key {key!r}; "
            f"it must be an int in [0, {self._num_channels})"
        )

    def partition(self, batch: list[Any], out: list[list[Any]]) -> None:
        """Route each record to the channel chosen by the user's partitioner.

        Raises:
            ValueError: if the partitioner returns an out-of-range channel.
        """
        n = self._num_channels
        fn = self._partition_fn()
        key_selector = self.key_selector
        appends = [o.append for o in out]
        for rec in batch:
            key = key_selector(rec)
            ch = fn(key, n)
            if type(ch) is not int or not 0 <= ch < n:
                ch = self._checked(ch, key)
            appends[ch](rec)

    def _checked(self, ch: Any, key: Any) -> int:
        """Accept int-like channels (``numpy`` ints, IntEnum) in range."""
        if isinstance(ch, bool) or not hasattr(ch, "__index__"):
            raise self._bad_channel(ch, key)
        value = ch.__index__()
        if not 0 <= value < self._num_channels:
            raise self._bad_channel(ch, key)
        return value

    def select_channel(self, record: Any) -> int:
        """Channel of one record.

        Raises:
            ValueError: if the partitioner returns an out-of-range channel.
        """
        key = self.key_selector(record)
        ch = self._partition_fn()(key, self._num_channels)
        if type(ch) is not int or not 0 <= ch < self._num_channels:
            ch = self._checked(ch, key)
        return ch
