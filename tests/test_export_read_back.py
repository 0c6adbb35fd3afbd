"""
Export files read back through ``ExportReader()``.

Every layout clientid's writers produce (``ExportFormat`` x JSON lines and
CSV) and Vault's own 1.11-1.17 golden files must come back as the events
they hold, through a default reader, or fail with a message that says what
to pass.  JSON is parsed line by line, CSV with ``csv.DictReader``, as a
consumer of a downloaded export would.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from clientid import (
    ActivityLog,
    Client,
    ClientEvent,
    ClientId,
    ClientType,
    ExportFormat,
    ExportReader,
    ExportRecord,
    MountAccessor,
    NamespaceId,
    export_csv,
    export_json_lines,
)
from clientid.errors import InvalidModelError, MalformedRecordError

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
CREATED = dt.datetime(2025, 1, 20, 9, 15, 27, tzinfo=UTC)
FIRST_USED = dt.datetime(2025, 3, 5, 8, 0, 13, tzinfo=UTC)
PERIOD = dt.datetime(2025, 3, 1, tzinfo=UTC)
NAMESPACES = ("root", "ns1", "ns2")
VAULT_EXPORTS = Path(__file__).parent / "acceptance" / "data" / "vault-export"

#: Layouts without a client_type slot: the 1.11 layout in both formats and
#: the five-column CSV of 1.14-1.17.
TYPELESS = {
    (ExportFormat.VAULT_1_11, "json"),
    (ExportFormat.VAULT_1_11, "csv"),
    (ExportFormat.VAULT_1_14, "csv"),
}
#: Layouts whose only time is the token creation time.
CREATION_TIME_ONLY = (
    ExportFormat.VAULT_1_11,
    ExportFormat.VAULT_1_14,
    ExportFormat.VAULT_1_18,
)


def parse_json_lines(text: str) -> list[dict[str, Any]]:
    """Parse JSON lines."""
    return [json.loads(line) for line in text.splitlines()]


def parse_csv(text: str) -> list[dict[str, str]]:
    """Parse CSV as an export consumer would."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


Write = Callable[..., str]
Parse = Callable[[str], list[dict[str, Any]]]
FORMATS: dict[str, tuple[Write, Parse]] = {
    "json": (export_json_lines, parse_json_lines),
    "csv": (export_csv, parse_csv),
}
LAYOUTS = [
    pytest.param(version, kind, id=f"{version.value}-{kind}")
    for version in ExportFormat
    for kind in FORMATS
]


def write_and_read(
    records: list[ExportRecord],
    version: ExportFormat,
    kind: str,
    reader: ExportReader | None = None,
) -> list[ClientEvent]:
    """Write *records* in one layout and read them back."""
    write, parse = FORMATS[kind]
    text = write(records, version=version)
    return list((reader or ExportReader()).read(parse(text)))


def export_record(**changes: Any) -> ExportRecord:
    """Return an export record with whole-second times, with overrides."""
    base = ExportRecord(
        client_id=ClientId("d60e0815-e6c5-4eb6-afac-16b3d92f8490"),
        client_type=ClientType.ENTITY,
        namespace_id=NamespaceId("Xq2bK"),
        namespace_path="team-a/",
        mount_accessor=MountAccessor("auth_userpass_e9f8fee8"),
        mount_path="auth/userpass/",
        mount_type="userpass",
        token_creation_time=CREATED,
        client_first_used_time=FIRST_USED,
    )
    return attrs.evolve(base, **changes)


def sample_records(*, typeless: bool) -> list[ExportRecord]:
    """
    One record of every client type a layout can carry, and awkward text.
    """
    records = [
        export_record(
            entity_name="alice",
            policies=("default", "kv-reader"),
            entity_metadata=(("team", "a,b"),),
        ),
        export_record(
            client_id=ClientId("dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8="),
            client_type=ClientType.NON_ENTITY_TOKEN,
            namespace_id=NamespaceId("root"),
            namespace_path="",
            mount_accessor=MountAccessor("auth_token_6b1d0c2a"),
            token_creation_time=dt.datetime(
                2024, 11, 18, 16, 19, 21, tzinfo=UTC
            ),
        ),
        export_record(
            client_id=ClientId(
                "pki-acme.29l3DoYDMZh2n2E3k01yuQsbHkhnpajb4AVN248SIZ4"
            ),
            client_type=ClientType.ACME,
            mount_accessor=MountAccessor("pki_3f0a9b1e"),
        ),
        # No mount recorded (an upgrade from before 1.10).
        export_record(client_id=ClientId("no-mount"), mount_accessor=None),
        # Text Go's CSV writer quotes and its JSON writer escapes.
        export_record(
            client_id=ClientId(' lead, "quoted"\r\nnext <&> \u2028é'),
            namespace_id=NamespaceId("ns,1"),
        ),
    ]
    if not typeless:
        records.append(
            export_record(
                client_id=ClientId("kv/secret-sync-1"),
                client_type=ClientType.SECRET_SYNC,
                mount_accessor=MountAccessor("kv_1a2b3c4d"),
            )
        )
    return records


def expected(
    records: list[ExportRecord], version: ExportFormat
) -> list[tuple[object, ...]]:
    """What a default reader must give back for *records*."""
    return [
        (
            r.client_id,
            r.client_type,
            r.namespace_id,
            r.mount_accessor,
            r.client_first_used_time
            if version is ExportFormat.VAULT_1_21
            else r.token_creation_time,
        )
        for r in records
    ]


def got(events: list[ClientEvent]) -> list[tuple[object, ...]]:
    """The round-tripped parts of *events*."""
    return [
        (
            e.client.id,
            e.client.type,
            e.client.namespace_id,
            e.client.mount_accessor,
            e.at,
        )
        for e in events
    ]


class TestEveryWriterLayoutReadsBack:
    """export_json_lines and export_csv output, read by ExportReader()."""

    @pytest.mark.parametrize(("version", "kind"), LAYOUTS)
    def test_client_namespace_mount_type_and_time_round_trip(
        self, version, kind
    ):
        """Each record comes back as the event it was written from."""
        records = sample_records(typeless=(version, kind) in TYPELESS)

        events = write_and_read(records, version, kind)

        assert got(events) == expected(records, version)
        assert all(
            e.approximate is (version is not ExportFormat.VAULT_1_21)
            for e in events
        )

    @pytest.mark.parametrize(("version", "kind"), LAYOUTS)
    @pytest.mark.parametrize(
        "created",
        [
            dt.datetime(1, 1, 1, tzinfo=UTC),
            dt.datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
            dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
            dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        ],
        ids=["year-1", "year-999", "before-1970", "year-9999"],
    )
    def test_times_at_the_ends_of_the_calendar_round_trip(
        self, version, kind, created
    ):
        """Four-digit years and negative Unix seconds are read back."""
        records = [export_record(token_creation_time=created)]

        [event] = write_and_read(records, version, kind)

        assert event.token_creation_time == created
        assert got([event]) == expected(records, version)

    @pytest.mark.parametrize(("version", "kind"), LAYOUTS)
    def test_period_start_moves_only_earlier_times(self, version, kind):
        """With period_start, older token times move to it, newer stay."""
        records = [
            export_record(client_id=ClientId("old")),
            export_record(
                client_id=ClientId("new"),
                token_creation_time=FIRST_USED,
            ),
        ]
        reader = ExportReader(period_start=PERIOD)

        events = write_and_read(records, version, kind, reader)

        if version is ExportFormat.VAULT_1_21:
            assert [e.at for e in events] == [FIRST_USED, FIRST_USED]
        else:
            assert [e.at for e in events] == [PERIOD, FIRST_USED]
        assert [e.token_creation_time for e in events] == [CREATED, FIRST_USED]

    @pytest.mark.parametrize(("version", "kind"), LAYOUTS)
    def test_an_activity_log_export_recounts_the_same(self, version, kind):
        """A log's export, written and read back, reports the same month."""
        log = ActivityLog()
        for number in range(6):
            log.record(
                Client(
                    id=ClientId(f"client-{number}"),
                    type=(ClientType.ENTITY, ClientType.NON_ENTITY_TOKEN)[
                        number % 2
                    ],
                    namespace_id=NamespaceId(
                        ("root", "ns1", "ns2")[number % 3]
                    ),
                    mount_accessor=MountAccessor(f"auth_{number % 2}"),
                ),
                FIRST_USED + dt.timedelta(hours=number, microseconds=7),
                token_creation_time=CREATED,
            )
        reader = ExportReader(period_start=PERIOD)
        copy = ActivityLog()

        for event in write_and_read(
            list(log.export(PERIOD, PERIOD)), version, kind, reader
        ):
            copy.record_event(event)

        assert copy.report(PERIOD, PERIOD) == log.report(PERIOD, PERIOD)


class TestTypelessLayouts:
    """Layouts without client_type: what reads back, what is refused."""

    @pytest.mark.parametrize(
        ("version", "kind"),
        [
            pytest.param(v, k, id=f"{v.value}-{k}")
            for v, k in sorted(TYPELESS, key=str)
        ],
    )
    @pytest.mark.parametrize(
        "client_type", [ClientType.SECRET_SYNC, ClientType.ACME]
    )
    def test_a_type_the_layout_cannot_carry_is_refused(
        self, version, kind, client_type
    ):
        """
        A secret-sync client, or an ACME one without Vault's pki-acme. ID,
        would read back as a non-entity token: the writer says what to use.
        """
        write, _ = FORMATS[kind]
        bad = export_record(client_id=ClientId("x1"), client_type=client_type)

        with pytest.raises(InvalidModelError) as info:
            write([export_record(), bad], version=version)

        assert (info.value.field, info.value.value) == (
            "client_type",
            client_type,
        )
        message = str(info.value)
        assert "would read back as non-entity-token" in message
        assert "ExportFormat.VAULT_1_18" in message

    def test_vaults_1_14_csv_acme_row_reads_back_as_acme(self):
        """Vault's five-column CSV drops client_type; the ID keeps it."""
        rows = parse_csv(
            "client_id,namespace_id,timestamp,non_entity,mount_accessor\n"
            "pki-acme.29l3DoYDMZh2n2E3k01yuQsbHkhnpajb4AVN248SIZ4,root,"
            "1741090001,true,pki_3f0a9b1e\n"
        )

        [event] = ExportReader().read(rows)

        assert event.client.type is ClientType.ACME

    def test_a_pki_acme_id_of_an_entity_row_stays_an_entity(self):
        """Only a non-entity row's pki-acme. prefix means ACME."""
        data = {"client_id": "pki-acme.x", "namespace_id": "root"}

        event = ExportReader().feed({**data, "timestamp": 5})

        assert event is not None
        assert event.client.type is ClientType.ENTITY


class TestUnknownTokenCreationTime:
    """Records whose token creation time is zero: Vault left it out."""

    @pytest.mark.parametrize(
        ("version", "kind"),
        [
            pytest.param(v, k, id=f"{v.value}-{k}")
            for v in CREATION_TIME_ONLY
            for k in FORMATS
        ],
    )
    def test_default_reader_says_exactly_what_to_pass(self, version, kind):
        """Without a first-use time the message names period_start."""
        records = [export_record(), export_record(token_creation_time=EPOCH)]

        with pytest.raises(MalformedRecordError) as info:
            write_and_read(records, version, kind)

        assert (info.value.field, info.value.index) == ("timestamp", 1)
        assert (
            "pass ExportReader(period_start=...) with the start of the "
            "exported period, a timezone-aware datetime"
        ) in str(info.value)

    @pytest.mark.parametrize(
        ("version", "kind"),
        [
            pytest.param(v, k, id=f"{v.value}-{k}")
            for v in CREATION_TIME_ONLY
            for k in FORMATS
        ],
    )
    def test_with_period_start_the_record_lands_in_the_period(
        self, version, kind
    ):
        """The record is read as 'created at an unknown time'."""
        records = [export_record(token_creation_time=EPOCH)]
        reader = ExportReader(period_start=PERIOD)

        [event] = write_and_read(records, version, kind, reader)

        assert (event.at, event.token_creation_time, event.approximate) == (
            PERIOD,
            None,
            True,
        )

    @pytest.mark.parametrize("kind", FORMATS)
    def test_a_1_21_record_keeps_its_first_use_and_no_creation_time(
        self, kind
    ):
        """1.21 writes the zero time as the epoch; it means unknown."""
        records = [export_record(token_creation_time=EPOCH)]

        [event] = write_and_read(records, ExportFormat.VAULT_1_21, kind)

        assert (event.at, event.token_creation_time) == (FIRST_USED, None)


class TestFirstUseSpellings:
    """Both 1.21 spellings of the first-use field read back the same."""

    @pytest.mark.parametrize("kind", FORMATS)
    def test_client_first_usage_time_reads_as_client_first_used_time(
        self, kind
    ):
        """The docs' spelling, in JSON keys or the CSV header."""
        write, parse = FORMATS[kind]
        records = sample_records(typeless=False)
        text = write(records, version=ExportFormat.VAULT_1_21)
        renamed = text.replace(
            "client_first_used_time", "client_first_usage_time"
        )

        used = list(ExportReader().read(parse(text)))
        usage = list(ExportReader().read(parse(renamed)))

        assert "client_first_usage_time" in renamed
        assert usage == used
        assert got(usage) == expected(records, ExportFormat.VAULT_1_21)


class TestVaultGoldenFiles:
    """Vault's own 1.14-era export files (spec section 5.1)."""

    @pytest.mark.parametrize(
        ("name", "count"),
        [("aug", 20), ("aug_sep", 30), ("aug_oct", 40)],
    )
    @pytest.mark.parametrize("kind", FORMATS)
    def test_files_with_timestamps_read_with_a_default_reader(
        self, name, count, kind
    ):
        """Every record, its timestamp as Vault wrote it (seconds 1-4)."""
        _, parse = FORMATS[kind]
        text = (VAULT_EXPORTS / f"{name}.{kind}").read_text(encoding="utf-8")

        events = list(ExportReader().read(parse(text)))

        assert [e.client.id for e in events] == [
            f"111122222-3333-4444-5555-{i:012d}" for i in range(count)
        ]
        assert {e.at for e in events} <= {
            EPOCH + dt.timedelta(seconds=s) for s in range(1, 5)
        }

    @pytest.mark.parametrize("kind", FORMATS)
    def test_full_history_needs_period_start_and_says_so(self, kind):
        """January's records have timestamp 0: the first one raises."""
        _, parse = FORMATS[kind]
        path = VAULT_EXPORTS / f"full_history.{kind}"
        rows = parse(path.read_text(encoding="utf-8"))

        with pytest.raises(MalformedRecordError) as info:
            list(ExportReader().read(rows))

        assert info.value.index == 0
        assert "pass ExportReader(period_start=...)" in str(info.value)

    def test_full_history_json_and_csv_give_the_same_events(self):
        """With period_start both files give all 45 clients, identically."""
        start = dt.datetime(2020, 1, 1, tzinfo=UTC)
        from_json, from_csv = (
            list(
                ExportReader(period_start=start).read(
                    parse(
                        (VAULT_EXPORTS / f"full_history.{kind}").read_text(
                            encoding="utf-8"
                        )
                    )
                )
            )
            for kind, (_, parse) in FORMATS.items()
        )

        assert len(from_json) == 45
        assert from_csv == from_json
        assert sum(e.token_creation_time is None for e in from_json) == 5
