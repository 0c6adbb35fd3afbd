"""
The ``clientid`` command, end to end.

Every case runs twice: through the real entry point (``python -m clientid``
in a subprocess) and through :func:`clientid.cli.main` in this process, and
both must agree on exit status, standard output and standard error.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tests.cli.running import Result, in_process

from clientid import cli
from clientid.cli import _state

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
EXPORTS = ROOT / "tests" / "acceptance" / "data" / "vault-export"
LINES = SAMPLE.read_bytes().splitlines(keepends=True)
# Where the sample splits into two halves: January and the rest.
HALF = next(
    number
    for number, line in enumerate(LINES)
    if json.loads(line)["time"] >= "2025-02"
)


def _json(result: Result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.fixture(scope="module")
def whole() -> Any:
    """The JSON report of the sample, read in one run."""
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["count", "--format", "json", str(SAMPLE)], stdout=out, stderr=err
    )
    assert code == 0
    return json.loads(out.getvalue()), err.getvalue()


class TestInputs:
    """
    Files plain or compressed, stdin, directories, rotated sets.
    """

    def test_the_sample_is_counted_with_live_namespaces(self, clientid):
        result = clientid("count", SAMPLE)

        assert result.code == 0
        assert "team-a/dev/" in result.out
        assert "deleted" not in result.out
        assert "range    distinct" in result.out
        assert "skipped: 1,324 duplicate" in result.err

    def test_gzip_and_zstd_read_as_plain(self, clientid, tmp_path, whole):
        zstandard = pytest.importorskip("zstandard")
        gz = tmp_path / "audit.log.gz"
        gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
        zst = tmp_path / "audit.log.zst"
        zst.write_bytes(
            zstandard.ZstdCompressor().compress(SAMPLE.read_bytes())
        )

        assert _json(clientid("count", "--format", "json", gz)) == whole[0]
        assert _json(clientid("count", "--format", "json", zst)) == whole[0]

    def test_stdin_reads_as_a_file(self, clientid, whole):
        result = clientid(
            "count", "--format", "json", "-", stdin=SAMPLE.read_bytes()
        )

        assert _json(result) == whole[0]

    def test_a_rotated_set_is_merged_in_time_order(
        self, clientid, tmp_path, whole
    ):
        # Given newest first, as rotation names them; the older half is
        # compressed, as logrotate leaves it.
        (tmp_path / "audit.log").write_bytes(b"".join(LINES[HALF:]))
        (tmp_path / "audit.log.1.gz").write_bytes(
            gzip.compress(b"".join(LINES[:HALF]))
        )

        result = clientid(
            "count",
            "--format",
            "json",
            tmp_path / "audit.log",
            tmp_path / "audit.log.1.gz",
        )

        assert _json(result) == whole[0]
        assert result.err == whole[1]

    def test_a_directory_reads_its_files_and_stdin_merges(
        self, clientid, tmp_path, whole
    ):
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "b.log").write_bytes(b"".join(LINES[:HALF]))
        (logs / ".hidden").write_bytes(b"not a log\n")

        result = clientid(
            "count",
            "--format",
            "json",
            logs,
            "-",
            stdin=b"".join(LINES[HALF:]),
        )

        assert _json(result) == whole[0]

    def test_bom_crlf_and_prefix_are_tolerated(
        self, clientid, tmp_path, whole
    ):
        text = b"".join(
            b"audit: " + line.rstrip(b"\n") + b"\r\n" for line in LINES
        )
        path = tmp_path / "audit.log"
        path.write_bytes(b"\xef\xbb\xbf" + text)

        result = clientid(
            "count", "--format", "json", "--prefix", "audit: ", path
        )

        assert _json(result) == whole[0]

    def test_a_missing_file_is_an_input_error(self, clientid, tmp_path):
        result = clientid("count", tmp_path / "nope.log")

        assert result.code == 1
        assert "nope.log: no such file or directory" in result.err
        assert result.out == ""


class TestMalformedLines:
    """
    Torn and non-JSON lines: lenient by default, fatal with --strict.
    """

    @pytest.fixture
    def torn(self, tmp_path):
        path = tmp_path / "audit.log"
        body = [*LINES[:10], b"{not json\n", b"[1, 2]\n", *LINES[10:]]
        # The live file's last line, torn mid-write (a copy of an entry).
        path.write_bytes(b"".join(body) + LINES[5][:40])
        return path

    def test_lenient_counts_them_naming_file_and_line(
        self, clientid, torn, whole
    ):
        result = clientid("count", "--format", "json", torn)

        assert _json(result) == whole[0]
        assert f"{torn}:11: line is not JSON" in result.err
        assert f"{torn}:12: entry must be an object, got [1, 2]" in result.err
        assert f"{torn}:{len(LINES) + 3}: line is not JSON" in result.err
        assert "malformed: 3 lines skipped" in result.err
        assert "Traceback" not in result.err

    def test_strict_stops_without_report_or_state(
        self, clientid, torn, tmp_path
    ):
        state = tmp_path / "state.bin"

        result = clientid("count", "--strict", "--state", state, torn)

        assert result.code == 1
        assert result.out == ""
        assert f"{torn}:11: line is not JSON" in result.err
        assert "--strict: stopped" in result.err
        assert not state.exists()

    def test_a_bad_field_names_field_and_rule(self, clientid, tmp_path):
        entry = json.loads(LINES[0])
        entry["request"]["id"] = 7
        path = tmp_path / "audit.log"
        path.write_text(json.dumps(entry) + "\n", encoding="utf-8")

        result = clientid("count", "--strict", path)

        assert result.code == 1
        assert f"{path}:1: request.id must be a string, got 7" in result.err

    def test_a_truncated_gzip_keeps_what_was_read(self, clientid, tmp_path):
        path = tmp_path / "audit.log.gz"
        path.write_bytes(gzip.compress(SAMPLE.read_bytes())[:-200])

        result = clientid("count", "--format", "json", path)

        assert result.code == 0
        assert "compressed stream is truncated or corrupt" in result.err
        assert json.loads(result.out)["months"]


class TestOptions:
    """
    --from/--to, --namespace and every --format.
    """

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2025-02", "2025-02"),
            ("2025-02-01", "2025-02-28"),
            ("2025-02-01T00:00:00Z", "2025-02-28T23:59:59.999999999Z"),
            ("1738368000", "1740787199"),
        ],
    )
    def test_the_four_time_forms_pick_the_same_window(
        self, clientid, start, end, whole
    ):
        result = clientid(
            "count",
            "--format",
            "json",
            "--from",
            start,
            "--to",
            end,
            SAMPLE,
            e2e=start.isdigit(),
        )

        report = _json(result)
        assert [m["timestamp"][:7] for m in report["months"]] == ["2025-02"]
        february = next(
            m for m in whole[0]["months"] if m["timestamp"] >= "2025-02"
        )
        assert report["months"][0]["counts"] == february["counts"]
        assert "outside --from/--to" in result.err

    def test_a_namespace_by_path_scopes_the_report(self, clientid):
        report = _json(
            clientid(
                "count",
                "--format",
                "json",
                "--namespace",
                "team-a",
                SAMPLE,
                e2e=False,
            )
        )

        assert {ns["namespace_path"] for ns in report["by_namespace"]} == {
            "team-a/",
            "team-a/dev/",
        }

    def test_every_format_says_the_same_distinct_count(self, clientid, whole):
        distinct = whole[0]["distinct"]["clients"]["value"]

        table = clientid("count", SAMPLE).out
        vault = _json(clientid("count", "--format", "vault", SAMPLE))
        rows = list(
            csv.DictReader(
                io.StringIO(clientid("count", "--format", "csv", SAMPLE).out)
            )
        )

        assert re.search(
            rf"^range +distinct +.* {distinct}$", table, re.MULTILINE
        )
        assert {"by_namespace", "months", "total"} <= set(vault)
        assert (
            vault["total"]["clients"] == whole[0]["total"]["clients"]["value"]
        )
        january = [row for row in rows if row["month"] == "2025-01"]
        assert sum(int(row["clients"]) for row in january) == sum(
            ns["counts"]["clients"]["value"]
            for ns in whole[0]["months"][0]["namespaces"]
        )
        assert {row["is_exact"] for row in rows} == {"true"}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ([], "the following arguments are required"),
            (["--from", "March", SAMPLE], "must be a month (2025-03)"),
            (["--from", "2025-03", "--to", "2025-02", SAMPLE], "later than"),
            (["--namespace", "team-z", SAMPLE], "seen: [root], team-b/"),
            (["--format", "xml", SAMPLE], "invalid choice"),
        ],
    )
    def test_usage_errors_exit_2(self, clientid, args, message):
        result = clientid("count", *args)

        assert result.code == 2
        assert message in result.err
        assert result.out == ""

    def test_no_activity_says_so(self, clientid, tmp_path):
        path = tmp_path / "empty.log"
        path.write_bytes(b"\n\n")

        result = clientid("count", path)

        assert (result.code, result.out) == (0, "")
        assert "no client activity" in result.err


class TestState:
    """
    --state: two runs over two halves give the one-run report.
    """

    def test_two_runs_equal_one(self, clientid, tmp_path, whole):
        first, second = tmp_path / "jan.log", tmp_path / "rest.log"
        first.write_bytes(b"".join(LINES[:HALF]))
        second.write_bytes(b"".join(LINES[HALF:]))
        state = tmp_path / "clients.state"

        clientid("count", "--state", state, "--format", "json", first)
        assert state.exists()
        result = clientid(
            "count", "--state", state, "--format", "json", second
        )

        assert _json(result) == whole[0]
        # The reader's counters carried over too.
        assert result.err == whole[1]
        assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]

    def test_exports_add_to_an_audit_state_and_keep_its_reader(
        self, clientid, tmp_path, whole
    ):
        state = tmp_path / "clients.state"
        clientid("count", "--state", state, SAMPLE, e2e=False)
        reader_before = _state.load_state(state)

        result = clientid(
            "export",
            "--state",
            state,
            "--format",
            "json",
            EXPORTS / "aug.json",
        )

        report = _json(result)
        reader_after = _state.load_state(state)
        assert reader_before is not None
        assert reader_after is not None
        assert reader_after.reader_image == reader_before.reader_image
        assert (
            report["distinct"]["clients"]["value"]
            > (whole[0]["distinct"]["clients"]["value"])
        )
        assert report["start_time"] < whole[0]["start_time"]

    def test_a_missing_export_file_is_an_input_error(self, clientid, tmp_path):
        state = tmp_path / "clients.state"

        result = clientid("export", "--state", state, tmp_path / "e")

        assert result.code == 1
        assert "no such file" in result.err
        assert not state.exists()

    @pytest.mark.parametrize(
        ("damage", "message"),
        [
            (lambda data: b"PK\x03\x04" + data[4:], "not a clientid state"),
            (lambda data: data[:4] + b"\x07" + data[5:], "format version"),
            (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "corrupt"),
            (lambda data: data[:10], "not a clientid state"),
        ],
    )
    def test_a_corrupt_or_foreign_state_is_refused_untouched(
        self, clientid, tmp_path, damage, message
    ):
        state = tmp_path / "clients.state"
        clientid("count", "--state", state, SAMPLE, e2e=False)
        broken = damage(state.read_bytes())
        state.write_bytes(broken)

        result = clientid(
            "count", "--state", state, SAMPLE, e2e=message == "corrupt"
        )

        assert result.code == 1
        assert message in result.err
        assert "left untouched" in result.err
        assert state.read_bytes() == broken

    def test_a_checksummed_state_with_a_bad_log_is_refused(
        self, clientid, tmp_path
    ):
        import struct  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        body = b"CIDA junk"
        header = struct.pack("<4sBIQ", b"CIDS", 1, zlib.crc32(body), 9)
        state = tmp_path / "clients.state"
        state.write_bytes(header + body)

        result = clientid("count", "--state", state, SAMPLE, e2e=False)

        assert result.code == 1
        assert "activity log header must be" in result.err


class TestExport:
    """
    export FILE...: Vault activity exports, JSON lines or CSV.
    """

    def test_json_and_csv_exports_count_alike(self, clientid):
        reports = [
            _json(clientid("export", "--format", "json", EXPORTS / name))
            for name in ("aug_oct.json", "aug_oct.csv")
        ]

        assert reports[0]["distinct"] == reports[1]["distinct"]
        assert reports[0]["distinct"]["clients"]["value"] > 0

    def test_torn_export_lines_are_counted_as_malformed(
        self, clientid, tmp_path
    ):
        json_file = tmp_path / "export.json"
        json_file.write_bytes((EXPORTS / "aug.json").read_bytes() + b'{"cl')
        csv_file = tmp_path / "export.csv"
        csv_file.write_bytes(
            (EXPORTS / "aug.csv").read_bytes()
            + b"torn,row\n"
            + b"x,,1,true,a\n"
        )
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")

        result = clientid("export", json_file, csv_file, empty)

        assert result.code == 0
        assert f"{json_file}:" in result.err
        assert "line is not JSON" in result.err
        assert "wrong number of fields" in result.err
        assert "namespace_id must be a non-empty string" in result.err
        assert "malformed: 3 lines skipped" in result.err


class TestChart:
    """
    chart --out months.png.
    """

    def test_the_chart_is_a_png_of_sane_size(self, clientid, tmp_path):
        pytest.importorskip("matplotlib")
        out = tmp_path / "months.png"

        result = clientid("chart", "--out", out, SAMPLE)

        assert result.code == 0
        data = out.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert 5_000 < len(data) < 500_000

    def test_a_chart_draws_a_saved_state(self, clientid, tmp_path):
        pytest.importorskip("matplotlib")
        state = tmp_path / "clients.state"
        clientid("count", "--state", state, SAMPLE, e2e=False)
        out = tmp_path / "months.png"

        result = clientid("chart", "--state", state, "--out", out)

        assert result.code == 0
        assert out.stat().st_size > 5_000

    def test_chart_needs_some_input(self, clientid, tmp_path):
        result = clientid("chart", "--out", tmp_path / "x.png")

        assert result.code == 2
        assert "needs audit logs or a --state" in result.err

    def test_an_unwritable_chart_is_an_input_error(self, clientid, tmp_path):
        pytest.importorskip("matplotlib")
        result = clientid(
            "chart", "--out", tmp_path / "no" / "x.png", SAMPLE, e2e=False
        )

        assert result.code == 1
        assert "cannot write the chart" in result.err

    def test_without_matplotlib_the_message_names_the_extra(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "matplotlib", None)

        result = in_process(
            ["chart", "--out", "x.png", str(SAMPLE)], None, monkeypatch
        )

        assert result.code == 1
        assert "pip install 'clientid[plot]'" in result.err


def test_the_console_script_names_main():
    """
    pyproject's ``clientid`` script is ``clientid.cli:main``, which runs.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    target = project["project"]["scripts"]["clientid"]
    module, _, name = target.partition(":")
    entry = getattr(__import__(module, fromlist=[name]), name)
    out = io.StringIO()

    code = entry(["count", str(SAMPLE)], stdout=out, stderr=io.StringIO())

    assert (target, code) == ("clientid.cli:main", 0)
    assert "distinct" in out.getvalue()
