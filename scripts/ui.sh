#!/usr/bin/env bash
# The Dagster UI on the demo's instance: `dagster dev` with DAGSTER_HOME=./.dagster_home (or the
# one already exported), so the UI shows the runs of ./scripts/demo.sh and of every `dagster`
# command run with the same DAGSTER_HOME. Options go to `dagster dev` (e.g. -p 3001).
source "$(dirname "$0")/_venv.sh"
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || : > "$DAGSTER_HOME/dagster.yaml"  # else Dagster notes its absence
echo "==> the Dagster UI on DAGSTER_HOME=$DAGSTER_HOME (stop it with Ctrl-C)"
# Not Dagster's notice that its `dagster dev` is superseded by `dg dev`, a separate tool this
# project does not use: nothing a user can act on. Other warnings still show.
PYTHONWARNINGS='ignore:Function `dev_command` is superseded' exec dagster dev "$@"
