"""
Tests for what the audit reader does before and after its full parse:
duplicates recognised early, clients reused, counters kept apart.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.test_ingest_audit import TEAM_A, TEAM_A_DEV, login, use

from clientid import AuditLogReader, Client, SkipReason
from clientid.errors import MalformedRecordError


def test_a_duplicate_is_not_checked_beyond_what_it_could_teach():
    """A repeat of a handled request.id is a duplicate, whatever it holds."""
    reader = AuditLogReader()
    reader.feed(use())
    repeat = use(entry_type="response")
    repeat["auth"]["entity_id"] = 5
    repeat["time"] = "not a time"

    assert reader.feed(repeat) is None

    assert reader.skipped[SkipReason.DUPLICATE] == 1
    assert reader.rejected_count == 0


def test_a_duplicate_naming_a_new_namespace_is_parsed_in_full():
    """A repeat with a namespace path not yet known is checked and learnt."""
    reader = AuditLogReader()
    reader.feed(use())
    moved = use(entry_type="response", namespace=TEAM_A_DEV)
    broken = use(entry_type="response", namespace={"id": "x", "path": "y"})

    assert reader.feed(moved) is None
    with pytest.raises(MalformedRecordError) as caught:
        reader.feed(broken)

    assert reader.skipped[SkipReason.DUPLICATE] == 1
    assert caught.value.field == "request.namespace.path"
    assert [n.path for n in reader.namespaces] == ["team-a/", "team-a/dev/"]


def test_a_duplicate_without_a_namespace_is_known_early():
    """Entries of Vault versions without namespaces are de-duplicated too."""
    first, repeat = use(), use(entry_type="response")
    del first["request"]["namespace"], repeat["request"]["namespace"]
    repeat["auth"]["entity_id"] = 5
    reader = AuditLogReader()
    reader.feed(first)

    assert reader.feed(repeat) is None

    assert reader.skipped[SkipReason.DUPLICATE] == 1


def test_a_duplicate_login_response_still_teaches_the_join():
    """The login's response repeats its request's ID yet mints the token."""
    request = login()
    request["type"] = "request"
    del request["response"]
    reader = AuditLogReader()
    reader.feed(request)
    reader.feed(login())

    event = reader.feed(use(request_id="use-9"))

    assert event is not None
    assert not event.approximate
    assert reader.skipped[SkipReason.DUPLICATE] == 1


@pytest.mark.parametrize("response", [["x"], {"auth": {}}, {"wrap_info": {}}])
def test_a_duplicate_response_that_may_mint_is_parsed_in_full(response):
    """A response block that is odd or may mint goes to the full parse."""
    reader = AuditLogReader(lenient=True)
    reader.feed(use())
    repeat = use(entry_type="response")
    repeat["response"] = response

    reader.feed(repeat)

    malformed = reader.skipped[SkipReason.MALFORMED]
    assert reader.skipped[SkipReason.DUPLICATE] + malformed == 1
    assert malformed == (not isinstance(response, dict))


@pytest.mark.parametrize(
    "entry",
    [
        ["not", "a", "dict"],
        {"type": "request", "request": ["x"]},
        {"type": "request", "request": {"id": ["unhashable"]}},
        {"type": "request", "request": {"id": "use-1", "namespace": ["x"]}},
    ],
)
def test_an_odd_entry_is_never_taken_for_a_duplicate(entry):
    """Only a dict entry with a seen string ID can be an early duplicate."""
    reader = AuditLogReader(lenient=True)
    reader.feed(use())

    reader.feed(entry)

    assert reader.skipped[SkipReason.MALFORMED] == 1
    assert reader.skipped[SkipReason.DUPLICATE] == 0


def test_duplicates_counted_early_survive_a_saved_reader():
    """The early duplicate count is part of ``skipped`` and of the image."""
    reader = AuditLogReader()
    reader.feed(use())
    reader.feed(use(entry_type="response"))

    restored = AuditLogReader.from_bytes(reader.to_bytes())
    restored.feed(use(entry_type="response"))

    assert reader.skipped[SkipReason.DUPLICATE] == 1
    assert restored.skipped[SkipReason.DUPLICATE] == 2


def _client(reader: AuditLogReader, entry: dict[str, Any]) -> Client:
    event = reader.feed(entry)
    assert event is not None
    return event.client


def test_clients_are_reused_and_the_cache_stays_bounded(monkeypatch):
    """A client used again is the same object; a full cache starts over."""
    monkeypatch.setattr("clientid.ingest.audit._CLIENT_CACHE_LIMIT", 2)
    reader = AuditLogReader()
    entities = [f"{n:08}-e6c5-4eb6-afac-16b3d92f8490" for n in range(3)]
    first = [
        _client(reader, use(request_id=f"a-{n}", entity_id=e))
        for n, e in enumerate(entities)
    ]
    again = [
        _client(reader, use(request_id=f"b-{n}", entity_id=e))
        for n, e in enumerate(entities)
    ]

    assert [client.id for client in first] == entities
    assert again == first
    assert len(reader._clients) <= 2
    reused = _client(reader, use(request_id="c", entity_id=entities[2]))
    assert reused is again[2]
    assert all(client.namespace_id == TEAM_A["id"] for client in again)
