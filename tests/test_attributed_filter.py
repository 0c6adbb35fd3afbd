"""
Tests for the table of attributed clients of sketched months.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import HyperLogLog
from clientid.activity.seen import AttributedFilter

#: IDs a Client can hold: no lone surrogates, not empty.
IDS = st.text(st.characters(exclude_categories=["Cs"]), min_size=1)


def _held_slot(seen: AttributedFilter) -> int:
    return next(i for i, f in enumerate(seen._table) if f)


def test_attribute_says_whether_a_group_changed():
    """
    New clients and earlier uses in another group change a group.
    """
    seen = AttributedFilter()

    assert seen.attribute("a", 1, 100) is True
    assert seen.attribute("a", 2, 100) is False  # a tie: the first stays
    assert seen.attribute("a", 2, 150) is False  # later: nothing changes
    assert seen.attribute("a", 1, 50) is False  # earlier, same group
    assert seen.attribution("a") == (1, 50)
    assert seen.attribute("a", 3, 10) is True  # earlier, another group
    assert seen.attribution("a") == (3, 10)
    assert seen.attribution("b") is None
    assert len(seen) == 1


def test_filter_grows_and_keeps_every_client():
    """
    Growing the table past its first size loses no client or attribute.
    """
    seen = AttributedFilter()
    first_size = seen.nbytes
    for number in range(5000):
        seen.attribute(f"client-{number}", number % 7, number)

    seen.check()
    assert seen.nbytes > first_size
    assert not any(
        seen.attribute(f"client-{n}", 0, 10**9) for n in range(5000)
    )
    assert [seen.attribution(f"client-{n}") for n in range(5000)] == [
        (n % 7, n) for n in range(5000)
    ]
    assert len(seen) == 5000


def test_capacity_presizes_the_table():
    """
    A filter made for many clients does not grow while taking them.
    """
    seen = AttributedFilter(4000)
    size = seen.nbytes
    for number in range(4000):
        seen.attribute(f"client-{number}", 0, 0)

    assert seen.nbytes == size
    assert size == 8192 * 24


@given(st.lists(st.tuples(IDS, st.integers(0, 3), st.integers(-5, 5))))
def test_filter_agrees_with_a_dict_of_first_uses(uses):
    """
    For any uses, each client keeps its earliest (first among ties).
    """
    seen = AttributedFilter()
    reference: dict[str, tuple[int, int]] = {}

    for client_id, group, used in uses:
        held = reference.get(client_id)
        changed = seen.attribute(client_id, group, used)
        if held is None or used < held[1]:
            reference[client_id] = (group, used)
        assert changed == (held is None or reference[client_id][0] != held[0])

    seen.check()
    assert len(seen) == len(reference)
    assert {c: seen.attribution(c) for c in reference} == reference


def _same_state(a: HyperLogLog, b: HyperLogLog) -> bool:
    return (a._coupons, a._registers) == (b._coupons, b._registers)


@pytest.mark.parametrize("clients", [10, 3000, 60_000])
def test_group_coupons_make_the_sketch_of_the_group_members(clients):
    """
    A group's coupons give the registers a sketch of its IDs holds.
    """
    seen = AttributedFilter()
    members: dict[int, list[str]] = {0: [], 1: []}
    for number in range(clients):
        client_id = f"client-{number}"
        seen.attribute(client_id, number % 2, number)
        members[number % 2].append(client_id)

    by_group = seen.coupons_by_group()

    assert list(by_group) == [0, 1]
    for group, ids in members.items():
        fed = HyperLogLog(12)
        fed.update(ids)
        made = HyperLogLog.from_coupons(12, by_group[group])
        assert _same_state(made, fed)
        assert len(by_group[group]) == len(ids)


def test_a_moved_client_leaves_its_old_groups_coupons():
    """
    After an earlier use elsewhere, the client is in one group only.
    """
    seen = AttributedFilter()
    seen.attribute("a", 0, 10)
    seen.attribute("b", 0, 10)
    seen.attribute("a", 1, 5)

    by_group = seen.coupons_by_group()

    assert len(by_group[0]) == 1
    assert len(by_group[1]) == 1
    assert seen.max_group() == 1


def test_an_empty_id_is_held_without_a_coupon():
    """
    DataSketches skips the empty string; the table holds it, no coupon.
    """
    seen = AttributedFilter()
    seen.attribute("", 4, 0)

    assert seen.attribution("") == (4, 0)
    assert seen.coupons_by_group() == {}
    seen.check()


def test_to_bytes_round_trips():
    """
    The bytes rebuild an equal table, attributions and all.
    """
    seen = AttributedFilter()
    for number in range(2000):
        seen.attribute(f"client-{number}", number % 5, -number)

    again = AttributedFilter.from_bytes(seen.to_bytes())

    assert again.to_bytes() == seen.to_bytes()
    assert len(again) == 2000
    assert again.attribution("client-7") == (2, -7)
    assert again.coupons_by_group() == seen.coupons_by_group()


@pytest.mark.parametrize("size", [0, 24, 24 * 1023, 24 * 1025, 24 * 1024 + 1])
def test_from_bytes_refuses_a_wrong_length(size):
    """
    Only power-of-two tables of at least the smallest size are read.
    """
    with pytest.raises(AssertionError):
        AttributedFilter.from_bytes(bytes(size))


def _filled() -> AttributedFilter:
    seen = AttributedFilter()
    for number in range(300):
        seen.attribute(f"client-{number}", 1, number)
    return seen


def _corrupt_marker(seen: AttributedFilter) -> None:
    seen._table[_held_slot(seen)] -= 1


def _corrupt_coupon(seen: AttributedFilter) -> None:
    slot = _held_slot(seen)
    seen._coupons[slot] ^= 1 << 30


def _corrupt_group(seen: AttributedFilter) -> None:
    seen._groups[_held_slot(seen)] = -1


def _corrupt_empty_slot(seen: AttributedFilter) -> None:
    empty = next(i for i, f in enumerate(seen._table) if not f)
    seen._used[empty] = 1


def _corrupt_probe_chain(seen: AttributedFilter) -> None:
    # Move a fingerprint past an empty slot after its home: unreachable.
    slot = _held_slot(seen)
    mask = len(seen._table) - 1
    target = slot
    while True:
        target = target + 1 & mask
        if not seen._table[target] and seen._table[target - 1 & mask] == 0:
            break
    for column in (seen._table, seen._used, seen._groups, seen._coupons):
        column[target], column[slot] = column[slot], 0


def _corrupt_duplicate(seen: AttributedFilter) -> None:
    slot = _held_slot(seen)
    mask = len(seen._table) - 1
    after = slot + 1 & mask
    while seen._table[after]:
        after = after + 1 & mask
    for column in (seen._table, seen._used, seen._groups, seen._coupons):
        column[after] = column[slot]
    seen._count += 1


@pytest.mark.parametrize(
    "corrupt",
    [
        _corrupt_marker,
        _corrupt_coupon,
        _corrupt_group,
        _corrupt_empty_slot,
        _corrupt_probe_chain,
        _corrupt_duplicate,
    ],
)
def test_check_finds_a_corrupt_table(corrupt):
    """
    Each kind of damage breaks an invariant, in check() and from_bytes().
    """
    seen = _filled()
    seen.check()
    corrupt(seen)

    with pytest.raises(AssertionError):
        seen.check()
    with pytest.raises(AssertionError):
        AttributedFilter.from_bytes(seen.to_bytes())


def test_check_finds_a_wrong_count():
    """
    A count that disagrees with the table breaks the invariant.
    """
    seen = _filled()
    seen._count += 1

    with pytest.raises(AssertionError):
        seen.check()
