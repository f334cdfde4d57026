"""The operator contract every runtime operator implements.

Records move in *batches*: a Python list of values plus, when the stream has
event timestamps, a parallel list of timestamps (else ``None``). Watermarks
reach an operator through :meth:`StreamOperator.process_watermark`, in
order with the batches (for the task head: the minimum over its input
channels, see ``network.valve``). Chained
operators call each other directly; the last operator of a chain writes into
a record writer that partitions and ships batches to the next task.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Protocol

from flink_py.common.metrics import MetricGroup
from flink_py.datastream.functions import Function, KeyedStateStore, RuntimeContext

_LONG_MAX = (1 << 63) - 1

__all__ = [
    "OperatorContext",
    "Output",
    "SourceOperator",
    "StreamOperator",
    "TwoInputStreamOperator",
    "private_copy",
]


class Output(Protocol):
    """Where an operator emits its results."""

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Emit a batch of values (and their timestamps, if any)."""

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        """Emit a batch to the side output ``tag``."""

    def emit_watermark(self, watermark: int) -> None:
        """Emit a watermark (epoch ms) to every output, main and side; ignored unless it advances."""

    def emit_watermark_status(self, idle: bool) -> None:
        """Tell every output that this stream became idle (True) or active again (False)."""


@dataclasses.dataclass
class OperatorContext:
    """Everything an operator instance learns when it is set up."""

    task_name: str
    operator_name: str
    subtask_index: int
    parallelism: int
    max_parallelism: int
    attempt: int
    job_id: str
    job_parameters: dict[str, str]
    services: Any = None  # worker services: collect client, config, ...
    #: The task's ProcessingTimeService (``operators.timers``); fires on the task thread.
    processing_time_service: Any = None
    metric_group: MetricGroup | None = None
    #: ``STREAMING`` or ``BATCH`` (``execution.runtime-mode`` as resolved for the job).
    runtime_mode: str = "STREAMING"

    def get_metric_group(self) -> MetricGroup:
        """The metric group of this operator instance (scope ``<operator_name>.<subtask_index>``).

        Reporters prepend the host/TaskManager/job part of Flink's operator scope.
        """
        if self.metric_group is None:
            self.metric_group = MetricGroup(
                [self.operator_name, str(self.subtask_index)],
                {"<task_name>": self.task_name, "<operator_name>": self.operator_name,
                 "<subtask_index>": str(self.subtask_index), "<job_id>": self.job_id})
        return self.metric_group

    def runtime_context(self, keyed_state_store: KeyedStateStore | None = None
                        ) -> RuntimeContext:
        """The user-facing RuntimeContext for this instance (with keyed state if given)."""
        return RuntimeContext(self.task_name, self.subtask_index, self.parallelism,
                              self.max_parallelism, self.attempt, self.job_parameters,
                              self.get_metric_group(), keyed_state_store)


class StreamOperator:
    """A one-input operator. Subclasses override :meth:`process_batch`."""

    #: Flink's chaining strategy: ALWAYS, HEAD, NEVER or HEAD_WITH_SOURCES.
    chaining_strategy = "ALWAYS"
    #: The user function whose open/close lifecycle this operator drives.
    user_function: Any = None
    #: What every input record is known to be (``common.runtime.inline`` facts): set
    #: by the task when the input arrives through a type-checked network edge.
    input_fact: Any = None

    def __init__(self) -> None:
        self.output: Output = None  # type: ignore[assignment]
        self.ctx: OperatorContext = None  # type: ignore[assignment]

    def output_fact(self) -> Any:
        """What every main-output record is known to be (None: nothing), so a
        type check downstream can skip it (``taskmanager.output_types``)."""
        return None

    def setup(self, ctx: OperatorContext, output: Output) -> None:
        """Bind the operator to its task before :meth:`open`."""
        self.ctx = ctx
        self.output = output

    def runtime_context(self) -> RuntimeContext:
        """The RuntimeContext handed to the user function's ``open``."""
        return self.ctx.runtime_context()

    def open(self) -> None:
        """Open the user function with its runtime context."""
        if isinstance(self.user_function, Function):
            self.user_function.open(self.runtime_context())

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Process one batch of input records."""
        raise NotImplementedError

    def process_watermark(self, watermark: int) -> None:
        """Event time of the input advanced to ``watermark``; the default forwards it.

        Operators with event-time timers or windows fire them first, then forward.
        """
        self.output.emit_watermark(watermark)

    def process_watermark_status(self, idle: bool) -> None:
        """The input became idle (True) or active again (False); the default forwards it."""
        self.output.emit_watermark_status(idle)

    def end_input(self) -> None:
        """All input has been consumed (bounded streams); emit final results."""

    def prepare_snapshot_pre_barrier(self, checkpoint_id: int) -> None:
        """Checkpoint ``checkpoint_id`` is being taken (Flink's hook of the same name): the
        task calls it on every operator before the barrier goes downstream and the state
        is snapshotted."""

    def close(self) -> None:
        """Close the user function."""
        if isinstance(self.user_function, Function):
            self.user_function.close()


class TwoInputStreamOperator(StreamOperator):
    """An operator with two inputs (connect, joins)."""

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        """One-input entry point: treated as the first input."""
        self.process_batch1(values, timestamps)

    def process_batch1(self, values: list[Any], timestamps: list[int] | None) -> None:
        """A batch from the first input."""
        raise NotImplementedError

    def process_batch2(self, values: list[Any], timestamps: list[int] | None) -> None:
        """A batch from the second input."""
        raise NotImplementedError


class SourceOperator(StreamOperator):
    """The head of a source task: produces batches until exhausted."""

    chaining_strategy = "HEAD"
    #: True when the source ends by itself.
    bounded = True

    def poll_next(self, max_rows: int) -> list[Any] | None:
        """Return the next batch (possibly empty), or None at end of input."""
        raise NotImplementedError

    def end_of_event_time(self) -> None:
        """The source finished: emit the maximum watermark (after marking itself active)."""
        self.output.emit_watermark_status(False)
        self.output.emit_watermark(_LONG_MAX)

    def process_batch(self, values: list[Any], timestamps: list[int] | None) -> None:
        """Sources have no input."""
        raise TypeError("a source has no input")


#: Types whose values never change in place.
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None), complex})


def private_copy(value: Any) -> Any:
    """``value`` itself when it cannot change in place (a scalar, a tuple of scalars),
    else a deep copy: what a PyFlink operator gets from a serialized record."""
    t = type(value)
    if t in _IMMUTABLE or t is tuple and _IMMUTABLE.issuperset(map(type, value)):
        return value
    return copy.deepcopy(value)
