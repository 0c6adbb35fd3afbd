"""
Tests for the batch paths' filters on the smallest register.

``update`` leaves out, before any register is read, the hashes that cannot
raise the smallest register: the pure path by the top byte of mmh3's
digests (exact up to a minimum of 8, letting a few too many through
above), the numpy path by the second half of each hash.  Both must leave
the sketch exactly as per-item ``add`` does (the reference: one integer
hash at a time), whatever the minimum, also when it rises within a batch.
"""

from __future__ import annotations

import contextlib
import functools
import random
import struct
import uuid
from typing import TYPE_CHECKING
from unittest import mock

import mmh3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import HyperLogLog
from clientid.sketch import hll as _hll

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Printable ASCII, NUL and controls, as the numpy tests use.
ASCII = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40)


def _value(item: str) -> int:
    """The register value of an item's hash (the documented recipe)."""
    _, second = mmh3.hash64(item.encode(), 9001, signed=False)
    return min(64 - second.bit_length(), 62) + 1


@functools.cache
def _by_value() -> dict[int, list[str]]:
    """Strings of one length, grouped by the register value they hash to."""
    groups: dict[int, list[str]] = {}
    for number in range(300_000):
        item = f"item-{number:08d}"
        groups.setdefault(_value(item), []).append(item)
    return groups


def _floored(lg_k: int, floor: int, seed: int) -> HyperLogLog:
    """An in-order HLL-mode sketch whose smallest register is ``floor``."""
    rng = random.Random(seed)  # noqa: S311 - seeded, not secret
    k = 1 << lg_k
    registers = bytes(
        [floor] + [floor + min(rng.randrange(4), 2) for _ in range(k - 1)]
    )
    # A HIP accumulator the registers allow: about what they estimate.
    hip = float(k) * 2.0 ** (floor + 1)
    header = struct.pack("<5B", 0xC1, 1, lg_k, 2, 0)
    sketch = HyperLogLog.from_bytes(
        header + struct.pack("<d", hip) + registers
    )
    sketch._check()
    return sketch


def _batch(floor: int, seed: int, size: int) -> list[str]:
    """
    Same-length IDs around the floor: most below it, some at it, just
    above it and far above it, shuffled.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded, not secret
    groups = _by_value()
    items: list[str] = []
    for value in range(max(1, floor - 2), floor + 6):
        pool = groups.get(value, [])
        items.extend(rng.sample(pool, min(len(pool), size)))
    items.extend(rng.sample(groups[1], size))
    rng.shuffle(items)
    return items


@contextlib.contextmanager
def _path(*, numpy: bool) -> Iterator[None]:
    """Force the numpy path for every HLL-mode batch, or the pure path."""
    with mock.patch.object(_hll, "_VECTOR_MIN", 1 if numpy else 1 << 62):
        yield


def _numpy_installed() -> bool:
    """Tell whether the numpy path can run here."""
    try:
        import clientid.sketch.batch_numpy  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


PATHS = [
    pytest.param(False, id="pure"),
    pytest.param(
        True,
        id="numpy",
        marks=pytest.mark.skipif(
            not _numpy_installed(), reason="numpy is not installed"
        ),
    ),
]


def _added(sketch: HyperLogLog, items: list[str]) -> HyperLogLog:
    """The reference: a copy of ``sketch`` fed item by item with add."""
    reference = sketch.copy()
    for item in items:
        reference.add(item)
    reference._check()
    return reference


def _updated(
    sketch: HyperLogLog, items: list[str], *, numpy: bool
) -> HyperLogLog:
    """A copy of ``sketch`` fed with one update on the chosen path."""
    result = sketch.copy()
    with _path(numpy=numpy):
        result.update(items)
    result._check()
    return result


def _assert_same(result: HyperLogLog, reference: HyperLogLog) -> None:
    """Same registers, HIP accumulator, kxq sums and estimate."""
    assert reference.to_bytes() == result.to_bytes()
    assert reference.to_datasketches() == result.to_datasketches()
    assert reference.estimate() == result.estimate()


class TestFilteredBatches:
    """
    Batches past the filter end as per-item ``add`` ends.
    """

    @pytest.mark.parametrize("numpy", PATHS)
    @pytest.mark.parametrize("floor", range(1, 14))
    @pytest.mark.parametrize("lg_k", [4, 7, 10])
    def test_every_minimum_agrees_with_add(self, lg_k, floor, numpy):
        """
        Minimum 1 to 13 (exact and conservative top-byte bounds), items
        just below, at and above it: same state as add.
        """
        sketch = _floored(lg_k, floor, seed=lg_k * 100 + floor)
        items = _batch(floor, seed=floor, size=40)

        result = _updated(sketch, items, numpy=numpy)

        _assert_same(result, _added(sketch, items))

    @pytest.mark.parametrize("numpy", PATHS)
    def test_minimum_rising_within_a_batch_agrees_with_add(self, numpy):
        """
        A sketch whose minimum rises many times within one batch (the
        filter's bound then lets through more than it must) agrees.
        """
        items = [str(uuid.UUID(int=n, version=4)) for n in range(60_000)]
        sketch = HyperLogLog(4)
        sketch.update(items[:100])

        result = _updated(sketch, items[100:], numpy=numpy)

        reference = _added(sketch, items[100:])
        _assert_same(result, reference)
        assert reference._cur_min > 8

    @pytest.mark.parametrize("numpy", PATHS)
    def test_empty_strings_past_the_filter_are_ignored(self, numpy):
        """
        The empty string's hash is skipped wherever it falls.
        """
        sketch = _floored(6, 1, seed=1)
        items = ["", *_batch(1, seed=2, size=30), "", ""]

        result = _updated(sketch, items, numpy=numpy)

        _assert_same(result, _added(sketch, items))

    @pytest.mark.parametrize("numpy", PATHS)
    def test_merged_sketches_agree_with_add(self, numpy):
        """
        After a merge (stale derived state, no HIP) the batch agrees.
        """
        merged = _floored(8, 2, seed=3).union(_floored(8, 3, seed=4))
        items = _batch(3, seed=5, size=40)

        result = _updated(merged, items, numpy=numpy)

        _assert_same(result, _added(merged, items))

    @given(
        lg_k=st.integers(4, 12),
        floor=st.integers(1, 12),
        seed=st.integers(0, 2**32),
        items=st.lists(ASCII, max_size=300),
    )
    def test_any_ascii_batch_agrees_with_add(self, lg_k, floor, seed, items):
        """
        Any ASCII text (mixed lengths, NULs, empty strings) agrees.
        """
        sketch = _floored(lg_k, floor, seed)
        mixed = items + _batch(floor, seed, size=5)
        random.Random(seed).shuffle(mixed)  # noqa: S311 - seeded

        result = _updated(sketch, mixed, numpy=False)

        _assert_same(result, _added(sketch, mixed))
