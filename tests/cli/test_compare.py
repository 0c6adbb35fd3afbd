"""
``clientid compare``: Vault's activity response beside clientid's count.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.cli.running import ROOT, Result

if TYPE_CHECKING:
    from pathlib import Path

from clientid import CountDifference, cli
from clientid.activity.report import exact_count
from clientid.cli._compare import parse_tolerance

SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
VAULT = ROOT / "examples" / "data" / "sample-vault-activity.json"
MERGE = ROOT / "examples" / "scenarios" / "merge-team-b.json"
GENERATOR = ROOT / "examples" / "make_sample_vault_response.py"


def _json(result: Result) -> Any:
    return json.loads(result.out)


def _own_response(tmp_path: Path, *args: str) -> Path:
    """clientid's count of the sample as Vault's response, in a file."""
    out = io.StringIO()
    code = cli.main(
        ["count", "--format", "vault", *args, str(SAMPLE)],
        stdout=out,
        stderr=io.StringIO(),
    )
    assert code == 0
    path = tmp_path / "own.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


class TestTheExample:
    """
    The bundled stand-in response: one February entity more in team-a/.
    """

    def test_it_differs_in_februarys_team_a_only(self, clientid):
        result = clientid("compare", VAULT, SAMPLE)

        assert result.code == 1
        minus_one = ["7", "6", "-1", "-14.3%"]
        rows = [
            line.split()
            for line in result.out.splitlines()
            if line.startswith("2025-")
        ]
        assert rows == [
            ["2025-02", "*", "*", "clients", "30", "29", "-1", "-3.3%"],
            ["2025-02", "*", "*", "entity", "26", "25", "-1", "-3.8%"],
            ["2025-02", "team-a/", "*", "clients", "9", "8", "-1", "-11.1%"],
            ["2025-02", "team-a/", "*", "entity", "7", "6", "-1", "-14.3%"],
            ["2025-02", "team-a/", "auth/userpass/", "clients", *minus_one],
            ["2025-02", "team-a/", "auth/userpass/", "entity", *minus_one],
        ]
        assert "clientid differs from Vault in 6 of 365 counts" in result.err
        assert "counted 564 client events" in result.err

    def test_the_committed_file_is_what_its_script_makes(self):
        spec = importlib.util.spec_from_file_location("generator", GENERATOR)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)

        assert module.build() == VAULT.read_text(encoding="utf-8")

    def test_clientids_own_response_agrees(self, clientid, tmp_path):
        own = _own_response(tmp_path)

        result = clientid("compare", own, SAMPLE)

        assert result.code == 0
        assert "(no differences)" in result.out
        assert "clientid agrees with Vault on all 365 counts" in result.err

    def test_the_bare_data_and_the_envelope_read_alike(
        self, clientid, tmp_path
    ):
        bare = tmp_path / "bare.json"
        bare.write_text(
            json.dumps(json.loads(VAULT.read_bytes())["data"]),
            encoding="utf-8",
        )

        one = clientid("compare", VAULT, SAMPLE, e2e=False)
        other = clientid("compare", bare, SAMPLE, e2e=False)

        assert one == other
        assert one.code == 1

    def test_standard_input_is_read_as_the_response(self, clientid):
        from_file = clientid("compare", VAULT, SAMPLE, e2e=False)

        result = clientid("compare", "-", SAMPLE, stdin=VAULT.read_bytes())

        assert result == from_file

    def test_logs_without_clients_differ_wherever_vault_counted(
        self, clientid, tmp_path
    ):
        empty = tmp_path / "empty.log"
        empty.write_bytes(b"\n")

        result = clientid(
            "compare", "--format", "json", VAULT, empty, e2e=False
        )

        assert result.code == 1
        rows = _json(result)["rows"]
        assert rows
        assert all(row["clientid"] == 0 < row["vault"] for row in rows)
        assert all(row["relative"] == -1.0 for row in rows)

    def test_a_state_file_stands_in_for_the_logs(self, clientid, tmp_path):
        state = tmp_path / "clients.state"
        assert clientid("count", "--state", state, SAMPLE, e2e=False).code == 0
        with_logs = clientid("compare", VAULT, SAMPLE, e2e=False)

        result = clientid("compare", VAULT, "--state", state)

        assert result.code == 1
        assert result.out == with_logs.out

    def test_a_namespaces_response_compares_in_that_namespace(
        self, clientid, tmp_path
    ):
        own = _own_response(tmp_path, "--namespace", "team-a")

        scoped = clientid("compare", "--namespace", "team-a", own, SAMPLE)
        unscoped = clientid("compare", own, SAMPLE, e2e=False)

        assert scoped.code == 0
        assert "namespace Xq2bK and below" in scoped.out
        assert unscoped.code == 1
        assert "[root]" in unscoped.out

    def test_what_if_compares_the_scenario_with_vault(self, clientid):
        result = clientid("compare", "--what-if", MERGE, VAULT, SAMPLE)

        assert result.code == 1
        assert f"clientid's as if {MERGE} had held" in result.out
        assert "had held" not in clientid("compare", VAULT, SAMPLE).out
        document = _json(
            clientid(
                "compare",
                "--format",
                "json",
                "--what-if",
                MERGE,
                VAULT,
                SAMPLE,
                e2e=False,
            )
        )
        whole = {
            row["namespace_path"]: (row["vault"], row["clientid"])
            for row in document["rows"]
            if row["month"] is None
            and row["mount_path"] is None
            and row["type"] == "clients"
            and row["namespace_id"] is not None
        }
        assert whole == {"team-b/": (10, 0), "team-a/": (10, 23), "": (14, 11)}


class TestFormats:
    """
    Table, JSON and CSV list the same rows; --all lists every count.
    """

    def test_json_and_csv_hold_the_table_rows(self, clientid):
        document = _json(
            clientid("compare", "--format", "json", VAULT, SAMPLE)
        )
        rows = list(
            csv.DictReader(
                io.StringIO(
                    clientid("compare", "--format", "csv", VAULT, SAMPLE).out
                )
            )
        )

        assert document["counts"] == 365
        assert document["differing"] == len(document["rows"]) == 6
        assert document["agrees"] is False
        assert document["start_time"] == "2025-01-01T00:00:00Z"
        assert document["end_time"] == "2025-03-31T23:59:59Z"
        first = document["rows"][0]
        assert first == {
            "month": "2025-02",
            "new_clients": False,
            "namespace_id": None,
            "namespace_path": "",
            "mount_path": None,
            "type": "clients",
            "vault": 30,
            "clientid": 29,
            "difference": -1,
            "relative": pytest.approx(-1 / 30),
            "is_estimate": False,
            "beyond_tolerance": True,
        }
        assert len(rows) == 6
        assert rows[0]["month"] == "2025-02"
        assert rows[0]["namespace_id"] == ""
        assert rows[0]["beyond_tolerance"] == "true"
        assert [
            (row["namespace_path"], row["mount_path"], row["type"])
            for row in rows
        ] == [
            (row["namespace_path"], row["mount_path"] or "", row["type"])
            for row in document["rows"]
        ]

    def test_all_lists_every_count(self, clientid):
        document = _json(
            clientid(
                "compare",
                "--all",
                "--format",
                "json",
                VAULT,
                SAMPLE,
                e2e=False,
            )
        )
        table = clientid("compare", "--all", VAULT, SAMPLE, e2e=False)

        assert len(document["rows"]) == document["counts"] == 365
        assert sum(row["beyond_tolerance"] for row in document["rows"]) == 6
        assert sum(line.startswith("all ") for line in table.out.splitlines())
        assert len(table.out.splitlines()) == 365 + 5


class TestTolerance:
    """
    --tolerance N clients or P% of Vault's count decides the exit status.
    """

    @pytest.mark.parametrize(
        ("tolerance", "code", "beyond"),
        [
            ("0", 1, 6),
            ("1", 0, 0),
            ("10%", 1, 4),
            ("14.3%", 0, 0),
            ("3%", 1, 6),
        ],
    )
    def test_it_lets_small_differences_agree(
        self, clientid, tolerance, code, beyond
    ):
        result = clientid(
            "compare",
            "--tolerance",
            tolerance,
            "--format",
            "json",
            VAULT,
            SAMPLE,
            e2e=False,
        )

        assert result.code == code
        assert (
            _json(result)["differing"] == beyond == len(_json(result)["rows"])
        )

    def test_within_it_the_table_says_so(self, clientid):
        result = clientid("compare", "--tolerance", "1", VAULT, SAMPLE)

        assert result.code == 0
        assert "(no differences beyond the tolerance of 1)" in result.out
        assert (
            "agrees with Vault on all 365 counts within the tolerance of 1"
            " (6 differ)"
        ) in result.err

    def test_beyond_it_the_message_names_it(self, clientid):
        result = clientid(
            "compare", "--tolerance", "10%", VAULT, SAMPLE, e2e=False
        )

        assert "in 4 of 365 counts beyond the tolerance of 10%" in result.err

    def test_a_count_vault_has_not_is_beyond_any_ratio(self):
        tolerance = parse_tolerance("100%")
        row = _only_clientid_row()

        assert not tolerance.allows(row)
        assert parse_tolerance("5").allows(row)
        assert not parse_tolerance("4").allows(row)


def _only_clientid_row() -> CountDifference:
    """A count Vault has as 0 and clientid as 5."""
    return CountDifference(
        month=None,
        new_clients=False,
        namespace_id=None,
        namespace_path="",
        mount_path=None,
        client_type=None,
        this=exact_count(0),
        other=exact_count(5),
        difference=5,
        relative=None,
        is_estimate=False,
    )


class TestTrouble:
    """
    Usage and input errors exit 2 (diff's trouble), never 1 (differ).
    """

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"{not json", "bad.json: not JSON"),
            (b"", "bad.json: not JSON"),
            (b"[]", "not Vault's activity response: $ must be a JSON object"),
            (
                b'{"data": {"start_time": "yesterday"}}',
                (
                    "data.start_time must be an RFC 3339 time with an"
                    " offset, got 'yesterday'"
                ),
            ),
            (
                (
                    b'{"start_time": "2025-01-01T00:00:00Z",'
                    b' "end_time": "2025-01-31T23:59:59Z",'
                    b' "total": {"clients": 0, "entity_clients": -1,'
                    b' "non_entity_clients": 0}}'
                ),
                "total.entity_clients must be a non-negative integer, got -1",
            ),
            (
                (
                    b'{"start_time": "2025-01-01T00:00:00Z",'
                    b' "end_time": "2025-01-31T23:59:59Z",'
                    b' "total": {"clients": 1, "entity_clients": 1,'
                    b' "non_entity_clients": 0},'
                    b' "months": [{"timestamp": "2025-05-01T00:00:00Z",'
                    b' "counts": null}]}'
                ),
                (
                    "months[0].timestamp must lie in the months from"
                    " start_time to end_time"
                ),
            ),
        ],
    )
    def test_a_response_that_is_not_one_is_refused(
        self, clientid, tmp_path, content, message
    ):
        bad = tmp_path / "bad.json"
        bad.write_bytes(content)

        result = clientid("compare", bad, SAMPLE, e2e=content == b"[]")

        assert result.code == 2
        assert message in result.err
        assert result.out == ""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2025-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
            ("0001-01-01T00:00:00+01:00", "2025-01-31T23:59:59Z"),
        ],
    )
    def test_times_off_the_calendar_are_refused(
        self, clientid, tmp_path, start, end
    ):
        bad = tmp_path / "bad.json"
        bad.write_text(
            json.dumps(
                {
                    "start_time": start,
                    "end_time": end,
                    "total": {
                        "clients": 0,
                        "entity_clients": 0,
                        "non_entity_clients": 0,
                    },
                }
            ),
            encoding="utf-8",
        )

        result = clientid("compare", bad, SAMPLE, e2e=False)

        assert result.code == 2
        assert "bad.json: not Vault's activity response: " in result.err
        assert "_time must be" in result.err
        assert "Traceback" not in result.err

    def test_a_bom_is_tolerated(self, clientid, tmp_path):
        bommed = tmp_path / "bom.json"
        bommed.write_bytes(b"\xef\xbb\xbf" + VAULT.read_bytes())

        assert clientid("compare", bommed, SAMPLE, e2e=False).code == 1

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["no-such.json", str(SAMPLE)], "no-such.json: cannot open"),
            ([str(VAULT), "no-such.log"], "no-such.log: no such file"),
            ([str(VAULT)], "compare needs audit logs or a --state file"),
            (["-", "-"], "can be VAULT_JSON or a LOG, not both"),
            (["--tolerance", "-1", str(VAULT), str(SAMPLE)], "--tolerance"),
            (["--tolerance", "5%%", str(VAULT), str(SAMPLE)], "got '5%%'"),
            (["--format", "vault", str(VAULT), str(SAMPLE)], "invalid choice"),
            (["--from", "2025-01", str(VAULT), str(SAMPLE)], "unrecognized"),
            (
                ["--what-if", "no-such.json", str(VAULT), str(SAMPLE)],
                "argument --what-if: no-such.json: cannot open",
            ),
            (
                ["--namespace", "team-z", str(VAULT), str(SAMPLE)],
                "--namespace 'team-z' names no namespace",
            ),
        ],
    )
    def test_usage_and_missing_input_exit_2(self, clientid, args, message):
        result = clientid("compare", *args, e2e=args[0] == "no-such.json")

        assert result.code == 2
        assert message in result.err
        assert result.out == ""

    def test_strict_and_a_malformed_line_exit_2(self, clientid, tmp_path):
        torn = tmp_path / "torn.log"
        torn.write_bytes(SAMPLE.read_bytes() + b'{"time": "2025-03-3')

        lenient = clientid("compare", VAULT, torn, e2e=False)
        strict = clientid("compare", "--strict", VAULT, torn, e2e=False)

        assert lenient.code == 1
        assert "malformed: 1 lines skipped" in lenient.err
        assert strict.code == 2
        assert strict.out == ""

    def test_a_refused_state_exits_2(self, clientid, tmp_path):
        state = tmp_path / "clients.state"
        state.write_bytes(b"not a state")

        result = clientid("compare", VAULT, "--state", state, e2e=False)

        assert result.code == 2
        assert "not a clientid state file" in result.err

    def test_a_closed_output_pipe_exits_2(self):
        class ClosedPipe(io.StringIO):
            def write(self, _text: str) -> int:
                raise BrokenPipeError(32, "Broken pipe")

        err = io.StringIO()

        code = cli.main(
            ["compare", str(VAULT), str(SAMPLE)],
            stdout=ClosedPipe(),
            stderr=err,
        )

        assert code == 2
        assert "Traceback" not in err.getvalue()
