"""
``--from`` and ``--to``: a month, a day, an RFC 3339 time or Unix seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Final, NamedTuple

__all__ = ["Period", "parse_period"]

_MONTH: Final = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)
_SECONDS: Final = re.compile(r"\d{1,12}", re.ASCII)
_MICROSECOND: Final = dt.timedelta(microseconds=1)


class Period(NamedTuple):
    """A half-open span of time ``[start, end)`` that a bound names."""

    start: dt.datetime
    end: dt.datetime


def _rfc3339(text: str) -> dt.datetime:
    head, dot, rest = text.partition(".")
    if dot:
        # Python parses at most microseconds: drop the rest of a fraction.
        digits = re.match(r"\d+", rest)
        assert digits is not None  # noqa: S101 (the pattern matched)
        fraction = digits.group()[:6]
        text = f"{head}.{fraction}{rest[digits.end() :]}"
    text = text.replace(" ", "T").replace("t", "T")
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def parse_period(text: str) -> Period:
    """
    Return the span a ``--from``/``--to`` value names.

    ``2025-03`` is the month, ``2025-03-01`` the (UTC) day, an RFC 3339
    time or Unix seconds the instant itself.

    Raises:
        argparse.ArgumentTypeError: The text is none of those.
    """
    try:
        month = _MONTH.fullmatch(text)
        if month:
            start = dt.datetime(int(month[1]), int(month[2]), 1, tzinfo=dt.UTC)
            following = start + dt.timedelta(days=32)
            return Period(start, following.replace(day=1))
        if _DAY.fullmatch(text):
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return Period(start, start + dt.timedelta(days=1))
        if _RFC3339.fullmatch(text):
            moment = _rfc3339(text)
            return Period(moment, moment + _MICROSECOND)
        if _SECONDS.fullmatch(text):
            moment = dt.datetime.fromtimestamp(int(text), dt.UTC)
            return Period(moment, moment + _MICROSECOND)
    except (ValueError, OverflowError, OSError):
        pass
    msg = (
        f"must be a month (2025-03), a day (2025-03-01), an RFC 3339 time"
        f" (2025-03-01T12:00:00Z) or Unix seconds, got {text!r}"
    )
    raise argparse.ArgumentTypeError(msg)
