"""The lake on a local folder and on S3 (moto's server over HTTP)."""

import os

import pytest

from spotify_assets.lake.lake import Lake, LakePathError
from spotify_assets.lake.layout import dt_from_key, raw_key, read_raw_days, read_raw_objects, table_key
from spotify_assets.spotify.ids import InvalidSpotifyIdError


@pytest.fixture(params=["folder", "s3"])
def lake(request, tmp_path):
    if request.param == "folder":
        return Lake(str(tmp_path / "lake"))
    return Lake(request.getfixturevalue("s3_lake"))


def test_write_read_list_and_replace(lake):
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 1}')
    lake.write_bytes("raw_playlist/dt=2024-05-15/b.json", b'{"b": 2}')
    lake.write_bytes("raw_playlist/dt=2024-05-16/a.json", b"[]")
    first = {o.key: o for o in lake.list_objects("raw_playlist")}
    assert sorted(first) == [
        "raw_playlist/dt=2024-05-15/a.json",
        "raw_playlist/dt=2024-05-15/b.json",
        "raw_playlist/dt=2024-05-16/a.json",
    ]
    assert first["raw_playlist/dt=2024-05-15/a.json"].size == 8
    assert first["raw_playlist/dt=2024-05-15/a.json"].last_modified.tzinfo is not None

    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 22}')
    assert lake.read_bytes("raw_playlist/dt=2024-05-15/a.json") == b'{"a": 22}'
    second = {o.key: o for o in lake.list_objects("raw_playlist/dt=2024-05-15/")}
    assert len(second) == 2
    assert second["raw_playlist/dt=2024-05-15/a.json"].etag != first["raw_playlist/dt=2024-05-15/a.json"].etag

    objects = read_raw_objects(lake, "2024-05-15")
    assert [(o.dt, o.key, o.body) for o in objects] == [
        ("2024-05-15", "raw_playlist/dt=2024-05-15/a.json", b'{"a": 22}'),
        ("2024-05-15", "raw_playlist/dt=2024-05-15/b.json", b'{"b": 2}'),
    ]
    assert read_raw_objects(lake, "2024-01-01") == []


def test_read_raw_days_reads_each_asked_day_from_one_listing(lake):
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b'{"a": 1}')
    lake.write_bytes("raw_playlist/dt=2024-05-15/notes.txt", b"not a raw object")
    lake.write_bytes("raw_playlist/dt=2024-05-16/a.json", b"[]")
    lake.write_bytes("raw_playlist/dt=2024-05-17/a.json", b"{}")  # not asked for: not read
    lake.write_bytes("raw_playlist/other/dt=2024-05-15/x.json", b"{}")  # not the day's folder

    days = read_raw_days(lake, ["2024-05-14", "2024-05-15", "2024-05-16"])
    assert {dt: [(o.dt, o.key, o.body) for o in objects] for dt, objects in days.items()} == {
        "2024-05-14": [],
        "2024-05-15": [("2024-05-15", "raw_playlist/dt=2024-05-15/a.json", b'{"a": 1}')],
        "2024-05-16": [("2024-05-16", "raw_playlist/dt=2024-05-16/a.json", b"[]")],
    }
    assert days == {dt: read_raw_objects(lake, dt) for dt in days}  # as the day's own listing gives them
    assert read_raw_days(lake, []) == {}


def test_a_linked_day_folder_is_one_unreadable_entry_of_its_day(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes("raw_playlist/dt=2024-05-15/a.json", b"{}")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "lake" / "raw_playlist" / "dt=2024-05-16")

    days = read_raw_days(lake, ["2024-05-15", "2024-05-16"])
    assert [o.key for o in days["2024-05-15"]] == ["raw_playlist/dt=2024-05-15/a.json"]
    (linked,) = days["2024-05-16"]
    assert linked.key == "raw_playlist/dt=2024-05-16" and linked.unreadable.startswith("a symbolic link")
    assert days["2024-05-16"] == read_raw_objects(lake, "2024-05-16")


def test_list_page_walks_a_prefix_a_few_keys_at_a_time_like_list_objects(lake):
    keys = [f"raw_playlist/dt=2024-05-{d}/{n}.json" for d in (15, 16, 17) for n in "ab"]
    for key in keys:
        lake.write_bytes(key, b"{}")
    lake.write_bytes("raw_playlist_other/x.json", b"{}")  # shares the prefix without its "/"
    pages, after = [], None
    while True:
        page, after = lake.list_page("raw_playlist/", start_after=after, max_keys=4)
        pages.append([o.key for o in page])
        if after is None:
            break
    assert pages == [keys[:4], keys[4:]]
    whole, end = lake.list_page("raw_playlist/", max_keys=None)
    assert end is None and whole == lake.list_objects("raw_playlist")  # same keys, ETags, times, sizes
    assert lake.list_page("raw_playlist/dt=2024-05-16/", max_keys=1) == ([whole[2]], keys[2])
    assert lake.list_page("raw_playlist/dt=2024-05-16/", start_after=keys[2], max_keys=1) == ([whole[3]], None)
    assert lake.list_page("nothing/", max_keys=5) == ([], None)
    with pytest.raises(ValueError, match="max_keys=0: expected at least 1 or None"):
        lake.list_page("raw_playlist/", max_keys=0)


def test_missing_object_raises_file_not_found(lake):
    with pytest.raises(FileNotFoundError):
        lake.read_bytes("songs/dt=2024-05-15/data.parquet")
    assert lake.list_objects("nothing/here") == []


def test_local_write_leaves_no_temporary_file(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_bytes("t/dt=2024-05-15/data.parquet", b"x" * 10)
    assert os.listdir(tmp_path / "t" / "dt=2024-05-15") == ["data.parquet"]


@pytest.mark.parametrize("key", ["../escape.json", "/etc/passwd", "a//b", "a/./b", ""])
def test_keys_cannot_leave_the_lake_root(tmp_path, key):
    with pytest.raises(LakePathError, match="not a plain relative path"):
        Lake(str(tmp_path)).write_bytes(key, b"x")


def test_raw_key_validates_the_playlist_id():
    assert raw_key("2024-05-15", "37i9dQZEVXbMDoHDwVN2tF") == "raw_playlist/dt=2024-05-15/37i9dQZEVXbMDoHDwVN2tF.json"
    with pytest.raises(InvalidSpotifyIdError, match="base-62"):
        raw_key("2024-05-15", "../../etc")


def test_layout_keys():
    assert table_key("songs", "2024-05-15") == "songs/dt=2024-05-15/data.parquet"
    assert dt_from_key("lake/raw_playlist/dt=2024-05-15/x.json") == "2024-05-15"
    assert dt_from_key("raw_data/to_processed/spotify_raw_2024.json") is None


def test_location_names_the_root_as_a_user_reads_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Lake("./lake/").location == str(tmp_path / "lake")
    assert Lake("s3://bucket/lake/").location == "s3://bucket/lake"
