"""The catalogue of official files the directory reads, how to fetch them, and what is present.

``fetch`` downloads catalogue files into a cache folder (streamed, with a progress bar and
a checksum check when one is known); ``status`` reports, for each kind of file, what a set
of folders holds and whether the readers recognise it. The command line
(``asset-directory data fetch`` / ``data status``) calls these two functions.

Nothing here runs at import time: no network, no disk.

The catalogue itself is :mod:`geo.catalogue.official_files`; downloading is
:mod:`geo.catalogue.download`, the report on folders :mod:`geo.catalogue.file_status`.
"""
