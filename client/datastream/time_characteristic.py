"""``TimeCharacteristic``, as in ``pyflink.datastream.time_characteristic`` (deprecated).

Since Flink 1.12 every stream uses event time when it has timestamps and
watermarks, and processing time in processing-time operations; the
characteristic only picks the periodic watermark interval
(``StreamExecutionEnvironment.set_stream_time_characteristic``).
"""

from __future__ import annotations

import enum

__all__ = ["TimeCharacteristic"]


class TimeCharacteristic(enum.Enum):
    """How time-dependent operations determine time (deprecated in Flink).

    ``ProcessingTime``: the machine's clock; ``IngestionTime``: the time an
    element entered the job; ``EventTime``: the element's own timestamp.
    """

    ProcessingTime = 0
    IngestionTime = 1
    EventTime = 2
