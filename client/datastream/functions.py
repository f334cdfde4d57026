"""User function interfaces, as in ``pyflink.datastream.functions``.

Every operator accepts either a plain callable or an instance of the class
form below. Functions that emit several values may return an iterable or be
generators (``yield``). ``open(runtime_context)`` runs once per parallel
instance before the first record, ``close()`` after the last.

Process functions (``ProcessFunction``, ``KeyedProcessFunction``, the
co-process and broadcast-process functions) emit by yielding values; they
emit to a side output by yielding ``(output_tag, value)`` or by calling
``ctx.output(output_tag, value)``. Their contexts are only valid during the
call that receives them.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from flink_py.common.execution_config import global_job_parameters
from flink_py.datastream.timerservice import TimerService

if TYPE_CHECKING:
    from flink_py.common.metrics import MetricGroup
    from flink_py.datastream.output_tag import OutputTag
    from flink_py.datastream.state import (
        AggregatingState,
        AggregatingStateDescriptor,
        BroadcastState,
        ListState,
        ListStateDescriptor,
        MapState,
        MapStateDescriptor,
        OperatorStateStore,
        ReadOnlyBroadcastState,
        ReducingState,
        ReducingStateDescriptor,
        ValueState,
        ValueStateDescriptor,
    )
    from flink_py.datastream.time_domain import TimeDomain

__all__ = [
    "AggregateFunction",
    "AsyncFunction",
    "AsyncFunctionDescriptor",
    "AsyncRetryPredicate",
    "AsyncRetryStrategy",
    "BaseBroadcastProcessFunction",
    "CheckpointedFunction",
    "FunctionInitializationContext",
    "FunctionSnapshotContext",
    "BroadcastProcessFunction",
    "CoFlatMapFunction",
    "CoMapFunction",
    "CoProcessFunction",
    "FilterFunction",
    "FlatMapFunction",
    "Function",
    "KeySelector",
    "KeyedBroadcastProcessFunction",
    "KeyedCoProcessFunction",
    "KeyedProcessFunction",
    "KeyedStateStore",
    "MapFunction",
    "Partitioner",
    "ProcessFunction",
    "ReduceFunction",
    "RuntimeContext",
    "SinkFunction",
    "SourceFunction",
    # defined in flink_py.datastream.window (see __getattr__ at the end)
    "AllWindowFunction",
    "ProcessAllWindowFunction",
    "ProcessWindowFunction",
    "WindowFunction",
]

_NOT_KEYED = ("Keyed state can only be used on a 'keyed stream', i.e., after a "
              "'key_by()' operation.")


class KeyedStateStore(abc.ABC):
    """Where keyed state handles come from (implemented by the runtime)."""

    @abc.abstractmethod
    def get_state(self, state_descriptor: ValueStateDescriptor) -> ValueState:
        """The ValueState described by ``state_descriptor``."""

    @abc.abstractmethod
    def get_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:
        """The ListState described by ``state_descriptor``."""

    @abc.abstractmethod
    def get_map_state(self, state_descriptor: MapStateDescriptor) -> MapState:
        """The MapState described by ``state_descriptor``."""

    @abc.abstractmethod
    def get_reducing_state(self, state_descriptor: ReducingStateDescriptor) -> ReducingState:
        """The ReducingState described by ``state_descriptor``."""

    @abc.abstractmethod
    def get_aggregating_state(
            self, state_descriptor: AggregatingStateDescriptor) -> AggregatingState:
        """The AggregatingState described by ``state_descriptor``."""


class RuntimeContext(KeyedStateStore):
    """What a parallel function instance knows about where it runs.

    On a keyed stream it also hands out keyed state (``get_state`` and the
    other ``KeyedStateStore`` methods); elsewhere those raise.
    """

    def __init__(self, task_name: str, index: int, parallelism: int, max_parallelism: int,
                 attempt: int, job_parameters: dict[str, str] | None = None,
                 metrics_group: Any = None, keyed_state_store: KeyedStateStore | None = None
                 ) -> None:
        self._task_name = task_name
        self._index = index
        self._parallelism = parallelism
        self._max_parallelism = max_parallelism
        self._attempt = attempt
        self._job_parameters = dict(job_parameters or {})
        # ExecutionConfig.set_global_job_parameters entries win over plain job options.
        self._job_parameters.update(global_job_parameters(self._job_parameters))
        self._metrics_group = metrics_group
        self._keyed_state_store = keyed_state_store

    def get_task_name(self) -> str:
        """The name of the task (the operator chain)."""
        return self._task_name

    def get_number_of_parallel_subtasks(self) -> int:
        """The parallelism of the task."""
        return self._parallelism

    def get_max_number_of_parallel_subtasks(self) -> int:
        """The max parallelism (number of key groups) of the task."""
        return self._max_parallelism

    def get_index_of_this_subtask(self) -> int:
        """This subtask's index, from 0 to parallelism - 1."""
        return self._index

    def get_attempt_number(self) -> int:
        """The attempt number of this subtask (0 on the first run)."""
        return self._attempt

    def get_task_name_with_subtasks(self) -> str:
        """``name (index+1/parallelism)#attempt`` as Flink's ``TaskInfo`` prints it."""
        return f"{self._task_name} ({self._index + 1}/{self._parallelism})#{self._attempt}"

    def get_job_parameter(self, key: str, default_value: str) -> str:
        """A global job parameter (``get_config().set_global_job_parameters``) or job
        configuration value, or ``default_value``."""
        return self._job_parameters.get(key, default_value)

    def get_metrics_group(self) -> MetricGroup:
        """The metric group of this operator (counters, gauges, meters, distributions)."""
        if self._metrics_group is None:
            from flink_py.common.metrics import MetricGroup

            self._metrics_group = MetricGroup([self._task_name, str(self._index)])
        return self._metrics_group  # type: ignore[no-any-return]

    def _store(self) -> KeyedStateStore:
        if self._keyed_state_store is None:
            raise RuntimeError(_NOT_KEYED)
        return self._keyed_state_store

    def get_state(self, state_descriptor: ValueStateDescriptor) -> ValueState:
        """The ValueState described by ``state_descriptor`` (keyed streams only)."""
        return self._store().get_state(state_descriptor)

    def get_list_state(self, state_descriptor: ListStateDescriptor) -> ListState:
        """The ListState described by ``state_descriptor`` (keyed streams only)."""
        return self._store().get_list_state(state_descriptor)

    def get_map_state(self, state_descriptor: MapStateDescriptor) -> MapState:
        """The MapState described by ``state_descriptor`` (keyed streams only)."""
        return self._store().get_map_state(state_descriptor)

    def get_reducing_state(self, state_descriptor: ReducingStateDescriptor) -> ReducingState:
        """The ReducingState described by ``state_descriptor`` (keyed streams only)."""
        return self._store().get_reducing_state(state_descriptor)

    def get_aggregating_state(
            self, state_descriptor: AggregatingStateDescriptor) -> AggregatingState:
        """The AggregatingState described by ``state_descriptor`` (keyed streams only)."""
        return self._store().get_aggregating_state(state_descriptor)


class Function(abc.ABC):  # noqa: B024 - the base of every function class, as in PyFlink
    """Base of all user functions: an optional open/close lifecycle."""

    def open(self, runtime_context: RuntimeContext) -> None:  # noqa: B027
        """Called once before the first record."""

    def close(self) -> None:  # noqa: B027
        """Called once after the last record."""


class MapFunction(Function):
    """One output value per input value."""

    @abc.abstractmethod
    def map(self, value: Any) -> Any:
        """Transform one value."""


class FlatMapFunction(Function):
    """Zero or more output values per input value."""

    @abc.abstractmethod
    def flat_map(self, value: Any) -> Iterable[Any] | None:
        """Return (or yield) the output values for one input value."""


class FilterFunction(Function):
    """Keeps the values for which :meth:`filter` is true."""

    @abc.abstractmethod
    def filter(self, value: Any) -> bool:
        """Whether to keep ``value``."""


class ReduceFunction(Function):
    """Combines two values of the same key into one."""

    @abc.abstractmethod
    def reduce(self, value1: Any, value2: Any) -> Any:
        """Combine the accumulated ``value1`` with the new ``value2``."""


class KeySelector(Function):
    """Extracts the key of a value."""

    @abc.abstractmethod
    def get_key(self, value: Any) -> Any:
        """The key of ``value``."""


class Partitioner(Function):
    """Chooses the partition of a key for ``partition_custom``."""

    @abc.abstractmethod
    def partition(self, key: Any, num_partitions: int) -> int:
        """A partition index in ``[0, num_partitions)``."""


class SinkFunction(Function):
    """Writes values to an external system."""

    @abc.abstractmethod
    def invoke(self, value: Any, context: Any) -> None:
        """Write one value."""


class SourceFunction(Function):
    """A legacy source for ``env.add_source``: ``run`` emits through ``ctx.collect``.

    ``run(ctx)`` blocks until the source is exhausted (or cancelled); it runs
    on its own thread. ``ctx.collect(value)`` and
    ``ctx.collect_with_timestamp(value, ts)`` emit; ``cancel()`` must make
    ``run`` return soon. Legacy sources cannot be rewound on recovery; the
    Source API (``env.from_source``) can.
    """

    @abc.abstractmethod
    def run(self, ctx: Any) -> None:
        """Emit records until done or cancelled."""

    def cancel(self) -> None:  # noqa: B027 - optional for sources that end by themselves
        """Stop ``run``."""


class AggregateFunction(Function):
    """Incremental aggregation through an accumulator (AggregatingState, windows)."""

    @abc.abstractmethod
    def create_accumulator(self) -> Any:
        """A new, empty accumulator."""

    @abc.abstractmethod
    def add(self, value: Any, accumulator: Any) -> Any:
        """Add ``value`` to ``accumulator`` and return the (possibly same) accumulator."""

    @abc.abstractmethod
    def get_result(self, accumulator: Any) -> Any:
        """The aggregation result of ``accumulator``."""

    @abc.abstractmethod
    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        """Merge two accumulators into one."""


class CoMapFunction(Function):
    """A map over two connected streams: one output per input of either."""

    @abc.abstractmethod
    def map1(self, value: Any) -> Any:
        """Transform an element of the first stream."""

    @abc.abstractmethod
    def map2(self, value: Any) -> Any:
        """Transform an element of the second stream."""


class CoFlatMapFunction(Function):
    """A flat map over two connected streams: zero or more outputs per input."""

    @abc.abstractmethod
    def flat_map1(self, value: Any) -> Iterable[Any] | None:
        """Return (or yield) the outputs for an element of the first stream."""

    @abc.abstractmethod
    def flat_map2(self, value: Any) -> Iterable[Any] | None:
        """Return (or yield) the outputs for an element of the second stream."""


class _OutputContext(abc.ABC):
    """What every process-function context offers."""

    @abc.abstractmethod
    def timestamp(self) -> int:
        """The timestamp of the current element or firing timer (Long.MIN_VALUE if none)."""

    @abc.abstractmethod
    def output(self, output_tag: OutputTag, value: Any) -> None:
        """Emit ``value`` to the side output ``output_tag`` (same as ``yield tag, value``)."""


class _TimerContext(_OutputContext):
    @abc.abstractmethod
    def timer_service(self) -> TimerService:
        """Query time; register timers (keyed streams only)."""


class _KeyedContext(_TimerContext):
    @abc.abstractmethod
    def get_current_key(self) -> Any:
        """The key of the element (or timer) being processed."""


class _OnTimerContext(_KeyedContext):
    @abc.abstractmethod
    def time_domain(self) -> TimeDomain:
        """Whether the firing timer is an event-time or processing-time timer."""


class ProcessFunction(Function):
    """Processes each element of a stream; may emit any number of outputs.

    On a non-keyed stream the timer service can tell the time but not
    register timers (timers are scoped to keys).
    """

    class Context(_TimerContext):
        """Available in :meth:`process_element`."""

    @abc.abstractmethod
    def process_element(self, value: Any, ctx: ProcessFunction.Context) -> Iterable[Any] | None:
        """Process one element; yield (or return) the outputs."""


class KeyedProcessFunction(Function):
    """Processes each element of a keyed stream, with keyed state and timers."""

    class Context(_KeyedContext):
        """Available in :meth:`process_element`."""

    class OnTimerContext(_OnTimerContext):
        """Available in :meth:`on_timer`."""

    @abc.abstractmethod
    def process_element(self, value: Any,
                        ctx: KeyedProcessFunction.Context) -> Iterable[Any] | None:
        """Process one element; yield (or return) the outputs."""

    def on_timer(self, timestamp: int,  # noqa: B027 - optional hook, as in PyFlink
                 ctx: KeyedProcessFunction.OnTimerContext) -> Iterable[Any] | None:
        """A timer registered for ``ctx.get_current_key()`` fired at ``timestamp``."""


class CoProcessFunction(Function):
    """Processes the elements of two connected streams."""

    class Context(_TimerContext):
        """Available in the ``process_element`` methods."""

    @abc.abstractmethod
    def process_element1(self, value: Any,
                         ctx: CoProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the first stream."""

    @abc.abstractmethod
    def process_element2(self, value: Any,
                         ctx: CoProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the second stream."""


class KeyedCoProcessFunction(Function):
    """Processes the elements of two connected keyed streams, with keyed state and timers."""

    class Context(_KeyedContext):
        """Available in the ``process_element`` methods."""

    class OnTimerContext(_OnTimerContext):
        """Available in :meth:`on_timer`."""

    @abc.abstractmethod
    def process_element1(self, value: Any,
                         ctx: KeyedCoProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the first stream."""

    @abc.abstractmethod
    def process_element2(self, value: Any,
                         ctx: KeyedCoProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the second stream."""

    def on_timer(self, timestamp: int,  # noqa: B027 - optional hook, as in PyFlink
                 ctx: KeyedCoProcessFunction.OnTimerContext) -> Iterable[Any] | None:
        """A timer registered for ``ctx.get_current_key()`` fired at ``timestamp``."""


class BaseBroadcastProcessFunction(Function):
    """What the broadcast process functions share."""

    class BaseContext(_OutputContext):
        """Available in every method of a broadcast process function."""

        @abc.abstractmethod
        def current_processing_time(self) -> int:
            """The current processing time (epoch milliseconds)."""

        @abc.abstractmethod
        def current_watermark(self) -> int:
            """The current event-time watermark."""

    class Context(BaseContext):
        """The broadcast side's context: read/write broadcast state."""

        @abc.abstractmethod
        def get_broadcast_state(self, state_descriptor: MapStateDescriptor) -> BroadcastState:
            """The broadcast state registered with ``state_descriptor``."""

    class ReadOnlyContext(BaseContext):
        """The non-broadcast side's context: read-only broadcast state."""

        @abc.abstractmethod
        def get_broadcast_state(
                self, state_descriptor: MapStateDescriptor) -> ReadOnlyBroadcastState:
            """A read-only view of the broadcast state registered with ``state_descriptor``."""


class BroadcastProcessFunction(BaseBroadcastProcessFunction):
    """Connects a non-keyed stream with a broadcast stream carrying broadcast state."""

    class Context(BaseBroadcastProcessFunction.Context):
        """Available in :meth:`process_broadcast_element`."""

    class ReadOnlyContext(BaseBroadcastProcessFunction.ReadOnlyContext):
        """Available in :meth:`process_element`."""

    @abc.abstractmethod
    def process_element(self, value: Any,
                        ctx: BroadcastProcessFunction.ReadOnlyContext) -> Iterable[Any] | None:
        """Process an element of the non-broadcast stream."""

    @abc.abstractmethod
    def process_broadcast_element(self, value: Any,
                                  ctx: BroadcastProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the broadcast stream (every instance sees each one)."""


class KeyedBroadcastProcessFunction(BaseBroadcastProcessFunction):
    """Connects a keyed stream with a broadcast stream carrying broadcast state."""

    class Context(BaseBroadcastProcessFunction.Context):
        """Available in :meth:`process_broadcast_element`."""

    class ReadOnlyContext(BaseBroadcastProcessFunction.ReadOnlyContext):
        """Available in :meth:`process_element`: keyed state, timers, read-only broadcast state."""

        @abc.abstractmethod
        def timer_service(self) -> TimerService:
            """Query time and register timers for the current key."""

        @abc.abstractmethod
        def get_current_key(self) -> Any:
            """The key of the element being processed."""

    class OnTimerContext(ReadOnlyContext):
        """Available in :meth:`on_timer`."""

        @abc.abstractmethod
        def time_domain(self) -> TimeDomain:
            """Whether the firing timer is an event-time or processing-time timer."""

    @abc.abstractmethod
    def process_element(
            self, value: Any,
            ctx: KeyedBroadcastProcessFunction.ReadOnlyContext) -> Iterable[Any] | None:
        """Process an element of the keyed stream."""

    @abc.abstractmethod
    def process_broadcast_element(
            self, value: Any, ctx: KeyedBroadcastProcessFunction.Context) -> Iterable[Any] | None:
        """Process an element of the broadcast stream (every instance sees each one)."""

    def on_timer(self, timestamp: int,  # noqa: B027 - optional hook, as in PyFlink
                 ctx: KeyedBroadcastProcessFunction.OnTimerContext) -> Iterable[Any] | None:
        """A timer registered for ``ctx.get_current_key()`` fired at ``timestamp``."""


IN = TypeVar("IN")
OUT = TypeVar("OUT")


class AsyncRetryPredicate(abc.ABC, Generic[OUT]):
    """When an async request is retried: a condition on its result and one on its exception."""

    @abc.abstractmethod
    def result_predicate(self) -> Callable[[list[OUT]], bool] | None:
        """Retry when this returns True for a request's result (None: never on results)."""

    @abc.abstractmethod
    def exception_predicate(self) -> Callable[[Exception], bool] | None:
        """Retry when this returns True for a request's exception (None: never on exceptions)."""


class AsyncRetryStrategy(abc.ABC, Generic[OUT]):
    """How often and after which delay an async request is attempted again.

    ``current_attempts`` counts the attempts made so far (1 after the first).
    The factories build the strategies of ``flink_py.datastream.async_retry_strategies``.
    """

    @abc.abstractmethod
    def can_retry(self, current_attempts: int) -> bool:
        """Whether another attempt may follow ``current_attempts`` attempts."""

    @abc.abstractmethod
    def get_backoff_time_millis(self, current_attempts: int) -> int:
        """The delay (ms) before the next attempt."""

    @abc.abstractmethod
    def get_retry_predicate(self) -> AsyncRetryPredicate[OUT]:
        """Which results and exceptions trigger a retry."""

    @staticmethod
    def no_restart() -> AsyncRetryStrategy[Any]:
        """Never retry (PyFlink's name)."""
        from flink_py.datastream import async_retry_strategies

        return async_retry_strategies.NO_RETRY_STRATEGY

    @staticmethod
    def fixed_delay(max_attempts: int, backoff_time_millis: int,
                    result_predicate: Callable[[list[Any]], bool] | None,
                    exception_predicate: Callable[[Exception], bool] | None
                    ) -> AsyncRetryStrategy[Any]:
        """Up to ``max_attempts`` retries, ``backoff_time_millis`` apart."""
        from flink_py.datastream.async_retry_strategies import FixedDelayRetryStrategy

        return FixedDelayRetryStrategy(max_attempts, backoff_time_millis, result_predicate,
                                       exception_predicate)

    @staticmethod
    def exponential_backoff(max_attempts: int, initial_delay: int, max_retry_delay: int,
                            multiplier: float,
                            result_predicate: Callable[[list[Any]], bool] | None,
                            exception_predicate: Callable[[Exception], bool] | None
                            ) -> AsyncRetryStrategy[Any]:
        """Up to ``max_attempts`` retries, the delay growing by ``multiplier`` up to
        ``max_retry_delay`` (ms)."""
        from flink_py.datastream.async_retry_strategies import (
            ExponentialBackoffDelayRetryStrategy,
        )

        return ExponentialBackoffDelayRetryStrategy(max_attempts, initial_delay, max_retry_delay,
                                                    multiplier, result_predicate,
                                                    exception_predicate)


class AsyncFunction(Function, Generic[IN, OUT]):
    """The function of ``AsyncDataStream.unordered_wait`` / ``ordered_wait``.

    ``async_invoke`` is an ``async def`` returning the outputs of one input as
    a collection (a list, even for a single output). Requests of many inputs
    run concurrently on the operator's event loop, so a request should await
    its I/O rather than block. Raising fails the job (after the retries of a
    retry strategy). ``open``, ``async_invoke``, ``timeout`` and ``close`` all
    run on that event loop's thread.
    """

    @abc.abstractmethod
    async def async_invoke(self, value: IN) -> list[OUT]:
        """Start the request for ``value``; return its outputs."""

    def timeout(self, value: IN) -> list[OUT]:
        """The outputs of a request that did not finish in time; by default the job fails."""
        raise TimeoutError("Async function call has timed out for input: " + str(value))


class AsyncFunctionDescriptor:
    """An async function with its settings, as PyFlink describes it to its runtime."""

    class OutputMode(Enum):
        """Results in input order, or as they complete."""

        ORDERED = 0
        UNORDERED = 1

    def __init__(self, async_function: AsyncFunction[Any, Any], timeout: Any, capacity: int,
                 async_retry_strategy: AsyncRetryStrategy[Any],
                 output_mode: AsyncFunctionDescriptor.OutputMode) -> None:
        self.async_function = async_function
        self.timeout = timeout
        self.capacity = capacity
        self.async_retry_strategy = async_retry_strategy
        self.output_mode = output_mode


def resolve(func: Any, method: str) -> tuple[Callable[..., Any], Function | None]:
    """Return the callable to invoke and the Function object (for open/close).

    Args:
        func: a plain callable or an instance of one of the classes above.
        method: the class form's method name (``map``, ``flat_map``...).

    Raises:
        TypeError: ``func`` is neither callable nor has ``method``.
    """
    if isinstance(func, Function):
        return getattr(func, method), func
    bound = getattr(func, method, None)
    if bound is not None and callable(bound):
        return bound, None
    if callable(func):
        return func, None
    msg = f"{func!r} is neither a callable nor an object with a '{method}' method"
    raise TypeError(msg)


class FunctionSnapshotContext:
    """What :meth:`CheckpointedFunction.snapshot_state` is told about the checkpoint."""

    def __init__(self, checkpoint_id: int, checkpoint_timestamp: int) -> None:
        self._checkpoint_id = checkpoint_id
        self._timestamp = checkpoint_timestamp

    def get_checkpoint_id(self) -> int:
        """The id of the checkpoint (or savepoint) being taken."""
        return self._checkpoint_id

    def get_checkpoint_timestamp(self) -> int:
        """When the checkpoint was triggered (epoch milliseconds)."""
        return self._timestamp


class FunctionInitializationContext:
    """What :meth:`CheckpointedFunction.initialize_state` gets: the operator state store
    (and the keyed state store on a keyed stream), and whether state was restored."""

    def __init__(self, operator_state_store: OperatorStateStore, restored: bool,
                 keyed_state_store: KeyedStateStore | None = None) -> None:
        self._operator_store = operator_state_store
        self._restored = restored
        self._keyed_store = keyed_state_store

    def is_restored(self) -> bool:
        """Whether the state comes from a checkpoint or savepoint."""
        return self._restored

    def get_operator_state_store(self) -> OperatorStateStore:
        """Operator list / union list state of this function."""
        return self._operator_store

    def get_keyed_state_store(self) -> KeyedStateStore:
        """Keyed state (only on a keyed stream)."""
        if self._keyed_store is None:
            raise RuntimeError(_NOT_KEYED)
        return self._keyed_store


class CheckpointedFunction(abc.ABC):
    """Mix-in of functions with operator state (Flink's ``CheckpointedFunction``).

    ``initialize_state`` runs once per subtask before ``open``, with the state
    restored from a checkpoint or savepoint (``context.is_restored()``);
    ``snapshot_state`` runs at each checkpoint, before the barrier moves on,
    and should write the function's in-memory data into its operator states::

        class Buffering(MapFunction, CheckpointedFunction):
            def initialize_state(self, context):
                self.state = context.get_operator_state_store().get_list_state(
                    ListStateDescriptor("buffer", Types.STRING()))
                self.buffer = list(self.state.get())

            def snapshot_state(self, context):
                self.state.update(self.buffer)
    """

    @abc.abstractmethod
    def snapshot_state(self, context: FunctionSnapshotContext) -> None:
        """Put the function's data into its state (checkpoint ``context.get_checkpoint_id()``)."""

    @abc.abstractmethod
    def initialize_state(self, context: FunctionInitializationContext) -> None:
        """Create (and read restored) state; called before ``open``."""


_WINDOW_FUNCTIONS = frozenset({"AllWindowFunction", "ProcessAllWindowFunction",
                               "ProcessWindowFunction", "WindowFunction"})


def __getattr__(name: str) -> Any:
    """The window function classes, as PyFlink's ``functions`` module has them.

    They live in ``flink_py.datastream.window`` (which imports this module),
    so they are looked up on first access.
    """
    if name in _WINDOW_FUNCTIONS:
        from flink_py.datastream import window

        return getattr(window, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
