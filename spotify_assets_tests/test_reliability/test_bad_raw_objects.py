"""Bad raw objects, each landed beside a good one in a partition and run through
raw_playlist + the tables in a real Dagster run: the good one is built, the bad one is
named with its reason (metadata and the raw_objects_valid check), no raw object is
touched, other partitions are untouched, and only complete data.parquet files exist."""

import json
import shutil
from pathlib import Path

import dagster as dg
import orjson
import pyarrow.parquet as pq
import pytest

from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.settings import Settings
from spotify_assets.vocabulary import RAW_OBJECTS_VALID
from spotify_assets_tests.support.runs import local_settings, materialize_tables
from spotify_assets_tests.support.samples import TOP50_ID, TOP50_SNAPSHOTS, ZMB3, sample_path

DT = "2024-05-15"
OTHER_DT = "2024-05-11"
GOOD = TOP50_SNAPSHOTS[DT]  # 50 songs
OTHER = TOP50_SNAPSHOTS[OTHER_DT]
PAGE = ZMB3  # 2 episodes + 2 tracks
BAD_KEY = f"raw_playlist/dt={DT}/1BadObjectXXXXXXXXXXXX.json"
LARGE_ITEMS = 10_000


def _truncated() -> bytes:
    body = sample_path(PAGE).read_bytes()
    return body[: len(body) // 2]


def _missing_field() -> bytes:
    page = json.loads(sample_path(PAGE).read_text())
    track = next(i["track"] for i in page["items"] if i["track"]["type"] == "track")
    del track["duration_ms"]
    return json.dumps(page).encode()


def _large() -> bytes:
    """A valid playlist object of 10,000 songs, each a real recorded track (2026 shape:
    no available_markets) under its own id."""
    page = json.loads(sample_path(PAGE).read_text())
    item = next(i for i in page["items"] if i["track"]["type"] == "track")
    item["track"].pop("available_markets", None)
    item["track"]["album"].pop("available_markets", None)
    items, encoded = [], orjson.dumps(item)
    for n in range(LARGE_ITEMS):
        copied = orjson.loads(encoded)  # a fresh copy, faster than copy.deepcopy
        copied["track"]["id"] = f"1Large{n:016d}"
        items.append(copied)
    playlist = {
        "id": "1BadObjectXXXXXXXXXXXX",
        "name": "large",
        "snapshot_id": "large-1",
        "items": {"items": items, "total": LARGE_ITEMS, "offset": 0, "limit": 50, "next": None},
    }
    return orjson.dumps(playlist)


CASES = {
    "truncated-json": (_truncated, "not valid JSON: unexpected end of data at byte"),
    "html-error-page": (
        lambda: b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        "an HTML page, not JSON",
    ),
    "empty-file": (lambda: b"", "empty object (0 bytes)"),
    "wrong-shape": (
        lambda: sample_path("joostlek-python-spotify/artist.json").read_bytes(),
        "JSON of the wrong shape: an object of type 'artist'",
    ),
    "offset-beyond-int32": (
        lambda: _with_offset(10**18),
        "page 'offset' is a number 1000000000000000000, expected an integer from 0 to 2,147,483,643",
    ),
}


def _with_offset(offset: int) -> bytes:
    page = json.loads(sample_path(PAGE).read_text())
    page["offset"] = offset
    return json.dumps(page).encode()


def _settings(lake: Path) -> Settings:
    return local_settings(str(lake), str(lake.parent / "catalog.duckdb"))


def _run(lake: Path, dt: str, instance: dg.DagsterInstance):
    return materialize_tables(dt, resources=build_resources(_settings(lake)), instance=instance, raise_on_error=False)


def _files(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def other_partition(tmp_path_factory) -> Path:
    """A lake whose OTHER_DT partition is already built (raw object + four tables)."""
    lake = tmp_path_factory.mktemp("prebuilt") / "lake"
    Lake(str(lake)).write_bytes(f"raw_playlist/dt={OTHER_DT}/{TOP50_ID}.json", sample_path(OTHER).read_bytes())
    assert _run(lake, OTHER_DT, dg.DagsterInstance.ephemeral()).success
    return lake


def _land(lake_dir: Path, other_partition: Path, bad: bytes) -> dict[str, bytes]:
    shutil.copytree(other_partition, lake_dir, dirs_exist_ok=True)
    lake = Lake(str(lake_dir))
    lake.write_bytes(f"raw_playlist/dt={DT}/{TOP50_ID}.json", sample_path(GOOD).read_bytes())
    lake.write_bytes(BAD_KEY, bad)
    return _files(lake_dir)


def _assert_lake_after(lake_dir: Path, before: dict[str, bytes]) -> None:
    after = _files(lake_dir)
    # Raw objects (bad and good) and the other partition: byte for byte as they were.
    for key, body in before.items():
        assert after[key] == body, key
    new = sorted(set(after) - set(before))
    assert new == sorted(f"{t}/dt={DT}/data.parquet" for t in ("albums", "artists", "playlist_entries", "songs"))
    assert not [k for k in after if Path(k).name.startswith(".")]  # no temporary file left
    for key in new:
        pq.read_table(lake_dir / key)  # complete Parquet files


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_object_is_named_and_the_good_one_built(case, lake_dir, other_partition):
    make, reason = CASES[case]
    before = _land(lake_dir, other_partition, make())
    with dg.DagsterInstance.ephemeral() as instance:
        result = _run(lake_dir, DT, instance)
        assert result.success  # raw_objects_valid is not blocking: the good object's rows are usable

        raw_metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
        assert list(raw_metadata["bad_objects"].value) == [BAD_KEY]
        assert raw_metadata["bad_objects"].value[BAD_KEY].startswith(reason)
        entries_metadata = next(
            m.metadata
            for m in result.asset_materializations_for_node("spotify_tables")
            if m.asset_key == dg.AssetKey("playlist_entries")
        )
        assert list(entries_metadata["bad_objects"].value) == [BAD_KEY]
        check = next(c for c in result.get_asset_check_evaluations() if c.check_name == RAW_OBJECTS_VALID)
        assert not check.passed
        assert check.description.startswith(f"{BAD_KEY}: {reason}")
        assert check.metadata["raw_objects"].value == 1
        others = [c for c in result.get_asset_check_evaluations() if c.check_name != RAW_OBJECTS_VALID]
        assert len(others) == 11 and all(c.passed for c in others)

    entries = pq.read_table(lake_dir / "playlist_entries" / f"dt={DT}" / "data.parquet")
    assert entries.num_rows == 50 and set(entries["playlist_id"].to_pylist()) == {TOP50_ID}
    _assert_lake_after(lake_dir, before)


def test_a_very_large_object_is_processed_not_rejected(lake_dir, other_partition):
    before = _land(lake_dir, other_partition, _large())
    with dg.DagsterInstance.ephemeral() as instance:
        result = _run(lake_dir, DT, instance)
        assert result.success
        assert all(c.passed for c in result.get_asset_check_evaluations())
    entries = pq.read_table(lake_dir / "playlist_entries" / f"dt={DT}" / "data.parquet")
    assert entries.num_rows == 50 + LARGE_ITEMS
    large = [
        p
        for pid, p in zip(entries["playlist_id"].to_pylist(), entries["position"].to_pylist())
        if pid == "1BadObjectXXXXXXXXXXXX"
    ]
    assert large == list(range(1, LARGE_ITEMS + 1))
    songs = pq.read_table(lake_dir / "songs" / f"dt={DT}" / "data.parquet")
    assert songs.num_rows == 50 + LARGE_ITEMS
    _assert_lake_after(lake_dir, before)


def test_an_item_with_a_missing_field_is_left_out_and_the_rest_of_its_object_built(lake_dir, other_partition):
    """An item-level problem does not make the object bad (issue 12): the page's other
    song is built at its position, the item is counted under invalid:duration_ms."""
    before = _land(lake_dir, other_partition, _missing_field())
    with dg.DagsterInstance.ephemeral() as instance:
        result = _run(lake_dir, DT, instance)
        assert result.success
        raw_metadata = result.asset_materializations_for_node("raw_playlist")[0].metadata
        assert raw_metadata["bad_objects"].value == {}
        entries_metadata = next(
            m.metadata
            for m in result.asset_materializations_for_node("spotify_tables")
            if m.asset_key == dg.AssetKey("playlist_entries")
        )
        assert entries_metadata["bad_objects"].value == {}
        assert entries_metadata["skipped_items"].value == {
            "null_item": 0,
            "local_file": 0,
            "episode": 2,
            "not_a_track": 0,
            "invalid:duration_ms": 1,
        }
    entries = pq.read_table(lake_dir / "playlist_entries" / f"dt={DT}" / "data.parquet")
    page = json.loads(sample_path(PAGE).read_text())
    assert [
        (p, s)
        for pid, p, s in zip(
            entries["playlist_id"].to_pylist(), entries["position"].to_pylist(), entries["song_id"].to_pylist()
        )
        if pid != TOP50_ID
    ] == [(4, page["items"][3]["track"]["id"])]
    assert entries.num_rows == 51
    _assert_lake_after(lake_dir, before)


def test_two_copies_of_one_playlist_on_one_day_give_one_snapshot(lake_dir, other_partition):
    """Our object and a landed copy of the same playlist on one day: one snapshot is
    built, the key check passes (before issue 12 it failed the day)."""
    copy_key = f"raw_playlist/dt={DT}/top50-landed-copy.json"
    _land(lake_dir, other_partition, sample_path(OTHER).read_bytes())  # under BAD_KEY: another Top 50 chart
    Lake(str(lake_dir)).write_bytes(copy_key, sample_path(GOOD).read_bytes())
    before = _files(lake_dir)
    with dg.DagsterInstance.ephemeral() as instance:
        result = _run(lake_dir, DT, instance)
        assert result.success
        assert all(c.passed for c in result.get_asset_check_evaluations())
    entries = pq.read_table(lake_dir / "playlist_entries" / f"dt={DT}" / "data.parquet")
    assert entries.num_rows == 50 and set(entries["playlist_id"].to_pylist()) == {TOP50_ID}
    assert entries["position"].to_pylist() == list(range(1, 51))
    # Neither has extracted_at: the greater snapshot_id is kept (the two copies of GOOD share theirs).
    snapshots = {json.loads(sample_path(name).read_bytes())[0]["snapshot_id"] for name in (GOOD, OTHER)}
    assert len(snapshots) == 2 and set(entries["snapshot_id"].to_pylist()) == {max(snapshots)}
    _assert_lake_after(lake_dir, before)


def test_an_invalid_item_and_a_superseded_copy_show_in_the_check_the_metadata_and_the_log(lake_dir):
    """One item with ``"explicit": "true"`` is left out and named by the raw_objects_valid check
    (the run succeeds, the other items are built); a second copy of the playlist on the same
    day is superseded: listed, not an error."""
    import dagster as dg

    from spotify_assets.lake.lake import Lake
    from spotify_assets.spotify.offline_sample import load_sample_playlist

    dt, playlist = "2024-05-15", load_sample_playlist()
    playlist["items"]["items"][2]["item"]["explicit"] = "true"
    document = json.dumps({**playlist, "extracted_at": "2024-05-15T06:00:00Z"}).encode()  # later than the copy's
    lake = Lake(str(lake_dir))
    key = f"raw_playlist/dt={dt}/{playlist['id']}.json"
    lake.write_bytes(key, document)
    lake.write_bytes(
        f"raw_playlist/dt={dt}/landed-copy.json",
        json.dumps({**playlist, "extracted_at": "2024-05-15T05:00:00Z"}).encode(),
    )
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_tables(dt, instance=instance)
    assert result.success
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "raw_objects_valid"]
    assert not check.passed
    assert (
        check.description
        == f"{key}: item at position 3: 'explicit' is a string 'true', expected a boolean (invalid:explicit)"
    )
    assert check.metadata["invalid_items"].value == {
        key: [
            {"position": 3, "reason": "invalid:explicit", "detail": "'explicit' is a string 'true', expected a boolean"}
        ]
    }
    superseded = check.metadata["superseded"].value
    assert (
        list(superseded) == [f"raw_playlist/dt={dt}/landed-copy.json"]
        and superseded[f"raw_playlist/dt={dt}/landed-copy.json"]["by"] == key
    )
    (entries,) = [
        m
        for m in result.asset_materializations_for_node("spotify_tables")
        if m.asset_key.path[-1] == "playlist_entries"
    ]
    assert entries.metadata["invalid_items"].value == {key: 1}
    assert 3 not in [
        row["position"]
        for row in pq.read_table(lake_dir / "playlist_entries" / f"dt={dt}" / "data.parquet").to_pylist()
    ]
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert (
        f"raw object {key}: item at position 3: 'explicit' is a string 'true', expected a boolean (invalid:explicit): the item gives no rows"
        in messages
    )
