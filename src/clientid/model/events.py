"""
The client event: one use of a client.

It lives in the model layer so that the activity log can accept events
without importing the adapters that make them.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, final

import attrs

from clientid.errors import InvalidModelError
from clientid.model.records import Client
from clientid.model.validators import (
    aware_datetime,
    boolean,
    optional_aware_datetime,
    optional_id_string,
)


def _client(
    _: object, attribute: attrs.Attribute[Client], value: object
) -> None:
    if not isinstance(value, Client):
        raise InvalidModelError(attribute.name, value, "must be a Client")


__all__ = ["ClientEvent"]


@final
@attrs.frozen(kw_only=True)
class ClientEvent:
    """
    One use of a client, ready to be recorded in an activity log.

    Attributes:
        client: The client, attributed to the token's namespace and issuing
            auth mount (export records: as Vault recorded it).
        at: When the client was used (UTC); the month it is counted in.
        token_creation_time: When the token was created, if known (export
            records before 1.21 call it ``timestamp``).
        approximate: Whether the attribution or the time is a fallback: the
            namespace is the request's and the mount is unknown because the
            token could not be joined to the response that minted it, or
            ``at`` is the token creation time because the export record
            has no first-use time.
        request_id: The audit entry's ``request.id`` (``None`` for export
            records).
    """

    client: Client = attrs.field(validator=_client)
    at: dt.datetime = attrs.field(validator=aware_datetime)
    token_creation_time: dt.datetime | None = attrs.field(
        default=None, validator=optional_aware_datetime
    )
    approximate: bool = attrs.field(default=False, validator=boolean)
    request_id: str | None = attrs.field(
        default=None, validator=optional_id_string
    )


_new: Final = object.__new__
# The slots' own setters (slotted attrs classes keep each field's member
# descriptor on the class): they skip the frozen class's ``__setattr__``,
# as the attrs-generated ``__init__`` does.
_slots: Final = vars(ClientEvent)
_set_client: Final = _slots["client"].__set__
_set_at: Final = _slots["at"].__set__
_set_token_creation_time: Final = _slots["token_creation_time"].__set__
_set_approximate: Final = _slots["approximate"].__set__
_set_request_id: Final = _slots["request_id"].__set__


def trusted_event(
    client: Client,
    at: dt.datetime,
    token_creation_time: dt.datetime | None,
    approximate: bool,  # noqa: FBT001 (positional for speed)
    request_id: str | None,
) -> ClientEvent:
    """
    Build a :class:`ClientEvent` from values the caller has checked.

    Equal to ``ClientEvent(client=..., ...)`` with the same values, without
    running the validators: only for an adapter that has already applied
    the same rules (a ``Client``, aware times, a ``bool``, ``None`` or a
    non-empty UTF-8 request ID).  It costs a fifth of the checked path.
    """
    event = _new(ClientEvent)
    _set_client(event, client)
    _set_at(event, at)
    _set_token_creation_time(event, token_creation_time)
    _set_approximate(event, approximate)
    _set_request_id(event, request_id)
    return event
