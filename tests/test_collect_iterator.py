"""CollectIterator releases what it holds deterministically, never inside a finalizer."""

from __future__ import annotations

import gc
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from flink_py.client.cluster_client import CollectIterator, JobExecutionException


class _FinishedClient:
    """A job that produced nothing more and ends FAILED (or FINISHED)."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def fetch_collect(self, job_id: str, collect_id: str) -> Any:
        return SimpleNamespace(payloads=[], finished=True)

    def wait(self, job_id: str) -> None:
        if self.fail:
            raise JobExecutionException(job_id, "FAILED", "boom", "")


@pytest.mark.parametrize("fail", [True, False])
def test_the_end_of_the_job_closes_the_iterator_even_when_it_failed(fail: bool) -> None:
    closed: list[str] = []
    it = CollectIterator(_FinishedClient(fail), "job", "c", on_close=lambda: closed.append("x"))
    if fail:
        with pytest.raises(JobExecutionException, match="boom"):
            next(it)
    else:
        assert list(it) == []
    assert closed == ["x"]  # at once, not when the iterator is garbage collected


def test_a_dropped_iterator_is_closed_by_the_closer_thread() -> None:
    # Closing may stop an embedded cluster (joins threads, starts gRPC shutdown
    # threads): a finalizer must not do it in place.
    done = threading.Event()
    where: list[str] = []

    def on_close() -> None:
        where.append(threading.current_thread().name)
        done.set()

    it = CollectIterator(SimpleNamespace(), "job", "c", on_close=on_close)
    it._done = True
    del it
    gc.collect()
    assert done.wait(timeout=10)
    assert where == ["collect-closer"]
