"""
The identity store: Vault's entities, aliases, groups and tokens, in memory.

:class:`IdentityStore` holds namespaces, auth mounts, entities, entity
aliases, groups, group aliases and token roles, enforces the invariants
Vault's identity store enforces, and answers the questions client counting
asks: which entity does a login resolve to, which token does a request
carry, which client is it?

Every operation validates first and applies afterwards, so a refused
operation raises an :class:`~clientid.errors.IdentityError` and leaves the
store exactly as it was.  Every ID the store mints is derived from the
operation's inputs (see :mod:`clientid.model.hashing`), so replaying the same
operations yields the same store on every machine.

The store is a facade: each concern is one part in its own module of
:mod:`clientid.identity` (namespaces and mounts, entities, entity aliases,
merges, groups, group aliases, requests, policies, tokens, logins,
snapshots), all built on the indexes of :mod:`clientid.identity.state`.
Each part declares the rules it enforces; :data:`IDENTITY_RULES` is their
union.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from clientid.identity.aliases import AliasesPart
from clientid.identity.group_aliases import GroupAliasesPart
from clientid.identity.logins import LoginsPart
from clientid.identity.merges import MergesPart
from clientid.identity.namespaces import NamespacesPart
from clientid.identity.results import (
    EffectivePolicies,
    GroupPolicyApplication,
    LoginResult,
)
from clientid.identity.rules import ALL_RULES, Kind
from clientid.identity.snapshots import IdentityState, SnapshotsPart
from clientid.identity.tokens import TokensPart

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "IDENTITY_RULES",
    "EffectivePolicies",
    "GroupPolicyApplication",
    "IdentityState",
    "IdentityStore",
    "LoginResult",
]

#: Every rule the store enforces: stable rule code → (error class, Vault's
#: message), read-only.  The message is a :meth:`str.format` template over
#: ``value`` and rule-specific fields.  Rule codes never change once
#: released.
IDENTITY_RULES: Final[Mapping[str, tuple[Kind, str]]] = ALL_RULES


@final
class IdentityStore(
    LoginsPart,
    TokensPart,
    MergesPart,
    AliasesPart,
    GroupAliasesPart,
    NamespacesPart,
    SnapshotsPart,
):
    """
    A mutable, in-memory model of Vault's identity store and token store.

    A new store holds the root namespace and its ``auth/token/`` mount.
    Operations take the *request* namespace as ``namespace_id`` (default
    root), as Vault takes it from the request.

    Methods that create objects return them, as Vault's API answers with
    the new IDs; every other mutator returns ``None``.  A refused operation
    raises an :class:`~clientid.errors.IdentityError` whose ``rule`` is one
    of :data:`IDENTITY_RULES` and leaves the store unchanged.

    Args:
        disable_local_auth_mount_entities: Model Vault's
            ``VAULT_DISABLE_LOCAL_AUTH_MOUNT_ENTITIES``: logins through local
            mounts then issue non-entity tokens.

    See: https://developer.hashicorp.com/vault/docs/concepts/identity
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return (
            f"<IdentityStore: {len(self._namespaces)} namespaces,"
            f" {len(self._mounts)} mounts, {len(self._entities)} entities,"
            f" {len(self._aliases)} aliases, {len(self._groups)} groups>"
        )

    def _check(self) -> None:
        """Verify every internal invariant and index (for tests)."""
        self._check_namespaces()
        self._check_entities()
        self._check_aliases()
        self._check_groups()
        self._check_group_aliases()
