"""(d) API requests of one extraction: the real 317-item recording served by the local
Spotify API test server (2026 dialect), read by the project's spotipy client."""

from __future__ import annotations

import math
import time

from benchmarks.data import recorded_items  # noqa: F401  (fails early when the recordings are absent)
from spotify_assets.spotify.client import SpotifyClient
from spotify_assets.spotify.extract import PAGE_SIZE, extract_playlist
from spotify_assets.spotify.raw_objects import parse_raw_object
from spotify_assets_tests.samples import SAMPLES_DIR
from spotify_assets_tests.spotify_api_server import SpotifyTestServer

RECORDING = "huy-hng/7csrlizJurpn6y0xenTwzu.json"
PLAYLIST_ID = "7csrlizJurpn6y0xenTwzu"


def measure_api_requests() -> dict:
    """Requests the server answered for one extraction, by endpoint, and the wall time."""
    items = parse_raw_object((SAMPLES_DIR / RECORDING).read_bytes(), RECORDING).items
    with SpotifyTestServer(dialect="2026") as server:
        server.add_playlist(PLAYLIST_ID, items)
        client = SpotifyClient(server.client_id, server.client_secret, refresh_token=server.refresh_token,
                               api_base_url=server.api_base_url, token_url=server.token_url)
        started = time.perf_counter()
        document = extract_playlist(client, PLAYLIST_ID)
        wall = time.perf_counter() - started
        requests = server.api_requests()
    by_endpoint: dict[str, int] = {}
    for request in requests:
        endpoint = "items page" if request.path.endswith("/items") else "playlist metadata" if request.path.startswith("/v1/playlists/") else request.path
        by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + 1
    return {
        "items": len(document["items"]["items"]),
        "requests": len(requests),
        "expected": math.ceil(len(items) / PAGE_SIZE) + 1,
        "by_endpoint": by_endpoint,
        "wall_s": wall,
    }
