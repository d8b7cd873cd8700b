"""Errors of the Spotify extraction. Messages name the playlist and say what to do; they
never contain a client secret, refresh token or access token."""


class SpotifyExtractionError(Exception):
    """Base class: extraction of a playlist failed."""


class SpotifyPlaylistAccessError(SpotifyExtractionError):
    """403/404 on a playlist: not owned/collaborated by the authorising user, editorial, or gone."""


class SpotifyRateLimitError(SpotifyExtractionError):
    """429 whose Retry-After is longer than the configured maximum wait."""


class SpotifyQuotaExceededError(SpotifyExtractionError):
    """429 with ``"reason": "QUOTA_EXCEEDED"``: retrying will not help."""


class SpotifyAuthError(SpotifyExtractionError):
    """The token endpoint refused the credentials (e.g. ``invalid_grant`` on refresh)."""


class SpotifyTransientError(SpotifyExtractionError):
    """5xx, connection errors or timeouts that outlived the bounded retries."""
