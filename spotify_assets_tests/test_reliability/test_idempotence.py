"""Idempotence and atomicity: re-runs give the same bytes, a writer killed mid-write
leaves the previous version readable, concurrent runs on different days do not
interfere, and a run during an S3 outage fails clearly and succeeds once S3 is back."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest
import s3fs

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import read_raw_objects, table_key
from spotify_assets.lake.parquet import parquet_bytes
from spotify_assets.lake.publish import day_version
from spotify_assets.settings import Settings
from spotify_assets.transform import build_partition_tables
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.fixtures.moto import point_aws_at
from spotify_assets_tests.support.ports import free_port
from spotify_assets_tests.support.runs import materialize_tables
from spotify_assets_tests.support.samples import HUY_HNG, TOP50_ID, TOP50_SNAPSHOTS, sample_path

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

LANDED = {
    "2024-05-11": {TOP50_ID: TOP50_SNAPSHOTS["2024-05-11"]},
    "2024-05-15": {
        TOP50_ID: TOP50_SNAPSHOTS["2024-05-15"],
        "7csrlizJurpn6y0xenTwzu": HUY_HNG,
    },
}


def _land(lake: Lake, dt: str) -> None:
    for playlist_id, rel in LANDED[dt].items():
        lake.write_bytes(f"raw_playlist/dt={dt}/{playlist_id}.json", sample_path(rel).read_bytes())


def _expected_files(lake: Lake, dt: str) -> dict[str, bytes]:
    """What the table step must write for ``dt``: the pure build of the lake's raw objects,
    serialised like the publish step does (one file per table, no dt column, the day's
    version in the metadata)."""
    built = build_partition_tables(read_raw_objects(lake, dt), [dt])
    tables = {name: built.tables[name].drop_columns(["dt"]) for name in SPOTIFY_TABLE_NAMES}
    version = day_version(tables)
    return {table_key(name, dt): parquet_bytes(table, version) for name, table in tables.items()}


def _run(dt: str, instance: dg.DagsterInstance, selection=None):
    return materialize_tables(dt, instance=instance, selection=selection, raise_on_error=False)


def test_rerunning_a_partition_gives_the_same_bytes(lake_dir):
    lake = Lake(str(lake_dir))
    _land(lake, "2024-05-15")
    with dg.DagsterInstance.ephemeral() as instance:
        assert _run("2024-05-15", instance).success
        first = {p.relative_to(lake_dir): p.read_bytes() for p in lake_dir.rglob("*") if p.is_file()}
        assert _run("2024-05-15", instance).success
    second = {p.relative_to(lake_dir): p.read_bytes() for p in lake_dir.rglob("*") if p.is_file()}
    assert second == first  # raw objects and all four tables, byte for byte
    assert {str(k): v for k, v in first.items() if k.name == "data.parquet"} == _expected_files(lake, "2024-05-15")
    assert pq.read_table(lake_dir / table_key("playlist_entries", "2024-05-15")).num_rows == 50 + 316


# The child writes through Lake.write_bytes; an audit hook blocks it just before the
# rename (the write's last step), so whenever the parent's SIGKILL lands (in the middle of
# writing the temporary file, or after it) the new version is never put in place.
_WRITER = r"""
import os, sys, threading
from spotify_assets.lake.lake import Lake


def hold_before_rename(event, args):
    if event == "os.rename":
        sys.stdout.write("renaming\n"); sys.stdout.flush()
        threading.Event().wait()  # until killed

sys.addaudithook(hold_before_rename)
Lake(sys.argv[1]).write_bytes(sys.argv[2], b"\0" * int(sys.argv[3]))
"""


def test_a_writer_killed_mid_write_leaves_the_previous_version_readable(lake_dir):
    lake = Lake(str(lake_dir))
    _land(lake, "2024-05-11")
    with dg.DagsterInstance.ephemeral() as instance:
        assert _run("2024-05-11", instance).success
    key = table_key("songs", "2024-05-11")
    previous = lake.read_bytes(key)
    size = 64 * 1024 * 1024  # big enough that the kill usually lands while it is being written
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(lake_dir), key, str(size)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    folder = (lake_dir / key).parent
    try:
        deadline = time.monotonic() + 120  # a bound for a broken child only; nothing is timed
        while not list(folder.glob(".data.parquet.tmp-*")):
            assert child.poll() is None, "the writer exited before writing"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.002)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert lake.read_bytes(key) == previous
    assert pq.read_table(lake_dir / key).num_rows == 50
    leftovers = list(folder.glob(".data.parquet.tmp-*"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size <= size  # hidden, partial or complete
    assert [o.key for o in lake.list_objects("songs/")] == [key]  # listings (and readers' globs) skip it


def test_concurrent_runs_on_different_days_do_not_interfere(lake_dir):
    lake = Lake(str(lake_dir))
    for dt in LANDED:
        _land(lake, dt)
    results: dict[str, object] = {}
    barrier = threading.Barrier(len(LANDED))
    resources = build_resources(Settings.from_env())

    def materialize(dt: str) -> None:
        with dg.DagsterInstance.ephemeral() as instance:
            barrier.wait()
            results[dt] = dg.materialize(
                [raw_playlist, spotify_tables],
                partition_key=dt,
                resources=resources,
                instance=instance,
                raise_on_error=False,
            ).success

    threads = [threading.Thread(target=materialize, args=(dt,)) for dt in LANDED]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {dt: True for dt in LANDED}
    for dt in LANDED:
        for key, expected in _expected_files(lake, dt).items():
            assert lake.read_bytes(key) == expected, key
    assert not [p for p in lake_dir.rglob(".*")]


def test_s3_down_during_a_run_fails_clearly_and_a_retry_succeeds(monkeypatch):
    """A moto server of its own (not the session one), stopped after raw_playlist and
    restarted on the same port before the retry."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    point_aws_at(monkeypatch, endpoint)
    # botocore's own retries of a refused connection would only slow the test
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", "s3://spotify-reliability-outage/lake")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="spotify-reliability-outage")
        lake = Lake("s3://spotify-reliability-outage/lake")
        _land(lake, "2024-05-11")
        with dg.DagsterInstance.ephemeral() as instance:
            assert _run("2024-05-11", instance, selection=[raw_playlist]).success

            server.stop()
            failed = _run("2024-05-11", instance, selection=[spotify_tables])
            assert not failed.success
            error = failed.get_step_failure_events()[0].step_failure_data.error
            text = error.to_string()
            assert error.message.startswith(
                'dagster._core.errors.DagsterExecutionLoadInputError: Error occurred while loading input "raw_playlist" of step "spotify_tables"'
            )
            assert "Could not connect to the endpoint URL" in text and f"{endpoint}/spotify-reliability-outage" in text

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            retried = _run("2024-05-11", instance, selection=[spotify_tables])
            assert retried.success
        for key, expected in _expected_files(lake, "2024-05-11").items():
            assert lake.read_bytes(key) == expected, key
    finally:
        server.stop()
        # The S3 filesystems made here (fsspec's instance cache, keyed by their arguments,
        # not by AWS_ENDPOINT_URL) point at this stopped server: a later S3 test on the
        # session's moto server in this worker would otherwise reuse one and be refused.
        s3fs.S3FileSystem.clear_instance_cache()
