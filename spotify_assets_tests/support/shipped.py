"""What the code location ships, as tests use it: built by ``build_definitions()`` from the
test's (cleaned) environment, never a module-level copy that could differ from it."""

import dagster as dg

from spotify_assets.definitions import build_definitions
from spotify_assets.settings import Settings


def shipped_raw_playlist_sensor() -> dg.SensorDefinition:
    """``raw_playlist_sensor`` as ``definitions.py`` builds it (new raw objects → the tables and
    everything downstream of them)."""
    return build_definitions(Settings.from_env()).resolve_sensor_def("raw_playlist_sensor")
