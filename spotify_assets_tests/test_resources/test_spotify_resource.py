"""SpotifyResource and its client against the local Spotify API test server (real HTTP,
real spotipy), on a real recorded 317-item playlist."""

import json
import os

import pytest

from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.spotify.errors import SpotifyPlaylistAccessError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.offline_sample import OfflineSampleReader
from spotify_assets_tests.support.fixtures.spotify_api import resource_for
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.spotify_api_server import SpotifyTestServer

PLAYLIST_ID = "7csrlizJurpn6y0xenTwzu"


def _recorded_items() -> list[dict]:
    return json.loads(sample_path(f"huy-hng/{PLAYLIST_ID}.json").read_text())


def _resource(server: SpotifyTestServer, **overrides) -> SpotifyResource:
    return resource_for(server, **overrides)


@pytest.mark.parametrize("dialect", ["2026", "legacy"])
def test_extracts_every_item_with_one_request_per_page_of_50(dialect, tmp_path, monkeypatch):
    items = _recorded_items()
    monkeypatch.chdir(tmp_path)  # spotipy would write ./.cache here if it cached tokens on disk
    with SpotifyTestServer(dialect=dialect) as server:
        server.add_playlist(PLAYLIST_ID, items, name="Recorded", snapshot_id="snap-1")
        reader = _resource(server).get_reader()
        document = extract_playlist(reader, PLAYLIST_ID)
        api = server.api_requests()

    assert [r.path for r in api] == [f"/v1/playlists/{PLAYLIST_ID}"] + [f"/v1/playlists/{PLAYLIST_ID}/items"] * 7
    assert [r.query.get("offset") for r in api[1:]] == [str(o) for o in range(0, 317, 50)]
    assert {r.query.get("limit") for r in api[1:]} == {"50"}
    assert document["extraction"] == {"source": "spotify-web-api", "api_requests": 8}
    assert document["id"] == PLAYLIST_ID and document["snapshot_id"] == "snap-1" and document["name"] == "Recorded"
    stored = document["items"]["items"]
    assert len(stored) == 317 and document["items"]["total"] == 317
    key = "item" if dialect == "2026" else "track"
    # Same items in the same order as recorded (the local file keeps its null id).
    assert [(i[key] or {}).get("id") for i in stored] == [(i["track"] or {}).get("id") for i in items]
    assert [i["added_at"] for i in stored] == [i["added_at"] for i in items]
    assert document["extracted_at"].endswith("Z")
    assert os.listdir(tmp_path) == []  # tokens stayed in memory


def test_refresh_token_flow_uses_the_refresh_grant():
    with SpotifyTestServer() as server:
        server.add_playlist(PLAYLIST_ID, _recorded_items()[:3])
        extract_playlist(_resource(server).get_reader(), PLAYLIST_ID)
        token_requests = [r for r in server.requests if r.path == "/api/token"]
    assert len(token_requests) == 1
    assert server.issued_access_tokens  # the API calls carried the refreshed token
    assert {r.authorization for r in server.api_requests()} == {f"Bearer {server.issued_access_tokens[0]}"}


@pytest.mark.parametrize(
    ("status", "playlist_id", "expected"),
    [
        (
            403,
            "5uBXXKqLD4wqhzJnQ3CgdV",
            "playlist 5uBXXKqLD4wqhzJnQ3CgdV: 403 Forbidden: since 2026 apps in development mode read the items only of playlists that the authorising user owns or collaborates on",
        ),
        (
            404,
            "37i9dQZEVXbMDoHDwVN2tF",
            "playlist 37i9dQZEVXbMDoHDwVN2tF: 404 Not Found: the playlist does not exist, or it is one of Spotify's editorial playlists",
        ),
    ],
)
def test_restricted_playlists_name_the_playlist_and_the_restriction(status, playlist_id, expected):
    with SpotifyTestServer() as server:
        server.add_playlist(playlist_id, _recorded_items()[:3])
        if status == 403:
            server.restrict_playlist(playlist_id, 403)
        with pytest.raises(SpotifyPlaylistAccessError) as raised:
            extract_playlist(_resource(server).get_reader(), playlist_id)
    assert str(raised.value).startswith(expected)
    assert len(server.api_requests()) == 1  # no retry of a permanent refusal


def test_without_credentials_the_reader_is_the_offline_sample():
    resource = SpotifyResource()
    assert resource.is_offline
    reader = resource.get_reader()
    assert isinstance(reader, OfflineSampleReader)
    document = extract_playlist(reader, reader.playlist_id)
    assert document["extraction"]["source"] == "synthetic-sample"
    assert document["name"] == "spotify_assets synthetic sample"
    assert document["items"]["total"] == len(document["items"]["items"]) > 0


def test_playlist_ids_accept_ids_uris_and_urls():
    resource = SpotifyResource(
        playlist_ids=" 7csrlizJurpn6y0xenTwzu, spotify:playlist:0lSHxL8DnuRYEhk2cmKSDH ,https://open.spotify.com/playlist/37i9dQZEVXbMDoHDwVN2tF?si=abc"
    )
    assert resource.configured_playlist_ids() == [
        "7csrlizJurpn6y0xenTwzu",
        "0lSHxL8DnuRYEhk2cmKSDH",
        "37i9dQZEVXbMDoHDwVN2tF",
    ]
