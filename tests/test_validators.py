"""
Tests for the field kinds every model class validates in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from tests.test_model import JAN, VALID

from clientid import (
    ROOT_NAMESPACE_ID,
    AcmeIdentifier,
    ActivityLog,
    Client,
    ClientEvent,
    ClientId,
    ClientType,
    Entity,
    EntityId,
    ExportReader,
    Namespace,
    NamespaceId,
    Token,
    acme_client_id,
    client_for_acme_order,
    client_for_secret_sync,
    client_for_token,
    non_entity_client_id,
    sanitize_policies,
)
from clientid.errors import InvalidModelError, MalformedRecordError

LONE_SURROGATE = "\ud800"


def _h(value: object) -> Any:
    """Pass a deliberately mistyped value past the type checker."""
    return value


ALL_VALID: dict[type, dict[str, Any]] = {
    **VALID,
    ClientEvent: {
        "client": Client(id=ClientId("e-1"), type=ClientType.ENTITY),
        "at": JAN,
    },
}

FIELDS = [
    (cls, field.name) for cls in ALL_VALID for field in attrs.fields(cls)
]


def _build(cls: type, field: str, value: object) -> object:
    return cls(**{**ALL_VALID[cls], field: value})


@pytest.mark.parametrize(
    ("cls", "field"), FIELDS, ids=[f"{c.__name__}.{f}" for c, f in FIELDS]
)
def test_every_field_refuses_a_value_of_no_kind_it_accepts(cls, field):
    """
    An arbitrary object in any field of any record is a named model error.
    """
    hostile = object()

    with pytest.raises(InvalidModelError) as info:
        _build(cls, field, hostile)

    assert (info.value.field, info.value.value) == (field, hostile)


def _text_fields() -> list[tuple[type, str]]:
    return [
        (cls, name)
        for cls, name in FIELDS
        if isinstance(
            ALL_VALID[cls].get(name, getattr(cls(**ALL_VALID[cls]), name)), str
        )
        and name not in {"type", "token_type"}
    ]


TEXT_FIELDS = _text_fields()


@pytest.mark.parametrize(
    ("cls", "field"),
    TEXT_FIELDS,
    ids=[f"{c.__name__}.{f}" for c, f in TEXT_FIELDS],
)
@pytest.mark.parametrize(
    "value",
    [
        # A lone surrogate, as JSON may spell it: it cannot be hashed.
        LONE_SURROGATE,
        "ns1/" + LONE_SURROGATE + "/",
        # bytes are not text, though they look like it.
        b"e-1",
        1,
    ],
    ids=["surrogate", "surrogate-inside", "bytes", "int"],
)
def test_text_fields_refuse_non_str_and_unencodable_values(cls, field, value):
    """
    Every text field refuses bytes, numbers and lone surrogates by name.
    """
    with pytest.raises(InvalidModelError) as info:
        _build(cls, field, value)

    assert info.value.field == field


def test_client_type_given_as_its_string_is_refused():
    """
    Client(type="entity") would count in no type; it fails at the door.
    """
    with pytest.raises(InvalidModelError) as info:
        Client(id=ClientId("e-1"), type=_h("entity"))

    assert str(info.value) == (
        "type must be a ClientType member, got 'entity'"
    )


@pytest.mark.parametrize(
    "policies",
    ["default", ["default"], {"default"}, ("default", 1), (LONE_SURROGATE,)],
    ids=["bare-str", "list", "set", "non-str-item", "surrogate-item"],
)
def test_token_policies_must_be_an_immutable_collection_of_text(policies):
    """
    A bare str would hash its characters as policies; a list unhashes.
    """
    with pytest.raises(InvalidModelError) as info:
        Token(policies=policies)

    assert info.value.field == "policies"


@pytest.mark.parametrize("path", ["/", "a//", "a", "/a/", "", "a/b"], ids=repr)
def test_namespace_paths_of_the_wrong_shape_are_refused(path):
    """
    Only segments that each end in '/' make a child namespace path.
    """
    with pytest.raises(InvalidModelError) as info:
        Namespace(id=NamespaceId("x1"), path=path, parent_id=ROOT_NAMESPACE_ID)

    assert info.value.field == "path"


@pytest.mark.parametrize("path", ["a/", "a/b/", "é/ü/"], ids=repr)
def test_namespace_paths_of_vaults_shape_are_accepted(path):
    """
    Canonical paths, non-ASCII included, build a namespace.
    """
    assert (
        Namespace(
            id=NamespaceId("x1"), path=path, parent_id=ROOT_NAMESPACE_ID
        ).path
        == path
    )


@pytest.mark.parametrize("value", [0, 1, "true", None], ids=repr)
def test_bool_fields_take_only_bools(value):
    """
    A truthy non-bool in a flag is refused rather than read loosely.
    """
    with pytest.raises(InvalidModelError) as info:
        Token(orphan=value)

    assert info.value.field == "orphan"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: non_entity_client_id(_h("default"), "root"), "policies"),
        (
            lambda: non_entity_client_id(("default",), _h(b"root")),
            "namespace_id",
        ),
        (
            lambda: non_entity_client_id(("default",), LONE_SURROGATE),
            "namespace_id",
        ),
        (lambda: non_entity_client_id(_h((b"default",)), "root"), "policies"),
        (lambda: non_entity_client_id(_h(3), "root"), "policies"),
        (lambda: sanitize_policies(_h(("a", None))), "policies"),
        (lambda: acme_client_id(_h("dns/example.com")), "identifiers"),
        (lambda: acme_client_id(_h(["dns/example.com"])), "identifiers"),
        (lambda: client_for_token(_h("token")), "token"),
        (lambda: client_for_acme_order(_h(None)), "order"),
        (lambda: client_for_secret_sync(_h({})), "association"),
    ],
    ids=[
        "policies-str",
        "bytes-namespace",
        "surrogate-namespace",
        "bytes-policy",
        "int-policies",
        "none-policy",
        "acme-str",
        "acme-str-items",
        "token-str",
        "order-none",
        "association-dict",
    ],
)
def test_public_functions_taking_ids_refuse_wrong_kinds(call, field):
    """
    The public ID functions check their arguments with the same rules.
    """
    with pytest.raises(InvalidModelError) as info:
        call()

    assert info.value.field == field


def test_policies_given_as_any_iterable_of_text_still_hash():
    """
    A generator of policies is read once and hashes as the tuple does.
    """
    expected = non_entity_client_id(("a", "b"), "root")

    assert non_entity_client_id(iter(["b", "a"]), "root") == expected


def test_acme_identifiers_given_as_a_generator_still_hash():
    """
    A generator of identifiers is read once and hashes as the tuple does.
    """
    ident = AcmeIdentifier(type="dns", value="example.com")

    assert acme_client_id(i for i in [ident]) == acme_client_id([ident])


def test_activity_log_refuses_a_client_of_the_wrong_kind():
    """
    record() checks that it was given a Client before storing anything.
    """
    log = ActivityLog()

    with pytest.raises(InvalidModelError):
        log.record("e-1", JAN)  # type: ignore[arg-type]

    assert log.months == ()


def test_event_refuses_naive_time():
    """
    A ClientEvent's time is an instant, like every clientid time.
    """
    naive = dt.datetime(2024, 1, 1)  # noqa: DTZ001 (the point of the test)

    with pytest.raises(InvalidModelError):
        ClientEvent(
            client=Client(id=ClientId("e"), type=ClientType.ENTITY), at=naive
        )


@pytest.mark.parametrize(
    "period_start",
    [dt.date(2025, 3, 1), "2025-03", "2025-03-01T00:00:00Z", 1_740_787_200],
    ids=["date", "year-month", "rfc3339-string", "unix-seconds"],
)
def test_export_reader_refuses_a_period_start_that_is_no_datetime(
    period_start,
):
    """
    A date or string period_start is a named error, not an AttributeError.
    """
    with pytest.raises(InvalidModelError) as info:
        ExportReader(period_start=_h(period_start))

    assert (info.value.field, info.value.value, info.value.rule) == (
        "period_start",
        period_start,
        "must be a timezone-aware datetime",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**5000, "<int of 16610 bits>"),
        ("x" * 1000, repr("x" * 1000)[:200] + "... (1002 characters)"),
    ],
    ids=["huge-int", "long-str"],
)
def test_model_error_message_is_bounded_for_huge_values(value, shown):
    """
    A 5,000-digit int or a long string still gives a short message.
    """
    with pytest.raises(InvalidModelError) as info:
        Token(orphan=_h(value))

    assert str(info.value).endswith(f"got {shown}")


def test_metadata_pairs_must_hold_text():
    """
    A metadata value that is no string is refused by name.
    """
    with pytest.raises(InvalidModelError) as info:
        Entity(id=EntityId("e"), name="n", metadata=_h((("k", 1),)))

    assert info.value.field == "metadata"


class _Unprintable:
    def __repr__(self) -> str:
        raise ValueError


def test_model_error_message_survives_an_unprintable_value():
    """
    A value whose repr raises is named by its type.
    """
    with pytest.raises(InvalidModelError) as info:
        Token(orphan=_h(_Unprintable()))

    assert str(info.value).endswith("got <unprintable _Unprintable>")


def test_malformed_record_message_is_bounded_for_huge_values():
    """
    A reader's error for a 5,000-digit field still has a short message.
    """
    error = MalformedRecordError("time", "must be a string", 10**5000, 3)

    assert (
        str(error)
        == "record 3: time must be a string, got <int of 16610 bits>"
    )
