"""
Tests for counting: ``Count``, ``ClientCounter`` and ``DistinctCounter``.
"""

from __future__ import annotations

import pickle
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import corrupted

from clientid import (
    DEFAULT_COUNTER_LG_K,
    DEFAULT_EXACT_LIMIT,
    ClientCounter,
    Count,
    DistinctCounter,
    ExactClientSet,
    HyperLogLog,
)
from clientid.errors import (
    DecodeError,
    InexactCounterError,
    InvalidModelError,
    UnsupportedFormatError,
)


def ids(count: int, prefix: str = "client") -> list[str]:
    """Return *count* distinct, deterministic client IDs."""
    return [f"{prefix}-{index:06d}" for index in range(count)]


def estimated(client_ids: list[str], lg_k: int = 10) -> ClientCounter:
    """Return an estimating counter of *client_ids* (limit 0)."""
    return ClientCounter(client_ids, exact_limit=0, lg_k=lg_k)


class TestCount:
    def test_exact_count_has_its_value_as_both_bounds(self):
        """
        An exact Count with equal bounds and no deviations is valid.
        """
        count = Count(
            value=7, is_exact=True, lower_bound=7, upper_bound=7, std_devs=0
        )

        assert (count.lower_bound, count.upper_bound) == (7, 7)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            # Bounds must enclose the value.
            ((5, False, 6, 9, 2), "lower_bound, value, upper_bound"),
            ((5, False, 1, 4, 2), "lower_bound, value, upper_bound"),
            # Counts are never negative.
            ((0, False, -1, 3, 2), "lower_bound, value, upper_bound"),
            ((5, False, 1, 9, -1), "std_devs"),
            # Exact counts have no spread and no deviations.
            ((5, True, 4, 5, 0), "is_exact"),
            ((5, True, 5, 5, 2), "is_exact"),
        ],
    )
    def test_inconsistent_fields_are_rejected(self, fields, field):
        """
        A Count whose fields contradict each other raises InvalidModelError.
        """
        value, is_exact, lower, upper, std_devs = fields

        with pytest.raises(InvalidModelError) as caught:
            Count(
                value=value,
                is_exact=is_exact,
                lower_bound=lower,
                upper_bound=upper,
                std_devs=std_devs,
            )

        assert caught.value.field == field


class TestClientCounterExact:
    def test_counts_distinct_ids_exactly(self):
        """
        Below the limit the count is the number of distinct IDs, exact.
        """
        counter = ClientCounter(["a", "b", "a"])
        counter.add("c")
        counter.add("a")
        counter.update(["d", "b"])

        assert counter.count() == Count(
            value=4, is_exact=True, lower_bound=4, upper_bound=4, std_devs=0
        )
        assert counter.estimate() == 4.0

    def test_defaults(self):
        """
        A counter keeps a million IDs exactly and sketches at lg_k 14.
        """
        counter = ClientCounter()

        assert (counter.exact_limit, counter.lg_k) == (1_000_000, 14)
        assert (DEFAULT_EXACT_LIMIT, DEFAULT_COUNTER_LG_K) == (1_000_000, 14)

    def test_stays_exact_at_the_limit(self):
        """
        Holding exactly exact_limit IDs is still exact.
        """
        counter = ClientCounter(ids(10), exact_limit=10)

        assert counter.is_exact
        assert counter.count().value == 10

    def test_repeats_in_a_batch_at_the_limit_count_once(self):
        """
        A batch whose repeats fit the limit once de-duplicated stays exact.
        """
        counter = ClientCounter(["a"], exact_limit=3)

        counter.update(["b", "c", "b", "c"])

        assert counter.is_exact
        assert list(counter.client_ids()) == ["a", "b", "c"]

    def test_lists_ids_in_sorted_order(self):
        """
        client_ids() yields the IDs sorted while exact.
        """
        counter = ClientCounter(["b", "c", "a"])

        assert list(counter.client_ids()) == ["a", "b", "c"]

    def test_contains_reports_membership_while_exact(self):
        """
        ``in`` answers membership while the counter is exact.
        """
        counter = ClientCounter(["a"])

        assert "a" in counter
        assert "b" not in counter

    def test_sketch_of_an_exact_counter_holds_its_ids(self):
        """
        sketch() of an exact counter equals a sketch fed the same IDs.
        """
        counter = ClientCounter(ids(50), lg_k=8)
        expected = HyperLogLog(8)
        expected.update(sorted(ids(50)))

        sketch = counter.sketch()

        assert sketch.lg_k == 8
        assert sketch.estimate() == expected.estimate()
        assert sketch.to_bytes() == expected.to_bytes()

    @pytest.mark.parametrize(
        ("kwargs", "field", "value"),
        [
            ({"exact_limit": -1}, "exact_limit", -1),
            ({"lg_k": 3}, "lg_k", 3),
            ({"lg_k": 22}, "lg_k", 22),
        ],
    )
    def test_invalid_parameters_are_rejected(self, kwargs, field, value):
        """
        A negative limit or an out-of-range lg_k raises InvalidModelError.
        """
        with pytest.raises(InvalidModelError) as caught:
            ClientCounter(**kwargs)

        assert (caught.value.field, caught.value.value) == (field, value)

    @pytest.mark.parametrize("exact_limit", [0, 1, 5])
    def test_ids_a_sketch_cannot_hash_are_rejected(self, exact_limit):
        """
        An ID with a lone surrogate raises InvalidModelError, changing nothing.
        """
        counter = ClientCounter(["a"], exact_limit=exact_limit, lg_k=6)
        before = counter.to_bytes()

        with pytest.raises(InvalidModelError) as caught:
            counter.add("bad\ud800")

        assert (caught.value.field, caught.value.value) == (
            "client_id",
            "bad\ud800",
        )
        assert counter.to_bytes() == before
        counter._check()

    @pytest.mark.parametrize("exact_limit", [0, 5])
    def test_update_counts_the_ids_before_a_bad_one(self, exact_limit):
        """
        update() counts the IDs before a rejected one, then raises.
        """
        counter = ClientCounter(["a"], exact_limit=exact_limit, lg_k=8)

        with pytest.raises(InvalidModelError, match="must not be empty"):
            counter.update(["b", "c", "", "d"])
        counter._check()

        assert counter.count().value == 3

    @pytest.mark.parametrize("exact_limit", [0, 5])
    def test_update_rejects_ids_a_sketch_cannot_hash(self, exact_limit):
        """
        update() raises InvalidModelError for a lone surrogate.
        """
        counter = ClientCounter(["a"], exact_limit=exact_limit, lg_k=8)

        with pytest.raises(InvalidModelError, match="encodable as UTF-8"):
            counter.update(["é", "\udc80"])
        counter._check()

        assert counter.count().value == 2

    def test_add_rejects_the_empty_id(self):
        """
        The empty string is not a client ID (a sketch would ignore it).
        """
        with pytest.raises(InvalidModelError, match="must not be empty"):
            ClientCounter().add("")

    def test_non_ascii_ids_are_counted(self):
        """
        IDs outside ASCII are fine, exact and estimated.
        """
        counter = ClientCounter(["é", "\U0001f600"], exact_limit=1, lg_k=6)

        assert counter.count().value == 2

    @pytest.mark.parametrize("k", [0, 4, -1])
    def test_count_rejects_unsupported_std_devs(self, k):
        """
        count(k) accepts only 1, 2 or 3 standard deviations.
        """
        with pytest.raises(InvalidModelError, match="k must be 1, 2 or 3"):
            ClientCounter(["a"]).count(k)

    def test_is_unhashable(self):
        """
        A mutable counter cannot be hashed.
        """
        with pytest.raises(TypeError):
            hash(ClientCounter())

    def test_repr_shows_the_count_and_parameters(self):
        """
        The repr names the count, the limit and the precision.
        """
        text = repr(ClientCounter(["a"], exact_limit=5, lg_k=9))

        assert text.startswith("<ClientCounter Count(value=1, is_exact=True")
        assert text.endswith("exact_limit=5 lg_k=9>")


class TestClientCounterEstimated:
    def test_one_id_past_the_limit_switches_to_the_sketch(self):
        """
        The ID that exceeds exact_limit makes every count an estimate.
        """
        counter = ClientCounter(ids(10), exact_limit=10)

        counter.add("one-more")

        assert not counter.is_exact
        count = counter.count()
        assert not count.is_exact
        assert count.std_devs == 2
        assert count.lower_bound <= 11 <= count.upper_bound

    def test_never_drops_clients_past_the_limit(self):
        """
        Past the limit every new client still moves the estimate.
        """
        counter = ClientCounter(ids(100), exact_limit=100, lg_k=12)
        counter.update(ids(4900, prefix="more"))

        count = counter.count(k=3)

        assert count.lower_bound <= 5000 <= count.upper_bound
        assert count.value > 4000

    def test_repeated_ids_do_not_change_an_estimate(self):
        """
        Adding IDs already counted leaves the estimate unchanged.
        """
        counter = estimated(ids(300))
        before = counter.estimate()

        counter.update(ids(300))
        counter.add(ids(1)[0])

        assert counter.estimate() == before

    def test_a_repeated_batch_changes_nothing(self):
        """
        A batch of recently seen IDs leaves an estimating counter unchanged.
        """
        counter = estimated(["seed"])
        counter.update(ids(50))
        before = counter.to_bytes()

        counter.update(ids(50))

        assert counter.to_bytes() == before

    def test_recent_ids_cache_never_changes_the_sketch(self):
        """
        A stream through the counter gives the sketch fed every event.
        """
        rng = random.Random(7)  # noqa: S311 (seeded, not secret)
        # More distinct IDs than the smallest cache holds (4096), so the
        # cache is cleared and refilled along the way.
        population = ids(6000)
        events = [rng.choice(population) for _ in range(12000)]
        direct = HyperLogLog(10)
        for event in events:
            direct.add(event)

        counter = ClientCounter(exact_limit=0, lg_k=10)
        for event in events:
            counter.add(event)
        counter._check()

        assert counter.sketch().estimate() == direct.estimate()
        assert counter.sketch().to_bytes() == direct.to_bytes()

    def test_std_devs_widen_the_bounds(self):
        """
        Bounds for 3 standard deviations contain those for 1.
        """
        counter = estimated(ids(2000), lg_k=8)

        narrow, wide = counter.count(1), counter.count(3)

        assert (narrow.std_devs, wide.std_devs) == (1, 3)
        assert wide.lower_bound <= narrow.lower_bound <= narrow.value
        assert narrow.value <= narrow.upper_bound <= wide.upper_bound

    def test_client_ids_raise_once_estimated(self):
        """
        Listing IDs of an estimating counter raises InexactCounterError.
        """
        counter = estimated(["a"])

        with pytest.raises(InexactCounterError, match="client_ids needs an"):
            counter.client_ids()

    def test_contains_raises_once_estimated(self):
        """
        Membership in an estimating counter raises InexactCounterError.
        """
        counter = estimated(["a"])

        with pytest.raises(InexactCounterError) as caught:
            "a" in counter  # noqa: B015

        assert (caught.value.operation, caught.value.exact_limit) == ("in", 0)

    def test_sketch_is_a_copy(self):
        """
        Mutating the sketch an estimating counter returns changes nothing.
        """
        counter = estimated(ids(10))
        before = counter.estimate()

        counter.sketch().update(ids(500, prefix="other"))

        assert counter.estimate() == before

    def test_from_sketch_builds_an_estimating_counter(self):
        """
        from_sketch() copies the sketch and counts with its precision.
        """
        sketch = HyperLogLog(11)
        sketch.update(ids(100))

        counter = ClientCounter.from_sketch(sketch)
        sketch.update(ids(100, prefix="later"))

        assert not counter.is_exact
        assert counter.lg_k == 11
        assert counter.sketch().lg_k == 11
        assert (
            counter.count(3).lower_bound <= 100 <= counter.count(3).upper_bound
        )

    def test_from_empty_sketch_is_estimated_zero(self):
        """
        A counter from an empty sketch estimates zero but is not exact.
        """
        counter = ClientCounter.from_sketch(HyperLogLog(12))

        count = counter.count()

        assert (count.value, count.is_exact, count.lower_bound) == (
            0,
            False,
            0,
        )


class TestClientCounterUnion:
    def test_union_of_exact_counters_within_the_limit_is_exact(self):
        """
        Exact counters whose IDs together fit the limit union exactly.
        """
        first = ClientCounter(["a", "b"], exact_limit=3)
        second = ClientCounter(["b", "c"], exact_limit=3)

        result = first.union(second)

        assert result.is_exact
        assert list(result.client_ids()) == ["a", "b", "c"]
        assert list(first.client_ids()) == ["a", "b"]

    def test_union_of_exact_counters_past_the_limit_is_estimated(self):
        """
        Exact counters whose IDs together exceed the limit union estimated.
        """
        first = ClientCounter(["a", "b"], exact_limit=3, lg_k=8)
        second = ClientCounter(["c", "d"], exact_limit=3, lg_k=8)

        result = first.union(second)

        assert not result.is_exact
        assert result.count().value == 4

    def test_union_takes_the_receivers_limit_and_smallest_lg_k(self):
        """
        The result keeps this counter's exact limit and the minimum lg_k.
        """
        first = ClientCounter(["a"], exact_limit=5, lg_k=12)
        second = ClientCounter(["b"], exact_limit=9, lg_k=10)

        result = first.union(second)

        assert (result.exact_limit, result.lg_k) == (5, 10)

    def test_union_of_exact_and_estimated_down_samples(self):
        """
        An exact counter unions with a finer sketch at the coarser lg_k.
        """
        exact = ClientCounter(ids(200, prefix="x"), lg_k=8)
        sketch = estimated(ids(300), lg_k=12)

        result = sketch.union(exact)

        assert not result.is_exact
        assert result.lg_k == 8
        count = result.count(k=3)
        assert count.lower_bound <= 500 <= count.upper_bound

    def test_union_without_others_copies(self):
        """
        union() alone returns an equal, independent counter.
        """
        counter = ClientCounter(["a"])

        copy = counter.union()
        copy.add("b")

        assert list(counter.client_ids()) == ["a"]

    def test_merge_exact_counters_in_place(self):
        """
        merge() adds the other counter's IDs and takes the smaller lg_k.
        """
        counter = ClientCounter(["a"], lg_k=12)

        counter.merge(ClientCounter(["b"], lg_k=9))
        counter._check()

        assert list(counter.client_ids()) == ["a", "b"]
        assert counter.lg_k == 9

    def test_merge_past_the_limit_switches_to_the_sketch(self):
        """
        A merge that exceeds the limit makes the counter estimate.
        """
        counter = ClientCounter(["a", "b"], exact_limit=3, lg_k=8)

        counter.merge(ClientCounter(["c", "d"]))
        counter._check()

        assert not counter.is_exact
        assert counter.count().value == 4

    def test_merge_an_estimated_counter_into_an_exact_one(self):
        """
        Merging a sketch into an exact counter makes it estimate.
        """
        counter = ClientCounter(["a", "b"], lg_k=9)

        counter.merge(estimated(["c"], lg_k=10))
        counter._check()

        assert not counter.is_exact
        assert counter.lg_k == 9
        assert counter.count().value == 3

    def test_merge_with_itself_changes_nothing(self):
        """
        Merging a counter into itself leaves it unchanged.
        """
        counter = ClientCounter(["a"])

        counter.merge(counter)

        assert list(counter.client_ids()) == ["a"]


class TestClientCounterPickle:
    @pytest.mark.parametrize("exact_limit", [0, 10])
    def test_pickles(self, exact_limit):
        """
        A counter survives pickling, exact or estimated, invariants intact.
        """
        counter = ClientCounter(["a", "b"], exact_limit=exact_limit, lg_k=8)

        restored = pickle.loads(pickle.dumps(counter))
        restored._check()

        assert restored == counter


class TestClientCounterEquality:
    def test_counters_with_equal_state_are_equal(self):
        """
        Equal IDs, limits and precisions make equal counters.
        """
        assert ClientCounter(["a", "b"]) == ClientCounter(["b", "a"])
        assert estimated(["a", "b"]) == estimated(["a", "b"])

    @pytest.mark.parametrize(
        "other",
        [
            ClientCounter(["a"]),
            ClientCounter(["a", "b"], exact_limit=7),
            ClientCounter(["a", "b"], lg_k=12),
            estimated(["a", "b"], lg_k=DEFAULT_COUNTER_LG_K),
        ],
    )
    def test_counters_that_differ_are_unequal(self, other):
        """
        Different IDs, limit, precision or tier make counters unequal.
        """
        assert ClientCounter(["a", "b"]) != other

    def test_counters_are_not_equal_to_other_types(self):
        """
        A counter never equals a set of the same IDs.
        """
        assert ClientCounter(["a"]) != {"a"}


class TestClientCounterBytes:
    def test_exact_counter_round_trips(self):
        """
        An exact counter survives to_bytes/from_bytes with its IDs.
        """
        counter = ClientCounter(["b", "a"], exact_limit=5, lg_k=9)

        restored = ClientCounter.from_bytes(counter.to_bytes())
        restored._check()

        assert restored == counter
        assert list(restored.client_ids()) == ["a", "b"]

    def test_estimated_counter_round_trips(self):
        """
        An estimating counter survives to_bytes/from_bytes with its sketch.
        """
        counter = estimated(ids(500), lg_k=11)

        restored = ClientCounter.from_bytes(counter.to_bytes())
        restored._check()

        assert restored == counter
        assert restored.count() == counter.count()
        assert restored.to_bytes() == counter.to_bytes()

    def test_golden_header(self):
        """
        The header is pinned: magic, version, mode, lg_k and exact limit.
        """
        data = ClientCounter(["a"], exact_limit=3, lg_k=9).to_bytes()

        assert data[:15] == b"CIDC\x01\x00\x09" + struct.pack("<Q", 3)
        assert data[15:] == ExactClientSet(["a"]).to_bytes()

    def test_estimated_header_marks_the_sketch_mode(self):
        """
        An estimating counter's mode byte is 1 and the payload its sketch.
        """
        counter = estimated(["a"], lg_k=9)

        data = counter.to_bytes()

        assert data[4:7] == b"\x01\x01\x09"
        assert data[15:] == counter.sketch().to_bytes()

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            (b"CIDC\x01", "header must be 15 bytes"),
            (
                b"CIDC\x01\x02\x0e" + struct.pack("<Q", 5),
                "mode must be 0 or 1, got 2",
            ),
            (
                b"CIDC\x01\x00\x03" + struct.pack("<Q", 5),
                "lg_k must be between 4 and 21, got 3",
            ),
            (
                b"CIDC\x01\x00\x0e"
                + struct.pack("<Q", 1)
                + ExactClientSet(["a", "b"]).to_bytes(),
                "at most its exact_limit 1 IDs, got 2",
            ),
            # An exact payload holding an ID no sketch can hash.
            (
                b"CIDC\x01\x00\x0e"
                + struct.pack("<Q", 1)
                + ExactClientSet(["\ud800"]).to_bytes(),
                "client_id must be encodable as UTF-8",
            ),
            # An exact payload that is itself truncated.
            (b"CIDC\x01\x00\x0e" + struct.pack("<Q", 5) + b"CIDX", "header"),
        ],
    )
    def test_rejects_corrupt_bytes(self, data, fragment):
        """
        Truncated or inconsistent counters raise DecodeError.
        """
        with pytest.raises(DecodeError, match=fragment):
            ClientCounter.from_bytes(data)

    def test_rejects_a_sketch_with_another_lg_k(self):
        """
        A sketch payload whose lg_k disagrees with the header is rejected.
        """
        data = bytearray(estimated(["a"], lg_k=9).to_bytes())
        data[6] = 10

        with pytest.raises(DecodeError, match="sketch lg_k must be"):
            ClientCounter.from_bytes(bytes(data))

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            (b"CIDX\x01" + bytes(10), "magic must be b'CIDC', got b'CIDX'"),
            (b"CIDC\x07" + bytes(10), "format version must be 1, got 7"),
        ],
    )
    def test_rejects_unknown_formats(self, data, fragment):
        """
        A wrong magic or version raises UnsupportedFormatError.
        """
        with pytest.raises(UnsupportedFormatError, match=fragment):
            ClientCounter.from_bytes(data)

    @given(st.binary(max_size=80))
    def test_arbitrary_bytes_decode_or_raise_decode_error(self, data):
        """
        Random bytes either decode to a valid counter or raise DecodeError.
        """
        try:
            counter = ClientCounter.from_bytes(data)
        except DecodeError:
            return
        counter._check()

    @given(
        st.lists(st.text(min_size=1, max_size=8), max_size=20),
        st.booleans(),
        st.data(),
    )
    def test_corrupted_bytes_raise_only_decode_errors(
        self, client_ids, exact, data
    ):
        """
        Flipping, cutting or extending a counter's bytes raises DecodeError.
        """
        counter = ClientCounter(
            client_ids, exact_limit=100 if exact else 0, lg_k=6
        )
        original = data.draw(corrupted(counter.to_bytes()))

        try:
            restored = ClientCounter.from_bytes(original)
        except DecodeError:
            return
        restored._check()


class TestDistinctCounter:
    def test_every_counter_satisfies_the_protocol(self):
        """
        HyperLogLog, ExactClientSet and ClientCounter are DistinctCounters.
        """
        counters: list[DistinctCounter] = [
            HyperLogLog(),
            ExactClientSet(),
            ClientCounter(),
        ]

        for counter in counters:
            counter.add("a")
            counter.update(["b", "a"])

            assert isinstance(counter, DistinctCounter)
            assert round(counter.union().estimate()) == 2


class TestClientCounterCheck:
    @pytest.mark.parametrize(
        ("exact", "breakage"),
        [
            (True, lambda c: setattr(c, "_exact_limit", -1)),
            (True, lambda c: setattr(c, "_lg_k", 40)),
            (True, lambda c: setattr(c, "_sketch", HyperLogLog())),
            (True, lambda c: setattr(c, "_seen", set())),
            (True, lambda c: c._unhashed.append("x")),
            (True, lambda c: setattr(c, "_exact_limit", 0)),
            (False, lambda c: setattr(c, "_sketch", None)),
            (False, lambda c: setattr(c, "_lg_k", 5)),
            (False, lambda c: setattr(c, "_recent_capacity", 0)),
            (False, lambda c: c._unhashed.extend(["a", "a"])),
            (False, lambda c: c._unhashed.append("not-seen")),
        ],
    )
    def test_check_detects_broken_invariants(self, exact, breakage):
        """
        _check() raises AssertionError when internal state is inconsistent.
        """
        counter = ClientCounter(["a"], exact_limit=5 if exact else 0)
        counter.add("b")
        breakage(counter)

        with pytest.raises(AssertionError):
            counter._check()


class TestClientCounterStress:
    @pytest.mark.parametrize("exact_limit", [0, 25, 10_000])
    def test_seeded_stress_keeps_invariants(self, exact_limit):
        """
        Random adds, batches, merges, reads and round trips keep invariants.
        """
        rng = random.Random(exact_limit)  # noqa: S311 (seeded, not secret)
        counter = ClientCounter(exact_limit=exact_limit, lg_k=7)
        model: set[str] = set()
        for _ in range(300):
            action = rng.randrange(6)
            if action == 0:
                client_id = str(rng.randrange(100))
                counter.add(client_id)
                model.add(client_id)
            elif action == 1:
                batch = [str(rng.randrange(100)) for _ in range(8)]
                counter.update(batch)
                model.update(batch)
            elif action == 2:
                batch = [str(rng.randrange(100)) for _ in range(4)]
                counter.merge(ClientCounter(batch, lg_k=8))
                model.update(batch)
            elif action == 3:
                counter = ClientCounter.from_bytes(counter.to_bytes())
            elif action == 4:
                counter = counter.union()
            else:
                count = counter.count(3)
                assert count.lower_bound <= len(model) <= count.upper_bound
            counter._check()

            assert counter.is_exact == (len(model) <= exact_limit)
        if counter.is_exact:
            assert list(counter.client_ids()) == sorted(model)
