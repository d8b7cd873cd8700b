"""The synthetic playlists shipped in the package: the fixed edge-case sample (its shape and
tables) and the evolving playlist the offline source plays for any day (its facts)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from importlib.resources import files

import pytest

from spotify_assets.spotify.daily_tables import build_tables
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.ids import validate_spotify_id
from spotify_assets.spotify.offline_sample import OfflineSampleReader, is_synthetic_object, synthetic_playlist
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


# The evolving playlist the offline source plays (synthetic_playlist(day)).
EVOLVING_DAYS = [datetime.date(2026, 11, 2) + datetime.timedelta(days=i) for i in range(30)]  # Mon..Tue


@pytest.fixture(scope="module")
def evolving() -> dict[datetime.date, dict]:
    return {day: synthetic_playlist(day) for day in EVOLVING_DAYS}


def _songs(playlist: dict) -> list[str]:
    return [item["item"]["id"] for item in playlist["items"]["items"]]


def test_same_date_gives_the_same_bytes_and_any_date_plays():
    day = datetime.date(2026, 5, 17)
    assert json.dumps(synthetic_playlist(day), sort_keys=True) == json.dumps(synthetic_playlist(day), sort_keys=True)
    for far in (datetime.date(1, 1, 1), datetime.date(1999, 12, 31), datetime.date(9999, 12, 31)):
        assert synthetic_playlist(far)["items"]["items"], far


def test_the_evolving_playlist_is_labelled_and_its_ids_are_synthetic(evolving):
    playlist = evolving[EVOLVING_DAYS[0]]
    assert playlist["name"] == "spotify_assets synthetic sample" and playlist["id"] == "0SynthPlaylist00000001"
    assert playlist["description"].startswith("SYNTHETIC sample written for spotify_assets; not real Spotify data.")
    ids = _ids_everywhere(playlist)
    assert all(validate_spotify_id(i, "sample") and len(i) == 22 and i.startswith("0Synth") for i in ids)
    assert not REMOVED_FIELDS & _keys_everywhere(playlist)


def test_more_than_one_page_every_day_and_consecutive_edits_differ_by_a_few_entries(evolving):
    for day in EVOLVING_DAYS:
        assert 50 < len(_songs(evolving[day])) < 80, day  # a page boundary (50) is crossed
    for before, after in zip(EVOLVING_DAYS, EVOLVING_DAYS[1:]):
        entered = set(_songs(evolving[after])) - set(_songs(evolving[before]))
        left = set(_songs(evolving[before])) - set(_songs(evolving[after]))
        if after.weekday() == 6:  # Sunday: no edit, the same list and snapshot_id as Saturday
            assert evolving[after] == evolving[before]
            continue
        assert 2 <= len(entered) <= 3 and len(left) <= 8, (after, len(entered), len(left))
        assert evolving[after]["snapshot_id"] != evolving[before]["snapshot_id"]


def test_over_30_days_songs_enter_climb_fall_and_leave(evolving):
    positions: dict[str, list[int | None]] = {}
    for index, day in enumerate(EVOLVING_DAYS):
        for position, song in enumerate(_songs(evolving[day]), start=1):
            positions.setdefault(song, [None] * len(EVOLVING_DAYS))[index] = position
    first, last = set(_songs(evolving[EVOLVING_DAYS[0]])), set(_songs(evolving[EVOLVING_DAYS[-1]]))
    assert len(set(positions) - first) >= 40 and len(set(positions) - last) >= 40  # entered / left
    rose_then_fell = [
        song
        for song, series in positions.items()
        if (seen := [p for p in series if p is not None])
        and min(seen) < seen[0]
        and min(seen) < seen[-1]
        and seen.index(min(seen)) not in (0, len(seen) - 1)
    ]
    assert len(rose_then_fell) >= 10


def test_added_at_is_the_day_the_song_entered(evolving):
    first_seen: dict[str, datetime.date] = {}
    for day in EVOLVING_DAYS:
        for item in evolving[day]["items"]["items"]:
            first_seen.setdefault(item["item"]["id"], day)
            added = datetime.datetime.strptime(item["added_at"], "%Y-%m-%dT%H:%M:%SZ").date()
            assert added <= day
    for day in EVOLVING_DAYS[1:]:
        for item in evolving[day]["items"]["items"]:
            if first_seen[item["item"]["id"]] == day:  # entered that day
                added = datetime.datetime.strptime(item["added_at"], "%Y-%m-%dT%H:%M:%SZ").date()
                assert added == day, item["item"]["id"]


def test_artists_hold_several_songs_and_the_tables_hold_them(evolving):
    playlist = evolving[EVOLVING_DAYS[-1]]
    tables = build_tables([parse_raw_object(json.dumps(playlist).encode(), "day.json")])
    per_artist = tables.songs.group_by("artist_id").aggregate([("song_id", "count")])
    assert max(per_artist["song_id_count"].to_pylist()) >= 4
    assert sum(count >= 2 for count in per_artist["song_id_count"].to_pylist()) >= 5
    assert tables.playlist_entries.num_rows == len(_songs(playlist))
    assert any(len(ids) == 2 for ids in tables.songs["artist_ids"].to_pylist())  # featured artists


def test_the_offline_reader_pages_the_day_and_marks_its_source():
    day = datetime.date(2026, 11, 20)
    reader = OfflineSampleReader(day)
    document = extract_playlist(reader, reader.playlist_id, page_size=50)
    assert reader.request_count == 3  # metadata + two pages of 50
    assert document["items"]["items"] == synthetic_playlist(day)["items"]["items"]
    assert document["extraction"]["source"] == "synthetic-sample"
    assert is_synthetic_object(json.dumps(document).encode())
    assert not is_synthetic_object(SAMPLE.read_bytes())  # the fixed sample as a file: no extraction record
    assert not is_synthetic_object(b'{"extraction": "synthetic-sample"}') and not is_synthetic_object(b"\xff")
