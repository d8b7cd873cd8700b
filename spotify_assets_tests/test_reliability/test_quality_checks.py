"""Data-quality checks inside real runs: a blocking check stops downstream assets and the
row-count check only warns; write-audit-publish withholds the days that fail. The pure
check functions are tested in test_checks/test_table_checks.py."""

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spotify_assets.assets.spotify_tables import (
    KEY_COLUMNS,
    KEY_UNIQUE_NOT_NULL,
    REFERENTIAL_INTEGRITY,
    ROW_COUNT_NO_SHARP_DROP,
    audit_tables,
    spotify_tables,
    withheld_days,
)
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject
from spotify_assets.lake.parquet import split_by_partition
from spotify_assets.lake.publish import publish
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.settings import Settings
from spotify_assets.transform import build_partition_tables
from spotify_assets_tests.support.runs import materialize_tables
from spotify_assets_tests.support.samples import TOP50_ID, TOP50_SNAPSHOTS, ZMB3, sample_path

# -- inside runs --------------------------------------------------------------------------------


def _checks(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}


def _table_files(lake_dir) -> dict[str, bytes]:
    return {p.relative_to(lake_dir).as_posix(): p.read_bytes() for p in sorted(lake_dir.rglob("*.parquet"))}


# Raw objects can no longer make a key or reference check fail: a second snapshot of a playlist
# is superseded, a broken item gives no rows, and every row's parent is built from the same item.
# The audit stays as the guard against a bug in table building, so these tests break the built
# tables the way such a bug would, then run what spotify_tables runs on them: the audit, then the
# publish of the days that pass.
AUDIT_DAYS = ["2024-05-15", "2024-05-16", "2024-05-17"]


def _built_days() -> dict[str, pa.Table]:
    body = sample_path(TOP50_SNAPSHOTS["2024-05-15"]).read_bytes()
    objects = [RawObject(dt, f"raw_playlist/dt={dt}/{TOP50_ID}.json", body) for dt in AUDIT_DAYS]
    return build_partition_tables(objects, AUDIT_DAYS).tables


def _with_duplicate_entry(tables: dict[str, pa.Table], dt: str) -> dict[str, pa.Table]:
    """The tables with one playlist_entries row of ``dt`` repeated (a duplicate key that day)."""
    entries = tables["playlist_entries"]
    repeated = entries.filter(pc.equal(entries["dt"], dt)).slice(0, 1)
    return {**tables, "playlist_entries": pa.concat_tables([entries, repeated])}


def test_a_day_failing_its_audit_is_withheld_naming_the_check_and_the_rows():
    audit = audit_tables(_with_duplicate_entry(_built_days(), "2024-05-16"))
    assert withheld_days(audit, AUDIT_DAYS) == {"2024-05-16": ["playlist_entries.key_unique_not_null"]}
    failed = audit[("playlist_entries", KEY_UNIQUE_NOT_NULL)]
    assert not failed.passed and failed.metadata["failed_partitions"] == ["2024-05-16"]
    assert failed.description.startswith(
        f"playlist_entries: (playlist_id, position) 1 duplicate key(s), e.g. (playlist_id='{TOP50_ID}', position=1) on dt=2024-05-16 (2 rows)"
    )
    assert all(outcome.passed for key, outcome in audit.items() if key != ("playlist_entries", KEY_UNIQUE_NOT_NULL))
    assert withheld_days(audit_tables(_built_days()), AUDIT_DAYS) == {}


def test_only_the_days_that_pass_are_published_and_a_withheld_day_keeps_its_files(lake_dir):
    lake = Lake(str(lake_dir))
    built = _built_days()
    by_table = {name: split_by_partition(built[name], AUDIT_DAYS) for name in KEY_COLUMNS}
    # The days as a previous run published them: empty.
    publish(lake, {dt: {name: by_table[name][dt].slice(0, 0) for name in KEY_COLUMNS} for dt in AUDIT_DAYS})
    before = _table_files(lake_dir)
    withheld = withheld_days(audit_tables(_with_duplicate_entry(built, "2024-05-16")), AUDIT_DAYS)
    publish(lake, {dt: {name: by_table[name][dt] for name in KEY_COLUMNS} for dt in AUDIT_DAYS if dt not in withheld})
    after = _table_files(lake_dir)
    assert {key for key in after if after[key] != before[key]} == {
        f"{t}/dt={dt}/data.parquet" for t in KEY_COLUMNS for dt in ("2024-05-15", "2024-05-17")
    }
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-16" / "data.parquet").num_rows == 0
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-17" / "data.parquet").num_rows == 50


def test_a_sharp_row_count_drop_warns_without_failing_the_run(lake_dir):
    lake = Lake(str(lake_dir))
    lake.write_bytes(
        f"raw_playlist/dt=2024-05-15/{TOP50_ID}.json", sample_path(TOP50_SNAPSHOTS["2024-05-15"]).read_bytes()
    )
    lake.write_bytes("raw_playlist/dt=2024-05-16/23Ay9WfURne0LvtlCvYTkj.json", sample_path(ZMB3).read_bytes())
    with dg.DagsterInstance.ephemeral() as instance:
        assert _checks(materialize_tables("2024-05-15", instance=instance, raise_on_error=False))[
            ("playlist_entries", ROW_COUNT_NO_SHARP_DROP)
        ].passed
        result = materialize_tables("2024-05-16", instance=instance, raise_on_error=False)
    assert result.success
    checks = _checks(result)
    warned = checks[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-16: 2 rows, 96% fewer than 50 on 2024-05-15)"
    )
    assert not checks[("songs", ROW_COUNT_NO_SHARP_DROP)].passed
    assert all(c.passed for (asset, name), c in checks.items() if name in (KEY_UNIQUE_NOT_NULL, REFERENTIAL_INTEGRITY))
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-16" / "data.parquet").num_rows == 2


def test_a_multi_day_run_compares_each_day_with_the_day_before_it_in_the_run(tmp_path):
    """spotify_tables called over a two-day range (a single-run backfill): day 2 is compared
    with day 1's rows of the same run; day 1 has no history (no file for the day before
    in the lake) and is tolerated."""
    objects = [
        RawObject(
            dt="2024-05-11",
            key=f"raw_playlist/dt=2024-05-11/{TOP50_ID}.json",
            body=sample_path(TOP50_SNAPSHOTS["2024-05-15"]).read_bytes(),
        ),
        RawObject(
            dt="2024-05-12",
            key="raw_playlist/dt=2024-05-12/23Ay9WfURne0LvtlCvYTkj.json",
            body=sample_path(ZMB3).read_bytes(),
        ),
    ]
    resources = {"lake": LakeResource(lake_url=str(tmp_path)), "spotify": SpotifyResource()}
    with dg.build_asset_context(
        partition_key_range=dg.PartitionKeyRange("2024-05-11", "2024-05-12"), resources=resources
    ) as context:
        events = list(spotify_tables(context, objects))
    checks = {(e.asset_key.path[-1], e.check_name): e for e in events if isinstance(e, dg.AssetCheckResult)}
    warned = checks[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-12: 2 rows, 96% fewer than 50 on 2024-05-11)"
    )
    assert warned.metadata["partitions_compared"].value == 1
    assert len(checks) == 12 and all(c.passed for (_, name), c in checks.items() if name != ROW_COUNT_NO_SHARP_DROP)


def test_a_range_run_compares_its_first_day_with_the_stored_day_before_it(lake_dir):
    """A single-run backfill over 2024-05-16...2024-05-17 after 2024-05-15 was materialized
    (50 entries): its first day is compared with the day before as stored in the lake,
    whichever run (or instance) wrote it; the day after the range (2024-05-18) with the
    range's last day."""
    lake = Lake(str(lake_dir))
    top50, two_items = (
        sample_path(TOP50_SNAPSHOTS["2024-05-15"]).read_bytes(),
        sample_path(ZMB3).read_bytes(),
    )
    lake.write_bytes(f"raw_playlist/dt=2024-05-15/{TOP50_ID}.json", top50)
    lake.write_bytes("raw_playlist/dt=2024-05-16/23Ay9WfURne0LvtlCvYTkj.json", two_items)
    lake.write_bytes("raw_playlist/dt=2024-05-17/23Ay9WfURne0LvtlCvYTkj.json", two_items)
    lake.write_bytes(f"raw_playlist/dt=2024-05-18/{TOP50_ID}.json", top50)
    resources = build_resources(Settings.from_env())
    tags = {"dagster/asset_partition_range_start": "2024-05-16", "dagster/asset_partition_range_end": "2024-05-17"}
    # Each run on its own instance: the lake, not Dagster's history, tells the day before.
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_tables("2024-05-15", instance=instance, raise_on_error=False).success
    with dg.DagsterInstance.ephemeral() as instance:
        ranged = materialize_tables(selection=[spotify_tables], resources=resources, instance=instance, tags=tags)
    with dg.DagsterInstance.ephemeral() as instance:
        after = materialize_tables("2024-05-18", instance=instance, raise_on_error=False)
    warned = _checks(ranged)[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-16: 2 rows, 96% fewer than 50 on 2024-05-15)"
    )
    assert warned.metadata["partitions_compared"].value == 2  # 2024-05-17 against 2024-05-16 of the run: 2 vs 2
    checked = _checks(after)[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert checked.passed and checked.metadata["partitions_compared"].value == 1  # 50 rows against the range's 2
    assert checked.description == "playlist_entries: no partition below 50% of the previous one's rows"
