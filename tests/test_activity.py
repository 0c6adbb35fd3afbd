"""
Tests for ActivityLog: recording, attribution, retention, knowledge, limits.
"""

from __future__ import annotations

import datetime as dt
import pickle

import attrs
import pytest

from clientid import (
    ActivityLog,
    AuthMount,
    Client,
    ClientEvent,
    ClientId,
    ClientIdError,
    ClientType,
    MountAccessor,
    Namespace,
    NamespaceId,
    SecretSyncAssociation,
    client_for_secret_sync,
)
from clientid.errors import InvalidModelError, SketchedMonthError

UTC = dt.UTC


def client(
    client_id: str,
    namespace: str = "root",
    mount: str | None = "auth_userpass_1",
    client_type: ClientType = ClientType.ENTITY,
) -> Client:
    return Client(
        id=ClientId(client_id),
        type=client_type,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
    )


def at(year: int, month: int, day: int = 1, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


def only_month(log: ActivityLog, year: int, month: int):
    report = log.report(dt.date(year, month, 1), dt.date(year, month, 1))
    (activity,) = report.months
    return activity


def mount_paths(log: ActivityLog, year: int, month: int) -> list[str]:
    activity = only_month(log, year, month)
    return [
        mount.mount_path for ns in activity.namespaces for mount in ns.mounts
    ]


class TestRecord:
    def test_repeated_records_of_a_client_count_once_a_month(self):
        """
        A client used many times in one month is one client of that month.
        """
        log = ActivityLog()
        for day in range(1, 20):
            log.record(client("e1"), at(2024, 5, day))

        activity = only_month(log, 2024, 5)

        assert activity.counts.clients.value == 1
        log._check()

    def test_first_record_of_the_month_wins_the_attribution(self):
        """
        A later use from another namespace does not move the client.
        """
        log = ActivityLog()
        log.record(client("e1", "root"), at(2024, 5, 2))
        log.record(client("e1", "ns1"), at(2024, 5, 3))

        activity = only_month(log, 2024, 5)

        assert [ns.namespace_id for ns in activity.namespaces] == ["root"]

    def test_an_earlier_record_recorded_late_wins_the_attribution(self):
        """
        Out-of-order input: the earliest use in the month decides.
        """
        log = ActivityLog(
            mounts=[
                AuthMount(
                    accessor=MountAccessor("a1"),
                    type="userpass",
                    path="auth/up/",
                ),
                AuthMount(
                    accessor=MountAccessor("a2"),
                    type="approle",
                    path="auth/ar/",
                ),
            ]
        )
        log.record(client("e1", mount="a1"), at(2024, 5, 9))
        log.record(client("e1", mount="a2"), at(2024, 5, 3))

        paths = mount_paths(log, 2024, 5)

        assert paths == ["auth/ar/"]
        log._check()

    def test_records_at_the_same_instant_keep_the_first_recorded(self):
        """
        Among records with equal times, the first recorded wins.
        """
        log = ActivityLog()
        log.record(client("e1", mount="a1"), at(2024, 5, 9))
        log.record(client("e1", mount="a2"), at(2024, 5, 9))

        paths = mount_paths(log, 2024, 5)

        assert paths == ['deleted mount; accessor "a1"']

    def test_a_client_moving_back_and_forth_is_counted_once(self):
        """
        Re-attribution across groups leaves one entry per client.
        """
        log = ActivityLog()
        log.record(client("e1", mount="a1"), at(2024, 5, 9))
        log.record(client("e1", mount="a2"), at(2024, 5, 8))
        log.record(client("e1", mount="a1"), at(2024, 5, 7))
        log.record(client("e2", mount="a2"), at(2024, 5, 7))

        activity = only_month(log, 2024, 5)

        assert activity.counts.clients.value == 2
        assert [
            m.counts.clients.value for m in activity.namespaces[0].mounts
        ] == [1, 1]
        log._check()

    def test_the_month_is_the_utc_month_of_the_use(self):
        """
        23:30 on April 30 at UTC-2 is May 1 in UTC, so it counts in May.
        """
        minus_two = dt.timezone(dt.timedelta(hours=-2))
        log = ActivityLog()
        log.record(
            client("e1"), dt.datetime(2024, 4, 30, 23, 30, tzinfo=minus_two)
        )

        assert (at(2024, 5),) == log.months

    def test_token_creation_time_defaults_to_the_time_of_use(self):
        """
        Without a creation time, the export carries the first use time.
        """
        log = ActivityLog()
        log.record(client("e1"), at(2024, 5, 3, 4))

        (record,) = log.export(dt.date(2024, 5, 1), dt.date(2024, 5, 1))

        assert at(2024, 5, 3, 4) == record.token_creation_time

    def test_token_creation_time_may_predate_the_month(self):
        """
        Vault's record timestamp is the token creation time, not the use.
        """
        log = ActivityLog()
        log.record(
            client("e1"), at(2024, 5, 3), token_creation_time=at(2023, 1, 1)
        )

        (record,) = log.export(dt.date(2024, 5, 1), dt.date(2024, 5, 1))

        assert at(2023, 1, 1) == record.token_creation_time
        assert at(2024, 5, 3) == record.client_first_used_time

    def test_record_event_records_an_ingested_event(self):
        """
        A ClientEvent from an ingest adapter is recorded with its times.
        """
        log = ActivityLog()
        log.record_event(
            ClientEvent(
                client=client("e1"),
                at=at(2024, 5, 3),
                token_creation_time=at(2024, 4, 1),
            )
        )

        (record,) = log.export(dt.date(2024, 5, 1), dt.date(2024, 5, 1))

        assert at(2024, 4, 1) == record.token_creation_time

    @pytest.mark.parametrize(
        ("field", "kwargs"),
        [
            ("at", {"at": dt.datetime(2024, 5, 1)}),  # noqa: DTZ001 (naive)
            ("at", {"at": dt.date(2024, 5, 1)}),  # a date is not an instant
            ("at", {"at": "2024-05-01T00:00:00Z"}),  # strings are not parsed
            (
                "token_creation_time",
                {
                    "at": at(2024, 5, 1),
                    "token_creation_time": dt.datetime(2024, 5, 1),  # noqa: DTZ001
                },
            ),
        ],
    )
    def test_record_rejects_times_that_are_not_aware_datetimes(
        self, field, kwargs
    ):
        """
        Naive datetimes, dates and strings raise naming the parameter.
        """
        log = ActivityLog()

        with pytest.raises(InvalidModelError) as info:
            log.record(client("e1"), **kwargs)

        assert field == info.value.field
        assert "datetime" in str(info.value)
        assert not log.months


class TestSecretSync:
    def association(self, **changes) -> SecretSyncAssociation:
        base = SecretSyncAssociation(
            namespace_id=NamespaceId("root"),
            mount_accessor=MountAccessor("kv_1"),
            mount_path="kv1/",
            secret_path="app/db",  # noqa: S106 (a path, not a secret)
            destination="aws-sm/prod",
            created_at=at(2024, 1, 10),
            deleted_at=at(2024, 9, 5),
        )
        return attrs.evolve(base, **changes)

    def test_an_association_is_a_client_in_every_month_it_is_active(self):
        """
        Created in January, deleted in September: active January-September.
        """
        log = ActivityLog()
        log.record_secret_sync(self.association())

        report = log.report(dt.date(2024, 1, 1), dt.date(2024, 12, 1))

        assert [m.counts.secret_syncs.value for m in report.months] == [
            1
        ] * 9 + [0] * 3
        assert report.distinct.secret_syncs.value == 1

    def test_until_ends_an_association_that_is_still_active(self):
        """
        Without deleted_at, the activity runs through the month of until.
        """
        log = ActivityLog()
        log.record_secret_sync(
            self.association(deleted_at=None), until=at(2024, 3, 2)
        )

        assert (at(2024, 1), at(2024, 2), at(2024, 3)) == log.months

    def test_until_cuts_an_association_deleted_later(self):
        """
        When both are set, the earlier of until and deleted_at ends it.
        """
        log = ActivityLog()
        log.record_secret_sync(self.association(), until=at(2024, 2, 2))

        assert (at(2024, 1), at(2024, 2)) == log.months

    def test_two_destinations_of_one_secret_are_one_client(self):
        """
        The same secret synced to two destinations counts once.
        """
        log = ActivityLog()
        log.record_secret_sync(self.association())
        log.record_secret_sync(self.association(destination="gh/repo"))

        activity = only_month(log, 2024, 3)

        assert activity.counts.secret_syncs.value == 1

    def test_the_client_is_attributed_to_the_kv_mount(self):
        """
        The synced secret's client carries the KV mount's accessor.
        """
        association = self.association()
        log = ActivityLog()
        log.record_secret_sync(association)

        (record,) = log.export(dt.date(2024, 1, 1), dt.date(2024, 1, 1))

        assert client_for_secret_sync(association).id == record.client_id
        assert record.mount_accessor == "kv_1"
        assert association.created_at == record.token_creation_time

    @pytest.mark.parametrize(
        ("changes", "until", "rule"),
        [
            ({"deleted_at": None}, None, "must be given"),
            ({}, at(2023, 12, 31), "must not be before"),
            ({}, dt.datetime(2024, 5, 1), "timezone-aware"),  # noqa: DTZ001
        ],
    )
    def test_bad_until_raises_naming_until(self, changes, until, rule):
        """
        A missing, early or naive until raises InvalidModelError for until.
        """
        log = ActivityLog()

        with pytest.raises(InvalidModelError) as info:
            log.record_secret_sync(self.association(**changes), until=until)

        assert info.value.field == "until"
        assert rule in str(info.value)
        assert not log.months


class TestRetention:
    def test_months_before_the_retention_window_are_dropped(self):
        """
        With 2 months of retention, a record in May drops February.
        """
        log = ActivityLog(retention_months=2)
        for month in (2, 3, 4, 5):
            log.record(client(f"e{month}"), at(2024, month))

        assert (at(2024, 3), at(2024, 4), at(2024, 5)) == log.months
        log._check()

    def test_the_default_keeps_48_months_before_the_newest(self):
        """
        Vault's 48-month default: May 2021 stays, April 2021 goes.
        """
        # A four-year jump is past the default future tolerance.
        log = ActivityLog(future_tolerance_months=None)
        log.record(client("old"), at(2021, 4))
        log.record(client("kept"), at(2021, 5))
        log.record(client("new"), at(2025, 5))

        assert (at(2021, 5), at(2025, 5)) == log.months

    def test_records_older_than_the_window_are_discarded_and_counted(self):
        """
        A record for a dropped month is not counted but is tallied.
        """
        log = ActivityLog(retention_months=1)
        log.record(client("e1"), at(2024, 5))
        log.record(client("e2"), at(2024, 1))

        assert (at(2024, 5),) == log.months
        assert log.discarded_records == 1

    def test_no_retention_keeps_every_month(self):
        """
        retention_months=None never drops a month.
        """
        log = ActivityLog(retention_months=None, future_tolerance_months=None)
        log.record(client("e1"), at(1990, 1))
        log.record(client("e2"), at(2024, 1))

        assert len(log.months) == 2
        assert log.discarded_records == 0


class TestArguments:
    @pytest.mark.parametrize("field", ["retention_months", "exact_limit"])
    @pytest.mark.parametrize(
        "value",
        [
            0,
            -3,
            True,  # a bool is not a number of months
            1.5,
            "12",
        ],
    )
    def test_limits_must_be_positive_integers(self, field, value):
        """
        Zero, negatives, bools, floats and strings raise naming the field.
        """
        with pytest.raises(InvalidModelError) as info:
            ActivityLog(**{field: value})

        assert field == info.value.field
        assert value is info.value.value
        assert "positive integer" in str(info.value)

    @pytest.mark.parametrize("lg_k", [3, 22])
    def test_sketch_precision_out_of_range_raises(self, lg_k):
        """
        lg_k is checked by the sketch itself, at construction.
        """
        with pytest.raises(ClientIdError, match="lg_k"):
            ActivityLog(lg_k=lg_k)


class TestKnowledge:
    def test_known_namespaces_and_mounts_label_the_report(self):
        """
        Paths come from the namespaces and mounts the log knows.
        """
        log = ActivityLog(
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="team-a/",
                    parent_id=NamespaceId("root"),
                )
            ],
            mounts=[
                AuthMount(
                    accessor=MountAccessor("a1"),
                    type="userpass",
                    path="auth/up/",
                    namespace_id=NamespaceId("ns1"),
                )
            ],
        )
        log.record(client("e1", "ns1", "a1"), at(2024, 5))

        (ns,) = only_month(log, 2024, 5).namespaces

        assert ns.namespace_path == "team-a/"
        assert (
            ns.mounts[0].mount_path,
            ns.mounts[0].mount_type,
        ) == ("auth/up/", "userpass")

    def test_removing_a_namespace_labels_its_clients_as_deleted(self):
        """
        A forgotten namespace is reported with Vault's deleted label.
        """
        log = ActivityLog(
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="a/",
                    parent_id=NamespaceId("root"),
                )
            ]
        )
        log.record(client("e1", "ns1"), at(2024, 5))
        log.remove_namespace(NamespaceId("ns1"))

        (ns,) = only_month(log, 2024, 5).namespaces

        assert ns.namespace_path == 'deleted namespace "ns1"'

    def test_removing_a_mount_labels_its_clients_as_deleted(self):
        """
        A forgotten mount is reported with Vault's deleted-mount label.
        """
        log = ActivityLog(
            mounts=[
                AuthMount(
                    accessor=MountAccessor("a1"),
                    type="userpass",
                    path="auth/up/",
                )
            ]
        )
        log.record(client("e1", mount="a1"), at(2024, 5))
        log.remove_mount(MountAccessor("a1"))

        assert mount_paths(log, 2024, 5) == ['deleted mount; accessor "a1"']

    @pytest.mark.parametrize(
        ("method", "field", "value", "rule"),
        [
            ("remove_namespace", "namespace_id", "root", "root"),
            ("remove_namespace", "namespace_id", "nope", "known namespace"),
            ("remove_mount", "mount_accessor", "nope", "known mount"),
        ],
    )
    def test_removing_what_cannot_be_removed_raises(
        self, method, field, value, rule
    ):
        """
        Root and unknown IDs cannot be removed; the error names them.
        """
        log = ActivityLog()

        with pytest.raises(InvalidModelError) as info:
            getattr(log, method)(value)

        assert (field, value) == (info.value.field, info.value.value)
        assert rule in str(info.value)

    def test_repr_summarises_the_log(self):
        """
        The repr names the number of months, namespaces and mounts.
        """
        log = ActivityLog()
        log.record(client("e1"), at(2024, 5))

        assert repr(log) == "<ActivityLog months=1 namespaces=1 mounts=0>"


class TestExactLimit:
    def full_log(self) -> ActivityLog:
        log = ActivityLog(exact_limit=3)
        for index in range(5):
            log.record(client(f"e{index}"), at(2024, 5, index + 1))
        log.record(client("e0"), at(2024, 4))
        return log

    def test_a_month_past_the_limit_falls_back_to_sketches(self):
        """
        The fourth distinct client of a month turns it into sketches.
        """
        log = self.full_log()

        assert not log.is_exact_month(dt.date(2024, 5, 1))
        assert log.is_exact_month(dt.date(2024, 4, 1))
        assert log.is_exact_month(dt.date(2024, 6, 1))  # no records
        log._check()

    def test_counts_touching_a_sketched_month_are_flagged_estimates(self):
        """
        Reports over a sketched month say they are estimates, with bounds.
        """
        report = self.full_log().report(
            dt.date(2024, 4, 1), dt.date(2024, 5, 1)
        )
        may = report.months[1].counts.clients

        assert not report.is_exact
        assert not may.is_exact
        assert may.lower_bound <= 5 <= may.upper_bound
        assert may.std_devs == 2
        assert report.months[0].counts.is_exact

    def test_exporting_a_sketched_month_raises(self):
        """
        A sketched month has no records left to export.
        """
        log = self.full_log()

        with pytest.raises(SketchedMonthError) as info:
            log.export(dt.date(2024, 5, 1), dt.date(2024, 5, 1))

        assert at(2024, 5) == info.value.month
        assert "exact_limit" in str(info.value)

    def test_sketched_month_error_pickles(self):
        """
        The error round-trips through pickle with its month.
        """
        error = SketchedMonthError(at(2024, 5))

        copy = pickle.loads(pickle.dumps(error))

        assert at(2024, 5) == copy.month


class TestLabels:
    @pytest.mark.parametrize(
        ("namespace_id", "label"),
        [
            ("aBc12", 'deleted namespace "aBc12"'),
            ('a"b', 'deleted namespace "a\\"b"'),
            ("a\\b", 'deleted namespace "a\\\\b"'),
            ("a\nb\tc", 'deleted namespace "a\\nb\\tc"'),
            ("a\x01b", 'deleted namespace "a\\x01b"'),  # Go's \x escape
            ("a\x85b", 'deleted namespace "a\\u0085b"'),  # non-printable
            ("a\U000e0001b", 'deleted namespace "a\\U000e0001b"'),
            ("zoë", 'deleted namespace "zoë"'),  # printable stays as is
        ],
    )
    def test_deleted_namespaces_are_quoted_as_go_quotes(
        self, namespace_id, label
    ):
        """
        The ID inside a deleted label is quoted as Go's %q quotes it.
        """
        log = ActivityLog()
        log.record(client("e1", namespace_id), at(2024, 5))

        (ns,) = only_month(log, 2024, 5).namespaces

        assert ns.namespace_path == label


class TestInternals:
    def test_an_earlier_record_in_the_same_group_updates_the_times(self):
        """
        Re-attribution within one group keeps the group, moves the times.
        """
        log = ActivityLog()
        log.record(client("e1"), at(2024, 5, 9))
        log.record(
            client("e1"), at(2024, 5, 2), token_creation_time=at(2024, 4)
        )

        (record,) = log.export(dt.date(2024, 5, 1), dt.date(2024, 5, 1))

        assert record.client_first_used_time == at(2024, 5, 2)
        assert record.token_creation_time == at(2024, 4)
        log._check()

    def test_a_group_emptied_by_re_attribution_is_not_sketched(self):
        """
        Falling back skips groups that lost their only client.
        """
        log = ActivityLog(exact_limit=2)
        log.record(client("e1", mount="a1"), at(2024, 5, 9))
        log.record(client("e1", mount="a2"), at(2024, 5, 2))
        log.record(client("e2", mount="a2"), at(2024, 5, 3))
        log.record(client("e3", mount="a2"), at(2024, 5, 3))

        paths = mount_paths(log, 2024, 5)

        assert paths == ['deleted mount; accessor "a2"']
        log._check()

    def test_a_sketched_month_takes_clients_of_new_groups(self):
        """
        After the fallback, a client of a new namespace gets its own sketch.
        """
        log = ActivityLog(exact_limit=1)
        log.record(client("e1"), at(2024, 5))
        log.record(client("e2"), at(2024, 5))
        log.record(client("e3", "ns9"), at(2024, 5))

        activity = only_month(log, 2024, 5)

        assert sorted(ns.namespace_id for ns in activity.namespaces) == [
            "ns9",
            "root",
        ]

    def test_two_sketched_months_merge_into_one_estimate(self):
        """
        A range over two sketched months unions their sketches.
        """
        log = ActivityLog(exact_limit=1)
        for month in (5, 6):
            for index in range(3):
                log.record(client(f"e{index}"), at(2024, month))

        result = log.report(dt.date(2024, 5, 1), dt.date(2024, 6, 1))

        assert result.distinct.clients.lower_bound <= 3
        assert result.distinct.clients.upper_bound >= 3
        assert result.months[1].new_clients.counts.clients.lower_bound == 0

    def test_a_scope_that_sees_nothing_of_a_sketched_month_counts_zero(self):
        """
        Scoped to a namespace without records, an estimate range is empty.
        """
        log = ActivityLog(
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="a/",
                    parent_id=NamespaceId("root"),
                )
            ],
            exact_limit=1,
        )
        log.record(client("e1"), at(2024, 5))
        log.record(client("e2"), at(2024, 5))

        result = log.report(
            dt.date(2024, 5, 1),
            dt.date(2024, 5, 1),
            namespace_id=NamespaceId("ns1"),
        )

        assert result.distinct.clients.value == 0
        assert result.by_namespace == ()

    def test_check_detects_a_broken_invariant(self):
        """
        _check raises AssertionError when the month's arrays disagree.
        """
        log = ActivityLog()
        log.record(client("e1"), at(2024, 5))
        log._months[2024 * 12 + 4].created.pop()

        with pytest.raises(AssertionError):
            log._check()

    def test_non_utc_bounds_are_read_in_utc(self):
        """
        A report bound at UTC+2 on the 1st, 01:00, lies in the previous month.
        """
        plus_two = dt.timezone(dt.timedelta(hours=2))
        log = ActivityLog()
        log.record(client("e1"), at(2024, 4, 30))

        result = log.report(
            dt.datetime(2024, 5, 1, 1, tzinfo=plus_two),
            dt.datetime(2024, 5, 1, 1, tzinfo=plus_two),
        )

        assert result.start_time == at(2024, 4)
        assert result.distinct.clients.value == 1
