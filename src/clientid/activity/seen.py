"""
How a sketched month has attributed its clients.

A month past its exact limit counts with HyperLogLog sketches, one per
attribution group.  A sketch cannot say whether it holds a client, nor
take one out, so the month keeps :class:`AttributedFilter`: per client a
64-bit fingerprint, the earliest use recorded so far (microseconds since
the epoch), the group that use names, and the client's DataSketches
coupon.  A repeat of a client adds nothing; an earlier use moves it to
its group.  The group sketches are made from the coupons when a report
asks (:meth:`AttributedFilter.coupons_by_group`), so each client counts in
one group, its first use's, whatever the order records arrive in, and the
sketches are the same for the same attribution.

The table is open addressing over four machine-word arrays (``array``),
not a ``dict`` of strings: 24 bytes a slot at a load of 3/8 to 3/4, so 32
to 64 bytes a client, against about 100 for a ``set`` of 36-character IDs
alone.

The fingerprint is the second half of the client's DataSketches hash
(MurmurHash3 x64/128, seed 9001), the half the coupon's value comes from;
so one hash serves both.  Two different clients share a fingerprint with
probability 2**-63 per pair, so with *n* clients in a month a new one is
taken for an attributed one with probability below n * 2**-63 (1e-12 at
ten million clients): the filter is exact for every practical purpose, and
the counts' bounds stay the sketches' own.
"""

from __future__ import annotations

import sys
from array import array
from typing import Final

from clientid.model.hashing import (
    DATASKETCHES_SEED,
    datasketches_hash128,
    murmur3_x64_128_ascii,
)
from clientid.sketch.hll import coupon_value, hash_coupon

__all__ = ["AttributedFilter"]

_MIN_SLOTS: Final = 1 << 10
#: Bytes a slot takes in the four arrays (fingerprint, used, group, coupon).
_SLOT_BYTES: Final = 8 + 8 + 4 + 4
_isascii: Final = str.isascii
_hash128: Final = murmur3_x64_128_ascii
_SEED: Final = DATASKETCHES_SEED


class AttributedFilter:
    """
    Each client of a sketched month, its first use and its group.

    Linear probing over a power-of-two table kept at most three quarters
    full; fingerprint 0 marks an empty slot (fingerprints have their low
    bit set), whose other words are 0 too.

    Args:
        capacity: Clients to make room for before the table first grows.
    """

    __slots__ = ("_count", "_coupons", "_groups", "_mask", "_table", "_used")

    def __init__(self, capacity: int = 0) -> None:
        slots = _MIN_SLOTS
        while slots * 3 < capacity * 4:
            slots *= 2
        self._allocate(slots)
        self._count = 0

    def _allocate(self, slots: int) -> None:
        self._table = array("Q", bytes(8 * slots))
        self._used = array("q", bytes(8 * slots))
        self._groups = array("i", bytes(4 * slots))
        self._coupons = array("I", bytes(4 * slots))
        self._mask = slots - 1

    def __len__(self) -> int:
        """Clients held."""
        return self._count

    @property
    def nbytes(self) -> int:
        """The bytes the table takes."""
        return len(self._table) * _SLOT_BYTES

    def attribute(self, client_id: str, group: int, used: int) -> bool:
        """
        Record a use of *client_id* in *group* at *used*.

        A client not held yet is attributed to *group*; one held with a
        later use moves to *group* and this use; otherwise nothing changes
        (among equal times, the first recorded stays).

        Args:
            client_id: The client; UTF-8 encodable (the caller checks).
            group: Its attribution group's number, from 0.
            used: When, in microseconds since the epoch.

        Returns:
            Whether a group's membership changed (the sketches made from
            :meth:`coupons_by_group` are stale).

        Runtime: O(1) expected, one hash and about two probes.
        """
        hashed = (
            _hash128(client_id, _SEED)
            if _isascii(client_id)
            else datasketches_hash128(client_id)
        )
        fingerprint = hashed >> 64 | 1
        table, mask = self._table, self._mask
        slot = fingerprint >> 1 & mask
        while True:
            held = table[slot]
            if held == fingerprint:
                if used >= self._used[slot]:
                    return False
                self._used[slot] = used
                if self._groups[slot] == group:
                    return False
                self._groups[slot] = group
                return True
            if not held:
                break
            slot = slot + 1 & mask
        table[slot] = fingerprint
        self._used[slot] = used
        self._groups[slot] = group
        self._coupons[slot] = hash_coupon(hashed)
        self._count += 1
        if self._count * 4 > len(table) * 3:
            self._grow()
        return True

    def attribution(self, client_id: str) -> tuple[int, int] | None:
        """A held client's (group, first use), or ``None``."""
        hashed = datasketches_hash128(client_id)
        fingerprint = hashed >> 64 | 1
        table, mask = self._table, self._mask
        slot = fingerprint >> 1 & mask
        while held := table[slot]:
            if held == fingerprint:
                return self._groups[slot], self._used[slot]
            slot = slot + 1 & mask
        return None

    def coupons_by_group(self) -> dict[int, array[int]]:
        """
        Each group's clients, as DataSketches coupons, groups ascending.

        Arrays of 32-bit words, 4 bytes a client, in table order.

        Runtime: O(slots), one Python step each.
        """
        found: dict[int, array[int]] = {}
        for group, coupon in zip(self._groups, self._coupons, strict=True):
            if coupon:
                coupons = found.get(group)
                if coupons is None:
                    found[group] = array("I", (coupon,))
                else:
                    coupons.append(coupon)
        return dict(sorted(found.items()))

    def max_group(self) -> int:
        """The largest group number held (-1 when empty)."""
        return max(
            (g for g, f in zip(self._groups, self._table, strict=True) if f),
            default=-1,
        )

    def to_bytes(self) -> bytes:
        """
        The four arrays, little-endian, one after another.

        The same on every machine; equal filters (the same uses recorded
        in the same order) give equal bytes; :meth:`from_bytes` reads them
        back.
        """
        parts = []
        for column in (self._table, self._used, self._groups, self._coupons):
            copy = array(column.typecode, column)
            if sys.byteorder == "big":  # pragma: no cover (little-endian CI)
                copy.byteswap()
            parts.append(copy.tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> AttributedFilter:
        """
        Rebuild a filter from :meth:`to_bytes`.

        Raises:
            AssertionError: *data* is no table this class could have made
                (its length, a fingerprint, a coupon, a group, a probe
                chain or the load is wrong).
        """
        slots, rest = divmod(len(data), _SLOT_BYTES)
        if rest or slots < _MIN_SLOTS or slots & (slots - 1):
            raise AssertionError
        found = cls()
        found._allocate(slots)
        start = 0
        for column in (
            found._table,
            found._used,
            found._groups,
            found._coupons,
        ):
            end = start + slots * column.itemsize
            del column[:]
            column.frombytes(data[start:end])
            if sys.byteorder == "big":  # pragma: no cover (little-endian CI)
                column.byteswap()
            start = end
        found._count = sum(1 for fingerprint in found._table if fingerprint)
        found.check()
        return found

    def _grow(self) -> None:
        columns = (self._table, self._used, self._groups, self._coupons)
        self._allocate(2 * len(self._table))
        table, used, groups, coupons = (
            self._table,
            self._used,
            self._groups,
            self._coupons,
        )
        mask = self._mask
        for fingerprint, when, group, coupon in zip(*columns, strict=True):
            if fingerprint:
                slot = fingerprint >> 1 & mask
                while table[slot]:
                    slot = slot + 1 & mask
                table[slot] = fingerprint
                used[slot] = when
                groups[slot] = group
                coupons[slot] = coupon

    def check(self) -> None:
        """Raise AssertionError if an invariant is broken."""
        table, mask = self._table, self._mask
        held = 0
        for slot, fingerprint in enumerate(table):
            if not fingerprint:
                if (
                    self._used[slot]
                    or self._groups[slot]
                    or (self._coupons[slot])
                ):
                    raise AssertionError
                continue
            held += 1
            coupon = self._coupons[slot]
            if (
                not fingerprint & 1
                or self._groups[slot] < 0
                # The fingerprint is the hash's second half (low bit set,
                # which keeps its bit length): it fixes the coupon's value.
                or (
                    coupon
                    and coupon_value(coupon)
                    != coupon_value(hash_coupon(fingerprint << 64))
                )
            ):
                raise AssertionError
            # Every slot from the fingerprint's home to its own is taken,
            # or a lookup would stop short of it; none holds it earlier.
            probe = fingerprint >> 1 & mask
            while probe != slot:
                if table[probe] in {0, fingerprint}:
                    raise AssertionError
                probe = probe + 1 & mask
        if held != self._count or self._count * 4 > len(table) * 3:
            raise AssertionError
