"""
Benchmarks of the exact tier and the hybrid counter, side by side with peers.

Run (one run, all groups side by side)::

    python -m pytest benchmarks/test_bench_count.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,rounds

Inputs come from seeded generators, built once per module outside the timed
calls.  Memory is not a timing: ``test_exact_tier_memory`` measures it with
``tracemalloc`` and stores the numbers in the benchmark's ``extra_info``
(see ``--benchmark-json``); it also prints them.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
import uuid
from itertools import accumulate
from typing import TYPE_CHECKING

import pytest

from clientid import ClientCounter, ExactClientSet

if TYPE_CHECKING:
    from collections.abc import Callable

datasketches = pytest.importorskip("datasketches")

#: Distinct IDs of the ingest and memory benchmarks.
DISTINCT: int = 1_000_000
#: Events and distinct clients of the realistic stream.
EVENTS: int = 10_000_000
STREAM_CLIENTS: int = 100_000
#: The stream's Zipf exponent: client i is seen with weight 1 / (i + 1).
ZIPF_S: float = 1.0
LG_K: int = 14


def uuids(count: int, seed: int) -> list[str]:
    """Return *count* distinct random version-4 UUID strings (36 chars)."""
    rng = random.Random(seed)
    result = {
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(count)
    }
    while len(result) < count:  # pragma: no cover (2**-100 odds)
        result.add(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    return sorted(result, key=lambda _: rng.random())


@pytest.fixture(scope="module")
def distinct_ids() -> list[str]:
    """One million distinct UUIDs, in random order."""
    return uuids(DISTINCT, seed=1)


@pytest.fixture(scope="module")
def stream() -> list[str]:
    """Ten million events over 100,000 clients, Zipf-distributed (s = 1)."""
    rng = random.Random(2)
    clients = uuids(STREAM_CLIENTS, seed=3)
    weights = list(
        accumulate(1 / (rank + 1) ** ZIPF_S for rank in range(len(clients)))
    )
    return rng.choices(clients, cum_weights=weights, k=EVENTS)


def _ds_sketch() -> object:
    return datasketches.hll_sketch(LG_K, datasketches.tgt_hll_type.HLL_8)


# ---------------------------------------------------------------------------
# Exact ingest: 1,000,000 distinct UUIDs.
# ---------------------------------------------------------------------------


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_set_add_loop(benchmark, distinct_ids):
    """Peer: a plain set filled by a set.add loop."""

    def run() -> set[str]:
        result: set[str] = set()
        for client_id in distinct_ids:
            result.add(client_id)
        return result

    assert len(benchmark.pedantic(run, rounds=5)) == DISTINCT


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_set_from_list(benchmark, distinct_ids):
    """Peer: set(ids), the bulk constructor."""
    assert len(benchmark.pedantic(set, (distinct_ids,), rounds=5)) == DISTINCT


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_exact_set_add_loop(benchmark, distinct_ids):
    """ExactClientSet filled by an add loop."""

    def run() -> ExactClientSet:
        result = ExactClientSet()
        for client_id in distinct_ids:
            result.add(client_id)
        return result

    assert len(benchmark.pedantic(run, rounds=5)) == DISTINCT


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_exact_set_update(benchmark, distinct_ids):
    """ExactClientSet filled by one update() call."""

    def run() -> ExactClientSet:
        result = ExactClientSet()
        result.update(distinct_ids)
        return result

    assert len(benchmark.pedantic(run, rounds=5)) == DISTINCT


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_exact_set_sorted_view(benchmark, distinct_ids):
    """Cost of the first sorted iteration (building the sorted view)."""

    def setup() -> tuple[tuple[ExactClientSet], dict[str, object]]:
        return (ExactClientSet(distinct_ids),), {}

    def run(exact: ExactClientSet) -> str:
        return next(iter(exact))

    benchmark.pedantic(run, setup=setup, rounds=3)


@pytest.mark.benchmark(group="exact-ingest-1M")
def test_counter_add_loop_1m(benchmark, distinct_ids):
    """ClientCounter (exact tier) filled by an add loop."""

    def run() -> ClientCounter:
        counter = ClientCounter(lg_k=LG_K)
        for client_id in distinct_ids:
            counter.add(client_id)
        return counter

    assert benchmark.pedantic(run, rounds=3).count().value == DISTINCT


# ---------------------------------------------------------------------------
# Memory of the exact tier: 1,000,000 distinct UUIDs.
# ---------------------------------------------------------------------------


def _allocated(build: object) -> int:
    """Bytes still allocated by what *build()* returns (containers only)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()  # type: ignore[operator]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


@pytest.mark.benchmark(group="exact-memory-1M")
def test_exact_tier_memory(benchmark, distinct_ids):
    """Memory of set(ids) vs ExactClientSet vs ClientCounter (exact)."""
    strings = sum(sys.getsizeof(client_id) for client_id in distinct_ids)

    def exact_sorted() -> ExactClientSet:
        exact = ExactClientSet(distinct_ids)
        next(iter(exact))
        return exact

    sizes = {
        "set(ids)": _allocated(lambda: set(distinct_ids)),
        "ExactClientSet(ids)": _allocated(
            lambda: ExactClientSet(distinct_ids)
        ),
        "ExactClientSet(ids), sorted view built": _allocated(exact_sorted),
        "ClientCounter(ids)": _allocated(
            lambda: ClientCounter(distinct_ids, lg_k=LG_K)
        ),
    }
    base = sizes["set(ids)"]
    for name, size in sizes.items():
        benchmark.extra_info[name] = size
        print(  # noqa: T201
            f"{name}: containers {size / 2**20:.1f} MiB "
            f"({size / base:.3f}x), with the strings "
            f"{(size + strings) / 2**20:.1f} MiB "
            f"({(size + strings) / (base + strings):.3f}x)"
        )
    benchmark.extra_info["strings"] = strings
    benchmark.pedantic(lambda: None, rounds=1)


# ---------------------------------------------------------------------------
# The realistic stream: 10,000,000 events over 100,000 clients.
# ---------------------------------------------------------------------------


@pytest.mark.benchmark(group="stream-10M-events")
def test_stream_datasketches(benchmark, stream):
    """Peer: every event fed to datasketches.hll_sketch (HLL_8, lg_k 14)."""

    def run() -> object:
        sketch = _ds_sketch()
        update = sketch.update  # type: ignore[attr-defined]
        for event in stream:
            update(event)
        return sketch

    estimate = benchmark.pedantic(run, rounds=3).get_estimate()
    assert abs(estimate - STREAM_CLIENTS) < 0.05 * STREAM_CLIENTS


@pytest.mark.benchmark(group="stream-10M-events")
def test_stream_set_add(benchmark, stream):
    """Peer: every event added to a plain set."""

    def run() -> set[str]:
        result: set[str] = set()
        add = result.add
        for event in stream:
            add(event)
        return result

    assert len(benchmark.pedantic(run, rounds=3)) <= STREAM_CLIENTS


@pytest.mark.benchmark(group="stream-10M-events")
def test_stream_counter_add(benchmark, stream):
    """ClientCounter (stays exact): one add() per event."""

    def run() -> ClientCounter:
        counter = ClientCounter(lg_k=LG_K)
        add = counter.add
        for event in stream:
            add(event)
        return counter

    assert benchmark.pedantic(run, rounds=3).is_exact


@pytest.mark.benchmark(group="stream-10M-events")
def test_stream_counter_update(benchmark, stream):
    """ClientCounter (stays exact): one update() over all events."""

    def run() -> ClientCounter:
        counter = ClientCounter(lg_k=LG_K)
        counter.update(stream)
        return counter

    assert benchmark.pedantic(run, rounds=3).is_exact


@pytest.mark.benchmark(group="stream-10M-events")
@pytest.mark.parametrize("exact_limit", [0, 65_536])
def test_stream_counter_sketch_mode_update(benchmark, stream, exact_limit):
    """
    ClientCounter past its limit: update() over all events.

    With exact_limit 0 the counter estimates from the first event and its
    recent-IDs cache has its smallest size (4,096); with 65,536 it switches
    to the sketch part-way and the cache has its largest size.
    """

    def run() -> ClientCounter:
        counter = ClientCounter(exact_limit=exact_limit, lg_k=LG_K)
        counter.update(stream)
        counter.count()
        return counter

    assert not benchmark.pedantic(run, rounds=3).is_exact


@pytest.mark.benchmark(group="stream-10M-events")
def test_stream_counter_sketch_mode_add(benchmark, stream):
    """ClientCounter past its limit (exact_limit 65,536): add() per event."""

    def run() -> ClientCounter:
        counter = ClientCounter(exact_limit=65_536, lg_k=LG_K)
        add = counter.add
        for event in stream:
            add(event)
        counter.count()
        return counter

    assert not benchmark.pedantic(run, rounds=3).is_exact


# ---------------------------------------------------------------------------
# Union of counters.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def halves(distinct_ids) -> tuple[list[str], list[str]]:
    """Two overlapping halves of 100,000 IDs each (50,000 shared)."""
    return distinct_ids[:100_000], distinct_ids[50_000:150_000]


@pytest.mark.benchmark(group="union-exact-100k")
def test_union_sets(benchmark, halves):
    """Peer: set union of two 100k sets."""
    first, second = map(set, halves)
    assert len(benchmark(first.union, second)) == 150_000


@pytest.mark.benchmark(group="union-exact-100k")
def test_union_exact_counters(benchmark, halves):
    """Union of two exact 100k counters."""
    first, second = (ClientCounter(half, lg_k=LG_K) for half in halves)
    assert benchmark(first.union, second).count().value == 150_000


@pytest.mark.benchmark(group="union-sketch-lg14")
def test_union_datasketches(benchmark, halves):
    """Peer: datasketches hll_union of two lg_k 14 sketches."""
    sketches = []
    for half in halves:
        sketch = _ds_sketch()
        for client_id in half:
            sketch.update(client_id)  # type: ignore[attr-defined]
        sketches.append(sketch)

    def run() -> object:
        union = datasketches.hll_union(LG_K)
        for sketch in sketches:
            union.update(sketch)
        return union.get_result(datasketches.tgt_hll_type.HLL_8)

    benchmark(run)


@pytest.mark.benchmark(group="union-sketch-lg14")
def test_union_estimated_counters(benchmark, halves):
    """Union of two estimating lg_k 14 counters."""
    first, second = (
        ClientCounter(half, exact_limit=0, lg_k=LG_K) for half in halves
    )
    result = benchmark(first.union, second)
    assert not result.is_exact


# ---------------------------------------------------------------------------
# Interleaved comparison: ``python benchmarks/test_bench_count.py [rounds]``.
#
# pytest-benchmark runs one test after another, so on a shared machine a
# burst of load can land on one contender only.  This runs the contenders
# of each group round-robin, rotating the order every round, and reports
# the fastest round of each: the fairest ratios a busy machine gives.
# ---------------------------------------------------------------------------


def _contenders(
    ids: list[str], events: list[str]
) -> dict[str, dict[str, Callable[[], object]]]:
    def loop_add(target: Callable[[str], object], items: list[str]) -> None:
        for item in items:
            target(item)

    def ds_stream() -> None:
        loop_add(_ds_sketch().update, events)  # type: ignore[attr-defined]

    def counter_stream_add() -> None:
        loop_add(ClientCounter(lg_k=LG_K).add, events)

    def sketch_stream(exact_limit: int) -> Callable[[], object]:
        def run() -> object:
            counter = ClientCounter(exact_limit=exact_limit, lg_k=LG_K)
            counter.update(events)
            return counter.count()

        return run

    return {
        "exact-ingest-1M (peer: set.add loop)": {
            "set.add loop": lambda: loop_add(set[str]().add, ids),
            "set(ids)": lambda: set(ids),
            "ExactClientSet.add loop": lambda: loop_add(
                ExactClientSet().add, ids
            ),
            "ExactClientSet(ids)": lambda: ExactClientSet(ids),
            "ClientCounter.add loop": lambda: loop_add(
                ClientCounter(lg_k=LG_K).add, ids
            ),
            "ClientCounter(ids)": lambda: ClientCounter(ids, lg_k=LG_K),
        },
        "stream-10M-events (peer: datasketches)": {
            "datasketches hll_sketch.update loop": ds_stream,
            "set.add loop": lambda: loop_add(set[str]().add, events),
            "ClientCounter.add loop (exact)": counter_stream_add,
            "ClientCounter.update (exact)": lambda: ClientCounter(
                events, lg_k=LG_K
            ),
            "ClientCounter.update (exact_limit 65,536)": sketch_stream(65_536),
            "ClientCounter.update (exact_limit 0)": sketch_stream(0),
        },
    }


def main(rounds: int) -> None:
    """Print interleaved timings and ratios for each group."""
    ids = uuids(DISTINCT, seed=1)
    rng = random.Random(2)
    clients = uuids(STREAM_CLIENTS, seed=3)
    weights = list(
        accumulate(1 / (rank + 1) ** ZIPF_S for rank in range(len(clients)))
    )
    events = rng.choices(clients, cum_weights=weights, k=EVENTS)
    for group, contenders in _contenders(ids, events).items():
        best = dict.fromkeys(contenders, float("inf"))
        names = list(contenders)
        for round_ in range(rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                gc.collect()
                start = time.perf_counter()
                contenders[name]()
                best[name] = min(best[name], time.perf_counter() - start)
        peer = best[names[0]]
        print(f"\n{group}, best of {rounds} interleaved rounds")  # noqa: T201
        for name in names:
            print(  # noqa: T201
                f"  {name:45s} {best[name]:8.3f} s   "
                f"{peer / best[name]:5.2f}x the peer's throughput"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
