"""Credit-based flow control across two processes: a fast source, a slow sink.

The source runs in the slot worker of one TaskManager, the sink (its own
slot-sharing group) in the slot worker of the other, so every batch crosses a
remote channel. The sink sleeps on every record; the source could produce
hundreds of MB per second. Flow control must keep the channel's in-flight
batches within the credit the receiver can grant (exclusive buffers per
channel + floating buffers per gate) and the producer's memory flat.
"""

from __future__ import annotations

import math
import time

import pytest

from flink_py.client.context import set_context
from flink_py.common import Types
from tests.conftest import ProcessCluster, remote_env, rss_kib, wait_until

pytestmark = pytest.mark.slow

EXCLUSIVE = 2  # taskmanager.network.memory.buffers-per-channel
FLOATING = 3  # taskmanager.network.memory.floating-buffers-per-gate
MAX_QUEUED = 4  # taskmanager.network.memory.max-buffers-per-channel
ROWS = 64  # records per batch
RECORD_BYTES = 4096  # one batch is 256 KiB
WARMUP_S = 1.0
MEASURE_S = 4.0
RSS_GROWTH_LIMIT_KIB = 32 * 1024  # unbounded queueing would grow by hundreds of MB


def _slow_sink(value: str, context: object) -> None:
    time.sleep(0.002)  # about 500 records (8 batches, 2 MB) per second


def test_slow_remote_sink_keeps_in_flight_batches_within_credit_and_producer_memory_flat(
        process_cluster: ProcessCluster) -> None:
    from flink_py.datastream import StreamExecutionEnvironment
    from flink_py.datastream.connectors import NumberSequenceSource

    address = process_cluster.start_jobmanager()
    tm_names = {process_cluster.start_taskmanager("tm1"): "tm1",
                process_cluster.start_taskmanager("tm2"): "tm2"}
    client = process_cluster.client
    assert client is not None
    remote_env(address)
    try:
        env = StreamExecutionEnvironment.get_execution_environment()
        env.set_parallelism(1)
        env.configure({
            "taskmanager.network.memory.buffers-per-channel": str(EXCLUSIVE),
            "taskmanager.network.memory.floating-buffers-per-gate": str(FLOATING),
            "taskmanager.network.memory.max-buffers-per-channel": str(MAX_QUEUED),
            "taskmanager.network.batch.max-rows": str(ROWS),
        })
        (env.from_source(NumberSequenceSource(0, 10**12), None, "numbers")
         .map(lambda i: "x" * RECORD_BYTES, output_type=Types.STRING())
         .add_sink(_slow_sink).slot_sharing_group("sink"))
        job = env.execute_async("flow control")
        job_id = job.get_job_id()
    finally:
        set_context(None)

    def tasks() -> list:  # noqa: ANN202
        return list(client.get_job(job_id).tasks)

    wait_until(lambda: len(tasks()) == 2 and all(t.state == "RUNNING" for t in tasks()))
    source = next(t for t in tasks() if t.vertex_name.startswith("Source"))
    sink = next(t for t in tasks() if t is not source and t.vertex_id != source.vertex_id)
    assert source.tm_id != sink.tm_id, "source and sink must run in different processes"
    (producer,) = process_cluster.slot_worker_pids(tm_names[source.tm_id])

    # Let the pipeline fill up (the source back-pressured), then watch its memory.
    time.sleep(WARMUP_S)
    baseline = rss_kib(producer)
    peak = baseline
    end = time.monotonic() + MEASURE_S
    while time.monotonic() < end:
        peak = max(peak, rss_kib(producer))
        assert peak - baseline < RSS_GROWTH_LIMIT_KIB, (
            f"producer RSS grew from {baseline} KiB to {peak} KiB while the sink was slow")
        time.sleep(0.1)
    assert client.get_job(job_id).info.state == "RUNNING"

    client.cancel(job_id)
    wait_until(lambda: client.get_job(job_id).info.state == "CANCELED", timeout=20)
    final = {t.vertex_id: dict(t.metrics) for t in tasks()}
    src_m, sink_m = final[source.vertex_id], final[sink.vertex_id]

    # The receiver never held more batches on the channel than it can grant credit for,
    # and the sink was slow enough to use floating buffers on top of its exclusive ones.
    in_use = sink_m["maxInputBuffersInUsePerChannel"]
    assert EXCLUSIVE < in_use <= EXCLUSIVE + FLOATING, sink_m
    # End to end: every batch the producer handed over is processed, in flight under
    # credit, or queued in its subpartition (at most max-buffers-per-channel).
    processed = math.ceil(sink_m["numRecordsIn"] / ROWS)
    outstanding = src_m["numBuffersOut"] - processed
    assert processed > 0 and 0 <= outstanding <= EXCLUSIVE + FLOATING + MAX_QUEUED, (src_m, sink_m)
    # The source spent most of the run waiting for credit.
    assert src_m["accumulateBackPressuredTimeMs"] > 0.5 * MEASURE_S * 1000, src_m
