"""
The values the identity store answers with.

Login results, effective policies, and the group policy application mode.
"""

from __future__ import annotations

import enum
from typing import final

import attrs

from clientid.model.ids import NamespaceId
from clientid.model.records import Entity, EntityAlias, Token

__all__ = ["EffectivePolicies", "GroupPolicyApplication", "LoginResult"]


@final
class GroupPolicyApplication(enum.Enum):
    """
    Vault's ``sys/config/group-policy-application`` mode.

    See: https://developer.hashicorp.com/vault/api-docs/system/config-group-policy-application
    """

    #: A group's policies apply to tokens of its namespace and of ancestor
    #: namespaces only (Vault's default).
    WITHIN_NAMESPACE_HIERARCHY = "within_namespace_hierarchy"
    #: A group's policies apply to tokens of every namespace.
    ANY = "any"


@final
@attrs.frozen(kw_only=True)
class LoginResult:
    """
    What a login produced.

    Attributes:
        token: The issued token (always an orphan).
        entity: The entity the login resolved to, or ``None`` when the auth
            method reported no alias (a non-entity token).
        alias: The entity alias that matched or was created, or ``None``.
        created: Whether the login created the entity (and its alias).
        group_aliases: The reported group alias names that matched a group
            alias of the login mount, in the order reported.
    """

    token: Token
    entity: Entity | None
    alias: EntityAlias | None
    created: bool
    group_aliases: tuple[str, ...] = ()


@final
@attrs.frozen(kw_only=True)
class EffectivePolicies:
    """
    The policies a request made with a token is evaluated against.

    Attributes:
        token_policies: The token's own policies.
        identity_policies: Entity and group policies that apply in the
            token's namespace (sanitized: lower-cased, de-duplicated,
            sorted).
        policies: ``token_policies`` and ``identity_policies`` together,
            sanitized without adding ``default``.
        external_namespace_policies: Identity policies of other namespaces,
            as ``(namespace_id, policies)`` pairs sorted by namespace ID.
    """

    token_policies: tuple[str, ...]
    identity_policies: tuple[str, ...]
    policies: tuple[str, ...]
    external_namespace_policies: tuple[
        tuple[NamespaceId, tuple[str, ...]], ...
    ] = ()
