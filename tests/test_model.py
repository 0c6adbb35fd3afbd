"""
Tests for the frozen model classes: validators, equality, immutability.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import attrs
import pytest

from clientid import (
    ROOT_NAMESPACE_ID,
    AcmeIdentifier,
    AcmeOrder,
    AuthMount,
    Client,
    ClientType,
    Entity,
    EntityAlias,
    EntityId,
    Group,
    GroupAlias,
    GroupType,
    Namespace,
    NamespaceId,
    SecretSyncAssociation,
    Token,
    TokenRole,
    freeze_metadata,
)
from clientid.errors import ClientIdError, InvalidModelError

JAN = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
NAIVE = dt.datetime(2024, 1, 15)  # noqa: DTZ001 (the point of the test)

# Valid keyword arguments per class; each invalid case changes one field.
VALID: dict[type, dict[str, Any]] = {
    Namespace: {"id": "aBcD1", "path": "ns1/", "parent_id": "root"},
    AuthMount: {
        "accessor": "auth_userpass_1a2b3c4d",
        "type": "userpass",
        "path": "auth/userpass/",
    },
    Entity: {"id": "e-1", "name": "bob"},
    EntityAlias: {
        "id": "a-1",
        "canonical_id": "e-1",
        "mount_accessor": "auth_userpass_1a2b3c4d",
        "name": "bob",
    },
    Group: {"id": "g-1", "name": "admins"},
    GroupAlias: {
        "id": "ga-1",
        "canonical_id": "g-1",
        "mount_accessor": "auth_ldap_1a2b3c4d",
        "name": "cn=admins",
    },
    Token: {},
    TokenRole: {"name": "ci"},
    SecretSyncAssociation: {
        "mount_accessor": "kv_0a1b2c3d",
        "mount_path": "kv1/",
        "secret_path": "app/db",
        "destination": "aws-sm/prod",
        "created_at": JAN,
    },
    AcmeIdentifier: {"type": "dns", "value": "example.com"},
    AcmeOrder: {
        "identifiers": (AcmeIdentifier(type="dns", value="example.com"),),
        "mount_accessor": "pki_06dad7b8",
        "issued_at": JAN,
    },
    Client: {"id": "e-1", "type": ClientType.ENTITY},
}

NOT_EMPTY = "must not be empty"
NONE_OR_NOT_EMPTY = "must be None or a non-empty string"
NO_EMPTY_STRINGS = "must not contain an empty string"
AWARE = "must be a timezone-aware datetime"
SORTED_PAIRS = "must be (key, value) pairs sorted by unique key"
CANONICAL_PATH = (
    "must be a canonical namespace path: non-empty, no leading '/',"
    " no empty segment, ending in '/'"
)
MOUNT_PATH = "must be a mount path relative to its namespace, ending in '/'"
UNSORTED = (("b", "1"), ("a", "2"))
DUPLICATE_KEYS = (("a", "1"), ("a", "2"))

INVALID = [
    (Namespace, "id", "", NOT_EMPTY),
    (Namespace, "path", "", CANONICAL_PATH),
    (Namespace, "path", "ns1", CANONICAL_PATH),
    (Namespace, "path", "/ns1/", CANONICAL_PATH),
    (Namespace, "path", "ns1//x/", CANONICAL_PATH),
    (
        Namespace,
        "parent_id",
        None,
        "must name the parent of a child namespace",
    ),
    (
        Namespace,
        "parent_id",
        "aBcD1",
        "must differ from the namespace's own id",
    ),
    (AuthMount, "accessor", "", NOT_EMPTY),
    (AuthMount, "type", "", NOT_EMPTY),
    (AuthMount, "path", "", MOUNT_PATH),
    (AuthMount, "path", "auth/userpass", MOUNT_PATH),
    (AuthMount, "path", "/auth/userpass/", MOUNT_PATH),
    (AuthMount, "namespace_id", "", NOT_EMPTY),
    (Entity, "id", "", NOT_EMPTY),
    (Entity, "name", "", NOT_EMPTY),
    (Entity, "namespace_id", "", NOT_EMPTY),
    (Entity, "policies", ("a", ""), NO_EMPTY_STRINGS),
    (Entity, "metadata", UNSORTED, SORTED_PAIRS),
    (Entity, "metadata", DUPLICATE_KEYS, SORTED_PAIRS),
    (EntityAlias, "id", "", NOT_EMPTY),
    (EntityAlias, "canonical_id", "", NOT_EMPTY),
    (EntityAlias, "mount_accessor", "", NOT_EMPTY),
    (EntityAlias, "name", "", NOT_EMPTY),
    (EntityAlias, "namespace_id", "", NOT_EMPTY),
    (EntityAlias, "metadata", UNSORTED, SORTED_PAIRS),
    (EntityAlias, "custom_metadata", DUPLICATE_KEYS, SORTED_PAIRS),
    (Group, "id", "", NOT_EMPTY),
    (Group, "name", "", NOT_EMPTY),
    (Group, "namespace_id", "", NOT_EMPTY),
    (Group, "policies", ("",), NO_EMPTY_STRINGS),
    (Group, "metadata", UNSORTED, SORTED_PAIRS),
    (GroupAlias, "id", "", NOT_EMPTY),
    (GroupAlias, "canonical_id", "", NOT_EMPTY),
    (GroupAlias, "mount_accessor", "", NOT_EMPTY),
    (GroupAlias, "name", "", NOT_EMPTY),
    (GroupAlias, "namespace_id", "", NOT_EMPTY),
    (Token, "namespace_id", "", NOT_EMPTY),
    # "" is Vault's spelling of "no entity"; the model spells it None.
    (Token, "entity_id", "", NONE_OR_NOT_EMPTY),
    (Token, "accessor", "", NONE_OR_NOT_EMPTY),
    (Token, "mount_accessor", "", NONE_OR_NOT_EMPTY),
    (Token, "role", "", NONE_OR_NOT_EMPTY),
    (Token, "creation_time", NAIVE, AWARE),
    (TokenRole, "name", "", NOT_EMPTY),
    (TokenRole, "namespace_id", "", NOT_EMPTY),
    (
        TokenRole,
        "token_type",
        "svc",
        (
            "must be one of ['batch', 'default-batch', 'default-service',"
            " 'service']"
        ),
    ),
    (SecretSyncAssociation, "namespace_id", "", NOT_EMPTY),
    (SecretSyncAssociation, "mount_accessor", "", NOT_EMPTY),
    (SecretSyncAssociation, "mount_path", "kv1", MOUNT_PATH),
    (SecretSyncAssociation, "secret_path", "", NOT_EMPTY),
    (SecretSyncAssociation, "destination", "", NOT_EMPTY),
    (SecretSyncAssociation, "created_at", NAIVE, AWARE),
    (SecretSyncAssociation, "deleted_at", NAIVE, AWARE),
    (
        SecretSyncAssociation,
        "deleted_at",
        JAN - dt.timedelta(seconds=1),
        f"must not be before created_at ({JAN!r})",
    ),
    (AcmeIdentifier, "type", "email", "must be one of ['dns', 'ip']"),
    (AcmeIdentifier, "value", "", NOT_EMPTY),
    (AcmeOrder, "identifiers", (), "must hold at least one item"),
    (AcmeOrder, "namespace_id", "", NOT_EMPTY),
    (AcmeOrder, "mount_accessor", "", NOT_EMPTY),
    (AcmeOrder, "issued_at", NAIVE, AWARE),
    (Client, "id", "", NOT_EMPTY),
    (Client, "namespace_id", "", NOT_EMPTY),
    (Client, "mount_accessor", "", NONE_OR_NOT_EMPTY),
]


@pytest.mark.parametrize(
    ("cls", "field", "value", "rule"),
    INVALID,
    ids=[f"{case[0].__name__}.{case[1]}={case[2]!r}" for case in INVALID],
)
def test_invalid_value_raises_error_naming_field_rule_and_value(
    cls, field, value, rule
):
    """
    Each invariant violation raises InvalidModelError with a clear message.
    """
    with pytest.raises(InvalidModelError) as info:
        cls(**{**VALID[cls], field: value})

    assert (info.value.field, info.value.value, info.value.rule) == (
        field,
        value,
        rule,
    )
    assert str(info.value) == f"{field} {rule}, got {value!r}"


@pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
def test_valid_arguments_build_an_object(cls):
    """
    The valid baseline of every class constructs without error.
    """
    obj = cls(**VALID[cls])

    assert isinstance(obj, cls)


def test_invalid_model_error_is_a_value_error_and_a_clientid_error():
    """
    Hosts can catch model errors as ValueError or as ClientIdError.
    """
    with pytest.raises(InvalidModelError) as info:
        Entity(id=EntityId(""), name="x")

    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ClientIdError)


def test_invalid_model_error_pickles():
    """
    A model error survives pickling with its field, value and rule.
    """
    error = InvalidModelError("id", "", "must not be empty")

    restored = pickle.loads(pickle.dumps(error))

    assert (restored.field, restored.value, restored.rule) == (
        "id",
        "",
        error.rule,
    )


class TestRootNamespace:
    """
    The root namespace's special form.
    """

    def test_root_factory_builds_vaults_root(self):
        """
        Namespace.root() has id "root", path "" and no parent.
        """
        root = Namespace.root()

        assert (root.id, root.path, root.parent_id, root.is_root) == (
            "root",
            "",
            None,
            True,
        )

    def test_root_path_must_be_empty(self):
        """
        The root namespace refuses any other path.
        """
        with pytest.raises(InvalidModelError) as info:
            Namespace(id=ROOT_NAMESPACE_ID, path="root/", parent_id=None)

        assert (
            str(info.value)
            == "path of the root namespace must be '', got 'root/'"
        )

    def test_root_must_not_have_a_parent(self):
        """
        The root namespace refuses a parent.
        """
        with pytest.raises(InvalidModelError) as info:
            Namespace(
                id=NamespaceId("root"), path="", parent_id=NamespaceId("aBcD1")
            )

        assert str(info.value) == (
            "parent_id of the root namespace must be None, got 'aBcD1'"
        )


class TestNamespaceAncestry:
    """
    Vault's HasParent: reflexive, root above all, paths end in '/'.
    """

    ROOT = Namespace.root()
    NS1 = Namespace(
        id=NamespaceId("aaaa1"), path="ns1/", parent_id=NamespaceId("root")
    )
    NS10 = Namespace(
        id=NamespaceId("aaa10"), path="ns10/", parent_id=NamespaceId("root")
    )
    CHILD = Namespace(
        id=NamespaceId("bbbb1"),
        path="ns1/child/",
        parent_id=NamespaceId("aaaa1"),
    )

    @pytest.mark.parametrize(
        ("name", "other", "expected"),
        [
            ("CHILD", "NS1", True),
            ("CHILD", "ROOT", True),
            ("NS1", "NS1", True),
            ("ROOT", "ROOT", True),
            ("NS1", "CHILD", False),
            ("ROOT", "NS1", False),
            # "ns10/" starts with "ns1" but not with "ns1/".
            ("NS10", "NS1", False),
            ("NS1", "NS10", False),
        ],
    )
    def test_is_descendant_or_self_of(self, name, other, expected):
        """
        Ancestry follows canonical paths, so ns10/ is not below ns1/.
        """
        actual = getattr(self, name).is_descendant_or_self_of(
            getattr(self, other)
        )

        assert actual is expected


class TestValueSemantics:
    """
    Frozen, keyword-only, value-equal model objects.
    """

    def test_equal_fields_make_equal_and_hash_equal_objects(self):
        """
        Two entities built from the same values are equal and hash alike.
        """
        first = Entity(id=EntityId("e-1"), name="bob", policies=("a",))
        second = Entity(id=EntityId("e-1"), name="bob", policies=("a",))

        assert (first == second, hash(first) == hash(second)) == (True, True)

    def test_different_fields_make_different_objects(self):
        """
        Objects differing in one field are not equal.
        """
        assert Token(policies=("a",)) != Token(policies=("b",))

    @pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
    def test_fields_cannot_be_reassigned(self, cls):
        """
        Assigning to a field of any model object raises FrozenInstanceError.
        """
        obj = cls(**VALID[cls])
        field = attrs.fields(cls)[0].name

        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(obj, field, getattr(obj, field))

    @pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
    def test_objects_have_no_instance_dict(self, cls):
        """
        Model classes are slotted, so no attribute can be added.
        """
        obj = cls(**VALID[cls])

        assert not hasattr(obj, "__dict__")

    def test_positional_arguments_are_refused(self):
        """
        Keyword-only construction prevents transposed IDs.
        """
        with pytest.raises(TypeError):
            AcmeIdentifier("dns", "example.com")  # type: ignore[call-arg]

    def test_evolve_revalidates(self):
        """
        attrs.evolve runs the validators again.
        """
        entity = Entity(id=EntityId("e-1"), name="bob")

        with pytest.raises(InvalidModelError):
            attrs.evolve(entity, name="")


def test_freeze_metadata_sorts_by_key():
    """
    freeze_metadata turns a mapping into sorted (key, value) pairs.
    """
    actual = freeze_metadata({"team": "payments", "env": "prod"})

    assert actual == (("env", "prod"), ("team", "payments"))


def test_group_type_values_are_vaults():
    """
    GroupType values are Vault's strings.
    """
    assert [member.value for member in GroupType] == ["internal", "external"]


@pytest.mark.parametrize(
    ("member", "value", "non_entity"),
    [
        (ClientType.ENTITY, "entity", False),
        (ClientType.NON_ENTITY_TOKEN, "non-entity-token", True),
        (ClientType.ACME, "pki-acme", True),
        (ClientType.SECRET_SYNC, "secret-sync", True),
    ],
)
def test_client_type_values_are_vaults_activity_types(
    member, value, non_entity
):
    """
    ClientType values are Vault's client_type strings with its NonEntity flag.
    """
    assert (member.value, member.is_non_entity) == (value, non_entity)
