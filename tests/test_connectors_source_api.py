"""The Source API without a cluster: enumerator replicas, readers, positions, rewinds.

A :class:`SourceReaderOperator` is driven directly, one instance per subtask,
exactly as a source task drives it (``open``, then ``poll_next`` until None).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from flink_py.datastream.connectors.collection import CollectionSource
from flink_py.datastream.connectors.number_seq import NumberSequenceSource
from flink_py.datastream.connectors.reader_base import SourceReaderBase
from flink_py.datastream.connectors.source import (
    Boundedness,
    InputStatus,
    Source,
    SourceSplit,
    owner_of,
)
from flink_py.datastream.connectors.static_enumerator import (
    StaticSplitEnumerator,
    merge_replica_snapshots,
)
from flink_py.taskmanager.operators.base import OperatorContext
from flink_py.taskmanager.operators.sources import (
    NO_TIMESTAMP,
    SourceReaderOperator,
    SubtaskEnumeratorContext,
    _Mailbox,
)
from tests.conftest import wait_until


class _Out:
    def __init__(self) -> None:
        self.values: list[Any] = []
        self.timestamps: list[int] = []

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        self.values.extend(values)
        if timestamps is not None:
            self.timestamps.extend(timestamps)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        raise AssertionError("no side outputs")


def _ctx(subtask: int, parallelism: int) -> OperatorContext:
    return OperatorContext(task_name="src", operator_name="Source: test", subtask_index=subtask,
                           parallelism=parallelism, max_parallelism=128, attempt=0,
                           job_id="j", job_parameters={})


def open_op(source: Source[Any, Any], subtask: int, parallelism: int,
            restored: dict[str, Any] | None = None) -> tuple[SourceReaderOperator, _Out]:
    op = SourceReaderOperator(source)
    out = _Out()
    op.setup(_ctx(subtask, parallelism), out)
    if restored is not None:
        op.restore_source(restored)
    op.open()
    return op, out


def poll(op: SourceReaderOperator, out: _Out, max_rows: int = 7, polls: int | None = None,
         timeout: float = 20.0) -> bool:
    """Poll like the task loop; True once the source ended."""
    deadline = time.monotonic() + timeout
    n = 0
    while polls is None or n < polls:
        batch = op.poll_next(max_rows)
        if batch is None:
            return True
        assert len(batch) <= max_rows
        out.emit(batch, None)
        n += 1
        assert time.monotonic() < deadline, "source did not end"
    return False


def run_all(source: Source[Any, Any], parallelism: int, max_rows: int = 7) -> list[list[Any]]:
    results = []
    for i in range(parallelism):
        op, out = open_op(source, i, parallelism)
        assert poll(op, out, max_rows)
        op.close()
        results.append(out.values)
    return results


# -- NumberSequenceSource and from_collection ------------------------------------------------


@pytest.mark.parametrize("parallelism", [1, 2, 3, 7])
def test_number_sequence_each_subtask_reads_its_subrange_in_order(parallelism: int) -> None:
    source = NumberSequenceSource(10, 40)
    assert source.get_boundedness() is Boundedness.BOUNDED
    parts = run_all(source, parallelism)
    assert sorted(v for p in parts for v in p) == list(range(10, 41))
    for p in parts:
        assert p == sorted(p) and (not p or p == list(range(p[0], p[-1] + 1)))
    assert all(parts)  # every subtask got a share


def test_number_sequence_more_subtasks_than_numbers() -> None:
    parts = run_all(NumberSequenceSource(0, 1), 4)
    assert sorted(v for p in parts for v in p) == [0, 1]


def test_number_sequence_rejects_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="end \\(1\\) must not be smaller than start \\(5\\)"):
        NumberSequenceSource(5, 1)


def test_collection_source_is_non_parallel_and_ordered() -> None:
    source = CollectionSource(["a", "b", "c"])
    assert not source.is_parallel()
    assert run_all(source, 1, max_rows=2) == [["a", "b", "c"]]
    assert run_all(CollectionSource([]), 1) == [[]]


# -- snapshot and rewind ----------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0, 1, 3, 5])
def test_rewind_from_a_snapshot_neither_loses_nor_repeats(cut: int) -> None:
    source = NumberSequenceSource(0, 99)
    p = 2
    first_run: list[list[int]] = []
    snapshots: dict[int, dict[str, Any]] = {}
    for i in range(p):
        op, out = open_op(source, i, p)
        poll(op, out, max_rows=6, polls=cut)
        snapshots[i] = op.snapshot_source(checkpoint_id=1)
        poll(op, out, max_rows=6, polls=2)  # records after the checkpoint: replayed on restore
        op.close()
        first_run.append(out.values[:cut * 6])
    enum_state = merge_replica_snapshots({i: s["enumerator"] for i, s in snapshots.items()})
    for i in range(p):
        restored = {"splits": snapshots[i]["splits"], "enumerator": enum_state}
        op, out = open_op(source, i, p, restored)
        assert poll(op, out)
        op.close()
        assert first_run[i] + out.values == sorted(first_run[i] + out.values)
        first_run[i] += out.values
    assert sorted(v for part in first_run for v in part) == list(range(100))


def test_collection_source_rewinds_to_its_position() -> None:
    source = CollectionSource(list(range(20)))
    op, out = open_op(source, 0, 1)
    poll(op, out, max_rows=3, polls=2)
    snap = op.snapshot_source(7)
    assert [s.position for s in snap["splits"]] == [6]
    op.close()
    op2, out2 = open_op(source, 0, 1, snap)
    assert poll(op2, out2)
    assert out.values + out2.values == list(range(20))


# -- enumerator replicas ------------------------------------------------------------------------


@dataclasses.dataclass
class _Split(SourceSplit):
    name: str

    def split_id(self) -> str:
        return self.name


def test_static_enumerator_replicas_assign_every_split_exactly_once() -> None:
    splits = [_Split(f"s{i}") for i in range(11)]
    got: dict[int, list[str]] = {}
    for subtask in range(3):
        mailbox = _Mailbox()
        received: list[_Split] = []
        done: list[bool] = []

        class _Reader:
            def add_splits(self, s: list[_Split]) -> None:
                received.extend(s)

            def notify_no_more_splits(self) -> None:
                done.append(True)

        reader = _Reader()
        ctx = SubtaskEnumeratorContext(subtask, 3, mailbox, lambda reader=reader: reader, "t")
        enum = StaticSplitEnumerator(ctx, splits)
        while not done:
            enum.handle_split_request(subtask, None)
            mailbox.run_all()
        got[subtask] = [s.name for s in received]
    assert sorted(n for names in got.values() for n in names) == sorted(s.name for s in splits)
    assert [len(v) for v in got.values()] == [4, 4, 3]


def test_enumerator_context_drops_foreign_assignments_and_checks_range() -> None:
    mailbox = _Mailbox()
    received: list[Any] = []

    class _Reader:
        def add_splits(self, s: list[Any]) -> None:
            received.extend(s)

    ctx = SubtaskEnumeratorContext(1, 2, mailbox, _Reader, "Source: mine")
    ctx.assign_split("for-0", 0)
    ctx.assign_splits({0: ["x"], 1: ["y", "z"]})
    mailbox.run_all()
    assert received == ["y", "z"]
    with pytest.raises(ValueError, match="Source 'Source: mine'.*subtask 5.*parallelism is 2"):
        ctx.assign_split("bad", 5)


def test_call_async_runs_off_thread_and_delivers_on_the_mailbox_periodically() -> None:
    mailbox = _Mailbox()
    ctx = SubtaskEnumeratorContext(0, 1, mailbox, lambda: None, "t")
    import threading

    threads: list[str] = []
    results: list[Any] = []
    ctx.call_async(lambda: threads.append(threading.current_thread().name) or len(threads),
                   lambda r, e: results.append((r, e)), 0, 20)

    def progressed() -> bool:
        ctx.fire_due(time.monotonic())
        mailbox.run_all()
        return len(results) >= 3

    wait_until(progressed, timeout=10)
    ctx.close()
    assert results[:3] == [(1, None), (2, None), (3, None)]
    assert all(name != threading.current_thread().name for name in threads)


def test_owner_of_is_stable_and_in_range() -> None:
    owners = {owner_of(f"/data/file-{i}", 4) for i in range(50)}
    assert owners == {0, 1, 2, 3}
    assert owner_of("/x", 3) == owner_of("/x", 3)


# -- a user-written source ------------------------------------------------------------------------


@dataclasses.dataclass
class CounterSplit(SourceSplit):
    """Counts from ``next`` up to ``stop`` (exclusive), emitting (split, n, timestamp)."""

    id: str
    next: int
    stop: int

    def split_id(self) -> str:
        return self.id


class _CounterReader(SourceReaderBase[CounterSplit]):
    def fetch(self, split: CounterSplit, max_records: int) -> tuple[list[Any], bool]:
        hi = min(split.stop, split.next + max_records)
        out = [(split.id, n) for n in range(split.next, hi)]
        split.next = hi
        return out, hi >= split.stop


class CounterSource(Source[CounterSplit, dict[int, list[CounterSplit]]]):
    """Two splits per subtask, assigned by a stable hash of the split id."""

    def __init__(self, splits: int, per_split: int) -> None:
        self.n = splits
        self.per_split = per_split

    def get_boundedness(self) -> Boundedness:
        return Boundedness.BOUNDED

    def create_enumerator(self, enum_context: Any) -> StaticSplitEnumerator[CounterSplit]:
        splits = [CounterSplit(f"c{i}", 0, self.per_split) for i in range(self.n)]
        return StaticSplitEnumerator(
            enum_context, splits, owner=lambda i, s, p: owner_of(s.split_id(), p))

    def restore_enumerator(self, enum_context: Any, checkpoint: Any) -> Any:
        return StaticSplitEnumerator(enum_context, [], restored=checkpoint)

    def create_reader(self, reader_context: Any) -> _CounterReader:
        return _CounterReader(reader_context)


def test_user_source_with_hash_assignment() -> None:
    parts = run_all(CounterSource(9, 5), 3)
    flat = [v for p in parts for v in p]
    assert sorted(flat) == sorted((f"c{i}", n) for i in range(9) for n in range(5))


class _StampedReader(SourceReaderBase[CounterSplit]):
    def poll_next(self, output: Any) -> InputStatus:
        status = super().poll_next(_Stamp(output))
        return status

    def fetch(self, split: CounterSplit, max_records: int) -> tuple[list[Any], bool]:
        hi = min(split.stop, split.next + max_records)
        out = list(range(split.next, hi))
        split.next = hi
        return out, hi >= split.stop


class _Stamp:
    def __init__(self, output: Any) -> None:
        self.output = output

    def collect_batch(self, records: list[Any], timestamps: list[int] | None = None) -> None:
        for r in records:
            self.output.collect(r, r * 1000 if r % 2 else None)

    def capacity(self) -> int:
        return self.output.capacity()


class _StampedSource(CounterSource):
    def create_reader(self, reader_context: Any) -> _StampedReader:
        return _StampedReader(reader_context)


def test_records_with_timestamps_are_emitted_with_them() -> None:
    op, out = open_op(_StampedSource(1, 4), 0, 1)
    assert poll(op, out, max_rows=10)
    assert out.values == [0, 1, 2, 3]
    assert out.timestamps == [NO_TIMESTAMP, 1000, NO_TIMESTAMP, 3000]
