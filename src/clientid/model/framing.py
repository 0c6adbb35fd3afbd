"""
Checked byte images of state: magic, version, CRC-32, compressed JSON.

The activity log and the audit reader save their state through these two
functions, so every saved image says what it is (a four-byte magic), which
layout it uses (a version byte) and whether it arrived intact (a CRC-32 of
the payload), before a single field of it is trusted.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Final

from clientid.errors import DecodeError, UnsupportedFormatError

__all__: list[str] = []

# Magic, version, CRC-32 of the compressed payload, uncompressed length.
_HEADER: Final = struct.Struct("<4sBIQ")
#: Deflate's best ratio: a 258-byte match costs at least 2 bits, so a
#: payload of n bytes inflates to at most 1032 * n bytes (zlib's own bound,
#: with room for the stream's header and checksum).
_MAX_RATIO: Final = 1032


def frame(magic: bytes, version: int, document: object) -> bytes:
    """Encode a JSON-ready document as a checked, compressed image."""
    text = json.dumps(
        document, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")
    payload = zlib.compress(text, 6)
    header = _HEADER.pack(magic, version, zlib.crc32(payload), len(text))
    return header + payload


def unframe(data: bytes, magic: bytes, version: int, what: str) -> object:
    """
    Decode an image written by :func:`frame` with this magic and version.

    Raises:
        UnsupportedFormatError: The magic or the version is not this one.
        DecodeError: The image is truncated, corrupt or not JSON.
    """
    view = memoryview(data)
    if len(view) < _HEADER.size:
        msg = f"{what} header must be {_HEADER.size} bytes, got {len(view)}"
        raise DecodeError([msg])
    found, found_version, crc, size = _HEADER.unpack_from(view)
    if found != magic:
        msg = f"{what} magic must be {magic!r}, got {found!r}"
        raise UnsupportedFormatError([msg])
    if found_version != version:
        msg = f"{what} format version must be {version}, got {found_version}"
        raise UnsupportedFormatError([msg])
    payload = bytes(view[_HEADER.size :])
    if zlib.crc32(payload) != crc:
        msg = f"{what} checksum must match its payload (the image is corrupt)"
        raise DecodeError([msg])
    if size > _MAX_RATIO * len(payload):
        # The checksum covers the payload, not the header: a corrupt length
        # is caught here, before it sizes an allocation.
        msg = (
            f"{what} payload of {len(payload)} bytes cannot inflate to"
            f" {size} bytes (the image is corrupt)"
        )
        raise DecodeError([msg])
    try:
        # The declared size bounds what decompression may allocate.
        inflater = zlib.decompressobj()
        text = inflater.decompress(payload, size + 1)
        if len(text) != size or not inflater.eof:
            msg = f"{what} payload must inflate to {size} bytes"
            raise DecodeError([msg])
        return json.loads(text.decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DecodeError):
            raise
        msg = f"{what} payload must be compressed JSON ({exc})"
        raise DecodeError([msg]) from exc
