"""
Logins and their determinism (clientid.identity.logins).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from tests.identity.support import userpass

from clientid import (
    IdentityStore,
)


def test_login_reports_only_known_group_aliases_and_time(store):
    """
    The login result echoes matching group aliases; the token keeps at.
    """
    accessor = userpass(store)
    store.create_group_alias(mount_accessor=accessor, name="devs")
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    result = store.login(
        accessor, "a", group_aliases=iter(["x", "devs"]), at=at
    )

    assert result.group_aliases == ("devs",)
    assert result.token.creation_time == at


_REPLAY = """
from clientid import IdentityStore
s = IdentityStore()
a = s.enable_auth("userpass").accessor
ns = s.add_namespace("ns1").id
for n in ["zed", "amy", "Bob", "bob", "cy"]:
    s.login(a, n, group_aliases=["g"])
members = [e.id for e in s.snapshot().entities]
s.create_group(name="g", member_entity_ids=members)
print(repr(s.snapshot()))
"""


def test_replays_are_identical_under_any_hash_seed():
    """
    The same operations give the same snapshot under different hash seeds.
    """
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _REPLAY],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "12345")
    ]

    assert outputs[0] == outputs[1] == outputs[2]
    assert "entity_" in outputs[0]


def test_implicit_entity_agrees_with_the_separate_recipes():
    """
    implicit_entity hashes once but equals implicit_entity_id and _name.
    """
    from clientid.model.hashing import (  # noqa: PLC0415 (private helpers)
        implicit_entity,
        implicit_entity_id,
        implicit_entity_name,
    )

    entity_id, name, alias_id = implicit_entity("root", "auth_up_1", "Alice")

    assert entity_id == implicit_entity_id("root", "auth_up_1", "alice")
    assert name == implicit_entity_name("root", "auth_up_1", "ALICE")
    assert alias_id not in {entity_id, name}


def test_login_mints_the_same_alias_id_in_every_replay():
    """
    The implicit alias ID is derived, like the entity ID, from the login.
    """
    first, second = IdentityStore(), IdentityStore()

    a = first.login(first.enable_auth("userpass").accessor, "alice").alias
    b = second.login(second.enable_auth("userpass").accessor, "ALICE").alias

    assert a is not None
    assert b is not None
    assert a.id == b.id


def test_repeated_login_reuses_its_result_until_something_changes(store):
    """
    A repeat login returns the same result object; a change rebuilds it.
    """
    accessor = userpass(store)
    first = store.login(accessor, "alice", policies=["p"])
    assert first.entity is not None

    again = store.login(accessor, "ALICE", policies=("p",))
    store.update_entity(first.entity.id, policies=["e"])
    changed = store.login(accessor, "alice", policies=("p",))

    assert again is not first
    assert store.login(accessor, "alice", policies=("p",)) is changed
    assert again.token == first.token
    assert changed.entity is not None
    assert changed.entity.policies == ("e",)


@given(
    logins=st.lists(
        st.tuples(
            st.sampled_from(["userpass", "ldap"]),
            st.sampled_from(
                ["alice", "Alice", "bob", "BOB", "carol", "\u0130x", "ix"]
            ),
        ),
        max_size=12,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_login_order_does_not_change_the_resulting_entities(logins, seed):
    """
    Replaying the same logins in another order yields the same entities.
    """

    def replay(order: list[tuple[str, str]]) -> tuple[object, ...]:
        store = IdentityStore()
        mounts = {
            kind: store.enable_auth(kind).accessor
            for kind in ("userpass", "ldap")
        }
        for kind, name in order:
            store.login(mounts[kind], name)
        return store.snapshot().entities

    shuffled = list(logins)
    seed.shuffle(shuffled)

    assert replay(logins) == replay(shuffled)


def test_dotted_capital_i_derives_the_same_entity_in_either_login_order():
    """
    İx and ix share an alias key, so whichever logs in first, one entity ID.
    """

    def first_entity(names: tuple[str, str]) -> object:
        store = IdentityStore()
        accessor = store.enable_auth("userpass").accessor
        results = [store.login(accessor, name) for name in names]
        assert results[0].entity == results[1].entity
        return results[0].entity

    assert first_entity(("\u0130x", "ix")) == first_entity(("ix", "\u0130x"))
