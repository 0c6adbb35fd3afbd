"""
Tests for the audit-log adapter, ``clientid.AuditLogReader``.

Entries are built by small helpers that follow Vault's JSON audit format
(spec/vault-formats-and-ecosystem.md §1.2); every rule of §1.4 has a test.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import (
    AuditLogReader,
    AuthMount,
    ClientType,
    MountAccessor,
    Namespace,
    NamespaceId,
    SkipReason,
    non_entity_client_id,
)
from clientid.errors import InvalidModelError, MalformedRecordError

ROOT = {"id": "root"}
TEAM_A = {"id": "Xq2bK", "path": "team-a/"}
TEAM_A_DEV = {"id": "Dv9Zr", "path": "team-a/dev/"}
USERPASS = "auth_userpass_e9f8fee8"
TOKEN_STORE = "auth_ns_token_2bd71e0a"  # noqa: S105 (an accessor)
KV = "kv_1c72b8e8"
ENTITY = "d60e0815-e6c5-4eb6-afac-16b3d92f8490"
ACCESSOR = "hmac-sha256:" + "a" * 64
TOKEN = "hmac-sha256:" + "b" * 64
OTHER_TOKEN = "hmac-sha256:" + "c" * 64


def login(
    *,
    request_id: str = "login-1",
    namespace: dict[str, str] | None = None,
    accessor: str | None = ACCESSOR,
    entity_id: str | None = ENTITY,
    time: str = "2025-03-04T09:15:27.114583Z",
    mount_accessor: str = USERPASS,
    issue_time: str = "2025-03-04T09:15:27Z",
) -> dict[str, Any]:
    """Return a userpass login response entry minting a token."""
    minted: dict[str, Any] = {
        "client_token": TOKEN,
        "token_policies": ["default", "kv-reader"],
        "token_type": "service" if accessor else "batch",
        "token_issue_time": issue_time,
    }
    if accessor is not None:
        minted["accessor"] = accessor
    if entity_id is not None:
        minted["entity_id"] = entity_id
    return {
        "time": time,
        "type": "response",
        "auth": dict(minted),
        "request": {
            "id": request_id,
            "operation": "update",
            "mount_point": "auth/userpass/",
            "mount_type": "userpass",
            "mount_accessor": mount_accessor,
            "mount_class": "auth",
            "namespace": dict(namespace or TEAM_A),
            "path": "auth/userpass/login/alice",
        },
        "response": {"mount_accessor": mount_accessor, "auth": minted},
    }


def use(
    *,
    request_id: str = "use-1",
    entry_type: str = "request",
    namespace: dict[str, str] | None = None,
    accessor: str | None = ACCESSOR,
    entity_id: str | None = ENTITY,
    policies: list[str] | None = None,
    client_id: str | None = "",
    allowed: bool | None = True,
    time: str = "2025-03-04T09:16:02.480112Z",
    path: str = "secret/data/app/config",
    issue_time: str | None = "2025-03-04T09:15:27Z",
    token: str = TOKEN,
) -> dict[str, Any]:
    """Return an entry of a request authenticated with a token."""
    namespace = namespace or TEAM_A
    policies = ["default", "kv-reader"] if policies is None else policies
    if client_id == "":
        client_id = entity_id or non_entity_client_id(
            policies, namespace["id"]
        )
    auth: dict[str, Any] = {"client_token": token, "token_policies": policies}
    if accessor is not None:
        auth["accessor"] = accessor
    if allowed is not None:
        auth["policy_results"] = {"allowed": allowed}
    if entity_id is not None:
        auth["entity_id"] = entity_id
    if issue_time is not None:
        auth["token_issue_time"] = issue_time
    request: dict[str, Any] = {
        "id": request_id,
        "operation": "read",
        "mount_point": "secret/",
        "mount_type": "kv",
        "mount_accessor": KV,
        "mount_class": "secret",
        "client_token": token,
        "namespace": dict(namespace),
        "path": path,
    }
    if client_id is not None:
        request["client_id"] = client_id
    if accessor is not None:
        request["client_token_accessor"] = accessor
    entry: dict[str, Any] = {
        "time": time,
        "type": entry_type,
        "auth": auth,
        "request": request,
    }
    if entry_type == "response":
        entry["response"] = {"data": {}}
    return entry


def read_all(
    entries: list[dict[str, Any]], **options: Any
) -> tuple[AuditLogReader, list[Any]]:
    """Feed entries to a new reader; return it and the events."""
    reader = AuditLogReader(**options)
    return reader, list(reader.read(entries))


class TestCounting:
    """Which requests make a client event."""

    def test_allowed_request_with_a_token_is_counted(self):
        """An authenticated, allowed request yields one entity event."""
        _, events = read_all([login(), use()])

        assert [(e.client.id, e.client.type) for e in events] == [
            (ENTITY, ClientType.ENTITY)
        ]

    def test_request_without_client_id_is_unauthenticated(self):
        """A request entry without a token is skipped as unauthenticated."""
        entry = {
            "time": "2025-03-04T09:15:27Z",
            "type": "request",
            "auth": {
                "policy_results": {"allowed": True},
                "token_type": "default",
            },
            "request": {"id": "r", "namespace": ROOT, "path": "sys/health"},
        }
        reader, events = read_all([entry])

        assert events == []
        assert reader.skipped[SkipReason.UNAUTHENTICATED] == 1

    def test_login_response_is_not_a_use_of_the_minted_token(self):
        """A login response shows the new token but is not a use of it."""
        reader, events = read_all([login()])

        assert events == []
        assert reader.skipped[SkipReason.UNAUTHENTICATED] == 1

    def test_login_response_before_client_id_existed_is_not_a_use(self):
        """A pre-1.9 login response sent with a token still counts not."""
        entry = login()
        entry["request"]["client_token"] = "hmac-sha256:" + "c" * 64
        reader, events = read_all([entry])

        assert events == []
        assert reader.skipped[SkipReason.UNAUTHENTICATED] == 1

    @pytest.mark.parametrize(
        ("mount_point", "path"),
        [
            ("auth/userpass/", "auth/userpass/login/alice"),
            ("auth/oidc/", "auth/oidc/oidc/callback"),
            ("sys/", "sys/health"),
            ("sys/", "sys/seal-status"),
        ],
    )
    def test_request_to_an_unauthenticated_path_is_not_counted(
        self, mount_point, path
    ):
        """A token sent to a login or health path does not make a client."""
        entry = use(path=path)
        entry["request"]["mount_point"] = mount_point
        reader, events = read_all([entry])

        assert events == []
        assert reader.skipped[SkipReason.UNAUTHENTICATED] == 1

    def test_user_named_login_under_an_auth_mount_is_counted(self):
        """Writing user 'login' is an authenticated admin request."""
        entry = use(path="auth/userpass/users/login")
        entry["request"]["mount_point"] = "auth/userpass/"

        _, events = read_all([entry])

        assert len(events) == 1

    def test_denied_request_is_not_counted(self):
        """A request the ACL denied carries a client ID but is not counted."""
        reader, events = read_all([use(allowed=False)])

        assert events == []
        assert reader.skipped[SkipReason.DENIED] == 1

    def test_permission_denied_error_without_policy_results_is_denied(self):
        """Older entries without policy results are denied by their error."""
        entry = use(allowed=None, entry_type="response")
        entry["error"] = "1 error occurred:\n\t* permission denied\n\n"
        reader, events = read_all([entry])

        assert events == []
        assert reader.skipped[SkipReason.DENIED] == 1

    def test_backend_error_after_allowed_check_still_counts(self):
        """Counting happens before routing, so a backend error counts."""
        entry = use(entry_type="response")
        entry["error"] = "no handler for route"

        _, events = read_all([entry])

        assert len(events) == 1

    def test_root_token_is_not_counted(self):
        """A token whose only policy is root is never a client."""
        reader, events = read_all(
            [use(entity_id=None, policies=["root"], accessor=None)]
        )

        assert events == []
        assert reader.skipped[SkipReason.ROOT_TOKEN] == 1

    def test_root_token_with_an_entity_is_not_counted(self):
        """Root tokens are excluded even when they carry an entity."""
        reader, _ = read_all([use(policies=["root"])])

        assert reader.skipped[SkipReason.ROOT_TOKEN] == 1

    @pytest.mark.parametrize("policy", ["response-wrapping", "control-group"])
    def test_wrapping_and_control_group_tokens_are_not_counted(self, policy):
        """Tokens whose sole policy is a wrapping policy are skipped."""
        reader, events = read_all(
            [use(entity_id=None, policies=[policy], accessor=None)]
        )

        assert events == []
        assert reader.skipped[SkipReason.WRAPPING_TOKEN] == 1

    def test_root_next_to_other_policies_is_counted(self):
        """The root check is on the exact list, as Vault's (vector 12)."""
        entry = use(
            entity_id=None,
            policies=["default", "root"],
            accessor=None,
            client_id=None,
            namespace=ROOT,
        )

        _, [event] = read_all([entry])

        assert (
            event.client.id == "6dzDB+dVYZ4z3uACb9iPDq5QphkdQHcVUMuaHFiMgE0="
        )

    def test_token_ignored_for_billing_is_not_counted(self):
        """A token whose metadata says ignore_for_billing is skipped."""
        entry = use()
        entry["auth"]["metadata"] = {"ignore_for_billing": "true"}
        reader, events = read_all([entry])

        assert events == []
        assert reader.skipped[SkipReason.IGNORED_FOR_BILLING] == 1

    def test_approximate_property_counts_approximate_events(self):
        """approximate counts the events whose attribution is a fallback."""
        reader, _ = read_all([use(), login(), use(request_id="u2")])

        assert reader.approximate == 1

    def test_counted_property_counts_events(self):
        """The counted property equals the number of events produced."""
        reader, events = read_all([login(), use(), use(request_id="u2")])

        assert reader.counted == len(events) == 2


class TestDeduplication:
    """Each request counts once however many entries it has."""

    def test_request_and_response_entries_count_once(self):
        """A request's request and response entries make one event."""
        reader, events = read_all(
            [use(), use(entry_type="response", time="2025-03-04T09:16:03Z")]
        )

        assert len(events) == 1
        assert reader.skipped[SkipReason.DUPLICATE] == 1

    def test_response_entry_alone_is_counted(self):
        """A device that logged only the response still counts the request."""
        _, events = read_all([use(entry_type="response")])

        assert len(events) == 1

    def test_copy_from_a_second_device_counts_once(self):
        """Another device's copy, with its own HMAC salt, is a duplicate."""
        other = use(accessor="hmac-sha256:" + "d" * 64)

        reader, events = read_all([use(), other])

        assert len(events) == 1
        assert reader.skipped[SkipReason.DUPLICATE] == 1

    def test_denied_request_response_is_a_duplicate(self):
        """The response entry of a denied request is not a second denial."""
        reader, _ = read_all(
            [use(allowed=False), use(allowed=False, entry_type="response")]
        )

        assert reader.skipped[SkipReason.DENIED] == 1
        assert reader.skipped[SkipReason.DUPLICATE] == 1

    def test_copy_older_than_the_dedup_limit_is_counted_again(self):
        """Memory is bounded: a copy past dedup_limit requests counts again."""
        entries = [
            use(request_id="a"),
            use(request_id="b"),
            use(request_id="a"),
        ]

        _, events = read_all(entries, dedup_limit=1)

        assert [e.request_id for e in events] == ["a", "b", "a"]

    def test_copy_within_the_dedup_limit_is_dropped(self):
        """A copy within dedup_limit requests is recognised."""
        entries = [
            use(request_id="a"),
            use(request_id="b"),
            use(request_id="a"),
        ]

        _, events = read_all(entries, dedup_limit=2)

        assert [e.request_id for e in events] == ["a", "b"]

    @pytest.mark.parametrize("option", ["dedup_limit", "join_limit"])
    @pytest.mark.parametrize("value", [0, -1])
    def test_limits_below_one_are_rejected(self, option, value):
        """Both memory bounds must be at least 1."""
        with pytest.raises(InvalidModelError) as info:
            AuditLogReader(**{option: value})

        assert info.value.field == option
        assert info.value.value == value


class TestAttribution:
    """Namespace and mount come from the response that minted the token."""

    def test_login_join_gives_token_namespace_and_auth_mount(self):
        """The event carries the login's namespace and auth mount."""
        _, [event] = read_all([login(), use()])

        assert (event.client.namespace_id, event.client.mount_accessor) == (
            TEAM_A["id"],
            USERPASS,
        )
        assert event.approximate is False

    def test_token_used_in_a_child_namespace_is_attributed_to_its_own(self):
        """A team-a token used in team-a/dev/ counts in team-a (GH-18809)."""
        _, [event] = read_all([login(), use(namespace=TEAM_A_DEV)])

        assert event.client.namespace_id == TEAM_A["id"]

    def test_unjoined_token_falls_back_to_request_namespace(self):
        """A log starting mid-stream attributes approximately."""
        _, [event] = read_all([use(namespace=TEAM_A_DEV)])

        assert (event.client.namespace_id, event.client.mount_accessor) == (
            TEAM_A_DEV["id"],
            None,
        )
        assert event.approximate is True

    def test_batch_token_joins_its_creation_on_the_client_token(self):
        """A batch token has no accessor; its (HMAC'd) token joins."""
        entries = [
            login(accessor=None),
            use(accessor=None, namespace=TEAM_A_DEV),
        ]

        _, [event] = read_all(entries)

        assert (event.client.namespace_id, event.client.mount_accessor) == (
            TEAM_A["id"],
            USERPASS,
        )
        assert event.approximate is False

    def test_caller_token_logged_as_minted_is_not_learnt(self):
        """
        A caller's token logged as a login's minted token is not learnt.
        """
        created = login(accessor=None, entity_id=None)
        created["request"]["client_token"] = TOKEN
        entries = [created, use(accessor=None, entity_id=None)]

        _, [event] = read_all(entries)

        assert event.client.mount_accessor is None
        assert event.approximate is True

    def test_entity_batch_token_uses_the_entity_login(self):
        """An unjoined batch token: its entity's login attributes it."""
        entries = [
            login(accessor=None),
            use(accessor=None, namespace=TEAM_A_DEV, token=OTHER_TOKEN),
        ]

        _, [event] = read_all(entries)

        assert (event.client.namespace_id, event.client.mount_accessor) == (
            TEAM_A["id"],
            USERPASS,
        )
        assert event.approximate is True

    def test_entity_batch_token_uses_the_latest_login_of_its_entity(self):
        """When an entity logs in on two mounts, the latest login wins."""
        entries = [
            login(accessor=None),
            login(request_id="l2", accessor=None, mount_accessor="approle"),
            use(accessor=None, token=OTHER_TOKEN),
        ]

        _, events = read_all(entries)

        assert events[-1].client.mount_accessor == "approle"

    def test_join_limit_also_bounds_entity_logins(self):
        """Past join_limit entities, the oldest entity's login is forgotten."""
        entries = [
            login(accessor=None),
            login(request_id="l2", accessor=None, entity_id="other"),
            use(accessor=None, namespace=TEAM_A_DEV, token=OTHER_TOKEN),
        ]

        _, events = read_all(entries, join_limit=1)

        assert events[-1].client.namespace_id == TEAM_A_DEV["id"]

    def test_entry_without_namespace_is_in_root(self):
        """Logs of Vault versions without namespaces omit it: root."""
        entry = use(accessor=None)
        del entry["request"]["namespace"]

        _, [event] = read_all([entry])

        assert event.client.namespace_id == "root"

    def test_response_without_minted_auth_teaches_nothing(self):
        """A response that mints no token leaves later uses unjoined."""
        response = use(request_id="other", entry_type="response")
        del response["request"]["mount_point"]

        _, events = read_all([response, use(namespace=TEAM_A_DEV)])

        assert events[-1].approximate is True

    def test_non_entity_batch_token_namespace_is_recovered_from_its_id(self):
        """The client ID hashes the token namespace, so ancestors are tried."""
        policies = ["ci-deployer", "default"]
        client_id = non_entity_client_id(policies, TEAM_A["id"])
        entries = [
            use(request_id="seen-a", namespace=TEAM_A, accessor=None),
            use(
                request_id="batch",
                namespace=TEAM_A_DEV,
                entity_id=None,
                accessor=None,
                policies=policies,
                client_id=client_id,
            ),
        ]

        _, events = read_all(entries)

        assert events[1].client.namespace_id == TEAM_A["id"]
        assert events[1].client.mount_accessor is None
        assert events[1].approximate is True

    def test_unrecoverable_namespace_stays_the_request_namespace(self):
        """Without a matching ancestor the request namespace is kept."""
        entries = [
            use(
                namespace=TEAM_A_DEV,
                entity_id=None,
                accessor=None,
                client_id="not-a-hash-of-anything",
            )
        ]

        _, [event] = read_all(entries)

        assert event.client.namespace_id == TEAM_A_DEV["id"]

    def test_renewal_does_not_move_the_token_to_the_token_store(self):
        """A renew-self response repeats the token but did not mint it."""
        renewal = use(request_id="renew", entry_type="response")
        renewal["request"] |= {
            "path": "auth/token/renew-self",
            "mount_point": "auth/token/",
            "mount_type": "ns_token",
            "mount_accessor": TOKEN_STORE,
        }
        renewal["response"] = {"auth": dict(renewal["auth"])}
        entries = [login(), renewal, use(request_id="after")]

        _, events = read_all(entries)

        assert events[-1].client.mount_accessor == USERPASS

    def test_renewal_seen_first_does_not_become_the_origin(self):
        """Even with no login in the log, a renewal never names the mount."""
        renewal = use(request_id="renew", entry_type="response")
        renewal["request"] |= {
            "path": "auth/token/renew-self",
            "mount_point": "auth/token/",
            "mount_type": "ns_token",
            "mount_accessor": TOKEN_STORE,
        }
        renewal["response"] = {"auth": dict(renewal["auth"])}

        _, events = read_all([renewal, use(request_id="after")])

        assert events[-1].client.mount_accessor is None

    def test_token_create_response_is_a_join_origin(self):
        """auth/token/create mints a token in its namespace's token store."""
        created = login(request_id="create", entity_id=None)
        created["request"] |= {
            "path": "auth/token/create",
            "mount_point": "auth/token/",
            "mount_type": "ns_token",
            "mount_accessor": TOKEN_STORE,
            "client_id": "creator",
        }
        created["auth"] = {"client_token": "hmac-sha256:" + "e" * 64}
        entries = [created, use(entity_id=None, namespace=TEAM_A_DEV)]

        _, events = read_all(entries)

        assert (
            events[-1].client.namespace_id,
            events[-1].client.mount_accessor,
        ) == (TEAM_A["id"], TOKEN_STORE)

    def test_first_mint_of_an_accessor_wins(self):
        """A later response repeating an accessor does not move the token."""
        entries = [
            login(),
            login(request_id="again", namespace=ROOT, mount_accessor="other"),
            use(),
        ]

        _, events = read_all(entries)

        assert events[-1].client.mount_accessor == USERPASS

    def test_join_limit_forgets_the_oldest_token(self):
        """Past join_limit accessors, the oldest token's join is lost."""
        entries = [
            login(),
            login(request_id="l2", accessor="hmac-sha256:" + "f" * 64),
            use(),
        ]

        _, events = read_all(entries, join_limit=1)

        assert events[-1].approximate is True

    def test_login_without_mount_accessor_joins_namespace_only(self):
        """Before 1.11 logins name no mount accessor: the mount is unknown."""
        entry = login()
        del entry["request"]["mount_accessor"]

        _, [event] = read_all([entry, use(namespace=TEAM_A_DEV)])

        assert (event.client.namespace_id, event.client.mount_accessor) == (
            TEAM_A["id"],
            None,
        )
        assert event.approximate is True


class TestClientIds:
    """Client IDs come from the entry or are recomputed for old logs."""

    def test_non_entity_client_id_is_taken_from_the_entry(self):
        """A 1.9+ entry's client_id is used verbatim for non-entity tokens."""
        _, [event] = read_all(
            [use(entity_id=None, client_id="given-id", accessor=None)]
        )

        assert (event.client.id, event.client.type) == (
            "given-id",
            ClientType.NON_ENTITY_TOKEN,
        )

    def test_pre_1_9_entity_token_uses_the_entity_id(self):
        """Without client_id, an entity token's client is its entity ID."""
        _, [event] = read_all([login(), use(client_id=None)])

        assert event.client.id == ENTITY

    def test_pre_1_9_non_entity_id_is_recomputed_in_the_token_namespace(self):
        """The recipe hashes token policies and the joined namespace."""
        policies = ["app-read", "default"]
        entries = [
            login(entity_id=None),
            use(
                entity_id=None,
                client_id=None,
                policies=policies,
                namespace=TEAM_A_DEV,
            ),
        ]

        _, events = read_all(entries)

        assert events[-1].client.id == non_entity_client_id(
            policies, TEAM_A["id"]
        )
        assert events[-1].approximate is False

    def test_pre_1_9_unjoined_non_entity_id_uses_the_request_namespace(self):
        """Without a join, the ID is recomputed approximately."""
        policies = ["app-read", "default"]
        entry = use(
            entity_id=None, client_id=None, policies=policies, accessor=None
        )

        _, [event] = read_all([entry])

        assert event.client.id == non_entity_client_id(policies, TEAM_A["id"])
        assert event.approximate is True

    def test_pre_token_policies_logs_fall_back_to_policies(self):
        """Without token_policies the token's policies list is hashed."""
        entry = use(entity_id=None, client_id=None, accessor=None)
        entry["auth"]["policies"] = entry["auth"].pop("token_policies")

        _, [event] = read_all([entry])

        assert event.client.id == non_entity_client_id(
            ["default", "kv-reader"], TEAM_A["id"]
        )

    def test_pre_1_9_request_without_token_is_unauthenticated(self):
        """An old entry with policies but no client token is not a use."""
        entry = use(client_id=None)
        del entry["request"]["client_token"]
        reader, _ = read_all([entry])

        assert reader.skipped[SkipReason.UNAUTHENTICATED] == 1


class TestTimes:
    """Times are normalised to UTC instants."""

    def test_use_time_is_the_entry_time_in_utc(self):
        """The event time is the entry's time, converted to UTC."""
        _, [event] = read_all([use(time="2025-03-04T11:16:02+02:00")])

        assert event.at == dt.datetime(2025, 3, 4, 9, 16, 2, tzinfo=dt.UTC)

    def test_nanosecond_times_are_accepted(self):
        """Vault writes nanoseconds; the time keeps microseconds."""
        _, [event] = read_all([use(time="2025-03-04T09:16:02.480112999Z")])

        assert event.at.microsecond == 480112

    def test_token_creation_time_comes_from_token_issue_time(self):
        """auth.token_issue_time is the token creation time."""
        _, [event] = read_all([use(issue_time="2025-03-01T00:00:00-01:00")])

        assert event.token_creation_time == dt.datetime(
            2025, 3, 1, 1, tzinfo=dt.UTC
        )

    def test_token_creation_time_falls_back_to_the_login(self):
        """Without token_issue_time the minting response's time is used."""
        _, events = read_all(
            [login(issue_time="2025-02-01T00:00:00Z"), use(issue_time=None)]
        )

        assert events[-1].token_creation_time == dt.datetime(
            2025, 2, 1, tzinfo=dt.UTC
        )

    def test_token_creation_time_is_none_when_unknown(self):
        """An unjoined token without token_issue_time has no creation time."""
        _, [event] = read_all([use(issue_time=None)])

        assert event.token_creation_time is None


class TestDiscovery:
    """The reader reports the namespaces and auth mounts it saw."""

    def test_namespaces_are_listed_with_their_parents(self):
        """A namespace whose parent ID is known is listed, sorted by path."""
        reader, _ = read_all([login(), use(namespace=TEAM_A_DEV)])

        assert reader.namespaces == (
            Namespace(
                id=NamespaceId("Xq2bK"),
                path="team-a/",
                parent_id=NamespaceId("root"),
            ),
            Namespace(
                id=NamespaceId("Dv9Zr"),
                path="team-a/dev/",
                parent_id=NamespaceId("Xq2bK"),
            ),
        )

    def test_namespace_with_unknown_parent_is_not_listed(self):
        """Without its parent's ID a namespace cannot be built."""
        reader, _ = read_all([use(namespace=TEAM_A_DEV)])

        assert reader.namespaces == ()

    def test_mounts_are_the_auth_mounts_that_minted_tokens(self):
        """The login's mount is listed; the KV mount of a read is not."""
        reader, _ = read_all([login(), use()])

        assert reader.mounts == (
            AuthMount(
                accessor=MountAccessor(USERPASS),
                type="userpass",
                path="auth/userpass/",
                namespace_id=NamespaceId("Xq2bK"),
            ),
        )

    def test_mount_point_without_trailing_slash_is_the_same_mount(self):
        """A mount point lacking its trailing slash is listed with it."""
        entry = login()
        entry["request"]["mount_point"] = "auth/userpass"
        reader, _ = read_all([entry, use()])

        (mount,) = reader.mounts

        assert mount.path == "auth/userpass/"

    def test_root_namespace_given_with_a_path_is_not_listed(self):
        """An entry naming the root ID with a path never breaks the list."""
        odd_root = {"id": "root", "path": "team-a/"}
        reader, _ = read_all(
            [login(namespace=odd_root), use(namespace=odd_root)]
        )

        assert reader.namespaces == ()


# Each row: a broken copy of a valid entry, the dotted field, the value.
def _set(path: str, value: object):
    def mutate(entry: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = entry
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value

    return mutate


def _delete(path: str):
    def mutate(entry: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = entry
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


MALFORMED = [
    (_set("type", "audit"), "type", "audit"),
    (_delete("type"), "type", None),
    (_delete("time"), "time", None),
    (_set("time", 1741079727), "time", 1741079727),
    (_set("time", "2025-03-04"), "time", "2025-03-04"),
    # Shaped like RFC 3339 but no such day.
    (_set("time", "2025-02-30T00:00:00Z"), "time", "2025-02-30T00:00:00Z"),
    (_set("time", "2025-03-04T09:16:02"), "time", "2025-03-04T09:16:02"),
    (_delete("request"), "request", None),
    (_set("request", []), "request", []),
    (_set("request.id", ""), "request.id", ""),
    (_set("request.id", 7), "request.id", 7),
    (_set("request.client_id", 7), "request.client_id", 7),
    # Vault copies the entity ID into client_id; a mismatch is tampering.
    (_set("request.client_id", "other"), "request.client_id", "other"),
    (_set("request.namespace", "root"), "request.namespace", "root"),
    (_set("request.namespace", {}), "request.namespace.id", None),
    (_set("request.namespace.id", ""), "request.namespace.id", ""),
    (_set("request.namespace.path", 3), "request.namespace.path", 3),
    (_set("request.namespace.path", "a"), "request.namespace.path", "a"),
    (_set("request.path", ["x"]), "request.path", ["x"]),
    (_set("request.mount_point", 1), "request.mount_point", 1),
    (_set("request.mount_type", 1), "request.mount_type", 1),
    (_set("request.mount_accessor", 1), "request.mount_accessor", 1),
    (_set("request.client_token", 1), "request.client_token", 1),
    (
        _set("request.client_token_accessor", 1),
        "request.client_token_accessor",
        1,
    ),
    (_set("auth", "x"), "auth", "x"),
    (_set("auth.entity_id", 5), "auth.entity_id", 5),
    (_set("auth.policy_results", True), "auth.policy_results", True),
    (
        _set("auth.policy_results.allowed", "yes"),
        "auth.policy_results.allowed",
        "yes",
    ),
    (_set("auth.token_policies", "default"), "auth.token_policies", "default"),
    (_set("auth.token_policies", [1]), "auth.token_policies", [1]),
    (_set("auth.metadata", []), "auth.metadata", []),
    (_set("auth.accessor", 2), "auth.accessor", 2),
    (_set("auth.client_token", 2), "auth.client_token", 2),
    (_set("auth.token_issue_time", "later"), "auth.token_issue_time", "later"),
    (_set("error", {"a": 1}), "error", {"a": 1}),
    (_set("response", "x"), "response", "x"),
    (_set("response.auth", "x"), "response.auth", "x"),
    (_set("response.auth.accessor", 1), "response.auth.accessor", 1),
    (_set("response.auth.client_token", 1), "response.auth.client_token", 1),
    (_set("response.auth.entity_id", 1), "response.auth.entity_id", 1),
    (
        _set("response.auth.token_issue_time", "x"),
        "response.auth.token_issue_time",
        "x",
    ),
    (_set("response.wrap_info", []), "response.wrap_info", []),
    (
        _set("response.wrap_info.wrapped_accessor", 3),
        "response.wrap_info.wrapped_accessor",
        3,
    ),
]


class TestMalformed:
    """Malformed entries raise, naming field, rule and value."""

    @pytest.mark.parametrize(("mutate", "field", "value"), MALFORMED)
    def test_malformed_entry_raises_naming_the_field(
        self, mutate, field, value
    ):
        """Each broken field raises MalformedRecordError naming it."""
        entry = use()
        mutate(entry)
        reader = AuditLogReader()
        reader.feed(login())

        with pytest.raises(MalformedRecordError) as info:
            reader.feed(entry)

        assert (info.value.field, info.value.value, info.value.index) == (
            field,
            value,
            1,
        )
        assert field in str(info.value)
        assert info.value.reason in str(info.value)

    def test_entry_that_is_not_an_object_raises(self):
        """A JSON array where an entry belongs is malformed."""
        with pytest.raises(MalformedRecordError) as info:
            AuditLogReader().feed([])  # type: ignore[arg-type]

        assert (info.value.field, info.value.value) == ("entry", [])

    def test_strict_failure_leaves_the_reader_usable(self):
        """After a malformed entry the reader counts the next one normally."""
        reader = AuditLogReader()
        broken = use()
        broken["time"] = "never"
        with pytest.raises(MalformedRecordError):
            reader.feed(broken)

        event = reader.feed(use())

        assert event is not None
        assert reader.counted == 1

    def test_lenient_mode_returns_malformed_entries_with_the_reason(self):
        """Lenient readers keep going and report what they rejected."""
        broken = use(request_id="broken")
        broken["time"] = "never"
        reader, events = read_all(
            [login(), broken, use(request_id="fine")], lenient=True
        )

        assert [e.request_id for e in events] == ["fine"]
        assert [r.index for r in reader.rejected] == [1]
        assert reader.rejected[0].reason == (
            "record 1: time must be an RFC 3339 time, got 'never'"
        )
        assert reader.skipped[SkipReason.MALFORMED] == 1

    def test_malformed_error_pickles(self):
        """The error survives pickling with its structured fields."""
        error = MalformedRecordError(
            "time", "must be an RFC 3339 time", "x", 4
        )

        restored = pickle.loads(pickle.dumps(error))

        assert (
            restored.field,
            restored.reason,
            restored.value,
            restored.index,
        ) == (
            "time",
            "must be an RFC 3339 time",
            "x",
            4,
        )


class TestOrderHazards:
    """Key order and entry order of a request do not change the outcome."""

    def test_key_order_is_irrelevant(self):
        """An entry with 'type' last (current Vault) reads the same."""
        entry = use()
        reordered = {key: entry[key] for key in reversed(list(entry))}

        _, [first] = read_all([login(), entry])
        _, [second] = read_all([login(), reordered])

        assert first == second

    @given(
        order=st.permutations(range(4)),
        copies=st.lists(st.integers(0, 3), max_size=6),
    )
    def test_request_response_order_and_copies_do_not_change_clients(
        self, order, copies
    ):
        """Any order of a request's entries, and any copies, count it once."""
        requests = [
            use(
                request_id=f"r{n}",
                policies=["default", f"p{n}"],
                entity_id=None,
            )
            for n in range(4)
        ]
        entries: list[dict[str, Any]] = [login(entity_id=None)]
        for n in order:
            response = copy.deepcopy(requests[n])
            response["type"] = "response"
            entries += [response, requests[n]]
        entries += [copy.deepcopy(requests[n]) for n in copies]

        reader, events = read_all(entries)

        assert sorted(e.request_id for e in events) == ["r0", "r1", "r2", "r3"]
        assert {e.client.mount_accessor for e in events} == {USERPASS}
        assert reader.skipped[SkipReason.DUPLICATE] == 4 + len(copies)

    @given(st.randoms(use_true_random=False))
    def test_shuffled_uses_after_the_login_give_the_same_clients(self, rng):
        """Once the token is joined, use order never changes attribution."""
        uses = [
            use(request_id=f"u{n}", namespace=(TEAM_A, TEAM_A_DEV)[n % 2])
            for n in range(6)
        ]
        uses += [copy.deepcopy(entry) for entry in uses[:3]]
        rng.shuffle(uses)

        _, events = read_all([login(), *uses])

        assert {
            (e.client.id, e.client.namespace_id, e.client.mount_accessor)
            for e in events
        } == {(ENTITY, TEAM_A["id"], USERPASS)}
        assert len(events) == 6
