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
