"""Checkpoint storage, as in ``pyflink.datastream.checkpoint_storage``.

A checkpoint storage object describes where a job's checkpoints go;
``env.get_checkpoint_config().set_checkpoint_storage(storage)`` writes it as
``execution.checkpointing.storage`` and ``execution.checkpointing.dir``.
TaskManagers upload state files under ``<dir>/<job-id>/chk-<n>/`` (shared
RocksDB files under ``shared/``) and the JobManager writes ``_metadata`` last.

flink-py keeps no checkpoint state in the JobManager's memory: with
``JobManagerCheckpointStorage`` state files still go to the configured
directory, if any (without one, checkpoints only align barriers and nothing
can be restored).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CheckpointStorage",
    "CustomCheckpointStorage",
    "FileSystemCheckpointStorage",
    "JobManagerCheckpointStorage",
]

_STORAGE = "execution.checkpointing.storage"
_DIR = "execution.checkpointing.dir"
_SAVEPOINT_DIR = "execution.checkpointing.savepoint-dir"


def _path(uri: Any) -> str:
    text = str(uri)
    return text.rstrip("/") or text


class CheckpointStorage:
    """Where checkpoints are stored (see the module doc)."""

    def __init__(self, j_checkpoint_storage: Any = None) -> None:
        self._j_checkpoint_storage = j_checkpoint_storage

    def _options(self) -> dict[str, str]:
        """The job options this storage stands for."""
        return {}

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._options()})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self._options().items()))))


class JobManagerCheckpointStorage(CheckpointStorage):
    """Flink's in-JobManager checkpoint storage (``jobmanager``).

    Args:
        checkpoint_path: where checkpoint files go; None keeps the configured
            ``execution.checkpointing.dir``.
        max_state_size: the maximal size of one state (recorded).
    """

    #: The default maximal size that the snapshotted memory state may have (5 MiBytes).
    DEFAULT_MAX_STATE_SIZE = 5 * 1024 * 1024

    def __init__(self, checkpoint_path: str | None = None, max_state_size: int | None = None,
                 j_jobmanager_checkpoint_storage: Any = None) -> None:
        super().__init__(j_jobmanager_checkpoint_storage)
        self._checkpoint_path = None if checkpoint_path is None else _path(checkpoint_path)
        self._max_state_size = (self.DEFAULT_MAX_STATE_SIZE if max_state_size is None
                                else int(max_state_size))

    def get_checkpoint_path(self) -> str | None:
        """The base directory of the checkpoints, or None."""
        return self._checkpoint_path

    def get_max_state_size(self) -> int:
        """The maximum size of one state (``DEFAULT_MAX_STATE_SIZE`` unless given)."""
        return self._max_state_size

    def get_savepoint_path(self) -> str | None:
        """The base directory of savepoints: None (the job's default applies)."""
        return None

    def _options(self) -> dict[str, str]:
        out = {_STORAGE: "jobmanager"}
        if self._checkpoint_path is not None:
            out[_DIR] = self._checkpoint_path
        return out


class FileSystemCheckpointStorage(CheckpointStorage):
    """Checkpoints as files under a directory (``filesystem``; any pyarrow.fs URI).

    Example::

        >>> env.get_checkpoint_config().set_checkpoint_storage(
        ...     FileSystemCheckpointStorage("file:///tmp/checkpoints"))

    Args:
        checkpoint_path: the base directory (required); a job writes under
            ``<checkpoint_path>/<job-id>/``.
        file_state_size_threshold: Flink's small-state threshold (recorded).
        write_buffer_size: Flink's stream write buffer size (recorded).
    """

    #: Maximum size of state that is stored with the metadata, rather than in files (1 MiByte).
    MAX_FILE_STATE_THRESHOLD = 1024 * 1024

    def __init__(self, checkpoint_path: str | None = None,
                 file_state_size_threshold: int | None = None, write_buffer_size: int = -1,
                 j_filesystem_checkpoint_storage: Any = None) -> None:
        super().__init__(j_filesystem_checkpoint_storage)
        if checkpoint_path is None:
            raise ValueError("checkpoint_path must not be None")
        threshold = -1 if file_state_size_threshold is None else int(file_state_size_threshold)
        if threshold > self.MAX_FILE_STATE_THRESHOLD:
            raise ValueError("The memory threshold for the file-based storage must be at most "
                             f"{self.MAX_FILE_STATE_THRESHOLD} bytes, got {threshold}")
        self._checkpoint_path = _path(checkpoint_path)
        self._file_state_size_threshold = threshold
        self._write_buffer_size = int(write_buffer_size)

    def get_checkpoint_path(self) -> str:
        """The base directory of the checkpoints."""
        return self._checkpoint_path

    def get_savepoint_path(self) -> str | None:
        """The base directory of savepoints: None (the job's default applies)."""
        return None

    def get_min_file_size_threshold(self) -> int:
        """State below this size goes into the metadata (Flink's default 20 KiB unless set)."""
        return self._file_state_size_threshold if self._file_state_size_threshold >= 0 \
            else 20 * 1024

    def get_write_buffer_size(self) -> int:
        """The write buffer size of checkpoint streams (Flink's default 4096 unless set)."""
        return self._write_buffer_size if self._write_buffer_size >= 0 else 4096

    def _options(self) -> dict[str, str]:
        return {_STORAGE: "filesystem", _DIR: self._checkpoint_path}


class CustomCheckpointStorage(CheckpointStorage):
    """A wrapper of a custom (Java) checkpoint storage: not available in flink-py."""

    def __init__(self, j_custom_checkpoint_storage: Any) -> None:
        super().__init__(j_custom_checkpoint_storage)


def checkpoint_storage_from_config(config: Any) -> CheckpointStorage | None:
    """The storage an effective configuration describes, or None when it names none."""
    kind = config.get(_STORAGE)
    directory = config.get(_DIR)
    if kind == "jobmanager":
        return JobManagerCheckpointStorage(directory)
    if directory:
        return FileSystemCheckpointStorage(directory)
    return None
