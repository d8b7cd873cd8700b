"""Extraction of one playlist into the raw object this project stores.

The raw object is the playlist object of ``GET /playlists/{id}`` (2026 shape) whose
``items`` paging object holds every item of the playlist, fetched page by page from
``GET /playlists/{id}/items``, plus a top-level ``extracted_at`` (UTC, ISO 8601) and an
``extraction`` record (request count, source), and, when look-ups are on, a ``lookups``
record (see :mod:`spotify_assets.spotify.lookups`). It stays readable by any tool that knows
the API's playlist object, and by :func:`spotify_assets.spotify.raw_parsing.parse_raw_object`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Protocol

from spotify_assets.spotify.lookups import LookupCache

PAGE_SIZE = 50  # the 2026 API's maximum page size for playlist items


class PlaylistReader(Protocol):
    """What extraction needs from a client (live spotipy client or the offline sample)."""

    source: str  # "spotify-web-api" or "synthetic-sample"
    request_count: int  # HTTP requests made so far

    def start_playlist(self, playlist_id: str) -> None: ...  # starts the playlist's deadline

    def playlist_metadata(self, playlist_id: str) -> dict: ...

    def playlist_item_pages(self, playlist_id: str, page_size: int) -> Iterator[dict]: ...


def extract_playlist(
    reader: PlaylistReader,
    playlist_id: str,
    extracted_at: datetime | None = None,
    page_size: int = PAGE_SIZE,
    log: logging.Logger | None = None,
    lookups: LookupCache | None = None,
) -> dict:
    """Read the metadata and every item of ``playlist_id`` and return the raw object.

    Makes one metadata request plus one request per page of ``page_size`` items,
    following ``next`` to the end; with ``lookups``, also the look-ups of album and
    artist ids that cache has not seen yet, all within the playlist's deadline. Errors of
    the reader propagate (see :mod:`spotify_assets.spotify.errors`). Items that are not
    JSON objects are kept as the API sent them, with a warning naming their positions:
    the snapshot is stored whole and the tables report them.
    """
    log = log or logging.getLogger(__name__)
    extracted_at = extracted_at or datetime.now(timezone.utc)
    reader.start_playlist(playlist_id)
    requests_before = reader.request_count
    metadata = reader.playlist_metadata(playlist_id)
    items: list[dict] = []
    first_href = None
    total = None
    for page in reader.playlist_item_pages(playlist_id, page_size):
        first_href = first_href or page.get("href")
        total = page.get("total", total)
        items.extend(page.get("items") or [])
        log.info(f"playlist {playlist_id}: {len(items)}/{total if total is not None else '?'} items read")
    odd = [position for position, item in enumerate(items, start=1) if not isinstance(item, dict)]
    if odd:
        shown = ", ".join(map(str, odd[:10])) + (f" and {len(odd) - 10} more" if len(odd) > 10 else "")
        log.warning(
            f"playlist {playlist_id}: {len(odd)} item(s) are not JSON objects (positions {shown}); stored as the API sent them"
        )
    if total is not None and total != len(items):
        # The playlist changed while we paged through it; what we have is still a
        # consistent list of what each page answered.
        log.warning(f"playlist {playlist_id}: the API announced {total} items but the pages held {len(items)}")
    document = {key: value for key, value in metadata.items() if key not in ("items", "tracks")}
    document["items"] = {
        "href": first_href,
        "items": items,
        "limit": page_size,
        "next": None,
        "offset": 0,
        "previous": None,
        "total": len(items),
    }
    if lookups is not None:
        document["lookups"] = lookups.lookups_for(playlist_id, items)
    document["extracted_at"] = extracted_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    document["extraction"] = {"source": reader.source, "api_requests": reader.request_count - requests_before}
    return document
