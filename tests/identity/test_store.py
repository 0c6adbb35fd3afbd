"""
The IdentityStore facade as a whole (clientid.identity.store).
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from tests.identity.support import userpass

_ROOT_DIR = Path(__file__).resolve().parents[2]


def test_vault_world_example_counts_its_clients(capsys):
    """
    examples/vault_world.py runs and reports eight distinct clients.
    """
    runpy.run_path(
        str(_ROOT_DIR / "examples" / "vault_world.py"), run_name="__main__"
    )

    out = capsys.readouterr().out
    assert "total      8 distinct clients" in out
    assert "non-entity-token" in out


def test_repr_counts_what_the_store_holds(store):
    """
    The repr summarises the store without dumping it.
    """
    store.login(userpass(store), "alice")

    assert repr(store) == (
        "<IdentityStore: 1 namespaces, 2 mounts, 1 entities, 1 aliases,"
        " 0 groups>"
    )


def test_check_runs_every_parts_invariant_check(store):
    """
    _check() on a store with every kind of object passes, and fails as
    soon as one part's index is broken.
    """
    accessor = store.enable_auth("ldap").accessor
    login = store.login(accessor, "alice")
    galias = store.create_group_alias(mount_accessor=accessor, name="devs")
    assert login.entity is not None
    store.create_group(name="g", member_entity_ids=[login.entity.id])
    store._check()
    del store._group_alias_keys[(accessor, "devs")]

    with pytest.raises(KeyError):
        store._check()
    assert galias.id in store._group_aliases
