"""
A progress line on standard error: lines, bytes, and lines per second.
"""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    from collections.abc import Callable

    from clientid.cli._sources import Stats

__all__ = ["Progress"]

#: Seconds between redraws.
_INTERVAL: Final = 0.25


@final
class Progress:
    """
    Redraw one status line while input is read, if *stream* is a terminal.

    Args:
        stream: Where to draw (standard error).
        stats: The counters the readers advance.
        enabled: ``False`` for ``--quiet``.
        clock: Seconds, monotonic (replaceable in tests).
    """

    __slots__ = ("_clock", "_drawn", "_last", "_start", "_stats", "_stream")

    def __init__(
        self,
        stream: IO[str],
        stats: Stats,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if enabled and stream.isatty() else None
        self._stats = stats
        self._clock = clock
        self._start = self._last = clock()
        self._drawn = False

    def tick(self) -> None:
        """Redraw if the last drawing is old enough."""
        if self._stream is None:
            return
        now = self._clock()
        if now - self._last < _INTERVAL:
            return
        self._last = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        assert self._stream is not None  # noqa: S101 (tick checked it)
        stats = self._stats
        elapsed = max(now - self._start, 1e-9)
        text = (
            f"{stats.lines:,} lines, {stats.bytes / 1e6:,.1f} MB read,"
            f" {stats.lines / elapsed:,.0f} lines/s"
        )
        self._stream.write(f"\r{text:<60}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """Clear the status line, if one was drawn."""
        if self._stream is not None and self._drawn:
            self._stream.write("\r" + " " * 60 + "\r")
            self._stream.flush()
