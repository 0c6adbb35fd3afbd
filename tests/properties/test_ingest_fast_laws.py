"""
Laws of the audit reader's fast path: it parses exactly as the precise one.

``_parse_entry_fast`` (exact types only, a bounded cache of parsed times)
must return what ``_parse_entry`` returns and raise what it raises, for
every entry, whatever the cache holds.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from types import MappingProxyType
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.test_ingest_audit import ENTITY, MALFORMED, TEAM_A, login, use

from clientid import AuditLogReader
from clientid.errors import InvalidModelError, MalformedRecordError
from clientid.ingest.audit import (
    _TIME_CACHE_LIMIT,
    _cached_time,
    _parse_entry,
    _parse_entry_fast,
)

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


@given(entries())
def test_fast_parse_equals_the_precise_parse_with_an_empty_cache(entry):
    """A fresh cache gives the precise parser's result or error."""
    fast = _outcome(lambda e: _parse_entry_fast(e, {}), entry)

    assert fast == _outcome(_parse_entry, entry)


@given(st.lists(entries(), max_size=12), st.randoms(use_true_random=False))
def test_fast_parse_equals_the_precise_parse_over_a_shared_cache(stream, rng):
    """One cache over a shuffled stream with repeats changes no outcome."""
    stream = stream + stream[: len(stream) // 2]
    rng.shuffle(stream)
    times: dict[str, Any] = {}

    fast = [_outcome(lambda e: _parse_entry_fast(e, times), e) for e in stream]

    assert fast == [_outcome(_parse_entry, e) for e in stream]


def _read(stream: list[dict[str, Any]]) -> tuple[object, ...]:
    reader = AuditLogReader(lenient=True, dedup_limit=4, join_limit=4)
    events = list(reader.read(stream))
    rejected = [(r.index, r.reason) for r in reader.rejected]
    try:
        # An entry may name the root namespace's ID with another path,
        # which the namespace listing rejects (either way).
        known: object = reader.namespaces
    except InvalidModelError as exc:
        known = str(exc)
    return events, reader.skipped, rejected, known, reader.mounts


@given(st.lists(entries(), max_size=12), st.randoms(use_true_random=False))
def test_reader_results_equal_those_of_the_precise_parser(stream, rng):
    """Events, skips and rejections match a reader without the fast path."""
    stream = stream + stream[: len(stream) // 2]
    rng.shuffle(stream)

    fast = _read(stream)
    with mock.patch(
        "clientid.ingest.audit._parse_entry_fast",
        lambda entry, _times: _parse_entry(entry),
    ):
        precise = _read(stream)

    assert fast == precise


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

    fast = _outcome(lambda e: _parse_entry_fast(e, {}), entry)

    assert fast == _outcome(_parse_entry, entry)
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


# Well-formed entries the fast path must parse as the precise one does,
# or hand over to it (non-dict mappings, str subclasses).
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
}


@pytest.mark.parametrize("entry", VARIANTS.values(), ids=VARIANTS.keys())
def test_fast_parse_equals_the_precise_parse_for_each_variant(entry):
    """Each unusual but well-formed entry parses the same both ways."""
    fast = _outcome(lambda e: _parse_entry_fast(e, {}), entry)

    assert fast == _outcome(_parse_entry, entry)
    assert fast[0] == "parsed"


def test_time_cache_stays_within_its_limit():
    """Parsing more distinct times than the limit never grows past it."""
    times: dict[str, Any] = {}
    for number in range(_TIME_CACHE_LIMIT + 100):
        _cached_time(f"2025-03-04T09:15:27.{number:06}Z", times)

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
