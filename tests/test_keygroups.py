"""Tests for flink_py.common.runtime.keygroups (Flink semantics §2)."""

from __future__ import annotations

import collections
import decimal
import enum
import fractions
import os
import pickle
import subprocess
import sys
import zlib
from typing import Any

import cloudpickle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flink_py.common.runtime import keygroups
from flink_py.common.runtime.keygroups import (
    DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
    UPPER_BOUND_MAX_PARALLELISM,
    KeyGroupCache,
    KeyGroupRange,
    assign_key_to_parallel_operator,
    assign_to_key_group,
    check_max_parallelism,
    compute_key_group_for_key_hash,
    compute_operator_index_for_key_group,
    default_max_parallelism,
    java_hash,
    key_group_range_for_operator_index,
    key_hash,
    murmur_hash,
    round_up_to_power_of_two,
)

MASK = 0xFFFFFFFF


# ---------------------------------------------------------------------------
# independent reference implementations (straight transcriptions of Java)


def _i32(x: int) -> int:
    """Java (int) cast."""
    x &= MASK
    return x - (1 << 32) if x & 0x80000000 else x


def _rotl(x: int, r: int) -> int:
    x &= MASK
    return _i32((x << r) | (x >> (32 - r)))


def _urshift(x: int, n: int) -> int:
    return (x & MASK) >> n


def ref_murmur(code: int) -> int:
    """MathUtils.murmurHash, one Java statement per line."""
    code = _i32(code * _i32(0xCC9E2D51))
    code = _rotl(code, 15)
    code = _i32(code * 0x1B873593)
    code = _rotl(code, 13)
    code = _i32(code * 5 + _i32(0xE6546B64))
    code ^= 4
    code = _i32(code ^ _urshift(code, 16))
    code = _i32(code * _i32(0x85EBCA6B))
    code = _i32(code ^ _urshift(code, 13))
    code = _i32(code * _i32(0xC2B2AE35))
    code = _i32(code ^ _urshift(code, 16))
    if code >= 0:
        return code
    if code != -(2**31):
        return -code
    return 0


def ref_string_hash(s: str) -> int:
    """String.hashCode over UTF-16 code units, computed char by char."""
    h = 0
    for ch in s:
        cp = ord(ch)
        if cp >= 0x10000:
            cp -= 0x10000
            units = [0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)]
        else:
            units = [cp]
        for u in units:
            h = _i32(31 * h + u)
    return h


def ref_long_hash(v: int) -> int:
    """Long.hashCode: (int)(value ^ (value >>> 32))."""
    u = v & 0xFFFFFFFFFFFFFFFF
    return _i32(u ^ (u >> 32))


def ref_bytes_hash(data: bytes) -> int:
    """Arrays.hashCode(byte[])."""
    h = 1
    for b in data:
        h = _i32(31 * h + (b - 256 if b > 127 else b))
    return h


def murmur_preimage(target: int) -> int:
    """Invert murmur's mixing steps: the 32-bit input whose mixed value is ``target``."""
    inv = lambda c: pow(c, -1, 1 << 32)  # noqa: E731
    rotr = lambda x, r: ((x >> r) | (x << (32 - r))) & MASK  # noqa: E731
    h = target & MASK
    h ^= h >> 16
    h = (h * inv(0xC2B2AE35)) & MASK
    h ^= h >> 13
    h ^= h >> 26
    h = (h * inv(0x85EBCA6B)) & MASK
    h ^= h >> 16
    h ^= 4
    h = ((h - 0xE6546B64) * inv(5)) & MASK
    k = rotr(h, 13)
    k = (k * inv(0x1B873593)) & MASK
    k = rotr(k, 15)
    k = (k * inv(0xCC9E2D51)) & MASK
    return _i32(k)


# ---------------------------------------------------------------------------
# murmur


def test_murmur_matches_murmur3_x86_32_test_vectors() -> None:
    # SMHasher / MurmurHash3_x86_32 (seed 0) over 4 little-endian bytes.
    assert murmur_hash(0) == 0x2362F9DE  # 00 00 00 00
    assert murmur_hash(-1) == 0x76293B50  # ff ff ff ff
    # 21 43 65 87 -> 0xF55B516B, negative as a Java int, so Flink negates it.
    assert murmur_hash(_i32(0x87654321)) == (1 << 32) - 0xF55B516B
    assert murmur_hash(_i32(0x87654321)) == 0x0AA4AE95


def test_murmur_only_low_32_bits_count() -> None:
    assert murmur_hash(0xFFFFFFFF) == murmur_hash(-1)
    assert murmur_hash(1 << 32) == murmur_hash(0)


def test_murmur_min_value_maps_to_zero() -> None:
    pre = murmur_preimage(0x80000000)
    assert pre != 0
    assert murmur_hash(pre) == 0
    assert ref_murmur(pre) == 0
    # And a mixed value of MIN_VALUE + 1 is negated.
    assert murmur_hash(murmur_preimage(0x80000001)) == 0x7FFFFFFF


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_murmur_matches_java_transcription(code: int) -> None:
    got = murmur_hash(code)
    assert got == ref_murmur(code)
    assert 0 <= got < 2**31


# ---------------------------------------------------------------------------
# java_hash


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("", 0),
        ("a", 97),
        ("ab", 3105),
        ("hello", 99162322),
        ("Flink", 67968320),
        ("\u00e9", 0xE9),
        ("\U0001f600", 0xD83D * 31 + 0xDE00),  # surrogate pair, as in Java
        ("\ud83d", 0xD83D),  # a lone surrogate is one code unit
    ],
)
def test_string_hash_known_values(s: str, expected: int) -> None:
    assert java_hash(s) == expected


def test_string_hash_long_strings_wrap_like_java() -> None:
    for n in (39, 40, 41, 100, 4095, 4096, 4097, 10_000):
        s = "".join(chr(32 + (i * 7) % 90) for i in range(n))
        assert java_hash(s) == ref_string_hash(s), n
        t = "\u4e2d\U0001f600x" * (n // 3 + 1)
        assert java_hash(t) == ref_string_hash(t), n
    # A classic wrap-around case: Java "polygenelubricants".hashCode() == MIN_VALUE.
    assert java_hash("polygenelubricants") == -(2**31)


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)))
def test_string_hash_matches_reference(s: str) -> None:
    assert java_hash(s) == ref_string_hash(s)


@pytest.mark.parametrize(
    ("v", "expected"),
    [
        (0, 0),
        (1, 1),
        (2**31 - 1, 2**31 - 1),
        (-1, 0),
        (-2, 1),
        (2**31, -(2**31)),
        (2**32, 1),
        (2**63 - 1, -(2**31)),
        (-(2**63), -(2**31)),
        (2**64, 961),  # BigInteger: magnitude words [1, 0, 0]
        (-(2**64), -961),
        (2**64 + 5, 961 + 5),
    ],
)
def test_int_hash_known_values(v: int, expected: int) -> None:
    assert java_hash(v) == expected


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_hash_is_long_hashcode(v: int) -> None:
    assert java_hash(v) == ref_long_hash(v)


def test_bool_float_none_bytes_known_values() -> None:
    assert java_hash(True) == 1231
    assert java_hash(False) == 1237
    assert java_hash(None) == 0
    assert java_hash(0.0) == 0
    assert java_hash(-0.0) == -(2**31)
    assert java_hash(1.0) == 1072693248  # 0x3FF00000
    assert java_hash(1.5) == 1073217536  # 0x3FF80000
    assert java_hash(float("nan")) == 0x7FF80000
    assert java_hash(-float("nan")) == 0x7FF80000  # doubleToLongBits canonicalises NaN
    assert java_hash(b"") == 1
    assert java_hash(b"abc") == 126145
    assert java_hash(b"\xff") == 30  # 31 * 1 + (byte) -1
    assert java_hash(bytearray(b"\xff\x80")) == 802
    assert java_hash(memoryview(b"abc")) == 126145


@given(st.binary(max_size=200))
def test_bytes_hash_matches_reference(data: bytes) -> None:
    assert java_hash(data) == ref_bytes_hash(data)
    assert java_hash(bytearray(data)) == ref_bytes_hash(data)


def test_bytes_hash_long_input() -> None:
    data = bytes(range(256)) * 40
    assert java_hash(data) == ref_bytes_hash(data)


def test_tuple_hash_is_flink_tuple_hashcode() -> None:
    assert java_hash(()) == 0  # Tuple0
    assert java_hash(("a",)) == 97  # Tuple1: f0.hashCode()
    assert java_hash(("a", "b")) == 31 * 97 + 98  # Tuple2
    assert java_hash(("a", None)) == 31 * 97
    assert java_hash((None, "b")) == 98
    assert java_hash((1, 2, 3)) == (1 * 31 + 2) * 31 + 3
    assert java_hash((("a", "b"), 1)) == 31 * (31 * 97 + 98) + 1


def test_list_set_dict_hash_follow_java_collections() -> None:
    assert java_hash([]) == 1
    assert java_hash(["a", "b"]) == 31 * (31 + 97) + 98
    assert java_hash(frozenset({"a", "b"})) == 97 + 98
    assert java_hash({"b", "a"}) == 97 + 98
    assert java_hash({"a": 1, "b": 2}) == (97 ^ 1) + (98 ^ 2)


def test_subclasses_hash_like_their_base() -> None:
    class Color(enum.IntEnum):
        RED = 7

    class Name(str):
        pass

    Point = collections.namedtuple("Point", "x y")
    assert java_hash(Color.RED) == 7
    assert java_hash(Name("hello")) == 99162322
    assert java_hash(Point(1, 2)) == 31 + 2


def test_object_keys_hash_their_pickled_bytes() -> None:
    for obj in (decimal.Decimal("1.5"), fractions.Fraction(1, 3), 1 + 2j):
        expected = zlib.crc32(pickle.dumps(obj, protocol=4))
        expected = expected - (1 << 32) if expected >= 2**31 else expected
        assert java_hash(obj) == expected


def test_unpicklable_object_key_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not picklable"):
        java_hash(lambda: None)


@given(
    st.one_of(
        st.text(),
        st.integers(),
        st.booleans(),
        st.floats(),
        st.binary(),
        st.none(),
        st.tuples(st.text(), st.integers()),
        st.lists(st.integers(), max_size=5),
    )
)
def test_java_hash_is_a_signed_int32(key: Any) -> None:
    h = java_hash(key)
    assert -(2**31) <= h < 2**31


_SUBPROCESS_SNIPPET = """
import collections
import decimal
from flink_py.common.runtime.keygroups import java_hash, assign_to_key_group
keys = ["hello", "Flink", "\\u4e2d\\u6587", b"xyz", ("a", 1), decimal.Decimal("2.5"), 3.25, 10**30]
print([java_hash(k) for k in keys], [assign_to_key_group(k, 128) for k in keys])
"""


def test_hashes_are_identical_across_processes_with_different_hash_seeds() -> None:
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS_SNIPPET],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outputs.add(res.stdout.strip())
    assert len(outputs) == 1
    hashes = outputs.pop().split("] [")[0].lstrip("[").split(", ")
    assert int(hashes[0]) == 99162322
    assert int(hashes[1]) == 67968320


# ---------------------------------------------------------------------------
# key groups


def test_key_group_of_a_java_hash_known_values() -> None:
    # murmur(0) == 0x2362F9DE; 0xDE % 128 == 94. murmur(-1) == 0x76293B50; 0x50 == 80.
    assert compute_key_group_for_key_hash(0, 128) == 0x2362F9DE % 128 == 94
    assert compute_key_group_for_key_hash(-1, 128) == 80
    assert compute_key_group_for_key_hash(-1, 1000) == 0x76293B50 % 1000
    assert compute_key_group_for_key_hash(99162322, 128) == ref_murmur(99162322) % 128


#: Subtask of each key at parallelism 2, max parallelism 128, observed on real PyFlink 2.3
#: (``key_by(lambda x: x)`` without ``key_type``; ``get_index_of_this_subtask`` of a
#: KeyedProcessFunction).
PYFLINK_PLACEMENT: list[tuple[Any, int]] = [  # pairs: True == 1 as dict keys
    ("a", 0), ("b", 0), ("c", 0), ("d", 0), ("e", 1), ("f", 1), ("g", 1), ("h", 1), ("i", 0),
    ("j", 1), (0, 0), (1, 0), (2, 0), (3, 1), (17, 0), (12345, 1), (-5, 1), (2**40, 0),
    (("a", 1), 0), (("b", 2), 1), (("x", "y"), 1), (1.5, 0), (True, 1),
]


def test_keys_are_placed_as_real_pyflink_places_them() -> None:
    cache = KeyGroupCache(128, 2)
    for key, subtask in PYFLINK_PLACEMENT:
        assert assign_key_to_parallel_operator(key, 128, 2) == subtask, key
        assert cache.channel_for(key) == subtask, key
    # PyFlink hashes Row(pickled key): 62 + Arrays.hashCode(pickle.dumps(key, protocol=5))
    assert key_hash(0) == 62 + java_hash(pickle.dumps(0, protocol=5))
    assert assign_to_key_group("hello", 128) == murmur_hash(key_hash("hello")) % 128


def test_declared_key_types_are_placed_by_their_java_hash_as_pyflink() -> None:
    from flink_py.common import Types

    # real PyFlink 2.3, parallelism 2: key_by(..., key_type=Types.STRING()) on "a".."j" and
    # key_type=Types.INT() on 0..7 (62 + String.hashCode / Integer.hashCode of the key)
    strings = KeyGroupCache(128, 2, key_type=Types.STRING())
    assert "".join(str(strings.channel_for(k)) for k in "abcdefghij") == "1101110000"
    ints = KeyGroupCache(128, 2, key_type=Types.INT())
    assert [ints.channel_for(k) for k in range(8)] == [0, 0, 1, 1, 0, 0, 1, 0]
    # a value that is not of the declared type is placed by its pickle, as an untyped key
    assert strings.channel_for(12345) == assign_key_to_parallel_operator(12345, 128, 2)
    typed = keygroups.key_hasher(Types.STRING())
    assert assign_to_key_group("a", 128, typed) != assign_to_key_group("a", 128)
    assert keygroups.key_hasher(None) is key_hash
    assert keygroups.key_hasher(Types.PICKLED_BYTE_ARRAY()) is key_hash


def test_key_hash_does_not_depend_on_object_identity() -> None:
    shared = "k" * 20
    same = (shared, shared)
    distinct = (shared, "".join(["k"] * 20))
    assert same == distinct and same[0] is same[1] and distinct[0] is not distinct[1]
    assert key_hash(same) == key_hash(distinct)
    keygroups._key_hash_memo.clear()  # noqa: SLF001 - compute again, not from the memo
    assert key_hash(distinct) == key_hash(same)


def test_null_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be null"):
        assign_to_key_group(None, 128)
    with pytest.raises(ValueError, match="must not be null"):
        assign_key_to_parallel_operator(None, 128, 4)
    with pytest.raises(ValueError, match="must not be null"):
        KeyGroupCache(128, 4).channel_for(None)


def test_operator_index_for_key_group_boundaries() -> None:
    assert [compute_operator_index_for_key_group(128, 3, g) for g in (0, 42, 43, 85, 86, 127)] == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]
    assert compute_operator_index_for_key_group(128, 1, 127) == 0
    assert compute_operator_index_for_key_group(128, 128, 77) == 77


def test_key_group_ranges_m128_p3() -> None:
    ranges = [key_group_range_for_operator_index(128, 3, i) for i in range(3)]
    assert ranges == [KeyGroupRange(0, 42), KeyGroupRange(43, 85), KeyGroupRange(86, 127)]
    assert [len(r) for r in ranges] == [43, 43, 42]


def test_key_group_ranges_skew_m512_p180() -> None:
    sizes = [len(key_group_range_for_operator_index(512, 180, i)) for i in range(180)]
    assert set(sizes) == {2, 3}
    assert sizes.count(3) == 512 - 2 * 180
    assert sizes.count(2) == 180 - (512 - 2 * 180)


def test_key_group_range_argument_checks() -> None:
    with pytest.raises(ValueError, match="smaller than parallelism"):
        key_group_range_for_operator_index(4, 5, 0)
    with pytest.raises(ValueError, match="not within"):
        key_group_range_for_operator_index(128, 3, 3)
    with pytest.raises(ValueError):
        key_group_range_for_operator_index(128, 0, 0)
    with pytest.raises(ValueError):
        key_group_range_for_operator_index(32769, 3, 0)


@settings(max_examples=300)
@given(st.data())
def test_operator_index_lies_in_its_range(data: st.DataObject) -> None:
    m = data.draw(st.integers(1, UPPER_BOUND_MAX_PARALLELISM), label="M")
    p = data.draw(st.integers(1, m), label="P")
    g = data.draw(st.integers(0, m - 1), label="key group")
    idx = compute_operator_index_for_key_group(m, p, g)
    assert 0 <= idx < p
    assert g in key_group_range_for_operator_index(m, p, idx)


@settings(max_examples=100)
@given(st.data())
def test_ranges_partition_key_groups_contiguously(data: st.DataObject) -> None:
    m = data.draw(st.integers(1, 2048), label="M")
    p = data.draw(st.integers(1, m), label="P")
    ranges = [key_group_range_for_operator_index(m, p, i) for i in range(p)]
    assert ranges[0].start == 0
    assert ranges[-1].end == m - 1
    for prev, nxt in zip(ranges, ranges[1:]):
        assert nxt.start == prev.end + 1
    assert all(len(r) >= 1 for r in ranges)
    assert max(len(r) for r in ranges) - min(len(r) for r in ranges) <= 1


@given(st.text(), st.integers(1, 4096), st.data())
def test_assign_key_to_parallel_operator_composes(key: str, m: int, data: st.DataObject) -> None:
    p = data.draw(st.integers(1, m))
    g = assign_to_key_group(key, m)
    assert 0 <= g < m
    assert assign_key_to_parallel_operator(key, m, p) == compute_operator_index_for_key_group(
        m, p, g
    )


# ---------------------------------------------------------------------------
# max parallelism


@pytest.mark.parametrize(
    ("p", "expected"),
    [(1, 128), (2, 128), (85, 128), (86, 256), (100, 256), (171, 256), (180, 512), (21845, 32768),
     (21846, 32768), (32768, 32768)],
)
def test_default_max_parallelism(p: int, expected: int) -> None:
    assert default_max_parallelism(p) == expected


def test_default_max_parallelism_rejects_bad_parallelism() -> None:
    for bad in (0, -1, 32769):
        with pytest.raises(ValueError, match="parallelism not within bounds"):
            default_max_parallelism(bad)


def test_check_max_parallelism() -> None:
    assert check_max_parallelism(1) == 1
    assert check_max_parallelism(32768) == 32768
    assert DEFAULT_LOWER_BOUND_MAX_PARALLELISM == 128
    for bad in (0, -5, 32769, True, 1.5, "128", None):
        with pytest.raises(ValueError, match="1..32768"):
            check_max_parallelism(bad)  # type: ignore[arg-type]


def test_round_up_to_power_of_two() -> None:
    assert [round_up_to_power_of_two(x) for x in (1, 2, 3, 4, 5, 127, 128, 129, 150)] == [
        1,
        2,
        4,
        4,
        8,
        128,
        128,
        256,
        256,
    ]


# ---------------------------------------------------------------------------
# KeyGroupRange


def test_key_group_range_container_protocol() -> None:
    r = KeyGroupRange(3, 6)
    assert list(r) == [3, 4, 5, 6]
    assert len(r) == 4
    assert r.number_of_key_groups == 4
    assert 3 in r and 6 in r
    assert 2 not in r and 7 not in r
    assert "4" not in r
    assert r.intersection(KeyGroupRange(5, 10)) == KeyGroupRange(5, 6)
    assert r.intersection(KeyGroupRange(7, 10)) == KeyGroupRange.EMPTY
    assert KeyGroupRange.EMPTY == KeyGroupRange(0, -1)
    assert len(KeyGroupRange.EMPTY) == 0
    assert list(KeyGroupRange.EMPTY) == []
    assert str(r) == "KeyGroupRange{startKeyGroup=3, endKeyGroup=6}"
    assert pickle.loads(pickle.dumps(r)) == r
    assert hash(KeyGroupRange(3, 6)) == hash(r)


def test_key_group_range_validation() -> None:
    with pytest.raises(ValueError):
        KeyGroupRange(-1, 3)
    with pytest.raises(ValueError):
        KeyGroupRange(5, 2)


# ---------------------------------------------------------------------------
# KeyGroupCache

_cache_keys = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.binary(max_size=10),
    st.tuples(st.text(max_size=5), st.one_of(st.integers(), st.booleans(), st.floats(), st.none())),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=200)
@given(st.lists(_cache_keys, max_size=40), st.integers(1, 512), st.data())
def test_cache_agrees_with_uncached_function(keys: list[Any], m: int, data: st.DataObject) -> None:
    p = data.draw(st.integers(1, m))
    cache = KeyGroupCache(m, p, max_entries=16)
    for key in keys + keys:  # second pass hits the memo
        assert cache.channel_for(key) == assign_key_to_parallel_operator(key, m, p)
    assert len(cache) <= 16


def test_cache_does_not_conflate_equal_python_keys_with_different_java_hashes() -> None:
    # 1 == 1.0 == True and 0.0 == -0.0 in Python, but their Java hashes differ.
    m, p = 128, 128
    cache = KeyGroupCache(m, p)
    keys: list[Any] = [1, 1.0, True, 0, 0.0, -0.0, False, ("a", 1), ("a", True), ("a", 1.0)]
    expected = [assign_key_to_parallel_operator(k, m, p) for k in keys]
    assert len(set(expected)) > 3  # the keys really do route differently
    for _ in range(2):
        assert [cache.channel_for(k) for k in keys] == expected


def test_cache_is_bounded_and_memoises() -> None:
    cache = KeyGroupCache(128, 4, max_entries=3)
    for k in ("a", "b", "c"):
        cache.channel_for(k)
    assert len(cache) == 3
    assert set(cache.memo) == {"a", "b", "c"}
    cache.channel_for("d")  # exceeds the bound: cleared, then d stored
    assert set(cache.memo) == {"d"}
    cache.channel_for(["unhashable"])
    cache.channel_for(2.5)
    assert set(cache.memo) == {"d"}
    cache.clear()
    assert len(cache) == 0


def test_cache_validation_and_pickling() -> None:
    with pytest.raises(ValueError, match="higher than the max parallelism"):
        KeyGroupCache(4, 5)
    with pytest.raises(ValueError):
        KeyGroupCache(0, 1)
    cache = KeyGroupCache(256, 7, max_entries=50)
    cache.channel_for("x")
    clone = cloudpickle.loads(cloudpickle.dumps(cache))
    assert (clone.max_parallelism, clone.parallelism, clone.max_entries) == (256, 7, 50)
    assert len(clone) == 0
    assert clone.channel_for("x") == cache.channel_for("x")
    assert repr(clone) == "KeyGroupCache(max_parallelism=256, parallelism=7, entries=1)"
