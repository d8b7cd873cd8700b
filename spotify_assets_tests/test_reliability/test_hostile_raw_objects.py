"""The hostile-raw-object suite: generated raw objects (type swaps field by field over
every field the tables read, nulls, huge and negative numbers, dates that are not dates,
odd strings and keys, wrong nesting, the bare-list shape, several snapshots of one
playlist, duplicate items), each built into the day's tables by the pure
``build_partition_tables``.

For each kind: the exact rows kept ((playlist_id, position, song_id) of
playlist_entries, and the songs, albums and artists ids), the exact reason recorded
(``invalid_items``, ``invalid_lookups``, ``bad_objects``, ``superseded``), that the raw
bytes are unchanged (each body is a mutable ``bytearray``, compared after the build),
and that the fast path (msgspec) and the full path (orjson) build the same tables.

Non-regular files and odd lake keys are in the lake's own tests.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject, read_raw_objects
from spotify_assets.spotify.daily_tables import SKIP_REASONS, build_tables
from spotify_assets.spotify.raw_parsing import RawObjectError, parse_raw_object
from spotify_assets.transform import Superseded, build_partition_tables

DT = "2024-05-15"
PLAYLIST = "0Hostile00000000000001"
KEY = f"raw_playlist/dt={DT}/{PLAYLIST}.json"
SONGS = ["0Song00000000000000001", "0Song00000000000000002", "0Song00000000000000003"]
ALBUMS = ["0Album0000000000000001", "0Album0000000000000002", "0Album0000000000000003"]
ARTISTS = ["0Artist000000000000001", "0Artist000000000000002", "0Artist000000000000003"]
ALL_ENTRIES = {(PLAYLIST, n + 1, SONGS[n]) for n in range(3)}
BUT_2 = {(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 3, SONGS[2])}  # item 2 left out
UTC = timezone.utc


def _artist(n: int) -> dict:
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{ARTISTS[n]}"},
        "href": f"https://api.spotify.com/v1/artists/{ARTISTS[n]}",
        "id": ARTISTS[n],
        "name": f"Artist {n + 1}",
        "type": "artist",
        "uri": f"spotify:artist:{ARTISTS[n]}",
    }


def _item(n: int) -> dict:
    """Song item n (0-based) in the 2026 shape, every field the tables read present;
    its own album and artist (credited on the track and the album)."""
    album = {
        "album_type": "album",
        "artists": [_artist(n)],
        "external_urls": {"spotify": f"https://open.spotify.com/album/{ALBUMS[n]}"},
        "id": ALBUMS[n],
        "images": [
            {"height": 640, "url": f"https://i.scdn.co/image/{n}-640", "width": 640},
            {"height": 64, "url": f"https://i.scdn.co/image/{n}-64", "width": 64},
        ],
        "label": "A label",
        "name": f"Album {n + 1}",
        "release_date": "2021-06-18",
        "release_date_precision": "day",
        "total_tracks": 12,
        "type": "album",
    }
    track = {
        "album": album,
        "artists": [_artist(n)],
        "disc_number": 1,
        "duration_ms": 200_000 + n,
        "episode": False,
        "explicit": False,
        "external_ids": {"isrc": f"USXX2100000{n}"},
        "external_urls": {"spotify": f"https://open.spotify.com/track/{SONGS[n]}"},
        "id": SONGS[n],
        "is_local": False,
        "name": f"Song {n + 1}",
        "popularity": 50,
        "track_number": n + 1,
        "type": "track",
        "uri": f"spotify:track:{SONGS[n]}",
    }
    return {
        "added_at": "2024-05-01T10:00:00Z",
        "added_by": {"id": "someone", "type": "user"},
        "is_local": False,
        "item": track,
    }


def _playlist(items: list | None = None, **fields) -> dict:
    """Our extractor's shape: a playlist object, its items in one page, lookups. By
    default items 1 to 3, item 1's album without ``label`` (the look-up fills it)."""
    if items is None:
        items = [_item(n) for n in range(3)]
        del items[0]["item"]["album"]["label"]
    document = {
        "id": PLAYLIST,
        "name": "Hostile",
        "snapshot_id": "AAAAsnapshot1",
        "type": "playlist",
        "items": {
            "href": f"https://api.spotify.com/v1/playlists/{PLAYLIST}/items",
            "items": items,
            "limit": 50,
            "next": None,
            "offset": 0,
            "total": len(items),
        },
        "lookups": {
            "albums": [{"id": ALBUMS[0], "label": "Looked-up label", "name": "Album 1"}],
            "artists": [
                {
                    "id": ARTISTS[0],
                    "genres": ["pop"],
                    "followers": {"total": 5},
                    "popularity": 50,
                    "images": [{"url": "https://i.scdn.co/a", "width": 10, "height": 10}],
                }
            ],
        },
        "extracted_at": "2024-05-15T06:00:00+00:00",
    }
    document.update(fields)
    return document


@dataclass
class Kind:
    """One generated raw-object day and what the tables must say about it."""

    objects: list[tuple[str, bytes, datetime | None]]
    entries: set = field(default_factory=lambda: set(ALL_ENTRIES))
    invalid: dict = field(default_factory=dict)  # {key: [(position, reason)]}
    bad: dict = field(default_factory=dict)  # {key: exact reason}
    superseded: dict = field(default_factory=dict)  # {key: Superseded}
    invalid_lookups: dict = field(default_factory=dict)  # {key: [(index, reason)]}
    detail: str | None = None  # the first invalid item's detail, where given
    extra: object = None  # callable(PartitionTables) for further facts


def _body(document: object) -> bytes:
    """UTF-8 JSON (stdlib: integers beyond 64 bits are written as they are)."""
    return json.dumps(document, ensure_ascii=False).encode()


def _one(document: object, **expected) -> Kind:
    return Kind(objects=[(KEY, _body(document), None)], **expected)


def _set(document: dict, path: tuple, value: object) -> dict:
    """A deep copy of ``document`` with ``path`` (keys and list indexes) set to ``value``."""
    document = copy.deepcopy(document)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


def _item_path(path: tuple) -> tuple:
    """A path inside item 2 of the base playlist."""
    return ("items", "items", 1, *path)


def _reason(path: tuple) -> str:
    """The ``invalid:<field>`` of a path inside a playlist item (see field_checks)."""
    names = [step for step in path if not isinstance(step, int)]
    if names == ["item"]:
        return "invalid:track"
    if names[0] == "item":
        names = names[1:]
        if names == ["is_local"]:
            return "invalid:track.is_local"
    return "invalid:" + ".".join(names)


# -- every field the tables read, with its JSON type ----------------------------------

STR, INT, BOOL, LIST, OBJ = "string", "integer", "boolean", "list", "object"
ITEM_FIELDS = {
    ("added_at",): STR,
    ("added_by",): OBJ,
    ("added_by", "id"): STR,
    ("is_local",): BOOL,
    ("item",): OBJ,
    ("item", "id"): STR,
    ("item", "name"): STR,
    ("item", "duration_ms"): INT,
    ("item", "explicit"): BOOL,
    ("item", "popularity"): INT,
    ("item", "track_number"): INT,
    ("item", "disc_number"): INT,
    ("item", "uri"): STR,
    ("item", "type"): STR,
    ("item", "episode"): BOOL,
    ("item", "is_local"): BOOL,
    ("item", "external_ids"): OBJ,
    ("item", "external_ids", "isrc"): STR,
    ("item", "external_urls"): OBJ,
    ("item", "external_urls", "spotify"): STR,
    ("item", "artists"): LIST,
    ("item", "artists", 0): OBJ,
    ("item", "artists", 0, "id"): STR,
    ("item", "artists", 0, "name"): STR,
    ("item", "artists", 0, "uri"): STR,
    ("item", "artists", 0, "external_urls"): OBJ,
    ("item", "artists", 0, "external_urls", "spotify"): STR,
    ("item", "album"): OBJ,
    ("item", "album", "id"): STR,
    ("item", "album", "name"): STR,
    ("item", "album", "album_type"): STR,
    ("item", "album", "release_date"): STR,
    ("item", "album", "release_date_precision"): STR,
    ("item", "album", "total_tracks"): INT,
    ("item", "album", "label"): STR,
    ("item", "album", "external_urls"): OBJ,
    ("item", "album", "external_urls", "spotify"): STR,
    ("item", "album", "images"): LIST,
    ("item", "album", "images", 0): OBJ,
    ("item", "album", "images", 0, "url"): STR,
    ("item", "album", "images", 0, "width"): INT,
    ("item", "album", "images", 0, "height"): INT,
    ("item", "album", "artists"): LIST,
    ("item", "album", "artists", 0): OBJ,
    ("item", "album", "artists", 0, "id"): STR,
    ("item", "album", "artists", 0, "name"): STR,
}
# Values of every other JSON type than the field's own (null is a separate kind).
SWAPS = {
    STR: {"number": 7, "boolean": True, "list": ["x"], "object": {"x": "y"}},
    INT: {"string": "7", "boolean": True, "float": 7.5, "list": [7], "object": {"n": 7}},
    BOOL: {"string": "false", "number": 0, "list": [False], "object": {"b": False}},
    LIST: {"string": "x", "number": 1, "boolean": False, "object": {"0": {}}},
    OBJ: {"string": "x", "number": 1, "boolean": True, "list": [{}]},
}
# Fields whose null is not "absent, allowed": what null means there.
NULL_MEANS = {
    ("item",): ("skipped", "null_item"),
    ("item", "id"): ("skipped", "local_file"),
    ("item", "name"): ("invalid", "invalid:name"),
    ("item", "duration_ms"): ("invalid", "invalid:duration_ms"),
    ("item", "artists", 0): ("invalid", "invalid:artists"),
    ("item", "album", "images", 0): ("invalid", "invalid:album.images"),
    ("item", "album", "artists", 0): ("invalid", "invalid:album.artists"),
}
LOOKUP_FIELDS = {
    ("albums", 0): OBJ,
    ("albums", 0, "id"): STR,
    ("albums", 0, "label"): STR,
    ("artists", 0): OBJ,
    ("artists", 0, "id"): STR,
    ("artists", 0, "genres"): LIST,
    ("artists", 0, "genres", 0): STR,
    ("artists", 0, "followers"): OBJ,
    ("artists", 0, "followers", "total"): INT,
    ("artists", 0, "popularity"): INT,
    ("artists", 0, "images"): LIST,
    ("artists", 0, "images", 0, "width"): INT,
}


def _item_2_invalid(path: tuple, value: object, reason: str | None = None, detail: str | None = None) -> Kind:
    return _one(
        _set(_playlist(), _item_path(path), value),
        entries=set(BUT_2),
        invalid={KEY: [(2, reason or _reason(path))]},
        detail=detail,
    )


def _kinds() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    base = _playlist()
    kinds["valid"] = _one(base, extra=_lookups_used)
    # Type swaps, field by field.
    for path, json_type in ITEM_FIELDS.items():
        for swap, value in SWAPS[json_type].items():
            name = ".".join(map(str, path))
            kinds[f"swap {name} -> {swap}"] = _item_2_invalid(path, value)
    for path, json_type in LOOKUP_FIELDS.items():
        for swap, value in SWAPS[json_type].items():
            lookup_path = ("lookups", *path)
            reason = "invalid:lookups." + ".".join(s for s in path if not isinstance(s, int) and s != 0)
            kinds[f"swap lookups.{'.'.join(map(str, path))} -> {swap}"] = _one(
                _set(base, lookup_path, value), invalid_lookups={KEY: [(1, reason)]}, extra=_lookup_dropped(path[0])
            )
    # Nulls: allowed where the field is optional (the column is null, the item kept).
    for path in ITEM_FIELDS:
        name = ".".join(map(str, path))
        meaning = NULL_MEANS.get(path)
        document = _set(base, _item_path(path), None)
        if meaning is None:
            kinds[f"null {name}"] = _one(document, extra=_null_column(path))
        elif meaning[0] == "invalid":
            kinds[f"null {name}"] = _one(document, entries=set(BUT_2), invalid={KEY: [(2, meaning[1])]})
        else:
            kinds[f"null {name}"] = _one(document, entries=set(BUT_2), extra=_skipped(meaning[1]))
    kinds.update(_number_kinds(base))
    kinds.update(_date_kinds(base))
    kinds.update(_odd_string_kinds(base))
    kinds.update(_nesting_kinds(base))
    kinds.update(_object_level_kinds(base))
    kinds.update(_shape_kinds(base))
    kinds.update(_snapshot_kinds(base))
    kinds.update(_duplicate_kinds(base))
    kinds.update(_non_song_kinds(base))
    return kinds


def _non_song_kinds(base: dict) -> dict[str, Kind]:
    """Items that are no song are skipped by their kind; fields only songs need are not checked."""
    episode = _set(_set(base, _item_path(("item", "type")), "episode"), _item_path(("item", "popularity")), "high")
    local = _set(_set(base, _item_path(("is_local",)), True), _item_path(("item", "album", "total_tracks")), "none")
    legacy_episode = _set(base, _item_path(("item", "episode")), True)
    chapter = _set(base, _item_path(("item", "type")), "chapter")
    return {
        "non-song: an episode with an odd popularity is an episode": _one(
            episode, entries=set(BUT_2), extra=_skipped("episode")
        ),
        "non-song: a local file with odd fields is a local file": _one(
            local, entries=set(BUT_2), extra=_skipped("local_file")
        ),
        "non-song: a track-shaped episode (episode true)": _one(
            legacy_episode, entries=set(BUT_2), extra=_skipped("episode")
        ),
        "non-song: a chapter is not a track": _one(chapter, entries=set(BUT_2), extra=_skipped("not_a_track")),
        "non-song: is_local true beats a track id": _one(
            _set(base, _item_path(("item", "is_local")), True), entries=set(BUT_2), extra=_skipped("local_file")
        ),
        "object: total beyond 64 bits": _one(
            _set(base, ("items", "total"), 10**30),
            entries=set(),
            bad={KEY: "page 'total' is a number 1e+30, expected an integer of at least 0"},
        ),
    }


def _lookups_used(result) -> None:
    assert _rows(result, "albums", "album_id")[ALBUMS[0]]["label"] == "Looked-up label"
    artist = _rows(result, "artists", "artist_id")[ARTISTS[0]]
    assert (artist["genres"], artist["followers"], artist["popularity"], artist["image_url"]) == (
        ["pop"],
        5,
        50,
        "https://i.scdn.co/a",
    )


def _lookup_dropped(kind: str):
    """The look-up left out: its columns stay null (the other look-up still applies)."""

    def check(result) -> None:
        if kind == "albums":
            assert _rows(result, "albums", "album_id")[ALBUMS[0]]["label"] is None
        else:
            assert {
                k: _rows(result, "artists", "artist_id")[ARTISTS[0]][k]
                for k in ("genres", "followers", "popularity", "image_url")
            } == dict.fromkeys(("genres", "followers", "popularity", "image_url"))

    return check


def _null_column(path: tuple):
    """What the rows say when the optional field at ``path`` of item 2 is null."""
    column = {
        ("added_at",): ("playlist_entries", "song_id", SONGS[1], "added_at", None),
        ("added_by",): ("playlist_entries", "song_id", SONGS[1], "added_by", None),
        ("added_by", "id"): ("playlist_entries", "song_id", SONGS[1], "added_by", None),
        ("item", "explicit"): ("songs", "song_id", SONGS[1], "explicit", None),
        ("item", "popularity"): ("songs", "song_id", SONGS[1], "popularity", None),
        ("item", "track_number"): ("songs", "song_id", SONGS[1], "track_number", None),
        ("item", "disc_number"): ("songs", "song_id", SONGS[1], "disc_number", None),
        ("item", "uri"): ("songs", "song_id", SONGS[1], "song_uri", None),
        ("item", "external_ids"): ("songs", "song_id", SONGS[1], "isrc", None),
        ("item", "external_ids", "isrc"): ("songs", "song_id", SONGS[1], "isrc", None),
        ("item", "external_urls"): ("songs", "song_id", SONGS[1], "song_url", None),
        ("item", "external_urls", "spotify"): ("songs", "song_id", SONGS[1], "song_url", None),
        ("item", "artists"): ("songs", "song_id", SONGS[1], "artist_ids", []),
        ("item", "artists", 0, "id"): ("songs", "song_id", SONGS[1], "artist_ids", []),
        ("item", "artists", 0, "name"): None,  # the album credits the same artist with a name
        ("item", "album"): ("songs", "song_id", SONGS[1], "album_id", None),
        ("item", "album", "id"): ("songs", "song_id", SONGS[1], "album_id", None),
        ("item", "album", "name"): ("albums", "album_id", ALBUMS[1], "album_name", None),
        ("item", "album", "album_type"): ("albums", "album_id", ALBUMS[1], "album_type", None),
        ("item", "album", "release_date"): ("albums", "album_id", ALBUMS[1], "release_date", None),
        ("item", "album", "release_date_precision"): (
            "albums",
            "album_id",
            ALBUMS[1],
            "release_date_precision",
            "day",
        ),  # inferred
        ("item", "album", "total_tracks"): ("albums", "album_id", ALBUMS[1], "total_tracks", None),
        ("item", "album", "label"): ("albums", "album_id", ALBUMS[1], "label", None),
        ("item", "album", "external_urls"): ("albums", "album_id", ALBUMS[1], "album_url", None),
        ("item", "album", "external_urls", "spotify"): ("albums", "album_id", ALBUMS[1], "album_url", None),
        ("item", "album", "images"): ("albums", "album_id", ALBUMS[1], "image_url", None),
        ("item", "album", "images", 0, "url"): (
            "albums",
            "album_id",
            ALBUMS[1],
            "image_url",
            None,
        ),  # the largest image
        ("item", "album", "images", 0, "width"): (
            "albums",
            "album_id",
            ALBUMS[1],
            "image_url",
            "https://i.scdn.co/image/1-64",
        ),
        ("item", "album", "images", 0, "height"): (
            "albums",
            "album_id",
            ALBUMS[1],
            "image_url",
            "https://i.scdn.co/image/1-64",
        ),
        ("item", "album", "artists"): ("albums", "album_id", ALBUMS[1], "artist_ids", []),
        ("item", "album", "artists", 0, "id"): ("albums", "album_id", ALBUMS[1], "artist_ids", []),
        ("item", "album", "artists", 0, "name"): None,  # the track credits the same artist with a name
    }.get(path)

    def check(result) -> None:
        if column is None:
            return
        table, key, value, name, expected = column
        assert _rows(result, table, key)[value][name] == expected

    return check


def _skipped(reason: str):
    def check(result) -> None:
        assert result.skipped_items[reason] == 1

    return check


def _rows(result, table: str, key: str) -> dict:
    return {row[key]: row for row in result.tables[table].to_pylist()}


def _number_kinds(base: dict) -> dict[str, Kind]:
    kinds = {}
    huge_or_negative = {
        "duration_ms": [-1, 2**63, 10**30],
        "popularity": [-1, 101, 2**40, 50.0],
        "track_number": [-1, 2**31],
        "disc_number": [-1, 2**31],
        "album.total_tracks": [-3, 2**31],
        "album.images.0.width": [-640, 2**40],
    }
    for name, values in huge_or_negative.items():
        path = ("item", *(int(s) if s.isdigit() else s for s in name.split(".")))
        for value in values:
            kinds[f"number {name} = {value!r}"] = _item_2_invalid(path, value)
    kinds["number duration_ms = 2**63 - 1 fits int64"] = _one(
        _set(base, _item_path(("item", "duration_ms")), 2**63 - 1),
        extra=_value("songs", "song_id", SONGS[1], "duration_ms", 2**63 - 1),
    )
    kinds["number track_number = 2**31 - 1 fits int32"] = _one(
        _set(base, _item_path(("item", "track_number")), 2**31 - 1),
        extra=_value("songs", "song_id", SONGS[1], "track_number", 2**31 - 1),
    )
    kinds["number popularity = 0"] = _one(
        _set(base, _item_path(("item", "popularity")), 0), extra=_value("songs", "song_id", SONGS[1], "popularity", 0)
    )
    kinds["number lookups followers = 2**63"] = _one(
        _set(base, ("lookups", "artists", 0, "followers", "total"), 2**63),
        invalid_lookups={KEY: [(1, "invalid:lookups.artists.followers.total")]},
        extra=_lookup_dropped("artists"),
    )
    kinds["number lookups popularity = -1"] = _one(
        _set(base, ("lookups", "artists", 0, "popularity"), -1),
        invalid_lookups={KEY: [(1, "invalid:lookups.artists.popularity")]},
        extra=_lookup_dropped("artists"),
    )
    kinds["number explicit = 1 (not a boolean)"] = _item_2_invalid(
        ("item", "explicit"), 1, detail="'explicit' is a number 1, expected a boolean"
    )
    return kinds


def _value(table: str, key: str, value: str, column: str, expected: object):
    def check(result) -> None:
        assert _rows(result, table, key)[value][column] == expected

    return check


def _date_kinds(base: dict) -> dict[str, Kind]:
    kinds = {}
    for value in ["2024-13-01T00:00:00Z", "yesterday", "", "2024-02-30T00:00:00Z", "1715760000"]:
        kinds[f"date added_at = {value!r}"] = _item_2_invalid(("added_at",), value)
    album = ("item", "album")
    for value, precision in [
        ("2021-02-30", "day"),
        ("2021-02", "day"),
        ("2021-13", "month"),
        ("21", "year"),
        ("2021-06-18", "year"),
        ("2021/06/18", None),
        ("0000-00-00", "day"),
    ]:
        document = _set(
            _set(base, _item_path((*album, "release_date")), value),
            _item_path((*album, "release_date_precision")),
            precision,
        )
        kinds[f"date release_date = {value!r} ({precision})"] = _one(
            document, entries=set(BUT_2), invalid={KEY: [(2, "invalid:album.release_date")]}
        )
    kinds["date release_date_precision = 'week'"] = _item_2_invalid((*album, "release_date_precision"), "week")
    year = _set(
        _set(base, _item_path((*album, "release_date")), "1987"), _item_path((*album, "release_date_precision")), "year"
    )
    kinds["date release_date = '1987' (year) -> January 1st"] = _one(
        year, extra=_value("albums", "album_id", ALBUMS[1], "release_date", datetime(1987, 1, 1).date())
    )
    unknown = _set(
        _set(base, _item_path((*album, "release_date")), "0000"), _item_path((*album, "release_date_precision")), "year"
    )
    kinds["date release_date = '0000' (Spotify's unknown year) -> null"] = _one(
        unknown, extra=_value("albums", "album_id", ALBUMS[1], "release_date", None)
    )
    kinds["date added_at with an offset is read in UTC"] = _one(
        _set(base, _item_path(("added_at",)), "2024-05-01T12:00:00+02:00"),
        extra=_value("playlist_entries", "song_id", SONGS[1], "added_at", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    )
    return kinds


def _odd_string_kinds(base: dict) -> dict[str, Kind]:
    kinds = {}
    for label, value in [
        ("empty", ""),
        ("unicode", "Ünïcødé0000000000000002"),
        ("very long", "0" * 100_000),
        ("with a slash", "../../etc/passwd"),
        ("NUL", "\u0000"),
    ]:
        kinds[f"odd id ({label})"] = _item_2_invalid(("item", "id"), value)
        kinds[f"odd album id ({label})"] = _item_2_invalid(("item", "album", "id"), value)
        kinds[f"odd artist id ({label})"] = _item_2_invalid(("item", "artists", 0, "id"), value)
    long_name = "ñ" * 100_000
    kinds["odd name: 100,000 characters"] = _one(
        _set(base, _item_path(("item", "name")), long_name),
        extra=_value("songs", "song_id", SONGS[1], "song_name", long_name),
    )
    mixed = '名前 \u202eRTL\u202c 🎵 \u0000 "quoted" \\'
    kinds["odd name: unicode, RTL, emoji, NUL"] = _one(
        _set(base, _item_path(("item", "name")), mixed), extra=_value("songs", "song_id", SONGS[1], "song_name", mixed)
    )
    kinds["odd name: empty string"] = _one(
        _set(base, _item_path(("item", "name")), ""), extra=_value("songs", "song_id", SONGS[1], "song_name", "")
    )
    kinds["odd added_by id: empty string (charts) -> null"] = _one(
        _set(base, _item_path(("added_by", "id")), ""),
        extra=_value("playlist_entries", "song_id", SONGS[1], "added_by", None),
    )
    odd_keys = copy.deepcopy(base)
    for target in (odd_keys, odd_keys["items"]["items"][1], odd_keys["items"]["items"][1]["item"]):
        target.update({"": 1, "ü🎵": {"x": [1]}, "k" * 10_000: None, "name ": "not the name"})
    kinds["odd keys: empty, unicode, 10,000 characters (ignored)"] = _one(odd_keys)
    return kinds


def _nesting_kinds(base: dict) -> dict[str, Kind]:
    kinds = {}
    item = copy.deepcopy(base["items"]["items"][1])
    kinds["nesting: item wrapped in a list"] = _item_2_invalid((), [item], reason="invalid:item")
    kinds["nesting: track nested in a track"] = _item_2_invalid(
        ("item",), {"item": item["item"]}, reason="invalid:id", detail="track has no 'id'"
    )
    kinds["nesting: album in a list"] = _item_2_invalid(("item", "album"), [item["item"]["album"]])
    kinds["nesting: artists as one object"] = _item_2_invalid(("item", "artists"), item["item"]["artists"][0])
    kinds["nesting: artist in a list in the list"] = _item_2_invalid(
        ("item", "artists", 0), [item["item"]["artists"][0]], reason="invalid:artists"
    )
    kinds["nesting: isrc as an object"] = _item_2_invalid(("item", "external_ids", "isrc"), {"value": "USXX"})
    every = _playlist([[it] for it in base["items"]["items"]])
    kinds["nesting: every item wrapped in a list"] = _one(
        every, entries=set(), invalid={KEY: [(1, "invalid:item"), (2, "invalid:item"), (3, "invalid:item")]}
    )
    deep = _set(base, ("items", "items"), {"items": base["items"]["items"]})
    kinds["nesting: a page inside the page"] = _one(
        deep,
        entries=set(),
        bad={
            KEY: "the playlist's 'items' paging object has no 'items' list (keys [href, items, limit, next, offset, total]; a simplified playlist without its items?)"
        },
    )
    return kinds


def _object_level_kinds(base: dict) -> dict[str, Kind]:
    cases = {
        "offset 1e18": (
            ("items", "offset"),
            1e18,
            "page 'offset' is a number 1e+18, expected an integer from 0 to 2,147,483,644 (2**31 - 1 minus the item count)",
        ),
        "offset overflowing int32 positions": (
            ("items", "offset"),
            2**31 - 3,
            "page 'offset' is a number 2147483645, expected an integer from 0 to 2,147,483,644 (2**31 - 1 minus the item count)",
        ),
        "offset negative": (
            ("items", "offset"),
            -1,
            "page 'offset' is a number -1, expected an integer from 0 to 2,147,483,644 (2**31 - 1 minus the item count)",
        ),
        "offset a string": (
            ("items", "offset"),
            "0",
            "page 'offset' is a string '0', expected an integer from 0 to 2,147,483,644 (2**31 - 1 minus the item count)",
        ),
        "total a string": (("items", "total"), "3", "page 'total' is a string '3', expected an integer of at least 0"),
        "playlist id a number": (("id",), 42, "the playlist's 'id' is a number 42, expected a string"),
        "playlist name an object": (
            ("name",),
            {"en": "x"},
            "the playlist's 'name' is an object with keys [en], expected a string",
        ),
        "snapshot_id a list": (
            ("snapshot_id",),
            ["s"],
            "the playlist's 'snapshot_id' is a list of 1 element, expected a string",
        ),
        "extracted_at not a timestamp": (
            ("extracted_at",),
            "this morning",
            "'extracted_at' is a string 'this morning', expected an ISO 8601 timestamp",
        ),
        "lookups a list": (("lookups",), [], "the playlist's 'lookups' is a list of 0 elements, expected an object"),
        "lookups.albums an object": (
            ("lookups", "albums"),
            {},
            "the playlist's 'lookups.albums' is an object with keys [], expected a list",
        ),
    }
    kinds = {
        f"object: {name}": _one(_set(base, path, value), entries=set(), bad={KEY: reason})
        for name, (path, value, reason) in cases.items()
    }
    kinds["object: offset 2**31 - 4 still fits"] = _one(
        _set(base, ("items", "offset"), 2**31 - 4), entries={(PLAYLIST, 2**31 - 4 + n + 1, SONGS[n]) for n in range(3)}
    )
    kinds["object: not JSON"] = Kind(
        objects=[(KEY, _body(base)[:-7], None)],
        entries=set(),
        bad={
            KEY: f"not valid JSON: unexpected end of data at byte {len(_body(base)) - 7} (the object ends there: truncated? it is {len(_body(base)) - 7} bytes)"
        },
    )
    return kinds


def _shape_kinds(base: dict) -> dict[str, Kind]:
    items = base["items"]["items"]
    legacy_items = [{**{k: v for k, v in it.items() if k != "item"}, "track": it["item"]} for it in items]
    bare_tracks = {k: v for k, v in base.items() if k != "items"} | {"tracks": legacy_items}
    bare_items = {k: v for k, v in base.items() if k != "items"} | {"items": items}
    return {
        "shape: playlist object whose tracks is a bare list": _one(
            bare_tracks, extra=_names("Hostile", "AAAAsnapshot1")
        ),
        "shape: playlist object whose items is a bare list": _one(bare_items, extra=_names("Hostile", "AAAAsnapshot1")),
        "shape: one-element list holding a bare-list playlist": _one(
            [bare_tracks], extra=_names("Hostile", "AAAAsnapshot1")
        ),
        "shape: bare list of items (id from the key)": _one(legacy_items, extra=_names(None, None)),
        "shape: legacy playlist object (tracks page)": _one(
            {k: v for k, v in base.items() if k != "items"}
            | {"tracks": {"items": legacy_items, "offset": 0, "total": 3}}
        ),
    }


def _names(name: str | None, snapshot_id: str | None):
    def check(result) -> None:
        entries = result.tables["playlist_entries"]
        assert set(zip(entries["playlist_name"].to_pylist(), entries["snapshot_id"].to_pylist())) == {
            (name, snapshot_id)
        }

    return check


def _snapshot_kinds(base: dict) -> dict[str, Kind]:
    landed = f"raw_playlist/dt={DT}/{PLAYLIST}-landed.json"
    later = _playlist([_item(0), _item(2)], extracted_at="2024-05-15T07:00:00Z")  # item 2 left the playlist
    t1, t2 = datetime(2024, 5, 15, 8, tzinfo=UTC), datetime(2024, 5, 15, 9, tzinfo=UTC)
    no_extracted = {k: v for k, v in base.items() if k != "extracted_at"}
    page_2 = {
        "href": f"https://api.spotify.com/v1/playlists/{PLAYLIST}/items",
        "items": [_item(1)],
        "offset": 1,
        "total": 3,
    }
    page_1 = {
        "href": f"https://api.spotify.com/v1/playlists/{PLAYLIST}/items",
        "items": [_item(0)],
        "offset": 0,
        "total": 3,
    }
    return {
        "snapshots: the later extracted_at is kept": Kind(
            objects=[(KEY, _body(base), None), (landed, _body(later), None)],
            entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 2, SONGS[2])},
            superseded={
                KEY: Superseded(landed, "extracted_at 2024-05-15T07:00:00Z is later than 2024-05-15T06:00:00+00:00")
            },
        ),
        "snapshots: our extraction beats a landed copy without extracted_at": Kind(
            objects=[(landed, _body(no_extracted | {"items": later["items"]}), t2), (KEY, _body(base), t1)],
            superseded={landed: Superseded(KEY, "it has extracted_at 2024-05-15T06:00:00+00:00; this object has none")},
        ),
        "snapshots: same extracted_at, the greater snapshot_id": Kind(
            objects=[
                (KEY, _body(base), None),
                (landed, _body(_playlist([_item(0), _item(2)], snapshot_id="AAAAsnapshot2")), None),
            ],
            entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 2, SONGS[2])},
            superseded={
                KEY: Superseded(landed, "same extracted_at; snapshot_id 'AAAAsnapshot2' sorts after 'AAAAsnapshot1'")
            },
        ),
        "snapshots: two landed copies, the later object time": Kind(
            objects=[(KEY, _body(no_extracted), t2), (landed, _body(no_extracted | {"items": later["items"]}), t1)],
            superseded={
                landed: Superseded(
                    KEY,
                    "same extracted_at and snapshot_id; stored later (2024-05-15T09:00:00+00:00 after 2024-05-15T08:00:00+00:00)",
                )
            },
        ),
        "snapshots: identical copies, the last key": Kind(
            objects=[(KEY, _body(no_extracted), None), (landed, _body(no_extracted), None)],
            superseded={
                landed: Superseded(KEY, "same extracted_at, snapshot_id and time: the last key in order is kept")
            },
        ),
        "snapshots: a bad copy stays bad, the good one is used": Kind(
            objects=[(KEY, _body(base), None), (landed, b'{"id": ', None)],
            bad={
                landed: "not valid JSON: unexpected end of data at byte 7 (the object ends there: truncated? it is 7 bytes)"
            },
        ),
        "snapshots: two pages of one snapshot are both kept": Kind(
            objects=[(KEY, _body(page_1), None), (landed, _body(page_2), None)],
            entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 2, SONGS[1])},
        ),
        "snapshots: other playlists of the day are untouched": Kind(
            objects=[
                (KEY, _body(base), None),
                (
                    f"raw_playlist/dt={DT}/0Other0000000000000001.json",
                    _body(_playlist(id="0Other0000000000000001")),
                    None,
                ),
            ],
            entries=ALL_ENTRIES | {("0Other0000000000000001", n + 1, SONGS[n]) for n in range(3)},
        ),
    }


def _duplicate_kinds(base: dict) -> dict[str, Kind]:
    items = base["items"]["items"]
    twice = _playlist([items[0], items[1], copy.deepcopy(items[1])])
    bad_second = _playlist([items[0], items[1], _set(items[1], ("item", "explicit"), "yes")])
    bad_first = _playlist(
        [items[0], _set(items[1], ("item", "explicit"), "yes"), _set(items[1], ("item", "name"), "the valid copy")]
    )
    return {
        "duplicates: a song twice gives two entries, one song": _one(
            twice, entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 2, SONGS[1]), (PLAYLIST, 3, SONGS[1])}
        ),
        "duplicates: the invalid second copy is left out": _one(
            bad_second,
            entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 2, SONGS[1])},
            invalid={KEY: [(3, "invalid:explicit")]},
        ),
        "duplicates: the valid second copy makes the song row": _one(
            bad_first,
            entries={(PLAYLIST, 1, SONGS[0]), (PLAYLIST, 3, SONGS[1])},
            invalid={KEY: [(2, "invalid:explicit")]},
            extra=_value("songs", "song_id", SONGS[1], "song_name", "the valid copy"),
        ),
        "duplicates: 1,000 copies of one item": _one(
            _playlist([items[0]] * 1000), entries={(PLAYLIST, n, SONGS[0]) for n in range(1, 1001)}
        ),
    }


KINDS = _kinds()


def _expected_ids(entries: set) -> tuple[set, set, set]:
    """songs, albums and artists ids of the songs in ``entries`` (each song has its own album and artist)."""
    songs = {song for _, _, song in entries}
    indexes = {SONGS.index(song) for song in songs}
    return songs, {ALBUMS[n] for n in indexes}, {ARTISTS[n] for n in indexes}


def test_there_are_at_least_40_kinds():
    assert len(KINDS) >= 40
    assert sum(name.startswith("swap ") for name in KINDS) >= len(ITEM_FIELDS) * 4


@pytest.mark.parametrize("name", list(KINDS))
def test_hostile_raw_object(name):
    kind = KINDS[name]
    bodies = [bytearray(body) for _, body, _ in kind.objects]
    objects = [
        RawObject(dt=DT, key=key, body=body, last_modified=modified)
        for (key, _, modified), body in zip(kind.objects, bodies)
    ]

    result = build_partition_tables(objects, [DT])

    entries = result.tables["playlist_entries"]
    assert (
        set(zip(entries["playlist_id"].to_pylist(), entries["position"].to_pylist(), entries["song_id"].to_pylist()))
        == kind.entries
    )
    assert entries.num_rows == len(kind.entries)
    songs, albums, artists = _expected_ids(kind.entries)
    if name in ("null item.album", "null item.album.id"):  # song 2 without its album
        albums.discard(ALBUMS[1])
    assert set(result.tables["songs"]["song_id"].to_pylist()) == songs
    assert set(result.tables["albums"]["album_id"].to_pylist()) == albums
    assert set(result.tables["artists"]["artist_id"].to_pylist()) == artists
    assert {key: [(p, r) for p, r, _ in found] for key, found in result.invalid_items.items()} == kind.invalid
    invalid_count = sum(len(found) for found in kind.invalid.values())
    assert (
        sum(count for reason, count in result.skipped_items.items() if reason.startswith("invalid:")) == invalid_count
    )
    assert {key: [(p, r) for p, r, _ in found] for key, found in result.invalid_lookups.items()} == kind.invalid_lookups
    assert result.bad_objects == kind.bad
    assert result.superseded == kind.superseded
    if kind.detail is not None:
        assert next(iter(result.invalid_items.values()))[0].detail == kind.detail
    if kind.extra is not None:
        kind.extra(result)
    # The raw bytes are unchanged.
    assert [bytes(body) for body in bodies] == [body for _, body, _ in kind.objects]
    _assert_fast_and_full_paths_agree(kind)


def _assert_fast_and_full_paths_agree(kind: Kind) -> None:
    """Every readable object gives the same tables, skipped and invalid items on both paths."""
    for key, body, _ in kind.objects:
        try:
            full = parse_raw_object(body, key)
        except RawObjectError as error:
            with pytest.raises(RawObjectError) as fast_error:
                parse_raw_object(body, key, all_fields=False)
            assert fast_error.value.reason == error.reason
            continue
        fast_tables, full_tables = build_tables([parse_raw_object(body, key, all_fields=False)]), build_tables([full])
        assert fast_tables.invalid_items == full_tables.invalid_items
        assert fast_tables.invalid_lookups == full_tables.invalid_lookups
        assert fast_tables.skipped_items == full_tables.skipped_items
        for table, built in fast_tables.as_dict().items():
            assert built.equals(full_tables.as_dict()[table]), table


def test_every_reason_is_invalid_and_a_field_name():
    reasons = {r for kind in KINDS.values() for found in kind.invalid.values() for _, r in found}
    assert all(r.startswith("invalid:") and " " not in r for r in reasons)
    assert set(SKIP_REASONS).isdisjoint(reasons)
    assert len(reasons) >= 40  # a distinct reason for (almost) every field the tables read
    # "invalid:" and a dotted field path, nothing else (no value, no space).
    assert [r for r in reasons if not re.fullmatch(r"invalid:[a-z_]+(\.[a-z_]+)*", r)] == []


def test_object_time_from_the_lake_decides_between_two_landed_copies(tmp_path):
    """read_raw_objects fills RawObject.last_modified (here the files' mtimes), which ranks
    two copies of one playlist that have neither extracted_at nor different snapshot_ids."""
    lake = Lake(str(tmp_path / "lake"))
    no_extracted = {k: v for k, v in _playlist().items() if k != "extracted_at"}
    older, newer = f"raw_playlist/dt={DT}/{PLAYLIST}.json", f"raw_playlist/dt={DT}/{PLAYLIST}-copy.json"
    lake.write_bytes(older, _body(no_extracted))
    lake.write_bytes(newer, _body(no_extracted | {"items": {"items": [_item(2)], "offset": 0, "total": 1}}))
    os.utime(tmp_path / "lake" / older, (1_715_760_000, 1_715_760_000))  # 2024-05-15T08:00:00Z
    os.utime(tmp_path / "lake" / newer, (1_715_763_600, 1_715_763_600))  # an hour later

    objects = read_raw_objects(lake, DT)

    assert {o.key: o.last_modified for o in objects} == {
        older: datetime(2024, 5, 15, 8, tzinfo=UTC),
        newer: datetime(2024, 5, 15, 9, tzinfo=UTC),
    }
    result = build_partition_tables(objects, [DT])
    assert result.superseded == {
        older: Superseded(
            newer,
            "same extracted_at and snapshot_id; stored later (2024-05-15T09:00:00+00:00 after 2024-05-15T08:00:00+00:00)",
        )
    }
    assert result.tables["playlist_entries"].select(["position", "song_id"]).to_pylist() == [
        {"position": 1, "song_id": SONGS[2]}
    ]
    assert result.playlists == [(DT, PLAYLIST, 1)] and result.objects_by_dt == {DT: 1}
