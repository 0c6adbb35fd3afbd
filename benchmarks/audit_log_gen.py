"""
Generate a realistic Vault audit log, deterministically from a seed.

Each line is one compact JSON entry of about 1.2 KB, shaped as Vault writes
them: a request entry and its response entry per request, RFC 3339 times
with nanoseconds, HMAC'd tokens and accessors, 8 namespaces (root, three
children, two grandchildren, two more children), entity and non-entity
tokens, some of them batch tokens (no accessor).  A client logs in (the
response mints its token) before it uses the token; it logs in again now
and then.  The log spans 24 months, 2024-01 to 2025-12.

Run::

    PYTHONPATH=src:. python -m benchmarks.audit_log_gen 1000000 audit.jsonl
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from typing import Any

from clientid import non_entity_client_id

SEED = 20250304
CLIENTS = 20_000
#: 2024-01-01T00:00:00Z and the 24 months after it, in Unix seconds.
START = 1_704_067_200
SPAN = 731 * 86_400
#: (id, path) of the 8 namespaces; nested ones share their parent's prefix.
NAMESPACES = (
    ("root", ""),
    ("aBc12", "team-a/"),
    ("dEf34", "team-b/"),
    ("gHi56", "team-c/"),
    ("jKl78", "team-a/app-1/"),
    ("mNo90", "team-a/app-2/"),
    ("pQr11", "team-b/svc/"),
    ("sTu22", "team-d/"),
)
_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _hmac(rng: random.Random) -> str:
    return f"hmac-sha256:{rng.getrandbits(256):064x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rfc3339(nanos: int) -> str:
    """Format Unix nanoseconds as Vault does: UTC, nine fraction digits."""
    seconds, fraction = divmod(nanos, 1_000_000_000)
    days, rest = divmod(seconds, 86_400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    # Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return (
        f"{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
        f".{fraction:09}Z"
    )


class _Client:
    __slots__ = (
        "accessor",
        "batch",
        "entity_id",
        "mount",
        "namespace",
        "policies",
        "token",
    )

    def __init__(self, rng: random.Random, number: int) -> None:
        self.namespace = NAMESPACES[number % len(NAMESPACES)]
        kind = number % 10
        self.entity_id = _uuid(rng) if kind < 7 else None
        self.batch = kind in {6, 9}
        self.policies = ["default", f"app-{number % 97}", f"team-{number % 7}"]
        mount = "userpass" if self.entity_id else "token"
        self.mount = (f"auth/{mount}/", mount, f"auth_{mount}_{number % 5:x}")
        self.token = ""
        self.accessor: str | None = None


def _auth(
    client: _Client, nanos: int, *, allowed: bool = True
) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "client_token": client.token,
        "accessor": client.accessor,
        "display_name": "userpass-alice" if client.entity_id else "token",
        "policies": client.policies,
        "token_policies": client.policies,
        "policy_results": {
            "allowed": allowed,
            "granting_policies": [
                {
                    "name": client.policies[1],
                    "namespace_id": client.namespace[0],
                    "type": "acl",
                }
            ],
        },
        "metadata": {"username": "alice"} if client.entity_id else None,
        "entity_id": client.entity_id or "",
        "token_type": "batch" if client.batch else "service",
        "token_ttl": 2_764_800,
        "token_issue_time": rfc3339(nanos)[:19] + "Z",
    }
    if client.accessor is None:
        del auth["accessor"]
    if auth["metadata"] is None:
        del auth["metadata"]
    return auth


def _request(
    client: _Client, request_id: str, path: str, mount: tuple[str, str, str]
) -> dict[str, Any]:
    ns_id, ns_path = client.namespace
    request: dict[str, Any] = {
        "id": request_id,
        "client_id": "",
        "operation": "read",
        "mount_point": ns_path + mount[0],
        "mount_type": mount[1],
        "mount_accessor": mount[2],
        "mount_running_version": "v1.18.3+builtin.vault",
        "mount_class": "secret" if mount[1] == "kv" else "auth",
        "client_token": client.token,
        "client_token_accessor": client.accessor,
        "namespace": {"id": ns_id, "path": ns_path}
        if ns_path
        else {"id": ns_id},
        "path": ns_path + path,
        "remote_address": "10.20.0.17",
        "remote_port": 51_234,
    }
    if client.accessor is None:
        del request["client_token_accessor"]
    return request


def _client_id(client: _Client) -> str:
    if client.entity_id is not None:
        return client.entity_id
    return non_entity_client_id(client.policies, client.namespace[0])


class _Writer:
    def __init__(self, seed: int, lines: int) -> None:
        self.rng = random.Random(seed)
        self.clients = [_Client(self.rng, n) for n in range(CLIENTS)]
        self.lines = lines
        self.dumps = json.JSONEncoder(separators=(",", ":")).encode

    def _login(self, client: _Client, nanos: int) -> list[str]:
        rng = self.rng
        request_id = _uuid(rng)
        client.token = _hmac(rng)
        client.accessor = None if client.batch else _hmac(rng)
        mount = client.mount
        login_path = (
            "auth/token/create"
            if mount[1] == "token"
            else "auth/userpass/login/alice"
        )
        request = _request(client, request_id, login_path, mount)
        for key in ("client_id", "client_token", "client_token_accessor"):
            request.pop(key, None)
        request["operation"] = "update"
        first = {
            "time": rfc3339(nanos),
            "type": "request",
            "auth": {
                "policy_results": {"allowed": True},
                "token_type": "default",
            },
            "request": request,
        }
        auth = _auth(client, nanos)
        minted = {k: v for k, v in auth.items() if k != "policy_results"}
        second = {
            "time": rfc3339(nanos + 3_118_211),
            "type": "response",
            "auth": auth,
            "request": request,
            "response": {
                "mount_point": request["mount_point"],
                "mount_type": mount[1],
                "mount_accessor": mount[2],
                "mount_running_plugin_version": "v1.18.3+builtin.vault",
                "mount_class": "auth",
                "auth": minted,
            },
        }
        return [self.dumps(first), self.dumps(second)]

    def _use(self, client: _Client, nanos: int) -> list[str]:
        rng = self.rng
        request_id = _uuid(rng)
        allowed = rng.random() >= 0.02
        secret = f"app-{rng.randrange(40)}/config/{rng.randrange(8)}"
        request = _request(
            client,
            request_id,
            f"secret/data/{secret}",
            ("secret/", "kv", "kv_5f3c9a1e"),
        )
        request["client_id"] = _client_id(client)
        auth = _auth(client, nanos - 86_400_000_000_000, allowed=allowed)
        first = {
            "time": rfc3339(nanos),
            "type": "request",
            "auth": auth,
            "request": request,
        }
        response: dict[str, Any] = {
            "mount_point": request["mount_point"],
            "mount_type": "kv",
            "mount_accessor": "kv_5f3c9a1e",
            "mount_running_plugin_version": "v0.20.0+builtin",
            "mount_class": "secret",
            "data": {
                "data": {"password": _hmac(rng)},
                "metadata": {"version": 3},
            },
        }
        second: dict[str, Any] = {
            "time": rfc3339(nanos + 1_402_117),
            "type": "response",
            "auth": auth,
            "request": request,
            "response": response,
        }
        if not allowed:
            second["error"] = "1 error occurred:\n\t* permission denied\n\n"
            del response["data"]
        return [self.dumps(first), self.dumps(second)]

    def lines_out(self) -> Any:
        """Yield the lines, each without its newline."""
        rng = self.rng
        written = 0
        step = SPAN * 1_000_000_000 // max(1, self.lines // 2)
        nanos = START * 1_000_000_000
        while written < self.lines:
            nanos += rng.randrange(1, 2 * step)
            client = rng.choice(self.clients)
            if not client.token or rng.random() < 0.03:
                pair = self._login(client, nanos)
            else:
                pair = self._use(client, nanos)
            for line in pair[: self.lines - written]:
                yield line
                written += 1


def generate(lines: int, seed: int = SEED) -> Any:
    """Yield *lines* audit-log lines (str, no newline) from *seed*."""
    return _Writer(seed, lines).lines_out()


def write(path: str, lines: int, seed: int = SEED) -> None:
    """Write *lines* lines to *path*, newline-terminated."""
    with open(path, "w", encoding="utf-8") as out:  # noqa: PTH123
        for line in generate(lines, seed):
            out.write(line)
            out.write("\n")


if __name__ == "__main__":
    write(sys.argv[2], int(sys.argv[1]))
