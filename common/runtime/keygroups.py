"""Key → key group → subtask assignment (Flink semantics §2).

Flink never hashes a key straight onto a subtask. It hashes the key with
Java's ``hashCode()``, scrambles that 32-bit value with
``MathUtils.murmurHash`` and takes it modulo the *max parallelism* M to get a
**key group** in ``[0, M)``. Each parallel subtask owns a contiguous range of
key groups. This module reproduces that pipeline bit for bit:

* :func:`key_hash` is the hash a key is placed by: the one real PyFlink gives
  it (``Row.hashCode`` of the one-field row holding the key's protocol-5
  pickle), so a PyFlink job's keys land on the same subtasks. Python's built-in
  :func:`hash` is salted per process for ``str`` and ``bytes``
  (``PYTHONHASHSEED``) and must never be used for routing.
* :func:`java_hash` is a process-independent, Java-compatible ``hashCode``
  (Java's ``HashMap`` order of printed maps).
* :func:`murmur_hash` is ``MathUtils.murmurHash(int)``.
* :func:`assign_to_key_group`, :func:`compute_operator_index_for_key_group`,
  :func:`key_group_range_for_operator_index` and
  :func:`default_max_parallelism` are the ``KeyGroupRangeAssignment``
  functions.
* :class:`KeyGroupCache` memoises key → subtask for the record hot path.

Everything here is a pure function of its arguments, so every process (client,
JobManager, every TaskManager) computes the same placement.
"""

from __future__ import annotations

import dataclasses
import pickle
import struct
import sys
import zlib
from collections.abc import Callable, Hashable, Iterator
from operator import mul
from typing import Any, ClassVar, Final

__all__ = [
    "DEFAULT_LOWER_BOUND_MAX_PARALLELISM",
    "UPPER_BOUND_MAX_PARALLELISM",
    "KeyGroupCache",
    "KeyGroupRange",
    "assign_key_to_parallel_operator",
    "assign_to_key_group",
    "check_max_parallelism",
    "compute_key_group_for_key_hash",
    "compute_operator_index_for_key_group",
    "default_max_parallelism",
    "java_hash",
    "key_hash",
    "key_hasher",
    "key_group_range_for_operator_index",
    "murmur_hash",
    "round_up_to_power_of_two",
]

#: Default lower bound of the max parallelism when the user configured none.
DEFAULT_LOWER_BOUND_MAX_PARALLELISM: Final[int] = 1 << 7
#: Inclusive upper bound of any max parallelism (``Short.MAX_VALUE + 1``).
UPPER_BOUND_MAX_PARALLELISM: Final[int] = 1 << 15

_M32: Final[int] = 0xFFFFFFFF
_M64: Final[int] = 0xFFFFFFFFFFFFFFFF
_SIGN32: Final[int] = 0x80000000
_TWO32: Final[int] = 0x100000000
_INT_MAX: Final[int] = 0x7FFFFFFF
_INT_MIN: Final[int] = -0x80000000
_LONG_MAX: Final[int] = 0x7FFFFFFFFFFFFFFF
_LONG_MIN: Final[int] = -0x8000000000000000

#: Java ``Boolean.hashCode``.
_TRUE_HASH: Final[int] = 1231
_FALSE_HASH: Final[int] = 1237

#: ``Double.doubleToLongBits(Double.NaN)``: every NaN hashes like this one.
_CANONICAL_NAN_BITS: Final[int] = 0x7FF8000000000000

_DOUBLE: Final[struct.Struct] = struct.Struct("<d")
_ULONG: Final[struct.Struct] = struct.Struct("<Q")

#: Native-endian UTF-16 codec name, so ``memoryview.cast("H")`` yields code
#: units without byte swapping.
_UTF16_NATIVE: Final[str] = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"

#: Strings (and byte strings) up to this length use a plain Horner loop
#: without intermediate masking (fastest for short keys). Longer ones use the
#: power table below, which stays in C.
_SHORT: Final[int] = 40
#: ``_POW31[i] == 31**i mod 2**32``. Longer inputs are processed in chunks.
_CHUNK: Final[int] = 4096
_POW31: Final[list[int]] = [pow(31, i, _TWO32) for i in range(_CHUNK)]
_POW31_CHUNK: Final[int] = pow(31, _CHUNK, _TWO32)


# ---------------------------------------------------------------------------
# murmur


def murmur_hash(code: int) -> int:
    """Flink's ``MathUtils.murmurHash(int)``.

    One MurmurHash3 x86_32 round (seed 0) over the single 4-byte value
    ``code``, followed by the length mix and ``fmix32``. All arithmetic wraps
    at 32 bits; the result is made non-negative as Flink does (negative
    values are negated, ``Integer.MIN_VALUE`` maps to 0).

    Args:
        code: a 32-bit hash, signed or unsigned (only the low 32 bits count).

    Returns:
        A value in ``[0, 2**31)``.
    """
    # Literal constants (LOAD_CONST) are faster than module globals here.
    # Rotations are not masked before a multiply: bits above 32 of the
    # multiplicand only affect bits above 32 of the product.
    k = (code * 0xCC9E2D51) & 0xFFFFFFFF
    k = (((k << 15) | (k >> 17)) * 0x1B873593) & 0xFFFFFFFF
    h = ((((k << 13) | (k >> 19)) * 5 + 0xE6546B64) & 0xFFFFFFFF) ^ 4
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    if h & 0x80000000:
        # Negative as a Java int: return -code, except MIN_VALUE -> 0.
        return 0 if h == 0x80000000 else 0x100000000 - h
    return h


# ---------------------------------------------------------------------------
# Java-compatible hashCode


def _to_int32(h: int) -> int:
    """Interpret the low 32 bits of ``h`` as a signed Java int."""
    h &= _M32
    return h - _TWO32 if h & _SIGN32 else h


def _poly31(units: Any, n: int) -> int:
    """``sum(units[i] * 31**(n-1-i)) mod 2**32`` (unsigned result).

    This is the core of Java's ``String.hashCode`` / ``Arrays.hashCode``.
    ``units`` is a sequence of small ints (bytes, a memoryview of code units
    or signed bytes) of length ``n``.
    """
    if n <= _SHORT:
        h = 0
        for c in units:
            h = h * 31 + c
        return h & _M32
    if n <= _CHUNK:
        # map/sum run in C; each product stays well inside 64 bits.
        return sum(map(mul, reversed(units), _POW31)) & _M32
    h = 0
    for start in range(0, n, _CHUNK):
        chunk = units[start : start + _CHUNK]
        size = len(chunk)
        scale = _POW31_CHUNK if size == _CHUNK else pow(31, size, _TWO32)
        h = (h * scale + sum(map(mul, reversed(chunk), _POW31))) & _M32
    return h


def _string_hash(s: str) -> int:
    """Java ``String.hashCode`` over UTF-16 code units, as a signed int."""
    if s.isascii():
        b = s.encode()
        h = _poly31(b, len(b))
    else:
        # Characters outside the BMP become two surrogate code units, as in
        # Java; lone surrogates are kept as single code units.
        units = memoryview(s.encode(_UTF16_NATIVE, "surrogatepass")).cast("H")
        h = _poly31(units, len(units))
    return h - _TWO32 if h & _SIGN32 else h


def _bytes_hash(data: bytes | bytearray | memoryview) -> int:
    """Java ``Arrays.hashCode(byte[])`` (signed bytes), as a signed int."""
    n = len(data) if not isinstance(data, memoryview) else data.nbytes
    if n <= _SHORT and not isinstance(data, memoryview):
        h = 1
        for c in data:
            h = h * 31 + (c - 256 if c & 0x80 else c)
        h &= _M32
    else:
        signed = memoryview(data).cast("B").cast("b")
        h = (pow(31, n, _TWO32) + _poly31(signed, n)) & _M32
    return h - _TWO32 if h & _SIGN32 else h


def _int_hash(v: int) -> int:
    """Java ``Long.hashCode`` (or ``BigInteger.hashCode`` beyond 64 bits)."""
    if 0 <= v <= _INT_MAX:
        return v
    if _INT_MIN <= v < 0:
        # (int)(v ^ (v >>> 32)) with the high word all ones is ~v.
        return ~v
    if _LONG_MIN <= v <= _LONG_MAX:
        u = v & _M64
        h = (u ^ (u >> 32)) & _M32
        return h - _TWO32 if h & _SIGN32 else h
    # Java BigInteger.hashCode: 31-polynomial over the big-endian 32-bit
    # words of the magnitude, times the signum.
    mag = -v if v < 0 else v
    nwords = (mag.bit_length() + 31) >> 5
    h = 0
    for i in range(nwords - 1, -1, -1):
        h = (h * 31 + ((mag >> (i << 5)) & _M32)) & _M32
    if v < 0:
        h = -h
    return _to_int32(h)


def _float_hash(v: float) -> int:
    """Java ``Double.hashCode``: ``(int)(bits ^ (bits >>> 32))``."""
    if v != v:
        bits = _CANONICAL_NAN_BITS
    else:
        bits = _ULONG.unpack(_DOUBLE.pack(v))[0]
    h = (bits ^ (bits >> 32)) & _M32
    return h - _TWO32 if h & _SIGN32 else h


def _tuple_hash(t: tuple[Any, ...]) -> int:
    """Flink ``TupleN.hashCode``: ``31 * ... + hash(f_i)``, starting at f0."""
    if not t:
        return 0  # Tuple0.hashCode()
    it = iter(t)
    h = java_hash(next(it))
    for f in it:
        h = (h * 31 + java_hash(f)) & _M32
    return _to_int32(h)


def _list_hash(items: list[Any]) -> int:
    """Java ``List.hashCode`` / ``Arrays.hashCode(Object[])``."""
    h = 1
    for e in items:
        h = (h * 31 + java_hash(e)) & _M32
    return _to_int32(h)


def _pickle_hash(key: Any) -> int:
    """CRC-32 of ``pickle.dumps(key, protocol=4)``, as a signed int."""
    try:
        data = pickle.dumps(key, protocol=4)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise TypeError(
            f"cannot compute a stable key hash for {type(key).__qualname__}: "
            f"the key is not picklable ({e})"
        ) from e
    h = zlib.crc32(data)
    return h - _TWO32 if h & _SIGN32 else h


def java_hash(key: Any) -> int:
    """A Java-compatible, process-independent 32-bit ``hashCode`` of a key.

    The result depends only on the key's value, never on the process
    (Python's salted :func:`hash` is not used), so every process routes a key
    to the same key group. Where a Java counterpart exists the value equals
    Java's ``hashCode``:

    ==========================  ==============================================
    Python key                  Java counterpart
    ==========================  ==============================================
    ``int`` (64-bit range)      ``Long.hashCode``: ``(int)(v ^ (v >>> 32))``
    ``int`` (beyond 64 bits)    ``BigInteger.hashCode``
    ``bool``                    ``Boolean.hashCode`` (1231 / 1237)
    ``str``                     ``String.hashCode`` over UTF-16 code units
    ``float``                   ``Double.hashCode`` (NaN canonicalised)
    ``bytes``/``bytearray``     ``Arrays.hashCode(byte[])`` (signed bytes)
    ``None``                    ``0`` (a null field)
    ``tuple``                   Flink ``TupleN.hashCode``: ``h = hash(f0)``,
                                then ``h = 31*h + hash(f_i)``; ``()`` → 0
    ``list``                    ``List.hashCode``: ``h = 1``, ``31*h + e``
    ``set``/``frozenset``       ``Set.hashCode``: sum of element hashes
    ``dict``                    ``Map.hashCode``: sum of ``hash(k) ^ hash(v)``
    ==========================  ==============================================

    Subclasses (``IntEnum``, ``StrEnum``, named tuples...) hash like their
    base type. Any other object hashes as the CRC-32 of
    ``pickle.dumps(key, protocol=4)``: stable across processes and machines
    for the same pickled bytes (same class path and same state), but not
    necessarily for two ``==`` objects that pickle differently, e.g. objects
    holding a ``set`` of strings, whose pickled order depends on the salted
    ``hash()``.

    Args:
        key: the key to hash.

    Returns:
        A signed 32-bit integer in ``[-2**31, 2**31)``.

    Raises:
        TypeError: for an object key that cannot be pickled.
    """
    t = type(key)
    if t is str:
        return _string_hash(key)
    if t is int:
        if 0 <= key <= _INT_MAX:
            return key
        return _int_hash(key)
    if t is tuple:
        return _tuple_hash(key)
    if t is bool:
        return _TRUE_HASH if key else _FALSE_HASH
    if key is None:
        return 0
    if t is float:
        return _float_hash(key)
    if t is bytes:
        return _bytes_hash(key)
    # Subclasses and the less common built-in containers.
    if isinstance(key, str):
        return _string_hash(str(key))
    if isinstance(key, int):
        return _int_hash(int(key))
    if isinstance(key, float):
        return _float_hash(float(key))
    if isinstance(key, tuple):
        return _tuple_hash(key)
    if isinstance(key, (bytes, bytearray, memoryview)):
        return _bytes_hash(key)
    if isinstance(key, list):
        return _list_hash(key)
    if isinstance(key, (set, frozenset)):
        return _to_int32(sum(java_hash(e) for e in key))
    if isinstance(key, dict):
        return _to_int32(sum(java_hash(k) ^ java_hash(v) for k, v in key.items()))
    return _pickle_hash(key)


# ---------------------------------------------------------------------------
# KeyGroupRangeAssignment


def check_max_parallelism(value: int) -> int:
    """Validate a max parallelism (number of key groups).

    Args:
        value: the configured max parallelism.

    Returns:
        ``value`` unchanged, for chaining.

    Raises:
        ValueError: if ``value`` is not an int in ``1..32768``.
    """
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= UPPER_BOUND_MAX_PARALLELISM
    ):
        raise ValueError(
            f"max parallelism must be an integer within 1..{UPPER_BOUND_MAX_PARALLELISM}, "
            f"got {value!r}"
        )
    return value


def _check_parallelism(parallelism: int) -> None:
    """Flink's ``checkParallelismPreconditions``."""
    if (
        not isinstance(parallelism, int)
        or isinstance(parallelism, bool)
        or not 1 <= parallelism <= UPPER_BOUND_MAX_PARALLELISM
    ):
        raise ValueError(f"Operator parallelism not within bounds: {parallelism!r}")


def round_up_to_power_of_two(x: int) -> int:
    """Flink's ``MathUtils.roundUpToPowerOfTwo`` for ``1 <= x <= 2**30``.

    Args:
        x: a positive integer.

    Returns:
        The smallest power of two ``>= x``.
    """
    if x <= 1:
        return 1
    return 1 << (x - 1).bit_length()


def default_max_parallelism(parallelism: int) -> int:
    """Flink's ``computeDefaultMaxParallelism`` (§2.2).

    ``min(max(roundUpToPowerOfTwo(P + P // 2), 128), 32768)``.

    Args:
        parallelism: the operator parallelism P, in ``1..32768``.

    Returns:
        The default max parallelism for P.

    Raises:
        ValueError: if P is out of bounds.
    """
    _check_parallelism(parallelism)
    return min(
        max(
            round_up_to_power_of_two(parallelism + parallelism // 2),
            DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
        ),
        UPPER_BOUND_MAX_PARALLELISM,
    )


#: PyFlink's ``key_by`` keys the Java stream by ``Row(key)`` holding the pickled key, and
#: Flink's ``Row.hashCode()`` of a one-field insert row is ``62 + hashCode(field)``.
_ROW1_HASH_BASE: Final[int] = 62
_key_hash_memo: dict[Any, int] = {}


def key_hash(key: Any) -> int:
    """The 32-bit hash key groups are computed from: PyFlink's placement of a key.

    PyFlink's ``key_by(selector)`` (no ``key_type``) sends ``Row(pickle.dumps(key))``
    to Java, which hashes it as ``Row.hashCode()``: ``62 + Arrays.hashCode(bytes)``
    over the protocol-5 pickle of the key. flink-py hashes the same bytes, so a key
    lands on the same subtask (and key group) as in PyFlink. Equal strings inside a
    key are pickled as one object (pickle's memo would otherwise make the bytes
    depend on object identity, which differs between processes).

    Args:
        key: the key (must be picklable by reference).

    Returns:
        A signed 32-bit integer.

    Raises:
        TypeError: for a key that cannot be pickled.
    """
    t = type(key)
    memoizable = t in _CACHEABLE or (t is tuple and _CACHEABLE_IN_TUPLE.issuperset(map(type, key)))
    if memoizable:
        h = _key_hash_memo.get(key)
        if h is not None:
            return h
    try:
        data = pickle.dumps(_shared_strings(key), protocol=5)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise TypeError(
            f"cannot compute a stable key hash for {t.__qualname__}: "
            f"the key is not picklable ({e})"
        ) from e
    h = _to_int32(_ROW1_HASH_BASE + _bytes_hash(data))
    if memoizable:
        if len(_key_hash_memo) >= 100_000:
            _key_hash_memo.clear()
        _key_hash_memo[key] = h
    return h


def key_hasher(key_type: Any = None) -> Callable[[Any], int]:
    """The hash keys declared ``key_type`` are placed by (``key_by(selector, key_type)``).

    PyFlink sends a declared key to Java as that Java type inside the ``Row``:
    ``62 + hashCode`` of the value (``String.hashCode``, an ``int`` as ``Integer`` or
    ``Long``, ``Boolean``, ``Double``, ``Float``). Without a key type, or for another one,
    the key is pickled (:func:`key_hash`).
    """
    name = _basic_type_name(key_type)
    value_hash = _TYPED_HASHES.get(name) if name is not None else None
    if value_hash is None:
        return key_hash
    memo: dict[Any, int] = {}

    def typed_hash(key: Any) -> int:
        h = memo.get(key) if type(key) in _CACHEABLE else None
        if h is None:
            try:
                h = _to_int32(_ROW1_HASH_BASE + value_hash(key))
            except (TypeError, ValueError, struct.error):  # not of the declared type
                return key_hash(key)
            if type(key) in _CACHEABLE:
                if len(memo) >= 100_000:
                    memo.clear()
                memo[key] = h
        return h

    return typed_hash


def _basic_type_name(key_type: Any) -> str | None:
    get = getattr(key_type, "get_basic_type", None)
    if get is None:
        return None
    return getattr(get(), "name", None)


def _int32_value(v: Any) -> int:
    if type(v) is not int:
        raise TypeError("not an int")
    return _to_int32(v)


def _long_value(v: Any) -> int:
    if type(v) is not int or not -(1 << 63) <= v < (1 << 63):
        raise TypeError("not a long")
    return java_hash(v)


def _string_value(v: Any) -> int:
    if type(v) is not str:
        raise TypeError("not a str")
    return java_hash(v)


def _bool_value(v: Any) -> int:
    if type(v) is not bool:
        raise TypeError("not a bool")
    return java_hash(v)


def _double_value(v: Any) -> int:
    if type(v) not in (float, int) or type(v) is bool:
        raise TypeError("not a float")
    return java_hash(float(v))


def _float_value(v: Any) -> int:
    if type(v) not in (float, int) or type(v) is bool:
        raise TypeError("not a float")
    # Float.hashCode: floatToIntBits (NaN canonical)
    bits = 0x7FC00000 if v != v else struct.unpack(">I", struct.pack(">f", v))[0]
    return _to_int32(bits)


_TYPED_HASHES: Final[dict[str, Callable[[Any], int]]] = {
    "STRING": _string_value, "CHAR": _string_value, "INT": _int32_value,
    "SHORT": _int32_value, "BYTE": _int32_value, "LONG": _long_value,
    "BOOLEAN": _bool_value, "DOUBLE": _double_value, "FLOAT": _float_value,
}


def _shared_strings(key: Any) -> Any:
    """``key`` with equal strings inside tuples as one object (identity-free pickles)."""
    if type(key) is not tuple:
        return key
    seen: dict[str, str] = {}

    def canon(v: Any) -> Any:
        if type(v) is str:
            return seen.setdefault(v, v)
        if type(v) is tuple:
            return tuple(canon(x) for x in v)
        return v

    return canon(key)


def compute_key_group_for_key_hash(key_hash: int, max_parallelism: int) -> int:
    """Key group of an already computed 32-bit key hash.

    Args:
        key_hash: the key's Java-compatible ``hashCode``.
        max_parallelism: the number of key groups M.

    Returns:
        ``murmur_hash(key_hash) % M``.
    """
    return murmur_hash(key_hash) % max_parallelism


def assign_to_key_group(key: Any, max_parallelism: int,
                        hasher: Callable[[Any], int] | None = None) -> int:
    """Key group of ``key``: ``murmur_hash(key_hash(key)) % M``.

    Args:
        key: the key (must not be None).
        max_parallelism: the number of key groups M.

    Returns:
        The key group, in ``[0, M)``.

    Raises:
        ValueError: if ``key`` is None (Flink: "Assigned key must not be null!").
    """
    if key is None:
        raise ValueError("Assigned key must not be null!")
    return murmur_hash((hasher or key_hash)(key)) % max_parallelism


def compute_operator_index_for_key_group(
    max_parallelism: int, parallelism: int, key_group: int
) -> int:
    """Subtask index that owns ``key_group``: ``key_group * P // M``.

    Args:
        max_parallelism: the number of key groups M.
        parallelism: the operator parallelism P (``<= M``).
        key_group: a key group in ``[0, M)``.

    Returns:
        The owning subtask index, in ``[0, P)``.
    """
    return key_group * parallelism // max_parallelism


def assign_key_to_parallel_operator(key: Any, max_parallelism: int, parallelism: int) -> int:
    """Subtask index that ``key`` is routed to.

    Args:
        key: the key (must not be None).
        max_parallelism: the number of key groups M.
        parallelism: the operator parallelism P (``<= M``).

    Returns:
        The subtask index, in ``[0, P)``.

    Raises:
        ValueError: if ``key`` is None.
    """
    if key is None:
        raise ValueError("Assigned key must not be null!")
    return (murmur_hash(key_hash(key)) % max_parallelism) * parallelism // max_parallelism


@dataclasses.dataclass(frozen=True, slots=True)
class KeyGroupRange:
    """A contiguous, inclusive range of key groups ``[start, end]``.

    ``KeyGroupRange(0, -1)`` (:attr:`EMPTY`) is the empty range.

    Attributes:
        start: first key group (inclusive).
        end: last key group (inclusive).
    """

    start: int
    end: int

    #: The empty range ``[0, -1]`` (Flink's ``EMPTY_KEY_GROUP_RANGE``).
    EMPTY: ClassVar[KeyGroupRange]

    def __post_init__(self) -> None:
        if self.start < 0:
            raise ValueError(f"key group range start must be >= 0, got {self.start}")
        if self.end < self.start - 1:
            raise ValueError(f"invalid key group range [{self.start}, {self.end}]")

    def __contains__(self, key_group: object) -> bool:
        return isinstance(key_group, int) and self.start <= key_group <= self.end

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.end + 1))

    def __len__(self) -> int:
        return self.end - self.start + 1 if self.end >= self.start else 0

    @property
    def number_of_key_groups(self) -> int:
        """How many key groups the range holds (Flink's name)."""
        return len(self)

    def intersection(self, other: KeyGroupRange) -> KeyGroupRange:
        """The key groups in both ranges (:attr:`EMPTY` when disjoint).

        Args:
            other: another range.

        Returns:
            The intersection.
        """
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        if start <= end:
            return KeyGroupRange(start, end)
        return _EMPTY_RANGE

    def __str__(self) -> str:
        return f"KeyGroupRange{{startKeyGroup={self.start}, endKeyGroup={self.end}}}"


_EMPTY_RANGE: Final[KeyGroupRange] = KeyGroupRange(0, -1)
KeyGroupRange.EMPTY = _EMPTY_RANGE


def key_group_range_for_operator_index(
    max_parallelism: int, parallelism: int, index: int
) -> KeyGroupRange:
    """Key groups owned by subtask ``index`` (§2.1 step 4).

    ``start = ceil(i*M/P)``, ``end = ((i+1)*M - 1) // P``. For every key group
    ``g`` in the range, ``compute_operator_index_for_key_group(M, P, g) == i``.

    Args:
        max_parallelism: the number of key groups M, in ``1..32768``.
        parallelism: the operator parallelism P, in ``1..M``.
        index: the subtask index, in ``[0, P)``.

    Returns:
        The subtask's inclusive key-group range.

    Raises:
        ValueError: on out-of-bounds arguments.
    """
    _check_parallelism(parallelism)
    check_max_parallelism(max_parallelism)
    if max_parallelism < parallelism:
        raise ValueError("Maximum parallelism must not be smaller than parallelism.")
    if not 0 <= index < parallelism:
        raise ValueError(f"operator index {index} not within [0, {parallelism})")
    start = (index * max_parallelism + parallelism - 1) // parallelism
    end = ((index + 1) * max_parallelism - 1) // parallelism
    return KeyGroupRange(start, end)


# ---------------------------------------------------------------------------
# hot-path cache

#: Exact types whose ``==`` agrees with :func:`java_hash` equality, so they can
#: share one memo dict. ``bool``/``float`` are excluded on purpose: ``1``,
#: ``1.0`` and ``True`` are the same dict key but hash differently in Java
#: (and ``0.0 == -0.0``).
_CACHEABLE: Final[frozenset[type]] = frozenset({str, int, bytes})
_CACHEABLE_IN_TUPLE: Final[frozenset[type]] = frozenset({str, int, bytes, type(None)})


class KeyGroupCache:
    """Memoised ``key -> subtask index`` for a fixed (M, P).

    The record hot path calls :meth:`channel_for` once per record; repeated
    keys then cost one dict lookup instead of a string hash plus murmur. The
    memo is bounded: it is cleared when it grows beyond ``max_entries``.

    Only keys whose Python equality matches their Java hash equality are
    memoised: exact ``str``, ``int`` and ``bytes``, and tuples of those (and
    None). Other keys (``bool``, ``float``, objects, and unhashable lists or
    dicts) are computed on every call, so the cache always agrees with
    :func:`assign_key_to_parallel_operator`.

    Pickling a cache ships only its parameters, never the memo.

    Args:
        max_parallelism: the number of key groups M.
        parallelism: the downstream parallelism P (``<= M``).
        max_entries: memo size bound.
    """

    __slots__ = ("_hash", "key_type", "max_entries", "max_parallelism", "memo", "parallelism")

    def __init__(self, max_parallelism: int, parallelism: int, max_entries: int = 100_000,
                 key_type: Any = None) -> None:
        check_max_parallelism(max_parallelism)
        _check_parallelism(parallelism)
        if parallelism > max_parallelism:
            raise ValueError(
                f"parallelism ({parallelism}) is higher than the max parallelism "
                f"({max_parallelism})"
            )
        if max_entries < 1:
            raise ValueError(f"max_entries must be positive, got {max_entries}")
        self.max_parallelism: int = max_parallelism
        self.parallelism: int = parallelism
        self.max_entries: int = max_entries
        #: key -> subtask index. Hot loops may bind ``memo.get`` directly for
        #: exact ``str``/``int`` keys and call :meth:`channel_for` on a miss;
        #: the dict object is never replaced (only cleared).
        self.memo: dict[Hashable, int] = {}
        #: the declared key type of ``key_by`` (None: keys are placed by their pickle)
        self.key_type = key_type
        self._hash = key_hasher(key_type)

    def channel_for(self, key: Any) -> int:
        """Subtask index for ``key`` (memoised when the key type allows).

        Args:
            key: the record's key (must not be None).

        Returns:
            The subtask index, in ``[0, P)``.

        Raises:
            ValueError: if ``key`` is None.
        """
        t = type(key)
        if t in _CACHEABLE or (t is tuple and _CACHEABLE_IN_TUPLE.issuperset(map(type, key))):
            memo = self.memo
            ch = memo.get(key)
            if ch is None:
                m = self.max_parallelism
                ch = (murmur_hash(self._hash(key)) % m) * self.parallelism // m
                if len(memo) >= self.max_entries:
                    memo.clear()
                memo[key] = ch
            return ch
        if key is None:
            raise ValueError("Assigned key must not be null!")
        m = self.max_parallelism
        return (murmur_hash(self._hash(key)) % m) * self.parallelism // m

    def clear(self) -> None:
        """Drop every memoised entry."""
        self.memo.clear()

    def __len__(self) -> int:
        return len(self.memo)

    def __reduce__(self) -> tuple[Any, tuple[int, int, int, Any]]:
        return (type(self), (self.max_parallelism, self.parallelism, self.max_entries,
                             self.key_type))

    def __repr__(self) -> str:
        return (
            f"KeyGroupCache(max_parallelism={self.max_parallelism}, "
            f"parallelism={self.parallelism}, entries={len(self.memo)})"
        )
