"""The Sink API and FileSink pieces without a cluster: parts, rolling, committing, 2PC hooks."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest

from flink_py.common import Duration, Encoder, Row, Time, Types
from flink_py.datastream.connectors._datetime_pattern import compile_pattern
from flink_py.datastream.connectors._file_sink import FileCommitter, PartFileInfo
from flink_py.datastream.connectors.discarding import DiscardingSink
from flink_py.datastream.connectors.file_system import (
    BucketAssigner,
    DateTimeBucketAssigner,
    FileSink,
    OutputFileConfig,
    RollingPolicy,
)
from flink_py.datastream.connectors.sink import (
    CommitRequest,
    Committer,
    Sink,
    SinkWriter,
    WriterInitContext,
)
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.sink_writer import SinkOperator


def _writer(sink: FileSink, subtask: int = 0, timers: Any = None) -> Any:
    return sink.create_writer(WriterInitContext(subtask, 2, 0, "job", {}, Types.STRING(), timers))


def _row_sink(base: Path, **policy: Any) -> FileSink:
    builder = (FileSink.for_row_format(str(base), Encoder.simple_string_encoder())
               .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
               .with_output_file_config(OutputFileConfig("out", ".log")))
    if policy:
        builder = builder.with_rolling_policy(RollingPolicy.default_rolling_policy(**policy))
    sink = builder.build()
    sink.set_input_type(Types.STRING())
    return sink


def test_in_progress_parts_become_final_only_when_committed(tmp_path: Path) -> None:
    sink = _row_sink(tmp_path)
    w = _writer(sink, subtask=1)
    w.write_batch(["a", "b"], None)
    hidden = list(tmp_path.iterdir())
    assert len(hidden) == 1
    # Flink's FileSink names: <prefix>-<bucket uuid>-<part counter><suffix>; the in-progress
    # uuid carries the subtask index (00000001-...) for the clean-up after a restore
    assert re.fullmatch(r"\.out-[0-9a-f-]{36}-0\.log\.inprogress\.00000001-[0-9a-f-]{27}",
                        hidden[0].name)
    assert w.prepare_commit() == []  # nothing rolled yet
    # A checkpoint (periodic, manual or a savepoint) rolls the part: flink-py does not resume
    # in-progress files after a restore, so what was written before it must be committed.
    w.flush(end_of_input=False)
    committables = w.prepare_commit()
    assert len(committables) == 1 and committables[0].size == 4
    w.flush(end_of_input=True)
    assert w.prepare_commit() == []
    w.close()
    committer = sink.create_committer()
    requests = [CommitRequest(c) for c in committables]
    committer.commit(requests)
    assert [r.outcome for r in requests] == ["committed"]
    final = list(tmp_path.iterdir())
    assert [p.name for p in final] == [hidden[0].name[1:].split(".inprogress.")[0]]
    assert final[0].read_text() == "a\nb\n"
    again = [CommitRequest(c) for c in committables]  # after a restore: idempotent
    committer.commit(again)
    assert [r.outcome for r in again] == ["already_committed"]


def test_commit_of_a_lost_file_fails_with_the_reason(tmp_path: Path) -> None:
    sink = _row_sink(tmp_path)
    w = _writer(sink)
    w.write_batch(["x"], None)
    w.flush(True)
    (c,) = w.prepare_commit()
    Path(c.temp).unlink()
    r = CommitRequest(c)
    FileCommitter().commit([r])
    assert r.outcome == "failed" and r.error is not None


def test_size_rolling_matches_flinks_per_record_rule(tmp_path: Path) -> None:
    w = _writer(_row_sink(tmp_path, part_size=10))
    w.write_batch([f"{i}" * 4 for i in range(1, 10)], None)  # 5 bytes per line
    w.write_batch(["zzzz"], None)
    w.flush(True)
    sizes = [c.size for c in w.prepare_commit()]
    # A part rolls before a record once it holds more than 10 bytes: 3 lines per part.
    assert sizes == [15, 15, 15, 5]


class _Timers:
    def __init__(self) -> None:
        self.timers: list[tuple[int, Any]] = []

    def register_timer(self, timestamp: int, callback: Any) -> None:
        self.timers.append((timestamp, callback))

    def fire_all(self) -> None:
        due, self.timers = self.timers, []
        for ts, cb in due:
            cb(ts)


def test_time_based_rolling_on_the_bucket_check_timer(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from flink_py.datastream.connectors import _file_sink

    now = [1_000_000]
    monkeypatch.setattr(_file_sink, "_now_ms", lambda: now[0])
    timers = _Timers()
    sink = _row_sink(tmp_path, rollover_interval=Duration.of_seconds(10),
                     inactivity_interval=Time.seconds(3))
    w = _writer(sink, timers=timers)
    assert [ts for ts, _ in timers.timers] == [1_000_000 + 60_000]
    w.write_batch(["a"], None)
    now[0] += 2_000
    timers.fire_all()
    assert w.prepare_commit() == []
    now[0] += 3_000  # 3 s without writes: inactive
    timers.fire_all()
    assert len(w.prepare_commit()) == 1
    w.write_batch(["b"], None)
    for _ in range(5):  # written every 2 s: never inactive, rolls at 10 s of age
        now[0] += 2_000
        w.write_batch(["c"], None)
        timers.fire_all()
    assert len(w.prepare_commit()) == 1


def test_rolling_policies() -> None:
    info = PartFileInfo("b", creation_time=0, last_update_time=0, size=11)
    default = RollingPolicy.default_rolling_policy(part_size=10)
    assert default.should_roll_on_event(info, "x") and default.should_roll_on_checkpoint(info)
    assert default.should_roll_on_processing_time(info, 60_000)
    assert not default.should_roll_on_processing_time(info, 59_999)
    on_cp = RollingPolicy.on_checkpoint_rolling_policy()
    assert on_cp.should_roll_on_checkpoint(info) and not on_cp.should_roll_on_event(info, "x")
    with pytest.raises(ValueError, match="part_size must be positive"):
        RollingPolicy.default_rolling_policy(part_size=0)


def test_date_time_bucket_assigner_patterns() -> None:
    dt = datetime.datetime(2024, 3, 7, 9, 5, 4, 123456)
    assert compile_pattern("yyyy-MM-dd--HH")(dt) == "2024-03-07--09"
    assert compile_pattern("yy/M/d 'at' h:mm:ss.SSS a E")(dt) == "24/3/7 at 9:05:04.123 AM Thu"
    assert compile_pattern("'it''s' MMMM")(dt) == "it's March"
    with pytest.raises(ValueError, match="unsupported letter 'Q'"):
        BucketAssigner.date_time_bucket_assigner("yyyy-QQ")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        BucketAssigner.date_time_bucket_assigner(timezone_id="Mars/Base")

    class _Ctx:
        def current_processing_time(self) -> int:
            return 1_700_000_000_000  # 2023-11-14 22:13:20 UTC

    utc = DateTimeBucketAssigner("yyyy-MM-dd--HH", "UTC")
    assert utc.get_bucket_id("x", _Ctx()) == "2023-11-14--22"
    tokyo = BucketAssigner.date_time_bucket_assigner("yyyyMMddHH", "Asia/Tokyo")
    assert tokyo.get_bucket_id("x", _Ctx()) == "2023111507"


def test_simple_string_encoder_prints_like_flink() -> None:
    enc = Encoder.simple_string_encoder()
    enc.set_input_type(Types.TUPLE([Types.STRING(), Types.INT()]))
    assert enc.encode_batch([("a", 1), ("b", 2)]) == b"(a,1)\n(b,2)\n"
    enc.set_input_type(Types.ROW([Types.STRING(), Types.DOUBLE()]))
    buf = io.BytesIO()
    enc.encode(Row("x", 1.0), buf)
    assert buf.getvalue() == b"+I[x, 1.0]\n"
    latin = Encoder.simple_string_encoder("ISO-8859-1")
    assert latin.encode_batch(["é"]) == b"\xe9\n"
    with pytest.raises(LookupError):
        Encoder.simple_string_encoder("no-such-charset")


def test_output_file_config_and_builders() -> None:
    cfg = OutputFileConfig.builder().with_part_prefix("p").with_part_suffix(".s").build()
    assert (cfg.get_part_prefix(), cfg.get_part_suffix()) == ("p", ".s")
    assert OutputFileConfig().get_part_prefix() == "part"
    with pytest.raises(ValueError, match="must not contain '/'"):
        OutputFileConfig("a/b")
    with pytest.raises(TypeError, match="expected an Encoder, got str"):
        FileSink.for_row_format("/tmp/x", "enc")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a BulkWriterFactory"):
        FileSink.for_bulk_format("/tmp/x", Encoder.simple_string_encoder())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bucket check interval must be positive"):
        FileSink.for_row_format("/tmp/x", Encoder.simple_string_encoder()) \
            .with_bucket_check_interval(0)


# -- the sink operator and its two-phase-commit hooks -------------------------------------------


class _Log:
    def __init__(self) -> None:
        self.written: list[Any] = []
        self.committed: list[Any] = []
        self.retry_once: set[Any] = set()
        self.fail: set[Any] = set()


class _TxnWriter(SinkWriter[str]):
    def __init__(self, log: _Log) -> None:
        self.log = log
        self.open_txn: list[Any] = []
        self.ready: list[str] = []

    def write(self, element: Any, context: Any) -> None:
        self.open_txn.append(element)
        self.log.written.append(element)

    def flush(self, end_of_input: bool) -> None:
        if self.open_txn:
            self.ready.append(",".join(map(str, self.open_txn)))
            self.open_txn = []

    def prepare_commit(self) -> list[str]:
        out, self.ready = self.ready, []
        return out


class _TxnCommitter(Committer[str]):
    def __init__(self, log: _Log) -> None:
        self.log = log

    def commit(self, requests: list[CommitRequest[str]]) -> None:
        for r in requests:
            c = r.get_committable()
            if c in self.log.fail:
                r.signal_failed_with_known_reason(OSError("disk full"))
            elif c in self.log.retry_once and r.get_number_of_retries() == 0:
                r.retry_later()
            elif c in self.log.committed:
                r.signal_already_committed()
            else:
                self.log.committed.append(c)


class _TxnSink(Sink[str]):
    def __init__(self, log: _Log) -> None:
        self.log = log

    def create_writer(self, context: WriterInitContext) -> _TxnWriter:
        return _TxnWriter(self.log)

    def create_committer(self) -> _TxnCommitter:
        return _TxnCommitter(self.log)


def _op(sink: Sink[Any]) -> SinkOperator:
    op = SinkOperator(sink, Types.INT())
    op.setup(OperatorContext("t", "Sink: Txn", 0, 1, 128, 0, "j", {}), None)  # type: ignore[arg-type]
    op.open()
    return op


def test_checkpoint_hooks_commit_only_completed_checkpoints() -> None:
    log = _Log()
    op = _op(_TxnSink(log))
    op.process_batch([1, 2], None)
    op.prepare_snapshot_pre_barrier(1)
    op.process_batch([3], None)
    op.prepare_snapshot_pre_barrier(2)
    state = op.snapshot_sink(2)
    assert state["committables"] == ["1,2", "3"] and log.committed == []
    op.notify_checkpoint_complete(1)
    assert log.committed == ["1,2"]
    op.process_batch([4], None)
    op.end_input()  # the rest is committed at the end of input
    assert log.committed == ["1,2", "3", "4"]
    op.close()
    restored = _op_restored(_TxnSink(log), state)
    assert log.committed == ["1,2", "3", "4"]  # re-committing is idempotent
    restored.close()


def _op_restored(sink: Sink[Any], state: dict[str, Any]) -> SinkOperator:
    op = SinkOperator(sink, Types.INT())
    op.setup(OperatorContext("t", "Sink: Txn", 0, 1, 128, 0, "j", {}), None)  # type: ignore[arg-type]
    op.restore_sink(state)
    op.open()
    return op


def test_commit_retries_and_failures() -> None:
    log = _Log()
    log.retry_once.add("7")
    op = _op(_TxnSink(log))
    op.process_batch([7], None)
    op.end_input()
    assert log.committed == ["7"]
    log.fail.add("8")
    op.process_batch([8], None)
    with pytest.raises(RuntimeError, match="Sink 'Sink: Txn' could not commit '8': disk full"):
        op.end_input()


def test_discarding_sink_writer_drops_everything() -> None:
    op = SinkOperator(DiscardingSink(), None)
    op.setup(OperatorContext("t", "Sink: Discard", 0, 1, 128, 0, "j", {}), None)  # type: ignore[arg-type]
    op.open()
    op.process_batch(list(range(10)), None)
    op.end_input()
    op.close()


def test_duration_and_time() -> None:
    assert Duration.of_seconds(2).to_milliseconds() == 2000
    assert Duration.of_minutes(1) == Duration.of_millis(60_000) == Duration.of(Time.minutes(1))
    assert Duration.of_nanos(1_500_000).to_millis() == 1
    assert Duration.of_millis(-1).to_millis() == -1 and Duration.of_millis(-1).is_negative()
    assert Duration.of_hours(1).get_seconds() == 3600 and Duration.of_days(1).to_millis() == 86_400_000
    assert Duration.of(250) == Duration.of_millis(250)
    assert Time.seconds(5).to_milliseconds() == 5000 and str(Time.hours(1)) == "3600000 ms"
    assert Time.days(1) == Time.milliseconds(86_400_000)
    with pytest.raises(TypeError):
        Duration.of("5 s")


def test_compaction_settings_are_recorded_and_checked() -> None:
    """PyFlink's test_file_sink builds a sink with enable_compact (files are not merged)."""
    from flink_py.datastream.connectors.file_system import FileCompactor, FileCompactStrategy

    strategy = (FileCompactStrategy.builder().enable_compaction_on_checkpoint(3)
                .set_size_threshold(1024).set_num_compact_threads(2).build())
    sink = (FileSink.for_row_format("/tmp/x", Encoder.simple_string_encoder())
            .with_rolling_policy(RollingPolicy.on_checkpoint_rolling_policy())
            .enable_compact(strategy, FileCompactor.concat_file_compactor(b"\n")).build())
    assert sink.compaction is not None
    recorded, compactor = sink.compaction
    assert (recorded.num_checkpoints_before_compaction, recorded.size_threshold,
            recorded.num_compact_threads) == (3, 1024, 2)
    assert (compactor.kind, compactor.file_delimiter) == ("concat", b"\n")
    assert FileSink.for_row_format("/tmp/x", Encoder.simple_string_encoder()).enable_compact(
        strategy, FileCompactor.identical_file_compactor()).disable_compact().build() \
        .compaction is None
    with pytest.raises(ValueError, match="positive"):
        FileCompactStrategy.Builder.new_builder().enable_compaction_on_checkpoint(0)
    with pytest.raises(TypeError, match="FileCompactStrategy"):
        FileSink.for_row_format("/tmp/x", Encoder.simple_string_encoder()).enable_compact(
            None, FileCompactor.identical_file_compactor())  # type: ignore[arg-type]
