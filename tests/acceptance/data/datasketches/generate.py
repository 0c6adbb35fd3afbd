"""
Regenerate the golden DataSketches HLL images in this directory.

Not run by the tests: it needs the ``datasketches`` package (``pip install
datasketches``), which the test suite must not.  Run it from the repository
root with ``python tests/acceptance/data/datasketches/generate.py``; it
rewrites every ``*.bin`` image and ``images.json``, which describes each
image's input, its registers (as HLL_8 register bytes, hex) or coupons, and
the package's estimate and bounds.

Inputs are plain, reproducible strings: ``f"{prefix}{i}"`` for ``i`` in
``range(n)``, so a reader can rebuild them without this script.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import datasketches

HERE = Path(__file__).parent
TYPES = {
    "HLL_4": datasketches.tgt_hll_type.HLL_4,
    "HLL_6": datasketches.tgt_hll_type.HLL_6,
    "HLL_8": datasketches.tgt_hll_type.HLL_8,
}

# (name, lg_k, prefix, n, register types): empty, LIST, SET and HLL sketches,
# non-ASCII input, and an HLL_4 sketch large enough to need aux exceptions.
CASES = [
    ("empty", 12, "client-", 0, ("HLL_8",)),
    ("list", 12, "client-", 5, ("HLL_8",)),
    ("set", 12, "client-", 300, ("HLL_8", "HLL_4")),
    ("list-lgk4", 4, "client-", 6, ("HLL_8",)),
    ("hll-lgk4", 4, "client-", 1000, ("HLL_4", "HLL_6", "HLL_8")),
    ("hll-lgk10", 10, "client-", 20_000, ("HLL_4", "HLL_6", "HLL_8")),
    ("hll-unicode", 8, "клиент-\N{HOT SPRINGS}-", 3_000, ("HLL_8",)),
    ("hll4-aux", 14, "aux-", 100_000, ("HLL_4",)),
]


def items(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def hll8_registers(sketch: datasketches.hll_sketch) -> bytes:
    """The HLL_8 register bytes of an HLL-mode sketch (empty otherwise)."""
    image = sketch.serialize_updatable()
    if image[7] & 3 != 2:  # The low two mode bits are 2 in HLL mode.
        return b""
    return bytes(image[40 : 40 + (1 << image[3])])


def coupons(image: bytes) -> list[int]:
    """The coupons of a compact LIST or SET image, sorted."""
    start = 8 if image[7] & 3 == 0 else 12
    return sorted(
        int.from_bytes(image[i : i + 4], "little")
        for i in range(start, len(image), 4)
    )


def describe(sketch: datasketches.hll_sketch) -> dict[str, object]:
    return {
        "estimate": sketch.get_estimate(),
        "lower_bounds": [sketch.get_lower_bound(k) for k in (1, 2, 3)],
        "upper_bounds": [sketch.get_upper_bound(k) for k in (1, 2, 3)],
    }


def main() -> None:
    entries = []
    for name, lg_k, prefix, n, types in CASES:
        data = items(prefix, n)
        hll8 = datasketches.hll_sketch(lg_k, TYPES["HLL_8"])
        for item in data:
            hll8.update(item)
        registers = hll8_registers(hll8)
        for type_name in types:
            sketch = datasketches.hll_sketch(lg_k, TYPES[type_name])
            for item in data:
                sketch.update(item)
            for layout in ("compact", "updatable"):
                image = (
                    sketch.serialize_compact()
                    if layout == "compact"
                    else sketch.serialize_updatable()
                )
                file_name = f"{name}-{type_name.lower()}-{layout}.bin"
                (HERE / file_name).write_bytes(image)
                entries.append(
                    {
                        "file": file_name,
                        "lg_k": lg_k,
                        "type": type_name,
                        "layout": layout,
                        "input": {"prefix": prefix, "n": n},
                        "mode": ["LIST", "SET", "HLL"][image[7] & 3],
                        "sha256": hashlib.sha256(image).hexdigest(),
                        "registers": registers.hex(),
                        "coupons": []
                        if registers
                        else coupons(hll8.serialize_compact()),
                        **describe(sketch),
                    }
                )
    # An out-of-order image: the union of two HLL-mode sketches.
    first = datasketches.hll_sketch(10, TYPES["HLL_8"])
    second = datasketches.hll_sketch(10, TYPES["HLL_8"])
    for item in items("left-", 5_000):
        first.update(item)
    for item in items("right-", 5_000):
        second.update(item)
    union = datasketches.hll_union(10)
    union.update(first)
    union.update(second)
    merged = union.get_result(TYPES["HLL_8"])
    image = merged.serialize_updatable()
    (HERE / "union-hll_8-updatable.bin").write_bytes(image)
    entries.append(
        {
            "file": "union-hll_8-updatable.bin",
            "lg_k": 10,
            "type": "HLL_8",
            "layout": "updatable",
            "input": {
                "union_of": [
                    {"prefix": "left-", "n": 5_000},
                    {"prefix": "right-", "n": 5_000},
                ]
            },
            "mode": "HLL",
            "sha256": hashlib.sha256(image).hexdigest(),
            "registers": hll8_registers(merged).hex(),
            "coupons": [],
            **describe(merged),
        }
    )
    document = {
        "generator": "tests/acceptance/data/datasketches/generate.py",
        "datasketches_version": version("datasketches"),
        "images": entries,
    }
    (HERE / "images.json").write_text(
        json.dumps(document, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
