"""
The report as a table, clientid's JSON, CSV rows or Vault's response.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from clientid.activity.report import (
        ActivityReport,
        ClientCounts,
        NamespaceCounts,
    )
    from clientid.count.counter import Count

__all__ = ["FORMATS", "render"]

FORMATS: Final = ("table", "json", "csv", "vault")

_COLUMNS: Final = (
    "entity",
    "non-entity",
    "acme",
    "secret-sync",
    "clients",
    "new",
)


def render(
    report: ActivityReport, output_format: str, *, what_if: str | None = None
) -> str:
    """
    Return the report in one of :data:`FORMATS`.

    *what_if* names the scenario file the report is of (the table's title
    says so).
    """
    if output_format == "json":
        # cattrs loads only when JSON is asked for.
        from clientid import serde  # noqa: PLC0415

        return json.dumps(serde.to_dict(report), indent=2) + "\n"
    if output_format == "vault":
        return json.dumps(report.to_vault_response(), indent=2) + "\n"
    if output_format == "csv":
        return _csv(report)
    return _table(report, what_if)


def _cell(count: Count) -> str:
    # An estimate reads "~1,234"; exact counts are plain.
    return f"{count.value:,}" if count.is_exact else f"~{count.value:,}"


def _counts_cells(counts: ClientCounts) -> list[str]:
    return [
        _cell(counts.entity_clients),
        _cell(counts.non_entity_clients),
        _cell(counts.acme_clients),
        _cell(counts.secret_syncs),
        _cell(counts.clients),
    ]


def _label(namespace: NamespaceCounts) -> str:
    return namespace.namespace_path or "[root]"


def _table(report: ActivityReport, what_if: str | None) -> str:
    rows: list[list[str]] = []
    for month in report.months:
        when = f"{month.timestamp:%Y-%m}"
        new_by_namespace = {
            ns.namespace_id: ns.counts.clients
            for ns in month.new_clients.namespaces
        }
        for namespace in month.namespaces:
            new = new_by_namespace.get(namespace.namespace_id)
            rows.append(
                [
                    when,
                    _label(namespace),
                    *_counts_cells(namespace.counts),
                    _cell(new) if new is not None else "0",
                ]
            )
        rows.append(
            [
                when,
                "(all)",
                *_counts_cells(month.counts),
                _cell(month.new_clients.counts.clients),
            ]
        )
    rows.append([])
    rows.extend(
        ["range", _label(namespace), *_counts_cells(namespace.counts), ""]
        for namespace in report.by_namespace
    )
    rows.append(["range", "total (Vault)", *_counts_cells(report.total), ""])
    rows.append(["range", "distinct", *_counts_cells(report.distinct), ""])
    header = ["month", "namespace", *_COLUMNS]
    widths = [
        max(len(row[i]) for row in [header, *rows] if row)
        for i in range(len(header))
    ]
    title = (
        f"Vault clients {report.start_time:%Y-%m} to {report.end_time:%Y-%m}"
        f", namespace {report.namespace_id} and below"
    )
    if what_if is not None:
        title += f",\nas if {what_if} had held (--what-if)"
    lines = [title, ""]
    for row in [header, *rows]:
        if not row:
            lines.append("")
            continue
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [
            cell.rjust(width)
            for cell, width in zip(row[2:], widths[2:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(
        "total adds each namespace's clients, as Vault does;"
        " distinct counts each client once."
    )
    if not report.is_exact:
        lines.append(
            "~ marks an estimate (HyperLogLog); --format json gives its"
            " bounds."
        )
    return "\n".join(lines) + "\n"


def _csv(report: ActivityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "month",
            "namespace_id",
            "namespace_path",
            "entity_clients",
            "non_entity_clients",
            "acme_clients",
            "secret_syncs",
            "clients",
            "new_clients",
            "is_exact",
        ]
    )
    for month in report.months:
        new_by_namespace = {
            ns.namespace_id: ns.counts.clients.value
            for ns in month.new_clients.namespaces
        }
        for namespace in month.namespaces:
            counts = namespace.counts
            writer.writerow(
                [
                    f"{month.timestamp:%Y-%m}",
                    namespace.namespace_id,
                    namespace.namespace_path,
                    counts.entity_clients.value,
                    counts.non_entity_clients.value,
                    counts.acme_clients.value,
                    counts.secret_syncs.value,
                    counts.clients.value,
                    new_by_namespace.get(namespace.namespace_id, 0),
                    "true" if counts.is_exact else "false",
                ]
            )
    return out.getvalue()
