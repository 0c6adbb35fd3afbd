"""
What an activity log holds, and the primitives every part of it builds on.

:class:`LogState` owns the log's settings, the namespaces and mounts it
knows (and Vault's labels for those it does not), the numbering of
attribution groups, and the months; :meth:`LogState._month_for` is the one
place months are created and dropped (retention, future tolerance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

from clientid.activity.months import (
    Month,
    check_optional_non_negative,
    check_optional_positive,
    check_utc,
    month_key,
    require,
)
from clientid.errors import InvalidModelError
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import AuthMount, Client, Namespace
from clientid.sketch.hll import HyperLogLog

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from clientid.activity.months import AttributionGroup

__all__ = [
    "DEFAULT_EXACT_LIMIT_PER_MONTH",
    "DEFAULT_FUTURE_TOLERANCE_MONTHS",
    "DEFAULT_LG_K",
    "DEFAULT_RETENTION_MONTHS",
    "NO_MOUNT_ACCESSOR_LABEL",
    "LogState",
    "checked_type",
    "deleted_mount_label",
    "deleted_namespace_label",
    "loaded_sketch",
]

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
#: Vault's label for clients recorded without a mount accessor.
NO_MOUNT_ACCESSOR_LABEL: Final = "no mount accessor (pre-1.10 upgrade?)"

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


class LogState:
    """
    The state of an :class:`~clientid.ActivityLog`, and its primitives.

    The arguments are :class:`~clientid.ActivityLog`'s.
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
        self._retention = check_optional_positive(
            "retention_months", retention_months
        )
        self._tolerance = check_optional_non_negative(
            "future_tolerance_months", future_tolerance_months
        )
        # The month future records are measured from: the newest accepted
        # month, or now's month if that is later.
        self._reference: int | None = (
            None if now is None else month_key(check_utc("now", now))
        )
        self._future = 0
        self._exact_limit = check_optional_positive("exact_limit", exact_limit)
        HyperLogLog(lg_k)  # Validates lg_k with the sketch's own error.
        self._lg_k = lg_k
        self._namespaces: dict[NamespaceId, Namespace] = {
            ROOT_NAMESPACE_ID: Namespace.root()
        }
        self._mounts: dict[str, AuthMount] = {}
        for namespace in namespaces:
            self._namespaces[namespace.id] = namespace
        for mount in mounts:
            self._mounts[mount.accessor] = mount
        self._months: dict[int, Month] = {}
        self._groups: list[AttributionGroup] = []
        self._group_numbers: dict[
            tuple[NamespaceId, MountAccessor | None, ClientType], int
        ] = {}
        self._newest: int | None = None
        self._last_key = -1
        self._last_month = Month()
        self._discarded = 0

    def _month_for(self, key: int) -> Month | None:
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
            month = self._months[key] = Month()
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

    def _cell_number(self, cell: AttributionGroup) -> int:
        """The group number of an attribution cell, made if new."""
        namespace, accessor, client_type = cell
        key = (namespace, MountAccessor(accessor) or None, client_type)
        number = self._group_numbers.get(key)
        if number is None:
            number = len(self._groups)
            self._group_numbers[key] = number
            self._groups.append(cell)
        return number

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

    def _check(self) -> None:
        """Assert every internal invariant (for tests)."""
        require(len(self._groups) == len(self._group_numbers))
        for (
            namespace,
            accessor,
            client_type,
        ), number in self._group_numbers.items():
            require(
                self._groups[number]
                == (namespace, accessor or "", client_type)
            )
        if self._last_key in self._months:
            require(self._months[self._last_key] is self._last_month)
        if self._newest is not None:
            # Every accepted month moves the reference up to it.
            require(self._reference is not None)
            require(cast("int", self._reference) >= self._newest)
        for key, month in self._months.items():
            if self._retention is not None and self._newest is not None:
                require(key >= self._newest - self._retention)
            month.check(self._exact_limit)


def checked_type(client_type: object) -> ClientType:
    """The client type given to record_sketch(), checked."""
    if isinstance(client_type, ClientType):
        return client_type
    field, rule = "client_type", "must be a ClientType"
    raise InvalidModelError(field, client_type, rule)


def loaded_sketch(sketch: object) -> HyperLogLog:
    """The sketch given to record_sketch(), decoded if it is bytes."""
    if isinstance(sketch, HyperLogLog):
        return sketch
    if isinstance(sketch, (bytes, bytearray)):
        return HyperLogLog.from_datasketches(bytes(sketch))
    field = "sketch"
    rule = "must be a HyperLogLog or DataSketches HLL image bytes"
    raise InvalidModelError(field, sketch, rule)
