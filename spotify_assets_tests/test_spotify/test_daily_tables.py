"""The four tables built from recorded playlists, checked against values read from the raw
JSON in the test itself (plain loops over stdlib ``json``, not the code under test)."""

from __future__ import annotations

import datetime
import json

import pyarrow as pa
import pytest

from spotify_assets.spotify.daily_tables import SKIP_REASONS, build_tables, item_track
from spotify_assets.spotify.field_checks import InvalidField, parse_release_date
from spotify_assets.spotify.raw_parsing import RawPlaylist, parse_raw_object
from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets_tests.support.samples import (
    HUY_HNG,
    LAYMONAGE,
    NB_CONVERTED,
    PLAYLIST_RECORDINGS,
    RAHMAH,
    TOP50_SNAPSHOTS,
    ZMB3,
    sample_path,
)

UTC = datetime.timezone.utc
DANIEL = list(TOP50_SNAPSHOTS.values())
ALL_PLAYLIST_FILES = list(PLAYLIST_RECORDINGS)


def _load(relative: str) -> tuple[list[dict], RawPlaylist]:
    """(the raw items as read by stdlib json, the RawPlaylist parsed by the code under test)."""
    body = sample_path(relative).read_bytes()
    raw = json.loads(body)
    if isinstance(raw, list) and len(raw) == 1 and "tracks" in raw[0]:
        raw = raw[0]
    if isinstance(raw, dict) and "tracks" in raw:
        raw = raw["tracks"]  # a paging object, or (LAYMONAGE) the list of items itself
    return (raw if isinstance(raw, list) else raw["items"]), parse_raw_object(body, relative)


def _raw_track(item: dict) -> dict | None:
    return item["item"] if item.get("item") is not None else item.get("track")


def _raw_is_song(item: dict) -> bool:
    track = _raw_track(item)
    return (
        track is not None
        and not item.get("is_local")
        and not track.get("is_local")
        and track.get("id") is not None
        and track.get("type") == "track"
    )


def _rows(table: pa.Table, key: str) -> dict[str, dict]:
    """``{key value: row dict}``."""
    return {row[key]: row for row in table.to_pylist()}


# -- huy-hng: 317 items, one local file --------------------------------------------


def test_huy_hng_songs_are_the_non_local_tracks_and_the_local_file_is_skipped():
    items, playlist = _load(HUY_HNG)
    song_ids = {_raw_track(item)["id"] for item in items if _raw_is_song(item)}
    local = [i for i, item in enumerate(items) if item["is_local"]]

    tables = build_tables([playlist])

    assert len(items) == 317 and len(local) == 1
    assert tables.songs.num_rows == len(song_ids) == 316
    assert set(tables.songs["song_id"].to_pylist()) == song_ids
    assert tables.skipped_items == {"null_item": 0, "local_file": 1, "episode": 0, "not_a_track": 0}
    # positions count the skipped local file: it leaves a gap
    positions = tables.playlist_entries["position"].to_pylist()
    assert positions == [i + 1 for i, item in enumerate(items) if _raw_is_song(item)]
    assert local[0] + 1 not in positions


def test_huy_hng_song_row_takes_the_first_track_artist_not_the_album_artist():
    items, playlist = _load(HUY_HNG)
    raw = next(_raw_track(item) for item in items if _raw_track(item)["id"] == "1aAcI7uEWQypfVjDOlMzE9")
    assert raw["artists"][0]["id"] != raw["album"]["artists"][0]["id"]  # the recorded fact under test

    row = _rows(build_tables([playlist]).songs, "song_id")["1aAcI7uEWQypfVjDOlMzE9"]

    assert row["song_name"] == "City of Stars" == raw["name"]
    assert row["duration_ms"] == 125000 == raw["duration_ms"]
    assert row["album_id"] == "4TRNQLJ6czMKjiMNSijW9h" == raw["album"]["id"]
    assert row["artist_id"] == raw["artists"][0]["id"]
    assert row["artist_ids"] == [artist["id"] for artist in raw["artists"]]
    assert row["song_url"] == raw["external_urls"]["spotify"]
    assert row["song_uri"] == raw["uri"]
    assert row["isrc"] == raw["external_ids"]["isrc"]
    assert (row["explicit"], row["popularity"]) == (raw["explicit"], raw["popularity"])
    assert (row["track_number"], row["disc_number"]) == (raw["track_number"], raw["disc_number"])


def test_huy_hng_entries_have_added_at_in_utc_and_added_by():
    items, playlist = _load(HUY_HNG)
    songs = [item for item in items if _raw_is_song(item)]

    entries = build_tables([playlist]).playlist_entries.to_pylist()

    assert [e["song_id"] for e in entries] == [_raw_track(item)["id"] for item in songs]
    assert [e["added_at"] for e in entries] == [
        datetime.datetime.strptime(item["added_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for item in songs
    ]
    assert [e["added_by"] for e in entries] == [item["added_by"]["id"] for item in songs]
    assert {(e["playlist_id"], e["playlist_name"], e["snapshot_id"]) for e in entries} == {
        ("7csrlizJurpn6y0xenTwzu", None, None)
    }


# -- nb_converted: first page of 707, items[35] null, year precision ---------------


def test_nb_converted_null_item_is_skipped_and_still_counts_for_positions():
    items, playlist = _load(NB_CONVERTED)
    assert items[35]["track"] is None

    tables = build_tables([playlist])
    by_position = {e["position"]: e["song_id"] for e in tables.playlist_entries.to_pylist()}

    assert tables.skipped_items == {"null_item": 1, "local_file": 0, "episode": 0, "not_a_track": 0}
    assert 36 not in by_position
    assert by_position[37] == items[36]["track"]["id"] == "6b8Be6ljOzmkOmFslEb23P"
    assert by_position[100] == items[99]["track"]["id"]
    assert tables.playlist_entries.num_rows == 99


def test_nb_converted_year_precision_albums_start_on_january_1st():
    items, playlist = _load(NB_CONVERTED)
    year_albums = {
        _raw_track(item)["album"]["id"]: _raw_track(item)["album"]["release_date"]
        for item in items
        if _raw_is_song(item) and _raw_track(item)["album"]["release_date_precision"] == "year"
    }
    assert len(year_albums) == 3

    albums = _rows(build_tables([playlist]).albums, "album_id")

    for album_id, year in year_albums.items():
        assert albums[album_id]["release_date"] == datetime.date(int(year), 1, 1)
        assert albums[album_id]["release_date_precision"] == "year"
    assert albums["5FXIqS1XqbpfOKNoi5VUwS"]["release_date"] == datetime.date(2015, 1, 1)


def test_nb_converted_album_rows_match_the_raw_album_objects():
    items, playlist = _load(NB_CONVERTED)
    raw_albums = {}
    for item in items:
        if _raw_is_song(item):
            raw_albums.setdefault(_raw_track(item)["album"]["id"], _raw_track(item)["album"])

    albums = _rows(build_tables([playlist]).albums, "album_id")

    assert set(albums) == set(raw_albums)
    for album_id, raw in raw_albums.items():
        row = albums[album_id]
        assert row["album_name"] == raw["name"]
        assert row["album_type"] == raw["album_type"]
        assert row["total_tracks"] == raw["total_tracks"]
        assert row["album_url"] == raw["external_urls"]["spotify"]
        assert row["artist_ids"] == [artist["id"] for artist in raw["artists"]]
        assert row["image_url"] == max(raw["images"], key=lambda image: image["width"] * image["height"])["url"]
        assert row["label"] is None  # the simplified album object has no label
        if raw["release_date_precision"] == "day":
            assert row["release_date"] == datetime.date.fromisoformat(raw["release_date"])


def test_artists_include_album_artists_credited_on_no_track():
    items, playlist = _load(NB_CONVERTED)
    track_artists, album_artists = set(), set()
    for item in items:
        if _raw_is_song(item):
            track_artists |= {a["id"] for a in _raw_track(item)["artists"]}
            album_artists |= {a["id"] for a in _raw_track(item)["album"]["artists"]}
    album_only = album_artists - track_artists
    assert len(album_only) == 6

    artists = _rows(build_tables([playlist]).artists, "artist_id")

    assert set(artists) == track_artists | album_artists
    assert album_only <= set(artists)


# -- laymonage: a playlist object whose "tracks" is a bare list of items -------------


def test_laymonage_bare_list_playlist_object_gives_its_songs_at_their_positions():
    items, playlist = _load(LAYMONAGE)
    raw = json.loads(sample_path(LAYMONAGE).read_bytes())
    assert isinstance(raw["tracks"], list) and len(items) == 16  # the recorded shape under test

    tables = build_tables([playlist])

    songs = [(n + 1, _raw_track(item)["id"]) for n, item in enumerate(items) if _raw_is_song(item)]
    assert len(songs) == 14
    entries = tables.playlist_entries.to_pylist()
    assert [(e["position"], e["song_id"]) for e in entries] == songs
    assert {(e["playlist_id"], e["playlist_name"], e["snapshot_id"], e["added_by"]) for e in entries} == {
        ("5At7uMb57j9ZTF18Bphaig", "Regional at Best", raw["snapshot_id"], "laymonage")
    }
    assert tables.skipped_items == {"null_item": 0, "local_file": 2, "episode": 0, "not_a_track": 0}
    assert tables.invalid_items == {}
    assert tables.songs["song_name"].to_pylist()[:2] == ["Guns For Hands", "Holding On To You"]
    assert tables.albums.to_pylist() == [
        {
            "album_id": "2pvaY5uQvitGuztVNfsRR8",
            "album_name": "Regional At Best",
            "album_type": "album",
            "release_date": datetime.date(2011, 7, 8),
            "release_date_precision": "day",
            "total_tracks": 14,
            "album_url": "https://open.spotify.com/album/2pvaY5uQvitGuztVNfsRR8",
            "artist_ids": ["3YQKmKGau1PzlVlkL1iodx"],
            "image_url": "https://i.scdn.co/image/ab67616d0000b2739e09415e1975a4fae4389f1d",
            "label": None,
        }
    ]
    assert tables.artists["artist_id"].to_pylist() == ["3YQKmKGau1PzlVlkL1iodx"]


# -- episodes, chart playlists -----------------------------------------------------


def test_zmb3_two_episodes_are_skipped_and_two_songs_kept():
    items, playlist = _load(ZMB3)
    tables = build_tables([playlist])
    assert tables.skipped_items == {"null_item": 0, "local_file": 0, "episode": 2, "not_a_track": 0}
    assert tables.songs["song_id"].to_pylist() == [_raw_track(i)["id"] for i in items if i["track"]["type"] == "track"]
    assert tables.playlist_entries["position"].to_pylist() == [3, 4]


def test_joostlek_playlist_3_has_one_episode():
    _, playlist = _load("joostlek-python-spotify/playlist_3.json")
    tables = build_tables([playlist])
    assert tables.skipped_items["episode"] == 1
    assert tables.songs["song_name"].to_pylist() == ["Nothing To Lose", "Borrowed Time"]
    assert set(tables.playlist_entries["playlist_name"].to_pylist()) == {"Pain"}


def test_rahmah95_chart_has_50_entries_with_one_added_at_and_no_added_by():
    items, playlist = _load(RAHMAH)
    entries = build_tables([playlist]).playlist_entries
    assert entries.num_rows == 50
    assert set(entries["added_at"].to_pylist()) == {datetime.datetime(2023, 10, 27, 8, 45, 25, tzinfo=UTC)}
    assert {item["added_by"]["id"] for item in items} == {""}  # chart: empty user id
    assert entries["added_by"].null_count == 50
    assert entries["position"].to_pylist() == list(range(1, 51))


# -- every file: schemas, uniqueness, de-duplication -------------------------------


@pytest.mark.parametrize("relative", ALL_PLAYLIST_FILES)
def test_tables_are_exactly_in_their_schemas_with_unique_ids(relative):
    _, playlist = _load(relative)
    tables = build_tables([playlist])
    for name, table in tables.as_dict().items():
        assert table.schema.equals(TABLE_SCHEMAS[name], check_metadata=True), name
    for name, key in (("songs", "song_id"), ("albums", "album_id"), ("artists", "artist_id")):
        values = tables.as_dict()[name][key].to_pylist()
        assert len(values) == len(set(values)) and None not in values, name
    assert set(tables.skipped_items) == set(SKIP_REASONS)


def test_several_playlists_are_deduplicated_across_playlists():
    loaded = [_load(relative) for relative in DANIEL]
    song_ids = {_raw_track(i)["id"] for items, _ in loaded for i in items if _raw_is_song(i)}
    album_ids = {_raw_track(i)["album"]["id"] for items, _ in loaded for i in items if _raw_is_song(i)}

    tables = build_tables(playlist for _, playlist in loaded)

    assert tables.songs.num_rows == len(song_ids) < 4 * 50  # the four chart days overlap
    assert tables.albums.num_rows == len(album_ids)
    assert tables.playlist_entries.num_rows == 200
    assert tables.playlist_entries["position"].to_pylist() == list(range(1, 51)) * 4


# -- built in the test: duplicates, 2026 items, odd values -------------------------


def _item(track_id: str | None, added_at: str | None = "2024-01-01T00:00:00Z", **track_fields) -> dict:
    track = {
        "id": track_id,
        "name": f"song {track_id}",
        "duration_ms": 1000,
        "type": "track",
        "album": {"id": "0Album0000000000000001", "name": "first seen", "artists": []},
        "artists": [{"id": "0Artist000000000000001", "name": "first seen"}],
    }
    track.update(track_fields)
    return {"added_at": added_at, "is_local": False, "item": track}


def _playlist(items: list[dict], playlist_id: str = "0Built0000000000000001", first_position: int = 1) -> RawPlaylist:
    return RawPlaylist("k.json", playlist_id, "built", "snap", items, first_position, None, None)


def test_song_twice_gives_two_entries_and_first_occurrence_wins():
    items = [
        _item("0Song00000000000000001"),
        _item("0Song00000000000000001", name="renamed", album={"id": "0Album0000000000000001", "name": "later"}),
    ]
    tables = build_tables(
        [_playlist(items), _playlist([_item("0Song00000000000000001")], "0Built0000000000000002", 11)]
    )
    assert tables.songs["song_name"].to_pylist() == ["song 0Song00000000000000001"]
    assert tables.albums["album_name"].to_pylist() == ["first seen"]
    assert tables.playlist_entries.select(["playlist_id", "position"]).to_pylist() == [
        {"playlist_id": "0Built0000000000000001", "position": 1},
        {"playlist_id": "0Built0000000000000001", "position": 2},
        {"playlist_id": "0Built0000000000000002", "position": 11},
    ]


def test_item_track_prefers_item_over_track():
    new, old = {"id": "new"}, {"id": "old"}
    assert item_track({"item": new, "track": old}) is new
    assert item_track({"item": None, "track": old}) is old
    assert item_track({"track": old}) is old
    assert item_track({"added_at": "x"}) is None


def test_skip_reasons_for_every_kind_of_item():
    items = [
        {"added_at": "2024-01-01T00:00:00Z", "track": None},
        {"added_at": "2024-01-01T00:00:00Z"},
        {"is_local": True, "track": {"id": None, "name": "local", "type": "track", "duration_ms": 1}},
        {"is_local": False, "track": {"id": None, "name": "local", "type": "track", "duration_ms": 1}},
        {"item": {"id": "0Episode00000000000001", "type": "episode"}},
        {"item": {"id": "0Episode00000000000002", "type": "track", "episode": True, "name": "e", "duration_ms": 1}},
        {"item": {"id": "0Chapter00000000000001", "type": "chapter"}},
        _item("0Song00000000000000001"),
    ]
    tables = build_tables([_playlist(items)])
    assert tables.skipped_items == {"null_item": 2, "local_file": 2, "episode": 2, "not_a_track": 1}
    assert tables.playlist_entries["position"].to_pylist() == [8]


def test_optional_fields_may_be_absent_or_null():
    items = [
        {"item": {"id": "0Song00000000000000001", "name": "bare", "duration_ms": 5, "type": "track"}},
        _item("0Song00000000000000002", added_at=None, popularity=None, explicit=None, album={"id": None}),
    ]
    tables = build_tables([_playlist(items)])
    songs = tables.songs.to_pylist()
    assert songs[0] == {
        "song_id": "0Song00000000000000001",
        "song_name": "bare",
        "duration_ms": 5,
        "album_id": None,
        "artist_id": None,
        "artist_ids": [],
        "song_url": None,
        "song_uri": None,
        "isrc": None,
        "explicit": None,
        "popularity": None,
        "track_number": None,
        "disc_number": None,
    }
    assert (songs[1]["popularity"], songs[1]["explicit"], songs[1]["album_id"]) == (None, None, None)
    assert tables.albums.num_rows == 0  # album without id: no album row
    assert tables.playlist_entries["added_at"].to_pylist() == [None, None]
    assert tables.invalid_items == {}


def test_odd_values_leave_their_item_out_instead_of_becoming_null():
    items = [
        _item("0Song00000000000000001", added_at="yesterday"),
        _item("0Song00000000000000002", popularity="high"),
        _item("0Song00000000000000003", added_at=20240101),
        _item("0Song00000000000000004", explicit="yes"),
        _item("0Song00000000000000005"),
    ]
    tables = build_tables([_playlist(items)])
    assert tables.songs["song_id"].to_pylist() == ["0Song00000000000000005"]
    assert tables.playlist_entries["position"].to_pylist() == [5]
    assert tables.invalid_items == {
        "k.json": [
            (1, "invalid:added_at", "'added_at' is a string 'yesterday', expected an ISO 8601 timestamp"),
            (2, "invalid:popularity", "'popularity' is a string 'high', expected an integer from 0 to 100"),
            (3, "invalid:added_at", "'added_at' is a number 20240101, expected an ISO 8601 timestamp string"),
            (4, "invalid:explicit", "'explicit' is a string 'yes', expected a boolean"),
        ]
    }
    assert tables.skipped_items == {
        **dict.fromkeys(SKIP_REASONS, 0),
        "invalid:added_at": 2,
        "invalid:popularity": 1,
        "invalid:explicit": 1,
    }


def test_added_at_keeps_milliseconds_and_offsets_in_utc():
    items = [
        _item("0Song00000000000000001", added_at="2020-07-14T00:18:48Z"),
        _item("0Song00000000000000002", added_at="2020-07-14T00:18:48.123Z"),
        _item("0Song00000000000000003", added_at="2020-07-14T02:18:48+02:00"),
    ]
    added = build_tables([_playlist(items)]).playlist_entries["added_at"]
    assert added.type == pa.timestamp("ms", tz="UTC")
    assert added.to_pylist() == [
        datetime.datetime(2020, 7, 14, 0, 18, 48, tzinfo=UTC),
        datetime.datetime(2020, 7, 14, 0, 18, 48, 123000, tzinfo=UTC),
        datetime.datetime(2020, 7, 14, 0, 18, 48, tzinfo=UTC),
    ]


def test_broken_item_in_a_hand_made_raw_playlist_is_listed_with_its_position():
    tables = build_tables([_playlist([{"item": {"id": "x", "duration_ms": 1, "type": "track"}}], first_position=12)])
    assert tables.invalid_items == {"k.json": [(12, "invalid:name", "track has no 'name'")]}
    assert tables.playlist_entries.num_rows == 0


def test_no_playlists_give_empty_tables_in_their_schemas():
    tables = build_tables([])
    assert {name: (t.num_rows, t.schema) for name, t in tables.as_dict().items()} == {
        name: (0, schema) for name, schema in TABLE_SCHEMAS.items()
    }
    assert tables.skipped_items == dict.fromkeys(SKIP_REASONS, 0)


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        ("2015", "year", datetime.date(2015, 1, 1)),
        ("2009-11", "month", datetime.date(2009, 11, 1)),
        ("2021-06-18", "day", datetime.date(2021, 6, 18)),
        ("2015", None, datetime.date(2015, 1, 1)),
        ("2009-11", None, datetime.date(2009, 11, 1)),
        ("2021-06-18", None, datetime.date(2021, 6, 18)),
        ("0000", "year", None),  # Spotify's unknown year
        ("0000", None, None),
        (None, None, None),
        (None, "day", None),
    ],
)
def test_normalise_release_date(value, precision, expected):
    assert parse_release_date(value, precision)[0] == expected


@pytest.mark.parametrize(
    ("value", "precision", "reason"),
    [
        ("2015", "day", "invalid:album.release_date"),  # not a date of its precision
        ("2021-02-30", "day", "invalid:album.release_date"),
        ("2021-02-30", None, "invalid:album.release_date"),
        ("2009-13", "month", "invalid:album.release_date"),
        ("2009-1", None, "invalid:album.release_date"),
        ("", "day", "invalid:album.release_date"),
        ("soon", None, "invalid:album.release_date"),
        ("2021", "decade", "invalid:album.release_date_precision"),
        (2021, "year", "invalid:album.release_date"),
    ],
)
def test_release_date_that_is_not_a_date_of_its_precision_is_refused(value, precision, reason):
    with pytest.raises(InvalidField) as caught:
        parse_release_date(value, precision)
    assert caught.value.reason == reason
