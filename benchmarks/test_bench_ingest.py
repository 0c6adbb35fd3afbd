"""
Benchmark: audit-log ingest into an activity log, and the report after it.

The stream is the DESIGN's realistic one: 10,000,000 audit entries over
100,000 distinct clients, 24 months and 50 namespaces, generated lazily
from a seed (never all in memory).  Entries are what ``json.loads`` gives
for Vault's format: request entries, a quarter of them followed by their
response entry, a login response before a token's first use, and a few
denied requests.

Run (the 10M benchmarks take about 17 minutes on a 2-core VM)::

    python -m pytest benchmarks/test_bench_ingest.py --benchmark-only -s \\
        -k "10000000 and (generate or naive or ingest)"

Smaller sizes (``-k 100000``) run in seconds.  Each benchmark prints
entries/s and peak memory; ``docs/performance-ingest.md`` records them.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from typing import TYPE_CHECKING, Any

import pytest

from clientid import ActivityLog, AuditLogReader, non_entity_client_id

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SEED = 20250304
CLIENTS = 100_000
MONTHS = 24
NAMESPACES = 50
SIZES = [100_000, 1_000_000, 10_000_000]


def _hmac(rng: random.Random) -> str:
    return f"hmac-sha256:{rng.getrandbits(256):064x}"


def _templates(rng: random.Random) -> list[dict[str, Any]]:
    """One login response and one request template per client."""
    clients = []
    for number in range(CLIENTS):
        namespace = f"ns{number % NAMESPACES:02}"
        ns = (
            {"id": "root"}
            if namespace == "ns00"
            else {"id": namespace, "path": f"{namespace}/"}
        )
        kind = number % 10
        entity_id = f"{rng.getrandbits(128):032x}" if kind < 7 else None
        batch = kind == 9
        # One policy per client, so that non-entity tokens never share a
        # client ID and the stream has exactly CLIENTS distinct clients.
        policies = ["default", f"app-{number}"]
        accessor = None if batch else _hmac(rng)
        token = _hmac(rng)
        auth: dict[str, Any] = {
            "client_token": token,
            "token_policies": policies,
            "policies": policies,
            "token_type": "batch" if batch else "service",
            "token_issue_time": "2023-12-31T00:00:00Z",
        }
        if accessor is not None:
            auth["accessor"] = accessor
        if entity_id is not None:
            auth["entity_id"] = entity_id
        mount = f"auth_userpass_{number % NAMESPACES:08x}"
        login = {
            "type": "response",
            "auth": auth,
            "request": {
                "mount_point": "auth/userpass/",
                "mount_type": "userpass",
                "mount_accessor": mount,
                "mount_class": "auth",
                "namespace": ns,
                "path": "auth/userpass/login/u",
            },
            "response": {"auth": auth},
        }
        use_auth = dict(auth, policy_results={"allowed": True})
        request = {
            "client_id": entity_id or non_entity_client_id(policies, ns["id"]),
            "operation": "read",
            "mount_point": "secret/",
            "mount_type": "kv",
            "mount_accessor": "kv_0001",
            "client_token": token,
            "namespace": ns,
            "path": "secret/data/app",
        }
        if accessor is not None:
            request["client_token_accessor"] = accessor
        clients.append({"login": login, "auth": use_auth, "request": request})
    return clients


@pytest.fixture(scope="module")
def clients() -> list[dict[str, Any]]:
    """The per-client entry templates, built once, outside timed calls."""
    return _templates(random.Random(SEED))


def audit_stream(
    events: int, clients: list[dict[str, Any]], seed: int = SEED
) -> Iterator[dict[str, Any]]:
    """Yield *events* audit entries lazily, in time order."""
    rng = random.Random(seed + 1)
    denied_auth = [
        dict(c["auth"], policy_results={"allowed": False}) for c in clients
    ]
    logged_in = bytearray(CLIENTS)
    produced = 0
    request_number = 0
    for month in range(MONTHS):
        year, month_of_year = 2024 + month // 12, month % 12 + 1
        prefix = f"{year}-{month_of_year:02}-"
        target = (month + 1) * events // MONTHS
        # Spread the month's entries over its first 27 days.
        step = 27 * 86400 / max(1, target - produced)
        index = 0
        while produced < target:
            day, rest = divmod(int(index * step), 86400)
            index += 1
            hour, rest = divmod(rest, 3600)
            minute, sec = divmod(rest, 60)
            stamp = f"{prefix}{day + 1:02}T{hour:02}:{minute:02}:{sec:02}Z"
            number = int(rng.random() * CLIENTS)
            client = clients[number]
            produced += 1
            if not logged_in[number]:
                logged_in[number] = 1
                login = dict(client["login"], time=stamp)
                login["request"] = dict(login["request"], id=f"login-{number}")
                yield login
                continue
            request_number += 1
            roll = rng.random()
            request = dict(client["request"], id=f"r{request_number}")
            auth = denied_auth[number] if roll < 0.02 else client["auth"]
            yield {
                "time": stamp,
                "type": "request",
                "auth": auth,
                "request": request,
            }
            if roll > 0.75 and produced < target:
                produced += 1
                yield {
                    "time": stamp,
                    "type": "response",
                    "auth": auth,
                    "request": request,
                    "response": {"data": {}},
                }


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(label: str, events: int, seconds: float, before: float) -> None:
    print(  # noqa: T201
        f"\n{label}: {events:,} events in {seconds:.1f} s = "
        f"{events / seconds:,.0f} events/s; peak RSS {_peak_rss_mib():,.0f}"
        f" MiB (before the run: {before:,.0f} MiB)"
    )


def _once(benchmark: Any, run: Callable[[], int], label: str) -> int:
    before = _peak_rss_mib()
    start = time.perf_counter()
    result = int(benchmark.pedantic(run, rounds=1, iterations=1))
    _report(label, result, time.perf_counter() - start, before)
    return result


@pytest.mark.parametrize("events", SIZES)
def test_generate_stream_only(benchmark, clients, events: int):
    """Baseline: the cost of producing the entries alone."""

    def run() -> int:
        count = 0
        for _ in audit_stream(events, clients):
            count += 1
        return count

    assert _once(benchmark, run, "generate only") == events


@pytest.mark.parametrize("events", SIZES)
def test_naive_set_per_month(benchmark, clients, events: int):
    """Peer: a set of request.client_id per month, no rules applied."""

    def run() -> int:
        months: dict[str, set[str]] = {}
        count = 0
        for entry in audit_stream(events, clients):
            count += 1
            client_id = entry["request"].get("client_id")
            if client_id:
                months.setdefault(entry["time"][:7], set()).add(client_id)
        return count

    assert _once(benchmark, run, "naive set per month") == events


@pytest.mark.parametrize("events", SIZES[:2])
def test_audit_reader_only(benchmark, clients, events: int):
    """The reader alone: parse, apply Vault's rules, join, de-duplicate."""

    def run() -> int:
        reader = AuditLogReader()
        for _ in reader.read(audit_stream(events, clients)):
            pass
        return events

    assert _once(benchmark, run, "AuditLogReader") == events


@pytest.mark.parametrize("events", SIZES)
def test_ingest_and_report_24_months(benchmark, clients, events: int):
    """Reader + ActivityLog.record_event + a 24-month report."""
    outcome: dict[str, Any] = {}

    def run() -> int:
        reader = AuditLogReader()
        log = ActivityLog(retention_months=None)
        for event in reader.read(audit_stream(events, clients)):
            log.record_event(event)
        started = time.perf_counter()
        report = log.report(
            dt.date(2024, 1, 1), dt.date(2024 + (MONTHS - 1) // 12, 12, 1)
        )
        outcome["report_seconds"] = time.perf_counter() - started
        outcome["distinct"] = report.distinct.clients.value
        outcome["counted"] = reader.counted
        return events

    _once(benchmark, run, "reader + ActivityLog + report")
    print(  # noqa: T201
        f"report: {outcome['report_seconds']:.2f} s; "
        f"{outcome['counted']:,} client events; "
        f"{outcome['distinct']:,} distinct clients"
    )

    assert outcome["distinct"] <= CLIENTS
