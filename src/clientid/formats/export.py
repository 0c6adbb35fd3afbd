"""
Activity-export records and the formats Vault writes them in.

Vault's ``sys/internal/counters/activity/export`` endpoint has had three
record layouts: the protobuf record of 1.11-1.17, the identity-enriched
record of 1.18-1.20 and the 1.21 record that splits ``timestamp`` into
``token_creation_time`` and ``client_first_used_time``.  Each comes as JSON
lines or CSV.  The writers here reproduce Vault's bytes: key order, omitted
fields, Go's JSON and CSV escaping, newline line ends.

See: https://developer.hashicorp.com/vault/api-docs/system/internal-counters
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

from clientid.errors import InvalidModelError
from clientid.model.hashing import ACME_CLIENT_ID_PREFIX
from clientid.model.ids import ClientId, ClientType, MountAccessor, NamespaceId
from clientid.model.records import Metadata
from clientid.model.validators import aware_datetime, non_empty

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ExportFormat",
    "ExportRecord",
    "export_csv",
    "export_json_lines",
]

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Latin-1 white space as Go's unicode.IsSpace sees it.
_GO_LATIN1_SPACE: Final = frozenset(" \t\n\v\f\r\x85\xa0")
# What Go's encoding/json escapes beyond what Python's json does.
_GO_JSON_ESCAPES: Final = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)
_Value: TypeAlias = "str | int | bool | list[str] | dict[str, str]"


@final
class ExportFormat(enum.Enum):
    """
    The export record layouts Vault has written.
    """

    #: Vault 1.11-1.13: the protobuf record without ``client_type`` (those
    #: versions did not record one).  Vault's own export test fixtures use
    #: this layout.
    VAULT_1_11 = "1.11"
    #: Vault 1.14-1.17: the same layout with ``client_type``.
    VAULT_1_14 = "1.14"
    #: Vault 1.18-1.20: every field always present, identity details,
    #: ``timestamp`` as RFC 3339.
    VAULT_1_18 = "1.18"
    #: Vault 1.21 and later: ``token_creation_time`` and
    #: ``client_first_used_time`` instead of ``timestamp``.
    VAULT_1_21 = "1.21"


@final
@attrs.frozen(kw_only=True)
class ExportRecord:
    """
    One exported client: its first record in the exported range.

    Attributes:
        client_id: The client ID.
        client_type: The client's type.
        namespace_id: The namespace the client is attributed to.
        namespace_path: Its path (``""`` for root), or Vault's
            ``deleted namespace "<ID>"`` label.
        mount_accessor: The attributed mount, ``None`` if none was recorded.
        mount_path: The mount's path, ``""`` when the mount is unknown.
        mount_type: The mount's type, ``""`` when the mount is unknown.
        token_creation_time: When the client's token was created.
        client_first_used_time: When the client was first used in the range.
        entity_name: The entity's name (entity clients, when known).
        entity_alias_name: The name of the entity's alias on the mount.
        local_entity_alias: Whether that alias is local.
        policies: The entity's policies, sorted.
        entity_metadata: The entity's metadata.
        entity_alias_metadata: The alias's metadata.
        entity_alias_custom_metadata: The alias's custom metadata.
        entity_group_ids: IDs of the groups the entity is a member of,
            sorted.
    """

    client_id: ClientId = attrs.field(validator=non_empty)
    client_type: ClientType
    namespace_id: NamespaceId = attrs.field(validator=non_empty)
    namespace_path: str = ""
    mount_accessor: MountAccessor | None = None
    mount_path: str = ""
    mount_type: str = ""
    token_creation_time: dt.datetime = attrs.field(validator=aware_datetime)
    client_first_used_time: dt.datetime = attrs.field(validator=aware_datetime)
    entity_name: str = ""
    entity_alias_name: str = ""
    local_entity_alias: bool = False
    policies: tuple[str, ...] = ()
    entity_metadata: Metadata = ()
    entity_alias_metadata: Metadata = ()
    entity_alias_custom_metadata: Metadata = ()
    entity_group_ids: tuple[str, ...] = ()


def _unix_seconds(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


def _rfc3339(moment: dt.datetime) -> str:
    # Go's RFC 3339 has four-digit years ("0001-01-01T00:00:00Z" for its
    # zero time); strftime's %Y writes "1" for year 1 on glibc.
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%SZ")


def _check_typeless(
    records: tuple[ExportRecord, ...], version: ExportFormat, layout: str
) -> None:
    """
    Refuse a record whose type a layout without ``client_type`` would lose.

    Without the field a record reads back as an entity, or, with
    ``non_entity`` set, as an ACME client if its ID has Vault's
    ``pki-acme.`` prefix and as a non-entity token otherwise.
    """
    for record in records:
        client_type = record.client_type
        if client_type in {ClientType.ENTITY, ClientType.NON_ENTITY_TOKEN}:
            continue
        if client_type is ClientType.ACME and record.client_id.startswith(
            ACME_CLIENT_ID_PREFIX
        ):
            continue
        raise InvalidModelError(
            field="client_type",
            value=client_type,
            rule=(
                f"cannot be written in the ExportFormat.{version.name}"
                f" {layout}, which has no client_type: client"
                f" {record.client_id!r} would read back as"
                " non-entity-token; write it with version="
                "ExportFormat.VAULT_1_18 or later"
                + (
                    ""
                    if version is ExportFormat.VAULT_1_11
                    else " (or as JSON lines)"
                )
            ),
        )


def _type_string(record: ExportRecord, version: ExportFormat) -> str:
    if version is ExportFormat.VAULT_1_11:
        return ""
    return record.client_type.value


def _fields(record: ExportRecord, version: ExportFormat) -> dict[str, _Value]:
    """The record's fields as JSON values, in Vault's key order."""
    accessor = record.mount_accessor or ""
    if version in {ExportFormat.VAULT_1_11, ExportFormat.VAULT_1_14}:
        # Go's encoding/json with omitempty: zero values are left out.
        legacy: dict[str, _Value] = {
            "client_id": record.client_id,
            "namespace_id": record.namespace_id,
        }
        timestamp = _unix_seconds(record.token_creation_time)
        if timestamp:
            legacy["timestamp"] = timestamp
        if record.client_type.is_non_entity:
            legacy["non_entity"] = True
        if accessor:
            legacy["mount_accessor"] = accessor
        client_type = _type_string(record, version)
        if client_type:
            legacy["client_type"] = client_type
        return legacy
    fields: dict[str, _Value] = {
        "entity_name": record.entity_name,
        "entity_alias_name": record.entity_alias_name,
        "local_entity_alias": record.local_entity_alias,
        "client_id": record.client_id,
        "client_type": _type_string(record, version),
        "namespace_id": record.namespace_id,
        "namespace_path": record.namespace_path,
        "mount_accessor": accessor,
        "mount_type": record.mount_type,
        "mount_path": record.mount_path,
    }
    if version is ExportFormat.VAULT_1_18:
        fields["timestamp"] = _rfc3339(record.token_creation_time)
    else:
        fields["token_creation_time"] = _rfc3339(record.token_creation_time)
        fields["client_first_used_time"] = _rfc3339(
            record.client_first_used_time
        )
    # Go writes map keys sorted.
    fields["policies"] = list(record.policies)
    fields["entity_metadata"] = dict(sorted(record.entity_metadata))
    fields["entity_alias_metadata"] = dict(
        sorted(record.entity_alias_metadata)
    )
    fields["entity_alias_custom_metadata"] = dict(
        sorted(record.entity_alias_custom_metadata)
    )
    fields["entity_group_ids"] = list(record.entity_group_ids)
    return fields


def _json_line(fields: dict[str, _Value]) -> str:
    """Encode one record as Go's encoding/json does."""
    return json.dumps(
        fields, ensure_ascii=False, separators=(",", ":")
    ).translate(_GO_JSON_ESCAPES)


def export_json_lines(
    records: Iterable[ExportRecord],
    *,
    version: ExportFormat = ExportFormat.VAULT_1_21,
) -> str:
    """
    Write records as Vault's ``format=json`` export: one object per line.

    Args:
        records: The records, in export order.
        version: The Vault record layout to write.

    Returns:
        The export text; every line, the last included, ends in a newline.

    Raises:
        InvalidModelError: The ``VAULT_1_11`` layout, which has no
            ``client_type``, cannot hold a record's type: a secret-sync
            client, or an ACME client whose ID lacks the ``pki-acme.``
            prefix, would read back as a non-entity token.
    """
    records = tuple(records)
    if version is ExportFormat.VAULT_1_11:
        _check_typeless(records, version, "layout")
    return "".join(
        _json_line(_fields(record, version)) + "\n" for record in records
    )


def _csv_field(text: str) -> str:
    """Quote a CSV field exactly when Go's encoding/csv does."""
    if not text:
        return text
    needs_quotes = (
        text == "\\."
        or any(char in text for char in ',"\r\n')
        or text[0] in _GO_LATIN1_SPACE
        or (ord(text[0]) > 0xFF and text[0].isspace())  # noqa: PLR2004
    )
    if not needs_quotes:
        return text
    return '"' + text.replace('"', '""') + '"'


def _csv_text(value: str | int | bool) -> str:  # noqa: FBT001
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: CSV columns of the 1.11-1.17 layout.
_LEGACY_CSV_HEADER: Final = (
    "client_id",
    "namespace_id",
    "timestamp",
    "non_entity",
    "mount_accessor",
)
#: Leading CSV columns of the 1.18+ layouts (a different order from JSON).
_CSV_HEADER_BEFORE_TIME: Final = (
    "entity_name",
    "entity_alias_name",
    "client_id",
    "client_type",
    "local_entity_alias",
    "namespace_id",
    "namespace_path",
    "mount_accessor",
    "mount_path",
    "mount_type",
)


def _flat_row(
    record: ExportRecord, version: ExportFormat
) -> dict[str, str | int | bool]:
    """A 1.18+ record flattened into CSV columns."""
    row: dict[str, str | int | bool] = {}
    for key, value in _fields(record, version).items():
        if isinstance(value, dict):
            for item_key, item in value.items():
                row[f"{key}.{item_key}"] = item
        elif isinstance(value, list):
            for position, item in enumerate(value):
                row[f"{key}.{position}"] = item
        else:
            row[key] = value
    return row


def export_csv(
    records: Iterable[ExportRecord],
    *,
    version: ExportFormat = ExportFormat.VAULT_1_21,
) -> str:
    """
    Write records as Vault's ``format=csv`` export.

    The 1.11-1.17 layout has exactly five columns.  The 1.18+ layouts have
    fixed columns followed by one column per list item and metadata key
    present in any record (``policies.0``, ``entity_metadata.team``), in
    lexicographic order, so the header depends on the whole export.

    Args:
        records: The records, in export order.
        version: The Vault record layout to write.

    Returns:
        The CSV text, header first; every line ends in a newline.  No
        records give no text at all, not even a header (as in Vault).

    Raises:
        InvalidModelError: The five-column layout of ``VAULT_1_11`` and
            ``VAULT_1_14``, which has no ``client_type``, cannot hold a
            record's type: a secret-sync client, or an ACME client whose
            ID lacks the ``pki-acme.`` prefix, would read back as a
            non-entity token.
    """
    records = tuple(records)
    if not records:
        # Vault writes the header only once it has seen a record.
        return ""
    lines: list[list[str]] = []
    if version in {ExportFormat.VAULT_1_11, ExportFormat.VAULT_1_14}:
        _check_typeless(records, version, "CSV layout")
        lines.append(list(_LEGACY_CSV_HEADER))
        lines.extend(
            [
                record.client_id,
                record.namespace_id,
                str(_unix_seconds(record.token_creation_time)),
                _csv_text(record.client_type.is_non_entity),
                record.mount_accessor or "",
            ]
            for record in records
        )
    else:
        if version is ExportFormat.VAULT_1_18:
            times: tuple[str, ...] = ("timestamp",)
        else:
            times = ("token_creation_time", "client_first_used_time")
        fixed = (*_CSV_HEADER_BEFORE_TIME, *times)
        rows = [_flat_row(record, version) for record in records]
        extra = sorted({key for row in rows for key in row} - set(fixed))
        header = [*fixed, *extra]
        lines.append(header)
        lines.extend(
            [_csv_text(row.get(column, "")) for column in header]
            for row in rows
        )
    return "".join(
        ",".join(_csv_field(field) for field in line) + "\n" for line in lines
    )
