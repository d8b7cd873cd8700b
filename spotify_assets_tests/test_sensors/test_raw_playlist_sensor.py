"""raw_playlist_sensor against real listings: a local folder and moto's S3 server over
HTTP, evaluated by Dagster with a real (ephemeral) instance."""

import dataclasses
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake, ObjectInfo
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.sensors.raw_object_cursor import (
    DEFAULT_LAG,
    CursorError,
    SensorCursor,
    ZoneCursor,
    ZoneOverlapError,
    advance_zone,
    decode_cursor,
    encode_cursor,
    landing_copy_key,
    landing_partition_date,
    new_objects,
    object_digest,
)
from spotify_assets.sensors.raw_playlist_sensor import build_raw_playlist_sensor
from spotify_assets.settings import Settings
from spotify_assets_tests.support.expected import expected_songs
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, REGION
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.shipped import shipped_raw_playlist_sensor

LANDING_BUCKET = "spotify-landing-test"
SEED_NAME = "spotify_raw_2024-05-16 10:22:33.123456.json"  # the seed Lambda: str(datetime.now())
RUN_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}:[0-9a-f]{16}$")
TABLES = {dg.AssetKey(name) for name in ("songs", "albums", "artists", "playlist_entries")}


def _zones(kind, request, tmp_path, monkeypatch) -> tuple[Lake, Lake]:
    if kind == "folder":
        lake_url, landing_url = str(tmp_path / "lake"), str(tmp_path / "landing")
    else:
        lake_url = request.getfixturevalue("s3_lake")
        boto3.session.Session(region_name=REGION).client("s3").create_bucket(Bucket=LANDING_BUCKET)
        landing_url = f"s3://{LANDING_BUCKET}/raw_data/to_processed/"
    monkeypatch.setenv("SPOTIFY_LANDING_URL", landing_url)
    return Lake(lake_url), Lake(landing_url)


@pytest.fixture(params=["folder", "s3"])
def zones(request, tmp_path, monkeypatch):
    """``(lake, landing)``: two ``Lake``s on local folders or on moto S3 buckets;
    SPOTIFY_LANDING_URL points at the landing one."""
    return _zones(request.param, request, tmp_path, monkeypatch)


@pytest.fixture
def local_zones(request, tmp_path, monkeypatch):
    """``(lake, landing)`` on local folders only (the S3 listing is covered above)."""
    return _zones("folder", request, tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def instance():
    # A direct sensor evaluation records nothing in the instance, so tests may share one.
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def tick(instance):
    """``tick(lake, cursor=None, sensor=<the shipped one>, instance=<shared>)`` → SensorResult;
    the shipped sensor is built at each tick, from the environment the test set by then."""

    def evaluate(lake: Lake, cursor: str | None = None, sensor=None, instance=instance):
        sensor = sensor or shipped_raw_playlist_sensor()
        context = dg.build_sensor_context(
            cursor=cursor, instance=instance, resources={"lake": LakeResource(lake_url=lake.root_url)}
        )
        result = sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    return evaluate


def partitions(result) -> list[str]:
    return [r.partition_key for r in result.run_requests]


def events_by_partition(result) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for event in result.asset_events:
        assert event.asset_key == dg.AssetKey("raw_playlist")
        out.setdefault(event.partition, []).append({k: v.value for k, v in event.metadata.items()})
    return out


def listed(lake: Lake, key: str) -> ObjectInfo:
    return next(o for o in lake.list_objects(key) if o.key == key)


def test_one_tick_copies_landed_objects_and_requests_one_run_per_partition(zones, tick):
    lake, landing = zones
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 1}')
    lake.write_bytes("raw_playlist/dt=2024-05-15/b.json", b'{"b": 2}')
    landing.write_bytes(SEED_NAME, b'{"seed": 1}')
    landing.write_bytes("spotify_raw_20240517T102233.json", b'{"seed": 2}')
    landing.write_bytes("sub/spotify_raw_2024-05-17T10-22-33.json", b'{"seed": 3}')
    landing.write_bytes("playlist_export.json", b'{"no date": 1}')  # dated by LastModified
    landing.write_bytes("_SUCCESS", b"")  # not JSON: ignored
    originals = {o.key: o.etag for o in landing.list_objects()}
    modified_day = listed(landing, "playlist_export.json").last_modified.date().isoformat()

    first = tick(lake)
    assert partitions(first) == ["2024-05-15", "2024-05-16", "2024-05-17", modified_day]
    assert all(RUN_KEY.match(r.run_key) and r.run_key.startswith(r.partition_key) for r in first.run_requests)
    assert [r.tags["spotify_assets/new_raw_objects"] for r in first.run_requests] == ["2", "1", "2", "1"]
    if not lake.is_s3:  # (once is enough: a local rewrite is the one that would change an ETag)
        # The same objects give the same run keys, so Dagster dedupes even after a lost
        # cursor; and the re-copy leaves the copies as they were.
        copies = {o.key: o.etag for o in lake.list_objects("raw_playlist")}
        assert [r.run_key for r in tick(lake).run_requests] == [r.run_key for r in first.run_requests]
        assert {o.key: o.etag for o in lake.list_objects("raw_playlist")} == copies

    seed_copy = landing_copy_key(SEED_NAME, "2024-05-16")
    assert re.fullmatch(
        r"raw_playlist/dt=2024-05-16/spotify_raw_2024-05-16_10_22_33_123456-[0-9a-f]{10}\.json", seed_copy
    )
    assert lake.read_bytes(seed_copy) == b'{"seed": 1}'
    assert lake.read_bytes("raw_playlist/dt=2024-05-17/spotify_raw_20240517T102233.json") == b'{"seed": 2}'
    assert lake.read_bytes(f"raw_playlist/dt={modified_day}/playlist_export.json") == b'{"no date": 1}'
    assert {o.key: o.etag for o in landing.list_objects()} == originals  # originals untouched
    assert landing.read_bytes(SEED_NAME) == b'{"seed": 1}'

    events = events_by_partition(first)
    assert [e["source"] for e in events["2024-05-15"]] == ["outside producer"]
    assert sorted(events["2024-05-15"][0]["raw_objects"]) == [
        lake.url("raw_playlist/dt=2024-05-15/a.json"),
        lake.url("raw_playlist/dt=2024-05-15/b.json"),
    ]
    assert events["2024-05-16"] == [
        {
            "source_key": landing.url(SEED_NAME),
            "copied_to": lake.url(seed_copy),
            "etag": originals[SEED_NAME],
            "size_bytes": 11,
            "date_from": "name",
        }
    ]
    assert len(events["2024-05-17"]) == 2
    assert [e["date_from"] for e in events[modified_day]] == ["last_modified"]

    # Next tick from the returned cursor: the copies and the originals are not new.
    second = tick(lake, first.cursor)
    assert second.run_requests == [] and second.asset_events == []
    assert second.skip_reason.skip_message.startswith(
        f"no new raw objects: listed 6 objects under {lake.url('raw_playlist')}/ and 4 under {os.environ['SPOTIFY_LANDING_URL']}"
    )
    assert "cursor high-water mark 20" in second.skip_reason.skip_message

    # A later landed object and a rewritten raw object (same key, new ETag): one run each.
    landing.write_bytes("spotify_raw_2024-05-16 18:00:00.000001.json", b'{"seed": 4}')
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 111}')
    third = tick(lake, second.cursor)
    assert partitions(third) == ["2024-05-15", "2024-05-16"]
    assert [r.tags["spotify_assets/new_raw_objects"] for r in third.run_requests] == ["1", "1"]
    assert {r.run_key for r in third.run_requests}.isdisjoint(r.run_key for r in first.run_requests)
    assert tick(lake, third.cursor).run_requests == []


def test_more_than_1000_keys_on_s3_one_run_per_partition(s3_lake, monkeypatch, tick):
    client = boto3.session.Session(region_name=REGION).client("s3")
    days = [f"2024-05-{d:02d}" for d in range(10, 15)]
    # 1,001 keys: S3 lists 1,000 per page. The key of the 1,001st sorts last of all.
    keys = [f"lake/raw_playlist/dt={days[i % 4]}/p{i:05d}.json" for i in range(1000)] + [
        f"lake/raw_playlist/dt={days[4]}/last.json"
    ]
    with ThreadPoolExecutor(4) as pool:  # moto serves in this process: more threads only contend
        list(pool.map(lambda k: client.put_object(Bucket=LAKE_BUCKET, Key=k, Body=b"{}"), keys))

    # The default share of a tick is one page (1,000 keys): the sweep takes two ticks.
    first = tick(Lake(s3_lake))
    assert partitions(first) == days[:4]
    assert [r.tags["spotify_assets/new_raw_objects"] for r in first.run_requests] == ["250"] * 4
    second = tick(Lake(s3_lake), first.cursor)
    assert partitions(second) == days[4:] and second.run_requests[0].tags["spotify_assets/new_raw_objects"] == "1"
    assert tick(Lake(s3_lake), second.cursor).run_requests == []

    # With 2,000 keys a tick, one tick pages through both ListObjectsV2 pages.
    monkeypatch.setenv("SPOTIFY_SENSOR_SWEEP_KEYS", "2000")
    result = tick(Lake(s3_lake))
    assert partitions(result) == days
    assert [r.tags["spotify_assets/new_raw_objects"] for r in result.run_requests] == ["250", "250", "250", "250", "1"]
    seen = json.loads(result.cursor)["zones"]["raw"]["seen"]
    assert sum(len(d) for d in seen.values()) == 1001  # all written within the lag
    assert tick(Lake(s3_lake), result.cursor).run_requests == []


def test_object_with_last_modified_equal_to_the_mark_is_picked_up(tmp_path, tick):
    lake = Lake(str(tmp_path / "lake"))
    # A whole second a minute ago: what S3's second-resolution LastModified looks like.
    same_second = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    for name in ("a", "b"):
        lake.write_bytes(f"raw_playlist/dt=2024-05-15/{name}.json", b"{}")
        os.utime(lake.path(f"raw_playlist/dt=2024-05-15/{name}.json"), (same_second.timestamp(),) * 2)
    first = tick(lake)
    assert json.loads(first.cursor)["zones"]["raw"]["mark"] == same_second.strftime("%Y-%m-%dT%H:%M:%SZ")

    lake.write_bytes("raw_playlist/dt=2024-05-15/c.json", b"{}")
    os.utime(lake.path("raw_playlist/dt=2024-05-15/c.json"), (same_second.timestamp(),) * 2)
    second = tick(lake, first.cursor)
    assert partitions(second) == ["2024-05-15"]
    assert second.run_requests[0].tags["spotify_assets/new_raw_objects"] == "1"


def test_same_second_object_on_s3_from_a_cursor_whose_mark_is_its_last_modified(s3_lake, tick):
    lake = Lake(s3_lake)
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b"{}")
    lake.write_bytes("raw_playlist/dt=2024-05-15/b.json", b"{}")
    a, b = lake.list_objects("raw_playlist")
    zone = ZoneCursor(
        url=s3_lake,
        mark=b.last_modified,
        floor=b.last_modified - DEFAULT_LAG,
        seen={0: frozenset({object_digest(a.key, a.etag)})},
    )
    cursor = encode_cursor(SensorCursor({"raw": zone}))
    result = tick(lake, cursor)
    assert partitions(result) == ["2024-05-15"]
    assert result.run_requests[0].tags["spotify_assets/new_raw_objects"] == "1"  # b only


def test_restart_from_a_saved_cursor(local_zones, tick):
    lake, landing = local_zones
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b"{}")
    landing.write_bytes(SEED_NAME, b"{}")
    saved = json.dumps({"cursor": tick(lake).cursor})  # e.g. kept by the instance

    # A new process: a new sensor definition, a new instance, the cursor read back.
    restarted = build_raw_playlist_sensor()
    cursor = json.loads(saved)["cursor"]
    assert tick(lake, cursor, sensor=restarted).run_requests == []
    lake.write_bytes("raw_playlist/dt=2024-05-18/a.json", b"{}")
    result = tick(lake, cursor, sensor=restarted)
    assert partitions(result) == ["2024-05-18"]


def test_landed_object_without_a_date_in_its_name_is_dated_by_last_modified(local_zones, tick):
    lake, landing = local_zones
    landing.write_bytes("playlist_export.json", b'{"x": 1}')
    landing.write_bytes("dt=2024-05-20/export.json", b'{"x": 2}')
    moment = datetime(2024, 6, 1, 23, 59, 59, tzinfo=timezone.utc).timestamp()  # a folder lets the test choose
    os.utime(landing.path("playlist_export.json"), (moment, moment))

    result = tick(lake)
    assert partitions(result) == ["2024-05-20", "2024-06-01"]
    assert lake.read_bytes("raw_playlist/dt=2024-06-01/playlist_export.json") == b'{"x": 1}'
    assert events_by_partition(result)["2024-06-01"][0]["date_from"] == "last_modified"
    copy = landing_copy_key("dt=2024-05-20/export.json", "2024-05-20")
    assert events_by_partition(result)["2024-05-20"][0]["date_from"] == "dt= in key"
    assert lake.read_bytes(copy) == b'{"x": 2}'


def test_objects_dated_outside_the_partitions_are_skipped_and_said(local_zones, tick):
    lake, landing = local_zones
    landing.write_bytes("spotify_raw_2099-01-01 00:00:00.json", b"{}")
    landing.write_bytes("spotify_raw_2022-12-31 23:59:59.json", b"{}")
    lake.write_bytes("raw_playlist/no_partition.json", b"{}")
    result = tick(lake)
    assert result.run_requests == [] and result.asset_events == []
    assert "skipped 3 new object(s) without a partition" in result.skip_reason.skip_message
    assert [o.key for o in lake.list_objects("raw_playlist")] == ["raw_playlist/no_partition.json"]  # nothing copied
    assert "skipped" not in tick(lake, result.cursor).skip_reason.skip_message  # said once


def test_objects_from_our_own_run_get_no_extra_materialization(tmp_path, tick):
    lake = Lake(str(tmp_path / "lake"))
    instance = dg.DagsterInstance.ephemeral()
    lake.write_bytes("raw_playlist/dt=2024-05-15/37i9dQZEVXbMDoHDwVN2tF.json", b"{}")
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="raw_playlist", partition="2024-05-15"))
    result = tick(lake, instance=instance)
    assert partitions(result) == ["2024-05-15"] and result.asset_events == []

    # An outside producer adds an object after that materialization: recorded.
    lake.write_bytes("raw_playlist/dt=2024-05-15/other.json", b"{}")
    later = (datetime.now(timezone.utc) + timedelta(seconds=60)).timestamp()
    os.utime(lake.path("raw_playlist/dt=2024-05-15/other.json"), (later, later))
    second = tick(lake, result.cursor, instance=instance)
    assert list(events_by_partition(second)) == ["2024-05-15"]
    assert list(events_by_partition(second)["2024-05-15"][0]["raw_objects"]) == [
        lake.url("raw_playlist/dt=2024-05-15/other.json")
    ]


def test_landing_location_overlapping_the_lake_is_refused(tmp_path, monkeypatch, tick):
    lake = Lake(str(tmp_path / "lake"))
    monkeypatch.setenv("SPOTIFY_LANDING_URL", str(tmp_path))
    with pytest.raises(ZoneOverlapError, match="overlaps the lake's raw zone"):
        tick(lake)


def test_sensor_targets_the_four_tables_and_runs_them_on_a_landed_seed_object(tmp_path, lake_dir, monkeypatch, tick):
    """The run request, executed: a seed-format landed object becomes rows of songs."""
    body = sample_path("rahmah95/spotify_data.json").read_bytes()
    monkeypatch.setenv("SPOTIFY_LANDING_URL", str(tmp_path / "landing"))
    Lake(str(tmp_path / "landing")).write_bytes("spotify_raw_2023-10-27 08:00:00.000000.json", body)
    lake = Lake(str(lake_dir))
    defs = dg.Definitions(
        assets=[raw_playlist, spotify_tables],
        sensors=[shipped_raw_playlist_sensor()],
        resources=build_resources(Settings.from_env()),
    )
    sensor = defs.resolve_sensor_def("raw_playlist_sensor")
    job = defs.resolve_job_def(sensor.job_name)
    assert job.asset_layer.executable_asset_keys == TABLES
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED and sensor.minimum_interval_seconds == 30

    instance = dg.DagsterInstance.ephemeral()
    (request,) = tick(lake, instance=instance, sensor=sensor).run_requests
    assert request.partition_key == "2023-10-27"
    result = job.execute_in_process(partition_key=request.partition_key, instance=instance)
    assert result.success
    songs = pq.read_table(lake.path("songs/dt=2023-10-27/data.parquet"))
    items = json.loads(body)["items"]
    assert sorted(songs.column("song_id").to_pylist()) == sorted(expected_songs(items))
    entries = pq.read_table(lake.path("playlist_entries/dt=2023-10-27/data.parquet"))
    assert set(entries.column("playlist_id").to_pylist()) == {"37i9dQZEVXbNG2KDcFcKOF"}


# --- the pure logic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("spotify_raw_2024-05-15 10:22:33.123456.json", ("2024-05-15", "name")),
        ("spotify_raw_20240515T102233.json", ("2024-05-15", "name")),
        ("spotify_raw_2024-05-15T10-22-33Z.json", ("2024-05-15", "name")),
        ("to_processed/spotify_raw_20240515.json", ("2024-05-15", "name")),
        ("raw/dt=2024-05-14/spotify_raw_2024-05-15.json", ("2024-05-14", "dt= in key")),
        ("playlist_37i9dQZEVXbMDoHDwVN2tF_20.json", ("2024-06-01", "last_modified")),
        ("spotify_raw_2024-13-40 10:00:00.json", ("2024-06-01", "last_modified")),
    ],
)
def test_landing_partition_date(key, expected):
    modified = datetime(2024, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5))).astimezone(timezone.utc)
    # 23:30 at UTC-5 is 04:30 UTC on June 2nd: the UTC date counts.
    expected = ("2024-06-02", "last_modified") if expected[1] == "last_modified" else expected
    assert landing_partition_date(ObjectInfo(key=key, etag="e", last_modified=modified, size=1)) == expected


def test_landing_copy_key_is_safe_and_unique():
    assert (
        landing_copy_key("spotify_raw_20240515T102233.json", "2024-05-15")
        == "raw_playlist/dt=2024-05-15/spotify_raw_20240515T102233.json"
    )
    seed = landing_copy_key("spotify_raw_2024-05-15 10:22:33.123456.json", "2024-05-15")
    assert re.fullmatch(r"raw_playlist/dt=2024-05-15/spotify_raw_2024-05-15_10_22_33_123456-[0-9a-f]{10}\.json", seed)
    assert landing_copy_key("a/x.json", "2024-05-15") != landing_copy_key("b/x.json", "2024-05-15")
    # Never the name of one of our own raw objects (<playlist_id>.json).
    assert (
        landing_copy_key("37i9dQZEVXbMDoHDwVN2tF.json", "2024-05-15")
        != "raw_playlist/dt=2024-05-15/37i9dQZEVXbMDoHDwVN2tF.json"
    )
    assert re.fullmatch(
        r"raw_playlist/dt=2024-05-15/object-[0-9a-f]{10}\.json", landing_copy_key("../?.json", "2024-05-15")
    )


def test_cursor_stays_small_for_10000_objects_and_misses_none():
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    listing = [
        ObjectInfo(
            f"raw_playlist/dt=2024-01-{1 + i // 1440 % 28:02d}/{i}.json", f"e{i}", start + timedelta(minutes=i), 2
        )
        for i in range(10_000)
    ]
    mark = listing[-1].last_modified
    empty = ZoneCursor(url="s3://b/lake")
    assert len(new_objects(listing, empty)) == 10_000
    zone = advance_zone("s3://b/lake", listing, empty, now=mark + timedelta(seconds=1))
    cursor = encode_cursor(SensorCursor({"raw": zone}))
    # The objects of the last 5 minutes before the mark, and the one on the floor itself
    # (kept by the minute of its LastModified).
    assert len(zone.seen_digests) == 6 and len(cursor) < 500
    assert new_objects(listing, decode_cursor(cursor).zones["raw"]) == []
    rewritten = ObjectInfo(listing[-1].key, "new-etag", listing[-1].last_modified, 3)
    assert new_objects([*listing[:-1], rewritten], zone) == [rewritten]
    # A burst of 10,000 in one second, then nothing: seen empties as the clock moves on.
    burst = [ObjectInfo(f"raw_playlist/dt=2024-01-01/{i}.json", "e", mark, 2) for i in range(10_000)]
    assert len(advance_zone("s3://b/lake", burst, empty, now=mark).seen_digests) == 10_000
    later = advance_zone(
        "s3://b/lake", burst, advance_zone("s3://b/lake", burst, empty, now=mark), now=mark + timedelta(minutes=11)
    )
    assert later.seen == {} and new_objects(burst, later) == []
    assert later.mark == mark and later.floor == mark + timedelta(minutes=1)


def test_an_object_dated_in_the_future_does_not_hide_later_objects():
    now = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    future = ObjectInfo("raw_playlist/dt=2026-11-20/touched.json", "e1", datetime(2030, 1, 1, tzinfo=timezone.utc), 2)
    zone = advance_zone("/lake", [future], ZoneCursor(url="/lake"), now=now)
    assert zone.mark == future.last_modified and zone.floor == now - DEFAULT_LAG
    written = ObjectInfo("raw_playlist/dt=2026-11-20/next.json", "e2", now + timedelta(seconds=30), 2)
    assert new_objects([future, written], zone) == [written]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"v": 9, "zones": {}}', "not a version 2 cursor"),
        ('{"v": 2, "zones": {"raw": {"url": "x"}}}', "zone 'raw' is malformed"),
    ],
)
def test_a_foreign_cursor_is_refused_with_the_reason(text, message):
    with pytest.raises(CursorError, match=message):
        decode_cursor(text)


def test_a_version_1_cursor_is_read_and_its_digests_kept_until_a_sweep_passes_them():
    mark = datetime(2026, 11, 20, 10, 0, 30, tzinfo=timezone.utc)
    v1 = json.dumps(
        {
            "v": 1,
            "zones": {
                "raw": {
                    "url": "/lake",
                    "mark": "2026-11-20T10:00:30Z",
                    "floor": "2026-11-20T09:55:30Z",
                    "seen": ["abc"],
                    "swept": None,
                }
            },
        }
    )
    zone = decode_cursor(v1).zones["raw"]
    assert zone.seen_digests == {"abc"} and zone.mark == mark and zone.sweep_after is None
    obj = ObjectInfo("raw_playlist/dt=2026-11-20/a.json", "e", mark, 2)
    assert new_objects([obj], dataclasses.replace(zone, seen={0: frozenset({object_digest(obj.key, obj.etag)})})) == []
    assert advance_zone("/lake", [], zone, now=mark + timedelta(minutes=11)).seen == {}


# --- rolling sweeps: a tick lists recent folders + SPOTIFY_SENSOR_SWEEP_KEYS keys --------


def _objects(n: int, start: datetime) -> list[ObjectInfo]:
    return [
        ObjectInfo(f"raw_playlist/dt=2024-01-{1 + i % 28:02d}/{i:05d}.json", f"e{i}", start + timedelta(seconds=i), 2)
        for i in range(n)
    ]


def test_a_sweep_over_several_ticks_finds_every_object_once_and_moves_the_floor_only_at_its_end():
    start = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    objects = sorted(_objects(25, start), key=lambda o: o.key)
    zone, found, now = ZoneCursor(url="/lake"), [], start + timedelta(hours=1)
    for page in (objects[:10], objects[10:20]):
        found += new_objects(page, zone)
        zone = advance_zone("/lake", page, zone, now, sweep_started=zone.sweep_started or now, sweep_after=page[-1].key)
        assert (
            zone.floor is None and zone.sweep_after == page[-1].key and zone.sweep_started == start + timedelta(hours=1)
        )
        now += timedelta(seconds=30)
    # Meanwhile an object is written into a folder the sweep has passed.
    behind = ObjectInfo("raw_playlist/dt=2024-01-01/late.json", "x", now, 2)
    found += new_objects(objects[20:], zone)
    zone = advance_zone("/lake", objects[20:], zone, now, sweep_started=zone.sweep_started, sweep_after=None)
    assert sorted(o.key for o in found) == [o.key for o in objects]  # each once
    # The floor follows the sweep's start (minus twice the lag: the newest object is older
    # than that), not this tick's time: the late object is above it.
    assert zone.floor == start + timedelta(hours=1) - 2 * DEFAULT_LAG and zone.swept == start + timedelta(hours=1)
    assert zone.sweep_after is None and zone.seen == {}
    assert new_objects([*objects, behind], zone) == [behind]


def test_rolling_sweep_ticks_on_s3_find_today_at_once_and_old_folders_when_the_sweep_passes(s3_lake, monkeypatch, tick):
    monkeypatch.setenv("SPOTIFY_SENSOR_SWEEP_KEYS", "4")
    lake = Lake(s3_lake)
    today = datetime.now(timezone.utc).date().isoformat()
    for day in range(10, 20):
        lake.write_bytes(f"raw_playlist/dt=2024-05-{day}/a.json", b"{}")
    ticks = [tick(lake)]
    while json.loads(ticks[-1].cursor)["zones"]["raw"]["sweep_after"] is not None:
        ticks.append(tick(lake, ticks[-1].cursor))
    assert len(ticks) == 3  # 10 keys, 4 a tick
    assert [partitions(t) for t in ticks] == [
        [f"2024-05-{d}" for d in range(10, 14)],
        [f"2024-05-{d}" for d in range(14, 18)],
        ["2024-05-18", "2024-05-19"],
    ]
    quiet = tick(lake, ticks[-1].cursor).skip_reason.skip_message
    assert (
        "listed 4 objects" in quiet
        and "4 keys of the rolling sweep started" in quiet
        and "continues after raw_playlist/dt=2024-05-13/a.json" in quiet
    )

    # Today's folder is listed on every tick; an old folder when the next sweep reaches it.
    lake.write_bytes(f"raw_playlist/dt={today}/b.json", b"{}")
    lake.write_bytes("raw_playlist/dt=2024-05-11/late.json", b"{}")
    first = tick(lake, ticks[-1].cursor)  # a new sweep: keys 10..13 of the old folders
    assert partitions(first) == ["2024-05-11", today]
    assert [r.tags["spotify_assets/new_raw_objects"] for r in first.run_requests] == ["1", "1"]
    cursor, more = first.cursor, []
    for _ in range(4):
        result = tick(lake, cursor)
        more += result.run_requests
        cursor = result.cursor
    assert more == []  # nothing found twice over the rest of the sweep and the next


def test_sweep_keys_setting_is_checked(monkeypatch, tmp_path, tick):
    monkeypatch.setenv("SPOTIFY_SENSOR_SWEEP_KEYS", "many")
    with pytest.raises(Exception, match=r"SPOTIFY_SENSOR_SWEEP_KEYS='many': expected a whole number of keys"):
        tick(Lake(str(tmp_path / "lake")))


def test_sweep_keys_0_lists_the_whole_zone_every_tick(tmp_path, monkeypatch, tick):
    monkeypatch.setenv("SPOTIFY_SENSOR_SWEEP_KEYS", "0")
    lake = Lake(str(tmp_path / "lake"))
    for day in range(10, 20):
        lake.write_bytes(f"raw_playlist/dt=2024-05-{day}/a.json", b"{}")
    first = tick(lake)
    assert len(first.run_requests) == 10 and json.loads(first.cursor)["zones"]["raw"]["sweep_after"] is None
    lake.write_bytes("raw_playlist/dt=2024-05-10/late.json", b"{}")
    second = tick(lake, first.cursor)
    assert partitions(second) == ["2024-05-10"]
