"""
Tests for the attributed-client filter of sketched months.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid.activity.seen import AttributedFilter


def test_add_says_whether_the_client_was_new():
    """
    The first add of an ID is new, the second is not.
    """
    seen = AttributedFilter()

    assert (seen.add("a"), seen.add("a"), seen.add("b")) == (True, False, True)
    assert len(seen) == 2


def test_filter_grows_and_keeps_every_client():
    """
    Growing the table past its first size loses no client.
    """
    seen = AttributedFilter()
    first_size = seen.nbytes
    for number in range(5000):
        seen.add(f"client-{number}")

    seen.check()
    assert seen.nbytes > first_size
    assert not any(seen.add(f"client-{n}") for n in range(5000))
    assert len(seen) == 5000


def test_capacity_presizes_the_table():
    """
    A filter made for many clients does not grow while taking them.
    """
    seen = AttributedFilter(4000)
    size = seen.nbytes
    for number in range(4000):
        seen.add(f"client-{number}")

    assert seen.nbytes == size


@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]))))
def test_filter_agrees_with_a_set(ids):
    """
    For any IDs, add() reports new exactly when a set would.
    """
    seen = AttributedFilter()
    reference: set[str] = set()

    for client_id in ids:
        assert seen.add(client_id) == (client_id not in reference)
        reference.add(client_id)

    seen.check()
    assert len(seen) == len(reference)


def test_check_finds_a_fingerprint_without_its_marker_bit():
    """
    A corrupted slot (even fingerprint) breaks the filter's invariant.
    """
    seen = AttributedFilter()
    seen.add("a")
    slot = next(i for i, f in enumerate(seen._table) if f)
    seen._table[slot] -= 1

    with pytest.raises(AssertionError):
        seen.check()


def test_check_finds_a_wrong_count():
    """
    A count that disagrees with the table breaks the invariant.
    """
    seen = AttributedFilter()
    seen.add("a")
    seen._count = 2

    with pytest.raises(AssertionError):
        seen.check()
