#!/usr/bin/env bash
# Runs the whole test suite (pytest) in ./.venv, creating it on first use. Two worker
# processes (pytest-xdist): the suite's CLI runs, servers and subprocesses mostly wait, so two
# workers on two cores take about half the time of one. A later -n overrides it (-n 0: one process).
source "$(dirname "$0")/_venv.sh"
exec python -m pytest -n 2 "$@"
