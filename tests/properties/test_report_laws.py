"""
Laws of activity reports, checked against a brute-force reference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import attrs
from hypothesis import given
from hypothesis import strategies as st

from clientid import (
    ActivityLog,
    ActivityReport,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    MountAccessor,
    Namespace,
    NamespaceId,
)

UTC = dt.UTC
FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2024, 4, 1)
MONTHS = 4

# root > n1 > n2; n3 is unknown to the log, so it counts as deleted.
KNOWN = (
    Namespace(id=NamespaceId("n1"), path="a/", parent_id=NamespaceId("root")),
    Namespace(id=NamespaceId("n2"), path="a/b/", parent_id=NamespaceId("n1")),
)
VISIBLE = {
    "root": {"root", "n1", "n2", "n3"},
    "n1": {"n1", "n2"},
    "n2": {"n2"},
}
MOUNTS = (
    AuthMount(accessor=MountAccessor("m1"), type="userpass", path="auth/a/"),
    AuthMount(accessor=MountAccessor("m2"), type="userpass", path="auth/a/"),
)
LABELS = {
    "m1": "auth/a/",
    "m2": "auth/a/",
    "m3": 'deleted mount; accessor "m3"',
    None: "no mount accessor (pre-1.10 upgrade?)",
}

clients = st.builds(
    Client,
    id=st.text(alphabet="abcde", min_size=1, max_size=2).map(ClientId),
    type=st.sampled_from(ClientType),
    namespace_id=st.sampled_from(["root", "n1", "n2", "n3"]).map(NamespaceId),
    mount_accessor=st.sampled_from([None, "m1", "m2", "m3"]).map(
        lambda m: None if m is None else MountAccessor(m)
    ),
)
# (client, month 0..3, second of the month): equal times happen, so the
# first recorded of two equal-time records must win.
events = st.lists(
    st.tuples(
        clients,
        st.integers(min_value=0, max_value=MONTHS - 1),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=40,
)
scopes = st.sampled_from(["root", "n1", "n2"])


def moment(month: int, second: int) -> dt.datetime:
    return dt.datetime(2024, month + 1, 1, tzinfo=UTC) + dt.timedelta(
        seconds=second
    )


def build(
    recorded: list[tuple[Client, int, int]], exact_limit: int | None = None
) -> ActivityLog:
    log = ActivityLog(namespaces=KNOWN, mounts=MOUNTS, exact_limit=exact_limit)
    for client, month, second in recorded:
        log.record(client, moment(month, second))
    return log


def reference(
    recorded: list[tuple[Client, int, int]], scope: str
) -> dict[str, object]:
    """
    Compute every number of a report the obvious, slow way.
    """
    firsts: dict[tuple[int, str], tuple[int, Client]] = {}
    for client, month, second in recorded:
        key = (month, client.id)
        if key not in firsts or second < firsts[key][0]:
            firsts[key] = (second, client)
    visible = VISIBLE[scope]
    records = sorted(
        (
            (month, client)
            for (month, _), (_, client) in firsts.items()
            if client.namespace_id in visible
        ),
        key=lambda record: record[0],
    )
    by_type: dict[ClientType, set[str]] = defaultdict(set)
    by_namespace: dict[str, dict[ClientType, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    # Like Vault, a counts object's clients is the sum of its per-type
    # unions, so an ID recorded with two types counts once per type.
    by_mount: dict[tuple[str, str], set[tuple[ClientType, str]]] = defaultdict(
        set
    )
    month_counts = [0] * MONTHS
    for month, client in records:
        by_type[client.type].add(client.id)
        by_namespace[client.namespace_id][client.type].add(client.id)
        label = LABELS[client.mount_accessor]
        by_mount[(client.namespace_id, label)].add((client.type, client.id))
        month_counts[month] += 1
    # A client is new in its first month only, whatever its later months.
    new_counts = [0] * MONTHS
    first_month: dict[str, int] = {}
    for month, client in records:
        first_month.setdefault(client.id, month)
    for month in first_month.values():
        new_counts[month] += 1
    return {
        "distinct": len({client.id for _, client in records}),
        "distinct_by_type": {t: len(ids) for t, ids in by_type.items()},
        "total": sum(
            len(ids)
            for types in by_namespace.values()
            for ids in types.values()
        ),
        "by_namespace": {
            ns: sum(len(ids) for ids in types.values())
            for ns, types in by_namespace.items()
        },
        "mounts": {key: len(ids) for key, ids in by_mount.items()},
        "months": month_counts,
        "new": new_counts,
    }


def observed(report: ActivityReport) -> dict[str, object]:
    """
    The same numbers, read from a report.
    """
    return {
        "distinct": report.distinct.clients.value,
        "distinct_by_type": {
            t: report.distinct.of_type(t).value
            for t in ClientType
            if report.distinct.of_type(t).value
        },
        "total": report.total.clients.value,
        "by_namespace": {
            ns.namespace_id: ns.counts.clients.value
            for ns in report.by_namespace
        },
        "mounts": {
            (ns.namespace_id, mount.mount_path): mount.counts.clients.value
            for ns in report.by_namespace
            for mount in ns.mounts
        },
        "months": [m.counts.clients.value for m in report.months],
        "new": [m.new_clients.counts.clients.value for m in report.months],
    }


class TestAgainstReference:
    """
    "Within a month, the activity log de-duplicates on the client ID";
    totals are "sum over (visible) namespaces of the per-namespace unions"
    (spec section 4.3).
    """

    @given(events, scopes)
    def test_an_exact_report_equals_the_brute_force_reference(
        self, recorded, scope
    ):
        """
        Every count of an exact report is the reference's.
        """
        report = build(recorded).report(
            FIRST, LAST, namespace_id=NamespaceId(scope)
        )

        assert observed(report) == reference(recorded, scope)
        assert report.is_exact

    @given(events)
    def test_the_log_keeps_its_invariants(self, recorded):
        """
        Whatever is recorded, the internal invariants hold.
        """
        build(recorded)._check()


class TestTotals:
    """
    "Can I take parts of the full payload and add them up to get the total
    clients?  Probably not." (hashicorp/vault#27397)
    """

    @given(events, scopes)
    def test_distinct_never_exceeds_total(self, recorded, scope):
        """
        A client counts once in distinct and at least once in total.
        """
        report = build(recorded).report(
            FIRST, LAST, namespace_id=NamespaceId(scope)
        )

        assert report.distinct.clients.value <= report.total.clients.value

    @given(events, scopes)
    def test_new_clients_of_the_months_sum_to_distinct(self, recorded, scope):
        """
        Each distinct client is new in exactly one month of the range.
        """
        report = build(recorded).report(
            FIRST, LAST, namespace_id=NamespaceId(scope)
        )

        assert (
            sum(m.new_clients.counts.clients.value for m in report.months)
            == report.distinct.clients.value
        )

    @given(events, st.integers(min_value=1, max_value=4))
    def test_a_limited_total_is_the_sum_of_the_kept_namespaces(
        self, recorded, limit
    ):
        """
        limit_namespaces keeps a prefix and sums exactly that prefix.
        """
        log = build(recorded)
        full = log.report(FIRST, LAST)
        limited = log.report(FIRST, LAST, limit_namespaces=limit)

        assert limited.by_namespace == full.by_namespace[:limit]
        assert limited.total.clients.value == sum(
            ns.counts.clients.value for ns in limited.by_namespace
        )

    @given(events)
    def test_the_vault_response_is_json_with_the_same_total(self, recorded):
        """
        to_vault_response round-trips through JSON and keeps the total.
        """
        report = build(recorded).report(FIRST, LAST)

        response = json.loads(json.dumps(report.to_vault_response()))

        assert response["total"]["clients"] == report.total.clients.value
        stamps = [m["timestamp"] for m in response["months"]]
        assert stamps == sorted(stamps)
        with_data = [m for m in report.months if m.has_data]
        placeholders = [m for m in response["months"] if m["counts"] is None]
        # Vault pads before the first and after the last month with data,
        # and leaves out the empty months between them.
        assert len(stamps) == len(with_data) + len(placeholders)
        if with_data:
            first = with_data[0].timestamp.strftime("%Y-%m")
            last = with_data[-1].timestamp.strftime("%Y-%m")
            assert all(
                not first <= m["timestamp"][:7] <= last for m in placeholders
            )
        else:
            assert len(stamps) == MONTHS


class TestScope:
    """
    "A namespace record is included when its namespace is the request
    namespace or a descendant" (spec section 4.5).
    """

    @given(events)
    def test_a_child_scope_is_the_root_report_restricted(self, recorded):
        """
        For clients that stay in one namespace, a scoped report counts what
        a log of only the scope's records counts.
        """
        # Pin each client ID to one namespace, so first-record attribution
        # cannot move a client across the scope's boundary.
        homes = ["root", "n1", "n2", "n3"]
        pinned = [
            (
                attrs.evolve(
                    client,
                    namespace_id=NamespaceId(homes[ord(client.id[0]) % 4]),
                ),
                month,
                second,
            )
            for client, month, second in recorded
        ]
        inside = [e for e in pinned if e[0].namespace_id in VISIBLE["n1"]]

        scoped = build(pinned).report(
            FIRST, LAST, namespace_id=NamespaceId("n1")
        )
        alone = build(inside).report(FIRST, LAST)

        assert observed(scoped) == observed(alone)


class TestOrder:
    """
    "Within a month a client is attributed to the namespace/mount/timestamp
    of its first use" (spec section 2.3).
    """

    @given(events.flatmap(lambda e: st.tuples(st.just(e), st.permutations(e))))
    def test_recording_order_does_not_matter_when_times_differ(self, pair):
        """
        With distinct times, the earliest record wins whatever the order.
        """
        original, shuffled = pair
        # Give every event its own second, keeping the original order's
        # times, so no two records of a month tie.
        timed = {id(event): index for index, event in enumerate(original)}
        first = [(c, m, timed[id(e)]) for e in original for c, m, _ in [e]]
        second = [(c, m, timed[id(e)]) for e in shuffled for c, m, _ in [e]]

        assert build(first).report(FIRST, LAST) == build(second).report(
            FIRST, LAST
        )


class TestSketchedOrder:
    """
    Past the exact limit, first use still wins, whatever the order.
    """

    @given(events.flatmap(lambda e: st.tuples(st.just(e), st.permutations(e))))
    def test_recording_order_does_not_matter_in_sketched_months(self, pair):
        """
        Distinct times: both orders give one report, the exact numbers.
        """
        original, shuffled = pair
        timed = {id(event): index for index, event in enumerate(original)}
        first = [(c, m, timed[id(e)]) for e in original for c, m, _ in [e]]
        second = [(c, m, timed[id(e)]) for e in shuffled for c, m, _ in [e]]

        # Every month past one client holds sketches.
        sketched = build(first, exact_limit=1).report(FIRST, LAST)

        assert sketched == build(second, exact_limit=1).report(FIRST, LAST)
        # A few dozen clients stay in coupon mode, whose estimates of so
        # few are exact: the numbers are the exact log's.
        assert observed(sketched) == observed(build(first).report(FIRST, LAST))
