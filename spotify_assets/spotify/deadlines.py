"""Deadlines of an extraction: per request (the whole answer, body included), per
playlist and per run, on the monotonic clock (seconds).

The client asks :meth:`Deadlines.for_request` before each HTTP request (the earliest of
the three deadlines bounds it), :meth:`Deadlines.check` before each attempt and
:meth:`Deadlines.check_wait` before each retry sleep, so that neither a slow answer nor a
backoff can outlive the playlist's or the run's deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from spotify_assets.spotify.errors import SpotifyDeadlineError

# The settings that set each deadline, named in every message about it.
DEADLINE_SETTINGS = {
    "request": "SPOTIFY_REQUEST_DEADLINE_S",
    "playlist": "SPOTIFY_PLAYLIST_DEADLINE_S",
    "run": "SPOTIFY_RUN_DEADLINE_S",
}


@dataclass(frozen=True)
class Deadline:
    """One deadline: ``name`` (``request``, ``playlist`` or ``run``), its length
    ``seconds`` and the monotonic time ``at`` which it passes."""

    name: str
    seconds: float
    at: float

    def remaining_s(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()

    def describe(self) -> str:
        """``"the playlist deadline of 600 s (SPOTIFY_PLAYLIST_DEADLINE_S)"``"""
        return f"the {self.name} deadline of {self.seconds:g} s ({DEADLINE_SETTINGS[self.name]})"

    def error(self, what: str, request: str | None = None) -> SpotifyDeadlineError:
        """The error saying this deadline was hit while doing ``what``."""
        return SpotifyDeadlineError(f"{what}: {self.describe()} was hit", self.name, request)


class Deadlines:
    """The run's deadline (from construction) and the current playlist's (from
    :meth:`start_playlist`; none before the first playlist)."""

    def __init__(self, request_s: float, playlist_s: float, run_s: float) -> None:
        for name, seconds in (("request", request_s), ("playlist", playlist_s), ("run", run_s)):
            if not seconds > 0:
                raise ValueError(f"{DEADLINE_SETTINGS[name]}={seconds!r}: expected a number of seconds greater than 0")
        self.request_s = request_s
        self.playlist_s = playlist_s
        self.run = Deadline("run", run_s, time.monotonic() + run_s)
        self.playlist: Deadline | None = None

    def start_playlist(self) -> None:
        """Start the deadline of the next playlist (now + ``playlist_s``)."""
        self.playlist = Deadline("playlist", self.playlist_s, time.monotonic() + self.playlist_s)

    def _outer(self) -> Deadline:
        """The earlier of the playlist's and the run's deadline."""
        if self.playlist is not None and self.playlist.at < self.run.at:
            return self.playlist
        return self.run

    def for_request(self) -> Deadline:
        """The deadline of a request starting now: its own, or the playlist's or run's if earlier."""
        own = Deadline("request", self.request_s, time.monotonic() + self.request_s)
        outer = self._outer()
        return own if own.at <= outer.at else outer

    def check(self, what: str, request: str | None = None) -> None:
        """Raise ``SpotifyDeadlineError`` if the playlist's or the run's deadline has passed."""
        outer = self._outer()
        if outer.remaining_s() <= 0:
            raise outer.error(what, request)

    def check_wait(self, what: str, reason: str, wait_s: float, request: str | None = None) -> None:
        """Raise ``SpotifyDeadlineError`` (saying ``reason``, the fault that asked for the
        wait) if waiting ``wait_s`` seconds would pass the playlist's or the run's deadline,
        so a retry sleep never outlives them."""
        outer = self._outer()
        if outer.remaining_s() <= wait_s:
            raise SpotifyDeadlineError(
                f"{what}: {reason}; a retry in {wait_s:g} s would pass {outer.describe()}; not retried",
                outer.name,
                request,
            )
