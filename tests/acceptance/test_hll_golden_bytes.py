"""
Golden bytes of clientid's own sketch format, version 1.

The files in ``data/hll`` were written by clientid 0.1 and must load, and be
written, byte for byte by every later release: changing them is breaking.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clientid import HyperLogLog

DATA = Path(__file__).parent / "data" / "hll"
SKETCHES = json.loads((DATA / "sketches.json").read_text(encoding="utf-8"))[
    "sketches"
]


def _rebuilt(entry: dict[str, Any]) -> HyperLogLog:
    parts = []
    for part in entry["union_of"]:
        sketch = HyperLogLog(entry["lg_k"])
        sketch.update(f"{part['prefix']}{i}" for i in range(part["n"]))
        parts.append(sketch)
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])


@pytest.mark.parametrize(
    "entry", SKETCHES, ids=[entry["file"] for entry in SKETCHES]
)
def test_sketch_writes_the_golden_bytes(entry):
    """
    The same input serializes to exactly the committed bytes.
    """
    golden = (DATA / entry["file"]).read_bytes()

    assert _rebuilt(entry).to_bytes() == golden


@pytest.mark.parametrize(
    "entry", SKETCHES, ids=[entry["file"] for entry in SKETCHES]
)
def test_golden_bytes_load_with_the_recorded_estimate(entry):
    """
    The committed bytes load to the same sketch and estimate.
    """
    golden = (DATA / entry["file"]).read_bytes()

    sketch = HyperLogLog.from_bytes(golden)
    sketch._check()

    assert sketch == _rebuilt(entry)
    assert sketch.estimate() == entry["estimate"]
