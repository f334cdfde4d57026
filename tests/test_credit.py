"""Credit-based flow control state machines (no sockets)."""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.taskmanager.network.credit import GateCredits, SenderCredit
from flink_py.taskmanager.network.gate import KIND_DATA, InputGate
from flink_py.taskmanager.network.partition import PartitionRegistry, ResultPartition


def test_sender_sends_data_only_against_credit_and_events_without() -> None:
    s = SenderCredit()
    s.add_data("b1")
    s.add_data("b2")
    assert s.poll() is None  # no credit yet
    s.add_credit(1)
    assert s.poll() == (True, "b1", 1)  # backlog piggybacked: one more queued
    assert s.poll() is None
    s.add_event("EOP")
    s.add_credit(1)
    assert s.poll() == (True, "b2", 0)
    assert s.poll() == (False, "EOP", 0)  # events need no credit
    assert s.credit == 0


def test_event_waits_behind_queued_data() -> None:
    s = SenderCredit()
    s.add_data("b1")
    s.add_event("barrier")
    assert s.poll() is None  # the barrier stays in order behind b1
    s.add_credit(1)
    assert [x[1] for x in s.drain()] == ["b1", "barrier"]


def test_gate_initial_credit_is_exclusive_and_backlog_draws_floating() -> None:
    g = GateCredits(2, exclusive=2, floating=3)
    assert g.initial_credit(0) == 2
    # A buffer arrives with backlog 4: the channel wants 4 + 2 buffers, holds 1 free.
    grants = g.on_buffer_received(0, backlog=4)
    assert grants == [(0, 3)]  # all three floating buffers
    assert g.floating_pool == 0


def test_floating_buffer_moves_to_the_channel_waiting_for_it() -> None:
    g = GateCredits(2, exclusive=1, floating=1)
    assert g.on_buffer_received(0, backlog=1) == [(0, 1)]  # takes the only floating buffer
    assert g.on_buffer_received(1, backlog=1) == []  # pool empty: channel 1 waits
    assert g.on_buffer_received(0, backlog=0) == []  # uses the floating buffer
    assert g.on_buffer_recycled(0) == [(0, 1)]  # exclusive buffer: back to channel 0
    # The floating buffer is not needed by channel 0 any more: it goes to channel 1.
    assert g.on_buffer_recycled(0) == [(1, 1)]
    assert g.floating_pool == 0


def test_buffer_without_credit_is_a_protocol_error() -> None:
    g = GateCredits(1, exclusive=1, floating=0)
    g.on_buffer_received(0, 0)
    with pytest.raises(RuntimeError, match="without credit"):
        g.on_buffer_received(0, 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 8), st.integers(0, 2**32))
def test_credit_loop_never_overruns_receiver(channels: int, exclusive: int, floating: int,
                                             seed: int) -> None:
    """A simulated sender/receiver pair: in-flight buffers never exceed buffers held."""
    rng = random.Random(seed)
    gate = GateCredits(channels, exclusive, floating)
    senders = [SenderCredit() for _ in range(channels)]
    for c, s in enumerate(senders):
        s.add_credit(gate.initial_credit(c))
    in_flight: list[list[int]] = [[] for _ in range(channels)]  # received, not yet recycled
    total = exclusive * channels + floating
    for _ in range(300):
        c = rng.randrange(channels)
        action = rng.random()
        if action < 0.4:
            senders[c].add_data(object())
        elif action < 0.8:
            item = senders[c].poll()
            if item is not None:
                for ch, credit in gate.on_buffer_received(c, item[2]):
                    senders[ch].add_credit(credit)
                in_flight[c].append(1)
        elif in_flight[c]:
            in_flight[c].pop()
            for ch, credit in gate.on_buffer_recycled(c):
                senders[ch].add_credit(credit)
        held = sum(len(f) for f in in_flight)
        outstanding = sum(s.credit for s in senders)
        assert all(s.credit >= 0 for s in senders)
        assert held + outstanding <= total
        assert gate.floating_pool >= 0



def test_local_channel_holds_one_batch_in_flight_and_one_queued_then_blocks() -> None:
    """``taskmanager.network.local-channel.buffers`` = 1 (the default): a producer in the
    same worker hands over one batch, queues one more, and then waits for the consumer."""
    registry = PartitionRegistry()
    key = ("job", "edge", 0, 0)
    partition = ResultPartition(key, [1])
    registry.register(partition)
    gate = InputGate(2, 8, local=1)
    channel = gate.add_local(0, key, 0, registry)
    gate.start()
    sub = partition.subpartitions[0]
    would_block = threading.Event()
    would_block.set()  # add_data raises instead of waiting when it would block
    sub.add_data(([0], None), would_block)
    sub.add_data(([1], None), would_block)
    assert gate.queue.qsize() == 1 and sub.queued() == 1  # one handed over, one queued
    with pytest.raises(InterruptedError):
        sub.add_data(([2], None), would_block)  # full: the producer would wait
    index, kind, (values, _) = gate.queue.get_nowait()
    assert (index, kind, values) == (0, KIND_DATA, [0])
    channel.recycle()  # the consumer took it: the queued batch moves on
    assert gate.queue.qsize() == 1 and sub.queued() == 0
    sub.add_data(([2], None), would_block)  # room again
    assert sub.queued() == 1
