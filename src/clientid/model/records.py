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
    boolean,
    check_optional_id,
    enum_member,
    id_strings,
    instances_of,
    metadata_pairs,
    mount_path,
    namespace_path,
    no_empty_strings,
    non_empty,
    optional_aware_datetime,
    optional_non_empty,
    strings,
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
    elif value is None:
        raise InvalidModelError(
            attribute.name, value, "must name the parent of a child namespace"
        )
    elif check_optional_id(attribute.name, value) == instance.id:
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
    path: str = attrs.field(validator=namespace_path)
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
    path: str = attrs.field(validator=mount_path)
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    local: bool = attrs.field(default=False, validator=boolean)


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
    metadata: Metadata = attrs.field(default=(), validator=metadata_pairs)
    disabled: bool = attrs.field(default=False, validator=boolean)
    merged_entity_ids: tuple[EntityId, ...] = attrs.field(
        default=(), validator=id_strings
    )


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
    metadata: Metadata = attrs.field(default=(), validator=metadata_pairs)
    custom_metadata: Metadata = attrs.field(
        default=(), validator=metadata_pairs
    )
    local: bool = attrs.field(default=False, validator=boolean)
    merged_from_canonical_ids: tuple[EntityId, ...] = attrs.field(
        default=(), validator=id_strings
    )


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
    type: GroupType = attrs.field(
        default=GroupType.INTERNAL, validator=enum_member(GroupType)
    )
    policies: tuple[str, ...] = attrs.field(
        default=(), validator=no_empty_strings
    )
    member_entity_ids: tuple[EntityId, ...] = attrs.field(
        default=(), validator=id_strings
    )
    parent_group_ids: tuple[GroupId, ...] = attrs.field(
        default=(), validator=id_strings
    )
    metadata: Metadata = attrs.field(default=(), validator=metadata_pairs)


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
    policies: tuple[str, ...] = attrs.field(default=(), validator=strings)
    entity_id: EntityId | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    type: TokenType = attrs.field(
        default=TokenType.SERVICE, validator=enum_member(TokenType)
    )
    accessor: str | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    orphan: bool = attrs.field(default=True, validator=boolean)
    mount_accessor: MountAccessor | None = attrs.field(
        default=None, validator=optional_non_empty
    )
    role: str | None = attrs.field(default=None, validator=optional_non_empty)
    creation_time: dt.datetime | None = attrs.field(
        default=None, validator=optional_aware_datetime
    )
    ignore_for_billing: bool = attrs.field(default=False, validator=boolean)


#: Values of a token role's ``token_type``.
TOKEN_ROLE_TYPES: Final = frozenset(
    {"default-service", "default-batch", "service", "batch"}
)


def _token_role_type(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    if not isinstance(value, str) or value not in TOKEN_ROLE_TYPES:
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
    orphan: bool = attrs.field(default=False, validator=boolean)
    allowed_policies: tuple[str, ...] = attrs.field(
        default=(), validator=strings
    )
    disallowed_policies: tuple[str, ...] = attrs.field(
        default=(), validator=strings
    )
    allowed_policies_glob: tuple[str, ...] = attrs.field(
        default=(), validator=strings
    )
    disallowed_policies_glob: tuple[str, ...] = attrs.field(
        default=(), validator=strings
    )
    token_type: str = attrs.field(
        default="default-service", validator=_token_role_type
    )
    token_no_default_policy: bool = attrs.field(
        default=False, validator=boolean
    )
    allowed_entity_aliases: tuple[str, ...] = attrs.field(
        default=(), validator=strings
    )


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
    mount_path: str = attrs.field(validator=mount_path)
    secret_path: str = attrs.field(validator=non_empty)
    destination: str = attrs.field(validator=non_empty)
    created_at: dt.datetime = attrs.field(validator=aware_datetime)
    deleted_at: dt.datetime | None = attrs.field(
        default=None, validator=_deleted_not_before_created
    )


#: Identifier types an ACME order can carry.
ACME_IDENTIFIER_TYPES: Final = frozenset({"dns", "ip"})


def _acme_type(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    if not isinstance(value, str) or value not in ACME_IDENTIFIER_TYPES:
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
        validator=[instances_of(AcmeIdentifier), _non_empty_tuple]
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
    type: ClientType = attrs.field(validator=enum_member(ClientType))
    namespace_id: NamespaceId = attrs.field(
        default=ROOT_NAMESPACE_ID, validator=non_empty
    )
    mount_accessor: MountAccessor | None = attrs.field(
        default=None, validator=optional_non_empty
    )


_new: Final = object.__new__
# The slots' own setters, as in :func:`clientid.model.events.trusted_event`.
_client_slots: Final = vars(Client)
_set_client_id: Final = _client_slots["id"].__set__
_set_client_type: Final = _client_slots["type"].__set__
_set_client_namespace_id: Final = _client_slots["namespace_id"].__set__
_set_client_mount_accessor: Final = _client_slots["mount_accessor"].__set__


def trusted_client(
    client_id: ClientId,
    client_type: ClientType,
    namespace_id: NamespaceId,
    mount_accessor: MountAccessor | None,
) -> Client:
    """
    Build a :class:`Client` from values the caller has checked.

    Equal to ``Client(id=..., ...)`` with the same values, without running
    the validators: only for an adapter that has already applied the same
    rules (non-empty UTF-8 IDs, ``None`` or a non-empty UTF-8 accessor, a
    ``ClientType`` member).
    """
    client = _new(Client)
    _set_client_id(client, client_id)
    _set_client_type(client, client_type)
    _set_client_namespace_id(client, namespace_id)
    _set_client_mount_accessor(client, mount_accessor)
    return client
