"""
Tests for the pure resolvers: policy sanitising, client IDs and clients.
"""

from __future__ import annotations

import datetime as dt

import pytest

from clientid import (
    AcmeIdentifier,
    AcmeOrder,
    Client,
    ClientId,
    ClientType,
    EntityId,
    MountAccessor,
    NamespaceId,
    SecretSyncAssociation,
    Token,
    TokenType,
    acme_client_id,
    client_for_acme_order,
    client_for_secret_sync,
    client_for_token,
    is_billable_token,
    is_root_token,
    is_wrapping_token,
    non_entity_client_id,
    sanitize_policies,
    secret_sync_client_id,
)
from clientid.errors import InvalidModelError

JAN = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
CHILD = NamespaceId("aBcD1")
USERPASS = MountAccessor("auth_userpass_1a2b3c4d")


def _association(
    kv_path: str = "app/db", **changes: object
) -> SecretSyncAssociation:
    fields: dict[str, object] = {
        "namespace_id": NamespaceId("root"),
        "mount_accessor": MountAccessor("kv_0a1b2c3d"),
        "mount_path": "kv1/",
        "secret_path": kv_path,
        "destination": "aws-sm/prod",
        "created_at": JAN,
    }
    fields.update(changes)
    return SecretSyncAssociation(**fields)  # type: ignore[arg-type]


def _order(*identifiers: tuple[str, str], **changes: object) -> AcmeOrder:
    fields: dict[str, object] = {
        "identifiers": tuple(
            AcmeIdentifier(type=kind, value=value)
            for kind, value in identifiers
        ),
        "mount_accessor": MountAccessor("pki_06dad7b8"),
        "issued_at": JAN,
    }
    fields.update(changes)
    return AcmeOrder(**fields)  # type: ignore[arg-type]


class TestSanitizePolicies:
    """
    Vault's token-store normalisation (policyutil.SanitizePolicies).
    """

    @pytest.mark.parametrize(
        ("requested", "expected"),
        [
            pytest.param([], ("default",), id="nothing-gets-default"),
            pytest.param([" Admin\t"], ("admin", "default"), id="trim-lower"),
            pytest.param(["", "  "], ("default",), id="drop-empty"),
            pytest.param(
                ["dev", "DEV", "Dev "], ("default", "dev"), id="dedupe"
            ),
            pytest.param(
                ["z", "b", "a"], ("a", "b", "default", "z"), id="sorted"
            ),
            pytest.param(["default"], ("default",), id="default-once"),
            pytest.param(["admin", "ROOT "], ("root",), id="root-swallows"),
            # Go's TrimSpace trims NBSP and U+3000 like Python, but keeps
            # U+001F, which Python's str.strip() would remove.
            pytest.param(
                ["\xa0a\u3000", "\x1fb"],
                ("\x1fb", "a", "default"),
                id="go-white-space",
            ),
            # Go lower-cases rune by rune with the simple mapping.
            pytest.param(
                ["\u0130X", "\u03a3\u03a3"],
                ("default", "ix", "\u03c3\u03c3"),
                id="go-lower-case",
            ),
            pytest.param(["é-P", "z"], ("default", "z", "é-p"), id="bytes"),
        ],
    )
    def test_normalises_like_the_token_store(self, requested, expected):
        """
        Requested policies are stored trimmed, lower, unique and sorted.
        """
        actual = sanitize_policies(requested)

        assert actual == expected

    def test_add_default_false_adds_nothing(self):
        """
        With add_default=False, default is not added.
        """
        actual = sanitize_policies(["B", "a"], add_default=False)

        assert actual == ("a", "b")

    def test_root_wins_even_without_default(self):
        """
        A root policy yields exactly ("root",) whatever add_default says.
        """
        actual = sanitize_policies(["x", "root"], add_default=False)

        assert actual == ("root",)

    def test_accepts_any_iterable(self):
        """
        A generator of names is accepted like a list.
        """
        actual = sanitize_policies(name for name in ["b", "a"])

        assert actual == ("a", "b", "default")

    def test_rejects_a_single_string(self):
        """
        A str is not a list of policies and is refused with a clear error.
        """
        with pytest.raises(InvalidModelError) as info:
            sanitize_policies("admin")

        assert str(info.value) == (
            "policies must be an iterable of strings, not a single string,"
            " got 'admin'"
        )


class TestNonEntityClientId:
    """
    The raw non-entity recipe, re-exported publicly.
    """

    def test_does_not_normalise(self):
        """
        Upper-case or padded names hash differently from normalised ones.
        """
        raw = non_entity_client_id([" Admin"], "root")

        assert raw != non_entity_client_id(["admin"], "root")

    def test_is_forty_four_characters_of_padded_base64(self):
        """
        The ID is standard base64 of 32 bytes, with its padding.
        """
        actual = non_entity_client_id(["dev"], "root")

        assert (len(actual), actual[-1]) == (44, "=")

    def test_rejects_a_single_string(self):
        """
        A str passed as policies raises rather than hashing characters.
        """
        with pytest.raises(InvalidModelError) as info:
            non_entity_client_id("default", "root")

        assert info.value.field == "policies"


class TestAcmeClientId:
    """
    Vault's ACME client IDs.
    """

    def test_rejects_an_order_without_identifiers(self):
        """
        No identifiers means no ACME order, and an error naming the field.
        """
        with pytest.raises(InvalidModelError) as info:
            acme_client_id([])

        assert str(info.value) == (
            "identifiers must hold at least one identifier, got ()"
        )

    def test_duplicates_are_hashed_as_given(self):
        """
        A repeated identifier is part of the input, as in Vault.
        """
        one = AcmeIdentifier(type="dns", value="a.test.com")

        assert acme_client_id([one, one]) != acme_client_id([one])

    def test_same_value_different_type_differs(self):
        """
        The identifier type is part of the hash input.
        """
        dns = AcmeIdentifier(type="dns", value="10.0.0.1")
        ip = AcmeIdentifier(type="ip", value="10.0.0.1")

        assert acme_client_id([dns]) != acme_client_id([ip])


class TestSecretSyncClientId:
    """
    clientid's own secret-sync recipe.
    """

    def test_destination_is_not_an_input(self):
        """
        One secret synced to two destinations is one client.
        """
        first = _association(destination="aws-sm/prod")
        second = _association(destination="gh/repo")

        assert secret_sync_client_id(first) == secret_sync_client_id(second)

    def test_mount_path_is_an_input(self):
        """
        kv1/secret and kv2/secret are two clients.
        """
        first = _association(mount_path="kv1/", kv_path="secret")
        second = _association(mount_path="kv2/", kv_path="secret")

        assert secret_sync_client_id(first) != secret_sync_client_id(second)

    def test_namespace_is_an_input(self):
        """
        The same path in two namespaces is two clients.
        """
        first = _association()
        second = _association(namespace_id=CHILD)

        assert secret_sync_client_id(first) != secret_sync_client_id(second)

    def test_fields_are_framed(self):
        """
        Moving a character between mount and secret path changes the ID.
        """
        first = _association(mount_path="a/b/", kv_path="c")
        second = _association(mount_path="a/", kv_path="b/c")

        assert secret_sync_client_id(first) != secret_sync_client_id(second)

    def test_times_and_accessor_are_not_inputs(self):
        """
        Re-creating an association later keeps the secret's client ID.
        """
        first = _association()
        second = _association(
            created_at=JAN + dt.timedelta(days=40),
            deleted_at=JAN + dt.timedelta(days=90),
            mount_accessor=MountAccessor("kv_ffffffff"),
        )

        assert secret_sync_client_id(first) == secret_sync_client_id(second)


class TestTokenPredicates:
    """
    Which tokens Vault never counts.
    """

    @pytest.mark.parametrize(
        ("policies", "expected"),
        [
            (("root",), True),
            # The check is on the stored list (vector 12).
            (("default", "root"), False),
            ((), False),
            (("Root",), False),
        ],
    )
    def test_is_root_token(self, policies, expected):
        """
        Only a sole root policy makes a root token.
        """
        actual = is_root_token(Token(policies=policies))

        assert actual is expected

    @pytest.mark.parametrize(
        ("policies", "expected"),
        [
            (("response-wrapping",), True),
            (("control-group",), True),
            (("default", "response-wrapping"), False),
            (("default",), False),
            ((), False),
        ],
    )
    def test_is_wrapping_token(self, policies, expected):
        """
        Only a sole wrapping or control-group policy makes a wrapping token.
        """
        actual = is_wrapping_token(Token(policies=policies))

        assert actual is expected

    def test_ignore_for_billing_is_not_billable(self):
        """
        A token marked ignore_for_billing is not billable.
        """
        token = Token(policies=("default",), ignore_for_billing=True)

        assert not is_billable_token(token)

    def test_ordinary_token_is_billable(self):
        """
        A token with ordinary policies is billable.
        """
        assert is_billable_token(Token(policies=("default",)))


class TestClientForToken:
    """
    The client a request's token makes (HandleTokenUsage).
    """

    @pytest.mark.parametrize(
        "token",
        [
            pytest.param(Token(policies=("root",)), id="root"),
            pytest.param(
                Token(policies=("root",), entity_id=EntityId("e-1")),
                id="root-with-entity",
            ),
            pytest.param(
                Token(policies=("response-wrapping",)), id="wrapping"
            ),
            pytest.param(
                Token(policies=("control-group",), entity_id=EntityId("e-1")),
                id="control-group",
            ),
            pytest.param(
                Token(policies=("default",), ignore_for_billing=True),
                id="ignore-for-billing",
            ),
        ],
    )
    def test_tokens_vault_never_counts_make_no_client(self, token):
        """
        Root, wrapping, control-group and ignored tokens resolve to None.
        """
        assert client_for_token(token) is None

    def test_entity_token_is_its_entity(self):
        """
        A token with an entity is an entity client attributed to the token.
        """
        token = Token(
            namespace_id=CHILD,
            policies=("default",),
            entity_id=EntityId("3f210722-7210-98e8-1f0d-e6a39ffb29c6"),
            mount_accessor=USERPASS,
        )

        actual = client_for_token(token)

        assert actual == Client(
            id=ClientId("3f210722-7210-98e8-1f0d-e6a39ffb29c6"),
            type=ClientType.ENTITY,
            namespace_id=CHILD,
            mount_accessor=USERPASS,
        )

    def test_non_entity_token_hashes_policies_and_namespace(self):
        """
        A token without an entity is a non-entity client of the raw hash.
        """
        token = Token(
            namespace_id=CHILD, policies=("default",), mount_accessor=USERPASS
        )

        actual = client_for_token(token)

        assert actual == Client(
            id=ClientId("yxcSurynOCFazNBMwZUrHrzzwkl4zUbkslsgkhm0ppU="),
            type=ClientType.NON_ENTITY_TOKEN,
            namespace_id=CHILD,
            mount_accessor=USERPASS,
        )

    def test_root_and_default_token_is_counted(self):
        """
        A hand-built ("default", "root") token is not a root token (vector 12).
        """
        actual = client_for_token(Token(policies=("default", "root")))

        assert actual is not None
        assert actual.id == "6dzDB+dVYZ4z3uACb9iPDq5QphkdQHcVUMuaHFiMgE0="

    def test_token_details_do_not_change_the_client_id(self):
        """
        Type, accessor, role, orphan and creation time are not inputs.
        """
        plain = Token(policies=("default", "dev"))
        detailed = Token(
            policies=("default", "dev"),
            type=TokenType.BATCH,
            accessor="abcdefghijklmnopqrstuvwx",
            orphan=False,
            role="ci",
            creation_time=JAN,
        )

        first, second = client_for_token(plain), client_for_token(detailed)

        assert first == second

    def test_missing_mount_accessor_is_attributed_to_none(self):
        """
        A token without a known issuing mount keeps mount_accessor None.
        """
        actual = client_for_token(Token(policies=("default",)))

        assert actual is not None
        assert actual.mount_accessor is None


class TestClientForAcmeOrder:
    """
    The client a finalized ACME order makes.
    """

    def test_attributed_to_the_pki_mount_and_namespace(self):
        """
        The client carries the PKI mount's accessor and namespace.
        """
        order = _order(("dns", "example.com"), namespace_id=CHILD)

        actual = client_for_acme_order(order)

        assert actual == Client(
            id=ClientId(
                "pki-acme.xfaCiaLmdK7G4nan25G4XFqB2vShYHdgfmDK-Ciy6bo"
            ),
            type=ClientType.ACME,
            namespace_id=CHILD,
            mount_accessor=MountAccessor("pki_06dad7b8"),
        )

    def test_same_identifiers_on_another_mount_are_one_client(self):
        """
        The ID ignores the mount, as Vault's TestACMEBilling shows.
        """
        first = _order(("dns", "a.test.com"))
        second = _order(
            ("dns", "a.test.com"),
            mount_accessor=MountAccessor("pki_ffffffff"),
            namespace_id=CHILD,
        )

        ids = (
            client_for_acme_order(first).id,
            client_for_acme_order(second).id,
        )

        assert ids[0] == ids[1]


class TestClientForSecretSync:
    """
    The client a secret-sync association makes.
    """

    def test_attributed_to_the_kv_mount_and_namespace(self):
        """
        The client is a secret-sync client of the KV mount's namespace.
        """
        association = _association(namespace_id=CHILD)

        actual = client_for_secret_sync(association)

        assert actual == Client(
            id=secret_sync_client_id(association),
            type=ClientType.SECRET_SYNC,
            namespace_id=CHILD,
            mount_accessor=MountAccessor("kv_0a1b2c3d"),
        )
