"""``playlist_trends`` and ``artist_daily_share``: music trends over the daily tables.

``playlist_trends`` of a day depends on every earlier snapshot of the playlist (the
previous snapshot may be any number of days back; counts and peaks span the whole
history). Dagster has no "all partitions up to this one" mapping, and a window mapping
over years of days would make every earlier day (most never materialized: days without a
snapshot) a required upstream partition. So the run's own days come through the IO
manager (identity mapping: lineage, run order, single-run backfills) and the days
before them are read straight from the lake, where missing days are simply absent.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at runtime.

from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import TABLE_FILE_NAME, dt_from_key
from spotify_assets.lake.parquet import read_parquet_bytes
from spotify_assets.lake.publish import recover_pending
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.spotify.schemas import PLAYLIST_ENTRIES_SCHEMA
from spotify_assets.trends.chart import chart_history, markdown_image, render_position_chart
from spotify_assets.trends.positions import ENTRY_COLUMNS, compute_playlist_trends
from spotify_assets.trends.share import compute_artist_share
from spotify_assets.vocabulary import (
    ARTIST_DAILY_SHARE,
    ARTISTS,
    ASSET_GROUP,
    PARTITION_COLUMN,
    PLAYLIST_ENTRIES,
    PLAYLIST_TRENDS,
    SONGS,
)

CHART_PLAYLISTS = 3  # at most this many playlists get a chart, by playlist_id
CHART_TOP_N = 10
CHART_SNAPSHOTS = 30

PLAYLIST_TRENDS_DESCRIPTION = (
    "One row per (dt, playlist_id, song_id) of each playlist snapshot (a playlist's state on a UTC day; "
    "days without a snapshot are skipped): position (best 1-based position that day; NULL = the song LEFT "
    "since the previous snapshot, one such row on the first snapshot without it), previous_position "
    "(on the playlist's previous available snapshot, any number of days back; NULL = not on it), "
    "position_change (previous - current, positive = climbed), is_new_entry (not on the previous "
    "snapshot; every song of a playlist's first snapshot), snapshots_on_playlist (snapshots up to dt "
    "containing the song), peak_position (best position up to dt), playlist_name, snapshot_id. "
    "Metadata: a chart of the top 10 songs' positions over the last 30 snapshots."
)
ARTIST_DAILY_SHARE_DESCRIPTION = (
    "One row per (dt, playlist_id, artist_id): entries = the playlist's song entries that day crediting "
    "the artist (every credited artist counts, not only the first), share = entries / song entries of the "
    "playlist that day (float64; a playlist's shares add up to more than 1 with featured artists), artist_name."
)


# What both trend tables share: daily Parquet tables in the lake, ranges in one run.
TREND_TABLE_ASSET_ARGS = dict(
    partitions_def=daily_partitions,
    group_name=ASSET_GROUP,
    io_manager_key="table_io_manager",
    kinds={"parquet", "pyarrow"},
    backfill_policy=dg.BackfillPolicy.single_run(),
)


@dg.asset(
    **TREND_TABLE_ASSET_ARGS,
    name=PLAYLIST_TRENDS,
    ins={PLAYLIST_ENTRIES: dg.AssetIn(), SONGS: dg.AssetIn()},
    description=PLAYLIST_TRENDS_DESCRIPTION,
)
def playlist_trends(
    context: dg.AssetExecutionContext, lake: LakeResource, playlist_entries: pa.Table, songs: pa.Table
) -> dg.Output[pa.Table]:
    """Trend rows of the run's days (see ``compute_playlist_trends``) and their chart."""
    partition_keys = context.partition_keys
    columns = pa.schema([PLAYLIST_ENTRIES_SCHEMA.field(c) for c in ENTRY_COLUMNS])
    earlier = read_table_before(lake.get_lake(), PLAYLIST_ENTRIES, partition_keys[0], columns)
    current = playlist_entries.select([*ENTRY_COLUMNS, PARTITION_COLUMN]).cast(earlier.schema)
    history = pa.concat_tables([earlier, current])
    every_day = compute_playlist_trends(history)  # history too: the chart draws past snapshots
    trends = every_day.filter(pc.is_in(every_day[PARTITION_COLUMN], pa.array(partition_keys, pa.string())))
    context.log.info(
        f"{PLAYLIST_TRENDS}: {trends.num_rows} rows for {len(partition_keys)} day(s) from {earlier.num_rows} earlier entry rows"
    )
    return dg.Output(
        trends, metadata={"position_chart": dg.MetadataValue.md(_charts_markdown(every_day, partition_keys, songs))}
    )


@dg.asset(
    **TREND_TABLE_ASSET_ARGS,
    name=ARTIST_DAILY_SHARE,
    ins={PLAYLIST_ENTRIES: dg.AssetIn(), SONGS: dg.AssetIn(), ARTISTS: dg.AssetIn()},
    description=ARTIST_DAILY_SHARE_DESCRIPTION,
)
def artist_daily_share(playlist_entries: pa.Table, songs: pa.Table, artists: pa.Table) -> pa.Table:
    """Artist share rows of the run's days (see ``compute_artist_share``)."""
    return compute_artist_share(playlist_entries, songs, artists)


def read_table_before(lake: Lake, table: str, before_dt: str, columns: pa.Schema) -> pa.Table:
    """Every partition of ``table`` in ``lake`` with dt < ``before_dt`` (UTC days),
    concatenated, in date order.

    Returns the columns of ``columns`` cast to its types, plus a last ``dt`` string
    column (YYYY-MM-DD); 0 rows when there is no earlier partition. Days never
    materialized are skipped, not an error. Raises ``pyarrow.ArrowInvalid`` when a file
    lacks one of the columns. A commit a killed write left pending is completed first.
    """
    recover_pending(lake)  # a commit a killed write left half done is completed before reading
    object_keys = [
        o.key
        for o in lake.list_objects(f"{table}/")
        if o.key.endswith("/" + TABLE_FILE_NAME) and (dt_from_key(o.key) or "9999") < before_dt
    ]

    def read(object_key: str) -> pa.Table:
        part = read_parquet_bytes(lake.read_bytes(object_key), columns=columns.names).cast(columns)
        return part.append_column(PARTITION_COLUMN, pa.array([dt_from_key(object_key)] * part.num_rows, pa.string()))

    # Threads: on S3 each read is a round trip, and there is one file per day.
    with ThreadPoolExecutor(max_workers=8) as pool:
        parts = [p for p in pool.map(read, object_keys) if p.num_rows]
    schema = columns.append(pa.field(PARTITION_COLUMN, pa.string()))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _charts_markdown(every_day: pa.Table, partition_keys: list[str], songs: pa.Table) -> str:
    """Markdown with one chart per playlist (at most :data:`CHART_PLAYLISTS`) on the run's
    latest day that has a snapshot."""
    present = every_day.filter(pc.is_in(every_day[PARTITION_COLUMN], pa.array(partition_keys, pa.string()))).to_pandas()
    present = present[present["position"].notna()]
    if present.empty:
        days = partition_keys[0] + ("" if len(partition_keys) == 1 else f"...{partition_keys[-1]}")
        return f"No playlist snapshot on {days}: no chart."
    dt = present[PARTITION_COLUMN].max()
    today = present[present[PARTITION_COLUMN] == dt]
    names = {
        r["song_id"]: r["song_name"]
        for r in songs.select([PARTITION_COLUMN, "song_id", "song_name"]).to_pylist()
        if r[PARTITION_COLUMN] == dt
    }
    parts = []
    for playlist_id in sorted(today["playlist_id"].unique())[:CHART_PLAYLISTS]:
        playlist_name = today.loc[today["playlist_id"] == playlist_id, "playlist_name"].iloc[0] or playlist_id
        history, song_ids = chart_history(every_day, playlist_id, dt, CHART_TOP_N, CHART_SNAPSHOTS)
        title = f"{playlist_name} - top {len(song_ids)} on {dt} over the last {history[PARTITION_COLUMN].nunique()} snapshots"
        png = render_position_chart(history, song_ids, names, title)
        parts.append(f"### {playlist_name} ({playlist_id}), {dt}\n\n{markdown_image(png)}")
    return "\n\n".join(parts)
