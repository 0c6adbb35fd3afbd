"""
Acceptance: the README's main job, ``clientid count`` on the bundled sample.

The expected numbers come from the sample generator's *truth* (what the
simulated clients did, attributed as Vault attributes them), not from
clientid's reading of the log, so the command's report is checked against
an independent account of the same events.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from types import ModuleType

EXAMPLES = Path(__file__).parents[2] / "examples"
GENERATOR = EXAMPLES / "make_sample_audit_log.py"
SRC = Path(__file__).parents[2] / "src"
SAMPLE = EXAMPLES / "data" / "sample-audit-log.jsonl"


def load_generator() -> ModuleType:
    """Import the sample generator script as a module."""
    name = "make_sample_audit_log"
    spec = importlib.util.spec_from_file_location(name, GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while decorating.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture(scope="module")
def generated() -> tuple[list[dict[str, Any]], Any, ModuleType]:
    """The generator's entries, its truth, and the module."""
    module = load_generator()
    entries, truth = module.generate()
    return entries, truth, module


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """The command's JSON report and its stderr, run from elsewhere."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "clientid",
            "count",
            "--format",
            "json",
            str(SAMPLE),
        ],
        cwd=tmp_path_factory.mktemp("elsewhere"),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return json.loads(result.stdout), result.stderr


def expected_report(truth: Any) -> dict[str, Any]:
    """Derive every number of the report from the truth alone."""
    first_use: dict[tuple[tuple[int, int], str], Any] = {}
    for use in sorted(truth.uses, key=lambda u: u.time):
        month = (use.time.year, use.time.month)
        first_use.setdefault((month, use.client_id), use)
    months: dict[tuple[int, int], set[str]] = defaultdict(set)
    namespaces: dict[str, set[str]] = defaultdict(set)
    mounts: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    types: dict[str, str] = {}
    for (month, client_id), use in first_use.items():
        months[month].add(client_id)
        namespaces[use.namespace_id].add(client_id)
        mounts[use.namespace_id, use.mount_accessor].add(client_id)
        types[client_id] = use.client_type
    seen: set[str] = set()
    new: dict[tuple[int, int], int] = {}
    for month in sorted(months):
        new[month] = len(months[month] - seen)
        seen |= months[month]
    return {
        "distinct": len(types),
        "entity": sum(1 for t in types.values() if t == "entity"),
        "total": sum(len(ids) for ids in namespaces.values()),
        "months": {
            f"{y}-{m:02}": (len(ids), new[y, m])
            for (y, m), ids in months.items()
        },
        "namespaces": {ns: len(ids) for ns, ids in namespaces.items()},
        "mount_sizes": sorted(len(ids) for ids in mounts.values()),
    }


def test_committed_sample_is_the_generator_output(generated):
    """The bundled log is exactly what the seeded generator writes."""
    entries, _, module = generated

    assert SAMPLE.read_text(encoding="utf-8") == module.render(entries)


def test_sample_has_a_few_thousand_entries_of_both_types(generated):
    """The sample holds request and response entries, thousands of them."""
    entries, _, _ = generated

    assert len(entries) > 2000
    assert {entry["type"] for entry in entries} == {"request", "response"}


def test_total_and_distinct_are_the_truths(run, generated):
    """Total and distinct clients equal the generator's account."""
    expected = expected_report(generated[1])
    report, _ = run

    assert report["total"]["clients"]["value"] == expected["total"]
    assert (
        report["distinct"]["clients"]["value"],
        report["distinct"]["entity_clients"]["value"],
    ) == (expected["distinct"], expected["entity"])


def test_every_month_and_its_new_clients_are_the_truths(run, generated):
    """Each month's clients and new clients equal the truth's."""
    expected = expected_report(generated[1])
    report, _ = run

    found = {
        month["timestamp"][:7]: (
            month["counts"]["clients"]["value"],
            month["new_clients"]["counts"]["clients"]["value"],
        )
        for month in report["months"]
    }

    assert found == expected["months"]


def test_every_namespace_and_mount_is_the_truths(run, generated):
    """Per-namespace and per-mount counts equal the truth's."""
    expected = expected_report(generated[1])
    report, _ = run

    namespaces = {
        ns["namespace_id"]: ns["counts"]["clients"]["value"]
        for ns in report["by_namespace"]
    }
    mount_sizes = sorted(
        mount["counts"]["clients"]["value"]
        for ns in report["by_namespace"]
        for mount in ns["mounts"]
    )

    assert namespaces == expected["namespaces"]
    assert mount_sizes == expected["mount_sizes"]
    assert not [
        ns
        for ns in report["by_namespace"]
        if ns["namespace_path"].startswith("deleted")
    ]


def test_why_entries_were_skipped_is_the_truths(run, generated):
    """Skip counts on stderr equal the generator's tally of request kinds."""
    truth = generated[1]
    requests = truth.requests
    expected = {
        "duplicate": truth.entries - sum(requests.values()),
        "unauthenticated": requests["unauthenticated"],
        "denied": requests["denied"],
        "root-token": requests["root-token"],
        "wrapping-token": requests["wrapping-token"],
    }
    _, stderr = run

    skipped = stderr.split("skipped:", 1)[1].splitlines()[0]
    found = {
        reason: int(count.replace(",", ""))
        for count, reason in re.findall(r"(\d[\d,]*) ([a-z-]+)", skipped)
    }

    assert found == {k: v for k, v in expected.items() if v}
    assert f"counted {requests['counted']:,} client events" in stderr
    assert "malformed" not in stderr
