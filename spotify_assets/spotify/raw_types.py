"""The fields of a raw object that the package reads, as msgspec types: the fast path of
``raw_objects.parse_raw_object``.

Decoding into these types builds only the declared fields; msgspec skips every other one
(``available_markets``, ``href``, ``preview_url``, ...) without making Python objects of
it, so a 10,000-item playlist costs far less memory and time than a full parse. A field
read anywhere in the package (``raw_objects.classify_item``, ``tables.py``) must be
declared here, else it reads as absent: ``test_raw_fast_path`` compares the tables of
both paths on every recording.

Types:

- every leaf field is ``Json``: any JSON value, read as orjson reads it. Integers outside
  int64 fail validation instead (orjson reads those as floats), and so do numbers too
  large for a float (orjson refuses them); the caller then falls back to the full parse;
- a nested object is its TypedDict (``total=False``: absent keys stay absent), ``Optional``
  where JSON has null; any other JSON type there fails validation;
- albums and artists are ``msgspec.Raw`` (their JSON text, not decoded):
  ``raw_objects`` decodes each distinct text once with ``ALBUM``/``ARTIST`` and shares the
  dict, since a playlist repeats them (10,000 items: 28,150 artist credits of 4,378
  artists, 9,956 albums of 4,257).

msgspec unions allow one object-like and one array-like type, hence ``Document`` (a
playlist object or a page) and ``ListElement`` (an item or a playlist object).
"""

from __future__ import annotations

from typing import Annotated, Optional, TypedDict, Union

import msgspec

__all__ = ["ALBUM", "ARTIST", "DOCUMENT", "Album", "Artist", "Document", "Item", "Json", "ListElement", "Page", "Track"]

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Json = Union[None, bool, Int64, float, str, list, dict]


class ExternalUrls(TypedDict, total=False):
    spotify: Json


class Artist(TypedDict, total=False):
    """An artist credited on a track or an album (an artists row)."""

    id: Json
    name: Json
    uri: Json
    external_urls: Optional[ExternalUrls]


class Image(TypedDict, total=False):
    url: Json
    width: Json
    height: Json


class Album(TypedDict, total=False):
    """A track's simplified album (an albums row); ``artists`` as Raw, shared once decoded."""

    id: Json
    name: Json
    album_type: Json
    release_date: Json
    release_date_precision: Json
    total_tracks: Json
    label: Json
    external_urls: Optional[ExternalUrls]
    images: Optional[list[Image]]
    artists: Optional[list[msgspec.Raw]]


class ExternalIds(TypedDict, total=False):
    isrc: Json


class Track(TypedDict, total=False):
    """A track or episode object (``classify_item`` and a songs row)."""

    id: Json
    name: Json
    duration_ms: Json
    type: Json
    episode: Json
    is_local: Json
    uri: Json
    explicit: Json
    popularity: Json
    track_number: Json
    disc_number: Json
    external_urls: Optional[ExternalUrls]
    external_ids: Optional[ExternalIds]
    album: msgspec.Raw  # Optional[Album]
    artists: Optional[list[msgspec.Raw]]


class User(TypedDict, total=False):
    id: Json


class Item(TypedDict, total=False):
    """A playlist item; the track under ``item`` (2026) or ``track`` (before), or both."""

    added_at: Json
    added_by: Optional[User]
    is_local: Json
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
    images: Optional[list[Image]]


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
