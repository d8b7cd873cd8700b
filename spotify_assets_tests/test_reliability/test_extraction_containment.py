"""Extraction faults that need no CLI run (the CLI suite is test_fault_injection_cli.py):
the run's deadline, errors raised inside spotipy, the request deadline of a trickled body,
retries within the playlist deadline, permanent setup errors (a lake that cannot be
written, a missing setting) failing at once without Dagster retries, and the deadline
settings. Real HTTP (the local test server), real lake folders, moto's S3 server and real
Dagster runs; nothing of the project is mocked."""

from __future__ import annotations

import json
import logging
import time

import botocore.exceptions
import dagster as dg
import pytest

from spotify_assets.assets.raw import utc_today
from spotify_assets.definitions import build_resources
from spotify_assets.lake.write_check import permanent_lake_error_reason
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.settings import Settings
from spotify_assets.spotify.errors import SpotifyDeadlineError, SpotifyTransientError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets_tests.support.fixtures.spotify_api import (
    invoke_raw_playlist_failing,
    materialize_raw_playlist_today,
    point_env_at,
    resource_for,
)
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.spotify_api_server import CannedResponse, SpotifyTestServer

GOOD_ID = "0lSHxL8DnuRYEhk2cmKSDH"  # 41 items
SLOW_ID = "5uBXXKqLD4wqhzJnQ3CgdV"
LAST_ID = "7csrlizJurpn6y0xenTwzu"
LOGGER = "spotify_assets_tests.containment"


@pytest.fixture
def items() -> list[dict]:
    return json.loads(sample_path(f"huy-hng/{GOOD_ID}.json").read_text())


@pytest.fixture
def server(items):
    with SpotifyTestServer() as server:
        server.add_playlist(GOOD_ID, items)
        yield server
    assert not server.errors


def _resource(server: SpotifyTestServer, playlist_ids: str = "", **overrides) -> SpotifyResource:
    return resource_for(server, playlist_ids=playlist_ids, **{"backoff_s": 0.01, **overrides})


def _event_types(instance: dg.DagsterInstance, run_id: str) -> list:
    return [e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event]


# -- deadlines -------------------------------------------------------------------------------


def test_the_run_deadline_stops_extraction_and_names_what_was_not_attempted(server, items, lake_dir):
    server.add_playlist(SLOW_ID, items * 8)  # 328 items: 7 pages of 1 s, far past the run's deadline
    server.add_playlist(LAST_ID, items[:2])
    server.slow_down(rf"/playlists/{SLOW_ID}/items$", 1.0)
    started = time.monotonic()
    outputs, failure = invoke_raw_playlist_failing(
        _resource(server, f"{GOOD_ID},{SLOW_ID},{LAST_ID}", run_deadline_s=1.2), str(lake_dir)
    )
    assert time.monotonic() - started < 1.2 + 3.0  # the deadline plus the step's own work; 7 s without it
    assert [sorted(o.value[utc_today()]) for o in outputs] == [[GOOD_ID]]
    assert len(outputs[0].value[utc_today()][GOOD_ID]["items"]["items"]) == 41
    assert f"{SLOW_ID}: playlist {SLOW_ID} items offset " in failure.description
    assert "the run deadline of 1.2 s (SPOTIFY_RUN_DEADLINE_S) was hit" in failure.description
    assert failure.description.endswith(f"; not attempted after that error: {LAST_ID}; stored: {GOOD_ID}")
    assert failure.allow_retries is False
    assert not [r for r in server.api_requests() if LAST_ID in r.path]


def test_a_trickled_body_is_cut_at_the_request_deadline_and_retried(server, items, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    page = {"href": None, "items": items[:3], "limit": 50, "next": None, "offset": 0, "previous": None, "total": 3}
    server.inject(rf"/playlists/{GOOD_ID}/items$", CannedResponse(200, page, trickle_s=0.2))
    started = time.monotonic()
    reader = _resource(server, request_deadline_s=0.8).get_reader(log=logging.getLogger(LOGGER))
    document = extract_playlist(reader, GOOD_ID)
    assert time.monotonic() - started < 0.8 + 1.0  # not the 100+ s the trickle would take
    assert len(document["items"]["items"]) == 41  # the retry got the real page
    assert [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()] == [
        f"playlist {GOOD_ID} items offset 0: the request deadline of 0.8 s (SPOTIFY_REQUEST_DEADLINE_S) was hit; retrying in 0.01 s (attempt 2 of 4)"
    ]


def test_retry_waits_never_pass_the_playlist_deadline(server):
    server.inject(rf"/playlists/{GOOD_ID}$", *[CannedResponse(503, {"error": {"status": 503, "message": "busy"}})] * 3)
    reader = _resource(server, backoff_s=0.4, playlist_deadline_s=1.0).get_reader()
    started = time.monotonic()
    with pytest.raises(SpotifyDeadlineError) as raised:
        extract_playlist(reader, GOOD_ID)
    assert time.monotonic() - started < 1.0
    # waits 0.4 s, then a wait of 0.8 s would pass the deadline: two attempts, no sleep past it
    assert str(raised.value) == (
        f"playlist {GOOD_ID} metadata: Spotify answered HTTP 503: busy; a retry in 0.8 s would pass the playlist deadline "
        "of 1 s (SPOTIFY_PLAYLIST_DEADLINE_S); not retried"
    )
    assert raised.value.request == f"GET /v1/playlists/{GOOD_ID}" and raised.value.transient is False
    assert [r.status for r in server.api_requests()] == [503, 503]


# -- errors inside spotipy, errors of the token endpoint ----------------------------------------


def test_an_answer_that_breaks_spotipy_fails_only_that_playlist(server, items, lake_dir):
    """A token endpoint answering a JSON list: spotipy itself raises TypeError reading it
    (twice: spotipy's _auth_headers asks again once after a TypeError)."""
    server.add_playlist(LAST_ID, items[:2])
    server.inject("/api/token", *[CannedResponse(200, ["not", "a", "token"])] * 2)
    outputs, failure = invoke_raw_playlist_failing(_resource(server, f"{GOOD_ID},{LAST_ID}"), str(lake_dir))
    assert [sorted(o.value[utc_today()]) for o in outputs] == [[LAST_ID]]
    assert failure.description == (
        f"1 of 2 playlists failed ({GOOD_ID}: playlist {GOOD_ID} metadata: the client failed on the answer (TypeError: an answer "
        "of a shape it does not read); not retried [request: POST /api/token]); stored: " + LAST_ID
    )
    assert failure.allow_retries is False


def test_a_5xx_token_endpoint_with_a_body_spotipy_cannot_read_is_retried(server):
    server.inject("/api/token", CannedResponse(502, ["oops"]))
    document = extract_playlist(_resource(server).get_reader(), GOOD_ID)
    assert len(document["items"]["items"]) == 41
    assert [r.status for r in server.requests if r.path == "/api/token"] == [502, 200]


def test_transient_faults_outliving_the_retries_allow_a_step_retry(server):
    server.inject(
        rf"/playlists/{GOOD_ID}$",
        *[CannedResponse(200, b'{"id": "x"', {"Content-Type": "application/json", "Content-Length": "40"})] * 2,
    )
    with pytest.raises(SpotifyTransientError) as raised:
        extract_playlist(_resource(server, max_attempts=2).get_reader(), GOOD_ID)
    assert str(raised.value) == (
        f"playlist {GOOD_ID} metadata: the connection broke off in the middle of the answer's body (ChunkedEncodingError), after 2 attempt(s)"
    )


# -- permanent setup errors: at once, no Dagster retry ----------------------------------------


def test_a_lake_that_cannot_be_written_fails_before_any_request_without_retries(server, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the lake's parent folder should be")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", str(blocker / "lake"))
    point_env_at(monkeypatch, server, GOOD_ID)
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_raw_playlist_today(instance)
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert (
        f"the lake at SPOTIFY_LAKE_URL={blocker / 'lake'} cannot be written: a path of the lake is a file where a folder is needed"
        in message
    )
    assert server.requests == []  # not one request: no snapshot read and then lost
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in _event_types(instance, result.run_id)


def test_a_permanent_write_error_in_the_io_manager_is_not_retried_and_names_the_playlists(
    server, items, lake_dir, monkeypatch
):
    server.add_playlist(LAST_ID, items[:2])
    point_env_at(monkeypatch, server, f"{GOOD_ID},{LAST_ID}")
    (lake_dir / "raw_playlist").mkdir()
    (lake_dir / "raw_playlist" / f"dt={utc_today()}").write_text("a file where the day's folder should be")
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_raw_playlist_today(instance)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert (
        f"raw_playlist {utc_today()}: 2 of 2 playlists could not be written to the lake at SPOTIFY_LAKE_URL={lake_dir} ("
        in failure.error.message
    )
    assert f"{GOOD_ID}: a path of the lake is a file where a folder is needed" in failure.error.message
    assert failure.error.message.rstrip().endswith("stored: none")
    assert failure.user_failure_data.metadata["unstored_playlists"].value == sorted([GOOD_ID, LAST_ID])
    events = _event_types(instance, result.run_id)
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in events and events.count(dg.DagsterEventType.STEP_FAILURE) == 1


def test_a_missing_bucket_fails_at_once_naming_the_setting(server, aws_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_LAKE_URL", "s3://no-such-bucket-for-spotify-assets/lake")
    point_env_at(monkeypatch, server, GOOD_ID)
    resources = build_resources(Settings.from_env())
    _, failure = invoke_raw_playlist_failing(resources["spotify"], "s3://no-such-bucket-for-spotify-assets/lake")
    assert failure.description.startswith(
        f"raw_playlist {utc_today()}: the lake at SPOTIFY_LAKE_URL=s3://no-such-bucket-for-spotify-assets/lake cannot be written: the bucket or folder does not exist"
    )
    assert failure.allow_retries is False and server.requests == []


def test_lake_errors_are_told_permanent_or_transient():
    assert permanent_lake_error_reason(botocore.exceptions.NoCredentialsError()).startswith(
        "no usable AWS credentials were found"
    )
    assert (
        permanent_lake_error_reason(botocore.exceptions.NoRegionError())
        == "no AWS region is set (set AWS_REGION or AWS_DEFAULT_REGION)"
    )
    wrapped = OSError(5, "wrapped")
    wrapped.__cause__ = botocore.exceptions.NoCredentialsError()
    assert permanent_lake_error_reason(wrapped).startswith("no usable AWS credentials")  # s3fs wraps botocore's errors
    assert permanent_lake_error_reason(PermissionError(13, "Access Denied")).startswith("permission denied (")
    assert permanent_lake_error_reason(OSError(30, "Read-only file system")) == "the file system is read-only"
    for transient in (ConnectionError("refused"), OSError(16, "SlowDown"), TimeoutError()):
        assert permanent_lake_error_reason(transient) is None


def test_a_half_configured_app_fails_naming_the_missing_setting(server, lake_dir):
    resource = SpotifyResource(
        client_id=server.client_id, api_base_url=server.api_base_url, token_url=server.token_url, playlist_ids=GOOD_ID
    )
    _, failure = invoke_raw_playlist_failing(resource, str(lake_dir))
    assert failure.description == (
        "SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID is: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET "
        "to read the Spotify API, or none of the Spotify credentials to read the offline synthetic sample."
    )
    assert failure.allow_retries is False and server.requests == [] and list(lake_dir.iterdir()) == []


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan"])
def test_deadline_settings_must_be_positive_seconds(value, monkeypatch):
    monkeypatch.setenv("SPOTIFY_PLAYLIST_DEADLINE_S", value)
    with pytest.raises(ValueError) as raised:
        build_resources(Settings.from_env())
    assert str(raised.value) == f"SPOTIFY_PLAYLIST_DEADLINE_S={value!r}: expected a number of seconds greater than 0"


def test_deadline_settings_reach_the_client(monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "id")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "secret")
    monkeypatch.setenv("SPOTIFY_REQUEST_DEADLINE_S", "7")
    monkeypatch.setenv("SPOTIFY_RUN_DEADLINE_S", "90")
    client = build_resources(Settings.from_env())["spotify"].get_reader()
    assert (client.deadlines.request_s, client.deadlines.playlist_s, client.deadlines.run.seconds) == (
        7.0,
        1200.0,
        90.0,
    )


def test_the_request_deadline_holds_through_an_http_proxy(server, monkeypatch):
    """HTTP_PROXY set (the test server plays the proxy): the watchdog still cuts the body."""
    monkeypatch.setenv("HTTP_PROXY", server.base_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.inject(rf"/playlists/{GOOD_ID}$", CannedResponse(200, {"id": GOOD_ID, "name": "slow"}, trickle_s=0.2))
    reader = SpotifyResource(
        client_id=server.client_id,
        client_secret=server.client_secret,
        api_base_url="http://api.spotify.test/v1/",
        token_url=server.token_url,
        max_attempts=1,
        request_deadline_s=0.6,
    ).get_reader()
    started = time.monotonic()
    with pytest.raises(SpotifyTransientError) as raised:
        reader.playlist_metadata(GOOD_ID)
    assert time.monotonic() - started < 0.6 + 1.0
    assert (
        str(raised.value)
        == f"playlist {GOOD_ID} metadata: the request deadline of 0.6 s (SPOTIFY_REQUEST_DEADLINE_S) was hit, after 1 attempt(s)"
    )
    assert [(r.path, r.status) for r in server.requests] == [("/api/token", 200), (f"/v1/playlists/{GOOD_ID}", 200)]
