"""
Generate ``data/sample-vault-activity.json``, a stand-in for Vault's answer.

No Vault ever saw the bundled sample audit log, so there is no real
``sys/internal/counters/activity`` response for it.  This script makes the
nearest honest thing, for ``clientid compare`` to be tried on: clientid's
own count of the sample, written by clientid's writer in the shape of
Vault's response (:meth:`clientid.ActivityReport.to_vault_response`),
wrapped in the envelope ``vault read -format=json`` prints, with one
deliberate change: in February 2025 Vault counts one entity client more in
``team-a/`` on its ``auth/userpass/`` mount, as it would if one of
January's ``team-a/`` users had logged in in February on a node whose audit
log is missing.  She is not new in February and was already counted in the
range, so only February's counts (the month, the namespace and the mount)
change, and ``clientid compare`` shows six differences.

The output depends only on the sample, so running this again writes the
same bytes.

Run: ``python examples/make_sample_vault_response.py``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from clientid import ActivityLog, AuditLogReader

HERE: Final = Path(__file__).parent
SAMPLE: Final = HERE / "data" / "sample-audit-log.jsonl"
OUTPUT: Final = HERE / "data" / "sample-vault-activity.json"
#: Where Vault's count differs: the month, the namespace and the mount.
MONTH: Final = "2025-02-01T00:00:00Z"
NAMESPACE: Final = "team-a/"
MOUNT: Final = "auth/userpass/"


def counted() -> dict[str, Any]:
    """clientid's count of the sample, in Vault's response shape."""
    reader = AuditLogReader()
    log = ActivityLog(retention_months=None)
    with SAMPLE.open(encoding="utf-8") as lines:
        for line in lines:
            event = reader.feed(json.loads(line))
            if event is not None:
                log.record_event(event)
    reader.describe(log)
    return log.report(log.months[0], log.months[-1]).to_vault_response()


def _one_more_entity(counts: dict[str, int]) -> None:
    counts["entity_clients"] += 1
    counts["clients"] += 1


def perturbed(data: dict[str, Any]) -> dict[str, Any]:
    """Vault sees one returning entity more in February's team-a/."""
    month = next(m for m in data["months"] if m["timestamp"] == MONTH)
    namespace = next(
        ns for ns in month["namespaces"] if ns["namespace_path"] == NAMESPACE
    )
    mount = next(m for m in namespace["mounts"] if m["mount_path"] == MOUNT)
    for counts in (month["counts"], namespace["counts"], mount["counts"]):
        _one_more_entity(counts)
    return data


def build() -> str:
    """The file's text: the response envelope around the changed data."""
    response = {
        "request_id": "00000000-0000-4000-8000-000000000000",
        "lease_id": "",
        "lease_duration": 0,
        "renewable": False,
        "data": perturbed(counted()),
        "warnings": None,
    }
    return json.dumps(response, indent=2) + "\n"


def main() -> None:
    """Write the stand-in response next to the sample log."""
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
