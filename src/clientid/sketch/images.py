"""
clientid's own binary format of a :class:`~clientid.HyperLogLog`.

Layout: magic ``0xC1``, format version 1, lg_k, mode (0 LIST, 1 SET,
2 HLL), flags (1: out of order); then coupon mode: a little-endian u32
count and the coupons as ascending u32s; HLL mode: the HIP accumulator
(f64) and ``2**lg_k`` register bytes.

Decoding never trusts a field: sizes are checked against the bytes present,
coupons must be ascending with values 1..63, registers 0..63 and not all 0,
and an in-order HIP accumulator must lie in the range a feed can leave
with those registers (:func:`check_hip`), so a loaded sketch holds only
states that counting could have produced.
"""

from __future__ import annotations

import math
import struct
from operator import lt
from typing import Final, final

import attrs

from clientid.errors import DecodeError, UnsupportedFormatError
from clientid.sketch.datasketches import MAX_LG_K, MIN_LG_K, kxq_sums
from clientid.sketch.estimators import LIST_CAPACITY, coupon_limit, hip_bounds
from clientid.sketch.inputs import as_bytes

__all__ = ["SketchImage", "check_hip", "decode", "encode"]

_MAGIC: Final = 0xC1
_FORMAT_VERSION: Final = 1
_MODE_LIST: Final = 0
_MODE_SET: Final = 1
_MODE_HLL: Final = 2
_FLAG_OUT_OF_ORDER: Final = 1
_HEADER: Final = struct.Struct("<5B")
_COUNT: Final = struct.Struct("<I")
_HIP: Final = struct.Struct("<d")
_KEY_BITS: Final = 26
_MAX_VALUE: Final = 63


@final
@attrs.frozen(kw_only=True)
class SketchImage:
    """
    What a valid image holds: coupon mode or HLL mode, never both.

    Attributes:
        lg_k: The sketch's lg_k.
        coupons: Coupon mode: the coupons, ascending (else empty).
        registers: HLL mode: ``2**lg_k`` register values (else empty).
        hip: The HIP accumulator (0.0 in coupon mode or out of order).
        out_of_order: Whether the sketch was merged (HLL mode only).
    """

    lg_k: int
    coupons: tuple[int, ...] = ()
    registers: bytes = b""
    hip: float = 0.0
    out_of_order: bool = False


def encode(
    lg_k: int,
    coupons: set[int],
    registers: bytes | bytearray,
    hip: float,
    *,
    out_of_order: bool,
) -> bytes:
    """
    Encode a sketch's state: HLL mode if it has registers, else coupons.
    """
    flags = _FLAG_OUT_OF_ORDER if out_of_order else 0
    if registers:
        header = _HEADER.pack(_MAGIC, _FORMAT_VERSION, lg_k, _MODE_HLL, flags)
        return header + _HIP.pack(hip) + bytes(registers)
    count = len(coupons)
    mode = _MODE_SET if count > LIST_CAPACITY else _MODE_LIST
    header = _HEADER.pack(_MAGIC, _FORMAT_VERSION, lg_k, mode, 0)
    ascending = sorted(coupons)
    return header + _COUNT.pack(count) + struct.pack(f"<{count}I", *ascending)


def decode(data: object) -> SketchImage:
    """
    Decode and check an image (see the module docstring).

    Raises:
        UnsupportedFormatError: The format version is not 1.
        DecodeError: The bytes are not a valid sketch.
    """
    data = as_bytes(data, "sketch bytes")
    if len(data) < _HEADER.size:
        msg = f"sketch bytes: need at least 5 bytes, got {len(data)}"
        raise DecodeError([msg])
    magic, version, lg_k, mode, flags = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        msg = f"sketch bytes: magic must be 0xc1, got {magic:#x}"
        raise DecodeError([msg])
    if version != _FORMAT_VERSION:
        msg = f"sketch bytes: format version must be 1, got {version}"
        raise UnsupportedFormatError([msg])
    if not MIN_LG_K <= lg_k <= MAX_LG_K:
        msg = f"sketch bytes: lg_k must be between 4 and 21, got {lg_k}"
        raise DecodeError([msg])
    if mode > _MODE_HLL or flags & ~_FLAG_OUT_OF_ORDER:
        msg = f"sketch bytes: unknown mode {mode} or flags {flags}"
        raise DecodeError([msg])
    if mode == _MODE_HLL:
        return _decode_registers(data, lg_k, flags=flags)
    if flags:
        msg = f"sketch bytes: coupon mode has no flags, got {flags}"
        raise DecodeError([msg])
    return _decode_coupons(data, lg_k, mode)


def _decode_registers(data: bytes, lg_k: int, *, flags: int) -> SketchImage:
    k = 1 << lg_k
    start = _HEADER.size + _HIP.size
    if len(data) != start + k:
        msg = f"sketch bytes: HLL mode needs {start + k} bytes"
        raise DecodeError([f"{msg}, got {len(data)}"])
    (hip,) = _HIP.unpack_from(data, _HEADER.size)
    out_of_order = bool(flags & _FLAG_OUT_OF_ORDER)
    if not math.isfinite(hip) or hip < 0 or (out_of_order and hip):
        msg = f"sketch bytes: invalid HIP accumulator {hip!r}"
        raise DecodeError([msg])
    registers = data[start:]
    if max(registers) > _MAX_VALUE or not any(registers):
        msg = "sketch bytes: registers must be 0..63, not all 0"
        raise DecodeError([msg])
    if not out_of_order:
        check_hip(lg_k, registers, hip, "sketch bytes")
    return SketchImage(
        lg_k=lg_k, registers=registers, hip=hip, out_of_order=out_of_order
    )


def _decode_coupons(data: bytes, lg_k: int, mode: int) -> SketchImage:
    start = _HEADER.size + _COUNT.size
    if len(data) < start:
        msg = f"sketch bytes: coupon mode needs {start} bytes"
        raise DecodeError([f"{msg}, got {len(data)}"])
    (count,) = _COUNT.unpack_from(data, _HEADER.size)
    if count > coupon_limit(lg_k):
        msg = f"sketch bytes: {count} coupons exceed lg_k {lg_k}"
        raise DecodeError([msg])
    if len(data) != start + 4 * count:
        msg = f"sketch bytes: {count} coupons need {start + 4 * count}"
        raise DecodeError([f"{msg} bytes, got {len(data)}"])
    expected = _MODE_SET if count > LIST_CAPACITY else _MODE_LIST
    if mode != expected:
        msg = f"sketch bytes: {count} coupons mean mode {expected}"
        raise DecodeError([f"{msg}, got {mode}"])
    coupons = struct.unpack_from(f"<{count}I", data, start)
    # In bulk: strictly ascending, so the first is the smallest, and
    # a coupon of value 0 is below 2**26.
    if not all(map(lt, coupons, coupons[1:])) or (
        coupons and coupons[0] >> _KEY_BITS == 0
    ):
        msg = "sketch bytes: a coupon is out of order or has value 0"
        raise DecodeError([msg])
    return SketchImage(lg_k=lg_k, coupons=coupons)


def check_hip(
    lg_k: int, registers: bytes | bytearray, hip: float, what: str
) -> None:
    """
    Refuse an in-order HIP accumulator no feed could have produced.

    See :func:`~clientid.sketch.estimators.hip_bounds` for the derivation.

    Raises:
        DecodeError: ``hip`` is outside the range for these registers.
    """
    kxq0, kxq1 = kxq_sums(registers)
    lower, upper = hip_bounds(lg_k, registers, kxq0 + kxq1)
    if not lower <= hip <= upper:
        msg = (
            f"{what}: HIP accumulator {hip!r} must be between "
            f"{lower!r} and {upper!r} for these registers"
        )
        raise DecodeError([msg])
