"""``Duration``, ``Time`` and ``Instant``, as in ``pyflink.common.time``.

Pure Python: a :class:`Duration` is a whole number of nanoseconds (like
``java.time.Duration``), a :class:`Time` a whole number of milliseconds
(Flink's deprecated ``Time``, still used by windows and restart strategies).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Duration", "Instant", "Time"]

_NANOS_PER_MILLI = 1_000_000
_NANOS_PER_SECOND = 1_000_000_000


class Duration:
    """An amount of time such as ``34.5 seconds`` (``java.time.Duration``)."""

    __slots__ = ("_nanos",)

    def __init__(self, nanos: int = 0) -> None:
        if not isinstance(nanos, int) or isinstance(nanos, bool):
            raise TypeError(f"Duration needs a whole number of nanoseconds, got {nanos!r}")
        self._nanos = nanos

    @staticmethod
    def of_days(days: int) -> Duration:
        """``days`` days of 24 hours."""
        return Duration(int(days) * 86_400 * _NANOS_PER_SECOND)

    @staticmethod
    def of_hours(hours: int) -> Duration:
        """``hours`` hours."""
        return Duration(int(hours) * 3_600 * _NANOS_PER_SECOND)

    @staticmethod
    def of_minutes(minutes: int) -> Duration:
        """``minutes`` minutes."""
        return Duration(int(minutes) * 60 * _NANOS_PER_SECOND)

    @staticmethod
    def of_seconds(seconds: int) -> Duration:
        """``seconds`` seconds."""
        return Duration(int(seconds) * _NANOS_PER_SECOND)

    @staticmethod
    def of_millis(millis: int) -> Duration:
        """``millis`` milliseconds."""
        return Duration(int(millis) * _NANOS_PER_MILLI)

    @staticmethod
    def of_nanos(nanos: int) -> Duration:
        """``nanos`` nanoseconds."""
        return Duration(int(nanos))

    @staticmethod
    def of(value: Any) -> Duration:
        """A Duration from a Duration, a :class:`Time` or a number of milliseconds."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, Time):
            return Duration.of_millis(value.to_milliseconds())
        if isinstance(value, int) and not isinstance(value, bool):
            return Duration.of_millis(value)
        raise TypeError(f"expected a Duration, a Time or milliseconds, got {value!r}")

    def to_millis(self) -> int:
        """Whole milliseconds (floor), like ``Duration.toMillis``."""
        return self._nanos // _NANOS_PER_MILLI

    def to_milliseconds(self) -> int:
        """Alias of :meth:`to_millis`."""
        return self.to_millis()

    def to_nanos(self) -> int:
        """The duration in nanoseconds."""
        return self._nanos

    def get_seconds(self) -> int:
        """Whole seconds (floor, like ``Duration.getSeconds``)."""
        return self._nanos // _NANOS_PER_SECOND

    def total_seconds(self) -> float:
        """The duration in (fractional) seconds."""
        return self._nanos / _NANOS_PER_SECOND

    def is_negative(self) -> bool:
        """Whether the duration is below zero."""
        return self._nanos < 0

    def is_zero(self) -> bool:
        """Whether the duration is zero."""
        return self._nanos == 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and self._nanos == other._nanos

    def __lt__(self, other: Duration) -> bool:
        return self._nanos < other._nanos

    def __hash__(self) -> int:
        return hash(("Duration", self._nanos))

    def __repr__(self) -> str:
        return f"Duration(millis={self._nanos / _NANOS_PER_MILLI:g})"


class Time:
    """A number of milliseconds (Flink's ``Time``: ``Time.seconds(5)``)."""

    __slots__ = ("_milliseconds",)

    def __init__(self, milliseconds: int) -> None:
        self._milliseconds = int(milliseconds)

    def to_milliseconds(self) -> int:
        """The time in milliseconds."""
        return self._milliseconds

    def to_duration(self) -> Duration:
        """The same amount as a :class:`Duration`."""
        return Duration.of_millis(self._milliseconds)

    @staticmethod
    def milliseconds(milliseconds: int) -> Time:
        """``milliseconds`` ms."""
        return Time(milliseconds)

    @staticmethod
    def seconds(seconds: int) -> Time:
        """``seconds`` s."""
        return Time(int(seconds) * 1000)

    @staticmethod
    def minutes(minutes: int) -> Time:
        """``minutes`` min."""
        return Time(int(minutes) * 60_000)

    @staticmethod
    def hours(hours: int) -> Time:
        """``hours`` h."""
        return Time(int(hours) * 3_600_000)

    @staticmethod
    def days(days: int) -> Time:
        """``days`` days."""
        return Time(int(days) * 86_400_000)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Time) and self._milliseconds == other._milliseconds

    def __hash__(self) -> int:
        return hash(("Time", self._milliseconds))

    def __str__(self) -> str:
        return f"{self._milliseconds} ms"

    def __repr__(self) -> str:
        return f"Time.milliseconds({self._milliseconds})"


class Instant:
    """A point on the time-line: seconds and nanoseconds since the epoch."""

    __slots__ = ("nanos", "seconds")

    def __init__(self, seconds: int, nanos: int) -> None:
        self.seconds = seconds
        self.nanos = nanos

    def to_epoch_milli(self) -> int:
        """Milliseconds since the epoch."""
        return self.seconds * 1000 + self.nanos // _NANOS_PER_MILLI

    @staticmethod
    def of_epoch_milli(epoch_milli: int) -> Instant:
        """The instant ``epoch_milli`` ms after the epoch."""
        return Instant(epoch_milli // 1000, (epoch_milli % 1000) * _NANOS_PER_MILLI)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Instant) and self.seconds == other.seconds
                and self.nanos == other.nanos)

    def __hash__(self) -> int:
        return hash((self.seconds, self.nanos))

    def __repr__(self) -> str:
        return f"Instant<{self.seconds}, {self.nanos}>"
