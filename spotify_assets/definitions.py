"""The code location: ``spotify_assets.definitions:defs``.

``SPOTIFY_ASSETS_ENV`` chooses the resource set: ``local`` (default: local DuckDB
catalog) or ``aws`` (Glue crawler + Athena). Both store the lake at ``SPOTIFY_LAKE_URL``,
a folder or ``s3://bucket/prefix``.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.io_managers.parquet_io_manager import ParquetLakeIOManager
from spotify_assets.io_managers.raw_json_io_manager import RawJsonIOManager
from spotify_assets.resources.alerts_resource import SnsAlertsResource, check_topic_arn
from spotify_assets.resources.catalog_resources import build_catalog_resource
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.schedules import build_daily_playlist_schedule, build_daily_playlist_with_tables_schedule
from spotify_assets.sensors.alerts import build_freshness_alert_sensor, run_failure_alert_sensor
from spotify_assets.sensors.raw_playlist_sensor import DEFAULT_ASSET_SELECTION, build_raw_playlist_sensor
from spotify_assets.settings import Settings, env, is_set, seconds_setting, spotify_credentials_problem
from spotify_assets.vocabulary import CATALOG, RAW_PLAYLIST


def _secret(name: str):
    # EnvVar keeps the value out of run config and the UI; unset means offline mode.
    return dg.EnvVar(name) if is_set(name) else None


def build_resources(settings: Settings) -> dict:
    """The resources for ``settings.deployment`` (``local`` or ``aws``). Raises ``ValueError``
    naming the missing variable when the Spotify credentials are only partly set."""
    problem = spotify_credentials_problem()
    if problem:
        raise ValueError(problem)
    return {
        "catalog": build_catalog_resource(settings),  # DuckDB file locally, Glue crawler on aws
        "lake": LakeResource(lake_url=settings.lake_url),
        "raw_io_manager": RawJsonIOManager(lake_url=settings.lake_url),
        "table_io_manager": ParquetLakeIOManager(lake_url=settings.lake_url),
        "spotify": SpotifyResource(
            client_id=_secret("SPOTIFY_CLIENT_ID"),
            client_secret=_secret("SPOTIFY_CLIENT_SECRET"),
            refresh_token=_secret("SPOTIFY_REFRESH_TOKEN"),
            api_base_url=env("SPOTIFY_API_BASE_URL"),
            token_url=env("SPOTIFY_TOKEN_URL"),
            playlist_ids=settings.playlist_ids,
            # Fake data must never reach a real lake: the sample only locally, on a local folder.
            synthetic_allowed=settings.deployment == "local" and not settings.lake_url.startswith("s3://"),
            lookups=settings.lookups,
            request_deadline_s=seconds_setting("SPOTIFY_REQUEST_DEADLINE_S"),
            playlist_deadline_s=seconds_setting("SPOTIFY_PLAYLIST_DEADLINE_S"),
            run_deadline_s=seconds_setting("SPOTIFY_RUN_DEADLINE_S"),
        ),
    }


# One snapshot a day: an asset whose last materialization is older than this is shown
# overdue in the UI (a missed day), applied to every asset in one place.
DAILY_FRESHNESS_POLICY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=26)
)


def with_global_attributes(assets: list, settings: Settings) -> list:
    """``assets`` with :data:`DAILY_FRESHNESS_POLICY` on every asset spec and, when the lake
    is on S3, the ``s3`` kind on every asset stored there (all but ``catalog``)."""
    on_s3 = settings.lake_url.startswith("s3://")

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        spec = spec.replace_attributes(freshness_policy=DAILY_FRESHNESS_POLICY)
        if on_s3 and spec.key != dg.AssetKey(CATALOG):
            spec = spec.merge_attributes(kinds={"s3"})
        return spec

    return dg.map_asset_specs(apply, assets)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """The ``Definitions`` for ``settings`` (default: read from the environment)."""
    settings = settings or Settings.from_env()
    sensors = [
        build_raw_playlist_sensor(DEFAULT_ASSET_SELECTION.downstream())
    ]  # new raw objects → the tables and downstream
    resources = build_resources(settings)
    assets = [
        raw_playlist,
        spotify_tables,
        playlist_trends,
        artist_daily_share,
        build_catalog_asset(settings.deployment),
    ]
    if settings.alerts_topic_arn:  # failed runs and missed days to SNS
        resources["alerts"] = SnsAlertsResource(topic_arn=check_topic_arn(settings.alerts_topic_arn))
        sensors += [
            run_failure_alert_sensor,
            build_freshness_alert_sensor([asset_key for asset in assets for asset_key in asset.keys]),
        ]
    return dg.Definitions(
        assets=with_global_attributes(assets, settings),
        sensors=sensors,
        schedules=[
            build_daily_playlist_schedule(),
            build_daily_playlist_with_tables_schedule(dg.AssetSelection.assets(RAW_PLAYLIST).downstream()),
        ],
        resources=resources,
        # Steps here are short and mostly a chain; a process per step would spend seconds
        # importing for each. The run itself is still launched in its own process.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
