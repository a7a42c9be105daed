"""Serving with gunicorn (the production web server), configured from the command line."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .. import create_app


class DirectoryServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running our app factory; options are gunicorn settings (bind, workers, ...)."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app()


def run(*, bind: str, workers: int, threads: int, timeout: int, secure_cookies: bool) -> None:
    """Serve until stopped. Behind an HTTPS proxy cookies are Secure unless told otherwise."""
    os.environ.setdefault("DIRECTORY_SECURE_COOKIES", "yes" if secure_cookies else "no")
    DirectoryServer(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "timeout": timeout,
            "accesslog": "-",
            # The path without its query string: searches carry clients' postcodes, which must not be logged.
            "access_log_format": '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s',
            "errorlog": "-",
            # Trust X-Forwarded-* only from the local reverse proxy.
            "forwarded_allow_ips": "127.0.0.1",
            "preload_app": False,
        }
    ).run()
