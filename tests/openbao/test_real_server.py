"""
The audit reader against a real OpenBao server's audit logs.

One scenario runs against ``bao server -dev`` (see conftest.py): root and
nested child namespaces, userpass and approle logins, entity and non-entity
service and batch tokens, a token role, an orphan token, an entity merge, a
disabled entity, denied, wrapped and unauthenticated requests and a login
carrying a caller's token.  Every request that uses a token is noted with
what the server says of it (token lookups: namespace, creating path); the
tests then feed both audit devices' logs to clientid in several orders and
check that clientid counts exactly those requests, each with the client ID
the server wrote, the token's namespace and the accessor of the mount that
minted the token.
"""

from __future__ import annotations

import collections
import json
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from clientid import ActivityLog, AuditLogReader, ClientType

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .conftest import Response, Server

TEAM_A = "team-a"
TEAM_A_DEV = "team-a/dev"


@attrs.frozen
class Use:
    """A request that used a token and that Vault counts as a client use."""

    request_id: str
    namespace_id: str
    mount_accessor: str
    type: ClientType


@attrs.define
class World:
    """What the scenario did, and what the server said about it."""

    namespaces: dict[str, str] = attrs.field(factory=dict)  # path -> ID
    accessors: dict[tuple[str, str], str] = attrs.field(factory=dict)
    uses: list[Use] = attrs.field(factory=list)
    uncounted: list[str] = attrs.field(factory=list)  # request IDs
    lines: dict[str, list[str]] = attrs.field(factory=dict)


def _ok(response: Response) -> Response:
    assert 200 <= response.status < 300, response.body
    return response


class Scenario:
    """Drive the server and note each token use with the server's truth."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.world = World(namespaces={"": "root"})

    def api(self, method: str, path: str, **kwargs: Any) -> Response:
        return self.server.api(method, path, **kwargs)

    def namespace(self, path: str) -> None:
        parent, _, name = path.rpartition("/")
        data = _ok(
            self.api("POST", f"sys/namespaces/{name}", namespace=parent)
        ).data
        self.world.namespaces[path + "/"] = data["id"]

    def enable(self, kind: str, namespace: str = "") -> str:
        _ok(
            self.api(
                "POST",
                f"sys/auth/{kind}",
                namespace=namespace,
                data={"type": kind},
            )
        )
        return self._learn_accessors(namespace)[f"{kind}/"]

    def _learn_accessors(self, namespace: str) -> dict[str, str]:
        mounts = _ok(self.api("GET", "sys/auth", namespace=namespace)).data
        accessors = {path: mount["accessor"] for path, mount in mounts.items()}
        for path, accessor in accessors.items():
            self.world.accessors[namespace, path] = accessor
        return accessors

    def user(self, namespace: str, name: str, **settings: Any) -> None:
        _ok(
            self.api(
                "POST",
                f"auth/userpass/users/{name}",
                namespace=namespace,
                data={"password": "pw", **settings},
            )
        )

    def login(
        self, namespace: str, name: str, *, caller: str | None = None
    ) -> str:
        auth = _ok(
            self.api(
                "POST",
                f"auth/userpass/login/{name}",
                namespace=namespace,
                token=caller,
                data={"password": "pw"},
            )
        ).auth
        token: str = auth["client_token"]
        return token

    def create_token(
        self, namespace: str, path: str = "auth/token/create", **data: Any
    ) -> str:
        token: str = _ok(
            self.api("POST", path, namespace=namespace, data=data)
        ).auth["client_token"]
        return token

    def use(self, token: str, namespace: str = "") -> dict[str, Any]:
        """Use a token; note the request as a counted use; return its data."""
        response = _ok(
            self.api(
                "GET",
                "auth/token/lookup-self",
                token=token,
                namespace=namespace,
            )
        )
        data: dict[str, Any] = response.data
        origin = data.get("namespace_path", "")
        mount_path = data["path"].removeprefix("auth/").split("/")[0] + "/"
        self._learn_accessors(origin.rstrip("/"))
        kind = (
            ClientType.ENTITY
            if data["entity_id"]
            else ClientType.NON_ENTITY_TOKEN
        )
        self.world.uses.append(
            Use(
                request_id=response.body["request_id"],
                namespace_id=self.world.namespaces[origin],
                mount_accessor=self.world.accessors[
                    origin.rstrip("/"), mount_path
                ],
                type=kind,
            )
        )
        return data

    def run(self) -> World:
        api = self.api
        # Namespaces and mounts.
        self.namespace(TEAM_A)
        self.namespace(TEAM_A_DEV)
        self.enable("userpass")
        self.enable("userpass", TEAM_A)
        self.enable("approle", TEAM_A_DEV)
        _ok(
            api(
                "POST",
                "sys/policies/acl/reader",
                data={"policy": 'path "secret/*" { capabilities = ["read"] }'},
            )
        )

        # Root: entity logins, one carrying a caller's token, a batch user.
        for name in ("alice", "bob", "dave"):
            self.user("", name)
        self.user("", "erin", token_type="batch")  # noqa: S106
        alice = self.login("", "alice")
        self.use(alice)
        self.use(alice)  # the same client again
        bob = self.login("", "bob", caller=alice)
        self.use(bob)
        self.use(self.login("", "erin"))

        # Non-entity service, batch, orphan and role tokens in root.
        self.use(self.create_token("", policies=["reader"]))
        self.use(self.create_token("", policies=["reader"], type="batch"))
        self.use(
            self.create_token(
                "", "auth/token/create-orphan", policies=["orphaned"]
            )
        )
        _ok(
            api(
                "POST",
                "auth/token/roles/ci",
                data={"allowed_policies": ["ci"], "orphan": True},
            )
        )
        self.use(
            self.create_token("", "auth/token/create/ci", policies=["ci"])
        )

        # A merge: dave's entity into one made over the identity API (no
        # alias on userpass, so the server allows it); dave logs in again.
        dave_entity = self.use(self.login("", "dave"))["entity_id"]
        ops = _ok(api("POST", "identity/entity", data={"name": "ops"})).data[
            "id"
        ]
        _ok(
            api(
                "POST",
                "identity/entity/merge",
                data={"from_entity_ids": [dave_entity], "to_entity_id": ops},
            )
        )
        self.use(self.login("", "dave"))

        # A disabled entity: its token is refused after, uncounted.
        self.user("", "frank")
        frank = self.login("", "frank")
        frank_entity = self.use(frank)["entity_id"]  # counted while enabled
        _ok(
            api(
                "POST",
                f"identity/entity/id/{frank_entity}",
                data={"disabled": True},
            )
        )
        assert api("GET", "auth/token/lookup-self", token=frank).status == 403

        # Denied and unauthenticated requests.
        limited = self.create_token("", policies=["reader"])
        assert api("GET", "sys/mounts", token=limited).status == 403
        assert api("GET", "sys/health", token=None).status == 200
        self.use(limited)

        # A wrapped response, unwrapped, and the token it carried used.
        wrapped = _ok(
            api(
                "POST",
                "auth/token/create",
                wrap_ttl="5m",
                data={"policies": ["wrapped"]},
            )
        )
        unwrapped = _ok(
            api(
                "POST",
                "sys/wrapping/unwrap",
                token=wrapped.body["wrap_info"]["token"],
            )
        )
        self.use(unwrapped.auth["client_token"])

        # team-a: an entity login used in its child too, non-entity tokens.
        self.user(TEAM_A, "carol")
        carol = self.login(TEAM_A, "carol")
        self.use(carol, TEAM_A)
        self.use(carol, TEAM_A_DEV)
        self.use(self.create_token(TEAM_A, policies=["reader"]), TEAM_A)
        self.use(
            self.create_token(TEAM_A, policies=["reader"], type="batch"),
            TEAM_A_DEV,
        )

        # team-a/dev: an approle login and an orphan token.
        _ok(
            api(
                "POST",
                "auth/approle/role/deploy",
                namespace=TEAM_A_DEV,
                data={"token_policies": ["deploy"]},
            )
        )
        role_id = _ok(
            api(
                "GET", "auth/approle/role/deploy/role-id", namespace=TEAM_A_DEV
            )
        ).data["role_id"]
        secret_id = _ok(
            api(
                "POST",
                "auth/approle/role/deploy/secret-id",
                namespace=TEAM_A_DEV,
            )
        ).data["secret_id"]
        deploy = _ok(
            api(
                "POST",
                "auth/approle/login",
                token=None,
                namespace=TEAM_A_DEV,
                data={"role_id": role_id, "secret_id": secret_id},
            )
        )
        self.use(deploy.auth["client_token"], TEAM_A_DEV)
        self.use(
            self.create_token(
                TEAM_A_DEV, "auth/token/create-orphan", policies=["dev-orphan"]
            ),
            TEAM_A_DEV,
        )

        for device in self.server.audit_files:
            self.world.lines[device] = self.server.audit_lines(device)
        return self.world


@pytest.fixture(scope="module")
def world(openbao: Server) -> World:
    return Scenario(openbao).run()


def _merged_by_time(world: World) -> list[str]:
    lines = [line for device in world.lines.values() for line in device]
    return sorted(lines, key=lambda line: json.loads(line)["time"])


ORDERS: dict[str, Callable[[World], list[str]]] = {
    "hmac alone": lambda world: world.lines["hmac"],
    "raw alone": lambda world: world.lines["raw"],
    "hmac then raw": lambda world: world.lines["hmac"] + world.lines["raw"],
    "raw then hmac": lambda world: world.lines["raw"] + world.lines["hmac"],
    "merged by time": _merged_by_time,
}


def _server_client_ids(world: World) -> dict[str, str]:
    """request.id -> request.client_id, as the raw device wrote them."""
    ids = {}
    for line in world.lines["raw"]:
        request = json.loads(line)["request"]
        if "client_id" in request and "id" in request:
            ids[request["id"]] = request["client_id"]
    return ids


@pytest.fixture(scope="module", params=sorted(ORDERS))
def read(request: pytest.FixtureRequest, world: World) -> tuple[Any, ...]:
    """Read one order of the logs strictly; return reader and events."""
    entries = [json.loads(line) for line in ORDERS[request.param](world)]
    reader = AuditLogReader()
    events = list(reader.read(entries))
    return reader, events, len(entries)


def test_the_server_is_openbao(openbao: Server) -> None:
    assert openbao.version.split(".")[0] == "2"


def test_the_strict_reader_reads_every_line(read: tuple[Any, ...]) -> None:
    reader, _, lines = read

    assert reader.counted + sum(reader.skipped.values()) == lines
    assert reader.rejected == ()


def test_exactly_the_token_uses_are_counted(
    world: World, read: tuple[Any, ...]
) -> None:
    _, events, _ = read

    assert sorted(event.request_id for event in events) == sorted(
        use.request_id for use in world.uses
    )


def test_each_event_has_the_servers_client_namespace_and_mount(
    world: World, read: tuple[Any, ...]
) -> None:
    _, events, _ = read
    uses = {use.request_id: use for use in world.uses}
    client_ids = _server_client_ids(world)

    for event in events:
        use = uses[event.request_id]
        assert event.client.id == client_ids[event.request_id]
        assert event.client.namespace_id == use.namespace_id
        assert event.client.mount_accessor == use.mount_accessor
        assert event.client.type is use.type


def test_nothing_is_approximate(read: tuple[Any, ...]) -> None:
    _, events, _ = read

    assert [event for event in events if event.approximate] == []


def _expected_cells(
    world: World,
) -> Mapping[tuple[str, tuple[str, ...], str], int]:
    client_ids = _server_client_ids(world)
    clients: dict[tuple[str, tuple[str, ...], str], set[str]] = (
        collections.defaultdict(set)
    )
    for use in world.uses:
        cell = (use.namespace_id, (use.mount_accessor,), use.type.value)
        clients[cell].add(client_ids[use.request_id])
    return {cell: len(ids) for cell, ids in clients.items()}


def test_the_distinct_counts_are_the_scenarios(
    world: World, read: tuple[Any, ...]
) -> None:
    _, events, _ = read
    log = ActivityLog()
    for event in events:
        log.record_event(event)
    month = events[0].at.date().replace(day=1)
    report = log.report(month, month)
    counted = {}
    for namespace in report.by_namespace:
        for mount in namespace.mounts:
            for client_type in ClientType:
                value = mount.counts.of_type(client_type).value
                if value:
                    counted[
                        namespace.namespace_id,
                        mount.mount_accessors,
                        client_type.value,
                    ] = value

    assert counted == _expected_cells(world)
    assert report.distinct.clients.value == len(
        {_server_client_ids(world)[use.request_id] for use in world.uses}
    )


def test_the_scenario_covers_what_it_claims(world: World) -> None:
    """The scenario's uses span every namespace, type and kind of mount."""
    assert {use.namespace_id for use in world.uses} == set(
        world.namespaces.values()
    )
    assert {use.type for use in world.uses} == {
        ClientType.ENTITY,
        ClientType.NON_ENTITY_TOKEN,
    }
    assert len({use.mount_accessor for use in world.uses}) == 6
