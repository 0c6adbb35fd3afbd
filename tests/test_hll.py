"""
Tests for the HyperLogLog sketch: modes, hashing, estimates, merging, bytes.
"""

from __future__ import annotations

import math
import pickle
import struct

import mmh3
import pytest

from clientid import HyperLogLog
from clientid.errors import (
    DecodeError,
    InvalidModelError,
    UnsupportedFormatError,
)
from clientid.model.hashing import datasketches_hash128
from clientid.sketch.datasketches import kxq_sums
from clientid.sketch.estimators import (
    composite_estimate,
    interpolate_raw,
    interpolation_start,
)
from clientid.sketch.hll import coupon_value, hash_coupon
from clientid.sketch.tables import COMPOSITE_X


def _items(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def _sketch(lg_k: int, prefix: str, n: int) -> HyperLogLog:
    sketch = HyperLogLog(lg_k)
    sketch.update(_items(prefix, n))
    sketch._check()
    return sketch


def _reference_registers(lg_k: int, items: list[str]) -> bytes:
    # The documented recipe, written out independently of the module:
    # MurmurHash3 x64/128 seed 9001 over UTF-8; slot = low lg_k bits of the
    # first half; value = leading zeros of the second half + 1, at most 63.
    registers = bytearray(1 << lg_k)
    for item in items:
        first, second = mmh3.hash64(item.encode(), 9001, signed=False)
        slot = first & ((1 << lg_k) - 1)
        value = min(64 - second.bit_length(), 62) + 1
        registers[slot] = max(registers[slot], value)
    return bytes(registers)


class TestConstruction:
    """
    A sketch is built with a precision between 4 and 21.
    """

    def test_default_precision_is_12(self):
        """
        Without arguments the sketch has lg_k 12, DataSketches' default.
        """
        assert HyperLogLog().lg_k == 12

    @pytest.mark.parametrize("lg_k", [4, 21])
    def test_extreme_precisions_are_accepted(self, lg_k):
        """
        lg_k 4 and 21 are the limits DataSketches accepts.
        """
        sketch = HyperLogLog(lg_k)
        sketch._check()

        assert sketch.lg_k == lg_k

    @pytest.mark.parametrize("lg_k", [3, 22, -1, 0])
    def test_precision_out_of_range_is_rejected(self, lg_k):
        """
        An lg_k outside 4..21 raises an error naming lg_k and the value.
        """
        with pytest.raises(InvalidModelError) as info:
            HyperLogLog(lg_k)

        assert str(info.value) == (
            f"lg_k must be between 4 and 21, got {lg_k}"
        )

    def test_new_sketch_is_empty_with_zero_estimate(self):
        """
        A fresh sketch is empty and estimates 0.
        """
        sketch = HyperLogLog(12)

        assert (sketch.is_empty(), sketch.estimate()) == (True, 0.0)

    def test_sketch_is_unhashable(self):
        """
        A mutable sketch has value equality and therefore no hash.
        """
        with pytest.raises(TypeError):
            hash(HyperLogLog(12))

    def test_repr_names_precision_mode_and_estimate(self):
        """
        The repr shows lg_k, the mode and the estimate, not the registers.
        """
        assert repr(_sketch(12, "r-", 3)) == (
            "HyperLogLog(lg_k=12, mode='LIST', estimate=3.000000014901161)"
        )

    def test_pickle_round_trips(self):
        """
        A pickled sketch loads equal and keeps estimating the same.
        """
        sketch = _sketch(8, "p-", 500)

        clone = pickle.loads(pickle.dumps(sketch))
        clone._check()

        assert (clone, clone.estimate()) == (sketch, sketch.estimate())


class TestModes:
    """
    Coupon LIST, then SET, then HLL, with DataSketches' thresholds.
    """

    @pytest.mark.parametrize(
        ("lg_k", "n", "expected"),
        [
            (12, 7, "LIST"),
            (12, 8, "SET"),
            (12, 384, "SET"),
            # A SET promotes when 4 * count > 3 * 2**(lg_k - 3).
            (12, 385, "HLL"),
            (8, 24, "SET"),
            (8, 25, "HLL"),
            # Below lg_k 8 a full LIST promotes straight to HLL.
            (7, 7, "LIST"),
            (7, 8, "HLL"),
            (14, 1536, "SET"),
            (14, 1537, "HLL"),
        ],
    )
    def test_mode_follows_the_number_of_coupons(self, lg_k, n, expected):
        """
        The mode changes at DataSketches' promotion thresholds.
        """
        sketch = _sketch(lg_k, "m-", n)

        assert repr(sketch).split("'")[1] == expected

    def test_coupon_mode_counts_small_sets_exactly(self):
        """
        Up to the SET limit, the estimate rounds to the true count.
        """
        estimates = [round(_sketch(14, "e-", n).estimate()) for n in range(40)]

        assert estimates == list(range(40))

    def test_duplicates_do_not_count_twice(self):
        """
        Adding the same ID again changes nothing, in every mode.
        """
        for n in (3, 100, 5000):
            sketch = _sketch(10, "d-", n)
            before = sketch.copy()

            sketch.update(_items("d-", n))
            sketch._check()

            assert sketch == before

    @pytest.mark.parametrize("n", [3, 300, 5000])
    def test_empty_strings_are_ignored(self, n):
        """
        As in DataSketches, the empty string is not counted.
        """
        sketch = _sketch(10, "x-", n)
        before = sketch.copy()

        sketch.add("")
        sketch.update(["", ""])
        sketch._check()

        assert sketch == before


class TestHashing:
    """
    Registers follow DataSketches' hashing exactly.
    """

    @pytest.mark.parametrize("lg_k", [4, 10, 12])
    def test_registers_match_the_documented_recipe(self, lg_k):
        """
        HLL-mode registers equal the recipe computed independently.
        """
        items = _items("h-", 20_000)
        sketch = HyperLogLog(lg_k)
        sketch.update(items)

        assert bytes(sketch._registers) == _reference_registers(lg_k, items)

    def test_non_ascii_text_is_hashed_as_utf8(self):
        """
        Non-ASCII IDs hash their UTF-8 bytes, in add and in update alike.
        """
        items = _items("клиент-\N{HOT SPRINGS}-", 3000)
        added = HyperLogLog(8)
        for item in items:
            added.add(item)
        updated = HyperLogLog(8)
        updated.update(items)

        assert bytes(added._registers) == _reference_registers(8, items)
        assert updated == added

    @pytest.mark.parametrize("bad", ["\ud800", "ok-\udfff"])
    def test_lone_surrogate_is_rejected_by_add(self, bad):
        """
        Text with a lone surrogate has no UTF-8 form and raises our error.
        """
        sketch = HyperLogLog(12)

        with pytest.raises(InvalidModelError) as info:
            sketch.add(bad)

        assert str(info.value) == (
            f"client_id must be encodable as UTF-8, got {bad!r}"
        )

    def test_lone_surrogate_is_rejected_by_update_after_earlier_items(self):
        """
        update raises on the bad item; the items before it are counted.
        """
        sketch = HyperLogLog(12)

        with pytest.raises(InvalidModelError):
            sketch.update(["a", "b", "\ud800", "c"])
        sketch._check()

        assert round(sketch.estimate()) == 2

    def test_add_hash_uses_low_bits_for_slot_and_leading_zeros(self):
        """
        Slot i with i leading zeros in the second half gets value i + 1.
        """
        sketch = HyperLogLog(4)
        for slot in range(8):
            sketch.add_hash(slot | 0xABC0, 1 << (63 - slot))
        sketch._check()

        assert bytes(sketch._registers) == bytes(range(1, 9)) + bytes(8)

    def test_add_hash_caps_value_at_63(self):
        """
        A zero second half gives value 63, DataSketches' cap.
        """
        sketch = HyperLogLog(12)
        sketch.add_hash(5, 0)

        assert sketch._coupons == {63 << 26 | 5}

    def test_add_hash_keeps_26_address_bits_in_coupon_mode(self):
        """
        The coupon keeps the low 26 bits of the first half.
        """
        sketch = HyperLogLog(12)
        sketch.add_hash((1 << 40) | 0x3FF_FFFF, 1 << 62)

        assert sketch._coupons == {2 << 26 | 0x3FF_FFFF}

    @pytest.mark.parametrize(
        ("first", "second", "field"),
        [(-1, 0, "first"), (1 << 64, 0, "first"), (0, 1 << 64, "second")],
    )
    def test_add_hash_rejects_halves_out_of_range(self, first, second, field):
        """
        Each half must be an unsigned 64-bit integer.
        """
        with pytest.raises(InvalidModelError) as info:
            HyperLogLog(12).add_hash(first, second)

        assert info.value.field == field

    def test_add_and_update_agree(self):
        """
        update(ids) leaves the sketch as add(id) for each id does.
        """
        items = _items("a-", 30_000)
        added = HyperLogLog(12)
        for index, item in enumerate(items):
            added.add(item)
            if index % 997 == 0:
                added._check()
        updated = HyperLogLog(12)
        updated.update(iter(items))
        added._check()
        updated._check()

        assert (updated, updated.estimate()) == (added, added.estimate())


class TestBounds:
    """
    Estimates come with k-sigma bounds, k in 1, 2, 3.
    """

    @pytest.mark.parametrize("k", [0, 4, -1])
    def test_std_devs_other_than_1_2_3_are_rejected(self, k):
        """
        k must be 1, 2 or 3, as in DataSketches.
        """
        sketch = _sketch(12, "b-", 10)

        with pytest.raises(InvalidModelError) as info:
            sketch.lower_bound(k)
        with pytest.raises(InvalidModelError):
            sketch.upper_bound(k)

        assert str(info.value) == f"k must be 1, 2 or 3, got {k}"

    @pytest.mark.parametrize(
        "sketch",
        [
            _sketch(12, "w-", 0),
            _sketch(12, "w-", 100),
            _sketch(12, "w-", 20_000),
            _sketch(14, "w-", 50_000),
            _sketch(10, "w-", 5000).union(_sketch(10, "v-", 5000)),
        ],
        ids=["empty", "set", "hip", "hip-large-k", "composite"],
    )
    def test_bounds_widen_with_k_around_the_estimate(self, sketch):
        """
        lower(3) <= lower(2) <= lower(1) <= estimate <= upper(1) <= ...
        """
        lower = [sketch.lower_bound(k) for k in (3, 2, 1)]
        upper = [sketch.upper_bound(k) for k in (1, 2, 3)]
        chain = [*lower, sketch.estimate(), *upper]

        assert chain == sorted(chain)


class TestUnionAndMerge:
    """
    Sketches combine; different precisions down-sample to the smaller.
    """

    def test_union_returns_a_new_sketch_and_leaves_inputs_alone(self):
        """
        union builds a new sketch; its operands do not change.
        """
        left, right = _sketch(10, "l-", 3000), _sketch(10, "r-", 3000)
        left_copy, right_copy = left.copy(), right.copy()

        result = left.union(right)
        result._check()

        assert (left, right) == (left_copy, right_copy)
        assert result is not left

    def test_union_registers_are_the_register_wise_maximum(self):
        """
        An HLL-mode union keeps the larger register at every slot.
        """
        left, right = _sketch(10, "l-", 3000), _sketch(10, "r-", 4000)

        result = left.union(right)

        assert bytes(result._registers) == bytes(
            map(max, left._registers, right._registers)
        )

    def test_union_of_coupon_sketches_stays_exact(self):
        """
        Two small sketches union to the exact distinct count.
        """
        result = _sketch(12, "s-", 30).union(_sketch(12, "s-", 50))

        assert round(result.estimate()) == 50

    @pytest.mark.parametrize(
        ("lg_k", "left", "right"),
        [(4, 5, 5), (8, 20, 20), (12, 200, 300), (12, 384, 1)],
    )
    def test_coupon_union_past_the_limit_holds_every_coupon(
        self, lg_k, left, right
    ):
        """
        Coupon sketches whose union overflows promote to the registers of
        all their items, out of order, as feeding every item would give.
        """
        items = _items("p-", left + right)
        first = _sketch(lg_k, "unused-", 0)
        first.update(items[:left])
        second = _sketch(lg_k, "unused-", 0)
        second.update(items[left:])
        assert not first._registers
        assert not second._registers
        fed = _sketch(lg_k, "p-", left + right)

        for result in (first.union(second), second.union(first)):
            result._check()

            assert bytes(result._registers) == bytes(fed._registers)
            assert (result._out_of_order, result._hip) == (True, 0.0)
        merged = first.copy()
        merged.merge(second)
        assert merged == first.union(second)

    def test_union_uses_the_composite_estimator(self):
        """
        An HLL-mode union is out of order: composite estimate, no HIP.
        """
        result = _sketch(12, "c-", 10_000).union(HyperLogLog(12))

        assert (result._out_of_order, result._hip) == (True, 0.0)

    def test_union_down_samples_to_the_smallest_precision(self):
        """
        The union's lg_k is the smallest; registers fold by slot modulo k.
        """
        items = _items("f-", 20_000)
        large = HyperLogLog(12)
        large.update(items)

        result = large.union(HyperLogLog(10))

        assert result.lg_k == 10
        assert bytes(result._registers) == _reference_registers(10, items)

    def test_down_sampled_coupons_may_promote(self):
        """
        Coupons that fit lg_k 12 but not lg_k 8 make an HLL-mode union.
        """
        result = _sketch(12, "g-", 100).union(HyperLogLog(8))
        result._check()

        assert (result.lg_k, bool(result._registers)) == (8, True)

    def test_merge_equals_union(self):
        """
        merge(other) leaves the sketch equal to union(other).
        """
        for left_n, right_n, right_lg in [(30, 40, 12), (3000, 20, 10)]:
            left = _sketch(12, "m-", left_n)
            right = _sketch(right_lg, "n-", right_n)
            expected = left.union(right)

            left.merge(right)
            left._check()

            assert left == expected

    def test_merge_into_smaller_precision_down_samples_self(self):
        """
        Merging a sketch of smaller lg_k down-samples this one to it.
        """
        sketch = _sketch(14, "h-", 50_000)

        sketch.merge(_sketch(11, "i-", 10))
        sketch._check()

        assert sketch.lg_k == 11

    def test_merge_into_smaller_precision_may_promote_coupons(self):
        """
        A coupon-mode sketch down-sampled below its coupon count promotes.
        """
        sketch = _sketch(12, "p-", 100)

        sketch.merge(_sketch(8, "p-", 3))
        sketch._check()

        assert (sketch.lg_k, sketch._out_of_order) == (8, True)
        assert bytes(sketch._registers) == _reference_registers(
            8, _items("p-", 100)
        )

    def test_merging_an_empty_sketch_changes_nothing(self):
        """
        An empty sketch of equal or larger lg_k is a no-op, HIP kept.
        """
        sketch = _sketch(12, "j-", 10_000)
        before = sketch.copy()

        sketch.merge(HyperLogLog(14))

        assert (sketch, sketch._out_of_order) == (before, False)

    def test_sketch_keeps_counting_after_a_merge(self):
        """
        Adds after a merge rebuild the derived state and stay consistent.
        """
        sketch = _sketch(10, "k-", 5000)
        sketch.merge(_sketch(10, "q-", 5000))

        sketch.update(_items("z-", 5000))
        sketch.add("one-more")
        sketch._check()

        assert 13_000 < sketch.estimate() < 17_000

    def test_copy_is_independent(self):
        """
        Changing a copy leaves the original unchanged.
        """
        sketch = _sketch(12, "o-", 100)
        clone = sketch.copy()

        clone.update(_items("other-", 1000))

        assert (sketch, round(sketch.estimate())) == (
            _sketch(12, "o-", 100),
            100,
        )


class TestOwnFormat:
    """
    to_bytes/from_bytes: clientid's versioned binary format.
    """

    @pytest.mark.parametrize(
        ("lg_k", "n"), [(12, 0), (12, 5), (12, 300), (14, 50_000), (4, 100)]
    )
    def test_round_trip_is_exact(self, lg_k, n):
        """
        Every mode loads back equal, with the same estimate.
        """
        sketch = _sketch(lg_k, "t-", n)

        loaded = HyperLogLog.from_bytes(sketch.to_bytes())
        loaded._check()

        assert (loaded, loaded.estimate()) == (sketch, sketch.estimate())

    def test_round_trip_keeps_the_out_of_order_flag(self):
        """
        A union result loads back out of order.
        """
        sketch = _sketch(10, "u-", 3000).union(_sketch(10, "y-", 3000))

        loaded = HyperLogLog.from_bytes(sketch.to_bytes())

        assert (loaded._out_of_order, loaded.estimate()) == (
            True,
            sketch.estimate(),
        )

    def test_dense_image_at_lg_k_14_is_at_most_16_5_kib(self):
        """
        HLL mode costs 13 header bytes plus one byte per register.
        """
        assert len(_sketch(14, "s-", 50_000).to_bytes()) == 13 + 16_384

    def test_unknown_version_is_unsupported(self):
        """
        A format version other than 1 raises UnsupportedFormatError.
        """
        data = bytearray(_sketch(12, "v-", 3).to_bytes())
        data[1] = 2

        with pytest.raises(UnsupportedFormatError) as info:
            HyperLogLog.from_bytes(bytes(data))

        assert "format version must be 1, got 2" in str(info.value)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "need at least 5 bytes, got 0"),
            (b"\x00\x01\x0c\x00\x00", "magic must be 0xc1, got 0x0"),
            (b"\xc1\x01\x03\x00\x00", "lg_k must be between 4 and 21, got 3"),
            (b"\xc1\x01\x0c\x03\x00", "unknown mode 3 or flags 0"),
            (b"\xc1\x01\x0c\x00\x02", "unknown mode 0 or flags 2"),
            (b"\xc1\x01\x0c\x00\x01" + bytes(4), "coupon mode has no flags"),
            (b"\xc1\x01\x0c\x00\x00", "coupon mode needs 9 bytes, got 5"),
            # A hostile count is refused before anything is allocated.
            (
                b"\xc1\x01\x0c\x01\x00" + struct.pack("<I", 2**31),
                "2147483648 coupons exceed lg_k 12",
            ),
            (
                b"\xc1\x01\x0c\x00\x00" + struct.pack("<I", 2),
                "2 coupons need 17 bytes, got 9",
            ),
            (
                b"\xc1\x01\x0c\x01\x00"
                + struct.pack("<3I", 2, 1 << 26, 1 << 26),
                "2 coupons mean mode 0, got 1",
            ),
            (
                b"\xc1\x01\x0c\x00\x00"
                + struct.pack("<3I", 2, 2 << 26, 1 << 26),
                "is out of order or has value 0",
            ),
            (
                b"\xc1\x01\x0c\x00\x00" + struct.pack("<2I", 1, 5),
                "is out of order or has value 0",
            ),
            (b"\xc1\x01\x04\x02\x00" + bytes(8) + bytes(15), "needs 29 bytes"),
            (
                b"\xc1\x01\x04\x02\x00" + bytes(8) + bytes(16),
                "registers must be 0..63, not all 0",
            ),
            (
                b"\xc1\x01\x04\x02\x00" + bytes(8) + bytes([64] * 16),
                "registers must be 0..63, not all 0",
            ),
            (
                b"\xc1\x01\x04\x02\x00"
                + struct.pack("<d", -1.0)
                + bytes([1] * 16),
                "invalid HIP accumulator -1.0",
            ),
            (
                b"\xc1\x01\x04\x02\x01"
                + struct.pack("<d", 2.0)
                + bytes([1] * 16),
                "invalid HIP accumulator 2.0",
            ),
            (
                b"\xc1\x01\x04\x02\x00"
                + struct.pack("<d", math.nan)
                + bytes([1] * 16),
                "invalid HIP accumulator nan",
            ),
        ],
    )
    def test_corrupt_bytes_raise_decode_error(self, data, message):
        """
        Each broken rule raises DecodeError naming the problem.
        """
        with pytest.raises(DecodeError) as info:
            HyperLogLog.from_bytes(data)

        assert message in str(info.value)


def _out_of_order_image(lg_k: int, registers: list[int]) -> bytes:
    # An out-of-order HLL_8 image with the kxq sums of its registers.
    kxq0, kxq1 = kxq_sums(bytes(registers))
    head = struct.pack(
        "<8B3d2I", 10, 1, 7, lg_k, 0, 16, 0, 10, 0.0, kxq0, kxq1, 0, 0
    )
    return head + bytes(registers)


class TestCompositeEstimator:
    """
    Every branch of the composite estimator, against the package's values.
    """

    # Expected estimates were computed by datasketches 5.2 from the same
    # registers (loaded from the image clientid writes for them).
    @pytest.mark.parametrize(
        ("lg_k", "registers", "expected"),
        [
            (5, [1] * 32, 36.706511684242166),
            (4, [20] * 16, 11292770.384049691),
            (8, [(i * 7) % 5 for i in range(256)], 432.01400520294715),
            (6, [0] * 63 + [1], 1.0),
            (10, [3] * 1024, 5902.555822142826),
            (4, [63] * 16, 9.933225877653665e19),
            (12, [0] * 2048 + [2] * 2048, 3118.9911190609605),
            (7, [40] * 64 + [33] * 64, 1560679101499.8386),
            (4, [0] * 3 + [1] * 13, 13.063406656665444),
        ],
        ids=[
            "lg5-no-zeros",
            "above-table",
            "linear",
            "one-register",
            "interpolated",
            "capped",
            "large-k",
            "kxq1",
            "few-zeros",
        ],
    )
    def test_estimate_equals_the_packages(self, lg_k, registers, expected):
        """
        Out-of-order registers estimate exactly as DataSketches does.
        """
        sketch = HyperLogLog.from_datasketches(
            _out_of_order_image(lg_k, registers)
        )
        sketch._check()

        assert sketch.estimate() == expected

    def test_raw_estimate_below_the_table_is_zero(self):
        """
        A raw estimate below the first interpolation point estimates 0.
        """
        assert composite_estimate(4, 1e9, 0) == 0.0

    def test_raw_estimate_on_the_last_point_uses_its_cardinality(self):
        """
        Exactly the last table point maps to stride * 256.
        """
        assert interpolate_raw(COMPOSITE_X[0], 1, COMPOSITE_X[0][-1]) == 256.0

    def test_interpolation_near_the_end_uses_the_last_four_points(self):
        """
        Between the last two points, the cubic runs through the last four.
        """
        assert interpolation_start([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 4.5) == 2


class TestRawHashes:
    """
    Rare hash patterns: values of 32 and above, and the cap at 63.
    """

    def _dense(self) -> HyperLogLog:
        sketch = HyperLogLog(4)
        for slot in range(16):
            sketch.add_hash(slot, 1 << 62)
        return sketch

    def test_values_from_32_land_in_the_second_kxq_sum(self):
        """
        add_hash with 40 leading zeros sets value 41 and keeps kxq exact.
        """
        sketch = self._dense()

        sketch.add_hash(3, 1 << 23)
        sketch._check()

        assert (sketch._registers[3], sketch._kxq1) == (41, 2.0**-41)

    def test_large_value_raised_again_leaves_the_second_sum(self):
        """
        Raising a register from 41 to 50 keeps both kxq sums exact.
        """
        sketch = self._dense()

        sketch.add_hash(3, 1 << 23)
        sketch.add_hash(3, 1 << 14)
        sketch._check()

        assert (sketch._registers[3], sketch._kxq1) == (50, 2.0**-50)

    def test_batch_path_handles_large_and_capped_values(self):
        """
        The batch loop raises, caps at 63 and moves values between sums.
        """
        sketch = self._dense()
        hashes = [
            3 | (1 << 23) << 64,  # value 41
            3 | (1 << 10) << 64,  # value 54: leaves the second sum
            5,  # second half 0: capped at 63
            5 | 1 << 64,  # also 63 after the cap: no change
            7 | (1 << 62) << 64,  # value 2: below the register already there
        ]

        sketch._update_hashes(iter(hashes))
        sketch._check()

        assert list(sketch._registers[3:8]) == [54, 2, 63, 2, 2]

    def test_batch_path_caps_coupon_values_at_63(self):
        """
        In coupon mode, a zero second half also gives value 63.
        """
        sketch = HyperLogLog(12)

        sketch._update_hashes(iter([5, 6 | 1 << 64]))
        sketch._check()

        assert sketch._coupons == {63 << 26 | 5, 63 << 26 | 6}

    def test_add_hash_below_every_register_changes_nothing(self):
        """
        A hash that cannot raise the smallest register is dropped early.
        """
        sketch = self._dense()
        before = sketch.copy()

        sketch.add_hash(9, 1 << 63)

        assert sketch == before

    def test_raising_a_register_after_a_merge_skips_hip(self):
        """
        An out-of-order sketch updates kxq but keeps HIP at zero.
        """
        sketch = self._dense().union(HyperLogLog(4))

        sketch.add_hash(3, 1 << 20)
        sketch._check()

        assert (sketch._registers[3], sketch._hip) == (44, 0.0)

    def test_single_add_after_a_merge_rebuilds_derived_state(self):
        """
        The first add after a merge recomputes kxq and the minimum.
        """
        sketch = _sketch(10, "l-", 3000).union(_sketch(10, "r-", 3000))

        sketch.add("after-merge")
        sketch._check()

        assert sketch._stale is False

    def test_overfull_image_keeps_the_larger_value_per_slot(self):
        """
        Coupons replayed after promotion only ever raise registers.
        """
        coupons = sorted(
            [1 << 26 | slot for slot in range(8)]
            + [5 << 26 | 2, 2 << 26 | 18, 1 << 26 | 17]
        )
        image = bytes((2, 1, 7, 4, 3, 8, 11, 8)) + struct.pack(
            "<11I", *coupons
        )

        sketch = HyperLogLog.from_datasketches(image)
        sketch._check()

        assert list(sketch._registers[:8]) == [1, 1, 5, 1, 1, 1, 1, 1]


class TestFromCoupons:
    """Sketches made from DataSketches coupons."""

    @staticmethod
    def coupon_of(client_id: str) -> int:
        hashed = datasketches_hash128(client_id)
        return (
            min(129 - hashed.bit_length(), 63) << 26 | hashed & (1 << 26) - 1
        )

    def test_hash_coupon_is_the_datasketches_coupon(self):
        """Value over 26 address bits; none for the empty string's hash."""
        for client_id in ("a", "client-1", "\u00e9t\u00e9", "x" * 300):
            hashed = datasketches_hash128(client_id)
            coupon = hash_coupon(hashed)
            assert coupon == self.coupon_of(client_id)
            assert coupon_value(coupon) == coupon >> 26
        assert hash_coupon(datasketches_hash128("")) == 0

    @pytest.mark.parametrize("count", [0, 5, 700, 20_000])
    def test_holds_the_registers_of_the_ids(self, count):
        """Coupon and HLL mode alike: the state the IDs themselves give."""
        client_ids = [f"client-{n}" for n in range(count)]
        fed = HyperLogLog(10)
        fed.update(client_ids)

        made = HyperLogLog.from_coupons(10, map(self.coupon_of, client_ids))

        assert (made._coupons, made._registers) == (
            fed._coupons,
            fed._registers,
        )
        assert made.is_empty() == (count == 0)

    def test_any_order_and_repeats_give_the_same_sketch(self):
        """Coupons are de-duplicated and inserted in ascending order."""
        coupons = [self.coupon_of(f"client-{n}") for n in range(5000)]
        shuffled = coupons[::-1] + coupons[:100]

        assert (
            HyperLogLog.from_coupons(11, coupons).to_bytes()
            == HyperLogLog.from_coupons(11, shuffled).to_bytes()
        )

    @pytest.mark.parametrize(
        "bad", [0, (1 << 26) - 1, 64 << 26, -(1 << 26), 2.5, True, "x"]
    )
    def test_a_non_coupon_is_refused_by_name(self, bad):
        """Value bits outside 1..63, higher bits, non-ints: our error."""
        good = self.coupon_of("a")

        with pytest.raises(InvalidModelError, match="coupons") as info:
            HyperLogLog.from_coupons(12, [good, bad])

        assert info.value.value == bad

    def test_a_bad_precision_is_refused(self):
        with pytest.raises(InvalidModelError, match="lg_k"):
            HyperLogLog.from_coupons(30, [])

    @pytest.mark.parametrize("lg_k", [10, 14])
    def test_many_coupons_estimate_as_a_merge_within_bounds(self, lg_k):
        """No arrival order is assumed: no HIP bias from the coupons' order."""
        client_ids = [f"client-{n}" for n in range(100_000)]
        coupons = sorted(map(self.coupon_of, client_ids))

        made = HyperLogLog.from_coupons(lg_k, coupons)
        merged = HyperLogLog(lg_k)
        merged.merge(made)

        assert made.estimate() == merged.estimate()
        assert made.lower_bound(3) <= 100_000 <= made.upper_bound(3)
