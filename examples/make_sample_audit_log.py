"""
Generate the bundled sample audit log, ``data/sample-audit-log.jsonl``.

The log is invented but follows Vault's JSON audit format (request and
response entries, HMAC'd tokens and accessors) and covers every case the
audit-log reader has to get right: logins in several namespaces and auth
mounts, entity and non-entity tokens, batch tokens, tokens used in a child
namespace, token renewals, denied requests, root-token requests, response
wrapping, unauthenticated requests, and a second audit device that logs
copies of the same requests with its own HMAC salt.

The generator is seeded, so running it again writes the same bytes.  Next
to the entries it builds the *truth*: which client used Vault when, and
how many requests of each kind it wrote.  Tests compare what clientid reads
from the log with that truth.

Run: ``python examples/make_sample_audit_log.py``
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from clientid import non_entity_client_id, sanitize_policies

SEED: Final = 20250304
OUTPUT: Final = Path(__file__).parent / "data" / "sample-audit-log.jsonl"
MONTHS: Final = ((2025, 1), (2025, 2), (2025, 3))
# The second audit device was enabled for this window and logs every
# request a second time, with its own salt.
SECOND_DEVICE: Final = (
    dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 20, tzinfo=dt.UTC),
)

_VERSION: Final = "v1.18.3+builtin.vault"
_KV_VERSION: Final = "v0.21.0+builtin"

Json = dict[str, object]
#: Builds one entry of a request for (device, entry type).
Builder = Callable[[int, str], Json]


@dataclass(frozen=True)
class Namespace:
    """A namespace of the invented cluster."""

    id: str
    path: str

    def to_json(self) -> Json:
        """Render as Vault does: the root namespace has no path key."""
        if not self.path:
            return {"id": self.id}
        return {"id": self.id, "path": self.path}


ROOT: Final = Namespace("root", "")
TEAM_A: Final = Namespace("Xq2bK", "team-a/")
TEAM_B: Final = Namespace("Lm3Pq", "team-b/")
TEAM_A_DEV: Final = Namespace("Dv9Zr", "team-a/dev/")
NAMESPACES: Final = (ROOT, TEAM_A, TEAM_B, TEAM_A_DEV)
CHILDREN: Final = {TEAM_A: TEAM_A_DEV}


@dataclass(frozen=True)
class Mount:
    """An auth or secret mount."""

    accessor: str
    type: str
    path: str
    mount_class: str


SYS_MOUNT: Final = Mount("system_4b1f0d2e", "system", "sys/", "secret")


@dataclass
class Token:
    """A token minted during the simulation, with its raw secrets."""

    client_token: str
    accessor: str | None
    policies: tuple[str, ...]
    identity_policies: tuple[str, ...]
    entity_id: str | None
    token_type: str
    issued: dt.datetime
    ttl: int
    display_name: str
    namespace: Namespace
    mount: Mount | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Use:
    """A request Vault counts: who, when, attributed where."""

    time: dt.datetime
    client_id: str
    client_type: str
    namespace_id: str
    mount_accessor: str | None


@dataclass
class Truth:
    """What the generator did, independently of how clientid reads it."""

    uses: list[Use] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    entries: int = 0

    def tally(self, kind: str) -> None:
        """Count one request of *kind*."""
        self.requests[kind] = self.requests.get(kind, 0) + 1


class _Generator:
    """Holds the seeded RNG, the mounts and the entries written so far."""

    def __init__(self, seed: int) -> None:
        # A seeded simulation, not cryptography.
        self.rng = random.Random(seed)  # noqa: S311
        self.salts = (b"device-file-1", b"device-file-2")
        self.truth = Truth()
        # (time, sequence, entry); the sequence keeps request before
        # response and makes the sort total.
        self.pending: list[tuple[dt.datetime, int, Json, int]] = []
        self.sequence = 0
        self.auth_mounts: dict[tuple[Namespace, str], Mount] = {}
        self.kv_mounts: dict[Namespace, Mount] = {}
        for namespace in NAMESPACES:
            for kind in ("userpass", "approle"):
                self.auth_mounts[namespace, kind] = Mount(
                    f"auth_{kind}_{self.hex(8)}", kind, f"auth/{kind}/", "auth"
                )
            token_type = "token" if namespace is ROOT else "ns_token"
            self.auth_mounts[namespace, "token"] = Mount(
                f"auth_{token_type}_{self.hex(8)}",
                token_type,
                "auth/token/",
                "auth",
            )
            self.kv_mounts[namespace] = Mount(
                f"kv_{self.hex(8)}", "kv", "secret/", "secret"
            )
        self.root_token = self.mint(
            ROOT, None, ("root",), entity_id=None, when=_month_start(1)
        )

    # -- helpers ----------------------------------------------------------

    def hex(self, digits: int) -> str:
        """Return random lower-case hex digits."""
        return f"{self.rng.getrandbits(4 * digits):0{digits}x}"

    def uuid(self) -> str:
        """Return a random (seeded) version-4 UUID string."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hmac(self, device: int, value: str) -> str:
        """HMAC a value as audit device *device* does."""
        mac = hmac.new(self.salts[device], value.encode(), hashlib.sha256)
        return "hmac-sha256:" + mac.hexdigest()

    def mint(
        self,
        namespace: Namespace,
        mount: Mount | None,
        policies: tuple[str, ...],
        *,
        entity_id: str | None,
        when: dt.datetime,
        batch: bool = False,
        identity_policies: tuple[str, ...] = (),
        display_name: str = "token",
        metadata: dict[str, str] | None = None,
    ) -> Token:
        """Create a token; batch tokens have no accessor."""
        return Token(
            client_token=("hvb." if batch else "hvs.") + self.hex(24),
            accessor=None if batch else self.hex(24),
            policies=policies,
            identity_policies=identity_policies,
            entity_id=entity_id,
            token_type="batch" if batch else "service",
            issued=when.replace(microsecond=0),
            ttl=1200 if batch else 2764800,
            display_name=display_name,
            namespace=namespace,
            mount=mount,
            metadata=metadata or {},
        )

    def auth_json(
        self, device: int, token: Token, *, allowed: bool | None
    ) -> Json:
        """Render a token as the ``auth`` object of an entry."""
        auth: Json = {"client_token": self.hmac(device, token.client_token)}
        if token.accessor is not None:
            auth["accessor"] = self.hmac(device, token.accessor)
        all_policies = sorted({*token.policies, *token.identity_policies})
        auth |= {
            "display_name": token.display_name,
            "policies": all_policies,
            "token_policies": list(token.policies),
        }
        if token.identity_policies:
            auth["identity_policies"] = list(token.identity_policies)
        if allowed is not None:
            granting = [
                {
                    "name": token.policies[-1],
                    "namespace_id": token.namespace.id,
                    "type": "acl",
                }
            ]
            auth["policy_results"] = (
                {"allowed": True, "granting_policies": granting}
                if allowed
                else {"allowed": False}
            )
        if token.metadata:
            auth["metadata"] = dict(token.metadata)
        if token.entity_id is not None:
            auth["entity_id"] = token.entity_id
        auth |= {
            "token_type": token.token_type,
            "token_ttl": token.ttl,
            "token_issue_time": _rfc3339(token.issued),
        }
        return auth

    def emit(self, when: dt.datetime, build: Builder, kind: str) -> None:
        """Queue the entries of one request on every device logging then."""
        self.truth.tally(kind)
        devices = [0]
        if SECOND_DEVICE[0] <= when < SECOND_DEVICE[1]:
            devices.append(1)
        for entry_type in ("request", "response"):
            for device in devices:
                entry = build(device, entry_type)
                self.sequence += 1
                self.pending.append((when, self.sequence, entry, device))
                self.truth.entries += 1

    # -- request shapes ---------------------------------------------------

    def login(
        self,
        when: dt.datetime,
        namespace: Namespace,
        mount: Mount,
        name: str,
        token: Token,
        *,
        entity_created: bool,
    ) -> None:
        """Log a login: an unauthenticated request and its response."""
        request_id = self.uuid()
        path = f"{mount.path}login/{name}"
        port = self.rng.randrange(30000, 60000)

        def build(device: int, entry_type: str) -> Json:
            request: Json = {
                "id": request_id,
                "operation": "update",
                **_mount_fields(mount, "request"),
                "namespace": namespace.to_json(),
                "path": path,
                "data": {"password": self.hmac(device, "pw-" + name)},
                "remote_address": "10.20.1.15",
                "remote_port": port,
            }
            if entry_type == "request":
                auth: Json = {
                    "policy_results": {"allowed": True},
                    "token_type": "default",
                }
                return _entry(device, when, "request", auth, request)
            minted = self.auth_json(device, token, allowed=None)
            top = dict(minted)
            if entity_created:
                top["entity_created"] = True
            response: Json = {
                **_mount_fields(mount, "response"),
                "auth": minted,
            }
            return _entry(
                device, _later(when), "response", top, request, response
            )

        self.emit(when, build, "unauthenticated")

    def create_token(
        self, when: dt.datetime, creator: Token, token: Token
    ) -> None:
        """Log ``auth/token/create`` made by *creator* (the root token)."""
        namespace = token.namespace
        mount = self.auth_mounts[namespace, "token"]
        request_id = self.uuid()
        policies = ",".join(token.policies)

        def build(device: int, entry_type: str) -> Json:
            request = self.request_json(
                device,
                request_id=request_id,
                token=creator,
                namespace=namespace,
                mount=mount,
                path="auth/token/create",
                operation="update",
            )
            request["data"] = {
                "policies": self.hmac(device, policies),
                "type": self.hmac(device, token.token_type),
            }
            auth = self.auth_json(device, creator, allowed=True)
            if entry_type == "request":
                return _entry(device, when, "request", auth, request)
            response: Json = {
                **_mount_fields(mount, "response"),
                "auth": self.auth_json(device, token, allowed=None),
            }
            return _entry(
                device, _later(when), "response", auth, request, response
            )

        self.emit(when, build, "root-token")

    def request_json(
        self,
        device: int,
        *,
        request_id: str,
        token: Token,
        namespace: Namespace,
        mount: Mount,
        path: str,
        operation: str,
    ) -> Json:
        """Render the ``request`` object of a token-authenticated request."""
        request: Json = {"id": request_id}
        if token.entity_id is not None:
            request["client_id"] = token.entity_id
        else:
            request["client_id"] = non_entity_client_id(
                token.policies, token.namespace.id
            )
        request |= {
            "operation": operation,
            **_mount_fields(mount, "request"),
            "client_token": self.hmac(device, token.client_token),
        }
        if token.accessor is not None:
            request["client_token_accessor"] = self.hmac(
                device, token.accessor
            )
        request |= {
            "namespace": namespace.to_json(),
            "path": path,
            "remote_address": f"10.20.{self.rng.randrange(1, 9)}.7",
            "remote_port": self.rng.randrange(30000, 60000),
        }
        return request

    def use(
        self,
        when: dt.datetime,
        token: Token,
        namespace: Namespace,
        *,
        allowed: bool = True,
        kind: str = "counted",
        path: str | None = None,
    ) -> None:
        """Log a request made with *token* in *namespace*."""
        mount = self.kv_mounts[namespace]
        request_id = self.uuid()
        if path is None:
            path = f"secret/data/app-{self.rng.randrange(40)}/config"
        secret_path = path
        rng_data = self.hex(16)
        is_renewal = path == "auth/token/renew-self"
        if is_renewal:
            mount = self.auth_mounts[namespace, "token"]
        elif path.startswith("sys/"):
            mount = SYS_MOUNT

        def build(device: int, entry_type: str) -> Json:
            request = self.request_json(
                device,
                request_id=request_id,
                token=token,
                namespace=namespace,
                mount=mount,
                path=secret_path,
                operation="update" if is_renewal else "read",
            )
            auth = self.auth_json(device, token, allowed=allowed)
            if entry_type == "request":
                return _entry(device, when, "request", auth, request)
            if not allowed:
                return _entry(
                    device,
                    _later(when),
                    "response",
                    auth,
                    request,
                    None,
                    error="permission denied",
                )
            response: Json = _mount_fields(mount, "response")
            if is_renewal:
                response["auth"] = self.auth_json(device, token, allowed=None)
            else:
                response["data"] = {"value": self.hmac(device, rng_data)}
            return _entry(
                device, _later(when), "response", auth, request, response
            )

        self.emit(when, build, kind)
        if kind == "counted":
            self.record_use(when, token)

    def record_use(self, when: dt.datetime, token: Token) -> None:
        """Add a counted use to the truth, attributed as Vault does."""
        if token.entity_id is not None:
            client_id, client_type = token.entity_id, "entity"
        else:
            client_id = non_entity_client_id(
                token.policies, token.namespace.id
            )
            client_type = "non-entity-token"
        # Vault attributes every token to the mount that issued it, batch
        # tokens too; a log reader finds that mount by joining the use's
        # request.client_token to the creating response's auth.client_token
        # (the same HMAC in one device's log), as a real server's log shows.
        mount = token.mount
        self.truth.uses.append(
            Use(
                when,
                client_id,
                client_type,
                token.namespace.id,
                mount.accessor if mount is not None else None,
            )
        )

    def unauthenticated(self, when: dt.datetime, path: str) -> None:
        """Log a request without a token (health checks)."""
        request_id = self.uuid()

        def build(device: int, entry_type: str) -> Json:
            request: Json = {
                "id": request_id,
                "operation": "read",
                "mount_point": "sys/",
                "mount_type": "system",
                "mount_class": "secret",
                "namespace": ROOT.to_json(),
                "path": path,
                "remote_address": "10.20.0.2",
                "remote_port": 8200,
            }
            auth: Json = {
                "policy_results": {"allowed": True},
                "token_type": "default",
            }
            if entry_type == "request":
                return _entry(device, when, "request", auth, request)
            return _entry(
                device, _later(when), "response", auth, request, {"data": {}}
            )

        self.emit(when, build, "unauthenticated")

    def entries(self) -> list[Json]:
        """Return every entry in log order."""
        self.pending.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry, _ in self.pending]


def _rfc3339(when: dt.datetime) -> str:
    text = when.astimezone(dt.UTC).isoformat()
    return text.replace("+00:00", "Z")


def _later(when: dt.datetime) -> dt.datetime:
    return when + dt.timedelta(microseconds=4117)


def _month_start(month: int) -> dt.datetime:
    year, number = MONTHS[month - 1]
    return dt.datetime(year, number, 1, tzinfo=dt.UTC)


def _mount_fields(mount: Mount, side: str) -> Json:
    version_key = (
        "mount_running_version"
        if side == "request"
        else "mount_running_plugin_version"
    )
    version = _KV_VERSION if mount.type == "kv" else _VERSION
    return {
        "mount_point": mount.path,
        "mount_type": mount.type,
        "mount_accessor": mount.accessor,
        version_key: version,
        "mount_class": mount.mount_class,
    }


def _entry(  # noqa: PLR0917 (reads like the entry it builds)
    device: int,
    when: dt.datetime,
    entry_type: str,
    auth: Json,
    request: Json,
    response: Json | None = None,
    *,
    error: str | None = None,
) -> Json:
    """Assemble an entry in the key order of the device's Vault version."""
    parts: Json = {"time": _rfc3339(when), "type": entry_type, "auth": auth}
    if error is not None:
        parts["error"] = error
    parts["request"] = request
    if response is not None:
        parts["response"] = response
    if device == 0:
        # Vault 1.14-era order: time, type, auth, request, response.
        order = ("time", "type", "auth", "error", "request", "response")
    else:
        # Current Vault order: type comes last.
        order = ("time", "auth", "error", "request", "response", "type")
    return {key: parts[key] for key in order if key in parts}


def _moment(rng: random.Random, month: int) -> dt.datetime:
    """A random instant in *month* (1-based index into MONTHS)."""
    start = _month_start(month)
    return start + dt.timedelta(
        days=rng.randrange(27), seconds=rng.randrange(86400)
    )


def _humans(gen: _Generator) -> None:
    """Entity users who log in with userpass and read secrets."""
    counts = {ROOT: 11, TEAM_A: 9, TEAM_B: 7, TEAM_A_DEV: 4}
    for namespace, count in counts.items():
        mount = gen.auth_mounts[namespace, "userpass"]
        for number in range(count):
            name = f"{namespace.path.replace('/', '-')}user{number}"
            entity_id = gen.uuid()
            created = False
            for month in range(1, len(MONTHS) + 1):
                if gen.rng.random() < 0.25:  # noqa: PLR2004
                    continue
                when = _moment(gen.rng, month)
                token = gen.mint(
                    namespace,
                    mount,
                    tuple(sanitize_policies(["kv-reader"])),
                    entity_id=entity_id,
                    when=when,
                    identity_policies=(f"{namespace.path or 'root-'}dev",),
                    display_name=f"userpass-{name}",
                    metadata={"username": name},
                )
                gen.login(
                    when,
                    namespace,
                    mount,
                    name,
                    token,
                    entity_created=not created,
                )
                created = True
                _activity(gen, when, token, namespace, number)


def _activity(
    gen: _Generator,
    login_time: dt.datetime,
    token: Token,
    namespace: Namespace,
    number: int,
) -> None:
    """A burst of requests with a fresh token, some denied, some renewed."""
    rng = gen.rng
    when = login_time
    # Every fifth user is only ever denied in this burst, so the login
    # alone never makes a client.
    only_denied = number % 5 == 4  # noqa: PLR2004
    for _ in range(rng.randrange(2, 9)):
        when += dt.timedelta(seconds=rng.randrange(5, 4000))
        where = namespace
        child = CHILDREN.get(namespace)
        if child is not None and rng.random() < 0.3:  # noqa: PLR2004
            # Tokens work in child namespaces; Vault still attributes them
            # to the namespace the token was minted in.
            where = child
        if only_denied or rng.random() < 0.1:  # noqa: PLR2004
            gen.use(when, token, where, allowed=False, kind="denied")
        elif rng.random() < 0.1:  # noqa: PLR2004
            gen.use(when, token, where, path="auth/token/renew-self")
        else:
            gen.use(when, token, where)


def _apps(gen: _Generator) -> None:
    """AppRole logins: entity tokens, some of them batch tokens."""
    for namespace, count, batch in ((TEAM_B, 4, False), (ROOT, 3, True)):
        mount = gen.auth_mounts[namespace, "approle"]
        for number in range(count):
            entity_id = gen.uuid()
            name = f"app{number}"
            for month in range(1, len(MONTHS) + 1):
                when = _moment(gen.rng, month)
                token = gen.mint(
                    namespace,
                    mount,
                    ("app-policy", "default"),
                    entity_id=entity_id,
                    when=when,
                    batch=batch,
                    display_name=f"approle-{name}",
                )
                gen.login(
                    when,
                    namespace,
                    mount,
                    gen.uuid(),
                    token,
                    entity_created=month == 1,
                )
                for _ in range(gen.rng.randrange(3, 12)):
                    when += dt.timedelta(seconds=gen.rng.randrange(1, 900))
                    gen.use(when, token, namespace)


def _non_entity_tokens(gen: _Generator) -> None:
    """Orphan tokens without entity, created with the root token."""
    plans = (
        # Three tokens with the same policies in root are one client.
        (ROOT, ("default", "nomad-server"), False, 3, ROOT),
        (TEAM_A, ("app-read", "default"), False, 2, TEAM_A),
        (ROOT, ("ci-deployer", "default"), True, 2, ROOT),
        # A batch token of team-a used in team-a/dev/: no accessor, but
        # joined on its client token to the team-a creation that minted it.
        (TEAM_A, ("ci-deployer", "default"), True, 2, TEAM_A_DEV),
    )
    for namespace, policies, batch, tokens, where in plans:
        for month in range(1, len(MONTHS) + 1):
            for _ in range(tokens):
                when = _moment(gen.rng, month)
                token = gen.mint(
                    namespace,
                    gen.auth_mounts[namespace, "token"],
                    policies,
                    entity_id=None,
                    when=when,
                    batch=batch,
                )
                gen.create_token(when, gen.root_token, token)
                for _ in range(gen.rng.randrange(2, 7)):
                    when += dt.timedelta(seconds=gen.rng.randrange(1, 600))
                    gen.use(when, token, where)


def _operators(gen: _Generator) -> None:
    """Root-token requests, wrapping tokens and health checks."""
    for month in range(1, len(MONTHS) + 1):
        for _ in range(15):
            gen.use(
                _moment(gen.rng, month),
                gen.root_token,
                ROOT,
                kind="root-token",
                path="sys/mounts",
            )
        for _ in range(6):
            when = _moment(gen.rng, month)
            wrapping = gen.mint(
                TEAM_B,
                gen.auth_mounts[TEAM_B, "token"],
                ("response-wrapping",),
                entity_id=None,
                when=when,
                display_name="wrapping",
            )
            gen.use(
                when,
                wrapping,
                TEAM_B,
                kind="wrapping-token",
                path="sys/wrapping/unwrap",
            )
        for _ in range(80):
            gen.unauthenticated(_moment(gen.rng, month), "sys/health")


def generate(seed: int = SEED) -> tuple[list[Json], Truth]:
    """
    Build the sample log and its truth.

    Returns:
        The entries in log order, and what the generator did.
    """
    gen = _Generator(seed)
    _humans(gen)
    _apps(gen)
    _non_entity_tokens(gen)
    _operators(gen)
    return gen.entries(), gen.truth


def render(entries: list[Json]) -> str:
    """Render entries as JSON lines, as an audit file device writes them."""
    return "".join(
        json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries
    )


def main() -> None:
    """Write the sample log next to this script."""
    entries, truth = generate()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(entries), encoding="utf-8")
    print(
        f"wrote {len(entries)} entries ({sum(truth.requests.values())} "
        f"requests, {len(truth.uses)} counted uses) to {OUTPUT}"
    )


if __name__ == "__main__":
    main()
