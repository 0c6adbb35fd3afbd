"""
The activity-export adapter: export records of any version to events.

It takes JSON records or CSV rows as mappings and does no I/O.

See: https://developer.hashicorp.com/vault/api-docs/system/internal-counters
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, final

from clientid.errors import InvalidModelError, MalformedRecordError
from clientid.ingest.common import (
    _EPOCH,
    _UTC,
    DEFAULT_REJECTED_LIMIT,
    ClientEvent,
    RejectedRecord,
    _events,
    _Rejections,
    _rfc3339,
    record_text,
)
from clientid.model.hashing import ACME_CLIENT_ID_PREFIX
from clientid.model.ids import (
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import Client

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["ExportReader"]

# Client-type strings of export records.  ``acme`` is what Vault >= 1.17
# writes for the type the 1.14 code called ``pki-acme``.
_EXPORT_CLIENT_TYPES: Final[Mapping[str, ClientType]] = {
    **{member.value: member for member in ClientType},
    "acme": ClientType.ACME,
}


#: More digits than any Unix time a datetime can hold (year 9999 is 12).
_MAX_SECONDS_DIGITS: Final = 20

#: Unix seconds as CSV text: an optional minus sign and ASCII digits.
_UNIX_SECONDS_TEXT: Final = re.compile(r"-?[0-9]+")

_TRUE_FALSE: Final[Mapping[str, bool]] = {"true": True, "false": False}


def _export_bool(record: Mapping[str, object], key: str) -> bool | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _TRUE_FALSE:
        return _TRUE_FALSE[value]
    raise MalformedRecordError(key, "must be a boolean", value)


def _export_string(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    return record_text(value, key)


def _export_time(record: Mapping[str, object], key: str) -> dt.datetime | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedRecordError(
            key, "must be Unix seconds or RFC 3339", value
        )
    if isinstance(value, str) and _UNIX_SECONDS_TEXT.fullmatch(value):
        # CSV exports before 1.18 write Unix seconds as text: ASCII digits
        # (str.isdigit alone also takes Arabic-Indic and superscript ones),
        # with a minus sign before 1970, as Go's strconv writes an int64.
        if len(value) > _MAX_SECONDS_DIGITS:
            raise MalformedRecordError(
                key, "must be Unix seconds in range", value
            )
        value = int(value)
    if isinstance(value, int):
        try:
            return dt.datetime.fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):
            raise MalformedRecordError(
                key, "must be Unix seconds in range", value
            ) from None
    if isinstance(value, str):
        return _rfc3339(value, key)
    raise MalformedRecordError(key, "must be Unix seconds or RFC 3339", value)


def _export_type(record: Mapping[str, object], client_id: str) -> ClientType:
    """The record's client type, from ``client_type`` or ``non_entity``."""
    type_text = _export_string(record, "client_type")
    non_entity = _export_bool(record, "non_entity")
    if type_text is None:
        # Records without client_type: Vault <= 1.13, and every CSV row
        # before 1.18 (its five columns have none).  An ACME client keeps
        # its type in its ID, which Vault prefixes with "pki-acme." in
        # every version; a non-entity token's ID (standard base64) never
        # holds a dot.
        if not non_entity:
            return ClientType.ENTITY
        if client_id.startswith(ACME_CLIENT_ID_PREFIX):
            return ClientType.ACME
        return ClientType.NON_ENTITY_TOKEN
    if type_text not in _EXPORT_CLIENT_TYPES:
        raise MalformedRecordError(
            field="client_type",
            reason="must be one of " + ", ".join(sorted(_EXPORT_CLIENT_TYPES)),
            value=type_text,
        )
    client_type = _EXPORT_CLIENT_TYPES[type_text]
    if non_entity is not None and non_entity != client_type.is_non_entity:
        raise MalformedRecordError(
            field="non_entity",
            reason=f"must agree with client_type {client_type.value!r}",
            value=non_entity,
        )
    return client_type


def _creation_time(
    record: Mapping[str, object], key: str
) -> dt.datetime | None:
    """
    A token creation time, ``None`` when Vault left it out.

    Versions 1.11-1.17 write the record's int64 timestamp as-is and leave
    it out when it is 0; 1.18+ format that 0 as the epoch.  It means
    "unknown", never January 1970.
    """
    created = _export_time(record, key)
    return None if created == _EPOCH else created


#: What a caller must pass to read a record that has no time at all.
_NO_TIME: Final = (
    "is absent or 0 (the Unix epoch): Vault did not record the token's "
    "creation time, and the record has no client_first_used_time; "
    "pass ExportReader(period_start=...) with the start of the exported "
    "period, a timezone-aware datetime such as "
    "datetime(2025, 3, 1, tzinfo=UTC), to count it in that period"
)


def _export_times(
    record: Mapping[str, object], period_start: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime | None, bool]:
    """The event's time, the token creation time and ``approximate``."""
    # Parse every spelling, so a malformed one is reported even when
    # another spelling is the one used.
    created = _creation_time(record, "token_creation_time")
    legacy_created = _creation_time(record, "timestamp")
    created = created or legacy_created
    first_used = _export_time(record, "client_first_used_time")
    alias_first_used = _export_time(record, "client_first_usage_time")
    first_used = first_used or alias_first_used
    at = first_used or created or period_start
    if at is None:
        raise MalformedRecordError(
            field="timestamp", reason=_NO_TIME, value=record.get("timestamp")
        )
    if period_start is not None and at < period_start:
        # The record was exported for this period, so its first use lies
        # inside it; only the token predates it.
        at = period_start
    return at, created, first_used is None


def _export_event(
    record: object, period_start: dt.datetime | None
) -> ClientEvent:
    """Turn one export record of any version into a client event."""
    if not isinstance(record, Mapping):
        raise MalformedRecordError(
            field="record", reason="must be an object", value=record
        )
    client_id = _export_string(record, "client_id")
    if client_id is None:
        raise MalformedRecordError(
            field="client_id",
            reason="must be a non-empty string",
            value=record.get("client_id"),
        )
    namespace_id = _export_string(record, "namespace_id")
    if namespace_id is None:
        raise MalformedRecordError(
            field="namespace_id",
            reason="must be a non-empty string",
            value=record.get("namespace_id"),
        )
    client_type = _export_type(record, client_id)
    at, created, approximate = _export_times(record, period_start)
    mount_accessor = _export_string(record, "mount_accessor")
    client = Client(
        id=ClientId(client_id),
        type=client_type,
        namespace_id=NamespaceId(namespace_id),
        mount_accessor=(
            MountAccessor(mount_accessor) if mount_accessor else None
        ),
    )
    return ClientEvent(
        client=client,
        at=at,
        token_creation_time=created,
        approximate=approximate,
    )


@final
class ExportReader:
    """
    Turn activity-export records of any Vault version into client events.

    Reads JSON records and CSV rows (as mappings of strings) of the three
    export formats: 1.11-1.17 (``timestamp`` in Unix seconds, ``non_entity``,
    ``client_type`` possibly absent), 1.18-1.20 (``timestamp`` in RFC 3339)
    and 1.21+ (``token_creation_time`` and ``client_first_used_time``, also
    spelled ``client_first_usage_time``).  ``acme`` and ``pki-acme`` both
    mean :attr:`~clientid.ClientType.ACME`; a record without
    ``client_type`` is an entity, or with ``non_entity`` a non-entity
    token, or an ACME client if its ID starts with ``pki-acme.``.  Unknown
    fields are ignored.

    The event's time is the first-use time where the record has one;
    otherwise it is the token creation time, moved forward to
    *period_start* when given, and the event is marked ``approximate``.
    A creation time of 0 (absent, ``0`` or the epoch) means Vault did not
    record it; a record with neither time needs *period_start*, and the
    error a default reader raises for it says so.

    Args:
        lenient: Return malformed records through :attr:`rejected` instead
            of raising :class:`~clientid.errors.MalformedRecordError`.
        period_start: Start of the exported period, if known: a
            timezone-aware datetime (a date or a string is refused with
            :class:`~clientid.errors.InvalidModelError`).
        rejected_limit: How many malformed records to keep in
            :attr:`rejected` (the first ones); all are counted in
            :attr:`rejected_count`.

    See: https://developer.hashicorp.com/vault/api-docs/system/internal-counters#activity-export
    """

    __slots__ = (
        "_counted",
        "_index",
        "_lenient",
        "_period_start",
        "_rejected",
    )

    def __init__(
        self,
        *,
        lenient: bool = False,
        period_start: dt.datetime | None = None,
        rejected_limit: int = DEFAULT_REJECTED_LIMIT,
    ) -> None:
        given: object = period_start
        if given is not None and not isinstance(given, dt.datetime):
            # A date or a "YYYY-MM" string names no instant and no zone;
            # guessing one would shift events across a month boundary.
            raise InvalidModelError(
                field="period_start",
                value=given,
                rule="must be a timezone-aware datetime",
            )
        if period_start is not None and period_start.utcoffset() is None:
            raise InvalidModelError(
                field="period_start",
                value=period_start,
                rule="must be timezone-aware",
            )
        self._lenient = lenient
        self._period_start = period_start
        self._index = 0
        self._counted = 0
        self._rejected = _Rejections(rejected_limit)

    @property
    def counted(self) -> int:
        """
        How many client events the reader has produced.
        """
        return self._counted

    @property
    def rejected(self) -> tuple[RejectedRecord, ...]:
        """
        The first *rejected_limit* malformed records seen in lenient mode.

        In input order; :attr:`rejected_count` says how many there were.
        """
        return self._rejected.kept()

    @property
    def rejected_count(self) -> int:
        """
        How many malformed records the reader has rejected in lenient mode.
        """
        return self._rejected.total

    def read(
        self, records: Iterable[Mapping[str, object]]
    ) -> Iterator[ClientEvent]:
        """
        Feed every record and yield the client events, in input order.

        Raises:
            MalformedRecordError: A record is malformed (strict mode).
        """
        return _events(self.feed, records)

    def feed(self, record: Mapping[str, object]) -> ClientEvent | None:
        """
        Process one export record (a JSON object or a CSV row).

        Returns:
            The record's client event, or ``None`` if it was malformed and
            the reader is lenient.

        Raises:
            MalformedRecordError: The record is malformed (strict mode).
        """
        index = self._index
        self._index += 1
        try:
            event = _export_event(record, self._period_start)
        except MalformedRecordError as exc:
            error = MalformedRecordError(
                exc.field, exc.reason, exc.value, index
            )
            if not self._lenient:
                raise error from None
            self._rejected.add(index, error)
            return None
        self._counted += 1
        return event
