"""``ExternalizedCheckpointRetention``, as in
``pyflink.datastream.externalized_checkpoint_retention``."""

from flink_py.common.checkpoint_config import ExternalizedCheckpointRetention

__all__ = ["ExternalizedCheckpointRetention"]
