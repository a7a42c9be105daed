"""The readers on the real official files in DIRECTORY_DATA_DIR (skipped when it is unset).

Run with ``DIRECTORY_DATA_DIR=/path/to/data pytest -m realdata tests/geo``. The expected
counts are those published with the files (see docs/data.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.catalogue.file_status import status
from geo.readers.boundaries import assign_lsoa, read_boundaries
from geo.readers.deprivation import combine_deprivation, read_deprivation
from geo.readers.postcodes import read_postcodes
from geo.readers.recognition import find_official_file

pytestmark = pytest.mark.realdata

BLACKPOOL = "E06000009"
FILE1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
FILE2 = "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
FILE6 = "File_6_-_IoD2019_Population_Denominators.csv.gz"
LANCASHIRE_POSTCODES = "postcodes_lancashire_blackpool_blackburn.csv"
ENGLAND_POSTCODES = "postcodes_england_live_may22lsoa_nspl_may25latlong.csv.gz"
LSOA11_LANCASHIRE = "lsoa11_lancashire_blackpool_blackburn_bgc.geojson"
LSOA21_ENGLAND = "lsoa21_england_bgc.geojson.gz"


def need(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{name} is not in DIRECTORY_DATA_DIR ({folder})")
    return path


@pytest.mark.parametrize(
    ("name", "kind"),
    [(FILE1, "IoD2019 File 1"), (FILE2, "IoD2019 File 2"), (FILE6, "IoD2019 File 6")],
)
def test_iod2019_files_have_every_english_lsoa(real_data_dir: Path, name: str, kind: str) -> None:
    frame = read_deprivation(need(real_data_dir, name))

    assert len(frame) == 32_844
    assert frame["lsoa_code"].is_unique
    assert frame.attrs["source_kind"] == kind
    assert frame.attrs["has_scores"] is False
    assert frame["imd_score"].isna().all()
    assert (frame["lad_code"] == BLACKPOOL).sum() == 94


def test_combined_iod2019(real_data_dir: Path) -> None:
    frames = [read_deprivation(need(real_data_dir, name)) for name in (FILE1, FILE2, FILE6)]

    combined = combine_deprivation(frames)

    assert len(combined) == 32_844
    assert combined["imd_rank"].dtype == "int64"
    assert combined["imd_rank"].min() == 1
    assert combined["imd_rank"].max() == 32_844
    # The official ranks hold 26 tied pairs (equal scores share a rank): ranks are not unique.
    assert combined["imd_rank"].nunique() == 32_844 - 26
    # Deciles split 32,844 LSOAs into tenths of 3,284 or 3,285.
    assert set(combined["imd_decile"].value_counts()) <= {3284, 3285}
    assert combined["population"].dtype == "int64"
    assert combined["population"].sum() > 50_000_000
    blackpool = combined[combined["lad_code"] == BLACKPOOL]
    assert len(blackpool) == 94
    assert (blackpool["imd_decile"] == 1).sum() > 30  # Blackpool is among the most deprived


def test_lancashire_postcodes_for_blackpool(real_data_dir: Path) -> None:
    path = need(real_data_dir, LANCASHIRE_POSTCODES)

    everything = read_postcodes(path, [BLACKPOOL], include_terminated=True)
    live = read_postcodes(path, [BLACKPOOL])

    assert len(everything) == 5_056
    assert 0 < len(live) < 5_056
    assert len(live) == len(everything) - int(everything["terminated"].sum())
    assert live["lsoa_code"].str.startswith("E01").all()
    assert set(live["lsoa_edition"]) == {"2011"}
    assert live["lat"].between(53.7, 53.9).all()
    assert live["long"].between(-3.1, -2.9).all()


def test_england_postcodes_agree_with_the_lancashire_extract(real_data_dir: Path) -> None:
    england = read_postcodes(need(real_data_dir, ENGLAND_POSTCODES), [BLACKPOOL])
    lancashire = read_postcodes(need(real_data_dir, LANCASHIRE_POSTCODES), [BLACKPOOL])

    assert set(england["pcds"]) == set(lancashire["pcds"])
    assert not england["terminated"].any()


def test_lsoa11_lancashire_boundaries(real_data_dir: Path) -> None:
    path = need(real_data_dir, LSOA11_LANCASHIRE)

    frame = read_boundaries(path)

    assert len(frame) == 941
    assert set(frame["lsoa_edition"]) == {"2011"}
    assert frame.crs.to_epsg() == 4326
    assert len(read_boundaries(path, [BLACKPOOL])) == 94


def test_lsoa21_england_boundaries(real_data_dir: Path) -> None:
    frame = read_boundaries(need(real_data_dir, LSOA21_ENGLAND))

    assert len(frame) == 33_755
    assert set(frame["lsoa_edition"]) == {"2021"}
    assert frame["lsoa_code"].str.startswith("E01").all()
    assert frame["lad_code"].notna().all()


def test_postcodes_fall_in_their_own_lsoa(real_data_dir: Path) -> None:
    postcodes = read_postcodes(need(real_data_dir, LANCASHIRE_POSTCODES), [BLACKPOOL])
    boundaries = read_boundaries(need(real_data_dir, LSOA11_LANCASHIRE), [BLACKPOOL])

    assigned = assign_lsoa(postcodes, boundaries)

    # Generalised (BGC) polygons and best-fit lookups differ at the edges only.
    assert (assigned == postcodes["lsoa_code"]).mean() > 0.97


def test_find_official_files_in_the_real_folder(real_data_dir: Path) -> None:
    deprivation = find_official_file(real_data_dir, "deprivation")
    postcodes = find_official_file(real_data_dir, "postcodes")
    boundaries11 = find_official_file(real_data_dir, "boundaries", lsoa_edition="2011")

    assert deprivation is not None and deprivation.name == FILE2
    assert postcodes is not None and postcodes.name == ENGLAND_POSTCODES
    assert boundaries11 is not None and boundaries11.name == LSOA11_LANCASHIRE


def test_status_of_the_real_folder(real_data_dir: Path) -> None:
    report = status(real_data_dir)

    listed = {item.path.name: item for item in report if item.path is not None}
    for name in (
        FILE1,
        FILE2,
        FILE6,
        LANCASHIRE_POSTCODES,
        ENGLAND_POSTCODES,
        LSOA11_LANCASHIRE,
        LSOA21_ENGLAND,
    ):
        if name in listed:
            assert listed[name].recognised
            assert listed[name].checksum_ok is True, name
