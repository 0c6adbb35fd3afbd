"""
Per-item ``add`` and batch ``update`` against datasketches, interleaved.

On a shared machine the absolute times drift with the load of other jobs,
so this script runs every contender once per round, in turn, for several
rounds, and reports each one's median round and its ratio to the median of
datasketches' per-item loop (above 1.0: faster than datasketches).  A
contender that only hashes (a loop calling ``mmh3.hash128``) shows the
floor of any per-item Python API.  Run::

    python benchmarks/hll_side_by_side.py --rounds 7

It prints a Markdown table; every clientid sketch is checked to hold the
same registers as datasketches' (both images decoded to registers).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any
from unittest import mock

import datasketches
import mmh3

from clientid import HyperLogLog
from clientid.sketch import hll as _hll

if TYPE_CHECKING:
    from collections.abc import Callable

HLL_8 = datasketches.tgt_hll_type.HLL_8


def uuids(count: int, seed: int) -> list[str]:
    """Return ``count`` distinct random version-4 UUID strings."""
    rng = random.Random(seed)
    return [
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(count)
    ]


def datasketches_add(items: list[str], lg_k: int) -> Any:
    """Datasketches' per-item loop (it has no batch API for strings)."""
    sketch = datasketches.hll_sketch(lg_k, HLL_8)
    update = sketch.update
    for item in items:
        update(item)
    return sketch


def hash_only(items: list[str], lg_k: int) -> None:
    """The floor: a loop calling mmh3.hash128, no sketch at all."""
    del lg_k
    hash128 = mmh3.hash128
    for item in items:
        hash128(item, 9001)


class _HashingMethod:
    """A per-item method that hashes, guards and compares, nothing more."""

    __slots__ = ("limit",)

    def __init__(self) -> None:
        self.limit = 1 << 120

    def add(self, item: str) -> None:
        """The least a per-item add does before any register work."""
        if str.isascii(item) and mmh3.hash128(item, 9001) < self.limit:
            return


def method_floor(items: list[str], lg_k: int) -> None:
    """The floor of a per-item method: call, guard, hash, one comparison."""
    del lg_k
    add = _HashingMethod().add
    for item in items:
        add(item)


def clientid_add(items: list[str], lg_k: int) -> HyperLogLog:
    """HyperLogLog.add per item."""
    sketch = HyperLogLog(lg_k)
    add = sketch.add
    for item in items:
        add(item)
    return sketch


def clientid_update(items: list[str], lg_k: int) -> HyperLogLog:
    """HyperLogLog.update(list): the numpy path when numpy is installed."""
    sketch = HyperLogLog(lg_k)
    sketch.update(items)
    return sketch


def clientid_update_pure(items: list[str], lg_k: int) -> HyperLogLog:
    """HyperLogLog.update(list) on the pure-Python path."""
    sketch = HyperLogLog(lg_k)
    with mock.patch.object(_hll, "_VECTOR_MIN", len(items) + 1):
        sketch.update(items)
    return sketch


CONTENDERS: dict[str, Callable[[list[str], int], object]] = {
    "datasketches `update` loop": datasketches_add,
    "`mmh3.hash128` loop (floor)": hash_only,
    "per-item method that only hashes (floor)": method_floor,
    "clientid `add`": clientid_add,
    "clientid `update(list)`, numpy": clientid_update,
    "clientid `update(list)`, pure": clientid_update_pure,
}


def _registers(sketch: Any) -> bytes:
    if isinstance(sketch, HyperLogLog):
        image = sketch.to_datasketches()
    else:
        image = sketch.serialize_updatable()
    return HyperLogLog.from_datasketches(image).to_bytes()[13:]


def main() -> None:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lg-k", type=int, nargs="+", default=[12, 14])
    args = parser.parse_args()
    items = uuids(args.items, 14)
    out = sys.stdout
    out.write("| lg_k | contender | median | vs datasketches |\n")
    out.write("| ---: | --- | ---: | ---: |\n")
    for lg_k in args.lg_k:
        times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        reference = _registers(datasketches_add(items, lg_k))
        for _ in range(args.rounds):
            for name, run in CONTENDERS.items():
                start = time.perf_counter()
                result = run(items, lg_k)
                times[name].append(time.perf_counter() - start)
                if isinstance(result, HyperLogLog):
                    assert _registers(result) == reference, name
        base = statistics.median(times["datasketches `update` loop"])
        for name, rounds in times.items():
            median = statistics.median(rounds)
            out.write(
                f"| {lg_k} | {name} | {median * 1e3:.1f} ms "
                f"| {base / median:.2f}x |\n"
            )


if __name__ == "__main__":
    main()
