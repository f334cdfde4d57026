"""``RuntimeExecutionMode``, as in ``pyflink.datastream.execution_mode``."""

from flink_py.datastream.stream_execution_environment import RuntimeExecutionMode

__all__ = ["RuntimeExecutionMode"]
