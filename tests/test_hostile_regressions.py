"""
Hostile inputs that must end in a named error or a counted skip, and lose
nothing around them.

Each test feeds real entries of the bundled sample audit log (the seeds of
the fuzz layer), with one field made hostile, and checks the three things a
caller relies on: strict mode raises clientid's own error naming the field;
the reader is unchanged by it, so the untouched entry fed next still counts;
lenient mode skips and counts the entry, and every other event is the one a
clean run gives.  Tests marked ``xfail(strict=True)`` pin what the audit
reader or the activity log still get wrong: each fails loudly once fixed.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import pytest
from tests.fuzz.strategies import AUDIT_ENTRIES

from clientid import (
    ActivityLog,
    AuditLogReader,
    Client,
    ClientEvent,
    ClientId,
    ClientType,
    NamespaceId,
    SkipReason,
)
from clientid.errors import ClientIdError, MalformedRecordError

#: The first counted request of the sample log that is not a health check.
COUNTED = next(
    index
    for index, entry in enumerate(AUDIT_ENTRIES)
    if entry["type"] == "request"
    and entry["request"].get("client_id")
    and entry["request"].get("path") != "sys/health"
)


def hostile(path: tuple[str, ...], value: object) -> Any:
    """The counted entry with the field at *path* set to *value*."""
    entry: Any = copy.deepcopy(AUDIT_ENTRIES[COUNTED])
    node = entry
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return entry


def clean_events() -> list[ClientEvent | None]:
    """What a strict reader gives for each sample entry."""
    reader = AuditLogReader()
    return [reader.feed(entry) for entry in AUDIT_ENTRIES]


def lenient_run_with(bad: Any, at: int) -> tuple[AuditLogReader, list[Any]]:
    """A lenient run of the sample with *bad* fed just before entry *at*."""
    reader = AuditLogReader(lenient=True)
    events: list[Any] = []
    for index, entry in enumerate(AUDIT_ENTRIES):
        if index == at:
            assert reader.feed(bad) is None
        events.append(reader.feed(entry))
    return reader, events


CLIENT_ID = ("request", "client_id")
NAMESPACE_ID = ("request", "namespace", "id")
#: Unicode digits that str.isdigit and re's \d take, but no RFC 3339 has.
NON_ASCII_TIMES = [
    "\u0662\u0660\u0662\u0665-01-01T00:00:00Z",
    "2025-01-01T00:00:00.\u0661Z",
    "\uff12\uff10\uff12\uff15-01-01T00:00:00Z",
    "1736899200",
    "\u0661\u0667\u0663\u0666\u0668\u0669\u0669\u0662\u0660\u0660",
]


class TestAuditClientIdSurrogate:
    """A lone surrogate in request.client_id."""

    def test_strict_names_the_field_and_the_retry_counts(self):
        """The bad copy raises; the untouched entry after it still counts."""
        reader = AuditLogReader()
        for entry in AUDIT_ENTRIES[:COUNTED]:
            reader.feed(entry)

        with pytest.raises(MalformedRecordError) as info:
            reader.feed(hostile(CLIENT_ID, "x\ud800"))

        assert (info.value.field, info.value.value) == (
            "request.client_id",
            "x\ud800",
        )
        assert reader.feed(AUDIT_ENTRIES[COUNTED]) == clean_events()[COUNTED]

    def test_lenient_skips_and_counts_it_and_loses_nothing(self):
        """Every other event is the clean run's; the bad one is counted."""
        reader, events = lenient_run_with(
            hostile(CLIENT_ID, "x\ud800"), COUNTED
        )

        assert events == clean_events()
        assert reader.rejected_count == 1
        assert reader.skipped[SkipReason.MALFORMED] == 1


class TestAuditNamespaceIdSurrogate:
    """A lone surrogate in request.namespace.id."""

    def test_strict_raises_a_malformed_record_error_naming_the_field(self):
        """The audit reader's error, with the entry's dotted path."""
        with pytest.raises(MalformedRecordError) as info:
            AuditLogReader().feed(hostile(NAMESPACE_ID, "\ud800"))

        assert info.value.field == "request.namespace.id"

    def test_strict_error_leaves_the_entry_to_a_retry(self):
        """After the error the untouched entry is not called a duplicate."""
        reader = AuditLogReader()
        with pytest.raises(ClientIdError):
            reader.feed(hostile(NAMESPACE_ID, "\ud800"))

        event = reader.feed(AUDIT_ENTRIES[COUNTED])

        assert event == AuditLogReader().feed(AUDIT_ENTRIES[COUNTED])
        assert event is not None

    def test_lenient_skips_and_counts_it_and_loses_nothing(self):
        """Every other event is the clean run's; the bad one is counted."""
        reader, events = lenient_run_with(
            hostile(NAMESPACE_ID, "\ud800"), COUNTED
        )

        assert events == clean_events()
        assert reader.rejected_count == 1

    def test_the_bad_id_is_not_learnt_for_the_namespace_path(self):
        """The namespace list (and describe()) stay those of a clean run."""
        reader = AuditLogReader()
        with pytest.raises(ClientIdError):
            reader.feed(hostile(NAMESPACE_ID, "\ud800"))
        clean = AuditLogReader()
        for entry in AUDIT_ENTRIES:
            reader.feed(entry)
            clean.feed(entry)

        assert reader.namespaces == clean.namespaces

    def test_strict_raises_even_when_the_namespace_is_known(self):
        """A field the reader reads is checked whatever it knows already."""
        reader = AuditLogReader()
        for entry in AUDIT_ENTRIES[:COUNTED]:
            reader.feed(entry)

        with pytest.raises(MalformedRecordError) as info:
            reader.feed(hostile(NAMESPACE_ID, "\ud800"))

        assert info.value.field == "request.namespace.id"


#: Text fields of request the audit reader reads, with no auth block
#: beside them (so no check against auth.entity_id routes the entry to the
#: slow, checking parser).
_FAST_PATH_FIELDS = [
    ("request", "id"),
    ("request", "client_id"),
    ("request", "namespace", "id"),
    ("request", "namespace", "path"),
    ("request", "path"),
    ("request", "mount_accessor"),
    ("request", "mount_point"),
    ("request", "mount_type"),
    ("request", "client_token"),
    ("request", "client_token_accessor"),
]


class TestAuditFastPathSurrogates:
    """A lone surrogate in any text field of an entry without auth."""

    @staticmethod
    def _entry(path: tuple[str, ...]) -> Any:
        entry: Any = copy.deepcopy(AUDIT_ENTRIES[COUNTED])
        del entry["auth"]
        node = entry
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = "ns/\ud800/" if path[-1] == "path" else "x\ud800"
        return entry

    @pytest.mark.parametrize("path", _FAST_PATH_FIELDS, ids=".".join)
    def test_strict_names_the_field(self, path):
        """The field's dotted path, as the checking parser names it."""
        with pytest.raises(MalformedRecordError) as info:
            AuditLogReader().feed(self._entry(path))

        assert info.value.field == ".".join(path)

    @pytest.mark.parametrize("path", _FAST_PATH_FIELDS, ids=".".join)
    def test_lenient_counts_a_skip(self, path):
        """Lenient mode returns nothing for it, and counts it as rejected."""
        reader = AuditLogReader(lenient=True)

        assert reader.feed(self._entry(path)) is None
        assert reader.rejected_count == 1


class TestAuditTimes:
    """Times in digits no audit device writes."""

    @pytest.mark.parametrize("text", NON_ASCII_TIMES)
    def test_strict_names_the_time_field(self, text):
        """Non-ASCII digits and bare Unix seconds are no RFC 3339 time."""
        with pytest.raises(MalformedRecordError) as info:
            AuditLogReader().feed(hostile(("time",), text))

        assert (info.value.field, info.value.value) == ("time", text)

    @pytest.mark.parametrize("text", NON_ASCII_TIMES)
    def test_lenient_skips_and_counts_it_and_loses_nothing(self, text):
        """Every other event is the clean run's."""
        reader, events = lenient_run_with(hostile(("time",), text), COUNTED)

        assert events == clean_events()
        assert reader.rejected_count == 1


def _client(number: int, namespace: str) -> Client:
    return Client(
        id=ClientId(f"c-{number:05d}"),
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(namespace),
    )


def _shared_records(clients: int) -> list[tuple[Client, dt.datetime]]:
    """Clients used in root on Jan 5; every fourth in ns2 a day earlier."""
    return [
        (_client(n, "root"), dt.datetime(2025, 1, 5, tzinfo=dt.UTC))
        for n in range(clients)
    ] + [
        (_client(n, "ns2"), dt.datetime(2025, 1, 4, tzinfo=dt.UTC))
        for n in range(0, clients, 4)
    ]


class TestSketchedMonthAttribution:
    """Which namespace a client counts in once its month holds sketches."""

    JAN = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    #: 1,000 clients used in root on the 5th; a quarter of them also used
    #: in ns2 a day earlier, so ns2 is each of those clients' first use.
    RECORDS = _shared_records(1000)

    def _by_namespace(
        self, records: list[tuple[Client, dt.datetime]]
    ) -> dict[str, int]:
        log = ActivityLog(exact_limit=100)
        for client, at in records:
            log.record(client, at)
        report = log.report(self.JAN, self.JAN)
        return {
            ns.namespace_id: ns.counts.clients.value
            for ns in report.by_namespace
        }

    def test_records_in_time_order_give_vaults_first_use(self):
        """Fed by time, each shared client counts where it was first used."""
        in_time_order = sorted(self.RECORDS, key=lambda record: record[1])

        assert self._by_namespace(in_time_order) == {
            "root": 750,
            "ns2": 250,
        }

    @pytest.mark.parametrize("seed", [3, 4, 5])
    def test_by_namespace_does_not_depend_on_record_order(self, seed):
        """Shuffled records split the month as time-ordered ones do."""
        shuffled = list(self.RECORDS)
        random.Random(seed).shuffle(shuffled)  # noqa: S311 (a fixed seed)

        assert self._by_namespace(shuffled) == {"root": 750, "ns2": 250}

    def test_past_the_coupon_limit_the_report_ignores_record_order(self):
        """20,000 clients, HLL mode: reversed records, the same report."""
        records = _shared_records(20_000)
        reports = []
        for ordered in (records, records[::-1]):
            log = ActivityLog(exact_limit=1000)
            for client, at in ordered:
                log.record(client, at)
            assert not log.is_exact_month(self.JAN)
            reports.append(log.report(self.JAN, self.JAN))

        assert reports[0] == reports[1]
        truths = {"root": 15_000, "ns2": 5_000}
        for ns in reports[0].by_namespace:
            count, truth = ns.counts.clients, truths.pop(ns.namespace_id)
            assert not count.is_exact
            assert count.lower_bound <= truth <= count.upper_bound
        assert not truths

    def test_the_latest_records_first_still_give_first_use(self):
        """Every root use recorded before the earlier ns2 uses."""
        assert self._by_namespace(self.RECORDS) == {"root": 750, "ns2": 250}
