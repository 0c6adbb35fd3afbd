"""
The rule table: every refusal names its rule and changes nothing.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.identity.support import ROOT, ROOT_TOKEN, userpass

from clientid import (
    IDENTITY_RULES,
    AliasId,
    EntityId,
    GroupId,
    IdentityStore,
    MountAccessor,
    NamespaceId,
    TokenType,
)
from clientid.errors import (
    IdentityError,
    InvalidModelError,
    InvalidRequestError,
    NotFoundError,
)
from clientid.identity import (
    aliases,
    entities,
    group_aliases,
    groups,
    logins,
    merges,
    namespaces,
    policies,
    requests,
    state,
    tokens,
    util,
)
from clientid.identity.rules import declare_rules

if TYPE_CHECKING:
    from collections.abc import Callable


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
    accessor = userpass(s)
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
    accessor = userpass(s)
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
    accessor = userpass(s)
    return lambda: s.create_entity_alias(mount_accessor=accessor, name="")


def _alias_id_invalid(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.update_entity_alias(AliasId("nope"), name="x")


def _alias_update_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.update_entity_alias(alias.id, namespace_id=ns1)


def _alias_accessor_change(s: IdentityStore) -> Callable[[], object]:
    up, ldap = userpass(s), s.enable_auth("ldap").accessor
    alias = s.create_entity_alias(mount_accessor=up, name="a")
    s.create_entity_alias(
        mount_accessor=ldap, name="a", canonical_id=alias.canonical_id
    )
    return lambda: s.update_entity_alias(alias.id, mount_accessor=ldap)


def _alias_update_mount_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    other = s.enable_auth("userpass", namespace_id=ns1).accessor
    return lambda: s.update_entity_alias(alias.id, mount_accessor=other)


def _alias_update_unknown_mount(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=userpass(s), name="a")
    return lambda: s.update_entity_alias(
        alias.id, mount_accessor=MountAccessor("auth_gone_1")
    )


def _alias_move_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=userpass(s), name="a")
    ns1 = s.add_namespace("ns1").id
    other = s.create_entity(name="o", namespace_id=ns1)
    return lambda: s.update_entity_alias(alias.id, canonical_id=other.id)


def _alias_delete_other_ns(s: IdentityStore) -> Callable[[], object]:
    alias = s.create_entity_alias(mount_accessor=userpass(s), name="a")
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
    accessor = userpass(s)
    return lambda: s.create_group_alias(mount_accessor=accessor, name="")


def _group_alias_no_accessor(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_group_alias(
        mount_accessor=MountAccessor(""), name="g"
    )


def _group_alias_bad_group(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
    return lambda: s.create_group_alias(
        mount_accessor=accessor, name="g", canonical_id=GroupId("nope")
    )


def _group_alias_group_other_ns(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
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
    alias = s.create_group_alias(mount_accessor=userpass(s), name="g")
    ns1 = s.add_namespace("ns1").id
    return lambda: s.delete_group_alias(alias.id, namespace_id=ns1)


def _role_unknown(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, role_name="nope")


def _orphan_without_sudo(s: IdentityStore) -> Callable[[], object]:
    parent = s.login(userpass(s), "a", policies=["p"]).token
    return lambda: s.create_token(parent, no_parent=True)


def _batch_root(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, token_type=TokenType.BATCH)


def _wrapping_policy(s: IdentityStore) -> Callable[[], object]:
    return lambda: s.create_token(ROOT_TOKEN, policies=["response-wrapping"])


def _login_wrapping_policy(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
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


_ROOT_DIR = Path(__file__).resolve().parents[2]


def test_identity_docs_list_every_rule_code():
    """
    docs/identity.md names every rule code the store can raise.
    """
    text = (_ROOT_DIR / "docs" / "identity.md").read_text(encoding="utf-8")

    missing = [rule for rule in IDENTITY_RULES if f"`{rule}`" not in text]

    assert missing == []


def test_rule_table_is_read_only():
    """
    IDENTITY_RULES cannot be changed by a host.
    """
    with pytest.raises(TypeError):
        IDENTITY_RULES["x"] = (InvalidRequestError, "x")  # type: ignore[index]


def _login_policies(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
    return lambda: s.login(accessor, "alice", policies="dev")


def _login_group_aliases(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
    return lambda: s.login(accessor, "alice", group_aliases="devs")


def _login_without_alias(s: IdentityStore) -> Callable[[], object]:
    accessor = userpass(s)
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
    token = s.login(userpass(s), "alice").token
    return lambda: s.renew_token(token, group_aliases="devs")


def _existing_policies(s: IdentityStore) -> Callable[[], object]:
    token = s.login(userpass(s), "alice").token
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


def test_every_part_declares_its_own_rules_and_they_make_the_table():
    """
    The parts' rule tables are disjoint and together are IDENTITY_RULES.
    """
    parts = [
        aliases,
        entities,
        group_aliases,
        groups,
        logins,
        merges,
        namespaces,
        policies,
        requests,
        state,
        tokens,
        util,
    ]
    codes = [code for part in parts for code in part.RULES]

    assert len(codes) == len(set(codes))
    assert set(codes) == set(IDENTITY_RULES)
    for part in parts:
        for code, entry in part.RULES.items():
            assert IDENTITY_RULES[code] == entry


def test_a_rule_code_cannot_be_declared_twice():
    """
    declare_rules refuses a code another part already declared.
    """
    taken = next(iter(IDENTITY_RULES))
    before = dict(IDENTITY_RULES)

    with pytest.raises(ValueError, match=taken):
        declare_rules({taken: (InvalidRequestError, "again")})

    assert dict(IDENTITY_RULES) == before
