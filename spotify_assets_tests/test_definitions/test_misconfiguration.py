"""Each misconfiguration fails early and named: real ``dagster asset materialize`` runs of
today's ``raw_playlist`` on the project's code location, each failing within 10 s with a
message naming the variable, and no raw object written. Without AWS credentials on ``aws``
the output stays short (it was 346 lines of retries and botocore tracebacks)."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from spotify_assets.settings import ENV_VARS
from spotify_assets_tests.support.cli_runs import materialize_cli

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

BOUND_S = 10.0  # the bound: a misconfiguration fails within 10 s
MAX_LINES = 80  # the run's whole output without AWS credentials (57 lines measured; was 346)
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")


def _environment(tmp_path: Path, name: str, variables: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k not in AWS_VARIABLES}
    env.pop("AWS_DEFAULT_REGION", None)  # tested without it (README, Known traps)
    env.update(
        DAGSTER_HOME=str(tmp_path / name / "dagster_home"),
        SPOTIFY_LAKE_URL=str(tmp_path / name / "lake"),
        SPOTIFY_DUCKDB_PATH=str(tmp_path / name / "catalog.duckdb"),
        # No credentials anywhere (files, instance metadata), so boto3 finds none at once.
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(variables)
    (tmp_path / name / "dagster_home").mkdir(parents=True)
    return env


def _timed_run(env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    today = datetime.now(timezone.utc).date().isoformat()
    started = time.monotonic()
    done = materialize_cli("raw_playlist", ["--partition", today], env, timeout=120)
    return done, time.monotonic() - started


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


CASES = {
    # name: (variables, the variable the message names, a phrase of the message)
    "partitions start": (
        {"SPOTIFY_PARTITIONS_START": "01/01/2024"},
        "SPOTIFY_PARTITIONS_START='01/01/2024'",
        "expected a UTC date YYYY-MM-DD, not after today",
    ),
    "partial credentials": (
        {"SPOTIFY_CLIENT_ID": "an-id"},
        "SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID is",
        "or none of the Spotify credentials",
    ),
    "deadline": (
        {"SPOTIFY_RUN_DEADLINE_S": "2h"},
        "SPOTIFY_RUN_DEADLINE_S='2h'",
        "expected a number of seconds greater than 0",
    ),
    "cron": (
        {"SPOTIFY_SCHEDULE_CRON": "0 6 * *"},
        "SPOTIFY_SCHEDULE_CRON='0 6 * *'",
        "expected a 5-field cron string",
    ),
    "unwritable lake": ({}, "the lake at SPOTIFY_LAKE_URL=", "cannot be written"),
}


def test_each_misconfiguration_fails_within_10_s_naming_the_variable_and_writes_nothing(tmp_path):
    environments = {name: _environment(tmp_path, name, variables) for name, (variables, _, _) in CASES.items()}
    blocker = tmp_path / "unwritable lake" / "a-file"
    blocker.write_text("a file where the lake's folder should be")
    environments["unwritable lake"]["SPOTIFY_LAKE_URL"] = str(blocker / "lake")
    outcomes = {name: _timed_run(env) for name, env in environments.items()}  # one at a time: each its own bound
    for name, (done, elapsed) in outcomes.items():
        _, variable, phrase = CASES[name]
        output = done.stdout + done.stderr
        assert done.returncode != 0, name
        assert variable in output and phrase in output, f"{name}: {output[-2000:]}"
        assert elapsed < BOUND_S, f"{name}: failed after {elapsed:.1f} s"
        assert _files(tmp_path / name / "lake") == [], name
    assert blocker.read_text() == "a file where the lake's folder should be"


def test_without_aws_credentials_on_aws_the_message_is_short_and_named(tmp_path):
    env = _environment(
        tmp_path,
        "aws",
        {
            "SPOTIFY_ASSETS_ENV": "aws",
            "SPOTIFY_LAKE_URL": "s3://spotify-assets-no-credentials/lake",
            "AWS_REGION": "eu-west-1",
            "SPOTIFY_CLIENT_ID": "an-id",
            "SPOTIFY_CLIENT_SECRET": "a-secret",
            "SPOTIFY_PLAYLIST_IDS": "0lSHxL8DnuRYEhk2cmKSDH",
            "SPOTIFY_API_BASE_URL": "http://127.0.0.1:9/v1/",  # nothing listens: no request leaves
            "SPOTIFY_TOKEN_URL": "http://127.0.0.1:9/api/token",
        },
    )
    done, elapsed = _timed_run(env)
    output = done.stdout + done.stderr
    lines = output.splitlines()
    assert done.returncode != 0 and elapsed < BOUND_S
    assert (
        "the lake at SPOTIFY_LAKE_URL=s3://spotify-assets-no-credentials/lake cannot be written: no usable AWS "
        "credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or give the process "
        "a role)" in output
    )
    assert len(lines) <= MAX_LINES, f"{len(lines)} lines:\n{output}"
    assert "a-secret" not in output
