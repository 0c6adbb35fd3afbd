"""
Shared values and helpers of the identity store's tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientid import NamespaceId, Token

if TYPE_CHECKING:
    from clientid import IdentityStore, MountAccessor

ROOT = NamespaceId("root")
ROOT_TOKEN = Token(policies=("root",))


def userpass(store: IdentityStore) -> MountAccessor:
    """Enable a userpass mount in the root namespace; return its accessor."""
    return store.enable_auth("userpass").accessor
