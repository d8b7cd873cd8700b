"""Expected table rows computed straight from recorded JSON, independently of the
project's transform code, so that tests compare two separate readings of the API."""

from __future__ import annotations

import datetime as dt


def item_object(item: dict) -> dict | None:
    return item.get("item") if item.get("item") is not None else item.get("track")


def is_song(item: dict) -> bool:
    track = item_object(item)
    return (
        bool(track)
        and not item.get("is_local")
        and not track.get("is_local")
        and track.get("id") is not None
        and track.get("type") == "track"
    )


def expected_entries(playlist_id: str, items: list[dict], first_position: int = 1) -> list[tuple]:
    """``[(playlist_id, position, song_id, added_at as aware datetime)]`` for song items."""
    rows = []
    for index, item in enumerate(items):
        if is_song(item):
            added = dt.datetime.fromisoformat(item["added_at"].replace("Z", "+00:00")) if item.get("added_at") else None
            rows.append((playlist_id, first_position + index, item_object(item)["id"], added))
    return rows


def expected_songs(items: list[dict]) -> dict[str, tuple]:
    """``{song_id: (song_name, duration_ms, album_id, first track artist id)}``."""
    songs = {}
    for item in items:
        if is_song(item):
            track = item_object(item)
            songs.setdefault(
                track["id"], (track["name"], track["duration_ms"], track["album"]["id"], track["artists"][0]["id"])
            )
    return songs


def expected_release_date(value: str | None, precision: str | None) -> dt.date | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    if parts[0] == 0:
        return None
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def entry_rows(entries) -> list[tuple]:
    """The rows of a built ``playlist_entries`` table (a ``pyarrow.Table``) as
    ``[(playlist_id, position, song_id, added_at)]``, the shape of :func:`expected_entries`."""
    columns = ("playlist_id", "position", "song_id", "added_at")
    return list(zip(*(entries[column].to_pylist() for column in columns)))
