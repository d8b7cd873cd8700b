"""Which of the authorising user's playlists can be read: ``SPOTIFY_PLAYLIST_IDS=me``.

``GET /me/playlists`` lists the playlists a user owns **or follows** (simplified playlist
objects, 50 a page). Since 2026 a development-mode app reads the items only of playlists
the authorising user owns or collaborates on, so the others are left out here, each with
its reason, instead of failing one by one with 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from spotify_assets.spotify.ids import BASE62_ID


def readable_playlists(user_id: str, playlists: Iterable[object]) -> tuple[list[str], dict[str, str]]:
    """``([ids], {id or position: why left out})`` from the simplified playlist objects of
    ``GET /me/playlists`` in the order listed: a playlist is kept when ``owner.id`` is
    ``user_id`` (from ``GET /me``) or ``collaborative`` is ``true``; an id listed twice is
    kept once. An element that is not a playlist object with a base-62 ``id`` is left out
    under ``"item <n>"`` (1-based)."""
    kept: list[str] = []
    left_out: dict[str, str] = {}
    for position, playlist in enumerate(playlists, start=1):
        playlist_id = playlist.get("id") if isinstance(playlist, dict) else None
        if not isinstance(playlist_id, str) or not BASE62_ID.match(playlist_id):
            left_out[f"item {position}"] = "not a playlist object with a Spotify id"
            continue
        owner = playlist.get("owner")
        owner_id = owner.get("id") if isinstance(owner, dict) else None
        if owner_id == user_id or playlist.get("collaborative") is True:
            if playlist_id not in kept:
                kept.append(playlist_id)
            continue
        left_out[playlist_id] = (
            f"followed, owned by {owner_id!r} and not collaborative: since 2026 a development-mode app "
            "reads only the items of playlists the authorising user owns or collaborates on"
        )
    return kept, left_out
