"""``raw_playlist``: what the Spotify API answered for each configured playlist on a day."""

import logging
import traceback
from datetime import date, datetime, timezone

import dagster as dg

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import prefix_url, raw_partition_prefix, read_raw_days
from spotify_assets.lake.write_check import LakeSetupError, check_lake_writable, permanent_lake_error_reason
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.spotify.daily_tables import count_skipped_items
from spotify_assets.spotify.errors import SpotifyExtractionError, SpotifyTransientError, SpotifyUnexpectedError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.lookups import LookupCache
from spotify_assets.spotify.my_playlists import readable_playlists
from spotify_assets.spotify.offline_sample import is_synthetic_object
from spotify_assets.spotify.raw_parsing import RawObjectError, parse_raw_document
from spotify_assets.transform import parse_objects
from spotify_assets.vocabulary import ASSET_GROUP, RAW_PLAYLIST

# Transient faults (5xx, timeouts, transport faults that outlived the client's own
# retries; S3 briefly unreachable) get two more tries of the whole step; everything else
# (400/401/403/404, shapes, origins, deadlines, quota, bad token, bad settings, a lake
# that cannot be written, bugs) is raised as Failure(allow_retries=False) and fails at once.
SPOTIFY_API_POOL = "spotify_api"
MAX_DAYS_SHOWN = 5  # days named in a message; the count is always exact
RAW_PLAYLIST_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def utc_today() -> str:
    """Today's date in UTC, ``YYYY-MM-DD``: the partition the Spotify API can serve."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


@dg.asset(
    name=RAW_PLAYLIST,
    partitions_def=daily_partitions,
    group_name=ASSET_GROUP,
    io_manager_key="raw_io_manager",
    kinds={"spotify", "json"},
    retry_policy=RAW_PLAYLIST_RETRY_POLICY,
    # One extraction at a time across runs: the app's rate limit and quota are shared
    # (deploy/dagster.yaml gives every pool a limit of 1 run).
    pool=SPOTIFY_API_POOL,
    # A range in one run, like every asset (so a backfill is one run): the synthetic sample
    # plays each day; with real credentials a run whose past days lack landed objects
    # fails at once naming them, instead of one doomed run per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "The Spotify API's answer for each configured playlist on the partition's UTC day "
        "(playlist object with every item, from GET /playlists/{id} and GET /playlists/{id}/items), "
        "stored as JSON at raw_playlist/dt=<date>/<playlist_id>.json. With Spotify credentials only today's "
        "partition can be extracted; for other days it records raw objects another producer landed, and fails "
        "naming the days that have none. Without credentials (locally) the SYNTHETIC sample plays any day; its "
        "objects are marked extraction.source = synthetic-sample."
    ),
)
def raw_playlist(context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: LakeResource):
    try:
        yield from _materialize(context, spotify, lake)
    except (dg.Failure, SpotifyTransientError):
        raise
    except LakeSetupError as error:
        # The message names the variable and the reason; botocore's traceback adds ~100 lines.
        raise dg.Failure(f"raw_playlist {_days(context)}: {error}", allow_retries=False) from None
    except Exception as error:
        if isinstance(error, OSError) and permanent_lake_error_reason(error) is None:
            raise  # the RetryPolicy retries it (e.g. S3 briefly unreachable while listing)
        raise dg.Failure(
            f"raw_playlist {_days(context)}: {type(error).__name__}: {error}", allow_retries=False
        ) from error


def _days(context: dg.AssetExecutionContext) -> str:
    """The run's partition key, or ``first...last`` of a range."""
    partition_keys = context.partition_keys
    return partition_keys[0] if len(partition_keys) == 1 else f"{partition_keys[0]}...{partition_keys[-1]}"


def _materialize(context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: LakeResource):
    partition_keys = context.partition_keys
    today = utc_today()
    _check_credentials(spotify)
    the_lake = lake.get_lake()
    if spotify.plays_synthetic:
        yield from _play_synthetic(context, spotify, the_lake, partition_keys, lake.raw_max_bytes)
        return
    past = [dt for dt in partition_keys if dt != today]
    # Before any request: every past day must have landed objects (the API serves only today).
    landed = _landed_objects(context, the_lake, past, today, lake.raw_max_bytes)
    if today not in partition_keys:
        yield _record_landed(context, landed)
        return
    reader, playlist_ids, lookups = _prepare(context, spotify)
    # Before any request: a lake that cannot be written fails now, not after the
    # snapshots were read (they could not be stored, and cannot be fetched again).
    check_lake_writable(the_lake)
    documents, failures, not_attempted = _extract_all(context, reader, playlist_ids, spotify.page_size, lookups)
    if documents:
        # Stored even when another playlist failed: the good ones are not lost.
        metadata = _extraction_metadata(documents, reader.request_count, reader.source)
        if lookups is not None:
            metadata["lookups"] = dg.MetadataValue.json(lookups.counts())
        if past:
            metadata["landed_raw_objects"] = sum(len(objects) for objects in landed.values())
        yield dg.Output({today: documents, **{dt: {} for dt in past}}, metadata=metadata)
    if failures:
        raise _extraction_failure(playlist_ids, documents, failures, not_attempted)


def _check_credentials(spotify: SpotifyResource) -> None:
    """A half-configured app must not fall back to the offline sample: ``dg.Failure``
    naming the missing variable (a ``Settings`` built in code is not checked at load)."""
    problem = spotify.credentials_problem()
    if problem:
        raise dg.Failure(problem, allow_retries=False)


def _play_synthetic(
    context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: Lake, partition_keys: list[str], max_bytes: int
):
    """Each day of ``partition_keys`` as the synthetic playlist stood that day, in one output
    ``{dt: {playlist_id: raw object}}`` (the sample plays any day, past ones included).
    A day that already holds raw objects another producer landed is recorded instead:
    sample data is never written beside real data."""
    if spotify.lookup_kinds():  # a bad SPOTIFY_LOOKUPS fails before anything is read
        context.log.warning(
            f"SPOTIFY_LOOKUPS={spotify.lookups}: look-ups need the Spotify API; none are made for the offline sample."
        )
    # The sample's own objects are simply replaced: no note about them here.
    landed = {
        dt: objects
        for dt, objects in _real_objects(context, lake, partition_keys, max_bytes, note=False).items()
        if objects
    }
    played = [dt for dt in partition_keys if dt not in landed]
    if not played:
        yield _record_landed(context, landed)
        return
    check_lake_writable(lake)
    # One day: the extraction's own progress lines; a range: one line for the run.
    log = context.log if len(partition_keys) == 1 else logging.getLogger(__name__)
    documents: dict[str, dict[str, dict]] = {dt: {} for dt in landed}
    for dt in played:
        reader = spotify.get_reader(log=context.log, day=date.fromisoformat(dt))
        documents[dt] = {
            reader.playlist_id: extract_playlist(reader, reader.playlist_id, page_size=spotify.page_size, log=log)
        }
    days = played[0] if len(played) == 1 else f"{len(played)} days, {played[0]}...{played[-1]}"
    context.log.warning(
        "No Spotify credentials (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET): reading the SYNTHETIC sample "
        f"playlist {reader.playlist_id} shipped with spotify_assets instead of the Spotify API ({days}); "
        "its raw objects are marked extraction.source = synthetic-sample."
    )
    if landed:
        context.log.info(
            f"raw_playlist: {len(landed)} day(s) already hold raw objects another producer landed "
            f"({', '.join(list(landed)[:MAX_DAYS_SHOWN])}): recorded; the synthetic sample is not written beside them"
        )
    if len(partition_keys) == 1:
        metadata = _extraction_metadata(documents[partition_keys[0]], reader.request_count, reader.source)
    else:
        # Dagster copies a range's output metadata onto every day: the run's totals.
        metadata = {
            "source": reader.source,
            "run_partitions": len(partition_keys),
            "run_days_played": len(played),
            "run_days_landed": len(landed),
            "run_items": sum(len(d["items"]["items"]) for day in documents.values() for d in day.values()),
        }
    yield dg.Output(documents, metadata=metadata)


def _prepare(context: dg.AssetExecutionContext, spotify: SpotifyResource):
    """``(reader, playlist ids, look-up cache or None)`` of the Spotify API; a bad setting raises
    ``dg.Failure(allow_retries=False)`` naming it, before any request."""
    lookup_kinds = spotify.lookup_kinds()  # a bad SPOTIFY_LOOKUPS fails before any request
    if spotify.is_offline and not spotify.synthetic_allowed:
        raise dg.Failure(
            "No Spotify credentials (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET), and the synthetic sample is never "
            "read on SPOTIFY_ASSETS_ENV=aws or into an S3 lake: set the credentials (README, Reading real playlists).",
            allow_retries=False,
        )
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


def _landed_objects(context: dg.AssetExecutionContext, lake: Lake, days: list[str], today: str, max_bytes: int) -> dict:
    """``{dt: [RawObject]}`` of the raw objects landed for each of ``days`` (past or future
    UTC days) by another producer, read to be recorded: the API is never called for them.

    Raises ``dg.Failure(allow_retries=False)`` before any request when a day has none,
    naming the days, why (the API serves only today's state) and where to land them.
    """
    landed = _real_objects(context, lake, days, max_bytes)
    missing = [dt for dt in days if not landed[dt]]
    if missing:
        raise dg.Failure(description=_no_landed_objects_message(lake, missing, len(days), today), allow_retries=False)
    return landed


def _real_objects(
    context: dg.AssetExecutionContext, lake: Lake, days: list[str], max_bytes: int, note: bool = True
) -> dict:
    """``{dt: [RawObject]}`` of each of ``days``: the raw objects in the lake that are not
    the synthetic sample's (those, marked ``extraction.source = "synthetic-sample"``, are
    left out, and with ``note`` counted in one log line). A day none of whose entries could
    be read (only links, FIFOs, objects above ``max_bytes``) has none. One listing for all the days."""
    real: dict[str, list] = {}
    synthetic: dict[str, int] = {}
    for dt, listed in read_raw_days(lake, days, max_bytes).items():
        objects = listed if any(o.unreadable is None for o in listed) else []
        real[dt] = [o for o in objects if not is_synthetic_object(o.body)]
        if len(real[dt]) < len(objects):
            synthetic[dt] = len(objects) - len(real[dt])
    if synthetic and note:
        shown = (
            next(iter(synthetic))
            if len(synthetic) == 1
            else f"{min(synthetic)}...{max(synthetic)} ({len(synthetic)} days)"
        )
        count = sum(synthetic.values())
        context.log.info(f"raw_playlist {shown}: {count} raw object(s) of the synthetic sample not counted as landed")
    return real


def _no_landed_objects_message(lake: Lake, missing: list[str], asked: int, today: str) -> str:
    where = prefix_url(lake, raw_partition_prefix("<day>")) + "<playlist_id>.json"
    if len(missing) == 1:
        dt = missing[0]
        head = f"raw_playlist {dt}: cannot extract a past or future day"
        found = f"no raw objects were found for {dt} under {prefix_url(lake, raw_partition_prefix(dt))}"
    else:
        shown = ", ".join(missing[:MAX_DAYS_SHOWN]) + (" and more" if len(missing) > MAX_DAYS_SHOWN else "")
        head = f"raw_playlist {missing[0]}...{missing[-1]}: cannot extract past or future days"
        found = f"{len(missing)} of the {asked} past or future day(s) asked for have no raw objects ({shown})"
    return (
        f"{head}. The Spotify API serves only the current state of a playlist, so only today's partition "
        f"({today} UTC) can be extracted, and {found}. Land raw objects of those days at {where} "
        "(any producer; the raw_playlist_sensor copies them from SPOTIFY_LANDING_URL) and run again, "
        f"or materialize only today's partition. Nothing was extracted or written."
    )


def _record_landed(context: dg.AssetExecutionContext, landed: dict) -> dg.Output:
    """The output of a run that records ``landed`` objects: nothing to write (raw objects
    are never rewritten), and metadata naming them (a range: the run's objects)."""
    objects = [o for day in landed.values() for o in day]
    good, bad = parse_objects(objects)
    for key, reason in bad.items():
        context.log.warning(f"raw object {key}: {reason}")
    days = next(iter(landed)) if len(landed) == 1 else f"{len(landed)} days"
    context.log.info(
        f"raw_playlist {days}: recorded {len(good)} raw object(s) already in the lake; the API was not called"
    )
    metadata = {
        "source": "landed",
        "raw_objects": dg.MetadataValue.json([o.key for o in objects]),
        "playlist_count": len(good),
        "items": sum(len(p.items) for _, p in good),
        "bad_objects": dg.MetadataValue.json(bad),
    }
    return dg.Output({dt: {} for dt in landed}, metadata=metadata)
