"""
clientid's own ID recipes against their pinned outputs.

``data/golden_ids.json`` pins implicit entity IDs and names, secret-sync
client IDs and the store's derived UUIDs.  A failure here means client IDs
changed for users: that is a breaking change, never a test to regenerate.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from clientid import (
    MountAccessor,
    NamespaceId,
    SecretSyncAssociation,
    secret_sync_client_id,
)
from clientid.model.hashing import (
    derived_uuid,
    implicit_entity_id,
    implicit_entity_name,
)

GOLDEN = json.loads(
    (Path(__file__).parent / "data" / "golden_ids.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", GOLDEN["implicit_entities"])
def test_implicit_entity_id_is_pinned(case):
    """
    The implicit entity ID of each pinned alias is unchanged.
    """
    actual = implicit_entity_id(
        case["namespace_id"], case["mount_accessor"], case["alias_name"]
    )

    assert actual == case["entity_id"]


@pytest.mark.parametrize("case", GOLDEN["implicit_entities"])
def test_implicit_entity_names_are_pinned(case):
    """
    The generated names, first and second attempt, are unchanged.
    """
    args = (case["namespace_id"], case["mount_accessor"], case["alias_name"])

    actual = (implicit_entity_name(*args), implicit_entity_name(*args, 1))

    assert actual == (case["name"], case["name_attempt_1"])


@pytest.mark.parametrize("case", GOLDEN["secret_sync"])
def test_secret_sync_client_id_is_pinned(case):
    """
    The client ID of each pinned synced secret is unchanged.
    """
    association = SecretSyncAssociation(
        namespace_id=NamespaceId(case["namespace_id"]),
        mount_accessor=MountAccessor("kv_0a1b2c3d"),
        mount_path=case["mount_path"],
        secret_path=case["secret_path"],
        destination="aws-sm/prod",
        created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )

    actual = secret_sync_client_id(association)

    assert actual == case["client_id"]


@pytest.mark.parametrize("case", GOLDEN["derived_uuids"])
def test_derived_uuid_is_pinned(case):
    """
    Each pinned derived UUID is unchanged.
    """
    actual = derived_uuid(case["tag"], *case["fields"])

    assert actual == case["uuid"]


def test_golden_file_pins_distinct_ids_for_distinct_inputs():
    """
    Different pinned inputs never share an ID (except case-only renames).
    """
    ids = [case["client_id"] for case in GOLDEN["secret_sync"]] + [
        case["entity_id"]
        for case in GOLDEN["implicit_entities"]
        if case["alias_name"] not in {"Alice", "\u0130x"}
    ]

    assert len(ids) == len(set(ids))


def test_dotted_capital_i_is_pinned_to_the_plain_i_entity():
    """
    İx folds as Go folds it, so it pins the same entity as ix.
    """
    pinned = {
        case["alias_name"]: case["entity_id"]
        for case in GOLDEN["implicit_entities"]
    }

    assert pinned["\u0130x"] == pinned["ix"]
