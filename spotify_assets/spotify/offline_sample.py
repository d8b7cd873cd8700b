"""The offline default: the synthetic sample playlist shipped in the package, served page
by page exactly as ``GET /playlists/{id}`` and ``GET /playlists/{id}/items`` would, so
that extraction runs through the same code as the live path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

SAMPLE_FILE = "synthetic_playlist.json"


def load_sample_playlist() -> dict:
    """The synthetic playlist object (2026 shape, every item in its ``items`` page)."""
    text = resources.files("spotify_assets").joinpath("sample_data", SAMPLE_FILE).read_text(encoding="utf-8")
    return json.loads(text)


class OfflineSampleReader:
    """A :class:`~spotify_assets.spotify.extract.PlaylistReader` over the synthetic sample.

    It knows one playlist, ``playlist_id`` (the sample's id); asking for another raises
    ``KeyError``. ``request_count`` counts the simulated requests.
    """

    source = "synthetic-sample"

    def __init__(self) -> None:
        self._playlist = load_sample_playlist()
        self.playlist_id: str = self._playlist["id"]
        self.request_count = 0

    def _check(self, playlist_id: str) -> None:
        if playlist_id != self.playlist_id:
            raise KeyError(f"the offline sample holds playlist {self.playlist_id} only, not {playlist_id}")

    def start_playlist(self, playlist_id: str) -> None:
        """Nothing to bound: the sample is read from the package."""

    def playlist_metadata(self, playlist_id: str) -> dict:
        self._check(playlist_id)
        self.request_count += 1
        return {key: value for key, value in self._playlist.items() if key not in ("items", "tracks")}

    def playlist_item_pages(self, playlist_id: str, page_size: int = 50) -> Iterator[dict]:
        self._check(playlist_id)
        items = self._playlist["items"]["items"]
        href = f"https://api.spotify.com/v1/playlists/{playlist_id}/items"
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
