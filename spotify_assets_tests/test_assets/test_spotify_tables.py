"""songs, albums, artists and playlist_entries built from real recorded payloads, checked
row by row against values read straight from the JSON (spotify_assets_tests.support.expected)."""

import json

import dagster as dg
import pyarrow.parquet as pq

from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets_tests.support.expected import (
    entry_rows,
    expected_entries,
    expected_release_date,
    expected_songs,
    item_object,
)
from spotify_assets_tests.support.runs import materialize_tables
from spotify_assets_tests.support.samples import sample_path

TOP50 = "danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json"
PAGE_WITH_NULL = "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json"


def _raw(dt: str, rel: str, name: str) -> RawObject:
    return RawObject(dt=dt, key=f"raw_playlist/dt={dt}/{name}.json", body=sample_path(rel).read_bytes())


def test_tables_called_directly_match_the_recorded_page(tmp_path):
    """Asset unit test: the multi-asset called with build_asset_context and raw objects."""
    page = json.loads(sample_path(PAGE_WITH_NULL).read_text())
    context = dg.build_asset_context(
        partition_key="2024-05-24",
        resources={"lake": LakeResource(lake_url=str(tmp_path)), "spotify": SpotifyResource()},
    )
    outputs = {
        o.output_name: o
        for o in spotify_tables(context, [_raw("2024-05-24", PAGE_WITH_NULL, "page")])
        if isinstance(o, dg.Output)
    }
    entries = outputs["playlist_entries"].value
    expected = expected_entries("1sBSPdZ7IeXtPudsfyOzDK", page["items"])
    assert len(expected) == 99  # items[35] is "track": null
    assert entry_rows(entries) == expected
    assert 36 not in entries["position"].to_pylist() and 37 in entries["position"].to_pylist()
    assert set(entries["dt"].to_pylist()) == {"2024-05-24"}
    assert outputs["songs"].metadata["skipped_items"].value == {
        "null_item": 1,
        "local_file": 0,
        "episode": 0,
        "not_a_track": 0,
    }

    albums = outputs["albums"].value.to_pylist()
    year_albums = [a for a in albums if a["release_date_precision"] == "year"]
    assert len(year_albums) == 3
    recorded = {item_object(i)["album"]["id"]: item_object(i)["album"] for i in page["items"] if item_object(i)}
    for album in albums:
        source = recorded[album["album_id"]]
        assert album["release_date"] == expected_release_date(source["release_date"], source["release_date_precision"])
        assert album["total_tracks"] == source["total_tracks"]


def test_a_bad_object_is_reported_and_the_good_ones_are_built(tmp_path):
    context = dg.build_asset_context(
        partition_key="2024-05-15",
        resources={"lake": LakeResource(lake_url=str(tmp_path)), "spotify": SpotifyResource()},
    )
    bad = RawObject(dt="2024-05-15", key="raw_playlist/dt=2024-05-15/broken.json", body=b'{"items": [')
    events = list(spotify_tables(context, [_raw("2024-05-15", TOP50, "top50"), bad]))
    outputs = {e.output_name: e.value for e in events if isinstance(e, dg.Output)}
    check = next(e for e in events if isinstance(e, dg.AssetCheckResult))
    assert outputs["playlist_entries"].num_rows == 50
    assert not check.passed
    assert "raw_playlist/dt=2024-05-15/broken.json" in check.description and "not valid JSON" in check.description


def test_materialized_tables_hold_the_recorded_values(lake_dir):
    """Landed real snapshots → raw_playlist (recorded) → tables on the lake, read back."""
    lake = Lake(str(lake_dir))
    files = {"2024-05-11": "danielmschaves/d94f6aed57/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json", "2024-05-15": TOP50}
    for dt, rel in files.items():
        lake.write_bytes(f"raw_playlist/dt={dt}/37i9dQZEVXbMDoHDwVN2tF.json", sample_path(rel).read_bytes())
    instance = dg.DagsterInstance.ephemeral()
    for dt in files:
        result = materialize_tables(dt, instance=instance)
        assert result.success
    for dt, rel in files.items():
        playlist = json.loads(sample_path(rel).read_text())[0]
        items = playlist["tracks"]["items"]
        entries = pq.read_table(lake_dir / "playlist_entries" / f"dt={dt}" / "data.parquet")
        assert "dt" not in entries.column_names
        assert entry_rows(entries) == expected_entries(playlist["id"], items)
        assert set(entries["snapshot_id"].to_pylist()) == {playlist["snapshot_id"]}
        songs = pq.read_table(lake_dir / "songs" / f"dt={dt}" / "data.parquet")
        got = {
            r["song_id"]: (r["song_name"], r["duration_ms"], r["album_id"], r["artist_id"]) for r in songs.to_pylist()
        }
        assert got == expected_songs(items)
        artists = pq.read_table(lake_dir / "artists" / f"dt={dt}" / "data.parquet")
        credited = {a["id"] for i in items for a in item_object(i)["artists"] + item_object(i)["album"]["artists"]}
        assert set(artists["artist_id"].to_pylist()) == credited
        assert artists.num_rows == len(credited)
