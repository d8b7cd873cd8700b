"""Explicit pyarrow schemas of the two trend tables computed from the daily tables
(:mod:`spotify_assets.trends.positions`, :mod:`spotify_assets.trends.share`).

Like :mod:`spotify_assets.spotify.schemas`, there is no ``dt`` column: the day is the
Hive folder. Each field carries a ``description`` in its metadata (a Glue column comment).
The keys of :data:`TREND_SCHEMAS` are the tables' names; :mod:`spotify_assets.vocabulary`
derives the names from them (so this module imports nothing of the package's but schemas).
"""

from __future__ import annotations

import pyarrow as pa

from spotify_assets.spotify.schemas import described_field

__all__ = ["PLAYLIST_TRENDS_SCHEMA", "ARTIST_DAILY_SHARE_SCHEMA", "TREND_SCHEMAS"]

# One row per (dt, playlist_id, song_id) of each playlist snapshot.
PLAYLIST_TRENDS_SCHEMA = pa.schema(
    [
        described_field("playlist_id", pa.string(), "Spotify playlist id", nullable=False),
        described_field("playlist_name", pa.string(), "playlist name on this snapshot"),
        described_field("snapshot_id", pa.string(), "playlist version id of this snapshot"),
        described_field("song_id", pa.string(), "Spotify track id", nullable=False),
        described_field(
            "position",
            pa.int32(),
            "1-based best position on this snapshot; null = the song left since the previous snapshot",
        ),
        described_field(
            "previous_position",
            pa.int32(),
            "best position on the playlist's previous snapshot; null when the song was not on it",
        ),
        described_field(
            "position_change",
            pa.int32(),
            "previous_position - position: positive = climbed; null for new and dropped entries",
        ),
        described_field(
            "is_new_entry",
            pa.bool_(),
            "on this snapshot but not on the previous one (all songs of a first snapshot)",
            nullable=False,
        ),
        described_field(
            "snapshots_on_playlist",
            pa.int32(),
            "snapshots of this playlist up to and including dt that contain the song",
            nullable=False,
        ),
        described_field(
            "peak_position",
            pa.int32(),
            "best position on any snapshot of this playlist up to and including dt",
            nullable=False,
        ),
    ]
)

# One row per (dt, playlist_id, artist_id).
ARTIST_DAILY_SHARE_SCHEMA = pa.schema(
    [
        described_field("playlist_id", pa.string(), "Spotify playlist id", nullable=False),
        described_field("artist_id", pa.string(), "Spotify artist id", nullable=False),
        described_field(
            "artist_name", pa.string(), "artist name (null when the artist is not in that day's artists table)"
        ),
        described_field(
            "entries",
            pa.int64(),
            "song entries of the playlist that day crediting the artist (any credit position)",
            nullable=False,
        ),
        described_field(
            "share",
            pa.float64(),
            "entries / number of song entries of the playlist that day, in (0, 1]",
            nullable=False,
        ),
    ]
)

TREND_SCHEMAS: dict[str, pa.Schema] = {
    "playlist_trends": PLAYLIST_TRENDS_SCHEMA,
    "artist_daily_share": ARTIST_DAILY_SHARE_SCHEMA,
}
