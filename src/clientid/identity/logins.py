"""
Logins through an auth mount: the hot path of a replay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NoReturn

import attrs

from clientid.errors import (
    InternalError,
    InvalidRequestError,
    PermissionDeniedError,
)
from clientid.identity.groups import GroupRefresh, GroupsPart
from clientid.identity.policies import PoliciesPart
from clientid.identity.resolve import ROOT_POLICY, sanitize_policies
from clientid.identity.results import LoginResult
from clientid.identity.rules import declare_rules, fail
from clientid.identity.util import fold, reject_wrapping, strings
from clientid.model.records import (
    AuthMount,
    Entity,
    EntityAlias,
    Metadata,
    Token,
    TokenType,
    freeze_metadata,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping

    from clientid.model.ids import MountAccessor

__all__ = ["LoginsPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "alias-resolver-mount-unknown": (
            InternalError,
            'invalid mount accessor "{value}"',
        ),
        "alias-resolver-mount-type": (
            InternalError,
            'mount accessor "{accessor}" is not a mount of type "{value}"',
        ),
        "alias-resolver-name-missing": (
            InternalError,
            "missing name in alias",
        ),
        "login-entity-disabled": (PermissionDeniedError, "permission denied"),
        "login-root-token": (
            InvalidRequestError,
            "auth methods cannot create root tokens",
        ),
    }
)


#: A login's identity: entity, alias, whether the login creates them, and
#: the alias's new metadata (``None``: unchanged).
_Login = tuple[Entity | None, EntityAlias | None, bool, Metadata | None]
_NO_ALIAS: Final[_Login] = (None, None, False, None)


def _refuse_mount(
    mount: AuthMount | None,
    mount_accessor: MountAccessor,
    mount_type: str | None,
) -> NoReturn:
    """Raise the alias resolver's error for an unknown or mistyped mount."""
    if mount is None:
        fail("alias-resolver-mount-unknown", "mount_accessor", mount_accessor)
    fail(
        "alias-resolver-mount-type",
        "mount_type",
        mount_type,
        accessor=mount_accessor,
    )


class LoginsPart(PoliciesPart, GroupsPart):
    """The logins part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def login(
        self,
        mount_accessor: MountAccessor,
        alias_name: str | None,
        *,
        metadata: Mapping[str, str] | None = None,
        group_aliases: Iterable[str] = (),
        policies: Iterable[str] = (),
        no_default_policy: bool = False,
        token_type: TokenType = TokenType.SERVICE,
        mount_type: str | None = None,
        accessor: str | None = None,
        at: dt.datetime | None = None,
    ) -> LoginResult:
        """
        Log in through an auth mount and issue the token.

        The alias ``(mount_accessor, alias_name)`` is matched
        case-insensitively; if no entity alias has it, a new entity is
        created with that alias.  Its ID is derived from the namespace, the
        accessor and the lower-cased name, so replays are deterministic.

        Args:
            mount_accessor: The auth mount the login went through.
            alias_name: The name the auth method reports (see Vault's table
                of alias names per method); ``None`` when the method reports
                no alias, which issues a non-entity token.
            metadata: The alias metadata the method reports; replaces the
                alias's metadata when it differs and the reported name
                matches the stored name exactly (case included).  ``None``
                leaves it untouched.
            group_aliases: Group names the method reports (LDAP groups,
                OIDC group claims, ...) on this mount; external groups
                are refreshed from them.
            policies: The token policies the method grants.
            no_default_policy: Do not add ``default`` to them.
            token_type: Service or batch.
            mount_type: The method type the alias claims; if given, it must
                be the mount's type.
            accessor: The token's accessor, if the caller tracks them.
            at: The token's creation time.

        Returns:
            The token, the entity and whether the login created it.  A
            login that changes nothing (no ``at``, ``accessor`` or group
            aliases, same policies and token type) returns the same result
            object as the previous one of its alias; results are immutable,
            so this is only visible to ``is``.  Runtime: O(1) dict lookups
            for a known alias.

        Raises:
            InternalError: For an unknown accessor, a mount type mismatch or
                an empty alias name.
            PermissionDeniedError: If the entity is disabled.
            InvalidRequestError: If the policies would make a root or a
                wrapping token: ``root`` among the token policies or the
                identity policies of the login's namespace (entity and
                groups, after the group refresh), in any case.
            InvalidModelError: If *policies* or *group_aliases* is a single
                string.

        See: https://developer.hashicorp.com/vault/docs/concepts/identity
        """
        mount = self._mounts.get(mount_accessor)
        if mount is None or (
            mount_type is not None and mount_type != mount.type
        ):
            _refuse_mount(mount, mount_accessor, mount_type)
        login = (
            _NO_ALIAS
            if alias_name is None or (mount.local and self._disable_local)
            else self._login_alias(mount, alias_name, metadata)
        )
        token_policies = self._login_token_policies(
            policies, no_default_policy=no_default_policy
        )
        entity = login[0]
        plan = (
            self._checked_login_identity(entity, mount, group_aliases)
            if group_aliases
            or (
                entity is not None
                and (entity.policies or entity.id in self._entity_groups)
            )
            else None
        )
        return self._issue_login(
            mount,
            login,
            plan,
            token_policies,
            token_type=token_type,
            accessor=accessor,
            at=at,
        )

    def _login_token_policies(
        self, policies: Iterable[str], *, no_default_policy: bool
    ) -> tuple[str, ...]:
        """The token policies a login grants, checked (and remembered)."""
        requested = (
            policies
            if isinstance(policies, tuple)
            else strings("policies", policies)
        )
        token_policies = self._login_policies.get(
            (requested, no_default_policy)
        )
        if token_policies is None:
            token_policies = self._checked_login_policies(
                requested, no_default_policy=no_default_policy
            )
        return token_policies

    def _issue_login(
        self,
        mount: AuthMount,
        login: _Login,
        plan: GroupRefresh | None,
        token_policies: tuple[str, ...],
        *,
        token_type: TokenType,
        accessor: str | None,
        at: dt.datetime | None,
    ) -> LoginResult:
        """Issue a validated login's token, or reuse the last equal result."""
        entity = login[0]
        # A repeated login that changes nothing returns the same result
        # object: replays then cost a few lookups, no new frozen objects.
        alias = login[1]
        reusable = (
            alias is not None
            and plan is None
            and at is None
            and accessor is None
        )
        if reusable and alias is not None and not login[2]:
            cached = self._login_memo.get(alias.id)
            if (
                cached is not None
                and cached.alias is alias
                and cached.entity is entity
                and cached.token.policies is token_policies
                and cached.token.type is token_type
            ):
                return cached
        token = Token(
            namespace_id=mount.namespace_id,
            policies=token_policies,
            entity_id=entity.id if entity is not None else None,
            type=token_type,
            accessor=accessor,
            orphan=True,
            mount_accessor=mount.accessor,
            creation_time=at,
        )
        return self._apply_login(token, login, plan, reusable=reusable)

    def _login_alias(
        self,
        mount: AuthMount,
        alias_name: str,
        metadata: Mapping[str, str] | None,
    ) -> _Login:
        """Find or plan a login's entity and alias; nothing is applied."""
        if not alias_name:
            fail("alias-resolver-name-missing", "alias_name", alias_name)
        alias = self._alias_keys.get((mount.accessor, fold(alias_name)))
        new_metadata = None if metadata is None else freeze_metadata(metadata)
        if alias is None:
            entity, alias = self._new_login_entity(
                mount, alias_name, new_metadata or ()
            )
            return entity, alias, True, new_metadata
        entity = self._entities[alias.canonical_id]
        if entity.disabled:
            fail("login-entity-disabled", "alias_name", alias_name)
        # Vault refreshes metadata only on an exact, case-sensitive
        # name match, so `ALICE` does not touch `alice`'s metadata.
        if (
            new_metadata is not None
            and alias.name == alias_name
            and alias.metadata != new_metadata
        ):
            return (
                entity,
                attrs.evolve(alias, metadata=new_metadata),
                False,
                (new_metadata),
            )
        return entity, alias, False, None

    def _apply_login(
        self,
        token: Token,
        login: _Login,
        plan: GroupRefresh | None,
        *,
        reusable: bool,
    ) -> LoginResult:
        """Apply a validated login and remember its result for replays."""
        entity, alias, created, new_metadata = login
        valid_groups: tuple[str, ...] = ()
        if entity is not None and alias is not None:
            if created:
                self._put_entity(entity)
                self._put_alias(alias)
            elif new_metadata is not None:
                self._put_alias(alias)
            if plan is not None:
                valid_groups = self._apply_external_groups(entity.id, plan)
        result = LoginResult(
            token=token,
            entity=entity,
            alias=alias,
            created=created,
            group_aliases=valid_groups,
        )
        if reusable and alias is not None:
            # The next login of this alias finds the entity, not creates it.
            self._login_memo[alias.id] = (
                LoginResult(
                    token=token, entity=entity, alias=alias, created=False
                )
                if created
                else result
            )
        return result

    def _checked_login_policies(
        self, requested: tuple[str, ...], *, no_default_policy: bool
    ) -> tuple[str, ...]:
        """Sanitize, check and cache the policies a login grants."""
        token_policies = sanitize_policies(
            requested, add_default=not no_default_policy
        )
        if token_policies == (ROOT_POLICY,):
            fail("login-root-token", "policies", token_policies)
        reject_wrapping(token_policies)
        self._login_policies[(requested, no_default_policy)] = token_policies
        return token_policies

    def _checked_login_identity(
        self,
        entity: Entity | None,
        mount: AuthMount,
        group_aliases: Iterable[str],
    ) -> GroupRefresh | None:
        """Plan a login's group refresh and refuse root identity policies."""
        reported = (
            group_aliases
            if isinstance(group_aliases, tuple)
            else strings("group_aliases", group_aliases)
        )
        if entity is None:
            return None
        plan = None
        if reported or entity.id in self._entity_groups:
            plan = self._plan_external_groups(
                entity.id, reported, mount.accessor
            )
        # Vault checks the token policies and the identity policies of the
        # login's namespace, after the group refresh (section 4).
        if ROOT_POLICY in self._identity_policies_in(
            entity, mount.namespace_id, plan
        ):
            fail("login-root-token", "policies", ROOT_POLICY)
        return plan
