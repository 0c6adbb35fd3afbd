"""
Benchmarks of ActivityLog: recording at scale and 24-month reports.

Run the target size (24 months of 1,000,000 clients each; a few minutes,
about 3 GiB of memory) with::

    python -m pytest benchmarks/test_bench_report.py --benchmark-only \\
        --benchmark-columns=min,median,rounds -k 1000000

and a quick pass with ``-k 10000``.  The design target (DESIGN section 2)
is a 24-month report over 1,000,000 clients a month in under 10 s on one
core.

Inputs come from a seeded generator and are built outside the timed calls:
a population of client IDs (36-character UUIDs) in ten namespaces with
three auth mounts each, 80 % entities and 20 % non-entity tokens; every
month 1 in 50 clients leaves and a new one arrives.  The log under test is
recorded once per size and reused.  The generated objects are moved to the
garbage collector's permanent generation (``gc.freeze()``), so that
collections triggered by the benchmark's own inputs do not pollute the
timings.  Peak memory (resident set size) is printed and stored in each
benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import resource
import sys
import time
import uuid
from typing import Any

import pytest

from clientid import (
    ActivityLog,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    MountAccessor,
    Namespace,
    NamespaceId,
)

MONTHS: int = 24
SIZES: tuple[int, ...] = (10_000, 1_000_000)
#: One client in CHURN leaves each month, and a new one arrives.
CHURN: int = 50
NAMESPACES: int = 10
MOUNTS_PER_NAMESPACE: int = 3
FIRST_MONTH: dt.date = dt.date(2023, 1, 1)
LAST_MONTH: dt.date = dt.date(2024, 12, 1)


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _namespace_id(index: int) -> NamespaceId:
    return NamespaceId("root" if index == 0 else f"ns{index:03d}")


def namespaces() -> list[Namespace]:
    """The benchmark's child namespaces (root is always known)."""
    return [
        Namespace(
            id=_namespace_id(index),
            path=f"team-{index}/",
            parent_id=NamespaceId("root"),
        )
        for index in range(1, NAMESPACES)
    ]


def mounts() -> list[AuthMount]:
    """Three auth mounts in each namespace."""
    return [
        AuthMount(
            accessor=MountAccessor(f"auth_{ns}_{index}"),
            type="userpass",
            path=f"auth/up{index}/",
            namespace_id=_namespace_id(ns),
        )
        for ns in range(NAMESPACES)
        for index in range(MOUNTS_PER_NAMESPACE)
    ]


def population(per_month: int, seed: int = 7) -> list[Client]:
    """Every client of the benchmark, in order of arrival."""
    rng = random.Random(seed)
    size = per_month + MONTHS * (per_month // CHURN)
    clients = []
    for index in range(size):
        namespace = index % NAMESPACES
        mount = (index // NAMESPACES) % MOUNTS_PER_NAMESPACE
        clients.append(
            Client(
                id=ClientId(
                    str(uuid.UUID(int=rng.getrandbits(128), version=4))
                ),
                type=(
                    ClientType.NON_ENTITY_TOKEN
                    if index % 5 == 0
                    else ClientType.ENTITY
                ),
                namespace_id=_namespace_id(namespace),
                mount_accessor=MountAccessor(f"auth_{namespace}_{mount}"),
            )
        )
    return clients


def month_start(month: int) -> dt.datetime:
    """The first instant of the benchmark's month number *month*."""
    year, index = divmod(FIRST_MONTH.month - 1 + month, 12)
    return dt.datetime(FIRST_MONTH.year + year, index + 1, 1, tzinfo=dt.UTC)


def month_clients(
    clients: list[Client], per_month: int, month: int
) -> list[Client]:
    """The clients active in month *month*."""
    start = month * (per_month // CHURN)
    return clients[start : start + per_month]


def record_month(
    log: ActivityLog, clients: list[Client], per_month: int, month: int
) -> None:
    """Record each client of a month once, a second apart."""
    start = month_start(month)
    second = dt.timedelta(seconds=1)
    record = log.record
    for offset, client in enumerate(month_clients(clients, per_month, month)):
        record(client, start + offset % 86_400 * second)


_CACHE: dict[int, tuple[list[Client], ActivityLog]] = {}


def recorded(per_month: int) -> tuple[list[Client], ActivityLog]:
    """The population and a log holding all 24 months, built once."""
    if per_month not in _CACHE:
        clients = population(per_month)
        gc.freeze()
        log = ActivityLog(
            namespaces=namespaces(), mounts=mounts(), exact_limit=None
        )
        for month in range(MONTHS):
            record_month(log, clients, per_month, month)
        gc.freeze()
        _CACHE[per_month] = (clients, log)
    return _CACHE[per_month]


def _note(benchmark: Any, label: str, cpu: list[float] | None = None) -> None:
    peak = _peak_rss_mib()
    benchmark.extra_info["peak_rss_mib"] = round(peak)
    text = f"\n{label}: peak RSS {peak:,.0f} MiB"
    if cpu:
        # CPU time of this process only: on a shared machine, wall time
        # includes waiting for other processes.
        benchmark.extra_info["cpu_seconds"] = [round(c, 3) for c in cpu]
        text += f", CPU s per call {', '.join(f'{c:.2f}' for c in cpu)}"
    print(text)  # noqa: T201


def _cpu_timed(function: Any, cpu: list[float]) -> Any:
    """Wrap *function* so that each call appends its CPU seconds."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        result = function(*args, **kwargs)
        cpu.append(time.process_time() - start)
        return result

    return timed


@pytest.mark.parametrize("per_month", SIZES)
def test_record_one_month(benchmark, per_month):
    """ActivityLog.record: one month of first uses (each a new client)."""
    clients = population(per_month, seed=11)[:per_month]
    gc.freeze()

    def run() -> ActivityLog:
        log = ActivityLog(exact_limit=None)
        record_month(log, clients, per_month, 0)
        return log

    cpu: list[float] = []
    log = benchmark.pedantic(_cpu_timed(run, cpu), rounds=1, iterations=1)

    _note(benchmark, f"record {per_month:,} first uses", cpu)
    assert (
        log.report(FIRST_MONTH, FIRST_MONTH).distinct.clients.value
        == per_month
    )


@pytest.mark.parametrize("per_month", SIZES)
def test_record_repeat_uses(benchmark, per_month):
    """ActivityLog.record: one month of repeat uses (every client seen)."""
    clients = population(per_month, seed=13)[:per_month]
    gc.freeze()
    log = ActivityLog(exact_limit=None)
    record_month(log, clients, per_month, 0)

    benchmark.pedantic(
        record_month, args=(log, clients, per_month, 0), rounds=1, iterations=1
    )

    _note(benchmark, f"record {per_month:,} repeat uses")
    assert (
        log.report(FIRST_MONTH, FIRST_MONTH).distinct.clients.value
        == per_month
    )


@pytest.mark.parametrize("per_month", SIZES)
def test_peer_set_per_month(benchmark, per_month):
    """Peer: a plain set of client IDs per month (no attribution at all)."""
    clients = population(per_month, seed=11)[:per_month]
    gc.freeze()

    def run() -> int:
        months: dict[int, set[str]] = {}
        for client in clients:
            months.setdefault(0, set()).add(client.id)
        return len(months[0])

    assert benchmark.pedantic(run, rounds=1, iterations=1) == per_month


@pytest.mark.parametrize("per_month", SIZES)
def test_report_24_months(benchmark, per_month):
    """ActivityLog.report over 24 months of per_month clients each."""
    _, log = recorded(per_month)
    cpu: list[float] = []

    report = benchmark.pedantic(
        _cpu_timed(log.report, cpu),
        args=(FIRST_MONTH, LAST_MONTH),
        rounds=3,
        iterations=1,
    )

    _note(benchmark, f"24-month report, {per_month:,} clients a month", cpu)
    expected = per_month + (MONTHS - 1) * (per_month // CHURN)
    assert report.distinct.clients.value == expected
    assert report.is_exact


@pytest.mark.parametrize("per_month", SIZES)
def test_report_24_months_child_scope(benchmark, per_month):
    """ActivityLog.report scoped to one child namespace."""
    _, log = recorded(per_month)

    report = benchmark.pedantic(
        log.report,
        args=(FIRST_MONTH, LAST_MONTH),
        kwargs={"namespace_id": _namespace_id(3)},
        rounds=3,
        iterations=1,
    )

    assert [ns.namespace_id for ns in report.by_namespace] == [
        _namespace_id(3)
    ]


@pytest.mark.parametrize("per_month", SIZES)
def test_peer_distinct_union_24_months(benchmark, per_month):
    """Peer: the bare union of 24 monthly sets (distinct only, no report)."""
    clients, _ = recorded(per_month)
    months = [
        {client.id for client in month_clients(clients, per_month, month)}
        for month in range(MONTHS)
    ]

    cpu: list[float] = []

    distinct = benchmark.pedantic(
        _cpu_timed(lambda: len(set().union(*months)), cpu),
        rounds=3,
        iterations=1,
    )

    _note(benchmark, "peer: union of 24 monthly sets", cpu)
    assert distinct == per_month + (MONTHS - 1) * (per_month // CHURN)
