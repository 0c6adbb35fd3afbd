"""
Tests for the model's trusted constructors: the same objects, unchecked.
"""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import aware_datetimes, clients
from tests.test_ingest_audit import login, use

from clientid import (
    AuditLogReader,
    Client,
    ClientEvent,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.errors import DecodeError
from clientid.ingest.audit import (
    AUDIT_READER_FORMAT_VERSION,
    AUDIT_READER_MAGIC,
)
from clientid.model.events import trusted_event
from clientid.model.framing import frame, unframe
from clientid.model.records import trusted_client

request_ids = st.none() | st.uuids().map(str)


def _same(first: object, second: object) -> bool:
    """Whether two model objects are equal in every observable way."""
    return (
        first == second
        and hash(first) == hash(second)
        and repr(first) == repr(second)
        and attrs.asdict(first) == attrs.asdict(second)  # type: ignore[arg-type]
        and pickle.loads(pickle.dumps(first)) == second
    )


@given(clients)
def test_trusted_client_equals_the_checked_client(client):
    """A trusted client equals the validated one with the same fields."""
    trusted = trusted_client(
        client.id, client.type, client.namespace_id, client.mount_accessor
    )

    assert _same(trusted, client)
    assert type(trusted) is Client


@given(
    clients,
    aware_datetimes,
    st.none() | aware_datetimes,
    st.booleans(),
    request_ids,
)
def test_trusted_event_equals_the_checked_event(
    client, at, created, approximate, request_id
):
    """A trusted event equals the validated one with the same fields."""
    checked = ClientEvent(
        client=client,
        at=at,
        token_creation_time=created,
        approximate=approximate,
        request_id=request_id,
    )

    trusted = trusted_event(client, at, created, approximate, request_id)

    assert _same(trusted, checked)
    assert type(trusted) is ClientEvent


def test_trusted_objects_stay_frozen():
    """The trusted path builds frozen objects, as the checked one does."""
    client = trusted_client(
        ClientId("c"), ClientType.ENTITY, NamespaceId("root"), None
    )

    try:
        client.id = ClientId("d")  # type: ignore[misc]
    except attrs.exceptions.FrozenInstanceError:
        frozen = True
    else:
        frozen = False

    assert frozen


def _image_with_origin(namespace_id: str, mount_accessor: str | None) -> bytes:
    """A reader's image saying the token was minted there."""
    reader = AuditLogReader()
    reader.feed(login())
    document: Any = unframe(
        reader.to_bytes(),
        AUDIT_READER_MAGIC,
        AUDIT_READER_FORMAT_VERSION,
        "audit reader",
    )
    for origin in document["origins"]:
        origin[1:3] = [namespace_id, mount_accessor]
    document["entity_origins"] = []
    return frame(AUDIT_READER_MAGIC, AUDIT_READER_FORMAT_VERSION, document)


def _restored_with_origin(
    namespace_id: str, mount_accessor: str | None
) -> AuditLogReader:
    """A reader restored from :func:`_image_with_origin`."""
    return AuditLogReader.from_bytes(
        _image_with_origin(namespace_id, mount_accessor)
    )


@pytest.mark.parametrize(
    ("namespace_id", "mount_accessor", "rule"),
    [
        ("", "auth_userpass_1", "must be a non-empty ID"),
        ("ns\ud800", "auth_userpass_1", "no lone surrogate"),
        ("root", "", "must be a non-empty ID"),
        ("root", "acc\udc00", "no lone surrogate"),
    ],
)
def test_an_image_with_an_attribution_no_client_holds_is_refused(
    namespace_id, mount_accessor, rule
):
    """
    An empty or unencodable namespace or mount in a saved image is a
    DecodeError when the image is read, not an error at a later entry.
    """
    image = _image_with_origin(namespace_id, mount_accessor)

    with pytest.raises(DecodeError) as caught:
        AuditLogReader.from_bytes(image)

    assert rule in str(caught.value)


@pytest.mark.parametrize(
    ("namespace_id", "mount_accessor"),
    [("ns1", "acc1"), ("ns-\u00e9", "acc-\u00fc"), ("ns1", None)],
)
def test_reader_builds_the_checked_client_from_a_saved_image(
    namespace_id, mount_accessor
):
    """An image attribution that loads builds the validated client."""
    reader = _restored_with_origin(namespace_id, mount_accessor)

    event = reader.feed(use())

    assert event is not None
    assert event.client == Client(
        id=event.client.id,
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(namespace_id),
        mount_accessor=(
            None if mount_accessor is None else MountAccessor(mount_accessor)
        ),
    )
