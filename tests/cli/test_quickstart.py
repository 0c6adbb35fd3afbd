"""
docs/quickstart.md shows the command's real output and chart.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from clientid import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
PAGE = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
CHART = ROOT / "docs" / "quickstart-months.png"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_page_shows_the_commands_output_on_the_sample():
    """
    The table and the stderr summary on the page are what the command
    prints today.
    """
    out, err = io.StringIO(), io.StringIO()

    code = cli.main(["count", str(SAMPLE)], stdout=out, stderr=err)

    assert code == 0
    assert f"```text\n{out.getvalue().rstrip()}\n```" in PAGE
    assert f"```text\n{err.getvalue().rstrip()}\n```" in PAGE


def test_the_committed_chart_is_regenerated_alike(tmp_path):
    """
    The chart made from the sample now is a PNG of the committed one's
    size (not compared pixel for pixel: fonts differ between machines).
    """
    pytest.importorskip("matplotlib")
    out = tmp_path / "months.png"

    code = cli.main(
        ["chart", "--out", str(out), str(SAMPLE)],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert code == 0
    data = out.read_bytes()
    assert _png_size(data) == _png_size(CHART.read_bytes()) == (800, 450)
    assert 5_000 < len(data) < 500_000
    assert "](quickstart-months.png)" in PAGE
