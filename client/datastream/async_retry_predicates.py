"""Ready-made retry conditions, as in ``pyflink.datastream.async_retry_predicates``.

Pass them to ``AsyncRetryStrategy.fixed_delay`` / ``exponential_backoff``;
``exception_type_predicate`` takes the type through ``functools.partial``::

    AsyncRetryStrategy.fixed_delay(
        max_attempts=3, backoff_time_millis=100, result_predicate=empty_result_predicate,
        exception_predicate=functools.partial(exception_type_predicate,
                                              expected_error_type=TimeoutError))
"""

from __future__ import annotations

from typing import Any

__all__ = ["empty_result_predicate", "exception_type_predicate", "has_exception_predicate"]


def empty_result_predicate(result: list[Any] | None) -> bool:
    """Retry when the request returned no outputs."""
    return result is None or len(result) == 0


def has_exception_predicate(error: BaseException | None) -> bool:
    """Retry on any exception."""
    return error is not None


def exception_type_predicate(error: BaseException | None, expected_error_type: type) -> bool:
    """Retry on exceptions of ``expected_error_type``."""
    return isinstance(error, expected_error_type)
