"""FileSource and FileSink, as in ``pyflink.datastream.connectors.file_system``.

Reading::

    source = FileSource.for_record_stream_format(
        StreamFormat.text_line_format(), "/data/in").process_static_file_set().build()
    ds = env.from_source(source, WatermarkStrategy.no_watermarks(), "file-source")

A path is a file or a directory (every file below it, except names starting
with ``.`` or ``_``), local or any ``pyarrow.fs`` URI. ``monitor_continuously(
Duration.of_seconds(10))`` makes the source unbounded: new files under the
paths are picked up at every discovery interval. Text files are cut into byte
ranges read in parallel (see ``_file_source`` and ``_text_lines``); CSV
(``flink_py.datastream.formats.csv``) and Parquet (``...formats.parquet``)
files are read whole by one subtask each.

Writing::

    sink = (FileSink.for_row_format("/data/out", Encoder.simple_string_encoder())
            .with_output_file_config(OutputFileConfig.builder().with_part_prefix("pre")
                                     .with_part_suffix(".txt").build())
            .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=1 << 20))
            .build())
    ds.sink_to(sink)

Bucket directories, in-progress and final part names and the two-phase
commit are described in ``_file_sink``. The default bucket assigner is
``date_time_bucket_assigner()`` (``yyyy-MM-dd--HH`` of the processing time).
"""

from __future__ import annotations

import abc
import datetime
import warnings
from typing import Any

from flink_py.common.serialization import BulkWriterFactory, Encoder
from flink_py.common.time import Duration
from flink_py.datastream.connectors import _fs
from flink_py.datastream.connectors._datetime_pattern import compile_pattern, java_zone
from flink_py.datastream.connectors._file_sink import (
    FileCommitter,
    FileSinkCommittable,
    FileWriter,
    PartFileInfo,
)
from flink_py.datastream.connectors._file_source import (
    DEFAULT_MIN_SPLIT_SIZE,
    ContinuousFileSplitEnumerator,
    FileFormatReader,
    FileSourceReader,
    FileSourceSplit,
    static_file_enumerator,
)
from flink_py.datastream.connectors.sink import Sink, WriterInitContext
from flink_py.datastream.functions import SinkFunction
from flink_py.datastream.connectors.source import (
    Boundedness,
    Source,
    SourceReaderContext,
    SplitEnumerator,
    SplitEnumeratorContext,
)
from flink_py.datastream.connectors.static_enumerator import StaticSplitEnumerator

__all__ = [
    "BasePathBucketAssigner",
    "BucketAssigner",
    "BulkFormat",
    "BulkWriterFactory",
    "DateTimeBucketAssigner",
    "DefaultRollingPolicy",
    "FileCompactStrategy",
    "FileCompactor",
    "FileEnumeratorProvider",
    "FileSink",
    "FileSinkCommittable",
    "FileSource",
    "FileSourceBuilder",
    "FileSourceSplit",
    "FileSplitAssignerProvider",
    "OnCheckpointRollingPolicy",
    "OutputFileConfig",
    "PartFileInfo",
    "RollingPolicy",
    "StreamFormat",
    "StreamingFileSink",
]


# ---- formats -----------------------------------------------------------------------------


class StreamFormat(abc.ABC):
    """Reads the records of a file from a byte stream (text lines, CSV)."""

    @abc.abstractmethod
    def create_reader(self, split: FileSourceSplit) -> FileFormatReader:
        """A reader of ``split``, starting at ``split.reader_position`` if set."""

    def is_splittable(self) -> bool:
        """Whether a file may be cut into byte ranges read by different subtasks."""
        return False

    def get_produced_type(self) -> Any:
        """The records' TypeInformation."""
        return None

    @staticmethod
    def text_line_format(charset_name: str = "UTF-8", split_on_cr: bool = True) -> StreamFormat:
        """Lines of text (``\\n``, ``\\r\\n`` and ``\\r`` end a line), as STRING records.

        Args:
            charset_name: an ASCII-compatible charset.
            split_on_cr: flink-py: with False only ``\\n`` ends a line and a
                trailing ``\\r`` is removed (``read_text_file``'s behaviour).
        """
        return _TextLineFormat(charset_name, split_on_cr)


class _TextLineFormat(StreamFormat):
    def __init__(self, charset_name: str, split_on_cr: bool) -> None:
        from flink_py.datastream.connectors._text_lines import check_charset

        self.charset_name = charset_name
        self.encoding = check_charset(charset_name)
        self.split_on_cr = split_on_cr

    def create_reader(self, split: FileSourceSplit) -> FileFormatReader:
        from flink_py.datastream.connectors._text_lines import TextLineReader

        return TextLineReader(split, self.encoding, self.split_on_cr)

    def record_fact(self) -> Any:
        """Lines are exact strs (decoded from the file's bytes)."""
        return ("xstr",)

    def is_splittable(self) -> bool:
        return True

    def get_produced_type(self) -> Any:
        from flink_py.common.typeinfo import Types

        return Types.STRING()

    def __repr__(self) -> str:
        return f"TextLineInputFormat({self.charset_name!r})"


class BulkFormat(abc.ABC):
    """Reads batches of records of a whole file (columnar formats: Parquet)."""

    @abc.abstractmethod
    def create_reader(self, split: FileSourceSplit) -> FileFormatReader:
        """A reader of ``split``, starting at ``split.reader_position`` if set."""

    def is_splittable(self) -> bool:
        """Bulk files are read whole by one subtask."""
        return False

    def get_produced_type(self) -> Any:
        """The records' TypeInformation."""
        return None


# ---- FileSource ----------------------------------------------------------------------------


class FileEnumeratorProvider:
    """How a :class:`FileSource` turns its paths into splits (PyFlink's class of that name).

    Both enumerators list files recursively and skip hidden ones (names starting
    with ``.`` or ``_``); the splittable one cuts uncompressed files of a
    splittable format into byte ranges, the other makes one split per file.
    """

    def __init__(self, splittable: bool) -> None:
        self.splittable = splittable

    @staticmethod
    def default_splittable_file_enumerator() -> FileEnumeratorProvider:
        """Files of a splittable format are cut into byte ranges (the default)."""
        return FileEnumeratorProvider(True)

    @staticmethod
    def default_non_splittable_file_enumerator() -> FileEnumeratorProvider:
        """One split per file."""
        return FileEnumeratorProvider(False)


class FileSplitAssignerProvider:
    """Which reader gets which split (PyFlink's class of that name). flink-py's one
    assigner hands splits to readers as they ask, which is what locality-aware
    assignment does when no split is local to any reader's host."""

    @staticmethod
    def locality_aware_split_assigner() -> FileSplitAssignerProvider:
        """Flink's default assigner."""
        return FileSplitAssignerProvider()


class FileSource(Source[FileSourceSplit, Any]):
    """Reads files in batch (``process_static_file_set``) or streaming (``monitor_continuously``)."""

    def __init__(self, fmt: StreamFormat | BulkFormat, paths: list[str],
                 discovery_interval: Duration | None, min_split_size: int,
                 split_files: bool = True) -> None:
        if not paths:
            raise ValueError("FileSource: at least one path is needed")
        self.format = fmt
        self.paths = [_fs.absolute(p) for p in paths]
        self.discovery_interval = discovery_interval
        self.min_split_size = min_split_size
        #: False: one split per file (``default_non_splittable_file_enumerator``)
        self.split_files = split_files

    @staticmethod
    def for_record_stream_format(stream_format: StreamFormat, *paths: str) -> FileSourceBuilder:
        """A builder for a source reading ``paths`` with a StreamFormat."""
        if not isinstance(stream_format, StreamFormat):
            raise TypeError(f"FileSource.for_record_stream_format: expected a StreamFormat, "
                            f"got {type(stream_format).__name__}")
        return FileSourceBuilder(stream_format, list(paths))

    @staticmethod
    def for_bulk_file_format(bulk_format: BulkFormat, *paths: str) -> FileSourceBuilder:
        """A builder for a source reading ``paths`` with a BulkFormat (Parquet)."""
        if not isinstance(bulk_format, BulkFormat):
            raise TypeError(f"FileSource.for_bulk_file_format: expected a BulkFormat, "
                            f"got {type(bulk_format).__name__}")
        return FileSourceBuilder(bulk_format, list(paths))

    def get_boundedness(self) -> Boundedness:
        return (Boundedness.BOUNDED if self.discovery_interval is None
                else Boundedness.CONTINUOUS_UNBOUNDED)

    def get_produced_type(self) -> Any:
        return self.format.get_produced_type()

    def record_fact(self) -> Any:
        """What each record is known to be (``common.runtime.inline`` facts), if the format says."""
        record_fact = getattr(self.format, "record_fact", None)
        return record_fact() if callable(record_fact) else None

    def create_enumerator(self, enum_context: SplitEnumeratorContext[FileSourceSplit]
                          ) -> SplitEnumerator[FileSourceSplit, Any]:
        if self.discovery_interval is None:
            return static_file_enumerator(enum_context, self.paths,
                                          self.split_files and self.format.is_splittable(),
                                          self.min_split_size)
        return ContinuousFileSplitEnumerator(enum_context, self.paths,
                                             max(1, self.discovery_interval.to_millis()))

    def restore_enumerator(self, enum_context: SplitEnumeratorContext[FileSourceSplit],
                           checkpoint: Any) -> SplitEnumerator[FileSourceSplit, Any]:
        if self.discovery_interval is None:
            return StaticSplitEnumerator(enum_context, [], restored=checkpoint)
        return ContinuousFileSplitEnumerator(enum_context, self.paths,
                                             max(1, self.discovery_interval.to_millis()),
                                             restored=checkpoint)

    def create_reader(self, reader_context: SourceReaderContext) -> FileSourceReader:
        return FileSourceReader(reader_context, self.format)


class FileSourceBuilder:
    """Configures a :class:`FileSource`; ``build()`` creates it."""

    def __init__(self, fmt: StreamFormat | BulkFormat, paths: list[str]) -> None:
        self._format = fmt
        self._paths = paths
        self._interval: Duration | None = None
        self._min_split_size = DEFAULT_MIN_SPLIT_SIZE
        self._split_files = True

    def monitor_continuously(self, discovery_interval: Duration) -> FileSourceBuilder:
        """Streaming mode: look for new files every ``discovery_interval``."""
        interval = Duration.of(discovery_interval)
        if interval.to_millis() <= 0:
            raise ValueError("FileSource.monitor_continuously: the discovery interval must be "
                             "positive")
        self._interval = interval
        return self

    def process_static_file_set(self) -> FileSourceBuilder:
        """Batch mode (the default): read the files present at start, then end."""
        self._interval = None
        return self

    def set_min_split_size(self, size_bytes: int) -> FileSourceBuilder:
        """flink-py: the smallest byte range a splittable file is cut into."""
        if size_bytes < 1:
            raise ValueError("FileSource: the split size must be positive")
        self._min_split_size = int(size_bytes)
        return self

    def set_file_enumerator(self, file_enumerator: FileEnumeratorProvider) -> FileSourceBuilder:
        """How files become splits (:class:`FileEnumeratorProvider`)."""
        if not isinstance(file_enumerator, FileEnumeratorProvider):
            raise TypeError(f"FileSource.set_file_enumerator: expected a FileEnumeratorProvider, "
                            f"got {type(file_enumerator).__name__}")
        self._split_files = file_enumerator.splittable
        return self

    def set_split_assigner(self, split_assigner: FileSplitAssignerProvider) -> FileSourceBuilder:
        """Which reader gets which split (:class:`FileSplitAssignerProvider`)."""
        if not isinstance(split_assigner, FileSplitAssignerProvider):
            raise TypeError(f"FileSource.set_split_assigner: expected a "
                            f"FileSplitAssignerProvider, got {type(split_assigner).__name__}")
        return self

    def build(self) -> FileSource:
        """The configured source."""
        return FileSource(self._format, self._paths, self._interval, self._min_split_size,
                          self._split_files)


# ---- FileSink: policies, assigners, config -------------------------------------------------------


class BucketAssigner(abc.ABC):
    """Chooses the bucket (sub-directory of the base path) of each record."""

    @abc.abstractmethod
    def get_bucket_id(self, element: Any, context: Any) -> str:
        """The bucket of ``element`` ("" is the base path itself)."""

    @staticmethod
    def base_path_bucket_assigner() -> BucketAssigner:
        """All files directly in the base path."""
        return BasePathBucketAssigner()

    @staticmethod
    def date_time_bucket_assigner(format_str: str = "yyyy-MM-dd--HH",
                                  timezone_id: str | None = None) -> BucketAssigner:
        """Buckets named by the processing time, formatted with a Java pattern.

        ``timezone_id`` is a ``java.time.ZoneId`` string (``Asia/Tokyo``,
        ``UTC+8``, ``GMT-08:00``, ``+05:30``, ``Z``); None is the local time zone.
        """
        return DateTimeBucketAssigner(format_str, timezone_id)


class BasePathBucketAssigner(BucketAssigner):
    """No bucketing: every part file goes to the base path."""

    def get_bucket_id(self, element: Any, context: Any) -> str:
        return ""


class DateTimeBucketAssigner(BucketAssigner):
    """Buckets from the current processing time (``yyyy-MM-dd--HH`` by default)."""

    def __init__(self, format_str: str = "yyyy-MM-dd--HH", timezone_id: str | None = None) -> None:
        compile_pattern(format_str)  # a bad pattern fails when the sink is defined
        if timezone_id is not None:
            try:
                java_zone(timezone_id)
            except ValueError as exc:
                raise ValueError(f"date_time_bucket_assigner: unknown time zone "
                                 f"'{timezone_id}': {exc}") from None
        self.format_str = format_str
        self.timezone_id = timezone_id
        self._fmt: Any = None

    def get_bucket_id(self, element: Any, context: Any) -> str:
        if self._fmt is None:
            self._fmt = compile_pattern(self.format_str)
            if self.timezone_id is not None:
                self._tz: Any = java_zone(self.timezone_id)
            else:
                self._tz = None
        ms = context.current_processing_time()
        if self._tz is None:
            dt = datetime.datetime.fromtimestamp(ms / 1000.0)
        else:
            dt = datetime.datetime.fromtimestamp(ms / 1000.0, self._tz)
        return self._fmt(dt)

    def __getstate__(self) -> dict[str, Any]:
        return {"format_str": self.format_str, "timezone_id": self.timezone_id, "_fmt": None}


class RollingPolicy(abc.ABC):
    """When an in-progress part file is closed and a new one opened."""

    @abc.abstractmethod
    def should_roll_on_checkpoint(self, part_file_state: PartFileInfo) -> bool:
        """Roll when a checkpoint is taken."""

    @abc.abstractmethod
    def should_roll_on_event(self, part_file_state: PartFileInfo, element: Any) -> bool:
        """Roll before writing ``element``."""

    @abc.abstractmethod
    def should_roll_on_processing_time(self, part_file_state: PartFileInfo,
                                       current_time: int) -> bool:
        """Roll at the periodic bucket check."""

    @staticmethod
    def default_rolling_policy(part_size: int = 1024 * 1024 * 128,
                               rollover_interval: Any = 60 * 1000,
                               inactivity_interval: Any = 60 * 1000) -> DefaultRollingPolicy:
        """Roll at ``part_size`` bytes, after ``rollover_interval``, or when idle that long.

        Intervals are milliseconds (or a Duration / Time).
        """
        return DefaultRollingPolicy(part_size, rollover_interval, inactivity_interval)

    @staticmethod
    def on_checkpoint_rolling_policy() -> OnCheckpointRollingPolicy:
        """Roll only at checkpoints (and the end of input)."""
        return OnCheckpointRollingPolicy()


class DefaultRollingPolicy(RollingPolicy):
    """Size, age and inactivity based rolling (Flink's defaults: 128 MiB, 60 s, 60 s)."""

    def __init__(self, part_size: int = 1024 * 1024 * 128, rollover_interval: Any = 60 * 1000,
                 inactivity_interval: Any = 60 * 1000) -> None:
        self.part_size = int(part_size)
        self.rollover_interval = Duration.of(rollover_interval).to_millis()
        self.inactivity_interval = Duration.of(inactivity_interval).to_millis()
        for name, v in (("part_size", self.part_size),
                        ("rollover_interval", self.rollover_interval),
                        ("inactivity_interval", self.inactivity_interval)):
            if v <= 0:
                raise ValueError(f"default_rolling_policy: {name} must be positive, got {v}")

    def should_roll_on_checkpoint(self, part_file_state: PartFileInfo) -> bool:
        return part_file_state.size > self.part_size

    def should_roll_on_event(self, part_file_state: PartFileInfo, element: Any) -> bool:
        return part_file_state.size > self.part_size

    def should_roll_on_processing_time(self, part_file_state: PartFileInfo,
                                       current_time: int) -> bool:
        return (current_time - part_file_state.creation_time >= self.rollover_interval
                or current_time - part_file_state.last_update_time >= self.inactivity_interval)


class OnCheckpointRollingPolicy(RollingPolicy):
    """Rolls at every checkpoint only (the policy of bulk formats)."""

    def should_roll_on_checkpoint(self, part_file_state: PartFileInfo) -> bool:
        return True

    def should_roll_on_event(self, part_file_state: PartFileInfo, element: Any) -> bool:
        return False

    def should_roll_on_processing_time(self, part_file_state: PartFileInfo,
                                       current_time: int) -> bool:
        return False


class OutputFileConfig:
    """Part file name prefix and suffix (``part`` and none by default)."""

    def __init__(self, part_prefix: str = "part", part_suffix: str = "") -> None:
        if "/" in part_prefix or "/" in part_suffix:
            raise ValueError("OutputFileConfig: the part prefix and suffix must not contain '/'")
        self._prefix = part_prefix
        self._suffix = part_suffix

    @staticmethod
    def builder() -> OutputFileConfig.OutputFileConfigBuilder:
        """A builder."""
        return OutputFileConfig.OutputFileConfigBuilder()

    def get_part_prefix(self) -> str:
        """The prefix of part file names."""
        return self._prefix

    def get_part_suffix(self) -> str:
        """The suffix of part file names."""
        return self._suffix

    class OutputFileConfigBuilder:
        """Builds an :class:`OutputFileConfig`."""

        def __init__(self) -> None:
            self.part_prefix = "part"
            self.part_suffix = ""

        def with_part_prefix(self, prefix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            """Set the prefix."""
            self.part_prefix = prefix
            return self

        def with_part_suffix(self, suffix: str) -> OutputFileConfig.OutputFileConfigBuilder:
            """Set the suffix."""
            self.part_suffix = suffix
            return self

        def build(self) -> OutputFileConfig:
            """The config."""
            return OutputFileConfig(self.part_prefix, self.part_suffix)


# ---- FileSink ----------------------------------------------------------------------------------


class FileCompactStrategy:
    """When a FileSink would compact its files (PyFlink's class of that name).

    Build it with ``FileCompactStrategy.builder()``; see ``FileSink.RowFormatBuilder.
    enable_compact`` for what flink-py does with it.
    """

    def __init__(self, size_threshold: int, num_checkpoints: int, num_threads: int) -> None:
        self.size_threshold = size_threshold
        self.num_checkpoints_before_compaction = num_checkpoints
        self.num_compact_threads = num_threads

    @staticmethod
    def builder() -> FileCompactStrategy.Builder:
        """A builder with Flink's defaults (no size threshold, every checkpoint, 1 thread)."""
        return FileCompactStrategy.Builder()

    class Builder:
        """Builds a :class:`FileCompactStrategy`."""

        def __init__(self) -> None:
            self._size_threshold = -1
            self._checkpoints = 1
            self._threads = 1

        @staticmethod
        def new_builder() -> FileCompactStrategy.Builder:
            """A new builder (PyFlink's spelling)."""
            return FileCompactStrategy.Builder()

        def enable_compaction_on_checkpoint(self, num_checkpoints_before_compaction: int
                                            ) -> FileCompactStrategy.Builder:
            """Compact every ``num_checkpoints_before_compaction`` checkpoints."""
            if int(num_checkpoints_before_compaction) <= 0:
                raise ValueError("FileCompactStrategy: the number of checkpoints before "
                                 "compaction must be positive")
            self._checkpoints = int(num_checkpoints_before_compaction)
            return self

        def set_size_threshold(self, size_threshold: int) -> FileCompactStrategy.Builder:
            """Compact once this many bytes of files are pending."""
            self._size_threshold = int(size_threshold)
            return self

        def set_num_compact_threads(self, num_threads: int) -> FileCompactStrategy.Builder:
            """Threads compacting files."""
            if int(num_threads) <= 0:
                raise ValueError("FileCompactStrategy: the number of threads must be positive")
            self._threads = int(num_threads)
            return self

        def build(self) -> FileCompactStrategy:
            """The strategy."""
            return FileCompactStrategy(self._size_threshold, self._checkpoints, self._threads)


class FileCompactor:
    """How a FileSink would merge files (PyFlink's class of that name)."""

    def __init__(self, kind: str, file_delimiter: bytes | None = None) -> None:
        self.kind = kind
        self.file_delimiter = file_delimiter

    @staticmethod
    def concat_file_compactor(file_delimiter: bytes | None = None) -> FileCompactor:
        """Concatenate the files, with ``file_delimiter`` between two."""
        return FileCompactor("concat", file_delimiter)

    @staticmethod
    def identical_file_compactor() -> FileCompactor:
        """Keep a single file as it is."""
        return FileCompactor("identical")


class FileSink(Sink[FileSinkCommittable]):
    """Writes records into bucketed part files; two-phase commit (see ``_file_sink``)."""

    def __init__(self, base_path: str, encoder: Encoder | None,
                 bulk_factory: BulkWriterFactory | None, assigner: BucketAssigner,
                 policy: RollingPolicy, output_config: OutputFileConfig,
                 bucket_check_interval_ms: int) -> None:
        self.base_path = _fs.absolute(base_path)
        self.encoder = encoder
        self.bulk_factory = bulk_factory
        self.assigner = assigner
        self.policy = policy
        self.output_config = output_config
        self.bucket_check_interval_ms = bucket_check_interval_ms
        #: False for a StreamingFileSink: only completed checkpoints publish its files
        self.commits_without_checkpoints = True
        #: ``enable_compact`` settings, recorded (files are not merged)
        self.compaction: tuple[FileCompactStrategy, FileCompactor] | None = None

    def set_input_type(self, type_info: Any) -> None:
        target = self.encoder if self.encoder is not None else self.bulk_factory
        if target is not None:
            target.set_input_type(type_info)

    def create_writer(self, context: WriterInitContext) -> FileWriter:
        return FileWriter(self.base_path, self.encoder, self.bulk_factory, self.assigner,
                          self.policy, self.output_config, self.bucket_check_interval_ms,
                          context.get_subtask_id(), context.get_processing_time_service(),
                          # every checkpoint or savepoint (periodic, manual, stop) commits what
                          # was written before it: flink-py does not resume in-progress files
                          roll_on_checkpoint=True)

    def create_committer(self) -> FileCommitter:
        return FileCommitter()

    class _Builder:
        def __init__(self, base_path: str, encoder: Encoder | None,
                     bulk_factory: BulkWriterFactory | None, policy: RollingPolicy) -> None:
            self._base_path = base_path
            self._encoder = encoder
            self._bulk_factory = bulk_factory
            self._assigner: BucketAssigner = DateTimeBucketAssigner()
            self._policy = policy
            self._config = OutputFileConfig()
            self._check_interval = 60_000
            self._compact: tuple[FileCompactStrategy, FileCompactor] | None = None

        def with_bucket_check_interval(self, interval: int) -> Any:
            """How often (ms) time-based rolling is checked."""
            if int(interval) <= 0:
                raise ValueError("FileSink: the bucket check interval must be positive")
            self._check_interval = int(interval)
            return self

        def with_bucket_assigner(self, bucket_assigner: BucketAssigner) -> Any:
            """Choose the bucket of each record."""
            if not hasattr(bucket_assigner, "get_bucket_id"):
                raise TypeError("FileSink: the bucket assigner needs get_bucket_id(element, "
                                "context)")
            self._assigner = bucket_assigner
            return self

        def with_rolling_policy(self, rolling_policy: RollingPolicy) -> Any:
            """When part files roll."""
            if not isinstance(rolling_policy, RollingPolicy):
                raise TypeError(f"FileSink: expected a RollingPolicy, got "
                                f"{type(rolling_policy).__name__}")
            self._policy = rolling_policy
            return self

        def with_output_file_config(self, output_file_config: OutputFileConfig) -> Any:
            """Part file prefix and suffix."""
            self._config = output_file_config
            return self

        def enable_compact(self, strategy: FileCompactStrategy, compactor: FileCompactor) -> Any:
            """Flink merges small finished files into larger ones. flink-py records the
            settings (``FileSink.compaction``) but does not merge: the files hold the same
            records, only more of them."""
            if not isinstance(strategy, FileCompactStrategy) \
                    or not isinstance(compactor, FileCompactor):
                raise TypeError("FileSink.enable_compact: expected a FileCompactStrategy and a "
                                f"FileCompactor, got {type(strategy).__name__} and "
                                f"{type(compactor).__name__}")
            self._compact = (strategy, compactor)
            return self

        def disable_compact(self) -> Any:
            """No compaction (the default)."""
            self._compact = None
            return self

        def build(self) -> FileSink:
            """The configured sink."""
            sink = FileSink(self._base_path, self._encoder, self._bulk_factory, self._assigner,
                            self._policy, self._config, self._check_interval)
            sink.compaction = self._compact
            return sink

    class RowFormatBuilder(_Builder):
        """Builds a row-format FileSink (an Encoder per record)."""

    class BulkFormatBuilder(_Builder):
        """Builds a bulk-format FileSink (a BulkWriter per part file)."""

        def with_rolling_policy(self, rolling_policy: RollingPolicy) -> Any:
            """Bulk formats roll on checkpoints only: ``OnCheckpointRollingPolicy`` (as PyFlink)."""
            if not isinstance(rolling_policy, OnCheckpointRollingPolicy):
                raise ValueError("rolling_policy must be OnCheckpointRollingPolicy for bulk format")
            self._policy = rolling_policy
            return self

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> FileSink.RowFormatBuilder:
        """Row format: each record encoded by ``encoder``; DefaultRollingPolicy."""
        if not isinstance(encoder, Encoder):
            raise TypeError(f"FileSink.for_row_format: expected an Encoder, got "
                            f"{type(encoder).__name__}")
        return FileSink.RowFormatBuilder(base_path, encoder, None, DefaultRollingPolicy())

    @staticmethod
    def for_bulk_format(base_path: str, writer_factory: BulkWriterFactory
                        ) -> FileSink.BulkFormatBuilder:
        """Bulk format (Parquet): rolls on checkpoint and at the end of input."""
        if not isinstance(writer_factory, BulkWriterFactory):
            raise TypeError(f"FileSink.for_bulk_format: expected a BulkWriterFactory, got "
                            f"{type(writer_factory).__name__}")
        return FileSink.BulkFormatBuilder(base_path, None, writer_factory,
                                          OnCheckpointRollingPolicy())


# ---- StreamingFileSink (deprecated since Flink 1.15) -----------------------------------------------


class StreamingFileSink(SinkFunction):
    """The legacy file sink for ``add_sink`` (deprecated in Flink 1.15: use FileSink).

    It writes exactly as :class:`FileSink` with the same settings does -- buckets,
    rolling policy, part files committed at checkpoints -- so ``add_sink`` runs it
    as that sink; its builders take the same options. Unlike FileSink it publishes
    files only at completed checkpoints, as Flink's: without checkpointing, a
    streaming job's files stay in progress.
    """

    def __init__(self, file_sink: FileSink) -> None:
        warnings.warn("Deprecated in 1.15. Use FileSink instead.", DeprecationWarning,
                      stacklevel=3)
        # as Flink's: part files are published by completed checkpoints only, so a streaming
        # job without checkpointing leaves them in progress (hidden ``.part-...inprogress``)
        file_sink.commits_without_checkpoints = False
        self._file_sink = file_sink

    def invoke(self, value: Any, context: Any) -> None:
        raise TypeError("StreamingFileSink is attached with DataStream.add_sink")

    class DefaultRowFormatBuilder:
        """Builder of a row-format StreamingFileSink."""

        def __init__(self, builder: FileSink.RowFormatBuilder) -> None:
            self._builder = builder

        def with_bucket_check_interval(self, interval: int) -> Any:
            self._builder.with_bucket_check_interval(interval)
            return self

        def with_bucket_assigner(self, bucket_assigner: BucketAssigner) -> Any:
            self._builder.with_bucket_assigner(bucket_assigner)
            return self

        def with_rolling_policy(self, policy: RollingPolicy) -> Any:
            self._builder.with_rolling_policy(policy)
            return self

        def with_output_file_config(self, output_file_config: OutputFileConfig) -> Any:
            self._builder.with_output_file_config(output_file_config)
            return self

        def build(self) -> StreamingFileSink:
            return StreamingFileSink(self._builder.build())

    class DefaultBulkFormatBuilder(DefaultRowFormatBuilder):
        """Builder of a bulk-format (Parquet) StreamingFileSink."""

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> StreamingFileSink.DefaultRowFormatBuilder:
        """A builder writing ``encoder``-encoded rows below ``base_path``."""
        return StreamingFileSink.DefaultRowFormatBuilder(FileSink.for_row_format(base_path,
                                                                                 encoder))

    @staticmethod
    def for_bulk_format(base_path: str, writer_factory: BulkWriterFactory
                        ) -> StreamingFileSink.DefaultBulkFormatBuilder:
        """A builder writing bulk files (Parquet) below ``base_path``."""
        return StreamingFileSink.DefaultBulkFormatBuilder(FileSink.for_bulk_format(
            base_path, writer_factory))  # type: ignore[arg-type]
