"""``raw_playlist_sensor``: a raw object put into the lake (or into a landing location)
triggers the transformation of its day, as in the seeds' event-driven flow.

Each tick lists (``Lake.list_objects``/``list_page``: ListObjectsV2 on S3, a folder walk locally)

1. the landing location ``SPOTIFY_LANDING_URL`` when set (any producer, e.g. the seed
   Lambda's ``raw_data/to_processed/spotify_raw_<timestamp>.json``): every new ``.json``
   object is COPIED to ``raw_playlist/dt=<date>/<safe name>.json`` of the lake (the
   original is never modified, moved or deleted) and a ``raw_playlist`` materialization
   is recorded for its partition;
2. the lake's ``raw_playlist/`` zone: new objects under ``dt=<date>/`` from this project's
   runs or from any other producer. A tick lists the last 3 days' folders and the next
   ``SPOTIFY_SENSOR_SWEEP_KEYS`` (1,000) keys of a rolling sweep over the whole zone, so a
   tick costs a few ListObjectsV2 calls however large the lake grows: today's objects are
   found at once, one in an older folder when the sweep passes it (at once while the zone
   holds at most 1,000 objects);

and requests one run of the transformation assets per partition with new objects. The
pure logic (what is new, dates, copy names, run keys, cursor) is in ``raw_object_cursor.py``.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import dagster as dg

from spotify_assets.lake.lake import Lake, LakeEntryError, ObjectInfo, too_large_reason
from spotify_assets.lake.layout import DEFAULT_RAW_MAX_BYTES, dt_from_key, prefix_url, raw_partition_prefix
from spotify_assets.partitions import daily_partitions
from spotify_assets.resources.lake_resource import LakeResource
from spotify_assets.sensors.raw_object_cursor import (
    DEFAULT_LAG,
    LANDING_ZONE,
    RAW_ZONE,
    SensorCursor,
    ZoneCursor,
    advance_zone,
    check_zones_disjoint,
    decode_cursor,
    encode_cursor,
    format_utc,
    landing_copy_key,
    landing_partition_date,
    new_objects,
    recent_raw_prefixes,
    reset_future_zones,
    run_key_for,
    sweep_start,
)
from spotify_assets.settings import ENV_VARS, Settings
from spotify_assets.vocabulary import RAW_PLAYLIST, RAW_PREFIX, SPOTIFY_TABLE_NAMES

RAW_PLAYLIST_KEY = dg.AssetKey(RAW_PLAYLIST)
DEFAULT_ASSET_SELECTION = dg.AssetSelection.assets(*SPOTIFY_TABLE_NAMES)
SENSOR_NAME = "raw_playlist_sensor"
RECENT_DAYS = 2  # every tick lists the folders of today and the two days before (UTC)
_MAX_KEYS_IN_METADATA = 50
_MAX_KEYS_IN_LOG = 5
DEFAULT_SWEEP_KEYS = int(ENV_VARS["SPOTIFY_SENSOR_SWEEP_KEYS"][0])


def build_raw_playlist_sensor(
    asset_selection: dg.AssetSelection | Sequence[str] | None = None,
    *,
    name: str = SENSOR_NAME,
    minimum_interval_seconds: int | None = None,
    lag: timedelta = DEFAULT_LAG,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    partitions_def: dg.TimeWindowPartitionsDefinition = daily_partitions,
    settings: Settings | None = None,
) -> dg.SensorDefinition:
    """The sensor that turns new raw objects into runs of ``asset_selection``.

    - ``asset_selection``: what each run materializes for its partition (default: songs,
      albums, artists, playlist_entries); it is the sensor's target, so a ``RunRequest``
      carries only the partition key and the run key;
    - ``minimum_interval_seconds``: default ``settings.sensor_interval_s`` (30 s);
    - ``lag``: how late an object may become visible after its ``LastModified`` and
      still be found (see ``raw_object_cursor.py``; default 5 min);
    - ``default_status``: STOPPED, so that ``dagster dev`` never starts copying or
      launching runs on its own; turn it on in the UI (Automation) or pass RUNNING.

    ``settings`` (default: ``Settings()``, every default): the landing location
    (``landing_url``), the keys of the rolling sweep per tick (``sensor_sweep_keys``, 0 = the
    whole zone) and the largest landed object copied (``raw_max_bytes``). Needs the ``lake``
    resource (``LakeResource``). A tick raises ``ZoneOverlapError`` when the landing location overlaps the raw
    zone and ``CursorError`` for a cursor it did not write.
    """
    target = asset_selection if asset_selection is not None else DEFAULT_ASSET_SELECTION
    settings = settings or Settings()
    interval = minimum_interval_seconds if minimum_interval_seconds is not None else settings.sensor_interval_s

    @dg.sensor(
        name=name,
        target=target,
        minimum_interval_seconds=interval,
        default_status=default_status,
        description=(
            "Lists the lake's raw_playlist/ (and SPOTIFY_LANDING_URL when set) for new raw objects; copies landed "
            "objects into raw_playlist/dt=<date>/ and requests one run per partition with new objects."
        ),
    )
    def _raw_playlist_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        return evaluate_tick(
            context,
            lake.get_lake(),
            settings.landing_url,
            lag=lag,
            partitions_def=partitions_def,
            sensor_name=name,
            sweep_keys=settings.sensor_sweep_keys or None,
            max_bytes=settings.raw_max_bytes,
        )

    return _raw_playlist_sensor


def _json_objects(listing: list[ObjectInfo], *, any_case: bool = False) -> list[ObjectInfo]:
    # Only JSON objects are raw objects (read_raw_objects reads *.json); markers such as
    # _SUCCESS or .crc files must not trigger runs. A landed .JSON is copied as .json.
    # Entries that are never read are kept whatever their names: the tick reports them.
    return [o for o in listing if o.unreadable or (o.key.lower() if any_case else o.key).endswith(".json")]


@dataclass
class _Found:
    """What one tick found: ``triggers`` (dt -> (zone, key, ETag) of new objects), the
    ``raw_playlist`` ``events`` to record, ``skipped`` (no partition), ``unread`` (entries
    not read, ``"<url>: <reason>"``) and the raw keys ``copied`` from the landing zone."""

    first: str | None
    last: str | None
    triggers: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    events: list[dg.AssetMaterialization] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    copied: set[str] = field(default_factory=set)

    def in_range(self, dt: str | None, where: str) -> bool:
        """Whether ``dt`` is a partition; else the object is recorded as skipped."""
        if dt is not None and self.first is not None and self.last is not None and self.first <= dt <= self.last:
            return True
        reason = (
            "no dt=YYYY-MM-DD folder" if dt is None else f"date {dt} outside the partitions {self.first}..{self.last}"
        )
        self.skipped.append(f"{where} ({reason})")
        return False


def evaluate_tick(
    context: dg.SensorEvaluationContext,
    lake: Lake,
    landing_url: str,
    *,
    lag: timedelta = DEFAULT_LAG,
    partitions_def: dg.TimeWindowPartitionsDefinition = daily_partitions,
    sensor_name: str = SENSOR_NAME,
    sweep_keys: int | None = DEFAULT_SWEEP_KEYS,
    max_bytes: int = DEFAULT_RAW_MAX_BYTES,
) -> dg.SensorResult:
    """One tick: list, copy landed objects, request runs, advance the cursor (see module doc).

    Entries that are never read (symbolic links, FIFOs, devices, sockets, keys with
    ``..``/``//`` or not valid UTF-8; landed objects above ``max_bytes``) are
    skipped with a warning naming each and its reason, once (they enter the cursor);
    they never fail the tick. A cursor from the future is reset with a warning
    (:func:`reset_future_zones`). ``sweep_keys``: keys of the rolling sweep per tick
    (None: the whole raw zone)."""
    now = datetime.now(timezone.utc)
    previous, warnings = reset_future_zones(decode_cursor(context.cursor), now, lag)
    for warning in warnings:
        context.log.warning(warning)
    with dg.partition_loading_context(effective_dt=now):
        found = _Found(partitions_def.get_first_partition_key(), partitions_def.get_last_partition_key())
    tick = _Tick(context, lake, previous, now, lag, found, sweep_keys, max_bytes)
    landing = _copy_landing_zone(tick, landing_url, sensor_name) if landing_url else None
    # Listed after the copies, so the copies enter the cursor with their real ETag and
    # LastModified and never trigger a second run on the next tick.
    raw = _scan_raw_zone(tick)
    _log_skipped(context, found)
    zones = {LANDING_ZONE: landing.zone, RAW_ZONE: raw.zone} if landing else {RAW_ZONE: raw.zone}
    cursor = encode_cursor(SensorCursor(zones=zones))
    run_requests = [
        dg.RunRequest(
            partition_key=dt,
            run_key=run_key_for(dt, objects),
            tags={"spotify_assets/new_raw_objects": str(len(objects))},
        )
        for dt, objects in sorted(found.triggers.items())
    ]
    if run_requests:
        context.log.info("requested runs for " + ", ".join(f"{r.partition_key} ({r.run_key})" for r in run_requests))
        return dg.SensorResult(run_requests=run_requests, asset_events=found.events, cursor=cursor)
    return dg.SensorResult(skip_reason=dg.SkipReason(_skip_reason(raw, landing, found, warnings)), cursor=cursor)


@dataclass(frozen=True)
class _Tick:
    """What both phases of one tick share: the sensor's context, the lake, the cursor read
    at the start, the tick's time (UTC), the allowed lag, what the tick found so far, and
    the settings of the listing and copying."""

    context: dg.SensorEvaluationContext
    lake: Lake
    previous: SensorCursor
    now: datetime
    lag: timedelta
    found: _Found
    sweep_keys: int | None  # keys of the rolling sweep per tick (None: the whole raw zone)
    max_bytes: int  # the largest landed object copied


@dataclass(frozen=True)
class _Listed:
    """One zone's listing in this tick: ``count`` objects under ``url`` (``scope``: what part
    of the zone, empty for all of it) and the zone's advanced cursor."""

    count: int
    url: str
    scope: str
    zone: ZoneCursor


def _copy_landing_zone(tick: _Tick, landing_url: str, sensor_name: str) -> _Listed:
    """Phase 1: list the landing location and copy its new objects into the raw zone
    (``ZoneOverlapError`` when the two overlap)."""
    landing = tick.lake.other(landing_url)
    check_zones_disjoint(prefix_url(tick.lake, RAW_PREFIX), landing.root_url)
    listing = _json_objects(landing.list_objects(include_unreadable=True), any_case=True)
    zone = tick.previous.zone(LANDING_ZONE, landing.root_url)
    _copy_landed_objects(
        tick.context, tick.lake, landing, new_objects(listing, zone), tick.found, sensor_name, tick.max_bytes
    )
    return _Listed(len(listing), landing_url, "", advance_zone(landing.root_url, listing, zone, tick.now, tick.lag))


def _scan_raw_zone(tick: _Tick) -> _Listed:
    """Phase 2: list this tick's share of the raw zone; each new object of a partition
    triggers its day, and those of another producer get a ``raw_playlist`` event."""
    lake, found = tick.lake, tick.found
    zone = tick.previous.zone(RAW_ZONE, lake.root_url)
    listing, scope, started, next_after = _list_raw_zone(lake, zone, tick.now, set(found.triggers), tick.sweep_keys)
    outside: dict[str, list[ObjectInfo]] = defaultdict(list)
    for obj in new_objects(listing, zone):
        if obj.key in found.copied:
            continue
        if obj.unreadable:
            found.unread.append(f"{lake.shown(obj.key)}: {obj.unreadable}")
            continue
        dt = dt_from_key(obj.key)
        if not found.in_range(dt, lake.url(obj.key)):
            continue
        found.triggers[dt].append((RAW_ZONE, obj.key, obj.etag))
        outside[dt].append(obj)
    advanced = advance_zone(
        lake.root_url, listing, zone, tick.now, tick.lag, sweep_started=started, sweep_after=next_after
    )
    found.events.extend(_outside_producer_events(tick.context.instance, lake, outside))
    return _Listed(len(listing), prefix_url(lake, RAW_PREFIX), scope, advanced)


def _skip_reason(raw: _Listed, landing: _Listed | None, found: _Found, warnings: list[str]) -> str:
    """The text of a tick without new raw objects: what it listed, the cursor's marks, what it skipped."""
    looked_at = f"listed {raw.count} objects{raw.scope} under {raw.url}"
    marks = f"cursor high-water mark {format_utc(raw.zone.mark)}"
    if landing:
        looked_at += f" and {landing.count} under {landing.url}"
        marks += f", landing {format_utc(landing.zone.mark)}"
    also = f"; skipped {len(found.skipped)} new object(s) without a partition (see the log)" if found.skipped else ""
    also += (
        f"; not read: {len(found.unread)} new entr{'y' if len(found.unread) == 1 else 'ies'} (see the log)"
        if found.unread
        else ""
    )
    also += "".join(f"; {warning}" for warning in warnings)
    return f"no new raw objects: {looked_at} ({marks}){also}"


def _log_skipped(context: dg.SensorEvaluationContext, found: _Found) -> None:
    skipped = found.skipped
    if skipped:
        shown = "; ".join(skipped[:_MAX_KEYS_IN_LOG]) + (
            f"; and {len(skipped) - _MAX_KEYS_IN_LOG} more" if len(skipped) > _MAX_KEYS_IN_LOG else ""
        )
        context.log.info(f"skipped {len(skipped)} new object(s): {shown}")
    if found.unread:
        count = len(found.unread)
        context.log.warning(
            f"not read: {count} new lake entr{'y' if count == 1 else 'ies'}: " + "; ".join(found.unread)
        )


def _list_raw_zone(
    lake: Lake, zone: ZoneCursor, now: datetime, copied_days: set[str], sweep_keys: int | None
) -> tuple[list[ObjectInfo], str, datetime, str | None]:
    """``(listing, scope text, sweep started, sweep_after)`` of this tick's share of the raw
    zone: the rolling sweep's next ``sweep_keys`` keys (None: all) plus the recent days' folders (and the folders of
    ``copied_days``), entries that are never read included, by key."""
    after, started = sweep_start(zone, now)
    swept, next_after = lake.list_page(RAW_PREFIX, start_after=after, max_keys=sweep_keys, include_unreadable=True)
    if next_after is not None and dt_from_key(next_after):
        # End the tick's share at a folder boundary: a day's objects split over two ticks
        # would request two runs of that day.
        folder = next_after.rsplit("/", 1)[0] + "/"
        rest, _ = lake.list_page(folder, start_after=next_after, max_keys=None, include_unreadable=True)
        swept += rest
        next_after = rest[-1].key if rest else next_after
    by_key = {o.key: o for o in _json_objects(swept)}
    if after is None and next_after is None:  # the whole zone
        return sorted(by_key.values(), key=lambda o: o.key), "", started, next_after
    # Today's folders and those the copies went to: a copy into an old day must be
    # in the cursor before the sweep lists it.
    prefixes = sorted(
        set(recent_raw_prefixes(now.date(), RECENT_DAYS)) | {raw_partition_prefix(dt) for dt in copied_days}
    )
    by_key.update(
        (o.key, o) for prefix in prefixes for o in _json_objects(lake.list_objects(prefix, include_unreadable=True))
    )
    progress = f"continues after {next_after}" if next_after else "complete"
    scope = (
        f" (the last {RECENT_DAYS + 1} days' folders and {len(swept)} keys of the rolling sweep started "
        f"{format_utc(started)}, {progress})"
    )
    return sorted(by_key.values(), key=lambda o: o.key), scope, started, next_after


def _copy_landed_objects(
    context: dg.SensorEvaluationContext,
    lake: Lake,
    landing: Lake,
    new: list[ObjectInfo],
    found: _Found,
    sensor_name: str,
    max_bytes: int,
) -> None:
    """Copy each new landed object into ``raw_playlist/dt=<date>/`` and record it in
    ``found``; one that is not read (a link, FIFO, device, over ``max_bytes``,
    or whose copy's key holds a link or FIFO) goes to ``found.unread`` instead."""
    for obj in new:
        if obj.unreadable or obj.size > max_bytes:
            found.unread.append(f"{landing.shown(obj.key)}: {obj.unreadable or too_large_reason(obj.size, max_bytes)}")
            continue
        dt, how = landing_partition_date(obj)
        if not found.in_range(dt, landing.url(obj.key)):
            continue
        try:
            body = landing.read_bytes(obj.key, max_bytes=max_bytes)
            dest = landing_copy_key(obj.key, dt)
            copied_to = _copy_unless_identical(lake, dest, body)
        except FileNotFoundError:  # deleted between listing and reading
            context.log.warning(f"landed object {landing.url(obj.key)} vanished before it could be copied")
            continue
        except LakeEntryError as err:  # swapped for a link, FIFO or larger file; or the copy's key is one
            where = "" if err.key == obj.key else f"not copied, {lake.shown(err.key)} is "
            found.unread.append(f"{landing.shown(obj.key)}: {where}{err.reason}")
            continue
        found.copied.add(dest)
        found.triggers[dt].append((LANDING_ZONE, obj.key, obj.etag))
        found.events.append(
            dg.AssetMaterialization(
                asset_key=RAW_PLAYLIST_KEY,
                partition=dt,
                description=f"landed object copied into the lake by {sensor_name}",
                metadata={
                    "source_key": landing.url(obj.key),
                    "copied_to": copied_to,
                    "etag": obj.etag,
                    "size_bytes": obj.size,
                    "date_from": how,
                },
            )
        )
        context.log.info(f"copied landed object {landing.url(obj.key)} ({how} → {dt}) to {copied_to}")


def _copy_unless_identical(lake: Lake, key: str, body: bytes) -> str:
    """Write ``body`` at ``key`` unless the object there already holds exactly these bytes
    (a re-copy after a lost cursor must not rewrite the lake: a rewrite changes a local
    file's ETag and would look like a new object); returns the object's URL."""
    try:
        if lake.read_bytes(key) == body:
            return lake.url(key)
    except FileNotFoundError:
        pass
    return lake.write_bytes(key, body)


def _outside_producer_events(
    instance: dg.DagsterInstance, lake: Lake, outside: dict[str, list[ObjectInfo]]
) -> list[dg.AssetMaterialization]:
    """A ``raw_playlist`` materialization per partition whose new raw objects came from
    another producer.

    Objects from this project's own ``raw_playlist`` run are written before that run
    records its materialization, so a partition whose latest materialization is not
    older than its newest new object needs none. This costs one event-log query per
    partition with new objects, instead of reading every object to look for our
    extractor's fields. (Clock skew between S3 and this host can only add a redundant
    materialization, never lose an object: the run is requested either way.)
    """
    events = []
    for dt, objects in sorted(outside.items()):
        newest = max(o.last_modified for o in objects)
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=RAW_PLAYLIST_KEY, asset_partitions=[dt]), limit=1
        ).records
        if records and records[0].timestamp >= newest.timestamp():
            continue
        shown = sorted(objects, key=lambda o: o.key)[:_MAX_KEYS_IN_METADATA]
        events.append(
            dg.AssetMaterialization(
                asset_key=RAW_PLAYLIST_KEY,
                partition=dt,
                description="raw objects put into the lake by another producer",
                metadata={
                    "source": "outside producer",
                    "new_objects": len(objects),
                    # {url: ETag}, the first 50 by key
                    "raw_objects": dg.MetadataValue.json({lake.url(o.key): o.etag for o in shown}),
                },
            )
        )
    return events
