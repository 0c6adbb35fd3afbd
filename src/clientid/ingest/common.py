"""
What both ingest adapters share.

May import: :mod:`clientid.model`, :mod:`clientid.errors`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, final

import attrs

from clientid.errors import InvalidModelError, MalformedRecordError
from clientid.model.events import ClientEvent
from clientid.model.validators import NOT_UTF8, is_utf8

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "DEFAULT_REJECTED_LIMIT",
    "ClientEvent",
    "RejectedRecord",
    "SkipReason",
]

#: How many malformed records a lenient reader keeps, by default: the first
#: ones; every later one is only counted (an error holds its record's value,
#: so keeping them all would grow without bound on a log of garbage).
DEFAULT_REJECTED_LIMIT: Final = 1_000

_UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=_UTC)

# RFC 3339: date, "T" (or a space, which RFC 3339 allows), time with optional
# fraction of any length, and a mandatory offset.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})"
)


@final
class SkipReason(enum.Enum):
    """
    Why an audit-log entry produced no client event.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """

    #: Another entry of the same request (its request or response entry, or
    #: a copy from another audit device or node) was already handled.
    DUPLICATE = "duplicate"
    #: The request did not authenticate with a token (logins, health...).
    UNAUTHENTICATED = "unauthenticated"
    #: The ACL or Sentinel check denied the request.
    DENIED = "denied"
    #: The token is a root token (its only policy is ``root``).
    ROOT_TOKEN = "root-token"  # noqa: S105 (not a secret)
    #: The token is a response-wrapping or control-group token.
    WRAPPING_TOKEN = "wrapping-token"  # noqa: S105 (not a secret)
    #: The token is marked ``ignore_for_billing`` (HCP Link tokens).
    IGNORED_FOR_BILLING = "ignored-for-billing"
    #: The entry is malformed (lenient mode only; strict mode raises).
    MALFORMED = "malformed"


@final
@attrs.frozen(kw_only=True)
class RejectedRecord:
    """
    A malformed record that a lenient reader returned instead of raising.

    Attributes:
        index: The record's position in its input, counting from 0.
        error: The error strict mode would have raised.
    """

    index: int
    error: MalformedRecordError = attrs.field(eq=False)

    @property
    def reason(self) -> str:
        """
        The error's message: field, rule and offending value.
        """
        return str(self.error)


def check_rejected_limit(value: object) -> int:
    """
    Check a reader's *rejected_limit* argument: an ``int`` of at least 0.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidModelError(
            field="rejected_limit", value=value, rule="must be an int"
        )
    if value < 0:
        raise InvalidModelError(
            field="rejected_limit", value=value, rule="must be at least 0"
        )
    return value


@final
class _Rejections:
    """
    The first *limit* rejected records of a lenient reader, and how many.
    """

    __slots__ = ("_kept", "limit", "total")

    def __init__(self, limit: int) -> None:
        self.limit = check_rejected_limit(limit)
        self.total = 0
        self._kept: list[RejectedRecord] = []

    def add(self, index: int, error: MalformedRecordError) -> None:
        self.total += 1
        if len(self._kept) < self.limit:
            self._kept.append(RejectedRecord(index=index, error=error))

    def kept(self) -> tuple[RejectedRecord, ...]:
        return tuple(self._kept)


# --------------------------------------------------------------------------
# Field access that names the dotted path of whatever is wrong.
# --------------------------------------------------------------------------


def _child(
    parent: Mapping[str, object], key: str, path: str
) -> Mapping[str, object] | None:
    value = parent.get(key)
    if value is None:
        return None
    # Parsed JSON gives dicts; the exact-type test skips the slower ABC
    # check for them.
    if type(value) is not dict and not isinstance(value, Mapping):
        raise MalformedRecordError(path, "must be an object", value)
    return value


def record_text(value: object, path: str) -> str:
    """
    Return *value* if it is a ``str`` that can be written back as UTF-8.

    The one check of a record's text fields: a JSON escape of U+D800
    decodes to a lone surrogate, which no ID, hash or output can hold.

    Raises:
        MalformedRecordError: Naming *path*, the rule and the value.
    """
    if not isinstance(value, str):
        raise MalformedRecordError(path, "must be a string", value)
    if not is_utf8(value):
        raise MalformedRecordError(path, NOT_UTF8, value)
    return value


def _string(parent: Mapping[str, object], key: str, path: str) -> str | None:
    value = parent.get(key)
    return None if value is None else record_text(value, path)


def _boolean(parent: Mapping[str, object], key: str, path: str) -> bool | None:
    value = parent.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise MalformedRecordError(path, "must be a boolean", value)


def _strings(
    parent: Mapping[str, object], key: str, path: str
) -> tuple[str, ...] | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(item, str) for item in value
    ):
        raise MalformedRecordError(path, "must be a list of strings", value)
    if not all(map(is_utf8, value)):
        raise MalformedRecordError(path, NOT_UTF8, value)
    return tuple(value)


def _rfc3339(text: str, path: str) -> dt.datetime:
    if not _RFC3339.fullmatch(text):
        raise MalformedRecordError(path, "must be an RFC 3339 time", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        # The shape matched, but the date does not exist (e.g. 02-30).
        raise MalformedRecordError(
            path, "must be an RFC 3339 time", text
        ) from None
    try:
        return parsed.astimezone(_UTC)
    except OverflowError:
        # Its offset moves it before year 1 or past year 9999 in UTC.
        raise MalformedRecordError(
            path, "must be a time between years 1 and 9999 in UTC", text
        ) from None


def _time(
    parent: Mapping[str, object], key: str, path: str
) -> dt.datetime | None:
    text = _string(parent, key, path)
    return None if text is None else _rfc3339(text, path)


def _events(
    feed: Callable[[Mapping[str, object]], ClientEvent | None],
    items: Iterable[Mapping[str, object]],
) -> Iterator[ClientEvent]:
    """Feed every item, lazily, and yield the events it produces."""
    for item in items:
        event = feed(item)
        if event is not None:
            yield event
