"""What `build_definitions` wires for each deployment: resources, kinds, freshness, automation."""

from datetime import timedelta

import dagster as dg
import pytest

from spotify_assets.definitions import build_definitions
from spotify_assets.resources.catalog_resources import (
    DuckDBCatalogResource,
    GlueCatalogResource,
    GluePartitionsCatalogResource,
)
from spotify_assets.settings import Settings

ASSETS = [
    "raw_playlist",
    "songs",
    "albums",
    "artists",
    "playlist_entries",
    "playlist_trends",
    "artist_daily_share",
    "catalog",
]


def _specs(defs: dg.Definitions) -> dict[str, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_local_definitions_on_a_folder_lake(lake_dir):
    defs = build_definitions(Settings.from_env())
    assert isinstance(defs.resources["catalog"], DuckDBCatalogResource)
    nodes = _specs(defs)
    assert sorted(nodes) == sorted(ASSETS)
    for name, node in nodes.items():
        assert node.freshness_policy.fail_window.to_timedelta() == timedelta(hours=30), name
        assert "s3" not in node.kinds
        assert node.group_name == "spotify"
    assert nodes["raw_playlist"].kinds == {"spotify", "json"}
    assert nodes["songs"].kinds == {"parquet", "pyarrow"}
    assert nodes["catalog"].kinds == {"duckdb"}
    sensor = defs.resolve_sensor_def("raw_playlist_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    for schedule in ("daily_playlist_schedule", "daily_playlist_with_tables_schedule"):
        assert defs.resolve_schedule_def(schedule).default_status == dg.DefaultScheduleStatus.STOPPED
    assert defs.resolve_schedule_def("daily_playlist_schedule").execution_timezone == "UTC"


def test_aws_definitions_on_an_s3_lake(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", "s3://my-bucket/lake")
    monkeypatch.setenv("GLUE_CRAWLER_ROLE_ARN", "arn:aws:iam::123456789012:role/crawler")
    defs = build_definitions(Settings.from_env())
    assert isinstance(defs.resources["catalog"], GluePartitionsCatalogResource)  # GLUE_CATALOG_MODE's default
    monkeypatch.setenv("GLUE_CATALOG_MODE", "crawler")
    assert isinstance(build_definitions(Settings.from_env()).resources["catalog"], GlueCatalogResource)
    nodes = _specs(defs)
    assert nodes["catalog"].kinds == {"glue", "athena"}
    assert nodes["raw_playlist"].kinds == {"spotify", "json", "s3"}
    assert nodes["playlist_entries"].kinds == {"parquet", "pyarrow", "s3"}


def test_an_unknown_deployment_is_refused(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "gcp")
    with pytest.raises(ValueError, match="SPOTIFY_ASSETS_ENV='gcp': expected 'local' or 'aws'"):
        Settings.from_env()
