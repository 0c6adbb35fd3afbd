"""
Namespaces and auth mounts (clientid.identity.namespaces).
"""

from __future__ import annotations

import pytest
from tests.identity.support import ROOT

from clientid import (
    AuthMount,
    MountAccessor,
    Namespace,
    NamespaceId,
    TokenRole,
)
from clientid.errors import (
    IdentityError,
    InvalidRequestError,
    NotFoundError,
)


def test_new_store_holds_the_root_namespace_and_its_token_mount(store):
    """
    A fresh store knows root and root's auth/token/ mount.
    """
    mount = store.token_mount()

    assert store.namespace(ROOT) == Namespace.root()
    assert (mount.type, mount.path, mount.namespace_id) == (
        "token",
        "auth/token/",
        ROOT,
    )


def test_add_namespace_canonicalises_and_derives_a_short_id(store):
    """
    Paths gain a trailing slash; IDs are five base62 characters.
    """
    ns1 = store.add_namespace("/ns1")
    child = store.add_namespace("ns1/child")

    assert ns1.path == "ns1/"
    assert child.parent_id == ns1.id
    assert len(child.id) == 5
    assert child.id.isalnum()
    assert store.namespace_by_path("ns1/child") == child


def test_every_namespace_gets_its_own_token_mount(store):
    """
    Token mounts differ per namespace and live in it.
    """
    ns1 = store.add_namespace("ns1").id

    assert store.token_mount(ns1).accessor != store.token_mount().accessor
    assert store.token_mount(ns1).namespace_id == ns1


def test_enable_auth_prefixes_auth_and_derives_accessors(store):
    """
    Mount paths gain auth/ and a slash; accessors look like Vault's.
    """
    mount = store.enable_auth("ldap", path="corp-ldap")

    assert mount.path == "auth/corp-ldap/"
    assert mount.accessor.startswith("auth_ldap_")
    assert store.mount(mount.accessor) == mount


def test_delete_namespace_removes_everything_in_it(store):
    """
    Entities, groups, mounts and roles of a deleted namespace are gone.
    """
    ns1 = store.add_namespace("ns1").id
    accessor = store.enable_auth("userpass", namespace_id=ns1).accessor
    entity = store.login(accessor, "alice").entity
    store.create_group(name="g", namespace_id=ns1)
    store.add_token_role(TokenRole(name="r", namespace_id=ns1))
    assert entity is not None

    store.delete_namespace(ns1)

    state = store.snapshot()
    assert [n.id for n in state.namespaces] == [ROOT]
    assert state.entities == state.groups == state.token_roles == ()
    assert [m.accessor for m in state.mounts] == [store.token_mount().accessor]
    with pytest.raises(NotFoundError):
        store.entity(entity.id)


def test_add_namespace_accepts_a_namespace_object(store):
    """
    A hand-built Namespace is added as it is, with its token mount.
    """
    namespace = Namespace(
        id=NamespaceId("team1"), path="team/", parent_id=ROOT
    )

    added = store.add_namespace(namespace)

    assert added == namespace
    assert store.token_mount(namespace.id).namespace_id == namespace.id


def test_add_namespace_refuses_a_wrong_parent(store):
    """
    A Namespace whose parent_id is not its path's parent is refused.
    """
    store.add_namespace("a", namespace_id=NamespaceId("aaaaa"))
    wrong = Namespace(id=NamespaceId("bbbbb"), path="a/b/", parent_id=ROOT)

    with pytest.raises(InvalidRequestError) as info:
        store.add_namespace(wrong)

    assert info.value.rule == "namespace-parent-missing"


def test_add_mount_adds_a_hand_built_mount(store):
    """
    add_mount takes an AuthMount with its own accessor.
    """
    mount = AuthMount(
        accessor=MountAccessor("auth_userpass_0000aaaa"),
        type="userpass",
        path="auth/userpass/",
    )

    store.add_mount(mount)
    result = store.login(mount.accessor, "alice")

    assert store.mount(mount.accessor) == mount
    assert result.token.mount_accessor == mount.accessor


@pytest.mark.parametrize(
    ("mount", "rule"),
    [
        (
            AuthMount(
                accessor=MountAccessor("x"), type="t", path="auth/token/"
            ),
            "mount-path-taken",
        ),
        (
            AuthMount(
                accessor=MountAccessor("x"),
                type="t",
                path="auth/t/",
                namespace_id=NamespaceId("nope"),
            ),
            "namespace-unknown",
        ),
    ],
)
def test_add_mount_refuses_taken_paths_and_unknown_namespaces(
    store, mount, rule
):
    """
    add_mount refuses a taken path or a missing namespace.
    """
    with pytest.raises(IdentityError) as info:
        store.add_mount(mount)

    assert info.value.rule == rule


def test_add_mount_refuses_a_taken_accessor(store):
    """
    Two mounts cannot share an accessor.
    """
    accessor = store.token_mount().accessor
    mount = AuthMount(accessor=accessor, type="userpass", path="auth/up/")

    with pytest.raises(InvalidRequestError) as info:
        store.add_mount(mount)

    assert info.value.rule == "mount-accessor-taken"


def test_namespace_check_finds_a_stale_path_index(store):
    """
    _check_namespaces() fails when the path index names a wrong namespace.
    """
    ns = store.add_namespace("ns1")
    store._check_namespaces()
    store._namespace_paths[ns.path] = ROOT

    with pytest.raises(AssertionError, match="namespace path"):
        store._check_namespaces()


def test_namespace_check_finds_a_mount_path_indexed_to_another(store):
    """
    _check_namespaces() fails when a mount's path names another accessor.
    """
    mount = store.enable_auth("userpass")
    other = store.token_mount().accessor
    store._mount_paths[(mount.namespace_id, mount.path)] = other

    with pytest.raises(AssertionError, match="mount path"):
        store._check_namespaces()
