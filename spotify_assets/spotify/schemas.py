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

__all__ = ["SONGS_SCHEMA", "ALBUMS_SCHEMA", "ARTISTS_SCHEMA", "PLAYLIST_ENTRIES_SCHEMA", "TABLE_SCHEMAS"]


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """One column with its description in the field metadata."""
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


_STRING_LIST = pa.list_(pa.string())

# One row per track (song) id seen in the day's playlists; from the track objects of
# GET /playlists/{id}/items (formerly /tracks).
SONGS_SCHEMA = pa.schema(
    [
        _field("song_id", pa.string(), "Spotify track id (base-62); unique in the table", nullable=False),
        _field("song_name", pa.string(), "track name", nullable=False),
        _field("duration_ms", pa.int64(), "track length in milliseconds", nullable=False),
        _field("album_id", pa.string(), "id of the track's album"),
        _field("artist_id", pa.string(), "id of the first artist credited on the track (not the album)"),
        _field("artist_ids", _STRING_LIST, "ids of all artists credited on the track, in credit order"),
        _field("song_url", pa.string(), "external_urls.spotify of the track"),
        _field("song_uri", pa.string(), "Spotify URI, spotify:track:<id>"),
        _field("isrc", pa.string(), "external_ids.isrc (International Standard Recording Code)"),
        _field("explicit", pa.bool_(), "track has explicit lyrics"),
        _field("popularity", pa.int32(), "0-100; null where the API omits it (2026 development mode)"),
        _field("track_number", pa.int32(), "1-based number of the track on its disc"),
        _field("disc_number", pa.int32(), "1-based disc number"),
    ]
)

# One row per album id of the day's songs (the simplified album object inside each track).
ALBUMS_SCHEMA = pa.schema(
    [
        _field("album_id", pa.string(), "Spotify album id (base-62); unique in the table", nullable=False),
        _field("album_name", pa.string(), "album name"),
        _field("album_type", pa.string(), "album, single or compilation"),
        _field(
            "release_date",
            pa.date32(),
            "release date; year precision gives January 1st, month precision the 1st; null when absent or '0000' (unknown year)",
        ),
        _field("release_date_precision", pa.string(), "year, month or day (inferred from release_date when absent)"),
        _field("total_tracks", pa.int32(), "number of tracks on the album"),
        _field("album_url", pa.string(), "external_urls.spotify of the album"),
        _field("artist_ids", _STRING_LIST, "ids of the artists credited on the album, in credit order"),
        _field("image_url", pa.string(), "URL of the album's largest cover image"),
        _field(
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
        _field("artist_id", pa.string(), "Spotify artist id (base-62); unique in the table", nullable=False),
        _field("artist_name", pa.string(), "artist name"),
        _field("artist_url", pa.string(), "external_urls.spotify of the artist"),
        _field("artist_uri", pa.string(), "Spotify URI, spotify:artist:<id>"),
        # From the full artist object (GET /artists/{id}); null unless SPOTIFY_LOOKUPS
        # includes artists, and where the API omits the field (2026 development mode).
        _field("genres", _STRING_LIST, "the artist's genres (artist look-ups only; omitted in 2026 development mode)"),
        _field("followers", pa.int64(), "followers.total (artist look-ups only; omitted in 2026 development mode)"),
        _field("popularity", pa.int32(), "0-100 (artist look-ups only; omitted in 2026 development mode)"),
        _field("image_url", pa.string(), "URL of the artist's largest image (artist look-ups only)"),
    ]
)

# One row per song item of each playlist (a track twice in a playlist gives two rows).
PLAYLIST_ENTRIES_SCHEMA = pa.schema(
    [
        _field("playlist_id", pa.string(), "Spotify playlist id", nullable=False),
        _field("playlist_name", pa.string(), "playlist name (null when the raw object was a bare page or list)"),
        _field("snapshot_id", pa.string(), "playlist version id (null when the raw object was a bare page or list)"),
        _field(
            "position",
            pa.int32(),
            "1-based position in the playlist, counting every item (also skipped null items, local files, episodes)",
            nullable=False,
        ),
        _field("song_id", pa.string(), "Spotify track id of the item", nullable=False),
        _field("added_at", pa.timestamp("ms", tz="UTC"), "when the item was added (UTC); null when absent"),
        _field("added_by", pa.string(), "Spotify user id that added the item; null when absent or empty"),
    ]
)

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "songs": SONGS_SCHEMA,
    "albums": ALBUMS_SCHEMA,
    "artists": ARTISTS_SCHEMA,
    "playlist_entries": PLAYLIST_ENTRIES_SCHEMA,
}
