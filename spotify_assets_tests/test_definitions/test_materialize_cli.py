"""`dagster asset materialize` for today's partition, as a user runs it, against the
local Spotify API test server serving real recordings in both dialects; the tables on
the lake must hold what the recordings hold."""

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.raw import utc_today
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.cli_runs import materialize_cli
from spotify_assets_tests.support.expected import entry_rows, expected_entries, expected_songs, item_object
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.spotify_api_server import SpotifyTestServer

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = [
    "huy-hng/7csrlizJurpn6y0xenTwzu.json",  # 317 items over 7 pages, a local file
    "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json",  # null track, year precision
    "zmb3-spotify/playlist_items_episodes_and_tracks.json",  # episodes
]


@pytest.mark.parametrize("dialect", ["2026", "legacy"])
def test_cli_materializes_today_from_the_api(dialect, tmp_path, lake_dir):
    served = {}
    with SpotifyTestServer(dialect=dialect) as server:
        for i, rel in enumerate(RECORDINGS):
            recorded = parse_raw_object(sample_path(rel).read_bytes(), rel)
            playlist_id = recorded.playlist_id if recorded.playlist_id.isalnum() else f"0Zmb3Playlist{i:09d}"
            server.add_playlist(playlist_id, recorded.items, name=f"recording {i}", snapshot_id=f"snap{i}")
            served[playlist_id] = json.loads(json.dumps(recorded.items))
        env = {
            **os.environ,
            "DAGSTER_HOME": str(tmp_path / "home"),
            "SPOTIFY_LAKE_URL": str(lake_dir),
            "SPOTIFY_CLIENT_ID": server.client_id,
            "SPOTIFY_CLIENT_SECRET": server.client_secret,
            "SPOTIFY_REFRESH_TOKEN": server.refresh_token,
            "SPOTIFY_API_BASE_URL": server.api_base_url,
            "SPOTIFY_TOKEN_URL": server.token_url,
            "SPOTIFY_PLAYLIST_IDS": ",".join(served),
        }
        os.makedirs(env["DAGSTER_HOME"])
        run = materialize_cli(
            "raw_playlist,songs,albums,artists,playlist_entries", ["--partition", utc_today()], env, timeout=240
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert len(server.api_requests()) == sum(1 + -(-len(items) // 50) for items in served.values())
        for secret in (server.client_secret, server.refresh_token, *server.issued_access_tokens):
            assert secret not in run.stdout + run.stderr

    dt = f"dt={utc_today()}"
    entries = pq.read_table(lake_dir / "playlist_entries" / dt / "data.parquet")
    got = entry_rows(entries)
    expected = [row for pid, items in served.items() for row in expected_entries(pid, items)]
    assert got == sorted(expected, key=lambda r: (r[0], r[1]))  # raw objects are read in key order
    assert set(entries["snapshot_id"].to_pylist()) == {"snap0", "snap1", "snap2"}
    songs = pq.read_table(lake_dir / "songs" / dt / "data.parquet")
    all_items = [i for items in served.values() for i in items]
    assert {
        r["song_id"]: (r["song_name"], r["duration_ms"], r["album_id"], r["artist_id"]) for r in songs.to_pylist()
    } == expected_songs(all_items)
    albums = pq.read_table(lake_dir / "albums" / dt / "data.parquet")
    assert albums.num_rows == len(
        {
            item_object(i)["album"]["id"]
            for i in all_items
            if item_object(i) and item_object(i).get("album", {}).get("id")
        }
    )
    raw = sorted(p.name for p in (lake_dir / "raw_playlist" / dt).iterdir())
    assert raw == sorted(f"{pid}.json" for pid in served)
