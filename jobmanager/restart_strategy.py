"""Restart strategies (Flink §8): whether and after how long a failed job restarts.

Selected by ``restart-strategy.type`` with Flink's keys and defaults; unset,
the job does not restart without checkpointing and uses ``exponential-delay``
with checkpointing. Pure objects: :meth:`RestartStrategy.on_failure` takes the
failure time and returns the delay in seconds, or None when the job must fail.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig

__all__ = [
    "ExponentialDelayRestart",
    "FailureRateRestart",
    "FixedDelayRestart",
    "NoRestart",
    "RestartStrategy",
    "restart_strategy_from_config",
]


class RestartStrategy:
    """Base: never restarts."""

    def on_failure(self, now: float) -> float | None:
        """A failure at ``now`` (seconds): the restart delay, or None (fail the job)."""
        return None

    def describe(self) -> str:
        """Flink-like name with parameters (shown when recovery is suppressed)."""
        return "NoRestartBackoffTimeStrategy"


class NoRestart(RestartStrategy):
    """``none``: the first failure fails the job."""


class FixedDelayRestart(RestartStrategy):
    """``fixed-delay``: ``attempts`` restarts in total, ``delay`` apart."""

    def __init__(self, attempts: int, delay_s: float) -> None:
        self.attempts = attempts
        self.delay_s = delay_s
        self.restarts = 0

    def on_failure(self, now: float) -> float | None:  # noqa: D102
        if self.restarts >= self.attempts:
            return None
        self.restarts += 1
        return self.delay_s

    def describe(self) -> str:  # noqa: D102
        return (f"FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts={self.attempts}, "
                f"backoffTimeMS={int(self.delay_s * 1000)})")


class FailureRateRestart(RestartStrategy):
    """``failure-rate``: at most ``max_failures`` failures within ``interval``."""

    def __init__(self, max_failures: int, interval_s: float, delay_s: float) -> None:
        self.max_failures = max_failures
        self.interval_s = interval_s
        self.delay_s = delay_s
        self.failures: deque[float] = deque()

    def on_failure(self, now: float) -> float | None:  # noqa: D102
        self.failures.append(now)
        while self.failures and now - self.failures[0] > self.interval_s:
            self.failures.popleft()
        if len(self.failures) > self.max_failures:
            return None
        return self.delay_s

    def describe(self) -> str:  # noqa: D102
        return (f"FailureRateRestartBackoffTimeStrategy(failuresIntervalMS="
                f"{int(self.interval_s * 1000)}, backoffTimeMS={int(self.delay_s * 1000)}, "
                f"maxFailuresPerInterval={self.max_failures})")


class ExponentialDelayRestart(RestartStrategy):
    """``exponential-delay``: the delay grows by ``multiplier`` up to ``max_backoff``.

    It resets to ``initial_backoff`` after ``reset_threshold`` without
    failures; ``jitter`` randomizes each delay by up to that fraction; after
    ``attempts`` restarts without a reset the next failure is final.
    """

    def __init__(self, initial_s: float, max_s: float, multiplier: float, reset_s: float,
                 jitter: float, attempts: int, rng: Any = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.multiplier = multiplier
        self.reset_s = reset_s
        self.jitter = jitter
        self.attempts = attempts
        self.rng = rng or random.Random()
        self.current_s = 0.0
        self.restarts = 0
        self.last_failure: float | None = None

    def on_failure(self, now: float) -> float | None:  # noqa: D102
        if self.last_failure is not None and now - self.last_failure >= self.reset_s:
            self.current_s = 0.0
            self.restarts = 0
        self.last_failure = now
        if self.restarts >= self.attempts:
            return None
        self.restarts += 1
        if self.current_s == 0.0:
            self.current_s = self.initial_s
        else:
            self.current_s = min(self.current_s * self.multiplier, self.max_s)
        delay = self.current_s
        if self.jitter > 0:
            delay += self.rng.uniform(-1.0, 1.0) * self.jitter * delay
        return max(0.0, min(delay, self.max_s))

    def describe(self) -> str:  # noqa: D102
        return (f"ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS="
                f"{int(self.initial_s * 1000)}, maxBackoffMS={int(self.max_s * 1000)}, "
                f"backoffMultiplier={self.multiplier}, attemptsBeforeResetBackoff="
                f"{self.attempts})")


def restart_strategy_from_config(config: FlinkConfig, checkpointing: bool) -> RestartStrategy:
    """The strategy ``restart-strategy.type`` selects (default: §8, by checkpointing)."""
    kind = config.get(cfg.RESTART_STRATEGY_TYPE)
    if kind is None:
        kind = "exponential-delay" if checkpointing else "none"
    kind = {"fixeddelay": "fixed-delay", "failurerate": "failure-rate",
            "exponentialdelay": "exponential-delay", "off": "none",
            "disable": "none"}.get(kind, kind)
    if kind == "fixed-delay":
        return FixedDelayRestart(int(config.get(cfg.FIXED_DELAY_ATTEMPTS)),
                                 int(config.get(cfg.FIXED_DELAY_DELAY)) / 1000.0)
    if kind == "failure-rate":
        return FailureRateRestart(int(config.get(cfg.FAILURE_RATE_MAX_FAILURES)),
                                  int(config.get(cfg.FAILURE_RATE_INTERVAL)) / 1000.0,
                                  int(config.get(cfg.FAILURE_RATE_DELAY)) / 1000.0)
    if kind == "exponential-delay":
        return ExponentialDelayRestart(
            int(config.get(cfg.EXPONENTIAL_INITIAL_BACKOFF)) / 1000.0,
            int(config.get(cfg.EXPONENTIAL_MAX_BACKOFF)) / 1000.0,
            float(config.get(cfg.EXPONENTIAL_BACKOFF_MULTIPLIER)),
            int(config.get(cfg.EXPONENTIAL_RESET_THRESHOLD)) / 1000.0,
            float(config.get(cfg.EXPONENTIAL_JITTER_FACTOR)),
            int(config.get(cfg.EXPONENTIAL_ATTEMPTS)))
    return NoRestart()
