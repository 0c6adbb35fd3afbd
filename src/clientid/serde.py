"""
Serialization of clientid's objects with cattrs.

Two wire formats, each with its own converter (never cattrs's global one):

* **clientid's own format** (:func:`to_dict` / :func:`from_dict`): plain,
  JSON-ready dicts of every model class, report, counter and identity
  store.  Round trips are exact; unknown keys, wrong types and values that
  break a model invariant are rejected.  Enums are their Vault strings,
  datetimes RFC 3339 strings, metadata a ``{key: value}`` object, tuples
  lists; sketches and counters are ``{"format": 1, "data": <base64>}``
  (plus ``"lg_k"`` for sketches) around their versioned binary image.
* **Vault's API payloads** (:func:`from_vault`): the ``data`` object of
  Vault's responses (entity, entity alias, group, group alias, token lookup,
  token role, namespace), read leniently as Vault writes them: unknown keys
  are ignored, ``null`` lists and maps are empty, ``""`` is ``None`` where
  the model uses ``None``, and times may be Unix seconds.

Every rejected input raises :class:`~clientid.errors.DecodeError`, whose
``messages`` name each offending field by its path, e.g.
``"name must not be empty, got '' @ $"``.

Build your own converter with :func:`make_converter` (or configure one you
already have with :func:`configure_converter`) to add hooks without touching
clientid's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
import re
import types
from collections.abc import Callable, Mapping
from typing import (
    Final,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)

import attrs
import cattrs
from cattrs.errors import (
    BaseValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception

from clientid.count.counter import ClientCounter
from clientid.count.exact import ExactClientSet
from clientid.errors import (
    ClientIdError,
    DecodeError,
    InvalidModelError,
    UnsupportedFormatError,
)
from clientid.identity.store import IdentityState, IdentityStore
from clientid.model.ids import ROOT_NAMESPACE_ID, NamespaceId
from clientid.model.records import (
    AuthMount,
    Metadata,
    Namespace,
    freeze_metadata,
)
from clientid.sketch.hll import HyperLogLog

__all__ = [
    "BINARY_ENVELOPE_FORMAT",
    "auth_mounts_from_vault",
    "configure_converter",
    "configure_vault_converter",
    "from_dict",
    "from_vault",
    "make_converter",
    "make_vault_converter",
    "to_dict",
]

T = TypeVar("T")

#: Version of the ``{"format": 1, "data": ...}`` envelope around the binary
#: image of sketches and counters.  The image carries its own version.
BINARY_ENVELOPE_FORMAT: Final = 1

# ASCII digits only: Python's \d also matches other scripts' digits.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class _WrongTypeError(TypeError):
    """A value of the wrong JSON type or shape; ``str()`` says both."""

    def __init__(self, value: object, *, expected: str) -> None:
        super().__init__(value, expected)
        self.value = value
        self.expected = expected

    def __str__(self) -> str:
        return f"must be {self.expected}, got {self.value!r}"


# --------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------


def make_converter() -> cattrs.Converter:
    """
    Return a new converter for clientid's own format.

    Returns:
        A fresh :class:`cattrs.Converter` configured by
        :func:`configure_converter`; add your own hooks to it freely.
    """
    converter = cattrs.Converter(forbid_extra_keys=True)
    configure_converter(converter)
    return converter


def configure_converter(converter: cattrs.Converter) -> None:
    """
    Register clientid's hooks (own format) on *converter*.

    clientid's classes are read strictly: unknown keys and values of the
    wrong JSON type are errors, whatever the converter's own settings.

    Args:
        converter: The converter to configure; typically a new one.
    """
    _register_scalars(converter)
    _register_collections(converter, lenient=False)
    _register_collection_unstructuring(converter)
    _register_times(converter, lenient=False)
    _register_model_classes(converter, forbid_extra_keys=True)
    _register_binary_classes(converter)
    _register_identity_store(converter)


def make_vault_converter() -> cattrs.Converter:
    """
    Return a new converter that reads Vault's API payloads.

    Returns:
        A fresh :class:`cattrs.Converter` configured by
        :func:`configure_vault_converter`.
    """
    converter = cattrs.Converter()
    configure_vault_converter(converter)
    return converter


def configure_vault_converter(converter: cattrs.Converter) -> None:
    """
    Register hooks that read Vault's API payloads on *converter*.

    On top of :func:`configure_converter`: unknown keys are ignored, ``null``
    lists and maps are empty, ``""`` is ``None`` for optional fields, times
    may be Unix seconds, and a namespace without ``parent_id`` is taken to
    be a child of the root namespace when its path has a single segment.

    Args:
        converter: The converter to configure; typically a new one.
    """
    configure_converter(converter)
    _register_collections(converter, lenient=True)
    _register_times(converter, lenient=True)
    _register_optional_empty_string(converter)
    _register_model_classes(converter, forbid_extra_keys=False)
    converter.register_structure_hook(
        Namespace, _vault_namespace_hook(converter)
    )


def to_dict(obj: object) -> dict[str, object]:
    """
    Convert a clientid object to a JSON-ready dict in clientid's format.

    Args:
        obj: A model object, report, sketch, counter or identity store.

    Returns:
        A dict of JSON types only; :func:`from_dict` reads it back equal.

    Raises:
        InvalidModelError: If *obj* does not convert to a dict.
    """
    result = _CONVERTER.unstructure(obj)
    if not isinstance(result, dict):
        raise InvalidModelError(
            field="obj",
            value=obj,
            rule="must be a clientid model, report, counter or store",
        )
    return cast("dict[str, object]", result)


def from_dict(data: object, cls: type[T]) -> T:
    """
    Read an object of *cls* from a dict in clientid's own format.

    Args:
        data: What :func:`to_dict` returned, possibly via JSON.
        cls: The class to build.

    Returns:
        The object, equal to the one that was written.

    Raises:
        DecodeError: If *data* does not describe a valid *cls*; its
            ``messages`` name every problem and where it is.
        UnsupportedFormatError: If a sketch or counter is in a format
            version this release does not read.
    """
    return _structure(_CONVERTER, data, cls)


def from_vault(data: object, cls: type[T]) -> T:
    """
    Read an object of *cls* from the ``data`` of a Vault API response.

    For example ``from_vault(response["data"], Entity)`` for
    ``identity/entity/id/:id``, or ``from_vault(lookup["data"], Token)``
    for ``auth/token/lookup``.  Fields Vault does not return take the
    model's defaults (a token lookup has no namespace ID or mount accessor,
    so those are the root namespace and ``None``).

    Args:
        data: The response's ``data`` object, as parsed from JSON.
        cls: The model class to build.

    Returns:
        The model object.

    Raises:
        DecodeError: If *data* does not describe a valid *cls*.
    """
    return _structure(_VAULT_CONVERTER, data, cls)


def auth_mounts_from_vault(
    data: Mapping[str, object],
    *,
    namespace_id: NamespaceId = ROOT_NAMESPACE_ID,
) -> tuple[AuthMount, ...]:
    """
    Read the auth mounts of a ``sys/auth`` response.

    Vault keys that table by the path below ``auth/`` (``"userpass/"``);
    the model's path includes the prefix (``"auth/userpass/"``), as audit
    logs and client counts report it.

    Args:
        data: The response's ``data`` object: path → mount entry.
        namespace_id: The namespace the listing was made in.

    Returns:
        The mounts, sorted by path.

    Raises:
        DecodeError: If an entry is not a valid auth mount.
    """
    mounts = []
    for path, entry in sorted(data.items()):
        if not isinstance(entry, Mapping):
            msg = f"must be a mapping, got {entry!r} @ $[{path!r}]"
            raise DecodeError([msg])
        payload = {
            **entry,
            "path": f"auth/{path}",
            "namespace_id": namespace_id,
        }
        try:
            mounts.append(from_vault(payload, AuthMount))
        except DecodeError as exc:
            messages = [
                message.replace(" @ $", f" @ $[{path!r}]", 1)
                for message in exc.messages
            ]
            raise DecodeError(messages) from exc
    return tuple(mounts)


# --------------------------------------------------------------------------
# Structuring with clientid's errors.
# --------------------------------------------------------------------------


def _format_exception(exc: BaseException, type_: type | None) -> str:
    # clientid's own errors and the type checks below already name the
    # field's rule and value; cattrs's defaults would drop them.
    if isinstance(exc, (ClientIdError, _WrongTypeError)):
        return str(exc)
    return format_exception(exc, type_)


def _structure(converter: cattrs.Converter, data: object, cls: type[T]) -> T:
    try:
        return converter.structure(data, cls)
    except DecodeError:
        raise
    except (
        BaseValidationError,
        ClientIdError,
        TypeError,
        ValueError,
        KeyError,
        AttributeError,
    ) as exc:
        messages = tuple(
            cattrs.transform_error(exc, format_exception=_format_exception)
        )
        unsupported = (
            exc.subgroup(UnsupportedFormatError)
            if isinstance(exc, BaseValidationError)
            else None
        )
        if unsupported is not None:
            raise UnsupportedFormatError(messages) from exc
        raise DecodeError(messages) from exc


# --------------------------------------------------------------------------
# Scalars: JSON types are checked, never coerced ("5" is not 5).
# --------------------------------------------------------------------------


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _WrongTypeError(value, expected="a string")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _WrongTypeError(value, expected="a boolean")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _WrongTypeError(value, expected="an integer")
    return value


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _WrongTypeError(value, expected="a number")
    return float(value)


def _register_scalars(converter: cattrs.Converter) -> None:
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)


# --------------------------------------------------------------------------
# Collections: tuples are lists, metadata is a map, frozensets sorted lists.
# --------------------------------------------------------------------------


def _is_homogeneous_tuple(type_: object) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is ...  # noqa: PLR2004


def _is_metadata(type_: object) -> bool:
    # Metadata is a plain alias, so it is recognised by its shape: every
    # tuple of string pairs in clientid's classes is Vault metadata.
    return bool(type_ == Metadata)


def _is_frozenset(type_: object) -> bool:
    return get_origin(type_) is frozenset


def _structure_items(
    converter: cattrs.Converter,
    type_: object,
    value: object,
    *,
    lenient: bool,
) -> list[object]:
    if value is None and lenient:
        return []
    if not isinstance(value, (list, tuple)):
        raise _WrongTypeError(value, expected="a list")
    (item_type, *_) = get_args(type_)
    items: list[object] = []
    errors: list[Exception] = []
    for index, item in enumerate(value):
        try:
            items.append(converter.structure(item, item_type))
        except (
            BaseValidationError,
            ClientIdError,
            TypeError,
            ValueError,
        ) as exc:
            exc.add_note(
                IterableValidationNote(
                    f"Structuring {type_!r} @ index {index}", index, item_type
                )
            )
            errors.append(exc)
    if errors:
        msg = f"While structuring {type_!r}"
        raise IterableValidationError(msg, errors, cast("type", type_))
    return items


def _register_collections(
    converter: cattrs.Converter, *, lenient: bool
) -> None:
    def tuple_structure(type_: type) -> Callable[[object, type], object]:
        def hook(value: object, _: type) -> tuple[object, ...]:
            return tuple(
                _structure_items(converter, type_, value, lenient=lenient)
            )

        return hook

    def frozenset_structure(type_: type) -> Callable[[object, type], object]:
        def hook(value: object, _: type) -> frozenset[object]:
            return frozenset(
                _structure_items(converter, type_, value, lenient=lenient)
            )

        return hook

    def metadata_structure(value: object, _: type) -> Metadata:
        if value is None and lenient:
            return ()
        expected = "a map of strings to strings"
        if not isinstance(value, Mapping):
            raise _WrongTypeError(value, expected=expected)
        if not all(
            isinstance(key, str) and isinstance(item, str)
            for key, item in value.items()
        ):
            raise _WrongTypeError(value, expected=expected)
        return freeze_metadata(value)

    converter.register_structure_hook_factory(
        _is_homogeneous_tuple, tuple_structure
    )
    converter.register_structure_hook_factory(
        _is_frozenset, frozenset_structure
    )
    converter.register_structure_hook_func(_is_metadata, metadata_structure)


def _register_collection_unstructuring(converter: cattrs.Converter) -> None:
    def tuple_unstructure(type_: type) -> Callable[[object], object]:
        (item_type, *_) = get_args(type_)
        item_hook = converter.get_unstructure_hook(item_type)

        def hook(value: object) -> list[object]:
            return [item_hook(item) for item in cast("tuple[object]", value)]

        return hook

    def frozenset_unstructure(type_: type) -> Callable[[object], object]:
        (item_type, *_) = get_args(type_)
        item_hook = converter.get_unstructure_hook(item_type)

        def hook(value: object) -> list[object]:
            # Set iteration order depends on the process's hash seed; the
            # output must not.
            return sorted(
                (item_hook(item) for item in cast("frozenset[object]", value)),
                key=lambda item: json.dumps(item, sort_keys=True),
            )

        return hook

    converter.register_unstructure_hook_factory(
        _is_homogeneous_tuple, tuple_unstructure
    )
    converter.register_unstructure_hook_factory(
        _is_frozenset, frozenset_unstructure
    )
    converter.register_unstructure_hook_func(_is_metadata, dict)


# --------------------------------------------------------------------------
# Times: RFC 3339 strings (and, from Vault, Unix seconds).
# --------------------------------------------------------------------------


def _parse_rfc3339(value: str) -> dt.datetime:
    expected = "an RFC 3339 date-time with an offset"
    if not _RFC3339.fullmatch(value):
        raise _WrongTypeError(value, expected=expected)
    # Vault writes nanoseconds; Python keeps microseconds.
    head, dot, rest = value.partition(".")
    text = value
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return dt.datetime.fromisoformat(text.upper())
    except ValueError as exc:  # e.g. month 13 or offset +25:00
        raise _WrongTypeError(value, expected=expected) from exc


def _from_unix_seconds(value: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise _WrongTypeError(value, expected="Unix seconds in range") from exc


def _register_times(converter: cattrs.Converter, *, lenient: bool) -> None:
    def datetime_structure(value: object, _: type) -> dt.datetime:
        if isinstance(value, str):
            return _parse_rfc3339(value)
        if (
            lenient
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            return _from_unix_seconds(value)
        raise _WrongTypeError(value, expected="an RFC 3339 date-time string")

    def date_structure(value: object, _: type) -> dt.date:
        expected = "a date as 'YYYY-MM-DD'"
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise _WrongTypeError(value, expected=expected)
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise _WrongTypeError(value, expected=expected) from exc

    converter.register_structure_hook(dt.datetime, datetime_structure)
    converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    converter.register_structure_hook(dt.date, date_structure)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)


def _is_optional(type_: object) -> bool:
    origin = get_origin(type_)
    return origin in (Union, types.UnionType) and type(None) in get_args(type_)


def _register_optional_empty_string(converter: cattrs.Converter) -> None:
    # Vault writes "" for an absent entity ID, role or accessor.
    def factory(type_: type) -> Callable[[object, type], object]:
        others = tuple(arg for arg in get_args(type_) if arg is not type(None))
        inner = others[0] if len(others) == 1 else Union[others]  # noqa: UP007
        inner_hook = converter.get_structure_hook(inner)

        def hook(value: object, _: type) -> object:
            if value is None or value == "":
                return None
            return inner_hook(value, inner)

        return hook

    converter.register_structure_hook_factory(_is_optional, factory)


# --------------------------------------------------------------------------
# clientid's attrs classes.
# --------------------------------------------------------------------------


def _is_clientid_attrs_class(type_: object) -> bool:
    return (
        isinstance(type_, type)
        and attrs.has(type_)
        and type_.__module__.startswith("clientid.")
    )


def _is_clientid_enum(type_: object) -> bool:
    return (
        isinstance(type_, type)
        and issubclass(type_, enum.Enum)
        and type_.__module__.startswith("clientid.")
    )


def _register_model_classes(
    converter: cattrs.Converter, *, forbid_extra_keys: bool
) -> None:
    def factory(type_: type) -> Callable[[object, type], object]:
        base: Callable[[Mapping[str, object], type], object] = (
            make_dict_structure_fn(
                type_, converter, _cattrs_forbid_extra_keys=forbid_extra_keys
            )
        )

        def hook(value: object, cls: type) -> object:
            if not isinstance(value, Mapping):
                raise _WrongTypeError(value, expected="a map")
            return base(value, cls)

        return hook

    def enum_structure(
        type_: type[enum.Enum],
    ) -> Callable[[object, type], object]:
        values = [member.value for member in type_]

        def hook(value: object, _: type) -> enum.Enum:
            if value not in values or isinstance(value, bool):
                raise _WrongTypeError(value, expected=f"one of {values}")
            return type_(value)

        return hook

    converter.register_structure_hook_factory(
        _is_clientid_attrs_class, factory
    )
    converter.register_structure_hook_factory(
        _is_clientid_enum, enum_structure
    )


def _vault_namespace_hook(
    converter: cattrs.Converter,
) -> Callable[[object, type], Namespace]:
    base = make_dict_structure_fn(
        Namespace, converter, _cattrs_forbid_extra_keys=False
    )

    def hook(value: object, type_: type) -> Namespace:
        # Vault's namespace payloads carry no parent ID.  A top-level
        # namespace ("ns1/") is a child of root; deeper ones need the
        # caller to add "parent_id".
        if not isinstance(value, Mapping):
            raise _WrongTypeError(value, expected="a map")
        if "parent_id" not in value:
            path = value.get("path")
            if value.get("id") == ROOT_NAMESPACE_ID:
                value = {**value, "parent_id": None}
            elif isinstance(path, str) and path.count("/") == 1:
                value = {**value, "parent_id": ROOT_NAMESPACE_ID}
        return base(value, type_)

    return hook


# --------------------------------------------------------------------------
# Sketches, counters and the identity store.
# --------------------------------------------------------------------------


def _decode_envelope(
    value: object, *, with_lg_k: bool
) -> tuple[bytes, int | None]:
    if not isinstance(value, Mapping):
        raise _WrongTypeError(value, expected="a map")
    expected = {"format", "data", "lg_k"} if with_lg_k else {"format", "data"}
    keys = set(value)
    if keys != expected:
        msg = f"keys must be {sorted(expected)}, got {sorted(map(str, keys))}"
        raise DecodeError([msg])
    fmt = value["format"]
    if fmt != BINARY_ENVELOPE_FORMAT or isinstance(fmt, bool):
        msg = f"format must be {BINARY_ENVELOPE_FORMAT}, got {fmt!r}"
        raise UnsupportedFormatError([msg])
    data = value["data"]
    if not isinstance(data, str):
        raise _WrongTypeError(data, expected="a base64 string")
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        msg = f"data must be standard base64, got {data[:40]!r}"
        raise DecodeError([msg]) from exc
    lg_k = value.get("lg_k")
    if with_lg_k and (isinstance(lg_k, bool) or not isinstance(lg_k, int)):
        raise _WrongTypeError(lg_k, expected="an integer lg_k")
    return raw, lg_k


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unstructure_sketch(sketch: HyperLogLog) -> dict[str, object]:
    return {
        "format": BINARY_ENVELOPE_FORMAT,
        "lg_k": sketch.lg_k,
        "data": _base64(sketch.to_bytes()),
    }


def _structure_sketch(value: object, _: type) -> HyperLogLog:
    raw, lg_k = _decode_envelope(value, with_lg_k=True)
    sketch = HyperLogLog.from_bytes(raw)
    if sketch.lg_k != lg_k:
        msg = f"lg_k must match the sketch's ({sketch.lg_k}), got {lg_k!r}"
        raise DecodeError([msg])
    return sketch


def _unstructure_counter(
    counter: ExactClientSet | ClientCounter,
) -> dict[str, object]:
    return {
        "format": BINARY_ENVELOPE_FORMAT,
        "data": _base64(counter.to_bytes()),
    }


def _structure_exact(value: object, _: type) -> ExactClientSet:
    raw, _lg_k = _decode_envelope(value, with_lg_k=False)
    return ExactClientSet.from_bytes(raw)


def _structure_counter(value: object, _: type) -> ClientCounter:
    raw, _lg_k = _decode_envelope(value, with_lg_k=False)
    return ClientCounter.from_bytes(raw)


def _register_binary_classes(converter: cattrs.Converter) -> None:
    # Registered by class, so they win over the attrs hooks these
    # attrs-defined classes would otherwise get.
    converter.register_unstructure_hook(HyperLogLog, _unstructure_sketch)
    converter.register_structure_hook(HyperLogLog, _structure_sketch)
    converter.register_unstructure_hook(ExactClientSet, _unstructure_counter)
    converter.register_structure_hook(ExactClientSet, _structure_exact)
    converter.register_unstructure_hook(ClientCounter, _unstructure_counter)
    converter.register_structure_hook(ClientCounter, _structure_counter)


def _register_identity_store(converter: cattrs.Converter) -> None:
    # A store is written as its snapshot, and read back through it.
    def unstructure(store: IdentityStore) -> object:
        return converter.unstructure(
            store.snapshot(), unstructure_as=IdentityState
        )

    def structure(value: object, _: type) -> IdentityStore:
        state = converter.structure(value, IdentityState)
        return IdentityStore.from_snapshot(state)

    converter.register_unstructure_hook(IdentityStore, unstructure)
    converter.register_structure_hook(IdentityStore, structure)


_CONVERTER: Final = make_converter()
_VAULT_CONVERTER: Final = make_vault_converter()
