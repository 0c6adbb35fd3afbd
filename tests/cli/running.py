"""
Running the ``clientid`` command in this process; the files it leaves; the
sample read by the library.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import NamedTuple

from clientid import ActivityLog, AuditLogReader, cli

ROOT = Path(__file__).resolve().parents[2]


class Result(NamedTuple):
    """A run's exit status, standard output and standard error."""

    code: int
    out: str
    err: str


def in_process(args: list[str], stdin: bytes | None, monkeypatch) -> Result:
    """Run :func:`clientid.cli.main`, *stdin* as standard input."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(args, stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[Path, bytes]:
    """Every file under *root*, with its bytes."""
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def restore(root: Path, files: dict[Path, bytes]) -> None:
    """Put *root* back as :func:`snapshot` found it."""
    for path in snapshot(root):
        if path not in files:
            path.unlink()
    for path, data in files.items():
        path.write_bytes(data)


def sample_log(exact_limit: int | None = None) -> tuple[ActivityLog, bytes]:
    """The sample read by the library, and the reader's image."""
    reader = AuditLogReader()
    log = (
        ActivityLog(retention_months=None)
        if exact_limit is None
        else ActivityLog(retention_months=None, exact_limit=exact_limit)
    )
    with (ROOT / "examples" / "data" / "sample-audit-log.jsonl").open(
        encoding="utf-8"
    ) as lines:
        for line in lines:
            event = reader.feed(json.loads(line))
            if event is not None:
                log.record_event(event)
    reader.describe(log)
    return log, reader.to_bytes()
