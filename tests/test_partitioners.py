"""Tests for flink_py.common.runtime.partitioners (Flink semantics §1.3)."""

from __future__ import annotations

import enum
import operator
from collections import Counter
from typing import Any

import cloudpickle
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flink_py.common.runtime import partitioners as parts
from flink_py.common.runtime.keygroups import assign_key_to_parallel_operator
from flink_py.common.runtime.partitioners import (
    BroadcastPartitioner,
    CustomPartitionerWrapper,
    ForwardPartitioner,
    GlobalPartitioner,
    KeyGroupStreamPartitioner,
    Partitioner,
    RebalancePartitioner,
    RescalePartitioner,
    ShufflePartitioner,
    rescale_sources,
    rescale_targets,
)


def run(p: Partitioner, batch: list[Any], n: int | None = None) -> list[list[Any]]:
    """Partition one batch over ``n`` (default: p.num_channels) fresh lists."""
    out: list[list[Any]] = [[] for _ in range(n if n is not None else p.num_channels)]
    p.partition(batch, out)
    return out


def first_key(record: tuple[Any, ...]) -> Any:
    return record[0]


def mod_partition(key: int, num_partitions: int) -> int:
    return key % num_partitions


class ModPartitioner:
    """PyFlink-style Partitioner object."""

    def partition(self, key: int, num_partitions: int) -> int:
        return (key * 7) % num_partitions


def make_all() -> list[Partitioner]:
    return [
        ForwardPartitioner(),
        RebalancePartitioner(),
        RescalePartitioner(),
        ShufflePartitioner(seed=1),
        BroadcastPartitioner(),
        GlobalPartitioner(),
        KeyGroupStreamPartitioner(lambda r: r[0], 128),
        CustomPartitionerWrapper(lambda k, n: k % n, lambda r: r[0]),
    ]


# ---------------------------------------------------------------------------
# names and flags


def test_names_match_flink() -> None:
    assert [repr(p) for p in make_all()] == [
        "FORWARD",
        "REBALANCE",
        "RESCALE",
        "SHUFFLE",
        "BROADCAST",
        "GLOBAL",
        "HASH",
        "CUSTOM",
    ]
    assert str(GlobalPartitioner()) == "GLOBAL"
    assert KeyGroupStreamPartitioner.name == "HASH"


def test_broadcast_and_pointwise_flags() -> None:
    flags = {p.name: (p.is_broadcast, p.is_pointwise) for p in make_all()}
    assert flags == {
        "FORWARD": (False, True),
        "REBALANCE": (False, False),
        "RESCALE": (False, True),
        "SHUFFLE": (False, False),
        "BROADCAST": (True, False),
        "GLOBAL": (False, False),
        "HASH": (False, False),
        "CUSTOM": (False, False),
    }


def test_setup_rejects_zero_channels() -> None:
    with pytest.raises(ValueError, match="at least one channel"):
        RebalancePartitioner().setup(0, 0)


# ---------------------------------------------------------------------------
# forward / global / broadcast


def test_forward_sends_everything_to_its_single_channel() -> None:
    p = ForwardPartitioner()
    p.setup(1, 3)
    assert run(p, [1, 2, 3]) == [[1, 2, 3]]
    assert p.select_channel("x") == 0
    assert p.sender_index == 3


def test_global_sends_everything_to_channel_0() -> None:
    p = GlobalPartitioner()
    p.setup(4, 2)
    assert run(p, list(range(10))) == [list(range(10)), [], [], []]
    assert p.select_channel(99) == 0


def test_broadcast_sends_every_record_to_every_channel() -> None:
    p = BroadcastPartitioner()
    p.setup(3, 0)
    out = run(p, ["a", "b", "c"])
    assert out == [["a", "b", "c"]] * 3
    with pytest.raises(NotImplementedError, match="does not support select channels"):
        p.select_channel("a")


# ---------------------------------------------------------------------------
# rebalance / rescale


class _FixedRandom:
    """Stand-in for random.Random whose randrange always returns 2."""

    def randrange(self, n: int) -> int:
        assert n == 4
        return 2


def test_rebalance_round_robin_from_random_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts.random, "Random", _FixedRandom)
    p = RebalancePartitioner()
    p.setup(4, 0)
    # Flink: nextChannel = random.nextInt(4) == 2; the first record goes to 3.
    out = run(p, list(range(8)))
    assert out == [[1, 5], [2, 6], [3, 7], [0, 4]]


def test_rebalance_8_records_over_4_channels_gives_2_each() -> None:
    p = RebalancePartitioner()
    p.setup(4, 1)
    out = run(p, list(range(8)))
    assert [len(o) for o in out] == [2, 2, 2, 2]
    # Round robin: consecutive records land on consecutive channels.
    where = {r: c for c, recs in enumerate(out) for r in recs}
    assert all(where[i + 1] == (where[i] + 1) % 4 for i in range(7))


@given(st.lists(st.integers(0, 30), max_size=8), st.integers(1, 7))
def test_rebalance_continues_across_batches(sizes: list[int], n: int) -> None:
    p = RebalancePartitioner()
    p.setup(n, 0)
    single = p.copy()
    single.setup(n, 0)
    single._next = p._next  # same random start
    records = list(range(sum(sizes)))
    merged: list[list[int]] = [[] for _ in range(n)]
    pos = 0
    for size in sizes:
        p.partition(records[pos : pos + size], merged)
        pos += size
    assert merged == run(single, records)
    # select_channel follows the same rotation as partition.
    expected_next = [(single._next + 1 + i) % n for i in range(5)]
    assert [single.select_channel(None) for _ in range(5)] == expected_next
    counts = [len(o) for o in merged]
    assert max(counts) - min(counts) <= 1


def test_rescale_round_robin_starts_at_local_channel_0() -> None:
    p = RescalePartitioner()
    p.setup(2, 1)
    assert run(p, ["a", "b", "c", "d", "e"]) == [["a", "c", "e"], ["b", "d"]]
    assert run(p, ["f"]) == [[], ["f"]]
    assert p.select_channel("g") == 0


def test_rescale_targets_known_cases() -> None:
    # S=2 -> R=4: each sender feeds two receivers.
    assert [rescale_targets(i, 2, 4) for i in range(2)] == [[0, 1], [2, 3]]
    assert [rescale_sources(j, 2, 4) for j in range(4)] == [[0], [0], [1], [1]]
    # S=4 -> R=2: receiver j consumes senders [j*S//R, (j+1)*S//R).
    assert [rescale_targets(i, 4, 2) for i in range(4)] == [[0], [0], [1], [1]]
    assert [rescale_sources(j, 4, 2) for j in range(2)] == [[0, 1], [2, 3]]
    # S=3 -> R=5: sender i feeds [ceil(i*5/3), ceil((i+1)*5/3)) (Flink uses ceil).
    assert [rescale_targets(i, 3, 5) for i in range(3)] == [[0, 1], [2, 3], [4]]
    assert [rescale_sources(j, 3, 5) for j in range(5)] == [[0], [0], [1], [1], [2]]
    # S=5 -> R=3: receivers consume [0,1), [1,3), [3,5).
    assert [rescale_sources(j, 5, 3) for j in range(3)] == [[0], [1, 2], [3, 4]]
    assert [rescale_targets(i, 5, 3) for i in range(5)] == [[0], [1], [1], [2], [2]]
    # Equal parallelism is one-to-one.
    assert [rescale_targets(i, 3, 3) for i in range(3)] == [[0], [1], [2]]


def test_rescale_targets_and_sources_are_consistent() -> None:
    for s in range(1, 13):
        for r in range(1, 13):
            edges_from_senders = {(i, j) for i in range(s) for j in rescale_targets(i, s, r)}
            edges_from_receivers = {(i, j) for j in range(r) for i in rescale_sources(j, s, r)}
            assert edges_from_senders == edges_from_receivers, (s, r)
            # Every receiver has at least one sender, every sender a receiver.
            assert {j for _, j in edges_from_senders} == set(range(r))
            assert {i for i, _ in edges_from_senders} == set(range(s))
            if s >= r:
                assert all(len(rescale_targets(i, s, r)) == 1 for i in range(s))
            else:
                assert all(len(rescale_sources(j, s, r)) == 1 for j in range(r))
                sizes = [len(rescale_targets(i, s, r)) for i in range(s)]
                assert max(sizes) - min(sizes) <= 1


def test_rescale_argument_checks() -> None:
    with pytest.raises(ValueError):
        rescale_targets(2, 2, 4)
    with pytest.raises(ValueError):
        rescale_sources(-1, 2, 4)
    with pytest.raises(ValueError):
        rescale_targets(0, 0, 4)


# ---------------------------------------------------------------------------
# shuffle


def test_shuffle_covers_all_channels_and_keeps_order() -> None:
    p = ShufflePartitioner(seed=7)
    p.setup(4, 0)
    records = list(range(1000))
    out = run(p, records)
    assert all(len(o) > 0 for o in out)
    assert sorted(r for o in out for r in o) == records
    assert all(o == sorted(o) for o in out)
    assert all(150 < len(o) < 350 for o in out)


def test_shuffle_seeded_streams_are_per_sender_and_reproducible() -> None:
    def outcome(sender: int) -> list[list[int]]:
        p = ShufflePartitioner(seed=3)
        p.setup(3, sender)
        return run(p, list(range(50)))

    assert outcome(0) == outcome(0)
    assert outcome(0) != outcome(1)
    p = ShufflePartitioner(seed=3)
    p.setup(3, 0)
    assert all(0 <= p.select_channel(None) < 3 for _ in range(100))


# ---------------------------------------------------------------------------
# keyBy


def test_key_group_partitioner_routes_by_key_group() -> None:
    m, n = 128, 4
    p = KeyGroupStreamPartitioner(first_key, m)
    p.setup(n, 0)
    keys: list[Any] = ["hello", "Flink", 1, 1.0, True, -7, b"x", ("a", 2), ["l"], 2**70]
    records = [(k, i) for i, k in enumerate(keys * 3)]
    out = run(p, records)
    for ch, recs in enumerate(out):
        for rec in recs:
            assert assign_key_to_parallel_operator(rec[0], m, n) == ch
    assert sum(len(o) for o in out) == len(records)
    for recs in out:  # per-channel order preserved
        assert [r[1] for r in recs] == sorted(r[1] for r in recs)
    assert p.select_channel(("hello", 0)) == assign_key_to_parallel_operator("hello", m, n)


@given(st.lists(st.text(max_size=6), max_size=60), st.integers(1, 16))
def test_key_group_partitioner_matches_assignment(words: list[str], n: int) -> None:
    p = KeyGroupStreamPartitioner(operator.itemgetter(0), 64)
    p.setup(n, 0)
    out = run(p, [(w, 1) for w in words])
    assert [sorted(w for w, _ in o) for o in out] == [
        sorted(w for w in words if assign_key_to_parallel_operator(w, 64, n) == ch)
        for ch in range(n)
    ]


def test_key_group_partitioner_single_channel_and_errors() -> None:
    p = KeyGroupStreamPartitioner(first_key, 128)
    with pytest.raises(RuntimeError, match="before setup"):
        run(p, [("a", 1)], 2)
    p.setup(1, 0)
    assert run(p, [("a", 1), ("b", 2)]) == [[("a", 1), ("b", 2)]]
    p.setup(3, 0)
    with pytest.raises(ValueError, match="must not be null"):
        run(p, [(None, 1)])
    with pytest.raises(ValueError, match="higher than the max parallelism"):
        KeyGroupStreamPartitioner(first_key, 4).setup(5, 0)
    with pytest.raises(ValueError, match="1..32768"):
        KeyGroupStreamPartitioner(first_key, 0)


def test_key_group_partitioner_configure_changes_max_parallelism() -> None:
    p = KeyGroupStreamPartitioner(first_key, 128)
    p.setup(8, 0)
    p.configure(1024)
    assert p.max_parallelism == 1024
    assert p.select_channel(("k", 0)) == assign_key_to_parallel_operator("k", 1024, 8)


# ---------------------------------------------------------------------------
# custom


def test_custom_partitioner_with_callable_matches_formula() -> None:
    p = CustomPartitionerWrapper(mod_partition, first_key)
    p.setup(3, 0)
    records = [(k, str(k)) for k in range(10)]
    out = run(p, records)
    assert out == [[r for r in records if r[0] % 3 == ch] for ch in range(3)]
    assert p.select_channel((8, "8")) == 2


def test_custom_partitioner_with_partition_object() -> None:
    p = CustomPartitionerWrapper(ModPartitioner(), first_key)
    p.setup(4, 0)
    records = [(k, None) for k in range(12)]
    out = run(p, records)
    assert out == [[r for r in records if (r[0] * 7) % 4 == ch] for ch in range(4)]


def test_custom_partitioner_accepts_int_like_channels() -> None:
    class Ch(enum.IntEnum):
        ONE = 1

    p = CustomPartitionerWrapper(lambda k, n: Ch.ONE, first_key)
    p.setup(2, 0)
    assert run(p, [(0, 0)]) == [[], [(0, 0)]]


@pytest.mark.parametrize("bad", [3, -1, 7, "1", 1.0, None, True])
def test_custom_partitioner_out_of_range_raises(bad: Any) -> None:
    p = CustomPartitionerWrapper(lambda k, n: bad, first_key)
    p.setup(3, 0)
    with pytest.raises(ValueError, match=f"returned channel {bad!r}"):
        run(p, [(1, 1)])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        p.select_channel((1, 1))


def test_custom_partitioner_rejects_non_callable() -> None:
    with pytest.raises(TypeError, match="partitioner must be"):
        CustomPartitionerWrapper(42, first_key)


# ---------------------------------------------------------------------------
# common behaviour


def test_all_partitioners_survive_cloudpickle_before_and_after_setup() -> None:
    records = [(i % 5, i) for i in range(40)]
    for proto in make_all():
        n = 1 if proto.is_pointwise and proto.name == "FORWARD" else 4
        shipped = cloudpickle.loads(cloudpickle.dumps(proto))
        shipped.setup(n, 0)
        assert repr(shipped) == repr(proto)
        out = run(shipped, records)
        again = cloudpickle.loads(cloudpickle.dumps(shipped))
        assert again.num_channels == n
        out2 = run(again, records)
        if proto.name in ("FORWARD", "GLOBAL", "BROADCAST", "HASH", "CUSTOM"):
            assert out2 == out, proto.name  # deterministic partitioners
        total = sum(len(o) for o in out2)
        assert total == len(records) * (n if proto.is_broadcast else 1), proto.name


def test_copy_gives_an_independent_unset_instance() -> None:
    p = KeyGroupStreamPartitioner(first_key, 128)
    p.setup(4, 2)
    q = p.copy()
    assert q.num_channels == 0
    assert q.key_selector is p.key_selector
    q.setup(2, 0)
    assert p.num_channels == 4
    ch = assign_key_to_parallel_operator("a", 128, 2)
    assert run(q, [("a", 1)])[ch] == [("a", 1)]
    r = RebalancePartitioner()
    r.setup(3, 0)
    assert r.copy()._next == -1


@pytest.mark.parametrize("name", ["REBALANCE", "RESCALE", "SHUFFLE", "HASH", "CUSTOM", "GLOBAL"])
def test_every_record_delivered_exactly_once_in_order(name: str) -> None:
    p = next(x for x in make_all() if x.name == name)
    p.setup(5, 0)
    records = [(i, i) for i in range(123)]
    out = run(p, records)
    flat = [r for o in out for r in o]
    assert Counter(flat) == Counter(records)
    for o in out:
        assert o == sorted(o)


def test_empty_batch_is_a_no_op() -> None:
    for p in make_all():
        p.setup(1 if p.name == "FORWARD" else 3, 0)
        assert all(o == [] for o in run(p, []))


_MIXED_KEYS = st.one_of(st.text(max_size=4), st.integers(-(2**40), 2**40), st.booleans(),
                        st.floats(allow_nan=False), st.binary(max_size=3),
                        st.tuples(st.text(max_size=2), st.integers(-5, 5)))


@given(st.lists(_MIXED_KEYS, max_size=40), st.integers(2, 9))
def test_inlined_key_selector_routes_every_key_type_by_its_key_group(keys: list, n: int) -> None:
    # ``lambda r: r[0]`` is written into the routing loop; memoised exact keys and
    # the others (bool, float: equal to an int but hashed differently) must all
    # land where Flink's assignment puts them.
    p = KeyGroupStreamPartitioner(lambda r: r[0], 64)
    p.setup(n, 0)
    records = [(k, i) for i, k in enumerate(keys)]
    out = run(p, records + records)  # the second pass hits the memo
    expected = [[r for r in records + records
                 if assign_key_to_parallel_operator(r[0], 64, n) == ch] for ch in range(n)]
    assert out == expected
