"""
What the counting subcommands share: options, state, problems, the report.

``count``, ``export``, ``chart`` and ``compare`` read their input the same
way through :class:`Run`, so ``compare`` counts exactly as ``count`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, NamedTuple

from clientid.activity.log import ActivityLog
from clientid.activity.scenario import Scenario
from clientid.cli._progress import Progress
from clientid.cli._render import FORMATS, render
from clientid.cli._sources import Stats, expand, merged
from clientid.cli._state import load_state, save_state
from clientid.cli._times import Period, parse_period
from clientid.errors import (
    InvalidModelError,
    MalformedRecordError,
    SketchedMonthError,
)
from clientid.ingest.audit import AuditLogReader
from clientid.ingest.common import SkipReason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clientid.activity.report import ActivityReport
    from clientid.cli._sources import Item
    from clientid.model.events import ClientEvent
    from clientid.model.ids import NamespaceId

__all__ = [
    "Run",
    "StrictStopError",
    "UsageError",
    "WhatIf",
    "add_common_options",
    "add_format_option",
    "add_input_options",
    "add_state_option",
    "add_window_options",
    "read_audit",
    "read_what_if",
]

#: How many malformed lines are shown one by one before a summary.
_SHOWN_PROBLEMS: Final = 10
#: Lines between progress redraw checks.
_TICK_LINES: Final = 4096


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


class StrictStopError(Exception):
    """``--strict`` met a malformed line (exit status 1)."""


class WhatIf(NamedTuple):
    """A ``--what-if`` file: its name and the scenario it holds."""

    name: str
    scenario: Scenario


def read_what_if(name: str) -> WhatIf:
    """
    Read a ``--what-if`` scenario file (an argparse ``type``).

    Raises:
        argparse.ArgumentTypeError: The file cannot be read or is not a
            scenario; the message names the file, the JSON path, the rule
            and the value.
    """
    try:
        text = Path(name).read_bytes()
    except OSError as exc:
        msg = f"{name}: cannot open ({exc.strerror or exc})"
        raise argparse.ArgumentTypeError(msg) from exc
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name}: not a scenario: $ must be UTF-8 text ({exc.reason})"
        raise argparse.ArgumentTypeError(msg) from exc
    try:
        return WhatIf(name, Scenario.from_json(decoded))
    except MalformedRecordError as exc:
        msg = f"{name}: not a scenario: {malformed_detail(exc)}"
        raise argparse.ArgumentTypeError(msg) from exc


def malformed_detail(exc: MalformedRecordError) -> str:
    """
    The error's field, rule and value, without the record index.

    The command names the file and line itself.
    """
    return f"{exc.field} {exc.reason}, got {exc.value!r}"


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--state``, ``--from``/``--to`` and the rest of the input."""
    add_state_option(parser)
    add_window_options(parser)
    add_common_options(parser)


def add_state_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--state``."""
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="load the counts kept in FILE (if it exists), add this input,"
        " and save them back atomically",
    )


def add_window_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--from`` and ``--to``."""
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


def add_common_options(
    parser: argparse.ArgumentParser, *, strict_status: int = 1
) -> None:
    """
    Add ``--namespace``, ``--what-if``, ``--strict`` and ``--quiet``.

    *strict_status* is the exit status ``--strict`` stops with.
    """
    parser.add_argument(
        "--namespace",
        default="",
        metavar="PATH_OR_ID",
        help="report this namespace and its children only (default: root)",
    )
    parser.add_argument(
        "--what-if",
        dest="what_if",
        type=read_what_if,
        metavar="SCENARIO.json",
        help="report the world as if this scenario (moves, merges, drops,"
        " client ID mappings) had held during the whole period",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first malformed line with exit status"
        f" {strict_status} (default: count it as malformed and go on)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line"
    )


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--format`` with the report's formats."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), clientid's JSON, CSV rows, or Vault's"
        " activity API response JSON",
    )


class Run:
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
        self.start: Period | None = getattr(args, "start", None)
        self.end: Period | None = getattr(args, "end", None)
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
            raise StrictStopError

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
        """Redraw the progress line now and then."""
        if self.stats.lines % _TICK_LINES == 0:
            self.progress.tick()

    def window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The first and last instant to report, or ``None`` for none."""
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
        return first, max(last, first)

    def report(
        self, window: tuple[dt.datetime, dt.datetime] | None = None
    ) -> ActivityReport | None:
        """
        The report over *window* (default: the input's), scoped.

        Raises:
            UsageError: ``--namespace`` names no namespace, or the
                ``--what-if`` scenario cannot apply to this input.
        """
        window = window or self.window()
        if window is None:
            return None
        first, last = window
        scope = self.scope(first, last)
        what_if: WhatIf | None = getattr(self.args, "what_if", None)
        if what_if is None:
            return self.log.report(first, last, namespace_id=scope)
        try:
            return self.log.report(
                first, last, namespace_id=scope, scenario=what_if.scenario
            )
        except SketchedMonthError as exc:
            month = exc.month
            shown = (
                f"{month:%Y-%m}" if isinstance(month, dt.datetime) else month
            )
            msg = (
                f"--what-if {what_if.name}: month {shown} holds only"
                " sketches (it went past the exact limit, or was recorded"
                " as sketches), and a scenario that maps client IDs"
                " (map_clients) needs them; leave map_clients out, or"
                " report only months held exactly"
            )
            raise UsageError(msg) from exc
        except InvalidModelError as exc:
            msg = f"--what-if {what_if.name}: {exc}"
            raise UsageError(msg) from exc

    def scope(self, first: dt.datetime, last: dt.datetime) -> NamespaceId:
        """
        The ``--namespace`` as an ID.

        Raises:
            UsageError: It names no namespace the input revealed.
        """
        namespace = self.args.namespace
        try:
            return self.log.namespace_for(namespace)
        except InvalidModelError:
            known = ", ".join(
                ns.namespace_path or "[root]"
                for ns in self.log.report(first, last).by_namespace
            )
            msg = (
                f"--namespace {namespace!r} names no namespace the input"
                f" revealed (by path or ID; seen: {known or 'none'})"
            )
            raise UsageError(msg) from None

    def close(self) -> None:
        """Save the state; summarise the problems on standard error."""
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

    def finish(self, out: IO[str]) -> int:
        """Save the state, print the report; the exit status."""
        self.close()
        report = self.report()
        if report is None:
            print(
                "clientid: no client activity in the input", file=self.stderr
            )
            return 0
        what_if: WhatIf | None = getattr(self.args, "what_if", None)
        name = None if what_if is None else what_if.name
        out.write(render(report, self.args.format, what_if=name))
        return 0


def read_audit(run: Run, logs: Sequence[str]) -> None:
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
            run.problem(item, malformed_detail(exc))
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
