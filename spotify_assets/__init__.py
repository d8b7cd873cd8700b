"""spotify_assets: a daily, queryable history of Spotify playlists as Dagster assets."""

import warnings

# BackfillPolicy is "beta" in Dagster 1.13; single-run backfills are the point of using it,
# so its warning on every import would only be noise in run logs and the CLI. Matched by
# message so that importing the pure modules (spotify_assets.spotify, .trends) does not
# import dagster.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` .* is currently in beta")
