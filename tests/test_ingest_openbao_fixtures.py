"""
The audit reader on real OpenBao v2.7.2 lines (tests/fixtures/openbao).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from clientid import AuditLogReader

FIXTURES = Path(__file__).parent / "fixtures" / "openbao"


def _entries(name: str) -> list[dict[str, Any]]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _requests(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        e["request"]["id"]: e["request"]
        for e in entries
        if "id" in e["request"]
    }


@pytest.mark.parametrize(
    "name",
    [
        "raw-child-namespace.log",
        "hmac-batch-token.log",
        "raw-login-with-caller-token.log",
        "raw-wrapped-token.log",
        "hmac-wrapped-token.log",
    ],
)
def test_strict_reader_reads_every_line_and_ids_match_the_server(name):
    """Every counted client ID is the server's, and every event is joined."""
    entries = _entries(name)
    reader = AuditLogReader()

    events = list(reader.read(entries))

    requests = _requests(entries)
    assert [e.client.id for e in events] == [
        requests[str(e.request_id)]["client_id"] for e in events
    ]
    assert reader.approximate == 0
    assert all(e.client.mount_accessor is not None for e in events)


def test_child_namespace_tokens_are_attributed_to_their_own_mounts():
    """Logins and token creations in team-a/ are learnt (ns_token too)."""
    entries = _entries("raw-child-namespace.log")
    reader = AuditLogReader()

    events = list(reader.read(entries))

    assert {
        (e.client.namespace_id, e.client.mount_accessor) for e in events
    } == {
        ("OsSGN6", "auth_userpass_6be39c8f"),
        ("OsSGN6", "auth_token_c5d6c2f2"),
    }
    # The use in team-a/sub/ (namespace 8HSrih) counts in the token's own.
    sub = [
        e
        for e in events
        if _requests(entries)[str(e.request_id)]["namespace"]["id"] == "8HSrih"
    ]
    assert [e.client.namespace_id for e in sub] == ["OsSGN6"]
    assert {(m.path, m.type) for m in reader.mounts} == {
        ("auth/userpass/", "userpass"),
        ("auth/token/", "ns_token"),
    }


def test_entity_suffix_names_the_namespace_without_a_join():
    """An unjoined entity ``<uuid>.<nsid>`` counts in namespace <nsid>."""
    entries = [
        e
        for e in _entries("raw-child-namespace.log")
        if "login" not in e["request"]["path"]
    ]
    reader = AuditLogReader()

    events = list(reader.read(entries))

    entity = [e for e in events if e.client.id.endswith(".OsSGN6")]
    assert entity
    sub = [e for e in entity if e.approximate]
    assert sub
    assert {e.client.namespace_id for e in sub} == {"OsSGN6"}


def test_login_with_a_caller_token_teaches_the_new_token():
    """The response's accessor is learnt; the login itself is not counted."""
    entries = _entries("raw-login-with-caller-token.log")
    reader = AuditLogReader()

    events = list(reader.read(entries))

    assert events == []
    assert "auth_userpass_34700245" in {m.accessor for m in reader.mounts}
    use = json.loads(json.dumps(entries[-1]))
    use["type"] = "request"
    use["request"] = dict(
        use["request"],
        id="later",
        path="secret/data/a",
        mount_point="secret/",
        client_id=use["auth"]["entity_id"],
        client_token_accessor=use["auth"]["accessor"],
    )
    del use["response"]
    event = reader.feed(use)
    assert event is not None
    assert event.client.mount_accessor == "auth_userpass_34700245"
    assert event.approximate is False


@pytest.mark.parametrize("device", ["raw", "hmac"])
def test_a_wrapped_token_is_joined_through_its_wrapped_accessor(device):
    """The creating response names the token only in ``wrap_info``.

    The token reaches its holder through ``sys/wrapping/unwrap``, whose
    response shows the system mount; the use still counts under the token
    store that minted it.
    """
    entries = _entries(f"{device}-wrapped-token.log")
    create, unwrap = entries[1], entries[3]
    assert "auth" not in create["response"]
    assert unwrap["response"]["mount_type"] == "system"
    reader = AuditLogReader()

    events = list(reader.read(entries))

    assert [e.request_id for e in events] == [entries[-1]["request"]["id"]]
    assert (
        events[0].client.mount_accessor == create["request"]["mount_accessor"]
    )
    assert events[0].approximate is False


def test_the_unwrap_response_alone_teaches_no_mount():
    """Without the creating response the use is approximate, not sys/'s."""
    entries = _entries("raw-wrapped-token.log")[2:]
    reader = AuditLogReader()

    events = list(reader.read(entries))

    assert len(events) == 1
    assert events[0].client.mount_accessor is None
    assert events[0].approximate is True


@pytest.mark.parametrize(
    "name",
    [
        "raw-child-namespace.log",
        "raw-login-with-caller-token.log",
        "hmac-wrapped-token.log",
    ],
)
def test_mapping_entries_read_like_plain_dicts(name):
    """Entries given as read-only mappings yield the same events."""
    entries = _entries(name)

    plain = list(AuditLogReader().read(entries))
    wrapped = list(
        AuditLogReader().read([MappingProxyType(e) for e in entries])
    )

    assert wrapped == plain
