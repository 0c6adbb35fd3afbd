"""
Audit lines to a 24-month report, side by side with a naive script.

Generates (once, cached by size and seed) a realistic audit log with
``audit_log_gen.py``, then times, in one process and interleaved over
several rounds, each contender reading the whole file:

* ``clientid``: ``AuditLogReader.read_lines`` → ``ActivityLog`` →
  24-month report, with orjson (the ``fast`` extra) and without;
* ``naive``: ``json.loads`` per line, a dict of sets of
  ``request.client_id`` per month, namespace and mount;
* ``json.loads`` and ``orjson.loads`` alone, per line.

Times are CPU times of this process (``time.process_time``): on shared,
loaded cores they are far steadier than wall-clock times.  Then runs each
contender once more in a fresh subprocess for its peak resident memory
(``VmHWM``, which, unlike ``ru_maxrss``, does not inherit the parent's peak
across fork and exec).  Prints medians and ratios to the naive script
(above 1.0 is faster than it).

Run::

    PYTHONPATH=src:. python -m benchmarks.ingest_side_by_side \\
        --lines 1000000 --rounds 3 --memory
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from benchmarks.audit_log_gen import SEED, write

from clientid import ActivityLog, AuditLogReader
from clientid.ingest import audit
from clientid.ingest.common import std_json_loads

if TYPE_CHECKING:
    from collections.abc import Callable


def run_clientid(path: str, *, fast: bool) -> int:
    """Lines → reader → activity log → 24-month report; distinct clients."""
    # The reader's parser of lines, as the tests switch it.
    vars(audit)["json_loads"] = orjson.loads if fast else std_json_loads
    reader = AuditLogReader()
    log = ActivityLog()
    record = log.record_event
    with open(path, "rb") as lines:  # noqa: PTH123
        for event in reader.read_lines(lines):
            record(event)
    reader.describe(log)
    report = log.report(log.months[0], log.months[-1])
    return report.distinct.clients.value


def run_naive(path: str) -> int:
    """json.loads per line, a set of client IDs per month/namespace/mount."""
    months: dict[tuple[str, str, str], set[str]] = {}
    with open(path, "rb") as lines:  # noqa: PTH123
        for line in lines:
            entry = json.loads(line)
            request = entry.get("request") or {}
            client_id = request.get("client_id")
            if not client_id:
                continue
            key = (
                entry["time"][:7],
                (request.get("namespace") or {}).get("id", "root"),
                request.get("mount_accessor", ""),
            )
            clients = months.get(key)
            if clients is None:
                clients = months[key] = set()
            clients.add(client_id)
    return len(set().union(*months.values()))


def run_loads(path: str, loads: Callable[[bytes], Any]) -> int:
    """Parse every line, nothing else."""
    count = 0
    with open(path, "rb") as lines:  # noqa: PTH123
        for line in lines:
            loads(line)
            count += 1
    return count


CONTENDERS: dict[str, Callable[[str], int]] = {
    "clientid + orjson": lambda path: run_clientid(path, fast=True),
    "clientid, stdlib json": lambda path: run_clientid(path, fast=False),
    "naive script (json.loads)": run_naive,
    "json.loads alone": lambda path: run_loads(path, json.loads),
    "orjson.loads alone": lambda path: run_loads(path, orjson.loads),
}


def _peak_rss(name: str, path: str) -> tuple[float, int]:
    """Run one contender in a fresh interpreter: (MiB peak RSS, result)."""
    code = (
        "import resource;"
        "import benchmarks.ingest_side_by_side as b;"
        f"r = b.CONTENDERS[{name!r}]({path!r});"
        "print(b.peak_kib(), r)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def _baseline_rss() -> float:
    """Peak RSS of an interpreter that only imported the contenders."""
    code = (
        "import resource;"
        "import benchmarks.ingest_side_by_side as b;"
        "print(b.peak_kib())"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ).stdout
    return int(out) / 1024


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> None:
    """Generate, time, measure memory, print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--dir", default="/tmp")  # noqa: S108
    args = parser.parse_args()
    path = Path(args.dir) / f"clientid-audit-{args.lines}-{SEED}.jsonl"
    if not path.exists():
        write(str(path), args.lines)
    size = path.stat().st_size
    _say(f"{args.lines:,} lines, {size / args.lines:.0f} B/line, {path}")
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    results: dict[str, int] = {}
    for number in range(args.rounds):
        for name, contender in CONTENDERS.items():
            start = time.process_time()
            results[name] = contender(str(path))
            times[name].append(time.process_time() - start)
        _say(f"round {number + 1}: load {os.getloadavg()[0]:.1f}")
    naive = statistics.median(times["naive script (json.loads)"])
    _say("\n| contender | median s | lines/s | vs naive | result |")
    _say("| --- | --- | --- | --- | --- |")
    for name, spent in times.items():
        median = statistics.median(spent)
        _say(
            f"| {name} | {median:.1f} | {args.lines / median:,.0f} |"
            f" {naive / median:.2f}x | {results[name]:,} |"
        )
    if args.memory:
        base = _baseline_rss()
        naive_rss = _peak_rss("naive script (json.loads)", str(path))[0]
        _say(f"\nbaseline interpreter (imports only): {base:.0f} MiB")
        _say("\n| contender | peak RSS MiB | above baseline | vs naive |")
        _say("| --- | --- | --- | --- |")
        for name in CONTENDERS:
            peak, _ = _peak_rss(name, str(path))
            _say(
                f"| {name} | {peak:.0f} | {peak - base:.0f} |"
                f" {peak / naive_rss:.2f}x |"
            )
    _say(f"\nthis process peak RSS: {_self_rss():.0f} MiB")


def peak_kib() -> int:
    """This process's peak resident set size (VmHWM), in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _self_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
