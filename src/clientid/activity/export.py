"""
Vault's export records from the months of an activity log.

Each client is exported once, with its first record in the range; the
identity objects a caller passes fill the fields Vault 1.18 added (entity
and alias names, metadata, policies, group IDs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientid.activity.months import from_micros, month_start
from clientid.activity.state import LogState, deleted_mount_label
from clientid.errors import SketchedMonthError
from clientid.formats.export import ExportRecord
from clientid.model.ids import ClientId, EntityId, MountAccessor, NamespaceId

if TYPE_CHECKING:
    from collections.abc import Iterable

    from clientid.model.records import Entity, EntityAlias, Group

__all__ = ["ExportPart"]


class ExportPart(LogState):
    """Export records of whole months (see :meth:`ActivityLog.export`)."""

    __slots__ = ()

    def _export_records(
        self,
        first: int,
        last: int,
        scope: NamespaceId,
        *,
        entities: Iterable[Entity],
        aliases: Iterable[EntityAlias],
        groups: Iterable[Group],
    ) -> tuple[ExportRecord, ...]:
        """The export records of the months *first*..*last* in a scope."""
        visible = self._visible_namespaces(scope)
        entity_by_id = {entity.id: entity for entity in entities}
        alias_by_key = {
            (alias.canonical_id, alias.mount_accessor): alias
            for alias in aliases
        }
        groups_by_entity: dict[str, list[str]] = {}
        for group in groups:
            for member in group.member_entity_ids:
                groups_by_entity.setdefault(member, []).append(group.id)
        exported: set[str] = set()
        records: list[ExportRecord] = []
        for key in range(first, last + 1):
            month = self._months.get(key)
            if month is None:
                continue
            if month.sketched:
                raise SketchedMonthError(month_start(key))
            for slot, client_id in enumerate(month.index):
                if client_id in exported:
                    continue
                namespace, accessor, client_type = self._groups[
                    month.slot_group[slot]
                ]
                if visible is not None and namespace not in visible:
                    continue
                exported.add(client_id)
                entity = entity_by_id.get(EntityId(client_id))
                alias = alias_by_key.get(
                    (EntityId(client_id), MountAccessor(accessor))
                )
                mount_path, mount_type = self._export_mount(
                    accessor,
                    has_entity=entity is not None,
                    has_alias=alias is not None,
                )
                records.append(
                    ExportRecord(
                        client_id=ClientId(client_id),
                        client_type=client_type,
                        namespace_id=namespace,
                        namespace_path=self._namespace_label(namespace),
                        mount_accessor=MountAccessor(accessor) or None,
                        mount_path=mount_path,
                        mount_type=mount_type,
                        token_creation_time=from_micros(month.created[slot]),
                        client_first_used_time=from_micros(
                            month.first_used[slot]
                        ),
                        entity_name=entity.name if entity else "",
                        entity_alias_name=alias.name if alias else "",
                        local_entity_alias=alias.local if alias else False,
                        policies=tuple(sorted(entity.policies))
                        if entity
                        else (),
                        entity_metadata=entity.metadata if entity else (),
                        entity_alias_metadata=alias.metadata if alias else (),
                        entity_alias_custom_metadata=alias.custom_metadata
                        if alias
                        else (),
                        entity_group_ids=tuple(
                            sorted(groups_by_entity.get(client_id, ()))
                        ),
                    )
                )
        return tuple(records)

    def _export_mount(
        self, accessor: str, *, has_entity: bool, has_alias: bool
    ) -> tuple[str, str]:
        """A record's mount path and type, as Vault 1.18's export sets them."""
        mount = self._mounts.get(accessor)
        if has_entity:
            # An entity's mount comes from its alias on the record's mount;
            # without one Vault leaves it blank.
            if not has_alias:
                return "", ""
            if mount is None:
                return deleted_mount_label(accessor), ""
        elif mount is None:
            return "", ""
        return mount.path, mount.type
