"""
Benchmarks of the report-from-sketches path (Spark scale-out).

What Spark hands back is one DataSketches HLL image per (month, namespace,
mount, client type) group; clientid loads them with
``ActivityLog.record_sketch`` and reports from them.  Here: 10,000 groups
(10 months, 100 namespaces, 5 mounts, 2 client types) at lg_k 12, Spark's
default.  Group sizes are long-tailed (5 to 1,000 clients, about 2.9
million in all); a group keeps the same cohort of client IDs every month,
so distinct counts are unions, not sums.

Run with::

    python -m pytest benchmarks/test_bench_sketch_report.py \\
        --benchmark-only --benchmark-columns=min,median,rounds

Peers, on the same inputs: the exact report over the same client records
(``ActivityLog.record`` of every client in every month), and the
``datasketches`` package deserialising the 10,000 images and taking the
per-namespace and overall unions a report needs (its C++ core does no
labelling, per-month tables or bounds).  Inputs are built once per module,
outside the timed calls.
"""

from __future__ import annotations

import datetime as dt
import random

import datasketches
import pytest

from clientid import (
    ActivityLog,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    MountAccessor,
    NamespaceId,
)

LG_K: int = 12
MONTHS: int = 10
NAMESPACES: int = 100
MOUNTS: int = 5
TYPES: tuple[ClientType, ...] = (
    ClientType.ENTITY,
    ClientType.NON_ENTITY_TOKEN,
)
FIRST: dt.date = dt.date(2025, 1, 1)
LAST: dt.date = dt.date(2025, MONTHS, 1)

# One group: month index, namespace, mount accessor, type, client IDs.
Group = tuple[int, NamespaceId, MountAccessor, ClientType, list[str]]


def _groups(seed: int = 12) -> list[Group]:
    """10,000 seeded groups; each (namespace, mount, type) cohort repeats."""
    rng = random.Random(seed)
    cohorts = []
    for namespace in range(NAMESPACES):
        namespace_id = NamespaceId(
            "root" if namespace == 0 else f"ns{namespace:03d}"
        )
        for mount in range(MOUNTS):
            accessor = MountAccessor(f"auth_userpass_{namespace:03d}{mount}")
            for client_type in TYPES:
                size = int(10 ** rng.uniform(0.7, 3))
                prefix = f"{namespace:03d}.{mount}.{client_type.value}."
                cohort = [f"{prefix}{i:05d}" for i in range(size)]
                cohorts.append((namespace_id, accessor, client_type, cohort))
    groups: list[Group] = []
    for month in range(MONTHS):
        for namespace_id, accessor, client_type, cohort in cohorts:
            # Nine in ten of the cohort come back each month.
            members = [c for c in cohort if rng.random() < 0.9] or cohort[:1]
            groups.append(
                (month, namespace_id, accessor, client_type, members)
            )
    assert len(groups) == 10_000
    return groups


def _month(index: int) -> dt.date:
    return dt.date(FIRST.year, FIRST.month + index, 1)


@pytest.fixture(scope="module")
def groups() -> list[Group]:
    return _groups()


@pytest.fixture(scope="module")
def images(groups: list[Group]) -> list[bytes]:
    """Each group's DataSketches image, as Spark's hll_sketch_agg gives it."""
    found = []
    for *_, members in groups:
        sketch = HyperLogLog(LG_K)
        sketch.update(members)
        found.append(sketch.to_datasketches())
    return found


def _record_sketches(groups: list[Group], images: list[bytes]) -> ActivityLog:
    log = ActivityLog(lg_k=LG_K, retention_months=None)
    for (month, namespace_id, accessor, client_type, _), image in zip(
        groups, images, strict=True
    ):
        log.record_sketch(
            _month(month),
            namespace_id=namespace_id,
            mount_accessor=accessor,
            client_type=client_type,
            sketch=image,
        )
    return log


@pytest.fixture(scope="module")
def sketched_log(groups: list[Group], images: list[bytes]) -> ActivityLog:
    return _record_sketches(groups, images)


@pytest.fixture(scope="module")
def exact_log(groups: list[Group]) -> ActivityLog:
    log = ActivityLog(exact_limit=None, retention_months=None)
    for month, namespace_id, accessor, client_type, members in groups:
        at = dt.datetime.combine(_month(month), dt.time(), tzinfo=dt.UTC)
        for client_id in members:
            log.record(
                Client(
                    id=ClientId(client_id),
                    type=client_type,
                    namespace_id=namespace_id,
                    mount_accessor=accessor,
                ),
                at,
            )
    return log


def test_bench_record_sketch_10k_images(benchmark, groups, images):
    log = benchmark.pedantic(
        _record_sketches, args=(groups, images), rounds=3, iterations=1
    )

    assert not log.is_exact_month(FIRST)


def test_bench_report_from_10k_sketches(benchmark, sketched_log):
    report = benchmark.pedantic(
        sketched_log.report, args=(FIRST, LAST), rounds=3, iterations=1
    )

    assert not report.is_exact
    assert len(report.by_namespace) == NAMESPACES


def test_bench_peer_exact_report_same_clients(benchmark, exact_log):
    report = benchmark.pedantic(
        exact_log.report, args=(FIRST, LAST), rounds=3, iterations=1
    )

    assert report.is_exact


def _datasketches_unions(
    groups: list[Group], images: list[bytes]
) -> tuple[float, dict[str, float]]:
    overall = datasketches.hll_union(LG_K)
    by_namespace: dict[str, datasketches.hll_union] = {}
    for (_, namespace_id, *_), image in zip(groups, images, strict=True):
        sketch = datasketches.hll_sketch.deserialize(image)
        overall.update(sketch)
        union = by_namespace.get(namespace_id)
        if union is None:
            union = by_namespace[namespace_id] = datasketches.hll_union(LG_K)
        union.update(sketch)
    return overall.get_estimate(), {
        namespace: union.get_estimate()
        for namespace, union in sorted(by_namespace.items())
    }


def test_bench_peer_datasketches_unions_of_10k_images(
    benchmark, groups, images, sketched_log
):
    overall, by_namespace = benchmark.pedantic(
        _datasketches_unions, args=(groups, images), rounds=3, iterations=1
    )

    report = sketched_log.report(FIRST, LAST)
    assert round(overall) == report.distinct.clients.value
    assert len(by_namespace) == NAMESPACES
