"""``JobExecutionResult``, as in ``pyflink.common.job_execution_result``."""

from flink_py.datastream.stream_execution_environment import JobExecutionResult

__all__ = ["JobExecutionResult"]
