"""HTTP for the Spotify client, bounded by construction: a ``requests.Session`` that

- sends a request only to its own origin (scheme, host and port of the configured base
  URL): any other URL raises :class:`ForeignOrigin` before a byte is sent, so the access
  token in ``Authorization`` never reaches another host;
- never follows a redirect (its ``Location`` is a URL taken from an answer): a 3xx raises
  :class:`Redirected`;
- bounds each request, body included, by a total deadline. requests' ``timeout`` only
  bounds each socket read, so a body trickling one byte a second would never end; here a
  watchdog timer shuts the connection's socket down when the deadline passes, which ends
  any read in progress (connect, headers or body), and the request raises
  :class:`DeadlineHit`;
- reads at most ``max_body_bytes`` of a body (:class:`BodyTooLarge`);
- with ``raise_errors``, turns a 4xx/5xx into :class:`ErrorAnswer`, reading Spotify's
  error body whatever its shape (spotipy's own handler fails with ``AttributeError`` on a
  body such as ``["oops"]`` or ``{"error": "internal"}``).

Transport faults (connection reset, a body cut short, a broken ``Content-Encoding``) are
raised as requests raises them (``ConnectionError``, ``ChunkedEncodingError``,
``ContentDecodingError``); the caller words them. No Dagster here.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from spotify_assets.spotify.deadlines import Deadline

# Largest body read from one answer: a page of 50 items is about 150 KB.
MAX_BODY_BYTES = 32 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TransportFault(Exception):
    """Base of the faults this module raises itself (never a ``ValueError`` or a
    requests error, so spotipy lets them through unchanged)."""


class ForeignOrigin(TransportFault):
    """The URL is not on the session's origin; nothing was sent. ``origin`` is the URL's
    ``scheme://host:port`` (no path or query: they may hold anything)."""

    def __init__(self, origin: str) -> None:
        super().__init__(origin)
        self.origin = origin


class DeadlineHit(TransportFault):
    """The request's total deadline (``deadline``) passed before its body was read whole."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(deadline.name)
        self.deadline = deadline


class BodyTooLarge(TransportFault):
    """The body is larger than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class Redirected(TransportFault):
    """A 3xx answer; ``location`` is the origin of its ``Location`` (or ``"nowhere"``)."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(status, location)
        self.status = status
        self.location = location


class ErrorAnswer(TransportFault):
    """A 4xx/5xx answer: ``status``, ``message`` (Spotify's ``error.message``, else the
    body's text), ``reason`` (``error.reason``, e.g. ``QUOTA_EXCEEDED``) and ``headers``."""

    def __init__(self, status: int, message: str, reason: str | None, headers: Mapping[str, str]) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.reason = reason
        self.headers = headers


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url`` (default port filled in, host lower-cased);
    ``"(not a URL)"`` when it has no scheme or host."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return "(not a URL)"
    if not parts.scheme or not parts.hostname:
        return "(not a URL)"
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"


def request_name(method: str, url: str) -> str:
    """``"GET /v1/playlists/{id}/items"``: method and path only, never host or query."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = "(unreadable URL)"
    return f"{method.upper()} {path or '/'}"


# -- the watchdog ------------------------------------------------------------------------

_current = threading.local()


class _Watchdog:
    """Shuts down the socket of the connection serving the current request when
    ``seconds`` have passed. Connections attach themselves (see ``_WatchedHTTPConnection``)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._socket = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _current.watchdog = None

    def attach(self, connection) -> None:
        # The socket itself is kept: http.client drops the connection's reference once the
        # headers say the connection will close, while the body is still read from it.
        sock = getattr(connection, "sock", None)
        if sock is None:
            return  # not connected yet: connect() attaches again once it is
        with self._lock:
            self._socket = sock
            fired = self.fired
        if fired:
            _shut_down(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._socket
        if sock is not None:
            _shut_down(sock)


def _shut_down(sock) -> None:
    try:
        # The plain socket's shutdown, also for an SSLSocket: it ends a read blocked in
        # another thread (recv returns or fails at once).
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _attach(connection) -> None:
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.attach(connection)


class _Watched:
    """Mixed into urllib3's connection classes: the connection attaches to the watchdog."""

    def connect(self) -> None:
        super().connect()
        _attach(self)

    def request(self, *args, **kwargs):  # every request, on a new or a reused connection
        _attach(self)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' default adapter (no retries) whose connections attach to the watchdog,
    directly or through an HTTP(S) proxy (``HTTPS_PROXY``). Through a SOCKS proxy the
    deadline is still checked between body chunks, and each read is bounded by the timeout."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


# -- the session -------------------------------------------------------------------------


class BoundedSession(requests.Session):
    """A session for one origin (``base_url``'s) with a total deadline per request.

    ``deadline``: called before each request, returns the :class:`Deadline` bounding it
    (the earliest of the request's, the playlist's and the run's). ``raise_errors``: raise
    :class:`ErrorAnswer` for 4xx/5xx (the Web API session) instead of returning them (the
    token endpoint's session, whose refusals spotipy's auth manager reads). ``last_request``
    is the latest request as ``"GET /path"``, ``last_url`` its full URL (query included;
    never a secret: the token travels in a header).
    """

    def __init__(
        self,
        base_url: str,
        deadline: Callable[[], Deadline],
        raise_errors: bool,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        super().__init__()
        self.origin = origin_of(base_url)
        self._deadline = deadline
        self._raise_errors = raise_errors
        self._max_body_bytes = max_body_bytes
        self.last_request: str | None = None
        self.last_url: str | None = None
        adapter = _WatchedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs) -> requests.Response:
        self.last_request = request_name(method, url)
        self.last_url = None
        target = origin_of(url)
        if target != self.origin:
            raise ForeignOrigin(target)
        deadline = self._deadline()
        remaining = deadline.remaining_s()
        if remaining <= 0:
            raise DeadlineHit(deadline)
        read_timeout = kwargs.pop("timeout", None)
        # Each socket operation waits at most the per-read timeout and never past the deadline.
        per_read = remaining if read_timeout is None else min(float(read_timeout), remaining)
        kwargs.update(stream=True, allow_redirects=False, timeout=(per_read, per_read))
        with _Watchdog(remaining) as watchdog:
            try:
                response = super().request(method, url, *args, **kwargs)
                self.last_url = response.url
                self._read_body(response, deadline)
            except (requests.RequestException, OSError):
                if watchdog.fired or deadline.remaining_s() <= 0:
                    raise DeadlineHit(deadline) from None
                raise
        if watchdog.fired:  # a body without Content-Length simply ends when the socket is shut
            raise DeadlineHit(deadline)
        if 300 <= response.status_code < 400:
            raise Redirected(
                response.status_code,
                origin_of(response.headers["Location"]) if response.headers.get("Location") else "nowhere",
            )
        if self._raise_errors and response.status_code >= 400:
            raise error_answer(response)
        return response

    def _read_body(self, response: requests.Response, deadline: Deadline) -> None:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                size += len(chunk)
                if size > self._max_body_bytes:
                    raise BodyTooLarge(self._max_body_bytes)
                if deadline.remaining_s() <= 0:
                    raise DeadlineHit(deadline)
                chunks.append(chunk)
        except BaseException:
            response.raw.close()  # a broken or abandoned connection is never reused
            raise
        # What requests itself does when it reads a body (Response.content).
        response._content = b"".join(chunks)
        response._content_consumed = True
        response.close()  # returns the connection to the pool


def error_answer(response: requests.Response) -> ErrorAnswer:
    """:class:`ErrorAnswer` of a 4xx/5xx whatever its body: Spotify's
    ``{"error": {"status", "message", "reason"}}``, an OAuth-style ``{"error": "..."}``,
    any other JSON, text, or nothing."""
    message, reason = None, None
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message") if isinstance(error.get("message"), str) else None
            reason = error.get("reason") if isinstance(error.get("reason"), str) else None
        elif isinstance(error, str):
            message = error
    if message is None:
        message = response.content.decode("utf-8", "replace")
    return ErrorAnswer(response.status_code, message, reason, response.headers)
