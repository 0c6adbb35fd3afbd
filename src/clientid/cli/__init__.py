"""
The ``clientid`` command: the edge that opens files and writes to terminals.

Subcommands read Vault audit logs (``count``) or activity exports
(``export``) into an :class:`~clientid.ActivityLog`, optionally kept between
runs in a ``--state`` file, and print the report (of the world as a
``--what-if`` scenario would have it, if given) as a table, JSON, CSV or
Vault's own response; ``chart`` draws the months; ``compare`` sets Vault's
activity response beside the same count.  Each subcommand is one
``add_<name>`` function in :data:`SUBCOMMANDS`; what they share (options,
state, the report) is in ``_run``, ``compare`` in ``_compare``.

Exit status: 0 when the report was made, 1 when the input could not be
used (``--strict`` and a malformed line, an unreadable file, a refused
state file, a missing optional package) or the output was closed early,
2 for usage errors (and a ``--what-if`` scenario that is malformed or
cannot apply).  ``compare`` follows diff(1) instead: 0 when the counts
agree, 1 when they differ, 2 for any trouble (a subcommand sets
``trouble`` to the status of input errors).

May import: everything in clientid; nothing imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, TypeAlias, cast

from clientid.cli._compare import add_compare
from clientid.cli._run import (
    Run,
    StrictStopError,
    UsageError,
    add_format_option,
    add_input_options,
    malformed_detail,
    read_audit,
)
from clientid.cli._sources import InputError, Item, expand, raw_lines
from clientid.cli._state import StateError, save_state
from clientid.errors import ClientIdError, MalformedRecordError
from clientid.ingest.export import ExportReader

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from clientid.model.events import ClientEvent

    _Subparsers: TypeAlias = argparse._SubParsersAction[  # noqa: SLF001 (argparse's own type)
        argparse.ArgumentParser
    ]

__all__ = ["SUBCOMMANDS", "build_parser", "main"]


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
    add_input_options(parser)
    add_format_option(parser)
    parser.set_defaults(run=_run_count)


def _run_count(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    run = Run(args, err)
    read_audit(run, args.logs)
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
    add_input_options(parser)
    add_format_option(parser)
    parser.set_defaults(run=_run_export)


def _export_records(
    run: Run, name: str, raw: IO[bytes]
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
    run = Run(args, err)
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
                    run.problem(item, malformed_detail(exc))
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
    add_input_options(parser)
    parser.set_defaults(run=_run_chart, format="table")


def _run_chart(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from clientid.cli._chart import ChartError, draw  # noqa: PLC0415

    if not args.logs and args.state is None:
        msg = "chart needs audit logs or a --state file"
        raise UsageError(msg)
    run = Run(args, err)
    if args.logs:
        read_audit(run, args.logs)
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
    add_compare,
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
    # The status of input that cannot be used (compare's is 2, as diff's).
    trouble: int = getattr(args, "trouble", 1)
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
        return trouble
    except UsageError as exc:
        parser.print_usage(err)
        print(f"clientid: error: {exc}", file=err)
        return 2
    except StrictStopError:
        print(
            "clientid: --strict: stopped at the first malformed line;"
            " no report, state file not written",
            file=err,
        )
        return trouble
    except (InputError, StateError, ClientIdError) as exc:
        print(f"clientid: {exc}", file=err)
        return trouble
    except KeyboardInterrupt:
        print("clientid: interrupted; state file not written", file=err)
        return 130
    return code
