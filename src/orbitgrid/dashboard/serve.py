"""`orbitgrid serve`: check the address and token, say how to open the page, run uvicorn."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from orbitgrid.errors import InputError, Problem

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost': addresses no other machine can reach."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_options(runs: Path, host: str, token: str | None) -> None:
    """InputError for a runs path that is not a folder, or an open address without a token."""
    if runs.exists() and not runs.is_dir():
        raise InputError([Problem(str(runs), None, "--runs", "not a folder")])
    if token is not None and not token.strip():
        raise InputError([Problem("serve", None, "--token", "empty token")])
    if not is_loopback(host) and token is None:
        raise InputError([Problem("serve", None, "--host", f"{host} is reachable from other machines, so a token "
                                  "is required", "give --token TOKEN or set ORBITGRID_TOKEN")])


def serve(runs: Path, host: str, port: int, token: str | None) -> None:
    """Run the dashboard until Ctrl-C; workers of runs still going are stopped on the way out."""
    check_options(runs, host, token)
    import uvicorn

    from orbitgrid.dashboard.app import create_app

    app = create_app(runs, token=token)
    shown = f"[{host}]" if ":" in host else host
    print(f"orbitgrid dashboard: http://{shown}:{port}/ serving {runs.resolve()}", file=sys.stderr)
    if token is not None:
        print("a token is required on every request: 'Authorization: Bearer TOKEN', or open "
              f"http://{shown}:{port}/?token=TOKEN once in the browser", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
