"""
The identity store against a real OpenBao server.

Each case does the same thing to the server (over its HTTP API) and to a
fresh ``clientid.IdentityStore``, and records whether each accepted it.
Where the two agree the case says so; where they differ, the difference is
the one docs/identity.md ("Checked against a real server") names.  Each
case pins the server's HTTP status and the store's outcome, so a change on
either side shows up here.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from clientid import EntityId, IdentityStore
from clientid.errors import IdentityError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .conftest import Response, Server

_serial = itertools.count()


def _name(stem: str) -> str:
    """A name no other case uses: the server is shared by the module."""
    return f"{stem}-{next(_serial)}"


def _accepted(response: Response) -> bool:
    return 200 <= response.status < 300


def _status(response: Response) -> int:
    return response.status


class Bao:
    """The server side of a case: entities and aliases over HTTP."""

    def __init__(self, server: Server) -> None:
        self.api = server.api
        self.userpass = self._accessor("userpass")

    def _accessor(self, kind: str, namespace: str = "") -> str:
        mounts = self.api("GET", "sys/auth", namespace=namespace).data
        path = f"{kind}/"
        if path not in mounts:
            self.api(
                "POST",
                f"sys/auth/{kind}",
                namespace=namespace,
                data={"type": kind},
            )
            mounts = self.api("GET", "sys/auth", namespace=namespace).data
        accessor: str = mounts[path]["accessor"]
        return accessor

    def entity(self, namespace: str = "", **data: Any) -> str:
        response = self.api(
            "POST",
            "identity/entity",
            namespace=namespace,
            data={"name": _name("e"), **data},
        )
        assert _accepted(response), response.body
        entity_id: str = response.data["id"]
        return entity_id

    def alias(
        self,
        name: str,
        canonical_id: str,
        accessor: str | None = None,
        namespace: str = "",
    ) -> Response:
        return self.api(
            "POST",
            "identity/entity-alias",
            namespace=namespace,
            data={
                "name": name,
                "canonical_id": canonical_id,
                "mount_accessor": accessor or self.userpass,
            },
        )

    def group(self, namespace: str = "", **data: Any) -> Response:
        return self.api(
            "POST",
            "identity/group",
            namespace=namespace,
            data={"name": _name("g"), **data},
        )


class Store:
    """The clientid side of a case, with a userpass mount in root."""

    def __init__(self) -> None:
        self.store = IdentityStore()
        self.userpass = self.store.enable_auth("userpass").accessor

    def entity(self, **kwargs: Any) -> Any:
        return self.store.create_entity(name=_name("e"), **kwargs).id

    def alias(
        self, name: str, canonical_id: Any, accessor: Any = None, **kwargs: Any
    ) -> Any:
        return self.store.create_entity_alias(
            name=name,
            canonical_id=canonical_id,
            mount_accessor=accessor or self.userpass,
            **kwargs,
        )


def _store_accepts(action: Callable[[], object]) -> str:
    """Return "accepted" or the name of the IdentityError raised."""
    try:
        action()
    except IdentityError as error:
        return type(error).__name__
    return "accepted"


# --------------------------------------------------------------------------
# The cases: each returns (server status, clientid outcome).
# --------------------------------------------------------------------------


def alias_taken_by_another_entity(bao: Bao, ours: Store) -> tuple[int, str]:
    """An alias (mount, name) that another entity holds, posted anew."""
    name = _name("shared")
    first, second = bao.entity(), bao.entity()
    assert _accepted(bao.alias(name, first))
    server = _status(bao.alias(name, second))
    mine_first, mine_second = ours.entity(), ours.entity()
    ours.alias(name, mine_first)
    return server, _store_accepts(lambda: ours.alias(name, mine_second))


def second_alias_on_one_mount(bao: Bao, ours: Store) -> tuple[int, str]:
    """Two aliases of one entity on one mount."""
    entity = bao.entity()
    assert _accepted(bao.alias(_name("a"), entity))
    server = _status(bao.alias(_name("b"), entity))
    mine = ours.entity()
    ours.alias(_name("a"), mine)
    return server, _store_accepts(lambda: ours.alias(_name("b"), mine))


def alias_on_a_secrets_mount(bao: Bao, ours: Store) -> tuple[int, str]:
    """An alias whose mount accessor names a secrets engine, not auth."""
    mounts = bao.api("GET", "sys/mounts").data
    cubbyhole = mounts["cubbyhole/"]["accessor"]
    server = _status(bao.alias(_name("x"), bao.entity(), cubbyhole))
    mine = ours.entity()
    return server, _store_accepts(
        lambda: ours.alias(_name("x"), mine, cubbyhole)
    )


def merge_with_clashing_aliases(bao: Bao, ours: Store) -> tuple[int, str]:
    """A merge of two entities that both have an alias on one mount."""
    to, source = bao.entity(), bao.entity()
    assert _accepted(bao.alias(_name("t"), to))
    assert _accepted(bao.alias(_name("f"), source))
    server = _status(
        bao.api(
            "POST",
            "identity/entity/merge",
            data={"to_entity_id": to, "from_entity_ids": [source]},
        )
    )
    mine_to, mine_from = ours.entity(), ours.entity()
    ours.alias(_name("t"), mine_to)
    ours.alias(_name("f"), mine_from)
    return server, _store_accepts(
        lambda: ours.store.merge_entities(mine_to, [mine_from])
    )


def merge_across_namespaces(bao: Bao, ours: Store) -> tuple[int, str]:
    """A merge of a child namespace's entity into a root entity."""
    child = _name("ns")
    assert _accepted(bao.api("POST", f"sys/namespaces/{child}"))
    source = bao.entity(namespace=child)
    server = _status(
        bao.api(
            "POST",
            "identity/entity/merge",
            data={"to_entity_id": bao.entity(), "from_entity_ids": [source]},
        )
    )
    namespace = ours.store.add_namespace(child)
    mine_from = ours.entity(namespace_id=namespace.id)
    mine_to = ours.entity()
    return server, _store_accepts(
        lambda: ours.store.merge_entities(mine_to, [mine_from])
    )


def alias_of_a_root_entity_in_a_child(
    bao: Bao, ours: Store
) -> tuple[int, str]:
    """A child namespace's alias whose canonical ID is a root entity."""
    child = _name("ns")
    assert _accepted(bao.api("POST", f"sys/namespaces/{child}"))
    accessor = bao._accessor("userpass", child)
    server = _status(
        bao.alias(_name("c"), bao.entity(), accessor, namespace=child)
    )
    namespace = ours.store.add_namespace(child)
    mount = ours.store.enable_auth("userpass", namespace_id=namespace.id)
    root_entity = ours.entity()
    return server, _store_accepts(
        lambda: ours.alias(
            _name("c"), root_entity, mount.accessor, namespace_id=namespace.id
        )
    )


def group_cycle(bao: Bao, ours: Store) -> tuple[int, str]:
    """A group made a member of its own member."""
    inner = bao.group().data["id"]
    outer = bao.group(member_group_ids=[inner]).data["id"]
    server = _status(
        bao.api(
            "POST",
            f"identity/group/id/{inner}",
            data={"member_group_ids": [outer]},
        )
    )
    mine_inner = ours.store.create_group(name=_name("g"))
    mine_outer = ours.store.create_group(
        name=_name("g"), member_group_ids=[mine_inner.id]
    )
    return server, _store_accepts(
        lambda: ours.store.update_group(
            mine_inner.id, member_group_ids=[mine_outer.id]
        )
    )


def group_member_unknown_entity(bao: Bao, ours: Store) -> tuple[int, str]:
    """A group listing an entity ID that does not exist."""
    missing = "00000000-0000-0000-0000-000000000000"
    server = _status(bao.group(member_entity_ids=[missing]))
    return server, _store_accepts(
        lambda: ours.store.create_group(
            name=_name("g"), member_entity_ids=[EntityId(missing)]
        )
    )


def external_group_with_members(bao: Bao, ours: Store) -> tuple[int, str]:
    """An external group given explicit member entities."""
    entity = bao.entity()
    server = _status(bao.group(type="external", member_entity_ids=[entity]))
    mine = ours.entity()
    return server, _store_accepts(
        lambda: ours.store.create_group(
            name=_name("g"), type="external", member_entity_ids=[mine]
        )
    )


def metadata_too_many_keys(bao: Bao, ours: Store) -> tuple[int, str]:
    """Entity metadata with 65 keys (Vault allows 64)."""
    metadata = {f"k{index}": "v" for index in range(65)}
    server = _status(
        bao.api(
            "POST",
            "identity/entity",
            data={"name": _name("e"), "metadata": metadata},
        )
    )
    return server, _store_accepts(
        lambda: ours.store.create_entity(name=_name("e"), metadata=metadata)
    )


def metadata_key_too_long(bao: Bao, ours: Store) -> tuple[int, str]:
    """Entity metadata with a 129-byte key (Vault allows 128)."""
    metadata = {"k" * 129: "v"}
    server = _status(
        bao.api(
            "POST",
            "identity/entity",
            data={"name": _name("e"), "metadata": metadata},
        )
    )
    return server, _store_accepts(
        lambda: ours.store.create_entity(name=_name("e"), metadata=metadata)
    )


@attrs.frozen
class Expected:
    """What each side does, as docs/identity.md records it."""

    #: The HTTP status OpenBao answers.
    server: int
    #: "accepted", or the clientid.errors class the store raises.
    clientid: str


#: The outcomes docs/identity.md documents ("Checked against a real
#: server"); a differing pair is a documented difference.
CASES: dict[Callable[[Bao, Store], tuple[int, str]], Expected] = {
    # Both move the alias to the entity named last.
    alias_taken_by_another_entity: Expected(200, "accepted"),
    second_alias_on_one_mount: Expected(400, "InvalidRequestError"),
    # Difference: OpenBao takes any mount's accessor; clientid only knows
    # auth mounts, so it refuses (no login could ever reach the alias).
    alias_on_a_secrets_mount: Expected(200, "InvalidRequestError"),
    merge_with_clashing_aliases: Expected(400, "InvalidRequestError"),
    # Same refusal; the messages differ (Vault >= 1.18 wording in clientid).
    merge_across_namespaces: Expected(400, "InvalidRequestError"),
    # Difference: OpenBao says 400 "invalid canonical ID"; clientid follows
    # Vault >= 1.18, which answers 403 and names the namespace.
    alias_of_a_root_entity_in_a_child: Expected(400, "PermissionDeniedError"),
    group_cycle: Expected(400, "InvalidRequestError"),
    # Difference: OpenBao answers 500 for these caller errors; clientid
    # calls them what they are, invalid requests (400).
    group_member_unknown_entity: Expected(500, "InvalidRequestError"),
    external_group_with_members: Expected(400, "InvalidRequestError"),
    metadata_too_many_keys: Expected(500, "InvalidRequestError"),
    metadata_key_too_long: Expected(500, "InvalidRequestError"),
}


@pytest.fixture(scope="module")
def bao(openbao: Server) -> Bao:
    return Bao(openbao)


@pytest.mark.parametrize("case", list(CASES), ids=lambda case: case.__name__)
def test_outcomes_match_the_documented_ones(
    bao: Bao, case: Callable[[Bao, Store], tuple[int, str]]
) -> None:
    server, clientid = case(bao, Store())

    assert Expected(server=server, clientid=clientid) == CASES[case]
