"""
``--what-if SCENARIO.json``: the report of the world as if it had held.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.cli.running import ROOT, Result, sample_log

from clientid import Scenario, serde
from clientid.cli._state import save_state

if TYPE_CHECKING:
    from pathlib import Path

SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
SCENARIOS = ROOT / "examples" / "scenarios"
MERGE = SCENARIOS / "merge-team-b.json"
TOKENS = SCENARIOS / "ci-tokens-as-one-entity.json"
EXPORTS = ROOT / "tests" / "acceptance" / "data" / "vault-export"


def _json(result: Result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def _write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


class TestTheExamples:
    """
    The bundled scenarios on the bundled sample.
    """

    @pytest.mark.parametrize("scenario", [MERGE, TOKENS])
    def test_the_report_is_the_librarys_what_if(self, clientid, scenario):
        log, _ = sample_log()
        expected = log.report(
            log.months[0],
            log.months[-1],
            scenario=Scenario.from_json(scenario.read_bytes()),
        )

        result = clientid(
            "count", "--format", "json", "--what-if", scenario, SAMPLE
        )

        assert _json(result) == serde.to_dict(expected)

    def test_merging_team_b_regroups_without_losing_anyone(self, clientid):
        report = _json(
            clientid("count", "--format", "json", "--what-if", MERGE, SAMPLE)
        )
        table = clientid("count", "--what-if", MERGE, SAMPLE, e2e=False).out

        paths = {
            ns["namespace_path"]: ns["counts"]["clients"]["value"]
            for ns in report["by_namespace"]
        }
        assert paths == {"team-a/": 23, "": 11, "team-a/dev/": 4}
        assert report["distinct"]["clients"]["value"] == 38
        assert "team-b/" not in table
        assert f"as if {MERGE} had held (--what-if)" in table.splitlines()[1]

    def test_the_ci_tokens_become_one_entity(self, clientid):
        report = _json(
            clientid(
                "count",
                "--format",
                "json",
                "--what-if",
                TOKENS,
                SAMPLE,
                e2e=False,
            )
        )

        assert report["distinct"]["clients"]["value"] == 35
        assert report["distinct"]["non_entity_clients"]["value"] == 0
        assert report["distinct"]["entity_clients"]["value"] == 35

    def test_every_format_reports_the_what_if(self, clientid):
        vault = _json(
            clientid(
                "count",
                "--format",
                "vault",
                "--what-if",
                MERGE,
                SAMPLE,
                e2e=False,
            )
        )
        rows = list(
            csv.DictReader(
                io.StringIO(
                    clientid(
                        "count",
                        "--format",
                        "csv",
                        "--what-if",
                        MERGE,
                        SAMPLE,
                        e2e=False,
                    ).out
                )
            )
        )

        assert {ns["namespace_path"] for ns in vault["by_namespace"]} == {
            "team-a/",
            "",
            "team-a/dev/",
        }
        assert "Lm3Pq" not in {row["namespace_id"] for row in rows}

    def test_exports_take_a_scenario_too(self, clientid, tmp_path):
        drop = _write(
            tmp_path,
            "drop.json",
            {"format": 1, "steps": [{"drop_types": ["entity"]}]},
        )
        files = [EXPORTS / "full_history.json"]

        plain = _json(
            clientid("export", "--format", "json", *files, e2e=False)
        )
        dropped = _json(
            clientid(
                "export",
                "--format",
                "json",
                "--what-if",
                drop,
                *files,
                e2e=False,
            )
        )

        assert plain["total"]["entity_clients"]["value"] > 0
        assert dropped["total"]["entity_clients"]["value"] == 0
        assert (
            dropped["total"]["non_entity_clients"]
            == plain["total"]["non_entity_clients"]
        )

    def test_the_state_keeps_the_world_as_it_was(self, clientid, tmp_path):
        state = tmp_path / "clients.state"
        plain = clientid("count", SAMPLE, e2e=False)

        what_if = clientid(
            "count", "--state", state, "--what-if", MERGE, SAMPLE
        )
        empty = _write(tmp_path, "empty.log", "\n")
        after = clientid("count", "--state", state, empty, e2e=False)

        assert what_if.out != plain.out
        assert after.out == plain.out


class TestBadScenarios:
    """
    A scenario file that is not one exits 2 before reading any log.
    """

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("{not json", "$ must be JSON (Expecting property name"),
            ("\ufeff[]", "$ must be a JSON object, got []"),
            ("[]", "$ must be a JSON object, got []"),
            ('{"format": 2, "steps": []}', "format must be 1, got 2"),
            ('{"format": 1}', "steps must be a JSON array, got None"),
            (
                '{"format": 1, "steps": [{"rename": "a"}]}',
                "steps[0] must name exactly one step of move_mount,",
            ),
            (
                (
                    '{"format": 1, "steps": [{"merge_namespaces": "Lm3Pq",'
                    ' "into": 3}]}'
                ),
                "steps[0].into must be a JSON string, got 3",
            ),
            (
                '{"format": 1, "steps": [{"drop_types": ["acme"]}]}',
                (
                    "steps[0].drop_types[0] must be one of entity,"
                    " non-entity-token, pki-acme, secret-sync, got 'acme'"
                ),
            ),
            (
                '{"format": 1, "steps": [{"delete_namespace": "root"}]}',
                (
                    "steps[0].delete_namespace must not be the root namespace,"
                    " got 'root'"
                ),
            ),
        ],
    )
    def test_a_malformed_scenario_names_path_rule_and_value(
        self, clientid, tmp_path, content, message
    ):
        scenario = _write(tmp_path, "bad.json", content)

        result = clientid(
            "count", "--what-if", scenario, SAMPLE, e2e=content == "[]"
        )

        assert result.code == 2
        assert (
            f"argument --what-if: {scenario}: not a scenario: " in result.err
        )
        assert message in result.err
        assert result.out == ""
        assert "counted" not in result.err

    def test_a_scenario_that_is_not_text_exits_2(self, clientid, tmp_path):
        scenario = tmp_path / "binary.json"
        scenario.write_bytes(b"\xff\xfe{}")

        result = clientid("count", "--what-if", scenario, SAMPLE, e2e=False)

        assert result.code == 2
        assert "not a scenario: $ must be UTF-8 text" in result.err

    @pytest.mark.parametrize("name", ["no-such.json", "."])
    def test_an_unreadable_scenario_file_exits_2(self, clientid, name):
        result = clientid("count", "--what-if", name, SAMPLE, e2e=False)

        assert result.code == 2
        assert f"argument --what-if: {name}: cannot open (" in result.err

    def test_a_namespace_the_log_does_not_know_exits_2(
        self, clientid, tmp_path
    ):
        scenario = _write(
            tmp_path,
            "unknown.json",
            {
                "format": 1,
                "steps": [{"merge_namespaces": "Lm3Pq", "into": "nope"}],
            },
        )

        result = clientid("count", "--what-if", scenario, SAMPLE)

        assert result.code == 2
        assert (
            f"--what-if {scenario}: merge_namespaces.into must name a"
            " namespace the log knows at this step, got 'nope'"
        ) in result.err
        assert result.out == ""


class TestSketchedMonths:
    """
    Mapping client IDs needs them: a sketched month refuses, clearly.
    """

    @pytest.fixture
    def sketched(self, tmp_path: Path) -> Path:
        """A state whose months went past an exact limit of 5 clients."""
        log, reader_image = sample_log(exact_limit=5)
        assert not log.report(log.months[0], log.months[-1]).is_exact
        state = tmp_path / "sketched.state"
        save_state(state, log, reader_image)
        return state

    def test_an_id_mapping_is_refused_naming_the_month(
        self, clientid, tmp_path, sketched
    ):
        empty = _write(tmp_path, "empty.log", "\n")
        before = sketched.read_bytes()

        result = clientid(
            "count", "--state", sketched, "--what-if", TOKENS, empty
        )

        assert result.code == 2
        assert (
            f"--what-if {TOKENS}: month 2025-01 holds only sketches"
        ) in result.err
        assert "map_clients" in result.err
        assert result.out == ""
        assert "Traceback" not in result.err
        assert sketched.read_bytes() == before

    def test_a_regrouping_applies_to_the_sketches(
        self, clientid, tmp_path, sketched
    ):
        empty = _write(tmp_path, "empty.log", "\n")

        result = clientid(
            "count", "--state", sketched, "--what-if", MERGE, empty, e2e=False
        )

        assert result.code == 0
        assert "~ marks an estimate" in result.out
        assert "team-b/" not in result.out


class TestChartWhatIf:
    """
    chart --what-if draws the world as if the scenario had held.
    """

    def test_the_chart_draws_the_librarys_what_if(self, monkeypatch, tmp_path):
        from tests.cli.running import in_process  # noqa: PLC0415

        from clientid.cli import _chart  # noqa: PLC0415

        drawn: list[object] = []
        monkeypatch.setattr(
            _chart, "draw", lambda report, _out: drawn.append(report)
        )
        log, _ = sample_log()
        expected = log.report(
            log.months[0],
            log.months[-1],
            scenario=Scenario.from_json(MERGE.read_bytes()),
        )
        out = tmp_path / "months.png"

        result = in_process(
            ["chart", "--out", str(out), "--what-if", str(MERGE), str(SAMPLE)],
            None,
            monkeypatch,
        )

        assert result.code == 0, result.err
        assert drawn == [expected]
        assert drawn != [log.report(log.months[0], log.months[-1])]

    def test_the_chart_is_a_png_of_the_what_if(self, clientid, tmp_path):
        pytest.importorskip("matplotlib")
        plain, merged = tmp_path / "plain.png", tmp_path / "merged.png"

        first = clientid("chart", "--out", plain, SAMPLE, e2e=False)
        second = clientid(
            "chart", "--out", merged, "--what-if", TOKENS, SAMPLE, e2e=False
        )

        assert (first.code, second.code) == (0, 0)
        assert merged.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        # The tokens scenario changes the monthly counts, so the drawing.
        assert merged.read_bytes() != plain.read_bytes()
