"""Real in-process Dagster runs of the project's assets, started the way several tests do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.settings import Settings


def local_settings(lake_url: str, duckdb_path: str, deployment: str = "local") -> Settings:
    """The project's settings for a lake at ``lake_url`` (a folder or ``s3://``) and a DuckDB
    catalog file, no landing location or playlist ids, partitions from 2023-01-01."""
    return Settings(
        deployment=deployment,
        lake_url=lake_url,
        landing_url="",
        playlist_ids="",
        partitions_start="2023-01-01",
        duckdb_path=duckdb_path,
    )


def materialize_tables(
    partition_key: str | None = None,
    *,
    resources: Mapping[str, object] | None = None,
    instance: dg.DagsterInstance | None = None,
    selection: Sequence[dg.AssetsDefinition] | None = None,
    tags: Mapping[str, str] | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """One run of ``raw_playlist`` and ``spotify_tables`` for ``partition_key`` (or the range
    in ``tags``); ``selection=[spotify_tables]`` builds the tables from raw objects already
    landed. ``resources`` default to the project's, built from the environment
    (``Settings.from_env()``); ``instance`` to an ephemeral one."""
    return dg.materialize(
        [raw_playlist, spotify_tables],
        partition_key=partition_key,
        selection=selection,
        resources=resources if resources is not None else build_resources(Settings.from_env()),
        instance=instance or dg.DagsterInstance.ephemeral(),
        tags=tags,
        raise_on_error=raise_on_error,
    )
