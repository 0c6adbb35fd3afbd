"""
Clients seen in two namespaces of a month past its exact limit.

Records EVENTS uses of CLIENTS distinct clients in one month, a quarter of
them also used in a second namespace, with an exact limit far below the
month's size, so the month holds sketches.  Prints the report's total and
its 2-sigma bounds against the truth, the time taken, the attributed-client
filter's size and the process's peak memory.

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
        help="record the second namespace's uses before root's each round,"
        " so the shared clients are first recorded there",
    )
    args = parser.parse_args()

    home = _clients(args.clients, NamespaceId("root"))
    # Every fourth client is also used in the second namespace, after its
    # first use in root (before it with --shared-first).
    away = [
        Client(id=c.id, type=c.type, namespace_id=SECOND_NAMESPACE)
        for c in home[::4]
    ]
    per_round = len(home) + len(away)
    rounds = max(1, args.events // per_round)

    log = ActivityLog(exact_limit=args.exact_limit, lg_k=args.lg_k)
    record = log.record
    started = time.perf_counter()
    batches = (away, home) if args.shared_first else (home, away)
    for _ in range(rounds):
        for batch in batches:
            for client in batch:
                record(client, AT)
    recorded = time.perf_counter() - started
    report = log.report(AT, AT)
    total = report.total.clients
    truth = args.clients
    month = log._months[log._last_key]
    filter_bytes = 0 if month.attributed is None else month.attributed.nbytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    error = (total.value - truth) / truth
    inside = total.lower_bound <= truth <= total.upper_bound
    events = rounds * per_round
    namespaces = [
        (ns.namespace_id, ns.counts.clients.value)
        for ns in report.by_namespace
    ]
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
        f"truth within bounds    {inside}",
        f"namespaces             {namespaces}",
        (
            f"record time            {recorded:.1f} s"
            f" ({recorded / events * 1e6:.2f} us/event)"
        ),
        (
            f"filter size            {filter_bytes / 2**20:.1f} MiB"
            f" ({filter_bytes / truth:.1f} B/client)"
        ),
        f"peak RSS (whole run)   {peak / 2**20:.0f} MiB",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
