"""
Entity merges (clientid.identity.merges).
"""

from __future__ import annotations

import pytest
from tests.identity.support import userpass

from clientid import (
    EntityId,
)
from clientid.errors import (
    NotFoundError,
    PermissionDeniedError,
)


def test_resolve_entity_id_follows_merges(store):
    """
    A merged-away ID resolves to the surviving entity.
    """
    a = store.create_entity(name="a")
    b = store.create_entity(name="b")
    store.merge_entities(a.id, [b.id])

    assert store.resolve_entity_id(b.id) == store.entity(a.id)
    assert store.resolve_entity_id(EntityId("nope")) is None


def test_transitive_merges_keep_every_merged_id(store):
    """
    Merging a merged entity carries its merged IDs along.
    """
    a, b, c = (store.create_entity(name=n) for n in "abc")
    store.merge_entities(b.id, [c.id])

    store.merge_entities(a.id, [b.id])

    assert store.entity(a.id).merged_entity_ids == (c.id, b.id)
    assert store.resolve_entity_id(c.id) == store.entity(a.id)


def test_merge_keeping_the_targets_alias_deletes_the_sources(store):
    """
    Keeping the target's alias deletes the from-entity's clashing alias.
    """
    accessor = userpass(store)
    a = store.login(accessor, "a")
    b = store.login(accessor, "b")
    assert a.entity is not None
    assert b.entity is not None
    assert a.alias is not None
    assert b.alias is not None

    store.merge_entities(
        a.entity.id, [b.entity.id], conflicting_alias_ids_to_keep=[a.alias.id]
    )

    assert store.entity_aliases(a.entity.id) == (a.alias,)
    with pytest.raises(NotFoundError):
        store.alias(b.alias.id)


def test_deleting_a_merge_target_denies_merged_away_tokens(store):
    """
    Tokens of IDs merged into a deleted entity are denied too.
    """
    accessor = userpass(store)
    a = store.create_entity(name="a")
    old = store.login(accessor, "b").token
    assert old.entity_id is not None
    store.merge_entities(a.id, [old.entity_id])

    store.delete_entity(a.id)

    with pytest.raises(PermissionDeniedError) as info:
        store.client_for_token(old)
    assert info.value.rule == "token-entity-missing"
