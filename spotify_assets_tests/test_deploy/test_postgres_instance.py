"""The deployment's Dagster instance, ``deploy/dagster.yaml``: PostgreSQL storage
(dagster-postgres) against a real PostgreSQL server on 127.0.0.1, and a range backfill
through the CLI on it with Dagster's batched event writes (``DAGSTER_EVENT_BATCH_SIZE``).
Loading the instance needs its compute-log bucket: one on moto's S3 (the CLI's in-process
run captures no step logs; test_ecs_run_launcher.py checks a run task's).

Skipped, with the reason, where no PostgreSQL server binaries are installed.
"""

import json
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import boto3
import dagster as dg
import psycopg2
import pytest
import yaml

from spotify_assets.assets.raw import SPOTIFY_API_POOL, raw_playlist
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key, table_key
from spotify_assets.spotify.offline_sample import load_sample_playlist
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.cli_runs import materialize_cli
from spotify_assets_tests.support.fixtures.lake import PROJECT_ENV_VARS
from spotify_assets_tests.support.fixtures.moto import REGION
from spotify_assets_tests.support.postgres_server import PostgresServer, postgres_server, unavailable_reason

REPO = Path(__file__).resolve().parents[2]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"
DAYS = [(date(2025, 3, 1) + timedelta(days=i)).isoformat() for i in range(6)]
EMPTY_DAY = DAYS[2]  # a missed snapshot inside the range
BATCH_FALLBACK = "Exception while storing event batch"  # what Dagster prints when a batch write fails

pytestmark = [
    pytest.mark.slow,  # starts processes or servers (README, Tests)
    pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason())),
]


@pytest.fixture(scope="module")
def server():
    with postgres_server(fsync=False) as running:
        yield running


@pytest.fixture
def compute_log_env(aws_env, monkeypatch) -> dict[str, str]:
    """A compute-log bucket on moto's S3; returns (and sets) the ``DAGSTER_COMPUTE_LOG_*``
    variables ``deploy/dagster.yaml`` reads."""
    boto3.session.Session(region_name=REGION).client("s3").create_bucket(Bucket="spotify-assets-logs")
    env = {"DAGSTER_COMPUTE_LOG_BUCKET": "spotify-assets-logs", "DAGSTER_COMPUTE_LOG_PREFIX": "dagster/compute-logs"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    return home


def _commits(server: PostgresServer, database: str) -> int:
    """Transactions committed in ``database`` so far (PostgreSQL's own statistics)."""
    conn = psycopg2.connect(host=server.host, port=server.port, user=server.role, dbname="postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,))
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def test_deploy_yaml_takes_every_connection_setting_from_the_environment():
    storage = yaml.safe_load(DEPLOY_YAML.read_text())["storage"]["postgres"]["postgres_db"]
    assert {key: value for key, value in storage.items() if key != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    assert storage["scheme"] == "postgresql+psycopg2"  # the driver dagster-postgres installs


def test_deploy_instance_stores_runs_and_events_in_postgres(server, tmp_path, monkeypatch, compute_log_env):
    for name, value in server.dagster_env(server.create_database("instance_check")).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(_home(tmp_path))) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_runs() == []


def test_deploy_instance_monitors_runs_and_retries_crashed_ones(server, tmp_path, monkeypatch):
    """Dead runs do not stay STARTED: the settings of deploy/dagster.yaml as the loaded
    instance holds them, and the daemons that act on them are required."""
    for name, value in server.dagster_env(server.create_database("monitoring_check")).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(_home(tmp_path))) as instance:
        assert instance.run_monitoring_enabled is True
        assert instance.run_monitoring_start_timeout_seconds == 180
        assert instance.run_monitoring_max_runtime_seconds == 7200
        assert instance.run_monitoring_cancel_timeout_seconds == 180
        assert instance.run_monitoring_poll_interval_seconds == 60
        assert instance.run_retries_enabled is True
        assert instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        assert {"MONITORING", "EVENT_LOG_CONSUMER"} <= set(instance.get_required_daemon_types())
        # What the run queue daemon applies: one single-day run per day at a time (two would
        # race to publish the same day), and one run at a time in each pool: raw_playlist's
        # spotify_api, so that two extractions never share the API's rate limit.
        concurrency = instance.get_concurrency_config()
        assert concurrency.run_queue_config.max_concurrent_runs == 4
        assert list(concurrency.run_queue_config.tag_concurrency_limits) == [
            {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
        ]
        assert (concurrency.pool_config.pool_granularity.value, concurrency.pool_config.default_pool_limit) == (
            "run",
            1,
        )
        assert raw_playlist.op.pool == SPOTIFY_API_POOL == "spotify_api"
        assert concurrency.run_queue_config.should_block_op_concurrency_limited_runs


def _land(lake_path: Path) -> None:
    """The synthetic sample as each day's raw object, but for ``EMPTY_DAY``."""
    playlist = load_sample_playlist()
    body = json.dumps(playlist).encode()
    lake = Lake(str(lake_path))
    for day in DAYS:
        if day != EMPTY_DAY:
            lake.write_bytes(raw_key(day, playlist["id"]), body)


def _range_run(
    server: PostgresServer, database: str, home: Path, lake_path: Path, batch_size: int, log_env: dict[str, str]
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_VARS and not k.startswith("DAGSTER_")}
    env.update(
        **server.dagster_env(database),
        **log_env,
        DAGSTER_HOME=str(home),
        DAGSTER_EVENT_BATCH_SIZE=str(batch_size),
        SPOTIFY_LAKE_URL=str(lake_path),
        SPOTIFY_DUCKDB_PATH=str(lake_path.parent / "catalog.duckdb"),
    )
    return materialize_cli(",".join(SPOTIFY_TABLE_NAMES), ["--partition-range", f"{DAYS[0]}...{DAYS[-1]}"], env)


def test_range_backfill_on_postgres_writes_per_day_events_in_batches(server, tmp_path, monkeypatch, compute_log_env):
    lake_path = tmp_path / "lake"
    _land(lake_path)
    commits = {}
    for batch_size in (0, 100):  # 0: Dagster's default, one write per event
        database = server.create_database(f"range_batch_{batch_size}")
        home = _home(tmp_path / f"batch-{batch_size}")
        before = _commits(server, database)
        done = _range_run(server, database, home, lake_path, batch_size, compute_log_env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert BATCH_FALLBACK not in done.stdout + done.stderr
        assert f"{EMPTY_DAY}: no readable raw objects" in done.stdout + done.stderr
        commits[batch_size] = _commits(server, database) - before

        for name, value in server.dagster_env(database).items():
            monkeypatch.setenv(name, value)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs()
            assert len(runs) == 1 and runs[0].tags["dagster/asset_partition_range_end"] == DAYS[-1]
            for table in SPOTIFY_TABLE_NAMES:
                key = dg.AssetKey(table)
                # Every day, the empty one too, is materialized: what the UI's partition bar shows.
                assert instance.get_materialized_partitions(key) == set(DAYS)
                planned_days = {
                    record.event_log_entry.dagster_event.event_specific_data.partition
                    for record in instance.get_records_for_run(
                        runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
                    ).records
                    if record.event_log_entry.dagster_event.asset_key == key
                }
                # One planned event per day, so a running or failed range shows per day in the UI.
                assert planned_days == set(DAYS)
        for table in SPOTIFY_TABLE_NAMES:
            assert all((lake_path / table_key(table, day)).is_file() for day in DAYS)
            for day in DAYS:
                (lake_path / table_key(table, day)).unlink()  # the next run must write them again

    # 6 days x 4 tables x (planned + materialization) asset events: one or more transactions
    # each unbatched, a handful batched.
    assert commits[0] - commits[100] >= 2 * len(DAYS) * len(SPOTIFY_TABLE_NAMES), commits
