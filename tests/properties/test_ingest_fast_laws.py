"""
Laws of the audit reader's parser: it parses as the reference one does.

``_parse_entry`` (a plain-JSON shortcut, a bounded cache of parsed times)
must return what the straightforward reference parser
(``tests/properties/_reference_audit.py``) returns, and raise where it
raises, for every entry, whatever the cache holds; the reader's duplicate
shortcut changes no event.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from types import MappingProxyType
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tests.properties._reference_audit import reference_parse
from tests.test_ingest_audit import ENTITY, MALFORMED, TEAM_A, login, use

from clientid import AuditLogReader, SkipReason
from clientid.errors import InvalidModelError, MalformedRecordError
from clientid.ingest.audit import (
    _TIME_CACHE_LIMIT,
    _cached_time,
    _parse_entry,
)
from clientid.ingest.common import _rfc3339, std_json_loads

TIMES = [
    "2025-03-04T09:15:27Z",
    "2025-03-04T09:15:27.114583Z",
    "2025-03-04T09:15:27.123456789Z",
    "2025-03-04 10:15:27+01:00",
    "2025-03-04t09:15:27z",
    "2025-02-30T00:00:00Z",
    "2025-03-04T09:16:02",
    "2025-03-04",
]

# Places a broken or unusual value may land, and the values.
PATHS = [
    "type",
    "time",
    "error",
    "request",
    "request.id",
    "request.client_id",
    "request.namespace",
    "request.namespace.id",
    "request.namespace.path",
    "request.path",
    "request.mount_point",
    "request.mount_type",
    "request.mount_accessor",
    "request.client_token",
    "request.client_token_accessor",
    "auth",
    "auth.entity_id",
    "auth.accessor",
    "auth.client_token",
    "auth.policy_results",
    "auth.policy_results.allowed",
    "auth.token_policies",
    "auth.policies",
    "auth.metadata",
    "auth.metadata.ignore_for_billing",
    "auth.token_issue_time",
    "response",
    "response.auth",
    "response.auth.accessor",
    "response.auth.client_token",
    "response.auth.entity_id",
    "response.auth.token_issue_time",
]


class _Text(str):
    """A str subclass: valid, but not the exact type the fast path takes."""

    __slots__ = ()


VALUES = st.sampled_from(
    [
        None,
        "",
        "x",
        "ns/",
        "request",
        "response",
        "true",
        "permission denied",
        _Text("x"),
        1,
        True,
        False,
        [],
        ["default"],
        ["root"],
        ["default", 1],
        {},
        {"id": "x"},
        {"allowed": False},
        MappingProxyType({"id": "x", "path": "x/"}),
        OrderedDict(allowed=True),
        # Text beyond ASCII: the UTF-8 check's business.
        "équipe/",
        ["défaut"],
        *TIMES,
    ]
)


def _fresh(value: object) -> object:
    """Copy a drawn value, so that no two entries share a mutable one."""
    if isinstance(value, MappingProxyType):
        return MappingProxyType(dict(value))
    return copy.deepcopy(value)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a well-formed entry, then maybe overwrite or delete fields."""
    time = draw(st.sampled_from(TIMES[:5]))
    if draw(st.booleans()):
        entry = login(
            time=time,
            accessor=draw(st.sampled_from(["acc-1", "acc-2", None])),
            entity_id=draw(st.sampled_from(["ent-1", None])),
            request_id=draw(st.sampled_from(["login-1", "login-2"])),
        )
    else:
        entry = use(
            time=time,
            entry_type=draw(st.sampled_from(["request", "response"])),
            namespace=draw(st.sampled_from([TEAM_A, {"id": "root"}])),
            accessor=draw(st.sampled_from(["acc-1", None])),
            entity_id=draw(st.sampled_from(["ent-1", None])),
            allowed=draw(st.sampled_from([True, False, None])),
            request_id=draw(st.sampled_from(["use-1", "use-2", "use-3"])),
            issue_time=draw(st.sampled_from([TIMES[0], None])),
        )
    for _ in range(draw(st.integers(0, 2))):
        *parents, last = draw(st.sampled_from(PATHS)).split(".")
        target: Any = entry
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if draw(st.booleans()):
            target.pop(last, None)
        else:
            target[last] = _fresh(draw(VALUES))
    return entry


def _outcome(parse: Any, entry: object) -> tuple[object, ...]:
    """Return the parse result, or the error's field, reason and value."""
    try:
        return ("parsed", parse(entry))
    except MalformedRecordError as exc:
        return ("error", exc.field, exc.reason, exc.value)


def _agrees(ours: tuple[object, ...], reference: tuple[object, ...]) -> bool:
    """The same parse; or both refuse (an entry with several faults may
    name another of them first)."""
    if reference[0] == "parsed":
        return ours == reference
    return ours[0] == "error"


@given(entries())
def test_parse_equals_the_reference_parse_with_an_empty_cache(entry):
    """A fresh cache gives the reference parser's result, or an error."""
    ours = _outcome(lambda e: _parse_entry(e, {}), entry)

    assert _agrees(ours, _outcome(reference_parse, entry))


@given(st.lists(entries(), max_size=12), st.randoms(use_true_random=False))
def test_parse_equals_the_reference_parse_over_a_shared_cache(stream, rng):
    """One cache over a shuffled stream with repeats changes no outcome."""
    stream = stream + stream[: len(stream) // 2]
    rng.shuffle(stream)
    times: dict[str, Any] = {}

    ours = [_outcome(lambda e: _parse_entry(e, times), e) for e in stream]
    reference = [_outcome(reference_parse, e) for e in stream]

    assert all(map(_agrees, ours, reference))


def _read(stream: list[dict[str, Any]]) -> tuple[Any, ...]:
    reader = AuditLogReader(lenient=True, dedup_limit=4, join_limit=4)
    events = list(reader.read(stream))
    rejected = [r.index for r in reader.rejected]
    try:
        # An entry may name the root namespace's ID with another path,
        # which the namespace listing rejects (either way).
        known: object = reader.namespaces
    except InvalidModelError as exc:
        known = str(exc)
    return events, reader.skipped, rejected, known, reader.mounts


@given(st.lists(entries(), max_size=12), st.randoms(use_true_random=False))
def test_reader_results_equal_those_of_the_reference_reader(stream, rng):
    """
    Events, namespaces and mounts match a reader that parses every entry
    with the reference parser; only a malformed duplicate may count as a
    duplicate instead of malformed.
    """
    stream = stream + stream[: len(stream) // 2]
    rng.shuffle(stream)

    events, skipped, rejected, known, mounts = _read(stream)
    with (
        mock.patch(
            "clientid.ingest.audit._parse_entry",
            lambda entry, _times, _utf8=False: reference_parse(entry),
        ),
        mock.patch.object(
            AuditLogReader, "_is_known_duplicate", return_value=False
        ),
    ):
        reference = _read(stream)

    assert (events, known, mounts) == (
        reference[0],
        reference[3],
        reference[4],
    )
    moved = reference[1][SkipReason.MALFORMED] - skipped[SkipReason.MALFORMED]
    assert moved >= 0
    assert skipped == {
        **reference[1],
        SkipReason.MALFORMED: reference[1][SkipReason.MALFORMED] - moved,
        SkipReason.DUPLICATE: reference[1][SkipReason.DUPLICATE] + moved,
    }
    assert set(rejected) <= set(reference[2])


@given(entries())
def test_parse_of_parser_text_equals_the_checked_parse(entry):
    """
    Told its text holds no lone surrogate (as a JSON line's parse
    guarantees), the parse gives the same result or error as without.
    """
    trusted = _outcome(lambda e: _parse_entry(e, {}, True), entry)

    assert trusted == _outcome(lambda e: _parse_entry(e, {}, False), entry)


def _json_lines(stream: list[dict[str, Any]]) -> list[bytes] | None:
    """The stream as JSON lines, or None if an entry is not plain JSON."""
    try:
        return [orjson.dumps(entry) for entry in stream]
    except TypeError:
        return None


def _read_all(reader: AuditLogReader, events: Any) -> tuple[Any, ...]:
    return list(events), reader.skipped, [r.index for r in reader.rejected]


@pytest.mark.parametrize("loads", [orjson.loads, std_json_loads])
@given(st.lists(entries(), max_size=12), st.randoms(use_true_random=False))
def test_reading_lines_equals_reading_their_parsed_entries(loads, stream, rng):
    """
    Lines give the events, skips and rejections of their parsed entries
    fed one by one, whichever JSON parser reads them.
    """
    stream = stream + stream[: len(stream) // 2]
    rng.shuffle(stream)
    lines = _json_lines(stream)
    assume(lines is not None)
    assert lines is not None
    lines_reader = AuditLogReader(lenient=True, dedup_limit=4, join_limit=4)
    entries_reader = AuditLogReader(lenient=True, dedup_limit=4, join_limit=4)

    with mock.patch("clientid.ingest.audit.json_loads", loads):
        from_lines = _read_all(lines_reader, lines_reader.read_lines(lines))
    from_entries = _read_all(
        entries_reader, entries_reader.read(map(orjson.loads, lines))
    )

    assert from_lines == from_entries


@pytest.mark.parametrize(
    ("mutate", "field", "value"),
    MALFORMED,
    ids=[f"{field}={value!r}" for _, field, value in MALFORMED],
)
def test_fast_parse_raises_the_precise_error_for_each_malformed_case(
    mutate, field, value
):
    """Every documented malformed entry raises the same error both ways."""
    entry = use()
    mutate(entry)

    fast = _outcome(lambda e: _parse_entry(e, {}), entry)

    assert fast == _outcome(reference_parse, entry)
    assert fast[:2] == ("error", field)
    assert fast[3] == value


def _without(path: str, **values: object) -> dict[str, Any]:
    """Return a request entry without *path*, with top-level *values*."""
    entry = use(entry_type="response")
    *parents, last = path.split(".")
    target = entry
    for part in parents:
        target = target[part]
    del target[last]
    entry.update(values)
    return entry


# Well-formed entries the shortcut must parse as the reference does, or
# hand over to the checked reading (non-dict mappings, str subclasses,
# text beyond ASCII).
VARIANTS = {
    "no namespace": _without("request.namespace"),
    "no auth": _without("auth"),
    "policies before token_policies": _without(
        "auth.token_policies", auth={"policies": ["default"]}
    ),
    "mapping namespace": _without(
        "request.namespace",
        request={"id": "r", "namespace": MappingProxyType({"id": "x"})},
    ),
    "str subclass client_id": _without(
        "request.client_id", request={"id": "r", "client_id": _Text(ENTITY)}
    ),
    "mapping response.auth": _without(
        "response", response={"auth": OrderedDict(accessor="a")}
    ),
    "non-ASCII namespace path": _without(
        "request.namespace",
        request={"id": "r", "namespace": {"id": "x", "path": "équipe/"}},
    ),
    "non-ASCII policy": _without(
        "auth.token_policies", auth={"token_policies": ["défaut"]}
    ),
}


@pytest.mark.parametrize("entry", VARIANTS.values(), ids=VARIANTS.keys())
def test_fast_parse_equals_the_precise_parse_for_each_variant(entry):
    """Each unusual but well-formed entry parses the same both ways."""
    fast = _outcome(lambda e: _parse_entry(e, {}), entry)

    assert fast == _outcome(reference_parse, entry)
    assert fast[0] == "parsed"


def test_time_cache_stays_within_its_limit():
    """Parsing more distinct times than the limit never grows past it."""
    times: dict[str, Any] = {}
    for number in range(_TIME_CACHE_LIMIT + 100):
        hour, minute, second = number // 3600, number // 60 % 60, number % 60
        _cached_time(f"2025-03-04T{hour:02}:{minute:02}:{second:02}Z", times)

    assert 0 < len(times) <= _TIME_CACHE_LIMIT


def test_time_cache_keeps_no_malformed_time():
    """A time that fails to parse raises and is not remembered."""
    times: dict[str, Any] = {}

    with pytest.raises(MalformedRecordError):
        _cached_time("2025-02-30T00:00:00Z", times)
    assert times == {}


def test_unhashable_entry_type_is_malformed():
    """An entry whose type is a list raises the type error, not TypeError."""
    entry = use()
    entry["type"] = ["request"]

    with pytest.raises(MalformedRecordError) as caught:
        AuditLogReader().feed(entry)

    assert (caught.value.field, caught.value.value) == ("type", ["request"])


_DIGITS = st.sampled_from("0123456789\u0663")


@st.composite
def time_texts(draw: st.DrawFn) -> str:
    """Draw RFC 3339-like texts, well-formed or nearly."""

    def digits(count: int) -> str:
        return "".join(draw(st.lists(_DIGITS, min_size=count, max_size=count)))

    pick = draw
    month = pick(st.sampled_from(["01", "02", "12", "13", "00"]))
    day = pick(st.sampled_from(["01", "28", "29", "30", "31", "32"]))
    hour = pick(st.sampled_from(["00", "09", "23", "24"]))
    minute = pick(st.sampled_from(["00", "59", "60"]))
    second = pick(st.sampled_from(["00", "27", "59", "60", digits(2)]))
    fraction = pick(
        st.sampled_from(
            ["", ".", ".1", ".114583", ".114583123", "." + digits(3)]
        )
    )
    zone = pick(st.sampled_from(["Z", "z", "+00:00", "-23:59", "+23:59", ""]))
    sep = pick(st.sampled_from(["T", "t", " ", "_"]))
    date = f"{digits(4)}-{month}-{day}"
    clock = f"{hour}:{minute}:{second}"
    return date + sep + clock + fraction + zone


def _time_outcome(parse: Any, text: str) -> tuple[object, ...]:
    try:
        return ("parsed", parse(text))
    except MalformedRecordError as exc:
        return ("error", exc.field, exc.reason, exc.value)


@given(st.lists(time_texts(), max_size=8))
def test_cached_time_parses_as_the_plain_rfc3339_parser(texts):
    """Through one cache, every text parses (or fails) as _rfc3339 says."""
    times: dict[str, Any] = {}
    texts = texts + texts

    cached = [
        _time_outcome(lambda t: _cached_time(t, times, "at"), t) for t in texts
    ]

    assert cached == [
        _time_outcome(lambda t: _rfc3339(t, "at"), t) for t in texts
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-04T09:15:27.114583123Z",
        "2025-03-04 09:15:27.1Z",
        "9999-12-31T23:59:59.999999999Z",
        "0001-01-01T00:00:00Z",
    ],
)
def test_cached_time_reads_vault_utc_times(text):
    """Nanoseconds are truncated to microseconds, as fromisoformat does."""
    assert _cached_time(text, {}) == _rfc3339(text, "time")


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59.5-23:59",
        "0001-01-01T00:00:00.5+23:59",
        "2025-03-04T09:15:60.5Z",
        "2025-02-30T09:15:27.5Z",
        "2025-03-04T09:15:27.Z",
        "2025-03-04T09:15:27.\u0663Z",
    ],
)
def test_cached_time_refuses_what_rfc3339_refuses(text):
    """Out of range or malformed: the same error, and nothing cached."""
    times: dict[str, Any] = {}

    with pytest.raises(MalformedRecordError) as caught:
        _cached_time(text, times, "auth.token_issue_time")

    assert (caught.value.field, caught.value.value) == (
        "auth.token_issue_time",
        text,
    )
    assert times == {}
