"""
The optional numpy fast path of :meth:`HyperLogLog.update`.

Importing this module imports numpy, which is not a dependency of clientid:
``_hll`` imports it lazily and falls back to the pure-Python path when numpy
is missing.  Everything here is bit-identical to the pure path:

* MurmurHash3 x64/128 (seed 9001) runs over a whole batch of ASCII strings
  at once, with wrapping ``uint64`` arithmetic, one 16-byte block (one
  column of the batch) at a time.  Strings of one length form one 2-D
  array; the batch's strings are grouped by length.
* Slots and register values come from the two hash halves as the pure path
  computes them.
* Only the items that raise a register in sequential order (the running
  per-slot maxima above the current registers) change the state, and they
  are applied in their original order, so the in-order HIP accumulator sees
  the same sequence of kxq sums and adds the same terms in the same order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy.typing as npt

__all__ = ["BatchState", "hash_ascii", "register_values", "update_registers"]

_U64 = np.uint64
_C1: Final = _U64(0x87C37B91114253D5)
_C2: Final = _U64(0x4CF5AD432745937F)
_FMIX1: Final = _U64(0xFF51AFD7ED558CCD)
_FMIX2: Final = _U64(0xC4CEB9FE1A85EC53)
_ADD1: Final = _U64(0x52DCE729)
_ADD2: Final = _U64(0x38495AB5)
_FIVE: Final = _U64(5)
_BLOCK: Final = 16
_WORD: Final = 8
#: Strings hashed per numpy pass: their words stay in the CPU caches.
_ROWS: Final = 1 << 14
#: Strings whose length is compared first, when only one length is taken.
_SAMPLES: Final = 16
#: Strings joined and encoded at a time.
_PIECE: Final = 1024
#: After the last separator: ``_BLOCK`` NULs in all.
_PADDING: Final = bytes(_BLOCK - 1)
_SEPARATOR: Final = "\x00"

#: Register values are leading zeros + 1, capped at 63 (as ``_hll``).
_MAX_VALUE: Final = 63
#: Values below it add to kxq0, the others to kxq1 (as ``_hll``).
_HALF_VALUE: Final = 32
#: ``2**-v``, the same doubles as ``_hll._INVERSE_POWERS``.
_INVERSE_POWERS: Final = np.array([2.0**-value for value in range(64)])
#: Shifting the second half right by this keeps it exact as a double.
_EXACT_SHIFT: Final = 11
#: Keys below this fit in 16 bits, which numpy sorts by radix.
_RADIX_BOUND: Final = 1 << 16


class BatchState(NamedTuple):
    """The sketch's derived state that a batch changes."""

    #: The HIP accumulator.
    hip: float
    #: The sum of ``2**-v`` over registers with values ``v`` below 32.
    kxq0: float
    #: The same sum over the other registers.
    kxq1: float
    #: The smallest register value.
    cur_min: int
    #: How many registers hold it.
    num_at_cur_min: int


def _rotl(
    x: npt.NDArray[np.uint64], bits: int, spare: npt.NDArray[np.uint64]
) -> None:
    """Rotate each 64-bit word of ``x`` left by ``bits``, in place."""
    np.right_shift(x, _U64(64 - bits), out=spare)
    np.left_shift(x, _U64(bits), out=x)
    np.bitwise_or(x, spare, out=x)


def _mix(  # noqa: PLR0917 - the round's arrays and constants.
    h: npt.NDArray[np.uint64],
    word: npt.NDArray[np.uint64],
    k: npt.NDArray[np.uint64],
    spare: npt.NDArray[np.uint64],
    first: np.uint64,
    bits: int,
    second: np.uint64,
) -> None:
    """Multiply, rotate, multiply ``word`` (into ``k``); xor it into ``h``."""
    # The first product reads the word where it lies: no copy of it.
    np.multiply(word, first, out=k)
    _rotl(k, bits, spare)
    k *= second
    h ^= k


def _fmix(k: npt.NDArray[np.uint64], spare: npt.NDArray[np.uint64]) -> None:
    """MurmurHash3's 64-bit finalizer (avalanche), in place."""
    for constant in (_FMIX1, _FMIX2):
        np.right_shift(k, _U64(33), out=spare)
        k ^= spare
        k *= constant
    np.right_shift(k, _U64(33), out=spare)
    k ^= spare


def _hash_group(
    word_at: Callable[[int], npt.NDArray[np.uint64]],
    length: int,
    seed: int,
    h1: npt.NDArray[np.uint64],
    h2: npt.NDArray[np.uint64],
) -> None:
    """
    Hash a group of strings of ``length`` bytes into ``h1`` and ``h2``.

    ``word_at(offset)`` gives the little-endian 64-bit word at ``offset``
    bytes into each string (bytes past its end are arbitrary), which is
    only read; ``h1`` and ``h2``, one element per string, receive the two
    halves.
    """
    blocks, tail = divmod(length, _BLOCK)
    h1.fill(seed)
    h2.fill(seed)
    k = np.empty_like(h1)
    spare = np.empty_like(h1)
    for block in range(blocks):
        _mix(h1, word_at(_BLOCK * block), k, spare, _C1, 31, _C2)
        _rotl(h1, 27, spare)
        h1 += h2
        h1 *= _FIVE
        h1 += _ADD1
        _mix(h2, word_at(_BLOCK * block + 8), k, spare, _C2, 33, _C1)
        _rotl(h2, 31, spare)
        h2 += h1
        h2 *= _FIVE
        h2 += _ADD2
    # The tail's missing bytes count as zeros, as when read byte by byte.
    if tail > _WORD:
        k2 = word_at(_BLOCK * blocks + _WORD)
        np.bitwise_and(k2, _U64((1 << (8 * (tail - _WORD))) - 1), out=k)
        _mix(h2, k, k, spare, _C2, 33, _C1)
    if tail:
        k1 = word_at(_BLOCK * blocks)
        if tail < _WORD:
            np.bitwise_and(k1, _U64((1 << (8 * tail)) - 1), out=k)
            k1 = k
        _mix(h1, k1, k, spare, _C1, 31, _C2)
    size = _U64(length)
    h1 ^= size
    h2 ^= size
    h1 += h2
    h2 += h1
    _fmix(h1, spare)
    _fmix(h2, spare)
    h1 += h2
    h2 += h1


def _common_length(
    data: npt.NDArray[np.uint8], first: str, count: int
) -> int | None:
    """The length all ``count`` items share (NUL-joined: ``data``), if any."""
    length = len(first)
    stride = length + 1
    if len(data) != stride * count - 1:
        return None
    # If the only NULs are separators, each item has the length iff every
    # separator sits at the stride.
    if np.count_nonzero(data) != len(data) - (count - 1):
        return None
    return None if data[length::stride].any() else length


def _lengths(
    data: npt.NDArray[np.uint8], items: Sequence[str]
) -> npt.NDArray[np.intp]:
    """Byte length of each item (the items joined by NUL into ``data``)."""
    ends = np.flatnonzero(data == 0)
    if len(ends) != len(items) - 1:
        # An item holds NUL itself: ask each item (ASCII: chars = bytes).
        return np.fromiter(map(len, items), dtype=np.intp, count=len(items))
    ends = np.append(ends, len(data))
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    return ends - starts


def _encode(items: Sequence[str], start: int, stop: int) -> bytes:
    """Join ``items[start:stop]`` by NUL as ASCII, then ``_BLOCK`` NULs."""
    # Small pieces keep the strings in the CPU caches from the slice's
    # reference counting through the join to the slice's release.
    pieces = [
        _SEPARATOR.join(items[first : min(first + _PIECE, stop)]).encode(
            "ascii"
        )
        for first in range(start, stop, _PIECE)
    ]
    pieces.append(_PADDING)
    return _SEPARATOR.encode("ascii").join(pieces)


def hash_ascii(
    items: Sequence[str],
    start: int,
    stop: int,
    seed: int,
    *,
    mixed: bool = False,
) -> (
    tuple[
        npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.bool_]
    ]
    | None
):
    """
    Hash ASCII strings with MurmurHash3 x64/128, all at once.

    Args:
        items: Strings, of which ``items[start:stop]`` (not empty) are
            hashed; they must be ASCII.
        start: Index of the first string to hash.
        stop: Index after the last string to hash.
        seed: The MurmurHash3 seed.
        mixed: Whether to hash strings of different lengths (by length
            group) or give up on them.

    Returns:
        The first and second 64-bit halves of each string's hash, and
        which strings are empty; None if the lengths differ and ``mixed``
        is false.

    Raises:
        TypeError: An item is not a string.
        UnicodeEncodeError: An item is not ASCII.
    """
    if not mixed:
        # A few samples reject most mixed batches before any copying.
        length = len(items[start])
        step = max(1, (stop - start) // _SAMPLES)
        if any(len(items[at]) != length for at in range(start, stop, step)):
            return None
    padded = _encode(items, start, stop)
    data = np.frombuffer(padded, dtype=np.uint8)[: len(padded) - _BLOCK]
    count = stop - start
    # The 8 bytes at every offset, as one overlapping array of words; the
    # padding lets the last string's words run past its end.
    words = np.ndarray(
        (len(padded) - _WORD + 1,), dtype="<u8", buffer=padded, strides=(1,)
    )
    h1 = np.empty(count, dtype=np.uint64)
    h2 = np.empty(count, dtype=np.uint64)
    common = _common_length(data, items[start], count)
    if common is not None:
        # The common case: one length (UUIDs), strings at a fixed stride.
        stride = common + 1
        for first in range(0, count, _ROWS):
            rows = min(_ROWS, count - first)
            base = first * stride

            def strided(
                offset: int, base: int = base, rows: int = rows
            ) -> npt.NDArray[np.uint64]:
                return words[base + offset :: stride][:rows]

            # The halves are hashed in place, in the result's rows.
            _hash_group(
                strided,
                common,
                seed,
                h1[first : first + rows],
                h2[first : first + rows],
            )
        return h1, h2, np.full(count, fill_value=common == 0)
    if not mixed:
        return None
    lengths = _lengths(data, items[start:stop])
    starts = np.arange(count) + np.cumsum(lengths) - lengths
    for length in np.unique(lengths).tolist():
        group = np.flatnonzero(lengths == length)
        for first in range(0, len(group), _ROWS):
            members = group[first : first + _ROWS]
            at = starts[members]

            def gathered(
                offset: int, at: npt.NDArray[np.intp] = at
            ) -> npt.NDArray[np.uint64]:
                return words[at + offset]

            group1 = np.empty(len(members), dtype=np.uint64)
            group2 = np.empty(len(members), dtype=np.uint64)
            _hash_group(gathered, length, seed, group1, group2)
            h1[members] = group1
            h2[members] = group2
    return h1, h2, lengths == 0


def register_values(second: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """
    Register value of each hash: the second half's leading zeros + 1, <= 63.
    """
    # Doubles hold 53 bits exactly: the top 53 bits give the bit length,
    # except for halves below 2**11 (almost never), handled apart.
    top = (second >> _U64(_EXACT_SHIFT)).astype(np.float64)
    values = (64 - _EXACT_SHIFT) - np.frexp(top)[1].astype(np.intp)
    small = np.flatnonzero(top == 0)
    if len(small):
        exact = second[small].astype(np.float64)
        values[small] = 64 - np.frexp(exact)[1]
    values += 1
    return np.minimum(values, _MAX_VALUE)


def update_registers(
    registers: bytearray,
    first: npt.NDArray[np.uint64],
    second: npt.NDArray[np.uint64],
    skip: npt.NDArray[np.bool_],
    state: BatchState,
    *,
    in_order: bool,
) -> BatchState:
    """
    Feed hashes to HLL-mode registers, as the pure path does one by one.

    Args:
        registers: The sketch's registers, raised in place.
        first: First halves of the hashes (low bits: the slot).
        second: Second halves (leading zeros: the value).
        skip: Hashes to ignore (those of empty strings).
        state: The derived state before the batch.
        in_order: Whether the HIP accumulator is maintained.

    Returns:
        The derived state after the batch.
    """
    current = np.frombuffer(registers, dtype=np.uint8)
    if 0 < state.cur_min < _MAX_VALUE:
        # A hash can raise a register only if its value is above the
        # smallest one: its second half is below 2**(64 - cur_min).  Most
        # hashes fail that; leaving them out first keeps the same
        # candidates, in the same order, for less work.
        kept = np.flatnonzero(second < _U64(1 << (64 - state.cur_min)))
        first = first[kept]
        second = second[kept]
        skip = skip[kept]
    slots = (first & _U64(len(registers) - 1)).astype(np.intp)
    values = register_values(second)
    if skip.any():
        values[skip] = 0
    # Only an item above its register's value before the batch can raise it.
    candidates = np.flatnonzero(values > current[slots])
    if not len(candidates):
        return state
    olds, news = _raise(
        current,
        candidates,
        slots[candidates],
        values[candidates],
        batch=len(first),
    )
    old_powers = _INVERSE_POWERS[olds]
    new_powers = _INVERSE_POWERS[news]
    low = news < _HALF_VALUE
    old_low = olds < _HALF_VALUE
    # Every partial kxq sum is a sum of register powers of two, exact in
    # doubles, so the running sums equal the pure path's bit for bit.
    delta0 = np.where(low, new_powers, 0.0)
    delta0 -= np.where(old_low, old_powers, 0.0)
    delta1 = np.where(low, 0.0, new_powers)
    delta1 -= np.where(old_low, 0.0, old_powers)
    kxq0 = np.cumsum(np.concatenate(([state.kxq0], delta0)))
    kxq1 = np.cumsum(np.concatenate(([state.kxq1], delta1)))
    hip = state.hip
    if in_order:
        # DataSketches adds k / kxq before each rise; the additions stay in
        # arrival order, in Python floats, as in the pure path.
        terms = float(len(registers)) / (kxq0[:-1] + kxq1[:-1])
        for term in terms.tolist():
            hip += term
    cur_min = state.cur_min
    num_at_cur_min = state.num_at_cur_min - int(
        np.count_nonzero(olds == cur_min)
    )
    if not num_at_cur_min:
        cur_min = int(current.min())
        num_at_cur_min = int(np.count_nonzero(current == cur_min))
    return BatchState(
        hip, float(kxq0[-1]), float(kxq1[-1]), cur_min, num_at_cur_min
    )


def _stable_order(
    keys: npt.NDArray[np.intp], bound: int
) -> npt.NDArray[np.intp]:
    """
    The stable sorting permutation of ``keys``, all below ``bound``.

    numpy sorts 16-bit integers stably by radix, several times faster
    than it sorts wider ones; the permutation is the same.
    """
    if bound <= _RADIX_BOUND:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _raise(
    current: npt.NDArray[np.uint8],
    arrival: npt.NDArray[np.intp],
    slots: npt.NDArray[np.intp],
    values: npt.NDArray[np.intp],
    *,
    batch: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """
    Raise the registers as the candidates would, one by one.

    ``arrival`` holds the candidates' distinct positions in a batch of
    ``batch`` hashes.

    Returns:
        The old and new value of every rise, in arrival order.
    """
    # Group by slot, keeping arrival order within a slot: a candidate
    # raises its register iff it beats every earlier one of its slot.
    by_slot = _stable_order(slots, len(current))
    slots = slots[by_slot]
    values = values[by_slot]
    keys = slots * (_MAX_VALUE + 1) + values
    best = np.maximum.accumulate(keys)
    rises = np.empty(len(keys), dtype=np.bool_)
    rises[0] = True
    # A slot's first candidate beats the previous slot's keys by design.
    rises[1:] = keys[1:] > best[:-1]
    slots = slots[rises]
    values = values[rises]
    arrival = arrival[by_slot][rises]
    # Each rise replaces the previous rise of its slot, or the register.
    repeat = np.zeros(len(slots), dtype=np.bool_)
    repeat[1:] = slots[1:] == slots[:-1]
    olds = current[slots].astype(np.intp)
    olds[1:][repeat[1:]] = values[:-1][repeat[1:]]
    last = np.ones(len(slots), dtype=np.bool_)
    last[:-1] = ~repeat[1:]
    current[slots[last]] = values[last]
    in_time = _stable_order(arrival, batch)
    return olds[in_time], values[in_time]
