"""
The client-count report: frozen model classes and Vault's response shape.

:meth:`ActivityLog.report() <clientid.ActivityLog.report>` builds an
:class:`ActivityReport`; :meth:`ActivityReport.to_vault_response` turns it
into the ``data`` object of Vault's ``sys/internal/counters/activity``
response (Vault 1.18 and later).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

from clientid.count.counter import Count
from clientid.errors import InvalidModelError
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientType,
    MountAccessor,
    NamespaceId,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from clientid.activity.compare import ReportDifference

__all__ = [
    "ActivityReport",
    "ClientCounts",
    "MonthActivity",
    "MountCounts",
    "NamespaceCounts",
    "NewClients",
    "ResponseFormat",
]

#: The JSON type of one Vault counts object.
_VaultCounts: TypeAlias = dict[str, int]
#: The JSON value types a Vault response holds.
_Json: TypeAlias = "bool | int | str | list[_Json] | dict[str, _Json] | None"


@final
class ResponseFormat(enum.Enum):
    """
    The shapes of Vault's activity response (``counts`` keys, mount keys).
    """

    #: Vault 1.14: ``distinct_entities``, ``entity_clients``,
    #: ``non_entity_tokens``, ``non_entity_clients``, ``clients``; ACME
    #: clients inside the non-entity counts; the two old names mirror the
    #: new ones in ``total`` and ``by_namespace`` and are 0 inside months.
    VAULT_1_14 = "1.14"
    #: Vault 1.15-1.16: as 1.14, plus ``secret_syncs``.
    VAULT_1_16 = "1.16"
    #: Vault 1.17: as 1.16, plus ``acme_clients`` (ACME counted apart).
    VAULT_1_17 = "1.17"
    #: Vault 1.18-1.20: the old names gone.
    VAULT_1_18 = "1.18"
    #: Vault 1.21: as 1.18, and mounts carry ``mount_type``.
    VAULT_1_21 = "1.21"


_OLD_NAMES: Final = frozenset(
    {
        ResponseFormat.VAULT_1_14,
        ResponseFormat.VAULT_1_16,
        ResponseFormat.VAULT_1_17,
    }
)
_ACME_APART: Final = frozenset(
    {
        ResponseFormat.VAULT_1_17,
        ResponseFormat.VAULT_1_18,
        ResponseFormat.VAULT_1_21,
    }
)


def exact_count(value: int) -> Count:
    """
    Return the exact :class:`~clientid.Count` of *value* clients.
    """
    return Count(
        value=value,
        is_exact=True,
        lower_bound=value,
        upper_bound=value,
        std_devs=0,
    )


#: The exact count of no clients.
ZERO: Final = exact_count(0)


def sum_counts(counts: Iterable[Count]) -> Count:
    """
    Add counts: values and bounds add; the sum is exact iff every part is.
    """
    value = lower = upper = std_devs = 0
    is_exact = True
    for count in counts:
        value += count.value
        lower += count.lower_bound
        upper += count.upper_bound
        is_exact = is_exact and count.is_exact
        std_devs = max(std_devs, count.std_devs)
    return Count(
        value=value,
        is_exact=is_exact,
        lower_bound=lower,
        upper_bound=upper,
        std_devs=std_devs,
    )


def format_time(moment: dt.datetime) -> str:
    """
    Format an instant as Vault does: RFC 3339 in UTC, whole seconds, ``Z``.
    """
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@final
@attrs.frozen(kw_only=True)
class ClientCounts:
    """
    Client counts per client type, as one Vault ``counts`` object.

    Every field is a :class:`~clientid.Count`: its ``value`` is the number
    Vault would show; ``is_exact`` is false (and the bounds are set) when the
    number had to be estimated from HyperLogLog sketches.

    ``clients`` is the sum of the four types, as in Vault, except in
    :attr:`ActivityReport.distinct`, where it is the number of distinct
    client IDs.
    """

    entity_clients: Count = ZERO
    non_entity_clients: Count = ZERO
    acme_clients: Count = ZERO
    secret_syncs: Count = ZERO
    clients: Count = ZERO

    @classmethod
    def from_types(cls, by_type: dict[ClientType, Count]) -> ClientCounts:
        """
        Build counts from per-type counts; ``clients`` is their sum.

        Args:
            by_type: The count of each type; missing types count zero.
        """
        entity = by_type.get(ClientType.ENTITY, ZERO)
        non_entity = by_type.get(ClientType.NON_ENTITY_TOKEN, ZERO)
        acme = by_type.get(ClientType.ACME, ZERO)
        secret_syncs = by_type.get(ClientType.SECRET_SYNC, ZERO)
        return cls(
            entity_clients=entity,
            non_entity_clients=non_entity,
            acme_clients=acme,
            secret_syncs=secret_syncs,
            clients=sum_counts((entity, non_entity, acme, secret_syncs)),
        )

    @property
    def is_exact(self) -> bool:
        """
        Whether every count is exact.
        """
        return all(
            count.is_exact
            for count in (
                self.entity_clients,
                self.non_entity_clients,
                self.acme_clients,
                self.secret_syncs,
                self.clients,
            )
        )

    def of_type(self, client_type: ClientType) -> Count:
        """
        Return the count of one client type.
        """
        match client_type:
            case ClientType.ENTITY:
                return self.entity_clients
            case ClientType.NON_ENTITY_TOKEN:
                return self.non_entity_clients
            case ClientType.ACME:
                return self.acme_clients
            case ClientType.SECRET_SYNC:
                return self.secret_syncs

    def _to_vault(
        self,
        shape: ResponseFormat = ResponseFormat.VAULT_1_21,
        *,
        in_month: bool = False,
    ) -> _VaultCounts:
        entity = self.entity_clients.value
        non_entity = self.non_entity_clients.value
        if shape not in _ACME_APART:
            non_entity += self.acme_clients.value
        if shape not in _OLD_NAMES:
            # Key order of Vault 1.18's ResponseCounts.
            return {
                "entity_clients": entity,
                "non_entity_clients": non_entity,
                "secret_syncs": self.secret_syncs.value,
                "acme_clients": self.acme_clients.value,
                "clients": self.clients.value,
            }
        counts = {
            "distinct_entities": 0 if in_month else entity,
            "entity_clients": entity,
            "non_entity_tokens": 0 if in_month else non_entity,
            "non_entity_clients": non_entity,
        }
        if shape is not ResponseFormat.VAULT_1_14:
            counts["secret_syncs"] = self.secret_syncs.value
        if shape is ResponseFormat.VAULT_1_17:
            counts["acme_clients"] = self.acme_clients.value
        counts["clients"] = self.clients.value
        return counts


def add_client_counts(parts: Iterable[ClientCounts]) -> ClientCounts:
    """
    Add client counts field by field (Vault's way of making totals).
    """
    parts = tuple(parts)
    return ClientCounts(
        entity_clients=sum_counts(p.entity_clients for p in parts),
        non_entity_clients=sum_counts(p.non_entity_clients for p in parts),
        acme_clients=sum_counts(p.acme_clients for p in parts),
        secret_syncs=sum_counts(p.secret_syncs for p in parts),
        clients=sum_counts(p.clients for p in parts),
    )


@final
@attrs.frozen(kw_only=True)
class MountCounts:
    """
    The clients attributed to one mount of a namespace.

    ``mount_path`` is Vault's label: the mount's path with a trailing ``/``,
    ``deleted mount; accessor "<accessor>"`` for a mount the log does not
    know (any more), or ``no mount accessor (pre-1.10 upgrade?)`` for
    clients recorded without one.  Mounts with the same label are merged, as
    Vault merges ``auth/foo`` and ``auth/foo/``.
    """

    mount_path: str
    mount_type: str
    mount_accessors: tuple[MountAccessor, ...]
    counts: ClientCounts

    def _to_vault(
        self, shape: ResponseFormat, *, in_month: bool
    ) -> dict[str, _Json]:
        counts: dict[str, _Json] = dict(
            self.counts._to_vault(shape, in_month=in_month)  # noqa: SLF001
        )
        if shape is not ResponseFormat.VAULT_1_21:
            return {"mount_path": self.mount_path, "counts": counts}
        return {
            "mount_path": self.mount_path,
            "mount_type": self.mount_type,
            "counts": counts,
        }


@final
@attrs.frozen(kw_only=True)
class NamespaceCounts:
    """
    The clients attributed to one namespace, with its mounts.

    ``namespace_path`` is Vault's label: ``""`` for root, ``"ns1/"`` for a
    child, ``deleted namespace "<ID>"`` for a namespace the log does not
    know (any more).  Mounts are sorted by clients, descending, then path.
    """

    namespace_id: NamespaceId
    namespace_path: str
    counts: ClientCounts
    mounts: tuple[MountCounts, ...]

    def _to_vault(
        self, shape: ResponseFormat, *, in_month: bool
    ) -> dict[str, _Json]:
        return {
            "namespace_id": self.namespace_id,
            "namespace_path": self.namespace_path,
            "counts": dict(self.counts._to_vault(shape, in_month=in_month)),  # noqa: SLF001
            "mounts": [
                mount._to_vault(shape, in_month=in_month)  # noqa: SLF001
                for mount in self.mounts
            ],
        }


@final
@attrs.frozen(kw_only=True)
class NewClients:
    """
    The clients of a month that the queried range had not seen before.

    Each new client is attributed to the namespace and mount of its record
    in that month, so the namespaces add up to ``counts``.
    """

    counts: ClientCounts
    namespaces: tuple[NamespaceCounts, ...]


@final
@attrs.frozen(kw_only=True)
class MonthActivity:
    """
    One calendar month (UTC) of a report.

    Every month of the queried range is present; a month without records
    has zero counts and no namespaces.
    """

    timestamp: dt.datetime
    counts: ClientCounts
    namespaces: tuple[NamespaceCounts, ...]
    new_clients: NewClients

    @property
    def has_data(self) -> bool:
        """
        Whether any client was recorded in this month (within the scope).
        """
        return bool(self.namespaces)

    def _to_vault(self, shape: ResponseFormat) -> dict[str, _Json]:
        timestamp = format_time(self.timestamp)
        if not self.has_data:
            # Vault's placeholder month: only the timestamp is set.
            return {
                "timestamp": timestamp,
                "counts": None,
                "namespaces": None,
                "new_clients": None,
            }
        new: dict[str, _Json]
        if self.new_clients.namespaces:
            new = {
                "counts": dict(
                    self.new_clients.counts._to_vault(shape, in_month=True)  # noqa: SLF001
                ),
                "namespaces": [
                    ns._to_vault(shape, in_month=True)  # noqa: SLF001
                    for ns in self.new_clients.namespaces
                ],
            }
        else:
            new = {"counts": None, "namespaces": None}
        return {
            "timestamp": timestamp,
            "counts": dict(self.counts._to_vault(shape, in_month=True)),  # noqa: SLF001
            "namespaces": [
                ns._to_vault(shape, in_month=True)  # noqa: SLF001
                for ns in self.namespaces
            ],
            "new_clients": new,
        }


@final
@attrs.frozen(kw_only=True)
class ActivityReport:
    """
    Client counts over a range of whole calendar months (UTC).

    Attributes:
        start_time: The first second of the first month.
        end_time: The last second (``23:59:59``) of the last month.
        namespace_id: The namespace the report is scoped to (with its
            descendants).
        total: Vault's total (Vault 1.18 and later): per type, the sum over
            the namespaces in :attr:`by_namespace` of each namespace's
            distinct clients.  A client seen in two namespaces counts twice.
        distinct: The number of distinct client IDs in the range and scope,
            per type and overall (``clients``).  Vault has no such number.
            ``limit_namespaces`` does not change it.
        by_namespace: Per-namespace distinct clients, sorted by clients
            descending, then namespace ID.
        months: Every month of the range, oldest first.
    """

    start_time: dt.datetime
    end_time: dt.datetime
    namespace_id: NamespaceId
    total: ClientCounts
    distinct: ClientCounts
    by_namespace: tuple[NamespaceCounts, ...]
    months: tuple[MonthActivity, ...]

    @property
    def is_exact(self) -> bool:
        """
        Whether every number in the report is exact.
        """
        return (
            self.total.is_exact
            and self.distinct.is_exact
            and all(
                month.counts.is_exact and month.new_clients.counts.is_exact
                for month in self.months
            )
        )

    def to_vault_response(
        self, response_format: ResponseFormat = ResponseFormat.VAULT_1_21
    ) -> dict[str, _Json]:
        """
        Return the report in the shape of Vault's activity response.

        The result is the ``data`` object of Vault's
        ``GET sys/internal/counters/activity`` (plain dicts, lists, strings
        and ints, ready for :func:`json.dumps`), by default in the shape of
        Vault 1.18's counts with 1.21's ``mount_type``; *response_format*
        picks an older shape (:class:`~clientid.ResponseFormat`).
        Estimated counts appear as their rounded values.

        Months follow Vault's rule: months without data before the first
        and after the last month with data are placeholders (``null``
        counts); months without data between them are left out, as Vault
        leaves them out.  (:attr:`months` itself lists every month.)

        Where clientid differs on purpose: ``mounts`` carry ``mount_type``
        as in Vault 1.21, and ties in the namespace order are broken by
        namespace ID.

        Raises:
            InvalidModelError: *response_format* is not a ResponseFormat.
        """
        given: object = response_format
        if not isinstance(given, ResponseFormat):
            field, rule = "response_format", "must be a ResponseFormat"
            raise InvalidModelError(field, given, rule)
        shape = given
        with_data = [i for i, m in enumerate(self.months) if m.has_data]
        first, last = (with_data[0], with_data[-1]) if with_data else (0, -1)
        months = [
            month
            for i, month in enumerate(self.months)
            if month.has_data or not first <= i <= last
        ]
        return {
            "start_time": format_time(self.start_time),
            "end_time": format_time(self.end_time),
            "total": dict(self.total._to_vault(shape)),  # noqa: SLF001
            "by_namespace": [
                ns._to_vault(shape, in_month=False)  # noqa: SLF001
                for ns in self.by_namespace
            ],
            "months": [month._to_vault(shape) for month in months],  # noqa: SLF001
        }

    @classmethod
    def from_vault_response(
        cls,
        response: object,
        *,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
    ) -> ActivityReport:
        """
        Read Vault's activity response into a report, to compare it.

        Reads the ``data`` object (or the whole response with its ``data``
        envelope) of ``GET sys/internal/counters/activity`` as Vault 1.14
        to 1.21 write it (:class:`~clientid.ResponseFormat`): the old and
        the new counts names, ``mount_path`` or the docs' ``path``, with or
        without ``mount_type``, placeholder months and left-out months.

        What the response cannot say is filled in plainly: every number
        is read as exact (Vault does not mark its estimates); before 1.17
        ACME clients are inside ``non_entity_clients``; mounts have no
        accessors; months Vault left out have zero counts; and
        :attr:`distinct`, which Vault has no number for, is the sum of the
        months' new clients (in Vault 1.14 that is the number of distinct
        clients of the range).

        Args:
            response: The parsed JSON response.
            namespace_id: The namespace the query was made in.

        Raises:
            MalformedRecordError: The input is not such a response; the
                error names the JSON path (``months[2].counts.clients``),
                the rule and the value.
        """
        # The reader needs this module's classes: imported when called.
        from clientid.activity.response import read_response  # noqa: PLC0415

        return read_response(response, namespace_id)

    def compare(self, other: ActivityReport) -> ReportDifference:
        """
        Return how *other* differs from this report, count by count.

        See :class:`~clientid.ReportDifference`: one row per month (and
        the whole range), namespace, mount and client type, with
        ``other - self`` and its ratio to this report's count.

        Raises:
            InvalidModelError: *other* is not an ActivityReport.
        """
        # The comparison needs this module's classes: imported when called.
        from clientid.activity.compare import compare_reports  # noqa: PLC0415

        return compare_reports(self, other)
