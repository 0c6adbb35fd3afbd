"""
Minimal reader inputs the fuzz layer found, pinned one by one.

Each is a real sample record with one field changed.  An input a reader
still failed on (a raw Python error, or a model error escaping lenient
mode) would be marked ``xfail(strict=True)`` through its ``broken`` modes,
so that the fix makes it fail loudly and the mark goes with the fix; none
is left.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.fuzz.strategies import AUDIT_ENTRIES, EXPORT_RECORDS

from clientid import AuditLogReader, ExportReader
from clientid.errors import ClientIdError

#: A counted entity request of the sample log (it has a client ID).
_COUNTED = next(
    index
    for index, entry in enumerate(AUDIT_ENTRIES)
    if entry["type"] == "request"
    and entry["request"].get("client_id")
    and entry["request"].get("path") != "sys/health"
)


def _audit(path: tuple[Any, ...], value: object, seed: int = _COUNTED) -> Any:
    entry: Any = copy.deepcopy(AUDIT_ENTRIES[seed])
    entry["request"]["id"] = "00000000-0000-4000-8000-000000000000"
    node = entry
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return entry


def _export(field: str, value: object) -> Any:
    return {**EXPORT_RECORDS[0], field: value}


def _outcome(reader: AuditLogReader | ExportReader, record: Any) -> None:
    """Feed one record: a clientid error if strict, else a counted skip."""
    before = reader.counted + len(reader.rejected)
    try:
        reader.feed(record)
    except ClientIdError:
        assert not reader._lenient
        return
    assert reader.counted + len(reader.rejected) >= before


# (id, reader, record, the modes that still fail, why).
_FOUND: list[tuple[str, Any, Any, tuple[bool, ...], str]] = [
    (
        "audit-namespace-id-lone-surrogate",
        AuditLogReader,
        _audit(("request", "namespace", "id"), "\ud800"),
        (),
        "",
    ),
    (
        "audit-request-id-lone-surrogate",
        AuditLogReader,
        _audit(("request", "id"), "\ud800"),
        (),
        "",
    ),
    (
        "audit-token-policies-lone-surrogate",
        AuditLogReader,
        _audit(("auth", "token_policies"), ["root\ud800"], seed=98),
        (),
        "",
    ),
    (
        "audit-time-past-year-9999-in-utc",
        AuditLogReader,
        _audit(("time",), "9999-12-31T23:59:59-23:59"),
        (),
        "",
    ),
    (
        "audit-time-before-year-1-in-utc",
        AuditLogReader,
        _audit(("time",), "0001-01-01T00:00:00+23:59"),
        (),
        "",
    ),
    (
        "audit-time-5000-digit-int",
        AuditLogReader,
        _audit(("time",), 10**5000),
        (),
        "",
    ),
    (
        "export-client-id-lone-surrogate",
        ExportReader,
        _export("client_id", "x\ud800"),
        (),
        "",
    ),
    (
        "export-namespace-id-lone-surrogate",
        ExportReader,
        _export("namespace_id", "\ud800"),
        (),
        "",
    ),
    (
        "export-timestamp-past-year-9999-in-utc",
        ExportReader,
        _export("timestamp", "9999-12-31T23:59:59-23:59"),
        (),
        "",
    ),
    (
        "export-timestamp-5000-digit-int",
        ExportReader,
        _export("timestamp", 10**5000),
        (),
        "",
    ),
]

CASES = [
    pytest.param(
        make,
        record,
        lenient,
        id=f"{name}-{'lenient' if lenient else 'strict'}",
        marks=[pytest.mark.xfail(strict=True, reason=why)]
        if lenient in broken
        else [],
    )
    for name, make, record, broken, why in _FOUND
    for lenient in (False, True)
]


@pytest.mark.parametrize(("make", "record", "lenient"), CASES)
def test_found_input_is_a_named_error_or_a_counted_skip(make, record, lenient):
    """
    Each pinned input ends in a clientid error (strict) or a skip (lenient).
    """
    _outcome(make(lenient=lenient), record)
