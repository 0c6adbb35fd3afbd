"""
A reference parser of audit entries for the reader's laws.

The straightforward field-by-field reading of an entry, with the checks of
:mod:`clientid.ingest.common` in the order the fields are read.  The
reader's own parser (:func:`clientid.ingest.audit._parse_entry`) is shaped
for speed; the laws assert it returns what this one returns and raises
where this one raises.
"""

from __future__ import annotations

from collections.abc import Mapping

from clientid.errors import MalformedRecordError
from clientid.ingest.audit import _Entry, _relative_mount
from clientid.ingest.common import (
    _boolean,
    _child,
    _rfc3339,
    _string,
    _strings,
    _time,
)
from clientid.model.ids import ROOT_NAMESPACE_ID


def _minted(
    entry: Mapping[str, object],
) -> tuple[Mapping[str, object], str | None]:
    """Return the response's ``auth`` block and its wrapped accessor.

    A response wrapped for the caller has no ``auth``: the token it carries
    is named only by ``response.wrap_info.wrapped_accessor``.
    """
    response = _child(entry, "response", "response") or {}
    wrap_info = _child(response, "wrap_info", "response.wrap_info") or {}
    wrapped = _string(
        wrap_info, "wrapped_accessor", "response.wrap_info.wrapped_accessor"
    )
    return _child(response, "auth", "response.auth") or {}, wrapped or None


def _is_caller_login(
    client_id: str | None,
    entity_id: str | None,
    auth_client_token: str | None,
    minted_client_token: str | None,
) -> bool:
    """Tell a login that carried a caller's token.

    Its response's ``auth`` shows the new token (the same
    ``client_token`` as ``response.auth``) while ``request.client_id``
    is the caller's; the caller's entity is not in the entry.
    """
    return bool(
        client_id
        and entity_id is not None
        and client_id != entity_id
        and auth_client_token is not None
        and auth_client_token == minted_client_token
    )


def _request_id(request: Mapping[str, object]) -> str | None:
    """Return ``request.id``, or None where the entry has none.

    Requests the server makes itself (a -dev server mounting its KV
    engine) carry no ID; such entries are not de-duplicated.
    """
    request_id = _string(request, "id", "request.id")
    if request_id is not None and not request_id:
        raise MalformedRecordError(
            field="request.id",
            reason="must be a non-empty string",
            value=request_id,
        )
    return request_id


def _reference_namespace(request: Mapping[str, object]) -> tuple[str, str]:
    namespace = _child(request, "namespace", "request.namespace")
    if namespace is None:
        # Audit logs of Vault versions without namespaces omit it.
        namespace_id, namespace_path = str(ROOT_NAMESPACE_ID), ""
    else:
        found_id = _string(namespace, "id", "request.namespace.id")
        if not found_id:
            raise MalformedRecordError(
                field="request.namespace.id",
                reason="must be a non-empty string",
                value=found_id,
            )
        namespace_id = found_id
        found_path = _string(namespace, "path", "request.namespace.path")
        namespace_path = found_path or ""
        if namespace_path and not namespace_path.endswith("/"):
            raise MalformedRecordError(
                field="request.namespace.path",
                reason="must end with '/'",
                value=namespace_path,
            )
    return namespace_id, namespace_path


def reference_parse(entry: object) -> _Entry:
    """Validate the fields counting needs; ignore every other field."""
    if type(entry) is not dict and not isinstance(entry, Mapping):
        raise MalformedRecordError(
            field="entry", reason="must be an object", value=entry
        )
    kind = entry.get("type")
    # The type test first: an unhashable value cannot be looked up.
    if not isinstance(kind, str) or kind not in {"request", "response"}:
        raise MalformedRecordError(
            field="type", reason="must be 'request' or 'response'", value=kind
        )
    time_text = _string(entry, "time", "time")
    if time_text is None:
        raise MalformedRecordError(
            field="time", reason="is required", value=None
        )
    time = _rfc3339(time_text, "time")
    request = _child(entry, "request", "request")
    if request is None:
        raise MalformedRecordError(
            field="request", reason="is required", value=None
        )
    request_id = _request_id(request)
    client_id = _string(request, "client_id", "request.client_id")
    namespace_id, namespace_path = _reference_namespace(request)
    path = _string(request, "path", "request.path") or ""
    auth = _child(entry, "auth", "auth") or {}
    entity_id = _string(auth, "entity_id", "auth.entity_id") or None
    minted, wrapped_accessor = _minted(entry)
    auth_client_token = (
        _string(auth, "client_token", "auth.client_token") or None
    )
    minted_client_token = (
        _string(minted, "client_token", "response.auth.client_token") or None
    )
    auth_is_minted = _is_caller_login(
        client_id, entity_id, auth_client_token, minted_client_token
    )
    if auth_is_minted:
        entity_id = None
    if client_id and entity_id is not None and client_id != entity_id:
        # Vault copies the entity ID into client_id; a mismatch means the
        # entry was altered, and neither value can be trusted.
        raise MalformedRecordError(
            field="request.client_id",
            reason=f"must equal auth.entity_id {entity_id!r}",
            value=client_id,
        )
    results = _child(auth, "policy_results", "auth.policy_results") or {}
    allowed = _boolean(results, "allowed", "auth.policy_results.allowed")
    token_policies = _strings(auth, "token_policies", "auth.token_policies")
    if token_policies is None:
        # Logs before token_policies existed: ``policies`` is the token's
        # own list for every token without identity policies.
        token_policies = _strings(auth, "policies", "auth.policies")
    metadata = _child(auth, "metadata", "auth.metadata") or {}
    error = _string(entry, "error", "error")
    # Parse both so a malformed one is reported whichever is used.
    token_accessor = _string(
        request, "client_token_accessor", "request.client_token_accessor"
    )
    auth_accessor = _string(auth, "accessor", "auth.accessor")
    accessor = token_accessor or (None if auth_is_minted else auth_accessor)
    return _Entry(
        time=time,
        is_response=kind == "response",
        request_id=request_id,
        client_id=client_id or None,
        client_token=_string(request, "client_token", "request.client_token")
        or None,
        accessor=accessor or None,
        namespace_id=namespace_id,
        namespace_path=namespace_path,
        mount_accessor=_string(
            request, "mount_accessor", "request.mount_accessor"
        )
        or None,
        path=path,
        mount_point=_relative_mount(
            _string(request, "mount_point", "request.mount_point") or "",
            namespace_path,
        ),
        mount_type=_string(request, "mount_type", "request.mount_type")
        or None,
        entity_id=entity_id,
        token_policies=token_policies,
        allowed=allowed,
        error=error,
        issue_time=_time(auth, "token_issue_time", "auth.token_issue_time"),
        ignore_for_billing=metadata.get("ignore_for_billing") == "true",
        auth_client_token=auth_client_token,
        minted_accessor=_string(minted, "accessor", "response.auth.accessor")
        or None,
        minted_client_token=minted_client_token,
        minted_entity_id=_string(
            minted, "entity_id", "response.auth.entity_id"
        )
        or None,
        minted_issue_time=_time(
            minted, "token_issue_time", "response.auth.token_issue_time"
        ),
        wrapped_accessor=wrapped_accessor,
    )
