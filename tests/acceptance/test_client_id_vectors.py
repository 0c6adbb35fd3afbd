"""
Client IDs against every published vector.

Sources: spec/vault-client-counting.md §1.5 (13 non-entity vectors, A1-A6),
spec/vault-identity.md §10.1, Vault's unit test ``TestCreateClientID``
(sdk/logical/token_test.go) and the sample export record of Vault's API docs
(sys/internal/counters/activity/export).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from clientid import (
    AcmeIdentifier,
    ClientType,
    EntityId,
    MountAccessor,
    NamespaceId,
    Token,
    acme_client_id,
    client_for_token,
    non_entity_client_id,
    sanitize_policies,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "client-ids.md"
GOLDEN = Path(__file__).parent / "data" / "golden_ids.json"

# spec/vault-client-counting.md §1.5, non-entity tokens, vectors 1-13.
NON_ENTITY_VECTORS = [
    pytest.param(
        ["bar", "baz", "foo", "banana"],
        "namespaceFoo",
        "jPwsxFzwa/2a5D/l0RhCokbQl8RN3AWROaF4Kk6wnj4=",
        id="1-unit-test-policies",
    ),
    pytest.param(
        ["bar", "baz", "foo", "banana"],
        "",
        "whTKnXBHqJZTxxt7p3/dS32AZINI+K7J27MV0qlM1qA=",
        id="2-empty-namespace",
    ),
    pytest.param(
        [],
        "namespaceFoo",
        "oXRLDOqpEXgZAytAzBYRvx3MPXzeW6Eezee4JEaluQw=",
        id="3-no-policies",
    ),
    pytest.param(
        ["default"],
        "root",
        "g0A6QFkmfBoCzvwgAWlrwXxqmnxezsz9P+RmbKWtbTM=",
        id="4-default-in-root",
    ),
    pytest.param(
        [],
        "root",
        "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=",
        id="5-nothing-in-root",
    ),
    pytest.param(
        ["default", "admin"],
        "root",
        "X/Yed4Oj4cqODj9tSHjKwnRy5QVSBRlX3COxjjWSXyI=",
        id="6-docs-sample-export",
    ),
    # The raw recipe does not de-duplicate.
    pytest.param(
        ["default", "default"],
        "root",
        "CMzkR4xnEog3bX4HUGRJT3TwAqYZBSsRA95NjxFtXW0=",
        id="7-duplicate-policy",
    ),
    # A policy named "" is not the same as no policies.
    pytest.param(
        [""],
        "root",
        "PAb5plclr2BSYfY2ZyyWINQJcx2JpFHXRV/pxK4WeCk=",
        id="8-empty-policy-name",
    ),
    pytest.param(
        [],
        "",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        id="9-empty-input",
    ),
    # Byte-wise order: upper case sorts before lower case.
    pytest.param(
        ["Zeta", "alpha", "Beta"],
        "aBcD1",
        "hVDvAiE8n8XMP04qSxjpdVgyMXsF0UhC3duAcIXNMKA=",
        id="10-byte-order",
    ),
    pytest.param(
        ["default", "é-policy", "z"],
        "root",
        "eMHBkaqVDgX077eMO835XiEsM1anG1yUdew23+sidqs=",
        id="11-non-ascii",
    ),
    # Function level only: Vault stores ["root"] for such a token.
    pytest.param(
        ["root", "default"],
        "root",
        "6dzDB+dVYZ4z3uACb9iPDq5QphkdQHcVUMuaHFiMgE0=",
        id="12-root-and-default",
    ),
    pytest.param(
        ["default"],
        "aBcD1",
        "yxcSurynOCFazNBMwZUrHrzzwkl4zUbkslsgkhm0ppU=",
        id="13-default-in-child",
    ),
]

# spec/vault-identity.md §10.1 (verified there by re-running Go).
IDENTITY_SPEC_VECTORS = [
    pytest.param(
        ["default"],
        "root",
        "g0A6QFkmfBoCzvwgAWlrwXxqmnxezsz9P+RmbKWtbTM=",
        id="default-root",
    ),
    pytest.param(
        ["default", "dev"],
        "root",
        "8xyzM6eufMSA0QjdQbBcxXqQ/K7/7VcB1fQBRGvOZfM=",
        id="default-dev-root",
    ),
    pytest.param(
        ["dev", "default"],
        "root",
        "8xyzM6eufMSA0QjdQbBcxXqQ/K7/7VcB1fQBRGvOZfM=",
        id="dev-default-root",
    ),
    pytest.param(
        ["dev"],
        "root",
        "QnTzyhrU+H08D/9yCW9Rbis/xXAxJn5Dmd0Fvffs9IU=",
        id="dev-root",
    ),
    pytest.param(
        ["default", "dev"],
        "aBc12",
        "YYezF8EOd437H6iKglFn+Fee2X5Rb6jMA+OaHRpffzU=",
        id="default-dev-child",
    ),
    pytest.param(
        ["default"],
        "aBc12",
        "YbKhfwWUexNthxAsLQuHMQd2m6MN8i1OheAjrQQAupU=",
        id="default-child",
    ),
    pytest.param(
        [],
        "root",
        "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=",
        id="nothing-root",
    ),
    pytest.param(
        ["root"],
        "root",
        "0DHqvq2D77kL2/JTPSZkTMJbkFVmUu0TzMi0jiXcFy8=",
        id="root-token",
    ),
    pytest.param(
        ["bar", "baz", "foo", "banana"],
        "namespaceFoo",
        "jPwsxFzwa/2a5D/l0RhCokbQl8RN3AWROaF4Kk6wnj4=",
        id="upstream-fixture",
    ),
]

# spec/vault-client-counting.md §1.5, ACME vectors A1-A6.
ACME_VECTORS = [
    pytest.param(
        [("dns", "example.com")],
        "pki-acme.xfaCiaLmdK7G4nan25G4XFqB2vShYHdgfmDK-Ciy6bo",
        id="A1",
    ),
    pytest.param(
        [("dns", "example.dadgarcorp.com"), ("dns", "dadgarcorp.com")],
        "pki-acme.9DtCTd2hbC6y0MmDXMfwoZssRZeGt7sw1FB7Ly3vdKM",
        id="A2",
    ),
    pytest.param(
        [("dns", "dadgarcorp.com"), ("dns", "example.dadgarcorp.com")],
        "pki-acme.9DtCTd2hbC6y0MmDXMfwoZssRZeGt7sw1FB7Ly3vdKM",
        id="A2-other-order",
    ),
    # The wildcard keeps its "*.".
    pytest.param(
        [("dns", "b.test.com"), ("dns", "*.test.com")],
        "pki-acme.XZqAXxO7dgF2U54xUfPESXWlsr1mDMJd3S6pRK_v3p0",
        id="A3",
    ),
    pytest.param(
        [("ip", "10.0.0.1")],
        "pki-acme.GyUHAYCI7DFfeLAI1_2D1TJHIvQbDK8RVbMcGYbao7g",
        id="A4",
    ),
    # Case is preserved, so this is a different client from A1.
    pytest.param(
        [("dns", "Example.com")],
        "pki-acme.1WnlC7XD6o2_gCILEOazGlbk28oX5UMEQHjZbieQmms",
        id="A5",
    ),
    pytest.param(
        [("dns", "a.test.com")],
        "pki-acme.o6Klt6JCkcUMPJoPDj5ppXm86OVuH0iaE0dW9uXvx9o",
        id="A6",
    ),
]


@pytest.mark.parametrize(
    ("policies", "namespace_id", "expected"),
    NON_ENTITY_VECTORS + IDENTITY_SPEC_VECTORS,
)
def test_non_entity_client_id_matches_vault_vector(
    policies, namespace_id, expected
):
    """
    The raw non-entity recipe reproduces each published vector.
    """
    actual = non_entity_client_id(policies, namespace_id)

    assert expected == actual


@pytest.mark.parametrize(("identifiers", "expected"), ACME_VECTORS)
def test_acme_client_id_matches_vault_vector(identifiers, expected):
    """
    The ACME recipe reproduces each published vector A1-A6.
    """
    actual = acme_client_id(
        AcmeIdentifier(type=kind, value=value) for kind, value in identifiers
    )

    assert expected == actual


class TestCreateClientID:
    """
    The cases of Vault's ``TestCreateClientID`` (sdk/logical/token_test.go).
    """

    def test_policies_in_a_namespace(self):
        """
        Policies bar, baz, foo, banana in namespaceFoo hash to the fixture.
        """
        token = Token(
            namespace_id=NamespaceId("namespaceFoo"),
            policies=("bar", "baz", "foo", "banana"),
        )

        client = client_for_token(token)

        assert client is not None
        assert client.id == "jPwsxFzwa/2a5D/l0RhCokbQl8RN3AWROaF4Kk6wnj4="
        assert client.type == ClientType.NON_ENTITY_TOKEN

    def test_policies_without_a_namespace(self):
        """
        The same policies with an empty namespace ID hash to vector 2.
        """
        actual = non_entity_client_id(["bar", "baz", "foo", "banana"], "")

        assert actual == "whTKnXBHqJZTxxt7p3/dS32AZINI+K7J27MV0qlM1qA="

    def test_namespace_without_policies(self):
        """
        A token without policies hashes its namespace ID alone.
        """
        token = Token(namespace_id=NamespaceId("namespaceFoo"), policies=())

        client = client_for_token(token)

        assert client is not None
        assert client.id == "oXRLDOqpEXgZAytAzBYRvx3MPXzeW6Eezee4JEaluQw="

    def test_entity_id_is_returned_verbatim(self):
        """
        A token with an entity ID is identified by that ID, unhashed.
        """
        token = Token(
            namespace_id=NamespaceId("namespaceFoo"),
            policies=("bar", "baz", "foo", "banana"),
            entity_id=EntityId("entityID"),
        )

        client = client_for_token(token)

        assert client is not None
        assert client.id == "entityID"
        assert client.type == ClientType.ENTITY


def test_docs_sample_export_record_client_id_is_reproduced():
    """
    An admin token made by auth/token/create in root is the docs' sample.
    """
    # The docs' sample export record: client_id
    # "X/Yed4Oj4cqODj9tSHjKwnRy5QVSBRlX3COxjjWSXyI=", namespace_id "root",
    # non_entity true.  auth/token/create adds "default".
    token = Token(
        policies=sanitize_policies(["admin"]),
        mount_accessor=MountAccessor("auth_token_1a2b3c4d"),
    )

    client = client_for_token(token)

    assert client is not None
    assert client.id == "X/Yed4Oj4cqODj9tSHjKwnRy5QVSBRlX3COxjjWSXyI="
    assert client.namespace_id == "root"
    assert client.type.is_non_entity


def _known_ids() -> set[str]:
    known = {
        str(param.values[-1])
        for param in NON_ENTITY_VECTORS + IDENTITY_SPEC_VECTORS + ACME_VECTORS
    }
    golden = json.loads(GOLDEN.read_text("utf-8"))
    known.update(case["client_id"] for case in golden["secret_sync"])
    known.update(case["entity_id"] for case in golden["implicit_entities"])
    return known


def test_every_id_in_the_docs_is_a_tested_vector():
    """
    Each client ID quoted in docs/client-ids.md is one these tests check.
    """
    text = DOCS.read_text("utf-8")
    quoted = set(
        re.findall(
            r"`((?:pki-acme\.[A-Za-z0-9_-]{43})|(?:[A-Za-z0-9+/]{43}=)"
            r"|(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))`",
            text,
        )
    )

    assert quoted
    assert quoted <= _known_ids()
