"""
Token roles, tokens made with a token, and renewals.

``auth/token/roles``, ``auth/token/create`` and ``auth/token/renew``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from clientid.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from clientid.identity.groups import GroupsPart
from clientid.identity.requests import RequestsPart
from clientid.identity.resolve import (
    DEFAULT_POLICY,
    ROOT_POLICY,
    sanitize_policies,
)
from clientid.identity.rules import declare_rules, fail
from clientid.identity.util import (
    ROLE_TOKEN_TYPES,
    fold,
    glob_match,
    go_quote_list,
    reject_single_strings,
    reject_wrapping,
)
from clientid.model.ids import ROOT_NAMESPACE_ID, EntityId, NamespaceId
from clientid.model.records import (
    Entity,
    EntityAlias,
    Token,
    TokenRole,
    TokenType,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

__all__ = ["TokensPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "token-batch-parent": (
            InvalidRequestError,
            "batch tokens cannot create more tokens",
        ),
        "token-batch-root": (
            InvalidRequestError,
            "batch tokens cannot be root tokens",
        ),
        "token-renew-batch": (
            InvalidRequestError,
            "batch tokens cannot be renewed",
        ),
        "token-renew-other-namespace": (
            InvalidRequestError,
            "cannot renew a token across namespaces",
        ),
        "token-role-unknown": (InvalidRequestError, "unknown role {value}"),
        "token-entity-alias-without-role": (
            InvalidRequestError,
            "'entity_alias' is only allowed in combination with token role",
        ),
        "token-entity-alias-not-allowed": (
            InvalidRequestError,
            "invalid 'entity_alias' value",
        ),
        "token-entity-alias-disabled": (
            PermissionDeniedError,
            "entity from given entity alias is disabled",
        ),
        "token-orphan-sudo": (
            InvalidRequestError,
            "root or sudo privileges required to create orphan token",
        ),
        "token-child-namespace-sudo": (
            InvalidRequestError,
            (
                "root or sudo privileges required to directly generate a token"
                " in a child namespace"
            ),
        ),
        "token-child-namespace-root": (
            InvalidRequestError,
            "root tokens may not be created from a parent namespace",
        ),
        "token-role-policies-not-allowed": (
            InvalidRequestError,
            (
                "token policies ({value}) must be subset of the role's allowed"
                " policies ({allowed}) or glob policies ({globs})"
            ),
        ),
        "token-role-policy-disallowed": (
            InvalidRequestError,
            'token policy "{value}" is disallowed by this role',
        ),
        "token-policies-not-subset": (
            InvalidRequestError,
            "child policies must be subset of parent",
        ),
        "token-root-parent": (
            InvalidRequestError,
            "root tokens may not be created without parent token being root",
        ),
        "role-unknown": (NotFoundError, 'unknown role "{value}"'),
    }
)


def _token_type(
    role: TokenRole | None, token_type: TokenType | None
) -> TokenType:
    """Return a new token's type: the role's token_type decides first."""
    if role is None:
        return token_type or TokenType.SERVICE
    role_type, forced = ROLE_TOKEN_TYPES[role.token_type]
    return role_type if forced else (token_type or role_type)


def _refuse_root(
    policies: tuple[str, ...],
    new_type: TokenType,
    *,
    child_ns: bool,
    is_root: bool,
) -> None:
    """Refuse a root token that the parent or the request cannot make."""
    if child_ns:
        fail("token-child-namespace-root", "policies", policies)
    if not is_root:
        fail("token-root-parent", "policies", policies)
    if new_type is TokenType.BATCH:
        fail("token-batch-root", "token_type", new_type.value)


def _role_policies(
    role: TokenRole, requested: tuple[str, ...] | None, parent: Token
) -> tuple[str, ...]:
    """Vault's policy rules for a role with policy lists (section 8.4)."""
    if not requested:
        # None and [] both mean "no policies requested".
        requested = role.allowed_policies or parent.policies
    asked = sanitize_policies(requested, add_default=False)
    allowed = set(role.allowed_policies)
    disallowed = set(role.disallowed_policies)
    if DEFAULT_POLICY not in disallowed:
        allowed.add(DEFAULT_POLICY)
    if role.allowed_policies or role.allowed_policies_glob:
        outside = [
            p
            for p in asked
            if p not in allowed
            and not any(glob_match(g, p) for g in role.allowed_policies_glob)
        ]
        if outside:
            fail(
                "token-role-policies-not-allowed",
                "policies",
                go_quote_list(asked),
                allowed=go_quote_list(role.allowed_policies),
                globs=go_quote_list(role.allowed_policies_glob),
            )
    for policy in asked:
        if policy in disallowed or any(
            glob_match(g, policy) for g in role.disallowed_policies_glob
        ):
            fail("token-role-policy-disallowed", "policies", policy)
    if DEFAULT_POLICY in disallowed:
        return asked
    return sanitize_policies(asked)


class TokensPart(RequestsPart, GroupsPart):
    """The tokens part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def add_token_role(self, role: TokenRole) -> None:
        """
        Write a token role (``auth/token/roles/<name>``), replacing any.

        Like Vault, the store keeps policy lists sanitized and
        ``allowed_entity_aliases`` lower-cased, de-duplicated and sorted.

        Raises:
            NotFoundError: If the role's namespace does not exist.
        """
        self._require_namespace(role.namespace_id)

        def folded(items: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({fold(i.strip()) for i in items if i.strip()}))

        stored = attrs.evolve(
            role,
            allowed_policies=sanitize_policies(
                role.allowed_policies, add_default=False
            ),
            disallowed_policies=sanitize_policies(
                role.disallowed_policies, add_default=False
            ),
            allowed_policies_glob=folded(role.allowed_policies_glob),
            disallowed_policies_glob=folded(role.disallowed_policies_glob),
            allowed_entity_aliases=folded(role.allowed_entity_aliases),
        )
        self._roles[(role.namespace_id, role.name)] = stored

    def token_role(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> TokenRole:
        """
        Return a token role of a namespace, as stored.

        Raises:
            NotFoundError: If there is none.
        """
        role = self._roles.get((namespace_id, name))
        if role is None:
            fail("role-unknown", "name", name)
        return role

    def delete_token_role(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> None:
        """
        Delete a token role; deleting an unknown role is a no-op.
        """
        self._roles.pop((namespace_id, name), None)

    def _token_role(
        self, request_ns: NamespaceId, role_name: str | None
    ) -> TokenRole | None:
        """Return the role a create names, if any."""
        if role_name is None:
            return None
        role = self._roles.get((request_ns, role_name))
        if role is None:
            fail("token-role-unknown", "role_name", role_name)
        return role

    def _token_alias_entity(
        self, role: TokenRole, entity_alias: str, request_ns: NamespaceId
    ) -> tuple[EntityId, tuple[Entity, EntityAlias] | None]:
        """
        Return the entity of a create's ``entity_alias`` (section 8.3).

        The second item is the entity and alias to create, if it is new.
        """
        folded = fold(entity_alias)
        if not any(glob_match(p, folded) for p in role.allowed_entity_aliases):
            fail(
                "token-entity-alias-not-allowed",
                "entity_alias",
                entity_alias,
            )
        mount = self._mounts[self._token_mounts[request_ns]]
        found = self._alias_keys.get((mount.accessor, folded))
        if found is None:
            planned = self._new_login_entity(mount, entity_alias, ())
            return planned[0].id, planned
        owner = self._entities[found.canonical_id]
        if owner.disabled:
            fail("token-entity-alias-disabled", "entity_alias", entity_alias)
        return owner.id, None

    def create_token(
        self,
        parent: Token,
        *,
        namespace_id: NamespaceId | None = None,
        policies: Iterable[str] | None = None,
        role_name: str | None = None,
        orphan: bool = False,
        no_parent: bool = False,
        no_default_policy: bool = False,
        entity_alias: str | None = None,
        token_type: TokenType | None = None,
        sudo: bool = False,
        accessor: str | None = None,
        at: dt.datetime | None = None,
    ) -> Token:
        """
        Create a token with another (``auth/token/create[/:role]``).

        Args:
            parent: The calling token; it must be usable in the request
                namespace and must not be a batch token.
            namespace_id: The request namespace (default: the parent's);
                the new token lives there, and a child namespace of the
                parent's needs root or sudo.
            policies: The requested policies; ``None`` or an empty
                iterable inherits the parent's (or, with a role, takes the
                role's allowed list).
            role_name: A token role of the request namespace.
            orphan: Create an orphan (``auth/token/create-orphan``).
            no_parent: Create an orphan via ``no_parent`` (root or sudo).
            no_default_policy: Do not add ``default``.
            entity_alias: Attach the token to the entity of this alias of
                the namespace's token mount (needs a role allowing it); the
                entity is created if the alias is new.
            token_type: Service or batch (a role's ``token_type`` decides
                first).
            sudo: Whether the caller has ``sudo`` on the create path (root
                tokens always do).
            accessor: The new token's accessor, if the caller tracks them.
            at: The new token's creation time.

        Returns:
            The new token, attributed to the request namespace's token
            mount.

        Raises:
            InvalidRequestError: If a token-store rule is broken.
            PermissionDeniedError: If the parent is unusable here or the
                ``entity_alias`` entity is disabled.
            InvalidModelError: If *policies* is a single string.

        See: https://developer.hashicorp.com/vault/api-docs/auth/token#create-token
        """
        reject_single_strings(policies=policies)
        request_ns = namespace_id or parent.namespace_id
        role = self._checked_creation(
            parent,
            request_ns,
            role_name,
            entity_alias=entity_alias,
            no_parent=no_parent,
            sudo=sudo,
        )
        is_root = parent.policies == (ROOT_POLICY,)
        child_ns = request_ns != parent.namespace_id
        is_orphan = orphan or no_parent or (role is not None and role.orphan)
        new_type = _token_type(role, token_type)
        final = self._created_policies(
            parent,
            role,
            policies,
            no_default_policy=no_default_policy,
            new_type=new_type,
            child_ns=child_ns,
            is_root=is_root,
            is_sudo=sudo or is_root,
        )
        # The entity (section 8.3).
        entity_id, planned = (
            (None if is_orphan else parent.entity_id, None)
            if not entity_alias or role is None
            else self._token_alias_entity(role, entity_alias, request_ns)
        )
        token = Token(
            namespace_id=request_ns,
            policies=final,
            entity_id=entity_id,
            type=new_type,
            accessor=accessor,
            orphan=is_orphan,
            mount_accessor=self._token_mounts[request_ns],
            role=role_name,
            creation_time=at,
        )
        if planned is not None:
            self._put_entity(planned[0])
            self._put_alias(planned[1])
        return token

    def _checked_creation(
        self,
        parent: Token,
        request_ns: NamespaceId,
        role_name: str | None,
        *,
        entity_alias: str | None,
        no_parent: bool,
        sudo: bool,
    ) -> TokenRole | None:
        """Check who may create the token, and where; return the role."""
        self._check_usable(parent, request_ns)
        if parent.type is TokenType.BATCH:
            fail("token-batch-parent", "parent", parent.type.value)
        is_sudo = sudo or parent.policies == (ROOT_POLICY,)
        role = self._token_role(request_ns, role_name)
        if entity_alias and role is None:
            fail(
                "token-entity-alias-without-role", "entity_alias", entity_alias
            )
        if no_parent and not is_sudo:
            fail("token-orphan-sudo", "no_parent", no_parent)
        if request_ns != parent.namespace_id and not is_sudo:
            fail("token-child-namespace-sudo", "namespace_id", request_ns)
        return role

    def _created_policies(
        self,
        parent: Token,
        role: TokenRole | None,
        requested: Iterable[str] | None,
        *,
        no_default_policy: bool,
        new_type: TokenType,
        child_ns: bool,
        is_root: bool,
        is_sudo: bool,
    ) -> tuple[str, ...]:
        """The new token's policies, with ``default`` and ``root`` checked."""
        final = self._token_policies(
            parent, role, requested, child_ns=child_ns, is_sudo=is_sudo
        )
        if no_default_policy or (
            role is not None and role.token_no_default_policy
        ):
            final = tuple(p for p in final if p != DEFAULT_POLICY)
        if ROOT_POLICY in final:
            _refuse_root(final, new_type, child_ns=child_ns, is_root=is_root)
        reject_wrapping(final)
        return final

    def _token_policies(
        self,
        parent: Token,
        role: TokenRole | None,
        requested: Iterable[str] | None,
        *,
        child_ns: bool,
        is_sudo: bool,
    ) -> tuple[str, ...]:
        """Vault's handleCreateCommon policy rules (section 8.4)."""
        parent_has_default = DEFAULT_POLICY in parent.policies
        if requested is not None:
            requested = tuple(requested)
        if role is not None and (
            role.allowed_policies
            or role.disallowed_policies
            or role.allowed_policies_glob
            or role.disallowed_policies_glob
        ):
            return _role_policies(role, requested, parent)
        if child_ns:
            return sanitize_policies(requested or ())
        if not requested:
            # With no policies requested, the token inherits its parent's.
            return parent.policies
        asked = sanitize_policies(requested, add_default=False)
        if not is_sudo:
            if not set(asked) <= set(parent.policies):
                fail("token-policies-not-subset", "policies", asked)
            return sanitize_policies(asked, add_default=parent_has_default)
        return sanitize_policies(asked)

    def renew_token(
        self,
        token: Token,
        *,
        group_aliases: Iterable[str] | None = None,
        namespace_id: NamespaceId | None = None,
    ) -> tuple[str, ...]:
        """
        Renew a token: refresh its entity's external groups (§6.6).

        Vault re-reports the group aliases stored on the token's lease at
        login (or those the auth method's renewal reports); as at login,
        the entity joins the external groups whose alias matches on the
        token's issuing mount and leaves those no longer reported, except
        groups driven by other mounts.  Pass the login's
        :attr:`LoginResult.group_aliases` to replay a renewal faithfully.

        Args:
            token: The token being renewed.
            group_aliases: The group names reported at renewal, usually the
                login's ``LoginResult.group_aliases``.  ``None`` (no group
                information) refreshes nothing; an empty iterable means "no
                groups" and removes the entity from this mount's external
                groups.  Tokens issued by a token mount (``auth/token/``)
                are never refreshed: their leases carry no group aliases.
            namespace_id: The request namespace (default: the token's);
                it must be the token's namespace.

        Returns:
            The reported names that matched a group alias (``()`` when
            nothing was refreshed).

        Raises:
            InvalidRequestError: For a batch token or a renewal from
                another namespace.
            PermissionDeniedError: If Vault would deny the token.
            InvalidModelError: If *group_aliases* is a single string.
        """
        reject_single_strings(group_aliases=group_aliases)
        request_ns = namespace_id or token.namespace_id
        entity = self._check_usable(token, request_ns)
        if request_ns != token.namespace_id:
            fail("token-renew-other-namespace", "namespace_id", request_ns)
        if token.type is TokenType.BATCH:
            fail("token-renew-batch", "token", token.type.value)
        if (
            entity is None
            or group_aliases is None
            or token.mount_accessor is None
            or token.mount_accessor in self._token_mounts.values()
        ):
            return ()
        plan = self._plan_external_groups(
            entity.id, tuple(group_aliases), token.mount_accessor
        )
        return self._apply_external_groups(entity.id, plan)
