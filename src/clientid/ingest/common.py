"""
What both ingest adapters share.

May import: :mod:`clientid.model`, :mod:`clientid.errors`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, final

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

    # A member equals only itself, so hashing by identity agrees with
    # equality; it runs in C, where Enum's own hashes the name in Python
    # code (once per counted event).  Like any hash it never leaves the
    # process.
    __hash__ = object.__hash__

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


# --------------------------------------------------------------------------
# JSON lines: one object a line, parsed the same with or without orjson.
# --------------------------------------------------------------------------

#: The one reason a line that is no JSON object gets, whichever parser ran.
NOT_A_JSON_OBJECT: Final = "must be one JSON object in UTF-8"

_BOM: Final = "\ufeff"
_BOM_BYTES: Final = _BOM.encode()
# orjson reads integers outside [-2**63, 2**64) as floats, and refuses
# NaN, the infinities and numbers too large for a float; the standard
# parser is told to do the same.
_INT_MIN: Final = -(1 << 63)
_INT_END: Final = 1 << 64
# A \u escape of a surrogate: only then can the standard parser return a
# lone one (orjson refuses it).
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _json_int(text: str) -> int | float:
    if len(text) < 20:  # noqa: PLR2004 (fits in 64 bits)
        return int(text)
    number = float(text)
    if math.isinf(number):
        msg = "number too large"
        raise ValueError(msg)
    # Within 64 bits orjson keeps the integer exact.
    exact = int(text) if len(text) <= 40 else _INT_END  # noqa: PLR2004
    return exact if _INT_MIN <= exact < _INT_END else number


def _json_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        msg = "number too large"
        raise ValueError(msg)
    return number


def _json_constant(text: str) -> object:
    msg = f"{text} is not JSON"
    raise ValueError(msg)


_STD_DECODER: Final = json.JSONDecoder(
    parse_int=_json_int,
    parse_float=_json_float,
    parse_constant=_json_constant,
)


def _has_lone_surrogate(value: object) -> bool:
    """Whether any string in parsed JSON *value* holds a lone surrogate."""
    if isinstance(value, str):
        return not is_utf8(value)
    if isinstance(value, dict):
        return any(
            _has_lone_surrogate(key) or _has_lone_surrogate(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(map(_has_lone_surrogate, value))
    return False


def std_json_loads(line: bytes | str) -> object:
    """
    Parse one JSON text with the standard library, as orjson would.

    UTF-8 only, no NaN or infinities, no lone surrogates (escaped or not),
    integers outside 64 bits as floats.

    Raises:
        ValueError: The text is not such JSON.
    """
    text = line.decode() if isinstance(line, bytes) else line
    if not is_utf8(text):
        msg = "lone surrogate"
        raise ValueError(msg)
    try:
        value = _STD_DECODER.decode(text)
    except RecursionError:
        msg = "nested too deeply"
        raise ValueError(msg) from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        msg = "lone surrogate"
        raise ValueError(msg)
    return value


def _loader() -> Callable[[bytes | str], object]:
    try:
        import orjson  # noqa: PLC0415
    except ImportError:  # pragma: no cover - orjson is in the test env
        return std_json_loads
    return orjson.loads


#: The parser of JSON lines: orjson when installed (the ``fast`` extra),
#: else :func:`std_json_loads`, which gives the same results.
json_loads: Callable[[bytes | str], object] = _loader()

#: The parsers known to refuse lone surrogates (escaped or not), so that
#: the text of what they return can be written as UTF-8 unchecked.
SURROGATE_FREE_LOADERS: Final = frozenset({json_loads, std_json_loads})


def json_object(
    line: bytes | str, loads: Callable[[bytes | str], object]
) -> dict[str, Any] | None:
    r"""
    Parse one line holding a JSON object; None for a blank line.

    A leading UTF-8 byte-order mark and the line's end (``\\n``,
    ``\\r\\n``) are ignored; a line of whitespace only is blank.

    Raises:
        MalformedRecordError: The line is not a ``bytes`` or ``str`` of one
            JSON object in UTF-8 (field ``line``, the line as value).
    """
    if type(line) is not bytes and not isinstance(line, str | bytes):
        raise MalformedRecordError(
            field="line", reason="must be bytes or str", value=line
        )
    try:
        value = loads(line)
    except (ValueError, TypeError, RecursionError):
        value = _retry(line, loads)
        if value is None:
            return None
    if type(value) is not dict:
        raise MalformedRecordError(
            field="line", reason=NOT_A_JSON_OBJECT, value=line
        )
    return value


def _retry(
    line: bytes | str, loads: Callable[[bytes | str], object]
) -> object:
    """Handle what the fast parse refused: blank, a BOM, or malformed."""
    if not line or line.isspace():
        return None
    bom = _BOM_BYTES if isinstance(line, bytes) else _BOM
    if line.startswith(bom):  # type: ignore[arg-type]
        try:
            return loads(line[len(bom) :])
        except (ValueError, TypeError, RecursionError):
            pass
    raise MalformedRecordError(
        field="line", reason=NOT_A_JSON_OBJECT, value=line
    )
