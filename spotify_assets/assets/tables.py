"""``songs``, ``albums``, ``artists`` and ``playlist_entries``: the raw objects of a day
turned into four Parquet tables, in one step so that each raw object is parsed once."""


from datetime import date, timedelta

import dagster as dg
import pyarrow as pa

from spotify_assets.checks.table_checks import (
    CheckOutcome,
    combine,
    keys_unique_and_not_null,
    references_exist,
    row_count_drop,
    row_counts_by_partition,
)
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import TABLE_NAMES, RawObject
from spotify_assets.lake.parquet import stored_row_count
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.transform import build_partition_tables

TABLE_DESCRIPTIONS = {
    "songs": "One row per song (track) on any playlist that day; song_id unique per dt. artist_id is the first artist credited on the track.",
    "albums": "One row per album of the day's songs; release_date normalised from release_date_precision (year → Jan 1st, month → the 1st).",
    "artists": "Every artist credited on a song or on an album of the day; artist_id unique per dt.",
    "playlist_entries": "One row per song item of each playlist snapshot: playlist, snapshot_id, 1-based position (counting every item), added_at (UTC).",
}

RAW_OBJECTS_VALID = "raw_objects_valid"
KEY_UNIQUE_NOT_NULL = "key_unique_not_null"
REFERENTIAL_INTEGRITY = "referential_integrity"
ROW_COUNT_NO_SHARP_DROP = "row_count_no_sharp_drop"

# Key columns of each table (unique per dt).
TABLE_KEYS = {
    "songs": ("song_id",),
    "albums": ("album_id",),
    "artists": ("artist_id",),
    "playlist_entries": ("playlist_id", "position"),
}
# (child table, column, parent table, column): each non-null child value (list elements
# too) must be a key of the parent on the same day.
REFERENCES = (
    ("playlist_entries", "song_id", "songs", "song_id"),
    ("songs", "album_id", "albums", "album_id"),
    ("songs", "artist_ids", "artists", "artist_id"),
    ("albums", "artist_ids", "artists", "artist_id"),
)


def _check_specs() -> list[dg.AssetCheckSpec]:
    """The checks evaluated on the built tables, inside the multi-asset's step.

    Key and reference checks are blocking: a duplicate or dangling id would silently
    multiply or drop rows in every join downstream (trends). The row-count check only
    warns: a playlist can legitimately shrink.
    """
    specs = [
        dg.AssetCheckSpec(
            RAW_OBJECTS_VALID,
            asset="playlist_entries",
            description="Every raw object of the partition could be read; a failure names each bad object and why.",
        )
    ]
    for name, key in TABLE_KEYS.items():
        specs.append(
            dg.AssetCheckSpec(
                KEY_UNIQUE_NOT_NULL, asset=name, blocking=True, description=f"({', '.join(key)}) is never null and unique per dt."
            )
        )
    for child in dict.fromkeys(c for c, _, _, _ in REFERENCES):
        targets = ", ".join(f"{col} → {parent}.{pcol}" for c, col, parent, pcol in REFERENCES if c == child)
        specs.append(
            dg.AssetCheckSpec(REFERENTIAL_INTEGRITY, asset=child, blocking=True, description=f"Every {targets} exists on the same dt.")
        )
    for name in TABLE_NAMES:
        specs.append(
            dg.AssetCheckSpec(
                ROW_COUNT_NO_SHARP_DROP,
                asset=name,
                description="WARN when a partition has fewer than half the rows of the previous day's partition.",
            )
        )
    return specs


@dg.multi_asset(
    outs={
        name: dg.AssetOut(io_manager_key="table_io_manager", description=TABLE_DESCRIPTIONS[name], kinds={"parquet", "pyarrow"})
        for name in TABLE_NAMES
    },
    ins={"raw_playlist": dg.AssetIn()},
    partitions_def=daily_partitions,
    # A backfill of any range runs as one run; the IO manager splits outputs per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="spotify",
    check_specs=_check_specs(),
)
def spotify_tables(context: dg.AssetExecutionContext, raw_playlist: list[RawObject], lake: LakeResource):
    """Parse each raw object of the run's partitions once and build the four tables.

    ``lake``: where the row-count check finds the row count of the day before the run's
    first day (the Parquet footer of that partition's file)."""
    keys = context.partition_keys
    result = build_partition_tables(raw_playlist, keys)
    for dt in result.empty_partitions:
        context.log.warning(f"{dt}: no readable raw objects; its table partitions are written empty")
    for key, reason in result.bad_objects.items():
        context.log.error(f"raw object {key}: {reason}")
    context.log.info(
        f"{len(result.playlists)} raw object(s) over {len(keys)} partition(s) → "
        + ", ".join(f"{name} {table.num_rows} rows" for name, table in result.tables.items())
    )
    if len(keys) == 1:
        shared = {
            "raw_objects": len(result.playlists),
            "bad_objects": dg.MetadataValue.json(result.bad_objects),
            "skipped_items": dg.MetadataValue.json(result.skipped_items),
        }
    else:
        # Dagster copies an output's metadata onto the materialization of every day of the
        # run: the run's totals, of a fixed size (the raw_objects_valid check names the bad
        # objects; each day's row count is added by the IO manager).
        shared = {
            "run_raw_objects": len(result.playlists),
            "run_bad_objects": len(result.bad_objects),
            "run_skipped_items": dg.MetadataValue.json(result.skipped_items),
        }
    for name in TABLE_NAMES:
        yield dg.Output(result.tables[name], output_name=name, metadata=shared)
    yield dg.AssetCheckResult(
        asset_key="playlist_entries",
        check_name=RAW_OBJECTS_VALID,
        passed=not result.bad_objects,
        description=(
            "all raw objects readable"
            if not result.bad_objects
            else "; ".join(f"{key}: {reason}" for key, reason in result.bad_objects.items())
        ),
        metadata={"bad_objects": dg.MetadataValue.json(result.bad_objects), "raw_objects": len(result.playlists)},
    )
    yield from _table_check_results(context, result.tables, keys, lake.get_lake())


def _table_check_results(context: dg.AssetExecutionContext, tables: dict[str, pa.Table], keys: list[str], lake: Lake):
    """Key, reference and row-count check results for the built ``tables`` (with ``dt``)."""
    for name, key in TABLE_KEYS.items():
        yield _result(context, name, KEY_UNIQUE_NOT_NULL, keys_unique_and_not_null(tables[name], key, name))
    by_child: dict[str, list[CheckOutcome]] = {}
    for child, column, parent, parent_column in REFERENCES:
        outcome = references_exist(tables[child], column, tables[parent], parent_column, child, parent)
        by_child.setdefault(child, []).append(outcome)
    for child, outcomes in by_child.items():
        yield _result(context, child, REFERENTIAL_INTEGRITY, combine(outcomes))
    for name in TABLE_NAMES:
        current = row_counts_by_partition(tables[name], keys)
        outcome = row_count_drop(name, current, _previous_row_counts(lake, name, keys, current))
        yield _result(context, name, ROW_COUNT_NO_SHARP_DROP, outcome, dg.AssetCheckSeverity.WARN)


def _result(
    context: dg.AssetExecutionContext, asset: str, check: str, outcome: CheckOutcome, severity=dg.AssetCheckSeverity.ERROR
) -> dg.AssetCheckResult:
    if not outcome.passed:
        log = context.log.warning if severity == dg.AssetCheckSeverity.WARN else context.log.error
        log(f"check {asset}.{check} failed: {outcome.description}")
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=check,
        passed=outcome.passed,
        severity=severity,
        description=outcome.description,
        metadata={k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v for k, v in outcome.metadata.items()},
    )


def _previous_row_counts(lake: Lake, name: str, keys: list[str], current: dict[str, int]) -> dict[str, tuple[str, int] | None]:
    """``{dt: (previous day, its rows) or None}``: from this run's own rows when the previous
    day is in the run, else from the previous day's file in the lake (its Parquet footer:
    one small read per table and run, whichever run or range wrote it). None when the
    previous day's partition was never written."""
    out: dict[str, tuple[str, int] | None] = {}
    for dt in keys:
        previous = (date.fromisoformat(dt) - timedelta(days=1)).isoformat()
        rows = current[previous] if previous in current else stored_row_count(lake, name, previous)
        out[dt] = (previous, rows) if rows is not None else None
    return out
