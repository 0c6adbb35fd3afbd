"""
The ``--state`` file: a saved activity log and audit reader.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Final, NamedTuple

from clientid.activity.log import ActivityLog
from clientid.errors import DecodeError
from clientid.ingest.audit import AuditLogReader

__all__ = ["State", "StateError", "load_state", "save_state"]

#: The first bytes of a state file.
STATE_MAGIC: Final = b"CIDS"
STATE_FORMAT_VERSION: Final = 1
# Magic, version, CRC-32 of the rest, then the log image's length.
_HEADER: Final = struct.Struct("<4sBIQ")


class StateError(Exception):
    """The state file cannot be used; the message says why."""


class State(NamedTuple):
    """What a state file holds."""

    log: ActivityLog
    reader_image: bytes | None


def _encode(log: ActivityLog, reader_image: bytes | None) -> bytes:
    image = log.to_bytes()
    body = image + (reader_image or b"")
    crc = zlib.crc32(body)
    header = _HEADER.pack(STATE_MAGIC, STATE_FORMAT_VERSION, crc, len(image))
    return header + body


def load_state(path: Path) -> State | None:
    """
    Read a state file; ``None`` if there is none yet.

    Raises:
        StateError: The file is unreadable, foreign or corrupt (and is left
            as it is).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        msg = f"{path}: cannot read the state file ({exc.strerror or exc})"
        raise StateError(msg) from exc
    refused = f"{path}: refusing the state file, left untouched:"
    if len(data) < _HEADER.size or not data.startswith(STATE_MAGIC):
        msg = f"{refused} it is not a clientid state file"
        raise StateError(msg)
    _magic, version, crc, size = _HEADER.unpack_from(data)
    if version != STATE_FORMAT_VERSION:
        msg = (
            f"{refused} its format version is {version}, this clientid"
            f" reads {STATE_FORMAT_VERSION}"
        )
        raise StateError(msg)
    body = data[_HEADER.size :]
    if zlib.crc32(body) != crc or size > len(body):
        msg = f"{refused} it is corrupt (checksum mismatch)"
        raise StateError(msg)
    try:
        log = ActivityLog.from_bytes(body[:size])
        reader_image = body[size:] or None
        if reader_image is not None:
            AuditLogReader.from_bytes(reader_image)
    except DecodeError as exc:
        msg = f"{refused} {exc}"
        raise StateError(msg) from exc
    return State(log, reader_image)


def save_state(
    path: Path, log: ActivityLog, reader_image: bytes | None
) -> None:
    """
    Replace the state file atomically.

    A temporary file in the same directory, flushed to disk, then renamed
    over the old one: a crash leaves the old file or the new, never half.
    """
    data = _encode(log, reader_image)
    directory = path.parent
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
    # The rename is durable once the directory is synced (POSIX).
    with contextlib.suppress(OSError):
        directory_handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_handle)
        finally:
            os.close(directory_handle)
