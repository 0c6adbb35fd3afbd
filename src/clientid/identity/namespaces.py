"""
Namespaces and auth mounts: ``sys/namespaces`` and ``sys/auth``.
"""

from __future__ import annotations

from typing import Final

from clientid.errors import InvalidRequestError, NotFoundError
from clientid.identity.rules import declare_rules, fail
from clientid.identity.state import StoreState
from clientid.identity.util import (
    RESERVED_NAMESPACE_NAMES,
    TOKEN_MOUNT_PATH,
    expect,
)
from clientid.model.ids import ROOT_NAMESPACE_ID, MountAccessor, NamespaceId
from clientid.model.records import AuthMount, Namespace

__all__ = ["NamespacesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "namespace-path-invalid": (
            InvalidRequestError,
            'invalid namespace path "{value}"',
        ),
        "namespace-name-reserved": (
            InvalidRequestError,
            'namespace name "{value}" is reserved',
        ),
        "namespace-exists": (
            InvalidRequestError,
            'namespace "{value}" already exists',
        ),
        "namespace-id-taken": (
            InvalidRequestError,
            'namespace ID "{value}" is already in use',
        ),
        "namespace-parent-missing": (
            InvalidRequestError,
            'parent namespace of "{value}" does not exist',
        ),
        "namespace-has-children": (
            InvalidRequestError,
            'namespace "{value}" has child namespaces',
        ),
        "namespace-root": (
            InvalidRequestError,
            "the root namespace cannot be deleted",
        ),
        "mount-path-invalid": (
            InvalidRequestError,
            'invalid mount path "{value}"',
        ),
        "mount-path-taken": (
            InvalidRequestError,
            'path is already in use at "{value}"',
        ),
        "mount-accessor-taken": (
            InvalidRequestError,
            'mount accessor "{value}" is already in use',
        ),
        "mount-unknown": (
            NotFoundError,
            'no auth mount with accessor "{value}"',
        ),
        "mount-token-reserved": (
            InvalidRequestError,
            "token credential backend cannot be disabled",
        ),
    }
)


class NamespacesPart(StoreState):
    """The namespaces part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def add_namespace(
        self,
        path: str | Namespace,
        *,
        namespace_id: NamespaceId | None = None,
    ) -> Namespace:
        """
        Create a namespace below an existing one, with its token mount.

        Args:
            path: The namespace's full path, e.g. ``"ns1/child"`` (a leading
                ``/`` is dropped and a trailing ``/`` added), or a
                :class:`~clientid.Namespace` to add as it is.
            namespace_id: Its ID; by default five base62 characters derived
                from the path.

        Returns:
            The new namespace.

        Raises:
            InvalidRequestError: If the path is malformed or reserved, the
                parent does not exist or is not the given ``parent_id``, or
                the path or ID is taken.
        """
        expected_parent: NamespaceId | None = None
        if isinstance(path, Namespace):
            namespace_id = path.id
            expected_parent = path.parent_id
            path = path.path
        canonical = path.removeprefix("/")
        if canonical and not canonical.endswith("/"):
            canonical += "/"
        segments = canonical[:-1].split("/") if canonical else [""]
        if any(not s or s in {".", ".."} or " " in s for s in segments):
            fail("namespace-path-invalid", "path", path)
        if segments[-1] in RESERVED_NAMESPACE_NAMES:
            fail("namespace-name-reserved", "path", segments[-1])
        if canonical in self._namespace_paths:
            fail("namespace-exists", "path", canonical)
        parent_path = "".join(s + "/" for s in segments[:-1])
        parent_id = self._namespace_paths.get(parent_path)
        if parent_id is None or expected_parent not in {None, parent_id}:
            fail("namespace-parent-missing", "path", canonical)
        if namespace_id is None:
            namespace_id = self._mint_namespace_id(canonical)
        elif namespace_id in self._namespaces or namespace_id in self._retired:
            fail("namespace-id-taken", "namespace_id", namespace_id)
        namespace = Namespace(
            id=namespace_id, path=canonical, parent_id=parent_id
        )
        self._put_namespace(namespace, self._token_mount_for(namespace))
        return namespace

    def delete_namespace(self, namespace_id: NamespaceId) -> None:
        """
        Delete a namespace without children, and everything in it.

        Its mounts, token roles, entities (with their aliases and group
        memberships) and groups (with their aliases) go with it; tokens of
        the namespace can no longer be used.

        Raises:
            InvalidRequestError: If it is the root namespace or has child
                namespaces.
            NotFoundError: If there is no such namespace.
        """
        namespace = self._require_namespace(namespace_id)
        if namespace.is_root:
            fail("namespace-root", "namespace_id", namespace_id)
        if any(n.parent_id == namespace_id for n in self._namespaces.values()):
            fail("namespace-has-children", "namespace_id", namespace_id)
        for entity_id in sorted(
            e.id
            for e in self._entities.values()
            if e.namespace_id == namespace_id
        ):
            self._remove_entity(entity_id)
        for group_id in sorted(
            g.id
            for g in self._groups.values()
            if g.namespace_id == namespace_id
        ):
            self._drop_group(group_id)
        for accessor in sorted(
            m.accessor
            for m in self._mounts.values()
            if m.namespace_id == namespace_id
        ):
            self._drop_mount(accessor)
        for key in sorted(k for k in self._roles if k[0] == namespace_id):
            del self._roles[key]
        del self._namespaces[namespace_id]
        del self._namespace_paths[namespace.path]
        del self._token_mounts[namespace_id]
        self._retired.add(namespace_id)

    def namespace(self, namespace_id: NamespaceId) -> Namespace:
        """
        Return the namespace with this ID.

        Raises:
            NotFoundError: If there is none.
        """
        return self._require_namespace(namespace_id)

    def namespace_by_path(self, path: str) -> Namespace:
        """
        Return the namespace with this path (``""`` or ``"/"`` for root).

        Raises:
            NotFoundError: If there is none.
        """
        canonical = path.removeprefix("/")
        if canonical and not canonical.endswith("/"):
            canonical += "/"
        namespace_id = self._namespace_paths.get(canonical)
        if namespace_id is None:
            fail("namespace-unknown", "path", path)
        return self._namespaces[namespace_id]

    def token_mount(
        self, namespace_id: NamespaceId = ROOT_NAMESPACE_ID
    ) -> AuthMount:
        """
        Return the ``auth/token/`` mount of a namespace.

        Raises:
            NotFoundError: If the namespace does not exist.
        """
        self._require_namespace(namespace_id)
        return self._mounts[self._token_mounts[namespace_id]]

    def enable_auth(
        self,
        type: str,  # noqa: A002 (Vault's field name)
        *,
        path: str | None = None,
        namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
        local: bool = False,
        accessor: MountAccessor | None = None,
    ) -> AuthMount:
        """
        Mount an auth method in a namespace (``vault auth enable``).

        Args:
            type: The auth method, e.g. ``"userpass"``.
            path: The mount path relative to the namespace, with or without
                the ``auth/`` prefix; by default ``auth/<type>/``.
            namespace_id: The namespace to mount it in.
            local: Whether the mount is local to its cluster.
            accessor: The accessor; by default ``auth_<type>_`` and eight hex
                digits derived from the namespace, path and history, so a
                re-enabled mount gets a new accessor, as in Vault.

        Returns:
            The new mount.

        Raises:
            InvalidRequestError: If the path or accessor is taken.
            NotFoundError: If the namespace does not exist.
        """
        self._require_namespace(namespace_id)
        relative = (path or type).strip("/")
        if not relative:
            fail("mount-path-invalid", "path", path)
        if not relative.startswith("auth/"):
            relative = "auth/" + relative
        relative += "/"
        if (namespace_id, relative) in self._mount_paths:
            fail("mount-path-taken", "path", relative)
        if accessor is None:
            accessor = self._mint_accessor(type, namespace_id, relative)
        elif accessor in self._mounts or accessor in self._retired:
            fail("mount-accessor-taken", "accessor", accessor)
        mount = AuthMount(
            accessor=accessor,
            type=type,
            path=relative,
            namespace_id=namespace_id,
            local=local,
        )
        self._put_mount(mount)
        return mount

    def add_mount(self, mount: AuthMount) -> None:
        """
        Add an auth mount given as a model object (accessor chosen).

        Raises:
            InvalidRequestError: If the accessor or the path is taken, or
                the mount claims a namespace's ``auth/token/`` path.
            NotFoundError: If its namespace does not exist.
        """
        self._require_namespace(mount.namespace_id)
        if (mount.namespace_id, mount.path) in self._mount_paths:
            fail("mount-path-taken", "path", mount.path)
        if mount.accessor in self._mounts or mount.accessor in self._retired:
            fail("mount-accessor-taken", "accessor", mount.accessor)
        self._put_mount(mount)

    def disable_auth(self, accessor: MountAccessor) -> None:
        """
        Unmount an auth method.

        Aliases that reference the accessor stay, dangling: Vault does not
        delete them, and since a re-enabled mount gets a new accessor, they
        never match a login again.

        Raises:
            InvalidRequestError: For a namespace's token mount.
            NotFoundError: If no mount has this accessor.
        """
        mount = self.mount(accessor)
        if mount.path == TOKEN_MOUNT_PATH:
            fail("mount-token-reserved", "accessor", accessor)
        self._drop_mount(accessor)

    def mount(self, accessor: MountAccessor) -> AuthMount:
        """
        Return the auth mount with this accessor.

        Raises:
            NotFoundError: If there is none.
        """
        mount = self._mounts.get(accessor)
        if mount is None:
            fail("mount-unknown", "accessor", accessor)
        return mount

    def _check_namespaces(self) -> None:
        """Check the namespace and mount indexes (for tests)."""
        for ns in self._namespaces.values():
            expect(self._namespace_paths[ns.path] == ns.id, "namespace path")
            expect(
                ns.parent_id is None or ns.parent_id in self._namespaces,
                "namespace parent",
            )
            token_mount = self._mounts[self._token_mounts[ns.id]]
            expect(token_mount.path == TOKEN_MOUNT_PATH, "token mount")
        expect(
            len(self._namespace_paths) == len(self._namespaces),
            "namespace index",
        )
        for accessor, mount in self._mounts.items():
            expect(mount.namespace_id in self._namespaces, "mount namespace")
            path_key = (mount.namespace_id, mount.path)
            expect(self._mount_paths[path_key] == accessor, "mount path")
        expect(len(self._mount_paths) == len(self._mounts), "mount index")
