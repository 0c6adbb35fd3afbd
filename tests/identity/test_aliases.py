"""
Entity aliases (clientid.identity.aliases).
"""

from __future__ import annotations

import attrs
import pytest
from tests.identity.support import userpass

from clientid import (
    IdentityStore,
    NamespaceId,
)
from clientid.errors import (
    PermissionDeniedError,
)


def test_alias_names_fold_as_gos_to_lower(store):
    """
    Non-ASCII alias names match case-insensitively, İ folding to i.
    """
    accessor = userpass(store)
    first = store.login(accessor, "\u0130rem")

    again = store.login(accessor, "irem")
    greek = store.login(accessor, "\u03a3\u039f\u03a6\u0399\u0391")

    assert again.entity == first.entity
    assert store.login(accessor, "\u03c3\u03bf\u03c6\u03b9\u03b1").entity == (
        greek.entity
    )


def test_updating_an_alias_with_its_own_data_is_a_no_op(store):
    """
    update_entity_alias with nothing new changes nothing.
    """
    alias = store.create_entity_alias(mount_accessor=userpass(store), name="a")
    before = store.snapshot()

    same = store.update_entity_alias(alias.id, canonical_id=alias.canonical_id)

    assert same == alias
    assert before == store.snapshot()


def test_entity_alias_repost_from_another_namespace_is_denied():
    """
    Re-posting an alias whose namespace differs from the request is denied.
    """
    store = IdentityStore()
    accessor = store.enable_auth("userpass").accessor
    store.create_entity_alias(mount_accessor=accessor, name="a")
    ns1 = store.add_namespace("ns1", namespace_id=NamespaceId("nsone")).id
    # A hand-built state whose mount moved namespaces after the alias was
    # made: the only way this guard of Vault's can fire.
    state = store.snapshot()
    moved = IdentityStore.from_snapshot(
        attrs.evolve(
            state,
            mounts=tuple(
                attrs.evolve(m, namespace_id=ns1)
                if m.accessor == accessor
                else m
                for m in state.mounts
            ),
        )
    )

    with pytest.raises(PermissionDeniedError) as info:
        moved.create_entity_alias(
            mount_accessor=accessor, name="A", namespace_id=ns1
        )

    assert info.value.rule == "alias-other-namespace"


def test_alias_check_finds_an_alias_key_that_does_not_fold(store):
    """
    _check_aliases() fails when an alias is indexed under a wrong key.
    """
    accessor = userpass(store)
    alias = store.create_entity_alias(mount_accessor=accessor, name="Alice")
    store._check_aliases()
    del store._alias_keys[(accessor, "alice")]
    store._alias_keys[(accessor, "Alice")] = alias

    with pytest.raises(AssertionError, match="alias key"):
        store._check_aliases()


def test_alias_check_finds_an_alias_missing_from_its_entity(store):
    """
    _check_aliases() fails when an entity's mount index misses an alias.
    """
    accessor = userpass(store)
    alias = store.create_entity_alias(mount_accessor=accessor, name="alice")
    del store._entity_aliases[alias.canonical_id][accessor]

    with pytest.raises(AssertionError, match="one alias per mount"):
        store._check_aliases()
