"""``AsyncDataStream``: async I/O, as in ``pyflink.datastream.async_data_stream``.

::

    class Lookup(AsyncFunction):
        async def async_invoke(self, value):
            row = await client.get(value)        # many requests run concurrently
            return [(value, row)]                # a collection, even for one output

    enriched = AsyncDataStream.unordered_wait(ds, Lookup(), Time.seconds(10), capacity=100,
                                              output_type=Types.PICKLED_BYTE_ARRAY())

The operator (``taskmanager.operators.async_wait``) runs the requests on an
asyncio event loop of its own.
"""

from __future__ import annotations

import inspect
from typing import Any

from flink_py.datastream import async_retry_strategies
from flink_py.datastream.data_stream import DataStream, _output_type
from flink_py.datastream.functions import (
    AsyncFunction,
    AsyncFunctionDescriptor,
    AsyncRetryStrategy,
)
from flink_py.taskmanager.operators.async_wait import AsyncWaitOperator

__all__ = ["AsyncDataStream"]

_OPERATOR_NAME = "async wait operator"


def _timeout_millis(timeout: Any) -> int:
    """A ``Time`` or ``Duration`` (anything with ``to_milliseconds``), or milliseconds."""
    to_ms = getattr(timeout, "to_milliseconds", None)
    if callable(to_ms):
        return int(to_ms())
    if isinstance(timeout, int) and not isinstance(timeout, bool):
        return timeout
    raise TypeError(f"timeout must be a Time, a Duration or milliseconds, got {timeout!r}")


class AsyncDataStream:
    """Applies an :class:`~flink_py.datastream.functions.AsyncFunction` to a data stream."""

    @staticmethod
    def unordered_wait(data_stream: DataStream, async_function: AsyncFunction[Any, Any],
                       timeout: Any, capacity: int = 100,
                       output_type: Any = None) -> DataStream:
        """Apply ``async_function``; outputs come as the requests complete.

        Args:
            data_stream: the input stream.
            async_function: the AsyncFunction.
            timeout: time limit of each request (a ``Time``); 0: none.
            capacity: the most requests in flight at a time.
            output_type: the output type.
        """
        return AsyncDataStream.unordered_wait_with_retry(
            data_stream, async_function, timeout, async_retry_strategies.NO_RETRY_STRATEGY,
            capacity, output_type)

    @staticmethod
    def unordered_wait_with_retry(data_stream: DataStream,
                                  async_function: AsyncFunction[Any, Any], timeout: Any,
                                  async_retry_strategy: AsyncRetryStrategy[Any],
                                  capacity: int = 100, output_type: Any = None) -> DataStream:
        """:meth:`unordered_wait`, retrying requests as ``async_retry_strategy`` says.

        The timeout covers all attempts of a request and must be positive.
        """
        return AsyncDataStream._add(data_stream, async_function, timeout, async_retry_strategy,
                                    capacity, output_type,
                                    AsyncFunctionDescriptor.OutputMode.UNORDERED)

    @staticmethod
    def ordered_wait(data_stream: DataStream, async_function: AsyncFunction[Any, Any],
                     timeout: Any, capacity: int = 100, output_type: Any = None) -> DataStream:
        """Apply ``async_function``; outputs come in the order of their inputs.

        Args:
            data_stream: the input stream.
            async_function: the AsyncFunction.
            timeout: time limit of each request (a ``Time``); 0: none.
            capacity: the most inputs between the oldest not yet emitted and the newest started.
            output_type: the output type.
        """
        return AsyncDataStream.ordered_wait_with_retry(
            data_stream, async_function, timeout, async_retry_strategies.NO_RETRY_STRATEGY,
            capacity, output_type)

    @staticmethod
    def ordered_wait_with_retry(data_stream: DataStream,
                                async_function: AsyncFunction[Any, Any], timeout: Any,
                                async_retry_strategy: AsyncRetryStrategy[Any],
                                capacity: int = 100, output_type: Any = None) -> DataStream:
        """:meth:`ordered_wait`, retrying requests as ``async_retry_strategy`` says.

        The timeout covers all attempts of a request and must be positive.
        """
        return AsyncDataStream._add(data_stream, async_function, timeout, async_retry_strategy,
                                    capacity, output_type,
                                    AsyncFunctionDescriptor.OutputMode.ORDERED)

    @staticmethod
    def _add(data_stream: DataStream, async_function: AsyncFunction[Any, Any], timeout: Any,
             async_retry_strategy: AsyncRetryStrategy[Any], capacity: int, output_type: Any,
             output_mode: AsyncFunctionDescriptor.OutputMode) -> DataStream:
        timeout_ms = AsyncDataStream._validate(data_stream, async_function, timeout,
                                               async_retry_strategy, capacity)
        op = AsyncWaitOperator(async_function, timeout_ms, capacity, async_retry_strategy,
                               output_mode is AsyncFunctionDescriptor.OutputMode.ORDERED)
        return data_stream._one_input(_OPERATOR_NAME, op, _output_type(output_type))

    @staticmethod
    def _validate(data_stream: DataStream, async_function: AsyncFunction[Any, Any],
                  timeout: Any, async_retry_strategy: AsyncRetryStrategy[Any],
                  capacity: int) -> int:
        """PyFlink's checks (its messages); returns the timeout in milliseconds."""
        if not isinstance(data_stream, DataStream):
            raise TypeError(f"data_stream must be a DataStream, got {data_stream!r}")
        if not inspect.iscoroutinefunction(getattr(async_function, "async_invoke", None)):
            msg = (f"Method 'async_invoke' of class '{type(async_function)}' should be "
                   "declared as 'async def'.")
            raise TypeError(msg)
        timeout_ms = _timeout_millis(timeout)
        if async_retry_strategy is None:
            raise ValueError("Async retry strategy should not be None.")
        if async_retry_strategy is not async_retry_strategies.NO_RETRY_STRATEGY \
                and timeout_ms <= 0:
            raise ValueError("Timeout should be configured when do async with retry.")
        if async_retry_strategy.get_retry_predicate() is None:
            msg = (f"Retry predicate of the async retry strategy '{type(async_retry_strategy)}' "
                   "is None.")
            raise ValueError(msg)
        if not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"The capacity must be greater than 0, got {capacity!r}")
        return timeout_ms
