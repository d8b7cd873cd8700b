"""A spotipy client with the 2026 API's facts and bounded, explicit fault handling.

- Tokens are cached in memory (``MemoryCacheHandler``), never in a ``.cache`` file.
- ``GET /playlists/{id}`` (metadata, items left out with ``fields``) and
  ``GET /playlists/{id}/items`` pages of 50: the old ``/tracks`` answers 403 in
  development mode.
- urllib3 never retries: spotipy's own session would sleep on Retry-After without bound
  (spotipy issues #766, #1224), and ``status_forcelist=()`` does not switch that off
  (spotipy 2.26 reads it as ``status_forcelist or default_retry_codes``, so 429/5xx were
  retried inside urllib3 and reached us as a header-less 429 "Max Retries", hiding
  Retry-After, QUOTA_EXCEEDED and the real 5xx status). We therefore hand spotipy our own
  sessions (:class:`~spotify_assets.spotify.bounded_http.BoundedSession`: no retries, one
  origin, no redirects, a total deadline per request, body included) for the API and for
  the token endpoint, and retry in :meth:`SpotifyClient._call` only:
- 429: wait when Retry-After is at most ``max_retry_after_s``, fail at once otherwise;
  a body with ``"reason": "QUOTA_EXCEEDED"`` fails at once.
- 5xx (whatever the error body's shape), connection errors, bodies cut short or reset,
  broken ``Content-Encoding``, timeouts, the request deadline (API and token endpoint
  alike) and 200 answers whose body is not a JSON object: bounded retries with
  exponential backoff. No wait passes the playlist's or the run's deadline
  (:mod:`spotify_assets.spotify.deadlines`).
- 401: the cached access token is dropped and the request retried once; a second 401
  is an authorisation error.
- Token endpoint refusals (``invalid_grant``, ``invalid_client``, ...) fail at once with
  what to do; other 4xx of the API fail at once (403/404 name the playlist), and so do
  redirects, answers larger than 32 MiB and URLs on another origin (nothing is sent).
- Pages are checked before ``next`` is followed (:mod:`spotify_assets.spotify.paging`).
- Any other error (an answer spotipy cannot read) fails the playlist with its type named.
- Album and artist look-ups (:meth:`SpotifyClient.look_up`) use the batch endpoints
  (``/albums?ids=``, ``/artists?ids=``) until one answers 403, as it does for
  development-mode apps since 2026, and then ``/albums/{id}``, ``/artists/{id}``.

Messages never contain the client secret, the refresh token, an access token or a URL's
host or query: a request is named by its method and path (the errors' ``request``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOAuth, SpotifyOauthError

from spotify_assets.settings import ENV_VARS
from spotify_assets.spotify.bounded_http import (
    BodyTooLarge,
    BoundedSession,
    DeadlineHit,
    ErrorAnswer,
    ForeignOrigin,
    Redirected,
)
from spotify_assets.spotify.deadlines import Deadlines
from spotify_assets.spotify.errors import (
    SpotifyAuthError,
    SpotifyOriginError,
    SpotifyPlaylistAccessError,
    SpotifyQuotaExceededError,
    SpotifyRateLimitError,
    SpotifyRequestError,
    SpotifyResponseError,
    SpotifyTransientError,
    SpotifyUnexpectedError,
)
from spotify_assets.spotify.paging import PageGuard, json_type

# spotipy logs request headers (Authorization) and token request bodies at DEBUG.
logging.getLogger("spotipy").setLevel(logging.WARNING)
# spotipy.client logs every HTTP error at ERROR, expected ones too (the look-ups' batch
# 403 in development mode); SpotifyClient logs each fault itself, saying what it does.
logging.getLogger("spotipy.client").setLevel(logging.CRITICAL)

PLAYLIST_METADATA_FIELDS = (
    "id,name,description,snapshot_id,owner(id,display_name),collaborative,public,external_urls,href,uri,type,images"
)
# The redirect URI is only used by the authorisation step (`spotify-assets authorize`);
# refreshing a token does not contact it.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
OAUTH_SCOPES = "playlist-read-private playlist-read-collaborative"

REAUTHORISE_HINT = (
    "Since 2026 user refresh tokens expire 6 months after authorisation, and they stop working when the user "
    "revokes the app. Run `spotify-assets authorize` to authorise again and put the new token in SPOTIFY_REFRESH_TOKEN."
)
# Longest piece of an error body quoted in a message (an HTML error page can be large).
MAX_QUOTED_CHARS = 200
# Most ids one batch look-up takes (GET /albums?ids=, GET /artists?ids=).
LOOKUP_BATCH_SIZE = {"albums": 20, "artists": 50}
# Single look-ups (one request per id) log their progress every this many ids.
LOOKUP_PROGRESS_EVERY = 50
# Default deadlines, seconds: the defaults of the settings, written once in ENV_VARS.
DEFAULT_REQUEST_DEADLINE_S = float(ENV_VARS["SPOTIFY_REQUEST_DEADLINE_S"][0])
DEFAULT_PLAYLIST_DEADLINE_S = float(ENV_VARS["SPOTIFY_PLAYLIST_DEADLINE_S"][0])
DEFAULT_RUN_DEADLINE_S = float(ENV_VARS["SPOTIFY_RUN_DEADLINE_S"][0])

# Transport faults in words (the class name kept in brackets for searching logs).
_TRANSPORT_REASONS = (
    (requests.exceptions.ChunkedEncodingError, "the connection broke off in the middle of the answer's body"),
    (requests.exceptions.ContentDecodingError, "the answer's body could not be decoded as its Content-Encoding says"),
    (requests.exceptions.SSLError, "the TLS connection failed"),
    (requests.exceptions.ConnectionError, "the connection failed or was reset"),
)


class _Refused(Exception):
    """An answer with a status the caller of ``_call`` handles itself (look-ups: 403, 404)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class _Retry:
    """What ``_call`` does before its next attempt: wait ``wait_s`` seconds and log ``message``."""

    message: str
    wait_s: float
    reason: str = ""  # the fault in words, for the message when the wait would pass a deadline
    level: int = logging.WARNING


class SpotifyClient:
    """Reads playlists from the Spotify Web API through spotipy.

    ``request_count`` counts every answered HTTP request to the Web API (retries included;
    token requests and requests that got no answer excluded). ``max_retry_after_s``
    (seconds): longest 429 Retry-After waited for; ``max_attempts``: attempts per request
    for 429, 5xx, transport faults and unreadable answers; ``backoff_s`` (seconds): first
    backoff, doubled per attempt; ``request_timeout_s`` (seconds): longest wait for any one
    socket read; ``request_deadline_s``, ``playlist_deadline_s``, ``run_deadline_s``
    (seconds): total time for one request (body included), one playlist (from
    :meth:`start_playlist`) and the client's life (see
    :mod:`spotify_assets.spotify.deadlines`). Errors raised: see
    :mod:`spotify_assets.spotify.errors`.
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
        request_deadline_s: float = DEFAULT_REQUEST_DEADLINE_S,
        playlist_deadline_s: float = DEFAULT_PLAYLIST_DEADLINE_S,
        run_deadline_s: float = DEFAULT_RUN_DEADLINE_S,
    ):
        self.log = log or logging.getLogger(__name__)
        self.max_retry_after_s = max_retry_after_s
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.request_count = 0
        self.api_base_url = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self.deadlines = Deadlines(request_deadline_s, playlist_deadline_s, run_deadline_s)
        self._cache = MemoryCacheHandler()
        # One origin each, no redirects, no retries, a total deadline per request (see the module docstring).
        self._api_session = BoundedSession(self.api_base_url, self.deadlines.for_request, raise_errors=True)
        self._token_session = BoundedSession(token_url, self.deadlines.for_request, raise_errors=False)
        self._last_token_status: int | None = None
        self._refreshed = False  # whether the current call already refreshed the access token
        self._batch_refused: set[str] = set()  # look-up kinds whose batch endpoint answered 403
        self._token_session.hooks["response"].append(self._record_token_status)
        self._auth = self._auth_manager(client_id, client_secret, refresh_token, token_url, request_timeout_s)
        self.sp = spotipy.Spotify(
            auth_manager=self._auth, requests_session=self._api_session, requests_timeout=request_timeout_s
        )
        self.sp.prefix = self.api_base_url
        self._api_session.hooks["response"].append(self._count_request)

    def _auth_manager(
        self, client_id: str, client_secret: str, refresh_token: str | None, token_url: str, timeout_s: float
    ):
        if refresh_token:
            auth = SpotifyOAuth(
                client_id=client_id,
                client_secret=client_secret,
                redirect_uri=DEFAULT_REDIRECT_URI,
                scope=OAUTH_SCOPES,
                cache_handler=self._cache,
                open_browser=False,
                requests_session=self._token_session,
                requests_timeout=timeout_s,  # spotipy's default is None: wait forever
            )
            # An expired cached token makes spotipy refresh with this refresh token.
            self._cache.save_token_to_cache(
                {
                    "access_token": "",
                    "refresh_token": refresh_token,
                    "expires_at": 0,
                    "scope": OAUTH_SCOPES,
                    "token_type": "Bearer",
                    "expires_in": 0,
                }
            )
        else:
            auth = SpotifyClientCredentials(
                client_id=client_id,
                client_secret=client_secret,
                cache_handler=self._cache,
                requests_session=self._token_session,
                requests_timeout=timeout_s,
            )
        auth.OAUTH_TOKEN_URL = token_url
        return auth

    def _record_token_status(self, response, *args, **kwargs):
        # spotipy's SpotifyOauthError drops the HTTP status; we need it to tell a refused
        # grant (400/401: permanent) from a token endpoint in trouble (5xx/429: transient).
        self._last_token_status = response.status_code

    def _count_request(self, response, *args, **kwargs):
        self.request_count += 1

    def _drop_access_token(self) -> None:
        token = self._cache.get_cached_token()
        if token and token.get("refresh_token"):
            self._cache.save_token_to_cache({**token, "access_token": "", "expires_at": 0})
        else:
            self._cache.save_token_to_cache(None)

    def _last_request(self) -> str | None:
        """The request of the current attempt that failed: ``"GET /v1/..."`` (the API's, else the token endpoint's)."""
        return self._api_session.last_request or self._token_session.last_request

    def start_playlist(self, playlist_id: str) -> None:
        """Start the deadline of ``playlist_id`` (``playlist_deadline_s`` from now)."""
        self.deadlines.start_playlist()

    def _call(self, what: str, playlist_id: str, fn, *args, refused: tuple[int, ...] = (), **kwargs) -> dict:
        """Run one API call (``fn(*args, **kwargs)``, a spotipy method) with the fault handling
        described in the module docstring; returns its JSON object.

        ``what`` words log lines and messages (e.g. ``"playlist X metadata"``); 403/404 name
        ``playlist_id``, except statuses in ``refused``, which raise ``_Refused`` for the
        caller to handle. Raises the errors of :mod:`spotify_assets.spotify.errors`.
        """
        self._refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._api_session.last_request = self._token_session.last_request = None
            self.deadlines.check(what)
            self._last_token_status = None
            try:
                result = fn(*args, **kwargs)
            except Exception as error:  # every fault is classified: retried, or raised as an extraction error
                retry = self._fault(error, what, playlist_id, attempt, refused)
            else:
                # spotipy returns None for a 200 whose body is not JSON (a proxy's or captive
                # portal's page, a cut-off answer): as retryable as a 5xx.
                if isinstance(result, dict):
                    return result
                retry = self._transient(what, "HTTP 200 with a body that is not a JSON object", attempt)
            if retry.wait_s > 0:
                self.deadlines.check_wait(what, retry.reason, retry.wait_s, self._last_request())
            self.log.log(retry.level, retry.message)
            time.sleep(retry.wait_s)

    def _fault(self, error: Exception, what: str, playlist_id: str, attempt: int, refused: tuple[int, ...]) -> _Retry:
        """The retry for ``error``, or raise the extraction error it amounts to."""
        request = self._last_request()
        if isinstance(error, SpotifyOauthError):
            return self._token_fault(error, what, attempt)
        if isinstance(error, ErrorAnswer):
            return self._status_fault(
                error.status, error.message, error.reason, error.headers, what, playlist_id, attempt, refused
            )
        if isinstance(error, spotipy.SpotifyException):  # spotipy's own; BoundedSession raises ErrorAnswer instead
            return self._status_fault(
                error.http_status, error.msg, error.reason, error.headers or {}, what, playlist_id, attempt, refused
            )
        if isinstance(error, DeadlineHit):
            if error.deadline.name != "request":
                raise error.deadline.error(what, request) from None
            return self._transient(what, f"{error.deadline.describe()} was hit", attempt)
        if isinstance(error, ForeignOrigin):
            raise SpotifyOriginError(
                f"{what}: the URL is on another origin ({error.origin}) than SPOTIFY_API_BASE_URL; no request was sent",
                request,
            ) from None
        if isinstance(error, Redirected):
            raise SpotifyRequestError(
                f"{what}: Spotify answered HTTP {error.status}, a redirect to {error.location}; redirects are not followed "
                "(the access token goes only to the origin of SPOTIFY_API_BASE_URL)",
                request,
            ) from None
        if isinstance(error, BodyTooLarge):
            raise SpotifyResponseError(
                f"{what}: the answer's body is larger than {error.limit // 2**20} MiB; it is not read", request
            ) from None
        if isinstance(error, requests.RequestException):
            return self._transient(what, _transport_reason(error), attempt)
        status = self._last_token_status
        if status is not None and (status >= 500 or status == 429):  # spotipy failed reading a token endpoint error
            return self._transient(what, f"token endpoint answered HTTP {status}", attempt)
        raise SpotifyUnexpectedError(
            f"{what}: the client failed on the answer ({type(error).__name__}: an answer of a shape it does not read); not retried",
            request,
        ) from error

    def _transient(self, what: str, reason: str, attempt: int, detail: str | None = None) -> _Retry:
        """A backoff retry, or ``SpotifyTransientError`` once the attempts are used up.
        ``detail``: the fault in more words than ``reason`` (e.g. the error body)."""
        if attempt >= self.max_attempts:
            raise SpotifyTransientError(f"{what}: {reason}, after {attempt} attempt(s)", self._last_request())
        delay = self.backoff_s * 2 ** (attempt - 1)
        return _Retry(
            f"{what}: {reason}; retrying in {delay:.2f} s (attempt {attempt + 1} of {self.max_attempts})",
            delay,
            detail or reason,
        )

    def _token_fault(self, error: SpotifyOauthError, what: str, attempt: int) -> _Retry:
        status = self._last_token_status
        if status is not None and (status >= 500 or status == 429):
            if attempt < self.max_attempts:
                return self._transient(what, f"token endpoint answered HTTP {status}", attempt)
            raise SpotifyTransientError(
                f"{what}: Spotify's token endpoint answered HTTP {status} after {attempt} attempt(s): {_quote(error.error)}",
                self._last_request(),
            ) from None
        raise self._auth_error(error, status) from None

    def _status_fault(
        self, status: int, message, reason, headers, what: str, playlist_id: str, attempt: int, refused: tuple[int, ...]
    ) -> _Retry:
        request = self._last_request()
        if status == 401:
            if not self._refreshed:
                self._refreshed = True
                self._drop_access_token()
                return _Retry(
                    f"{what}: access token rejected (401); refreshing it and retrying once", 0.0, "", logging.INFO
                )
            raise SpotifyAuthError(
                f"{what}: Spotify rejected a freshly obtained access token (401: {_quote(message)}). "
                "Check that the app and the user's authorisation are still valid; if the refresh token was "
                "revoked, run `spotify-assets authorize` and put the new token in SPOTIFY_REFRESH_TOKEN.",
                request,
            ) from None
        if status == 429:
            return self._rate_limit(what, reason, headers, attempt)
        if status in refused:
            raise _Refused(status) from None
        if status in (403, 404):
            raise self._access_error(playlist_id, status, request) from None
        if status >= 500:
            if attempt < self.max_attempts:
                return self._transient(
                    what, f"HTTP {status}", attempt, f"Spotify answered HTTP {status}: {_quote(message)}"
                )
            raise SpotifyTransientError(
                f"{what}: Spotify answered HTTP {status} after {attempt} attempt(s): {_quote(message)}", request
            ) from None
        raise SpotifyRequestError(
            f"{what}: Spotify answered HTTP {status}: {_quote(message)}; the request is not retried", request
        ) from None

    def _rate_limit(self, what: str, reason, headers, attempt: int) -> _Retry:
        request = self._last_request()
        if (reason or "").upper() == "QUOTA_EXCEEDED":
            raise SpotifyQuotaExceededError(
                f"{what}: Spotify answered 429 QUOTA_EXCEEDED: the app's quota is used up; retrying will not help. "
                "Wait for the quota to reset or raise it in the Spotify developer dashboard.",
                request,
            ) from None
        retry_after = _retry_after_s(headers.get("Retry-After"))
        if retry_after is None:  # absent or unreadable: back off as for a 5xx
            retry_after = self.backoff_s * 2 ** (attempt - 1)
        if retry_after > self.max_retry_after_s:
            raise SpotifyRateLimitError(
                f"{what}: Spotify answered 429 with Retry-After {retry_after:.0f} s, longer than the maximum wait of "
                f"{self.max_retry_after_s:g} s; failing now instead of sleeping. Run again later.",
                request,
            ) from None
        if attempt >= self.max_attempts:
            raise SpotifyRateLimitError(
                f"{what}: still rate limited (429) after {attempt} attempts. Run again later.", request
            ) from None
        return _Retry(
            f"{what}: rate limited (429); waiting {retry_after:g} s as Retry-After asks (attempt {attempt + 1} of {self.max_attempts})",
            retry_after,
            "rate limited (429)",
        )

    def _access_error(self, playlist_id: str, status: int, request: str | None = None) -> SpotifyPlaylistAccessError:
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
        return SpotifyPlaylistAccessError(f"playlist {playlist_id}: {reason}", request)

    def _auth_error(self, error: SpotifyOauthError, status: int | None) -> SpotifyAuthError:
        code = getattr(error, "error", None) or ""  # spotipy sets .error from the body's "error"
        request = self._token_session.last_request
        if code == "invalid_grant":
            return SpotifyAuthError(f"Spotify refused the refresh token (invalid_grant). {REAUTHORISE_HINT}", request)
        if code == "invalid_client":
            return SpotifyAuthError(
                "Spotify refused the client credentials (invalid_client): check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.",
                request,
            )
        answered = f"HTTP {status}, " if status else ""
        return SpotifyAuthError(
            f"Spotify's token endpoint refused the request ({answered}{_quote(code) or 'unknown error'}).", request
        )

    def playlist_metadata(self, playlist_id: str) -> dict:
        """Playlist object without items: ``GET /playlists/{id}?fields=...``."""
        return self._call(
            f"playlist {playlist_id} metadata",
            playlist_id,
            self.sp.playlist,
            playlist_id,
            fields=PLAYLIST_METADATA_FIELDS,
            additional_types=("track", "episode"),
        )

    def playlist_item_pages(self, playlist_id: str, page_size: int = 50) -> Iterator[dict]:
        """Paging objects of ``GET /playlists/{id}/items``, following ``next`` to the end.

        Each page is checked before it is yielded and its ``next`` followed
        (:class:`~spotify_assets.spotify.paging.PageGuard`): raises ``SpotifyResponseError``
        or ``SpotifyOriginError`` for a page of the wrong shape, a ``next`` that is not a
        URL, on another origin or already read, or more pages than ``total`` allows.
        """
        guard = PageGuard(f"playlist {playlist_id} items", page_size, self.api_base_url)

        def call(what: str, fn, *args, **kwargs) -> dict:
            return self._call(what, playlist_id, fn, *args, **kwargs)

        return self._pages(guard, call, self.sp.playlist_items, playlist_id)

    def current_user_id(self) -> str:
        """The authorising user's id: ``GET /me`` (needs a user token, i.e. a refresh token).
        Raises ``SpotifyResponseError`` when the answer has no string ``id``, and the errors
        of :mod:`spotify_assets.spotify.errors` otherwise."""
        me = self._my_call("GET /me", self.sp.me)
        user_id = me.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise SpotifyResponseError(
                f"GET /me: 'id' is {json_type(user_id)}, not the user's id", self._last_request()
            )
        return user_id

    def my_playlist_pages(self, page_size: int = 50) -> Iterator[dict]:
        """Paging objects of ``GET /me/playlists`` (simplified playlist objects), following
        ``next`` to the end with the same page checks as a playlist's items
        (:class:`~spotify_assets.spotify.paging.PageGuard`)."""
        guard = PageGuard("GET /me/playlists", page_size, self.api_base_url)
        return self._pages(guard, self._my_call, self.sp.current_user_playlists)

    def _pages(self, guard: PageGuard, call, first, *args) -> Iterator[dict]:
        """The pages of one listing: ``call(what, first, *args, limit=, offset=0)``, then
        ``next`` followed while ``guard`` accepts each page; ``call`` is ``_call`` or
        ``_my_call`` and ``what`` is ``guard.what`` plus the page's offset."""
        page = call(f"{guard.what} offset 0", first, *args, limit=guard.page_size, offset=0)
        while True:
            next_url = guard.accept(page, self._api_session.last_url, self._api_session.last_request)
            yield page
            if next_url is None:
                return
            page = call(f"{guard.what} offset {guard.next_offset}", self.sp.next, {"next": next_url})

    def _my_call(self, what: str, fn, *args, **kwargs) -> dict:
        """``_call`` for the user's own resources: a 403/404 there is about the token, not a playlist."""
        try:
            return self._call(what, "", fn, *args, refused=(403, 404), **kwargs)
        except _Refused as refusal:
            raise SpotifyAuthError(
                f"{what}: Spotify answered {refusal.status}: the token is not a user's (SPOTIFY_PLAYLIST_IDS=me needs "
                "SPOTIFY_REFRESH_TOKEN from `spotify-assets authorize` with the scopes playlist-read-private and "
                "playlist-read-collaborative)",
                self._last_request(),
            ) from None

    def look_up(self, kind: str, ids: Sequence[str]) -> dict[str, dict | None]:
        """Full album or artist objects by id; ``kind`` is ``"albums"`` or ``"artists"``.

        Asks ``GET /albums?ids=`` (20 ids a request) or ``GET /artists?ids=`` (50) until the
        batch endpoint answers 403 (or 404), as it does for development-mode apps since 2026; from
        then on (for the rest of this client's life) ``GET /albums/{id}`` or
        ``GET /artists/{id}``, one request per id. Each id is asked once per call (the
        caller, ``LookupCache``, makes that once per run).

        Returns ``{id: object}`` for every id asked, the object None where Spotify knows
        no such id (null in a batch answer, or 404/403 for a single one: logged as a
        warning, not raised). Other faults raise as for playlist requests
        (:mod:`spotify_assets.spotify.errors`), e.g. ``SpotifyQuotaExceededError``.
        """
        if kind not in LOOKUP_BATCH_SIZE:
            raise ValueError(f"look-up kind must be one of {sorted(LOOKUP_BATCH_SIZE)}, not {kind!r}")
        noun = kind[:-1]
        pending = list(dict.fromkeys(ids))
        found: dict[str, dict | None] = {}
        size = LOOKUP_BATCH_SIZE[kind]
        batch = self.sp.albums if kind == "albums" else self.sp.artists
        while pending and kind not in self._batch_refused:
            chunk = pending[:size]
            try:
                answer = self._call(f"GET /{kind}?ids= ({len(chunk)} ids)", "", batch, chunk, refused=(403, 404))
            except _Refused as refusal:
                self._batch_refused.add(kind)
                self.log.info(
                    f"GET /{kind}?ids= answered {refusal.status} (closed to development-mode apps since 2026); "
                    f"looking up each {noun} with GET /{kind}/{{id}} instead"
                )
                break
            objects = answer.get(kind)
            if not isinstance(objects, list):
                raise SpotifyRequestError(
                    f"GET /{kind}?ids= answered an object without a '{kind}' list (keys {sorted(answer)[:8]})"
                )
            by_id = {o["id"]: o for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)}
            found.update((i, by_id.get(i)) for i in chunk)
            pending = pending[size:]
        single = self.sp.album if kind == "albums" else self.sp.artist
        for done, object_id in enumerate(pending):
            if done and done % LOOKUP_PROGRESS_EVERY == 0:
                self.log.info(f"{kind}: {done}/{len(pending)} looked up one by one")
            try:
                found[object_id] = self._call(f"GET /{kind}/{object_id}", "", single, object_id, refused=(403, 404))
            except _Refused as refusal:
                self.log.warning(
                    f"{noun} {object_id}: GET /{kind}/{object_id} answered {refusal.status}; it is left out of the look-ups"
                )
                found[object_id] = None
        return found


def _quote(text: str | None) -> str:
    """The message part of an error text on one line, cut to ``MAX_QUOTED_CHARS``.

    spotipy's messages are ``"<url>:\n <message>"``; the URL (the request's own) is dropped.
    """
    text = ("" if text is None else str(text)).strip()
    if ":\n" in text:
        text = text.split(":\n", 1)[1]
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"


def _transport_reason(error: requests.RequestException) -> str:
    """A transport fault in words; timeouts keep requests' name (``ReadTimeout``, ``ConnectTimeout``)."""
    if isinstance(error, requests.Timeout):
        return type(error).__name__
    if isinstance(error, requests.exceptions.JSONDecodeError):  # only the token endpoint path lets it through
        return "token endpoint answered a body that is not JSON"
    for kind, words in _TRANSPORT_REASONS:
        if isinstance(error, kind):
            return f"{words} ({type(error).__name__})"
    return f"the request failed ({type(error).__name__})"


def _retry_after_s(value: str | None) -> float | None:
    """Seconds of a Retry-After header (delta-seconds or an HTTP date), None when unreadable."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
