"""
Requests made with a token: whether Vault accepts it, which client it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clientid.errors import PermissionDeniedError
from clientid.identity.entities import EntitiesPart
from clientid.identity.resolve import client_for_token
from clientid.identity.rules import declare_rules, fail

if TYPE_CHECKING:
    from clientid.model.ids import NamespaceId
    from clientid.model.records import Client, Entity, Token

__all__ = ["RequestsPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "token-entity-disabled": (PermissionDeniedError, "permission denied"),
        "token-entity-missing": (PermissionDeniedError, "permission denied"),
        "token-namespace-missing": (
            PermissionDeniedError,
            "permission denied",
        ),
        "token-outside-namespace": (
            PermissionDeniedError,
            "permission denied",
        ),
    }
)


class RequestsPart(EntitiesPart):
    """The requests part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def _check_usable(
        self, token: Token, request_ns: NamespaceId
    ) -> Entity | None:
        token_ns = self._namespaces.get(token.namespace_id)
        if token_ns is None:
            fail("token-namespace-missing", "namespace_id", token.namespace_id)
        target = self._namespaces.get(request_ns)
        if target is None:
            fail("namespace-unknown", "namespace_id", request_ns)
        if not target.is_descendant_or_self_of(token_ns):
            # A token's policies live in its namespace, so it can reach its
            # namespace and those below, never a parent or a sibling.
            fail("token-outside-namespace", "namespace_id", request_ns)
        if token.entity_id is None:
            return None
        entity = self.resolve_entity_id(token.entity_id)
        if entity is None:
            fail("token-entity-missing", "entity_id", token.entity_id)
        if entity.disabled:
            fail("token-entity-disabled", "entity_id", token.entity_id)
        return entity

    def client_for_token(self, token: Token) -> Client | None:
        """
        Return the client a request with *token* counts as, if any.

        The token must be usable: its namespace exists and its entity (if
        any) exists and is enabled.  A merged-away entity ID stays the
        client ID, as Vault takes it verbatim from the token.

        Returns:
            The client (attributed to the token's namespace and issuing
            mount), or ``None`` for root and wrapping tokens.

        Raises:
            PermissionDeniedError: If Vault would deny the request.

        See: https://developer.hashicorp.com/vault/docs/concepts/client-count
        """
        self._check_usable(token, token.namespace_id)
        return client_for_token(token)

    def client_for_request(
        self, token: Token, request_namespace_id: NamespaceId
    ) -> Client | None:
        """
        Return the client a request with *token* in a namespace counts as.

        A token is usable in its own namespace and below it; the client is
        still attributed to the token's namespace.

        Raises:
            PermissionDeniedError: If the request namespace is outside the
                token's subtree, or as :meth:`client_for_token`.
            NotFoundError: If the request namespace does not exist.
        """
        self._check_usable(token, request_namespace_id)
        return client_for_token(token)
