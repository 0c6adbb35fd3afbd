"""
Laws of serialization: every model object round-trips exactly.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests import strategies as s

from clientid import IdentityState, IdentityStore, serde

PER_CLASS = [
    pytest.param(s.namespaces(), id="Namespace"),
    pytest.param(s.auth_mounts, id="AuthMount"),
    pytest.param(s.entities, id="Entity"),
    pytest.param(s.entity_aliases, id="EntityAlias"),
    pytest.param(s.groups, id="Group"),
    pytest.param(s.group_aliases, id="GroupAlias"),
    pytest.param(s.tokens, id="Token"),
    pytest.param(s.token_roles, id="TokenRole"),
    pytest.param(s.secret_sync_associations(), id="SecretSyncAssociation"),
    pytest.param(s.acme_identifiers, id="AcmeIdentifier"),
    pytest.param(s.acme_orders, id="AcmeOrder"),
    pytest.param(s.clients, id="Client"),
]


class TestRoundTrip:
    """
    "cattrs converters for every model class and report ... round-trip
    exact" (DESIGN G).
    """

    @pytest.mark.parametrize("strategy", PER_CLASS)
    @given(data=st.data())
    def test_from_dict_inverts_to_dict_through_json(self, strategy, data):
        """
        to_dict's output is plain JSON and reads back as an equal object.
        """
        obj = data.draw(strategy)

        text = json.dumps(serde.to_dict(obj))

        assert serde.from_dict(json.loads(text), type(obj)) == obj

    @pytest.mark.parametrize("strategy", PER_CLASS)
    @given(data=st.data())
    def test_vault_reader_accepts_the_own_format(self, strategy, data):
        """
        The lenient Vault reader reads clientid's own format identically.
        """
        obj = data.draw(strategy)

        assert serde.from_vault(serde.to_dict(obj), type(obj)) == obj

    @given(s.model_objects)
    def test_equal_objects_serialize_identically(self, obj):
        """
        An object and its round-tripped copy give identical JSON text.
        """
        first = json.dumps(serde.to_dict(obj))
        copy = serde.from_dict(json.loads(first), type(obj))

        assert json.dumps(serde.to_dict(copy)) == first


class TestIdentityStoreRoundTrip:
    """
    "register a hook so to_dict(store) / from_dict(d, IdentityStore)
    round-trip exactly" (the serde contract with the identity store).
    """

    @given(s.identity_states())
    def test_state_round_trips(self, state):
        """
        An identity state reads back equal from JSON.
        """
        text = json.dumps(serde.to_dict(state))

        assert serde.from_dict(json.loads(text), IdentityState) == state

    @given(s.identity_states())
    def test_store_round_trips(self, state):
        """
        A store built from any consistent state reads back the same.
        """
        store = IdentityStore.from_snapshot(state)

        text = json.dumps(serde.to_dict(store))
        back = serde.from_dict(json.loads(text), IdentityStore)

        assert back.snapshot() == store.snapshot()
