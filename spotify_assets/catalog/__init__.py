"""The queryable catalog over the lake's tables (:data:`~spotify_assets.vocabulary.CATALOG_TABLE_NAMES`):
DuckDB views locally (:mod:`.duckdb_catalog`), the Glue Data Catalog + Athena on AWS (:mod:`.athena`).

:class:`QueryResult` is what both engines answer, so the CLI prints either the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QueryResult:
    """The answer to one SQL statement.

    ``columns``: column names in result order. ``rows``: the first rows fetched, each a
    tuple of Python values, of the same types on both engines for the same SQL:
    ``str``, ``int``, ``float``, ``bool``, ``datetime.date``, ``datetime.datetime`` (aware,
    UTC), ``list``; ``None`` is SQL NULL (Athena's text cells are typed by PyAthena). ``total_rows``:
    how many rows the statement returned in all (``>= len(rows)``; more when the caller
    capped the rows fetched).
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]
    total_rows: int

    @property
    def cut_rows(self) -> int:
        """Rows the statement returned that are not in :attr:`rows`."""
        return self.total_rows - len(self.rows)
