"""The daily schedules: today's (UTC) partition, over the right assets, STOPPED by default."""

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from spotify_assets.definitions import build_definitions
from spotify_assets.schedules import RAW_PLAYLIST_ONLY, WITH_TABLES, build_daily_schedule
from spotify_assets.settings import Settings, SettingsError

TABLES = {dg.AssetKey(name) for name in ("songs", "albums", "artists", "playlist_entries")}


def test_daily_schedule_requests_the_ticks_utc_date_over_raw_playlist(lake_dir):
    defs = build_definitions(Settings.from_env())  # what the code location ships
    schedule = defs.resolve_schedule_def("daily_playlist_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    job = defs.resolve_job_def(schedule.job_name)
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey("raw_playlist")}

    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 20, 6, tzinfo=timezone.utc))
    request = schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-11-20"
    # 23:30 on Nov 19th in New York is 04:30 UTC on the 20th: the UTC date counts.
    new_york = timezone(timedelta(hours=-5))
    late = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 19, 23, 30, tzinfo=new_york))
    assert schedule(late).partition_key == "2026-11-20"


def test_with_tables_schedule_runs_raw_playlist_and_everything_downstream(lake_dir):
    defs = build_definitions(Settings.from_env())  # what the code location ships
    schedule = defs.resolve_schedule_def("daily_playlist_with_tables_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    downstream = {dg.AssetKey(name) for name in ("raw_playlist", "playlist_trends", "artist_daily_share", "catalog")}
    assert defs.resolve_job_def(schedule.job_name).asset_layer.executable_asset_keys == TABLES | downstream
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 20, 6, tzinfo=timezone.utc))
    assert schedule(context).partition_key == "2026-11-20"


def test_cron_comes_from_the_settings_and_a_bad_one_is_named_at_load(monkeypatch):
    monkeypatch.setenv("SPOTIFY_SCHEDULE_CRON", "15 5 * * *")
    shipped = build_definitions(Settings.from_env())
    assert {s.cron_schedule for s in shipped.schedules} == {"15 5 * * *"}
    assert build_daily_schedule(RAW_PLAYLIST_ONLY).cron_schedule == "0 6 * * *"  # the builder's default
    assert build_daily_schedule(WITH_TABLES, cron_schedule="0 7 * * 1").cron_schedule == "0 7 * * 1"
    monkeypatch.setenv("SPOTIFY_SCHEDULE_CRON", "every morning")
    with pytest.raises(SettingsError, match=r"SPOTIFY_SCHEDULE_CRON='every morning': expected a 5-field cron"):
        Settings.from_env()
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="every morning"):
        build_daily_schedule(RAW_PLAYLIST_ONLY, cron_schedule="every morning")


def test_a_tick_before_the_first_partition_is_skipped_with_the_reason():
    schedule = build_daily_schedule(RAW_PLAYLIST_ONLY)
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2022, 12, 31, 6, tzinfo=timezone.utc))
    result = schedule(context)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "partition 2022-12-31 is not in the daily partitions (first: 2023-01-01)"
