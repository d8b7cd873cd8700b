"""Entries, songs and artists of a day → ``artist_daily_share`` rows: how much of each
playlist an artist takes that day.

Every artist credited on a song counts (``songs.artist_ids``, not only the first
artist), so a playlist's shares add up to more than 1 when songs have features.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from spotify_assets.trends.trend_schemas import ARTIST_DAILY_SHARE_SCHEMA
from spotify_assets.vocabulary import ARTISTS, PARTITION_COLUMN, PLAYLIST_ENTRIES, SONGS

__all__ = ["compute_artist_share"]


def _require(table: pa.Table, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise KeyError(f"{name} lacks column(s) {missing}")


def compute_artist_share(entries: pa.Table, songs: pa.Table, artists: pa.Table) -> pa.Table:
    """One row per (dt, playlist_id, artist_id) credited on the playlist's songs that day.

    Inputs, each with a ``dt`` string column (YYYY-MM-DD, UTC day) and matched on it:
    ``entries`` (playlist_entries: ``playlist_id``, ``song_id``; one row per song item,
    a song twice on a playlist counts twice), ``songs`` (``song_id``, ``artist_ids``
    list<string>, ``artist_id`` used when ``artist_ids`` is null or empty), ``artists``
    (``artist_id``, ``artist_name``). An artist listed twice on one song counts once.
    An entry whose song is missing from ``songs`` counts in the denominator only.

    Returns :data:`~spotify_assets.trends.trend_schemas.ARTIST_DAILY_SHARE_SCHEMA` plus a last ``dt`` string column, sorted
    by dt, playlist_id, entries descending, artist_id. Raises ``KeyError`` when a needed
    column is missing.
    """
    _require(entries, PLAYLIST_ENTRIES, (PARTITION_COLUMN, "playlist_id", "song_id"))
    _require(songs, SONGS, (PARTITION_COLUMN, "song_id", "artist_id", "artist_ids"))
    _require(artists, ARTISTS, (PARTITION_COLUMN, "artist_id", "artist_name"))
    credits: dict[tuple[str, str], list[str]] = {}
    for row in songs.select([PARTITION_COLUMN, "song_id", "artist_id", "artist_ids"]).to_pylist():
        ids = row["artist_ids"] or ([row["artist_id"]] if row["artist_id"] else [])
        credits[(row[PARTITION_COLUMN], row["song_id"])] = list(dict.fromkeys(ids))  # de-duplicated, order kept
    names = {
        (r[PARTITION_COLUMN], r["artist_id"]): r["artist_name"]
        for r in artists.select([PARTITION_COLUMN, "artist_id", "artist_name"]).to_pylist()
    }

    totals: Counter = Counter()  # (dt, playlist_id) -> song entries
    counts: Counter = Counter()  # (dt, playlist_id, artist_id) -> entries crediting the artist
    for row in entries.select([PARTITION_COLUMN, "playlist_id", "song_id"]).to_pylist():
        dt, playlist_id = row[PARTITION_COLUMN], row["playlist_id"]
        totals[(dt, playlist_id)] += 1
        for artist_id in credits.get((dt, row["song_id"]), []):
            counts[(dt, playlist_id, artist_id)] += 1

    rows = [
        {
            "playlist_id": playlist_id,
            "artist_id": artist_id,
            "artist_name": names.get((dt, artist_id)),
            "entries": n,
            "share": n / totals[(dt, playlist_id)],
            PARTITION_COLUMN: dt,
        }
        for (dt, playlist_id, artist_id), n in counts.items()
    ]
    rows.sort(key=lambda r: (r[PARTITION_COLUMN], r["playlist_id"], -r["entries"], r["artist_id"]))
    schema = ARTIST_DAILY_SHARE_SCHEMA.append(pa.field(PARTITION_COLUMN, pa.string(), nullable=False))
    return pa.Table.from_pylist(rows, schema=schema)
