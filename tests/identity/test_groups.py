"""
Groups and the external group refresh (clientid.identity.groups).
"""

from __future__ import annotations

import attrs
import pytest
from tests.identity.support import userpass

from clientid.errors import (
    PermissionDeniedError,
)


def test_empty_member_group_ids_clears_subgroups(store):
    """
    member_group_ids=() removes every subgroup; None leaves them.
    """
    child = store.create_group(name="c")
    parent = store.create_group(name="p", member_group_ids=[child.id])

    store.update_group(parent.id, policies=["x"])
    kept = store.member_group_ids(parent.id)
    store.update_group(parent.id, member_group_ids=())

    assert kept == (child.id,)
    assert store.member_group_ids(parent.id) == ()
    assert store.group(child.id).parent_group_ids == ()


def test_group_policies_dedupe_case_insensitively_in_order(store):
    """
    Group policies keep order and first case, dropping case duplicates.
    """
    group = store.create_group(name="g", policies=["B", "a", "b", ""])

    assert group.policies == ("B", "a")


def test_external_group_without_alias_loses_members_at_next_login(store):
    """
    An external group whose alias was deleted drops the entity on refresh.
    """
    accessor = userpass(store)
    alias = store.create_group_alias(mount_accessor=accessor, name="devs")
    store.login(accessor, "alice", group_aliases=["devs"])
    store.delete_group_alias(alias.id)

    store.login(accessor, "alice", group_aliases=["devs"])

    assert store.group(alias.canonical_id).member_entity_ids == ()


def test_nameless_groups_get_generated_names(store):
    """
    Groups created without a name get distinct group_ names.
    """
    one = store.create_group()
    two = store.create_group()

    assert one.name != two.name
    assert one.name.startswith("group_")
    assert store.group_by_name(one.name.upper()) == one


def test_re_adding_an_existing_subgroup_changes_nothing(store):
    """
    Listing a subgroup that is already a child keeps its parent list.
    """
    child = store.create_group(name="c")
    parent = store.create_group(name="p", member_group_ids=[child.id])

    store.update_group(parent.id, member_group_ids=[child.id])

    assert store.group(child.id).parent_group_ids == (parent.id,)


def test_group_updates_from_another_namespace_are_denied(store):
    """
    Updating a group from another namespace is permission denied.
    """
    group = store.create_group(name="g")
    ns1 = store.add_namespace("ns1").id

    with pytest.raises(PermissionDeniedError) as info:
        store.update_group(group.id, namespace_id=ns1, policies=["x"])

    assert info.value.rule == "group-other-namespace"


def test_group_check_finds_a_cycle(store):
    """
    _check_groups() fails on a subgroup cycle written behind its back.
    """
    parent = store.create_group(name="parent")
    child = store.create_group(name="child", member_group_ids=[])
    store.update_group(parent.id, member_group_ids=[child.id])
    store._check_groups()
    store._put_group(
        attrs.evolve(store.group(parent.id), parent_group_ids=(child.id,))
    )

    with pytest.raises(AssertionError, match="group cycle"):
        store._check_groups()


def test_group_check_finds_a_stale_member_index(store):
    """
    _check_groups() fails when an entity's group index names a non-member.
    """
    entity = store.create_entity(name="alice")
    group = store.create_group(name="g")
    store._entity_groups[entity.id] = {group.id}

    with pytest.raises(AssertionError, match="entity group index"):
        store._check_groups()
