"""raw_playlist: today's partition from the API (or the offline sample), other days only
from raw objects already in the lake."""

import json

import dagster as dg
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.settings import Settings
from spotify_assets.spotify.offline_sample import load_sample_playlist
from spotify_assets_tests.support.samples import sample_path


def _run(partition_key: str, instance: dg.DagsterInstance):
    return dg.materialize(
        [raw_playlist],
        partition_key=partition_key,
        resources=build_resources(Settings.from_env()),
        instance=instance,
        raise_on_error=False,
    )


def _messages(instance: dg.DagsterInstance, result) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_without_credentials_today_reads_the_synthetic_sample_and_says_so(lake_dir):
    instance = dg.DagsterInstance.ephemeral()
    result = _run(utc_today(), instance)
    assert result.success
    sample = load_sample_playlist()
    path = lake_dir / "raw_playlist" / f"dt={utc_today()}" / f"{sample['id']}.json"
    stored = json.loads(path.read_bytes())
    assert stored["items"]["items"] == sample["items"]["items"]
    assert stored["extraction"]["source"] == "synthetic-sample"
    assert any("SYNTHETIC sample" in m and sample["id"] in m for m in _messages(instance, result))
    metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
    assert metadata["source"].value == "synthetic-sample"
    assert metadata["items"].value == len(sample["items"]["items"])
    assert metadata["skipped_items"].value == {"null_item": 1, "local_file": 1, "episode": 1, "not_a_track": 0}


def test_a_past_day_without_raw_objects_fails_with_the_reason(lake_dir, spotify_env):
    instance = dg.DagsterInstance.ephemeral()
    result = _run("2024-05-15", instance)
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "raw_playlist 2024-05-15: cannot extract a past or future day" in error
    assert "only today's partition" in error and "no raw objects were found for 2024-05-15" in error
    assert spotify_env.api_requests() == []  # the API was never called


def test_a_past_day_records_landed_objects_without_calling_the_api(lake_dir, spotify_env):
    body = sample_path("danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json").read_bytes()
    key = "raw_playlist/dt=2024-05-15/37i9dQZEVXbMDoHDwVN2tF.json"
    Lake(str(lake_dir)).write_bytes(key, body)
    result = _run("2024-05-15", dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
    assert metadata["source"].value == "landed"
    assert metadata["raw_objects"].value == [key]
    assert metadata["items"].value == 50
    assert (lake_dir / key).read_bytes() == body  # never rewritten
    assert spotify_env.api_requests() == []


def test_asset_called_directly_with_a_context(lake_dir):
    """Asset unit test: the asset function with build_asset_context, no run."""
    context = dg.build_asset_context(partition_key=utc_today())
    outputs = list(raw_playlist(context, spotify=SpotifyResource(), lake=LakeResource(lake_url=str(lake_dir))))
    assert len(outputs) == 1
    documents = outputs[0].value
    sample_id = load_sample_playlist()["id"]
    assert list(documents) == [sample_id]
    assert documents[sample_id]["extraction"]["api_requests"] == 2  # metadata + one page of 50


def test_a_failing_playlist_does_not_lose_the_others(lake_dir, spotify_env, monkeypatch):
    items = json.loads(sample_path("huy-hng/0lSHxL8DnuRYEhk2cmKSDH.json").read_text())
    spotify_env.add_playlist("0lSHxL8DnuRYEhk2cmKSDH", items)
    spotify_env.add_playlist("5uBXXKqLD4wqhzJnQ3CgdV", items[:2])
    spotify_env.restrict_playlist("5uBXXKqLD4wqhzJnQ3CgdV", 403)
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", "5uBXXKqLD4wqhzJnQ3CgdV,0lSHxL8DnuRYEhk2cmKSDH")
    result = _run(utc_today(), dg.DagsterInstance.ephemeral())
    assert not result.success
    stored = lake_dir / "raw_playlist" / f"dt={utc_today()}"
    assert sorted(p.name for p in stored.iterdir()) == ["0lSHxL8DnuRYEhk2cmKSDH.json"]
    assert len(json.loads((stored / "0lSHxL8DnuRYEhk2cmKSDH.json").read_bytes())["items"]["items"]) == 41
    failure = result.get_step_failure_events()[0].step_failure_data
    assert "1 of 2 playlists failed" in failure.error.message
    assert "5uBXXKqLD4wqhzJnQ3CgdV: playlist 5uBXXKqLD4wqhzJnQ3CgdV: 403 Forbidden" in failure.error.message
    assert failure.user_failure_data.metadata["failed_playlists"].value == ["5uBXXKqLD4wqhzJnQ3CgdV"]


@pytest.mark.parametrize("ids", ["", "not a valid id!"])
def test_bad_playlist_configuration_fails_with_a_clear_message(lake_dir, spotify_env, monkeypatch, ids):
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", ids)
    result = _run(utc_today(), dg.DagsterInstance.ephemeral())
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert ("SPOTIFY_PLAYLIST_IDS is empty" in message) if not ids else ("base-62" in message)
