"""
docs/what-if.md shows what ``--what-if`` and ``compare`` print today.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from tests.cli.running import ROOT, sample_log

from clientid import cli
from clientid.cli._state import save_state

PAGE = (ROOT / "docs" / "what-if.md").read_text(encoding="utf-8")
CONSOLE = re.findall(r"```console\n(.*?)```", PAGE, flags=re.DOTALL)
SCENARIOS = ROOT / "examples" / "scenarios"


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _shown(text: str) -> bool:
    return f"```text\n{text.rstrip()}\n```" in PAGE


@pytest.fixture(autouse=True)
def _from_the_repository(monkeypatch):
    """The page's commands name files relative to the repository."""
    monkeypatch.chdir(ROOT)


def test_the_page_runs_the_commands_it_shows():
    """
    Each command shown is one of those checked below.
    """
    commands = [block.strip() for block in CONSOLE]

    assert commands == [
        (
            "clientid count --what-if examples/scenarios/merge-team-b.json"
            " examples/data/sample-audit-log.jsonl"
        ),
        (
            "clientid compare examples/data/sample-vault-activity.json"
            " examples/data/sample-audit-log.jsonl"
        ),
    ]


def test_the_what_if_output_is_the_commands():
    """
    The merged world's table is what count --what-if prints.
    """
    args = CONSOLE[0].split()[1:]

    code, out, _err = _run(*args)

    assert code == 0
    assert _shown(out)


def test_the_scenario_shown_is_the_example_file():
    """
    The JSON on the page is examples/scenarios/merge-team-b.json.
    """
    shown = re.search(r"```json\n(.*?)```", PAGE, flags=re.DOTALL)
    assert shown is not None

    on_disk = (SCENARIOS / "merge-team-b.json").read_text(encoding="utf-8")

    assert json.loads(shown.group(1)) == json.loads(on_disk)


def test_the_compare_output_and_verdict_are_the_commands():
    """
    The differences, the summary on stderr and exit status 1.
    """
    args = CONSOLE[1].split()[1:]

    code, out, err = _run(*args)

    assert code == 1
    assert _shown(out)
    assert _shown(err)
    assert "| 1 | some count differs |" in PAGE


def test_the_quoted_errors_are_the_commands(tmp_path, monkeypatch):
    """
    The bad scenario's message, and the starts of the other two.
    """
    monkeypatch.chdir(tmp_path)
    sample = str(ROOT / "examples" / "data" / "sample-audit-log.jsonl")
    (tmp_path / "acme.json").write_text(
        '{"format": 1, "steps": [{"drop_types": ["acme"]}]}', encoding="utf-8"
    )
    (tmp_path / "unknown.json").write_text(
        '{"format": 1, "steps": [{"merge_namespaces": "Lm3Pq",'
        ' "into": "nope"}]}',
        encoding="utf-8",
    )
    (tmp_path / "tokens.json").write_bytes(
        (SCENARIOS / "ci-tokens-as-one-entity.json").read_bytes()
    )
    log, image = sample_log(exact_limit=5)
    save_state(tmp_path / "sketched.state", log, image)
    (tmp_path / "empty.log").write_text("\n", encoding="utf-8")

    acme = _run("count", "--what-if", "acme.json", sample)
    unknown = _run("count", "--what-if", "unknown.json", sample)
    sketched = _run(
        "count",
        "--state",
        "sketched.state",
        "--what-if",
        "tokens.json",
        "empty.log",
    )

    assert acme[0] == unknown[0] == sketched[0] == 2
    assert _shown(acme[2].splitlines()[-1])
    flowing = " ".join(PAGE.split())
    unknown_message = (
        unknown[2].splitlines()[-1].removeprefix("clientid: error: ")
    )
    assert f"({unknown_message})" in flowing.replace("`", "")
    sketched_message = (
        sketched[2].splitlines()[-1].removeprefix("clientid: error: ")
    )
    assert sketched_message.startswith(
        "--what-if tokens.json: month 2025-01 holds only sketches"
    )
    assert "`--what-if tokens.json: month 2025-01 holds only sketches" in (
        flowing
    )
