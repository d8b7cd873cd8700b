"""spotify_assets: a daily, queryable history of Spotify playlists as Dagster assets."""

import warnings

import dagster as dg

# BackfillPolicy is "beta" in Dagster 1.13; single-run backfills are the point of using it,
# so its warning on every import would only be noise in run logs and the CLI.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
