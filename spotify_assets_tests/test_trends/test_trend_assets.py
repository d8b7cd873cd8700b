"""playlist_trends and artist_daily_share through real Dagster runs on four real
snapshots of Top 50 - Global (2024-04-22, 05-02, 05-11, 05-15), checked against values
read straight from the recorded JSON; plus the position chart."""

import base64
import io
import json
import re
from collections import Counter
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.definitions import build_resources
from spotify_assets.trends.chart import CHART_SIZE_PX, chart_history, render_position_chart
from spotify_assets_tests.support.runs import local_settings
from spotify_assets_tests.support.samples import sample_path
from spotify_assets_tests.support.top50 import TOP50_SNAPSHOTS, land_top50

ALL_ASSETS = [raw_playlist, spotify_tables, playlist_trends, artist_daily_share]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def raw_items(dt: str) -> list[dict]:
    """The recorded items of the day's snapshot (a one-element list holding the playlist)."""
    return json.loads(sample_path(TOP50_SNAPSHOTS[dt]).read_bytes())[0]["tracks"]["items"]


def raw_positions(dt: str) -> dict[str, int]:
    """song id -> 1-based position, straight from the JSON (each item is a track here)."""
    return {item["track"]["id"]: i for i, item in enumerate(raw_items(dt), start=1)}


@pytest.fixture(scope="module")
def day_by_day(top50_lake) -> tuple[Path, dict[str, dg.ExecuteInProcessResult]]:
    """(lake folder, {dt: run result}) after one run per snapshot day, in date order: the
    session's shared Top 50 lake."""
    return Path(top50_lake.url), top50_lake.results


def stored(lake_path: Path, table: str, dt: str) -> pa.Table:
    return pq.read_table(lake_path / table / f"dt={dt}" / "data.parquet")


def trends_by_song(lake_path: Path, dt: str) -> dict[str, dict]:
    return {r["song_id"]: r for r in stored(lake_path, "playlist_trends", dt).to_pylist()}


def test_previous_position_is_the_position_on_the_previous_snapshot(day_by_day):
    lake_path, _ = day_by_day
    before, after = raw_positions("2024-05-11"), raw_positions("2024-05-15")
    rows = trends_by_song(lake_path, "2024-05-15")
    both = before.keys() & after.keys()
    assert len(both) == 43
    for song in both:
        assert (rows[song]["position"], rows[song]["previous_position"]) == (after[song], before[song])
        assert rows[song]["position_change"] == before[song] - after[song]
        assert rows[song]["playlist_name"] == "Top 50 - Global"


def test_previous_snapshot_may_be_days_back(day_by_day):
    lake_path, _ = day_by_day
    before, after = raw_positions("2024-04-22"), raw_positions("2024-05-02")  # 10 days apart, none between
    rows = trends_by_song(lake_path, "2024-05-02")
    assert {s: r["previous_position"] for s, r in rows.items() if r["position"] is not None} == {
        s: before.get(s) for s in after
    }


def test_new_and_dropped_entries_on_2024_05_15(day_by_day):
    lake_path, _ = day_by_day
    before, after = raw_positions("2024-05-11"), raw_positions("2024-05-15")
    rows = trends_by_song(lake_path, "2024-05-15")
    new = {s for s, r in rows.items() if r["is_new_entry"]}
    assert new == after.keys() - before.keys() and len(new) == 7
    dropped = {s: r["previous_position"] for s, r in rows.items() if r["position"] is None}
    assert dropped == {s: before[s] for s in before.keys() - after.keys()}
    assert len(rows) == 50 + 7


def test_first_snapshot_is_all_new_entries(day_by_day):
    lake_path, _ = day_by_day
    rows = trends_by_song(lake_path, "2024-04-22")
    assert len(rows) == 50 and all(r["is_new_entry"] and r["previous_position"] is None for r in rows.values())


def test_snapshots_on_playlist_and_peak_position(day_by_day):
    lake_path, _ = day_by_day
    history = [raw_positions(dt) for dt in TOP50_SNAPSHOTS]
    rows = trends_by_song(lake_path, "2024-05-15")
    for song in raw_positions("2024-05-15"):
        assert rows[song]["snapshots_on_playlist"] == sum(song in day for day in history), song
        assert rows[song]["peak_position"] == min(day[song] for day in history if song in day), song
    counts = Counter(r["snapshots_on_playlist"] for r in rows.values() if r["position"] is not None)
    never_seen = raw_positions("2024-05-15").keys() - set().union(*history[:-1])
    assert counts[1] == len(never_seen) == 5  # 2 of the day's 7 new entries are re-entries
    assert counts[4] > 0


def test_artist_share_of_the_days_top_artist(day_by_day):
    lake_path, _ = day_by_day
    items = raw_items("2024-05-15")
    credits = Counter(a["id"] for item in items for a in {x["id"]: x for x in item["track"]["artists"]}.values())
    names = {a["id"]: a["name"] for item in items for a in item["track"]["artists"]}
    top_artist, top_entries = credits.most_common(1)[0]
    rows = {r["artist_id"]: r for r in stored(lake_path, "artist_daily_share", "2024-05-15").to_pylist()}
    assert rows[top_artist]["entries"] == top_entries
    assert rows[top_artist]["share"] == pytest.approx(top_entries / len(items))
    assert rows[top_artist]["artist_name"] == names[top_artist]
    assert {a: r["entries"] for a, r in rows.items()} == dict(credits)


def test_chart_metadata_is_an_embedded_png(day_by_day):
    _, results = day_by_day
    [materialization] = results["2024-05-15"].asset_materializations_for_node("playlist_trends")
    markdown = materialization.metadata["position_chart"].value
    assert "Top 50 - Global" in markdown and "2024-05-15" in markdown
    png = base64.b64decode(re.search(r"!\[chart\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown).group(1))
    assert png[:8] == PNG_SIGNATURE
    assert Image.open(io.BytesIO(png)).size == CHART_SIZE_PX
    assert materialization.metadata["dagster/row_count"].value == 57


def test_single_run_backfill_equals_day_by_day(day_by_day, tmp_path):
    lake_path, _ = day_by_day
    range_lake = tmp_path / "lake"
    land_top50(str(range_lake))
    days = sorted(TOP50_SNAPSHOTS)
    result = dg.materialize(
        ALL_ASSETS,
        selection=[spotify_tables, playlist_trends, artist_daily_share],  # raw objects are already landed
        resources=build_resources(local_settings(str(range_lake), str(tmp_path / "unused.duckdb"))),
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]},
    )
    assert (
        len({m.partition for m in result.asset_materializations_for_node("playlist_trends")}) == 24
    )  # one run, 24 days
    written = sorted(p.name for p in (range_lake / "playlist_trends").iterdir())
    assert len(written) == 24  # every day of the range, 2024-04-22 ... 2024-05-15
    for folder in written:
        dt = folder.removeprefix("dt=")
        for table in ("playlist_trends", "artist_daily_share"):
            if dt in TOP50_SNAPSHOTS:
                assert stored(range_lake, table, dt).equals(stored(lake_path, table, dt), check_metadata=True), (
                    table,
                    dt,
                )
            else:
                assert stored(range_lake, table, dt).num_rows == 0, (table, dt)


# The chart on its own, from a hand-made history.
HISTORY = pd.DataFrame(
    {
        "dt": ["2024-01-01"] * 3 + ["2024-01-03"] * 3 + ["2024-01-04"] * 2,
        "playlist_id": ["P"] * 8,
        "song_id": ["a", "b", "c", "b", "a", "c", "c", "b"],
        "position": [1, 2, 3, 1, 2, 3, 1, None],  # b left on 01-04
    }
)


def test_chart_history_takes_the_days_top_songs_over_the_last_snapshots():
    history, song_ids = chart_history(HISTORY, "P", "2024-01-03", top_n=2, snapshots=2)
    assert song_ids == ["b", "a"]
    assert history.to_dict("records") == [
        {"dt": "2024-01-01", "song_id": "b", "position": 2.0},
        {"dt": "2024-01-01", "song_id": "a", "position": 1.0},
        {"dt": "2024-01-03", "song_id": "b", "position": 1.0},
        {"dt": "2024-01-03", "song_id": "a", "position": 2.0},
    ]
    later, later_ids = chart_history(HISTORY, "P", "2024-01-04", top_n=10, snapshots=30)
    assert later_ids == ["c"] and later["dt"].tolist() == ["2024-01-01", "2024-01-03", "2024-01-04"]
    assert chart_history(HISTORY, "P", "2024-01-02")[1] == []


def test_render_position_chart_gives_a_png_from_pandas_or_arrow():
    history, song_ids = chart_history(HISTORY, "P", "2024-01-03")
    for frame in (history, pa.Table.from_pandas(history)):
        png = render_position_chart(frame, song_ids, {"a": "Song A"}, title="P on 2024-01-03")
        assert png[:8] == PNG_SIGNATURE and Image.open(io.BytesIO(png)).size == CHART_SIZE_PX
