"""
Tests for the hashing module: Vault's recipes and clientid's framed ones.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

import pytest

from clientid.model.hashing import (
    ACME_CLIENT_ID_PREFIX,
    ACME_IDENTIFIER_SEPARATOR,
    IMPLICIT_ENTITY_TAG,
    NON_ENTITY_NAMESPACE_DELIMITER,
    NON_ENTITY_POLICY_DELIMITER,
    SECRET_SYNC_TAG,
    acme_client_id_from_strings,
    derived_uuid,
    implicit_entity,
    implicit_entity_id,
    implicit_entity_name,
    non_entity_client_id,
    secret_sync_client_id_from_fields,
)
from clientid.model.text import GO_WHITESPACE, go_lower


def _framed_sha256(*parts: str) -> bytes:
    # The documented framing, written out independently of the module.
    data = b"".join(
        len(part.encode()).to_bytes(8, "big") + part.encode() for part in parts
    )
    return hashlib.sha256(data).digest()


class TestVaultConstants:
    """
    The delimiters and prefix are Vault's and never change.
    """

    def test_values(self):
        """
        DEL, NUL, U+2668 and "pki-acme." are the constants.
        """
        actual = (
            NON_ENTITY_POLICY_DELIMITER,
            NON_ENTITY_NAMESPACE_DELIMITER,
            ACME_IDENTIFIER_SEPARATOR.encode(),
            ACME_CLIENT_ID_PREFIX,
        )

        assert actual == ("\x7f", "\x00", b"\xe2\x99\xa8", "pki-acme.")


class TestNonEntityRecipe:
    """
    Vault's non-entity token recipe.
    """

    def test_hash_input_is_documented_string(self):
        """
        The ID is base64 of SHA-256 over "a\\x7fb\\x00ns" for policies b, a.
        """
        expected = base64.b64encode(
            hashlib.sha256(b"a\x7fb\x00ns").digest()
        ).decode()

        assert non_entity_client_id(["b", "a"], "ns") == expected

    def test_sort_is_by_code_point_not_locale(self):
        """
        "B" sorts before "a", and "é" after "z", as Go's byte order has it.
        """
        expected = base64.b64encode(
            hashlib.sha256("B\x7fa\x7fz\x7fé\x00root".encode()).digest()
        ).decode()

        assert non_entity_client_id(["é", "z", "a", "B"], "root") == expected


class TestAcmeRecipe:
    """
    Vault's ACME recipe over type/value strings.
    """

    def test_hash_input_is_bracketed_and_joined(self):
        """
        The ID is pki-acme. + unpadded URL-safe base64 of the joined input.
        """
        digest = hashlib.sha256("[dns/a]♨[ip/b]".encode()).digest()
        expected = "pki-acme." + base64.urlsafe_b64encode(
            digest
        ).decode().rstrip("=")

        assert acme_client_id_from_strings(["ip/b", "dns/a"]) == expected

    def test_id_has_forty_three_characters_after_the_prefix(self):
        """
        32 bytes in unpadded base64 are 43 characters.
        """
        actual = acme_client_id_from_strings(["dns/example.com"])

        assert len(actual.removeprefix("pki-acme.")) == 43


class TestImplicitEntity:
    """
    clientid's deterministic implicit entities.
    """

    def test_id_is_the_documented_framed_digest_as_uuid_v8(self):
        """
        The ID is the first 16 digest bytes with version 8 and RFC variant.
        """
        digest = bytearray(
            _framed_sha256(IMPLICIT_ENTITY_TAG, "root", "auth_up_1", "alice")
        )
        digest[6] = (digest[6] & 0x0F) | 0x80
        digest[8] = (digest[8] & 0x3F) | 0x80
        expected = str(uuid.UUID(bytes=bytes(digest[:16])))

        assert implicit_entity_id("root", "auth_up_1", "alice") == expected

    def test_id_parses_as_a_version_8_uuid(self):
        """
        The ID is a canonical UUID string of version 8.
        """
        actual = uuid.UUID(implicit_entity_id("root", "auth_up_1", "alice"))

        assert (actual.version, actual.variant) == (8, uuid.RFC_4122)

    def test_alias_name_case_does_not_matter(self):
        """
        Alice and alice on one mount are the same implicit entity.
        """
        first = implicit_entity_id("root", "auth_up_1", "Alice")

        assert first == implicit_entity_id("root", "auth_up_1", "alice")

    def test_alias_names_fold_as_gos_to_lower(self):
        """
        İ folds to a plain i, as alias keys fold, not to i and a dot.
        """
        args = ("root", "auth_up_1")

        assert implicit_entity_id(*args, "\u0130x") == (
            implicit_entity_id(*args, "ix")
        )
        assert implicit_entity(*args, "\u0130X") == (
            implicit_entity(*args, "ix")
        )
        assert implicit_entity_name(*args, "\u0130x", 1) == (
            implicit_entity_name(*args, "ix", 1)
        )

    def test_fold_is_the_one_alias_keys_use(self):
        """
        Names equal under go_lower derive equal IDs, whatever their case.
        """
        for name in ("\u0130rem", "\u03a3\u039f\u03a6\u0399\u0391", "\u212a"):
            assert implicit_entity_id("root", "auth_up_1", name) == (
                implicit_entity_id("root", "auth_up_1", go_lower(name))
            )

    @pytest.mark.parametrize(
        "other",
        [
            ("aBcD1", "auth_up_1", "alice"),
            ("root", "auth_up_2", "alice"),
            ("root", "auth_up_1", "bob"),
        ],
    )
    def test_every_field_is_an_input(self, other):
        """
        Changing namespace, mount or alias name changes the entity.
        """
        assert implicit_entity_id("root", "auth_up_1", "alice") != (
            implicit_entity_id(*other)
        )

    def test_name_is_entity_and_eight_hex_digits(self):
        """
        The name is entity_ followed by digest bytes 16..19 in hex.
        """
        digest = _framed_sha256(
            IMPLICIT_ENTITY_TAG, "root", "auth_up_1", "alice"
        )

        actual = implicit_entity_name("root", "auth_up_1", "alice")

        assert actual == "entity_" + digest[16:20].hex()
        assert re.fullmatch(r"entity_[0-9a-f]{8}", actual)

    def test_later_attempts_give_other_names(self):
        """
        Attempt 1 adds the attempt number as a field, so the name changes.
        """
        digest = _framed_sha256(
            IMPLICIT_ENTITY_TAG, "root", "auth_up_1", "alice", "1"
        )

        actual = implicit_entity_name("root", "auth_up_1", "alice", 1)

        assert actual == "entity_" + digest[16:20].hex()


class TestSecretSyncRecipe:
    """
    clientid's secret-sync recipe.
    """

    def test_id_is_base64_of_the_framed_digest(self):
        """
        The ID is padded standard base64 of SHA-256 over the framed fields.
        """
        digest = _framed_sha256(SECRET_SYNC_TAG, "root", "kv1/", "secret")

        actual = secret_sync_client_id_from_fields("root", "kv1/", "secret")

        assert actual == base64.b64encode(digest).decode()

    def test_framing_keeps_field_boundaries(self):
        """
        ("a,b", "c") and ("a", "b,c") give different IDs.
        """
        first = secret_sync_client_id_from_fields("root", "a,b", "c")

        assert first != secret_sync_client_id_from_fields("root", "a", "b,c")

    def test_tag_separates_recipes(self):
        """
        The same fields under the implicit-entity tag give another digest.
        """
        secret = _framed_sha256(SECRET_SYNC_TAG, "root", "a", "b")

        assert secret != _framed_sha256(IMPLICIT_ENTITY_TAG, "root", "a", "b")


class TestDerivedUuid:
    """
    The UUIDs the identity store mints.
    """

    def test_is_deterministic(self):
        """
        The same tag and fields always give the same UUID.
        """
        first = derived_uuid("clientid/group/v1", "root", "admins")

        assert first == derived_uuid("clientid/group/v1", "root", "admins")

    def test_tag_is_an_input(self):
        """
        Different tags over the same fields give different UUIDs.
        """
        first = derived_uuid("clientid/group/v1", "root")

        assert first != derived_uuid("clientid/entity-alias/v1", "root")


class TestGoText:
    """
    clientid.model.text: Go's ToLower and TrimSpace, shared by every fold.
    """

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("ALICE", "alice"),
            ("\u0130x", "ix"),  # str.lower() would give "i\u0307x"
            ("\u03a3\u03a3", "\u03c3\u03c3"),  # no final-sigma rule
            ("\u212a", "k"),  # Kelvin sign
        ],
    )
    def test_go_lower_maps_rune_by_rune(self, text, expected):
        """
        go_lower applies Unicode's simple mapping to each character.
        """
        assert go_lower(text) == expected

    def test_go_whitespace_keeps_the_separators_python_trims(self):
        """
        U+001C..U+001F are not White_Space in Go, though str.strip trims them.
        """
        assert "\x1c" not in GO_WHITESPACE
        assert "\u3000" in GO_WHITESPACE
        assert " \x1cp\u3000".strip(GO_WHITESPACE) == "\x1cp"
