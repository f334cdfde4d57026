"""``TimeDomain``: which clock a timer belongs to (``pyflink.datastream.time_domain``)."""

from __future__ import annotations

from enum import Enum

__all__ = ["TimeDomain"]


class TimeDomain(Enum):
    """The time domain of a firing timer (``OnTimerContext.time_domain()``)."""

    #: The timer fires when the event-time watermark passes its timestamp.
    EVENT_TIME = 0
    #: The timer fires when the wall clock of the TaskManager passes its timestamp.
    PROCESSING_TIME = 1
