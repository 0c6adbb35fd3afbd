"""
Clients seen in two namespaces of a month past its exact limit.

Records EVENTS uses of CLIENTS distinct clients in one month, a quarter of
them also used in a second namespace a day *earlier* (so that is their first
use, and where they count), with an exact limit far below the month's size,
so the month holds sketches.  Each round records root's uses first, out of
time order for the shared clients; ``--shared-first`` records the second
namespace's first, in time order: the report must not depend on it.
Prints the report's total and per-namespace counts with their 2-sigma
bounds against the truth, the times taken, the attributed-client table's
size and the process's peak memory; exits 1 if a truth falls outside its
bounds.

Run standalone (a few minutes on one core)::

    PYTHONPATH=src python benchmarks/bench_cross_namespace.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

from clientid import ActivityLog, Client, ClientId, ClientType, NamespaceId

SECOND_NAMESPACE = NamespaceId("ns2")
AT = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
#: The shared clients' first use, in the second namespace.
EARLIER = AT - dt.timedelta(days=1)


def _clients(count: int, namespace: NamespaceId) -> list[Client]:
    return [
        Client(
            id=ClientId(f"{number:08x}-0000-4000-8000-{number:012x}"),
            type=ClientType.ENTITY,
            namespace_id=namespace,
        )
        for number in range(count)
    ]


def main() -> int:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--exact-limit", type=int, default=100_000)
    parser.add_argument("--lg-k", type=int, default=14)
    parser.add_argument(
        "--shared-first",
        action="store_true",
        help="record the second namespace's uses before root's each round"
        " (in time order; by default they come after, out of time order)",
    )
    args = parser.parse_args()

    home = _clients(args.clients, NamespaceId("root"))
    # Every fourth client is also used in the second namespace, a day before
    # its use in root: recorded after it (before it with --shared-first).
    away = [
        Client(id=c.id, type=c.type, namespace_id=SECOND_NAMESPACE)
        for c in home[::4]
    ]
    per_round = len(home) + len(away)
    rounds = max(1, args.events // per_round)

    log = ActivityLog(exact_limit=args.exact_limit, lg_k=args.lg_k)
    record = log.record
    started = time.perf_counter()
    batches = (
        ((away, EARLIER), (home, AT))
        if args.shared_first
        else ((home, AT), (away, EARLIER))
    )
    for _ in range(rounds):
        for batch, at in batches:
            for client in batch:
                record(client, at)
    recorded = time.perf_counter() - started
    started = time.perf_counter()
    report = log.report(AT, AT)
    reported = time.perf_counter() - started
    total = report.total.clients
    truth = args.clients
    truths = {"root": truth - len(away), str(SECOND_NAMESPACE): len(away)}
    month = log._months[log._last_key]
    filter_bytes = 0 if month.attributed is None else month.attributed.nbytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    error = (total.value - truth) / truth
    inside = total.lower_bound <= truth <= total.upper_bound
    events = rounds * per_round
    namespaces = []
    for ns in report.by_namespace:
        count = ns.counts.clients
        expected = truths.get(ns.namespace_id, 0)
        held = count.lower_bound <= expected <= count.upper_bound
        inside = inside and held
        namespaces.append(
            f"{ns.namespace_id} {count.value:,} in [{count.lower_bound:,},"
            f" {count.upper_bound:,}], truth {expected:,}"
            f" ({'inside' if held else 'OUTSIDE'})"
        )
    inside = inside and len(namespaces) == len(truths)
    lines = [
        f"events recorded        {events:,}",
        f"distinct clients       {truth:,} ({len(away):,} in two namespaces)",
        f"exact limit            {args.exact_limit:,}, lg_k {args.lg_k}",
        f"total                  {total.value:,}",
        (
            f"2-sigma bounds         [{total.lower_bound:,},"
            f" {total.upper_bound:,}]"
        ),
        f"relative error         {error:+.3%}",
        *(f"namespace              {line}" for line in namespaces),
        f"every truth in bounds  {inside}",
        (
            f"record time            {recorded:.1f} s"
            f" ({recorded / events * 1e6:.2f} us/event)"
        ),
        f"report time            {reported:.2f} s",
        (
            f"attributed table       {filter_bytes / 2**20:.1f} MiB"
            f" ({filter_bytes / truth:.1f} B/client)"
        ),
        f"peak RSS (whole run)   {peak / 2**20:.0f} MiB",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
