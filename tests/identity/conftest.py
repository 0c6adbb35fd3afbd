"""
Fixtures of the identity store's tests.
"""

from __future__ import annotations

import pytest

from clientid import IdentityStore


@pytest.fixture
def store() -> IdentityStore:
    """A new store: the root namespace and its token mount."""
    return IdentityStore()
