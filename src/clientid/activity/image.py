"""
The saved image of an activity log: its document, and the log read back.

An image is ``CIDA``, a version byte, a CRC-32 of the payload and its
inflated length, then the zlib-compressed JSON document of the state
(:mod:`clientid.model.framing`); sketched months keep their sketches in
clientid's binary format.  Reading checks every field's type and every
invariant, so a corrupt image is a :class:`~clientid.errors.DecodeError`.
"""

from __future__ import annotations

import base64
from array import array
from typing import Any, Final, Self, TypeVar, cast

from clientid.activity.months import Month, require
from clientid.activity.seen import AttributedFilter
from clientid.activity.state import LogState
from clientid.errors import DecodeError
from clientid.model.framing import frame, unframe
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import AuthMount, Client, Namespace
from clientid.sketch.hll import HyperLogLog

__all__ = ["ACTIVITY_LOG_FORMAT_VERSION", "ACTIVITY_LOG_MAGIC", "ImagePart"]

#: The first bytes of :meth:`ActivityLog.to_bytes` images.
ACTIVITY_LOG_MAGIC: Final = b"CIDA"
#: The layout version of those images.
ACTIVITY_LOG_FORMAT_VERSION: Final = 1

_T = TypeVar("_T")


class ImagePart(LogState):
    """Saving a log to its image and reading one back."""

    __slots__ = ()

    def _image(self) -> bytes:
        """The log's image (see :meth:`ActivityLog.to_bytes`)."""
        return frame(
            ACTIVITY_LOG_MAGIC, ACTIVITY_LOG_FORMAT_VERSION, self._document()
        )

    def _document(self) -> dict[str, object]:
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
            "months": [
                [key, _month_document(self._months[key])]
                for key in sorted(self._months)
            ],
        }

    @classmethod
    def _from_image(cls, data: bytes) -> Self:
        """Read an image (see :meth:`ActivityLog.from_bytes`)."""
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
    def _from_document(cls, document: object) -> Self:
        doc = cast("dict[str, Any]", document)
        log = cls(
            retention_months=doc["retention_months"],
            exact_limit=doc["exact_limit"],
            lg_k=_exact_type(doc["lg_k"], int),
            future_tolerance_months=doc["future_tolerance_months"],
            namespaces=_namespaces_from_document(doc["namespaces"]),
            mounts=_mounts_from_document(doc["mounts"]),
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
        require(log._future >= 0)
        newest = doc["newest"]
        log._newest = None if newest is None else _exact_type(newest, int)
        log._discarded = _exact_type(doc["discarded"], int)
        for key, stored in doc["months"]:
            log._months[_exact_type(key, int)] = _month_from_document(
                stored, len(log._groups), log._lg_k
            )
        log._check()
        return log


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _exact_type(value: object, kind: type[_T]) -> _T:
    """Return *value* if it is exactly of *kind* (``bool`` is no ``int``)."""
    if not isinstance(value, kind) or type(value) is not kind:
        msg = f"must be {kind.__name__}, got {value!r}"
        raise TypeError(msg)
    return value


def _namespaces_from_document(stored: object) -> list[Namespace]:
    return [
        Namespace(
            id=NamespaceId(_exact_type(ns_id, str)),
            path=_exact_type(path, str),
            parent_id=parent,
        )
        for ns_id, path, parent in cast("list[Any]", stored)
    ]


def _mounts_from_document(stored: object) -> list[AuthMount]:
    return [
        AuthMount(
            accessor=MountAccessor(_exact_type(accessor, str)),
            type=_exact_type(mount_type, str),
            path=_exact_type(path, str),
            namespace_id=NamespaceId(_exact_type(namespace, str)),
            local=_exact_type(local, bool),
        )
        for accessor, mount_type, path, namespace, local in cast(
            "list[Any]", stored
        )
    ]


def _month_document(month: Month) -> dict[str, object]:
    """One month of a saved log."""
    if month.sketched:
        return {
            "imported": [
                [group, _b64(sketch.to_bytes())]
                for group, sketch in sorted(month.imported.items())
            ],
            "attributed": _b64(
                cast("AttributedFilter", month.attributed).to_bytes()
            ),
        }
    return {
        "ids": list(month.index),
        "groups": month.slot_group.tolist(),
        "created": month.created.tolist(),
        "used": month.first_used.tolist(),
        "member_groups": list(month.members),
    }


def _month_from_document(stored: object, groups: int, lg_k: int) -> Month:
    """Rebuild one month of a saved log."""
    doc = cast("dict[str, Any]", stored)
    month = Month()
    if "attributed" in doc:
        month.lg_k = lg_k
        month.attributed = AttributedFilter.from_bytes(
            base64.b64decode(
                _exact_type(doc["attributed"], str), validate=True
            )
        )
        require(month.attributed.max_group() < groups)
        for group, image in doc["imported"]:
            sketch = HyperLogLog.from_bytes(
                base64.b64decode(_exact_type(image, str), validate=True)
            )
            require(0 <= _exact_type(group, int) < groups)
            require(group not in month.imported)
            require(sketch.lg_k <= lg_k)
            month.imported[group] = sketch
        return month
    ids = [_exact_type(client_id, str) for client_id in doc["ids"]]
    month.index = {client_id: slot for slot, client_id in enumerate(ids)}
    month.slot_group = array("i", doc["groups"])
    month.created = array("q", doc["created"])
    month.first_used = array("q", doc["used"])
    for group in doc["member_groups"]:
        require(0 <= _exact_type(group, int) < groups)
        month.members[group] = set()
    for client_id, group in zip(ids, month.slot_group, strict=False):
        require(0 <= group < groups)
        month.members[group].add(client_id)
    return month
