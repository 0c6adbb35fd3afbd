"""
Entity merges: ``identity/entity/merge``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from clientid.errors import InvalidRequestError
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import dedupe, reject_single_strings
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    EntityId,
    MountAccessor,
    NamespaceId,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from clientid.model.records import Entity

__all__ = ["MergesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "merge-to-missing": (
            InvalidRequestError,
            "missing entity id to merge to",
        ),
        "merge-from-missing": (
            InvalidRequestError,
            "missing entity ids to merge from",
        ),
        "merge-to-invalid": (
            InvalidRequestError,
            "entity id to merge to is invalid",
        ),
        "merge-to-other-namespace": (
            InvalidRequestError,
            (
                "entity id to merge into does not belong to the request's"
                " namespace"
            ),
        ),
        "merge-multiple-keep": (
            InvalidRequestError,
            (
                "aliases conflicts cannot be resolved with multiple from"
                " entity"
                " ids - merge one entity at a time"
            ),
        ),
        "merge-to-in-from": (
            InvalidRequestError,
            "to_entity_id should not be present in from_entity_ids",
        ),
        "merge-from-invalid": (
            InvalidRequestError,
            "entity id to merge from is invalid",
        ),
        "merge-from-other-namespace": (
            InvalidRequestError,
            "entity id to merge from does not belong to this namespace",
        ),
        "merge-accessor-in-multiple-from": (
            InvalidRequestError,
            (
                "mount accessor {value} found in multiple fromEntities, merge"
                " should be done with one fromEntity at a time"
            ),
        ),
        "merge-alias-clash": (
            InvalidRequestError,
            (
                "toEntity and at least one fromEntity have aliases with the"
                " same"
                " mount accessor, repeat the merge request specifying exactly"
                " one"
                " fromEntity, clashes: {clashes}"
            ),
        ),
        "merge-keep-unresolved": (
            InvalidRequestError,
            (
                "conflicting mount accessors in following alias IDs and"
                " neither"
                " were present in conflicting_alias_ids_to_keep:"
                " {value}, {to_alias_id}"
            ),
        ),
    }
)


class MergesPart(StoreState):
    """The merges part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def merge_entities(
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
        reject_single_strings(
            from_entity_ids=from_entity_ids,
            conflicting_alias_ids_to_keep=conflicting_alias_ids_to_keep,
        )
        from_ids = list(from_entity_ids)
        keep = list(conflicting_alias_ids_to_keep)
        if not to_entity_id:
            fail("merge-to-missing", "to_entity_id", to_entity_id)
        if not from_ids:
            fail("merge-from-missing", "from_entity_ids", from_ids)
        target = self._entities.get(to_entity_id)
        if target is None:
            fail("merge-to-invalid", "to_entity_id", to_entity_id)
        if target.namespace_id != namespace_id:
            fail("merge-to-other-namespace", "to_entity_id", to_entity_id)
        if len(from_ids) > 1 and len(keep) > 1:
            fail("merge-multiple-keep", "conflicting_alias_ids_to_keep", keep)
        sources = self._merge_sources(target, from_ids, keep, namespace_id)
        moved, dropped = self._merge_plan(target, sources, set(keep))
        self._apply_merge(target, sources, moved, dropped)

    def _merge_sources(
        self,
        target: Entity,
        from_ids: list[EntityId],
        keep: list[AliasId],
        namespace_id: NamespaceId,
    ) -> list[Entity]:
        """Check the from-entities and their mount clashes (Vault's order)."""
        to_mounts = self._entity_aliases[target.id]
        sources: list[Entity] = []
        accessor_owner: dict[MountAccessor, EntityId] = {}
        clashes: list[str] = []
        for from_id in dedupe(from_ids):
            if from_id == target.id:
                fail("merge-to-in-from", "from_entity_ids", from_id)
            source = self._entities.get(EntityId(from_id))
            if source is None:
                fail("merge-from-invalid", "from_entity_ids", from_id)
            if source.namespace_id != namespace_id:
                fail("merge-from-other-namespace", "from_entity_ids", from_id)
            sources.append(source)
            if keep:
                continue
            for accessor, alias_id in sorted(
                self._entity_aliases[source.id].items()
            ):
                seen = accessor_owner.setdefault(accessor, source.id)
                if seen != source.id:
                    fail(
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
            fail(
                "merge-alias-clash",
                "from_entity_ids",
                from_ids,
                clashes="; ".join(clashes),
            )
        return sources

    def _merge_plan(
        self, target: Entity, sources: list[Entity], keep_set: set[AliasId]
    ) -> tuple[dict[AliasId, EntityId], list[AliasId]]:
        """Return the aliases a merge moves (to their source) and drops."""
        to_mounts = self._entity_aliases[target.id]
        # Simulate the merge to find every keep-list conflict before any
        # change: Vault applies it alias by alias, clientid all or nothing.
        working = dict(to_mounts)
        moved: dict[AliasId, EntityId] = {}
        dropped: list[AliasId] = []
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
                        fail(
                            "merge-keep-unresolved",
                            "conflicting_alias_ids_to_keep",
                            alias_id,
                            to_alias_id=to_alias,
                        )
                    dropped.append(to_alias)
                    moved.pop(to_alias, None)
                working[accessor] = alias_id
                moved[alias_id] = source.id
        return moved, dropped

    def _apply_merge(
        self,
        target: Entity,
        sources: list[Entity],
        moved: dict[AliasId, EntityId],
        dropped: list[AliasId],
    ) -> None:
        """Apply a checked merge plan."""
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
            attrs.evolve(target, merged_entity_ids=tuple(dedupe(merged_ids)))
        )
