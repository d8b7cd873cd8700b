"""Shared by the catalog and CLI tests: the four real "Top 50 - Global" snapshots landed
as raw objects, the tables built from them by the project's own assets, and the facts
the tests expect, computed straight from the raw JSON (not through the code under test).
The lake built once per session is the ``top50_lake`` fixture (``support/fixtures/lake.py``).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import boto3
import dagster as dg
import pyarrow.parquet as pq

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.definitions import build_resources
from spotify_assets.lake import layout
from spotify_assets.lake.lake import Lake
from spotify_assets.settings import Settings
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES
from spotify_assets_tests.support.samples import TOP50_ID, TOP50_SNAPSHOTS, sample_path

ALL_DTS = tuple(TOP50_SNAPSHOTS)


@dataclass(frozen=True)
class Entry:
    """One song item of a snapshot, read from the raw JSON."""

    position: int  # 1-based, counting every item
    song_id: str
    song_name: str
    first_artist: str


@dataclass(frozen=True)
class Snapshot:
    dt: str
    snapshot_id: str
    name: str
    entries: tuple[Entry, ...]


def read_snapshot(dt: str) -> Snapshot:
    """The raw recording of ``dt`` (a one-element list holding the playlist object)."""
    playlist = json.loads(sample_path(TOP50_SNAPSHOTS[dt]).read_bytes())[0]
    entries = []
    for position, item in enumerate(playlist["tracks"]["items"], start=1):
        track = item.get("track")
        if not track or track.get("is_local") or track.get("type", "track") != "track":
            continue
        entries.append(Entry(position, track["id"], track["name"], track["artists"][0]["name"]))
    return Snapshot(dt, playlist["snapshot_id"], playlist["name"], tuple(entries))


def land_top50(lake_url: str, dts: Iterable[str] = ALL_DTS) -> dict[str, Snapshot]:
    """Write the recordings as raw objects ``raw_playlist/dt=D/<id>.json`` (bytes as recorded)."""
    lake = Lake(lake_url)
    for dt in dts:
        lake.write_bytes(layout.raw_key(dt, TOP50_ID), sample_path(TOP50_SNAPSHOTS[dt]).read_bytes())
    return {dt: read_snapshot(dt) for dt in dts}


def materialize_day(
    settings: Settings, dt: str, extra_assets=(), extra_resources=None, instance=None, raise_on_error=True
):
    """One run of ``raw_playlist`` (records the landed objects: a past day never calls the
    API), ``spotify_tables`` and the trend tables for ``dt``, plus ``extra_assets``."""
    resources = {**build_resources(settings), **(extra_resources or {})}
    return dg.materialize(
        [raw_playlist, spotify_tables, playlist_trends, artist_daily_share, *extra_assets],
        partition_key=dt,
        resources=resources,
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def parquet_rows(lake_url: str) -> dict[str, dict[str, int]]:
    """``{table: {dt: rows}}`` from the Parquet footers in the lake, read with plain boto3
    (S3) or the filesystem (folder): independent of the code under test."""
    counts: dict[str, dict[str, int]] = {table: {} for table in CATALOG_TABLE_NAMES}
    if lake_url.startswith("s3://"):
        bucket, _, prefix = lake_url[len("s3://") :].partition("/")
        s3 = boto3.session.Session().client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
        found = {o["Key"][len(prefix.rstrip("/")) + 1 :]: o["Key"] for page in pages for o in page.get("Contents", [])}
        read = lambda key: s3.get_object(Bucket=bucket, Key=found[key])["Body"].read()  # noqa: E731
    else:
        root = Path(lake_url)
        found = {p.relative_to(root).as_posix(): p for p in root.rglob("*.parquet") if not p.name.startswith(".")}
        read = lambda key: found[key].read_bytes()  # noqa: E731
    for key in found:
        table = key.split("/", 1)[0]
        if table in counts and key.endswith(".parquet"):
            counts[table][layout.dt_from_key(key)] = pq.read_metadata(io.BytesIO(read(key))).num_rows
    return counts


# ---------------------------------------------------------------- expected query answers
def expected_top_artists(snapshot: Snapshot) -> Counter:
    """Entries per first-credited artist on one day."""
    return Counter(e.first_artist for e in snapshot.entries)


def expected_days_on_playlist(snapshots: dict[str, Snapshot]) -> Counter:
    """song_id -> number of days it was on the playlist."""
    return Counter(song for s in snapshots.values() for song in {e.song_id for e in s.entries})


def expected_new_entries(snapshots: dict[str, Snapshot]) -> dict[str, tuple[str, int]]:
    """dt -> (previous dt, entries whose song was not in the previous snapshot)."""
    dts = sorted(snapshots)
    out = {}
    for previous, dt in zip(dts, dts[1:]):
        before = {e.song_id for e in snapshots[previous].entries}
        out[dt] = (previous, sum(1 for e in snapshots[dt].entries if e.song_id not in before))
    return out


def expected_climbers(snapshots: dict[str, Snapshot], dt: str) -> dict[str, tuple[int, int]]:
    """song_id -> (position on the previous day, position on ``dt``) for songs on both."""
    dts = sorted(snapshots)
    previous = dts[dts.index(dt) - 1]
    before = {e.song_id: e.position for e in snapshots[previous].entries}
    return {e.song_id: (before[e.song_id], e.position) for e in snapshots[dt].entries if e.song_id in before}
