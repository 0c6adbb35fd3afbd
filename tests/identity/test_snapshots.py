"""
Snapshots and loading them back (clientid.identity.snapshots).
"""

from __future__ import annotations

import attrs
import pytest

from clientid import (
    AuthMount,
    IdentityState,
    IdentityStore,
    MountAccessor,
    Namespace,
    NamespaceId,
    TokenRole,
)
from clientid.errors import (
    InvalidModelError,
)


def _populated() -> IdentityStore:
    store = IdentityStore()
    accessor = store.enable_auth("userpass").accessor
    ns1 = store.add_namespace("ns1").id
    store.enable_auth("ldap", namespace_id=ns1)
    for name in ["carol", "alice", "bob"]:
        store.login(accessor, name)
    store.create_group(name="g", policies=["x"])
    store.create_group_alias(mount_accessor=accessor, name="devs")
    store.add_token_role(TokenRole(name="r"))
    return store


def test_snapshot_is_sorted_and_round_trips():
    """
    Snapshots hold sorted tuples and rebuild an identical store.
    """
    state = _populated().snapshot()

    rebuilt = IdentityStore.from_snapshot(state)

    assert [e.id for e in state.entities] == sorted(
        e.id for e in state.entities
    )
    assert rebuilt.snapshot() == state


def test_rebuilt_store_mints_the_same_ids_as_the_original():
    """
    A store rebuilt from a snapshot continues exactly like the original.
    """
    original = _populated()
    rebuilt = IdentityStore.from_snapshot(original.snapshot())

    one = original.create_entity()
    two = rebuilt.create_entity()

    assert one == two


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: attrs.evolve(s, namespaces=()), "namespaces"),
        (
            lambda s: attrs.evolve(
                s, mounts=tuple(m for m in s.mounts if m.type != "token")
            ),
            "mounts",
        ),
        (lambda s: attrs.evolve(s, entities=s.entities * 2), "entities"),
        (lambda s: attrs.evolve(s, entities=()), "entity_aliases"),
        (lambda s: attrs.evolve(s, groups=s.groups * 2), "groups"),
        (
            lambda s: attrs.evolve(s, group_aliases=s.group_aliases * 2),
            "group_aliases",
        ),
        (
            lambda s: attrs.evolve(
                s, entity_aliases=s.entity_aliases + s.entity_aliases[:1]
            ),
            "entity_aliases",
        ),
    ],
)
def test_inconsistent_snapshots_are_refused(change, field):
    """
    from_snapshot rejects states that break the store's invariants.
    """
    state = change(_populated().snapshot())

    with pytest.raises(InvalidModelError) as info:
        IdentityStore.from_snapshot(state)

    assert info.value.field == field


def test_snapshot_refuses_a_namespace_whose_parent_is_missing():
    """
    A child namespace needs its parent in the state.
    """
    child = Namespace(
        id=NamespaceId("abcde"), path="a/", parent_id=NamespaceId("zzzzz")
    )
    state = IdentityState(
        namespaces=(Namespace.root(), child),
        mounts=(
            AuthMount(
                accessor=MountAccessor("t"), type="token", path="auth/token/"
            ),
        ),
    )

    with pytest.raises(InvalidModelError) as info:
        IdentityStore.from_snapshot(state)

    assert info.value.value == "abcde"


def test_snapshot_keeps_the_local_mount_entities_setting():
    """
    A store rebuilt from a snapshot keeps skipping identity on local mounts.
    """
    store = IdentityStore(disable_local_auth_mount_entities=True)
    local = store.enable_auth("userpass", local=True).accessor

    rebuilt = IdentityStore.from_snapshot(store.snapshot())

    assert rebuilt.snapshot() == store.snapshot()
    assert rebuilt.login(local, "alice").entity is None
