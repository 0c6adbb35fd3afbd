"""
Measure HyperLogLog accuracy: clientid against datasketches, lg_k 14.

Each trial feeds one stream of distinct IDs (``f"{trial}-{i}"``) to a
clientid sketch and to a datasketches ``hll_sketch`` (HLL_8) and records
both estimates at fixed checkpoints, plus clientid's composite estimate
(what a merged sketch reports).  The output is the relative error (bias
and RMSE) per cardinality, as a Markdown table and as JSON for plotting.

Usage (seeded, deterministic; a few minutes on one core)::

    python docs/accuracy.py --trials 32 --out docs/accuracy.json

``--plot docs/accuracy-hll.png`` (needs matplotlib) draws the RMSE curves
from the JSON given with ``--out``, without re-running the trials if the
JSON already exists and ``--trials 0`` is given.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import datasketches

from clientid import HyperLogLog

LG_K = 14
CHECKPOINTS = [
    1_000,
    3_000,
    10_000,
    30_000,
    100_000,
    300_000,
    1_000_000,
    3_000_000,
    10_000_000,
]


def run_trial(trial: int, last: int) -> dict[int, tuple[float, float, float]]:
    """Estimates (clientid HIP, datasketches, clientid composite) per n."""
    ours = HyperLogLog(LG_K)
    theirs = datasketches.hll_sketch(LG_K, datasketches.tgt_hll_type.HLL_8)
    update = theirs.update
    results = {}
    start = 0
    for checkpoint in CHECKPOINTS:
        if checkpoint > last:
            break
        batch = [f"{trial}-{i}" for i in range(start, checkpoint)]
        ours.update(batch)
        for item in batch:
            update(item)
        start = checkpoint
        results[checkpoint] = (
            ours.estimate(),
            theirs.get_estimate(),
            ours.union().estimate(),
        )
    return results


def summarize(
    errors: dict[int, list[tuple[float, float, float]]],
) -> list[dict[str, float]]:
    rows = []
    for n, estimates in sorted(errors.items()):
        row: dict[str, float] = {"n": n, "trials": len(estimates)}
        for index, name in enumerate(("clientid", "datasketches", "merged")):
            relative = [est[index] / n - 1.0 for est in estimates]
            row[f"{name}_bias"] = sum(relative) / len(relative)
            row[f"{name}_rmse"] = math.sqrt(
                sum(r * r for r in relative) / len(relative)
            )
        rows.append(row)
    return rows


def plot(document: dict[str, Any], path: Path) -> None:
    """Draw RMSE against cardinality, with the 1.04/sqrt(m) line."""
    import matplotlib as mpl  # noqa: PLC0415 - optional, docs only.

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = document["rows"]
    ns = [row["n"] for row in rows]
    figure, axes = plt.subplots(figsize=(7, 4))
    for key, label, style in [
        ("clientid_rmse", "clientid (HIP)", "o-"),
        ("datasketches_rmse", "datasketches (HIP)", "x--"),
        ("merged_rmse", "clientid merged (composite)", "s-"),
    ]:
        axes.plot(ns, [100 * row[key] for row in rows], style, label=label)
    m = 1 << LG_K
    axes.axhline(100 * 1.04 / math.sqrt(m), color="grey", linestyle=":")
    axes.annotate("1.04/sqrt(m)", (ns[0], 100 * 1.04 / math.sqrt(m)))
    axes.axhline(100 * 0.8326 / math.sqrt(m), color="grey", linestyle="-.")
    axes.annotate("0.83/sqrt(m)", (ns[0], 100 * 0.8326 / math.sqrt(m)))
    axes.set_xscale("log")
    axes.set_xlabel("distinct IDs")
    axes.set_ylabel("relative RMSE (%)")
    axes.set_title(f"HyperLogLog lg_k {LG_K}, {document['trials']} trials")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--max-n", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    if args.trials == 0 and args.out and args.plot:
        plot(json.loads(args.out.read_text()), args.plot)
        return
    errors: dict[int, list[tuple[float, float, float]]] = {}
    began = time.perf_counter()
    for trial in range(args.trials):
        for n, estimates in run_trial(trial, args.max_n).items():
            errors.setdefault(n, []).append(estimates)
        print(
            f"trial {trial + 1}/{args.trials} done after "
            f"{time.perf_counter() - began:.0f} s",
            file=sys.stderr,
        )
    rows = summarize(errors)
    line = 1.04 / math.sqrt(1 << LG_K)
    print(f"lg_k {LG_K}, {args.trials} trials; 1.04/sqrt(m) = {line:.4%}\n")
    print(
        "| n | clientid RMSE | datasketches RMSE | clientid merged RMSE "
        "| clientid bias |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['n']:,} | {row['clientid_rmse']:.4%} "
            f"| {row['datasketches_rmse']:.4%} | {row['merged_rmse']:.4%} "
            f"| {row['clientid_bias']:+.4%} |"
        )
    identical = all(
        ours == theirs
        for estimates in errors.values()
        for ours, theirs, _ in estimates
    )
    print(f"\nclientid == datasketches on every estimate: {identical}")
    if args.out:
        document = {
            "lg_k": LG_K,
            "trials": args.trials,
            "reference_rse": line,
            "identical": identical,
            "rows": rows,
        }
        args.out.write_text(json.dumps(document, indent=1) + "\n")
        if args.plot:
            plot(document, args.plot)


if __name__ == "__main__":
    main()
