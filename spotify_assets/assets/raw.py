"""``raw_playlist``: what the Spotify API answered for each configured playlist on a day."""


from datetime import datetime, timezone

import dagster as dg

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import read_raw_objects
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.resources.spotify_resource import SpotifyResource
from spotify_assets.spotify.errors import SpotifyExtractionError, SpotifyTransientError
from spotify_assets.spotify.extract import extract_playlist
from spotify_assets.spotify.lookups import LookupCache
from spotify_assets.spotify.raw_objects import RawObjectError, parse_raw_document
from spotify_assets.spotify.tables import count_skipped_items
from spotify_assets.transform import parse_objects

# Transient faults (5xx, timeouts that outlived the client's own retries) get two more
# tries of the whole step; everything else (403/404, quota, bad token, bad config, bugs)
# is raised as Failure(allow_retries=False) and fails at once.
RAW_PLAYLIST_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def utc_today() -> str:
    """Today's date in UTC, ``YYYY-MM-DD``: the partition the Spotify API can serve."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


@dg.asset(
    partitions_def=daily_partitions,
    group_name="spotify",
    io_manager_key="raw_io_manager",
    kinds={"spotify", "json"},
    retry_policy=RAW_PLAYLIST_RETRY_POLICY,
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
        yield from _materialise(context, spotify, lake)
    except (dg.Failure, SpotifyTransientError):
        raise
    except Exception as error:
        raise dg.Failure(f"raw_playlist {context.partition_key}: {type(error).__name__}: {error}", allow_retries=False) from error


def _materialise(context: dg.AssetExecutionContext, spotify: SpotifyResource, lake: LakeResource):
    dt = context.partition_key
    today = utc_today()
    if dt != today:
        yield from _record_landed_objects(context, lake.get_lake(), dt, today)
        return
    lookup_kinds = spotify.lookup_kinds()  # a bad SPOTIFY_LOOKUPS fails before any request
    reader = spotify.get_reader(log=context.log)
    lookups = None
    if spotify.is_offline:
        playlist_ids = [reader.playlist_id]
        context.log.warning(
            "No Spotify credentials (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET): reading the SYNTHETIC sample "
            f"playlist {reader.playlist_id} shipped with spotify_assets instead of the Spotify API."
        )
        if lookup_kinds:
            context.log.warning(f"SPOTIFY_LOOKUPS={spotify.lookups}: look-ups need the Spotify API; none are made for the offline sample.")
    else:
        # One cache for the run: an album or artist in several playlists is asked once.
        lookups = LookupCache(reader, lookup_kinds, context.log) if lookup_kinds else None
        playlist_ids = spotify.configured_playlist_ids()
        if not playlist_ids:
            raise dg.Failure("SPOTIFY_PLAYLIST_IDS is empty: name the playlists to extract (comma-separated ids, URIs or URLs).", allow_retries=False)
    documents: dict[str, dict] = {}
    failures: dict[str, SpotifyExtractionError] = {}
    not_attempted: list[str] = []
    for index, playlist_id in enumerate(playlist_ids):
        context.log.info(f"extracting playlist {playlist_id}")
        try:
            documents[playlist_id] = extract_playlist(reader, playlist_id, page_size=spotify.page_size, log=context.log, lookups=lookups)
        except SpotifyExtractionError as error:
            context.log.error(str(error))
            failures[playlist_id] = error
            if error.affects_all_playlists:
                # Bad credentials, quota or a long rate limit: every further request would
                # fail the same way (and count against the quota), so stop here.
                not_attempted = playlist_ids[index + 1 :]
                break
    if documents:
        # Stored even when another playlist failed: the good ones are not lost.
        metadata = _extraction_metadata(documents, reader.request_count, reader.source)
        if lookups is not None:
            metadata["lookups"] = dg.MetadataValue.json(lookups.counts())
        yield dg.Output(documents, metadata=metadata)
    if failures:
        raise _extraction_failure(playlist_ids, failures, not_attempted)


def _extraction_failure(playlist_ids: list[str], failures: dict[str, SpotifyExtractionError], not_attempted: list[str]) -> dg.Failure:
    """The step's failure naming every playlist not stored and why.

    Retried by the RetryPolicy only when every failure is transient (5xx, timeouts);
    403/404, quota, rate limit and credential errors would fail again the same way.
    """
    names = "; ".join(f"{pid}: {err}" for pid, err in failures.items())
    description = f"{len(failures)} of {len(playlist_ids)} playlists failed ({names})"
    if not_attempted:
        description += f"; not attempted after that error: {', '.join(not_attempted)}"
    transient = all(err.transient for err in failures.values())
    return dg.Failure(
        description=description,
        metadata={
            "failed_playlists": dg.MetadataValue.json(sorted(failures)),
            "not_attempted_playlists": dg.MetadataValue.json(not_attempted),
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
        except RawObjectError as error:
            unreadable[playlist_id] = error.reason
            rows.append(f"| {playlist_id} | (unreadable: {_md(error.reason)}) | | |")
            continue
        for reason, count in skipped.items():
            skipped_total[reason] = skipped_total.get(reason, 0) + count
        rows.append(f"| {playlist_id} | {_md(playlist.playlist_name)} | {_md(playlist.snapshot_id)} | {len(playlist.items)} |")
    table = "| playlist_id | name | snapshot_id | items |\n|---|---|---|---|\n" + "\n".join(rows)
    return {
        "playlists": dg.MetadataValue.md(table),
        "playlist_count": len(documents),
        "items": sum(len((d.get("items") or {}).get("items") or []) for d in documents.values()),
        "skipped_items": dg.MetadataValue.json(skipped_total),
        "unreadable": dg.MetadataValue.json(unreadable),
        "api_requests": api_requests,
        "source": source,
    }


def _md(text: str | None) -> str:
    """``text`` safe inside a Markdown table cell (playlist names may hold ``|`` or newlines)."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _record_landed_objects(context: dg.AssetExecutionContext, lake: Lake, dt: str, today: str):
    objects = read_raw_objects(lake, dt)
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
    context.log.info(f"raw_playlist {dt}: recorded {len(good)} raw object(s) already in the lake; the API was not called")
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
