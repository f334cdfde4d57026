"""Event time: ``WatermarkStrategy``, ``TimestampAssigner`` and watermark generators.

As in ``pyflink.common.watermark_strategy`` (with ``flink_py`` in its place),
plus the generator API of Flink's ``org.apache.flink.api.common.eventtime``
so jobs can bring their own :class:`WatermarkGenerator`
(``WatermarkStrategy.for_generator``).

A watermark ``W`` states that no more records with timestamp ``<= W`` are
expected. Built-in generators follow Flink exactly:

* bounded out-of-orderness ``B``: ``W = max_ts - B - 1`` (``Long.MIN_VALUE``
  before the first record);
* monotonous timestamps: the same with ``B = 0``.

``on_event`` runs for every record; ``on_periodic_emit`` every
``pipeline.auto-watermark-interval`` (200 ms; 0 disables it) on the task
thread. Timestamps and watermarks are epoch milliseconds (signed 64-bit).
"""

from __future__ import annotations

import abc
import copy
import inspect
import time
from collections.abc import Callable
from typing import Any

from flink_py.common.time import Duration

__all__ = [
    "AscendingTimestampsWatermarks",
    "BoundedOutOfOrdernessWatermarks",
    "IngestionTimeAssigner",
    "NoWatermarksGenerator",
    "TimestampAssigner",
    "Watermark",
    "WatermarkGenerator",
    "WatermarkOutput",
    "WatermarkStrategy",
    "WatermarksWithIdleness",
]

#: Flink's ``Long.MIN_VALUE``: no watermark yet / a record without timestamp.
LONG_MIN = -(1 << 63)
#: Flink's ``Long.MAX_VALUE``: the end-of-time watermark.
LONG_MAX = (1 << 63) - 1


class Watermark:
    """A watermark: event time has reached ``timestamp`` (epoch ms)."""

    __slots__ = ("timestamp",)

    def __init__(self, timestamp: int) -> None:
        self.timestamp = int(timestamp)

    def get_timestamp(self) -> int:
        """The watermark's time in epoch milliseconds."""
        return self.timestamp

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Watermark) and other.timestamp == self.timestamp

    def __hash__(self) -> int:
        return hash(("Watermark", self.timestamp))

    def __repr__(self) -> str:
        return f"Watermark @ {self.timestamp}"


Watermark.MAX_WATERMARK = Watermark(LONG_MAX)  # type: ignore[attr-defined]


class WatermarkOutput(abc.ABC):
    """Where a :class:`WatermarkGenerator` emits watermarks and idleness."""

    @abc.abstractmethod
    def emit_watermark(self, watermark: Watermark | int) -> None:
        """Emit a watermark (ignored unless it is higher than the last one); marks active."""

    @abc.abstractmethod
    def mark_idle(self) -> None:
        """This output is idle: downstream stops waiting for its watermarks."""

    @abc.abstractmethod
    def mark_active(self) -> None:
        """This output is active again."""


class WatermarkGenerator(abc.ABC):
    """Generates watermarks from events (punctuated) or periodically."""

    @abc.abstractmethod
    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:
        """Called for every record, after its timestamp was assigned."""

    @abc.abstractmethod
    def on_periodic_emit(self, output: WatermarkOutput) -> None:
        """Called every ``pipeline.auto-watermark-interval``."""


class BoundedOutOfOrdernessWatermarks(WatermarkGenerator):
    """Periodic watermark ``max_ts - bound - 1`` (Flink's ``BoundedOutOfOrdernessWatermarks``)."""

    def __init__(self, max_out_of_orderness: Duration) -> None:
        bound = Duration.of(max_out_of_orderness).to_millis()
        if bound < 0:
            raise ValueError(f"max_out_of_orderness must not be negative, got {bound} ms")
        self.out_of_orderness_millis = bound
        # start so that the first watermark (before any record) is Long.MIN_VALUE
        self.max_timestamp = LONG_MIN + bound + 1

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:  # noqa: D102
        if event_timestamp > self.max_timestamp:
            self.max_timestamp = event_timestamp

    def on_periodic_emit(self, output: WatermarkOutput) -> None:  # noqa: D102
        output.emit_watermark(self.current_watermark())

    def current_watermark(self) -> int:
        """The watermark this generator emits now."""
        return self.max_timestamp - self.out_of_orderness_millis - 1


class AscendingTimestampsWatermarks(BoundedOutOfOrdernessWatermarks):
    """Monotonous timestamps: ``max_ts - 1``."""

    def __init__(self) -> None:
        super().__init__(Duration.of_millis(0))


class NoWatermarksGenerator(WatermarkGenerator):
    """Emits no watermark at all (processing-time pipelines)."""

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:  # noqa: D102
        return

    def on_periodic_emit(self, output: WatermarkOutput) -> None:  # noqa: D102
        return


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class WatermarksWithIdleness(WatermarkGenerator):
    """Wraps a generator; marks the output idle after ``idle_timeout`` without records.

    Idleness is checked at each periodic emission, in processing time
    (Flink's ``WatermarksWithIdleness``): the first check without new
    records starts the inactivity period; once it lasts longer than the
    timeout, the output is marked idle instead of emitting a watermark. The
    next record makes it active again.
    """

    def __init__(self, watermarks: WatermarkGenerator, idle_timeout: Duration,
                 clock: Callable[[], int] = _monotonic_ms) -> None:
        timeout = Duration.of(idle_timeout).to_millis()
        if timeout <= 0:
            raise ValueError(f"the idle timeout must be positive, got {timeout} ms")
        self.watermarks = watermarks
        self.idle_timeout_ms = timeout
        self._clock = clock
        self._counter = 0
        self._last_counter = 0
        self._inactive_since: int | None = None

    def on_event(self, event: Any, event_timestamp: int, output: WatermarkOutput) -> None:  # noqa: D102
        self._counter += 1
        self.watermarks.on_event(event, event_timestamp, output)

    def on_periodic_emit(self, output: WatermarkOutput) -> None:  # noqa: D102
        if self._check_if_idle():
            output.mark_idle()
        else:
            self.watermarks.on_periodic_emit(output)

    def _check_if_idle(self) -> bool:
        if self._counter != self._last_counter:
            self._last_counter = self._counter
            self._inactive_since = None
            return False
        now = self._clock()
        if self._inactive_since is None:
            self._inactive_since = now
            return False
        return now - self._inactive_since > self.idle_timeout_ms


class TimestampAssigner(abc.ABC):
    """Assigns event timestamps (epoch ms) to records."""

    @abc.abstractmethod
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        """The timestamp of ``value``.

        ``record_timestamp`` is the record's current timestamp, or
        ``Long.MIN_VALUE`` (a negative number) when it has none.
        """


class IngestionTimeAssigner(TimestampAssigner):
    """Ingestion time: the wall clock when the record is assigned, never decreasing.

    Use with ``WatermarkStrategy.for_monotonous_timestamps()`` (Flink's
    ``IngestionTimeAssigner``).
    """

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self._clock = clock
        self._max = LONG_MIN

    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:  # noqa: D102
        now = self._clock() if self._clock is not None else time.time_ns() // 1_000_000
        if now > self._max:
            self._max = now
        return self._max


class _CallableAssigner(TimestampAssigner):
    """A ``(value, record_timestamp)`` or ``(value)`` callable as an assigner."""

    def __init__(self, func: Callable[..., int]) -> None:
        self.func = func
        self.one_arg = _arity(func) == 1

    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:  # noqa: D102
        if self.one_arg:
            return self.func(value)
        return self.func(value, record_timestamp)


def _arity(func: Callable[..., Any]) -> int:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 2
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return len(positional)


def _generator_supplier(generator: Any) -> Callable[[], WatermarkGenerator]:
    """A fresh-generator factory from a generator class, instance or supplier."""
    if isinstance(generator, type):
        if not issubclass(generator, WatermarkGenerator) and not (
                hasattr(generator, "on_event") and hasattr(generator, "on_periodic_emit")):
            raise TypeError(f"for_generator: {generator.__name__} is not a WatermarkGenerator")
        return generator  # type: ignore[no-any-return]
    if hasattr(generator, "on_event") and hasattr(generator, "on_periodic_emit"):
        return lambda: copy.deepcopy(generator)
    if callable(generator):
        def supply() -> WatermarkGenerator:
            made = generator() if _arity(generator) == 0 else generator(None)
            if not (hasattr(made, "on_event") and hasattr(made, "on_periodic_emit")):
                raise TypeError(f"for_generator: the supplier returned {made!r}, not a "
                                "WatermarkGenerator")
            return made  # type: ignore[no-any-return]
        return supply
    raise TypeError(f"for_generator needs a WatermarkGenerator (instance, class or supplier), "
                    f"got {generator!r}")


class WatermarkStrategy:
    """How a stream gets event timestamps and watermarks.

    Use it in ``DataStream.assign_timestamps_and_watermarks`` or
    ``env.from_source(source, strategy, name)``.
    """

    def __init__(self, supplier: Callable[[], WatermarkGenerator] | None,
                 timestamp_assigner: TimestampAssigner | None = None,
                 idle_timeout: Duration | None = None) -> None:
        self._supplier = supplier  # None: no watermarks
        self._timestamp_assigner = timestamp_assigner
        self._idle_timeout = idle_timeout
        #: ``with_watermark_alignment``: (group, max drift, update interval), or None
        self._alignment: tuple[str, Duration, Duration] | None = None

    # -- builders ---------------------------------------------------------------------------
    def with_timestamp_assigner(self, timestamp_assigner: Any) -> WatermarkStrategy:
        """Use ``timestamp_assigner`` (a TimestampAssigner or a callable) for timestamps.

        A callable takes ``(value, record_timestamp)`` or just ``(value)``.
        As in PyFlink, this strategy is changed and returned.
        """
        if isinstance(timestamp_assigner, TimestampAssigner):
            self._timestamp_assigner = timestamp_assigner
        elif callable(getattr(timestamp_assigner, "extract_timestamp", None)):
            self._timestamp_assigner = timestamp_assigner
        elif callable(timestamp_assigner):
            self._timestamp_assigner = _CallableAssigner(timestamp_assigner)
        else:
            raise TypeError("with_timestamp_assigner needs a TimestampAssigner or a callable, "
                            f"got {timestamp_assigner!r}")
        return self

    def with_idleness(self, idle_timeout: Duration) -> WatermarkStrategy:
        """A new strategy that marks the stream idle after ``idle_timeout`` without records."""
        timeout = Duration.of(idle_timeout)
        if timeout.to_millis() <= 0:
            raise ValueError(f"with_idleness: the idle timeout must be positive, got {timeout}")
        strategy = WatermarkStrategy(self._supplier, self._timestamp_assigner, timeout)
        strategy._alignment = self._alignment
        return strategy

    def with_watermark_alignment(self, watermark_group: str,
                                 max_allowed_watermark_drift: Duration,
                                 update_interval: Duration | None = None) -> WatermarkStrategy:
        """A new strategy whose sources align their watermarks within ``watermark_group``.

        In Flink, a source split whose watermark runs more than
        ``max_allowed_watermark_drift`` ahead of the group's slowest is paused
        (checked every ``update_interval``, default 1 s). The alignment only
        paces reading, never changes results; flink-py records it but does not
        pause sources yet.
        """
        drift = Duration.of(max_allowed_watermark_drift)
        interval = Duration.of_seconds(1) if update_interval is None \
            else Duration.of(update_interval)
        if drift.is_negative() or interval.to_millis() <= 0:
            raise ValueError("with_watermark_alignment: the drift must not be negative and "
                             "the update interval must be positive")
        strategy = WatermarkStrategy(self._supplier, self._timestamp_assigner, self._idle_timeout)
        strategy._alignment = (str(watermark_group), drift, interval)
        return strategy

    @staticmethod
    def for_monotonous_timestamps() -> WatermarkStrategy:
        """Ascending timestamps: watermark ``max_ts - 1``, emitted periodically."""
        return WatermarkStrategy(AscendingTimestampsWatermarks)

    @staticmethod
    def for_bounded_out_of_orderness(max_out_of_orderness: Duration) -> WatermarkStrategy:
        """Records at most ``max_out_of_orderness`` late: watermark ``max_ts - bound - 1``."""
        bound = Duration.of(max_out_of_orderness)
        if bound.is_negative():
            raise ValueError(f"for_bounded_out_of_orderness: negative bound {bound}")
        return WatermarkStrategy(lambda: BoundedOutOfOrdernessWatermarks(bound))

    @staticmethod
    def no_watermarks() -> WatermarkStrategy:
        """No watermarks (pure processing-time pipelines)."""
        return WatermarkStrategy(None)

    @staticmethod
    def for_generator(generator: Any) -> WatermarkStrategy:
        """Watermarks from a user :class:`WatermarkGenerator`.

        ``generator`` is a WatermarkGenerator class, an instance (copied for
        every parallel subtask) or a supplier returning a new generator.
        """
        return WatermarkStrategy(_generator_supplier(generator))

    # -- runtime ----------------------------------------------------------------------------
    @property
    def has_watermarks(self) -> bool:
        """Whether this strategy generates watermarks."""
        return self._supplier is not None

    @property
    def idle_timeout(self) -> Duration | None:
        """The idleness timeout set by :meth:`with_idleness`, if any."""
        return self._idle_timeout

    def create_timestamp_assigner(self) -> TimestampAssigner | None:
        """A copy of the assigner for one subtask (None: keep the record's timestamp)."""
        a = self._timestamp_assigner
        return None if a is None else copy.deepcopy(a)

    def create_watermark_generator(self, clock: Callable[[], int] | None = None
                                   ) -> WatermarkGenerator:
        """A new generator for one subtask (wrapped for idleness if set)."""
        gen: WatermarkGenerator = (self._supplier() if self._supplier is not None
                                   else NoWatermarksGenerator())
        if self._idle_timeout is not None:
            gen = WatermarksWithIdleness(gen, self._idle_timeout,
                                         clock if clock is not None else _monotonic_ms)
        return gen

    def __repr__(self) -> str:
        return (f"WatermarkStrategy(generator={self._supplier!r}, "
                f"assigner={self._timestamp_assigner!r}, idleness={self._idle_timeout!r})")
