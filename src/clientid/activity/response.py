"""
Reading Vault's activity response back into an ActivityReport.

Every shape from Vault 1.14 to 1.21 (spec §4.6; formats §3.2) is accepted;
anything else raises :class:`~clientid.errors.MalformedRecordError` naming
the JSON path of the offending value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from clientid.activity.report import (
    ActivityReport,
    ClientCounts,
    MonthActivity,
    MountCounts,
    NamespaceCounts,
    NewClients,
    add_client_counts,
    exact_count,
)
from clientid.errors import MalformedRecordError
from clientid.model.ids import NamespaceId
from clientid.model.validators import NOT_UTF8, is_utf8

__all__ = ["read_response"]

#: Each type's key, then the name Vault used before 1.10 and kept to 1.17.
_ENTITY_KEYS: Final = ("entity_clients", "distinct_entities")
_NON_ENTITY_KEYS: Final = ("non_entity_clients", "non_entity_tokens")
#: The longest period a response may span (100 years): each month is built.
_MAX_MONTHS: Final = 1200


def _fail(
    path: str, reason: str, value: object = None
) -> MalformedRecordError:
    return MalformedRecordError(path, reason, value)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}"


def _object(path: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be a JSON object", value)
    return value


def _list(path: str, value: object) -> list[object]:
    if not isinstance(value, list):
        raise _fail(path, "must be a JSON array", value)
    return value


def _text(path: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(path, "must be a JSON string", value)
    if not is_utf8(value):
        raise _fail(path, NOT_UTF8, value)
    return value


def _number(path: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, "must be a non-negative integer", value)
    return value


def _time(path: str, value: object) -> dt.datetime:
    text = _text(path, value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _fail(path, "must be an RFC 3339 time with an offset", value)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        # Its offset moves it before year 1 or past year 9999 in UTC.
        reason = "must be a time between years 1 and 9999 in UTC"
        raise _fail(path, reason, value) from None


def _counts(path: str, value: object) -> ClientCounts:
    counts = _object(path, value)

    def first_of(keys: tuple[str, ...]) -> int:
        for key in keys:
            if key in counts:
                return _number(f"{path}.{key}", counts[key])
        raise _fail(_at(path, keys[0]), "is required")

    def optional(key: str) -> int:
        return _number(f"{path}.{key}", counts.get(key, 0))

    if "clients" not in counts:
        raise _fail(_at(path, "clients"), "is required")
    return ClientCounts(
        entity_clients=exact_count(first_of(_ENTITY_KEYS)),
        non_entity_clients=exact_count(first_of(_NON_ENTITY_KEYS)),
        acme_clients=exact_count(optional("acme_clients")),
        secret_syncs=exact_count(optional("secret_syncs")),
        clients=exact_count(_number(f"{path}.clients", counts["clients"])),
    )


def _mount(path: str, value: object) -> MountCounts:
    mount = _object(path, value)
    # Vault's struct tag is mount_path; its docs' samples say path.
    key = "mount_path" if "mount_path" in mount else "path"
    if key not in mount:
        raise _fail(_at(path, "mount_path"), "is required")
    mount_type = mount.get("mount_type", "")
    return MountCounts(
        mount_path=_text(f"{path}.{key}", mount[key]),
        mount_type=_text(f"{path}.mount_type", mount_type),
        mount_accessors=(),
        counts=_counts(f"{path}.counts", mount.get("counts")),
    )


def _namespaces(path: str, value: object) -> tuple[NamespaceCounts, ...]:
    if value is None:
        return ()
    entries = []
    for index, item in enumerate(_list(path, value)):
        where = f"{path}[{index}]"
        namespace = _object(where, item)
        mounts = namespace.get("mounts")
        namespace_id = _text(
            f"{where}.namespace_id", namespace.get("namespace_id")
        )
        if not namespace_id:
            raise _fail(_at(where, "namespace_id"), "must not be empty", "")
        entries.append(
            NamespaceCounts(
                namespace_id=NamespaceId(namespace_id),
                namespace_path=_text(
                    f"{where}.namespace_path", namespace.get("namespace_path")
                ),
                counts=_counts(f"{where}.counts", namespace.get("counts")),
                mounts=tuple(
                    _mount(f"{where}.mounts[{i}]", mount)
                    for i, mount in enumerate(
                        []
                        if mounts is None
                        else _list(f"{where}.mounts", mounts)
                    )
                ),
            )
        )
    return tuple(entries)


def _month_key(moment: dt.datetime) -> int:
    return moment.year * 12 + moment.month - 1


def _month_start(key: int) -> dt.datetime:
    return dt.datetime(key // 12, key % 12 + 1, 1, tzinfo=dt.UTC)


def _month_last_second(key: int) -> dt.datetime:
    last = dt.datetime.max.replace(microsecond=0, tzinfo=dt.UTC)
    if key == _month_key(last):
        # December 9999: the next month is off the calendar.
        return last
    return _month_start(key + 1) - dt.timedelta(seconds=1)


def _empty_month(key: int) -> MonthActivity:
    zero = ClientCounts()
    return MonthActivity(
        timestamp=_month_start(key),
        counts=zero,
        namespaces=(),
        new_clients=NewClients(counts=zero, namespaces=()),
    )


def _month(path: str, value: object) -> tuple[int, MonthActivity]:
    month = _object(path, value)
    # Vault's current month can be keyed at a local midnight
    # ("2022-04-01T04:00:00Z"): the UTC month is what counts.
    key = _month_key(_time(f"{path}.timestamp", month.get("timestamp")))
    counts = month.get("counts")
    if counts is None:
        return key, _empty_month(key)
    new = month.get("new_clients")
    new_object = {} if new is None else _object(f"{path}.new_clients", new)
    new_counts = new_object.get("counts")
    return key, MonthActivity(
        timestamp=_month_start(key),
        counts=_counts(f"{path}.counts", counts),
        namespaces=_namespaces(f"{path}.namespaces", month.get("namespaces")),
        new_clients=NewClients(
            counts=ClientCounts()
            if new_counts is None
            else _counts(f"{path}.new_clients.counts", new_counts),
            namespaces=_namespaces(
                f"{path}.new_clients.namespaces", new_object.get("namespaces")
            ),
        ),
    )


def _months(
    path: str, value: object, first: int, last: int
) -> tuple[MonthActivity, ...]:
    found: dict[int, MonthActivity] = {}
    for index, item in enumerate(_list(path, value)):
        where = f"{path}[{index}]"
        key, month = _month(where, item)
        if not first <= key <= last:
            reason = "must lie in the months from start_time to end_time"
            raise _fail(
                _at(where, "timestamp"),
                reason,
                _object(where, item)["timestamp"],
            )
        if key in found:
            raise _fail(
                _at(where, "timestamp"),
                "must not repeat an earlier month",
                _object(where, item)["timestamp"],
            )
        found[key] = month
    return tuple(
        found.get(key) or _empty_month(key) for key in range(first, last + 1)
    )


def read_response(
    response: object, namespace_id: NamespaceId
) -> ActivityReport:
    """
    Read a Vault activity response (``data``, or the whole envelope).
    """
    data = _object("$", response)
    prefix = ""
    if "data" in data and "total" not in data:
        data = _object("data", data["data"])
        prefix = "data."
    start = _time(f"{prefix}start_time", data.get("start_time"))
    end = _time(f"{prefix}end_time", data.get("end_time"))
    first, last = _month_key(start), _month_key(end)
    if first > last:
        reason = "must not be before start_time"
        field = f"{prefix}end_time"
        raise _fail(field, reason, data.get("end_time"))
    if last - first >= _MAX_MONTHS:
        # Every month of the period is built; no retention comes close.
        reason = f"must be within {_MAX_MONTHS} months of start_time"
        field = f"{prefix}end_time"
        raise _fail(field, reason, data.get("end_time"))
    months = _months(f"{prefix}months", data.get("months", []), first, last)
    return ActivityReport(
        start_time=_month_start(first),
        end_time=_month_last_second(last),
        namespace_id=namespace_id,
        total=_counts(f"{prefix}total", data.get("total")),
        distinct=add_client_counts(m.new_clients.counts for m in months),
        by_namespace=_namespaces(
            f"{prefix}by_namespace", data.get("by_namespace", [])
        ),
        months=months,
    )
