"""The one exception the geo readers raise for a file they cannot use."""

from __future__ import annotations

from os import PathLike


class DataFileError(ValueError):
    """A data file is missing, unreadable or not the official file it should be.

    The message always names the file, says what was expected, and where to get the
    official file, so it can be shown to an operator as it is.

    Parameters
    ----------
    path
        The file (or URL, or folder) the problem is about.
    problem
        What is wrong, e.g. "missing columns 'pcds', 'lat'".
    expected
        What the reader expected to find (column names, a format, a checksum).
    source
        Where to get the official file (a publisher page URL, or an instruction).
    """

    def __init__(
        self,
        path: str | PathLike[str],
        problem: str,
        *,
        expected: str = "",
        source: str = "",
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.expected = expected
        self.source = source
        parts = [f"{self.path}: {problem}."]
        if expected:
            parts.append(f"Expected {expected}.")
        if source:
            parts.append(f"Get the official file from {source}.")
        super().__init__(" ".join(parts))
