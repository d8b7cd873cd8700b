"""A real-HTTP stand-in for the Spotify Web API and its token endpoint, for tests.

``SpotifyTestServer`` is a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (a free port)
running in a daemon thread. Tests point the real spotipy client at it::

    with SpotifyTestServer() as server:
        server.add_playlist("3cEYpjA9oz9GiPac4AsH4n", items)
        auth = SpotifyClientCredentials(server.client_id, server.client_secret,
                                        cache_handler=MemoryCacheHandler())
        auth.OAUTH_TOKEN_URL = server.token_url
        sp = spotipy.Spotify(auth_manager=auth, retries=0)
        sp.prefix = server.api_base_url

Two dialects:

- ``"2026"``: the API as it answers a development-mode app since February 2026.
  ``GET /v1/playlists/{id}`` carries an ``items`` paging object (not ``tracks``), each
  item's object under ``item`` (not ``track``); ``GET /v1/playlists/{id}/items`` pages
  of at most 50; ``/tracks`` answers 403; editorial playlists (``37i9dQZ...``) 404;
  batch ``/albums?ids=``, ``/artists?ids=``, ``/tracks?ids=`` answer 403; removed fields
  (``REMOVED_FIELDS``) are stripped from tracks, albums and artists.
- ``"legacy"``: the older API: ``tracks`` paging object, items under ``track``, all
  fields kept, ``/tracks`` and ``/items`` pages of at most 100, batch endpoints work.

Error bodies are Spotify's: ``{"error": {"status": <int>, "message": <str>}}`` for the
Web API, ``{"error": <code>, "error_description": <str>}`` for the token endpoint.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import secrets
import socket
import struct
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

DIALECTS = ("2026", "legacy")

# Spotify's editorial/algorithmic playlists; development-mode apps get 404 for them since 2026.
EDITORIAL_PREFIX = "37i9dQZ"

# Fields the 2026 development-mode API no longer returns, per object type.
REMOVED_FIELDS = {
    "track": ("popularity", "available_markets", "linked_from"),
    "album": ("label", "popularity", "available_markets"),
    "artist": ("followers", "popularity", "genres"),
}

# Largest `limit` the playlist-items endpoints accept, per dialect.
MAX_ITEMS_LIMIT = {"2026": 50, "legacy": 100}
# Items embedded in `GET /playlists/{id}` (the first page), as Spotify does.
EMBEDDED_PAGE_LIMIT = 100
# Largest number of ids the legacy batch endpoints accept.
MAX_BATCH_IDS = {"albums": 20, "artists": 50, "tracks": 50}

TOKEN_PATH = "/api/token"
# The user the test tokens belong to (GET /v1/me), and the default owner of served playlists.
CURRENT_USER_ID = "test-user"
# Largest `limit` GET /v1/me/playlists accepts.
MAX_MY_PLAYLISTS_LIMIT = 50
TOKEN_SCOPE = "playlist-read-private playlist-read-collaborative"

_PLAYLIST_PATH = re.compile(r"^/v1/playlists/([^/]+)(?:/(items|tracks))?/?$")
_OBJECT_PATH = re.compile(r"^/v1/(albums|artists|tracks)/([^/]+)/?$")
_BATCH_PATH = re.compile(r"^/v1/(albums|artists|tracks)/?$")

_STATUS_MESSAGES = {
    400: "Bad request",
    401: "Invalid access token",
    403: "Forbidden",
    404: "Resource not found",
    405: "Method not allowed",
    429: "API rate limit exceeded",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


@dataclass
class RecordedRequest:
    """One request the server answered.

    ``path`` is without the query string (``"/v1/playlists/{id}/items"``, ``"/api/token"``);
    ``query`` maps each query parameter to its (last) value; ``status`` is the status
    answered; ``authorization`` is the raw ``Authorization`` header or None.
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    authorization: str | None


@dataclass
class CannedResponse:
    """One injected answer (see ``SpotifyTestServer.inject``).

    ``body``: a dict/list is sent as JSON; ``str``/``bytes`` as they are (text/plain
    unless ``headers`` sets Content-Type); None sends an empty body. ``headers`` are
    sent as given (e.g. ``{"Retry-After": "2"}``). ``delay_s`` is slept before answering,
    to provoke client timeouts.

    Transport faults (the announced ``Content-Length`` is always the whole body's):
    ``trickle_s`` sends the body one byte every ``trickle_s`` seconds; ``cut_after`` sends
    only that many bytes of the body and then closes the connection (a body cut short),
    with a TCP reset instead of a normal close when ``reset`` is true.
    """

    status: int = 200
    body: dict | list | str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    trickle_s: float = 0.0
    cut_after: int | None = None
    reset: bool = False


@dataclass
class _Reply(CannedResponse):
    """An answer ready to send: a ``CannedResponse`` whose ``body`` is already bytes."""

    body: bytes = b""


@dataclass
class _Playlist:
    metadata: dict  # the playlist object without its paging object
    items: list[dict]  # items already shaped for the server's dialect


def spotify_error(status: int, message: str | None = None, reason: str | None = None) -> dict:
    """Spotify's Web API error body: ``{"error": {"status", "message"[, "reason"]}}``."""
    error: dict = {"status": status, "message": message or _STATUS_MESSAGES.get(status, "Error")}
    if reason:
        error["reason"] = reason
    return {"error": error}


def _json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> _Reply:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return _Reply(status, data, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def _error_reply(status: int, message: str | None = None) -> _Reply:
    return _json_reply(status, spotify_error(status, message))


def _token_error(error: str, description: str) -> _Reply:
    return _json_reply(400, {"error": error, "error_description": description})


def strip_removed_fields(obj: object, kind: str) -> object:
    """A copy of ``obj`` (a track, album or artist) without the 2026-removed fields, nested objects included."""
    if not isinstance(obj, dict):
        return obj
    out = {k: v for k, v in obj.items() if k not in REMOVED_FIELDS[kind]}
    if kind in ("track", "album") and isinstance(out.get("artists"), list):
        out["artists"] = [strip_removed_fields(a, "artist") for a in out["artists"]]
    if kind == "track" and isinstance(out.get("album"), dict):
        out["album"] = strip_removed_fields(out["album"], "album")
    return out


def _item_object(item: dict) -> object:
    """The track/episode of a recorded item, whichever key (``item`` or ``track``) holds it."""
    return item["item"] if "item" in item else item.get("track")


def _select_top_level(obj: dict, fields: str, paging_key: str) -> dict:
    """Apply Spotify's ``fields`` filter at the top level only.

    Nested selections (``owner(id)``, ``items.total``) return the named top-level field
    whole. ``items`` and ``tracks`` both select the paging object, whatever the dialect
    names it.
    """
    names, depth, current = set(), 0, ""
    for ch in fields + ",":
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0 and ch == ",":
            names.add(re.split(r"[.(]", current.strip(), maxsplit=1)[0])
            current = ""
        else:
            current += ch
    if names & {"items", "tracks"}:
        names.add(paging_key)
    return {k: v for k, v in obj.items() if k in names}


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so stopping never waits on idle keep-alive sockets.
    protocol_version = "HTTP/1.0"
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.owner._dispatch(method, self.path, self.headers, body)
        if reply.delay_s and self.server.owner._stopping.wait(reply.delay_s):
            return  # the server is stopping: drop the answer
        self.send_response(reply.status)
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
        if reply.trickle_s:
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                if self.server.owner._stopping.wait(reply.trickle_s):
                    return
        else:
            self.wfile.write(body)
        if reply.cut_after is not None:
            self.wfile.flush()
            if reply.reset:  # SO_LINGER 0: close() sends a TCP reset instead of a FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # tests read `server.requests`, not stderr


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: SpotifyTestServer

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout) breaks the pipe; anything else is kept for the test to see.
        err = traceback.format_exc()
        if "BrokenPipeError" not in err and "ConnectionResetError" not in err:
            self.owner.errors.append(err)


class SpotifyTestServer:
    """The Spotify Web API (``/v1/...``) and token endpoint (``/api/token``) on 127.0.0.1.

    Use as a context manager (``with SpotifyTestServer() as server:``) or call
    ``start()``/``stop()``. ``api_base_url`` (``"http://127.0.0.1:PORT/v1/"``),
    ``token_url`` (``"http://127.0.0.1:PORT/api/token"``) and ``port`` are set once started.

    Attributes: ``requests`` (every ``RecordedRequest`` in the order answered, token
    requests included), ``issued_access_tokens`` (in order), ``errors`` (tracebacks of
    server bugs; empty in a good run), ``max_items_limit`` (largest page ``limit``).

    Request handling order: injected answers (``inject``), then the bearer token for
    ``/v1/`` paths, then ``restrict_playlist``/editorial 404s, then the routes, whose
    answers ``slow_down`` may delay.
    """

    def __init__(
        self,
        dialect: str = "2026",
        client_id: str = "test-client-id",
        client_secret: str = "test-client-secret",
        refresh_token: str = "test-refresh-token",
        token_lifetime_s: int = 3600,
    ):
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
        self.dialect = dialect
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.token_lifetime_s = token_lifetime_s
        self.max_items_limit = MAX_ITEMS_LIMIT[dialect]
        self.requests: list[RecordedRequest] = []
        self.issued_access_tokens: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._token_expiry: dict[str, float] = {}  # access token -> time.time() it expires
        self._refresh_revoked = False
        self._injections: list[tuple[re.Pattern, deque[CannedResponse]]] = []
        self._slow: list[tuple[re.Pattern, float]] = []
        self._restricted: dict[str, int] = {}
        self._playlists: dict[str, _Playlist] = {}
        self._objects: dict[str, dict[str, dict]] = {"albums": {}, "artists": {}, "tracks": {}}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> SpotifyTestServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("SpotifyTestServer already started")
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="spotify-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (delayed answers still sleeping are dropped).

        ``shutdown`` waits for the serving loop's next poll: every 10 ms (the tests stop about
        a hundred servers in a session)."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SpotifyTestServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only while started)."""
        if self._httpd is None:
            raise RuntimeError("SpotifyTestServer is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """``"http://127.0.0.1:PORT/v1/"``: set it as spotipy's ``Spotify.prefix``."""
        return f"{self.base_url}/v1/"

    @property
    def token_url(self) -> str:
        """``"http://127.0.0.1:PORT/api/token"``: set it as the auth manager's ``OAUTH_TOKEN_URL``."""
        return f"{self.base_url}{TOKEN_PATH}"

    def api_requests(self) -> list[RecordedRequest]:
        """The recorded ``/v1/`` requests (token requests left out)."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/v1/")]

    # -- content -----------------------------------------------------------------------

    def add_playlist(
        self,
        playlist_id: str,
        items: list[dict],
        name: str = "Test playlist",
        snapshot_id: str | None = None,
        **metadata: object,
    ) -> None:
        """Serve a playlist (replacing one with the same id).

        ``items``: playlist items as recorded, each ``{"added_at", "track" or "item":
        {...} | None, ...}`` (either key; ``item`` wins when both are present). They are
        copied and re-shaped for the dialect: the object goes under ``item`` (2026, with
        removed fields stripped) or ``track`` (legacy). ``snapshot_id`` defaults to a hash
        of the items. ``metadata`` overrides/extends the playlist object's fields
        (``owner``, ``description``, ``public``, ``collaborative``, ``followers``, ...).
        Tracks, albums and artists with ids become readable at ``/v1/tracks|albums|artists/{id}``.
        """
        if snapshot_id is None:
            digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
            snapshot_id = base64.urlsafe_b64encode(bytes.fromhex(digest)).decode()[:32]
        # Shaped, then copied: the server shares no object with the caller, and the copy
        # skips what the 2026 dialect strips (available_markets is most of a recording).
        shaped = copy.deepcopy([self._shape_item(item) for item in items])
        owner_id = CURRENT_USER_ID
        playlist = {
            "collaborative": False,
            "description": "",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist_id}"},
            "followers": {"href": None, "total": 0},
            "href": f"https://api.spotify.com/v1/playlists/{playlist_id}",
            "id": playlist_id,
            "images": [],
            "name": name,
            "owner": {
                "display_name": owner_id,
                "external_urls": {"spotify": f"https://open.spotify.com/user/{owner_id}"},
                "href": f"https://api.spotify.com/v1/users/{owner_id}",
                "id": owner_id,
                "type": "user",
                "uri": f"spotify:user:{owner_id}",
            },
            "primary_color": None,
            "public": True,
            "snapshot_id": snapshot_id,
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist_id}",
            **metadata,
        }
        with self._lock:
            self._playlists[playlist_id] = _Playlist(playlist, shaped)
            for item in shaped:
                self._collect(item.get("item" if self.dialect == "2026" else "track"))

    def _shape_item(self, item: dict) -> dict:
        obj = _item_object(item)
        rest = {k: v for k, v in item.items() if k not in ("item", "track")}
        if self.dialect == "2026":
            return {**rest, "item": strip_removed_fields(obj, "track") if isinstance(obj, dict) else obj}
        return {**rest, "track": obj}

    def _collect(self, obj: object) -> None:
        """Index a served track and its album and artists by id (first seen wins, later copies fill gaps)."""
        if not isinstance(obj, dict):
            return

        def put(kind: str, o: object) -> None:
            if isinstance(o, dict) and isinstance(o.get("id"), str) and o["id"]:
                known = self._objects[kind].setdefault(o["id"], {})
                for k, v in o.items():
                    known.setdefault(k, v)

        if obj.get("type", "track") == "track":
            put("tracks", obj)
        album = obj.get("album")
        put("albums", album)
        artists = list(obj.get("artists") or [])
        if isinstance(album, dict):
            artists += album.get("artists") or []
        for artist in artists:
            put("artists", artist)

    def add_objects(self, kind: str, objects: list[dict]) -> None:
        """Serve full objects (``kind``: ``albums``, ``artists`` or ``tracks``) at
        ``/v1/{kind}/{id}`` and in batch answers, replacing what ``add_playlist`` indexed
        for their ids; the 2026 dialect strips the removed fields (``REMOVED_FIELDS``)."""
        singular = kind[:-1]
        with self._lock:
            for obj in copy.deepcopy(objects):
                self._objects[kind][obj["id"]] = strip_removed_fields(obj, singular) if self.dialect == "2026" else obj

    def restrict_playlist(self, playlist_id: str, status: int) -> None:
        """Answer every request about this playlist with ``status`` and Spotify's error body.

        403 is what a development-mode app gets for a playlist the user neither owns nor
        collaborates on; 404 for editorial playlists or unknown ids.
        """
        with self._lock:
            self._restricted[playlist_id] = status

    def inject(self, path_regex: str, *responses: CannedResponse) -> None:
        """Queue answers for requests whose path (no query) matches ``path_regex`` (``re.search``).

        They are consumed in order, one per matching request, before any other handling
        (no token check); then normal handling resumes. ``"/api/token"`` targets the token
        endpoint, e.g. ``inject(r"/items$", CannedResponse(429, {...}, {"Retry-After": "2"}))``.
        """
        with self._lock:
            self._injections.append((re.compile(path_regex), deque(responses)))

    def slow_down(self, path_regex: str, delay_s: float) -> None:
        """Delay every normal answer (not injected ones) to requests whose path matches
        ``path_regex`` by ``delay_s`` seconds, e.g. to make many slow pages."""
        with self._lock:
            self._slow.append((re.compile(path_regex), delay_s))

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers 401 "The access token expired"."""
        with self._lock:
            for token in self._token_expiry:
                self._token_expiry[token] = 0.0

    def revoke_refresh_token(self) -> None:
        """The refresh-token grant now answers 400 ``invalid_grant`` "Refresh token revoked"."""
        with self._lock:
            self._refresh_revoked = True

    # -- request handling --------------------------------------------------------------

    def _dispatch(self, method: str, raw_path: str, headers, body: bytes) -> _Reply:
        parts = urlsplit(raw_path)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        authorization = headers.get("Authorization")
        try:
            reply = self._route(method, path, query, authorization, body)
        except Exception:  # a bug in this server: answer 500 and keep the traceback for the test
            self.errors.append(traceback.format_exc())
            reply = _error_reply(500, "SpotifyTestServer internal error (see server.errors)")
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, reply.status, authorization))
        return reply

    def _route(self, method: str, path: str, query: dict[str, str], authorization: str | None, body: bytes) -> _Reply:
        canned = self._take_injection(path)
        if canned is not None:
            return canned
        reply = self._route_normally(method, path, query, authorization, body)
        with self._lock:
            reply.delay_s += sum(delay for pattern, delay in self._slow if pattern.search(path))
        return reply

    def _route_normally(
        self, method: str, path: str, query: dict[str, str], authorization: str | None, body: bytes
    ) -> _Reply:
        if path == TOKEN_PATH:
            if method != "POST":
                return _error_reply(405)
            return self._token(authorization, dict(parse_qsl(body.decode("utf-8", "replace"))))
        if not path.startswith("/v1/"):
            return _error_reply(404, "Service not found")
        denied = self._check_bearer(authorization)
        if denied is not None:
            return denied
        if method != "GET":
            return _error_reply(405)

        if path.rstrip("/") == "/v1/me":
            return _json_reply(
                200,
                {
                    "id": CURRENT_USER_ID,
                    "display_name": CURRENT_USER_ID,
                    "type": "user",
                    "uri": f"spotify:user:{CURRENT_USER_ID}",
                },
            )
        if path.rstrip("/") == "/v1/me/playlists":
            return self._my_playlists(query)
        if m := _PLAYLIST_PATH.match(path):
            return self._playlist_request(m.group(1), m.group(2), query)
        if m := _OBJECT_PATH.match(path):
            return self._object(m.group(1), m.group(2))
        if m := _BATCH_PATH.match(path):
            return self._batch(m.group(1), query)
        return _error_reply(404, "Service not found")

    def _take_injection(self, path: str) -> _Reply | None:
        with self._lock:
            for pattern, queue in self._injections:
                if queue and pattern.search(path):
                    canned = queue.popleft()
                    break
            else:
                return None
        body, headers = canned.body, dict(canned.headers)
        if body is None:
            data = b""
        elif isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        else:
            data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return _Reply(canned.status, data, headers, canned.delay_s, canned.trickle_s, canned.cut_after, canned.reset)

    # Emulates POST https://accounts.spotify.com/api/token (client credentials and refresh token grants).
    def _token(self, authorization: str | None, form: dict[str, str]) -> _Reply:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _token_error("invalid_client", "Invalid client")
        if client_id != self.client_id or client_secret != self.client_secret:
            return _token_error("invalid_client", "Invalid client")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if not form.get("refresh_token"):
                return _token_error("invalid_request", "refresh_token must be supplied")
            if self._refresh_revoked:
                return _token_error("invalid_grant", "Refresh token revoked")
            if form["refresh_token"] != self.refresh_token:
                return _token_error("invalid_grant", "Invalid refresh token")
        elif grant != "client_credentials":
            return _token_error(
                "unsupported_grant_type", f"grant_type must be client_credentials or refresh_token, not {grant!r}"
            )
        token = "test-access-" + secrets.token_urlsafe(24)  # random, so never reused
        with self._lock:
            self._token_expiry[token] = time.time() + self.token_lifetime_s
            self.issued_access_tokens.append(token)
        return _json_reply(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime_s, "scope": TOKEN_SCOPE},
        )

    def _check_bearer(self, authorization: str | None) -> _Reply | None:
        if not authorization or not authorization.startswith("Bearer "):
            message = "No token provided"
        else:
            with self._lock:
                expires = self._token_expiry.get(authorization[7:])
            if expires is None:
                message = "Invalid access token"
            elif expires <= time.time():
                message = "The access token expired"
            else:
                return None
        reply = _error_reply(401, message)
        reply.headers["WWW-Authenticate"] = (
            f'Bearer realm="spotify", error="invalid_token", error_description="{message}"'
        )
        return reply

    # Emulates GET /v1/playlists/{id}, /v1/playlists/{id}/items and /v1/playlists/{id}/tracks.
    def _playlist_request(self, playlist_id: str, sub: str | None, query: dict[str, str]) -> _Reply:
        with self._lock:
            restricted = self._restricted.get(playlist_id)
            playlist = self._playlists.get(playlist_id)
        if restricted is not None:
            return _error_reply(restricted)
        if self.dialect == "2026" and playlist_id.startswith(EDITORIAL_PREFIX):
            return _error_reply(404)  # development-mode apps cannot read editorial playlists
        if self.dialect == "2026" and sub == "tracks":
            return _error_reply(403)  # the old endpoint is closed to development-mode apps
        if playlist is None:
            return _error_reply(404)
        paging_key = "items" if self.dialect == "2026" else "tracks"

        if sub is None:
            obj = dict(playlist.metadata)
            fields = query.get("fields")
            obj[paging_key] = self._page(playlist, paging_key, 0, EMBEDDED_PAGE_LIMIT, {})
            if fields:
                obj = _select_top_level(obj, fields, paging_key)
            return _json_reply(200, obj)

        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            limit = -1
        if not 0 <= limit <= self.max_items_limit:
            return _error_reply(400, "Invalid limit")
        try:
            offset = int(query.get("offset", "0"))
        except ValueError:
            offset = -1
        if offset < 0:
            return _error_reply(400, "Invalid offset")
        extra = {k: v for k, v in query.items() if k not in ("limit", "offset")}
        return _json_reply(200, self._page(playlist, sub, offset, limit, extra))

    def _page(self, playlist: _Playlist, sub: str, offset: int, limit: int, extra: dict[str, str]) -> dict:
        """Spotify's paging object; ``href``/``next``/``previous`` point back at this server."""
        total = len(playlist.items)
        base = f"{self.api_base_url}playlists/{playlist.metadata['id']}/{sub}"

        def url(at: int) -> str:
            return f"{base}?{urlencode({'offset': at, 'limit': limit, **extra})}"

        has_next = limit > 0 and offset + limit < total
        return {
            "href": url(offset),
            "items": playlist.items[offset : offset + limit],
            "limit": limit,
            "next": url(offset + limit) if has_next else None,
            "offset": offset,
            "previous": url(max(offset - limit, 0)) if offset > 0 else None,
            "total": total,
        }

    # Emulates GET /v1/me/playlists: every served playlist, as if the user owned or followed it
    # (its `owner` says which), as simplified playlist objects: `tracks` {href, total}, and in
    # the 2026 dialect `items` {href, total} too (both, as recorded in 2026).
    def _my_playlists(self, query: dict[str, str]) -> _Reply:
        try:
            limit, offset = int(query.get("limit", "20")), int(query.get("offset", "0"))
        except ValueError:
            return _error_reply(400, "Invalid limit")
        if not 0 <= limit <= MAX_MY_PLAYLISTS_LIMIT or offset < 0:
            return _error_reply(400, "Invalid limit")
        with self._lock:
            playlists = list(self._playlists.values())
        simplified = []
        for playlist in playlists:
            obj = {k: v for k, v in playlist.metadata.items() if k not in ("followers", "tracks", "items")}
            counts = {"href": f"{self.api_base_url}playlists/{obj['id']}/tracks", "total": len(playlist.items)}
            obj["tracks"] = counts
            if self.dialect == "2026":
                obj["items"] = {**counts, "href": f"{self.api_base_url}playlists/{obj['id']}/items"}
            simplified.append(obj)
        base = f"{self.api_base_url}me/playlists"
        has_next = limit > 0 and offset + limit < len(simplified)
        return _json_reply(
            200,
            {
                "href": f"{base}?{urlencode({'offset': offset, 'limit': limit})}",
                "items": simplified[offset : offset + limit],
                "limit": limit,
                "next": f"{base}?{urlencode({'offset': offset + limit, 'limit': limit})}" if has_next else None,
                "offset": offset,
                "previous": None,
                "total": len(simplified),
            },
        )

    # Emulates GET /v1/albums/{id}, /v1/artists/{id}, /v1/tracks/{id}.
    def _object(self, kind: str, object_id: str) -> _Reply:
        with self._lock:
            obj = self._objects[kind].get(object_id)
        if obj is None:
            return _error_reply(404)
        return _json_reply(200, obj)

    # Emulates GET /v1/albums?ids=, /v1/artists?ids=, /v1/tracks?ids= (gone for development mode in 2026).
    def _batch(self, kind: str, query: dict[str, str]) -> _Reply:
        if self.dialect == "2026":
            return _error_reply(403)
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not ids:
            return _error_reply(400, "invalid id")
        if len(ids) > MAX_BATCH_IDS[kind]:
            return _error_reply(400, "Too many ids requested")
        with self._lock:
            found = [self._objects[kind].get(i) for i in ids]
        return _json_reply(200, {kind: found})
