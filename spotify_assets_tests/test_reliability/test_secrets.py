"""Secrets stay secret, ids cannot escape the lake, and ``spotify-assets authorize``
prints the refresh token once.

Runs go against the local Spotify test server holding distinctive secrets, with a
persistent Dagster instance (sqlite event logs, compute logs on disk); afterwards every
file written and every event is searched for the secrets, their Basic-auth form and
every access token the server issued."""

import argparse
import base64
import io
import json
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from spotify_assets.assets.raw import raw_playlist, utc_today
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake, LakePathError
from spotify_assets.lake.layout import raw_key
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.settings import Settings, SettingsError
from spotify_assets.spotify.authorize import add_authorize_command, authorization_url, authorize, exchange_code
from spotify_assets.spotify.errors import SpotifyAuthError
from spotify_assets.spotify.ids import InvalidSpotifyIdError
from spotify_assets_tests.support.fixtures.spotify_api import point_env_at
from spotify_assets_tests.support.runs import materialize_tables
from spotify_assets_tests.support.samples import ZMB3, sample_path
from spotify_assets_tests.support.spotify_api_server import (
    CannedResponse,
    SpotifyTestServer,
    _json_reply,
    _token_error,
    spotify_error,
)

CLIENT_ID = "cid0Public0Kq81Zr"
CLIENT_SECRET = "csecret-Xq93LmZp7Rw2Tn5V"
REFRESH_TOKEN = "rtoken-Hb62Yk04Pj9WcQ1s"
GOOD_ID = "0lSHxL8DnuRYEhk2cmKSDH"
FORBIDDEN_ID = "5uBXXKqLD4wqhzJnQ3CgdV"
REDIRECT_URI = "http://127.0.0.1:8888/callback"


class AuthCodeServer(SpotifyTestServer):
    """The test server plus the authorization_code grant (what `spotify-assets authorize`
    uses): ``issue_code(redirect_uri)`` stands in for the user's consent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.codes: dict[str, str] = {}

    def issue_code(self, redirect_uri: str) -> str:
        code = f"code{len(self.codes)}"
        self.codes[code] = redirect_uri
        return code

    def _token(self, authorization, form):
        if form.get("grant_type") != "authorization_code":
            return super()._token(authorization, form)
        issued = super()._token(authorization, {**form, "grant_type": "client_credentials"})  # checks the client
        if issued.status != 200:
            return issued
        if self.codes.pop(form.get("code"), None) != form.get("redirect_uri"):  # single use, same redirect URI
            return _token_error("invalid_grant", "Invalid authorization code")
        return _json_reply(200, {**json.loads(issued.body), "refresh_token": self.refresh_token})


@pytest.fixture
def server(monkeypatch):
    with AuthCodeServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN) as server:
        items = json.loads(sample_path(f"huy-hng/{GOOD_ID}.json").read_text())
        server.add_playlist(GOOD_ID, items)
        server.add_playlist(FORBIDDEN_ID, items[:2])
        server.restrict_playlist(FORBIDDEN_ID, 403)
        point_env_at(monkeypatch, server)
        yield server
    assert not server.errors


def _forbidden_strings(server: SpotifyTestServer) -> list[bytes]:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode())
    values = [CLIENT_SECRET.encode(), REFRESH_TOKEN.encode(), basic, *(t.encode() for t in server.issued_access_tokens)]
    assert len(server.issued_access_tokens) == 3  # run 1, run 2, and run 2's refresh after the 401
    return values


def test_secrets_never_reach_logs_metadata_raw_objects_errors_or_the_event_log(
    server, lake_dir, tmp_path, monkeypatch, caplog, capfd
):
    caplog.set_level("DEBUG")
    home = tmp_path / "dagster_home"
    home.mkdir()
    runs = []
    with dg.instance_for_test(temp_dir=str(home)) as instance:

        def run(ids: str, assets=(raw_playlist, spotify_tables)):
            monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", ids)
            result = dg.materialize(
                list(assets),
                partition_key=utc_today(),
                resources=build_resources(Settings.from_env()),
                instance=instance,
                raise_on_error=False,
            )
            runs.append(result.run_id)
            return result

        assert run(GOOD_ID).success
        # The next run's first request is refused (401), so the client refreshes its token.
        server.inject(
            rf"/playlists/{FORBIDDEN_ID}$", CannedResponse(401, spotify_error(401, "The access token expired"))
        )
        failed_403 = run(f"{FORBIDDEN_ID},{GOOD_ID}", assets=[raw_playlist])
        server.revoke_refresh_token()
        failed_grant = run(GOOD_ID, assets=[raw_playlist])
        assert not failed_403.success and not failed_grant.success
        assert "403 Forbidden" in failed_403.get_step_failure_events()[0].step_failure_data.error.message
        assert "invalid_grant" in failed_grant.get_step_failure_events()[0].step_failure_data.error.message
        events = [entry for run_id in runs for entry in instance.all_logs(run_id)]
        event_text = "\n".join(serialize_value(entry) for entry in events).encode()

    forbidden = _forbidden_strings(server)
    assert [r.status for r in server.api_requests()].count(401) == 1
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in written) and any(
        p.suffix == ".err" for p in written
    )  # event logs, compute logs
    assert any(p.name == f"{GOOD_ID}.json" for p in written) and any(p.name == "data.parquet" for p in written)
    for path in written:
        body = path.read_bytes()
        assert not [s for s in forbidden if s in body], f"a secret is in {path}"
    assert b"csecret" not in event_text and b"rtoken" not in event_text and b"test-access-" not in event_text
    assert not [s for s in forbidden if s in event_text]
    captured = capfd.readouterr()
    output = (captured.out + captured.err + caplog.text).encode()
    assert not [s for s in forbidden if s in output]


HOSTILE_IDS = [
    "../../../../tmp/escape",
    "..",
    "spotify:playlist:../escape",
    "https://open.spotify.com/playlist/..%2F..%2Fescape",
    "/etc/passwd",
    f"{GOOD_ID}/../../escape",
    f"{GOOD_ID}\\..\\escape",
]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_playlist_ids_are_refused_before_any_request_or_write(hostile, server, lake_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SPOTIFY_PLAYLIST_IDS", f"{GOOD_ID},{hostile}")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(SettingsError, match=r"SPOTIFY_PLAYLIST_IDS=.*invalid playlist id"):
        Settings.from_env()  # at load, named
    # And the asset itself, given settings made in code (never validated from the environment):
    monkeypatch.delenv("SPOTIFY_PLAYLIST_IDS")
    resources = build_resources(replace(Settings.from_env(), playlist_ids=f"{GOOD_ID},{hostile}"))
    with dg.build_asset_context(partition_key=utc_today()) as context, pytest.raises(dg.Failure) as raised:
        list(raw_playlist(context, spotify=resources["spotify"], lake=LakeResource(lake_url=str(lake_dir))))
    assert "InvalidSpotifyIdError: invalid playlist id" in raised.value.description
    assert "Spotify ids are base-62 ([0-9A-Za-z]), 1 to 64 characters" in raised.value.description
    assert raised.value.allow_retries is False
    assert server.requests == []
    assert sorted(tmp_path.rglob("*")) == before


def test_a_hostile_id_fails_a_real_run_and_writes_nothing(server, lake_dir, tmp_path, monkeypatch):
    resources = build_resources(replace(Settings.from_env(), playlist_ids="../../escape"))  # past the load check
    result = dg.materialize(
        [raw_playlist],
        partition_key=utc_today(),
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert "invalid playlist id '../../escape'" in result.get_step_failure_events()[0].step_failure_data.error.message
    assert list(lake_dir.iterdir()) == [] and not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize(
    "key",
    [
        "../escape.json",
        "/etc/passwd",
        "raw_playlist/dt=2024-05-15/../../../escape",
        "raw_playlist//x.json",
        "./x",
        "raw_playlist/.",
        "",
    ],
)
def test_hostile_object_keys_cannot_leave_the_lake_root(key, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for operation in (lambda: lake.write_bytes(key, b"x"), lambda: lake.read_bytes(key)):
        with pytest.raises(LakePathError, match="is not a plain relative path inside the lake root"):
            operation()
    assert list(tmp_path.rglob("*")) == []


def test_raw_keys_validate_the_playlist_id():
    assert raw_key("2024-05-15", GOOD_ID) == f"raw_playlist/dt=2024-05-15/{GOOD_ID}.json"
    with pytest.raises(InvalidSpotifyIdError, match=r"invalid playlist id '\.\./x'"):
        raw_key("2024-05-15", "../x")


def test_a_landed_object_with_a_hostile_id_inside_writes_only_the_table_files(lake_dir):
    """The id inside a raw object becomes a column value, never a path."""
    page = json.loads(sample_path(ZMB3).read_text())
    playlist = {"id": "../../../escape", "name": "x", "snapshot_id": "s", "items": page}
    Lake(str(lake_dir)).write_bytes("raw_playlist/dt=2024-05-15/landed.json", json.dumps(playlist).encode())
    result = materialize_tables("2024-05-15")
    assert result.success
    files = sorted(str(p.relative_to(lake_dir)) for p in lake_dir.rglob("*") if p.is_file())
    assert files == [
        "albums/dt=2024-05-15/data.parquet",
        "artists/dt=2024-05-15/data.parquet",
        "playlist_entries/dt=2024-05-15/data.parquet",
        "raw_playlist/dt=2024-05-15/landed.json",
        "songs/dt=2024-05-15/data.parquet",
    ]
    assert not (lake_dir.parent.parent / "escape").exists()


# -- spotify-assets authorize -------------------------------------------------------------------


def test_authorization_url_asks_for_a_code_with_the_playlist_scopes():
    url = authorization_url(CLIENT_ID, REDIRECT_URI, state="st4te")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.spotify.com/authorize"
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "response_type": ["code"],
        "redirect_uri": [REDIRECT_URI],
        "scope": ["playlist-read-private playlist-read-collaborative"],
        "state": ["st4te"],
    }


def test_exchange_code_returns_the_refresh_token_and_codes_are_single_use(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # spotipy would write ./.cache here if it cached tokens on disk
    code = server.issue_code(REDIRECT_URI)
    redirected = f"{REDIRECT_URI}?code={code}&state=s1"
    assert (
        exchange_code(
            CLIENT_ID, CLIENT_SECRET, redirected, REDIRECT_URI, token_url=server.token_url, expected_state="s1"
        )
        == REFRESH_TOKEN
    )
    with pytest.raises(SpotifyAuthError) as raised:
        exchange_code(CLIENT_ID, CLIENT_SECRET, redirected, REDIRECT_URI, token_url=server.token_url)
    assert (
        str(raised.value)
        == "Spotify's token endpoint refused the authorisation code (invalid_grant) (codes are single-use and expire within minutes: authorise again)"
    )
    assert list(tmp_path.iterdir()) == []
    token_requests = [r for r in server.requests if r.path == "/api/token"]
    assert [r.status for r in token_requests] == [200, 400]
    assert (
        token_requests[0].authorization == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    )


@pytest.mark.parametrize(
    ("redirected", "secret", "message"),
    [
        (
            f"{REDIRECT_URI}?error=access_denied&state=s1",
            CLIENT_SECRET,
            "Spotify did not authorise the app (access_denied)",
        ),
        (
            f"{REDIRECT_URI}?code=code0&state=forged",
            CLIENT_SECRET,
            "the redirected URL's state does not match this authorisation",
        ),
        (f"{REDIRECT_URI}?state=s1", CLIENT_SECRET, "the redirected URL holds no 'code' parameter"),
        (
            "code0",
            "wrong-secret",
            "refused the authorisation code (invalid_client) (check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET)",
        ),
    ],
    ids=["denied", "state", "no-code", "bad-client"],
)
def test_exchange_code_failures_say_why_without_secrets(server, redirected, secret, message):
    server.issue_code(REDIRECT_URI)
    with pytest.raises(SpotifyAuthError) as raised:
        exchange_code(CLIENT_ID, secret, redirected, REDIRECT_URI, token_url=server.token_url, expected_state="s1")
    assert message in str(raised.value)
    assert secret not in str(raised.value)


def test_exchange_code_against_a_token_endpoint_without_the_grant():
    """The shared test server does not implement authorization_code: the refusal is named."""
    with SpotifyTestServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as plain:
        with pytest.raises(SpotifyAuthError, match=r"refused the authorisation code \(unsupported_grant_type\)"):
            exchange_code(CLIENT_ID, CLIENT_SECRET, "somecode", REDIRECT_URI, token_url=plain.token_url)


def test_authorize_prints_the_refresh_token_once_to_stdout_with_a_warning(server):
    stdout, stderr = io.StringIO(), io.StringIO()

    def paste_redirected_url() -> str:
        # What the user does: open the printed URL, consent, copy the redirected URL.
        url = re.search(r"https://accounts\.spotify\.com/authorize\?\S+", stderr.getvalue()).group(0)
        query = parse_qs(urlsplit(url).query)
        assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT_URI]
        return f"{REDIRECT_URI}?code={server.issue_code(REDIRECT_URI)}&state={query['state'][0]}\n"

    assert authorize(read_line=paste_redirected_url, stdout=stdout, stderr=stderr) == 0
    assert stdout.getvalue() == f"SPOTIFY_REFRESH_TOKEN={REFRESH_TOKEN}\n"
    assert REFRESH_TOKEN not in stderr.getvalue() and CLIENT_SECRET not in stderr.getvalue() + stdout.getvalue()
    assert "WARNING: the line above is a secret" in stderr.getvalue() and "it is not shown again" in stderr.getvalue()


def test_authorize_without_credentials_or_with_a_refused_code_exits_1(server, monkeypatch):
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET")
    assert authorize(read_line=lambda: "", stdout=stdout, stderr=stderr) == 1
    assert "set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET" in stderr.getvalue()
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
    stderr = io.StringIO()
    assert authorize(read_line=lambda: "never-issued-code\n", stdout=stdout, stderr=stderr) == 1
    assert "refused the authorisation code (invalid_grant)" in stderr.getvalue()
    assert stdout.getvalue() == ""


def test_authorize_command_parses_for_the_cli():
    parser = argparse.ArgumentParser(prog="spotify-assets")
    add_authorize_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["authorize", "--redirect-uri", "https://example.org/cb"])
    assert (args.command, args.redirect_uri, args.scope) == (
        "authorize",
        "https://example.org/cb",
        "playlist-read-private playlist-read-collaborative",
    )
    assert callable(args.func)
