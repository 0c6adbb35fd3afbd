"""
Vault's own export golden files, reproduced byte for byte.

The input is dataset D of spec/vault-client-counting.md section 5.1 (Vault's
TestActivityLog_Export), rebuilt through the public API only; the expected
bytes are Vault's files in data/vault-export/ (see the README there).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clientid import (
    ActivityLog,
    Client,
    ClientId,
    ClientType,
    ExportFormat,
    MountAccessor,
    NamespaceId,
    export_csv,
    export_json_lines,
)

DATA = Path(__file__).parent / "data" / "vault-export"
UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
NAMESPACES = (
    "root",
    "aaaaa",
    "bbbbb",
    "root",
    "root",
    "ccccc",
    "root",
    "bbbbb",
    "rrrrr",
)
# (month's first record time, first client, last client, Vault's timestamp)
# in Vault's insertion order: Vault's test sets every record's timestamp to
# the index of the segment it wrote, and that is the token creation time an
# export carries.
SEGMENTS = (
    (dt.datetime(2020, 1, 1, tzinfo=UTC), 40, 44, 0),
    (dt.datetime(2020, 8, 15, 12, tzinfo=UTC), 0, 12, 1),
    (dt.datetime(2020, 8, 15, 12, tzinfo=UTC), 13, 19, 2),
    (dt.datetime(2020, 9, 1, tzinfo=UTC), 10, 29, 3),
    (dt.datetime(2020, 10, 1, tzinfo=UTC), 15, 39, 4),
    (dt.datetime(2020, 10, 1, tzinfo=UTC), 15, 39, 5),
    (dt.datetime(2020, 10, 1, tzinfo=UTC), 17, 22, 6),
)


def dataset_d_client(index: int) -> Client:
    """
    Return client *index* of dataset D, attributed as Vault's test does.
    """
    return Client(
        id=ClientId(f"111122222-3333-4444-5555-{index:012d}"),
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(NAMESPACES[index // 5]),
        mount_accessor=MountAccessor(f"auth_{index // 5 + 1}"),
    )


def dataset_d() -> ActivityLog:
    """
    Record dataset D, segment by segment, into a fresh log.
    """
    log = ActivityLog()
    for at, first, last, timestamp in SEGMENTS:
        created = EPOCH + dt.timedelta(seconds=timestamp)
        for index in range(first, last + 1):
            log.record(
                dataset_d_client(index), at, token_creation_time=created
            )
    return log


EXPORTS = (
    # Vault's "aug" export starts at the log's mid-August start; clientid
    # exports whole months, which selects the same records.
    ("aug", dt.date(2020, 8, 15), dt.date(2020, 8, 31), 20),
    ("aug_sep", dt.date(2020, 8, 15), dt.date(2020, 9, 30), 30),
    ("aug_oct", dt.date(2020, 8, 15), dt.date(2020, 10, 31), 40),
    ("full_history", dt.date(2020, 1, 1), dt.date(2020, 11, 30), 45),
)


@pytest.mark.parametrize(("name", "start", "end", "size"), EXPORTS)
def test_json_export_matches_vaults_fixture_byte_for_byte(
    name, start, end, size
):
    """
    The JSON-lines export of dataset D equals Vault's golden file.
    """
    expected = (DATA / f"{name}.json").read_bytes()
    records = dataset_d().export(start, end)

    actual = export_json_lines(records, version=ExportFormat.VAULT_1_11)

    assert size == len(records)
    assert expected == actual.encode("utf-8")


@pytest.mark.parametrize(("name", "start", "end", "size"), EXPORTS)
def test_csv_export_matches_vaults_fixture_byte_for_byte(
    name, start, end, size
):
    """
    The CSV export of dataset D equals Vault's golden file.
    """
    expected = (DATA / f"{name}.csv").read_bytes()
    records = dataset_d().export(start, end)

    actual = export_csv(records, version=ExportFormat.VAULT_1_11)

    assert size == len(records)
    assert expected == actual.encode("utf-8")


def test_exported_clients_keep_their_first_record_in_the_range():
    """
    Clients 10-12 keep August's timestamp 1 though September saw them again.
    """
    records = dataset_d().export(dt.date(2020, 8, 1), dt.date(2020, 9, 30))
    by_id = {record.client_id: record for record in records}

    created = {
        by_id[dataset_d_client(index).id].token_creation_time
        for index in (10, 11, 12)
    }

    assert {EPOCH + dt.timedelta(seconds=1)} == created


def test_export_of_september_alone_starts_with_its_own_first_records():
    """
    De-duplication is relative to the range: September alone has 20 clients.
    """
    records = dataset_d().export(dt.date(2020, 9, 1), dt.date(2020, 9, 30))

    assert [dataset_d_client(i).id for i in range(10, 30)] == [
        record.client_id for record in records
    ]
    assert {EPOCH + dt.timedelta(seconds=3)} == {
        record.token_creation_time for record in records
    }
