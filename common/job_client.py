"""``JobClient``, as in ``pyflink.common.job_client`` (defined with the environment)."""

from flink_py.datastream.stream_execution_environment import JobClient

__all__ = ["JobClient"]
