"""
The audit-log adapter: Vault audit-log entries to client events.

It takes already-parsed JSON and does no I/O: reading files, decompressing
and splitting lines is the caller's job.

See: https://developer.hashicorp.com/vault/docs/audit
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Self, cast, final

from clientid.errors import (
    DecodeError,
    InvalidModelError,
    MalformedRecordError,
)
from clientid.identity.resolve import ROOT_POLICY, WRAPPING_POLICIES
from clientid.ingest.common import (
    DEFAULT_REJECTED_LIMIT,
    SURROGATE_FREE_LOADERS,
    ClientEvent,
    RejectedRecord,
    SkipReason,
    _boolean,
    _child,
    _events,
    _Rejections,
    _rfc3339,
    _string,
    _strings,
    json_loads,
    json_object,
)
from clientid.model.events import trusted_event
from clientid.model.framing import frame, unframe
from clientid.model.hashing import non_entity_client_id
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import (
    AuthMount,
    Client,
    Namespace,
    trusted_client,
)
from clientid.model.validators import is_utf8

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from clientid.activity.log import ActivityLog

__all__ = ["AuditLogReader"]

DEFAULT_DEDUP_LIMIT: Final = 100_000
#: Default number of token accessors remembered for the attribution join.
DEFAULT_JOIN_LIMIT: Final = 1_000_000

# Vault serves these without a token check, so a request to them is never
# counted even when it carries a token (and hence a client ID): logins and
# OIDC callbacks (relative to an auth mount other than the token store), and
# the unauthenticated sys paths.
_UNAUTHENTICATED_AUTH_PATH: Final = re.compile(
    r"(?:login|oidc/callback|oidc/auth_url)(?:/.*)?"
)
_UNAUTHENTICATED_SYS_PATH: Final = re.compile(
    r"sys/(?:health|seal-status|leader|init)"
)

# Token-store paths that return an existing token's auth (not a new token),
# so they must not be learnt as the place the token was minted.
_TOKEN_RENEWAL_PATH: Final = re.compile(
    r"auth/token/renew(?:-self|-accessor)?(?:/.*)?|sys/wrapping/unwrap"
)

_ROOT_POLICIES: Final = (ROOT_POLICY,)


# --------------------------------------------------------------------------
# Audit log.
# --------------------------------------------------------------------------


class _Origin(NamedTuple):
    """Where a token was minted: its namespace, auth mount and time."""

    namespace_id: str
    mount_accessor: str | None
    issued: dt.datetime | None


class _Entry(NamedTuple):
    """The fields of an audit entry that counting reads, validated."""

    time: dt.datetime
    is_response: bool
    request_id: str | None
    client_id: str | None
    client_token: str | None
    accessor: str | None
    namespace_id: str
    namespace_path: str
    mount_accessor: str | None
    path: str
    mount_point: str
    mount_type: str | None
    entity_id: str | None
    token_policies: tuple[str, ...] | None
    allowed: bool | None
    error: str | None
    issue_time: dt.datetime | None
    ignore_for_billing: bool
    auth_client_token: str | None
    minted_accessor: str | None
    minted_client_token: str | None
    minted_entity_id: str | None
    minted_issue_time: dt.datetime | None
    wrapped_accessor: str | None


def _relative_mount(mount_point: str, namespace_path: str) -> str:
    """Return a mount point relative to its namespace.

    Servers with namespaces prefix the namespace path
    (``team-a/auth/userpass/`` in ``team-a/``).
    """
    if namespace_path and mount_point.startswith(namespace_path):
        return mount_point[len(namespace_path) :]
    return mount_point


# --------------------------------------------------------------------------
# The parser: one reading of the fields counting needs, checked once.
# --------------------------------------------------------------------------

#: How many built clients a reader keeps for reuse (about 300 bytes each).
_CLIENT_CACHE_LIMIT: Final = 16_384

#: How many distinct time strings a reader keeps parsed before it starts
#: over (each costs about 200 bytes).
_TIME_CACHE_LIMIT: Final = 4096

_new_tuple: Final = tuple.__new__
_fromisoformat: Final = dt.datetime.fromisoformat
# RFC 3339 in UTC as Vault writes it: _RFC3339's "Z" case, ASCII digits
# only (which the general pattern does not require; fromisoformat would
# refuse others, and _rfc3339 then says so).
_UTC_RFC3339: Final = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z", re.ASCII
)
#: The length of a UTC time without fraction, ``2025-03-04T09:15:27Z``.
_SECONDS_LENGTH: Final = 20
_ENTRY_TYPES: Final = frozenset({"request", "response"})
_NONE_TYPE: Final = type(None)
_STR_TYPE: Final = frozenset({str})
_STR_OR_NONE: Final = frozenset({str, _NONE_TYPE})
# Typed like the values of a narrowed ``dict`` (``Any``), which the checks
# below stand in for.
_NO_FIELDS: Final[Mapping[str, Any]] = MappingProxyType({})


def _cached_time(
    text: str, times: dict[str, dt.datetime], path: str = "time"
) -> dt.datetime:
    """
    Parse an RFC 3339 time as :func:`_rfc3339` does, but faster.

    Vault writes UTC times (``Z``) with nanoseconds, nearly all distinct:
    their shape is matched by one ASCII pattern and the text handed to
    :meth:`~datetime.datetime.fromisoformat` (which truncates the fraction
    to microseconds); a ``Z`` time is UTC already.  Times that repeat
    (whole seconds, a token's issue time) are kept in *times*, a bounded
    cache of earlier results.  Any other text is parsed by
    :func:`_rfc3339`, so the result, or the error naming *path*, is always
    what it gives.
    """
    found = times.get(text)
    if found is not None:
        return found
    if _UTC_RFC3339.fullmatch(text):
        try:
            found = _fromisoformat(text)
        except ValueError:
            # A date or clock out of range: _rfc3339 names it below.
            pass
        else:
            if len(text) > _SECONDS_LENGTH:
                # A fraction: unlikely to repeat, so not worth a slot.
                return found
    if found is None:
        found = _rfc3339(text, path)
    if len(times) >= _TIME_CACHE_LIMIT:
        times.clear()
    times[text] = found
    return found


# The fields _checked reads, in this order:
# kind, time, then the request's (id, client_id, has-namespace, namespace id
# and path, path, token accessor, client token, mount accessor, point and
# type), the auth block's (entity_id, client_token, accessor, issue time,
# policies, allowed, ignore-for-billing), error, then the response's
# (minted accessor, client token, entity_id, issue time, wrapped accessor).
_Fields = tuple[Any, ...]


# One flat function: the common entry's whole parse, where each call
# saved would otherwise cost about as much as the block it ran.
def _parse_plain(  # noqa: C901, PLR0911, PLR0912, PLR0915
    entry: dict[str, Any],
    times: dict[str, dt.datetime],
    utf8: bool,  # noqa: FBT001 (positional for speed)
) -> _Entry | None:
    """
    Parse a plain-JSON entry that breaks no rule, or return None.

    Plain: exact ``dict``, ``bool`` and ``list`` values and ``str`` that
    are ASCII (any ``str``, if *utf8* says the JSON parser already refused
    lone surrogates), which every check of :func:`_checked` accepts.  Any
    other entry, and any plain one that breaks a rule between fields,
    gives None, and :func:`_parse_entry` reads it with :func:`_checked`,
    which names the problem or accepts the value.  So this decides nothing
    but the common case; the times are parsed in the same order as there,
    so a bad time raises the same error.
    """
    kind = entry.get("type")
    time_text = entry.get("time")
    request = entry.get("request")
    if (
        type(kind) is not str
        or kind not in _ENTRY_TYPES
        or type(request) is not dict
    ):
        return None
    auth = entry.get("auth")
    if auth is None:
        entity_id = auth_client_token = auth_accessor = issue_text = None
        policies = allowed = None
        ignore_for_billing = False
    elif type(auth) is dict:
        entity_id = auth.get("entity_id")
        auth_client_token = auth.get("client_token")
        auth_accessor = auth.get("accessor")
        issue_text = auth.get("token_issue_time")
        policies = auth.get("token_policies")
        if policies is None:
            policies = auth.get("policies")
        results = auth.get("policy_results")
        if results is None:
            allowed = None
        elif type(results) is dict:
            allowed = results.get("allowed")
            if allowed is not None and type(allowed) is not bool:
                return None
        else:
            return None
        metadata = auth.get("metadata")
        if metadata is None:
            ignore_for_billing = False
        elif type(metadata) is dict:
            ignore_for_billing = metadata.get("ignore_for_billing") == "true"
        else:
            return None
    else:
        return None
    response = entry.get("response")
    if response is None:
        minted_accessor = minted_client_token = minted_entity_id = None
        minted_issue_text = wrapped_accessor = None
    elif type(response) is dict:
        minted = response.get("auth")
        if minted is None:
            minted_accessor = minted_client_token = minted_entity_id = None
            minted_issue_text = None
        elif type(minted) is dict:
            minted_accessor = minted.get("accessor")
            minted_client_token = minted.get("client_token")
            minted_entity_id = minted.get("entity_id")
            minted_issue_text = minted.get("token_issue_time")
        else:
            return None
        wrap_info = response.get("wrap_info")
        if wrap_info is None:
            wrapped_accessor = None
        elif type(wrap_info) is dict:
            wrapped_accessor = wrap_info.get("wrapped_accessor")
        else:
            return None
    else:
        return None
    namespace = request.get("namespace")
    if namespace is None:
        has_namespace = False
        namespace_id = namespace_path = None
    elif type(namespace) is dict:
        has_namespace = True
        namespace_id = namespace.get("id")
        namespace_path = namespace.get("path")
    else:
        return None
    get = request.get
    request_id = get("id")
    client_id = get("client_id")
    path = get("path")
    token_accessor = get("client_token_accessor")
    client_token = get("client_token")
    mount_accessor = get("mount_accessor")
    mount_point = get("mount_point")
    mount_type = get("mount_type")
    error = entry.get("error")
    texts = (
        time_text,
        request_id,
        client_id,
        namespace_id,
        namespace_path,
        path,
        token_accessor,
        client_token,
        mount_accessor,
        mount_point,
        mount_type,
        entity_id,
        auth_client_token,
        auth_accessor,
        issue_text,
        error,
        minted_accessor,
        minted_client_token,
        minted_entity_id,
        minted_issue_text,
        wrapped_accessor,
    )
    if not _STR_OR_NONE.issuperset(map(type, texts)) or (
        not utf8
        and not "".join(filter(None, cast("Iterable[str]", texts))).isascii()
    ):
        return None
    if policies is not None:
        if type(policies) is not list or not _STR_TYPE.issuperset(
            map(type, policies)
        ):
            return None
        if not utf8 and not "".join(policies).isascii():
            return None
        policies = tuple(policies)
    if time_text is None:
        return None
    # Every field is plain: the times now raise what _checked's path would.
    time = _cached_time(time_text, times)
    if request_id is not None and not request_id:
        return None
    if has_namespace:
        if not namespace_id or (namespace_path and namespace_path[-1] != "/"):
            return None
        namespace_path = namespace_path or ""
    else:
        namespace_id = ROOT_NAMESPACE_ID
        namespace_path = ""
    if client_id and entity_id and client_id != entity_id:
        # A rule to apply or an altered entry: _parse_entry's business.
        return None
    mount_point = mount_point or ""
    if namespace_path and mount_point.startswith(namespace_path):
        mount_point = mount_point[len(namespace_path) :]
    return _new_tuple(
        _Entry,
        (
            time,
            kind == "response",
            request_id,
            client_id or None,
            client_token or None,
            token_accessor or auth_accessor or None,
            namespace_id,
            namespace_path,
            mount_accessor or None,
            path or "",
            mount_point,
            mount_type or None,
            entity_id or None,
            policies,
            allowed,
            error,
            None
            if issue_text is None
            else _cached_time(issue_text, times, "auth.token_issue_time"),
            ignore_for_billing,
            auth_client_token or None,
            minted_accessor or None,
            minted_client_token or None,
            minted_entity_id or None,
            None
            if minted_issue_text is None
            else _cached_time(
                minted_issue_text, times, "response.auth.token_issue_time"
            ),
            wrapped_accessor or None,
        ),
    )


def _checked(entry: object) -> _Fields:
    """
    Read the fields of any entry, checking each with its kind's check.

    Returns the fields in the order above; raises the first
    problem, in field order, as a MalformedRecordError naming the dotted
    field, the rule and the value.
    """
    if not isinstance(entry, Mapping):
        raise MalformedRecordError(
            field="entry", reason="must be an object", value=entry
        )
    kind = entry.get("type")
    # The type test first: an unhashable value cannot be looked up.
    if not isinstance(kind, str) or kind not in _ENTRY_TYPES:
        raise MalformedRecordError(
            field="type", reason="must be 'request' or 'response'", value=kind
        )
    time_text = _string(entry, "time", "time")
    if time_text is None:
        raise MalformedRecordError(
            field="time", reason="is required", value=None
        )
    request = _child(entry, "request", "request")
    if request is None:
        raise MalformedRecordError(
            field="request", reason="is required", value=None
        )
    return (
        kind,
        time_text,
        *_checked_request(request),
        *_checked_auth(_child(entry, "auth", "auth") or _NO_FIELDS),
        _string(entry, "error", "error"),
        *_checked_response(_child(entry, "response", "response") or {}),
    )


def _checked_namespace(request: Mapping[str, object]) -> _Fields:
    """Check ``request.namespace``: (present, ID, path)."""
    namespace = _child(request, "namespace", "request.namespace")
    if namespace is None:
        return (False, None, None)
    return (
        True,
        _string(namespace, "id", "request.namespace.id"),
        _string(namespace, "path", "request.namespace.path"),
    )


def _checked_request(request: Mapping[str, object]) -> _Fields:
    """Check the fields of ``request`` that counting reads."""
    return (
        _string(request, "id", "request.id"),
        _string(request, "client_id", "request.client_id"),
        *_checked_namespace(request),
        _string(request, "path", "request.path"),
        _string(
            request, "client_token_accessor", "request.client_token_accessor"
        ),
        _string(request, "client_token", "request.client_token"),
        _string(request, "mount_accessor", "request.mount_accessor"),
        _string(request, "mount_point", "request.mount_point"),
        _string(request, "mount_type", "request.mount_type"),
    )


def _checked_auth(auth: Mapping[str, object]) -> _Fields:
    """Check the fields of ``auth`` that counting reads."""
    entity_id = _string(auth, "entity_id", "auth.entity_id")
    client_token = _string(auth, "client_token", "auth.client_token")
    accessor = _string(auth, "accessor", "auth.accessor")
    issue_text = _string(auth, "token_issue_time", "auth.token_issue_time")
    policies = _strings(auth, "token_policies", "auth.token_policies")
    if policies is None:
        # Logs before token_policies existed: ``policies`` is the token's
        # own list for every token without identity policies.
        policies = _strings(auth, "policies", "auth.policies")
    results = _child(auth, "policy_results", "auth.policy_results") or {}
    allowed = _boolean(results, "allowed", "auth.policy_results.allowed")
    metadata = _child(auth, "metadata", "auth.metadata") or {}
    return (
        entity_id,
        client_token,
        accessor,
        issue_text,
        policies,
        allowed,
        metadata.get("ignore_for_billing") == "true",
    )


def _checked_response(response: Mapping[str, object]) -> _Fields:
    """
    Check the response's ``auth`` block and its wrapped accessor.

    A response wrapped for the caller has no ``auth``: the token it carries
    is named only by ``response.wrap_info.wrapped_accessor``.
    """
    minted = _child(response, "auth", "response.auth") or {}
    wrap_info = _child(response, "wrap_info", "response.wrap_info") or {}
    return (
        _string(minted, "accessor", "response.auth.accessor"),
        _string(minted, "client_token", "response.auth.client_token"),
        _string(minted, "entity_id", "response.auth.entity_id"),
        _string(minted, "token_issue_time", "response.auth.token_issue_time"),
        _string(
            wrap_info,
            "wrapped_accessor",
            "response.wrap_info.wrapped_accessor",
        ),
    )


def _namespace(
    present: bool,  # noqa: FBT001 (a field of the parse)
    namespace_id: str | None,
    namespace_path: str | None,
) -> tuple[str, str]:
    """Apply the namespace rules: a non-empty ID, a path ending in "/"."""
    if not present:
        # Audit logs of Vault versions without namespaces omit it.
        return ROOT_NAMESPACE_ID, ""
    if not namespace_id:
        raise MalformedRecordError(
            field="request.namespace.id",
            reason="must be a non-empty string",
            value=namespace_id,
        )
    if namespace_path and namespace_path[-1] != "/":
        raise MalformedRecordError(
            field="request.namespace.path",
            reason="must end with '/'",
            value=namespace_path,
        )
    return namespace_id, namespace_path or ""


def _parse_entry(
    entry: object,
    times: dict[str, dt.datetime],
    utf8: bool = False,  # noqa: FBT001, FBT002 (positional for speed)
) -> _Entry:
    """
    Validate the fields counting needs; ignore every other field.

    Every field passes its kind's check (text: a ``str`` encodable as
    UTF-8; objects, booleans, lists of text), then the rules between
    fields; *times* caches parsed times.  *utf8*: the entry comes from a
    JSON parser that refuses lone surrogates (so text needs no UTF-8 check).

    Raises:
        MalformedRecordError: Naming the dotted field, rule and value.
    """
    if type(entry) is dict:
        parsed = _parse_plain(entry, times, utf8)
        if parsed is not None:
            return parsed
    fields = _checked(entry)
    (
        kind,
        time_text,
        request_id,
        client_id,
        has_namespace,
        namespace_id,
        namespace_path,
        path,
        token_accessor,
        client_token,
        mount_accessor,
        mount_point,
        mount_type,
        entity_id,
        auth_client_token,
        auth_accessor,
        issue_text,
        token_policies,
        allowed,
        ignore_for_billing,
        error,
        minted_accessor,
        minted_client_token,
        minted_entity_id,
        minted_issue_text,
        wrapped_accessor,
    ) = fields
    time = _cached_time(time_text, times)
    if request_id is not None and not request_id:
        # Requests the server makes itself (a -dev server mounting its KV
        # engine) carry no ID; such entries are not de-duplicated.
        raise MalformedRecordError(
            field="request.id",
            reason="must be a non-empty string",
            value=request_id,
        )
    namespace_id, namespace_path = _namespace(
        has_namespace, namespace_id, namespace_path
    )
    if client_id and entity_id and client_id != entity_id:
        if not (
            auth_client_token and auth_client_token == minted_client_token
        ):
            # Vault copies the entity ID into client_id; a mismatch means
            # the entry was altered, and neither value can be trusted.
            raise MalformedRecordError(
                field="request.client_id",
                reason=f"must equal auth.entity_id {entity_id!r}",
                value=client_id,
            )
        # A login that carried a caller's token: its response's ``auth``
        # shows the new token (the same ``client_token`` as
        # ``response.auth``) while ``request.client_id`` is the caller's;
        # the caller's entity is not in the entry.
        entity_id = None
        auth_accessor = None
    # The fields in _Entry's order; tuple.__new__ skips the generated
    # keyword-taking __new__, a third of the cost of a plain entry.
    return _new_tuple(
        _Entry,
        (
            time,
            kind == "response",
            request_id,
            client_id or None,
            client_token or None,
            token_accessor or auth_accessor or None,
            namespace_id,
            namespace_path,
            mount_accessor or None,
            path or "",
            _relative_mount(mount_point or "", namespace_path),
            mount_type or None,
            entity_id or None,
            token_policies,
            allowed,
            error,
            None
            if issue_text is None
            else _cached_time(issue_text, times, "auth.token_issue_time"),
            ignore_for_billing,
            auth_client_token or None,
            minted_accessor or None,
            minted_client_token or None,
            minted_entity_id or None,
            None
            if minted_issue_text is None
            else _cached_time(
                minted_issue_text, times, "response.auth.token_issue_time"
            ),
            wrapped_accessor or None,
        ),
    )


def _may_mint(entry: dict[str, Any]) -> bool:
    """Whether a response block may teach a token's origin (or is odd)."""
    response = entry.get("response")
    return response is not None and (
        type(response) is not dict
        or response.get("auth") is not None
        or response.get("wrap_info") is not None
    )


def _is_unauthenticated_path(entry: _Entry) -> bool:
    mount = entry.mount_point
    if mount.startswith("auth/") and mount != "auth/token/":
        relative = entry.path.removeprefix(mount)
        return bool(_UNAUTHENTICATED_AUTH_PATH.fullmatch(relative))
    # The pattern starts with "sys/": most paths fail the cheaper test.
    return entry.path.startswith("sys/") and bool(
        _UNAUTHENTICATED_SYS_PATH.fullmatch(entry.path)
    )


def _is_unauthenticated(entry: _Entry) -> bool:
    """Whether the request did not authenticate with a token."""
    if (
        entry.client_id is None
        and entry.minted_client_token is not None
        and entry.minted_client_token == entry.auth_client_token
    ):
        # A login's response entry shows the minted token as its ``auth``
        # (renewals do too, but they carry a client ID); the login itself
        # is not a use of that token, even before 1.9.
        return True
    # Vault >= 1.9 writes client_id for every request it checked a token
    # for; before 1.9 a request authenticated when it carried a token and
    # the entry shows that token's identity.
    authenticated = entry.client_id is not None or (
        entry.client_token is not None
        and (bool(entry.token_policies) or entry.entity_id is not None)
    )
    return not authenticated or _is_unauthenticated_path(entry)


def _token_skip_reason(entry: _Entry) -> SkipReason | None:
    """The rules on the token itself: root, wrapping, ignored for billing."""
    policies = entry.token_policies or ()
    if policies == _ROOT_POLICIES:
        return SkipReason.ROOT_TOKEN
    if len(policies) == 1 and policies[0] in WRAPPING_POLICIES:
        return SkipReason.WRAPPING_TOKEN
    if entry.ignore_for_billing:
        return SkipReason.IGNORED_FOR_BILLING
    return None


def _skip_reason(entry: _Entry) -> SkipReason | None:
    """Apply Vault's rules for which requests count (spec §1.4, §2.1)."""
    if _is_unauthenticated(entry):
        return SkipReason.UNAUTHENTICATED
    if entry.allowed is False or (
        entry.allowed is None
        and entry.error is not None
        and "permission denied" in entry.error
    ):
        return SkipReason.DENIED
    return _token_skip_reason(entry)


def _parent_path(path: str) -> str | None:
    """Return the parent namespace's path, or ``None`` for root."""
    if not path:
        return None
    return path[: path.rstrip("/").rfind("/") + 1]


def _ancestor_paths(path: str) -> Iterator[str]:
    """Yield a namespace path and each ancestor's, ending with root ""."""
    parts = path.split("/")[:-1]
    for end in range(len(parts), -1, -1):
        yield "".join(part + "/" for part in parts[:end])


@final
class AuditLogReader:
    """
    Turn Vault audit-log entries into the client events Vault counts.

    Feed entries in log order.  The reader keeps what it needs to join a
    token to the response that minted it, and to count each request once:

    * counted: authenticated, allowed requests of tokens other than root,
      response-wrapping, control-group and ``ignore_for_billing`` tokens;
    * client ID: ``request.client_id``, or for logs before Vault 1.9 the
      entity ID or Vault's non-entity recipe over ``auth.token_policies``
      and the token's namespace;
    * attribution: the namespace and auth mount of the response that
      minted the token (joined on the HMAC'd accessor); when that is
      impossible (batch tokens, logs starting mid-stream) the request
      namespace, no mount, and ``approximate=True``;
    * de-duplication on ``request.id`` over the last *dedup_limit* requests;
      a copy further apart is emitted twice, which never changes a
      distinct-client count (same client, same month).

    Args:
        lenient: Return malformed entries through :attr:`rejected` instead
            of raising :class:`~clientid.errors.MalformedRecordError`.
        dedup_limit: How many recent request IDs to remember (memory is
            about 200 bytes each).
        join_limit: How many token accessors to remember for the join; the
            oldest are forgotten first.
        rejected_limit: How many malformed entries to keep in
            :attr:`rejected` (the first ones); all are counted in
            :attr:`rejected_count` and ``skipped``.

    See: https://developer.hashicorp.com/vault/docs/concepts/client-count
    """

    __slots__ = (
        "_approximate",
        "_clients",
        "_counted",
        "_dedup_limit",
        "_duplicates",
        "_entity_origins",
        "_index",
        "_join_limit",
        "_lenient",
        "_mounts",
        "_namespace_ids",
        "_origins",
        "_rejected",
        "_seen",
        "_skipped",
        "_times",
        "_token_origins",
    )

    def __init__(
        self,
        *,
        lenient: bool = False,
        dedup_limit: int = DEFAULT_DEDUP_LIMIT,
        join_limit: int = DEFAULT_JOIN_LIMIT,
        rejected_limit: int = DEFAULT_REJECTED_LIMIT,
    ) -> None:
        if dedup_limit < 1:
            raise InvalidModelError(
                field="dedup_limit",
                value=dedup_limit,
                rule="must be at least 1",
            )
        if join_limit < 1:
            raise InvalidModelError(
                field="join_limit", value=join_limit, rule="must be at least 1"
            )
        self._lenient = lenient
        self._dedup_limit = dedup_limit
        self._join_limit = join_limit
        self._index = 0
        self._counted = 0
        self._approximate = 0
        # Bounded FIFO memories: OrderedDict evicts its oldest key in O(1)
        # (a plain dict's first key is found by scanning the holes that
        # earlier deletions left).  Their order never leaves the process.
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._origins: OrderedDict[str, _Origin] = OrderedDict()
        self._entity_origins: OrderedDict[str, _Origin] = OrderedDict()
        # Tokens without an accessor (batch tokens) by the minting
        # response's ``auth.client_token``, which equals a use's
        # ``request.client_token`` in the same device's log (HMAC'd with
        # that device's key, or plaintext with ``log_raw``).
        self._token_origins: OrderedDict[str, _Origin] = OrderedDict()
        self._namespace_ids: dict[str, str] = {"": ROOT_NAMESPACE_ID}
        self._mounts: dict[str, tuple[str, str, str]] = {}
        self._skipped = dict.fromkeys(SkipReason, 0)
        self._duplicates = 0
        # Clients already built, by their fields (Client is immutable, and
        # a client is used again and again); bounded.
        self._clients: dict[tuple[str, bool, str, str | None], Client]
        self._clients = {}
        self._rejected = _Rejections(rejected_limit)
        # Parsed time strings (request and response entries, and a token's
        # uses, repeat them); bounded, and only ever a pure function's
        # results, so it cannot change what the reader returns.
        self._times: dict[str, dt.datetime] = {}

    @property
    def counted(self) -> int:
        """
        How many client events the reader has produced.
        """
        return self._counted

    @property
    def approximate(self) -> int:
        """
        How many of the events carry ``approximate=True``.
        """
        return self._approximate

    @property
    def skipped(self) -> dict[SkipReason, int]:
        """
        How many entries produced no event, per reason (a new dict).
        """
        found = dict(self._skipped)
        found[SkipReason.DUPLICATE] += self._duplicates
        return found

    @property
    def rejected(self) -> tuple[RejectedRecord, ...]:
        """
        The first *rejected_limit* malformed entries seen in lenient mode.

        In input order; :attr:`rejected_count` says how many there were.
        """
        return self._rejected.kept()

    @property
    def rejected_count(self) -> int:
        """
        How many malformed entries the reader has rejected in lenient mode.
        """
        return self._rejected.total

    @property
    def namespaces(self) -> tuple[Namespace, ...]:
        """
        The non-root namespaces the entries named, sorted by path.

        A namespace is listed once its parent's ID is known too (every
        entry names only its own namespace's ID and path).
        """
        known = self._namespace_ids
        found: list[Namespace] = []
        for path in sorted(known):
            parent = _parent_path(path)
            # The root namespace is never listed, even if an entry gave its
            # ID with a path: it is no child of anything.
            if (
                parent is None
                or parent not in known
                or known[path] == ROOT_NAMESPACE_ID
            ):
                continue
            found.append(
                Namespace(
                    id=NamespaceId(known[path]),
                    path=path,
                    parent_id=NamespaceId(known[parent]),
                )
            )
        return tuple(found)

    @property
    def mounts(self) -> tuple[AuthMount, ...]:
        """
        The auth mounts that minted tokens in the entries, by accessor.
        """
        return tuple(
            AuthMount(
                accessor=MountAccessor(accessor),
                type=mount_type,
                path=path,
                namespace_id=NamespaceId(namespace_id),
            )
            for accessor, (mount_type, path, namespace_id) in sorted(
                self._mounts.items()
            )
        )

    def read(
        self, entries: Iterable[Mapping[str, object]]
    ) -> Iterator[ClientEvent]:
        """
        Feed every entry and yield the client events, in input order.

        Raises:
            MalformedRecordError: An entry is malformed (strict mode).
        """
        return _events(self.feed, entries)

    def feed(self, entry: Mapping[str, object]) -> ClientEvent | None:
        """
        Process one audit-log entry.

        Runtime: O(1) amortised.

        Returns:
            The client event the entry stands for, or ``None`` if Vault
            would not count it (see :attr:`skipped` for why).

        Raises:
            MalformedRecordError: The entry is malformed (strict mode); the
                reader's state is unchanged.
        """
        return self._feed(entry, False)  # noqa: FBT003 (positional for speed)

    def _feed(
        self,
        entry: Mapping[str, object],
        utf8: bool,  # noqa: FBT001 (positional for speed)
    ) -> ClientEvent | None:
        """Feed *entry*; *utf8*: its text holds no lone surrogate."""
        index = self._index
        self._index += 1
        try:
            if self._is_known_duplicate(entry):
                # Counted apart: an attribute, not a dict look-up.
                self._duplicates += 1
                return None
            parsed = _parse_entry(entry, self._times, utf8)
        except MalformedRecordError as exc:
            self._reject(exc, index)
            return None
        if (
            parsed.is_response
            or parsed.namespace_path not in self._namespace_ids
        ):
            # Else nothing to learn (a request entry's known namespace).
            self._learn(parsed)
        request_id = parsed.request_id
        if request_id is not None:
            seen = self._seen
            if request_id in seen:
                self._skipped[SkipReason.DUPLICATE] += 1
                return None
            # Remember it, forgetting the oldest beyond the limit.
            seen[request_id] = None
            if len(seen) > self._dedup_limit:
                seen.popitem(last=False)
        reason = _skip_reason(parsed)
        if reason is not None:
            self._skipped[reason] += 1
            return None
        self._counted += 1
        event = self._event(parsed)
        if event.approximate:
            self._approximate += 1
        return event

    def read_lines(
        self, lines: Iterable[bytes | str]
    ) -> Iterator[ClientEvent]:
        """
        Parse and feed every JSON line, yielding the client events.

        See :meth:`feed_line`; a line's :attr:`RejectedRecord.index` (and
        its error's ``index``) is its position among every line and entry
        the reader was given, counting from 0, blank lines included: for a
        new reader, the line number minus one.

        Raises:
            MalformedRecordError: A line is not a JSON object or the entry
                is malformed (strict mode).
        """
        # feed_line's body, without a call per line.
        loads = json_loads
        utf8 = loads in SURROGATE_FREE_LOADERS
        feed = self._feed
        for line in lines:
            entry: object = None
            if type(line) is bytes or type(line) is str:
                # The common line, parsed here; anything else (an error, a
                # BOM, a blank line, no object) is json_object's to judge.
                try:
                    entry = loads(line)
                except (ValueError, TypeError, RecursionError):
                    entry = None
                if type(entry) is not dict:
                    entry = None
            if entry is None:
                entry = self._line_entry(line, loads)
                if entry is None:
                    continue
            event = feed(cast("dict[str, Any]", entry), utf8)
            if event is not None:
                yield event

    def feed_line(self, line: bytes | str) -> ClientEvent | None:
        r"""
        Parse one line of an audit log (a JSON object) and feed it.

        The line is parsed with orjson when it is installed (the ``fast``
        extra), else with the standard library told to refuse what orjson
        refuses, so both give the same results: UTF-8 only, no NaN or
        infinities, no lone surrogates, integers beyond 64 bits as floats,
        the last of duplicate keys.  A leading byte-order mark and the
        line end (``\n``, ``\r\n``) are ignored; a blank line is
        skipped silently (it takes a position, so later positions stay
        line numbers, but is in neither :attr:`skipped` nor
        :attr:`rejected`).

        Returns:
            As :meth:`feed`.

        Raises:
            MalformedRecordError: The line is not one JSON object (field
                ``line``, the line as value), or the entry is malformed
                (strict mode); the reader's state is unchanged but for the
                position.
        """
        entry = self._line_entry(line, json_loads)
        if entry is None:
            return None
        return self._feed(entry, json_loads in SURROGATE_FREE_LOADERS)

    def _line_entry(
        self, line: bytes | str, loads: Callable[[bytes | str], object]
    ) -> dict[str, Any] | None:
        """
        A line's entry, or None: a blank line (skipped) or none (rejected).

        Either None takes the line's position, as a fed entry does.
        """
        try:
            entry = json_object(line, loads)
        except MalformedRecordError as exc:
            index = self._index
            self._index += 1
            self._reject(exc, index)
            return None
        if entry is None:
            self._index += 1
        return entry

    def _reject(self, exc: MalformedRecordError, index: int) -> None:
        """Raise *exc* at *index* (strict mode), or reject the record."""
        error = MalformedRecordError(exc.field, exc.reason, exc.value, index)
        if not self._lenient:
            raise error from None
        self._rejected.add(index, error)
        self._skipped[SkipReason.MALFORMED] += 1

    def _is_known_duplicate(self, entry: object) -> bool:
        """
        Tell, before the full parse, a duplicate that teaches nothing.

        A ``request.id`` already seen was checked then; an entry that
        repeats it is a duplicate whatever else it holds, and is not parsed
        further unless :meth:`_learn` could learn from it: a response that
        may have minted a token, or a namespace path not yet known.  Those
        are left to the full parse (and may be malformed).
        """
        if type(entry) is not dict:
            return False
        request = entry.get("request")
        if type(request) is not dict:
            return False
        request_id = request.get("id")
        if (
            type(request_id) is not str
            or request_id not in self._seen
            or _may_mint(entry)
        ):
            return False
        namespace = request.get("namespace")
        if namespace is None:
            return True
        # A namespace path already known: learning it again changes nothing
        # (a new one is learnt from the entry's full parse).
        path = namespace.get("path") if type(namespace) is dict else 0
        return path is None or (
            type(path) is str and path in self._namespace_ids
        )

    def _learn(self, entry: _Entry) -> None:
        """Remember namespace IDs and where minted tokens came from."""
        if entry.namespace_path not in self._namespace_ids:
            self._namespace_ids[entry.namespace_path] = entry.namespace_id
        if (
            not entry.is_response
            or _TOKEN_RENEWAL_PATH.fullmatch(entry.path)
            or (
                entry.mount_point and not entry.mount_point.startswith("auth/")
            )
        ):
            return
        if (
            entry.minted_accessor is None
            and entry.minted_entity_id is None
            and entry.minted_client_token is None
            and entry.wrapped_accessor is None
        ):
            return
        # The token's namespace is the request namespace of the login or
        # token-create call, and its mount is the mount that call ran on.
        origin = _Origin(
            entry.namespace_id,
            entry.mount_accessor,
            entry.minted_issue_time or entry.time,
        )
        if (
            entry.mount_accessor is not None
            and entry.mount_type is not None
            and entry.mount_point
        ):
            # Vault reports mount points with a trailing slash; older
            # entries may lack it, and "auth/foo" is the mount "auth/foo/".
            mount_path = entry.mount_point.rstrip("/") + "/"
            self._mounts.setdefault(
                entry.mount_accessor,
                (entry.mount_type, mount_path, entry.namespace_id),
            )
        if entry.wrapped_accessor is not None:
            # A wrapped login or token creation: the token reaches its
            # holder through sys/wrapping/unwrap (not learnt: that
            # response shows the system mount), but it was minted here.
            _bounded_put(
                self._origins,
                entry.wrapped_accessor,
                origin,
                self._join_limit,
            )
        if entry.minted_accessor is not None:
            _bounded_put(
                self._origins,
                entry.minted_accessor,
                origin,
                self._join_limit,
            )
        elif (
            entry.minted_client_token is not None
            and entry.minted_client_token != entry.client_token
        ):
            # A login carrying a caller's token logs the caller's token as
            # the minted one, so only a different token is learnt.
            _bounded_put(
                self._token_origins,
                entry.minted_client_token,
                origin,
                self._join_limit,
            )
        if entry.minted_entity_id is not None:
            # An entity logs in again and again; its latest login is the
            # best guess for the batch tokens that follow.
            latest = self._entity_origins
            latest[entry.minted_entity_id] = origin
            latest.move_to_end(entry.minted_entity_id)
            if len(latest) > self._join_limit:
                latest.popitem(last=False)

    def _event(self, entry: _Entry) -> ClientEvent:
        origin = (
            self._origins.get(entry.accessor)
            if entry.accessor is not None
            else None
        )
        if origin is None and entry.client_token is not None:
            origin = self._token_origins.get(entry.client_token)
        approximate = origin is None or origin.mount_accessor is None
        if origin is None and entry.entity_id is not None:
            # An entity lives in one namespace, so its latest login names
            # the namespace; the mount stays a guess (it may have several).
            origin = self._entity_origins.get(entry.entity_id)
            approximate = True
        if origin is not None:
            namespace_id = origin.namespace_id
        elif entry.entity_id is not None and "." in entry.entity_id:
            # Entities of child namespaces carry the namespace ID as a
            # suffix: ``<uuid>.<namespace id>``.
            namespace_id = entry.entity_id.rpartition(".")[2]
        else:
            namespace_id = entry.namespace_id
        if entry.entity_id is not None:
            client_type = ClientType.ENTITY
            client_id = entry.entity_id
        else:
            client_type = ClientType.NON_ENTITY_TOKEN
            policies = entry.token_policies or ()
            if entry.client_id is None:
                client_id = non_entity_client_id(policies, namespace_id)
            else:
                client_id = entry.client_id
                if origin is None:
                    namespace_id = self._namespace_from_id(
                        client_id, policies, entry
                    )
        mount_accessor = origin.mount_accessor if origin is not None else None
        # The type as a bool: the reader makes only these two kinds.
        key = (
            client_id,
            client_type is ClientType.ENTITY,
            namespace_id,
            mount_accessor,
        )
        client = self._clients.get(key)
        if client is None:
            # The client ID was checked by the parse (or is a hash); the
            # namespace and mount by the parse or when an image was read.
            client = trusted_client(
                ClientId(client_id),
                client_type,
                NamespaceId(namespace_id),
                None
                if mount_accessor is None
                else MountAccessor(mount_accessor),
            )
            if len(self._clients) >= _CLIENT_CACHE_LIMIT:
                self._clients.clear()
            self._clients[key] = client
        # Every value was checked by the parse, or learnt from a checked
        # entry or a saved image whose times are checked to be aware.
        return trusted_event(
            client,
            entry.time,
            entry.issue_time
            or (origin.issued if origin is not None else None),
            approximate,
            entry.request_id,
        )

    def _namespace_from_id(
        self, client_id: str, policies: Sequence[str], entry: _Entry
    ) -> str:
        """
        Recover a non-entity token's namespace from its client ID.

        A token works in its namespace and below, so its namespace is the
        request namespace or an ancestor; the one whose ID reproduces the
        client ID is it.  Falls back to the request namespace.
        """
        for path in _ancestor_paths(entry.namespace_path):
            candidate = self._namespace_ids.get(path)
            if candidate is not None and (
                non_entity_client_id(policies, candidate) == client_id
            ):
                return candidate
        return entry.namespace_id

    # -- state kept between runs -----------------------------------------

    def describe(self, log: ActivityLog) -> None:
        """
        Hand the namespaces and auth mounts the entries revealed to *log*.

        The log then labels them by path instead of as deleted ones, and
        reports can be scoped to them.  Call it after feeding (again after
        more input: it only adds and refreshes).
        """
        for namespace in self.namespaces:
            log.add_namespace(namespace)
        for mount in self.mounts:
            log.add_mount(mount)

    def to_bytes(self) -> bytes:
        """
        Serialize what the reader learnt, to go on reading later.

        The image holds the join state (where each remembered token was
        minted, each entity's latest login), the namespaces and mounts, the
        de-duplication window, the limits and the counters; not the
        :attr:`rejected` records.  The layout is ``CIDR``, a version byte
        (1), a CRC-32 and the zlib-compressed JSON of that state.

        Runtime: O(remembered accessors and request IDs).
        """
        return frame(
            AUDIT_READER_MAGIC,
            AUDIT_READER_FORMAT_VERSION,
            {
                "dedup_limit": self._dedup_limit,
                "join_limit": self._join_limit,
                "rejected_limit": self._rejected.limit,
                "rejected_count": self._rejected.total,
                "index": self._index,
                "counted": self._counted,
                "approximate": self._approximate,
                "seen": list(self._seen),
                "origins": _origins_document(self._origins),
                "entity_origins": _origins_document(self._entity_origins),
                "namespace_ids": sorted(self._namespace_ids.items()),
                "mounts": [
                    [accessor, *mount]
                    for accessor, mount in self._mounts.items()
                ],
                "skipped": {
                    reason.value: count
                    for reason, count in self.skipped.items()
                },
            },
        )

    @classmethod
    def from_bytes(cls, data: bytes, *, lenient: bool = False) -> Self:
        """
        Restore a reader saved by :meth:`to_bytes`, to feed it more entries.

        Args:
            data: The saved image.
            lenient: As for a new reader (not part of the image).

        Raises:
            UnsupportedFormatError: The data is not a reader image, or one
                of a format version this release cannot read.
            DecodeError: The image is truncated, corrupt or inconsistent.
        """
        document = unframe(
            data,
            AUDIT_READER_MAGIC,
            AUDIT_READER_FORMAT_VERSION,
            "audit reader",
        )
        try:
            doc = cast("dict[str, Any]", document)
            reader = cls(
                lenient=lenient,
                dedup_limit=_int(doc["dedup_limit"]),
                join_limit=_int(doc["join_limit"]),
                # Absent from the images of earlier releases.
                rejected_limit=_int(
                    doc.get("rejected_limit", DEFAULT_REJECTED_LIMIT)
                ),
            )
            reader._rejected.total = _int(doc.get("rejected_count", 0))
            reader._index = _int(doc["index"])
            reader._counted = _int(doc["counted"])
            reader._approximate = _int(doc["approximate"])
            reader._seen = OrderedDict.fromkeys(map(_str, doc["seen"]))
            reader._origins = _origins_from(doc["origins"])
            reader._entity_origins = _origins_from(doc["entity_origins"])
            reader._namespace_ids = {
                _str(path): _id(namespace_id)
                for path, namespace_id in doc["namespace_ids"]
            }
            reader._mounts = {
                _id(accessor): (_str(kind), _str(path), _id(namespace))
                for accessor, kind, path, namespace in doc["mounts"]
            }
            skipped = doc["skipped"]
            reader._skipped = {
                reason: _int(skipped[reason.value]) for reason in SkipReason
            }
        except (
            AttributeError,
            IndexError,
            KeyError,
            TypeError,
            ValueError,
        ) as exc:
            # Nothing above raises DecodeError, so every error is wrapped.
            msg = f"audit reader image must hold a reader's state ({exc!r})"
            raise DecodeError([msg]) from exc
        return reader


#: The first bytes of :meth:`AuditLogReader.to_bytes` images.
AUDIT_READER_MAGIC: Final = b"CIDR"
#: The layout version of those images.
AUDIT_READER_FORMAT_VERSION: Final = 1


def _int(value: object) -> int:
    if type(value) is not int:
        msg = f"must be an integer, got {value!r}"
        raise TypeError(msg)
    return value


def _str(value: object) -> str:
    if type(value) is not str:
        msg = f"must be a string, got {value!r}"
        raise TypeError(msg)
    if not is_utf8(value):
        msg = f"must be encodable as UTF-8 (no lone surrogate), got {value!r}"
        raise ValueError(msg)
    return value


def _id(value: object) -> str:
    """An ID from an image: what the reader's clients are built from."""
    if not _str(value):
        msg = "must be a non-empty ID, got ''"
        raise ValueError(msg)
    return cast("str", value)


def _origins_document(origins: OrderedDict[str, _Origin]) -> list[object]:
    return [
        [
            key,
            origin.namespace_id,
            origin.mount_accessor,
            None if origin.issued is None else origin.issued.isoformat(),
        ]
        for key, origin in origins.items()
    ]


def _origins_from(items: object) -> OrderedDict[str, _Origin]:
    found: OrderedDict[str, _Origin] = OrderedDict()
    for key, namespace_id, mount_accessor, issued in cast(
        "list[list[object]]", items
    ):
        moment = None
        if issued is not None:
            moment = dt.datetime.fromisoformat(_str(issued))
            if moment.utcoffset() is None:
                msg = f"must be an aware time, got {issued!r}"
                raise ValueError(msg)
        found[_id(key)] = _Origin(
            _id(namespace_id),
            None if mount_accessor is None else _id(mount_accessor),
            moment,
        )
    return found


def _bounded_put(
    mapping: OrderedDict[str, _Origin], key: str, value: _Origin, limit: int
) -> None:
    """Insert unless present (the first mint wins), evicting the oldest."""
    if key in mapping:
        return
    mapping[key] = value
    if len(mapping) > limit:
        mapping.popitem(last=False)
