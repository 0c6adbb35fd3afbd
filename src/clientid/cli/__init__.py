"""
The ``clientid`` command: the edge that opens files and writes to terminals.

Subcommands read Vault audit logs (``count``) or activity exports
(``export``) into an :class:`~clientid.ActivityLog`, optionally kept between
runs in a ``--state`` file, and print the report as a table, JSON, CSV or
Vault's own response; ``chart`` draws the months.  Each subcommand is one
``_add_<name>`` function in :data:`SUBCOMMANDS`.

Exit status: 0 when the report was made, 1 when the input could not be
used (``--strict`` and a malformed line, an unreadable file, a refused
state file, a missing optional package) or the output was closed early,
2 for usage errors.

May import: everything in clientid; nothing imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, TypeAlias, cast

from clientid.activity.log import ActivityLog
from clientid.cli._progress import Progress
from clientid.cli._render import FORMATS, render
from clientid.cli._sources import (
    InputError,
    Item,
    Stats,
    expand,
    merged,
    raw_lines,
)
from clientid.cli._state import StateError, load_state, save_state
from clientid.cli._times import Period, parse_period
from clientid.errors import (
    ClientIdError,
    InvalidModelError,
    MalformedRecordError,
)
from clientid.ingest.audit import AuditLogReader
from clientid.ingest.common import SkipReason
from clientid.ingest.export import ExportReader

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from clientid.activity.report import ActivityReport
    from clientid.model.events import ClientEvent

    _Subparsers: TypeAlias = argparse._SubParsersAction[  # noqa: SLF001 (argparse's own type)
        argparse.ArgumentParser
    ]

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: How many malformed lines are shown one by one before a summary.
_SHOWN_PROBLEMS: Final = 10
#: Lines between progress redraw checks.
_TICK_LINES: Final = 4096


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


class _StrictStopError(Exception):
    """``--strict`` met a malformed line (exit status 1)."""


# --------------------------------------------------------------------------
# One run: state, window, problems, report.
# --------------------------------------------------------------------------


class _Run:
    """What a counting subcommand shares: state, filters and problems."""

    def __init__(self, args: argparse.Namespace, stderr: IO[str]) -> None:
        self.args = args
        self.stderr = stderr
        self.state_path: Path | None = args.state
        state = load_state(args.state) if args.state is not None else None
        self.log = (
            state.log
            if state is not None
            else ActivityLog(retention_months=None)
        )
        self.reader_image = state.reader_image if state is not None else None
        self.stats = Stats()
        self.progress = Progress(stderr, self.stats, enabled=not args.quiet)
        self.problems = 0
        self.outside = 0
        self.start: Period | None = args.start
        self.end: Period | None = args.end
        if self.start and self.end and self.start.start >= self.end.end:
            msg = "--from must not be later than --to"
            raise UsageError(msg)

    def problem(self, item: Item, message: str) -> None:
        """Count a malformed line; stop here under ``--strict``."""
        self.problems += 1
        if self.problems <= _SHOWN_PROBLEMS or self.args.strict:
            self.progress.finish()
            print(f"{item.name}:{item.line}: {message}", file=self.stderr)
        if self.args.strict:
            raise _StrictStopError

    def record(self, event: ClientEvent) -> None:
        """Record an event inside ``--from``/``--to``."""
        at = event.at
        if (self.start is not None and at < self.start.start) or (
            self.end is not None and at >= self.end.end
        ):
            self.outside += 1
            return
        self.log.record_event(event)

    def tick(self) -> None:
        if self.stats.lines % _TICK_LINES == 0:
            self.progress.tick()

    def report(self) -> ActivityReport | None:
        """The report over the window (or every month), scoped."""
        log = self.log
        if self.start is None and self.end is None and not log.months:
            return None
        first = self.start.start if self.start else None
        last = (
            self.end.end - dt.timedelta(microseconds=1) if self.end else None
        )
        if first is None:
            first = log.months[0] if log.months else last
        if last is None:
            last = log.months[-1] if log.months else first
        assert first is not None  # noqa: S101 (one of them is set)
        assert last is not None  # noqa: S101
        namespace = self.args.namespace
        try:
            scope = log.namespace_for(namespace)
        except InvalidModelError:
            known = ", ".join(
                ns.namespace_path or "[root]"
                for ns in log.report(first, last).by_namespace
            )
            msg = (
                f"--namespace {namespace!r} names no namespace the input"
                f" revealed (by path or ID; seen: {known or 'none'})"
            )
            raise UsageError(msg) from None
        last = max(last, first)
        return log.report(first, last, namespace_id=scope)

    def finish(self, out: IO[str]) -> int:
        """Save the state, print the report; the exit status."""
        self.progress.finish()
        if self.state_path is not None:
            save_state(self.state_path, self.log, self.reader_image)
        if self.problems:
            print(
                f"malformed: {self.problems:,} lines skipped (lenient;"
                " --strict makes them an error)",
                file=self.stderr,
            )
        if self.outside:
            print(
                f"outside --from/--to: {self.outside:,} client events",
                file=self.stderr,
            )
        report = self.report()
        if report is None:
            print(
                "clientid: no client activity in the input", file=self.stderr
            )
            return 0
        out.write(render(report, self.args.format))
        return 0


# --------------------------------------------------------------------------
# Subcommands.
# --------------------------------------------------------------------------


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="load the counts kept in FILE (if it exists), add this input,"
        " and save them back atomically",
    )
    parser.add_argument(
        "--from",
        dest="start",
        type=parse_period,
        metavar="WHEN",
        help="count from this month (2025-03), day (2025-03-01), RFC 3339"
        " time or Unix seconds on",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=parse_period,
        metavar="WHEN",
        help="count up to the end of this month, day, or up to this time",
    )
    parser.add_argument(
        "--namespace",
        default="",
        metavar="PATH_OR_ID",
        help="report this namespace and its children only (default: root)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first malformed line with exit status 1 (default:"
        " count it as malformed and go on)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line"
    )


def _add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), clientid's JSON, CSV rows, or Vault's"
        " activity API response JSON",
    )


def _add_count(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "count",
        help="count the clients in Vault audit logs",
        description="Count the Vault clients in audit logs: files (plain,"
        " .gz, .zst), directories of them, or - for standard input; several"
        " files (a rotated set, several nodes) are merged in time order.",
    )
    parser.add_argument(
        "logs", nargs="+", metavar="LOG", help="audit log file, directory or -"
    )
    parser.add_argument(
        "--prefix",
        default="",
        help="the prefix the file audit device writes before each entry",
    )
    _add_input_options(parser)
    _add_format_option(parser)
    parser.set_defaults(run=_run_count)


def _read_audit(run: _Run, logs: Sequence[str]) -> None:
    """Feed audit logs to the reader (restored from the state) and log."""
    args = run.args
    reader = (
        AuditLogReader.from_bytes(run.reader_image)
        if run.reader_image is not None
        else AuditLogReader()
    )
    for item in merged(expand(logs), run.stats, args.prefix):
        run.tick()
        if item.error is not None:
            run.problem(item, item.error)
            continue
        try:
            event = reader.feed(item.value)  # type: ignore[arg-type]
        except MalformedRecordError as exc:
            run.problem(item, f"{exc.field} {exc.reason}, got {exc.value!r}")
            continue
        if event is not None:
            run.record(event)
    reader.describe(run.log)
    run.reader_image = reader.to_bytes()
    run.progress.finish()
    print(_audit_summary(reader), file=run.stderr)


def _audit_summary(reader: AuditLogReader) -> str:
    skipped = reader.skipped
    del skipped[SkipReason.MALFORMED]
    parts = ", ".join(
        f"{count:,} {reason.value}"
        for reason, count in skipped.items()
        if count
    )
    return (
        f"counted {reader.counted:,} client events"
        f" ({reader.approximate:,} attributed approximately);"
        f" skipped: {parts or 'none'}"
    )


def _run_count(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    run = _Run(args, err)
    _read_audit(run, args.logs)
    return run.finish(out)


def _add_export(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="count the clients in Vault activity export files",
        description="Count the clients in Vault activity export files (JSON"
        " lines or CSV, any Vault version; plain, .gz or .zst).",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="export file, directory or -"
    )
    _add_input_options(parser)
    _add_format_option(parser)
    parser.set_defaults(run=_run_export)


def _export_records(
    run: _Run, name: str, raw: IO[bytes]
) -> Iterator[tuple[Item, Mapping[str, object] | None]]:
    """Yield each record of a JSON-lines or CSV export with its place."""
    lines = raw_lines(name, raw, run.stats)
    first = next(lines, None)
    if first is None:
        return
    _number, text, error = first
    if error is None and not text.lstrip().startswith(b"{"):
        yield from _csv_records(name, first, lines)
        return
    for number, text, error in _chain(first, lines):
        if error is not None:
            yield Item(name, number, None, error), None
        else:
            yield Item(name, number, *_json_record(text)), None


def _chain(
    first: tuple[int, bytes, str | None],
    rest: Iterator[tuple[int, bytes, str | None]],
) -> Iterator[tuple[int, bytes, str | None]]:
    yield first
    yield from rest


def _json_record(text: bytes) -> tuple[object, str | None]:
    from clientid.cli._sources import parse_json  # noqa: PLC0415

    try:
        return parse_json(text), None
    except (ValueError, RecursionError) as exc:
        return None, f"line is not JSON (torn or truncated?): {exc}"


def _csv_records(
    name: str,
    header: tuple[int, bytes, str | None],
    lines: Iterator[tuple[int, bytes, str | None]],
) -> Iterator[tuple[Item, Mapping[str, object] | None]]:
    numbers: list[int] = []
    errors: list[Item] = []

    def texts() -> Iterator[str]:
        for number, text, error in _chain(header, lines):
            numbers.append(number)
            if error is not None:
                errors.append(Item(name, number, None, error))
                continue
            yield text.decode("utf-8", errors="replace")

    for row in csv.DictReader(texts()):
        yield from ((error, None) for error in errors)
        errors.clear()
        if None in row or None in row.values():
            reason = "CSV row has the wrong number of fields (torn?)"
            yield Item(name, numbers[-1], None, reason), None
            continue
        yield Item(name, numbers[-1], row, None), row
    yield from ((error, None) for error in errors)


def _run_export(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    run = _Run(args, err)
    reader = ExportReader()
    for source in expand(args.files):
        with source.open() as raw:
            for item, _row in _export_records(run, source.name, raw):
                run.tick()
                if item.error is not None:
                    run.problem(item, item.error)
                    continue
                try:
                    event = reader.feed(item.value)  # type: ignore[arg-type]
                except MalformedRecordError as exc:
                    run.problem(
                        item, f"{exc.field} {exc.reason}, got {exc.value!r}"
                    )
                    continue
                # A strict reader returns an event or raises.
                run.record(cast("ClientEvent", event))
    run.progress.finish()
    print(f"counted {reader.counted:,} export records", file=err)
    return run.finish(out)


def _add_chart(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "chart",
        help="draw monthly clients by type as a PNG (needs clientid[plot])",
        description="Draw the monthly clients by type, and the new clients,"
        " of audit logs and/or a --state file; estimated months are marked.",
    )
    parser.add_argument(
        "logs", nargs="*", metavar="LOG", help="audit log file, directory or -"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="the PNG file to write"
    )
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    _add_input_options(parser)
    parser.set_defaults(run=_run_chart, format="table")


def _run_chart(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from clientid.cli._chart import ChartError, draw  # noqa: PLC0415

    if not args.logs and args.state is None:
        msg = "chart needs audit logs or a --state file"
        raise UsageError(msg)
    run = _Run(args, err)
    if args.logs:
        _read_audit(run, args.logs)
    run.progress.finish()
    if run.state_path is not None:
        save_state(run.state_path, run.log, run.reader_image)
    report = run.report()
    if report is None:
        print("clientid: no client activity to draw", file=err)
        return 1
    try:
        draw(report, args.out)
    except ChartError as exc:
        print(f"clientid: {exc}", file=err)
        return 1
    print(f"wrote {args.out}", file=out)
    return 0


#: The subcommands, in help order; each adds its parser and sets ``run``.
SUBCOMMANDS: Final[list[Callable[[_Subparsers], None]]] = [
    _add_count,
    _add_export,
    _add_chart,
]


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser, every subcommand added."""
    parser = argparse.ArgumentParser(
        prog="clientid",
        description="Count Vault clients in audit logs and activity exports,"
        " as Vault counts them.",
    )
    subparsers = parser.add_subparsers(
        title="subcommands", dest="command", required=True
    )
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """
    Run the command; return its exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        stdout: Where the report goes (default: standard output).
        stderr: Where progress and messages go (default: standard error).
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        # argparse writes its usage errors and help to sys.stdout/stderr.
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return _run_reporting_errors(parser, args, out, err)


def _run_reporting_errors(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    out: IO[str],
    err: IO[str],
) -> int:
    """Run the subcommand; turn every expected failure into a status."""
    run: Callable[[argparse.Namespace, IO[str], IO[str]], int] = args.run
    try:
        code = run(args, out, err)
        out.flush()
    except BrokenPipeError:
        # The reader of a pipe (``| head``) went away; Python would print a
        # traceback when it flushes standard output at exit, so point it at
        # the null device first.
        if out is sys.stdout:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
        return 1
    except UsageError as exc:
        parser.print_usage(err)
        print(f"clientid: error: {exc}", file=err)
        return 2
    except _StrictStopError:
        print(
            "clientid: --strict: stopped at the first malformed line;"
            " no report, state file not written",
            file=err,
        )
        return 1
    except (InputError, StateError, ClientIdError) as exc:
        print(f"clientid: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        print("clientid: interrupted; state file not written", file=err)
        return 130
    return code
