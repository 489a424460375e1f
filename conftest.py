"""Test-wide fixtures: named users per role, a small camp, and the database choice.

The suite runs on SQLite by default and on PostgreSQL when RESETTLE_DATABASE_URL points
at one (see scripts/test). The network is blocked except for loopback.
"""

from __future__ import annotations

import socket

# the test environment's defaults live in resettle/testing/settings.py

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")
    ):
        raise RuntimeError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _loopback_only  # type: ignore[method-assign,assignment]

pytest_plugins = ["resettle.testing.fixtures", "resettle.testing.browser"]
