"""Parquet files of the lake read back from bytes, and the demo's summary command, which
reads them in a fresh process (pyarrow 26 aborts such a process at exit when the bytes go
through ``pq.read_table``'s thread pool: apache/arrow#50482)."""

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import parquet_bytes, read_parquet_bytes
from spotify_assets.spotify.schemas import PLAYLIST_ENTRIES_SCHEMA

ENTRY = {
    "playlist_id": ["p1"],
    "playlist_name": ["Daily"],
    "snapshot_id": ["s1"],
    "position": [1],
    "song_id": ["t1"],
    "added_at": [None],
    "added_by": ["me"],
}


def test_read_parquet_bytes_gives_the_table_back_and_names_a_missing_column():
    table = pa.table(ENTRY, schema=PLAYLIST_ENTRIES_SCHEMA)
    data = parquet_bytes(table)
    assert read_parquet_bytes(data).equals(table)
    assert read_parquet_bytes(data, columns=["song_id", "position"]).to_pylist() == [{"song_id": "t1", "position": 1}]
    with pytest.raises(pa.ArrowInvalid, match="the Parquet file has no column genre "):
        read_parquet_bytes(data, columns=["song_id", "genre"])


@pytest.mark.slow  # a subprocess
def test_a_process_that_read_parquet_bytes_exits_cleanly(tmp_path):
    # A small process that only reads: with pq.read_table(buffer) it aborted at exit in
    # 10 of 10 runs here (pyarrow 26.0.1); three runs, each must exit 0 with no stderr.
    path = tmp_path / "entries.parquet"
    path.write_bytes(parquet_bytes(pa.table(ENTRY, schema=PLAYLIST_ENTRIES_SCHEMA)))
    code = f"from spotify_assets.lake.parquet import read_parquet_bytes; print(read_parquet_bytes(open({str(path)!r}, 'rb').read()).num_rows)"
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")


@pytest.mark.slow  # a subprocess
def test_the_summary_command_prints_the_day(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_bytes(
        table_key("playlist_entries", "2026-03-01"), parquet_bytes(pa.table(ENTRY, schema=PLAYLIST_ENTRIES_SCHEMA))
    )
    env = {**os.environ, "SPOTIFY_LAKE_URL": lake.root_url}
    done = subprocess.run(
        [sys.executable, "-m", "spotify_assets.lake.summary", "--dt", "2026-03-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert f"playlist_entries: 1 rows at {lake.url(table_key('playlist_entries', '2026-03-01'))}" in done.stdout
    assert "| p1 | Daily | s1 | 1 | t1 |" in done.stdout
    assert f"songs: {lake.url(table_key('songs', '2026-03-01'))} is absent" in done.stdout
