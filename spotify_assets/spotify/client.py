"""A spotipy client with the 2026 API's facts and bounded, explicit fault handling.

- Tokens are cached in memory (``MemoryCacheHandler``), never in a ``.cache`` file.
- ``GET /playlists/{id}`` (metadata, items left out with ``fields``) and
  ``GET /playlists/{id}/items`` pages of 50: the old ``/tracks`` answers 403 in
  development mode.
- 429 is taken out of urllib3's retry list: spotipy's default would sleep on
  Retry-After without bound (spotipy issues #766, #1224). We wait ourselves when
  Retry-After is at most ``max_retry_after_s`` and fail at once otherwise; a body with
  ``"reason": "QUOTA_EXCEEDED"`` fails at once.
- 5xx, connection errors and timeouts: bounded retries with exponential backoff.
- 401: the cached access token is dropped and the request retried once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth, SpotifyOauthError

from spotify_assets.spotify.errors import (
    SpotifyAuthError,
    SpotifyPlaylistAccessError,
    SpotifyQuotaExceededError,
    SpotifyRateLimitError,
    SpotifyTransientError,
)

# spotipy logs request headers (Authorization) and token request bodies at DEBUG.
logging.getLogger("spotipy").setLevel(logging.WARNING)

PLAYLIST_METADATA_FIELDS = "id,name,description,snapshot_id,owner(id,display_name),collaborative,public,external_urls,href,uri,type,images"
# The redirect URI is only used by the authorisation step (`spotify-assets authorize`);
# refreshing a token does not contact it.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
OAUTH_SCOPES = "playlist-read-private playlist-read-collaborative"

REAUTHORISE_HINT = (
    "Since 2026 user refresh tokens expire 6 months after authorisation, and they stop working when the user "
    "revokes the app. Run `spotify-assets authorize` to authorise again and put the new token in SPOTIFY_REFRESH_TOKEN."
)


class SpotifyClient:
    """Reads playlists from the Spotify Web API through spotipy.

    ``request_count`` counts every HTTP request sent to the Web API (retries included,
    token requests excluded).
    """

    source = "spotify-web-api"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str | None = None,
        api_base_url: str = "https://api.spotify.com/v1/",
        token_url: str = "https://accounts.spotify.com/api/token",
        max_retry_after_s: float = 60.0,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        request_timeout_s: float = 10.0,
        log: logging.Logger | None = None,
    ):
        self.log = log or logging.getLogger(__name__)
        self.max_retry_after_s = max_retry_after_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.request_count = 0
        self._cache = MemoryCacheHandler()
        if refresh_token:
            auth = SpotifyOAuth(
                client_id=client_id,
                client_secret=client_secret,
                redirect_uri=DEFAULT_REDIRECT_URI,
                scope=OAUTH_SCOPES,
                cache_handler=self._cache,
                open_browser=False,
            )
            # An expired cached token makes spotipy refresh with this refresh token.
            self._cache.save_token_to_cache(
                {"access_token": "", "refresh_token": refresh_token, "expires_at": 0, "scope": OAUTH_SCOPES, "token_type": "Bearer", "expires_in": 0}
            )
        else:
            auth = SpotifyClientCredentials(client_id=client_id, client_secret=client_secret, cache_handler=self._cache)
        auth.OAUTH_TOKEN_URL = token_url
        self._auth = auth
        self.sp = spotipy.Spotify(
            auth_manager=auth,
            requests_timeout=request_timeout_s,
            retries=0,  # retries are ours (below), so that every wait is bounded and logged
            status_retries=0,
            status_forcelist=(),
        )
        self.sp.prefix = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self.sp._session.hooks["response"].append(self._count_request)

    def _count_request(self, response, *args, **kwargs):
        self.request_count += 1

    def _drop_access_token(self) -> None:
        token = self._cache.get_cached_token()
        if token and token.get("refresh_token"):
            self._cache.save_token_to_cache({**token, "access_token": "", "expires_at": 0})
        else:
            self._cache.save_token_to_cache(None)

    def _call(self, what: str, playlist_id: str, fn, *args, **kwargs):
        """Run one API call with the fault handling described in the module docstring."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except SpotifyOauthError as error:
                raise self._auth_error(error) from None
            except spotipy.SpotifyException as error:
                status = error.http_status
                if status == 401 and not refreshed:
                    refreshed = True
                    self.log.info(f"{what}: access token rejected (401); refreshing it and retrying once")
                    self._drop_access_token()
                    continue
                if status == 429:
                    self._wait_for_rate_limit(what, error, attempt)
                    continue
                if status in (403, 404):
                    raise self._access_error(playlist_id, status) from None
                if status >= 500 and attempt < self.max_attempts:
                    self._backoff(what, f"HTTP {status}", attempt)
                    continue
                raise SpotifyTransientError(f"{what}: Spotify answered HTTP {status} after {attempt} attempt(s): {_first_line(error.msg)}") from None
            except (requests.Timeout, requests.ConnectionError) as error:
                if attempt < self.max_attempts:
                    self._backoff(what, type(error).__name__, attempt)
                    continue
                raise SpotifyTransientError(f"{what}: {type(error).__name__} after {attempt} attempt(s)") from None

    def _backoff(self, what: str, reason: str, attempt: int) -> None:
        delay = self.backoff_s * 2 ** (attempt - 1)
        self.log.warning(f"{what}: {reason}; retrying in {delay:.1f} s (attempt {attempt + 1} of {self.max_attempts})")
        time.sleep(delay)

    def _wait_for_rate_limit(self, what: str, error: spotipy.SpotifyException, attempt: int) -> None:
        if (error.reason or "").upper() == "QUOTA_EXCEEDED":
            raise SpotifyQuotaExceededError(
                f"{what}: Spotify answered 429 QUOTA_EXCEEDED: the app's quota is used up; retrying will not help. "
                "Wait for the quota to reset or raise it in the Spotify developer dashboard."
            ) from None
        headers = error.headers or {}
        try:
            retry_after = float(headers.get("Retry-After", headers.get("retry-after", "")))
        except ValueError:
            retry_after = self.backoff_s * 2 ** (attempt - 1)
        if retry_after > self.max_retry_after_s:
            raise SpotifyRateLimitError(
                f"{what}: Spotify answered 429 with Retry-After {retry_after:.0f} s, longer than the maximum wait of "
                f"{self.max_retry_after_s:.0f} s; failing now instead of sleeping. Run again later."
            ) from None
        if attempt >= self.max_attempts:
            raise SpotifyRateLimitError(f"{what}: still rate limited (429) after {attempt} attempts") from None
        self.log.warning(f"{what}: rate limited (429); waiting {retry_after:.0f} s as Retry-After asks")
        time.sleep(retry_after)

    def _access_error(self, playlist_id: str, status: int) -> SpotifyPlaylistAccessError:
        if status == 403:
            reason = (
                "403 Forbidden: since 2026 apps in development mode read the items only of playlists that the "
                "authorising user owns or collaborates on (set SPOTIFY_REFRESH_TOKEN for that user)"
            )
        else:
            reason = (
                "404 Not Found: the playlist does not exist, or it is one of Spotify's editorial playlists "
                "(e.g. Top 50 Global), which development-mode apps cannot read since 2026"
            )
        return SpotifyPlaylistAccessError(f"playlist {playlist_id}: {reason}")

    def _auth_error(self, error: SpotifyOauthError) -> SpotifyAuthError:
        code = getattr(error, "error", None) or ""
        if code == "invalid_grant":
            return SpotifyAuthError(f"Spotify refused the refresh token (invalid_grant). {REAUTHORISE_HINT}")
        if code == "invalid_client":
            return SpotifyAuthError("Spotify refused the client credentials (invalid_client): check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.")
        return SpotifyAuthError(f"Spotify's token endpoint refused the request ({code or 'unknown error'}).")

    def playlist_metadata(self, playlist_id: str) -> dict:
        """Playlist object without items: ``GET /playlists/{id}?fields=...``."""
        return self._call(f"playlist {playlist_id} metadata", playlist_id, self.sp.playlist, playlist_id, fields=PLAYLIST_METADATA_FIELDS, additional_types=("track", "episode"))

    def playlist_item_pages(self, playlist_id: str, page_size: int = 50) -> Iterator[dict]:
        """Paging objects of ``GET /playlists/{id}/items``, following ``next`` to the end."""
        page = self._call(f"playlist {playlist_id} items offset 0", playlist_id, self.sp.playlist_items, playlist_id, limit=page_size, offset=0)
        while page is not None:
            yield page
            if not page.get("next"):
                return
            page = self._call(f"playlist {playlist_id} items offset {page.get('offset', 0) + page_size}", playlist_id, self.sp.next, page)


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[-1].strip() if text else ""
