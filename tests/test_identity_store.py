"""
Unit tests for clientid.identity.store: the IdentityStore API piece by piece.

The spec's error catalogue and scenarios live in
tests/acceptance/test_identity_scenarios.py; this file covers the rest of
the API: namespaces, mounts, reads, metadata limits, group aliases,
snapshots and determinism.
"""

from __future__ import annotations

import datetime as dt
import pickle
import runpy
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import (
    IDENTITY_RULES,
    AliasId,
    AuthMount,
    EntityId,
    GroupId,
    GroupType,
    IdentityState,
    IdentityStore,
    MountAccessor,
    Namespace,
    NamespaceId,
    Token,
    TokenRole,
    TokenType,
)
from clientid.errors import (
    IdentityError,
    InvalidModelError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = NamespaceId("root")
ROOT_TOKEN = Token(policies=("root",))


@pytest.fixture
def store() -> IdentityStore:
    return IdentityStore()


def _userpass(store: IdentityStore) -> MountAccessor:
    return store.enable_auth("userpass").accessor


# --------------------------------------------------------------------------
# Refusals outside the spec's catalogue: rule code and unchanged store.
# --------------------------------------------------------------------------


def _ns_reserved(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.add_namespace("sys")


def _ns_bad_path(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.add_namespace("a//b")


def _ns_exists(s: IdentityStore) -> Callable[[], object]:
    s.add_namespace("ns1")
    return lambda: s.add_namespace("/ns1/")


def _ns_no_parent(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.add_namespace("a/b")


def _ns_id_taken(s: IdentityStore) -> Callable[[], object]:
    s.add_namespace("a", namespace_id=NamespaceId("abcde"))
    return lambda: s.add_namespace("b", namespace_id=NamespaceId("abcde"))


def _ns_delete_root(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.delete_namespace(ROOT)


def _ns_delete_parent(s: IdentityStore) -> Callable[[], object]:
    parent = s.add_namespace("a").id
    s.add_namespace("a/b")
    return lambda: s.delete_namespace(parent)


def _ns_unknown(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_entity(namespace_id=NamespaceId("nope"))


def _mount_path_taken(s: IdentityStore) -> Callable[[], object]:
    s.enable_auth("userpass")
    return lambda: s.enable_auth("ldap", path="auth/userpass/")


def _mount_accessor_taken(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.enable_auth("ldap", accessor=accessor)


def _mount_path_empty(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.enable_auth("ldap", path="/")


def _disable_token_mount(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.disable_auth(s.token_mount().accessor)


def _metadata_too_many(s: IdentityStore) -> Callable[[], object]:
    metadata = {f"k{i}": "v" for i in range(65)}
    return lambda: s.create_entity(name="e", metadata=metadata)


def _metadata_key_long(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_entity(name="e", metadata={"k" * 129: "v"})


def _metadata_key_chars(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_entity(name="e", metadata={"a b": "v"})


def _metadata_key_vault(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group(name="g", metadata={"vault-x": "v"})


def _metadata_value_long(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.create_entity_alias(
        mount_accessor=accessor, name="a", custom_metadata={"k": "v" * 513}
    )


def _update_unknown_entity(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.update_entity(EntityId("nope"), name="x")


def _update_entity_other_ns(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.update_entity(entity.id, namespace_id=ns1, name="x")


def _alias_fields_missing(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.create_entity_alias(mount_accessor=accessor, name="")


def _alias_id_invalid(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.update_entity_alias(AliasId("nope"), name="x")


def _alias_update_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=_userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.update_entity_alias(alias.id, namespace_id=ns1)


def _alias_accessor_change(s: IdentityStore) -> Callable[[], object]:
    up, ldap = _userpass(s), s.enable_auth("ldap").accessor
    alias = s.create_entity_alias(mount_accessor=up, name="a")
    s.create_entity_alias(
        mount_accessor=ldap, name="a", canonical_id=alias.canonical_id
    )
    return lambda: s.update_entity_alias(alias.id, mount_accessor=ldap)


def _alias_update_mount_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=_userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    other = s.enable_auth("userpass", namespace_id=ns1).accessor
    return lambda: s.update_entity_alias(alias.id, mount_accessor=other)


def _alias_update_unknown_mount(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=_userpass(s), name="a")
    return lambda: s.update_entity_alias(
        alias.id, mount_accessor=MountAccessor("auth_gone_1")
    )


def _alias_move_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=_userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    other = s.create_entity(name="o", namespace_id=ns1)
    return lambda: s.update_entity_alias(alias.id, canonical_id=other.id)


def _alias_delete_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=_userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.delete_entity_alias(alias.id, namespace_id=ns1)


def _merge_missing_to(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    return lambda: s.merge_entities(EntityId(""), [entity.id])


def _merge_missing_from(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    return lambda: s.merge_entities(entity.id, [])


def _merge_to_other_ns(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    other = s.create_entity(name="o")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.merge_entities(entity.id, [other.id], namespace_id=ns1)


def _group_unknown(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.update_group(GroupId("nope"), name="x")


def _group_other_ns(s: IdentityStore) -> Callable[[], object]:
    group = s.create_group(name="g")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.delete_group(group.id, namespace_id=ns1)


def _group_bad_type(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group(name="g", type="team")


def _group_alias_no_name(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.create_group_alias(mount_accessor=accessor, name="")


def _group_alias_no_accessor(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group_alias(
        mount_accessor=MountAccessor(""), name="g"
    )


def _group_alias_bad_group(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.create_group_alias(
        mount_accessor=accessor, name="g", canonical_id=GroupId("nope")
    )


def _group_alias_group_other_ns(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    ns1 = s.add_namespace("ns1").id
    group = s.create_group(name="g", type="external", namespace_id=ns1)
    return lambda: s.create_group_alias(
        mount_accessor=accessor, name="g", canonical_id=group.id
    )


def _group_alias_unknown_mount(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group_alias(
        mount_accessor=MountAccessor("auth_nope_1"), name="g"
    )


def _group_alias_mount_other_ns(s: IdentityStore) -> Callable[[], object]:
    ns1 = s.add_namespace("ns1").id
    accessor = s.enable_auth("ldap", namespace_id=ns1).accessor
    return lambda: s.create_group_alias(mount_accessor=accessor, name="g")


def _group_alias_unknown_id(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.update_group_alias(AliasId("nope"), name="x")


def _group_alias_update_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_group_alias(mount_accessor=_userpass(s), name="g")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.delete_group_alias(alias.id, namespace_id=ns1)


def _role_unknown(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, role_name="nope")


def _orphan_without_sudo(s: IdentityStore) -> Callable[[], object]:
    parent = s.login(_userpass(s), "a", policies=["p"]).token
    return lambda: s.create_token(parent, no_parent=True)


def _batch_root(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, token_type=TokenType.BATCH)


def _wrapping_policy(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, policies=["response-wrapping"])


def _login_wrapping_policy(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.login(accessor, "a", policies=["control-group"])


def _token_of_deleted_namespace(s: IdentityStore) -> Callable[[], object]:
    ns1 = s.add_namespace("ns1").id
    token = s.create_token(ROOT_TOKEN, namespace_id=ns1, policies=["p"])
    s.delete_namespace(ns1)
    return lambda: s.client_for_token(token)


def _request_in_unknown_namespace(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.client_for_request(ROOT_TOKEN, NamespaceId("nope"))


REFUSALS = [
    pytest.param(
        _ns_reserved, "namespace-name-reserved", id="reserved namespace name"
    ),
    pytest.param(
        _ns_bad_path, "namespace-path-invalid", id="empty namespace segment"
    ),
    pytest.param(_ns_exists, "namespace-exists", id="namespace exists"),
    pytest.param(
        _ns_no_parent,
        "namespace-parent-missing",
        id="namespace without parent",
    ),
    pytest.param(_ns_id_taken, "namespace-id-taken", id="namespace id taken"),
    pytest.param(
        _ns_delete_root, "namespace-root", id="delete root namespace"
    ),
    pytest.param(
        _ns_delete_parent,
        "namespace-has-children",
        id="delete namespace with child",
    ),
    pytest.param(
        _ns_unknown, "namespace-unknown", id="unknown request namespace"
    ),
    pytest.param(_mount_path_taken, "mount-path-taken", id="mount path taken"),
    pytest.param(
        _mount_accessor_taken,
        "mount-accessor-taken",
        id="mount accessor taken",
    ),
    pytest.param(
        _mount_path_empty, "mount-path-invalid", id="empty mount path"
    ),
    pytest.param(
        _disable_token_mount, "mount-token-reserved", id="disable token mount"
    ),
    pytest.param(
        _metadata_too_many, "metadata-too-many", id="too many metadata pairs"
    ),
    pytest.param(
        _metadata_key_long, "metadata-key-too-long", id="metadata key too long"
    ),
    pytest.param(
        _metadata_key_chars,
        "metadata-key-characters",
        id="metadata key characters",
    ),
    pytest.param(
        _metadata_key_vault, "metadata-key-reserved", id="metadata key vault-"
    ),
    pytest.param(
        _metadata_value_long,
        "metadata-value-too-long",
        id="metadata value too long",
    ),
    pytest.param(
        _update_unknown_entity, "entity-id-invalid", id="update unknown entity"
    ),
    pytest.param(
        _update_entity_other_ns,
        "entity-other-namespace",
        id="update entity other ns",
    ),
    pytest.param(
        _alias_fields_missing,
        "alias-fields-missing",
        id="alias fields missing",
    ),
    pytest.param(_alias_id_invalid, "alias-id-invalid", id="alias id invalid"),
    pytest.param(
        _alias_update_other_ns,
        "alias-other-namespace",
        id="update alias other ns",
    ),
    pytest.param(
        _alias_accessor_change,
        "alias-accessor-change-taken",
        id="alias accessor change",
    ),
    pytest.param(
        _alias_update_mount_other_ns,
        "alias-update-mount-other-namespace",
        id="alias mount other ns",
    ),
    pytest.param(
        _alias_update_unknown_mount,
        "alias-mount-unknown",
        id="alias mount unknown",
    ),
    pytest.param(
        _alias_move_other_ns,
        "alias-move-other-namespace",
        id="alias move other ns",
    ),
    pytest.param(
        _alias_delete_other_ns,
        "alias-delete-other-namespace",
        id="delete alias other ns",
    ),
    pytest.param(
        _merge_missing_to, "merge-to-missing", id="merge without target"
    ),
    pytest.param(
        _merge_missing_from, "merge-from-missing", id="merge without sources"
    ),
    pytest.param(
        _merge_to_other_ns,
        "merge-to-other-namespace",
        id="merge target other ns",
    ),
    pytest.param(_group_unknown, "group-id-invalid", id="unknown group"),
    pytest.param(
        _group_other_ns, "group-other-namespace", id="group other ns"
    ),
    pytest.param(_group_bad_type, "group-type-invalid", id="bad group type"),
    pytest.param(
        _group_alias_no_name,
        "group-alias-name-missing",
        id="group alias without name",
    ),
    pytest.param(
        _group_alias_no_accessor,
        "group-alias-accessor-missing",
        id="group alias without mount",
    ),
    pytest.param(
        _group_alias_bad_group,
        "group-alias-canonical-invalid",
        id="group alias bad group",
    ),
    pytest.param(
        _group_alias_group_other_ns,
        "group-alias-group-other-namespace",
        id="group alias group other ns",
    ),
    pytest.param(
        _group_alias_unknown_mount,
        "group-alias-mount-unknown",
        id="group alias unknown mount",
    ),
    pytest.param(
        _group_alias_mount_other_ns,
        "group-alias-mount-other-namespace",
        id="group alias mount other ns",
    ),
    pytest.param(
        _group_alias_unknown_id,
        "group-alias-id-invalid",
        id="group alias unknown id",
    ),
    pytest.param(
        _group_alias_update_other_ns,
        "group-alias-other-namespace",
        id="group alias other ns",
    ),
    pytest.param(_role_unknown, "token-role-unknown", id="unknown token role"),
    pytest.param(
        _orphan_without_sudo, "token-orphan-sudo", id="no_parent without sudo"
    ),
    pytest.param(_batch_root, "token-batch-root", id="batch root token"),
    pytest.param(
        _wrapping_policy,
        "policy-not-assignable",
        id="wrapping policy on create",
    ),
    pytest.param(
        _login_wrapping_policy,
        "policy-not-assignable",
        id="wrapping policy at login",
    ),
    pytest.param(
        _token_of_deleted_namespace,
        "token-namespace-missing",
        id="token of deleted namespace",
    ),
    pytest.param(
        _request_in_unknown_namespace,
        "namespace-unknown",
        id="request in unknown namespace",
    ),
]


@pytest.mark.parametrize(("setup", "rule"), REFUSALS)
def test_refused_operation_names_its_rule_and_changes_nothing(
    store, setup, rule
):
    """
    Each refusal raises its rule's class and message; the store is intact.
    """
    call = setup(store)
    before = store.snapshot()

    with pytest.raises(IdentityError) as info:
        call()

    kind, _ = IDENTITY_RULES[rule]
    assert info.value.rule == rule
    assert type(info.value) is kind
    assert info.value.field
    assert info.value.message.split("{")[0] in str(info.value)
    assert before == store.snapshot()
    store._check()


def test_every_rule_code_has_a_message_and_an_identity_error_class():
    """
    The rule table maps each code to an IdentityError subclass and text.
    """
    for rule, (kind, template) in IDENTITY_RULES.items():
        assert issubclass(kind, IdentityError), rule
        assert template, rule


def test_identity_errors_pickle_with_rule_field_and_value(store):
    """
    A raised identity error survives pickling with its structured data.
    """
    with pytest.raises(InvalidRequestError) as info:
        store.create_entity(name="e", policies=["root"])

    copy = pickle.loads(pickle.dumps(info.value))

    assert (copy.rule, copy.field, copy.value) == (
        "policies-root",
        "policies",
        "root",
    )
    assert str(copy) == str(info.value)


# --------------------------------------------------------------------------
# Namespaces and mounts.
# --------------------------------------------------------------------------


def test_new_store_holds_the_root_namespace_and_its_token_mount(store):
    """
    A fresh store knows root and root's auth/token/ mount.
    """
    mount = store.token_mount()

    assert store.namespace(ROOT) == Namespace.root()
    assert (mount.type, mount.path, mount.namespace_id) == (
        "token",
        "auth/token/",
        ROOT,
    )


def test_add_namespace_canonicalises_and_derives_a_short_id(store):
    """
    Paths gain a trailing slash; IDs are five base62 characters.
    """
    ns1 = store.add_namespace("/ns1")
    child = store.add_namespace("ns1/child")

    assert ns1.path == "ns1/"
    assert child.parent_id == ns1.id
    assert len(child.id) == 5
    assert child.id.isalnum()
    assert store.namespace_by_path("ns1/child") == child


def test_every_namespace_gets_its_own_token_mount(store):
    """
    Token mounts differ per namespace and live in it.
    """
    ns1 = store.add_namespace("ns1").id

    assert store.token_mount(ns1).accessor != store.token_mount().accessor
    assert store.token_mount(ns1).namespace_id == ns1


def test_enable_auth_prefixes_auth_and_derives_accessors(store):
    """
    Mount paths gain auth/ and a slash; accessors look like Vault's.
    """
    mount = store.enable_auth("ldap", path="corp-ldap")

    assert mount.path == "auth/corp-ldap/"
    assert mount.accessor.startswith("auth_ldap_")
    assert store.mount(mount.accessor) == mount


def test_delete_namespace_removes_everything_in_it(store):
    """
    Entities, groups, mounts and roles of a deleted namespace are gone.
    """
    ns1 = store.add_namespace("ns1").id
    accessor = store.enable_auth("userpass", namespace_id=ns1).accessor
    entity = store.login(accessor, "alice").entity
    store.create_group(name="g", namespace_id=ns1)
    store.add_token_role(TokenRole(name="r", namespace_id=ns1))
    assert entity is not None

    store.delete_namespace(ns1)

    state = store.snapshot()
    assert [n.id for n in state.namespaces] == [ROOT]
    assert state.entities == state.groups == state.token_roles == ()
    assert [m.accessor for m in state.mounts] == [store.token_mount().accessor]
    with pytest.raises(NotFoundError):
        store.entity(entity.id)


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s.namespace(NamespaceId("x")),
        lambda s: s.namespace_by_path("x"),
        lambda s: s.mount(MountAccessor("x")),
        lambda s: s.entity(EntityId("x")),
        lambda s: s.entity_by_name("x"),
        lambda s: s.alias(AliasId("x")),
        lambda s: s.alias_by_factors(MountAccessor("m"), "x"),
        lambda s: s.group(GroupId("x")),
        lambda s: s.group_by_name("x"),
        lambda s: s.group_alias(AliasId("x")),
        lambda s: s.token_role("x"),
        lambda s: s.entity_aliases(EntityId("x")),
        lambda s: s.member_group_ids(GroupId("x")),
    ],
)
def test_reads_of_unknown_objects_raise_not_found(store, read):
    """
    Every read names what is missing with a NotFoundError.
    """
    with pytest.raises(NotFoundError) as info:
        read(store)

    assert info.value.http_status == 404
    assert info.value.value == "x"


# --------------------------------------------------------------------------
# Entities.
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Groups and group aliases.
# --------------------------------------------------------------------------


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


def test_new_group_alias_replaces_the_groups_old_alias(store):
    """
    One alias per external group: attaching a second replaces the first.
    """
    accessor = _userpass(store)
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
    accessor = _userpass(store)
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
    alias = store.create_group_alias(mount_accessor=_userpass(store), name="g")

    store.delete_group_alias(alias.id)
    store.delete_group_alias(alias.id)

    assert store.group(alias.canonical_id).type is GroupType.EXTERNAL
    assert store.group_alias_of(alias.canonical_id) is None


def test_deleting_a_group_deletes_its_alias(store):
    """
    A deleted group takes its alias with it.
    """
    alias = store.create_group_alias(mount_accessor=_userpass(store), name="g")

    store.delete_group(alias.canonical_id)
    store.delete_group(alias.canonical_id)

    with pytest.raises(NotFoundError):
        store.group_alias(alias.id)


def test_external_group_without_alias_loses_members_at_next_login(store):
    """
    An external group whose alias was deleted drops the entity on refresh.
    """
    accessor = _userpass(store)
    alias = store.create_group_alias(mount_accessor=accessor, name="devs")
    store.login(accessor, "alice", group_aliases=["devs"])
    store.delete_group_alias(alias.id)

    store.login(accessor, "alice", group_aliases=["devs"])

    assert store.group(alias.canonical_id).member_entity_ids == ()


# --------------------------------------------------------------------------
# Tokens and roles.
# --------------------------------------------------------------------------


def test_roles_are_stored_normalised(store):
    """
    Roles keep lower-cased, sorted entity aliases and sanitized policies.
    """
    store.add_token_role(
        TokenRole(
            name="r",
            allowed_entity_aliases=("B*", "a", "A"),
            allowed_policies=("X ", "y"),
        )
    )

    role = store.token_role("r")

    assert role.allowed_entity_aliases == ("a", "b*")
    assert role.allowed_policies == ("x", "y")


def test_deleted_roles_cannot_be_used(store):
    """
    A deleted role is unknown to token creation.
    """
    store.add_token_role(TokenRole(name="r"))

    store.delete_token_role("r")

    with pytest.raises(InvalidRequestError):
        store.create_token(ROOT_TOKEN, role_name="r")


def test_orphan_roles_issue_orphans_without_the_parents_entity(store):
    """
    A role with orphan=true cuts the entity inheritance.
    """
    parent = store.login(_userpass(store), "a", policies=["p"]).token
    store.add_token_role(TokenRole(name="r", orphan=True))

    token = store.create_token(parent, role_name="r")

    assert token.orphan
    assert token.entity_id is None


def test_role_glob_policies_allow_matching_names(store):
    """
    allowed_policies_glob admits policies matching a * glob.
    """
    store.add_token_role(
        TokenRole(name="r", allowed_policies_glob=("team-*-read",))
    )

    token = store.create_token(
        ROOT_TOKEN, role_name="r", policies=["team-a-read"]
    )

    assert token.policies == ("default", "team-a-read")


def test_role_disallowing_default_leaves_it_out(store):
    """
    A role that disallows default never adds it.
    """
    store.add_token_role(TokenRole(name="r", disallowed_policies=("default",)))

    token = store.create_token(ROOT_TOKEN, role_name="r", policies=["app"])

    assert token.policies == ("app",)


def test_non_sudo_child_gets_default_only_if_the_parent_has_it(store):
    """
    A non-sudo child of a default-less parent gets no default.
    """
    parent = store.login(
        _userpass(store), "a", policies=["p", "q"], no_default_policy=True
    ).token

    child = store.create_token(parent, policies=["p"])

    assert parent.policies == ("p", "q")
    assert child.policies == ("p",)


def test_tokens_of_a_child_namespace_are_attributed_there(store):
    """
    A token created in ns1 lives in ns1 and counts on ns1's token mount.
    """
    ns1 = store.add_namespace("ns1").id

    token = store.create_token(ROOT_TOKEN, namespace_id=ns1, policies=["p"])
    client = store.client_for_token(token)

    assert client is not None
    assert client.namespace_id == ns1
    assert client.mount_accessor == store.token_mount(ns1).accessor


def test_login_reports_only_known_group_aliases_and_time(store):
    """
    The login result echoes matching group aliases; the token keeps at.
    """
    accessor = _userpass(store)
    store.create_group_alias(mount_accessor=accessor, name="devs")
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    result = store.login(
        accessor, "a", group_aliases=iter(["x", "devs"]), at=at
    )

    assert result.group_aliases == ("devs",)
    assert result.token.creation_time == at


def test_effective_policies_of_a_disabled_entity_are_denied(store):
    """
    A disabled entity's token has no effective policies, only a denial.
    """
    token = store.login(_userpass(store), "a").token
    assert token.entity_id is not None
    store.disable_entity(token.entity_id)

    with pytest.raises(PermissionDeniedError):
        store.effective_policies(token)


def test_no_identity_policies_ignores_entity_and_groups(store):
    """
    A token marked no_identity_policies gets its own policies only.
    """
    result = store.login(_userpass(store), "a", policies=["p"])
    assert result.entity is not None
    store.update_entity(result.entity.id, policies=["e"])

    policies = store.effective_policies(
        result.token, no_identity_policies=True
    )

    assert policies.policies == ("default", "p")


# --------------------------------------------------------------------------
# Snapshots and determinism.
# --------------------------------------------------------------------------


def _populated() -> IdentityStore:
    store = IdentityStore()
    accessor = store.enable_auth("userpass").accessor
    ns1 = store.add_namespace("ns1").id
    store.enable_auth("ldap", namespace_id=ns1)
    for name in ["carol", "alice", "bob"]:
        store.login(accessor, name)
    store.create_group(name="g", policies=["x"])
    store.create_group_alias(mount_accessor=accessor, name="devs")
    store.add_token_role(TokenRole(name="r"))
    return store


def test_snapshot_is_sorted_and_round_trips():
    """
    Snapshots hold sorted tuples and rebuild an identical store.
    """
    state = _populated().snapshot()

    rebuilt = IdentityStore.from_snapshot(state)

    assert [e.id for e in state.entities] == sorted(
        e.id for e in state.entities
    )
    assert rebuilt.snapshot() == state


def test_rebuilt_store_mints_the_same_ids_as_the_original():
    """
    A store rebuilt from a snapshot continues exactly like the original.
    """
    original = _populated()
    rebuilt = IdentityStore.from_snapshot(original.snapshot())

    one = original.create_entity()
    two = rebuilt.create_entity()

    assert one == two


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: attrs.evolve(s, namespaces=()), "namespaces"),
        (
            lambda s: attrs.evolve(
                s, mounts=tuple(m for m in s.mounts if m.type != "token")
            ),
            "mounts",
        ),
        (lambda s: attrs.evolve(s, entities=s.entities * 2), "entities"),
        (lambda s: attrs.evolve(s, entities=()), "entity_aliases"),
        (lambda s: attrs.evolve(s, groups=s.groups * 2), "groups"),
        (
            lambda s: attrs.evolve(s, group_aliases=s.group_aliases * 2),
            "group_aliases",
        ),
        (
            lambda s: attrs.evolve(
                s, entity_aliases=s.entity_aliases + s.entity_aliases[:1]
            ),
            "entity_aliases",
        ),
    ],
)
def test_inconsistent_snapshots_are_refused(change, field):
    """
    from_snapshot rejects states that break the store's invariants.
    """
    state = change(_populated().snapshot())

    with pytest.raises(InvalidModelError) as info:
        IdentityStore.from_snapshot(state)

    assert info.value.field == field


def test_snapshot_refuses_a_namespace_whose_parent_is_missing():
    """
    A child namespace needs its parent in the state.
    """
    child = Namespace(
        id=NamespaceId("abcde"), path="a/", parent_id=NamespaceId("zzzzz")
    )
    state = IdentityState(
        namespaces=(Namespace.root(), child),
        mounts=(
            AuthMount(
                accessor=MountAccessor("t"), type="token", path="auth/token/"
            ),
        ),
    )

    with pytest.raises(InvalidModelError) as info:
        IdentityStore.from_snapshot(state)

    assert info.value.value == "abcde"


_REPLAY = """
from clientid import IdentityStore
s = IdentityStore()
a = s.enable_auth("userpass").accessor
ns = s.add_namespace("ns1").id
for n in ["zed", "amy", "Bob", "bob", "cy"]:
    s.login(a, n, group_aliases=["g"])
members = [e.id for e in s.snapshot().entities]
s.create_group(name="g", member_entity_ids=members)
print(repr(s.snapshot()))
"""


def test_replays_are_identical_under_any_hash_seed():
    """
    The same operations give the same snapshot under different hash seeds.
    """
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _REPLAY],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "12345")
    ]

    assert outputs[0] == outputs[1] == outputs[2]
    assert "entity_" in outputs[0]


def test_implicit_entity_agrees_with_the_separate_recipes():
    """
    implicit_entity hashes once but equals implicit_entity_id and _name.
    """
    from clientid.model.hashing import (  # noqa: PLC0415 (private helpers)
        implicit_entity,
        implicit_entity_id,
        implicit_entity_name,
    )

    entity_id, name, alias_id = implicit_entity("root", "auth_up_1", "Alice")

    assert entity_id == implicit_entity_id("root", "auth_up_1", "alice")
    assert name == implicit_entity_name("root", "auth_up_1", "ALICE")
    assert alias_id not in {entity_id, name}


def test_login_mints_the_same_alias_id_in_every_replay():
    """
    The implicit alias ID is derived, like the entity ID, from the login.
    """
    first, second = IdentityStore(), IdentityStore()

    a = first.login(first.enable_auth("userpass").accessor, "alice").alias
    b = second.login(second.enable_auth("userpass").accessor, "ALICE").alias

    assert a is not None
    assert b is not None
    assert a.id == b.id


_ROOT_DIR = Path(__file__).resolve().parent.parent


def test_identity_docs_list_every_rule_code():
    """
    docs/identity.md names every rule code the store can raise.
    """
    text = (_ROOT_DIR / "docs" / "identity.md").read_text(encoding="utf-8")

    missing = [rule for rule in IDENTITY_RULES if f"`{rule}`" not in text]

    assert missing == []


def test_vault_world_example_counts_its_clients(capsys):
    """
    examples/vault_world.py runs and reports eight distinct clients.
    """
    runpy.run_path(
        str(_ROOT_DIR / "examples" / "vault_world.py"), run_name="__main__"
    )

    out = capsys.readouterr().out
    assert "total      8 distinct clients" in out
    assert "non-entity-token" in out


def test_add_namespace_accepts_a_namespace_object(store):
    """
    A hand-built Namespace is added as it is, with its token mount.
    """
    namespace = Namespace(
        id=NamespaceId("team1"), path="team/", parent_id=ROOT
    )

    added = store.add_namespace(namespace)

    assert added == namespace
    assert store.token_mount(namespace.id).namespace_id == namespace.id


def test_add_namespace_refuses_a_wrong_parent(store):
    """
    A Namespace whose parent_id is not its path's parent is refused.
    """
    store.add_namespace("a", namespace_id=NamespaceId("aaaaa"))
    wrong = Namespace(id=NamespaceId("bbbbb"), path="a/b/", parent_id=ROOT)

    with pytest.raises(InvalidRequestError) as info:
        store.add_namespace(wrong)

    assert info.value.rule == "namespace-parent-missing"


def test_add_mount_adds_a_hand_built_mount(store):
    """
    add_mount takes an AuthMount with its own accessor.
    """
    mount = AuthMount(
        accessor=MountAccessor("auth_userpass_0000aaaa"),
        type="userpass",
        path="auth/userpass/",
    )

    store.add_mount(mount)
    result = store.login(mount.accessor, "alice")

    assert store.mount(mount.accessor) == mount
    assert result.token.mount_accessor == mount.accessor


@pytest.mark.parametrize(
    ("mount", "rule"),
    [
        (
            AuthMount(
                accessor=MountAccessor("x"), type="t", path="auth/token/"
            ),
            "mount-path-taken",
        ),
        (
            AuthMount(
                accessor=MountAccessor("x"),
                type="t",
                path="auth/t/",
                namespace_id=NamespaceId("nope"),
            ),
            "namespace-unknown",
        ),
    ],
)
def test_add_mount_refuses_taken_paths_and_unknown_namespaces(
    store, mount, rule
):
    """
    add_mount refuses a taken path or a missing namespace.
    """
    with pytest.raises(IdentityError) as info:
        store.add_mount(mount)

    assert info.value.rule == rule


def test_add_mount_refuses_a_taken_accessor(store):
    """
    Two mounts cannot share an accessor.
    """
    accessor = store.token_mount().accessor
    mount = AuthMount(accessor=accessor, type="userpass", path="auth/up/")

    with pytest.raises(InvalidRequestError) as info:
        store.add_mount(mount)

    assert info.value.rule == "mount-accessor-taken"


def test_repeated_login_reuses_its_result_until_something_changes(store):
    """
    A repeat login returns the same result object; a change rebuilds it.
    """
    accessor = _userpass(store)
    first = store.login(accessor, "alice", policies=["p"])
    assert first.entity is not None

    again = store.login(accessor, "ALICE", policies=("p",))
    store.update_entity(first.entity.id, policies=["e"])
    changed = store.login(accessor, "alice", policies=("p",))

    assert again is not first
    assert store.login(accessor, "alice", policies=("p",)) is changed
    assert again.token == first.token
    assert changed.entity is not None
    assert changed.entity.policies == ("e",)


def test_group_policy_mode_accepts_vaults_strings(store):
    """
    effective_policies takes the mode's Vault string too, and no other.
    """
    token = store.login(_userpass(store), "alice").token

    policies = store.effective_policies(token, mode="any")
    with pytest.raises(InvalidRequestError) as info:
        store.effective_policies(token, mode="everywhere")

    assert policies.policies == ("default",)
    assert info.value.rule == "policy-mode-invalid"


def test_alias_names_fold_as_gos_to_lower(store):
    """
    Non-ASCII alias names match case-insensitively, İ folding to i.
    """
    accessor = _userpass(store)
    first = store.login(accessor, "\u0130rem")

    again = store.login(accessor, "irem")
    greek = store.login(accessor, "\u03a3\u039f\u03a6\u0399\u0391")

    assert again.entity == first.entity
    assert store.login(accessor, "\u03c3\u03bf\u03c6\u03b9\u03b1").entity == (
        greek.entity
    )


@pytest.mark.parametrize(
    ("pattern", "alias", "allowed"),
    [
        ("build", "build", True),  # no wildcard: exact match only
        ("build", "build-1", False),
        ("b*-*-x", "build-web-x", True),  # several wildcards in order
        ("b*-*-x", "build-web", False),
        ("*web*", "my-web-app", True),
        ("a*a", "a", False),  # prefix and suffix must not overlap
    ],
)
def test_entity_alias_globs_match_only_star_wildcards(
    store, pattern, alias, allowed
):
    """
    allowed_entity_aliases globs support * only, as Vault's glob does.
    """
    store.add_token_role(
        TokenRole(name="r", allowed_entity_aliases=(pattern,))
    )

    if allowed:
        token = store.create_token(
            ROOT_TOKEN, role_name="r", entity_alias=alias
        )
        assert token.entity_id is not None
    else:
        with pytest.raises(InvalidRequestError) as info:
            store.create_token(ROOT_TOKEN, role_name="r", entity_alias=alias)
        assert info.value.rule == "token-entity-alias-not-allowed"


def test_valid_metadata_is_stored_sorted(store):
    """
    Metadata within Vault's limits is kept as sorted pairs.
    """
    entity = store.create_entity(name="e", metadata={"b": "2", "a/=+_-": "1"})

    assert entity.metadata == (("a/=+_-", "1"), ("b", "2"))


def test_merge_keeping_the_targets_alias_deletes_the_sources(store):
    """
    Keeping the target's alias deletes the from-entity's clashing alias.
    """
    accessor = _userpass(store)
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
    accessor = _userpass(store)
    a = store.create_entity(name="a")
    old = store.login(accessor, "b").token
    assert old.entity_id is not None
    store.merge_entities(a.id, [old.entity_id])

    store.delete_entity(a.id)

    with pytest.raises(PermissionDeniedError) as info:
        store.client_for_token(old)
    assert info.value.rule == "token-entity-missing"


def test_updating_an_alias_with_its_own_data_is_a_no_op(store):
    """
    update_entity_alias with nothing new changes nothing.
    """
    alias = store.create_entity_alias(
        mount_accessor=_userpass(store), name="a"
    )
    before = store.snapshot()

    same = store.update_entity_alias(alias.id, canonical_id=alias.canonical_id)

    assert same == alias
    assert before == store.snapshot()


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


def test_group_alias_updates_from_another_namespace_are_denied(store):
    """
    Updating a group alias from another namespace is permission denied.
    """
    alias = store.create_group_alias(mount_accessor=_userpass(store), name="g")
    ns1 = store.add_namespace("ns1").id

    with pytest.raises(PermissionDeniedError) as info:
        store.update_group_alias(alias.id, namespace_id=ns1, name="h")

    assert info.value.rule == "group-alias-other-namespace"
    assert store.group_alias(alias.id) == alias


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


@given(
    logins=st.lists(
        st.tuples(
            st.sampled_from(["userpass", "ldap"]),
            st.sampled_from(
                ["alice", "Alice", "bob", "BOB", "carol", "\u0130x", "ix"]
            ),
        ),
        max_size=12,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_login_order_does_not_change_the_resulting_entities(logins, seed):
    """
    Replaying the same logins in another order yields the same entities.
    """

    def replay(order: list[tuple[str, str]]) -> tuple[object, ...]:
        store = IdentityStore()
        mounts = {
            kind: store.enable_auth(kind).accessor
            for kind in ("userpass", "ldap")
        }
        for kind, name in order:
            store.login(mounts[kind], name)
        return store.snapshot().entities

    shuffled = list(logins)
    seed.shuffle(shuffled)

    assert replay(logins) == replay(shuffled)


def test_repr_counts_what_the_store_holds(store):
    """
    The repr summarises the store without dumping it.
    """
    store.login(_userpass(store), "alice")

    assert repr(store) == (
        "<IdentityStore: 1 namespaces, 2 mounts, 1 entities, 1 aliases,"
        " 0 groups>"
    )


def test_rule_table_is_read_only():
    """
    IDENTITY_RULES cannot be changed by a host.
    """
    with pytest.raises(TypeError):
        IDENTITY_RULES["x"] = (InvalidRequestError, "x")  # type: ignore[index]


def test_snapshot_keeps_the_local_mount_entities_setting():
    """
    A store rebuilt from a snapshot keeps skipping identity on local mounts.
    """
    store = IdentityStore(disable_local_auth_mount_entities=True)
    local = store.enable_auth("userpass", local=True).accessor

    rebuilt = IdentityStore.from_snapshot(store.snapshot())

    assert rebuilt.snapshot() == store.snapshot()
    assert rebuilt.login(local, "alice").entity is None


def test_dotted_capital_i_derives_the_same_entity_in_either_login_order():
    """
    İx and ix share an alias key, so whichever logs in first, one entity ID.
    """

    def first_entity(names: tuple[str, str]) -> object:
        store = IdentityStore()
        accessor = store.enable_auth("userpass").accessor
        results = [store.login(accessor, name) for name in names]
        assert results[0].entity == results[1].entity
        return results[0].entity

    assert first_entity(("\u0130x", "ix")) == first_entity(("ix", "\u0130x"))


def _login_policies(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.login(accessor, "alice", policies="dev")


def _login_group_aliases(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.login(accessor, "alice", group_aliases="devs")


def _login_without_alias(s: IdentityStore) -> Callable[[], object]:
    accessor = _userpass(s)
    return lambda: s.login(accessor, None, group_aliases="devs")


def _create_entity_policies(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_entity(name="e", policies="dev")


def _update_entity_policies(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    return lambda: s.update_entity(entity.id, policies="dev")


def _create_group_policies(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group(name="g", policies="dev")


def _create_group_members(s: IdentityStore) -> Callable[[], object]:
    entity = s.create_entity(name="e")
    # The wrong type is the point: the store must refuse it at run time.
    return lambda: s.create_group(
        name="g",
        member_entity_ids=entity.id,  # type: ignore[arg-type]
    )


def _update_group_subgroups(s: IdentityStore) -> Callable[[], object]:
    child = s.create_group(name="child")
    group = s.create_group(name="g")
    return lambda: s.update_group(
        group.id,
        member_group_ids=child.id,  # type: ignore[arg-type]
    )


def _merge_from(s: IdentityStore) -> Callable[[], object]:
    target = s.create_entity(name="t")
    return lambda: s.merge_entities(target.id, "abc")  # type: ignore[arg-type]


def _merge_keep(s: IdentityStore) -> Callable[[], object]:
    target = s.create_entity(name="t")
    source = s.create_entity(name="s")
    return lambda: s.merge_entities(
        target.id,
        [source.id],
        conflicting_alias_ids_to_keep="abc",  # type: ignore[arg-type]
    )


def _create_token_policies(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, policies="dev")


def _renew_group_aliases(s: IdentityStore) -> Callable[[], object]:
    token = s.login(_userpass(s), "alice").token
    return lambda: s.renew_token(token, group_aliases="devs")


def _existing_policies(s: IdentityStore) -> Callable[[], object]:
    token = s.login(_userpass(s), "alice").token
    return lambda: s.effective_policies(token, existing_policies={ROOT: "dev"})


@pytest.mark.parametrize(
    ("setup", "field"),
    [
        pytest.param(_login_policies, "policies", id="login policies"),
        pytest.param(
            _login_group_aliases, "group_aliases", id="login group_aliases"
        ),
        pytest.param(
            _login_without_alias, "group_aliases", id="login without alias"
        ),
        pytest.param(_create_entity_policies, "policies", id="create_entity"),
        pytest.param(_update_entity_policies, "policies", id="update_entity"),
        pytest.param(_create_group_policies, "policies", id="create_group"),
        pytest.param(
            _create_group_members, "member_entity_ids", id="group members"
        ),
        pytest.param(
            _update_group_subgroups, "member_group_ids", id="group subgroups"
        ),
        pytest.param(_merge_from, "from_entity_ids", id="merge from"),
        pytest.param(
            _merge_keep, "conflicting_alias_ids_to_keep", id="merge keep"
        ),
        pytest.param(_create_token_policies, "policies", id="create_token"),
        pytest.param(_renew_group_aliases, "group_aliases", id="renew_token"),
        pytest.param(
            _existing_policies,
            "existing_policies['root']",
            id="effective_policies",
        ),
    ],
)
def test_a_single_string_for_an_iterable_is_refused(store, setup, field):
    """
    A str where an iterable of strings belongs raises, naming the parameter.
    """
    call = setup(store)
    before = store.snapshot()

    with pytest.raises(InvalidModelError) as info:
        call()

    assert info.value.field == field
    assert info.value.rule == (
        "must be an iterable of strings, not a single string"
    )
    assert isinstance(info.value.value, str)
    assert before == store.snapshot()
