"""The code location loads in a real dagster-webserver, and its GraphQL endpoint lists the
assets with their daily partitions."""

import os
from pathlib import Path

import pytest

from spotify_assets.assets.raw import utc_today
from spotify_assets_tests.support.ports import free_port
from spotify_assets_tests.support.servers import asset_nodes, webserver

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[2]
ASSETS = {"raw_playlist", "songs", "albums", "artists", "playlist_entries"}


@pytest.fixture
def webserver_url(tmp_path, lake_dir):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "SPOTIFY_PARTITIONS_START": "2026-11-01"}
    os.makedirs(env["DAGSTER_HOME"])
    with webserver(REPO / "workspace.yaml", env, REPO, free_port()) as url:
        yield url


def test_graphql_lists_the_assets_with_daily_partitions(webserver_url):
    nodes = asset_nodes(webserver_url, ASSETS)
    for name in ASSETS:
        node = nodes[name]
        assert node["isPartitioned"] and node["groupName"] == "spotify"
        assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
        keys = node["partitionKeysByDimension"][0]["partitionKeys"]
        assert keys[0] == "2026-11-01"  # SPOTIFY_PARTITIONS_START
        assert keys[-1] == utc_today()  # end_offset=1: today is the last partition
