"""Common API (``pyflink.common`` with ``flink_py`` in its place)."""

from flink_py.common.configuration import Configuration
from flink_py.common.typeinfo import TypeInformation, Types
from flink_py.common.types import Row, RowKind

__all__ = ["Configuration", "Row", "RowKind", "TypeInformation", "Types"]
