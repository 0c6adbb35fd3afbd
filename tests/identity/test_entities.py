"""
Entities (clientid.identity.entities).
"""

from __future__ import annotations

import pytest
from tests.identity.support import ROOT

from clientid import (
    EntityId,
)


def test_creating_an_existing_name_updates_that_entity(store):
    """
    POST identity/entity with a taken name updates it and takes the case.
    """
    first = store.create_entity(name="bob", policies=["a"])

    second = store.create_entity(name="BOB", policies=["b", "b", " c "])

    assert second.id == first.id
    assert second.name == "BOB"
    assert second.policies == ("b", "c")
    assert store.entity_by_name("Bob") == second


def test_nameless_entities_get_generated_names(store):
    """
    Entities created without a name get distinct entity_ names.
    """
    one = store.create_entity()
    two = store.create_entity()

    assert one.name != two.name
    assert one.name.startswith("entity_")
    assert len(one.name) == len("entity_") + 8


def test_entity_names_are_scoped_to_namespaces(store):
    """
    bob in root and bob in ns1 are different entities.
    """
    ns1 = store.add_namespace("ns1").id

    root_bob = store.create_entity(name="bob")
    ns1_bob = store.create_entity(name="bob", namespace_id=ns1)

    assert root_bob.id != ns1_bob.id


def test_deleting_an_entity_of_another_namespace_is_a_no_op(store):
    """
    Cross-namespace deletes of entities silently do nothing.
    """
    entity = store.create_entity(name="e")
    ns1 = store.add_namespace("ns1").id
    before = store.snapshot()

    store.delete_entity(entity.id, namespace_id=ns1)
    store.delete_entity(EntityId("nope"))

    assert before == store.snapshot()


def test_deleting_an_entity_removes_it_from_groups(store):
    """
    A deleted entity leaves every group it was a member of.
    """
    entity = store.create_entity(name="e")
    group = store.create_group(name="g", member_entity_ids=[entity.id])

    store.delete_entity(entity.id)

    assert store.group(group.id).member_entity_ids == ()


def test_entity_group_ids_split_direct_and_inherited(store):
    """
    Direct groups and their ancestors are reported separately.
    """
    entity = store.create_entity(name="e")
    child = store.create_group(name="c", member_entity_ids=[entity.id])
    parent = store.create_group(name="p", member_group_ids=[child.id])

    direct, inherited = store.entity_group_ids(entity.id)

    assert direct == (child.id,)
    assert inherited == (parent.id,)
    assert store.member_group_ids(parent.id) == (child.id,)


def test_valid_metadata_is_stored_sorted(store):
    """
    Metadata within Vault's limits is kept as sorted pairs.
    """
    entity = store.create_entity(name="e", metadata={"b": "2", "a/=+_-": "1"})

    assert entity.metadata == (("a/=+_-", "1"), ("b", "2"))


def test_entity_check_finds_a_stale_name_index(store):
    """
    _check_entities() fails when the name index outlives a rename.
    """
    entity = store.create_entity(name="alice")
    store._check_entities()
    store._entity_names[(ROOT, "mallory")] = entity.id

    with pytest.raises(AssertionError, match="entity names"):
        store._check_entities()


def test_entity_check_finds_a_merged_id_pointing_elsewhere(store):
    """
    _check_entities() fails when the merge index names another entity.
    """
    keep = store.create_entity(name="keep")
    gone = store.create_entity(name="gone")
    other = store.create_entity(name="other")
    store.merge_entities(keep.id, [gone.id])
    store._check_entities()
    store._merged[gone.id] = other.id

    with pytest.raises(AssertionError, match="merged index"):
        store._check_entities()
