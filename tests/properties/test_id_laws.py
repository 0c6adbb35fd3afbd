"""
Laws of client IDs: order independence and determinism across processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import (
    acme_identifiers,
    entity_ids,
    namespace_ids,
    policies,
    tokens,
)

from clientid import (
    Token,
    acme_client_id,
    client_for_token,
    non_entity_client_id,
    sanitize_policies,
)


class TestOrderIndependence:
    """
    "Sort it with Go sort.Strings" (non-entity tokens) and "Sort these
    strings" (ACME): the order a list arrives in never changes an ID.
    """

    @given(policies, namespace_ids, st.randoms(use_true_random=False))
    def test_non_entity_id_ignores_policy_order(
        self, names, namespace_id, random
    ):
        """
        Any permutation of the policies gives the same non-entity ID.
        """
        shuffled = list(names)
        random.shuffle(shuffled)

        assert non_entity_client_id(shuffled, namespace_id) == (
            non_entity_client_id(names, namespace_id)
        )

    @given(
        st.lists(acme_identifiers, min_size=1, max_size=5),
        st.randoms(use_true_random=False),
    )
    def test_acme_id_ignores_identifier_order(self, identifiers, random):
        """
        Any permutation of an order's identifiers gives the same ACME ID.
        """
        shuffled = list(identifiers)
        random.shuffle(shuffled)

        assert acme_client_id(shuffled) == acme_client_id(identifiers)

    @given(tokens, st.randoms(use_true_random=False))
    def test_client_for_token_ignores_policy_order(self, token, random):
        """
        Reordering a token's stored policies never changes its client.
        """
        shuffled = list(token.policies)
        random.shuffle(shuffled)
        reordered = Token(
            namespace_id=token.namespace_id,
            policies=tuple(shuffled),
            entity_id=token.entity_id,
            mount_accessor=token.mount_accessor,
            ignore_for_billing=token.ignore_for_billing,
        )

        assert client_for_token(reordered) == client_for_token(token)

    @given(policies, st.randoms(use_true_random=False), st.booleans())
    def test_sanitize_ignores_order(self, names, random, add_default):
        """
        Sanitising a permutation gives the same stored policies.
        """
        shuffled = list(names)
        random.shuffle(shuffled)

        assert sanitize_policies(shuffled, add_default=add_default) == (
            sanitize_policies(names, add_default=add_default)
        )


class TestSanitizeLaws:
    """
    "Names are trimmed and lower-cased, empty names dropped, duplicates
    removed, the list is sorted, and if root is present the list becomes
    exactly ["root"]."
    """

    @given(policies, st.booleans())
    def test_is_idempotent(self, names, add_default):
        """
        Sanitising stored policies again changes nothing.
        """
        once = sanitize_policies(names, add_default=add_default)

        assert sanitize_policies(once, add_default=add_default) == once

    @given(policies)
    def test_result_is_sorted_and_unique(self, names):
        """
        The stored list is strictly increasing.
        """
        stored = sanitize_policies(names)

        assert list(stored) == sorted(set(stored))

    @given(policies)
    def test_root_is_never_mixed_with_others(self, names):
        """
        root appears only as the sole policy.
        """
        stored = sanitize_policies([*names, "root"])

        assert stored == ("root",)

    @given(policies)
    def test_default_is_present_unless_root(self, names):
        """
        With add_default, default is stored unless the token is root.
        """
        stored = sanitize_policies(names)

        assert "default" in stored or stored == ("root",)


class TestEntityClients:
    """
    "If the token used for the request has a non-empty entity ID, the client
    ID is the entity ID verbatim."
    """

    @given(tokens, entity_ids)
    def test_entity_id_is_the_client_id(self, token, entity_id):
        """
        Whatever the policies, a billable entity token is its entity.
        """
        with_entity = Token(
            namespace_id=token.namespace_id,
            policies=token.policies,
            entity_id=entity_id,
        )

        client = client_for_token(with_entity)

        assert client is None or client.id == entity_id


_PROGRAM = textwrap.dedent(
    """
    import json
    from clientid import (
        AcmeIdentifier, MountAccessor, NamespaceId, SecretSyncAssociation,
        acme_client_id, non_entity_client_id, sanitize_policies,
        secret_sync_client_id,
    )
    from clientid.model.hashing import implicit_entity_id, implicit_entity_name
    import datetime as dt

    # Sets on purpose: their iteration order depends on the hash seed.
    policies = {"dev", "Ops ", "default", "é-p", "kv", "admin"}
    identifiers = {
        AcmeIdentifier(type="dns", value=name)
        for name in ("a.test.com", "*.test.com", "b.test.com")
    }
    association = SecretSyncAssociation(
        namespace_id=NamespaceId("aBcD1"),
        mount_accessor=MountAccessor("kv_1"),
        mount_path="kv1/",
        secret_path="app/db",
        destination="gh/repo",
        created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    print(json.dumps([
        sanitize_policies(policies),
        non_entity_client_id(sanitize_policies(policies), "aBcD1"),
        acme_client_id(identifiers),
        secret_sync_client_id(association),
        implicit_entity_id("root", "auth_userpass_1", "Alice"),
        implicit_entity_name("root", "auth_userpass_1", "Alice"),
    ]))
    """
)


def _ids_with_hash_seed(seed: str) -> object:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(result.stdout)


def test_ids_do_not_depend_on_the_hash_seed():
    """
    Two processes with different PYTHONHASHSEED compute identical IDs.
    """
    first = _ids_with_hash_seed("0")
    second = _ids_with_hash_seed("4242")

    assert first == second


def test_ids_in_another_process_equal_ids_here():
    """
    A fresh process computes the same IDs as this one.
    """
    namespace: dict[str, object] = {}
    printed: list[str] = []
    namespace["print"] = printed.append
    exec(_PROGRAM, namespace)  # noqa: S102

    assert json.loads(printed[0]) == _ids_with_hash_seed("1")
