"""compute_playlist_trends on small hand-made entries: climbs, a song leaving and
re-entering, a day without a snapshot, duplicates, several playlists."""

import pyarrow as pa
import pytest

from spotify_assets.trends.positions import compute_playlist_trends
from spotify_assets.trends.trend_schemas import PLAYLIST_TRENDS_SCHEMA


def entries(*snapshots: tuple[str, str, list[str]]) -> pa.Table:
    """playlist_entries rows from ``(dt, playlist_id, [song ids in position order])``."""
    rows = [
        {
            "dt": dt,
            "playlist_id": pid,
            "playlist_name": f"name {pid}",
            "snapshot_id": f"{pid}@{dt}",
            "position": i,
            "song_id": song,
        }
        for dt, pid, songs in snapshots
        for i, song in enumerate(songs, start=1)
    ]
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("dt", pa.string()),
                ("playlist_id", pa.string()),
                ("playlist_name", pa.string()),
                ("snapshot_id", pa.string()),
                ("position", pa.int32()),
                ("song_id", pa.string()),
            ]
        ),
    )


def rows_by_song(table: pa.Table, dt: str, playlist_id: str = "P") -> dict[str, dict]:
    return {r["song_id"]: r for r in table.to_pylist() if r["dt"] == dt and r["playlist_id"] == playlist_id}


# A (1st) and B swap places, C leaves on day 3 and re-enters on day 5; no snapshot on day 4.
HISTORY = entries(
    ("2024-01-01", "P", ["a", "b", "c"]),
    ("2024-01-02", "P", ["b", "a", "c"]),
    ("2024-01-03", "P", ["b", "a", "d"]),
    ("2024-01-05", "P", ["c", "b", "a"]),
)


def test_first_snapshot_every_song_is_new_without_previous_position():
    day1 = rows_by_song(compute_playlist_trends(HISTORY), "2024-01-01")
    assert {
        s: (r["position"], r["previous_position"], r["position_change"], r["is_new_entry"]) for s, r in day1.items()
    } == {
        "a": (1, None, None, True),
        "b": (2, None, None, True),
        "c": (3, None, None, True),
    }
    assert {r["snapshots_on_playlist"] for r in day1.values()} == {1}
    assert {s: r["peak_position"] for s, r in day1.items()} == {"a": 1, "b": 2, "c": 3}


def test_climb_and_fall_compare_with_previous_snapshot():
    day2 = rows_by_song(compute_playlist_trends(HISTORY), "2024-01-02")
    assert day2["b"]["previous_position"] == 2 and day2["b"]["position"] == 1 and day2["b"]["position_change"] == 1
    assert day2["a"]["previous_position"] == 1 and day2["a"]["position"] == 2 and day2["a"]["position_change"] == -1
    assert day2["a"]["peak_position"] == 1  # best so far, not today's
    assert day2["c"]["position_change"] == 0 and not day2["c"]["is_new_entry"]
    assert day2["b"]["snapshots_on_playlist"] == 2


def test_song_that_left_gets_one_row_with_null_position():
    trends = compute_playlist_trends(HISTORY)
    day3 = rows_by_song(trends, "2024-01-03")
    assert day3["c"] == {
        "playlist_id": "P",
        "playlist_name": "name P",
        "snapshot_id": "P@2024-01-03",
        "song_id": "c",
        "position": None,
        "previous_position": 3,
        "position_change": None,
        "is_new_entry": False,
        "snapshots_on_playlist": 2,
        "peak_position": 3,
        "dt": "2024-01-03",
    }
    assert day3["d"]["is_new_entry"] and day3["d"]["previous_position"] is None
    # Dropped songs sort after the songs on the snapshot.
    assert [r["song_id"] for r in trends.to_pylist() if r["dt"] == "2024-01-03"] == ["b", "a", "d", "c"]


def test_previous_snapshot_skips_a_day_without_snapshot_and_reentry_is_new():
    trends = compute_playlist_trends(HISTORY)
    assert "2024-01-04" not in set(trends["dt"].to_pylist())
    day5 = rows_by_song(trends, "2024-01-05")
    # Previous snapshot of 01-05 is 01-03 (two days back): c re-enters, d left.
    assert day5["c"]["is_new_entry"] and day5["c"]["previous_position"] is None
    assert day5["c"]["snapshots_on_playlist"] == 3  # 01-01, 01-02 and 01-05
    assert day5["c"]["peak_position"] == 1
    assert day5["a"]["previous_position"] == 2 and day5["a"]["position_change"] == -1
    assert day5["d"]["position"] is None and day5["d"]["previous_position"] == 3
    assert sum(r["position"] is None for r in day5.values()) == 1


def test_song_twice_on_a_snapshot_takes_its_best_position():
    trends = compute_playlist_trends(entries(("2024-01-01", "P", ["x", "y", "x"])))
    assert [(r["song_id"], r["position"]) for r in trends.to_pylist()] == [("x", 1), ("y", 2)]


def test_playlists_are_independent():
    trends = compute_playlist_trends(
        entries(("2024-01-01", "P", ["a"]), ("2024-01-02", "Q", ["a", "b"]), ("2024-01-03", "P", ["b", "a"]))
    )
    q = rows_by_song(trends, "2024-01-02", "Q")
    assert q["a"]["is_new_entry"] and q["a"]["snapshots_on_playlist"] == 1  # P's history does not count
    p = rows_by_song(trends, "2024-01-03", "P")
    assert p["a"]["previous_position"] == 1 and p["b"]["is_new_entry"]


def test_requested_days_match_the_full_computation_and_schema():
    full = compute_playlist_trends(HISTORY)
    only = compute_playlist_trends(HISTORY, dts=["2024-01-03", "2024-01-04"])
    assert only.schema == PLAYLIST_TRENDS_SCHEMA.append(pa.field("dt", pa.string(), nullable=False))
    assert only.to_pylist() == [r for r in full.to_pylist() if r["dt"] == "2024-01-03"]
    assert compute_playlist_trends(HISTORY.slice(0, 0)).num_rows == 0


def test_missing_column_is_a_key_error():
    with pytest.raises(KeyError, match="snapshot_id"):
        compute_playlist_trends(HISTORY.drop_columns(["snapshot_id"]))
