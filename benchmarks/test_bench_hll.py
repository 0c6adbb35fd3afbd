"""
Benchmarks of the HyperLogLog sketch, side by side with its peers.

Peers: ``datasketches`` (``hll_sketch``, HLL_8; the reference), ``hll`` (the
``HLL`` package), ``datasketch`` (``HyperLogLog(p=14)``) and a plain ``set``.
Every group runs the same operation on the same 1,000,000 distinct 36-char
UUID strings at lg_k 14 (one group: a million client IDs of mixed shapes),
so the ratios in a group read directly.  The ``clientid`` update runs on
the optional numpy path when numpy is installed (``*_numpy``) and on the
pure-Python path (``*_pure``).  Run::

    python -m pytest benchmarks/test_bench_hll.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,rounds \\
        --benchmark-json=hll.json

Serialized sizes are not timings: the serialize group stores each size in
its benchmark's ``extra_info`` (see ``--benchmark-json``).
"""

from __future__ import annotations

import base64
import hashlib
import pickle
import random
import uuid
from typing import Any
from unittest import mock

import pytest

from clientid import HyperLogLog
from clientid.sketch import hll as _hll

datasketches = pytest.importorskip("datasketches")
HLL = pytest.importorskip("HLL")
datasketch = pytest.importorskip("datasketch")

N: int = 1_000_000
LG_K: int = 14
HLL_8 = datasketches.tgt_hll_type.HLL_8
#: One timed round feeds a million items; three rounds keep a run short.
ROUNDS: int = 3


def uuids(count: int, seed: int) -> list[str]:
    """Return *count* distinct random version-4 UUID strings (36 chars)."""
    rng = random.Random(seed)
    return [
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def ids() -> list[str]:
    """The million distinct UUID strings every ingest benchmark feeds."""
    return uuids(N, 14)


@pytest.fixture(scope="module")
def encoded(ids: list[str]) -> list[bytes]:
    """The same IDs as UTF-8 bytes (datasketch hashes bytes only)."""
    return [item.encode() for item in ids]


# --------------------------------------------------------------------------
# Per-item add: one call per ID.
# --------------------------------------------------------------------------


def _clientid_add(items: list[str]) -> HyperLogLog:
    sketch = HyperLogLog(LG_K)
    add = sketch.add
    for item in items:
        add(item)
    return sketch


def _datasketches_add(items: list[str]) -> Any:
    sketch = datasketches.hll_sketch(LG_K, HLL_8)
    update = sketch.update
    for item in items:
        update(item)
    return sketch


def _hll_add(items: list[str]) -> Any:
    sketch = HLL.HyperLogLog(LG_K)
    add = sketch.add
    for item in items:
        add(item)
    return sketch


def _datasketch_add(items: list[bytes]) -> Any:
    sketch = datasketch.HyperLogLog(p=LG_K)
    update = sketch.update
    for item in items:
        update(item)
    return sketch


def _set_add(items: list[str]) -> set[str]:
    seen: set[str] = set()
    add = seen.add
    for item in items:
        add(item)
    return seen


@pytest.mark.benchmark(group="add: per item, 1M UUIDs")
def test_add_clientid(benchmark, ids):
    """
    clientid: HyperLogLog.add per ID.
    """
    sketch = benchmark.pedantic(_clientid_add, (ids,), rounds=ROUNDS)

    assert abs(sketch.estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="add: per item, 1M UUIDs")
def test_add_datasketches(benchmark, ids):
    """
    datasketches: hll_sketch.update per ID (HLL_8).
    """
    sketch = benchmark.pedantic(_datasketches_add, (ids,), rounds=ROUNDS)

    assert abs(sketch.get_estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="add: per item, 1M UUIDs")
def test_add_hll(benchmark, ids):
    """
    hll (HLL package): HyperLogLog.add per ID.
    """
    sketch = benchmark.pedantic(_hll_add, (ids,), rounds=ROUNDS)

    assert abs(sketch.cardinality() / N - 1) < 0.05


@pytest.mark.benchmark(group="add: per item, 1M UUIDs")
def test_add_datasketch(benchmark, encoded):
    """
    datasketch: HyperLogLog.update per ID (pre-encoded bytes).
    """
    sketch = benchmark.pedantic(_datasketch_add, (encoded,), rounds=ROUNDS)

    assert abs(sketch.count() / N - 1) < 0.05


@pytest.mark.benchmark(group="add: per item, 1M UUIDs")
def test_add_set(benchmark, ids):
    """
    A plain set: set.add per ID (exact, for scale).
    """
    seen = benchmark.pedantic(_set_add, (ids,), rounds=ROUNDS)

    assert len(seen) == N


# --------------------------------------------------------------------------
# Batch update: the whole list at once where the API allows it.
# --------------------------------------------------------------------------


def _clientid_update(items: list[str]) -> HyperLogLog:
    sketch = HyperLogLog(LG_K)
    sketch.update(items)
    return sketch


@pytest.mark.benchmark(group="update: batch, 1M UUIDs")
def test_update_clientid(benchmark, ids):
    """
    clientid: HyperLogLog.update(list).
    """
    sketch = benchmark.pedantic(_clientid_update, (ids,), rounds=ROUNDS)

    assert abs(sketch.estimate() / N - 1) < 0.05


def _clientid_update_pure(items: list[str]) -> HyperLogLog:
    sketch = HyperLogLog(LG_K)
    # The pure path only: no batch is long enough for numpy.
    with mock.patch.object(_hll, "_VECTOR_MIN", len(items) + 1):
        sketch.update(items)
    return sketch


@pytest.mark.benchmark(group="update: batch, 1M UUIDs")
def test_update_clientid_numpy(benchmark, ids):
    """
    clientid: HyperLogLog.update(list) on the optional numpy path.
    """
    pytest.importorskip("numpy")
    sketch = benchmark.pedantic(_clientid_update, (ids,), rounds=ROUNDS)

    assert sketch.to_bytes() == _clientid_update_pure(ids).to_bytes()


@pytest.mark.benchmark(group="update: batch, 1M UUIDs")
def test_update_clientid_pure(benchmark, ids):
    """
    clientid: HyperLogLog.update(list) on the pure-Python path.
    """
    sketch = benchmark.pedantic(_clientid_update_pure, (ids,), rounds=ROUNDS)

    assert abs(sketch.estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="update: batch, 1M UUIDs")
def test_update_datasketches(benchmark, ids):
    """
    datasketches has no batch update for strings: the update loop.
    """
    sketch = benchmark.pedantic(_datasketches_add, (ids,), rounds=ROUNDS)

    assert abs(sketch.get_estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="update: batch, 1M UUIDs")
def test_update_set(benchmark, ids):
    """
    A plain set: set(list) (exact, for scale).
    """
    seen = benchmark.pedantic(set, (ids,), rounds=ROUNDS)

    assert len(seen) == N


# --------------------------------------------------------------------------
# Batch update of a realistic mix of client-ID shapes.
# --------------------------------------------------------------------------


def mixed_ids(count: int, seed: int) -> list[str]:
    """
    Return *count* distinct client IDs shaped as Vault's, shuffled.

    60 % entity IDs (36-char UUIDs), 30 % non-entity token IDs (44-char
    base64 of a SHA-256), 10 % ACME IDs (``pki-acme.`` + 43 chars).
    """
    rng = random.Random(seed)
    result = []
    for index in range(count):
        kind = index % 10
        if kind < 6:
            result.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
            continue
        digest = hashlib.sha256(rng.randbytes(16)).digest()
        if kind < 9:
            result.append(base64.b64encode(digest).decode())
        else:
            encoded = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            result.append("pki-acme." + encoded)
    rng.shuffle(result)
    return result


@pytest.fixture(scope="module")
def mixed() -> list[str]:
    """A million distinct client IDs of mixed shapes and lengths."""
    return mixed_ids(N, 15)


@pytest.mark.benchmark(group="update: batch, 1M mixed IDs")
def test_update_mixed_clientid_numpy(benchmark, mixed):
    """
    clientid: update(list) of mixed IDs on the optional numpy path.
    """
    pytest.importorskip("numpy")
    sketch = benchmark.pedantic(_clientid_update, (mixed,), rounds=ROUNDS)

    assert sketch.to_bytes() == _clientid_update_pure(mixed).to_bytes()


@pytest.mark.benchmark(group="update: batch, 1M mixed IDs")
def test_update_mixed_clientid_pure(benchmark, mixed):
    """
    clientid: update(list) of mixed IDs on the pure-Python path.
    """
    sketch = benchmark.pedantic(_clientid_update_pure, (mixed,), rounds=ROUNDS)

    assert abs(sketch.estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="update: batch, 1M mixed IDs")
def test_update_mixed_datasketches(benchmark, mixed):
    """
    datasketches: the update loop over the mixed IDs.
    """
    sketch = benchmark.pedantic(_datasketches_add, (mixed,), rounds=ROUNDS)

    assert abs(sketch.get_estimate() / N - 1) < 0.05


# --------------------------------------------------------------------------
# Union of two dense lg_k 14 sketches, and estimates.
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def halves(ids: list[str]) -> tuple[list[str], list[str]]:
    """Two disjoint halves of the IDs, 500,000 each (dense at lg_k 14)."""
    return ids[: N // 2], ids[N // 2 :]


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_clientid(benchmark, halves):
    """
    clientid: a.union(b), a new sketch (derived state rebuilt lazily).
    """
    left, right = (_clientid_update(half) for half in halves)

    result = benchmark(left.union, right)

    assert abs(result.estimate() / N - 1) < 0.05


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_and_estimate_clientid(benchmark, halves):
    """
    clientid: a.union(b).estimate(), paying the deferred rebuild.
    """
    left, right = (_clientid_update(half) for half in halves)

    estimate = benchmark(lambda: left.union(right).estimate())

    assert abs(estimate / N - 1) < 0.05


def _datasketches_union(left: Any, right: Any) -> Any:
    union = datasketches.hll_union(LG_K)
    union.update(left)
    union.update(right)
    return union.get_result(HLL_8)


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_datasketches(benchmark, halves):
    """
    datasketches: hll_union of both, then get_result (HLL_8).
    """
    left, right = (_datasketches_add(half) for half in halves)

    result = benchmark(_datasketches_union, left, right)

    assert abs(result.get_estimate() / N - 1) < 0.05


def _hll_union(left: Any, right: Any) -> Any:
    result = HLL.HyperLogLog(LG_K)
    result.merge(left)
    result.merge(right)
    return result


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_hll(benchmark, halves):
    """
    hll (HLL package): merge both into a new sketch.
    """
    left, right = (_hll_add(half) for half in halves)

    result = benchmark(_hll_union, left, right)

    assert abs(result.cardinality() / N - 1) < 0.05


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_datasketch(benchmark, halves):
    """
    datasketch: HyperLogLog.union(a, b).
    """
    left, right = (
        _datasketch_add([item.encode() for item in half]) for half in halves
    )

    result = benchmark(datasketch.HyperLogLog.union, left, right)

    assert abs(result.count() / N - 1) < 0.05


@pytest.mark.benchmark(group="union: two dense lg_k 14 sketches")
def test_union_set(benchmark, halves):
    """
    Plain sets: a | b (exact, for scale).
    """
    left, right = (set(half) for half in halves)

    result = benchmark(left.__or__, right)

    assert len(result) == N


@pytest.fixture(scope="module")
def dense(ids: list[str]) -> dict[str, Any]:
    """One sketch per library, fed the same million IDs."""
    return {
        "clientid": _clientid_update(ids),
        "datasketches": _datasketches_add(ids),
        "hll": _hll_add(ids),
        "datasketch": _datasketch_add([item.encode() for item in ids]),
        "set": set(ids),
    }


ESTIMATORS = [
    ("clientid", HyperLogLog.estimate),
    ("clientid-merged", HyperLogLog.estimate),
    ("datasketches", lambda sketch: sketch.get_estimate()),
    ("hll", lambda sketch: sketch.cardinality()),
    ("datasketch", lambda sketch: sketch.count()),
    ("set", len),
]


@pytest.mark.benchmark(group="estimate: dense lg_k 14 sketch")
@pytest.mark.parametrize(
    ("library", "call"), ESTIMATORS, ids=[name for name, _ in ESTIMATORS]
)
def test_estimate(benchmark, dense, library, call):
    """
    One estimate of a dense sketch (clientid-merged: the composite one).
    """
    if library == "clientid-merged":
        sketch = dense["clientid"].union()
        sketch.estimate()  # The one-off rebuild is the union's cost.
    else:
        sketch = dense[library]

    estimate = benchmark(call, sketch)

    assert abs(estimate / N - 1) < 0.05


# --------------------------------------------------------------------------
# Serialization: time and size of a dense sketch.
# --------------------------------------------------------------------------


SERIALIZERS = [
    ("clientid-to_bytes", "clientid", HyperLogLog.to_bytes),
    ("clientid-to_datasketches", "clientid", HyperLogLog.to_datasketches),
    (
        "datasketches-compact",
        "datasketches",
        lambda sketch: sketch.serialize_compact(),
    ),
    ("hll-registers", "hll", lambda sketch: sketch.registers()),
    ("datasketch-pickle", "datasketch", pickle.dumps),
    ("set-pickle", "set", pickle.dumps),
]


@pytest.mark.benchmark(group="serialize: dense lg_k 14 sketch")
@pytest.mark.parametrize(
    ("library", "serialize"),
    [(library, serialize) for _, library, serialize in SERIALIZERS],
    ids=[name for name, _, _ in SERIALIZERS],
)
def test_serialize(benchmark, dense, library, serialize):
    """
    Serialize a dense sketch; the size goes into extra_info.
    """
    data = benchmark(serialize, dense[library])
    benchmark.extra_info["bytes"] = len(data)

    assert len(data) > 0
