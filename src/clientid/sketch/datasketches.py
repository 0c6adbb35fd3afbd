"""
The Apache DataSketches HLL binary image: read every kind, write HLL_8.

The layout (shared by the Java, C++ and Python DataSketches libraries and by
Spark's ``hll_sketch_agg``) is a little-endian preamble followed by data:

===== ======================================================================
byte  meaning
===== ======================================================================
0     preamble ints: 2 (LIST), 3 (SET) or 10 (HLL)
1     serial version, always 1
2     family, always 7 (HLL)
3     lg_k, 4..21
4     LIST/SET: lg of the coupon array; HLL_4: lg of the aux table
5     flags: 4 empty, 8 compact, 16 out of order, 32 rebuild pending
6     LIST: coupon count; HLL: current minimum register value
7     mode: low two bits LIST 0, SET 1, HLL 2; next two HLL_4 0, 6 1, 8 2
===== ======================================================================

LIST data starts at byte 8 and SET data at byte 12 (bytes 8..11 hold the
coupon count); a compact image stores exactly the coupons, an updatable one
the whole hash array with zeros in empty cells.  A coupon is a 32-bit int:
the low 26 bits are the hash's address bits, the high 6 bits its value.
HLL images hold the HIP accumulator and the two kxq sums (doubles at 8, 16
and 24), the count at the current minimum (32), the aux count (36) and,
from byte 40, the registers: one byte each (HLL_8), six bits each packed
little-endian (HLL_6), or one nibble each relative to the current minimum
with 15 marking an exception kept in the aux table that follows (HLL_4).

Reading never trusts a length field: every size is checked against the
bytes actually present before anything is allocated or sliced.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Final, final

import attrs

from clientid.errors import DecodeError, UnsupportedFormatError
from clientid.sketch.inputs import as_bytes

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_LG_K",
    "MIN_LG_K",
    "DecodedImage",
    "decode_image",
    "encode_coupon_image",
    "encode_empty_image",
    "encode_hll8_image",
]

#: Smallest lg_k DataSketches accepts.
MIN_LG_K: Final = 4
#: Largest lg_k DataSketches accepts.
MAX_LG_K: Final = 21

_SERIAL_VERSION: Final = 1
_FAMILY_HLL: Final = 7

_LIST_PREINTS: Final = 2
_SET_PREINTS: Final = 3
_HLL_PREINTS: Final = 10

_EMPTY_FLAG: Final = 4
_COMPACT_FLAG: Final = 8
_OUT_OF_ORDER_FLAG: Final = 16
#: The kxq sums and the minimum are stale and must be rebuilt.
_REBUILD_FLAG: Final = 32
#: Register values below this go into kxq0, the others into kxq1.
_HALF_VALUE: Final = 32

_MODE_LIST: Final = 0
_MODE_SET: Final = 1
_MODE_HLL: Final = 2

_HLL_4: Final = 0
_HLL_6: Final = 1
_HLL_8: Final = 2

_LIST_START: Final = 8
_SET_START: Final = 12
_HLL_START: Final = 40
_LG_LIST_ARRAY: Final = 3
_LG_MIN_SET_ARRAY: Final = 5
#: The aux table of an HLL_4 image can never need more cells than this.
_MAX_LG_AUX_ARRAY: Final = 26

_AUX_TOKEN: Final = 15
_KEY_BITS: Final = 26
_KEY_MASK: Final = (1 << _KEY_BITS) - 1
_MAX_VALUE: Final = 63

_HLL_HEADER: Final = struct.Struct("<8B3d2I")
_COUNT: Final = struct.Struct("<I")


@final
@attrs.frozen(kw_only=True)
class DecodedImage:
    """
    The content of a DataSketches HLL image, independent of its layout.

    Attributes:
        lg_k: The sketch's lg_k.
        coupons: The coupons of a LIST or SET image (empty otherwise), in
            image order, possibly with duplicates as the image holds them.
        registers: HLL_8 registers (absolute values) of an HLL image;
            empty for LIST and SET images.
        hip: The HIP accumulator (0.0 unless an in-order HLL image).
        out_of_order: Whether the image's out-of-order flag is set.
    """

    lg_k: int
    coupons: tuple[int, ...] = ()
    registers: bytes = b""
    hip: float = 0.0
    out_of_order: bool = False


def _fail(message: str) -> DecodeError:
    return DecodeError([f"datasketches image: {message}"])


def _read_coupons(data: bytes, start: int, cells: int) -> tuple[int, ...]:
    """Read ``cells`` 32-bit coupons from ``start``; zeros are dropped."""
    end = start + 4 * cells
    if len(data) < end:
        msg = f"needs {end} bytes for {cells} coupon cells, got {len(data)}"
        raise _fail(msg)
    coupons = tuple(
        coupon
        for coupon in struct.unpack_from(f"<{cells}I", data, start)
        if coupon
    )
    for coupon in coupons:
        if coupon >> _KEY_BITS == 0:
            msg = f"coupon value must be between 1 and 63, got {coupon:#x}"
            raise _fail(msg)
    return coupons


def _decode_coupon_image(
    data: bytes, lg_k: int, mode: int, lg_arr: int, *, compact: bool
) -> DecodedImage:
    if mode == _MODE_LIST:
        count = data[6]
        start = _LIST_START
    else:
        if len(data) < _SET_START:
            msg = f"a SET image needs 12 bytes, got {len(data)}"
            raise _fail(msg)
        (count,) = _COUNT.unpack_from(data, 8)
        start = _SET_START
    if compact:
        cells = count
    else:
        if lg_arr > _MAX_LG_AUX_ARRAY:
            msg = f"coupon array lg must be at most 26, got {lg_arr}"
            raise _fail(msg)
        cells = 1 << lg_arr
    # The size check comes first, so a hostile count allocates nothing.
    coupons = _read_coupons(data, start, cells)
    if len(coupons) != count:
        msg = f"coupon count {count} disagrees with {len(coupons)} coupons"
        raise _fail(msg)
    return DecodedImage(lg_k=lg_k, coupons=coupons)


def _table(function: Callable[[int], int]) -> bytes:
    return bytes(function(byte) for byte in range(256))


_LOW_NIBBLE: Final = _table(lambda byte: byte & 0x0F)
_HIGH_NIBBLE: Final = _table(lambda byte: byte >> 4)
_LOW_6: Final = _table(lambda byte: byte & 0x3F)
_SHIFT_6: Final = _table(lambda byte: byte >> 6)
_SHIFT_4: Final = _table(lambda byte: byte >> 4)
_SHIFT_2: Final = _table(lambda byte: byte >> 2)
_LOW_4_UP_2: Final = _table(lambda byte: (byte & 0x0F) << 2)
_LOW_2_UP_4: Final = _table(lambda byte: (byte & 0x03) << 4)
#: Marks a register value above 63 after translation.
_INVALID: Final = 255


def _or_bytes(first: bytes, second: bytes) -> bytes:
    """Bitwise OR of two equally long byte strings, in C via integers."""
    merged = int.from_bytes(first, "little") | int.from_bytes(second, "little")
    return merged.to_bytes(len(first), "little")


def _hll4_registers(
    data: bytes,
    lg_k: int,
    cur_min: int,
    aux_count: int,
    lg_aux: int,
    *,
    compact: bool,
) -> bytes:
    k = 1 << lg_k
    array_end = _HLL_START + k // 2
    if compact:
        cells = aux_count
    elif aux_count:
        if lg_aux > _MAX_LG_AUX_ARRAY:
            msg = f"aux table lg must be at most 26, got {lg_aux}"
            raise _fail(msg)
        cells = 1 << lg_aux
    else:
        cells = 0
    exceptions = _read_coupons(data, array_end, cells)
    if len(exceptions) != aux_count:
        msg = f"aux count {aux_count} disagrees with {len(exceptions)} entries"
        raise _fail(msg)
    packed = data[_HLL_START:array_end]
    # Even slots live in the low nibble of their byte, odd ones in the high.
    nibbles = bytearray(k)
    nibbles[0::2] = packed.translate(_LOW_NIBBLE)
    nibbles[1::2] = packed.translate(_HIGH_NIBBLE)
    # A nibble holds the value minus the current minimum; 15 marks an
    # exception whose value is in the aux table.
    values = bytes(
        (cur_min + nibble if cur_min + nibble <= _MAX_VALUE else _INVALID)
        if nibble != _AUX_TOKEN
        else 0
        for nibble in range(256)
    )
    registers = bytearray(nibbles.translate(values))
    if _INVALID in registers:
        msg = f"register values above 63 (current minimum {cur_min})"
        raise _fail(msg)
    filled: set[int] = set()
    for coupon in exceptions:
        slot = coupon & _KEY_MASK
        if slot >= k or nibbles[slot] != _AUX_TOKEN or slot in filled:
            msg = f"aux entry for slot {slot} matches no exception"
            raise _fail(msg)
        filled.add(slot)
        registers[slot] = coupon >> _KEY_BITS
    if len(filled) != nibbles.count(_AUX_TOKEN):
        msg = "an exception nibble has no aux entry"
        raise _fail(msg)
    return bytes(registers)


def _hll6_registers(data: bytes, lg_k: int) -> bytes:
    k = 1 << lg_k
    # Registers are packed little-endian, six bits each: every three bytes
    # hold four registers, which translation tables pull apart in C.
    packed = data[_HLL_START : _HLL_START + 3 * (k // 4)]
    first, second, third = packed[0::3], packed[1::3], packed[2::3]
    registers = bytearray(k)
    registers[0::4] = first.translate(_LOW_6)
    registers[1::4] = _or_bytes(
        first.translate(_SHIFT_6), second.translate(_LOW_4_UP_2)
    )
    registers[2::4] = _or_bytes(
        second.translate(_SHIFT_4), third.translate(_LOW_2_UP_4)
    )
    registers[3::4] = third.translate(_SHIFT_2)
    return bytes(registers)


def _hll_array_size(lg_k: int, hll_type: int) -> int:
    k = 1 << lg_k
    if hll_type == _HLL_4:
        return k // 2
    if hll_type == _HLL_6:
        return ((k * 3) >> 2) + 1
    return k


def _decode_hll_image(
    data: bytes, lg_k: int, hll_type: int, *, compact: bool
) -> DecodedImage:
    needed = _HLL_START + _hll_array_size(lg_k, hll_type)
    if len(data) < needed:
        msg = f"lg_k {lg_k} needs {needed} bytes, got {len(data)}"
        raise _fail(msg)
    header = _HLL_HEADER.unpack_from(data, 0)
    lg_aux, flags, cur_min = header[4], header[5], header[6]
    hip, aux_count = header[8], header[12]
    out_of_order = bool(flags & _OUT_OF_ORDER_FLAG)
    if not math.isfinite(hip) or hip < 0:
        msg = f"HIP accumulator must be finite and >= 0, got {hip!r}"
        raise _fail(msg)
    if cur_min > _MAX_VALUE:
        msg = f"current minimum must be at most 63, got {cur_min}"
        raise _fail(msg)
    if hll_type != _HLL_4 and (aux_count or cur_min):
        msg = "only HLL_4 images have a current minimum or aux entries"
        raise _fail(msg)
    if hll_type == _HLL_4:
        registers = _hll4_registers(
            data, lg_k, cur_min, aux_count, lg_aux, compact=compact
        )
    elif hll_type == _HLL_6:
        registers = _hll6_registers(data, lg_k)
    else:
        registers = data[_HLL_START:needed]
        if max(registers) > _MAX_VALUE:
            msg = f"register values must be at most 63, got {max(registers)}"
            raise _fail(msg)
    _check_kxq(registers, header[9], header[10], flags=flags)
    # DataSketches ignores the stored HIP of an out-of-order image.
    return DecodedImage(
        lg_k=lg_k,
        registers=registers,
        hip=0.0 if out_of_order else hip,
        out_of_order=out_of_order,
    )


def kxq_sums(registers: bytes | bytearray) -> tuple[float, float]:
    """
    The two kxq sums of registers: ``2**-v`` for values below 32, and from.

    Both are exact in doubles (multiples of 2**-31 below 2**22, and of
    2**-63 below 2**-10), so they are what any order of additions gives.
    """
    kxq0 = 0.0
    kxq1 = 0.0
    remaining = len(registers)
    value = 0
    while remaining:
        count = registers.count(value)
        if value < _HALF_VALUE:
            kxq0 += count * 2.0**-value
        else:
            kxq1 += count * 2.0**-value
        remaining -= count
        value += 1
    return kxq0, kxq1


def _check_kxq(
    registers: bytes, kxq0: float, kxq1: float, *, flags: int
) -> None:
    """
    Refuse kxq fields the registers do not give.

    DataSketches keeps both sums exact, so they equal the registers' own
    sums, unless the image says they are stale (rebuild flag); then they
    must still lie in the range any registers allow: kxq0 in ``[0, k]``,
    kxq1 in ``[0, k * 2**-32]``.
    """
    if flags & _REBUILD_FLAG:
        k = len(registers)
        valid = 0.0 <= kxq0 <= k and 0.0 <= kxq1 <= k * 2.0**-_HALF_VALUE
    else:
        valid = (kxq0, kxq1) == kxq_sums(registers)
    if not valid:
        msg = f"kxq sums {kxq0!r}, {kxq1!r} do not match the registers"
        raise _fail(msg)


def decode_image(data: bytes) -> DecodedImage:
    """
    Decode a DataSketches HLL image of any mode and register type.

    Raises:
        DecodeError: The bytes are not a well-formed HLL image.
        UnsupportedFormatError: The serial version is not 1.
    """
    data = as_bytes(data, "datasketches image")
    if len(data) < _LIST_START:
        msg = f"needs at least 8 bytes, got {len(data)}"
        raise _fail(msg)
    preints, version, family, lg_k, lg_arr, flags, _, mode_byte = data[:8]
    if version != _SERIAL_VERSION:
        msg = f"datasketches image: serial version must be 1, got {version}"
        raise UnsupportedFormatError([msg])
    if family != _FAMILY_HLL:
        msg = f"family must be 7 (HLL), got {family}"
        raise _fail(msg)
    if not MIN_LG_K <= lg_k <= MAX_LG_K:
        msg = f"lg_k must be between 4 and 21, got {lg_k}"
        raise _fail(msg)
    mode, hll_type = mode_byte & 3, (mode_byte >> 2) & 3
    if mode > _MODE_HLL or hll_type > _HLL_8 or mode_byte >> 4:
        msg = f"mode byte must name a mode and an HLL type, got {mode_byte}"
        raise _fail(msg)
    if flags & _EMPTY_FLAG:
        return DecodedImage(lg_k=lg_k)
    expected = (_LIST_PREINTS, _SET_PREINTS, _HLL_PREINTS)[mode]
    if preints != expected:
        msg = f"preamble ints must be {expected} in mode {mode}, got {preints}"
        raise _fail(msg)
    compact = bool(flags & _COMPACT_FLAG)
    if mode == _MODE_HLL:
        return _decode_hll_image(data, lg_k, hll_type, compact=compact)
    return _decode_coupon_image(data, lg_k, mode, lg_arr, compact=compact)


def encode_empty_image(lg_k: int) -> bytes:
    """Encode an empty HLL_8 sketch as DataSketches does (compact LIST)."""
    return bytes(
        (
            _LIST_PREINTS,
            _SERIAL_VERSION,
            _FAMILY_HLL,
            lg_k,
            _LG_LIST_ARRAY,
            _EMPTY_FLAG | _COMPACT_FLAG,
            0,
            _MODE_LIST | _HLL_8 << 2,
        )
    )


def _set_lg_array(count: int) -> int:
    """The lg size DataSketches' coupon hash set has grown to at ``count``."""
    lg_arr = _LG_MIN_SET_ARRAY
    while 4 * count > 3 << lg_arr:
        lg_arr += 1
    return lg_arr


def encode_coupon_image(
    lg_k: int, coupons: list[int], *, as_set: bool
) -> bytes:
    """
    Encode coupons as a compact LIST or SET image of an HLL_8 sketch.

    Args:
        lg_k: The sketch's lg_k.
        coupons: The distinct coupons, in the order to write them.
        as_set: Write SET mode (else LIST mode).
    """
    count = len(coupons)
    body = struct.pack(f"<{count}I", *coupons)
    if as_set:
        head = bytes(
            (
                _SET_PREINTS,
                _SERIAL_VERSION,
                _FAMILY_HLL,
                lg_k,
                _set_lg_array(count),
                _COMPACT_FLAG,
                0,
                _MODE_SET | _HLL_8 << 2,
            )
        )
        return head + _COUNT.pack(count) + body
    head = bytes(
        (
            _LIST_PREINTS,
            _SERIAL_VERSION,
            _FAMILY_HLL,
            lg_k,
            _LG_LIST_ARRAY,
            _COMPACT_FLAG,
            count,
            _MODE_LIST | _HLL_8 << 2,
        )
    )
    return head + body


def encode_hll8_image(
    lg_k: int,
    registers: bytes | bytearray,
    *,
    hip: float,
    kxq0: float,
    kxq1: float,
    num_zeros: int,
    out_of_order: bool,
) -> bytes:
    """
    Encode registers as an updatable HLL_8 image, as Spark writes them.

    HLL_8 has no exceptions, so the updatable and compact layouts hold the
    same bytes; the updatable one is what ``hll_sketch_agg`` produces.
    """
    flags = _OUT_OF_ORDER_FLAG if out_of_order else 0
    head = _HLL_HEADER.pack(
        _HLL_PREINTS,
        _SERIAL_VERSION,
        _FAMILY_HLL,
        lg_k,
        0,
        flags,
        0,
        _MODE_HLL | _HLL_8 << 2,
        hip,
        kxq0,
        kxq1,
        num_zeros,
        0,
    )
    return head + bytes(registers)
