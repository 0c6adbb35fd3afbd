"""
Tests for the exact tier: ``ExactClientSet``.
"""

from __future__ import annotations

import pickle
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import corrupted

from clientid import ExactClientSet
from clientid.errors import DecodeError, UnsupportedFormatError

client_ids = st.lists(st.text(max_size=12), max_size=30)


class TestExactClientSet:
    def test_iterates_in_sorted_order(self):
        """
        Iteration yields the IDs in ascending order whatever the input order.
        """
        exact = ExactClientSet(["c", "a", "b"])

        assert list(exact) == ["a", "b", "c"]

    def test_reversed_iterates_in_descending_order(self):
        """
        reversed() yields the IDs in descending order.
        """
        exact = ExactClientSet(["c", "a", "b"])

        assert list(reversed(exact)) == ["c", "b", "a"]

    def test_duplicates_count_once(self):
        """
        Adding an ID twice leaves one copy.
        """
        exact = ExactClientSet(["a", "a"])
        exact.add("a")
        exact.update(["a", "a"])

        assert len(exact) == 1

    def test_add_after_iteration_appears_in_order(self):
        """
        IDs added after the sorted view exists are merged into the order.
        """
        exact = ExactClientSet(["b", "d"])
        list(exact)

        exact.add("c")
        exact.add("a")
        exact.add("c")
        exact._check()

        assert list(exact) == ["a", "b", "c", "d"]
        exact._check()

    def test_update_after_iteration_appears_in_order(self):
        """
        A batch added after the sorted view exists is merged into the order.
        """
        exact = ExactClientSet(["m"])
        list(exact)

        exact.update(["z", "a", "m", "a"])
        exact._check()

        assert list(exact) == ["a", "m", "z"]

    def test_contains_reports_membership(self):
        """
        ``in`` is true for added IDs and false for others.
        """
        exact = ExactClientSet(["a"])

        assert "a" in exact
        assert "b" not in exact

    def test_estimate_is_the_exact_length(self):
        """
        estimate() returns the number of IDs as a float.
        """
        exact = ExactClientSet(["a", "b", "b"])

        assert exact.estimate() == 2.0

    def test_union_returns_a_new_set_of_all_ids(self):
        """
        union() holds every ID of all operands and leaves them unchanged.
        """
        first = ExactClientSet(["a", "b"])
        second = ExactClientSet(["b", "c"])
        third = ExactClientSet(["d"])

        result = first.union(second, third)

        assert list(result) == ["a", "b", "c", "d"]
        assert list(first) == ["a", "b"]
        assert list(second) == ["b", "c"]

    def test_union_without_others_is_a_copy(self):
        """
        union() with no operands returns an equal but independent set.
        """
        exact = ExactClientSet(["a"])

        copy = exact.union()
        copy.add("b")

        assert list(exact) == ["a"]

    def test_merge_adds_the_other_ids_in_place(self):
        """
        merge() adds the other set's IDs to this one.
        """
        exact = ExactClientSet(["a"])
        list(exact)

        exact.merge(ExactClientSet(["c", "b"]))
        exact._check()

        assert list(exact) == ["a", "b", "c"]

    def test_merge_with_itself_changes_nothing(self):
        """
        Merging a set into itself leaves it unchanged.
        """
        exact = ExactClientSet(["a", "b"])

        exact.merge(exact)

        assert list(exact) == ["a", "b"]

    def test_equals_exact_sets_and_builtin_sets_with_the_same_ids(self):
        """
        Equality compares contents with ExactClientSet, set and frozenset.
        """
        exact = ExactClientSet(["a", "b"])

        assert exact == ExactClientSet(["b", "a"])
        assert exact == {"a", "b"}
        assert frozenset({"a", "b"}) == exact
        assert exact != {"a"}
        assert exact != ["a", "b"]

    def test_equals_other_abstract_sets_with_the_same_ids(self):
        """
        Equality with any collections.abc.Set compares contents.
        """
        exact = ExactClientSet(["a", "b"])

        assert exact == {"a": 1, "b": 2}.keys()
        assert exact != {"a": 1, "c": 2}.keys()
        assert exact != {"a": 1}.keys()

    def test_set_operators_return_exact_sets(self):
        """
        The set operators inherited from collections.abc.Set work.
        """
        exact = ExactClientSet(["a", "b"])

        assert ExactClientSet(["a", "b", "c"]) == exact | {"c"}
        assert isinstance(exact | {"c"}, ExactClientSet)
        assert {"a"} == exact & {"a", "z"}
        assert {"b"} == exact - {"a"}
        assert exact <= {"a", "b", "c"}

    def test_is_unhashable(self):
        """
        A mutable set cannot be hashed.
        """
        with pytest.raises(TypeError):
            hash(ExactClientSet())

    def test_repr_lists_ids_in_order(self):
        """
        The repr shows the sorted IDs.
        """
        assert repr(ExactClientSet(["b", "a"])) == "ExactClientSet(['a', 'b'])"

    def test_pickles(self):
        """
        A set survives pickling with its contents.
        """
        exact = ExactClientSet(["b", "a"])

        restored = pickle.loads(pickle.dumps(exact))

        assert exact == restored
        restored._check()

    def test_seeded_stress_keeps_invariants(self):
        """
        Random interleaved adds, batches, merges and reads keep invariants.
        """
        rng = random.Random(20261123)  # noqa: S311 (seeded, not secret)
        exact = ExactClientSet()
        model: set[str] = set()
        for _ in range(400):
            action = rng.randrange(5)
            if action == 0:
                client_id = str(rng.randrange(200))
                exact.add(client_id)
                model.add(client_id)
            elif action == 1:
                batch = [str(rng.randrange(200)) for _ in range(5)]
                exact.update(batch)
                model.update(batch)
            elif action == 2:
                other = [str(rng.randrange(200)) for _ in range(3)]
                exact.merge(ExactClientSet(other))
                model.update(other)
            elif action == 3:
                assert sorted(model) == list(exact)
            else:
                exact = ExactClientSet.from_bytes(exact.to_bytes())
            exact._check()

            assert len(model) == len(exact)

    def test_check_detects_an_inconsistent_view(self):
        """
        _check() raises AssertionError if the sorted view misses a member.
        """
        exact = ExactClientSet(["a", "b"])
        list(exact)
        exact._members.add("c")

        with pytest.raises(AssertionError):
            exact._check()


class TestExactClientSetLaws:
    @given(client_ids)
    def test_behaves_like_a_builtin_set(self, ids):
        """
        An ExactClientSet holds exactly the IDs a set holds, sorted.
        """
        exact = ExactClientSet()
        for client_id in ids:
            exact.add(client_id)
            exact._check()

        assert sorted(set(ids)) == list(exact)
        assert len(set(ids)) == len(exact)


class TestExactClientSetBytes:
    def test_round_trips_through_bytes(self):
        """
        from_bytes(to_bytes()) gives an equal set.
        """
        exact = ExactClientSet(["b", "a", "é", "\U0001f600"])

        restored = ExactClientSet.from_bytes(exact.to_bytes())

        assert exact == restored
        restored._check()

    def test_round_trips_lone_surrogates(self):
        """
        Python strings that are not valid Unicode text still round-trip.
        """
        exact = ExactClientSet(["\ud800", "\ud83d\ude00"])

        assert exact == ExactClientSet.from_bytes(exact.to_bytes())

    def test_golden_bytes(self):
        """
        The binary layout is pinned: magic, version, count, lengths, text.
        """
        expected = (
            b"CIDX\x01"
            + struct.pack("<Q", 2)
            + struct.pack("<II", 1, 2)
            + b"a\xc3\xa9z"
        )

        assert expected == ExactClientSet(["\xe9z", "a"]).to_bytes()

    def test_empty_set_round_trips(self):
        """
        The empty set serializes to its header alone and back.
        """
        data = ExactClientSet().to_bytes()

        assert len(data) == 13
        assert ExactClientSet() == ExactClientSet.from_bytes(data)

    def test_equal_sets_give_equal_bytes(self):
        """
        Serialization does not depend on insertion order.
        """
        first = ExactClientSet(["x", "y", "z"])
        second = ExactClientSet(["z"])
        second.update(["y", "x"])

        assert first.to_bytes() == second.to_bytes()

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            (b"", "header must be 13 bytes"),
            (b"CIDX\x01\x00", "header must be 13 bytes"),
            # Claims a million IDs but carries no lengths.
            (b"CIDX\x01" + struct.pack("<Q", 10**6), "needs at least"),
            # The largest count: must not be allocated.
            (b"CIDX\x01" + b"\xff" * 8, "needs at least"),
            # One ID of length 5, but only one character follows.
            (
                b"CIDX\x01" + struct.pack("<QI", 1, 5) + b"a",
                "must add up to the text length",
            ),
            # Two IDs, lengths fine, but text has one extra character.
            (
                b"CIDX\x01" + struct.pack("<QII", 2, 1, 1) + b"abc",
                "must add up to the text length",
            ),
            (
                b"CIDX\x01" + struct.pack("<QII", 2, 1, 1) + b"ba",
                "strictly increasing",
            ),
            (
                b"CIDX\x01" + struct.pack("<QII", 2, 1, 1) + b"aa",
                "strictly increasing",
            ),
            (
                b"CIDX\x01" + struct.pack("<QI", 1, 1) + b"\xff",
                "must be UTF-8",
            ),
        ],
    )
    def test_rejects_corrupt_bytes(self, data, fragment):
        """
        Truncated, inconsistent or non-canonical data raises DecodeError.
        """
        with pytest.raises(DecodeError, match=fragment):
            ExactClientSet.from_bytes(data)

    @pytest.mark.parametrize(
        ("data", "fragment"),
        [
            (b"XXXX\x01" + bytes(8), "magic must be b'CIDX', got b'XXXX'"),
            (b"CIDX\x02" + bytes(8), "format version must be 1, got 2"),
        ],
    )
    def test_rejects_unknown_formats(self, data, fragment):
        """
        A wrong magic or an unknown version raises UnsupportedFormatError.
        """
        with pytest.raises(UnsupportedFormatError, match=fragment):
            ExactClientSet.from_bytes(data)

    @given(client_ids)
    def test_round_trips_any_ids(self, ids):
        """
        Every set of strings round-trips through bytes.
        """
        exact = ExactClientSet(ids)

        restored = ExactClientSet.from_bytes(exact.to_bytes())

        assert exact == restored
        restored._check()

    @given(st.binary(max_size=64))
    def test_arbitrary_bytes_decode_or_raise_decode_error(self, data):
        """
        Random bytes either decode to a valid set or raise DecodeError.
        """
        try:
            exact = ExactClientSet.from_bytes(data)
        except DecodeError:
            return
        exact._check()

        assert data == exact.to_bytes()

    @given(client_ids, st.data())
    def test_corrupted_bytes_raise_only_decode_errors(self, ids, data):
        """
        Flipping, cutting or extending valid bytes never escapes DecodeError.
        """
        original = data.draw(corrupted(ExactClientSet(ids).to_bytes()))

        try:
            exact = ExactClientSet.from_bytes(original)
        except DecodeError:
            return
        exact._check()
