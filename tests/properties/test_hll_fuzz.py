"""
Fuzzed deserialization: hostile bytes raise clientid errors, never crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import HyperLogLog
from clientid.errors import DecodeError

if TYPE_CHECKING:
    from collections.abc import Callable

DATA = Path(__file__).parent.parent / "acceptance" / "data" / "datasketches"
GOLDEN_IMAGES = sorted(path.read_bytes() for path in DATA.glob("*.bin"))


def _own_formats() -> list[bytes]:
    sketches = []
    for lg_k, n in [(4, 3), (8, 20), (8, 500), (10, 100)]:
        sketch = HyperLogLog(lg_k)
        sketch.update(f"f{i}" for i in range(n))
        sketches.append(sketch.to_bytes())
    return sketches


OWN_FORMATS = _own_formats()


def _load(reader: Callable[[bytes], HyperLogLog], data: bytes) -> None:
    """Load, and if the bytes were accepted, check the result."""
    try:
        sketch = reader(data)
    except DecodeError:
        return
    sketch._check()
    sketch.estimate()
    sketch.to_bytes()


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes]) -> bytes:
    """A valid encoding with bytes replaced, cut off or appended."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    tail = draw(st.binary(max_size=8))
    if draw(st.booleans()):
        return bytes(data[:cut])
    return bytes(data) + tail


READERS = [
    pytest.param(HyperLogLog.from_bytes, id="from_bytes"),
    pytest.param(HyperLogLog.from_datasketches, id="from_datasketches"),
]


@pytest.mark.parametrize("reader", READERS)
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_decode_error_or_load(reader, data):
    """
    Arbitrary bytes are rejected with DecodeError or load consistently.
    """
    _load(reader, data)


@given(data=mutated(OWN_FORMATS))
def test_mutated_own_format_raises_decode_error_or_loads(data):
    """
    A corrupted clientid encoding never escapes as another exception.
    """
    _load(HyperLogLog.from_bytes, data)


@given(data=mutated(GOLDEN_IMAGES))
def test_mutated_datasketches_image_raises_decode_error_or_loads(data):
    """
    A corrupted DataSketches image never escapes as another exception.
    """
    _load(HyperLogLog.from_datasketches, data)


@given(
    header=st.sampled_from([image[:8] for image in GOLDEN_IMAGES]),
    body=st.binary(max_size=600),
)
def test_valid_header_with_random_body_is_handled(header, body):
    """
    A plausible preamble followed by garbage is rejected or loads.
    """
    _load(HyperLogLog.from_datasketches, header + body)
