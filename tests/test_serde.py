"""
Tests for clientid.serde: the own format, the Vault reader and the envelopes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys

import cattrs
import pytest

from clientid import (
    ROOT_NAMESPACE_ID,
    AcmeIdentifier,
    AcmeOrder,
    ActivityLog,
    ActivityReport,
    AuthMount,
    Client,
    ClientCounter,
    ClientId,
    ClientType,
    Entity,
    EntityAlias,
    EntityId,
    ExactClientSet,
    Group,
    GroupAlias,
    GroupType,
    HyperLogLog,
    IdentityStore,
    MountAccessor,
    Namespace,
    NamespaceId,
    SecretSyncAssociation,
    Token,
    TokenRole,
    TokenType,
    freeze_metadata,
    serde,
)
from clientid.errors import (
    ClientIdError,
    DecodeError,
    InvalidModelError,
    UnsupportedFormatError,
)

JAN = dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.UTC)


class TestOwnFormat:
    """
    to_dict / from_dict: clientid's strict, JSON-ready format.
    """

    def test_token_shape(self):
        """
        A token becomes a dict of JSON types with Vault's field names.
        """
        token = Token(
            namespace_id=NamespaceId("aBcD1"),
            policies=("default", "dev"),
            type=TokenType.BATCH,
            creation_time=JAN,
        )

        actual = serde.to_dict(token)

        assert actual == {
            "namespace_id": "aBcD1",
            "policies": ["default", "dev"],
            "entity_id": None,
            "type": "batch",
            "accessor": None,
            "orphan": True,
            "mount_accessor": None,
            "role": None,
            "creation_time": "2024-01-15T10:30:00+00:00",
            "ignore_for_billing": False,
        }

    def test_metadata_is_a_json_object(self):
        """
        Metadata pairs become a {key: value} object, keys in sorted order.
        """
        entity = Entity(
            id=EntityId("e-1"),
            name="bob",
            metadata=freeze_metadata({"team": "a", "env": "b"}),
        )

        actual = serde.to_dict(entity)["metadata"]

        assert list(actual.items()) == [("env", "b"), ("team", "a")]  # type: ignore[attr-defined]

    def test_client_type_is_vaults_string(self):
        """
        A client's type is written as Vault's client_type string.
        """
        client = Client(id=ClientId("x"), type=ClientType.SECRET_SYNC)

        assert serde.to_dict(client)["type"] == "secret-sync"

    def test_round_trip_through_json(self):
        """
        An ACME order survives to_dict, JSON and from_dict unchanged.
        """
        order = AcmeOrder(
            identifiers=(
                AcmeIdentifier(type="dns", value="*.example.com"),
                AcmeIdentifier(type="ip", value="10.0.0.1"),
            ),
            namespace_id=NamespaceId("aBcD1"),
            mount_accessor=MountAccessor("pki_06dad7b8"),
            issued_at=JAN,
        )

        text = json.dumps(serde.to_dict(order))

        assert serde.from_dict(json.loads(text), AcmeOrder) == order

    def test_offset_of_a_datetime_is_kept(self):
        """
        A non-UTC offset is written and read back as the same offset.
        """
        plus_two = dt.timezone(dt.timedelta(hours=2))
        association = SecretSyncAssociation(
            mount_accessor=MountAccessor("kv_1"),
            mount_path="kv/",
            secret_path="s",  # noqa: S106 (a KV path, not a password)
            destination="d",
            created_at=dt.datetime(2024, 1, 1, 12, tzinfo=plus_two),
        )

        data = serde.to_dict(association)
        back = serde.from_dict(data, SecretSyncAssociation)

        assert data["created_at"] == "2024-01-01T12:00:00+02:00"
        assert back.created_at.utcoffset() == dt.timedelta(hours=2)

    def test_z_suffix_is_read_as_utc(self):
        """
        RFC 3339's "Z" is accepted as UTC.
        """
        data = {
            "namespace_id": "root",
            "creation_time": "2024-01-15T10:30:00Z",
        }

        actual = serde.from_dict(data, Token)

        assert actual.creation_time == JAN

    def test_defaults_may_be_omitted(self):
        """
        Fields with defaults may be left out of the input.
        """
        actual = serde.from_dict({"id": "e-1", "name": "bob"}, Entity)

        assert actual == Entity(id=EntityId("e-1"), name="bob")

    def test_to_dict_rejects_non_clientid_objects(self):
        """
        to_dict of a plain string raises InvalidModelError naming obj.
        """
        with pytest.raises(InvalidModelError) as info:
            serde.to_dict("x")

        assert info.value.field == "obj"

    @pytest.mark.parametrize(
        ("cls", "data", "messages"),
        [
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "aliases": []},
                ["extra fields found (aliases) @ $"],
                id="extra-key",
            ),
            pytest.param(
                Entity,
                {"name": "b"},
                ["required field missing @ $.id"],
                id="missing-key",
            ),
            # "5" is not coerced to 5, nor 5 to "5".
            pytest.param(
                Entity,
                {"id": "e", "name": 5},
                ["must be a string, got 5 @ $.name"],
                id="int-for-str",
            ),
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "disabled": "false"},
                ["must be a boolean, got 'false' @ $.disabled"],
                id="str-for-bool",
            ),
            # A string is not a list of policies.
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "policies": "admin"},
                ["must be a list, got 'admin' @ $.policies"],
                id="str-for-list",
            ),
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "policies": ["a", 1]},
                ["must be a string, got 1 @ $.policies[1]"],
                id="bad-item",
            ),
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "metadata": [["a", "b"]]},
                [
                    (
                        "must be a map of strings to strings,"
                        " got [['a', 'b']] @ $.metadata"
                    )
                ],
                id="pairs-for-metadata",
            ),
            pytest.param(
                Entity,
                {"id": "e", "name": "b", "metadata": None},
                ["must be a map of strings to strings, got None @ $.metadata"],
                id="null-metadata",
            ),
            pytest.param(
                Entity,
                {"id": "", "name": "b"},
                ["id must not be empty, got '' @ $"],
                id="model-invariant",
            ),
            pytest.param(
                Entity,
                ["e", "b"],
                ["must be a map, got ['e', 'b'] @ $"],
                id="not-a-map",
            ),
            pytest.param(
                Client,
                {"id": "x", "type": "non_entity"},
                [
                    (
                        "must be one of ['entity', 'non-entity-token',"
                        " 'pki-acme', 'secret-sync'], got 'non_entity'"
                        " @ $.type"
                    )
                ],
                id="bad-enum",
            ),
            pytest.param(
                Token,
                {"creation_time": "2024-01-15T10:30:00"},
                [
                    (
                        "must be an RFC 3339 date-time with an offset,"
                        " got '2024-01-15T10:30:00' @ $.creation_time"
                    )
                ],
                id="naive-time",
            ),
            # Unix seconds are Vault's spelling, not clientid's.
            pytest.param(
                Token,
                {"creation_time": 1705314600},
                [
                    (
                        "must be an RFC 3339 date-time string, got 1705314600"
                        " @ $.creation_time"
                    )
                ],
                id="int-time",
            ),
            pytest.param(
                Token,
                {"entity_id": ""},
                ["entity_id must be None or a non-empty string, got '' @ $"],
                id="empty-for-none",
            ),
            pytest.param(
                AcmeOrder,
                {
                    "identifiers": [{"type": "email", "value": "a@b"}],
                    "mount_accessor": "pki_1",
                    "issued_at": "2024-01-15T10:30:00Z",
                },
                [
                    (
                        "type must be one of ['dns', 'ip'], got 'email'"
                        " @ $.identifiers[0]"
                    )
                ],
                id="nested-invariant",
            ),
        ],
    )
    def test_bad_input_raises_decode_error_with_paths(
        self, cls, data, messages
    ):
        """
        Rejected input raises DecodeError naming each problem and its path.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, cls)

        assert list(info.value.messages) == messages

    def test_decode_error_is_a_clientid_value_error(self):
        """
        DecodeError is catchable as ClientIdError and as ValueError.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_dict({}, Entity)

        assert isinstance(info.value, ClientIdError)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value.__cause__, Exception)


class TestConverters:
    """
    Converter construction and isolation.
    """

    def test_make_converter_returns_a_new_converter_each_time(self):
        """
        Each call builds an independent converter.
        """
        assert serde.make_converter() is not serde.make_converter()

    def test_hooks_on_an_own_converter_do_not_leak(self):
        """
        A host's hook on its converter does not change to_dict.
        """
        converter = serde.make_converter()
        converter.register_unstructure_hook(Client, lambda _: {"x": 1})
        client = Client(id=ClientId("x"), type=ClientType.ENTITY)

        assert serde.to_dict(client)["id"] == "x"
        assert converter.unstructure(client) == {"x": 1}

    def test_configure_converter_makes_a_host_converter_strict(self):
        """
        configure_converter gives a plain converter clientid's rules.
        """
        converter = cattrs.Converter()
        serde.configure_converter(converter)

        with pytest.raises(cattrs.BaseValidationError):
            converter.structure({"id": "e", "name": "b", "x": 1}, Entity)

    def test_global_converter_is_untouched(self):
        """
        cattrs's global converter still coerces as cattrs does by default.
        """
        actual = cattrs.global_converter.structure(5, str)

        assert actual == "5"

    def test_importing_clientid_does_not_import_serde_or_cattrs(self):
        """
        import clientid stays cheap: serde and cattrs are loaded on demand.
        """
        code = (
            "import sys, clientid; "
            "print('clientid.serde' in sys.modules, 'cattrs' in sys.modules)"
        )

        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )

        assert result.stdout.split() == ["False", "False"]


# Payloads as Vault's API returns them (the "data" object), with the
# fields clientid does not model left in.
VAULT_ENTITY = {
    "aliases": [
        {
            "canonical_id": "8d6a45e5-572f-8f13-d226-cd0d1ec57297",
            "creation_time": "2018-09-19T17:20:27.705389973Z",
            "id": "0df50f1f-d0e0-4a0a-f3e3-6e4c6d6c3b4e",
            "mount_accessor": "auth_approle_12345",
            "name": "role-id",
        }
    ],
    "creation_time": "2018-09-19T17:20:27.705389973Z",
    "direct_group_ids": [],
    "disabled": False,
    "group_ids": [],
    "id": "8d6a45e5-572f-8f13-d226-cd0d1ec57297",
    "inherited_group_ids": [],
    "last_update_time": "2018-09-19T17:20:27.705389973Z",
    "merged_entity_ids": None,
    "metadata": {"team": "vault", "organization": "hashicorp"},
    "name": "entity_ec2a4b5c",
    "namespace_id": "root",
    "policies": ["eng-dev", "infra-dev"],
}

VAULT_ALIAS = {
    "canonical_id": "8d6a45e5-572f-8f13-d226-cd0d1ec57297",
    "creation_time": "2018-09-19T17:20:27.705389973Z",
    "custom_metadata": {"contact": "a@example.com"},
    "id": "0df50f1f-d0e0-4a0a-f3e3-6e4c6d6c3b4e",
    "last_update_time": "2018-09-19T17:20:27.705389973Z",
    "local": False,
    "merged_from_canonical_ids": None,
    "metadata": None,
    "mount_accessor": "auth_github_1a2b3c4d",
    "mount_path": "auth/github/",
    "mount_type": "github",
    "name": "testuser",
    "namespace_id": "root",
}

VAULT_GROUP = {
    "alias": {},
    "creation_time": "2018-09-19T22:02:04.395128091Z",
    "id": "9e2c2a67-6b5c-9d4c-0b4b-f6a7e0d4c2f1",
    "last_update_time": "2018-09-19T22:02:04.395128091Z",
    "member_entity_ids": ["8d6a45e5-572f-8f13-d226-cd0d1ec57297"],
    "member_group_ids": None,
    "metadata": {"foo": "bar"},
    "modify_index": 1,
    "name": "testgroupname",
    "namespace_id": "root",
    "parent_group_ids": None,
    "policies": ["testgroup-policy"],
    "type": "internal",
}

VAULT_GROUP_ALIAS = {
    "canonical_id": "9e2c2a67-6b5c-9d4c-0b4b-f6a7e0d4c2f1",
    "creation_time": "2018-09-19T22:02:04.395128091Z",
    "id": "ca726050-d8ac-6f1f-4210-3b5c5b613824",
    "last_update_time": "2018-09-19T22:02:04.395128091Z",
    "merged_from_canonical_ids": None,
    "metadata": None,
    "mount_accessor": "auth_ldap_1a2b3c4d",
    "mount_path": "auth/ldap/",
    "mount_type": "ldap",
    "name": "admins",
    "namespace_id": "root",
}

VAULT_TOKEN_LOOKUP = {
    "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed",
    "creation_time": 1523979354,
    "creation_ttl": 2764800,
    "display_name": "ldap2-tesla",
    "entity_id": "7d2e3179-f69b-450c-7179-ac8ee8bd8ca9",
    "expire_time": "2018-05-19T11:35:54.466476215-04:00",
    "explicit_max_ttl": 0,
    "id": "cf64a70f-3a12-3f6c-791d-6cef6d390eed",
    "identity_policies": ["dev-group-policy"],
    "issue_time": "2018-04-17T11:35:54.466476078-04:00",
    "meta": {"username": "tesla"},
    "num_uses": 0,
    "orphan": True,
    "path": "auth/ldap2/login/tesla",
    "policies": ["default", "testgroup2-policy"],
    "renewable": True,
    "ttl": 2764790,
    "type": "service",
}

VAULT_TOKEN_ROLE = {
    "allowed_entity_aliases": None,
    "allowed_policies": ["dev"],
    "allowed_policies_glob": [],
    "disallowed_policies": [],
    "disallowed_policies_glob": [],
    "explicit_max_ttl": 0,
    "name": "nomad",
    "orphan": False,
    "path_suffix": "",
    "period": 0,
    "renewable": True,
    "token_no_default_policy": False,
    "token_type": "default-service",
}


class TestFromVault:
    """
    from_vault: Vault's API payloads, read leniently.
    """

    def test_entity_read(self):
        """
        An entity read keeps id, name, policies and metadata; the rest goes.
        """
        actual = serde.from_vault(VAULT_ENTITY, Entity)

        assert actual == Entity(
            id=EntityId("8d6a45e5-572f-8f13-d226-cd0d1ec57297"),
            name="entity_ec2a4b5c",
            policies=("eng-dev", "infra-dev"),
            metadata=(("organization", "hashicorp"), ("team", "vault")),
        )

    def test_entity_alias_read(self):
        """
        null metadata is empty; custom metadata is kept.
        """
        actual = serde.from_vault(VAULT_ALIAS, EntityAlias)

        assert (actual.metadata, actual.custom_metadata, actual.name) == (
            (),
            (("contact", "a@example.com"),),
            "testuser",
        )

    def test_group_read(self):
        """
        A group read gives type, members and a null parent list as ().
        """
        actual = serde.from_vault(VAULT_GROUP, Group)

        assert (
            actual.type,
            actual.member_entity_ids,
            actual.parent_group_ids,
        ) == (
            GroupType.INTERNAL,
            ("8d6a45e5-572f-8f13-d226-cd0d1ec57297",),
            (),
        )

    def test_group_alias_read(self):
        """
        A group alias read gives its canonical group and mount.
        """
        actual = serde.from_vault(VAULT_GROUP_ALIAS, GroupAlias)

        assert (actual.canonical_id, actual.mount_accessor) == (
            "9e2c2a67-6b5c-9d4c-0b4b-f6a7e0d4c2f1",
            "auth_ldap_1a2b3c4d",
        )

    def test_token_lookup(self):
        """
        A token lookup gives policies, entity and Unix creation time.
        """
        actual = serde.from_vault(VAULT_TOKEN_LOOKUP, Token)

        assert actual == Token(
            policies=("default", "testgroup2-policy"),
            entity_id=EntityId("7d2e3179-f69b-450c-7179-ac8ee8bd8ca9"),
            accessor="8609694a-cdbc-db9b-d345-e782dbb562ed",
            orphan=True,
            creation_time=dt.datetime(2018, 4, 17, 15, 35, 54, tzinfo=dt.UTC),
        )

    def test_empty_strings_are_none(self):
        """
        Vault's "" for no entity, role or accessor becomes None.
        """
        payload = {
            **VAULT_TOKEN_LOOKUP,
            "entity_id": "",
            "role": "",
            "accessor": "",
        }

        actual = serde.from_vault(payload, Token)

        assert (actual.entity_id, actual.role, actual.accessor) == (
            None,
            None,
            None,
        )

    def test_nanosecond_times_are_truncated_to_microseconds(self):
        """
        Vault's nanosecond RFC 3339 times are read to the microsecond.
        """
        payload = {
            **VAULT_TOKEN_LOOKUP,
            "creation_time": VAULT_ENTITY["creation_time"],
        }

        actual = serde.from_vault(payload, Token)

        assert actual.creation_time == dt.datetime(
            2018, 9, 19, 17, 20, 27, 705389, tzinfo=dt.UTC
        )

    @pytest.mark.parametrize("seconds", [1e300, float("nan")])
    def test_unix_seconds_out_of_range_are_rejected(self, seconds):
        """
        Unix seconds that name no datetime raise DecodeError.
        """
        payload = {**VAULT_TOKEN_LOOKUP, "creation_time": seconds}

        with pytest.raises(DecodeError) as info:
            serde.from_vault(payload, Token)

        assert info.value.messages == (
            (
                f"must be Unix seconds in range, got {seconds!r}"
                " @ $.creation_time"
            ),
        )

    def test_lower_case_separators_are_read(self):
        """
        RFC 3339 allows "t" and "z" in lower case.
        """
        payload = {
            **VAULT_TOKEN_LOOKUP,
            "creation_time": "2024-01-15t10:30:00z",
        }

        actual = serde.from_vault(payload, Token)

        assert actual.creation_time == JAN

    def test_token_role_read(self):
        """
        A token role read fills the modelled fields; null lists are empty.
        """
        actual = serde.from_vault(VAULT_TOKEN_ROLE, TokenRole)

        assert actual == TokenRole(name="nomad", allowed_policies=("dev",))

    def test_top_level_namespace_is_a_child_of_root(self):
        """
        A namespace read without parent_id and one segment is below root.
        """
        payload = {"id": "gsudj", "path": "ns1/", "custom_metadata": {}}

        actual = serde.from_vault(payload, Namespace)

        assert actual.parent_id == ROOT_NAMESPACE_ID

    def test_root_namespace_has_no_parent(self):
        """
        The root namespace read gets no parent.
        """
        actual = serde.from_vault({"id": "root", "path": ""}, Namespace)

        assert actual == Namespace.root()

    def test_nested_namespace_needs_its_parent(self):
        """
        A deeper namespace without parent_id is rejected, naming the field.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_vault({"id": "abcde", "path": "ns1/ns2/"}, Namespace)

        assert info.value.messages == ("required field missing @ $.parent_id",)

    def test_nested_namespace_with_its_parent_is_read(self):
        """
        A deeper namespace read with parent_id added by the caller is read.
        """
        payload = {"id": "abcde", "path": "ns1/ns2/", "parent_id": "aaaa1"}

        actual = serde.from_vault(payload, Namespace)

        assert actual.parent_id == "aaaa1"

    def test_types_are_still_checked(self):
        """
        Leniency is about shape only: a number for a string is an error.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_vault({**VAULT_ENTITY, "name": 7}, Entity)

        assert info.value.messages == ("must be a string, got 7 @ $.name",)

    def test_own_format_refuses_vault_payloads(self):
        """
        The own format forbids the extra keys Vault payloads carry.
        """
        with pytest.raises(DecodeError):
            serde.from_dict(VAULT_ENTITY, Entity)

    def test_auth_mounts(self):
        """
        A sys/auth listing gives mounts with auth/ paths, sorted by path.
        """
        listing = {
            "userpass/": {
                "accessor": "auth_userpass_1a2b3c4d",
                "config": {"default_lease_ttl": 0},
                "description": "",
                "local": True,
                "seal_wrap": False,
                "type": "userpass",
                "uuid": "5d1e3e1c-2c0b-4d62-8f4a-0e1b8c5e0a9f",
            },
            "token/": {
                "accessor": "auth_token_0a1b2c3d",
                "local": False,
                "type": "token",
            },
        }

        actual = serde.auth_mounts_from_vault(
            listing, namespace_id=NamespaceId("aBcD1")
        )

        assert actual == (
            AuthMount(
                accessor=MountAccessor("auth_token_0a1b2c3d"),
                type="token",
                path="auth/token/",
                namespace_id=NamespaceId("aBcD1"),
            ),
            AuthMount(
                accessor=MountAccessor("auth_userpass_1a2b3c4d"),
                type="userpass",
                path="auth/userpass/",
                namespace_id=NamespaceId("aBcD1"),
                local=True,
            ),
        )

    def test_auth_mount_errors_name_the_mount(self):
        """
        A bad entry's errors carry the mount path in their location.
        """
        with pytest.raises(DecodeError) as info:
            serde.auth_mounts_from_vault({"ldap/": {"type": "ldap"}})

        assert info.value.messages == (
            "required field missing @ $['ldap/'].accessor",
        )

    def test_auth_mount_entry_must_be_a_map(self):
        """
        A listing entry that is not a map is rejected with its path.
        """
        with pytest.raises(DecodeError) as info:
            serde.auth_mounts_from_vault({"ldap/": "x"})

        assert info.value.messages == (
            "must be a mapping, got 'x' @ $['ldap/']",
        )


class TestBinaryEnvelope:
    """
    Sketches and counters as {"format": 1, "data": <base64>}.
    """

    def test_exact_set_round_trips(self):
        """
        An ExactClientSet survives to_dict and from_dict equal.
        """
        exact = ExactClientSet(["b", "a", "c"])

        data = serde.to_dict(exact)

        assert set(data) == {"format", "data"}
        assert data["format"] == 1
        assert base64.b64decode(str(data["data"])) == exact.to_bytes()
        assert serde.from_dict(data, ExactClientSet) == exact

    def test_unknown_format_raises_unsupported_format(self):
        """
        An envelope of format 2 raises UnsupportedFormatError.
        """
        data = {**serde.to_dict(ExactClientSet(["a"])), "format": 2}

        with pytest.raises(UnsupportedFormatError) as info:
            serde.from_dict(data, ExactClientSet)

        assert info.value.messages == ("format must be 1, got 2",)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                {"data": "not base64!"},
                "data must be standard base64, got 'not base64!'",
            ),
            ({"data": 5}, "must be a base64 string, got 5"),
            (
                {"extra": 1},
                (
                    "keys must be ['data', 'format'],"
                    " got ['data', 'extra', 'format']"
                ),
            ),
        ],
    )
    def test_malformed_envelope_raises_decode_error(self, change, message):
        """
        Bad base64, a non-string payload or extra keys raise DecodeError.
        """
        data = {**serde.to_dict(ExactClientSet(["a"])), **change}

        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, ExactClientSet)

        assert message in info.value.messages[0]

    def test_hyperloglog_round_trips_with_lg_k(self):
        """
        A sketch's dict carries lg_k and reads back equal.
        """
        sketch = HyperLogLog(lg_k=10)
        sketch.update(f"client-{i}" for i in range(500))

        data = serde.to_dict(sketch)
        back = serde.from_dict(data, HyperLogLog)

        assert (data["format"], data["lg_k"]) == (1, 10)
        assert back.to_bytes() == sketch.to_bytes()

    def test_hyperloglog_lg_k_must_match_the_image(self):
        """
        An lg_k that disagrees with the binary image is rejected.
        """
        data = {**serde.to_dict(HyperLogLog(lg_k=10)), "lg_k": 12}

        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, HyperLogLog)

        assert info.value.messages == (
            "lg_k must match the sketch's (10), got 12",
        )

    def test_client_counter_round_trips(self):
        """
        A hybrid counter survives to_dict and from_dict.
        """
        counter = ClientCounter(["a", "b", "c"])

        back = serde.from_dict(serde.to_dict(counter), ClientCounter)

        assert back.to_bytes() == counter.to_bytes()

    def test_sketch_backed_client_counter_round_trips(self):
        """
        A counter past its exact limit reads back with the same estimate.
        """
        counter = ClientCounter(
            (f"client-{i}" for i in range(300)), exact_limit=100
        )

        back = serde.from_dict(serde.to_dict(counter), ClientCounter)

        assert back.count() == counter.count()
        assert not back.is_exact


class TestIdentityStore:
    """
    The identity store through its snapshot.
    """

    def test_round_trip_keeps_the_snapshot(self):
        """
        from_dict(to_dict(store)) holds exactly the same state.
        """
        store = IdentityStore()
        child = store.add_namespace("ns1")
        mount = store.enable_auth("userpass", namespace_id=child.id)
        store.login(mount.accessor, "Alice", metadata={"team": "a"})
        bob = store.login(mount.accessor, "bob").token.entity_id
        assert bob is not None
        store.create_group(
            namespace_id=child.id,
            name="admins",
            policies=["admin"],
            member_entity_ids=[bob],
        )
        store.add_token_role(TokenRole(name="ci", allowed_policies=("dev",)))

        data = json.loads(json.dumps(serde.to_dict(store)))
        back = serde.from_dict(data, IdentityStore)

        assert back.snapshot() == store.snapshot()
        assert len(back.snapshot().entities) == 2

    def test_restored_store_resolves_logins_alike(self):
        """
        A restored store maps the next login to the same entity.
        """
        store = IdentityStore()
        mount = store.enable_auth("userpass")
        first = store.login(mount.accessor, "alice")

        back = serde.from_dict(serde.to_dict(store), IdentityStore)
        again = back.login(mount.accessor, "ALICE")

        assert again.token.entity_id == first.token.entity_id

    def test_unknown_keys_in_a_store_are_rejected(self):
        """
        The store's dict is clientid's own format: extra keys are errors.
        """
        data = {**serde.to_dict(IdentityStore()), "version": 2}

        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, IdentityStore)

        assert info.value.messages == ("extra fields found (version) @ $",)


class TestActivityReport:
    """
    Reports through to_dict / from_dict.
    """

    def test_round_trip_through_json(self):
        """
        A report with months, namespaces and mounts reads back equal.
        """
        log = ActivityLog()
        child = NamespaceId("aBcD1")
        mount = MountAccessor("auth_userpass_1a2b3c4d")
        log.record(
            Client(
                id=ClientId("e-1"),
                type=ClientType.ENTITY,
                mount_accessor=mount,
            ),
            JAN,
        )
        log.record(
            Client(
                id=ClientId("g0A6QFkmfBoCzvwgAWlrwXxqmnxezsz9P+RmbKWtbTM="),
                type=ClientType.NON_ENTITY_TOKEN,
                namespace_id=child,
            ),
            JAN + dt.timedelta(days=31),
        )
        report = log.report(JAN.date(), (JAN + dt.timedelta(days=31)).date())

        text = json.dumps(serde.to_dict(report))

        assert serde.from_dict(json.loads(text), ActivityReport) == report


class TestEdges:
    """
    Top-level generic types, scalars, sets and dates.
    """

    def test_unsupported_format_inside_a_collection_keeps_its_class(self):
        """
        A format-2 envelope nested in a list still raises UnsupportedFormat.
        """
        data = [{**serde.to_dict(ExactClientSet(["a"])), "format": 2}]

        with pytest.raises(UnsupportedFormatError) as info:
            serde.from_dict(data, tuple[ExactClientSet, ...])

        assert info.value.messages == ("format must be 1, got 2 @ $[0]",)

    def test_envelope_must_be_a_map(self):
        """
        A counter given as a bare string is rejected.
        """

        with pytest.raises(DecodeError) as info:
            serde.from_dict("AAAA", ExactClientSet)

        assert info.value.messages == ("must be a map, got 'AAAA' @ $",)

    def test_sketch_lg_k_must_be_an_integer(self):
        """
        A sketch envelope with a string lg_k is rejected.
        """
        data = {**serde.to_dict(HyperLogLog(lg_k=10)), "lg_k": "10"}

        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, HyperLogLog)

        assert info.value.messages == (
            "must be an integer lg_k, got '10' @ $",
        )

    @pytest.mark.parametrize(
        ("data", "cls", "expected"),
        [
            (3, int, 3),
            (3, float, 3.0),
            (2.5, float, 2.5),
            ("2024-02-29", dt.date, dt.date(2024, 2, 29)),
            (["b", "a", "b"], frozenset[str], frozenset({"a", "b"})),
        ],
    )
    def test_scalars_and_sets_are_read(self, data, cls, expected):
        """
        Integers, numbers, dates and sets are read from their JSON form.
        """
        assert serde.from_dict(data, cls) == expected

    @pytest.mark.parametrize(
        ("data", "cls", "message"),
        [
            (True, int, "must be an integer, got True @ $"),
            ("3", int, "must be an integer, got '3' @ $"),
            (False, float, "must be a number, got False @ $"),
            (
                "2024-02-29T00:00:00Z",
                dt.date,
                (
                    "must be a date as 'YYYY-MM-DD',"
                    " got '2024-02-29T00:00:00Z' @ $"
                ),
            ),
            ("ab", frozenset[str], "must be a list, got 'ab' @ $"),
            (
                "2024-02-30",
                dt.date,
                "must be a date as 'YYYY-MM-DD', got '2024-02-30' @ $",
            ),
            # Shaped right, but there is no month 13.
            (
                "2024-13-01T00:00:00Z",
                dt.datetime,
                (
                    "must be an RFC 3339 date-time with an offset,"
                    " got '2024-13-01T00:00:00Z' @ $"
                ),
            ),
            # Python's \d would match Arabic-Indic digits; RFC 3339's not.
            (
                "\u0662\u0660\u0662\u0664-01-01T00:00:00Z",
                dt.datetime,
                (
                    "must be an RFC 3339 date-time with an offset,"
                    " got '\u0662\u0660\u0662\u0664-01-01T00:00:00Z' @ $"
                ),
            ),
        ],
    )
    def test_scalars_of_the_wrong_type_are_rejected(self, data, cls, message):
        """
        Booleans are not numbers and strings are not numbers, dates or sets.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, cls)

        assert info.value.messages == (message,)

    def test_sets_are_written_sorted(self):
        """
        A frozenset is written as a sorted list, whatever the hash seed.
        """
        converter = serde.make_converter()

        actual = converter.unstructure(
            frozenset({"b", "c", "a"}), frozenset[str]
        )

        assert actual == ["a", "b", "c"]

    def test_metadata_values_must_be_strings(self):
        """
        Metadata with a non-string value is rejected.
        """
        data = {"id": "e", "name": "b", "metadata": {"a": 1}}

        with pytest.raises(DecodeError) as info:
            serde.from_dict(data, Entity)

        assert info.value.messages == (
            "must be a map of strings to strings, got {'a': 1} @ $.metadata",
        )

    def test_vault_namespace_must_be_a_map(self):
        """
        A namespace payload that is not a map is rejected.
        """
        with pytest.raises(DecodeError) as info:
            serde.from_vault(["ns1/"], Namespace)

        assert info.value.messages == ("must be a map, got ['ns1/'] @ $",)
