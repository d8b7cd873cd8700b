"""Spotify API faults, answered by the local test server over real HTTP to the real
spotipy client (SpotifyResource → SpotifyClient → extract_playlist), and through real
Dagster runs of raw_playlist. Waits are kept tiny (backoff_s 0.01 s, Retry-After 1 s)."""

import json
import logging

import dagster as dg
import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth, SpotifyOauthError

from spotify_assets.assets.raw import RAW_PLAYLIST_RETRY_POLICY, raw_playlist, utc_today
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.spotify.errors import (
    SpotifyAuthError,
    SpotifyQuotaExceededError,
    SpotifyRateLimitError,
    SpotifyTransientError,
)
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets_tests.support.fixtures.spotify_api import (
    invoke_raw_playlist_failing,
    materialize_raw_playlist_today,
    point_env_at,
    resource_for,
)
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.spotify_api_server import CannedResponse, SpotifyTestServer, spotify_error

PLAYLIST_ID = "0lSHxL8DnuRYEhk2cmKSDH"  # real personal playlist, 41 items: one page of 50
OTHER_ID = "5uBXXKqLD4wqhzJnQ3CgdV"
EDITORIAL_ID = "37i9dQZEVXbMDoHDwVN2tF"  # Top 50 Global: 404 for development-mode apps
METADATA_PATH = rf"/playlists/{PLAYLIST_ID}$"
ITEMS_PATH = rf"/playlists/{PLAYLIST_ID}/items$"
LOGGER = "spotify_assets_tests.api_faults"


@pytest.fixture
def server():
    with SpotifyTestServer() as server:
        server.add_playlist(PLAYLIST_ID, json.loads(sample_path(f"huy-hng/{PLAYLIST_ID}.json").read_text()))
        yield server
    assert not server.errors


def _reader(server: SpotifyTestServer, refresh: bool = True, client_secret: str | None = None, **overrides):
    """A live reader for ``server``; small waits (``overrides`` set other resource fields)."""
    resource = resource_for(
        server,
        client_secret=client_secret or server.client_secret,
        refresh_token=server.refresh_token if refresh else None,
        **{"backoff_s": 0.01, "max_retry_after_s": 2.0, "request_timeout_s": 2.0, **overrides},
    )
    return resource.get_reader(log=logging.getLogger(LOGGER))


def _statuses(server: SpotifyTestServer) -> list[tuple[str, int]]:
    return [(r.path.rsplit("/", 1)[-1], r.status) for r in server.api_requests()]


def _token_statuses(server: SpotifyTestServer) -> list[int]:
    return [r.status for r in server.requests if r.path == "/api/token"]


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


# -- what spotipy really does (pins the facts client.py is built on) --------------------


def test_spotipy_facts_the_client_relies_on(server):
    # An empty status_forcelist is NOT "no status retries": spotipy falls back to its
    # defaults, and urllib3 turns a 429 into a header-less "Max Retries" 429.
    auth = spotipy.oauth2.SpotifyClientCredentials(
        server.client_id, server.client_secret, cache_handler=MemoryCacheHandler()
    )
    auth.OAUTH_TOKEN_URL = server.token_url
    sp = spotipy.Spotify(auth_manager=auth, retries=0, status_retries=0, status_forcelist=())
    sp.prefix = server.api_base_url
    assert sp.status_forcelist == (429, 500, 502, 503, 504)
    server.inject(METADATA_PATH, CannedResponse(429, spotify_error(429), {"Retry-After": "7"}))
    with pytest.raises(spotipy.SpotifyException) as raised:
        sp.playlist(PLAYLIST_ID)
    assert raised.value.http_status == 429 and "Max Retries" in raised.value.msg and raised.value.headers == {}
    # With a plain requests.Session (what SpotifyClient passes) the 429 arrives whole.
    sp = spotipy.Spotify(auth_manager=auth, requests_session=requests.Session())
    sp.prefix = server.api_base_url
    server.inject(METADATA_PATH, CannedResponse(429, spotify_error(429, reason="QUOTA_EXCEEDED"), {"Retry-After": "7"}))
    with pytest.raises(spotipy.SpotifyException) as raised:
        sp.playlist(PLAYLIST_ID)
    assert (raised.value.http_status, raised.value.reason, raised.value.headers["Retry-After"]) == (
        429,
        "QUOTA_EXCEEDED",
        "7",
    )
    # A 200 whose body is not JSON comes back as None, not as an error.
    server.inject(METADATA_PATH, CannedResponse(200, "<html>captive portal</html>", {"Content-Type": "text/html"}))
    assert sp.playlist(PLAYLIST_ID) is None
    # SpotifyOauthError carries the token endpoint's error code, but not the HTTP status.
    oauth = SpotifyOAuth(
        server.client_id, server.client_secret, "http://127.0.0.1:8888/callback", cache_handler=MemoryCacheHandler()
    )
    oauth.OAUTH_TOKEN_URL = server.token_url
    assert oauth.requests_timeout is None  # spotipy's default: a token request may hang forever
    server.revoke_refresh_token()
    with pytest.raises(SpotifyOauthError) as oauth_error:
        oauth.refresh_access_token(server.refresh_token)
    assert (oauth_error.value.error, oauth_error.value.error_description) == ("invalid_grant", "Refresh token revoked")
    assert not hasattr(oauth_error.value, "http_status")


# -- 429 ---------------------------------------------------------------------------------


def test_429_with_a_short_retry_after_waits_that_long_and_succeeds(server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.inject(ITEMS_PATH, CannedResponse(429, spotify_error(429), {"Retry-After": "1"}))
    document = extract_playlist(_reader(server, max_retry_after_s=2.0), PLAYLIST_ID)
    assert len(document["items"]["items"]) == 41
    assert _statuses(server) == [(PLAYLIST_ID, 200), ("items", 429), ("items", 200)]
    assert document["extraction"]["api_requests"] == 3
    assert (
        f"playlist {PLAYLIST_ID} items offset 0: rate limited (429); waiting 1 s as Retry-After asks (attempt 2 of 4)"
        in _messages(caplog)
    )


def test_429_with_a_retry_after_above_the_maximum_fails_at_once(server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.inject(METADATA_PATH, CannedResponse(429, spotify_error(429), {"Retry-After": "3600"}))
    with pytest.raises(SpotifyRateLimitError) as raised:
        extract_playlist(_reader(server, max_retry_after_s=60.0), PLAYLIST_ID)
    assert str(raised.value) == (
        f"playlist {PLAYLIST_ID} metadata: Spotify answered 429 with Retry-After 3600 s, longer than the maximum wait "
        "of 60 s; failing now instead of sleeping. Run again later."
    )
    assert _statuses(server) == [(PLAYLIST_ID, 429)]  # one request: no sleep, no retry
    assert not any("waiting" in m for m in _messages(caplog))


def test_429_quota_exceeded_fails_fast_without_retry(server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.inject(METADATA_PATH, CannedResponse(429, spotify_error(429, reason="QUOTA_EXCEEDED"), {"Retry-After": "1"}))
    with pytest.raises(
        SpotifyQuotaExceededError, match="429 QUOTA_EXCEEDED: the app's quota is used up; retrying will not help"
    ):
        extract_playlist(_reader(server), PLAYLIST_ID)
    assert _statuses(server) == [(PLAYLIST_ID, 429)]
    assert _messages(caplog) == []


# -- 5xx, timeouts, unreadable answers -----------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        CannedResponse(500, spotify_error(500)),
        CannedResponse(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"}),
        CannedResponse(503, None),
        CannedResponse(200, "<html>proxy login</html>", {"Content-Type": "text/html"}),
    ],
    ids=["500", "502-html", "503-empty", "200-not-json"],
)
def test_server_errors_are_retried_with_backoff_then_succeed(server, caplog, failure):
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.inject(METADATA_PATH, failure, failure)
    document = extract_playlist(_reader(server, max_attempts=3, backoff_s=0.01), PLAYLIST_ID)
    assert document["id"] == PLAYLIST_ID and len(document["items"]["items"]) == 41
    assert _statuses(server) == [(PLAYLIST_ID, failure.status)] * 2 + [(PLAYLIST_ID, 200), ("items", 200)]
    reason = "HTTP 200 with a body that is not a JSON object" if failure.status == 200 else f"HTTP {failure.status}"
    assert [m for m in _messages(caplog) if "retrying" in m] == [
        f"playlist {PLAYLIST_ID} metadata: {reason}; retrying in 0.01 s (attempt 2 of 3)",
        f"playlist {PLAYLIST_ID} metadata: {reason}; retrying in 0.02 s (attempt 3 of 3)",
    ]


def test_server_errors_outliving_the_retries_raise_a_transient_error(server):
    server.inject(ITEMS_PATH, *[CannedResponse(503, spotify_error(503))] * 3)
    with pytest.raises(SpotifyTransientError) as raised:
        extract_playlist(_reader(server, max_attempts=3), PLAYLIST_ID)
    assert (
        str(raised.value)
        == f"playlist {PLAYLIST_ID} items offset 0: Spotify answered HTTP 503 after 3 attempt(s): Service unavailable"
    )
    assert _statuses(server) == [(PLAYLIST_ID, 200)] + [("items", 503)] * 3


def test_timeouts_are_retried_then_succeed_or_raise_a_transient_error(server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    # The server holds these answers far longer than the client's timeout (and drops them
    # on stop), so the test never waits for them.
    slow = CannedResponse(200, spotify_error(200), delay_s=30)
    server.inject(ITEMS_PATH, slow)
    document = extract_playlist(_reader(server, request_timeout_s=0.5), PLAYLIST_ID)
    assert len(document["items"]["items"]) == 41
    assert f"playlist {PLAYLIST_ID} items offset 0: ReadTimeout; retrying in 0.01 s (attempt 2 of 4)" in _messages(
        caplog
    )

    server.inject(METADATA_PATH, slow, slow)
    with pytest.raises(SpotifyTransientError) as raised:
        extract_playlist(_reader(server, request_timeout_s=0.5, max_attempts=2), PLAYLIST_ID)
    assert str(raised.value) == f"playlist {PLAYLIST_ID} metadata: ReadTimeout, after 2 attempt(s)"


@pytest.mark.parametrize(
    "failure",
    [CannedResponse(503, "<html>busy</html>", {"Content-Type": "text/html"}), CannedResponse(200, {}, delay_s=30)],
    ids=["503", "timeout"],
)
def test_token_endpoint_trouble_is_retried_like_the_api(server, caplog, failure):
    caplog.set_level(logging.INFO, logger=LOGGER)
    server.inject("/api/token", failure)
    document = extract_playlist(_reader(server, request_timeout_s=0.5), PLAYLIST_ID)
    assert len(document["items"]["items"]) == 41
    assert _token_statuses(server) == [failure.status, 200]
    expected = "token endpoint answered HTTP 503" if failure.status == 503 else "ReadTimeout"
    assert f"playlist {PLAYLIST_ID} metadata: {expected}; retrying in 0.01 s (attempt 2 of 4)" in _messages(caplog)


# -- 401, invalid_grant, invalid_client -------------------------------------------------------


@pytest.mark.parametrize("refresh", [True, False], ids=["refresh-token", "client-credentials"])
def test_401_on_an_expired_access_token_refreshes_once_and_succeeds(server, caplog, refresh):
    caplog.set_level(logging.INFO, logger=LOGGER)
    reader = _reader(server, refresh=refresh)
    extract_playlist(reader, PLAYLIST_ID)
    server.expire_access_tokens()
    document = extract_playlist(reader, PLAYLIST_ID)
    assert len(document["items"]["items"]) == 41
    assert _statuses(server)[2:] == [(PLAYLIST_ID, 401), (PLAYLIST_ID, 200), ("items", 200)]
    assert _token_statuses(server) == [200, 200]
    assert server.api_requests()[-1].authorization == f"Bearer {server.issued_access_tokens[1]}"
    assert (
        f"playlist {PLAYLIST_ID} metadata: access token rejected (401); refreshing it and retrying once"
        in _messages(caplog)
    )


def test_a_second_401_after_refreshing_is_an_authorisation_error(server):
    server.inject(METADATA_PATH, CannedResponse(401, spotify_error(401)), CannedResponse(401, spotify_error(401)))
    with pytest.raises(
        SpotifyAuthError, match=r"rejected a freshly obtained access token \(401: Invalid access token\)"
    ):
        extract_playlist(_reader(server), PLAYLIST_ID)
    assert _statuses(server) == [(PLAYLIST_ID, 401)] * 2


def test_invalid_grant_says_how_to_reauthorise(server):
    server.revoke_refresh_token()
    with pytest.raises(SpotifyAuthError) as raised:
        extract_playlist(_reader(server), PLAYLIST_ID)
    message = str(raised.value)
    assert message.startswith("Spotify refused the refresh token (invalid_grant).")
    assert (
        "Run `spotify-assets authorize` to authorise again and put the new token in SPOTIFY_REFRESH_TOKEN." in message
    )
    assert server.api_requests() == [] and _token_statuses(server) == [400]  # not retried


def test_invalid_client_names_the_settings_to_check(server):
    with pytest.raises(SpotifyAuthError) as raised:
        extract_playlist(_reader(server, client_secret="wrong-secret-value"), PLAYLIST_ID)
    assert (
        str(raised.value)
        == "Spotify refused the client credentials (invalid_client): check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET."
    )
    assert "wrong-secret-value" not in str(raised.value)


# -- raw_playlist: one failing playlist, retry policy ---------------------------------------------


def test_raw_playlist_carries_a_retry_policy_with_backoff():
    policy = raw_playlist.op.retry_policy
    assert policy == RAW_PLAYLIST_RETRY_POLICY
    assert (policy.max_retries, policy.backoff, policy.jitter) == (2, dg.Backoff.EXPONENTIAL, dg.Jitter.PLUS_MINUS)
    assert policy.delay > 0


def test_failing_playlists_among_many_others_stored_step_fails_naming_them_not_retried(server, lake_dir, monkeypatch):
    """Real run with the real RetryPolicy active: 403 and 404 are permanent, so no retry."""
    items = json.loads(sample_path(f"huy-hng/{PLAYLIST_ID}.json").read_text())
    server.add_playlist(OTHER_ID, items[:3])
    server.restrict_playlist(OTHER_ID, 403)
    point_env_at(monkeypatch, server, f"{OTHER_ID},{PLAYLIST_ID},{EDITORIAL_ID}")
    instance = dg.DagsterInstance.ephemeral()
    result = materialize_raw_playlist_today(instance)

    assert not result.success
    stored = lake_dir / "raw_playlist" / f"dt={utc_today()}"
    assert sorted(p.name for p in stored.iterdir()) == [f"{PLAYLIST_ID}.json"]
    assert len(json.loads((stored / f"{PLAYLIST_ID}.json").read_bytes())["items"]["items"]) == 41
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.error.message.startswith("dagster._core.definitions.events.Failure: 2 of 3 playlists failed (")
    assert (
        f"{OTHER_ID}: playlist {OTHER_ID}: 403 Forbidden: since 2026 apps in development mode" in failure.error.message
    )
    assert (
        f"{EDITORIAL_ID}: playlist {EDITORIAL_ID}: 404 Not Found: the playlist does not exist, or it is one of Spotify's editorial playlists"
        in failure.error.message
    )
    assert failure.user_failure_data.metadata["failed_playlists"].value == sorted([OTHER_ID, EDITORIAL_ID])
    events = [e.dagster_event.event_type for e in instance.all_logs(result.run_id) if e.dagster_event]
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in events
    assert events.count(dg.DagsterEventType.STEP_FAILURE) == 1
    assert events.count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 1  # the good playlist's partition
    paths = [r.path for r in server.api_requests()]
    assert paths.count(f"/v1/playlists/{OTHER_ID}") == 1 and paths.count(f"/v1/playlists/{EDITORIAL_ID}") == 1


def _invoke_raw_playlist(server: SpotifyTestServer, lake_dir, playlist_ids: str):
    """raw_playlist called directly (no run, so no RetryPolicy sleep): (outputs, Failure)."""
    resource = resource_for(server, playlist_ids=playlist_ids, backoff_s=0.01, max_attempts=2)
    return invoke_raw_playlist_failing(resource, str(lake_dir))


def test_transient_failures_allow_dagster_retries_permanent_ones_do_not(server, lake_dir):
    server.add_playlist(OTHER_ID, [])
    server.inject(rf"/playlists/{OTHER_ID}$", *[CannedResponse(503, spotify_error(503))] * 2)
    outputs, failure = _invoke_raw_playlist(server, lake_dir, f"{PLAYLIST_ID},{OTHER_ID}")
    assert failure.allow_retries is True
    assert [list(o.value[utc_today()]) for o in outputs] == [[PLAYLIST_ID]]  # the good one is still output
    assert failure.description == (
        f"1 of 2 playlists failed ({OTHER_ID}: playlist {OTHER_ID} metadata: Spotify answered HTTP 503 after 2 attempt(s): "
        f"Service unavailable [request: GET /v1/playlists/{OTHER_ID}]); stored: {PLAYLIST_ID}"
    )
    assert failure.metadata["stored_playlists"].value == [PLAYLIST_ID]

    server.restrict_playlist(OTHER_ID, 404)
    _, failure = _invoke_raw_playlist(server, lake_dir, f"{PLAYLIST_ID},{OTHER_ID}")
    assert failure.allow_retries is False


def test_a_credentials_error_stops_extraction_and_names_the_playlists_not_attempted(server, lake_dir):
    server.revoke_refresh_token()
    outputs, failure = _invoke_raw_playlist(server, lake_dir, f"{PLAYLIST_ID},{OTHER_ID},{EDITORIAL_ID}")
    assert outputs == [] and failure.allow_retries is False
    assert failure.description.startswith(
        f"1 of 3 playlists failed ({PLAYLIST_ID}: Spotify refused the refresh token (invalid_grant)."
    )
    assert failure.description.endswith(f"; not attempted after that error: {OTHER_ID}, {EDITORIAL_ID}; stored: none")
    assert failure.metadata["not_attempted_playlists"].value == [OTHER_ID, EDITORIAL_ID]
    assert _token_statuses(server) == [400] and server.api_requests() == []


def test_an_answer_the_tables_cannot_read_is_still_stored_and_flagged(server, lake_dir):
    """A track without duration_ms: the raw object keeps what the API said; the tables
    step will name it (see test_bad_raw_objects); extraction does not fail."""
    items = json.loads(sample_path(f"huy-hng/{PLAYLIST_ID}.json").read_text())[:3]
    del items[0]["track"]["duration_ms"]
    server.add_playlist(OTHER_ID, items)
    resource = resource_for(server, playlist_ids=f"{OTHER_ID},{PLAYLIST_ID}")
    with dg.build_asset_context(partition_key=utc_today()) as context:
        (output,) = list(raw_playlist(context, spotify=resource, lake=LakeResource(lake_url=str(lake_dir))))
    documents = output.value[utc_today()]  # {dt: {playlist_id: raw object}}
    assert sorted(documents) == sorted([OTHER_ID, PLAYLIST_ID])
    assert "duration_ms" not in documents[OTHER_ID]["items"]["items"][0]["item"]
    # An item-level problem leaves the object readable: the item is counted, not the object lost (issue 12).
    assert output.metadata["unreadable"].value == {}
    assert output.metadata["skipped_items"].value["invalid:duration_ms"] == 1
    assert output.metadata["playlist_count"].value == 2 and output.metadata["items"].value == 44
