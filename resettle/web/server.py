"""Running gunicorn in-process for ``resettle serve`` and ``resettle demo``."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from resettle.wsgi import application

        return application


def run_server(*, host: str, port: int, workers: int) -> None:
    """Serve until interrupted; access logs carry paths with opaque ids only."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
            # no query strings or referrers in the access log: only method, path and status
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
            "forwarded_allow_ips": "127.0.0.1",
        }
    ).run()
