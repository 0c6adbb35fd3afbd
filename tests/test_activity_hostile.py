"""
Tests for the activity log under hostile or unlucky input.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import attrs
import pytest

from clientid import (
    ActivityLog,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    NamespaceId,
)
from clientid.errors import InvalidModelError

LONE_SURROGATE = "\ud800"


def utc(year: int, month: int, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


def client(client_id: str, namespace: str = "root") -> Client:
    return Client(
        id=ClientId(client_id),
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(namespace),
    )


def unchecked_client(client_id: str) -> Client:
    """A Client built with attrs' validators switched off."""
    with attrs.validators.disabled():
        return Client(id=ClientId(client_id), type=ClientType.ENTITY)


def _h(value: object) -> Any:
    """Pass a deliberately mistyped value past the type checker."""
    return value


class TestUnencodableIds:
    """
    A client ID no sketch can hash is refused before anything is stored.
    """

    def test_exact_month_refuses_a_lone_surrogate_and_stores_nothing(self):
        """
        The bad record raises; the month neither holds it nor exists.
        """
        log = ActivityLog(exact_limit=2)

        with pytest.raises(InvalidModelError) as info:
            log.record(unchecked_client("a" + LONE_SURROGATE), utc(2025, 1))

        assert info.value.field == "client.id"
        assert (
            log.report(utc(2025, 1), utc(2025, 1)).distinct.clients.value == 0
        )

    def test_month_switches_to_sketches_after_a_refused_id(self):
        """
        Valid clients after the refused one still move the month to sketches.
        """
        log = ActivityLog(exact_limit=2)
        log.record(client("a"), utc(2025, 1))
        with pytest.raises(InvalidModelError):
            log.record(unchecked_client(LONE_SURROGATE), utc(2025, 1))
        for name in ("b", "c"):
            log.record(client(name), utc(2025, 1))

        report = log.report(utc(2025, 1), utc(2025, 1))

        assert not log.is_exact_month(utc(2025, 1))
        assert report.total.clients.value == 3
        log._check()

    def test_sketched_month_refuses_a_lone_surrogate(self):
        """
        A sketched month refuses the ID too, and keeps its count.
        """
        log = ActivityLog(exact_limit=1)
        log.record(client("a"), utc(2025, 1))
        log.record(client("b"), utc(2025, 1))

        with pytest.raises(InvalidModelError):
            log.record(unchecked_client(LONE_SURROGATE), utc(2025, 1))

        assert log.report(utc(2025, 1), utc(2025, 1)).total.clients.value == 2

    def test_non_ascii_valid_ids_are_stored(self):
        """
        Non-ASCII IDs that encode as UTF-8 are ordinary IDs.
        """
        log = ActivityLog(exact_limit=1)
        log.record(client("é"), utc(2025, 1))
        log.record(client("ü"), utc(2025, 1))

        assert log.report(utc(2025, 1), utc(2025, 1)).total.clients.value == 2


class TestClockSkew:
    """
    One far-future record cannot expire the real months.
    """

    def test_far_future_record_is_refused_and_counted(self):
        """
        A record from 2999 is not stored and leaves retention alone.
        """
        log = ActivityLog(retention_months=48)
        log.record(client("a"), utc(2025, 1))

        log.record(client("skewed"), utc(2999, 1))
        log.record(client("b"), utc(2025, 2))

        assert log.future_records == 1
        assert log.discarded_records == 0
        assert log.months == (utc(2025, 1), utc(2025, 2))
        report = log.report(utc(2025, 1), utc(2025, 2))
        assert report.distinct.clients.value == 2

    def test_a_gap_within_the_tolerance_is_accepted(self):
        """
        A replay that resumes a year later still stores its records.
        """
        log = ActivityLog()
        log.record(client("a"), utc(2025, 1))

        log.record(client("b"), utc(2026, 1))

        assert (log.future_records, log.months) == (
            0,
            (utc(2025, 1), utc(2026, 1)),
        )

    def test_accepted_records_move_the_reference_forward(self):
        """
        Month by month, a log can advance without any record refused.
        """
        log = ActivityLog(future_tolerance_months=1)
        for month in range(1, 13):
            log.record(client("a"), utc(2025, month))

        assert (log.future_records, len(log.months)) == (0, 12)

    def test_now_guards_the_very_first_record(self):
        """
        With now given, even the first record is checked against it.
        """
        log = ActivityLog(now=utc(2025, 6))

        log.record(client("skewed"), utc(2999, 1))
        log.record(client("a"), utc(2025, 6))

        assert (log.future_records, log.months) == (1, (utc(2025, 6),))

    def test_no_tolerance_accepts_every_month(self):
        """
        future_tolerance_months=None keeps the old, trusting behaviour.
        """
        log = ActivityLog(future_tolerance_months=None, retention_months=1)
        log.record(client("a"), utc(2025, 1))
        log.record(client("b"), utc(2999, 1))

        assert (log.future_records, log.months) == (0, (utc(2999, 1),))

    def test_sketches_from_the_far_future_are_refused(self):
        """
        record_sketch() follows the same rule as record().
        """
        log = ActivityLog()
        log.record(client("a"), utc(2025, 1))
        sketch = HyperLogLog(12)
        sketch.add("x")

        log.record_sketch(
            utc(2999, 1),
            namespace_id=NamespaceId("root"),
            mount_accessor=None,
            client_type=ClientType.ENTITY,
            sketch=sketch,
        )

        assert (log.future_records, log.months) == (1, (utc(2025, 1),))

    @pytest.mark.parametrize("value", [-1, 1.5, True, "12"], ids=repr)
    def test_tolerance_must_be_a_non_negative_int(self, value):
        """
        A bad tolerance is a named error.
        """
        with pytest.raises(InvalidModelError) as info:
            ActivityLog(future_tolerance_months=_h(value))

        assert info.value.field == "future_tolerance_months"

    def test_now_must_be_aware(self):
        """
        now is an instant like every clientid time.
        """
        with pytest.raises(InvalidModelError) as info:
            ActivityLog(now=_h(dt.date(2025, 1, 1)))

        assert info.value.field == "now"


class TestCalendarEnds:
    """
    The first and last months a datetime can hold are ordinary months.
    """

    def test_report_over_december_9999(self):
        """
        A report ending in year 9999 ends at its last second.
        """
        log = ActivityLog(future_tolerance_months=None)
        log.record(client("a"), dt.datetime(9999, 12, 5, tzinfo=dt.UTC))

        report = log.report(dt.date(9999, 12, 1), dt.date(9999, 12, 1))

        assert report.total.clients.value == 1
        assert report.end_time == dt.datetime(
            9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC
        )
        response: Any = report.to_vault_response()
        assert response["total"]["clients"] == 1

    @pytest.mark.parametrize("field", ["at", "token_creation_time"], ids=str)
    def test_instant_before_year_one_in_utc_is_a_named_error(self, field):
        """
        0001-01-01 at +05:00 has no UTC datetime: refused by name.
        """
        early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))
        times = {"at": utc(2025, 1), "token_creation_time": None} | {
            field: early
        }
        log = ActivityLog()

        with pytest.raises(InvalidModelError) as info:
            log.record(client("a"), **times)

        assert info.value.field == field
        assert log.months == ()


def _shared_clients_log(order: list[tuple[int, str]]) -> ActivityLog:
    log = ActivityLog(exact_limit=100)
    for number, namespace in order:
        log.record(client(f"c-{number:05d}", namespace), utc(2025, 1, 5))
    return log


SHARED_RECORDS = [(n, "root") for n in range(1000)] + [
    (n, "ns2") for n in range(0, 1000, 4)
]


class TestOneAttributionPerSketchedMonth:
    """
    Past its exact limit, a month still attributes each client once.
    """

    def test_client_in_two_namespaces_counts_once_in_the_total(self):
        """
        A quarter of the clients also seen in ns2 add nothing to the total.
        """
        log = _shared_clients_log(SHARED_RECORDS)

        total = log.report(utc(2025, 1), utc(2025, 1)).total.clients

        assert not log.is_exact_month(utc(2025, 1))
        assert total.lower_bound <= 1000 <= total.upper_bound
        assert total.value == 1000
        log._check()

    def test_first_recorded_namespace_wins_in_a_sketched_month(self):
        """
        Clients first recorded in ns2 count there, and not in root.
        """
        reordered = [r for r in SHARED_RECORDS if r[1] == "ns2"] + [
            r for r in SHARED_RECORDS if r[1] == "root"
        ]
        log = _shared_clients_log(reordered)

        report = log.report(utc(2025, 1), utc(2025, 1))

        counts = {
            ns.namespace_id: ns.counts.clients.value
            for ns in report.by_namespace
        }
        assert counts == {"root": 750, "ns2": 250}
        assert report.total.clients.value == 1000

    def test_total_does_not_depend_on_record_order(self):
        """
        Shuffled records give the same total and distinct counts.
        """
        shuffled = list(SHARED_RECORDS)
        random.Random(10).shuffle(shuffled)  # noqa: S311 (a fixed seed)

        first = _shared_clients_log(SHARED_RECORDS).report(
            utc(2025, 1), utc(2025, 1)
        )
        second = _shared_clients_log(shuffled).report(
            utc(2025, 1), utc(2025, 1)
        )

        assert first.total.clients.value == second.total.clients.value
        assert first.distinct == second.distinct
