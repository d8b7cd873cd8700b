"""``spotify-assets doctor``: the effective configuration (secrets masked), then a check of each
part the pipeline needs, each with what to do about a problem.

Checks, in order (each runs only when the parts before it allow it):

- configuration: the settings load (``Settings``, the Spotify credentials, the definitions);
- lake: a small hidden object is written and deleted under ``raw_playlist/`` (the same write
  check ``raw_playlist`` makes before any Spotify request); on S3 this needs the bucket;
- AWS (on ``aws`` or with an ``s3://`` lake): a region (``AWS_REGION`` or
  ``AWS_DEFAULT_REGION``) and credentials (boto3's chain);
- Spotify: a token can be obtained, and each configured playlist is readable (``GET
  /playlists/{id}``: 403 not owned by the authorising user, 404 gone or editorial); ``me`` is
  listed (``GET /me/playlists``);
- catalog (on ``aws``): the Glue database answers (register mode) or the crawler's role is set
  (crawler mode), and Athena has a result location (``ATHENA_OUTPUT_URL`` or the workgroup's).

Exit code 0 when every check passed, 1 otherwise. Nothing secret is printed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from spotify_assets.settings import SPOTIFY_CREDENTIALS, Settings, configuration_rows, defaults_base

EXIT_OK, EXIT_PROBLEMS = 0, 1


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ``part`` (e.g. ``lake``), ``ok``, what was found, and for a problem what to do."""

    part: str
    ok: bool
    found: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok     " if self.ok else "PROBLEM"
        return f"{mark} {self.part}: {self.found}" + (f"\n        → {self.fix}" if self.fix else "")


def effective_configuration() -> list[str]:
    """``NAME = value`` for every project setting and the AWS region variables, ``(default)``
    where unset (even when the settings do not load); secrets masked; then where the default
    paths are resolved (the project root, or the current directory of an installed package)."""
    lines = [f"  {name} = {shown}{' (default)' if default else ''}" for name, shown, default in configuration_rows()]
    base, why = defaults_base()
    lines.append(f"  (default paths are relative to {why}: {base})")
    return lines


def run_doctor(out: TextIO, log: logging.Logger | None = None) -> int:
    """Print the configuration and every check's finding to ``out``; returns the exit code."""
    print("Effective configuration:", file=out)
    for line in effective_configuration():
        print(line, file=out)
    print("\nChecks:", file=out)
    problems = 0
    for finding in _findings(log or logging.getLogger(__name__)):
        problems += not finding.ok
        print(finding.line(), file=out)
    print(f"\n{problems} problem(s)" if problems else "\nall checks passed", file=out)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _findings(log: logging.Logger) -> Iterator[Finding]:
    try:
        settings = Settings.from_env()
        from spotify_assets.definitions import build_resources

        resources = build_resources(settings)
    except ValueError as error:  # every settings error names its variable
        yield Finding("configuration", False, str(error), "fix the variable named, then run doctor again")
        return
    yield Finding("configuration", True, f"SPOTIFY_ASSETS_ENV={settings.deployment}, lake {settings.lake_url}")
    on_aws = settings.deployment == "aws" or settings.on_s3
    if on_aws:
        yield from _aws_findings(settings)
    import dagster as dg

    # Initialised as a run would: the secrets are EnvVars that Dagster resolves.
    with dg.build_resources({"lake": resources["lake"], "spotify": resources["spotify"]}) as ready:
        yield from _guarded("lake", lambda: [_lake_finding(ready.lake.get_lake())])
        yield from _guarded("spotify", lambda: list(_spotify_findings(ready.spotify, log)))
    if settings.deployment == "aws":
        yield from _guarded("catalog", lambda: list(_catalog_findings(settings)))


def _guarded(part: str, check: Callable[[], list[Finding]]) -> Iterator[Finding]:
    """The check's findings; an unexpected error becomes a problem of ``part`` naming it."""
    try:
        findings = check()
    except Exception as error:  # a check must report, never crash the report
        first = str(error).splitlines()[0] if str(error) else ""
        yield Finding(part, False, f"{type(error).__name__}: {first}", "see the error above")
        return
    yield from findings


def _lake_finding(lake) -> Finding:
    from spotify_assets.lake.write_check import LakeSetupError, check_lake_writable

    try:
        check_lake_writable(lake)
    except LakeSetupError as error:
        return Finding(
            "lake", False, str(error), "create the folder or bucket, or fix SPOTIFY_LAKE_URL and its permissions"
        )
    return Finding("lake", True, f"{lake.location} can be written")


def _aws_findings(settings: Settings) -> Iterator[Finding]:
    from spotify_assets.aws import boto3_session

    region = settings.aws_region
    if region is None:
        yield Finding(
            "aws region", False, "neither AWS_REGION nor AWS_DEFAULT_REGION is set", "set AWS_REGION (e.g. eu-west-1)"
        )
    else:
        yield Finding("aws region", True, region)
    if boto3_session(region).get_credentials() is None:
        yield Finding(
            "aws credentials",
            False,
            "boto3 finds no credentials",
            "use a role, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        )
    else:
        yield Finding("aws credentials", True, "boto3 finds credentials")


def _spotify_findings(spotify, log: logging.Logger) -> Iterator[Finding]:
    from spotify_assets.spotify.errors import SpotifyExtractionError

    if spotify.is_offline:
        if spotify.synthetic_allowed:
            yield Finding(
                "spotify", True, "no credentials: runs read the offline SYNTHETIC sample (a demo, not Spotify data)"
            )
        else:
            yield Finding(
                "spotify",
                False,
                "no credentials, and the synthetic sample is never read on aws or into an S3 lake",
                f"set {' and '.join(SPOTIFY_CREDENTIALS[:2])}",
            )
        return
    selection = spotify.playlist_selection()
    reader = spotify.get_reader(log=log)
    if not selection.ids and not selection.mine:
        yield Finding(
            "spotify playlists",
            False,
            "SPOTIFY_PLAYLIST_IDS is empty",
            "name the playlists (ids, URIs or URLs, or `me`)",
        )
    try:
        if selection.mine:
            listed = [p for page in reader.my_playlist_pages() for p in page["items"]]
            yield Finding("spotify me", True, f"GET /me/playlists listed {len(listed)} playlist(s)")
        for playlist_id in selection.ids:
            try:
                name = reader.playlist_metadata(playlist_id).get("name")
                yield Finding(f"playlist {playlist_id}", True, f"readable ({name!r})")
            except SpotifyExtractionError as error:
                if error.affects_all_playlists:
                    raise
                yield Finding(
                    f"playlist {playlist_id}",
                    False,
                    str(error).split(": ", 1)[-1],
                    "use the owner's refresh token, or drop the id",
                )
        yield Finding("spotify token", True, "an access token was obtained")
    except SpotifyExtractionError as error:
        yield Finding(
            "spotify token",
            False,
            str(error),
            "check SPOTIFY_CLIENT_ID/SECRET; run `spotify-assets authorize` for a new refresh token",
        )


def _catalog_findings(settings: Settings) -> Iterator[Finding]:
    from spotify_assets.aws import aws_client

    mode, database = settings.glue_catalog_mode, settings.glue_database
    if mode == "crawler" and not settings.glue_crawler_role_arn:
        yield Finding(
            "glue crawler",
            False,
            "GLUE_CATALOG_MODE=crawler but GLUE_CRAWLER_ROLE_ARN is empty",
            "set the role the crawler assumes",
        )
    glue = aws_client("glue", settings.aws_region, settings.aws_endpoint_url)
    try:
        glue.get_database(Name=database)
        yield Finding("glue database", True, f"{database} exists")
    except glue.exceptions.EntityNotFoundException:
        yield Finding("glue database", True, f"{database} does not exist yet: the catalog asset creates it")
    output = settings.athena_output_url
    if not output:
        athena = aws_client("athena", settings.aws_region, settings.aws_endpoint_url)
        workgroup = athena.get_work_group(WorkGroup=settings.athena_workgroup)["WorkGroup"]
        output = workgroup.get("Configuration", {}).get("ResultConfiguration", {}).get("OutputLocation", "")
    if output:
        yield Finding("athena results", True, output)
    else:
        yield Finding(
            "athena results",
            False,
            f"neither ATHENA_OUTPUT_URL nor workgroup {settings.athena_workgroup} sets a result location",
            "set ATHENA_OUTPUT_URL=s3://bucket/athena-results/",
        )
