"""The fast path of ``parse_raw_object`` (``all_fields=False``: msgspec, declared fields
only) against the full path (the default: orjson, every field): same playlists, same
tables, same errors."""

from __future__ import annotations

import json
import typing
from importlib.resources import files

import msgspec
import pytest

from spotify_assets.spotify import raw_types
from spotify_assets.spotify.daily_tables import build_tables, count_skipped_items
from spotify_assets.spotify.raw_parsing import RawObjectError, parse_raw_object
from spotify_assets_tests.support.samples import PLAYLIST_RECORDINGS, sample_path

SYNTHETIC = "synthetic_playlist.json"
RECORDINGS = sorted(PLAYLIST_RECORDINGS)
# raw_types declares albums and artists as Raw (decoded later): what they are read as.
RAW_AS = {
    ("Track", "album"): raw_types.Album,
    ("Track", "artists"): raw_types.Artist,
    ("Album", "artists"): raw_types.Artist,
}


def _body(name: str) -> bytes:
    if name == SYNTHETIC:
        return (files("spotify_assets") / "sample_data" / SYNTHETIC).read_bytes()
    return sample_path(name).read_bytes()


def _both(body: bytes, key: str = "raw/dt=2024-05-01/0Fast0000000000000001.json"):
    return parse_raw_object(body, key, all_fields=False), parse_raw_object(body, key)


def _reasons(body: bytes, key: str = "raw/dt=2024-05-01/0Fast0000000000000001.json") -> tuple[str, str]:
    """The RawObjectError reasons of the fast and the full path."""
    reasons = []
    for all_fields in (False, True):
        with pytest.raises(RawObjectError) as caught:
            parse_raw_object(body, key, all_fields=all_fields)
        reasons.append(caught.value.reason)
    return reasons[0], reasons[1]


def _declared(value: object, typed: type) -> object:
    """``value`` (as the full path reads it) keeping only the fields ``typed`` declares, nested."""
    if not isinstance(value, dict):
        return value
    hints = typing.get_type_hints(typed)
    out = {}
    for name, inner in value.items():
        if name in hints:
            nested = RAW_AS.get((typed.__name__, name)) or _typed_dict_in(hints[name])
            if nested is None:
                out[name] = inner
            elif isinstance(inner, list):
                out[name] = [_declared(element, nested) for element in inner]
            else:
                out[name] = _declared(inner, nested)
    return out


def _typed_dict_in(hint: object) -> type | None:
    """The TypedDict inside ``Optional[...]``/``list[...]``/``Union[...]``, None for a leaf."""
    if typing.is_typeddict(hint):
        return hint
    for arg in typing.get_args(hint):
        if typing.is_typeddict(arg) or (
            typing.get_origin(arg) is list and typing.is_typeddict(typing.get_args(arg)[0])
        ):
            return _typed_dict_in(arg)
    return None


def _page(items: list, **extra) -> bytes:
    return json.dumps(
        {
            "href": "https://api.spotify.com/v1/playlists/0PageTestPlaylist00001/items",
            "items": items,
            "offset": 0,
            "total": len(items),
            **extra,
        }
    ).encode()


def _song(track_id: str = "0Song00000000000000001", **overrides) -> dict:
    """A song item; ``href`` and ``primary_color`` are fields the fast path does not read."""
    track = {
        "id": track_id,
        "name": "A made-up song",
        "duration_ms": 1000,
        "type": "track",
        "href": "https://api.spotify.com/v1/tracks/x",
        "album": {
            "id": "0Album0000000000000001",
            "name": "An album",
            "artists": [{"id": "0Artist000000000000001", "name": "Someone"}],
        },
        "artists": [{"id": "0Artist000000000000001", "name": "Someone"}],
    }
    track.update(overrides)
    return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, "primary_color": None, "item": track}


# -- what the fast path reads -----------------------------------------------------


@pytest.mark.parametrize("name", [SYNTHETIC, *RECORDINGS])
def test_fast_and_full_path_give_the_same_playlist_and_tables(name):
    fast, full = _both(_body(name), name)
    assert fast.items is not full.items
    assert fast.types_checked and not full.types_checked  # msgspec's strict types held: no fallback
    assert (
        fast.source_key,
        fast.playlist_id,
        fast.playlist_name,
        fast.snapshot_id,
        fast.first_position,
        fast.total,
        fast.extracted_at,
    ) == (
        full.source_key,
        full.playlist_id,
        full.playlist_name,
        full.snapshot_id,
        full.first_position,
        full.total,
        full.extracted_at,
    )
    # The fast path was taken (no fallback): every item holds declared fields only, equal to the full item's.
    assert fast.items == [_declared(item, raw_types.Item) for item in full.items]
    assert count_skipped_items(fast) == count_skipped_items(full)
    fast_tables, full_tables = build_tables([fast]), build_tables([full])
    assert fast_tables.skipped_items == full_tables.skipped_items
    for table, built in fast_tables.as_dict().items():
        assert built.equals(full_tables.as_dict()[table], check_metadata=True), table


def test_full_path_items_keep_every_field_and_fast_ones_only_declared_fields():
    fast, full = _both(_body(SYNTHETIC))
    assert "available_markets" not in json.dumps(full.items)  # 2026 shape: removed by Spotify
    assert {"href", "uri"} <= set(full.items[0]["item"]["album"]["artists"][0])
    assert set(fast.items[0]["item"]["album"]["artists"][0]) <= set(typing.get_type_hints(raw_types.Artist))
    assert "href" not in fast.items[0]["item"]


def test_equal_albums_and_artists_are_decoded_once_and_shared():
    items = [
        _song("0Song00000000000000001"),
        _song("0Song00000000000000002"),
        _song("0Song00000000000000003", album={"id": "0Album0000000000000002"}),
    ]
    fast, full = _both(_page(items))
    tracks = [item["item"] for item in fast.items]
    assert tracks[0]["album"] is tracks[1]["album"] is not tracks[2]["album"]
    assert tracks[0]["artists"][0] is tracks[1]["artists"][0] is tracks[0]["album"]["artists"][0]
    assert [t["album"] for t in tracks] == [item["item"]["album"] for item in full.items]


def test_unknown_huge_field_is_skipped():
    body = _page([_song()], description="x" * 5_000_000, numbers=list(range(200_000)), nested=[{"deep": [[{}]]}] * 1000)
    fast, full = _both(body)
    assert fast.items == [_declared(item, raw_types.Item) for item in full.items] != full.items
    assert build_tables([fast]).songs.equals(build_tables([full]).songs)


def test_albums_of_other_json_types_read_as_by_the_full_path():
    # A string album makes msgspec refuse the document: the full path reads it, and the item is invalid.
    body = _page([_song(album="0Album0000000000000001"), _song("0Song00000000000000002", album=None)])
    fast, full = _both(body)
    assert fast == full
    built = build_tables([fast])
    assert built.songs.column("song_id").to_pylist() == ["0Song00000000000000002"]
    assert built.songs.column("album_id").to_pylist() == [None]
    assert built.invalid_items == {
        fast.source_key: [(1, "invalid:album", "'album' is a string '0Album0000000000000001', expected an object")]
    }


# -- invalid items: the same rows, reasons and details on both paths ------------------


@pytest.mark.parametrize(
    ("items", "reason", "detail"),
    [
        (
            [{"added_at": None, "track": "6b8Be6ljOzmkOmFslEb23P"}],
            "invalid:track",
            "'track' is a string '6b8Be6ljOzmkOmFslEb23P', expected a track or episode object",
        ),
        (
            [_song(duration_ms="215467")],
            "invalid:duration_ms",
            "'duration_ms' is a string '215467', expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            [_song(duration_ms=True)],
            "invalid:duration_ms",
            "'duration_ms' is a boolean true, expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            [_song(duration_ms=1.5)],
            "invalid:duration_ms",
            "'duration_ms' is a number 1.5, expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        # beyond 64 bits: orjson reads a float, msgspec refuses it (the full path reads it)
        (
            [_song(duration_ms=2**64)],
            "invalid:duration_ms",
            "'duration_ms' is a number 1.8446744073709552e+19, expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            [_song(duration_ms=2**63)],
            "invalid:duration_ms",
            "'duration_ms' is a number 9223372036854775808, expected an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            [_song(id=12345678901234567890123)],
            "invalid:id",
            "'id' is a number 1.2345678901234568e+22, expected a Spotify id (base-62 string)",
        ),
        ([_song(name=None)], "invalid:name", "'name' is null, expected a string"),
        ([_song(name=["a", "b"])], "invalid:name", "'name' is a list of 2 elements, expected a string"),
        (
            [_song(name={"text": "x", "lang": "en"})],
            "invalid:name",
            "'name' is an object with keys [text, lang], expected a string",
        ),
        ([5], "invalid:item", "'item' is a number 5, expected a playlist item object"),
        ([{"item": {"name": "x", "duration_ms": 1, "type": "track", "href": "h"}}], "invalid:id", "track has no 'id'"),
        ([_song(explicit="true")], "invalid:explicit", "'explicit' is a string 'true', expected a boolean"),
        ([{**_song(), "is_local": "false"}], "invalid:is_local", "'is_local' is a string 'false', expected a boolean"),
    ],
)
def test_invalid_item_gives_the_same_result_on_both_paths(items, reason, detail):
    fast, full = _both(_page([_song("0Song00000000000000009"), *items]))
    fast_tables, full_tables = build_tables([fast]), build_tables([full])
    assert fast_tables.invalid_items == full_tables.invalid_items == {fast.source_key: [(2, reason, detail)]}
    assert fast_tables.skipped_items == full_tables.skipped_items
    assert fast_tables.skipped_items[reason] == 1
    assert count_skipped_items(fast) == count_skipped_items(full) == fast_tables.skipped_items
    assert fast_tables.songs.column("song_id").to_pylist() == ["0Song00000000000000009"]
    for table, built in fast_tables.as_dict().items():
        assert built.equals(full_tables.as_dict()[table], check_metadata=True), table


# -- bad objects: the same reasons as the full path ---------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_page([_song()], offset=1e18), "page 'offset' is a number 1e+18, expected an integer from 0 to 2,147,483,646"),
        (
            _page([_song()], offset=2**31 - 1),
            "page 'offset' is a number 2147483647, expected an integer from 0 to 2,147,483,646",
        ),
        (_page([_song()], offset=-1), "page 'offset' is a number -1, expected an integer from 0"),
        (_page([_song()], offset="0"), "page 'offset' is a string '0', expected an integer from 0"),
        (_page([_song()], total=-5), "page 'total' is a number -5, expected an integer of at least 0"),
        (
            b'{"id": 5, "type": "playlist", "items": {"items": []}}',
            "the playlist's 'id' is a number 5, expected a string",
        ),
        (
            b'{"id": "x", "snapshot_id": ["s"], "items": {"items": []}}',
            "the playlist's 'snapshot_id' is a list of 1 element, expected a string",
        ),
        (
            b'{"id": "x", "items": {"items": []}, "extracted_at": "yesterday"}',
            "'extracted_at' is a string 'yesterday', expected an ISO 8601 timestamp",
        ),
        (
            b'{"id": "x", "items": {"items": []}, "lookups": []}',
            "the playlist's 'lookups' is a list of 0 elements, expected an object",
        ),
        (
            b'{"error": {"status": 401, "message": "The access token expired"}}',
            "JSON of the wrong shape: a Spotify API error response",
        ),
        (
            b'{"type": "album", "tracks": {"items": []}, "label": "x"}',
            "JSON of the wrong shape: an object of type 'album' with keys [type, tracks, label]",
        ),
        (
            b'[{"id": "a", "type": "artist", "genres": []}]',
            "JSON of the wrong shape: a list of 1 element whose items are not playlist items (the first has keys [id, type, genres])",
        ),
        (
            b'{"id": "x", "type": "playlist", "items": {"href": "h", "total": 5, "limit": 50}}',
            "the playlist's 'items' paging object has no 'items' list (keys [href, total, limit]",
        ),
        (b'{"items": [1,]}', "not valid JSON: trailing comma is not allowed at byte 12"),
        (b"42", "JSON of the wrong shape: a number 42"),
    ],
)
def test_bad_object_gives_the_reason_of_the_full_path(body, reason):
    fast, full = _reasons(body)
    assert fast == full
    assert fast.startswith(reason)


def test_invalid_utf8_in_a_field_not_read_is_refused_as_by_the_full_path():
    body = _page([_song()]).replace(b'"href"', b'"descr": "caf\xe9", "href"')
    fast, full = _reasons(body)
    assert fast == full
    assert fast.startswith("not valid JSON: str is not valid UTF-8")


def test_deeply_nested_field_not_read_gives_the_full_path_answer():
    deep = b"[" * 1100 + b"]" * 1100  # deeper than msgspec recurses and than orjson accepts
    fast, full = _reasons(_page([_song()])[:-1] + b', "deep": ' + deep + b"}")
    assert fast == full
    assert fast.startswith("not valid JSON: depth limit exceeded")


def test_known_difference_a_number_too_large_for_a_float_in_a_field_not_read():
    # orjson refuses 1e400 anywhere; msgspec skips fields it does not read without converting them.
    body = _page([_song()])[:-1] + b', "score": 1e400}'
    assert len(parse_raw_object(body, "k.json", all_fields=False).items) == 1
    with pytest.raises(RawObjectError, match="number is infinity"):
        parse_raw_object(body, "k.json")
    # In a field that is read, msgspec refuses it too, and the full path gives the reason.
    fast, full = _reasons(_page([_song(duration_ms=1)]).replace(b'"duration_ms": 1', b'"duration_ms": 1e400'))
    assert fast == full


def test_raw_types_decoders_refuse_other_json_types():
    with pytest.raises(msgspec.ValidationError, match=r"Expected `object \| null`, got `str` - at `\$.track`"):
        msgspec.json.decode(b'{"track": "x"}', type=raw_types.Item)
