"""``pyflink.datastream.connectors.base``: the Source and Sink bases and DeliveryGuarantee."""

from flink_py.datastream.connectors.sink import DeliveryGuarantee, Sink
from flink_py.datastream.connectors.source import Source

__all__ = ["DeliveryGuarantee", "Sink", "Source"]
