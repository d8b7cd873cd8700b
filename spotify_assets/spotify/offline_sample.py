"""The offline default: a SYNTHETIC sample playlist (invented, not real Spotify data),
served page by page exactly as ``GET /playlists/{id}`` and ``GET /playlists/{id}/items``
would, so that extraction runs through the same code as the live path.

Two samples ship in the package (``sample_data/``):

- :func:`synthetic_playlist` (what the offline source plays): an invented playlist that
  evolves day by day, for any UTC date. Each day but Sunday its invented curator edits it:
  2 or 3 songs enter at the bottom, each climbs while its popularity rises, falls as it
  fades and leaves after 24 to 33 days; about 60 songs are on it on any day (51 to 73
  from 2020 to 2030: always more than one page of 50). A few prolific artists hold
  several songs, some songs feature a second artist, and an artist's songs of the same
  45-day era share an album. ``added_at`` is the day the
  song entered; ``snapshot_id`` changes with every edit, so Sunday repeats Saturday. It
  is a pure function of the date: the same date always gives the same playlist.
- :func:`load_sample_playlist`: a fixed 12-item playlist of edge cases (null item, local
  file, podcast episode, every release-date precision, a song listed twice), for tests.

Every id is invented, base62 and 22 characters, and starts ``0Synth`` (no real Spotify
id does), e.g. ``0SynthDaySong000012345``.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources

SAMPLE_FILE = "synthetic_playlist.json"
CATALOGUE_FILE = "synthetic_catalogue.json"
SOURCE = "synthetic-sample"  # extraction.source of every raw object the sample gives

API = "https://api.spotify.com/v1"
OPEN = "https://open.spotify.com"
SONGS_PER_DAY = 3  # at most this many songs enter on an edit day (2 or 3)
MIN_LIFETIME_DAYS = 24  # a song stays 24 to 33 days
LIFETIME_SPREAD_DAYS = 10
ALBUM_ERA_DAYS = 45  # an artist's songs that entered in the same era share an album
_MASK = (1 << 64) - 1
SUNDAY = 6  # date.weekday(): the curator does not edit on Sundays


def _read_sample_file(name: str) -> dict:
    text = resources.files("spotify_assets").joinpath("sample_data", name).read_text(encoding="utf-8")
    return json.loads(text)


def load_sample_playlist() -> dict:
    """The fixed edge-case sample playlist object (2026 shape, its 12 items in its ``items`` page)."""
    return _read_sample_file(SAMPLE_FILE)


@lru_cache(maxsize=1)
def _playlist_fields() -> str:
    """The sample's playlist object without its items, as JSON (the evolving playlist's
    id, name, owner and images; copied per call so callers may change theirs)."""
    return json.dumps({key: value for key, value in load_sample_playlist().items() if key != "items"})


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    """Word lists the invented names are drawn from (``sample_data/synthetic_catalogue.json``)."""
    return _read_sample_file(CATALOGUE_FILE)


def _draw(label: str, number: int) -> int:
    """A deterministic pseudo-random 64-bit int of ``label`` and ``number`` (stable across
    processes, unlike ``hash``): splitmix64's finaliser over both."""
    x = ((zlib.crc32(label.encode()) << 32) ^ number) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _edit_day(day: int) -> int:
    """The ordinal of the last edit on or before ordinal ``day`` (Sunday shows Saturday's list)."""
    return day - 1 if date.fromordinal(day).weekday() == SUNDAY else day


def _alive_songs(today: int) -> list[tuple[int, int, int]]:
    """``[(song number, entry day ordinal, lifetime in days)]`` of the songs on the list on
    edit day ``today``, in no particular order."""
    songs = []
    for entered in range(max(1, today - MIN_LIFETIME_DAYS - LIFETIME_SPREAD_DAYS), today + 1):
        if date.fromordinal(entered).weekday() == SUNDAY:
            continue
        for index in range(2 + _draw("entries", entered) % 2):
            number = entered * SONGS_PER_DAY + index
            lifetime = MIN_LIFETIME_DAYS + _draw("lifetime", number) % LIFETIME_SPREAD_DAYS
            if today < entered + lifetime:
                songs.append((number, entered, lifetime))
    return songs


def _popularity(number: int, entered: int, lifetime: int, today: int) -> float:
    """A hump over the song's stay: low when it enters, highest near mid-stay, low when it leaves."""
    peak = 0.35 + (_draw("peak", number) % 66) / 100
    return peak * math.sin(math.pi * (today - entered + 0.5) / lifetime)


def _artist_index(number: int) -> int:
    # The smaller of two draws favours the first artists: a few hold several songs at once.
    count = len(_catalogue()["artists"])
    return min(_draw("artist", number) % count, _draw("artist2", number) % count)


def _artist(index: int) -> dict:
    artist_id = f"0SynthDayArtist{index:07d}"
    return {
        "external_urls": {"spotify": f"{OPEN}/artist/{artist_id}"},
        "href": f"{API}/artists/{artist_id}",
        "id": artist_id,
        "name": _catalogue()["artists"][index],
        "type": "artist",
        "uri": f"spotify:artist:{artist_id}",
    }


def _album(artist: int, entered: int) -> dict:
    """The album of ``artist``'s songs that entered in ``entered``'s era, released on the era's first day."""
    era = entered // ALBUM_ERA_DAYS
    number = era * 100 + artist
    album_id = f"0SynthDayAlbum{number:08d}"
    words = _catalogue()["album_words"]
    released = date.fromordinal(max(1, era * ALBUM_ERA_DAYS))
    precision = ("day", "day", "day", "month", "year")[_draw("precision", number) % 5]
    release_date = {"day": released.isoformat(), "month": released.isoformat()[:7], "year": str(released.year)}
    return {
        "album_type": "album",
        "total_tracks": 8 + _draw("tracks", number) % 8,
        "external_urls": {"spotify": f"{OPEN}/album/{album_id}"},
        "href": f"{API}/albums/{album_id}",
        "id": album_id,
        "images": [{"url": f"https://i.scdn.co/image/syntheticdayalbum{number}", "width": 640, "height": 640}],
        "name": f"{words[_draw('album', number) % len(words)]} {era % 7 + 1}",
        "release_date": release_date[precision],
        "release_date_precision": precision,
        "type": "album",
        "uri": f"spotify:album:{album_id}",
        "artists": [_artist(artist)],
    }


def _track(number: int, entered: int) -> dict:
    """The invented track object of song ``number`` (2026 shape, without removed fields)."""
    words = _catalogue()
    artist = _artist_index(number)
    artists = [_artist(artist)]
    if _draw("feature", number) % 6 == 0:  # every sixth song or so features a second artist
        artists.append(_artist((artist + 1 + _draw("featured", number) % 9) % len(words["artists"])))
    track_id = f"0SynthDaySong{number:09d}"
    first, second = words["song_first"], words["song_second"]
    return {
        "preview_url": None,
        "explicit": _draw("explicit", number) % 5 == 0,
        "type": "track",
        "episode": False,
        "track": True,
        "album": _album(artist, entered),
        "artists": artists,
        "disc_number": 1,
        "track_number": 1 + _draw("track_number", number) % 8,
        "duration_ms": 150_000 + _draw("duration", number) % 150_000,
        "external_ids": {"isrc": f"ZZSYN{number % 10_000_000:07d}"},
        "external_urls": {"spotify": f"{OPEN}/track/{track_id}"},
        "href": f"{API}/tracks/{track_id}",
        "id": track_id,
        "name": f"{first[_draw('first', number) % len(first)]} {second[_draw('second', number) % len(second)]}",
        "uri": f"spotify:track:{track_id}",
        "is_local": False,
    }


def _item(number: int, entered: int, owner: dict) -> dict:
    minute = _draw("added", number) % 360  # edited early in the day (UTC)
    added_at = datetime.combine(date.fromordinal(entered), datetime.min.time()) + timedelta(minutes=minute)
    return {
        "added_at": added_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "added_by": {key: owner[key] for key in ("external_urls", "href", "id", "type", "uri")},
        "is_local": False,
        "primary_color": None,
        "item": _track(number, entered),
        "video_thumbnail": {"url": None},
    }


def synthetic_playlist(day: date) -> dict:
    """The evolving synthetic playlist as it stands on the UTC ``day`` (any date): a
    playlist object of ``GET /playlists/{id}`` (2026 shape) whose ``items`` page holds
    every item (about 60), best position first.

    Pure and deterministic: the same ``day`` gives an equal object. Its ``snapshot_id``
    names the day's edit (Sunday's equals Saturday's, and so does the whole list)."""
    playlist = json.loads(_playlist_fields())
    today = _edit_day(day.toordinal())
    songs = _alive_songs(today)
    # Most popular first; the song number breaks ties so the order is total.
    songs.sort(key=lambda song: (-_popularity(*song, today), song[0]))
    items = [_item(number, entered, playlist["owner"]) for number, entered, _ in songs]
    playlist["description"] = (
        "SYNTHETIC sample written for spotify_assets; not real Spotify data. An invented playlist that its invented "
        "curator edits every day but Sunday: songs enter, climb, fall and leave."
    )
    playlist["snapshot_id"] = base64.b64encode(b"\x00\x00" + today.to_bytes(4, "big") + b"SynthDay").decode()
    playlist["items"] = {
        "href": f"{playlist['href']}/items?offset=0&limit=50",
        "items": items,
        "limit": len(items),
        "next": None,
        "offset": 0,
        "previous": None,
        "total": len(items),
    }
    return playlist


def utc_today() -> date:
    """Today's date in UTC."""
    return datetime.now(timezone.utc).date()


class OfflineSampleReader:
    """A :class:`~spotify_assets.spotify.extract.PlaylistReader` over the synthetic
    playlist as it stands on ``day`` (UTC; default today): see :func:`synthetic_playlist`.

    It knows one playlist, ``playlist_id`` (the sample's id); asking for another raises
    ``KeyError``. ``request_count`` counts the simulated requests.
    """

    source = SOURCE

    def __init__(self, day: date | None = None) -> None:
        self.day = day or utc_today()
        self._playlist = synthetic_playlist(self.day)
        self.playlist_id: str = self._playlist["id"]
        self.request_count = 0

    def _check(self, playlist_id: str) -> None:
        if playlist_id != self.playlist_id:
            raise KeyError(f"the offline sample holds playlist {self.playlist_id} only, not {playlist_id}")

    def start_playlist(self, playlist_id: str) -> None:
        """Nothing to bound: the sample is computed in memory."""

    def playlist_metadata(self, playlist_id: str) -> dict:
        self._check(playlist_id)
        self.request_count += 1
        return {key: value for key, value in self._playlist.items() if key not in ("items", "tracks")}

    def playlist_item_pages(self, playlist_id: str, page_size: int = 50) -> Iterator[dict]:
        self._check(playlist_id)
        items = self._playlist["items"]["items"]
        href = f"{API}/playlists/{playlist_id}/items"
        for offset in range(0, max(len(items), 1), page_size):
            self.request_count += 1
            more = offset + page_size < len(items)
            yield {
                "href": f"{href}?offset={offset}&limit={page_size}",
                "items": items[offset : offset + page_size],
                "limit": page_size,
                "next": f"{href}?offset={offset + page_size}&limit={page_size}" if more else None,
                "offset": offset,
                "previous": None,
                "total": len(items),
            }


def is_synthetic_object(body: bytes) -> bool:
    """True when the raw object ``body`` (JSON bytes) was written from the synthetic sample:
    a JSON object whose ``extraction.source`` is ``"synthetic-sample"``. Anything else,
    unreadable bytes included, is False (the tables step reports bad objects itself)."""
    if SOURCE.encode() not in body:  # most objects: no parse needed
        return False
    try:
        document = json.loads(body)
    except ValueError:
        return False
    extraction = document.get("extraction") if isinstance(document, dict) else None
    return isinstance(extraction, dict) and extraction.get("source") == SOURCE
