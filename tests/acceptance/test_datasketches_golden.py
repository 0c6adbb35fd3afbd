"""
Golden DataSketches HLL images: clientid reads what the package wrote.

The images and ``images.json`` come from ``data/datasketches/generate.py``
(run with the ``datasketches`` package, never by the tests).  Each entry
names its input (``f"{prefix}{i}"`` for ``i`` in ``range(n)``), the HLL_8
registers or coupons the package held, and its estimate and bounds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clientid import HyperLogLog

DATA = Path(__file__).parent / "data" / "datasketches"
IMAGES = json.loads((DATA / "images.json").read_text(encoding="utf-8"))[
    "images"
]
IDS = [entry["file"] for entry in IMAGES]


def _image(entry: dict[str, Any]) -> bytes:
    path: Path = DATA / entry["file"]
    return path.read_bytes()


def _items(spec: dict[str, Any]) -> list[str]:
    return [f"{spec['prefix']}{i}" for i in range(spec["n"])]


def _rebuilt(entry: dict[str, Any]) -> HyperLogLog:
    spec = entry["input"]
    if "union_of" in spec:
        parts = []
        for part in spec["union_of"]:
            sketch = HyperLogLog(entry["lg_k"])
            sketch.update(_items(part))
            parts.append(sketch)
        return parts[0].union(*parts[1:])
    sketch = HyperLogLog(entry["lg_k"])
    sketch.update(_items(spec))
    return sketch


@pytest.mark.parametrize("entry", IMAGES, ids=IDS)
def test_image_loads_with_the_packages_registers(entry):
    """
    Every mode, register type and layout loads to the package's state.
    """
    sketch = HyperLogLog.from_datasketches(_image(entry))
    sketch._check()

    assert sketch.lg_k == entry["lg_k"]
    assert bytes(sketch._registers).hex() == entry["registers"]
    assert sorted(sketch._coupons) == entry["coupons"]


@pytest.mark.parametrize("entry", IMAGES, ids=IDS)
def test_image_estimates_as_the_package_did(entry):
    """
    The loaded sketch's estimate and bounds equal the package's exactly.
    """
    sketch = HyperLogLog.from_datasketches(_image(entry))

    assert sketch.estimate() == entry["estimate"]
    assert [sketch.lower_bound(k) for k in (1, 2, 3)] == entry["lower_bounds"]
    assert [sketch.upper_bound(k) for k in (1, 2, 3)] == entry["upper_bounds"]


@pytest.mark.parametrize("entry", IMAGES, ids=IDS)
def test_same_input_gives_the_same_sketch(entry):
    """
    clientid fed the image's input holds the same registers and estimate.
    """
    sketch = _rebuilt(entry)
    sketch._check()

    assert bytes(sketch._registers).hex() == entry["registers"]
    assert sorted(sketch._coupons) == entry["coupons"]
    assert sketch.estimate() == entry["estimate"]


@pytest.mark.parametrize(
    "entry",
    [entry for entry in IMAGES if entry["type"] == "HLL_8"],
    ids=[entry["file"] for entry in IMAGES if entry["type"] == "HLL_8"],
)
def test_written_image_loads_back_identically(entry):
    """
    Re-encoding a loaded HLL_8 image and loading it again changes nothing.
    """
    sketch = HyperLogLog.from_datasketches(_image(entry))

    again = HyperLogLog.from_datasketches(sketch.to_datasketches())

    assert (again, again.estimate()) == (sketch, sketch.estimate())


_HLL_8_UPDATABLE = [
    entry
    for entry in IMAGES
    if entry["type"] == "HLL_8"
    and entry["layout"] == "updatable"
    and entry["mode"] == "HLL"
]


@pytest.mark.parametrize(
    "entry", _HLL_8_UPDATABLE, ids=[e["file"] for e in _HLL_8_UPDATABLE]
)
def test_hll_mode_writes_the_packages_updatable_image(entry):
    """
    In HLL mode, clientid writes the package's updatable image byte for byte.
    """
    image = _image(entry)

    assert HyperLogLog.from_datasketches(image).to_datasketches() == image


def test_empty_sketch_writes_the_packages_compact_empty_image():
    """
    An empty sketch is the package's 8-byte compact empty image.
    """
    image = (DATA / "empty-hll_8-compact.bin").read_bytes()

    assert HyperLogLog(12).to_datasketches() == image
