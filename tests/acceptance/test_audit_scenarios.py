"""
Acceptance: the audit-log rules of spec/vault-formats-and-ecosystem.md §1.4,
table-driven over the example entries of §1.5 (verbatim) and variations.

Each scenario feeds entries to ``AuditLogReader`` and states the events and
skip reasons Vault's own counting implies.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any, NamedTuple

import pytest

from clientid import (
    AuditLogReader,
    ClientType,
    SkipReason,
    non_entity_client_id,
)

# §1.5 example A: a userpass login in team-a/ (response entry).
EXAMPLE_A = json.loads(
    '{"time":"2025-03-04T09:15:27.114583Z","type":"response","auth":{"client_token":"hmac-sha256:14e2806784932105970379b6b31f11059a27411e16f6082d5a7ac4bc70fec0d2","accessor":"hmac-sha256:dfe7e7437e3416caf781b3eefda0b4f392ba84b25a5fb78ae71a570b598ac32b","display_name":"userpass-alice","policies":["default","kv-reader","team-a-dev"],"token_policies":["default","kv-reader"],"identity_policies":["team-a-dev"],"metadata":{"username":"alice"},"entity_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","entity_created":true,"token_type":"service","token_ttl":2764800,"token_issue_time":"2025-03-04T09:15:27Z"},"request":{"id":"ff0160fd-f296-4b28-b336-565204e88510","operation":"update","mount_point":"auth/userpass/","mount_type":"userpass","mount_accessor":"auth_userpass_e9f8fee8","mount_running_version":"v1.18.3+builtin.vault","mount_class":"auth","namespace":{"id":"Xq2bK","path":"team-a/"},"path":"auth/userpass/login/alice","data":{"password":"hmac-sha256:f057f68f089aa70982b203e71614460498f5c600236f762820469568b752df3d"},"remote_address":"10.20.1.15","remote_port":51544},"response":{"mount_point":"auth/userpass/","mount_type":"userpass","mount_accessor":"auth_userpass_e9f8fee8","mount_running_plugin_version":"v1.18.3+builtin.vault","mount_class":"auth","auth":{"client_token":"hmac-sha256:14e2806784932105970379b6b31f11059a27411e16f6082d5a7ac4bc70fec0d2","accessor":"hmac-sha256:dfe7e7437e3416caf781b3eefda0b4f392ba84b25a5fb78ae71a570b598ac32b","display_name":"userpass-alice","policies":["default","kv-reader","team-a-dev"],"token_policies":["default","kv-reader"],"identity_policies":["team-a-dev"],"metadata":{"username":"alice"},"entity_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","token_type":"service","token_ttl":2764800,"token_issue_time":"2025-03-04T09:15:27Z"}}}'
)
# §1.5 example B: the same token reading a KV v2 secret (request entry).
EXAMPLE_B = json.loads(
    '{"time":"2025-03-04T09:16:02.480112Z","type":"request","auth":{"client_token":"hmac-sha256:14e2806784932105970379b6b31f11059a27411e16f6082d5a7ac4bc70fec0d2","accessor":"hmac-sha256:dfe7e7437e3416caf781b3eefda0b4f392ba84b25a5fb78ae71a570b598ac32b","display_name":"userpass-alice","policies":["default","kv-reader","team-a-dev"],"token_policies":["default","kv-reader"],"identity_policies":["team-a-dev"],"policy_results":{"allowed":true,"granting_policies":[{"name":"kv-reader","namespace_id":"Xq2bK","namespace_path":"team-a/","type":"acl"}]},"metadata":{"username":"alice"},"entity_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","token_type":"service","token_ttl":2764800,"token_issue_time":"2025-03-04T09:15:27Z"},"request":{"id":"dc8457ec-ef0a-4a70-bf35-80f0e0cfa114","client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490","operation":"read","mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_1c72b8e8","mount_running_version":"v0.21.0+builtin","mount_class":"secret","client_token":"hmac-sha256:14e2806784932105970379b6b31f11059a27411e16f6082d5a7ac4bc70fec0d2","client_token_accessor":"hmac-sha256:dfe7e7437e3416caf781b3eefda0b4f392ba84b25a5fb78ae71a570b598ac32b","namespace":{"id":"Xq2bK","path":"team-a/"},"path":"secret/data/app/config","remote_address":"10.20.1.15","remote_port":51560}}'
)
# §1.5 example C: a non-entity batch token in root (request entry).
EXAMPLE_C = json.loads(
    '{"time":"2025-03-04T11:02:44.907731Z","type":"request","auth":{"client_token":"hmac-sha256:45ac33f070404b02dc0a61d4a4aac472ac2c366798a40676fdf19d90b04ef7e5","display_name":"token-ci","policies":["ci-deployer","default"],"token_policies":["ci-deployer","default"],"policy_results":{"allowed":true,"granting_policies":[{"name":"ci-deployer","namespace_id":"root","type":"acl"}]},"token_type":"batch","token_ttl":1200,"token_issue_time":"2025-03-04T11:01:59Z"},"request":{"id":"a94a4f73-3cdd-49a8-b149-0794f8f627e1","client_id":"dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=","operation":"read","mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_9caa24af","mount_running_version":"v0.21.0+builtin","mount_class":"secret","client_token":"hmac-sha256:45ac33f070404b02dc0a61d4a4aac472ac2c366798a40676fdf19d90b04ef7e5","namespace":{"id":"root"},"path":"secret/data/ci/deploy-key","remote_address":"10.20.7.3","remote_port":40122}}'
)
# §1.5: an unauthenticated login request entry.
LOGIN_REQUEST = {
    "time": "2025-03-04T09:15:27.101Z",
    "type": "request",
    "auth": {"policy_results": {"allowed": True}, "token_type": "default"},
    "request": {
        "id": EXAMPLE_A["request"]["id"],
        "operation": "update",
        "mount_point": "auth/userpass/",
        "mount_type": "userpass",
        "mount_accessor": "auth_userpass_e9f8fee8",
        "namespace": {"id": "Xq2bK", "path": "team-a/"},
        "path": "auth/userpass/login/alice",
    },
}

ALICE = "d60e0815-e6c5-4eb6-afac-16b3d92f8490"
CI = "dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8="


def variant(entry: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Copy *entry* and apply dotted-path changes (None deletes)."""
    result = copy.deepcopy(entry)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = result
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return result


def as_response(entry: dict[str, Any]) -> dict[str, Any]:
    """Return the response entry of a request entry."""
    return variant(entry, type="response", response={"data": {}})


class Expected(NamedTuple):
    """One expected event: client ID, type, namespace, mount, approximate."""

    client_id: str
    type: ClientType
    namespace_id: str
    mount_accessor: str | None
    approximate: bool


class Scenario(NamedTuple):
    """Entries fed in order, the events expected and the skip counts."""

    entries: list[dict[str, Any]]
    events: list[Expected]
    skipped: dict[SkipReason, int]


ALICE_IN_TEAM_A = Expected(
    ALICE, ClientType.ENTITY, "Xq2bK", "auth_userpass_e9f8fee8", False
)
CI_IN_ROOT = Expected(CI, ClientType.NON_ENTITY_TOKEN, "root", None, True)
CHILD = {"id": "Dv9Zr", "path": "team-a/dev/"}

SCENARIOS = {
    # §1.4 (4) and §1.5 A+B: the login names the token's namespace and auth
    # mount; the KV mount of the read is not the attribution.
    "login-then-read": Scenario(
        [LOGIN_REQUEST, EXAMPLE_A, EXAMPLE_B],
        [ALICE_IN_TEAM_A],
        {SkipReason.UNAUTHENTICATED: 1, SkipReason.DUPLICATE: 1},
    ),
    # §1.4 (4), hashicorp/vault#18809: a parent token used in a child
    # namespace counts in the parent.
    "parent-token-in-child-namespace": Scenario(
        [EXAMPLE_A, variant(EXAMPLE_B, request__namespace=CHILD)],
        [ALICE_IN_TEAM_A],
        {SkipReason.UNAUTHENTICATED: 1},
    ),
    # §1.4 recipe: log starting mid-stream, no login to join to.
    "no-login-in-log": Scenario(
        [EXAMPLE_B],
        [Expected(ALICE, ClientType.ENTITY, "Xq2bK", None, True)],
        {},
    ),
    # §1.5 C and §1.4 recipe: batch tokens have no accessor.
    "batch-token": Scenario([EXAMPLE_C], [CI_IN_ROOT], {}),
    # §1.4 (2): a denied request carries a client ID but is not counted.
    "denied": Scenario(
        [
            EXAMPLE_A,
            variant(EXAMPLE_B, auth__policy_results={"allowed": False}),
        ],
        [],
        {SkipReason.UNAUTHENTICATED: 1, SkipReason.DENIED: 1},
    ),
    # §1.4 (3): root tokens, exactly one policy "root".
    "root-token": Scenario(
        [
            variant(
                EXAMPLE_C,
                auth__token_policies=["root"],
                auth__policies=["root"],
            )
        ],
        [],
        {SkipReason.ROOT_TOKEN: 1},
    ),
    # §1.4 (3): response-wrapping tokens.
    "wrapping-token": Scenario(
        [
            variant(
                EXAMPLE_C,
                auth__token_policies=["response-wrapping"],
                request__path="sys/wrapping/unwrap",
            )
        ],
        [],
        {SkipReason.WRAPPING_TOKEN: 1},
    ),
    # §1.4 (3): control-group tokens.
    "control-group-token": Scenario(
        [variant(EXAMPLE_C, auth__token_policies=["control-group"])],
        [],
        {SkipReason.WRAPPING_TOKEN: 1},
    ),
    # §1.4 (3): ignore-for-billing, where the entry shows it.
    "ignore-for-billing": Scenario(
        [variant(EXAMPLE_B, auth__metadata={"ignore_for_billing": "true"})],
        [],
        {SkipReason.IGNORED_FOR_BILLING: 1},
    ),
    # §1.4 (3) and §1.5: unauthenticated login request.
    "unauthenticated-login-request": Scenario(
        [LOGIN_REQUEST], [], {SkipReason.UNAUTHENTICATED: 1}
    ),
    # §1.4 recipe: request and response entries, and a second device's copy
    # (different salt, so different HMACs), count once.
    "request-response-and-second-device": Scenario(
        [
            EXAMPLE_A,
            EXAMPLE_B,
            as_response(EXAMPLE_B),
            variant(
                EXAMPLE_B,
                request__client_token_accessor="hmac-sha256:" + "0" * 64,
                auth__accessor="hmac-sha256:" + "0" * 64,
            ),
        ],
        [ALICE_IN_TEAM_A],
        {SkipReason.UNAUTHENTICATED: 1, SkipReason.DUPLICATE: 2},
    ),
    # §1.4 recipe: a response entry logged before its request entry.
    "response-before-request": Scenario(
        [EXAMPLE_A, as_response(EXAMPLE_B), EXAMPLE_B],
        [ALICE_IN_TEAM_A],
        {SkipReason.UNAUTHENTICATED: 1, SkipReason.DUPLICATE: 1},
    ),
    # §1.4 recipe, logs older than 1.9: the entity ID is the client ID.
    "pre-1.9-entity": Scenario(
        [EXAMPLE_A, variant(EXAMPLE_B, request__client_id=None)],
        [ALICE_IN_TEAM_A],
        {SkipReason.UNAUTHENTICATED: 1},
    ),
    # §1.4 recipe, logs older than 1.9: the non-entity ID is recomputed from
    # token_policies and the token namespace, and equals Vault's (example C).
    "pre-1.9-non-entity": Scenario(
        [variant(EXAMPLE_C, request__client_id=None)],
        [CI_IN_ROOT],
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_yields_the_clients_vault_counts(name):
    """Each §1.4 scenario yields exactly the expected events and skips."""
    scenario = SCENARIOS[name]
    reader = AuditLogReader()

    events = list(reader.read(copy.deepcopy(scenario.entries)))

    assert [
        Expected(
            e.client.id,
            e.client.type,
            e.client.namespace_id,
            e.client.mount_accessor,
            e.approximate,
        )
        for e in events
    ] == scenario.events
    assert {r: n for r, n in reader.skipped.items() if n} == scenario.skipped


def test_example_c_client_id_equals_clientid_recomputation():
    """Example C's client_id is Vault's recipe over its policies in root."""
    expected = non_entity_client_id(["ci-deployer", "default"], "root")

    assert EXAMPLE_C["request"]["client_id"] == expected


def test_example_b_client_id_is_its_entity_id():
    """Example B's client_id equals its entity ID (§1.4 (1))."""
    assert EXAMPLE_B["request"]["client_id"] == EXAMPLE_B["auth"]["entity_id"]


def test_example_b_token_creation_time_and_use_time():
    """The event's month is the use's; the creation time is the token's."""
    reader = AuditLogReader()
    reader.feed(EXAMPLE_A)

    event = reader.feed(EXAMPLE_B)

    assert event is not None
    assert (event.at, event.token_creation_time) == (
        dt.datetime(2025, 3, 4, 9, 16, 2, 480112, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 4, 9, 15, 27, tzinfo=dt.UTC),
    )
