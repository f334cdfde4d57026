"""User function interfaces, as in ``pyflink.datastream.functions``.

Every operator accepts either a plain callable or an instance of the class
form below. Functions that emit several values may return an iterable or be
generators (``yield``). ``open(runtime_context)`` runs once per parallel
instance before the first record, ``close()`` after the last.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "FilterFunction",
    "FlatMapFunction",
    "Function",
    "KeySelector",
    "MapFunction",
    "Partitioner",
    "ReduceFunction",
    "RuntimeContext",
    "SinkFunction",
]


class RuntimeContext:
    """What a parallel function instance knows about where it runs."""

    def __init__(self, task_name: str, index: int, parallelism: int, max_parallelism: int,
                 attempt: int, job_parameters: dict[str, str] | None = None,
                 metrics_group: Any = None) -> None:
        self._task_name = task_name
        self._index = index
        self._parallelism = parallelism
        self._max_parallelism = max_parallelism
        self._attempt = attempt
        self._job_parameters = dict(job_parameters or {})
        self._metrics_group = metrics_group

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
        """``name (index+1/parallelism)`` as Flink prints it."""
        return f"{self._task_name} ({self._index + 1}/{self._parallelism})"

    def get_job_parameter(self, key: str, default_value: str) -> str:
        """A job configuration value, or ``default_value``."""
        return self._job_parameters.get(key, default_value)

    def get_metrics_group(self) -> Any:
        """The metric group of this operator."""
        return self._metrics_group


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
