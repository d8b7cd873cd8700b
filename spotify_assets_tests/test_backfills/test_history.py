"""History: a range of days in one run. Without Spotify credentials the synthetic sample
plays each day of the range; with real credentials past days need landed raw objects, the
synthetic sample's raw objects never reach the tables, and asking for many missing days is
one run that says why instead of one doomed run per day. Loading the code location prints
no warning (the backfill policies agree)."""

import datetime
import json
import logging
import os
import subprocess
import sys

import dagster as dg
import pyarrow.parquet as pq
import pytest

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import SYNTHETIC_OBJECTS_SKIPPED, spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.io_managers.parquet_io_manager import ParquetLakeIOManager
from spotify_assets.io_managers.raw_json_io_manager import RawJsonIOManager
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.settings import Settings
from spotify_assets.spotify.offline_sample import synthetic_playlist
from spotify_assets_tests.support.cli_runs import REPO
from spotify_assets_tests.support.fixtures.lake import PROJECT_ENV_VARS
from spotify_assets_tests.support.samples import HUY_HNG_SMALL, TOP50_ID, TOP50_SNAPSHOTS, sample_path

TOP50 = TOP50_SNAPSHOTS["2024-05-15"]  # a recorded [playlist object]
SYNTHETIC_ID = "0SynthPlaylist00000001"
PERSONAL_ID = "0lSHxL8DnuRYEhk2cmKSDH"  # a recorded personal playlist (41 items)
DAYS = ["2024-05-10", "2024-05-11", "2024-05-12", "2024-05-13"]  # Friday to Monday


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def _offline_resources(lake_url: str) -> dict:
    """The project's resources without Spotify credentials: the synthetic source."""
    return {
        "spotify": SpotifyResource(),
        "lake": LakeResource(lake_url=lake_url),
        "raw_io_manager": RawJsonIOManager(lake_url=lake_url),
        "table_io_manager": ParquetLakeIOManager(lake_url=lake_url),
    }


def _entries(lake_dir, dt: str):
    return pq.read_table(lake_dir / "playlist_entries" / f"dt={dt}" / "data.parquet")


def _messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(run_id)]


def test_the_synthetic_source_plays_each_day_of_a_range_in_one_run(lake_dir):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [raw_playlist, spotify_tables],
        resources=_offline_resources(str(lake_dir)),
        instance=instance,
        tags=_range_tags(DAYS[0], DAYS[-1]),
    )
    assert result.success
    assert len(instance.get_runs()) == 1
    assert sorted(m.partition for m in result.asset_materializations_for_node("raw_playlist")) == DAYS
    snapshots_of = {}
    for dt in DAYS:
        played = synthetic_playlist(datetime.date.fromisoformat(dt))
        stored = json.loads((lake_dir / raw_key(dt, SYNTHETIC_ID)).read_bytes())
        assert (
            stored["items"]["items"] == played["items"]["items"]
            and stored["extraction"]["source"] == "synthetic-sample"
        )
        entries = _entries(lake_dir, dt)
        assert entries.num_rows == len(played["items"]["items"]) > 50
        (snapshots_of[dt],) = set(entries["snapshot_id"].to_pylist())
    assert len(set(snapshots_of.values())) == 3  # Sunday 2024-05-12 repeats Saturday's snapshot
    (line,) = [m for m in _messages(instance, result.run_id) if "reading the SYNTHETIC sample" in m]
    again = dg.materialize(  # played again: the sample's objects are replaced, without a note each
        [raw_playlist],
        resources=_offline_resources(str(lake_dir)),
        instance=instance,
        tags=_range_tags(DAYS[0], DAYS[-1]),
    )
    assert not [m for m in _messages(instance, again.run_id) if "synthetic sample not counted" in m]
    assert json.loads((lake_dir / raw_key(DAYS[0], SYNTHETIC_ID)).read_bytes())["snapshot_id"] == snapshots_of[DAYS[0]]
    assert line.endswith(
        f"(4 days, {DAYS[0]}...{DAYS[-1]}); its raw objects are marked extraction.source = synthetic-sample."
    )


def test_with_real_credentials_the_tables_skip_the_synthetic_objects(lake_dir, spotify_env):
    """A lake the demo filled, then given credentials and real raw objects for two of its days."""
    assert dg.materialize(
        [raw_playlist], resources=_offline_resources(str(lake_dir)), tags=_range_tags(DAYS[0], DAYS[2])
    ).success
    lake = Lake(str(lake_dir))
    for dt in DAYS[1:3]:
        lake.write_bytes(raw_key(dt, TOP50_ID), sample_path(TOP50).read_bytes())
    resources = build_resources(Settings.from_env())  # credentials of the test API server
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [raw_playlist, spotify_tables], resources=resources, instance=instance, tags=_range_tags(DAYS[1], DAYS[2])
    )
    assert result.success
    for dt in DAYS[1:3]:
        entries = _entries(lake_dir, dt)
        assert set(entries["playlist_id"].to_pylist()) == {TOP50_ID} and entries.num_rows == 50
    (materialization,) = [
        m for m in result.asset_materializations_for_node("spotify_tables") if m.asset_key.path == ["playlist_entries"]
    ][:1]
    assert materialization.metadata[SYNTHETIC_OBJECTS_SKIPPED].value == 2
    messages = _messages(instance, result.run_id)
    assert any(
        m.startswith("skipped 2 raw object(s) of the SYNTHETIC sample (raw_playlist/dt=2024-05-11/0SynthPlaylist")
        for m in messages
    ), messages
    assert (
        f"raw_playlist {DAYS[1]}...{DAYS[2]} (2 days): 2 raw object(s) of the synthetic sample not counted as landed"
        in messages
    )
    assert spotify_env.api_requests() == []  # past days: the API is never called

    # The first day holds only the sample's object: with real credentials it has nothing landed.
    failed = dg.materialize(
        [raw_playlist], resources=resources, tags=_range_tags(DAYS[0], DAYS[2]), raise_on_error=False
    )
    error = failed.get_step_failure_events()[0].step_failure_data.error.message
    assert f"raw_playlist {DAYS[0]}: cannot extract a past or future day. " in error


def test_with_real_credentials_a_range_extracts_today_and_records_landed_days(lake_dir, spotify_env, monkeypatch):
    items = json.loads(sample_path(HUY_HNG_SMALL).read_text())
    spotify_env.add_playlist(PERSONAL_ID, items)
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", PERSONAL_ID)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    landed = lake_dir / raw_key(yesterday, TOP50_ID)
    Lake(str(lake_dir)).write_bytes(raw_key(yesterday, TOP50_ID), sample_path(TOP50).read_bytes())
    result = dg.materialize(
        [raw_playlist],
        resources=build_resources(Settings.from_env()),
        tags=_range_tags(yesterday, today.isoformat()),
    )
    assert result.success
    assert sorted(m.partition for m in result.asset_materializations_for_node("raw_playlist")) == [
        yesterday,
        today.isoformat(),
    ]
    stored = json.loads((lake_dir / raw_key(today.isoformat(), PERSONAL_ID)).read_bytes())
    assert len(stored["items"]["items"]) == len(items) and stored["extraction"]["source"] == "spotify-web-api"
    assert landed.read_bytes() == sample_path(TOP50).read_bytes()  # recorded, never rewritten
    assert sorted(p.name for p in landed.parent.iterdir()) == [f"{TOP50_ID}.json"]
    assert {r.path for r in spotify_env.api_requests()} >= {f"/v1/playlists/{PERSONAL_ID}"}


@pytest.mark.slow
def test_loading_the_code_location_prints_no_warning(tmp_path):
    """What `dagster dev` loads, with every warning shown once (-W default): no "varying
    BackfillPolicies", no deprecation of the project's own calls."""
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_VARS}
    env.update(DAGSTER_HOME=str(tmp_path), SPOTIFY_LAKE_URL=str(tmp_path / "lake"))
    (tmp_path / "dagster.yaml").write_text("")
    code = (
        "from spotify_assets.definitions import defs\n"
        "repository = defs.get_repository_def()\n"
        "print(sorted(job.name for job in repository.get_all_jobs()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "__ASSET_JOB" in done.stdout
    assert done.stderr == ""


# The code location as `dagster dev` loads it, but built when the workspace loads (not when
# this module was imported), so that it reads the environment the test set.
@dg.definitions
def code_location() -> dg.Definitions:
    from spotify_assets.definitions import build_definitions

    return build_definitions(Settings.from_env())


@pytest.mark.slow
def test_materialize_all_missing_with_real_credentials_is_one_run_that_says_why(lake_dir, spotify_env):
    """The UI's "Materialize all → Missing" over 10 past days with real credentials and no
    landed object: the backfill daemon launches ONE run (every backfill policy is single-run),
    and its raw_playlist step fails at once naming the days, why and where to land objects;
    no request reaches the API and nothing is written."""
    from dagster._core.execution.backfill import BulkActionStatus
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
    from dagster._daemon.backfill import execute_backfill_iteration
    from dagster_graphql.test.utils import execute_dagster_graphql

    from spotify_assets_tests.test_backfills.test_range_materialization import LAUNCH_PARTITION_BACKFILL

    today = datetime.datetime.now(datetime.timezone.utc).date()
    days = [(today - datetime.timedelta(days=n)).isoformat() for n in range(10, 0, -1)]
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name=__name__, attribute="code_location", working_directory=str(REPO)),
        location_name="spotify_assets",
    )
    with (
        dg.instance_for_test(synchronous_run_coordinator=True, synchronous_run_launcher=True) as instance,
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
    ):
        asset_keys = [key.path for key in code_location().resolve_all_asset_keys()]
        params = {
            "assetSelection": [{"path": path} for path in asset_keys],
            "partitionNames": days,
            "fromFailure": False,
        }
        answer = execute_dagster_graphql(
            workspace.create_request_context(), LAUNCH_PARTITION_BACKFILL, {"backfillParams": params}
        )
        backfill_id = answer.data["launchPartitionBackfill"]["backfillId"]
        for _ in range(2):  # request the run (it runs synchronously), then see it fail and finish
            list(execute_backfill_iteration(workspace, logging.getLogger(__name__)))
        runs = instance.get_runs()
        assert len(runs) == 1, [r.tags for r in runs]
        [run] = runs
        assert run.status == dg.DagsterRunStatus.FAILURE
        assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
            days[0],
            days[-1],
        )
        failures = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        assert [f.step_key for f in failures] == ["raw_playlist"]
        message = failures[0].dagster_event.step_failure_data.error.message
        assert instance.get_backfill(backfill_id).status in (
            BulkActionStatus.COMPLETED_FAILED,
            BulkActionStatus.FAILED,
        ), instance.get_backfill(backfill_id).status
    assert f"raw_playlist {days[0]}...{days[-1]}: cannot extract past or future days. " in message
    assert f"only today's partition ({today.isoformat()} UTC) can be extracted" in message
    assert (
        f"10 of the 10 past or future day(s) asked for have no raw objects ({', '.join(days[:5])} and more)" in message
    )
    assert f"Land raw objects of those days at {lake_dir}/raw_playlist/dt=<day>/<playlist_id>.json" in message
    assert spotify_env.api_requests() == [] and not (lake_dir / "raw_playlist").exists()
