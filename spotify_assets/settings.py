"""The one place that reads the project's environment variables.

Every setting has a default that works offline on a laptop: a local lake folder, the
local DuckDB catalog and the synthetic sample playlist. The README's table of
environment variables mirrors :data:`ENV_VARS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# name -> (default, what it sets); the README's table is written from this.
ENV_VARS: dict[str, tuple[str, str]] = {
    "SPOTIFY_ASSETS_ENV": ("local", "`local` (DuckDB catalog) or `aws` (Glue crawler + Athena)"),
    "SPOTIFY_LAKE_URL": ("./data/lake", "lake root: a folder or `s3://bucket/prefix`"),
    "SPOTIFY_LANDING_URL": (
        "",
        "where other producers land raw objects without `dt=` (folder or `s3://bucket/prefix/`)",
    ),
    "SPOTIFY_PLAYLIST_IDS": (
        "",
        "comma-separated playlist ids, URIs or URLs to extract; `me` = every playlist the authorising user owns or collaborates on",
    ),
    "SPOTIFY_PARTITIONS_START": ("2023-01-01", "first daily partition (UTC date)"),
    "SPOTIFY_CLIENT_ID": (
        "",
        "Spotify app client id; none of the three credentials set = the offline synthetic sample (only with `SPOTIFY_ASSETS_ENV=local` and a local lake); a partial set fails at load",
    ),
    "SPOTIFY_CLIENT_SECRET": ("", "Spotify app client secret (secret)"),
    "SPOTIFY_REFRESH_TOKEN": ("", "user refresh token (secret); needed to read items in development mode"),
    "SPOTIFY_LOOKUPS": (
        "none",
        "`none`, or `albums`, `artists`, `albums,artists`: also look up the full album/artist objects (artist images, genres, followers, popularity; album label), at most once per id per run; costs requests (one per id in development mode)",
    ),
    "SPOTIFY_API_BASE_URL": ("https://api.spotify.com/v1/", "Web API base URL (tests point it at a local server)"),
    "SPOTIFY_TOKEN_URL": ("https://accounts.spotify.com/api/token", "token endpoint URL"),
    "SPOTIFY_REQUEST_DEADLINE_S": (
        "30",
        "total time of one Spotify request, body included, seconds; a slower answer is retried like a timeout",
    ),
    "SPOTIFY_PLAYLIST_DEADLINE_S": (
        "1200",
        "total time of one playlist's extraction (pages, retries and their waits, look-ups), seconds; past it that playlist fails",
    ),
    "SPOTIFY_RUN_DEADLINE_S": (
        "7200",
        "total time of a run's extraction, seconds; past it the playlists not yet read fail as not attempted",
    ),
    "SPOTIFY_DUCKDB_PATH": ("./data/catalog.duckdb", "local DuckDB catalog file"),
    "SPOTIFY_SENSOR_INTERVAL_S": ("30", "raw-object sensor interval, seconds"),
    "SPOTIFY_SENSOR_SWEEP_KEYS": (
        "1000",
        "keys of the raw zone each sensor tick lists besides the last 3 days' folders (a rolling sweep: a zone of up to this many keys is listed whole every tick); 0 = the whole zone every tick",
    ),
    "SPOTIFY_RAW_MAX_BYTES": (
        "536870912",
        "largest raw object read, in bytes (default 512 MiB); a larger one is reported as a bad object of its day instead of being read",
    ),
    "SPOTIFY_SCHEDULE_CRON": ("0 6 * * *", "daily extraction schedule (cron, UTC)"),
    "SPOTIFY_ALERTS_TOPIC_ARN": (
        "",
        "SNS topic ARN: a short message (run, assets, partition, first error line) for every failed run; unset = no alerts",
    ),
    "AWS_ENDPOINT_URL": ("", "S3/Glue endpoint for MinIO, moto or LocalStack"),
    "GLUE_CATALOG_MODE": (
        "register",
        "on `aws`: `register` (tables created in Glue from their schemas, each run's days added with BatchCreatePartition: API calls, no crawl) or `crawler` (a Glue crawl per run, for schema discovery)",
    ),
    "GLUE_CRAWLER_NAME": ("spotify_assets_crawler", "Glue crawler name"),
    "GLUE_DATABASE": ("spotify_assets", "Glue database"),
    "GLUE_CRAWLER_ROLE_ARN": ("", "IAM role the crawler assumes"),
    "ATHENA_WORKGROUP": ("primary", "Athena workgroup"),
    "ATHENA_OUTPUT_URL": ("", "Athena query result location (`s3://...`)"),
}


def env(name: str) -> str:
    """The value of a project environment variable, or its default from :data:`ENV_VARS`."""
    value = os.environ.get(name, "").strip()
    return value or ENV_VARS[name][0]


def int_setting(name: str, minimum: int, accepted: str) -> int:
    """The setting ``name`` as a whole number of at least ``minimum``. ``ValueError`` naming
    the variable, its value and what is ``accepted`` (e.g. "a whole number of bytes, at least 1")."""
    text = env(name)
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(f"{name}={text!r}: expected {accepted}")
    return value


def seconds_setting(name: str) -> float:
    """The setting ``name`` as a number of seconds greater than 0 (a fraction allowed);
    ``ValueError`` naming the variable and its value otherwise."""
    text = env(name)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also refuses nan
        raise ValueError(f"{name}={text!r}: expected a number of seconds greater than 0")
    return value


SPOTIFY_CREDENTIALS = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN")


def spotify_credentials_problem() -> str | None:
    """Why the Spotify credentials in the environment are only partly set, naming what is
    missing, or None when they are complete (id and secret, with or without a refresh token)
    or absent (the offline synthetic sample). A partial set is never read as "offline"."""
    given = [name for name in SPOTIFY_CREDENTIALS if is_set(name)]
    missing = [name for name in SPOTIFY_CREDENTIALS[:2] if name not in given]
    if not given or not missing:
        return None
    return (
        f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, but {', '.join(given)} "
        f"{'is' if len(given) == 1 else 'are'}: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to read the Spotify API, "
        "or none of the Spotify credentials to read the offline synthetic sample."
    )


def is_set(name: str) -> bool:
    """True when the environment variable ``name`` holds a value (not only blanks)."""
    return bool(os.environ.get(name, "").strip())


def aws_region() -> str | None:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else None. The installed boto3 reads only
    ``AWS_DEFAULT_REGION`` by itself ("You must specify a region" with ``AWS_REGION`` alone),
    so every AWS client of the project is given this region explicitly."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def aws_endpoint_url() -> str | None:
    """``AWS_ENDPOINT_URL`` (MinIO, moto, LocalStack), or None for AWS itself."""
    return env("AWS_ENDPOINT_URL") or None


@dataclass(frozen=True)
class Settings:
    """The environment read once; build with :meth:`from_env`."""

    deployment: str
    lake_url: str
    landing_url: str
    playlist_ids: str
    partitions_start: str
    duckdb_path: str
    lookups: str = "none"
    alerts_topic_arn: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        """Raises ``ValueError`` for an unknown ``SPOTIFY_ASSETS_ENV``."""
        deployment = env("SPOTIFY_ASSETS_ENV").lower()
        if deployment not in ("local", "aws"):
            raise ValueError(f"SPOTIFY_ASSETS_ENV={deployment!r}: expected 'local' or 'aws'")
        return cls(
            deployment=deployment,
            lake_url=env("SPOTIFY_LAKE_URL"),
            landing_url=env("SPOTIFY_LANDING_URL"),
            playlist_ids=env("SPOTIFY_PLAYLIST_IDS"),
            partitions_start=env("SPOTIFY_PARTITIONS_START"),
            duckdb_path=env("SPOTIFY_DUCKDB_PATH"),
            lookups=env("SPOTIFY_LOOKUPS"),
            alerts_topic_arn=env("SPOTIFY_ALERTS_TOPIC_ARN"),
        )
