"""Prints where the tables of a day are and their first rows (the end of the demo).

``python -m spotify_assets.lake.summary [--dt YYYY-MM-DD] [--rows N]``
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from spotify_assets.lake.lake import Lake, LakeEntryError
from spotify_assets.lake.layout import raw_partition_prefix, table_key
from spotify_assets.lake.parquet import read_parquet_bytes
from spotify_assets.metadata import markdown_preview
from spotify_assets.settings import Settings, SettingsError
from spotify_assets.vocabulary import RAW_PLAYLIST, SPOTIFY_TABLE_NAMES

MAX_COLUMNS = 6  # enough to recognise the rows in a terminal


def describe_day(lake: Lake, dt: str, rows: int = 5) -> str:
    """Text naming the raw objects and table files of ``dt`` with each table's first ``rows`` rows.

    A table partition that is absent, or not a regular file inside the lake (a link, a
    FIFO), and raw entries that are never read are reported as such (no exception).
    """
    lines = [f"Lake: {lake.location}", "", f"{RAW_PLAYLIST} ({dt}):"]
    raw = lake.list_objects(raw_partition_prefix(dt), include_unreadable=True)
    lines += [
        f"  {lake.shown(o.key)} ({o.size:,} bytes)"
        if o.unreadable is None
        else f"  {lake.shown(o.key)}: {o.unreadable}"
        for o in raw
    ] or ["  (none)"]
    for name in SPOTIFY_TABLE_NAMES:
        key = table_key(name, dt)
        lines.append("")
        try:
            table = read_parquet_bytes(lake.read_bytes(key))
        except FileNotFoundError:
            lines.append(f"{name}: {lake.url(key)} is absent")
            continue
        except LakeEntryError as err:  # a link or a FIFO where the file should be: not read
            lines.append(f"{name}: {lake.shown(err.key)}: {err.reason}")
            continue
        lines.append(f"{name}: {table.num_rows} rows at {lake.url(key)}")
        lines.append(markdown_preview(table.select(table.column_names[:MAX_COLUMNS]), rows))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dt", default=datetime.now(timezone.utc).strftime("%Y-%m-%d"), help="partition (UTC date), default today"
    )
    parser.add_argument("--rows", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:  # it names every bad variable: no traceback needed
        raise SystemExit(f"spotify_assets.lake.summary: {error}") from None
    lake = Lake(settings.lake_url, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
    print(describe_day(lake, args.dt, args.rows))


if __name__ == "__main__":
    main()
