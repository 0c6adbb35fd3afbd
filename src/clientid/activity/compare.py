"""
The difference between two activity reports, count by count.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, final

import attrs

from clientid.activity.report import (
    ZERO,
    ActivityReport,
    ClientCounts,
    MonthActivity,
    NamespaceCounts,
)
from clientid.count.counter import Count
from clientid.errors import InvalidModelError
from clientid.model.ids import ClientType, NamespaceId

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["CountDifference", "ReportDifference", "compare_reports"]

#: The count fields compared, in table order; ``None`` is ``clients``.
_TYPES: Final[tuple[ClientType | None, ...]] = (None, *ClientType)
_HEADER: Final = (
    "month",
    "namespace",
    "mount",
    "type",
    "this",
    "other",
    "diff",
    "rel",
    "",
)


@final
@attrs.frozen(kw_only=True)
class CountDifference:
    """
    One count of two reports side by side.

    Attributes:
        month: The month, or ``None`` for the whole range (``total`` and
            ``by_namespace``).
        new_clients: Whether the count is the month's new clients (rather
            than its clients).
        namespace_id: The namespace, or ``None`` for all of them.
        namespace_path: Its label (from either report; ``""`` for all).
        mount_path: The mount's label, or ``None`` for the whole
            namespace.
        client_type: The client type, or ``None`` for ``clients`` (all
            types).
        this: The count in the report ``compare`` was called on (zero if
            it has no such entry).
        other: The count in the other report (zero if none).
        difference: ``other.value - this.value``.
        relative: ``difference / this.value``; 0.0 when both are zero,
            ``None`` when only this one is.
        is_estimate: Whether either count is an estimate.
    """

    month: dt.datetime | None
    new_clients: bool
    namespace_id: NamespaceId | None
    namespace_path: str
    mount_path: str | None
    client_type: ClientType | None
    this: Count
    other: Count
    difference: int
    relative: float | None
    is_estimate: bool


@final
@attrs.frozen(kw_only=True)
class ReportDifference:
    """
    How one report differs from another (``this.compare(other)``).

    ``rows`` holds every count either report has: ``total`` and each
    namespace and mount of ``by_namespace`` (month ``None``); then, month
    by month, the month's counts, namespaces and mounts, and its new
    clients (``new_clients=True``) with their namespaces.  Each place has
    one row per client type and one for ``clients``.  Namespaces are
    matched by ID, mounts by label.  ``distinct`` is not compared: Vault
    has no such number.
    """

    rows: tuple[CountDifference, ...]

    @property
    def changed(self) -> tuple[CountDifference, ...]:
        """
        The rows whose values differ.
        """
        return tuple(row for row in self.rows if row.difference)

    @property
    def is_equal(self) -> bool:
        """
        Whether every compared value is the same.
        """
        return not self.changed

    def to_table(
        self,
        *,
        changed_only: bool = True,
        labels: tuple[str, str] = ("this", "other"),
    ) -> str:
        """
        Render the rows as a plain-text table, one line each.

        Columns: month (``YYYY-MM``, ``all`` for the range, ``+new`` for
        new clients), namespace (``[root]`` for root, ``*`` for all),
        mount (``*`` for the namespace), type (``clients`` for all), this,
        other, difference, relative difference, and ``~`` when a count is
        an estimate.

        Args:
            changed_only: Leave out rows whose values are equal.
            labels: The headings of the two count columns, e.g.
                ``("vault", "clientid")``.
        """
        rows = self.changed if changed_only else self.rows
        header = (*_HEADER[:4], *labels, *_HEADER[6:])
        lines = [header, *(_cells(row) for row in rows)]
        widths = [max(len(line[i]) for line in lines) for i in range(9)]
        numeric = {4, 5, 6, 7}
        rendered = [
            "  ".join(
                cell.rjust(widths[i])
                if i in numeric
                else cell.ljust(widths[i])
                for i, cell in enumerate(line)
            ).rstrip()
            for line in lines
        ]
        if not rows:
            rendered.append("(no differences)")
        return "\n".join(rendered) + "\n"


def _cells(row: CountDifference) -> tuple[str, ...]:
    month = "all" if row.month is None else f"{row.month:%Y-%m}"
    if row.new_clients:
        month += " +new"
    if row.namespace_id is None:
        namespace = "*"
    else:
        namespace = row.namespace_path or "[root]"
    relative = "n/a" if row.relative is None else f"{row.relative:+.1%}"
    return (
        month,
        namespace,
        "*" if row.mount_path is None else row.mount_path,
        "clients" if row.client_type is None else row.client_type.value,
        str(row.this.value),
        str(row.other.value),
        f"{row.difference:+d}",
        relative,
        "~" if row.is_estimate else "",
    )


def _count(
    counts: ClientCounts | None, client_type: ClientType | None
) -> Count:
    if counts is None:
        return ZERO
    return (
        counts.clients if client_type is None else counts.of_type(client_type)
    )


@attrs.frozen(kw_only=True)
class _Place:
    month: dt.datetime | None
    new_clients: bool
    namespace_id: NamespaceId | None
    namespace_path: str
    mount_path: str | None


def _rows(
    place: _Place, this: ClientCounts | None, other: ClientCounts | None
) -> Iterator[CountDifference]:
    for client_type in _TYPES:
        mine, theirs = _count(this, client_type), _count(other, client_type)
        difference = theirs.value - mine.value
        if mine.value:
            relative: float | None = difference / mine.value
        else:
            relative = 0.0 if difference == 0 else None
        yield CountDifference(
            month=place.month,
            new_clients=place.new_clients,
            namespace_id=place.namespace_id,
            namespace_path=place.namespace_path,
            mount_path=place.mount_path,
            client_type=client_type,
            this=mine,
            other=theirs,
            difference=difference,
            relative=relative,
            is_estimate=not (mine.is_exact and theirs.is_exact),
        )


def _namespace_rows(
    month: dt.datetime | None,
    new_clients: bool,  # noqa: FBT001
    this: tuple[NamespaceCounts, ...],
    other: tuple[NamespaceCounts, ...],
) -> Iterator[CountDifference]:
    mine = {ns.namespace_id: ns for ns in this}
    theirs = {ns.namespace_id: ns for ns in other}
    for namespace_id in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(namespace_id), theirs.get(namespace_id)
        label = (a or b).namespace_path  # type: ignore[union-attr]
        place = _Place(
            month=month,
            new_clients=new_clients,
            namespace_id=namespace_id,
            namespace_path=label,
            mount_path=None,
        )
        yield from _rows(place, a and a.counts, b and b.counts)
        my_mounts = {} if a is None else {m.mount_path: m for m in a.mounts}
        their_mounts = {} if b is None else {m.mount_path: m for m in b.mounts}
        for mount_path in sorted(my_mounts.keys() | their_mounts.keys()):
            x, y = my_mounts.get(mount_path), their_mounts.get(mount_path)
            yield from _rows(
                attrs.evolve(place, mount_path=mount_path),
                x and x.counts,
                y and y.counts,
            )


def _parts(
    month: MonthActivity | None,
    new_clients: bool,  # noqa: FBT001
) -> tuple[ClientCounts | None, tuple[NamespaceCounts, ...]]:
    if month is None:
        return None, ()
    if new_clients:
        return month.new_clients.counts, month.new_clients.namespaces
    return month.counts, month.namespaces


def _month_rows(
    start: dt.datetime, this: MonthActivity | None, other: MonthActivity | None
) -> Iterator[CountDifference]:
    for new_clients in (False, True):
        my_counts, my_namespaces = _parts(this, new_clients)
        their_counts, their_namespaces = _parts(other, new_clients)
        place = _Place(
            month=start,
            new_clients=new_clients,
            namespace_id=None,
            namespace_path="",
            mount_path=None,
        )
        yield from _rows(place, my_counts, their_counts)
        yield from _namespace_rows(
            start, new_clients, my_namespaces, their_namespaces
        )


def compare_reports(
    this: ActivityReport, other: ActivityReport
) -> ReportDifference:
    """
    Return how *other* differs from *this* (``this.compare(other)``).
    """
    given: object = other
    if not isinstance(given, ActivityReport):
        field, rule = "other", "must be an ActivityReport"
        raise InvalidModelError(field, given, rule)
    whole = _Place(
        month=None,
        new_clients=False,
        namespace_id=None,
        namespace_path="",
        mount_path=None,
    )
    rows = [
        *_rows(whole, this.total, given.total),
        *_namespace_rows(None, False, this.by_namespace, given.by_namespace),  # noqa: FBT003
    ]
    mine = {m.timestamp: m for m in this.months}
    theirs = {m.timestamp: m for m in given.months}
    for start in sorted(mine.keys() | theirs.keys()):
        rows.extend(_month_rows(start, mine.get(start), theirs.get(start)))
    return ReportDifference(rows=tuple(rows))
