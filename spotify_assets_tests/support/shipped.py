"""What the code location ships, as tests use it: built by ``build_definitions()`` from the
test's (cleaned) environment, never a module-level copy that could differ from it."""

import dagster as dg
from dagster._core.definitions.instigation_logger import get_instigation_log_records

from spotify_assets.definitions import build_definitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.settings import Settings


def shipped_raw_playlist_sensor() -> dg.SensorDefinition:
    """``raw_playlist_sensor`` as ``definitions.py`` builds it (new raw objects → the tables and
    everything downstream of them)."""
    return build_definitions(Settings.from_env()).resolve_sensor_def("raw_playlist_sensor")


def tick_shipped_sensor(
    instance: dg.DagsterInstance, lake_url: str, cursor: str | None, log_key: list[str]
) -> tuple[dg.SensorResult, list[dict]]:
    """A real evaluation of the shipped ``raw_playlist_sensor`` on ``instance`` (a persistent
    one: the tick's log is captured there) over the lake at ``lake_url``:
    ``(result, the tick's log records)``, what the UI shows under the tick."""
    with dg.SensorEvaluationContext(
        instance_ref=instance.get_ref(),
        instance=instance,
        cursor=cursor,
        log_key=log_key,
        sensor_name="raw_playlist_sensor",
        resources={"lake": LakeResource(lake_url=lake_url)},
    ) as context:
        result = shipped_raw_playlist_sensor()(context)
    return result, get_instigation_log_records(instance, log_key)
