"""The synthetic playlist shipped in the package (the offline default): its shape and tables."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from importlib.resources import files

import pytest

from spotify_assets.spotify.daily_tables import build_tables
from spotify_assets.spotify.ids import validate_spotify_id
from spotify_assets.spotify.raw_parsing import parse_raw_object

SAMPLE = files("spotify_assets") / "sample_data" / "synthetic_playlist.json"
# Fields the February 2026 development mode removed: the sample must not carry them.
REMOVED_FIELDS = {"popularity", "available_markets", "linked_from", "label", "genres", "publisher"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def tables():
    return build_tables([parse_raw_object(SAMPLE.read_bytes(), "synthetic_playlist.json")])


def _objects_everywhere(value) -> Iterator[dict]:
    """Every JSON object in ``value``, nested ones included."""
    if isinstance(value, dict):
        yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for inner in children:
        yield from _objects_everywhere(inner)


def _keys_everywhere(value) -> set[str]:
    return {key for obj in _objects_everywhere(value) for key in obj}


def _ids_everywhere(value) -> list[str]:
    return [o["id"] for o in _objects_everywhere(value) if o.get("id") is not None and o.get("type") != "user"]


def test_sample_is_labelled_synthetic(raw):
    assert raw["name"] == "spotify_assets synthetic sample"
    assert raw["description"].startswith("SYNTHETIC sample written for spotify_assets; not real Spotify data.")


def test_sample_has_the_2026_playlist_shape(raw):
    assert raw["type"] == "playlist" and "tracks" not in raw
    page = raw["items"]
    assert (page["next"], page["offset"], page["limit"], page["total"]) == (None, 0, 50, len(page["items"]))
    assert len(page["items"]) == 12
    assert all("item" in item and "track" not in item for item in page["items"])
    assert not REMOVED_FIELDS & _keys_everywhere(raw)


def test_sample_ids_are_base62_with_22_characters(raw):
    ids = _ids_everywhere(raw)
    assert raw["id"] == "0SynthPlaylist00000001"
    assert len(ids) > 20
    assert all(validate_spotify_id(i, "sample") and len(i) == 22 for i in ids)


def test_sample_gives_one_skipped_item_of_each_kind(tables):
    assert tables.skipped_items == {"null_item": 1, "local_file": 1, "episode": 1, "not_a_track": 0}
    assert tables.playlist_entries["position"].to_pylist() == [1, 2, 3, 5, 8, 9, 10, 11, 12]


def test_sample_song_listed_twice_gives_two_entries_and_one_song(tables):
    entries = tables.playlist_entries["song_id"].to_pylist()
    assert entries.count("0SynthTrack00000000001") == 2
    assert tables.songs.num_rows == 8 == len(set(entries))


def test_two_artist_track_takes_the_first_track_artist(raw, tables):
    raw_track = next(i["item"] for i in raw["items"]["items"] if i["item"] and i["item"]["name"] == "Copper Tide")
    assert [a["name"] for a in raw_track["artists"]] == ["Marlo Fenwick", "Velvet Quarry"]
    assert raw_track["album"]["artists"][0]["name"] == "Lowtide Collective"

    song = next(row for row in tables.songs.to_pylist() if row["song_name"] == "Copper Tide")

    assert song["artist_id"] == raw_track["artists"][0]["id"] == "0SynthArtist0000000002"
    assert song["artist_ids"] == ["0SynthArtist0000000002", "0SynthArtist0000000001"]
    assert song["album_id"] == "0SynthAlbum00000000002"


def test_album_only_artist_is_in_the_artists_table(tables):
    assert "Lowtide Collective" in tables.artists["artist_name"].to_pylist()
    assert "Unknown Porch Band" not in tables.artists["artist_name"].to_pylist()  # the local file's artist
    assert tables.artists.num_rows == 6


def test_release_dates_of_every_precision_are_normalised(tables):
    albums = {row["album_name"]: row for row in tables.albums.to_pylist()}
    assert len(albums) == 5  # 8 songs, two albums carry two songs each
    assert (
        albums["Harbor Lights Vol. 3"]["release_date"],
        albums["Harbor Lights Vol. 3"]["release_date_precision"],
    ) == (datetime.date(1998, 1, 1), "year")
    assert (albums["Glasshouse"]["release_date"], albums["Glasshouse"]["release_date_precision"]) == (
        datetime.date(2009, 11, 1),
        "month",
    )
    assert (albums["Ninevale"]["release_date"], albums["Ninevale"]["release_date_precision"]) == (
        datetime.date(2021, 6, 18),
        "day",
    )


def test_added_at_values_are_distinct(raw, tables):
    raw_added = [item["added_at"] for item in raw["items"]["items"]]
    assert len(set(raw_added)) == len(raw_added)
    added = tables.playlist_entries["added_at"].to_pylist()
    assert added[0] == datetime.datetime(2024, 3, 1, 9, 15, tzinfo=datetime.timezone.utc)
    assert len(set(added)) == len(added)
