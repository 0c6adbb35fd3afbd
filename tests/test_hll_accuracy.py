"""
Accuracy of the HyperLogLog on fixed, seeded corpora from 10 to 10 million.

Not a Hypothesis test (statistics would flake): each corpus is a fixed
sequence of distinct IDs, so every run sees the same sketch, and the true
count must lie inside the 3-sigma bounds.  Sizes above 100,000 are marked
slow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from clientid import HyperLogLog

if TYPE_CHECKING:
    from collections.abc import Iterator

SLOW = pytest.mark.slow
FAST_SIZES = [10, 100, 1_000, 10_000, 100_000]
SIZES = [
    *FAST_SIZES,
    pytest.param(1_000_000, marks=SLOW),
    pytest.param(10_000_000, marks=SLOW),
]
# lg_k 12 stops at a million to keep the file fast; lg_k 14 goes to ten.
CASES = [
    *((n, 12) for n in FAST_SIZES),
    pytest.param(1_000_000, 12, marks=SLOW),
    *((n, 14) for n in FAST_SIZES),
    pytest.param(1_000_000, 14, marks=SLOW),
    pytest.param(10_000_000, 14, marks=SLOW),
]


def _ids(seed: int, start: int, stop: int) -> Iterator[str]:
    """Distinct IDs for ``i`` in ``[start, stop)``, generated lazily."""
    return (f"{seed}-{i}" for i in range(start, stop))


@pytest.mark.parametrize(("n", "lg_k"), CASES)
def test_true_count_is_inside_3_sigma_bounds(n, lg_k):
    """
    A sketch fed n distinct IDs in order brackets n with its k=3 bounds.
    """
    sketch = HyperLogLog(lg_k)
    sketch.update(_ids(lg_k, 0, n))

    assert sketch.lower_bound(3) <= n <= sketch.upper_bound(3)


@pytest.mark.parametrize("n", SIZES)
def test_merged_halves_bracket_the_true_count(n):
    """
    The union of two overlapping halves brackets the distinct total.
    """
    # Halves overlap by a tenth, so the union is not a plain sum.
    overlap = n // 10
    left, right = HyperLogLog(14), HyperLogLog(14)
    left.update(_ids(7, 0, n // 2 + overlap))
    right.update(_ids(7, n // 2, n))

    merged = left.union(right)

    assert merged.lower_bound(3) <= n <= merged.upper_bound(3)


@pytest.mark.parametrize("n", [10, 100, 1_000])
def test_small_counts_are_exact(n):
    """
    Coupon mode counts small cardinalities exactly (after rounding).
    """
    sketch = HyperLogLog(14)
    sketch.update(_ids(3, 0, n))

    assert round(sketch.estimate()) == n
