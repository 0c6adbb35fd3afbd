"""
Benchmarks of serde against plain attrs and plain cattrs.

Run: python -m pytest benchmarks/test_bench_serde.py --benchmark-only
"""

from __future__ import annotations

import random

import attrs
import cattrs
import pytest

from clientid import Entity, EntityId, freeze_metadata, serde

BATCH = 1_000


@pytest.fixture(scope="module")
def entities() -> list[Entity]:
    rng = random.Random(7)
    return [
        Entity(
            id=EntityId(f"{rng.getrandbits(128):032x}"),
            name=f"entity_{i:08x}",
            policies=tuple(sorted(rng.sample(["a", "b", "c", "d"], 2))),
            metadata=freeze_metadata({"team": f"t{i % 7}", "env": "prod"}),
        )
        for i in range(BATCH)
    ]


@pytest.fixture(scope="module")
def dicts(entities) -> list[dict[str, object]]:
    return [serde.to_dict(e) for e in entities]


def test_bench_attrs_asdict_peer(benchmark, entities):
    """Peer: attrs.asdict (no enum, datetime or metadata handling)."""
    benchmark(lambda: [attrs.asdict(e) for e in entities])


def test_bench_to_dict(benchmark, entities):
    """serde.to_dict over 1,000 entities."""
    benchmark(lambda: [serde.to_dict(e) for e in entities])


def test_bench_plain_cattrs_structure_peer(benchmark, dicts):
    """Peer: a default cattrs.Converter (coercing, metadata as pairs)."""
    converter = cattrs.Converter()
    plain = [{**d, "metadata": list(d["metadata"].items())} for d in dicts]
    benchmark(lambda: [converter.structure(d, Entity) for d in plain])


def test_bench_from_dict(benchmark, dicts):
    """serde.from_dict (strict) over 1,000 entity dicts."""
    benchmark(lambda: [serde.from_dict(d, Entity) for d in dicts])


def test_bench_from_vault(benchmark, dicts):
    """serde.from_vault (lenient) over 1,000 entity dicts."""
    benchmark(lambda: [serde.from_vault(d, Entity) for d in dicts])
