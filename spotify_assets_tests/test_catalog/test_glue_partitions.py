"""``GLUE_CATALOG_MODE=register``: after a range run on an S3 lake (moto's server), the
``catalog`` asset has created every table in the Glue Data Catalog with the columns and
types of the project's schemas, and every day of the run is a partition (GetPartitions),
without a crawl; registering again changes nothing."""

from datetime import date, timedelta

import boto3
import dagster as dg
import pyarrow as pa
import pytest

from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.catalog.catalog_schemas import CATALOG_SCHEMAS
from spotify_assets.catalog.glue_partitions import glue_type, register_tables
from spotify_assets.definitions import build_resources
from spotify_assets.resources.catalog_resources import GluePartitionsCatalogResource, build_catalog_resource
from spotify_assets.settings import Settings
from spotify_assets.vocabulary import CATALOG_TABLE_NAMES
from spotify_assets_tests.support.fixtures.moto import LAKE_URL, REGION
from spotify_assets_tests.support.top50 import ALL_DTS, land_top50

DATABASE = "spotify_test"
FIRST, LAST = ALL_DTS[0], ALL_DTS[-1]  # 2024-04-22 ... 2024-05-15: 24 days, 4 with a snapshot
DAYS = [
    (date.fromisoformat(FIRST) + timedelta(days=i)).isoformat()
    for i in range((date.fromisoformat(LAST) - date.fromisoformat(FIRST)).days + 1)
]
RANGE_TAGS = {"dagster/asset_partition_range_start": FIRST, "dagster/asset_partition_range_end": LAST}


def _glue():
    return boto3.session.Session(region_name=REGION).client("glue")


def _range_run(settings: Settings):
    catalog = build_catalog_asset("aws")
    resources = {**build_resources(settings), "catalog": build_catalog_resource(settings)}
    result = dg.materialize(
        [raw_playlist, spotify_tables, playlist_trends, artist_daily_share, catalog],
        selection=[spotify_tables, playlist_trends, artist_daily_share, catalog],
        resources=resources,
        tags=RANGE_TAGS,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    # One catalog run for the whole range: every day's materialization carries its metadata.
    return {key: value.value for key, value in result.asset_materializations_for_node("catalog")[0].metadata.items()}


@pytest.fixture
def registered(s3_lake, aws_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("GLUE_DATABASE", DATABASE)
    land_top50(s3_lake)
    settings = Settings.from_env()
    assert isinstance(build_catalog_resource(settings), GluePartitionsCatalogResource)  # the default mode
    return settings, _range_run(settings)


def test_a_range_run_registers_every_table_and_every_day_without_a_crawl(registered):
    _, metadata = registered
    glue = _glue()
    assert sorted(t["Name"] for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]) == sorted(CATALOG_TABLE_NAMES)
    for name, schema in CATALOG_SCHEMAS.items():
        table = glue.get_table(DatabaseName=DATABASE, Name=name)["Table"]
        assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        assert columns == [(f.name, glue_type(f.type)) for f in schema], name
        assert table["StorageDescriptor"]["Location"] == f"{LAKE_URL}/{name}/"
        partitions = [
            p
            for page in glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE, TableName=name)
            for p in page["Partitions"]
        ]
        assert sorted(p["Values"][0] for p in partitions) == DAYS, name
        assert {p["StorageDescriptor"]["Location"] for p in partitions} == {
            f"{LAKE_URL}/{name}/dt={dt}/" for dt in DAYS
        }
    assert metadata["glue_partitions_added"] == len(DAYS) * len(CATALOG_TABLE_NAMES)
    assert metadata["glue_partitions_already_registered"] == 0
    assert sorted(metadata["glue_tables_created"]) == sorted(CATALOG_TABLE_NAMES)
    assert glue.list_crawlers()["CrawlerNames"] == []  # no crawler was made, none ran


def test_the_glue_types_of_the_tables_columns():
    types = {f"{name}.{f.name}": glue_type(f.type) for name, s in CATALOG_SCHEMAS.items() for f in s}
    assert types["playlist_entries.added_at"] == "timestamp"
    assert types["albums.release_date"] == "date"
    assert types["songs.artist_ids"] == "array<string>"
    assert types["songs.duration_ms"] == "bigint" and types["songs.explicit"] == "boolean"
    assert types["artist_daily_share.share"] == "double"
    with pytest.raises(ValueError, match="no Glue column type for the Arrow type"):
        glue_type(pa.dictionary(pa.int8(), pa.string()))


def _refresh(settings: Settings, days: list[str]) -> dict:
    metadata = build_catalog_resource(settings).refresh(dg.get_dagster_logger(), days)
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def test_registering_again_adds_nothing_and_a_changed_schema_updates_the_table(registered):
    settings, _ = registered
    again = _refresh(settings, DAYS)
    assert again["glue_partitions_added"] == 0
    assert again["glue_partitions_already_registered"] == len(DAYS) * len(CATALOG_TABLE_NAMES)
    assert again["glue_tables_created"] == [] and again["glue_tables_updated"] == []

    # An artists table registered before the look-up columns existed is brought up to date.
    old_artists = CATALOG_SCHEMAS["artists"].remove(CATALOG_SCHEMAS["artists"].get_field_index("genres"))
    register_tables(_glue(), DATABASE, LAKE_URL, {"artists": old_artists}, {})
    assert "genres" not in [
        c["Name"]
        for c in _glue().get_table(DatabaseName=DATABASE, Name="artists")["Table"]["StorageDescriptor"]["Columns"]
    ]
    updated = _refresh(settings, [LAST])
    assert updated["glue_tables_updated"] == ["artists"]
    assert "genres" in [
        c["Name"]
        for c in _glue().get_table(DatabaseName=DATABASE, Name="artists")["Table"]["StorageDescriptor"]["Columns"]
    ]


def test_an_unknown_catalog_mode_is_refused_at_load_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", "s3://my-bucket/lake")
    monkeypatch.setenv("GLUE_CATALOG_MODE", "crawl")
    with pytest.raises(ValueError, match="GLUE_CATALOG_MODE='crawl': expected 'register' or 'crawler'"):
        Settings.from_env()
