"""Reading raw objects (recorded Spotify responses and broken bytes) and Spotify ids."""

from __future__ import annotations

import json
import pickle
import re

import pytest

from spotify_assets.spotify.daily_tables import build_tables
from spotify_assets.spotify.ids import (
    BASE62_ID,
    InvalidSpotifyIdError,
    parse_playlist_ids,
    validate_spotify_id,
)
from spotify_assets.spotify.raw_parsing import RawObjectError, RawPlaylist, parse_raw_document, parse_raw_object
from spotify_assets_tests.support.samples import sample_path

EXPECTED_SHAPES = (
    "expected a playlist object, a playlist-items page, a one-element list holding a playlist, "
    "or a list of playlist items"
)

# file -> (playlist_id, item count, first_position, total, playlist_name, where the items are in the raw JSON)
RECORDED_PLAYLISTS = {
    "rahmah95/spotify_data.json": ("37i9dQZEVXbNG2KDcFcKOF", 50, 1, 50, None, lambda d: d["items"]),
    "danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json": (
        "37i9dQZEVXbMDoHDwVN2tF",
        50,
        1,
        50,
        "Top 50 - Global",
        lambda d: d[0]["tracks"]["items"],
    ),
    "danielmschaves/d94f6aed57/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json": (
        "37i9dQZEVXbMDoHDwVN2tF",
        50,
        1,
        50,
        "Top 50 - Global",
        lambda d: d[0]["tracks"]["items"],
    ),
    "danielmschaves/ba481596bc/playlist_37i9dQZEVXbMDoHDwVN2tF_1.json": (
        "37i9dQZEVXbMDoHDwVN2tF",
        50,
        1,
        50,
        "Top 50 - Global",
        lambda d: d[0]["tracks"]["items"],
    ),
    "danielmschaves/f655cc637c/playlist_37i9dQZEVXbMDoHDwVN2tF_si=e8e1e56d145e4f9b_20.json": (
        "37i9dQZEVXbMDoHDwVN2tF",
        50,
        1,
        50,
        "Top 50 - Global",
        lambda d: d[0]["tracks"]["items"],
    ),
    "otinabrayo/playlist_tracks.json": ("playlist_tracks", 177, 1, None, None, lambda d: d),
    "huy-hng/0lSHxL8DnuRYEhk2cmKSDH.json": ("0lSHxL8DnuRYEhk2cmKSDH", 41, 1, None, None, lambda d: d),
    "huy-hng/7csrlizJurpn6y0xenTwzu.json": ("7csrlizJurpn6y0xenTwzu", 317, 1, None, None, lambda d: d),
    "joostlek-python-spotify/playlist_1.json": (
        "1Cp6VQCKf2VL4sP09jN9oX",
        1,
        1,
        1,
        "To find",
        lambda d: d["items"]["items"],
    ),
    "joostlek-python-spotify/playlist_3.json": (
        "0pM0KTMXM7K5qr3sL2DPw1",
        3,
        1,
        3,
        "Pain",
        lambda d: d["tracks"]["items"],
    ),
    "joostlek-python-spotify/playlist_items.json": ("1Cp6VQCKf2VL4sP09jN9oX", 1, 1, 1, None, lambda d: d["items"]),
    "zmb3-spotify/playlist_items_episodes_and_tracks.json": (
        "23Ay9WfURne0LvtlCvYTkj",
        4,
        1,
        4,
        None,
        lambda d: d["items"],
    ),
    # a playlist object whose "tracks" is a bare list of items (the recorder inlined every page)
    "laymonage-spotify-to-github/5At7uMb57j9ZTF18Bphaig.json": (
        "5At7uMb57j9ZTF18Bphaig",
        16,
        1,
        None,
        "Regional at Best",
        lambda d: d["tracks"],
    ),
    "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json": (
        "1sBSPdZ7IeXtPudsfyOzDK",
        100,
        1,
        707,
        None,
        lambda d: d["items"],
    ),
}

# Recorded responses that are no playlist at all, and what the reason says was found.
NOT_PLAYLISTS = {
    "danielmschaves/1c5c3f2663/Queen_artist_20.json": "a list of 20 elements whose items are not playlist items",
    "husnabayraktarr/spotify_raw.json": "an object with keys [artists]",
    "ipolakovic/top_artists_sample.json": "a paging object whose items are not playlist items",
    "joostlek-python-spotify/get_album.json": "an object of type 'album' with keys [album_type, total_tracks,",
    "joostlek-python-spotify/artist.json": "an object of type 'artist' with keys [external_urls, followers,",
}


def _reason(body: bytes | str, key: str = "raw/dt=2024-05-01/x.json") -> str:
    """The reason of the RawObjectError that parsing ``body`` raises."""
    with pytest.raises(RawObjectError) as caught:
        parse_raw_object(body, key)
    assert caught.value.key == key
    assert str(caught.value) == f"raw object {key}: {caught.value.reason}"
    return caught.value.reason


def _page(items: list, offset: int = 0, total: int | None = None) -> dict:
    """A playlist-items page (GET /playlists/{id}/items) around ``items``."""
    return {
        "href": f"https://api.spotify.com/v1/playlists/0PageTestPlaylist00001/items?offset={offset}&limit=100",
        "items": items,
        "limit": 100,
        "next": None,
        "offset": offset,
        "previous": None,
        "total": len(items) + offset if total is None else total,
    }


def _song(track_id: str = "0Song00000000000000001", **overrides) -> dict:
    """A minimal song item (2026 shape, track under ``item``)."""
    track = {"id": track_id, "name": "A made-up song", "duration_ms": 1000, "type": "track"}
    track.update(overrides)
    return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, "item": track}


# -- recorded responses ------------------------------------------------------------


@pytest.mark.parametrize("relative", sorted(RECORDED_PLAYLISTS))
def test_recorded_playlists_are_read_with_their_id_items_and_positions(relative):
    path = sample_path(relative)
    playlist_id, count, first_position, total, name, items_of = RECORDED_PLAYLISTS[relative]
    raw = json.loads(path.read_bytes())

    playlist = parse_raw_object(path.read_bytes(), relative)

    assert playlist.source_key == relative
    assert playlist.playlist_id == playlist_id
    assert len(playlist.items) == count
    assert playlist.items == items_of(raw)  # the same items, in playlist order
    assert playlist.first_position == first_position
    assert playlist.total == total
    assert playlist.playlist_name == name
    assert playlist.extracted_at is None  # not written by our extractor


def test_page_with_next_set_keeps_only_its_items_and_the_total():
    relative = "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json"
    raw = json.loads(sample_path(relative).read_bytes())
    assert raw["next"] is not None  # the recorded fact this test is about

    playlist = parse_raw_object(sample_path(relative).read_bytes(), relative)

    assert (playlist.playlist_id, len(playlist.items), playlist.total) == ("1sBSPdZ7IeXtPudsfyOzDK", 100, 707)
    assert playlist.items[35]["track"] is None  # the null track is kept as an item


def test_wrapped_playlist_object_gives_name_and_snapshot_id():
    relative = "danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json"
    raw = json.loads(sample_path(relative).read_bytes())

    playlist = parse_raw_object(sample_path(relative).read_bytes(), relative)

    assert playlist.playlist_id == "37i9dQZEVXbMDoHDwVN2tF"
    assert playlist.snapshot_id == raw[0]["snapshot_id"]


def test_2026_playlist_with_items_and_tracks_reads_items():
    relative = "joostlek-python-spotify/playlist_1.json"
    raw = json.loads(sample_path(relative).read_bytes())
    raw["tracks"]["items"] = []  # make the two paging objects differ: `items` must win

    playlist = parse_raw_document(raw, relative)

    assert len(playlist.items) == 1
    assert playlist.items[0]["item"]["id"] == "3ZL9gPzeCnKG9l5SB1SlcZ"
    assert playlist.snapshot_id == "AAAAAqEcxS92ddZ6R83Q8TWFhYshm18s"


@pytest.mark.parametrize("relative", sorted(NOT_PLAYLISTS))
def test_recorded_responses_that_are_no_playlist_are_refused(relative):
    reason = _reason(sample_path(relative).read_bytes(), relative)
    assert reason.startswith(f"JSON of the wrong shape: {NOT_PLAYLISTS[relative]}")
    assert reason.endswith(EXPECTED_SHAPES)


# -- the shapes, built in the test -------------------------------------------------


def test_our_extractor_shape_gives_extracted_at():
    document = {
        "id": "0Extracted000000000001",
        "name": "n",
        "snapshot_id": "s",
        "items": _page([_song()]),
        "extracted_at": "2024-05-01T06:00:00+00:00",
    }
    playlist = parse_raw_object(json.dumps(document), "raw/dt=2024-05-01/0Extracted000000000001.json")
    assert playlist == RawPlaylist(
        source_key="raw/dt=2024-05-01/0Extracted000000000001.json",
        playlist_id="0Extracted000000000001",
        playlist_name="n",
        snapshot_id="s",
        items=[_song()],
        first_position=1,
        total=1,
        extracted_at="2024-05-01T06:00:00+00:00",
    )


def test_page_offset_gives_first_position_and_href_gives_the_id():
    playlist = parse_raw_document(_page([_song()], offset=100, total=707), "whatever.json")
    assert (playlist.playlist_id, playlist.first_position, playlist.total) == ("0PageTestPlaylist00001", 101, 707)


def test_bare_list_takes_the_id_from_the_key_file_name():
    playlist = parse_raw_object(
        json.dumps([_song(), _song()]), "s3://bucket/raw/dt=2024-05-01/0Bare000000000000000001.json"
    )
    assert (playlist.playlist_id, len(playlist.items), playlist.first_position, playlist.total) == (
        "0Bare000000000000000001",
        2,
        1,
        None,
    )


def test_playlist_object_whose_tracks_or_items_is_a_bare_list():
    for field, track_field in (("tracks", "track"), ("items", "item")):
        document = {
            "id": "0Listed000000000000001",
            "name": "n",
            "snapshot_id": "s",
            "type": "playlist",
            field: [{"added_at": "2024-01-01T00:00:00Z", track_field: _song()["item"]}, {"track": None}],
        }
        playlist = parse_raw_object(json.dumps(document), "k.json")
        assert (
            playlist.playlist_id,
            playlist.playlist_name,
            playlist.snapshot_id,
            len(playlist.items),
            playlist.first_position,
            playlist.total,
        ) == ("0Listed000000000000001", "n", "s", 2, 1, None)
        assert build_tables([playlist]).playlist_entries["position"].to_pylist() == [1]


def test_empty_list_is_an_empty_playlist():
    playlist = parse_raw_object(b"[]", "0Empty0000000000000001.json")
    assert (playlist.playlist_id, playlist.items) == ("0Empty0000000000000001", [])


def test_text_body_and_utf8_bom_are_accepted():
    body = json.dumps(_page([_song()]))
    assert parse_raw_object(body, "k.json") == parse_raw_object(b"\xef\xbb\xbf" + body.encode(), "k.json")


# -- bad objects -------------------------------------------------------------------


def test_empty_object():
    assert _reason(b"") == "empty object (0 bytes)"
    assert _reason(b" \n\t") == "empty object (3 bytes of whitespace)"


@pytest.mark.parametrize(
    "body", [b"<html><body><h1>502 Bad Gateway</h1></body></html>", b"\n  <!DOCTYPE html><html></html>"]
)
def test_html_error_page(body):
    assert _reason(body) == "an HTML page, not JSON (an error page saved as data?)"


def test_truncated_json_names_the_byte_and_says_truncated():
    body = b'{"href": "x", "items": [{"added_at": "2020-08-18T03:26:16Z", "track": {"id": "6b8Be6ljOz'
    assert _reason(body) == (
        f"not valid JSON: unexpected end of data at byte {len(body)} "
        f"(the object ends there: truncated? it is {len(body)} bytes)"
    )


def test_invalid_json_names_the_byte_not_the_character():
    assert _reason(b'{"items": [1,]}') == "not valid JSON: trailing comma is not allowed at byte 12"
    # orjson counts characters: "é" is 2 bytes, so the comma is at byte 9 (character 8)
    assert _reason('{"é": [1,]}'.encode()) == "not valid JSON: trailing comma is not allowed at byte 9"


def test_invalid_utf8_names_the_first_bad_byte():
    assert _reason(b'{"name": "caf\xe9"}').startswith("not valid JSON: str is not valid UTF-8")
    assert _reason(b'{"name": "caf\xe9"}').endswith(" at byte 13")


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'{"artists": {"items": []}}', "an object with keys [artists]"),
        (b'"hello"', "a string 'hello'"),
        (b"42", "a number 42"),
        (b"null", "null"),
        (b"[1, 2]", "a list of 2 elements, the first a number 1"),
        (
            b'[{"id": "a", "type": "artist"}]',
            "a list of 1 element whose items are not playlist items (the first has keys [id, type])",
        ),
        (b'{"type": "album", "tracks": {"items": []}}', "an object of type 'album' with keys [type, tracks]"),
        (b'{"tracks": [{"id": "a", "is_local": false}], "seeds": []}', "an object with keys [tracks, seeds]"),
    ],
)
def test_json_of_the_wrong_shape_says_what_was_found(body, found):
    assert _reason(body) == f"JSON of the wrong shape: {found}, {EXPECTED_SHAPES}"


def test_spotify_error_response():
    body = b'{"error": {"status": 401, "message": "The access token expired"}}'
    assert _reason(body) == (
        "JSON of the wrong shape: a Spotify API error response (status 401: 'The access token expired'), "
        f"not a playlist, {EXPECTED_SHAPES}"
    )


def test_simplified_playlist_without_its_items():
    body = json.dumps({"id": "x", "type": "playlist", "items": {"href": "h", "total": 5}})
    assert _reason(body) == (
        "the playlist's 'items' paging object has no 'items' list "
        "(keys [href, total]; a simplified playlist without its items?)"
    )


def _invalid_items(body: str) -> tuple[RawPlaylist, dict]:
    """(the playlist read, ``build_tables(...).invalid_items``): item problems do not make the object bad."""
    playlist = parse_raw_object(body, "raw/dt=2024-05-01/x.json")
    return playlist, build_tables([playlist]).invalid_items


def test_item_that_is_not_an_object_is_an_invalid_item_at_its_position():
    playlist, invalid = _invalid_items(json.dumps(_page([{"track": None, "added_at": None}, 5, _song()], offset=10)))
    assert len(playlist.items) == 3
    assert invalid == {
        "raw/dt=2024-05-01/x.json": [(12, "invalid:item", "'item' is a number 5, expected a playlist item object")]
    }


def test_track_that_is_not_an_object():
    _, invalid = _invalid_items(json.dumps(_page([{"added_at": None, "track": "6b8Be6ljOzmkOmFslEb23P"}])))
    assert invalid["raw/dt=2024-05-01/x.json"] == [
        (1, "invalid:track", "'track' is a string '6b8Be6ljOzmkOmFslEb23P', expected a track or episode object")
    ]


@pytest.mark.parametrize("field", ["id", "name", "duration_ms"])
def test_song_missing_a_required_field_names_position_and_field(field):
    broken = _song("0Song00000000000000002")
    del broken["item"][field]
    _, invalid = _invalid_items(json.dumps(_page([_song(), broken], offset=10)))
    assert invalid["raw/dt=2024-05-01/x.json"] == [(12, f"invalid:{field}", f"track has no '{field}'")]


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("name", None, "'name' is null, expected a string"),
        (
            "duration_ms",
            "215467",
            "'duration_ms' is a string '215467', expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            "duration_ms",
            True,
            "'duration_ms' is a boolean true, expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        ("duration_ms", -1, "'duration_ms' is a number -1, expected an integer from 0 to 9,223,372,036,854,775,807"),
    ],
)
def test_song_required_field_of_the_wrong_type(field, value, detail):
    _, invalid = _invalid_items(json.dumps(_page([_song(**{field: value})])))
    assert invalid["raw/dt=2024-05-01/x.json"] == [(1, f"invalid:{field}", detail)]


def test_non_song_items_need_no_track_fields():
    items = [
        {"track": None},
        {"is_local": True, "track": {"id": None, "name": "local", "type": "track"}},
        {"item": {"id": "0Episode00000000000001", "type": "episode"}},
        {"item": {"id": "0Chapter00000000000001", "type": "chapter"}},
    ]
    assert len(parse_raw_document(items, "k.json").items) == 4


def test_error_keeps_key_and_reason_and_pickles():
    err = RawObjectError("raw/dt=2024-05-01/x.json", "empty object (0 bytes)")
    again = pickle.loads(pickle.dumps(err))
    assert (again.key, again.reason, str(again)) == (
        err.key,
        err.reason,
        "raw object raw/dt=2024-05-01/x.json: empty object (0 bytes)",
    )
    assert isinstance(again, ValueError)


# -- Spotify ids -------------------------------------------------------------------


def test_validate_spotify_id_returns_valid_ids():
    assert validate_spotify_id("37i9dQZEVXbMDoHDwVN2tF") == "37i9dQZEVXbMDoHDwVN2tF"
    assert BASE62_ID.pattern == r"^[0-9A-Za-z]{1,64}$"


@pytest.mark.parametrize("value", ["../x", "", "a/b", "abc\n", "abc-def", "x" * 65, "spotify:playlist:abc", None, 12])
def test_validate_spotify_id_refuses_anything_else(value):
    with pytest.raises(InvalidSpotifyIdError) as caught:
        validate_spotify_id(value, kind="track")
    assert str(caught.value) == (
        f"invalid track id {value!r}: Spotify ids are base-62 ([0-9A-Za-z]), 1 to 64 characters (22 in practice)"
    )


def test_parse_playlist_ids_accepts_ids_uris_and_urls_in_order_without_duplicates():
    value = (
        "37i9dQZEVXbMDoHDwVN2tF, 1sBSPdZ7IeXtPudsfyOzDK ,spotify:playlist:0pM0KTMXM7K5qr3sL2DPw1, "
        "https://open.spotify.com/playlist/1Cp6VQCKf2VL4sP09jN9oX?si=e8e1e56d145e4f9b\n"
        "https://open.spotify.com/intl-de/playlist/23Ay9WfURne0LvtlCvYTkj 37i9dQZEVXbMDoHDwVN2tF,,"
    )
    assert parse_playlist_ids(value) == [
        "37i9dQZEVXbMDoHDwVN2tF",
        "1sBSPdZ7IeXtPudsfyOzDK",
        "0pM0KTMXM7K5qr3sL2DPw1",
        "1Cp6VQCKf2VL4sP09jN9oX",
        "23Ay9WfURne0LvtlCvYTkj",
    ]
    assert parse_playlist_ids("") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("37i9dQZEVXbMDoHDwVN2tF, ../x", "invalid playlist id '../x'"),
        ("spotify:playlist:../../etc", "invalid playlist id '../../etc'"),
        (
            "https://open.spotify.com/track/6b8Be6ljOzmkOmFslEb23P",
            "invalid playlist id 'https://open.spotify.com/track/",
        ),
    ],
)
def test_parse_playlist_ids_refuses_entries_without_a_valid_id(value, message):
    with pytest.raises(InvalidSpotifyIdError, match="^" + re.escape(message)):
        parse_playlist_ids(value)
