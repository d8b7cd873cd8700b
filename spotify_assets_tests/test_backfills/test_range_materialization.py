"""Single-run backfills of songs, albums, artists and playlist_entries (the multi-asset
``spotify_tables``, ``BackfillPolicy.single_run()``), launched as a user launches them:

- the real CLI, ``dagster asset materialize --partition-range A...B``, in a subprocess
  with its own DAGSTER_HOME: one run, every day's files, a warning (not a failure) for
  days without raw objects, and the same files as one run per day;
- a backfill as the UI launches it: the UI's ``LaunchPartitionBackfill`` GraphQL
  mutation (the webserver's schema, executed in-process), then the daemon's own
  iterations (backfill daemon, queued-run coordinator daemon) in-process; the run is
  launched for real by the instance's run launcher through a code server process.

Raw objects are real recorded items (a 317-item personal playlist, sliced into daily
windows, and the recorded Top 50 - Global) landed in a local lake folder.
"""

import logging
import os
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import orjson
import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key
from spotify_assets.spotify.daily_tables import count_skipped_items
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.cli_runs import materialize_cli
from spotify_assets_tests.support.fixtures.lake import PROJECT_ENV_VARS
from spotify_assets_tests.support.runs import local_settings, materialize_tables
from spotify_assets_tests.support.samples import HUY_HNG, TOP50_ID, TOP50_SNAPSHOTS, sample_path

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[2]
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PERSONAL = HUY_HNG  # 317 items as a bare list
TOP50 = TOP50_SNAPSHOTS["2024-05-15"]  # [playlist object]
PERSONAL_ID = "7csrlizJurpn6y0xenTwzu"
EMPTY_DAY_WARNING = "{dt}: no readable raw objects; its table partitions are written empty"

# The 30-day range of the CLI tests; days without any raw object (the last one included).
DAYS = [(date(2024, 5, 1) + timedelta(days=i)).isoformat() for i in range(30)]
EMPTY_DAYS = {"2024-05-04", "2024-05-17", "2024-05-30"}


def land_days(lake_path: Path, days: list[str], empty: set[str]) -> None:
    """For each day not in ``empty``: a 40-item window of the personal playlist (moving by
    7 items a day, so days differ) as our extractor stores it, and the Top 50 recording."""
    items = parse_raw_object(sample_path(PERSONAL).read_bytes(), PERSONAL).items
    top50 = sample_path(TOP50).read_bytes()
    lake = Lake(str(lake_path))
    for index, dt in enumerate(days):
        if dt in empty:
            continue
        window = items[index * 7 : index * 7 + 40]
        document = {
            "id": PERSONAL_ID,
            "name": "huy-hng",
            "snapshot_id": f"snap-{dt}",
            "type": "playlist",
            "items": {"href": None, "items": window, "limit": 50, "next": None, "offset": 0, "total": len(window)},
        }
        lake.write_bytes(raw_key(dt, PERSONAL_ID), orjson.dumps(document))
        lake.write_bytes(raw_key(dt, TOP50_ID), top50)


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for a subprocess: the project's variables removed (a developer's
    own settings must not leak in), then ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_VARS}
    return {**env, **overrides}


def new_dagster_home(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text("")  # the default local instance
    return path


def table(lake_path: Path, name: str, dt: str):
    return pq.read_table(lake_path / name / f"dt={dt}" / "data.parquet")


@pytest.fixture(scope="module")
def cli_range(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """``(lake folder, DAGSTER_HOME, completed process)`` after one
    ``dagster asset materialize --partition-range`` over :data:`DAYS`."""
    root = tmp_path_factory.mktemp("cli_range")
    lake_path, home = root / "lake", new_dagster_home(root / "home")
    land_days(lake_path, DAYS, EMPTY_DAYS)
    env = clean_env(
        DAGSTER_HOME=str(home), SPOTIFY_LAKE_URL=str(lake_path), SPOTIFY_DUCKDB_PATH=str(root / "catalog.duckdb")
    )
    done = materialize_cli(",".join(SPOTIFY_TABLE_NAMES), ["--partition-range", f"{DAYS[0]}...{DAYS[-1]}"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    return lake_path, home, done


def test_cli_partition_range_is_one_run_that_writes_every_day(cli_range):
    lake_path, home, _ = cli_range
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1
        [run] = runs
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert (run.tags[RANGE_START], run.tags[RANGE_END]) == (DAYS[0], DAYS[-1])
        for name in SPOTIFY_TABLE_NAMES:
            assert instance.get_materialized_partitions(dg.AssetKey(name)) == set(DAYS)
    for name in SPOTIFY_TABLE_NAMES:
        assert sorted(p.name for p in (lake_path / name).iterdir()) == [f"dt={dt}" for dt in DAYS]
        for dt in DAYS:
            stored = table(lake_path, name, dt)
            assert stored.schema == TABLE_SCHEMAS[name]  # no dt column inside the file
            assert (stored.num_rows == 0) == (dt in EMPTY_DAYS), (name, dt)
    entries = table(lake_path, "playlist_entries", "2024-05-02")
    assert set(entries["playlist_id"].to_pylist()) == {PERSONAL_ID, TOP50_ID}
    assert set(entries["snapshot_id"].to_pylist()) >= {"snap-2024-05-02"}


def test_each_day_of_the_range_has_its_own_row_count_and_the_run_totals(cli_range):
    """Dagster copies an output's metadata onto every day's materialization: each day gets
    its own row count, and all days the run's totals (fixed size); no map of the whole
    range, no preview of its first rows."""
    lake_path, home, _ = cli_range
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        logs = instance.all_logs(run.run_id)
        records = {
            name: instance.fetch_materializations(dg.AssetKey(name), limit=1000).records for name in SPOTIFY_TABLE_NAMES
        }
    items = parse_raw_object(sample_path(PERSONAL).read_bytes(), PERSONAL).items
    top50_skips = count_skipped_items(parse_raw_object(sample_path(TOP50).read_bytes(), TOP50))
    windows = [
        count_skipped_items(parse_raw_object(orjson.dumps(items[i * 7 : i * 7 + 40]), "window"))
        for i, dt in enumerate(DAYS)
        if dt not in EMPTY_DAYS
    ]
    run_skips = {r: sum(w[r] for w in windows) + top50_skips[r] * len(windows) for r in top50_skips}
    assert run_skips["local_file"] > 0
    for name in SPOTIFY_TABLE_NAMES:
        by_day = {r.partition_key: r.asset_materialization.metadata for r in records[name]}
        assert sorted(by_day) == DAYS
        for dt in DAYS:
            meta = by_day[dt]
            assert meta["dagster/row_count"].value == table(lake_path, name, dt).num_rows, (name, dt)
            assert meta["run_row_count"].value == sum(table(lake_path, name, d).num_rows for d in DAYS)
            assert meta["partitions_written"].value == len(DAYS)
            assert (meta["run_raw_objects"].value, meta["run_bad_objects"].value) == (
                2 * (len(DAYS) - len(EMPTY_DAYS)),
                0,
            )
            assert meta["run_skipped_items"].value == run_skips
            assert not {"preview", "rows_by_partition", "raw_objects", "bad_objects"} & set(meta)
    # One materialization per table and day, one evaluation per check: nothing per day
    # beyond what Dagster records for each partition.
    counts = {
        t: sum(1 for e in logs if e.dagster_event and e.dagster_event.event_type == t)
        for t in (dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    }
    assert counts == {
        dg.DagsterEventType.ASSET_MATERIALIZATION: 4 * len(DAYS),
        dg.DagsterEventType.ASSET_CHECK_EVALUATION: 12,
    }


def test_days_without_raw_objects_are_written_empty_with_a_warning_not_a_failure(cli_range):
    _, home, _ = cli_range
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        logs = instance.all_logs(run.run_id)
    warnings = [
        e.user_message for e in logs if e.level == logging.WARNING and "no readable raw objects" in e.user_message
    ]
    assert sorted(warnings) == sorted(EMPTY_DAY_WARNING.format(dt=dt) for dt in EMPTY_DAYS)
    assert not [e for e in logs if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_FAILURE]


def test_a_30_day_range_gives_the_files_of_30_single_day_runs(cli_range, tmp_path):
    range_lake, _, _ = cli_range
    single_lake = tmp_path / "lake"
    land_days(single_lake, DAYS, EMPTY_DAYS)
    resources = build_resources(local_settings(str(single_lake), str(tmp_path / "catalog.duckdb")))
    instance = dg.DagsterInstance.ephemeral()
    for dt in DAYS:
        result = materialize_tables(dt, selection=[spotify_tables], resources=resources, instance=instance)
        assert result.success
    compared = 0
    for name in SPOTIFY_TABLE_NAMES:
        for dt in DAYS:
            single = table(single_lake, name, dt)
            assert table(range_lake, name, dt).equals(single, check_metadata=True), (name, dt)
            compared += single.num_rows
    assert compared > 27 * 4 * 40  # row for row, not 120 empty files


# The UI's mutation (ui-core/src/instance/backfill/BackfillUtils.tsx), trimmed to the
# answers this test reads.
LAUNCH_PARTITION_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""


def test_a_backfill_launched_like_the_ui_runs_as_one_run(lake_dir, tmp_path):
    from dagster._core.execution.backfill import BulkActionStatus
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._daemon.backfill import execute_backfill_iteration
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon
    from dagster_graphql.test.utils import execute_dagster_graphql

    days = ["2024-05-11", "2024-05-12", "2024-05-13", "2024-05-14", "2024-05-15"]
    empty = {"2024-05-13", "2024-05-15"}
    land_days(lake_dir, days, empty)
    logger = logging.getLogger("test_backfill_daemon")
    # The default local instance (QueuedRunCoordinator, DefaultRunLauncher); the code
    # server and the run worker it starts read SPOTIFY_LAKE_URL (lake_dir) from the env.
    with (
        dg.DagsterInstance.from_config(str(new_dagster_home(tmp_path / "home"))) as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(REPO / "workspace.yaml")])) as workspace,
    ):
        # What "Materialize selected… → Launch backfill" sends for assets of the default asset job.
        params = {
            "tags": [{"key": "dagster/from_ui", "value": "true"}],
            "assetSelection": [{"path": [name]} for name in SPOTIFY_TABLE_NAMES],
            "partitionNames": days,
            "fromFailure": False,
        }
        answer = execute_dagster_graphql(
            workspace.create_request_context(), LAUNCH_PARTITION_BACKFILL, {"backfillParams": params}
        )
        assert (
            answer.errors is None and answer.data["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess"
        ), answer
        backfill_id = answer.data["launchPartitionBackfill"]["backfillId"]

        list(execute_backfill_iteration(workspace, logger))  # the backfill daemon requests the run(s)
        with QueuedRunCoordinatorDaemon(interval_seconds=1) as dequeuer:
            list(dequeuer.run_iteration(workspace))  # the run queue daemon launches them
        deadline = time.monotonic() + 240
        while not all(r.is_finished for r in instance.get_runs()):
            assert time.monotonic() < deadline, "the backfill's run did not finish within 240 s"
            time.sleep(0.5)
        list(execute_backfill_iteration(workspace, logger))  # sees the run done, completes the backfill

        runs = instance.get_runs()
        assert len(runs) == 1
        [run] = runs
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/backfill"] == backfill_id
        assert (run.tags[RANGE_START], run.tags[RANGE_END]) == (days[0], days[-1])
        assert instance.get_backfill(backfill_id).status == BulkActionStatus.COMPLETED_SUCCESS
    for name in SPOTIFY_TABLE_NAMES:
        for dt in days:
            assert (table(lake_dir, name, dt).num_rows == 0) == (dt in empty), (name, dt)


# The two pure pieces a range run relies on, with input in no particular order.


def test_a_range_output_is_split_per_day_keeping_row_order_and_empty_days():
    import pyarrow as pa

    from spotify_assets.lake.parquet import split_by_partition

    output = pa.table(
        {"x": [1, 2, 3, 4, 5], "dt": ["2024-05-02", "2024-05-01", "2024-05-02", "2024-05-01", "2024-05-04"]}
    )
    parts = split_by_partition(output, ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"])
    assert {k: t.column("x").to_pylist() for k, t in parts.items()} == {
        "2024-05-01": [2, 4],
        "2024-05-02": [1, 3],
        "2024-05-03": [],
        "2024-05-04": [5],
    }
    assert all(t.schema == pa.schema([("x", pa.int64())]) for t in parts.values())


def test_tables_of_a_range_come_day_by_day_and_reports_keep_the_input_order():
    from spotify_assets.lake.layout import RawObject
    from spotify_assets.transform import build_partition_tables

    items = parse_raw_object(sample_path(PERSONAL).read_bytes(), PERSONAL).items
    objects = [
        RawObject("2024-05-02", raw_key("2024-05-02", PERSONAL_ID), orjson.dumps(items[:10])),
        RawObject("2024-05-01", "raw_playlist/dt=2024-05-01/broken.json", b'{"items": ['),
        RawObject("2024-05-01", raw_key("2024-05-01", TOP50_ID), sample_path(TOP50).read_bytes()),
        RawObject("2024-05-02", "raw_playlist/dt=2024-05-02/empty.json", b""),
    ]
    built = build_partition_tables(objects, ["2024-05-01", "2024-05-02", "2024-05-03"])
    assert list(built.bad_objects) == [
        "raw_playlist/dt=2024-05-01/broken.json",
        "raw_playlist/dt=2024-05-02/empty.json",
    ]
    assert built.playlists == [("2024-05-02", PERSONAL_ID, 10), ("2024-05-01", TOP50_ID, 50)]
    assert built.objects_by_dt == {"2024-05-01": 1, "2024-05-02": 1, "2024-05-03": 0}
    top50_skips = count_skipped_items(parse_raw_object(sample_path(TOP50).read_bytes(), TOP50))
    personal_skips = count_skipped_items(parse_raw_object(orjson.dumps(items[:10]), "personal"))
    assert built.skipped_items == {r: top50_skips[r] + personal_skips[r] for r in top50_skips}
    entries = built.tables["playlist_entries"]
    assert entries["dt"].to_pylist() == ["2024-05-01"] * 50 + ["2024-05-02"] * 10
    with pytest.raises(ValueError, match="belongs to 2024-05-09, outside the partitions 2024-05-01...2024-05-03"):
        build_partition_tables(
            [*objects, RawObject("2024-05-09", raw_key("2024-05-09", PERSONAL_ID), orjson.dumps(items[:3]))],
            ["2024-05-01", "2024-05-02", "2024-05-03"],
        )
