"""``raw_playlist``: what the Spotify API answered for each configured playlist on a day."""

import traceback
from datetime import datetime, timezone

import dagster as dg

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import read_raw_objects
from spotify_assets.lake.write_check import LakeSetupError, check_lake_writable, permanent_lake_error_reason
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.spotify.daily_tables import count_skipped_items
from spotify_assets.spotify.errors import SpotifyExtractionError, SpotifyTransientError, SpotifyUnexpectedError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.lookups import LookupCache
from spotify_assets.spotify.my_playlists import readable_playlists
from spotify_assets.spotify.raw_parsing import RawObjectError, parse_raw_document
from spotify_assets.transform import parse_objects

# Transient faults (5xx, timeouts, transport faults that outlived the client's own
# retries; S3 briefly unreachable) get two more tries of the whole step; everything else
# (400/401/403/404, shapes, origins, deadlines, quota, bad token, bad settings, a lake
# that cannot be written, bugs) is raised as Failure(allow_retries=False) and fails at once.
SPOTIFY_API_POOL = "spotify_api"
RAW_PLAYLIST_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def utc_today() -> str:
    """Today's date in UTC, ``YYYY-MM-DD``: the partition the Spotify API can serve."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


@dg.asset(
    partitions_def=daily_partitions,
    group_name="spotify",
    io_manager_key="raw_io_manager",
    kinds={"spotify", "json"},
    retry_policy=RAW_PLAYLIST_RETRY_POLICY,
    # One extraction at a time across runs: the app's rate limit and quota are shared
    # (deploy/dagster.yaml gives every pool a limit of 1 run).
    pool=SPOTIFY_API_POOL,
    # One partition per run: only today's can be extracted, and each day's objects are
    # validated on their own.
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
    description=(
        "The Spotify API's answer for each configured playlist on the partition's UTC day "
        "(playlist object with every item, from GET /playlists/{id} and GET /playlists/{id}/items), "
        "stored as JSON at raw_playlist/dt=<date>/<playlist_id>.json. Only today's partition can be "
        "extracted; for other days it validates and records raw objects another producer landed."
    ),
)
def raw_playlist(context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: LakeResource):
    try:
        yield from _materialize(context, spotify, lake)
    except (dg.Failure, SpotifyTransientError):
        raise
    except LakeSetupError as error:
        # The message names the variable and the reason; botocore's traceback adds ~100 lines.
        raise dg.Failure(f"raw_playlist {context.partition_key}: {error}", allow_retries=False) from None
    except Exception as error:
        if permanent_lake_error_reason(error) is None and _is_transient_lake_error(error):
            raise  # the RetryPolicy retries it (e.g. S3 briefly unreachable while listing)
        raise dg.Failure(
            f"raw_playlist {context.partition_key}: {type(error).__name__}: {error}", allow_retries=False
        ) from error


def _is_transient_lake_error(error: Exception) -> bool:
    """An OSError or connection error of the lake (not a setting or a bug)."""
    return isinstance(error, (OSError, ConnectionError)) and not isinstance(error, (PermissionError, FileNotFoundError))


def _materialize(context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: LakeResource):
    dt = context.partition_key
    today = utc_today()
    if dt != today:
        yield from _record_landed_objects(context, lake.get_lake(), dt, today, lake.raw_max_bytes)
        return
    reader, playlist_ids, lookups = _prepare(context, spotify)
    # Before any request: a lake that cannot be written fails now, not after the
    # snapshots were read (they could not be stored, and cannot be fetched again).
    check_lake_writable(lake.get_lake())
    documents, failures, not_attempted = _extract_all(context, reader, playlist_ids, spotify.page_size, lookups)
    if documents:
        # Stored even when another playlist failed: the good ones are not lost.
        metadata = _extraction_metadata(documents, reader.request_count, reader.source)
        if lookups is not None:
            metadata["lookups"] = dg.MetadataValue.json(lookups.counts())
        yield dg.Output(documents, metadata=metadata)
    if failures:
        raise _extraction_failure(playlist_ids, documents, failures, not_attempted)


def _prepare(context: dg.AssetExecutionContext, spotify: SpotifyResource):
    """``(reader, playlist ids, look-up cache or None)``; a bad setting raises
    ``dg.Failure(allow_retries=False)`` naming it, before any request."""
    missing = spotify.missing_credential()
    if missing:
        raise dg.Failure(
            f"{missing} is not set, but {'SPOTIFY_CLIENT_ID' if missing == 'SPOTIFY_CLIENT_SECRET' else 'SPOTIFY_CLIENT_SECRET'} is: "
            "set both to read the Spotify API, or neither to read the offline sample.",
            allow_retries=False,
        )
    lookup_kinds = spotify.lookup_kinds()  # a bad SPOTIFY_LOOKUPS fails before any request
    if spotify.is_offline and not spotify.synthetic_allowed:
        raise dg.Failure(
            "No Spotify credentials (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET), and the synthetic sample is never "
            "read on SPOTIFY_ASSETS_ENV=aws or into an S3 lake: set the credentials (README, Reading real playlists).",
            allow_retries=False,
        )
    if spotify.is_offline:
        reader = spotify.get_reader(log=context.log)
        context.log.warning(
            "No Spotify credentials (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET): reading the SYNTHETIC sample "
            f"playlist {reader.playlist_id} shipped with spotify_assets instead of the Spotify API."
        )
        if lookup_kinds:
            context.log.warning(
                f"SPOTIFY_LOOKUPS={spotify.lookups}: look-ups need the Spotify API; none are made for the offline sample."
            )
        return reader, [reader.playlist_id], None
    selection = spotify.playlist_selection()
    if not selection.mine and not selection.ids:
        raise dg.Failure(
            "SPOTIFY_PLAYLIST_IDS is empty: name the playlists to extract (comma-separated ids, URIs or URLs, "
            "or `me` for every playlist the authorising user owns or collaborates on).",
            allow_retries=False,
        )
    if selection.mine and not spotify.refresh_token:
        raise dg.Failure(
            "SPOTIFY_PLAYLIST_IDS=me needs SPOTIFY_REFRESH_TOKEN: `me` is the user who authorised the app "
            "(run `spotify-assets authorize`).",
            allow_retries=False,
        )
    reader = spotify.get_reader(log=context.log)  # the run's deadline starts here
    playlist_ids = selection.ids
    if selection.mine:  # the user's own and collaborative playlists first, then the explicit ones not among them
        playlist_ids = list(dict.fromkeys(_my_playlists(context, reader) + selection.ids))
    # One cache for the run: an album or artist in several playlists is asked once.
    lookups = LookupCache(reader, lookup_kinds, context.log) if lookup_kinds else None
    return reader, playlist_ids, lookups


def _my_playlists(context: dg.AssetExecutionContext, reader) -> list[str]:
    """The ids of ``GET /me/playlists`` that the user owns or collaborates on, in the order
    listed (the others are logged with why they are left out). A failure to list them
    fails the step: no playlist would be known to extract."""
    try:
        user_id = reader.current_user_id()
        listed = [p for page in reader.my_playlist_pages() for p in page["items"]]
    except SpotifyExtractionError as error:
        raise dg.Failure(
            f"SPOTIFY_PLAYLIST_IDS=me: the user's playlists could not be listed: {_with_request(error)}",
            allow_retries=error.transient,
        ) from None
    mine, left_out = readable_playlists(user_id, listed)
    for playlist_id, reason in left_out.items():
        context.log.info(f"SPOTIFY_PLAYLIST_IDS=me: {playlist_id} left out: {reason}")
    context.log.info(
        f"SPOTIFY_PLAYLIST_IDS=me: {len(mine)} of the {len(listed)} playlists of user {user_id} are owned or collaborative"
    )
    return mine


def _extract_all(context, reader, playlist_ids: list[str], page_size: int, lookups):
    """Extract each playlist in turn, containing every failure to its playlist:
    ``(documents, failures, not_attempted)``. Errors that are not extraction errors (a
    bug, an answer spotipy could not read) become ``SpotifyUnexpectedError``."""
    documents: dict[str, dict] = {}
    failures: dict[str, SpotifyExtractionError] = {}
    for index, playlist_id in enumerate(playlist_ids):
        context.log.info(f"extracting playlist {playlist_id}")
        try:
            documents[playlist_id] = extract_playlist(
                reader, playlist_id, page_size=page_size, log=context.log, lookups=lookups
            )
        except Exception as raised:
            error = raised if isinstance(raised, SpotifyExtractionError) else _unexpected(playlist_id, raised)
            context.log.error(_with_request(error))
            if not isinstance(raised, SpotifyExtractionError):
                context.log.debug("".join(traceback.format_exception(raised)))
            failures[playlist_id] = error
            if error.affects_all_playlists:
                # Bad credentials, quota, a long rate limit or the run's deadline: every further
                # request would fail the same way (and count against the quota), so stop here.
                return documents, failures, playlist_ids[index + 1 :]
    return documents, failures, []


def _unexpected(playlist_id: str, error: Exception) -> SpotifyUnexpectedError:
    return SpotifyUnexpectedError(
        f"playlist {playlist_id}: extraction failed on an error it does not know ({type(error).__name__}); "
        "the traceback is in the step's debug log"
    )


def _with_request(error: SpotifyExtractionError) -> str:
    """The error's message with its request (method and path only) when it names one."""
    return f"{error} [request: {error.request}]" if error.request else str(error)


def _extraction_failure(
    playlist_ids: list[str],
    documents: dict[str, dict],
    failures: dict[str, SpotifyExtractionError],
    not_attempted: list[str],
) -> dg.Failure:
    """The step's failure naming every playlist stored, every one not stored and why.

    Retried by the RetryPolicy only when every failure is transient (5xx, timeouts,
    transport faults); 400/401/403/404, wrong shapes, origins, deadlines of a playlist or
    the run, quota, rate limit and credential errors would fail again the same way.
    """
    names = "; ".join(f"{pid}: {_with_request(err)}" for pid, err in failures.items())
    description = f"{len(failures)} of {len(playlist_ids)} playlists failed ({names})"
    if not_attempted:
        description += f"; not attempted after that error: {', '.join(not_attempted)}"
    description += f"; stored: {', '.join(documents) if documents else 'none'}"
    transient = all(err.transient for err in failures.values())
    return dg.Failure(
        description=description,
        metadata={
            "failed_playlists": dg.MetadataValue.json(sorted(failures)),
            "not_attempted_playlists": dg.MetadataValue.json(not_attempted),
            "stored_playlists": dg.MetadataValue.json(sorted(documents)),
        },
        allow_retries=transient,
    )


def _extraction_metadata(documents: dict[str, dict], api_requests: int, source: str) -> dict:
    """Materialization metadata of extracted documents. A document the table step will not
    be able to read is still stored as the API answered it (the tables step reports it by
    key); here it is listed under ``unreadable`` instead of failing the extraction."""
    rows = []
    skipped_total: dict[str, int] = {}
    unreadable: dict[str, str] = {}
    for playlist_id, document in documents.items():
        try:
            playlist = parse_raw_document(document, f"{playlist_id}.json")
            skipped = count_skipped_items(playlist)
        except Exception as error:  # never lose the documents over their metadata
            reason = (
                error.reason
                if isinstance(error, RawObjectError)
                else f"not readable by the tables ({type(error).__name__})"
            )
            unreadable[playlist_id] = reason
            rows.append(f"| {playlist_id} | (unreadable: {_md(reason)}) | | |")
            continue
        for reason, count in skipped.items():
            skipped_total[reason] = skipped_total.get(reason, 0) + count
        rows.append(
            f"| {playlist_id} | {_md(playlist.playlist_name)} | {_md(playlist.snapshot_id)} | {len(playlist.items)} |"
        )
    table = "| playlist_id | name | snapshot_id | items |\n|---|---|---|---|\n" + "\n".join(rows)
    return {
        "playlists": dg.MetadataValue.md(table),
        "playlist_count": len(documents),
        "items": sum(len(d["items"]["items"]) for d in documents.values()),
        "skipped_items": dg.MetadataValue.json(skipped_total),
        "unreadable": dg.MetadataValue.json(unreadable),
        "api_requests": api_requests,
        "source": source,
    }


def _md(text: str | None) -> str:
    """``text`` safe inside a Markdown table cell (playlist names may hold ``|`` or newlines)."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _record_landed_objects(context: dg.AssetExecutionContext, lake: Lake, dt: str, today: str, max_bytes: int):
    objects = read_raw_objects(lake, dt, max_bytes)
    if not objects:
        raise dg.Failure(
            description=(
                f"raw_playlist {dt}: cannot extract a past or future day. The Spotify API serves only the current "
                f"state of a playlist, so only today's partition ({today} UTC) can be extracted, and no raw objects "
                f"were found for {dt} under {lake.url(f'raw_playlist/dt={dt}')}/. Land them there (any producer) and run again."
            ),
            allow_retries=False,
        )
    good, bad = parse_objects(objects)
    for key, reason in bad.items():
        context.log.warning(f"raw object {key}: {reason}")
    context.log.info(
        f"raw_playlist {dt}: recorded {len(good)} raw object(s) already in the lake; the API was not called"
    )
    yield dg.Output(
        {},  # nothing to write: raw objects are never rewritten
        metadata={
            "source": "landed",
            "raw_objects": dg.MetadataValue.json([o.key for o in objects]),
            "playlist_count": len(good),
            "items": sum(len(p.items) for _, p in good),
            "bad_objects": dg.MetadataValue.json(bad),
        },
    )
