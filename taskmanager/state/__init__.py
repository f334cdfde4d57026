"""State backends of the TaskManager: keyed state and broadcast state.

``KeyedStateBackend`` is the contract keyed operators program against;
``HeapKeyedStateBackend`` (``hashmap``) keeps state in Python dicts,
``RocksDBKeyedStateBackend`` (``rocksdb``, module ``rocksdb_backend``) in a
local RocksDB; ``create_keyed_state_backend`` picks one from
``state.backend.type``. Both snapshot and restore per key group
(``snapshot``: handles and file format). Broadcast state lives in a
``BroadcastStateStore`` per operator instance. State TTL (``ttl``) wraps the
states of descriptors with an enabled ``StateTtlConfig``; its clock is the
backend's ``ttl_time_provider`` (a ``TtlTimeProvider``).
"""

from flink_py.taskmanager.state.backend import InternalValueState, KeyedStateBackend
from flink_py.taskmanager.state.broadcast import BroadcastStateStore
from flink_py.taskmanager.state.factory import create_keyed_state_backend
from flink_py.taskmanager.state.heap import HeapKeyedStateBackend
from flink_py.taskmanager.state.snapshot import KeyedStateHandle, PendingSnapshot
from flink_py.taskmanager.state.ttl import SystemTtlTimeProvider, TtlTimeProvider

__all__ = [
    "BroadcastStateStore",
    "HeapKeyedStateBackend",
    "InternalValueState",
    "KeyedStateBackend",
    "KeyedStateHandle",
    "PendingSnapshot",
    "SystemTtlTimeProvider",
    "TtlTimeProvider",
    "create_keyed_state_backend",
]
