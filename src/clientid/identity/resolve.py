"""
Pure functions from Vault objects to clients and client IDs.

Nothing here holds state, reads a clock or counts: a resolver maps one model
object to the :class:`~clientid.Client` Vault would record for it (or to
``None`` when Vault records nothing), and the caller decides what to do with
it, e.g. ``log.record(client_for_token(token), at=when)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clientid.errors import InvalidModelError
from clientid.model import hashing as _hashing
from clientid.model.ids import ClientId, ClientType, NamespaceId
from clientid.model.records import (
    AcmeIdentifier,
    AcmeOrder,
    Client,
    SecretSyncAssociation,
    Token,
)
from clientid.model.text import GO_WHITESPACE, go_lower
from clientid.model.validators import check_text, check_text_items

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DEFAULT_POLICY",
    "ROOT_POLICY",
    "WRAPPING_POLICIES",
    "acme_client_id",
    "client_for_acme_order",
    "client_for_secret_sync",
    "client_for_token",
    "is_billable_token",
    "is_root_token",
    "is_wrapping_token",
    "non_entity_client_id",
    "sanitize_policies",
    "secret_sync_client_id",
]

#: The policy that makes a token a root token.
ROOT_POLICY: Final = "root"
#: The policy the token store adds to new tokens unless told not to.
DEFAULT_POLICY: Final = "default"
#: The sole policies of response-wrapping and control-group tokens.
WRAPPING_POLICIES: Final = frozenset({"response-wrapping", "control-group"})


def _require_instance(field: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        rule = f"must be a {kind.__name__}"
        raise InvalidModelError(field, value, rule)


def sanitize_policies(
    policies: Iterable[str], *, add_default: bool = True
) -> tuple[str, ...]:
    """
    Normalise a policy list as Vault's token store does before storing it.

    Each name is trimmed of Unicode white space and lower-cased; if any name
    is then ``root``, the result is exactly ``("root",)``.  Otherwise
    ``default`` is added (unless *add_default* is false), empty names are
    dropped, duplicates removed and the result sorted byte-wise.

    Args:
        policies: Policy names as requested, in any order.
        add_default: Whether to add the ``default`` policy, as
            ``auth/token/create`` does unless ``no_default_policy`` is set.

    Returns:
        The policies a token created with them stores.

    Raises:
        InvalidModelError: If *policies* is a single string.

    See: https://developer.hashicorp.com/vault/docs/concepts/policies
    """
    items = check_text_items("policies", policies)
    cleaned = [go_lower(policy.strip(GO_WHITESPACE)) for policy in items]
    # "If root is present the result is exactly ["root"]", even when the
    # caller asked not to add default.
    if ROOT_POLICY in cleaned:
        return (ROOT_POLICY,)
    if add_default:
        cleaned.append(DEFAULT_POLICY)
    return tuple(sorted({policy for policy in cleaned if policy}))


def non_entity_client_id(
    policies: Iterable[str], namespace_id: NamespaceId | str
) -> ClientId:
    """
    Compute Vault's client ID for a token without an entity.

    This is the raw recipe, applied to the policies as given: they are
    sorted byte-wise but neither trimmed, lower-cased nor de-duplicated,
    exactly as Vault hashes a stored token's policy list.  Normalise
    requested policies with :func:`sanitize_policies` first.

    Args:
        policies: The token's own policies (not identity policies).
        namespace_id: The token's namespace ID (``"root"`` for root), not
            its path.

    Returns:
        The standard, padded base64 of the SHA-256 over the sorted policies,
        each preceded by ``0x7F``, then ``0x00`` and the namespace ID, minus
        the first byte: 44 characters.

    Raises:
        InvalidModelError: If *policies* is a single string.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    items = check_text_items("policies", policies)
    return _hashing.non_entity_client_id(
        items, check_text("namespace_id", namespace_id)
    )


def acme_client_id(identifiers: Iterable[AcmeIdentifier]) -> ClientId:
    """
    Compute Vault's client ID for a finalized ACME order.

    Identifier values are used exactly as the ACME client sent them (case
    and wildcards kept); their order does not matter.

    Args:
        identifiers: The identifiers of the order.

    Returns:
        ``pki-acme.`` and the URL-safe, unpadded base64 of the SHA-256 over
        the sorted ``[type/value]`` strings joined with U+2668.

    Raises:
        InvalidModelError: If there is no identifier.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    given: object = identifiers
    if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
        field, rule = "identifiers", "must be an iterable of AcmeIdentifier"
        raise InvalidModelError(field, given, rule)
    items = tuple(identifiers)
    if not all(isinstance(ident, AcmeIdentifier) for ident in items):
        field, rule = "identifiers", "must be an iterable of AcmeIdentifier"
        raise InvalidModelError(field, items, rule)
    strings = [f"{ident.type}/{ident.value}" for ident in items]
    if not strings:
        raise InvalidModelError(
            field="identifiers",
            value=(),
            rule="must hold at least one identifier",
        )
    return _hashing.acme_client_id_from_strings(strings)


def secret_sync_client_id(association: SecretSyncAssociation) -> ClientId:
    """
    Derive clientid's client ID for a synced secret.

    Vault's own recipe is not public, so this one is clientid's: the
    standard, padded base64 (44 characters) of the SHA-256 over the
    tag ``clientid/secret-sync/v1``, the namespace ID, the mount path and the
    secret path, each prefixed with its UTF-8 length as 8 big-endian bytes.
    The destination, the mount accessor and the times are not inputs, so one
    secret synced to several destinations is one client, and ``kv1/secret``
    and ``kv2/secret`` are two.

    Args:
        association: Any association of the secret.

    Returns:
        The secret's client ID; stable across releases (pinned by golden
        vectors; changing it is a breaking change).

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    _require_instance("association", association, SecretSyncAssociation)
    return _hashing.secret_sync_client_id_from_fields(
        association.namespace_id,
        association.mount_path,
        association.secret_path,
    )


def is_root_token(token: Token) -> bool:
    """
    Whether *token* is a root token: its policies are exactly ``root``.

    The check is on the stored list, as Vault's is, so a hand-built token
    with ``("root", "default")`` is not a root token.
    """
    return token.policies == (ROOT_POLICY,)


def is_wrapping_token(token: Token) -> bool:
    """
    Whether *token* is a response-wrapping or control-group token.

    Vault recognises them by a sole ``response-wrapping`` or
    ``control-group`` policy.
    """
    return len(token.policies) == 1 and token.policies[0] in WRAPPING_POLICIES


def is_billable_token(token: Token) -> bool:
    """
    Whether a request made with *token* can count as client activity.

    Root, response-wrapping and control-group tokens never count, nor do
    tokens marked ``ignore_for_billing`` (HCP Link tokens).
    """
    return not (
        is_root_token(token)
        or is_wrapping_token(token)
        or token.ignore_for_billing
    )


def client_for_token(token: Token) -> Client | None:
    """
    Return the client Vault records when *token* is used, if any.

    A token with an entity is that entity's client (the entity ID verbatim);
    any other token is a non-entity client whose ID hashes its stored
    policies and its namespace ID.  The client is attributed to the token's
    namespace (not the request's) and to the auth mount that issued it.

    Args:
        token: The token a request presented.

    Returns:
        The client, or ``None`` for root, response-wrapping, control-group
        and ignore-for-billing tokens, which Vault never counts.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    _require_instance("token", token, Token)
    # "Root tokens are excluded even if they carry an entity ID", and so are
    # wrapping tokens: the checks come before the entity.
    if not is_billable_token(token):
        return None
    if token.entity_id is not None:
        return Client(
            id=ClientId(token.entity_id),
            type=ClientType.ENTITY,
            namespace_id=token.namespace_id,
            mount_accessor=token.mount_accessor,
        )
    return Client(
        id=_hashing.non_entity_client_id(token.policies, token.namespace_id),
        type=ClientType.NON_ENTITY_TOKEN,
        namespace_id=token.namespace_id,
        mount_accessor=token.mount_accessor,
    )


def client_for_acme_order(order: AcmeOrder) -> Client:
    """
    Return the client Vault records when *order* is finalized.

    The ID depends on the identifiers only; the client is attributed to the
    PKI mount that issued the certificate and to its namespace.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    _require_instance("order", order, AcmeOrder)
    return Client(
        id=acme_client_id(order.identifiers),
        type=ClientType.ACME,
        namespace_id=order.namespace_id,
        mount_accessor=order.mount_accessor,
    )


def client_for_secret_sync(association: SecretSyncAssociation) -> Client:
    """
    Return the client a secret-sync association makes its secret.

    The client is attributed to the KV mount and its namespace; see
    :func:`secret_sync_client_id` for the ID.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """
    _require_instance("association", association, SecretSyncAssociation)
    return Client(
        id=secret_sync_client_id(association),
        type=ClientType.SECRET_SYNC,
        namespace_id=association.namespace_id,
        mount_accessor=association.mount_accessor,
    )
