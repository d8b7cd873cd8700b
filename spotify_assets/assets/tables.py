"""``songs``, ``albums``, ``artists`` and ``playlist_entries``: the raw objects of a day
turned into four Parquet tables, in one step so that each raw object is parsed once."""


import dagster as dg

from spotify_assets.lake.layout import TABLE_NAMES, RawObject
from spotify_assets.partitions import daily_partitions
from spotify_assets.transform import build_partition_tables

TABLE_DESCRIPTIONS = {
    "songs": "One row per song (track) on any playlist that day; song_id unique per dt. artist_id is the first artist credited on the track.",
    "albums": "One row per album of the day's songs; release_date normalised from release_date_precision (year → Jan 1st, month → the 1st).",
    "artists": "Every artist credited on a song or on an album of the day; artist_id unique per dt.",
    "playlist_entries": "One row per song item of each playlist snapshot: playlist, snapshot_id, 1-based position (counting every item), added_at (UTC).",
}

RAW_OBJECTS_VALID = "raw_objects_valid"


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
    check_specs=[
        dg.AssetCheckSpec(
            RAW_OBJECTS_VALID,
            asset="playlist_entries",
            description="Every raw object of the partition could be read; a failure names each bad object and why.",
        )
    ],
)
def spotify_tables(context: dg.AssetExecutionContext, raw_playlist: list[RawObject]):
    """Parse each raw object of the run's partitions once and build the four tables."""
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
    shared = {
        "raw_objects": len(result.playlists),
        "bad_objects": dg.MetadataValue.json(result.bad_objects),
        "skipped_items": dg.MetadataValue.json(result.skipped_items),
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
