"""The README's pictures: build the demo, serve it on loopback, and save each role's main screen as seen in
headless Chromium at 1280x900, so the pictures stay current with the product.

Not a benchmark: it lives beside them because it drives the real app in a real browser the same way
(``bench/maps.py``). Each picture is a PNG of at most 200 KB (reduced to a palette of colours when a
plain capture is larger). The demo is built in a temporary folder; nothing else is written.

Run from the project root (with DIRECTORY_DATA_DIR the gap map has the official deprivation files)::

    python bench/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = secrets.token_urlsafe(16)  # new each run: these accounts live only in a temporary folder
SCREEN = {"width": 1280, "height": 900}
MAX_BYTES = 200_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@dataclass(frozen=True)
class Shot:
    """One role's main screen: the file name, who signs in (None: a member of the public), the path, and what
    to wait for before the picture is taken (a CSS selector)."""

    name: str
    role: str | None
    path: str
    ready: str


def shots(postcode: str) -> list[Shot]:
    near = f"/?q=lonely&postcode={postcode.replace(' ', '+')}&radius=5"
    return [
        Shot("link-worker-search", "link-worker", near, "#results-map .results-map-marker"),
        Shot("community-development-gap-map", "community-development", "/gaps/map",
             ".folium-map path.leaflet-interactive"),
        Shot("community-development-backlog", "community-development", "/backlog/", "main h1"),
        Shot("admin-listings", "admin", "/staff/", "main h1"),
        Shot("group-editor-listings", "group-editor", "/staff/", "main h1"),
        Shot("public-search", None, "/?q=walk", "ol.results"),
    ]  # fmt: skip


def build(instance: Path, data_dir: str | None) -> tuple[Any, str]:
    """The demo app with one account per role (known passwords) and a Blackpool postcode to search from."""
    from sqlalchemy import select

    from directory import create_app
    from directory.accounts.users import create_user
    from directory.core.db import db
    from directory.demo.build import build_demo
    from directory.models import Organization, Postcode
    from directory.ops.database import init_database

    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "screenshots-only", "RATELIMIT_ENABLED": False})
    with app.app_context():
        init_database()
        build_demo(db.session, data_dir=data_dir, echo=lambda message: print(message, file=sys.stderr))
        organisation = db.session.scalars(select(Organization.id).order_by(Organization.id)).first()
        for role in ("admin", "link-worker", "community-development", "group-editor"):
            create_user(db.session, email_address=f"{role}@screenshots.example.org", role=role, password=PASSWORD,
                        organization_id=organisation if role == "group-editor" else None)  # fmt: skip
        postcode = db.session.scalars(
            select(Postcode.pcds).where(Postcode.lad_code == "E06000009").order_by(Postcode.postcode_key)
        ).first()
        db.session.commit()
        db.session.remove()
    return app, str(postcode or "FY1 1AD")


def small_png(data: bytes) -> bytes:
    """The capture as it is when small enough, else reduced to a palette (fewer colours until it fits)."""
    if len(data) <= MAX_BYTES:
        return data
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    for colours in (128, 64, 32):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise SystemExit(f"a screenshot stays over {MAX_BYTES} bytes even with 32 colours")


def capture(url: str, chromium: str, out: Path, postcode: str) -> list[tuple[str, int]]:
    from playwright.sync_api import sync_playwright

    saved: list[tuple[str, int]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for shot in shots(postcode):
            context = browser.new_context(base_url=url, viewport=SCREEN)
            page = context.new_page()
            if shot.role is not None:
                page.goto("/login")
                page.fill("#email", f"{shot.role}@screenshots.example.org")
                page.fill("#password", PASSWORD)
                page.click("main form button[type=submit]")
                # Each role lands on its own start (search, the gap map, listings): wait to leave the form.
                page.wait_for_url(lambda address: not address.rstrip("/").endswith("/login"))
            page.goto(shot.path)
            page.locator(shot.ready).first.wait_for(state="attached", timeout=15_000)
            page.wait_for_timeout(600)  # marker clusters and tooltips settle after the first draw
            data = small_png(page.screenshot())
            (out / f"{shot.name}.png").write_bytes(data)
            saved.append((shot.name, len(data)))
            context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/images", help="folder for the PNG files")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    from werkzeug.serving import make_server

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        app, postcode = build(Path(folder), os.environ.get("DIRECTORY_DATA_DIR"))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            saved = capture(f"http://127.0.0.1:{server.server_port}", args.chromium, out, postcode)
        finally:
            server.shutdown()
            thread.join(timeout=10)
    for name, size in saved:
        print(f"{out / name}.png  {size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
