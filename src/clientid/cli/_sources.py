"""
Input files: expansion, decompression, lines, JSON, and the time merge.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import heapq
import io
import re
import sys
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, NamedTuple, cast, final

from clientid.ingest.common import json_loads

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ["Item", "Source", "Stats", "expand", "merged", "parse_json"]

_BOM: Final = b"\xef\xbb\xbf"
_GZIP_MAGIC: Final = b"\x1f\x8b"
_ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
_TIME: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9})\d*)?"
    r"([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)
# Where a line without a readable time sorts before any with one.
_NO_TIME: Final = (-(1 << 62), 0)


def _stream_errors() -> tuple[type[Exception], ...]:
    # gzip raises OSError or EOFError, zlib its error, zstandard ZstdError.
    errors: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error)
    try:
        import zstandard  # noqa: PLC0415
    except ImportError:  # pragma: no cover - zstandard is in the test env
        return errors
    return (*errors, zstandard.ZstdError)


_STREAM_ERRORS: Final = _stream_errors()


#: The library's JSON line parser: orjson when installed, else the
#: standard library made to read exactly what orjson reads.
parse_json: Final = json_loads


class InputError(Exception):
    """An input cannot be read at all; the message names it."""


@final
class Stats:
    """Lines and bytes read so far, for the progress bar."""

    __slots__ = ("bytes", "lines")

    def __init__(self) -> None:
        self.lines = 0
        self.bytes = 0


class Item(NamedTuple):
    """One non-blank line: parsed JSON, or why it could not be."""

    name: str
    line: int
    value: object
    error: str | None


@final
class Source:
    """A file, a stream or ``-`` (standard input)."""

    __slots__ = ("_prefix_items", "_stream", "name", "path")

    def __init__(self, name: str, path: Path | None) -> None:
        self.name = name
        self.path = path
        self._stream: Iterator[Item] | None = None
        self._prefix_items: list[Item] = []

    def items(self, stats: Stats, prefix: str = "") -> Iterator[Item]:
        """Yield the source's lines, parsed (the prefix stripped)."""
        if self._stream is not None:
            yield from self._prefix_items
            yield from self._stream
            return
        with self.open() as raw:
            yield from _items(self.name, raw, stats, prefix)

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Open the source for reading bytes (standard input stays open)."""
        if self.path is None:
            yield sys.stdin.buffer
            return
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            msg = f"{self.name}: cannot open ({exc.strerror or exc})"
            raise InputError(msg) from exc
        with raw:
            yield raw

    def first_time(self, stats: Stats, prefix: str) -> tuple[int, int]:
        """The time key of the first entry (reads only the first lines)."""
        if self.path is None:
            # Standard input cannot be read twice: keep what was read.
            stream = self.items(stats, prefix)
            for item in stream:
                self._prefix_items.append(item)
                key = time_key(item.value)
                if key is not None:
                    self._stream = stream
                    return key
            self._stream = stream
            return _NO_TIME
        scratch = Stats()
        for item in self.items(scratch, prefix):
            key = time_key(item.value)
            if key is not None:
                return key
        return _NO_TIME


def expand(inputs: Sequence[str]) -> list[Source]:
    """
    Turn the command's arguments into sources.

    Files, directories (their regular, non-hidden files, by name) and
    ``-`` (standard input).
    """
    sources: list[Source] = []
    for given in inputs:
        if given == "-":
            sources.append(Source("<stdin>", None))
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(
                child
                for child in path.iterdir()
                if child.is_file() and not child.name.startswith(".")
            )
            sources.extend(Source(str(child), child) for child in found)
        elif path.exists():
            sources.append(Source(given, path))
        else:
            msg = f"{given}: no such file or directory"
            raise InputError(msg)
    return sources


def _decompressed(name: str, raw: IO[bytes]) -> Iterable[bytes]:
    buffered = (
        raw
        if isinstance(raw, io.BufferedReader)
        else io.BufferedReader(cast("io.RawIOBase", raw))
    )
    head = buffered.peek(4)[:4]
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=buffered, mode="rb")
    if head.startswith(_ZSTD_MAGIC):
        try:
            import zstandard  # noqa: PLC0415
        except ImportError:
            msg = (
                f"{name}: reading zstd files needs the zstandard package"
                " (pip install 'clientid[zstd]')"
            )
            raise InputError(msg) from None
        reader = zstandard.ZstdDecompressor().stream_reader(buffered)
        return io.BufferedReader(cast("io.RawIOBase", reader))
    return buffered


def _items(
    name: str, raw: IO[bytes], stats: Stats, prefix: str
) -> Iterator[Item]:
    for number, text, error in raw_lines(name, raw, stats, prefix):
        if error is not None:
            yield Item(name, number, None, error)
        else:
            yield _parsed(name, number, text)


def raw_lines(
    name: str, raw: IO[bytes], stats: Stats, prefix: str = ""
) -> Iterator[tuple[int, bytes, str | None]]:
    """
    Yield (line number, text, error) for each non-blank line of a stream.

    The text is decompressed, without BOM, line end or *prefix*.
    """
    stream = _decompressed(name, raw)
    encoded_prefix = prefix.encode("utf-8")
    number = 0
    try:
        for line in stream:
            number += 1
            stats.lines += 1
            stats.bytes += len(line)
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]  # noqa: PLW2901
            text = line.rstrip(b"\r\n")
            if encoded_prefix and text.startswith(encoded_prefix):
                text = text[len(encoded_prefix) :]
            if text.strip():
                yield number, text, None
    except _STREAM_ERRORS as exc:
        # A truncated or corrupt compressed stream: what was read counts,
        # and the rest is reported as one malformed line.
        yield (
            number + 1,
            b"",
            f"the compressed stream is truncated or corrupt ({exc})",
        )


def _parsed(name: str, number: int, text: bytes) -> Item:
    try:
        return Item(name, number, parse_json(text), None)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Item(
            name,
            number,
            None,
            f"line is not JSON (torn or truncated?): {reason}",
        )


def time_key(value: object) -> tuple[int, int] | None:
    """Seconds and nanoseconds of an entry's ``time``, or ``None``."""
    if type(value) is not dict:
        return None
    text = value.get("time")
    if type(text) is not str:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    offset = "+00:00" if offset in {"Z", "z"} else offset
    try:
        moment = dt.datetime.fromisoformat(f"{day}T{clock}{offset}")
    except ValueError:
        return None
    return int(moment.timestamp()), int((fraction or "").ljust(9, "0"))


def merged(
    sources: Sequence[Source], stats: Stats, prefix: str = ""
) -> Iterator[Item]:
    """
    Yield the items of every source in time order.

    Each source is taken to be in time order already (as an audit device
    writes it); sources are opened lazily, oldest first entry first, so a
    rotated set of many files holds only the overlapping ones open.  Lines
    without a readable time keep their place in their own source.
    """
    if len(sources) == 1:
        yield from sources[0].items(stats, prefix)
        return
    pending = sorted(
        (source.first_time(stats, prefix), rank, source)
        for rank, source in enumerate(sources)
    )
    pending.reverse()
    heap: list[tuple[tuple[int, int], int, int, Item, Iterator[Item]]] = []
    sequence = 0

    def push(key: tuple[int, int], rank: int, stream: Iterator[Item]) -> None:
        nonlocal sequence
        for item in stream:
            found = time_key(item.value)
            sequence += 1
            heapq.heappush(heap, (found or key, rank, sequence, item, stream))
            return

    while pending or heap:
        while pending and (not heap or pending[-1][0] <= heap[0][0]):
            first, rank, source = pending.pop()
            push(first, rank, source.items(stats, prefix))
        key, rank, _, item, stream = heapq.heappop(heap)
        yield item
        push(key, rank, stream)
