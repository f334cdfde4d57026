"""Built-in sinks: print, user SinkFunctions and execute_and_collect."""

from __future__ import annotations

import math
import pickle
import sys
from collections.abc import Callable
from typing import Any

import cloudpickle

from flink_py.common.types import Row
from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.base import StreamOperator
from flink_py.taskmanager.operators.formatting import float32, print_string, shortest_decimal

__all__ = ["CollectSinkOperator", "PrintSinkOperator", "SinkFunctionOperator", "collect_converter"]


class PrintSinkOperator(StreamOperator):
    """``DataStream.print``: one line per record on the TaskManager's stdout.

    Prefixes follow Flink: none at parallelism 1 without a name, ``name> ``
    with a name, ``<subtask+1>> `` or ``name:<subtask+1>> `` at parallelism
    above 1. Records print as PyFlink shows them (``formatting.print_string``).
    """

    #: Flink names legacy sinks "Sink: <name>" in task names
    display_prefix = "Sink: "

    def __init__(self, sink_identifier: str | None, type_info: Any, to_stderr: bool = False) -> None:
        super().__init__()
        self.sink_identifier = sink_identifier
        self.type_info = type_info
        self.to_stderr = to_stderr
        self._prefix = ""

    def open(self) -> None:  # noqa: D102
        super().open()
        ident = self.sink_identifier
        if self.ctx.parallelism > 1:
            sub = self.ctx.subtask_index + 1
            self._prefix = f"{ident}:{sub}> " if ident else f"{sub}> "
        elif ident:
            self._prefix = f"{ident}> "

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        t = self.type_info
        p = self._prefix
        text = "".join(f"{p}{print_string(v, t)}\n" for v in values)
        stream = sys.stderr if self.to_stderr else sys.stdout
        stream.write(text)
        stream.flush()


class _SinkContext:
    """The ``context`` argument of ``SinkFunction.invoke``."""

    def __init__(self) -> None:
        self._timestamp: int | None = None

    def timestamp(self) -> int | None:
        """The record's timestamp, if it has one."""
        return self._timestamp


class SinkFunctionOperator(StreamOperator):
    """``DataStream.add_sink``: calls ``invoke(value, context)`` per record."""

    display_prefix = "Sink: "

    def __init__(self, func: Any) -> None:
        super().__init__()
        self.func, self.user_function = resolve(func, "invoke")
        self._context = _SinkContext()

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        f = self.func
        ctx = self._context
        if timestamps is None:
            for v in values:
                f(v, ctx)
        else:
            for v, ts in zip(values, timestamps):
                ctx._timestamp = ts  # noqa: SLF001
                f(v, ctx)


class CollectSinkOperator(StreamOperator):
    """The sink behind ``execute_and_collect``: ships results to the client.

    Batches go to the JobManager, which buffers them (bounded) until the
    client fetches them; a full buffer back-pressures this sink. Each batch
    carries the id of the last checkpoint this subtask took part in, so the
    JobManager can show the client only what a completed checkpoint covers
    (``jobmanager.collect_results``). The end of the input is announced
    once, at its real end -- not when a cancelled or failed subtask closes.
    Typed records reach the client as PyFlink's ``convert_to_python_obj``
    hands them over (:func:`collect_converter`).
    """

    display_prefix = "Sink: "

    def __init__(self, collect_id: str, type_info: Any = None) -> None:
        super().__init__()
        self.collect_id = collect_id
        self.type_info = type_info
        self._convert: Any = None
        self._checkpoint_id = 0

    def open(self) -> None:  # noqa: D102
        super().open()
        self._convert = collect_converter(self.type_info)

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        if values:
            if self._convert is not None:
                values = list(map(self._convert, values))
            try:
                payload = pickle.dumps(values, protocol=5)
            except (pickle.PicklingError, AttributeError, TypeError):
                # Instances of classes that travelled by value (defined in the job's
                # script): plain pickle only stores classes by reference.
                payload = cloudpickle.dumps(values, protocol=5)
            self.ctx.services.push_collect(self.ctx, self.collect_id, payload, False,
                                           self._checkpoint_id)

    def prepare_snapshot_pre_barrier(self, checkpoint_id: int) -> None:
        """Results pushed from now on belong after checkpoint ``checkpoint_id``."""
        self._checkpoint_id = checkpoint_id

    def end_input(self) -> None:  # noqa: D102
        super().end_input()
        self.ctx.services.push_collect(self.ctx, self.collect_id, b"", True, self._checkpoint_id)


def collect_converter(type_info: Any) -> Callable[[Any], Any] | None:
    """How PyFlink's ``execute_and_collect`` turns a record of ``type_info`` into the
    client's object (``pyflink.datastream.utils.convert_to_python_obj``), or None when
    it is the record itself.

    Rows (also nested ones) are rebuilt with the kind of the record and the field names
    of the type (``pickled_bytes_to_python_obj`` of PyFlink 1.17+); ``FLOAT`` values are
    the shortest decimal of the float32 (Java's ``Float.toString`` read back); the fields
    of tuples, arrays, lists and maps are converted alike.
    """
    from flink_py.common.typeinfo import (
        BasicArrayTypeInfo,
        ListTypeInfo,
        MapTypeInfo,
        ObjectArrayTypeInfo,
        PrimitiveArrayTypeInfo,
        RowTypeInfo,
        TupleTypeInfo,
        Types,
    )

    if type_info is None:
        return None
    if type_info == Types.FLOAT():
        return _collected_float
    if type_info == Types.DOUBLE():
        return _collected_double
    if type_info == Types.PRIMITIVE_ARRAY(Types.BYTE()):
        return _collected_bytes
    if isinstance(type_info, (RowTypeInfo, TupleTypeInfo)):
        fields = [collect_converter(t) or _same for t in type_info.get_field_types()]
        if isinstance(type_info, RowTypeInfo):
            names = list(type_info.get_field_names())

            def row(v: Any) -> Any:
                if not isinstance(v, Row):
                    return v
                out = Row.of_kind(v.get_row_kind(), *[None if x is None else f(x)
                                                     for f, x in zip(fields, v)])
                out.set_field_names(names)
                return out
            return row
        if all(f is _same for f in fields):
            return None

        def tup(v: Any) -> Any:
            if not isinstance(v, tuple):
                return v
            return tuple(None if x is None else f(x) for f, x in zip(fields, v))
        return tup
    if isinstance(type_info, (BasicArrayTypeInfo, PrimitiveArrayTypeInfo, ObjectArrayTypeInfo,
                              ListTypeInfo)):
        element = collect_converter(type_info.get_element_type())
        if element is None:
            return None
        return lambda v: v if not isinstance(v, list) else [
            None if x is None else element(x) for x in v]
    if isinstance(type_info, MapTypeInfo):
        key = collect_converter(type_info.get_key_type()) or _same
        value = collect_converter(type_info.get_value_type()) or _same
        if key is _same and value is _same:
            return None
        return lambda v: v if not isinstance(v, dict) else {
            None if k is None else key(k): None if x is None else value(x) for k, x in v.items()}
    return None


def _same(v: Any) -> Any:
    return v


def _collected_float(v: Any) -> Any:
    # Java's Float read back: the float32 value, as its shortest decimal (1/3 -> 0.33333334)
    if isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if isinstance(v, float) and math.isfinite(v):
        return float(shortest_decimal(float32(v), single=True))
    return v


def _collected_double(v: Any) -> Any:
    # A Java Double: an int declared DOUBLE comes back as a float (1 -> 1.0)
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _collected_bytes(v: Any) -> Any:
    # A Java byte[] reaches PyFlink's client as a list of signed bytes (b"\xff" -> [-1])
    if isinstance(v, (bytes, bytearray, memoryview)):
        return [b - 256 if b > 127 else b for b in bytes(v)]
    return v
