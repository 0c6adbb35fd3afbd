"""
Laws of the HyperLogLog sketch: union algebra, ingest and serialization.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clientid import HyperLogLog


@st.composite
def sketches(draw: st.DrawFn) -> HyperLogLog:
    """Sketches in every mode: small lg_k and bulk inputs reach HLL mode."""
    sketch = HyperLogLog(draw(st.sampled_from([4, 6, 8, 10])))
    sketch.update(draw(st.lists(st.text(max_size=6), max_size=20)))
    # A shared prefix makes sketches overlap; a bulk block promotes them.
    prefix = draw(st.sampled_from(["a", "b"]))
    bulk = draw(st.sampled_from([0, 0, 30, 2000]))
    sketch.update(f"{prefix}{i}" for i in range(bulk))
    sketch._check()
    return sketch


class TestUnionAlgebra:
    """
    Union is commutative, associative and idempotent, as a set union is.
    """

    @given(sketches(), sketches())
    def test_union_is_commutative(self, a, b):
        """
        a | b equals b | a, estimate included.
        """
        left, right = a.union(b), b.union(a)
        left._check()

        assert left == right
        assert left.estimate() == right.estimate()

    @given(sketches(), sketches(), sketches())
    def test_union_is_associative(self, a, b, c):
        """
        (a | b) | c equals a | (b | c) equals union(a, b, c).
        """
        grouped_left = a.union(b).union(c)
        grouped_right = a.union(b.union(c))

        assert grouped_left == grouped_right == a.union(b, c)
        assert grouped_left.estimate() == grouped_right.estimate()

    @given(sketches())
    def test_union_is_idempotent(self, a):
        """
        a | a equals the union of a alone.
        """
        assert a.union(a) == a.union()

    @given(sketches())
    def test_empty_sketch_is_the_identity(self, a):
        """
        A union with an empty sketch of larger lg_k changes nothing.
        """
        assert a.union(HyperLogLog(21)) == a.union()

    @given(sketches(), sketches())
    def test_merge_equals_union_for_non_empty_others(self, a, b):
        """
        a.merge(b) leaves a equal to a | b whenever b counted something.
        """
        expected = a.union(b)

        a.merge(b)
        a._check()

        assert b.is_empty() or a == expected

    @given(sketches(), sketches())
    def test_union_counts_at_least_each_operand_in_coupon_mode(self, a, b):
        """
        An exact (coupon-mode) union never estimates below an operand.
        """
        result = a.union(b)

        assert (
            bool(result._registers)
            or result.estimate()
            >= max(a.union().estimate(), b.union().estimate()) - 1e-9
        )


class TestIngest:
    """
    The sketch depends on the set of IDs, not on how they arrive.
    """

    @given(st.lists(st.text(max_size=10), max_size=60), st.integers(4, 12))
    def test_update_equals_add_one_by_one(self, items, lg_k):
        """
        update(ids) equals add(id) for each id, in the same order.
        """
        added = HyperLogLog(lg_k)
        for item in items:
            added.add(item)
        updated = HyperLogLog(lg_k)
        updated.update(items)

        assert updated == added

    @given(st.lists(st.text(max_size=10), max_size=60), st.integers(4, 10))
    def test_registers_ignore_order_and_repetition(self, items, lg_k):
        """
        Shuffled, repeated input gives the same registers and coupons.
        """
        forward = HyperLogLog(lg_k)
        forward.update(items)
        backward = HyperLogLog(lg_k)
        backward.update([*reversed(items), *items])

        assert forward.union() == backward.union()


class TestSerialization:
    """
    Both binary formats round-trip exactly.
    """

    @given(sketches())
    def test_own_format_round_trips(self, a):
        """
        from_bytes(to_bytes(a)) equals a and estimates the same.
        """
        loaded = HyperLogLog.from_bytes(a.to_bytes())
        loaded._check()

        assert (loaded, loaded.estimate()) == (a, a.estimate())

    @given(sketches())
    def test_datasketches_image_round_trips(self, a):
        """
        from_datasketches(to_datasketches(a)) equals a.
        """
        loaded = HyperLogLog.from_datasketches(a.to_datasketches())
        loaded._check()

        assert (loaded, loaded.estimate()) == (a, a.estimate())

    @given(sketches(), sketches())
    def test_union_result_round_trips(self, a, b):
        """
        An out-of-order union result keeps its estimate through both formats.
        """
        result = a.union(b)

        own = HyperLogLog.from_bytes(result.to_bytes())
        image = HyperLogLog.from_datasketches(result.to_datasketches())

        assert own == image == result
        assert own.estimate() == image.estimate() == result.estimate()
