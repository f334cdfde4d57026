"""State backends, as in ``pyflink.datastream.state_backend``.

A state backend object is a description: ``env.set_state_backend(backend)``
turns it into the job options the TaskManagers read when they create a keyed
operator's backend (``state.backend.type`` plus the backend's own keys), so
``env.set_state_backend(EmbeddedRocksDBStateBackend(True))`` and
``-D state.backend.type=rocksdb -D execution.checkpointing.incremental=true``
run the same job. The options are computed when the job is built, so a
backend changed after ``set_state_backend`` (``set_db_storage_paths``...)
still applies, as in Flink.

The deprecated backends (``MemoryStateBackend``, ``FsStateBackend``,
``RocksDBStateBackend``) also carry a checkpoint location; it becomes
``execution.checkpointing.dir`` unless the job sets its checkpoint storage
explicitly (``CheckpointConfig.set_checkpoint_storage``), which wins as in
Flink.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

__all__ = [
    "CustomStateBackend",
    "EmbeddedRocksDBStateBackend",
    "FsStateBackend",
    "HashMapStateBackend",
    "MemoryStateBackend",
    "PredefinedOptions",
    "RocksDBStateBackend",
    "StateBackend",
]

log = logging.getLogger(__name__)

_TYPE = "state.backend.type"
_INCREMENTAL = "execution.checkpointing.incremental"
_LOCALDIR = "state.backend.rocksdb.localdir"
_PREDEFINED = "state.backend.rocksdb.predefined-options"
_OPTIONS_FACTORY = "state.backend.rocksdb.options-factory"
_TRANSFER_THREADS = "state.backend.rocksdb.checkpoint.transfer.thread.num"
_CHECKPOINT_DIR = "execution.checkpointing.dir"
_SAVEPOINT_DIR = "execution.checkpointing.savepoint-dir"

#: Flink's ``state.storage.fs.memory-threshold`` and ``.write-buffer-size`` defaults.
_DEFAULT_FILE_STATE_THRESHOLD = 20 * 1024
_DEFAULT_WRITE_BUFFER_SIZE = 4096
_DEFAULT_TRANSFER_THREADS = 4


def _ternary(value: Any, name: str) -> bool | None:
    if value not in (None, True, False):
        raise TypeError(f"Unsupported input for '{name}': {value}, the value of the parameter "
                        "should be None or True or False.")
    return value


def _path(uri: Any) -> str:
    """A path as Flink's ``Path.toString()`` shows it (no trailing slash)."""
    text = str(uri)
    return text.rstrip("/") or text


class StateBackend:
    """How a job holds its keyed state while it runs (see the module doc).

    Subclasses describe themselves as job options: :meth:`_options` always
    apply, :meth:`_default_options` only where the job did not set the key.
    """

    def __init__(self, j_state_backend: Any = None) -> None:
        self._j_state_backend = j_state_backend

    def _options(self) -> dict[str, str]:
        """The options this backend sets (they override the job's configuration)."""
        return {}

    def _default_options(self) -> dict[str, str]:
        """Options that apply unless the job sets them itself (checkpoint locations)."""
        return {}

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._options()})"


class HashMapStateBackend(StateBackend):
    """Working state as Python objects in the TaskManagers' memory (``hashmap``).

    Checkpoints go to the configured checkpoint storage.

    Example::

        >>> env.set_state_backend(HashMapStateBackend())
    """

    def __init__(self, j_hashmap_state_backend: Any = None) -> None:
        super().__init__(j_hashmap_state_backend)

    def _options(self) -> dict[str, str]:
        return {_TYPE: "hashmap"}


class PredefinedOptions(enum.Enum):
    """Flink's predefined RocksDB option profiles.

    flink-py records the choice (``state.backend.rocksdb.predefined-options``);
    RocksDB runs with the memory settings of ``state.backend.rocksdb.*``.
    """

    DEFAULT = 0
    SPINNING_DISK_OPTIMIZED = 1
    SPINNING_DISK_OPTIMIZED_HIGH_MEM = 2
    FLASH_SSD_OPTIMIZED = 3


class _RocksDBSettings:
    """The RocksDB settings shared by the embedded and the deprecated backend."""

    def __init__(self, enable_incremental_checkpointing: bool | None) -> None:
        self._incremental = _ternary(enable_incremental_checkpointing,
                                     "enable_incremental_checkpointing")
        self._db_storage_paths: list[str] = []
        self._predefined_options = PredefinedOptions.DEFAULT
        self._predefined_options_set = False
        self._options_factory: str | None = None
        self._transfer_threads: int | None = None

    def set_db_storage_paths(self, *paths: str) -> None:
        """Directories for the local RocksDB files (none: the system temp directory).

        flink-py creates every RocksDB instance under the first path.
        """
        self._db_storage_paths = [str(p) for p in paths if p is not None]

    def get_db_storage_paths(self) -> list[str]:
        """The configured local DB storage paths (empty when none were set)."""
        return list(self._db_storage_paths)

    def is_incremental_checkpoints_enabled(self) -> bool:
        """Whether snapshots upload only new SST files.

        Unset, flink-py's RocksDB backend checkpoints incrementally unless
        ``execution.checkpointing.incremental`` says otherwise.
        """
        return True if self._incremental is None else self._incremental

    def set_predefined_options(self, options: PredefinedOptions) -> None:
        """Choose one of Flink's predefined option profiles (recorded, see PredefinedOptions)."""
        if not isinstance(options, PredefinedOptions):
            raise TypeError(f"set_predefined_options expects PredefinedOptions, got {options!r}")
        self._predefined_options = options
        self._predefined_options_set = True

    def get_predefined_options(self) -> PredefinedOptions:
        """The predefined option profile (``PredefinedOptions.DEFAULT`` unless set)."""
        return self._predefined_options

    def set_options(self, options_factory_class_name: str) -> None:
        """Record a Java ``RocksDBOptionsFactory`` class name.

        There is no JVM: the factory is never instantiated, RocksDB keeps the
        options of ``state.backend.rocksdb.*``.
        """
        log.info("RocksDB options factory %s is recorded but not applied (flink-py has no JVM)",
                 options_factory_class_name)
        self._options_factory = str(options_factory_class_name)

    def get_options(self) -> str | None:
        """The options factory class name given to :meth:`set_options`, or None."""
        return self._options_factory

    def get_number_of_transfer_threads(self) -> int:
        """Threads for transferring files while snapshotting/restoring (recorded)."""
        return self._transfer_threads or _DEFAULT_TRANSFER_THREADS

    def set_number_of_transfer_threads(self, number_of_transfering_threads: int) -> None:
        """Set the number of file transfer threads (``...checkpoint.transfer.thread.num``)."""
        if number_of_transfering_threads < 1:
            raise ValueError("The number of threads used to transfer files in "
                             "RocksDBStateBackend should be greater than zero.")
        self._transfer_threads = int(number_of_transfering_threads)

    def _rocksdb_options(self) -> dict[str, str]:
        out = {_TYPE: "rocksdb"}
        if self._incremental is not None:
            out[_INCREMENTAL] = str(self._incremental).lower()
        if self._db_storage_paths:
            out[_LOCALDIR] = self._db_storage_paths[0]
        if self._predefined_options_set:
            out[_PREDEFINED] = self._predefined_options.name
        if self._options_factory is not None:
            out[_OPTIONS_FACTORY] = self._options_factory
        if self._transfer_threads is not None:
            out[_TRANSFER_THREADS] = str(self._transfer_threads)
        return out


class EmbeddedRocksDBStateBackend(_RocksDBSettings, StateBackend):
    """Working state in an embedded RocksDB per keyed operator instance (``rocksdb``).

    State may exceed memory; checkpoints go to the configured checkpoint
    storage, incrementally (only new SST files) unless disabled.

    Example::

        >>> env.set_state_backend(EmbeddedRocksDBStateBackend())

    Args:
        enable_incremental_checkpointing: True/False, or None to leave it to
            the configuration (``execution.checkpointing.incremental``).
    """

    def __init__(self, enable_incremental_checkpointing: bool | None = None,
                 j_embedded_rocks_db_state_backend: Any = None) -> None:
        StateBackend.__init__(self, j_embedded_rocks_db_state_backend)
        _RocksDBSettings.__init__(self, enable_incremental_checkpointing)

    def _options(self) -> dict[str, str]:
        return self._rocksdb_options()


class MemoryStateBackend(StateBackend):
    """Deprecated: ``HashMapStateBackend`` plus ``JobManagerCheckpointStorage``.

    Working state on the heap; ``checkpoint_path`` and ``savepoint_path``
    (optional) become the job's checkpoint and default savepoint directories.
    """

    #: The default maximal size that the snapshotted memory state may have (5 MiBytes).
    DEFAULT_MAX_STATE_SIZE = 5 * 1024 * 1024

    def __init__(self, checkpoint_path: str | None = None, savepoint_path: str | None = None,
                 max_state_size: int | None = None,
                 using_asynchronous_snapshots: bool | None = None,
                 j_memory_state_backend: Any = None) -> None:
        super().__init__(j_memory_state_backend)
        _ternary(using_asynchronous_snapshots, "using_asynchronous_snapshots")
        self._checkpoint_path = None if checkpoint_path is None else _path(checkpoint_path)
        self._savepoint_path = None if savepoint_path is None else _path(savepoint_path)
        self._max_state_size = (self.DEFAULT_MAX_STATE_SIZE if max_state_size is None
                                else int(max_state_size))

    def get_max_state_size(self) -> int:
        """The maximum size of one state (``DEFAULT_MAX_STATE_SIZE`` unless given)."""
        return self._max_state_size

    def is_using_asynchronous_snapshots(self) -> bool:
        """Always True: snapshots are uploaded asynchronously."""
        return True

    def _options(self) -> dict[str, str]:
        return {_TYPE: "hashmap"}

    def _default_options(self) -> dict[str, str]:
        out = {"execution.checkpointing.storage": "jobmanager"}
        if self._checkpoint_path is not None:
            out[_CHECKPOINT_DIR] = self._checkpoint_path
        if self._savepoint_path is not None:
            out[_SAVEPOINT_DIR] = self._savepoint_path
        return out


class FsStateBackend(StateBackend):
    """Deprecated: ``HashMapStateBackend`` plus ``FileSystemCheckpointStorage``.

    Working state on the heap, checkpoints as files under
    ``checkpoint_directory_uri`` (required; any pyarrow.fs URI).
    """

    def __init__(self, checkpoint_directory_uri: str | None = None,
                 default_savepoint_directory_uri: str | None = None,
                 file_state_size_threshold: int | None = None,
                 write_buffer_size: int | None = None,
                 using_asynchronous_snapshots: bool | None = None,
                 j_fs_state_backend: Any = None) -> None:
        super().__init__(j_fs_state_backend)
        if checkpoint_directory_uri is None:
            raise ValueError("The parameter 'checkpoint_directory_uri' is required!")
        _ternary(using_asynchronous_snapshots, "using_asynchronous_snapshots")
        self._checkpoint_path = _path(checkpoint_directory_uri)
        self._savepoint_path = (None if default_savepoint_directory_uri is None
                                else _path(default_savepoint_directory_uri))
        self._file_state_size_threshold = (
            -1 if file_state_size_threshold is None else int(file_state_size_threshold))
        self._write_buffer_size = -1 if write_buffer_size is None else int(write_buffer_size)

    def get_checkpoint_path(self) -> str:
        """The base directory of the checkpoints (a job's go to ``<path>/<job-id>/``)."""
        return self._checkpoint_path

    def get_min_file_size_threshold(self) -> int:
        """State below this size goes into the metadata (Flink's default 20 KiB unless set)."""
        if self._file_state_size_threshold >= 0:
            return self._file_state_size_threshold
        return _DEFAULT_FILE_STATE_THRESHOLD

    def is_using_asynchronous_snapshots(self) -> bool:
        """Always True: snapshots are uploaded asynchronously."""
        return True

    def get_write_buffer_size(self) -> int:
        """The write buffer size of checkpoint streams (Flink's default 4096 unless set)."""
        if self._write_buffer_size >= 0:
            return self._write_buffer_size
        return _DEFAULT_WRITE_BUFFER_SIZE

    def _options(self) -> dict[str, str]:
        return {_TYPE: "hashmap"}

    def _default_options(self) -> dict[str, str]:
        out = {_CHECKPOINT_DIR: self._checkpoint_path,
               "execution.checkpointing.storage": "filesystem"}
        if self._savepoint_path is not None:
            out[_SAVEPOINT_DIR] = self._savepoint_path
        return out


class RocksDBStateBackend(_RocksDBSettings, StateBackend):
    """Deprecated: ``EmbeddedRocksDBStateBackend`` plus ``FileSystemCheckpointStorage``.

    Working state in RocksDB; checkpoints under ``checkpoint_data_uri``, or
    where ``checkpoint_stream_backend`` (an ``FsStateBackend`` or
    ``MemoryStateBackend``) puts them.
    """

    def __init__(self, checkpoint_data_uri: str | None = None,
                 enable_incremental_checkpointing: bool | None = None,
                 checkpoint_stream_backend: StateBackend | None = None,
                 j_rocks_db_state_backend: Any = None) -> None:
        StateBackend.__init__(self, j_rocks_db_state_backend)
        _RocksDBSettings.__init__(self, enable_incremental_checkpointing)
        if checkpoint_data_uri is not None:
            self._checkpoint_backend: StateBackend = FsStateBackend(checkpoint_data_uri)
        elif isinstance(checkpoint_stream_backend, StateBackend):
            self._checkpoint_backend = checkpoint_stream_backend
        else:
            raise ValueError("RocksDBStateBackend needs 'checkpoint_data_uri' or a "
                             "'checkpoint_stream_backend' (FsStateBackend, MemoryStateBackend)")

    def get_checkpoint_backend(self) -> StateBackend:
        """The backend that persists the checkpoint streams (where checkpoints go)."""
        return self._checkpoint_backend

    get_number_of_transfering_threads = _RocksDBSettings.get_number_of_transfer_threads
    set_number_of_transfering_threads = _RocksDBSettings.set_number_of_transfer_threads

    def _options(self) -> dict[str, str]:
        return self._rocksdb_options()

    def _default_options(self) -> dict[str, str]:
        return self._checkpoint_backend._default_options()  # noqa: SLF001


class CustomStateBackend(StateBackend):
    """A wrapper of a custom (Java) state backend: not available in flink-py.

    ``env.set_state_backend`` rejects it; use ``HashMapStateBackend`` or
    ``EmbeddedRocksDBStateBackend``.
    """

    def __init__(self, j_custom_state_backend: Any) -> None:
        super().__init__(j_custom_state_backend)
