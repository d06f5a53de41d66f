"""``pipedeal users add``, ``deals import``, ``users grant`` and ``serve`` (a real uvicorn
process on 127.0.0.1: health, login, graceful stop on SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from tests.conftest import EXAMPLE
from tests.service.conftest import DEAL, P1, PASSWORD
from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _bootstrap(tmp_path: Path) -> Path:
    data = tmp_path / "room"
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    _cli("users", "add", "admin", "--admin", "--data", str(data), "--password-file", str(pw))
    _cli("users", "add", "hold", "--data", str(data), "--password-file", str(pw))
    assert "imported" in _cli("deals", "import", str(EXAMPLE), "--data", str(data))
    _cli("users", "grant", "hold", "--deal", DEAL, "--role", "holder", "--purchaser", P1,
         "--data", str(data))
    return data


def test_bootstrap_commands(tmp_path: Path) -> None:
    data = _bootstrap(tmp_path)
    assert (data / "room.sqlite").is_file() and (data / "deals").is_dir()
    # no ledger file is copied: the ledger lives in the workspace database
    assert not list((data / "deals").rglob("ledger.sqlite*"))
    short = tmp_path / "short"
    short.write_text("abc\n")
    out = _cli("users", "add", "x", "--data", str(data), "--password-file", str(short), code=2)
    assert "password: at least" in out
    # no default password: without a file, variable or terminal, nothing is added
    result = runner.invoke(app, ["users", "add", "y", "--data", str(data)], input="")
    assert result.exit_code != 0
    again = _cli("deals", "import", str(EXAMPLE), "--data", str(data), code=2)
    assert "already in this workspace" in again
    bad = _cli("users", "grant", "hold", "--deal", DEAL, "--role", "holder", "--purchaser",
               "Nobody", "--data", str(data), code=2)
    assert "Nobody" in bad


def test_serve_help() -> None:
    out = _cli("serve", "--help")
    for opt in ("--host", "--port", "--data", "--db"):
        assert opt in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_and_stops_gracefully(tmp_path: Path, workers: int) -> None:
    data = _bootstrap(tmp_path)
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipedeal", "serve", "--data", str(data), "--port", str(port),
         "--sweep-interval", "0", "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute on a loaded machine
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        with httpx.Client(base_url=base) as client:
            assert client.post("/auth/login", json={"name": "hold", "password": PASSWORD}
                               ).status_code == 200
            for _ in range(4):  # with workers: the session is the workspace's, not a process's
                state = client.get(f"/deals/{quote(DEAL)}/state",
                                   params={"as_of": "2004-07-31"})
                assert state.status_code == 200
                assert [n["purchaser"] for n in state.json()["notes"]] == [P1]
            assert client.get("/openapi.json").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    # uvicorn finishes the requests in flight and the lifespan, then exits (re-raising SIGTERM)
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert output.count("Application shutdown complete") == workers, output
    assert PASSWORD not in output
    assert '"path": "/auth/login"' in output  # the service's own access log line
