"""Serving with gunicorn (the production web server), configured from the command line."""

from __future__ import annotations

import os
import re
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .. import create_app

# Links that carry a secret in their path (edit links, one-click answers to reminders): logged without it.
SECRET_PATH = re.compile(r"^(/group/(?:link|confirm|stopped|unsubscribe)/)[^/?]+")


def without_secrets(path: str) -> str:
    """A request path as the access log may show it."""
    return SECRET_PATH.sub(r"\1[secret]", path)


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with link secrets left out of every field that holds the path."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = without_secrets(str(atoms.get("U") or ""))
        # The request line without its query string either: searches carry clients' postcodes.
        path = str(environ.get("RAW_URI") or "").partition("?")[0]
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {without_secrets(path)} {environ.get('SERVER_PROTOCOL')}"
        atoms["f"] = without_secrets(str(atoms.get("f") or ""))
        return atoms


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
            "logger_class": AccessLogger,
            "errorlog": "-",
            # Trust X-Forwarded-* only from the local reverse proxy.
            "forwarded_allow_ips": "127.0.0.1",
            "preload_app": False,
        }
    ).run()
