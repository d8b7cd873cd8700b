"""``spotify-assets doctor`` against the real parts: the Spotify test server over HTTP (a
readable playlist, one not owned: 403, an editorial one: 404), lake folders, and moto's
server for S3, Glue and Athena. Each problem is named with what to do; secrets are masked."""

import io

import boto3
import pytest

from spotify_assets.doctor import run_doctor
from spotify_assets_tests.support.fixtures.moto import LAKE_BUCKET, LAKE_URL, REGION

GOOD, NOT_OWNED, EDITORIAL = "0000000000000000000001", "0000000000000000000002", "37i9dQZEVXbMDoHDwVN2tF"


def _doctor() -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_doctor(out)
    return code, out.getvalue().splitlines()


def _line(lines: list[str], start: str) -> str:
    (line,) = [line for line in lines if line.startswith(start)]
    return line


def test_offline_on_a_laptop_every_check_passes(lake_dir):
    code, lines = _doctor()
    assert code == 0 and lines[-1] == "all checks passed"
    assert "  SPOTIFY_CLIENT_SECRET = (unset) (default)" in lines
    assert f"  SPOTIFY_LAKE_URL = {lake_dir}" in lines
    assert _line(lines, "ok      lake:") == f"ok      lake: {lake_dir} can be written"
    assert _line(lines, "ok      spotify:").startswith(
        "ok      spotify: no credentials: runs read the offline SYNTHETIC sample"
    )
    assert [p.name for p in (lake_dir / "raw_playlist").iterdir()] == []  # the write check cleaned up


def test_each_playlist_is_checked_and_secrets_are_masked(lake_dir, spotify_env, monkeypatch):
    spotify_env.add_playlist(GOOD, [], name="Mine")
    spotify_env.add_playlist(NOT_OWNED, [])
    spotify_env.restrict_playlist(NOT_OWNED, 403)
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", f"{GOOD},{NOT_OWNED},{EDITORIAL}")
    code, lines = _doctor()
    assert code == 1 and lines[-1] == "2 problem(s)"
    assert _line(lines, f"ok      playlist {GOOD}") == f"ok      playlist {GOOD}: readable ('Mine')"
    assert _line(lines, f"PROBLEM playlist {NOT_OWNED}").startswith(
        f"PROBLEM playlist {NOT_OWNED}: 403 Forbidden: since 2026 apps in development mode"
    )
    assert _line(lines, f"PROBLEM playlist {EDITORIAL}").startswith(f"PROBLEM playlist {EDITORIAL}: 404 Not Found")
    assert (
        lines[lines.index(_line(lines, f"PROBLEM playlist {NOT_OWNED}")) + 1]
        == "        → use the owner's refresh token, or drop the id"
    )
    assert _line(lines, "ok      spotify token") == "ok      spotify token: an access token was obtained"
    assert "  SPOTIFY_CLIENT_SECRET = set, masked" in lines and "  SPOTIFY_REFRESH_TOKEN = set, masked" in lines
    text = "\n".join(lines)
    assert spotify_env.client_secret not in text and spotify_env.refresh_token not in text
    assert not any(token in text for token in spotify_env.issued_access_tokens)


def test_a_lake_that_cannot_be_written_and_partial_credentials_are_problems(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the lake's folder should be")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", str(blocker / "lake"))
    code, lines = _doctor()
    assert code == 1 and _line(lines, "PROBLEM lake:").startswith(
        f"PROBLEM lake: the lake at SPOTIFY_LAKE_URL={blocker / 'lake'} cannot be written"
    )
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "an-id")
    code, lines = _doctor()
    assert code == 1 and _line(lines, "PROBLEM configuration:").startswith(
        "PROBLEM configuration: SPOTIFY_CLIENT_SECRET is not set, but SPOTIFY_CLIENT_ID is"
    )


def test_on_aws_the_bucket_region_glue_and_athena_are_checked(aws_env, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ASSETS_ENV", "aws")
    monkeypatch.setenv("SPOTIFY_LAKE_URL", LAKE_URL)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, lines = _doctor()
    assert code == 1
    assert _line(lines, "ok      aws region") == f"ok      aws region: {REGION}"
    assert _line(lines, "PROBLEM lake:").startswith(
        f"PROBLEM lake: the lake at SPOTIFY_LAKE_URL=s3://{LAKE_BUCKET}/lake cannot be written"
    )
    assert _line(lines, "PROBLEM spotify:").startswith(
        "PROBLEM spotify: no credentials, and the synthetic sample is never read on aws"
    )
    assert _line(lines, "PROBLEM athena results").startswith(
        "PROBLEM athena results: neither ATHENA_OUTPUT_URL nor workgroup primary"
    )
    assert (
        _line(lines, "ok      glue database")
        == "ok      glue database: spotify_assets does not exist yet: the catalog asset creates it"
    )

    boto3.session.Session(region_name=REGION).client("s3").create_bucket(Bucket=LAKE_BUCKET)
    monkeypatch.setenv("ATHENA_OUTPUT_URL", f"s3://{LAKE_BUCKET}/athena-results/")
    code, lines = _doctor()
    assert _line(lines, "ok      lake:") == f"ok      lake: s3://{LAKE_BUCKET}/lake can be written"
    assert _line(lines, "ok      athena results") == f"ok      athena results: s3://{LAKE_BUCKET}/athena-results/"
    assert lines[-1] == "1 problem(s)"  # only the missing Spotify credentials


def test_the_cli_runs_doctor_and_returns_its_exit_code(lake_dir, capsys):
    from spotify_assets.cli import main

    assert main(["doctor"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "all checks passed"
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--help"])
    assert exited.value.code == 0 and "Exits 1 when any check finds a problem" in " ".join(
        capsys.readouterr().out.split()
    )
