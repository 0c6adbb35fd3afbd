"""
Live cross-checks against the ``datasketches`` package (nox session only).

Every test carries the ``datasketches`` marker; the default run excludes it
and the golden images in ``tests/acceptance/data/datasketches`` cover the
same ground without the package.
"""

from __future__ import annotations

import random
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import HyperLogLog

ds = pytest.importorskip("datasketches")

pytestmark = pytest.mark.datasketches

TYPES = [ds.tgt_hll_type.HLL_4, ds.tgt_hll_type.HLL_6, ds.tgt_hll_type.HLL_8]


def _native(lg_k: int, items: list[str], hll_type=None):
    sketch = ds.hll_sketch(lg_k, hll_type or ds.tgt_hll_type.HLL_8)
    for item in items:
        sketch.update(item)
    return sketch


def _native_state(sketch) -> tuple[bytes, list[int]]:
    """HLL_8 registers (HLL mode) or sorted coupons (coupon modes)."""
    image = sketch.serialize_compact()
    if image[7] & 3 == 2:
        return bytes(image[40 : 40 + (1 << image[3])]), []
    start = 8 if image[7] & 3 == 0 else 12
    coupons = sorted(
        int.from_bytes(image[i : i + 4], "little")
        for i in range(start, len(image), 4)
    )
    return b"", coupons


def _uuids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - a seeded corpus, no secret
    return [
        str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)
    ]


# Hypothesis's text() covers non-ASCII text but never lone surrogates,
# which neither library can hash.
item_lists = st.lists(st.text(max_size=12), max_size=80)


@given(items=item_lists, lg_k=st.integers(4, 12))
def test_state_and_estimate_equal_the_packages_for_any_input(items, lg_k):
    """
    For any strings, coupons or registers and every estimate agree.
    """
    native = _native(lg_k, items)
    sketch = HyperLogLog(lg_k)
    sketch.update(items)

    assert (
        bytes(sketch._registers),
        sorted(sketch._coupons),
    ) == _native_state(native)
    assert sketch.estimate() == native.get_estimate()
    assert [sketch.lower_bound(k) for k in (1, 2, 3)] == [
        native.get_lower_bound(k) for k in (1, 2, 3)
    ]
    assert [sketch.upper_bound(k) for k in (1, 2, 3)] == [
        native.get_upper_bound(k) for k in (1, 2, 3)
    ]


@pytest.mark.parametrize("lg_k", [12, 14])
def test_registers_equal_for_100_000_uuids(lg_k):
    """
    100,000 UUID strings give the same registers and HIP estimate.
    """
    items = _uuids(100_000, lg_k)
    native = _native(lg_k, items)
    sketch = HyperLogLog(lg_k)
    sketch.update(items)

    assert bytes(sketch._registers) == _native_state(native)[0]
    assert sketch.estimate() == native.get_estimate()


@given(items=item_lists, lg_k=st.integers(4, 12), data=st.data())
def test_package_images_load_in_clientid(items, lg_k, data):
    """
    HLL_4/6/8 images, compact or updatable, load with the same estimate.
    """
    hll_type = data.draw(st.sampled_from(TYPES))
    native = _native(lg_k, items, hll_type)
    compact = data.draw(st.booleans())
    image = (
        native.serialize_compact() if compact else native.serialize_updatable()
    )

    sketch = HyperLogLog.from_datasketches(image)
    sketch._check()

    assert sketch.estimate() == native.get_estimate()


@given(items=item_lists, more=item_lists, lg_k=st.integers(4, 12))
def test_clientid_images_load_in_the_package(items, more, lg_k):
    """
    Images clientid writes, in order or merged, estimate the same there.
    """
    sketch = HyperLogLog(lg_k)
    sketch.update(items)
    other = HyperLogLog(lg_k)
    other.update(more)

    for written in (sketch, sketch.union(other)):
        loaded = ds.hll_sketch.deserialize(written.to_datasketches())

        assert loaded.get_estimate() == written.estimate()


def test_clientid_image_merges_with_a_native_sketch():
    """
    A clientid image unions with a native sketch as a native one would.
    """
    left, right = _uuids(50_000, 1), _uuids(50_000, 2)
    ours = HyperLogLog(12)
    ours.update(left)
    union = ds.hll_union(12)
    union.update(ds.hll_sketch.deserialize(ours.to_datasketches()))
    union.update(_native(12, right))
    expected = ds.hll_union(12)
    expected.update(_native(12, left))
    expected.update(_native(12, right))

    assert union.get_estimate() == expected.get_estimate()


@pytest.mark.parametrize(("lg_small", "lg_large"), [(10, 12), (12, 14)])
def test_hll_mode_union_across_precisions_equals_the_packages(
    lg_small, lg_large
):
    """
    Down-sampled HLL-mode unions match the package's union estimate.
    """
    left, right = _uuids(40_000, 3), _uuids(40_000, 4)
    union = ds.hll_union(lg_large)
    union.update(_native(lg_large, left))
    union.update(_native(lg_small, right))
    first = HyperLogLog(lg_large)
    first.update(left)
    second = HyperLogLog(lg_small)
    second.update(right)

    result = first.union(second)

    assert result.lg_k == lg_small
    assert result.estimate() == union.get_estimate()
