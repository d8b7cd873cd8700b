"""Where things live in the lake (Hive layout, so Glue, Athena and DuckDB read
``dt`` as a partition column):

- raw objects: ``raw_playlist/dt=YYYY-MM-DD/<playlist_id>.json``
- tables:      ``<table>/dt=YYYY-MM-DD/data.parquet`` (no ``dt`` column inside the file)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from spotify_assets.lake.lake import Lake
from spotify_assets.spotify.ids import validate_spotify_id

RAW_PREFIX = "raw_playlist"
TABLE_FILE_NAME = "data.parquet"
TABLE_NAMES = ("songs", "albums", "artists", "playlist_entries")

_DT_IN_KEY = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)")


def raw_partition_prefix(dt: str) -> str:
    """``raw_playlist/dt=<dt>/``"""
    return f"{RAW_PREFIX}/dt={dt}/"


def raw_key(dt: str, playlist_id: str) -> str:
    """Key of the raw object of one playlist on day ``dt``.

    Raises ``InvalidSpotifyIdError`` for an id that is not base-62, so that an id can
    never make a path outside the lake root.
    """
    return f"{raw_partition_prefix(dt)}{validate_spotify_id(playlist_id)}.json"


def table_key(table: str, dt: str) -> str:
    """``<table>/dt=<dt>/data.parquet``"""
    return f"{table}/dt={dt}/{TABLE_FILE_NAME}"


def dt_from_key(key: str) -> str | None:
    """The ``YYYY-MM-DD`` of a ``dt=`` folder in ``key``, or None when there is none."""
    match = _DT_IN_KEY.search(key)
    return match.group(1) if match else None


@dataclass(frozen=True)
class RawObject:
    """One raw object of a partition as stored: its date, lake key and exact bytes;
    ``last_modified``: the object's time in the lake (UTC; S3 LastModified or the file's
    mtime), None where unknown."""

    dt: str
    key: str
    body: bytes
    last_modified: datetime | None = None


def read_raw_objects(lake: Lake, dt: str) -> list[RawObject]:
    """All ``.json`` raw objects under ``raw_playlist/dt=<dt>/``, sorted by key (empty list
    when the partition has none)."""
    objects = [o for o in lake.list_objects(raw_partition_prefix(dt)) if o.key.endswith(".json")]
    return [RawObject(dt=dt, key=o.key, body=lake.read_bytes(o.key), last_modified=o.last_modified) for o in objects]
