"""The Spotify Web API test server, driven by the real spotipy client over HTTP."""

import functools
import os
import time

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth, SpotifyOauthError

from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.samples import HUY_HNG, sample_path
from spotify_assets_tests.support.spotify_api_server import CannedResponse, SpotifyTestServer

RECORDING = HUY_HNG  # 317 items of a personal playlist, one local track
RECORDED_ID = "7csrlizJurpn6y0xenTwzu"
EDITORIAL_ID = "37i9dQZEVXbMDoHDwVN2tF"  # Top 50 - Global
SYNTHETIC_ID = "3cEYpjA9oz9GiPac4AsH4n"


@functools.cache
def _recorded_items() -> list[dict]:
    return parse_raw_object(sample_path(RECORDING).read_bytes(), RECORDING).items


def _synthetic_items(n: int = 3) -> list[dict]:
    """``n`` recorded-shape items (``track`` key) with every field 2026 removes."""

    def artist(i: int) -> dict:
        return {
            "id": f"artist{i}",
            "name": f"Artist {i}",
            "type": "artist",
            "uri": f"spotify:artist:artist{i}",
            "followers": {"href": None, "total": 10},
            "genres": ["pop"],
            "popularity": 50,
        }

    return [
        {
            "added_at": f"2026-01-0{i + 1}T00:00:00Z",
            "added_by": {"id": "test-user", "type": "user"},
            "is_local": False,
            "track": {
                "id": f"track{i}",
                "name": f"Song {i}",
                "type": "track",
                "uri": f"spotify:track:track{i}",
                "duration_ms": 180000,
                "popularity": 70,
                "available_markets": ["DE"],
                "linked_from": {"id": "x"},
                "artists": [artist(i)],
                "album": {
                    "id": f"album{i}",
                    "name": f"Album {i}",
                    "type": "album",
                    "label": "L",
                    "popularity": 60,
                    "available_markets": ["DE"],
                    "release_date": "2020",
                    "release_date_precision": "year",
                    "artists": [artist(i)],
                },
            },
        }
        for i in range(n)
    ]


def _spotipy(server: SpotifyTestServer, **kwargs) -> spotipy.Spotify:
    """The real spotipy client (client credentials), redirected to ``server``."""
    auth = SpotifyClientCredentials(server.client_id, server.client_secret, cache_handler=MemoryCacheHandler())
    auth.OAUTH_TOKEN_URL = server.token_url
    sp = spotipy.Spotify(auth_manager=auth, retries=0, **kwargs)
    sp.prefix = server.api_base_url
    return sp


def _all_items(sp: spotipy.Spotify, page: dict) -> tuple[list[dict], int]:
    items, pages = list(page["items"]), 1
    while page["next"]:
        page = sp.next(page)
        items += page["items"]
        pages += 1
    return items, pages


def test_recorded_playlist_reads_in_seven_pages_of_items(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(RECORDED_ID, _recorded_items(), name="Recorded")
    sp = _spotipy(server)

    items, pages = _all_items(sp, sp.playlist_items(RECORDED_ID, limit=50))

    assert (len(items), pages) == (317, 7)
    assert all("item" in it and "track" not in it for it in items)
    assert [it["item"]["name"] for it in items] == [it["track"]["name"] for it in _recorded_items()]
    local = [it for it in items if it["is_local"]]
    assert len(local) == 1 and local[0]["item"]["id"] is None
    # One token request, then 7 pages, each with the issued bearer token.
    assert [r.path for r in server.requests] == ["/api/token"] + [f"/v1/playlists/{RECORDED_ID}/items"] * 7
    assert [int(r.query["offset"]) for r in server.api_requests()] == list(range(0, 317, 50))
    assert {r.authorization for r in server.api_requests()} == {f"Bearer {server.issued_access_tokens[0]}"}
    assert {r.status for r in server.requests} == {200}


def test_removed_fields_absent_in_2026_present_in_legacy():
    for dialect, present in (("2026", False), ("legacy", True)):
        with SpotifyTestServer(dialect=dialect) as server:
            server.add_playlist(RECORDED_ID, _recorded_items())
            server.add_playlist(SYNTHETIC_ID, _synthetic_items())
            sp = _spotipy(server)
            key = "item" if dialect == "2026" else "track"
            recorded = sp.playlist_items(RECORDED_ID, limit=50)["items"][0][key]
            synthetic = sp.playlist_items(SYNTHETIC_ID, limit=50)["items"][0][key]

            assert ("popularity" in recorded, "available_markets" in recorded) == (present, present), dialect
            assert ("available_markets" in recorded["album"]) == present
            for field in ("popularity", "available_markets", "linked_from"):
                assert (field in synthetic) == present, (dialect, field)
            for field in ("label", "popularity", "available_markets"):
                assert (field in synthetic["album"]) == present, (dialect, field)
            for artist in synthetic["artists"] + synthetic["album"]["artists"] + [sp.artist("artist0")]:
                for field in ("followers", "popularity", "genres"):
                    assert (field in artist) == present, (dialect, field)
            assert ("label" in sp.album("album0")) == present
            assert sp.track("track0")["name"] == "Song 0"


def test_playlist_object_2026_carries_items_and_fields_can_leave_them_out(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(RECORDED_ID, _recorded_items(), name="Recorded", snapshot_id="snap-1", description="d")
    sp = _spotipy(server)

    playlist = sp.playlist(RECORDED_ID)
    assert "tracks" not in playlist
    assert (playlist["name"], playlist["snapshot_id"], playlist["description"]) == ("Recorded", "snap-1", "d")
    page = playlist["items"]
    assert (len(page["items"]), page["total"], page["offset"]) == (100, 317, 0)
    assert page["next"].startswith(f"{server.api_base_url}playlists/{RECORDED_ID}/items?offset=100")
    assert "item" in page["items"][0]

    metadata = sp.playlist(RECORDED_ID, fields="id,name,snapshot_id,owner(id)")
    assert set(metadata) == {"id", "name", "snapshot_id", "owner"}
    assert set(sp.playlist(RECORDED_ID, fields="snapshot_id,items.total")) == {"snapshot_id", "items"}


def test_tracks_endpoint_403_in_2026_served_in_legacy():
    with SpotifyTestServer() as server:
        server.add_playlist(SYNTHETIC_ID, _synthetic_items())
        with pytest.raises(spotipy.SpotifyException) as err:
            _spotipy(server)._get(f"playlists/{SYNTHETIC_ID}/tracks")
        assert err.value.http_status == 403
        assert "Forbidden" in err.value.msg

    with SpotifyTestServer(dialect="legacy") as server:
        server.add_playlist(RECORDED_ID, _recorded_items())
        sp = _spotipy(server)
        items, pages = _all_items(sp, sp._get(f"playlists/{RECORDED_ID}/tracks", limit=100))
        assert (len(items), pages) == (317, 4)
        assert all("track" in it and "item" not in it for it in items)
        playlist = sp.playlist(RECORDED_ID)
        assert "items" not in playlist and playlist["tracks"]["total"] == 317
        assert server.api_requests()[0].path == f"/v1/playlists/{RECORDED_ID}/tracks"


def test_batch_endpoints_403_in_2026_work_in_legacy():
    for dialect in ("2026", "legacy"):
        with SpotifyTestServer(dialect=dialect) as server:
            server.add_playlist(SYNTHETIC_ID, _synthetic_items())
            sp = _spotipy(server)
            calls = {"albums": sp.albums, "artists": sp.artists, "tracks": sp.tracks}
            for kind, call in calls.items():
                if dialect == "2026":
                    with pytest.raises(spotipy.SpotifyException) as err:
                        call([f"{kind[:-1]}0", f"{kind[:-1]}1"])
                    assert err.value.http_status == 403
                else:
                    found = call([f"{kind[:-1]}0", "unknown"])[kind]
                    assert found[0]["id"] == f"{kind[:-1]}0" and found[1] is None


def test_items_limit_above_50_is_invalid_in_2026(spotify_api_server):
    spotify_api_server.add_playlist(SYNTHETIC_ID, _synthetic_items())
    with pytest.raises(spotipy.SpotifyException) as err:
        _spotipy(spotify_api_server).playlist_items(SYNTHETIC_ID, limit=51)
    assert (err.value.http_status, "Invalid limit" in err.value.msg) == (400, True)


def test_editorial_playlist_404_in_2026_even_when_added():
    for dialect, status in (("2026", 404), ("legacy", 200)):
        with SpotifyTestServer(dialect=dialect) as server:
            server.add_playlist(EDITORIAL_ID, _synthetic_items())
            sp = _spotipy(server)
            try:
                sp.playlist_items(EDITORIAL_ID, limit=50)
                answered = 200
            except spotipy.SpotifyException as err:
                answered = err.http_status
            assert answered == status, dialect


def test_restricted_and_unknown_playlists(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(SYNTHETIC_ID, _synthetic_items())
    server.restrict_playlist(SYNTHETIC_ID, 403)
    sp = _spotipy(server)
    for call in (lambda: sp.playlist(SYNTHETIC_ID), lambda: sp.playlist_items(SYNTHETIC_ID)):
        with pytest.raises(spotipy.SpotifyException) as err:
            call()
        assert err.value.http_status == 403
    with pytest.raises(spotipy.SpotifyException) as err:
        sp.playlist("0000000000000000000000")
    assert err.value.http_status == 404
    assert [r.status for r in server.api_requests()] == [403, 403, 404]


def test_expired_access_token_answers_401_until_a_new_one(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(SYNTHETIC_ID, _synthetic_items())
    sp = _spotipy(server)
    sp.playlist_items(SYNTHETIC_ID)
    server.expire_access_tokens()

    with pytest.raises(spotipy.SpotifyException) as err:
        sp.playlist_items(SYNTHETIC_ID)  # spotipy still trusts its cached token (expires_in 3600)
    assert err.value.http_status == 401
    assert "The access token expired" in err.value.msg

    fresh = _spotipy(server)
    assert len(fresh.playlist_items(SYNTHETIC_ID)["items"]) == 3
    assert len(set(server.issued_access_tokens)) == 2  # never reused
    unauthenticated = requests.get(f"{server.api_base_url}playlists/{SYNTHETIC_ID}", timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"error": {"status": 401, "message": "No token provided"}}


def test_injected_429_carries_retry_after_then_normal_answers_resume(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(SYNTHETIC_ID, _synthetic_items())
    body = {"error": {"status": 429, "message": "API rate limit exceeded", "reason": "QUOTA_EXCEEDED"}}
    server.inject(r"/items$", CannedResponse(429, body, {"Retry-After": "2"}))
    # 429 out of urllib3's retry list, so spotipy raises with the response's headers.
    sp = _spotipy(server, status_forcelist=(500, 502, 503, 504))

    with pytest.raises(spotipy.SpotifyException) as err:
        sp.playlist_items(SYNTHETIC_ID)
    assert (err.value.http_status, err.value.reason) == (429, "QUOTA_EXCEEDED")
    assert err.value.headers["Retry-After"] == "2"
    assert len(sp.playlist_items(SYNTHETIC_ID)["items"]) == 3
    assert [r.status for r in server.api_requests()] == [429, 200]


def test_injected_token_answer_and_delay_provokes_client_timeout(spotify_api_server):
    server = spotify_api_server
    server.add_playlist(SYNTHETIC_ID, _synthetic_items())
    server.inject("/api/token", CannedResponse(503, "upstream down"))
    server.inject(r"/items$", CannedResponse(200, {"items": []}, delay_s=5))
    assert requests.post(server.token_url, timeout=5).status_code == 503
    sp = _spotipy(server, requests_timeout=0.3)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.RequestException):
        sp.playlist_items(SYNTHETIC_ID)
    assert time.monotonic() - started < 2


def test_refresh_token_grant_and_revocation(spotify_api_server):
    server = spotify_api_server
    oauth = SpotifyOAuth(
        server.client_id,
        server.client_secret,
        "http://127.0.0.1:8888/callback",
        cache_handler=MemoryCacheHandler(),
        open_browser=False,
    )
    oauth.OAUTH_TOKEN_URL = server.token_url

    token = oauth.refresh_access_token(server.refresh_token)
    assert token["access_token"] == server.issued_access_tokens[-1]
    raw = requests.post(
        server.token_url,
        auth=(server.client_id, server.client_secret),
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": server.refresh_token},
    ).json()
    assert set(raw) == {"access_token", "token_type", "expires_in", "scope"}  # spotipy rewrites "scope"
    assert (raw["token_type"], raw["expires_in"]) == ("Bearer", 3600)
    with pytest.raises(SpotifyOauthError) as err:
        oauth.refresh_access_token("some-other-token")
    assert err.value.error == "invalid_grant"

    server.revoke_refresh_token()
    with pytest.raises(SpotifyOauthError) as err:
        oauth.refresh_access_token(server.refresh_token)
    assert (err.value.error, err.value.error_description) == ("invalid_grant", "Refresh token revoked")

    wrong = SpotifyClientCredentials(server.client_id, "wrong-secret", cache_handler=MemoryCacheHandler())
    wrong.OAUTH_TOKEN_URL = server.token_url
    with pytest.raises(SpotifyOauthError) as err:
        wrong.get_access_token(as_dict=False)
    assert err.value.error == "invalid_client"
    assert [r.status for r in server.requests] == [200, 200, 400, 400, 400]
    assert server.api_requests() == []


def test_spotify_env_points_at_the_server(spotify_env):
    server = spotify_env
    assert os.environ["SPOTIFY_API_BASE_URL"] == server.api_base_url == f"http://127.0.0.1:{server.port}/v1/"
    assert os.environ["SPOTIFY_TOKEN_URL"] == server.token_url
    assert (
        os.environ["SPOTIFY_CLIENT_ID"],
        os.environ["SPOTIFY_CLIENT_SECRET"],
        os.environ["SPOTIFY_REFRESH_TOKEN"],
    ) == ("test-client-id", "test-client-secret", "test-refresh-token")


def test_stop_frees_the_port():
    with SpotifyTestServer() as server:
        url = server.token_url
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url, timeout=1)
