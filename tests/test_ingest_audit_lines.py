"""
Tests for the audit reader's line-level API: ``read_lines``, ``feed_line``.

Lines are parsed with orjson when installed, else with the standard
library; every test here runs both parsers and asserts the same outcome.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.test_ingest_audit import login, use

from clientid import AuditLogReader, SkipReason
from clientid.errors import MalformedRecordError
from clientid.ingest import common
from clientid.ingest.common import NOT_A_JSON_OBJECT, std_json_loads

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "examples"
    / "data"
    / "sample-audit-log.jsonl"
)


@pytest.fixture
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Make the reader parse lines with the parser named by the param."""
    monkeypatch.setattr("clientid.ingest.audit.json_loads", request.param)


def BOTH(test):  # noqa: N802 (a decorator, read as a mark)
    """Run *test* once with each parser."""
    return pytest.mark.parametrize(
        "loader",
        [orjson.loads, std_json_loads],
        ids=["orjson", "stdlib"],
        indirect=True,
    )(pytest.mark.usefixtures("loader")(test))


def _summary(reader: AuditLogReader, events: list[Any]) -> tuple[Any, ...]:
    return (
        events,
        reader.skipped,
        [(r.index, r.reason) for r in reader.rejected],
        reader.namespaces,
        reader.mounts,
        reader.counted,
    )


def _lines_outcome(lines: list[Any], *, lenient: bool) -> tuple[Any, ...]:
    reader = AuditLogReader(lenient=lenient)
    try:
        events = list(reader.read_lines(lines))
    except MalformedRecordError as exc:
        return ("error", exc.field, exc.reason, exc.index)
    return _summary(reader, events)


def test_orjson_is_the_default_parser_when_installed():
    """The default parser is orjson here (it is in the test env)."""
    assert common.json_loads is orjson.loads


@BOTH
def test_sample_log_lines_read_as_the_parsed_entries():
    """Lines give exactly what feeding the json.loads'd entries gives."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    by_entry = AuditLogReader()
    expected = _summary(
        by_entry, list(by_entry.read(json.loads(line) for line in lines))
    )

    by_line = AuditLogReader()
    got = _summary(by_line, list(by_line.read_lines(lines)))

    assert got == expected
    assert got[-1] > 10


@BOTH
def test_str_lines_read_as_bytes_lines():
    """A text file's lines (str) read as its binary lines."""
    text = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    raw = SAMPLE.read_bytes().splitlines(keepends=True)

    assert _lines_outcome(text, lenient=False) == _lines_outcome(
        raw, lenient=False
    )


_GOOD = json.dumps(use())
_BIG = "1" + "0" * 30

# (id, the line inserted, whether it is an entry that parses).
HOSTILE: list[tuple[str, Any, bool]] = [
    ("nan", b'{"type": NaN}', False),
    ("float", _GOOD[:-1] + ', "x": [1.5e3, -0.25]}', True),
    ("infinity", _GOOD[:-1] + ', "x": Infinity}', False),
    ("float-overflow", _GOOD[:-1] + ', "x": 1e400}', False),
    ("int-5000-digits", _GOOD[:-1] + ', "x": ' + "9" * 5000 + "}", False),
    ("int-past-64-bits", _GOOD[:-1] + f', "x": {_BIG}, "y": -{_BIG}}}', True),
    (
        "int-64-bit-edges",
        _GOOD[:-1] + f', "x": {2**64 - 1}, "y": {-(2**63)}}}',
        True,
    ),
    (
        "duplicate-keys",
        _GOOD[:-1] + ', "type": "request", "type": "banana"}',
        False,
    ),
    ("escaped-lone-surrogate", _GOOD[:-1] + ', "x": "\\ud800"}', False),
    ("escaped-lone-low-surrogate-key", _GOOD[:-1] + ', "\\udc00": 1}', False),
    ("surrogate-in-list", _GOOD[:-1] + ', "x": [1, ["\\ud800"]]}', False),
    (
        "escaped-surrogate-pair",
        _GOOD[:-1] + ', "x": ["\\ud83d\\ude00"]}',
        True,
    ),
    ("escaped-backslash-then-u", _GOOD[:-1] + ', "x": "\\\\ud800"}', True),
    ("str-with-lone-surrogate", _GOOD[:-1] + ', "x": "\ud800"}', False),
    ("invalid-utf8", _GOOD.encode()[:-1] + b', "x": "\xff"}', False),
    ("bom-bytes", b"\xef\xbb\xbf" + _GOOD.encode(), True),
    ("bom-str", "\ufeff" + _GOOD, True),
    ("bom-then-garbage", b"\xef\xbb\xbf{", False),
    ("crlf", _GOOD + "\r\n", True),
    ("not-an-object", b"[1, 2]", False),
    ("null", b"null", False),
    ("number", b"5", False),
    ("torn", _GOOD[: len(_GOOD) // 2], False),
    ("deep", b"[" * 5000 + b"]" * 5000, False),
    ("utf16", _GOOD.encode("utf-16"), False),
    ("non-ascii-text", _GOOD[:-1] + ', "x": "équipe ✓"}', True),
]


@BOTH
@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize(
    ("line", "parses"),
    [(line, parses) for _, line, parses in HOSTILE],
    ids=[name for name, _, _ in HOSTILE],
)
def test_hostile_line_is_one_malformed_record_or_reads(line, parses, lenient):
    """
    A hostile line is a malformed record at its line (or reads as JSON),
    the same with either parser, and the lines around it still count.
    """
    lines = [json.dumps(login()), line, json.dumps(use(request_id="u-2"))]

    outcome = _lines_outcome(lines, lenient=lenient)

    if parses:
        assert outcome[0] != "error"
        assert outcome[1][SkipReason.MALFORMED] == 0
    elif lenient:
        assert outcome[2] == [(1, outcome[2][0][1])]
        assert outcome[1][SkipReason.MALFORMED] == 1
        assert outcome[-1] == 1
    else:
        assert outcome[0] == "error"
        assert outcome[3] == 1


@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize(
    "line", [line for _, line, _ in HOSTILE], ids=[n for n, _, _ in HOSTILE]
)
def test_both_parsers_give_the_same_outcome(monkeypatch, line, lenient):
    """orjson and the standard library agree on every hostile line."""
    lines = [json.dumps(login()), line, json.dumps(use(request_id="u-2"))]
    outcomes = []
    for loader in (orjson.loads, std_json_loads):
        monkeypatch.setattr("clientid.ingest.audit.json_loads", loader)
        outcomes.append(_lines_outcome(lines, lenient=lenient))

    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    "text",
    ["1" * 19, str(2**64 - 1), str(-(2**63)), "1" * 30, "-" + "1" * 45],
)
def test_std_parser_reads_integers_as_orjson(text):
    """Integers within 64 bits stay exact, others become floats."""
    assert std_json_loads(text) == orjson.loads(text)
    assert type(std_json_loads(text)) is type(orjson.loads(text))


@BOTH
def test_malformed_line_names_the_line_in_strict_mode():
    """The error says field ``line``, the rule, the line, its position."""
    reader = AuditLogReader()
    reader.feed_line(json.dumps(use()))

    with pytest.raises(MalformedRecordError) as caught:
        reader.feed_line(b"{not json")

    assert (caught.value.field, caught.value.reason) == (
        "line",
        NOT_A_JSON_OBJECT,
    )
    assert (caught.value.value, caught.value.index) == (b"{not json", 1)
    assert str(caught.value).startswith("record 1: line ")


@BOTH
def test_blank_lines_are_skipped_but_keep_line_positions():
    """Blank lines count nowhere, yet later lines keep their numbers."""
    reader = AuditLogReader(lenient=True)
    lines: list[bytes | str] = [
        b"\n",
        b"   \r\n",
        "",
        json.dumps(use()),
        b"{",
        b"\t\n",
    ]

    events = list(reader.read_lines(lines))

    assert len(events) == 1
    assert [r.index for r in reader.rejected] == [4]
    assert sum(reader.skipped.values()) == 1


@BOTH
def test_a_malformed_entry_in_a_line_is_named_by_its_field():
    """A line of JSON whose entry is wrong names the entry's field."""
    entry = use()
    entry["request"]["id"] = 5

    with pytest.raises(MalformedRecordError) as caught:
        AuditLogReader().feed_line(json.dumps(entry))

    assert (caught.value.field, caught.value.index) == ("request.id", 0)


@pytest.mark.parametrize("line", [5, None, ["{}"], bytearray(b"{}")])
def test_a_line_of_another_type_is_malformed(line):
    """Only bytes and str are lines; anything else is a named error."""
    reader = AuditLogReader(lenient=True)

    assert reader.feed_line(line) is None

    assert reader.rejected[0].error.field == "line"
    assert reader.rejected[0].error.reason == "must be bytes or str"
