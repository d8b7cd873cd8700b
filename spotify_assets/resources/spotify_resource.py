"""``SpotifyResource``: the Spotify Web API (through spotipy) as a Dagster resource."""

from __future__ import annotations

import logging
from datetime import date

import dagster as dg
from pydantic import Field

from spotify_assets.settings import SPOTIFY_CREDENTIALS, spotify_credentials_problem
from spotify_assets.spotify.client import (
    DEFAULT_PLAYLIST_DEADLINE_S,
    DEFAULT_REQUEST_DEADLINE_S,
    DEFAULT_RUN_DEADLINE_S,
    SpotifyClient,
)
from spotify_assets.spotify.extract import PAGE_SIZE, PlaylistReader
from spotify_assets.spotify.ids import PlaylistSelection, parse_playlist_ids, parse_playlist_selection
from spotify_assets.spotify.lookups import parse_lookup_kinds
from spotify_assets.spotify.offline_sample import OfflineSampleReader


class SpotifyResource(dg.ConfigurableResource):
    """Client credentials and, optionally, a user's refresh token for the Spotify Web API.

    Without ``client_id``/``client_secret`` the resource is *offline*: readers serve the
    synthetic sample playlist shipped in the package, as it stands on any given day. Secrets come in through
    ``dg.EnvVar`` (see ``definitions.py``) so they never appear in run config.
    Since 2026 development-mode apps read items only of playlists the authorising user
    owns or collaborates on: set ``refresh_token`` for that user.
    """

    client_id: str | None = Field(default=None, description="SPOTIFY_CLIENT_ID")
    client_secret: str | None = Field(default=None, description="SPOTIFY_CLIENT_SECRET (secret)")
    refresh_token: str | None = Field(default=None, description="SPOTIFY_REFRESH_TOKEN (secret)")
    api_base_url: str = Field(default="https://api.spotify.com/v1/", description="SPOTIFY_API_BASE_URL")
    token_url: str = Field(default="https://accounts.spotify.com/api/token", description="SPOTIFY_TOKEN_URL")
    playlist_ids: str = Field(default="", description="SPOTIFY_PLAYLIST_IDS: comma-separated ids, URIs or URLs")
    lookups: str = Field(
        default="none", description="SPOTIFY_LOOKUPS: none, or albums and/or artists (comma-separated)"
    )
    page_size: int = Field(default=PAGE_SIZE, description="items per page request (the API's maximum is 50)")
    max_retry_after_s: float = Field(default=60.0, description="longest 429 Retry-After to wait for, seconds")
    max_attempts: int = Field(default=4, description="attempts per request for 429, 5xx and timeouts")
    backoff_s: float = Field(default=1.0, description="first backoff for 5xx/timeouts, seconds (doubles)")
    request_timeout_s: float = Field(
        default=10.0, description="longest wait for any one socket read of a request, seconds"
    )
    request_deadline_s: float = Field(
        default=DEFAULT_REQUEST_DEADLINE_S,
        gt=0,
        description="SPOTIFY_REQUEST_DEADLINE_S: total time of one request, body included, seconds",
    )
    playlist_deadline_s: float = Field(
        default=DEFAULT_PLAYLIST_DEADLINE_S,
        gt=0,
        description="SPOTIFY_PLAYLIST_DEADLINE_S: total time of one playlist (pages, retries, look-ups), seconds",
    )
    run_deadline_s: float = Field(
        default=DEFAULT_RUN_DEADLINE_S,
        gt=0,
        description="SPOTIFY_RUN_DEADLINE_S: total time of the extraction of all playlists in a run, seconds",
    )

    @property
    def is_offline(self) -> bool:
        """True when no client credentials are configured."""
        return not (self.client_id and self.client_secret)

    synthetic_allowed: bool = Field(
        default=True,
        description="whether the offline synthetic sample may be read without credentials (never on aws or an S3 lake)",
    )

    @property
    def plays_synthetic(self) -> bool:
        """True when the source is the synthetic sample: no credentials at all, and the
        sample is allowed (locally, on a local lake)."""
        return not self.client_id and not self.client_secret and self.synthetic_allowed

    def credentials_problem(self) -> str | None:
        """Why the credentials are only partly set (a half-configured app must not fall back
        to the offline sample), naming what is missing, as ``Settings`` says it at load; else None."""
        given = (self.client_id, self.client_secret, self.refresh_token)
        return spotify_credentials_problem({name: bool(value) for name, value in zip(SPOTIFY_CREDENTIALS, given)})

    def playlist_selection(self) -> PlaylistSelection:
        """``playlist_ids`` read: ``me`` (the user's own and collaborative playlists) and the
        explicit ids (raises ``InvalidSpotifyIdError``)."""
        return parse_playlist_selection(self.playlist_ids)

    def configured_playlist_ids(self) -> list[str]:
        """The validated ids of ``playlist_ids`` (raises ``InvalidSpotifyIdError``)."""
        return parse_playlist_ids(self.playlist_ids)

    def lookup_kinds(self) -> frozenset[str]:
        """The look-up kinds of ``lookups`` (raises ``ValueError`` naming SPOTIFY_LOOKUPS)."""
        return parse_lookup_kinds(self.lookups)

    def get_reader(self, log: logging.Logger | None = None, day: date | None = None) -> PlaylistReader:
        """A live :class:`SpotifyClient`, or when offline the :class:`OfflineSampleReader`
        playing the synthetic playlist as it stood on the UTC ``day`` (default today; the
        live API ignores ``day``: it serves only the current state)."""
        if self.is_offline:
            return OfflineSampleReader(day)
        return SpotifyClient(
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token or None,
            api_base_url=self.api_base_url,
            token_url=self.token_url,
            max_retry_after_s=self.max_retry_after_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
            request_timeout_s=self.request_timeout_s,
            request_deadline_s=self.request_deadline_s,
            playlist_deadline_s=self.playlist_deadline_s,
            run_deadline_s=self.run_deadline_s,
            log=log,
        )
