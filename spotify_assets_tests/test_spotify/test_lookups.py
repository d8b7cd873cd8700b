"""Album and artist look-ups (SPOTIFY_LOOKUPS): batch where it works, single look-ups where
it answers 403 (development mode since 2026), each id at most once per run.

Real parts: spotipy against the local Spotify API test server (both dialects), real
recordings (a 317-item playlist, a full album, a full artist), a real Dagster run.
"""

import copy
import json
import logging
import math

import dagster as dg
import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.layout import raw_key, table_key
from spotify_assets.settings import Settings, SettingsError
from spotify_assets.spotify.client import SpotifyClient
from spotify_assets.spotify.daily_tables import build_tables
from spotify_assets.spotify.errors import SpotifyQuotaExceededError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.lookups import LookupCache, lookup_ids, parse_lookup_kinds
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.fixtures.spotify_api import client_for
from spotify_assets_tests.support.samples import HUY_HNG, playlist_document, sample_path
from spotify_assets_tests.support.spotify_api_server import CannedResponse, SpotifyTestServer, spotify_error

RECORDING = HUY_HNG  # 317 items, 1 local file
FULL_ALBUM = "joostlek-python-spotify/get_album.json"  # GET /albums/{id}: Area 11, label "Smihilism Records"
FULL_ARTIST = "joostlek-python-spotify/artist.json"  # GET /artists/{id}: Pitbull, followers and popularity
BIG_PLAYLIST = "7csrlizJurpn6y0xenTwzu"
ALBUM_PLAYLIST = "3IqzqH6ShrRtie9Yd2ODyGpl"
SIMPLIFIED_ALBUM_FIELDS = (
    "album_type",
    "artists",
    "external_urls",
    "href",
    "id",
    "images",
    "name",
    "release_date",
    "release_date_precision",
    "total_tracks",
    "type",
    "uri",
)


def _json(relative: str):
    return json.loads(sample_path(relative).read_text())


def recorded_items() -> list[dict]:
    return parse_raw_object(sample_path(RECORDING).read_bytes(), RECORDING).items


def album_items(album: dict, artist: dict) -> list[dict]:
    """The album's tracks as playlist items, as a playlist would carry them (simplified
    album inside each track); ``artist`` is credited on the first track too."""
    simplified = {k: album[k] for k in SIMPLIFIED_ALBUM_FIELDS}
    simplified_artist = {k: artist[k] for k in ("external_urls", "href", "id", "name", "type", "uri")}
    items = []
    for index, track in enumerate(album["tracks"]["items"]):
        track = {**copy.deepcopy(track), "album": simplified, "external_ids": {"isrc": f"GBTEST{index:07d}"}}
        if index == 0:
            track["artists"] = track["artists"] + [simplified_artist]
        items.append(
            {"added_at": "2026-03-01T10:00:00Z", "added_by": {"id": "test-user"}, "is_local": False, "item": track}
        )
    return items


def serve(server: SpotifyTestServer) -> tuple[list[dict], list[dict], dict, dict]:
    """Two playlists sharing 10 items (so albums and artists), plus the full album and artist."""
    album, artist = _json(FULL_ALBUM), _json(FULL_ARTIST)
    big = recorded_items()
    small = album_items(album, artist) + big[:10]
    server.add_playlist(BIG_PLAYLIST, big, name="huy-hng", snapshot_id="snap-big")
    server.add_playlist(ALBUM_PLAYLIST, small, name="Area 11 and friends", snapshot_id="snap-small")
    server.add_objects("albums", [album])
    server.add_objects("artists", [artist])
    return big, small, album, artist


def _client_for(server: SpotifyTestServer) -> SpotifyClient:
    return client_for(server, backoff_s=0.01)


def lookup_requests(server: SpotifyTestServer, kind: str) -> list:
    return [r for r in server.api_requests() if r.path.startswith(f"/v1/{kind}")]


def test_parse_lookup_kinds_accepts_none_and_kind_lists_and_names_the_setting_on_a_typo():
    assert parse_lookup_kinds("") == frozenset()
    assert parse_lookup_kinds("none") == frozenset()
    assert parse_lookup_kinds(" Artists ") == {"artists"}
    assert parse_lookup_kinds("albums,artists") == {"albums", "artists"}
    with pytest.raises(ValueError) as raised:
        parse_lookup_kinds("albums,tracks")
    assert (
        str(raised.value)
        == "SPOTIFY_LOOKUPS='albums,tracks': unknown kind 'tracks'; expected 'none' or a comma-separated list of albums, artists"
    )


def test_lookup_ids_are_the_tracks_album_and_artist_ids_once_each_in_first_seen_order():
    items = recorded_items()
    ids = lookup_ids(
        items + [None, {"item": {"type": "episode", "id": "e"}}, {"is_local": True, "track": {"album": {"id": "x"}}}]
    )
    songs = [i.get("track") or i.get("item") for i in items]
    songs = [t for t in songs if t and t.get("id") and not t.get("is_local")]
    expected_albums = list(dict.fromkeys(t["album"]["id"] for t in songs if t["album"].get("id")))
    assert ids["albums"] == expected_albums
    expected_artists = set()
    for t in songs:
        expected_artists |= {a["id"] for a in t["artists"] + t["album"]["artists"] if a.get("id")}
    assert set(ids["artists"]) == expected_artists
    assert len(ids["artists"]) == len(expected_artists)  # each once


def test_legacy_batch_lookups_ask_each_id_once_in_batches_of_20_albums_and_50_artists():
    with SpotifyTestServer(dialect="legacy") as server:
        big, small, album, artist = serve(server)
        client = _client_for(server)
        cache = LookupCache(client, {"albums", "artists"})
        big_doc = extract_playlist(client, BIG_PLAYLIST, lookups=cache)
        small_doc = extract_playlist(client, ALBUM_PLAYLIST, lookups=cache)
        album_requests, artist_requests = lookup_requests(server, "albums"), lookup_requests(server, "artists")
        assert not server.errors

    all_ids = {
        kind: list(dict.fromkeys(lookup_ids(big)[kind] + lookup_ids(small)[kind])) for kind in ("albums", "artists")
    }
    big_ids = lookup_ids(big)
    # The first playlist asks for its ids in full batches; the second only for the ids it adds.
    new_in_small = {kind: [i for i in all_ids[kind] if i not in big_ids[kind]] for kind in all_ids}
    assert len(album_requests) == math.ceil(len(big_ids["albums"]) / 20) + math.ceil(len(new_in_small["albums"]) / 20)
    assert len(artist_requests) == math.ceil(len(big_ids["artists"]) / 50) + math.ceil(
        len(new_in_small["artists"]) / 50
    )
    for requests, kind, size in ((album_requests, "albums", 20), (artist_requests, "artists", 50)):
        assert {r.path for r in requests} == {f"/v1/{kind}/"}  # spotipy asks "albums/?ids=..."
        asked = [i for r in requests for i in r.query["ids"].split(",")]
        assert sorted(asked) == sorted(all_ids[kind])  # every id, none twice
        assert max(len(r.query["ids"].split(",")) for r in requests) == size
    # Each raw object carries the look-ups of its own ids (albums without their tracks).
    assert [a["id"] for a in small_doc["lookups"]["albums"]] == lookup_ids(small)["albums"]
    assert [a["id"] for a in big_doc["lookups"]["artists"]] == big_ids["artists"]
    area11 = small_doc["lookups"]["albums"][0]
    assert (area11["id"], area11["label"], area11["popularity"]) == (album["id"], "Smihilism Records", 20)
    assert "tracks" not in area11 and "available_markets" not in area11
    pitbull = next(a for a in small_doc["lookups"]["artists"] if a["id"] == artist["id"])
    assert (pitbull["followers"]["total"], pitbull["popularity"]) == (12425030, 85)
    pages = 1 + math.ceil(317 / 50) + 1 + math.ceil(len(small) / 50)
    assert small_doc["extraction"]["api_requests"] + big_doc["extraction"]["api_requests"] == pages + len(
        album_requests
    ) + len(artist_requests)


def test_2026_batch_403_falls_back_to_one_single_lookup_per_id_and_per_run(caplog):
    with SpotifyTestServer(dialect="2026") as server:
        big, small, album, artist = serve(server)
        client = _client_for(server)
        cache = LookupCache(client, {"albums", "artists"})
        with caplog.at_level(logging.INFO):
            extract_playlist(client, BIG_PLAYLIST, lookups=cache)
            small_doc = extract_playlist(client, ALBUM_PLAYLIST, lookups=cache)
        album_requests, artist_requests = lookup_requests(server, "albums"), lookup_requests(server, "artists")
        assert not server.errors

    for requests, kind in ((album_requests, "albums"), (artist_requests, "artists")):
        # One batch request answers 403; then each id once, never a second batch.
        assert [r.status for r in requests[:1]] == [403] and requests[0].query.get("ids")
        singles = [r.path.rsplit("/", 1)[1] for r in requests[1:]]
        assert all(r.status == 200 for r in requests[1:])
        expected = list(dict.fromkeys(lookup_ids(big)[kind] + lookup_ids(small)[kind]))
        assert singles == expected
    assert sum("GET /albums?ids= answered 403" in r.getMessage() for r in caplog.records) == 1
    # 94 albums of the first playlist one by one: progress after 50 (then the second's few).
    assert "albums: 50/94 looked up one by one" in caplog.text
    # Development mode strips label, popularity, followers and genres from the full objects:
    # the look-ups still add the artist's images.
    area11 = small_doc["lookups"]["albums"][0]
    assert area11["id"] == album["id"] and "label" not in area11
    pitbull = next(a for a in small_doc["lookups"]["artists"] if a["id"] == artist["id"])
    assert "followers" not in pitbull and "popularity" not in pitbull
    assert pitbull["images"][0]["url"] == artist["images"][0]["url"]


def test_an_id_spotify_does_not_know_is_logged_and_left_out_not_asked_again(caplog):
    with SpotifyTestServer(dialect="2026") as server:
        album, artist = _json(FULL_ALBUM), _json(FULL_ARTIST)
        items = album_items(album, artist)
        server.add_playlist(ALBUM_PLAYLIST, items)
        server.inject(rf"^/v1/artists/{artist['id']}$", CannedResponse(404, spotify_error(404, "Resource not found")))
        client = _client_for(server)
        cache = LookupCache(client, {"artists"})
        with caplog.at_level(logging.WARNING):
            first = extract_playlist(client, ALBUM_PLAYLIST, lookups=cache)
            second = extract_playlist(client, ALBUM_PLAYLIST, lookups=cache)
        asked = [r.path for r in lookup_requests(server, "artists")]

    assert asked.count(f"/v1/artists/{artist['id']}") == 1
    assert [a["id"] for a in first["lookups"]["artists"]] == ["3jULn43a6xfzqleyeFjPIq"]  # Area 11; Pitbull left out
    assert second["lookups"] == first["lookups"]
    assert "albums" not in first["lookups"]
    assert cache.counts() == {"artists": {"found": 1, "unknown": 1}}
    assert (
        f"artist {artist['id']}: GET /artists/{artist['id']} answered 404; it is left out of the look-ups"
        in caplog.text
    )


def test_quota_exceeded_during_lookups_stops_the_extraction():
    with SpotifyTestServer(dialect="2026") as server:
        album, artist = _json(FULL_ALBUM), _json(FULL_ARTIST)
        server.add_playlist(ALBUM_PLAYLIST, album_items(album, artist))
        server.inject(
            r"^/v1/albums/", CannedResponse(429, spotify_error(429, "Quota exceeded", reason="QUOTA_EXCEEDED"))
        )
        client = _client_for(server)
        with pytest.raises(SpotifyQuotaExceededError, match="QUOTA_EXCEEDED"):
            extract_playlist(client, ALBUM_PLAYLIST, lookups=LookupCache(client, {"albums"}))


def _document_with_lookups(album: dict, artist: dict) -> dict:
    lookups = {
        "albums": [{k: v for k, v in album.items() if k != "tracks"}, None, "junk", {"id": 7}],
        "artists": [artist, {"no": "id"}],
    }
    return playlist_document(ALBUM_PLAYLIST, album_items(album, artist), "s", "p", lookups=lookups)


def test_tables_take_label_and_artist_columns_from_lookups_on_both_parse_paths():
    album, artist = _json(FULL_ALBUM), _json(FULL_ARTIST)
    body = json.dumps(_document_with_lookups(album, artist)).encode()
    full = build_tables([parse_raw_object(body, "p.json")])
    fast = build_tables([parse_raw_object(body, "p.json", all_fields=False)])

    for name, table in full.as_dict().items():
        assert fast.as_dict()[name].equals(table), name
    assert full.albums.to_pylist()[0]["label"] == "Smihilism Records"
    rows = {r["artist_id"]: r for r in full.artists.to_pylist()}
    largest = max(artist["images"], key=lambda i: i["width"] * i["height"])["url"]
    assert {k: rows[artist["id"]][k] for k in ("genres", "followers", "popularity", "image_url")} == {
        "genres": [],
        "followers": 12425030,
        "popularity": 85,
        "image_url": largest,
    }
    area11 = rows["3jULn43a6xfzqleyeFjPIq"]  # not looked up here: the look-up columns are null
    assert (area11["genres"], area11["followers"], area11["popularity"], area11["image_url"]) == (
        None,
        None,
        None,
        None,
    )


def test_a_lookup_from_another_playlist_of_the_day_fills_the_row():
    album, artist = _json(FULL_ALBUM), _json(FULL_ARTIST)
    with_lookups = _document_with_lookups(album, artist)
    without = copy.deepcopy(with_lookups)
    del without["lookups"]
    without["id"] = "otherplaylist"
    tables = build_tables(
        [parse_raw_object(json.dumps(d).encode(), f"{d['id']}.json", all_fields=False) for d in (without, with_lookups)]
    )
    assert tables.albums.to_pylist()[0]["label"] == "Smihilism Records"
    assert {r["artist_id"]: r["followers"] for r in tables.artists.to_pylist()}[artist["id"]] == 12425030


@pytest.mark.parametrize("dialect", ["2026", "legacy"])
def test_raw_playlist_with_lookups_fills_the_artists_table_and_records_counts(dialect, lake_dir, monkeypatch):
    with SpotifyTestServer(dialect=dialect) as server:
        big, small, album, artist = serve(server)
        for name, value in (
            ("SPOTIFY_API_BASE_URL", server.api_base_url),
            ("SPOTIFY_TOKEN_URL", server.token_url),
            ("SPOTIFY_CLIENT_ID", server.client_id),
            ("SPOTIFY_CLIENT_SECRET", server.client_secret),
            ("SPOTIFY_REFRESH_TOKEN", server.refresh_token),
            ("SPOTIFY_PLAYLIST_IDS", f"{BIG_PLAYLIST},{ALBUM_PLAYLIST}"),
            ("SPOTIFY_LOOKUPS", "albums,artists"),
        ):
            monkeypatch.setenv(name, value)
        today = utc_today()
        result = dg.materialize(
            [raw_playlist, spotify_tables], partition_key=today, resources=build_resources(Settings.from_env())
        )
        assert result.success
        assert not server.errors

    ids = {kind: set(lookup_ids(big)[kind]) | set(lookup_ids(small)[kind]) for kind in ("albums", "artists")}
    metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
    assert metadata["lookups"].data == {kind: {"found": len(ids[kind]), "unknown": 0} for kind in ("albums", "artists")}
    stored = json.loads((lake_dir / raw_key(today, ALBUM_PLAYLIST)).read_bytes())
    assert [a["id"] for a in stored["lookups"]["albums"]] == lookup_ids(small)["albums"]
    artists = {r["artist_id"]: r for r in pq.read_table(lake_dir / table_key("artists", today)).to_pylist()}
    albums = {r["album_id"]: r for r in pq.read_table(lake_dir / table_key("albums", today)).to_pylist()}
    assert set(artists) == ids["artists"]
    pitbull = artists[artist["id"]]
    assert pitbull["image_url"] == "https://i.scdn.co/image/ab6761610000e5eb8d8ac7290d0fe2d12fb6e4d9"  # 640 x 640
    if dialect == "legacy":
        assert (pitbull["followers"], pitbull["popularity"], pitbull["genres"]) == (12425030, 85, [])
        assert albums[album["id"]]["label"] == "Smihilism Records"
    else:  # development mode: removed from the full objects too
        assert (pitbull["followers"], pitbull["popularity"], pitbull["genres"]) == (None, None, None)
        assert albums[album["id"]]["label"] is None


def test_a_bad_lookups_setting_fails_at_load_before_any_request(spotify_env, lake_dir, monkeypatch):
    server = spotify_env
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", BIG_PLAYLIST)
    monkeypatch.setenv("SPOTIFY_LOOKUPS", "album")
    with pytest.raises(SettingsError, match=r"SPOTIFY_LOOKUPS='album': unknown kind 'album'; expected 'none' or"):
        Settings.from_env()
    assert server.api_requests() == []
