"""
Groups: ``identity/group``, and the refresh of external groups.

The refresh runs at login and renewal (section 6.6 of the spec).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from clientid.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import (
    TAG_GROUP,
    dedupe,
    dedupe_folded,
    expect,
    fold,
    reject_root,
    reject_single_strings,
    validated_metadata,
)
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    EntityId,
    GroupId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import Group, GroupAlias, GroupType

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["GroupRefresh", "GroupsPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "group-id-invalid": (InvalidRequestError, "invalid group ID"),
        "group-other-namespace": (
            PermissionDeniedError,
            "request namespace is not the same as the group namespace",
        ),
        "group-type-invalid": (
            InvalidRequestError,
            'invalid group type "{value}"',
        ),
        "group-type-change": (
            InvalidRequestError,
            "group type cannot be changed",
        ),
        "group-name-taken": (
            InvalidRequestError,
            "group name is already in use",
        ),
        "group-member-entity-invalid": (
            InvalidRequestError,
            'invalid entity ID "{value}"',
        ),
        "group-member-group-invalid": (
            InvalidRequestError,
            'invalid member group ID "{value}"',
        ),
        "group-self-member": (
            InvalidRequestError,
            'member group ID "{value}" is same as the ID of the group',
        ),
        "group-cycle": (
            InvalidRequestError,
            'cyclic relationship detected for member group ID "{value}"',
        ),
        "group-external-member-entities": (
            InvalidRequestError,
            "member entities can't be set manually for external groups",
        ),
        "group-external-member-groups": (
            InvalidRequestError,
            "member groups can't be set for external groups",
        ),
        "group-not-found": (NotFoundError, 'no group with ID "{value}"'),
        "group-name-not-found": (NotFoundError, 'no group named "{value}"'),
    }
)


@attrs.frozen
class GroupRefresh:
    """An external group refresh, planned but not applied (section 6.6)."""

    #: The reported group alias names that matched, in reported order.
    valid: tuple[str, ...]
    #: Groups the entity joins, sorted.
    joins: tuple[GroupId, ...]
    #: Groups the entity leaves, sorted.
    leaves: tuple[GroupId, ...]


class GroupsPart(StoreState):
    """The groups part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

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
            other = self._group_names.get((namespace_id, fold(name)))
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
            fail("group-id-invalid", "group_id", group_id)
        if group.namespace_id != namespace_id:
            fail("group-other-namespace", "namespace_id", namespace_id)
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

    def _upsert_group(
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
        reject_single_strings(
            policies=policies,
            member_entity_ids=member_entity_ids,
            member_group_ids=member_group_ids,
        )
        group_type = self._group_type(type_)
        if existing is not None:
            if group_type is not None and group_type is not existing.type:
                fail("group-type-change", "type", group_type.value)
            group_type = existing.type
        elif group_type is None:
            group_type = GroupType.INTERNAL
        if name is not None:
            other = self._group_names.get((namespace_id, fold(name)))
            if other is not None and (
                existing is None or other != existing.id
            ):
                fail("group-name-taken", "name", name)
        external = group_type is GroupType.EXTERNAL
        changes = self._group_fields(
            name, policies, metadata, member_entity_ids, external=external
        )
        # Subgroup edges live on the children: plan their parent lists.
        group_id, serial = self._group_id(
            existing, namespace_id, name, changes
        )
        child_updates = (
            []
            if member_group_ids is None
            else self._subgroup_updates(
                group_id, existing, member_group_ids, external=external
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

    def _group_fields(
        self,
        name: str | None,
        policies: Iterable[str] | None,
        metadata: Mapping[str, str] | None,
        member_entity_ids: Iterable[EntityId] | None,
        *,
        external: bool,
    ) -> dict[str, Any]:
        """Check a group write's own fields; return them as changes."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if policies is not None:
            cleaned = dedupe_folded(policies)
            reject_root(cleaned)
            changes["policies"] = cleaned
        if metadata is not None:
            changes["metadata"] = validated_metadata("metadata", metadata)
        if member_entity_ids is not None:
            members = dedupe(member_entity_ids)
            if external and members:
                fail(
                    "group-external-member-entities",
                    "member_entity_ids",
                    members,
                )
            for member in members:
                if member not in self._entities:
                    fail(
                        "group-member-entity-invalid",
                        "member_entity_ids",
                        member,
                    )
            changes["member_entity_ids"] = tuple(sorted(members))
        return changes

    def _group_id(
        self,
        existing: Group | None,
        namespace_id: NamespaceId,
        name: str | None,
        changes: dict[str, Any],
    ) -> tuple[GroupId, int]:
        """Return the group's ID and the serial after minting it."""
        serial = self._serial
        serial = self._serial
        if existing is None:
            if name is None:
                serial += 1
                group_id = GroupId(
                    self._mint(TAG_GROUP, namespace_id, f"#{serial}")
                )
                changes["name"] = self._generated_name(
                    "group_", group_id, namespace_id, self._group_names
                )
            else:
                group_id = GroupId(
                    self._mint(TAG_GROUP, namespace_id, fold(name))
                )
        else:
            group_id = existing.id
        return group_id, serial

    def _subgroup_updates(
        self,
        group_id: GroupId,
        existing: Group | None,
        member_group_ids: Iterable[GroupId],
        *,
        external: bool,
    ) -> list[Group]:
        """Plan the subgroups' new parent lists (the edges live there)."""
        child_updates: list[Group] = []
        wanted = dedupe(member_group_ids)
        if external and wanted:
            fail("group-external-member-groups", "member_group_ids", wanted)
        current = self._children.get(group_id, set())
        for child_id in wanted:
            if child_id == group_id:
                fail("group-self-member", "member_group_ids", child_id)
            child = self._groups.get(GroupId(child_id))
            if child is None:
                fail(
                    "group-member-group-invalid",
                    "member_group_ids",
                    child_id,
                )
            if group_id in child.parent_group_ids:
                continue
            # A brand-new group cannot close a cycle; an existing one
            # does iff it is reachable downwards from the new child.
            if existing is not None and self._reaches_down(child.id, group_id):
                fail("group-cycle", "member_group_ids", child_id)
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
                            p for p in child.parent_group_ids if p != group_id
                        ),
                    )
                )
        return child_updates

    @staticmethod
    def _group_type(value: GroupType | str | None) -> GroupType | None:
        if value is None or isinstance(value, GroupType):
            return value
        for member in GroupType:
            if member.value == value:
                return member
        return fail("group-type-invalid", "type", value)

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
            fail("group-other-namespace", "namespace_id", namespace_id)
        self._drop_group(group_id)

    def group(self, group_id: GroupId) -> Group:
        """
        Return the group with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        group = self._groups.get(group_id)
        if group is None:
            fail("group-not-found", "group_id", group_id)
        return group

    def group_by_name(
        self, name: str, *, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> Group:
        """
        Return the group with this name (case-insensitive) in a namespace.

        Raises:
            NotFoundError: If there is none.
        """
        group_id = self._group_names.get((namespace_id, fold(name)))
        if group_id is None:
            fail("group-name-not-found", "name", name)
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

    def _plan_external_groups(
        self,
        entity_id: EntityId,
        reported: tuple[str, ...],
        mount_accessor: MountAccessor,
    ) -> GroupRefresh:
        """Plan Vault's refreshExternalGroupMembershipsByEntityID (§6.6)."""
        old = {
            g
            for g in self._entity_groups.get(entity_id, ())
            if self._groups[g].type is GroupType.EXTERNAL
        }
        new: set[GroupId] = set()
        valid: list[str] = []
        for name in reported:
            alias_id = self._group_alias_keys.get((mount_accessor, fold(name)))
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
        return GroupRefresh(
            valid=tuple(valid),
            joins=tuple(sorted(new - old)),
            leaves=tuple(leaves),
        )

    def _apply_external_groups(
        self, entity_id: EntityId, plan: GroupRefresh
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

    def _check_groups(self) -> None:
        """Check the group indexes and the absence of cycles (for tests)."""
        for group in self._groups.values():
            name_key = (group.namespace_id, fold(group.name))
            expect(self._group_names[name_key] == group.id, "group name")
            parents = [p for p in group.parent_group_ids if p in self._groups]
            expect(
                group.id not in self._ancestor_groups(parents), "group cycle"
            )
            for member in group.member_entity_ids:
                expect(group.id in self._entity_groups[member], "member index")
            for parent in group.parent_group_ids:
                expect(group.id in self._children[parent], "child index")
        expect(len(self._group_names) == len(self._groups), "group names")
        for entity_id, group_ids in self._entity_groups.items():
            for group_id in group_ids:
                members = self._groups[group_id].member_entity_ids
                expect(entity_id in members, "entity group index")
