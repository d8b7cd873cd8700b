"""The writer the kill -9 tests run in a child process (no Dagster import, so it starts
in well under a second): ``python -m spotify_assets_tests.support.publish_writer LAKE_URL LABEL
KILL_AT`` publishes :func:`tables` of ``LABEL`` and SIGKILLs itself after step
``KILL_AT`` (1-based) of the write, through the publish's ``on_step`` hook."""

from __future__ import annotations

import os
import signal
import sys

import pyarrow as pa

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.publish import publish
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES

DAYS = ("2024-05-15", "2024-05-16")


def tables(label: str) -> dict[str, dict[str, pa.Table]]:
    """``{dt: {table: rows}}`` for :data:`DAYS` and the four tables, whose every row says
    which write (``label``) it is from."""
    return {
        dt: {
            name: pa.table({"id": [f"{name}-{i}" for i in range(3)], "label": [label] * 3, "day": [dt] * 3})
            for name in SPOTIFY_TABLE_NAMES
        }
        for dt in DAYS
    }


def main(url: str, label: str, kill_at: int) -> None:
    done: list[str] = []

    def on_step(step: str, key: str) -> None:
        done.append(step)
        if len(done) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    publish(Lake(url), tables(label), on_step=on_step)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
