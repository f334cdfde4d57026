"""``DiscardingSink``: a sink that drops every record (Flink's ``DiscardingSink``).

Useful for benchmarks and for jobs run only for their side effects. It works
batch-at-a-time: the cost per batch is one method call.
"""

from __future__ import annotations

from typing import Any

from flink_py.datastream.connectors.sink import Sink, SinkWriter, WriterInitContext

__all__ = ["DiscardingSink"]


class _DiscardingWriter(SinkWriter[Any]):
    def write(self, element: Any, context: Any) -> None:
        return

    def write_batch(self, elements: list[Any], timestamps: list[int] | None) -> None:
        return


class DiscardingSink(Sink[Any]):
    """Drops every record; use with ``DataStream.sink_to``."""

    def create_writer(self, context: WriterInitContext) -> SinkWriter[Any]:  # noqa: D102
        return _DiscardingWriter()
