#!/usr/bin/env bash
# The main job on a fresh machine: today's partition of every asset on the local lake
# (./data/lake) from the synthetic sample playlist (no Spotify credentials needed), then
# where the tables are and a few rows of each, and what to do next.
source "$(dirname "$0")/_venv.sh"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
today="$(date -u +%F)"
echo "==> materializing today's partition ($today, UTC) of every asset"
# Progress lines (INFO), not Dagster's DEBUG events; and not two notices about Dagster's own
# CLI and API that a user of this project cannot act on. Other warnings still show.
PYTHONWARNINGS='ignore:Function `asset_materialize_command` is superseded,ignore:Parameter `include_sources` of function `AssetSelection.all` is currently in beta' \
  dagster asset materialize -m spotify_assets.definitions --select '*' --partition "$today" \
  --config-json '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
echo
python -m spotify_assets.lake.summary --dt "$today"
cat <<NEXT

==> next
  the UI:     source .venv/bin/activate && DAGSTER_HOME=$DAGSTER_HOME dagster dev   (then http://127.0.0.1:3000)
  a query:    .venv/bin/spotify-assets query "select dt, count(*) as entries from playlist_entries group by dt"
  your data:  .venv/bin/spotify-assets doctor   (after setting the Spotify variables: README, Reading real playlists)
NEXT
