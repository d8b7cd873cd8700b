"""Fault injection over real HTTP in real `dagster asset materialize` runs (a subprocess,
DAGSTER_HOME in tmp_path): the local Spotify API test server answers each faulty
playlist with its fault, between good playlists. Several faults share one run to keep the
suite fast. For every fault the run must end within its deadline, the good playlists must
be stored whole, and the failure must name the bad playlist, its request (path only) and
the reason; no secret may appear in anything the run wrote, and a second server on
127.0.0.1 (the "other origin") must see no request at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from spotify_assets.assets.raw import utc_today
from spotify_assets_tests.support.cli_runs import materialize_cli
from spotify_assets_tests.support.samples import HUY_HNG, HUY_HNG_SMALL, sample_path
from spotify_assets_tests.support.spotify_api_server import CannedResponse, SpotifyTestServer, spotify_error

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[2]
GOOD = {"GoodFirst": 41, "GoodMiddle": 7, "GoodLast": 120}  # playlist id -> items (120: three pages)


def _items() -> list[dict]:
    small = json.loads(sample_path(HUY_HNG_SMALL).read_text())
    large = json.loads(sample_path(HUY_HNG).read_text())
    return small + large


def _page(items: object, total: int, next_url: object, offset: int = 0) -> dict:
    return {
        "href": "https://api.spotify.com/v1/x",
        "items": items,
        "limit": 50,
        "next": next_url,
        "offset": offset,
        "previous": None,
        "total": total,
    }


def _serve_good(server: SpotifyTestServer, items: list[dict]) -> None:
    for playlist_id, count in GOOD.items():
        server.add_playlist(playlist_id, items[:count], name=f"good {playlist_id}")


def _items_path(playlist_id: str) -> str:
    return rf"/playlists/{playlist_id}/items$"


def _materialize(tmp_path: Path, server: SpotifyTestServer, playlist_ids: list[str], deadlines: dict[str, str]):
    """One CLI run of raw_playlist for today: ``(completed process, event log entries, lake folder)``."""
    home, lake = tmp_path / "home", tmp_path / "lake"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SPOTIFY_LAKE_URL": str(lake),
        "SPOTIFY_CLIENT_ID": server.client_id,
        "SPOTIFY_CLIENT_SECRET": server.client_secret,
        "SPOTIFY_REFRESH_TOKEN": server.refresh_token,
        "SPOTIFY_API_BASE_URL": server.api_base_url,
        "SPOTIFY_TOKEN_URL": server.token_url,
        "SPOTIFY_PLAYLIST_IDS": ",".join(playlist_ids),
        **deadlines,
    }
    run = materialize_cli("raw_playlist", ["--partition", utc_today()], env, timeout=240)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records()
        events = instance.all_logs(record.dagster_run.run_id)
    return run, events, lake


def _failure(events) -> tuple[str, dict]:
    """The description and metadata of the run's one step failure."""
    failures = [e for e in events if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert len(failures) == 1
    data = failures[0].dagster_event.step_failure_data
    return data.error.message, {k: v.value for k, v in data.user_failure_data.metadata.items()}


def _extraction_seconds(events, playlist_id: str) -> float:
    """Seconds from "extracting playlist X" to the run's next playlist or its end."""
    messages = [(e.timestamp, e.user_message) for e in events if e.user_message]
    start = next(t for t, m in messages if m == f"extracting playlist {playlist_id}")
    later = [t for t, m in messages if t > start and (m.startswith("extracting playlist ") or "playlists failed" in m)]
    return (min(later) if later else messages[-1][0]) - start


def _step_seconds(events) -> float:
    """Seconds from the first "extracting playlist" to the step's failure."""
    start = min(e.timestamp for e in events if e.user_message.startswith("extracting playlist "))
    end = max(
        e.timestamp
        for e in events
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_FAILURE
    )
    return end - start


def _assert_good_stored(lake: Path, items: list[dict], extra: dict[str, int] | None = None) -> None:
    folder = lake / "raw_playlist" / f"dt={utc_today()}"
    stored = {p.stem: json.loads(p.read_bytes()) for p in folder.iterdir() if p.suffix == ".json"}
    expected = {**GOOD, **(extra or {})}
    assert {pid: len(doc["items"]["items"]) for pid, doc in stored.items()} == expected
    for playlist_id, count in GOOD.items():
        got = [(i["added_at"], (i.get("item") or {}).get("id")) for i in stored[playlist_id]["items"]["items"]]
        assert got == [(i["added_at"], (i.get("item") or i.get("track") or {}).get("id")) for i in items[:count]]


def _assert_no_secret(server: SpotifyTestServer, run, *folders: Path) -> None:
    secrets = [server.client_secret, server.refresh_token, *server.issued_access_tokens]
    assert server.issued_access_tokens  # the run did get a token: the check is not vacuous
    for secret in secrets:
        assert secret not in run.stdout + run.stderr
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not any(secret.encode() in data for secret in secrets), path


TRANSIENT_REASONS = {
    "FaultReset": "the connection broke off in the middle of the answer's body (ChunkedEncodingError)",
    "FaultCutShort": "the connection broke off in the middle of the answer's body (ChunkedEncodingError)",
    "FaultGzip": "the answer's body could not be decoded as its Content-Encoding says (ContentDecodingError)",
    "FaultOopsList": 'Spotify answered HTTP 500: ["oops"]',
    "FaultErrorString": "Spotify answered HTTP 503: internal",
    "FaultNotJson": "HTTP 200 with a body that is not a JSON object",
    "FaultPageList": "HTTP 200 with a body that is not a JSON object",
}
SHAPE_AND_PERMANENT_REASONS = {
    "FaultNextNumber": "items page 1: 'next' is a number, not a URL",
    "FaultItemsString": "items page 1: 'items' is a string, not a list of items",
    "FaultBadRequest": "Spotify answered HTTP 400: Invalid limit; the request is not retried",
}


def _transport_and_shape_faults(items: list[dict]) -> dict[str, list[CannedResponse]]:
    """Playlist id -> the answers its items request gets (each fault for every attempt)."""
    page = json.dumps(_page(items[:3], 3, None)).encode()
    return {
        # transient: retried with backoff (1 s, 2 s, ...) while the wait fits in the playlist's
        # deadline; with 1 s here the first wait would already pass it, so each fails at once
        "FaultReset": [CannedResponse(200, page, {"Content-Type": "application/json"}, cut_after=40, reset=True)] * 4,
        "FaultCutShort": [CannedResponse(200, page, {"Content-Type": "application/json"}, cut_after=len(page) - 5)] * 4,
        "FaultGzip": [
            CannedResponse(200, b"this is not gzip", {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        ]
        * 4,
        # 5xx whose JSON body is not Spotify's error object
        "FaultOopsList": [CannedResponse(500, ["oops"])] * 4,
        "FaultErrorString": [CannedResponse(503, {"error": "internal"})] * 4,
        # 200 answers of the wrong shape
        "FaultNotJson": [CannedResponse(200, "<html>captive portal</html>", {"Content-Type": "text/html"})] * 4,
        "FaultPageList": [CannedResponse(200, ["page"])] * 4,
        "FaultNextNumber": [CannedResponse(200, _page(items[:50], 100, 12))],
        "FaultItemsString": [CannedResponse(200, _page("abc", 3, None))],
        # permanent answers
        "FaultBadRequest": [CannedResponse(400, spotify_error(400, "Invalid limit"))],
    }


def test_transport_and_shape_faults_fail_only_their_playlist(tmp_path):
    """Faults that used to end the whole step with a raw exception."""
    items = _items()
    faults = _transport_and_shape_faults(items)
    reasons = {
        **{pid: f"items offset 0: {reason}; a retry in" for pid, reason in TRANSIENT_REASONS.items()},
        **SHAPE_AND_PERMANENT_REASONS,
    }
    odd_items = [1, "x", None, items[0]]  # items that are not objects: stored as sent, with a warning
    with SpotifyTestServer() as server:
        _serve_good(server, items)
        server.add_playlist("OddItems", [])
        server.inject(_items_path("OddItems"), CannedResponse(200, _page(odd_items, 4, None)))
        for playlist_id, answers in faults.items():
            server.add_playlist(playlist_id, items[:3])
            server.inject(_items_path(playlist_id), *answers)
        faulty = list(faults)
        order = ["GoodFirst", *faulty[:5], "GoodMiddle", "OddItems", *faulty[5:], "GoodLast"]
        run, events, lake = _materialize(
            tmp_path,
            server,
            order,
            {"SPOTIFY_REQUEST_DEADLINE_S": "1", "SPOTIFY_PLAYLIST_DEADLINE_S": "1", "SPOTIFY_RUN_DEADLINE_S": "60"},
        )
        assert not server.errors

    assert run.returncode != 0, run.stderr[-3000:]
    message, metadata = _failure(events)
    assert f"{len(faults)} of {len(order)} playlists failed (" in message
    for playlist_id, reason in reasons.items():
        assert f"{playlist_id}: playlist {playlist_id} " in message and reason in message, playlist_id
        assert f"[request: GET /v1/playlists/{playlist_id}/items]" in message, playlist_id
    for playlist_id in TRANSIENT_REASONS:
        assert (
            f"{TRANSIENT_REASONS[playlist_id]}; a retry in " in message
            and "s would pass the playlist deadline of 1 s (SPOTIFY_PLAYLIST_DEADLINE_S); not retried" in message
        )
    assert "AttributeError" not in message and "'str' object" not in message
    assert metadata["failed_playlists"] == sorted(faults)
    assert metadata["stored_playlists"] == sorted([*GOOD, "OddItems"])
    assert message.rstrip().endswith("stored: GoodFirst, GoodMiddle, OddItems, GoodLast")
    assert "STEP_UP_FOR_RETRY" not in run.stdout + run.stderr  # a 400 among them: no step retry
    # Each playlist ended within its deadline (1 s), its retries' waits included.
    for playlist_id in order:
        assert _extraction_seconds(events, playlist_id) < 1 + 0.5, playlist_id
    assert _step_seconds(events) < 60  # the run's deadline
    _assert_good_stored(lake, items, {"OddItems": 4})
    odd = json.loads((lake / "raw_playlist" / f"dt={utc_today()}" / "OddItems.json").read_bytes())
    assert odd["items"]["items"][:3] == [1, "x", None]
    assert any(
        e.user_message
        == "playlist OddItems: 3 item(s) are not JSON objects (positions 1, 2, 3); stored as the API sent them"
        for e in events
    )
    _assert_no_secret(server, run, lake, tmp_path / "home")


def test_origin_and_deadline_faults_fail_only_their_playlist_and_no_token_leaves(tmp_path):
    items = _items()
    with SpotifyTestServer() as server, SpotifyTestServer() as other:
        _serve_good(server, items)
        base = server.api_base_url

        def items_url(playlist_id: str, offset: int) -> str:
            return f"{base}playlists/{playlist_id}/items?offset={offset}&limit=50&additional_types=track,episode"

        faults = {
            "FaultForeignNext": [
                CannedResponse(
                    200, _page(items[:50], 100, f"{other.api_base_url}playlists/FaultForeignNext/items?offset=50")
                )
            ],
            "FaultRedirect": [
                CannedResponse(302, None, {"Location": f"{other.api_base_url}playlists/FaultRedirect/items"})
            ],
            "FaultLoop": [
                CannedResponse(200, _page(items[:50], 100, items_url("FaultLoop", 50))),
                CannedResponse(200, _page(items[50:100], 100, items_url("FaultLoop", 0), offset=50)),
            ],
            "FaultEndless": [
                CannedResponse(200, _page(items[:50], 60, items_url("FaultEndless", 50))),
                CannedResponse(200, _page(items[50:60], 60, items_url("FaultEndless", 100), offset=50)),
            ],
            "FaultTrickle": [CannedResponse(200, _page(items[:3], 3, None), trickle_s=0.5)] * 2,
        }
        for playlist_id, answers in faults.items():
            server.add_playlist(playlist_id, items[:3])
            server.inject(_items_path(playlist_id), *answers)
        server.add_playlist("FaultSlowPages", items[:350])  # 7 pages of 0.6 s: past a 1.5 s playlist deadline
        server.slow_down(_items_path("FaultSlowPages"), 0.6)
        order = [
            "GoodFirst",
            "FaultForeignNext",
            "FaultRedirect",
            "FaultLoop",
            "GoodMiddle",
            "FaultEndless",
            "FaultTrickle",
            "FaultSlowPages",
            "GoodLast",
        ]
        deadlines = {
            "SPOTIFY_REQUEST_DEADLINE_S": "1",
            "SPOTIFY_PLAYLIST_DEADLINE_S": "1.5",
            "SPOTIFY_RUN_DEADLINE_S": "60",
        }
        run, events, lake = _materialize(tmp_path, server, order, deadlines)
        assert not server.errors
        assert other.requests == []  # not one request, so no token, reached the other origin
        origin = f"http://127.0.0.1:{other.port}"

    assert run.returncode != 0
    message, metadata = _failure(events)
    expected = {
        "FaultForeignNext": f"items page 1: 'next' points to another origin ({origin}); the access token is sent only to the origin of SPOTIFY_API_BASE_URL",
        "FaultRedirect": f"items offset 0: Spotify answered HTTP 302, a redirect to {origin}; redirects are not followed",
        "FaultLoop": "items page 2: 'next' points back to a page already read; paging stopped instead of reading it again",
        "FaultEndless": "items page 2: the API announced 60 items, at most 2 page(s) of 50, but this page has a 'next'; paging stopped",
        "FaultTrickle": "items offset 0: the request deadline of 1 s (SPOTIFY_REQUEST_DEADLINE_S) was hit; a retry in 1 s would pass the playlist deadline of 1.5 s",
        "FaultSlowPages": "the playlist deadline of 1.5 s (SPOTIFY_PLAYLIST_DEADLINE_S) was hit",
    }
    for playlist_id, reason in expected.items():
        assert f"{playlist_id}: playlist {playlist_id} " in message and reason in message, playlist_id
        assert f"[request: GET /v1/playlists/{playlist_id}/items]" in message, playlist_id
    assert metadata["failed_playlists"] == sorted(expected)
    assert metadata["stored_playlists"] == sorted(GOOD)
    # Each playlist ended within its deadline (1.5 s, plus the step's own bookkeeping).
    for playlist_id in order:
        assert _extraction_seconds(events, playlist_id) < 1.5 + 0.5, playlist_id
    assert _extraction_seconds(events, "FaultSlowPages") >= 1.5  # it did run until its deadline
    assert _step_seconds(events) < 60  # the run's deadline
    _assert_good_stored(lake, items)
    _assert_no_secret(server, run, lake, tmp_path / "home")
