"""
The estimators of :class:`~clientid.HyperLogLog`, as DataSketches has them.

Coupon-mode estimate, the composite estimate of a merged (out-of-order)
sketch, the relative errors of the bounds, and the range of HIP
accumulators a feed can leave: pure functions of lg_k, counts and
registers, with DataSketches' operation order, so the results agree to
the bit.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Final

from clientid.sketch.datasketches import MAX_LG_K, MIN_LG_K
from clientid.sketch.tables import (
    COMPOSITE_LOWER,
    COMPOSITE_UPPER,
    COMPOSITE_X,
    COMPOSITE_Y_STRIDE,
    COUPON_X,
    COUPON_Y,
    HIP_LOWER,
    HIP_UPPER,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "COUPON_LIMITS",
    "COUPON_RSE",
    "LIST_CAPACITY",
    "composite_estimate",
    "coupon_estimate",
    "coupon_limit",
    "hip_bounds",
    "interpolate_raw",
    "interpolation_start",
    "promotion_estimate",
    "relative_error",
]

#: A LIST holds up to seven coupons; below lg_k 8 there is no SET.
LIST_CAPACITY: Final = 7
_LG_K_WITH_SET: Final = 8
#: DataSketches' relative standard errors: coupon mode (at the transition,
#: not the asymptote), HIP (sqrt(ln 2)) and composite (sqrt(3 ln 2 - 1)),
#: rounded as DataSketches rounds them, so the bounds agree to the bit.
COUPON_RSE: Final = 0.409 / (1 << 13)
_HIP_RSE_FACTOR: Final = 0.8325546
_COMPOSITE_RSE_FACTOR: Final = 1.03896
#: Above this lg_k the bounds use the asymptotic RSE, below it tables.
_LG_K_WITH_TABLES: Final = 12
#: Linear counting uses harmonic numbers: exact (as fractions) below 25,
#: an asymptotic series above, as DataSketches computes them.
_EULER_MASCHERONI: Final = 0.577215664901532860606512090082
_HARMONIC: Final = tuple(
    numerator / denominator
    for numerator, denominator in (
        (0.0, 1.0),
        (1.0, 1.0),
        (3.0, 2.0),
        (11.0, 6.0),
        (25.0, 12.0),
        (137.0, 60.0),
        (49.0, 20.0),
        (363.0, 140.0),
        (761.0, 280.0),
        (7129.0, 2520.0),
        (7381.0, 2520.0),
        (83711.0, 27720.0),
        (86021.0, 27720.0),
        (1145993.0, 360360.0),
        (1171733.0, 360360.0),
        (1195757.0, 360360.0),
        (2436559.0, 720720.0),
        (42142223.0, 12252240.0),
        (14274301.0, 4084080.0),
        (275295799.0, 77597520.0),
        (55835135.0, 15519504.0),
        (18858053.0, 5173168.0),
        (19093197.0, 5173168.0),
        (444316699.0, 118982864.0),
        (1347822955.0, 356948592.0),
    )
)


def coupon_limit(lg_k: int) -> int:
    """Most coupons a sketch keeps before it promotes to HLL mode."""
    if lg_k < _LG_K_WITH_SET:
        return LIST_CAPACITY
    # A SET promotes when 4 * count > 3 * its largest size, 2**(lg_k - 3).
    return 3 << (lg_k - 5)


#: :func:`coupon_limit` by lg_k, for the hot paths.
COUPON_LIMITS: Final = tuple(
    coupon_limit(lg_k) if lg_k >= MIN_LG_K else 0
    for lg_k in range(MAX_LG_K + 1)
)


def _cubic(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Lagrange cubic through four points, in DataSketches' operation order."""
    x0, x1, x2, x3 = xs
    y0, y1, y2, y3 = ys
    term0 = (
        y0
        * ((x - x1) * (x - x2) * (x - x3))
        / ((x0 - x1) * (x0 - x2) * (x0 - x3))
    )
    term1 = (
        y1
        * ((x - x0) * (x - x2) * (x - x3))
        / ((x1 - x0) * (x1 - x2) * (x1 - x3))
    )
    term2 = (
        y2
        * ((x - x0) * (x - x1) * (x - x3))
        / ((x2 - x0) * (x2 - x1) * (x2 - x3))
    )
    term3 = (
        y3
        * ((x - x0) * (x - x1) * (x - x2))
        / ((x3 - x0) * (x3 - x1) * (x3 - x2))
    )
    return term0 + term1 + term2 + term3


def interpolation_start(xs: Sequence[float], x: float) -> int:
    """First of the four points to interpolate ``x`` through."""
    straddle = bisect_right(xs, x) - 1
    if straddle == 0:
        return 0
    if straddle == len(xs) - 2:
        return straddle - 2
    return straddle - 1


def coupon_estimate(count: int) -> float:
    """DataSketches' coupon-mode estimate: the count, collision-corrected."""
    start = interpolation_start(COUPON_X, count)
    end = start + 4
    return _cubic(COUPON_X[start:end], COUPON_Y[start:end], count)


def _harmonic(n: int) -> float:
    if n < len(_HARMONIC):
        return _HARMONIC[n]
    x = float(n)
    inverse_square = 1.0 / (x * x)
    total = math.log(x) + _EULER_MASCHERONI + (1.0 / (2.0 * x))
    power = inverse_square
    total -= power * (1.0 / 12.0)
    power *= inverse_square
    total += power * (1.0 / 120.0)
    power *= inverse_square
    total -= power * (1.0 / 252.0)
    power *= inverse_square
    total += power * (1.0 / 240.0)
    return total


def interpolate_raw(xs: Sequence[float], stride: int, raw: float) -> float:
    """Map a raw HLL estimate inside the table to its cardinality."""
    last = len(xs) - 1
    if raw == xs[last]:
        return float(stride * last)
    start = interpolation_start(xs, raw)
    ys = [float(stride * (start + i)) for i in range(4)]
    return _cubic(xs[start : start + 4], ys, raw)


def composite_estimate(lg_k: int, kxq: float, num_zeros: int) -> float:
    """DataSketches' estimate of an out-of-order (merged) HLL sketch."""
    k = 1 << lg_k
    if lg_k == 4:  # noqa: PLR2004 - DataSketches' small-k corrections.
        correction = 0.673
    elif lg_k == 5:  # noqa: PLR2004
        correction = 0.697
    elif lg_k == 6:  # noqa: PLR2004
        correction = 0.709
    else:
        correction = 0.7213 / (1.0 + (1.079 / k))
    raw = (correction * k * k) / kxq
    xs = COMPOSITE_X[lg_k - MIN_LG_K]
    stride = COMPOSITE_Y_STRIDE[lg_k - MIN_LG_K]
    last = len(xs) - 1
    if raw < xs[0]:
        return 0.0
    if raw > xs[last]:
        return raw * ((stride * last) / xs[last])
    adjusted = interpolate_raw(xs, stride, raw)
    # Linear counting is only trusted well below 3k, as in DataSketches.
    if adjusted > 3 * k:
        return adjusted
    if num_zeros == 0:
        linear = k * math.log(k / 0.5)
    else:
        linear = k * (_harmonic(k) - _harmonic(num_zeros))
    crossover = {4: 0.718, 5: 0.672}.get(lg_k, 0.64)
    if (adjusted + linear) / 2.0 > crossover * k:
        return adjusted
    return linear


def relative_error(
    lg_k: int, k: int, *, upper: bool, out_of_order: bool
) -> float:
    """
    DataSketches' relative error of a bound, ``k`` standard deviations.

    Tables up to lg_k 12, the asymptotic RSE above; negative for upper
    bounds, as DataSketches signs it.
    """
    if lg_k > _LG_K_WITH_TABLES:
        factor = _COMPOSITE_RSE_FACTOR if out_of_order else _HIP_RSE_FACTOR
        error = k * factor / math.sqrt(1 << lg_k)
        return -error if upper else error
    if out_of_order:
        table = COMPOSITE_UPPER if upper else COMPOSITE_LOWER
    else:
        table = HIP_UPPER if upper else HIP_LOWER
    return table[(lg_k - MIN_LG_K) * 3 + k - 1]


def hip_bounds(
    lg_k: int, registers: bytes | bytearray, kxq: float
) -> tuple[float, float]:
    """
    The range of HIP accumulators a feed can leave with these registers.

    The accumulator starts, at promotion, at the coupon estimate: at least
    the number of coupons, at most :func:`promotion_estimate`.  Each later
    register rise ``j`` adds ``k / kxq_j``, with ``kxq_j`` the sum of
    ``2**-value`` just before it: never above ``k`` and only falling, to
    ``kxq`` now.  So each rise adds at least 1, and every non-zero register
    took a coupon or a rise: the accumulator is at least the number of
    non-zero registers.

    For the upper end, split the rises at a value ``t``.  A rise from
    ``a < t`` lowers kxq by ``d_j = 2**-a - 2**-b >= 2**-t``, and
    ``sum(d_j / kxq_j) <= ln(k / kxq)`` (a lower Riemann sum of ``dx/x``),
    so those rises add at most ``k * 2**t * ln(k / kxq)``.  A rise from
    ``a >= t`` adds at most ``k / kxq``, and a register now at ``v`` rose
    from ``t`` or more at most ``v - t`` times.  The bound is the smallest
    over ``t``, widened by the rounding of that many additions.
    """
    k = len(registers)
    histogram = [registers.count(value) for value in range(max(registers) + 1)]
    lower = float(k - histogram[0])
    rises = sum(value * count for value, count in enumerate(histogram))
    ratio = k / kxq
    log_term = k * math.log(ratio) if ratio > 1.0 else 0.0
    best = rises * ratio  # t = 0: every rise adds at most k / kxq
    above = rises  # sum of max(0, v - t) over the registers
    at_least = k  # registers at t or more
    for t in range(1, len(histogram)):
        at_least -= histogram[t - 1]
        above -= at_least
        best = min(best, log_term * 2.0**t + above * ratio)
    upper = promotion_estimate(lg_k) + best
    return lower, upper * (1.0 + (rises + 16) * 2.0**-52)


def promotion_estimate(lg_k: int) -> float:
    """The HIP accumulator a sketch promotes with (one past the limit)."""
    count = COUPON_LIMITS[lg_k] + 1
    return max(coupon_estimate(count), float(count))
