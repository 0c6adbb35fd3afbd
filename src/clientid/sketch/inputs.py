"""
What the distinct counters accept: client IDs, batches of them, and bytes.

One place checks the kind of every input of :class:`~clientid.HyperLogLog`,
:class:`~clientid.ExactClientSet` and :class:`~clientid.ClientCounter`, so
each entry point (``add``, ``update``, the decoders) rejects the same values
with the same :class:`~clientid.errors.InvalidModelError` or
:class:`~clientid.errors.DecodeError`:

* a client ID is a ``str`` (subclasses included; ``bytes`` are not IDs);
  a sketch also needs its UTF-8 form, so a lone surrogate is rejected, and
  a counter rejects the empty string, which a sketch would ignore;
* a batch is an iterable of client IDs, not one ``str`` or ``bytes`` (whose
  characters would be counted as IDs); items pulled from it before the
  iterator raises are counted, then its exception propagates;
* a serialized counter is a bytes-like object (``bytes``, ``bytearray``,
  ``memoryview``): anything else, an ``int`` above all, is refused before
  anything is allocated.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Final

from clientid.errors import DecodeError, InvalidModelError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "as_bytes",
    "check_batch",
    "check_client_id",
    "client_id_error",
    "feed_in_batches",
]

#: The rule a non-``str`` ID breaks.
TEXT_RULE: Final = "must be a str"
#: The rule an ID with a lone surrogate breaks.
UTF8_RULE: Final = "must be encodable as UTF-8"
#: The rule an empty ID breaks where empty IDs are not allowed.
EMPTY_RULE: Final = "must not be empty"


def client_id_error(
    client_id: object, *, allow_empty: bool, utf8: bool = True
) -> InvalidModelError | None:
    """
    Return the error a client ID deserves, or None if it is acceptable.

    Args:
        client_id: The value to check.
        allow_empty: Whether ``""`` is acceptable.
        utf8: Whether the ID needs a UTF-8 form (no lone surrogates).
    """
    if not isinstance(client_id, str):
        return InvalidModelError("client_id", client_id, TEXT_RULE)
    if not client_id and not allow_empty:
        return InvalidModelError("client_id", client_id, EMPTY_RULE)
    if utf8 and not client_id.isascii():
        try:
            client_id.encode("utf-8")
        except UnicodeEncodeError:
            return InvalidModelError("client_id", client_id, UTF8_RULE)
    return None


def check_client_id(
    client_id: object, *, allow_empty: bool, utf8: bool = True
) -> None:
    """
    Raise :class:`InvalidModelError` unless ``client_id`` is acceptable.

    Raises:
        InvalidModelError: The ID is not a ``str``, is empty where that is
            not allowed, or holds a lone surrogate where UTF-8 is needed.
    """
    error = client_id_error(client_id, allow_empty=allow_empty, utf8=utf8)
    if error is not None:
        raise error


def check_batch(
    batch: list[str], *, allow_empty: bool, utf8: bool = True
) -> tuple[int, InvalidModelError | None]:
    """
    Find the first unacceptable ID of a batch, checked in bulk.

    Returns:
        ``(len(batch), None)`` if every ID is acceptable, else the index of
        the first bad one and its error.
    """
    try:
        joined = "".join(batch)
    except TypeError:
        joined = None
    fine = (
        joined is not None
        and (not utf8 or joined.isascii())
        and (allow_empty or all(batch))
    )
    if fine:
        return len(batch), None
    for index, client_id in enumerate(batch):
        error = client_id_error(client_id, allow_empty=allow_empty, utf8=utf8)
        if error is not None:
            return index, error
    return len(batch), None


def _iterate(client_ids: Iterable[str]) -> Iterable[str]:
    """The iterator over a batch, refusing single strings and non-iterables."""
    field = "client_ids"
    if isinstance(client_ids, str | bytes | bytearray | memoryview):
        rule = "must be an iterable of client IDs, not one str or bytes"
        raise InvalidModelError(field, client_ids, rule)
    try:
        return iter(client_ids)
    except TypeError:
        rule = "must be an iterable of client IDs"
        raise InvalidModelError(field, client_ids, rule) from None


def feed_in_batches(
    client_ids: Iterable[str],
    size: int,
    consume: Callable[[list[str]], None],
) -> None:
    """
    Hand ``client_ids`` to ``consume`` in lists of at most ``size`` items.

    If the caller's iterator raises, the items it gave before are consumed
    first, then its exception propagates: nothing pulled is lost.

    Raises:
        InvalidModelError: ``client_ids`` is one ``str``/``bytes`` or not
            iterable.
    """
    items = _iterate(client_ids)
    while True:
        batch: list[str] = []
        try:
            batch.extend(islice(items, size))
        finally:
            if batch:
                consume(batch)
        if len(batch) < size:
            return


def as_bytes(data: object, what: str) -> bytes:
    """
    Return the bytes of a bytes-like ``data`` to decode.

    Args:
        data: What a decoder was given.
        what: The name of the format, for the error message.

    Raises:
        DecodeError: ``data`` is not bytes-like (an ``int``, a ``str``...).
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    msg = (
        f"{what}: data must be bytes, bytearray or memoryview, "
        f"got {type(data).__name__}"
    )
    raise DecodeError([msg])
