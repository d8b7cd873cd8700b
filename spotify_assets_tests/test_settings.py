"""``spotify_assets/settings.py`` is the one place that reads the environment: no other
module of the package touches ``os.environ`` or ``os.getenv``, calls an environment reader
(``env()``, ``is_set()``, ``getenv()``) or imports a private name of ``settings`` (checked on
the source's syntax tree, so a comment or a string does not count and an alias does). And
``Settings.from_env()`` holds every setting, typed, and refuses bad values at load with one
error naming each variable, its value (secrets masked) and the accepted forms."""

import ast
import dataclasses
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import spotify_assets
from spotify_assets.settings import (
    _PARSERS,
    ENV_VARS,
    Secret,
    Settings,
    SettingsError,
    configuration_rows,
    project_root,
)

PACKAGE = Path(spotify_assets.__file__).parent
_READERS = ("env", "is_set", "getenv", "_env", "_is_set")


def _environment_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    where = path.relative_to(PACKAGE.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb", "putenv"):
            found.append(f"{where}:{node.lineno}: os.{node.attr}")
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & {"environ", "getenv", "environb"}
        ):
            found.append(f"{where}:{node.lineno}: from os import {', '.join(a.name for a in node.names)}")
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _READERS:
                found.append(f"{where}:{node.lineno}: {name}()")
        if isinstance(node, ast.ImportFrom) and node.module == "spotify_assets.settings":
            private = [a.name for a in node.names if a.name.startswith("_")]
            if private:
                found.append(f"{where}:{node.lineno}: settings.{', '.join(private)}")
    return found


def test_only_settings_reads_the_environment():
    reads = [
        read
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "settings.py" or path.parent != PACKAGE
        for read in _environment_reads(path)
    ]
    assert reads == []


def test_the_check_sees_an_environment_read(tmp_path):
    module = tmp_path / "spotify_assets" / "x.py"
    module.parent.mkdir()
    module.write_text(
        "import os\nfrom os import getenv\nvalue = os.environ.get('A')\n"
        "from spotify_assets.settings import _env\nx = settings.env('B') or is_set('C')\n"
    )
    global PACKAGE
    saved, PACKAGE = PACKAGE, module.parent
    try:
        assert sorted(_environment_reads(module)) == [
            "spotify_assets/x.py:2: from os import getenv",
            "spotify_assets/x.py:3: os.environ",
            "spotify_assets/x.py:4: settings._env",
            "spotify_assets/x.py:5: env()",
            "spotify_assets/x.py:5: is_set()",
        ]
    finally:
        PACKAGE = saved


# ----------------------------------------------------------------------------- Settings
def test_every_variable_has_one_typed_field_and_the_defaults_are_the_tables():
    assert set(_PARSERS) == set(ENV_VARS)
    assert {f.name for f in dataclasses.fields(Settings)} == {name for name, _ in _PARSERS.values()} | {"aws_region"}
    defaults = Settings.from_env({})
    assert defaults == Settings()  # the dataclass defaults are ENV_VARS' defaults, parsed
    assert (defaults.partitions_start, defaults.request_deadline_s, defaults.sensor_interval_s) == (
        date(2023, 1, 1),
        30.0,
        30,
    )
    assert (defaults.raw_max_bytes, defaults.sensor_sweep_keys, defaults.client_id) == (512 * 1024 * 1024, 1000, None)


def test_values_are_typed_and_secrets_never_shown():
    settings = Settings.from_env(
        {
            "SPOTIFY_CLIENT_ID": "the-id",
            "SPOTIFY_CLIENT_SECRET": "the-secret",
            "SPOTIFY_REFRESH_TOKEN": "the-token",
            "SPOTIFY_PARTITIONS_START": "2024-02-29",
            "SPOTIFY_PLAYLIST_DEADLINE_S": "2.5",
            "SPOTIFY_SENSOR_SWEEP_KEYS": "0",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    assert settings.partitions_start == date(2024, 2, 29) and settings.playlist_deadline_s == 2.5
    assert settings.sensor_sweep_keys == 0 and settings.aws_region == "eu-west-1"
    assert settings.client_secret == Secret("SPOTIFY_CLIENT_SECRET", "the-secret")
    assert settings.client_secret.reveal() == "the-secret"
    for text in (repr(settings), str(settings), str(settings.client_secret), f"{settings.refresh_token}"):
        assert "the-secret" not in text and "the-token" not in text and "the-id" not in text
    assert "Secret(SPOTIFY_CLIENT_SECRET, masked)" in repr(settings)


def test_the_historical_positional_form_still_builds():
    settings = Settings("local", "/lake", "", "", "2023-01-01", "/c.duckdb")
    assert (settings.lake_url, settings.partitions_start, settings.duckdb_path) == (
        "/lake",
        date(2023, 1, 1),
        "/c.duckdb",
    )
    with pytest.raises(SettingsError, match=r"SPOTIFY_PARTITIONS_START='01/01/2024': expected a UTC date YYYY-MM-DD"):
        Settings(partitions_start="01/01/2024")


TODAY = datetime.now(timezone.utc).date()

# variable, bad value, what the message says after "VARIABLE='value': "
BAD_VALUES = [
    ("SPOTIFY_ASSETS_ENV", "prod", "expected 'local' or 'aws'"),
    ("SPOTIFY_PARTITIONS_START", "01/01/2024", "expected a UTC date YYYY-MM-DD, not after today"),
    ("SPOTIFY_PARTITIONS_START", "2024-02-30", "expected a UTC date YYYY-MM-DD, not after today"),
    ("SPOTIFY_PARTITIONS_START", (TODAY + timedelta(days=1)).isoformat(), f"not after today ({TODAY.isoformat()})"),
    ("SPOTIFY_LAKE_URL", "gs://bucket/lake", "expected a folder (path or file://) or s3://bucket/prefix"),
    ("SPOTIFY_LAKE_URL", "s3://Bad_Bucket/lake", "with a valid bucket name"),
    ("SPOTIFY_LANDING_URL", "ftp://host/landing", "expected a folder (path or file://) or s3://bucket/prefix"),
    ("SPOTIFY_REQUEST_DEADLINE_S", "soon", "expected a number of seconds greater than 0"),
    ("SPOTIFY_RUN_DEADLINE_S", "0", "expected a number of seconds greater than 0"),
    ("SPOTIFY_SENSOR_INTERVAL_S", "0.5", "expected a whole number of seconds, at least 1"),
    ("SPOTIFY_SENSOR_SWEEP_KEYS", "-1", "expected a whole number of keys, 0 (no limit) or more"),
    ("SPOTIFY_RAW_MAX_BYTES", "512MiB", "expected a whole number of bytes, at least 1"),
    (
        "SPOTIFY_LOOKUPS",
        "tracks",
        "unknown kind 'tracks'; expected 'none' or a comma-separated list of albums, artists",
    ),
    ("SPOTIFY_PLAYLIST_IDS", "me, not an id!", "expected playlist ids, URIs or URLs and/or `me`"),
    ("SPOTIFY_SCHEDULE_CRON", "0 6 * *", "expected a 5-field cron string (minute hour day month weekday, UTC)"),
    ("SPOTIFY_SCHEDULE_CRON", "every morning", "expected a 5-field cron string"),
    ("SPOTIFY_API_BASE_URL", "api.spotify.com/v1", "expected an http(s):// URL with a host"),
    ("SPOTIFY_TOKEN_URL", "file:///token", "expected an http(s):// URL with a host"),
    ("AWS_ENDPOINT_URL", "localhost:5000", "expected an http(s):// URL with a host"),
    ("GLUE_CATALOG_MODE", "crawl", "expected 'register' or 'crawler'"),
    ("ATHENA_OUTPUT_URL", "athena-results/", "expected an S3 location, s3://bucket/prefix/"),
    (
        "SPOTIFY_ALERTS_TOPIC_ARN",
        "my-topic",
        "expected an SNS topic ARN, arn:aws:sns:<region>:<account id>:<topic name>",
    ),
    ("AWS_REGION", "Europe", "expected an AWS region, e.g. eu-west-1"),
]


@pytest.mark.parametrize(("variable", "value", "accepted"), BAD_VALUES, ids=[f"{v}={x}" for v, x, _ in BAD_VALUES])
def test_a_bad_value_is_refused_at_load_naming_the_variable_value_and_accepted_forms(variable, value, accepted):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert len(raised.value.problems) == 1
    assert str(raised.value).startswith(f"{variable}={value!r}: ") and accepted in str(raised.value)


def test_every_problem_is_reported_at_once_and_secrets_are_masked():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {
                "SPOTIFY_PARTITIONS_START": "01/01/2024",
                "SPOTIFY_SCHEDULE_CRON": "daily",
                "SPOTIFY_CLIENT_SECRET": "s3cr3t-value",
                "SPOTIFY_ASSETS_ENV": "aws",
                "SPOTIFY_LAKE_URL": "/data/lake",
            }
        )
    message = str(raised.value)
    assert message.startswith("4 problems in the settings:\n- ")
    assert [re.split(r"[= ]", p, maxsplit=1)[0] for p in raised.value.problems] == [
        "SPOTIFY_PARTITIONS_START",
        "SPOTIFY_SCHEDULE_CRON",
        "SPOTIFY_CLIENT_ID",  # "SPOTIFY_CLIENT_ID is not set, but SPOTIFY_CLIENT_SECRET is: ..."
        "SPOTIFY_ASSETS_ENV",
    ]
    assert "SPOTIFY_CLIENT_ID is not set, but SPOTIFY_CLIENT_SECRET is" in message
    assert "SPOTIFY_ASSETS_ENV='aws' with SPOTIFY_LAKE_URL='/data/lake': expected an S3 lake" in message
    assert "s3cr3t" not in message


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"SPOTIFY_CLIENT_ID": "x"}, "SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID is"),
        (
            {"SPOTIFY_REFRESH_TOKEN": "x"},
            "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are not set, but SPOTIFY_REFRESH_TOKEN is",
        ),
        (
            {"SPOTIFY_CLIENT_SECRET": "x", "SPOTIFY_REFRESH_TOKEN": "y"},
            "SPOTIFY_CLIENT_ID is not set, but SPOTIFY_CLIENT_SECRET, SPOTIFY_REFRESH_TOKEN are",
        ),
    ],
)
def test_a_partial_set_of_credentials_is_refused_naming_what_is_missing(given, missing):
    with pytest.raises(SettingsError, match=re.escape(missing)):
        Settings.from_env(given)
    assert Settings.from_env({"SPOTIFY_CLIENT_ID": "a", "SPOTIFY_CLIENT_SECRET": "b"}).refresh_token is None


def test_me_without_a_refresh_token_is_refused_at_load_and_allowed_with_one_or_offline():
    app = {"SPOTIFY_CLIENT_ID": "a", "SPOTIFY_CLIENT_SECRET": "b", "SPOTIFY_PLAYLIST_IDS": "me, 37i9dQZF1DXcBWIGoYBM5M"}
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(app)
    assert str(raised.value).count("SPOTIFY_PLAYLIST_IDS=me needs SPOTIFY_REFRESH_TOKEN, which is not set") == 1
    assert Settings.from_env({**app, "SPOTIFY_REFRESH_TOKEN": "r"}).playlist_ids == app["SPOTIFY_PLAYLIST_IDS"]
    assert Settings.from_env({**app, "SPOTIFY_PLAYLIST_IDS": "37i9dQZF1DXcBWIGoYBM5M"}).refresh_token is None
    assert Settings.from_env({"SPOTIFY_PLAYLIST_IDS": "me"}).client_id is None  # offline: the sample, no token


def test_default_paths_are_in_the_project_root_and_set_paths_as_given(tmp_path, monkeypatch):
    root = project_root()
    assert root == PACKAGE.parent and (root / "workspace.yaml").is_file()
    monkeypatch.chdir(tmp_path)  # the current directory plays no part in the defaults
    defaults = Settings.from_env({})
    assert (defaults.lake_url, defaults.duckdb_path) == (
        str(root / "data" / "lake"),
        str(root / "data" / "catalog.duckdb"),
    )
    given = Settings.from_env({"SPOTIFY_LAKE_URL": "./mine", "SPOTIFY_DUCKDB_PATH": "c.duckdb"})
    assert (given.lake_url, given.duckdb_path) == ("./mine", "c.duckdb")


def test_the_configuration_rows_show_every_variable_with_secrets_masked_even_when_invalid():
    environ = {"SPOTIFY_CLIENT_SECRET": "s3cr3t", "SPOTIFY_SCHEDULE_CRON": "bad", "AWS_REGION": "eu-west-1"}
    rows = {name: (shown, default) for name, shown, default in configuration_rows(environ)}
    assert set(rows) == set(ENV_VARS) | {"AWS_REGION", "AWS_DEFAULT_REGION"}
    assert rows["SPOTIFY_CLIENT_SECRET"] == ("set, masked", False)
    assert rows["SPOTIFY_SCHEDULE_CRON"] == ("bad", False) and rows["AWS_REGION"] == ("eu-west-1", False)
    assert rows["SPOTIFY_LAKE_URL"] == (str(PACKAGE.parent / "data" / "lake"), True)
    assert rows["SPOTIFY_CLIENT_ID"] == ("(unset)", True)


def test_authorize_reports_a_bad_setting_by_name_before_any_request(monkeypatch):
    import io

    from spotify_assets.spotify.authorize import authorize

    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "an-id")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "a-secret")
    monkeypatch.setenv("SPOTIFY_TOKEN_URL", "accounts.spotify.com/api/token")
    out, err = io.StringIO(), io.StringIO()
    assert authorize(read_line=lambda: pytest.fail("no prompt expected"), stdout=out, stderr=err) == 1
    assert err.getvalue() == (
        "spotify-assets authorize: SPOTIFY_TOKEN_URL='accounts.spotify.com/api/token': expected an http(s):// URL "
        "with a host\n"
    )
    assert out.getvalue() == ""


def test_the_day_summary_names_a_bad_setting_without_a_traceback(monkeypatch):
    from spotify_assets.lake.summary import main

    monkeypatch.setenv("SPOTIFY_LAKE_URL", "gs://bucket/lake")
    with pytest.raises(SystemExit) as exited:
        main(["--dt", "2026-11-20"])
    assert str(exited.value) == (
        "spotify_assets.lake.summary: SPOTIFY_LAKE_URL='gs://bucket/lake': expected a folder (path or file://) "
        "or s3://bucket/prefix"
    )
