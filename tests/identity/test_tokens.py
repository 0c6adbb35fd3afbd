"""
Token roles and tokens made with a token (clientid.identity.tokens).
"""

from __future__ import annotations

import pytest
from tests.identity.support import ROOT_TOKEN, userpass

from clientid import (
    TokenRole,
)
from clientid.errors import (
    InvalidRequestError,
)


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
    parent = store.login(userpass(store), "a", policies=["p"]).token
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
        userpass(store), "a", policies=["p", "q"], no_default_policy=True
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
