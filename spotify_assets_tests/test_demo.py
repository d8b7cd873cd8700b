"""``./scripts/demo.sh`` as a newcomer runs it (into a temporary DAGSTER_HOME and lake): it
succeeds, prints progress lines (no DEBUG events, no Python warnings), says that it read the
synthetic sample, and ends with what to do next; the query it suggests answers rows."""

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from spotify_assets_tests.support.fixtures.lake import PROJECT_ENV_VARS

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[1]


def test_the_demo_is_quiet_says_what_it_read_and_what_to_do_next(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_ENV_VARS}
    env.update(
        DAGSTER_HOME=str(tmp_path / "home"),
        SPOTIFY_LAKE_URL=str(tmp_path / "lake"),
        SPOTIFY_DUCKDB_PATH=str(tmp_path / "c.duckdb"),
    )
    done = subprocess.run(["bash", "scripts/demo.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    output = (done.stdout + done.stderr).splitlines()
    assert not [line for line in output if " - DEBUG - " in line]
    assert not [line for line in output if "Warning:" in line], [line for line in output if "Warning:" in line]
    assert any("reading the SYNTHETIC sample playlist" in line for line in output)
    assert any(line.startswith("playlist_entries: 9 rows at ") for line in output)
    next_steps = done.stdout[done.stdout.index("==> next") :].splitlines()
    assert [line.split(":", 1)[0].strip() for line in next_steps[1:]] == ["the UI", "a query", "your data"]
    query = shlex.split(next_steps[2].split(":", 1)[1].strip())
    answered = subprocess.run(
        [str(REPO / query[0]), *query[1:]], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert answered.returncode == 0 and answered.stdout.splitlines()[-1] == "(1 row)", answered.stderr
