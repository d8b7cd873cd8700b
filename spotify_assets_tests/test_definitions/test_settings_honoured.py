"""``build_definitions(settings)`` honours every field it is given, whatever the environment
says: the partitions of every asset, job and schedule, the cron, the sensor's interval,
landing location, sweep and size limit, the lake of every resource, the Spotify settings."""

from datetime import date

import dagster as dg

from spotify_assets.definitions import build_definitions
from spotify_assets.lake.lake import Lake
from spotify_assets.sensors.raw_object_cursor import landing_copy_key
from spotify_assets.settings import Settings

# What the environment says: none of it may reach the definitions below.
ENVIRONMENT = {
    "SPOTIFY_PARTITIONS_START": "2024-01-01",
    "SPOTIFY_SCHEDULE_CRON": "0 1 * * *",
    "SPOTIFY_SENSOR_INTERVAL_S": "99",
    "SPOTIFY_SENSOR_SWEEP_KEYS": "5",
    "SPOTIFY_RAW_MAX_BYTES": "7",
    "SPOTIFY_REQUEST_DEADLINE_S": "1",
    "SPOTIFY_API_BASE_URL": "http://environment.invalid/v1/",
    "SPOTIFY_LOOKUPS": "albums",
    "GLUE_DATABASE": "from_the_environment",
}
SEED = "spotify_raw_2026-11-20 10:00:00.000000.json"  # a landed object of 2026-11-20 (its name)


def test_build_definitions_honours_the_settings_it_is_given_not_the_environment(tmp_path, monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SPOTIFY_LAKE_URL", str(tmp_path / "environment-lake"))
    monkeypatch.setenv("SPOTIFY_LANDING_URL", str(tmp_path / "environment-landing"))
    settings = Settings(
        lake_url=str(tmp_path / "lake"),
        landing_url=str(tmp_path / "landing"),
        partitions_start=date(2026, 11, 1),
        duckdb_path=str(tmp_path / "catalog.duckdb"),
        schedule_cron="30 7 * * 1",
        sensor_interval_s=45,
        raw_max_bytes=1000,
        request_deadline_s=12.5,
        api_base_url="http://127.0.0.1:1/v1/",
        lookups="artists",
    )
    defs = build_definitions(settings)

    graph = defs.resolve_asset_graph()
    firsts = {
        key.to_user_string(): graph.get(key).partitions_def.get_first_partition_key()
        for key in graph.get_all_asset_keys()
    }
    assert len(firsts) == 8 and set(firsts.values()) == {"2026-11-01"}
    schedules = {s.name: s for s in defs.schedules}
    assert {name: s.cron_schedule for name, s in schedules.items()} == {
        "daily_playlist_schedule": "30 7 * * 1",
        "daily_playlist_with_tables_schedule": "30 7 * * 1",
    }
    for job_name in ("daily_raw_playlist_job", "daily_playlist_with_tables_job"):
        assert defs.resolve_job_def(job_name).partitions_def.get_first_partition_key() == "2026-11-01"
    sensor = defs.resolve_sensor_def("raw_playlist_sensor")
    assert sensor.minimum_interval_seconds == 45

    resources = defs.resources
    lake_url = str(tmp_path / "lake")
    assert [resources[k].lake_url for k in ("lake", "raw_io_manager", "table_io_manager", "catalog")] == [lake_url] * 4
    assert resources["raw_io_manager"].raw_max_bytes == 1000 and resources["lake"].raw_max_bytes == 1000
    assert resources["catalog"].duckdb_path == str(tmp_path / "catalog.duckdb")
    spotify = resources["spotify"]
    assert (spotify.api_base_url, spotify.request_deadline_s, spotify.lookups) == (
        "http://127.0.0.1:1/v1/",
        12.5,
        "artists",
    )

    # One tick: the settings' landing location is read (not the environment's), its object
    # above raw_max_bytes is refused, and the day is requested in the settings' partitions.
    landing, elsewhere = Lake(str(tmp_path / "landing")), Lake(str(tmp_path / "environment-landing"))
    landing.write_bytes(SEED, b'{"items": []}')
    landing.write_bytes("spotify_raw_2026-11-21 10:00:00.000000.json", b"x" * 1001)
    elsewhere.write_bytes("spotify_raw_2026-11-22 10:00:00.000000.json", b'{"items": []}')
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), resources={"lake": resources["lake"]}
    ) as context:
        result = sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-20"]
    assert [o.key for o in Lake(lake_url).list_objects("raw_playlist/")] == [landing_copy_key(SEED, "2026-11-20")]
    assert not (tmp_path / "environment-lake").exists()
