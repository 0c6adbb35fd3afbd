"""
Per-item ``add`` and batch ``update`` against datasketches, interleaved.

On a shared machine the absolute times drift with the load of other jobs,
so this script runs every contender once per round, in turn, for several
rounds, and reports each one's median round, the ratio of datasketches'
median per-item loop to it (above 1.0: faster than datasketches), and the
spread of the same ratio taken round by round (each contender against
datasketches' run of the same round).  Each timed call runs with the
garbage collector off, as ``timeit`` runs, and is timed in CPU time of
this process (``--clock process``, the default) or wall time
(``--clock wall``): CPU time leaves out the stretches in which other jobs
had the core.  Contenders that only hash (a loop calling ``mmh3.hash128``,
a method that hashes and compares) show the floor of any per-item Python
API.  Run::

    python benchmarks/hll_side_by_side.py --rounds 7
    python benchmarks/hll_side_by_side.py --only add pure   # no numpy path

``--only`` picks the clientid contenders (``add``, ``numpy``, ``pure``);
datasketches always runs, as the reference.  It prints a Markdown table;
every clientid sketch is checked to hold the same registers as
datasketches' (both images decoded to registers), and the ``numpy`` row is
preceded by a note if numpy is missing (it then runs the pure path).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any, Final
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


def numpy_installed() -> bool:
    """Tell whether the numpy path of ``update`` can run here."""
    try:
        import clientid.sketch.batch_numpy  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def clientid_update_pure(items: list[str], lg_k: int) -> HyperLogLog:
    """HyperLogLog.update(list) on the pure-Python path."""
    sketch = HyperLogLog(lg_k)
    with mock.patch.object(_hll, "_VECTOR_MIN", len(items) + 1):
        sketch.update(items)
    return sketch


REFERENCE: Final = "datasketches `update` loop"
FLOORS: dict[str, Callable[[list[str], int], object]] = {
    "`mmh3.hash128` loop (floor)": hash_only,
    "per-item method that only hashes (floor)": method_floor,
}
#: The clientid contenders, by their ``--only`` name.
CLIENTID: dict[str, tuple[str, Callable[[list[str], int], HyperLogLog]]] = {
    "add": ("clientid `add`", clientid_add),
    "numpy": ("clientid `update(list)`, numpy", clientid_update),
    "pure": ("clientid `update(list)`, pure", clientid_update_pure),
}
CLOCKS: dict[str, Callable[[], float]] = {
    "process": time.process_time,
    "wall": time.perf_counter,
}


def _registers(sketch: Any) -> bytes:
    if isinstance(sketch, HyperLogLog):
        image = sketch.to_datasketches()
    else:
        image = sketch.serialize_updatable()
    return HyperLogLog.from_datasketches(image).to_bytes()[13:]


def _contenders(
    only: list[str], *, floors: bool
) -> dict[str, Callable[[list[str], int], object]]:
    contenders: dict[str, Callable[[list[str], int], object]] = {
        REFERENCE: datasketches_add
    }
    if floors:
        contenders.update(FLOORS)
    for key in only:
        name, run = CLIENTID[key]
        contenders[name] = run
    return contenders


def _time(
    run: Callable[[list[str], int], object],
    items: list[str],
    lg_k: int,
    clock: Callable[[], float],
) -> tuple[float, object]:
    """One timed call with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        result = run(items, lg_k)
        elapsed = clock() - start
    finally:
        gc.enable()
    return elapsed, result


def _rounds(
    contenders: dict[str, Callable[[list[str], int], object]],
    items: list[str],
    lg_k: int,
    args: argparse.Namespace,
) -> dict[str, list[float]]:
    """Every contender once per round, in turn; registers checked."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    reference = _registers(datasketches_add(items, lg_k))
    clock = CLOCKS[args.clock]
    for _ in range(args.rounds):
        for name, run in contenders.items():
            elapsed, result = _time(run, items, lg_k, clock)
            times[name].append(elapsed)
            if isinstance(result, HyperLogLog):
                assert _registers(result) == reference, name
    return times


def main() -> None:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lg-k", type=int, nargs="+", default=[12, 14])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(CLIENTID),
        default=list(CLIENTID),
        help="clientid contenders to run (default: all)",
    )
    parser.add_argument(
        "--no-floors",
        dest="floors",
        action="store_false",
        help="leave out the hash-only floors",
    )
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="process")
    args = parser.parse_args()
    items = uuids(args.items, 14)
    contenders = _contenders(args.only, floors=args.floors)
    out = sys.stdout
    if "numpy" in args.only and not numpy_installed():
        out.write("note: numpy is missing; the numpy row ran the pure path\n")
    out.write(
        f"{args.rounds} rounds, {args.items:,} UUIDs, {args.clock} time\n\n"
    )
    out.write(
        "| lg_k | contender | median | vs datasketches | per-round range |\n"
    )
    out.write("| ---: | --- | ---: | ---: | ---: |\n")
    for lg_k in args.lg_k:
        times = _rounds(contenders, items, lg_k, args)
        base_rounds = times[REFERENCE]
        base = statistics.median(base_rounds)
        for name, rounds in times.items():
            median = statistics.median(rounds)
            ratios = [b / t for b, t in zip(base_rounds, rounds, strict=True)]
            out.write(
                f"| {lg_k} | {name} | {median * 1e3:.1f} ms "
                f"| {base / median:.2f}x "
                f"| {min(ratios):.2f} to {max(ratios):.2f}x |\n"
            )


if __name__ == "__main__":
    main()
