"""``run_failure_alert_sensor`` on a real failed run: the alert reaches an SNS topic on moto's
server (read back through an SQS queue subscribed to it) with the run, asset, partition and
first error line, and nothing secret."""

import json

import boto3
import dagster as dg
import pytest

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.definitions import build_definitions, build_resources
from spotify_assets.resources.alerts_resource import SnsAlertsResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.sensors.alerts import error_text, failure_alert, run_failure_alert_sensor
from spotify_assets.settings import Settings
from spotify_assets_tests.support.fixtures.moto import REGION

SECRET = "client-secret-never-in-alerts"
PAST_DAY = "2024-01-02"


@pytest.fixture
def topic_and_queue(aws_env):
    session = boto3.session.Session(region_name=REGION)
    sns, sqs = session.client("sns"), session.client("sqs")
    topic_arn = sns.create_topic(Name="spotify-assets-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, sqs, queue_url


def _failed_run(tmp_path):
    """raw_playlist for a past day with no raw object: a real run that fails, with Spotify credentials set."""
    settings = Settings(
        deployment="local",
        lake_url=str(tmp_path / "lake"),
        landing_url="",
        playlist_ids="",
        partitions_start="2023-01-01",
        duckdb_path=str(tmp_path / "c.duckdb"),
    )
    resources = build_resources(settings)
    resources["spotify"] = SpotifyResource(client_id="client-id", client_secret=SECRET)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [raw_playlist], partition_key=PAST_DAY, resources=resources, instance=instance, raise_on_error=False
    )
    assert not result.success
    (failure,) = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return instance, instance.get_run_by_id(result.run_id), failure.dagster_event


def test_a_failed_run_publishes_one_short_alert_to_the_topic(topic_and_queue, tmp_path):
    topic_arn, sqs, queue_url = topic_and_queue
    instance, run, failure = _failed_run(tmp_path)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"alerts": SnsAlertsResource(topic_arn=topic_arn)},
    ).for_run_failure()
    run_failure_alert_sensor(context)

    (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received["Body"])  # SNS's notification, as SQS delivers it
    assert envelope["TopicArn"] == topic_arn
    assert envelope["Subject"] == f"spotify_assets run failed: raw_playlist, {PAST_DAY}"
    lines = envelope["Message"].splitlines()
    assert lines[:4] == [f"run: {run.run_id}", f"job: {run.job_name}", "assets: raw_playlist", f"partition: {PAST_DAY}"]
    assert lines[4].startswith(f"error: raw_playlist {PAST_DAY}: cannot extract a past or future day.")
    assert len(lines) == 5 and SECRET not in received["Body"]


def test_the_alert_is_short_whatever_the_error():
    subject, message = failure_alert(
        "r1", "__ASSET_JOB", [], "2024-05-01...2024-05-31", "\n\n" + "x" * 5000 + "\nsecond line"
    )
    assert subject == "spotify_assets run failed: __ASSET_JOB, 2024-05-01...2024-05-31"
    error_line = message.splitlines()[-1]
    assert error_line == "error: " + "x" * 299 + "…"
    assert (
        error_text("spotify_assets.spotify.errors.SpotifyTransientError: playlist X: HTTP 503")
        == "SpotifyTransientError: playlist X: HTTP 503"
    )
    assert (
        error_text("dagster._core.definitions.events.Failure: raw_playlist 2024-01-02: no")
        == "raw_playlist 2024-01-02: no"
    )


def test_the_sensor_and_its_resource_exist_only_with_a_valid_topic(monkeypatch):
    assert "alerts" not in build_definitions(Settings.from_env()).resources
    monkeypatch.setenv("SPOTIFY_ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:spotify-assets-alerts")
    defs = build_definitions(Settings.from_env())
    sensor = defs.resolve_sensor_def("run_failure_alert_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resources["alerts"].topic_arn == "arn:aws:sns:eu-west-1:123456789012:spotify-assets-alerts"
    monkeypatch.setenv("SPOTIFY_ALERTS_TOPIC_ARN", "spotify-assets-alerts")
    with pytest.raises(ValueError, match="SPOTIFY_ALERTS_TOPIC_ARN='spotify-assets-alerts': expected an SNS topic ARN"):
        build_definitions(Settings.from_env())


def test_an_asset_turning_fail_publishes_one_freshness_alert(topic_and_queue):
    """The daemon's freshness evaluation records a FAIL state for ``songs`` (written here as
    the daemon writes it: a FreshnessStateChange event on a real instance); the sensor
    publishes one alert, and none again for the same state."""
    import time

    from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange

    from spotify_assets.sensors.alerts import build_freshness_alert_sensor

    topic_arn, sqs, queue_url = topic_and_queue
    instance = dg.DagsterInstance.ephemeral()
    songs, albums = dg.AssetKey("songs"), dg.AssetKey("albums")
    now = time.time()
    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=songs, new_state=FreshnessState.FAIL, previous_state=FreshnessState.WARN, state_change_timestamp=now
        )
    )
    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=albums, new_state=FreshnessState.WARN, previous_state=FreshnessState.PASS, state_change_timestamp=now
        )
    )
    sensor = build_freshness_alert_sensor([songs, albums])
    resources = {"alerts": SnsAlertsResource(topic_arn=topic_arn)}
    first = sensor(dg.build_sensor_context(instance=instance, resources=resources))
    second = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor))

    # Both evaluations ran before this read: exactly one message means the state was alerted once.
    (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received["Body"])
    assert envelope["Subject"] == "spotify_assets asset overdue: songs"
    assert envelope["Message"].splitlines()[:2] == [
        "asset: songs",
        "freshness: FAIL (no new materialization within its freshness policy's fail window)",
    ]
    assert list(json.loads(first.cursor)) == ["songs"] and second.cursor == first.cursor


def test_both_alert_sensors_ship_with_a_topic(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:spotify-assets-alerts")
    defs = build_definitions(Settings.from_env())
    assert defs.resolve_sensor_def("freshness_alert_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_sensor_def("run_failure_alert_sensor").default_status == dg.DefaultSensorStatus.RUNNING
