"""
Entities: ``identity/entity``, and the implicit entity of a first login.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from clientid.errors import InvalidRequestError, NotFoundError
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import (
    TAG_ENTITY,
    expect,
    fold,
    reject_root,
    reject_single_strings,
    trim_dedupe_sorted,
    validated_metadata,
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
    NamespaceId,
)
from clientid.model.records import AuthMount, Entity, EntityAlias, Metadata
from clientid.model.text import go_lower

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["EntitiesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "entity-id-invalid": (InvalidRequestError, "entity not found from id"),
        "entity-other-namespace": (
            InvalidRequestError,
            "entity does not belong to this namespace",
        ),
        "entity-name-taken": (
            InvalidRequestError,
            "entity name is already in use",
        ),
        "entity-not-found": (NotFoundError, 'no entity with ID "{value}"'),
        "entity-name-not-found": (NotFoundError, 'no entity named "{value}"'),
    }
)


class EntitiesPart(StoreState):
    """The entities part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

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
            other = self._entity_names.get((namespace_id, fold(name)))
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
            fail("entity-id-invalid", "entity_id", entity_id)
        if entity.namespace_id != namespace_id:
            fail("entity-other-namespace", "namespace_id", namespace_id)
        if name:
            other = self._entity_names.get((namespace_id, fold(name)))
            if other is not None and other != entity_id:
                fail("entity-name-taken", "name", name)
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
        reject_single_strings(policies=policies)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if policies is not None:
            cleaned = trim_dedupe_sorted(policies)
            reject_root(cleaned)
            changes["policies"] = cleaned
        if metadata is not None:
            changes["metadata"] = validated_metadata("metadata", metadata)
        if disabled is not None:
            changes["disabled"] = disabled
        if existing is None:
            if name is None:
                self._serial += 1
                entity_id = self._mint(
                    TAG_ENTITY, namespace_id, f"#{self._serial}"
                )
                changes["name"] = self._generated_name(
                    "entity_", entity_id, namespace_id, self._entity_names
                )
            else:
                entity_id = self._mint(TAG_ENTITY, namespace_id, fold(name))
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
            fail("entity-not-found", "entity_id", entity_id)
        return entity

    def entity_by_name(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> Entity:
        """
        Return the entity with this name (case-insensitive) in a namespace.

        Raises:
            NotFoundError: If there is none.
        """
        entity_id = self._entity_names.get((namespace_id, fold(name)))
        if entity_id is None:
            fail("entity-name-not-found", "name", name)
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

    def _check_entities(self) -> None:
        """Check the entity indexes against the entities (for tests)."""
        for entity in self._entities.values():
            name_key = (entity.namespace_id, fold(entity.name))
            expect(self._entity_names[name_key] == entity.id, "entity name")
            for merged in entity.merged_entity_ids:
                expect(self._merged[merged] == entity.id, "merged index")
        expect(len(self._entity_names) == len(self._entities), "entity names")
        expect(
            set(self._entity_aliases) == set(self._entities), "alias owners"
        )
