"""The one place that reads the project's environment variables: :meth:`Settings.from_env`.

Every setting has a default that works offline on a laptop: a local lake folder, the
local DuckDB catalog and the synthetic sample playlist. The README's table of
environment variables mirrors :data:`ENV_VARS`; :data:`_PARSERS` gives each of them its
``Settings`` field and its accepted forms (a test checks that the two name the same variables).

``Settings.from_env()`` reads and validates everything once, when the code location (or a
command) loads, and raises one :class:`SettingsError` naming every bad variable, its value
(secrets masked) and the accepted forms. Every builder then takes the ``Settings``:
nothing else in the package reads the environment.

Relative default paths (``./data/lake``, ``./data/catalog.duckdb``) are resolved against
the project root, the source checkout holding this package (the folder with
``workspace.yaml`` and ``pyproject.toml`` above ``spotify_assets/``), so every command finds
the same lake from any current directory. An installed package (no checkout around it)
has no project root: its defaults are resolved against the current directory when the
settings load, and ``spotify-assets doctor`` and ``query`` say so (:func:`defaults_base`).
A relative path that is SET (``SPOTIFY_LAKE_URL=./lake``) means the current directory, as
for any command-line path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# name -> (default, what it sets); the README's table is written from this.
ENV_VARS: dict[str, tuple[str, str]] = {
    "SPOTIFY_ASSETS_ENV": ("local", "`local` (DuckDB catalog) or `aws` (Glue crawler + Athena)"),
    "SPOTIFY_LAKE_URL": (
        "./data/lake",
        "lake root: a folder or `s3://bucket/prefix`; the default is in the project root (the source checkout), whatever the current directory",
    ),
    "SPOTIFY_LANDING_URL": (
        "",
        "where other producers land raw objects without `dt=` (folder or `s3://bucket/prefix/`)",
    ),
    "SPOTIFY_PLAYLIST_IDS": (
        "",
        "comma-separated playlist ids, URIs or URLs to extract; `me` = every playlist the authorising user owns or collaborates on",
    ),
    "SPOTIFY_PARTITIONS_START": ("2023-01-01", "first daily partition: a UTC date `YYYY-MM-DD`, not after today"),
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
    "SPOTIFY_DUCKDB_PATH": (
        "./data/catalog.duckdb",
        "local DuckDB catalog file; the default is in the project root (the source checkout), whatever the current directory",
    ),
    "SPOTIFY_SENSOR_INTERVAL_S": ("30", "raw-object sensor interval, seconds"),
    "SPOTIFY_SENSOR_SWEEP_KEYS": (
        "1000",
        "keys of the raw zone each sensor tick lists besides the last 3 days' folders (a rolling sweep: a zone of up to this many keys is listed whole every tick); 0 = the whole zone every tick",
    ),
    "SPOTIFY_RAW_MAX_BYTES": (
        "536870912",
        "largest raw object read, in bytes (default 512 MiB); a larger one is reported as a bad object of its day instead of being read",
    ),
    "SPOTIFY_SCHEDULE_CRON": ("0 6 * * *", "daily extraction schedule: a 5-field cron string, UTC"),
    "SPOTIFY_ALERTS_TOPIC_ARN": (
        "",
        "SNS topic ARN: a short message (run, assets, partition, first error line) for every failed run; unset = no alerts",
    ),
    "AWS_ENDPOINT_URL": ("", "S3/Glue endpoint for MinIO, moto or LocalStack (`http(s)://host:port`)"),
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


SPOTIFY_CREDENTIALS = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN")
GLUE_CATALOG_MODES = ("register", "crawler")  # GLUE_CATALOG_MODE
# AWS's own variables: not project settings (not in ENV_VARS), but read here too, once.
AWS_REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
# arn:aws:sns:<region>:<12-digit account>:<topic name>
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")  # eu-west-1, us-gov-west-1, ap-southeast-2
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # S3's bucket naming rules
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MASK = "<masked>"


class SettingsError(ValueError):
    """One or more settings are invalid. ``problems``: one line per bad variable,
    ``NAME='value': expected ...`` (a secret's value shown as ``<masked>``)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} problems in the settings:\n" + "\n".join(f"- {p}" for p in problems)
        super().__init__(message)


@dataclass(frozen=True, repr=False)
class Secret:
    """The value of a secret setting (``variable``), never shown: ``repr``/``str`` give
    ``Secret(SPOTIFY_CLIENT_SECRET, masked)``. Runs get it as a Dagster ``EnvVar`` of
    ``variable`` (``definitions.build_resources``); :meth:`reveal` is for ``spotify-assets
    authorize``, which sends it to the token endpoint itself."""

    variable: str
    value: str

    def __repr__(self) -> str:
        return f"Secret({self.variable}, masked)"

    __str__ = __repr__

    def reveal(self) -> str:
        return self.value


# ----------------------------------------------------------------------------- paths
def project_root() -> Path | None:
    """The source checkout that holds this package (the folder above ``spotify_assets/`` with
    ``workspace.yaml`` and ``pyproject.toml``), or None for an installed package. Links are
    not followed: a checkout that links to the package is that checkout."""
    candidate = Path(__file__).absolute().parent.parent
    if (candidate / "workspace.yaml").is_file() and (candidate / "pyproject.toml").is_file():
        return candidate
    return None


def defaults_base() -> tuple[Path, str]:
    """``(folder, why)``: where the relative defaults of SPOTIFY_LAKE_URL and
    SPOTIFY_DUCKDB_PATH are resolved. The project root in a source checkout; in an
    installed package the current directory, said as such (never silently)."""
    root = project_root()
    if root is not None:
        return root, "the project root (source checkout)"
    return Path.cwd(), "the current directory (spotify_assets is installed, not a source checkout)"


def _default_path(text: str, default: str) -> str:
    """``text``, or the default path resolved against :func:`defaults_base` when it is the default."""
    return str((defaults_base()[0] / default).resolve()) if text == default else text


# ---------------------------------------------------------------------------- parsers
# Each parser turns a variable's text into its typed value or raises ValueError whose
# message is the accepted forms ("expected ...").
def _one_of(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"expected {' or '.join(repr(o) for o in options)}")
        return text.lower()

    return parse


def _text(text: str) -> str:
    return text


def _partitions_start(text: str) -> date:
    today = datetime.now(timezone.utc).date()
    accepted = f"a UTC date YYYY-MM-DD, not after today ({today.isoformat()}), e.g. 2024-01-01"
    try:
        start = date.fromisoformat(text) if _ISO_DATE.match(text) else None
    except ValueError:
        start = None
    if start is None or start > today:
        raise ValueError(f"expected {accepted}")
    return start


def _s3_bucket(url: str) -> str:
    """The bucket of ``s3://bucket/prefix``."""
    return url[len("s3://") :].split("/", 1)[0]


def _location(text: str, *, default: str = "") -> str:
    """A lake or landing location: a folder, ``file://`` URL or ``s3://bucket/prefix``."""
    accepted = "expected a folder (path or file://) or s3://bucket/prefix"
    if not text:
        return text
    if text.startswith("s3://"):
        bucket = _s3_bucket(text)
        if not _S3_BUCKET.match(bucket):
            raise ValueError(f"{accepted} with a valid bucket name (3-63 of a-z 0-9 . -), got bucket {bucket!r}")
        return text
    if "://" in text and not text.startswith("file://"):
        raise ValueError(accepted)
    return _default_path(text, default) if default else text


def _http_url(text: str) -> str:
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("expected an http(s):// URL with a host")
    return text


def _optional_http_url(text: str) -> str | None:
    return _http_url(text) if text else None


def _whole(minimum: int, accepted: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValueError(f"expected {accepted}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also refuses nan
        raise ValueError("expected a number of seconds greater than 0")
    return value


def _cron(text: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string  # Dagster's own check of a schedule's cron

    if not is_valid_cron_string(text):
        raise ValueError("expected a 5-field cron string (minute hour day month weekday, UTC), e.g. '0 6 * * *'")
    return text


def _lookups(text: str) -> str:
    from spotify_assets.spotify.lookups import parse_lookup_kinds

    try:
        parse_lookup_kinds(text)
    except ValueError as error:
        raise ValueError(str(error).split(": ", 1)[-1]) from None
    return text


def _playlist_ids(text: str) -> str:
    from spotify_assets.spotify.ids import parse_playlist_selection

    try:
        parse_playlist_selection(text)
    except ValueError as error:
        raise ValueError(f"expected playlist ids, URIs or URLs and/or `me`, separated by commas ({error})") from None
    return text


def _topic_arn(text: str) -> str:
    if text and not SNS_TOPIC_ARN.match(text):
        raise ValueError("expected an SNS topic ARN, arn:aws:sns:<region>:<account id>:<topic name>")
    return text


def _athena_output(text: str) -> str:
    if text and not (text.startswith("s3://") and _S3_BUCKET.match(_s3_bucket(text))):
        raise ValueError("expected an S3 location, s3://bucket/prefix/")
    return text


def _secret(variable: str) -> Callable[[str], Secret | None]:
    return lambda text: Secret(variable, text) if text else None


# variable -> (Settings field, parser); one entry per ENV_VARS name.
_PARSERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SPOTIFY_ASSETS_ENV": ("deployment", _one_of("local", "aws")),
    "SPOTIFY_LAKE_URL": ("lake_url", lambda text: _location(text, default=ENV_VARS["SPOTIFY_LAKE_URL"][0])),
    "SPOTIFY_LANDING_URL": ("landing_url", _location),
    "SPOTIFY_PLAYLIST_IDS": ("playlist_ids", _playlist_ids),
    "SPOTIFY_PARTITIONS_START": ("partitions_start", _partitions_start),
    "SPOTIFY_CLIENT_ID": ("client_id", _secret("SPOTIFY_CLIENT_ID")),
    "SPOTIFY_CLIENT_SECRET": ("client_secret", _secret("SPOTIFY_CLIENT_SECRET")),
    "SPOTIFY_REFRESH_TOKEN": ("refresh_token", _secret("SPOTIFY_REFRESH_TOKEN")),
    "SPOTIFY_LOOKUPS": ("lookups", _lookups),
    "SPOTIFY_API_BASE_URL": ("api_base_url", _http_url),
    "SPOTIFY_TOKEN_URL": ("token_url", _http_url),
    "SPOTIFY_REQUEST_DEADLINE_S": ("request_deadline_s", _seconds),
    "SPOTIFY_PLAYLIST_DEADLINE_S": ("playlist_deadline_s", _seconds),
    "SPOTIFY_RUN_DEADLINE_S": ("run_deadline_s", _seconds),
    "SPOTIFY_DUCKDB_PATH": ("duckdb_path", lambda text: _default_path(text, ENV_VARS["SPOTIFY_DUCKDB_PATH"][0])),
    "SPOTIFY_SENSOR_INTERVAL_S": ("sensor_interval_s", _whole(1, "a whole number of seconds, at least 1")),
    "SPOTIFY_SENSOR_SWEEP_KEYS": ("sensor_sweep_keys", _whole(0, "a whole number of keys, 0 (no limit) or more")),
    "SPOTIFY_RAW_MAX_BYTES": ("raw_max_bytes", _whole(1, "a whole number of bytes, at least 1")),
    "SPOTIFY_SCHEDULE_CRON": ("schedule_cron", _cron),
    "SPOTIFY_ALERTS_TOPIC_ARN": ("alerts_topic_arn", _topic_arn),
    "AWS_ENDPOINT_URL": ("aws_endpoint_url", _optional_http_url),
    "GLUE_CATALOG_MODE": ("glue_catalog_mode", _one_of(*GLUE_CATALOG_MODES)),
    "GLUE_CRAWLER_NAME": ("glue_crawler_name", _text),
    "GLUE_DATABASE": ("glue_database", _text),
    "GLUE_CRAWLER_ROLE_ARN": ("glue_crawler_role_arn", _text),
    "ATHENA_WORKGROUP": ("athena_workgroup", _text),
    "ATHENA_OUTPUT_URL": ("athena_output_url", _athena_output),
}


def _default(variable: str) -> Callable[[], Any]:
    """The default of ``variable``'s field: its ENV_VARS default, parsed (one list of defaults)."""
    return lambda: _PARSERS[variable][1](ENV_VARS[variable][0])


def shown_value(variable: str, text: str) -> str:
    """``text`` as it may be printed for ``variable``: a secret's value is masked."""
    return _MASK if variable in SPOTIFY_CREDENTIALS and text else text


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Every project setting, typed and validated; build with :meth:`from_env`.

    The first six fields keep their historical order, so ``Settings("local", lake_url, "",
    "", "2023-01-01", duckdb_path)`` works; every field has the default of its variable.
    ``partitions_start`` may be given as ``"YYYY-MM-DD"`` (made a ``date``). Seconds are
    floats, counts ints; the Spotify credentials are :class:`Secret` (or None when unset);
    ``aws_region``: ``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else None (boto3's chain).
    """

    deployment: str = field(default_factory=_default("SPOTIFY_ASSETS_ENV"))
    lake_url: str = field(default_factory=_default("SPOTIFY_LAKE_URL"))
    landing_url: str = ""
    playlist_ids: str = ""
    partitions_start: date = field(default_factory=_default("SPOTIFY_PARTITIONS_START"))
    duckdb_path: str = field(default_factory=_default("SPOTIFY_DUCKDB_PATH"))
    lookups: str = field(default_factory=_default("SPOTIFY_LOOKUPS"))
    alerts_topic_arn: str = ""
    client_id: Secret | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    api_base_url: str = field(default_factory=_default("SPOTIFY_API_BASE_URL"))
    token_url: str = field(default_factory=_default("SPOTIFY_TOKEN_URL"))
    request_deadline_s: float = field(default_factory=_default("SPOTIFY_REQUEST_DEADLINE_S"))
    playlist_deadline_s: float = field(default_factory=_default("SPOTIFY_PLAYLIST_DEADLINE_S"))
    run_deadline_s: float = field(default_factory=_default("SPOTIFY_RUN_DEADLINE_S"))
    sensor_interval_s: int = field(default_factory=_default("SPOTIFY_SENSOR_INTERVAL_S"))
    sensor_sweep_keys: int = field(default_factory=_default("SPOTIFY_SENSOR_SWEEP_KEYS"))
    raw_max_bytes: int = field(default_factory=_default("SPOTIFY_RAW_MAX_BYTES"))
    schedule_cron: str = field(default_factory=_default("SPOTIFY_SCHEDULE_CRON"))
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    glue_catalog_mode: str = field(default_factory=_default("GLUE_CATALOG_MODE"))
    glue_crawler_name: str = field(default_factory=_default("GLUE_CRAWLER_NAME"))
    glue_database: str = field(default_factory=_default("GLUE_DATABASE"))
    glue_crawler_role_arn: str = ""
    athena_workgroup: str = field(default_factory=_default("ATHENA_WORKGROUP"))
    athena_output_url: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.partitions_start, str):  # the historical form
            try:
                start = _partitions_start(self.partitions_start)
            except ValueError as error:
                raise SettingsError([f"SPOTIFY_PARTITIONS_START={self.partitions_start!r}: {error}"]) from None
            object.__setattr__(self, "partitions_start", start)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: the process environment): each variable of
        :data:`ENV_VARS` (unset or blank = its default) and the AWS region.

        Raises :class:`SettingsError` (a ``ValueError``) listing every bad variable with its
        value (secrets masked) and the accepted forms, and every inconsistent combination
        (a partial set of Spotify credentials, ``aws`` without an S3 lake)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for variable, (name, parse) in _PARSERS.items():
            text = environ.get(variable, "").strip() or ENV_VARS[variable][0]
            try:
                values[name] = parse(text)
            except ValueError as error:
                problems.append(f"{variable}={shown_value(variable, text)!r}: {error}")
        named = [(v, environ[v].strip()) for v in AWS_REGION_VARIABLES if environ.get(v, "").strip()]
        values["aws_region"] = named[0][1] if named else None  # AWS_REGION first: boto3 reads only the other
        problems += [
            f"{v}={region!r}: expected an AWS region, e.g. eu-west-1"
            for v, region in named
            if not _AWS_REGION.match(region)
        ]
        problems += _combination_problems(values)
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    @property
    def on_s3(self) -> bool:
        """True when the lake is on S3."""
        return self.lake_url.startswith("s3://")

    @property
    def synthetic_allowed(self) -> bool:
        """The offline synthetic sample may be read: only locally, into a local folder (fake
        data must never reach a real lake)."""
        return self.deployment == "local" and not self.on_s3

    def credentials_problem(self) -> str | None:
        """:func:`spotify_credentials_problem` of these settings."""
        return _credentials_problem(vars(self))


def configuration_rows(environ: Mapping[str, str] | None = None) -> list[tuple[str, str, bool]]:
    """``(variable, shown value, is default)`` for every variable of :data:`ENV_VARS` and the
    two AWS region variables, as set in ``environ`` (default: the process environment), even
    when invalid: secrets masked, ``(unset)`` for an empty value, the default lake and DuckDB
    paths resolved (:func:`defaults_base`)."""
    environ = os.environ if environ is None else environ
    rows = []
    for variable, (default, _) in ENV_VARS.items():
        text = environ.get(variable, "").strip()
        if not text and variable in ("SPOTIFY_LAKE_URL", "SPOTIFY_DUCKDB_PATH"):
            default = _default_path(default, default)
        shown = "set, masked" if variable in SPOTIFY_CREDENTIALS and text else (text or default)
        rows.append((variable, shown or "(unset)", not text))
    for variable in AWS_REGION_VARIABLES:
        text = environ.get(variable, "").strip()
        rows.append((variable, text or "(unset)", not text))
    return rows


def spotify_credentials_problem(given: Mapping[str, bool]) -> str | None:
    """Why the Spotify credentials are only partly set (``given``: variable -> set), naming
    what is missing, or None when they are complete (id and secret, with or without a
    refresh token) or absent (the offline synthetic sample). A partial set is never read
    as "offline"."""
    present = [name for name in SPOTIFY_CREDENTIALS if given.get(name)]
    missing = [name for name in SPOTIFY_CREDENTIALS[:2] if name not in present]
    if not present or not missing:
        return None
    return (
        f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, but {', '.join(present)} "
        f"{'is' if len(present) == 1 else 'are'}: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to read the Spotify API, "
        "or none of the Spotify credentials to read the offline synthetic sample."
    )


def _credentials_problem(values: Mapping[str, Any]) -> str | None:
    """:func:`spotify_credentials_problem` of ``values`` (``{Settings field: value}``)."""
    return spotify_credentials_problem({n: values[_PARSERS[n][0]] is not None for n in SPOTIFY_CREDENTIALS})


def _combination_problems(values: Mapping[str, Any]) -> list[str]:
    """Problems of settings that are each valid but do not go together."""
    problems = []
    credentials = _credentials_problem(values)
    if credentials:
        problems.append(credentials)
    if values.get("client_id") is not None and values.get("refresh_token") is None and _names_me(values):
        # `me` is the user who authorised the app: without their token /me/playlists answers 401.
        problems.append(
            "SPOTIFY_PLAYLIST_IDS=me needs SPOTIFY_REFRESH_TOKEN, which is not set: `me` is the user who "
            "authorised the app (run `spotify-assets authorize` to get the token), or list playlist ids instead"
        )
    lake_url = values.get("lake_url")
    if values.get("deployment") == "aws" and lake_url is not None and not lake_url.startswith("s3://"):
        problems.append(
            f"SPOTIFY_ASSETS_ENV='aws' with SPOTIFY_LAKE_URL={lake_url!r}: expected an S3 lake, "
            "s3://bucket/prefix (Glue and Athena read S3), or SPOTIFY_ASSETS_ENV=local"
        )
    return problems


def _names_me(values: Mapping[str, Any]) -> bool:
    """True when a valid ``SPOTIFY_PLAYLIST_IDS`` asks for the authorising user's playlists."""
    from spotify_assets.spotify.ids import parse_playlist_selection

    text = values.get("playlist_ids")
    return text is not None and parse_playlist_selection(text).mine
