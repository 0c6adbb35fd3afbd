"""
A lenient reader keeps the first malformed records and counts them all.

An error holds its record's offending value, so a log of garbage kept in
full would grow without bound; the readers keep the first
``rejected_limit`` and count every one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from tests.test_ingest_audit import use
from tests.test_ingest_export import record

from clientid import AuditLogReader, ExportReader, SkipReason
from clientid.errors import DecodeError, InvalidModelError
from clientid.ingest.audit import (
    AUDIT_READER_FORMAT_VERSION,
    AUDIT_READER_MAGIC,
)
from clientid.ingest.common import DEFAULT_REJECTED_LIMIT
from clientid.model.framing import frame, unframe

if TYPE_CHECKING:
    from collections.abc import Callable


def _bad_entry(number: int) -> dict[str, Any]:
    entry = use(request_id=f"bad-{number}")
    entry["time"] = f"never-{number}"
    return entry


def _bad_record(number: int) -> dict[str, object]:
    return record(client_type=f"robot-{number}")


class Case(NamedTuple):
    """A reader type, a bad record maker and a good record maker."""

    reader: Callable[..., AuditLogReader | ExportReader]
    bad: Callable[[int], dict[str, Any]]
    good: Callable[[], dict[str, Any]]


READERS = [
    pytest.param(Case(AuditLogReader, _bad_entry, use), id="audit"),
    pytest.param(Case(ExportReader, _bad_record, record), id="export"),
]


@pytest.mark.parametrize("case", READERS)
class TestRejectedLimit:
    """Both readers bound what they keep, never what they count."""

    def test_keeps_the_first_records_and_counts_them_all(self, case):
        """Past the limit, records are counted but not kept."""
        reader = case.reader(lenient=True, rejected_limit=3)
        for number in range(50):
            assert reader.feed(case.bad(number)) is None

        assert [r.index for r in reader.rejected] == [0, 1, 2]
        assert reader.rejected[0].reason.endswith("-0'")
        assert reader.rejected_count == 50

    def test_good_records_around_the_bad_still_count(self, case):
        """Dropping a kept error never drops the data around it."""
        reader = case.reader(lenient=True, rejected_limit=1)
        fed = [case.good()] + [case.bad(n) for n in range(5)]
        if case.reader is AuditLogReader:
            fed.append(use(request_id="after"))
        else:
            fed.append(case.good())

        events = [e for e in map(reader.feed, fed) if e is not None]

        assert len(events) == 2
        assert reader.counted == 2
        assert reader.rejected_count == 5
        assert len(reader.rejected) == 1

    def test_zero_keeps_none(self, case):
        """A limit of 0 only counts."""
        reader = case.reader(lenient=True, rejected_limit=0)
        reader.feed(case.bad(1))

        assert reader.rejected == ()
        assert reader.rejected_count == 1

    def test_the_default_limit(self, case):
        """By default the first DEFAULT_REJECTED_LIMIT are kept."""
        reader = case.reader(lenient=True)
        for number in range(DEFAULT_REJECTED_LIMIT + 7):
            reader.feed(case.bad(number))

        assert len(reader.rejected) == DEFAULT_REJECTED_LIMIT
        assert reader.rejected[-1].index == DEFAULT_REJECTED_LIMIT - 1
        assert reader.rejected_count == DEFAULT_REJECTED_LIMIT + 7

    @pytest.mark.parametrize("value", [-1, 1.5, "10", True, None])
    def test_a_limit_that_is_not_a_count_is_refused(self, case, value):
        """The limit must be an int of at least 0, named in the error."""
        with pytest.raises(InvalidModelError) as info:
            case.reader(rejected_limit=value)

        assert info.value.field == "rejected_limit"
        assert info.value.value == value

    def test_strict_mode_counts_nothing_as_rejected(self, case):
        """Strict readers raise and keep no rejection."""
        reader = case.reader()
        with pytest.raises(DecodeError):
            reader.feed(case.bad(1))

        assert reader.rejected_count == 0


class TestAuditImage:
    """The audit reader's saved state keeps the limit and the count."""

    def test_limit_and_count_survive_a_round_trip(self):
        """The records are not saved; how many there were is."""
        reader = AuditLogReader(lenient=True, rejected_limit=2)
        for number in range(4):
            reader.feed(_bad_entry(number))

        restored = AuditLogReader.from_bytes(reader.to_bytes(), lenient=True)
        for number in range(4, 7):
            restored.feed(_bad_entry(number))

        assert restored.rejected_count == 7
        assert [r.index for r in restored.rejected] == [4, 5]
        assert restored.skipped[SkipReason.MALFORMED] == 7

    def test_an_image_with_a_bad_limit_is_a_decode_error(self):
        """A negative limit in an image is corrupt state, not a crash."""
        reader = AuditLogReader()
        image = reader.to_bytes()

        document = unframe(
            image, AUDIT_READER_MAGIC, AUDIT_READER_FORMAT_VERSION, "x"
        )
        document["rejected_limit"] = -5  # type: ignore[index]
        broken = frame(
            AUDIT_READER_MAGIC, AUDIT_READER_FORMAT_VERSION, document
        )

        with pytest.raises(DecodeError):
            AuditLogReader.from_bytes(broken)

    def test_an_image_without_the_limit_reads_with_the_default(self):
        """Images saved before the limit existed still load."""

        document: Any = unframe(
            AuditLogReader().to_bytes(),
            AUDIT_READER_MAGIC,
            AUDIT_READER_FORMAT_VERSION,
            "x",
        )
        del document["rejected_limit"], document["rejected_count"]
        old = frame(AUDIT_READER_MAGIC, AUDIT_READER_FORMAT_VERSION, document)

        restored = AuditLogReader.from_bytes(old, lenient=True)
        for number in range(DEFAULT_REJECTED_LIMIT + 1):
            restored.feed(_bad_entry(number))

        assert len(restored.rejected) == DEFAULT_REJECTED_LIMIT
        assert restored.rejected_count == DEFAULT_REJECTED_LIMIT + 1
