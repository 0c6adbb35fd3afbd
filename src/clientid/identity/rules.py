"""
The identity store's rule table and the one way to break a rule.

Each part of the store declares the rules it enforces beside the code that
enforces them (``RULES = declare_rules({...})``); this module gathers them
into one read-only table, :data:`clientid.IDENTITY_RULES`, and raises the
error a rule names.  A rule code can be declared once only.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NoReturn

from clientid.errors import IdentityError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ALL_RULES", "Kind", "declare_rules", "fail"]

#: The error class a rule raises.
Kind = type[IdentityError]

_TABLE: Final[dict[str, tuple[Kind, str]]] = {}

#: Every declared rule: stable rule code → (error class, message template).
ALL_RULES: Final[Mapping[str, tuple[Kind, str]]] = MappingProxyType(_TABLE)


def declare_rules(
    rules: Mapping[str, tuple[Kind, str]],
) -> Mapping[str, tuple[Kind, str]]:
    """
    Add a part's rules to the table and return them, read-only.

    Raises:
        ValueError: If a rule code is already declared (a programming
            error, found at import time).
    """
    taken = sorted(set(rules) & set(_TABLE))
    if taken:
        msg = f"identity rules declared twice: {taken}"
        raise ValueError(msg)
    _TABLE.update(rules)
    return MappingProxyType(dict(rules))


def fail(rule: str, field: str, value: object, **extra: object) -> NoReturn:
    """Raise the error *rule* names, its message formatted from *value*."""
    kind, template = _TABLE[rule]
    message = template.format(value=value, **extra)
    raise kind(rule, message, field=field, value=value)
