"""Connectors (``pyflink.datastream.connectors``).

The Source API (:mod:`.source`: splits, enumerators, readers) and the Sink
API (:mod:`.sink`: writers, committables, committer) plus the built-in
connectors: NumberSequenceSource, FileSource / FileSink (:mod:`.file_system`),
DiscardingSink. Names load on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Boundedness": "flink_py.datastream.connectors.source",
    "BucketAssigner": "flink_py.datastream.connectors.file_system",
    "BulkFormat": "flink_py.datastream.connectors.file_system",
    "DeliveryGuarantee": "flink_py.datastream.connectors.sink",
    "DiscardingSink": "flink_py.datastream.connectors.discarding",
    "FileEnumeratorProvider": "flink_py.datastream.connectors.file_system",
    "FileSink": "flink_py.datastream.connectors.file_system",
    "FileSource": "flink_py.datastream.connectors.file_system",
    "FileSourceBuilder": "flink_py.datastream.connectors.file_system",
    "FileSplitAssignerProvider": "flink_py.datastream.connectors.file_system",
    "NumberSequenceSource": "flink_py.datastream.connectors.number_seq",
    "OutputFileConfig": "flink_py.datastream.connectors.file_system",
    "RollingPolicy": "flink_py.datastream.connectors.file_system",
    "Sink": "flink_py.datastream.connectors.sink",
    "Source": "flink_py.datastream.connectors.source",
    "StreamFormat": "flink_py.datastream.connectors.file_system",
    "StreamingFileSink": "flink_py.datastream.connectors.file_system",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flink_py.datastream.connectors' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
