"""``spotify-assets authorize``: obtain a user's refresh token once (OAuth authorisation
code flow) so that the pipeline can read that user's playlists.

Since 2026 a development-mode app reads the items only of playlists the authorising user
owns or collaborates on, and user refresh tokens expire 6 months after authorisation (or
when the user revokes the app): run this again then (the pipeline's ``invalid_grant``
error says so).

Flow: :func:`authorization_url` gives the consent page's URL; the user opens it, agrees,
and is redirected to ``redirect_uri`` (which must be registered in the app's settings in
the Spotify developer dashboard; nothing needs to listen there: the browser's address
bar shows the URL to copy); :func:`exchange_code` trades the code in that URL for tokens
at the token endpoint and returns the refresh token. :func:`authorize` does both
interactively. The client secret is read from the environment, never from arguments
(which shells keep in history and ``ps`` shows), and the refresh token is printed once,
to stdout only, never logged.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable
from typing import TextIO
from urllib.parse import urlencode

from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth, SpotifyOauthError

from spotify_assets.spotify.client import DEFAULT_REDIRECT_URI, OAUTH_SCOPES
from spotify_assets.spotify.errors import SpotifyAuthError

__all__ = ["AUTHORIZE_URL", "authorization_url", "exchange_code", "authorize", "add_authorize_command"]

AUTHORIZE_URL = "https://accounts.spotify.com/authorize"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"

EXIT_OK = 0
EXIT_FAILED = 1


def authorization_url(
    client_id: str,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    scope: str = OAUTH_SCOPES,
    state: str | None = None,
    authorize_url: str = AUTHORIZE_URL,
) -> str:
    """The consent page URL: ``<authorize_url>?client_id=…&response_type=code&redirect_uri=…&scope=…[&state=…]``.

    ``scope``: space-separated scopes (default: read private and collaborative playlists);
    ``state``: an unguessable value to check on return (see :func:`exchange_code`).
    """
    params = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "scope": scope}
    if state is not None:
        params["state"] = state
    return f"{authorize_url}?{urlencode(params)}"


def exchange_code(
    client_id: str,
    client_secret: str,
    redirected_url_or_code: str,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    scope: str = OAUTH_SCOPES,
    token_url: str = DEFAULT_TOKEN_URL,
    expected_state: str | None = None,
    timeout_s: float = 10.0,
) -> str:
    """Trade an authorisation code for tokens and return the refresh token.

    ``redirected_url_or_code``: the URL the browser was redirected to (``…?code=…&state=…``)
    or the bare code. ``redirect_uri`` must be the one used in the authorisation URL.
    ``expected_state``: when given, the URL's ``state`` must equal it (protects against a
    forged redirect). The access token obtained on the way is discarded; tokens are held in
    memory only (``MemoryCacheHandler``), never in a ``.cache`` file.

    Raises ``SpotifyAuthError`` (message without any secret) when the user denied access,
    the state does not match, the URL holds no code, or the token endpoint refused the
    code (``invalid_grant``: codes are single-use and expire within minutes) or the client.
    """
    text = redirected_url_or_code.strip()
    if not text:
        raise SpotifyAuthError(
            "no redirected URL or code given: paste the full URL the browser was sent to after consenting"
        )
    cache = MemoryCacheHandler()
    oauth = SpotifyOAuth(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        scope=scope,
        cache_handler=cache,
        open_browser=False,
        requests_timeout=timeout_s,
    )
    oauth.OAUTH_TOKEN_URL = token_url
    code = _code_from(text, expected_state) if "?" in text or "://" in text else text
    try:
        oauth.get_access_token(code, as_dict=False, check_cache=False)
    except SpotifyOauthError as error:
        reason = error.error or "unknown error"
        hint = " (codes are single-use and expire within minutes: authorise again)" if reason == "invalid_grant" else ""
        if reason == "invalid_client":
            hint = " (check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET)"
        raise SpotifyAuthError(f"Spotify's token endpoint refused the authorisation code ({reason}){hint}") from None
    token = cache.get_cached_token() or {}
    refresh_token = token.get("refresh_token")
    if not refresh_token:
        raise SpotifyAuthError("Spotify's token endpoint answered without a refresh token; authorise again")
    return refresh_token


def _code_from(redirected_url: str, expected_state: str | None) -> str:
    """The ``code`` parameter of the redirected URL; ``SpotifyAuthError`` when the user
    denied access, the URL holds no code, or its ``state`` is not ``expected_state``."""
    try:
        state, code = SpotifyOAuth.parse_auth_response_url(redirected_url)
    except SpotifyOauthError as error:  # ?error=access_denied when the user said no
        raise SpotifyAuthError(
            f"Spotify did not authorise the app ({error.error}): consent was refused or cancelled"
        ) from None
    if code is None:
        raise SpotifyAuthError("the redirected URL holds no 'code' parameter: paste the whole URL from the address bar")
    if expected_state is not None and state != expected_state:
        raise SpotifyAuthError(
            "the redirected URL's state does not match this authorisation: start `spotify-assets authorize` again"
        )
    return code


def _from_settings(
    client_id: str | None, client_secret: str | None, token_url: str | None, stderr: TextIO
) -> tuple[str, str, str] | None:
    """``(client_id, client_secret, token_url)``: each given one, else ``Settings.from_env()``'s
    (empty when unset); None after printing the settings error, when one was needed."""
    from spotify_assets.settings import Settings, SettingsError  # the one place that reads the environment

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        if not (client_id and client_secret and token_url):
            print(f"spotify-assets authorize: {error}", file=stderr)
            return None
        settings = Settings()  # everything was given: the environment's settings are not needed
    return (
        client_id or (settings.client_id.reveal() if settings.client_id else ""),
        client_secret or (settings.client_secret.reveal() if settings.client_secret else ""),
        token_url or settings.token_url or DEFAULT_TOKEN_URL,
    )


def authorize(
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str = DEFAULT_REDIRECT_URI,
    scope: str = OAUTH_SCOPES,
    token_url: str | None = None,
    authorize_url: str = AUTHORIZE_URL,
    read_line: Callable[[], str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Interactive authorisation; returns an exit code (0 done, 1 failed).

    ``client_id``/``client_secret`` default to SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET and
    ``token_url`` to SPOTIFY_TOKEN_URL (or Spotify's), from ``Settings.from_env()`` (a bad
    setting is reported, naming the variable, and the exit code is 1). Instructions and the URL go to
    ``stderr``; the redirected URL is read with ``read_line`` (default: one line of stdin);
    the refresh token is printed once to ``stdout`` as ``SPOTIFY_REFRESH_TOKEN=<token>``
    (so ``spotify-assets authorize > file`` captures only that line), followed on stderr
    by a warning to store it as a secret.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    read_line = read_line or sys.stdin.readline
    given = _from_settings(client_id, client_secret, token_url, stderr)
    if given is None:
        return EXIT_FAILED
    client_id, client_secret, token_url = given
    if not client_id or not client_secret:
        print(
            "spotify-assets authorize: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (your app's, from the Spotify developer dashboard) first.",
            file=stderr,
        )
        return EXIT_FAILED
    state = secrets.token_urlsafe(16)
    url = authorization_url(client_id, redirect_uri, scope, state=state, authorize_url=authorize_url)
    print(
        f"1. Make sure {redirect_uri} is a Redirect URI of your app in the Spotify developer dashboard.\n"
        "2. Open this URL while logged in as the user who owns (or collaborates on) the playlists, and agree:\n\n"
        f"   {url}\n\n"
        "3. The browser is sent to the redirect URI (the page may fail to load: that is fine).\n"
        "   Paste the full URL from the address bar here and press Enter:",
        file=stderr,
    )
    try:
        refresh_token = exchange_code(
            client_id, client_secret, read_line(), redirect_uri, scope, token_url, expected_state=state
        )
    except SpotifyAuthError as error:
        print(f"spotify-assets authorize: {error}", file=stderr)
        return EXIT_FAILED
    print(f"SPOTIFY_REFRESH_TOKEN={refresh_token}", file=stdout)
    stdout.flush()
    print(
        "WARNING: the line above is a secret granting read access to this user's playlists. Store it now in your "
        "secret store as SPOTIFY_REFRESH_TOKEN (e.g. AWS Secrets Manager or your .env, never in git); it is not "
        "shown again. It expires 6 months after authorisation: run `spotify-assets authorize` again then.",
        file=stderr,
    )
    return EXIT_OK


def add_authorize_command(subparsers: argparse._SubParsersAction) -> None:
    """``spotify-assets authorize [--redirect-uri URI] [--scope SCOPES]`` (for ``cli.SUBCOMMANDS``)."""
    parser = subparsers.add_parser(
        "authorize",
        help="authorise the app for a Spotify user once and print the refresh token (SPOTIFY_REFRESH_TOKEN)",
        description=(
            "Run the OAuth authorisation code flow for SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET (read from the "
            "environment) and print the user's refresh token once. Needed to read playlist items in development "
            "mode, and again every 6 months or after the user revokes the app (the pipeline then fails with invalid_grant)."
        ),
    )
    parser.add_argument(
        "--redirect-uri",
        default=DEFAULT_REDIRECT_URI,
        help=f"a Redirect URI registered for the app (default {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument("--scope", default=OAUTH_SCOPES, help=f"space-separated scopes (default {OAUTH_SCOPES!r})")
    parser.set_defaults(func=lambda args: authorize(redirect_uri=args.redirect_uri, scope=args.scope))
