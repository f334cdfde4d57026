"""PyFlink's ``pyflink.metrics`` module path: user metric types.

The classes live in :mod:`flink_py.common.metrics`; this module gives them
the import path PyFlink jobs use (``from flink_py.metrics import Counter``).
"""

from flink_py.common.metrics import Counter, Distribution, Gauge, Meter, Metric, MetricGroup

__all__ = ["Counter", "Distribution", "Gauge", "Meter", "Metric", "MetricGroup"]
