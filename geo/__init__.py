"""Official open geography and deprivation data, as a plain library.

Pure functions on pandas DataFrames and GeoDataFrames: no database, no web framework.
Metric work happens in British National Grid; storage and maps use WGS84.
"""

WGS84 = 4326
BRITISH_NATIONAL_GRID = 27700
