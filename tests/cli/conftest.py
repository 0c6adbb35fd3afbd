"""
The ``clientid`` fixture: run the command through the real entry point and
through :func:`clientid.cli.main`, and check both agree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from tests.cli.running import ROOT, Result, in_process, restore, snapshot

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def clientid(monkeypatch, tmp_path):
    """
    Run the command both ways, from the same files; return the subprocess's
    result (the files it wrote stay).
    """

    def run(
        *args: str | Path, stdin: bytes | None = None, e2e: bool = True
    ) -> Result:
        argv = [str(arg) for arg in args]
        if not e2e:
            # Set-up runs and repeated variants: in process only.
            monkeypatch.chdir(tmp_path)
            return in_process(argv, stdin, monkeypatch)
        before = snapshot(tmp_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run(
            [sys.executable, "-m", "clientid", *argv],
            input=stdin,
            capture_output=True,
            env=env,
            cwd=tmp_path,
            check=False,
            timeout=120,
        )
        external = Result(
            done.returncode,
            done.stdout.decode("utf-8"),
            done.stderr.decode("utf-8"),
        )
        after = snapshot(tmp_path)
        restore(tmp_path, before)
        monkeypatch.chdir(tmp_path)
        internal = in_process(argv, stdin, monkeypatch)
        assert internal == external
        assert snapshot(tmp_path) == after
        return external

    return run
