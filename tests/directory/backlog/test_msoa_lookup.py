"""The LSOA -> MSOA lookup (directory/backlog/msoa_lookup.py): loading it, and what it does to earlier flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from directory.backlog import msoa_lookup
from directory.models.backlog import GapFlag, LsoaMsoa


def test_msoa_lookup_loads_from_an_official_file_and_places_earlier_flags(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, tmp_path: Path
) -> None:
    early = flag(people["worker"], category="faith-groups", postcode="BB11 2DL")
    assert early.flag.msoa_code is None
    lookup = tmp_path / "PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.csv"
    lookup.write_text(
        "pcds,dointr,doterm,usertype,oa11cd,lsoa11cd,msoa11cd,ladcd,ladnm\n"
        "BB11 2DL,198001,,0,E00100001,E01024999,E02005150,E07000117,Burnley\n"
        "BB11 2DN,198001,,0,E00100002,E01024999,E02005150,E07000117,Burnley\n"
        "FY1 1AD,198001,,0,E00100003,E01012671,E02002630,E06000009,Blackpool\n",
        encoding="utf-8",
    )
    report = msoa_lookup.load_msoa_lookup(session, lookup)
    session.commit()
    assert (report.rows, report.pairs, report.added, report.flags_placed) >= (3, 2, 1, 1)
    assert "LSOAs" in str(report)
    assert session.get(LsoaMsoa, "E01024999").msoa_code == "E02005150"
    assert session.get(GapFlag, early.flag.id).msoa_code == "E02005150"


def test_msoa_lookup_refuses_a_file_without_the_columns_and_changes_nothing(session: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("pcds,lat,long\nFY1 1AD,53.8,-3.0\n", encoding="utf-8")
    before = session.scalar(select(func.count()).select_from(LsoaMsoa))
    with pytest.raises(ValueError, match="wrong.csv has no LSOA and MSOA columns"):
        msoa_lookup.load_msoa_lookup(session, wrong)
    assert session.scalar(select(func.count()).select_from(LsoaMsoa)) == before
