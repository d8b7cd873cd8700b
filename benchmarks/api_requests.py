"""(d) API requests of one extraction: the real 317-item recording served by the local
Spotify API test server (2026 dialect), read by the project's spotipy client; and, for
context, the same with album and artist look-ups on (``SPOTIFY_LOOKUPS=albums,artists``)
in both dialects: single look-ups after the batch 403 (2026), batches (legacy)."""

from __future__ import annotations

import math
import time

from benchmarks.data import recorded_items  # noqa: F401  (fails early when the recordings are absent)
from spotify_assets.spotify.extract import PAGE_SIZE, extract_playlist
from spotify_assets.spotify.lookups import LookupCache, lookup_ids
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.fixtures.spotify_api import client_for
from spotify_assets_tests.support.samples import HUY_HNG, SAMPLES_DIR
from spotify_assets_tests.support.spotify_api_server import SpotifyTestServer

RECORDING = HUY_HNG
PLAYLIST_ID = "7csrlizJurpn6y0xenTwzu"


def _endpoint(path: str, status: int) -> str:
    if path.startswith("/v1/playlists/"):
        return "items page" if path.endswith("/items") else "playlist metadata"
    kind = path.split("/")[2]
    if path.rstrip("/") == f"/v1/{kind}":
        return f"/{kind}?ids= ({status})"
    return f"/{kind}/{{id}}"


def _extract(items: list[dict], dialect: str, lookups: bool) -> dict:
    with SpotifyTestServer(dialect=dialect) as server:
        server.add_playlist(PLAYLIST_ID, items)
        client = client_for(server)
        cache = LookupCache(client, {"albums", "artists"}) if lookups else None
        started = time.perf_counter()
        document = extract_playlist(client, PLAYLIST_ID, lookups=cache)
        wall = time.perf_counter() - started
        requests = server.api_requests()
    by_endpoint: dict[str, int] = {}
    for request in requests:
        endpoint = _endpoint(request.path, request.status)
        by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + 1
    return {
        "items": len(document["items"]["items"]),
        "requests": len(requests),
        "by_endpoint": by_endpoint,
        "wall_s": wall,
    }


def measure_api_requests() -> dict:
    """Requests the server answered for one extraction, by endpoint, and the wall time;
    under ``lookups``, the same per dialect with album and artist look-ups on."""
    items = parse_raw_object((SAMPLES_DIR / RECORDING).read_bytes(), RECORDING).items
    ids = lookup_ids(items)
    result = _extract(items, "2026", lookups=False)
    result["expected"] = math.ceil(len(items) / PAGE_SIZE) + 1
    result["lookup_ids"] = {kind: len(found) for kind, found in ids.items()}
    result["lookups"] = {dialect: _extract(items, dialect, lookups=True) for dialect in ("2026", "legacy")}
    return result
