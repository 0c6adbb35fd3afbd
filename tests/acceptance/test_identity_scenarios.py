"""
Table-driven scenarios from Vault's documented identity behaviour.

Every row of the error catalogue (spec/vault-identity.md section 11) is
reproduced through the public API: the error class, Vault's message, the
stable rule code, and an unchanged store afterwards.  The scenarios below
the table follow the spec's sections on login resolution, merges, groups,
namespaces and token creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import attrs
import pytest

from clientid import (
    IDENTITY_RULES,
    AliasId,
    ClientId,
    ClientType,
    EntityId,
    GroupId,
    GroupPolicyApplication,
    GroupType,
    IdentityStore,
    MountAccessor,
    NamespaceId,
    Token,
    TokenRole,
    TokenType,
    non_entity_client_id,
)
from clientid.errors import (
    IdentityError,
    InternalError,
    InvalidRequestError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = NamespaceId("root")
ROOT_TOKEN = Token(policies=("root",), orphan=True)


@dataclass
class World:
    """A small Vault: root and ns1/ with userpass mounts, a local mount."""

    store: IdentityStore
    userpass: MountAccessor
    ldap: MountAccessor
    local: MountAccessor
    ns1: NamespaceId
    ns1_userpass: MountAccessor


def make_world() -> World:
    store = IdentityStore()
    userpass = store.enable_auth("userpass").accessor
    ldap = store.enable_auth("ldap").accessor
    local = store.enable_auth("userpass", path="local-up", local=True).accessor
    ns1 = store.add_namespace("ns1").id
    ns1_userpass = store.enable_auth("userpass", namespace_id=ns1).accessor
    return World(store, userpass, ldap, local, ns1, ns1_userpass)


# --------------------------------------------------------------------------
# Section 11: the error catalogue, one row per situation.
# --------------------------------------------------------------------------


def _unknown_accessor(w: World) -> Callable[[], object]:
    return lambda: w.store.login(MountAccessor("auth_nope_1"), "alice")


def _mount_type_mismatch(w: World) -> Callable[[], object]:
    return lambda: w.store.login(w.userpass, "alice", mount_type="ldap")


def _empty_alias_name(w: World) -> Callable[[], object]:
    return lambda: w.store.login(w.userpass, "")


def _login_disabled(w: World) -> Callable[[], object]:
    entity = w.store.login(w.userpass, "alice").entity
    assert entity is not None
    w.store.disable_entity(entity.id)
    return lambda: w.store.login(w.userpass, "alice")


def _request_disabled(w: World) -> Callable[[], object]:
    token = w.store.login(w.userpass, "alice").token
    assert token.entity_id is not None
    w.store.disable_entity(token.entity_id)
    return lambda: w.store.client_for_token(token)


def _request_deleted(w: World) -> Callable[[], object]:
    token = w.store.login(w.userpass, "alice").token
    assert token.entity_id is not None
    w.store.delete_entity(token.entity_id)
    return lambda: w.store.client_for_token(token)


def _login_root(w: World) -> Callable[[], object]:
    return lambda: w.store.login(w.userpass, "alice", policies=["Root "])


def _with_policies(
    w: World, object_id: str, policies: tuple[str, ...]
) -> None:
    """Give one entity or group *policies* the API refuses, via a snapshot."""
    state = w.store.snapshot()
    w.store = IdentityStore.from_snapshot(
        attrs.evolve(
            state,
            entities=tuple(
                attrs.evolve(e, policies=policies) if e.id == object_id else e
                for e in state.entities
            ),
            groups=tuple(
                attrs.evolve(g, policies=policies) if g.id == object_id else g
                for g in state.groups
            ),
        )
    )


def _login_root_entity_policy(w: World) -> Callable[[], object]:
    entity = w.store.login(w.userpass, "alice").entity
    assert entity is not None
    _with_policies(w, entity.id, ("dev", "Root"))
    return lambda: w.store.login(w.userpass, "alice")


def _login_root_group_policy(w: World) -> Callable[[], object]:
    entity = w.store.login(w.userpass, "alice").entity
    assert entity is not None
    inner = w.store.create_group(name="inner", member_entity_ids=[entity.id])
    outer = w.store.create_group(name="outer", member_group_ids=[inner.id])
    _with_policies(w, outer.id, (" ROOT ",))
    return lambda: w.store.login(w.userpass, "alice")


def _login_joins_root_group(w: World) -> Callable[[], object]:
    admins = w.store.create_group_alias(mount_accessor=w.ldap, name="admins")
    w.store.login(w.ldap, "alice")
    _with_policies(w, admins.canonical_id, ("Root",))
    return lambda: w.store.login(w.ldap, "alice", group_aliases=["admins"])


def _api_alias_unknown_accessor(w: World) -> Callable[[], object]:
    return lambda: w.store.create_entity_alias(
        mount_accessor=MountAccessor("auth_nope_1"), name="alice"
    )


def _api_alias_other_ns_mount(w: World) -> Callable[[], object]:
    return lambda: w.store.create_entity_alias(
        mount_accessor=w.ns1_userpass, name="alice"
    )


def _api_alias_second_on_mount(w: World) -> Callable[[], object]:
    entity = w.store.create_entity(name="bob")
    w.store.create_entity_alias(
        mount_accessor=w.userpass, name="bob", canonical_id=entity.id
    )
    return lambda: w.store.create_entity_alias(
        mount_accessor=w.userpass, name="robert", canonical_id=entity.id
    )


def _api_alias_move_onto_taken(w: World) -> Callable[[], object]:
    bob = w.store.create_entity(name="bob")
    carol = w.store.create_entity(name="carol")
    w.store.create_entity_alias(
        mount_accessor=w.userpass, name="bob", canonical_id=bob.id
    )
    alias = w.store.create_entity_alias(
        mount_accessor=w.userpass, name="carol", canonical_id=carol.id
    )
    return lambda: w.store.update_entity_alias(alias.id, canonical_id=bob.id)


def _api_alias_rename_onto_other(w: World) -> Callable[[], object]:
    w.store.login(w.userpass, "bob")
    alias = w.store.login(w.userpass, "carol").alias
    assert alias is not None
    return lambda: w.store.update_entity_alias(alias.id, name="BOB")


def _api_alias_move_local(w: World) -> Callable[[], object]:
    alias = w.store.login(w.local, "alice").alias
    other = w.store.create_entity(name="other")
    assert alias is not None
    return lambda: w.store.update_entity_alias(alias.id, canonical_id=other.id)


def _api_alias_bad_canonical_create(w: World) -> Callable[[], object]:
    return lambda: w.store.create_entity_alias(
        mount_accessor=w.userpass,
        name="alice",
        canonical_id=EntityId("no-such-entity"),
    )


def _api_alias_bad_canonical_update(w: World) -> Callable[[], object]:
    alias = w.store.login(w.userpass, "alice").alias
    assert alias is not None
    return lambda: w.store.update_entity_alias(
        alias.id, canonical_id=EntityId("no-such-entity")
    )


def _api_alias_canonical_other_ns(w: World) -> Callable[[], object]:
    entity = w.store.create_entity(name="bob", namespace_id=w.ns1)
    return lambda: w.store.create_entity_alias(
        mount_accessor=w.userpass, name="bob", canonical_id=entity.id
    )


def _entity_name_taken(w: World) -> Callable[[], object]:
    w.store.create_entity(name="bob")
    carol = w.store.create_entity(name="carol")
    return lambda: w.store.update_entity(carol.id, name="BOB")


def _entity_policies_root(w: World) -> Callable[[], object]:
    return lambda: w.store.create_entity(name="x", policies=["dev", "root"])


def _entity_policies_root_any_case(w: World) -> Callable[[], object]:
    entity = w.store.create_entity(name="x", policies=["dev"])
    return lambda: w.store.update_entity(entity.id, policies=["dev", " Root"])


def _group_policies_root(w: World) -> Callable[[], object]:
    return lambda: w.store.create_group(name="g", policies=["root"])


def _group_policies_root_any_case(w: World) -> Callable[[], object]:
    return lambda: w.store.create_group(name="g", policies=["ROOT"])


def _merge_to_in_from(w: World) -> Callable[[], object]:
    a = w.store.create_entity(name="a")
    return lambda: w.store.merge_entities(a.id, [a.id])


def _two_entities_on_one_mount(w: World) -> tuple[EntityId, EntityId]:
    a = w.store.login(w.userpass, "a").entity
    b = w.store.login(w.userpass, "b").entity
    assert a is not None
    assert b is not None
    return a.id, b.id


def _merge_clash(w: World) -> Callable[[], object]:
    a, b = _two_entities_on_one_mount(w)
    return lambda: w.store.merge_entities(a, [b])


def _merge_keep_names_neither(w: World) -> Callable[[], object]:
    a, b = _two_entities_on_one_mount(w)
    other = w.store.login(w.ldap, "zed").alias
    assert other is not None
    return lambda: w.store.merge_entities(
        a, [b], conflicting_alias_ids_to_keep=[other.id]
    )


def _merge_from_share_accessor(w: World) -> Callable[[], object]:
    a = w.store.create_entity(name="target")
    b = w.store.login(w.userpass, "b").entity
    c = w.store.login(w.userpass, "c").entity
    assert b is not None
    assert c is not None
    return lambda: w.store.merge_entities(a.id, [b.id, c.id])


def _merge_many_from_many_keep(w: World) -> Callable[[], object]:
    a, b = _two_entities_on_one_mount(w)
    c = w.store.create_entity(name="c")
    return lambda: w.store.merge_entities(
        a,
        [b, c.id],
        conflicting_alias_ids_to_keep=[AliasId("x"), AliasId("y")],
    )


def _merge_from_unknown(w: World) -> Callable[[], object]:
    a = w.store.create_entity(name="a")
    return lambda: w.store.merge_entities(a.id, [EntityId("nope")])


def _merge_to_unknown(w: World) -> Callable[[], object]:
    a = w.store.create_entity(name="a")
    return lambda: w.store.merge_entities(EntityId("nope"), [a.id])


def _merge_from_other_ns(w: World) -> Callable[[], object]:
    a = w.store.create_entity(name="a")
    b = w.store.create_entity(name="b", namespace_id=w.ns1)
    return lambda: w.store.merge_entities(a.id, [b.id])


def _group_cycle(w: World) -> Callable[[], object]:
    child = w.store.create_group(name="child")
    parent = w.store.create_group(name="parent", member_group_ids=[child.id])
    return lambda: w.store.update_group(child.id, member_group_ids=[parent.id])


def _group_self(w: World) -> Callable[[], object]:
    group = w.store.create_group(name="g")
    return lambda: w.store.update_group(group.id, member_group_ids=[group.id])


def _group_name_taken(w: World) -> Callable[[], object]:
    w.store.create_group(name="admins")
    other = w.store.create_group(name="ops")
    return lambda: w.store.update_group(other.id, name="ADMINS")


def _group_type_change(w: World) -> Callable[[], object]:
    group = w.store.create_group(name="g")
    return lambda: w.store.update_group(group.id, type=GroupType.EXTERNAL)


def _external_member_entities(w: World) -> Callable[[], object]:
    entity = w.store.create_entity(name="e")
    return lambda: w.store.create_group(
        name="ext", type="external", member_entity_ids=[entity.id]
    )


def _external_member_groups(w: World) -> Callable[[], object]:
    group = w.store.create_group(name="g")
    return lambda: w.store.create_group(
        name="ext", type="external", member_group_ids=[group.id]
    )


def _group_alias_internal(w: World) -> Callable[[], object]:
    group = w.store.create_group(name="g")
    return lambda: w.store.create_group_alias(
        mount_accessor=w.ldap, name="devs", canonical_id=group.id
    )


def _group_alias_local(w: World) -> Callable[[], object]:
    return lambda: w.store.create_group_alias(
        mount_accessor=w.local, name="devs"
    )


def _group_alias_taken(w: World) -> Callable[[], object]:
    w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    return lambda: w.store.create_group_alias(
        mount_accessor=w.ldap, name="DEVS"
    )


def _unknown_member_entity(w: World) -> Callable[[], object]:
    return lambda: w.store.create_group(
        name="g", member_entity_ids=[EntityId("nope")]
    )


def _unknown_member_group(w: World) -> Callable[[], object]:
    return lambda: w.store.create_group(
        name="g", member_group_ids=[GroupId("nope")]
    )


def _entity_alias_without_role(w: World) -> Callable[[], object]:
    return lambda: w.store.create_token(ROOT_TOKEN, entity_alias="svc")


def _entity_alias_not_allowed(w: World) -> Callable[[], object]:
    w.store.add_token_role(
        TokenRole(name="ci", allowed_entity_aliases=("build-*",))
    )
    return lambda: w.store.create_token(
        ROOT_TOKEN, role_name="ci", entity_alias="deploy-1"
    )


def _entity_alias_disabled(w: World) -> Callable[[], object]:
    w.store.add_token_role(TokenRole(name="ci", allowed_entity_aliases=("*",)))
    token = w.store.create_token(
        ROOT_TOKEN, role_name="ci", entity_alias="svc"
    )
    assert token.entity_id is not None
    w.store.disable_entity(token.entity_id)
    return lambda: w.store.create_token(
        ROOT_TOKEN, role_name="ci", entity_alias="SVC"
    )


def _batch_parent(w: World) -> Callable[[], object]:
    batch = w.store.login(
        w.userpass, "alice", token_type=TokenType.BATCH
    ).token
    return lambda: w.store.create_token(batch)


def _child_ns_without_sudo(w: World) -> Callable[[], object]:
    parent = w.store.login(w.userpass, "alice", policies=["dev"]).token
    return lambda: w.store.create_token(parent, namespace_id=w.ns1)


def _child_ns_root(w: World) -> Callable[[], object]:
    return lambda: w.store.create_token(
        ROOT_TOKEN, namespace_id=w.ns1, policies=["root"]
    )


_IR = InvalidRequestError
_PD = PermissionDeniedError
_IN = InternalError

#: (situation, setup, error class, rule code, Vault's message).
CATALOGUE: list[
    tuple[
        str,
        Callable[[World], Callable[[], object]],
        type[IdentityError],
        str,
        str,
    ]
] = [
    (
        "unknown accessor at login",
        _unknown_accessor,
        _IN,
        "alias-resolver-mount-unknown",
        'invalid mount accessor "auth_nope_1"',
    ),
    (
        "alias type differs from mount type",
        _mount_type_mismatch,
        _IN,
        "alias-resolver-mount-type",
        'mount accessor "{userpass}" is not a mount of type "ldap"',
    ),
    (
        "login alias with empty name",
        _empty_alias_name,
        _IN,
        "alias-resolver-name-missing",
        "missing name in alias",
    ),
    (
        "login resolves to disabled entity",
        _login_disabled,
        _PD,
        "login-entity-disabled",
        "permission denied",
    ),
    (
        "request with disabled entity",
        _request_disabled,
        _PD,
        "token-entity-disabled",
        "permission denied",
    ),
    (
        "request with deleted entity",
        _request_deleted,
        _PD,
        "token-entity-missing",
        "permission denied",
    ),
    (
        "login would produce root",
        _login_root,
        _IR,
        "login-root-token",
        "auth methods cannot create root tokens",
    ),
    (
        "login to an entity with policy Root",
        _login_root_entity_policy,
        _IR,
        "login-root-token",
        "auth methods cannot create root tokens",
    ),
    (
        "login inheriting ROOT from a parent group",
        _login_root_group_policy,
        _IR,
        "login-root-token",
        "auth methods cannot create root tokens",
    ),
    (
        "login joining an external group with policy Root",
        _login_joins_root_group,
        _IR,
        "login-root-token",
        "auth methods cannot create root tokens",
    ),
    (
        "API alias unknown accessor",
        _api_alias_unknown_accessor,
        _IR,
        "alias-mount-unknown",
        'invalid mount accessor "auth_nope_1"',
    ),
    (
        "API alias mount in other namespace",
        _api_alias_other_ns_mount,
        _PD,
        "alias-mount-other-namespace",
        "matching mount is in a different namespace than request",
    ),
    (
        "API alias second alias on mount",
        _api_alias_second_on_mount,
        _IR,
        "alias-mount-taken",
        "Alias already exists for requested entity and mount accessor",
    ),
    (
        "API alias move onto entity with mount",
        _api_alias_move_onto_taken,
        _IR,
        "alias-move-mount-taken",
        "Alias cannot be updated as the given entity already has an alias for this mount ",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "API alias rename onto other alias",
        _api_alias_rename_onto_other,
        _IR,
        "alias-factors-taken",
        "alias with combination of mount accessor and name already exists",
    ),
    (
        "API alias move a local alias",
        _api_alias_move_local,
        _IR,
        "alias-local-move",
        "local aliases can't be moved between entities",
    ),
    (
        "API alias bad canonical_id on create",
        _api_alias_bad_canonical_create,
        _IR,
        "alias-canonical-invalid",
        "invalid canonical ID",
    ),
    (
        "API alias bad canonical_id on update",
        _api_alias_bad_canonical_update,
        _IR,
        "alias-canonical-unknown",
        "given 'canonical_id' is not associated with an entity",
    ),
    (
        "API alias canonical entity in other ns",
        _api_alias_canonical_other_ns,
        _PD,
        "alias-canonical-other-namespace",
        "entity found with 'canonical_id' not in request namespace",
    ),
    (
        "entity name taken",
        _entity_name_taken,
        _IR,
        "entity-name-taken",
        "entity name is already in use",
    ),
    (
        "entity policies contain root",
        _entity_policies_root,
        _IR,
        "policies-root",
        "policies cannot contain root",
    ),
    (
        "entity policies contain Root",
        _entity_policies_root_any_case,
        _IR,
        "policies-root",
        "policies cannot contain root",
    ),
    (
        "group policies contain root",
        _group_policies_root,
        _IR,
        "policies-root",
        "policies cannot contain root",
    ),
    (
        "group policies contain ROOT",
        _group_policies_root_any_case,
        _IR,
        "policies-root",
        "policies cannot contain root",
    ),
    (
        "merge to in from",
        _merge_to_in_from,
        _IR,
        "merge-to-in-from",
        "to_entity_id should not be present in from_entity_ids",
    ),
    (
        "merge accessor clash without keep",
        _merge_clash,
        _IR,
        "merge-alias-clash",
        "toEntity and at least one fromEntity have aliases with the same mount accessor, repeat the merge request specifying exactly one fromEntity, clashes: ",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "merge keep names neither alias",
        _merge_keep_names_neither,
        _IR,
        "merge-keep-unresolved",
        "conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: ",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "merge from-entities share accessor",
        _merge_from_share_accessor,
        _IR,
        "merge-accessor-in-multiple-from",
        "mount accessor {userpass} found in multiple fromEntities, merge should be done with one fromEntity at a time",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "merge many from and many keep",
        _merge_many_from_many_keep,
        _IR,
        "merge-multiple-keep",
        "aliases conflicts cannot be resolved with multiple from entity ids - merge one entity at a time",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "merge from unknown",
        _merge_from_unknown,
        _IR,
        "merge-from-invalid",
        "entity id to merge from is invalid",
    ),
    (
        "merge to unknown",
        _merge_to_unknown,
        _IR,
        "merge-to-invalid",
        "entity id to merge to is invalid",
    ),
    (
        "merge from other namespace",
        _merge_from_other_ns,
        _IR,
        "merge-from-other-namespace",
        "entity id to merge from does not belong to this namespace",
    ),
    (
        "group cycle",
        _group_cycle,
        _IR,
        "group-cycle",
        'cyclic relationship detected for member group ID "{arg}"',
    ),
    (
        "group self-membership",
        _group_self,
        _IR,
        "group-self-member",
        'member group ID "{arg}" is same as the ID of the group',
    ),
    (
        "group name taken",
        _group_name_taken,
        _IR,
        "group-name-taken",
        "group name is already in use",
    ),
    (
        "group type change",
        _group_type_change,
        _IR,
        "group-type-change",
        "group type cannot be changed",
    ),
    (
        "member entities on external group",
        _external_member_entities,
        _IR,
        "group-external-member-entities",
        "member entities can't be set manually for external groups",
    ),
    (
        "member groups on external group",
        _external_member_groups,
        _IR,
        "group-external-member-groups",
        "member groups can't be set for external groups",
    ),
    (
        "group alias on internal group",
        _group_alias_internal,
        _IR,
        "group-alias-internal",
        "alias can't be set on an internal group",
    ),
    (
        "group alias on local mount",
        _group_alias_local,
        _IR,
        "group-alias-local-mount",
        'mount accessor "{local}" is a local mount',
    ),
    (
        "group alias factors taken",
        _group_alias_taken,
        _IR,
        "group-alias-factors-taken",
        "combination of mount and group alias name is already in use",
    ),
    (
        "unknown member entity",
        _unknown_member_entity,
        _IR,
        "group-member-entity-invalid",
        'invalid entity ID "nope"',
    ),
    (
        "unknown member group",
        _unknown_member_group,
        _IR,
        "group-member-group-invalid",
        'invalid member group ID "nope"',
    ),
    (
        "entity_alias without role",
        _entity_alias_without_role,
        _IR,
        "token-entity-alias-without-role",
        "'entity_alias' is only allowed in combination with token role",
    ),
    (
        "entity_alias not allowed by role",
        _entity_alias_not_allowed,
        _IR,
        "token-entity-alias-not-allowed",
        "invalid 'entity_alias' value",
    ),
    (
        "entity_alias to disabled entity",
        _entity_alias_disabled,
        _PD,
        "token-entity-alias-disabled",
        "entity from given entity alias is disabled",
    ),
    (
        "batch parent creates token",
        _batch_parent,
        _IR,
        "token-batch-parent",
        "batch tokens cannot create more tokens",
    ),
    (
        "child-namespace token without sudo",
        _child_ns_without_sudo,
        _IR,
        "token-child-namespace-sudo",
        "root or sudo privileges required to directly generate a token in a child namespace",  # noqa: E501 (Vault's message, verbatim)
    ),
    (
        "child-namespace root token",
        _child_ns_root,
        _IR,
        "token-child-namespace-root",
        "root tokens may not be created from a parent namespace",
    ),
]


@pytest.mark.parametrize(
    ("situation", "setup", "kind", "rule", "message"),
    CATALOGUE,
    ids=[row[0] for row in CATALOGUE],
)
def test_catalogue_row_raises_vaults_error_and_changes_nothing(
    situation, setup, kind, rule, message
):
    """
    Each catalogue situation raises its kind, rule and message atomically.
    """
    world = make_world()
    call = setup(world)
    before = world.store.snapshot()

    with pytest.raises(kind) as info:
        call()

    assert info.value.rule == rule, situation
    expected = message.format(
        userpass=world.userpass, local=world.local, arg=info.value.value
    )
    assert info.value.message.startswith(expected)
    assert before == world.store.snapshot()
    world.store._check()


def test_every_catalogued_rule_code_is_known():
    """
    Every rule code in the table is one the store documents.
    """
    assert {row[3] for row in CATALOGUE} <= set(IDENTITY_RULES)


def test_catalogue_error_classes_match_the_rule_table():
    """
    The table's error kinds agree with IDENTITY_RULES.
    """
    for _, _, kind, rule, _ in CATALOGUE:
        assert IDENTITY_RULES[rule][0] is kind


# --------------------------------------------------------------------------
# Login resolution (sections 3, 4).
# --------------------------------------------------------------------------


def test_login_names_match_case_insensitively_and_keep_the_first_case():
    """
    A login as ALICE resolves to alice's entity; the stored name stays alice.
    """
    w = make_world()
    first = w.store.login(w.userpass, "alice")

    second = w.store.login(w.userpass, "ALICE")

    assert second.entity == first.entity
    assert not second.created
    assert w.store.alias_by_factors(w.userpass, "Alice").name == "alice"


def test_metadata_refreshes_only_on_an_exact_name_match():
    """
    Alias metadata is replaced on exact-case logins only (Vault's quirk).
    """
    w = make_world()
    w.store.login(w.userpass, "alice", metadata={"team": "a"})

    w.store.login(w.userpass, "ALICE", metadata={"team": "b"})
    after_case = w.store.alias_by_factors(w.userpass, "alice").metadata
    w.store.login(w.userpass, "alice", metadata={"team": "c"})
    after_exact = w.store.alias_by_factors(w.userpass, "alice").metadata

    assert after_case == (("team", "a"),)
    assert after_exact == (("team", "c"),)


def test_same_user_on_two_mounts_is_two_entities():
    """
    Without an operator linking them, two mounts give two entities.
    """
    w = make_world()

    up = w.store.login(w.userpass, "alice")
    ldap = w.store.login(w.ldap, "alice")

    assert up.entity != ldap.entity


def test_login_tokens_are_orphans_with_default_and_the_login_mount():
    """
    Login tokens are orphans, carry default and name the login mount.
    """
    w = make_world()

    token = w.store.login(w.userpass, "alice", policies=["Dev", "dev"]).token

    assert token.orphan
    assert token.policies == ("default", "dev")
    assert token.mount_accessor == w.userpass
    assert token.namespace_id == ROOT


def test_method_without_alias_issues_a_non_entity_token():
    """
    An auth method that reports no alias yields a token without entity.
    """
    w = make_world()

    result = w.store.login(w.userpass, None, policies=["app"])
    client = w.store.client_for_token(result.token)

    assert result.entity is None
    assert client is not None
    assert client.type is ClientType.NON_ENTITY_TOKEN
    assert client.id == non_entity_client_id(["app", "default"], "root")


def test_local_mount_logins_create_entities_with_local_aliases():
    """
    Since Vault 1.9 local mounts create entities; the alias is local.
    """
    w = make_world()

    result = w.store.login(w.local, "alice")

    assert result.entity is not None
    assert result.alias is not None
    assert result.alias.local


def test_disabled_local_entities_make_local_logins_non_entity():
    """
    With local mount entities disabled, local logins carry no entity.
    """
    store = IdentityStore(disable_local_auth_mount_entities=True)
    local = store.enable_auth("userpass", local=True).accessor

    result = store.login(local, "alice")

    assert result.entity is None
    assert result.token.entity_id is None


def test_implicit_entities_are_the_same_in_every_replay():
    """
    Two stores replaying the same logins mint the same IDs and names.
    """
    first, second = make_world(), make_world()

    a = first.store.login(first.userpass, "alice")
    b = second.store.login(second.userpass, "Alice")

    assert a.entity == b.entity
    assert a.entity is not None
    assert a.entity.name.startswith("entity_")


def test_deleted_entity_comes_back_with_a_new_id():
    """
    After deletion, the next login with the old alias creates a new entity.
    """
    w = make_world()
    old = w.store.login(w.userpass, "alice").entity
    assert old is not None
    w.store.delete_entity(old.id)

    new = w.store.login(w.userpass, "alice")

    assert new.created
    assert new.entity is not None
    assert new.entity.id != old.id


def test_reenabled_entity_makes_old_tokens_usable_again():
    """
    Disabling denies a token; enabling makes the same token work again.
    """
    w = make_world()
    token = w.store.login(w.userpass, "alice").token
    assert token.entity_id is not None
    w.store.disable_entity(token.entity_id)
    w.store.enable_entity(token.entity_id)

    client = w.store.client_for_token(token)

    assert client is not None
    assert client.id == ClientId(token.entity_id)


def test_disabled_mount_leaves_aliases_that_never_match_again():
    """
    Re-enabling a mount gives a new accessor; the old alias stays behind.
    """
    w = make_world()
    old = w.store.login(w.userpass, "alice")
    w.store.disable_auth(w.userpass)
    again = w.store.enable_auth("userpass").accessor

    new = w.store.login(again, "alice")

    assert again != w.userpass
    assert new.created
    assert old.alias is not None
    assert w.store.alias(old.alias.id) == old.alias


# --------------------------------------------------------------------------
# Entity aliases through the API (section 3.3).
# --------------------------------------------------------------------------


def test_reposting_an_alias_with_another_canonical_id_moves_it():
    """
    Posting an existing (accessor, name) with another entity moves it.
    """
    w = make_world()
    alias = w.store.login(w.userpass, "alice").alias
    target = w.store.create_entity(name="target")
    assert alias is not None

    moved = w.store.create_entity_alias(
        mount_accessor=w.userpass, name="alice", canonical_id=target.id
    )

    assert moved.id == alias.id
    assert moved.canonical_id == target.id


def test_reposting_identical_alias_data_is_a_no_op():
    """
    Re-posting the same alias data changes nothing.
    """
    w = make_world()
    w.store.login(w.userpass, "alice")
    before = w.store.snapshot()

    w.store.create_entity_alias(mount_accessor=w.userpass, name="alice")

    assert before == w.store.snapshot()


def test_alias_without_canonical_id_creates_an_entity():
    """
    An API alias without canonical_id gets a new entity of its own.
    """
    w = make_world()

    alias = w.store.create_entity_alias(mount_accessor=w.userpass, name="x")

    assert w.store.entity(alias.canonical_id).namespace_id == ROOT


def test_deleting_an_alias_keeps_its_entity():
    """
    A deleted alias leaves its entity in place, alias-less.
    """
    w = make_world()
    result = w.store.login(w.userpass, "alice")
    assert result.alias is not None
    assert result.entity is not None

    w.store.delete_entity_alias(result.alias.id)

    assert w.store.entity_aliases(result.entity.id) == ()


# --------------------------------------------------------------------------
# Merges (section 5).
# --------------------------------------------------------------------------


def test_merge_moves_aliases_and_records_the_merged_id():
    """
    After a merge the source's alias resolves to the target.
    """
    w = make_world()
    a = w.store.login(w.userpass, "alice").entity
    b = w.store.login(w.ldap, "alice").entity
    assert a is not None
    assert b is not None

    w.store.merge_entities(a.id, [b.id])
    again = w.store.login(w.ldap, "alice")

    assert again.entity is not None
    assert again.entity.id == a.id
    assert b.id in again.entity.merged_entity_ids
    alias = w.store.alias_by_factors(w.ldap, "alice")
    assert alias.merged_from_canonical_ids == (b.id,)


def test_merge_keeps_the_named_alias_and_deletes_the_other():
    """
    conflicting_alias_ids_to_keep decides which clashing alias survives.
    """
    w = make_world()
    a = w.store.login(w.userpass, "a")
    b = w.store.login(w.userpass, "b")
    assert a.entity is not None
    assert b.entity is not None
    assert b.alias is not None

    w.store.merge_entities(
        a.entity.id, [b.entity.id], conflicting_alias_ids_to_keep=[b.alias.id]
    )

    aliases = w.store.entity_aliases(a.entity.id)
    assert [x.name for x in aliases] == ["b"]


def test_merged_away_token_keeps_its_client_id_but_follows_the_target():
    """
    A token of a merged-away entity counts under its old ID (section 5.2).
    """
    w = make_world()
    a = w.store.login(w.userpass, "alice").entity
    old = w.store.login(w.ldap, "alice").token
    assert a is not None
    assert old.entity_id is not None
    w.store.merge_entities(a.id, [old.entity_id])

    client = w.store.client_for_token(old)
    w.store.disable_entity(a.id)

    assert client is not None
    assert client.id == ClientId(old.entity_id)
    with pytest.raises(PermissionDeniedError):
        w.store.client_for_token(old)


def test_merge_does_not_merge_policies():
    """
    The API merge keeps the target's policies as they were.
    """
    w = make_world()
    a = w.store.create_entity(name="a", policies=["x"])
    b = w.store.create_entity(name="b", policies=["y"])

    w.store.merge_entities(a.id, [b.id])

    assert w.store.entity(a.id).policies == ("x",)


def test_merge_moves_group_memberships():
    """
    Groups of a merged-away entity now hold the target instead.
    """
    w = make_world()
    a = w.store.create_entity(name="a")
    b = w.store.create_entity(name="b")
    group = w.store.create_group(name="g", member_entity_ids=[b.id])

    w.store.merge_entities(a.id, [b.id])

    assert w.store.group(group.id).member_entity_ids == (a.id,)


# --------------------------------------------------------------------------
# Groups (section 6).
# --------------------------------------------------------------------------


def test_subgroup_members_inherit_ancestor_policies_only():
    """
    Members get ancestor policies; ancestor members do not get subgroups'.
    """
    w = make_world()
    alice = w.store.login(w.userpass, "alice")
    bob = w.store.login(w.userpass, "bob")
    assert alice.entity is not None
    assert bob.entity is not None
    child = w.store.create_group(
        name="child", policies=["child-p"], member_entity_ids=[alice.entity.id]
    )
    w.store.create_group(
        name="parent",
        policies=["parent-p"],
        member_group_ids=[child.id],
        member_entity_ids=[bob.entity.id],
    )

    alice_p = w.store.effective_policies(alice.token).identity_policies
    bob_p = w.store.effective_policies(bob.token).identity_policies

    assert alice_p == ("child-p", "parent-p")
    assert bob_p == ("parent-p",)


def test_external_groups_follow_the_group_aliases_a_login_reports():
    """
    A login adds the entity to reported external groups and drops others.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    ops = w.store.create_group_alias(mount_accessor=w.ldap, name="ops")

    first = w.store.login(w.ldap, "alice", group_aliases=["DEVS", "unknown"])
    w.store.login(w.ldap, "alice", group_aliases=["ops"])

    assert first.entity is not None
    assert first.group_aliases == ("DEVS",)
    assert w.store.group(devs.canonical_id).member_entity_ids == ()
    assert w.store.group(ops.canonical_id).member_entity_ids == (
        first.entity.id,
    )


def test_login_through_another_mount_keeps_external_memberships():
    """
    Logging in through userpass never removes LDAP-driven memberships.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    entity = w.store.login(w.ldap, "alice", group_aliases=["devs"]).entity
    assert entity is not None
    alias = w.store.create_entity_alias(
        mount_accessor=w.userpass, name="alice", canonical_id=entity.id
    )

    w.store.login(w.userpass, alias.name)

    assert w.store.group(devs.canonical_id).member_entity_ids == (entity.id,)


def test_group_alias_without_canonical_id_creates_an_external_group():
    """
    A group alias posted alone gets a new external group.
    """
    w = make_world()

    alias = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")

    assert w.store.group(alias.canonical_id).type is GroupType.EXTERNAL


def test_deleted_group_leaves_subgroups_with_a_dangling_parent():
    """
    Subgroups keep the deleted parent's ID, which traversal ignores.
    """
    w = make_world()
    child = w.store.create_group(name="child")
    parent = w.store.create_group(name="parent", member_group_ids=[child.id])

    w.store.delete_group(parent.id)

    assert w.store.group(child.id).parent_group_ids == (parent.id,)
    w.store._check()


# --------------------------------------------------------------------------
# Namespaces (sections 7 and 10.3).
# --------------------------------------------------------------------------


def test_parent_token_acting_in_a_child_is_the_same_client():
    """
    Rule 1: a parent-namespace token acting in a child is one client.
    """
    w = make_world()
    token = w.store.login(w.userpass, "alice").token

    here = w.store.client_for_request(token, ROOT)
    there = w.store.client_for_request(token, w.ns1)

    assert here == there
    assert there is not None
    assert there.namespace_id == ROOT


def test_child_token_cannot_act_in_the_parent():
    """
    Rule 2: a child-namespace token is denied in its parent.
    """
    w = make_world()
    token = w.store.login(w.ns1_userpass, "alice").token

    with pytest.raises(PermissionDeniedError) as info:
        w.store.client_for_request(token, ROOT)

    assert info.value.rule == "token-outside-namespace"


def test_the_same_user_in_parent_and_child_is_two_clients():
    """
    Rule 2: logging in again in the parent gives a different client.
    """
    w = make_world()

    child = w.store.login(w.ns1_userpass, "alice").token
    parent = w.store.login(w.userpass, "alice").token

    assert w.store.client_for_token(child) != w.store.client_for_token(parent)


def test_sibling_namespaces_are_two_clients():
    """
    Rule 3: sibling namespaces give two entities and two clients.
    """
    w = make_world()
    ns2 = w.store.add_namespace("ns2").id
    ns2_userpass = w.store.enable_auth("userpass", namespace_id=ns2).accessor

    one = w.store.client_for_token(w.store.login(w.ns1_userpass, "a").token)
    two = w.store.client_for_token(w.store.login(ns2_userpass, "a").token)

    assert one is not None
    assert two is not None
    assert one.id != two.id
    with pytest.raises(PermissionDeniedError):
        w.store.client_for_request(
            w.store.login(ns2_userpass, "a").token, w.ns1
        )


def test_non_entity_tokens_with_equal_policies_are_one_client():
    """
    Rule 4: every TWE with the same policies in a namespace is one client.
    """
    w = make_world()

    one = w.store.create_token(ROOT_TOKEN, policies=["app"], orphan=True)
    two = w.store.create_token(ROOT_TOKEN, policies=["APP "], orphan=True)

    assert w.store.client_for_token(one) == w.store.client_for_token(two)


def test_nested_namespace_paths_are_not_prefix_confused():
    """
    ns10/ is not below ns1/: a ns1 token is denied there.
    """
    w = make_world()
    ns10 = w.store.add_namespace("ns10").id
    token = w.store.login(w.ns1_userpass, "alice").token

    with pytest.raises(PermissionDeniedError):
        w.store.client_for_request(token, ns10)


def test_child_namespace_token_gets_exactly_the_requested_policies():
    """
    A sudo parent minting in a child gets the requested policies + default.
    """
    w = make_world()
    parent = w.store.login(w.userpass, "alice", policies=["admin"]).token

    token = w.store.create_token(
        parent, namespace_id=w.ns1, policies=["reader"], sudo=True
    )

    assert token.policies == ("default", "reader")
    assert token.namespace_id == w.ns1
    assert token.entity_id == parent.entity_id
    assert token.mount_accessor == w.store.token_mount(w.ns1).accessor


# --------------------------------------------------------------------------
# Token creation (section 8).
# --------------------------------------------------------------------------


def test_child_tokens_inherit_the_parent_entity_orphans_do_not():
    """
    A child carries the parent's entity; an orphan child carries none.
    """
    w = make_world()
    parent = w.store.login(w.userpass, "alice", policies=["dev"]).token

    child = w.store.create_token(parent)
    orphan = w.store.create_token(parent, orphan=True)

    assert child.entity_id == parent.entity_id
    assert not child.orphan
    assert orphan.entity_id is None
    assert child.policies == parent.policies


def test_tokens_created_by_root_have_no_entity():
    """
    Root-created tokens are non-entity unless entity_alias is used.
    """
    w = make_world()

    token = w.store.create_token(ROOT_TOKEN, policies=["app"])

    assert token.entity_id is None
    assert token.policies == ("app", "default")


def test_entity_alias_creates_then_reuses_a_token_mount_entity():
    """
    entity_alias binds tokens to one entity of the token mount.
    """
    w = make_world()
    w.store.add_token_role(
        TokenRole(name="ci", allowed_entity_aliases=("Build-*",))
    )

    first = w.store.create_token(
        ROOT_TOKEN, role_name="ci", entity_alias="build-1"
    )
    second = w.store.create_token(
        ROOT_TOKEN, role_name="ci", entity_alias="BUILD-1", orphan=True
    )

    assert first.entity_id is not None
    assert first.entity_id == second.entity_id
    alias = w.store.alias_by_factors(w.store.token_mount().accessor, "build-1")
    assert alias.canonical_id == first.entity_id


def test_non_sudo_child_policies_must_be_a_subset_of_the_parent():
    """
    A non-sudo parent cannot grant policies it does not hold.
    """
    w = make_world()
    parent = w.store.login(w.userpass, "alice", policies=["dev"]).token

    with pytest.raises(InvalidRequestError) as info:
        w.store.create_token(parent, policies=["admin"])

    assert info.value.rule == "token-policies-not-subset"


def test_role_allowed_policies_bound_the_token():
    """
    A role's allowed list refuses other policies with Vault's message.
    """
    w = make_world()
    w.store.add_token_role(TokenRole(name="r", allowed_policies=("a", "b")))

    token = w.store.create_token(ROOT_TOKEN, role_name="r")
    with pytest.raises(InvalidRequestError) as info:
        w.store.create_token(ROOT_TOKEN, role_name="r", policies=["c"])

    assert token.policies == ("a", "b", "default")
    assert info.value.message == (
        'token policies (["c"]) must be subset of the role\'s allowed'
        ' policies (["a" "b"]) or glob policies ([])'
    )


def test_role_disallowed_policy_is_refused():
    """
    A disallowed policy is refused by name.
    """
    w = make_world()
    w.store.add_token_role(TokenRole(name="r", disallowed_policies=("x",)))

    with pytest.raises(InvalidRequestError) as info:
        w.store.create_token(ROOT_TOKEN, role_name="r", policies=["X"])

    assert info.value.message == 'token policy "x" is disallowed by this role'


def test_role_token_type_forces_batch_tokens():
    """
    A role with token_type batch issues batch tokens.
    """
    w = make_world()
    w.store.add_token_role(TokenRole(name="r", token_type="batch"))  # noqa: S106

    token = w.store.create_token(
        ROOT_TOKEN,
        role_name="r",
        policies=["app"],
        token_type=TokenType.SERVICE,
    )

    assert token.type is TokenType.BATCH


def test_root_tokens_need_a_root_parent():
    """
    Only a root parent can mint root tokens.
    """
    w = make_world()
    parent = w.store.login(w.userpass, "alice", policies=["dev"]).token

    root = w.store.create_token(ROOT_TOKEN, policies=["root"])
    with pytest.raises(InvalidRequestError) as info:
        w.store.create_token(parent, policies=["root"], sudo=True)

    assert root.policies == ("root",)
    assert w.store.client_for_token(root) is None
    assert info.value.rule == "token-root-parent"


def test_no_default_policy_strips_default():
    """
    no_default_policy removes default from the new token.
    """
    w = make_world()

    token = w.store.create_token(
        ROOT_TOKEN, policies=["app"], no_default_policy=True
    )

    assert token.policies == ("app",)


# --------------------------------------------------------------------------
# Effective policies (section 9).
# --------------------------------------------------------------------------


def _group_in_child_namespace(w: World):
    token = w.store.login(w.userpass, "alice").token
    assert token.entity_id is not None
    w.store.create_group(
        name="g",
        namespace_id=w.ns1,
        policies=["child-p"],
        member_entity_ids=[token.entity_id],
    )
    return token


def test_parent_tokens_pick_up_child_namespace_group_policies():
    """
    By default a group in a child namespace applies to a parent token.
    """
    w = make_world()
    token = _group_in_child_namespace(w)

    policies = w.store.effective_policies(token)

    assert policies.external_namespace_policies == ((w.ns1, ("child-p",)),)


def test_child_tokens_do_not_pick_up_parent_group_policies():
    """
    By default a root group's policies do not apply to a ns1 token.
    """
    w = make_world()
    token = w.store.login(w.ns1_userpass, "alice").token
    assert token.entity_id is not None
    w.store.create_group(
        name="g", policies=["root-p"], member_entity_ids=[token.entity_id]
    )

    within = w.store.effective_policies(token)
    anywhere = w.store.effective_policies(token, mode=_any_mode())

    assert within.external_namespace_policies == ()
    assert anywhere.external_namespace_policies == ((ROOT, ("root-p",)),)


def _any_mode() -> GroupPolicyApplication:
    return GroupPolicyApplication.ANY


def test_group_policies_of_other_namespaces_must_exist():
    """
    A missing ACL policy of another namespace is silently dropped.
    """
    w = make_world()
    token = _group_in_child_namespace(w)

    policies = w.store.effective_policies(
        token, existing_policies={w.ns1: ["other"]}
    )

    assert policies.external_namespace_policies == ()


def test_policies_combine_token_and_identity_policies():
    """
    policies is the sanitized union of token and identity policies.
    """
    w = make_world()
    result = w.store.login(w.userpass, "alice", policies=["app"])
    assert result.entity is not None
    w.store.update_entity(result.entity.id, policies=["Ent"])

    policies = w.store.effective_policies(result.token)

    assert policies.token_policies == ("app", "default")
    assert policies.identity_policies == ("ent",)
    assert policies.policies == ("app", "default", "ent")


# --------------------------------------------------------------------------
# Renewal refreshes external groups (section 6.6).
# --------------------------------------------------------------------------


def test_leaving_a_provider_group_shows_at_the_next_renewal():
    """
    A renewal that no longer reports a group removes the entity from it.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    token = w.store.login(w.ldap, "alice", group_aliases=["devs"]).token

    before = w.store.group(devs.canonical_id).member_entity_ids
    matched = w.store.renew_token(token, group_aliases=[])

    assert before == (token.entity_id,)
    assert matched == ()
    assert w.store.group(devs.canonical_id).member_entity_ids == ()


def test_renewal_keeps_groups_driven_by_another_mount():
    """
    Renewing a userpass token never drops LDAP-driven memberships.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    entity = w.store.login(w.ldap, "alice", group_aliases=["devs"]).entity
    assert entity is not None
    w.store.create_entity_alias(
        mount_accessor=w.userpass, name="alice", canonical_id=entity.id
    )
    token = w.store.login(w.userpass, "alice").token

    w.store.renew_token(token)

    assert w.store.group(devs.canonical_id).member_entity_ids == (entity.id,)


def test_batch_tokens_cannot_be_renewed():
    """
    Batch tokens are not renewable.
    """
    w = make_world()
    token = w.store.login(w.ldap, "a", token_type=TokenType.BATCH).token

    with pytest.raises(InvalidRequestError) as info:
        w.store.renew_token(token)

    assert info.value.rule == "token-renew-batch"


def test_tokens_cannot_be_renewed_across_namespaces():
    """
    A renewal from another namespace is refused.
    """
    w = make_world()
    token = w.store.login(w.ldap, "a").token

    with pytest.raises(InvalidRequestError) as info:
        w.store.renew_token(token, namespace_id=w.ns1)

    assert info.value.message == "cannot renew a token across namespaces"


def test_renewing_a_non_entity_token_changes_nothing():
    """
    A token without entity has no memberships to refresh.
    """
    w = make_world()
    token = w.store.create_token(ROOT_TOKEN, policies=["p"], orphan=True)
    before = w.store.snapshot()

    matched = w.store.renew_token(token, group_aliases=["devs"])

    assert matched == ()
    assert before == w.store.snapshot()


def test_renewal_without_group_information_keeps_external_groups():
    """
    renew_token(token) with no group aliases leaves memberships as they are.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    token = w.store.login(w.ldap, "alice", group_aliases=["devs"]).token

    matched = w.store.renew_token(token)

    assert matched == ()
    assert w.store.group(devs.canonical_id).member_entity_ids == (
        token.entity_id,
    )


def test_renewal_with_the_logins_group_aliases_keeps_its_groups():
    """
    Passing LoginResult.group_aliases back re-reports the lease's groups.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    login = w.store.login(w.ldap, "alice", group_aliases=["devs", "nope"])

    matched = w.store.renew_token(
        login.token, group_aliases=login.group_aliases
    )

    assert matched == ("devs",)
    assert w.store.group(devs.canonical_id).member_entity_ids == (
        login.token.entity_id,
    )


def test_renewing_a_token_store_token_never_refreshes_groups():
    """
    Tokens of a token mount carry no group aliases: renewal drops nothing.
    """
    w = make_world()
    devs = w.store.create_group_alias(mount_accessor=w.ldap, name="devs")
    parent = w.store.login(w.ldap, "alice", group_aliases=["devs"]).token
    child = w.store.create_token(parent)
    # Without its alias, the group is no other mount's: a refresh would
    # drop the entity from it.
    w.store.delete_group_alias(devs.id)
    before = w.store.snapshot()

    matched = w.store.renew_token(child, group_aliases=[])

    assert child.mount_accessor == w.store.token_mount(ROOT).accessor
    assert matched == ()
    assert before == w.store.snapshot()
    assert w.store.group(devs.canonical_id).member_entity_ids == (
        parent.entity_id,
    )


# --------------------------------------------------------------------------
# Root identity policies at login (sections 4, 9.1).
# --------------------------------------------------------------------------


def test_root_group_policy_of_another_namespace_does_not_block_login():
    """
    Only identity policies of the login's namespace can make it root.
    """
    w = make_world()
    entity = w.store.login(w.ns1_userpass, "alice").entity
    assert entity is not None
    group = w.store.create_group(name="g", member_entity_ids=[entity.id])
    _with_policies(w, group.id, ("Root",))

    result = w.store.login(w.ns1_userpass, "alice")

    assert result.entity == entity
    assert result.token.policies == ("default",)


def test_refused_root_login_does_not_join_the_reported_groups():
    """
    A login refused for a root group policy leaves memberships unchanged.
    """
    w = make_world()
    call = _login_joins_root_group(w)

    with pytest.raises(InvalidRequestError):
        call()

    assert all(g.member_entity_ids == () for g in w.store.snapshot().groups)


# --------------------------------------------------------------------------
# Token roles and empty policy lists (section 8.4).
# --------------------------------------------------------------------------


def test_role_token_with_empty_policies_gets_the_roles_allowed_list():
    """
    policies=[] with a role means "none requested", as policies=None does.
    """
    w = make_world()
    w.store.add_token_role(TokenRole(name="r", allowed_policies=("app",)))

    empty = w.store.create_token(ROOT_TOKEN, role_name="r", policies=[])
    absent = w.store.create_token(ROOT_TOKEN, role_name="r")

    assert empty.policies == absent.policies == ("app", "default")


def test_role_token_with_empty_policies_inherits_allowed_parent_policies():
    """
    With an empty allowed list, policies=[] falls back to the parent's.
    """
    w = make_world()
    w.store.add_token_role(TokenRole(name="r", disallowed_policies=("x",)))
    parent = w.store.login(w.userpass, "alice", policies=["dev"]).token

    token = w.store.create_token(parent, role_name="r", policies=[])

    assert token.policies == ("default", "dev")
