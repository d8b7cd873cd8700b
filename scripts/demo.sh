#!/usr/bin/env bash
# The main job on a fresh machine: the last 30 days (UTC, ending today) of every asset on
# the local lake (./data/lake) from the synthetic sample playlist (no Spotify credentials
# needed), in ONE range run on the instance that `dagster dev` then opens; then where
# today's tables are with a few rows of each, and what to do next.
source "$(dirname "$0")/_venv.sh"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
# Dagster's defaults (runs, events and logs under $DAGSTER_HOME); the file's presence
# spares a notice on every command.
[ -f "$DAGSTER_HOME/dagster.yaml" ] || echo "# spotify_assets demo: Dagster's default storage in this folder" > "$DAGSTER_HOME/dagster.yaml"
today="$(date -u +%F)"
first="$(python -c 'from datetime import datetime, timedelta, timezone; print((datetime.now(timezone.utc) - timedelta(days=29)).date())')"
echo "==> materializing the last 30 days ($first...$today, UTC) of every asset in one run"
# Progress lines (INFO), not Dagster's DEBUG events; and not two notices about Dagster's own
# CLI and API that a user of this project cannot act on. Other warnings still show.
PYTHONWARNINGS='ignore:Function `asset_materialize_command` is superseded,ignore:Parameter `include_sources` of function `AssetSelection.all` is currently in beta' \
  dagster asset materialize -m spotify_assets.definitions --select '*' --partition-range "$first...$today" \
  --config-json '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
echo
python -m spotify_assets.lake.summary --dt "$today"
cat <<NEXT

==> next
  the UI:     DAGSTER_HOME=$DAGSTER_HOME ./scripts/ui.sh   (then http://127.0.0.1:3000)
  a query:    .venv/bin/spotify-assets query "select dt, count(position) as songs, count(*) filter (where is_new_entry) as entered, count(*) filter (where position_change > 0) as climbed from playlist_trends group by dt order by dt"
  your data:  .venv/bin/spotify-assets doctor   (after setting the Spotify variables: README, Reading real playlists)
NEXT
