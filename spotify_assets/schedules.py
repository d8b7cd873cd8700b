"""Daily schedules: extract today's (UTC) ``raw_playlist`` partition once a day.

Two ways to get the tables built after the extraction:

- ``daily_playlist_schedule`` (the seeds' event-driven flow): the run materializes
  ``raw_playlist`` only; ``raw_playlist_sensor`` sees the new raw objects and requests
  the transformation run for the partition.
- ``daily_playlist_with_tables_schedule``: one run materializes ``raw_playlist`` and the
  tables together (no sensor needed). Turn on one of the two, not both.

Both are STOPPED by default: a schedule that starts by itself in ``dagster dev`` would
call the Spotify API (or write the synthetic sample into the lake) without being asked.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from spotify_assets.partitions import daily_partitions
from spotify_assets.settings import ENV_VARS
from spotify_assets.vocabulary import RAW_PLAYLIST, SPOTIFY_TABLE_NAMES

RAW_PLAYLIST_SELECTION = dg.AssetSelection.assets(RAW_PLAYLIST)
DEFAULT_WITH_TABLES_SELECTION = dg.AssetSelection.assets(RAW_PLAYLIST, *SPOTIFY_TABLE_NAMES)
DEFAULT_CRON = ENV_VARS["SPOTIFY_SCHEDULE_CRON"][0]  # 0 6 * * *: Settings.schedule_cron when not given


def partition_for_tick(scheduled_execution_time: datetime | None) -> str:
    """The UTC date (``YYYY-MM-DD``) of a tick's scheduled time (now when None, as in a
    manual evaluation): the partition the Spotify API can serve at that moment
    (``end_offset=1`` makes today's partition exist)."""
    moment = scheduled_execution_time or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError(f"scheduled execution time {moment.isoformat()} has no time zone")
    return moment.astimezone(timezone.utc).date().isoformat()


@dataclass(frozen=True)
class DailySchedule:
    """One of the two daily schedules: its name, its job's name, what the job selects by
    default and the description the UI shows."""

    name: str
    job_name: str
    default_selection: dg.AssetSelection
    description: str


RAW_PLAYLIST_ONLY = DailySchedule(
    "daily_playlist_schedule",
    "daily_raw_playlist_job",
    RAW_PLAYLIST_SELECTION,
    "Extracts today's (UTC) raw_playlist partition; raw_playlist_sensor then builds the tables.",
)
WITH_TABLES = DailySchedule(
    "daily_playlist_with_tables_schedule",
    "daily_playlist_with_tables_job",
    DEFAULT_WITH_TABLES_SELECTION,
    "Extracts today's (UTC) raw_playlist partition and builds its tables in the same run.",
)


def build_daily_schedule(
    kind: DailySchedule,
    selection: dg.AssetSelection | Sequence[str] | None = None,
    *,
    cron_schedule: str | None = None,
    default_status: dg.DefaultScheduleStatus = dg.DefaultScheduleStatus.STOPPED,
    partitions_def: dg.TimeWindowPartitionsDefinition = daily_partitions,
) -> dg.ScheduleDefinition:
    """The schedule ``kind`` (:data:`RAW_PLAYLIST_ONLY` or :data:`WITH_TABLES`): an asset job
    over ``selection`` (default: the kind's) that requests the tick's UTC date as partition
    key; cron ``cron_schedule`` (``Settings.schedule_cron``; default ``0 6 * * *``, UTC),
    over ``partitions_def`` (default: the default start). An invalid cron raises
    ``DagsterInvalidDefinitionError`` naming the schedule. A tick whose date is not a
    partition (before ``SPOTIFY_PARTITIONS_START``) is skipped with the reason."""
    # Partitioning is inferred from the selected assets (passing it is deprecated and warns).
    job = dg.define_asset_job(kind.job_name, selection=selection if selection is not None else kind.default_selection)

    @dg.schedule(
        name=kind.name,
        job=job,
        cron_schedule=cron_schedule or DEFAULT_CRON,
        execution_timezone="UTC",
        default_status=default_status,
        description=kind.description,
    )
    def _daily(context: dg.ScheduleEvaluationContext):
        dt = partition_for_tick(context.scheduled_execution_time)
        with dg.partition_loading_context(effective_dt=datetime.now(timezone.utc)):
            exists = partitions_def.has_partition_key(dt)
        if not exists:
            return dg.SkipReason(
                f"partition {dt} is not in the daily partitions (first: {partitions_def.get_first_partition_key()})"
            )
        return dg.RunRequest(partition_key=dt)

    return _daily
