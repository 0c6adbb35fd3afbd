"""
The HyperLogLog sketch, register for register the same as DataSketches'.

A sketch starts in *coupon mode*: it keeps the distinct 32-bit coupons (26
address bits of the hash's first half, 6 bits of value) of what it saw,
which counts small cardinalities almost exactly.  DataSketches calls the
first seven coupons a LIST and more of them a SET; past ``3 * 2**(lg_k -
5)`` coupons (or eight, for lg_k below 8) the sketch promotes itself to
*HLL mode*: ``2**lg_k`` one-byte registers, each the largest value seen at
its slot.  Hashing, thresholds, estimators and bounds are DataSketches' own,
so a sketch and a DataSketches ``hll_sketch`` (HLL_8) fed the same strings
hold the same registers and give the same estimate.
"""

# _check() asserts the invariants, by design.
# ruff: noqa: S101

from __future__ import annotations

import math
from array import array
from itertools import compress, repeat
from typing import TYPE_CHECKING, Final, Literal, final

import attrs

from clientid.errors import InvalidModelError
from clientid.model.hashing import (
    DATASKETCHES_SEED,
    datasketches_hash128,
    murmur3_x64_128_ascii,
    murmur3_x64_128_ascii_digest,
)
from clientid.sketch import datasketches as _datasketches
from clientid.sketch import images as _images
from clientid.sketch.estimators import (
    COUPON_LIMITS,
    COUPON_RSE,
    LIST_CAPACITY,
    composite_estimate,
    coupon_estimate,
    coupon_limit,
    relative_error,
)
from clientid.sketch.inputs import (
    as_bytes,
    check_batch,
    client_id_error,
    feed_in_batches,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = [
    "DEFAULT_LG_K",
    "MAX_LG_K",
    "MIN_LG_K",
    "HyperLogLog",
    "coupon_value",
    "hash_coupon",
]

#: Smallest precision (``2**4`` registers), as in DataSketches.
MIN_LG_K: Final = _datasketches.MIN_LG_K
#: Largest precision (``2**21`` registers), as in DataSketches.
MAX_LG_K: Final = _datasketches.MAX_LG_K
#: Default precision, DataSketches' and Spark's default.
DEFAULT_LG_K: Final = 12

_KEY_BITS: Final = 26
_KEY_MASK: Final = (1 << _KEY_BITS) - 1
#: Register values are leading zeros + 1, capped at 63 as DataSketches caps.
_MAX_VALUE: Final = 63
#: ``129 - h.bit_length()`` of the 128-bit hash ``h`` (second half high) is
#: the second half's leading zeros + 1, before the cap.
_VALUE_BASE: Final = 129
#: The smallest coupon (value 1, address 0) and one past the largest.
_MIN_COUPON: Final = 1 << _KEY_BITS
_END_COUPON: Final = (_MAX_VALUE + 1) << _KEY_BITS
_COUPON_RULE: Final = (
    "must be ints whose value bits (26 to 31) are 1 to 63"
    " and that have no bits above them"
)
#: A hash below ``1 << (128 - v)`` has value above ``v``; this bound lets
#: every hash through (coupon mode, or right after a merge).
_NO_LIMIT: Final = 1 << 128
#: ``_RAISES[v]``: the hashes below it have a value above ``v`` (none can
#: raise a register at the cap), so one comparison replaces ``bit_length``.
_RAISES: Final = (*(1 << (128 - value) for value in range(63)), 0)
#: The digests' filter bound when every hash may raise a register.
_NO_TOP: Final = 256
#: What the fast path sees instead of registers outside fresh HLL mode.
_COLD: Final = bytearray()
#: DataSketches ignores empty strings; this is the hash they would have.
_EMPTY_HASH: Final = datasketches_hash128("")

#: The kxq sums add ``2**-v`` over the registers, split as DataSketches
#: splits them: values below 32 into kxq0, the others into kxq1.  Both sums
#: stay exact in doubles, so any order of additions gives the same bits.
_INVERSE_POWERS: Final = tuple(2.0**-value for value in range(64))
_HALF_VALUE: Final = 32
#: ``_KXQ0_STEPS[old << 5 | new]``: what kxq0 gains when a register rises
#: from ``old`` to ``new`` (both below 32), in one addition.  The step and
#: every kxq0 are multiples of 2**-31 below 2**22, so exact in doubles:
#: adding the step gives the bits of subtracting 2**-old, then adding
#: 2**-new, as DataSketches does.
_KXQ0_STEPS: Final = tuple(
    _INVERSE_POWERS[new] - _INVERSE_POWERS[old]
    for old in range(_HALF_VALUE)
    for new in range(_HALF_VALUE)
)

#: Items hashed per batch in :meth:`HyperLogLog.update`.
_CHUNK: Final = 1024
#: Items :meth:`HyperLogLog.update` takes at once for the optional numpy
#: path (``_hll_numpy``), and the fewest it hands to it: shorter batches,
#: coupon mode, non-ASCII text and a missing numpy take the pure path.
#: Tests change ``_VECTOR_MIN`` to force one path or the other.
_VECTOR_CHUNK: Final = 1 << 15
_VECTOR_MIN: Final = 4096
#: Whether batches of strings of different lengths take the numpy path
#: too: measured slower than the pure path (docs/performance-hll.md), so
#: only tests turn it on.
_VECTOR_MIXED: Final = False

#: The hot paths call these through module globals, not attributes.
_isascii: Final = str.isascii
_hash128: Final = murmur3_x64_128_ascii
_SEED: Final = DATASKETCHES_SEED
_hash_bytes: Final = murmur3_x64_128_ascii_digest
_from_bytes: Final = int.from_bytes
_LITTLE: Final[repeat[Literal["little"]]] = repeat("little")
#: A digest is the 128-bit hash, little-endian: its last byte is the top
#: byte of the second half.
_DIGEST: Final = 16
_TOP_BYTE: Final = 15
#: The pure path filters digests from a smallest register of 2 (top 64):
#: below, too many hashes get through for the digests to pay
#: (docs/performance-hll.md).
_DIGEST_TOP: Final = 64
#: ``bytes.translate`` tables: ``_BELOW[top]`` maps a byte below ``top``
#: to 1, any other to 0.
_BELOW: Final = {
    1 << bits: bytes(byte < 1 << bits for byte in range(256))
    for bits in range(7)
}


def _hash_text(client_id: str) -> int:
    """Hash any text, turning a non-str or a lone surrogate into our error."""
    error = client_id_error(client_id, allow_empty=True)
    if error is not None:
        raise error
    return datasketches_hash128(client_id)


def _check_lg_k(lg_k: int) -> None:
    if not MIN_LG_K <= lg_k <= MAX_LG_K:
        rule = f"must be between {MIN_LG_K} and {MAX_LG_K}"
        raise InvalidModelError(field="lg_k", value=lg_k, rule=rule)


def _check_std_devs(k: int) -> None:
    if k not in (1, 2, 3):
        raise InvalidModelError(field="k", value=k, rule="must be 1, 2 or 3")


def _max_registers(
    first: bytes | bytearray, second: bytes | bytearray
) -> bytes:
    """Register-wise maximum of two equally long arrays of values <= 63."""
    size = len(first)
    high = int.from_bytes(b"\x80" * size, "little")
    a = int.from_bytes(first, "little")
    b = int.from_bytes(second, "little")
    # Each byte of (a | 0x80..) - b keeps its top bit iff a >= b there, and
    # no byte borrows from its neighbour because values are below 128.
    a_wins = ((((a | high) - b) & high) >> 7) * 0xFF
    result = (a & a_wins) | (b & ~a_wins)
    return result.to_bytes(size, "little")


def _fold_registers(registers: bytes | bytearray, lg_k: int) -> bytes:
    """Down-sample registers to ``2**lg_k`` slots, as DataSketches does."""
    k = 1 << lg_k
    folded = bytes(registers[:k])
    for start in range(k, len(registers), k):
        folded = _max_registers(folded, registers[start : start + k])
    return folded


@final
@attrs.define(init=False, repr=False)
class HyperLogLog:
    """
    A mergeable distinct-count sketch, compatible with Apache DataSketches.

    Strings are hashed with MurmurHash3 x64/128 (seed 9001) over their UTF-8
    bytes, exactly as DataSketches' ``hll_sketch.update`` hashes them, so
    the registers equal those of an ``hll_sketch(lg_k, HLL_8)`` fed the same
    strings, for any input.  Empty strings are ignored, as DataSketches
    ignores them.  Small cardinalities are counted in coupon mode (nearly
    exact), large ones with ``2**lg_k`` registers: the standard error is
    about ``0.83 / sqrt(2**lg_k)`` for a sketch fed in order (HIP
    estimator) and ``1.04 / sqrt(2**lg_k)`` after a merge (composite
    estimator), so 0.65 % and 0.81 % at lg_k 14.

    Args:
        lg_k: Precision: the sketch has ``2**lg_k`` registers, 4..21.

    Raises:
        InvalidModelError: ``lg_k`` is out of range.
    """

    _lg_k: int
    _coupons: set[int]
    _registers: bytearray
    _hip: float
    _out_of_order: bool
    # Derived from the fields above; kept for speed, checked by _check().
    _kxq0: float = attrs.field(eq=False)
    _kxq1: float = attrs.field(eq=False)
    _cur_min: int = attrs.field(eq=False)
    _num_at_cur_min: int = attrs.field(eq=False)
    _limit: int = attrs.field(eq=False)
    _stale: bool = attrs.field(eq=False)
    # The registers while add's inline fast path may use them (HLL mode,
    # derived state fresh), else empty; and the slot mask.
    _hot: bytearray = attrs.field(eq=False)
    _mask: int = attrs.field(eq=False)

    def __init__(self, lg_k: int = DEFAULT_LG_K) -> None:
        _check_lg_k(lg_k)
        self._lg_k = lg_k
        self._coupons = set()
        self._registers = bytearray()
        self._hip = 0.0
        self._out_of_order = False
        self._kxq0 = 0.0
        self._kxq1 = 0.0
        self._cur_min = 0
        self._num_at_cur_min = 0
        self._limit = _NO_LIMIT
        self._stale = False
        self._hot = _COLD
        self._mask = 0

    def __repr__(self) -> str:
        if self._registers:
            mode = "HLL"
        elif len(self._coupons) > LIST_CAPACITY:
            mode = "SET"
        else:
            mode = "LIST"
        return (
            f"HyperLogLog(lg_k={self._lg_k}, mode={mode!r}, "
            f"estimate={self.estimate()!r})"
        )

    @property
    def lg_k(self) -> int:
        """
        The precision: the sketch has ``2**lg_k`` registers.
        """
        return self._lg_k

    # ----------------------------------------------------------------
    # Ingest.
    # ----------------------------------------------------------------

    def add(self, client_id: str) -> None:
        """
        Count one client ID.

        Runtime: O(1).

        Raises:
            InvalidModelError: ``client_id`` is not a ``str`` or holds a
                lone surrogate.
        """
        # str.isascii raises TypeError for anything but a str (bytes too).
        try:
            ascii_text = _isascii(client_id)
        except TypeError:
            ascii_text = False
        hashed = (
            _hash128(client_id, _SEED) if ascii_text else _hash_text(client_id)
        )
        # Most hashes cannot raise the smallest register: one comparison;
        # most of the rest cannot raise their own register: one lookup.
        if hashed >= self._limit:
            return
        registers = self._hot
        if not registers:
            self._insert(hashed)
            return
        slot = hashed & self._mask
        old = registers[slot]
        if hashed >= _RAISES[old] or hashed == _EMPTY_HASH:
            return
        value = _VALUE_BASE - hashed.bit_length()
        # The common raise inline; values from 32 and a rising minimum in
        # _raise_register.
        if value >= _HALF_VALUE or (
            old == self._cur_min and self._num_at_cur_min == 1
        ):
            self._raise_register(slot, min(value, _MAX_VALUE))
            return
        if not self._out_of_order:
            self._hip += len(registers) / (self._kxq0 + self._kxq1)
        self._kxq0 += _KXQ0_STEPS[old << 5 | value]
        registers[slot] = value
        if old == self._cur_min:
            self._num_at_cur_min -= 1

    def add_hash(self, first: int, second: int) -> None:
        """
        Count one precomputed hash.

        Args:
            first: The first unsigned 64-bit half of the MurmurHash3
                x64/128 hash (its low bits choose the slot).
            second: The second half (its leading zeros give the value).

        Raises:
            InvalidModelError: A half is not an unsigned 64-bit integer.
        """
        for field, half in (("first", first), ("second", second)):
            if not 0 <= half < 1 << 64:
                raise InvalidModelError(
                    field, half, "must be an unsigned 64-bit integer"
                )
        hashed = first | second << 64
        if hashed < self._limit:
            self._insert(hashed, check_empty=False)

    def update(self, client_ids: Iterable[str]) -> None:
        """
        Count every client ID of an iterable.

        Equivalent to calling :meth:`add` on each, only faster.  If an item
        is rejected, the items before it have been counted and none after
        it; if the iterator raises, every item it gave has been counted
        before its exception propagates.

        Runtime: O(n).

        Raises:
            InvalidModelError: ``client_ids`` is one ``str`` or ``bytes``
                or not iterable, or an item is not a ``str`` or holds a
                lone surrogate.
        """
        if type(client_ids) is list:
            # A list is walked by index: no copies of large slices.
            self._update_list(client_ids)
            return
        feed_in_batches(client_ids, _VECTOR_CHUNK, self._update_list)

    def _update_list(self, items: list[str]) -> None:
        """Count a list: numpy for long HLL-mode runs if it can, else pure."""
        start = 0
        stop = len(items)
        # Coupon mode stays on the pure path; so do short remainders.
        while start < stop and (
            not self._registers or stop - start < _VECTOR_MIN
        ):
            self._update_chunk(items[start : start + _CHUNK])
            start += _CHUNK
        while start < stop:
            end = min(start + _VECTOR_CHUNK, stop)
            if not self._update_vectorised(items, start, end):
                for offset in range(start, end, _CHUNK):
                    self._update_chunk(
                        items[offset : min(offset + _CHUNK, end)]
                    )
            start = end

    def _update_chunk(self, chunk: list[str]) -> None:
        """Count a chunk of client IDs on the pure path."""
        # One C-level pass proves the whole chunk ASCII text (so safe for
        # mmh3's str path); empty strings are skipped at the rare
        # register update, by their hash.
        try:
            ascii_text = "".join(chunk).isascii()
        except TypeError:
            ascii_text = False
        if ascii_text:
            # The digests' filter: a top byte of the second half below it
            # may raise the smallest register (exact up to a minimum of 8).
            top = (
                _NO_TOP
                if self._limit == _NO_LIMIT
                else _top_limit(self._cur_min)
            )
            if top > _DIGEST_TOP:
                self._update_hashes(map(_hash128, chunk, repeat(_SEED)))
                return
            # Most hashes cannot raise the smallest register: C-level
            # passes find them by the top byte of their digests, and only
            # the others become integers for the register loop.
            digests = list(map(_hash_bytes, chunk, repeat(_SEED)))
            may_raise = b"".join(digests)[_TOP_BYTE::_DIGEST].translate(
                _BELOW[top]
            )
            self._update_hashes(
                map(_from_bytes, compress(digests, may_raise), _LITTLE)
            )
            return
        # Count the IDs before the first bad one, then raise for it.
        good, error = check_batch(chunk, allow_empty=True)
        self._update_hashes(map(datasketches_hash128, chunk[:good]))
        if error is not None:
            raise error

    def _update_vectorised(
        self, items: list[str], start: int, stop: int
    ) -> bool:
        """
        Count ``items[start:stop]`` in HLL mode with numpy; tell if it could.

        Without numpy, or for items that are not all ASCII strings of one
        length, it counts nothing and the caller takes the pure path.
        """
        try:
            from clientid.sketch import batch_numpy as _hll_numpy  # noqa: PLC0415 - numpy is optional.
        except ImportError:
            return False
        try:
            hashed = _hll_numpy.hash_ascii(
                items, start, stop, DATASKETCHES_SEED, mixed=_VECTOR_MIXED
            )
        except (TypeError, UnicodeEncodeError):
            return False
        if hashed is None:
            return False
        first, second, skip = hashed
        if self._stale:
            self._rebuild()
        state = _hll_numpy.BatchState(
            self._hip,
            self._kxq0,
            self._kxq1,
            self._cur_min,
            self._num_at_cur_min,
        )
        (
            self._hip,
            self._kxq0,
            self._kxq1,
            self._cur_min,
            self._num_at_cur_min,
        ) = _hll_numpy.update_registers(
            self._registers,
            first,
            second,
            skip,
            state,
            in_order=not self._out_of_order,
        )
        self._limit = 1 << (128 - self._cur_min)
        return True

    def _update_coupons(self, hashes: Iterator[int]) -> bool:
        """Feed hashes in coupon mode; tell whether the sketch promoted."""
        coupons = self._coupons
        add = coupons.add
        most = COUPON_LIMITS[self._lg_k]
        empty = _EMPTY_HASH
        for hashed in hashes:
            if hashed == empty:
                continue
            value = _VALUE_BASE - hashed.bit_length()
            if value > _MAX_VALUE:  # noqa: PLR1730 - min() is a call.
                value = _MAX_VALUE
            add(value << _KEY_BITS | hashed & _KEY_MASK)
            if len(coupons) > most:
                self._promote()
                return True
        return False

    def _update_hashes(self, hashes: Iterator[int]) -> None:
        """Feed hashes: coupon mode, then the register loop."""
        if not self._registers and not self._update_coupons(hashes):
            return
        if self._stale:
            self._rebuild()
        # The loop hands back the rare hashes it does not handle itself.
        while (rare := self._update_registers(hashes)) is not None:
            self._insert(rare, check_empty=False)

    # One flat loop with everything in locals is the fast path of ingest.
    def _update_registers(self, hashes: Iterator[int]) -> int | None:
        """
        Feed hashes in HLL mode until the end or a rare one, returned.

        Rare: a value from 32 (kxq1) or the last register at the minimum
        rising (the minimum moves); :meth:`_insert` applies those.
        """
        registers = self._registers
        mask = len(registers) - 1
        # A merged sketch adds nothing to its (zero) HIP accumulator.
        hip_k = 0.0 if self._out_of_order else float(len(registers))
        steps = _KXQ0_STEPS
        limit = self._limit
        cur_min = self._cur_min
        last_at_min = self._num_at_cur_min == 1
        num_at_cur_min = self._num_at_cur_min
        hip = self._hip
        kxq0 = self._kxq0
        kxq1 = self._kxq1
        empty = _EMPTY_HASH
        raises = _RAISES
        try:
            for hashed in hashes:
                if hashed >= limit:
                    continue
                slot = hashed & mask
                old = registers[slot]
                if hashed >= raises[old] or hashed == empty:
                    continue
                value = _VALUE_BASE - hashed.bit_length()
                if value >= _HALF_VALUE or (old == cur_min and last_at_min):
                    return hashed
                # DataSketches adds to HIP before it updates the kxq sums.
                hip += hip_k / (kxq0 + kxq1)
                kxq0 += steps[old << 5 | value]
                registers[slot] = value
                if old == cur_min:
                    num_at_cur_min -= 1
                    last_at_min = num_at_cur_min == 1
            return None
        finally:
            self._hip = hip
            self._kxq0 = kxq0
            self._num_at_cur_min = num_at_cur_min

    def _insert(self, hashed: int, *, check_empty: bool = True) -> None:
        registers = self._registers
        if not registers:
            self._insert_coupon(hashed, check_empty=check_empty)
            return
        if self._stale:
            self._rebuild()
        slot = hashed & (len(registers) - 1)
        value = min(_VALUE_BASE - hashed.bit_length(), _MAX_VALUE)
        if value > registers[slot] and not (
            check_empty and hashed == _EMPTY_HASH
        ):
            self._raise_register(slot, value)

    def _insert_coupon(self, hashed: int, *, check_empty: bool) -> None:
        if check_empty and hashed == _EMPTY_HASH:
            return
        value = min(_VALUE_BASE - hashed.bit_length(), _MAX_VALUE)
        coupons = self._coupons
        coupons.add(value << _KEY_BITS | hashed & _KEY_MASK)
        if len(coupons) > COUPON_LIMITS[self._lg_k]:
            self._promote()

    def _raise_register(self, slot: int, value: int) -> None:
        registers = self._registers
        old = registers[slot]
        if not self._out_of_order:
            self._hip += len(registers) / (self._kxq0 + self._kxq1)
        if old < _HALF_VALUE:
            self._kxq0 -= _INVERSE_POWERS[old]
        else:
            self._kxq1 -= _INVERSE_POWERS[old]
        if value < _HALF_VALUE:
            self._kxq0 += _INVERSE_POWERS[value]
        else:
            self._kxq1 += _INVERSE_POWERS[value]
        registers[slot] = value
        if old == self._cur_min:
            self._num_at_cur_min -= 1
            if not self._num_at_cur_min:
                self._cur_min, self._num_at_cur_min = _minimum(
                    registers, self._cur_min
                )
                self._limit = 1 << (128 - self._cur_min)

    def _promote(self) -> None:
        """Move from coupon mode to HLL mode, as DataSketches promotes."""
        mask = (1 << self._lg_k) - 1
        registers = bytearray(1 << self._lg_k)
        for coupon in self._coupons:
            slot = coupon & mask
            value = coupon >> _KEY_BITS
            registers[slot] = max(registers[slot], value)
        # The HIP accumulator starts from the coupon estimate.
        self._hip = max(
            coupon_estimate(len(self._coupons)), float(len(self._coupons))
        )
        self._out_of_order = False
        self._coupons = set()
        self._registers = registers
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute the kxq sums and the minimum from the registers."""
        registers = self._registers
        remaining = len(registers)
        kxq0 = 0.0
        kxq1 = 0.0
        cur_min = -1
        num_at_cur_min = 0
        value = 0
        # Counting each value in C beats iterating 2**lg_k registers.
        while remaining:
            count = registers.count(value)
            if count:
                if cur_min < 0:
                    cur_min, num_at_cur_min = value, count
                if value < _HALF_VALUE:
                    kxq0 += count * _INVERSE_POWERS[value]
                else:
                    kxq1 += count * _INVERSE_POWERS[value]
                remaining -= count
            value += 1
        self._kxq0 = kxq0
        self._kxq1 = kxq1
        self._cur_min = cur_min
        self._num_at_cur_min = num_at_cur_min
        self._limit = 1 << (128 - cur_min)
        self._stale = False
        self._hot = registers
        self._mask = len(registers) - 1

    # ----------------------------------------------------------------
    # Estimates.
    # ----------------------------------------------------------------

    def is_empty(self) -> bool:
        """
        Tell whether the sketch has counted nothing.
        """
        return not self._coupons and not self._registers

    def _num_zeros(self) -> int:
        return self._num_at_cur_min if self._cur_min == 0 else 0

    def estimate(self) -> float:
        """
        Estimate the number of distinct client IDs counted.

        Coupon mode is exact up to rare 26-bit address collisions, which
        the estimate corrects for; HLL mode has a standard error of about
        ``0.83/sqrt(2**lg_k)`` (fed in order) or ``1.04/sqrt(2**lg_k)``
        (after a merge).  Runtime: O(1) (O(2**lg_k) once after a merge).
        """
        if not self._registers:
            count = len(self._coupons)
            return max(coupon_estimate(count), float(count))
        if self._stale:
            self._rebuild()
        if not self._out_of_order:
            return self._hip
        return composite_estimate(
            self._lg_k, self._kxq0 + self._kxq1, self._num_zeros()
        )

    def lower_bound(self, k: int) -> float:
        """
        Give a lower bound of the distinct count, ``k`` standard deviations.

        Args:
            k: Standard deviations: 1, 2 or 3 (about 68 %, 95 %, 99.7 %).

        Raises:
            InvalidModelError: ``k`` is not 1, 2 or 3.
        """
        return self._bound(k, upper=False)

    def upper_bound(self, k: int) -> float:
        """
        Give an upper bound of the distinct count, ``k`` standard deviations.

        Args:
            k: Standard deviations: 1, 2 or 3 (about 68 %, 95 %, 99.7 %).

        Raises:
            InvalidModelError: ``k`` is not 1, 2 or 3.
        """
        return self._bound(k, upper=True)

    def _bound(self, k: int, *, upper: bool) -> float:
        _check_std_devs(k)
        if not self._registers:
            count = len(self._coupons)
            rse = -k * COUPON_RSE if upper else k * COUPON_RSE
            return max(coupon_estimate(count) / (1.0 + rse), float(count))
        error = relative_error(
            self._lg_k, k, upper=upper, out_of_order=self._out_of_order
        )
        bound = self.estimate() / (1.0 + error)
        if upper:
            return bound
        # No fewer distinct items than registers that were ever set.
        return max(bound, float(len(self._registers) - self._num_zeros()))

    # ----------------------------------------------------------------
    # Merging.
    # ----------------------------------------------------------------

    def copy(self) -> HyperLogLog:
        """
        Return an independent copy of the sketch.
        """
        clone = HyperLogLog(self._lg_k)
        clone._coupons = set(self._coupons)
        clone._registers = bytearray(self._registers)
        clone._hip = self._hip
        clone._out_of_order = self._out_of_order
        clone._kxq0 = self._kxq0
        clone._kxq1 = self._kxq1
        clone._cur_min = self._cur_min
        clone._num_at_cur_min = self._num_at_cur_min
        clone._limit = self._limit
        clone._stale = self._stale
        clone._hot = clone._registers if self._hot else _COLD
        clone._mask = self._mask
        return clone

    def union(self, *others: HyperLogLog) -> HyperLogLog:
        """
        Return a new sketch that counts what this one and ``others`` count.

        The result has the smallest lg_k of all: larger sketches are
        down-sampled, as DataSketches' union does.  An HLL-mode result
        uses the composite (out-of-order) estimator, so the union is
        commutative, associative and idempotent.

        Runtime: O(2**lg_k) per sketch.
        """
        sketches = (self, *others)
        result = HyperLogLog(min(sketch.lg_k for sketch in sketches))
        for sketch in sketches:
            result._absorb(sketch)
        result._settle()
        return result

    def merge(self, other: HyperLogLog) -> None:
        """
        Add what ``other`` counts to this sketch, in place.

        If ``other`` has the smaller lg_k, this sketch is down-sampled to
        it first; if it has the larger, it is down-sampled on the fly.
        Merging an empty sketch of the same or a larger lg_k changes
        nothing.

        Runtime: O(2**lg_k).
        """
        if other.is_empty() and other.lg_k >= self._lg_k:
            return
        if other.lg_k < self._lg_k:
            self._downsample(other.lg_k)
        self._absorb(other)
        self._settle()

    def _downsample(self, lg_k: int) -> None:
        self._lg_k = lg_k
        if self._registers:
            self._registers = bytearray(_fold_registers(self._registers, lg_k))
            self._mark_stale()
        elif len(self._coupons) > coupon_limit(lg_k):
            self._promote()

    def _absorb(self, source: HyperLogLog) -> None:
        """Take in a sketch whose lg_k is at least this one's."""
        if not source._registers:
            if not self._registers:
                # In bulk: past the limit the result is the registers of
                # all the coupons, out of order (the caller settles it).
                self._coupons |= source._coupons
                if len(self._coupons) <= COUPON_LIMITS[self._lg_k]:
                    return
                self._promote()
                self._mark_stale()
                return
            registers = self._registers
            mask = len(registers) - 1
            for coupon in source._coupons:
                slot = coupon & mask
                registers[slot] = max(registers[slot], coupon >> _KEY_BITS)
        else:
            folded = _fold_registers(source._registers, self._lg_k)
            if not self._registers and not self._coupons:
                # An empty sketch takes the registers as they are.
                self._registers = bytearray(folded)
            else:
                if not self._registers:
                    self._promote()
                self._registers = bytearray(
                    _max_registers(self._registers, folded)
                )
        self._mark_stale()

    def _mark_stale(self) -> None:
        """Defer the O(k) rebuild of derived state until it is needed."""
        self._stale = True
        self._limit = _NO_LIMIT
        self._hot = _COLD

    def _settle(self) -> None:
        """Mark an HLL-mode merge result out of order, as DataSketches does."""
        if self._registers:
            self._out_of_order = True
            self._hip = 0.0

    # ----------------------------------------------------------------
    # Serialization.
    # ----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """
        Serialize to clientid's versioned binary format.

        Layout: magic ``0xC1``, format version 1, lg_k, mode (0 LIST, 1 SET,
        2 HLL), flags (1: out of order); then coupon mode: a little-endian
        u32 count and the coupons as ascending u32s; HLL mode: the HIP
        accumulator (f64) and ``2**lg_k`` register bytes.
        """
        return _images.encode(
            self._lg_k,
            self._coupons,
            self._registers,
            self._hip,
            out_of_order=self._out_of_order,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> HyperLogLog:
        """
        Deserialize from clientid's binary format (see :meth:`to_bytes`).

        Raises:
            UnsupportedFormatError: The format version is not 1.
            DecodeError: The bytes are not a valid sketch.
        """
        image = _images.decode(data)
        sketch = cls(image.lg_k)
        if image.registers:
            sketch._registers = bytearray(image.registers)
            sketch._hip = image.hip
            sketch._out_of_order = image.out_of_order
            sketch._rebuild()
        else:
            sketch._coupons = set(image.coupons)
        return sketch

    def to_datasketches(self) -> bytes:
        """
        Serialize to an Apache DataSketches HLL image (HLL_8).

        The image loads in DataSketches (``hll_sketch.deserialize``) and
        Spark (``hll_union_agg``) and estimates the same as this sketch:
        LIST or SET mode with sorted coupons in coupon mode, an updatable
        HLL_8 image (Spark's layout) in HLL mode.
        """
        if self._registers:
            if self._stale:
                self._rebuild()
            return _datasketches.encode_hll8_image(
                self._lg_k,
                self._registers,
                hip=self._hip,
                kxq0=self._kxq0,
                kxq1=self._kxq1,
                num_zeros=self._num_zeros(),
                out_of_order=self._out_of_order,
            )
        if not self._coupons:
            return _datasketches.encode_empty_image(self._lg_k)
        return _datasketches.encode_coupon_image(
            self._lg_k,
            sorted(self._coupons),
            as_set=len(self._coupons) > LIST_CAPACITY,
        )

    @classmethod
    def from_datasketches(cls, data: bytes) -> HyperLogLog:
        """
        Deserialize an Apache DataSketches HLL image.

        Reads LIST, SET and HLL modes, HLL_4 (with its exception table),
        HLL_6 and HLL_8 registers, compact and updatable layouts.

        Raises:
            UnsupportedFormatError: The image's serial version is not 1.
            DecodeError: The bytes are not a valid HLL image.
        """
        image = _datasketches.decode_image(as_bytes(data, "datasketches"))
        sketch = cls(image.lg_k)
        if image.registers:
            if not any(image.registers):
                return sketch
            sketch._registers = bytearray(image.registers)
            sketch._hip = image.hip
            sketch._out_of_order = image.out_of_order
            sketch._rebuild()
            if not image.out_of_order:
                what = "datasketches image"
                _images.check_hip(image.lg_k, image.registers, image.hip, what)
            return sketch
        sketch._load_coupons(image.coupons)
        return sketch

    @classmethod
    def from_coupons(cls, lg_k: int, coupons: Iterable[int]) -> HyperLogLog:
        """
        The sketch that holds exactly these DataSketches coupons.

        A coupon is what a DataSketches HLL keeps of an item in its list
        and set modes: the value (1 to 63, the leading zeros of the second
        64-bit half of the item's hash, plus one) in bits 26 to 31 and the
        low 26 bits of the first half below it.  Coupons carry no arrival
        order, so none is assumed: up to the coupon limit the sketch holds
        them as coupons; past it, it holds each register's largest value
        and estimates as a merged sketch does (the composite estimator,
        not HIP, whose in-order accumulator depends on the order).  Equal
        collections of coupons give equal sketches.

        Args:
            lg_k: The precision of the sketch.
            coupons: The coupons, any order, repeats allowed; an integer
                ``array`` is read in place.

        Raises:
            InvalidModelError: *lg_k* is out of range, or an item is not a
                coupon.

        Runtime: O(n) for n coupons, one Python step each.
        """
        _check_lg_k(lg_k)
        items = _coupon_items(coupons)
        sketch = cls(lg_k)
        most = COUPON_LIMITS[lg_k]
        distinct: set[int] = set()
        for coupon in items:
            distinct.add(coupon)
            if len(distinct) > most:
                break
        else:
            sketch._coupons = distinct
            return sketch
        registers = bytearray(1 << lg_k)
        mask = len(registers) - 1
        for coupon in items:
            slot = coupon & mask
            value = coupon >> _KEY_BITS
            if value > registers[slot]:  # noqa: PLR1730 - max() is a call.
                registers[slot] = value
        sketch._registers = registers
        sketch._out_of_order = True
        sketch._rebuild()
        return sketch

    def _load_coupons(self, coupons: Iterable[int]) -> None:
        """
        Insert an image's coupons into this empty sketch.

        As DataSketches re-inserts them: de-duplicated, in ascending order,
        promoting past the coupon limit (so HIP runs over them, as there).
        """
        distinct = sorted(set(coupons))
        if len(distinct) <= COUPON_LIMITS[self._lg_k]:
            self._coupons = set(distinct)
            return
        # As hashes on the batch path: a hash with the coupon's address
        # bits and bit length 129 - value gives the coupon back.
        self._update_hashes(
            map(_coupon_hash, distinct, repeat(_KEY_MASK), repeat(_KEY_BITS))
        )

    # ----------------------------------------------------------------
    # Invariants.
    # ----------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant."""
        assert MIN_LG_K <= self._lg_k <= MAX_LG_K
        if not self._registers:
            assert len(self._coupons) <= coupon_limit(self._lg_k)
            assert self._hip == 0.0
            assert not self._out_of_order
            assert self._limit == _NO_LIMIT
            assert not self._hot
            for coupon in self._coupons:
                assert 0 < coupon >> _KEY_BITS <= _MAX_VALUE
            return
        registers = self._registers
        assert not self._coupons
        assert len(registers) == 1 << self._lg_k
        assert max(registers) <= _MAX_VALUE
        assert any(registers)
        assert math.isfinite(self._hip)
        assert self._hip >= 0.0
        if self._out_of_order:
            assert self._hip == 0.0
        if self._stale:
            assert self._limit == _NO_LIMIT
            assert not self._hot
            return
        assert self._hot is registers
        assert self._mask == len(registers) - 1
        kxq0 = sum(_INVERSE_POWERS[v] for v in registers if v < _HALF_VALUE)
        kxq1 = sum(_INVERSE_POWERS[v] for v in registers if v >= _HALF_VALUE)
        assert self._kxq0 == kxq0
        assert self._kxq1 == kxq1
        assert self._cur_min == min(registers)
        assert self._num_at_cur_min == registers.count(self._cur_min)
        assert self._limit == 1 << (128 - self._cur_min)


def hash_coupon(hashed: int) -> int:
    """
    The DataSketches coupon of an item's 128-bit hash (second half high).

    What :meth:`HyperLogLog.from_coupons` takes; 0 for the empty string's
    hash, which DataSketches skips (no coupon).
    """
    if hashed == _EMPTY_HASH:
        return 0
    value = min(_VALUE_BASE - hashed.bit_length(), _MAX_VALUE)
    return value << _KEY_BITS | hashed & _KEY_MASK


def coupon_value(coupon: int) -> int:
    """A coupon's value: the register value its item would set (1 to 63)."""
    return coupon >> _KEY_BITS


def _coupon_items(coupons: Iterable[int]) -> Sequence[int]:
    """The coupons as a sequence, checked (see HyperLogLog.from_coupons)."""
    field = "coupons"
    if isinstance(coupons, array) and coupons.typecode in "bBhHiIlLqQ":
        items: Sequence[int] = coupons
    else:
        items = list(coupons)
        bad = next((c for c in items if type(c) is not int), None)
        if bad is not None:
            raise InvalidModelError(field, bad, _COUPON_RULE)
    if items and (min(items) < _MIN_COUPON or max(items) >= _END_COUPON):
        bad = next(c for c in items if not _MIN_COUPON <= c < _END_COUPON)
        raise InvalidModelError(field, bad, _COUPON_RULE)
    return items


def _coupon_hash(coupon: int, key_mask: int, key_bits: int) -> int:
    """The smallest hash whose coupon is ``coupon``."""
    return 1 << (128 - (coupon >> key_bits)) | coupon & key_mask


def _top_limit(cur_min: int) -> int:
    """
    The digests' filter bound for a smallest register value.

    A hash's value is above ``cur_min`` iff its second half is below
    ``2**(64 - cur_min)``: for ``cur_min`` up to 8, iff the half's top byte
    (byte 15 of the digest) is below ``2**(8 - cur_min)``; above 8 the top
    byte must be 0, which lets a few hashes too many through.
    """
    return 1 << max(0, 8 - cur_min)


def _minimum(registers: bytearray, floor: int) -> tuple[int, int]:
    """The smallest register value (at least ``floor``) and its count."""
    value = floor
    while not (count := registers.count(value)):
        value += 1
    return value, count
