"""``CheckpointConfig``, ``CheckpointingMode`` and ``ExternalizedCheckpointCleanup`` as in PyFlink.

A :class:`CheckpointConfig` is a view on a job's configuration: every setter
writes the ``execution.checkpointing.*`` key it stands for (so
``env.get_checkpoint_config().set_checkpoint_timeout(60000)`` and
``-D execution.checkpointing.timeout=60 s`` are the same thing) and every
getter reads the effective value.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, MutableMapping
from typing import Any

from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig
from flink_py.common.time import Duration

__all__ = ["CheckpointConfig", "CheckpointingMode", "ExternalizedCheckpointCleanup",
           "ExternalizedCheckpointRetention"]


class CheckpointingMode(enum.Enum):
    """``execution.checkpointing.mode``."""

    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1


class ExternalizedCheckpointRetention(enum.Enum):
    """``execution.checkpointing.externalized-checkpoint-retention`` (PyFlink 2.x name)."""

    DELETE_ON_CANCELLATION = 0
    RETAIN_ON_CANCELLATION = 1
    NO_EXTERNALIZED_CHECKPOINTS = 2


#: PyFlink 1.x name of the same enum.
ExternalizedCheckpointCleanup = ExternalizedCheckpointRetention


def _ms(value: Any) -> int:
    if hasattr(value, "to_milliseconds"):
        return int(value.to_milliseconds())
    if hasattr(value, "to_millis"):
        return int(value.to_millis())
    return int(value)


class CheckpointConfig:
    """The checkpointing settings of one job (PyFlink's ``CheckpointConfig``).

    Args:
        values: the job's configuration overrides (written by the setters).
        effective: returns the effective configuration (cluster plus overrides).
    """

    DEFAULT_MODE = CheckpointingMode.EXACTLY_ONCE
    DEFAULT_TIMEOUT = 10 * 60 * 1000
    DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS = 0
    DEFAULT_MAX_CONCURRENT_CHECKPOINTS = 1

    def __init__(self, values: MutableMapping[str, Any],
                 effective: Callable[[], FlinkConfig]) -> None:
        self._values = values
        self._effective = effective

    def _set(self, option: cfg.ConfigOption, value: Any) -> CheckpointConfig:
        FlinkConfig().with_overrides({option.key: value})  # validate now
        self._values[option.key] = value
        return self

    def _get(self, option: cfg.ConfigOption) -> Any:
        return self._effective().get(option)

    # -- interval and mode -------------------------------------------------------
    def is_checkpointing_enabled(self) -> bool:
        """Whether an interval is set."""
        interval = self._get(cfg.CHECKPOINTING_INTERVAL)
        return interval is not None and int(interval) > 0

    def get_checkpoint_interval(self) -> int:
        """The interval in ms, or -1 when checkpointing is off."""
        interval = self._get(cfg.CHECKPOINTING_INTERVAL)
        return -1 if interval is None else int(interval)

    def set_checkpoint_interval(self, checkpoint_interval: int) -> CheckpointConfig:
        """Trigger a checkpoint every ``checkpoint_interval`` ms (at least 10 ms)."""
        if _ms(checkpoint_interval) < 10:
            raise ValueError(f"Checkpoint interval must be larger than or equal to 10 ms, "
                             f"got {checkpoint_interval}")
        return self._set(cfg.CHECKPOINTING_INTERVAL, f"{_ms(checkpoint_interval)} ms")

    def get_checkpointing_mode(self) -> CheckpointingMode:
        """EXACTLY_ONCE (default) or AT_LEAST_ONCE; AT_LEAST_ONCE while checkpointing is off.

        As Flink's ``CheckpointingOptions.getCheckpointingMode``: a job that takes no
        checkpoints gives no exactly-once guarantee, whatever the configured mode.
        """
        if not self.is_checkpointing_enabled():
            return CheckpointingMode.AT_LEAST_ONCE
        return CheckpointingMode[str(self._get(cfg.CHECKPOINTING_MODE))]

    def set_checkpointing_mode(self, checkpointing_mode: CheckpointingMode) -> CheckpointConfig:
        """Aligned barriers (EXACTLY_ONCE) or counted barriers (AT_LEAST_ONCE)."""
        if not isinstance(checkpointing_mode, CheckpointingMode):
            raise TypeError(f"set_checkpointing_mode: expected a CheckpointingMode, got "
                            f"{type(checkpointing_mode).__name__}")
        return self._set(cfg.CHECKPOINTING_MODE, checkpointing_mode.name)

    # -- limits --------------------------------------------------------------------
    def get_checkpoint_timeout(self) -> int:
        """Milliseconds after which a checkpoint in progress expires."""
        return int(self._get(cfg.CHECKPOINTING_TIMEOUT))

    def set_checkpoint_timeout(self, checkpoint_timeout: int) -> CheckpointConfig:
        """Abort checkpoints not completed within ``checkpoint_timeout`` ms."""
        if _ms(checkpoint_timeout) < 1:
            raise ValueError(f"Checkpoint timeout must be positive, got {checkpoint_timeout}")
        return self._set(cfg.CHECKPOINTING_TIMEOUT, f"{_ms(checkpoint_timeout)} ms")

    def get_min_pause_between_checkpoints(self) -> int:
        """Minimal pause (ms) between the end of one checkpoint and the start of the next."""
        return int(self._get(cfg.CHECKPOINTING_MIN_PAUSE))

    def set_min_pause_between_checkpoints(self, min_pause_between_checkpoints: int
                                          ) -> CheckpointConfig:
        """Wait at least this many ms after a checkpoint completed."""
        if _ms(min_pause_between_checkpoints) < 0:
            raise ValueError("Pause value must be zero or positive")
        return self._set(cfg.CHECKPOINTING_MIN_PAUSE, f"{_ms(min_pause_between_checkpoints)} ms")

    def get_max_concurrent_checkpoints(self) -> int:
        """Checkpoints that may be in progress at once."""
        return int(self._get(cfg.CHECKPOINTING_MAX_CONCURRENT))

    def set_max_concurrent_checkpoints(self, max_concurrent_checkpoints: int
                                       ) -> CheckpointConfig:
        """At most this many checkpoints in progress at once."""
        if max_concurrent_checkpoints < 1:
            raise ValueError("The maximum number of concurrent attempts must be at least one.")
        return self._set(cfg.CHECKPOINTING_MAX_CONCURRENT, max_concurrent_checkpoints)

    def get_tolerable_checkpoint_failure_number(self) -> int:
        """Consecutive checkpoint failures tolerated before the job fails over."""
        return int(self._get(cfg.CHECKPOINTING_TOLERABLE_FAILURES))

    def set_tolerable_checkpoint_failure_number(self, tolerable_checkpoint_failure_number: int
                                                ) -> CheckpointConfig:
        """Tolerate this many consecutive checkpoint failures."""
        if tolerable_checkpoint_failure_number < 0:
            raise ValueError("The tolerable failure checkpoint number must be non-negative.")
        return self._set(cfg.CHECKPOINTING_TOLERABLE_FAILURES,
                         tolerable_checkpoint_failure_number)

    def is_fail_on_checkpointing_errors(self) -> bool:
        """Deprecated: whether a checkpoint failure fails the job (tolerable number 0)."""
        return self.get_tolerable_checkpoint_failure_number() == 0

    def set_fail_on_checkpointing_errors(self, fail_on_checkpointing_errors: bool
                                         ) -> CheckpointConfig:
        """Deprecated: tolerable failures 0 (True) or unlimited (False)."""
        return self.set_tolerable_checkpoint_failure_number(
            0 if fail_on_checkpointing_errors else 2147483647)

    # -- retention ---------------------------------------------------------------------
    def set_externalized_checkpoint_cleanup(self, cleanup_mode: ExternalizedCheckpointCleanup
                                            ) -> CheckpointConfig:
        """What happens to completed checkpoints when the job ends."""
        return self._set(cfg.CHECKPOINTING_EXTERNALIZED_RETENTION, cleanup_mode.name)

    set_externalized_checkpoint_retention = set_externalized_checkpoint_cleanup
    enable_externalized_checkpoints = set_externalized_checkpoint_cleanup

    def get_externalized_checkpoint_cleanup(self) -> ExternalizedCheckpointCleanup | None:
        """The retention, or None for NO_EXTERNALIZED_CHECKPOINTS."""
        mode = ExternalizedCheckpointCleanup[str(self._get(
            cfg.CHECKPOINTING_EXTERNALIZED_RETENTION))]
        return None if mode is ExternalizedCheckpointCleanup.NO_EXTERNALIZED_CHECKPOINTS else mode

    def get_externalized_checkpoint_retention(self) -> ExternalizedCheckpointCleanup:
        """PyFlink 2.x: the retention, NO_EXTERNALIZED_CHECKPOINTS when not enabled."""
        return ExternalizedCheckpointCleanup[str(self._get(
            cfg.CHECKPOINTING_EXTERNALIZED_RETENTION))]

    def is_externalized_checkpoints_enabled(self) -> bool:
        """Whether completed checkpoints survive the job's end."""
        return self.get_externalized_checkpoint_cleanup() is not None

    # -- storage -----------------------------------------------------------------------
    def set_checkpoint_storage_dir(self, checkpoint_path: str) -> CheckpointConfig:
        """``execution.checkpointing.dir``: where checkpoints are written (any pyarrow.fs URI)."""
        return self._set(cfg.CHECKPOINTING_DIR, str(checkpoint_path))

    def get_checkpoint_storage_dir(self) -> str | None:
        """The checkpoint directory, if set."""
        return self._get(cfg.CHECKPOINTING_DIR)

    # -- unaligned -----------------------------------------------------------------------
    # flink-py records these settings but always aligns barriers: unaligned checkpoints
    # only let barriers overtake in-flight data under back-pressure; the state and the
    # exactly-once results are the same.
    def is_unaligned_checkpoints_enabled(self) -> bool:
        """Whether unaligned checkpoints were asked for (barriers are still aligned)."""
        return bool(self._get(cfg.CHECKPOINTING_UNALIGNED))

    def enable_unaligned_checkpoints(self, enabled: bool = True) -> CheckpointConfig:
        """Ask for unaligned checkpoints (recorded; flink-py aligns barriers)."""
        return self._set(cfg.CHECKPOINTING_UNALIGNED, bool(enabled))

    def disable_unaligned_checkpoints(self) -> CheckpointConfig:
        """Aligned checkpoints."""
        return self._set(cfg.CHECKPOINTING_UNALIGNED, False)

    def set_aligned_checkpoint_timeout(self, aligned_checkpoint_timeout: Any) -> CheckpointConfig:
        """Alignment time before a checkpoint would switch to unaligned (recorded)."""
        return self._set(cfg.CHECKPOINTING_ALIGNED_TIMEOUT, f"{_ms(aligned_checkpoint_timeout)} ms")

    def get_aligned_checkpoint_timeout(self) -> Duration:
        """The alignment timeout (``Duration``)."""
        return Duration.of_millis(_ms(self._get(cfg.CHECKPOINTING_ALIGNED_TIMEOUT)))

    set_alignment_timeout = set_aligned_checkpoint_timeout
    get_alignment_timeout = get_aligned_checkpoint_timeout

    def set_force_unaligned_checkpoints(self, force_unaligned_checkpoints: bool = True
                                        ) -> CheckpointConfig:
        """Force unaligned checkpoints (recorded)."""
        return self._set(cfg.CHECKPOINTING_UNALIGNED_FORCED, bool(force_unaligned_checkpoints))

    def is_force_unaligned_checkpoints(self) -> bool:
        """Whether unaligned checkpoints are forced."""
        return bool(self._get(cfg.CHECKPOINTING_UNALIGNED_FORCED))
