"""
Tests for ActivityLog.report and the report model, including Vault's shape.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from clientid import (
    ActivityLog,
    ActivityReport,
    AuthMount,
    Client,
    ClientCounts,
    ClientId,
    ClientType,
    Count,
    MountAccessor,
    Namespace,
    NamespaceId,
)
from clientid.errors import InvalidModelError

UTC = dt.UTC
ROOT = NamespaceId("root")


def client(
    client_id: str,
    namespace: str = "root",
    mount: str | None = "auth_up",
    client_type: ClientType = ClientType.ENTITY,
) -> Client:
    return Client(
        id=ClientId(client_id),
        type=client_type,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
    )


def at(year: int, month: int, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=UTC)


def namespace(ns_id: str, path: str, parent: str = "root") -> Namespace:
    return Namespace(
        id=NamespaceId(ns_id), path=path, parent_id=NamespaceId(parent)
    )


def exact(value: int) -> Count:
    return Count(
        value=value,
        is_exact=True,
        lower_bound=value,
        upper_bound=value,
        std_devs=0,
    )


def world() -> ActivityLog:
    """
    Three namespaces (root, a/, a/b/) plus a deleted one, over two months.
    """
    log = ActivityLog(
        namespaces=[namespace("nsA", "a/"), namespace("nsB", "a/b/", "nsA")],
        mounts=[
            AuthMount(
                accessor=MountAccessor("auth_up"),
                type="userpass",
                path="auth/userpass/",
            ),
            AuthMount(
                accessor=MountAccessor("auth_a"),
                type="approle",
                path="auth/approle/",
                namespace_id=NamespaceId("nsA"),
            ),
        ],
    )
    log.record(client("e1"), at(2024, 1, 2))
    log.record(
        client("t1", client_type=ClientType.NON_ENTITY_TOKEN), at(2024, 1, 2)
    )
    log.record(client("e2", "nsA", "auth_a"), at(2024, 1, 3))
    log.record(client("e3", "nsB", "auth_b"), at(2024, 1, 3))
    log.record(client("gone", "nsX", "auth_x"), at(2024, 1, 3))
    # February: e1 comes back, e2 moves to root, one ACME client is new.
    log.record(client("e1"), at(2024, 2, 2))
    log.record(client("e2"), at(2024, 2, 2))
    log.record(
        client("pki-acme.x", "nsA", "pki_1", ClientType.ACME), at(2024, 2, 2)
    )
    return log


def vault(result: ActivityReport) -> Any:
    """Return the Vault response, typed loosely for indexing in tests."""
    return result.to_vault_response()


def report(log: ActivityLog, **kwargs) -> ActivityReport:
    return log.report(dt.date(2024, 1, 1), dt.date(2024, 3, 31), **kwargs)


class TestTotals:
    def test_total_sums_per_namespace_unions(self):
        """
        e2 is in root and nsA over the range, so total counts it twice.
        """
        result = report(world())

        assert result.total.clients.value == 7
        assert result.distinct.clients.value == 6

    def test_distinct_counts_each_client_id_once(self):
        """
        distinct is the number of different client IDs, per type too.
        """
        result = report(world())

        assert (
            result.distinct.entity_clients.value,
            result.distinct.non_entity_clients.value,
            result.distinct.acme_clients.value,
            result.distinct.secret_syncs.value,
        ) == (4, 1, 1, 0)

    def test_total_is_the_sum_of_by_namespace(self):
        """
        Vault 1.18's total: by_namespace adds up to it field by field.
        """
        result = report(world())

        assert result.total.entity_clients.value == sum(
            ns.counts.entity_clients.value for ns in result.by_namespace
        )
        assert result.total.clients.value == sum(
            ns.counts.clients.value for ns in result.by_namespace
        )

    def test_counts_clients_is_the_sum_of_the_four_types(self):
        """
        A counts object's clients adds entity, non-entity, ACME and syncs.
        """
        counts = ClientCounts.from_types(
            {
                ClientType.ENTITY: exact(3),
                ClientType.NON_ENTITY_TOKEN: exact(2),
                ClientType.ACME: exact(1),
                ClientType.SECRET_SYNC: exact(4),
            }
        )

        assert exact(10) == counts.clients
        assert counts.is_exact
        assert exact(1) == counts.of_type(ClientType.ACME)

    @pytest.mark.parametrize("client_type", list(ClientType))
    def test_of_type_reads_the_field_of_each_type(self, client_type):
        """
        of_type returns the count of the type asked for, and no other.
        """
        counts = ClientCounts.from_types({client_type: exact(7)})

        assert [counts.of_type(t).value for t in ClientType] == [
            7 if t is client_type else 0 for t in ClientType
        ]

    def test_an_empty_range_counts_zero(self):
        """
        A range without records has zero counts and no namespaces.
        """
        result = world().report(dt.date(2020, 1, 1), dt.date(2020, 2, 1))

        assert ClientCounts() == result.total
        assert ClientCounts() == result.distinct
        assert result.by_namespace == ()
        assert len(result.months) == 2


class TestByNamespace:
    def test_namespaces_are_sorted_by_clients_then_id(self):
        """
        Most clients first; ties in ascending namespace ID.
        """
        result = report(world())

        assert [ns.namespace_id for ns in result.by_namespace] == [
            "root",
            "nsA",
            "nsB",
            "nsX",
        ]

    def test_labels_are_vaults(self):
        """
        Root is "", children end in "/", unknown ones are deleted labels.
        """
        result = report(world())

        assert [ns.namespace_path for ns in result.by_namespace] == [
            "",
            "a/",
            "a/b/",
            'deleted namespace "nsX"',
        ]

    def test_mount_labels_are_vaults(self):
        """
        Known mounts by path, unknown ones and missing accessors by label.
        """
        log = ActivityLog(
            mounts=[
                AuthMount(
                    accessor=MountAccessor("auth_up"),
                    type="userpass",
                    path="auth/up/",
                )
            ]
        )
        log.record(client("e1"), at(2024, 1))
        log.record(client("e2", mount="auth_gone"), at(2024, 1))
        log.record(client("e3", mount="auth_gone"), at(2024, 1))
        log.record(client("e4", mount=None), at(2024, 1))
        log.record(client("e5", mount=None), at(2024, 1))
        log.record(client("e6", mount=None), at(2024, 1))

        (ns,) = report(log).by_namespace

        assert [
            (m.mount_path, m.mount_type, m.counts.clients.value)
            for m in ns.mounts
        ] == [
            ("no mount accessor (pre-1.10 upgrade?)", "", 3),
            ('deleted mount; accessor "auth_gone"', "", 2),
            ("auth/up/", "userpass", 1),
        ]

    def test_mounts_with_the_same_path_merge(self):
        """
        Two accessors labelled auth/foo/ in one namespace are one mount.
        """
        log = ActivityLog(
            mounts=[
                AuthMount(
                    accessor=MountAccessor("a1"),
                    type="userpass",
                    path="auth/foo/",
                ),
                AuthMount(
                    accessor=MountAccessor("a2"),
                    type="userpass",
                    path="auth/foo/",
                ),
            ]
        )
        log.record(client("e1", mount="a1"), at(2024, 1))
        log.record(client("e2", mount="a2"), at(2024, 1))
        log.record(client("e1", mount="a2"), at(2024, 2))

        (ns,) = report(log).by_namespace

        assert [
            (m.mount_path, m.mount_accessors, m.counts.clients.value)
            for m in ns.mounts
        ] == [("auth/foo/", ("a1", "a2"), 2)]

    def test_a_client_in_two_mounts_counts_once_per_mount(self):
        """
        Mount sums can exceed the namespace's count (Vault section 4.3).
        """
        log = ActivityLog()
        log.record(client("e1", mount="a1"), at(2024, 1))
        log.record(client("e1", mount="a2"), at(2024, 2))

        (ns,) = report(log).by_namespace

        assert ns.counts.clients.value == 1
        assert [m.counts.clients.value for m in ns.mounts] == [1, 1]

    def test_limit_namespaces_keeps_the_top_and_recomputes_total(self):
        """
        limit_namespaces=2 keeps root and nsA; total is their sum only.
        """
        result = report(world(), limit_namespaces=2)

        assert [ns.namespace_id for ns in result.by_namespace] == [
            "root",
            "nsA",
        ]
        assert result.total.clients.value == 3 + 2

    def test_limit_namespaces_zero_means_no_limit_as_in_vault(self):
        """
        limit_namespaces=0, Vault's default, keeps every namespace.
        """
        full = report(world())

        unlimited = report(world(), limit_namespaces=0)

        assert unlimited == full
        assert len(unlimited.by_namespace) > 1

    def test_limit_namespaces_changes_neither_months_nor_distinct(self):
        """
        Months and distinct still cover every namespace.
        """
        full = report(world())
        limited = report(world(), limit_namespaces=1)

        assert full.months == limited.months
        assert full.distinct == limited.distinct


class TestScope:
    def test_a_child_scope_sees_itself_and_its_descendants(self):
        """
        Scoped to a/, the report sees nsA and nsB only.
        """
        result = report(world(), namespace_id=NamespaceId("nsA"))

        assert [ns.namespace_id for ns in result.by_namespace] == [
            "nsA",
            "nsB",
        ]
        assert result.distinct.clients.value == 3
        assert NamespaceId("nsA") == result.namespace_id

    def test_month_counts_are_scoped_too(self):
        """
        Month totals are sums of the visible namespaces (Vault 1.18).
        """
        result = report(world(), namespace_id=NamespaceId("nsB"))

        assert [m.counts.clients.value for m in result.months] == [1, 0, 0]

    def test_deleted_namespaces_appear_only_in_root_scope(self):
        """
        nsX is unknown: root sees it, a/ does not.
        """
        root = report(world())
        child = report(world(), namespace_id=NamespaceId("nsA"))

        assert "nsX" in [ns.namespace_id for ns in root.by_namespace]
        assert "nsX" not in [ns.namespace_id for ns in child.by_namespace]


class TestMonths:
    def test_every_month_of_the_range_is_listed(self):
        """
        January to March: three months, March empty with zero counts.
        """
        result = report(world())

        assert [at(2024, 1), at(2024, 2), at(2024, 3)] == [
            m.timestamp for m in result.months
        ]
        assert ClientCounts() == result.months[2].counts
        assert not result.months[2].has_data

    def test_month_counts_are_the_months_distinct_clients(self):
        """
        January had five clients, February three.
        """
        result = report(world())

        assert [m.counts.clients.value for m in result.months] == [5, 3, 0]

    def test_new_clients_are_first_appearances_in_the_range(self):
        """
        February's only new client is the ACME one.
        """
        result = report(world())
        february = result.months[1].new_clients

        assert [m.new_clients.counts.clients.value for m in result.months] == [
            5,
            1,
            0,
        ]
        assert exact(1) == february.counts.acme_clients
        assert [ns.namespace_id for ns in february.namespaces] == ["nsA"]

    def test_new_clients_are_relative_to_the_queried_range(self):
        """
        Starting in February makes e1 and e2 new again.
        """
        result = world().report(dt.date(2024, 2, 1), dt.date(2024, 2, 1))

        assert result.months[0].new_clients.counts.clients.value == 3

    def test_month_namespaces_add_up_to_the_month(self):
        """
        Within a month each client is in one namespace, so they add up.
        """
        for month in report(world()).months:
            assert month.counts.clients.value == sum(
                ns.counts.clients.value for ns in month.namespaces
            )

    def test_range_bounds_are_whole_months(self):
        """
        start and end snap to the first and last second of their months.
        """
        result = world().report(
            dt.datetime(2024, 1, 17, 5, tzinfo=UTC),
            dt.datetime(2024, 2, 3, tzinfo=UTC),
        )

        assert at(2024, 1) == result.start_time
        assert (
            dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC) == result.end_time
        )


class TestArguments:
    @pytest.mark.parametrize(
        ("kwargs", "field", "rule"),
        [
            (
                {"start": dt.date(2024, 3, 1), "end": dt.date(2024, 2, 1)},
                "start",
                "later than end",
            ),
            (
                {
                    "start": dt.datetime(2024, 2, 20, tzinfo=UTC),
                    "end": dt.datetime(2024, 2, 10, tzinfo=UTC),
                },
                "start",
                "later than end",
            ),
            (
                {
                    "start": dt.datetime(2024, 2, 1),  # noqa: DTZ001 (naive)
                    "end": dt.date(2024, 2, 1),
                },
                "start",
                "timezone-aware",
            ),
            (
                # Text bounds are months, dates or RFC 3339 times.
                {"start": dt.date(2024, 2, 1), "end": "March 2024"},
                "end",
                "timezone-aware datetime, or a 'YYYY-MM'",
            ),
            ({"namespace_id": "nope"}, "namespace_id", "known namespace"),
            ({"limit_namespaces": -1}, "limit_namespaces", "positive integer"),
            (
                {"limit_namespaces": False},
                "limit_namespaces",
                "positive integer",
            ),
            (
                {"limit_namespaces": True},
                "limit_namespaces",
                "positive integer",
            ),
            ({"std_devs": 0}, "std_devs", "1, 2 or 3"),
            ({"std_devs": 4}, "std_devs", "1, 2 or 3"),
            ({"std_devs": True}, "std_devs", "1, 2 or 3"),
        ],
    )
    def test_bad_arguments_raise_naming_the_parameter(
        self, kwargs, field, rule
    ):
        """
        Every malformed argument raises InvalidModelError with its name.
        """
        arguments: dict[str, Any] = {
            "start": dt.date(2024, 1, 1),
            "end": dt.date(2024, 2, 1),
        }
        arguments.update(kwargs)

        with pytest.raises(InvalidModelError) as info:
            world().report(**arguments)

        assert field == info.value.field
        assert rule in str(info.value)

    def test_export_checks_its_range_like_report(self):
        """
        export rejects a reversed range the same way.
        """
        with pytest.raises(InvalidModelError, match="later than end"):
            world().export(dt.date(2024, 3, 1), dt.date(2024, 2, 1))


class TestVaultResponse:
    def test_the_response_is_plain_json(self):
        """
        to_vault_response survives a JSON round trip unchanged.
        """
        response = vault(report(world()))

        assert response == json.loads(json.dumps(response))

    def test_top_level_keys_and_times(self):
        """
        The data object has Vault's keys and RFC 3339 UTC times.
        """
        response = vault(report(world()))

        assert list(response) == [
            "start_time",
            "end_time",
            "total",
            "by_namespace",
            "months",
        ]
        assert response["start_time"] == "2024-01-01T00:00:00Z"
        assert response["end_time"] == "2024-03-31T23:59:59Z"

    def test_counts_have_vault_1_18_keys(self):
        """
        Counts objects carry the five 1.18 fields, in Vault's order.
        """
        response = vault(report(world()))

        assert response["total"] == {
            "entity_clients": 5,
            "non_entity_clients": 1,
            "secret_syncs": 0,
            "acme_clients": 1,
            "clients": 7,
        }
        assert list(response["total"]) == [
            "entity_clients",
            "non_entity_clients",
            "secret_syncs",
            "acme_clients",
            "clients",
        ]

    def test_namespaces_and_mounts_use_vaults_keys(self):
        """
        by_namespace entries hold namespace_id/path, counts and mounts.
        """
        response = vault(report(world()))
        root = response["by_namespace"][0]

        assert list(root) == [
            "namespace_id",
            "namespace_path",
            "counts",
            "mounts",
        ]
        assert {
            "mount_path": "auth/userpass/",
            "mount_type": "userpass",
        }.items() <= root["mounts"][0].items()

    def test_empty_months_are_vault_placeholders(self):
        """
        A month without data has null counts, namespaces and new_clients.
        """
        response = vault(report(world()))

        assert response["months"][2] == {
            "timestamp": "2024-03-01T00:00:00Z",
            "counts": None,
            "namespaces": None,
            "new_clients": None,
        }

    def test_empty_months_between_months_with_data_are_left_out(self):
        """
        Like Vault, placeholders pad only before and after the data.
        """
        log = ActivityLog()
        for month in (2, 3, 5):
            log.record(client(f"e{month}"), at(2024, month))

        response = vault(log.report(dt.date(2024, 1, 1), dt.date(2024, 6, 1)))

        assert [m["timestamp"][:7] for m in response["months"]] == [
            "2024-01",
            "2024-02",
            "2024-03",
            "2024-05",
            "2024-06",
        ]
        assert response["months"][0]["counts"] is None
        assert response["months"][-1]["counts"] is None

    def test_a_log_without_data_lists_only_placeholders(self):
        """
        With no data at all, every month of the range is a placeholder.
        """
        response = vault(
            ActivityLog().report(dt.date(2024, 1, 1), dt.date(2024, 3, 1))
        )

        assert [m["counts"] for m in response["months"]] == [None] * 3

    def test_a_month_without_new_clients_has_null_new_counts(self):
        """
        Data but no new clients: both new_clients fields are null.
        """
        log = ActivityLog()
        log.record(client("e1"), at(2024, 1))
        log.record(client("e1"), at(2024, 2))

        response = vault(report(log))

        assert response["months"][1]["new_clients"] == {
            "counts": None,
            "namespaces": None,
        }

    def test_month_with_data_lists_namespaces_and_new_clients(self):
        """
        January's month entry repeats the namespace shape.
        """
        response = vault(report(world()))
        january = response["months"][0]

        assert january["counts"]["clients"] == 5
        assert len(january["namespaces"]) == 4
        assert january["new_clients"]["counts"]["clients"] == 5
        assert len(january["new_clients"]["namespaces"]) == 4


class TestEstimates:
    """
    Months past exact_limit hold sketches; their counts are estimates.
    """

    def log(self) -> ActivityLog:
        """
        January exact (30), February sketched (80: 20 old), March exact (10).
        """
        log = ActivityLog(exact_limit=50, lg_k=12)
        for index in range(30):
            log.record(client(f"c{index}"), at(2024, 1))
        for index in range(10, 90):
            log.record(client(f"c{index}", "nsA"), at(2024, 2))
        for index in range(85, 95):
            log.record(client(f"c{index}"), at(2024, 3))
        return log

    @staticmethod
    def covers(count: Count, truth: int) -> bool:
        return count.lower_bound <= truth <= count.upper_bound

    def test_a_sketched_months_counts_are_estimates_with_bounds(self):
        """
        February's 80 clients lie within the estimate's bounds.
        """
        result = report(self.log())
        february = result.months[1]

        assert not february.counts.is_exact
        assert self.covers(february.counts.clients, 80)
        assert result.months[0].counts == ClientCounts.from_types(
            {ClientType.ENTITY: exact(30)}
        )

    def test_new_clients_after_a_sketched_month_are_estimates(self):
        """
        60 new in February and 5 new in March, both estimated.
        """
        months = report(self.log()).months

        assert months[0].new_clients.counts.is_exact
        assert self.covers(months[1].new_clients.counts.clients, 60)
        assert self.covers(months[2].new_clients.counts.clients, 5)
        assert not months[2].new_clients.counts.is_exact

    def test_distinct_and_total_are_estimates_that_cover_the_truth(self):
        """
        95 distinct clients; root holds 40, nsA 80, so the total is 120.
        """
        result = report(self.log())

        assert not result.is_exact
        assert self.covers(result.distinct.clients, 95)
        assert self.covers(result.total.clients, 120)
        assert {
            ns.namespace_id: self.covers(ns.counts.clients, truth)
            for ns, truth in zip(result.by_namespace, (80, 40), strict=True)
        } == {"nsA": True, "root": True}

    def test_a_range_without_sketched_months_stays_exact(self):
        """
        March alone is exact although February fell back.
        """
        result = self.log().report(dt.date(2024, 3, 1), dt.date(2024, 3, 1))

        assert result.is_exact
        assert result.distinct.clients == exact(10)

    def test_clients_recorded_after_the_fallback_are_counted(self):
        """
        Nothing is dropped past the limit: February keeps counting.
        """
        log = self.log()
        for index in range(1000, 1100):
            log.record(client(f"c{index}", "nsA"), at(2024, 2))

        february = report(log).months[1]

        assert self.covers(february.counts.clients, 180)

    def test_a_sketched_month_absorbs_repeats(self):
        """
        Recording February's clients again does not change its count.
        """
        log = self.log()
        before = report(log).months[1].counts
        for index in range(10, 90):
            log.record(client(f"c{index}", "nsA"), at(2024, 2, 9))

        assert report(log).months[1].counts == before

    def test_the_bounds_widen_with_more_standard_deviations(self):
        """
        std_devs=3 bounds contain the std_devs=1 bounds.
        """
        narrow = report(self.log(), std_devs=1).distinct.clients
        wide = report(self.log(), std_devs=3).distinct.clients

        assert (narrow.std_devs, wide.std_devs) == (1, 3)
        assert wide.lower_bound <= narrow.lower_bound
        assert narrow.upper_bound <= wide.upper_bound
