"""``songs``, ``albums``, ``artists`` and ``playlist_entries``: the raw objects of a day
turned into four Parquet tables, in one step so that each raw object is parsed once, and
published write-audit-publish: built and audited in memory, then only the days that pass
are written, the four tables of a day in one commit."""

from datetime import date, timedelta

import dagster as dg
import pyarrow as pa

from spotify_assets.checks.table_checks import (
    FAILED_PARTITIONS,
    MAX_EXAMPLES,
    CheckOutcome,
    combine,
    keys_unique_and_not_null,
    references_exist,
    row_count_drop,
    row_counts_by_partition,
)
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject, table_key
from spotify_assets.lake.parquet import split_by_partition, stored_row_count
from spotify_assets.lake.publish import PublishedTable, publish, recover_pending
from spotify_assets.metadata import table_metadata
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.spotify.offline_sample import is_synthetic_object
from spotify_assets.transform import build_partition_tables
from spotify_assets.vocabulary import (
    ALBUMS,
    ARTISTS,
    ASSET_GROUP,
    KEY_UNIQUE_NOT_NULL,
    PLAYLIST_ENTRIES,
    RAW_OBJECTS_VALID,
    RAW_PLAYLIST,
    REFERENTIAL_INTEGRITY,
    ROW_COUNT_NO_SHARP_DROP,
    SONGS,
    SPOTIFY_TABLE_NAMES,
    SPOTIFY_TABLES,
)

TABLE_DESCRIPTIONS = {
    SONGS: "One row per song (track) on any playlist that day; song_id unique per dt. artist_id is the first artist credited on the track.",
    ALBUMS: "One row per album of the day's songs; release_date normalised from release_date_precision (year → Jan 1st, month → the 1st).",
    ARTISTS: "Every artist credited on a song or on an album of the day; artist_id unique per dt.",
    PLAYLIST_ENTRIES: "One row per song item of each playlist snapshot: playlist, snapshot_id, 1-based position (counting every item), added_at (UTC).",
}

SYNTHETIC_OBJECTS_SKIPPED = "synthetic_objects_skipped"  # metadata: sample objects left out (real source)
# Items left out for an invalid field: warnings logged per run, and entries listed per raw
# object in the check's metadata (a broken producer can send thousands; the counts stay exact).
MAX_LOGGED_ITEMS = 20
MAX_LISTED_PER_OBJECT = 100

# Key columns of each table (unique per dt).
KEY_COLUMNS = {
    SONGS: ("song_id",),
    ALBUMS: ("album_id",),
    ARTISTS: ("artist_id",),
    PLAYLIST_ENTRIES: ("playlist_id", "position"),
}
# (child table, column, parent table, column): each non-null child value (list elements
# too) must be a key of the parent on the same day.
REFERENCES = (
    (PLAYLIST_ENTRIES, "song_id", SONGS, "song_id"),
    (SONGS, "album_id", ALBUMS, "album_id"),
    (SONGS, "artist_ids", ARTISTS, "artist_id"),
    (ALBUMS, "artist_ids", ARTISTS, "artist_id"),
)


def _check_specs() -> list[dg.AssetCheckSpec]:
    """The checks evaluated on the built tables, inside the multi-asset's step.

    Key and reference checks are blocking: a duplicate or dangling id would silently
    multiply or drop rows in every join downstream (trends). They are evaluated on the
    tables in memory before anything is written, and a day that fails them is not
    published. The row-count check only warns: a playlist can legitimately shrink.
    """
    specs = [
        dg.AssetCheckSpec(
            RAW_OBJECTS_VALID,
            asset=PLAYLIST_ENTRIES,
            description=(
                "Every raw object of the partition could be read and every item is valid (each field the tables read "
                "has its JSON type); a failure names each bad object, and each item left out with its position and field."
            ),
        )
    ]
    for name, key_columns in KEY_COLUMNS.items():
        specs.append(
            dg.AssetCheckSpec(
                KEY_UNIQUE_NOT_NULL,
                asset=name,
                blocking=True,
                description=f"({', '.join(key_columns)}) is never null and unique per dt. Audited before writing: a day that fails is not published.",
            )
        )
    for child in dict.fromkeys(c for c, _, _, _ in REFERENCES):
        targets = ", ".join(f"{col} → {parent}.{pcol}" for c, col, parent, pcol in REFERENCES if c == child)
        specs.append(
            dg.AssetCheckSpec(
                REFERENTIAL_INTEGRITY,
                asset=child,
                blocking=True,
                description=f"Every {targets} exists on the same dt. Audited before writing: a day that fails is not published.",
            )
        )
    for name in SPOTIFY_TABLE_NAMES:
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
        # Not required: a day that fails its audit is not published, so when every day of the
        # run fails there is nothing to output (see _publish_audited).
        name: dg.AssetOut(
            io_manager_key="table_io_manager",
            description=TABLE_DESCRIPTIONS[name],
            kinds={"parquet", "pyarrow"},
            is_required=False,
        )
        for name in SPOTIFY_TABLE_NAMES
    },
    name=SPOTIFY_TABLES,
    ins={RAW_PLAYLIST: dg.AssetIn()},
    partitions_def=daily_partitions,
    # A backfill of any range runs as one run; the IO manager splits outputs per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=ASSET_GROUP,
    check_specs=_check_specs(),
)
def spotify_tables(
    context: dg.AssetExecutionContext, raw_playlist: list[RawObject], lake: LakeResource, spotify: SpotifyResource
):
    """Parse each raw object of the run's partitions once, build the four tables, audit
    them in memory (write-audit-publish) and publish the days that pass, the four tables
    of each day in one commit (``spotify_assets.lake.publish``).

    A day that fails a blocking check is not written: its files stay as they were, the
    check's description names it, and the step fails at the end naming every such day
    (the days that passed are published and materialized). ``lake``: where the tables are
    published (the same URL as ``table_io_manager``) and where the row-count check finds
    the row count of the day before the run's first day (that file's Parquet footer).
    ``spotify``: the configured source; unless it is the synthetic sample, raw objects of
    the sample are skipped (never mixed into real tables) and counted in the metadata."""
    partition_keys = context.partition_keys
    raw_playlist, synthetic_skipped = _without_synthetic(context, raw_playlist, spotify)
    result = build_partition_tables(raw_playlist, partition_keys)
    for dt in result.empty_partitions:
        context.log.warning(f"{dt}: no readable raw objects; its table partitions are written empty")
    for object_key, reason in result.bad_objects.items():
        context.log.error(f"raw object {object_key}: {reason}")
    _log_items_left_out(context, result)
    context.log.info(
        f"{len(result.playlists)} raw object(s) over {len(partition_keys)} partition(s) → "
        + ", ".join(f"{name} {table.num_rows} rows" for name, table in result.tables.items())
    )
    the_lake = lake.get_lake()
    audit = audit_tables(result.tables)
    withheld = withheld_days(audit, partition_keys)
    published = _publish_audited(context, the_lake, result, partition_keys, withheld, synthetic_skipped)
    yield from published
    yield _raw_objects_check(result)
    for (asset, check), outcome in audit.items():
        yield _result(context, asset, check, _with_withheld(outcome, withheld))
    yield from _row_count_results(context, result.tables, partition_keys, the_lake)
    if withheld:
        raise dg.Failure(description=_withheld_message(withheld, partition_keys), allow_retries=False)


def _without_synthetic(
    context: dg.AssetExecutionContext, objects: list[RawObject], spotify: SpotifyResource
) -> tuple[list[RawObject], int]:
    """``(objects to build the tables from, number of synthetic objects skipped)``: with a
    real source (Spotify credentials, or none on aws / an S3 lake) the raw objects of the
    synthetic sample (``extraction.source = "synthetic-sample"``) are left out with a note
    in the run log; with the synthetic source every object is kept."""
    if spotify.plays_synthetic:
        return objects, 0
    kept = [o for o in objects if not is_synthetic_object(o.body)]
    skipped = sorted({o.key for o in objects} - {o.key for o in kept})
    if skipped:
        shown = ", ".join(skipped[:MAX_EXAMPLES]) + (
            f" and {len(skipped) - MAX_EXAMPLES} more" if len(skipped) > MAX_EXAMPLES else ""
        )
        context.log.info(
            f"skipped {len(skipped)} raw object(s) of the SYNTHETIC sample ({shown}): the configured source is real "
            "(Spotify credentials or landed objects), and sample data never mixes into its tables"
        )
    return kept, len(skipped)


def _invalid_parts(result) -> list[str]:
    """One line per item left out for an invalid field: key, position, what was wrong."""
    return [
        f"{object_key}: item at position {item.position}: {item.detail} ({item.reason})"
        for object_key, items in result.invalid_items.items()
        for item in items
    ]


def _log_items_left_out(context: dg.AssetExecutionContext, result) -> None:
    """A warning per item left out (at most MAX_LOGGED_ITEMS, then a count), a line per superseded object."""
    parts = _invalid_parts(result)
    for part in parts[:MAX_LOGGED_ITEMS]:
        context.log.warning(f"raw object {part}: the item gives no rows")
    if len(parts) > MAX_LOGGED_ITEMS:
        context.log.warning(
            f"{len(parts) - MAX_LOGGED_ITEMS} more item(s) left out for an invalid field (the {RAW_OBJECTS_VALID} check lists them)"
        )
    for object_key, superseded in result.superseded.items():
        context.log.info(f"raw object {object_key} superseded by {superseded.by}: {superseded.reason}")


def _raw_objects_check(result) -> dg.AssetCheckResult:
    """``raw_objects_valid``: fails for a raw object that could not be read or an item left out
    for an invalid field, naming each (key, position, field, value); superseded snapshots and
    look-up objects left out are listed in the metadata without failing it."""
    invalid = _invalid_parts(result)
    # Every bad object (a few per day at most); items left out can be thousands: the first few.
    parts = [f"{object_key}: {reason}" for object_key, reason in result.bad_objects.items()] + invalid[:MAX_EXAMPLES]
    shown = "; ".join(parts) + (
        f"; and {len(invalid) - MAX_EXAMPLES} more item(s)" if len(invalid) > MAX_EXAMPLES else ""
    )

    def listed(by_object_key, label: str) -> dict:
        return {
            object_key: [
                {label: i.position, "reason": i.reason, "detail": i.detail} for i in items[:MAX_LISTED_PER_OBJECT]
            ]
            for object_key, items in by_object_key.items()
        }

    return dg.AssetCheckResult(
        asset_key=PLAYLIST_ENTRIES,
        check_name=RAW_OBJECTS_VALID,
        passed=not parts,
        description="all raw objects readable, every item valid" if not parts else shown,
        metadata={
            "bad_objects": dg.MetadataValue.json(result.bad_objects),
            "invalid_items": dg.MetadataValue.json(listed(result.invalid_items, "position")),
            "invalid_lookups": dg.MetadataValue.json(listed(result.invalid_lookups, "index")),
            "superseded": dg.MetadataValue.json(
                {object_key: {"by": s.by, "reason": s.reason} for object_key, s in result.superseded.items()}
            ),
            "raw_objects": len(result.playlists),
        },
    )


def _shared_metadata(result, partition_keys: list[str]) -> dict:
    """Metadata every table's materialization gets (one day: the day's; several: the run's totals)."""
    if len(partition_keys) == 1:
        return {
            "raw_objects": len(result.playlists),
            "bad_objects": dg.MetadataValue.json(result.bad_objects),
            "skipped_items": dg.MetadataValue.json(result.skipped_items),
            "invalid_items": dg.MetadataValue.json(
                {object_key: len(items) for object_key, items in result.invalid_items.items()}
            ),
            "superseded": dg.MetadataValue.json({object_key: s.by for object_key, s in result.superseded.items()}),
        }
    # Dagster copies an output's metadata onto the materialization of every day of the
    # run: the run's totals, of a fixed size (the raw_objects_valid check names the bad
    # objects; each day's row count is added by the IO manager).
    return {
        "run_raw_objects": len(result.playlists),
        "run_bad_objects": len(result.bad_objects),
        "run_skipped_items": dg.MetadataValue.json(result.skipped_items),
        "run_invalid_items": sum(len(items) for items in result.invalid_items.values()),
        "run_superseded": len(result.superseded),
    }


def _publish_audited(
    context: dg.AssetExecutionContext,
    lake: Lake,
    result,
    partition_keys: list[str],
    withheld: dict[str, list[str]],
    synthetic_skipped: int = 0,
):
    """Publish the days not ``withheld`` (one commit), then the outputs or events that
    record them.

    When every day passed: one ``Output`` per table holding a ``PublishedTable`` (the IO
    manager records the usual metadata and writes nothing). When some days are withheld:
    no output (Dagster would record a materialization for every day of the run), but one
    ``AssetMaterialization`` per table and published day, so in the UI the published days
    are materialized and the withheld ones show as failed in the failed run."""
    passing = [dt for dt in partition_keys if dt not in withheld]
    by_table = {name: split_by_partition(result.tables[name], partition_keys) for name in SPOTIFY_TABLE_NAMES}
    days = {dt: {name: by_table[name][dt] for name in SPOTIFY_TABLE_NAMES} for dt in passing}
    if days:
        versions = publish(lake, days)  # completes a commit a killed write left pending first
        context.log.info(
            f"published {len(days)} day(s) of {', '.join(SPOTIFY_TABLE_NAMES)} under {lake.location} in one commit"
        )
    else:
        versions = {}
        recover_pending(lake)  # nothing to publish, but the row-count check reads the lake
    shared = {**_shared_metadata(result, partition_keys), SYNTHETIC_OBJECTS_SKIPPED: synthetic_skipped}
    if not withheld:
        for name in SPOTIFY_TABLE_NAMES:
            table = PublishedTable(lake.root_url, result.tables[name], by_table[name], versions)
            yield dg.Output(table, output_name=name, metadata=shared)
        return
    for dt in passing:
        for name in SPOTIFY_TABLE_NAMES:
            part = by_table[name][dt]
            metadata = {**shared, **table_metadata(part, preview=len(partition_keys) == 1)}
            metadata["path"] = dg.MetadataValue.path(lake.url(table_key(name, dt)))
            metadata["version"] = versions[dt]
            context.log_event(dg.AssetMaterialization(asset_key=name, partition=dt, metadata=metadata))


def audit_tables(tables: dict[str, pa.Table]) -> dict[tuple[str, str], CheckOutcome]:
    """The blocking checks (keys, references) of the built ``tables`` (with ``dt``):
    ``{(asset, check name): outcome}``, evaluated before anything is written."""
    audit = {
        (name, KEY_UNIQUE_NOT_NULL): keys_unique_and_not_null(tables[name], key_columns, name)
        for name, key_columns in KEY_COLUMNS.items()
    }
    by_child: dict[str, list[CheckOutcome]] = {}
    for child, column, parent, parent_column in REFERENCES:
        outcome = references_exist(tables[child], column, tables[parent], parent_column, child, parent)
        by_child.setdefault(child, []).append(outcome)
    for child, outcomes in by_child.items():
        audit[(child, REFERENTIAL_INTEGRITY)] = combine(outcomes)
    return audit


def withheld_days(audit: dict[tuple[str, str], CheckOutcome], partition_keys: list[str]) -> dict[str, list[str]]:
    """``{day: [failed check "asset.check", ...]}`` of the days not to publish. A failed
    check that names no day (a table without ``dt``) withholds every day of the run."""
    withheld: dict[str, list[str]] = {}
    for (asset, check), outcome in audit.items():
        if not outcome.passed:
            for dt in outcome.metadata.get(FAILED_PARTITIONS) or partition_keys:
                withheld.setdefault(dt, []).append(f"{asset}.{check}")
    return dict(sorted(withheld.items()))


def _with_withheld(outcome: CheckOutcome, withheld: dict[str, list[str]]) -> CheckOutcome:
    """A failed outcome whose description also says which of its days were not published."""
    days = outcome.metadata.get(FAILED_PARTITIONS) or list(withheld)
    if outcome.passed or not days:
        return outcome
    note = f" (not published: {_day_list(days)}; the previous files of those days are kept)"
    return CheckOutcome(False, outcome.description + note, outcome.metadata)


def _withheld_message(withheld: dict[str, list[str]], partition_keys: list[str]) -> str:
    published = len(partition_keys) - len(withheld)
    reasons = "; ".join(f"{dt}: {', '.join(checks)}" for dt, checks in list(withheld.items())[:MAX_EXAMPLES])
    more = f"; and {len(withheld) - MAX_EXAMPLES} more day(s)" if len(withheld) > MAX_EXAMPLES else ""
    return (
        f"{len(withheld)} of {len(partition_keys)} day(s) failed the audit and were not published ({reasons}{more}); "
        f"their tables keep their previous files. {published} day(s) were published. "
        "The failed checks' descriptions name the offending rows: fix the raw objects of those days and re-run them."
    )


def _day_list(days: list[str]) -> str:
    shown = ", ".join(days[:MAX_EXAMPLES])
    return shown + (f" and {len(days) - MAX_EXAMPLES} more day(s)" if len(days) > MAX_EXAMPLES else "")


def _row_count_results(
    context: dg.AssetExecutionContext, tables: dict[str, pa.Table], partition_keys: list[str], lake: Lake
):
    """The row-count (WARN) check results for the built ``tables`` (with ``dt``)."""
    for name in SPOTIFY_TABLE_NAMES:
        current = row_counts_by_partition(tables[name], partition_keys)
        outcome = row_count_drop(name, current, _previous_row_counts(lake, name, partition_keys, current))
        yield _result(context, name, ROW_COUNT_NO_SHARP_DROP, outcome, dg.AssetCheckSeverity.WARN)


def _result(
    context: dg.AssetExecutionContext,
    asset: str,
    check: str,
    outcome: CheckOutcome,
    severity=dg.AssetCheckSeverity.ERROR,
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
        metadata={
            k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v for k, v in outcome.metadata.items()
        },
    )


def _previous_row_counts(
    lake: Lake, name: str, partition_keys: list[str], current: dict[str, int]
) -> dict[str, tuple[str, int] | None]:
    """``{dt: (previous day, its rows) or None}``: from this run's own rows when the previous
    day is in the run, else from the previous day's file in the lake (its Parquet footer:
    one small read per table and run, whichever run or range wrote it). None when the
    previous day's partition was never written."""
    out: dict[str, tuple[str, int] | None] = {}
    for dt in partition_keys:
        previous = (date.fromisoformat(dt) - timedelta(days=1)).isoformat()
        rows = current[previous] if previous in current else stored_row_count(lake, name, previous)
        out[dt] = (previous, rows) if rows is not None else None
    return out
