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
  extrapolated to all days.

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

import dagster as dg

from benchmarks.data import days as day_range
from benchmarks.data import land_daily_snapshots
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import TABLE_NAMES, table_key

REPO = Path(__file__).resolve().parents[1]
SELECTION = ",".join(TABLE_NAMES)
FIRST_DAY = "2025-01-01"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _materialize(env: dict[str, str], log: Path, *partition_args: str) -> tuple[float, float]:
    """Run the CLI once; ``(wall s, CPU s)``. Raises ``RuntimeError`` with the log tail on failure."""
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [dagster, "asset", "materialize", "-m", "spotify_assets.definitions", "--select", SELECTION, *partition_args]
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
    return {**os.environ, "DAGSTER_HOME": str(home), "SPOTIFY_LAKE_URL": str(lake), "SPOTIFY_DUCKDB_PATH": str(lake.parent / "catalog.duckdb")}


def _range_in_process(lake: Path, first: str, last: str) -> dict:
    """Run :func:`_in_process_worker` in a fresh interpreter; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.backfill", "in-process", str(lake), first, last],
        cwd=REPO, capture_output=True, text=True, timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"in-process range run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _in_process_worker(lake: str, first: str, last: str) -> None:
    import logging

    from benchmarks.transform import peak_rss_mib
    from spotify_assets.assets.raw import raw_playlist
    from spotify_assets.assets.tables import spotify_tables
    from spotify_assets.definitions import build_resources
    from spotify_assets.settings import Settings

    logging.disable(logging.INFO)  # 1,460 "materialized" lines on the console would be timed too
    resources = build_resources(Settings("local", lake, "", "", "2023-01-01", lake + ".duckdb"))
    wall, cpu = time.perf_counter(), time.process_time()
    result = dg.materialize(
        [raw_playlist, spotify_tables], selection=[spotify_tables], resources=resources,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    partitions = {(m.asset_key.path[-1], m.partition) for m in result.asset_materializations_for_node("spotify_tables")}
    print(json.dumps({"success": result.success, "materializations": len(partitions), "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": peak_rss_mib()}))


def _runs(home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def measure_backfill(days: int, playlists: int = 3, items: int = 50, samples: int = 5, range_repeats: int = 1) -> dict:
    """Range run over ``days`` days vs ``samples`` single-day runs extrapolated to ``days``.

    The CLI range run is made ``range_repeats`` times (median reported, every wall time
    kept). Checks what it measures: each range run is exactly one run with the range
    tags and wrote every table file of every day. Returns seconds (wall and CPU) and counts.
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
            range_measures.append(_materialize(_env(range_home, lake_path), root / f"range-{repeat}.log", "--partition-range", f"{keys[0]}...{keys[-1]}"))
            runs = _runs(range_home)
            if len(runs) != 1 or runs[0].tags.get("dagster/asset_partition_range_end") != keys[-1]:
                raise RuntimeError(f"expected one run over {keys[0]}...{keys[-1]}, found {[(r.run_id, r.tags) for r in runs]}")
            missing = [table_key(t, k) for t in TABLE_NAMES for k in keys if not (lake_path / table_key(t, k)).is_file()]
            if missing:
                raise RuntimeError(f"the range run did not write {len(missing)} files, e.g. {missing[:3]}")
            for table in TABLE_NAMES:  # the next repeat must write them again
                for k in keys:
                    (lake_path / table_key(table, k)).unlink()
        range_walls = [w for w, _ in range_measures]
        range_wall = statistics.median(range_walls)
        range_cpu = statistics.median(c for _, c in range_measures)

        # The same CLI run with Dagster's switch for one planned event per asset instead of
        # one per day (not our default: a failed run then leaves its days unmarked as failed).
        subset_home = root / "home-range-subset"
        subset_env = {**_env(subset_home, lake_path), PLANNED_SUBSET_ENV: "1"}
        subset_wall, subset_cpu = _materialize(subset_env, root / "range-subset.log", "--partition-range", f"{keys[0]}...{keys[-1]}")
        if len(_runs(subset_home)) != 1:
            raise RuntimeError(f"{PLANNED_SUBSET_ENV}=1: expected one run over {keys[0]}...{keys[-1]}")

        in_process = _range_in_process(lake_path, keys[0], keys[-1])
        if not in_process["success"] or in_process["materializations"] != len(keys) * len(TABLE_NAMES):
            raise RuntimeError(f"in-process range run: {in_process}")

        single_home = root / "home-single"
        single_env = _env(single_home, lake_path)
        step = max(1, days // samples)
        picked = keys[::step][:samples]
        singles = [_materialize(single_env, root / f"single-{k}.log", "--partition", k) for k in picked]
        if len(_runs(single_home)) != len(picked):
            raise RuntimeError("expected one run per single-partition materialization")

    single_walls = [w for w, _ in singles]
    per_partition_wall = sum(single_walls) * days / len(picked)
    return {
        "days": days,
        "raw_objects": days * playlists,
        "raw_mib": raw_bytes / 2**20,
        "files_written": len(keys) * len(TABLE_NAMES),
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
    }


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "in-process":
        _in_process_worker(*sys.argv[2:])
    else:
        sys.exit("usage: python -m benchmarks.backfill in-process LAKE FIRST LAST")
