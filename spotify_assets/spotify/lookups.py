"""Optional album and artist look-ups: the full objects behind a playlist's tracks.

The items of ``GET /playlists/{id}/items`` carry *simplified* albums and artists. The
full objects (``GET /albums/{id}``, ``GET /artists/{id}``) add, for artists, ``images``
and, outside development mode, ``genres``, ``followers`` and ``popularity``; for albums,
outside development mode, ``label``. They cost requests: with the batch endpoints (20
albums or 50 artists a request) where they work, one request per id where they answer
403 (development mode since 2026). So they are off by default (``SPOTIFY_LOOKUPS``) and,
when on, made at most once per id per run.

An extractor with look-ups adds them to the raw object it stores, beside ``items``::

    "lookups": {"albums": [<full album without tracks, available_markets>, ...],
                "artists": [<full artist>, ...]}

(only the kinds looked up; ids Spotify does not know are left out).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from spotify_assets.spotify.raw_parsing import classify_item, item_track

LOOKUP_KINDS = ("albums", "artists")
# Dropped from stored album objects: the album's own track list (up to 50 full tracks)
# and the market list, which the tables do not use and which would multiply the size.
ALBUM_FIELDS_DROPPED = ("tracks", "available_markets")


class LookupClient(Protocol):
    """What look-ups need from a client (``SpotifyClient.look_up``)."""

    def look_up(self, kind: str, ids: Sequence[str]) -> dict[str, dict | None]: ...


def parse_lookup_kinds(text: str) -> frozenset[str]:
    """The kinds named by ``SPOTIFY_LOOKUPS``: ``"none"`` or empty gives none, otherwise a
    comma-separated list of ``albums`` and ``artists``.

    Raises ``ValueError`` naming the setting and the accepted values.
    """
    words = [w.strip().lower() for w in (text or "").split(",") if w.strip()]
    if words in ([], ["none"]):
        return frozenset()
    unknown = [w for w in words if w not in LOOKUP_KINDS]
    if unknown:
        raise ValueError(
            f"SPOTIFY_LOOKUPS={text!r}: unknown kind {', '.join(map(repr, unknown))}; "
            f"expected 'none' or a comma-separated list of {', '.join(LOOKUP_KINDS)}"
        )
    return frozenset(words)


def lookup_ids(items: Iterable[object]) -> dict[str, list[str]]:
    """The album ids and artist ids of a playlist's songs, each once, in first-seen order:
    ``{"albums": [...], "artists": [...]}`` (artists credited on the track or its album).

    A song is what the tables count as one (``raw_parsing.classify_item``): null items,
    episodes and local files are passed over. So is a malformed item, and any id that is
    not a non-empty string: a broken item never stops the look-ups (the tables report it).
    """
    albums: dict[str, None] = {}
    artists: dict[str, None] = {}

    def add_artists(credits: object) -> None:
        for artist in credits if isinstance(credits, list) else ():
            artist_id = artist.get("id") if isinstance(artist, dict) else None
            if isinstance(artist_id, str) and artist_id:
                artists[artist_id] = None

    for item in items:
        if classify_item(item) is not None:
            continue
        track = item_track(item)
        add_artists(track.get("artists"))
        album = track.get("album")
        if isinstance(album, dict):
            album_id = album.get("id")
            if isinstance(album_id, str) and album_id:
                albums[album_id] = None
            add_artists(album.get("artists"))
    return {"albums": list(albums), "artists": list(artists)}


class LookupCache:
    """Looks up full album and artist objects through ``client``, each id at most once
    for the life of the cache (one ``raw_playlist`` run), whichever playlists name it.

    ``kinds``: a subset of :data:`LOOKUP_KINDS`. Errors of the client propagate (see
    :mod:`spotify_assets.spotify.errors`); ids Spotify does not know are remembered as
    such and not asked again.
    """

    def __init__(self, client: LookupClient, kinds: Iterable[str], log: logging.Logger | None = None) -> None:
        self.client = client
        wanted = set(kinds)
        self.kinds = tuple(kind for kind in LOOKUP_KINDS if kind in wanted)
        self.log = log or logging.getLogger(__name__)
        self._objects: dict[str, dict[str, dict | None]] = {kind: {} for kind in self.kinds}

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind, the ids looked up so far: ``{"albums": {"found": n, "unknown": m}, ...}``."""
        return {
            kind: {
                "found": sum(o is not None for o in known.values()),
                "unknown": sum(o is None for o in known.values()),
            }
            for kind, known in self._objects.items()
        }

    def lookups_for(self, playlist_id: str, items: Sequence[object]) -> dict[str, list[dict]]:
        """The ``lookups`` record of a raw object for these items: per configured kind, the
        full objects of the items' ids that Spotify knows, in first-seen order (albums
        without :data:`ALBUM_FIELDS_DROPPED`)."""
        wanted = lookup_ids(items)
        record: dict[str, list[dict]] = {}
        for kind in self.kinds:
            known = self._objects[kind]
            missing = [i for i in wanted[kind] if i not in known]
            if missing:
                self.log.info(
                    f"playlist {playlist_id}: looking up {len(missing)} {kind} ({len(wanted[kind]) - len(missing)} already looked up in this run)"
                )
                known.update(self.client.look_up(kind, missing))
            objects = [known[i] for i in wanted[kind] if known.get(i) is not None]
            if kind == "albums":
                objects = [{k: v for k, v in o.items() if k not in ALBUM_FIELDS_DROPPED} for o in objects]
            record[kind] = objects
        return record
