"""The geo package stands alone: it imports neither Flask nor the web app."""

from __future__ import annotations

import subprocess
import sys


def test_geo_imports_neither_flask_nor_directory() -> None:
    code = (
        "import sys, geo, geo.readers, geo.catalogue, geo.postcodes, geo.errors\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'directory'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""
