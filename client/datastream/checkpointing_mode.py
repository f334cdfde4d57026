"""``CheckpointingMode``, as in ``pyflink.datastream.checkpointing_mode``."""

from flink_py.common.checkpoint_config import CheckpointingMode

__all__ = ["CheckpointingMode"]
