"""The local DuckDB catalog on a real lake built by the project's own assets from the four
real Top 50 snapshots: views in a real DuckDB file, counts against the Parquet footers,
the README's queries against answers computed from the raw JSON, and an S3 lake on moto."""

import logging

import duckdb
import pyarrow as pa
import pytest

from spotify_assets.catalog.catalog_schemas import CATALOG_SCHEMAS
from spotify_assets.catalog.duckdb_catalog import DT_SQL_TYPE, connect, refresh_catalog, run_sql
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.lake.parquet import parquet_bytes
from spotify_assets.settings import Settings
from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES
from spotify_assets_tests.support.top50 import (
    ALL_DTS,
    TOP50_ID,
    expected_climbers,
    expected_days_on_playlist,
    expected_new_entries,
    expected_top_artists,
    parquet_rows,
)

# The README's example queries, verbatim. dt is VARCHAR ('YYYY-MM-DD'), as on Athena.
README_QUERIES = {
    "snapshots_per_day": """
SELECT dt, playlist_name, snapshot_id, COUNT(*) AS songs
FROM playlist_entries
GROUP BY dt, playlist_name, snapshot_id
ORDER BY dt, playlist_name""",
    "top_artists_on_a_day": """
SELECT a.artist_name, COUNT(*) AS entries
FROM playlist_entries e
JOIN songs s ON s.song_id = e.song_id AND s.dt = e.dt
JOIN artists a ON a.artist_id = s.artist_id AND a.dt = s.dt
WHERE e.dt = (SELECT MAX(dt) FROM playlist_entries)
GROUP BY a.artist_name
ORDER BY entries DESC, a.artist_name
LIMIT 10""",
    "songs_by_days_on_playlist": """
SELECT e.playlist_id, e.song_id, MAX(s.song_name) AS song_name, COUNT(DISTINCT e.dt) AS days_on_playlist,
       MIN(e.dt) AS first_dt, MAX(e.dt) AS last_dt
FROM playlist_entries e
JOIN songs s ON s.song_id = e.song_id AND s.dt = e.dt
GROUP BY e.playlist_id, e.song_id
ORDER BY days_on_playlist DESC, song_name""",
    "new_entries_since_previous_snapshot": """
WITH snapshots AS (
  SELECT playlist_id, dt, LAG(dt) OVER (PARTITION BY playlist_id ORDER BY dt) AS previous_dt
  FROM (SELECT DISTINCT playlist_id, dt FROM playlist_entries) d
)
SELECT e.playlist_id, e.dt, p.previous_dt, COUNT(*) AS new_entries
FROM playlist_entries e
JOIN snapshots p ON p.playlist_id = e.playlist_id AND p.dt = e.dt
LEFT JOIN playlist_entries prev
  ON prev.playlist_id = e.playlist_id AND prev.dt = p.previous_dt AND prev.song_id = e.song_id
WHERE p.previous_dt IS NOT NULL AND prev.song_id IS NULL
GROUP BY e.playlist_id, e.dt, p.previous_dt
ORDER BY e.playlist_id, e.dt""",
    "biggest_climbers_since_previous_snapshot": """
WITH moves AS (
  SELECT playlist_id, dt, song_id, position,
         LAG(dt) OVER (PARTITION BY playlist_id, song_id ORDER BY dt) AS song_previous_dt,
         LAG(position) OVER (PARTITION BY playlist_id, song_id ORDER BY dt) AS previous_position
  FROM playlist_entries
), snapshots AS (
  SELECT playlist_id, dt, LAG(dt) OVER (PARTITION BY playlist_id ORDER BY dt) AS previous_dt
  FROM (SELECT DISTINCT playlist_id, dt FROM playlist_entries) d
)
SELECT m.dt, s.song_name, m.previous_position, m.position, m.previous_position - m.position AS places_up
FROM moves m
JOIN snapshots p ON p.playlist_id = m.playlist_id AND p.dt = m.dt AND p.previous_dt = m.song_previous_dt
JOIN songs s ON s.song_id = m.song_id AND s.dt = m.dt
WHERE m.dt = '2024-05-15'
ORDER BY places_up DESC, s.song_name
LIMIT 10""",
}


@pytest.fixture(scope="module")
def top50(top50_lake, tmp_path_factory):
    """The shared Top 50 folder lake and a DuckDB catalog file refreshed on it;
    ``(lake_url, duckdb_path, {dt: Snapshot})``."""
    lake_url, snapshots, _ = top50_lake
    duckdb_path = str(tmp_path_factory.mktemp("duckdb") / "catalog.duckdb")
    refresh_catalog(lake_url, duckdb_path)
    return lake_url, duckdb_path, snapshots


def _query(top50, name):
    lake_url, duckdb_path, _ = top50
    con = connect(lake_url, duckdb_path)
    try:
        return run_sql(con, README_QUERIES[name])
    finally:
        con.close()


def test_refresh_stores_views_over_parquet_with_partitions_and_row_counts(top50, tmp_path):
    lake_url, _, _ = top50
    duckdb_path = str(tmp_path / "sub" / "catalog.duckdb")  # folder created on demand
    summary = refresh_catalog(lake_url, duckdb_path)

    footers = parquet_rows(lake_url)
    assert [t.name for t in summary.tables] == list(CATALOG_TABLE_NAMES)
    for table in summary.tables:
        assert table.partitions == ALL_DTS
        assert table.rows_by_partition == footers[table.name]
        assert table.source == "parquet_view"
    assert summary.table("playlist_entries").rows == 200  # 4 snapshots of 50 songs
    assert "| songs | 4 | 2024-04-22 | 2024-05-15 | 200 | view over Parquet |" in summary.as_markdown()

    # A plain DuckDB connection on the file (no project code) sees persistent views with dt VARCHAR.
    con = duckdb.connect(duckdb_path, read_only=True)
    views = dict(con.execute("SELECT view_name, temporary FROM duckdb_views() WHERE NOT internal").fetchall())
    assert views == {name: False for name in CATALOG_TABLE_NAMES}
    for table in CATALOG_TABLE_NAMES:
        columns = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
        assert columns["dt"] == DT_SQL_TYPE == "VARCHAR"
        assert set(columns) == set(CATALOG_SCHEMAS[table].names) | {"dt"}
    assert con.execute("SELECT count(*) FROM songs WHERE dt = '2024-05-11'").fetchone() == (50,)
    con.close()


def test_readme_snapshots_per_day(top50):
    snapshots = top50[2]
    result = _query(top50, "snapshots_per_day")
    assert result.columns == ["dt", "playlist_name", "snapshot_id", "songs"]
    assert result.rows == [(dt, s.name, s.snapshot_id, len(s.entries)) for dt, s in sorted(snapshots.items())]


def test_readme_top_artists_on_a_day(top50):
    counts = expected_top_artists(top50[2]["2024-05-15"])
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    result = _query(top50, "top_artists_on_a_day")
    assert result.rows == expected
    assert result.rows[0] == ("Taylor Swift", counts["Taylor Swift"])  # her album came out on 2024-04-19


def test_readme_songs_by_days_on_playlist(top50):
    expected = expected_days_on_playlist(top50[2])
    result = _query(top50, "songs_by_days_on_playlist")
    assert {row[1]: row[3] for row in result.rows} == dict(expected)
    assert {row[0] for row in result.rows} == {TOP50_ID}
    on_all_days = [row for row in result.rows if row[3] == 4]
    assert on_all_days and all(row[4:] == ("2024-04-22", "2024-05-15") for row in on_all_days)
    assert [row[3] for row in result.rows] == sorted((row[3] for row in result.rows), reverse=True)


def test_readme_new_entries_since_previous_snapshot(top50):
    expected = {dt: prev_n for dt, prev_n in expected_new_entries(top50[2]).items() if prev_n[1]}
    result = _query(top50, "new_entries_since_previous_snapshot")
    assert {row[1]: (row[2], row[3]) for row in result.rows} == expected
    assert {row[0] for row in result.rows} == {TOP50_ID}
    assert "2024-04-22" not in {row[1] for row in result.rows}  # no previous snapshot


def test_readme_biggest_climbers_since_previous_snapshot(top50):
    snapshots = top50[2]
    names = {e.song_id: e.song_name for e in snapshots["2024-05-15"].entries}
    moves = expected_climbers(snapshots, "2024-05-15")
    expected = sorted(
        (("2024-05-15", names[song], before, now, before - now) for song, (before, now) in moves.items()),
        key=lambda row: (-row[4], row[1]),
    )[:10]
    assert _query(top50, "biggest_climbers_since_previous_snapshot").rows == expected


def test_table_without_files_gets_an_empty_typed_view_until_its_files_arrive(top50, tmp_path, caplog):
    source = Lake(top50[0])
    lake_url, duckdb_path = str(tmp_path / "lake"), str(tmp_path / "catalog.duckdb")
    lake = Lake(lake_url)
    for table in ("songs", "playlist_entries"):  # albums and artists not written yet
        lake.write_bytes(table_key(table, "2024-05-15"), source.read_bytes(table_key(table, "2024-05-15")))

    with caplog.at_level(logging.WARNING):
        summary = refresh_catalog(lake_url, duckdb_path, log=logging.getLogger("test.catalog"))
    assert summary.table("albums").source == "empty" and summary.table("albums").rows == 0
    assert summary.table("songs").rows == 50
    assert any("albums has no Parquet files" in r.getMessage() for r in caplog.records)

    con = duckdb.connect(duckdb_path, read_only=True)
    albums = con.execute("SELECT column_name, column_type FROM (DESCRIBE albums)").fetchall()
    assert [name for name, _ in albums] == TABLE_SCHEMAS["albums"].names + ["dt"]
    assert dict(albums)["release_date"] == "DATE" and dict(albums)["dt"] == "VARCHAR"
    # Joins over the empty table answer no rows instead of failing.
    assert con.execute("SELECT count(*) FROM songs s JOIN albums a USING (album_id, dt)").fetchone() == (0,)
    con.close()

    lake.write_bytes(table_key("albums", "2024-05-15"), source.read_bytes(table_key("albums", "2024-05-15")))
    # Before the next refresh, connect() already sees the new files (TEMP view over the lake).
    con = connect(lake_url, duckdb_path)
    assert run_sql(con, "SELECT count(*) FROM albums").rows == [(parquet_rows(lake_url)["albums"]["2024-05-15"],)]
    con.close()
    assert refresh_catalog(lake_url, duckdb_path).table("albums").source == "parquet_view"


def test_connect_builds_views_on_the_fly_without_writing_the_catalog_file(top50, tmp_path):
    lake_url = top50[0]
    missing = tmp_path / "never-created.duckdb"
    con = connect(lake_url, str(missing))
    assert run_sql(con, "SELECT dt, count(*) FROM playlist_entries GROUP BY dt ORDER BY dt").rows == [
        (dt, 50) for dt in ALL_DTS
    ]
    con.close()
    assert not missing.exists()


def test_connect_prefers_the_current_lake_over_views_of_another_lake(top50, tmp_path):
    # The catalog file was refreshed for the 4-day lake; now SPOTIFY_LAKE_URL names a 1-day lake.
    source = Lake(top50[0])
    other_url = str(tmp_path / "other")
    other = Lake(other_url)
    for table in CATALOG_TABLE_NAMES:
        other.write_bytes(table_key(table, "2024-05-02"), source.read_bytes(table_key(table, "2024-05-02")))
    con = connect(other_url, top50[1])
    assert run_sql(con, "SELECT DISTINCT dt FROM songs").rows == [("2024-05-02",)]
    con.close()
    con = connect(top50[0], top50[1])  # and the file's own views are still there, unchanged
    assert run_sql(con, "SELECT count(DISTINCT dt) FROM songs").rows == [(4,)]
    con.close()


def test_run_sql_keeps_max_rows_and_counts_the_rest(top50):
    con = connect(top50[0], top50[1])
    result = run_sql(con, "SELECT song_id FROM songs", max_rows=7)
    assert (len(result.rows), result.total_rows, result.cut_rows) == (7, 200, 193)
    assert run_sql(con, "CREATE TEMP TABLE t AS SELECT 1 AS x").total_rows <= 1
    with pytest.raises(duckdb.CatalogException, match="Table with name nope does not exist"):
        run_sql(con, "SELECT * FROM nope")
    con.close()


def test_s3_lake_is_read_through_arrow_datasets(top50, s3_lake, tmp_path):
    source, lake = Lake(top50[0]), Lake(s3_lake)
    for dt in ("2024-05-11", "2024-05-15"):
        for table in ("songs", "artists", "playlist_entries"):  # albums: none yet
            lake.write_bytes(table_key(table, dt), source.read_bytes(table_key(table, dt)))
    duckdb_path = tmp_path / "catalog.duckdb"

    aws = Settings.from_env()  # the region and endpoint every builder is given (moto's server)
    connection = {"region": aws.aws_region, "endpoint_url": aws.aws_endpoint_url}
    summary = refresh_catalog(s3_lake, str(duckdb_path), **connection)
    footers = parquet_rows(s3_lake)
    assert summary.duckdb_path is None and not duckdb_path.exists()
    assert summary.table("songs").rows_by_partition == footers["songs"] == {"2024-05-11": 50, "2024-05-15": 50}
    assert summary.table("artists").rows_by_partition == footers["artists"]
    assert summary.table("songs").source == "arrow_dataset" and summary.table("albums").source == "empty"

    con = connect(s3_lake, str(duckdb_path), **connection)
    assert dict(run_sql(con, "SELECT column_name, column_type FROM (DESCRIBE songs)").rows)["dt"] == "VARCHAR"
    counts = run_sql(con, README_QUERIES["snapshots_per_day"]).rows
    assert [(row[0], row[3]) for row in counts] == [("2024-05-11", 50), ("2024-05-15", 50)]
    assert run_sql(con, "SELECT count(*) FROM albums").rows == [(0,)]
    con.close()


def test_trend_tables_are_in_the_catalog(top50):
    """The README's trend queries run on the catalog views of playlist_trends and artist_daily_share."""
    snapshots = top50[2]
    before = {e.song_id for e in snapshots["2024-05-11"].entries}
    after = {e.song_id for e in snapshots["2024-05-15"].entries}
    con = connect(top50[0], top50[1])
    try:
        new = run_sql(
            con, "SELECT song_id FROM playlist_trends WHERE dt = '2024-05-15' AND is_new_entry ORDER BY song_id"
        )
        left = run_sql(
            con, "SELECT song_id FROM playlist_trends WHERE dt = '2024-05-15' AND position IS NULL ORDER BY song_id"
        )
        shares = run_sql(con, "SELECT count(*) FROM artist_daily_share WHERE dt = '2024-05-15' AND share > 0")
    finally:
        con.close()
    assert [r[0] for r in new.rows] == sorted(after - before)
    assert [r[0] for r in left.rows] == sorted(before - after)
    assert shares.rows[0][0] > 0


def test_artists_written_before_the_lookup_columns_read_as_null_beside_newer_days(tmp_path):
    # Partitions written before `genres`, `followers`, `popularity`, `image_url` were added
    # to `artists` (4 columns) and after (8 columns) are one view; the old days read null.
    lake = Lake(str(tmp_path / "lake"))
    old_schema = pa.schema(
        TABLE_SCHEMAS["artists"].field(name) for name in ("artist_id", "artist_name", "artist_url", "artist_uri")
    )
    lake.write_bytes(
        table_key("artists", "2026-01-01"),
        parquet_bytes(
            pa.table(
                {"artist_id": ["a1"], "artist_name": ["Old"], "artist_url": [None], "artist_uri": [None]},
                schema=old_schema,
            )
        ),
    )
    new_row = {
        "artist_id": ["a2"],
        "artist_name": ["New"],
        "artist_url": [None],
        "artist_uri": [None],
        "genres": [["pop"]],
        "followers": [12425030],
        "popularity": [85],
        "image_url": ["https://i.scdn.co/x"],
    }
    lake.write_bytes(
        table_key("artists", "2026-01-02"), parquet_bytes(pa.table(new_row, schema=TABLE_SCHEMAS["artists"]))
    )

    duckdb_path = str(tmp_path / "catalog.duckdb")
    summary = refresh_catalog(lake.root_url, duckdb_path)
    assert summary.table("artists").rows_by_partition == {"2026-01-01": 1, "2026-01-02": 1}
    con = duckdb.connect(duckdb_path, read_only=True)
    rows = con.execute(
        "SELECT dt, artist_name, genres, followers, popularity, image_url FROM artists ORDER BY dt"
    ).fetchall()
    con.close()
    assert rows == [
        ("2026-01-01", "Old", None, None, None, None),
        ("2026-01-02", "New", ["pop"], 12425030, 85, "https://i.scdn.co/x"),
    ]
