#!/usr/bin/env bash
# Runs the whole test suite (pytest) in ./.venv, creating it on first use.
source "$(dirname "$0")/_venv.sh"
exec python -m pytest "$@"
