"""
Every hash clientid computes, in one place.

Two families live here:

* Vault's recipes (non-entity token and ACME client IDs), reproduced byte for
  byte from Vault's documented behaviour and pinned by Vault's test vectors.
* clientid's own recipes (implicit entity IDs and names, secret-sync client
  IDs, IDs the identity store mints).  They frame every field with its
  length, so ``("a,b", "c")`` and ``("a", "b,c")`` never collide, and start
  with a domain tag naming the recipe and its version.

Each constant below is part of clientid's output: changing one changes
client IDs and sketch registers, which is a breaking change.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Final

import mmh3

from clientid.model.ids import ClientId, EntityId
from clientid.model.text import go_lower

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ACME_CLIENT_ID_PREFIX",
    "ACME_IDENTIFIER_SEPARATOR",
    "DATASKETCHES_SEED",
    "NON_ENTITY_NAMESPACE_DELIMITER",
    "NON_ENTITY_POLICY_DELIMITER",
    "acme_client_id_from_strings",
    "datasketches_hash",
    "datasketches_hash128",
    "derived_uuid",
    "implicit_entity",
    "implicit_entity_id",
    "implicit_entity_name",
    "murmur3_x64_128_ascii",
    "murmur3_x64_128_ascii_digest",
    "non_entity_client_id",
    "secret_sync_client_id_from_fields",
]

# --------------------------------------------------------------------------
# Vault's recipes.
# --------------------------------------------------------------------------

#: Written before each policy name in a non-entity client ID's hash input.
#: Vault's constant; never changes.
NON_ENTITY_POLICY_DELIMITER: Final = "\x7f"
#: Written before the namespace ID in a non-entity client ID's hash input.
#: Vault's constant; never changes.
NON_ENTITY_NAMESPACE_DELIMITER: Final = "\x00"
#: Joins the bracketed identifiers of an ACME order (U+2668 HOT SPRINGS).
#: Vault's constant; never changes.
ACME_IDENTIFIER_SEPARATOR: Final = "\u2668"
#: Prefix the activity log puts before ACME client IDs (the client type and
#: a dot).  Vault's constant; never changes.
ACME_CLIENT_ID_PREFIX: Final = "pki-acme."


def non_entity_client_id(
    policies: Iterable[str], namespace_id: str
) -> ClientId:
    """
    Compute Vault's client ID for a token without an entity.

    This is the raw recipe: the policies are sorted byte-wise but neither
    de-duplicated nor normalised, exactly as Vault hashes a stored token's
    policy list.

    Args:
        policies: The token's own policies, in any order.
        namespace_id: The token's namespace ID (``"root"`` for root).

    Returns:
        The standard, padded base64 of the SHA-256 digest (44 characters).
    """
    # Code-point order is UTF-8 byte order, so sorted() sorts as Go does.
    ordered = sorted(policies)
    # Vault prefixes every policy with 0x7F and the namespace ID with 0x00,
    # then drops exactly one leading byte: the first delimiter.  Joining
    # gives the same bytes without building and slicing a longer string.
    if ordered:
        text = (
            NON_ENTITY_POLICY_DELIMITER.join(ordered)
            + NON_ENTITY_NAMESPACE_DELIMITER
            + namespace_id
        )
    else:
        text = namespace_id
    digest = hashlib.sha256(_utf8(text)).digest()
    return ClientId(base64.b64encode(digest).decode("ascii"))


def acme_client_id_from_strings(identifiers: Iterable[str]) -> ClientId:
    """
    Compute Vault's ACME client ID from ``"<type>/<value>"`` strings.

    Args:
        identifiers: One ``type/value`` string per identifier of the order.

    Returns:
        ``pki-acme.`` and the URL-safe, unpadded base64 of the SHA-256 of
        the sorted, bracketed, U+2668-joined identifiers.
    """
    joined = ACME_IDENTIFIER_SEPARATOR.join(
        f"[{identifier}]" for identifier in sorted(identifiers)
    )
    digest = hashlib.sha256(_utf8(joined)).digest()
    encoded = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return ClientId(ACME_CLIENT_ID_PREFIX + encoded)


# --------------------------------------------------------------------------
# clientid's own recipes.
# --------------------------------------------------------------------------

#: Domain tag of implicit entity IDs and names (version 1).
IMPLICIT_ENTITY_TAG: Final = "clientid/implicit-entity/v1"
#: Domain tag of secret-sync client IDs (version 1).
SECRET_SYNC_TAG: Final = "clientid/secret-sync/v1"  # noqa: S105


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def _framed_digest(tag: str, fields: Iterable[str]) -> bytes:
    """SHA-256 over the tag and each field, every one length-prefixed."""
    hasher = hashlib.sha256()
    for part in (tag, *fields):
        data = _utf8(part)
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.digest()


def _uuid_from_digest(digest: bytes) -> str:
    """Format 16 digest bytes as a version-8 (custom) RFC 9562 UUID."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8: application-defined
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122/9562 variant
    hexed = raw.hex()
    return (
        f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
    )


def derived_uuid(tag: str, *fields: str) -> str:
    """
    Derive a UUID-shaped ID from a domain tag and fields.

    The identity store uses it for every ID it mints (aliases, groups), so
    replaying the same operations yields the same IDs on every machine.
    """
    return _uuid_from_digest(_framed_digest(tag, fields))


def implicit_entity_id(
    namespace_id: str, mount_accessor: str, alias_name: str
) -> EntityId:
    """
    Derive the ID of the entity a login creates for an unknown alias.

    The alias name is lower-cased first as Go's ``strings.ToLower`` does
    (Vault matches alias names case-insensitively that way), so ``Alice``
    and ``alice`` yield the same entity, and so do ``\u0130x`` and ``ix``.
    """
    digest = _framed_digest(
        IMPLICIT_ENTITY_TAG,
        (namespace_id, mount_accessor, go_lower(alias_name)),
    )
    return EntityId(_uuid_from_digest(digest))


def implicit_entity(
    namespace_id: str, mount_accessor: str, alias_name: str
) -> tuple[EntityId, str, str]:
    """
    Derive an implicit entity's ID, first-choice name and alias ID at once.

    The ID and name equal :func:`implicit_entity_id` and
    :func:`implicit_entity_name`; the alias ID is a version-8 UUID of the
    digest's second half.  The identity store's login path uses it to hash
    once instead of three times.
    """
    digest = _framed_digest(
        IMPLICIT_ENTITY_TAG,
        (namespace_id, mount_accessor, go_lower(alias_name)),
    )
    return (
        EntityId(_uuid_from_digest(digest)),
        "entity_" + digest[16:20].hex(),
        _uuid_from_digest(digest[16:]),
    )


def implicit_entity_name(
    namespace_id: str, mount_accessor: str, alias_name: str, attempt: int = 0
) -> str:
    """
    Derive the generated name of an implicit entity: ``entity_`` + 8 hex.

    Attempt 0 uses the same digest as :func:`implicit_entity_id`; later
    attempts (when the name is already taken in the namespace, where Vault
    would draw again) add the attempt number as one more field.
    """
    fields = [namespace_id, mount_accessor, go_lower(alias_name)]
    if attempt:
        fields.append(str(attempt))
    digest = _framed_digest(IMPLICIT_ENTITY_TAG, fields)
    return "entity_" + digest[16:20].hex()


def secret_sync_client_id_from_fields(
    namespace_id: str, mount_path: str, secret_path: str
) -> ClientId:
    """
    Derive clientid's client ID for a synced secret.

    Vault's recipe is not public.  clientid's is: the standard, padded
    base64 of the SHA-256 over the length-prefixed tag, namespace ID, mount
    path and secret path.  Destinations are not inputs, so one secret synced
    to several destinations is one client.
    """
    digest = _framed_digest(
        SECRET_SYNC_TAG, (namespace_id, mount_path, secret_path)
    )
    return ClientId(base64.b64encode(digest).decode("ascii"))


# --------------------------------------------------------------------------
# Apache DataSketches hashing (HyperLogLog).
# --------------------------------------------------------------------------

#: The MurmurHash3 seed every DataSketches sketch uses.  Never changes.
DATASKETCHES_SEED: Final = 9001


def datasketches_hash(client_id: str) -> tuple[int, int]:
    """
    Hash a string as DataSketches does: MurmurHash3 x64/128, seed 9001.

    Returns:
        The two unsigned 64-bit halves of the 128-bit hash, first half
        first, computed over the string's UTF-8 bytes.
    """
    return mmh3.hash64(_utf8(client_id), DATASKETCHES_SEED, signed=False)


def datasketches_hash128(client_id: str) -> int:
    """
    Hash a string as DataSketches does, both halves in one integer.

    Returns:
        The unsigned 128-bit hash of the string's UTF-8 bytes: the first
        64-bit half in the low bits, the second in the high bits.

    Raises:
        UnicodeEncodeError: The string holds a lone surrogate, which has no
            UTF-8 form (DataSketches cannot hash it either).
    """
    return mmh3.hash128(_utf8(client_id), DATASKETCHES_SEED)


#: The raw function behind :func:`datasketches_hash128`, for hot loops:
#: ``murmur3_x64_128_ascii(text, DATASKETCHES_SEED)`` equals
#: ``datasketches_hash128(text)`` without the encoding step.  Only for text
#: whose ``isascii()`` is true: mmh3 5.3 crashes the interpreter when handed
#: a ``str`` with a lone surrogate.
murmur3_x64_128_ascii: Final = mmh3.hash128

#: The same hash as :data:`murmur3_x64_128_ascii` as 16 little-endian
#: bytes (``int.from_bytes(digest, "little")`` gives the integer), which
#: mmh3 returns faster than the integer.  Only for ASCII text, likewise.
murmur3_x64_128_ascii_digest: Final = mmh3.hash_bytes
