"""
Tests for the DataSketches image codec: every malformed image is refused.
"""

from __future__ import annotations

import struct

import pytest

from clientid import HyperLogLog
from clientid.errors import DecodeError, UnsupportedFormatError
from clientid.model.hashing import datasketches_hash128
from clientid.sketch.datasketches import decode_image, encode_coupon_image

HLL_HEADER = struct.Struct("<8B3d2I")


def _list(count: int, coupons: list[int], *, flags: int = 8) -> bytes:
    head = bytes((2, 1, 7, 12, 3, flags, count, 8))
    return head + struct.pack(f"<{len(coupons)}I", *coupons)


def _set(count: int, coupons: list[int], *, lg_arr: int = 5) -> bytes:
    head = bytes((3, 1, 7, 12, lg_arr, 8, 0, 9))
    return (
        head
        + struct.pack("<I", count)
        + struct.pack(f"<{len(coupons)}I", *coupons)
    )


def _hll(
    array: bytes,
    *,
    lg_k: int = 4,
    hll_type: int = 2,
    cur_min: int = 0,
    hip: float = 1.0,
    aux_count: int = 0,
    lg_aux: int = 0,
    flags: int = 8,
) -> bytes:
    # The kxq fields below are placeholders: flag 32 marks them stale, as
    # DataSketches marks a union gadget's (their check: test_counting_hostile).
    head = HLL_HEADER.pack(
        10, 1, 7, lg_k, lg_aux, flags | 32, cur_min, 2 | hll_type << 2,
        hip, 16.0, 0.0, 16, aux_count,
    )  # fmt: skip
    return head + array


class TestHeader:
    """
    The 8-byte preamble is checked before anything else is read.
    """

    def test_serial_version_other_than_1_is_unsupported(self):
        """
        Serial version 2 raises UnsupportedFormatError.
        """
        with pytest.raises(UnsupportedFormatError) as info:
            decode_image(bytes((2, 2, 7, 12, 3, 12, 0, 8)))

        assert "serial version must be 1, got 2" in str(info.value)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"\x02\x01\x07", "needs at least 8 bytes, got 3"),
            (
                bytes((2, 1, 3, 12, 3, 12, 0, 8)),
                "family must be 7 (HLL), got 3",
            ),
            (
                bytes((2, 1, 7, 22, 3, 12, 0, 8)),
                "lg_k must be between 4 and 21",
            ),
            # Mode 3 does not exist, nor does register type 3.
            (bytes((2, 1, 7, 12, 3, 12, 0, 3)), "mode byte must name a mode"),
            (bytes((2, 1, 7, 12, 3, 12, 0, 12)), "mode byte must name a mode"),
            (bytes((2, 1, 7, 12, 3, 12, 0, 24)), "mode byte must name a mode"),
            (bytes((3, 1, 7, 12, 3, 8, 0, 8)), "preamble ints must be 2"),
        ],
    )
    def test_bad_preamble_raises_decode_error(self, data, message):
        """
        Short data, wrong family, lg_k, mode or preamble size are refused.
        """
        with pytest.raises(DecodeError) as info:
            decode_image(data)

        assert message in str(info.value)

    def test_empty_flag_gives_an_empty_sketch(self):
        """
        An image flagged empty loads as an empty sketch of its lg_k.
        """
        sketch = HyperLogLog.from_datasketches(
            bytes((2, 1, 7, 9, 3, 12, 0, 8))
        )

        assert (sketch.is_empty(), sketch.lg_k) == (True, 9)


class TestCouponImages:
    """
    LIST and SET images hold exactly the coupons they announce.
    """

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (_list(2, [1 << 26]), "needs 16 bytes for 2 coupon cells, got 12"),
            (_list(1, [5]), "coupon value must be between 1 and 63, got 0x5"),
            (_list(2, [1 << 26, 0]), "coupon count 2 disagrees with 1"),
            (
                _list(1, [1 << 26] * 8, flags=0) + b"",
                "coupon count 1 disagrees with 8",
            ),
            (bytes((3, 1, 7, 12, 5, 8, 0, 9)), "a SET image needs 12 bytes"),
            # A hostile count is checked against the data, never allocated.
            (_set(2**31, []), "needs 8589934604 bytes"),
            (
                bytes((3, 1, 7, 12, 27, 0, 0, 9)) + struct.pack("<I", 1),
                "coupon array lg must be at most 26, got 27",
            ),
        ],
    )
    def test_malformed_coupon_image_raises_decode_error(self, data, message):
        """
        Short, inconsistent or hostile coupon images are refused.
        """
        with pytest.raises(DecodeError) as info:
            decode_image(data)

        assert message in str(info.value)

    def test_duplicate_coupons_count_once(self):
        """
        Coupons re-enter as DataSketches re-inserts them: de-duplicated.
        """
        coupon = 3 << 26 | 12345
        sketch = HyperLogLog.from_datasketches(_list(2, [coupon, coupon]))

        assert sketch._coupons == {coupon}

    def test_overfull_set_promotes_to_hll_mode(self):
        """
        More coupons than lg_k allows in coupon mode promote the sketch.
        """
        coupons = [1 << 26 | slot for slot in range(30)]
        image = bytes((3, 1, 7, 8, 6, 8, 0, 9)) + struct.pack(
            "<31I", 30, *coupons
        )

        sketch = HyperLogLog.from_datasketches(image)
        sketch._check()

        assert sketch._registers.count(1) == 30


class TestHllImages:
    """
    HLL images: sizes, estimator fields and register values are checked.
    """

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (_hll(bytes(15)), "lg_k 4 needs 56 bytes, got 55"),
            (_hll(bytes([64]) * 16), "register values must be at most 63"),
            (_hll(bytes(16), hip=-1.0), "must be finite and >= 0, got -1.0"),
            (_hll(bytes(16), hip=float("inf")), "got inf"),
            (_hll(bytes(16), cur_min=64, hll_type=0), "at most 63, got 64"),
            (_hll(bytes(16), cur_min=1), "only HLL_4 images have a current"),
            (_hll(bytes(16), aux_count=1), "only HLL_4 images have a current"),
        ],
    )
    def test_malformed_hll_image_raises_decode_error(self, data, message):
        """
        Short arrays, bad estimator fields and register values are refused.
        """
        with pytest.raises(DecodeError) as info:
            decode_image(data)

        assert message in str(info.value)

    def test_out_of_order_image_ignores_its_hip(self):
        """
        As in DataSketches, an out-of-order image's HIP is not used.
        """
        image = _hll(bytes([1]) * 16, hip=99.0, flags=16)

        assert decode_image(image).hip == 0.0

    def test_all_zero_registers_load_as_empty(self):
        """
        An HLL image without a set register is an empty sketch.
        """
        assert HyperLogLog.from_datasketches(_hll(bytes(16))).is_empty()

    def test_hll6_registers_unpack_six_bits_each(self):
        """
        HLL_6 packs registers little-endian, six bits each.
        """
        values = [(slot * 5) % 64 for slot in range(16)]
        packed = sum(value << (6 * slot) for slot, value in enumerate(values))
        image = _hll(packed.to_bytes(13, "little"), hll_type=1)

        assert list(decode_image(image).registers) == values


class TestHll4Images:
    """
    HLL_4 nibbles are offsets from the current minimum; 15 means aux.
    """

    def test_nibbles_add_the_current_minimum(self):
        """
        Even slots sit in low nibbles, odd ones in high nibbles.
        """
        image = _hll(bytes([0x21] * 8), hll_type=0, cur_min=3)

        assert list(decode_image(image).registers) == [4, 5] * 8

    def test_aux_entries_fill_exception_slots(self):
        """
        A nibble of 15 takes its value from the compact aux list.
        """
        array = bytes([0x1F]) + bytes([0x11] * 7)
        image = _hll(array, hll_type=0, aux_count=1) + struct.pack(
            "<I", 40 << 26 | 0
        )

        assert list(decode_image(image).registers) == [40] + [1] * 15

    def test_updatable_aux_table_is_read_whole(self):
        """
        An updatable image's aux hash table may hold empty cells.
        """
        array = bytes([0xF1]) + bytes([0x11] * 7)
        table = struct.pack("<4I", 0, 33 << 26 | 1, 0, 0)
        image = _hll(array, hll_type=0, aux_count=1, lg_aux=2, flags=0) + table

        assert list(decode_image(image).registers) == [1, 33] + [1] * 14

    @pytest.mark.parametrize(
        ("array", "aux", "message"),
        [
            (bytes([0x11] * 8), [40 << 26 | 0], "matches no exception"),
            (bytes([0x1F]) + bytes([0x11] * 7), [40 << 26 | 16], "matches no"),
            (
                bytes([0xFF]) + bytes([0x11] * 7),
                [40 << 26 | 0, 41 << 26 | 0],
                "matches no exception",
            ),
            (bytes([0x1F]) + bytes([0x11] * 7), [], "has no aux entry"),
        ],
    )
    def test_inconsistent_aux_table_raises_decode_error(
        self, array, aux, message
    ):
        """
        Aux entries must match the exception nibbles one to one.
        """
        image = _hll(array, hll_type=0, aux_count=len(aux)) + struct.pack(
            f"<{len(aux)}I", *aux
        )

        with pytest.raises(DecodeError) as info:
            decode_image(image)

        assert message in str(info.value)

    @pytest.mark.parametrize(
        ("image", "message"),
        [
            (
                _hll(bytes([0xEE] * 8), hll_type=0, cur_min=50),
                "register values above 63 (current minimum 50)",
            ),
            (
                _hll(bytes(8), hll_type=0, aux_count=1, flags=0, lg_aux=27),
                "aux table lg must be at most 26, got 27",
            ),
            (
                _hll(bytes(8), hll_type=0, aux_count=2),
                "needs 56 bytes for 2 coupon cells, got 48",
            ),
            (
                _hll(bytes(8), hll_type=0, aux_count=2, lg_aux=1, flags=0)
                + bytes(8),
                "aux count 2 disagrees with 0 entries",
            ),
        ],
    )
    def test_bad_hll4_values_raise_decode_error(self, image, message):
        """
        Values past 63 and hostile or inconsistent aux sizes are refused.
        """
        with pytest.raises(DecodeError) as info:
            decode_image(image)

        assert message in str(info.value)


def _coupons_of(prefix: str, count: int) -> list[int]:
    """Coupons of ``count`` strings, as DataSketches derives them."""
    coupons = []
    for index in range(count):
        hashed = datasketches_hash128(f"{prefix}{index}")
        value = min(129 - hashed.bit_length(), 63)
        coupons.append(value << 26 | hashed & ((1 << 26) - 1))
    return coupons


def _one_by_one(lg_k: int, coupons: list[int]) -> HyperLogLog:
    """A sketch fed each distinct coupon in order, as its smallest hash."""
    sketch = HyperLogLog(lg_k)
    for coupon in sorted(set(coupons)):
        hashed = 1 << (128 - (coupon >> 26)) | coupon & ((1 << 26) - 1)
        sketch.add_hash(hashed & ((1 << 64) - 1), hashed >> 64)
    return sketch


class TestBulkCouponLoad:
    """
    Coupons load in bulk, in the state a one-by-one load would leave.
    """

    @pytest.mark.parametrize(
        ("lg_k", "count", "as_set"),
        [
            (4, 7, False),  # a full LIST, no promotion
            (4, 40, False),  # an overfull LIST promotes
            (8, 24, True),  # a SET at its limit
            (8, 300, True),  # an overfull SET promotes, then raises
            (12, 2000, True),
        ],
    )
    def test_bulk_load_equals_the_one_by_one_load(self, lg_k, count, as_set):
        """
        Registers, HIP accumulator and mode equal coupon-by-coupon feeding.
        """
        coupons = _coupons_of(f"bulk-{lg_k}-", count)
        # Out of order and with duplicates: the loader sorts and dedups.
        shuffled = coupons[::-1] + coupons[: count // 3]
        image = encode_coupon_image(lg_k, shuffled, as_set=as_set)

        loaded = HyperLogLog.from_datasketches(image)
        loaded._check()
        expected = _one_by_one(lg_k, coupons)

        assert loaded.to_bytes() == expected.to_bytes()
        assert loaded.estimate() == expected.estimate()
