"""The publish commit (spotify_assets/lake/publish.py) on a local folder: files and
versions, completing a write interrupted after its commit record, cleaning what an
uncommitted write left, and refusing to complete a commit whose staged file is gone."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import VERSION_KEY
from spotify_assets.lake.publish import STAGING_PREFIX, PublishError, day_version, publish, recover, recover_pending

DT = "2024-05-15"


class Stop(Exception):
    """Raised by an on_step hook to end a write in-process at a chosen step."""


def _day(label: str, rows: int = 2) -> dict[str, pa.Table]:
    return {
        name: pa.table({"id": [f"{name}{i}" for i in range(rows)], "label": [label] * rows})
        for name in ("songs", "albums")
    }


def _stop_after(step_name: str, count: int = 1):
    seen = []

    def on_step(step: str, key: str) -> None:
        seen.append(step)
        if seen.count(step_name) == count:
            raise Stop(f"{step_name} {key}")

    return on_step


def _labels(lake_dir) -> dict[str, set[str]]:
    return {
        name: set(pq.read_table(lake_dir / table_key(name, DT))["label"].to_pylist()) for name in ("songs", "albums")
    }


def test_publish_writes_each_file_with_its_day_version_and_leaves_nothing_behind(tmp_path):
    lake = Lake(str(tmp_path))
    empty = {"songs": pa.table({"id": pa.array([], pa.string())}), "albums": pa.table({"id": ["a"]})}
    versions = publish(lake, {DT: _day("one"), "2024-05-16": empty})
    assert versions == {DT: day_version(_day("one")), "2024-05-16": day_version(empty)}
    assert versions[DT] != versions["2024-05-16"] and len(versions[DT]) == 16
    stored = pq.read_table(tmp_path / table_key("songs", "2024-05-16"))
    assert stored.num_rows == 0 and stored.schema.field("id").type == pa.string()  # a 0-row file with the schema
    assert pq.read_schema(tmp_path / table_key("albums", DT)).metadata[VERSION_KEY] == versions[DT].encode()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        table_key(n, d) for n in ("songs", "albums") for d in (DT, "2024-05-16")
    )
    assert lake.child_names(STAGING_PREFIX) == []
    assert publish(lake, {DT: _day("one")}) == {DT: versions[DT]}  # the same rows, the same version


def test_a_write_stopped_after_its_commit_record_is_completed_by_the_next_reader(tmp_path):
    lake = Lake(str(tmp_path))
    publish(lake, {DT: _day("old")})
    with pytest.raises(Stop):
        publish(lake, {DT: _day("new")}, on_step=_stop_after("moved"))
    assert _labels(tmp_path) == {"songs": {"new"}, "albums": {"old"}}  # what a plain reader sees meanwhile
    assert len([n for n in lake.child_names(STAGING_PREFIX) if n.endswith(".json")]) == 1
    completed = recover_pending(lake)
    assert len(completed) == 1
    assert _labels(tmp_path) == {"songs": {"new"}, "albums": {"new"}}
    assert lake.child_names(STAGING_PREFIX) == []
    assert recover_pending(lake) == []


def test_staged_files_of_a_write_that_never_committed_are_removed_by_the_next_write_of_its_days_only(tmp_path):
    lake = Lake(str(tmp_path))
    publish(lake, {DT: _day("old")})
    with pytest.raises(Stop):
        publish(lake, {DT: _day("new")}, on_step=_stop_after("staged", 2))
    assert _labels(tmp_path) == {"songs": {"old"}, "albums": {"old"}}
    (staging,) = lake.child_names(STAGING_PREFIX)
    assert sorted(lake.child_names(f"{STAGING_PREFIX}/{staging}")) == [
        "albums__dt=2024-05-15__data.parquet",
        "songs__dt=2024-05-15__data.parquet",
    ]
    assert recover_pending(lake) == [] and lake.child_names(STAGING_PREFIX) == [
        staging
    ]  # a reader cannot tell it is dead
    leftover = tmp_path / "songs" / f"dt={DT}" / ".data.parquet.tmp-0123abcd"  # what a killed Lake.write_bytes leaves
    leftover.write_bytes(b"partial")
    with pytest.raises(Stop):  # another day's write, staging (as if running at the same time)
        publish(lake, {"2024-05-20": _day("other")}, on_step=_stop_after("staged"))
    other = [n for n in lake.child_names(STAGING_PREFIX) if n != staging]
    publish(lake, {DT: _day("newer")})
    assert _labels(tmp_path) == {"songs": {"newer"}, "albums": {"newer"}}
    assert lake.child_names(STAGING_PREFIX) == other and not leftover.exists()  # the other day's staging is left alone
    publish(lake, {"2024-05-20": _day("other")})
    assert lake.child_names(STAGING_PREFIX) == []


def test_a_commit_whose_staged_file_is_gone_is_refused_naming_it(tmp_path):
    lake = Lake(str(tmp_path))
    publish(lake, {DT: _day("old")})
    with pytest.raises(Stop):
        publish(lake, {DT: _day("new")}, on_step=_stop_after("committed"))
    (record,) = [n for n in lake.child_names(STAGING_PREFIX) if n.endswith(".json")]
    write_id = record.removesuffix(".json")
    lake.delete(f"{STAGING_PREFIX}/{write_id}/albums__dt={DT}__data.parquet")
    with pytest.raises(PublishError) as raised:
        recover(lake)
    message = str(raised.value)
    assert f"{tmp_path}/{STAGING_PREFIX}/{record}" in message
    assert f"the staged file {STAGING_PREFIX}/{write_id}/albums__dt={DT}__data.parquet is gone" in message
    assert (
        f"{tmp_path}/albums/dt={DT}/data.parquet holds version {day_version(_day('old'))}, not {day_version(_day('new'))}"
        in message
    )
    assert message.endswith(f"re-run day {DT} of every table")


def test_a_commit_record_naming_anything_but_its_staged_files_and_table_files_is_refused(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_bytes("raw_playlist/dt=2024-05-15/p.json", b"{}")
    record = {
        "write_id": "w1",
        "files": [
            {"staged": "raw_playlist/dt=2024-05-15/p.json", "final": "songs/dt=2024-05-15/data.parquet", "version": "v"}
        ],
    }
    lake.write_bytes(f"{STAGING_PREFIX}/w1.json", json.dumps(record).encode())
    with pytest.raises(
        PublishError,
        match="names 'raw_playlist/dt=2024-05-15/p.json' → 'songs/dt=2024-05-15/data.parquet', not a staged file",
    ):
        recover_pending(lake)
    assert lake.read_bytes("raw_playlist/dt=2024-05-15/p.json") == b"{}" and not lake.exists(
        "songs/dt=2024-05-15/data.parquet"
    )
