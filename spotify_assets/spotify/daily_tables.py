"""The four daily tables (songs, albums, artists, playlist_entries) from raw playlists.

Pure functions, no Dagster. Source: the playlist items of GET /playlists/{id}/items
(formerly /tracks), as read by ``raw_parsing``. The items are walked once in plain Python;
each table's rows are collected as tuples, transposed into columns, and each column is
built with a single ``pa.array(values, type=...)`` (no per-row dicts, no pandas);
``added_at`` is parsed in bulk by an Arrow cast. This keeps raw JSON -> tables close to
the cost of the JSON parse itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from spotify_assets.vocabulary import ALBUMS, ARTISTS, PLAYLIST_ENTRIES, SONGS

from .field_checks import InvalidField, parse_release_date, parse_timestamp
from .raw_parsing import SKIP_REASONS, InvalidItem, RawPlaylist, check_item, classify_item, item_track
from .schemas import ALBUMS_SCHEMA, ARTISTS_SCHEMA, PLAYLIST_ENTRIES_SCHEMA, SONGS_SCHEMA

__all__ = [
    "SKIP_REASONS",
    "InvalidItem",
    "PlaylistTables",
    "build_tables",
    "count_skipped_items",
    "item_track",
]

_ADDED_AT_TYPE = pa.timestamp("ms", tz="UTC")


@dataclass
class PlaylistTables:
    """The day's tables, each exactly in its schema (``spotify_assets.spotify.schemas``).

    - ``songs``: ``SONGS_SCHEMA``, one row per track id (first occurrence wins);
    - ``albums``: ``ALBUMS_SCHEMA``, one row per album id of those songs;
    - ``artists``: ``ARTISTS_SCHEMA``, one row per artist id credited on a song or album
      (``genres``, ``followers``, ``popularity``, ``image_url`` from artist look-ups);
    - ``playlist_entries``: ``PLAYLIST_ENTRIES_SCHEMA``, one row per song item, in playlist order;
    - ``skipped_items``: reason -> number of items that gave no song, every reason of
      ``SKIP_REASONS`` present (0 when none), plus ``invalid:<field>`` for items left
      out because of an invalid field (present only when counted);
    - ``invalid_items``: ``{source_key: [InvalidItem(position, reason, detail)]}`` of
      those items, in playlist order (keys with none are absent);
    - ``invalid_lookups``: ``{source_key: [InvalidItem(index, reason, detail)]}`` of
      look-up objects left out (``RawPlaylist.invalid_lookups``).
    """

    songs: pa.Table
    albums: pa.Table
    artists: pa.Table
    playlist_entries: pa.Table
    skipped_items: dict[str, int]
    invalid_items: dict[str, list[InvalidItem]] = field(default_factory=dict)
    invalid_lookups: dict[str, list[InvalidItem]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, pa.Table]:
        """``{"songs": ..., "albums": ..., "artists": ..., "playlist_entries": ...}``."""
        return {
            SONGS: self.songs,
            ALBUMS: self.albums,
            ARTISTS: self.artists,
            PLAYLIST_ENTRIES: self.playlist_entries,
        }


def build_tables(playlists: Iterable[RawPlaylist]) -> PlaylistTables:
    """Build the four tables from the items of the given playlists.

    Songs, albums and artists are de-duplicated by id across all playlists (first
    occurrence wins); ``playlist_entries`` gets one row per song item, with ``position``
    = ``first_position`` + index (skipped items still count). Items that are no song, and
    items with a field the tables cannot take (``field_checks``: wrong JSON type, not a
    date, out of range), give no rows at all; they are counted in ``skipped_items`` and
    the invalid ones listed in ``invalid_items`` (see ``raw_parsing.check_item``).
    Look-ups (``RawPlaylist.looked_up_albums``/``looked_up_artists``, any playlist of the
    day) fill ``albums.label`` where the track's album has none, and the artists'
    look-up columns.
    """
    builder = _TableBuilder()
    for playlist in playlists:
        builder.add_playlist(playlist)
    return builder.finish()


def count_skipped_items(playlist: RawPlaylist) -> dict[str, int]:
    """``{reason: count}`` of the playlist's items that give no rows, every
    ``SKIP_REASONS`` present, plus ``invalid:<field>`` reasons where counted: what
    ``build_tables`` would report, without building the tables."""
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    cache: dict = {}
    typed = playlist.types_checked
    for item in playlist.items:
        reason = classify_item(item, cache, typed)
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
    return skipped


def _spotify_url(obj: dict) -> str | None:
    """``external_urls.spotify`` of an object (absent for local files)."""
    urls = obj.get("external_urls")
    return urls.get("spotify") if isinstance(urls, dict) else None


def _largest_image_url(images: object) -> str | None:
    """URL of the largest image (by width x height; the first when sizes are null)."""
    if not isinstance(images, list):
        return None
    images = [image for image in images if isinstance(image, dict)]
    if not images:
        return None
    best = max(images, key=lambda image: (image.get("width") or 0) * (image.get("height") or 0))
    return best.get("url")


def _artist_ids(artists: object) -> list[str]:
    """Ids of the credited artists, in credit order, skipping null ids."""
    if not isinstance(artists, list):
        return []
    return [artist["id"] for artist in artists if isinstance(artist, dict) and artist.get("id")]


def _column(values: Sequence[object], type_: pa.DataType) -> pa.Array:
    """One column from plain Python values, all of them already checked to fit ``type_``
    (``field_checks``): a value that does not is a bug, and pyarrow's error propagates."""
    return pa.array(values, type=type_)


def _added_at_column(values: Sequence[object]) -> pa.Array:
    """ISO 8601 ``added_at`` strings (``2020-07-14T00:18:48Z``, checked by
    ``field_checks``) -> timestamp[ms, UTC], in bulk; value by value (no offset = UTC,
    sub-milliseconds truncated) only where Arrow's parser refuses a valid form."""
    strings = _column(values, pa.string())
    try:
        return strings.cast(_ADDED_AT_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else parse_timestamp(v) for v in strings.to_pylist()], type=_ADDED_AT_TYPE)


class _TableBuilder:
    """Rows of the four tables, filled item by item, turned into columns at the end.

    Each row is a tuple in its schema's column order; ``zip(*rows)`` transposes them into
    per-column sequences in C. One tuple append per row is cheaper in this hot loop than
    one list append (and one dict lookup) per column.
    """

    def __init__(self) -> None:
        self.skipped = dict.fromkeys(SKIP_REASONS, 0)
        self.invalid_items: dict[str, list[InvalidItem]] = {}
        self.invalid_lookups: dict[str, list[InvalidItem]] = {}
        self.checked: dict = {}  # field_checks cache: albums and artists shared between tracks
        self.song_rows: list[tuple] = []
        self.album_rows: list[tuple] = []
        self.artist_rows: list[tuple] = []
        self.entry_rows: list[tuple] = []
        self.seen_songs: set[str] = set()
        self.seen_albums: set[str] = set()
        self.seen_artists: set[str] = set()
        self.looked_up_albums: dict[str, dict] = {}
        self.looked_up_artists: dict[str, dict] = {}

    def add_playlist(self, playlist: RawPlaylist) -> None:
        """Walk the playlist's items once: one entry per song item, new songs/albums/artists."""
        self.looked_up_albums.update(playlist.looked_up_albums)
        self.looked_up_artists.update(playlist.looked_up_artists)
        if playlist.invalid_lookups:
            self.invalid_lookups[playlist.source_key] = list(playlist.invalid_lookups)
        add_entry = self.entry_rows.append
        skipped, seen_songs, checked, typed = self.skipped, self.seen_songs, self.checked, playlist.types_checked
        playlist_id, name, snapshot_id = playlist.playlist_id, playlist.playlist_name, playlist.snapshot_id
        position = playlist.first_position - 1
        for item in playlist.items:
            position += 1
            try:
                reason = check_item(item, checked, typed)
            except InvalidField as invalid:
                self._invalid(playlist.source_key, position, invalid)
                continue
            if reason is not None:
                skipped[reason] += 1
                continue
            track = item_track(item)
            song_id = track["id"]
            added_by = item.get("added_by")
            add_entry(
                (
                    playlist_id,
                    name,
                    snapshot_id,
                    position,
                    song_id,
                    item.get("added_at"),
                    (added_by.get("id") or None) if added_by is not None else None,  # "" (charts): no user
                )
            )
            if song_id not in seen_songs:
                seen_songs.add(song_id)
                self._add_song(track)

    def _invalid(self, key: str, position: int, invalid: InvalidField) -> None:
        """Count and list an item left out because of ``invalid``."""
        self.skipped[invalid.reason] = self.skipped.get(invalid.reason, 0) + 1
        self.invalid_items.setdefault(key, []).append(InvalidItem(position, invalid.reason, invalid.detail))

    def _add_song(self, track: dict) -> None:
        """Append one songs row (``SONGS_SCHEMA`` order), then the track's album and artists when new."""
        album = track.get("album") or {}
        album_id = album.get("id")
        artists = track.get("artists")
        artist_ids = _artist_ids(artists)
        external_ids = track.get("external_ids")
        self.song_rows.append(
            (
                track["id"],
                track["name"],
                track["duration_ms"],
                album_id,
                artist_ids[0] if artist_ids else None,
                artist_ids,
                _spotify_url(track),
                track.get("uri"),
                external_ids.get("isrc") if external_ids is not None else None,
                track.get("explicit"),
                track.get("popularity"),
                track.get("track_number"),
                track.get("disc_number"),
            )
        )
        self._add_artists(artists)
        if album_id is not None and album_id not in self.seen_albums:
            self.seen_albums.add(album_id)
            self._add_album(album_id, album)

    def _add_album(self, album_id: str, album: dict) -> None:
        """Append one albums row (``ALBUMS_SCHEMA`` order) from a track's simplified album object, and its artists."""
        release_date, precision = parse_release_date(album.get("release_date"), album.get("release_date_precision"))
        artists = album.get("artists")
        self.album_rows.append(
            (
                album_id,
                album.get("name"),
                album.get("album_type"),
                release_date,
                precision,
                album.get("total_tracks"),
                _spotify_url(album),
                _artist_ids(artists),
                _largest_image_url(album.get("images")),
                album.get("label"),
            )
        )
        self._add_artists(artists)

    def _add_artists(self, artists: object) -> None:
        """Append an artists row (``ARTISTS_SCHEMA`` order) per credited artist not seen yet; null ids skipped."""
        if not isinstance(artists, list):
            return
        seen, add_row = self.seen_artists, self.artist_rows.append
        for artist in artists:
            artist_id = artist.get("id") if isinstance(artist, dict) else None
            if not artist_id or artist_id in seen:
                continue
            seen.add(artist_id)
            add_row((artist_id, artist.get("name"), _spotify_url(artist), artist.get("uri")))

    def finish(self) -> PlaylistTables:
        """Build the four tables, one ``pa.array`` per column (look-ups joined in here, so
        that a look-up in any playlist of the day serves a row made from another)."""
        albums, artists = self.looked_up_albums, self.looked_up_artists
        album_rows = self.album_rows
        if albums:
            album_rows = [
                row if row[_LABEL] is not None else _with_label(row, albums.get(row[0])) for row in album_rows
            ]
        artist_rows = [row + _artist_details(artists.get(row[0])) for row in self.artist_rows]
        return PlaylistTables(
            songs=_table(self.song_rows, SONGS_SCHEMA),
            albums=_table(album_rows, ALBUMS_SCHEMA),
            artists=_table(artist_rows, ARTISTS_SCHEMA),
            playlist_entries=_table(self.entry_rows, PLAYLIST_ENTRIES_SCHEMA),
            skipped_items=dict(self.skipped),
            invalid_items=self.invalid_items,
            invalid_lookups=self.invalid_lookups,
        )


_LABEL = ALBUMS_SCHEMA.get_field_index("label")


def _with_label(row: tuple, album: dict | None) -> tuple:
    """An albums row with ``label`` from a looked-up album (unchanged without one)."""
    if album is None:
        return row
    return (*row[:_LABEL], album.get("label"), *row[_LABEL + 1 :])


_NO_ARTIST_DETAILS = (None, None, None, None)


def _artist_details(artist: dict | None) -> tuple:
    """The look-up columns of an artists row (``genres``, ``followers``, ``popularity``,
    ``image_url``) from a full artist object; all None without one."""
    if artist is None:
        return _NO_ARTIST_DETAILS
    followers = artist.get("followers")
    return (
        artist.get("genres"),
        followers.get("total") if isinstance(followers, dict) else None,
        artist.get("popularity"),
        _largest_image_url(artist.get("images")),
    )


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """A table in ``schema`` from row tuples in its column order (``added_at`` parsed in bulk)."""
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    arrays = [
        _added_at_column(values) if field.type == _ADDED_AT_TYPE else _column(values, field.type)
        for field, values in zip(schema, columns)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
