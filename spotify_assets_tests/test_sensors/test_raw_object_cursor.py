"""The sensor's pure cursor (``spotify_assets.sensors.raw_object_cursor``) called directly:
what is new since the cursor (floor, mark, seen), how a tick moves them, the compact JSON,
the run keys and the zone checks. The sensor evaluated by Dagster over real listings is in
test_raw_playlist_sensor.py and test_future_cursor.py."""

import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from spotify_assets.lake.lake import ObjectInfo
from spotify_assets.sensors.raw_object_cursor import (
    DEFAULT_LAG,
    SensorCursor,
    ZoneCursor,
    ZoneOverlapError,
    advance_zone,
    check_zones_disjoint,
    decode_cursor,
    encode_cursor,
    format_utc,
    new_objects,
    object_digest,
    recent_raw_prefixes,
    run_key_for,
    sweep_start,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
URL = "s3://bucket/lake/raw_playlist/"


def _object(name: str, etag: str, at: datetime) -> ObjectInfo:
    return ObjectInfo(f"raw_playlist/dt=2026-11-20/{name}.json", etag, at, 2)


def test_object_digest_is_72_bits_of_key_and_etag_in_base64url():
    digest = object_digest("raw_playlist/dt=2026-11-20/a.json", "e1")
    assert len(digest) == 12 and len(base64.urlsafe_b64decode(digest)) == 9
    assert digest == object_digest("raw_playlist/dt=2026-11-20/a.json", "e1")
    assert digest != object_digest("raw_playlist/dt=2026-11-20/a.json", "e2")  # a rewrite is another object
    assert digest != object_digest("raw_playlist/dt=2026-11-20/b.json", "e1")


def test_new_objects_are_those_above_the_floor_not_yet_seen_in_listing_order():
    floor = NOW - timedelta(minutes=5)
    at_floor, seen, rewritten, fresh = (
        _object("at-floor", "e", floor),
        _object("seen", "e", NOW),
        _object("rewritten", "e2", NOW),
        _object("fresh", "e", NOW + timedelta(seconds=1)),
    )
    zone = ZoneCursor(
        url=URL,
        floor=floor,
        seen={
            int(NOW.timestamp()): frozenset(
                {object_digest(seen.key, seen.etag), object_digest(rewritten.key, "e1")}  # the old ETag
            )
        },
    )
    assert new_objects([fresh, at_floor, seen, rewritten], zone) == [fresh, rewritten]
    assert new_objects([at_floor, seen], ZoneCursor(url=URL)) == [at_floor, seen]  # no floor: all are new


def test_a_completed_sweep_lifts_the_floor_to_the_mark_minus_the_lag_and_keeps_the_digests_above_it():
    listing = [_object("a", "e", NOW - timedelta(minutes=20)), _object("b", "e", NOW - timedelta(minutes=1))]
    zone = advance_zone(URL, listing, ZoneCursor(url=URL), NOW)
    assert zone.mark == NOW - timedelta(minutes=1)
    # max(min(mark, started) - lag, started - 2 * lag), with the sweep started now.
    assert zone.floor == NOW - timedelta(minutes=6) and zone.swept == NOW and zone.sweep_after is None
    minute = int((NOW - timedelta(minutes=1)).timestamp())
    assert zone.seen == {minute: frozenset({object_digest("raw_playlist/dt=2026-11-20/b.json", "e")})}
    assert new_objects(listing, zone) == []


def test_a_quiet_zone_floor_follows_the_clock_and_neither_mark_nor_floor_moves_back():
    old = _object("a", "e", NOW - timedelta(hours=2))
    first = advance_zone(URL, [old], ZoneCursor(url=URL), NOW)
    assert first.floor == NOW - 2 * DEFAULT_LAG  # the mark is older than two lags
    later = advance_zone(URL, [], first, NOW + timedelta(hours=1))
    assert later.mark == old.last_modified and later.floor == NOW + timedelta(hours=1) - 2 * DEFAULT_LAG
    earlier = advance_zone(URL, [], later, NOW - timedelta(days=1))  # a clock set back
    assert earlier.floor == later.floor and earlier.mark == later.mark


def test_a_sweep_in_progress_keeps_the_floor_and_sweep_start_resumes_it():
    zone = advance_zone(URL, [_object("a", "e", NOW)], ZoneCursor(url=URL), NOW, sweep_after="raw_playlist/dt=2024/x")
    assert (zone.floor, zone.sweep_after, zone.sweep_started, zone.swept) == (None, "raw_playlist/dt=2024/x", NOW, None)
    assert sweep_start(zone, NOW + timedelta(seconds=30)) == ("raw_playlist/dt=2024/x", NOW)
    assert sweep_start(ZoneCursor(url=URL), NOW) == (None, NOW)


def test_a_zone_kept_for_another_url_starts_afresh():
    kept = ZoneCursor(url="/old/lake", mark=NOW, floor=NOW, seen={0: frozenset({"x"})})
    cursor = SensorCursor({"raw": kept})
    assert cursor.zone("raw", "/old/lake") is kept
    assert cursor.zone("raw", "/new/lake") == ZoneCursor(url="/new/lake")
    assert cursor.zone("landing", "/landing") == ZoneCursor(url="/landing")
    moved = advance_zone("/new/lake", [], kept, NOW)
    assert moved.mark is None and moved.seen == {} and moved.floor == NOW - 2 * DEFAULT_LAG


def test_the_cursor_is_compact_json_with_sorted_digests_and_reads_back_equal():
    zone = ZoneCursor(
        url=URL,
        mark=NOW,
        floor=NOW - DEFAULT_LAG,
        seen={int(NOW.timestamp()): frozenset({"b", "a"})},
        sweep_after="raw_playlist/dt=2026-11-01/x.json",
        sweep_started=NOW - timedelta(seconds=30),
        swept=None,
    )
    text = encode_cursor(SensorCursor({"raw": zone}))
    assert text == (
        '{"v":2,"zones":{"raw":{"url":"s3://bucket/lake/raw_playlist/","mark":"2026-11-20T10:00:00Z",'
        '"floor":"2026-11-20T09:55:00Z","seen":{"1795168800":["a","b"]},'
        '"sweep_after":"raw_playlist/dt=2026-11-01/x.json","sweep_started":"2026-11-20T09:59:30Z","swept":null}}}'
    )
    assert decode_cursor(text) == SensorCursor({"raw": zone})
    assert decode_cursor(None) == decode_cursor("") == SensorCursor()
    assert json.loads(encode_cursor(SensorCursor())) == {"v": 2, "zones": {}}


def test_format_utc_gives_z_times_with_microseconds_only_when_set():
    assert format_utc(NOW) == "2026-11-20T10:00:00Z"
    assert format_utc(NOW.replace(microsecond=1234)) == "2026-11-20T10:00:00.001234Z"
    assert format_utc(datetime(2026, 11, 20, 11, 0, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-20T10:00:00Z"
    assert format_utc(None) == "none"


def test_recent_raw_prefixes_are_the_days_up_to_today_oldest_first():
    assert recent_raw_prefixes(date(2026, 3, 1), 2) == [
        "raw_playlist/dt=2026-02-27/",
        "raw_playlist/dt=2026-02-28/",
        "raw_playlist/dt=2026-03-01/",
    ]
    assert recent_raw_prefixes(date(2026, 3, 1), 0) == ["raw_playlist/dt=2026-03-01/"]


def test_a_run_key_is_the_day_and_a_digest_of_its_objects_in_any_order():
    triggers = [("raw", "raw_playlist/dt=2026-11-20/a.json", "e1"), ("landing", "seed.json", "e2")]
    key = run_key_for("2026-11-20", triggers)
    assert key.startswith("2026-11-20:") and len(key) == len("2026-11-20:") + 16
    assert key == run_key_for("2026-11-20", list(reversed(triggers)))
    assert key != run_key_for("2026-11-20", [triggers[0], ("landing", "seed.json", "e3")])  # a rewritten object
    assert key != run_key_for("2026-11-21", triggers)


@pytest.mark.parametrize(
    ("raw_zone", "landing"),
    [
        ("s3://bucket/lake/raw_playlist/", "s3://bucket/lake/"),  # the landing location holds the raw zone
        ("s3://bucket/lake/raw_playlist", "s3://bucket/lake/raw_playlist/to_processed/"),  # inside it
        ("/data/lake/raw_playlist", "file:///data/lake"),
    ],
)
def test_a_landing_location_overlapping_the_raw_zone_is_refused_naming_both(raw_zone, landing):
    with pytest.raises(ZoneOverlapError, match=f"SPOTIFY_LANDING_URL='{landing}' overlaps the lake's raw zone"):
        check_zones_disjoint(raw_zone, landing)


def test_separate_landing_locations_are_accepted():
    check_zones_disjoint("s3://bucket/lake/raw_playlist/", "s3://bucket/landing/")
    check_zones_disjoint("s3://bucket/lake/raw_playlist/", "s3://bucket/lake/raw_playlist_landing/")  # not a prefix
    check_zones_disjoint("/bucket/lake/raw_playlist", "s3://bucket/lake/")  # a folder and a bucket never overlap
