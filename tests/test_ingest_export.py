"""
Tests for the activity-export adapter, ``clientid.ExportReader``.

The records are the samples of spec/vault-formats-and-ecosystem.md §2,
verbatim, for every export version (JSON and CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from clientid import (
    Client,
    ClientId,
    ClientType,
    ExportReader,
    MountAccessor,
    NamespaceId,
)
from clientid.errors import InvalidModelError, MalformedRecordError

# §2.1, version 1.11-1.17, JSON lines.
V1_11_JSON = """\
{"client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","namespace_id":"Xq2bK","timestamp":1741079727,"mount_accessor":"auth_userpass_e9f8fee8","client_type":"entity"}
{"client_id":"dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=","namespace_id":"root","timestamp":1741086119,"non_entity":true,"mount_accessor":"auth_token_6b1d0c2a","client_type":"non-entity-token"}
{"client_id":"pki-acme.29l3DoYDMZh2n2E3k01yuQsbHkhnpajb4AVN248SIZ4","namespace_id":"root","timestamp":1741090001,"non_entity":true,"mount_accessor":"pki_3f0a9b1e","client_type":"pki-acme"}
"""

# §2.1, version 1.11-1.17, CSV.
V1_11_CSV = """\
client_id,namespace_id,timestamp,non_entity,mount_accessor
d60e0815-e6c5-4eb6-afac-16b3d92f8490,Xq2bK,1741079727,false,auth_userpass_e9f8fee8
dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=,root,1741086119,true,auth_token_6b1d0c2a
"""

# §2.2, version 1.18-1.20, JSON.
V1_18_JSON = """\
{"entity_name":"alice","entity_alias_name":"alice","local_entity_alias":false,"client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","client_type":"entity","namespace_id":"Xq2bK","namespace_path":"team-a/","mount_accessor":"auth_userpass_e9f8fee8","mount_type":"userpass","mount_path":"auth/userpass/","timestamp":"2025-03-04T09:15:27Z","policies":["default","kv-reader"],"entity_metadata":{"cost_center":"cc-4410"},"entity_alias_metadata":{},"entity_alias_custom_metadata":{"team":"payments"},"entity_group_ids":["7b9798c7-f88e-450d-be26-d063eec11439"]}
"""

# §2.2, version 1.18-1.20, CSV with flattened columns.
V1_18_CSV = """\
entity_name,entity_alias_name,client_id,client_type,local_entity_alias,namespace_id,namespace_path,mount_accessor,mount_path,mount_type,timestamp,entity_alias_custom_metadata.team,entity_metadata.cost_center,entity_group_ids.0,policies.0,policies.1
alice,alice,d60e0815-e6c5-4eb6-afac-16b3d92f8490,entity,false,Xq2bK,team-a/,auth_userpass_e9f8fee8,auth/userpass/,userpass,2025-03-04T09:15:27Z,payments,cc-4410,7b9798c7-f88e-450d-be26-d063eec11439,default,kv-reader
,,dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=,non-entity-token,false,root,,auth_token_6b1d0c2a,auth/token/,token,2025-03-04T11:01:59Z,,,,ci-deployer,default
"""

# §2.3, version 1.21+.
V1_21_JSON = """\
{"entity_name":"","entity_alias_name":"","local_entity_alias":false,"client_id":"3ngeNcYNA10eWUpjcHN5zc13km70R/WDh/UzXa6Xr5w=","client_type":"non-entity-token","namespace_id":"Xq2bK","namespace_path":"team-a/","mount_accessor":"auth_ns_token_2bd71e0a","mount_type":"ns_token","mount_path":"auth/token/","token_creation_time":"2024-11-18T16:19:21Z","client_first_used_time":"2025-03-02T08:00:13Z","policies":["app-read","default"],"entity_metadata":{},"entity_alias_metadata":{},"entity_alias_custom_metadata":{},"entity_group_ids":[]}
"""

ALICE = Client(
    id=ClientId("d60e0815-e6c5-4eb6-afac-16b3d92f8490"),
    type=ClientType.ENTITY,
    namespace_id=NamespaceId("Xq2bK"),
    mount_accessor=MountAccessor("auth_userpass_e9f8fee8"),
)
CI = Client(
    id=ClientId("dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8="),
    type=ClientType.NON_ENTITY_TOKEN,
    namespace_id=NamespaceId("root"),
    mount_accessor=MountAccessor("auth_token_6b1d0c2a"),
)


def utc(  # noqa: PLR0917 (reads like datetime)
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
) -> dt.datetime:
    """Return a UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse JSON lines."""
    return [json.loads(line) for line in text.splitlines()]


def csv_rows(text: str) -> list[dict[str, str]]:
    """Parse CSV as an export consumer would, one mapping per row."""
    return list(csv.DictReader(io.StringIO(text)))


def record(**fields: object) -> dict[str, object]:
    """Return a minimal 1.21-style record with overrides."""
    base: dict[str, object] = {
        "client_id": "c1",
        "client_type": "entity",
        "namespace_id": "root",
        "mount_accessor": "auth_userpass_1",
        "token_creation_time": "2025-01-02T00:00:00Z",
        "client_first_used_time": "2025-03-02T08:00:13Z",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


class TestVersions:
    """Every export version maps onto the same events."""

    def test_v1_11_json_records_become_clients_with_int_timestamps(self):
        """1.11-1.17 JSON: Unix-second timestamps, pki-acme as ACME."""
        events = list(ExportReader().read(json_lines(V1_11_JSON)))

        assert [e.client for e in events[:2]] == [ALICE, CI]
        assert events[2].client.type is ClientType.ACME
        assert events[0].at == utc(2025, 3, 4, 9, 15, 27)
        assert events[0].token_creation_time == events[0].at

    def test_v1_11_csv_rows_match_the_json_records(self):
        """1.11-1.17 CSV: booleans and integers as text read the same."""
        from_csv = list(ExportReader().read(csv_rows(V1_11_CSV)))
        from_json = list(ExportReader().read(json_lines(V1_11_JSON)))

        assert from_csv == from_json[:2]

    def test_v1_18_json_record_reads_rfc3339_timestamp(self):
        """1.18-1.20 JSON: RFC 3339 timestamp, extra fields ignored."""
        [event] = ExportReader().read(json_lines(V1_18_JSON))

        assert event.client == ALICE
        assert event.at == utc(2025, 3, 4, 9, 15, 27)

    def test_v1_18_csv_rows_with_flattened_columns(self):
        """1.18-1.20 CSV: dotted columns are ignored, empty cells absent."""
        events = list(ExportReader().read(csv_rows(V1_18_CSV)))

        assert [e.client for e in events] == [ALICE, CI]

    def test_v1_21_record_uses_first_use_time(self):
        """1.21+: the event time is client_first_used_time, exactly."""
        [event] = ExportReader().read(json_lines(V1_21_JSON))

        assert (event.at, event.token_creation_time, event.approximate) == (
            utc(2025, 3, 2, 8, 0, 13),
            utc(2024, 11, 18, 16, 19, 21),
            False,
        )

    def test_first_usage_time_spelling_is_accepted(self):
        """The docs' client_first_usage_time means client_first_used_time."""
        data = record(
            client_first_used_time=None,
            client_first_usage_time="2025-03-05T00:00:00Z",
        )

        event = ExportReader().feed(data)

        assert event is not None
        assert event.at == utc(2025, 3, 5)


class TestFields:
    """Field-level rules shared by every version."""

    @pytest.mark.parametrize(
        ("non_entity", "expected"),
        [
            (None, ClientType.ENTITY),
            (False, ClientType.ENTITY),
            (True, ClientType.NON_ENTITY_TOKEN),
            ("true", ClientType.NON_ENTITY_TOKEN),
            ("", ClientType.ENTITY),
        ],
    )
    def test_missing_client_type_is_inferred_from_non_entity(
        self, non_entity, expected
    ):
        """Records before 1.14 have no client_type; non_entity decides."""
        data = record(client_type=None, non_entity=non_entity)

        event = ExportReader().feed(data)

        assert event is not None
        assert event.client.type is expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("entity", ClientType.ENTITY),
            ("non-entity-token", ClientType.NON_ENTITY_TOKEN),
            ("pki-acme", ClientType.ACME),
            ("acme", ClientType.ACME),
            ("secret-sync", ClientType.SECRET_SYNC),
        ],
    )
    def test_client_type_strings_of_every_version(self, text, expected):
        """Both ACME spellings mean ACME; every Vault type is known."""
        event = ExportReader().feed(record(client_type=text))

        assert event is not None
        assert event.client.type is expected

    def test_unknown_fields_are_ignored(self):
        """Fields a future Vault adds do not disturb the event."""
        plain = ExportReader().feed(record())
        extended = ExportReader().feed(record(future_field={"a": [1]}))

        assert plain == extended

    def test_empty_mount_accessor_means_none(self):
        """Very old records have no mount accessor."""
        event = ExportReader().feed(record(mount_accessor=""))

        assert event is not None
        assert event.client.mount_accessor is None

    def test_time_without_first_use_is_approximate(self):
        """Before 1.21 the event time is the token creation time."""
        event = ExportReader().feed(record(client_first_used_time=None))

        assert event is not None
        assert (event.at, event.approximate) == (utc(2025, 1, 2), True)

    def test_period_start_moves_older_token_times_forward(self):
        """A token created before the exported period counts in its start."""
        reader = ExportReader(period_start=utc(2025, 3, 1))

        event = reader.feed(record(client_first_used_time=None))

        assert event is not None
        assert (event.at, event.token_creation_time) == (
            utc(2025, 3, 1),
            utc(2025, 1, 2),
        )

    def test_period_start_must_be_timezone_aware(self):
        """A naive period start is rejected with the parameter named."""
        naive = dt.datetime(2025, 3, 1)  # noqa: DTZ001 (the point)

        with pytest.raises(InvalidModelError) as info:
            ExportReader(period_start=naive)

        assert (info.value.field, info.value.value) == ("period_start", naive)

    def test_offset_times_are_converted_to_utc(self):
        """RFC 3339 offsets are honoured."""
        data = record(client_first_used_time="2025-03-02T10:00:00+02:00")

        event = ExportReader().feed(data)

        assert event is not None
        assert event.at == utc(2025, 3, 2, 8)

    def test_counted_counts_events(self):
        """counted is the number of events produced."""
        reader = ExportReader()
        list(reader.read(json_lines(V1_11_JSON)))

        assert reader.counted == 3


MALFORMED = [
    ({"client_id": None}, "client_id", None),
    ({"client_id": ""}, "client_id", ""),
    ({"client_id": 5}, "client_id", 5),
    ({"namespace_id": None}, "namespace_id", None),
    ({"namespace_id": ["root"]}, "namespace_id", ["root"]),
    ({"client_type": "robot"}, "client_type", "robot"),
    ({"client_type": 1}, "client_type", 1),
    ({"non_entity": "yes"}, "non_entity", "yes"),
    ({"non_entity": 1}, "non_entity", 1),
    # An entity cannot be a non-entity client.
    ({"non_entity": True}, "non_entity", True),
    ({"token_creation_time": "soon"}, "token_creation_time", "soon"),
    ({"token_creation_time": 1.5}, "token_creation_time", 1.5),
    ({"token_creation_time": True}, "token_creation_time", True),
    # Far beyond what a datetime can hold.
    ({"token_creation_time": 10**20}, "token_creation_time", 10**20),
    ({"client_first_used_time": "x"}, "client_first_used_time", "x"),
    ({"client_first_usage_time": "x"}, "client_first_usage_time", "x"),
    ({"timestamp": "2025-03-04"}, "timestamp", "2025-03-04"),
    (
        {"token_creation_time": None, "client_first_used_time": None},
        "timestamp",
        None,
    ),
    ({"mount_accessor": 7}, "mount_accessor", 7),
    # Unix seconds are ASCII digits: Arabic-Indic or superscript digits are
    # not a time, and a text number past Python's conversion limit is not
    # one either.
    ({"timestamp": "\u0663\u0663\u0663"}, "timestamp", "\u0663\u0663\u0663"),
    ({"timestamp": "\u00b2"}, "timestamp", "\u00b2"),
    ({"timestamp": "1" * 5000}, "timestamp", "1" * 5000),
    # Offsets that move a time past the ends of the calendar in UTC.
    (
        {"client_first_used_time": "9999-12-31T23:59:59-23:59"},
        "client_first_used_time",
        "9999-12-31T23:59:59-23:59",
    ),
    (
        {"token_creation_time": "0001-01-01T00:00:00+23:59"},
        "token_creation_time",
        "0001-01-01T00:00:00+23:59",
    ),
    # A lone surrogate cannot be written back out as UTF-8.
    ({"client_id": "x\ud800"}, "client_id", "x\ud800"),
    ({"namespace_id": "\ud800"}, "namespace_id", "\ud800"),
    ({"mount_accessor": "auth_\udfff"}, "mount_accessor", "auth_\udfff"),
]


class TestUnknownCreationTime:
    """Records whose token creation time Vault left out (timestamp 0)."""

    PERIOD = dt.datetime(2020, 8, 1, tzinfo=dt.UTC)

    @pytest.mark.parametrize(
        "changes",
        [
            {"timestamp": None},
            {"timestamp": 0},
            {"timestamp": "0"},
        ],
        ids=["json-omitted", "int-zero", "csv-zero"],
    )
    def test_zero_or_missing_timestamp_falls_back_to_the_period_start(
        self, changes
    ):
        """A 1.11-1.17 record without a timestamp lands in the period."""
        data = {
            "client_id": "111122222-3333-4444-5555-000000000040",
            "namespace_id": "rrrrr",
            "mount_accessor": "auth_9",
            **changes,
        }

        (event,) = ExportReader(period_start=self.PERIOD).read([data])

        assert event.at == self.PERIOD
        assert event.token_creation_time is None
        assert event.approximate is True

    def test_zero_timestamp_without_a_period_start_raises(self):
        """Without period_start, a timeless record cannot be placed."""
        data = {"client_id": "c", "namespace_id": "root", "timestamp": 0}

        with pytest.raises(MalformedRecordError) as info:
            ExportReader().feed(data)

        assert (info.value.field, info.value.value) == ("timestamp", 0)
        assert "period_start" in str(info.value)

    def test_vaults_full_history_fixture_reads_completely(self):
        """All 45 records of Vault's full_history export are read."""
        fixture = (
            Path(__file__).parent
            / "acceptance"
            / "data"
            / "vault-export"
            / "full_history.json"
        )
        lines = fixture.read_text(encoding="utf-8").splitlines()
        reader = ExportReader(
            period_start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )

        events = list(reader.read(json.loads(line) for line in lines))

        assert len(events) == 45
        assert {e.at.year for e in events} == {2020}


class TestMalformed:
    """Malformed records raise, naming field, rule and value."""

    @pytest.mark.parametrize(("changes", "field", "value"), MALFORMED)
    def test_malformed_record_raises_naming_the_field(
        self, changes, field, value
    ):
        """Each broken field raises MalformedRecordError naming it."""
        data = record(**changes)
        reader = ExportReader()
        reader.feed(record())

        with pytest.raises(MalformedRecordError) as info:
            reader.feed(data)

        assert (info.value.field, info.value.value, info.value.index) == (
            field,
            value,
            1,
        )
        assert str(info.value).startswith(f"record 1: {field} ")

    def test_record_that_is_not_an_object_raises(self):
        """A JSON array where a record belongs is malformed."""
        with pytest.raises(MalformedRecordError) as info:
            ExportReader().feed([])  # type: ignore[arg-type]

        assert (info.value.field, info.value.value) == ("record", [])

    def test_lenient_mode_returns_malformed_records_with_the_reason(self):
        """A lenient reader skips a bad record and reports why."""
        reader = ExportReader(lenient=True)

        events = list(
            reader.read([record(), record(client_type="robot"), record()])
        )

        assert len(events) == 2
        assert [r.index for r in reader.rejected] == [1]
        assert "client_type must be one of" in reader.rejected[0].reason
        assert "'robot'" in reader.rejected[0].reason
