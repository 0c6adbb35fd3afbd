"""
``clientid compare``: does Vault agree with clientid's count?

Vault's ``sys/internal/counters/activity`` response for a period, beside
clientid's count of the same months from audit logs (read exactly as
``count`` reads them) and/or a ``--state`` file: every count per month,
namespace, mount and client type, both numbers, their difference and its
ratio to Vault's.

Exit status, as diff(1): 0 when every count agrees (within
``--tolerance``), 1 when some differ, 2 for any trouble (usage, or input
that cannot be used).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, NamedTuple

import attrs

from clientid.activity.compare import CountDifference, ReportDifference
from clientid.activity.report import ActivityReport
from clientid.cli._run import (
    Run,
    UsageError,
    WhatIf,
    add_common_options,
    add_state_option,
    malformed_detail,
    read_audit,
)
from clientid.cli._sources import InputError, parse_json
from clientid.errors import MalformedRecordError

if TYPE_CHECKING:
    from clientid.cli import _Subparsers

__all__ = ["FORMATS", "Tolerance", "add_compare", "parse_tolerance"]

#: The output formats of ``compare``.
FORMATS: Final = ("table", "json", "csv")
#: The exit status when some count differs (beyond the tolerance).
DIFFERENT: Final = 1
#: The exit status of usage and input errors (diff's "trouble").
TROUBLE: Final = 2

_BOM: Final = b"\xef\xbb\xbf"
_TOLERANCE: Final = re.compile(
    r"(\d{1,12})|(\d{1,3}(?:\.\d{1,6})?)%", re.ASCII
)
_COLUMNS: Final = (
    "month",
    "new_clients",
    "namespace_id",
    "namespace_path",
    "mount_path",
    "type",
    "vault",
    "clientid",
    "difference",
    "relative",
    "is_estimate",
    "beyond_tolerance",
)


class Tolerance(NamedTuple):
    """How far a count may differ and still agree: clients or a ratio."""

    text: str
    clients: int
    ratio: float | None

    @property
    def lenient(self) -> bool:
        """Whether any difference at all is allowed."""
        return bool(self.clients or self.ratio)

    def allows(self, row: CountDifference) -> bool:
        """Whether *row*'s difference is within the tolerance."""
        if row.difference == 0:
            return True
        if self.ratio is None:
            return abs(row.difference) <= self.clients
        return row.relative is not None and abs(row.relative) <= self.ratio


def parse_tolerance(text: str) -> Tolerance:
    """
    Read ``--tolerance``: clients (``3``) or a percentage (``0.5%``).

    Raises:
        argparse.ArgumentTypeError: It is neither.
    """
    match = _TOLERANCE.fullmatch(text)
    if match is None:
        msg = (
            "must be a number of clients (3) or a percentage of Vault's"
            f" count (0.5%), got {text!r}"
        )
        raise argparse.ArgumentTypeError(msg)
    clients, percent = match.groups()
    if clients is not None:
        return Tolerance(text, int(clients), None)
    return Tolerance(text, 0, float(percent) / 100)


def add_compare(subparsers: _Subparsers) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare Vault's activity API response with clientid's count",
        description="Compare Vault's sys/internal/counters/activity"
        " response with clientid's count of audit logs (read as count reads"
        " them) and/or a --state file, over the response's months: every"
        " count per month, namespace, mount and client type.  Exit status"
        " 0 when all agree, 1 when some differ, 2 on trouble.",
    )
    parser.add_argument(
        "vault",
        metavar="VAULT_JSON",
        help="Vault's activity response (the whole response or its data"
        " object), or - for standard input",
    )
    parser.add_argument(
        "logs", nargs="*", metavar="LOG", help="audit log file, directory or -"
    )
    parser.add_argument(
        "--prefix",
        default="",
        help="the prefix the file audit device writes before each entry",
    )
    add_state_option(parser)
    add_common_options(parser, strict_status=TROUBLE)
    parser.add_argument(
        "--tolerance",
        type=parse_tolerance,
        default=Tolerance("0", 0, None),
        metavar="N|P%",
        help="let counts differ by up to N clients, or P%% of Vault's"
        " count, and still agree (default: 0)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="all_rows",
        help="list every count, not only those that differ",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), JSON or CSV rows",
    )
    parser.set_defaults(run=run_compare, trouble=TROUBLE)


def _read_vault(name: str) -> ActivityReport:
    """
    Read the Vault response file (or standard input).

    Raises:
        InputError: It cannot be read, is not JSON, or is not Vault's
            activity response.
    """
    if name == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            msg = f"{name}: cannot open ({exc.strerror or exc})"
            raise InputError(msg) from exc
    try:
        document = parse_json(data.removeprefix(_BOM))
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{name}: not JSON: {reason}"
        raise InputError(msg) from exc
    try:
        return ActivityReport.from_vault_response(document)
    except MalformedRecordError as exc:
        msg = f"{name}: not Vault's activity response: {malformed_detail(exc)}"
        raise InputError(msg) from exc


def run_compare(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run ``compare``; 0 when the counts agree, 1 when they differ."""
    if not args.logs and args.state is None:
        msg = "compare needs audit logs or a --state file"
        raise UsageError(msg)
    if args.vault == "-" and "-" in args.logs:
        msg = "standard input (-) can be VAULT_JSON or a LOG, not both"
        raise UsageError(msg)
    vault = _read_vault(args.vault)
    run = Run(args, err)
    if args.logs:
        read_audit(run, args.logs)
    run.close()
    ours = run.report((vault.start_time, vault.end_time))
    assert ours is not None  # noqa: S101 (a window always gives a report)
    vault = attrs.evolve(vault, namespace_id=ours.namespace_id)
    difference = vault.compare(ours)
    tolerance: Tolerance = args.tolerance
    beyond = [row for row in difference.rows if not tolerance.allows(row)]
    shown = difference.rows if args.all_rows else tuple(beyond)
    if args.format == "json":
        out.write(_json(vault, difference, shown, tolerance, beyond))
    elif args.format == "csv":
        out.write(_csv(shown, tolerance))
    else:
        out.write(_table(vault, shown, tolerance, args.what_if))
    print(_verdict(difference, beyond, tolerance), file=err)
    return DIFFERENT if beyond else 0


def _verdict(
    difference: ReportDifference,
    beyond: list[CountDifference],
    tolerance: Tolerance,
) -> str:
    total = len(difference.rows)
    if beyond:
        tail = (
            f" beyond the tolerance of {tolerance.text}"
            if tolerance.lenient
            else ""
        )
        return (
            f"clientid differs from Vault in {len(beyond):,} of {total:,}"
            f" counts{tail}"
        )
    changed = len(difference.changed)
    tail = (
        f" within the tolerance of {tolerance.text} ({changed:,} differ)"
        if changed
        else ""
    )
    return f"clientid agrees with Vault on all {total:,} counts{tail}"


def _table(
    vault: ActivityReport,
    shown: tuple[CountDifference, ...],
    tolerance: Tolerance,
    what_if: WhatIf | None,
) -> str:
    title = (
        f"Vault's counts and clientid's, {vault.start_time:%Y-%m} to"
        f" {vault.end_time:%Y-%m}, namespace {vault.namespace_id} and below"
    )
    if what_if is not None:
        title += f",\nclientid's as if {what_if.name} had held (--what-if)"
    table = ReportDifference(rows=shown).to_table(
        changed_only=False, labels=("vault", "clientid")
    )
    if not shown and tolerance.lenient:
        table = table.replace(
            "(no differences)",
            f"(no differences beyond the tolerance of {tolerance.text})",
        )
    notes = (
        "diff = clientid - vault; rel = diff / vault;"
        " ~ marks a clientid estimate."
    )
    return f"{title}\n\n{table}\n{notes}\n"


def _fields(
    row: CountDifference, tolerance: Tolerance
) -> dict[str, str | int | float | bool | None]:
    return {
        "month": None if row.month is None else f"{row.month:%Y-%m}",
        "new_clients": row.new_clients,
        "namespace_id": row.namespace_id,
        "namespace_path": row.namespace_path,
        "mount_path": row.mount_path,
        "type": "clients"
        if row.client_type is None
        else row.client_type.value,
        "vault": row.this.value,
        "clientid": row.other.value,
        "difference": row.difference,
        "relative": row.relative,
        "is_estimate": row.is_estimate,
        "beyond_tolerance": not tolerance.allows(row),
    }


def _json(
    vault: ActivityReport,
    difference: ReportDifference,
    shown: tuple[CountDifference, ...],
    tolerance: Tolerance,
    beyond: list[CountDifference],
) -> str:
    document = {
        "start_time": f"{vault.start_time:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{vault.end_time:%Y-%m-%dT%H:%M:%SZ}",
        "namespace_id": vault.namespace_id,
        "tolerance": tolerance.text,
        "counts": len(difference.rows),
        "differing": len(beyond),
        "agrees": not beyond,
        "rows": [_fields(row, tolerance) for row in shown],
    }
    return json.dumps(document, indent=2) + "\n"


def _csv(shown: tuple[CountDifference, ...], tolerance: Tolerance) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for row in shown:
        fields = _fields(row, tolerance)
        writer.writerow(
            [
                "true"
                if value is True
                else "false"
                if value is False
                else ""
                if value is None
                else value
                for value in fields.values()
            ]
        )
    return out.getvalue()
