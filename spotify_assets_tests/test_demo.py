"""``./scripts/demo.sh`` as a newcomer runs it (in a copy of the repository, the ``after_demo``
fixture that test_readme_commands.py shares, so the demo runs once for both): ONE
run on that instance fills the last 30 days (UTC, ending today) of every asset from the
synthetic sample; the output is short (a header, Dagster's progress lines at INFO and one
warning saying it read the synthetic sample, today's tables, what to do next: no DEBUG
events, no Python warnings); the query it suggests answers 30 rows that show songs entering
and climbing, and ``playlist_trends`` carries its chart."""

import re
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from spotify_assets.vocabulary import ASSET_NAMES

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

# A Dagster log line: "<date> <time> +0000 - dagster - <LEVEL> - <job> - <run id> - <step> - <message>"
LOG_LINE = re.compile(r"^\S+ \S+ \+0000 - dagster - (?P<level>[A-Z]+) - __ASSET_JOB - [0-9a-f-]{36} - (?P<step>\w+) - ")
# Every step's progress, in order (the lines of one step may be several).
STEPS = ["raw_playlist", "spotify_tables", "artist_daily_share", "playlist_trends", "catalog"]
# Dagster's own once-per-DAGSTER_HOME notice on first use (how to opt out of telemetry).
TELEMETRY_NOTICE = ("Telemetry:", "Welcome to Dagster!")


def _days() -> list[str]:
    today = datetime.now(timezone.utc).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(29, -1, -1)]


def _without_telemetry_notice(lines: list[str]) -> list[str]:
    """``lines`` without Dagster's telemetry notice (its first use of a DAGSTER_HOME): from
    its title to the end of its welcome paragraph (a few lines before the first log line)."""
    stripped = [line.strip() for line in lines]
    if TELEMETRY_NOTICE[0] not in stripped[:3]:
        return lines
    welcome = stripped.index(TELEMETRY_NOTICE[1])
    first_log = next(i for i in range(welcome, len(lines)) if LOG_LINE.match(lines[i]))
    assert first_log - welcome <= 5, lines[welcome:first_log]
    return lines[first_log:]


def test_the_demo_output_is_short_progress_then_today_then_what_to_do_next(after_demo):
    home, lake, done = after_demo.home, after_demo.lake, after_demo.demo
    days = _days()
    # stderr: Dagster's progress lines, nothing else (no DEBUG events, no Python warnings).
    logged = [LOG_LINE.match(line) for line in _without_telemetry_notice(done.stderr.splitlines())]
    assert all(logged), done.stderr
    assert [m["level"] for m in logged].count("WARNING") == 1 and {m["level"] for m in logged} == {"INFO", "WARNING"}
    assert list(dict.fromkeys(m["step"] for m in logged)) == STEPS
    assert len(logged) <= 15  # progress, not events
    (warning,) = [line for line in done.stderr.splitlines() if " - WARNING - " in line]
    assert "reading the SYNTHETIC sample playlist 0SynthPlaylist00000001" in warning
    assert f"(30 days, {days[0]}...{days[-1]})" in warning
    # stdout: what it does, today's tables (a few rows each), what to do next.
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        f"==> materializing the last 30 days ({days[0]}...{days[-1]}, UTC) of every asset in one run",
        "",
        f"Lake: {lake}",
    ]
    entries = rf"playlist_entries: \d\d rows at {lake}/playlist_entries/dt={days[-1]}/data.parquet"
    assert any(re.fullmatch(entries, line) for line in lines), lines
    assert len(lines) < 60
    next_steps = lines[lines.index("==> next") :]
    assert [line.split(":", 1)[0].strip() for line in next_steps[1:]] == ["the UI", "a query", "your data"]
    assert f"DAGSTER_HOME={home} ./scripts/ui.sh" in next_steps[1]


def test_one_run_on_the_instance_the_ui_opens_filled_30_days_of_every_asset(after_demo):
    days = _days()
    (run,) = after_demo.demo_runs  # the instance right after the demo (the README's blocks add runs)
    with after_demo.instance() as instance:
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
            days[0],
            days[-1],
        )
        keys = instance.get_asset_keys()
        assert {key.to_user_string() for key in keys} == set(ASSET_NAMES)  # test_definitions lists them
        for key in keys:
            assert sorted(instance.get_materialized_partitions(key)) == days, key
        chart = instance.get_latest_materialization_event(dg.AssetKey("playlist_trends")).asset_materialization
        assert chart.partition in days
        markdown = chart.metadata["position_chart"].value
        assert "### spotify_assets synthetic sample (0SynthPlaylist00000001)" in markdown
        assert "data:image/png;base64," in markdown


def test_the_suggested_query_answers_30_days_of_songs_entering_and_climbing(after_demo):
    done = after_demo.demo
    next_steps = done.stdout[done.stdout.index("==> next") :].splitlines()
    answered = after_demo.run(next_steps[2].split(":", 1)[1].strip())  # as pasted from the repository root
    assert answered.returncode == 0 and answered.stdout.splitlines()[-1] == "(30 rows)", answered.stderr
    header, _, *rows = answered.stdout.splitlines()[:-1]
    assert header.split() == ["dt", "songs", "entered", "climbed"]
    table = {row.split()[0]: [int(v) for v in row.split()[1:]] for row in rows}
    assert sorted(table) == _days()
    assert all(songs > 50 for songs, _, _ in table.values())
    later = [table[dt] for dt in _days()[1:]]
    assert sum(1 for _, entered, climbed in later if entered >= 2 and climbed > 0) >= 20  # edits: all but Sundays
