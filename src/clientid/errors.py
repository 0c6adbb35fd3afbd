"""
Every exception clientid raises on purpose.

All of them derive from :class:`ClientIdError`, so ``except ClientIdError``
catches everything clientid raised deliberately.  Where a failure is a bad
value, the class also derives from :class:`ValueError`, so hosts that already
handle ``ValueError`` keep working.

Every error carries its structured data as attributes *and* in ``args``, so
it pickles and its ``repr`` is useful; ``str()`` gives a lowercase message
naming the field, the rule and the offending value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ClientIdError",
    "DecodeError",
    "IdentityError",
    "IncompatibleSketchError",
    "InexactCounterError",
    "InternalError",
    "InvalidModelError",
    "InvalidRequestError",
    "MalformedRecordError",
    "NotFoundError",
    "PermissionDeniedError",
    "SketchedMonthError",
    "UnresolvableClientError",
    "UnsupportedFormatError",
]


#: How much of an offending value's repr a message quotes.
_REPR_LIMIT: Final = 200


def _shown(value: object) -> str:
    """An offending value's repr for a message: bounded, never raising."""
    try:
        text = repr(value)
    except ValueError:
        # A huge int's repr exceeds sys.get_int_max_str_digits().
        if isinstance(value, int):
            return f"<int of {value.bit_length()} bits>"
        return f"<unprintable {type(value).__name__}>"
    if len(text) > _REPR_LIMIT:
        return f"{text[:_REPR_LIMIT]}... ({len(text)} characters)"
    return text


class ClientIdError(Exception):
    """
    Base of every exception clientid raises on purpose.
    """


class InvalidModelError(ClientIdError, ValueError):
    """
    A value breaks an invariant of a model class or a parameter.

    Attributes:
        field: The name of the offending field or parameter.
        value: The offending value.
        rule: What the value must satisfy, as a lowercase phrase.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        super().__init__(field, value, rule)
        self.field = field
        self.value = value
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.field} {self.rule}, got {_shown(self.value)}"


class UnresolvableClientError(ClientIdError):
    """
    Valid inputs that do not name a client.

    Attributes:
        reason: Why no client can be derived.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class IdentityError(ClientIdError):
    """
    An identity-store operation was refused; the store is unchanged.

    Vault answers such operations with an HTTP error; the subclasses mirror
    its kinds (invalid request, permission denied, not found, internal).

    Attributes:
        rule: A stable, machine-readable name of the violated rule, such as
            ``"alias-mount-taken"``; match on it rather than on the message.
        message: Vault's own error message for the situation, verbatim where
            Vault has one.
        field: The request field the rule is about (``""`` if none).
        value: The offending value (``None`` if none).
    """

    #: The HTTP status Vault answers with for this kind of error.
    http_status: int = 400

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        field: str = "",
        value: object = None,
    ) -> None:
        super().__init__(rule, message, field, value)
        self.rule = rule
        self.message = message
        self.field = field
        self.value = value

    def __reduce__(
        self,
    ) -> tuple[type[IdentityError], tuple[str, str], dict[str, object]]:
        return (
            type(self),
            (self.rule, self.message),
            {"field": self.field, "value": self.value, "args": self.args},
        )

    def __setstate__(self, state: dict[str, object]) -> None:  # type: ignore[override]
        for key, value in state.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        if self.field:
            return f"{self.message} ({self.rule}: {self.field}={self.value!r})"
        return f"{self.message} ({self.rule})"


@final
class InvalidRequestError(IdentityError, ValueError):
    """
    The request breaks one of Vault's rules (Vault: HTTP 400).
    """

    http_status = 400


@final
class PermissionDeniedError(IdentityError):
    """
    Vault would deny the request (HTTP 403), e.g. a disabled entity.
    """

    http_status = 403


@final
class NotFoundError(IdentityError, LookupError):
    """
    The named object does not exist (or lives in another namespace).
    """

    http_status = 404


@final
class InternalError(IdentityError):
    """
    Vault would fail with an internal error (HTTP 500).

    For example a login alias that names an unknown mount accessor.
    """

    http_status = 500


@final
class IncompatibleSketchError(ClientIdError, ValueError):
    """
    Two sketches or counters cannot be combined.

    Attributes:
        reason: What differs, with both values.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@final
class InexactCounterError(ClientIdError):
    """
    An operation needs the exact client IDs, but the counter only estimates.

    A :class:`~clientid.ClientCounter` past its exact limit (or built from a
    sketch) holds a sketch, which cannot list or look up client IDs.

    Attributes:
        operation: What was asked, e.g. ``"client_ids"``.
        exact_limit: The counter's exact limit.
    """

    def __init__(self, operation: str, exact_limit: int) -> None:
        super().__init__(operation, exact_limit)
        self.operation = operation
        self.exact_limit = exact_limit

    def __str__(self) -> str:
        return (
            f"{self.operation} needs an exact counter, but this one is "
            "estimated: it went past its exact_limit of "
            f"{self.exact_limit!r} clients or was built from a sketch"
        )


@final
class SketchedMonthError(ClientIdError):
    """
    An operation needs a month's records, but the month holds only sketches.

    An :class:`~clientid.ActivityLog` month that grows past its
    ``exact_limit`` keeps HyperLogLog sketches instead of its records, so
    it can still be counted (as an estimate) but not exported.

    A what-if scenario that maps client IDs cannot be applied to it
    either: its sketches do not know which IDs they hold.

    Attributes:
        month: The first instant of the month.
        operation: What needed the records, as a phrase completing "to",
            e.g. ``"be exported"``.
    """

    def __init__(self, month: object, operation: str = "be exported") -> None:
        super().__init__(month, operation)
        self.month = month
        self.operation = operation

    def __str__(self) -> str:
        return (
            f"month {self.month!r} must hold exact records to"
            f" {self.operation}, but it went past the log's exact_limit or"
            " was recorded as sketches, and holds only sketches"
        )


class DecodeError(ClientIdError, ValueError):
    """
    Serialized input (a dict, bytes or a record) was rejected.

    Attributes:
        messages: One human-readable line per problem found.
    """

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages: tuple[str, ...] = tuple(messages)
        super().__init__(self.messages)

    def __str__(self) -> str:
        return "; ".join(self.messages)


@final
class UnsupportedFormatError(DecodeError):
    """
    The input is in a format or format version clientid does not read.
    """


_NO_INDEX: Final = -1


@final
class MalformedRecordError(DecodeError):
    """
    An ingested record (audit-log entry, export record) is malformed.

    Attributes:
        field: Dotted path of the offending field, e.g. ``"request.time"``.
        reason: What is wrong with it.
        value: The offending value (``None`` when the field is missing).
        index: Position of the record in its input stream, or -1.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        value: object = None,
        index: int = _NO_INDEX,
    ) -> None:
        where = f"record {index}: " if index != _NO_INDEX else ""
        super().__init__([f"{where}{field} {reason}, got {_shown(value)}"])
        self.args = (field, reason, value, index)
        self.field = field
        self.reason = reason
        self.value = value
        self.index = index
