"""The whole event-driven flow on S3 (moto's server over HTTP), with the project's own
definitions in `aws` mode: an object lands, the sensor fires, the requested run builds the
tables on S3 and the catalog asset registers their partitions in Glue (no crawl)."""

import io
import json

import boto3
import dagster as dg
import pyarrow.parquet as pq

from spotify_assets.definitions import build_definitions
from spotify_assets.settings import Settings
from spotify_assets_tests.support.expected import entry_rows, expected_entries
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, REGION
from spotify_assets_tests.support.samples import sample_path

LANDING_BUCKET = "spotify-landing-flow"
SEED_KEY = "raw_data/to_processed/spotify_raw_2023-10-27 08:15:00.000000.json"  # the seed Lambda's naming


def test_landed_object_to_tables_on_s3_and_the_glue_catalog(s3_lake, aws_env, monkeypatch):
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    s3.create_bucket(Bucket=LANDING_BUCKET)
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("SPOTIFY_LANDING_URL", f"s3://{LANDING_BUCKET}/raw_data/to_processed/")
    body = sample_path("rahmah95/spotify_data.json").read_bytes()
    s3.put_object(Bucket=LANDING_BUCKET, Key=SEED_KEY, Body=body)

    defs = build_definitions(Settings.from_env())
    sensor = defs.resolve_sensor_def("raw_playlist_sensor")
    instance = dg.DagsterInstance.ephemeral()
    resources = {"lake": defs.resources["lake"]}
    first = sensor(dg.build_sensor_context(instance=instance, resources=resources))
    (request,) = first.run_requests
    assert request.partition_key == "2023-10-27"
    assert [e.partition for e in first.asset_events] == ["2023-10-27"]  # the copy is a raw_playlist materialization
    assert not sensor(dg.build_sensor_context(cursor=first.cursor, instance=instance, resources=resources)).run_requests

    job = defs.resolve_job_def(sensor.job_name)
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {
        "songs",
        "albums",
        "artists",
        "playlist_entries",
        "catalog",
    }
    result = job.execute_in_process(partition_key=request.partition_key, instance=instance)
    assert result.success

    items = json.loads(body)["items"]
    key = "lake/playlist_entries/dt=2023-10-27/data.parquet"
    entries = pq.read_table(io.BytesIO(s3.get_object(Bucket=LAKE_BUCKET, Key=key)["Body"].read()))
    got = entry_rows(entries)
    assert got == expected_entries("37i9dQZEVXbNG2KDcFcKOF", items)
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix="lake/")["Contents"]}
    for table in ("songs", "albums", "artists", "playlist_entries"):
        assert f"lake/{table}/dt=2023-10-27/data.parquet" in listed
    # The landed object was copied into the raw zone and left where it was.
    assert s3.get_object(Bucket=LANDING_BUCKET, Key=SEED_KEY)["Body"].read() == body
    assert any(k.startswith("lake/raw_playlist/dt=2023-10-27/") for k in listed)

    # The default catalog mode registered the day's partition of every table: no crawl.
    glue = boto3.session.Session(region_name=REGION).client("glue")
    for table in ("songs", "albums", "artists", "playlist_entries"):
        (partition,) = glue.get_partitions(DatabaseName="spotify_assets", TableName=table)["Partitions"]
        assert partition["Values"] == ["2023-10-27"]
        assert partition["StorageDescriptor"]["Location"] == f"s3://{LAKE_BUCKET}/lake/{table}/dt=2023-10-27/"
    assert glue.list_crawlers()["CrawlerNames"] == []
    catalog = result.asset_materializations_for_node("catalog")[0].metadata
    assert catalog["glue_partitions_added"].value == 6  # the four tables and the two trend tables
