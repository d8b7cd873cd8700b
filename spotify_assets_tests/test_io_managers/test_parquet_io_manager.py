"""ParquetLakeIOManager through real Dagster runs: one partition, a range in one run,
empty days, missing partitions, and what lands in the files."""

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spotify_assets.io_managers.parquet_io_manager import ParquetLakeIOManager
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.parquet import VERSION_KEY, split_by_partition, stored_row_count
from spotify_assets.lake.publish import PublishedTable, day_version

partitions = dg.DailyPartitionsDefinition(start_date="2024-05-01", end_date="2024-06-01", timezone="UTC")
SCHEMA = pa.schema([("song_id", pa.string()), ("plays", pa.int64())])
RANGE_TAGS = {"dagster/asset_partition_range_start": "2024-05-01", "dagster/asset_partition_range_end": "2024-05-03"}


@dg.asset(partitions_def=partitions, io_manager_key="table_io_manager", backfill_policy=dg.BackfillPolicy.single_run())
def counts(context: dg.AssetExecutionContext) -> pa.Table:
    keys = context.partition_keys
    # 2024-05-02 has no rows: its partition must still be written, empty.
    rows = [(k, f"s{i}", i) for i, k in enumerate(keys) if k != "2024-05-02"]
    return pa.table(
        {
            "song_id": [r[1] for r in rows],
            "plays": pa.array([r[2] for r in rows], pa.int64()),
            "dt": [r[0] for r in rows],
        }
    )


@dg.asset(partitions_def=partitions, io_manager_key="table_io_manager", backfill_policy=dg.BackfillPolicy.single_run())
def doubled(context: dg.AssetExecutionContext, counts: pa.Table) -> pa.Table:
    return counts.set_column(counts.schema.get_field_index("plays"), "plays", pa.compute.multiply(counts["plays"], 2))


def _resources(lake):
    return {"table_io_manager": ParquetLakeIOManager(lake_url=str(lake))}


def test_range_output_is_split_into_one_file_per_partition_without_dt(tmp_path):
    result = dg.materialize([counts, doubled], resources=_resources(tmp_path), tags=RANGE_TAGS)
    assert result.success
    for day, expected in {"2024-05-01": [("s0", 0)], "2024-05-02": [], "2024-05-03": [("s2", 4)]}.items():
        table = pq.read_table(tmp_path / "doubled" / f"dt={day}" / "data.parquet")
        assert table.column_names == ["song_id", "plays"]  # dt is the folder, never a column
        assert list(zip(table["song_id"].to_pylist(), table["plays"].to_pylist())) == expected
    assert pq.read_table(tmp_path / "counts" / "dt=2024-05-02" / "data.parquet").schema == SCHEMA
    by_day = {m.partition: m.metadata for m in result.asset_materializations_for_node("counts")}
    assert {day: meta["dagster/row_count"].value for day, meta in by_day.items()} == {
        "2024-05-01": 1,
        "2024-05-02": 0,
        "2024-05-03": 1,
    }
    for meta in by_day.values():
        assert meta["run_row_count"].value == 2 and meta["partitions_written"].value == 3
        assert [c.name for c in meta["dagster/column_schema"].schema.columns] == ["song_id", "plays"]
        assert meta["path"].value == f"{tmp_path}/counts/"
        # Each day's event carries what holds for that day only: no map of the whole
        # range (quadratic in its length), no preview of the range's first rows.
        assert "rows_by_partition" not in meta and "preview" not in meta
    handled = next(
        e for e in result.all_events if e.event_type == dg.DagsterEventType.HANDLED_OUTPUT and e.step_key == "counts"
    )
    assert (
        "dagster/row_count" not in handled.event_specific_data.metadata
    )  # the output's own: the range's total is run_row_count


def test_single_partition_metadata_has_row_count_schema_preview_and_file(tmp_path):
    result = dg.materialize([counts], partition_key="2024-05-03", resources=_resources(tmp_path))
    [materialization] = result.asset_materializations_for_node("counts")
    meta = materialization.metadata
    assert meta["dagster/row_count"].value == 1
    assert [c.name for c in meta["dagster/column_schema"].schema.columns] == ["song_id", "plays"]
    assert meta["preview"].value.splitlines() == ["| song_id | plays |", "|---|---|", "| s0 | 0 |"]
    assert meta["path"].value == f"{tmp_path}/counts/dt=2024-05-03/data.parquet"
    assert "run_row_count" not in meta and "rows_by_partition" not in meta


def test_stored_row_count_reads_the_footer_and_none_when_absent(tmp_path):
    dg.materialize([counts], resources=_resources(tmp_path), tags=RANGE_TAGS)
    lake = Lake(str(tmp_path))
    assert [
        stored_row_count(lake, "counts", day) for day in ("2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04")
    ] == [1, 0, 1, None]


def test_rerun_replaces_a_partition_whole(tmp_path):
    for _ in range(2):
        assert dg.materialize([counts], partition_key="2024-05-03", resources=_resources(tmp_path)).success
    files = list((tmp_path / "counts").rglob("*"))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in files if p.is_file()) == [
        "counts/dt=2024-05-03/data.parquet"
    ]
    assert pq.read_table(tmp_path / "counts" / "dt=2024-05-03" / "data.parquet").num_rows == 1


def test_missing_upstream_partition_names_the_file(tmp_path):
    result = dg.materialize(
        [counts.to_source_asset(), doubled],
        partition_key="2024-05-04",
        resources=_resources(tmp_path),
        raise_on_error=False,
    )
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert "counts partition 2024-05-04 has not been materialized" in error
    assert "counts/dt=2024-05-04/data.parquet is absent" in error


def test_split_rejects_rows_outside_the_run():
    table = pa.table({"x": [1, 2], "dt": ["2024-05-01", "2024-05-09"]})
    with pytest.raises(ValueError, match=r"rows for partitions \['2024-05-09'\] outside"):
        split_by_partition(table, ["2024-05-01", "2024-05-02"])
    with pytest.raises(ValueError, match="needs a 'dt' column"):
        split_by_partition(pa.table({"x": [1]}), ["2024-05-01", "2024-05-02"])


def test_a_single_table_output_is_published_with_its_version(tmp_path):
    """Single-table assets (playlist_trends, artist_daily_share) publish through the same
    commit: the file carries the day's version, which the materialization shows."""
    result = dg.materialize([counts], partition_key="2024-05-03", resources=_resources(tmp_path))
    [materialization] = result.asset_materializations_for_node("counts")
    expected = day_version({"counts": pa.table({"song_id": ["s0"], "plays": pa.array([0], pa.int64())})})
    assert materialization.metadata["version"].value == expected
    assert (
        pq.read_schema(tmp_path / "counts" / "dt=2024-05-03" / "data.parquet").metadata[VERSION_KEY]
        == expected.encode()
    )
    assert (
        sorted(p.name for p in tmp_path.iterdir()) == ["_publish", "counts"]
        and list((tmp_path / "_publish").iterdir()) == []
    )


@dg.asset(partitions_def=partitions, io_manager_key="table_io_manager")
def published_elsewhere(context: dg.AssetExecutionContext):
    table = pa.table({"song_id": ["s0"], "dt": [context.partition_key]})
    return PublishedTable(
        "/somewhere/else", table, {context.partition_key: table.drop_columns(["dt"])}, {context.partition_key: "v"}
    )


def test_a_table_published_to_another_lake_is_refused_naming_both(tmp_path):
    result = dg.materialize(
        [published_elsewhere], partition_key="2024-05-03", resources=_resources(tmp_path), raise_on_error=False
    )
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error.to_string()
    assert (
        f"published_elsewhere was published to /somewhere/else, but this IO manager reads {tmp_path}: give both the same lake URL"
        in error
    )
    assert not (tmp_path / "published_elsewhere").exists()
