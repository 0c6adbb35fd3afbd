"""
The store's state: its indexes, their primitives, the minting of IDs.

Every part of :class:`~clientid.IdentityStore` builds on :class:`StoreState`:
it validates, then applies through the ``_put_*``/``_drop_*`` primitives
here, which never fail and keep every index in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from clientid.errors import NotFoundError
from clientid.identity.rules import declare_rules, fail
from clientid.identity.util import (
    BASE62,
    NAMESPACE_ID_LENGTH,
    TAG_ENTITY_ALIAS,
    TAG_MOUNT,
    TAG_NAMESPACE,
    TOKEN_MOUNT_PATH,
    TOKEN_MOUNT_TYPE,
    fold,
)
from clientid.model.hashing import derived_uuid
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
    Entity,
    EntityAlias,
    Group,
    GroupAlias,
    Namespace,
    TokenRole,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from clientid.identity.results import LoginResult

__all__ = ["StoreState"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "namespace-unknown": (
            NotFoundError,
            'namespace "{value}" does not exist',
        ),
    }
)


class StoreState:
    """
    The indexes of an identity store and the primitives that keep them.

    Index-maintaining primitives (``_put_*``, ``_drop_*``) never fail:
    callers validate first.
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

    def _require_namespace(self, namespace_id: NamespaceId) -> Namespace:
        namespace = self._namespaces.get(namespace_id)
        if namespace is None:
            fail("namespace-unknown", "namespace_id", namespace_id)
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
        return AliasId(self._mint(TAG_ENTITY_ALIAS, accessor, fold(name)))

    def _mint_namespace_id(self, path: str) -> NamespaceId:
        attempt = 0
        while True:
            fields = (path, str(attempt)) if attempt else (path,)
            number = int(derived_uuid(TAG_NAMESPACE, *fields)[:8], 16)
            chars = []
            for _ in range(NAMESPACE_ID_LENGTH):
                number, digit = divmod(number, len(BASE62))
                chars.append(BASE62[digit])
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
            digest = derived_uuid(TAG_MOUNT, *fields)[:8]
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
                TOKEN_MOUNT_TYPE, namespace.id, TOKEN_MOUNT_PATH
            ),
            type=TOKEN_MOUNT_TYPE,
            path=TOKEN_MOUNT_PATH,
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
            old_key = (old.namespace_id, fold(old.name))
            if self._entity_names.get(old_key) == old.id:
                del self._entity_names[old_key]
        else:
            self._entity_aliases[entity.id] = {}
        self._entities[entity.id] = entity
        self._entity_names[(entity.namespace_id, fold(entity.name))] = (
            entity.id
        )
        for merged in entity.merged_entity_ids:
            self._merged[merged] = entity.id

    def _drop_entity(self, entity_id: EntityId) -> None:
        """Forget an entity record (its aliases must be gone or moved)."""
        entity = self._entities.pop(entity_id)
        del self._entity_names[(entity.namespace_id, fold(entity.name))]
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
            del self._alias_keys[(old.mount_accessor, fold(old.name))]
        self._aliases[alias.id] = alias
        self._alias_keys[(alias.mount_accessor, fold(alias.name))] = alias
        self._entity_aliases[alias.canonical_id][alias.mount_accessor] = (
            alias.id
        )

    def _drop_alias(self, alias_id: AliasId) -> None:
        self._login_memo.pop(alias_id, None)
        alias = self._aliases.pop(alias_id)
        del self._alias_keys[(alias.mount_accessor, fold(alias.name))]
        del self._entity_aliases[alias.canonical_id][alias.mount_accessor]
        self._retired.add(alias_id)

    def _put_group(self, group: Group) -> None:
        old = self._groups.get(group.id)
        old_members: tuple[EntityId, ...] = ()
        old_parents: tuple[GroupId, ...] = ()
        if old is not None:
            old_members = old.member_entity_ids
            old_parents = old.parent_group_ids
            del self._group_names[(old.namespace_id, fold(old.name))]
        self._groups[group.id] = group
        self._group_names[(group.namespace_id, fold(group.name))] = group.id
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
        del self._group_names[(group.namespace_id, fold(group.name))]
        self._retired.add(group_id)

    def _put_group_alias(self, alias: GroupAlias) -> None:
        old = self._group_aliases.get(alias.id)
        if old is not None:
            del self._group_alias_keys[(old.mount_accessor, fold(old.name))]
            del self._group_alias_of[old.canonical_id]
        self._group_aliases[alias.id] = alias
        self._group_alias_keys[(alias.mount_accessor, fold(alias.name))] = (
            alias.id
        )
        self._group_alias_of[alias.canonical_id] = alias.id

    def _drop_group_alias(self, alias_id: AliasId) -> None:
        alias = self._group_aliases.pop(alias_id)
        del self._group_alias_keys[(alias.mount_accessor, fold(alias.name))]
        del self._group_alias_of[alias.canonical_id]
        self._retired.add(alias_id)

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
