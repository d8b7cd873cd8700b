"""Where things live in the lake (Hive layout, so Glue, Athena and DuckDB read
``dt`` as a partition column):

- raw objects: ``raw_playlist/dt=YYYY-MM-DD/<playlist_id>.json``
- tables:      ``<table>/dt=YYYY-MM-DD/data.parquet`` (no ``dt`` column inside the file)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from spotify_assets.lake.lake import Lake, LakeEntryError, ObjectInfo, too_large_reason
from spotify_assets.settings import ENV_VARS
from spotify_assets.spotify.ids import validate_spotify_id
from spotify_assets.vocabulary import PARTITION_COLUMN, RAW_PREFIX

TABLE_FILE_NAME = "data.parquet"
# The largest raw object read, in bytes, unless a caller gives Settings.raw_max_bytes.
DEFAULT_RAW_MAX_BYTES = int(ENV_VARS["SPOTIFY_RAW_MAX_BYTES"][0])

_DT_IN_KEY = re.compile(rf"(?:^|/){PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})(?:/|$)")


def raw_partition_prefix(dt: str) -> str:
    """``raw_playlist/dt=<dt>/``"""
    return f"{RAW_PREFIX}{PARTITION_COLUMN}={dt}/"


def prefix_url(lake: Lake, prefix: str) -> str:
    """Full URL of ``prefix`` (a folder such as :data:`~spotify_assets.vocabulary.RAW_PREFIX`
    or :func:`raw_partition_prefix`), ending in ``/``: ``s3://bucket/prefix/raw_playlist/``
    or an absolute local path."""
    return lake.url(prefix.removesuffix("/")) + "/"


def raw_key(dt: str, playlist_id: str) -> str:
    """Key of the raw object of one playlist on day ``dt``.

    Raises ``InvalidSpotifyIdError`` for an id that is not base-62, so that an id can
    never make a path outside the lake root.
    """
    return f"{raw_partition_prefix(dt)}{validate_spotify_id(playlist_id)}.json"


def table_key(table: str, dt: str) -> str:
    """``<table>/dt=<dt>/data.parquet``"""
    return f"{table}/{PARTITION_COLUMN}={dt}/{TABLE_FILE_NAME}"


def dt_from_key(key: str) -> str | None:
    """The ``YYYY-MM-DD`` of a ``dt=`` folder in ``key``, or None when there is none."""
    match = _DT_IN_KEY.search(key)
    return match.group(1) if match else None


@dataclass(frozen=True)
class RawObject:
    """One raw object of a partition as stored: its date, lake key and exact bytes.

    ``last_modified``: the listing's LastModified (UTC; None when not known).
    ``unreadable``: None for an object that was read; else the reason (words) why this
    listed entry was not read (a symbolic link, FIFO, device or socket, a key with
    ``..``/``//`` or not valid UTF-8, above ``SPOTIFY_RAW_MAX_BYTES``); ``body`` is then
    ``b""`` and the tables step reports it under ``bad_objects`` with that reason.
    """

    dt: str
    key: str
    body: bytes
    last_modified: datetime | None = None
    unreadable: str | None = None


def read_raw_objects(lake: Lake, dt: str, max_bytes: int | None = None) -> list[RawObject]:
    """All raw objects under ``raw_playlist/dt=<dt>/``, sorted by key (empty list when the
    partition has none): every ``.json`` object, and every entry that is never read
    whatever its name (a symbolic link, FIFO, device, socket, a key that is not a plain
    path or not valid UTF-8) as a ``RawObject`` with ``unreadable`` set.

    ``max_bytes`` (``Settings.raw_max_bytes``; default :data:`DEFAULT_RAW_MAX_BYTES`, 512 MiB): an object whose listed size, ``fstat``
    size or bytes read exceed it is not read (``unreadable`` says so), so one huge or
    endless object cannot exhaust memory. An object deleted between listing and reading
    is reported the same way. Nothing here ever blocks on an entry or follows a link.
    """
    return read_raw_days(lake, [dt], max_bytes)[dt]


def read_raw_days(lake: Lake, days: list[str], max_bytes: int | None = None) -> dict[str, list[RawObject]]:
    """``{dt: [RawObject]}`` for each of ``days``: what :func:`read_raw_objects` gives for each,
    from one listing (the day's folder for one day, the raw zone for several), so a range
    costs one listing and only the objects of its days are read."""
    limit = DEFAULT_RAW_MAX_BYTES if max_bytes is None else max_bytes
    by_folder: dict[str, list[ObjectInfo]] = {f"{PARTITION_COLUMN}={dt}": [] for dt in days}
    prefix = raw_partition_prefix(days[0]) if len(days) == 1 else RAW_PREFIX
    for listed in lake.list_objects(prefix, include_unreadable=True) if days else []:
        if not (listed.unreadable or listed.key.endswith(".json")):
            continue
        if listed.key == RAW_PREFIX.rstrip("/"):  # the raw zone's folder is a link: an entry of every day
            for entries in by_folder.values():
                entries.append(listed)
        elif (folder := listed.key[len(RAW_PREFIX) :].split("/", 1)[0]) in by_folder:
            by_folder[folder].append(listed)
    return {dt: [_read_raw_object(lake, dt, o, limit) for o in by_folder[f"{PARTITION_COLUMN}={dt}"]] for dt in days}


def _read_raw_object(lake: Lake, dt: str, listed: ObjectInfo, max_bytes: int) -> RawObject:
    def unreadable(reason: str) -> RawObject:
        return RawObject(dt=dt, key=listed.key, body=b"", last_modified=listed.last_modified, unreadable=reason)

    if listed.unreadable:
        return unreadable(listed.unreadable)
    if listed.size > max_bytes:
        return unreadable(too_large_reason(listed.size, max_bytes))
    try:
        body = lake.read_bytes(listed.key, max_bytes=max_bytes)
    except LakeEntryError as err:  # replaced by a link, a FIFO or a larger file since the listing
        return unreadable(err.reason)
    except FileNotFoundError:
        return unreadable("listed, then gone when read (deleted or renamed meanwhile): not read")
    return RawObject(dt=dt, key=listed.key, body=body, last_modified=listed.last_modified)
