"""The code location loads in a real dagster-webserver, and its GraphQL endpoint lists the
assets with their daily partitions."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from spotify_assets.assets.raw import utc_today
from spotify_assets_tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
ASSETS = {"raw_playlist", "songs", "albums", "artists", "playlist_entries"}
QUERY = """
{ assetNodes { assetKey { path } groupName isPartitioned
    partitionDefinition { type name }
    partitionKeysByDimension { name partitionKeys } } }
"""


@pytest.fixture
def webserver(tmp_path, lake_dir):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "SPOTIFY_PARTITIONS_START": "2026-11-01"}
    os.makedirs(env["DAGSTER_HOME"])
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(
        [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", str(REPO / "workspace.yaml")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopped whole, below
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AssertionError(f"dagster-webserver exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("dagster-webserver did not answer within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        # `dagster dev`/webserver may ignore SIGTERM for a while: end the whole group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_graphql_lists_the_assets_with_daily_partitions(webserver):
    deadline = time.monotonic() + 60
    while True:  # the code location loads in the background after the server answers
        data = requests.post(f"{webserver}/graphql", json={"query": QUERY}, timeout=30).json()
        nodes = {"/".join(n["assetKey"]["path"]): n for n in (data.get("data") or {}).get("assetNodes") or []}
        if ASSETS <= set(nodes) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert ASSETS <= set(nodes), data
    for name in ASSETS:
        node = nodes[name]
        assert node["isPartitioned"] and node["groupName"] == "spotify"
        assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
        keys = node["partitionKeysByDimension"][0]["partitionKeys"]
        assert keys[0] == "2026-11-01"  # SPOTIFY_PARTITIONS_START
        assert keys[-1] == utc_today()  # end_offset=1: today is the last partition
