"""The fields of a raw object that the package reads, as msgspec types: the fast path of
``raw_parsing.parse_raw_object``.

Decoding into these types builds only the declared fields; msgspec skips every other one
(``available_markets``, ``href``, ``preview_url``, ...) without making Python objects of
it, so a 10,000-item playlist costs far less memory and time than a full parse. A field
read anywhere in the package (``raw_parsing.classify_item``, ``daily_tables.py``) must be
declared here, else it reads as absent: ``test_raw_fast_path`` compares the tables of
both paths on every recording.

Types:

- the leaf fields of items, tracks, albums and artists have the strict JSON type the
  tables need (``field_checks``): ``Optional[str]``, ``Optional[bool]``, integers with
  their column's range. A value of another type fails validation and the caller falls
  back to the full parse, where ``field_checks`` names the item and the field; so after
  a successful decode only what types cannot say is left to check (dates, id characters,
  required fields: ``field_checks.check_typed_song``). bool is never taken for int, nor a
  float for an int (msgspec is strict);
- other leaf fields (of pages, playlist objects, look-ups) are ``Json``: any JSON value,
  read as orjson reads it. Integers outside int64 fail validation instead (orjson reads
  those as floats), and so do numbers too large for a float (orjson refuses them);
- a nested object is its TypedDict (``total=False``: absent keys stay absent), ``Optional``
  where JSON has null; any other JSON type there fails validation;
- albums and artists are ``msgspec.Raw`` (their JSON text, not decoded):
  ``raw_parsing`` decodes each distinct text once with ``ALBUM``/``ARTIST`` and shares the
  dict, since a playlist repeats them (10,000 items: 28,150 artist credits of 4,378
  artists, 9,956 albums of 4,257).

msgspec unions allow one object-like and one array-like type, hence ``Document`` (a
playlist object or a page) and ``ListElement`` (an item or a playlist object).
"""

from __future__ import annotations

from typing import Annotated, Optional, TypedDict, Union

import msgspec

from .field_checks import INT32_MAX, INT64_MAX

__all__ = ["ALBUM", "ARTIST", "DOCUMENT", "Album", "Artist", "Document", "Item", "Json", "ListElement", "Page", "Track"]

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Json = Union[None, bool, Int64, float, str, list, dict]
# Strict leaves (ranges as in field_checks).
Str = Optional[str]
Bool = Optional[bool]
Count64 = Optional[Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]]
Count32 = Optional[Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]]
Percent = Optional[Annotated[int, msgspec.Meta(ge=0, le=100)]]


class ExternalUrls(TypedDict, total=False):
    spotify: Str


class Artist(TypedDict, total=False):
    """An artist credited on a track or an album (an artists row)."""

    id: Str
    name: Str
    uri: Str
    external_urls: Optional[ExternalUrls]


class Image(TypedDict, total=False):
    url: Str
    width: Count32
    height: Count32


class LookupImage(TypedDict, total=False):
    url: Json
    width: Json
    height: Json


class Album(TypedDict, total=False):
    """A track's simplified album (an albums row); ``artists`` as Raw, shared once decoded."""

    id: Str
    name: Str
    album_type: Str
    release_date: Str
    release_date_precision: Str
    total_tracks: Count32
    label: Str
    external_urls: Optional[ExternalUrls]
    images: Optional[list[Image]]
    artists: Optional[list[msgspec.Raw]]


class ExternalIds(TypedDict, total=False):
    isrc: Str


class Track(TypedDict, total=False):
    """A track or episode object (``classify_item`` and a songs row)."""

    id: Str
    name: Str
    duration_ms: Count64
    type: Str
    episode: Bool
    is_local: Bool
    uri: Str
    explicit: Bool
    popularity: Percent
    track_number: Count32
    disc_number: Count32
    external_urls: Optional[ExternalUrls]
    external_ids: Optional[ExternalIds]
    album: msgspec.Raw  # Optional[Album]
    artists: Optional[list[msgspec.Raw]]


class User(TypedDict, total=False):
    id: Str


class Item(TypedDict, total=False):
    """A playlist item; the track under ``item`` (2026) or ``track`` (before), or both."""

    added_at: Str
    added_by: Optional[User]
    is_local: Bool
    item: Optional[Track]
    track: Optional[Track]


class Followers(TypedDict, total=False):
    total: Json


class LookedUpAlbum(TypedDict, total=False):
    """A full album object of the ``lookups`` record (``spotify.lookups``)."""

    id: Json
    label: Json


class LookedUpArtist(TypedDict, total=False):
    """A full artist object of the ``lookups`` record (``spotify.lookups``)."""

    id: Json
    genres: Json
    popularity: Json
    followers: Optional[Followers]
    images: Optional[list[LookupImage]]


class Lookups(TypedDict, total=False):
    albums: Optional[list[Optional[LookedUpAlbum]]]
    artists: Optional[list[Optional[LookedUpArtist]]]


class Page(TypedDict, total=False):
    """A paging object of playlist items."""

    href: Json
    offset: Json
    total: Json
    extracted_at: Json
    items: list[Item]


class Document(TypedDict, total=False):
    """A top-level object: a playlist object (``items`` or ``tracks`` a page) or a page (``items`` a list)."""

    id: Json
    name: Json
    snapshot_id: Json
    type: Json
    extracted_at: Json
    href: Json
    offset: Json
    total: Json
    items: Union[list[Item], Page, None]
    tracks: Union[list[Item], Page, None]  # a list: a recorder's playlist object with its items inlined
    lookups: Optional[Lookups]


class ListElement(Item, Document, total=False):
    """An element of a top-level list: an item, or the playlist object of a one-element list."""


DOCUMENT = msgspec.json.Decoder(Union[Document, list[ListElement]])
ALBUM = msgspec.json.Decoder(Optional[Album])
ARTIST = msgspec.json.Decoder(Artist)
