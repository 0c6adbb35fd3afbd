"""
Effective policies (clientid.identity.policies).
"""

from __future__ import annotations

import pytest
from tests.identity.support import userpass

from clientid.errors import (
    InvalidRequestError,
    PermissionDeniedError,
)


def test_effective_policies_of_a_disabled_entity_are_denied(store):
    """
    A disabled entity's token has no effective policies, only a denial.
    """
    token = store.login(userpass(store), "a").token
    assert token.entity_id is not None
    store.disable_entity(token.entity_id)

    with pytest.raises(PermissionDeniedError):
        store.effective_policies(token)


def test_no_identity_policies_ignores_entity_and_groups(store):
    """
    A token marked no_identity_policies gets its own policies only.
    """
    result = store.login(userpass(store), "a", policies=["p"])
    assert result.entity is not None
    store.update_entity(result.entity.id, policies=["e"])

    policies = store.effective_policies(
        result.token, no_identity_policies=True
    )

    assert policies.policies == ("default", "p")


def test_group_policy_mode_accepts_vaults_strings(store):
    """
    effective_policies takes the mode's Vault string too, and no other.
    """
    token = store.login(userpass(store), "alice").token

    policies = store.effective_policies(token, mode="any")
    with pytest.raises(InvalidRequestError) as info:
        store.effective_policies(token, mode="everywhere")

    assert policies.policies == ("default",)
    assert info.value.rule == "policy-mode-invalid"
