"""
Group aliases (clientid.identity.group_aliases).
"""

from __future__ import annotations

import attrs
import pytest
from tests.identity.support import userpass

from clientid import AliasId, GroupType
from clientid.errors import (
    NotFoundError,
    PermissionDeniedError,
)


def test_new_group_alias_replaces_the_groups_old_alias(store):
    """
    One alias per external group: attaching a second replaces the first.
    """
    accessor = userpass(store)
    first = store.create_group_alias(mount_accessor=accessor, name="devs")

    second = store.create_group_alias(
        mount_accessor=accessor, name="ops", canonical_id=first.canonical_id
    )

    assert store.group_alias_of(first.canonical_id) == second
    with pytest.raises(NotFoundError):
        store.group_alias(first.id)


def test_moving_a_group_alias_leaves_the_old_group_without_alias(store):
    """
    Updating a group alias's canonical_id moves it to the new group.
    """
    accessor = userpass(store)
    alias = store.create_group_alias(mount_accessor=accessor, name="devs")
    target = store.create_group(name="t", type="external")

    moved = store.update_group_alias(alias.id, canonical_id=target.id)

    assert moved.id == alias.id
    assert store.group_alias_of(alias.canonical_id) is None
    assert store.group_alias_of(target.id) == moved


def test_deleting_a_group_alias_keeps_its_group(store):
    """
    A deleted group alias leaves an external group without alias.
    """
    alias = store.create_group_alias(mount_accessor=userpass(store), name="g")

    store.delete_group_alias(alias.id)
    store.delete_group_alias(alias.id)

    assert store.group(alias.canonical_id).type is GroupType.EXTERNAL
    assert store.group_alias_of(alias.canonical_id) is None


def test_deleting_a_group_deletes_its_alias(store):
    """
    A deleted group takes its alias with it.
    """
    alias = store.create_group_alias(mount_accessor=userpass(store), name="g")

    store.delete_group(alias.canonical_id)
    store.delete_group(alias.canonical_id)

    with pytest.raises(NotFoundError):
        store.group_alias(alias.id)


def test_group_alias_updates_from_another_namespace_are_denied(store):
    """
    Updating a group alias from another namespace is permission denied.
    """
    alias = store.create_group_alias(mount_accessor=userpass(store), name="g")
    ns1 = store.add_namespace("ns1").id

    with pytest.raises(PermissionDeniedError) as info:
        store.update_group_alias(alias.id, namespace_id=ns1, name="h")

    assert info.value.rule == "group-alias-other-namespace"
    assert store.group_alias(alias.id) == alias


def test_group_alias_check_finds_a_stale_key_index(store):
    """
    _check_group_aliases() fails when the key index names another alias.
    """
    accessor = store.enable_auth("ldap").accessor
    alias = store.create_group_alias(mount_accessor=accessor, name="devs")
    store._check_group_aliases()
    store._group_alias_keys[(accessor, "devs")] = AliasId("other")

    with pytest.raises(AssertionError, match="group alias key"):
        store._check_group_aliases()
    assert alias.id in store._group_aliases


def test_group_alias_check_finds_an_alias_on_an_internal_group(store):
    """
    _check_group_aliases() fails when an alias sits on an internal group.
    """
    accessor = store.enable_auth("ldap").accessor
    alias = store.create_group_alias(mount_accessor=accessor, name="devs")
    group = store.group(alias.canonical_id)
    store._groups[group.id] = attrs.evolve(group, type=GroupType.INTERNAL)

    with pytest.raises(AssertionError, match="external group"):
        store._check_group_aliases()
