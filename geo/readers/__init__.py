"""Readers for the official files the directory works from.

Three kinds of file, each recognised by its column headers rather than its name:

* **deprivation**: the English Indices of Deprivation (MHCLG), IoD2019 (LSOA 2011) and
  IoD2025 (LSOA 2021), Files 1, 2, 5, 6 and 7, as CSV, CSV.gz or the published XLSX;
* **postcodes**: ONS Postcode Directory (ONSPD), National Statistics Postcode Lookup
  (NSPL), the ONS postcode to OA/LSOA/MSOA/LAD lookups, and OS Code-Point Open;
* **boundaries**: ONS Lower layer Super Output Area boundaries (2011 or 2021) as GeoJSON,
  GeoPackage or shapefile.

Every reader returns plain pandas / geopandas frames with normalised column names, and
raises :class:`geo.errors.DataFileError` (a ``ValueError``) naming the file, what was
expected and where to get the official file when it cannot use what it was given.
Coordinates are returned in WGS84 (EPSG:4326) longitude/latitude degrees.

Each kind has its own module: :mod:`geo.readers.deprivation` (with
:mod:`~geo.readers.deprivation_headers`), :mod:`geo.readers.postcodes` (with
:mod:`~geo.readers.postcode_headers` and :mod:`~geo.readers.codepoint`),
:mod:`geo.readers.boundaries`; :mod:`geo.readers.recognition` finds and recognises files;
:mod:`geo.readers.shared` holds the file and column helpers they share.
"""

from __future__ import annotations

# Re-exported so callers keep importing these from geo.readers, as they did when it was one module.
from geo.readers.boundaries import BOUNDARIES_SOURCE as BOUNDARIES_SOURCE
from geo.readers.boundaries import assign_lsoa as assign_lsoa
from geo.readers.boundaries import packaged_lsoa11_boundaries as packaged_lsoa11_boundaries
from geo.readers.boundaries import read_boundaries as read_boundaries
from geo.readers.codepoint import CODEPOINT_COLUMNS as CODEPOINT_COLUMNS
from geo.readers.codepoint import packaged_codepoint_zip as packaged_codepoint_zip
from geo.readers.deprivation import combine_deprivation as combine_deprivation
from geo.readers.deprivation import read_deprivation as read_deprivation
from geo.readers.deprivation_headers import DEPRIVATION_SOURCE as DEPRIVATION_SOURCE
from geo.readers.deprivation_headers import DOMAINS as DOMAINS
from geo.readers.postcode_headers import POSTCODES_SOURCE as POSTCODES_SOURCE
from geo.readers.postcodes import read_postcodes as read_postcodes
from geo.readers.recognition import KINDS as KINDS
from geo.readers.recognition import Kind as Kind
from geo.readers.recognition import RecognisedFile as RecognisedFile
from geo.readers.recognition import explain_file as explain_file
from geo.readers.recognition import find_official_file as find_official_file
from geo.readers.recognition import find_official_files as find_official_files
from geo.readers.recognition import recognise_file as recognise_file
from geo.readers.shared import LsoaEdition as LsoaEdition
from geo.readers.shared import packaged_file as _packaged_file

__all__ = [
    "BOUNDARIES_SOURCE",
    "CODEPOINT_COLUMNS",
    "DEPRIVATION_SOURCE",
    "DOMAINS",
    "POSTCODES_SOURCE",
    "RecognisedFile",
    "assign_lsoa",
    "combine_deprivation",
    "find_official_file",
    "find_official_files",
    "packaged_codepoint_zip",
    "packaged_lsoa11_boundaries",
    "read_boundaries",
    "read_deprivation",
    "read_postcodes",
    "recognise_file",
    "_packaged_file",  # private, but the tests import it from here
]
