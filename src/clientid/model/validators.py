"""
Small attrs validators that raise :class:`~clientid.errors.InvalidModelError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clientid.errors import InvalidModelError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    import attrs

__all__ = [
    "aware_datetime",
    "no_empty_strings",
    "non_empty",
    "optional_aware_datetime",
    "optional_non_empty",
    "sorted_unique_pairs",
]


def non_empty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Reject the empty string."""
    if not value:
        raise InvalidModelError(attribute.name, value, "must not be empty")


def optional_non_empty(
    _: object, attribute: attrs.Attribute[Any], value: str | None
) -> None:
    """Reject the empty string but allow ``None``."""
    if value is not None and not value:
        raise InvalidModelError(
            attribute.name, value, "must be None or a non-empty string"
        )


def no_empty_strings(
    _: object, attribute: attrs.Attribute[Any], value: Iterable[str]
) -> None:
    """Reject a collection that contains the empty string."""
    if "" in value:
        raise InvalidModelError(
            attribute.name, value, "must not contain an empty string"
        )


def aware_datetime(
    _: object, attribute: attrs.Attribute[Any], value: dt.datetime
) -> None:
    """Reject naive datetimes: every clientid time is an instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidModelError(
            attribute.name, value, "must be a timezone-aware datetime"
        )


def optional_aware_datetime(
    instance: object,
    attribute: attrs.Attribute[Any],
    value: dt.datetime | None,
) -> None:
    """Like :func:`aware_datetime`, but allow ``None``."""
    if value is not None:
        aware_datetime(instance, attribute, value)


def sorted_unique_pairs(
    _: object,
    attribute: attrs.Attribute[Any],
    value: tuple[tuple[str, str], ...],
) -> None:
    """Require metadata pairs sorted by key with unique keys."""
    keys = [k for k, _ in value]
    if keys != sorted(set(keys)):
        raise InvalidModelError(
            attribute.name,
            value,
            "must be (key, value) pairs sorted by unique key",
        )
