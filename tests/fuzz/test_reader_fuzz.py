"""
Fuzzed audit entries and export rows: a named error or a counted skip.

Each run feeds a window of real, untouched records with one mutated record
inserted somewhere.  Whatever the mutation, a strict reader raises a
clientid error for the mutated record only, a lenient reader counts it
(as an event or as a skip) and raises nothing, and the untouched records
produce exactly the events they produce without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz.strategies import AUDIT_ENTRIES, EXPORT_RECORDS, mutated

from clientid import AuditLogReader, ExportReader
from clientid.errors import ClientIdError

if TYPE_CHECKING:
    from collections.abc import Callable

Reader = AuditLogReader | ExportReader


def _handled(reader: Reader) -> int:
    """Records the reader has accounted for: events and skips."""
    if isinstance(reader, AuditLogReader):
        return reader.counted + sum(reader.skipped.values())
    return reader.counted + len(reader.rejected)


def _untouched_events(
    make: Callable[[], Reader],
    seeds: list[dict[str, Any]],
    insert: int,
    hostile: object,
    *,
    lenient: bool,
) -> list[object]:
    """Feed the seeds with *hostile* at *insert*; check its outcome."""
    reader = make()
    events: list[object] = []
    for position in range(len(seeds) + 1):
        if position == insert:
            before = _handled(reader)
            try:
                reader.feed(hostile)  # type: ignore[arg-type]
            except ClientIdError:
                # A named error is the strict outcome, never the lenient.
                assert not lenient
            else:
                # Lenient or not, a record fed without error is accounted
                # for exactly once: as an event or a counted skip.
                assert _handled(reader) == before + 1
        if position < len(seeds):
            event = reader.feed(seeds[position])
            events.append(None if event is None else event.client)
    return events


def _baseline(
    make: Callable[[], Reader], seeds: list[dict[str, Any]]
) -> list[object]:
    reader = make()
    return [
        None if (event := reader.feed(seed)) is None else event.client
        for seed in seeds
    ]


AUDIT_BASELINE = _baseline(AuditLogReader, AUDIT_ENTRIES)
EXPORT_BASELINE = _baseline(ExportReader, EXPORT_RECORDS)


def test_the_seed_windows_count_clients():
    """
    The untouched windows are not trivial: they produce client events.
    """
    assert sum(e is not None for e in AUDIT_BASELINE) > 10
    assert sum(e is not None for e in EXPORT_BASELINE) > 10


def _count(events: list[object]) -> int:
    return sum(event is not None for event in events)


@given(
    case=mutated(AUDIT_ENTRIES),
    insert=st.integers(0, len(AUDIT_ENTRIES)),
    lenient=st.booleans(),
)
def test_mutated_audit_entry_is_a_named_error_or_a_counted_skip(
    case, insert, lenient
):
    """
    One mutated audit entry never raises a raw error nor changes the rest.
    """
    _, hostile = case

    events = _untouched_events(
        lambda: AuditLogReader(lenient=lenient),
        AUDIT_ENTRIES,
        insert,
        hostile,
        lenient=lenient,
    )

    assert _count(events) == _count(AUDIT_BASELINE)


@given(
    case=mutated(EXPORT_RECORDS),
    insert=st.integers(0, len(EXPORT_RECORDS)),
    lenient=st.booleans(),
)
def test_mutated_export_record_is_a_named_error_or_a_counted_skip(
    case, insert, lenient
):
    """
    One mutated export record never raises a raw error nor changes the rest.
    """
    _, hostile = case

    events = _untouched_events(
        lambda: ExportReader(lenient=lenient),
        EXPORT_RECORDS,
        insert,
        hostile,
        lenient=lenient,
    )

    assert events == EXPORT_BASELINE
