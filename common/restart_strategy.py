"""``RestartStrategies``, as in ``pyflink.common.restart_strategy``.

A restart strategy configuration is a plain value object. Setting one on the
environment (``env.set_restart_strategy(...)``) writes Flink's
``restart-strategy.*`` keys into the job's configuration
(:meth:`RestartStrategyConfiguration.to_config`), where the JobManager reads
them like any other job option.

Delays and intervals accept milliseconds (``int``), ``datetime.timedelta``,
:class:`~flink_py.common.time.Time` or :class:`~flink_py.common.time.Duration`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["RestartStrategies", "RestartStrategyConfiguration"]


def _to_millis(value: Any, what: str) -> int:
    """Milliseconds of an int, timedelta, Time or Duration."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be milliseconds (int), a timedelta, Time or Duration, "
                        f"got {value!r}")
    if isinstance(value, int):
        millis = value
    elif isinstance(value, timedelta):
        millis = (value.days * 86_400 + value.seconds) * 1000 + value.microseconds // 1000
    elif hasattr(value, "to_milliseconds"):
        millis = int(value.to_milliseconds())
    else:
        raise TypeError(f"{what} must be milliseconds (int), a timedelta, Time or Duration, "
                        f"got {type(value).__name__}")
    if millis < 0:
        raise ValueError(f"{what} must not be negative, got {millis} ms")
    return millis


class RestartStrategyConfiguration:
    """What to do when a task of the job fails."""

    def get_description(self) -> str:
        """A one-line description (shown by Flink's web interface)."""
        raise NotImplementedError

    def to_config(self) -> dict[str, str]:
        """The ``restart-strategy.*`` configuration entries of this strategy."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_config() == self.to_config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.to_config().items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_description()})"


class _NoRestart(RestartStrategyConfiguration):
    def get_description(self) -> str:
        return "Restart deactivated."

    def to_config(self) -> dict[str, str]:
        return {"restart-strategy.type": "none"}


class _FixedDelay(RestartStrategyConfiguration):
    def __init__(self, restart_attempts: int, delay_between_attempts: Any) -> None:
        if not isinstance(restart_attempts, int) or restart_attempts < 0:
            raise ValueError(f"restart_attempts must be a non-negative int, got "
                             f"{restart_attempts!r}")
        self._attempts = restart_attempts
        self._delay = _to_millis(delay_between_attempts, "delay_between_attempts")

    def get_restart_attempts(self) -> int:
        """Restarts before the job fails."""
        return self._attempts

    def get_delay_between_attempts_interval(self) -> timedelta:
        """The delay before each restart."""
        return timedelta(milliseconds=self._delay)

    def get_description(self) -> str:
        return (f"Restart with fixed delay ({self._delay} ms). #{self._attempts} restart "
                "attempts.")

    def to_config(self) -> dict[str, str]:
        return {"restart-strategy.type": "fixed-delay",
                "restart-strategy.fixed-delay.attempts": str(self._attempts),
                "restart-strategy.fixed-delay.delay": f"{self._delay} ms"}


class _FailureRate(RestartStrategyConfiguration):
    def __init__(self, max_failure_rate: int, failure_interval: Any,
                 delay_between_attempts_interval: Any) -> None:
        if not isinstance(max_failure_rate, int) or max_failure_rate < 1:
            raise ValueError(f"max_failure_rate must be a positive int, got {max_failure_rate!r}")
        self._rate = max_failure_rate
        self._interval = _to_millis(failure_interval, "failure_interval")
        self._delay = _to_millis(delay_between_attempts_interval, "delay_interval")

    def get_max_failure_rate(self) -> int:
        """Failures allowed within one failure interval."""
        return self._rate

    def get_failure_interval(self) -> timedelta:
        """The interval over which failures are counted."""
        return timedelta(milliseconds=self._interval)

    def get_delay_between_attempts_interval(self) -> timedelta:
        """The delay before each restart."""
        return timedelta(milliseconds=self._delay)

    def get_description(self) -> str:
        return (f"Failure rate restart with maximum of {self._rate} failures within interval "
                f"{self._interval} ms and fixed delay {self._delay} ms.")

    def to_config(self) -> dict[str, str]:
        rs = "restart-strategy.failure-rate."
        return {"restart-strategy.type": "failure-rate",
                rs + "max-failures-per-interval": str(self._rate),
                rs + "failure-rate-interval": f"{self._interval} ms",
                rs + "delay": f"{self._delay} ms"}


class _ExponentialDelay(RestartStrategyConfiguration):
    def __init__(self, initial_backoff: Any, max_backoff: Any, backoff_multiplier: float,
                 reset_backoff_threshold: Any, jitter_factor: float) -> None:
        self._initial = _to_millis(initial_backoff, "initial_backoff")
        self._max = _to_millis(max_backoff, "max_backoff")
        self._reset = _to_millis(reset_backoff_threshold, "reset_backoff_threshold")
        if backoff_multiplier < 1:
            raise ValueError(f"backoff_multiplier must be at least 1, got {backoff_multiplier}")
        if not 0 <= jitter_factor <= 1:
            raise ValueError(f"jitter_factor must be within 0..1, got {jitter_factor}")
        self._multiplier = float(backoff_multiplier)
        self._jitter = float(jitter_factor)

    def get_initial_backoff(self) -> timedelta:
        """The delay before the first restart."""
        return timedelta(milliseconds=self._initial)

    def get_max_backoff(self) -> timedelta:
        """The largest delay."""
        return timedelta(milliseconds=self._max)

    def get_backoff_multiplier(self) -> float:
        """Factor applied to the delay after each failure."""
        return self._multiplier

    def get_reset_backoff_threshold(self) -> timedelta:
        """Failure-free time after which the delay starts over."""
        return timedelta(milliseconds=self._reset)

    def get_jitter_factor(self) -> float:
        """Random jitter relative to the delay."""
        return self._jitter

    def get_description(self) -> str:
        return (f"Restart with exponential backoff delay (initial {self._initial} ms, max "
                f"{self._max} ms, multiplier {self._multiplier:g}, reset after {self._reset} ms,"
                f" jitter {self._jitter:g}).")

    def to_config(self) -> dict[str, str]:
        ex = "restart-strategy.exponential-delay."
        return {"restart-strategy.type": "exponential-delay",
                ex + "initial-backoff": f"{self._initial} ms",
                ex + "max-backoff": f"{self._max} ms",
                ex + "backoff-multiplier": repr(self._multiplier),
                ex + "reset-backoff-threshold": f"{self._reset} ms",
                ex + "jitter-factor": repr(self._jitter)}


class _FallBack(RestartStrategyConfiguration):
    def get_description(self) -> str:
        return "Cluster level default restart strategy"

    def to_config(self) -> dict[str, str]:
        return {}


class RestartStrategies:
    """Factories for restart strategy configurations (Flink's ``RestartStrategies``)."""

    NoRestartStrategyConfiguration = _NoRestart
    FixedDelayRestartStrategyConfiguration = _FixedDelay
    FailureRateRestartStrategyConfiguration = _FailureRate
    ExponentialDelayRestartStrategyConfiguration = _ExponentialDelay
    FallbackRestartStrategyConfiguration = _FallBack

    @staticmethod
    def no_restart() -> RestartStrategyConfiguration:
        """Never restart: the first failure fails the job."""
        return _NoRestart()

    @staticmethod
    def fall_back_restart() -> RestartStrategyConfiguration:
        """Use the cluster's configured restart strategy."""
        return _FallBack()

    @staticmethod
    def fixed_delay_restart(restart_attempts: int,
                            delay_between_attempts: Any) -> RestartStrategyConfiguration:
        """Restart up to ``restart_attempts`` times, waiting ``delay_between_attempts``."""
        return _FixedDelay(restart_attempts, delay_between_attempts)

    @staticmethod
    def failure_rate_restart(failure_rate: int, failure_interval: Any,
                             delay_interval: Any) -> RestartStrategyConfiguration:
        """Restart while at most ``failure_rate`` failures happen per ``failure_interval``."""
        return _FailureRate(failure_rate, failure_interval, delay_interval)

    @staticmethod
    def exponential_delay_restart(initial_backoff: Any, max_backoff: Any,
                                  backoff_multiplier: float, reset_backoff_threshold: Any,
                                  jitter_factor: float) -> RestartStrategyConfiguration:
        """Restart with a delay growing by ``backoff_multiplier`` up to ``max_backoff``."""
        return _ExponentialDelay(initial_backoff, max_backoff, backoff_multiplier,
                                 reset_backoff_threshold, jitter_factor)

    @staticmethod
    def from_config(config: dict[str, Any]) -> RestartStrategyConfiguration | None:
        """The strategy described by ``restart-strategy.*`` entries (None when unset)."""
        from flink_py.common.runtime.config import FlinkConfig

        flink = FlinkConfig.from_dict(
            {k: v for k, v in config.items() if k.startswith("restart-strategy")},
            warn_unknown=False)
        kind = flink.get("restart-strategy.type")
        if kind is None:
            return None
        kind = str(kind).replace("-", "").lower()
        if kind in ("none", "off", "disable"):
            return _NoRestart()
        g = flink.get
        if kind == "fixeddelay":
            return _FixedDelay(int(g("restart-strategy.fixed-delay.attempts")),
                               int(g("restart-strategy.fixed-delay.delay")))
        if kind == "failurerate":
            rs = "restart-strategy.failure-rate."
            return _FailureRate(int(g(rs + "max-failures-per-interval")),
                                int(g(rs + "failure-rate-interval")), int(g(rs + "delay")))
        ex = "restart-strategy.exponential-delay."
        return _ExponentialDelay(int(g(ex + "initial-backoff")), int(g(ex + "max-backoff")),
                                 float(g(ex + "backoff-multiplier")),
                                 int(g(ex + "reset-backoff-threshold")),
                                 float(g(ex + "jitter-factor")))
