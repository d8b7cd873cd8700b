"""Hostile lake entries beside a good raw object, in a real Dagster run of raw_playlist and
the tables (and a real sensor tick): symbolic links (inside the root, out of it, dangling,
to /dev/zero, to a folder), a FIFO, a socket, a character device, a non-UTF-8 file name,
an object over SPOTIFY_RAW_MAX_BYTES, and on moto's S3 server keys with ``..`` and ``//``.

For each kind: the day is built from the good object alone (exact rows), the entry is
named with its exact reason (metadata and the raw_objects_valid check), nothing in the
lake changed (bytes, links, the FIFO), and reading ended (a thread joined with a bound;
with the size limit at 1 MB a followed /dev/zero would stop there, not fill memory)."""

from __future__ import annotations

import io
import os
import signal
from dataclasses import replace
from pathlib import Path

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest

from spotify_assets.definitions import build_resources
from spotify_assets.lake.layout import RawObject
from spotify_assets.settings import Settings
from spotify_assets.transform import build_partition_tables
from spotify_assets.vocabulary import RAW_OBJECTS_VALID, SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, REGION
from spotify_assets_tests.support.hostile_entries import (
    DOT_DOT,
    EMPTY_SEGMENT,
    call_within,
    make_hostile_entries,
    require_hostile_entries_supported,
    snapshot,
    too_large,
)
from spotify_assets_tests.support.runs import materialize_tables
from spotify_assets_tests.support.samples import HUY_HNG, HUY_HNG_SMALL, TOP50_ID, TOP50_SNAPSHOTS, ZMB3, sample_path
from spotify_assets_tests.support.shipped import tick_shipped_sensor

DT = "2024-05-15"
OTHER_DT = "2024-05-11"
DAY = f"raw_playlist/dt={DT}/"
GOOD_ID = TOP50_ID
GOOD_KEY = f"{DAY}{GOOD_ID}.json"
GOOD = TOP50_SNAPSHOTS[DT]  # 50 songs, 932,431 bytes
INSIDE = HUY_HNG_SMALL  # 41 items: the target of the link inside the root
OUTSIDE = ZMB3  # the target of the link out of the root
LARGE = HUY_HNG  # 2,574,230 bytes, 317 items: over the limit
LIMIT = 1_000_000
BOUND_S = 180  # generous bound on the run; it takes seconds, a FIFO read would never end
KINDS = {  # kind -> the entry's name in the day's folder
    "symlink-inside-root": "1InsideLinkXXXXXXXXXXX.json",
    "symlink-outside-root": "1OutsideLinkXXXXXXXXXX.json",
    "dangling-symlink": "1DanglingLinkXXXXXXXXX.json",
    "symlink-to-dev-zero": "1DevZeroLinkXXXXXXXXXX.json",
    "symlink-to-folder": "1FolderLinkXXXXXXXXXXX",
    "fifo": "1FifoXXXXXXXXXXXXXXXXX.json",
    "socket": "1SocketXXXXXXXXXXXXXXX.json",
    "char-device": "1DeviceXXXXXXXXXXXXXXX.json",
    "non-utf8-name": "1NotUtf8\\xff\\xfeXXXXXXXXXXXXX.json",
    "over-size-limit": "7csrlizJurpn6y0xenTwzu.json",
}


def _settings(lake_url: str, tmp: Path) -> Settings:
    """The environment's settings (SPOTIFY_RAW_MAX_BYTES, SPOTIFY_LANDING_URL as the test
    sets them) on this lake and catalog file."""
    return replace(Settings.from_env(), lake_url=lake_url, duckdb_path=str(tmp / "catalog.duckdb"))


def _run_bounded(lake_url: str, tmp: Path) -> dg.ExecuteInProcessResult:
    """raw_playlist + the tables for DT, in a thread that must end within BOUND_S."""
    resources = build_resources(_settings(lake_url, tmp))
    return call_within(BOUND_S, materialize_tables, DT, resources=resources, raise_on_error=False)


def _expected_tables() -> dict[str, list[dict]]:
    """The rows of a day that holds only the good object (dt is the folder, not a column)."""
    built = build_partition_tables([RawObject(dt=DT, key=GOOD_KEY, body=sample_path(GOOD).read_bytes())], [DT])
    assert not built.bad_objects
    return {name: built.tables[name].drop_columns(["dt"]).to_pylist() for name in SPOTIFY_TABLE_NAMES}


def _facts(result: dg.ExecuteInProcessResult) -> dict:
    raw = result.asset_materializations_for_node("raw_playlist")[0].metadata
    tables = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("spotify_tables")}
    check = next(c for c in result.get_asset_check_evaluations() if c.check_name == RAW_OBJECTS_VALID)
    return {
        "success": result.success,
        "raw_bad": raw["bad_objects"].value,
        "tables_bad": {t: m["bad_objects"].value for t, m in tables.items()},
        "check": check,
    }


@pytest.fixture(scope="module")
def local_day(tmp_path_factory) -> dict:
    """A local lake whose day DT holds the good object, one over the size limit and every
    hostile entry kind, run once; the facts of that run and the lake before and after."""
    require_hostile_entries_supported()
    tmp = tmp_path_factory.mktemp("hostile")
    root = tmp / "lake"
    day = root / "raw_playlist" / f"dt={DT}"
    day.mkdir(parents=True)
    (day / f"{GOOD_ID}.json").write_bytes(sample_path(GOOD).read_bytes())
    (day / KINDS["over-size-limit"]).write_bytes(sample_path(LARGE).read_bytes())
    (root / "raw_playlist" / f"dt={OTHER_DT}").mkdir()
    (root / "raw_playlist" / f"dt={OTHER_DT}" / "0lSHxL8DnuRYEhk2cmKSDH.json").write_bytes(
        sample_path(INSIDE).read_bytes()
    )
    outside = tmp / "outside" / "23Ay9WfURne0LvtlCvYTkj.json"
    outside.parent.mkdir()
    outside.write_bytes(sample_path(OUTSIDE).read_bytes())
    names = make_hostile_entries(day, outside, f"../dt={OTHER_DT}/0lSHxL8DnuRYEhk2cmKSDH.json")
    names[KINDS["over-size-limit"]] = too_large(2_574_230, LIMIT)
    before = snapshot(tmp)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPOTIFY_RAW_MAX_BYTES", str(LIMIT))
        result = _run_bounded(str(root), tmp)
        facts = _facts(result)
    return {
        "root": root,
        "tmp": tmp,
        "reasons": {DAY + n: r for n, r in names.items()},
        "before": before,
        "after": snapshot(tmp),
        **facts,
    }


def test_the_day_is_built_from_the_good_object_alone(local_day):
    assert local_day["success"]  # raw_objects_valid is not blocking: the good rows are usable
    expected = _expected_tables()
    assert len(expected["playlist_entries"]) == 50
    for name in SPOTIFY_TABLE_NAMES:
        got = pq.read_table(local_day["root"] / name / f"dt={DT}" / "data.parquet").to_pylist()
        assert got == expected[name], name


def test_every_hostile_entry_is_named_and_nothing_else(local_day):
    reasons = local_day["reasons"]
    assert local_day["raw_bad"] == reasons
    assert all(bad == reasons for bad in local_day["tables_bad"].values())
    check = local_day["check"]
    assert not check.passed
    assert check.metadata["raw_objects"].value == 1  # the good one


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_has_its_reason_in_the_check(local_day, kind):
    key = DAY + KINDS[kind]
    if key not in local_day["reasons"]:
        pytest.skip(f"{kind}: this machine does not let a test create one")
    reason = local_day["reasons"][key]
    assert local_day["raw_bad"][key] == reason
    assert f"{key}: {reason}" in local_day["check"].description.split("; ")


def test_no_entry_was_changed_followed_or_read_through(local_day):
    before, after = local_day["before"], local_day["after"]
    new = sorted(k.decode() for k in set(after) - set(before))
    # The tables' files, and the (empty) staging folder of the write-audit-publish commit.
    assert new == sorted(
        ["lake/_publish"]
        + [f"lake/{t}" for t in SPOTIFY_TABLE_NAMES]
        + [f"lake/{t}/dt={DT}" for t in SPOTIFY_TABLE_NAMES]
        + [f"lake/{t}/dt={DT}/data.parquet" for t in SPOTIFY_TABLE_NAMES]
    )
    assert {k: v for k, v in after.items() if k in before} == before  # links, FIFO, socket, device, bytes


def _tick_with_log(lake_url: str, cursor: str | None = None) -> tuple[dg.SensorResult, list[str]]:
    """A real evaluation of raw_playlist_sensor on a persistent instance, with the tick's
    captured log (what the UI's tick log shows): ``(result, log messages)``."""
    with dg.instance_for_test() as instance:
        result, records = tick_shipped_sensor(instance, lake_url, cursor, ["hostile", "tick"])
    messages = [record["msg"] for record in records]
    return result, messages


def test_a_sensor_tick_requests_the_good_days_and_says_what_it_skipped(local_day, monkeypatch):
    monkeypatch.setenv("SPOTIFY_RAW_MAX_BYTES", str(LIMIT))
    result, log = _tick_with_log(str(local_day["root"]))
    by_day = {r.partition_key: r for r in result.run_requests}
    assert sorted(by_day) == [OTHER_DT, DT]
    # The good object and the large one (the run reports it as bad); no hostile entry.
    assert by_day[DT].tags["spotify_assets/new_raw_objects"] == "2"
    (warning,) = [m for m in log if m.startswith("not read:")]
    root = local_day["root"]
    hostile = {k: r for k, r in local_day["reasons"].items() if not k.endswith(KINDS["over-size-limit"])}
    assert warning == f"not read: {len(hostile)} new lake entries: " + "; ".join(
        f"{root}/{k}: {r}" for k, r in sorted(hostile.items())
    )
    # They entered the cursor: the next tick neither requests runs nor repeats them.
    again, again_log = _tick_with_log(str(root), result.cursor)
    assert not again.run_requests and not [m for m in again_log if m.startswith("not read:")]
    assert local_day["after"] == snapshot(local_day["tmp"])


def test_keys_with_dot_dot_and_empty_segments_on_s3(s3_lake, monkeypatch, tmp_path):
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    bodies = {
        f"lake/{GOOD_KEY}": sample_path(GOOD).read_bytes(),
        f"lake/{DAY}../1DotDotXXXXXXXXXXXXXXX.json": sample_path(OUTSIDE).read_bytes(),
        f"lake/{DAY}/1EmptySegmentXXXXXXXXX.json": sample_path(INSIDE).read_bytes(),
        f"lake/{DAY}7csrlizJurpn6y0xenTwzu.json": sample_path(LARGE).read_bytes(),
    }
    for key, body in bodies.items():
        s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=body)
    reasons = {
        f"{DAY}../1DotDotXXXXXXXXXXXXXXX.json": DOT_DOT,
        f"{DAY}/1EmptySegmentXXXXXXXXX.json": EMPTY_SEGMENT,
        f"{DAY}7csrlizJurpn6y0xenTwzu.json": too_large(2_574_230, LIMIT),
    }
    monkeypatch.setenv("SPOTIFY_RAW_MAX_BYTES", str(LIMIT))

    facts = _facts(_run_bounded(s3_lake, tmp_path))
    assert facts["success"]
    assert facts["raw_bad"] == reasons
    assert all(bad == reasons for bad in facts["tables_bad"].values())
    assert facts["check"].description.split("; ") == [f"{k}: {r}" for k, r in reasons.items()]
    expected = _expected_tables()
    for name in SPOTIFY_TABLE_NAMES:
        body = s3.get_object(Bucket=LAKE_BUCKET, Key=f"lake/{name}/dt={DT}/data.parquet")["Body"].read()
        assert pq.read_table(io.BytesIO(body)).to_pylist() == expected[name], name
    for key, body in bodies.items():
        assert s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read() == body

    result, log = _tick_with_log(s3_lake)
    assert [(r.partition_key, r.tags["spotify_assets/new_raw_objects"]) for r in result.run_requests] == [(DT, "2")]
    (warning,) = [m for m in log if m.startswith("not read:")]
    assert warning == "not read: 2 new lake entries: " + "; ".join(
        f"{s3_lake}/{k}: {reasons[k]}" for k in sorted(reasons) if "7csr" not in k
    )


def test_hostile_landed_objects_are_not_read_or_copied_and_the_good_one_is(tmp_path, monkeypatch):
    """The sensor reads landed objects to copy them: a FIFO, a link to /dev/zero, one over
    the size limit and a link at the copy's destination must neither hang nor fill memory
    nor be replaced, and the good landed object is still copied and its day requested."""
    require_hostile_entries_supported()
    root, landing = tmp_path / "lake", tmp_path / "landing"
    landing.mkdir()
    (landing / "spotify_raw_2024-05-16 10:00:00.json").write_bytes(b'{"good": 1}')
    os.mkfifo(landing / "spotify_raw_2024-05-16 11:00:00.json")
    os.symlink("/dev/zero", landing / "spotify_raw_2024-05-16 12:00:00.json")
    (landing / "spotify_raw_2024-05-16 13:00:00.json").write_bytes(b"x" * 101)
    (landing / "spotify_raw_20240517.json").write_bytes(b'{"good": 2}')
    # Where spotify_raw_20240517.json would be copied, an attacker's link already waits.
    (root / "raw_playlist" / "dt=2024-05-17").mkdir(parents=True)
    os.symlink("/etc/hostname", root / "raw_playlist" / "dt=2024-05-17" / "spotify_raw_20240517.json")
    monkeypatch.setenv("SPOTIFY_LANDING_URL", str(landing))
    monkeypatch.setenv("SPOTIFY_RAW_MAX_BYTES", "100")
    before = snapshot(tmp_path)

    # In this thread (the tick's SQLite instance must not cross threads), under an alarm:
    # a blocking open or read of the FIFO is interrupted and fails the test.
    def interrupt(_signum, _frame):
        raise TimeoutError(f"the sensor tick over hostile landed objects did not end within {BOUND_S} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(BOUND_S)
    try:
        result, log = _tick_with_log(str(root))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    assert [(r.partition_key, r.tags["spotify_assets/new_raw_objects"]) for r in result.run_requests] == [
        ("2024-05-16", "1")
    ]
    after = snapshot(tmp_path)
    copied = {k: v for k, v in after.items() if k not in before}
    assert [v for v in copied.values() if v[0] == "file"] == [("file", b'{"good": 1}')]
    assert {k: v for k, v in after.items() if k in before} == before  # FIFO, links, landed bytes
    (warning,) = [m for m in log if m.startswith("not read:")]
    link_reason = "a symbolic link to '/etc/hostname': not followed (the lake reads only regular files inside its root)"
    assert (
        warning
        == "not read: 5 new lake entries: "
        + "; ".join(
            [
                f"{landing}/spotify_raw_2024-05-16 11:00:00.json: a FIFO (named pipe), not a regular file: not read",
                f"{landing}/spotify_raw_2024-05-16 12:00:00.json: a symbolic link to '/dev/zero': not followed (the lake reads only regular files inside its root)",
                f"{landing}/spotify_raw_2024-05-16 13:00:00.json: {too_large(101, 100)}",
                f"{landing}/spotify_raw_20240517.json: not copied, {root}/raw_playlist/dt=2024-05-17/spotify_raw_20240517.json is {link_reason}",
                f"{root}/raw_playlist/dt=2024-05-17/spotify_raw_20240517.json: {link_reason}",  # and the link itself, in the raw zone
            ]
        )
    )
