"""
Benchmarks of the resolvers against the bare recipe as a floor.

Run: python -m pytest benchmarks/test_bench_resolve.py --benchmark-only
"""

from __future__ import annotations

import base64
import hashlib
import random

import pytest

from clientid import (
    AcmeIdentifier,
    EntityId,
    IdentityStore,
    MountAccessor,
    NamespaceId,
    Token,
    acme_client_id,
    client_for_token,
    sanitize_policies,
)

BATCH = 1_000
_POLICY_POOL = ["default", "admin", "dev", "ops", "kv-read", "pki", "ci"]


def _policy_lists(seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    return [
        tuple(rng.sample(_POLICY_POOL, rng.randint(1, 4)))
        for _ in range(BATCH)
    ]


@pytest.fixture(scope="module")
def policy_lists() -> list[tuple[str, ...]]:
    return _policy_lists(1)


@pytest.fixture(scope="module")
def non_entity_tokens(policy_lists) -> list[Token]:
    return [
        Token(namespace_id=NamespaceId("aBcD1"), policies=policies)
        for policies in policy_lists
    ]


def _bare_recipe(policies: tuple[str, ...], namespace_id: str) -> str:
    text = "\x7f".join(sorted(policies)) + "\x00" + namespace_id
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b64encode(digest).decode()


def test_bench_bare_recipe_floor(benchmark, policy_lists):
    """Floor: the recipe inlined, with no model object."""
    benchmark(lambda: [_bare_recipe(p, "aBcD1") for p in policy_lists])


def test_bench_client_for_token_non_entity(benchmark, non_entity_tokens):
    """client_for_token over 1,000 non-entity tokens."""
    benchmark(lambda: [client_for_token(t) for t in non_entity_tokens])


def test_bench_client_for_token_entity(benchmark):
    """client_for_token over 1,000 entity tokens (no hashing)."""
    rng = random.Random(2)
    tokens = [
        Token(
            policies=("default",),
            entity_id=EntityId(f"{rng.getrandbits(128):032x}"),
        )
        for _ in range(BATCH)
    ]
    benchmark(lambda: [client_for_token(t) for t in tokens])


def test_bench_naive_sanitize_floor(benchmark, policy_lists):
    """Floor: a naive trim/lower/dedupe/sort without Go's rules."""
    benchmark(
        lambda: [
            tuple(sorted({p.strip().lower() for p in ps} | {"default"}))
            for ps in policy_lists
        ]
    )


def test_bench_sanitize_policies(benchmark, policy_lists):
    """sanitize_policies over 1,000 requested policy lists."""
    benchmark(lambda: [sanitize_policies(ps) for ps in policy_lists])


def test_bench_acme_client_id(benchmark):
    """acme_client_id over 1,000 two-identifier orders."""
    rng = random.Random(3)
    orders = [
        (
            AcmeIdentifier(type="dns", value=f"h{rng.getrandbits(32)}.test"),
            AcmeIdentifier(type="dns", value="*.test"),
        )
        for _ in range(BATCH)
    ]
    benchmark(lambda: [acme_client_id(o) for o in orders])


# --------------------------------------------------------------------------
# Identity store: replaying logins (IdentityStore.login).
# --------------------------------------------------------------------------

LOGINS = 1_000_000
DISTINCT_ALIASES = 100_000


def _login_stream(
    logins: int, distinct: int, seed: int
) -> tuple[list[str], list[str]]:
    """Return (mount kind, alias name) per login, seeded.

    Exactly *distinct* alias keys (mount, lower-cased name), each logging
    in at least once; a tenth of the logins use the upper-case spelling, as
    replayed audit logs have them.
    """
    rng = random.Random(seed)
    keys = [
        (
            "ldap" if i % 4 == 0 else "userpass",
            f"user-{i:06d}-{rng.getrandbits(24):06x}",
        )
        for i in range(distinct)
    ]
    stream = keys + [rng.choice(keys) for _ in range(logins - distinct)]
    rng.shuffle(stream)
    mounts = [mount for mount, _ in stream]
    names = [
        name.upper() if i % 10 == 0 else name
        for i, (_, name) in enumerate(stream)
    ]
    return mounts, names


@pytest.fixture(scope="module")
def login_stream() -> tuple[list[str], list[str]]:
    return _login_stream(LOGINS, DISTINCT_ALIASES, seed=7)


def _fresh_store() -> tuple[IdentityStore, dict[str, MountAccessor]]:
    store = IdentityStore()
    accessors = {
        kind: store.enable_auth(kind).accessor for kind in ("userpass", "ldap")
    }
    return store, accessors


def _replay(
    store: IdentityStore,
    accessors: dict[str, MountAccessor],
    stream: tuple[list[str], list[str]],
) -> int:
    login = store.login
    policies = ("app",)
    for mount, name in zip(*stream, strict=True):
        login(accessors[mount], name, policies=policies)
    return len(stream[1])


def test_bench_replay_logins_1m_over_100k_aliases(benchmark, login_stream):
    """IdentityStore.login: 1,000,000 logins over 100,000 aliases, fresh."""
    result = benchmark.pedantic(
        _replay,
        setup=lambda: ((*_fresh_store(), login_stream), {}),
        rounds=3,
        iterations=1,
    )
    assert result == LOGINS
    benchmark.extra_info["logins_per_second"] = round(
        LOGINS / benchmark.stats.stats.mean
    )


def test_bench_replay_known_aliases(benchmark, login_stream):
    """IdentityStore.login for aliases that already exist (steady state)."""
    store, accessors = _fresh_store()
    _replay(store, accessors, login_stream)
    benchmark.pedantic(
        _replay, args=(store, accessors, login_stream), rounds=3
    )
    benchmark.extra_info["logins_per_second"] = round(
        LOGINS / benchmark.stats.stats.mean
    )


def test_bench_dict_resolve_floor(benchmark, login_stream):
    """Floor: one dict lookup per login, minting nothing (a plain dict)."""

    def replay() -> int:
        entities: dict[tuple[str, str], int] = {}
        for mount, name in zip(*login_stream, strict=True):
            entities.setdefault((mount, name.lower()), len(entities))
        return len(entities)

    benchmark.pedantic(replay, rounds=3)
    benchmark.extra_info["logins_per_second"] = round(
        LOGINS / benchmark.stats.stats.mean
    )
