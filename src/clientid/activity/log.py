"""
The activity log: client activity per calendar month, and reports over it.

Storage is built at record time so that a report is a few set unions, not a
rescan of every record: each month keeps its first record per client (in
record order, for exports) and, per attribution group (namespace, mount,
client type), the set of its client IDs.  A month that grows past
``exact_limit`` clients replaces its sets by one HyperLogLog sketch per
group; reports that touch it are then estimates, with bounds.

:class:`ActivityLog` is the public face; its machinery lives beside it in
:mod:`clientid.activity`: the state and its primitives in ``state``, the
months in ``months``, reports in ``builder``, exports in ``export``, saved
images in ``image`` and scenario worlds in ``world``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final, final

from clientid.activity.builder import ReportBuilder
from clientid.activity.export import ExportPart
from clientid.activity.image import ImagePart
from clientid.activity.months import (
    EPOCH,
    UTC,
    add_to_sketches,
    check_aware,
    check_month_bound,
    check_optional_positive,
    check_record,
    check_stored_id,
    check_utc,
    micros,
    month_key,
    month_start,
    parse_bound,
)
from clientid.activity.scenario import Scenario
from clientid.activity.state import checked_type, loaded_sketch
from clientid.activity.world import WorldPart
from clientid.errors import InvalidModelError
from clientid.identity.resolve import client_for_secret_sync
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import Client
from clientid.sketch.hll import HyperLogLog

if TYPE_CHECKING:
    from collections.abc import Iterable

    from clientid.activity.report import ActivityReport
    from clientid.formats.export import ExportRecord
    from clientid.model.events import ClientEvent
    from clientid.model.records import (
        AuthMount,
        Entity,
        EntityAlias,
        Group,
        Namespace,
        SecretSyncAssociation,
    )

__all__ = ["ActivityLog"]

_STD_DEVS: Final = (1, 2, 3)


def _created_micros(token_creation_time: dt.datetime) -> int:
    """Check a token creation time and return it in Unix microseconds."""
    if (
        type(token_creation_time) is not dt.datetime
        or token_creation_time.tzinfo is not UTC
    ):
        # Else check_utc would return it unchanged: skip its calls.
        token_creation_time = check_utc(
            "token_creation_time", token_creation_time
        )
    return micros(token_creation_time)


@final
class ActivityLog(ImagePart, ExportPart, WorldPart):
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

    __slots__ = ()

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
        return tuple(month_start(key) for key in sorted(self._months))

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
        key = check_month_bound("month", month)
        stored = self._months.get(key)
        return stored is None or not stored.sketched

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
            or at.tzinfo is not UTC
            or type(client) is not Client
        ):
            at = check_record(client, at)
        delta = at - EPOCH
        used = (delta.days * 86_400 + delta.seconds) * 1_000_000 + (
            delta.microseconds
        )
        created = (
            used
            if token_creation_time is None
            else _created_micros(token_creation_time)
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
        if month.attributed is not None:
            add_to_sketches(month, group, client_id, used)
            return
        slot = month.index.get(client_id)
        if slot is None:
            if not client_id.isascii():
                # A Client built with attrs' validators disabled can still
                # hold a lone surrogate, which no sketch can hash: refuse it
                # before anything is stored.
                check_stored_id(client_id)
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
            check_aware("until", until)
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
        for key in range(month_key(created), month_key(end) + 1):
            at = max(created, month_start(key))
            self.record(client, at, token_creation_time=created)

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
        start = parse_bound("start", start)
        end = parse_bound("end", end)
        first = check_month_bound("start", start)
        last = check_month_bound("end", end)
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
        limit = check_optional_positive(
            "limit_namespaces",
            None
            if type(limit_namespaces) is int and limit_namespaces == 0
            else limit_namespaces,
        )
        if std_devs not in _STD_DEVS or isinstance(std_devs, bool):
            field, rule = "std_devs", "must be 1, 2 or 3"
            raise InvalidModelError(field, std_devs, rule)
        return ReportBuilder(
            months=self._months,
            groups=self._groups,
            lg_k=self._lg_k,
            visible=self._visible_namespaces(scope),
            namespace_label=self._namespace_label,
            mount_label=self._mount_label,
            scope=scope,
            std_devs=std_devs,
        ).build(first, last, limit)

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
        return self._export_records(
            first,
            last,
            scope,
            entities=entities,
            aliases=aliases,
            groups=groups,
        )

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
        return self._image()

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
        return cls._from_image(data)

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
        key = check_month_bound("month", month)
        # A stand-in client checks the attribution with Client's own
        # validators and keys the group exactly as record() keys it.
        stand_in = Client(
            id=ClientId("-"),
            type=checked_type(client_type),
            namespace_id=namespace_id,
            mount_accessor=mount_accessor,
        )
        stored = loaded_sketch(sketch).copy()
        if stored.lg_k > self._lg_k:
            # A merge into an empty sketch down-samples, as a union does.
            finer, stored = stored, HyperLogLog(self._lg_k)
            stored.merge(finer)
        if stored.is_empty():
            return
        stored_month = self._month_for(key)
        if stored_month is None:
            return
        if not stored_month.sketched:
            stored_month.to_sketches(self._lg_k)
        group = self._group_numbers.get(
            (namespace_id, mount_accessor, client_type)
        )
        if group is None:
            group = self._new_group(stand_in)
        stored_month.import_sketch(group, stored)
