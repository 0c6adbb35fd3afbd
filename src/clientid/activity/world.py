"""
The world a scenario describes: a log of a range's months, as edited.

:meth:`ActivityLog.report` with a ``scenario`` builds such a log and
reports on it; the log itself is never changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from clientid.activity.months import (
    Month,
    month_start,
    regrouped_month,
    regrouped_sketches,
)
from clientid.activity.state import LogState
from clientid.errors import SketchedMonthError

if TYPE_CHECKING:
    from clientid.activity.scenario import Scenario, _AppliedScenario

__all__ = ["WorldPart"]


class WorldPart(LogState):
    """A scenario applied to the log's months, in a new log."""

    __slots__ = ()

    def _scenario_world(
        self, scenario: Scenario, first: int, last: int
    ) -> Self:
        """A log of the months *first*..*last* as the scenario edits them."""
        applied = scenario._applied_to(  # noqa: SLF001 (one layer, two modules)
            self._namespaces.values(), self._mounts.values()
        )
        world: Self = type(self)(
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
            if month.sketched:
                if applied.maps_clients:
                    operation = "apply a scenario that maps client IDs"
                    raise SketchedMonthError(month_start(key), operation)
                world._months[key] = regrouped_sketches(month, regrouped)
            elif applied.maps_clients:
                world._months[key] = self._edited_month(month, applied, world)
            else:
                world._months[key] = regrouped_month(month, regrouped)
        return world

    def _edited_month(
        self, month: Month, applied: _AppliedScenario, world: Self
    ) -> Month:
        """Replay a month's records, edited; the first use wins again."""
        edited_month = Month()
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
