"""The ``catalog`` asset materialized by a real Dagster instance after the project's own
``raw_playlist`` and ``spotify_tables`` on the real Top 50 snapshots: local DuckDB
catalog (folder lake and S3 lake on moto), the Glue crawler on moto (aws), and Athena
queries on moto's server.

moto's Athena runs no SQL: it answers SUCCEEDED with empty results, or with results
queued beforehand through its ``/moto-api/static/athena/query-results`` endpoint. What is
tested against it is therefore the protocol: the query reaches SUCCEEDED, the workgroup,
database and output location are passed (read back with GetQueryExecution), the result
pages are parsed (header row, types), and timeouts/cancellations give clear errors.
"""

import boto3
import dagster as dg
import duckdb
import pytest
import requests

from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.catalog.athena import AthenaQueryError, run_athena_query, wait_for_query
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.catalog_resources import (
    GlueCatalogResource,
    build_catalog_resource,
    glue_s3_targets,
)
from spotify_assets.resources.glue_crawler_resource import GlueCrawlerResource
from spotify_assets.settings import Settings
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES
from spotify_assets_tests.support.fixtures.moto import LAKE_URL, REGION, set_glue_crawl_transition_immediate
from spotify_assets_tests.support.runs import local_settings
from spotify_assets_tests.support.top50 import land_top50, materialize_day, parquet_rows

CATALOG = dg.AssetKey("catalog")


def _materialize_with_catalog(settings: Settings, dt: str, instance=None):
    result = materialize_day(
        settings,
        dt,
        extra_assets=[build_catalog_asset(settings.deployment)],
        extra_resources={"catalog": build_catalog_resource(settings)},
        instance=instance,
    )
    (materialization,) = result.asset_materializations_for_node("catalog")
    return {key: value.value for key, value in materialization.metadata.items()}


def test_catalog_asset_shape_per_deployment():
    local, aws = build_catalog_asset("local"), build_catalog_asset("aws")
    assert local.specs_by_key[CATALOG].kinds == {"duckdb"}
    assert aws.specs_by_key[CATALOG].kinds == {"glue", "athena"}
    for asset in (local, aws):
        spec = asset.specs_by_key[CATALOG]
        assert {dep.asset_key for dep in spec.deps} == {dg.AssetKey(t) for t in CATALOG_TABLE_NAMES}
        assert spec.group_name == "spotify" and asset.partitions_def == daily_partitions
        assert "catalog" in asset.required_resource_keys
    with pytest.raises(ValueError, match="unknown deployment 'gcp'"):
        build_catalog_asset("gcp")


def test_catalog_asset_local_registers_views_and_reports_partitions_and_counts(lake_dir):
    settings = Settings.from_env()
    days = ["2024-05-11", "2024-05-15"]
    land_top50(settings.lake_url, days)
    instance = dg.DagsterInstance.ephemeral()

    first = _materialize_with_catalog(settings, days[0], instance)
    assert (first["songs_partitions"], first["songs_rows"], first["playlist_entries_rows"]) == (1, 50, 50)
    metadata = _materialize_with_catalog(settings, days[1], instance)

    footers = parquet_rows(settings.lake_url)
    for table in CATALOG_TABLE_NAMES:
        assert metadata[f"{table}_rows"] == sum(footers[table].values())
        assert metadata[f"{table}_partitions"] == 2
    assert metadata["rows_in_run_partitions"] == {
        t: {"2024-05-15": footers[t]["2024-05-15"]} for t in CATALOG_TABLE_NAMES
    }
    assert "| playlist_entries | 2 | 2024-05-11 | 2024-05-15 | 100 | view over Parquet |" in metadata["tables"]
    assert metadata["dt_type"] == "VARCHAR"
    assert metadata["duckdb_path"] == settings.duckdb_path
    assert instance.get_latest_materialization_event(CATALOG).asset_materialization.partition == "2024-05-15"

    con = duckdb.connect(settings.duckdb_path, read_only=True)
    views = {
        row[0]
        for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary").fetchall()
    }
    assert views == set(CATALOG_TABLE_NAMES)
    assert con.execute("SELECT dt, count(*) FROM playlist_entries GROUP BY dt ORDER BY dt").fetchall() == [
        (d, 50) for d in days
    ]
    con.close()


def _materialize_catalog_only(settings: Settings, dt: str) -> dict:
    """The ``catalog`` asset alone (its table deps are not selected: it reads the lake)."""
    result = dg.materialize(
        [build_catalog_asset(settings.deployment)],
        partition_key=dt,
        resources={"catalog": build_catalog_resource(settings)},
        instance=dg.DagsterInstance.ephemeral(),
    )
    (materialization,) = result.asset_materializations_for_node("catalog")
    return {key: value.value for key, value in materialization.metadata.items()}


def test_catalog_asset_local_mode_on_s3_lake_reports_counts_without_a_duckdb_file(
    s3_lake, tmp_path, top50_lake, monkeypatch
):
    duckdb_path = tmp_path / "catalog.duckdb"
    monkeypatch.setenv("SPOTIFY_DUCKDB_PATH", str(duckdb_path))
    # The Parquet files spotify_tables wrote for 2024-05-15, put on S3 (building them on
    # moto through s3fs costs seconds; the folder test above runs the whole chain).
    source, lake = Lake(top50_lake.url), Lake(s3_lake)
    for table in CATALOG_TABLE_NAMES:
        lake.write_bytes(table_key(table, "2024-05-15"), source.read_bytes(table_key(table, "2024-05-15")))

    metadata = _materialize_catalog_only(Settings.from_env(), "2024-05-15")

    footers = parquet_rows(s3_lake)
    assert {t: metadata[f"{t}_rows"] for t in CATALOG_TABLE_NAMES} == {
        t: footers[t]["2024-05-15"] for t in CATALOG_TABLE_NAMES
    }
    assert metadata["playlist_entries_rows"] == 50 and metadata["songs_partitions"] == 1
    assert "Arrow dataset (S3; registered at query time)" in metadata["tables"]
    assert metadata["duckdb_path"].startswith("none: S3 lake")
    assert not duckdb_path.exists()


def test_catalog_asset_aws_creates_and_runs_the_glue_crawler(s3_lake, aws_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("GLUE_CATALOG_MODE", "crawler")
    monkeypatch.setenv("GLUE_CRAWLER_NAME", "spotify-test-crawler")
    monkeypatch.setenv("GLUE_DATABASE", "spotify_test")
    monkeypatch.setenv("GLUE_CRAWLER_ROLE_ARN", "arn:aws:iam::123456789012:role/spotify-glue-crawler")
    set_glue_crawl_transition_immediate(aws_env)
    settings = Settings.from_env()
    # The crawler needs no data (moto's crawl reads none), so the tables are not materialized.
    metadata = _materialize_catalog_only(settings, "2024-05-15")

    assert metadata["glue_crawler"] == "spotify-test-crawler"
    assert metadata["glue_crawl_status"] == "COMPLETED"  # moto's word for AWS's SUCCEEDED
    assert metadata["glue_created_crawler"] is True
    assert metadata["glue_database"] == "spotify_test"
    assert metadata["run_partitions"] == ["2024-05-15"]
    crawler = (
        boto3.session.Session(region_name=REGION).client("glue").get_crawler(Name="spotify-test-crawler")["Crawler"]
    )
    assert sorted(t["Path"] for t in crawler["Targets"]["S3Targets"]) == sorted(
        f"{LAKE_URL}/{t}/" for t in CATALOG_TABLE_NAMES
    )
    assert crawler["DatabaseName"] == "spotify_test" and crawler["LastCrawl"]["Status"] == "COMPLETED"


def test_glue_catalog_needs_a_role_arn_and_an_s3_lake():
    resource = GlueCatalogResource(
        crawler=GlueCrawlerResource(crawler_name="c", database="d", role_arn="", s3_targets=glue_s3_targets(LAKE_URL))
    )
    with pytest.raises(ValueError, match="GLUE_CRAWLER_ROLE_ARN is empty"):
        resource.refresh(dg.get_dagster_logger(), ["2024-05-15"])
    with pytest.raises(ValueError, match=r"needs the lake on S3: SPOTIFY_LAKE_URL='/data/lake'"):
        build_catalog_resource(local_settings("/data/lake", "/data/catalog.duckdb", deployment="aws"))


# ------------------------------------------------------------------------------- Athena
def _queue_athena_results(endpoint: str, *results: list[list[str | None]], columns: list[tuple[str, str]]) -> None:
    """Queue results moto's Athena returns for the next queries (moto runs no SQL)."""
    column_info = [{"Name": n, "Label": n, "Type": t, "Nullable": "UNKNOWN", "CaseSensitive": True} for n, t in columns]
    payload = {
        "region": REGION,
        "results": [
            {
                "rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows],
                "column_info": column_info,
            }
            for rows in results
        ],
    }
    requests.post(f"{endpoint}/moto-api/static/athena/query-results", json=payload, timeout=10).raise_for_status()


@pytest.fixture
def athena(aws_env):
    client = boto3.session.Session(region_name=REGION).client("athena")
    client.create_work_group(Name="spotify", Configuration={})
    yield client
    # The state manager is process-wide and reset_moto only unsets the Glue transition.
    requests.post(
        f"{aws_env}/moto-api/state-manager/unset-transition", json={"model_name": "athena::execution"}, timeout=10
    )


def _stall_athena(endpoint: str) -> None:
    """Queries stay QUEUED (moto advances them only after 10**9 GetQueryExecution calls)."""
    transition = {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 10**9}}
    requests.post(f"{endpoint}/moto-api/state-manager/set-transition", json=transition, timeout=10).raise_for_status()


def test_athena_query_succeeds_with_workgroup_database_and_output_location(athena, aws_env):
    header = ["artist_name", "entries"]
    rows = [header, ["Taylor Swift", "12"], ["Billie Eilish", "3"], ["no name", None]]
    _queue_athena_results(aws_env, rows, rows, columns=[("artist_name", "varchar"), ("entries", "bigint")])
    sql = "SELECT artist_name, entries FROM top_artists"

    result = run_athena_query(
        sql,
        database="spotify_test",
        workgroup="spotify",
        output_location="s3://spotify-lake-test/athena/",
        poll_interval_s=0.01,
    )

    assert result.columns == header
    assert result.rows == [("Taylor Swift", 12), ("Billie Eilish", 3), ("no name", None)]
    assert result.total_rows == 3
    execution = athena.get_query_execution(QueryExecutionId=result.query_execution_id)["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED" and execution["Query"] == sql
    assert execution["WorkGroup"] == "spotify"
    assert execution["QueryExecutionContext"]["Database"] == "spotify_test"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://spotify-lake-test/athena/")
    assert result.output_location == execution["ResultConfiguration"]["OutputLocation"]

    capped = run_athena_query(sql, database="spotify_test", max_rows=1, poll_interval_s=0.01)
    assert (capped.rows, capped.total_rows, capped.cut_rows) == ([("Taylor Swift", 12)], 3, 2)
    assert (
        athena.get_query_execution(QueryExecutionId=capped.query_execution_id)["QueryExecution"]["WorkGroup"]
        == "primary"
    )


def test_athena_query_that_does_not_finish_is_stopped_with_a_clear_error(athena, aws_env):
    _stall_athena(aws_env)
    with pytest.raises(AthenaQueryError, match=r"still QUEUED after .* s \(timeout_s=0.2\); it was stopped") as raised:
        run_athena_query("SELECT 1", database="spotify_test", timeout_s=0.2, poll_interval_s=0.05)
    (execution_id,) = athena.list_query_executions()["QueryExecutionIds"]
    assert execution_id in str(raised.value)
    assert athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_athena_cancelled_query_raises_with_its_state(athena, aws_env):
    _stall_athena(aws_env)
    execution_id = athena.start_query_execution(QueryString="SELECT 1", QueryExecutionContext={"Database": "d"})[
        "QueryExecutionId"
    ]
    athena.stop_query_execution(QueryExecutionId=execution_id)
    with pytest.raises(AthenaQueryError, match=f"Athena query {execution_id} CANCELLED: no reason given"):
        wait_for_query(athena, execution_id, timeout_s=5, poll_interval_s=0.01)
    with pytest.raises(AthenaQueryError, match="no Glue database given"):
        run_athena_query("SELECT 1", database="")
