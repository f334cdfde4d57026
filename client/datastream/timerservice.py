"""``TimerService``: querying time and registering timers (``pyflink.datastream.timerservice``).

Timers are scoped to the key of the record being processed, so they are only
available in functions on a keyed stream (``KeyedProcessFunction``,
``KeyedCoProcessFunction``, ``KeyedBroadcastProcessFunction``); there, the
key is the current key again when ``on_timer`` runs. Registering the same
(key, timestamp) twice creates one timer, as in Flink.
"""

from __future__ import annotations

import abc

__all__ = ["TimerService"]


class TimerService(abc.ABC):
    """Interface for working with time and timers."""

    @abc.abstractmethod
    def current_processing_time(self) -> int:
        """The current processing time: wall-clock epoch milliseconds."""

    @abc.abstractmethod
    def current_watermark(self) -> int:
        """The current event-time watermark (Long.MIN_VALUE before the first one)."""

    @abc.abstractmethod
    def register_processing_time_timer(self, timestamp: int) -> None:
        """Fire ``on_timer`` when the processing time reaches ``timestamp``."""

    @abc.abstractmethod
    def register_event_time_timer(self, timestamp: int) -> None:
        """Fire ``on_timer`` when the watermark reaches ``timestamp``.

        A bounded stream ends with the maximum watermark, so every pending
        event-time timer fires at the end of the input.
        """

    @abc.abstractmethod
    def delete_processing_time_timer(self, timestamp: int) -> None:
        """Delete the current key's processing-time timer at ``timestamp``, if any."""

    @abc.abstractmethod
    def delete_event_time_timer(self, timestamp: int) -> None:
        """Delete the current key's event-time timer at ``timestamp``, if any."""
