"""
The README's code runs as written.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_opens_with_the_two_commands():
    """
    The first code block holds exactly the install-and-run commands.
    """
    first_block = re.search(r"```console\n(.*?)```", README, re.DOTALL)

    assert first_block is not None
    assert README.index("```console") < README.index("\n## ")
    assert first_block.group(1).splitlines() == [
        (
            "python -m pip install . && clientid count"
            " examples/data/sample-audit-log.jsonl"
        ),
        'python -m pip install -e ".[tests]" && python -m pytest',
    ]


def test_ci_runs_the_readmes_test_command():
    """
    .ci/run runs the README's second command verbatim.
    """
    assert 'python -m pip install -e ".[tests]" && python -m pytest' in CI


CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
CI_GATES = re.findall(r"^gate (\w+) ", CI, flags=re.MULTILINE)
NOX_SESSIONS = set(
    re.findall(
        r"^@nox\.session\(.*?\)\ndef (\w+)\(",
        (ROOT / "noxfile.py").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
)
DEVELOPMENT = README[README.index("## Development") :]


def test_ci_runs_every_promised_gate():
    """
    CI checks types, lint, docs, coverage, contracts and the real server.
    """
    assert CI_GATES == [
        "typing",
        "lint",
        "docs",
        "coverage",
        "contracts",
        "openbao",
    ]


@pytest.mark.parametrize("session", CI_GATES)
def test_each_ci_gate_is_a_nox_session_the_readme_lists(session):
    """
    CI, the noxfile and the README's development section agree.
    """
    assert session in NOX_SESSIONS
    assert f"nox -s {session} " in DEVELOPMENT


def test_readme_python_examples_run():
    """
    The README's Python snippets run, in order, in one fresh interpreter.
    """
    assert PYTHON_BLOCKS

    result = subprocess.run(
        [sys.executable, "-c", "\n".join(PYTHON_BLOCKS)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "1"


@pytest.mark.parametrize("link", re.findall(r"\]\((docs/[^)]+)\)", README))
def test_readme_links_point_at_existing_docs(link):
    """
    Every docs link in the README names a file in the repository.
    """
    assert (ROOT / link).is_file()
