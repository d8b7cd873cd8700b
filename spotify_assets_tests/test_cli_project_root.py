"""``spotify-assets query`` finds the default lake of the project from any current directory:
the console script in a real subprocess, run from elsewhere, on a checkout (a folder holding
``workspace.yaml``, ``pyproject.toml`` and the package, through ``PYTHONPATH``) whose default
lake ``./data/lake`` holds tables, or none; and an installed package (no checkout around it)
says that its default is the current directory."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import spotify_assets
from spotify_assets.settings import ENV_VARS

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

CLI = Path(sys.executable).with_name("spotify-assets")  # the venv's console script
PACKAGE = Path(spotify_assets.__file__).parent
COUNT_SONGS = "select count(*) as songs from songs"


def _project(root: Path, *, checkout: bool) -> Path:
    """``root`` holding the package (a link to it) and, for a checkout, the project files."""
    root.mkdir()
    (root / "spotify_assets").symlink_to(PACKAGE, target_is_directory=True)
    if checkout:
        for name in ("workspace.yaml", "pyproject.toml"):
            shutil.copy(PACKAGE.parent / name, root / name)
    return root


def _query(project: Path, cwd: Path, sql: str = COUNT_SONGS) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}  # every default
    env["PYTHONPATH"] = str(project)
    cwd.mkdir(exist_ok=True)
    return subprocess.run([str(CLI), "query", sql], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_query_reads_the_checkouts_default_lake_from_another_directory(top50_lake, tmp_path):
    lake_url = top50_lake.url
    project = _project(tmp_path / "checkout", checkout=True)
    shutil.copytree(lake_url, project / "data" / "lake")
    done = _query(project, tmp_path / "elsewhere")
    assert (done.returncode, done.stdout, done.stderr) == (0, "songs\n-----\n  200\n(1 row)\n", "")


def test_query_names_the_default_lake_it_looked_at_when_it_has_no_tables(tmp_path):
    project = _project(tmp_path / "checkout", checkout=True)
    done = _query(project, tmp_path / "elsewhere")
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "(1 row)")
    assert done.stderr.startswith(
        f"spotify-assets: note: the lake at {project / 'data' / 'lake'} (the default SPOTIFY_LAKE_URL, in the "
        "project root (source checkout)) has no tables yet (every view is empty): run ./scripts/demo.sh"
    )


def test_an_installed_package_says_its_default_lake_is_in_the_current_directory(tmp_path):
    installed = _project(tmp_path / "site-packages", checkout=False)
    done = _query(installed, tmp_path / "here")
    assert done.returncode == 0 and done.stderr.startswith(
        f"spotify-assets: note: the lake at {tmp_path / 'here' / 'data' / 'lake'} (the default SPOTIFY_LAKE_URL, in "
        "the current directory (spotify_assets is installed, not a source checkout)) has no tables yet"
    )
