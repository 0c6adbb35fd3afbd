"""
Calendar months: their keys, the bounds a caller names, one month's records.

A month is keyed by the number of months since year 0 of the UTC calendar.
:class:`Month` holds a month's records: exactly (each client's first
record, and per attribution group the set of its client IDs) until the
month passes its exact limit, then per client its fingerprint, first use,
group and coupon (:class:`~clientid.activity.seen.AttributedFilter`), from
which it makes one HyperLogLog sketch per group when asked.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from typing import TYPE_CHECKING, Final, cast

from clientid.activity.seen import AttributedFilter
from clientid.errors import InvalidModelError
from clientid.model.ids import ClientType, NamespaceId
from clientid.model.records import Client
from clientid.model.validators import check_id
from clientid.sketch.hll import HyperLogLog

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "EPOCH",
    "UTC",
    "AttributionGroup",
    "Month",
    "add_to_sketches",
    "check_aware",
    "check_month_bound",
    "check_optional_non_negative",
    "check_optional_positive",
    "check_record",
    "check_stored_id",
    "check_utc",
    "date_month_key",
    "from_micros",
    "micros",
    "month_end",
    "month_key",
    "month_start",
    "parse_bound",
    "regrouped_month",
    "regrouped_sketches",
    "require",
]

UTC: Final = dt.UTC
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_MONTH_TEXT: Final = re.compile(r"\d{4}-\d{2}", re.ASCII)
_DATE_TEXT: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RFC3339_TEXT: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)

# An attribution group: namespace ID, mount accessor ("" for none), type.
AttributionGroup = tuple[NamespaceId, str, ClientType]


def month_key(moment: dt.datetime) -> int:
    """Months since year 0 of the UTC calendar month of an instant."""
    if moment.tzinfo is not dt.UTC:
        moment = moment.astimezone(dt.UTC)
    return moment.year * 12 + moment.month - 1


def date_month_key(day: dt.date) -> int:
    """The month key of a calendar date."""
    return day.year * 12 + day.month - 1


def month_start(key: int) -> dt.datetime:
    """The first instant of a month."""
    return dt.datetime(key // 12, key % 12 + 1, 1, tzinfo=dt.UTC)


#: The month key of December 9999, the last month a datetime can hold.
_LAST_KEY: Final = 9999 * 12 + 11


def month_end(key: int) -> dt.datetime:
    """The last whole second of a month (Vault's ``end_time``)."""
    if key >= _LAST_KEY:
        # The next month's start, year 10000, is no datetime.
        return dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    return month_start(key + 1) - dt.timedelta(seconds=1)


def micros(moment: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware instant."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + (
        delta.microseconds
    )


def from_micros(value: int) -> dt.datetime:
    """The UTC instant *value* microseconds after the Unix epoch."""
    return EPOCH + dt.timedelta(microseconds=value)


def check_aware(field: str, value: object) -> dt.datetime:
    """Return *value* if it is a timezone-aware datetime."""
    if not isinstance(value, dt.datetime):
        raise InvalidModelError(field, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidModelError(
            field, value, "must be a timezone-aware datetime"
        )
    return value


def check_utc(field: str, value: object) -> dt.datetime:
    """An aware datetime converted to UTC, if UTC can hold it."""
    try:
        return check_aware(field, value).astimezone(UTC)
    except OverflowError:
        # 0001-01-01 at +05:00 is in year 0 in UTC, which has no datetime.
        rule = "must be an instant that UTC can represent (years 1..9999)"
        raise InvalidModelError(field, value, rule) from None


def parse_bound(field: str, value: object) -> dt.date:
    """
    Return a report bound given as a date, an aware datetime or a string.

    Strings may be a month (``2025-03``), a date (``2025-03-01``) or an
    RFC 3339 datetime (``2025-03-01T12:00:00Z``); a month is its first day.

    Raises:
        InvalidModelError: The value is none of those.
    """
    if isinstance(value, dt.datetime):
        return check_aware(field, value)
    if isinstance(value, dt.date):
        return value
    rule = (
        "must be a date, a timezone-aware datetime, or a 'YYYY-MM',"
        " 'YYYY-MM-DD' or RFC 3339 string"
    )
    if not isinstance(value, str):
        raise InvalidModelError(field, value, rule)
    try:
        if _MONTH_TEXT.fullmatch(value):
            return dt.date.fromisoformat(value + "-01")
        if _DATE_TEXT.fullmatch(value):
            return dt.date.fromisoformat(value)
        if _RFC3339_TEXT.fullmatch(value):
            return dt.datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError:
        # The shape matched but the day does not exist (2025-02-30).
        pass
    raise InvalidModelError(field, value, rule)


def check_month_bound(field: str, value: object) -> int:
    """The month key of a date or an aware datetime."""
    if isinstance(value, dt.datetime):
        return month_key(check_aware(field, value))
    if isinstance(value, dt.date):
        return date_month_key(value)
    raise InvalidModelError(
        field, value, "must be a date or a timezone-aware datetime"
    )


def check_stored_id(client_id: str) -> None:
    """Refuse a client ID no sketch can hash (a lone surrogate)."""
    check_id("client.id", client_id)


def check_record(client: object, at: object) -> dt.datetime:
    """A record's client checked, and its time in UTC."""
    if type(client) is not Client:
        field, rule = "client", "must be a Client"
        raise InvalidModelError(field, client, rule)
    return check_utc("at", at)


def check_optional_non_negative(field: str, value: object) -> int | None:
    """Return *value* if it is ``None`` or an integer >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidModelError(
            field, value, "must be None or a non-negative integer"
        )
    return value


def check_optional_positive(field: str, value: object) -> int | None:
    """Return *value* if it is ``None`` or an integer >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidModelError(
            field, value, "must be None or a positive integer"
        )
    return value


class Month:
    """The records of one calendar month."""

    __slots__ = (
        "_derived",
        "attributed",
        "created",
        "first_used",
        "imported",
        "index",
        "lg_k",
        "members",
        "slot_group",
    )

    def __init__(self) -> None:
        # Exact tier: the first record of each client, in record order.
        # The index maps a client ID to its slot in the arrays; slots are
        # handed out in insertion order and never removed, so iterating the
        # index (insertion-ordered by the language, not by hash) walks the
        # slots in order.
        self.index: dict[str, int] = {}
        self.slot_group: array[int] = array("i")
        self.created: array[int] = array("q")
        self.first_used: array[int] = array("q")
        # Group number -> the IDs attributed to it.  Sets, not lists: a
        # union of sets reuses their stored hashes and never touches the
        # strings, which is what makes a report fast.
        self.members: dict[int, set[str]] = {}
        # Sketch tier: set once the month passed its exact limit (or took a
        # sketch made elsewhere).  Each client's first use and group, and
        # the imported sketches, which come without clients; the group
        # sketches are made from both when asked, and kept until a record
        # changes a group.
        self.attributed: AttributedFilter | None = None
        self.imported: dict[int, HyperLogLog] = {}
        self.lg_k = 0
        self._derived: dict[int, HyperLogLog] | None = None

    @property
    def sketched(self) -> bool:
        """Whether the month holds sketches instead of its records."""
        return self.attributed is not None

    @property
    def sketches(self) -> dict[int, HyperLogLog] | None:
        """
        One sketch per group of a sketched month (``None`` if exact).

        Each group's sketch holds the coupons of the clients whose first
        use names it (:meth:`HyperLogLog.from_coupons`, so it does not
        depend on the order of records), merged with the sketches
        imported for it.  The dict and its sketches are shared: read only.
        """
        attributed = self.attributed
        if attributed is None:
            return None
        derived = self._derived
        if derived is None:
            derived = {
                group: HyperLogLog.from_coupons(self.lg_k, coupons)
                for group, coupons in attributed.coupons_by_group().items()
            }
            for group, sketch in self.imported.items():
                found = derived.get(group)
                if found is None:
                    derived[group] = sketch
                else:
                    found.merge(sketch)
            self._derived = derived = dict(sorted(derived.items()))
        return derived

    def import_sketch(self, group: int, sketch: HyperLogLog) -> None:
        """Merge a sketch made elsewhere into a group of a sketched month."""
        existing = self.imported.get(group)
        if existing is None:
            self.imported[group] = sketch
        else:
            existing.merge(sketch)
        self._derived = None

    def insert(
        self, client_id: str, group: int, created: int, used: int
    ) -> int:
        """Add a client's first record; return the month's size."""
        slot = len(self.index)
        self.index[client_id] = slot
        self.slot_group.append(group)
        self.created.append(created)
        self.first_used.append(used)
        members = self.members.get(group)
        if members is None:
            self.members[group] = {client_id}
        else:
            members.add(client_id)
        return slot + 1

    def reattribute(
        self, slot: int, client_id: str, group: int, created: int, used: int
    ) -> None:
        """Replace a client's record by an earlier one."""
        old = self.slot_group[slot]
        if old != group:
            self.slot_group[slot] = group
            self.members[old].discard(client_id)
            self.members.setdefault(group, set()).add(client_id)
        self.created[slot] = created
        self.first_used[slot] = used

    def check(self, exact_limit: int | None) -> None:
        """Raise AssertionError if an invariant of the month is broken."""
        if self.attributed is not None:
            require(not self.index)
            require(not self.members)
            self.attributed.check()
            for sketch in self.imported.values():
                require(sketch.lg_k <= self.lg_k)
            return
        require(not self.imported)
        size = len(self.index)
        require(len(self.slot_group) == size)
        require(len(self.created) == size)
        require(len(self.first_used) == size)
        for slot, client_id in enumerate(self.index):
            require(self.index[client_id] == slot)
            require(client_id in self.members[self.slot_group[slot]])
        require(sum(map(len, self.members.values())) == size)
        for group, members in self.members.items():
            for client_id in members:
                require(self.slot_group[self.index[client_id]] == group)
        require(exact_limit is None or size <= exact_limit)

    def to_sketches(self, lg_k: int) -> None:
        """Replace the exact tier by the sketch tier."""
        # Room for as many clients again before the table grows.
        attributed = AttributedFilter(2 * len(self.index))
        for client_id, slot in self.index.items():
            attributed.attribute(
                client_id, self.slot_group[slot], self.first_used[slot]
            )
        self.attributed = attributed
        self.lg_k = lg_k
        self._derived = None
        self.index = {}
        self.slot_group = array("i")
        self.created = array("q")
        self.first_used = array("q")
        self.members = {}


def add_to_sketches(
    month: Month, group: int, client_id: str, used: int
) -> None:
    """Record a use of a client in a sketched month."""
    if not client_id.isascii():
        check_stored_id(client_id)
    # First use in the month wins: the client counts in the group of its
    # earliest record, and only there.
    if cast("AttributedFilter", month.attributed).attribute(
        client_id, group, used
    ):
        month._derived = None  # noqa: SLF001 (the month's own cache)


def regrouped_month(
    month: Month, regrouped: Callable[[int], int | None]
) -> Month:
    """A month whose records are moved (or dropped) cell by cell."""
    moved = {group: regrouped(group) for group in month.members}
    targets = {g: t for g, t in moved.items() if t is not None}
    edited = Month()
    if len(targets) == len(moved):
        # Nothing dropped: the same slots in new cells.  The month is a
        # private, read-only view, so it shares the stored records.
        edited.index = month.index
        edited.created = month.created
        edited.first_used = month.first_used
        edited.slot_group = array(
            "i", [targets[group] for group in month.slot_group]
        )
        for group, members in sorted(month.members.items()):
            target = targets[group]
            found = edited.members.get(target)
            # Cells of one month are disjoint: a union, never a merge of
            # records.
            edited.members[target] = (
                members if found is None else found | members
            )
        return edited
    for slot, client_id in enumerate(month.index):
        kept = targets.get(month.slot_group[slot])
        if kept is not None:
            edited.insert(
                client_id, kept, month.created[slot], month.first_used[slot]
            )
    return edited


def regrouped_sketches(
    month: Month, regrouped: Callable[[int], int | None]
) -> Month:
    """A sketched month whose cells are moved: unions of their sketches."""
    sketches = cast("dict[int, HyperLogLog]", month.sketches)
    edited = Month()
    # A private, read-only view: the cells' sketches, as imported ones (a
    # client is in one cell of a month, so a union counts it once).
    edited.attributed = AttributedFilter()
    edited.lg_k = month.lg_k
    unions: dict[int, HyperLogLog] = {}
    for group, sketch in sorted(sketches.items()):
        target = regrouped(group)
        if target is None:
            continue
        union = unions.get(target)
        if union is None:
            unions[target] = sketch.copy()
        else:
            union.merge(sketch)
    edited.imported = unions
    return edited


def require(condition: bool) -> None:  # noqa: FBT001
    """Raise AssertionError unless *condition* holds (invariant checks)."""
    if not condition:
        raise AssertionError
