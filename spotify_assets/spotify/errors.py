"""Errors of the Spotify extraction. Messages name the playlist and say what to do; they
never contain a client secret, refresh token or access token.

``affects_all_playlists`` tells ``raw_playlist`` whether the error is about the app or
its credentials (every further request would fail the same way, so extraction stops)
or about one playlist (the others are still extracted). ``transient`` tells it whether
a later retry of the step may succeed (Dagster's RetryPolicy applies only then).
"""


class SpotifyExtractionError(Exception):
    """Base class: extraction of a playlist failed."""

    affects_all_playlists = False
    transient = False


class SpotifyPlaylistAccessError(SpotifyExtractionError):
    """403/404 on a playlist: not owned/collaborated by the authorising user, editorial, or gone."""


class SpotifyRequestError(SpotifyExtractionError):
    """Any other 4xx answer (e.g. 400 Bad Request): the request itself is wrong; not retried."""


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
    """5xx, connection errors, timeouts or unreadable 200 answers that outlived the bounded retries."""

    transient = True
