"""Reading one raw object (a stored Spotify Web API response) into a ``RawPlaylist``.

Accepted shapes (all met in real recordings):

1. a playlist-items page ``{"href", "items": [...], "limit", "next", "offset", "total"}``
   (GET /playlists/{id}/items, formerly /tracks);
2. a playlist object ``{"id", "name", "snapshot_id", "items": {<page>}}`` (2026 shape) or
   ``"tracks": {<page>}`` (before 2026); ``items`` wins when both exist. Our extractor
   writes this shape with all items in the page and a top-level ``"extracted_at"``.
   Some recorders replace the paging object by a bare list of all items
   (``"tracks": [...]``): accepted too;
3. a one-element list holding a playlist object;
4. a bare list of items (pages concatenated by a recorder).

Items carry their track under ``item`` (2026) or ``track`` (before; some carry both).
A problem with one item (a field of the wrong JSON type, a date that is not one, a
track that is not an object, ...) never makes the object unreadable: ``classify_item``
gives the item's reason (``invalid:<field>``, see ``field_checks``) and the tables leave
that item out, keeping every other item at its position. Only object-level problems
raise ``RawObjectError``: not JSON, the wrong shape, an ``offset``, ``total``, ``id``,
``name``, ``snapshot_id``, ``extracted_at`` or ``lookups`` of the wrong type, or an
``offset`` that puts positions beyond 2**31 - 1.

Two ways of reading (``parse_raw_object``): by default an orjson parse of everything;
with ``all_fields=False`` (for building tables) a fast path decodes with msgspec only the
fields the package reads (``raw_types``, with their strict JSON types), in less memory
and time, and hands anything it cannot read exactly as the full parse would (including
any item field of the wrong type) to the full parse, which gives every error message and
every ``invalid:<field>`` reason. ``RawPlaylist.types_checked`` says which path read it.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import orjson

from . import raw_types
from .field_checks import (
    INT32_MAX,
    InvalidField,
    check_looked_up_album,
    check_looked_up_artist,
    check_song,
    check_typed_song,
    describe,
    parse_timestamp,
)

__all__ = [
    "InvalidField",
    "InvalidItem",
    "RawObjectError",
    "RawPlaylist",
    "SKIP_REASONS",
    "check_item",
    "classify_item",
    "item_track",
    "parse_raw_document",
    "parse_raw_object",
]

# Why an item gives no song row (keys of PlaylistTables.skipped_items), besides
# "invalid:<field>" for an item with a field the tables cannot take (field_checks).
SKIP_REASONS = ("null_item", "local_file", "episode", "not_a_track")

_EXPECTED = (
    "expected a playlist object, a playlist-items page, a one-element list holding a playlist, "
    "or a list of playlist items"
)
# An object with none of these keys is not a playlist item (e.g. an artist in a search page).
_ITEM_KEYS = ("track", "item", "added_at", "is_local")
_PAGE_HREF_ID = re.compile(r"/playlists/([^/?#]+)/(?:tracks|items)")
_UTF8_BOM = b"\xef\xbb\xbf"
# Bytes decoded at a time when checking UTF-8. Small: with 1 MiB steps the freed decoded
# copies stayed in the C heap (+17 MiB RSS for 23 MB); 64 KiB steps cost 1 MiB and run faster.
_UTF8_CHECK_STEP = 1 << 16
_ABSENT = object()  # a track without an "id" key (an error for a song) vs "id": null (a local file)


class InvalidItem(NamedTuple):
    """An item (or a look-up object) left out because of an invalid field.

    ``position``: the item's 1-based position in the playlist (for a look-up object,
    its 1-based index in ``lookups.albums``/``lookups.artists``); ``reason``:
    ``invalid:<field>``; ``detail``: the field, its value and what was expected.
    """

    position: int
    reason: str
    detail: str


class RawObjectError(ValueError):
    """A raw object that cannot be read. Message names the key and the reason.

    ``str(err) == f"raw object {key}: {reason}"``.
    """

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"raw object {key}: {reason}")

    def __reduce__(self):  # keeps the error picklable (it crosses process boundaries)
        return (type(self), (self.key, self.reason))


@dataclass(frozen=True)
class RawPlaylist:
    """The items of one playlist as read from one raw object.

    - ``source_key``: the object's key (or file name) it came from;
    - ``playlist_id``: the playlist object's ``id``, else the id in the page ``href``
      (``/playlists/{id}/tracks|items``), else the key's file name without extension
      (so it is not necessarily base-62: validate it before using it in a path);
    - ``playlist_name``, ``snapshot_id``: from the playlist object, None for pages and lists;
    - ``items``: the playlist item dicts (``{"added_at", "track"/"item", "is_local", ...}``)
      in playlist order, as parsed (not copied). From ``parse_raw_object(...,
      all_fields=False)`` they hold only the fields declared in ``raw_types``, and equal
      albums and artists are one dict shared between tracks: read-only;
    - ``first_position``: 1-based position of ``items[0]`` (page ``offset`` + 1; 1 for lists);
    - ``total``: the paging object's ``total`` where given (may exceed ``len(items)``
      when the page had ``next`` set);
    - ``extracted_at``: the top-level ``"extracted_at"`` written by our extractor, else None;
    - ``looked_up_albums``, ``looked_up_artists``: the full objects of the playlist
      object's ``lookups`` record (``spotify.lookups``) by id; empty without look-ups.
      Null elements (ids Spotify did not know) are passed over; an element with a field
      of the wrong type is left out and listed in ``invalid_lookups`` (the look-ups only
      add columns; they never make a raw object unreadable).
    - ``invalid_lookups``: those elements, as ``InvalidItem(index, "invalid:lookups.<kind>.<field>", detail)``.
    """

    source_key: str
    playlist_id: str
    playlist_name: str | None
    snapshot_id: str | None
    items: list[dict]
    first_position: int
    total: int | None
    extracted_at: str | None
    looked_up_albums: dict[str, dict] = field(default_factory=dict)
    looked_up_artists: dict[str, dict] = field(default_factory=dict)
    invalid_lookups: tuple[InvalidItem, ...] = ()
    # True when the items were decoded into the strict raw_types (the fast path): their
    # JSON types and ranges are known to be right (see check_item's ``typed``).
    types_checked: bool = field(default=False, compare=False)


def parse_raw_object(body: bytes | str, key: str, *, all_fields: bool = True) -> RawPlaylist:
    """Parse the bytes (or text) of one raw object stored under ``key``.

    The items hold every field of the JSON; with ``all_fields=False``, only the fields
    the package reads (``raw_types``: enough for ``build_tables`` and ``classify_item``),
    which is leaner and faster (raw object of 10,000 items to Parquet tables: peak RSS
    189 instead of 243 MiB, 0.3 instead of 0.5 s). Both give the same tables, ids,
    positions and errors.

    Raises ``RawObjectError`` for an empty object, an HTML page, invalid or truncated
    JSON (with the byte offset), JSON of the wrong shape, and object-level fields of the
    wrong type (see ``parse_raw_document``). Items are checked when the tables are built.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"raw object {key}: body must be bytes or str, not {type(body).__name__}")
    if not body:
        raise RawObjectError(key, "empty object (0 bytes)")
    bom = 3 if body[:3] == _UTF8_BOM else 0  # written by some Windows tools; orjson refuses it
    if bom:
        body = body[bom:]
    head = bytes(body[:512]).lstrip()
    if not head and not bytes(body).strip():
        raise RawObjectError(key, f"empty object ({len(body) + bom} bytes of whitespace)")
    if head[:1] == b"<":
        raise RawObjectError(key, "an HTML page, not JSON (an error page saved as data?)")
    with _paused_gc():
        if not all_fields:
            playlist = _parse_fast(body, key)
            if playlist is not None:
                return playlist
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise RawObjectError(key, _json_error_reason(err, body, bom)) from None
        return parse_raw_document(document, key)


def _parse_fast(body: bytes | bytearray | memoryview, key: str) -> RawPlaylist | None:
    """The RawPlaylist read with msgspec into ``raw_types`` (see ``RawPlaylist.items``), or
    None when the full path must read the body.

    None for invalid UTF-8 (msgspec does not check the strings it skips), for JSON that
    msgspec refuses (invalid, or of other types than declared, or a number orjson reads
    as a float or refuses), and for any ``RawObjectError`` (its message may list an
    object's keys, which the fast path has filtered): the full path then gives the error
    or reads what msgspec could not. Edge case read differently: a number too large for a
    float (``1e400``) in a field not declared, which orjson refuses and msgspec skips.
    """
    if not _is_utf8(body):
        return None
    try:
        playlist = parse_raw_document(raw_types.DOCUMENT.decode(body), key)
        _decode_albums_and_artists(playlist.items)
    except (ValueError, RecursionError):  # msgspec errors, UnicodeDecodeError and RawObjectError are ValueErrors
        return None
    return replace(playlist, types_checked=True)


def _is_utf8(body: bytes | bytearray | memoryview) -> bool:
    """True when ``body`` is valid UTF-8 (checked a step at a time: no decoded copy of it all)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(view), _UTF8_CHECK_STEP):
            decoder.decode(view[start : start + _UTF8_CHECK_STEP])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_albums_and_artists(items: list[dict]) -> None:
    """Replace each track's ``album`` and ``artists`` (``msgspec.Raw`` in ``raw_types``) by
    dicts, decoding each distinct JSON text once and sharing the result.

    A playlist names the same albums and artists again and again (the 10,000-item
    benchmark: 28,150 artist credits of 4,378 artists, 9,956 albums of 4,257), so this
    saves about a third of the decoded items. Decoding all and merging equal dicts after
    would not lower the peak: the freed copies stay in Python's allocator pools.

    Raises ``msgspec.ValidationError`` where an album is not an object or null, or an
    artist not an object.
    """
    albums: dict[bytes, dict | None] = {}
    artists: dict[bytes, dict] = {}

    def artist_dicts(raws: list | None) -> list[dict] | None:
        if raws is None:
            return None
        shared = []
        for raw in raws:
            text = bytes(raw)
            artist = artists.get(text)
            if artist is None:
                artist = artists[text] = raw_types.ARTIST.decode(text)
            shared.append(artist)
        return shared

    def album_dict(raw) -> dict | None:
        text = bytes(raw)
        album = albums.get(text, _ABSENT)
        if album is _ABSENT:
            album = raw_types.ALBUM.decode(text)
            if album is not None and "artists" in album:
                album["artists"] = artist_dicts(album["artists"])
            albums[text] = album
        return album

    for item in items:
        for under in ("item", "track"):
            track = item.get(under)
            if track is None:
                continue
            if "artists" in track:
                track["artists"] = artist_dicts(track["artists"])
            if "album" in track:
                track["album"] = album_dict(track["album"])


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large JSON tree is built and walked.

    Parsed JSON holds no reference cycles, yet creating ~200k dicts and lists triggers
    collections that scan them again and again: pausing cut ``orjson.loads`` of a
    10,000-item playlist by about a third (CPython 3.11). The collector is re-enabled on
    exit (if it was enabled); nothing else changes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _json_error_reason(err: orjson.JSONDecodeError, body: bytes, bom: int) -> str:
    """Reason for invalid JSON: orjson's message, the byte offset, a hint when truncated."""
    message = err.msg.split(": line ")[0]  # orjson appends "line L column C (char N)"
    at = _byte_offset(body, err.pos, message)
    reason = f"not valid JSON: {message} at byte {at + bom}"
    if "end of data" in message or at >= len(body) - 1:
        reason += f" (the object ends there: truncated? it is {len(body) + bom} bytes)"
    return reason


def _byte_offset(body: bytes, char_pos: int, message: str) -> int:
    """Byte offset of orjson's error position, which counts characters (error path only)."""
    if "UTF-8" in message:  # orjson reports invalid UTF-8 at 0; find the first bad byte
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError as err:
            return err.start
    text = bytes(body).decode("utf-8", "surrogateescape")  # one char per undecodable byte
    return len(text[:char_pos].encode("utf-8", "surrogateescape"))


def parse_raw_document(document: object, key: str) -> RawPlaylist:
    """Same as ``parse_raw_object`` for an already-parsed JSON document.

    Raises ``RawObjectError`` for JSON of the wrong shape (the reason says what was
    found) and for object-level fields of the wrong type or range (``offset``,
    ``total``, ``id``, ``name``, ``snapshot_id``, ``extracted_at``, ``lookups``), e.g.
    ``page 'offset' is a number 1e+18, expected an integer from 0 to 2,147,483,647 minus
    the item count``. Items are not checked here (see ``classify_item``).
    """
    if isinstance(document, dict):
        if _is_playlist_object(document):
            return _from_playlist(document, key)
        if isinstance(document.get("items"), list):
            return _from_page(document, key)
        raise RawObjectError(key, _wrong_shape(document))
    if isinstance(document, list):
        if len(document) == 1 and isinstance(document[0], dict) and _is_playlist_object(document[0]):
            return _from_playlist(document[0], key)
        return _from_item_list(document, key)
    raise RawObjectError(key, _wrong_shape(document))


def _is_playlist_object(obj: dict) -> bool:
    """True for a playlist object: a paging object under ``items`` or ``tracks``, or a
    bare list of items there (a recorder's shape), then only when the object says it is a
    playlist (``type`` or ``snapshot_id``): a list under ``items`` is otherwise a page, and
    ``{"tracks": [...], "seeds": [...]}`` (recommendations) no playlist."""
    if obj.get("type", "playlist") != "playlist":
        return False
    if isinstance(obj.get("items"), dict) or isinstance(obj.get("tracks"), dict):
        return True
    listed = isinstance(obj.get("items"), list) or isinstance(obj.get("tracks"), list)
    return listed and (obj.get("type") == "playlist" or "snapshot_id" in obj)


def _from_playlist(playlist: dict, key: str) -> RawPlaylist:
    """Shape 2: a playlist object; its page (``items`` preferred over ``tracks``) holds the
    items, or its ``items``/``tracks`` is the list of items itself."""
    field = "items" if isinstance(playlist.get("items"), (dict, list)) else "tracks"
    page = playlist[field]
    if isinstance(page, list):
        items, page = page, None
    else:
        items = page.get("items")
        if not isinstance(items, list):
            raise RawObjectError(
                key,
                f"the playlist's '{field}' paging object has no 'items' list "
                f"(keys {_keys(page)}; a simplified playlist without its items?)",
            )
    href = page.get("href") if page is not None else None
    playlist_id = _optional_str(playlist, "id", key) or _id_from_href(href) or _id_from_key(key)
    raw = _raw_playlist(
        key,
        playlist_id,
        _optional_str(playlist, "name", key),
        _optional_str(playlist, "snapshot_id", key),
        items,
        page,
        _extracted_at(playlist, key),
    )
    lookups = playlist.get("lookups")
    if lookups is None:
        return raw
    if not isinstance(lookups, dict):
        raise RawObjectError(key, f"the playlist's 'lookups' is {describe(lookups)}, expected an object")
    albums, invalid = _objects_by_id(lookups.get("albums"), "albums", check_looked_up_album, key)
    artists, invalid_artists = _objects_by_id(lookups.get("artists"), "artists", check_looked_up_artist, key)
    return replace(
        raw, looked_up_albums=albums, looked_up_artists=artists, invalid_lookups=(*invalid, *invalid_artists)
    )


def _objects_by_id(objects: object, kind: str, check, key: str) -> tuple[dict[str, dict], list[InvalidItem]]:
    """``({id: object}, [invalid elements])`` of a look-up list; null elements (ids
    Spotify did not know) are passed over."""
    if objects is None:
        return {}, []
    if not isinstance(objects, list):
        raise RawObjectError(key, f"the playlist's 'lookups.{kind}' is {describe(objects)}, expected a list")
    found: dict[str, dict] = {}
    invalid: list[InvalidItem] = []
    for index, obj in enumerate(objects, start=1):
        if obj is None:
            continue
        try:
            check(obj)
        except InvalidField as error:
            invalid.append(InvalidItem(index, error.reason, error.detail))
            continue
        found[obj["id"]] = obj
    return found, invalid


def _from_page(page: dict, key: str) -> RawPlaylist:
    """Shape 1: a playlist-items page; the playlist id comes from its ``href``."""
    playlist_id = _id_from_href(page.get("href")) or _id_from_key(key)
    return _raw_playlist(key, playlist_id, None, None, page["items"], page, _extracted_at(page, key))


def _from_item_list(items: list, key: str) -> RawPlaylist:
    """Shape 4: a bare list of items; the playlist id is the key's file name."""
    return _raw_playlist(key, _id_from_key(key), None, None, items, None, None)


def _raw_playlist(
    key: str,
    playlist_id: str,
    name: str | None,
    snapshot_id: str | None,
    items: list,
    page: dict | None,
    extracted_at: str | None,
) -> RawPlaylist:
    """Check the object-level fields and assemble the RawPlaylist (offset and total from ``page``)."""
    _check_looks_like_items(items, page, key)
    first_position = 1
    total = None
    if page is not None:
        offset = page.get("offset")
        if offset is not None:
            highest = INT32_MAX - len(items)  # positions are an int32 column
            if not _is_int(offset) or not 0 <= offset <= highest:
                raise RawObjectError(
                    key,
                    f"page 'offset' is {describe(offset)}, expected an integer from 0 to {highest:,} (2**31 - 1 minus the item count)",
                )
            first_position = offset + 1
        total = page.get("total")
        if total is not None and (not _is_int(total) or total < 0):
            raise RawObjectError(key, f"page 'total' is {describe(total)}, expected an integer of at least 0")
    return RawPlaylist(
        source_key=key,
        playlist_id=playlist_id,
        playlist_name=name,
        snapshot_id=snapshot_id,
        items=items,
        first_position=first_position,
        total=total,
        extracted_at=extracted_at,
    )


def _optional_str(obj: dict, field: str, key: str) -> str | None:
    """``obj[field]`` when it is a non-empty string; None when absent, null or empty;
    ``RawObjectError`` for any other JSON type."""
    value = obj.get(field)
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise RawObjectError(key, f"the playlist's '{field}' is {describe(value)}, expected a string")
    return value


def _extracted_at(obj: dict, key: str) -> str | None:
    """The ``extracted_at`` our extractor writes (ISO 8601), None when absent."""
    value = _optional_str(obj, "extracted_at", key)
    if value is not None:
        try:
            parse_timestamp(value)
        except ValueError:
            raise RawObjectError(key, f"'extracted_at' is {describe(value)}, expected an ISO 8601 timestamp") from None
    return value


def _check_looks_like_items(items: list, page: dict | None, key: str) -> None:
    """Refuse a list (or page) whose first object is no playlist item, e.g. a search page of artists."""
    first = next((element for element in items if isinstance(element, dict)), None)
    if first is None:
        if items and page is None:  # a list of strings, numbers, ...: not items at all
            raise RawObjectError(key, _wrong_shape(items))
        return  # empty, or a page of items that are not objects: each is an invalid item
    if not any(name in first for name in _ITEM_KEYS):
        found = "a paging object" if page is not None else f"a list of {_count(len(items), 'element')}"
        raise RawObjectError(
            key,
            f"JSON of the wrong shape: {found} whose items are not playlist items "
            f"(the first has keys {_keys(first)}), {_EXPECTED}",
        )


def item_track(item: dict) -> dict | None:
    """The track (or episode) object of a playlist item: ``item["item"]`` if present and not None, else ``item["track"]``."""
    track = item.get("item")
    return track if track is not None else item.get("track")


def classify_item(item: object, cache: dict | None = None, typed: bool = False) -> str | None:
    """None when the playlist item is a song the tables can take, else why it gives no
    rows: one of ``SKIP_REASONS``, or ``invalid:<field>`` (see ``check_item``, which
    gives the detail; ``cache`` and ``typed`` as there). Never raises for a malformed item."""
    try:
        return check_item(item, cache, typed)
    except InvalidField as invalid:
        return invalid.reason


def check_item(item: object, cache: dict | None = None, typed: bool = False) -> str | None:
    """None when the playlist item is a song, else its skip reason (one of ``SKIP_REASONS``).

    - no track object (``null`` or absent) -> ``"null_item"``;
    - ``is_local`` true on the item or the track, or track ``id`` null -> ``"local_file"``;
    - track ``type`` ``"episode"`` (or a legacy track-shaped episode, ``"episode": true``)
      -> ``"episode"``; any other ``type`` but ``"track"`` -> ``"not_a_track"``
      (a track object without ``type``, or with ``type`` null, counts as a track).

    A song's fields are then checked (``field_checks.check_song``; ``cache`` as there;
    ``typed``: the item was decoded into the strict ``raw_types``, so only what its types
    cannot say is checked, ``field_checks.check_typed_song``).
    Raises ``InvalidField`` for the element not an object (``item``), the track not an
    object (``track``), ``is_local``/``track.is_local``/``type``/``episode`` of the wrong
    type, and any field of a song the tables read.
    """
    # Hot path (once per item): exact type() checks, fast path first for a valid song.
    if type(item) is not dict:
        raise InvalidField("item", item, "a playlist item object")
    is_local = item.get("is_local")
    if is_local is not None and type(is_local) is not bool:
        raise InvalidField("is_local", is_local, "a boolean")
    track = item.get("item")
    if track is None:
        track = item.get("track")
        if track is None:
            return "null_item"
    if type(track) is not dict:
        raise InvalidField("track", track, "a track or episode object")
    track_local = track.get("is_local")
    if track_local is not None and type(track_local) is not bool:
        raise InvalidField("track.is_local", track_local, "a boolean")
    if is_local or track_local or track.get("id", _ABSENT) is None:
        return "local_file"
    kind = track.get("type")
    if kind is not None and kind != "track":
        if type(kind) is not str:
            raise InvalidField("type", kind, "a string")
        return "episode" if kind == "episode" else "not_a_track"
    episode = track.get("episode")
    if episode is not None:
        if type(episode) is not bool:
            raise InvalidField("episode", episode, "a boolean")
        if episode:  # an episode in track shape (legacy additional_types=track)
            return "episode"
    if typed:
        check_typed_song(item, track, cache)
    else:
        check_song(item, track, cache)
    return None


def _id_from_href(href: object) -> str | None:
    """The playlist id in a page href ``.../playlists/{id}/tracks`` or ``.../items``."""
    if isinstance(href, str):
        match = _PAGE_HREF_ID.search(href)
        if match:
            return match.group(1)
    return None


def _id_from_key(key: str) -> str:
    """The key's file name without extension: ``raw/.../7csrlizJurpn6y0xenTwzu.json`` -> ``7csrlizJurpn6y0xenTwzu``."""
    name = key.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.split(".", 1)[0]
    return stem or name


def _is_int(value: object) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _keys(obj: dict, limit: int = 12) -> str:
    """``[a, b, c, ...]``: the first keys of an object, for messages."""
    keys = list(obj)
    shown = ", ".join(str(k) for k in keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}]"


def _count(number: int, noun: str) -> str:
    """``1 element``, ``2 elements``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _wrong_shape(document: object) -> str:
    """Reason for a JSON document of none of the accepted shapes, saying what was found."""
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and len(document) == 1:  # {"error": {"status", "message"}}
            status, message = error.get("status"), error.get("message")
            found = f"a Spotify API error response (status {status}: {message!r}), not a playlist"
            return f"JSON of the wrong shape: {found}, {_EXPECTED}"
        kind = document.get("type")
        typed = f" of type {kind!r}" if isinstance(kind, str) and kind != "playlist" else ""
        found = f"an object{typed} with keys {_keys(document)}"
    elif isinstance(document, list):
        first = describe(document[0]) if document else "nothing"
        found = f"a list of {_count(len(document), 'element')}, the first {first}"
    else:
        found = describe(document)
    return f"JSON of the wrong shape: {found}, {_EXPECTED}"
