"""raw_playlist: today's partition from the API, other days only from raw objects already in
the lake; without credentials (locally) the synthetic sample plays any day."""

import datetime
import json

import dagster as dg
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.definitions import build_resources
from spotify_assets.io_managers.raw_json_io_manager import RawJsonIOManager
from spotify_assets.lake.lake import Lake
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.settings import Settings, SettingsError
from spotify_assets.spotify.offline_sample import synthetic_playlist
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


@pytest.mark.parametrize("dt", [utc_today(), "2024-05-15"])
def test_without_credentials_the_synthetic_sample_plays_the_day_and_says_so(lake_dir, dt):
    instance = dg.DagsterInstance.ephemeral()
    result = _run(dt, instance)
    assert result.success
    sample = synthetic_playlist(datetime.date.fromisoformat(dt))
    path = lake_dir / "raw_playlist" / f"dt={dt}" / f"{sample['id']}.json"
    stored = json.loads(path.read_bytes())
    assert stored["items"]["items"] == sample["items"]["items"] and stored["snapshot_id"] == sample["snapshot_id"]
    assert stored["extraction"]["source"] == "synthetic-sample"
    assert any("SYNTHETIC sample" in m and sample["id"] in m for m in _messages(instance, result))
    metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
    assert metadata["source"].value == "synthetic-sample"
    assert metadata["items"].value == len(sample["items"]["items"]) > 50
    assert metadata["skipped_items"].value == {"null_item": 0, "local_file": 0, "episode": 0, "not_a_track": 0}


def test_a_past_day_without_raw_objects_fails_with_the_reason(lake_dir, spotify_env):
    instance = dg.DagsterInstance.ephemeral()
    result = _run("2024-05-15", instance)
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "Failure: raw_playlist 2024-05-15: cannot extract a past or future day. " in error
    assert "The Spotify API serves only the current state of a playlist" in error
    assert f"only today's partition ({utc_today()} UTC)" in error
    assert f"no raw objects were found for 2024-05-15 under {lake_dir}/raw_playlist/dt=2024-05-15/" in error
    assert f"Land raw objects of those days at {lake_dir}/raw_playlist/dt=<day>/<playlist_id>.json" in error
    assert spotify_env.api_requests() == []  # the API was never called
    assert not (lake_dir / "raw_playlist").exists()  # nothing written


def test_with_credentials_a_synthetic_object_is_not_a_landed_one(lake_dir, spotify_env):
    """A lake the demo filled, then given credentials: that day's sample object does not count."""
    assert _run_offline_day(lake_dir, "2024-05-15").success
    instance = dg.DagsterInstance.ephemeral()
    result = _run("2024-05-15", instance)
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "no raw objects were found for 2024-05-15" in error
    assert "raw_playlist 2024-05-15: 1 raw object(s) of the synthetic sample not counted as landed" in _messages(
        instance, result
    )


def _run_offline_day(lake_dir, dt: str):
    resources = {  # no Spotify credentials: the synthetic source
        "spotify": SpotifyResource(),
        "lake": LakeResource(lake_url=str(lake_dir)),
        "raw_io_manager": RawJsonIOManager(lake_url=str(lake_dir)),
    }
    return dg.materialize([raw_playlist], partition_key=dt, resources=resources, raise_on_error=False)


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


def test_a_past_day_holding_only_entries_never_read_has_no_landed_objects(lake_dir, spotify_env):
    """A link in the day's folder is not a landed object: the day fails like an empty one."""
    day = lake_dir / "raw_playlist" / "dt=2024-05-15"
    day.mkdir(parents=True)
    (day / "37i9dQZEVXbMDoHDwVN2tF.json").symlink_to(sample_path("huy-hng/0lSHxL8DnuRYEhk2cmKSDH.json"))
    result = _run("2024-05-15", dg.DagsterInstance.ephemeral())
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "no raw objects were found for 2024-05-15" in error
    assert spotify_env.api_requests() == []


def test_asset_called_directly_with_a_context(lake_dir):
    """Asset unit test: the asset function with build_asset_context, no run."""
    context = dg.build_asset_context(partition_key=utc_today())
    outputs = list(raw_playlist(context, spotify=SpotifyResource(), lake=LakeResource(lake_url=str(lake_dir))))
    assert len(outputs) == 1
    documents = outputs[0].value[utc_today()]
    sample_id = synthetic_playlist(datetime.date.fromisoformat(utc_today()))["id"]
    assert list(documents) == [sample_id]
    assert documents[sample_id]["extraction"]["api_requests"] == 3  # metadata + two pages of 50


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


def test_empty_playlist_ids_fail_the_run_with_a_clear_message(lake_dir, spotify_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", "")
    result = _run(utc_today(), dg.DagsterInstance.ephemeral())
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert "SPOTIFY_PLAYLIST_IDS is empty" in message


def test_an_invalid_playlist_id_fails_the_settings_at_load(lake_dir, spotify_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", "not a valid id!")
    with pytest.raises(SettingsError, match=r"SPOTIFY_PLAYLIST_IDS='not a valid id!': expected .*base-62"):
        Settings.from_env()
