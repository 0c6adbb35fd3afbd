"""
Turn a ``--benchmark-json`` file of ``benchmarks/test_bench_hll.py`` into
the Markdown ratio table of ``docs/performance-hll.md``.

Usage::

    python docs/hll_ratios.py hll.json

Per group, every benchmark's median time is shown with its speed relative
to datasketches (above 1.0: faster than datasketches).  Serialized sizes
come from the serialize group's ``extra_info``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _is_reference(name: str) -> bool:
    """Tell whether a benchmark measures the datasketches package itself."""
    return name.endswith("_datasketches") or "[datasketches" in name


def _reference(rows: list[dict[str, object]]) -> float | None:
    for row in rows:
        if _is_reference(str(row["name"])):
            return float(str(row["median"]))
    return None


_MILLISECOND = 1e-3
_MICROSECOND = 1e-6


def _time(seconds: float) -> str:
    if seconds >= _MILLISECOND:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= _MICROSECOND:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def main() -> None:
    document = json.loads(Path(sys.argv[1]).read_text())
    groups: dict[str, list[dict[str, object]]] = {}
    for bench in document["benchmarks"]:
        groups.setdefault(bench["group"], []).append(
            {
                "name": bench["name"],
                "median": bench["stats"]["median"],
                "bytes": bench["extra_info"].get("bytes"),
            }
        )
    print("| group | benchmark | median | vs datasketches | size |")
    print("| --- | --- | ---: | ---: | ---: |")
    for group, rows in groups.items():
        reference = _reference(rows)
        for row in sorted(rows, key=lambda row: float(str(row["median"]))):
            median = float(str(row["median"]))
            ratio = f"{reference / median:.2f}x" if reference else ""
            size = f"{row['bytes']:,} B" if row["bytes"] else ""
            print(
                f"| {group} | {row['name']} | {_time(median)} "
                f"| {ratio} | {size} |"
            )


if __name__ == "__main__":
    main()
