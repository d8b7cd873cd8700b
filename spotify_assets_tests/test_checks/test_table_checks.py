"""The table checks (``spotify_assets.checks.table_checks``) as pure functions over
``pyarrow`` tables: they pass on tables built from real recordings and fail, naming the
offending keys, ids and days, on constructed bad tables."""

import pyarrow as pa
import pytest

from spotify_assets.assets.spotify_tables import KEY_COLUMNS, REFERENCES
from spotify_assets.checks import table_checks
from spotify_assets.checks.table_checks import (
    FAILED_PARTITIONS,
    CheckOutcome,
    combine,
    keys_unique_and_not_null,
    references_exist,
    row_count_drop,
)
from spotify_assets.lake.layout import RawObject
from spotify_assets.transform import build_partition_tables
from spotify_assets_tests.support.samples import (
    HUY_HNG,
    JOOSTLEK_3,
    NB_CONVERTED,
    OTINABRAYO,
    TOP50_SNAPSHOTS,
    ZMB3,
    sample_path,
)

RECORDINGS = {
    "2024-05-11": [TOP50_SNAPSHOTS["2024-05-11"], HUY_HNG],
    "2024-05-12": [TOP50_SNAPSHOTS["2024-05-15"], NB_CONVERTED, ZMB3, JOOSTLEK_3, OTINABRAYO],
}


def _real_tables() -> dict[str, pa.Table]:
    objects = [
        RawObject(dt=dt, key=f"raw_playlist/dt={dt}/{rel.replace('/', '_')}", body=sample_path(rel).read_bytes())
        for dt, rels in RECORDINGS.items()
        for rel in rels
    ]
    result = build_partition_tables(objects, list(RECORDINGS))
    assert result.bad_objects == {}
    return result.tables


def test_every_check_passes_on_tables_built_from_real_recordings():
    tables = _real_tables()
    for name, key in KEY_COLUMNS.items():
        outcome = keys_unique_and_not_null(tables[name], key, name)
        assert outcome.passed, outcome.description
        assert outcome.metadata == {"null_keys": 0, "duplicate_keys": 0, "rows": tables[name].num_rows}
    for child, column, parent, parent_column in REFERENCES:
        outcome = references_exist(tables[child], column, tables[parent], parent_column, child, parent)
        assert outcome.passed, outcome.description
    counts = table_checks.row_counts_by_partition(tables["playlist_entries"], list(RECORDINGS))
    assert counts == {
        "2024-05-11": 50 + 316,
        "2024-05-12": 50 + 99 + 2 + 2 + 177,
    }  # local files, null track, episodes left out
    assert row_count_drop(
        "playlist_entries", counts, {"2024-05-11": None, "2024-05-12": ("2024-05-11", counts["2024-05-11"])}
    ).passed


def test_null_and_duplicate_keys_fail_naming_them():
    songs = pa.table({"song_id": ["a1", None, "b2", "b2", "c3", "c3", "c3"], "dt": ["2024-05-12"] * 7})
    outcome = keys_unique_and_not_null(songs, ["song_id"], "songs")
    assert outcome == CheckOutcome(
        False,
        "songs: (song_id) null song_id in 1 row(s) and 2 duplicate key(s), e.g. (song_id='b2') on dt=2024-05-12 (2 rows), "
        "(song_id='c3') on dt=2024-05-12 (3 rows)",
        {"null_keys": 1, "duplicate_keys": 2, "rows": 7, "failed_partitions": ["2024-05-12"]},
    )


def test_failed_key_and_reference_checks_name_their_days():
    """The days write-audit-publish withholds: only those with an offending row."""
    songs = pa.table(
        {
            "song_id": ["a", "a", "b", None, "c"],
            "dt": ["2024-05-11", "2024-05-11", "2024-05-12", "2024-05-13", "2024-05-14"],
        }
    )
    assert keys_unique_and_not_null(songs, ["song_id"], "songs").metadata["failed_partitions"] == [
        "2024-05-11",
        "2024-05-13",
    ]
    entries = pa.table({"song_id": ["a", "x", "b"], "dt": ["2024-05-11", "2024-05-12", "2024-05-14"]})
    parents = pa.table({"song_id": ["a", "b"], "dt": ["2024-05-11", "2024-05-12"]})
    outcome = references_exist(entries, "song_id", parents, "song_id", "playlist_entries", "songs")
    assert outcome.metadata["failed_partitions"] == ["2024-05-12", "2024-05-14"]
    assert (
        "failed_partitions" not in keys_unique_and_not_null(songs.drop_columns(["dt"]), ["song_id"], "songs").metadata
    )


def test_keys_are_unique_per_day_not_across_days():
    songs = pa.table({"song_id": ["a1", "a1"], "dt": ["2024-05-11", "2024-05-12"]})
    assert keys_unique_and_not_null(songs, ["song_id"], "songs").passed
    without_dt = songs.drop_columns(["dt"])
    assert (
        keys_unique_and_not_null(without_dt, ["song_id"], "songs").description
        == "songs: (song_id) 1 duplicate key(s), e.g. (song_id='a1') (2 rows)"
    )


def test_composite_key_of_playlist_entries():
    entries = pa.table(
        {"playlist_id": ["p", "p", "p", "q"], "position": pa.array([1, 2, 2, 2], pa.int32()), "dt": ["2024-05-12"] * 4}
    )
    outcome = keys_unique_and_not_null(entries, ["playlist_id", "position"], "playlist_entries")
    assert not outcome.passed
    assert (
        outcome.description
        == "playlist_entries: (playlist_id, position) 1 duplicate key(s), e.g. (playlist_id='p', position=2) on dt=2024-05-12 (2 rows)"
    )


def test_dangling_references_fail_naming_the_ids_and_day():
    songs = pa.table({"song_id": ["s1", "s2"], "dt": ["2024-05-11", "2024-05-12"]})
    entries = pa.table(
        {"song_id": ["s1", "s2", "s1", None], "dt": ["2024-05-11", "2024-05-12", "2024-05-12", "2024-05-12"]}
    )
    outcome = references_exist(entries, "song_id", songs, "song_id", "playlist_entries", "songs")
    # s1 exists, but on another day; the null reference is not an orphan.
    assert outcome == CheckOutcome(
        False,
        "playlist_entries.song_id → songs.song_id: 1 id(s) not found, e.g. 's1' (dt=2024-05-12)",
        {"orphans_playlist_entries_song_id": 1, "failed_partitions": ["2024-05-12"]},
    )


def test_list_references_are_checked_element_by_element():
    artists = pa.table({"artist_id": ["a1", "a2"]})
    albums = pa.table({"album_id": ["x", "y", "z"], "artist_ids": [["a1", "a2"], ["a2", "a9"], None]})
    outcome = references_exist(albums, "artist_ids", artists, "artist_id", "albums", "artists")
    assert outcome.description == "albums.artist_ids → artists.artist_id: 1 id(s) not found, e.g. 'a9'"
    fixed = albums.set_column(1, "artist_ids", pa.array([["a1"], ["a2"], []], pa.list_(pa.string())))
    assert references_exist(fixed, "artist_ids", artists, "artist_id", "albums", "artists").description == (
        "albums.artist_ids → artists.artist_id: all 2 reference(s) found"
    )


def test_row_count_drop_below_half_fails_and_missing_history_is_tolerated():
    drop = row_count_drop("songs", {"2024-05-12": 40}, {"2024-05-12": ("2024-05-11", 100)})
    assert not drop.passed
    assert (
        drop.description == "songs: row count dropped sharply (2024-05-12: 40 rows, 60% fewer than 100 on 2024-05-11)"
    )
    assert drop.metadata["row_count_drops"] == {
        "2024-05-12": {"rows": 40, "previous_dt": "2024-05-11", "previous_rows": 100}
    }
    assert row_count_drop(
        "songs", {"2024-05-12": 50}, {"2024-05-12": ("2024-05-11", 100)}
    ).passed  # exactly half is fine
    assert (
        row_count_drop("songs", {"2024-05-12": 0}, {"2024-05-12": None}).description
        == "songs: no previous partition to compare with"
    )
    assert row_count_drop("songs", {"2024-05-12": 0}, {"2024-05-12": ("2024-05-11", 0)}).passed


def test_combine_keeps_only_failing_descriptions():
    ok, bad = CheckOutcome(True, "ok", {"a": 0}), CheckOutcome(False, "bad", {"b": 1})
    assert combine([ok, bad]) == CheckOutcome(False, "bad", {"a": 0, "b": 1})
    assert combine([ok, ok]) == CheckOutcome(True, "ok; ok", {"a": 0})


def test_a_passing_key_check_says_so_with_the_row_count():
    entries = pa.table({"playlist_id": ["p", "p"], "position": pa.array([1, 2], pa.int32()), "dt": ["2024-05-12"] * 2})
    assert keys_unique_and_not_null(entries, ["playlist_id", "position"], "playlist_entries") == CheckOutcome(
        True,
        "playlist_entries: (playlist_id, position) unique and not null in 2 rows",
        {"null_keys": 0, "duplicate_keys": 0, "rows": 2},
    )


def test_a_missing_key_column_raises_key_error_naming_it():
    with pytest.raises(KeyError, match="song_id"):
        keys_unique_and_not_null(pa.table({"album_id": ["a"]}), ["song_id"], "songs")


def test_at_most_five_offenders_are_named_but_all_are_counted():
    songs = pa.table({"song_id": [f"s{n}" for n in range(7)] * 2})
    outcome = keys_unique_and_not_null(songs, ["song_id"], "songs")
    assert outcome.metadata == {"null_keys": 0, "duplicate_keys": 7, "rows": 14}
    assert outcome.description.count("(2 rows)") == 5
    entries = pa.table({"song_id": [f"x{n}" for n in range(7)]})
    orphans = references_exist(
        entries, "song_id", pa.table({"song_id": ["s1"]}), "song_id", "playlist_entries", "songs"
    )
    assert orphans.metadata == {"orphans_playlist_entries_song_id": 7}
    assert orphans.description == (
        "playlist_entries.song_id → songs.song_id: 7 id(s) not found, e.g. 'x0', 'x1', 'x2', 'x3', 'x4'"
    )


def test_row_counts_by_partition_counts_every_day_asked_for():
    table = pa.table({"song_id": ["a", "b", "c"], "dt": ["2024-05-11", "2024-05-11", "2024-05-13"]})
    assert table_checks.row_counts_by_partition(table, ["2024-05-11", "2024-05-12", "2024-05-13"]) == {
        "2024-05-11": 2,
        "2024-05-12": 0,
        "2024-05-13": 1,
    }
    # Without a dt column the table is one day's rows, and only one day may be asked for.
    assert table_checks.row_counts_by_partition(table.drop_columns(["dt"]), ["2024-05-11"]) == {"2024-05-11": 3}
    with pytest.raises(ValueError, match="a table spanning 2 partitions needs a 'dt' column"):
        table_checks.row_counts_by_partition(table.drop_columns(["dt"]), ["2024-05-11", "2024-05-12"])


def test_row_count_drop_metadata_counts_the_days_compared_and_honours_min_ratio():
    current = {"2024-05-12": 70, "2024-05-13": 10}
    previous = {"2024-05-12": ("2024-05-11", 100), "2024-05-13": None}
    passed = row_count_drop("songs", current, previous)
    assert passed == CheckOutcome(
        True,
        "songs: no partition below 50% of the previous one's rows",
        {"row_count_drops": {}, "min_ratio": 0.5, "partitions_compared": 1},
    )
    stricter = row_count_drop("songs", current, previous, min_ratio=0.8)
    assert not stricter.passed
    assert stricter.metadata == {
        "row_count_drops": {"2024-05-12": {"rows": 70, "previous_dt": "2024-05-11", "previous_rows": 100}},
        "min_ratio": 0.8,
        "partitions_compared": 1,
    }
    assert (
        stricter.description
        == "songs: row count dropped sharply (2024-05-12: 70 rows, 30% fewer than 100 on 2024-05-11)"
    )


def test_combine_of_several_failures_joins_their_descriptions():
    first, second = CheckOutcome(False, "a failed", {"a": 1}), CheckOutcome(False, "b failed", {"b": 2})
    assert combine([first, CheckOutcome(True, "ok"), second]) == CheckOutcome(
        False, "a failed; b failed", {"a": 1, "b": 2}
    )


def test_combine_keeps_every_failed_day_of_its_outcomes():
    first = CheckOutcome(False, "a failed", {FAILED_PARTITIONS: ["2024-05-12", "2024-05-14"]})
    second = CheckOutcome(False, "b failed", {FAILED_PARTITIONS: ["2024-05-11", "2024-05-12"]})
    combined = combine([first, CheckOutcome(True, "ok"), second])
    assert combined.metadata[FAILED_PARTITIONS] == ["2024-05-11", "2024-05-12", "2024-05-14"]
