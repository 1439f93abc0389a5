"""`orbitgrid serve`: an open address needs a token; bad options are one line and exit 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.dashboard.serve import is_loopback


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True),
                                            ("localhost", True), ("0.0.0.0", False), ("192.168.1.4", False),
                                            ("example.org", False)])
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_open_host_without_token_exits_2(tmp_path, monkeypatch):
    monkeypatch.delenv("ORBITGRID_TOKEN", raising=False)
    r = CliRunner().invoke(app, ["serve", "--runs", str(tmp_path), "--host", "0.0.0.0"])
    assert r.exit_code == 2
    assert "0.0.0.0 is reachable from other machines, so a token is required" in r.output
    assert "Traceback" not in r.output


def test_runs_that_is_a_file_exits_2(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = CliRunner().invoke(app, ["serve", "--runs", str(f)])
    assert r.exit_code == 2 and "--runs: not a folder" in r.output
