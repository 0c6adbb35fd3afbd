"""
Laws of the exact tier and the hybrid counter.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from clientid import ClientCounter, ExactClientSet

# Short IDs from a small alphabet, so that lists repeat IDs often.
client_id = st.text(alphabet="abcdef", min_size=1, max_size=3)
client_ids = st.lists(client_id, max_size=25)
# Any Python string, lone surrogates included: the exact tier is a set of
# str and must behave like one.
any_ids = st.lists(
    st.text(st.characters(exclude_categories=[]), max_size=10), max_size=25
)
# Any string a sketch can hash (Hypothesis leaves out lone surrogates).
utf8_ids = st.lists(st.text(min_size=1, max_size=10), max_size=25)
exact_limits = st.integers(min_value=0, max_value=30)
# Sketch precisions small enough that a few dozen IDs fill the registers.
lg_ks = st.integers(min_value=4, max_value=8)
# Precisions at which the few hundred IDs these strategies can make stay in
# the sketch's coupon mode, where estimates are exact up to hash collisions
# (there are none among these IDs).  In HLL mode a union's estimate may
# depend on the order of merges (DataSketches switches estimator after a
# merge), so laws about equal estimates are stated in coupon mode; HLL
# accuracy is tested on seeded corpora, never by Hypothesis.
coupon_lg_ks = st.integers(min_value=12, max_value=13)


def counters(
    ids: st.SearchStrategy[list[str]] = client_ids,
) -> st.SearchStrategy[ClientCounter]:
    """Build counters that may be exact or estimated."""
    return st.builds(
        lambda client_ids, limit, lg_k: ClientCounter(
            client_ids, exact_limit=limit, lg_k=lg_k
        ),
        ids,
        exact_limits,
        coupon_lg_ks,
    )


def same_counts(first: ClientCounter, second: ClientCounter) -> bool:
    """Whether two counters give the same answer (IDs too, when exact)."""
    if first.is_exact != second.is_exact or first.count() != second.count():
        return False
    if first.is_exact:
        return list(first.client_ids()) == list(second.client_ids())
    return True


class TestExactClientSetIsASet:
    """
    "Within a month: one record per client ID (first use wins).  If segments
    nevertheless contain duplicates, sets absorb them."
    (spec/vault-client-counting.md §4.3)
    """

    @given(any_ids)
    def test_exact_set_equals_the_builtin_set(self, ids):
        """
        An ExactClientSet holds what set() holds, in sorted order.
        """
        exact = ExactClientSet(ids)

        assert exact == set(ids)
        assert list(exact) == sorted(set(ids))
        assert len(exact) == len(set(ids))

    @given(any_ids, any_ids)
    def test_union_is_commutative(self, first, second):
        """
        a | b == b | a.
        """
        a, b = ExactClientSet(first), ExactClientSet(second)

        assert a.union(b) == b.union(a)

    @given(any_ids, any_ids, any_ids)
    def test_union_is_associative(self, first, second, third):
        """
        (a | b) | c == a | (b | c) == a.union(b, c).
        """
        a, b, c = map(ExactClientSet, (first, second, third))

        assert a.union(b).union(c) == a.union(b.union(c)) == a.union(b, c)

    @given(any_ids)
    def test_union_is_idempotent(self, ids):
        """
        a | a == a.
        """
        exact = ExactClientSet(ids)

        assert exact.union(exact) == exact

    @given(any_ids, any_ids)
    def test_merge_equals_union(self, first, second):
        """
        Merging in place gives what union() returns.
        """
        a, b = ExactClientSet(first), ExactClientSet(second)
        expected = a.union(b)

        a.merge(b)
        a._check()

        assert a == expected

    @given(any_ids)
    def test_bytes_round_trip(self, ids):
        """
        from_bytes(to_bytes(s)) == s, and equal sets give equal bytes.
        """
        exact = ExactClientSet(ids)

        data = exact.to_bytes()

        assert ExactClientSet.from_bytes(data) == exact
        assert ExactClientSet(reversed(ids)).to_bytes() == data


class TestClientCounterLaws:
    """
    "Past the cap, new clients are silently dropped at save time."
    (spec/vault-client-counting.md §3.3) -- clientid never drops a client:
    past its exact limit it estimates, and says so.
    """

    @given(client_ids, exact_limits)
    def test_exact_count_equals_the_number_of_distinct_ids(self, ids, limit):
        """
        Within the limit, count() is len(set(ids)) and exact.
        """
        counter = ClientCounter(ids, exact_limit=max(limit, len(set(ids))))

        count = counter.count()

        assert count.is_exact
        assert count.value == len(set(ids))

    @given(client_ids, exact_limits)
    def test_counter_is_exact_exactly_up_to_its_limit(self, ids, limit):
        """
        The counter switches to the sketch once it exceeds exact_limit.
        """
        counter = ClientCounter(exact_limit=limit, lg_k=6)
        seen: set[str] = set()
        for client in ids:
            counter.add(client)
            seen.add(client)
            counter._check()

            assert counter.is_exact == (len(seen) <= limit)
            assert counter.count().is_exact == counter.is_exact

    @given(client_ids, exact_limits, st.sampled_from([1, 2, 3]))
    def test_bounds_contain_the_true_count(self, ids, limit, k):
        """
        Exact or estimated (in coupon mode), the bounds hold the true count.
        """
        counter = ClientCounter(ids, exact_limit=limit, lg_k=12)

        count = counter.count(k)

        assert count.lower_bound <= len(set(ids)) <= count.upper_bound

    @given(counters(), client_ids, exact_limits)
    def test_union_is_commutative(self, first, ids, limit):
        """
        a | b and b | a give the same count (equal limits).
        """
        a = ClientCounter(exact_limit=limit, lg_k=first.lg_k)
        a.merge(first)
        b = ClientCounter(ids, exact_limit=limit, lg_k=12)

        assert same_counts(a.union(b), b.union(a))

    @given(client_ids, client_ids, client_ids, exact_limits, coupon_lg_ks)
    def test_union_is_associative(self, first, second, third, limit, lg_k):
        """
        (a | b) | c and a | (b | c) give the same count.
        """
        a, b, c = (
            ClientCounter(ids, exact_limit=limit, lg_k=lg_k)
            for ids in (first, second, third)
        )

        left = a.union(b).union(c)

        assert same_counts(left, a.union(b.union(c)))
        assert same_counts(left, a.union(b, c))

    @given(counters())
    def test_union_is_idempotent(self, counter):
        """
        a | a gives the same count as a.
        """
        assert same_counts(counter.union(counter), counter)

    @given(counters(), counters())
    def test_merge_equals_union(self, first, second):
        """
        Merging in place gives what union() returns.
        """
        expected = first.union(second)

        first.merge(second)
        first._check()

        assert first == expected

    @given(counters(utf8_ids))
    def test_bytes_round_trip(self, counter):
        """
        from_bytes(to_bytes(c)) == c, byte for byte.
        """
        data = counter.to_bytes()

        restored = ClientCounter.from_bytes(data)
        restored._check()

        assert restored == counter
        assert restored.to_bytes() == data


class CounterMachine(RuleBasedStateMachine):
    """
    A counter fed any mix of operations agrees with a plain set.
    """

    def __init__(self) -> None:
        super().__init__()
        self.model: set[str] = set()
        self.counter = ClientCounter()
        # Merging an estimating counter makes this one estimate too.
        self.forced_estimate = False

    @initialize(limit=exact_limits, lg_k=coupon_lg_ks)
    def start(self, limit: int, lg_k: int) -> None:
        self.counter = ClientCounter(exact_limit=limit, lg_k=lg_k)

    @rule(client=client_id)
    def add(self, client: str) -> None:
        self.counter.add(client)
        self.model.add(client)

    @rule(ids=client_ids)
    def update(self, ids: list[str]) -> None:
        self.counter.update(ids)
        self.model.update(ids)

    @rule(ids=client_ids, lg_k=coupon_lg_ks)
    def merge_exact(self, ids: list[str], lg_k: int) -> None:
        self.counter.merge(ClientCounter(ids, lg_k=lg_k))
        self.model.update(ids)

    @rule(ids=client_ids, lg_k=coupon_lg_ks)
    def merge_estimated(self, ids: list[str], lg_k: int) -> None:
        self.counter.merge(ClientCounter(ids, exact_limit=0, lg_k=lg_k))
        self.model.update(ids)
        self.forced_estimate = self.forced_estimate or bool(ids)

    @rule()
    def round_trip(self) -> None:
        self.counter = ClientCounter.from_bytes(self.counter.to_bytes())

    @rule()
    def union_copy(self) -> None:
        self.counter = self.counter.union()

    @precondition(lambda self: self.counter.is_exact)
    @rule()
    def ids_match(self) -> None:
        assert list(self.counter.client_ids()) == sorted(self.model)

    @invariant()
    def invariants_hold(self) -> None:
        self.counter._check()

    @invariant()
    def count_brackets_the_truth(self) -> None:
        count = self.counter.count(3)
        assert count.lower_bound <= len(self.model) <= count.upper_bound
        within = len(self.model) <= self.counter.exact_limit
        assert count.is_exact == (within and not self.forced_estimate)


TestCounterMachine = CounterMachine.TestCase
