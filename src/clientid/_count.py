"""
Counting distinct clients: the counter protocol, counts and the hybrid counter.

:class:`ClientCounter` keeps client IDs exactly, in an
:class:`~clientid.ExactClientSet`, until it holds more than its
``exact_limit``; then it moves them into a
:class:`~clientid.HyperLogLog` and keeps counting there.  It never drops a
client: every :class:`Count` it returns says whether it is exact and, if it
is not, gives error bounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Self, final

import attrs

from .errors import InvalidModelError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Count", "DistinctCounter"]


class DistinctCounter(Protocol):
    """
    What every distinct counter in clientid offers.

    :class:`~clientid.HyperLogLog`, :class:`~clientid.ExactClientSet` and
    :class:`~clientid.ClientCounter` all satisfy it, so code that only adds
    IDs, unions counters and reads an estimate works with any of them.
    """

    def add(self, client_id: str) -> None:
        """
        Count one client ID.
        """

    def update(self, client_ids: Iterable[str]) -> None:
        """
        Count every client ID of an iterable.
        """

    def union(self, *others: Self) -> Self:
        """
        Return a new counter of the IDs counted by this and every other.
        """

    def estimate(self) -> float:
        """
        Return the (possibly estimated) number of distinct IDs counted.
        """


def _check_count(instance: Count, _: attrs.Attribute[Any], __: int) -> None:
    """Check the relations between the fields of a count."""
    value = instance.value
    lower = instance.lower_bound
    upper = instance.upper_bound
    std_devs = instance.std_devs
    if not 0 <= lower <= value <= upper:
        field = "lower_bound, value, upper_bound"
        rule = "must satisfy 0 <= lower_bound <= value <= upper_bound"
        raise InvalidModelError(field, (lower, value, upper), rule)
    if std_devs < 0:
        field, rule = "std_devs", "must not be negative"
        raise InvalidModelError(field, std_devs, rule)
    if instance.is_exact and (lower != upper or std_devs != 0):
        field = "is_exact"
        rule = "needs lower_bound == value == upper_bound and std_devs == 0"
        raise InvalidModelError(field, (lower, value, upper, std_devs), rule)


@final
@attrs.frozen(kw_only=True)
class Count:
    """
    A number of distinct clients, and how sure it is.

    An exact count has ``lower_bound == value == upper_bound`` and
    ``std_devs == 0``.  An estimated count comes from a sketch: ``value`` is
    the estimate rounded to the nearest integer, and the true number lies
    between the bounds with the confidence of ``std_devs`` standard
    deviations (about 68.3 %, 95.4 % and 99.7 % for 1, 2 and 3).

    Attributes:
        value: The exact count, or the estimate rounded to the nearest
            integer.
        is_exact: Whether ``value`` is exact.
        lower_bound: ``value`` when exact, else the floor of the lower
            bound (never below 0).
        upper_bound: ``value`` when exact, else the ceiling of the upper
            bound.
        std_devs: The number of standard deviations the bounds are for
            (0 when exact).
    """

    value: int
    is_exact: bool
    lower_bound: int
    upper_bound: int
    std_devs: int = attrs.field(validator=_check_count)
