#!/usr/bin/env bash
# The main job on a fresh machine: today's partition of every asset on the local lake
# (./data/lake) from the synthetic sample playlist (no Spotify credentials needed), then
# where the tables are and a few rows of each.
source "$(dirname "$0")/_venv.sh"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
today="$(date -u +%F)"
echo "==> materialising today's partition ($today, UTC) of every asset"
dagster asset materialize -m spotify_assets.definitions --select '*' --partition "$today"
echo
python -m spotify_assets.lake.summary --dt "$today"
