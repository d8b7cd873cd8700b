"""Errors of the Spotify extraction. Messages name the playlist and say what to do; they
never contain a client secret, refresh token or access token, nor a full URL (a request
is named by its method and path only, in ``request``).

``affects_all_playlists`` tells ``raw_playlist`` whether the error is about the app or
its credentials (every further request would fail the same way, so extraction stops)
or about one playlist (the others are still extracted). ``transient`` tells it whether
a later retry of the step may succeed (Dagster's RetryPolicy applies only then).
"""


class SpotifyExtractionError(Exception):
    """Base class: extraction of a playlist failed.

    ``request``: the request that failed as ``"GET /v1/playlists/{id}/items"`` (method and
    path, no query, no host), or None when no request was involved.
    """

    affects_all_playlists = False
    transient = False

    def __init__(self, message: str, request: str | None = None) -> None:
        super().__init__(message)
        self.request = request


class SpotifyPlaylistAccessError(SpotifyExtractionError):
    """403/404 on a playlist: not owned/collaborated by the authorising user, editorial, or gone."""


class SpotifyRequestError(SpotifyExtractionError):
    """Any other 4xx answer (e.g. 400 Bad Request), or a 3xx redirect: the request itself is
    wrong or leads elsewhere; not retried."""


class SpotifyResponseError(SpotifyExtractionError):
    """An answer of the wrong shape (a page whose ``items`` is not a list, a ``next`` that is
    not a URL, a ``total`` that is not a count), a page already read, more pages than
    ``total`` allows, or an answer larger than the client accepts. Not retried: the same
    request would get the same answer."""


class SpotifyOriginError(SpotifyExtractionError):
    """A URL taken from an answer (``next``, a redirect's ``Location``) is not on the origin
    (scheme, host, port) of ``SPOTIFY_API_BASE_URL``. No request was sent to it: the access
    token goes only to the API's origin."""


class SpotifyDeadlineError(SpotifyExtractionError):
    """A deadline was hit: ``deadline`` is ``"request"`` (a retry may succeed), ``"playlist"``
    (this playlist fails) or ``"run"`` (extraction stops: every further playlist would hit it too)."""

    def __init__(self, message: str, deadline: str, request: str | None = None) -> None:
        super().__init__(message, request)
        self.deadline = deadline
        self.affects_all_playlists = deadline == "run"
        self.transient = deadline == "request"


class SpotifyUnexpectedError(SpotifyExtractionError):
    """An error the client does not know (an answer it could not read, or a bug): the
    playlist fails with the error's type named; not retried."""


class SpotifyRateLimitError(SpotifyExtractionError):
    """429 whose Retry-After is longer than the configured maximum wait (or 429 on every attempt)."""

    affects_all_playlists = True


class SpotifyQuotaExceededError(SpotifyExtractionError):
    """429 with ``"reason": "QUOTA_EXCEEDED"``: retrying will not help."""

    affects_all_playlists = True


class SpotifyAuthError(SpotifyExtractionError):
    """The token endpoint refused the credentials (e.g. ``invalid_grant`` on refresh), or the
    API rejected a freshly obtained access token."""

    affects_all_playlists = True


class SpotifyTransientError(SpotifyExtractionError):
    """5xx, connection errors, broken bodies, timeouts, request deadlines or unreadable 200
    answers that outlived the bounded retries."""

    transient = True
