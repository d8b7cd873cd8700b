"""Checks on the pages of ``GET /playlists/{id}/items`` before their items are kept and
their ``next`` is followed, so that paging ends by construction and the access token goes
only to the API's origin.

A page must be a paging object whose ``items`` is a list and whose ``total`` is a count;
``next`` must be null or a URL on the origin (scheme, host, port) of
``SPOTIFY_API_BASE_URL``, not one already read; and the pages cannot outnumber what the
announced ``total`` and the page size allow. Items that are not objects are kept as the
API sent them (a snapshot is never thrown away); the tables report them by position.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlsplit

from spotify_assets.spotify.bounded_http import origin_of
from spotify_assets.spotify.errors import SpotifyOriginError, SpotifyResponseError


def json_type(value: object) -> str:
    """The JSON type of ``value`` in words: ``"a string"``, ``"a number"``, ``"null"``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _canonical(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A URL as (path, sorted query pairs): two spellings of one page compare equal."""
    parts = urlsplit(url)
    return parts.path.rstrip("/"), tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


class PageGuard:
    """Accepts the pages of one playlist in order (see the module docstring).

    ``what``: how messages name the listing (``"playlist X items"``, ``"GET /me/playlists"``);
    ``api_base_url``: ``SPOTIFY_API_BASE_URL`` (its origin is the only one followed);
    ``page_size``: the ``limit`` asked for. Raises ``SpotifyResponseError`` for a page of
    the wrong shape, a page already read or one page too many, and ``SpotifyOriginError``
    for a ``next`` on another origin; both name the listing and the page.
    """

    def __init__(self, what: str, page_size: int, api_base_url: str) -> None:
        self.what = what
        self.page_size = page_size
        self.origin = origin_of(api_base_url)
        self.pages = 0
        self.largest_total = 0
        self.next_offset: int | str = 0
        self._seen: set[tuple] = set()

    def accept(self, page: dict, url: str | None, request: str | None) -> str | None:
        """Check ``page`` (fetched from ``url``) and return the ``next`` URL to follow, or
        None when it is the last page."""
        self.pages += 1
        where = f"{self.what} page {self.pages}"
        if url:
            self._seen.add(_canonical(url))
        items, total = page.get("items"), page.get("total")
        if not isinstance(items, list):
            raise SpotifyResponseError(f"{where}: 'items' is {json_type(items)}, not a list of items", request)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise SpotifyResponseError(
                f"{where}: 'total' is {json_type(total)} ({str(total)[:40]}), not a count of items", request
            )
        self.largest_total = max(self.largest_total, total)
        offset = page.get("offset")
        self.next_offset = offset + self.page_size if isinstance(offset, int) and not isinstance(offset, bool) else "?"
        next_url = page.get("next")
        if next_url is None or next_url == "":
            return None
        if not isinstance(next_url, str):
            raise SpotifyResponseError(f"{where}: 'next' is {json_type(next_url)}, not a URL", request)
        return self._check_next(where, next_url, page.get("limit"), request)

    def _check_next(self, where: str, next_url: str, limit: object, request: str | None) -> str:
        target = origin_of(next_url)
        if target != self.origin:
            raise SpotifyOriginError(
                f"{where}: 'next' points to another origin ({target}); the access token is sent only to the origin of "
                f"SPOTIFY_API_BASE_URL ({self.origin}), so it is not followed and no request was sent",
                request,
            )
        if _canonical(next_url) in self._seen:
            raise SpotifyResponseError(
                f"{where}: 'next' points back to a page already read; paging stopped instead of reading it again",
                request,
            )
        # A server may answer smaller pages than asked, never larger ones.
        size = (
            limit
            if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= self.page_size
            else self.page_size
        )
        allowed = max(1, math.ceil(self.largest_total / size))
        if self.pages >= allowed:
            raise SpotifyResponseError(
                f"{where}: the API announced {self.largest_total} items, at most {allowed} page(s) of {size}, "
                "but this page has a 'next'; paging stopped",
                request,
            )
        return next_url
