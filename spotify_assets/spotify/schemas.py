"""Explicit pyarrow schemas of the four daily tables built from playlist items.

There is no ``dt`` column: the day is the Hive folder (``.../<table>/dt=YYYY-MM-DD/``).
Key columns, and the track fields every song needs (id, name, duration_ms), are
non-nullable; every other column is nullable because the Spotify Web API may omit it
(the February 2026 development mode removed e.g. ``popularity`` and album ``label``).
A null is always "absent or null in the JSON": a value of the wrong type or out of the
column's range leaves its item out instead (``field_checks``, ``invalid:<field>``).
Each field carries a ``description`` in its metadata (usable as a Glue column comment).
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "described_field",
    "SONGS_SCHEMA",
    "ALBUMS_SCHEMA",
    "ARTISTS_SCHEMA",
    "PLAYLIST_ENTRIES_SCHEMA",
    "TABLE_SCHEMAS",
]


def described_field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """One column with its ``description`` in the field metadata (every table's schema is made of these)."""
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


_STRING_LIST = pa.list_(pa.string())

# One row per track (song) id seen in the day's playlists; from the track objects of
# GET /playlists/{id}/items (formerly /tracks).
SONGS_SCHEMA = pa.schema(
    [
        described_field("song_id", pa.string(), "Spotify track id (base-62); unique in the table", nullable=False),
        described_field("song_name", pa.string(), "track name", nullable=False),
        described_field("duration_ms", pa.int64(), "track length in milliseconds", nullable=False),
        described_field("album_id", pa.string(), "id of the track's album"),
        described_field("artist_id", pa.string(), "id of the first artist credited on the track (not the album)"),
        described_field("artist_ids", _STRING_LIST, "ids of all artists credited on the track, in credit order"),
        described_field("song_url", pa.string(), "external_urls.spotify of the track"),
        described_field("song_uri", pa.string(), "Spotify URI, spotify:track:<id>"),
        described_field("isrc", pa.string(), "external_ids.isrc (International Standard Recording Code)"),
        described_field("explicit", pa.bool_(), "track has explicit lyrics"),
        described_field("popularity", pa.int32(), "0-100; null where the API omits it (2026 development mode)"),
        described_field("track_number", pa.int32(), "1-based number of the track on its disc"),
        described_field("disc_number", pa.int32(), "1-based disc number"),
    ]
)

# One row per album id of the day's songs (the simplified album object inside each track).
ALBUMS_SCHEMA = pa.schema(
    [
        described_field("album_id", pa.string(), "Spotify album id (base-62); unique in the table", nullable=False),
        described_field("album_name", pa.string(), "album name"),
        described_field("album_type", pa.string(), "album, single or compilation"),
        described_field(
            "release_date",
            pa.date32(),
            "release date; year precision gives January 1st, month precision the 1st; null when absent or '0000' (unknown year)",
        ),
        described_field(
            "release_date_precision", pa.string(), "year, month or day (inferred from release_date when absent)"
        ),
        described_field("total_tracks", pa.int32(), "number of tracks on the album"),
        described_field("album_url", pa.string(), "external_urls.spotify of the album"),
        described_field("artist_ids", _STRING_LIST, "ids of the artists credited on the album, in credit order"),
        described_field("image_url", pa.string(), "URL of the album's largest cover image"),
        described_field(
            "label",
            pa.string(),
            "record label; null where the API omits it (2026 development mode); also filled by album look-ups (SPOTIFY_LOOKUPS)",
        ),
    ]
)

# One row per artist id credited on a song or on an album of the day; the last four
# columns come from artist look-ups (spotify.lookups), when made.
ARTISTS_SCHEMA = pa.schema(
    [
        described_field("artist_id", pa.string(), "Spotify artist id (base-62); unique in the table", nullable=False),
        described_field("artist_name", pa.string(), "artist name"),
        described_field("artist_url", pa.string(), "external_urls.spotify of the artist"),
        described_field("artist_uri", pa.string(), "Spotify URI, spotify:artist:<id>"),
        # From the full artist object (GET /artists/{id}); null unless SPOTIFY_LOOKUPS
        # includes artists, and where the API omits the field (2026 development mode).
        described_field(
            "genres", _STRING_LIST, "the artist's genres (artist look-ups only; omitted in 2026 development mode)"
        ),
        described_field(
            "followers", pa.int64(), "followers.total (artist look-ups only; omitted in 2026 development mode)"
        ),
        described_field("popularity", pa.int32(), "0-100 (artist look-ups only; omitted in 2026 development mode)"),
        described_field("image_url", pa.string(), "URL of the artist's largest image (artist look-ups only)"),
    ]
)

# One row per song item of each playlist (a track twice in a playlist gives two rows).
PLAYLIST_ENTRIES_SCHEMA = pa.schema(
    [
        described_field("playlist_id", pa.string(), "Spotify playlist id", nullable=False),
        described_field(
            "playlist_name", pa.string(), "playlist name (null when the raw object was a bare page or list)"
        ),
        described_field(
            "snapshot_id", pa.string(), "playlist version id (null when the raw object was a bare page or list)"
        ),
        described_field(
            "position",
            pa.int32(),
            "1-based position in the playlist, counting every item (also skipped null items, local files, episodes)",
            nullable=False,
        ),
        described_field("song_id", pa.string(), "Spotify track id of the item", nullable=False),
        described_field("added_at", pa.timestamp("ms", tz="UTC"), "when the item was added (UTC); null when absent"),
        described_field("added_by", pa.string(), "Spotify user id that added the item; null when absent or empty"),
    ]
)

# The keys are the tables' names, written only here; spotify_assets.vocabulary derives
# the names from them.
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "songs": SONGS_SCHEMA,
    "albums": ALBUMS_SCHEMA,
    "artists": ARTISTS_SCHEMA,
    "playlist_entries": PLAYLIST_ENTRIES_SCHEMA,
}
