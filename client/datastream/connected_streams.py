"""ConnectedStreams, BroadcastStream and BroadcastConnectedStream (``pyflink.datastream``).

``a.connect(b)`` pairs two streams, possibly of different types, for one
two-input operator: input 1 is ``a``, input 2 is ``b``. After
``key_by(key1, key2)`` both inputs are partitioned by key and the operator
has keyed state and timers. ``b.broadcast(descriptor)`` makes a
BroadcastStream; ``a.connect(broadcast_stream).process(...)`` sends every
element of ``b`` to every parallel instance, which keeps the described
broadcast state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flink_py.datastream._transformation import Transformation
from flink_py.datastream.functions import (
    BroadcastProcessFunction,
    KeyedBroadcastProcessFunction,
)
from flink_py.datastream.state import MapStateDescriptor
from flink_py.taskmanager.operators.broadcast import (
    BroadcastProcessOperator,
    KeyedBroadcastProcessOperator,
)
from flink_py.taskmanager.operators.co import (
    CoProcessOperator,
    KeyedCoProcessOperator,
    co_flat_map_functions,
    co_map_functions,
    co_process_functions,
)

if TYPE_CHECKING:
    from flink_py.datastream.data_stream import DataStream

__all__ = ["BroadcastConnectedStream", "BroadcastStream", "ConnectedStreams"]


def _two_input(first: DataStream, second: DataStream, name: str, operator: Any,
               output_type: Any) -> DataStream:
    from flink_py.datastream.data_stream import DataStream, _call_site, _output_type

    t = Transformation("operator", name, [(first._t, 0), (second._t, 1)], operator,  # noqa: SLF001
                       _output_type(output_type), description=_call_site())
    return DataStream(first._env, t)  # noqa: SLF001


class ConnectedStreams:
    """Two connected streams processed by one two-input function."""

    def __init__(self, stream1: DataStream, stream2: DataStream) -> None:
        self.stream1 = stream1
        self.stream2 = stream2

    def _is_keyed_stream(self) -> bool:
        from flink_py.datastream.data_stream import KeyedStream

        return isinstance(self.stream1, KeyedStream) and isinstance(self.stream2, KeyedStream)

    def key_by(self, key_selector1: Any, key_selector2: Any,
               key_type: Any = None) -> ConnectedStreams:
        """Partition both inputs by key (records of equal keys meet in one instance)."""
        return ConnectedStreams(_origin(self.stream1).key_by(key_selector1, key_type),
                                _origin(self.stream2).key_by(key_selector2, key_type))

    def _apply(self, name: str, functions: Any, output_type: Any) -> DataStream:
        if self._is_keyed_stream():
            s1, s2 = self.stream1, self.stream2
            op: Any = KeyedCoProcessOperator(s1._key_selector, s2._key_selector,  # type: ignore[attr-defined]  # noqa: SLF001
                                             functions)
        else:
            op = CoProcessOperator(functions)
        return _two_input(self.stream1, self.stream2, name, op, output_type)

    def map(self, func: Any, output_type: Any = None) -> DataStream:
        """``func.map1`` for input 1, ``func.map2`` for input 2 (a CoMapFunction)."""
        return self._apply("Co-Map", co_map_functions(func), output_type)

    def flat_map(self, func: Any, output_type: Any = None) -> DataStream:
        """``func.flat_map1``/``flat_map2`` (a CoFlatMapFunction); may yield."""
        return self._apply("Co-Flat Map", co_flat_map_functions(func), output_type)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """A CoProcessFunction, or a KeyedCoProcessFunction after ``key_by``."""
        keyed = self._is_keyed_stream()
        name = "Keyed Co-Process" if keyed else "Co-Process"
        return self._apply(name, co_process_functions(func, keyed), output_type)


class BroadcastStream:
    """A stream whose elements reach every parallel instance, with broadcast state."""

    def __init__(self, input_stream: DataStream,
                 broadcast_state_descriptors: list[MapStateDescriptor]) -> None:
        self.input_stream = input_stream
        self.broadcast_state_descriptors = list(broadcast_state_descriptors)


class BroadcastConnectedStream:
    """A (keyed or non-keyed) stream connected with a BroadcastStream."""

    def __init__(self, non_broadcast_stream: DataStream, broadcast_stream: BroadcastStream,
                 broadcast_state_descriptors: list[MapStateDescriptor]) -> None:
        self.non_broadcast_stream = non_broadcast_stream
        self.broadcast_stream = broadcast_stream
        self.broadcast_state_descriptors = list(broadcast_state_descriptors)

    def _is_keyed_stream(self) -> bool:
        from flink_py.datastream.data_stream import KeyedStream

        return isinstance(self.non_broadcast_stream, KeyedStream)

    def process(self, func: Any, output_type: Any = None) -> DataStream:
        """A BroadcastProcessFunction (non-keyed) or KeyedBroadcastProcessFunction (keyed)."""
        keyed = self._is_keyed_stream()
        if isinstance(func, BroadcastProcessFunction) and keyed:
            raise TypeError("BroadcastProcessFunction should be applied to non-keyed DataStream")
        if isinstance(func, KeyedBroadcastProcessFunction) and not keyed:
            raise TypeError("KeyedBroadcastProcessFunction should be applied to keyed DataStream")
        descriptors = self.broadcast_state_descriptors
        if keyed:
            selector = self.non_broadcast_stream._key_selector  # type: ignore[attr-defined]  # noqa: SLF001
            op: Any = KeyedBroadcastProcessOperator(selector, func, descriptors)
            name = "Keyed-Co-Process-Broadcast"
        else:
            op = BroadcastProcessOperator(func, descriptors)
            name = "Co-Process-Broadcast"
        return _two_input(self.non_broadcast_stream, self.broadcast_stream.input_stream, name,
                          op, output_type)


def _origin(stream: DataStream) -> DataStream:
    """The stream before ``key_by`` (re-keying replaces the old partitioning)."""
    return getattr(stream, "_origin", None) or stream
