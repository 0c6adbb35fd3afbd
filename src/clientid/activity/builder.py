"""
One report's computation over the months of an activity log.

:class:`ReportBuilder` turns the stored months of a range into an
:class:`~clientid.ActivityReport`: per month, the counts of each
attribution group and its new clients; over the range, each group's union
(a :class:`_Tally`: exact IDs, and a sketch once a month is sketched),
summed per mount and namespace, and the distinct clients per type.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import attrs

from clientid.activity.months import month_end, month_start
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
from clientid.count.counter import ClientCounter, Count
from clientid.model.ids import ClientType, MountAccessor, NamespaceId
from clientid.sketch.hll import HyperLogLog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from clientid.activity.months import AttributionGroup, Month

__all__ = ["ReportBuilder"]


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


class ReportBuilder:
    """One report's computation over the months of an activity log."""

    def __init__(
        self,
        *,
        months: dict[int, Month],
        groups: list[AttributionGroup],
        lg_k: int,
        visible: set[NamespaceId] | None,
        namespace_label: Callable[[NamespaceId], str],
        mount_label: Callable[[str], tuple[str, str]],
        scope: NamespaceId,
        std_devs: int,
    ) -> None:
        self.months = months
        self.groups = groups
        self.lg_k = lg_k
        # The namespace IDs the scope sees; None means every ID (root).
        self.visible = visible
        self.namespace_label = namespace_label
        self.mount_label = mount_label
        self.scope = scope
        self.std_devs = std_devs
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
        """Whether the scope sees the group's namespace."""
        return self.visible is None or self.groups[group][0] in self.visible

    def build(
        self, first: int, last: int, limit: int | None
    ) -> ActivityReport:
        """The report of the months *first*..*last* (keys)."""
        stored = [
            (key, self.months.get(key)) for key in range(first, last + 1)
        ]
        distinct: Count | None
        if all(m is None or not m.sketched for _, m in stored):
            months, tallies, distinct = self._exact_range(stored)
        else:
            months, tallies, distinct = self._mixed_range(stored)
        by_namespace = self._by_namespace(tallies)
        kept = by_namespace if limit is None else by_namespace[:limit]
        return ActivityReport(
            start_time=month_start(first),
            end_time=month_end(last),
            namespace_id=self.scope,
            total=add_client_counts(ns.counts for ns in kept),
            distinct=self._distinct(tallies, distinct),
            by_namespace=kept,
            months=tuple(months),
        )

    def _visible_parts(self, month: Month) -> list[tuple[int, set[str]]]:
        return [
            (group, members)
            for group, members in sorted(month.members.items())
            if members and self.is_visible(group)
        ]

    def _exact_range(
        self, stored: list[tuple[int, Month | None]]
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
        self, stored: list[tuple[int, Month | None]]
    ) -> tuple[list[MonthActivity], dict[int, _Tally], Count | None]:
        """Count a range with sketched months, month by month."""
        months: list[MonthActivity] = []
        for key, month in stored:
            counts: dict[int, Count] = {}
            new: dict[int, Count] = {}
            if month is not None and not month.sketched:
                self._add_exact_month(month, counts, new)
            elif month is not None:
                self._add_sketched_month(
                    cast("dict[int, HyperLogLog]", month.sketches), counts, new
                )
            months.append(self._month(key, counts, new))
        exact_seen = self.seen if self.seen_sketch is None else None
        distinct = None if exact_seen is None else exact_count(len(exact_seen))
        return months, self._tallies(), distinct

    def _add_exact_month(
        self, month: Month, counts: dict[int, Count], new: dict[int, Count]
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
                {
                    g: (sorted(members), counts[g])
                    for g, members in sorted(parts, key=self._group_order)
                },
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
            for group, sketch in sorted(
                month_sketches.items(), key=self._group_order
            )
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

    def _group_order(self, item: tuple[int, object]) -> tuple[str, str, str]:
        """
        Order a group's item by what the group names, not by its number.

        Numbers follow the order groups were first recorded in, and the
        order groups join the running sketch of new clients moves their
        estimates; so that order is the groups' own.
        """
        namespace, accessor, client_type = self.groups[item[0]]
        return namespace, accessor, client_type.value

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
            timestamp=month_start(key),
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
            label = self.mount_label(accessor)
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
            namespace_path=self.namespace_label(namespace),
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
                    namespace_path=self.namespace_label(namespace),
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
