"""How many requests an extraction costs, through the real spotipy client against the
local Spotify API test server serving a real 317-item recording.

A playlist of n items takes exactly 1 + ceil(n / 50) requests: GET /playlists/{id}
(metadata) and one GET /playlists/{id}/items page of 50 per 50 items. By default no
album, artist or track look-ups are made: songs, albums and artists are built from the
simplified album and artist objects inside each playlist item's track. (Look-ups are
opt-in, SPOTIFY_LOOKUPS; their request counts are tested in ``test_spotify/test_lookups``.)
"""

import math

import dagster as dg
import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.settings import Settings
from spotify_assets.spotify.extract import PAGE_SIZE, extract_playlist
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.expected import is_song, item_object
from spotify_assets_tests.support.fixtures.spotify_api import client_for
from spotify_assets_tests.support.samples import HUY_HNG, sample_path
from spotify_assets_tests.support.spotify_api_server import SpotifyTestServer

RECORDING = HUY_HNG  # 317 items (pages concatenated), 1 local file
PLAYLIST_ID = "7csrlizJurpn6y0xenTwzu"
LOOKUP_PREFIXES = ("/v1/albums", "/v1/artists", "/v1/tracks")


def recorded_items() -> list[dict]:
    items = parse_raw_object(sample_path(RECORDING).read_bytes(), RECORDING).items
    assert len(items) == 317
    return items


@pytest.mark.parametrize("dialect", ["2026", "legacy"])
def test_a_317_item_playlist_takes_one_metadata_request_and_seven_pages(dialect):
    items = recorded_items()
    with SpotifyTestServer(dialect=dialect) as server:
        server.add_playlist(PLAYLIST_ID, items, name="huy-hng", snapshot_id="snap-1")
        client = client_for(server)
        document = extract_playlist(client, PLAYLIST_ID)
        requests = server.api_requests()
        assert not server.errors

    assert len(requests) == math.ceil(317 / PAGE_SIZE) + 1 == 8
    assert [r.path for r in requests] == [f"/v1/playlists/{PLAYLIST_ID}"] + [f"/v1/playlists/{PLAYLIST_ID}/items"] * 7
    assert [int(r.query["offset"]) for r in requests[1:]] == [0, 50, 100, 150, 200, 250, 300]
    assert {r.query["limit"] for r in requests[1:]} == {"50"}
    assert all(r.status == 200 for r in requests)
    assert client.request_count == 8
    assert document["extraction"] == {"source": "spotify-web-api", "api_requests": 8}
    stored = document["items"]["items"]
    assert [item_object(i)["id"] if item_object(i) else None for i in stored] == [
        item_object(i)["id"] if item_object(i) else None for i in items
    ]


def test_extraction_and_tables_make_no_album_or_artist_lookups(spotify_env, lake_dir, monkeypatch):
    server = spotify_env
    items = recorded_items()
    server.add_playlist(PLAYLIST_ID, items, name="huy-hng", snapshot_id="snap-1")
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", PLAYLIST_ID)
    today = utc_today()

    result = dg.materialize(
        [raw_playlist, spotify_tables], partition_key=today, resources=build_resources(Settings.from_env())
    )

    assert result.success
    paths = [r.path for r in server.api_requests()]
    assert len(paths) == 8
    assert not [p for p in paths if p.startswith(LOOKUP_PREFIXES)]
    assert result.asset_materializations_for_node("raw_playlist")[0].metadata["api_requests"].value == 8

    # Every album and artist row holds the values of the simplified objects in the tracks.
    songs = [item_object(i) for i in items if is_song(i)]
    albums = {t["album"]["id"]: t["album"] for t in reversed(songs)}  # first occurrence wins
    album_rows = pq.read_table(lake_dir / "albums" / f"dt={today}" / "data.parquet").to_pylist()
    assert {r["album_id"] for r in album_rows} == set(albums)
    for row in album_rows:
        album = albums[row["album_id"]]
        assert (row["album_name"], row["album_type"], row["total_tracks"]) == (
            album["name"],
            album["album_type"],
            album["total_tracks"],
        )
        assert row["artist_ids"] == [a["id"] for a in album["artists"]]
    artists = {a["id"]: a["name"] for t in songs for a in t["artists"] + t["album"]["artists"]}
    artist_rows = pq.read_table(lake_dir / "artists" / f"dt={today}" / "data.parquet").to_pylist()
    assert {r["artist_id"]: r["artist_name"] for r in artist_rows} == artists
