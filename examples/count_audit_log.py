"""
Count the Vault clients in an audit log and print the report.

By default it reads the bundled sample, ``data/sample-audit-log.jsonl``
(made by ``make_sample_audit_log.py``); pass the path of your own JSON audit
log (one entry per line, as Vault's file device writes it) to count that.

Run: ``python examples/count_audit_log.py [AUDIT_LOG]``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from clientid import (
    ActivityLog,
    ActivityReport,
    AuditLogReader,
    ClientCounts,
    NamespaceCounts,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

SAMPLE = Path(__file__).parent / "data" / "sample-audit-log.jsonl"


def entries(path: Path) -> Iterator[dict[str, object]]:
    """Yield the parsed entries of a JSON-lines audit log."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def describe(counts: ClientCounts) -> str:
    """Say how many clients of each kind, marking estimates."""
    parts = [
        f"{counts.entity_clients.value} entity",
        f"{counts.non_entity_clients.value} non-entity",
    ]
    if counts.acme_clients.value:
        parts.append(f"{counts.acme_clients.value} ACME")
    if counts.secret_syncs.value:
        parts.append(f"{counts.secret_syncs.value} secret-sync")
    estimate = "" if counts.is_exact else " (estimated)"
    return f"{counts.clients.value} clients{estimate} ({', '.join(parts)})"


def namespace_label(namespace: NamespaceCounts) -> str:
    """Name a namespace by path, or say it is root."""
    return namespace.namespace_path or "[root]"


def print_report(
    report: ActivityReport, reader: AuditLogReader, entry_count: int
) -> None:
    """Print the report and what the reader skipped, readably."""
    first, last = report.start_time, report.end_time
    print(f"Vault clients from {first:%Y-%m} to {last:%Y-%m}")
    print(f"  total: {describe(report.total)}")
    print(f"  distinct: {describe(report.distinct)}")
    print("  (total adds each namespace's clients, as Vault does;")
    print("   distinct counts each client ID once)")
    print()
    print("By namespace and auth mount:")
    for namespace in report.by_namespace:
        label = namespace_label(namespace)
        print(
            f"  namespace {label} ({namespace.namespace_id}): "
            f"{describe(namespace.counts)}"
        )
        for mount in namespace.mounts:
            where = (
                f"{mount.mount_path} ({mount.mount_type})"
                if mount.mount_accessors
                else "[mount unknown: token not joined to its login]"
            )
            print(f"    mount {where}: {mount.counts.clients.value}")
    print()
    print("By month:")
    for month in report.months:
        new = month.new_clients.counts.clients.value
        print(
            f"  month {month.timestamp:%Y-%m}: {describe(month.counts)}, "
            f"{new} new"
        )
    print()
    approximate = reader.approximate
    print(
        f"Read {entry_count} entries: {reader.counted} client events "
        f"({approximate} attributed approximately)."
    )
    print("Skipped entries:")
    for reason, count in reader.skipped.items():
        print(f"  skipped {reason.value}: {count}")
    for rejected in reader.rejected:
        print(f"  rejected: {rejected.reason}")


def main(argv: list[str]) -> int:
    """Count the clients of the log named in *argv*, or of the sample."""
    path = Path(argv[1]) if len(argv) > 1 else SAMPLE
    reader = AuditLogReader(lenient=True)
    log = ActivityLog(retention_months=None)
    entry_count = 0
    for entry in entries(path):
        entry_count += 1
        event = reader.feed(entry)
        if event is not None:
            log.record_event(event)
    if not log.months:
        print(f"No client activity in {path}.")
        return 1
    # Label namespaces and mounts with the paths the log revealed.
    for namespace in reader.namespaces:
        log.add_namespace(namespace)
    for mount in reader.mounts:
        log.add_mount(mount)
    report = log.report(log.months[0], log.months[-1])
    print_report(report, reader, entry_count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
