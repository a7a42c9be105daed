"""The signposting sheet as a PDF, drawn from the app's own files only.

WeasyPrint fetches what a page links to (its stylesheet). It is given a base address that resolves nowhere and
a fetcher that serves the app's own static files from disk and refuses anything else, so a forged ``Host``
header (or any address in the page) can never make the server request a place of someone else's choosing.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# Never resolves (.invalid is reserved): relative links in the sheet become addresses only the fetcher answers.
BASE_URL = "https://directory.invalid/"
STATIC_PREFIX = "/static/"


class RefusedResource(ValueError):
    """The sheet linked to something that is not one of the app's own static files."""


def own_file(url: str, static_folder: str | Path) -> tuple[bytes, str]:
    """The bytes and media type of one of the app's static files, named by its address under ``BASE_URL``;
    anything else is refused (``RefusedResource``)."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith(STATIC_PREFIX):
        raise RefusedResource(f"the sheet may only use the app's own files, not {url}")
    folder = Path(static_folder).resolve()
    path = (folder / unquote(parts.path[len(STATIC_PREFIX) :])).resolve()
    if folder not in path.parents or not path.is_file():
        raise RefusedResource(f"no such file of the app's: {parts.path}")
    return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "text/plain"


def render_pdf(html: str, static_folder: str | Path) -> bytes:
    """The sheet's HTML as PDF bytes; its relative links must point at the app's static files."""
    # Imported here: WeasyPrint takes about 0.8 s to import, paid only when a PDF is asked for.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnFiles(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):  # the QR codes, inline: nothing is fetched
                return super().fetch(url, headers)
            body, media_type = own_file(url, static_folder)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    # Only data: and our own https://directory.invalid/ addresses get as far as fetch().
    fetcher = OwnFiles(allowed_protocols=("data", "https"))
    return bytes(HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf())
