"""``playlist_entries`` history → ``playlist_trends`` rows: where each song stands on a
playlist's snapshot and how that compares with the playlist's previous snapshot.

A *snapshot* is a playlist's state on one ``dt``: the dts on which the playlist has
entries, one per dt. The *previous snapshot* of dt is the playlist's latest snapshot
before dt, however many days back (days without a snapshot are skipped, not read as an
empty playlist).

Choices (documented for the readers of the table):

- a song twice on a snapshot counts once, at its best (lowest) position;
- on a playlist's first-ever snapshot every song is a new entry (``is_new_entry`` true,
  ``previous_position`` null), so ``is_new_entry`` always equals
  ``position IS NOT NULL AND previous_position IS NULL``;
- a song that LEFT (on the previous snapshot, not on this one) gets one row on this
  snapshot with ``position`` null (no separate ``dropped_entries`` asset): its
  ``previous_position`` is where it was, ``is_new_entry`` false, ``position_change``
  null. It gets no further rows until it re-enters (then as a new entry).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pyarrow as pa

from spotify_assets.trends.trend_schemas import PLAYLIST_TRENDS_SCHEMA
from spotify_assets.vocabulary import PARTITION_COLUMN

__all__ = ["ENTRY_COLUMNS", "compute_playlist_trends"]


# Columns of playlist_entries that the trends are computed from (dt comes from the folder).
ENTRY_COLUMNS = ("playlist_id", "playlist_name", "snapshot_id", "position", "song_id")


@dataclass
class _Snapshot:
    playlist_name: str | None
    snapshot_id: str | None
    positions: dict[str, int] = field(default_factory=dict)  # song_id -> best position


def compute_playlist_trends(entries: pa.Table, dts: Collection[str] | None = None) -> pa.Table:
    """Trend rows for the snapshots of ``entries`` on the days ``dts``.

    ``entries``: ``playlist_entries`` rows with a ``dt`` string column (YYYY-MM-DD, UTC
    day) and at least :data:`ENTRY_COLUMNS` (``position`` int, 1-based). It must hold the
    whole history up to the latest of ``dts``: earlier snapshots decide
    ``previous_position``, ``snapshots_on_playlist`` and ``peak_position``.

    ``dts``: the days to return rows for; None = every dt in ``entries``. Days without
    any snapshot give no rows.

    Returns :data:`~spotify_assets.trends.trend_schemas.PLAYLIST_TRENDS_SCHEMA` plus a last ``dt`` string column, one row per
    (dt, playlist_id, song_id), sorted by dt, playlist_id, position (dropped songs last,
    by previous position). Raises ``KeyError`` when a needed column is missing.
    """
    missing = [c for c in (PARTITION_COLUMN, *ENTRY_COLUMNS) if c not in entries.column_names]
    if missing:
        raise KeyError(f"playlist_entries lacks column(s) {missing}")
    wanted = None if dts is None else set(dts)
    snapshots = _snapshots_by_playlist(entries)
    rows: list[dict] = []
    for playlist_id in sorted(snapshots):
        rows.extend(_playlist_rows(playlist_id, snapshots[playlist_id], wanted))
    rows.sort(
        key=lambda r: (
            r[PARTITION_COLUMN],
            r["playlist_id"],
            r["position"] is None,
            r["position"] or r["previous_position"],
            r["song_id"],
        )
    )
    schema = PLAYLIST_TRENDS_SCHEMA.append(pa.field(PARTITION_COLUMN, pa.string(), nullable=False))
    return pa.Table.from_pylist(rows, schema=schema)


def _snapshots_by_playlist(entries: pa.Table) -> dict[str, dict[str, _Snapshot]]:
    """``{playlist_id: {dt: _Snapshot}}``; name and snapshot_id from the first row of the day."""
    out: dict[str, dict[str, _Snapshot]] = {}
    for row in entries.select([PARTITION_COLUMN, *ENTRY_COLUMNS]).to_pylist():
        by_dt = out.setdefault(row["playlist_id"], {})
        snap = by_dt.get(row[PARTITION_COLUMN])
        if snap is None:
            snap = by_dt[row[PARTITION_COLUMN]] = _Snapshot(row["playlist_name"], row["snapshot_id"])
        song, position = row["song_id"], int(row["position"])
        snap.positions[song] = min(position, snap.positions.get(song, position))
    return out


def _playlist_rows(playlist_id: str, by_dt: dict[str, _Snapshot], wanted: set[str] | None) -> list[dict]:
    """Walk one playlist's snapshots in date order, carrying counts and peaks forward."""
    rows = []
    previous: dict[str, int] = {}  # empty before the first snapshot: all its songs are new
    counts: dict[str, int] = {}
    peaks: dict[str, int] = {}
    for dt in sorted(by_dt):
        snap = by_dt[dt]
        for song, position in snap.positions.items():
            counts[song] = counts.get(song, 0) + 1
            peaks[song] = min(position, peaks.get(song, position))
        if wanted is None or dt in wanted:
            base = {
                PARTITION_COLUMN: dt,
                "playlist_id": playlist_id,
                "playlist_name": snap.playlist_name,
                "snapshot_id": snap.snapshot_id,
            }
            for song, position in snap.positions.items():
                before = previous.get(song)
                rows.append(
                    base
                    | {
                        "song_id": song,
                        "position": position,
                        "previous_position": before,
                        "position_change": None if before is None else before - position,
                        "is_new_entry": before is None,
                        "snapshots_on_playlist": counts[song],
                        "peak_position": peaks[song],
                    }
                )
            for song in previous.keys() - snap.positions.keys():  # left since the previous snapshot
                rows.append(
                    base
                    | {
                        "song_id": song,
                        "position": None,
                        "previous_position": previous[song],
                        "position_change": None,
                        "is_new_entry": False,
                        "snapshots_on_playlist": counts[song],
                        "peak_position": peaks[song],
                    }
                )
        previous = snap.positions
    return rows
