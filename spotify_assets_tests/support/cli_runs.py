"""The real ``dagster asset materialize`` command line as the tests run it: the venv's console
script, from the repository root, on the project's code location."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).parent / "dagster"


def materialize_cli(
    select: str, partition: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    """``dagster asset materialize -m spotify_assets.definitions --select <select> <partition...>``
    (e.g. ``["--partition", day]`` or ``["--partition-range", "A...B"]``) with ``env``; its
    stdout and stderr as text. ``subprocess.TimeoutExpired`` after ``timeout`` seconds."""
    args = [str(DAGSTER), "asset", "materialize", "-m", "spotify_assets.definitions", "--select", select, *partition]
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
