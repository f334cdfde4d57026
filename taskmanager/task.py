"""One running subtask: an operator chain driven by a single thread.

The task builds its chain from the deployment descriptor, opens the
operators, then either polls its source or consumes its input gate until
every input channel has delivered end-of-partition. Pending output is
flushed when a batch fills up and whenever ``execution.buffer-timeout``
expires. Failures are reported with the failing operator, the subtask and the
user's traceback.

The end of a task follows Flink's ``endData(StopMode)`` (FLIP-147): once the
source is exhausted, or every input channel delivered ``EndOfData``, the
operators see ``end_input`` (DRAIN only: ``stop`` without ``--drain`` skips
it) and ``EndOfData`` goes downstream. With periodic checkpoints and
``execution.checkpointing.checkpoints-after-tasks-finish`` the task then
waits for its *final checkpoint* -- the first one it takes after that point
-- to complete (two-phase-commit sinks commit their last transaction on its
notification), reporting ``END_OF_DATA`` so the JobManager triggers it at
once. Only then does it close its operators and send end-of-partition.
A task whose operators all finished in the restored checkpoint is deployed
as finished: it runs no operator and only ends its outputs.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import logging
import os
import threading
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

import cloudpickle
from flink_py.common.runtime.arrow_codec import BatchCodec, deserialize
from flink_py.common.runtime.config import (
    parse_bool,
    parse_duration_ms,
    parse_int,
    parse_memory_bytes,
)
from flink_py.common.runtime.deployment import EndOfPartition, TaskDeploymentDescriptor
from flink_py.taskmanager import task_checkpoints as checkpoints
from flink_py.taskmanager.network.barrier_handler import BarrierHandler
from flink_py.taskmanager.network.events import (
    CancelCheckpointMarker,
    CheckpointBarrier,
    EndOfData,
    WatermarkEvent,
    WatermarkStatusEvent,
)
from flink_py.taskmanager.network.gate import (
    KIND_DATA,
    KIND_ERROR,
    KIND_EVENT,
    InputGate,
)
from flink_py.taskmanager.network.partition import ResultPartition
from flink_py.taskmanager.network.record_timestamps import (
    TimestampedBuffer,
    split,
    timestamped_schema,
)
from flink_py.taskmanager.network.valve import StatusWatermarkValve
from flink_py.taskmanager.operators.base import (
    OperatorContext,
    SourceOperator,
    StreamOperator,
    TwoInputStreamOperator,
    private_copy,
)
from flink_py.taskmanager.operators.keyed import AbstractKeyedOperator, ReduceOperator
from flink_py.taskmanager.operators.timers import (
    LONG_MAX,
    LONG_MIN,
    ProcessingTimeService,
)
from flink_py.taskmanager.output_types import (
    CheckedRecordWriter,
    TypeCheckedOutput,
    fully_known,
    is_typed,
    type_fact,
)
from flink_py.taskmanager.sorted_input import SortedKeyedInput
from flink_py.taskmanager.writer import RecordWriter

__all__ = ["Task", "TaskFailure"]

log = logging.getLogger(__name__)

_KIND_CANCEL = 99
_KIND_MAIL = 98  # wakes the input loop: checkpoint notifications wait in the task's mailbox
#: reported (as a pseudo state) when the task waits for its final checkpoint
_END_OF_DATA = "END_OF_DATA"
_AFTER_TASKS_FINISH = "execution.checkpointing.checkpoints-after-tasks-finish"
#: Flink's window-operator metric of late elements dropped (no late side output).
_LATE_DROPPED = "numLateRecordsDropped"
#: Tasks of one slot worker deserialize their chains one at a time: unpickling imports
#: modules, and two threads importing a package cyclically can see it half-initialized.
_UNPICKLE_LOCK = threading.Lock()


def _unpickle(data: bytes) -> Any:
    """``cloudpickle.loads`` under the worker-wide deserialization lock."""
    with _UNPICKLE_LOCK:
        return cloudpickle.loads(data)


def _package_roots() -> tuple[str, ...]:
    import flink_py.client
    import flink_py.common
    import flink_py.datastream
    import flink_py.taskmanager

    mods = (flink_py.common, flink_py.client, flink_py.datastream, flink_py.taskmanager,
            cloudpickle)
    return tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep  # type: ignore[arg-type]
                 for m in mods)


_PACKAGE_ROOTS = _package_roots()


class TaskFailure(Exception):
    """A task failed; ``str()`` is the one-line cause."""

    def __init__(self, message: str, user_traceback: str = "") -> None:
        super().__init__(message)
        self.user_traceback = user_traceback


class _ChainedOutput:
    """Calls the next operator of the chain directly."""

    __slots__ = ("idle", "op", "watermark")

    def __init__(self, op: StreamOperator) -> None:
        self.op = op
        self.watermark = LONG_MIN
        self.idle = False

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        if values:
            self.op.process_batch(values, timestamps)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        return

    def emit_watermark(self, watermark: int) -> None:
        if watermark > self.watermark:
            self.watermark = watermark
            self.op.process_watermark(watermark)

    def emit_watermark_status(self, idle: bool) -> None:
        if idle != self.idle:
            self.idle = idle
            self.op.process_watermark_status(idle)


class _FanOut:
    """Main output to several targets, plus side outputs by tag.

    In PyFlink each branch of a fan-out deserializes its own records, so one
    branch changing a record in place is never seen by another: every target
    but the last that hands the objects on (a chained operator, a local
    channel) gets private copies of mutable records (``private_copy``).
    """

    def __init__(self, main: list[Any], side: dict[str, list[Any]]) -> None:
        self.main = main
        self.side = side
        self._main_copies = _copy_flags(main)
        self._side_copies = {tag: _copy_flags(targets) for tag, targets in side.items()}
        if len(main) == 1:
            self.emit = main[0].emit  # type: ignore[method-assign]

    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        for target, copies in zip(self.main, self._main_copies):
            target.emit([private_copy(v) for v in values] if copies else values, timestamps)

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        targets = self.side.get(tag, ())
        for target, copies in zip(targets, self._side_copies.get(tag, ())):
            target.emit([private_copy(v) for v in values] if copies else values, timestamps)

    def _all_targets(self) -> list[Any]:
        seen: dict[int, Any] = {id(t): t for t in self.main}
        for targets in self.side.values():
            for t in targets:
                seen.setdefault(id(t), t)
        return list(seen.values())

    def emit_watermark(self, watermark: int) -> None:
        """Watermarks go to every output, main and side (they are broadcast)."""
        for target in self._all_targets():
            target.emit_watermark(watermark)

    def emit_watermark_status(self, idle: bool) -> None:
        for target in self._all_targets():
            target.emit_watermark_status(idle)


def _copy_flags(targets: list[Any]) -> list[bool]:
    """Per target: whether it needs its own copies (it passes the objects on, and a
    later target still gets them)."""
    def passes_objects_on(target: Any) -> bool:
        local = getattr(target, "local", None)  # a RecordWriter: per channel, in-process?
        return local is None or any(local)

    return [passes_objects_on(t) for t in targets[:-1]] + [False] * min(1, len(targets))


class _Discard:
    def emit(self, values: list[Any], timestamps: list[int] | None) -> None:
        return

    def emit_side(self, tag: str, values: list[Any], timestamps: list[int] | None) -> None:
        return

    def emit_watermark(self, watermark: int) -> None:
        return

    def emit_watermark_status(self, idle: bool) -> None:
        return


class BatchPacer:
    """How many records to hand a chain at once.

    A call should take at most about ``target_s``: a slow chain (a map that
    sleeps, calls a service...) then still notices cancellation and checkpoint
    triggers within a fraction of a second, close to Flink's record-at-a-time
    tasks, while fast chains keep full batches (``max_rows``).
    """

    __slots__ = ("max_rows", "rows", "target_s")

    def __init__(self, max_rows: int, target_s: float = 0.05) -> None:
        self.max_rows = max_rows
        self.rows = 1  # grows by doubling while calls stay fast
        self.target_s = target_s

    def record(self, n: int, took_s: float) -> None:
        """``n`` records took ``took_s`` seconds: size the next call."""
        if took_s > self.target_s and n > 1:
            self.rows = max(1, int(n * self.target_s / took_s))
        elif took_s < self.target_s / 4 and self.rows < self.max_rows:
            self.rows = min(self.max_rows, self.rows * 2)


def _alternate(first: Any, values: list[Any], timestamps: list[Any] | None,
               second: Any, values2: list[Any], timestamps2: list[Any] | None) -> None:
    """Feed two inputs' records in turn, ``first``'s first: one record each while both
    have some (in slices of up to 1/64 of the shorter batch for long batches, so a busy
    two-input task keeps batch-sized calls), then the rest of the longer batch."""
    n = min(len(values), len(values2))
    step = max(1, n // 64)
    for i in range(0, n, step):
        j = min(i + step, n)
        first(values[i:j], None if timestamps is None else timestamps[i:j])
        second(values2[i:j], None if timestamps2 is None else timestamps2[i:j])
    if len(values) > n:
        first(values[n:], None if timestamps is None else timestamps[n:])
    elif len(values2) > n:
        second(values2[n:], None if timestamps2 is None else timestamps2[n:])


class Task:
    """Runs one subtask in its own thread.

    Args:
        tdd: the deployment descriptor.
        env: the slot worker's services (partition registry, connections,
            data address, JobManager client).
        on_state: called with ``(tdd, state, error, traceback)`` on every
            state change (RUNNING, FINISHED, CANCELED, FAILED).
    """

    def __init__(self, tdd: TaskDeploymentDescriptor, env: Any,
                 on_state: Callable[[TaskDeploymentDescriptor, str, str, str], None]) -> None:
        self.tdd = tdd
        self.env = env
        self.on_state = on_state
        self.cancelled = threading.Event()
        self.gate: InputGate | None = None
        self.writers: list[RecordWriter] = []
        self.operators: list[StreamOperator] = []
        #: operator index -> the chained output feeding it (its input watermark, for metrics)
        self._chained_into: dict[int, _ChainedOutput] = {}
        self.records_in = 0
        #: Processing-time timers of the chain's operators, fired on this thread.
        self.timers = ProcessingTimeService()
        #: id(writer) -> name of the operator feeding it (names the operator of encode errors).
        self._writer_operators: dict[int, str] = {}
        self.thread = threading.Thread(target=self._run, name=tdd.task_name_with_subtask,
                                       daemon=True)
        conf = tdd.config
        self.max_rows = parse_int(conf.get("taskmanager.network.batch.max-rows", 1024))
        self.max_bytes = parse_memory_bytes(conf.get("taskmanager.network.batch.max-bytes",
                                                     1 << 20))
        # Flink's syntax ("100 ms", "5 s", or plain milliseconds; -1: flush only when full)
        raw = conf.get("execution.buffer-timeout.interval", 100)
        timeout = int(raw) if str(raw).strip().lstrip("-").isdigit() else parse_duration_ms(
            raw, "execution.buffer-timeout.interval")
        enabled = parse_bool(conf.get("execution.buffer-timeout.enabled", True))
        self.buffer_timeout_s = timeout / 1000.0 if enabled and timeout >= 0 else None
        #: Checkpoint triggers and notifications, run on the task thread between batches.
        self._mail: collections.deque[tuple[Any, ...]] = collections.deque()
        self._exactly_once = str(conf.get("execution.checkpointing.mode",
                                          "EXACTLY_ONCE")).upper() != "AT_LEAST_ONCE"
        self._storage = checkpoints.checkpoint_storage(tdd)
        self._uploader: concurrent.futures.ThreadPoolExecutor | None = None
        self._restored_timers: list[tuple[Any, dict[str, Any]]] = []
        #: Barrier alignment (input tasks): handler, blocked flags, stashed and replayed elements.
        self._barriers: BarrierHandler | None = None
        self._blocked: list[bool] = []
        self._blocked_any = False
        #: two-input tasks: whether the first records were taken (see _other_input_data)
        self._alternation_started = False
        self._stash: list[list[tuple[int, int, Any]]] = []
        self._replay: collections.deque[tuple[int, int, Any]] = collections.deque()
        #: stop-with-savepoint in flight: [savepoint id, completed, drained]
        self._stopping: list[Any] | None = None
        #: FLIP-147: wait for a final checkpoint at the end of data (the job master sets
        #: this true only with periodic checkpoints in STREAMING mode)
        self._wait_final = str(conf.get(_AFTER_TASKS_FINISH, "false")).lower() == "true"
        #: end of data reached (operators ended, EndOfData sent downstream)
        self._ended_data = False
        #: waiting for the final checkpoint; the ids of the checkpoints taken since (not
        #: aborted): the first of them to complete (or a later one) is the final one
        self._awaiting_final = False
        #: BATCH: the keyed head operator's input, sorted by key at its end (or None)
        self._sorted_input: SortedKeyedInput | None = None
        self._final_ids: set[int] = set()
        #: per input channel: EndOfData's drain flag once delivered
        self._end_of_data: list[bool | None] = []
        restore = tdd.restore or {}
        self._finished_on_restore = bool(restore.get("finished_on_restore"))

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        """Start the task thread."""
        self.thread.start()

    def cancel(self) -> None:
        """Ask the task to stop; it reports CANCELED."""
        self.cancelled.set()
        if self.gate is not None:
            self.gate.queue.put((-1, _KIND_CANCEL, None))

    def trigger_checkpoint(self, checkpoint_id: int, timestamp_ms: int, stop: bool = False,
                           drain: bool = False) -> None:
        """(Any thread.) A source task injects barrier ``checkpoint_id`` between two batches.

        ``stop`` (stop-with-savepoint): the source emits nothing after the barrier and
        ends once the savepoint completed (it resumes if it is aborted); ``drain``:
        it emits the maximum watermark before the barrier.
        """
        self._mail.append(("trigger", checkpoint_id, timestamp_ms, stop, drain))
        if self.gate is not None:  # a task downstream of finished tasks is triggered directly
            self.gate.queue.put((-1, _KIND_MAIL, None))

    def notify_checkpoint(self, checkpoint_id: int, complete: bool) -> None:
        """(Any thread.) Checkpoint ``checkpoint_id`` completed (or was aborted)."""
        self._mail.append(("complete" if complete else "abort", checkpoint_id))
        if self.gate is not None:
            self.gate.queue.put((-1, _KIND_MAIL, None))

    def metrics(self) -> dict[str, float]:
        """Flink-named task metrics, reported to the JobManager with the final state.

        ``maxInputBuffersInUsePerChannel`` is the most Arrow batches one
        remote input channel held at once (received, not yet processed): it
        never exceeds exclusive + floating buffers, the credit the channel can
        be granted.
        """
        out = {
            "numRecordsIn": float(self.records_in),
            "numBuffersOut": float(sum(w.buffers_out for w in self.writers)),
            "accumulateBackPressuredTimeMs": 1000.0 * sum(w.back_pressured_s for w in self.writers),
        }
        if self.gate is not None:
            out["maxInputBuffersInUsePerChannel"] = float(
                max((ch.peak_in_use for ch in self.gate.credits.channels), default=0))
        out.update(self._watermark_metrics())
        late = []  # window operators' numLateRecordsDropped, summed over the chain
        for op in self.operators:
            group = op.ctx.metric_group if op.ctx is not None else None
            if group is not None:
                counter = group.get_metrics().get(group.get_metric_identifier(_LATE_DROPPED))
                if counter is not None:
                    late.append(counter.get_count())
        if late:
            out[_LATE_DROPPED] = float(sum(late))
        return out

    def _watermark_metrics(self) -> dict[str, float]:
        """Flink's ``currentInputWatermark`` (tasks with inputs: what the head operator got,
        the minimum over its inputs; two inputs add ``currentInput1Watermark`` and
        ``currentInput2Watermark``) and ``currentOutputWatermark``: the last watermark the task
        sent downstream, or, without network outputs, the last one its chain's end received."""
        out: dict[str, float] = {}
        valves = getattr(self, "_valves", None)
        input_wm = None
        if self.gate is not None and valves:
            both = self._input_valve
            input_wm = (both if both is not None else valves[min(valves)]).last_output_watermark
            out["currentInputWatermark"] = float(input_wm)
            if both is not None:
                for i, valve in sorted(valves.items()):
                    out[f"currentInput{i + 1}Watermark"] = float(valve.last_output_watermark)
        if self.writers:
            out["currentOutputWatermark"] = float(min(w.last_watermark for w in self.writers))
        else:  # the watermarks reaching the ends of the chain (sinks)
            ends = [chained.watermark for i, chained in self._chained_into.items()
                    if not self.tdd.operators[i].chained_outputs]
            if ends:
                out["currentOutputWatermark"] = float(min(ends))
            elif input_wm is not None:
                out["currentOutputWatermark"] = float(input_wm)
        return out

    def _run(self) -> None:
        tdd = self.tdd
        try:
            self._build()
            if self._finished_on_restore:
                if self.gate is not None:
                    self.gate.start()
                self.on_state(tdd, "RUNNING", "", "")
                self._run_finished_on_restore()
                self.on_state(tdd, "FINISHED", "", "")
                return
            self._open()
            self.on_state(tdd, "RUNNING", "", "")
            if tdd.is_source:
                self._run_source()
            else:
                self._run_inputs()
            if self.cancelled.is_set():
                raise InterruptedError
            self._finish()
            log.info("task %s finished: %d records in, %.2f s CPU", tdd.task_name_with_subtask,
                     self.records_in, time.thread_time())
            self.on_state(tdd, "FINISHED", "", "")
        except InterruptedError:
            self._dispose()
            self.on_state(tdd, "CANCELED", "", "")
        except BaseException as exc:  # noqa: BLE001 - every failure is reported
            self._dispose()
            if self.cancelled.is_set():
                self.on_state(tdd, "CANCELED", "", "")
                return
            cause, tb = self._describe(exc)
            log.info("task %s failed: %s", tdd.task_name_with_subtask, cause)
            self.on_state(tdd, "FAILED", cause, tb)

    # -- setup ---------------------------------------------------------------
    def _build(self) -> None:
        tdd = self.tdd
        env = self.env
        ops: list[StreamOperator] = []
        for spec in tdd.operators:
            try:
                ops.append(_unpickle(spec.operator))
            except Exception as exc:
                msg = (f"Cannot deserialize operator '{spec.name}' of task "
                       f"{tdd.task_name_with_subtask}: {type(exc).__name__}: {exc}")
                raise TaskFailure(msg, traceback.format_exc()) from exc
        self.operators = ops
        if ops and tdd.inputs:  # records of a typed network input fit its type exactly
            types = [g.type_info for g in tdd.inputs]
            if all(is_typed(t) and t == types[0] for t in types) \
                    and all(g.input_index == 0 for g in tdd.inputs):
                ops[0].input_fact = type_fact(types[0])
        #: per operator: what its main output is known to be (facts flow along the
        #: chain, head first)
        facts: list[Any] = []
        for spec, op in zip(tdd.operators, ops):
            facts.append(op.output_fact())
            for j in spec.chained_outputs:
                ops[j].input_fact = facts[-1]
        max_rows = self.max_rows
        # Output writers, one per outgoing edge.
        writers_by_op: dict[int, list[tuple[str | None, RecordWriter]]] = {}
        for out in tdd.outputs:
            key = (tdd.job_id, out.edge_id, tdd.subtask_index, tdd.attempt)
            max_buffers = int(tdd.config.get("taskmanager.network.memory.max-buffers-per-channel", 10))
            local_buffers = int(tdd.config.get("taskmanager.network.local-channel.buffers", 1))
            local = [addr == env.data_address for addr in out.consumer_addresses]
            partition = ResultPartition(key, [local_buffers if is_local else max_buffers
                                              for is_local in local])
            args = (partition, _unpickle(out.partitioner), local, out.type_info,
                    tdd.subtask_index, max_rows, self.max_bytes, self.cancelled)
            fact = facts[out.source_operator] if out.side_output is None else None
            writer = (CheckedRecordWriter(*args, type_info=out.type_info, fact=fact)
                      if any(local) and is_typed(out.type_info) else RecordWriter(*args))
            writer.known = fully_known(out.type_info, fact)
            env.registry.register(partition)
            self.writers.append(writer)
            self._writer_operators[id(writer)] = tdd.operators[out.source_operator].name
            writers_by_op.setdefault(out.source_operator, []).append((out.side_output, writer))
        # Wire the chain.
        for i, (spec, op) in enumerate(zip(tdd.operators, ops)):
            main: list[Any] = [_ChainedOutput(ops[j]) for j in spec.chained_outputs]
            self._chained_into.update(zip(spec.chained_outputs, main))
            if is_typed(spec.output_type):  # a chained sink ends the stream: check the type
                for k, j in enumerate(spec.chained_outputs):
                    if not tdd.operators[j].chained_outputs and j not in writers_by_op:
                        main[k] = TypeCheckedOutput(main[k], spec.output_type, facts[i])
                        self._writer_operators[id(main[k])] = spec.name
            side: dict[str, list[Any]] = {}
            for tag, writer in writers_by_op.get(i, []):
                if tag is None:
                    main.append(writer)
                else:
                    side.setdefault(tag, []).append(writer)
            output = _FanOut(main, side) if (main or side) else _Discard()
            ctx = OperatorContext(
                task_name=tdd.vertex_name, operator_name=spec.name,
                subtask_index=tdd.subtask_index, parallelism=tdd.parallelism,
                max_parallelism=tdd.max_parallelism, attempt=tdd.attempt, job_id=tdd.job_id,
                job_parameters=tdd.config, services=env.services,
                processing_time_service=self.timers, runtime_mode=tdd.runtime_mode)
            op.setup(ctx, output)  # type: ignore[arg-type]
        # Inputs.
        if tdd.inputs:
            conf = tdd.config
            gate = InputGate(
                int(conf.get("taskmanager.network.memory.buffers-per-channel", 2)),
                int(conf.get("taskmanager.network.memory.floating-buffers-per-gate", 8)),
                int(conf.get("taskmanager.network.local-channel.buffers", 1)))
            self._codecs: list[BatchCodec | None] = []
            #: per gate channel: its index among the channels of its input
            self._valve_slots: list[int] = []
            per_input: dict[int, int] = {}
            for g in tdd.inputs:
                codec = None
                for ch in g.channels:
                    if ch.address == env.data_address:
                        gate.add_local(g.input_index, ch.partition_key, ch.subpartition_index,
                                       env.registry)
                        self._codecs.append(None)
                    else:
                        gate.add_remote(g.input_index, ch.partition_key, ch.subpartition_index,
                                        env.connections, ch.address)
                        codec = codec or BatchCodec(g.type_info)
                        self._codecs.append(codec)
                    self._valve_slots.append(per_input.get(g.input_index, 0))
                    per_input[g.input_index] = per_input.get(g.input_index, 0) + 1
            self._ts_schemas = {id(c): timestamped_schema(c.schema)
                                for c in self._codecs if c is not None}
            #: one valve per input over its channels; two inputs: plus one over both inputs
            self._valves = {i: StatusWatermarkValve(n) for i, n in per_input.items()}
            self._input_valve = StatusWatermarkValve(2) if len(per_input) > 1 else None
            n = len(gate.channels)
            self._barriers = BarrierHandler(n, self._exactly_once)
            self._blocked = [False] * n
            self._stash = [[] for _ in range(n)]
            self._end_of_data = [None] * n
            self.gate = gate
        # Restored state goes to the operators before they open.
        if not self._finished_on_restore:
            self._restored_timers = checkpoints.apply_restore(tdd, tdd.operators, ops,
                                                              self._storage)

    def _open(self) -> None:
        # Open from the tail of the chain to the head, as Flink does.
        for op in reversed(self.operators):
            op.open()
        checkpoints.restore_timers(self._restored_timers)
        self._restored_timers = []
        if self.gate is not None:
            self.gate.start()

    # -- main loops ----------------------------------------------------------
    def _run_source(self) -> None:
        src = self.operators[0]
        assert isinstance(src, SourceOperator)
        emit = src.output.emit
        poll = src.poll_next
        pacer = BatchPacer(self.max_rows)
        timeout = self.buffer_timeout_s
        deadline = time.monotonic() + timeout if timeout is not None else None
        cancelled = self.cancelled
        timers = self.timers
        mail = self._mail
        while not cancelled.is_set():
            if mail:
                self._process_mail()
            if self._stopping is not None:  # stop-with-savepoint: wait for its outcome
                if self._stopping[1]:
                    break
                cancelled.wait(0.005)
                continue
            batch = poll(pacer.rows)
            if batch is None:
                break
            if batch:
                started, blocked = time.monotonic(), self._blocked_s()
                emit(batch, None)
                pacer.record(len(batch), time.monotonic() - started
                             - (self._blocked_s() - blocked))
            if timers.next_due is not None and time.time() >= timers.next_due:
                timers.fire_due()
            if deadline is not None and time.monotonic() >= deadline:
                self._flush_all()
                deadline = time.monotonic() + timeout  # type: ignore[operator]
        if cancelled.is_set():
            return
        if self._stopping is not None:  # stop-with-savepoint completed: DRAIN or NO_DRAIN
            self._end_data(bool(self._stopping[2]))
        else:
            src.end_of_event_time()  # a finished source ends with the maximum watermark
            self._end_data(True)
        while self._awaiting_final and not cancelled.is_set():
            if mail:
                self._process_mail()
            else:
                cancelled.wait(0.005)

    def _process_paced(self, fn: Any, values: list[Any], timestamps: list[int] | None,
                       pacer: BatchPacer) -> None:
        """Hand ``values`` to ``fn`` in slices of ``pacer.rows``; stop if cancelled."""
        i, n = 0, len(values)
        while i < n:
            if self.cancelled.is_set():
                raise InterruptedError
            j = i + pacer.rows
            started, blocked = time.monotonic(), self._blocked_s()
            fn(values[i:j], None if timestamps is None else timestamps[i:j])
            pacer.record(min(j, n) - i, time.monotonic() - started
                         - (self._blocked_s() - blocked))
            i = j

    def _records(self, index: int, payload: Any) -> tuple[list[Any], list[Any] | None]:
        """The records (and timestamps) of a data element of channel ``index``."""
        if self.gate.channels[index].is_local:  # type: ignore[union-attr]
            return payload  # type: ignore[no-any-return]
        codec = self._codecs[index]
        if payload.__class__ is TimestampedBuffer:
            batch, timestamps = split(deserialize(payload.buffer, self._ts_schemas[id(codec)]),
                                      codec.schema)  # type: ignore[union-attr]
            return codec.decode(batch), timestamps  # type: ignore[union-attr]
        return codec.decode(deserialize(payload, codec.schema)), None  # type: ignore[union-attr]

    def _other_input_data(self, input_index: int) -> tuple[int, int, Any] | None:
        """Records of the other input that are already here, taken out of line, or None.

        Flink's two-input tasks read their inputs in turn, record by record, while both
        have data (``InputSelection.fairSelectNextIndex``). The first element of the
        other input's channels that has arrived is taken if it is records; elements of
        this input's channels keep their places (order holds per channel, as in Flink).
        Before its first records, a two-input task gives the other input up to the
        buffer timeout to deliver its first element: PyFlink's Python operator starts
        after both inputs have buffered, so a job of two small collections sees them
        interleaved, not one after the other.
        """
        replay = self._replay
        gate_queue = self.gate.queue  # type: ignore[union-attr]
        channels = self.gate.channels  # type: ignore[union-attr]
        for _ in range(64):
            try:
                replay.append(gate_queue.get_nowait())
            except queue.Empty:
                break
        if not self._alternation_started:
            self._alternation_started = True
            deadline = time.monotonic() + (self.buffer_timeout_s or 0.1)
            while not any(i >= 0 and channels[i].input_index != input_index
                          for i, _, _ in replay):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    replay.append(gate_queue.get(timeout=remaining))
                except queue.Empty:
                    break
        for pos, (index, kind, _) in enumerate(replay):
            if index < 0 or channels[index].input_index == input_index:
                continue
            if kind != KIND_DATA or (self._blocked_any and self._blocked[index]):
                return None
            element = replay[pos]
            del replay[pos]
            return element
        return None

    def _blocked_s(self) -> float:
        """Seconds this task's writers have waited for downstream room (back-pressure):
        time the pacer must not count as the chain's own work."""
        return sum(w.back_pressured_s for w in self.writers)

    def _run_inputs(self) -> None:
        gate = self.gate
        assert gate is not None
        head = self.operators[0]
        channels = gate.channels
        codecs = self._codecs
        two_input = isinstance(head, TwoInputStreamOperator)
        process = head.process_batch
        process2 = head.process_batch2 if two_input else None  # type: ignore[attr-defined]
        if self.tdd.runtime_mode == "BATCH" and not two_input \
                and isinstance(head, AbstractKeyedOperator) and not isinstance(head, ReduceOperator):
            # Flink's BATCH mode sorts a keyed operator's input: key by key at the end. A
            # BATCH reduce keeps only one value per key and emits the finals in key order:
            # it needs no copy of its input
            self._sorted_input = SortedKeyedInput(head, head.key_selector)
            process = self._sorted_input.add
        get = gate.queue.get
        # no cap: a local producer hands over whole lists (a flat_map's output can be
        # several max-rows long), which a fast chain should take in one call
        pacer = BatchPacer(1 << 30)
        cancelled = self.cancelled
        if cancelled.is_set():  # cancelled while it was being built: no wake-up queued
            raise InterruptedError
        open_channels = len(channels)
        timeout = self.buffer_timeout_s
        has_pending = False
        deadline = None
        timers = self.timers
        replay = self._replay
        while open_channels or self._awaiting_final:
            if replay:  # elements of channels unblocked after an alignment, in arrival order
                index, kind, payload = replay.popleft()
            else:
                wait = None
                if has_pending and deadline is not None:
                    wait = deadline - time.monotonic()
                    if wait <= 0:
                        self._flush_all()
                        has_pending = False
                        continue
                due = timers.next_due if not self._ended_data else None
                if due is not None:  # wake up for the next processing-time timer
                    until_due = due - time.time()
                    if until_due <= 0:
                        timers.fire_due()
                        if not has_pending and timeout is not None:
                            has_pending = True
                            deadline = time.monotonic() + timeout
                        continue
                    wait = until_due if wait is None else min(wait, until_due)
                if wait is not None:
                    try:
                        index, kind, payload = get(timeout=wait)
                    except Exception:  # queue.Empty
                        continue
                else:
                    index, kind, payload = get()
            if self._blocked_any and index >= 0 and self._blocked[index]:
                self._stash[index].append((index, kind, payload))  # not consumed: no credit back
                continue
            if kind == KIND_DATA:
                if cancelled.is_set():  # also when cancelled before the gate existed
                    raise InterruptedError
                ch = channels[index]
                values, timestamps = self._records(index, payload)
                other = self._other_input_data(ch.input_index) if two_input else None
                if other is not None:  # both inputs have records: Flink alternates fairly
                    ch2 = channels[other[0]]
                    values2, timestamps2 = self._records(other[0], other[2])
                    self.records_in += len(values) + len(values2)
                    if ch.input_index == 0:  # both available: the first input first, as Flink
                        _alternate(process, values, timestamps, process2, values2, timestamps2)
                    else:
                        _alternate(process, values2, timestamps2, process2, values, timestamps)
                    ch.recycle()
                    ch2.recycle()
                else:
                    self.records_in += len(values)
                    fn = process2 if ch.input_index == 1 and process2 is not None else process
                    if len(values) > pacer.rows:  # a slow chain: slices, cancellable in between
                        self._process_paced(fn, values, timestamps, pacer)
                    else:
                        started, blocked = time.monotonic(), self._blocked_s()
                        fn(values, timestamps)
                        pacer.record(len(values), time.monotonic() - started
                                     - (self._blocked_s() - blocked))
                    ch.recycle()
                if not has_pending and timeout is not None:
                    has_pending = True
                    deadline = time.monotonic() + timeout
            elif kind == KIND_EVENT:
                if payload.__class__ is WatermarkEvent:
                    ch = channels[index]
                    self._on_valve(ch.input_index, self._valves[ch.input_index].input_watermark(
                        self._valve_slots[index], payload.timestamp))
                elif payload.__class__ is WatermarkStatusEvent:
                    ch = channels[index]
                    self._on_valve(ch.input_index, self._valves[ch.input_index].input_status(
                        self._valve_slots[index], payload.idle))
                elif payload.__class__ is CheckpointBarrier:
                    self._on_barrier_actions(self._barriers.on_barrier(index, payload))  # type: ignore[union-attr]
                elif payload.__class__ is EndOfData:
                    self._channel_end_of_data(index, payload.drain)
                elif isinstance(payload, EndOfPartition):
                    gate.channel_ended(channels[index])
                    open_channels -= 1
                    self._on_barrier_actions(self._barriers.on_end_of_partition(index))  # type: ignore[union-attr]
                    if self._end_of_data[index] is None:  # ended without EndOfData
                        self._channel_end_of_data(index, True)
                elif payload.__class__ is CancelCheckpointMarker:
                    self._on_barrier_actions(self._barriers.abort(payload.checkpoint_id))  # type: ignore[union-attr]
            elif kind == KIND_ERROR:
                raise TaskFailure(str(payload))
            elif kind == _KIND_MAIL:
                self._process_mail()
            elif kind == _KIND_CANCEL:
                raise InterruptedError

    # -- end of data -----------------------------------------------------------
    def _channel_end_of_data(self, index: int, drain: bool) -> None:
        """Channel ``index`` delivered EndOfData; the task's data ends once every channel did
        (DRAIN only if every channel drained, as Flink's ``EndOfDataStatus``)."""
        self._end_of_data[index] = drain
        if not self._ended_data and all(e is not None for e in self._end_of_data):
            self._end_data(all(self._end_of_data))

    def _end_data(self, drain: bool) -> None:
        """Flink's ``endData(StopMode)``: DRAIN ends the operators' input; EndOfData goes
        downstream; with final checkpoints the task then waits for one (DRAIN only: after
        a stop without drain, the completed savepoint was the last checkpoint)."""
        if self._ended_data:
            return
        self._ended_data = True
        if drain:
            if self._sorted_input is not None:
                self._sorted_input.drain(self.cancelled)
            for op in self.operators:
                op.end_input()
        for w in self.writers:
            w.emit_event(EndOfData(drain))
        if drain and self._wait_final and self._storage is not None \
                and getattr(self.env, "services", None) is not None:
            self._awaiting_final = True
            self.on_state(self.tdd, _END_OF_DATA, "", "")

    def _run_finished_on_restore(self) -> None:
        """Deployed as finished: run no operator; wait for the inputs to end (their
        producers are finished too), then end the outputs: maximum watermark, EndOfData,
        end-of-partition."""
        gate = self.gate
        if gate is not None:
            open_channels = len(gate.channels)
            while open_channels:
                index, kind, payload = gate.queue.get()
                if kind == KIND_DATA:
                    raise TaskFailure(f"Task {self.tdd.task_name_with_subtask} was restored as "
                                      "finished but received records")
                if kind == KIND_EVENT and isinstance(payload, EndOfPartition):
                    gate.channel_ended(gate.channels[index])
                    open_channels -= 1
                elif kind == KIND_ERROR:
                    raise TaskFailure(str(payload))
                elif kind == _KIND_CANCEL:
                    raise InterruptedError
        if self.cancelled.is_set():
            raise InterruptedError
        self._ended_data = True
        for w in self.writers:
            w.emit_watermark(LONG_MAX)
            w.emit_event(EndOfData(True))
            w.end()
        if gate is not None:
            gate.release()

    # -- checkpoints -----------------------------------------------------------
    def _process_mail(self) -> None:
        mail = self._mail
        while mail:
            item = mail.popleft()
            if item[0] == "trigger":
                _, cid, ts, stop, drain = item
                if drain and self.tdd.is_source:
                    self.operators[0].end_of_event_time()  # MAX_WATERMARK before the barrier
                if self._barriers is not None:  # triggered directly: its inputs all finished
                    if cid <= self._barriers.last_done:
                        continue
                    if self._barriers.current is not None:  # an older one can no longer align
                        self._on_barrier_actions(self._barriers.abort(self._barriers.current))
                    self._barriers.last_done = cid
                self._checkpoint(CheckpointBarrier(cid, ts))
                if stop and self.tdd.is_source:
                    self._stopping = [cid, False, drain]
            elif item[0] == "complete":
                checkpoints.notify_checkpoint_complete(self.operators, item[1])
                if self._stopping is not None and self._stopping[0] == item[1]:
                    self._stopping[1] = True
                if self._final_ids and item[1] >= min(self._final_ids):
                    self._awaiting_final = False  # the final checkpoint completed
            elif item[0] == "abort":
                # An aborted one is not final; one taken since (the abort can arrive after
                # the next trigger) or the next one taken is.
                self._final_ids.discard(item[1])
                if self._stopping is not None and self._stopping[0] == item[1]:
                    self._stopping = None  # the savepoint failed: the source resumes
                if self._barriers is not None:
                    self._on_barrier_actions(self._barriers.abort(item[1]))

    def _on_barrier_actions(self, actions: list[tuple[str, Any]]) -> None:
        for what, arg in actions:
            if what == "block":
                self._blocked[arg] = True
                self._blocked_any = True
            elif what == "unblock_all":
                for stash in self._stash:
                    if stash:
                        self._replay.extend(stash)
                        stash.clear()
                self._blocked = [False] * len(self._blocked)
                self._blocked_any = False
            elif what == "checkpoint":
                self._checkpoint(arg)

    def _checkpoint(self, barrier: CheckpointBarrier) -> None:
        """Aligned (or triggered): pre-barrier work, forward the barrier, snapshot, upload."""
        tdd = self.tdd
        cid = barrier.checkpoint_id
        if self._awaiting_final:
            self._final_ids.add(cid)
        for op in self.operators:
            op.prepare_snapshot_pre_barrier(cid)
        for w in self.writers:
            w.emit_event(barrier)
        storage = self._storage
        services = getattr(self.env, "services", None)
        if storage is None or services is None:
            return
        parts = checkpoints.snapshot_operators(tdd, tdd.operators, self.operators, cid, storage,
                                               barrier.timestamp)
        if self._uploader is None:
            self._uploader = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=f"{tdd.task_name_with_subtask}-snapshot")

        def upload() -> None:
            try:
                doc = checkpoints.upload_snapshot(tdd, parts, cid, storage)
            except Exception as exc:  # noqa: BLE001 - an async failure declines the checkpoint
                log.warning("checkpoint %d of %s failed: %s", cid, tdd.task_name_with_subtask,
                            exc)
                services.decline_checkpoint(tdd, cid, f"{type(exc).__name__}: {exc}")
                return
            services.ack_checkpoint(tdd, cid, json.dumps(doc))

        self._uploader.submit(upload)

    def _on_valve(self, input_index: int, outputs: list[tuple[str, Any]]) -> None:
        """Hand what an input's valve emits to the head (via the two-input valve, if any)."""
        both = self._input_valve
        for what, value in outputs:
            if both is not None:
                self._to_head(both.input_watermark(input_index, value) if what == "watermark"
                              else both.input_status(input_index, value))
            else:
                self._to_head([(what, value)])

    def _to_head(self, outputs: list[tuple[str, Any]]) -> None:
        head = self.operators[0]
        for what, value in outputs:
            if what == "watermark":
                if self._sorted_input is not None:  # BATCH: only the final watermark comes
                    self._sorted_input.drain(self.cancelled)
                head.process_watermark(value)
            else:
                head.process_watermark_status(value)

    def _flush_all(self) -> None:
        for w in self.writers:
            w.flush_all()

    def _finish(self) -> None:
        if self._mail:
            self._process_mail()
        if self._uploader is not None:
            self._uploader.shutdown(wait=False)  # running uploads still acknowledge
        self._end_data(True)  # normally done already (end of the source or of every input)
        for w in self.writers:
            w.end()
        for op in self.operators:
            op.close()
        if self.gate is not None:
            self.gate.release()

    def _dispose(self) -> None:
        if self._uploader is not None:
            self._uploader.shutdown(wait=False, cancel_futures=True)
        registry = getattr(self.env, "registry", None)
        if registry is not None and hasattr(registry, "unregister"):
            for w in self.writers:
                registry.unregister(w.partition.key)
        for op in self.operators:
            try:
                op.close()
            except Exception:
                log.debug("close failed during dispose", exc_info=True)
        if self.gate is not None:
            self.gate.release()
        for w in self.writers:
            for sub in w.subs:
                sub.release()

    # -- error reporting -----------------------------------------------------
    def _describe(self, exc: BaseException) -> tuple[str, str]:
        tdd = self.tdd
        if isinstance(exc, TaskFailure):
            return str(exc), exc.user_traceback
        op_name = self._failing_operator(exc)
        where = f" in operator '{op_name}'" if op_name else ""
        cause = (f"Task '{tdd.vertex_name}' subtask {tdd.subtask_index + 1}/{tdd.parallelism} "
                 f"failed{where}: {type(exc).__name__}: {exc}")
        return cause, _user_traceback(exc)

    def _failing_operator(self, exc: BaseException) -> str | None:
        names = {id(op): spec.name for op, spec in zip(self.operators, self.tdd.operators)}
        names.update(self._writer_operators)
        found = None
        tb = exc.__traceback__
        while tb is not None:
            self_obj = tb.tb_frame.f_locals.get("self")
            if self_obj is not None and id(self_obj) in names:
                found = names[id(self_obj)]
            tb = tb.tb_next
        return found


def _user_traceback(exc: BaseException) -> str:
    """The traceback without flink-py's own frames.

    Operator loops generated with a user expression written into them
    (``common.runtime.inline``) are named ``<flink-py ... loop from FILE:LINE>``;
    a failure inside one shows as a frame of the user's function at FILE:LINE.
    """
    all_frames = traceback.extract_tb(exc.__traceback__)
    frames: list[traceback.FrameSummary] = []
    for i, f in enumerate(all_frames):
        if f.filename.startswith("<flink-py "):
            origin = f.filename.rstrip(">").partition(" loop from ")[2]
            path, _, line = origin.rpartition(":")
            rest = all_frames[i + 1:]
            if path and line.isdigit() and all(
                    os.path.abspath(g.filename).startswith(_PACKAGE_ROOTS) for g in rest):
                frames.append(traceback.FrameSummary(path, int(line), "<lambda> (inlined)"))
        elif not os.path.abspath(f.filename).startswith(_PACKAGE_ROOTS):
            frames.append(f)
    frames = frames or all_frames
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)
