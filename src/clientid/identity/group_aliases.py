"""
Group aliases: ``identity/group-alias``.
"""

from __future__ import annotations

from typing import Final

from clientid.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import TAG_GROUP, TAG_GROUP_ALIAS, expect, fold
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    GroupId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import Group, GroupAlias, GroupType

__all__ = ["GroupAliasesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "group-alias-name-missing": (
            InvalidRequestError,
            "missing alias name",
        ),
        "group-alias-accessor-missing": (
            InvalidRequestError,
            "missing mount_accessor",
        ),
        "group-alias-id-invalid": (
            InvalidRequestError,
            "invalid group alias ID",
        ),
        "group-alias-other-namespace": (
            PermissionDeniedError,
            "request namespace is not the same as the group alias namespace",
        ),
        "group-alias-canonical-invalid": (
            InvalidRequestError,
            "invalid group ID given in 'canonical_id'",
        ),
        "group-alias-internal": (
            InvalidRequestError,
            "alias can't be set on an internal group",
        ),
        "group-alias-group-other-namespace": (
            PermissionDeniedError,
            "group found with 'canonical_id' not in request namespace",
        ),
        "group-alias-mount-unknown": (
            InvalidRequestError,
            'invalid mount accessor "{value}"',
        ),
        "group-alias-local-mount": (
            InvalidRequestError,
            'mount accessor "{value}" is a local mount',
        ),
        "group-alias-mount-other-namespace": (
            PermissionDeniedError,
            "matching mount is in a different namespace than request",
        ),
        "group-alias-factors-taken": (
            InvalidRequestError,
            "combination of mount and group alias name is already in use",
        ),
        "group-alias-not-found": (NotFoundError, 'no group alias "{value}"'),
    }
)


class GroupAliasesPart(StoreState):
    """The group aliases part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

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
            fail("group-alias-id-invalid", "alias_id", alias_id)
        if alias.namespace_id != namespace_id:
            fail("group-alias-other-namespace", "namespace_id", namespace_id)
        return self._upsert_group_alias(
            alias,
            namespace_id,
            name or alias.name,
            mount_accessor or alias.mount_accessor,
            canonical_id or alias.canonical_id,
        )

    def _check_alias_group(
        self, namespace_id: NamespaceId, canonical_id: GroupId
    ) -> None:
        """Refuse a group alias's group unless external and in namespace."""
        group = self._groups.get(canonical_id)
        if group is None:
            fail(
                "group-alias-canonical-invalid",
                "canonical_id",
                canonical_id,
            )
        if group.type is not GroupType.EXTERNAL:
            fail("group-alias-internal", "canonical_id", canonical_id)
        if group.namespace_id != namespace_id:
            fail(
                "group-alias-group-other-namespace",
                "canonical_id",
                canonical_id,
            )

    def _check_group_alias(
        self,
        existing: GroupAlias | None,
        namespace_id: NamespaceId,
        name: str,
        accessor: MountAccessor,
        canonical_id: GroupId | None,
    ) -> None:
        """Refuse a group alias write as Vault does, in Vault's order."""
        if not name:
            fail("group-alias-name-missing", "name", name)
        if not accessor:
            fail("group-alias-accessor-missing", "mount_accessor", accessor)
        self._require_namespace(namespace_id)
        if canonical_id:
            self._check_alias_group(namespace_id, canonical_id)
        mount = self._mounts.get(accessor)
        if mount is None:
            fail("group-alias-mount-unknown", "mount_accessor", accessor)
        if mount.local:
            fail("group-alias-local-mount", "mount_accessor", accessor)
        if mount.namespace_id != namespace_id:
            fail(
                "group-alias-mount-other-namespace", "mount_accessor", accessor
            )
        other = self._group_alias_keys.get((accessor, fold(name)))
        if other is not None and (existing is None or other != existing.id):
            fail("group-alias-factors-taken", "name", name)

    def _upsert_group_alias(
        self,
        existing: GroupAlias | None,
        namespace_id: NamespaceId,
        name: str,
        accessor: MountAccessor,
        canonical_id: GroupId | None,
    ) -> GroupAlias:
        self._check_group_alias(
            existing, namespace_id, name, accessor, canonical_id
        )
        new_group: Group | None = None
        if canonical_id:
            group_id = canonical_id
        else:
            self._serial += 1
            group_id = GroupId(
                self._mint(TAG_GROUP, namespace_id, f"#{self._serial}")
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
            else AliasId(self._mint(TAG_GROUP_ALIAS, accessor, fold(name)))
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
            fail("group-alias-other-namespace", "namespace_id", namespace_id)
        self._drop_group_alias(alias_id)

    def group_alias(self, alias_id: AliasId) -> GroupAlias:
        """
        Return the group alias with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        alias = self._group_aliases.get(alias_id)
        if alias is None:
            fail("group-alias-not-found", "alias_id", alias_id)
        return alias

    def _check_group_aliases(self) -> None:
        """Check the group alias indexes (for tests)."""
        for group_id, alias_id in self._group_alias_of.items():
            galias = self._group_aliases[alias_id]
            expect(galias.canonical_id == group_id, "group alias owner")
            expect(
                self._groups[group_id].type is GroupType.EXTERNAL,
                "group alias on an external group",
            )
            galias_key = (galias.mount_accessor, fold(galias.name))
            expect(
                self._group_alias_keys[galias_key] == alias_id,
                "group alias key",
            )
        expect(
            len(self._group_alias_of)
            == len(self._group_aliases)
            == len(self._group_alias_keys),
            "group alias index",
        )
