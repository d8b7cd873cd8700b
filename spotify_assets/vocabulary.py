"""The lake's vocabulary: every name that the lake, the assets, the catalog and the checks
share, defined once (pure: no Dagster, no I/O; every other module imports it).

- the partition column, :data:`PARTITION_COLUMN` (``dt``, ``YYYY-MM-DD`` UTC): the Hive
  folder ``<table>/dt=<day>/`` on the lake, a column of the tables in memory, a VARCHAR
  column of the DuckDB views and the string partition key of the Glue tables;
- the table names, derived from the schemas: the four tables that ``spotify_tables``
  builds from raw objects (:data:`SPOTIFY_TABLE_NAMES`, from
  :data:`spotify_assets.spotify.schemas.TABLE_SCHEMAS`), the two trend tables
  (:data:`TREND_TABLE_NAMES`, from :data:`spotify_assets.trends.trend_schemas.TREND_SCHEMAS`),
  and all six, which the catalog exposes (:data:`CATALOG_TABLE_NAMES`);
- the asset keys (each a one-part key, as a string): :data:`RAW_PLAYLIST`, one per table,
  :data:`CATALOG`; all of them in :data:`ASSET_NAMES`;
- the raw prefix :data:`RAW_PREFIX` (``raw_playlist/``), under which the raw objects live;
- the asset checks' names.

Why the names come from the schemas and not the other way round: a table is added by
writing its schema (its name is the schema's key), and the assets, the catalog (DuckDB
views, Glue tables), the CLI's help and the checks follow from this module. The schema
modules import nothing of the package's but :func:`~spotify_assets.spotify.schemas.described_field`,
so this module can import them without an import cycle, and every other module can
import this one.
"""

from __future__ import annotations

from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.trends.trend_schemas import TREND_SCHEMAS

__all__ = [
    "ALBUMS",
    "ARTISTS",
    "ARTIST_DAILY_SHARE",
    "ASSET_GROUP",
    "ASSET_NAMES",
    "CATALOG",
    "CATALOG_TABLE_NAMES",
    "CHECK_NAMES",
    "KEY_UNIQUE_NOT_NULL",
    "PARTITION_COLUMN",
    "PLAYLIST_ENTRIES",
    "PLAYLIST_TRENDS",
    "RAW_OBJECTS_VALID",
    "RAW_PLAYLIST",
    "RAW_PREFIX",
    "REFERENTIAL_INTEGRITY",
    "ROW_COUNT_NO_SHARP_DROP",
    "SONGS",
    "SPOTIFY_TABLES",
    "SPOTIFY_TABLE_NAMES",
    "TREND_TABLE_NAMES",
]

# ------------------------------------------------------------------ partition column
PARTITION_COLUMN = "dt"
"""The daily partition: ``YYYY-MM-DD`` (UTC day), a string everywhere (Glue gives a
partition key the string type, so the same SQL runs on DuckDB and Athena)."""

# ------------------------------------------------------------------ tables
SPOTIFY_TABLE_NAMES: tuple[str, ...] = tuple(TABLE_SCHEMAS)
"""``songs``, ``albums``, ``artists``, ``playlist_entries``: the outputs of the
``spotify_tables`` multi-asset, built from the raw objects, in publish order."""
SONGS, ALBUMS, ARTISTS, PLAYLIST_ENTRIES = SPOTIFY_TABLE_NAMES

TREND_TABLE_NAMES: tuple[str, ...] = tuple(TREND_SCHEMAS)
"""``playlist_trends``, ``artist_daily_share``: computed from the tables above."""
PLAYLIST_TRENDS, ARTIST_DAILY_SHARE = TREND_TABLE_NAMES

CATALOG_TABLE_NAMES: tuple[str, ...] = SPOTIFY_TABLE_NAMES + TREND_TABLE_NAMES
"""Every table of the lake, as the catalog exposes them (DuckDB views, Glue tables)."""

# ------------------------------------------------------------------ assets
RAW_PLAYLIST = "raw_playlist"
"""The asset of the raw objects: one JSON object per playlist and day."""
SPOTIFY_TABLES = "spotify_tables"
"""The multi-asset (its op's name) whose outputs are :data:`SPOTIFY_TABLE_NAMES`."""
CATALOG = "catalog"
"""The asset that makes :data:`CATALOG_TABLE_NAMES` queryable (DuckDB, or Glue for Athena)."""
ASSET_NAMES: tuple[str, ...] = (RAW_PLAYLIST, *CATALOG_TABLE_NAMES, CATALOG)
"""Every asset key of the code location (each a one-part key), upstream first."""
ASSET_GROUP = "spotify"
"""The asset group of every asset."""

# ------------------------------------------------------------------ lake
RAW_PREFIX = f"{RAW_PLAYLIST}/"
"""Where the raw objects live in the lake: ``raw_playlist/dt=<day>/<playlist_id>.json``.
Like each table (``<table>/dt=<day>/``), the folder is named after its asset."""

# ------------------------------------------------------------------ asset checks
RAW_OBJECTS_VALID = "raw_objects_valid"
"""On ``playlist_entries``: every raw object was read and every item is valid."""
KEY_UNIQUE_NOT_NULL = "key_unique_not_null"
"""On each table of :data:`SPOTIFY_TABLE_NAMES` (blocking): its key columns are never null, unique per day."""
REFERENTIAL_INTEGRITY = "referential_integrity"
"""On the tables that refer to others (blocking): every referenced id exists on the same day."""
ROW_COUNT_NO_SHARP_DROP = "row_count_no_sharp_drop"
"""On each table of :data:`SPOTIFY_TABLE_NAMES` (WARN): no day has under half the rows of the day before."""
CHECK_NAMES: tuple[str, ...] = (RAW_OBJECTS_VALID, KEY_UNIQUE_NOT_NULL, REFERENTIAL_INTEGRITY, ROW_COUNT_NO_SHARP_DROP)
"""Every asset check's name."""
