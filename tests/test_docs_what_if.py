"""
The what-if guide's code runs as written and prints what it says.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clientid import Scenario
from clientid.errors import MalformedRecordError

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "what-if.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.DOTALL)


def expected_output(blocks: list[str]) -> list[str]:
    """
    The comment lines that follow a print call: its output, as documented.
    """
    expected = []
    for block in blocks:
        after_print = False
        for line in block.splitlines():
            stripped = line.strip()
            if after_print and stripped.startswith("#"):
                expected.append(stripped[2:])
                continue
            after_print = "print(" in stripped
    return expected


def test_the_page_is_in_the_guide_toctree():
    """
    docs/index.md lists the page.
    """
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")

    assert "\nwhat-if\n" in index


def test_the_pages_code_runs_and_prints_what_the_page_says():
    """
    The snippets run, in order, in one fresh interpreter, on the sample.
    """
    assert len(BLOCKS) >= 6
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), env.get("PYTHONPATH", "")]
    )

    result = subprocess.run(
        [sys.executable, "-c", "\n".join(BLOCKS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )

    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines() if line]
    assert printed == expected_output(BLOCKS)
    assert len(printed) >= 8


def test_the_documented_error_message_is_the_real_one():
    """
    The JSON error the page quotes is the one from_mapping raises.
    """
    message = re.search(r"`(steps\[1\]\.drop_types\[0\] [^`]*)`", PAGE)
    assert message is not None
    document = {
        "format": 1,
        "steps": [{"drop_mounts": ["m"]}, {"drop_types": ["acme"]}],
    }

    with pytest.raises(MalformedRecordError) as info:
        Scenario.from_mapping(document)

    assert " ".join(message.group(1).split()) == str(info.value)
