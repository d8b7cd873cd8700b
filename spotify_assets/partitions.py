"""The daily partitions shared by every asset: one partition per UTC day a snapshot was taken."""

import dagster as dg

from spotify_assets.settings import env

# end_offset=1 makes today's (UTC) partition materializable during the day it names,
# which is when the Spotify API serves that day's snapshot.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=env("SPOTIFY_PARTITIONS_START"),
    end_offset=1,
    timezone="UTC",
)
