"""Lake entries that are never read: symbolic links, FIFOs, devices, sockets, non-UTF-8
names (a real local folder), keys with ``..``/``//`` (moto's S3 server), objects above
the size limit, and entries swapped between listing and reading. Each is listed with
its reason (only on request), refused by ``read_bytes``, and left as it was."""

from __future__ import annotations

import os

import boto3
import pytest

from spotify_assets.lake.lake import Lake, LakeEntryError, key_problem, printable_key
from spotify_assets.lake.layout import read_raw_days, read_raw_objects
from spotify_assets.lake.summary import describe_day
from spotify_assets.settings import Settings, SettingsError
from spotify_assets_tests.support import hostile_entries
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, REGION
from spotify_assets_tests.support.hostile_entries import (
    DOT_DOT,
    EMPTY_SEGMENT,
    FIFO,
    LINK,
    make_hostile_entries,
    require_hostile_entries_supported,
    snapshot,
    too_large,
)

DT = "2024-05-15"
DAY = f"raw_playlist/dt={DT}/"
BOUND_S = 60  # generous: each read here takes milliseconds, a FIFO read would never end


def _bounded(call, *args, **kwargs):
    """``call(*args, **kwargs)`` in a thread that must end within BOUND_S seconds."""
    return hostile_entries.call_within(BOUND_S, call, *args, **kwargs)


@pytest.fixture
def hostile_lake(tmp_path) -> tuple[Lake, dict[str, str]]:
    """A local lake whose day DT holds one good object and every hostile entry kind;
    ``(lake, {key: reason})``."""
    require_hostile_entries_supported()
    root = tmp_path / "lake"
    outside = tmp_path / "outside" / "secret.json"
    outside.parent.mkdir()
    outside.write_bytes(b'{"outside": true}')
    lake = Lake(str(root))
    lake.write_bytes(f"{DAY}good.json", b'{"good": 1}')
    lake.write_bytes("raw_playlist/dt=2024-05-11/other.json", b'{"other": 1}')
    names = make_hostile_entries(root / "raw_playlist" / f"dt={DT}", outside, "../dt=2024-05-11/other.json")
    return lake, {DAY + name: reason for name, reason in names.items()}


def test_listing_names_every_entry_that_is_never_read_and_reading_ends(hostile_lake, tmp_path):
    lake, reasons = hostile_lake
    # Small limits everywhere: should a link to /dev/zero ever be followed, the read stops at 1 kB.
    before = snapshot(tmp_path)

    listed = _bounded(lake.list_objects, DAY, include_unreadable=True)
    assert {o.key: o.unreadable for o in listed if o.unreadable} == reasons
    assert [o.key for o in listed if not o.unreadable] == [f"{DAY}good.json"]
    # By default only what the lake reads is listed: whole-zone listings too.
    assert [o.key for o in lake.list_objects(DAY)] == [f"{DAY}good.json"]
    assert [o.key for o in lake.list_objects("raw_playlist/")] == [
        "raw_playlist/dt=2024-05-11/other.json",
        f"{DAY}good.json",
    ]

    objects = _bounded(read_raw_objects, lake, DT, 1000)
    assert {o.key: o.unreadable for o in objects} == {**reasons, f"{DAY}good.json": None}
    assert {o.key: o.body for o in objects if o.unreadable is None} == {f"{DAY}good.json": b'{"good": 1}'}
    assert all(o.body == b"" for o in objects if o.unreadable)
    # Several days are read from one listing of the raw zone: the same entries, reasons and bytes.
    assert _bounded(read_raw_days, lake, ["2024-05-10", DT], 1000) == {"2024-05-10": [], DT: objects}
    for key in reasons:
        if "\\x" in key:  # the non-UTF-8 name cannot even be asked for by its printable key
            continue
        with pytest.raises((LakeEntryError, FileNotFoundError)):
            _bounded(lake.read_bytes, key, max_bytes=1000)
    assert snapshot(tmp_path) == before  # links, FIFO, socket, device, files: as they were


def test_an_entry_swapped_for_a_link_or_a_fifo_after_listing_is_not_read(tmp_path):
    require_hostile_entries_supported()
    lake = Lake(str(tmp_path / "lake"))
    key = f"{DAY}swapped.json"
    lake.write_bytes(key, b"{}")
    path = tmp_path / "lake" / key
    assert [o.key for o in lake.list_objects(DAY)] == [key]

    path.unlink()
    os.symlink("/dev/zero", path)
    with pytest.raises(LakeEntryError) as err:
        _bounded(lake.read_bytes, key, max_bytes=1000)
    assert (err.value.key, err.value.reason) == (key, LINK.format(target="/dev/zero"))

    path.unlink()
    os.mkfifo(path)
    with pytest.raises(LakeEntryError) as err:
        _bounded(lake.read_bytes, key)
    assert err.value.reason == FIFO
    assert path.is_fifo()


def test_a_folder_on_the_path_that_is_a_link_is_not_followed(tmp_path):
    require_hostile_entries_supported()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.json").write_bytes(b'{"x": 1}')
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("raw_playlist/dt=2024-05-14/a.json", b"{}")
    os.symlink(elsewhere, tmp_path / "lake" / "raw_playlist" / f"dt={DT}")

    reason = LINK.format(target=str(elsewhere))
    objects = read_raw_objects(lake, DT)
    assert [(o.key, o.unreadable, o.body) for o in objects] == [(f"raw_playlist/dt={DT}", reason, b"")]
    with pytest.raises(LakeEntryError) as err:
        lake.read_bytes(f"{DAY}x.json")
    assert (err.value.key, err.value.reason) == (f"raw_playlist/dt={DT}", reason)
    assert [o.key for o in lake.list_objects("raw_playlist/")] == ["raw_playlist/dt=2024-05-14/a.json"]
    assert "Lake:" in describe_day(lake, DT) and f"raw_playlist/dt={DT}: {reason}" in describe_day(lake, DT)


def test_objects_above_the_size_limit_are_not_read(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes(f"{DAY}small.json", b"x" * 100)
    lake.write_bytes(f"{DAY}large.json", b"x" * 101)
    max_bytes = Settings.from_env({"SPOTIFY_RAW_MAX_BYTES": "100"}).raw_max_bytes
    assert max_bytes == 100
    objects = read_raw_objects(lake, DT, max_bytes)
    assert [(o.key, o.unreadable, len(o.body)) for o in objects] == [
        (f"{DAY}large.json", too_large(101, 100), 0),
        (f"{DAY}small.json", None, 100),
    ]
    # Grown after the listing: refused by the fstat size of the open file.
    listed = lake.list_objects(f"{DAY}small.json")
    (tmp_path / "lake" / DAY / "small.json").write_bytes(b"x" * 5000)
    assert listed[0].size == 100
    with pytest.raises(LakeEntryError) as err:
        lake.read_bytes(f"{DAY}small.json", max_bytes=100)
    assert err.value.reason == too_large(5000, 100)
    assert len(lake.read_bytes(f"{DAY}small.json")) == 5000  # no limit asked: read whole


@pytest.mark.parametrize("value", ["0", "-1", "512MiB"])
def test_the_size_limit_setting_is_checked(value):
    with pytest.raises(
        SettingsError, match=f"SPOTIFY_RAW_MAX_BYTES='{value}': expected a whole number of bytes, at least 1"
    ):
        Settings.from_env({"SPOTIFY_RAW_MAX_BYTES": value})


def test_default_size_limit_is_512_mib():
    assert Settings.from_env({}).raw_max_bytes == 512 * 1024 * 1024


def test_s3_keys_that_are_not_plain_paths_are_listed_with_a_reason_never_read(s3_lake):
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    bodies = {
        f"lake/{DAY}../escape.json": b'{"escape": 1}',
        f"lake/{DAY}/empty-segment.json": b'{"empty": 1}',
        f"lake/{DAY}good.json": b'{"good": 1}',
        f"lake/{DAY}large.json": b"x" * 101,
    }
    for key, body in bodies.items():
        s3.put_object(Bucket=LAKE_BUCKET, Key=key, Body=body)
    lake = Lake(s3_lake)

    objects = read_raw_objects(lake, DT, 100)
    assert [(o.key, o.unreadable, o.body) for o in objects] == [
        (f"{DAY}../escape.json", DOT_DOT, b""),
        (f"{DAY}/empty-segment.json", EMPTY_SEGMENT, b""),
        (f"{DAY}good.json", None, b'{"good": 1}'),
        (f"{DAY}large.json", too_large(101, 100), b""),
    ]
    assert [o.key for o in lake.list_objects(DAY)] == [f"{DAY}good.json", f"{DAY}large.json"]
    # A ranged GET bounds what is read even when the listing's size was not checked.
    with pytest.raises(LakeEntryError) as err:
        lake.read_bytes(f"{DAY}large.json", max_bytes=100)
    assert err.value.reason == "more than 100 bytes, above the limit of 100 bytes (SPOTIFY_RAW_MAX_BYTES): not read"
    assert lake.read_bytes(f"{DAY}large.json", max_bytes=101) == b"x" * 101
    for key, body in bodies.items():  # nothing moved or changed
        assert s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read() == body


def test_a_write_never_goes_through_a_linked_folder_and_replaces_a_link_at_its_key(tmp_path):
    require_hostile_entries_supported()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "lake"
    lake = Lake(str(root))
    (root / "raw_playlist").mkdir(parents=True)
    os.symlink(elsewhere, root / "raw_playlist" / f"dt={DT}")
    with pytest.raises(LakeEntryError) as err:
        lake.write_bytes(f"{DAY}a.json", b"{}")
    assert (err.value.key, err.value.reason) == (f"raw_playlist/dt={DT}", LINK.format(target=str(elsewhere)))
    assert os.listdir(elsewhere) == []

    outside = tmp_path / "outside.json"
    outside.write_bytes(b"outside")
    (root / "songs" / "dt=2024-05-14").mkdir(parents=True)
    os.symlink(outside, root / "songs" / "dt=2024-05-14" / "data.parquet")
    lake.write_bytes("songs/dt=2024-05-14/data.parquet", b"new")
    assert outside.read_bytes() == b"outside"  # the link was replaced, not written through
    assert lake.read_bytes("songs/dt=2024-05-14/data.parquet") == b"new"
    assert sorted(os.listdir(root / "songs" / "dt=2024-05-14")) == ["data.parquet"]
    lake.write_bytes("new/dt=2024-05-16/deep/x.json", b"{}")  # folders are made as before
    assert (root / "new" / "dt=2024-05-16" / "deep" / "x.json").read_bytes() == b"{}"


def test_the_demo_summary_names_entries_it_does_not_read(hostile_lake, tmp_path):
    lake, reasons = hostile_lake
    os.makedirs(tmp_path / "lake" / "songs" / f"dt={DT}")
    os.mkfifo(tmp_path / "lake" / "songs" / f"dt={DT}" / "data.parquet")
    text = _bounded(describe_day, lake, DT)
    assert (
        f"songs: {lake.location}/songs/dt={DT}/data.parquet: a FIFO (named pipe), not a regular file: not read" in text
    )
    for key, reason in reasons.items():
        assert f"  {lake.location}/{key}: {reason}" in text.splitlines()
    assert f"  {lake.location}/{DAY}good.json (11 bytes)" in text.splitlines()


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (f"{DAY}a.json", None),
        (f"{DAY}caf\u00e9 \ufffd.json", None),  # any valid UTF-8 is a plain name
        (
            f"{DAY}\udcff\udcfe.json",
            "the name is not valid UTF-8: not read",
        ),  # as os.walk/scandir give a non-UTF-8 name
        (f"{DAY}../a.json", DOT_DOT),
        (f"{DAY}./a.json", "the key has a '.' segment: not read (it names the same object as another key)"),
        (f"{DAY}/a.json", EMPTY_SEGMENT),
        ("/raw_playlist/a.json", EMPTY_SEGMENT),
    ],
)
def test_key_problem_names_keys_that_are_not_plain_paths(key, reason):
    assert key_problem(key) == reason
    assert printable_key(key).encode("utf-8")  # always printable, e.g. for JSON metadata


def test_printable_key_shows_the_bytes_of_a_non_utf8_name():
    assert printable_key(f"{DAY}\udcff\udcfe.json") == f"{DAY}\\xff\\xfe.json"
