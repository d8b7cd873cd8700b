"""``SPOTIFY_PLAYLIST_IDS=me``: every playlist the authorising user owns or collaborates on,
from ``GET /me/playlists`` paged to the end (real HTTP to the test server, both dialects;
the real recorded 2026 page), beside explicit ids."""

import dataclasses
import json
import logging

import dagster as dg
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.settings import Settings, SettingsError
from spotify_assets.spotify.ids import PlaylistSelection, parse_playlist_selection
from spotify_assets.spotify.my_playlists import readable_playlists
from spotify_assets.spotify.offline_sample import load_sample_playlist
from spotify_assets_tests.support.fixtures.spotify_api import resource_for
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.spotify_api_server import SpotifyTestServer

OWNED = "0000000000000000000001"
OWNED_LONG = "0000000000000000000002"  # 60 items: two pages of 50
COLLABORATIVE = "0000000000000000000003"  # owned by someone else, collaborative
FOLLOWED = "0000000000000000000004"  # owned by someone else: its items are closed to the app
EXPLICIT = "0000000000000000000005"  # also owned by someone else, but named explicitly
OTHER_OWNER = {"id": "someone-else", "display_name": "Someone", "type": "user"}


def _items(count: int) -> list[dict]:
    items = load_sample_playlist()["items"]["items"]
    return [items[i % len(items)] for i in range(count)]


def _serve(server: SpotifyTestServer) -> None:
    server.add_playlist(OWNED, _items(3), name="Owned")
    server.add_playlist(OWNED_LONG, _items(60), name="Owned, long")
    server.add_playlist(COLLABORATIVE, _items(2), name="Shared", owner=OTHER_OWNER, collaborative=True)
    server.add_playlist(FOLLOWED, _items(4), name="Followed", owner=OTHER_OWNER)
    server.add_playlist(EXPLICIT, _items(5), name="Named", owner=OTHER_OWNER)


def test_the_selection_reads_me_beside_explicit_ids():
    assert parse_playlist_selection(f"me, spotify:playlist:{EXPLICIT}") == PlaylistSelection(True, [EXPLICIT])
    assert parse_playlist_selection(f"{OWNED} ME") == PlaylistSelection(True, [OWNED])
    assert parse_playlist_selection(OWNED) == PlaylistSelection(False, [OWNED])


def test_the_recorded_2026_page_keeps_the_users_own_and_collaborative_playlists():
    page = json.loads(sample_path("joostlek-python-spotify/current_user_playlist_1.json").read_text())
    kept, left_out = readable_playlists("1112264649", page["items"])
    assert len(page["items"]) == 48 and len(kept) == 42 and len(left_out) == 6
    assert kept[:2] == ["1Cp6VQCKf2VL4sP09jN9oX", "0Wsgrrb7PCORhHq5L7wF0d"]
    assert left_out["1RHirWgH1weMsBLi4KOK9d"].startswith(
        "followed, owned by '317g2sbpe3ccycu45fes6lfr5lpe' and not collaborative"
    )
    assert readable_playlists("u", [None, {"id": "../x"}, {"id": "abc", "owner": {"id": "u"}}]) == (
        ["abc"],
        {"item 1": "not a playlist object with a Spotify id", "item 2": "not a playlist object with a Spotify id"},
    )


@pytest.mark.parametrize("dialect", ["2026", "legacy"])
def test_my_playlists_are_paged_to_the_end_in_both_dialects(dialect):
    with SpotifyTestServer(dialect=dialect) as server:
        _serve(server)
        reader = resource_for(server).get_reader(log=logging.getLogger(__name__))
        pages = list(reader.my_playlist_pages(page_size=2))
        assert reader.current_user_id() == "test-user"
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    listed = [p["id"] for page in pages for p in page["items"]]
    assert listed == [OWNED, OWNED_LONG, COLLABORATIVE, FOLLOWED, EXPLICIT]
    assert readable_playlists("test-user", [p for page in pages for p in page["items"]])[0] == [
        OWNED,
        OWNED_LONG,
        COLLABORATIVE,
    ]


def test_a_run_with_me_stores_the_users_readable_playlists_and_the_explicit_ones(lake_dir, spotify_env, monkeypatch):
    _serve(spotify_env)
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", f"me, {EXPLICIT}")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [raw_playlist], partition_key=utc_today(), resources=build_resources(Settings.from_env()), instance=instance
    )
    assert result.success
    lake = Lake(str(lake_dir))
    stored = {
        o.key.rsplit("/", 1)[-1]: len(json.loads(lake.read_bytes(o.key))["items"]["items"])
        for o in lake.list_objects("raw_playlist/")
    }
    assert stored == {f"{OWNED}.json": 3, f"{OWNED_LONG}.json": 60, f"{COLLABORATIVE}.json": 2, f"{EXPLICIT}.json": 5}
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(
        m.startswith(f"SPOTIFY_PLAYLIST_IDS=me: {FOLLOWED} left out: followed, owned by 'someone-else'")
        for m in messages
    )
    assert "SPOTIFY_PLAYLIST_IDS=me: 3 of the 5 playlists of user test-user are owned or collaborative" in messages
    paths = [r.path for r in spotify_env.api_requests()]
    assert [path.rstrip("/") for path in paths[:2]] == ["/v1/me", "/v1/me/playlists"]  # spotipy asks /me/
    assert not any(FOLLOWED in path for path in paths)


def test_me_without_a_refresh_token_fails_before_any_request(lake_dir, spotify_env, monkeypatch):
    monkeypatch.delenv("SPOTIFY_REFRESH_TOKEN")
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", "me")
    with pytest.raises(SettingsError, match="SPOTIFY_PLAYLIST_IDS=me needs SPOTIFY_REFRESH_TOKEN"):
        Settings.from_env()  # at load
    # Settings built in code are not validated as a whole: the asset's own guard still holds.
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", EXPLICIT)
    settings = dataclasses.replace(Settings.from_env(), playlist_ids="me")
    result = dg.materialize(
        [raw_playlist], partition_key=utc_today(), resources=build_resources(settings), raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "SPOTIFY_PLAYLIST_IDS=me needs SPOTIFY_REFRESH_TOKEN" in failure.step_failure_data.error.message
    assert spotify_env.api_requests() == []
