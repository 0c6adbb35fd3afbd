"""
Snapshots: everything a store holds as one frozen value, and back.
"""

from __future__ import annotations

from typing import NoReturn, Self, final

import attrs

from clientid.errors import InvalidModelError
from clientid.identity.state import StoreState
from clientid.identity.util import TOKEN_MOUNT_PATH, fold
from clientid.model.ids import ROOT_NAMESPACE_ID
from clientid.model.records import (
    AuthMount,
    Entity,
    EntityAlias,
    Group,
    GroupAlias,
    Namespace,
    TokenRole,
)

__all__ = ["IdentityState", "SnapshotsPart"]


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


def _bad(field: str, value: object, rule: str) -> NoReturn:
    raise InvalidModelError(field, value, rule)


class SnapshotsPart(StoreState):
    """The snapshots part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

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
    def from_snapshot(cls, state: IdentityState) -> Self:
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

    def _load(self, state: IdentityState) -> None:
        """Replace the store's contents by *state*, checking as it goes."""
        self._load_namespaces(state.namespaces)
        self._load_mounts(state.mounts)
        self._load_entities(state.entities, state.entity_aliases)
        self._load_groups(state.groups, state.group_aliases)
        for role in state.token_roles:
            self._roles[(role.namespace_id, role.name)] = role
        self._retired = set(state.retired_ids)
        self._serial = state.serial

    def _load_namespaces(self, namespaces: tuple[Namespace, ...]) -> None:
        self._namespaces.clear()
        self._namespace_paths.clear()
        self._mounts.clear()
        self._mount_paths.clear()
        self._token_mounts.clear()
        for ns in sorted(namespaces, key=lambda n: n.path):
            if ns.id in self._namespaces or ns.path in self._namespace_paths:
                _bad("namespaces", ns.id, "must not repeat an ID or a path")
            if ns.parent_id is not None and (
                ns.parent_id not in self._namespaces
                or not ns.path.startswith(self._namespaces[ns.parent_id].path)
            ):
                _bad("namespaces", ns.id, "must name an existing parent")
            self._namespaces[ns.id] = ns
            self._namespace_paths[ns.path] = ns.id
        if ROOT_NAMESPACE_ID not in self._namespaces:
            _bad("namespaces", (), "must include the root namespace")

    def _load_mounts(self, mounts: tuple[AuthMount, ...]) -> None:
        for mount in mounts:
            key = (mount.namespace_id, mount.path)
            if mount.namespace_id not in self._namespaces:
                _bad("mounts", mount.accessor, "must be in a known namespace")
            if mount.accessor in self._mounts or key in self._mount_paths:
                _bad("mounts", mount.accessor, "must have a unique accessor")
            self._mounts[mount.accessor] = mount
            self._mount_paths[key] = mount.accessor
            if mount.path == TOKEN_MOUNT_PATH:
                self._token_mounts[mount.namespace_id] = mount.accessor
        for ns_id in self._namespaces:
            if ns_id not in self._token_mounts:
                _bad("mounts", ns_id, "must hold each namespace's token mount")

    def _load_entities(
        self,
        entities: tuple[Entity, ...],
        aliases: tuple[EntityAlias, ...],
    ) -> None:
        for entity in entities:
            if entity.namespace_id not in self._namespaces:
                _bad("entities", entity.id, "must be in a known namespace")
            name_key = (entity.namespace_id, fold(entity.name))
            if entity.id in self._entities or name_key in self._entity_names:
                _bad("entities", entity.id, "must have unique IDs and names")
            self._put_entity(entity)
        for alias in aliases:
            owner = self._entity_aliases.get(alias.canonical_id)
            alias_key = (alias.mount_accessor, fold(alias.name))
            if owner is None or alias.id in self._aliases:
                _bad("entity_aliases", alias.id, "must belong to an entity")
            if alias_key in self._alias_keys or alias.mount_accessor in owner:
                _bad("entity_aliases", alias.id, "must have a unique key")
            self._put_alias(alias)

    def _load_groups(
        self,
        groups: tuple[Group, ...],
        aliases: tuple[GroupAlias, ...],
    ) -> None:
        for group in groups:
            name_key = (group.namespace_id, fold(group.name))
            if group.namespace_id not in self._namespaces or any(
                m not in self._entities for m in group.member_entity_ids
            ):
                _bad("groups", group.id, "must reference known objects")
            if group.id in self._groups or name_key in self._group_names:
                _bad("groups", group.id, "must have unique IDs and names")
            self._put_group(group)
        for galias in aliases:
            galias_key = (galias.mount_accessor, fold(galias.name))
            if (
                galias.canonical_id not in self._groups
                or galias.canonical_id in self._group_alias_of
                or galias_key in self._group_alias_keys
            ):
                _bad("group_aliases", galias.id, "must be unique per group")
            self._put_group_alias(galias)
