"""The local catalog: the lake's tables (``songs``, ``albums``, ``artists``,
``playlist_entries``, ``playlist_trends``, ``artist_daily_share``) made queryable by name
in DuckDB. No Dagster here.

Folder lake: :func:`refresh_catalog` stores one VIEW per table in the DuckDB file
(``SPOTIFY_DUCKDB_PATH``), over ``read_parquet('<lake>/<table>/*/*.parquet',
hive_partitioning = true)``, so any DuckDB client opening the file can query them.

S3 lake (MinIO, moto, AWS) in local mode: the tables are read through
``pyarrow.dataset`` on ``pyarrow.fs.S3FileSystem`` and registered into the DuckDB
connection at query time (:func:`connect`). Why not DuckDB's own S3 support: the project
runs DuckDB 2.x, whose ``httpfs`` extension is downloaded on first use, which fails offline
and in locked-down CI; pinning ``duckdb<2`` plus a bundled extension would hold back a
dependency every other module shares. pyarrow is already a dependency and reads S3 with
no download. The price: a DuckDB file cannot persist a view over a Python object, so for
an S3 lake the file holds no views and only :func:`connect` (the ``spotify-assets query``
CLI) sees the tables.

Before reading, both complete a commit that a killed write left half done
(:func:`spotify_assets.lake.publish.recover_pending`), so a day never mixes versions.

``dt`` (the Hive folder ``dt=YYYY-MM-DD``) is a column of every view, typed **VARCHAR**
in both cases: the same type as the ``dt`` string column the IO managers and transforms
use, and the type the Glue crawler gives a Hive partition key, so a query written for
DuckDB (``WHERE dt = '2024-05-15'``, ``ORDER BY dt``) runs unchanged on Athena.
``CAST(dt AS DATE)`` works in both engines when date arithmetic is needed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from spotify_assets.catalog import QueryResult
from spotify_assets.catalog.catalog_schemas import CATALOG_SCHEMAS
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import dt_from_key
from spotify_assets.lake.publish import recover_pending
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES, PARTITION_COLUMN

__all__ = [
    "DT_SQL_TYPE",
    "CatalogError",
    "CatalogSummary",
    "TableSummary",
    "arrow_s3_filesystem",
    "connect",
    "connect_listing",
    "parquet_glob",
    "partition_files",
    "refresh_catalog",
    "run_sql",
]

_LOG = logging.getLogger(__name__)

DT_SQL_TYPE = "VARCHAR"
_DT_ARROW_TYPE = pa.string()

# TableSummary.source values
SOURCE_PARQUET_VIEW = "parquet_view"
SOURCE_ARROW_DATASET = "arrow_dataset"
SOURCE_EMPTY = "empty"

_SOURCE_LABELS = {
    SOURCE_PARQUET_VIEW: "view over Parquet",
    SOURCE_ARROW_DATASET: "Arrow dataset (S3; registered at query time)",
    SOURCE_EMPTY: "empty typed view (no files yet)",
}


class CatalogError(RuntimeError):
    """The catalog cannot be opened or built: the message names the DuckDB file or the
    lake object and the reason (e.g. the file is locked by another process)."""


@dataclass(frozen=True)
class TableSummary:
    """One table of the catalog.

    ``partitions``: the ``dt`` values (YYYY-MM-DD, sorted) that have a Parquet file in
    the lake, including 0-row files. ``rows_by_partition``: ``{dt: row count}`` for each
    of them. ``source``: ``parquet_view``, ``arrow_dataset`` or ``empty``.
    """

    name: str
    partitions: tuple[str, ...]
    rows_by_partition: dict[str, int]
    source: str

    @property
    def rows(self) -> int:
        """Rows over all partitions."""
        return sum(self.rows_by_partition.values())


@dataclass(frozen=True)
class CatalogSummary:
    """What :func:`refresh_catalog` found and built.

    ``lake_url``: the lake root; ``duckdb_path``: absolute path of the DuckDB file
    (``None`` for an S3 lake, whose tables live in no file); ``tables``: one
    :class:`TableSummary` per table, in :data:`~spotify_assets.vocabulary.CATALOG_TABLE_NAMES`
    order.
    """

    lake_url: str
    duckdb_path: str | None
    tables: tuple[TableSummary, ...] = field(default_factory=tuple)

    def table(self, name: str) -> TableSummary:
        """The summary of table ``name``; ``KeyError`` for an unknown name."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"catalog has no table {name!r} (tables: {', '.join(t.name for t in self.tables)})")

    def as_markdown(self) -> str:
        """A Markdown table: table, partitions, first/last dt, rows, source."""
        lines = ["| table | partitions | first dt | last dt | rows | source |", "|---|---:|---|---|---:|---|"]
        for t in self.tables:
            first, last = (t.partitions[0], t.partitions[-1]) if t.partitions else ("", "")
            lines.append(
                f"| {t.name} | {len(t.partitions)} | {first} | {last} | {t.rows} | {_SOURCE_LABELS[t.source]} |"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------- helpers
def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_schema(table: str) -> pa.Schema:
    """The table's schema from ``spotify/schemas.py`` plus the ``dt`` column."""
    return CATALOG_SCHEMAS[table].append(pa.field(PARTITION_COLUMN, _DT_ARROW_TYPE))


def partition_files(lake: Lake, table: str) -> dict[str, str]:
    """``{dt: key}`` of the table's Parquet files (``<table>/dt=D/*.parquet``), sorted by dt."""
    files: dict[str, str] = {}
    for obj in lake.list_objects(f"{table}/"):
        dt = dt_from_key(obj.key)
        if obj.key.startswith(f"{table}/") and obj.key.endswith(".parquet") and dt:
            files.setdefault(dt, obj.key)
    return dict(sorted(files.items()))


def parquet_glob(lake: Lake, table: str) -> str:
    """``<absolute lake folder>/<table>/*/*.parquet`` (folder lakes only)."""
    return os.path.join(lake.root, table, "*", "*.parquet")


def _parquet_view_body(lake: Lake, table: str) -> str:
    # union_by_name: a partition written before a column was added still reads (as NULLs).
    return (
        f"SELECT * FROM read_parquet({_sql_string(parquet_glob(lake, table))}, hive_partitioning = true, "
        f"hive_types = {{'{PARTITION_COLUMN}': {DT_SQL_TYPE}}}, union_by_name = true)"
    )


def _empty_view_body(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """``SELECT CAST(NULL AS <type>) AS <column>, ... WHERE false``: the table's columns,
    typed as DuckDB reads the Arrow schema (asked from DuckDB itself, not re-mapped here)."""
    probe = f"__spotify_assets_empty_{table}"
    con.register(probe, _table_schema(table).empty_table())
    try:
        described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {_sql_identifier(probe)})").fetchall()
    finally:
        con.unregister(probe)
    columns = ", ".join(f"CAST(NULL AS {type_}) AS {_sql_identifier(name)}" for name, type_ in described)
    return f"SELECT {columns} WHERE false"


def arrow_s3_filesystem(region: str | None = None, endpoint: str | None = None) -> pafs.S3FileSystem:
    """A pyarrow S3 filesystem at ``endpoint`` (``Settings.aws_endpoint_url``; pyarrow does
    not read ``AWS_ENDPOINT_URL`` itself, so None means AWS) in ``region``
    (``Settings.aws_region``; None: the AWS SDK's default); credentials come from the AWS
    SDK's default chain."""
    kwargs = {}
    if endpoint:
        parsed = urlparse(endpoint)
        if not parsed.scheme or not parsed.netloc:
            raise CatalogError(
                "AWS_ENDPOINT_URL is not a URL like http://host:port (got a value without scheme or host)"
            )
        kwargs["endpoint_override"] = parsed.netloc + parsed.path.rstrip("/")
        kwargs["scheme"] = parsed.scheme
    if region:
        kwargs["region"] = region
    return pafs.S3FileSystem(**kwargs)


def _arrow_table(lake: Lake, table: str, files: dict[str, str], fs: pafs.FileSystem) -> ds.Dataset | pa.Table:
    """The table's Parquet files on S3 as one dataset with ``dt`` from the Hive folder, in
    the explicit schema (so every partition reads alike); an empty table without files."""
    schema = _table_schema(table)
    if not files:
        return schema.empty_table()
    return ds.dataset(
        [lake.path(key) for key in files.values()],
        schema=schema,
        format="parquet",
        filesystem=fs,
        partitioning=ds.partitioning(pa.schema([pa.field(PARTITION_COLUMN, _DT_ARROW_TYPE)]), flavor="hive"),
        partition_base_dir=lake.path(table),
    )


def _s3_partition_files(fs: pafs.FileSystem, lake: Lake, table: str) -> dict[str, str]:
    """:func:`partition_files` for an S3 lake, listed through pyarrow (one native
    ListObjectsV2 walk per table; the lake's s3fs client costs ~0.2 s to set up each time)."""
    root = lake.root.rstrip("/") + "/"
    infos = fs.get_file_info(pafs.FileSelector(lake.path(table), recursive=True, allow_not_found=True))
    files: dict[str, str] = {}
    for info in infos:
        key = info.path[len(root) :] if info.path.startswith(root) else info.path
        dt = dt_from_key(key)
        # Hidden names (".", "_" prefixes) are temporary or marker files, as in Lake.list_objects.
        if (
            info.type == pafs.FileType.File
            and key.endswith(".parquet")
            and dt
            and not info.base_name.startswith((".", "_"))
        ):
            files.setdefault(dt, key)
    return dict(sorted(files.items()))


def _register_s3_tables(con: duckdb.DuckDBPyConnection, lake: Lake) -> dict[str, dict[str, str]]:
    fs = arrow_s3_filesystem(lake.region, lake.endpoint_url)
    found = {}
    for table in CATALOG_TABLE_NAMES:
        files = _s3_partition_files(fs, lake, table)
        # A registered name shadows a persistent view of the same name in the file.
        con.register(table, _arrow_table(lake, table, files, fs))
        found[table] = files
    return found


def _rows_by_partition(con: duckdb.DuckDBPyConnection, table: str, partitions: Sequence[str]) -> dict[str, int]:
    counted = dict(
        con.execute(
            f"SELECT {PARTITION_COLUMN}, count(*) FROM {_sql_identifier(table)} GROUP BY {PARTITION_COLUMN}"
        ).fetchall()
    )
    # A 0-row file is a partition too (an empty day is written as one): it counts 0.
    rows = {dt: 0 for dt in partitions}
    rows.update({dt: int(n) for dt, n in counted.items() if dt is not None})
    return dict(sorted(rows.items()))


def _open(path: str | None, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(path or ":memory:", read_only=read_only and path is not None)
    except duckdb.Error as error:
        raise CatalogError(f"cannot open the DuckDB catalog {path}: {error}") from None
    # Show TIMESTAMP WITH TIME ZONE values (added_at) in UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _resolve(duckdb_path: str) -> str:
    return os.path.abspath(os.path.expanduser(duckdb_path))


# ---------------------------------------------------------------------------- public API
def refresh_catalog(
    lake_url: str,
    duckdb_path: str,
    log: logging.Logger | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> CatalogSummary:
    """(Re)build the catalog of the lake at ``lake_url`` and count its rows (an S3 lake in
    ``region`` at ``endpoint_url``: ``Settings.aws_region``/``aws_endpoint_url``).

    Folder lake: creates or replaces one view per table of ``CATALOG_TABLE_NAMES``
    in the DuckDB file ``duckdb_path`` (created with its folder when
    absent), in one transaction. A table without Parquet files yet gets an empty view with
    its typed columns from ``CATALOG_SCHEMAS`` (and a log line), so queries joining it
    answer 0 rows instead of failing; the next refresh turns it into a Parquet view.

    S3 lake: reads the tables as Arrow datasets (see the module docstring) to count them;
    the DuckDB file is left untouched and :attr:`CatalogSummary.duckdb_path` is ``None``.

    Raises :class:`CatalogError` when the DuckDB file cannot be opened (e.g. locked by
    another process), ``duckdb.Error`` when a Parquet file cannot be read.
    """
    log = log or _LOG
    lake = Lake(lake_url, region=region, endpoint_url=endpoint_url)
    recover_pending(lake)  # a commit a killed write left half done is completed before reading
    if lake.is_s3:
        return _refresh_s3_catalog(lake, log)
    return _refresh_folder_catalog(lake, duckdb_path, log)


def _refresh_s3_catalog(lake: Lake, log: logging.Logger) -> CatalogSummary:
    """:func:`refresh_catalog` of an S3 lake: the tables as Arrow datasets in an in-memory
    DuckDB, counted; no DuckDB file."""
    con = _open(None, read_only=False)
    try:
        found = _register_s3_tables(con, lake)
        tables = []
        for table in CATALOG_TABLE_NAMES:
            files = found[table]
            if not files:
                log.warning(
                    f"catalog: {table} has no Parquet files under {lake.url(table)}/ yet; it reads as an empty table"
                )
            source = SOURCE_ARROW_DATASET if files else SOURCE_EMPTY
            tables.append(TableSummary(table, tuple(files), _rows_by_partition(con, table, list(files)), source))
    finally:
        con.close()
    return CatalogSummary(lake_url=lake.root_url, duckdb_path=None, tables=tuple(tables))


def _refresh_folder_catalog(lake: Lake, duckdb_path: str, log: logging.Logger) -> CatalogSummary:
    """:func:`refresh_catalog` of a folder lake: one view per table in the DuckDB file at
    ``duckdb_path``, replaced in one transaction, then counted."""
    path = _resolve(duckdb_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    con = _open(path, read_only=False)
    try:
        files_by_table = {table: partition_files(lake, table) for table in CATALOG_TABLE_NAMES}
        con.execute("BEGIN TRANSACTION")
        for table, files in files_by_table.items():
            if files:
                body = _parquet_view_body(lake, table)
            else:
                log.warning(
                    f"catalog: {table} has no Parquet files under {lake.url(table)}/ yet; created an empty typed view"
                )
                body = _empty_view_body(con, table)
            con.execute(f"CREATE OR REPLACE VIEW main.{_sql_identifier(table)} AS {body}")
        con.execute("COMMIT")
        tables = tuple(
            TableSummary(
                table,
                tuple(files),
                _rows_by_partition(con, table, list(files)),
                SOURCE_PARQUET_VIEW if files else SOURCE_EMPTY,
            )
            for table, files in files_by_table.items()
        )
    finally:
        con.close()
    return CatalogSummary(lake_url=lake.root_url, duckdb_path=path, tables=tables)


def connect(
    lake_url: str, duckdb_path: str, *, region: str | None = None, endpoint_url: str | None = None
) -> duckdb.DuckDBPyConnection:
    """:func:`connect_listing`'s connection."""
    return connect_listing(lake_url, duckdb_path, region=region, endpoint_url=endpoint_url)[0]


def connect_listing(
    lake_url: str, duckdb_path: str, *, region: str | None = None, endpoint_url: str | None = None
) -> tuple[duckdb.DuckDBPyConnection, Lake, tuple[str, ...]]:
    """``(connection, lake, tables with Parquet files)``: the tables found by the one listing
    that builds the connection (so a caller need not list the lake again).

    A DuckDB connection on which the catalog tables resolve against the lake at ``lake_url``
    (an S3 lake in ``region`` at ``endpoint_url``: ``Settings.aws_region``/``aws_endpoint_url``).

    Opens ``duckdb_path`` read-only when it exists (so its own views, macros and tables
    stay usable and the file is never written), an in-memory database otherwise. Folder
    lake: the file's views are used when they read this lake's Parquet; a table whose view
    is missing, empty, over another lake or over files since deleted gets a TEMP view
    instead, so querying works before the ``catalog`` asset was ever materialized. S3
    lake: every table is registered as an Arrow dataset. The caller closes the connection.

    Raises :class:`CatalogError` when the file cannot be opened.
    """
    lake = Lake(lake_url, region=region, endpoint_url=endpoint_url)
    recover_pending(lake)  # a commit a killed write left half done is completed before reading
    path = _resolve(duckdb_path)
    con = _open(path if os.path.exists(path) else None, read_only=True)
    try:
        if lake.is_s3:
            found = _register_s3_tables(con, lake)
            return con, lake, tuple(table for table, files in found.items() if files)
        filled = []
        stored = dict(
            con.execute(
                "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary AND schema_name = 'main'"
            ).fetchall()
        )
        for table in CATALOG_TABLE_NAMES:
            has_files = bool(partition_files(lake, table))  # a local listing: cheap
            filled += [table] if has_files else []
            if has_files and _sql_string(parquet_glob(lake, table)) in (stored.get(table) or ""):
                continue
            # (read_parquet over a glob that matches nothing fails, hence the empty view.)
            body = _parquet_view_body(lake, table) if has_files else _empty_view_body(con, table)
            con.execute(f"CREATE TEMP VIEW {_sql_identifier(table)} AS {body}")
    except BaseException:
        con.close()
        raise
    return con, lake, tuple(filled)


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int | None = None) -> QueryResult:
    """Run ``sql`` (one or more statements; the last one's result is returned).

    ``max_rows``: keep at most this many rows (``None``: all); the rest are counted, not
    kept, into :attr:`QueryResult.total_rows`. A statement without a result set answers
    no columns and no rows. Raises ``duckdb.Error`` (its message names the problem, e.g.
    ``Catalog Error: Table with name x does not exist!``).
    """
    if max_rows is not None and max_rows < 0:
        raise ValueError(f"max_rows must be >= 0 or None, got {max_rows}")
    con.execute(sql)
    if con.description is None:
        return QueryResult(columns=[], rows=[], total_rows=0)
    columns = [d[0] for d in con.description]
    if max_rows is None:
        rows = con.fetchall()
        return QueryResult(columns=columns, rows=rows, total_rows=len(rows))
    rows = con.fetchmany(max_rows) if max_rows else []
    total = len(rows)
    while chunk := con.fetchmany(10_000):
        total += len(chunk)
    return QueryResult(columns=columns, rows=rows, total_rows=total)
