"""Where the real recorded Spotify API responses live, and how tests skip without them.

The recordings are in ``../shared/spotify-samples/`` beside the repository (see its
MANIFEST.md). They are never copied into this repository.
"""

from pathlib import Path

import pytest

SAMPLES_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "spotify-samples").resolve()


def sample_path(relative: str) -> Path:
    """Path of one recorded file, e.g. ``sample_path("huy-hng/7csrlizJurpn6y0xenTwzu.json")``.

    Skips the calling test (``pytest.skip``) with the reason when the shared folder or the
    file is absent, so the suite still runs on a machine without ``../shared``.
    """
    path = SAMPLES_DIR / relative
    if not path.is_file():
        pytest.skip(
            f"recorded Spotify samples not available: {path} is absent (they live in ../shared/spotify-samples)"
        )
    return path


# The recordings the tests and the benchmarks read, by name (see the samples' MANIFEST.md).
TOP50_ID = "37i9dQZEVXbMDoHDwVN2tF"  # "Top 50 - Global"
# dt -> the recording of "Top 50 - Global" captured that day.
TOP50_SNAPSHOTS = {
    "2024-04-22": "danielmschaves/f655cc637c/playlist_37i9dQZEVXbMDoHDwVN2tF_si=e8e1e56d145e4f9b_20.json",
    "2024-05-02": "danielmschaves/ba481596bc/playlist_37i9dQZEVXbMDoHDwVN2tF_1.json",
    "2024-05-11": "danielmschaves/d94f6aed57/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json",
    "2024-05-15": "danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json",
}
HUY_HNG = "huy-hng/7csrlizJurpn6y0xenTwzu.json"  # 317 items
HUY_HNG_SMALL = "huy-hng/0lSHxL8DnuRYEhk2cmKSDH.json"  # 41 items
OTINABRAYO = "otinabrayo/playlist_tracks.json"  # a bare list of 177 items
RAHMAH = "rahmah95/spotify_data.json"
NB_CONVERTED = "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json"
JOOSTLEK_1 = "joostlek-python-spotify/playlist_1.json"
JOOSTLEK_3 = "joostlek-python-spotify/playlist_3.json"
JOOSTLEK_ITEMS = "joostlek-python-spotify/playlist_items.json"  # the items page of JOOSTLEK_1's playlist
ZMB3 = "zmb3-spotify/playlist_items_episodes_and_tracks.json"  # 2 episodes + 2 tracks
LAYMONAGE = "laymonage-spotify-to-github/5At7uMb57j9ZTF18Bphaig.json"  # playlist object, "tracks" a bare list

# Every recording that holds playlist items (in any shape the parser accepts). The
# benchmarks' item pool is ITEM_POOL_RECORDINGS, in this order (it sets which items a
# pool of a given size holds).
ITEM_POOL_RECORDINGS = (
    HUY_HNG,
    HUY_HNG_SMALL,
    OTINABRAYO,
    RAHMAH,
    *(TOP50_SNAPSHOTS[dt] for dt in sorted(TOP50_SNAPSHOTS, reverse=True)),
    NB_CONVERTED,
    JOOSTLEK_1,
    JOOSTLEK_3,
    ZMB3,
)
PLAYLIST_RECORDINGS = (*ITEM_POOL_RECORDINGS, JOOSTLEK_ITEMS, LAYMONAGE)


def playlist_document(playlist_id: str, items: list[dict], snapshot_id: str, name: str, **fields) -> dict:
    """A raw object as the extractor writes it: the playlist object with every item in its
    ``items`` page (2026 shape); ``fields`` are added at its top level (``extracted_at``,
    ``lookups``)."""
    return {
        "id": playlist_id,
        "name": name,
        "snapshot_id": snapshot_id,
        "type": "playlist",
        "items": {
            "href": f"https://api.spotify.com/v1/playlists/{playlist_id}/items?offset=0&limit=50",
            "items": items,
            "limit": 50,
            "next": None,
            "offset": 0,
            "previous": None,
            "total": len(items),
        },
        **fields,
    }
