"""(b) Backfill of the four tables: one run over a range of days against one run per day.

Both go through the real CLI in fresh processes, as a user would run them, against a
fresh DAGSTER_HOME (the default local instance: SQLite storage) and a local lake of
``days`` x ``playlists`` raw objects of ``items`` items each:

- range: ``dagster asset materialize --select songs,albums,artists,playlist_entries
  --partition-range FIRST...LAST`` (one run; the tables' BackfillPolicy.single_run());
- range, in-process: ``dg.materialize`` of the same selection with the range tags in a
  fresh interpreter, with its default ephemeral (in-memory) instance: the project's
  work and Dagster's execution without the cost of a SQLite event log on disk;
- per partition: the same command with ``--partition DAY`` for ``samples`` days spread
  over the range, each a separate process, what every run of a per-partition backfill
  costs at least (a daemon-launched run adds the launcher's own start-up); the total is
  extrapolated to all days;
- the deployment's instance: the range and per-partition CLI runs again with
  ``deploy/dagster.yaml`` (PostgreSQL storage, dagster-postgres) against a real local
  PostgreSQL server (fsync on), with ``DAGSTER_EVENT_BATCH_SIZE`` set as the README says,
  each range run on a fresh database. Skipped, with the reason, without PostgreSQL.

CPU seconds are the children's user+sys time (``RUSAGE_CHILDREN``: the CLI and the step
process it starts).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

import dagster as dg

from benchmarks.data import days as day_range
from benchmarks.data import land_daily_snapshots
from benchmarks.sensor_tick import REGION, moto_server
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import table_key
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.postgres_server import (
    PostgresServer,
    postgres_bin_dir,
    postgres_server,
    unavailable_reason,
)

REPO = Path(__file__).resolve().parents[1]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"
EVENT_BATCH_SIZE = "100"  # the README's recommendation for deployments
SELECTION = ",".join(SPOTIFY_TABLE_NAMES)
FIRST_DAY = "2025-01-01"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _materialize(env: dict[str, str], log: Path, *partition_args: str) -> tuple[float, float]:
    """Run the CLI once; ``(wall s, CPU s)``. Raises ``RuntimeError`` with the log tail on failure."""
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [
        dagster,
        "asset",
        "materialize",
        "-m",
        "spotify_assets.definitions",
        "--select",
        SELECTION,
        *partition_args,
    ]
    cpu = _children_cpu()
    wall = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=3600)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{log.read_text()[-3000:]}")
    return wall, cpu


def _env(home: Path, lake: Path) -> dict[str, str]:
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("")  # the default local instance, without the "no dagster.yaml" notice
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SPOTIFY_LAKE_URL": str(lake),
        "SPOTIFY_DUCKDB_PATH": str(lake.parent / "catalog.duckdb"),
    }


def _postgres_env(home: Path, lake: Path, server: PostgresServer, database: str) -> dict[str, str]:
    """A fresh DAGSTER_HOME with the deployment's instance, on a fresh ``database``."""
    env = _env(home, lake)
    (home / "dagster.yaml").write_text(DEPLOY_YAML.read_text())
    return {**env, **server.dagster_env(server.create_database(database)), "DAGSTER_EVENT_BATCH_SIZE": EVENT_BATCH_SIZE}


def _checked_range(env: dict[str, str], home: Path, log: Path, lake_path: Path, keys: list[str]) -> tuple[float, float]:
    """One CLI range run over ``keys``, after deleting every table file an earlier run
    wrote; checks that it was one run and that it wrote every file."""
    for table in SPOTIFY_TABLE_NAMES:
        for k in keys:
            (lake_path / table_key(table, k)).unlink(missing_ok=True)
    measured = _materialize(env, log, "--partition-range", f"{keys[0]}...{keys[-1]}")
    runs = _runs(home, env)
    if len(runs) != 1 or runs[0].tags.get("dagster/asset_partition_range_end") != keys[-1]:
        raise RuntimeError(f"expected one run over {keys[0]}...{keys[-1]}, found {[(r.run_id, r.tags) for r in runs]}")
    if "Exception while storing event batch" in log.read_text():
        raise RuntimeError(f"Dagster fell back to one write per event (see {log})")
    missing = [
        table_key(t, k) for t in SPOTIFY_TABLE_NAMES for k in keys if not (lake_path / table_key(t, k)).is_file()
    ]
    if missing:
        raise RuntimeError(f"the range run did not write {len(missing)} files, e.g. {missing[:3]}")
    return measured


def _range_in_process(lake: Path, first: str, last: str) -> dict:
    """Run :func:`_in_process_worker` in a fresh interpreter; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.backfill", "in-process", str(lake), first, last],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"in-process range run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _in_process_worker(lake: str, first: str, last: str) -> None:
    import logging

    from benchmarks.transform import peak_rss_mib
    from spotify_assets.assets.raw import raw_playlist
    from spotify_assets.assets.spotify_tables import spotify_tables
    from spotify_assets.definitions import build_resources
    from spotify_assets.settings import Settings

    logging.disable(logging.INFO)  # 1,460 "materialized" lines on the console would be timed too
    resources = build_resources(Settings("local", lake, "", "", "2023-01-01", lake + ".duckdb"))
    wall, cpu = time.perf_counter(), time.process_time()
    result = dg.materialize(
        [raw_playlist, spotify_tables],
        selection=[spotify_tables],
        resources=resources,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    partitions = {(m.asset_key.path[-1], m.partition) for m in result.asset_materializations_for_node("spotify_tables")}
    print(
        json.dumps(
            {
                "success": result.success,
                "materializations": len(partitions),
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def _runs(home: Path, env: dict[str, str] | None = None) -> list[dg.DagsterRun]:
    """The runs of the instance in ``home``; ``env`` supplies what its dagster.yaml reads."""
    with patch.dict(os.environ, env or {}), dg.DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def measure_backfill(days: int, playlists: int = 3, items: int = 50, samples: int = 5, range_repeats: int = 1) -> dict:
    """Range run over ``days`` days vs ``samples`` single-day runs extrapolated to ``days``.

    The CLI range run is made ``range_repeats`` times (median reported, every wall time
    kept). Checks what it measures: each range run is exactly one run with the range
    tags and wrote every table file of every day. Then the same on the deployment's
    instance (``postgres``: PostgreSQL, batched event writes; ``{"skipped": reason}``
    without a server). Returns seconds (wall and CPU) and counts.
    """
    keys = day_range(FIRST_DAY, days)
    with tempfile.TemporaryDirectory(prefix="spotify-backfill-bench-") as tmp:
        root = Path(tmp)
        lake_path = root / "lake"
        raw_bytes = land_daily_snapshots(Lake(str(lake_path)), keys, playlists, items)

        # Repeated, each in a fresh DAGSTER_HOME: on this 2-core machine the figure varies
        # by up to a quarter between identical runs (most of it is SQLite event-log work).
        range_measures = []
        for repeat in range(range_repeats):
            range_home = root / f"home-range-{repeat}"
            range_measures.append(
                _checked_range(_env(range_home, lake_path), range_home, root / f"range-{repeat}.log", lake_path, keys)
            )
        range_walls = [w for w, _ in range_measures]
        range_wall = statistics.median(range_walls)
        range_cpu = statistics.median(c for _, c in range_measures)

        # The same CLI run with Dagster's switch for one planned event per asset instead of
        # one per day (not our default: a failed run then leaves its days unmarked as failed).
        subset_home = root / "home-range-subset"
        subset_env = {**_env(subset_home, lake_path), PLANNED_SUBSET_ENV: "1"}
        subset_wall, subset_cpu = _checked_range(subset_env, subset_home, root / "range-subset.log", lake_path, keys)

        in_process = _range_in_process(lake_path, keys[0], keys[-1])
        if not in_process["success"] or in_process["materializations"] != len(keys) * len(SPOTIFY_TABLE_NAMES):
            raise RuntimeError(f"in-process range run: {in_process}")

        single_home = root / "home-single"
        single_env = _env(single_home, lake_path)
        step = max(1, days // samples)
        picked = keys[::step][:samples]
        singles = [_materialize(single_env, root / f"single-{k}.log", "--partition", k) for k in picked]
        if len(_runs(single_home)) != len(picked):
            raise RuntimeError("expected one run per single-partition materialization")

        postgres = _measure_postgres(root, lake_path, keys, picked, range_repeats)

    single_walls = [w for w, _ in singles]
    per_partition_wall = sum(single_walls) * days / len(picked)
    return {
        "days": days,
        "raw_objects": days * playlists,
        "raw_mib": raw_bytes / 2**20,
        "files_written": len(keys) * len(SPOTIFY_TABLE_NAMES),
        "range_wall_s": range_wall,
        "range_cpu_s": range_cpu,
        "range_walls_s": range_walls,
        "range_planned_subset_wall_s": subset_wall,
        "range_planned_subset_cpu_s": subset_cpu,
        "in_process_wall_s": in_process["wall_s"],
        "in_process_cpu_s": in_process["cpu_s"],
        "in_process_peak_rss_mib": in_process["peak_rss_mib"],
        "single_samples": len(picked),
        "single_wall_s": single_walls,
        "single_cpu_s": [c for _, c in singles],
        "single_median_wall_s": statistics.median(single_walls),
        "per_partition_wall_s": per_partition_wall,
        "extrapolation_factor": days / len(picked),
        "speedup": per_partition_wall / range_wall,
        "in_process_speedup": per_partition_wall / in_process["wall_s"],
        "postgres": postgres,
    }


def _compute_log_env(endpoint: str) -> dict[str, str]:
    """The variables deploy/dagster.yaml's step logs read, for a bucket made on the moto server
    at ``endpoint`` (dummy credentials: moto accepts any)."""
    import boto3

    aws = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_DEFAULT_REGION": REGION,
    }
    boto3.session.Session(region_name=REGION, aws_access_key_id="benchmark", aws_secret_access_key="benchmark").client(
        "s3", endpoint_url=endpoint
    ).create_bucket(Bucket="benchmark-step-logs")
    return {
        **aws,
        "DAGSTER_COMPUTE_LOG_BUCKET": "benchmark-step-logs",
        "DAGSTER_COMPUTE_LOG_PREFIX": "dagster/compute-logs",
    }


def _measure_postgres(root: Path, lake_path: Path, keys: list[str], picked: list[str], range_repeats: int) -> dict:
    """The range runs and single-day runs again on the deployment's instance (PostgreSQL,
    batched event writes); ``{"skipped": reason}`` where no server can be started."""
    reason = unavailable_reason()
    if reason:
        return {"skipped": reason}
    # The instance's step logs go to S3 (S3ComputeLogManager): a bucket on a moto server.
    with postgres_server() as server, moto_server() as endpoint:
        logs = _compute_log_env(endpoint)
        measures = []
        for repeat in range(range_repeats):
            home = root / f"home-pg-range-{repeat}"
            env = {**_postgres_env(home, lake_path, server, f"bench_range_{repeat}"), **logs}
            measures.append(_checked_range(env, home, root / f"pg-range-{repeat}.log", lake_path, keys))
        home = root / "home-pg-single"
        env = {**_postgres_env(home, lake_path, server, "bench_single"), **logs}
        singles = [_materialize(env, root / f"pg-single-{k}.log", "--partition", k) for k in picked]
        if len(_runs(home, env)) != len(picked):
            raise RuntimeError("PostgreSQL: expected one run per single-partition materialization")
    walls = [w for w, _ in measures]
    single_walls = [w for w, _ in singles]
    per_partition = sum(single_walls) * len(keys) / len(picked)
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "PostgreSQL 15.18"
    version = subprocess.run(
        [str(postgres_bin_dir() / "postgres"), "--version"], capture_output=True, text=True
    ).stdout.split()
    version = " ".join(version[1:3]).strip("()").replace(")", "") if len(version) >= 3 else "PostgreSQL"
    return {
        "server": version,
        "event_batch_size": int(EVENT_BATCH_SIZE),
        "range_wall_s": statistics.median(walls),
        "range_walls_s": walls,
        "range_cpu_s": statistics.median(c for _, c in measures),
        "single_wall_s": single_walls,
        "single_median_wall_s": statistics.median(single_walls),
        "per_partition_wall_s": per_partition,
        "speedup": per_partition / statistics.median(walls),
    }


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "in-process":
        _in_process_worker(*sys.argv[2:])
    else:
        sys.exit("usage: python -m benchmarks.backfill in-process LAKE FIRST LAST")
