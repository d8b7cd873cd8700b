"""compute_artist_share on small hand-made tables: featured artists, duplicates,
missing names, several playlists and days."""

import pyarrow as pa
import pytest

from spotify_assets.trends.share import compute_artist_share
from spotify_assets.trends.trend_schemas import ARTIST_DAILY_SHARE_SCHEMA

ENTRIES = pa.table(
    {
        "dt": ["d1", "d1", "d1", "d1", "d1", "d2"],
        "playlist_id": ["P", "P", "P", "P", "Q", "P"],
        "song_id": ["s1", "s2", "s3", "s1", "s2", "s2"],  # s1 twice on P
    }
)
SONGS = pa.table(
    {
        "dt": ["d1", "d1", "d1", "d2"],
        "song_id": ["s1", "s2", "s3", "s2"],
        "artist_id": ["A", "B", "C", "B"],
        # s2 features A; s3 has no artist_ids (falls back to artist_id); B listed twice on d2.
        "artist_ids": pa.array([["A"], ["B", "A"], None, ["B", "B"]], pa.list_(pa.string())),
    }
)
ARTISTS = pa.table({"dt": ["d1", "d1", "d2"], "artist_id": ["A", "B", "B"], "artist_name": ["Ann", "Bob", "Bob"]})


def shares() -> dict[tuple, tuple]:
    return {
        (r["dt"], r["playlist_id"], r["artist_id"]): (r["entries"], r["share"], r["artist_name"])
        for r in compute_artist_share(ENTRIES, SONGS, ARTISTS).to_pylist()
    }


def test_every_credited_artist_counts_per_entry():
    result = shares()
    # P on d1: 4 song entries (s1, s2, s3, s1); A on s1 twice and featured on s2.
    assert result[("d1", "P", "A")] == (3, 0.75, "Ann")
    assert result[("d1", "P", "B")] == (1, 0.25, "Bob")
    assert result[("d1", "P", "C")] == (1, 0.25, None)  # C not in artists: no name


def test_playlists_and_days_have_their_own_denominator():
    result = shares()
    assert result[("d1", "Q", "A")] == (1, 1.0, "Ann") and result[("d1", "Q", "B")] == (1, 1.0, "Bob")
    assert result[("d2", "P", "B")] == (1, 1.0, "Bob")  # B listed twice on the song counts once
    assert len(result) == 6


def test_schema_and_order():
    table = compute_artist_share(ENTRIES, SONGS, ARTISTS)
    assert table.schema == ARTIST_DAILY_SHARE_SCHEMA.append(pa.field("dt", pa.string(), nullable=False))
    assert [(r["dt"], r["playlist_id"], r["artist_id"]) for r in table.to_pylist()][:3] == [
        ("d1", "P", "A"),
        ("d1", "P", "B"),
        ("d1", "P", "C"),
    ]
    assert compute_artist_share(ENTRIES.slice(0, 0), SONGS, ARTISTS).num_rows == 0


def test_missing_column_is_a_key_error():
    with pytest.raises(KeyError, match="artist_ids"):
        compute_artist_share(ENTRIES, SONGS.drop_columns(["artist_ids"]), ARTISTS)
