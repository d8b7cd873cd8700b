"""Benchmark inputs assembled from the real recordings in ``../shared/spotify-samples``.

Every item comes from a recorded API response; only ids are rewritten (deterministically)
so that a large playlist holds distinct songs, albums and artists as a real one does,
and items are put in the 2026 development-mode shape our extractor stores (object under
``item``, the fields the 2026 API removed left out). Nothing is copied into the repository.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import orjson

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key
from spotify_assets.spotify.raw_parsing import parse_raw_object
from spotify_assets_tests.support.samples import ITEM_POOL_RECORDINGS, SAMPLES_DIR
from spotify_assets_tests.support.samples import playlist_document as raw_playlist_document
from spotify_assets_tests.support.spotify_api_server import strip_removed_fields

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def spotify_like_id(*parts: object) -> str:
    """A deterministic 22-character base-62 id derived from ``parts``."""
    number = int.from_bytes(hashlib.sha1(repr(parts).encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(chars)


def recorded_items() -> list[dict]:
    """Every item of :data:`ITEM_POOL_RECORDINGS`, in file order (about 850 items: songs, a
    null track, local files and episodes as recorded). ``FileNotFoundError`` naming the
    folder when the recordings are absent."""
    items: list[dict] = []
    for rel in ITEM_POOL_RECORDINGS:
        path = SAMPLES_DIR / rel
        if not path.is_file():
            raise FileNotFoundError(
                f"recording {path} is absent: the benchmark needs ../shared/spotify-samples (see its MANIFEST.md)"
            )
        items.extend(parse_raw_object(path.read_bytes(), rel).items)
    return items


def _renamed(obj: dict | None, generation: int) -> dict | None:
    """A copy of a track with its, its album's and its artists' ids rewritten for ``generation`` (0: as recorded)."""
    if generation == 0 or not isinstance(obj, dict):
        return obj

    def new_id(old: object) -> object:
        return spotify_like_id(old, generation) if isinstance(old, str) and old else old

    out = dict(obj)
    out["id"] = new_id(obj.get("id"))
    if isinstance(obj.get("album"), dict):
        album = dict(obj["album"])
        album["id"] = new_id(album.get("id"))
        album["artists"] = [{**a, "id": new_id(a.get("id"))} for a in album.get("artists") or [] if isinstance(a, dict)]
        out["album"] = album
    out["artists"] = [{**a, "id": new_id(a.get("id"))} for a in obj.get("artists") or [] if isinstance(a, dict)]
    return out


def item_pool(size: int) -> list[dict]:
    """``size`` playlist items in the 2026 shape: the recorded items, repeated as often as
    needed, each repetition with fresh ids (so ids are distinct across repetitions)."""
    recorded = recorded_items()
    pool = []
    for index in range(size):
        generation, source = divmod(index, len(recorded))
        item = recorded[source]
        track = item.get("item") if item.get("item") is not None else item.get("track")
        rest = {k: v for k, v in item.items() if k not in ("item", "track")}
        pool.append({**rest, "item": strip_removed_fields(_renamed(track, generation), "track")})
    return pool


def playlist_document(playlist_id: str, items: list[dict], snapshot: str, name: str = "benchmark playlist") -> dict:
    """A raw object as our extractor writes it: the playlist object with every item in its ``items`` page."""
    return raw_playlist_document(playlist_id, items, snapshot, name, extracted_at="2026-01-01T06:00:00Z")


def write_large_playlist(path: Path, items: int = 10_000) -> int:
    """Write one raw object of ``items`` items to ``path``; returns its size in bytes."""
    data = orjson.dumps(playlist_document(spotify_like_id("large"), item_pool(items), "large-snapshot"))
    path.write_bytes(data)
    return len(data)


def days(first: str, count: int) -> list[str]:
    """``count`` consecutive ``YYYY-MM-DD`` days from ``first``."""
    start = date.fromisoformat(first)
    return [(start + timedelta(days=i)).isoformat() for i in range(count)]


def land_daily_snapshots(lake: Lake, dts: list[str], playlists: int = 3, items: int = 50) -> int:
    """Write ``playlists`` raw objects of ``items`` items for each day of ``dts`` (the
    playlists change a little every day: a sliding window over the item pool); returns
    the number of bytes written."""
    pool = item_pool(2_000)
    written = 0
    for day_index, dt in enumerate(dts):
        for p in range(playlists):
            start = (day_index * 3 + p * 400) % (len(pool) - items)
            document = playlist_document(
                spotify_like_id("playlist", p), pool[start : start + items], f"snap-{dt}-{p}", f"benchmark {p}"
            )
            body = orjson.dumps(document)
            lake.write_bytes(raw_key(dt, document["id"]), body)
            written += len(body)
    return written
