"""
Identifier types and the client-type enumeration.

The ``NewType`` IDs cost nothing at run time; they let mypy reject an entity
ID where a namespace ID belongs.
"""

from __future__ import annotations

import enum
from typing import Final, NewType, final

__all__ = [
    "ROOT_NAMESPACE_ID",
    "AliasId",
    "ClientId",
    "ClientType",
    "EntityId",
    "GroupId",
    "MountAccessor",
    "NamespaceId",
]

NamespaceId = NewType("NamespaceId", str)
MountAccessor = NewType("MountAccessor", str)
EntityId = NewType("EntityId", str)
AliasId = NewType("AliasId", str)
GroupId = NewType("GroupId", str)
ClientId = NewType("ClientId", str)

#: The ID of Vault's root namespace.
ROOT_NAMESPACE_ID: Final = NamespaceId("root")


@final
class ClientType(enum.Enum):
    """
    The kinds of client Vault counts.

    The values are Vault's activity-log ``client_type`` strings; they are the
    only place in clientid where those strings are spelled.
    """

    # A member equals only itself, so hashing by identity agrees with
    # equality; it runs in C, where Enum's own hashes the name in Python
    # code (once per counted event).  Like any hash it never leaves the
    # process.
    __hash__ = object.__hash__

    #: A token that carries an entity ID; the client ID is the entity ID.
    ENTITY = "entity"
    #: A token without an entity; the client ID hashes policies + namespace.
    NON_ENTITY_TOKEN = "non-entity-token"  # noqa: S105 (not a secret)
    #: An ACME certificate order issued by a PKI mount.
    ACME = "pki-acme"
    #: A KV secret associated with at least one sync destination.
    SECRET_SYNC = "secret-sync"  # noqa: S105 (not a secret)

    @property
    def is_non_entity(self) -> bool:
        """
        Whether Vault sets ``non_entity`` on records of this type.
        """
        return self is not ClientType.ENTITY
