"""``AWS_REGION`` and ``AWS_DEFAULT_REGION`` both work, alone or together, for every AWS
client of the project (the installed boto3 reads only ``AWS_DEFAULT_REGION`` by itself).
On moto's server: the lake on S3, Glue (regional: a database made in eu-west-1 is found only
there), SNS and Athena."""

import boto3
import pytest

from spotify_assets.aws import aws_client
from spotify_assets.catalog.athena import run_athena_query
from spotify_assets.lake.lake import Lake
from spotify_assets.resources.alerts_resource import SnsAlertsResource
from spotify_assets.settings import Settings
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, LAKE_URL

REGION = "eu-west-1"


@pytest.mark.parametrize(
    "variables",
    [{"AWS_REGION": REGION}, {"AWS_DEFAULT_REGION": REGION}, {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}],
    ids=["AWS_REGION alone", "AWS_DEFAULT_REGION alone", "both"],
)
def test_every_aws_client_takes_the_region_from_either_variable(aws_env, monkeypatch, variables):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()  # what every builder is given
    assert settings.aws_region == REGION
    aws = (settings.aws_region, settings.aws_endpoint_url)
    # Made with an explicit region, so that the checks below find them only in eu-west-1.
    explicit = boto3.session.Session(region_name=REGION)
    explicit.client("s3").create_bucket(Bucket=LAKE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    explicit.client("glue").create_database(DatabaseInput={"Name": "spotify_region_test"})
    topic = explicit.client("sns").create_topic(Name="alerts")["TopicArn"]

    lake = Lake(LAKE_URL, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
    lake.write_bytes("raw_playlist/dt=2026-11-20/x.json", b"{}")
    assert lake.read_bytes("raw_playlist/dt=2026-11-20/x.json") == b"{}"
    assert [d["Name"] for d in aws_client("glue", *aws).get_databases()["DatabaseList"]] == ["spotify_region_test"]
    assert SnsAlertsResource(topic_arn=topic, region_name=aws[0], endpoint_url=aws[1]).publish("subject", "message")
    athena = aws_client("athena", *aws)
    assert run_athena_query(
        "select 1", database="spotify_region_test", poll_interval_s=0.01, client=athena
    ).query_execution_id


def test_aws_region_prefers_aws_region_and_is_none_without_either():
    assert Settings.from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}).aws_region == "eu-west-1"
    assert Settings.from_env({"AWS_DEFAULT_REGION": "us-east-1"}).aws_region == "us-east-1"
    assert Settings.from_env({}).aws_region is None
