"""User metrics (``pyflink.metrics``): counters, gauges, meters, distributions.

``runtime_context.get_metrics_group()`` returns the operator's
:class:`MetricGroup`; ``add_group`` nests groups. Metric identifiers follow
Flink's scope format ``<task>.<operator>.<subtask>.<group>....<name>``.
The values live in the task; exporting them to reporters is a separate
concern that reads them through :meth:`MetricGroup.get_metrics`.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Counter", "Distribution", "Gauge", "Meter", "Metric", "MetricGroup"]


class Metric:
    """Base class of all metrics."""


class Counter(Metric):
    """A count that can go up and down."""

    def __init__(self) -> None:
        self._count = 0

    def inc(self, n: int = 1) -> None:
        """Add ``n``."""
        self._count += n

    def dec(self, n: int = 1) -> None:
        """Subtract ``n``."""
        self._count -= n

    def get_count(self) -> int:
        """The current count."""
        return self._count


class Gauge(Metric):
    """A value read from a user callable whenever the metric is reported."""

    def __init__(self, obj: Callable[[], Any]) -> None:
        if not callable(obj):
            raise TypeError("a gauge needs a callable returning its value")
        self._obj = obj

    def get_value(self) -> Any:
        """Call the gauge's function."""
        return self._obj()


class Meter(Metric):
    """Events per second over the last ``time_span_in_seconds`` (Flink's MeterView).

    The count is sampled once per second (lazily, when the meter is used);
    the rate is the growth of the count over the time span divided by it.
    """

    def __init__(self, time_span_in_seconds: int = 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if time_span_in_seconds < 1:
            raise ValueError("a meter's time span must be at least 1 second")
        self._span = int(time_span_in_seconds)
        self._clock = clock
        self._count = 0
        self._ticks: collections.deque[int] = collections.deque([0], maxlen=self._span)
        self._last_tick = clock()

    def _advance(self) -> None:
        elapsed = int(self._clock() - self._last_tick)
        if elapsed > 0:
            self._ticks.extend([self._count] * min(elapsed, self._span))
            self._last_tick += elapsed

    def mark_event(self, value: int = 1) -> None:
        """Record ``value`` events."""
        self._advance()
        self._count += value

    def get_count(self) -> int:
        """Events recorded since creation."""
        return self._count

    def get_rate(self) -> float:
        """Events per second over the time span."""
        self._advance()
        return (self._count - self._ticks[0]) / self._span


class Distribution(Metric):
    """Statistics (count, sum, min, max, mean) of the values reported by ``update``."""

    def __init__(self) -> None:
        self._count = 0
        self._sum = 0
        self._min: Any = None
        self._max: Any = None

    def update(self, value: int) -> None:
        """Report one value."""
        self._count += 1
        self._sum += value
        self._min = value if self._min is None or value < self._min else self._min
        self._max = value if self._max is None or value > self._max else self._max

    def get_count(self) -> int:
        """Number of values."""
        return self._count

    def get_sum(self) -> int:
        """Sum of the values."""
        return self._sum

    def get_min(self) -> Any:
        """Smallest value, or None."""
        return self._min

    def get_max(self) -> Any:
        """Largest value, or None."""
        return self._max

    def get_mean(self) -> float:
        """Mean of the values (0.0 without values)."""
        return self._sum / self._count if self._count else 0.0


class MetricGroup:
    """A named group of metrics and sub-groups.

    Args:
        scope_components: the scope of this group, e.g.
            ``["Map", "0"]`` for subtask 0 of the operator ``Map``.
        variables: ``<name>`` -> value pairs describing the scope.
    """

    def __init__(self, scope_components: list[str], variables: dict[str, str] | None = None,
                 delimiter: str = ".") -> None:
        self._scope = list(scope_components)
        self._variables = dict(variables or {})
        self._delimiter = delimiter
        self._groups: dict[tuple[str, str | None], MetricGroup] = {}
        self._metrics: dict[str, Metric] = {}

    # -- groups ----------------------------------------------------------------
    def add_group(self, name: str, extra: str | None = None) -> MetricGroup:
        """A sub-group; with ``extra``, a key/value pair of groups (``name`` = ``extra``).

        ``group.add_group("k", "v")`` is ``group.add_group("k").add_group("v")``
        except that the value group also carries the variable ``<k>`` = ``v``.
        """
        if extra is None:
            return self._child(name, None, {})
        key_group = self._child(name, None, {})
        return key_group._child(extra, "value", {f"<{name}>": extra})

    def _child(self, name: str, kind: str | None, extra_vars: dict[str, str]) -> MetricGroup:
        found = self._groups.get((name, kind))
        if found is None:
            found = MetricGroup([*self._scope, name], {**self._variables, **extra_vars},
                                self._delimiter)
            self._groups[(name, kind)] = found
        return found

    def get_scope_components(self) -> list[str]:
        """The scope of this group, outermost first."""
        return list(self._scope)

    def get_all_variables(self) -> dict[str, str]:
        """The scope variables (``<name>`` -> value)."""
        return dict(self._variables)

    def get_metric_identifier(self, metric_name: str) -> str:
        """The fully qualified name of ``metric_name`` in this group."""
        return self._delimiter.join([*self._scope, metric_name])

    # -- metrics ---------------------------------------------------------------
    def _register(self, name: str, metric: Metric) -> Any:
        existing = self._metrics.get(name)
        if existing is not None:
            if type(existing) is not type(metric):
                msg = (f"metric '{self.get_metric_identifier(name)}' is already registered "
                       f"as a {type(existing).__name__}")
                raise ValueError(msg)
            return existing
        self._metrics[name] = metric
        return metric

    def counter(self, name: str) -> Counter:
        """The counter ``name`` (created on first use)."""
        return self._register(name, Counter())  # type: ignore[no-any-return]

    def gauge(self, name: str, obj: Callable[[], Any]) -> Gauge:
        """Register a gauge reading ``obj()``."""
        return self._register(name, Gauge(obj))  # type: ignore[no-any-return]

    def meter(self, name: str, time_span_in_seconds: int = 60) -> Meter:
        """The meter ``name`` (events per second over ``time_span_in_seconds``)."""
        return self._register(name, Meter(time_span_in_seconds))  # type: ignore[no-any-return]

    def distribution(self, name: str) -> Distribution:
        """The distribution ``name``."""
        return self._register(name, Distribution())  # type: ignore[no-any-return]

    def get_metrics(self) -> dict[str, Metric]:
        """Every metric of this group and its sub-groups, by identifier."""
        out = {self.get_metric_identifier(n): m for n, m in self._metrics.items()}
        for group in self._groups.values():
            out.update(group.get_metrics())
        return out
