"""The source is explicit, never a silent fallback: partly set Spotify credentials stop the
code location from loading, naming what is missing; the synthetic sample is read only with
no credentials, SPOTIFY_ASSETS_ENV=local and a local lake, and says so."""

import time

import dagster as dg
import pytest

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.definitions import build_definitions, build_resources
from spotify_assets.settings import Settings


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SPOTIFY_CLIENT_ID": "id"}, "SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID is:"),
        ({"SPOTIFY_CLIENT_SECRET": "secret"}, "SPOTIFY_CLIENT_ID is not set, but SPOTIFY_CLIENT_SECRET is:"),
        (
            {"SPOTIFY_REFRESH_TOKEN": "token"},
            "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set, but SPOTIFY_REFRESH_TOKEN is:",
        ),
        (
            {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_REFRESH_TOKEN": "token"},
            "SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID, SPOTIFY_REFRESH_TOKEN are:",
        ),
    ],
)
def test_partly_set_credentials_fail_at_load_naming_what_is_missing(monkeypatch, variables, message):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    with pytest.raises(ValueError, match=message) as raised:
        build_definitions(Settings.from_env())
    assert time.monotonic() - started < 10
    for value in variables.values():  # the values themselves are never quoted
        assert value not in str(raised.value).replace("SPOTIFY_", "")


@pytest.mark.parametrize("deployment", ["aws", "local"])
def test_the_synthetic_sample_is_never_read_on_aws_or_into_an_s3_lake(tmp_path, deployment):
    # (aws with a folder lake does not load at all: the Glue catalog needs S3.)
    settings = Settings(
        deployment=deployment,
        lake_url="s3://spotify-lake-test/lake",
        landing_url="",
        playlist_ids="",
        partitions_start="2023-01-01",
        duckdb_path=str(tmp_path / "c.duckdb"),
    )
    resources = build_resources(settings)
    assert resources["spotify"].synthetic_allowed is False
    result = dg.materialize(
        [raw_playlist],
        partition_key=utc_today(),
        resources={
            "spotify": resources["spotify"],
            "lake": resources["lake"],
            "raw_io_manager": resources["raw_io_manager"],
        },
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert (
        "the synthetic sample is never read on SPOTIFY_ASSETS_ENV=aws or into an S3 lake"
        in failure.step_failure_data.error.message
    )


def test_locally_without_credentials_the_synthetic_sample_is_allowed(lake_dir):
    assert build_resources(Settings.from_env())["spotify"].synthetic_allowed is True
