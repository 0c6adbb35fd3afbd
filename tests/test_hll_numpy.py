"""
Tests for the optional numpy path of HyperLogLog.update.

Every test compares the numpy path with the pure path: same hashes, same
register values, and sketches that serialize to the same bytes.
"""

from __future__ import annotations

import contextlib
import random
import struct
import sys
import uuid
from typing import TYPE_CHECKING, Any
from unittest import mock

import mmh3
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clientid
import clientid.sketch
from clientid import HyperLogLog
from clientid.errors import InvalidModelError
from clientid.sketch import hll as _hll

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

np = pytest.importorskip("numpy")
_hll_numpy = pytest.importorskip("clientid.sketch.batch_numpy")

#: Printable ASCII, NUL and a few control characters: separators and
#: padding in the numpy path must not be confused with item bytes.
ASCII = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40)
BATCHES = st.lists(st.lists(ASCII, max_size=300), min_size=1, max_size=3)
LG_KS = st.integers(min_value=4, max_value=21)


@contextlib.contextmanager
def _path(*, numpy: bool) -> Iterator[None]:
    """Force the numpy path for every HLL-mode batch, or the pure path."""
    with (
        mock.patch.object(_hll, "_VECTOR_MIN", 1 if numpy else 1 << 62),
        mock.patch.object(_hll, "_VECTOR_MIXED", numpy),
    ):
        yield


def _feed(
    sketch: HyperLogLog, batches: Iterable[list[str]], *, numpy: bool
) -> HyperLogLog:
    """Update a copy of ``sketch`` with each batch on one path."""
    result = sketch.copy()
    with _path(numpy=numpy):
        for batch in batches:
            result.update(batch)
    if result.lg_k <= _CHECKED_LG_K:
        result._check()
    return result


#: Random bytes to register values 0..5, about geometric (0 for 3 %).
_VALUES = bytes(
    0 if byte < 8 else 9 - byte.bit_length() for byte in range(256)
)
#: Above this lg_k, _check (a Python pass over the registers) is skipped.
_CHECKED_LG_K = 14


def _dense(lg_k: int, seed: int, *, out_of_order: bool = False) -> HyperLogLog:
    """An HLL-mode sketch with random low registers, built from bytes."""
    rng = random.Random(seed)  # noqa: S311 - seeded, not secret
    registers = b"\x01" + rng.randbytes((1 << lg_k) - 1).translate(_VALUES)
    # An in-order HIP accumulator between k and 2k: within what registers
    # of values 1..5 allow (from the non-zero count to above 3k).
    k = 1 << lg_k
    hip = 0.0 if out_of_order else float(rng.randrange(k, 2 * k))
    header = struct.pack("<5B", 0xC1, 1, lg_k, 2, int(out_of_order))
    return HyperLogLog.from_bytes(header + struct.pack("<d", hip) + registers)


def _hash(items: list[str], start: int, stop: int) -> Any:
    """Hash ``items[start:stop]`` on the numpy path, mixed lengths too."""
    hashed = _hll_numpy.hash_ascii(items, start, stop, 9001, mixed=True)
    assert hashed is not None
    return hashed


def _uuids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - seeded, not secret
    return [
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(count)
    ]


class TestHashing:
    """
    The vectorised MurmurHash3 equals mmh3, string by string.
    """

    @given(items=st.lists(ASCII, min_size=1, max_size=200))
    def test_hashes_equal_mmh3_for_any_ascii_batch(self, items):
        """
        Both halves of every hash equal mmh3's x64/128 with seed 9001.
        """
        first, second, empty = _hash(items, 0, len(items))

        expected = [mmh3.hash64(item, 9001, signed=False) for item in items]
        assert (
            list(zip(first.tolist(), second.tolist(), strict=True)) == expected
        )
        assert empty.tolist() == [item == "" for item in items]

    @pytest.mark.parametrize("length", range(50))
    def test_hashes_equal_mmh3_for_every_length(self, length):
        """
        Each block count and tail length hashes right at a common length.
        """
        rng = random.Random(length)  # noqa: S311 - seeded, not secret
        items = [
            "".join(chr(rng.randrange(1, 128)) for _ in range(length))
            for _ in range(20)
        ]

        first, second, _ = _hash(items, 0, len(items))

        expected = [mmh3.hash64(item, 9001, signed=False) for item in items]
        assert (
            list(zip(first.tolist(), second.tolist(), strict=True)) == expected
        )

    def test_hash_covers_only_the_requested_range(self):
        """
        hash_ascii(items, start, stop) hashes exactly items[start:stop].
        """
        items = [*_uuids(50, 1), "x", "yy"]

        first, _, _ = _hash(items, 10, 51)

        expected = [
            mmh3.hash64(s, 9001, signed=False)[0] for s in items[10:51]
        ]
        assert first.tolist() == expected

    def test_non_ascii_text_raises_unicode_encode_error(self):
        """
        The numpy path refuses non-ASCII text (update falls back).
        """
        with pytest.raises(UnicodeEncodeError):
            _hash(["a", "é"], 0, 2)

    def test_mixed_lengths_are_refused_unless_asked_for(self):
        """
        Without mixed=True, strings of different lengths give None.
        """
        assert _hll_numpy.hash_ascii(["a", "bb"], 0, 2, 9001) is None


class TestRegisterValues:
    """
    Register values are the second half's leading zeros + 1, at most 63.
    """

    @pytest.mark.parametrize(
        "second",
        [
            0,
            1,
            (1 << 11) - 1,
            1 << 11,
            (1 << 53) - 1,
            1 << 53,
            (1 << 53) + 1,
            (1 << 63) - 1,
            1 << 63,
            (1 << 64) - 1,
        ],
    )
    def test_edge_values_match_the_pure_formula(self, second):
        """
        Values at the float-precision and cap edges equal the pure path's.
        """
        values = _hll_numpy.register_values(np.array([second], np.uint64))

        assert values.tolist() == [min(65 - second.bit_length(), 63)]

    @given(st.lists(st.integers(0, (1 << 64) - 1), min_size=1))
    def test_values_match_the_pure_formula(self, seconds):
        """
        Every 64-bit second half gets the pure path's value.
        """
        values = _hll_numpy.register_values(np.array(seconds, np.uint64))

        assert values.tolist() == [
            min(65 - second.bit_length(), 63) for second in seconds
        ]


class TestBitIdentical:
    """
    A sketch updated on the numpy path equals one updated on the pure path.
    """

    @given(lg_k=LG_KS, batches=BATCHES)
    def test_fresh_sketches_serialize_identically(self, lg_k, batches):
        """
        From empty, through coupon mode and promotion, the bytes agree.
        """
        empty = HyperLogLog(lg_k)

        fast = _feed(empty, batches, numpy=True)
        pure = _feed(empty, batches, numpy=False)

        assert fast.to_bytes() == pure.to_bytes()
        assert fast.to_datasketches() == pure.to_datasketches()

    @given(lg_k=LG_KS, seed=st.integers(0, 2**32), batches=BATCHES)
    def test_in_order_hll_sketches_serialize_identically(
        self, lg_k, seed, batches
    ):
        """
        In HLL mode the registers, HIP accumulator and kxq sums agree.
        """
        dense = _dense(lg_k, seed)

        fast = _feed(dense, batches, numpy=True)
        pure = _feed(dense, batches, numpy=False)

        assert fast.to_bytes() == pure.to_bytes()
        assert fast.to_datasketches() == pure.to_datasketches()

    @given(lg_k=LG_KS, seed=st.integers(0, 2**32), batches=BATCHES)
    def test_merged_sketches_serialize_identically(self, lg_k, seed, batches):
        """
        An out-of-order (merged, stale) sketch ends in the same state.
        """
        merged = _dense(lg_k, seed).union(_dense(lg_k, seed + 1))

        fast = _feed(merged, batches, numpy=True)
        pure = _feed(merged, batches, numpy=False)

        assert fast.to_bytes() == pure.to_bytes()
        assert fast.estimate() == pure.estimate()

    @given(lg_k=LG_KS, seed=st.integers(0, 2**32))
    def test_uuid_batches_serialize_identically(self, lg_k, seed):
        """
        A batch of same-length UUIDs (the strided case) agrees.
        """
        items = _uuids(1000, seed)

        fast = _feed(_dense(lg_k, seed), [items], numpy=True)
        pure = _feed(_dense(lg_k, seed), [items], numpy=False)

        assert fast.to_bytes() == pure.to_bytes()

    def test_large_batch_takes_the_numpy_path_by_default(self):
        """
        50,000 UUIDs at lg_k 14 go through numpy and match the pure path.
        """
        items = _uuids(50_000, 14)
        fast = HyperLogLog(14)
        spy = mock.patch.object(
            _hll_numpy,
            "update_registers",
            wraps=_hll_numpy.update_registers,
        )

        with spy as update_registers:
            fast.update(items)
        pure = _feed(HyperLogLog(14), [items], numpy=False)
        fast._check()

        assert update_registers.called
        assert fast.to_bytes() == pure.to_bytes()
        assert fast.estimate() == pure.estimate()

    def test_mixed_lengths_take_the_pure_path_by_default(self):
        """
        A large batch of mixed lengths is counted on the pure path.
        """
        items = [f"client-{i}" for i in range(20_000)]
        fast = HyperLogLog(12)
        spy = mock.patch.object(
            _hll_numpy, "update_registers", wraps=_hll_numpy.update_registers
        )

        with spy as update_registers:
            fast.update(items)
        pure = _feed(HyperLogLog(12), [items], numpy=False)

        assert not update_registers.called
        assert fast.to_bytes() == pure.to_bytes()

    def test_iterables_that_are_not_lists_agree(self):
        """
        A generator is batched and takes the numpy path too.
        """
        items = _uuids(20_000, 3)
        fast = HyperLogLog(12)

        fast.update(item for item in items)
        pure = _feed(HyperLogLog(12), [items], numpy=False)
        fast._check()

        assert fast.to_bytes() == pure.to_bytes()


class TestFallback:
    """
    What the numpy path cannot take goes through the pure path.
    """

    def test_non_ascii_batch_falls_back_and_agrees(self):
        """
        A batch with non-ASCII text counts as on the pure path.
        """
        items = [f"é-{i}" for i in range(400)] + _uuids(400, 5)

        fast = _feed(_dense(10, 1), [items], numpy=True)
        pure = _feed(_dense(10, 1), [items], numpy=False)

        assert fast.to_bytes() == pure.to_bytes()

    def test_empty_strings_are_ignored(self):
        """
        Empty strings change nothing on the numpy path.
        """
        items = _uuids(500, 6)

        with_empty = _feed(_dense(8, 2), [["", *items, "", ""]], numpy=True)
        without = _feed(_dense(8, 2), [items], numpy=True)

        assert with_empty.to_bytes() == without.to_bytes()

    def test_batch_of_only_empty_strings_changes_nothing(self):
        """
        A batch of empty strings (length 0, one group) leaves the sketch.
        """
        dense = _dense(6, 3)

        result = _feed(dense, [[""] * 10], numpy=True)

        assert result.to_bytes() == dense.to_bytes()

    def test_lone_surrogate_counts_the_items_before_it(self):
        """
        The bad item raises; the items before it are counted, as on the
        pure path.
        """
        items = [*_uuids(300, 7), "\ud800", *_uuids(300, 8)]
        fast = _dense(9, 4)
        pure = _dense(9, 4)

        with _path(numpy=True), pytest.raises(InvalidModelError):
            fast.update(items)
        with _path(numpy=False), pytest.raises(InvalidModelError):
            pure.update(items)
        fast._check()

        assert fast.to_bytes() == pure.to_bytes()

    def test_non_string_items_raise_as_on_the_pure_path(self):
        """
        A non-string item raises InvalidModelError after the items before it.
        """
        good = _uuids(300, 9)
        items: list[object] = [*good, 5, *_uuids(10, 10)]
        fast = _dense(9, 5)
        pure = _dense(9, 5)

        with _path(numpy=True), pytest.raises(InvalidModelError) as info:
            fast.update(items)  # type: ignore[arg-type]
        with _path(numpy=False), pytest.raises(InvalidModelError):
            pure.update(items)  # type: ignore[arg-type]

        assert (info.value.field, info.value.value) == ("client_id", 5)
        assert fast.to_bytes() == pure.to_bytes()
        assert (
            fast.to_bytes()
            == _feed(_dense(9, 5), [good], numpy=False).to_bytes()
        )

    def test_missing_numpy_takes_the_pure_path(self, monkeypatch):
        """
        If the numpy module cannot be imported, update still counts.
        """
        items = _uuids(5000, 10)
        sketch = _dense(12, 6)
        expected = _feed(sketch, [items], numpy=False)
        monkeypatch.delattr(clientid.sketch, "batch_numpy")
        monkeypatch.setitem(sys.modules, "clientid.sketch.batch_numpy", None)
        spy = mock.patch.object(
            _hll_numpy, "hash_ascii", wraps=_hll_numpy.hash_ascii
        )

        with spy as hash_ascii, _path(numpy=True):
            sketch.update(items)

        assert not hash_ascii.called

        assert sketch.to_bytes() == expected.to_bytes()
