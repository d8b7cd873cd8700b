"""The code location: ``spotify_assets.definitions:defs``.

``defs = build_definitions(ENVIRONMENT_SETTINGS)``: the settings are read and validated
once when the code location loads (``Settings.from_env()``: a bad variable fails the load at once, named);
``build_definitions(settings)`` gives every asset, job, schedule, sensor and resource what
``settings`` says. ``SPOTIFY_ASSETS_ENV`` chooses the resource set: ``local`` (default:
local DuckDB catalog) or ``aws`` (Glue + Athena). Both store the lake at
``SPOTIFY_LAKE_URL``, a folder or ``s3://bucket/prefix``.
"""
# ruff: noqa: E402 - the settings are validated before the heavy imports (see below)

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from spotify_assets.settings import Secret, Settings, SettingsError

# Read and validated before the imports below (DuckDB, pyarrow, boto3, spotipy: seconds on a
# busy machine), so that a bad setting fails the code location's load at once, named.
ENVIRONMENT_SETTINGS = Settings.from_env()

from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.assets.trends import artist_daily_share, playlist_trends
from spotify_assets.io_managers.parquet_io_manager import ParquetLakeIOManager
from spotify_assets.io_managers.raw_json_io_manager import RawJsonIOManager
from spotify_assets.partitions import build_partitions
from spotify_assets.resources.alerts_resource import SnsAlertsResource, check_topic_arn
from spotify_assets.resources.catalog_resources import build_catalog_resource
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.schedules import RAW_PLAYLIST_ONLY, WITH_TABLES, build_daily_schedule
from spotify_assets.sensors.alerts import build_freshness_alert_sensor, run_failure_alert_sensor
from spotify_assets.sensors.raw_playlist_sensor import DEFAULT_ASSET_SELECTION, build_raw_playlist_sensor
from spotify_assets.vocabulary import CATALOG, RAW_PLAYLIST


def _secret(secret: Secret | None) -> dg.EnvVar | None:
    # EnvVar of the secret's variable keeps the value out of run config, the UI and the
    # event log (Dagster reads it when the run starts); None means offline mode.
    return dg.EnvVar(secret.variable) if secret is not None else None


def build_resources(settings: Settings) -> dict:
    """The resources for ``settings.deployment`` (``local`` or ``aws``), every value from
    ``settings``; the Spotify credentials as ``EnvVar`` of their variables (so a ``Settings``
    with credentials expects those variables set when a run starts). Raises
    :class:`SettingsError` naming the missing variable when the Spotify credentials are only
    partly set, ``ValueError`` for an ``aws`` lake that is not on S3."""
    problem = settings.credentials_problem()
    if problem:
        raise SettingsError([problem])
    lake = {
        "lake_url": settings.lake_url,
        "aws_region": settings.aws_region,
        "aws_endpoint_url": settings.aws_endpoint_url,
    }
    return {
        "catalog": build_catalog_resource(settings),  # DuckDB file locally, Glue on aws
        "lake": LakeResource(**lake, raw_max_bytes=settings.raw_max_bytes),
        "raw_io_manager": RawJsonIOManager(**lake, raw_max_bytes=settings.raw_max_bytes),
        "table_io_manager": ParquetLakeIOManager(**lake),
        "spotify": SpotifyResource(
            client_id=_secret(settings.client_id),
            client_secret=_secret(settings.client_secret),
            refresh_token=_secret(settings.refresh_token),
            api_base_url=settings.api_base_url,
            token_url=settings.token_url,
            playlist_ids=settings.playlist_ids,
            # Fake data must never reach a real lake: the sample only locally, on a local folder.
            synthetic_allowed=settings.synthetic_allowed,
            lookups=settings.lookups,
            request_deadline_s=settings.request_deadline_s,
            playlist_deadline_s=settings.playlist_deadline_s,
            run_deadline_s=settings.run_deadline_s,
        ),
    }


# One snapshot a day: an asset whose last materialization is older than this is shown
# overdue in the UI (a missed day), applied to every asset in one place.
DAILY_FRESHNESS_POLICY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=26)
)


def with_global_attributes(
    assets: list, settings: Settings, partitions_def: dg.PartitionsDefinition | None = None
) -> list:
    """``assets`` with :data:`DAILY_FRESHNESS_POLICY` and ``partitions_def`` (default: from
    ``settings.partitions_start``) on every asset spec and, when the lake is on S3, the
    ``s3`` kind on every asset stored there (all but ``catalog``). The asset modules declare
    the default partitions; this is where the settings' first day reaches every asset."""
    on_s3 = settings.on_s3
    partitions_def = partitions_def or build_partitions(settings.partitions_start)

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        spec = spec.replace_attributes(freshness_policy=DAILY_FRESHNESS_POLICY, partitions_def=partitions_def)
        if on_s3 and spec.key != dg.AssetKey(CATALOG):
            spec = spec.merge_attributes(kinds={"s3"})
        return spec

    return dg.map_asset_specs(apply, assets)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """The ``Definitions`` for ``settings`` (default: ``Settings.from_env()``, which raises
    ``SettingsError`` naming every bad variable). Every field is honoured: the partitions
    (assets, jobs, schedules, sensor), the cron, the sensor's interval, sweep and landing
    location, the lake, the Spotify, Glue, Athena and SNS settings."""
    settings = settings or Settings.from_env()
    partitions = build_partitions(settings.partitions_start)
    sensors = [  # new raw objects → the tables and downstream
        build_raw_playlist_sensor(DEFAULT_ASSET_SELECTION.downstream(), partitions_def=partitions, settings=settings)
    ]
    resources = build_resources(settings)
    assets = [
        raw_playlist,
        spotify_tables,
        playlist_trends,
        artist_daily_share,
        build_catalog_asset(settings.deployment),
    ]
    if settings.alerts_topic_arn:  # failed runs and missed days to SNS
        resources["alerts"] = SnsAlertsResource(
            topic_arn=check_topic_arn(settings.alerts_topic_arn),
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
        )
        sensors += [
            run_failure_alert_sensor,
            build_freshness_alert_sensor([asset_key for asset in assets for asset_key in asset.keys]),
        ]
    return dg.Definitions(
        assets=with_global_attributes(assets, settings, partitions),
        sensors=sensors,
        schedules=[
            build_daily_schedule(RAW_PLAYLIST_ONLY, cron_schedule=settings.schedule_cron, partitions_def=partitions),
            build_daily_schedule(
                WITH_TABLES,
                dg.AssetSelection.assets(RAW_PLAYLIST).downstream(),
                cron_schedule=settings.schedule_cron,
                partitions_def=partitions,
            ),
        ],
        resources=resources,
        # Steps here are short and mostly a chain; a process per step would spend seconds
        # importing for each. The run itself is still launched in its own process.
        executor=dg.in_process_executor,
    )


defs = build_definitions(ENVIRONMENT_SETTINGS)
