"""Common API (``pyflink.common`` with ``flink_py`` in its place)."""

from flink_py.common.configuration import Configuration
from flink_py.common.serialization import Encoder
from flink_py.common.time import Duration, Instant, Time
from flink_py.common.typeinfo import TypeInformation, Types
from flink_py.common.types import Row, RowKind

__all__ = ["Configuration", "Duration", "Encoder", "Instant", "Row", "RowKind", "Time",
           "TypeInformation", "Types"]
