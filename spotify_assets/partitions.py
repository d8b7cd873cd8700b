"""The daily partitions shared by every asset: one partition per UTC day a snapshot was taken.

The assets are declared with :data:`daily_partitions` (the default first day of
``SPOTIFY_PARTITIONS_START``, never read from the environment here);
``definitions.build_definitions(settings)`` gives every asset, job, schedule and sensor
the partitions of its settings (:func:`build_partitions`).
"""

from datetime import date

import dagster as dg

from spotify_assets.settings import Settings


def build_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Daily partitions (UTC) from ``start`` (``Settings.partitions_start``) to today.

    ``end_offset=1`` makes today's (UTC) partition materializable during the day it names,
    which is when the Spotify API serves that day's snapshot."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1, timezone="UTC")


# The partitions of the default settings: what the asset decorators declare.
daily_partitions = build_partitions(Settings().partitions_start)
