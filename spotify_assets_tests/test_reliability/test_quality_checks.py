"""Data-quality checks on the tables: the pure check functions pass on tables built from
real recordings and fail, naming the offenders, on constructed bad tables; inside real
runs a blocking check stops downstream assets and the row-count check only warns."""

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import (
    KEY_UNIQUE_NOT_NULL,
    REFERENCES,
    REFERENTIAL_INTEGRITY,
    ROW_COUNT_NO_SHARP_DROP,
    TABLE_KEYS,
    audit_tables,
    spotify_tables,
    withheld_days,
)
from spotify_assets.checks.table_checks import (
    CheckOutcome,
    combine,
    keys_unique_and_not_null,
    references_exist,
    row_count_drop,
    row_counts_by_partition,
)
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject
from spotify_assets.lake.parquet import split_by_partition
from spotify_assets.lake.publish import publish
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.settings import Settings
from spotify_assets.transform import build_partition_tables
from spotify_assets_tests.support.samples import sample_path

TOP50_ID = "37i9dQZEVXbMDoHDwVN2tF"
RECORDINGS = {
    "2024-05-11": [
        "danielmschaves/d94f6aed57/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json",
        "huy-hng/7csrlizJurpn6y0xenTwzu.json",
    ],
    "2024-05-12": [
        "danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json",
        "nb_converted/debjyotirshi2303/Spotify_Data_Pipeline_Project.ipynb__cell20_data.json",
        "zmb3-spotify/playlist_items_episodes_and_tracks.json",
        "joostlek-python-spotify/playlist_3.json",
        "otinabrayo/playlist_tracks.json",
    ],
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
    for name, key in TABLE_KEYS.items():
        outcome = keys_unique_and_not_null(tables[name], key, name)
        assert outcome.passed, outcome.description
        assert outcome.metadata == {"null_keys": 0, "duplicate_keys": 0, "rows": tables[name].num_rows}
    for child, column, parent, parent_column in REFERENCES:
        outcome = references_exist(tables[child], column, tables[parent], parent_column, child, parent)
        assert outcome.passed, outcome.description
    counts = row_counts_by_partition(tables["playlist_entries"], list(RECORDINGS))
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


# -- inside runs --------------------------------------------------------------------------------


def _run(assets, dt: str, instance: dg.DagsterInstance):
    return dg.materialize(
        assets,
        partition_key=dt,
        resources=build_resources(Settings.from_env()),
        instance=instance,
        raise_on_error=False,
    )


def _checks(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}


def _table_files(lake_dir) -> dict[str, bytes]:
    return {p.relative_to(lake_dir).as_posix(): p.read_bytes() for p in sorted(lake_dir.rglob("*.parquet"))}


# Raw objects can no longer make a key or reference check fail: a second snapshot of a playlist
# is superseded, a broken item gives no rows, and every row's parent is built from the same item.
# The audit stays as the guard against a bug in table building, so these tests break the built
# tables the way such a bug would, then run what spotify_tables runs on them: the audit, then the
# publish of the days that pass.
AUDIT_DAYS = ["2024-05-15", "2024-05-16", "2024-05-17"]


def _built_days() -> dict[str, pa.Table]:
    body = sample_path("danielmschaves/bb33bc5c6c/playlist_37i9dQZEVXbMDoHDwVN2tF_20.json").read_bytes()
    objects = [RawObject(dt, f"raw_playlist/dt={dt}/{TOP50_ID}.json", body) for dt in AUDIT_DAYS]
    return build_partition_tables(objects, AUDIT_DAYS).tables


def _with_duplicate_entry(tables: dict[str, pa.Table], dt: str) -> dict[str, pa.Table]:
    """The tables with one playlist_entries row of ``dt`` repeated (a duplicate key that day)."""
    entries = tables["playlist_entries"]
    repeated = entries.filter(pc.equal(entries["dt"], dt)).slice(0, 1)
    return {**tables, "playlist_entries": pa.concat_tables([entries, repeated])}


def test_a_day_failing_its_audit_is_withheld_naming_the_check_and_the_rows():
    audit = audit_tables(_with_duplicate_entry(_built_days(), "2024-05-16"))
    assert withheld_days(audit, AUDIT_DAYS) == {"2024-05-16": ["playlist_entries.key_unique_not_null"]}
    failed = audit[("playlist_entries", KEY_UNIQUE_NOT_NULL)]
    assert not failed.passed and failed.metadata["failed_partitions"] == ["2024-05-16"]
    assert failed.description.startswith(
        f"playlist_entries: (playlist_id, position) 1 duplicate key(s), e.g. (playlist_id='{TOP50_ID}', position=1) on dt=2024-05-16 (2 rows)"
    )
    assert all(outcome.passed for key, outcome in audit.items() if key != ("playlist_entries", KEY_UNIQUE_NOT_NULL))
    assert withheld_days(audit_tables(_built_days()), AUDIT_DAYS) == {}


def test_only_the_days_that_pass_are_published_and_a_withheld_day_keeps_its_files(lake_dir):
    lake = Lake(str(lake_dir))
    built = _built_days()
    by_table = {name: split_by_partition(built[name], AUDIT_DAYS) for name in TABLE_KEYS}
    # The days as a previous run published them: empty.
    publish(lake, {dt: {name: by_table[name][dt].slice(0, 0) for name in TABLE_KEYS} for dt in AUDIT_DAYS})
    before = _table_files(lake_dir)
    withheld = withheld_days(audit_tables(_with_duplicate_entry(built, "2024-05-16")), AUDIT_DAYS)
    publish(lake, {dt: {name: by_table[name][dt] for name in TABLE_KEYS} for dt in AUDIT_DAYS if dt not in withheld})
    after = _table_files(lake_dir)
    assert {key for key in after if after[key] != before[key]} == {
        f"{t}/dt={dt}/data.parquet" for t in TABLE_KEYS for dt in ("2024-05-15", "2024-05-17")
    }
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-16" / "data.parquet").num_rows == 0
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-17" / "data.parquet").num_rows == 50


def test_a_sharp_row_count_drop_warns_without_failing_the_run(lake_dir):
    lake = Lake(str(lake_dir))
    lake.write_bytes(
        f"raw_playlist/dt=2024-05-15/{TOP50_ID}.json", sample_path(RECORDINGS["2024-05-12"][0]).read_bytes()
    )
    lake.write_bytes(
        "raw_playlist/dt=2024-05-16/23Ay9WfURne0LvtlCvYTkj.json", sample_path(RECORDINGS["2024-05-12"][2]).read_bytes()
    )
    with dg.DagsterInstance.ephemeral() as instance:
        assert _checks(_run([raw_playlist, spotify_tables], "2024-05-15", instance))[
            ("playlist_entries", ROW_COUNT_NO_SHARP_DROP)
        ].passed
        result = _run([raw_playlist, spotify_tables], "2024-05-16", instance)
    assert result.success
    checks = _checks(result)
    warned = checks[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-16: 2 rows, 96% fewer than 50 on 2024-05-15)"
    )
    assert not checks[("songs", ROW_COUNT_NO_SHARP_DROP)].passed
    assert all(c.passed for (asset, name), c in checks.items() if name in (KEY_UNIQUE_NOT_NULL, REFERENTIAL_INTEGRITY))
    assert pq.read_table(lake_dir / "playlist_entries" / "dt=2024-05-16" / "data.parquet").num_rows == 2


def test_a_multi_day_run_compares_each_day_with_the_day_before_it_in_the_run(tmp_path):
    """spotify_tables called over a two-day range (a single-run backfill): day 2 is compared
    with day 1's rows of the same run; day 1 has no history (no file for the day before
    in the lake) and is tolerated."""
    objects = [
        RawObject(
            dt="2024-05-11",
            key=f"raw_playlist/dt=2024-05-11/{TOP50_ID}.json",
            body=sample_path(RECORDINGS["2024-05-12"][0]).read_bytes(),
        ),
        RawObject(
            dt="2024-05-12",
            key="raw_playlist/dt=2024-05-12/23Ay9WfURne0LvtlCvYTkj.json",
            body=sample_path(RECORDINGS["2024-05-12"][2]).read_bytes(),
        ),
    ]
    resources = {"lake": LakeResource(lake_url=str(tmp_path))}
    with dg.build_asset_context(
        partition_key_range=dg.PartitionKeyRange("2024-05-11", "2024-05-12"), resources=resources
    ) as context:
        events = list(spotify_tables(context, objects))
    checks = {(e.asset_key.path[-1], e.check_name): e for e in events if isinstance(e, dg.AssetCheckResult)}
    warned = checks[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-12: 2 rows, 96% fewer than 50 on 2024-05-11)"
    )
    assert warned.metadata["partitions_compared"].value == 1
    assert len(checks) == 12 and all(c.passed for (_, name), c in checks.items() if name != ROW_COUNT_NO_SHARP_DROP)


def test_a_range_run_compares_its_first_day_with_the_stored_day_before_it(lake_dir):
    """A single-run backfill over 2024-05-16...2024-05-17 after 2024-05-15 was materialized
    (50 entries): its first day is compared with the day before as stored in the lake,
    whichever run (or instance) wrote it; the day after the range (2024-05-18) with the
    range's last day."""
    lake = Lake(str(lake_dir))
    top50, two_items = (
        sample_path(RECORDINGS["2024-05-12"][0]).read_bytes(),
        sample_path(RECORDINGS["2024-05-12"][2]).read_bytes(),
    )
    lake.write_bytes(f"raw_playlist/dt=2024-05-15/{TOP50_ID}.json", top50)
    lake.write_bytes("raw_playlist/dt=2024-05-16/23Ay9WfURne0LvtlCvYTkj.json", two_items)
    lake.write_bytes("raw_playlist/dt=2024-05-17/23Ay9WfURne0LvtlCvYTkj.json", two_items)
    lake.write_bytes(f"raw_playlist/dt=2024-05-18/{TOP50_ID}.json", top50)
    resources = build_resources(Settings.from_env())
    tags = {"dagster/asset_partition_range_start": "2024-05-16", "dagster/asset_partition_range_end": "2024-05-17"}
    # Each run on its own instance: the lake, not Dagster's history, tells the day before.
    with dg.DagsterInstance.ephemeral() as instance:
        assert _run([raw_playlist, spotify_tables], "2024-05-15", instance).success
    with dg.DagsterInstance.ephemeral() as instance:
        ranged = dg.materialize(
            [raw_playlist, spotify_tables],
            selection=[spotify_tables],
            resources=resources,
            instance=instance,
            tags=tags,
        )
    with dg.DagsterInstance.ephemeral() as instance:
        after = _run([raw_playlist, spotify_tables], "2024-05-18", instance)
    warned = _checks(ranged)[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert (
        warned.description
        == "playlist_entries: row count dropped sharply (2024-05-16: 2 rows, 96% fewer than 50 on 2024-05-15)"
    )
    assert warned.metadata["partitions_compared"].value == 2  # 2024-05-17 against 2024-05-16 of the run: 2 vs 2
    checked = _checks(after)[("playlist_entries", ROW_COUNT_NO_SHARP_DROP)]
    assert checked.passed and checked.metadata["partitions_compared"].value == 1  # 50 rows against the range's 2
    assert checked.description == "playlist_entries: no partition below 50% of the previous one's rows"
