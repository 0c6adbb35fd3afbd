"""
Small helpers every part of the identity store shares.

Input checks (single strings, metadata, ``root`` and wrapping policies),
Vault's policy-list normalisations, and the constants of minting.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, TypeVar

from clientid.errors import InvalidModelError, InvalidRequestError
from clientid.identity.resolve import ROOT_POLICY, WRAPPING_POLICIES
from clientid.identity.rules import declare_rules, fail
from clientid.model.records import Metadata, TokenType, freeze_metadata
from clientid.model.text import GO_WHITESPACE, go_lower

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "BASE62",
    "NAMESPACE_ID_LENGTH",
    "RESERVED_NAMESPACE_NAMES",
    "ROLE_TOKEN_TYPES",
    "TAG_ENTITY",
    "TAG_ENTITY_ALIAS",
    "TAG_GROUP",
    "TAG_GROUP_ALIAS",
    "TAG_MOUNT",
    "TAG_NAMESPACE",
    "TOKEN_MOUNT_PATH",
    "TOKEN_MOUNT_TYPE",
    "dedupe",
    "dedupe_folded",
    "expect",
    "fold",
    "glob_match",
    "go_quote_list",
    "reject_root",
    "reject_single_strings",
    "reject_wrapping",
    "strings",
    "trim_dedupe_sorted",
    "validated_metadata",
]

#: The rules of the shared input checks.
RULES: Final = declare_rules(
    {
        "policy-not-assignable": (
            InvalidRequestError,
            'cannot assign policy "{value}"',
        ),
        "policies-root": (InvalidRequestError, "policies cannot contain root"),
        "metadata-too-many": (
            InvalidRequestError,
            "metadata cannot contain more than 64 key/value pairs",
        ),
        "metadata-key-too-long": (
            InvalidRequestError,
            'metadata key "{value}" is longer than 128 characters',
        ),
        "metadata-key-characters": (
            InvalidRequestError,
            (
                'metadata key "{value}" contains characters other than'
                " [a-zA-Z0-9=/+_-]"
            ),
        ),
        "metadata-key-reserved": (
            InvalidRequestError,
            'metadata key "{value}" cannot begin with "vault-"',
        ),
        "metadata-value-too-long": (
            InvalidRequestError,
            'metadata value for key "{value}" is longer than 512 characters',
        ),
    }
)


def strings(field: str, iterable: Iterable[str]) -> tuple[str, ...]:
    """Return *iterable* as a tuple, refusing a single ``str``."""
    reject_single_strings(**{field: iterable})
    return tuple(iterable)


def reject_single_strings(**iterables: object) -> None:
    """Refuse a ``str`` where an iterable of strings belongs."""
    # A str is an Iterable[str] to mypy, but splitting it into characters
    # (policies "d", "e", "v") is always a caller's mistake.
    for field, value in iterables.items():
        if isinstance(value, str):
            raise InvalidModelError(
                field,
                value,
                rule="must be an iterable of strings, not a single string",
            )


# Vault folds names with Go's strings.ToLower; one implementation serves
# both the token store's policies and the identity store's names.
fold = go_lower


def glob_match(pattern: str, text: str) -> bool:
    """Match *text* against a glob whose only wildcard is ``*``."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    first, *middle, last = parts
    if not text.startswith(first) or len(text) < len(first) + len(last):
        return False
    position = len(first)
    end = len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return text.endswith(last)


def go_quote_list(items: Iterable[str]) -> str:
    """Format strings as Go's ``%q`` formats a ``[]string``."""
    return "[" + " ".join(f'"{item}"' for item in items) + "]"


def trim_dedupe_sorted(policies: Iterable[str]) -> tuple[str, ...]:
    """Vault's ``RemoveDuplicates``: trim, drop empty, de-duplicate, sort."""
    return tuple(sorted({p.strip() for p in policies if p.strip()}))


def dedupe_folded(policies: Iterable[str]) -> tuple[str, ...]:
    """Drop empty names and case-insensitive duplicates, keeping order."""
    seen: set[str] = set()
    kept: list[str] = []
    for raw in policies:
        policy = raw.strip()
        folded = fold(policy)
        if policy and folded not in seen:
            seen.add(folded)
            kept.append(policy)
    return tuple(kept)


T = TypeVar("T", bound=str)


def dedupe(items: Iterable[T]) -> list[T]:
    """De-duplicate, keeping the first occurrence's position."""
    return list(dict.fromkeys(items))


_METADATA_KEY: Final = re.compile(r"[a-zA-Z0-9=/+_-]+")
_MAX_METADATA_PAIRS: Final = 64
_MAX_METADATA_KEY: Final = 128
_MAX_METADATA_VALUE: Final = 512


def validated_metadata(field: str, mapping: Mapping[str, str]) -> Metadata:
    """Return *mapping* frozen, refusing what Vault's limits refuse."""
    if len(mapping) > _MAX_METADATA_PAIRS:
        fail("metadata-too-many", field, len(mapping))
    for key, value in sorted(mapping.items()):
        if len(key) > _MAX_METADATA_KEY:
            fail("metadata-key-too-long", field, key)
        if not _METADATA_KEY.fullmatch(key):
            fail("metadata-key-characters", field, key)
        if key.startswith("vault-"):
            fail("metadata-key-reserved", field, key)
        if len(value) > _MAX_METADATA_VALUE:
            fail("metadata-value-too-long", field, key)
    return freeze_metadata(mapping)


def expect(condition: bool, invariant: str) -> None:  # noqa: FBT001
    """Raise :class:`AssertionError` naming *invariant* unless it holds."""
    if not condition:
        msg = f"identity store invariant broken: {invariant}"
        raise AssertionError(msg)


def reject_root(policies: tuple[str, ...]) -> None:
    """Refuse ``root`` among identity policies, in any spelling."""
    # Vault's check is exact, so it stores "Root", which the token store's
    # sanitizing turns into root at request time; clientid refuses every
    # spelling (trimmed, case-insensitively) instead.
    for policy in policies:
        if fold(policy.strip(GO_WHITESPACE)) == ROOT_POLICY:
            fail("policies-root", "policies", policy)


RESERVED_NAMESPACE_NAMES: Final = frozenset(
    {"root", "sys", "audit", "auth", "cubbyhole", "identity"}
)
BASE62: Final = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
NAMESPACE_ID_LENGTH: Final = 5
TOKEN_MOUNT_PATH: Final = "auth/token/"  # noqa: S105 (a path, not a secret)
TOKEN_MOUNT_TYPE: Final = "token"  # noqa: S105 (a type, not a secret)

#: A role's ``token_type`` → (token type, whether the role forces it).
ROLE_TOKEN_TYPES: Final = {
    "service": (TokenType.SERVICE, True),
    "batch": (TokenType.BATCH, True),
    "default-service": (TokenType.SERVICE, False),
    "default-batch": (TokenType.BATCH, False),
}

TAG_NAMESPACE: Final = "clientid/namespace/v1"
TAG_MOUNT: Final = "clientid/mount-accessor/v1"
TAG_ENTITY: Final = "clientid/entity/v1"
TAG_ENTITY_ALIAS: Final = "clientid/entity-alias/v1"
TAG_GROUP: Final = "clientid/group/v1"
TAG_GROUP_ALIAS: Final = "clientid/group-alias/v1"


def reject_wrapping(policies: Iterable[str]) -> None:
    """Refuse the response-wrapping policies, which no token may hold."""
    for policy in policies:
        if policy in WRAPPING_POLICIES:
            fail("policy-not-assignable", "policies", policy)
