"""
Tests for the model's trusted constructors: the same objects, unchecked.
"""

from __future__ import annotations

import pickle

import attrs
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import aware_datetimes, clients

from clientid import Client, ClientEvent, ClientId, ClientType, NamespaceId
from clientid.model.events import trusted_event
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
