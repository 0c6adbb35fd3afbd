r"""
The one place that validates each kind of model field.

Every record class and every public function that takes an ID checks its
values here, so a wrong type or a malformed value fails at the door with an
:class:`~clientid.errors.InvalidModelError` naming the field, the rule and
the value, instead of miscounting later.  Each kind has a ``check_*``
function (field name, value) for code that is not an attrs class, and an
attrs validator of the same rule.

The kinds:

- ID strings (:func:`check_id`): a ``str`` (not ``bytes``, not a number),
  non-empty, and encodable as UTF-8, which rules out lone surrogates such
  as the ``"\ud800"`` a JSON document may spell; every ID is hashed as
  UTF-8 somewhere, so an unencodable one would fail far from its cause.
- text (:func:`check_text`): the same, but may be empty.
- enums (:func:`enum_member`): a member of the enum type, never its value
  (``"entity"`` is not :attr:`~clientid.ClientType.ENTITY`).
- string collections (:func:`check_strings`): a tuple or frozenset (never
  a bare ``str``, whose characters would count as items, nor a mutable
  list or set, which would make the record unhashable) of text.
- namespace paths (:func:`check_namespace_path`): Vault's shape, ``""`` for
  the root namespace, else segments that each end in ``/``, with no empty
  segment (so not ``"/"`` nor ``"a//"``).
- datetimes (:func:`check_aware_datetime`): a timezone-aware
  :class:`~datetime.datetime`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, Final, TypeVar

from clientid.errors import InvalidModelError
from clientid.model.ids import ROOT_NAMESPACE_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    import attrs

__all__ = [
    "NOT_UTF8",
    "aware_datetime",
    "boolean",
    "check_aware_datetime",
    "check_id",
    "check_namespace_path",
    "check_optional_id",
    "check_strings",
    "check_text",
    "check_text_items",
    "enum_member",
    "id_string",
    "id_strings",
    "instances_of",
    "is_utf8",
    "metadata_pairs",
    "mount_path",
    "namespace_path",
    "no_empty_strings",
    "non_empty",
    "optional_aware_datetime",
    "optional_id_string",
    "optional_non_empty",
    "sorted_unique_pairs",
    "strings",
]

_E = TypeVar("_E", bound=enum.Enum)

NOT_UTF8: Final = "must be encodable as UTF-8 (no lone surrogates)"


def is_utf8(value: str) -> bool:
    """
    Whether *value* can be written as UTF-8 (it holds no lone surrogate).
    """
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(field: str, value: object) -> str:
    """
    Return *value* if it is a ``str`` encodable as UTF-8.

    Raises:
        InvalidModelError: It is not a ``str``, or holds a lone surrogate.
    """
    if not isinstance(value, str):
        raise InvalidModelError(field, value, "must be a str")
    if not is_utf8(value):
        raise InvalidModelError(field, value, NOT_UTF8)
    return value


def check_id(field: str, value: object) -> str:
    """
    Return *value* if it is a non-empty ``str`` encodable as UTF-8.

    Raises:
        InvalidModelError: It is not a ``str``, is empty, or holds a lone
            surrogate.
    """
    if not isinstance(value, str):
        raise InvalidModelError(field, value, "must be a non-empty str")
    if not value:
        raise InvalidModelError(field, value, "must not be empty")
    if not is_utf8(value):
        raise InvalidModelError(field, value, NOT_UTF8)
    return value


def check_optional_id(field: str, value: object) -> str | None:
    """
    Like :func:`check_id`, but allow ``None``.
    """
    if value is None:
        return None
    if isinstance(value, str) and not value:
        raise InvalidModelError(
            field, value, "must be None or a non-empty string"
        )
    return check_id(field, value)


def check_strings(
    field: str, value: object, *, allow_empty: bool = True
) -> tuple[str, ...] | frozenset[str]:
    """
    Return *value* if it is a tuple or frozenset of text.

    Args:
        field: The field's name, for the error.
        value: The collection.
        allow_empty: Whether an item may be the empty string.

    Raises:
        InvalidModelError: It is a bare ``str``, not a tuple or frozenset,
            or an item is not text (or is empty when that is refused).
    """
    if isinstance(value, str):
        raise InvalidModelError(
            field, value, "must be a collection of strings, not a single str"
        )
    if not isinstance(value, (tuple, frozenset)):
        raise InvalidModelError(
            field, value, "must be a tuple or frozenset of strings"
        )
    for item in value:
        if not isinstance(item, str):
            raise InvalidModelError(
                field, value, f"must hold only strings, holds {item!r}"
            )
        if not is_utf8(item):
            raise InvalidModelError(field, value, NOT_UTF8)
        if not allow_empty and not item:
            raise InvalidModelError(
                field, value, "must not contain an empty string"
            )
    return value


def check_text_items(field: str, value: object) -> tuple[str, ...]:
    """
    Return the items of an iterable of text (a function argument) as a tuple.

    Raises:
        InvalidModelError: It is a bare ``str`` or not iterable, or an item
            is not text.
    """
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InvalidModelError(
            field, value, "must be an iterable of strings, not a single string"
        )
    items = tuple(value)
    return check_strings(field, items)  # type: ignore[return-value]


def check_namespace_path(field: str, value: object, *, root: bool) -> str:
    """
    Return *value* if it is a namespace path of Vault's shape.

    Args:
        field: The field's name, for the error.
        value: The path.
        root: Whether it is the root namespace's path, which is ``""``.

    Raises:
        InvalidModelError: It is not text, or not ``""`` for the root, or
            for another namespace not segments each ending in ``/`` with no
            empty segment (``"ns1/child/"``).
    """
    path = check_text(field, value)
    if root:
        if path:
            raise InvalidModelError(
                field, path, "of the root namespace must be ''"
            )
        return path
    if not path.endswith("/") or path.startswith("/") or "//" in path:
        raise InvalidModelError(
            field,
            path,
            "must be a canonical namespace path: non-empty, no leading '/',"
            " no empty segment, ending in '/'",
        )
    return path


def check_aware_datetime(field: str, value: object) -> dt.datetime:
    """
    Return *value* if it is a timezone-aware datetime.

    Raises:
        InvalidModelError: It is not a :class:`~datetime.datetime` or is
            naive.
    """
    if not isinstance(value, dt.datetime):
        raise InvalidModelError(
            field, value, "must be a timezone-aware datetime"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidModelError(
            field, value, "must be a timezone-aware datetime"
        )
    return value


# -- attrs validators: the same rules, for fields -----------------------


def id_string(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require an ID: a non-empty ``str`` encodable as UTF-8."""
    check_id(attribute.name, value)


def optional_id_string(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require ``None`` or an ID."""
    check_optional_id(attribute.name, value)


# The historical names of the ID rules, kept for the modules that use them.
non_empty = id_string
optional_non_empty = optional_id_string


def strings(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a tuple or frozenset of text."""
    check_strings(attribute.name, value)


def no_empty_strings(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require a tuple or frozenset of non-empty text."""
    check_strings(attribute.name, value, allow_empty=False)


def id_strings(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require a tuple or frozenset of IDs."""
    check_strings(attribute.name, value, allow_empty=False)


def boolean(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require ``True`` or ``False`` (not ``0``, ``1`` or ``"false"``)."""
    if type(value) is not bool:
        raise InvalidModelError(attribute.name, value, "must be a bool")


def enum_member(
    enum_type: type[_E],
) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """
    Return a validator that requires a member of *enum_type*.

    Its value (``"entity"``) is refused: a record holding the string would
    compare unequal to every member and count in no type.
    """

    def validate(
        _: object, attribute: attrs.Attribute[Any], value: object
    ) -> None:
        if not isinstance(value, enum_type):
            rule = f"must be a {enum_type.__name__} member"
            raise InvalidModelError(attribute.name, value, rule)

    return validate


def instances_of(
    item_type: type[object],
) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """
    Return a validator that requires a tuple of *item_type* instances.
    """

    def validate(
        _: object, attribute: attrs.Attribute[Any], value: object
    ) -> None:
        if not isinstance(value, tuple) or not all(
            isinstance(item, item_type) for item in value
        ):
            rule = f"must be a tuple of {item_type.__name__}"
            raise InvalidModelError(attribute.name, value, rule)

    return validate


def namespace_path(
    instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require Vault's namespace path shape (``""`` only for root)."""
    check_namespace_path(
        attribute.name,
        value,
        root=getattr(instance, "id", None) == ROOT_NAMESPACE_ID,
    )


def mount_path(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require a mount path relative to its namespace, ending in ``/``."""
    path = check_text(attribute.name, value)
    if not path or not path.endswith("/") or path.startswith("/"):
        raise InvalidModelError(
            attribute.name,
            value,
            "must be a mount path relative to its namespace, ending in '/'",
        )


def aware_datetime(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Reject naive datetimes: every clientid time is an instant."""
    check_aware_datetime(attribute.name, value)


def optional_aware_datetime(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Like :func:`aware_datetime`, but allow ``None``."""
    if value is not None:
        check_aware_datetime(attribute.name, value)


def metadata_pairs(
    _: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """Require text ``(key, value)`` pairs sorted by unique key."""
    rule = "must be a tuple of (str, str) pairs sorted by unique key"
    if not isinstance(value, tuple):
        raise InvalidModelError(attribute.name, value, rule)
    for pair in value:
        if (
            not isinstance(pair, tuple)
            or len(pair) != 2  # noqa: PLR2004
            or not all(
                isinstance(part, str) and is_utf8(part) for part in pair
            )
        ):
            raise InvalidModelError(attribute.name, value, rule)
    keys = [k for k, _ in value]
    if keys != sorted(set(keys)):
        raise InvalidModelError(
            attribute.name,
            value,
            "must be (key, value) pairs sorted by unique key",
        )


sorted_unique_pairs = metadata_pairs
