"""
Entity aliases: ``identity/entity-alias``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from clientid.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import TAG_ENTITY, expect, fold, validated_metadata
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    EntityId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import Entity, EntityAlias

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["AliasesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "alias-fields-missing": (
            InvalidRequestError,
            "'id' or 'mount_accessor' and 'name' must be provided",
        ),
        "alias-id-invalid": (InvalidRequestError, "invalid alias ID provided"),
        "alias-other-namespace": (
            PermissionDeniedError,
            "cannot modify aliases across namespaces",
        ),
        "alias-mount-unknown": (
            InvalidRequestError,
            'invalid mount accessor "{value}"',
        ),
        "alias-mount-other-namespace": (
            PermissionDeniedError,
            "matching mount is in a different namespace than request",
        ),
        "alias-mount-taken": (
            InvalidRequestError,
            "Alias already exists for requested entity and mount accessor",
        ),
        "alias-move-mount-taken": (
            InvalidRequestError,
            (
                "Alias cannot be updated as the given entity already has an"
                " alias"
                " for this mount "
            ),
        ),
        "alias-accessor-change-taken": (
            InvalidRequestError,
            (
                "Alias cannot be updated as the entity already has an alias"
                " for the given 'mount_accessor' "
            ),
        ),
        "alias-factors-taken": (
            InvalidRequestError,
            "alias with combination of mount accessor and name already exists",
        ),
        "alias-local-move": (
            InvalidRequestError,
            "local aliases can't be moved between entities",
        ),
        "alias-canonical-invalid": (
            InvalidRequestError,
            "invalid canonical ID",
        ),
        "alias-canonical-unknown": (
            InvalidRequestError,
            "given 'canonical_id' is not associated with an entity",
        ),
        "alias-canonical-other-namespace": (
            PermissionDeniedError,
            "entity found with 'canonical_id' not in request namespace",
        ),
        "alias-move-other-namespace": (
            PermissionDeniedError,
            (
                "given 'canonical_id' associated with entity in a different"
                " namespace from the alias"
            ),
        ),
        "alias-update-mount-other-namespace": (
            PermissionDeniedError,
            (
                "given mount accessor is not in the same namespace as the"
                " existing"
                " alias"
            ),
        ),
        "alias-delete-other-namespace": (
            PermissionDeniedError,
            "request and alias are in different namespaces",
        ),
        "alias-not-found": (NotFoundError, 'no entity alias "{value}"'),
    }
)


class AliasesPart(StoreState):
    """The aliases part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def _checked_alias_owner(
        self,
        canonical_id: EntityId,
        mount_accessor: MountAccessor,
        namespace_id: NamespaceId,
    ) -> EntityId:
        """Return the entity a new alias joins, refusing what Vault does."""
        owner = self._entities.get(canonical_id)
        if owner is None:
            fail("alias-canonical-invalid", "canonical_id", canonical_id)
        if owner.namespace_id != namespace_id:
            fail(
                "alias-canonical-other-namespace",
                "canonical_id",
                canonical_id,
            )
        # "An entity cannot have more than one alias for a particular
        # authentication backend" (Vault's identity docs).
        if mount_accessor in self._entity_aliases[owner.id]:
            fail("alias-mount-taken", "canonical_id", canonical_id)
        return owner.id

    def create_entity_alias(
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
            fail("alias-fields-missing", "name", name)
        mount = self._mounts.get(mount_accessor)
        if mount is None:
            fail("alias-mount-unknown", "mount_accessor", mount_accessor)
        if mount.namespace_id != namespace_id:
            fail(
                "alias-mount-other-namespace", "mount_accessor", mount_accessor
            )
        existing = self._alias_keys.get((mount_accessor, fold(name)))
        if existing is not None:
            if existing.namespace_id != namespace_id:
                fail("alias-other-namespace", "namespace_id", namespace_id)
            return self._update_alias(
                existing, canonical_id, name, mount_accessor, custom_metadata
            )
        custom = (
            ()
            if custom_metadata is None
            else validated_metadata("custom_metadata", custom_metadata)
        )
        new_entity: Entity | None = None
        if canonical_id:
            owner_id = self._checked_alias_owner(
                canonical_id, mount_accessor, namespace_id
            )
        else:
            self._serial += 1
            owner_id = EntityId(
                self._mint(TAG_ENTITY, namespace_id, f"#{self._serial}")
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
            fail("alias-id-invalid", "alias_id", alias_id)
        if alias.namespace_id != namespace_id:
            fail("alias-other-namespace", "namespace_id", namespace_id)
        return self._update_alias(
            alias,
            canonical_id,
            name or alias.name,
            mount_accessor or alias.mount_accessor,
            custom_metadata,
        )

    def _checked_alias_mount(
        self, alias: EntityAlias, name: str, accessor: MountAccessor
    ) -> bool:
        """Check an alias's new name and mount; return the mount's locality."""
        mount = self._mounts.get(accessor)
        if mount is None:
            fail("alias-mount-unknown", "mount_accessor", accessor)
        if mount.namespace_id != alias.namespace_id:
            fail(
                "alias-update-mount-other-namespace",
                "mount_accessor",
                accessor,
            )
        other = self._alias_keys.get((accessor, fold(name)))
        if other is not None and other.id != alias.id:
            fail("alias-factors-taken", "name", name)
        return mount.local

    def _checked_alias_move(
        self,
        alias: EntityAlias,
        canonical_id: EntityId,
        accessor: MountAccessor,
        *,
        local: bool,
    ) -> EntityId:
        """Check moving an alias to another entity; return that entity."""
        if alias.local or local:
            fail("alias-local-move", "canonical_id", canonical_id)
        target = self._entities.get(canonical_id)
        if target is None:
            fail("alias-canonical-unknown", "canonical_id", canonical_id)
        if target.namespace_id != alias.namespace_id:
            fail("alias-move-other-namespace", "canonical_id", canonical_id)
        if accessor in self._entity_aliases[target.id]:
            fail("alias-move-mount-taken", "canonical_id", canonical_id)
        return target.id

    def _update_alias(
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
            else validated_metadata("custom_metadata", custom_metadata)
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
            fail("alias-accessor-change-taken", "mount_accessor", accessor)
        local = alias.local
        if changes:
            local = self._checked_alias_mount(alias, name, accessor)
        owner = alias.canonical_id
        if move and canonical_id is not None:
            owner = self._checked_alias_move(
                alias, canonical_id, accessor, local=local
            )
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
            fail("alias-delete-other-namespace", "namespace_id", namespace_id)
        self._drop_alias(alias_id)

    def alias(self, alias_id: AliasId) -> EntityAlias:
        """
        Return the entity alias with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._aliases.get(alias_id)
        if alias is None:
            fail("alias-not-found", "alias_id", alias_id)
        return alias

    def alias_by_factors(
        self, mount_accessor: MountAccessor, name: str
    ) -> EntityAlias:
        """
        Return the entity alias with this key (name case-insensitive).

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._alias_keys.get((mount_accessor, fold(name)))
        if alias is None:
            fail("alias-not-found", "name", name)
        return alias

    def _check_aliases(self) -> None:
        """Check the alias indexes against the aliases (for tests)."""
        pairs = 0
        for entity_id, by_mount in self._entity_aliases.items():
            for accessor, alias_id in by_mount.items():
                alias = self._aliases[alias_id]
                # One alias per mount per entity holds by construction of
                # this index: check that it mirrors the aliases exactly.
                expect(alias.canonical_id == entity_id, "alias owner")
                expect(alias.mount_accessor == accessor, "alias mount")
                pairs += 1
        expect(
            pairs == len(self._aliases) == len(self._alias_keys),
            "one alias per mount per entity",
        )
        for alias_key, alias in self._alias_keys.items():
            expect(self._aliases[alias.id] is alias, "alias key index")
            expect(
                alias_key == (alias.mount_accessor, fold(alias.name)),
                "alias key",
            )
