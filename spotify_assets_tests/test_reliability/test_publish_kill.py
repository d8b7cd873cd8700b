"""``kill -9`` at each point of a publish, on a folder, and at the points where S3
differs, on S3 (moto server).

A real child process publishes two days of the four tables (version "new") over two
days already published (version "old") and SIGKILLs itself after step k of the write
(the publish's ``on_step`` hook). Then:

- a plain read of the files (pyarrow, what Athena or a DuckDB glob would see) before any
  repair: "old" throughout until the commit record is written, "new" throughout once the
  last file is moved; from the record on it is there, for the next reader to finish;
- the project's reading path (the Parquet IO manager's inputs) sees each day in one
  version: "old" when killed before the commit record, "new" from the record on; and
  afterwards the plain read agrees (the reader completed the commit);
- the next write puts its own version everywhere and leaves nothing behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from spotify_assets.io_managers.parquet_io_manager import ParquetLakeIOManager
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import file_version
from spotify_assets.lake.publish import STAGING_PREFIX, day_version, publish
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.publish_writer import DAYS, tables

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

# Step numbers of the child's write (1-based, 2 days x 4 tables): 1 recovered,
# 2-9 staged, 10 committed, 11-18 moved, 19 cleaned (staging deleted), 20 record_deleted.
COMMITTED, MOVED = 10, 18
KILL_POINTS = {
    "after the first staged file": 2,
    "after the last staged file": 9,
    "after the commit record": COMMITTED,
    "after the first move": 11,
    "between the two days' moves": 15,
    "after the last move": MOVED,
    "after the staging is deleted, before the record": 19,
}
# On S3 (slower: each step is a request to the moto server) the three points where S3
# differs from a folder: staged objects of an uncommitted write, a roll-forward by copy
# (staged objects stay until the end), and every object copied but the staging not yet deleted.
S3_KILL_POINTS = {
    name: KILL_POINTS[name]
    for name in ("after the last staged file", "between the two days' moves", "after the last move")
}


def _versions(lake: Lake) -> dict[str, dict[str, str | None]]:
    """``{dt: {table: version}}`` as a plain reader finds the files (no repair)."""
    return {
        dt: {name: file_version(lake.read_bytes(table_key(name, dt))) for name in SPOTIFY_TABLE_NAMES} for dt in DAYS
    }


def _labels_through_the_io_manager(lake_url: str) -> dict[str, dict[str, set[str]]]:
    """``{dt: {table: labels}}`` read the way downstream assets read the tables."""
    manager = ParquetLakeIOManager(lake_url=lake_url)
    partitions = dg.DailyPartitionsDefinition(start_date="2024-01-01")
    out: dict[str, dict[str, set[str]]] = {dt: {} for dt in DAYS}
    for name in SPOTIFY_TABLE_NAMES:
        context = dg.build_input_context(
            asset_key=dg.AssetKey(name),
            asset_partition_key_range=dg.PartitionKeyRange(*DAYS),
            asset_partitions_def=partitions,
        )
        table = manager.load_input(context)
        for dt in DAYS:
            rows = table.filter(pa.compute.equal(table["dt"], dt))
            out[dt][name] = set(rows["label"].to_pylist())
    return out


def _kill_during_publish(url: str, kill_at: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    command = [sys.executable, "-m", "spotify_assets_tests.support.publish_writer", url, "new", str(kill_at)]
    child = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]


def _version_of(label: str) -> dict[str, str]:
    return {dt: day_version(day) for dt, day in tables(label).items()}


def _check_kill(lake: Lake, kill_at: int, published: bool = False) -> None:
    """Publish "old", kill a child publishing "new" after step ``kill_at`` (unless
    ``published``: the caller did both), then check readers, repair and the next write."""
    old, new = _version_of("old"), _version_of("new")
    if not published:
        publish(lake, tables("old"))
        _kill_during_publish(lake.root_url, kill_at)

    plain = _versions(lake)
    pending = [n for n in lake.child_names(STAGING_PREFIX) if n.endswith(".json")]
    if kill_at < COMMITTED:
        assert plain == {dt: {name: old[dt] for name in SPOTIFY_TABLE_NAMES} for dt in DAYS}
        assert pending == []
    elif kill_at >= MOVED:
        assert plain == {dt: {name: new[dt] for name in SPOTIFY_TABLE_NAMES} for dt in DAYS}
        assert len(pending) == 1  # the commit record: whoever reads next completes the write
    else:
        assert len(pending) == 1  # the commit record: whoever reads next completes the write
        assert all(v in (old[dt], new[dt]) for dt in DAYS for v in plain[dt].values())

    expected = "old" if kill_at < COMMITTED else "new"
    assert _labels_through_the_io_manager(lake.root_url) == {
        dt: {name: {expected} for name in SPOTIFY_TABLE_NAMES} for dt in DAYS
    }
    assert _versions(lake) == {
        dt: {name: (old if expected == "old" else new)[dt] for name in SPOTIFY_TABLE_NAMES} for dt in DAYS
    }
    assert [n for n in lake.child_names(STAGING_PREFIX) if n.endswith(".json")] == []

    newer = publish(lake, tables("newer"))
    assert _versions(lake) == {dt: {name: newer[dt] for name in SPOTIFY_TABLE_NAMES} for dt in DAYS}
    assert lake.child_names(STAGING_PREFIX) == []  # no staged file, record or temporary file left
    assert sorted(o.key for o in lake.list_objects("")) == sorted(
        table_key(name, dt) for name in SPOTIFY_TABLE_NAMES for dt in DAYS
    )


def _duckdb_versions(lake_dir: Path) -> dict[str, set[str]]:
    """``{dt: versions}`` of the table files as DuckDB reads them (a plain glob, no repair)."""
    rows = duckdb.sql(
        "SELECT regexp_extract(file_name, 'dt=([0-9-]+)', 1), decode(value) "
        f"FROM parquet_kv_metadata('{lake_dir}/*/dt=*/data.parquet') WHERE decode(key) = 'spotify_assets.version'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for dt, version in rows:
        out.setdefault(dt, set()).add(version)
    return out


@pytest.mark.parametrize("kill_at", KILL_POINTS.values(), ids=KILL_POINTS.keys())
def test_kill_9_during_a_publish_on_a_folder(tmp_path, kill_at):
    lake_dir = tmp_path / "lake"
    lake = Lake(str(lake_dir))
    publish(lake, tables("old"))
    _kill_during_publish(lake.root_url, kill_at)
    plain = _duckdb_versions(lake_dir)
    if kill_at < COMMITTED or kill_at >= MOVED:  # where the guarantee covers plain readers: one version a day
        expected = _version_of("old" if kill_at < COMMITTED else "new")
        assert plain == {dt: {expected[dt]} for dt in DAYS}
    _check_kill(lake, kill_at, published=True)
    assert _duckdb_versions(lake_dir) == {dt: {v} for dt, v in _version_of("newer").items()}
    hidden = [p for p in (tmp_path / "lake").rglob(".*")]
    assert hidden == []


@pytest.mark.parametrize("kill_at", S3_KILL_POINTS.values(), ids=S3_KILL_POINTS.keys())
def test_kill_9_during_a_publish_on_s3(s3_lake, kill_at):
    _check_kill(Lake(s3_lake), kill_at)
