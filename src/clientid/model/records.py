"""
Frozen attrs classes for Vault's identity domain.

The model is data: every class is frozen, slotted, keyword-only and compares
by value; collections are tuples, never lists or dicts.  Behaviour (client
IDs, resolution, counting) lives in functions and in the identity store.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from clientid.errors import InvalidModelError
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    ClientId,
    ClientType,
    EntityId,
    GroupId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.validators import (
    aware_datetime,
    no_empty_strings,
    non_empty,
    optional_aware_datetime,
    optional_non_empty,
    sorted_unique_pairs,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AcmeIdentifier",
    "AcmeOrder",
    "AuthMount",
    "Client",
    "Entity",
    "EntityAlias",
    "Group",
    "GroupAlias",
    "GroupType",
    "Metadata",
    "Namespace",
    "SecretSyncAssociation",
    "Token",
    "TokenRole",
    "TokenType",
    "freeze_metadata",
]

#: Vault's ``map[string]string`` metadata, frozen: ``(key, value)`` pairs
#: sorted by key.  Build one from a mapping with :func:`freeze_metadata`.
Metadata = tuple[tuple[str, str], ...]


def freeze_metadata(mapping: Mapping[str, str]) -> Metadata:
    """
    Turn a metadata mapping into the frozen form model classes hold.

    Args:
        mapping: Vault metadata, e.g. ``{"team": "payments"}``.

    Returns:
        The pairs sorted by key.
    """
    return tuple(sorted(mapping.items()))


def _canonical_namespace_path(
    instance: Namespace, attribute: attrs.Attribute[Any], value: str
) -> None:
    if instance.id == ROOT_NAMESPACE_ID:
        if value != "":
            raise InvalidModelError(
                attribute.name, value, "of the root namespace must be ''"
            )
        return
    if (
        not value
        or not value.endswith("/")
        or value.startswith("/")
        or "//" in value
    ):
        raise InvalidModelError(
            attribute.name,
            value,
            "must be a canonical namespace path: non-empty, no leading '/',"
            " no empty segment, ending in '/'",
        )


def _namespace_parent(
    instance: Namespace,
    attribute: attrs.Attribute[Any],
    value: NamespaceId | None,
) -> None:
    if instance.id == ROOT_NAMESPACE_ID:
        if value is not None:
            raise InvalidModelError(
                attribute.name, value, "of the root namespace must be None"
            )
    elif not value:
        raise InvalidModelError(
            attribute.name, value, "must name the parent of a child namespace"
        )
    elif value == instance.id:
        raise InvalidModelError(
            attribute.name, value, "must differ from the namespace's own id"
        )


@final
@attrs.frozen(kw_only=True)
class Namespace:
    """
    A Vault namespace.

    The root namespace has ``id="root"``, ``path=""`` and no parent; every
    other namespace has a canonical path ending in ``/`` (``"ns1/child/"``).
    Use :meth:`root` for the root namespace.

    See: https://developer.hashicorp.com/vault/docs/enterprise/namespaces
    """

    id: NamespaceId = attrs.field(validator=non_empty)
    path: str = attrs.field(validator=_canonical_namespace_path)
    parent_id: NamespaceId | None = attrs.field(validator=_namespace_parent)

    @classmethod
    def root(cls) -> Namespace:
        """
        Return the root namespace.
        """
        return cls(id=ROOT_NAMESPACE_ID, path="", parent_id=None)

    @property
    def is_root(self) -> bool:
        """
        Whether this is the root namespace.
        """
        return self.id == ROOT_NAMESPACE_ID

    def is_descendant_or_self_of(self, other: Namespace) -> bool:
        """
        Vault's ``HasParent``: whether *self* is *other* or lies below it.

        Paths end in ``/``, so ``ns10/`` is not below ``ns1/``.
        """
        if other.is_root:
            return True
        if self.is_root:
            return False
        return self.path.startswith(other.path)


def _mount_path(
    _: object, attribute: attrs.Attribute[Any], value: str
) -> None:
    if not value or not value.endswith("/") or value.startswith("/"):
        raise InvalidModelError(
            attribute.name,
            value,
            "must be a mount path relative to its namespace, ending in '/'",
        )


@final
@attrs.frozen(kw_only=True)
class AuthMount:
    """
    An auth method mounted in a namespace.

    ``path`` is relative to the namespace and includes the ``auth/`` prefix,
    as Vault reports it in audit logs and client counts
    (``"auth/userpass/"``).  Accessors are unique across all namespaces.
    """

    accessor: MountAccessor = attrs.field(validator=non_empty)
    type: str = attrs.field(validator=non_empty)
    path: str = attrs.field(validator=_mount_path)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    local: bool = False


@final
@attrs.frozen(kw_only=True)
class Entity:
    """
    An identity entity: one client, however many aliases and tokens it has.

    ``policies`` are the entity's own identity policies (case preserved,
    sorted, de-duplicated by the identity store).
    """

    id: EntityId = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    policies: tuple[str, ...] = attrs.field(
        default=(), validator=no_empty_strings
    )
    metadata: Metadata = attrs.field(default=(), validator=sorted_unique_pairs)
    disabled: bool = False
    merged_entity_ids: tuple[EntityId, ...] = ()


@final
@attrs.frozen(kw_only=True)
class EntityAlias:
    """
    The link between an auth mount's name for a user and an entity.

    The key ``(mount_accessor, lower(name))`` is unique; ``name`` keeps the
    case it was created with.  ``metadata`` is what the auth method reports
    at login; ``custom_metadata`` is set only through the API.
    """

    id: AliasId = attrs.field(validator=non_empty)
    canonical_id: EntityId = attrs.field(validator=non_empty)
    mount_accessor: MountAccessor = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    metadata: Metadata = attrs.field(default=(), validator=sorted_unique_pairs)
    custom_metadata: Metadata = attrs.field(
        default=(), validator=sorted_unique_pairs
    )
    local: bool = False
    merged_from_canonical_ids: tuple[EntityId, ...] = ()


@final
class GroupType(enum.Enum):
    """
    Whether a group's members are managed by the API or by logins.
    """

    #: Members are set explicitly.
    INTERNAL = "internal"
    #: Members are refreshed from the group aliases a login reports.
    EXTERNAL = "external"


@final
@attrs.frozen(kw_only=True)
class Group:
    """
    An identity group.

    Membership of subgroups is stored on the child, as in Vault:
    ``parent_group_ids`` names the groups this group is a member of.
    """

    id: GroupId = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    type: GroupType = GroupType.INTERNAL
    policies: tuple[str, ...] = attrs.field(
        default=(), validator=no_empty_strings
    )
    member_entity_ids: tuple[EntityId, ...] = ()
    parent_group_ids: tuple[GroupId, ...] = ()
    metadata: Metadata = attrs.field(default=(), validator=sorted_unique_pairs)


@final
@attrs.frozen(kw_only=True)
class GroupAlias:
    """
    The link between an auth provider's group and an external group.
    """

    id: AliasId = attrs.field(validator=non_empty)
    canonical_id: GroupId = attrs.field(validator=non_empty)
    mount_accessor: MountAccessor = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )


@final
class TokenType(enum.Enum):
    """
    Vault's two token types; both count as clients alike.
    """

    SERVICE = "service"
    BATCH = "batch"


@final
@attrs.frozen(kw_only=True)
class Token:
    """
    A Vault token, as far as client identity needs it.

    ``policies`` are the token's own policies exactly as Vault stores them
    (the token store sanitizes them at creation, see
    :func:`clientid.sanitize_policies`); identity policies are not part of a
    token.  ``mount_accessor`` is the auth mount that issued the token (the
    namespace's token mount for token-store tokens); ``None`` when unknown.
    """

    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    policies: tuple[str, ...] = ()
    entity_id: EntityId | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    type: TokenType = TokenType.SERVICE
    accessor: str | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    orphan: bool = True
    mount_accessor: MountAccessor | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    role: str | None = attrs.field(default=None, validator=optional_non_empty)
    creation_time: dt.datetime | None = attrs.field(
        default=None, validator=optional_aware_datetime
    )
    ignore_for_billing: bool = False


#: Values of a token role's ``token_type``.
TOKEN_ROLE_TYPES: Final = frozenset(
    {"default-service", "default-batch", "service", "batch"}
)


def _token_role_type(
    _: object, attribute: attrs.Attribute[Any], value: str
) -> None:
    if value not in TOKEN_ROLE_TYPES:
        raise InvalidModelError(
            attribute.name, value, f"must be one of {sorted(TOKEN_ROLE_TYPES)}"
        )


@final
@attrs.frozen(kw_only=True)
class TokenRole:
    """
    A token store role (``auth/token/roles/<name>``).

    ``allowed_entity_aliases`` may contain ``*`` globs; Vault matches them
    case-insensitively.
    """

    name: str = attrs.field(validator=non_empty)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    orphan: bool = False
    allowed_policies: tuple[str, ...] = ()
    disallowed_policies: tuple[str, ...] = ()
    allowed_policies_glob: tuple[str, ...] = ()
    disallowed_policies_glob: tuple[str, ...] = ()
    token_type: str = attrs.field(
        default="default-service", validator=_token_role_type
    )
    token_no_default_policy: bool = False
    allowed_entity_aliases: tuple[str, ...] = ()


def _deleted_not_before_created(
    instance: SecretSyncAssociation,
    attribute: attrs.Attribute[Any],
    value: dt.datetime | None,
) -> None:
    optional_aware_datetime(instance, attribute, value)
    if value is not None and value < instance.created_at:
        raise InvalidModelError(
            attribute.name,
            value,
            f"must not be before created_at ({instance.created_at!r})",
        )


@final
@attrs.frozen(kw_only=True)
class SecretSyncAssociation:
    """
    An association between a KV v2 secret and a sync destination.

    One secret (namespace, mount, secret path) is one client, however many
    destinations it is synced to; it is active in every month from
    ``created_at`` to ``deleted_at`` (inclusive).
    """

    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    mount_accessor: MountAccessor = attrs.field(validator=non_empty)
    mount_path: str = attrs.field(validator=_mount_path)
    secret_path: str = attrs.field(validator=non_empty)
    destination: str = attrs.field(validator=non_empty)
    created_at: dt.datetime = attrs.field(validator=aware_datetime)
    deleted_at: dt.datetime | None = attrs.field(
        default=None, validator=_deleted_not_before_created
    )


#: Identifier types an ACME order can carry.
ACME_IDENTIFIER_TYPES: Final = frozenset({"dns", "ip"})


def _acme_type(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ACME_IDENTIFIER_TYPES:
        raise InvalidModelError(
            attribute.name,
            value,
            f"must be one of {sorted(ACME_IDENTIFIER_TYPES)}",
        )


@final
@attrs.frozen(kw_only=True)
class AcmeIdentifier:
    """
    One identifier of an ACME order, exactly as the ACME client sent it.

    The value is not normalised: ``Example.com`` and ``example.com`` are
    different identifiers, and a wildcard keeps its ``*.``.
    """

    type: str = attrs.field(validator=_acme_type)
    value: str = attrs.field(validator=non_empty)


def _non_empty_tuple(
    _: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]
) -> None:
    if not value:
        raise InvalidModelError(
            attribute.name, value, "must hold at least one item"
        )


@final
@attrs.frozen(kw_only=True)
class AcmeOrder:
    """
    A finalized ACME order whose certificate a PKI mount issued.
    """

    identifiers: tuple[AcmeIdentifier, ...] = attrs.field(
        validator=_non_empty_tuple
    )
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    mount_accessor: MountAccessor = attrs.field(validator=non_empty)
    issued_at: dt.datetime = attrs.field(validator=aware_datetime)


@final
@attrs.frozen(kw_only=True)
class Client:
    """
    A client as Vault counts it.

    ``namespace_id`` and ``mount_accessor`` are its attribution: the token's
    namespace and issuing auth mount (for ACME and secret sync: the PKI or
    KV mount).  ``mount_accessor`` is ``None`` when Vault records none.
    """

    id: ClientId = attrs.field(validator=non_empty)
    type: ClientType
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    mount_accessor: MountAccessor | None = attrs.field(
        default=None, validator=optional_non_empty
    )
