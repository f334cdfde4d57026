"""Built-in sinks: print, user SinkFunctions and execute_and_collect."""

from __future__ import annotations

import pickle
import sys
from typing import Any

import cloudpickle

from flink_py.datastream.functions import resolve
from flink_py.taskmanager.operators.base import StreamOperator
from flink_py.taskmanager.operators.formatting import print_string

__all__ = ["CollectSinkOperator", "PrintSinkOperator", "SinkFunctionOperator"]


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
    client fetches them; a full buffer back-pressures this sink.
    """

    def __init__(self, collect_id: str) -> None:
        super().__init__()
        self.collect_id = collect_id

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:  # noqa: D102
        if values:
            try:
                payload = pickle.dumps(values, protocol=5)
            except (pickle.PicklingError, AttributeError, TypeError):
                # Instances of classes that travelled by value (defined in the job's
                # script): plain pickle only stores classes by reference.
                payload = cloudpickle.dumps(values, protocol=5)
            self.ctx.services.push_collect(self.ctx, self.collect_id, payload, end=False)

    def close(self) -> None:  # noqa: D102
        self.ctx.services.push_collect(self.ctx, self.collect_id, b"", end=True)
