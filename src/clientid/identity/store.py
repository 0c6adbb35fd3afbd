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
"""

from __future__ import annotations

import enum
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, final

import attrs

from clientid.errors import (
    IdentityError,
    InternalError,
    InvalidModelError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from clientid.identity.resolve import (
    DEFAULT_POLICY,
    ROOT_POLICY,
    WRAPPING_POLICIES,
    client_for_token,
    sanitize_policies,
)
from clientid.model.hashing import (
    IMPLICIT_ENTITY_TAG,
    derived_uuid,
    implicit_entity,
    implicit_entity_name,
)
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    EntityId,
    GroupId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import (
    AuthMount,
    Client,
    Entity,
    EntityAlias,
    Group,
    GroupAlias,
    GroupType,
    Metadata,
    Namespace,
    Token,
    TokenRole,
    TokenType,
    freeze_metadata,
)
from clientid.model.text import GO_WHITESPACE, go_lower

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Collection, Iterable, Mapping
    from collections.abc import Set as AbstractSet

__all__ = [
    "IDENTITY_RULES",
    "EffectivePolicies",
    "GroupPolicyApplication",
    "IdentityState",
    "IdentityStore",
    "LoginResult",
]

# --------------------------------------------------------------------------
# The error catalogue.
# --------------------------------------------------------------------------

_Kind = type[IdentityError]
_IR: Final = InvalidRequestError
_PD: Final = PermissionDeniedError
_NF: Final = NotFoundError
_IN: Final = InternalError

# The rule table, behind the read-only IDENTITY_RULES below.
_RULE_TABLE: Final[dict[str, tuple[_Kind, str]]] = {
    # The alias resolver of logins and of ``entity_alias``.
    "alias-resolver-mount-unknown": (_IN, 'invalid mount accessor "{value}"'),
    "alias-resolver-mount-type": (
        _IN,
        'mount accessor "{accessor}" is not a mount of type "{value}"',
    ),
    "alias-resolver-name-missing": (_IN, "missing name in alias"),
    "login-entity-disabled": (_PD, "permission denied"),
    "login-root-token": (_IR, "auth methods cannot create root tokens"),
    "policy-not-assignable": (_IR, 'cannot assign policy "{value}"'),
    # Requests made with a token.
    "token-entity-disabled": (_PD, "permission denied"),
    "token-entity-missing": (_PD, "permission denied"),
    "token-namespace-missing": (_PD, "permission denied"),
    "token-outside-namespace": (_PD, "permission denied"),
    # Entity aliases through the API.
    "alias-fields-missing": (
        _IR,
        "'id' or 'mount_accessor' and 'name' must be provided",
    ),
    "alias-id-invalid": (_IR, "invalid alias ID provided"),
    "alias-other-namespace": (_PD, "cannot modify aliases across namespaces"),
    "alias-mount-unknown": (_IR, 'invalid mount accessor "{value}"'),
    "alias-mount-other-namespace": (
        _PD,
        "matching mount is in a different namespace than request",
    ),
    "alias-mount-taken": (
        _IR,
        "Alias already exists for requested entity and mount accessor",
    ),
    "alias-move-mount-taken": (
        _IR,
        (
            "Alias cannot be updated as the given entity already has an alias"
            " for this mount "
        ),
    ),
    "alias-accessor-change-taken": (
        _IR,
        (
            "Alias cannot be updated as the entity already has an alias"
            " for the given 'mount_accessor' "
        ),
    ),
    "alias-factors-taken": (
        _IR,
        "alias with combination of mount accessor and name already exists",
    ),
    "alias-local-move": (_IR, "local aliases can't be moved between entities"),
    "alias-canonical-invalid": (_IR, "invalid canonical ID"),
    "alias-canonical-unknown": (
        _IR,
        "given 'canonical_id' is not associated with an entity",
    ),
    "alias-canonical-other-namespace": (
        _PD,
        "entity found with 'canonical_id' not in request namespace",
    ),
    "alias-move-other-namespace": (
        _PD,
        (
            "given 'canonical_id' associated with entity in a different"
            " namespace from the alias"
        ),
    ),
    "alias-update-mount-other-namespace": (
        _PD,
        (
            "given mount accessor is not in the same namespace as the existing"
            " alias"
        ),
    ),
    "alias-delete-other-namespace": (
        _PD,
        "request and alias are in different namespaces",
    ),
    # Entities.
    "entity-id-invalid": (_IR, "entity not found from id"),
    "entity-other-namespace": (
        _IR,
        "entity does not belong to this namespace",
    ),
    "entity-name-taken": (_IR, "entity name is already in use"),
    "policies-root": (_IR, "policies cannot contain root"),
    "metadata-too-many": (
        _IR,
        "metadata cannot contain more than 64 key/value pairs",
    ),
    "metadata-key-too-long": (
        _IR,
        'metadata key "{value}" is longer than 128 characters',
    ),
    "metadata-key-characters": (
        _IR,
        (
            'metadata key "{value}" contains characters other than'
            " [a-zA-Z0-9=/+_-]"
        ),
    ),
    "metadata-key-reserved": (
        _IR,
        'metadata key "{value}" cannot begin with "vault-"',
    ),
    "metadata-value-too-long": (
        _IR,
        'metadata value for key "{value}" is longer than 512 characters',
    ),
    # Entity merges.
    "merge-to-missing": (_IR, "missing entity id to merge to"),
    "merge-from-missing": (_IR, "missing entity ids to merge from"),
    "merge-to-invalid": (_IR, "entity id to merge to is invalid"),
    "merge-to-other-namespace": (
        _IR,
        "entity id to merge into does not belong to the request's namespace",
    ),
    "merge-multiple-keep": (
        _IR,
        (
            "aliases conflicts cannot be resolved with multiple from entity"
            " ids - merge one entity at a time"
        ),
    ),
    "merge-to-in-from": (
        _IR,
        "to_entity_id should not be present in from_entity_ids",
    ),
    "merge-from-invalid": (_IR, "entity id to merge from is invalid"),
    "merge-from-other-namespace": (
        _IR,
        "entity id to merge from does not belong to this namespace",
    ),
    "merge-accessor-in-multiple-from": (
        _IR,
        (
            "mount accessor {value} found in multiple fromEntities, merge"
            " should be done with one fromEntity at a time"
        ),
    ),
    "merge-alias-clash": (
        _IR,
        (
            "toEntity and at least one fromEntity have aliases with the same"
            " mount accessor, repeat the merge request specifying exactly one"
            " fromEntity, clashes: {clashes}"
        ),
    ),
    "merge-keep-unresolved": (
        _IR,
        (
            "conflicting mount accessors in following alias IDs and neither"
            " were present in conflicting_alias_ids_to_keep:"
            " {value}, {to_alias_id}"
        ),
    ),
    # Groups and group aliases.
    "group-id-invalid": (_IR, "invalid group ID"),
    "group-other-namespace": (
        _PD,
        "request namespace is not the same as the group namespace",
    ),
    "group-type-invalid": (_IR, 'invalid group type "{value}"'),
    "group-type-change": (_IR, "group type cannot be changed"),
    "group-name-taken": (_IR, "group name is already in use"),
    "group-member-entity-invalid": (_IR, 'invalid entity ID "{value}"'),
    "group-member-group-invalid": (_IR, 'invalid member group ID "{value}"'),
    "group-self-member": (
        _IR,
        'member group ID "{value}" is same as the ID of the group',
    ),
    "group-cycle": (
        _IR,
        'cyclic relationship detected for member group ID "{value}"',
    ),
    "group-external-member-entities": (
        _IR,
        "member entities can't be set manually for external groups",
    ),
    "group-external-member-groups": (
        _IR,
        "member groups can't be set for external groups",
    ),
    "group-alias-name-missing": (_IR, "missing alias name"),
    "group-alias-accessor-missing": (_IR, "missing mount_accessor"),
    "group-alias-id-invalid": (_IR, "invalid group alias ID"),
    "group-alias-other-namespace": (
        _PD,
        "request namespace is not the same as the group alias namespace",
    ),
    "group-alias-canonical-invalid": (
        _IR,
        "invalid group ID given in 'canonical_id'",
    ),
    "group-alias-internal": (_IR, "alias can't be set on an internal group"),
    "group-alias-group-other-namespace": (
        _PD,
        "group found with 'canonical_id' not in request namespace",
    ),
    "group-alias-mount-unknown": (_IR, 'invalid mount accessor "{value}"'),
    "group-alias-local-mount": (
        _IR,
        'mount accessor "{value}" is a local mount',
    ),
    "group-alias-mount-other-namespace": (
        _PD,
        "matching mount is in a different namespace than request",
    ),
    "group-alias-factors-taken": (
        _IR,
        "combination of mount and group alias name is already in use",
    ),
    # Tokens.
    "token-batch-parent": (_IR, "batch tokens cannot create more tokens"),
    "token-batch-root": (_IR, "batch tokens cannot be root tokens"),
    "token-renew-batch": (_IR, "batch tokens cannot be renewed"),
    "token-renew-other-namespace": (
        _IR,
        "cannot renew a token across namespaces",
    ),
    "token-role-unknown": (_IR, "unknown role {value}"),
    "token-entity-alias-without-role": (
        _IR,
        "'entity_alias' is only allowed in combination with token role",
    ),
    "token-entity-alias-not-allowed": (_IR, "invalid 'entity_alias' value"),
    "token-entity-alias-disabled": (
        _PD,
        "entity from given entity alias is disabled",
    ),
    "token-orphan-sudo": (
        _IR,
        "root or sudo privileges required to create orphan token",
    ),
    "token-child-namespace-sudo": (
        _IR,
        (
            "root or sudo privileges required to directly generate a token"
            " in a child namespace"
        ),
    ),
    "token-child-namespace-root": (
        _IR,
        "root tokens may not be created from a parent namespace",
    ),
    "token-role-policies-not-allowed": (
        _IR,
        (
            "token policies ({value}) must be subset of the role's allowed"
            " policies ({allowed}) or glob policies ({globs})"
        ),
    ),
    "token-role-policy-disallowed": (
        _IR,
        'token policy "{value}" is disallowed by this role',
    ),
    "token-policies-not-subset": (
        _IR,
        "child policies must be subset of parent",
    ),
    "token-root-parent": (
        _IR,
        "root tokens may not be created without parent token being root",
    ),
    # Namespaces, mounts and roles (clientid's own wording: Vault's
    # namespace and mount APIs are outside the identity store).
    "namespace-unknown": (_NF, 'namespace "{value}" does not exist'),
    "namespace-path-invalid": (_IR, 'invalid namespace path "{value}"'),
    "namespace-name-reserved": (
        _IR,
        'namespace name "{value}" is reserved',
    ),
    "namespace-exists": (_IR, 'namespace "{value}" already exists'),
    "namespace-id-taken": (_IR, 'namespace ID "{value}" is already in use'),
    "namespace-parent-missing": (
        _IR,
        'parent namespace of "{value}" does not exist',
    ),
    "namespace-has-children": (
        _IR,
        'namespace "{value}" has child namespaces',
    ),
    "namespace-root": (_IR, "the root namespace cannot be deleted"),
    "mount-path-invalid": (_IR, 'invalid mount path "{value}"'),
    "mount-path-taken": (_IR, 'path is already in use at "{value}"'),
    "mount-accessor-taken": (
        _IR,
        'mount accessor "{value}" is already in use',
    ),
    "mount-unknown": (_NF, 'no auth mount with accessor "{value}"'),
    "mount-token-reserved": (
        _IR,
        "token credential backend cannot be disabled",
    ),
    "role-unknown": (_NF, 'unknown role "{value}"'),
    "policy-mode-invalid": (
        _IR,
        'invalid group policy application mode "{value}"',
    ),
    # Reads.
    "entity-not-found": (_NF, 'no entity with ID "{value}"'),
    "entity-name-not-found": (_NF, 'no entity named "{value}"'),
    "alias-not-found": (_NF, 'no entity alias "{value}"'),
    "group-not-found": (_NF, 'no group with ID "{value}"'),
    "group-name-not-found": (_NF, 'no group named "{value}"'),
    "group-alias-not-found": (_NF, 'no group alias "{value}"'),
}

#: Every rule the store enforces: stable rule code → (error class, Vault's
#: message), read-only.  The message is a :meth:`str.format` template over
#: ``value`` and rule-specific fields.  Rule codes never change once
#: released.
IDENTITY_RULES: Final[Mapping[str, tuple[_Kind, str]]] = MappingProxyType(
    _RULE_TABLE
)


def _fail(rule: str, field: str, value: object, **extra: object) -> NoReturn:
    kind, template = IDENTITY_RULES[rule]
    message = template.format(value=value, **extra)
    raise kind(rule, message, field=field, value=value)


# --------------------------------------------------------------------------
# Small helpers.
# --------------------------------------------------------------------------


def _strings(field: str, iterable: Iterable[str]) -> tuple[str, ...]:
    """Return *iterable* as a tuple, refusing a single ``str``."""
    _reject_single_strings(**{field: iterable})
    return tuple(iterable)


def _reject_single_strings(**iterables: object) -> None:
    """Refuse a ``str`` where an iterable of strings belongs."""
    # A str is an Iterable[str] to mypy, but splitting it into characters
    # (policies "d", "e", "v") is always a caller's mistake.
    for field, value in iterables.items():
        if isinstance(value, str):
            raise InvalidModelError(
                field,
                value,
                rule="must be an iterable of strings, not a single string",
            )


# Vault folds names with Go's strings.ToLower; one implementation serves
# both the token store's policies and the identity store's names.
_fold = go_lower


def _glob_match(pattern: str, text: str) -> bool:
    """Match *text* against a glob whose only wildcard is ``*``."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    first, *middle, last = parts
    if not text.startswith(first) or len(text) < len(first) + len(last):
        return False
    position = len(first)
    end = len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return text.endswith(last)


def _go_quote_list(items: Iterable[str]) -> str:
    """Format strings as Go's ``%q`` formats a ``[]string``."""
    return "[" + " ".join(f'"{item}"' for item in items) + "]"


def _trim_dedupe_sorted(policies: Iterable[str]) -> tuple[str, ...]:
    """Vault's ``RemoveDuplicates``: trim, drop empty, de-duplicate, sort."""
    return tuple(sorted({p.strip() for p in policies if p.strip()}))


def _dedupe_folded(policies: Iterable[str]) -> tuple[str, ...]:
    """Drop empty names and case-insensitive duplicates, keeping order."""
    seen: set[str] = set()
    kept: list[str] = []
    for raw in policies:
        policy = raw.strip()
        folded = _fold(policy)
        if policy and folded not in seen:
            seen.add(folded)
            kept.append(policy)
    return tuple(kept)


_T = TypeVar("_T", bound=str)


def _dedupe(items: Iterable[_T]) -> list[_T]:
    """De-duplicate, keeping the first occurrence's position."""
    return list(dict.fromkeys(items))


_METADATA_KEY: Final = re.compile(r"[a-zA-Z0-9=/+_-]+")
_MAX_METADATA_PAIRS: Final = 64
_MAX_METADATA_KEY: Final = 128
_MAX_METADATA_VALUE: Final = 512


def _validated_metadata(field: str, mapping: Mapping[str, str]) -> Metadata:
    if len(mapping) > _MAX_METADATA_PAIRS:
        _fail("metadata-too-many", field, len(mapping))
    for key, value in sorted(mapping.items()):
        if len(key) > _MAX_METADATA_KEY:
            _fail("metadata-key-too-long", field, key)
        if not _METADATA_KEY.fullmatch(key):
            _fail("metadata-key-characters", field, key)
        if key.startswith("vault-"):
            _fail("metadata-key-reserved", field, key)
        if len(value) > _MAX_METADATA_VALUE:
            _fail("metadata-value-too-long", field, key)
    return freeze_metadata(mapping)


def _expect(condition: bool, invariant: str) -> None:  # noqa: FBT001
    if not condition:
        msg = f"identity store invariant broken: {invariant}"
        raise AssertionError(msg)


def _policy_mode(
    value: GroupPolicyApplication | str,
) -> GroupPolicyApplication:
    for member in GroupPolicyApplication:
        if value in {member, member.value}:
            return member
    _fail("policy-mode-invalid", "mode", value)


def _reject_root(policies: tuple[str, ...]) -> None:
    # Vault's check is exact, so it stores "Root", which the token store's
    # sanitizing turns into root at request time; clientid refuses every
    # spelling (trimmed, case-insensitively) instead.
    for policy in policies:
        if _fold(policy.strip(GO_WHITESPACE)) == ROOT_POLICY:
            _fail("policies-root", "policies", policy)


_RESERVED_NAMESPACE_NAMES: Final = frozenset(
    {"root", "sys", "audit", "auth", "cubbyhole", "identity"}
)
_BASE62: Final = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
_NAMESPACE_ID_LENGTH: Final = 5
_TOKEN_MOUNT_PATH: Final = "auth/token/"  # noqa: S105 (a path, not a secret)
_TOKEN_MOUNT_TYPE: Final = "token"  # noqa: S105 (a type, not a secret)

#: A role's ``token_type`` → (token type, whether the role forces it).
_ROLE_TOKEN_TYPES: Final = {
    "service": (TokenType.SERVICE, True),
    "batch": (TokenType.BATCH, True),
    "default-service": (TokenType.SERVICE, False),
    "default-batch": (TokenType.BATCH, False),
}

_TAG_NAMESPACE: Final = "clientid/namespace/v1"
_TAG_MOUNT: Final = "clientid/mount-accessor/v1"
_TAG_ENTITY: Final = "clientid/entity/v1"
_TAG_ENTITY_ALIAS: Final = "clientid/entity-alias/v1"
_TAG_GROUP: Final = "clientid/group/v1"
_TAG_GROUP_ALIAS: Final = "clientid/group-alias/v1"


@attrs.frozen
class _GroupRefresh:
    """An external group refresh, planned but not applied (section 6.6)."""

    #: The reported group alias names that matched, in reported order.
    valid: tuple[str, ...]
    #: Groups the entity joins, sorted.
    joins: tuple[GroupId, ...]
    #: Groups the entity leaves, sorted.
    leaves: tuple[GroupId, ...]


# --------------------------------------------------------------------------
# Public result and state classes.
# --------------------------------------------------------------------------


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


@final
@attrs.frozen(kw_only=True)
class IdentityState:
    """
    Everything an :class:`IdentityStore` holds, as sorted tuples.

    Two stores with equal states behave identically.  Build a store back
    with :meth:`IdentityStore.from_snapshot`.

    Attributes:
        namespaces: Sorted by ID.
        mounts: Sorted by accessor.
        entities: Sorted by ID.
        entity_aliases: Sorted by ID.
        groups: Sorted by ID.
        group_aliases: Sorted by ID.
        token_roles: Sorted by namespace ID, then name.
        retired_ids: IDs and accessors the store minted or held before and
            will never mint again (deleted entities, aliases, groups,
            disabled mounts), sorted.
        serial: How many nameless objects the store has minted IDs for.
        disable_local_auth_mount_entities: Whether logins on local mounts
            skip identity (see :class:`IdentityStore`).
    """

    namespaces: tuple[Namespace, ...] = ()
    mounts: tuple[AuthMount, ...] = ()
    entities: tuple[Entity, ...] = ()
    entity_aliases: tuple[EntityAlias, ...] = ()
    groups: tuple[Group, ...] = ()
    group_aliases: tuple[GroupAlias, ...] = ()
    token_roles: tuple[TokenRole, ...] = ()
    retired_ids: tuple[str, ...] = ()
    serial: int = 0
    disable_local_auth_mount_entities: bool = False


# --------------------------------------------------------------------------
# The store.
# --------------------------------------------------------------------------


@final
class IdentityStore:
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

    __slots__ = (
        "_alias_keys",
        "_aliases",
        "_children",
        "_disable_local",
        "_entities",
        "_entity_aliases",
        "_entity_groups",
        "_entity_names",
        "_group_alias_keys",
        "_group_alias_of",
        "_group_aliases",
        "_group_names",
        "_groups",
        "_login_memo",
        "_login_policies",
        "_merged",
        "_mount_paths",
        "_mounts",
        "_namespace_paths",
        "_namespaces",
        "_retired",
        "_roles",
        "_serial",
        "_token_mounts",
    )

    def __init__(
        self, *, disable_local_auth_mount_entities: bool = False
    ) -> None:
        self._disable_local = disable_local_auth_mount_entities
        self._namespaces: dict[NamespaceId, Namespace] = {}
        self._namespace_paths: dict[str, NamespaceId] = {}
        self._mounts: dict[MountAccessor, AuthMount] = {}
        self._mount_paths: dict[tuple[NamespaceId, str], MountAccessor] = {}
        self._token_mounts: dict[NamespaceId, MountAccessor] = {}
        self._entities: dict[EntityId, Entity] = {}
        self._entity_names: dict[tuple[NamespaceId, str], EntityId] = {}
        self._merged: dict[EntityId, EntityId] = {}
        self._aliases: dict[AliasId, EntityAlias] = {}
        self._alias_keys: dict[tuple[MountAccessor, str], EntityAlias] = {}
        self._entity_aliases: dict[EntityId, dict[MountAccessor, AliasId]] = {}
        self._groups: dict[GroupId, Group] = {}
        self._group_names: dict[tuple[NamespaceId, str], GroupId] = {}
        self._entity_groups: dict[EntityId, set[GroupId]] = {}
        self._children: dict[GroupId, set[GroupId]] = {}
        self._group_aliases: dict[AliasId, GroupAlias] = {}
        self._group_alias_keys: dict[tuple[MountAccessor, str], AliasId] = {}
        self._group_alias_of: dict[GroupId, AliasId] = {}
        self._roles: dict[tuple[NamespaceId, str], TokenRole] = {}
        self._retired: set[str] = set()
        self._serial = 0
        # Sanitized login policies by (requested, no_default_policy): the
        # same few policy lists recur in every login of a replay.
        self._login_policies: dict[
            tuple[tuple[str, ...], bool], tuple[str, ...]
        ] = {}
        # The last result of each alias's logins, reused while nothing
        # changes (see login); a cache, not state, so not in snapshots.
        self._login_memo: dict[AliasId, LoginResult] = {}
        root = Namespace.root()
        self._put_namespace(root, self._token_mount_for(root))

    def __repr__(self) -> str:
        return (
            f"<IdentityStore: {len(self._namespaces)} namespaces,"
            f" {len(self._mounts)} mounts, {len(self._entities)} entities,"
            f" {len(self._aliases)} aliases, {len(self._groups)} groups>"
        )

    # ----------------------------------------------------------------------
    # Snapshots.
    # ----------------------------------------------------------------------

    def snapshot(self) -> IdentityState:
        """
        Return everything the store holds as an :class:`IdentityState`.

        Runtime: O(n log n) in the number of objects.
        """
        return IdentityState(
            namespaces=tuple(
                self._namespaces[k] for k in sorted(self._namespaces)
            ),
            mounts=tuple(self._mounts[k] for k in sorted(self._mounts)),
            entities=tuple(self._entities[k] for k in sorted(self._entities)),
            entity_aliases=tuple(
                self._aliases[k] for k in sorted(self._aliases)
            ),
            groups=tuple(self._groups[k] for k in sorted(self._groups)),
            group_aliases=tuple(
                self._group_aliases[k] for k in sorted(self._group_aliases)
            ),
            token_roles=tuple(self._roles[k] for k in sorted(self._roles)),
            retired_ids=tuple(sorted(self._retired)),
            serial=self._serial,
            disable_local_auth_mount_entities=self._disable_local,
        )

    @classmethod
    def from_snapshot(cls, state: IdentityState) -> IdentityStore:
        """
        Build a store holding exactly *state*, settings included.

        Args:
            state: A state returned by :meth:`snapshot` (or built by hand).

        Returns:
            A new store whose :meth:`snapshot` equals *state*.

        Raises:
            InvalidModelError: If *state* breaks one of the store's
                invariants (a dangling reference, a duplicate key, a
                namespace without its token mount).
        """
        store = cls(
            disable_local_auth_mount_entities=(
                state.disable_local_auth_mount_entities
            )
        )
        store._load(state)
        return store

    def _load(self, state: IdentityState) -> None:  # noqa: C901, PLR0912, PLR0915
        def bad(field: str, value: object, rule: str) -> NoReturn:
            raise InvalidModelError(field, value, rule)

        self._namespaces.clear()
        self._namespace_paths.clear()
        self._mounts.clear()
        self._mount_paths.clear()
        self._token_mounts.clear()
        for ns in sorted(state.namespaces, key=lambda n: n.path):
            if ns.id in self._namespaces or ns.path in self._namespace_paths:
                bad("namespaces", ns.id, "must not repeat an ID or a path")
            if ns.parent_id is not None and (
                ns.parent_id not in self._namespaces
                or not ns.path.startswith(self._namespaces[ns.parent_id].path)
            ):
                bad("namespaces", ns.id, "must name an existing parent")
            self._namespaces[ns.id] = ns
            self._namespace_paths[ns.path] = ns.id
        if ROOT_NAMESPACE_ID not in self._namespaces:
            bad("namespaces", (), "must include the root namespace")
        for mount in state.mounts:
            key = (mount.namespace_id, mount.path)
            if mount.namespace_id not in self._namespaces:
                bad("mounts", mount.accessor, "must be in a known namespace")
            if mount.accessor in self._mounts or key in self._mount_paths:
                bad("mounts", mount.accessor, "must have a unique accessor")
            self._mounts[mount.accessor] = mount
            self._mount_paths[key] = mount.accessor
            if mount.path == _TOKEN_MOUNT_PATH:
                self._token_mounts[mount.namespace_id] = mount.accessor
        for ns_id in self._namespaces:
            if ns_id not in self._token_mounts:
                bad("mounts", ns_id, "must hold each namespace's token mount")
        for entity in state.entities:
            if entity.namespace_id not in self._namespaces:
                bad("entities", entity.id, "must be in a known namespace")
            name_key = (entity.namespace_id, _fold(entity.name))
            if entity.id in self._entities or name_key in self._entity_names:
                bad("entities", entity.id, "must have unique IDs and names")
            self._put_entity(entity)
        for alias in state.entity_aliases:
            owner = self._entity_aliases.get(alias.canonical_id)
            alias_key = (alias.mount_accessor, _fold(alias.name))
            if owner is None or alias.id in self._aliases:
                bad("entity_aliases", alias.id, "must belong to an entity")
            if alias_key in self._alias_keys or alias.mount_accessor in owner:
                bad("entity_aliases", alias.id, "must have a unique key")
            self._put_alias(alias)
        for group in state.groups:
            name_key = (group.namespace_id, _fold(group.name))
            if group.namespace_id not in self._namespaces or any(
                m not in self._entities for m in group.member_entity_ids
            ):
                bad("groups", group.id, "must reference known objects")
            if group.id in self._groups or name_key in self._group_names:
                bad("groups", group.id, "must have unique IDs and names")
            self._put_group(group)
        for galias in state.group_aliases:
            galias_key = (galias.mount_accessor, _fold(galias.name))
            if (
                galias.canonical_id not in self._groups
                or galias.canonical_id in self._group_alias_of
                or galias_key in self._group_alias_keys
            ):
                bad("group_aliases", galias.id, "must be unique per group")
            self._put_group_alias(galias)
        for role in state.token_roles:
            self._roles[(role.namespace_id, role.name)] = role
        self._retired = set(state.retired_ids)
        self._serial = state.serial

    # ----------------------------------------------------------------------
    # Namespaces and mounts.
    # ----------------------------------------------------------------------

    def add_namespace(
        self,
        path: str | Namespace,
        *,
        namespace_id: NamespaceId | None = None,
    ) -> Namespace:
        """
        Create a namespace below an existing one, with its token mount.

        Args:
            path: The namespace's full path, e.g. ``"ns1/child"`` (a leading
                ``/`` is dropped and a trailing ``/`` added), or a
                :class:`~clientid.Namespace` to add as it is.
            namespace_id: Its ID; by default five base62 characters derived
                from the path.

        Returns:
            The new namespace.

        Raises:
            InvalidRequestError: If the path is malformed or reserved, the
                parent does not exist or is not the given ``parent_id``, or
                the path or ID is taken.
        """
        expected_parent: NamespaceId | None = None
        if isinstance(path, Namespace):
            namespace_id = path.id
            expected_parent = path.parent_id
            path = path.path
        canonical = path.removeprefix("/")
        if canonical and not canonical.endswith("/"):
            canonical += "/"
        segments = canonical[:-1].split("/") if canonical else [""]
        if any(not s or s in {".", ".."} or " " in s for s in segments):
            _fail("namespace-path-invalid", "path", path)
        if segments[-1] in _RESERVED_NAMESPACE_NAMES:
            _fail("namespace-name-reserved", "path", segments[-1])
        if canonical in self._namespace_paths:
            _fail("namespace-exists", "path", canonical)
        parent_path = "".join(s + "/" for s in segments[:-1])
        parent_id = self._namespace_paths.get(parent_path)
        if parent_id is None or expected_parent not in {None, parent_id}:
            _fail("namespace-parent-missing", "path", canonical)
        if namespace_id is None:
            namespace_id = self._mint_namespace_id(canonical)
        elif namespace_id in self._namespaces or namespace_id in self._retired:
            _fail("namespace-id-taken", "namespace_id", namespace_id)
        namespace = Namespace(
            id=namespace_id, path=canonical, parent_id=parent_id
        )
        self._put_namespace(namespace, self._token_mount_for(namespace))
        return namespace

    def delete_namespace(self, namespace_id: NamespaceId) -> None:
        """
        Delete a namespace without children, and everything in it.

        Its mounts, token roles, entities (with their aliases and group
        memberships) and groups (with their aliases) go with it; tokens of
        the namespace can no longer be used.

        Raises:
            InvalidRequestError: If it is the root namespace or has child
                namespaces.
            NotFoundError: If there is no such namespace.
        """
        namespace = self._require_namespace(namespace_id)
        if namespace.is_root:
            _fail("namespace-root", "namespace_id", namespace_id)
        if any(n.parent_id == namespace_id for n in self._namespaces.values()):
            _fail("namespace-has-children", "namespace_id", namespace_id)
        for entity_id in sorted(
            e.id
            for e in self._entities.values()
            if e.namespace_id == namespace_id
        ):
            self._remove_entity(entity_id)
        for group_id in sorted(
            g.id
            for g in self._groups.values()
            if g.namespace_id == namespace_id
        ):
            self._drop_group(group_id)
        for accessor in sorted(
            m.accessor
            for m in self._mounts.values()
            if m.namespace_id == namespace_id
        ):
            self._drop_mount(accessor)
        for key in sorted(k for k in self._roles if k[0] == namespace_id):
            del self._roles[key]
        del self._namespaces[namespace_id]
        del self._namespace_paths[namespace.path]
        del self._token_mounts[namespace_id]
        self._retired.add(namespace_id)

    def namespace(self, namespace_id: NamespaceId) -> Namespace:
        """
        Return the namespace with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        return self._require_namespace(namespace_id)

    def namespace_by_path(self, path: str) -> Namespace:
        """
        Return the namespace with this path (``""`` or ``"/"`` for root).

        Raises:
            NotFoundError: If there is none.
        """
        canonical = path.removeprefix("/")
        if canonical and not canonical.endswith("/"):
            canonical += "/"
        namespace_id = self._namespace_paths.get(canonical)
        if namespace_id is None:
            _fail("namespace-unknown", "path", path)
        return self._namespaces[namespace_id]

    def token_mount(
        self, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> AuthMount:
        """
        Return the ``auth/token/`` mount of a namespace.

        Raises:
            NotFoundError: If the namespace does not exist.
        """
        self._require_namespace(namespace_id)
        return self._mounts[self._token_mounts[namespace_id]]

    def enable_auth(
        self,
        type: str,  # noqa: A002 (Vault's field name)
        *,
        path: str | None = None,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        local: bool = False,
        accessor: MountAccessor | None = None,
    ) -> AuthMount:
        """
        Mount an auth method in a namespace (``vault auth enable``).

        Args:
            type: The auth method, e.g. ``"userpass"``.
            path: The mount path relative to the namespace, with or without
                the ``auth/`` prefix; by default ``auth/<type>/``.
            namespace_id: The namespace to mount it in.
            local: Whether the mount is local to its cluster.
            accessor: The accessor; by default ``auth_<type>_`` and eight hex
                digits derived from the namespace, path and history, so a
                re-enabled mount gets a new accessor, as in Vault.

        Returns:
            The new mount.

        Raises:
            InvalidRequestError: If the path or accessor is taken.
            NotFoundError: If the namespace does not exist.
        """
        self._require_namespace(namespace_id)
        relative = (path or type).strip("/")
        if not relative:
            _fail("mount-path-invalid", "path", path)
        if not relative.startswith("auth/"):
            relative = "auth/" + relative
        relative += "/"
        if (namespace_id, relative) in self._mount_paths:
            _fail("mount-path-taken", "path", relative)
        if accessor is None:
            accessor = self._mint_accessor(type, namespace_id, relative)
        elif accessor in self._mounts or accessor in self._retired:
            _fail("mount-accessor-taken", "accessor", accessor)
        mount = AuthMount(
            accessor=accessor,
            type=type,
            path=relative,
            namespace_id=namespace_id,
            local=local,
        )
        self._put_mount(mount)
        return mount

    def add_mount(self, mount: AuthMount) -> None:
        """
        Add an auth mount given as a model object (accessor chosen).

        Raises:
            InvalidRequestError: If the accessor or the path is taken, or
                the mount claims a namespace's ``auth/token/`` path.
            NotFoundError: If its namespace does not exist.
        """
        self._require_namespace(mount.namespace_id)
        if (mount.namespace_id, mount.path) in self._mount_paths:
            _fail("mount-path-taken", "path", mount.path)
        if mount.accessor in self._mounts or mount.accessor in self._retired:
            _fail("mount-accessor-taken", "accessor", mount.accessor)
        self._put_mount(mount)

    def disable_auth(self, accessor: MountAccessor) -> None:
        """
        Unmount an auth method.

        Aliases that reference the accessor stay, dangling: Vault does not
        delete them, and since a re-enabled mount gets a new accessor, they
        never match a login again.

        Raises:
            InvalidRequestError: For a namespace's token mount.
            NotFoundError: If no mount has this accessor.
        """
        mount = self.mount(accessor)
        if mount.path == _TOKEN_MOUNT_PATH:
            _fail("mount-token-reserved", "accessor", accessor)
        self._drop_mount(accessor)

    def mount(self, accessor: MountAccessor) -> AuthMount:
        """
        Return the auth mount with this accessor.

        Raises:
            NotFoundError: If there is none.
        """
        mount = self._mounts.get(accessor)
        if mount is None:
            _fail("mount-unknown", "accessor", accessor)
        return mount

    # ----------------------------------------------------------------------
    # Logins.
    # ----------------------------------------------------------------------

    def login(  # noqa: C901, PLR0912
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
        if mount is None:
            _fail(
                "alias-resolver-mount-unknown",
                "mount_accessor",
                mount_accessor,
            )
        if mount_type is not None and mount_type != mount.type:
            _fail(
                "alias-resolver-mount-type",
                "mount_type",
                mount_type,
                accessor=mount_accessor,
            )
        entity: Entity | None = None
        alias: EntityAlias | None = None
        created = False
        new_metadata: Metadata | None = None
        valid_groups: tuple[str, ...] = ()
        if alias_name is not None and not (
            mount.local and self._disable_local
        ):
            if not alias_name:
                _fail("alias-resolver-name-missing", "alias_name", alias_name)
            alias = self._alias_keys.get((mount_accessor, _fold(alias_name)))
            if metadata is not None:
                new_metadata = freeze_metadata(metadata)
            if alias is None:
                created = True
                entity, alias = self._new_login_entity(
                    mount, alias_name, new_metadata or ()
                )
            else:
                entity = self._entities[alias.canonical_id]
                if entity.disabled:
                    _fail("login-entity-disabled", "alias_name", alias_name)
                # Vault refreshes metadata only on an exact, case-sensitive
                # name match, so `ALICE` does not touch `alice`'s metadata.
                if (
                    new_metadata is not None
                    and alias.name == alias_name
                    and alias.metadata != new_metadata
                ):
                    alias = attrs.evolve(alias, metadata=new_metadata)
                else:
                    new_metadata = None
        requested = (
            policies
            if isinstance(policies, tuple)
            else _strings("policies", policies)
        )
        token_policies = self._login_policies.get(
            (requested, no_default_policy)
        )
        if token_policies is None:
            token_policies = self._checked_login_policies(
                requested, no_default_policy=no_default_policy
            )
        plan = (
            self._checked_login_identity(entity, mount, group_aliases)
            if group_aliases
            or (
                entity is not None
                and (entity.policies or entity.id in self._entity_groups)
            )
            else None
        )
        # A repeated login that changes nothing returns the same result
        # object: replays then cost a few lookups, no new frozen objects.
        reusable = (
            alias is not None
            and plan is None
            and at is None
            and accessor is None
        )
        if reusable and alias is not None and not created:
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
            mount_accessor=mount_accessor,
            creation_time=at,
        )
        # Everything is validated: apply.
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
            _fail("login-root-token", "policies", token_policies)
        for policy in token_policies:
            if policy in WRAPPING_POLICIES:
                _fail("policy-not-assignable", "policies", policy)
        self._login_policies[(requested, no_default_policy)] = token_policies
        return token_policies

    def _checked_login_identity(
        self,
        entity: Entity | None,
        mount: AuthMount,
        group_aliases: Iterable[str],
    ) -> _GroupRefresh | None:
        """Plan a login's group refresh and refuse root identity policies."""
        reported = (
            group_aliases
            if isinstance(group_aliases, tuple)
            else _strings("group_aliases", group_aliases)
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
            _fail("login-root-token", "policies", ROOT_POLICY)
        return plan

    def _new_login_entity(
        self, mount: AuthMount, alias_name: str, metadata: Metadata
    ) -> tuple[Entity, EntityAlias]:
        """Plan the implicit entity and alias of a first login."""
        ns = mount.namespace_id
        entity_id, name, alias_id = implicit_entity(
            ns, mount.accessor, alias_name
        )
        attempt = 0
        while self._id_taken(entity_id):
            # A deleted or merged-away entity had this ID: Vault would draw a
            # new random UUID, clientid derives the next one.
            attempt += 1
            entity_id = EntityId(
                derived_uuid(
                    IMPLICIT_ENTITY_TAG,
                    ns,
                    mount.accessor,
                    go_lower(alias_name),
                    str(attempt),
                )
            )
        attempt = 0
        while (ns, name) in self._entity_names:
            attempt += 1
            name = implicit_entity_name(
                ns, mount.accessor, alias_name, attempt
            )
        entity = Entity(id=entity_id, name=name, namespace_id=ns)
        if self._id_taken(alias_id):
            alias_id = self._mint_alias_id(mount.accessor, alias_name)
        alias = EntityAlias(
            id=AliasId(alias_id),
            canonical_id=entity_id,
            mount_accessor=mount.accessor,
            name=alias_name,
            namespace_id=ns,
            metadata=metadata,
            local=mount.local,
        )
        return entity, alias

    def _plan_external_groups(
        self,
        entity_id: EntityId,
        reported: tuple[str, ...],
        mount_accessor: MountAccessor,
    ) -> _GroupRefresh:
        """Plan Vault's refreshExternalGroupMembershipsByEntityID (§6.6)."""
        old = {
            g
            for g in self._entity_groups.get(entity_id, ())
            if self._groups[g].type is GroupType.EXTERNAL
        }
        new: set[GroupId] = set()
        valid: list[str] = []
        for name in reported:
            alias_id = self._group_alias_keys.get(
                (mount_accessor, _fold(name))
            )
            if alias_id is None:
                # "Unknown provider groups are ignored."
                continue
            new.add(self._group_aliases[alias_id].canonical_id)
            valid.append(name)
        leaves: list[GroupId] = []
        for group_id in sorted(old - new):
            alias_id = self._group_alias_of.get(group_id)
            if (
                alias_id is not None
                and self._group_aliases[alias_id].mount_accessor
                != mount_accessor
            ):
                # Membership driven by another mount is that mount's to drop.
                continue
            leaves.append(group_id)
        return _GroupRefresh(
            valid=tuple(valid),
            joins=tuple(sorted(new - old)),
            leaves=tuple(leaves),
        )

    def _apply_external_groups(
        self, entity_id: EntityId, plan: _GroupRefresh
    ) -> tuple[str, ...]:
        """Apply a planned refresh; return the matched group alias names."""
        for group_id in plan.joins:
            group = self._groups[group_id]
            self._put_group(
                attrs.evolve(
                    group,
                    member_entity_ids=tuple(
                        sorted((*group.member_entity_ids, entity_id))
                    ),
                )
            )
        for group_id in plan.leaves:
            group = self._groups[group_id]
            self._put_group(
                attrs.evolve(
                    group,
                    member_entity_ids=tuple(
                        m for m in group.member_entity_ids if m != entity_id
                    ),
                )
            )
        return plan.valid

    def _identity_policies_in(
        self,
        entity: Entity,
        namespace_id: NamespaceId,
        plan: _GroupRefresh | None = None,
    ) -> tuple[str, ...]:
        """
        Return the sanitized identity policies of *entity* in a namespace.

        Only policies keyed by *namespace_id* itself: the entity's own if it
        lives there, and those of its groups (direct or inherited) there,
        which apply in every mode.  *plan* is a refresh not yet applied.
        """
        direct: AbstractSet[GroupId] = self._entity_groups.get(
            entity.id, frozenset()
        )
        if plan is not None:
            direct = (direct | set(plan.joins)) - set(plan.leaves)
        if not direct and not entity.policies:
            return ()
        policies: list[str] = []
        if entity.namespace_id == namespace_id:
            policies.extend(entity.policies)
        for group_id in self._ancestor_groups(sorted(direct)):
            group = self._groups[group_id]
            if group.namespace_id == namespace_id:
                policies.extend(group.policies)
        return sanitize_policies(policies, add_default=False)

    # ----------------------------------------------------------------------
    # Entities.
    # ----------------------------------------------------------------------

    def create_entity(
        self,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        name: str | None = None,
        policies: Iterable[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        disabled: bool | None = None,
    ) -> Entity:
        """
        Create an entity (``POST identity/entity``).

        As in Vault, naming an entity that already exists in the namespace
        (case-insensitively) updates that entity instead, and its stored
        name takes the new spelling.

        Args:
            namespace_id: The request namespace; the entity lives there.
            name: Its name; generated (``entity_`` + 8 hex) if absent.
            policies: Its identity policies (case kept, de-duplicated,
                sorted); never ``root``, in any case.
            metadata: Its metadata (Vault's limits apply).
            disabled: Whether it is disabled.

        Returns:
            The entity as stored.

        Raises:
            InvalidRequestError: If a rule is broken.
            NotFoundError: If the namespace does not exist.
            InvalidModelError: If *policies* is a single string.
        """
        self._require_namespace(namespace_id)
        existing: Entity | None = None
        if name:
            other = self._entity_names.get((namespace_id, _fold(name)))
            if other is not None:
                existing = self._entities[other]
        return self._upsert_entity(
            existing=existing,
            namespace_id=namespace_id,
            name=name or None,
            policies=policies,
            metadata=metadata,
            disabled=disabled,
        )

    def update_entity(
        self,
        entity_id: EntityId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        name: str | None = None,
        policies: Iterable[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        disabled: bool | None = None,
    ) -> Entity:
        """
        Update an entity (``POST identity/entity/id/:id``).

        Fields left ``None`` keep their value.  Re-enabling an entity makes
        its existing tokens usable again.

        Returns:
            The entity as stored.

        Raises:
            InvalidRequestError: For an unknown ID, an entity of another
                namespace, a taken name or ``root`` among the policies.
            InvalidModelError: If *policies* is a single string.
        """
        entity = self._entities.get(entity_id)
        if entity is None:
            _fail("entity-id-invalid", "entity_id", entity_id)
        if entity.namespace_id != namespace_id:
            _fail("entity-other-namespace", "namespace_id", namespace_id)
        if name:
            other = self._entity_names.get((namespace_id, _fold(name)))
            if other is not None and other != entity_id:
                _fail("entity-name-taken", "name", name)
        return self._upsert_entity(
            existing=entity,
            namespace_id=namespace_id,
            name=name or None,
            policies=policies,
            metadata=metadata,
            disabled=disabled,
        )

    def disable_entity(
        self,
        entity_id: EntityId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Disable an entity: its logins and tokens are denied from now on.

        Raises:
            InvalidRequestError: As :meth:`update_entity`.
        """
        self.update_entity(entity_id, namespace_id=namespace_id, disabled=True)

    def enable_entity(
        self,
        entity_id: EntityId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Re-enable an entity: its existing tokens work again.

        Raises:
            InvalidRequestError: As :meth:`update_entity`.
        """
        self.update_entity(
            entity_id, namespace_id=namespace_id, disabled=False
        )

    def _upsert_entity(
        self,
        *,
        existing: Entity | None,
        namespace_id: NamespaceId,
        name: str | None,
        policies: Iterable[str] | None,
        metadata: Mapping[str, str] | None,
        disabled: bool | None,
    ) -> Entity:
        _reject_single_strings(policies=policies)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if policies is not None:
            cleaned = _trim_dedupe_sorted(policies)
            _reject_root(cleaned)
            changes["policies"] = cleaned
        if metadata is not None:
            changes["metadata"] = _validated_metadata("metadata", metadata)
        if disabled is not None:
            changes["disabled"] = disabled
        if existing is None:
            if name is None:
                self._serial += 1
                entity_id = self._mint(
                    _TAG_ENTITY, namespace_id, f"#{self._serial}"
                )
                changes["name"] = self._generated_name(
                    "entity_", entity_id, namespace_id, self._entity_names
                )
            else:
                entity_id = self._mint(_TAG_ENTITY, namespace_id, _fold(name))
            entity = Entity(
                id=EntityId(entity_id),
                namespace_id=namespace_id,
                **changes,
            )
        else:
            entity = attrs.evolve(existing, **changes)
        self._put_entity(entity)
        return entity

    def delete_entity(
        self,
        entity_id: EntityId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Delete an entity, its aliases and its group memberships.

        Deleting an unknown entity, or one of another namespace, is a silent
        no-op, as in Vault.  Tokens that carry the ID are denied from now on;
        the next login with a former alias creates a new entity.
        """
        entity = self._entities.get(entity_id)
        if entity is None or entity.namespace_id != namespace_id:
            return
        self._remove_entity(entity_id)

    def entity(self, entity_id: EntityId) -> Entity:
        """
        Return the entity with this ID.

        Raises:
            NotFoundError: If there is none (merged-away IDs included: use
                :meth:`resolve_entity_id` for those).
        """
        entity = self._entities.get(entity_id)
        if entity is None:
            _fail("entity-not-found", "entity_id", entity_id)
        return entity

    def entity_by_name(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> Entity:
        """
        Return the entity with this name (case-insensitive) in a namespace.

        Raises:
            NotFoundError: If there is none.
        """
        entity_id = self._entity_names.get((namespace_id, _fold(name)))
        if entity_id is None:
            _fail("entity-name-not-found", "name", name)
        return self._entities[entity_id]

    def resolve_entity_id(self, entity_id: EntityId) -> Entity | None:
        """
        Return the entity an ID names now, following merges.

        Returns:
            The entity itself, the entity it was merged into, or ``None``.
        """
        entity = self._entities.get(entity_id)
        if entity is None:
            target = self._merged.get(entity_id)
            if target is not None:
                return self._entities[target]
        return entity

    def entity_aliases(self, entity_id: EntityId) -> tuple[EntityAlias, ...]:
        """
        Return an entity's aliases, sorted by mount accessor.

        Raises:
            NotFoundError: If there is no such entity.
        """
        self.entity(entity_id)
        by_mount = self._entity_aliases[entity_id]
        return tuple(self._aliases[by_mount[a]] for a in sorted(by_mount))

    def entity_group_ids(
        self, entity_id: EntityId
    ) -> tuple[tuple[GroupId, ...], tuple[GroupId, ...]]:
        """
        Return an entity's direct and inherited group IDs, each sorted.

        Inherited groups are the ancestors of direct groups that the entity
        is not a direct member of (Vault's ``inherited_group_ids``).

        Raises:
            NotFoundError: If there is no such entity.
        """
        self.entity(entity_id)
        direct = sorted(self._entity_groups.get(entity_id, ()))
        every = self._ancestor_groups(direct)
        inherited = sorted(set(every) - set(direct))
        return tuple(direct), tuple(inherited)

    # ----------------------------------------------------------------------
    # Entity aliases.
    # ----------------------------------------------------------------------

    def create_entity_alias(  # noqa: C901
        self,
        *,
        mount_accessor: MountAccessor,
        name: str,
        canonical_id: EntityId | None = None,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        custom_metadata: Mapping[str, str] | None = None,
    ) -> EntityAlias:
        """
        Create an entity alias (``POST identity/entity-alias``).

        As in Vault, posting the ``(mount_accessor, name)`` of an existing
        alias updates it: with another ``canonical_id`` it moves the alias
        (same alias ID) to that entity; with the same data it is a no-op.
        Without ``canonical_id`` a new entity is created for the alias.

        Returns:
            The alias as stored.

        Raises:
            InvalidRequestError: If a rule of Vault's alias API is broken.
            PermissionDeniedError: If the mount, the alias or the entity is
                in another namespace.

        See: https://developer.hashicorp.com/vault/api-docs/secret/identity/entity-alias
        """
        if not (mount_accessor and name):
            _fail("alias-fields-missing", "name", name)
        mount = self._mounts.get(mount_accessor)
        if mount is None:
            _fail("alias-mount-unknown", "mount_accessor", mount_accessor)
        if mount.namespace_id != namespace_id:
            _fail(
                "alias-mount-other-namespace", "mount_accessor", mount_accessor
            )
        existing = self._alias_keys.get((mount_accessor, _fold(name)))
        if existing is not None:
            if existing.namespace_id != namespace_id:
                _fail("alias-other-namespace", "namespace_id", namespace_id)
            return self._update_alias(
                existing, canonical_id, name, mount_accessor, custom_metadata
            )
        custom = (
            ()
            if custom_metadata is None
            else _validated_metadata("custom_metadata", custom_metadata)
        )
        new_entity: Entity | None = None
        if canonical_id:
            owner = self._entities.get(canonical_id)
            if owner is None:
                _fail("alias-canonical-invalid", "canonical_id", canonical_id)
            if owner.namespace_id != namespace_id:
                _fail(
                    "alias-canonical-other-namespace",
                    "canonical_id",
                    canonical_id,
                )
            # "An entity cannot have more than one alias for a particular
            # authentication backend" (Vault's identity docs).
            if mount_accessor in self._entity_aliases[owner.id]:
                _fail("alias-mount-taken", "canonical_id", canonical_id)
            owner_id = owner.id
        else:
            self._serial += 1
            owner_id = EntityId(
                self._mint(_TAG_ENTITY, namespace_id, f"#{self._serial}")
            )
            new_entity = Entity(
                id=owner_id,
                name=self._generated_name(
                    "entity_", owner_id, namespace_id, self._entity_names
                ),
                namespace_id=namespace_id,
            )
        alias = EntityAlias(
            id=self._mint_alias_id(mount_accessor, name),
            canonical_id=owner_id,
            mount_accessor=mount_accessor,
            name=name,
            namespace_id=namespace_id,
            custom_metadata=custom,
            local=mount.local,
        )
        if new_entity is not None:
            self._put_entity(new_entity)
        self._put_alias(alias)
        return alias

    def update_entity_alias(
        self,
        alias_id: AliasId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        canonical_id: EntityId | None = None,
        name: str | None = None,
        mount_accessor: MountAccessor | None = None,
        custom_metadata: Mapping[str, str] | None = None,
    ) -> EntityAlias:
        """
        Update or move an entity alias (``POST identity/entity-alias/id/:id``).

        Fields left ``None`` keep their value; a different ``canonical_id``
        moves the alias to that entity.

        Returns:
            The alias as stored.

        Raises:
            InvalidRequestError: If a rule of Vault's alias API is broken.
            PermissionDeniedError: If the alias, mount or target entity is
                in another namespace.
        """
        alias = self._aliases.get(alias_id)
        if alias is None:
            _fail("alias-id-invalid", "alias_id", alias_id)
        if alias.namespace_id != namespace_id:
            _fail("alias-other-namespace", "namespace_id", namespace_id)
        return self._update_alias(
            alias,
            canonical_id,
            name or alias.name,
            mount_accessor or alias.mount_accessor,
            custom_metadata,
        )

    def _update_alias(  # noqa: C901
        self,
        alias: EntityAlias,
        canonical_id: EntityId | None,
        name: str,
        accessor: MountAccessor,
        custom_metadata: Mapping[str, str] | None,
    ) -> EntityAlias:
        custom = (
            alias.custom_metadata
            if custom_metadata is None
            else _validated_metadata("custom_metadata", custom_metadata)
        )
        move = bool(canonical_id) and canonical_id != alias.canonical_id
        changes = (
            name != alias.name
            or accessor != alias.mount_accessor
            or custom != alias.custom_metadata
        )
        if not (move or changes):
            return alias
        current = self._entity_aliases[alias.canonical_id]
        if (
            accessor != alias.mount_accessor
            and not move
            and accessor in current
        ):
            _fail("alias-accessor-change-taken", "mount_accessor", accessor)
        local = alias.local
        if changes:
            mount = self._mounts.get(accessor)
            if mount is None:
                _fail("alias-mount-unknown", "mount_accessor", accessor)
            if mount.namespace_id != alias.namespace_id:
                _fail(
                    "alias-update-mount-other-namespace",
                    "mount_accessor",
                    accessor,
                )
            other = self._alias_keys.get((accessor, _fold(name)))
            if other is not None and other.id != alias.id:
                _fail("alias-factors-taken", "name", name)
            local = mount.local
        owner = alias.canonical_id
        if move and canonical_id is not None:
            if alias.local or local:
                _fail("alias-local-move", "canonical_id", canonical_id)
            target = self._entities.get(canonical_id)
            if target is None:
                _fail("alias-canonical-unknown", "canonical_id", canonical_id)
            if target.namespace_id != alias.namespace_id:
                _fail(
                    "alias-move-other-namespace", "canonical_id", canonical_id
                )
            if accessor in self._entity_aliases[target.id]:
                _fail("alias-move-mount-taken", "canonical_id", canonical_id)
            owner = target.id
        updated = attrs.evolve(
            alias,
            canonical_id=owner,
            name=name,
            mount_accessor=accessor,
            custom_metadata=custom,
            local=local,
        )
        self._put_alias(updated)
        return updated

    def delete_entity_alias(
        self,
        alias_id: AliasId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Delete an entity alias; its entity survives, possibly alias-less.

        Deleting an unknown alias is a silent no-op, as in Vault.

        Raises:
            PermissionDeniedError: If the alias is in another namespace.
        """
        alias = self._aliases.get(alias_id)
        if alias is None:
            return
        if alias.namespace_id != namespace_id:
            _fail("alias-delete-other-namespace", "namespace_id", namespace_id)
        self._drop_alias(alias_id)

    def alias(self, alias_id: AliasId) -> EntityAlias:
        """
        Return the entity alias with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._aliases.get(alias_id)
        if alias is None:
            _fail("alias-not-found", "alias_id", alias_id)
        return alias

    def alias_by_factors(
        self, mount_accessor: MountAccessor, name: str
    ) -> EntityAlias:
        """
        Return the entity alias with this key (name case-insensitive).

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._alias_keys.get((mount_accessor, _fold(name)))
        if alias is None:
            _fail("alias-not-found", "name", name)
        return alias

    # ----------------------------------------------------------------------
    # Entity merges.
    # ----------------------------------------------------------------------

    def merge_entities(  # noqa: C901, PLR0912, PLR0915
        self,
        to_entity_id: EntityId,
        from_entity_ids: Iterable[EntityId],
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        conflicting_alias_ids_to_keep: Iterable[AliasId] = (),
        force: bool = False,
    ) -> None:
        """
        Merge entities into one (``POST identity/entity/merge``).

        The from-entities' aliases move to the target (recording where they
        came from), their IDs join its ``merged_entity_ids``, their group
        memberships become the target's, and they are deleted.  Policies
        and metadata are not merged.  Where the target and a from-entity
        both have an alias on one mount, the merge is refused unless
        ``conflicting_alias_ids_to_keep`` names the alias to keep; the other
        is deleted.  All or nothing.

        Args:
            to_entity_id: The surviving entity.
            from_entity_ids: The entities merged into it.
            namespace_id: The request namespace.
            conflicting_alias_ids_to_keep: Aliases that win mount clashes.
            force: Accepted for parity with Vault, which uses it for MFA
                conflicts; clientid models no MFA, so it changes nothing.

        Raises:
            InvalidRequestError: If a rule of Vault's merge is broken.
            InvalidModelError: If *from_entity_ids* or
                *conflicting_alias_ids_to_keep* is a single string.

        See: https://developer.hashicorp.com/vault/api-docs/secret/identity/entity#merge-entities
        """
        del force
        _reject_single_strings(
            from_entity_ids=from_entity_ids,
            conflicting_alias_ids_to_keep=conflicting_alias_ids_to_keep,
        )
        from_ids = list(from_entity_ids)
        keep = list(conflicting_alias_ids_to_keep)
        if not to_entity_id:
            _fail("merge-to-missing", "to_entity_id", to_entity_id)
        if not from_ids:
            _fail("merge-from-missing", "from_entity_ids", from_ids)
        target = self._entities.get(to_entity_id)
        if target is None:
            _fail("merge-to-invalid", "to_entity_id", to_entity_id)
        if target.namespace_id != namespace_id:
            _fail("merge-to-other-namespace", "to_entity_id", to_entity_id)
        if len(from_ids) > 1 and len(keep) > 1:
            _fail("merge-multiple-keep", "conflicting_alias_ids_to_keep", keep)
        to_mounts = self._entity_aliases[target.id]
        sources: list[Entity] = []
        accessor_owner: dict[MountAccessor, EntityId] = {}
        clashes: list[str] = []
        for from_id in _dedupe(from_ids):
            if from_id == target.id:
                _fail("merge-to-in-from", "from_entity_ids", from_id)
            source = self._entities.get(EntityId(from_id))
            if source is None:
                _fail("merge-from-invalid", "from_entity_ids", from_id)
            if source.namespace_id != namespace_id:
                _fail("merge-from-other-namespace", "from_entity_ids", from_id)
            sources.append(source)
            if keep:
                continue
            for accessor, alias_id in sorted(
                self._entity_aliases[source.id].items()
            ):
                seen = accessor_owner.setdefault(accessor, source.id)
                if seen != source.id:
                    _fail(
                        "merge-accessor-in-multiple-from",
                        "from_entity_ids",
                        accessor,
                    )
                if accessor in to_mounts:
                    clashes.append(
                        f"mountAccessor: {accessor}, toEntity alias ID:"
                        f" {to_mounts[accessor]}, fromEntity ID: {source.id},"
                        f" fromEntity alias ID: {alias_id}"
                    )
        if clashes:
            _fail(
                "merge-alias-clash",
                "from_entity_ids",
                from_ids,
                clashes="; ".join(clashes),
            )
        # Simulate the merge to find every keep-list conflict before any
        # change: Vault applies it alias by alias, clientid all or nothing.
        working = dict(to_mounts)
        moved: dict[AliasId, EntityId] = {}
        dropped: list[AliasId] = []
        keep_set = set(keep)
        for source in sources:
            for accessor, alias_id in sorted(
                self._entity_aliases[source.id].items()
            ):
                if accessor in working:
                    to_alias = working[accessor]
                    if to_alias in keep_set:
                        dropped.append(alias_id)
                        continue
                    if alias_id not in keep_set:
                        _fail(
                            "merge-keep-unresolved",
                            "conflicting_alias_ids_to_keep",
                            alias_id,
                            to_alias_id=to_alias,
                        )
                    dropped.append(to_alias)
                    moved.pop(to_alias, None)
                working[accessor] = alias_id
                moved[alias_id] = source.id
        # Apply.
        merged_ids = list(target.merged_entity_ids)
        for source in sources:
            merged_ids.extend(source.merged_entity_ids)
            merged_ids.append(source.id)
        for alias_id in dropped:
            self._drop_alias(alias_id)
        for alias_id, source_id in moved.items():
            alias = self._aliases[alias_id]
            self._put_alias(
                attrs.evolve(
                    alias,
                    canonical_id=target.id,
                    merged_from_canonical_ids=(
                        *alias.merged_from_canonical_ids,
                        source_id,
                    ),
                )
            )
        for source in sources:
            for group_id in sorted(self._entity_groups.get(source.id, ())):
                group = self._groups[group_id]
                members = {*group.member_entity_ids, target.id}
                members.discard(source.id)
                self._put_group(
                    attrs.evolve(
                        group, member_entity_ids=tuple(sorted(members))
                    )
                )
            self._drop_entity(source.id)
        self._put_entity(
            attrs.evolve(target, merged_entity_ids=tuple(_dedupe(merged_ids)))
        )

    # ----------------------------------------------------------------------
    # Groups.
    # ----------------------------------------------------------------------

    def create_group(
        self,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        name: str | None = None,
        type: GroupType | str | None = None,  # noqa: A002 (Vault's field)
        policies: Iterable[str] | None = None,
        member_entity_ids: Iterable[EntityId] | None = None,
        member_group_ids: Iterable[GroupId] | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Group:
        """
        Create a group (``POST identity/group``).

        Naming a group that exists in the namespace updates it, as in Vault.

        Args:
            namespace_id: The request namespace; the group lives there.
            name: Its name; generated (``group_`` + 8 hex) if absent.
            type: ``internal`` (default) or ``external``; fixed for life.
            policies: Its policies (case kept, case-insensitively
                de-duplicated, order kept); never ``root``, in any case.
            member_entity_ids: Entities (of any namespace) that are direct
                members; replaces the list.  Internal groups only.
            member_group_ids: Groups (of any namespace) that are subgroups;
                replaces the set.  Internal groups only.
            metadata: Its metadata.

        Returns:
            The group as stored.

        Raises:
            InvalidRequestError: If a rule is broken (name taken, cycle,
                unknown member, members on an external group, ...).
            InvalidModelError: If *policies*, *member_entity_ids* or
                *member_group_ids* is a single string.

        See: https://developer.hashicorp.com/vault/api-docs/secret/identity/group
        """
        self._require_namespace(namespace_id)
        existing: Group | None = None
        if name:
            other = self._group_names.get((namespace_id, _fold(name)))
            if other is not None:
                existing = self._groups[other]
        return self._upsert_group(
            existing=existing,
            namespace_id=namespace_id,
            name=name or None,
            type_=type,
            policies=policies,
            member_entity_ids=member_entity_ids,
            member_group_ids=member_group_ids,
            metadata=metadata,
        )

    def update_group(
        self,
        group_id: GroupId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        name: str | None = None,
        type: GroupType | str | None = None,  # noqa: A002 (Vault's field)
        policies: Iterable[str] | None = None,
        member_entity_ids: Iterable[EntityId] | None = None,
        member_group_ids: Iterable[GroupId] | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Group:
        """
        Update a group (``POST identity/group/id/:id``).

        Fields left ``None`` keep their value; ``member_group_ids=()``
        clears the subgroups.

        Returns:
            The group as stored.

        Raises:
            InvalidRequestError: As :meth:`create_group`, or for an unknown
                group ID.
            PermissionDeniedError: If the group is in another namespace.
            InvalidModelError: As :meth:`create_group`.
        """
        group = self._groups.get(group_id)
        if group is None:
            _fail("group-id-invalid", "group_id", group_id)
        if group.namespace_id != namespace_id:
            _fail("group-other-namespace", "namespace_id", namespace_id)
        return self._upsert_group(
            existing=group,
            namespace_id=namespace_id,
            name=name or None,
            type_=type,
            policies=policies,
            member_entity_ids=member_entity_ids,
            member_group_ids=member_group_ids,
            metadata=metadata,
        )

    # The group and merge handlers mirror Vault's step by step, in Vault's
    # order of checks; splitting them would hide that correspondence.
    def _upsert_group(  # noqa: C901, PLR0912, PLR0915
        self,
        *,
        existing: Group | None,
        namespace_id: NamespaceId,
        name: str | None,
        type_: GroupType | str | None,
        policies: Iterable[str] | None,
        member_entity_ids: Iterable[EntityId] | None,
        member_group_ids: Iterable[GroupId] | None,
        metadata: Mapping[str, str] | None,
    ) -> Group:
        _reject_single_strings(
            policies=policies,
            member_entity_ids=member_entity_ids,
            member_group_ids=member_group_ids,
        )
        group_type = self._group_type(type_)
        if existing is not None:
            if group_type is not None and group_type is not existing.type:
                _fail("group-type-change", "type", group_type.value)
            group_type = existing.type
        elif group_type is None:
            group_type = GroupType.INTERNAL
        if name is not None:
            other = self._group_names.get((namespace_id, _fold(name)))
            if other is not None and (
                existing is None or other != existing.id
            ):
                _fail("group-name-taken", "name", name)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if policies is not None:
            cleaned = _dedupe_folded(policies)
            _reject_root(cleaned)
            changes["policies"] = cleaned
        if metadata is not None:
            changes["metadata"] = _validated_metadata("metadata", metadata)
        external = group_type is GroupType.EXTERNAL
        if member_entity_ids is not None:
            members = _dedupe(member_entity_ids)
            if external and members:
                _fail(
                    "group-external-member-entities",
                    "member_entity_ids",
                    members,
                )
            for member in members:
                if member not in self._entities:
                    _fail(
                        "group-member-entity-invalid",
                        "member_entity_ids",
                        member,
                    )
            changes["member_entity_ids"] = tuple(sorted(members))
        # Subgroup edges live on the children: plan their parent lists.
        serial = self._serial
        if existing is None:
            if name is None:
                serial += 1
                group_id = GroupId(
                    self._mint(_TAG_GROUP, namespace_id, f"#{serial}")
                )
                changes["name"] = self._generated_name(
                    "group_", group_id, namespace_id, self._group_names
                )
            else:
                group_id = GroupId(
                    self._mint(_TAG_GROUP, namespace_id, _fold(name))
                )
        else:
            group_id = existing.id
        child_updates: list[Group] = []
        if member_group_ids is not None:
            wanted = _dedupe(member_group_ids)
            if external and wanted:
                _fail(
                    "group-external-member-groups", "member_group_ids", wanted
                )
            current = self._children.get(group_id, set())
            for child_id in wanted:
                if child_id == group_id:
                    _fail("group-self-member", "member_group_ids", child_id)
                child = self._groups.get(GroupId(child_id))
                if child is None:
                    _fail(
                        "group-member-group-invalid",
                        "member_group_ids",
                        child_id,
                    )
                if group_id in child.parent_group_ids:
                    continue
                # A brand-new group cannot close a cycle; an existing one
                # does iff it is reachable downwards from the new child.
                if existing is not None and self._reaches_down(
                    child.id, group_id
                ):
                    _fail("group-cycle", "member_group_ids", child_id)
                child_updates.append(
                    attrs.evolve(
                        child,
                        parent_group_ids=tuple(
                            sorted({*child.parent_group_ids, group_id})
                        ),
                    )
                )
            for child_id in sorted(current - set(wanted)):
                child = self._groups.get(child_id)
                if child is not None:
                    child_updates.append(
                        attrs.evolve(
                            child,
                            parent_group_ids=tuple(
                                p
                                for p in child.parent_group_ids
                                if p != group_id
                            ),
                        )
                    )
        if existing is None:
            group = Group(
                id=group_id,
                namespace_id=namespace_id,
                type=group_type,
                **changes,
            )
        else:
            group = attrs.evolve(existing, **changes)
        self._serial = serial
        self._put_group(group)
        for child in child_updates:
            self._put_group(child)
        return self._groups[group_id]

    @staticmethod
    def _group_type(value: GroupType | str | None) -> GroupType | None:
        if value is None or isinstance(value, GroupType):
            return value
        for member in GroupType:
            if member.value == value:
                return member
        _fail("group-type-invalid", "type", value)

    def _reaches_down(self, start: GroupId, target: GroupId) -> bool:
        stack = [start]
        seen = {start}
        while stack:
            current = stack.pop()
            if current == target:
                return True
            for child in self._children.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return False

    def delete_group(
        self,
        group_id: GroupId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Delete a group and its alias; subgroups keep a dangling parent ID.

        Deleting an unknown group is a silent no-op.

        Raises:
            PermissionDeniedError: If the group is in another namespace.
        """
        group = self._groups.get(group_id)
        if group is None:
            return
        if group.namespace_id != namespace_id:
            _fail("group-other-namespace", "namespace_id", namespace_id)
        self._drop_group(group_id)

    def group(self, group_id: GroupId) -> Group:
        """
        Return the group with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        group = self._groups.get(group_id)
        if group is None:
            _fail("group-not-found", "group_id", group_id)
        return group

    def group_by_name(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> Group:
        """
        Return the group with this name (case-insensitive) in a namespace.

        Raises:
            NotFoundError: If there is none.
        """
        group_id = self._group_names.get((namespace_id, _fold(name)))
        if group_id is None:
            _fail("group-name-not-found", "name", name)
        return self._groups[group_id]

    def member_group_ids(self, group_id: GroupId) -> tuple[GroupId, ...]:
        """
        Return a group's subgroups, sorted (computed from the children).

        Raises:
            NotFoundError: If there is no such group.
        """
        self.group(group_id)
        return tuple(
            sorted(
                c
                for c in self._children.get(group_id, ())
                if c in self._groups
            )
        )

    def group_alias_of(self, group_id: GroupId) -> GroupAlias | None:
        """
        Return the alias of a group, if it has one.

        Raises:
            NotFoundError: If there is no such group.
        """
        self.group(group_id)
        alias_id = self._group_alias_of.get(group_id)
        return None if alias_id is None else self._group_aliases[alias_id]

    # ----------------------------------------------------------------------
    # Group aliases.
    # ----------------------------------------------------------------------

    def create_group_alias(
        self,
        *,
        mount_accessor: MountAccessor,
        name: str,
        canonical_id: GroupId | None = None,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> GroupAlias:
        """
        Create a group alias (``POST identity/group-alias``).

        Without ``canonical_id`` a new external group is created for it;
        attaching it to a group that has an alias replaces that alias.

        Returns:
            The alias as stored.

        Raises:
            InvalidRequestError: If a rule of Vault's group-alias API is
                broken.
            PermissionDeniedError: If the group or mount is in another
                namespace.

        See: https://developer.hashicorp.com/vault/api-docs/secret/identity/group-alias
        """
        return self._upsert_group_alias(
            None, namespace_id, name, mount_accessor, canonical_id
        )

    def update_group_alias(
        self,
        alias_id: AliasId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        name: str | None = None,
        mount_accessor: MountAccessor | None = None,
        canonical_id: GroupId | None = None,
    ) -> GroupAlias:
        """
        Update or move a group alias (``POST identity/group-alias/id/:id``).

        Returns:
            The alias as stored.

        Raises:
            InvalidRequestError: As :meth:`create_group_alias`, or for an
                unknown alias ID.
            PermissionDeniedError: If the alias is in another namespace.
        """
        alias = self._group_aliases.get(alias_id)
        if alias is None:
            _fail("group-alias-id-invalid", "alias_id", alias_id)
        if alias.namespace_id != namespace_id:
            _fail("group-alias-other-namespace", "namespace_id", namespace_id)
        return self._upsert_group_alias(
            alias,
            namespace_id,
            name or alias.name,
            mount_accessor or alias.mount_accessor,
            canonical_id or alias.canonical_id,
        )

    def _upsert_group_alias(  # noqa: C901, PLR0912
        self,
        existing: GroupAlias | None,
        namespace_id: NamespaceId,
        name: str,
        accessor: MountAccessor,
        canonical_id: GroupId | None,
    ) -> GroupAlias:
        if not name:
            _fail("group-alias-name-missing", "name", name)
        if not accessor:
            _fail("group-alias-accessor-missing", "mount_accessor", accessor)
        self._require_namespace(namespace_id)
        if canonical_id:
            group = self._groups.get(canonical_id)
            if group is None:
                _fail(
                    "group-alias-canonical-invalid",
                    "canonical_id",
                    canonical_id,
                )
            if group.type is not GroupType.EXTERNAL:
                _fail("group-alias-internal", "canonical_id", canonical_id)
            if group.namespace_id != namespace_id:
                _fail(
                    "group-alias-group-other-namespace",
                    "canonical_id",
                    canonical_id,
                )
        mount = self._mounts.get(accessor)
        if mount is None:
            _fail("group-alias-mount-unknown", "mount_accessor", accessor)
        if mount.local:
            _fail("group-alias-local-mount", "mount_accessor", accessor)
        if mount.namespace_id != namespace_id:
            _fail(
                "group-alias-mount-other-namespace", "mount_accessor", accessor
            )
        other = self._group_alias_keys.get((accessor, _fold(name)))
        if other is not None and (existing is None or other != existing.id):
            _fail("group-alias-factors-taken", "name", name)
        new_group: Group | None = None
        if canonical_id:
            group_id = canonical_id
        else:
            self._serial += 1
            group_id = GroupId(
                self._mint(_TAG_GROUP, namespace_id, f"#{self._serial}")
            )
            new_group = Group(
                id=group_id,
                name=self._generated_name(
                    "group_", group_id, namespace_id, self._group_names
                ),
                namespace_id=namespace_id,
                type=GroupType.EXTERNAL,
            )
        alias_id = (
            existing.id
            if existing is not None
            else AliasId(self._mint(_TAG_GROUP_ALIAS, accessor, _fold(name)))
        )
        alias = GroupAlias(
            id=alias_id,
            canonical_id=group_id,
            mount_accessor=accessor,
            name=name,
            namespace_id=namespace_id,
        )
        if new_group is not None:
            self._put_group(new_group)
        replaced = self._group_alias_of.get(group_id)
        if replaced is not None and replaced != alias_id:
            # One alias per external group: the new one replaces the old.
            self._drop_group_alias(replaced)
        self._put_group_alias(alias)
        return alias

    def delete_group_alias(
        self,
        alias_id: AliasId,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> None:
        """
        Delete a group alias; its group survives without an alias.

        Deleting an unknown alias is a silent no-op.

        Raises:
            PermissionDeniedError: If the alias is in another namespace.
        """
        alias = self._group_aliases.get(alias_id)
        if alias is None:
            return
        if alias.namespace_id != namespace_id:
            _fail("group-alias-other-namespace", "namespace_id", namespace_id)
        self._drop_group_alias(alias_id)

    def group_alias(self, alias_id: AliasId) -> GroupAlias:
        """
        Return the group alias with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._group_aliases.get(alias_id)
        if alias is None:
            _fail("group-alias-not-found", "alias_id", alias_id)
        return alias

    # ----------------------------------------------------------------------
    # Token roles and tokens.
    # ----------------------------------------------------------------------

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
            return tuple(
                sorted({_fold(i.strip()) for i in items if i.strip()})
            )

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
            _fail("role-unknown", "name", name)
        return role

    def delete_token_role(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> None:
        """
        Delete a token role; deleting an unknown role is a no-op.
        """
        self._roles.pop((namespace_id, name), None)

    def create_token(  # noqa: C901, PLR0912, PLR0915
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
        _reject_single_strings(policies=policies)
        request_ns = namespace_id or parent.namespace_id
        self._check_usable(parent, request_ns)
        if parent.type is TokenType.BATCH:
            _fail("token-batch-parent", "parent", parent.type.value)
        is_root = parent.policies == (ROOT_POLICY,)
        is_sudo = sudo or is_root
        role: TokenRole | None = None
        if role_name is not None:
            role = self._roles.get((request_ns, role_name))
            if role is None:
                _fail("token-role-unknown", "role_name", role_name)
        if entity_alias and role is None:
            _fail(
                "token-entity-alias-without-role", "entity_alias", entity_alias
            )
        if no_parent and not is_sudo:
            _fail("token-orphan-sudo", "no_parent", no_parent)
        child_ns = request_ns != parent.namespace_id
        if child_ns and not is_sudo:
            _fail("token-child-namespace-sudo", "namespace_id", request_ns)
        is_orphan = orphan or no_parent or (role is not None and role.orphan)
        # Token type: the role's token_type decides, then the request.
        new_type = token_type or TokenType.SERVICE
        if role is not None:
            role_type, forced = _ROLE_TOKEN_TYPES[role.token_type]
            new_type = role_type if forced else (token_type or role_type)
        strip_default = no_default_policy or (
            role is not None and role.token_no_default_policy
        )
        final = self._token_policies(
            parent, role, policies, child_ns=child_ns, is_sudo=is_sudo
        )
        if strip_default:
            final = tuple(p for p in final if p != DEFAULT_POLICY)
        if ROOT_POLICY in final:
            if child_ns:
                _fail("token-child-namespace-root", "policies", final)
            if not is_root:
                _fail("token-root-parent", "policies", final)
            if new_type is TokenType.BATCH:
                _fail("token-batch-root", "token_type", new_type.value)
        for policy in final:
            if policy in WRAPPING_POLICIES:
                _fail("policy-not-assignable", "policies", policy)
        # The entity (section 8.3).
        entity_id = None if is_orphan else parent.entity_id
        planned: tuple[Entity, EntityAlias] | None = None
        if entity_alias and role is not None:
            folded = _fold(entity_alias)
            if not any(
                _glob_match(p, folded) for p in role.allowed_entity_aliases
            ):
                _fail(
                    "token-entity-alias-not-allowed",
                    "entity_alias",
                    entity_alias,
                )
            mount = self._mounts[self._token_mounts[request_ns]]
            found = self._alias_keys.get((mount.accessor, folded))
            if found is None:
                planned = self._new_login_entity(mount, entity_alias, ())
                entity_id = planned[0].id
            else:
                owner = self._entities[found.canonical_id]
                if owner.disabled:
                    _fail(
                        "token-entity-alias-disabled",
                        "entity_alias",
                        entity_alias,
                    )
                entity_id = owner.id
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

    def _token_policies(  # noqa: C901, PLR0912
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
                    and not any(
                        _glob_match(g, p) for g in role.allowed_policies_glob
                    )
                ]
                if outside:
                    _fail(
                        "token-role-policies-not-allowed",
                        "policies",
                        _go_quote_list(asked),
                        allowed=_go_quote_list(role.allowed_policies),
                        globs=_go_quote_list(role.allowed_policies_glob),
                    )
            for policy in asked:
                if policy in disallowed or any(
                    _glob_match(g, policy)
                    for g in role.disallowed_policies_glob
                ):
                    _fail("token-role-policy-disallowed", "policies", policy)
            if DEFAULT_POLICY in disallowed:
                return asked
            return sanitize_policies(asked)
        if child_ns:
            return sanitize_policies(requested or ())
        if not requested:
            # With no policies requested, the token inherits its parent's.
            return parent.policies
        asked = sanitize_policies(requested, add_default=False)
        if not is_sudo:
            if not set(asked) <= set(parent.policies):
                _fail("token-policies-not-subset", "policies", asked)
            return sanitize_policies(asked, add_default=parent_has_default)
        return sanitize_policies(asked)

    # ----------------------------------------------------------------------
    # Requests: usability, clients, policies.
    # ----------------------------------------------------------------------

    def _check_usable(
        self, token: Token, request_ns: NamespaceId
    ) -> Entity | None:
        token_ns = self._namespaces.get(token.namespace_id)
        if token_ns is None:
            _fail(
                "token-namespace-missing", "namespace_id", token.namespace_id
            )
        target = self._namespaces.get(request_ns)
        if target is None:
            _fail("namespace-unknown", "namespace_id", request_ns)
        if not target.is_descendant_or_self_of(token_ns):
            # A token's policies live in its namespace, so it can reach its
            # namespace and those below, never a parent or a sibling.
            _fail("token-outside-namespace", "namespace_id", request_ns)
        if token.entity_id is None:
            return None
        entity = self.resolve_entity_id(token.entity_id)
        if entity is None:
            _fail("token-entity-missing", "entity_id", token.entity_id)
        if entity.disabled:
            _fail("token-entity-disabled", "entity_id", token.entity_id)
        return entity

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
        _reject_single_strings(group_aliases=group_aliases)
        request_ns = namespace_id or token.namespace_id
        entity = self._check_usable(token, request_ns)
        if request_ns != token.namespace_id:
            _fail("token-renew-other-namespace", "namespace_id", request_ns)
        if token.type is TokenType.BATCH:
            _fail("token-renew-batch", "token", token.type.value)
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

    def effective_policies(
        self,
        token: Token,
        *,
        mode: GroupPolicyApplication | str = (
            GroupPolicyApplication.WITHIN_NAMESPACE_HIERARCHY
        ),
        existing_policies: Mapping[NamespaceId, Collection[str]] | None = None,
        no_identity_policies: bool = False,
    ) -> EffectivePolicies:
        """
        Compute the policies a request made with *token* is checked against.

        Identity policies come from the current state: the entity's own
        (always applied, under the entity's namespace) and those of every
        group it belongs to directly or through subgroups, filtered by
        *mode*.

        Args:
            token: The token of the request.
            mode: Vault's group policy application mode, or its value
                (``"within_namespace_hierarchy"``, ``"any"``).
            existing_policies: The ACL policies that exist, per namespace;
                a group policy of another namespace that does not exist is
                dropped, as in Vault.  ``None`` treats every policy as
                existing.
            no_identity_policies: The token's ``no_identity_policies``.

        Returns:
            Token, identity and combined policies.

        Raises:
            PermissionDeniedError: If the token's entity is missing or
                disabled, or its namespace is gone.
            InvalidModelError: If a value of *existing_policies* is a
                single string.

        See: https://developer.hashicorp.com/vault/api-docs/system/config-group-policy-application
        """
        if existing_policies is not None:
            for ns_id in sorted(existing_policies):
                _reject_single_strings(
                    **{
                        f"existing_policies[{ns_id!r}]": existing_policies[
                            ns_id
                        ]
                    }
                )
        mode = _policy_mode(mode)
        entity = self._check_usable(token, token.namespace_id)
        token_ns = self._namespaces[token.namespace_id]
        identity: dict[NamespaceId, list[str]] = {}
        if entity is not None and not no_identity_policies:
            identity.setdefault(entity.namespace_id, []).extend(
                entity.policies
            )
            direct = sorted(self._entity_groups.get(entity.id, ()))
            for group_id in self._ancestor_groups(direct):
                group = self._groups[group_id]
                group_ns = self._namespaces.get(group.namespace_id)
                if group_ns is None:
                    continue
                kept = [
                    p
                    for p in group.policies
                    if self._policy_applies(
                        token_ns, group_ns, p, mode, existing_policies
                    )
                ]
                if kept:
                    identity.setdefault(group_ns.id, []).extend(kept)
        sanitized = {
            ns: sanitize_policies(pols, add_default=False)
            for ns, pols in identity.items()
        }
        own = sanitized.get(token.namespace_id, ())
        return EffectivePolicies(
            token_policies=token.policies,
            identity_policies=own,
            policies=sanitize_policies(
                (*token.policies, *own), add_default=False
            ),
            external_namespace_policies=tuple(
                (ns, sanitized[ns])
                for ns in sorted(sanitized)
                if ns != token.namespace_id and sanitized[ns]
            ),
        )

    @staticmethod
    def _policy_applies(
        token_ns: Namespace,
        group_ns: Namespace,
        policy: str,
        mode: GroupPolicyApplication,
        existing: Mapping[NamespaceId, Collection[str]] | None,
    ) -> bool:
        if group_ns.path == token_ns.path:
            return True
        if existing is not None and policy not in existing.get(
            group_ns.id, ()
        ):
            return False
        if mode is GroupPolicyApplication.ANY:
            return True
        return group_ns.is_descendant_or_self_of(token_ns)

    def _ancestor_groups(self, direct: Iterable[GroupId]) -> list[GroupId]:
        """List direct groups and their ancestors once, skipping dangling."""
        order: list[GroupId] = []
        seen: set[GroupId] = set()
        stack = [g for g in reversed(list(direct)) if g in self._groups]
        while stack:
            group_id = stack.pop()
            if group_id in seen:
                continue
            seen.add(group_id)
            order.append(group_id)
            stack.extend(
                p
                for p in reversed(self._groups[group_id].parent_group_ids)
                if p in self._groups and p not in seen
            )
        return order

    # ----------------------------------------------------------------------
    # Invariants.
    # ----------------------------------------------------------------------

    def _check(self) -> None:
        """Verify every internal invariant and index (for tests)."""
        self._check_namespaces()
        self._check_entities()
        self._check_groups()

    def _check_namespaces(self) -> None:
        for ns in self._namespaces.values():
            _expect(self._namespace_paths[ns.path] == ns.id, "namespace path")
            _expect(
                ns.parent_id is None or ns.parent_id in self._namespaces,
                "namespace parent",
            )
            token_mount = self._mounts[self._token_mounts[ns.id]]
            _expect(token_mount.path == _TOKEN_MOUNT_PATH, "token mount")
        _expect(
            len(self._namespace_paths) == len(self._namespaces),
            "namespace index",
        )
        for accessor, mount in self._mounts.items():
            _expect(mount.namespace_id in self._namespaces, "mount namespace")
            path_key = (mount.namespace_id, mount.path)
            _expect(self._mount_paths[path_key] == accessor, "mount path")
        _expect(len(self._mount_paths) == len(self._mounts), "mount index")

    def _check_entities(self) -> None:
        for entity in self._entities.values():
            name_key = (entity.namespace_id, _fold(entity.name))
            _expect(self._entity_names[name_key] == entity.id, "entity name")
            for merged in entity.merged_entity_ids:
                _expect(self._merged[merged] == entity.id, "merged index")
        _expect(len(self._entity_names) == len(self._entities), "entity names")
        _expect(
            set(self._entity_aliases) == set(self._entities), "alias owners"
        )
        pairs = 0
        for entity_id, by_mount in self._entity_aliases.items():
            for accessor, alias_id in by_mount.items():
                alias = self._aliases[alias_id]
                # One alias per mount per entity holds by construction of
                # this index: check that it mirrors the aliases exactly.
                _expect(alias.canonical_id == entity_id, "alias owner")
                _expect(alias.mount_accessor == accessor, "alias mount")
                pairs += 1
        _expect(
            pairs == len(self._aliases) == len(self._alias_keys),
            "one alias per mount per entity",
        )
        for alias_key, alias in self._alias_keys.items():
            _expect(self._aliases[alias.id] is alias, "alias key index")
            _expect(
                alias_key == (alias.mount_accessor, _fold(alias.name)),
                "alias key",
            )

    def _check_groups(self) -> None:
        for group in self._groups.values():
            name_key = (group.namespace_id, _fold(group.name))
            _expect(self._group_names[name_key] == group.id, "group name")
            parents = [p for p in group.parent_group_ids if p in self._groups]
            _expect(
                group.id not in self._ancestor_groups(parents), "group cycle"
            )
            for member in group.member_entity_ids:
                _expect(
                    group.id in self._entity_groups[member], "member index"
                )
            for parent in group.parent_group_ids:
                _expect(group.id in self._children[parent], "child index")
        _expect(len(self._group_names) == len(self._groups), "group names")
        for entity_id, group_ids in self._entity_groups.items():
            for group_id in group_ids:
                members = self._groups[group_id].member_entity_ids
                _expect(entity_id in members, "entity group index")
        for group_id, alias_id in self._group_alias_of.items():
            galias = self._group_aliases[alias_id]
            _expect(galias.canonical_id == group_id, "group alias owner")
            _expect(
                self._groups[group_id].type is GroupType.EXTERNAL,
                "group alias on an external group",
            )
            galias_key = (galias.mount_accessor, _fold(galias.name))
            _expect(
                self._group_alias_keys[galias_key] == alias_id,
                "group alias key",
            )
        _expect(
            len(self._group_alias_of)
            == len(self._group_aliases)
            == len(self._group_alias_keys),
            "group alias index",
        )

    # ----------------------------------------------------------------------
    # Index-maintaining primitives: they never fail, callers validate.
    # ----------------------------------------------------------------------

    def _require_namespace(self, namespace_id: NamespaceId) -> Namespace:
        namespace = self._namespaces.get(namespace_id)
        if namespace is None:
            _fail("namespace-unknown", "namespace_id", namespace_id)
        return namespace

    def _id_taken(self, candidate: str) -> bool:
        return (
            candidate in self._entities
            or candidate in self._merged
            or candidate in self._aliases
            or candidate in self._groups
            or candidate in self._group_aliases
            or candidate in self._retired
        )

    def _mint(self, tag: str, *fields: str) -> str:
        candidate = derived_uuid(tag, *fields)
        attempt = 0
        while self._id_taken(candidate):
            attempt += 1
            candidate = derived_uuid(tag, *fields, str(attempt))
        return candidate

    def _mint_alias_id(self, accessor: MountAccessor, name: str) -> AliasId:
        return AliasId(self._mint(_TAG_ENTITY_ALIAS, accessor, _fold(name)))

    def _mint_namespace_id(self, path: str) -> NamespaceId:
        attempt = 0
        while True:
            fields = (path, str(attempt)) if attempt else (path,)
            number = int(derived_uuid(_TAG_NAMESPACE, *fields)[:8], 16)
            chars = []
            for _ in range(_NAMESPACE_ID_LENGTH):
                number, digit = divmod(number, len(_BASE62))
                chars.append(_BASE62[digit])
            candidate = NamespaceId("".join(chars))
            if (
                candidate not in self._namespaces
                and candidate not in self._retired
                and candidate != ROOT_NAMESPACE_ID
            ):
                return candidate
            attempt += 1

    def _mint_accessor(
        self, type_: str, namespace_id: NamespaceId, path: str
    ) -> MountAccessor:
        attempt = 0
        while True:
            fields = (namespace_id, path, str(attempt))
            digest = derived_uuid(_TAG_MOUNT, *fields)[:8]
            candidate = MountAccessor(f"auth_{type_}_{digest}")
            if (
                candidate not in self._mounts
                and candidate not in self._retired
            ):
                return candidate
            attempt += 1

    def _token_mount_for(self, namespace: Namespace) -> AuthMount:
        return AuthMount(
            accessor=self._mint_accessor(
                _TOKEN_MOUNT_TYPE, namespace.id, _TOKEN_MOUNT_PATH
            ),
            type=_TOKEN_MOUNT_TYPE,
            path=_TOKEN_MOUNT_PATH,
            namespace_id=namespace.id,
        )

    def _generated_name(
        self,
        prefix: str,
        object_id: str,
        namespace_id: NamespaceId,
        taken: Mapping[tuple[NamespaceId, str], str],
    ) -> str:
        attempt = 0
        name = prefix + object_id.replace("-", "")[:8]
        while (namespace_id, name) in taken:
            attempt += 1
            name = prefix + derived_uuid(prefix, object_id, str(attempt))[:8]
        return name

    def _put_namespace(
        self, namespace: Namespace, token_mount: AuthMount
    ) -> None:
        self._namespaces[namespace.id] = namespace
        self._namespace_paths[namespace.path] = namespace.id
        self._put_mount(token_mount)
        self._token_mounts[namespace.id] = token_mount.accessor

    def _put_mount(self, mount: AuthMount) -> None:
        self._mounts[mount.accessor] = mount
        self._mount_paths[(mount.namespace_id, mount.path)] = mount.accessor

    def _drop_mount(self, accessor: MountAccessor) -> None:
        mount = self._mounts.pop(accessor)
        del self._mount_paths[(mount.namespace_id, mount.path)]
        self._retired.add(accessor)

    def _put_entity(self, entity: Entity) -> None:
        old = self._entities.get(entity.id)
        if old is not None:
            old_key = (old.namespace_id, _fold(old.name))
            if self._entity_names.get(old_key) == old.id:
                del self._entity_names[old_key]
        else:
            self._entity_aliases[entity.id] = {}
        self._entities[entity.id] = entity
        self._entity_names[(entity.namespace_id, _fold(entity.name))] = (
            entity.id
        )
        for merged in entity.merged_entity_ids:
            self._merged[merged] = entity.id

    def _drop_entity(self, entity_id: EntityId) -> None:
        """Forget an entity record (its aliases must be gone or moved)."""
        entity = self._entities.pop(entity_id)
        del self._entity_names[(entity.namespace_id, _fold(entity.name))]
        del self._entity_aliases[entity_id]
        self._entity_groups.pop(entity_id, None)

    def _remove_entity(self, entity_id: EntityId) -> None:
        """Delete an entity with its aliases and memberships (section 2.6)."""
        entity = self._entities[entity_id]
        for group_id in sorted(self._entity_groups.get(entity_id, ())):
            group = self._groups[group_id]
            self._put_group(
                attrs.evolve(
                    group,
                    member_entity_ids=tuple(
                        m for m in group.member_entity_ids if m != entity_id
                    ),
                )
            )
        for alias_id in sorted(self._entity_aliases[entity_id].values()):
            self._drop_alias(alias_id)
        for merged in entity.merged_entity_ids:
            self._merged.pop(merged, None)
            self._retired.add(merged)
        self._drop_entity(entity_id)
        self._retired.add(entity_id)

    def _put_alias(self, alias: EntityAlias) -> None:
        old = self._aliases.get(alias.id)
        if old is not None:
            del self._entity_aliases[old.canonical_id][old.mount_accessor]
            del self._alias_keys[(old.mount_accessor, _fold(old.name))]
        self._aliases[alias.id] = alias
        self._alias_keys[(alias.mount_accessor, _fold(alias.name))] = alias
        self._entity_aliases[alias.canonical_id][alias.mount_accessor] = (
            alias.id
        )

    def _drop_alias(self, alias_id: AliasId) -> None:
        self._login_memo.pop(alias_id, None)
        alias = self._aliases.pop(alias_id)
        del self._alias_keys[(alias.mount_accessor, _fold(alias.name))]
        del self._entity_aliases[alias.canonical_id][alias.mount_accessor]
        self._retired.add(alias_id)

    def _put_group(self, group: Group) -> None:
        old = self._groups.get(group.id)
        old_members: tuple[EntityId, ...] = ()
        old_parents: tuple[GroupId, ...] = ()
        if old is not None:
            old_members = old.member_entity_ids
            old_parents = old.parent_group_ids
            del self._group_names[(old.namespace_id, _fold(old.name))]
        self._groups[group.id] = group
        self._group_names[(group.namespace_id, _fold(group.name))] = group.id
        if old_members != group.member_entity_ids:
            for member in set(old_members) - set(group.member_entity_ids):
                groups = self._entity_groups[member]
                groups.discard(group.id)
                if not groups:
                    del self._entity_groups[member]
            for member in group.member_entity_ids:
                self._entity_groups.setdefault(member, set()).add(group.id)
        if old_parents != group.parent_group_ids:
            for parent in set(old_parents) - set(group.parent_group_ids):
                children = self._children[parent]
                children.discard(group.id)
                if not children:
                    del self._children[parent]
            for parent in group.parent_group_ids:
                self._children.setdefault(parent, set()).add(group.id)

    def _drop_group(self, group_id: GroupId) -> None:
        alias_id = self._group_alias_of.get(group_id)
        if alias_id is not None:
            self._drop_group_alias(alias_id)
        group = self._groups[group_id]
        # Clearing members and parents first keeps the indexes exact; the
        # subgroups keep their (now dangling) parent ID, as in Vault.
        self._put_group(
            attrs.evolve(group, member_entity_ids=(), parent_group_ids=())
        )
        del self._groups[group_id]
        del self._group_names[(group.namespace_id, _fold(group.name))]
        self._retired.add(group_id)

    def _put_group_alias(self, alias: GroupAlias) -> None:
        old = self._group_aliases.get(alias.id)
        if old is not None:
            del self._group_alias_keys[(old.mount_accessor, _fold(old.name))]
            del self._group_alias_of[old.canonical_id]
        self._group_aliases[alias.id] = alias
        self._group_alias_keys[(alias.mount_accessor, _fold(alias.name))] = (
            alias.id
        )
        self._group_alias_of[alias.canonical_id] = alias.id

    def _drop_group_alias(self, alias_id: AliasId) -> None:
        alias = self._group_aliases.pop(alias_id)
        del self._group_alias_keys[(alias.mount_accessor, _fold(alias.name))]
        del self._group_alias_of[alias.canonical_id]
        self._retired.add(alias_id)
