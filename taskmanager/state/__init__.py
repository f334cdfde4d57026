"""State backends of the TaskManager: keyed state and broadcast state.

``KeyedStateBackend`` is the contract keyed operators program against;
``HeapKeyedStateBackend`` keeps state in Python dicts. Broadcast state lives
in a ``BroadcastStateStore`` per operator instance.
"""

from flink_py.taskmanager.state.backend import InternalValueState, KeyedStateBackend
from flink_py.taskmanager.state.broadcast import BroadcastStateStore
from flink_py.taskmanager.state.heap import HeapKeyedStateBackend

__all__ = [
    "BroadcastStateStore",
    "HeapKeyedStateBackend",
    "InternalValueState",
    "KeyedStateBackend",
]
