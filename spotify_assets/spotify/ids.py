"""Spotify ids: validation and parsing of the configured playlist list.

Spotify ids are base-62 strings (22 characters in practice). They end up in lake paths
(``.../playlist_id=<id>/...``) and in API URLs, so anything else is refused here: this is
what keeps a configured value such as ``../x`` from writing outside the lake root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "BASE62_ID",
    "MY_PLAYLISTS",
    "InvalidSpotifyIdError",
    "PlaylistSelection",
    "validate_spotify_id",
    "parse_playlist_ids",
    "parse_playlist_selection",
]

BASE62_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")  # Spotify ids are base-62 (22 chars in practice)

# Entries of the configured list are separated by commas and/or whitespace (newlines in
# a YAML block or an env file are common).
_SEPARATORS = re.compile(r"[,\s]+")
_URI_PREFIX = "spotify:playlist:"


class InvalidSpotifyIdError(ValueError):
    """A value that is not a Spotify id (base-62, 1 to 64 characters)."""


def validate_spotify_id(value: str, kind: str = "playlist") -> str:
    """Return ``value`` unchanged when it is a Spotify id, else raise.

    ``kind`` only words the message ("playlist", "track", ...).

    Raises ``InvalidSpotifyIdError`` e.g. ``invalid playlist id '../x': Spotify ids are
    base-62 ([0-9A-Za-z]), 1 to 64 characters (22 in practice)``.
    """
    # fullmatch, not match: with a `$` pattern, match() would accept a trailing newline.
    if isinstance(value, str) and BASE62_ID.fullmatch(value):
        return value
    raise InvalidSpotifyIdError(
        f"invalid {kind} id {value!r}: Spotify ids are base-62 ([0-9A-Za-z]), 1 to 64 characters (22 in practice)"
    )


def _id_from_entry(entry: str) -> str:
    """The playlist id inside one entry: a bare id, a ``spotify:playlist:`` URI or an open.spotify.com URL."""
    if entry.startswith(_URI_PREFIX):
        return entry[len(_URI_PREFIX) :]
    if "://" in entry or entry.startswith("open.spotify.com/"):
        url = urlsplit(entry if "://" in entry else "https://" + entry)
        segments = [s for s in url.path.split("/") if s]
        # /playlist/{id}, also /intl-xx/playlist/{id} and /user/{u}/playlist/{id}
        if "playlist" in segments[:-1]:
            return segments[segments.index("playlist") + 1]
    return entry


def parse_playlist_ids(value: str) -> list[str]:
    """Playlist ids from a configured list, validated, de-duplicated, in the given order.

    ``"id1, id2 ,spotify:playlist:id3, https://open.spotify.com/playlist/id4?si=..."``
    gives ``["id1", "id2", "id3", "id4"]``. Entries are separated by commas and/or
    whitespace; empty entries are ignored (``""`` gives ``[]``).

    Raises ``InvalidSpotifyIdError`` naming the first entry that holds no valid id.
    """
    ids: list[str] = []
    seen: set[str] = set()
    for entry in _SEPARATORS.split(value or ""):
        if not entry:
            continue
        candidate = _id_from_entry(entry)
        try:
            validate_spotify_id(candidate)
        except InvalidSpotifyIdError as err:
            if candidate != entry:
                raise InvalidSpotifyIdError(f"{err} (in entry {entry!r})") from None
            raise
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)
    return ids


# The SPOTIFY_PLAYLIST_IDS entry for every playlist the authorising user owns or collaborates on.
MY_PLAYLISTS = "me"


@dataclass(frozen=True)
class PlaylistSelection:
    """``SPOTIFY_PLAYLIST_IDS`` read: ``mine`` when it holds the entry ``me`` (every playlist
    the authorising user owns or collaborates on, from ``GET /me/playlists``), and the
    explicit playlist ``ids`` beside it, validated, in the given order."""

    mine: bool
    ids: list[str]


def parse_playlist_selection(value: str) -> PlaylistSelection:
    """``"me, 37i9dQZF1DXcBWIGoYBM5M"`` gives ``PlaylistSelection(mine=True, ids=[...])``;
    the entry ``me`` is case-insensitive. Raises ``InvalidSpotifyIdError`` as
    :func:`parse_playlist_ids` does for the other entries."""
    entries = [entry for entry in _SEPARATORS.split(value or "") if entry]
    mine = any(entry.lower() == MY_PLAYLISTS for entry in entries)
    return PlaylistSelection(mine, parse_playlist_ids(" ".join(e for e in entries if e.lower() != MY_PLAYLISTS)))
