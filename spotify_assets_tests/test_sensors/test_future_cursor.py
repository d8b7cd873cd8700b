"""A sensor cursor from the future (a clock that jumped back, a cursor copied from another
deployment): its floor would hide every object written until the clock caught up. The
tick resets the zone with a warning in the tick's log, and goes on requesting runs."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import dagster as dg

from spotify_assets.lake.lake import Lake
from spotify_assets.sensors.raw_object_cursor import (
    DEFAULT_LAG,
    RAW_ZONE,
    SensorCursor,
    ZoneCursor,
    decode_cursor,
    encode_cursor,
    reset_future_zones,
)
from spotify_assets_tests.support.shipped import tick_shipped_sensor

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def _tick(
    instance: dg.DagsterInstance, lake: Lake, cursor: str | None, log_key: list[str]
) -> tuple[dg.SensorResult, list[dict]]:
    """A real evaluation of raw_playlist_sensor with the tick's captured log records (what
    the UI shows under the tick)."""
    return tick_shipped_sensor(instance, lake.root_url, cursor, log_key)


def _from_the_future(cursor: str, ahead: timedelta) -> str:
    state = decode_cursor(cursor)
    zone = state.zones[RAW_ZONE]
    moved = dataclasses.replace(
        zone, floor=datetime.now(timezone.utc) + ahead, swept=datetime.now(timezone.utc) + ahead
    )
    return encode_cursor(SensorCursor(zones={**state.zones, RAW_ZONE: moved}))


def test_a_cursor_from_the_future_is_reset_with_a_warning_and_runs_go_on(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 1}')
    with dg.instance_for_test() as instance:
        first, _ = _tick(instance, lake, None, ["t", "1"])
        assert [r.partition_key for r in first.run_requests] == ["2024-05-15"]

        future = _from_the_future(first.cursor, timedelta(days=365))
        lake.write_bytes("raw_playlist/dt=2024-05-16/b.json", b'{"b": 1}')
        second, log = _tick(instance, lake, future, ["t", "2"])

    warnings = [r["msg"] for r in log if r["levelname"] == "WARNING"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"sensor cursor of the raw zone ({lake.root_url}) is from the future: its floor ")
    assert "plus the lag (300 s)" in warnings[0] and warnings[0].endswith("(run keys)")
    # The new object's day is requested; the old day again under the same run key, which
    # Dagster does not launch twice.
    requests = {r.partition_key: r.run_key for r in second.run_requests}
    assert sorted(requests) == ["2024-05-15", "2024-05-16"]
    assert requests["2024-05-15"] == first.run_requests[0].run_key
    floor = decode_cursor(second.cursor).zones[RAW_ZONE].floor
    assert floor is not None and floor <= datetime.now(timezone.utc)


def test_a_quiet_tick_after_a_reset_says_so_in_its_skip_reason(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("notes/readme.txt", b"no raw objects yet")
    with dg.instance_for_test() as instance:
        first, _ = _tick(instance, lake, None, ["q", "1"])
        lake_zone = decode_cursor(first.cursor).zones[RAW_ZONE]
        future = encode_cursor(
            SensorCursor(
                zones={RAW_ZONE: dataclasses.replace(lake_zone, floor=datetime(2100, 1, 1, tzinfo=timezone.utc))}
            )
        )
        second, _ = _tick(instance, lake, future, ["q", "2"])
    assert not second.run_requests
    assert "no new raw objects" in second.skip_reason.skip_message
    assert "is from the future: its floor 2100-01-01T00:00:00Z is later than now" in second.skip_reason.skip_message


def test_only_a_floor_or_sweep_beyond_now_plus_the_lag_resets_a_zone():
    url = "s3://bucket/lake/raw_playlist/"
    limit = NOW + DEFAULT_LAG
    cases = {
        "floor at now + lag": (ZoneCursor(url=url, floor=limit, swept=NOW), False),
        "floor a second later": (ZoneCursor(url=url, floor=limit + timedelta(seconds=1), swept=NOW), True),
        "sweep started in the future": (
            ZoneCursor(url=url, floor=NOW, sweep_after="k", sweep_started=NOW + timedelta(hours=2)),
            True,
        ),
        "mark in the future (an object dated ahead)": (
            ZoneCursor(url=url, mark=NOW + timedelta(days=30), floor=NOW - DEFAULT_LAG),
            False,
        ),
    }
    for name, (zone, reset) in cases.items():
        cursor, warnings = reset_future_zones(
            SensorCursor(zones={RAW_ZONE: zone, "landing": ZoneCursor(url="s3://l/", floor=NOW)}), NOW
        )
        assert (cursor.zones[RAW_ZONE] == ZoneCursor(url=url)) is reset, name
        assert len(warnings) == int(reset), name
        assert cursor.zones["landing"] == ZoneCursor(url="s3://l/", floor=NOW), name  # the other zone is kept
