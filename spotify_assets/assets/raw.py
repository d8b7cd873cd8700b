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
from spotify_assets.spotify.raw_objects import parse_raw_document
from spotify_assets.spotify.tables import build_tables
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
    reader = spotify.get_reader(log=context.log)
    if spotify.is_offline:
        playlist_ids = [reader.playlist_id]
        context.log.warning(
            "No Spotify credentials (SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET): reading the SYNTHETIC sample "
            f"playlist {reader.playlist_id} shipped with spotify_assets instead of the Spotify API."
        )
    else:
        playlist_ids = spotify.configured_playlist_ids()
        if not playlist_ids:
            raise dg.Failure("SPOTIFY_PLAYLIST_IDS is empty: name the playlists to extract (comma-separated ids, URIs or URLs).", allow_retries=False)
    documents: dict[str, dict] = {}
    failures: dict[str, SpotifyExtractionError] = {}
    for playlist_id in playlist_ids:
        context.log.info(f"extracting playlist {playlist_id}")
        try:
            documents[playlist_id] = extract_playlist(reader, playlist_id, page_size=spotify.page_size, log=context.log)
        except SpotifyExtractionError as error:
            context.log.error(str(error))
            failures[playlist_id] = error
    if documents:
        # Stored even when another playlist failed: the good ones are not lost.
        yield dg.Output(documents, metadata=_extraction_metadata(documents, reader.request_count, reader.source))
    if failures:
        names = "; ".join(f"{pid}: {err}" for pid, err in failures.items())
        transient = all(isinstance(err, SpotifyTransientError) for err in failures.values())
        raise dg.Failure(
            description=f"{len(failures)} of {len(playlist_ids)} playlists failed ({names})",
            metadata={"failed_playlists": dg.MetadataValue.json(sorted(failures))},
            allow_retries=transient,
        )


def _extraction_metadata(documents: dict[str, dict], api_requests: int, source: str) -> dict:
    rows = []
    skipped_total: dict[str, int] = {}
    for playlist_id, document in documents.items():
        playlist = parse_raw_document(document, f"{playlist_id}.json")
        skipped = build_tables([playlist]).skipped_items
        for reason, count in skipped.items():
            skipped_total[reason] = skipped_total.get(reason, 0) + count
        rows.append(f"| {playlist_id} | {playlist.playlist_name or ''} | {playlist.snapshot_id or ''} | {len(playlist.items)} |")
    table = "| playlist_id | name | snapshot_id | items |\n|---|---|---|---|\n" + "\n".join(rows)
    return {
        "playlists": dg.MetadataValue.md(table),
        "playlist_count": len(documents),
        "items": sum(len(d["items"]["items"]) for d in documents.values()),
        "skipped_items": dg.MetadataValue.json(skipped_total),
        "api_requests": api_requests,
        "source": source,
    }


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
