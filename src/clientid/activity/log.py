"""
The activity log: client activity per calendar month, and reports over it.

Storage is built at record time so that a report is a few set unions, not a
rescan of every record: each month keeps its first record per client (in
record order, for exports) and, per attribution group (namespace, mount,
client type), the set of its client IDs.  A month that grows past
``exact_limit`` clients replaces its sets by one HyperLogLog sketch per
group; reports that touch it are then estimates, with bounds.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from array import array
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast, final

import attrs

from clientid.activity.report import (
    ZERO,
    ActivityReport,
    ClientCounts,
    MonthActivity,
    MountCounts,
    NamespaceCounts,
    NewClients,
    add_client_counts,
    exact_count,
    sum_counts,
)
from clientid.activity.scenario import Scenario
from clientid.activity.seen import AttributedFilter
from clientid.count.counter import ClientCounter, Count
from clientid.errors import DecodeError, InvalidModelError, SketchedMonthError
from clientid.formats.export import ExportRecord
from clientid.identity.resolve import client_for_secret_sync
from clientid.model.framing import frame, unframe
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientId,
    ClientType,
    EntityId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import AuthMount, Client, Namespace
from clientid.model.validators import check_id
from clientid.sketch.hll import HyperLogLog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from clientid.activity.scenario import _AppliedScenario
    from clientid.model.events import ClientEvent
    from clientid.model.records import (
        Entity,
        EntityAlias,
        Group,
        SecretSyncAssociation,
    )

__all__ = ["ActivityLog"]

#: Months kept before the newest recorded month (Vault 1.16+ default).
DEFAULT_RETENTION_MONTHS: Final = 48
#: Distinct clients a month holds exactly before it falls back to sketches.
#: Well above Vault's own monthly cap (185 segments of 3,820 records).
DEFAULT_EXACT_LIMIT_PER_MONTH: Final = 4_000_000
#: How many months past the newest accepted month (or *now*) a record may
#: lie before it is refused as clock skew.  A year: a replay that resumes
#: after a long gap is still accepted, while one record from 2999 cannot
#: move retention at all.
DEFAULT_FUTURE_TOLERANCE_MONTHS: Final = 12
#: Precision of the sketches a month falls back to.
DEFAULT_LG_K: Final = 14
#: The first bytes of :meth:`ActivityLog.to_bytes` images.
ACTIVITY_LOG_MAGIC: Final = b"CIDA"
#: The layout version of those images.
ACTIVITY_LOG_FORMAT_VERSION: Final = 1
#: Vault's label for clients recorded without a mount accessor.
NO_MOUNT_ACCESSOR_LABEL: Final = "no mount accessor (pre-1.10 upgrade?)"

_T = TypeVar("_T")
_UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TYPES: Final = tuple(ClientType)
_STD_DEVS: Final = (1, 2, 3)

_MONTH_TEXT: Final = re.compile(r"\d{4}-\d{2}", re.ASCII)
_DATE_TEXT: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RFC3339_TEXT: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)

# An attribution group: namespace ID, mount accessor ("" for none), type.
_Group = tuple[NamespaceId, str, ClientType]


# Go's strconv.Quote letter escapes.
_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def _go_quote(text: str) -> str:
    """Quote a string as Go's ``%q`` (``strconv.Quote``) does."""
    out = ['"']
    for char in text:
        escaped = _GO_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            if code < 0x80:  # noqa: PLR2004
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:  # noqa: PLR2004
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def deleted_namespace_label(namespace_id: str) -> str:
    """
    Return Vault's path label for a namespace that no longer exists.

    Example: ``deleted namespace "aBc12"``.
    """
    return f"deleted namespace {_go_quote(namespace_id)}"


def deleted_mount_label(mount_accessor: str) -> str:
    """
    Return Vault's path label for a mount that no longer exists.

    Example: ``deleted mount; accessor "auth_userpass_1a2b3c4d"``.
    """
    return f"deleted mount; accessor {_go_quote(mount_accessor)}"


def _month_key(moment: dt.datetime) -> int:
    """Months since year 0 of the UTC calendar month of an instant."""
    if moment.tzinfo is not dt.UTC:
        moment = moment.astimezone(dt.UTC)
    return moment.year * 12 + moment.month - 1


def _date_month_key(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(key: int) -> dt.datetime:
    return dt.datetime(key // 12, key % 12 + 1, 1, tzinfo=dt.UTC)


#: The month key of December 9999, the last month a datetime can hold.
_LAST_KEY: Final = 9999 * 12 + 11


def _month_end(key: int) -> dt.datetime:
    """The last whole second of a month (Vault's ``end_time``)."""
    if key >= _LAST_KEY:
        # The next month's start, year 10000, is no datetime.
        return dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    return _month_start(key + 1) - dt.timedelta(seconds=1)


def _micros(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + (
        delta.microseconds
    )


def _from_micros(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def _check_aware(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidModelError(field, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidModelError(
            field, value, "must be a timezone-aware datetime"
        )
    return value


def _check_utc(field: str, value: object) -> dt.datetime:
    """An aware datetime converted to UTC, if UTC can hold it."""
    try:
        return _check_aware(field, value).astimezone(_UTC)
    except OverflowError:
        # 0001-01-01 at +05:00 is in year 0 in UTC, which has no datetime.
        rule = "must be an instant that UTC can represent (years 1..9999)"
        raise InvalidModelError(field, value, rule) from None


def _parse_bound(field: str, value: object) -> dt.date:
    """
    Return a report bound given as a date, an aware datetime or a string.

    Strings may be a month (``2025-03``), a date (``2025-03-01``) or an
    RFC 3339 datetime (``2025-03-01T12:00:00Z``); a month is its first day.

    Raises:
        InvalidModelError: The value is none of those.
    """
    if isinstance(value, dt.datetime):
        return _check_aware(field, value)
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


def _check_month_bound(field: str, value: object) -> int:
    if isinstance(value, dt.datetime):
        return _month_key(_check_aware(field, value))
    if isinstance(value, dt.date):
        return _date_month_key(value)
    raise InvalidModelError(
        field, value, "must be a date or a timezone-aware datetime"
    )


def _check_stored_id(client_id: str) -> None:
    check_id("client.id", client_id)


def _check_record(client: object, at: object) -> dt.datetime:
    """A record's client checked, and its time in UTC."""
    if type(client) is not Client:
        field, rule = "client", "must be a Client"
        raise InvalidModelError(field, client, rule)
    return _check_utc("at", at)


def _check_optional_non_negative(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidModelError(
            field, value, "must be None or a non-negative integer"
        )
    return value


def _check_optional_positive(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidModelError(
            field, value, "must be None or a positive integer"
        )
    return value


class _Month:
    """The records of one calendar month."""

    __slots__ = (
        "attributed",
        "created",
        "first_used",
        "index",
        "members",
        "sketches",
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
        # Sketch tier: set once the month passed its exact limit, with the
        # filter of clients already attributed to one of them.
        self.sketches: dict[int, HyperLogLog] | None = None
        self.attributed: AttributedFilter | None = None

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
        if self.sketches is not None:
            _require(not self.index)
            _require(self.attributed is not None)
            cast("AttributedFilter", self.attributed).check()
            return
        size = len(self.index)
        _require(len(self.slot_group) == size)
        _require(len(self.created) == size)
        _require(len(self.first_used) == size)
        for slot, client_id in enumerate(self.index):
            _require(self.index[client_id] == slot)
            _require(client_id in self.members[self.slot_group[slot]])
        _require(sum(map(len, self.members.values())) == size)
        for group, members in self.members.items():
            for client_id in members:
                _require(self.slot_group[self.index[client_id]] == group)
        _require(exact_limit is None or size <= exact_limit)

    def to_sketches(self, lg_k: int) -> None:
        """Replace the exact tier by one sketch per group."""
        sketches: dict[int, HyperLogLog] = {}
        # Room for as many clients again before the filter adds a stage.
        attributed = AttributedFilter(2 * len(self.index))
        for group, members in sorted(self.members.items()):
            if members:
                sketch = HyperLogLog(lg_k)
                sketch.update(sorted(members))
                sketches[group] = sketch
        for client_id in self.index:
            attributed.add(client_id)
        self.sketches = sketches
        self.attributed = attributed
        self.index = {}
        self.slot_group = array("i")
        self.created = array("q")
        self.first_used = array("q")
        self.members = {}


def _add_to_sketches(
    month: _Month, group: int, client_id: str, lg_k: int
) -> None:
    """Attribute a client of a sketched month, unless it already is."""
    if not client_id.isascii():
        _check_stored_id(client_id)
    # to_sketches() always sets both.
    attributed = cast("AttributedFilter", month.attributed)
    if not attributed.add(client_id):
        # First use in the month wins: the client counts in the group of
        # its first record, and only there.
        return
    sketches = cast("dict[int, HyperLogLog]", month.sketches)
    sketch = sketches.get(group)
    if sketch is None:
        sketch = sketches[group] = HyperLogLog(lg_k)
    sketch.add(client_id)


class _Tally:
    """A union under construction: exact IDs plus, maybe, a sketch."""

    __slots__ = ("exact", "sketch")

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.sketch: HyperLogLog | None = None

    def add_sketch(self, sketch: HyperLogLog) -> None:
        if self.sketch is None:
            self.sketch = sketch.copy()
        else:
            self.sketch.merge(sketch)

    def absorb(self, other: _Tally) -> None:
        self.exact |= other.exact
        if other.sketch is not None:
            self.add_sketch(other.sketch)

    def combined_sketch(self, lg_k: int) -> HyperLogLog:
        sketch = (
            HyperLogLog(lg_k) if self.sketch is None else self.sketch.copy()
        )
        sketch.update(sorted(self.exact))
        return sketch

    def count(self, std_devs: int, lg_k: int) -> Count:
        if self.sketch is None:
            return exact_count(len(self.exact))
        return _estimated(self.combined_sketch(lg_k), std_devs)


def _union_count(
    tallies: list[_Tally], std_devs: int, lg_k: int, *, disjoint: bool
) -> Count:
    """Count a union; *disjoint* exact tallies just add their sizes."""
    if not tallies:
        return ZERO
    if len(tallies) == 1:
        return tallies[0].count(std_devs, lg_k)
    if disjoint and all(tally.sketch is None for tally in tallies):
        return exact_count(sum(len(tally.exact) for tally in tallies))
    union = _Tally()
    for tally in tallies:
        union.absorb(tally)
    return union.count(std_devs, lg_k)


def _estimated(sketch: HyperLogLog, std_devs: int) -> Count:
    # The counter's rounding and bounds rules, shared rather than repeated.
    return ClientCounter.from_sketch(sketch).count(std_devs)


def _estimated_difference(
    after: HyperLogLog, before: HyperLogLog, most: Count, std_devs: int
) -> Count:
    """Estimate |after| - |before|, knowing it is at most ``most``."""
    value = max(0, round(after.estimate() - before.estimate()))
    value = min(value, most.upper_bound)
    lower = math.floor(
        after.lower_bound(std_devs) - before.upper_bound(std_devs)
    )
    upper = math.ceil(
        after.upper_bound(std_devs) - before.lower_bound(std_devs)
    )
    lower = min(max(0, lower), value)
    upper = max(min(upper, most.upper_bound), value)
    return Count(
        value=value,
        is_exact=False,
        lower_bound=lower,
        upper_bound=upper,
        std_devs=std_devs,
    )


@final
class ActivityLog:
    """
    Client activity per calendar month (UTC), and reports over it.

    Record every use of a client with :meth:`record`; per month, a client's
    first record (the earliest ``at``; among equal times, the first
    recorded) wins its attribution: namespace, mount and times.  Ask for
    counts with :meth:`report` and for Vault-style export records with
    :meth:`export`.

    The log knows namespaces and mounts only to label them and to scope
    reports; records may name namespaces and mounts it does not know, which
    are then reported as deleted, exactly as Vault labels them.

    Args:
        retention_months: How many months before the newest recorded month
            are kept, as Vault's ``retention_months`` counts them from the
            current month: with 48 and a newest month of May 2025, May 2021
            is the oldest month kept.  Older months are dropped when a newer
            month arrives, and records for them are discarded (and counted
            in :attr:`discarded_records`).  ``None`` keeps every month.
        namespaces: Namespaces to label and scope by; the root namespace is
            always known.
        mounts: Mounts (auth, PKI or KV) to label by accessor.
        exact_limit: Distinct clients a month holds exactly; past it, the
            month keeps one HyperLogLog sketch per namespace, mount and type
            instead, and counts touching it become estimates.  ``None``
            keeps every month exact.
        lg_k: The precision of those sketches.
        future_tolerance_months: How far, in months, a record may lie past
            the reference month: the newest month accepted so far, or the
            month of *now* if later.  A record further ahead (a clock-skewed
            node writing year 2999) is refused: not stored, counted in
            :attr:`future_records`, and it neither creates a month nor moves
            retention, so it cannot make the real months look expired.
            ``None`` accepts every month.
        now: The latest plausible time, if the caller knows it (the log
            has no clock): with it, even the very first record is checked
            against the tolerance.  Without it, the first record sets the
            reference month.

    Raises:
        InvalidModelError: An argument is out of range.
    """

    __slots__ = (
        "_discarded",
        "_exact_limit",
        "_future",
        "_group_numbers",
        "_groups",
        "_last_key",
        "_last_month",
        "_lg_k",
        "_months",
        "_mounts",
        "_namespaces",
        "_newest",
        "_reference",
        "_retention",
        "_tolerance",
    )

    def __init__(
        self,
        *,
        retention_months: int | None = DEFAULT_RETENTION_MONTHS,
        namespaces: Iterable[Namespace] = (),
        mounts: Iterable[AuthMount] = (),
        exact_limit: int | None = DEFAULT_EXACT_LIMIT_PER_MONTH,
        lg_k: int = DEFAULT_LG_K,
        future_tolerance_months: int | None = (
            DEFAULT_FUTURE_TOLERANCE_MONTHS
        ),
        now: dt.datetime | None = None,
    ) -> None:
        self._retention = _check_optional_positive(
            "retention_months", retention_months
        )
        self._tolerance = _check_optional_non_negative(
            "future_tolerance_months", future_tolerance_months
        )
        # The month future records are measured from: the newest accepted
        # month, or now's month if that is later.
        self._reference: int | None = (
            None if now is None else _month_key(_check_utc("now", now))
        )
        self._future = 0
        self._exact_limit = _check_optional_positive(
            "exact_limit", exact_limit
        )
        HyperLogLog(lg_k)  # Validates lg_k with the sketch's own error.
        self._lg_k = lg_k
        self._namespaces: dict[NamespaceId, Namespace] = {
            ROOT_NAMESPACE_ID: Namespace.root()
        }
        self._mounts: dict[str, AuthMount] = {}
        for namespace in namespaces:
            self.add_namespace(namespace)
        for mount in mounts:
            self.add_mount(mount)
        self._months: dict[int, _Month] = {}
        self._groups: list[_Group] = []
        self._group_numbers: dict[
            tuple[NamespaceId, MountAccessor | None, ClientType], int
        ] = {}
        self._newest: int | None = None
        self._last_key = -1
        self._last_month = _Month()
        self._discarded = 0

    def __repr__(self) -> str:
        return (
            f"<ActivityLog months={len(self._months)}"
            f" namespaces={len(self._namespaces)}"
            f" mounts={len(self._mounts)}>"
        )

    # -- what the log knows --------------------------------------------

    def add_namespace(self, namespace: Namespace) -> None:
        """
        Make a namespace known (or replace the one with its ID).
        """
        self._namespaces[namespace.id] = namespace

    def remove_namespace(self, namespace_id: NamespaceId) -> None:
        """
        Forget a namespace: its clients are reported as a deleted one's.

        Raises:
            InvalidModelError: The ID is root or not a known namespace.
        """
        if namespace_id == ROOT_NAMESPACE_ID:
            field, rule = "namespace_id", "must not be the root namespace"
            raise InvalidModelError(field, namespace_id, rule)
        if namespace_id not in self._namespaces:
            field, rule = "namespace_id", "must name a known namespace"
            raise InvalidModelError(field, namespace_id, rule)
        del self._namespaces[namespace_id]

    def add_mount(self, mount: AuthMount) -> None:
        """
        Make a mount known (or replace the one with its accessor).
        """
        self._mounts[mount.accessor] = mount

    def remove_mount(self, mount_accessor: MountAccessor) -> None:
        """
        Forget a mount: its clients are reported as a deleted mount's.

        Raises:
            InvalidModelError: The accessor is not a known mount's.
        """
        if mount_accessor not in self._mounts:
            field, rule = "mount_accessor", "must name a known mount"
            raise InvalidModelError(field, mount_accessor, rule)
        del self._mounts[mount_accessor]

    @property
    def months(self) -> tuple[dt.datetime, ...]:
        """
        The first instant of every month that holds records, oldest first.
        """
        return tuple(_month_start(key) for key in sorted(self._months))

    @property
    def discarded_records(self) -> int:
        """
        How many records were discarded for falling outside retention.
        """
        return self._discarded

    @property
    def future_records(self) -> int:
        """
        How many records were refused for lying too far in the future.

        See ``future_tolerance_months``; such records are not stored.
        """
        return self._future

    def is_exact_month(self, month: dt.date) -> bool:
        """
        Whether the month containing *month* is still held exactly.

        A month without records is exact.
        """
        key = _check_month_bound("month", month)
        stored = self._months.get(key)
        return stored is None or stored.sketches is None

    # -- recording -----------------------------------------------------

    def record(
        self,
        client: Client,
        at: dt.datetime,
        *,
        token_creation_time: dt.datetime | None = None,
    ) -> None:
        """
        Record one use of a client.

        The client counts in the UTC calendar month of *at*.  Within a
        month, the record with the earliest *at* wins the client's
        attribution (``client.namespace_id``, ``client.mount_accessor``,
        the times); among equal times, the first recorded wins.

        Args:
            client: The client, attributed as Vault attributes it (token's
                namespace, issuing mount); see
                :func:`clientid.client_for_token`.
            at: When the client was used; timezone-aware.
            token_creation_time: When the token was created (Vault's export
                ``timestamp`` / ``token_creation_time``).  Defaults to *at*.

        Raises:
            InvalidModelError: *at* or *token_creation_time* is not a
                timezone-aware datetime.

        Runtime: O(1) amortised.
        """
        # The common case (an aware UTC datetime, the month of the previous
        # record, a client already seen) avoids every call it can.
        if (
            type(at) is not dt.datetime
            or at.tzinfo is not _UTC
            or type(client) is not Client
        ):
            at = _check_record(client, at)
        delta = at - _EPOCH
        used = (delta.days * 86_400 + delta.seconds) * 1_000_000 + (
            delta.microseconds
        )
        created = (
            used
            if token_creation_time is None
            else _micros(
                _check_utc("token_creation_time", token_creation_time)
            )
        )
        key = at.year * 12 + at.month - 1
        if key == self._last_key:
            month = self._last_month
        else:
            found = self._month_for(key)
            if found is None:
                return
            month = found
        group_key = (client.namespace_id, client.mount_accessor, client.type)
        group = self._group_numbers.get(group_key)
        if group is None:
            group = self._new_group(client)
        client_id: str = client.id
        if month.sketches is not None:
            _add_to_sketches(month, group, client_id, self._lg_k)
            return
        slot = month.index.get(client_id)
        if slot is None:
            if not client_id.isascii():
                # A Client built with attrs' validators disabled can still
                # hold a lone surrogate, which no sketch can hash: refuse it
                # before anything is stored.
                _check_stored_id(client_id)
            size = month.insert(client_id, group, created, used)
            if self._exact_limit is not None and size > self._exact_limit:
                month.to_sketches(self._lg_k)
        elif used < month.first_used[slot]:
            month.reattribute(slot, client_id, group, created, used)

    def record_event(self, event: ClientEvent) -> None:
        """
        Record a :class:`~clientid.ClientEvent` from an ingest adapter.
        """
        self.record(
            event.client,
            event.at,
            token_creation_time=event.token_creation_time,
        )

    def record_secret_sync(
        self,
        association: SecretSyncAssociation,
        *,
        until: dt.datetime | None = None,
    ) -> None:
        """
        Record a secret-sync association in every month it is active.

        The synced secret is one client (whatever its destinations), active
        in every month from ``created_at`` through ``deleted_at``; for an
        association that is still active, through *until* (the log has no
        clock).  When both are set, the earlier one ends the activity.

        Raises:
            InvalidModelError: The association has no ``deleted_at`` and
                *until* is not given, or *until* is not timezone-aware or
                before ``created_at``.
        """
        end = association.deleted_at
        if until is not None:
            _check_aware("until", until)
            if until < association.created_at:
                field = "until"
                rule = "must not be before the association's created_at"
                raise InvalidModelError(field, until, rule)
            end = until if end is None else min(end, until)
        if end is None:
            field = "until"
            rule = "must be given for an association without deleted_at"
            raise InvalidModelError(field, until, rule)
        client = client_for_secret_sync(association)
        created = association.created_at
        for key in range(_month_key(created), _month_key(end) + 1):
            at = max(created, _month_start(key))
            self.record(client, at, token_creation_time=created)

    def _month_for(self, key: int) -> _Month | None:
        """The month to store a record in; ``None`` (counted) if none."""
        reference = self._reference
        if (
            self._tolerance is not None
            and reference is not None
            and key > reference + self._tolerance
        ):
            self._future += 1
            return None
        if reference is None or key > reference:
            self._reference = key
        retention = self._retention
        if self._newest is None or key > self._newest:
            self._newest = key
            if retention is not None:
                for old in [k for k in self._months if k < key - retention]:
                    del self._months[old]
        elif retention is not None and key < self._newest - retention:
            self._discarded += 1
            return None
        month = self._months.get(key)
        if month is None:
            month = self._months[key] = _Month()
        # Only this method drops months, and it always re-points the cache,
        # so the cached month is never one that was dropped.
        self._last_key = key
        self._last_month = month
        return month

    def _new_group(self, client: Client) -> int:
        number = len(self._groups)
        self._group_numbers[
            (client.namespace_id, client.mount_accessor, client.type)
        ] = number
        self._groups.append(
            (client.namespace_id, client.mount_accessor or "", client.type)
        )
        return number

    # -- labels and scope ----------------------------------------------

    def _namespace_label(self, namespace_id: NamespaceId) -> str:
        namespace = self._namespaces.get(namespace_id)
        if namespace is None:
            return deleted_namespace_label(namespace_id)
        return namespace.path

    def _mount_label(self, mount_accessor: str) -> tuple[str, str]:
        """Return a mount's path label and type (``""`` when unknown)."""
        if not mount_accessor:
            return NO_MOUNT_ACCESSOR_LABEL, ""
        mount = self._mounts.get(mount_accessor)
        if mount is None:
            return deleted_mount_label(mount_accessor), ""
        path = mount.path if mount.path.endswith("/") else mount.path + "/"
        return path, mount.type

    def _visible_namespaces(
        self, scope: NamespaceId
    ) -> set[NamespaceId] | None:
        """Namespace IDs a scope sees; ``None`` means every ID (root)."""
        if scope == ROOT_NAMESPACE_ID:
            return None
        top = self._namespaces[scope]
        return {
            namespace.id
            for namespace in self._namespaces.values()
            if namespace.is_descendant_or_self_of(top)
        }

    def namespace_for(self, id_or_path: str) -> NamespaceId:
        """
        Return the ID of a known namespace, named by its ID or its path.

        An ID wins over a path; a path may omit its trailing ``/``, and
        ``""`` or ``"/"`` is the root namespace.

        Raises:
            InvalidModelError: No known namespace has that ID or path.
        """
        if id_or_path in self._namespaces:
            return NamespaceId(id_or_path)
        path = id_or_path.strip("/")
        path = path + "/" if path else ""
        for namespace in self._namespaces.values():
            if namespace.path == path:
                return namespace.id
        field, rule = "namespace_id", "must name a known namespace"
        raise InvalidModelError(field, id_or_path, rule)

    def _check_range(
        self,
        start: dt.date | str,
        end: dt.date | str,
        namespace_id: NamespaceId | str,
    ) -> tuple[int, int, NamespaceId]:
        start = _parse_bound("start", start)
        end = _parse_bound("end", end)
        first = _check_month_bound("start", start)
        last = _check_month_bound("end", end)
        if first > last or (
            isinstance(start, dt.datetime)
            and isinstance(end, dt.datetime)
            and start > end
        ):
            field, rule = "start", f"must not be later than end ({end!r})"
            raise InvalidModelError(field, start, rule)
        scope: object = namespace_id
        if not isinstance(scope, str):
            field, rule = "namespace_id", "must be a namespace ID or path"
            raise InvalidModelError(field, scope, rule)
        return first, last, self.namespace_for(scope)

    # -- reporting -----------------------------------------------------

    def report(
        self,
        start: dt.date | str,
        end: dt.date | str,
        *,
        namespace_id: NamespaceId | str = ROOT_NAMESPACE_ID,
        limit_namespaces: int | None = None,
        std_devs: int = 2,
        scenario: Scenario | None = None,
    ) -> ActivityReport:
        """
        Count the clients of the whole months from *start* to *end*.

        Args:
            start: Any instant (or date) in the first month, or a string:
                ``2025-03``, ``2025-03-01`` or an RFC 3339 datetime.
            end: Any instant (or date) in the last month, or such a string.
            namespace_id: Count only this namespace and its descendants,
                named by its ID or its path (see :meth:`namespace_for`).
                Records of namespaces the log does not know (deleted ones)
                count only in root-scoped reports, as in Vault.
            limit_namespaces: Keep only the first N namespaces of
                ``by_namespace`` and recompute ``total`` from them.  Months
                and ``distinct`` are not limited.  ``None`` or 0 (Vault's
                default) mean no limit.
            std_devs: The confidence, in standard deviations (1, 2 or 3),
                of the bounds of estimated counts.
            scenario: Report the world as if this
                :class:`~clientid.Scenario` had held during the whole
                range: its steps edit every record of the range and the
                namespaces and mounts the log knows, then each client's
                first use of a month wins, and the report is made from
                the edited records (*namespace_id* is looked up among the
                edited namespaces).  The log itself is not changed.

        Returns:
            The report; see :class:`~clientid.ActivityReport`.

        Raises:
            InvalidModelError: *start* is after *end*, a bound is not a date
                or an aware datetime, *namespace_id* is unknown, or
                *limit_namespaces* or *std_devs* is out of range, or a
                scenario step names a namespace the log does not know.
            SketchedMonthError: The scenario maps client IDs and a month of
                the range holds only sketches.

        Runtime: O(records in the range) set operations, in C; with a
        scenario, O(records in the range) Python steps more.
        """
        if scenario is not None:
            given: object = scenario
            if not isinstance(given, Scenario):
                field, rule = "scenario", "must be a Scenario or None"
                raise InvalidModelError(field, given, rule)
            first, last, _ = self._check_range(start, end, ROOT_NAMESPACE_ID)
            return self._scenario_world(given, first, last).report(
                start,
                end,
                namespace_id=namespace_id,
                limit_namespaces=limit_namespaces,
                std_devs=std_devs,
            )
        first, last, scope = self._check_range(start, end, namespace_id)
        # Vault's default, 0, means "no limit"; only N > 0 limits.
        limit = _check_optional_positive(
            "limit_namespaces",
            None
            if type(limit_namespaces) is int and limit_namespaces == 0
            else limit_namespaces,
        )
        if std_devs not in _STD_DEVS or isinstance(std_devs, bool):
            field, rule = "std_devs", "must be 1, 2 or 3"
            raise InvalidModelError(field, std_devs, rule)
        return _ReportBuilder(self, scope, std_devs).build(first, last, limit)

    def _scenario_world(
        self, scenario: Scenario, first: int, last: int
    ) -> ActivityLog:
        """A log of the months *first*..*last* as the scenario edits them."""
        applied = scenario._applied_to(  # noqa: SLF001 (one layer, two modules)
            self._namespaces.values(), self._mounts.values()
        )
        world = ActivityLog(
            retention_months=None,
            namespaces=applied.namespaces,
            mounts=applied.mounts,
            exact_limit=None,
            lg_k=self._lg_k,
        )
        cells: dict[int, int | None] = {}

        def regrouped(group: int) -> int | None:
            if group not in cells:
                edited = applied.edit("", self._groups[group])
                cells[group] = (
                    None if edited is None else world._cell_number(edited[1])
                )
            return cells[group]

        for key in range(first, last + 1):
            month = self._months.get(key)
            if month is None:
                continue
            world._newest = key
            if month.sketches is not None:
                if applied.maps_clients:
                    operation = "apply a scenario that maps client IDs"
                    raise SketchedMonthError(_month_start(key), operation)
                world._months[key] = _regrouped_sketches(month, regrouped)
            elif applied.maps_clients:
                world._months[key] = self._edited_month(month, applied, world)
            else:
                world._months[key] = _regrouped_month(month, regrouped)
        return world

    def _edited_month(
        self, month: _Month, applied: _AppliedScenario, world: ActivityLog
    ) -> _Month:
        """Replay a month's records, edited; the first use wins again."""
        edited_month = _Month()
        for slot, client_id in enumerate(month.index):
            edited = applied.edit(
                client_id, self._groups[month.slot_group[slot]]
            )
            if edited is None:
                continue
            new_id, cell = edited
            group = world._cell_number(cell)
            created, used = month.created[slot], month.first_used[slot]
            found = edited_month.index.get(new_id)
            if found is None:
                edited_month.insert(new_id, group, created, used)
            elif used < edited_month.first_used[found]:
                edited_month.reattribute(found, new_id, group, created, used)
        return edited_month

    def _cell_number(self, cell: _Group) -> int:
        """The group number of an attribution cell, made if new."""
        namespace, accessor, client_type = cell
        key = (namespace, MountAccessor(accessor) or None, client_type)
        number = self._group_numbers.get(key)
        if number is None:
            number = len(self._groups)
            self._group_numbers[key] = number
            self._groups.append(cell)
        return number

    # -- export ----------------------------------------------------------

    def export(
        self,
        start: dt.date | str,
        end: dt.date | str,
        *,
        namespace_id: NamespaceId | str = ROOT_NAMESPACE_ID,
        entities: Iterable[Entity] = (),
        aliases: Iterable[EntityAlias] = (),
        groups: Iterable[Group] = (),
    ) -> tuple[ExportRecord, ...]:
        """
        Return Vault's export records for the whole months *start*..*end*.

        Months are walked oldest first and each client is exported once,
        with its first record in the range (namespace, mount, token creation
        time, first use), in the order clients were first recorded in each
        month.  Scoping follows :meth:`report`; unlike Vault 1.18, a client
        whose first record lies outside the scope is still exported with
        its first record inside it.

        The optional identity objects fill the fields Vault 1.18 added:
        entity and alias names, metadata, policies (the entity's) and the
        IDs of groups that list the entity as a member.

        Raises:
            InvalidModelError: As :meth:`report` does.
            SketchedMonthError: A month of the range fell back to sketches
                and no longer holds records.
        """
        first, last, scope = self._check_range(start, end, namespace_id)
        visible = self._visible_namespaces(scope)
        entity_by_id = {entity.id: entity for entity in entities}
        alias_by_key = {
            (alias.canonical_id, alias.mount_accessor): alias
            for alias in aliases
        }
        groups_by_entity: dict[str, list[str]] = {}
        for group in groups:
            for member in group.member_entity_ids:
                groups_by_entity.setdefault(member, []).append(group.id)
        exported: set[str] = set()
        records: list[ExportRecord] = []
        for key in range(first, last + 1):
            month = self._months.get(key)
            if month is None:
                continue
            if month.sketches is not None:
                raise SketchedMonthError(_month_start(key))
            for slot, client_id in enumerate(month.index):
                if client_id in exported:
                    continue
                namespace, accessor, client_type = self._groups[
                    month.slot_group[slot]
                ]
                if visible is not None and namespace not in visible:
                    continue
                exported.add(client_id)
                entity = entity_by_id.get(EntityId(client_id))
                alias = alias_by_key.get(
                    (EntityId(client_id), MountAccessor(accessor))
                )
                mount_path, mount_type = self._export_mount(
                    accessor,
                    has_entity=entity is not None,
                    has_alias=alias is not None,
                )
                records.append(
                    ExportRecord(
                        client_id=ClientId(client_id),
                        client_type=client_type,
                        namespace_id=namespace,
                        namespace_path=self._namespace_label(namespace),
                        mount_accessor=MountAccessor(accessor) or None,
                        mount_path=mount_path,
                        mount_type=mount_type,
                        token_creation_time=_from_micros(month.created[slot]),
                        client_first_used_time=_from_micros(
                            month.first_used[slot]
                        ),
                        entity_name=entity.name if entity else "",
                        entity_alias_name=alias.name if alias else "",
                        local_entity_alias=alias.local if alias else False,
                        policies=tuple(sorted(entity.policies))
                        if entity
                        else (),
                        entity_metadata=entity.metadata if entity else (),
                        entity_alias_metadata=alias.metadata if alias else (),
                        entity_alias_custom_metadata=alias.custom_metadata
                        if alias
                        else (),
                        entity_group_ids=tuple(
                            sorted(groups_by_entity.get(client_id, ()))
                        ),
                    )
                )
        return tuple(records)

    def _export_mount(
        self, accessor: str, *, has_entity: bool, has_alias: bool
    ) -> tuple[str, str]:
        """A record's mount path and type, as Vault 1.18's export sets them."""
        mount = self._mounts.get(accessor)
        if has_entity:
            # An entity's mount comes from its alias on the record's mount;
            # without one Vault leaves it blank.
            if not has_alias:
                return "", ""
            if mount is None:
                return deleted_mount_label(accessor), ""
        elif mount is None:
            return "", ""
        return mount.path, mount.type

    # -- invariants --------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant (for tests)."""
        _require(len(self._groups) == len(self._group_numbers))
        _require(len(self._groups) == len(self._group_numbers))
        for (
            namespace,
            accessor,
            client_type,
        ), number in self._group_numbers.items():
            _require(
                self._groups[number]
                == (namespace, accessor or "", client_type)
            )
        if self._last_key in self._months:
            _require(self._months[self._last_key] is self._last_month)
        if self._newest is not None:
            # Every accepted month moves the reference up to it.
            _require(self._reference is not None)
            _require(cast("int", self._reference) >= self._newest)
        for key, month in self._months.items():
            if self._retention is not None and self._newest is not None:
                _require(key >= self._newest - self._retention)
            month.check(self._exact_limit)

    # -- saving and loading ----------------------------------------------

    def to_bytes(self) -> bytes:
        """
        Serialize the whole log: settings, namespaces, mounts and months.

        The image is ``CIDA``, a version byte (1), a CRC-32 of the payload
        and its inflated length, then the zlib-compressed JSON of the
        state; sketched months keep their sketches (in clientid's binary
        format).  Equal logs give equal bytes, on every machine.

        Returns:
            The serialized log; :meth:`from_bytes` reads it back.

        Runtime: O(records held).
        """
        return frame(
            ACTIVITY_LOG_MAGIC, ACTIVITY_LOG_FORMAT_VERSION, self._document()
        )

    def _document(self) -> dict[str, object]:
        months: list[object] = []
        for key in sorted(self._months):
            month = self._months[key]
            if month.sketches is not None:
                months.append(
                    [
                        key,
                        {
                            "sketches": [
                                [group, _b64(sketch.to_bytes())]
                                for group, sketch in sorted(
                                    month.sketches.items()
                                )
                            ],
                            "attributed": _b64(
                                cast(
                                    "AttributedFilter", month.attributed
                                ).to_bytes()
                            ),
                        },
                    ]
                )
                continue
            months.append(
                [
                    key,
                    {
                        "ids": list(month.index),
                        "groups": month.slot_group.tolist(),
                        "created": month.created.tolist(),
                        "used": month.first_used.tolist(),
                        "member_groups": list(month.members),
                    },
                ]
            )
        return {
            "retention_months": self._retention,
            "exact_limit": self._exact_limit,
            "lg_k": self._lg_k,
            "future_tolerance_months": self._tolerance,
            "reference": self._reference,
            "future_records": self._future,
            "namespaces": [
                [ns.id, ns.path, ns.parent_id]
                for ns in self._namespaces.values()
                if ns.id != ROOT_NAMESPACE_ID
            ],
            "mounts": [
                [m.accessor, m.type, m.path, m.namespace_id, m.local]
                for m in self._mounts.values()
            ],
            "groups": [
                [namespace, accessor, client_type.value]
                for namespace, accessor, client_type in self._groups
            ],
            "newest": self._newest,
            "discarded": self._discarded,
            "months": months,
        }

    @classmethod
    def from_bytes(cls, data: bytes) -> ActivityLog:
        """
        Deserialize a log written by :meth:`to_bytes`.

        Raises:
            UnsupportedFormatError: The data is not an activity log image,
                or one of a format version this release cannot read.
            DecodeError: The image is truncated, corrupt (its checksum does
                not match) or inconsistent.
        """
        document = unframe(
            data,
            ACTIVITY_LOG_MAGIC,
            ACTIVITY_LOG_FORMAT_VERSION,
            "activity log",
        )
        try:
            log = cls._from_document(document)
        except (
            AssertionError,
            AttributeError,
            IndexError,
            KeyError,
            TypeError,
            ValueError,
            OverflowError,
        ) as exc:
            if isinstance(exc, DecodeError):
                raise
            msg = f"activity log image must hold a consistent log ({exc!r})"
            raise DecodeError([msg]) from exc
        return log

    @classmethod
    def _from_document(cls, document: object) -> ActivityLog:
        doc = cast("dict[str, Any]", document)
        log = cls(
            retention_months=doc["retention_months"],
            exact_limit=doc["exact_limit"],
            lg_k=_exact_type(doc["lg_k"], int),
            future_tolerance_months=doc["future_tolerance_months"],
            namespaces=[
                Namespace(
                    id=NamespaceId(_exact_type(ns_id, str)),
                    path=_exact_type(path, str),
                    parent_id=parent,
                )
                for ns_id, path, parent in doc["namespaces"]
            ],
            mounts=[
                AuthMount(
                    accessor=MountAccessor(_exact_type(accessor, str)),
                    type=_exact_type(mount_type, str),
                    path=_exact_type(path, str),
                    namespace_id=NamespaceId(_exact_type(namespace, str)),
                    local=_exact_type(local, bool),
                )
                for accessor, mount_type, path, namespace, local in doc[
                    "mounts"
                ]
            ],
        )
        for namespace, accessor, type_value in doc["groups"]:
            log._new_group(
                Client(
                    id=ClientId("-"),
                    type=ClientType(type_value),
                    namespace_id=NamespaceId(_exact_type(namespace, str)),
                    mount_accessor=MountAccessor(_exact_type(accessor, str))
                    or None,
                )
            )
        reference = doc["reference"]
        log._reference = (
            None if reference is None else _exact_type(reference, int)
        )
        log._future = _exact_type(doc["future_records"], int)
        _require(log._future >= 0)
        newest = doc["newest"]
        log._newest = None if newest is None else _exact_type(newest, int)
        log._discarded = _exact_type(doc["discarded"], int)
        for key, stored in doc["months"]:
            log._months[_exact_type(key, int)] = _month_from_document(
                stored, len(log._groups), log._lg_k
            )
        log._check()
        return log

    # -- sketches counted elsewhere ------------------------------------

    def record_sketch(
        self,
        month: dt.date,
        *,
        namespace_id: NamespaceId,
        mount_accessor: MountAccessor | None,
        client_type: ClientType,
        sketch: HyperLogLog | bytes | bytearray,
    ) -> None:
        """
        Record one group's clients of a month as a sketch made elsewhere.

        For counts made on another machine, such as Spark's
        ``hll_sketch_agg(client_id)`` grouped by month, namespace, mount and
        client type: *sketch* stands for the distinct clients attributed to
        (*namespace_id*, *mount_accessor*, *client_type*) in the month of
        *month*.  The month is held as sketches from then on, as when it
        passes its exact limit: records it already holds are sketched per
        group first, and a sketch for a group that has one is merged into
        it (a union: a client in both counts once).  Counts that touch the
        month are estimates with bounds, and :meth:`export` refuses it.

        First-record-wins cannot be enforced across sketches: a client in
        the sketches of two groups counts in both, so per-namespace counts,
        month counts and ``total`` can exceed the exact ones, while
        ``distinct`` (a union of every sketch) cannot.

        A sketch with a larger lg_k than the log's is down-sampled to the
        log's; one with a smaller lg_k keeps it, and so do the unions it
        enters.  An empty sketch records nothing.  A sketch for a month
        outside retention is discarded and counts as one discarded record;
        one too far in the future (see ``future_tolerance_months``) is
        refused and counts in :attr:`future_records`.

        Args:
            month: Any instant (timezone-aware) or date in the month.
            namespace_id: The namespace the clients are attributed to.
            mount_accessor: Their mount, or ``None`` for none.
            client_type: Their client type.
            sketch: A :class:`~clientid.HyperLogLog` (copied) or an Apache
                DataSketches HLL image, as Spark's ``hll_sketch_agg``
                writes it.

        Raises:
            InvalidModelError: *month* is not a date or an aware datetime,
                *namespace_id* or *mount_accessor* is empty, *client_type*
                is not a :class:`~clientid.ClientType`, or *sketch* is
                neither a sketch nor bytes.
            DecodeError: *sketch* is bytes but not a DataSketches HLL image.

        Runtime: O(2**lg_k).
        """
        key = _check_month_bound("month", month)
        # A stand-in client checks the attribution with Client's own
        # validators and keys the group exactly as record() keys it.
        stand_in = Client(
            id=ClientId("-"),
            type=self._checked_type(client_type),
            namespace_id=namespace_id,
            mount_accessor=mount_accessor,
        )
        stored = self._loaded_sketch(sketch).copy()
        if stored.lg_k > self._lg_k:
            # A merge into an empty sketch down-samples, as a union does.
            finer, stored = stored, HyperLogLog(self._lg_k)
            stored.merge(finer)
        if stored.is_empty():
            return
        stored_month = self._month_for(key)
        if stored_month is None:
            return
        if stored_month.sketches is None:
            stored_month.to_sketches(self._lg_k)
        # to_sketches() always leaves a dict behind.
        sketches = cast("dict[int, HyperLogLog]", stored_month.sketches)
        group = self._group_numbers.get(
            (namespace_id, mount_accessor, client_type)
        )
        if group is None:
            group = self._new_group(stand_in)
        existing = sketches.get(group)
        if existing is None:
            sketches[group] = stored
        else:
            existing.merge(stored)

    @staticmethod
    def _checked_type(client_type: object) -> ClientType:
        """The client type given to record_sketch(), checked."""
        if isinstance(client_type, ClientType):
            return client_type
        field, rule = "client_type", "must be a ClientType"
        raise InvalidModelError(field, client_type, rule)

    @staticmethod
    def _loaded_sketch(sketch: object) -> HyperLogLog:
        """The sketch given to record_sketch(), decoded if it is bytes."""
        if isinstance(sketch, HyperLogLog):
            return sketch
        if isinstance(sketch, (bytes, bytearray)):
            return HyperLogLog.from_datasketches(bytes(sketch))
        field = "sketch"
        rule = "must be a HyperLogLog or DataSketches HLL image bytes"
        raise InvalidModelError(field, sketch, rule)


class _ReportBuilder:
    """One report's computation over an :class:`ActivityLog`."""

    def __init__(
        self, log: ActivityLog, scope: NamespaceId, std_devs: int
    ) -> None:
        self.log = log
        self.scope = scope
        self.std_devs = std_devs
        self.lg_k = log._lg_k  # noqa: SLF001
        self.visible = log._visible_namespaces(scope)  # noqa: SLF001
        self.groups = log._groups  # noqa: SLF001
        # Each group's parts over the range, month by month.
        self.exact_parts: dict[int, list[set[str]]] = {}
        self.sketch_parts: dict[int, list[HyperLogLog]] = {}
        # Every client seen so far, and a sketch of them once a sketched
        # month made new-client counts estimates.
        self.seen: set[str] = set()
        self.seen_sketch: HyperLogLog | None = None
        # Whether no client is in two groups' unions over the range.
        self.disjoint = False

    def is_visible(self, group: int) -> bool:
        return self.visible is None or self.groups[group][0] in self.visible

    def build(
        self, first: int, last: int, limit: int | None
    ) -> ActivityReport:
        stored = [
            (key, self.log._months.get(key))  # noqa: SLF001
            for key in range(first, last + 1)
        ]
        distinct: Count | None
        if all(m is None or m.sketches is None for _, m in stored):
            months, tallies, distinct = self._exact_range(stored)
        else:
            months, tallies, distinct = self._mixed_range(stored)
        by_namespace = self._by_namespace(tallies)
        kept = by_namespace if limit is None else by_namespace[:limit]
        return ActivityReport(
            start_time=_month_start(first),
            end_time=_month_end(last),
            namespace_id=self.scope,
            total=add_client_counts(ns.counts for ns in kept),
            distinct=self._distinct(tallies, distinct),
            by_namespace=kept,
            months=tuple(months),
        )

    def _visible_parts(self, month: _Month) -> list[tuple[int, set[str]]]:
        return [
            (group, members)
            for group, members in sorted(month.members.items())
            if members and self.is_visible(group)
        ]

    def _exact_range(
        self, stored: list[tuple[int, _Month | None]]
    ) -> tuple[list[MonthActivity], dict[int, _Tally], Count]:
        """
        Count a range of exact months, group by group.

        Each group's union over the range is built month by month in a
        small set that stays in cache, and its growth is the group's new
        clients.  That is every client's global first month unless the
        client appears in several groups over the range; only those
        clients are then traced month by month across groups.
        """
        parts = [
            [] if month is None else self._visible_parts(month)
            for _, month in stored
        ]
        by_group: dict[int, list[tuple[int, set[str]]]] = {}
        for index, month_parts in enumerate(parts):
            for group, members in month_parts:
                by_group.setdefault(group, []).append((index, members))
        tallies: dict[int, _Tally] = {}
        growth: dict[tuple[int, int], int] = {}
        everyone: set[str] = set()
        shared: set[str] = set()
        for group, group_parts in sorted(by_group.items()):
            tally = tallies[group] = _Tally()
            if len(group_parts) == 1:
                # Shared with the month, never mutated: tallies are only
                # read or copied.
                index, members = group_parts[0]
                tally.exact = members
                growth[index, group] = len(members)
            else:
                union: set[str] = set()
                for index, members in group_parts:
                    before = len(union)
                    union |= members
                    growth[index, group] = len(union) - before
                tally.exact = union
            shared |= tally.exact & everyone
            everyone |= tally.exact
        if shared:
            self._trace_shared(parts, shared, growth)
        else:
            # No client is in two groups: every union of groups is a sum.
            self.disjoint = True
        months = [
            self._month(
                key,
                {g: exact_count(len(m)) for g, m in month_parts},
                {g: exact_count(growth[i, g]) for g, _ in month_parts},
            )
            for i, ((key, _), month_parts) in enumerate(
                zip(stored, parts, strict=True)
            )
        ]
        return months, tallies, exact_count(len(everyone))

    @staticmethod
    def _trace_shared(
        parts: list[list[tuple[int, set[str]]]],
        shared: set[str],
        growth: dict[tuple[int, int], int],
    ) -> None:
        """
        Correct new-client counts for clients seen in several groups.

        A group's growth counted such a client in its first month in that
        group; it is new only in its first month overall.
        """
        seen: set[str] = set()
        seen_in_group: dict[int, set[str]] = {}
        for index, month_parts in enumerate(parts):
            for group, members in month_parts:
                mine = members & shared
                if not mine:
                    continue
                local = seen_in_group.setdefault(group, set())
                growth[index, group] += len(mine - seen) - len(mine - local)
                local |= mine
            for _, members in month_parts:
                seen |= members & shared

    def _mixed_range(
        self, stored: list[tuple[int, _Month | None]]
    ) -> tuple[list[MonthActivity], dict[int, _Tally], Count | None]:
        """Count a range with sketched months, month by month."""
        months: list[MonthActivity] = []
        for key, month in stored:
            counts: dict[int, Count] = {}
            new: dict[int, Count] = {}
            if month is not None and month.sketches is None:
                self._add_exact_month(month, counts, new)
            elif month is not None and month.sketches is not None:
                self._add_sketched_month(month.sketches, counts, new)
            months.append(self._month(key, counts, new))
        exact_seen = self.seen if self.seen_sketch is None else None
        distinct = None if exact_seen is None else exact_count(len(exact_seen))
        return months, self._tallies(), distinct

    def _add_exact_month(
        self, month: _Month, counts: dict[int, Count], new: dict[int, Count]
    ) -> None:
        parts = self._visible_parts(month)
        for group, members in parts:
            self.exact_parts.setdefault(group, []).append(members)
            counts[group] = exact_count(len(members))
        if self.seen_sketch is None:
            # Groups are disjoint within a month, so the growth of the set
            # of clients seen so far is each group's new clients.
            seen = self.seen
            for group, members in parts:
                before = len(seen)
                seen |= members
                new[group] = exact_count(len(seen) - before)
        else:
            self.seen_sketch = self._estimate_new(
                self.seen_sketch,
                {g: (sorted(members), counts[g]) for g, members in parts},
                new,
            )

    def _add_sketched_month(
        self,
        month_sketches: dict[int, HyperLogLog],
        counts: dict[int, Count],
        new: dict[int, Count],
    ) -> None:
        sketches = {
            group: sketch
            for group, sketch in sorted(month_sketches.items())
            if self.is_visible(group)
        }
        for group, sketch in sketches.items():
            self.sketch_parts.setdefault(group, []).append(sketch)
            counts[group] = _estimated(sketch, self.std_devs)
        if self.seen_sketch is None:
            self.seen_sketch = HyperLogLog(self.lg_k)
            self.seen_sketch.update(sorted(self.seen))
        self.seen_sketch = self._estimate_new(
            self.seen_sketch,
            {g: (s, counts[g]) for g, s in sketches.items()},
            new,
        )

    def _tallies(self) -> dict[int, _Tally]:
        """Each group's union over the range, taken group by group."""
        tallies: dict[int, _Tally] = {}
        for group in sorted({*self.exact_parts, *self.sketch_parts}):
            tally = tallies[group] = _Tally()
            exact = self.exact_parts.get(group, [])
            if len(exact) == 1:
                # Shared with the month, never mutated: tallies are only
                # read or copied.
                tally.exact = exact[0]
            elif exact:
                tally.exact = exact[0].union(*exact[1:])
            for sketch in self.sketch_parts.get(group, ()):
                tally.add_sketch(sketch)
        return tallies

    def _estimate_new(
        self,
        seen: HyperLogLog,
        parts: dict[int, tuple[HyperLogLog | list[str], Count]],
        new: dict[int, Count],
    ) -> HyperLogLog:
        """Estimate each group's new clients as Vault 1.18 does."""
        running = seen.copy()
        for group, (part, size) in parts.items():
            before = running.copy()
            if isinstance(part, HyperLogLog):
                running.merge(part)
            else:
                running.update(part)
            new[group] = _estimated_difference(
                running, before, size, self.std_devs
            )
        return running

    def _month(
        self, key: int, counts: dict[int, Count], new: dict[int, Count]
    ) -> MonthActivity:
        namespaces = self._namespaces_of(counts)
        new_namespaces = self._namespaces_of(
            {group: count for group, count in new.items() if count.value}
        )
        return MonthActivity(
            timestamp=_month_start(key),
            counts=add_client_counts(ns.counts for ns in namespaces),
            namespaces=namespaces,
            new_clients=NewClients(
                counts=add_client_counts(ns.counts for ns in new_namespaces),
                namespaces=new_namespaces,
            ),
        )

    def _namespaces_of(
        self, counts: dict[int, Count]
    ) -> tuple[NamespaceCounts, ...]:
        """Namespace entries from disjoint per-group counts (one month)."""
        layout = self._layout(counts)
        entries = []
        for namespace, mounts in layout.items():
            mount_entries = []
            for (label, mount_type), groups in mounts.items():
                by_type: dict[ClientType, list[Count]] = {}
                for group in groups:
                    by_type.setdefault(self.groups[group][2], []).append(
                        counts[group]
                    )
                mount_entries.append(
                    self._mount_entry(
                        label,
                        mount_type,
                        groups,
                        {t: sum_counts(c) for t, c in by_type.items()},
                    )
                )
            entries.append(self._namespace_entry(namespace, mount_entries))
        return _sorted_namespaces(entries)

    def _layout(
        self, groups: Iterable[int]
    ) -> dict[NamespaceId, dict[tuple[str, str], list[int]]]:
        """Groups by namespace, then by mount label."""
        layout: dict[NamespaceId, dict[tuple[str, str], list[int]]] = {}
        for group in sorted(groups):
            namespace, accessor, _ = self.groups[group]
            label = self.log._mount_label(accessor)  # noqa: SLF001
            layout.setdefault(namespace, {}).setdefault(label, []).append(
                group
            )
        return layout

    def _mount_entry(
        self,
        label: str,
        mount_type: str,
        groups: list[int],
        by_type: dict[ClientType, Count],
    ) -> MountCounts:
        accessors = sorted({self.groups[g][1] for g in groups} - {""})
        return MountCounts(
            mount_path=label,
            mount_type=mount_type,
            mount_accessors=tuple(MountAccessor(a) for a in accessors),
            counts=ClientCounts.from_types(by_type),
        )

    def _namespace_entry(
        self, namespace: NamespaceId, mounts: list[MountCounts]
    ) -> NamespaceCounts:
        return NamespaceCounts(
            namespace_id=namespace,
            namespace_path=self.log._namespace_label(namespace),  # noqa: SLF001
            counts=add_client_counts(m.counts for m in mounts),
            mounts=_sorted_mounts(mounts),
        )

    def _by_namespace(
        self, tallies: dict[int, _Tally]
    ) -> tuple[NamespaceCounts, ...]:
        """Per-namespace and per-mount unions over the range."""
        std_devs, lg_k = self.std_devs, self.lg_k
        entries = []
        for namespace, mounts in self._layout(tallies).items():
            mount_entries = []
            namespace_types: dict[ClientType, list[_Tally]] = {}
            for (label, mount_type), groups in mounts.items():
                by_type: dict[ClientType, list[_Tally]] = {}
                for group in groups:
                    client_type = self.groups[group][2]
                    by_type.setdefault(client_type, []).append(tallies[group])
                    namespace_types.setdefault(client_type, []).append(
                        tallies[group]
                    )
                mount_entries.append(
                    self._mount_entry(
                        label,
                        mount_type,
                        groups,
                        {
                            t: _union_count(
                                parts, std_devs, lg_k, disjoint=self.disjoint
                            )
                            for t, parts in by_type.items()
                        },
                    )
                )
            entries.append(
                NamespaceCounts(
                    namespace_id=namespace,
                    namespace_path=self.log._namespace_label(namespace),  # noqa: SLF001
                    counts=ClientCounts.from_types(
                        {
                            t: _union_count(
                                parts, std_devs, lg_k, disjoint=self.disjoint
                            )
                            for t, parts in namespace_types.items()
                        }
                    ),
                    mounts=_sorted_mounts(mount_entries),
                )
            )
        return _sorted_namespaces(entries)

    def _distinct(
        self, tallies: dict[int, _Tally], every: Count | None
    ) -> ClientCounts:
        """Distinct clients per type, and overall (*every* if known)."""
        std_devs, lg_k = self.std_devs, self.lg_k
        by_type: dict[ClientType, list[_Tally]] = {}
        for group, tally in sorted(tallies.items()):
            by_type.setdefault(self.groups[group][2], []).append(tally)
        counts = ClientCounts.from_types(
            {
                client_type: _union_count(
                    parts, std_devs, lg_k, disjoint=self.disjoint
                )
                for client_type, parts in by_type.items()
            }
        )
        if every is None:
            every = _union_count(
                list(tallies.values()), std_devs, lg_k, disjoint=False
            )
        return attrs.evolve(counts, clients=every)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _exact_type(value: object, kind: type[_T]) -> _T:
    """Return *value* if it is exactly of *kind* (``bool`` is no ``int``)."""
    if not isinstance(value, kind) or type(value) is not kind:
        msg = f"must be {kind.__name__}, got {value!r}"
        raise TypeError(msg)
    return value


def _month_from_document(stored: object, groups: int, lg_k: int) -> _Month:
    """Rebuild one month of a saved log."""
    doc = cast("dict[str, Any]", stored)
    month = _Month()
    if "sketches" in doc:
        sketches: dict[int, HyperLogLog] = {}
        for group, image in doc["sketches"]:
            sketch = HyperLogLog.from_bytes(
                base64.b64decode(_exact_type(image, str), validate=True)
            )
            _require(0 <= _exact_type(group, int) < groups)
            _require(sketch.lg_k <= lg_k)
            sketches[group] = sketch
        month.sketches = sketches
        month.attributed = AttributedFilter.from_bytes(
            base64.b64decode(
                _exact_type(doc["attributed"], str), validate=True
            )
        )
        return month
    ids = [_exact_type(client_id, str) for client_id in doc["ids"]]
    month.index = {client_id: slot for slot, client_id in enumerate(ids)}
    month.slot_group = array("i", doc["groups"])
    month.created = array("q", doc["created"])
    month.first_used = array("q", doc["used"])
    for group in doc["member_groups"]:
        _require(0 <= _exact_type(group, int) < groups)
        month.members[group] = set()
    for client_id, group in zip(ids, month.slot_group, strict=False):
        _require(0 <= group < groups)
        month.members[group].add(client_id)
    return month


def _regrouped_month(
    month: _Month, regrouped: Callable[[int], int | None]
) -> _Month:
    """A month whose records are moved (or dropped) cell by cell."""
    moved = {group: regrouped(group) for group in month.members}
    targets = {g: t for g, t in moved.items() if t is not None}
    edited = _Month()
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


def _regrouped_sketches(
    month: _Month, regrouped: Callable[[int], int | None]
) -> _Month:
    """A sketched month whose cells are moved: unions of their sketches."""
    sketches = cast("dict[int, HyperLogLog]", month.sketches)
    edited = _Month()
    # A private, read-only view: it shares the month's attributed clients.
    edited.attributed = month.attributed
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
    edited.sketches = unions
    return edited


def _require(condition: bool) -> None:  # noqa: FBT001
    if not condition:
        raise AssertionError


def _sorted_mounts(mounts: Iterable[MountCounts]) -> tuple[MountCounts, ...]:
    return tuple(
        sorted(mounts, key=lambda m: (-m.counts.clients.value, m.mount_path))
    )


def _sorted_namespaces(
    namespaces: Iterable[NamespaceCounts],
) -> tuple[NamespaceCounts, ...]:
    return tuple(
        sorted(
            namespaces,
            key=lambda ns: (-ns.counts.clients.value, ns.namespace_id),
        )
    )
