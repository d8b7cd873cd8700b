"""``spotify-assets query``: in-process through ``main([...])`` and as the installed console
script in a real subprocess, on a folder lake and on an S3 lake (moto), locally (DuckDB)
and on Athena (moto's Athena server, with queued results: it runs no SQL)."""

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

from spotify_assets.catalog.duckdb_catalog import refresh_catalog
from spotify_assets.cli import main
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets_tests.support.fixtures.moto import REGION

CLI = Path(sys.executable).with_name("spotify-assets")  # the venv's console script

COUNT_SONGS = "select count(*) as songs from songs"
COUNT_SONGS_OUTPUT = "songs\n-----\n  200\n(1 row)\n"


@pytest.fixture
def top50_env(top50_lake, tmp_path, monkeypatch):
    """SPOTIFY_LAKE_URL on the shared 4-day Top 50 lake; SPOTIFY_DUCKDB_PATH on a file that
    does not exist yet. Returns ``(lake_url, duckdb_path)``."""
    lake_url = top50_lake.url
    duckdb_path = tmp_path / "catalog.duckdb"
    monkeypatch.setenv("SPOTIFY_LAKE_URL", lake_url)
    monkeypatch.setenv("SPOTIFY_DUCKDB_PATH", str(duckdb_path))
    return lake_url, duckdb_path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)


def test_query_before_any_catalog_prints_an_aligned_table(top50_env, capsys):
    _, duckdb_path = top50_env
    assert main(["query", COUNT_SONGS]) == 0
    assert capsys.readouterr().out == COUNT_SONGS_OUTPUT

    sql = "select dt, count(*) as entries, min(playlist_name) as playlist from playlist_entries group by dt order by dt"
    assert main(["query", sql]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "dt          entries  playlist",
        "----------  -------  ---------------",
        "2024-04-22       50  Top 50 - Global",
        "2024-05-02       50  Top 50 - Global",
        "2024-05-11       50  Top 50 - Global",
        "2024-05-15       50  Top 50 - Global",
        "(4 rows)",
    ]
    assert not duckdb_path.exists()  # views were made on the fly, nothing written


def test_query_cuts_printed_rows_at_max_rows(top50_env, capsys):
    sql = "select position, song_id from playlist_entries where dt = '2024-05-15' order by position"
    assert main(["query", sql, "--max-rows", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["position", "song_id"] and len(lines) == 2 + 3 + 1
    assert [line.split()[0] for line in lines[2:5]] == ["1", "2", "3"]
    assert lines[-1] == "(showing 3 of 50 rows; 47 more not printed, see --max-rows)"

    assert main(["query", sql, "--max-rows", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 50 + 1 and lines[-1] == "(50 rows)"


def test_sql_error_exits_2_with_the_duckdb_message_and_no_traceback(top50_env, capsys):
    assert main(["query", "select * from nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("spotify-assets: error: Catalog Error: Table with name nope does not exist!")
    assert "Traceback" not in captured.err


@pytest.mark.slow  # a subprocess
def test_console_script_on_a_folder_lake_with_a_refreshed_catalog(top50_env):
    lake_url, duckdb_path = top50_env
    refresh_catalog(lake_url, str(duckdb_path))  # now the file's own views answer
    done = _run("query", COUNT_SONGS)
    assert (done.returncode, done.stdout, done.stderr) == (0, COUNT_SONGS_OUTPUT, "")

    failed = _run("query", "selec 1")
    assert failed.returncode == 2 and failed.stdout == ""
    assert 'Parser Error: syntax error at or near "selec"' in failed.stderr and "Traceback" not in failed.stderr


def test_query_on_an_s3_lake_in_process_and_as_console_script(top50_env, s3_lake, capsys):
    source, lake = Lake(top50_env[0]), Lake(s3_lake)
    for table in ("songs", "playlist_entries"):  # Parquet files the project built, for one day
        lake.write_bytes(table_key(table, "2024-05-15"), source.read_bytes(table_key(table, "2024-05-15")))

    assert main(["query", COUNT_SONGS]) == 0
    assert capsys.readouterr().out == "songs\n-----\n   50\n(1 row)\n"

    done = _run("query", "select dt, count(*) as n from playlist_entries group by dt order by dt")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["dt           n", "----------  --", "2024-05-15  50", "(1 row)"]


def test_query_on_an_empty_lake_answers_from_empty_typed_views(lake_dir, capsys):
    assert main(["query", "select count(*) as n, count(added_at) as added from playlist_entries"]) == 0
    assert capsys.readouterr().out == "n  added\n-  -----\n0      0\n(1 row)\n"


def test_query_runs_on_athena_when_deployment_is_aws(aws_env, monkeypatch, capsys):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", "s3://spotify-lake-test/lake")  # aws needs an S3 lake
    monkeypatch.setenv("GLUE_DATABASE", "spotify_test")
    monkeypatch.setenv("ATHENA_OUTPUT_URL", "s3://spotify-lake-test/athena/")
    rows = [["artist_name", "entries"], ["Taylor Swift", "12"], ["Billie Eilish", "3"]]
    payload = {
        "region": REGION,
        "results": [
            {
                "rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
                "column_info": [
                    {"Name": "artist_name", "Label": "artist_name", "Type": "varchar"},
                    {"Name": "entries", "Label": "entries", "Type": "bigint"},
                ],
            }
        ],
    }
    requests.post(f"{aws_env}/moto-api/static/athena/query-results", json=payload, timeout=10).raise_for_status()

    assert (
        main(["query", "select artist_name, count(*) as entries from playlist_entries group by 1", "--timeout-s", "10"])
        == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        "artist_name    entries",
        "-------------  -------",
        "Taylor Swift        12",
        "Billie Eilish        3",
        "(2 rows)",
    ]
    athena = boto3.session.Session(region_name=REGION).client("athena")
    (execution_id,) = athena.list_query_executions()["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["QueryExecutionContext"]["Database"] == "spotify_test" and execution["WorkGroup"] == "primary"


def test_bad_settings_and_arguments_give_clear_errors(monkeypatch, capsys):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "gcp")
    assert main(["query", "select 1"]) == 1
    assert "SPOTIFY_ASSETS_ENV='gcp': expected 'local' or 'aws'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["query", "select 1", "--max-rows", "-1"])
    assert exited.value.code == 2 and "must be 0 (all rows) or more, got -1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2


def test_query_takes_one_statement_names_every_table_and_says_when_the_lake_is_empty(lake_dir, capsys):
    from spotify_assets.vocabulary import CATALOG_TABLE_NAMES

    assert main(["query", "select 1; select 2"]) == 2
    assert "query runs one SQL statement; this SQL holds 2" in capsys.readouterr().err
    assert main(["query", "select count(*) as n from songs"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == "(1 row)"
    assert "has no tables yet (every view is empty): run ./scripts/demo.sh" in captured.err
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"tables {', '.join(CATALOG_TABLE_NAMES)} (dt:" in help_text and len(CATALOG_TABLE_NAMES) == 6
