"""``CheckpointConfig`` at PyFlink's path ``pyflink.datastream.checkpoint_config``.

It is ``flink_py.common.checkpoint_config.CheckpointConfig`` plus PyFlink's
checkpoint-storage methods, which write ``execution.checkpointing.storage``
and ``execution.checkpointing.dir`` into the job's configuration.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from flink_py.common.checkpoint_config import CheckpointConfig as _CheckpointConfig
from flink_py.common.checkpoint_config import (
    CheckpointingMode,
    ExternalizedCheckpointCleanup,
    ExternalizedCheckpointRetention,
)
from flink_py.common.runtime import config as cfg
from flink_py.common.runtime.config import FlinkConfig
from flink_py.datastream.checkpoint_storage import (
    CheckpointStorage,
    CustomCheckpointStorage,
    FileSystemCheckpointStorage,
    checkpoint_storage_from_config,
)

__all__ = [
    "CheckpointConfig",
    "CheckpointingMode",
    "ExternalizedCheckpointCleanup",
    "ExternalizedCheckpointRetention",
]


class CheckpointConfig(_CheckpointConfig):
    """The checkpointing settings of one job (PyFlink's ``CheckpointConfig``).

    Args:
        values: the job's configuration overrides (written by the setters).
        effective: returns the effective configuration (cluster plus overrides).
        holder: keeps the storage object last set (an environment), so
            :meth:`get_checkpoint_storage` returns it while the configuration
            still describes it.
    """

    def __init__(self, values: MutableMapping[str, Any], effective: Callable[[], FlinkConfig],
                 holder: Any = None) -> None:
        super().__init__(values, effective)
        self._holder = holder

    def set_checkpoint_storage(self, storage: CheckpointStorage) -> CheckpointConfig:
        """Where checkpoints go: a ``JobManagerCheckpointStorage`` or ``FileSystemCheckpointStorage``.

        Raises:
            TypeError: For anything else (custom Java storages do not exist here).
        """
        if not isinstance(storage, CheckpointStorage) or \
                isinstance(storage, CustomCheckpointStorage):
            raise TypeError("set_checkpoint_storage expects a JobManagerCheckpointStorage or a "
                            f"FileSystemCheckpointStorage, got {storage!r}")
        for key, value in storage._options().items():  # noqa: SLF001
            option = cfg.get_option(key)
            for alias in option.deprecated_keys if option is not None else ():
                self._values.pop(alias, None)
            self._values[key] = value
        if self._holder is not None:
            self._holder._checkpoint_storage = storage  # noqa: SLF001
        return self

    def set_checkpoint_storage_dir(self, checkpoint_path: str) -> CheckpointConfig:
        """Write checkpoints under ``checkpoint_path`` (a ``FileSystemCheckpointStorage``)."""
        return self.set_checkpoint_storage(FileSystemCheckpointStorage(str(checkpoint_path)))

    def get_checkpoint_storage(self) -> CheckpointStorage | None:
        """The checkpoint storage of the job, or None when none is configured."""
        derived = checkpoint_storage_from_config(self._effective())
        kept = getattr(self._holder, "_checkpoint_storage", None)
        if kept is not None and derived is not None and \
                kept._options() == derived._options():  # noqa: SLF001
            return kept
        return derived
