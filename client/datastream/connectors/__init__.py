"""Connectors (``pyflink.datastream.connectors``)."""

from flink_py.datastream.connectors.number_seq import NumberSequenceSource

__all__ = ["NumberSequenceSource"]
