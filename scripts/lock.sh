#!/usr/bin/env bash
# Re-resolves the lock files from setup.py with pip-tools (pip-compile) after a change of
# install_requires or the dev extras, keeping every pin that still fits; with --upgrade it
# takes the newest releases that fit instead:
#   requirements-dev.lock  every package of the project and its dev extras, pinned (CI and ./.venv)
#   requirements.lock      the runtime packages only, at the same versions (the container image)
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --upgrade pip "pip-tools>=7.5"
# No index or find-links lines: the files must not depend on this machine's pip configuration.
flags=(--quiet --strip-extras --no-emit-index-url --no-emit-find-links)
if [ "${1:-}" = "--upgrade" ]; then flags+=(--upgrade); fi
"$tools/bin/pip-compile" "${flags[@]}" --extra dev -o requirements-dev.lock setup.py
# Constrained by the dev lock, so the image and CI install the same version of every package.
"$tools/bin/pip-compile" "${flags[@]}" -c requirements-dev.lock -o requirements.lock setup.py
echo "updated requirements-dev.lock and requirements.lock; run ./scripts/test.sh, then commit them"
