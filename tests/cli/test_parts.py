"""
The command's parts, in process: progress, times, merge, state, estimates.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from clientid import (
    ActivityLog,
    ActivityReport,
    ClientType,
    HyperLogLog,
    NamespaceId,
    cli,
)
from clientid.cli import _chart, _render, _sources, _state
from clientid.cli._progress import Progress
from clientid.cli._sources import Stats, time_key
from clientid.cli._times import parse_period

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
UTC = dt.UTC


def _main(*args: object, stdin: bytes | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main([str(arg) for arg in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgress:
    """
    The progress line draws only on a terminal, and only every so often.
    """

    def test_it_draws_lines_bytes_and_rate_then_clears(self):
        stream, stats, now = _Terminal(), Stats(), [0.0]
        progress = Progress(stream, stats, clock=lambda: now[0])
        stats.lines, stats.bytes = 5000, 2_500_000

        progress.tick()  # too soon: nothing
        now[0] = 2.0
        progress.tick()
        drawn = stream.getvalue()
        progress.finish()

        assert drawn.startswith("\r5,000 lines, 2.5 MB read, 2,500 lines/s")
        assert stream.getvalue().endswith("\r" + " " * 60 + "\r")

    @pytest.mark.parametrize("terminal", [True, False])
    def test_quiet_or_no_terminal_draws_nothing(self, terminal):
        stream = _Terminal() if terminal else io.StringIO()
        progress = Progress(
            stream, Stats(), enabled=not terminal, clock=lambda: 10.0
        )

        progress.tick()
        progress.finish()

        assert stream.getvalue() == ""

    def test_finish_without_drawing_writes_nothing(self):
        stream = _Terminal()

        Progress(stream, Stats()).finish()

        assert stream.getvalue() == ""


class TestTimes:
    """
    --from/--to spans.
    """

    @pytest.mark.parametrize(
        ("text", "start", "end"),
        [
            (
                "2025-12",
                dt.datetime(2025, 12, 1, tzinfo=UTC),
                dt.datetime(2026, 1, 1, tzinfo=UTC),
            ),
            (
                "2025-02-28",
                dt.datetime(2025, 2, 28, tzinfo=UTC),
                dt.datetime(2025, 3, 1, tzinfo=UTC),
            ),
            (
                "2025-03-01T02:00:00.5+02:00",
                dt.datetime(2025, 3, 1, 0, 0, 0, 500000, tzinfo=UTC),
                dt.datetime(2025, 3, 1, 0, 0, 0, 500001, tzinfo=UTC),
            ),
            (
                "0",
                dt.datetime(1970, 1, 1, tzinfo=UTC),
                dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            ),
        ],
    )
    def test_each_form_names_its_span(self, text, start, end):
        assert parse_period(text) == (start, end)

    @pytest.mark.parametrize(
        "text", ["2025-13", "2025-02-30", "999999999999", "yesterday"]
    )
    def test_impossible_values_are_refused(self, text):
        with pytest.raises(Exception, match="must be a month") as info:
            parse_period(text)

        assert type(info.value).__name__ == "ArgumentTypeError"


class TestTimeKey:
    """
    The merge's sort key.
    """

    @pytest.mark.parametrize(
        "value",
        [
            [1],
            {"time": 5},
            {"time": "soon"},
            {"time": "2025-02-30T00:00:00Z"},
        ],
    )
    def test_entries_without_a_readable_time_have_none(self, value):
        assert time_key(value) is None

    def test_fractions_and_offsets_order_correctly(self):
        earlier = time_key({"time": "2025-03-01T10:00:00.5Z"})
        later = time_key({"time": "2025-03-01T11:00:00+01:00"})
        latest = time_key({"time": "2025-03-01T10:00:00.500000001Z"})

        assert earlier is not None
        assert later is not None
        assert latest is not None
        assert later < earlier < latest


class TestMerge:
    """
    Sources whose lines carry no time still merge, stdin included.
    """

    def test_untimed_sources_keep_their_lines(self, tmp_path, monkeypatch):
        path = tmp_path / "junk.log"
        path.write_bytes(b"1\n2\n")
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"3\n")))
        sources = _sources.expand([str(path), "-"])

        items = list(_sources.merged(sources, Stats()))

        assert [item.value for item in items] == [1, 2, 3]

    def test_an_unopenable_file_is_an_input_error(self, tmp_path, monkeypatch):
        path = tmp_path / "audit.log"
        path.write_bytes(b"{}\n")

        def refuse(*_args, **_kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(Path, "open", refuse)

        code, _out, err = _main("count", path)

        assert code == 1
        assert f"{path}: cannot open (Permission denied)" in err

    def test_zstd_without_zstandard_names_the_extra(
        self, tmp_path, monkeypatch
    ):
        path = tmp_path / "audit.log.zst"
        path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(10))
        monkeypatch.setitem(sys.modules, "zstandard", None)

        code, _out, err = _main("count", path)

        assert code == 1
        assert "pip install 'clientid[zstd]'" in err

    def test_a_corrupt_zstd_stream_is_one_malformed_line(self, tmp_path):
        zstandard = pytest.importorskip("zstandard")
        data = zstandard.ZstdCompressor().compress(SAMPLE.read_bytes())
        path = tmp_path / "audit.log.zst"
        path.write_bytes(data[:40] + bytes(60) + data[100:])

        code, _out, err = _main("count", path)

        assert code == 0
        assert "compressed stream is truncated or corrupt" in err


class TestRun:
    """
    Summaries, progress ticks and interruptions.
    """

    def test_many_malformed_lines_show_the_first_ten(self, tmp_path):
        path = tmp_path / "audit.log"
        path.write_bytes(b"x\n" * 12 + SAMPLE.read_bytes())

        code, _out, err = _main("count", path)

        assert code == 0
        assert f"{path}:10:" in err
        assert f"{path}:11:" not in err
        assert "malformed: 12 lines skipped" in err

    def test_long_inputs_tick_the_progress(self, tmp_path, monkeypatch):
        path = tmp_path / "audit.log"
        path.write_bytes(SAMPLE.read_bytes() * 2)
        ticks: list[int] = []
        monkeypatch.setattr(Progress, "tick", lambda _self: ticks.append(1))

        code, _out, _err = _main("count", "-q", path)

        assert code == 0
        assert ticks == [1]

    def test_an_interrupt_leaves_the_state_unwritten(
        self, tmp_path, monkeypatch
    ):
        def interrupted(*_args):
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "_run_count", interrupted)
        state = tmp_path / "state"

        code, _out, err = _main("count", "--state", state, SAMPLE)

        assert code == 130
        assert "interrupted" in err
        assert not state.exists()

    def test_an_empty_chart_is_refused(self, tmp_path):
        path = tmp_path / "empty.log"
        path.write_bytes(b"")

        code, _out, err = _main("chart", "--out", tmp_path / "x.png", path)

        assert code == 1
        assert "no client activity to draw" in err

    def test_compressed_exports_torn_mid_stream(self, tmp_path):
        exports = ROOT / "tests" / "acceptance" / "data" / "vault-export"
        json_file = tmp_path / "e.json.gz"
        json_file.write_bytes(
            gzip.compress((exports / "aug.json").read_bytes())[:-30]
        )
        csv_file = tmp_path / "e.csv.gz"
        csv_file.write_bytes(
            gzip.compress((exports / "aug.csv").read_bytes())[:-30]
        )

        code, out, err = _main(
            "export", "--format", "json", json_file, csv_file
        )

        assert code == 0
        assert err.count("compressed stream is truncated or corrupt") == 2
        assert json.loads(out)["distinct"]["clients"]["value"] > 0

    def test_an_export_state_holds_no_reader(self, tmp_path):
        exports = ROOT / "tests" / "acceptance" / "data" / "vault-export"
        state = tmp_path / "state"
        _main("export", "--state", state, exports / "aug.json")

        loaded = _state.load_state(state)

        assert loaded is not None
        assert loaded.reader_image is None
        assert loaded.log.months


class TestStateFile:
    """
    Unreadable state and failed saves.
    """

    def test_an_unreadable_state_is_refused(self, tmp_path):
        code, _out, err = _main("count", "--state", tmp_path, SAMPLE)

        assert code == 1
        assert "cannot read the state file" in err

    def test_a_failed_save_leaves_no_temporary_file(self, tmp_path):
        target = tmp_path / "state"
        target.mkdir()
        (target / "keep").write_bytes(b"")

        with pytest.raises(OSError, match="state"):
            _state.save_state(target, ActivityLog(), None)

        assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]


def _estimated_report() -> ActivityReport:
    log = ActivityLog(exact_limit=2)
    sketch = HyperLogLog(12)
    sketch.update(f"client-{n}" for n in range(300))
    for month in (1, 2):
        log.record_sketch(
            dt.date(2025, month, 1),
            namespace_id=NamespaceId("root"),
            mount_accessor=None,
            client_type=ClientType.ENTITY,
            sketch=sketch,
        )
    return log.report("2025-01", "2025-02")


def test_estimates_are_marked_in_the_table():
    """
    An estimated count reads ``~N`` and the table says what ``~`` means.
    """
    table = _render.render(_estimated_report(), "table")

    assert "~" in table
    assert "~ marks an estimate" in table


def test_estimated_months_are_labelled_in_the_chart(tmp_path):
    """
    A chart of sketched months is still a PNG.
    """
    pytest.importorskip("matplotlib")
    out = tmp_path / "months.png"

    _chart.draw(_estimated_report(), out)

    assert out.read_bytes().startswith(b"\x89PNG")


def test_python_dash_m_runs_main(monkeypatch, capsys):
    """
    ``python -m clientid`` is the command (run here through runpy).
    """
    import runpy  # noqa: PLC0415

    monkeypatch.setattr(sys, "argv", ["clientid", "count", str(SAMPLE)])

    with pytest.raises(SystemExit) as info:
        runpy.run_module("clientid", run_name="__main__", alter_sys=False)

    assert info.value.code == 0
    assert "distinct" in capsys.readouterr().out


class _ClosedPipe(io.StringIO):
    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_output_pipe_is_exit_status_1_without_traceback():
    """
    ``clientid count ... | head`` whose reader left early ends quietly.
    """
    err = io.StringIO()

    code = cli.main(["count", str(SAMPLE)], stdout=_ClosedPipe(), stderr=err)

    assert code == 1
    assert "Traceback" not in err.getvalue()


def test_a_closed_standard_output_ends_quietly(tmp_path):
    """
    The real entry point, its standard output closed before it writes.
    """
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "clientid", "count", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    process.stdout.close()

    _out, err = process.communicate(timeout=120)

    assert process.returncode == 1
    assert b"Traceback" not in err


def test_a_closed_stdout_is_pointed_at_the_null_device(tmp_path, monkeypatch):
    """
    When standard output itself broke, it is redirected so that Python's
    flush at exit finds nowhere to fail.
    """
    target = (tmp_path / "stdout").open("w", encoding="utf-8")

    class _Broken(io.TextIOWrapper):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    broken = _Broken(target.buffer, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", broken)

    code = cli.main(["count", str(SAMPLE)], stderr=io.StringIO())

    monkeypatch.undo()
    assert code == 1
    # The file descriptor now writes to the null device, not the file.
    import os  # noqa: PLC0415

    os.write(target.fileno(), b"lost")
    assert (tmp_path / "stdout").read_bytes() == b""
    broken.detach()
    target.close()
