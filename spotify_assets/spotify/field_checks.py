"""Strict JSON types of every field the tables read from a playlist item (GET
/playlists/{id}/items) and from a look-up object (GET /albums/{id}, GET /artists/{id}).

A value of the wrong JSON type is never made null or read as something else: the check
raises ``InvalidField`` naming the field, and the caller leaves the whole item out and
counts it under ``InvalidField.reason`` (``invalid:<field>``). Absent fields and JSON
null are allowed wherever the field is optional (Spotify removed ``popularity``,
``label``, ``followers``, ``genres``, ... in 2026 development mode).

Field names in reasons: the item's own fields as ``added_at``, ``added_by``,
``added_by.id``, ``is_local``; the element itself as ``item`` (not an object); the track
object (under ``item`` or ``track``) as ``track``; the track's fields without prefix
(``explicit``, ``duration_ms``, ``external_ids.isrc``, ``artists.id``) except its
``is_local`` (``track.is_local``); its album's as ``album.<field>`` (``album.release_date``,
``album.artists.id``, ``album.images.width``); look-up objects' as
``lookups.albums.<field>`` and ``lookups.artists.<field>``.

Value rules (besides the JSON type):

- ids (track, album, artist, look-up): Spotify ids, base-62, 1 to 64 characters;
- ``added_at``: an ISO 8601 timestamp (``datetime.fromisoformat``; no offset = UTC);
- ``duration_ms``, ``followers.total``: 0 to 2**63 - 1 (int64);
- ``popularity``: 0 to 100; ``track_number``, ``disc_number``, ``total_tracks``, image
  ``width``/``height``: 0 to 2**31 - 1 (int32);
- ``release_date``: a date of its ``release_date_precision`` (``year`` ``YYYY``,
  ``month`` ``YYYY-MM``, ``day`` ``YYYY-MM-DD``; without a precision, one of those three
  lengths); ``"0000"`` (Spotify's unknown year) reads as a null date.

Hot path: one call per item of every raw object, so exact ``type()`` checks and no
allocation for a valid item; albums and artists, shared between tracks by the fast
path, are checked once per object through a cache.
"""

from __future__ import annotations

import datetime

__all__ = [
    "InvalidField",
    "check_looked_up_album",
    "check_looked_up_artist",
    "check_song",
    "check_typed_song",
    "parse_release_date",
    "parse_timestamp",
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
RELEASE_DATE_PRECISIONS = ("year", "month", "day")
_PRECISION_BY_LENGTH = {4: "year", 7: "month", 10: "day"}
_UNKNOWN_YEAR = "0000"  # Spotify's release_date of some old releases: no date
_STRING = "a string"
_ID = "a Spotify id (base-62 string)"
_OBJECT = "an object"


class InvalidField(ValueError):
    """A field whose value the tables cannot take.

    ``field``: the dotted field name (see the module doc); ``reason``: ``invalid:<field>``;
    ``detail``: words for a person, e.g. ``'explicit' is a string 'true', expected a boolean``.
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.reason = f"invalid:{field}"
        self.detail = f"'{field}' is {describe(value)}, expected {expected}"
        super().__init__(self.detail)

    def __reduce__(self):  # picklable like RawObjectError
        return (_rebuild, (self.field, self.reason, self.detail))


def _rebuild(field: str, reason: str, detail: str) -> InvalidField:
    error = InvalidField.__new__(InvalidField)
    ValueError.__init__(error, detail)
    error.field, error.reason, error.detail = field, reason, detail
    return error


class Missing(InvalidField):
    """A required field that is absent: ``detail`` is ``track has no 'duration_ms'``."""

    def __init__(self, field: str, where: str = "track") -> None:
        super().__init__(field, None, "")
        self.detail = f"{where} has no '{field}'"
        self.args = (self.detail,)


def describe(value: object) -> str:
    """A short description of a JSON value for messages: ``null``, ``a string '12'``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"a number {value!r}"
    if isinstance(value, str):
        return f"a string {value[:40]!r}" + (f" ({len(value)} characters)" if len(value) > 40 else "")
    if isinstance(value, list):
        return f"a list of {len(value)} element{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        keys = [str(k) for k in list(value)[:12]]
        return f"an object with keys [{', '.join(keys)}{', ...' if len(value) > 12 else ''}]"
    return type(value).__name__


def parse_timestamp(value: str) -> datetime.datetime:
    """An ISO 8601 timestamp string as an aware datetime (UTC when it has no offset).

    Raises ``ValueError`` when it is not one."""
    parsed = datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.timezone.utc)


def parse_release_date(value: object, precision: object) -> tuple[datetime.date | None, str | None]:
    """``(release date, precision)`` of an album: ``"2015"``/year -> 2015-01-01,
    ``"2009-11"``/month -> 2009-11-01, ``"2021-06-18"``/day -> that day; a missing
    precision is inferred from the length (4, 7 or 10). ``(None, precision)`` when the
    date is absent or ``"0000"``.

    Raises ``InvalidField`` (``album.release_date`` or ``album.release_date_precision``)
    for a value of the wrong type, an unknown precision, or a value that is not a date of
    its precision (``"2021-02-30"``, ``"2015"`` with ``day``).
    """
    if precision is not None and (type(precision) is not str or precision not in RELEASE_DATE_PRECISIONS):
        raise InvalidField("album.release_date_precision", precision, "'year', 'month' or 'day'")
    if value is None:
        return None, precision
    if type(value) is not str:
        raise InvalidField("album.release_date", value, "a date string")
    if precision is None:
        precision = _PRECISION_BY_LENGTH.get(len(value))
    if value == _UNKNOWN_YEAR and precision == "year":
        return None, precision
    try:
        if precision == "day" and len(value) == 10:
            return datetime.date.fromisoformat(value), precision
        if precision == "month" and len(value) == 7 and value[4] == "-":
            return datetime.date(int(value[:4]), int(value[5:]), 1), precision
        if precision == "year" and len(value) == 4 and value.isdigit():
            return datetime.date(int(value), 1, 1), precision
    except ValueError:
        pass
    expected = {"day": "a YYYY-MM-DD date", "month": "a YYYY-MM month", "year": "a YYYY year"}.get(
        precision, "a date of 4, 7 or 10 characters"
    )
    raise InvalidField("album.release_date", value, f"{expected} (release_date_precision {precision or 'absent'})")


def _str(obj: dict, key: str, field: str) -> None:
    value = obj.get(key)
    if value is not None and type(value) is not str:
        raise InvalidField(field, value, _STRING)


def _int(obj: dict, key: str, field: str, high: int, low: int = 0) -> None:
    value = obj.get(key)
    if value is not None and (type(value) is not int or not low <= value <= high):
        raise InvalidField(field, value, f"an integer from {low} to {high:,}")


def _optional_id(obj: dict, key: str, field: str) -> None:
    value = obj.get(key)
    if value is not None and (type(value) is not str or not _is_id(value)):
        raise InvalidField(field, value, _ID)


def _external_url(obj: dict, prefix: str) -> None:
    urls = obj.get("external_urls")
    if urls is None:
        return
    if type(urls) is not dict:
        raise InvalidField(f"{prefix}external_urls", urls, _OBJECT)
    _str(urls, "spotify", f"{prefix}external_urls.spotify")


def check_item_fields(item: dict) -> None:
    """The playlist item's own fields a song row reads: ``added_at``, ``added_by.id``."""
    added_at = item.get("added_at")
    if added_at is not None:
        if type(added_at) is not str:
            raise InvalidField("added_at", added_at, "an ISO 8601 timestamp string")
        try:
            _fromisoformat(added_at)
        except ValueError:
            raise InvalidField("added_at", added_at, "an ISO 8601 timestamp") from None
    added_by = item.get("added_by")
    if added_by is not None:
        if type(added_by) is not dict:
            raise InvalidField("added_by", added_by, _OBJECT)
        _str(added_by, "id", "added_by.id")


_fromisoformat = datetime.datetime.fromisoformat


def _is_id(value: str) -> bool:
    """Base-62, 1 to 64 characters (``ids.BASE62_ID``; str methods: faster than the regex)."""
    return value.isascii() and value.isalnum() and len(value) <= 64


def check_song(item: dict, track: dict, cache: dict | None = None) -> None:
    """Check every field a song row (and its album and artists rows) reads.

    ``track``: the item's track object, already known to be a song (see
    ``raw_parsing.classify_item``). ``cache``: ``{id(obj): (obj, error or None)}`` of
    albums and artists already checked (shared between tracks on the fast path).
    Raises ``InvalidField`` for the first field found invalid (``Missing`` for an absent
    ``id``, ``name`` or ``duration_ms``).
    """
    # Hot path: the common fields inline, one function call per nested object at most.
    check_item_fields(item)
    get = track.get
    song_id = get("id", _MISSING)
    if type(song_id) is not str or not _is_id(song_id):
        raise Missing("id") if song_id is _MISSING else InvalidField("id", song_id, _ID)
    name = get("name", _MISSING)
    if type(name) is not str:
        raise Missing("name") if name is _MISSING else InvalidField("name", name, _STRING)
    duration = get("duration_ms", _MISSING)
    if type(duration) is not int or not 0 <= duration <= INT64_MAX:
        raise (
            Missing("duration_ms")
            if duration is _MISSING
            else InvalidField("duration_ms", duration, f"an integer from 0 to {INT64_MAX:,}")
        )
    value = get("explicit")
    if value is not None and type(value) is not bool:
        raise InvalidField("explicit", value, "a boolean")
    value = get("popularity")
    if value is not None and (type(value) is not int or not 0 <= value <= 100):
        raise InvalidField("popularity", value, "an integer from 0 to 100")
    for field in ("track_number", "disc_number"):
        value = get(field)
        if value is not None and (type(value) is not int or not 0 <= value <= INT32_MAX):
            raise InvalidField(field, value, f"an integer from 0 to {INT32_MAX:,}")
    value = get("uri")
    if value is not None and type(value) is not str:
        raise InvalidField("uri", value, _STRING)
    value = get("external_ids")
    if value is not None:
        if type(value) is not dict:
            raise InvalidField("external_ids", value, _OBJECT)
        _str(value, "isrc", "external_ids.isrc")
    value = get("external_urls")
    if value is not None:
        _external_url(track, "")
    artists = get("artists")
    if artists is not None:
        if type(artists) is not list:
            raise InvalidField("artists", artists, "a list of artist objects")
        for artist in artists:
            seen = cache.get(id(artist)) if cache is not None else None
            if seen is None:
                _cached(_check_artist, artist, "artists", cache)
            elif seen[1] is not None:
                raise seen[1]
    album = get("album")
    if album is not None:
        _cached(_check_album, album, "album", cache)


_MISSING = object()


def check_typed_song(item: dict, track: dict, cache: dict | None = None) -> None:
    """``check_song`` for an item decoded into the strict ``raw_types`` (msgspec's fast
    path): every JSON type and integer range is already right, so only what types cannot
    say is checked, in ``check_song``'s order so that the first problem is the same:
    ``added_at`` a timestamp, ids of Spotify's characters, ``id``/``name``/``duration_ms``
    present and not null, ``release_date`` a date of its precision.
    Raises ``InvalidField`` as ``check_song``."""
    added_at = item.get("added_at")
    if added_at is not None:
        try:
            _fromisoformat(added_at)
        except ValueError:
            raise InvalidField("added_at", added_at, "an ISO 8601 timestamp") from None
    get = track.get
    song_id = get("id", _MISSING)
    if song_id is _MISSING or not _is_id(song_id):
        raise Missing("id") if song_id is _MISSING else InvalidField("id", song_id, _ID)
    if get("name") is None:
        raise Missing("name") if "name" not in track else InvalidField("name", None, _STRING)
    if get("duration_ms") is None:
        if "duration_ms" not in track:
            raise Missing("duration_ms")
        raise InvalidField("duration_ms", None, f"an integer from 0 to {INT64_MAX:,}")
    artists = get("artists")
    if artists:
        for artist in artists:
            artist_id = artist.get("id")
            if artist_id is not None and not _is_id(artist_id):
                raise InvalidField("artists.id", artist_id, _ID)
    album = get("album")
    if album is not None:
        _cached(_check_typed_album, album, "album", cache)


def _check_typed_album(album: dict, field: str) -> None:
    """``_check_album`` for a typed album: id characters, release date, artist ids."""
    album_id = album.get("id")
    if album_id is not None and not _is_id(album_id):
        raise InvalidField("album.id", album_id, _ID)
    parse_release_date(album.get("release_date"), album.get("release_date_precision"))
    for artist in album.get("artists") or ():
        artist_id = artist.get("id")
        if artist_id is not None and not _is_id(artist_id):
            raise InvalidField("album.artists.id", artist_id, _ID)


def _cached(check, value: object, field: str, cache: dict | None) -> None:
    """``check(value, field)``, remembered per object in ``cache`` (a track's album and
    artists: the fast path shares equal ones between tracks)."""
    seen = cache.get(id(value)) if cache is not None else None
    if seen is None:
        if cache is None:
            check(value, field)
            return
        try:
            check(value, field)
            error = None
        except InvalidField as invalid:
            error = invalid
        cache[id(value)] = seen = (value, error)  # keeps value alive: its id stays unique
    if seen[1] is not None:
        raise seen[1]


def _check_artist(artist: object, field: str) -> None:
    """One simplified artist object of a track's or an album's ``artists`` (``field``)."""
    if type(artist) is not dict:
        raise InvalidField(field, artist, "an artist object in each element")
    _optional_id(artist, "id", f"{field}.id")
    _str(artist, "name", f"{field}.name")
    _str(artist, "uri", f"{field}.uri")
    _external_url(artist, f"{field}.")


def _check_album(album: object, field: str) -> None:
    """A track's simplified album object."""
    if type(album) is not dict:
        raise InvalidField("album", album, _OBJECT)
    _optional_id(album, "id", "album.id")
    _str(album, "name", "album.name")
    _str(album, "album_type", "album.album_type")
    _str(album, "label", "album.label")
    _int(album, "total_tracks", "album.total_tracks", INT32_MAX)
    parse_release_date(album.get("release_date"), album.get("release_date_precision"))
    _external_url(album, "album.")
    _check_images(album.get("images"), "album.images")
    artists = album.get("artists")
    if artists is not None:
        if type(artists) is not list:
            raise InvalidField("album.artists", artists, "a list of artist objects")
        for artist in artists:  # once per album (cached): no cache per artist here
            _check_artist(artist, "album.artists")


def _check_images(images: object, field: str) -> None:
    if images is None:
        return
    if type(images) is not list:
        raise InvalidField(field, images, "a list of image objects")
    for image in images:
        if type(image) is not dict:
            raise InvalidField(field, image, "an image object in each element")
        _str(image, "url", f"{field}.url")
        _int(image, "width", f"{field}.width", INT32_MAX)
        _int(image, "height", f"{field}.height", INT32_MAX)


def _check_looked_up_id(obj: dict, field: str) -> None:
    value = obj.get("id")
    if type(value) is not str or not _is_id(value):
        raise InvalidField(f"{field}.id", value, _ID)


def check_looked_up_album(album: object) -> None:
    """A full album object of the ``lookups`` record: ``id`` and ``label``."""
    if type(album) is not dict:
        raise InvalidField("lookups.albums", album, _OBJECT)
    _check_looked_up_id(album, "lookups.albums")
    _str(album, "label", "lookups.albums.label")


def check_looked_up_artist(artist: object) -> None:
    """A full artist object of the ``lookups`` record: ``id``, ``genres``,
    ``followers.total``, ``popularity``, ``images``."""
    field = "lookups.artists"
    if type(artist) is not dict:
        raise InvalidField(field, artist, _OBJECT)
    _check_looked_up_id(artist, field)
    genres = artist.get("genres")
    if genres is not None and (type(genres) is not list or any(type(g) is not str for g in genres)):
        raise InvalidField(f"{field}.genres", genres, "a list of strings")
    followers = artist.get("followers")
    if followers is not None:
        if type(followers) is not dict:
            raise InvalidField(f"{field}.followers", followers, _OBJECT)
        _int(followers, "total", f"{field}.followers.total", INT64_MAX)
    _int(artist, "popularity", f"{field}.popularity", 100)
    _check_images(artist.get("images"), f"{field}.images")
