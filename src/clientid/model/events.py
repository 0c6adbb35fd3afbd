"""
The client event: one use of a client.

It lives in the model layer so that the activity log can accept events
without importing the adapters that make them.
"""

from __future__ import annotations

import datetime as dt
from typing import final

import attrs

from clientid.model.records import Client

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

    client: Client
    at: dt.datetime
    token_creation_time: dt.datetime | None = None
    approximate: bool = False
    request_id: str | None = None
