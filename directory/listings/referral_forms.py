"""Referral form files that services ask referrers to use: checked, stored under a random name, kept.

A replaced file is not deleted, so restoring an earlier revision brings its form back too.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from pathlib import Path
from typing import IO

MAX_BYTES = 5 * 1024 * 1024
# Extension -> how the file must begin, so a renamed executable or web page is refused.
KINDS = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".rtf": (b"{\\rtf",),
}
STORED_NAME = re.compile(r"^rf-[A-Za-z0-9_-]{22}\.(pdf|docx|odt|doc|rtf)$")
# What a Word or OpenDocument file (a zip) must hold; read from the zip's directory, nothing is decompressed.
ZIP_MEMBERS = {".docx": "[Content_Types].xml", ".odt": "mimetype"}
MAX_ZIP_MEMBERS = 2_000


class BadReferralForm(ValueError):
    """The upload cannot be used; the message says why."""


def folder(instance_path: str | Path) -> Path:
    return Path(instance_path) / "referral-forms"


def store(instance_path: str | Path, filename: str, stream: IO[bytes]) -> str:
    """Check an uploaded form and keep it; returns the stored name to record on the service."""
    extension = Path(filename or "").suffix.lower()
    if extension not in KINDS:
        raise BadReferralForm(f"{filename!r} is not a PDF, Word (.doc, .docx), OpenDocument (.odt) or RTF file.")
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadReferralForm(f"{filename!r} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise BadReferralForm(f"{filename!r} is empty.")
    if not data.startswith(KINDS[extension]):
        raise BadReferralForm(f"{filename!r} does not look like a {extension[1:].upper()} file.")
    if extension in ZIP_MEMBERS:
        _check_zip(
            filename, data, ZIP_MEMBERS[extension], "Word (.docx)" if extension == ".docx" else "OpenDocument (.odt)"
        )
    name = f"rf-{secrets.token_urlsafe(16)}{extension}"
    target = folder(instance_path)
    target.mkdir(parents=True, exist_ok=True)
    (target / name).write_bytes(data)
    return name


def _check_zip(filename: str, data: bytes, member: str, kind: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadReferralForm(f"{filename!r} is not a complete {kind} file ({exc}).") from None
    if len(names) > MAX_ZIP_MEMBERS or member not in names:
        raise BadReferralForm(f"{filename!r} is not a proper {kind} file (it lacks {member}).")


def path_for(instance_path: str | Path, name: str) -> Path | None:
    """The stored file for a recorded name, or None (never a path outside the folder)."""
    if not STORED_NAME.match(name or ""):
        return None
    path = folder(instance_path) / name
    return path if path.is_file() else None
