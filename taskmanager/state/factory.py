"""Choosing the keyed state backend from the configuration.

``state.backend.type`` selects ``hashmap`` (default) or ``rocksdb``;
``execution.checkpointing.incremental`` (alias ``state.backend.incremental``)
turns incremental snapshots on or off; unset, the backend decides (RocksDB:
incremental, as the issue asks; the heap backend always writes full
snapshots). RocksDB memory comes from ``state.backend.rocksdb.*``.
"""

from __future__ import annotations

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.runtime.keygroups import KeyGroupRange
from flink_py.taskmanager.state.backend import KeyedStateBackend
from flink_py.taskmanager.state.heap import HeapKeyedStateBackend

__all__ = ["create_keyed_state_backend"]


def create_keyed_state_backend(config: FlinkConfig | None, max_parallelism: int,
                               key_group_range: KeyGroupRange | None = None
                               ) -> KeyedStateBackend:
    """A new, empty keyed backend of the configured type.

    Args:
        config: the job's effective configuration (None: defaults).
        max_parallelism: number of key groups M.
        key_group_range: the key groups the operator instance owns.
    """
    config = config if config is not None else FlinkConfig()
    kind = config.get(cfg.STATE_BACKEND_TYPE)
    if kind == "rocksdb":
        from flink_py.taskmanager.state.rocksdb_backend import (
            RocksDBKeyedStateBackend,
            RocksDBOptions,
        )

        incremental = config.get(cfg.CHECKPOINTING_INCREMENTAL)
        return RocksDBKeyedStateBackend(
            max_parallelism, key_group_range,
            local_dir=config.get(cfg.STATE_BACKEND_ROCKSDB_LOCALDIR),
            options=RocksDBOptions.from_config(config),
            incremental=True if incremental is None else incremental)
    return HeapKeyedStateBackend(max_parallelism, key_group_range)
